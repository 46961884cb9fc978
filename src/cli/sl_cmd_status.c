/*
 * sl_cmd_status.c - `sluice status [job.yaml] [--state PATH] [--json] [--runs N]`:
 * the last runs of a job from its state database, newest first: state,
 * start and end, tasks done/failed/pending per table, rows and bytes, the
 * latest errors, and whether a run marked running still has a live process
 * (the run lock) or was killed and will be resumed by the next `sluice run`.
 *
 * With a job file, the state database is <job dir>/.sluice/state.db and only
 * that job's runs are shown; --state PATH picks another database (without a
 * job file: every job in it). The job file is only read for its name: when
 * it cannot be loaded (say an ${ENV} variable is not set here), its top-level
 * `name:` line is used instead.
 */
#include "sl_cli.h"
#include "sl_cli_opts.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_log.h"
#include "../core/sl_receipt.h"
#include "../job/sl_job.h"
#include "../state/sl_fs.h"
#include "../state/sl_lock.h"
#include "../state/sl_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char sl_status_usage[] =
    "usage: sluice status [JOB.yaml] [--state PATH] [--json] [--runs N]\n"
    "\n"
    "Shows the last runs of a job: their state (running, succeeded, failed, killed),\n"
    "when they started and ended, tasks done/failed/pending per table, and the latest errors.\n"
    "\n"
    "  JOB.yaml       the job; its state is JOB's directory/.sluice/state.db\n"
    "  --state PATH   the state database to read (without JOB.yaml: all its jobs)\n"
    "  --json         one JSON document on stdout\n"
    "  --runs N       how many runs to show (default 5)\n"
    "  --log-level L  debug, info, warn or error\n";

/* The value of a top-level `name:` line, for a job file that cannot be loaded. */
static char *sl_status_scan_name(const char *path)
{
    sl_err err = SL_ERR_INIT;
    char *text = sl_fs_read_all(path, NULL, &err);
    if (!text) return NULL;
    char *name = NULL;
    for (char *line = text; line && *line && !name;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        if (!strncmp(line, "name:", 5)) {
            char *v = line + 5;
            while (*v == ' ' || *v == '\t') v++;
            char *hash = strstr(v, " #");
            if (hash) *hash = '\0';
            size_t len = strlen(v);
            while (len && (v[len - 1] == ' ' || v[len - 1] == '\r' || v[len - 1] == '\t')) v[--len] = '\0';
            if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
                v[len - 1] = '\0';
                v++;
            }
            if (*v) name = sl_strdup(v);
        }
        line = nl ? nl + 1 : NULL;
    }
    sl_free(text);
    return name;
}

