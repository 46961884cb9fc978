/*
 * sl_task.c - one task: its pipeline source -> batches -> sink, its
 * attempts, and its retries.
 *
 * sl_task_attempt() is the single place where an attempt does its work: it
 * opens a reader on the task's partition, an output in the table's staging
 * area (the target's store, store/sl_store.h; for a directory
 * "<stage>/.part-00003.parquet.tmp") and the sink encoding into it, moves
 * batches (one sl_batch per attempt, reset between batches, so memory stays
 * bounded by one batch plus the sink's buffers), finishes the sink and has
 * the store commit the output (for a directory: fsync, rename to
 * part-00003.parquet, fsync of the directory). Outputs are named per task,
 * not per attempt, so a redone task replaces its output and never adds a
 * second copy. On failure the store discards the output and the task takes
 * back the progress it reported.
 *
 * sl_task_run() is the pool's work item: it skips the task when its table
 * has already failed, records every attempt in the state store
 * (sl_state_attempt_begin / _end: outcome, error, rows, file, CRC-32),
 * retries transient failures (SL_ETRANSIENT) up to the job's `retries` with
 * exponential backoff and full jitter from `retry_backoff`
 * (state/sl_backoff.h), and tells sl_exec.c the task ended. Any other error
 * fails the task at once - except a source error after the table lost a
 * connection, or one about the table's shared snapshot: the source's
 * sessions holding the snapshot may have died with the connection, so the
 * table is prepared again (a new snapshot) and the task retried, within the
 * same `retries`. Sources say the snapshot is gone with SL_ESNAPSHOT; such
 * an error carries the task's last other failure (preparing again, or an
 * earlier attempt: the server is down, ...) as its cause and takes its class.
 * Failpoints task-start and task-write (core/sl_failpoint.h) are hit here;
 * task-file-synced and task-commit in the store's commit.
 *
 * The free checks: every attempt compares the rows the source reported for
 * its read (PostgreSQL's `COPY n`; sources without a count skip this), the
 * rows decoded into batches, and the rows each target wrote (the sink's
 * count: a Parquet footer's num_rows; then the store's, after commit). Any
 * difference fails the task with SL_ECHECK and all three numbers; it is
 * never retried.
 */
#include "sl_exec_int.h"

#include "../checks/sl_check_row.h"
#include "../core/sl_alloc.h"
#include "../core/sl_failpoint.h"
#include "../core/sl_log.h"
#include "../state/sl_backoff.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Bytes of values in a batch: fixed widths plus the var-width heaps. */
static uint64_t sl_batch_data_bytes(const sl_batch *b)
{
    uint64_t n = 0;
    for (int c = 0; c < b->ncols; c++) {
        const sl_vector *v = &b->cols[c];
        if (v->child) {
            const sl_vector *e = v->child;
            uint64_t k = (uint64_t)v->offsets[b->nrows];
            n += sl_type_is_varlen(e->type) ? (uint64_t)e->offsets[k] : (uint64_t)(e->width * k);
            continue;
        }
        n += sl_type_is_varlen(v->type) ? (uint64_t)v->offsets[b->nrows] : (uint64_t)(v->width * b->nrows);
    }
    return n;
}

/* This thread's CPU time, to measure what receipts cost (two calls per batch). */
static uint64_t sl_task_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void sl_task_file_name(const sl_exec_out *o, int task_index, char *out, size_t size)
{
    snprintf(out, size, "part-%05d.%s", task_index, o->sink->extension);
}

/* The preparation tasks read through now, and its generation. */
static sl_prep_table *sl_task_prep(sl_exec_table *t, int *gen)
{
    pthread_mutex_lock(&t->mu);
    sl_prep_table *p = t->cur;
    *gen = t->prep_gen;
    pthread_mutex_unlock(&t->mu);
    return p;
}

/* A task whose counts disagree: rows were lost or invented between the
 * source and a target. Never retried (SL_ECHECK): a retry that happened to
 * agree would hide it. */
