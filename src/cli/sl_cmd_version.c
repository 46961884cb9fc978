/*
 * sl_cmd_version.c - `sluice version`: the version, the git revision it was
 * built from, and the versions of the libraries it uses. DuckDB is named by
 * the library file it would load: loading it (dlopen, store/sl_duck.h) costs
 * ~30 ms, paid only when a duckdb target is used.
 */
#include "sl_cli.h"
#include "sl_cli_opts.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <yaml.h>
#include <zstd.h>

#ifndef SL_VERSION
#define SL_VERSION "0.0.0"
#endif
#ifndef SL_GITREV
#define SL_GITREV "unknown"
#endif
#ifndef SL_DUCKDB_LIB
#define SL_DUCKDB_LIB "libduckdb.so"
#endif

static const char sl_version_usage[] = "usage: sluice version [--json]\n\nPrints the version of sluice and of its libraries.\n";

int sl_cmd_version(int argc, char **argv)
{
    sl_cli_opts o;
    int rc = sl_cli_parse(argc, argv, SL_OPT_JSON, 0, 0, sl_version_usage, &o);
    if (rc >= 0) return rc;
    int pq = PQlibVersion();
    char pqv[32];
    snprintf(pqv, sizeof pqv, "%d.%d", pq / 10000, pq % 10000);
    const char *duck = getenv("SLUICE_DUCKDB_LIB");
    if (!duck || !*duck) duck = SL_DUCKDB_LIB;
    if (o.json) {
        printf("{\"version\":\"%s\",\"git\":\"%s\",\"libpq\":\"%s\",\"sqlite\":\"%s\",\"libyaml\":\"%s\",\"zstd\":\"%s\"}\n",
               SL_VERSION, SL_GITREV, pqv, sqlite3_libversion(), yaml_get_version_string(), ZSTD_versionString());
    } else {
        printf("sluice %s (git %s)\n", SL_VERSION, SL_GITREV);
        printf("libpq %s, sqlite %s, libyaml %s, zstd %s\n", pqv, sqlite3_libversion(), yaml_get_version_string(),
               ZSTD_versionString());
        printf("duckdb: %s (loaded when a duckdb target is used)\n", duck);
    }
    return SL_EXIT_OK;
}
