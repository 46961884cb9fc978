/*
 * sl_store.h - where a target's tables are staged, committed and published.
 *
 * Sinks encode (Parquet, CSV, PostgreSQL binary COPY) into an sl_out; a
 * store says what that sl_out is and what "finished" and "published" mean
 * for its kind of place. One file per store:
 *   sl_store_local.c   a directory on a local file system: staged files,
 *                      fsync + rename per task, a manifest and one
 *                      renameat2(RENAME_EXCHANGE) per table (the protocol
 *                      is in state/sl_publish.h).
 *   sl_store_duckdb.c  a DuckDB database file: task outputs staged as
 *                      Parquet files by the local store, a table published
 *                      by one DuckDB transaction that loads them.
 *   sl_store_postgres.c  a PostgreSQL warehouse: a staging table per table
 *                      and run, one COPY transaction per task, one
 *                      publishing transaction per table.
 *   sl_store_s3.c      parquet/csv at s3://bucket/prefix: tasks write their
 *                      final objects (multipart as they fill), a table is
 *                      published by one PUT of its manifest.
 *
 * The engine drives a store per (table, target) of a run:
 *   stage_open          the table's staging area for this run (kept on
 *                       resume: what earlier sessions finished stays)
 *   ready               (optional) the table's columns are known (sg->schema):
 *                       check them against what the target holds, make
 *                       ready what tasks write into; before any task runs
 *   already             resume: the live table is already this run's (a crash
 *                       after the publish, before the state store heard)
 *   tidy                resume: drop what killed attempts left half-written
 *   check               resume: is the output a finished task recorded still
 *                       there, intact?
 *   reset               the plan changed: drop everything staged
 *   create / commit     one task's output: an sl_out the sink writes into,
 *                       then made durable under its name (replacing an
 *                       earlier attempt's), its size and CRC-32 returned
 *   discard             a failed attempt's output goes away
 *   drop                a finished output that will not be published goes
 *   publish             every task done: the staged table becomes the live
 *                       one at once, or (repeated after a crash) only cleans
 *   stage_close
 * and per run, for every target of the job:
 *   place / lock        the job's staging on the target is this run's alone
 *                       (unlock at the end); check_live: refuse to publish
 *                       over what this job did not publish (also for plan)
 *   clean_stale         staging of this job's runs that will not be resumed
 *   clean_run           after the run: all of its staging (finished), or all
 *                       but finished task outputs (a resume may want them)
 *
 * Every operation may be repeated after a crash at any point and must give
 * the same result (the fault suites kill runs between every two steps).
 */
#ifndef SL_STORE_H
#define SL_STORE_H

#include "../core/sl_error.h"
#include "../core/sl_out.h"
#include "../core/sl_types.h"
#include "../job/sl_job.h"
#include "../state/sl_publish.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A finished task output as recorded in the state store (name, rows,
 * bytes, crc32), what a published table holds (files, snapshot time) and
 * what a publish did (already, atomic, replaced, totals): the manifest's
 * types of state/sl_publish.h, the same for every store. */
typedef sl_manifest_file sl_store_file;
typedef sl_manifest sl_store_manifest;
typedef sl_publish_result sl_store_result;

typedef struct sl_store_ops sl_store_ops;

/* One table's staging area in one run of one target. The engine fills the
 * first block; the store owns `where` (a text for logs: the live table's
 * path or name) and `impl`. */
typedef struct sl_stage {
    const sl_store_ops *ops;
    const sl_job_target *target;
    const sl_job_table *cfg;   /* the table's job settings (write mode, key, ...) */
    const char *job;
    int64_t run_id;
    double run_started;        /* when the run first started (epoch s), recorded at publish */
    const char *table;
    const sl_schema *schema;   /* the table's columns; NULL before ready */
    bool allow_mass_delete;    /* `--allow-mass-delete`: the guard (core/sl_guard.h) only logs */
    const char *keys_path;     /* incremental deletes: detect: the source's keys (integer key: a sorted key file, core/sl_keyfile.h; else CSV); NULL: none */
    const char *keys_dir;      /* where runs' key files are kept (sl_keyfile_path): the target's last run's is merged
                                  instead of its live keys when it is there (sl_keyfile_prev) */
    bool keys_kept;            /* this run's key file will be kept for the next run */
    int64_t deleted_keys;      /* set by an incremental publish: the keys it removes (sl_store_incr.h); -1 unknown */
    char *where;
    void *impl;
} sl_stage;

