/*
 * sl_exec_checks.c - write, audit, publish: a table's data checks between
 * its last task and its publish (checks/sl_check.h).
 *
 * sl_exec_table_check() is called once by sl_exec_table_end, when every
 * task of the table is done and before any target publishes. It reads the
 * staged Parquet files of the table's first parquet or duckdb target (the
 * files the state store lists for this run: exactly what publish would make
 * live; never the live table), records every rule's result in the state
 * store (a resumed run checks again and replaces them), logs what failed or
 * warned, and says whether the table may be published.
 *
 * When an error-level rule fails, the table is not published in any target:
 * the previous version stays live. Its staged outputs are dropped and its
 * tasks reset in the state store, so the next run reads the source again
 * (a resume would otherwise judge the same rejected rows forever). The
 * error's code is SL_ECHECKS, and `sluice run` exits 3.
 *
 * `references:` reads the other table's published version in a parquet
 * target. A table with such a rule waits (sl_exec_checks_defer, without
 * holding a worker) until the referenced table of the same run has ended,
 * so it is checked against this run's version; when that table failed, or
 * the two reference each other, the previous version is read and a warning
 * says so.
 */
#include "sl_exec_int.h"

#include "../checks/sl_check.h"
#include "../core/sl_alloc.h"
#include "../core/sl_failpoint.h"
#include "../core/sl_log.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* The output whose staged files the checks read: a parquet or duckdb target. */
static int sl_exec_check_out(const sl_exec_table *t)
{
    for (int k = 0; k < t->nouts; k++) {
        const char *kind = t->outs[k].target->kind;
        if (t->outs[k].staged && t->outs[k].sg.ops->staged_path && (!strcmp(kind, "parquet") || !strcmp(kind, "duckdb")))
            return k;
    }
    return -1;
}

/* The staged files of table t's output k, as local paths. */
static int sl_exec_staged_files(sl_exec_table *t, int k, char ***out, int *n, sl_err *err)
{
    sl_exec_out *x = &t->outs[k];
    sl_file_rec *files = NULL;
    int nfiles = 0;
    *out = NULL;
    *n = 0;
    if (sl_state_files_list(t->run->state, t->run->run_id, t->prep.cfg->name, x->target->name, k == 0, &files,
                            &nfiles, err) < 0)
        return -1;
    char **paths = sl_calloc((size_t)(nfiles ? nfiles : 1), sizeof *paths);
    for (int i = 0; i < nfiles; i++) paths[i] = x->sg.ops->staged_path(&x->sg, files[i].path);
    sl_state_files_free(files, nfiles);
    *out = paths;
    *n = nfiles;
    return 0;
}

static void sl_exec_paths_free(char **paths, int n)
{
    for (int i = 0; i < n; i++) sl_free(paths[i]);
    sl_free(paths);
}

/* The table of this run a references: rule names (NULL: none). */
static sl_exec_table *sl_exec_ref_table(sl_exec *run, const sl_job_table *ref)
{
    for (int i = 0; i < run->ntables; i++)
        if (!strcmp(run->job->tables[i].name, ref->name)) return &run->tables[i];
    return NULL;
}

/* Deferring a table's end until the tables its references: rules name
 * have ended (published or failed), so they are checked against this run's
 * version. One mutex for the run's few deferrals; a cycle (a table that,
 * through its references, waits for this one) is not waited for. */
static pthread_mutex_t sl_exec_defer_mu = PTHREAD_MUTEX_INITIALIZER;

static bool sl_exec_waits_for(const sl_exec_table *from, const sl_exec_table *target)
{
    for (int hops = 0; from && hops < 1000; hops++, from = from->deferred_on)
        if (from == target) return true;
    return false;
}

