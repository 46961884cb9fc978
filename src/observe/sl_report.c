/*
 * sl_report.c - a run as one HTML file (sl_report.h). Charts are drawn
 * here as SVG text, server-side, the same figures the UI's script draws
 * in the browser: the graph (source -> node -> target), the task-size
 * histogram with the skew, the timeline per worker and the throughput.
 * Every text from the job or the store is HTML-escaped and redacted
 * (sl_ui_html_text); the whole file is scrubbed of the job's passwords.
 */
#include "sl_report.h"

#include "../core/sl_alloc.h"
#include "../core/sl_skew.h"
#include "sl_ui_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char sl_report_css[] =
    "body{font:14px/1.45 system-ui,sans-serif;color:#1d2430;margin:1.5rem;max-width:1100px}"
    "h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d9dde3}"
    "h3{font-size:1rem;margin:1rem 0 .3rem}"
    "table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border-bottom:1px solid #d9dde3;padding:.25rem .5rem;"
    "text-align:left;vertical-align:top}th{color:#5b6576;font-size:.85rem}td.n{text-align:right;white-space:nowrap}"
    "td.m{font-family:monospace;font-size:.85rem;max-width:40rem;word-break:break-word}"
    ".s{display:inline-block;padding:0 .4rem;border-radius:3px;color:#fff;font-size:.8rem}"
    ".published,.succeeded,.done,.ok{background:#2e7d32}.running{background:#1f5fbf}"
    ".failed,.killed{background:#c62828}.pending{background:#8d96a3}.retry{background:#b28704}"
    "svg{border:1px solid #d9dde3;border-radius:4px;background:#fff;margin:.3rem 0}"
    "svg text{font:12px system-ui,sans-serif;fill:#1d2430}.fig{display:inline-block;border:1px solid #d9dde3;"
    "border-radius:4px;padding:.4rem .7rem;margin:0 .5rem .5rem 0}.fig b{display:block;font-size:1.1rem}"
    ".fig span{color:#5b6576;font-size:.8rem}";

static void sl_rep_time(sl_buf *b, double t)
{
    if (t <= 0) {
        sl_buf_append(b, "—", 3);
        return;
    }
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    char text[64];
    strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
    sl_buf_printf(b, "%s", text);
}

static const char *sl_rep_colour(const char *status)
{
    if (!strcmp(status, "published") || !strcmp(status, "done") || !strcmp(status, "ok")) return "#2e7d32";
    if (!strcmp(status, "running")) return "#1f5fbf";
    if (!strcmp(status, "failed") || !strcmp(status, "killed")) return "#c62828";
    if (!strcmp(status, "retry")) return "#b28704";
    return "#8d96a3";
}

static void sl_rep_fig(sl_ui_ctx *u, sl_buf *b, const char *label, const char *value)
{
    sl_buf_append(b, "<div class=\"fig\"><b>", 20);
    sl_ui_html_text(u, b, value);
    sl_buf_append(b, "</b><span>", 10);
    sl_ui_html_text(u, b, label);
    sl_buf_append(b, "</span></div>", 13);
}

