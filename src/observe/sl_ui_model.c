/*
 * sl_ui_model.c - what the UI's API and /metrics say (sl_ui_int.h): a run
 * as the state store recorded it (state/sl_state_history.h), the live model
 * laid over it while the run goes on, written as JSON or in the Prometheus
 * text format. Every string passes through the job's secrets (redacted),
 * and every body is scrubbed again before it is served.
 */
#include "sl_ui_int.h"

#include "../core/sl_alloc.h"
#include "../core/sl_skew.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double sl_ui_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const double sl_ui_buckets[SL_UI_NBUCKETS] = { 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1e300 };

/* ---- strings ---- */

static char *sl_ui_redacted(sl_ui_ctx *u, const char *s)
{
    size_t size = strlen(s) + 64;
    char *out = sl_malloc(size);
    sl_redact_secrets(s, &u->secrets, out, size);
    return out;
}

void sl_ui_json_text(sl_ui_ctx *u, sl_buf *b, const char *s)
{
    if (!s) {
        sl_buf_append(b, "null", 4);
        return;
    }
    char *r = sl_ui_redacted(u, s);
    /* "<" as \u003c as well, so no answer can close a script element if it is ever inlined. */
    size_t start = b->len;
    sl_buf_json_str(b, r, strlen(r));
    sl_free(r);
    for (size_t i = start; i < b->len; i++)
        if (b->data[i] == '<') {
            sl_buf tail = { 0 };
            sl_buf_append(&tail, b->data + i + 1, b->len - i - 1);
            b->len = i;
            sl_buf_append(b, "\\u003c", 6);
            size_t resume = b->len;
            sl_buf_append(b, tail.data, tail.len);
            sl_buf_free(&tail);
            i = resume - 1;
        }
}

void sl_ui_html_text(sl_ui_ctx *u, sl_buf *b, const char *s)
{
    if (!s) return;
    char *r = sl_ui_redacted(u, s);
    for (const char *p = r; *p; p++) {
        switch (*p) {
        case '<': sl_buf_append(b, "&lt;", 4); break;
        case '>': sl_buf_append(b, "&gt;", 4); break;
        case '&': sl_buf_append(b, "&amp;", 5); break;
        case '"': sl_buf_append(b, "&quot;", 6); break;
        case '\'': sl_buf_append(b, "&#39;", 5); break;
        default: sl_buf_push(b, (uint8_t)*p);
        }
    }
    sl_free(r);
}

void sl_ui_scrub(sl_ui_ctx *u, sl_buf *b)
{
    for (int i = 0; i < u->secrets.n; i++) {
        const char *sec = u->secrets.items[i];
        size_t n = strlen(sec);
        if (!n || n > b->len) continue;
        for (size_t at = 0; at + n <= b->len; at++)
            if (!memcmp(b->data + at, sec, n)) memset(b->data + at, '*', n);
    }
}

/* ---- the run, with the live model over it ---- */

static const sl_job_table *sl_ui_job_table(const sl_job *job, const char *name)
{
    for (int i = 0; i < job->ntables; i++)
        if (!strcmp(job->tables[i].name, name)) return &job->tables[i];
    return NULL;
}

static void sl_ui_overlay(sl_ui_ctx *u, sl_hist_run *r)
{
    sl_ui_live *l = &u->live;
    pthread_mutex_lock(&l->mu);
    if (!l->known || l->run_id != r->id) {
        pthread_mutex_unlock(&l->mu);
        return;
    }
    if (!l->ended) snprintf(r->status, sizeof r->status, "running");
    r->rows = r->bytes = 0;
    for (int i = 0; i < r->ntables; i++) {
        sl_hist_table *t = &r->tables[i];
        const sl_job_table *jt = sl_ui_job_table(u->job, t->name);
        if (jt) {
            sl_ui_lnode *n = &l->nodes[jt - u->job->tables];
            if (!strcmp(t->status, "pending")) {
                if (n->state == SL_LN_RUNNING) snprintf(t->status, sizeof t->status, "running");
                t->rows = n->rows;
                t->bytes = n->bytes;
            }
            t->tasks_running = 0;
            for (int k = 0; k < t->ntasks && k < n->ntasks; k++) {
                sl_hist_task *ht = &t->tasks[k];
                sl_ui_ltask *lt = &n->tasks[ht->index < n->ntasks ? ht->index : k];
                if (lt->state == SL_LT_RUNNING && strcmp(ht->status, "done")) {
                    snprintf(ht->status, sizeof ht->status, "running");
                    ht->rows = lt->rows;
                    ht->bytes = lt->bytes;
                    ht->worker = lt->worker;
                }
                t->tasks_running += !strcmp(ht->status, "running");
            }
        }
        r->rows += t->rows;
        r->bytes += t->bytes;
    }
    pthread_mutex_unlock(&l->mu);
}

