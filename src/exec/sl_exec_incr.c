/*
 * sl_exec_incr.c - incremental tables during a run: what to read, and the
 * watermark moved only once the table is published in every target.
 *
 *   begin      before the source is prepared: a resumed run reads what its
 *              first session read (incr_runs: the same low and high bounds,
 *              so its finished tasks' predicates stay the same); a new run
 *              reads after the published watermark of (job, table, targets)
 *              (incr_state), or everything when there is none or
 *              --full-refresh asks. Changed incremental settings are an
 *              error saying to run --full-refresh.
 *   prepared   after prepare (the source took max(cursor) in the snapshot it
 *              reads): the columns are compared with the last published
 *              ones, and the run's read is recorded before any task commits.
 *   published  every target has the table: the watermark moves to the
 *              run's high bound (one state transaction). Called again for a
 *              table a resumed run finds published: harmless.
 *              deletes: detect: this run's key file stays in .sluice/incr
 *              for the next run's delete step (core/sl_keyfile.h), the
 *              table's other runs' files go; a resumed run keeps none (a
 *              resumed session reads its keys into a file of another
 *              name, never taken for the run's: the targets that published
 *              in the first session got that session's keys).
 *
 * A first read (no watermark, or --full-refresh) is written with
 * write: replace into every target (t->incr->cfg, a copy of the table's
 * settings the stores see); later reads with the table's append or merge.
 */
#include "sl_exec_int.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_keyfile.h"
#include "../core/sl_log.h"
#include "../state/sl_fs.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char *sl_incr_targets_text(const sl_job_table *cfg)
{
    sl_buf b = { 0 };
    for (int k = 0; k < cfg->ntargets; k++)
        if (!cfg->targets[k]->internal) sl_buf_printf(&b, "%s%s", b.len ? "," : "", cfg->targets[k]->name);
    sl_buf_push(&b, 0);
    return (char *)b.data;
}

static char *sl_incr_settings_text(const sl_job_table *cfg)
{
    sl_buf b = { 0 };
    const sl_job_incremental *in = &cfg->incr;
    sl_buf_printf(&b, "cursor=%s lookback=%gs nulls=%s write=%s key=", in->cursor, in->lookback_s,
                  in->nulls_include ? "include" : "error", sl_write_mode_name(cfg->write));
    for (int k = 0; k < cfg->nkey; k++) sl_buf_printf(&b, "%s%s", k ? "," : "", cfg->key[k]);
    sl_buf_printf(&b, " deletes=%s", in->deletes == SL_DELETES_DETECT ? "detect"
                                     : in->deletes == SL_DELETES_COLUMN ? in->deleted_column : "none");
    sl_buf_push(&b, 0);
    return (char *)b.data;
}

static bool sl_incr_full_refresh(const sl_exec *run, const sl_job_table *cfg)
{
    if (!run->opts->full_refresh) return false;
    return !run->opts->full_refresh_table || !strcmp(run->opts->full_refresh_table, cfg->name);
}

const sl_job_table *sl_exec_incr_cfg(const sl_exec_table *t, const sl_job_table *cfg)
{
    return t->incr ? &t->incr->cfg : cfg;
}

int sl_exec_incr_begin(sl_exec_table *t, const sl_job_table *cfg, sl_err *e)
{
    sl_exec *run = t->run;
    if (!cfg->incr.cursor) return 0;
    sl_exec_incr *x = sl_calloc(1, sizeof *x);
    t->incr = x;
    x->cfg = *cfg;
    int have = sl_state_incr_run_get(run->state, run->run_id, cfg->name, &x->read, e);
    if (have < 0) return -1;
    char *targets = sl_incr_targets_text(cfg), *settings = sl_incr_settings_text(cfg);
    if (have) {
        x->recorded = true;
        sl_free(targets);
        sl_free(settings);
    } else {
        sl_incr_rec rec;
        int found = sl_state_incr_get(run->state, run->job->name, cfg->name, targets, &rec, e);
        if (found < 0) {
            sl_free(targets);
            sl_free(settings);
            return -1;
        }
        x->read.targets = targets;
        x->read.settings = settings;
        bool full = sl_incr_full_refresh(run, cfg);
        if (found && !full && strcmp(rec.settings, settings)) {
            sl_err_set(e, SL_EJOB, "table %s: its incremental settings changed since the watermark was taken (was: "
                       "%s; now: %s): the rows already loaded were read another way; run `sluice run %s "
                       "--full-refresh --table %s` to load it again from the start", cfg->name, rec.settings,
                       settings, run->job->file ? run->job->file : "JOB", cfg->name);
            sl_incr_rec_free(&rec);
            return -1;
        }
        x->read.first = full || !found || !rec.watermark;
        x->read.low = x->read.first ? NULL : sl_strdup(rec.watermark);
        x->read.columns = found && !full ? (rec.columns ? sl_strdup(rec.columns) : NULL) : NULL;
        if (found) sl_incr_rec_free(&rec);
    }
    if (x->read.first) x->cfg.write = SL_WRITE_REPLACE;
    x->in.incr_low = x->read.first ? NULL : x->read.low;
    /* A resumed run reads up to the bound its first session took ("": it found no row, not "take it now"). */
    x->in.incr_high = have ? (x->read.high ? x->read.high : "") : NULL;
    if (cfg->incr.deletes == SL_DELETES_DETECT) {
        x->keys_dir = sl_sprintf("%s/.sluice/incr", run->job->dir && *run->job->dir ? run->job->dir : ".");
        if (sl_fs_mkdirs(x->keys_dir, e) < 0) return -1;
        if (!x->read.first) {
            x->keys_path = sl_keyfile_path(x->keys_dir, run->job->name, run->run_id, cfg->name, run->start.resumed);
            x->in.keys_path = x->keys_path;
        }
    }
    return 0;
}

