/*
 * sl_state.h - the run state store: what every run of a job did, in SQLite.
 *
 * One database (by default `.sluice/state.db` beside the job file; the caller
 * passes the path) records runs, their tables, tasks, task attempts and the
 * files tasks wrote, so that a killed run can be resumed (finished tasks
 * kept), `sluice status` can show what happened, and a published table's
 * manifest can list its files with rows, sizes and CRC-32s.
 *
 * Tables (schema version SL_STATE_SCHEMA_VERSION; `meta(schema_version)`):
 *   runs      id, job, job_hash, started, ended, status, pid, host, error, resumes
 *   tables    run_id, name, target, status, published_at, rows, bytes, snapshot_time, error,
 *             columns (sl_state_columns_text of the schema its tasks write),
 *             receipt (the published table's merged receipt, JSON; schema 5)
 *   tasks     id, run_id, table_name, idx, predicate, est_rows, status, rows, bytes,
 *             seconds, worker, file_name, file_size, crc32, attempts, error,
 *             receipt (core/sl_receipt.h's blob), source (the snapshot it read,
 *             JSON; both schema 5)
 *   attempts  task_id, number, started, ended, outcome, error_code, error_message, worker
 *   files     run_id, table_name, target, path, task_id, rows, bytes, crc32
 *   checks    run_id, table_name, idx, rule, severity, status, failing, examples, detail,
 *             seconds, checked_at (data checks' results; schema 6)
 *   task_checks  task_id, idx, failing, examples (what the task loop's row rules found
 *             per task; idx -1: its bad rows; schema 7)
 * Times are seconds since the epoch (REAL). Status words:
 *   run   running | succeeded | failed | killed   (killed: found dead by the next run)
 *   table pending | published | failed
 *   task  pending | running | done | failed
 *   attempt outcome  running | ok | retry | failed | killed
 *
 * Migrations are an ordered list; opening applies the missing ones in one
 * transaction. A database newer than this binary knows is refused.
 *
 * Concurrency: one connection guarded by a mutex, so every function may be
 * called from any worker thread. Call per task (attempt begin/end), never per
 * row. WAL journal, synchronous=FULL, busy_timeout 10 s (so `sluice status`
 * can read while a run writes).
 *
 * The run lock (sl_lock.h) must be held around sl_state_run_begin ...
 * sl_state_run_finish: a run found in state 'running' is then known dead.
 *
 * Where exec calls it (phase 2):
 *   run start        sl_state_open, sl_state_run_begin (resume or new)
 *   table registered sl_state_table_register, sl_state_tasks_register
 *                    (on resume: sl_state_tasks_list, skip tasks 'done' whose
 *                    staged file is intact, sl_state_task_reset the others)
 *   task attempt     sl_state_attempt_begin ... sl_state_attempt_end
 *   table publish    sl_state_files_list (for the manifest), then
 *                    sl_state_table_published or sl_state_table_failed
 *   run end          sl_state_run_finish, sl_state_close
 */
#ifndef SL_STATE_H
#define SL_STATE_H

#include "../core/sl_error.h"
#include "../core/sl_types.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_STATE_SCHEMA_VERSION 8
#define SL_STATE_HASH_LEN 40           /* room for a job hash, with its NUL */

typedef struct sl_state sl_state;

typedef enum { SL_RUN_RUNNING, SL_RUN_SUCCEEDED, SL_RUN_FAILED, SL_RUN_KILLED } sl_run_status;
typedef enum { SL_TASK_PENDING, SL_TASK_RUNNING, SL_TASK_DONE, SL_TASK_FAILED } sl_task_status;

const char *sl_run_status_name(sl_run_status s);     /* "running", ... */
const char *sl_task_status_name(sl_task_status s);   /* "pending", ... */

/* "<job_dir>/.sluice/state.db"; sl_free it. */
char *sl_state_default_path(const char *job_dir);

/* Opens (creating the file and its directory) and migrates to the newest
 * schema. */
sl_state *sl_state_open(const char *path, sl_err *err);
/* For tests: migrates only up to `version` (1..SL_STATE_SCHEMA_VERSION). */
sl_state *sl_state_open_version(const char *path, int version, sl_err *err);
/* The database's schema version. */
int sl_state_schema_version(sl_state *st);
const char *sl_state_path(const sl_state *st);
void sl_state_close(sl_state *st);

/* A hash of a job file's bytes (hex text, < SL_STATE_HASH_LEN chars); a
 * changed job file means a new run instead of a resume. */
void sl_state_hash(const void *data, size_t len, char out[SL_STATE_HASH_LEN]);
int sl_state_hash_file(const char *path, char out[SL_STATE_HASH_LEN], sl_err *err);