int sl_ui_load_run(sl_ui_ctx *u, int64_t run_id, sl_hist_run *r, sl_err *err)
{
    memset(r, 0, sizeof *r);
    sl_hist *h = sl_hist_open(u->state_path, err);
    if (!h) return -1;
    if (run_id <= 0) {
        sl_hist_run *runs;
        int n;
        if (sl_hist_runs(h, u->job->name, 1, &runs, &n, err) < 0) {
            sl_hist_close(h);
            return -1;
        }
        run_id = n ? runs[0].id : 0;
        sl_hist_runs_free(runs, n);
    }
    int rc = run_id > 0 ? sl_hist_run_get(h, u->job->name, run_id, true, r, err) : 0;
    sl_hist_close(h);
    if (rc == 1) sl_ui_overlay(u, r);
    return rc;
}

/* ---- JSON ---- */

/* When a node's first attempt started and its last ended (0: not yet). */
static void sl_ui_node_span(const sl_hist_table *t, double *started, double *ended)
{
    double s = 0, e = 0;
    bool open = false;
    for (int k = 0; k < t->ntasks; k++)
        for (int a = 0; a < t->tasks[k].natt; a++) {
            const sl_hist_attempt *at = &t->tasks[k].att[a];
            if (s == 0 || at->started < s) s = at->started;
            if (at->ended == 0) open = true;
            else if (at->ended > e) e = at->ended;
        }
    if (t->published_at > e) e = t->published_at;
    *started = s;
    *ended = open || (!strcmp(t->status, "running") || !strcmp(t->status, "pending")) ? 0 : e;
}

static double sl_ui_node_skew(const sl_hist_table *t)
{
    if (t->ntasks < 2) return 1.0;
    double *v = sl_malloc((size_t)t->ntasks * sizeof *v);
    for (int k = 0; k < t->ntasks; k++) v[k] = (double)t->tasks[k].rows;
    double s = sl_skew_ratio(v, t->ntasks);
    sl_free(v);
    return s;
}

static void sl_ui_json_num(sl_buf *b, double v)
{
    if (!isfinite(v)) v = 0;
    sl_buf_printf(b, "%.6g", v);
}

static void sl_ui_json_task(sl_ui_ctx *u, sl_buf *b, const sl_hist_task *t)
{
    sl_buf_printf(b, "{\"index\":%d,\"predicate\":", t->index);
    sl_ui_json_text(u, b, t->predicate);
    sl_buf_printf(b, ",\"status\":\"%s\",\"est_rows\":%lld,\"rows\":%lld,\"bytes\":%lld,\"file_size\":%lld,"
                  "\"seconds\":%.3f,\"worker\":%d,\"attempts\":%d,\"error\":", t->status, (long long)t->est_rows,
                  (long long)t->rows, (long long)t->bytes, (long long)t->file_size, t->seconds, t->worker,
                  t->attempts);
    sl_ui_json_text(u, b, t->error);
    sl_buf_append(b, ",\"attempt_list\":[", 17);
    for (int a = 0; a < t->natt; a++) {
        const sl_hist_attempt *at = &t->att[a];
        sl_buf_printf(b, "%s{\"number\":%d,\"started\":%.3f,\"ended\":%.3f,\"worker\":%d,\"outcome\":\"%s\",\"code\":",
                      a ? "," : "", at->number, at->started, at->ended, at->worker, at->outcome);
        sl_ui_json_text(u, b, at->code[0] ? at->code : NULL);
        sl_buf_append(b, ",\"error\":", 9);
        sl_ui_json_text(u, b, at->error);
        sl_buf_push(b, '}');
    }
    sl_buf_append(b, "]}", 2);
}