static void sl_status_time(double t, char *buf, size_t size)
{
    if (t <= 0) {
        snprintf(buf, size, "-");
        return;
    }
    time_t secs = (time_t)t;
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void sl_status_iso(double t, char *buf, size_t size)
{
    time_t secs = (time_t)t;
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void sl_status_duration(double s, char *buf, size_t size)
{
    long t = (long)(s + 0.5);
    if (t < 60) snprintf(buf, size, "%lds", t);
    else if (t < 3600) snprintf(buf, size, "%ldm%02lds", t / 60, t % 60);
    else snprintf(buf, size, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
}

static void sl_status_bytes(int64_t b, char *buf, size_t size)
{
    const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double v = (double)b;
    int u = 0;
    while (v >= 1024 && u < 4) { v /= 1024; u++; }
    if (u == 0) snprintf(buf, size, "%lld B", (long long)b);
    else snprintf(buf, size, "%.1f %s", v, units[u]);
}

/* What the lock says about a run recorded as running. */
typedef enum { SL_LIVE_UNKNOWN, SL_LIVE_YES, SL_LIVE_GONE } sl_liveness;

static sl_liveness sl_status_liveness(const char *state_dir, const sl_run_report *r, sl_lock_info *info)
{
    sl_err err = SL_ERR_INIT;
    if (strcmp(r->status, "running") || sl_lock_inspect(state_dir, r->job, info, &err) < 0) return SL_LIVE_UNKNOWN;
    return info->held ? SL_LIVE_YES : SL_LIVE_GONE;
}

/* A published table's receipt, a line per column under its row (values
 * may quote source data: control characters shown as escapes). */
static void sl_status_receipt_text(const sl_table_report *tb)
{
    if (!tb->receipt) return;
    const char *receipt = strstr(tb->receipt, "\"receipt\": ");
    const char *cols = receipt ? sl_receipt_json_columns(receipt) : NULL;
    char col[8192], line[8192];
    for (const char *p = cols; p && (p = sl_receipt_json_column(p, col, sizeof col));) {
        sl_receipt_column_text(col, line, sizeof line);
        char *safe = sl_escape_controls_dup(line);
        printf("      receipt: %s\n", safe);
        sl_free(safe);
    }
}

/* A table's data checks under its row: one line per rule. */
static void sl_status_checks_text(const sl_run_report *r, const char *table)
{
    for (int i = 0; i < r->nchecks; i++) {
        const sl_check_rec *c = &r->checks[i];
        if (strcmp(c->table, table)) continue;
        char line[1400];
        snprintf(line, sizeof line, "      check: %-32s %-5s %-9s %lld failing%s%s%s%s", c->rule, c->severity,
                 c->status, (long long)c->failing, c->detail ? "; " : "", c->detail ? c->detail : "",
                 c->examples ? "; examples: " : "", c->examples ? c->examples : "");
        char *safe = sl_escape_controls_dup(line);
        printf("%s\n", safe);
        sl_free(safe);
    }
}

static void sl_status_print_text(const char *state_path, const char *state_dir, const char *job,
                                 sl_run_report *runs, int n)
{
    if (job) printf("job %s: state %s\n", job, state_path);
    else printf("state %s\n", state_path);
    if (n == 0) printf("no runs recorded yet\n");
    for (int i = 0; i < n; i++) {
        sl_run_report *r = &runs[i];
        char started[40], ended[40], dur[32];
        sl_status_time(r->started, started, sizeof started);
        sl_status_time(r->ended, ended, sizeof ended);
        printf("\nrun %lld", (long long)(r->number > 0 ? r->number : r->id));
        if (!job) printf("  job %s", r->job);
        sl_lock_info info;
        sl_liveness live = sl_status_liveness(state_dir, r, &info);
        if (live == SL_LIVE_GONE)
            printf("  running, but its process is gone (killed?): the next 'sluice run' resumes it");
        else
            printf("  %s", r->status);
        printf("\n  started %s", started);
        if (r->ended > 0) {
            sl_status_duration(r->ended - r->started, dur, sizeof dur);
            printf(", ended %s (%s)", ended, dur);
        }
        printf(", pid %ld on %s", r->pid, r->host && *r->host ? r->host : "?");
        if (r->resumes) printf(", resumed %d time%s", r->resumes, r->resumes == 1 ? "" : "s");
        printf("\n");
        char bytes[32];
        sl_status_bytes(r->bytes, bytes, sizeof bytes);
        printf("  tasks: %d done, %d failed, %d pending, %d running; %lld rows, %s written\n", r->tasks_done,
               r->tasks_failed, r->tasks_pending, r->tasks_running, (long long)r->rows, bytes);
        if (r->ntables) {
            /* The name column as wide as the longest name, so long names keep the columns aligned. */
            int w = 24;
            for (int t = 0; t < r->ntables; t++) {
                int len = (int)strlen(r->tables[t].name);
                if (len > w) w = len > 200 ? 200 : len;
            }
            printf("    %-*s %-10s %6s %6s %7s %7s %14s\n", w, "table", "status", "done", "failed", "pending",
                   "running", "rows");
            for (int t = 0; t < r->ntables; t++) {
                sl_table_report *tb = &r->tables[t];
                printf("    %-*s %-10s %6d %6d %7d %7d %14lld\n", w, tb->name, tb->status, tb->done, tb->failed,
                       tb->pending, tb->running, (long long)tb->rows);
                sl_status_receipt_text(tb);
                sl_status_checks_text(r, tb->name);
            }
        }
        /* Errors may quote source values: their control characters are shown as escapes. */
        if (r->error) {
            char *safe = sl_escape_controls_dup(r->error);
            printf("  error: %s\n", safe);
            sl_free(safe);
        }
        if (r->nerrors) {
            printf("  latest task errors:\n");
            for (int e = 0; e < r->nerrors; e++) {
                char *safe = sl_escape_controls_dup(r->errors[e]);
                printf("    %s\n", safe);
                sl_free(safe);
            }
        }
    }
}

static void sl_json_str(sl_buf *b, const char *s)
{
    if (s) sl_buf_json_str(b, s, strlen(s));
    else sl_buf_append(b, "null", 4);
}

static void sl_json_time(sl_buf *b, double t)
{
    if (t <= 0) {
        sl_buf_append(b, "null", 4);
        return;
    }
    char iso[40];
    sl_status_iso(t, iso, sizeof iso);
    sl_buf_printf(b, "\"%s\"", iso);
}

static void sl_status_print_json(const char *state_path, const char *state_dir, const char *job,
                                 sl_run_report *runs, int n)
{
    sl_buf b = { 0 };
    sl_buf_printf(&b, "{\"state\": ");
    sl_json_str(&b, state_path);
    sl_buf_printf(&b, ", \"job\": ");
    sl_json_str(&b, job);
    sl_buf_printf(&b, ", \"runs\": [");
    for (int i = 0; i < n; i++) {
        sl_run_report *r = &runs[i];
        sl_lock_info info;
        sl_liveness live = sl_status_liveness(state_dir, r, &info);
        sl_buf_printf(&b, "%s\n  {\"id\": %lld, \"number\": %lld, \"job\": ", i ? "," : "", (long long)r->id,
                      (long long)r->number);
        sl_json_str(&b, r->job);
        sl_buf_printf(&b, ", \"status\": ");
        sl_json_str(&b, r->status);
        sl_buf_printf(&b, ", \"process_alive\": %s", live == SL_LIVE_YES ? "true" : live == SL_LIVE_GONE ? "false" : "null");
        sl_buf_printf(&b, ", \"started\": ");
        sl_json_time(&b, r->started);
        sl_buf_printf(&b, ", \"ended\": ");
        sl_json_time(&b, r->ended);
        sl_buf_printf(&b, ", \"pid\": %ld, \"host\": ", r->pid);
        sl_json_str(&b, r->host);
        sl_buf_printf(&b, ", \"resumes\": %d, \"error\": ", r->resumes);
        sl_json_str(&b, r->error);
        sl_buf_printf(&b, ", \"tasks\": {\"done\": %d, \"failed\": %d, \"pending\": %d, \"running\": %d}",
                   r->tasks_done, r->tasks_failed, r->tasks_pending, r->tasks_running);
        sl_buf_printf(&b, ", \"rows\": %lld, \"bytes\": %lld, \"tables\": [", (long long)r->rows, (long long)r->bytes);
        for (int t = 0; t < r->ntables; t++) {
            sl_table_report *tb = &r->tables[t];
            sl_buf_printf(&b, "%s{\"name\": ", t ? ", " : "");
            sl_json_str(&b, tb->name);
            sl_buf_printf(&b, ", \"status\": ");
            sl_json_str(&b, tb->status);
            sl_buf_printf(&b, ", \"done\": %d, \"failed\": %d, \"pending\": %d, \"running\": %d, \"attempts\": %d, "
                           "\"rows\": %lld, \"bytes\": %lld, \"published_at\": ", tb->done, tb->failed, tb->pending,
                       tb->running, tb->attempts, (long long)tb->rows, (long long)tb->bytes);
            sl_json_time(&b, tb->published_at);
            /* {"source": ..., "receipt": ...} as the run recorded it (JSON already) */
            if (tb->receipt) sl_buf_printf(&b, ", \"receipt\": %s", tb->receipt);
            bool any = false;
            for (int c = 0; c < r->nchecks; c++) {
                const sl_check_rec *ck = &r->checks[c];
                if (strcmp(ck->table, tb->name)) continue;
                sl_buf_printf(&b, "%s{\"rule\": ", any ? ", " : ", \"checks\": [");
                any = true;
                sl_json_str(&b, ck->rule);
                sl_buf_printf(&b, ", \"severity\": ");
                sl_json_str(&b, ck->severity);
                sl_buf_printf(&b, ", \"status\": ");
                sl_json_str(&b, ck->status);
                sl_buf_printf(&b, ", \"failing\": %lld, \"examples\": ", (long long)ck->failing);
                if (ck->examples) sl_json_str(&b, ck->examples);
                else sl_buf_printf(&b, "null");
                sl_buf_printf(&b, ", \"detail\": ");
                if (ck->detail) sl_json_str(&b, ck->detail);
                else sl_buf_printf(&b, "null");
                sl_buf_printf(&b, ", \"seconds\": %.3f}", ck->seconds);
            }
            if (any) sl_buf_printf(&b, "]");
            sl_buf_printf(&b, "}");
        }
        sl_buf_printf(&b, "], \"errors\": [");
        for (int e = 0; e < r->nerrors; e++) {
            if (e) sl_buf_printf(&b, ", ");
            sl_json_str(&b, r->errors[e]);
        }
        sl_buf_printf(&b, "]}");
    }
    sl_buf_printf(&b, "%s]}\n", n ? "\n" : "");
    fwrite(b.data, 1, b.len, stdout);
    sl_buf_free(&b);
}

/* Takes `--runs N` / `--runs=N` out of argv (the shared parser does not know it). */
static int sl_status_take_runs(int *argc, char **argv, int *runs)
{
    int out = 0;
    for (int i = 0; i < *argc; i++) {
        const char *value = NULL;
        if (!strcmp(argv[i], "--")) {
            while (i < *argc) argv[out++] = argv[i++];
            break;
        }
        if (!strcmp(argv[i], "--runs")) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "sluice status: option '--runs' needs a value\ntry 'sluice status --help'\n");
                return -1;
            }
            value = argv[++i];
        } else if (!strncmp(argv[i], "--runs=", 7)) {
            value = argv[i] + 7;
        } else {
            argv[out++] = argv[i];
            continue;
        }
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (end == value || *end || errno || v < 1 || v > 100000) {
            fprintf(stderr, "sluice status: --runs: expected a positive number, found '%s'\n"
                            "try 'sluice status --help'\n", value);
            return -1;
        }
        *runs = (int)v;
    }
    *argc = out;
    return 0;
}

