/*
 * sl_cmd_compact.c - `sluice compact JOB.yaml [TABLE]`: rewrites the small
 * files of lake tables (an incremental table gains files every run) into
 * few, published atomically like any version (store/sl_lake_compact.c).
 *
 * It holds the job's run lock and each target's staging lock, so no run of
 * the job goes on meanwhile, and refuses while the job's latest run is
 * unfinished (its resume recognises what it published by the run id in the
 * manifest, which a compacted version no longer carries: run the job first).
 * Local parquet targets only.
 */
#include "sl_cli.h"
#include "sl_cli_opts.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"
#include "../state/sl_fs.h"
#include "../state/sl_lock.h"
#include "../state/sl_publish.h"
#include "../state/sl_state.h"
#include "../store/sl_store_incr.h"

#include <stdio.h>
#include <string.h>

static const char sl_compact_usage[] =
    "usage: sluice compact JOB.yaml [TABLE] [--state PATH]\n"
    "\n"
    "Rewrites the small files (under 250,000 rows) of each lake (local parquet)\n"
    "table of the job, or only TABLE, together into files of up to about 1.25M\n"
    "rows, published atomically as a new version; larger files stay as they are.\n"
    "Runs of the job wait for it.\n";

int sl_cmd_compact(int argc, char **argv)
{
    sl_cli_opts o;
    int rc = sl_cli_parse(argc, argv, SL_OPT_STATE, 1, 2, sl_compact_usage, &o);
    if (rc >= 0) return rc;
    sl_job *job = sl_cli_load_job(o.args[0]);
    if (!job) return SL_EXIT_USAGE;
    const char *only = o.nargs > 1 ? o.args[1] : NULL;
    sl_err err = SL_ERR_INIT;
    char *state_path = o.state_path ? sl_strdup(o.state_path) : sl_state_default_path(job->dir);
    char *state_dir = sl_fs_dirname(state_path);
    sl_lock *lk = NULL;
    int status = SL_EXIT_OK, done = 0;
    if (sl_cli_expand_job(job, &err) < 0 || !(lk = sl_lock_acquire(state_dir, job->name, &err))) {
        status = sl_cli_fail(&err);
        goto out;
    }
    if (sl_fs_exists(state_path)) {
        sl_state *st = sl_state_open(state_path, &err);
        sl_run_report *runs = NULL;
        int n = 0;
        if (!st || sl_state_runs(st, job->name, 1, &runs, &n, &err) < 0) {
            sl_state_close(st);
            status = sl_cli_fail(&err);
            goto out;
        }
        bool unfinished = n > 0 && strcmp(runs[0].status, "succeeded");
        sl_state_runs_free(runs, n);
        sl_state_close(st);
        if (unfinished) {
            sl_log(SL_LOG_ERROR, "job %s: its latest run did not finish; run the job first (it resumes that run), "
                   "then compact", job->name);
            status = 1;
            goto out;
        }
    }
    for (int i = 0; i < job->ntables && status == SL_EXIT_OK; i++) {
        const sl_job_table *t = &job->tables[i];
        if (only && strcmp(only, t->name)) continue;
        for (int k = 0; k < t->ntargets && status == SL_EXIT_OK; k++) {
            const sl_job_target *g = t->targets[k];
            if (g->internal || strcmp(g->kind, "parquet") || !g->path || !strncmp(g->path, "s3://", 5)) continue;
            sl_lock *tl = sl_publish_lock_target(g->path, job->name, &err);
            int before = 0, after = 0;
            if (!tl || sl_lake_compact(g, job->name, t->name, t->nkey == 1 ? t->key[0] : NULL, &before, &after, &err) < 0) {
                sl_err_prefix(&err, "job %s: table %s: target %s", job->name, t->name, g->name);
                status = sl_cli_fail(&err);
            } else {
                sl_log(SL_LOG_INFO, "table %s in %s: %d file%s -> %d", t->name, g->name, before,
                       before == 1 ? "" : "s", after);
            }
            sl_publish_unlock_target(tl, g->path, job->name);
            done++;
        }
    }
    if (status == SL_EXIT_OK && only && done == 0) {
        sl_log(SL_LOG_ERROR, "job %s: no table %s with a local parquet target", job->name, only);
        status = SL_EXIT_USAGE;
    }
out:
    sl_lock_release(lk);
    sl_free(state_dir);
    sl_free(state_path);
    sl_job_free(job);
    return status;
}