static void sl_ui_json_node(sl_ui_ctx *u, sl_buf *b, const sl_hist_table *t, bool with_tasks, double now)
{
    const sl_job_table *jt = sl_ui_job_table(u->job, t->name);
    double started, ended;
    sl_ui_node_span(t, &started, &ended);
    double secs = started > 0 ? (ended > 0 ? ended : now) - started : 0;
    if (secs < 0) secs = 0;
    sl_buf_append(b, "{\"name\":", 8);
    sl_ui_json_text(u, b, t->name);
    sl_buf_append(b, ",\"source\":", 10);
    sl_ui_json_text(u, b, jt && jt->source ? jt->source->name : NULL);
    sl_buf_append(b, ",\"targets\":[", 12);
    for (int k = 0; jt && k < jt->ntargets; k++) {
        if (k) sl_buf_push(b, ',');
        sl_ui_json_text(u, b, jt->targets[k]->name);
    }
    if (jt && !jt->ntargets && jt->target) sl_ui_json_text(u, b, jt->target->name);
    int64_t est = 0;
    for (int k = 0; k < t->ntasks; k++) est += t->tasks[k].est_rows > 0 ? t->tasks[k].est_rows : 0;
    sl_buf_printf(b, "],\"deps\":[],\"status\":\"%s\",\"rows\":%lld,\"bytes\":%lld,\"file_bytes\":%lld,\"est_rows\":%lld,"
                  "\"tasks_total\":%d,\"tasks_done\":%d,\"tasks_failed\":%d,\"tasks_running\":%d,\"retries\":%d,"
                  "\"started\":%.3f,\"ended\":%.3f,\"seconds\":%.3f,\"rate\":",
                  t->status, (long long)t->rows, (long long)t->bytes, (long long)t->file_bytes, (long long)est,
                  t->tasks_total, t->tasks_done, t->tasks_failed, t->tasks_running, t->retries, started, ended, secs);
    sl_ui_json_num(b, secs > 0 ? (double)t->rows / secs : 0);
    sl_buf_append(b, ",\"skew\":", 8);
    sl_ui_json_num(b, sl_ui_node_skew(t));
    sl_buf_append(b, ",\"error\":", 9);
    sl_ui_json_text(u, b, t->error);
    if (with_tasks) {
        sl_buf_append(b, ",\"tasks\":[", 10);
        for (int k = 0; k < t->ntasks; k++) {
            if (k) sl_buf_push(b, ',');
            sl_ui_json_task(u, b, &t->tasks[k]);
        }
        sl_buf_push(b, ']');
    }
    sl_buf_push(b, '}');
}

static void sl_ui_json_run_head(sl_ui_ctx *u, sl_buf *b, const sl_hist_run *r, double now)
{
    double secs = r->started > 0 ? (r->ended > 0 ? r->ended : now) - r->started : 0;
    sl_buf_printf(b, "{\"id\":%lld,\"status\":\"%s\",\"started\":%.3f,\"ended\":%.3f,\"seconds\":%.3f,\"rows\":%lld,"
                  "\"bytes\":%lld,\"tables\":%d,\"tables_failed\":%d,\"resumes\":%d,\"error\":",
                  (long long)r->id, r->status, r->started, r->ended, secs, (long long)r->rows, (long long)r->bytes,
                  r->ntables, r->tables_failed, r->resumes);
    sl_ui_json_text(u, b, r->error);
    sl_buf_push(b, '}');
}

int sl_ui_json_runs(sl_ui_ctx *u, sl_buf *b, sl_err *err)
{
    sl_hist *h = sl_hist_open(u->state_path, err);
    if (!h) return -1;
    sl_hist_run *runs;
    int n;
    int rc = sl_hist_runs(h, u->job->name, 100, &runs, &n, err);
    sl_hist_close(h);
    if (rc < 0) return -1;
    double now = sl_ui_now();
    sl_buf_append(b, "{\"job\":", 7);
    sl_ui_json_text(u, b, u->job->name);
    sl_buf_append(b, ",\"runs\":[", 9);
    for (int i = 0; i < n; i++) {
        if (i) sl_buf_push(b, ',');
        sl_ui_overlay(u, &runs[i]);
        sl_ui_json_run_head(u, b, &runs[i], now);
    }
    sl_buf_append(b, "]}", 2);
    sl_hist_runs_free(runs, n);
    return 0;
}

