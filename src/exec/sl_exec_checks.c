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
#include "../checks/sl_check_row.h"
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
        if (!t->outs[k].reject && t->outs[k].staged && t->outs[k].sg.ops->staged_path && (!strcmp(kind, "parquet") || !strcmp(kind, "duckdb")))
            return k;
    }
    return -1;
}

/* The staged files of table t's output k, as local paths, and their rows. */
static int sl_exec_staged_files(sl_exec_table *t, int k, char ***out, int *n, int64_t *rows, sl_err *err)
{
    sl_exec_out *x = &t->outs[k];
    sl_file_rec *files = NULL;
    int nfiles = 0;
    *out = NULL;
    *n = 0;
    if (sl_state_files_list(t->run->state, t->run->run_id, t->prep.cfg->name, sl_exec_out_name(x), k == 0, &files,
                            &nfiles, err) < 0)
        return -1;
    char **paths = sl_calloc((size_t)(nfiles ? nfiles : 1), sizeof *paths);
    *rows = 0;
    for (int i = 0; i < nfiles; i++) {
        paths[i] = x->sg.ops->staged_path(&x->sg, files[i].path);
        *rows += files[i].rows;
    }
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

/* What the task loop found, merged over the table's tasks (the kept ones'
 * from the state store, like the rest): NULL when no rule is judged there,
 * or when a task has no record (done by a sluice before the loop judged
 * rules): then DuckDB judges every rule on the staged files. */
static sl_check_row_counts *sl_exec_loop_counts(sl_exec_table *t, int64_t *bad, bool *proven)
{
    const sl_job_table *cfg = t->prep.cfg;
    *bad = 0;
    sl_check_row *ev = sl_check_row_new(cfg, t->prep.st.schema);
    if (!ev) return NULL;
    sl_check_row_counts *acc = sl_calloc((size_t)cfg->nchecks, sizeof *acc);
    for (int i = 0; i < cfg->nchecks; i++) acc[i] = (sl_check_row_counts){ .failing = ev->counts[i].failing };
    bool key_int = ev->key_int;
    /* unique: each tracked rule's watch per task */
    sl_check_uniq *watch = sl_calloc((size_t)cfg->nchecks * (size_t)(t->prep.st.ntasks + 1), sizeof *watch);
    int *nwatch = sl_calloc((size_t)cfg->nchecks, sizeof *nwatch);
    bool *tracked = sl_calloc((size_t)cfg->nchecks, sizeof *tracked);
    for (int i = 0; i < cfg->nchecks; i++) tracked[i] = ev->uniq[i].tracked;
    sl_check_row_free(ev);
    sl_task_check_rec *recs = NULL;
    int n = 0, tasks = 0;
    sl_err e = SL_ERR_INIT;
    if (sl_state_task_checks_list(t->run->state, t->run->run_id, cfg->name, &recs, &n, &e) < 0) {
        sl_log(SL_LOG_WARN, "table %s: cannot read the task loop's check counts: %s; checking the staged files",
               cfg->name, e.msg);
        sl_free(acc);
        return NULL;
    }
    for (int r = 0; r < n; r++) {
        bool ours = false;
        for (int i = 0; i < t->prep.st.ntasks && !ours; i++) ours = t->task_ids[i] == recs[r].task_id;
        if (!ours) continue;
        if (recs[r].idx < 0) {
            tasks++;
            *bad += recs[r].failing;
        } else if (recs[r].idx < cfg->nchecks && tracked[recs[r].idx]) {
            int i = recs[r].idx;
            sl_check_uniq *u = &watch[(size_t)i * (size_t)(t->prep.st.ntasks + 1) + (size_t)nwatch[i]];
            if (nwatch[i] < t->prep.st.ntasks && sl_check_uniq_decode(recs[r].examples, u)) nwatch[i]++;
        } else if (recs[r].idx < cfg->nchecks && acc[recs[r].idx].failing >= 0) {
            sl_check_row_counts one = { .failing = recs[r].failing };
            sl_check_row_examples_decode(recs[r].examples, &one);
            sl_check_row_merge(&acc[recs[r].idx], &one, key_int);
        }
    }
    sl_state_task_checks_free(recs, n);
    for (int i = 0; i < cfg->nchecks; i++)
        proven[i] = tracked[i] && nwatch[i] == t->prep.st.ntasks && tasks == t->prep.st.ntasks &&
                    sl_check_uniq_proven(&watch[(size_t)i * (size_t)(t->prep.st.ntasks + 1)], nwatch[i]);
    sl_free(watch);
    sl_free(nwatch);
    sl_free(tracked);
    if (tasks != t->prep.st.ntasks) {
        if (cfg->on_bad_rows != SL_BAD_ROWS_FAIL)
            sl_log(SL_LOG_WARN, "table %s: %d of %d tasks have no row check counts (done by an older sluice); "
                   "their rules are judged on the staged files", cfg->name, t->prep.st.ntasks - tasks,
                   t->prep.st.ntasks);
        sl_free(acc);
        *bad = 0;
        return NULL;
    }
    return acc;
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
    if (sl_exec_staged_files(t, k, &in.files, &in.nfiles, &in.staged_rows, err) < 0) return -1;
    bool *proven = sl_calloc((size_t)cfg->nchecks, sizeof *proven);
    sl_check_row_counts *counts = sl_exec_loop_counts(t, &in.row_bad, proven);
    in.unique_proven = proven;
    in.row_counts = counts;
    if (counts && cfg->on_bad_rows != SL_BAD_ROWS_FAIL) in.split_rows = in.row_bad;
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
    if (counts) {
        int looped = 0;
        for (int i = 0; i < cfg->nchecks; i++) looped += counts[i].failing >= 0;
        sl_log(SL_LOG_INFO, "table %s: checks: %d rule%s judged in the task loop (%lld bad row%s%s)", cfg->name, looped,
               looped == 1 ? "" : "s", (long long)in.row_bad, in.row_bad == 1 ? "" : "s",
               cfg->on_bad_rows == SL_BAD_ROWS_DROP ? ", dropped"
               : cfg->on_bad_rows == SL_BAD_ROWS_QUARANTINE ? ", quarantined" : "");
    }
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
    sl_free(counts);
    sl_free(proven);
    return rc;
}

/* ---- the task loop's row-level checks, drop and quarantine ---- */

/* A lake target holds files a quarantine table can be published beside the table in. */
static bool sl_exec_is_lake(const sl_job_target *tg) { return !strcmp(tg->kind, "parquet") || !strcmp(tg->kind, "csv"); }

sl_exec_out *sl_exec_checks_outs(const sl_job_table *cfg, int *nouts)
{
    int ntg = cfg->ntargets ? cfg->ntargets : 1;
    int nrej = 0;
    for (int k = 0; k < ntg && cfg->on_bad_rows == SL_BAD_ROWS_QUARANTINE; k++)
        nrej += sl_exec_is_lake(cfg->ntargets ? cfg->targets[k] : cfg->target);
    sl_exec_out *outs = sl_calloc((size_t)(ntg + nrej), sizeof *outs);
    int n = 0;
    for (int k = 0; k < ntg; k++) outs[n++].target = cfg->ntargets ? cfg->targets[k] : cfg->target;
    for (int k = 0; k < ntg && nrej; k++) {
        const sl_job_target *tg = cfg->ntargets ? cfg->targets[k] : cfg->target;
        if (!sl_exec_is_lake(tg)) continue;
        sl_exec_out *x = &outs[n++];
        x->target = tg;
        x->reject = true;
        x->table_name = sl_sprintf("%s__rejected", cfg->name);
        x->name = sl_sprintf("%s:rejected", tg->name);
    }
    *nouts = n;
    return outs;
}

void sl_exec_checks_outs_free(sl_exec_table *t)
{
    for (int k = 0; k < t->nouts; k++) {
        sl_free(t->outs[k].table_name);
        sl_free(t->outs[k].name);
    }
    sl_free(t->outs);
    t->outs = NULL;
    if (t->reject_schema) sl_schema_free(t->reject_schema);
    t->reject_schema = NULL;
}

void sl_exec_checks_ready(sl_exec_table *t)
{
    const sl_schema *s = t->prep.st.schema;
    if (t->reject_schema || t->prep.cfg->on_bad_rows != SL_BAD_ROWS_QUARANTINE) return;
    sl_schema *r = sl_schema_new(s->ncols + 3);
    for (int i = 0; i < s->ncols; i++) sl_schema_set(r, i, s->fields[i].name, s->fields[i].type, true);
    sl_schema_set(r, s->ncols, "_rule", (sl_type){ .id = SL_T_STRING }, false);
    sl_schema_set(r, s->ncols + 1, "_reason", (sl_type){ .id = SL_T_STRING }, false);
    sl_schema_set(r, s->ncols + 2, "_run", (sl_type){ .id = SL_T_INT64 }, false);
    t->reject_schema = r;
}

/* Row `row` of b appended to rej, with the rule it failed first, why, and the run. */
static void sl_exec_reject_row(sl_exec_table *t, const sl_check_row *ev, const sl_batch *b, size_t row, sl_batch *rej)
{
    size_t j = rej->nrows++;
    for (int c = 0; c < b->ncols; c++) sl_vec_copy_value(&rej->cols[c], j, &b->cols[c], row);
    int rule = ev->bad[row] - 1;
    const char *name = t->prep.cfg->checks[rule].name;
    char reason[400];
    sl_check_row_reason(ev, b, row, rule, reason, sizeof reason);
    sl_vec_set_bytes(&rej->cols[b->ncols], j, name, strlen(name));
    sl_vec_set_bytes(&rej->cols[b->ncols + 1], j, reason, strlen(reason));
    *(int64_t *)sl_vec_slot(&rej->cols[b->ncols + 2], j) = t->run->run_id;
}

size_t sl_exec_checks_batch(sl_exec_table *t, sl_check_row *ev, sl_batch *b, sl_batch *rej)
{
    if (rej) sl_batch_reset(rej);
    size_t nbad = sl_check_row_batch(ev, b);
    if (!nbad || t->prep.cfg->on_bad_rows == SL_BAD_ROWS_FAIL) return 0;
    if (rej)
        for (size_t r = 0; r < b->nrows; r++)
            if (ev->bad[r]) sl_exec_reject_row(t, ev, b, r, rej);
    sl_batch_keep(b, ev->bad);   /* the good rows, in order */
    return nbad;
}

int sl_exec_checks_task_done(sl_exec_table *t, int task_index, const sl_check_row *ev, sl_err *err)
{
    const sl_job_table *cfg = t->prep.cfg;
    sl_task_check_rec *recs = sl_calloc((size_t)cfg->nchecks + 1, sizeof *recs);
    sl_buf *ex = sl_calloc((size_t)cfg->nchecks + 1, sizeof *ex);
    int n = 0;
    recs[n++] = (sl_task_check_rec){ .idx = -1, .failing = ev->bad_rows };
    for (int i = 0; i < cfg->nchecks; i++) {
        if (ev->uniq[i].tracked) {
            sl_check_uniq_encode(&ev->uniq[i], &ex[n]);
            recs[n] = (sl_task_check_rec){ .idx = i, .failing = 0, .examples = (char *)sl_buf_cstr(&ex[n]) };
            n++;
            continue;
        }
        if (!sl_check_row_judges(ev, i)) continue;
        sl_check_row_examples_encode(&ev->counts[i], &ex[n]);
        recs[n] = (sl_task_check_rec){ .idx = i, .failing = ev->counts[i].failing,
                                       .examples = ex[n].len ? (char *)sl_buf_cstr(&ex[n]) : NULL };
        n++;
    }
    int rc = sl_state_task_checks_put(t->run->state, t->task_ids[task_index], recs, n, err);
    if (rc < 0) sl_err_prefix(err, "recording the task's checks in the state store");
    for (int i = 0; i < n; i++) sl_buf_free(&ex[i]);
    sl_free(ex);
    sl_free(recs);
    return rc;
}
