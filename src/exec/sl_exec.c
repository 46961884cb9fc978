/*
 * sl_exec.c - a run of a job (sl_exec.h): take the job's lock, resume or
 * begin a run in the state store, prepare and stage the tables, hand out
 * their tasks to the pool, publish each table when its last task ends, and
 * sum up.
 *
 * Order of a run (each target's store stages and publishes, store/sl_store.h;
 * the local directory's protocol is in state/sl_publish.h):
 *   1. sl_lock_acquire, sl_state_open, sl_state_run_begin (resume the job's
 *      unfinished run, or begin one); each target's staging area locked for
 *      the job (the store's lock: a run of the same job name with another
 *      state store may be using it; its tables then fail); stale staging
 *      of runs that will not be resumed is removed (the stores' clean_stale).
 *   2. Per table: already published by this run -> kept. Otherwise its
 *      staging directory is opened; on resume a live table that this run
 *      published before a crash is recognised (the store's already), left
 *      temporaries are removed, and each task recorded done keeps its file
 *      when the file is there with its size and CRC-32 (else it is redone).
 *      The source prepares it (transient failures retried), its tasks are
 *      registered with its columns (a changed plan or schema empties the
 *      staging directory: a table never mixes two schemas).
 *   3. Tasks still to do go into one queue, largest estimated rows first
 *      (ties keep job order), so that no large task starts last and tables
 *      run at the same time; at most a source's max_connections at once.
 *   4. The worker that ends a table's last task publishes it at once (not at
 *      the end of the run): the state's file list becomes the manifest,
 *      the store publishes it, the state records it. A table that
 *      fails keeps its finished files staged for a resume.
 *   5. Run end: failpoint run-finish, sl_state_run_finish, the run's staging
 *      removed (the stores' clean_run; after a failure only what holds no
 *      finished file), the lock released.
 */
#include "sl_exec_int.h"

#include "../core/sl_alloc.h"
#include "../core/sl_failpoint.h"
#include "../core/sl_log.h"
#include "../state/sl_backoff.h"
#include "../state/sl_fs.h"
#include "sl_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef SL_VERSION
#define SL_VERSION "0.0.0"
#endif

bool sl_run_cancelled(const sl_exec *run) { return sl_cancel_requested(run->cancel); }

void sl_exec_emit(sl_exec *run, sl_event *ev)
{
    ev->job = run->job->name;
    ev->run_id = run->run_id;
    if (ev->node >= 0 && ev->node < run->ntables && !ev->node_name) ev->node_name = run->job->tables[ev->node].name;
    sl_events_emit(&run->events, ev);
}

double sl_exec_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double sl_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

/* ---- preparing a table ---- */

int sl_exec_prepare(sl_exec *run, sl_prep_table *pt, const sl_job_table *cfg, const sl_source_table *incr,
                    sl_err *err)
{
    const sl_job *job = run->job;
    for (int attempt = 1;; attempt++) {
        sl_err_clear(err);
        if (sl_prep_table_init_incr(pt, job, cfg, run->workers, run->opts->source_lookup, incr, err) == 0) return 0;
        if (!sl_backoff_should_retry(err, attempt, job->retries) || sl_run_cancelled(run)) return -1;
        double wait = sl_backoff_delay(attempt, job->retry_backoff_s, SL_BACKOFF_CAP_S, NULL);
        sl_log(SL_LOG_WARN, "%s; retrying in %.1fs (%d of %d retries left)", err->msg, wait,
               job->retries - attempt + 1, job->retries);
        sl_exec_sleep(run, wait);
    }
}

static bool sl_same_str(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return !strcmp(a, b);
}

/* Same tasks and the same schema: what the finished tasks were written with. */
static const char *sl_prep_differs(const sl_prep_table *a, const sl_prep_table *b)
{
    if (a->st.ntasks != b->st.ntasks) return "the number of partitions changed";
    for (int k = 0; k < a->st.ntasks; k++)
        if (!sl_same_str(a->st.tasks[k].predicate, b->st.tasks[k].predicate)) return "the partitions changed";
    char *x = sl_state_columns_text(a->st.schema), *y = sl_state_columns_text(b->st.schema);
    bool same = !strcmp(x, y);
    sl_free(x);
    sl_free(y);
    return same ? NULL : "the columns changed";
}

