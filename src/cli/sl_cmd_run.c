/*
 * sl_cmd_run.c - `sluice run job.yaml`: load the job, run it (sl_exec_run),
 * print what was published and what a resume kept. Exit 0 when every table
 * was published, 1 when the job failed (run again to resume it), 2 for a
 * usage or job-file error. SIGINT/SIGTERM stop the run cleanly and promptly
 * (queries in flight are cancelled, nothing more is published, finished
 * task files stay staged for the resume; exit 128 + the signal: 130 for
 * Ctrl-C); a second one kills it.
 */
#include "sl_cli.h"
#include "sl_cli_opts.h"

#include "../core/sl_log.h"
#include "../exec/sl_exec.h"
#include "../core/sl_alloc.h"
#include "../observe/sl_alerts.h"
#include "../observe/sl_progress.h"
#include "../observe/sl_ui.h"
#include "../state/sl_state.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char sl_run_usage[] =
    "usage: sluice run JOB.yaml [--workers N] [--state PATH] [--fresh] [--no-progress]\n"
    "                           [--ui [ADDR:PORT]] [--ui-token TOKEN]\n"
    "                           [--full-refresh [--table T]]\n"
    "                           [--log-level debug|info|warn|error] [--log-format text|json]\n"
    "\n"
    "Copies every table of the job to its target. Each table is written to a\n"
    "staging directory and published (swapped in atomically) only when all its\n"
    "tasks succeeded; a table that fails leaves its previous version in place.\n"
    "A run that did not finish (killed, failed, interrupted) is resumed by the\n"
    "next `sluice run` of the same job file: finished tasks are kept.\n"
    "\n"
    "  --workers N      worker threads (default: number of cores)\n"
    "  --state PATH     run state database (default: .sluice/state.db beside the job file)\n"
    "  --fresh          start over instead of resuming an unfinished run\n"
    "  --full-refresh   incremental tables are read whole again and replace what\n"
    "                   their targets hold (implies --fresh); --table T: only table T\n"
    "  --no-progress    no progress display or progress log lines\n"
    "  --ui [ADDR:PORT] serve the live web UI while the run lasts (default 127.0.0.1:4040,\n"
    "                   the next free port when taken; the link is printed)\n"
    "  --ui-token T     require this token (default $SLUICE_UI_TOKEN; bound beyond\n"
    "                   loopback without one, a random token is made and printed)\n"
    "  --allow-mass-delete  publish even when a table would lose more rows than its\n"
    "                   max_delete_ratio (default 10%) or max_shrink allows\n"
    "  --log-level L    debug, info (default), warn or error\n"
    "  --log-format F   text (default) or json\n"
    "\n"
    "exit status: 0 done, 1 job failed, 2 usage or job-file error, 130 interrupted (Ctrl-C; 143: SIGTERM)\n";

/* How long a finished run waits for its alerts to be delivered (retries included). */
#define SL_RUN_ALERTS_WAIT_S 15.0

static volatile sig_atomic_t sl_run_signal;   /* the signal that interrupted the run, or 0 */
static sl_cancel *sl_run_cancel;              /* the running run's cancel handle */

/* First Ctrl-C (or SIGTERM): stop cleanly, publishing nothing more; the
 * second one kills at once (SA_RESETHAND restores the default action). */
static void sl_run_on_signal(int sig)
{
    sl_run_signal = sig;
    sl_cancel_request(sl_run_cancel);
}

static void sl_run_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = sl_run_on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* --full-refresh [--table T] are taken out of argv before the common options are parsed. */
static int sl_run_full_refresh(int *argc, char **argv, bool *full, const char **table)
{
    int out = 0;
    for (int i = 0; i < *argc; i++) {
        if (!strcmp(argv[i], "--full-refresh")) {
            *full = true;
        } else if (!strcmp(argv[i], "--table") || !strncmp(argv[i], "--table=", 8)) {
            if (argv[i][7] == '=') {
                *table = argv[i] + 8;
            } else if (i + 1 < *argc) {
                *table = argv[++i];
            } else {
                fprintf(stderr, "sluice run: --table needs a table name\n");
                return -1;
            }
        } else {
            argv[out++] = argv[i];
        }
    }
    *argc = out;
    if (*table && !*full) {
        fprintf(stderr, "sluice run: --table goes with --full-refresh (the table to load again from the start)\n");
        return -1;
    }
    return 0;
}