/* Source -> node -> target boxes. */
static void sl_rep_graph(sl_ui_ctx *u, sl_buf *b, const sl_hist_run *r)
{
    const sl_job *job = u->job;
    int rows = job->nsources;
    if (r->ntables > rows) rows = r->ntables;
    if (job->ntargets > rows) rows = job->ntargets;
    if (rows < 1) rows = 1;
    const int W = 760, bw = 200, bh = 30, rowh = 44, pad = 14, H = pad * 2 + rows * rowh;
    const int x[3] = { pad, (W - bw) / 2, W - pad - bw };
    int n[3] = { job->nsources, r->ntables, job->ntargets };
    double y0[3];
    for (int c = 0; c < 3; c++) y0[c] = pad + (rows - n[c]) * rowh / 2.0;
    sl_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                     "role=\"img\" aria-label=\"graph of the run\">", W, H, W, H);
    for (int i = 0; i < r->ntables; i++) {
        const sl_job_table *jt = NULL;
        for (int k = 0; k < job->ntables; k++)
            if (!strcmp(job->tables[k].name, r->tables[i].name)) jt = &job->tables[k];
        if (!jt) continue;
        double ny = y0[1] + i * rowh + bh / 2.0;
        if (jt->source) {
            int s = (int)(jt->source - job->sources);
            sl_buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#9aa3af\"/>", x[0] + bw,
                          y0[0] + s * rowh + bh / 2.0, x[1], ny);
        }
        for (int k = 0; k < jt->ntargets; k++) {
            int t = (int)(jt->targets[k] - job->targets);
            sl_buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#9aa3af\"/>", x[1] + bw, ny, x[2],
                          y0[2] + t * rowh + bh / 2.0);
        }
    }
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < n[c]; i++) {
            double y = y0[c] + i * rowh;
            const char *fill = c == 1 ? sl_rep_colour(r->tables[i].status) : "#eef1f5";
            sl_buf_printf(b, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" rx=\"4\" fill=\"%s\" stroke=\"#9aa3af\"/>"
                             "<text x=\"%d\" y=\"%.1f\"%s>", x[c], y, bw, bh, fill, x[c] + 8, y + 19,
                          c == 1 ? " style=\"fill:#fff\"" : "");
            if (c == 0) {
                sl_ui_html_text(u, b, job->sources[i].name);
                sl_buf_append(b, " (", 2);
                sl_ui_html_text(u, b, job->sources[i].kind);
                sl_buf_push(b, ')');
            } else if (c == 1) {
                sl_ui_html_text(u, b, r->tables[i].name);
                sl_buf_append(b, " · ", 4);
                sl_ui_html_text(u, b, r->tables[i].status);
            } else {
                sl_ui_html_text(u, b, job->targets[i].name);
                sl_buf_append(b, " (", 2);
                sl_ui_html_text(u, b, job->targets[i].kind);
                sl_buf_push(b, ')');
            }
            sl_buf_append(b, "</text>", 7);
        }
    sl_buf_append(b, "</svg>\n", 7);
}

static void sl_rep_histogram(sl_buf *b, const sl_hist_table *t)
{
    const int W = 520, H = 150, pad = 28;
    int nb = t->ntasks < 10 ? (t->ntasks ? t->ntasks : 1) : 10;
    int counts[10] = { 0 };
    double max = 1;
    for (int k = 0; k < t->ntasks; k++)
        if (t->tasks[k].rows > max) max = (double)t->tasks[k].rows;
    for (int k = 0; k < t->ntasks; k++) {
        int i = (int)((double)t->tasks[k].rows / max * nb);
        counts[i >= nb ? nb - 1 : i]++;
    }
    int cmax = 1;
    for (int i = 0; i < nb; i++)
        if (counts[i] > cmax) cmax = counts[i];
    sl_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" "
                     "aria-label=\"task sizes\">", W, H);
    double bw = (double)(W - 2 * pad) / nb;
    for (int i = 0; i < nb; i++) {
        double h = (double)(H - 2 * pad) * counts[i] / cmax;
        sl_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#1f5fbf\"/>",
                      pad + i * bw + 1, H - pad - h, bw - 2, h);
        if (counts[i]) sl_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">%d</text>", pad + i * bw + bw / 2 - 4, H - pad - h - 4, counts[i]);
    }
    sl_buf_printf(b, "<text x=\"%d\" y=\"%d\">0 rows</text><text x=\"%d\" y=\"%d\">%.0f rows</text></svg>\n", pad, H - 8,
                  W - pad - 100, H - 8, max);
}

static void sl_rep_span(const sl_hist_table *t, double *t0, double *t1)
{
    *t0 = 0;
    *t1 = 0;
    for (int k = 0; k < t->ntasks; k++)
        for (int a = 0; a < t->tasks[k].natt; a++) {
            const sl_hist_attempt *at = &t->tasks[k].att[a];
            if (*t0 == 0 || at->started < *t0) *t0 = at->started;
            double e = at->ended > 0 ? at->ended : at->started;
            if (e > *t1) *t1 = e;
        }
    if (*t1 <= *t0) *t1 = *t0 + 0.001;
}