int sl_ui_json_run(sl_ui_ctx *u, int64_t run_id, const char *node, sl_buf *b, sl_err *err)
{
    sl_hist_run r;
    int rc = sl_ui_load_run(u, run_id, &r, err);
    if (rc <= 0) return rc;
    const sl_hist_table *only = NULL;
    if (node) {
        for (int i = 0; i < r.ntables && !only; i++)
            if (!strcmp(r.tables[i].name, node)) only = &r.tables[i];
        if (!only) {
            sl_hist_run_clear(&r);
            return 0;
        }
    }
    double now = sl_ui_now();
    bool live;
    pthread_mutex_lock(&u->live.mu);
    live = u->live.known && u->live.run_id == r.id && !u->live.ended;
    pthread_mutex_unlock(&u->live.mu);
    sl_buf_append(b, "{\"job\":", 7);
    sl_ui_json_text(u, b, u->job->name);
    sl_buf_printf(b, ",\"now\":%.3f,\"live\":%s,\"run\":", now, live ? "true" : "false");
    sl_ui_json_run_head(u, b, &r, now);
    sl_buf_append(b, ",\"sources\":[", 12);
    for (int i = 0; i < u->job->nsources; i++) {
        const sl_job_source *s = &u->job->sources[i];
        int in_use = 0;
        pthread_mutex_lock(&u->live.mu);
        if (live) in_use = u->live.sessions[i];
        pthread_mutex_unlock(&u->live.mu);
        if (i) sl_buf_push(b, ',');
        sl_buf_append(b, "{\"name\":", 8);
        sl_ui_json_text(u, b, s->name);
        sl_buf_append(b, ",\"kind\":", 8);
        sl_ui_json_text(u, b, s->kind);
        sl_buf_printf(b, ",\"max_connections\":%d,\"in_use\":%d}", s->max_connections, in_use);
    }
    sl_buf_append(b, "],\"targets\":[", 13);
    for (int i = 0; i < u->job->ntargets; i++) {
        if (i) sl_buf_push(b, ',');
        sl_buf_append(b, "{\"name\":", 8);
        sl_ui_json_text(u, b, u->job->targets[i].name);
        sl_buf_append(b, ",\"kind\":", 8);
        sl_ui_json_text(u, b, u->job->targets[i].kind);
        sl_buf_push(b, '}');
    }
    sl_buf_append(b, "],\"nodes\":[", 11);
    bool first = true;
    for (int i = 0; i < r.ntables; i++) {
        if (only && &r.tables[i] != only) continue;
        if (!first) sl_buf_push(b, ',');
        first = false;
        sl_ui_json_node(u, b, &r.tables[i], only != NULL, now);
    }
    /* Errors and retries: every attempt that did not succeed, and the nodes' own errors. */
    sl_buf_append(b, "],\"errors\":[", 12);
    first = true;
    for (int i = 0; i < r.ntables; i++) {
        const sl_hist_table *t = &r.tables[i];
        if (only && t != only) continue;
        for (int k = 0; k < t->ntasks; k++)
            for (int a = 0; a < t->tasks[k].natt; a++) {
                const sl_hist_attempt *at = &t->tasks[k].att[a];
                if (strcmp(at->outcome, "retry") && strcmp(at->outcome, "failed") && strcmp(at->outcome, "killed"))
                    continue;
                if (!first) sl_buf_push(b, ',');
                first = false;
                sl_buf_append(b, "{\"node\":", 8);
                sl_ui_json_text(u, b, t->name);
                sl_buf_printf(b, ",\"task\":%d,\"attempt\":%d,\"worker\":%d,\"time\":%.3f,\"outcome\":\"%s\",\"code\":",
                              t->tasks[k].index, at->number, at->worker, at->ended, at->outcome);
                sl_ui_json_text(u, b, at->code[0] ? at->code : NULL);
                sl_buf_append(b, ",\"message\":", 11);
                sl_ui_json_text(u, b, at->error);
                sl_buf_push(b, '}');
            }
        if (t->error) {
            if (!first) sl_buf_push(b, ',');
            first = false;
            sl_buf_append(b, "{\"node\":", 8);
            sl_ui_json_text(u, b, t->name);
            sl_buf_printf(b, ",\"task\":-1,\"attempt\":0,\"worker\":-1,\"time\":%.3f,\"outcome\":\"node failed\","
                          "\"code\":null,\"message\":", t->published_at);
            sl_ui_json_text(u, b, t->error);
            sl_buf_push(b, '}');
        }
    }
    sl_buf_append(b, "]}", 2);
    sl_hist_run_clear(&r);
    return 1;
}

