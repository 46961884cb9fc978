/*
 * sl_state_history.c - reading a job's runs back from the state store for
 * the UI, metrics and report (sl_state_history.h). Only SELECTs, on a
 * read-only connection of its own; the store's writer (sl_state.c) is not
 * involved, so a UI request never waits for nor delays a run.
 */
#include "sl_state_history.h"

#include "../core/sl_alloc.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

struct sl_hist {
    sqlite3 *db;
};

sl_hist *sl_hist_open(const char *path, sl_err *err)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        sl_err_set(err, SL_EIO, "state store %s: cannot open it: %s (has the job run here yet?)", path,
                   db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM runs LIMIT 1", -1, &q, NULL) != SQLITE_OK) {
        sl_err_set(err, SL_EIO, "state store %s: not a sluice state store: %s", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_finalize(q);
    sl_hist *h = sl_calloc(1, sizeof *h);
    h->db = db;
    return h;
}

void sl_hist_close(sl_hist *h)
{
    if (!h) return;
    sqlite3_close(h->db);
    sl_free(h);
}

static char *sl_hist_text(sqlite3_stmt *q, int col)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    return t ? sl_strdup((const char *)t) : NULL;
}

static void sl_hist_word(sqlite3_stmt *q, int col, char *out, size_t size)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    snprintf(out, size, "%s", t ? (const char *)t : "");
}

static sqlite3_stmt *sl_hist_prepare(sl_hist *h, const char *sql, sl_err *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(h->db, sql, -1, &q, NULL) != SQLITE_OK) {
        sl_err_set(err, SL_EIO, "state store: reading the run history: %s", sqlite3_errmsg(h->db));
        return NULL;
    }
    return q;
}

static int sl_hist_step_error(sl_hist *h, sqlite3_stmt *q, sl_err *err)
{
    sl_err_set(err, SL_EIO, "state store: reading the run history: %s", sqlite3_errmsg(h->db));
    sqlite3_finalize(q);
    return -1;
}

static void sl_hist_task_clear(sl_hist_task *t)
{
    sl_free(t->predicate);
    sl_free(t->error);
    for (int i = 0; i < t->natt; i++) sl_free(t->att[i].error);
    sl_free(t->att);
}

void sl_hist_run_clear(sl_hist_run *r)
{
    if (!r) return;
    sl_free(r->error);
    for (int i = 0; i < r->ntables; i++) {
        sl_hist_table *t = &r->tables[i];
        sl_free(t->name);
        sl_free(t->target);
        sl_free(t->error);
        for (int k = 0; k < t->ntasks; k++) sl_hist_task_clear(&t->tasks[k]);
        sl_free(t->tasks);
    }
    sl_free(r->tables);
    memset(r, 0, sizeof *r);
}

void sl_hist_runs_free(sl_hist_run *runs, int n)
{
    for (int i = 0; i < n; i++) sl_hist_run_clear(&runs[i]);
    sl_free(runs);
}

/* The attempts of one task, in order. */
static int sl_hist_attempts(sl_hist *h, int64_t task_id, sl_hist_task *t, sl_err *err)
{
    sqlite3_stmt *q = sl_hist_prepare(h, "SELECT number, started, COALESCE(ended, 0), COALESCE(worker, -1), outcome, "
                                         "error_message, error_code FROM attempts WHERE task_id = ? ORDER BY number", err);
    if (!q) return -1;
    sqlite3_bind_int64(q, 1, task_id);
    int cap = 0, rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (t->natt == cap) {
            cap = cap ? cap * 2 : 2;
            t->att = sl_realloc(t->att, (size_t)cap * sizeof *t->att);
        }
        sl_hist_attempt *a = &t->att[t->natt++];
        memset(a, 0, sizeof *a);
        a->number = sqlite3_column_int(q, 0);
        a->started = sqlite3_column_double(q, 1);
        a->ended = sqlite3_column_double(q, 2);
        a->worker = sqlite3_column_int(q, 3);
        sl_hist_word(q, 4, a->outcome, sizeof a->outcome);
        a->error = sl_hist_text(q, 5);
        sl_hist_word(q, 6, a->code, sizeof a->code);
    }
    if (rc != SQLITE_DONE) return sl_hist_step_error(h, q, err);
    sqlite3_finalize(q);
    return 0;
}

