/*
 * sl_exec.h - running a job: the entry point the CLI (run, demo) calls.
 *
 * sl_exec_run() prepares every table (schema, tasks) through its source,
 * runs all tasks of all tables on a pool of `workers` threads (tables of one
 * job at the same time), writes each task's output through the target's sink
 * into a staging area, and publishes each table when all its tasks succeeded,
 * so readers never see a partial table. Progress goes to stderr.
 */
#ifndef SL_EXEC_H
#define SL_EXEC_H

#include "../core/sl_error.h"
#include "../job/sl_job.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct sl_run_opts {
    int workers;             /* 0: number of cores */
    int progress;            /* 1: live lines on a terminal; 0: periodic log lines; -1: none */
    const char *state_path;  /* NULL: <job dir>/.sluice/state.db */
    bool fresh;              /* ignore a previous unfinished run */
} sl_run_opts;

typedef struct sl_run_summary {
    int tables, tables_failed;
    int64_t tasks, tasks_failed;
    uint64_t rows, bytes;
    double seconds;
} sl_run_summary;

/* Returns 0 when every table was published, -1 with err otherwise. */
int sl_exec_run(const sl_job *job, const sl_run_opts *opts, sl_run_summary *summary, sl_err *err);

#endif
