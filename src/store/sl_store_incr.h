/*
 * sl_store_incr.h - incremental writes into a local lake table
 * (sl_store_lake_incr.c) and compaction (sl_lake_compact.c). The local store's publish calls
 * sl_lake_incr_publish for an incremental table written with append or
 * merge; `sluice compact` calls sl_lake_compact.
 */
#ifndef SL_STORE_INCR_H
#define SL_STORE_INCR_H

#include "../core/sl_buf.h"
#include "../state/sl_publish.h"
#include "sl_lake_bounds.h"
#include "sl_store.h"

struct sl_duck;

/* Publishes the staged increment as a complete new version of the table:
 * the live files carried (hard links) plus the new ones (append), or the
 * live rows whose key is not in the increment nor deleted plus the
 * increment (merge). An empty increment with nothing to delete publishes
 * nothing (the live version stays). sg->deleted_keys gets the keys removed. */
int sl_lake_incr_publish(sl_stage *sg, sl_staging *stg, const sl_store_manifest *m, sl_store_result *res,
                         sl_err *err);

/* The delete step, one function: fills DuckDB temp table sl_gone with the
 * keys that leave the live version (the increment's own keys, and with
 * deletes: detect the live keys - old_sql - absent from the source's key
 * list at sg->keys_path, or absent from it but in the key file of the run
 * the live version in stg is from, when kept) and sets sg->deleted_keys to the rows it deletes
 * (detected keys plus soft-deleted rows of the increment). */
int sl_lake_incr_deletes(sl_stage *sg, struct sl_duck *d, const sl_staging *stg, const char *old_sql,
                         const char *inc_sql, sl_err *err);

/* Compacts the live table at <target path>/<table> (published by `job`):
 * its files under SL_LAKE_SMALL_ROWS rows are rewritten together, in key
 * order when `key` (one column, may be NULL) gives their ranges, into files
 * of up to about SL_LAKE_GROUP_ROWS rows (sluice's own reader and writer;
 * DuckDB's COPY for a group it does not take); the other files are carried
 * as they are (hard links, their entries kept). Each written file's row
 * count is checked against the manifest's, and the new version is
 * published atomically (run id 0 in its manifest). The caller holds the
 * job's lock on the target (no run meanwhile). before, after: file counts. */
int sl_lake_compact(const sl_job_target *target, const char *job, const char *table, const char *key, int *before,
                    int *after, sl_err *err);

/* ---- shared by sl_store_lake_incr.c and sl_lake_compact.c ---- */

/* Touched or compacted files under this many rows are small: rewritten
 * together, into files of up to about SL_LAKE_GROUP_ROWS rows. */
#define SL_LAKE_SMALL_ROWS 250000
#define SL_LAKE_GROUP_ROWS 1250000

/* A file of the live manifest. */
typedef struct sl_live_file {
    char *name;
    int64_t rows, bytes;
    uint32_t crc32;
    char *members;   /* the entry's other members (its receipt, or its bounds), as written; NULL: none */
} sl_live_file;
void sl_lake_live_free(sl_live_file *f, int n);
/* The files of our own manifest; -1 when it cannot be read, 0 with *n = 0
 * when there is no live table. */
int sl_lake_live_files(const sl_staging *stg, sl_live_file **out, int *n, sl_err *err);
/* Hard-links live/<name> as stage/<as> (a copy where links do not work). */
int sl_lake_carry(const sl_staging *stg, const char *name, const char *as, sl_err *err);
/* A file written into the staging directory, as a manifest entry (CRC, size, fsync). */
int sl_lake_written_entry(const sl_staging *stg, const char *name, int64_t rows, sl_store_file *f, sl_err *err);
/* DuckDB SQL: read_parquet([dir/name, ...]); a quoted string; COPY TO's
 * options for a file of this lake; the text of b, NUL-terminated. */
void sl_lake_q_files(sl_buf *b, const char *dir, char *const *names, int n);
void sl_lake_q_text(sl_buf *b, const char *s);
void sl_lake_q_parquet_opts(sl_buf *b, const sl_job_target *t);
char *sl_lake_q_done(sl_buf *b);
/* Small files cand[0..n) (indexes into live) in groups of up to about
 * SL_LAKE_GROUP_ROWS rows, in their key ranges' order (bd, may be NULL; files
 * without a range last, in their order): order[] gets the files in that
 * order, gend[g] the end of group g in order[]; returns the group count. */
int sl_lake_small_groups(const sl_live_file *live, const sl_lake_bounds *bd, const int *cand, int n, int *order,
                         int *gend);

#endif