/* ---- runs ---- */

typedef struct sl_run_start {
    int64_t run_id;
    bool resumed;              /* run_id is an unfinished earlier run, continued */
    int64_t abandoned_run_id;  /* an unfinished run NOT resumed (job changed, --fresh): its
                                * staging directories should be removed; 0: none */
    double started;            /* when run_id first started */
    int tasks_done;            /* resumed: tasks already done */
    int tasks_total;
    char note[512];            /* one line for the log: what was decided and why; "" for a plain new run */
} sl_run_start;

/* Starts a run of `job`: resumes the job's latest run when it did not
 * succeed, has the same job_hash and `fresh` is false (its running and failed
 * tasks go back to pending, failed tables to pending); otherwise begins a new
 * run (a latest run left 'running' is marked 'killed'). */
int sl_state_run_begin(sl_state *st, const char *job, const char *job_hash, bool fresh, sl_run_start *out,
                       sl_err *err);
/* Ends a run: status SUCCEEDED, FAILED or KILLED; error may be NULL. */
int sl_state_run_finish(sl_state *st, int64_t run_id, sl_run_status status, const char *error, sl_err *err);

/* ---- tables ---- */

/* Records a table of the run (again on resume: keeps the first snapshot time).
 * snapshot_time: when the source snapshot was taken; 0 when unknown. */
int sl_state_table_register(sl_state *st, int64_t run_id, const char *table, const char *target,
                            double snapshot_time, sl_err *err);

typedef struct sl_table_rec {
    char status[16];           /* pending | published | failed */
    double published_at, snapshot_time;
    int64_t rows, bytes;
} sl_table_rec;

/* Returns 1 and fills out when the run has that table, 0 when not, -1 on error. */
int sl_state_table_get(sl_state *st, int64_t run_id, const char *table, sl_table_rec *out, sl_err *err);
int sl_state_table_published(sl_state *st, int64_t run_id, const char *table, int64_t rows, int64_t bytes,
                             sl_err *err);
int sl_state_table_failed(sl_state *st, int64_t run_id, const char *table, const char *error, sl_err *err);
/* The published table's receipt (JSON text, shown by `sluice status`). */
int sl_state_table_receipt(sl_state *st, int64_t run_id, const char *table, const char *receipt, sl_err *err);

/* ---- tasks ---- */

typedef struct sl_task_spec {
    int index;                 /* 0..n-1 within the table */
    const char *predicate;     /* the partition, in the source's words; NULL: whole table */
    int64_t est_rows;          /* -1: unknown */
} sl_task_spec;

/* Records the tasks of a table (after sl_state_table_register) and the
 * columns they write (sl_state_columns_text; NULL: not compared, not
 * recorded). On resume the stored tasks are kept when the plan is the same
 * (same count and predicates) and so are the columns (names, types,
 * nullability, order); otherwise they are all replaced (with their files and
 * attempts), the log says why (for columns: what changed, column by column)
 * and *replanned is set: the caller must then empty the table's staging
 * directory, so that a published table never mixes two schemas. Columns not
 * recorded (a run begun by an older sluice) count as changed.
 * task_ids[i] receives the id of tasks[i]. */
int sl_state_tasks_register(sl_state *st, int64_t run_id, const char *table, const char *columns,
                            const sl_task_spec *tasks, int n, int64_t *task_ids, bool *replanned, sl_err *err);

/* The columns of a schema as one text, a line per column: "name\ttype\tnull"
 * or "...\tnot null" (tabs, newlines and backslashes in names escaped).
 * Equal texts: the same Parquet schema. sl_free it. */
char *sl_state_columns_text(const sl_schema *schema);
/* What differs from `before` to `after` (texts of sl_state_columns_text), for
 * the log: "amount: decimal(12,2) -> float64; note: dropped; email: added
 * (string); id: not null -> nullable" ("the column order" when only that). */
void sl_state_columns_diff(const char *before, const char *after, char *out, size_t size);

typedef struct sl_task_rec {
    int64_t id;
    int index;
    char *predicate;           /* NULL when none */
    int64_t est_rows;
    sl_task_status status;
    int64_t rows, bytes;
    double seconds;
    int worker;
    char *file_name;           /* NULL until done */
    int64_t file_size;
    uint32_t crc32;
    int attempts;
    char *error;               /* last error, NULL when none */
    void *receipt;             /* its receipt's blob (sl_receipt_encode); NULL: none (not done,
                                * or done by a sluice before receipts) */
    size_t receipt_len;
    char *source;              /* the source snapshot it read (JSON), NULL when unknown */
} sl_task_rec;

