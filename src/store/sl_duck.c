/*
 * sl_duck.c - DuckDB's C API loaded on first use (see sl_duck.h): dlopen of
 * libduckdb.so, the few functions sluice calls resolved by name into a
 * table of pointers typed from duckdb.h, and opening a database file with
 * DuckDB's lock error turned into one that says what to do.
 *
 * The table is filled once (pthread_once) and never unloaded: DuckDB's
 * threads and destructors would outlive an unload.
 */
#include "sl_duck.h"
#include "sl_duck_int.h"

#include "../core/sl_alloc.h"

#include <duckdb.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef SL_DUCKDB_LIB
#define SL_DUCKDB_LIB "libduckdb.so"
#endif

/* The function table (sl_duck_int.h), shared with sl_duck_read.c. */
sl_duck_api sl_dk;

static pthread_once_t sl_duck_once = PTHREAD_ONCE_INIT;
static int sl_duck_loaded;             /* 1 loaded, -1 failed */
static char sl_duck_why[1024];         /* why it failed */
static const char *sl_duck_from;       /* the path it was loaded from */

static void sl_duck_load_once(void)
{
    const char *env = getenv("SLUICE_DUCKDB_LIB");
    const char *tries[] = { env && *env ? env : NULL, SL_DUCKDB_LIB, "libduckdb.so" };
    void *lib = NULL;
    size_t used = 0;
    for (size_t i = 0; i < sizeof tries / sizeof tries[0] && !lib; i++) {
        if (!tries[i] || (i > 0 && tries[i - 1] && !strcmp(tries[i], tries[i - 1]))) continue;
        lib = dlopen(tries[i], RTLD_NOW | RTLD_LOCAL);
        if (lib) {
            sl_duck_from = tries[i];
        } else if (used < sizeof sl_duck_why) {
            const char *e = dlerror();
            used += (size_t)snprintf(sl_duck_why + used, sizeof sl_duck_why - used, "%s%s", used ? "; " : "",
                                     e ? e : tries[i]);
        }
    }
    if (!lib) {
        sl_duck_loaded = -1;
        return;
    }
#define SL_DUCK_RESOLVE(f)                                                                         \
    if (!(sl_dk.f = (__typeof__(f) *)dlsym(lib, #f))) {                                            \
        snprintf(sl_duck_why, sizeof sl_duck_why, "%s has no function %s (DuckDB 1.4 is needed)",  \
                 sl_duck_from, #f);                                                                \
        sl_duck_loaded = -1;                                                                       \
        return;                                                                                    \
    }
    SL_DUCK_FUNCS(SL_DUCK_RESOLVE)
#undef SL_DUCK_RESOLVE
    sl_duck_loaded = 1;
}

int sl_duck_load(sl_err *err)
{
    pthread_once(&sl_duck_once, sl_duck_load_once);
    if (sl_duck_loaded > 0) return 0;
    return sl_err_set(err, SL_EIO, "cannot load the DuckDB library (%s); run scripts/install-deps.sh, which puts "
                      "it in deps/duckdb/, or set SLUICE_DUCKDB_LIB to a libduckdb.so of DuckDB 1.4", sl_duck_why);
}

const char *sl_duck_version(void)
{
    return sl_duck_loaded > 0 ? sl_dk.duckdb_library_version() : NULL;
}


/* The file's absolute path (its directory resolved), for messages; sl_free it. */
static char *sl_duck_abs_path(const char *path)
{
    if (path[0] == '/') return sl_strdup(path);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) return sl_strdup(path);
    while (path[0] == '.' && path[1] == '/') path += 2;
    return sl_sprintf("%s/%s", cwd, path);
}

/* DuckDB's "Could not set lock on file ...: Conflicting lock is held in
 * /usr/bin/duckdb (PID 4711). See also ..." -> "held by /usr/bin/duckdb (PID 4711)". */
static void sl_duck_lock_error(const char *path, const char *msg, double waited, sl_err *err)
{
    char holder[512] = "another process";
    const char *h = strstr(msg, "is held in ");
    if (h) {
        h += strlen("is held in ");
        const char *pid = strstr(h, "(PID ");
        const char *end = pid ? strchr(pid, ')') : NULL;
        size_t n = end ? (size_t)(end + 1 - h) : strcspn(h, ".");
        if (n >= sizeof holder - 16) n = sizeof holder - 17;
        snprintf(holder, sizeof holder, "process %.*s", (int)n, h);
    }
    sl_err_set(err, SL_EIO, "the DuckDB file %s is in use by %s (waited %.0f s), and DuckDB lets only one process "
               "open a database file for writing: close that process (a DuckDB shell, notebook or BI tool holding "
               "the file) and run the job again - what it extracted is staged and the run resumes from there",
               path, holder, waited);
}

static _Atomic double sl_duck_lock_wait_s = SL_DUCK_LOCK_WAIT_S;

void sl_duck_set_lock_wait(double seconds) { sl_duck_lock_wait_s = seconds; }

static double sl_duck_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

sl_duck *sl_duck_open(const char *path, sl_err *err)
{
    if (sl_duck_load(err) < 0) return NULL;
    duckdb_config cfg = NULL;
    if (sl_dk.duckdb_create_config(&cfg) != DuckDBSuccess) {
        sl_err_set(err, SL_EINTERNAL, "DuckDB: cannot create a configuration");
        return NULL;
    }
    /* Everything sluice needs (parquet, json, icu) is built into libduckdb: never reach the network. */
    sl_dk.duckdb_set_config(cfg, "autoinstall_known_extensions", "false");
    sl_dk.duckdb_set_config(cfg, "autoload_known_extensions", "false");
    sl_duck *d = sl_calloc(1, sizeof *d);
    d->path = sl_duck_abs_path(path);
    char *msg = NULL;
    double started = sl_duck_now(), waited = 0;
    duckdb_state st;
    while ((st = sl_dk.duckdb_open_ext(path, &d->db, cfg, &msg)) != DuckDBSuccess && msg &&
           strstr(msg, "Could not set lock on file") && (waited = sl_duck_now() - started) < sl_duck_lock_wait_s) {
        sl_dk.duckdb_free(msg);
        msg = NULL;
        struct timespec pause = { 0, 100 * 1000 * 1000 };
        nanosleep(&pause, NULL);
    }
    sl_dk.duckdb_destroy_config(&cfg);
    if (st != DuckDBSuccess) {
        const char *m = msg ? msg : "unknown error";
        if (strstr(m, "Could not set lock on file"))
            sl_duck_lock_error(d->path, m, waited, err);
        else
            sl_err_set(err, SL_EIO, "cannot open the DuckDB file %s (DuckDB %s): %s", d->path,
                       sl_dk.duckdb_library_version(), m);
        if (msg) sl_dk.duckdb_free(msg);
        sl_free(d->path);
        sl_free(d);
        return NULL;
    }
    if (sl_dk.duckdb_connect(d->db, &d->con) != DuckDBSuccess) {
        sl_err_set(err, SL_EIO, "cannot connect to the DuckDB file %s", d->path);
        sl_duck_close(d);
        return NULL;
    }
    return d;
}

sl_duck *sl_duck_open_memory(int64_t memory_limit, int threads, const char *temp_dir, sl_err *err)
{
    if (sl_duck_load(err) < 0) return NULL;
    duckdb_config cfg = NULL;
    if (sl_dk.duckdb_create_config(&cfg) != DuckDBSuccess) {
        sl_err_set(err, SL_EINTERNAL, "DuckDB: cannot create a configuration");
        return NULL;
    }
    sl_dk.duckdb_set_config(cfg, "autoinstall_known_extensions", "false");
    sl_dk.duckdb_set_config(cfg, "autoload_known_extensions", "false");
    char text[64];
    const char *bad = NULL;
    if (memory_limit > 0) {
        snprintf(text, sizeof text, "%lldKiB", (long long)(memory_limit / 1024));
        if (sl_dk.duckdb_set_config(cfg, "memory_limit", text) != DuckDBSuccess) bad = "memory_limit";
    }
    if (threads > 0) {
        snprintf(text, sizeof text, "%d", threads);
        if (sl_dk.duckdb_set_config(cfg, "threads", text) != DuckDBSuccess) bad = "threads";
    }
    if (temp_dir && sl_dk.duckdb_set_config(cfg, "temp_directory", temp_dir) != DuckDBSuccess) bad = "temp_directory";
    if (bad) {
        sl_dk.duckdb_destroy_config(&cfg);
        sl_err_set(err, SL_EJOB, "DuckDB refuses the setting transform.%s", bad);
        return NULL;
    }
    sl_duck *d = sl_calloc(1, sizeof *d);
    d->path = sl_strdup(":memory:");
    char *msg = NULL;
    duckdb_state st = sl_dk.duckdb_open_ext(NULL, &d->db, cfg, &msg);
    sl_dk.duckdb_destroy_config(&cfg);
    if (st != DuckDBSuccess) {
        sl_err_set(err, SL_EIO, "cannot start DuckDB %s in memory: %s", sl_dk.duckdb_library_version(),
                   msg ? msg : "unknown error");
        if (msg) sl_dk.duckdb_free(msg);
        sl_free(d->path);
        sl_free(d);
        return NULL;
    }
    if (sl_dk.duckdb_connect(d->db, &d->con) != DuckDBSuccess) {
        sl_err_set(err, SL_EIO, "cannot connect to DuckDB in memory");
        sl_duck_close(d);
        return NULL;
    }
    return d;
}

sl_duck *sl_duck_connect(sl_duck *d, sl_err *err)
{
    sl_duck *c = sl_calloc(1, sizeof *c);
    c->db = d->db;
    c->borrowed = true;
    c->path = sl_strdup(d->path);
    if (sl_dk.duckdb_connect(d->db, &c->con) != DuckDBSuccess) {
        sl_err_set(err, SL_EIO, "cannot open another connection to DuckDB (%s)", d->path);
        sl_duck_close(c);
        return NULL;
    }
    return c;
}

void sl_duck_close(sl_duck *d)
{
    if (!d) return;
    if (d->con) sl_dk.duckdb_disconnect(&d->con);
    if (d->db && !d->borrowed) sl_dk.duckdb_close(&d->db);
    sl_free(d->path);
    sl_free(d);
}

/* Runs sql into *res; on failure sets err with DuckDB's message and destroys res. */
static int sl_duck_run(sl_duck *d, const char *sql, duckdb_result *res, sl_err *err)
{
    if (sl_dk.duckdb_query(d->con, sql, res) == DuckDBSuccess) return 0;
    const char *m = sl_dk.duckdb_result_error(res);
    sl_err_set(err, SL_EIO, "DuckDB (%s): %s", d->path, m ? m : "unknown error");
    sl_dk.duckdb_destroy_result(res);
    return -1;
}

int sl_duck_exec(sl_duck *d, const char *sql, int64_t *first, sl_err *err)
{
    duckdb_result res;
    if (sl_duck_run(d, sql, &res, err) < 0) return -1;
    if (first) {
        *first = 0;
        duckdb_data_chunk chunk = NULL;
        if (sl_dk.duckdb_column_count(&res) > 0 && sl_dk.duckdb_column_type(&res, 0) == DUCKDB_TYPE_BIGINT &&
            (chunk = sl_dk.duckdb_fetch_chunk(res)) && sl_dk.duckdb_data_chunk_get_size(chunk) > 0) {
            duckdb_vector v = sl_dk.duckdb_data_chunk_get_vector(chunk, 0);
            uint64_t *valid = sl_dk.duckdb_vector_get_validity(v);
            if (!valid || sl_dk.duckdb_validity_row_is_valid(valid, 0)) *first = ((int64_t *)sl_dk.duckdb_vector_get_data(v))[0];
        }
        if (chunk) sl_dk.duckdb_destroy_data_chunk(&chunk);
    }
    sl_dk.duckdb_destroy_result(&res);
    return 0;
}

/* Every column of the query is cast to text in SQL, then read from DuckDB's
 * string vectors (the row-at-a-time value functions are deprecated and do not
 * convert every type). */
int sl_duck_query(sl_duck *d, const char *sql, sl_duck_rows *rows, sl_err *err)
{
    memset(rows, 0, sizeof *rows);
    char *text = sl_sprintf("select columns(*)::varchar from (%s)", sql);
    duckdb_result res;
    int rc = sl_duck_run(d, text, &res, err);
    sl_free(text);
    if (rc < 0) return -1;
    rows->ncols = (int)sl_dk.duckdb_column_count(&res);
    size_t cap = 0;
    duckdb_data_chunk chunk;
    while ((chunk = sl_dk.duckdb_fetch_chunk(res))) {
        int n = (int)sl_dk.duckdb_data_chunk_get_size(chunk);
        size_t need = (size_t)(rows->nrows + n) * (size_t)rows->ncols;
        if (need > cap) {
            cap = need * 2;
            rows->cells = sl_realloc(rows->cells, cap * sizeof *rows->cells);
        }
        for (int c = 0; c < rows->ncols; c++) {
            duckdb_vector v = sl_dk.duckdb_data_chunk_get_vector(chunk, (idx_t)c);
            duckdb_string_t *vals = sl_dk.duckdb_vector_get_data(v);
            uint64_t *valid = sl_dk.duckdb_vector_get_validity(v);
            for (int r = 0; r < n; r++) {
                char **cell = &rows->cells[(size_t)(rows->nrows + r) * (size_t)rows->ncols + (size_t)c];
                *cell = NULL;
                if (valid && !sl_dk.duckdb_validity_row_is_valid(valid, (idx_t)r)) continue;
                uint32_t len = sl_dk.duckdb_string_t_length(vals[r]);
                *cell = sl_malloc(len + 1);
                memcpy(*cell, sl_dk.duckdb_string_t_data(&vals[r]), len);
                (*cell)[len] = '\0';
            }
        }
        rows->nrows += n;
        sl_dk.duckdb_destroy_data_chunk(&chunk);
    }
    sl_dk.duckdb_destroy_result(&res);
    return 0;
}

void sl_duck_rows_free(sl_duck_rows *rows)
{
    if (!rows->cells) {
        memset(rows, 0, sizeof *rows);
        return;
    }
    for (size_t i = 0; i < (size_t)rows->nrows * (size_t)rows->ncols; i++) sl_free(rows->cells[i]);
    sl_free(rows->cells);
    memset(rows, 0, sizeof *rows);
}
