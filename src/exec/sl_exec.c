/*
 * sl_exec.c - a run of a job (sl_exec.h): prepare the tables, stage them,
 * hand out their tasks to the pool, publish or discard each table when its
 * last task ends, and sum up.
 *
 * Order of work: tasks of all tables go into one queue, largest estimated
 * rows first (ties keep job order), so that no large task starts last and
 * tables run at the same time. The pool limits the tasks of one source
 * running at once to the source's max_connections.
 *
 * A table is published by the worker that ends its last task, as soon as it
 * can be, not at the end of the whole run. A table that fails (to prepare,
 * to stage, in a task, or to publish) is discarded and the others go on;
 * the run fails with the first table's error.
 */
#include "sl_exec_int.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"
#include "sl_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef SL_VERSION
#define SL_VERSION "0.0.0"
#endif

static atomic_bool sl_exec_cancel_flag;

void sl_exec_cancel(void) { atomic_store(&sl_exec_cancel_flag, true); }
bool sl_exec_cancelled(void) { return atomic_load(&sl_exec_cancel_flag); }

double sl_exec_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sl_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double sl_skew_ratio(double *v, int n)
{
    if (n < 2) return 1.0;
    qsort(v, (size_t)n, sizeof *v, sl_cmp_double);
    double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    if (v[n - 1] <= 0) return 1.0;
    /* An all-but-empty median: report against the smallest non-zero share instead of dividing by 0. */
    if (median <= 0) {
        for (int i = 0; i < n; i++)
            if (v[i] > 0) {
                median = v[i];
                break;
            }
    }
    return v[n - 1] / median;
}

void sl_exec_table_fail(sl_exec_table *t, const sl_err *err)
{
    pthread_mutex_lock(&t->mu);
    if (!sl_err_is_set(&t->err)) {
        t->err = *err;
        if (t->err.code == SL_EOK) t->err.code = SL_EINTERNAL;
        sl_err_prefix_table(&t->err, t->run->job, t->prep.cfg);
    }
    pthread_mutex_unlock(&t->mu);
    atomic_store(&t->failed, true);
}

static void sl_exec_table_log(sl_exec_table *t)
{
    sl_table_metrics tm = { 0 };
    int n = t->prep.st.ntasks;
    uint64_t rows = 0, bytes = 0;
    double *rv = sl_malloc(sizeof(double) * (size_t)(n ? n : 1));
    double *sv = sl_malloc(sizeof(double) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        rows += t->metrics[i].rows;
        bytes += t->metrics[i].bytes;
        rv[i] = (double)t->metrics[i].rows;
        sv[i] = t->metrics[i].seconds;
    }
    tm.skew_rows = sl_skew_ratio(rv, n);
    tm.skew_seconds = sl_skew_ratio(sv, n);
    sl_free(rv);
    sl_free(sv);
    char b[32];
    sl_log(SL_LOG_INFO, "table %s: published %llu rows in %d file%s (%s) to %s in %.2fs; task skew: rows %.2fx, time %.2fx",
           t->prep.cfg->name, (unsigned long long)rows, n, n == 1 ? "" : "s", sl_human_bytes((double)bytes, b, sizeof b),
           t->stage.live, t->ended - t->started, tm.skew_rows, tm.skew_seconds);
}

/* The end of a table: all its tasks ended; publish it or throw its staging away. */
static void sl_exec_table_end(sl_exec_table *t)
{
    t->ended = sl_exec_now();
    if (sl_exec_cancelled() && !atomic_load(&t->failed)) {
        sl_err e = SL_ERR_INIT;
        sl_err_set(&e, SL_EIO, "interrupted before it was published; its previous version is unchanged");
        sl_exec_table_fail(t, &e);
    }
    if (!atomic_load(&t->failed) && t->staged) {
        sl_err err = SL_ERR_INIT;
        /* The state store's publish step (manifest, failpoints) belongs here. */
        if (sl_stage_publish(&t->stage, &err) < 0) {
            sl_err_prefix(&err, "publish");
            sl_exec_table_fail(t, &err);
        } else {
            t->published = true;
            sl_progress_table_state(t->run->progress, t->progress_id, "published");
            sl_exec_table_log(t);
            return;
        }
    }
    if (t->staged) sl_stage_discard(&t->stage);
    sl_progress_table_state(t->run->progress, t->progress_id, "FAILED");
    if (t->run->ntables > 1) {
        pthread_mutex_lock(&t->mu);
        sl_log(SL_LOG_WARN, "%s; the other tables carry on", t->err.msg);
        t->warned = true;
        pthread_mutex_unlock(&t->mu);
    }
}

void sl_exec_task_ended(sl_exec_table *t)
{
    int ended = atomic_fetch_add(&t->tasks_ended, 1) + 1;
    sl_progress_task_done(t->run->progress, t->progress_id);
    if (ended == t->prep.st.ntasks) sl_exec_table_end(t);
}

