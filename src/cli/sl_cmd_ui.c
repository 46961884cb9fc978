/*
 * sl_cmd_ui.c - `sluice ui JOB.yaml [--listen ADDR:PORT] [--state PATH]
 * [--ui-token T]`: serves the web UI (observe/sl_ui.h) over the history of
 * a job from its state store, until Ctrl-C. The same pages as `run --ui`,
 * without a live run.
 */
#include "sl_cli.h"
#include "sl_cli_opts.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"
#include "../observe/sl_ui.h"
#include "../state/sl_state.h"

#include <signal.h>
#include <stdio.h>

static const char sl_ui_usage[] =
    "usage: sluice ui JOB.yaml [--listen ADDR:PORT] [--state PATH] [--ui-token TOKEN]\n"
    "\n"
    "Serves the web UI over the runs of a job recorded in its state store: the runs,\n"
    "each run's graph of nodes, a node's tasks, skew, timeline and throughput, the\n"
    "errors and retries, a JSON API under /api/ and Prometheus metrics at /metrics.\n"
    "Stops on Ctrl-C.\n"
    "\n"
    "  --listen ADDR:PORT  where to listen (default 127.0.0.1:4040, the next free port\n"
    "                      when taken); beyond loopback a token is required\n"
    "  --state PATH        run state database (default: .sluice/state.db beside the job file)\n"
    "  --ui-token T        require this token (default $SLUICE_UI_TOKEN; beyond loopback\n"
    "                      without one, a random token is made and printed in the link)\n";

int sl_cmd_ui(int argc, char **argv)
{
    sl_cli_opts o;
    int rc = sl_cli_parse(argc, argv, SL_OPT_STATE | SL_OPT_LISTEN, 1, 1, sl_ui_usage, &o);
    if (rc >= 0) return rc;
    sl_job *job = sl_cli_load_job(o.args[0]);
    if (!job) return SL_EXIT_USAGE;
    char *state_path = o.state_path ? sl_strdup(o.state_path) : sl_state_default_path(job->dir);
    sl_err err = SL_ERR_INIT;
    sl_ui_opts uo = { .job = job, .state_path = state_path, .listen = o.ui_listen, .token = o.ui_token };
    /* Signals are waited for, not handled: block them before the server's threads start. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    sl_ui *ui = sl_ui_start(&uo, &err);
    int status = SL_EXIT_OK;
    if (!ui) {
        status = sl_cli_fail(&err);
    } else {
        fprintf(stderr, "sluice: ui: %s (Ctrl-C stops it)\n", sl_ui_url(ui));
        int sig = 0;
        sigwait(&set, &sig);
        sl_ui_stop(ui);
    }
    sl_free(state_path);
    sl_job_free(job);
    return status;
}