struct sl_store_ops {
    const char *kind;
    int (*stage_open)(sl_stage *sg, sl_err *err);
    void (*stage_close)(sl_stage *sg);
    int (*ready)(sl_stage *sg, sl_err *err);   /* may be NULL */
    int (*already)(sl_stage *sg, sl_err *err);
    int (*tidy)(sl_stage *sg, int *removed, sl_err *err);
    int (*check)(sl_stage *sg, const sl_store_file *f, sl_err *err);   /* 1 intact, 0 not, -1 error */
    int (*reset)(sl_stage *sg, sl_err *err);
    sl_out *(*create)(sl_stage *sg, const char *name, sl_err *err);
    /* Makes the output durable; out is closed and freed whatever happens.
     * f->name and f->rows (what the sink wrote) are set by the caller, the
     * rest filled here; a store that can count what it holds (a warehouse's
     * COPY n) replaces f->rows, and the engine checks it (a difference
     * fails the task). */
    int (*commit)(sl_stage *sg, sl_out *out, sl_store_file *f, sl_err *err);
    /* Drops a failed attempt's output: out (may be NULL) is freed. */
    void (*discard)(sl_stage *sg, const char *name, sl_out *out);
    /* Removes a finished output that will not be published (a task that found no rows). */
    int (*drop)(sl_stage *sg, const char *name, sl_err *err);
    /* (may be NULL) A finished output as a local file a reader can open (the
     * data checks read staged Parquet files with DuckDB); sl_free it. */
    char *(*staged_path)(sl_stage *sg, const char *name);
    int (*publish)(sl_stage *sg, const sl_store_manifest *m, sl_store_result *res, sl_err *err);
    /* Per target and job, for a run: */
    /* A canonical name of the target's place (a resolved directory), so that
     * two targets at one place share a lock. sl_free it. */
    char *(*place)(const sl_job_target *target);
    /* The job's staging on the target, exclusive for one run (another state
     * store's run of the same job name is refused, naming `holder` of the
     * run that has it). NULL with err when it cannot be had. */
    void *(*lock)(const sl_job_target *target, const char *job, const char *holder, sl_err *err);
    void (*unlock)(void *lock, const sl_job_target *target, const char *job);
    /* May this job publish over what is live at the table's place? 0 yes;
     * -1 with err naming what is there and the remedy (it is not this job's). */
    int (*check_live)(const sl_job_target *target, const char *job, const sl_job_table *cfg, sl_err *err);
    int (*clean_stale)(const sl_job_target *target, const char *job, int64_t keep_run_id, int *removed,
                       sl_err *err);
    int (*clean_run)(const sl_job_target *target, const char *job, int64_t run_id, bool finished, sl_err *err);
};

/* The store a target uses: by its kind and path. NULL when none fits. */
const sl_store_ops *sl_store_for(const sl_job_target *target);
/* The kind of sink that encodes a target's task outputs: "parquet" for a
 * duckdb target (staged Parquet files), else the target's kind. */
const char *sl_store_sink_kind(const sl_job_target *target);

/* How a target is named in logs and in the state store: its path, or a
 * warehouse's URL (password masked) and schema. */
void sl_store_target_label(const sl_job_target *target, char *out, size_t size);

extern const sl_store_ops sl_store_local;
extern const sl_store_ops sl_store_duckdb;
extern const sl_store_ops sl_store_postgres;
extern const sl_store_ops sl_store_s3;

#endif