static void sl_rep_timeline(sl_buf *b, const sl_hist_table *t)
{
    double t0, t1;
    sl_rep_span(t, &t0, &t1);
    int maxw = -1;
    for (int k = 0; k < t->ntasks; k++)
        for (int a = 0; a < t->tasks[k].natt; a++)
            if (t->tasks[k].att[a].worker > maxw) maxw = t->tasks[k].att[a].worker;
    const int W = 760, lane = 24, pad = 70, H = 36 + (maxw + 1 > 0 ? maxw + 1 : 1) * lane;
    sl_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" "
                     "aria-label=\"timeline per worker\"><text x=\"%d\" y=\"14\">0 s</text>"
                     "<text x=\"%d\" y=\"14\">%.1f s</text>", W, H, pad, W - 60, t1 - t0);
    for (int w = 0; w <= maxw; w++) sl_buf_printf(b, "<text x=\"4\" y=\"%d\">worker %d</text>", 20 + w * lane + 13, w);
    for (int k = 0; k < t->ntasks; k++)
        for (int a = 0; a < t->tasks[k].natt; a++) {
            const sl_hist_attempt *at = &t->tasks[k].att[a];
            if (at->worker < 0) continue;
            double e = at->ended > 0 ? at->ended : t1;
            double x0 = pad + (W - pad - 10) * (at->started - t0) / (t1 - t0);
            double x1 = pad + (W - pad - 10) * (e - t0) / (t1 - t0);
            if (x1 < x0 + 2) x1 = x0 + 2;
            sl_buf_printf(b, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" rx=\"2\" fill=\"%s\"><title>task %d "
                             "attempt %d: %s, %.2f s</title></rect>", x0, 20 + at->worker * lane, x1 - x0, lane - 6,
                          sl_rep_colour(at->outcome), t->tasks[k].index + 1, at->number, at->outcome, e - at->started);
        }
    sl_buf_append(b, "</svg>\n", 7);
}

static void sl_rep_throughput(sl_buf *b, const sl_hist_table *t)
{
    double t0, t1;
    sl_rep_span(t, &t0, &t1);
    enum { NB = 40 };
    double bins[NB] = { 0 }, dt = (t1 - t0) / NB, max = 1;
    for (int k = 0; k < t->ntasks; k++) {
        const sl_hist_task *tk = &t->tasks[k];
        if (!tk->natt || strcmp(tk->att[tk->natt - 1].outcome, "ok")) continue;
        double a0 = tk->att[tk->natt - 1].started, a1 = tk->att[tk->natt - 1].ended;
        double len = a1 - a0 > 1e-6 ? a1 - a0 : 1e-6;
        for (int i = 0; i < NB; i++) {
            double b0 = t0 + i * dt, b1 = b0 + dt;
            double ov = (a1 < b1 ? a1 : b1) - (a0 > b0 ? a0 : b0);
            if (ov > 0) bins[i] += (double)tk->rows * ov / len / dt;
        }
    }
    for (int i = 0; i < NB; i++)
        if (bins[i] > max) max = bins[i];
    const int W = 760, H = 140, pad = 28;
    sl_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" "
                     "aria-label=\"throughput\"><polyline fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"2\" points=\"",
                  W, H);
    for (int i = 0; i < NB; i++)
        sl_buf_printf(b, "%s%.1f,%.1f", i ? " " : "", pad + (W - 2 * pad) * (i + 0.5) / NB,
                      H - pad - (H - 2 * pad) * bins[i] / max);
    sl_buf_printf(b, "\"/><text x=\"%d\" y=\"14\">peak %.0f rows/s</text><text x=\"%d\" y=\"%d\">%.1f s</text></svg>\n",
                  pad, max, W - 70, H - 8, t1 - t0);
}