static void sl_task_rows_mismatch(const sl_exec_table *t, int64_t reported, uint64_t decoded, const char *target,
                                  int64_t written, sl_err *err)
{
    char src[96] = "", dst[160] = "";
    const char *kind = t->prep.cfg->source->kind;
    if (reported >= 0)
        snprintf(src, sizeof src, "the source reported %lld%s, ", (long long)reported,
                 !strcmp(kind, "postgres") ? " (COPY n)" : "");
    else
        snprintf(src, sizeof src, "the %s source gives no count of its own, ", kind);
    if (target) snprintf(dst, sizeof dst, ", target %s wrote %lld", target, (long long)written);
    else snprintf(dst, sizeof dst, ", nothing written yet");
    sl_err_set(err, SL_ECHECK, "row counts do not agree: %s%llu were decoded%s; the task fails and the table is "
               "not published (this is a bug in sluice or a fault in the target: report it with the log)",
               src, (unsigned long long)decoded, dst);
}

/* The failpoint batch-change-value: the first integer (or 64-bit decimal)
 * value of the batch's first row grows by one, as a decoder bug would. */
static void sl_task_change_value(sl_batch *b)
{
    for (int c = 0; c < b->ncols && b->nrows; c++) {
        sl_vector *v = &b->cols[c];
        sl_type_id id = v->type.id;
        if (!v->valid[0]) continue;
        if (id == SL_T_INT64 || (id == SL_T_DECIMAL && v->width == 8)) {
            ((int64_t *)v->data)[0]++;
            return;
        }
        if (id == SL_T_INT32) {
            ((int32_t *)v->data)[0]++;
            return;
        }
    }
}

/* `verify: source`: the source's own aggregates over the task's rows, in
 * the same snapshot, must equal the receipt of what was read. */
static int sl_task_reconcile(sl_exec_table *t, const sl_source_ops *src, void *reader, const sl_schema *schema,
                             const sl_task_receipt *rc, sl_err *err)
{
    if (!src->aggregates)
        return sl_err_set(err, SL_EJOB, "verify: source: the %s source cannot compute aggregates",
                          t->prep.cfg->source->kind);
    double started = sl_exec_now();
    char *theirs = src->aggregates(reader, err);
    atomic_fetch_add(&t->reconcile_ns, (uint64_t)((sl_exec_now() - started) * 1e9));
    if (!theirs) return -1;
    sl_buf ours = { 0 }, report = { 0 };
    sl_receipt_json(rc->receipt, schema, NULL, &ours);
    sl_buf_push(&ours, 0);
    int diffs = sl_receipt_json_diff((const char *)ours.data, theirs, true, "the receipt says", "the source says",
                                     &report);
    sl_buf_push(&report, 0);
    if (diffs) {
        char *nl = strchr((char *)report.data, '\n');
        if (nl) *nl = '\0';
        sl_err_set(err, SL_ECHECK, "verify: source: %d difference%s between what was read and the source's own "
                   "aggregates in the same snapshot, first: %s; the table is not published (the rows changed on "
                   "the way: report it with the log)", diffs, diffs == 1 ? "" : "s", (const char *)report.data);
    }
    sl_buf_free(&ours);
    sl_buf_free(&report);
    sl_free(theirs);
    return diffs ? -1 : 0;
}

/* Another task of t has failed it for good (or it failed). */
static bool sl_task_stopped(sl_exec_table *t, int task_index)
{
    int by = atomic_load(&t->doomed_by);
    return atomic_load(&t->failed) || (by && by != task_index + 1) || sl_run_cancelled(t->run);
}

