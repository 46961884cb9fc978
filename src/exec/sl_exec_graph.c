/*
 * sl_exec_graph.c - computed tables in a run: each is set up (its query
 * run by DuckDB, transform/sl_source_sql.c) and its tasks queued only when
 * every table it reads has ended, so its inputs' Parquet files are the ones
 * this run published; independent computed tables run at the same time.
 *
 * States (sl_exec_table.gstate, under run->graph_mu):
 *   WAITING    a computed table whose inputs are not all done;
 *   RUNNING    set up (or being set up), its tasks in the pool;
 *   PUBLISHED  published by this run (or kept from before a resume);
 *   FAILED     failed, or skipped because an input failed.
 * Extracted tables start RUNNING (set up by sl_exec_run with the others)
 * and report their end through sl_exec_graph_done (from sl_exec_table_end,
 * on the worker that ended their last task). A node whose inputs are all
 * PUBLISHED is launched by the thread that saw the last one end: set up,
 * then its tasks submitted to the pool (items may submit items), or ended
 * at once when it has none left to run. A node with a FAILED input is
 * skipped, recorded as failed with the reason, and so are the nodes that
 * read it; the rest of the job carries on.
 *
 * Resume needs nothing here: a computed table published by the interrupted
 * run is kept by sl_exec_table_setup like any table; one that was not is
 * computed again (its tasks' predicates name the computation, so the
 * staging of the earlier one is discarded, never mixed in).
 */
#include "sl_exec_int.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"
#include "../transform/sl_graph.h"
#include "../transform/sl_source_sql.h"
#include "sl_pool.h"

#include <string.h>

int sl_exec_graph_build(sl_exec *run, sl_err *err)
{
    const sl_job *job = run->job;
    bool any = false;
    for (int i = 0; i < job->ntables && !any; i++) any = job->tables[i].sql != NULL;
    if (!any) return 0;
    sl_graph *g = NULL;
    if (sl_graph_build(job, &g, err) < 0) return -1;
    run->graph = g;
    for (int i = 0; i < run->ntables; i++)
        run->tables[i].gstate = job->tables[i].sql ? SL_NODE_WAITING : SL_NODE_RUNNING;
    return 0;
}

bool sl_exec_graph_deferred(const sl_exec *run, int i)
{
    return run->graph && run->job->tables[i].sql;
}

/* Launches node t (RUNNING already): set up, then its tasks queued. */
static void sl_exec_graph_launch(sl_exec_table *t)
{
    sl_exec *run = t->run;
    const sl_job_table *cfg = &run->job->tables[t->index];
    t->started = sl_exec_now();
    sl_log(SL_LOG_INFO, "table %s: its inputs are published; computing it", cfg->name);
    int rc = sl_run_cancelled(t->run) ? -2 : sl_exec_table_setup(t, cfg);
    if (rc == -2) {
        sl_err e = SL_ERR_INIT;
        sl_err_set(&e, SL_EIO, "interrupted before it was computed; its previous version is unchanged");
        sl_exec_table_setup_failed(t, &e, false);
        sl_exec_graph_done(t);
    } else if (rc < 0) {
        sl_exec_graph_done(t);
    } else if (rc == 1) {
        if (t->prepared) sl_exec_table_end(t);   /* all its tasks kept: publish now */
        else sl_exec_graph_done(t);               /* published before the resume */
    } else {
        for (int k = 0; k < t->prep.st.ntasks; k++) {
            if (t->metrics[k].kept) continue;
            sl_exec_task *task = sl_malloc(sizeof *task);   /* freed with the run (sl_exec_graph_free) */
            *task = (sl_exec_task){ t, k };
            pthread_mutex_lock(&run->graph_mu);
            run->graph_tasks = sl_realloc(run->graph_tasks, sizeof *run->graph_tasks * (size_t)(run->ngraph_tasks + 1));
            run->graph_tasks[run->ngraph_tasks++] = task;
            pthread_mutex_unlock(&run->graph_mu);
            sl_pool_submit(run->pool, sl_task_run, task, -1);
        }
    }
}

