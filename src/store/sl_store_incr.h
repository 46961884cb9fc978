/*
 * sl_store_incr.h - incremental writes into a local lake table and
 * compaction (sl_store_lake_incr.c). The local store's publish calls
 * sl_lake_incr_publish for an incremental table written with append or
 * merge; `sluice compact` calls sl_lake_compact.
 */
#ifndef SL_STORE_INCR_H
#define SL_STORE_INCR_H

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

/* Rewrites the live table at <target path>/<table> (published by `job`)
 * into one file (DuckDB's COPY, zstd; its row count checked against the
 * manifest), published atomically as a new version (run id 0 in its
 * manifest). The caller holds the job's lock on the target (no run
 * meanwhile). before, after: file counts. rows_per_file: not used yet. */
int sl_lake_compact(const sl_job_target *target, const char *job, const char *table, int64_t rows_per_file,
                    int *before, int *after, sl_err *err);

#endif