int sl_task_attempt(sl_exec_table *t, int task_index, int worker, sl_task_metrics *m, sl_task_output *done,
                    sl_task_receipt *rc, sl_err *err)
{
    int gen;
    sl_prep_table *p = sl_task_prep(t, &gen);
    const sl_task *task = &p->st.tasks[task_index];
    const sl_source_ops *src = p->source;
    const sl_schema *schema = p->st.schema;
    const int nouts = t->nouts;
    /* One output per target: the store's sl_out and the sink encoding into it. */
    struct { char name[64]; sl_out *out; void *writer; } *o = sl_calloc((size_t)nouts, sizeof *o);
    for (int k = 0; k < nouts; k++) sl_task_file_name(&t->outs[k], task_index, o[k].name, sizeof o[k].name);

    double started = sl_exec_now();
    m->worker = worker;
    m->rows = m->bytes = m->data_bytes = 0;
    m->crc32 = 0;
    sl_receipt_reset(rc->receipt);
    rc->source = p->st.snapshot;
    sl_free(rc->owned);
    rc->owned = NULL;

    void *reader = NULL;
    sl_batch *batch = NULL, *rej = NULL;
    int committed = 0;
    /* Row-level checks on the batches; with drop or quarantine the bad rows are split off. */
    sl_check_row *ev = sl_check_row_new(t->prep.cfg, schema);
    uint64_t nsplit = 0;
    if (sl_failpoint(SL_FP_TASK_START, err) < 0) goto fail;
    reader = src->open(&p->st, task, err);
    if (!reader) goto fail;
    for (int k = 0; k < nouts; k++) {
        sl_exec_out *x = &t->outs[k];
        o[k].out = x->sg.ops->create(&x->sg, o[k].name, err);
        if (!o[k].out) goto fail;
        o[k].writer = x->sink->open(x->target, x->reject ? t->reject_schema : schema, o[k].out, t->meta, t->nmeta, err);
        if (!o[k].writer) goto fail;
    }
    batch = sl_batch_new(schema, SL_BATCH_ROWS);
    if (ev && t->reject_schema) rej = sl_batch_new(t->reject_schema, SL_BATCH_ROWS);
    for (;;) {
        sl_batch_reset(batch);
        long n = src->next(reader, batch, err);
        if (n < 0) goto fail;
        if (n == 0) break;
        if ((size_t)n > batch->capacity) {
            sl_err_set(err, SL_EINTERNAL, "source returned %ld rows for a batch of %zu", n, batch->capacity);
            goto fail;
        }
        batch->nrows = (size_t)n;
        int fault = sl_failpoint(SL_FP_BATCH_CHANGE_VALUE, err);
        if (fault < 0) goto fail;
        if (fault > 0) sl_task_change_value(batch);
        uint64_t data = sl_batch_data_bytes(batch);
        if (ev) nsplit += sl_exec_checks_batch(t, ev, batch, rej);
        uint64_t r0 = sl_task_cpu_ns();
        sl_receipt_add(rc->receipt, batch);
        atomic_fetch_add(&t->receipt_ns, sl_task_cpu_ns() - r0);
        if (sl_failpoint(SL_FP_TASK_WRITE, err) < 0) goto fail;
        for (int k = 0; k < nouts; k++) {
            sl_batch *to = t->outs[k].reject ? rej : batch;
            if (to && to->nrows && t->outs[k].sink->write(o[k].writer, to, err) < 0) {
                if (nouts > 1) sl_err_prefix(err, "target %s", t->outs[k].target->name);
                goto fail;
            }
        }
        m->rows += (uint64_t)n;
        m->data_bytes += data;
        sl_exec_emit(t->run, &(sl_event){ .kind = SL_EV_PROGRESS, .node = t->index, .task = task_index, .worker = worker,
                                          .rows = n, .bytes = (int64_t)data });
        /* A task of a table that failed elsewhere stops early: the table is not published this time. */
        if (atomic_load(&t->failed)) {
            sl_err_set(err, SL_EINTERNAL, "stopped: another task of the table failed");
            goto fail;
        }
        if (sl_run_cancelled(t->run)) {
            sl_err_set(err, SL_EIO, "interrupted");
            goto fail;
        }
    }
    /* The free checks: the source's own count, the rows decoded, and below
     * the rows each target wrote must agree. */
    int64_t reported = src->reported_rows ? src->reported_rows(reader) : -1;
    if (reported >= 0 && reported != (int64_t)m->rows) {
        sl_task_rows_mismatch(t, reported, m->rows, NULL, -1, err);
        goto fail;
    }
    if (t->prep.cfg->verify_source && sl_task_reconcile(t, src, reader, schema, rc, err) < 0) goto fail;
    if (src->identity && (rc->owned = src->identity(reader))) rc->source = rc->owned;
    src->close(reader);
    reader = NULL;
    sl_batch_free(batch);
    batch = NULL;
    sl_batch_free(rej);
    rej = NULL;
    for (int k = 0; k < nouts; k++) {
        sl_exec_out *x = &t->outs[k];
        void *finishing = o[k].writer;
        o[k].writer = NULL;
        uint64_t written = 0;
        /* What this output must hold: the rows read, less those split off; a quarantine holds those. */
        uint64_t want = x->reject ? nsplit : m->rows - nsplit;
        if (x->sink->finish(finishing, &written, err) < 0) goto fail;
        if (written != want) {
            sl_task_rows_mismatch(t, reported, m->rows, x->target->name, (int64_t)written, err);
            goto fail;
        }
        /* What the sink wrote; a store that counts what it holds (a warehouse's COPY n) replaces it. */
        sl_store_file f = { .name = o[k].name, .rows = (int64_t)written };
        sl_out *committing = o[k].out;
        o[k].out = NULL;
        if (x->sg.ops->commit(&x->sg, committing, &f, err) < 0) {
            if (nouts > 1) sl_err_prefix(err, "target %s", x->target->name);
            goto fail;
        }
        committed = k + 1;
        if (f.rows != (int64_t)want) {
            sl_task_rows_mismatch(t, reported, m->rows, x->target->name, f.rows, err);
            goto fail;
        }
        done[k] = (sl_task_output){ sl_exec_out_name(x), NULL, f.bytes, f.crc32, nsplit > 0, (int64_t)want };
        m->bytes += (uint64_t)f.bytes;
        if (k == 0) m->crc32 = f.crc32;
    }
    if (ev && sl_exec_checks_task_done(t, task_index, ev, err) < 0) goto fail;
    sl_check_row_free(ev);
    m->seconds = sl_exec_now() - started;
    sl_free(o);
    return 0;

fail:
    if (!sl_err_is_set(err)) sl_err_set(err, SL_EINTERNAL, "failed without saying why");
    /* An error no retry or new session cures fails the table: say so before the
     * session closes, so the table's other tasks stop rather than retry. */
    if (!sl_err_is_transient(err) && err->code != SL_ESNAPSHOT && err->code != SL_ESOURCE) {
        int none = 0;
        atomic_compare_exchange_strong(&t->doomed_by, &none, task_index + 1);
    }
    if (reader) src->close(reader);
    sl_batch_free(batch);
    sl_batch_free(rej);
    sl_check_row_free(ev);
    /* Outputs already committed stay: the retry replaces them (same names). */
    for (int k = committed; k < nouts; k++) {
        if (o[k].writer) t->outs[k].sink->abort(o[k].writer);
        t->outs[k].sg.ops->discard(&t->outs[k].sg, o[k].name, o[k].out);
    }
    sl_free(o);
    if (m->rows || m->data_bytes)
        sl_exec_emit(t->run, &(sl_event){ .kind = SL_EV_PROGRESS, .node = t->index, .task = task_index, .worker = worker,
                                          .rows = -(int64_t)m->rows, .bytes = -(int64_t)m->data_bytes });
    m->seconds = sl_exec_now() - started;
    if (err->code == SL_ETRANSIENT) atomic_store(&t->saw_transient, true);
    return -1;
}