bool sl_exec_incr_keys_kept(const sl_exec_table *t)
{
    return t->incr && t->incr->keys_path && !t->run->start.resumed;
}

int sl_exec_incr_prepared(sl_exec_table *t, sl_err *e)
{
    sl_exec_incr *x = t->incr;
    if (!x) return 0;
    sl_exec *run = t->run;
    const sl_job_table *cfg = t->prep.cfg;
    char *columns = sl_state_columns_text(t->prep.st.schema);
    if (!x->recorded && !x->read.first && x->read.columns && strcmp(x->read.columns, columns)) {
        sl_err_set(e, SL_EJOB, "table %s: its columns changed since the last incremental run; the loaded rows have "
                   "the old ones: run `sluice run %s --full-refresh --table %s` to load it again with the new columns",
                   cfg->name, run->job->file ? run->job->file : "JOB", cfg->name);
        sl_free(columns);
        return -1;
    }
    if (x->recorded) {
        sl_free(columns);
        return 0;
    }
    sl_free(x->read.columns);
    x->read.columns = columns;
    sl_free(x->read.high);
    x->read.high = t->prep.st.incr_new_high ? sl_strdup(t->prep.st.incr_new_high) : NULL;
    if (sl_state_incr_run_set(run->state, run->run_id, cfg->name, &x->read, e) < 0) return -1;
    x->recorded = true;
    if (x->read.first)
        sl_log(SL_LOG_INFO, "table %s: incremental: %s read, up to %s = %s", cfg->name,
               run->opts->full_refresh ? "a full refresh:" : "the first", cfg->incr.cursor,
               x->read.high ? x->read.high : "(no rows)");
    else
        sl_log(SL_LOG_INFO, "table %s: incremental: reading %s > %s%s, up to %s", cfg->name, cfg->incr.cursor,
               x->read.low, cfg->incr.lookback_s > 0 ? " - lookback" : "", x->read.high ? x->read.high : x->read.low);
    return 0;
}

int sl_exec_incr_published(sl_exec_table *t, sl_err *e)
{
    sl_exec_incr *x = t->incr;
    if (!x) return 0;
    const sl_job_table *cfg = t->prep.cfg;
    int64_t rows = 0;
    for (int k = 0; t->metrics && k < t->prep.st.ntasks; k++) rows += (int64_t)t->metrics[k].rows;
    if (!t->metrics) {   /* kept from before the resume: what was recorded */
        sl_incr_run r;
        if (sl_state_incr_run_get(t->run->state, t->run->run_id, cfg->name, &r, e) > 0) {
            rows = r.rows;
            sl_incr_run_free(&r);
        }
    }
    int64_t deleted = atomic_load(&x->deleted);
    if (sl_state_incr_publish(t->run->state, t->run->job->name, t->run->run_id, cfg->name, rows, deleted, e) < 0)
        return -1;
    x->rows = rows;
    /* Every target has this run's keys now: the key files of other runs go. This run's stays for the next
     * run's delete step when it is a sorted key file, unless the run was resumed (its keys and its
     * increment may then come from different snapshots, so a target could hold a key the file lacks). */
    if (x->keys_dir) {
        int ncols = 0;
        sl_err ignored = SL_ERR_INIT;
        bool keep = sl_exec_incr_keys_kept(t) && sl_keyfile_probe(x->keys_path, &ncols, &ignored) == 1;
        sl_keyfile_prune(x->keys_dir, t->run->job->name, cfg->name, keep ? t->run->run_id : -1);
    }
    char del[64] = "";
    if (deleted > 0) snprintf(del, sizeof del, "; %lld deleted", (long long)deleted);
    if (!x->read.first)
        sl_log(SL_LOG_INFO, "table %s: %lld new row%s read%s; watermark %s = %s", cfg->name, (long long)rows,
               rows == 1 ? "" : "s", del,
               cfg->incr.cursor, x->read.high ? x->read.high : "(none)");
    else
        sl_log(SL_LOG_INFO, "table %s: %lld row%s loaded; watermark %s = %s", cfg->name, (long long)rows,
               rows == 1 ? "" : "s", cfg->incr.cursor, x->read.high ? x->read.high : "(none)");
    return 0;
}

void sl_exec_incr_prune_others(const sl_exec *run)
{
    const sl_job *job = run->job;
    char **names = sl_calloc((size_t)job->ntables + 1, sizeof *names);
    int n = 0;
    for (int i = 0; i < job->ntables; i++)
        if (job->tables[i].incr.cursor && job->tables[i].incr.deletes == SL_DELETES_DETECT) names[n++] = job->tables[i].name;
    char *dir = sl_sprintf("%s/.sluice/incr", job->dir && *job->dir ? job->dir : ".");
    int removed = sl_keyfile_prune_others(dir, job->name, names, n);
    if (removed > 0)
        sl_log(SL_LOG_DEBUG, "job %s: removed %d key file%s of tables no longer in the job with deletes: detect",
               job->name, removed, removed == 1 ? "" : "s");
    sl_free(dir);
    sl_free(names);
}

void sl_exec_incr_free(sl_exec_table *t)
{
    sl_exec_incr *x = t->incr;
    if (!x) return;
    sl_incr_run_free(&x->read);
    sl_free(x->keys_dir);
    sl_free(x->keys_path);
    sl_free(x);
    t->incr = NULL;
}