bool sl_exec_checks_defer(sl_exec_table *t)
{
    const sl_job_table *cfg = t->prep.cfg;
    bool deferred = false;
    pthread_mutex_lock(&sl_exec_defer_mu);
    for (int i = 0; i < cfg->nchecks && !deferred && !atomic_load(&t->failed); i++) {
        if (cfg->checks[i].kind != SL_CHECK_REFERENCES) continue;
        sl_exec_table *r = sl_exec_ref_table(t->run, cfg->checks[i].ref);
        if (!r || r == t || r->end_done || r->kept || atomic_load(&r->failed) || !r->prepared) continue;
        if (sl_exec_waits_for(r, t)) continue;
        t->deferred_on = r;
        deferred = true;
    }
    pthread_mutex_unlock(&sl_exec_defer_mu);
    if (deferred)
        sl_log(SL_LOG_DEBUG, "table %s: checks wait for %s to end (references)", cfg->name, t->deferred_on->prep.cfg->name);
    return deferred;
}

sl_exec_table *sl_exec_checks_ended(sl_exec_table *t)
{
    sl_exec_table *waiter = NULL;
    pthread_mutex_lock(&sl_exec_defer_mu);
    t->end_done = true;
    for (int i = 0; i < t->run->ntables && !waiter; i++)
        if (t->run->tables[i].deferred_on == t) {
            waiter = &t->run->tables[i];
            waiter->deferred_on = NULL;
        }
    pthread_mutex_unlock(&sl_exec_defer_mu);
    return waiter;
}

/* The files of a referenced table: its published version in a parquet
 * target (by this run when it ended before this table, which waited for it). */
static void sl_exec_ref_files(sl_exec_table *t, const sl_job_check *c, char ***out, int *n, const char **note)
{
    *out = NULL;
    *n = 0;
    sl_exec_table *r = sl_exec_ref_table(t->run, c->ref);
    pthread_mutex_lock(&sl_exec_defer_mu);
    bool current = r && r->published;   /* by this run (waited for), or kept from before its resume */
    pthread_mutex_unlock(&sl_exec_defer_mu);
    for (int j = 0; j < c->ref->ntargets; j++) {
        const sl_job_target *tg = c->ref->targets[j];
        if (strcmp(tg->kind, "parquet")) continue;
        char *dir = sl_sprintf("%s/%s", tg->path, c->ref->name);
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
            *out = sl_calloc(1, sizeof **out);
            (*out)[0] = sl_sprintf("%s/*.parquet", dir);
            *n = 1;
            if (!current)
                sl_log(SL_LOG_WARN, "table %s: check %s: %s was not published by this run; checked against its "
                       "previous version in %s", t->prep.cfg->name, c->name, c->ref->name, dir);
        }
        sl_free(dir);
        if (*n) return;
    }
    *note = "it has no published version in a parquet target";
}

static void sl_exec_check_log(const sl_exec_table *t, const sl_check_report *rep)
{
    const char *name = t->prep.cfg->name;
    int passed = 0;
    for (int i = 0; i < rep->n; i++) {
        const sl_check_result *r = &rep->results[i];
        if (r->status == SL_CHECK_PASS) {
            passed++;
            continue;
        }
        sl_log(r->status == SL_CHECK_FAIL ? SL_LOG_ERROR : SL_LOG_WARN, "table %s: check %s %s: %s%s%s", name,
               r->check->name, sl_check_status_name(r->status), r->detail, r->examples[0] ? "; examples: " : "",
               r->examples);
    }
    sl_log(SL_LOG_INFO, "table %s: checks: %d of %d passed over %lld rows in %.2fs%s", name, passed, rep->n,
           (long long)rep->rows, rep->seconds, rep->failed ? "; not published" : "");
}

static int sl_exec_check_record(sl_exec_table *t, const sl_check_report *rep, sl_err *err)
{
    sl_check_rec *recs = sl_calloc((size_t)(rep->n ? rep->n : 1), sizeof *recs);
    for (int i = 0; i < rep->n; i++) {
        const sl_check_result *r = &rep->results[i];
        recs[i] = (sl_check_rec){ (char *)t->prep.cfg->name, r->check->name, r->check->warn ? "warn" : "error",
                                  (char *)sl_check_status_name(r->status), r->failing,
                                  r->examples[0] ? (char *)r->examples : NULL, r->detail[0] ? (char *)r->detail : NULL,
                                  r->seconds };
    }
    int rc = sl_state_checks_record(t->run->state, t->run->run_id, t->prep.cfg->name, recs, rep->n, err);
    sl_free(recs);
    return rc;
}

