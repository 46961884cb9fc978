/*
 * duck_sql.c - runs SQL in a DuckDB database file with the libduckdb that
 * sluice itself loads (store/sl_duck.h), so bench/duckdb_load.sh measures
 * DuckDB's own loading against sluice's with the same DuckDB.
 *
 *   build/tools/duck_sql FILE "SQL"      (FILE ":memory:" for none)
 *
 * Prints the first value of the last statement's result when it is a
 * number (a count). Exits 1 with DuckDB's message on failure.
 */
#include "core/sl_error.h"
#include "store/sl_duck.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: duck_sql FILE SQL\n");
        return 2;
    }
    sl_err err = SL_ERR_INIT;
    sl_duck *d = sl_duck_open(argv[1], &err);
    int64_t first = 0;
    if (!d || sl_duck_exec(d, argv[2], &first, &err) < 0) {
        fprintf(stderr, "duck_sql: %s\n", err.msg);
        sl_duck_close(d);
        return 1;
    }
    printf("%lld\n", (long long)first);
    sl_duck_close(d);
    return 0;
}
