/*
 * sl_state_report.c - a job's runs read back with their tables, tasks and
 * check results (sluice status, the report, the run summary), and the
 * recording of data checks: per table and rule, and per task for the
 * row-level rules (sl_state.h).
 */
#include "sl_state_int.h"

#include "../core/sl_alloc.h"

#include <stdio.h>
#include <string.h>

/* ---- status ---- */

static int sl_run_details(sl_state *st, sl_run_report *r, sl_err *err)
{
    sqlite3_stmt *q = sl_st_query(st, err,
        "SELECT t.name, t.status, coalesce(t.published_at, 0), "
        "  coalesce(sum(k.status = 'done'), 0), coalesce(sum(k.status = 'failed'), 0), "
        "  coalesce(sum(k.status = 'pending'), 0), coalesce(sum(k.status = 'running'), 0), "
        "  coalesce(sum(CASE WHEN k.status = 'done' THEN k.rows END), 0), "
        "  coalesce(sum(CASE WHEN k.status = 'done' THEN k.file_size END), 0), coalesce(sum(k.attempts), 0), "
        "  t.receipt "
        "FROM tables t LEFT JOIN tasks k ON k.run_id = t.run_id AND k.table_name = t.name "
        "WHERE t.run_id = ? GROUP BY t.name ORDER BY t.name", "i", r->id);
    if (!q) return -1;
    int cap = 0, rc;
    while ((rc = sl_st_step(st, q, err)) == SQLITE_ROW) {
        if (r->ntables == cap) r->tables = sl_realloc(r->tables, (size_t)(cap = cap ? cap * 2 : 8) * sizeof *r->tables);
        sl_table_report *t = &r->tables[r->ntables++];
        t->name = sl_st_col_str(q, 0);
        t->status = sl_st_col_str(q, 1);
        t->published_at = sqlite3_column_double(q, 2);
        t->done = sqlite3_column_int(q, 3);
        t->failed = sqlite3_column_int(q, 4);
        t->pending = sqlite3_column_int(q, 5);
        t->running = sqlite3_column_int(q, 6);
        t->rows = sqlite3_column_int64(q, 7);
        t->bytes = sqlite3_column_int64(q, 8);
        t->attempts = sqlite3_column_int(q, 9);
        t->receipt = sl_st_col_str(q, 10);
        r->tasks_done += t->done;
        r->tasks_failed += t->failed;
        r->tasks_pending += t->pending;
        r->tasks_running += t->running;
        r->rows += t->rows;
        r->bytes += t->bytes;
    }
    sqlite3_finalize(q);
    if (rc < 0) return -1;
    q = sl_st_query(st, err,
        "SELECT k.table_name, k.idx + 1, a.number, coalesce(a.error_code, ''), a.error_message "
        "FROM attempts a JOIN tasks k ON k.id = a.task_id "
        "WHERE k.run_id = ? AND a.error_message IS NOT NULL "
        "ORDER BY a.ended DESC, a.rowid DESC LIMIT 5", "i", r->id);
    if (!q) return -1;
    r->errors = sl_calloc(5, sizeof *r->errors);
    while ((rc = sl_st_step(st, q, err)) == SQLITE_ROW && r->nerrors < 5)
        r->errors[r->nerrors++] = sl_sprintf("%s task %d attempt %d: %s: %s", sqlite3_column_text(q, 0),
                                             sqlite3_column_int(q, 1), sqlite3_column_int(q, 2),
                                             sqlite3_column_text(q, 3), sqlite3_column_text(q, 4));
    sqlite3_finalize(q);
    return rc < 0 ? -1 : 0;
}

static void sl_check_rec_fill(void *rec, sqlite3_stmt *q);

/* The run's check results (st->mu held). */
static int sl_run_checks(sl_state *st, sl_run_report *r, sl_err *err)
{
    sqlite3_stmt *q = sl_st_query(st, err, "SELECT table_name, rule, severity, status, failing, examples, detail, "
                               "seconds FROM checks WHERE run_id = ? ORDER BY table_name, idx", "i", r->id);
    if (!q) return -1;
    int rc = 0;
    for (;;) {
        int step = sl_st_step(st, q, err);
        if (step != SQLITE_ROW) {
            if (step < 0) rc = -1;
            break;
        }
        r->checks = sl_realloc(r->checks, (size_t)(r->nchecks + 1) * sizeof *r->checks);
        sl_check_rec_fill(&r->checks[r->nchecks++], q);
    }
    sqlite3_finalize(q);
    return rc;
}

