/*
 * sl_state_incr.c - incremental loads in the state store (sl_state.h): a
 * table's watermark per set of targets and settings, each run's window
 * (recorded before any task commits, so a resumed run reads the same one),
 * its publish, and the history `sluice status` shows.
 */
#include "sl_state_int.h"

#include "../core/sl_alloc.h"

#include <string.h>

/* ---- incremental loads (schema 8) ---- */

void sl_incr_rec_free(sl_incr_rec *r)
{
    sl_free(r->settings);
    sl_free(r->columns);
    sl_free(r->watermark);
    memset(r, 0, sizeof *r);
}

void sl_incr_run_free(sl_incr_run *r)
{
    sl_free(r->targets);
    sl_free(r->settings);
    sl_free(r->columns);
    sl_free(r->low);
    sl_free(r->high);
    memset(r, 0, sizeof *r);
}

int sl_state_incr_get(sl_state *st, const char *job, const char *table, const char *targets, sl_incr_rec *out,
                      sl_err *err)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&st->mu);
    int found = -1;
    sqlite3_stmt *q = sl_st_query(st, err, "SELECT settings, columns, watermark, coalesce(run_id, 0) FROM incr_state "
                                        "WHERE job = ? AND table_name = ? AND targets = ?", "sss", job, table, targets);
    if (q) {
        int rc = sl_st_step(st, q, err);
        if (rc == SQLITE_ROW) {
            out->settings = sl_st_col_str(q, 0);
            out->columns = sl_st_col_str(q, 1);
            out->watermark = sl_st_col_str(q, 2);
            out->run_id = sqlite3_column_int64(q, 3);
            found = 1;
        } else if (rc == SQLITE_DONE) {
            found = 0;
        }
        sqlite3_finalize(q);
    }
    pthread_mutex_unlock(&st->mu);
    return found;
}

int sl_state_incr_run_get(sl_state *st, int64_t run_id, const char *table, sl_incr_run *out, sl_err *err)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&st->mu);
    int found = -1;
    sqlite3_stmt *q = sl_st_query(st, err, "SELECT targets, settings, columns, first, low, high, coalesce(rows, 0), "
                                        "coalesce(deleted, 0), published FROM incr_runs WHERE run_id = ? AND "
                                        "table_name = ?", "is", run_id, table);
    if (q) {
        int rc = sl_st_step(st, q, err);
        if (rc == SQLITE_ROW) {
            out->targets = sl_st_col_str(q, 0);
            out->settings = sl_st_col_str(q, 1);
            out->columns = sl_st_col_str(q, 2);
            out->first = sqlite3_column_int(q, 3) != 0;
            out->low = sl_st_col_str(q, 4);
            out->high = sl_st_col_str(q, 5);
            out->rows = sqlite3_column_int64(q, 6);
            out->deleted = sqlite3_column_int64(q, 7);
            out->published = sqlite3_column_int(q, 8) != 0;
            found = 1;
        } else if (rc == SQLITE_DONE) {
            found = 0;
        }
        sqlite3_finalize(q);
    }
    pthread_mutex_unlock(&st->mu);
    return found;
}

int sl_state_incr_run_set(sl_state *st, int64_t run_id, const char *table, const sl_incr_run *r, sl_err *err)
{
    pthread_mutex_lock(&st->mu);
    int rc = sl_st_exec(st, err, "INSERT OR REPLACE INTO incr_runs(run_id, table_name, targets, settings, columns, "
                     "first, low, high, published) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)", "issssiss", run_id, table,
                     r->targets, r->settings, r->columns, (int64_t)r->first, r->low, r->high);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int sl_state_incr_publish(sl_state *st, const char *job, int64_t run_id, const char *table, int64_t rows,
                          int64_t deleted, sl_err *err)
{
    pthread_mutex_lock(&st->mu);
    int rc = sl_st_begin(st, err);
    if (rc == 0)
        rc = sl_st_exec(st, err, "UPDATE incr_runs SET published = 1, rows = ?, deleted = ? WHERE run_id = ? AND "
                     "table_name = ?", "iiis", rows, deleted, run_id, table);
    if (rc == 0)
        rc = sl_st_exec(st, err, "INSERT OR REPLACE INTO incr_state(job, table_name, targets, settings, columns, "
                     "watermark, run_id, updated) SELECT ?, table_name, targets, settings, columns, high, run_id, ? "
                     "FROM incr_runs WHERE run_id = ? AND table_name = ?", "sdis", job, sl_st_now(), run_id, table);
    rc = rc == 0 ? sl_st_commit(st, err) : sl_st_rollback(st);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

static void sl_incr_hist_fill(void *rec, sqlite3_stmt *q)
{
    sl_incr_hist *h = rec;
    h->table = sl_st_col_str(q, 0);
    h->targets = sl_st_col_str(q, 1);
    h->watermark = sl_st_col_str(q, 2);
    h->run_id = sqlite3_column_int64(q, 3);
    h->first = sqlite3_column_int(q, 4) != 0;
    h->published = sqlite3_column_int(q, 5) != 0;
    h->low = sl_st_col_str(q, 6);
    h->high = sl_st_col_str(q, 7);
    h->rows = sqlite3_column_int64(q, 8);
    h->deleted = sqlite3_column_int64(q, 9);
}

void sl_incr_hist_free(sl_incr_hist *h, int n)
{
    for (int i = 0; i < n; i++) {
        sl_free(h[i].table);
        sl_free(h[i].targets);
        sl_free(h[i].watermark);
        sl_free(h[i].low);
        sl_free(h[i].high);
    }
    sl_free(h);
}

static void sl_incr_hist_drop(void *recs, int n) { sl_incr_hist_free(recs, n); }

int sl_state_incr_history(sl_state *st, const char *job, int limit, sl_incr_hist **out, int *n, sl_err *err)
{
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *q = sl_st_query(st, err,
        "SELECT table_name, targets, watermark, run_id, 0, 1, NULL, NULL, -1, 0, 0 AS k FROM incr_state WHERE job = ? "
        "UNION ALL SELECT i.table_name, i.targets, NULL, i.run_id, i.first, i.published, i.low, i.high, "
        "coalesce(i.rows, 0), coalesce(i.deleted, 0), 1 FROM incr_runs i JOIN runs r ON r.id = i.run_id "
        "WHERE r.job = ? AND i.run_id IN (SELECT run_id FROM incr_runs j WHERE j.table_name = i.table_name "
        "ORDER BY run_id DESC LIMIT ?) ORDER BY 1, 11, 4 DESC", "ssi", job, job, (int64_t)limit);
    return sl_st_collect(st, q, sizeof(sl_incr_hist), sl_incr_hist_fill, sl_incr_hist_drop, (void **)out, n, err);
}
