/*
 * sl_lake_rewrite.h - a merge's touched lake file rewritten without its
 * leaving rows by sluice's own Parquet reader and writer
 * (sl_lake_rewrite.c), for a table whose key is one integer column. The
 * merge (sl_store_lake_incr.c) rewrites with DuckDB what this refuses.
 *
 *   if (sl_lake_native_ok(cfg, schema)) {
 *       sl_lake_gone g;
 *       sl_lake_gone_read(d, "sl_gone", cfg->key[0], &g, err);      (once per merge)
 *       sl_lake_native nv = { target, key, &g, kv, nkv };
 *       rc = sl_lake_rewrite_native(&nv, live_paths, n, stage_path, &rows, &crc, &bytes, why, sizeof why, err);
 *       (1 written, 0 not done: stage_path removed, `why` says why; -1 error)
 *       sl_lake_gone_free(&g);
 *   }
 */
#ifndef SL_LAKE_REWRITE_H
#define SL_LAKE_REWRITE_H

#include "../core/sl_error.h"
#include "../core/sl_types.h"
#include "../job/sl_job.h"
#include "../parquet/sl_pq_writer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_duck;

/* The leaving keys of an integer key: sorted, without duplicates or NULL. */
typedef struct sl_lake_gone {
    int64_t *keys;
    size_t n;
} sl_lake_gone;

/* Whether the native rewrite can apply to a table: its key is one column
 * of an integer type in the table's schema (each file is checked again).
 * SLUICE_LAKE_REWRITE=duckdb in the environment turns it off (benchmarks,
 * tests of the DuckDB path). */
bool sl_lake_native_ok(const sl_job_table *cfg, const sl_schema *schema);

/* Reads column `key` of DuckDB table `table` (cast to bigint, sorted,
 * distinct, NULL left out) into g. */
int sl_lake_gone_read(struct sl_duck *d, const char *table, const char *key, sl_lake_gone *g, sl_err *err);
void sl_lake_gone_free(sl_lake_gone *g);

/* What a native rewrite needs; shared by the threads rewriting files at
 * once (read only). */
typedef struct sl_lake_native {
    const sl_job_target *target;   /* codec, level, row_group_bytes, page_bytes */
    const char *key;               /* NULL: no row leaves (compaction) */
    const sl_lake_gone *gone;
    const sl_pq_kv *kv;            /* the footer's key/value metadata */
    int nkv;
    bool pipeline;                 /* read on a thread of its own (a CPU would idle otherwise) */
} sl_lake_native;

/* Writes the rows of Parquet files in[0..nin) whose key is NULL or not in
 * nv->gone, file after file and in their order, into `out` (created,
 * fsynced), with the target's codec and sizes (several small files of a
 * merge become one); *rows: the rows written (0: out is still a valid,
 * empty file); *crc and *bytes (each may be NULL): the CRC-32 and size of
 * out, taken as it was written. Returns 1 when written; 0 when the native
 * rewrite does not apply (the reader refuses a column, the key column is
 * not an integer, a read fails, an input's Parquet schema differs from the
 * first's, or the written file's from the inputs'): out is removed and
 * `why` says why; -1 on a write error (err). */
int sl_lake_rewrite_native(const sl_lake_native *nv, char *const *in, int nin, const char *out, int64_t *rows,
                           uint32_t *crc, uint64_t *bytes, char *why, size_t whysize, sl_err *err);

#endif
