/*
 * sl_duck.h - an embedded DuckDB database file, through DuckDB's C API.
 *
 * libduckdb.so (DuckDB 1.4, 65 MB) is not linked into sluice: linking it
 * costs every command ~30 ms of start-up (the dynamic loader's relocations
 * and DuckDB's static constructors), so it is loaded with dlopen the first
 * time a database is opened. Where from: $SLUICE_DUCKDB_LIB, else the path
 * the Makefile compiled in (deps/duckdb/libduckdb.so), else the system's
 * library search path.
 *
 *   sl_duck *d = sl_duck_open("warehouse.duckdb", err);   (creates it when missing)
 *   sl_duck_exec(d, "begin", NULL, err);
 *   sl_duck_query(d, "select ...", &rows, err); ... sl_duck_rows_free(&rows);
 *   sl_duck_close(d);
 *
 * Only one process may open a DuckDB file for writing; while another
 * process holds it, sl_duck_open tries again for a few seconds (a reader's
 * query is short), then fails with an error naming the file, the process
 * that holds it, and what to do. Within one process DuckDB does not
 * stop two handles on one file (they would corrupt it): callers serialise
 * their opens of a file (sl_store_duckdb.c holds one lock around each).
 */
#ifndef SL_DUCK_H
#define SL_DUCK_H

#include "../core/sl_error.h"
#include "../core/sl_types.h"

#include <stdint.h>

typedef struct sl_duck sl_duck;

/* Loads the library when not yet loaded; 0, or -1 saying why not and what to do. */
int sl_duck_load(sl_err *err);
/* "v1.4.4", or NULL when the library is not loaded. */
const char *sl_duck_version(void);

/* Opens (creating when missing) the database file for reading and writing,
 * with one connection. NULL with err set (SL_EIO). */
sl_duck *sl_duck_open(const char *path, sl_err *err);
/* How long sl_duck_open waits for another process to close the file
 * (default SL_DUCK_LOCK_WAIT_S; tests shorten it). */
#define SL_DUCK_LOCK_WAIT_S 5.0
void sl_duck_set_lock_wait(double seconds);
void sl_duck_close(sl_duck *d);

/* Runs one or more statements; *first (may be NULL) gets the first value of
 * the last result as a number (the rows an INSERT, MERGE or DELETE changed),
 * 0 when it has none. Errors carry DuckDB's message. */
int sl_duck_exec(sl_duck *d, const char *sql, int64_t *first, sl_err *err);

/* A result as text: cells[row * ncols + col], NULL for SQL NULL. */
typedef struct sl_duck_rows {
    int nrows, ncols;
    char **cells;
} sl_duck_rows;

int sl_duck_query(sl_duck *d, const char *sql, sl_duck_rows *rows, sl_err *err);
static inline const char *sl_duck_cell(const sl_duck_rows *r, int row, int col)
{
    return r->cells[row * r->ncols + col];
}
void sl_duck_rows_free(sl_duck_rows *rows);

/* An in-memory database for computing (transform/): memory_limit in bytes
 * and threads (0: DuckDB's defaults), temp_dir where it spills (NULL: none). */
sl_duck *sl_duck_open_memory(int64_t memory_limit, int threads, const char *temp_dir, sl_err *err);
/* Another connection to d's database, for another thread; sl_duck_close it
 * before d (closing it leaves the database open). */
sl_duck *sl_duck_connect(sl_duck *d, sl_err *err);

/* A query's result streamed into sluice's batches (sl_duck_read.c): DuckDB's
 * vectors converted column by column, no allocation per row.
 *   sl_duck_reader *r = sl_duck_read(d, "select ...", err);   (NULL: err says why)
 *   const sl_schema *s = sl_duck_read_schema(r);
 *   while ((n = sl_duck_read_next(r, batch, err)) > 0) ...    (0: end, -1: err)
 *   sl_duck_read_close(r);
 * Types: BOOLEAN, integers (unsigned ones widened; UBIGINT as decimal(20,0),
 * HUGEINT and UHUGEINT as decimal(38,0), a value beyond 38 digits an error),
 * FLOAT, DOUBLE, DECIMAL, VARCHAR (JSON when DuckDB's JSON alias), BLOB, DATE,
 * TIME, TIMESTAMP (_S, _MS), TIMESTAMP WITH TIME ZONE, UUID. Any other type
 * is an error naming the column and the type, with the cast to use. */
typedef struct sl_duck_reader sl_duck_reader;
sl_duck_reader *sl_duck_read(sl_duck *d, const char *sql, sl_err *err);
const sl_schema *sl_duck_read_schema(const sl_duck_reader *r);
long sl_duck_read_next(sl_duck_reader *r, sl_batch *b, sl_err *err);
void sl_duck_read_close(sl_duck_reader *r);

#endif