int sl_cmd_run(int argc, char **argv)
{
    sl_cli_opts o;
    bool full_refresh = false;
    const char *full_table = NULL;
    if (sl_run_full_refresh(&argc, argv, &full_refresh, &full_table) < 0) return SL_EXIT_USAGE;
    int rc = sl_cli_parse(argc, argv, SL_OPT_WORKERS | SL_OPT_STATE | SL_OPT_FRESH | SL_OPT_NO_PROGRESS | SL_OPT_UI | SL_OPT_ALLOW_MASS_DELETE,
                          1, 1, sl_run_usage, &o);
    if (rc >= 0) return rc;
    sl_job *job = sl_cli_load_job(o.args[0]);
    if (!job) return SL_EXIT_USAGE;
    sl_err xerr = SL_ERR_INIT;
    if (sl_cli_expand_job(job, &xerr) < 0) {
        sl_job_free(job);
        return sl_cli_fail(&xerr);
    }

    sl_run_opts ro = {
        .workers = o.workers,
        .progress = o.no_progress ? -1 : 1,
        .state_path = o.state_path,
        .fresh = o.fresh || full_refresh,
        .full_refresh = full_refresh,
        .full_refresh_table = full_table,
        .allow_mass_delete = o.allow_mass_delete,
    };
    if (full_table) {
        bool found = false;
        for (int i = 0; i < job->ntables; i++)
            if (!strcmp(job->tables[i].name, full_table) && job->tables[i].incr.cursor) found = true;
        if (!found) {
            sl_log(SL_LOG_ERROR, "job %s: --table %s: no incremental table of that name", job->name, full_table);
            sl_job_free(job);
            return SL_EXIT_USAGE;
        }
    }
    sl_run_cancel = sl_cancel_new();
    ro.cancel = sl_run_cancel;
    /* The web UI: one more observer of the run. */
    sl_events observers = { 0 };
    sl_ui *ui = NULL;
    char *state_path = NULL;
    if (o.ui) {
        state_path = o.state_path ? sl_strdup(o.state_path) : sl_state_default_path(job->dir);
        sl_err uerr = SL_ERR_INIT;
        sl_ui_opts uo = { .job = job, .state_path = state_path, .listen = o.ui_listen, .token = o.ui_token };
        ui = sl_ui_start(&uo, &uerr);
        if (!ui) {
            int st = sl_cli_fail(&uerr);
            sl_free(state_path);
            sl_cancel_free(sl_run_cancel);
            sl_job_free(job);
            return st;
        }
        fprintf(stderr, "sluice: ui: %s\n", sl_ui_url(ui));
        sl_events_add(&observers, sl_ui_observer(ui));
        ro.observers = &observers;
    }
    /* The job's alerts: delivered on a thread of their own, never failing the run. */
    sl_alerts *alerts = sl_alerts_new(job, ui ? sl_ui_url(ui) : NULL);
    if (alerts) {
        sl_events_add(&observers, sl_alerts_observer(alerts));
        ro.observers = &observers;
    }
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    int status = SL_EXIT_OK;
    sl_run_catch_signals();
    if (sl_exec_run(job, &ro, &sum, &err) < 0) {
        status = sl_cli_fail(&err);
        if (sl_run_signal) status = 128 + sl_run_signal;   /* as a shell reports a command the signal ended */
        int64_t done = 0;
        for (int i = 0; i < sum.tables; i++)
            for (int k = 0; k < sum.table_metrics[i].ntasks; k++)
                done += sum.table_metrics[i].tasks[k].status == SL_TM_DONE;
        if (sum.run_id[0])
            sl_log(SL_LOG_INFO, "job %s: run %s can be resumed: `sluice run` again continues it (%d of %d table%s "
                   "published, %lld finished task%s kept), `--fresh` starts over", job->name, sum.run_id,
                   sum.tables - sum.tables_failed, sum.tables, sum.tables == 1 ? "" : "s", (long long)done,
                   done == 1 ? "" : "s");
    } else {
        char b[32], resumed[160] = "";
        if (sum.resumed)
            snprintf(resumed, sizeof resumed, "; resumed: %d table%s and %lld task%s kept from before", sum.tables_kept,
                     sum.tables_kept == 1 ? "" : "s", (long long)sum.tasks_kept, sum.tasks_kept == 1 ? "" : "s");
        sl_log(SL_LOG_INFO, "job %s: done: %d table%s, %lld task%s, %llu rows, %s in %.2fs (run %s%s)", job->name,
               sum.tables, sum.tables == 1 ? "" : "s", (long long)sum.tasks, sum.tasks == 1 ? "" : "s",
               (unsigned long long)sum.rows, sl_human_bytes((double)sum.bytes, b, sizeof b), sum.seconds, sum.run_id,
               resumed);
    }
    sl_run_summary_free(&sum);
    sl_alerts_finish(alerts, SL_RUN_ALERTS_WAIT_S);
    sl_ui_stop(ui);
    sl_free(state_path);
    sl_job_free(job);
    /* A signal from now on finds no run: the default action (SA_RESETHAND spent or not) is fine. */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sl_cancel_free(sl_run_cancel);
    sl_run_cancel = NULL;
    return status;
}