int sl_exec_table_reprepare(sl_exec_table *t, int gen, sl_err *err)
{
    pthread_mutex_lock(&t->mu);
    if (gen != t->prep_gen) {   /* another task of the table did it already */
        pthread_mutex_unlock(&t->mu);
        return 0;
    }
    sl_prep_table *np = sl_calloc(1, sizeof *np);
    int rc = sl_prep_table_init_incr(np, t->run->job, t->prep.cfg, t->run->workers, t->run->opts->source_lookup,
                                     t->incr ? &t->incr->in : NULL, err);
    if (rc == 0) {
        const char *why = sl_prep_differs(&t->prep, np);
        if (why) {
            sl_prep_table_release(np);
            rc = sl_err_set(err, SL_ESOURCE, "the source changed while the run retried (%s); run again with "
                            "--fresh", why);
        }
    }
    if (rc < 0) {
        sl_free(np);
    } else {
        if (t->cur != &t->prep) {
            t->retired = sl_realloc(t->retired, sizeof *t->retired * (size_t)(t->nretired + 1));
            t->retired[t->nretired++] = t->cur;
        }
        t->cur = np;
        t->prep_gen++;
        sl_log(SL_LOG_INFO, "table %s: prepared again (a new source session and snapshot) for its remaining tasks",
               t->prep.cfg->name);
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

/* ---- publishing a table ---- */

static void sl_exec_table_log(sl_exec_table *t)
{
    int n = t->prep.st.ntasks;
    double *rv = sl_malloc(sizeof(double) * (size_t)(n ? n : 1));
    double *sv = sl_malloc(sizeof(double) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        rv[i] = (double)t->metrics[i].rows;
        sv[i] = t->metrics[i].seconds;
    }
    double skew_rows = sl_skew_ratio(rv, n), skew_seconds = sl_skew_ratio(sv, n);
    sl_free(rv);
    sl_free(sv);
    char b[32], kept[64] = "";
    if (t->tasks_kept) snprintf(kept, sizeof kept, " (%d task%s kept from before the resume)", t->tasks_kept,
                                t->tasks_kept == 1 ? "" : "s");
    char where[1024] = "";
    size_t used = 0;
    int nf = 0;
    for (int k = 0; k < t->nouts && used < sizeof where; k++) {
        used += (size_t)snprintf(where + used, sizeof where - used, "%s%s", k ? ", " : "", t->outs[k].sg.where);
        nf += t->outs[k].files_published;
    }
    sl_log(SL_LOG_INFO, "table %s: published %lld rows in %d file%s (%s) to %s in %.2fs; task skew: rows %.2fx, "
           "time %.2fx%s", t->prep.cfg->name, (long long)t->rows, nf, nf == 1 ? "" : "s",
           sl_human_bytes((double)t->bytes, b, sizeof b), where, t->ended - t->started, skew_rows,
           skew_seconds, kept);
    sl_log(SL_LOG_DEBUG, "table %s: receipts took %.3fs of CPU in its tasks", t->prep.cfg->name,
           (double)atomic_load(&t->receipt_ns) / 1e9);
    if (t->prep.cfg->verify_source)
        sl_log(SL_LOG_INFO, "table %s: verify: source: the source's aggregates equal the receipt (%.2fs of "
               "aggregate queries over its tasks)", t->prep.cfg->name, (double)atomic_load(&t->reconcile_ns) / 1e9);
}

/* The receipts of a table about to be published, from the state store's
 * task receipts (so a resumed run's kept tasks count as they were read):
 * per task a line of JSON members for its manifest entry, and the table's
 * merged receipt and source snapshot. */
typedef struct sl_exec_receipts {
    int n;
    int64_t *task_ids;
    char **task_json;            /* NULL where the task has no receipt */
    char *table;                 /* NULL when a task has none (done by a sluice before receipts) */
    char *source;                /* the snapshot every task read; NULL: unknown */
} sl_exec_receipts;

static void sl_exec_receipts_free(sl_exec_receipts *rx)
{
    for (int i = 0; i < rx->n; i++) sl_free(rx->task_json[i]);
    sl_free(rx->task_json);
    sl_free(rx->task_ids);
    sl_free(rx->table);
    sl_free(rx->source);
    memset(rx, 0, sizeof *rx);
}

static char *sl_buf_text(sl_buf *b)
{
    sl_buf_push(b, 0);
    return (char *)b->data;
}

/* The tasks of a file source each name the file they read ({"kind": K,
 * "files": [one]}): the table's source lists them all, in task order.
 * NULL when the tasks' sources are not all such lists of one kind. */
static char *sl_exec_files_source(const sl_task_rec *recs, int n)
{
    static const char files_key[] = "\"files\": [";
    sl_buf b = { 0 };
    const char *kind0 = NULL;
    size_t kind_len = 0;
    for (int i = 0; i < n; i++) {
        const char *s = recs[i].source, *f = s ? strstr(s, files_key) : NULL;
        size_t len = s ? strlen(s) : 0;
        if (!f || strncmp(s, "{\"kind\": ", 9) || len < 2 || strcmp(s + len - 2, "]}")) {
            sl_buf_free(&b);
            return NULL;
        }
        f += sizeof files_key - 1;
        size_t flen = (size_t)(s + len - 2 - f);
        if (!kind0) {
            kind0 = s;
            kind_len = (size_t)(f - s);
            sl_buf_append(&b, s, kind_len);
        } else if ((size_t)(f - s) != kind_len || strncmp(s, kind0, kind_len)) {
            sl_buf_free(&b);
            return NULL;
        } else {
            /* Tasks reading parts of one file name it once. */
            sl_buf_push(&b, 0);
            char *entry = sl_strndup(f, flen);
            bool seen = strstr((const char *)b.data, entry) != NULL;
            sl_free(entry);
            b.len--;
            if (seen) continue;
            sl_buf_printf(&b, ", ");
        }
        sl_buf_append(&b, f, flen);
    }
    if (!kind0) return NULL;
    sl_buf_printf(&b, "]}");
    return sl_buf_text(&b);
}

static int sl_exec_receipts_build(sl_exec_table *t, sl_exec_receipts *rx, sl_err *err)
{
    sl_exec *run = t->run;
    const sl_schema *schema = t->prep.st.schema;
    sl_task_rec *recs = NULL;
    int n = 0;
    memset(rx, 0, sizeof *rx);
    if (sl_state_tasks_list(run->state, run->run_id, t->prep.cfg->name, &recs, &n, err) < 0) return -1;
    rx->n = n;
    rx->task_ids = sl_calloc((size_t)(n ? n : 1), sizeof *rx->task_ids);
    rx->task_json = sl_calloc((size_t)(n ? n : 1), sizeof *rx->task_json);
    sl_receipt *all = sl_receipt_new(schema), *one = sl_receipt_new(schema);
    bool complete = true, same_source = true;
    const char *source = NULL;
    for (int i = 0; i < n; i++) {
        sl_task_rec *r = &recs[i];
        rx->task_ids[i] = r->id;
        sl_err de = SL_ERR_INIT;
        if (!r->receipt || sl_receipt_decode(one, r->receipt, r->receipt_len, &de) < 0) {
            if (r->receipt) sl_log(SL_LOG_WARN, "table %s: task %d: %s", t->prep.cfg->name, r->index + 1, de.msg);
            complete = false;
            continue;
        }
        sl_buf b = { 0 };
        sl_buf_printf(&b, "\"receipt\": ");
        sl_receipt_json(one, schema, NULL, &b);
        if (r->source) sl_buf_printf(&b, ", \"source\": %s", r->source);
        rx->task_json[i] = sl_buf_text(&b);
        sl_receipt_merge(all, one);
        if (i == 0) source = r->source;
        else if (!source || !r->source || strcmp(source, r->source)) same_source = false;
    }
    if (complete) {
        sl_buf b = { 0 };
        sl_receipt_json(all, schema, "    ", &b);
        rx->table = sl_buf_text(&b);
    } else {
        sl_log(SL_LOG_WARN, "table %s: some tasks were done by a sluice without receipts: the table is published "
               "without one (run it with --fresh for a receipt)", t->prep.cfg->name);
    }
    if (source && same_source) rx->source = sl_strdup(source);
    else if (n > 1 && source && !(rx->source = sl_exec_files_source(recs, n)))
        rx->source = sl_strdup("{\"mixed\": true, \"note\": \"tasks read different snapshots (a resumed run "
                               "redid some): see each file's source\"}");
    sl_receipt_free(all);
    sl_receipt_free(one);
    sl_state_tasks_free(recs, n);
    return 0;
}

static const char *sl_exec_receipt_of(const sl_exec_receipts *rx, int64_t task_id)
{
    for (int i = 0; i < rx->n; i++)
        if (rx->task_ids[i] == task_id) return rx->task_json[i];
    return NULL;
}

/* One target's manifest from the state store's files of the table in it,
 * then the store's publish. */
static int sl_exec_out_publish(sl_exec_table *t, sl_exec_out *x, bool first, const sl_exec_receipts *rx,
                               sl_store_result *res, sl_err *err)
{
    sl_exec *run = t->run;
    sl_file_rec *files = NULL;
    int nfiles = 0;
    if (sl_state_files_list(run->state, run->run_id, t->prep.cfg->name, sl_exec_out_name(x), first, &files, &nfiles,
                            err) < 0)
        return -1;
    int rc = 0;
    if (nfiles != t->prep.st.ntasks) {
        rc = sl_err_set(err, SL_EINTERNAL, "the state store lists %d files for %d tasks in target %s", nfiles,
                        t->prep.st.ntasks, sl_exec_out_name(x));
    } else {
        /* The files of tasks that found no rows are left out (publish removes
         * what the manifest does not list), except one when all are empty, so
         * readers still see the table's columns. */
        sl_store_file *mf = sl_calloc((size_t)(nfiles ? nfiles : 1), sizeof *mf);
        int nlisted = 0;
        for (int i = 0; i < nfiles; i++)
            if (files[i].rows > 0)
                mf[nlisted++] = (sl_store_file){ files[i].path, files[i].rows, files[i].bytes, files[i].crc32,
                                                 sl_exec_receipt_of(rx, files[i].task_id) };
        bool all_empty = nlisted == 0 && nfiles > 0;
        if (all_empty)
            mf[nlisted++] = (sl_store_file){ files[0].path, files[0].rows, files[0].bytes, files[0].crc32,
                                             sl_exec_receipt_of(rx, files[0].task_id) };
        /* Removed here, as expected, rather than by the publish step as strays. */
        for (int i = all_empty ? 1 : 0; i < nfiles && rc == 0; i++)
            if (files[i].rows == 0) rc = x->sg.ops->drop(&x->sg, files[i].path, err);
        x->files_published = nlisted;
        sl_store_manifest m = { mf, nlisted, t->snapshot_time, rx->table, rx->source };
        if (rc == 0) rc = x->sg.ops->publish(&x->sg, &m, res, err);
        sl_free(mf);
    }
    sl_state_files_free(files, nfiles);
    if (rc < 0 && t->nouts > 1) sl_err_prefix(err, "target %s", x->target->name);
    return rc;
}

/* Every target of the table publishes it, one after the other (each one at
 * once; a table in several targets is not one transaction across them: a
 * failure in the second leaves the first published, and says so). */
static int sl_exec_table_publish(sl_exec_table *t, sl_err *err)
{
    sl_exec *run = t->run;
    t->rows = t->bytes = 0;
    sl_exec_receipts rx;
    if (sl_exec_receipts_build(t, &rx, err) < 0) return -1;
    for (int k = 0; k < t->nouts; k++) {
        sl_exec_out *x = &t->outs[k];
        if (x->published) continue;
        sl_store_result res;
        sl_exec_receipts none = { 0 };   /* a quarantine's rows are not what the receipts add up */
        if (sl_exec_out_publish(t, x, k == 0, x->reject ? &none : &rx, &res, err) < 0) {
            int done = 0;
            for (int j = 0; j < t->nouts; j++) done += t->outs[j].published;
            if (done) sl_err_prefix(err, "published to %d of its %d targets, then", done, t->nouts);
            sl_exec_receipts_free(&rx);
            return -1;
        }
        x->published = true;
        if (t->incr && x->sg.deleted_keys > atomic_load(&t->incr->deleted)) atomic_store(&t->incr->deleted, x->sg.deleted_keys);
        if (!x->reject) t->rows = res.rows;
        t->bytes += res.bytes;
    }
    int rc = 0;
    if (rx.table) {
        sl_buf b = { 0 };
        sl_buf_printf(&b, "{\"source\": %s, \"receipt\": %s}", rx.source ? rx.source : "null", rx.table);
        char *text = sl_buf_text(&b);
        rc = sl_state_table_receipt(run->state, run->run_id, t->prep.cfg->name, text, err);
        sl_free(text);
    }
    sl_exec_receipts_free(&rx);
    if (rc == 0) rc = sl_state_table_published(run->state, run->run_id, t->prep.cfg->name, t->rows, t->bytes, err);
    if (rc == 0) rc = sl_exec_incr_published(t, err);
    if (rc < 0) sl_err_prefix(err, "published, but the state store cannot record it (the next run will "
                                   "recognise it)");
    return rc;
}

/* A table-level step of the store (ready, publish) that fails transiently -
 * a warehouse restarting - is repeated per the job's retries and backoff, as
 * a task is; every step of a store may be repeated. */
static int sl_exec_store_step(sl_exec_table *t, const char *what, int (*step)(sl_exec_table *t, sl_err *err),
                              sl_err *err)
{
    const sl_job *job = t->run->job;
    for (int attempt = 1;; attempt++) {
        sl_err_clear(err);
        if (step(t, err) == 0) return 0;
        if (!sl_backoff_should_retry(err, attempt, job->retries) || sl_run_cancelled(t->run)) return -1;
        double wait = sl_backoff_delay(attempt, job->retry_backoff_s, SL_BACKOFF_CAP_S, NULL);
        sl_log(SL_LOG_WARN, "table %s: %s failed: %s; retrying in %.1fs (%d of %d retries left)", t->prep.cfg->name,
               what, err->msg, wait, job->retries - attempt + 1, job->retries);
        sl_backoff_sleep(wait);
    }
}

/* Each target whose store has a `ready` step (a warehouse: staging table,
 * schema-change and privilege checks) gets it once the columns are known. */
static int sl_exec_table_ready(sl_exec_table *t, sl_err *err)
{
    for (int k = 0; k < t->nouts; k++) {
        sl_exec_out *x = &t->outs[k];
        if (x->sg.ops->ready && x->sg.ops->ready(&x->sg, err) < 0) {
            if (t->nouts > 1) sl_err_prefix(err, "target %s", x->target->name);
            return -1;
        }
    }
    return 0;
}

static void sl_exec_table_end_now(sl_exec_table *t);

/* The end of a table: all its tasks ended. A table whose checks reference
 * another table of the run that has not ended waits for it. */
void sl_exec_table_end(sl_exec_table *t)
{
    if (sl_exec_checks_defer(t)) return;
    sl_exec_table_end_now(t);
    sl_exec_table *waiter;
    while ((waiter = sl_exec_checks_ended(t))) sl_exec_table_end(waiter);
}

/* Publish it, or leave its finished files staged for a resume. */
static void sl_exec_table_end_now(sl_exec_table *t)
{
    sl_exec *run = t->run;
    t->ended = sl_exec_now();
    if (sl_run_cancelled(run) && !atomic_load(&t->failed)) {
        sl_err e = SL_ERR_INIT;
        sl_err_set(&e, SL_EIO, "interrupted before it was published; its previous version is unchanged");
        sl_exec_table_fail(t, &e);
    }
    if (!atomic_load(&t->failed) && t->nouts && t->outs[0].staged) {
        sl_err err = SL_ERR_INIT;
        if (sl_exec_table_check(t, &err) < 0 || sl_exec_store_step(t, "publishing", sl_exec_table_publish, &err) < 0) {
            sl_exec_table_fail(t, &err);
        } else {
            t->published = true;
            sl_exec_emit(run, &(sl_event){ .kind = SL_EV_NODE_FINISHED, .node = t->index, .task = -1, .worker = -1,
                                           .rows = t->rows, .bytes = t->bytes, .seconds = t->ended - t->started });
            sl_exec_table_log(t);
            sl_exec_graph_done(t);
            return;
        }
    }
    for (int k = 0; k < t->nouts; k++)
        if (t->outs[k].staged) t->outs[k].sg.ops->tidy(&t->outs[k].sg, NULL, NULL);
    sl_err se = SL_ERR_INIT;
    pthread_mutex_lock(&t->mu);
    if (sl_state_table_failed(run->state, run->run_id, t->prep.cfg->name, t->err.msg, &se) < 0)
        sl_log(SL_LOG_WARN, "table %s: cannot record its failure: %s", t->prep.cfg->name, se.msg);
    pthread_mutex_unlock(&t->mu);
    pthread_mutex_lock(&t->mu);
    sl_exec_emit(run, &(sl_event){ .kind = SL_EV_NODE_FAILED, .node = t->index, .task = -1, .worker = -1,
                                   .message = t->err.msg, .code = t->err.code, .seconds = t->ended - t->started });
    pthread_mutex_unlock(&t->mu);
    if (run->ntables > 1) {
        pthread_mutex_lock(&t->mu);
        sl_log(SL_LOG_WARN, "%s; the other tables carry on", t->err.msg);
        t->warned = true;
        pthread_mutex_unlock(&t->mu);
    }
    sl_exec_graph_done(t);
}

void sl_exec_task_ended(sl_exec_table *t)
{
    int ended = atomic_fetch_add(&t->tasks_ended, 1) + 1;
    if (ended == t->prep.st.ntasks) sl_exec_table_end(t);
}

/* ---- setting a table up ---- */

/* The staging area of each target, locked for this run (the store's lock).
 * A target whose lock cannot be had fails its tables, not the run: the other
 * targets' tables carry on. */
static void sl_exec_lock_targets(sl_exec *run, const char *holder)
{
    const sl_job *job = run->job;
    for (int i = 0; i < job->ntargets; i++) {
        sl_exec_target *xt = &run->targets[i];
        xt->store = sl_store_for(&job->targets[i]);
        xt->owner = i;
        if (!xt->store) {
            sl_err_set(&xt->err, SL_EJOB, "target %s: no store for kind %s", job->targets[i].name,
                       job->targets[i].kind);
            continue;
        }
        xt->real = xt->store->place(&job->targets[i]);
        for (int j = 0; j < i && xt->owner == i; j++)
            if (run->targets[j].real && !strcmp(run->targets[j].real, xt->real)) xt->owner = j;
        if (xt->owner != i) continue;
        xt->lock = xt->store->lock(&job->targets[i], job->name, holder, &xt->err);
        if (!xt->lock) {
            sl_err_prefix(&xt->err, "target %s", job->targets[i].name);
            continue;
        }
        sl_free(xt->real);
        xt->real = xt->store->place(&job->targets[i]);   /* it exists now */
    }
}

/* The target entry whose lock covers target tg (run->targets is set by sl_exec_begin). */
static const sl_exec_target *sl_exec_target_of(const sl_exec *run, const sl_job_target *tg)
{
    const sl_exec_target *xt = &run->targets[tg - run->job->targets];
    return &run->targets[xt->owner];
}

static void sl_exec_unlock_targets(sl_exec *run)
{
    if (!run->targets) return;
    for (int i = 0; i < run->job->ntargets; i++) {
        sl_exec_target *xt = &run->targets[i];
        if (xt->owner == i && xt->lock) xt->store->unlock(xt->lock, &run->job->targets[i], run->job->name);
        sl_free(xt->real);
    }
    sl_free(run->targets);
    run->targets = NULL;
}

/* A table that fails before its tasks run: recorded and counted as failed. */
void sl_exec_table_setup_failed(sl_exec_table *t, const sl_err *e, bool prefixed)
{
    sl_exec *run = t->run;
    if (prefixed) {
        t->err = *e;
        atomic_store(&t->failed, true);
    } else {
        sl_exec_table_fail(t, e);
    }
    sl_err se = SL_ERR_INIT;
    char label[1200];
    sl_store_target_label(t->prep.cfg->target, label, sizeof label);
    if (sl_state_table_register(run->state, run->run_id, t->prep.cfg->name, label, 0, &se) < 0 ||
        sl_state_table_failed(run->state, run->run_id, t->prep.cfg->name, t->err.msg, &se) < 0)
        sl_log(SL_LOG_DEBUG, "table %s: cannot record its failure: %s", t->prep.cfg->name, se.msg);
}

/* Every target has this run's table already (a crash after the last
 * publish, before the state store heard of it): clean up and record it. */
static int sl_exec_table_adopt(sl_exec_table *t, sl_err *err)
{
    sl_exec *run = t->run;
    sl_store_manifest none = { NULL, 0, 0, NULL, NULL };
    sl_store_result res;
    for (int k = 0; k < t->nouts; k++)
        if (t->outs[k].sg.ops->publish(&t->outs[k].sg, &none, &res, err) < 0) return -1;   /* only cleans up */
    sl_file_rec *files = NULL;
    int n = 0;
    if (sl_state_files_list(run->state, run->run_id, t->prep.cfg->name, NULL, true, &files, &n, err) < 0) return -1;
    for (int i = 0; i < n; i++) {
        bool first = !files[i].target[0] || !strcmp(files[i].target, t->outs[0].target->name);
        if (first) t->rows += files[i].rows;
        t->bytes += files[i].bytes;
    }
    sl_state_files_free(files, n);
    char label[1200];
    sl_store_target_label(t->prep.cfg->target, label, sizeof label);
    if (sl_state_table_register(run->state, run->run_id, t->prep.cfg->name, label, 0, err) < 0 ||
        sl_state_table_published(run->state, run->run_id, t->prep.cfg->name, t->rows, t->bytes, err) < 0 ||
        sl_exec_incr_published(t, err) < 0)
        return -1;
    sl_log(SL_LOG_INFO, "table %s: was published by this run before it stopped; kept", t->prep.cfg->name);
    return 0;
}

/* The recorded output of task `task_id` in output k, or NULL. */
static const sl_file_rec *sl_exec_file_of(const sl_exec_table *t, const sl_file_rec *files, int n, int64_t task_id,
                                          int k)
{
    for (int i = 0; i < n; i++)
        if (files[i].task_id == task_id &&
            (!strcmp(files[i].target, sl_exec_out_name(&t->outs[k])) || (k == 0 && !files[i].target[0])))
            return &files[i];
    return NULL;
}

/* On resume: keep the tasks recorded done whose outputs are intact in every
 * target that does not have the table yet. */
static int sl_exec_table_keep_done(sl_exec_table *t, sl_err *err)
{
    sl_exec *run = t->run;
    for (int k = 0; k < t->nouts; k++) {
        int removed = 0;
        if (t->outs[k].sg.ops->tidy(&t->outs[k].sg, &removed, err) < 0) return -1;
        if (removed)
            sl_log(SL_LOG_INFO, "table %s: removed %d unfinished file%s of the interrupted run in %s",
                   t->prep.cfg->name, removed, removed == 1 ? "" : "s", t->outs[k].sg.where);
    }
    sl_task_rec *recs = NULL;
    sl_file_rec *files = NULL;
    int n = 0, nfiles = 0;
    if (sl_state_tasks_list(run->state, run->run_id, t->prep.cfg->name, &recs, &n, err) < 0) return -1;
    int rc = sl_state_files_list(run->state, run->run_id, t->prep.cfg->name, NULL, true, &files, &nfiles, err);
    for (int i = 0; i < n && rc == 0; i++) {
        sl_task_rec *r = &recs[i];
        if (r->status != SL_TASK_DONE || r->index < 0 || r->index >= t->prep.st.ntasks) continue;
        int ok = 1;
        int64_t size = 0;
        for (int k = 0; k < t->nouts && ok == 1; k++) {
            const sl_file_rec *fr = sl_exec_file_of(t, files, nfiles, r->id, k);
            if (fr) size += fr->bytes;
            if (t->outs[k].published) continue;
            sl_store_file f = { fr ? fr->path : NULL, fr ? fr->rows : r->rows, fr ? fr->bytes : 0, fr ? fr->crc32 : 0,
                                NULL };
            ok = fr ? t->outs[k].sg.ops->check(&t->outs[k].sg, &f, err) : 0;
        }
        if (ok < 0) {
            rc = -1;
        } else if (ok == 0) {
            sl_log(SL_LOG_INFO, "table %s: task %d: its staged output is missing or damaged; redoing it",
                   t->prep.cfg->name, r->index + 1);
            rc = sl_state_task_reset(run->state, r->id, err);
        } else {
            sl_task_metrics *m = &t->metrics[r->index];
            m->status = SL_TM_DONE;
            m->kept = true;
            m->rows = (uint64_t)r->rows;
            m->data_bytes = (uint64_t)r->bytes;
            m->bytes = (uint64_t)size;
            m->crc32 = r->crc32;
            m->seconds = r->seconds;
            m->worker = r->worker;
            t->tasks_kept++;
        }
    }
    sl_state_files_free(files, nfiles);
    sl_state_tasks_free(recs, n);
    return rc;
}

/* Opens the table's staging area in each of its targets; on resume, marks
 * the targets that have this run's table already. 1: every target has it
 * (adopted: nothing to run), 0: go on, -1: failed (e set). */
static int sl_exec_table_stage(sl_exec_table *t, const sl_job_table *cfg, sl_err *e)
{
    sl_exec *run = t->run;
    int already_all = 1;
    for (int k = 0; k < t->nouts; k++) {
        sl_exec_out *x = &t->outs[k];
        const sl_exec_target *xt = sl_exec_target_of(run, x->target);
        if (!xt->lock) {
            *e = xt->err;
            return -1;
        }
        x->sink = sl_sink_lookup(sl_store_sink_kind(x->target));
        x->sg = (sl_stage){ .ops = xt->store, .target = x->target, .job = run->job->name, .run_id = run->run_id,
                            .run_started = run->start.started, .table = x->reject ? x->table_name : cfg->name,
                            .cfg = sl_exec_incr_cfg(t, cfg), .allow_mass_delete = run->opts->allow_mass_delete,
                            .keys_path = t->incr ? t->incr->keys_path : NULL,
                            .keys_dir = t->incr ? t->incr->keys_dir : NULL, .keys_kept = sl_exec_incr_keys_kept(t) };
        if (!x->sink || !x->sg.ops)
            return sl_err_set(e, SL_EJOB, "target %s: kind %s is not built into this binary", x->target->name,
                              x->target->kind);
        if (x->sg.ops->stage_open(&x->sg, e) < 0) return -1;
        x->staged = true;
        int already = run->start.resumed ? x->sg.ops->already(&x->sg, e) : 0;
        if (already < 0) return -1;
        x->published = already;
        if (!already) already_all = 0;
    }
    if (!already_all || !run->start.resumed) return 0;
    if (sl_exec_table_adopt(t, e) < 0) return -1;
    return 1;
}

/* A table kept whole from before the resume: its tasks count as kept in the
 * run's summary, as its rows do (so "N tasks ... M kept" agree). */
static void sl_exec_count_kept_tasks(sl_exec_table *t, const sl_job_table *cfg)
{
    sl_task_rec *recs = NULL;
    int n = 0;
    sl_err ignore = SL_ERR_INIT;
    if (sl_state_tasks_list(t->run->state, t->run->run_id, cfg->name, &recs, &n, &ignore) == 0) {
        t->tasks_kept = n;
        sl_state_tasks_free(recs, n);
    }
}

/* Everything before a table's tasks can run. Returns 0 when its tasks are
 * to be queued, 1 when there is nothing to run (kept), -1 when it failed. */
int sl_exec_table_setup(sl_exec_table *t, const sl_job_table *cfg)
{
    sl_exec *run = t->run;
    const sl_job *job = run->job;
    sl_err e = SL_ERR_INIT;
    t->prep.cfg = cfg;

    /* Incremental: what to read (a resumed run: what it read before). */
    if (sl_exec_incr_begin(t, cfg, &e) < 0) goto failed;
    /* Published by an earlier session of this run: nothing to do. */
    sl_table_rec rec;
    int have = run->start.resumed ? sl_state_table_get(run->state, run->run_id, cfg->name, &rec, &e) : 0;
    if (have < 0) goto failed;
    if (have && !strcmp(rec.status, "published")) {
        if (sl_exec_incr_published(t, &e) < 0) goto failed;
        t->published = t->kept = true;
        t->rows = rec.rows;
        t->bytes = rec.bytes;
        sl_exec_count_kept_tasks(t, cfg);
        sl_log(SL_LOG_INFO, "table %s: published before the resume (%lld rows); kept", cfg->name,
               (long long)rec.rows);
        return 1;
    }
    int staged = sl_exec_table_stage(t, cfg, &e);
    if (staged < 0) goto failed;
    if (staged == 1) {
        t->published = t->kept = true;
        sl_exec_count_kept_tasks(t, cfg);
        return 1;
    }
    /* Something that is not this job's table in the way: fail before reading the source. */
    if (sl_prep_check_target(job, cfg, &e) < 0) {
        sl_exec_table_setup_failed(t, &e, true);
        return -1;
    }

    if (sl_exec_prepare(run, &t->prep, cfg, t->incr ? &t->incr->in : NULL, &e) < 0) {
        sl_exec_table_setup_failed(t, &e, true);   /* already says job and table */
        return -1;
    }
    t->prepared = true;
    sl_exec_checks_ready(t);
    if (sl_exec_incr_prepared(t, &e) < 0) goto failed;
    for (int k = 0; k < t->nouts; k++) t->outs[k].sg.schema = t->outs[k].reject ? t->reject_schema : t->prep.st.schema;
    if (sl_exec_store_step(t, "staging", sl_exec_table_ready, &e) < 0) goto failed;
    t->snapshot_time = have && rec.snapshot_time > 0 ? rec.snapshot_time : sl_wall_now();
    int n = t->prep.st.ntasks;
    t->metrics = sl_calloc((size_t)(n ? n : 1), sizeof *t->metrics);
    t->task_ids = sl_calloc((size_t)(n ? n : 1), sizeof *t->task_ids);
    sl_task_spec *specs = sl_calloc((size_t)(n ? n : 1), sizeof *specs);
    for (int k = 0; k < n; k++) {
        t->metrics[k].est_rows = t->prep.st.tasks[k].est_rows;
        specs[k] = (sl_task_spec){ k, t->prep.st.tasks[k].predicate, t->prep.st.tasks[k].est_rows };
    }
    bool replanned = false;
    char label[1200];
    sl_store_target_label(cfg->target, label, sizeof label);
    int rc = sl_state_table_register(run->state, run->run_id, cfg->name, label, t->snapshot_time, &e);
    char *columns = sl_state_columns_text(t->prep.st.schema);
    if (rc == 0)
        rc = sl_state_tasks_register(run->state, run->run_id, cfg->name, columns, specs, n, t->task_ids, &replanned, &e);
    sl_free(columns);
    sl_free(specs);
    if (rc < 0) goto failed;
    for (int k = 0; k < t->nouts && replanned; k++)
        if (t->outs[k].sg.ops->reset(&t->outs[k].sg, &e) < 0) goto failed;
    if (run->start.resumed && !replanned && sl_exec_table_keep_done(t, &e) < 0) goto failed;

    t->meta[t->nmeta++] = (sl_sink_kv){ "sluice.version", SL_VERSION };
    t->meta[t->nmeta++] = (sl_sink_kv){ "sluice.run_id", run->run_id_text };
    t->meta[t->nmeta++] = (sl_sink_kv){ "sluice.job", job->name };
    t->meta[t->nmeta++] = (sl_sink_kv){ "sluice.table", cfg->name };
    t->meta[t->nmeta++] = (sl_sink_kv){ "sluice.source_kind", cfg->source->kind };
    sl_exec_emit(run, &(sl_event){ .kind = SL_EV_NODE_STARTED, .node = t->index, .task = -1, .worker = -1,
                                   .source = cfg->source ? cfg->source->name : NULL, .count = n,
                                   .kept = t->tasks_kept, .est_rows = sl_prep_table_est_rows(&t->prep) });
    for (int k = 0; k < n; k++)
        if (t->metrics[k].kept)
            sl_exec_emit(run, &(sl_event){ .kind = SL_EV_TASK_FINISHED, .node = t->index, .task = k, .kept = 1,
                                           .worker = t->metrics[k].worker, .rows = (int64_t)t->metrics[k].rows,
                                           .bytes = (int64_t)t->metrics[k].bytes,
                                           .data_bytes = (int64_t)t->metrics[k].data_bytes,
                                           .seconds = t->metrics[k].seconds,
                                           .predicate = t->prep.st.tasks[k].predicate });
    atomic_store(&t->tasks_ended, t->tasks_kept);
    return t->tasks_kept == n ? 1 : 0;

failed:
    sl_exec_table_setup_failed(t, &e, false);
    return -1;
}

/* ---- the run ---- */

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
    snprintf(s->run_id, sizeof s->run_id, "%s", run->run_label[0] ? run->run_label : run->run_id_text);
    s->resumed = run->start.resumed;
    s->tables = run->ntables;
    s->table_metrics = sl_calloc((size_t)(run->ntables ? run->ntables : 1), sizeof *s->table_metrics);
    for (int i = 0; i < run->ntables; i++) {
        sl_exec_table *t = &run->tables[i];
        sl_table_metrics *tm = &s->table_metrics[i];
        int n = t->metrics ? t->prep.st.ntasks : 0;
        tm->name = run->job->tables[i].name;
        tm->published = t->published;
        tm->kept = t->kept;
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
            if (t->metrics[k].kept) s->tasks_kept++;
        }
        if (t->kept) {
            tm->rows = (uint64_t)t->rows;
            tm->bytes = (uint64_t)t->bytes;
            s->tables_kept++;
            if (n == 0) {   /* no metrics this session: its tasks, all kept */
                s->tasks_kept += t->tasks_kept;
                s->tasks += t->tasks_kept;
            }
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

/* Lock, state store, resume or begin. */
static int sl_exec_begin(sl_exec *run, sl_err *err)
{
    const sl_job *job = run->job;
    char *path = run->opts->state_path ? sl_strdup(run->opts->state_path) : sl_state_default_path(job->dir);
    char *dir = sl_fs_dirname(path);
    int rc = -1;
    run->lock = sl_lock_acquire(dir, job->name, err);
    if (!run->lock) goto out;
    run->state = sl_state_open(path, err);
    if (!run->state) goto out;
    char hash[SL_STATE_HASH_LEN];
    sl_err he = SL_ERR_INIT;
    if (!job->file || sl_state_hash_file(job->file, hash, &he) < 0) {
        /* A job given as text (tests): its name stands for its content. */
        sl_state_hash(job->name, strlen(job->name), hash);
    }
    if (sl_state_run_begin(run->state, job->name, hash, run->opts->fresh, &run->start, err) < 0) goto out;
    run->run_id = run->start.run_id;
    snprintf(run->run_id_text, sizeof run->run_id_text, "%lld", (long long)run->run_id);
    snprintf(run->run_label, sizeof run->run_label, "%lld", (long long)sl_state_run_number(run->state, run->run_id));
    if (run->start.note[0]) sl_log(SL_LOG_INFO, "job %s: %s", job->name, run->start.note);
    char *holder = sl_sprintf("run %lld of state store %s", (long long)run->run_id, path);
    sl_err le = SL_ERR_INIT;
    if (sl_lock_set_holder(run->lock, holder, &le) < 0) sl_log(SL_LOG_DEBUG, "%s", le.msg);
    run->targets = sl_calloc((size_t)(job->ntargets ? job->ntargets : 1), sizeof *run->targets);
    sl_exec_lock_targets(run, holder);
    sl_free(holder);
    /* Staging of runs that will not be resumed goes; problems here are only worth a warning. */
    for (int i = 0; i < job->ntargets; i++) {
        if (!sl_exec_target_of(run, &job->targets[i])->lock) continue;   /* maybe another run's */
        sl_err ce = SL_ERR_INIT;
        int removed = 0;
        const sl_store_ops *store = sl_store_for(&job->targets[i]);
        if (store && store->clean_stale(&job->targets[i], job->name, run->run_id, &removed, &ce) < 0)
            sl_log(SL_LOG_WARN, "target %s: cannot remove stale staging files: %s", job->targets[i].name, ce.msg);
    }
    rc = 0;
out:
    if (rc < 0 && strncmp(err->msg, "job ", 4)) sl_err_prefix(err, "job %s", job->name);
    sl_free(path);
    sl_free(dir);
    return rc;
}

/* Run end in the state store and the staging area. */
static void sl_exec_finish(sl_exec *run, int rc, const sl_err *err)
{
    const sl_job *job = run->job;
    sl_err e = SL_ERR_INIT;
    if (sl_state_run_finish(run->state, run->run_id, rc == 0 ? SL_RUN_SUCCEEDED : SL_RUN_FAILED,
                            rc == 0 ? NULL : err->msg, &e) < 0)
        sl_log(SL_LOG_WARN, "job %s: cannot record the end of run %lld: %s", job->name, (long long)run->run_id,
               e.msg);
    if (rc == 0) sl_exec_incr_prune_others(run);
    for (int i = 0; i < job->ntargets; i++) {
        if (!sl_exec_target_of(run, &job->targets[i])->lock) continue;
        sl_err_clear(&e);
        const sl_store_ops *store = sl_store_for(&job->targets[i]);
        if (store && store->clean_run(&job->targets[i], job->name, run->run_id, rc == 0, &e) < 0) sl_log(SL_LOG_DEBUG, "target %s: cleaning the staging area: %s", job->targets[i].name, e.msg);
    }
}

int sl_exec_run(const sl_job *job, const sl_run_opts *opts, sl_run_summary *summary, sl_err *err)
{
    static const sl_run_opts defaults = { 0 };
    if (!opts) opts = &defaults;
    sl_err local_err = SL_ERR_INIT;
    if (!err) err = &local_err;
    sl_exec run = { .job = job, .opts = opts, .started = sl_exec_now() };
    pthread_mutex_init(&run.graph_mu, NULL);
    run.cancel = opts->cancel;
    if (!run.cancel) run.cancel = run.own_cancel = sl_cancel_new();
    sl_interrupt *watcher = sl_interrupt_start(job, opts->source_lookup, run.cancel);
    run.workers = opts->workers > 0 ? opts->workers : sl_cores();
    run.ntables = job->ntables;
    run.tables = sl_calloc((size_t)(job->ntables ? job->ntables : 1), sizeof *run.tables);
    for (int i = 0; i < job->ntables; i++) {
        sl_exec_table *t = &run.tables[i];
        t->run = &run;
        t->index = i;
        t->prep.cfg = &job->tables[i];
        t->cur = &t->prep;
        const sl_job_table *cfg = &job->tables[i];
        t->outs = sl_exec_checks_outs(cfg, &t->nouts);
        pthread_mutex_init(&t->mu, NULL);
    }
    sl_progress_mode mode = opts->progress < 0 ? SL_PROGRESS_OFF : opts->progress > 0 ? sl_progress_auto() : SL_PROGRESS_LOG;
    run.progress = sl_progress_observer_new(mode);
    sl_events_add(&run.events, sl_progress_observer_get(run.progress));
    for (int i = 0; opts->observers && i < opts->observers->n; i++) sl_events_add(&run.events, opts->observers->list[i]);
    sl_run_summary local;
    sl_run_summary *s = summary ? summary : &local;
    int rc = 0;

    if (sl_exec_graph_build(&run, err) < 0 || sl_exec_begin(&run, err) < 0) {
        sl_exec_summarise(&run, s);
        for (int i = 0; i < job->ntables; i++) s->table_metrics[i].published = false;
        s->tables_failed = job->ntables;
        rc = -1;
        sl_exec_emit(&run, &(sl_event){ .kind = SL_EV_RUN_FAILED, .node = -1, .task = -1, .worker = -1,
                                        .seconds = sl_exec_now() - run.started, .message = err->msg, .code = err->code });
        goto release;
    }
    sl_log(SL_LOG_INFO, "job %s: run %s: %d table%s, %d worker%s", job->name, run.run_label[0] ? run.run_label : run.run_id_text, job->ntables,
           job->ntables == 1 ? "" : "s", run.workers, run.workers == 1 ? "" : "s");
    sl_exec_emit(&run, &(sl_event){ .kind = SL_EV_RUN_STARTED, .node = -1, .task = -1, .worker = run.workers,
                                    .count = job->ntables });

    /* 1. Every table: kept, or prepared and staged. */
    int64_t ntasks_all = 0;
    int *setup = sl_calloc((size_t)(job->ntables ? job->ntables : 1), sizeof *setup);
    for (int i = 0; i < job->ntables; i++) {
        sl_exec_table *t = &run.tables[i];
        t->started = sl_exec_now();
        /* Computed tables wait for their inputs (sl_exec_graph.c). */
        setup[i] = sl_exec_graph_deferred(&run, i) ? 2 : sl_run_cancelled(&run) ? -1 : sl_exec_table_setup(t, &job->tables[i]);
        if (setup[i] == 0) ntasks_all += t->prep.st.ntasks - t->tasks_kept;
    }

    /* 2. The tasks still to do, in one queue, largest first. */
    sl_exec_task *tasks = sl_calloc((size_t)(ntasks_all ? ntasks_all : 1), sizeof *tasks);
    sl_task_order *order = sl_calloc((size_t)(ntasks_all ? ntasks_all : 1), sizeof *order);
    int64_t nt = 0;
    for (int i = 0; i < job->ntables; i++) {
        sl_exec_table *t = &run.tables[i];
        if (setup[i] != 0) continue;
        for (int k = 0; k < t->prep.st.ntasks; k++) {
            if (t->metrics[k].kept) continue;
            tasks[nt] = (sl_exec_task){ t, k };
            order[nt] = (sl_task_order){ &tasks[nt], t->prep.st.tasks[k].est_rows, (int)nt };
            nt++;
        }
    }
    qsort(order, (size_t)nt, sizeof *order, sl_cmp_order);

    int *limits = sl_calloc((size_t)(job->nsources ? job->nsources : 1), sizeof(int));
    for (int k = 0; k < job->nsources; k++) limits[k] = job->sources[k].max_connections;
    sl_exec_emit(&run, &(sl_event){ .kind = SL_EV_RUN_TASKS_QUEUED, .node = -1, .task = -1, .worker = -1, .count = (int)nt });
    sl_pool *pool = sl_pool_new(run.workers, limits, job->nsources);
    run.pool = pool;
    for (int64_t k = 0; k < nt; k++) {
        const sl_job_source *src = order[k].task->table->prep.cfg->source;
        sl_pool_submit(pool, sl_task_run, order[k].task, (int)(src - job->sources));
    }
    /* A table with no task left to run (empty, or all kept by the resume) is published at once. */
    for (int i = 0; i < job->ntables; i++)
        if (setup[i] == 1 && run.tables[i].prepared) sl_exec_table_end(&run.tables[i]);
    sl_exec_graph_start(&run, setup);
    sl_pool_wait(pool);
    sl_exec_graph_finish(&run);
    sl_pool_free(pool);
    sl_exec_emit(&run, &(sl_event){ .kind = SL_EV_RUN_TASKS_DONE, .node = -1, .task = -1, .worker = -1 });

    /* 3. Sum up, end the run. */
    sl_exec_summarise(&run, s);
    int failed = 0;
    for (int i = 0; i < job->ntables; i++) {
        sl_exec_table *t = &run.tables[i];
        if (t->published) continue;
        failed++;
        if (failed == 1) {
            *err = t->err;
            rc = -1;
        } else if (!t->warned && !sl_run_cancelled(&run)) {
            /* Failed before it ran (prepare, staging): not reported yet. */
            sl_log(SL_LOG_WARN, "%s", t->err.msg);
        }
    }
    /* Exit 3 (checks failed) only when nothing else failed. */
    for (int i = 0; i < job->ntables && rc < 0 && err->code == SL_ECHECKS; i++)
        if (!run.tables[i].published && run.tables[i].err.code != SL_ECHECKS && sl_err_is_set(&run.tables[i].err))
            err->code = run.tables[i].err.code;
    if (failed > 1) {
        char more[512] = "";
        size_t used = 0;
        for (int i = 0; i < job->ntables && used < sizeof more; i++)
            if (!run.tables[i].published)
                used += (size_t)snprintf(more + used, sizeof more - used, "%s%s", used ? ", " : "",
                                         job->tables[i].name);
        size_t len = strlen(err->msg);
        snprintf(err->msg + len, sizeof err->msg - len, " (%d tables failed: %s; see the warnings above)", failed, more);
    }
    if (rc < 0 && sl_run_cancelled(&run)) {
        int published = job->ntables - failed;
        sl_err_set(err, SL_EIO, "job %s: interrupted: %d table%s published before the interrupt, %d not "
                   "(their previous versions are unchanged)", job->name, published, published == 1 ? "" : "s", failed);
    }
    if (rc == 0 && sl_failpoint(SL_FP_RUN_FINISH, err) < 0) {
        sl_err_prefix(err, "job %s", job->name);
        rc = -1;
    }
    sl_exec_finish(&run, rc, err);
    sl_exec_emit(&run, &(sl_event){ .kind = rc == 0 ? SL_EV_RUN_FINISHED : SL_EV_RUN_FAILED, .node = -1, .task = -1,
                                    .worker = -1, .seconds = sl_exec_now() - run.started, .rows = (int64_t)s->rows,
                                    .bytes = (int64_t)s->bytes, .message = rc == 0 ? NULL : err->msg,
                                    .code = rc == 0 ? 0 : err->code });
    sl_free(setup);
    sl_free(limits);
    sl_free(order);
    sl_free(tasks);

release:
    for (int i = 0; i < job->ntables; i++) {
        sl_exec_table *t = &run.tables[i];
        if (t->cur && t->cur != &t->prep) {
            sl_prep_table_release(t->cur);
            sl_free(t->cur);
        }
        for (int k = 0; k < t->nretired; k++) {
            sl_prep_table_release(t->retired[k]);
            sl_free(t->retired[k]);
        }
        sl_free(t->retired);
        sl_prep_table_release(&t->prep);
        for (int k = 0; k < t->nouts; k++)
            if (t->outs[k].staged) t->outs[k].sg.ops->stage_close(&t->outs[k].sg);
        sl_exec_checks_outs_free(t);
        sl_free(t->metrics);
        sl_free(t->task_ids);
        sl_exec_incr_free(t);
        pthread_mutex_destroy(&t->mu);
    }
    sl_exec_graph_free(&run);
    if (run.state) sl_state_close(run.state);
    sl_exec_unlock_targets(&run);
    sl_lock_release(run.lock);
    sl_progress_observer_free(run.progress);
    sl_interrupt_stop(watcher);   /* before the cancel handle it watches is freed */
    sl_cancel_free(run.own_cancel);
    sl_free(run.tables);
    if (!summary) sl_run_summary_free(&local);
    pthread_mutex_destroy(&run.graph_mu);
    return rc;
}