static void sl_rep_node(sl_ui_ctx *u, sl_buf *b, const sl_hist_table *t)
{
    double t0, t1;
    sl_rep_span(t, &t0, &t1);
    double *v = sl_malloc((size_t)(t->ntasks ? t->ntasks : 1) * sizeof *v);
    for (int k = 0; k < t->ntasks; k++) v[k] = (double)t->tasks[k].rows;
    double skew = sl_skew_ratio(v, t->ntasks);
    sl_free(v);
    sl_buf_append(b, "<h2>Node ", 9);
    sl_ui_html_text(u, b, t->name);
    sl_buf_printf(b, " <span class=\"s %s\">%s</span></h2>\n", t->status, t->status);
    char text[64];
    snprintf(text, sizeof text, "%lld", (long long)t->rows);
    sl_rep_fig(u, b, "rows", text);
    snprintf(text, sizeof text, "%lld", (long long)t->file_bytes);
    sl_rep_fig(u, b, "bytes written", text);
    snprintf(text, sizeof text, "%.0f rows/s", t1 - t0 > 0.001 ? (double)t->rows / (t1 - t0) : 0);
    sl_rep_fig(u, b, "rate", text);
    snprintf(text, sizeof text, "%d / %d", t->tasks_done, t->tasks_total);
    sl_rep_fig(u, b, "tasks done", text);
    snprintf(text, sizeof text, "%d", t->retries);
    sl_rep_fig(u, b, "retries", text);
    snprintf(text, sizeof text, "%.2f", skew);
    sl_rep_fig(u, b, "skew: largest / median task rows", text);
    if (t->error) {
        sl_buf_append(b, "<p class=\"m\">", 13);
        sl_ui_html_text(u, b, t->error);
        sl_buf_append(b, "</p>", 4);
    }
    if (!t->ntasks) return;
    sl_buf_append(b, "<h3>Task sizes</h3>", 19);
    sl_rep_histogram(b, t);
    sl_buf_append(b, "<h3>Timeline per worker</h3>", 28);
    sl_rep_timeline(b, t);
    sl_buf_append(b, "<h3>Throughput</h3>", 19);
    sl_rep_throughput(b, t);
    sl_buf_printf(b, "<h3>Tasks</h3><table><tr><th>#</th><th>predicate</th><th>state</th><th>rows</th><th>bytes</th>"
                     "<th>seconds</th><th>attempts</th><th>worker</th><th>error</th></tr>\n");
    for (int k = 0; k < t->ntasks; k++) {
        const sl_hist_task *tk = &t->tasks[k];
        sl_buf_printf(b, "<tr><td class=\"n\">%d</td><td class=\"m\">", tk->index + 1);
        sl_ui_html_text(u, b, tk->predicate ? tk->predicate : "(whole table)");
        sl_buf_printf(b, "</td><td><span class=\"s %s\">%s</span></td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
                         "<td class=\"n\">%.2f</td><td class=\"n\">%d</td><td class=\"n\">%d</td><td class=\"m\">",
                      tk->status, tk->status, (long long)tk->rows, (long long)tk->bytes, tk->seconds, tk->attempts,
                      tk->worker);
        sl_ui_html_text(u, b, tk->error);
        sl_buf_append(b, "</td></tr>\n", 11);
    }
    sl_buf_append(b, "</table>\n", 9);
}

