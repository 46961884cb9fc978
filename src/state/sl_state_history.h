/*
 * sl_state_history.h - the runs of a job as the state store recorded them,
 * read for the web UI, its metrics and the HTML report (observe/).
 *
 * A read-only connection of its own (the store is in WAL mode, so it reads
 * while a run writes, and never blocks it), opened per use. The record
 * shapes follow the store's tables (sl_state.h): a run, its tables (nodes),
 * their tasks and each task's attempts (when, on which worker, outcome).
 *
 *   sl_hist *h = sl_hist_open(path, &err);
 *   sl_hist_run *runs; int n;
 *   sl_hist_runs(h, "shop", 50, &runs, &n, &err);       // newest first, no tasks
 *   sl_hist_run r;
 *   if (sl_hist_run_get(h, "shop", 7, true, &r, &err) == 1) { ... sl_hist_run_clear(&r); }
 *   sl_hist_runs_free(runs, n);
 *   sl_hist_close(h);
 */
#ifndef SL_STATE_HISTORY_H
#define SL_STATE_HISTORY_H

#include "../core/sl_error.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct sl_hist sl_hist;

typedef struct sl_hist_attempt {
    int number;
    double started, ended;     /* ended 0: still running */
    int worker;
    char outcome[12];          /* running | ok | retry | failed | killed */
    char code[24];             /* the error's code name ("TRANSIENT"), "" when none */
    char *error;               /* NULL when none */
} sl_hist_attempt;

typedef struct sl_hist_task {
    int index;
    char *predicate;           /* NULL: the whole table */
    int64_t est_rows;          /* -1: unknown */
    char status[12];           /* pending | running | done | failed */
    int64_t rows, bytes;       /* bytes: in-memory size of the values read */
    int64_t file_size;
    double seconds;
    int worker;                /* -1: never ran */
    int attempts;
    char *error;
    sl_hist_attempt *att;
    int natt;
} sl_hist_task;

typedef struct sl_hist_table {
    char *name;
    char *target;
    char status[12];           /* pending | published | failed */
    double published_at;
    int64_t rows, bytes;       /* published: as published; else the done tasks' sums */
    int64_t file_bytes;        /* the done tasks' output sizes */
    char *error;
    int tasks_total, tasks_done, tasks_failed, tasks_running, retries;
    sl_hist_task *tasks;       /* with_tasks only */
    int ntasks;
} sl_hist_table;

typedef struct sl_hist_run {
    int64_t id;
    char status[12];           /* running | succeeded | failed | killed */
    double started, ended;     /* ended 0: not ended */
    int resumes;
    char *error;
    int64_t rows, bytes;
    int tables_failed;
    sl_hist_table *tables;     /* every table of the run, by name */
    int ntables;
} sl_hist_run;

/* Opens the store read-only; NULL with err when it is missing or unreadable. */
sl_hist *sl_hist_open(const char *path, sl_err *err);
void sl_hist_close(sl_hist *h);

/* The latest `limit` runs of the job, newest first, with their tables (no tasks). */
int sl_hist_runs(sl_hist *h, const char *job, int limit, sl_hist_run **out, int *n, sl_err *err);
void sl_hist_runs_free(sl_hist_run *runs, int n);

/* One run of the job: 1 found, 0 no such run, -1 error. with_tasks: the
 * tables' tasks and attempts too. */
int sl_hist_run_get(sl_hist *h, const char *job, int64_t id, bool with_tasks, sl_hist_run *out, sl_err *err);
void sl_hist_run_clear(sl_hist_run *r);

/* When the job's latest successful run ended (seconds since the epoch); 0: never. */
double sl_hist_last_success(sl_hist *h, const char *job);

#endif
