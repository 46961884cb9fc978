/*
 * sl_store_local.c - the local-directory store (see sl_store.h): tables of a
 * target at path T land in T/<table>/, through the staging and publish
 * protocol of state/sl_publish.h (staged files under T/.sluice-staging/, one
 * renameat2(RENAME_EXCHANGE) per table).
 *
 * A task's output is "<stage>/.<name>.tmp" while it is written (an sl_out on
 * a local file); commit fsyncs and closes it, then renames it to <name> and
 * fsyncs the directory (sl_staging_file_finish, which hits the failpoints
 * task-file-synced and task-commit); discard unlinks the temporary. The
 * job's staging on a directory is locked per run (a lock file under
 * .sluice-staging/<job>/), and nothing is published over a directory this
 * job did not publish (sl_publish_check_live).
 */
#include "sl_store.h"

#include "../core/sl_alloc.h"
#include "../core/sl_guard.h"
#include "../core/sl_log.h"
#include "../state/sl_fs.h"
#include "../state/sl_publish.h"
#include "sl_store_incr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sl_staging *sl_local(sl_stage *sg) { return sg->impl; }

static int sl_local_stage_open(sl_stage *sg, sl_err *err)
{
    sl_staging *st = sl_calloc(1, sizeof *st);
    if (sl_staging_open(st, sg->target->path, sg->job, sg->run_id, sg->table, err) < 0) {
        sl_free(st);
        return -1;
    }
    st->run_started = sg->run_started;
    sg->impl = st;
    sg->where = sl_strdup(st->live);
    return 0;
}

static void sl_local_stage_close(sl_stage *sg)
{
    if (sg->impl) {
        sl_staging_close(sg->impl);
        sl_free(sg->impl);
    }
    sl_free(sg->where);
    sg->impl = NULL;
    sg->where = NULL;
}

static int sl_local_already(sl_stage *sg, sl_err *err) { return sl_publish_already(sl_local(sg), err); }

static int sl_local_tidy(sl_stage *sg, int *removed, sl_err *err)
{
    return sl_staging_remove_temporaries(sl_local(sg), removed, err);
}

static int sl_local_check(sl_stage *sg, const sl_store_file *f, sl_err *err)
{
    return sl_staging_check_file(sl_local(sg), f->name, f->bytes, f->crc32, true, err);
}

static int sl_local_reset(sl_stage *sg, sl_err *err)
{
    const char *dir = sl_local(sg)->dir;
    return sl_fs_rmtree(dir, err) < 0 || sl_fs_mkdirs(dir, err) < 0 ? -1 : 0;
}

/* The name of the output being written travels in the sl_out's name: its
 * temporary path, "<stage>/.<name>.tmp". */
static sl_out *sl_local_create(sl_stage *sg, const char *name, sl_err *err)
{
    char *tmp = sl_staging_tmp_path(sl_local(sg), name);
    sl_out *out = sl_out_open_file_direct(tmp, err);
    sl_free(tmp);
    return out;
}

static int sl_local_commit(sl_stage *sg, sl_out *out, sl_store_file *f, sl_err *err)
{
    f->bytes = (int64_t)sl_out_tell(out);
    f->crc32 = out->crc;
    if (sl_out_close(out, true, err) < 0) {
        sl_staging_file_discard(sl_local(sg), f->name);
        return -1;
    }
    return sl_staging_file_finish(sl_local(sg), f->name, err);
}

static void sl_local_discard(sl_stage *sg, const char *name, sl_out *out)
{
    if (out) sl_out_abort(out);
    sl_staging_file_discard(sl_local(sg), name);
}

/* max_shrink (core/sl_guard.h): the new version against the live manifest's
 * rows, unless the live table is already this run's (a repeated publish). */
static int sl_local_guard_shrink(sl_stage *sg, const sl_store_manifest *m, sl_err *err)
{
    double max_shrink = sg->cfg ? sl_job_table_max_shrink(sg->cfg) : -1;
    if (max_shrink < 0) return 0;
    const sl_staging *st = sl_local(sg);
    int already = sl_publish_already(st, err);
    if (already != 0) return already < 0 ? -1 : 0;
    int64_t live = 0, rows = 0;
    int have = sl_publish_live_rows(st->target_dir, st->table, &live, err);
    if (have <= 0) return have;
    for (int i = 0; i < m->nfiles; i++) rows += m->files[i].rows;
    char what[600];
    snprintf(what, sizeof what, "table %s in %s", sg->table, sg->where ? sg->where : st->live);
    return sl_guard_shrink(what, live, rows, max_shrink, sg->allow_mass_delete, err);
}

static int sl_local_publish(sl_stage *sg, const sl_store_manifest *m, sl_store_result *res, sl_err *err)
{
    /* An incremental table written with append or merge: a whole new version from the live one and the increment. */
    if (sg->cfg && sg->cfg->incr.cursor && sg->cfg->write != SL_WRITE_REPLACE)
        return sl_lake_incr_publish(sg, sl_local(sg), m, res, err);
    if (sl_local_guard_shrink(sg, m, err) < 0) return -1;
    return sl_publish_table(sl_local(sg), m, res, err);
}

static int sl_local_drop(sl_stage *sg, const char *name, sl_err *err)
{
    return sl_staging_file_remove(sl_local(sg), name, err);
}

static char *sl_local_place(const sl_job_target *target)
{
    char *real = realpath(target->path, NULL);
    char *place = sl_strdup(real ? real : target->path);
    free(real);
    return place;
}

static void *sl_local_lock(const sl_job_target *target, const char *job, const char *holder, sl_err *err)
{
    sl_lock *lk = sl_publish_lock_target(target->path, job, err);
    sl_err he = SL_ERR_INIT;
    if (lk && sl_lock_set_holder(lk, holder, &he) < 0) sl_log(SL_LOG_DEBUG, "%s", he.msg);
    return lk;
}

static void sl_local_unlock(void *lock, const sl_job_target *target, const char *job)
{
    sl_publish_unlock_target(lock, target->path, job);
}

static int sl_local_check_live(const sl_job_target *target, const char *job, const sl_job_table *cfg, sl_err *err)
{
    return sl_publish_check_live(target->path, job, cfg->name, err);
}

static int sl_local_clean_stale(const sl_job_target *target, const char *job, int64_t keep_run_id, int *removed,
                                sl_err *err)
{
    return sl_publish_clean_stale(target->path, job, keep_run_id, removed, err);
}

static int sl_local_clean_run(const sl_job_target *target, const char *job, int64_t run_id, bool finished,
                              sl_err *err)
{
    int kept = 0;
    return finished ? sl_publish_clean_run(target->path, job, run_id, err)
                    : sl_publish_clean_unfinished(target->path, job, run_id, &kept, err);
}

static char *sl_local_staged_path(sl_stage *sg, const char *name) { return sl_staging_file_path(sl_local(sg), name); }

const sl_store_ops sl_store_local = {
    .kind = "local",
    .stage_open = sl_local_stage_open,
    .stage_close = sl_local_stage_close,
    .already = sl_local_already,
    .tidy = sl_local_tidy,
    .check = sl_local_check,
    .reset = sl_local_reset,
    .create = sl_local_create,
    .commit = sl_local_commit,
    .discard = sl_local_discard,
    .drop = sl_local_drop,
    .staged_path = sl_local_staged_path,
    .publish = sl_local_publish,
    .place = sl_local_place,
    .lock = sl_local_lock,
    .unlock = sl_local_unlock,
    .check_live = sl_local_check_live,
    .clean_stale = sl_local_clean_stale,
    .clean_run = sl_local_clean_run,
};
