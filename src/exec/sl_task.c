/*
 * sl_task.c - one task: its pipeline source -> batches -> sink, its
 * attempts, and its retries.
 *
 * sl_task_attempt() is the single place where an attempt starts and ends:
 * it opens a reader on the task's partition and a writer on a temporary
 * file in the table's staging directory, moves batches (one sl_batch per
 * attempt, reset between batches, so memory stays bounded by one batch plus
 * the sink's buffers), closes the writer (flush + fsync) and renames the
 * file into place. On failure it cleans up its file and takes back the
 * progress it reported.
 *
 * sl_task_run() is the pool's work item: it skips the task when its table
 * has already failed, retries transient failures (SL_ETRANSIENT) up to the
 * job's `retries` with exponential backoff and full jitter from
 * `retry_backoff` (state/sl_backoff.h), records metrics, and tells
 * sl_exec.c the task ended. Failpoints task-start and task-write
 * (core/sl_failpoint.h) are hit here.
 */
#include "sl_exec_int.h"

#include "../core/sl_alloc.h"
#include "../core/sl_failpoint.h"
#include "../core/sl_log.h"
#include "../state/sl_backoff.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Bytes of values in a batch: fixed widths plus the var-width heaps. */
static uint64_t sl_batch_data_bytes(const sl_batch *b)
{
    uint64_t n = 0;
    for (int c = 0; c < b->ncols; c++) {
        const sl_vector *v = &b->cols[c];
        n += sl_type_is_varlen(v->type) ? (uint64_t)v->offsets[b->nrows] : (uint64_t)(v->width * b->nrows);
    }
    return n;
}

int sl_task_attempt(sl_exec_table *t, int task_index, int worker, sl_task_metrics *m, sl_err *err)
{
    const sl_task *task = &t->prep.st.tasks[task_index];
    const sl_source_ops *src = t->prep.source;
    const sl_sink_ops *sink = t->prep.sink;
    const sl_schema *schema = t->prep.st.schema;
    sl_progress *progress = t->run->progress;
    char tmp[PATH_MAX], final[PATH_MAX];
    sl_stage_part_path(&t->stage, task_index, sink->extension, tmp, final, sizeof tmp);

    double started = sl_exec_now();
    m->worker = worker;
    m->rows = m->bytes = m->data_bytes = 0;
    m->crc32 = 0;

    void *writer = NULL, *reader = NULL;
    sl_batch *batch = NULL;
    if (sl_failpoint(SL_FP_TASK_START, err) < 0) goto fail;
    reader = src->open(&t->prep.st, task, err);
    if (!reader) goto fail;
    writer = sink->open(t->prep.cfg->target, schema, tmp, t->meta, t->nmeta, err);
    if (!writer) goto fail;
    batch = sl_batch_new(schema, SL_BATCH_ROWS);
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
        if (sl_failpoint(SL_FP_TASK_WRITE, err) < 0 || sink->write(writer, batch, err) < 0) goto fail;
        uint64_t data = sl_batch_data_bytes(batch);
        m->rows += (uint64_t)n;
        m->data_bytes += data;
        sl_progress_add(progress, t->progress_id, (uint64_t)n, data);
        /* A task of a table that failed elsewhere stops early: its file would be discarded anyway. */
        if (atomic_load(&t->failed)) {
            sl_err_set(err, SL_EINTERNAL, "stopped: another task of the table failed");
            goto fail;
        }
        if (sl_exec_cancelled()) {
            sl_err_set(err, SL_EIO, "interrupted");
            goto fail;
        }
    }
    src->close(reader);
    reader = NULL;
    sl_batch_free(batch);
    batch = NULL;
    sl_sink_stats stats = { 0 };
    void *closing = writer;
    writer = NULL;
    if (sink->close(closing, &stats, err) < 0) goto fail;
    if (sl_stage_commit_part(tmp, final, err) < 0) goto fail;
    m->bytes = stats.bytes;
    m->crc32 = stats.crc32;
    m->seconds = sl_exec_now() - started;
    return 0;

fail:
    if (!sl_err_is_set(err)) sl_err_set(err, SL_EINTERNAL, "failed without saying why");
    if (reader) src->close(reader);
    if (writer) sink->abort(writer);
    sl_batch_free(batch);
    unlink(tmp);
    sl_progress_sub(progress, t->progress_id, m->rows, m->data_bytes);
    m->seconds = sl_exec_now() - started;
    return -1;
}

void sl_task_run(void *arg, int worker)
{
    sl_exec_task *task = arg;
    sl_exec_table *t = task->table;
    const sl_job *job = t->run->job;
    sl_task_metrics *m = &t->metrics[task->index];
    int ntasks = t->prep.st.ntasks;
    const char *pred = t->prep.st.tasks[task->index].predicate;

    if (atomic_load(&t->failed) || sl_exec_cancelled()) {
        m->status = SL_TM_SKIPPED;
        sl_exec_task_ended(t);
        return;
    }
    m->status = SL_TM_RUNNING;
    sl_log(SL_LOG_DEBUG, "table %s: task %d/%d started on worker %d%s%s", t->prep.cfg->name, task->index + 1, ntasks,
           worker, pred ? ": " : "", pred ? pred : "");
    sl_err err = SL_ERR_INIT;
    int rc;
    for (int attempt = 1;; attempt++) {
        m->attempts = attempt;
        sl_err_clear(&err);
        rc = sl_task_attempt(t, task->index, worker, m, &err);
        if (rc == 0 || !sl_backoff_should_retry(&err, attempt, job->retries) || atomic_load(&t->failed) ||
            sl_exec_cancelled())
            break;
        double wait = sl_backoff_delay(attempt, job->retry_backoff_s, SL_BACKOFF_CAP_S, NULL);
        sl_log(SL_LOG_WARN, "table %s: task %d/%d: attempt %d failed: %s; retrying in %.1fs (%d of %d retries left)",
               t->prep.cfg->name, task->index + 1, ntasks, attempt, err.msg, wait, job->retries - attempt + 1,
               job->retries);
        sl_backoff_sleep(wait);
    }
    if (rc == 0) {
        m->status = SL_TM_DONE;
        sl_log(SL_LOG_DEBUG, "table %s: task %d/%d done: %llu rows, %llu bytes, %.2fs, worker %d",
               t->prep.cfg->name, task->index + 1, ntasks, (unsigned long long)m->rows, (unsigned long long)m->bytes,
               m->seconds, worker);
    } else {
        m->status = SL_TM_FAILED;
        if (m->attempts > 1) sl_err_prefix(&err, "failed after %d attempts", m->attempts);
        if (pred) sl_err_prefix(&err, "task %d/%d (%s)", task->index + 1, ntasks, pred);
        else sl_err_prefix(&err, "task %d/%d", task->index + 1, ntasks);
        sl_exec_table_fail(t, &err);
    }
    sl_exec_task_ended(t);
}