/* Ends attempt `number` in the state store; a store that cannot record a
 * success fails the task (its file would not be known to the publish). */
static int sl_task_record(sl_exec_table *t, int task_index, int number, const sl_err *failure, bool will_retry,
                          const sl_task_metrics *m, sl_task_output *outs, const sl_task_receipt *rc, sl_err *err)
{
    if (number <= 0) return 0;
    sl_buf blob = { 0 };
    bool ok = !failure || !sl_err_is_set(failure);
    if (ok) sl_receipt_encode(rc->receipt, &blob);
    char names[SL_JOB_MAX_TARGETS][64];
    for (int k = 0; k < t->nouts; k++) {
        sl_task_file_name(&t->outs[k], task_index, names[k], sizeof names[k]);
        outs[k].name = names[k];
        outs[k].target = sl_exec_out_name(&t->outs[k]);
    }
    sl_task_result res = { .rows = (int64_t)m->rows, .bytes = (int64_t)m->data_bytes, .seconds = m->seconds,
                           .file_name = names[0], .file_size = outs[0].size, .crc32 = outs[0].crc32,
                           .outputs = outs, .noutputs = t->nouts, .receipt = ok ? blob.data : NULL,
                           .receipt_len = blob.len, .source = ok ? rc->source : NULL };
    sl_err e = SL_ERR_INIT;
    int st = sl_state_attempt_end(t->run->state, t->task_ids[task_index], number, failure, will_retry, &res, &e);
    sl_buf_free(&blob);
    if (st < 0) {
        if (failure && sl_err_is_set(failure)) {
            sl_log(SL_LOG_WARN, "table %s: task %d: cannot record its failed attempt: %s", t->prep.cfg->name,
                   task_index + 1, e.msg);
            return 0;
        }
        *err = e;
        sl_err_prefix(err, "recording the finished task in the state store");
        return -1;
    }
    return 0;
}