/* The tasks of a table in index order; free with sl_state_tasks_free. */
int sl_state_tasks_list(sl_state *st, int64_t run_id, const char *table, sl_task_rec **out, int *n, sl_err *err);
void sl_state_tasks_free(sl_task_rec *tasks, int n);
/* Puts a task back to pending and forgets its file (its staged file was
 * found missing or damaged on resume). */
int sl_state_task_reset(sl_state *st, int64_t task_id, sl_err *err);

/* ---- attempts ---- */

/* The task starts an attempt on `worker`: task -> running; *attempt gets the
 * attempt number (1, 2, ...; counting attempts of earlier resumed sessions). */
int sl_state_attempt_begin(sl_state *st, int64_t task_id, int worker, int *attempt, sl_err *err);

/* One finished output of a task in one target. */
typedef struct sl_task_output {
    const char *target;        /* the target's name */
    const char *name;          /* relative to the table's staging area */
    int64_t size;
    uint32_t crc32;
    bool has_rows;             /* rows below are this output's (it holds other rows than the task read:
                                * a table's drop/quarantine split); else the result's rows */
    int64_t rows;
} sl_task_output;

typedef struct sl_task_result {
    int64_t rows;              /* rows written */
    int64_t bytes;             /* bytes read from the source (0: unknown) */
    double seconds;
    const char *file_name;     /* the first target's output (for status); NULL: none */
    int64_t file_size;
    uint32_t crc32;
    const sl_task_output *outputs;   /* one per target of the table, recorded as its files; none:
                                      * file_name is the one file, in the first target */
    int noutputs;
    const void *receipt;       /* sl_receipt_encode's bytes; NULL: none */
    size_t receipt_len;
    const char *source;        /* the source snapshot the task read (JSON); NULL: unknown */
} sl_task_result;

/* Ends an attempt. failure NULL (or code SL_EOK): success, task -> done, its
 * file recorded (res required). Otherwise the attempt records the error and
 * the task goes to pending when will_retry, else failed; res may be NULL. */
int sl_state_attempt_end(sl_state *st, int64_t task_id, int attempt, const sl_err *failure, bool will_retry,
                         const sl_task_result *res, sl_err *err);

/* ---- files ---- */

typedef struct sl_file_rec {
    char *path;                /* relative to the table's staging directory */
    char *target;              /* the target's name ("" : the first, in a run begun before schema 4) */
    int64_t task_id;
    int64_t rows, bytes;
    uint32_t crc32;
} sl_file_rec;

/* Records a file written for a table outside sl_state_attempt_end (a task
 * that writes several files); replaces a record of the same path. */
int sl_state_file_add(sl_state *st, int64_t run_id, const char *table, const char *target, int64_t task_id,
                      const char *path, int64_t rows, int64_t bytes, uint32_t crc32, sl_err *err);
/* The files of a table in `target` (NULL: in every target), ordered by
 * path; `first`: the target is the table's first, which also owns the
 * files recorded without a target. Free with sl_state_files_free. */
int sl_state_files_list(sl_state *st, int64_t run_id, const char *table, const char *target, bool first,
                        sl_file_rec **out, int *n, sl_err *err);
void sl_state_files_free(sl_file_rec *files, int n);

/* ---- status ---- */

typedef struct sl_table_report {
    char *name;
    char *status;
    int done, failed, pending, running;
    int attempts;              /* attempts of all its tasks, over every session of the run */
    int64_t rows, bytes;       /* sum over done tasks (rows) and their files (bytes) */
    double published_at;       /* 0: not published */
    char *receipt;             /* the published receipt (JSON), NULL when none */
} sl_table_report;

typedef struct sl_check_rec {
    char *table, *rule, *severity, *status;   /* severity error|warn; status passed|failed|warned|tolerated */
    int64_t failing;
    char *examples, *detail;                  /* may be NULL */
    double seconds;
} sl_check_rec;

typedef struct sl_run_report {
    int64_t id;
    int64_t number;            /* the job's 1st, 2nd, ... run: what logs and status call "run N"
                                * (job files sharing a state store are numbered apart) */
    char *job, *job_hash, *status, *host, *error;
    double started, ended;     /* ended 0: not ended */
    long pid;
    int resumes;
    int tasks_done, tasks_failed, tasks_pending, tasks_running;
    int64_t rows, bytes;
    sl_table_report *tables;
    int ntables;
    char **errors;             /* the latest attempt errors, newest first (at most 5):
                                * "orders task 3 attempt 2: TRANSIENT: connection lost"
                                * (tasks counted from 1, as in the run's log) */
    int nerrors;
    sl_check_rec *checks;      /* data checks of its tables (schema 6), by table and rule */
    int nchecks;
} sl_run_report;