static int sl_hist_tasks(sl_hist *h, int64_t run_id, sl_hist_table *tb, sl_err *err)
{
    sqlite3_stmt *q = sl_hist_prepare(h, "SELECT id, idx, predicate, COALESCE(est_rows, -1), status, COALESCE(rows, 0), "
                                         "COALESCE(bytes, 0), COALESCE(file_size, 0), COALESCE(seconds, 0), "
                                         "COALESCE(worker, -1), attempts, error FROM tasks "
                                         "WHERE run_id = ? AND table_name = ? ORDER BY idx", err);
    if (!q) return -1;
    sqlite3_bind_int64(q, 1, run_id);
    sqlite3_bind_text(q, 2, tb->name, -1, SQLITE_STATIC);
    int cap = 0, rc;
    int64_t *ids = NULL;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (tb->ntasks == cap) {
            cap = cap ? cap * 2 : 8;
            tb->tasks = sl_realloc(tb->tasks, (size_t)cap * sizeof *tb->tasks);
            ids = sl_realloc(ids, (size_t)cap * sizeof *ids);
        }
        ids[tb->ntasks] = sqlite3_column_int64(q, 0);
        sl_hist_task *t = &tb->tasks[tb->ntasks++];
        memset(t, 0, sizeof *t);
        t->index = sqlite3_column_int(q, 1);
        t->predicate = sl_hist_text(q, 2);
        t->est_rows = sqlite3_column_int64(q, 3);
        sl_hist_word(q, 4, t->status, sizeof t->status);
        t->rows = sqlite3_column_int64(q, 5);
        t->bytes = sqlite3_column_int64(q, 6);
        t->file_size = sqlite3_column_int64(q, 7);
        t->seconds = sqlite3_column_double(q, 8);
        t->worker = sqlite3_column_int(q, 9);
        t->attempts = sqlite3_column_int(q, 10);
        t->error = sl_hist_text(q, 11);
    }
    if (rc != SQLITE_DONE) {
        sl_free(ids);
        return sl_hist_step_error(h, q, err);
    }
    sqlite3_finalize(q);
    for (int i = 0; i < tb->ntasks; i++)
        if (sl_hist_attempts(h, ids[i], &tb->tasks[i], err) < 0) {
            sl_free(ids);
            return -1;
        }
    sl_free(ids);
    return 0;
}

/* The tables of a run with their task counts; tasks too when asked. */
static int sl_hist_tables(sl_hist *h, sl_hist_run *r, bool with_tasks, sl_err *err)
{
    sqlite3_stmt *q = sl_hist_prepare(
        h,
        "SELECT t.name, t.target, t.status, COALESCE(t.published_at, 0), t.rows, t.bytes, t.error, "
        "  (SELECT COUNT(*) FROM tasks k WHERE k.run_id = t.run_id AND k.table_name = t.name), "
        "  (SELECT COUNT(*) FROM tasks k WHERE k.run_id = t.run_id AND k.table_name = t.name AND k.status = 'done'), "
        "  (SELECT COUNT(*) FROM tasks k WHERE k.run_id = t.run_id AND k.table_name = t.name AND k.status = 'failed'), "
        "  (SELECT COUNT(*) FROM tasks k WHERE k.run_id = t.run_id AND k.table_name = t.name AND k.status = 'running'), "
        "  (SELECT COALESCE(SUM(rows), 0) FROM tasks k WHERE k.run_id = t.run_id AND k.table_name = t.name "
        "     AND k.status = 'done'), "
        "  (SELECT COALESCE(SUM(bytes), 0) FROM tasks k WHERE k.run_id = t.run_id AND k.table_name = t.name "
        "     AND k.status = 'done'), "
        "  (SELECT COALESCE(SUM(file_size), 0) FROM tasks k WHERE k.run_id = t.run_id AND k.table_name = t.name "
        "     AND k.status = 'done'), "
        "  (SELECT COUNT(*) FROM attempts a JOIN tasks k ON a.task_id = k.id WHERE k.run_id = t.run_id "
        "     AND k.table_name = t.name AND a.outcome = 'retry') "
        "FROM tables t WHERE t.run_id = ? ORDER BY t.rowid",
        err);
    if (!q) return -1;
    sqlite3_bind_int64(q, 1, r->id);
    int cap = 0, rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (r->ntables == cap) {
            cap = cap ? cap * 2 : 8;
            r->tables = sl_realloc(r->tables, (size_t)cap * sizeof *r->tables);
        }
        sl_hist_table *t = &r->tables[r->ntables++];
        memset(t, 0, sizeof *t);
        t->name = sl_hist_text(q, 0);
        if (!t->name) t->name = sl_strdup("");
        t->target = sl_hist_text(q, 1);
        sl_hist_word(q, 2, t->status, sizeof t->status);
        t->published_at = sqlite3_column_double(q, 3);
        bool published = !strcmp(t->status, "published") && sqlite3_column_type(q, 4) != SQLITE_NULL;
        t->error = sl_hist_text(q, 6);
        t->tasks_total = sqlite3_column_int(q, 7);
        t->tasks_done = sqlite3_column_int(q, 8);
        t->tasks_failed = sqlite3_column_int(q, 9);
        t->tasks_running = sqlite3_column_int(q, 10);
        t->rows = published ? sqlite3_column_int64(q, 4) : sqlite3_column_int64(q, 11);
        t->bytes = sqlite3_column_int64(q, 12);
        t->file_bytes = sqlite3_column_int64(q, 13);
        t->retries = sqlite3_column_int(q, 14);
        r->rows += t->rows;
        r->bytes += t->bytes;
        if (!strcmp(t->status, "failed")) r->tables_failed++;
    }
    if (rc != SQLITE_DONE) return sl_hist_step_error(h, q, err);
    sqlite3_finalize(q);
    for (int i = 0; with_tasks && i < r->ntables; i++)
        if (sl_hist_tasks(h, r->id, &r->tables[i], err) < 0) return -1;
    return 0;
}