/* A lost snapshot says what went, not why: the task's last other failure -
 * preparing the table again, or an earlier attempt (a refused connection, a
 * bad password, ...) - is the cause the user has to act on, and its class
 * is the error's. */
static void sl_task_add_cause(const sl_exec_table *t, sl_err *err, const char *cause_what, const sl_err *cause)
{
    char ctx[512];
    snprintf(ctx, sizeof ctx, "job %s: table %s: ", t->run->job->name, t->prep.cfg->name);
    const char *why = cause->msg;
    if (!strncmp(why, ctx, strlen(ctx))) why += strlen(ctx);   /* the task's own prefix says it */
    char old[SL_ERR_MSG_MAX];
    memcpy(old, err->msg, sizeof old);
    sl_err_set(err, cause->code, "%s; %s: %s", old, cause_what, why);
}

void sl_task_run(void *arg, int worker)
{
    sl_exec_task *task = arg;
    sl_exec_table *t = task->table;
    const sl_job *job = t->run->job;
    sl_task_metrics *m = &t->metrics[task->index];
    int ntasks = t->prep.st.ntasks;
    const char *pred = t->prep.st.tasks[task->index].predicate;

    if (sl_task_stopped(t, task->index)) {
        m->status = SL_TM_SKIPPED;
        sl_exec_emit(t->run, &(sl_event){ .kind = SL_EV_TASK_SKIPPED, .node = t->index, .task = task->index,
                                          .worker = worker, .predicate = pred });
        sl_exec_task_ended(t);
        return;
    }
    m->status = SL_TM_RUNNING;
    sl_log(SL_LOG_DEBUG, "table %s: task %d/%d started on worker %d%s%s", t->prep.cfg->name, task->index + 1, ntasks,
           worker, pred ? ": " : "", pred ? pred : "");
    sl_err err = SL_ERR_INIT, cause = SL_ERR_INIT;   /* the last failure that was not a lost snapshot */
    char cause_what[64] = "";
    sl_task_output outs[SL_JOB_MAX_TARGETS] = { { 0 } };
    sl_task_receipt receipt = { sl_receipt_new(t->prep.st.schema), NULL, NULL };
    int rc;
    for (int attempt = 1;; attempt++) {
        m->attempts = attempt;
        sl_err_clear(&err);
        int number = 0;
        rc = sl_state_attempt_begin(t->run->state, t->task_ids[task->index], worker, &number, &err);
        if (rc == 0) {
            sl_exec_emit(t->run, &(sl_event){ .kind = SL_EV_TASK_STARTED, .node = t->index, .task = task->index,
                                              .worker = worker, .attempt = attempt, .predicate = pred,
                                              .est_rows = t->prep.st.tasks[task->index].est_rows });
            int gen;
            sl_task_prep(t, &gen);
            rc = sl_task_attempt(t, task->index, worker, m, outs, &receipt, &err);
            if (rc == 0) {
                rc = sl_task_record(t, task->index, number, NULL, false, m, outs, &receipt, &err);
                if (rc == 0) break;
                number = 0;   /* the failure below cannot be recorded either */
            }
            bool stopped = sl_task_stopped(t, task->index);
            bool retry = !stopped && sl_backoff_should_retry(&err, attempt, job->retries);
            /* A source error after the table lost a connection, or one about its shared snapshot (which
             * may race ahead of the lost connection's own report): the prepared sessions may be gone. */
            if (!stopped && !retry && attempt <= job->retries &&
                ((err.code == SL_ESOURCE && atomic_load(&t->saw_transient)) || err.code == SL_ESNAPSHOT)) {
                sl_err pe = SL_ERR_INIT;
                sl_log(SL_LOG_INFO, "table %s: task %d/%d: a source error after a lost connection: preparing the "
                       "table again", t->prep.cfg->name, task->index + 1, ntasks);
                if (sl_exec_table_reprepare(t, gen, &pe) == 0) {
                    retry = true;
                } else {
                    sl_log(SL_LOG_WARN, "table %s: preparing it again failed: %s", t->prep.cfg->name, pe.msg);
                    if (pe.code == SL_ETRANSIENT) retry = true;
                    cause = pe;
                    snprintf(cause_what, sizeof cause_what, "preparing the table again failed");
                }
            }
            if (err.code == SL_ESNAPSHOT && sl_err_is_set(&cause)) {
                sl_task_add_cause(t, &err, cause_what, &cause);
            } else if (err.code != SL_ESNAPSHOT) {
                cause = err;
                snprintf(cause_what, sizeof cause_what, "attempt %d failed", attempt);
            }
            /* Stopped (another task failed, or interrupted): back to pending for the resume. */
            sl_task_record(t, task->index, number, &err, retry || stopped, m, outs, &receipt, &err);
            if (!retry) break;
        } else if (!sl_backoff_should_retry(&err, attempt, job->retries) || sl_run_cancelled(t->run)) {
            break;
        }
        double wait = sl_backoff_delay(attempt, job->retry_backoff_s, SL_BACKOFF_CAP_S, NULL);
        sl_log(SL_LOG_WARN, "table %s: task %d/%d: attempt %d failed: %s; retrying in %.1fs (%d of %d retries left)",
               t->prep.cfg->name, task->index + 1, ntasks, attempt, err.msg, wait, job->retries - attempt + 1,
               job->retries);
        sl_exec_emit(t->run, &(sl_event){ .kind = SL_EV_TASK_RETRIED, .node = t->index, .task = task->index,
                                          .worker = worker, .attempt = attempt, .seconds = wait, .message = err.msg,
                                          .code = err.code, .predicate = pred });
        sl_exec_sleep(t->run, wait);
        if (sl_task_stopped(t, task->index)) break;
    }
    sl_receipt_free(receipt.receipt);
    sl_free(receipt.owned);
    if (rc == 0) {
        m->status = SL_TM_DONE;
        sl_log(SL_LOG_DEBUG, "table %s: task %d/%d done: %llu rows, %llu bytes, %.2fs, worker %d",
               t->prep.cfg->name, task->index + 1, ntasks, (unsigned long long)m->rows, (unsigned long long)m->bytes,
               m->seconds, worker);
        sl_exec_emit(t->run, &(sl_event){ .kind = SL_EV_TASK_FINISHED, .node = t->index, .task = task->index,
                                          .worker = worker, .attempt = m->attempts, .rows = (int64_t)m->rows,
                                          .bytes = (int64_t)m->bytes, .data_bytes = (int64_t)m->data_bytes,
                                          .seconds = m->seconds, .predicate = pred });
    } else {
        m->status = SL_TM_FAILED;
        if (m->attempts > 1) sl_err_prefix(&err, "failed after %d attempts", m->attempts);
        if (pred) sl_err_prefix(&err, "task %d/%d (%s)", task->index + 1, ntasks, pred);
        else sl_err_prefix(&err, "task %d/%d", task->index + 1, ntasks);
        sl_exec_emit(t->run, &(sl_event){ .kind = SL_EV_TASK_FAILED, .node = t->index, .task = task->index,
                                          .worker = worker, .attempt = m->attempts, .seconds = m->seconds,
                                          .message = err.msg, .code = err.code, .predicate = pred });
        sl_exec_table_fail(t, &err);
    }
    sl_exec_task_ended(t);
}