static void sl_exec_run_id(const sl_run_opts *opts, char *out, size_t size)
{
    if (opts && opts->run_id) {
        snprintf(out, size, "%s", opts->run_id);
        return;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(out, size, "%04d%02d%02dT%02d%02d%02dZ-%d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (int)getpid());
}

typedef struct sl_task_order {
    sl_exec_task *task;
    int64_t est;
    int seq;
} sl_task_order;

static int sl_cmp_order(const void *a, const void *b)
{
    const sl_task_order *x = a, *y = b;
    if (x->est != y->est) return x->est > y->est ? -1 : 1;
    return x->seq - y->seq;
}

static void sl_exec_summarise(sl_exec *run, sl_run_summary *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->run_id, sizeof s->run_id, "%s", run->run_id);
    s->tables = run->ntables;
    s->table_metrics = sl_calloc((size_t)(run->ntables ? run->ntables : 1), sizeof *s->table_metrics);
    for (int i = 0; i < run->ntables; i++) {
        sl_exec_table *t = &run->tables[i];
        sl_table_metrics *tm = &s->table_metrics[i];
        int n = t->prep.st.ntasks;
        tm->name = run->job->tables[i].name;
        tm->published = t->published;
        tm->ntasks = n;
        tm->tasks = sl_calloc((size_t)(n ? n : 1), sizeof *tm->tasks);
        double *rv = sl_malloc(sizeof(double) * (size_t)(n ? n : 1));
        double *sv = sl_malloc(sizeof(double) * (size_t)(n ? n : 1));
        for (int k = 0; k < n; k++) {
            tm->tasks[k] = t->metrics[k];
            tm->rows += t->metrics[k].rows;
            tm->bytes += t->metrics[k].bytes;
            rv[k] = (double)t->metrics[k].rows;
            sv[k] = t->metrics[k].seconds;
            if (t->metrics[k].status == SL_TM_FAILED) s->tasks_failed++;
        }
        tm->skew_rows = sl_skew_ratio(rv, n);
        tm->skew_seconds = sl_skew_ratio(sv, n);
        sl_free(rv);
        sl_free(sv);
        tm->seconds = t->ended > t->started ? t->ended - t->started : 0;
        s->tasks += n;
        if (t->published) {
            s->rows += tm->rows;
            s->bytes += tm->bytes;
        } else {
            s->tables_failed++;
        }
    }
    s->seconds = sl_exec_now() - run->started;
}

void sl_run_summary_free(sl_run_summary *s)
{
    if (!s || !s->table_metrics) return;
    for (int i = 0; i < s->tables; i++) sl_free(s->table_metrics[i].tasks);
    sl_free(s->table_metrics);
    s->table_metrics = NULL;
}

int sl_exec_run(const sl_job *job, const sl_run_opts *opts, sl_run_summary *summary, sl_err *err)
{
    static const sl_run_opts defaults = { 0 };
    if (!opts) opts = &defaults;
    sl_exec run = { .job = job, .opts = opts, .started = sl_exec_now() };
    atomic_store(&sl_exec_cancel_flag, false);
    sl_exec_run_id(opts, run.run_id, sizeof run.run_id);
    run.workers = opts->workers > 0 ? opts->workers : sl_cores();
    run.ntables = job->ntables;
    run.tables = sl_calloc((size_t)(job->ntables ? job->ntables : 1), sizeof *run.tables);
    sl_progress_mode mode = opts->progress < 0 ? SL_PROGRESS_OFF : opts->progress > 0 ? sl_progress_auto() : SL_PROGRESS_LOG;
    run.progress = sl_progress_new(mode);
    sl_log(SL_LOG_INFO, "job %s: run %s: %d table%s, %d worker%s", job->name, run.run_id, job->ntables,
           job->ntables == 1 ? "" : "s", run.workers, run.workers == 1 ? "" : "s");

    /* 1. Prepare every table (schema, tasks) and its staging directory. */
    int64_t ntasks_all = 0;
    for (int i = 0; i < job->ntables; i++) {
        sl_exec_table *t = &run.tables[i];
        t->run = &run;
        t->index = i;
        t->progress_id = -1;
        pthread_mutex_init(&t->mu, NULL);
        sl_err e = SL_ERR_INIT;
        const sl_job_table *cfg = &job->tables[i];
        t->started = sl_exec_now();
        if (sl_prep_table_init(&t->prep, job, cfg, run.workers, opts->source_lookup, &e) < 0) {
            /* Already says job and table: keep it as is. */
            t->err = e;
            atomic_store(&t->failed, true);
            t->prep.cfg = cfg;
            continue;
        }
        int n = t->prep.st.ntasks;
        t->metrics = sl_calloc((size_t)(n ? n : 1), sizeof *t->metrics);
        for (int k = 0; k < n; k++) t->metrics[k].est_rows = t->prep.st.tasks[k].est_rows;
        if (sl_stage_init(&t->stage, cfg->target->path, cfg->name, run.run_id, &e) < 0) {
            sl_stage_discard(&t->stage);
            sl_stage_free(&t->stage);
            sl_exec_table_fail(t, &e);
            continue;
        }
        t->staged = true;
        t->meta[t->nmeta++] = (sl_sink_kv){ "sluice.version", SL_VERSION };
        t->meta[t->nmeta++] = (sl_sink_kv){ "sluice.run_id", run.run_id };
        t->meta[t->nmeta++] = (sl_sink_kv){ "sluice.job", job->name };
        t->meta[t->nmeta++] = (sl_sink_kv){ "sluice.table", cfg->name };
        t->meta[t->nmeta++] = (sl_sink_kv){ "sluice.source_kind", cfg->source->kind };
        t->progress_id = sl_progress_add_table(run.progress, cfg->name, sl_prep_table_est_rows(&t->prep), n);
        ntasks_all += n;
    }

    /* 2. All tasks in one queue, largest first. */
    sl_exec_task *tasks = sl_calloc((size_t)(ntasks_all ? ntasks_all : 1), sizeof *tasks);
    sl_task_order *order = sl_calloc((size_t)(ntasks_all ? ntasks_all : 1), sizeof *order);
    int64_t nt = 0;
    for (int i = 0; i < job->ntables; i++) {
        sl_exec_table *t = &run.tables[i];
        if (!t->staged) continue;
        for (int k = 0; k < t->prep.st.ntasks; k++) {
            tasks[nt] = (sl_exec_task){ t, k };
            order[nt] = (sl_task_order){ &tasks[nt], t->prep.st.tasks[k].est_rows, (int)nt };
            nt++;
        }
    }
    qsort(order, (size_t)nt, sizeof *order, sl_cmp_order);

    int *limits = sl_calloc((size_t)(job->nsources ? job->nsources : 1), sizeof(int));
    for (int s = 0; s < job->nsources; s++) limits[s] = job->sources[s].max_connections;
    sl_progress_start(run.progress);
    sl_pool *pool = sl_pool_new(run.workers, limits, job->nsources);
    for (int64_t k = 0; k < nt; k++) {
        const sl_job_source *src = order[k].task->table->prep.cfg->source;
        sl_pool_submit(pool, sl_task_run, order[k].task, (int)(src - job->sources));
    }
    /* A table without tasks (an empty CSV directory) is published empty at once. */
    for (int i = 0; i < job->ntables; i++)
        if (run.tables[i].staged && run.tables[i].prep.st.ntasks == 0) sl_exec_table_end(&run.tables[i]);
    sl_pool_wait(pool);
    sl_pool_free(pool);
    sl_progress_stop(run.progress);

    /* 3. Release the sources, sum up. */
    sl_run_summary local;
    sl_run_summary *s = summary ? summary : &local;
    sl_exec_summarise(&run, s);
    int rc = 0, failed = 0;
    for (int i = 0; i < job->ntables; i++) {
        sl_exec_table *t = &run.tables[i];
        if (t->published) continue;
        failed++;
        if (failed == 1) {
            if (err) *err = t->err;
            rc = -1;
        } else if (!t->warned && !sl_exec_cancelled()) {
            /* Failed before it ran (prepare, staging): not reported yet. */
            sl_log(SL_LOG_WARN, "%s", t->err.msg);
        }
    }
    if (failed > 1 && err) {
        char more[512] = "";
        size_t used = 0;
        for (int i = 0; i < job->ntables && used < sizeof more; i++)
            if (!run.tables[i].published)
                used += (size_t)snprintf(more + used, sizeof more - used, "%s%s", used ? ", " : "",
                                         job->tables[i].name);
        size_t len = strlen(err->msg);
        snprintf(err->msg + len, sizeof err->msg - len, " (%d tables failed: %s; see the warnings above)", failed, more);
    }
    if (rc < 0 && sl_exec_cancelled() && err) {
        int published = job->ntables - failed;
        sl_err_set(err, SL_EIO, "job %s: interrupted: %d table%s published before the interrupt, %d not "
                   "(their previous versions are unchanged)", job->name, published, published == 1 ? "" : "s", failed);
    }
    for (int i = 0; i < job->ntables; i++) {
        sl_exec_table *t = &run.tables[i];
        sl_prep_table_release(&t->prep);
        if (t->staged) sl_stage_free(&t->stage);
        sl_free(t->metrics);
        pthread_mutex_destroy(&t->mu);
    }
    sl_free(limits);
    sl_free(order);
    sl_free(tasks);
    sl_progress_free(run.progress);
    sl_free(run.tables);
    if (!summary) sl_run_summary_free(&local);
    return rc;
}