int64_t sl_state_run_number(sl_state *st, int64_t run_id)
{
    int64_t number = run_id;
    sl_err ignore = SL_ERR_INIT;
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *q = sl_st_query(st, &ignore, "SELECT count(*) FROM runs r2, runs r WHERE r.id = ?1 AND r2.job = r.job "
                                            "AND r2.id <= r.id", "i", run_id);
    if (q && sl_st_step(st, q, &ignore) == SQLITE_ROW && sqlite3_column_int64(q, 0) > 0)
        number = sqlite3_column_int64(q, 0);
    if (q) sqlite3_finalize(q);
    pthread_mutex_unlock(&st->mu);
    return number;
}

int sl_state_runs(sl_state *st, const char *job, int limit, sl_run_report **out, int *n, sl_err *err)
{
    *out = NULL;
    *n = 0;
    if (limit <= 0) limit = 10;
    pthread_mutex_lock(&st->mu);
    int rc = 0;
    /* One read transaction, so the runs and their details agree. */
    sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL);
    sqlite3_stmt *q = sl_st_query(st, err, "SELECT id, job, job_hash, status, coalesce(host, ''), error, started, "
                                        "coalesce(ended, 0), coalesce(pid, 0), resumes, "
                                        "(SELECT count(*) FROM runs r2 WHERE r2.job = runs.job AND r2.id <= runs.id) FROM runs "
                                        "WHERE ?1 IS NULL OR job = ?1 ORDER BY id DESC LIMIT ?2", "si", job,
                               (int64_t)limit);
    if (!q) rc = -1;
    while (q) {
        int step = sl_st_step(st, q, err);
        if (step != SQLITE_ROW) {
            if (step < 0) rc = -1;
            break;
        }
        *out = sl_realloc(*out, (size_t)(*n + 1) * sizeof **out);
        sl_run_report *r = &(*out)[(*n)++];
        memset(r, 0, sizeof *r);
        r->id = sqlite3_column_int64(q, 0);
        r->job = sl_st_col_str(q, 1);
        r->job_hash = sl_st_col_str(q, 2);
        r->status = sl_st_col_str(q, 3);
        r->host = sl_st_col_str(q, 4);
        r->error = sl_st_col_str(q, 5);
        r->started = sqlite3_column_double(q, 6);
        r->ended = sqlite3_column_double(q, 7);
        r->pid = (long)sqlite3_column_int64(q, 8);
        r->resumes = sqlite3_column_int(q, 9);
        r->number = sqlite3_column_int64(q, 10);
    }
    if (q) sqlite3_finalize(q);
    for (int i = 0; rc == 0 && i < *n; i++) rc = sl_run_details(st, &(*out)[i], err);
    for (int i = 0; rc == 0 && i < *n; i++) rc = sl_run_checks(st, &(*out)[i], err);
    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    pthread_mutex_unlock(&st->mu);
    if (rc < 0) {
        sl_state_runs_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

void sl_state_runs_free(sl_run_report *runs, int n)
{
    for (int i = 0; i < n; i++) {
        sl_run_report *r = &runs[i];
        sl_free(r->job);
        sl_free(r->job_hash);
        sl_free(r->status);
        sl_free(r->host);
        sl_free(r->error);
        for (int t = 0; t < r->ntables; t++) {
            sl_free(r->tables[t].name);
            sl_free(r->tables[t].status);
            sl_free(r->tables[t].receipt);
        }
        sl_free(r->tables);
        for (int e = 0; e < r->nerrors; e++) sl_free(r->errors[e]);
        sl_free(r->errors);
        sl_state_checks_free(r->checks, r->nchecks);
    }
    sl_free(runs);
}

/* ---- data checks ---- */

int sl_state_checks_record(sl_state *st, int64_t run_id, const char *table, const sl_check_rec *recs, int n,
                           sl_err *err)
{
    pthread_mutex_lock(&st->mu);
    int rc = sl_st_begin(st, err);
    if (rc == 0) {
        rc = sl_st_exec(st, err, "DELETE FROM checks WHERE run_id = ? AND table_name = ?", "is", run_id, table);
        double now = sl_st_now();
        for (int i = 0; i < n && rc == 0; i++)
            rc = sl_st_exec(st, err, "INSERT INTO checks(run_id, table_name, idx, rule, severity, status, failing, "
                         "examples, detail, seconds, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         "isisssissdd", run_id, table, (int64_t)i, recs[i].rule, recs[i].severity, recs[i].status,
                         recs[i].failing, recs[i].examples, recs[i].detail, recs[i].seconds, now);
        rc = rc < 0 ? sl_st_rollback(st) : sl_st_commit(st, err);
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

static void sl_check_rec_drop(void *recs, int n) { sl_state_checks_free((sl_check_rec *)recs, n); }

static void sl_check_rec_fill(void *rec, sqlite3_stmt *q)
{
    sl_check_rec *c = rec;
    c->table = sl_st_col_str(q, 0);
    c->rule = sl_st_col_str(q, 1);
    c->severity = sl_st_col_str(q, 2);
    c->status = sl_st_col_str(q, 3);
    c->failing = sqlite3_column_int64(q, 4);
    c->examples = sl_st_col_str(q, 5);
    c->detail = sl_st_col_str(q, 6);
    c->seconds = sqlite3_column_double(q, 7);
}

int sl_state_checks_list(sl_state *st, int64_t run_id, const char *table, sl_check_rec **out, int *n, sl_err *err)
{
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *q = sl_st_query(st, err, "SELECT table_name, rule, severity, status, failing, examples, detail, "
                               "seconds FROM checks WHERE run_id = ? AND (? IS NULL OR table_name = ?) "
                               "ORDER BY table_name, idx", "iss", run_id, table, table);
    return sl_st_collect(st, q, sizeof(sl_check_rec), sl_check_rec_fill, sl_check_rec_drop, (void **)out, n, err);
}

void sl_state_checks_free(sl_check_rec *recs, int n)
{
    for (int i = 0; i < n; i++) {
        sl_free(recs[i].table);
        sl_free(recs[i].rule);
        sl_free(recs[i].severity);
        sl_free(recs[i].status);
        sl_free(recs[i].examples);
        sl_free(recs[i].detail);
    }
    sl_free(recs);
}

/* ---- row-level checks per task (schema 7) ---- */

int sl_state_task_checks_put(sl_state *st, int64_t task_id, const sl_task_check_rec *recs, int n, sl_err *err)
{
    pthread_mutex_lock(&st->mu);
    int rc = sl_st_begin(st, err);
    if (rc == 0) {
        rc = sl_st_exec(st, err, "DELETE FROM task_checks WHERE task_id = ?", "i", task_id);
        for (int i = 0; i < n && rc == 0; i++)
            rc = sl_st_exec(st, err, "INSERT INTO task_checks(task_id, idx, failing, examples) VALUES (?, ?, ?, ?)",
                         "iiis", task_id, (int64_t)recs[i].idx, recs[i].failing, recs[i].examples);
        rc = rc < 0 ? sl_st_rollback(st) : sl_st_commit(st, err);
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

static void sl_task_check_rec_drop(void *recs, int n) { sl_state_task_checks_free((sl_task_check_rec *)recs, n); }

static void sl_task_check_rec_fill(void *rec, sqlite3_stmt *q)
{
    sl_task_check_rec *c = rec;
    c->task_id = sqlite3_column_int64(q, 0);
    c->idx = (int)sqlite3_column_int64(q, 1);
    c->failing = sqlite3_column_int64(q, 2);
    c->examples = sl_st_col_str(q, 3);
}

int sl_state_task_checks_list(sl_state *st, int64_t run_id, const char *table, sl_task_check_rec **out, int *n,
                              sl_err *err)
{
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *q = sl_st_query(st, err, "SELECT c.task_id, c.idx, c.failing, c.examples FROM task_checks c "
                               "JOIN tasks t ON t.id = c.task_id WHERE t.run_id = ? AND t.table_name = ? "
                               "ORDER BY c.task_id, c.idx", "is", run_id, table);
    return sl_st_collect(st, q, sizeof(sl_task_check_rec), sl_task_check_rec_fill, sl_task_check_rec_drop,
                           (void **)out, n, err);
}

void sl_state_task_checks_free(sl_task_check_rec *recs, int n)
{
    for (int i = 0; i < n; i++) sl_free(recs[i].examples);
    sl_free(recs);
}