/* ---- Prometheus text format ---- */

static void sl_ui_label(sl_ui_ctx *u, sl_buf *b, const char *name, const char *value, bool first)
{
    char *r = sl_ui_redacted(u, value ? value : "");
    sl_buf_printf(b, "%s%s=\"", first ? "" : ",", name);
    for (const char *p = r; *p; p++) {
        if (*p == '\\') sl_buf_append(b, "\\\\", 2);
        else if (*p == '"') sl_buf_append(b, "\\\"", 2);
        else if (*p == '\n') sl_buf_append(b, "\\n", 2);
        else sl_buf_push(b, (uint8_t)*p);
    }
    sl_buf_push(b, '"');
    sl_free(r);
}

static void sl_ui_metric_head(sl_buf *b, const char *name, const char *type, const char *help)
{
    sl_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sl_ui_node_metric(sl_ui_ctx *u, sl_buf *b, const char *name, const char *node, const char *extra_name,
                              const char *extra, double v)
{
    sl_buf_printf(b, "%s{", name);
    sl_ui_label(u, b, "job", u->job->name, true);
    if (node) sl_ui_label(u, b, "node", node, false);
    if (extra_name) sl_ui_label(u, b, extra_name, extra, false);
    sl_buf_append(b, "} ", 2);
    sl_ui_json_num(b, v);
    sl_buf_push(b, '\n');
}

int sl_ui_metrics(sl_ui_ctx *u, sl_buf *b, sl_err *err)
{
    sl_hist_run r;
    int rc = sl_ui_load_run(u, 0, &r, err);
    if (rc < 0) return -1;
    double now = sl_ui_now();
    static const char *const states[] = { "pending", "running", "done", "failed" };
    struct { const char *name, *help; int which; } per_node[] = {
        { "sluice_node_rows_read_total", "Rows read from the source by a node in the latest run, tasks in flight included.", 0 },
        { "sluice_node_rows_written_total", "Rows written by a node's finished tasks in the latest run.", 1 },
        { "sluice_node_bytes_read_total", "In-memory bytes of the values a node read in the latest run.", 2 },
        { "sluice_node_bytes_written_total", "Bytes of the files a node's finished tasks wrote in the latest run.", 3 },
        { "sluice_node_retries_total", "Task attempts of a node retried in the latest run.", 4 },
    };
    for (size_t m = 0; m < sizeof per_node / sizeof per_node[0]; m++) {
        sl_ui_metric_head(b, per_node[m].name, "counter", per_node[m].help);
        for (int i = 0; rc == 1 && i < r.ntables; i++) {
            const sl_hist_table *t = &r.tables[i];
            int64_t written = 0;
            for (int k = 0; k < t->ntasks; k++)
                if (!strcmp(t->tasks[k].status, "done")) written += t->tasks[k].rows;
            double v = per_node[m].which == 0 ? (double)t->rows : per_node[m].which == 1 ? (double)written
                     : per_node[m].which == 2 ? (double)t->bytes : per_node[m].which == 3 ? (double)t->file_bytes
                                                                                         : (double)t->retries;
            sl_ui_node_metric(u, b, per_node[m].name, t->name, NULL, NULL, v);
        }
    }
    sl_ui_metric_head(b, "sluice_tasks", "gauge", "Tasks of a node in the latest run by state.");
    for (int i = 0; rc == 1 && i < r.ntables; i++)
        for (int s = 0; s < 4; s++) {
            int count = 0;
            for (int k = 0; k < r.tables[i].ntasks; k++) count += !strcmp(r.tables[i].tasks[k].status, states[s]);
            sl_ui_node_metric(u, b, "sluice_tasks", r.tables[i].name, "state", states[s], count);
        }
    /* Errors by code: every attempt that failed (retried or not) in the latest run. */
    sl_ui_metric_head(b, "sluice_errors_total", "counter", "Failed task attempts in the latest run by error code.");
    char codes[16][24];
    int64_t counts[16];
    int ncodes = 0;
    for (int i = 0; rc == 1 && i < r.ntables; i++)
        for (int k = 0; k < r.tables[i].ntasks; k++)
            for (int a = 0; a < r.tables[i].tasks[k].natt; a++) {
                const sl_hist_attempt *at = &r.tables[i].tasks[k].att[a];
                if (strcmp(at->outcome, "retry") && strcmp(at->outcome, "failed")) continue;
                const char *code = at->code[0] ? at->code : "UNKNOWN";
                int c = 0;
                while (c < ncodes && strcmp(codes[c], code)) c++;
                if (c == ncodes && ncodes < 16) {
                    snprintf(codes[ncodes], sizeof codes[0], "%s", code);
                    counts[ncodes++] = 0;
                }
                if (c < ncodes) counts[c]++;
            }
    for (int c = 0; c < ncodes; c++) sl_ui_node_metric(u, b, "sluice_errors_total", NULL, "code", codes[c], counts[c]);
    /* Task durations: the finished tasks of the latest run. */
    sl_ui_metric_head(b, "sluice_task_duration_seconds", "histogram", "Duration of the latest run's finished tasks.");
    for (int i = 0; rc == 1 && i < r.ntables; i++) {
        const sl_hist_table *t = &r.tables[i];
        int64_t cum = 0, n = 0;
        double sum = 0;
        for (int bk = 0; bk < SL_UI_NBUCKETS; bk++) {
            cum = 0;
            for (int k = 0; k < t->ntasks; k++)
                if (!strcmp(t->tasks[k].status, "done") && (bk == SL_UI_NBUCKETS - 1 || t->tasks[k].seconds <= sl_ui_buckets[bk]))
                    cum++;
            char le[32];
            if (bk == SL_UI_NBUCKETS - 1) snprintf(le, sizeof le, "+Inf");
            else snprintf(le, sizeof le, "%g", sl_ui_buckets[bk]);
            sl_ui_node_metric(u, b, "sluice_task_duration_seconds_bucket", t->name, "le", le, (double)cum);
        }
        for (int k = 0; k < t->ntasks; k++)
            if (!strcmp(t->tasks[k].status, "done")) {
                n++;
                sum += t->tasks[k].seconds;
            }
        sl_ui_node_metric(u, b, "sluice_task_duration_seconds_sum", t->name, NULL, NULL, sum);
        sl_ui_node_metric(u, b, "sluice_task_duration_seconds_count", t->name, NULL, NULL, (double)n);
    }
    sl_ui_metric_head(b, "sluice_source_sessions_in_use", "gauge", "Source sessions (running tasks) in use now.");
    for (int i = 0; i < u->job->nsources; i++) {
        pthread_mutex_lock(&u->live.mu);
        int in_use = u->live.known && !u->live.ended ? u->live.sessions[i] : 0;
        pthread_mutex_unlock(&u->live.mu);
        sl_ui_node_metric(u, b, "sluice_source_sessions_in_use", NULL, "source", u->job->sources[i].name, in_use);
    }
    sl_ui_metric_head(b, "sluice_source_max_connections", "gauge", "A source's max_connections.");
    for (int i = 0; i < u->job->nsources; i++)
        sl_ui_node_metric(u, b, "sluice_source_max_connections", NULL, "source", u->job->sources[i].name,
                          u->job->sources[i].max_connections);
    sl_ui_metric_head(b, "sluice_run_duration_seconds", "gauge", "Duration of the latest run (so far, when running).");
    if (rc == 1)
        sl_ui_node_metric(u, b, "sluice_run_duration_seconds", NULL, NULL, NULL,
                          r.started > 0 ? (r.ended > 0 ? r.ended : now) - r.started : 0);
    sl_ui_metric_head(b, "sluice_run_running", "gauge", "1 while the latest run is running.");
    sl_ui_node_metric(u, b, "sluice_run_running", NULL, NULL, NULL, rc == 1 && !strcmp(r.status, "running"));
    sl_ui_metric_head(b, "sluice_last_success_timestamp_seconds", "gauge",
                      "When the job's latest successful run ended (seconds since the epoch; 0: never).");
    sl_hist *h = sl_hist_open(u->state_path, err);
    double last = h ? sl_hist_last_success(h, u->job->name) : 0;
    sl_hist_close(h);
    sl_ui_node_metric(u, b, "sluice_last_success_timestamp_seconds", NULL, NULL, NULL, last);
    if (rc == 1) sl_hist_run_clear(&r);
    return 0;
}