int sl_report_html(const sl_job *job, const char *state_path, int64_t run_id, sl_buf *b, sl_err *err)
{
    sl_ui_ctx u = { .job = job, .state_path = state_path };
    for (int i = 0; i < job->nsources; i++)
        if (job->sources[i].url) sl_secrets_add_dsn(&u.secrets, job->sources[i].url);
    for (int i = 0; i < job->ntargets; i++)
        if (job->targets[i].url) sl_secrets_add_dsn(&u.secrets, job->targets[i].url);
    sl_ui_live_init(&u.live, job);
    sl_hist_run r;
    int rc = sl_ui_load_run(&u, run_id, &r, err);
    if (rc == 1) {
        sl_buf_printf(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>sluice report: ");
        sl_ui_html_text(&u, b, job->name);
        sl_buf_printf(b, " run %lld</title><style>%s</style></head><body>\n<h1>Job ", (long long)r.id, sl_report_css);
        sl_ui_html_text(&u, b, job->name);
        sl_buf_printf(b, ", run %lld <span class=\"s %s\">%s</span></h1>\n<p>", (long long)r.id, r.status, r.status);
        sl_buf_append(b, "started ", 8);
        sl_rep_time(b, r.started);
        sl_buf_append(b, ", ended ", 8);
        sl_rep_time(b, r.ended);
        sl_buf_append(b, "</p>\n", 5);
        char text[64];
        snprintf(text, sizeof text, "%.1f s", r.ended > 0 ? r.ended - r.started : 0);
        sl_rep_fig(&u, b, "duration", text);
        snprintf(text, sizeof text, "%lld", (long long)r.rows);
        sl_rep_fig(&u, b, "rows", text);
        snprintf(text, sizeof text, "%lld", (long long)r.bytes);
        sl_rep_fig(&u, b, "bytes read", text);
        snprintf(text, sizeof text, "%d", r.ntables);
        sl_rep_fig(&u, b, "nodes", text);
        snprintf(text, sizeof text, "%d", r.tables_failed);
        sl_rep_fig(&u, b, "failed nodes", text);
        if (r.error) {
            sl_buf_append(b, "<p class=\"m\">", 13);
            sl_ui_html_text(&u, b, r.error);
            sl_buf_append(b, "</p>", 4);
        }
        sl_buf_append(b, "<h2>Graph</h2>\n", 15);
        sl_rep_graph(&u, b, &r);
        sl_buf_printf(b, "<h2>Nodes</h2><table><tr><th>node</th><th>state</th><th>tasks</th><th>rows</th>"
                         "<th>bytes read</th><th>bytes written</th><th>retries</th></tr>\n");
        for (int i = 0; i < r.ntables; i++) {
            const sl_hist_table *t = &r.tables[i];
            sl_buf_append(b, "<tr><td>", 8);
            sl_ui_html_text(&u, b, t->name);
            sl_buf_printf(b, "</td><td><span class=\"s %s\">%s</span></td><td class=\"n\">%d / %d</td>"
                             "<td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
                             "<td class=\"n\">%d</td></tr>\n", t->status, t->status, t->tasks_done, t->tasks_total,
                          (long long)t->rows, (long long)t->bytes, (long long)t->file_bytes, t->retries);
        }
        sl_buf_append(b, "</table>\n", 9);
        for (int i = 0; i < r.ntables; i++) sl_rep_node(&u, b, &r.tables[i]);
        /* Errors and retries. */
        sl_buf_printf(b, "<h2>Errors and retries</h2><table><tr><th>node</th><th>task</th><th>attempt</th>"
                         "<th>outcome</th><th>code</th><th>message</th></tr>\n");
        int nerr = 0;
        for (int i = 0; i < r.ntables; i++) {
            const sl_hist_table *t = &r.tables[i];
            for (int k = 0; k < t->ntasks; k++)
                for (int a = 0; a < t->tasks[k].natt; a++) {
                    const sl_hist_attempt *at = &t->tasks[k].att[a];
                    if (!strcmp(at->outcome, "ok") || !strcmp(at->outcome, "running")) continue;
                    nerr++;
                    sl_buf_append(b, "<tr><td>", 8);
                    sl_ui_html_text(&u, b, t->name);
                    sl_buf_printf(b, "</td><td class=\"n\">%d</td><td class=\"n\">%d</td><td>%s</td><td>",
                                  t->tasks[k].index + 1, at->number, at->outcome);
                    sl_ui_html_text(&u, b, at->code);
                    sl_buf_append(b, "</td><td class=\"m\">", 19);
                    sl_ui_html_text(&u, b, at->error);
                    sl_buf_append(b, "</td></tr>\n", 11);
                }
            if (t->error) {
                nerr++;
                sl_buf_append(b, "<tr><td>", 8);
                sl_ui_html_text(&u, b, t->name);
                sl_buf_printf(b, "</td><td></td><td></td><td>node failed</td><td></td><td class=\"m\">");
                sl_ui_html_text(&u, b, t->error);
                sl_buf_append(b, "</td></tr>\n", 11);
            }
        }
        sl_buf_printf(b, "</table>%s<p>Made by sluice from the job's state store.</p></body></html>\n",
                      nerr ? "" : "<p>None.</p>");
        sl_hist_run_clear(&r);
        sl_ui_scrub(&u, b);
    }
    sl_ui_live_free(&u.live);
    sl_secrets_free(&u.secrets);
    return rc;
}