int sl_cmd_status(int argc, char **argv)
{
    int nruns = 5;
    char **args = sl_malloc((size_t)(argc + 1) * sizeof *args);
    memcpy(args, argv, (size_t)argc * sizeof *args);
    args[argc] = NULL;
    if (sl_status_take_runs(&argc, args, &nruns) < 0) {
        sl_free(args);
        return SL_EXIT_USAGE;
    }
    sl_cli_opts o;
    int rc = sl_cli_parse(argc, args, SL_OPT_STATE | SL_OPT_JSON, 0, 1, sl_status_usage, &o);
    if (rc >= 0) {
        sl_free(args);
        return rc;
    }
    if (o.nargs == 0 && !o.state_path) {
        fprintf(stderr, "sluice status: give a job file or --state PATH\ntry 'sluice status --help'\n");
        sl_free(args);
        return SL_EXIT_USAGE;
    }

    char *job_name = NULL, *state_path = NULL;
    if (o.nargs == 1) {
        const char *file = o.args[0];
        if (!sl_fs_exists(file)) {
            sl_log(SL_LOG_ERROR, "job file %s: %s", file, strerror(ENOENT));
            sl_free(args);
            return SL_EXIT_USAGE;
        }
        sl_err err = SL_ERR_INIT;
        sl_job *job = sl_job_load(file, &err);
        if (job) {
            job_name = sl_strdup(job->name);
            sl_job_free(job);
        } else {
            job_name = sl_status_scan_name(file);
            sl_log(SL_LOG_DEBUG, "status: job file not loaded (%s); using its name line: %s", err.msg,
                   job_name ? job_name : "(none)");
            if (!job_name) {
                sl_log(SL_LOG_ERROR, "%s", err.msg);
                sl_free(args);
                return SL_EXIT_USAGE;
            }
        }
        if (o.state_path) {
            state_path = sl_strdup(o.state_path);
        } else {
            char *dir = sl_fs_dirname(file);
            state_path = sl_state_default_path(dir);
            sl_free(dir);
        }
    } else {
        state_path = sl_strdup(o.state_path);
    }
    sl_free(args);

    char *state_dir = sl_fs_dirname(state_path);
    int status = SL_EXIT_OK;
    sl_run_report *runs = NULL;
    int n = 0;
    if (sl_fs_exists(state_path)) {
        sl_err err = SL_ERR_INIT;
        sl_state *st = sl_state_open(state_path, &err);
        if (!st || sl_state_runs(st, job_name, nruns, &runs, &n, &err) < 0) {
            status = sl_cli_fail(&err);
            sl_state_close(st);
            goto out;
        }
        if (!o.json) {
            sl_status_print_text(state_path, state_dir, job_name, runs, n);
            sl_status_print_incr(st, job_name, nruns);   /* sl_cmd_status_incr.c */
        }
        sl_state_close(st);
    } else if (!o.json) {
        printf("%s%s%sno runs recorded yet (no state database at %s)\n", job_name ? "job " : "",
               job_name ? job_name : "", job_name ? ": " : "", state_path);
        goto out;
    }
    if (o.json) sl_status_print_json(state_path, state_dir, job_name, runs, n);
out:
    sl_state_runs_free(runs, n);
    sl_free(state_dir);
    sl_free(state_path);
    sl_free(job_name);
    return status;
}
