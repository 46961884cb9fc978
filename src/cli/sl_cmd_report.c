/*
 * sl_cmd_report.c - `sluice report JOB.yaml [--run N] --html FILE
 * [--state PATH]`: one run (default the latest) of a job as one
 * self-contained HTML file (observe/sl_report.h), to attach to a ticket.
 * Exit 0 written, 1 no such run or the file cannot be written, 2 usage.
 */
#include "sl_cli.h"
#include "sl_cli_opts.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"
#include "../observe/sl_report.h"
#include "../state/sl_state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char sl_report_usage[] =
    "usage: sluice report JOB.yaml --html FILE [--run N] [--state PATH]\n"
    "\n"
    "Writes one run of the job as a single HTML file (no script, nothing fetched):\n"
    "its figures, the graph of its nodes, per node the task sizes and skew, the\n"
    "timeline of tasks per worker, the throughput, and the errors and retries.\n"
    "\n"
    "  --html FILE    the file to write\n"
    "  --run N        the run (sluice status lists them; default: the latest)\n"
    "  --state PATH   run state database (default: .sluice/state.db beside the job file)\n";

int sl_cmd_report(int argc, char **argv)
{
    sl_cli_opts o;
    int rc = sl_cli_parse(argc, argv, SL_OPT_STATE | SL_OPT_REPORT, 1, 1, sl_report_usage, &o);
    if (rc >= 0) return rc;
    if (!o.html) {
        fprintf(stderr, "sluice report: say where to write it: --html FILE\n%s", sl_report_usage);
        return SL_EXIT_USAGE;
    }
    sl_job *job = sl_cli_load_job(o.args[0]);
    if (!job) return SL_EXIT_USAGE;
    char *state_path = o.state_path ? sl_strdup(o.state_path) : sl_state_default_path(job->dir);
    sl_err err = SL_ERR_INIT;
    sl_buf html = { 0 };
    int status = SL_EXIT_OK;
    rc = sl_report_html(job, state_path, o.run, &html, &err);
    if (rc < 0) {
        status = sl_cli_fail(&err);
    } else if (rc == 0) {
        if (o.run) sl_log(SL_LOG_ERROR, "job %s: there is no run %lld in %s (sluice status lists the runs)", job->name, o.run, state_path);
        else sl_log(SL_LOG_ERROR, "job %s: no run recorded yet in %s", job->name, state_path);
        status = SL_EXIT_FAILED;
    } else {
        FILE *f = fopen(o.html, "wb");
        if (!f || fwrite(html.data, 1, html.len, f) != html.len || fclose(f) != 0) {
            sl_log(SL_LOG_ERROR, "report %s: cannot write it: %s", o.html, strerror(errno));
            status = SL_EXIT_FAILED;
        } else {
            sl_log(SL_LOG_INFO, "job %s: report written to %s (%zu bytes)", job->name, o.html, html.len);
        }
    }
    sl_buf_free(&html);
    sl_free(state_path);
    sl_job_free(job);
    return status;
}