/* Checks failed: the next run reads the source again. State first (a
 * crash between the two leaves files without records, which are redone). */
static void sl_exec_check_discard(sl_exec_table *t)
{
    sl_err e = SL_ERR_INIT;
    for (int i = 0; i < t->prep.st.ntasks; i++) {
        if (sl_state_task_reset(t->run->state, t->task_ids[i], &e) < 0) {
            sl_log(SL_LOG_WARN, "table %s: cannot reset its tasks after failed checks: %s", t->prep.cfg->name, e.msg);
            return;
        }
        t->metrics[i].status = SL_TM_PENDING;   /* not "kept" in the run's summary */
    }
    for (int k = 0; k < t->nouts; k++)
        if (t->outs[k].staged && t->outs[k].sg.ops->reset(&t->outs[k].sg, &e) < 0)
            sl_log(SL_LOG_WARN, "table %s: cannot drop its staged output after failed checks: %s", t->prep.cfg->name,
                   e.msg);
}

int sl_exec_table_check(sl_exec_table *t, sl_err *err)
{
    const sl_job_table *cfg = t->prep.cfg;
    if (!cfg->nchecks) return 0;
    int k = sl_exec_check_out(t);
    if (k < 0)
        return sl_err_set(err, SL_EINTERNAL, "checks: no parquet or duckdb target has the table staged");
    sl_check_input in = { .cfg = cfg, .schema = t->prep.st.schema, .source_rows = 0 };
    if (sl_exec_staged_files(t, k, &in.files, &in.nfiles, err) < 0) return -1;
    for (int i = 0; i < t->prep.st.ntasks; i++) in.source_rows += (int64_t)t->metrics[i].rows;
    /* Kept tasks' rows are in the state store, not in this session's metrics. */
    sl_task_rec *recs = NULL;
    int nrec = 0;
    if (sl_state_tasks_list(t->run->state, t->run->run_id, cfg->name, &recs, &nrec, err) == 0) {
        in.source_rows = 0;
        for (int i = 0; i < nrec; i++) in.source_rows += recs[i].rows;
        sl_state_tasks_free(recs, nrec);
    } else {
        in.source_rows = -1;
        sl_err_clear(err);
    }
    in.ref_files = sl_calloc((size_t)cfg->nchecks, sizeof *in.ref_files);
    in.ref_nfiles = sl_calloc((size_t)cfg->nchecks, sizeof *in.ref_nfiles);
    in.ref_note = sl_calloc((size_t)cfg->nchecks, sizeof *in.ref_note);
    for (int i = 0; i < cfg->nchecks; i++)
        if (cfg->checks[i].kind == SL_CHECK_REFERENCES)
            sl_exec_ref_files(t, &cfg->checks[i], &in.ref_files[i], &in.ref_nfiles[i], &in.ref_note[i]);
    sl_check_report rep;
    int rc = sl_check_run(&in, &rep, err);
    if (rc == 0) {
        sl_exec_check_log(t, &rep);
        rc = sl_exec_check_record(t, &rep, err);
    }
    if (rc == 0) rc = sl_failpoint(SL_FP_CHECKS_DONE, err) < 0 ? -1 : 0;
    if (rc == 0 && rep.failed) {
        char text[1200];
        sl_check_report_text(&rep, text, sizeof text);
        sl_exec_check_discard(t);
        rc = sl_err_set(err, SL_ECHECKS, "%s; not published: its previous version stays live (`sluice status` "
                        "lists every rule's result)", text);
    }
    sl_check_report_free(&rep);
    for (int i = 0; i < cfg->nchecks; i++) sl_exec_paths_free(in.ref_files[i], in.ref_nfiles[i]);
    sl_free(in.ref_files);
    sl_free(in.ref_nfiles);
    sl_free(in.ref_note);
    sl_exec_paths_free(in.files, in.nfiles);
    return rc;
}
