/*
 * sl_exec.h - running a job: the entry point the CLI (run, demo) calls.
 *
 * sl_exec_run() prepares every table (schema, tasks) through its source,
 * runs all tasks of all tables on a pool of `workers` threads (tables of one
 * job at the same time, largest estimated tasks first, at most a source's
 * max_connections tasks of one source at once), writes each task's output
 * through the target's sink into a staging area, and publishes each table
 * when all its tasks succeeded, so readers never see a partial table.
 * What happens is told to observers as events (observe/sl_event.h): the
 * progress display on stderr is one, the caller may add more (web UI,
 * alerts). A run is cancelled through its own handle (core/sl_cancel.h).
 *
 * Runs are recorded in the state store (state/sl_state.h; by default
 * .sluice/state.db beside the job file) under the job's lock (one run of a
 * job at a time). A run that did not finish (killed, failed, interrupted)
 * is resumed by the next one of the same, unchanged job: tables it
 * published stay published, tasks it finished are kept (their staged files
 * checked), the rest is redone; `fresh` starts over instead. The commit
 * protocol (state/sl_publish.h): tasks write into a staging directory, a
 * table is swapped in atomically when all its tasks are done.
 *
 * A table whose task fails is not published (its live version stays as it
 * was; its finished task files stay staged for a resume); the other tables
 * carry on. Transient errors are retried per task with backoff and jitter
 * (`retries`, `retry_backoff`); others fail at once. The error returned
 * names the job, table and task and carries the source's message.
 *
 * Per-task metrics (rows, bytes, seconds, worker, attempts) are kept in the
 * summary; sl_run_summary_free() releases them.
 */
#ifndef SL_EXEC_H
#define SL_EXEC_H

#include "../core/sl_cancel.h"
#include "../core/sl_error.h"
#include "../core/sl_skew.h"   /* sl_skew_ratio, for the summary's readers */
#include "../job/sl_job.h"
#include "../observe/sl_event.h"
#include "sl_prepare.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct sl_run_opts {
    int workers;             /* 0: number of cores */
    int progress;            /* 1: live lines on a terminal; 0: periodic log lines; -1: none */
    const char *state_path;  /* NULL: <job dir>/.sluice/state.db */
    bool fresh;              /* ignore a previous unfinished run */
    bool allow_mass_delete;  /* publish past the mass-delete guard (core/sl_guard.h) */
    bool full_refresh;       /* incremental tables read everything again (implies fresh) */
    const char *full_refresh_table;   /* only this table; NULL: all of them */
    sl_source_lookup_fn source_lookup;   /* NULL: sl_source_lookup (tests use their own) */
    sl_cancel *cancel;       /* the run's cancel handle (see below); NULL: the run makes its own */
    const sl_events *observers;          /* more observers of the run's events (after the progress display); NULL: none */
} sl_run_opts;

typedef enum {
    SL_TM_PENDING, SL_TM_RUNNING, SL_TM_DONE, SL_TM_FAILED, SL_TM_SKIPPED
} sl_tm_status;

typedef struct sl_task_metrics {
    sl_tm_status status;
    uint64_t rows;
    uint64_t bytes;          /* output file size */
    uint64_t data_bytes;     /* in-memory size of the values moved */
    uint32_t crc32;          /* of the output file */
    double seconds;          /* of the last attempt */
    int worker;              /* worker thread that ran it (last attempt) */
    int attempts;            /* in this session of the run */
    bool kept;               /* done by an earlier session of the run (resumed), not redone */
    int64_t est_rows;
} sl_task_metrics;

typedef struct sl_table_metrics {
    const char *name;        /* borrowed from the job */
    bool published;
    bool kept;               /* published by an earlier session of the run */
    int ntasks;
    sl_task_metrics *tasks;
    uint64_t rows, bytes;
    double seconds;          /* first task start to publication */
    double skew_rows;        /* largest task over the median task, by rows (1.0: even) */
    double skew_seconds;     /* the same by time */
} sl_table_metrics;

typedef struct sl_run_summary {
    int tables, tables_failed;
    int64_t tasks, tasks_failed;
    uint64_t rows, bytes;
    double seconds;
    char run_id[64];         /* the state store's run id, as text */
    bool resumed;            /* continued an unfinished run */
    int tables_kept;         /* resumed: tables already published */
    int64_t tasks_kept;      /* resumed: tasks already done, not redone */
    sl_table_metrics *table_metrics;   /* `tables` entries, in job order */
} sl_run_summary;

/* Returns 0 when every table was published, -1 with err otherwise. */
int sl_exec_run(const sl_job *job, const sl_run_opts *opts, sl_run_summary *summary, sl_err *err);
void sl_run_summary_free(sl_run_summary *summary);

/* Cancelling a run: sl_cancel_request(opts.cancel) (async-signal-safe, for
 * SIGINT/SIGTERM handlers) asks a running sl_exec_run to stop: it logs
 * "cancelling…", the sources cancel their queries in flight
 * (sl_interrupt.c), running tasks end at their next batch, queued ones are
 * skipped, retry waits are cut short, no table is published after this, and
 * the run fails with "interrupted". A handle requested before the run
 * starts cancels it at once. */


#endif
