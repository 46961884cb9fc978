/*
 * sl_exec_int.h - run-time state of a run, shared by the files of src/exec
 * (not for other layers).
 *
 * The job model is read-only; everything that changes while a run goes on
 * lives here: one sl_exec_table per table (its prepared source state,
 * staging area, metrics, first error) and one sl_exec_task per task.
 *
 * Life of a task (sl_task.c):
 *   sl_task_run()            the pool's work item: skip if its table failed,
 *     sl_task_attempt()      ONE attempt: source -> batches -> sink into a
 *                            staging file, committed by rename. The single
 *                            place where an attempt starts and ends: the
 *                            state store, retries and failpoints hook here.
 *     sl_exec_task_ended()   counts the task; the last one of a table
 *                            publishes or discards it (sl_exec.c).
 */
#ifndef SL_EXEC_INT_H
#define SL_EXEC_INT_H

#include "../observe/sl_progress.h"
#include "sl_exec.h"
#include "sl_prepare.h"
#include "sl_stage.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct sl_exec sl_exec;

typedef struct sl_exec_table {
    sl_exec *run;
    int index;                   /* in job->tables */
    sl_prep_table prep;
    sl_stage stage;
    bool staged;                 /* stage initialised */
    int progress_id;
    sl_task_metrics *metrics;    /* prep.st.ntasks entries */
    sl_sink_kv meta[6];
    int nmeta;
    _Atomic int tasks_ended;
    _Atomic bool failed;
    pthread_mutex_t mu;          /* guards err */
    sl_err err;                  /* first failure */
    bool published;
    bool warned;                 /* its failure was logged as a warning already */
    double started, ended;
} sl_exec_table;

typedef struct sl_exec_task {
    sl_exec_table *table;
    int index;                   /* in table->prep.st.tasks */
} sl_exec_task;

struct sl_exec {
    const sl_job *job;
    const sl_run_opts *opts;
    char run_id[64];
    int workers;
    sl_progress *progress;
    sl_exec_table *tables;
    int ntables;
    double started;
};

/* sl_task.c */
void sl_task_run(void *arg, int worker);
int sl_task_attempt(sl_exec_table *t, int task_index, int worker, sl_task_metrics *m, sl_err *err);

/* sl_exec.c */
void sl_exec_table_fail(sl_exec_table *t, const sl_err *err);
void sl_exec_task_ended(sl_exec_table *t);
double sl_exec_now(void);

#endif