/* Launches or skips every waiting node whose inputs are all done, until none is left. */
static void sl_exec_graph_advance(sl_exec *run)
{
    const sl_graph *g = run->graph;
    for (;;) {
        sl_exec_table *next = NULL;
        pthread_mutex_lock(&run->graph_mu);
        if (!run->graph_started) {
            pthread_mutex_unlock(&run->graph_mu);
            return;
        }
        for (int k = 0; k < g->n && !next; k++) {
            int i = g->order[k];
            sl_exec_table *t = &run->tables[i];
            if (t->gstate != SL_NODE_WAITING) continue;
            int failed_input = -1;
            bool ready = true;
            for (int j = 0; j < g->ninputs[i]; j++) {
                int s = run->tables[g->inputs[i][j]].gstate;
                if (s == SL_NODE_FAILED && failed_input < 0) failed_input = g->inputs[i][j];
                if (s != SL_NODE_FAILED && s != SL_NODE_PUBLISHED) ready = false;
            }
            if (failed_input >= 0) {
                /* Skipped: recorded failed, which may skip the nodes that read it (next round). */
                t->gstate = SL_NODE_FAILED;
                pthread_mutex_unlock(&run->graph_mu);
                sl_err e = SL_ERR_INIT;
                sl_err_set(&e, SL_ESOURCE, "skipped: its input %s failed (see its error); its previous version is "
                           "unchanged", run->job->tables[failed_input].name);
                sl_exec_table_setup_failed(t, &e, false);
                if (run->ntables > 1) {
                    sl_log(SL_LOG_WARN, "%s; the other tables carry on", t->err.msg);
                    t->warned = true;
                }
                pthread_mutex_lock(&run->graph_mu);
                k = -1;   /* look again from the start */
                continue;
            }
            if (!ready) continue;
            t->gstate = SL_NODE_RUNNING;
            next = t;
        }
        pthread_mutex_unlock(&run->graph_mu);
        if (!next) return;
        sl_exec_graph_launch(next);
    }
}

void sl_exec_graph_start(sl_exec *run, const int *setup)
{
    if (!run->graph) return;
    pthread_mutex_lock(&run->graph_mu);
    for (int i = 0; i < run->ntables; i++) {
        sl_exec_table *t = &run->tables[i];
        if (setup[i] == -1) t->gstate = SL_NODE_FAILED;
        else if (setup[i] == 1 && !t->prepared) t->gstate = t->published ? SL_NODE_PUBLISHED : SL_NODE_FAILED;
    }
    run->graph_started = true;
    pthread_mutex_unlock(&run->graph_mu);
    sl_exec_graph_advance(run);
}

void sl_exec_graph_done(sl_exec_table *t)
{
    sl_exec *run = t->run;
    if (!run->graph) return;
    /* A computed table's materialised result goes as soon as its tasks are done. */
    if (run->job->tables[t->index].sql && t->prepared) sl_source_sql_release(&t->prep.st);
    pthread_mutex_lock(&run->graph_mu);
    t->gstate = t->published ? SL_NODE_PUBLISHED : SL_NODE_FAILED;
    pthread_mutex_unlock(&run->graph_mu);
    sl_exec_graph_advance(run);
}

void sl_exec_graph_finish(sl_exec *run)
{
    if (!run->graph) return;
    /* Nodes never launched (the run was interrupted, or setup stopped early). */
    for (int i = 0; i < run->ntables; i++) {
        sl_exec_table *t = &run->tables[i];
        if (t->gstate != SL_NODE_WAITING) continue;
        t->gstate = SL_NODE_FAILED;
        sl_err e = SL_ERR_INIT;
        sl_err_set(&e, SL_EIO, "not computed: the run stopped before its inputs were published; its previous "
                   "version is unchanged");
        sl_exec_table_setup_failed(t, &e, false);
    }
}

void sl_exec_graph_free(sl_exec *run)
{
    for (int k = 0; k < run->ngraph_tasks; k++) sl_free(run->graph_tasks[k]);
    sl_free(run->graph_tasks);
    run->graph_tasks = NULL;
    run->ngraph_tasks = 0;
    sl_graph_free(run->graph);
    run->graph = NULL;
}