static const char sl_hist_run_cols[] =
    "SELECT id, status, started, COALESCE(ended, 0), resumes, error FROM runs ";

static void sl_hist_run_row(sqlite3_stmt *q, sl_hist_run *r)
{
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(q, 0);
    sl_hist_word(q, 1, r->status, sizeof r->status);
    r->started = sqlite3_column_double(q, 2);
    r->ended = sqlite3_column_double(q, 3);
    r->resumes = sqlite3_column_int(q, 4);
    r->error = sl_hist_text(q, 5);
}

int sl_hist_runs(sl_hist *h, const char *job, int limit, sl_hist_run **out, int *n, sl_err *err)
{
    *out = NULL;
    *n = 0;
    char sql[256];
    snprintf(sql, sizeof sql, "%sWHERE job = ? ORDER BY id DESC LIMIT ?", sl_hist_run_cols);
    sqlite3_stmt *q = sl_hist_prepare(h, sql, err);
    if (!q) return -1;
    sqlite3_bind_text(q, 1, job, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, limit > 0 ? limit : 50);
    sl_hist_run *runs = NULL;
    int cap = 0, count = 0, rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (count == cap) {
            cap = cap ? cap * 2 : 8;
            runs = sl_realloc(runs, (size_t)cap * sizeof *runs);
        }
        sl_hist_run_row(q, &runs[count++]);
    }
    if (rc != SQLITE_DONE) {
        sl_hist_runs_free(runs, count);
        return sl_hist_step_error(h, q, err);
    }
    sqlite3_finalize(q);
    for (int i = 0; i < count; i++)
        if (sl_hist_tables(h, &runs[i], false, err) < 0) {
            sl_hist_runs_free(runs, count);
            return -1;
        }
    *out = runs;
    *n = count;
    return 0;
}

int sl_hist_run_get(sl_hist *h, const char *job, int64_t id, bool with_tasks, sl_hist_run *out, sl_err *err)
{
    memset(out, 0, sizeof *out);
    char sql[256];
    snprintf(sql, sizeof sql, "%sWHERE job = ? AND id = ?", sl_hist_run_cols);
    sqlite3_stmt *q = sl_hist_prepare(h, sql, err);
    if (!q) return -1;
    sqlite3_bind_text(q, 1, job, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(q);
        return 0;
    }
    if (rc != SQLITE_ROW) return sl_hist_step_error(h, q, err);
    sl_hist_run_row(q, out);
    sqlite3_finalize(q);
    if (sl_hist_tables(h, out, with_tasks, err) < 0) {
        sl_hist_run_clear(out);
        return -1;
    }
    return 1;
}

double sl_hist_last_success(sl_hist *h, const char *job)
{
    sl_err err = SL_ERR_INIT;
    sqlite3_stmt *q = sl_hist_prepare(h, "SELECT MAX(ended) FROM runs WHERE job = ? AND status = 'succeeded'", &err);
    if (!q) return 0;
    sqlite3_bind_text(q, 1, job, -1, SQLITE_STATIC);
    double t = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_double(q, 0) : 0;
    sqlite3_finalize(q);
    return t;
}