/* Run run_id's number among its job's runs (1, 2, ...), or run_id when it cannot be read. */
int64_t sl_state_run_number(sl_state *st, int64_t run_id);

/* The last `limit` runs (newest first) of `job` (NULL: of every job). */
int sl_state_runs(sl_state *st, const char *job, int limit, sl_run_report **out, int *n, sl_err *err);
void sl_state_runs_free(sl_run_report *runs, int n);

/* ---- data checks (schema 6): one row per run, table and rule ---- */


/* Replaces the table's check results in the run (a resumed run checks again). */
int sl_state_checks_record(sl_state *st, int64_t run_id, const char *table, const sl_check_rec *recs, int n,
                           sl_err *err);
/* The run's results (table NULL: of every table), by table and rule order. */
int sl_state_checks_list(sl_state *st, int64_t run_id, const char *table, sl_check_rec **out, int *n, sl_err *err);
void sl_state_checks_free(sl_check_rec *recs, int n);

/* ---- row-level checks per task (schema 7): what the task loop found ---- */
typedef struct sl_task_check_rec {
    int64_t task_id;
    int idx;                   /* the rule's index in the table's checks; -1: rows split off (drop, quarantine) */
    int64_t failing;
    char *examples;            /* checks/sl_check_row.h's encoding; may be NULL */
} sl_task_check_rec;

/* Replaces the task's records (written before the task is recorded done). */
int sl_state_task_checks_put(sl_state *st, int64_t task_id, const sl_task_check_rec *recs, int n, sl_err *err);
/* The records of the run's table's tasks, by task and rule. */
int sl_state_task_checks_list(sl_state *st, int64_t run_id, const char *table, sl_task_check_rec **out, int *n,
                              sl_err *err);
void sl_state_task_checks_free(sl_task_check_rec *recs, int n);
/* ---- incremental loads (schema 8) ----
 *   incr_state  job, table_name, targets, settings, columns, watermark, run_id, updated:
 *               the published high watermark of a table in a set of targets
 *   incr_runs   run_id, table_name, targets, settings, columns, first, low, high, rows, deleted,
 *               published: what a run read (kept on resume so its tasks stay the same) */
typedef struct sl_incr_rec {
    char *settings;            /* the job's incremental settings as text, to see a change */
    char *columns;             /* sl_state_columns_text of the schema last published */
    char *watermark;           /* NULL: none yet (the next run reads everything) */
    int64_t run_id;            /* the run that published it */
} sl_incr_rec;

typedef struct sl_incr_run {
    char *targets, *settings, *columns;
    bool first;                /* read everything (no watermark, or --full-refresh): replace */
    char *low, *high;          /* the window read: cursor > low (- lookback) and <= high; NULL: open */
    int64_t rows, deleted;     /* at publish: rows of the increment, keys deleted */
    bool published;
} sl_incr_run;

/* The watermark of (job, table, targets): 1 found, 0 none, -1 error. */
int sl_state_incr_get(sl_state *st, const char *job, const char *table, const char *targets, sl_incr_rec *out,
                      sl_err *err);
void sl_incr_rec_free(sl_incr_rec *r);
/* What run_id reads of table (resume): 1 found, 0 none, -1 error. */
int sl_state_incr_run_get(sl_state *st, int64_t run_id, const char *table, sl_incr_run *out, sl_err *err);
/* Records (replacing) what run_id reads of table, before any of its tasks is committed. */
int sl_state_incr_run_set(sl_state *st, int64_t run_id, const char *table, const sl_incr_run *r, sl_err *err);
void sl_incr_run_free(sl_incr_run *r);
/* The table is published in every target: one transaction moves the
 * watermark of (job, table, targets) to the run's high bound and marks the
 * run's read published with its counts. Repeating it is harmless. */
int sl_state_incr_publish(sl_state *st, const char *job, int64_t run_id, const char *table, int64_t rows,
                          int64_t deleted, sl_err *err);

typedef struct sl_incr_hist {
    char *table, *targets, *watermark;
    int64_t run_id;            /* run that read (incr_runs) or published the watermark (rows < 0) */
    bool first, published;
    char *low, *high;
    int64_t rows, deleted;     /* -1: the watermark row itself */
} sl_incr_hist;
/* For `status`: per table of the job its watermark (rows == -1), then its
 * runs' reads, newest first (at most `limit` per table). */
int sl_state_incr_history(sl_state *st, const char *job, int limit, sl_incr_hist **out, int *n, sl_err *err);
void sl_incr_hist_free(sl_incr_hist *h, int n);

#endif
