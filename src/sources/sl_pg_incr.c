/*
 * sl_pg_incr.c - the window of an incremental read of a PostgreSQL table
 * (`incremental: { cursor, lookback, nulls }`), and the key list of
 * `deletes: detect`, both inside the table's exported snapshot. The key
 * list of an all-integer key is a sorted key file read with an ordered
 * binary COPY (core/sl_keyfile.h, sl_pg_keys.h); other keys are CSV text.
 *
 * The upper bound is the cursor's maximum in the SAME snapshot the tasks
 * read (the prepare session holds it), never a separate query: a row
 * committed after the snapshot is not in the read and not below the bound
 * unless its cursor is older, which is what lookback is for. The window:
 *
 *   first run (no watermark):  cursor <= high                 (all rows)
 *   later runs:                cursor >  low - lookback AND cursor <= high
 *   nulls: include:            ... OR cursor IS NULL          (every run)
 *
 * A first run keeps the table's own partitioning (statistics, pages) and
 * ANDs the window into every task's predicate; a later run reads from the
 * subquery (SELECT * FROM rel WHERE window) AS sl_i, partitioned on the
 * cursor unless a column is given, so each task is an index range of the
 * cursor's index rather than a scan of the whole table.
 *
 * A resumed run is given the bound its first session took (incr_high), so
 * its tasks' predicates are the same and finished tasks are kept.
 */
#include "sl_pg_incr.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_keyfile.h"
#include "sl_pg_conn.h"
#include "sl_pg_keys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool sl_pg_incr_is_int(const char *type)
{
    return !strcmp(type, "smallint") || !strcmp(type, "integer") || !strcmp(type, "bigint");
}

static bool sl_pg_incr_type_ok(const char *type)
{
    return sl_pg_incr_is_int(type) || !strncmp(type, "numeric", 7) || !strcmp(type, "date") ||
           !strncmp(type, "timestamp", 9);
}

/* A literal of the cursor's type: 'text'::type. */
static void sl_pg_incr_literal(sl_buf *b, PGconn *conn, const char *text, const char *type)
{
    char *lit = PQescapeLiteral(conn, text, strlen(text));
    sl_buf_printf(b, "%s::%s", lit ? lit : "NULL", type);
    if (lit) PQfreemem(lit);
}

int sl_pg_incr_window(PGconn *conn, const char *from, const char *what, const sl_job_table *cfg,
                      sl_source_table *tab, sl_pg_incr_plan *out, sl_err *err)
{
    memset(out, 0, sizeof *out);
    const sl_job_incremental *in = &cfg->incr;
    char *q = sl_pg_quote_ident(in->cursor);
    char *sql = sl_sprintf("SELECT max(%s)::text, pg_typeof(max(%s))::text, EXISTS (SELECT 1 FROM %s WHERE %s IS "
                           "NULL) FROM %s", q, q, from, q, from);
    PGresult *res = sl_pg_exec_tuples(conn, sql, what, err);
    sl_free(sql);
    if (!res) {
        sl_err_prefix(err, "incremental cursor %s", in->cursor);
        sl_free(q);
        return -1;
    }
    const char *type = PQgetvalue(res, 0, 1);
    bool has_null = PQgetvalue(res, 0, 2)[0] == 't';
    int rc = 0;
    if (!sl_pg_incr_type_ok(type)) {
        rc = sl_err_set(err, SL_EJOB, "%s: incremental cursor %s has type %s; give a column that grows with each "
                        "change: a timestamp, timestamptz, date or an integer", what, in->cursor, type);
    } else if (sl_pg_incr_is_int(type) && in->lookback_s > 0) {
        rc = sl_err_set(err, SL_EJOB, "%s: incremental cursor %s is an integer (%s): lookback is a duration and "
                        "applies to time cursors; remove lookback (an increasing id is assigned before commit, "
                        "so see the README on the lookback rule)", what, in->cursor, type);
    } else if (has_null && !in->nulls_include) {
        rc = sl_err_set(err, SL_EDATA, "%s: incremental cursor column %s has NULL values: such rows would never be "
                        "loaded; fill the column, or set incremental: {nulls: include} to read the NULL rows every run",
                        what, in->cursor);
    }
    if (rc < 0) {
        PQclear(res);
        sl_free(q);
        return -1;
    }
    out->type = sl_strdup(type);
    type = out->type;   /* res is cleared below; the literals after it need the type */
    out->is_int = sl_pg_incr_is_int(type);
    const char *high = tab->incr_high ? tab->incr_high : (PQgetisnull(res, 0, 0) ? NULL : PQgetvalue(res, 0, 0));
    if (high && *high == 0) high = NULL;
    /* The watermark never moves back (the newest row deleted): the bound is at least the last one. */
    if (high && tab->incr_low) {
        sl_buf cmp = { 0 };
        sl_buf_printf(&cmp, "SELECT (");
        sl_pg_incr_literal(&cmp, conn, high, type);
        sl_buf_printf(&cmp, " < ");
        sl_pg_incr_literal(&cmp, conn, tab->incr_low, type);
        sl_buf_printf(&cmp, ")::text");
        sl_buf_push(&cmp, 0);
        PGresult *c = sl_pg_exec_tuples(conn, (char *)cmp.data, what, err);
        sl_buf_free(&cmp);
        if (!c) {
            PQclear(res);
            sl_free(q);
            return -1;
        }
        if (PQgetvalue(c, 0, 0)[0] == 't') high = tab->incr_low;
        PQclear(c);
    }
    if (!high && tab->incr_low) high = tab->incr_low;
    out->high = high ? sl_strdup(high) : NULL;
    PQclear(res);

    sl_buf w = { 0 };
    sl_buf_printf(&w, "(");
    if (!out->high) {
        sl_buf_printf(&w, "FALSE");
    } else {
        if (tab->incr_low) {
            sl_buf_printf(&w, "%s > ", q);
            if (in->lookback_s > 0) sl_buf_printf(&w, "(");
            sl_pg_incr_literal(&w, conn, tab->incr_low, type);
            if (in->lookback_s > 0) sl_buf_printf(&w, " - interval '%.3f seconds')", in->lookback_s);
            sl_buf_printf(&w, " AND ");
        }
        sl_buf_printf(&w, "%s <= ", q);
        sl_pg_incr_literal(&w, conn, out->high, type);
    }
    if (in->nulls_include) sl_buf_printf(&w, " OR %s IS NULL", q);
    sl_buf_printf(&w, ")");
    /* A first read with soft deletes: rows already marked deleted are not loaded (later reads carry
     * them to the merge, which removes their keys). */
    if (!tab->incr_low && in->deletes == SL_DELETES_COLUMN) {
        char *dc = sl_pg_quote_ident(in->deleted_column);
        sl_buf_printf(&w, " AND %s IS NULL", dc);
        sl_free(dc);
    }
    sl_buf_push(&w, 0);
    out->window = (char *)w.data;
    out->later = tab->incr_low != NULL;
    if (out->later) out->from = sl_sprintf("(SELECT * FROM %s WHERE %s) AS sl_i", from, out->window);
    sl_free(q);
    return 0;
}

void sl_pg_incr_plan_free(sl_pg_incr_plan *p)
{
    sl_free(p->type);
    sl_free(p->high);
    sl_free(p->window);
    sl_free(p->from);
    memset(p, 0, sizeof *p);
}

int sl_pg_incr_and(sl_source_table *tab, const char *window)
{
    for (int i = 0; i < tab->ntasks; i++) {
        char *p = tab->tasks[i].predicate;
        tab->tasks[i].predicate = p ? sl_sprintf("%s AND (%s)", window, p) : sl_strdup(window);
        sl_free(p);
    }
    return 0;
}

/* Integer keys: the ordered binary stream into a sorted key file (core/sl_keyfile.h). */
static int sl_pg_incr_keys_sorted(PGconn *conn, const char *from, const char *what, const sl_job_table *cfg,
                                  const char *path, int64_t *rows, sl_err *err)
{
    sl_keyfile_w w;
    if (sl_keyfile_create(&w, path, cfg->nkey, err) < 0) {
        sl_err_prefix(err, "%s: deletes: detect", what);
        return -1;
    }
    sl_pg_keys k;
    int rc = sl_pg_keys_open(&k, conn, from, cfg->key, cfg->nkey, what, err);
    int64_t key[SL_KEY_MAX_COLS];
    int n = 0;
    while (rc == 0 && (n = sl_pg_keys_iter(&k).next(&k, key, err)) > 0) sl_keyfile_put(&w, key);
    if (n < 0) rc = -1;
    if (sl_pg_keys_close(&k, err) < 0) rc = -1;
    *rows = k.rows;
    if (rc == 0) rc = sl_keyfile_commit(&w, err);
    else sl_keyfile_abort(&w);
    if (rc < 0) sl_err_prefix(err, "deletes: detect");
    return rc;
}

int sl_pg_incr_keys(PGconn *conn, const char *from, const char *what, const sl_job_table *cfg, const char *path,
                    int64_t *rows, sl_err *err)
{
    char *bad = NULL;
    int ints = sl_pg_keys_integer(conn, from, cfg->key, cfg->nkey, what, &bad, err);
    sl_free(bad);
    if (ints < 0) {
        sl_err_prefix(err, "deletes: detect: the key's columns");
        return -1;
    }
    if (ints) return sl_pg_incr_keys_sorted(conn, from, what, cfg, path, rows, err);
    /* Other keys (text, uuid, numeric...): their text form, compared in the target as text (sorting them
     * the same on both sides would need the same collation). */
    sl_buf cols = { 0 };
    for (int k = 0; k < cfg->nkey; k++) {
        char *q = sl_pg_quote_ident(cfg->key[k]);
        sl_buf_printf(&cols, "%s%s", k ? ", " : "", q);
        sl_free(q);
    }
    sl_buf_push(&cols, 0);
    /* Only the key columns: an index-only scan when the key is indexed and the table vacuumed. */
    char *sql = sl_sprintf("COPY (SELECT %s FROM %s) TO STDOUT (FORMAT csv)", (char *)cols.data, from);
    sl_buf_free(&cols);
    char *tmp = sl_sprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        sl_free(sql);
        int rc = sl_err_set(err, SL_EIO, "%s: deletes: detect: cannot write the key list %s: %s", what, tmp,
                            strerror(errno));
        sl_free(tmp);
        return rc;
    }
    *rows = 0;
    PGresult *res = PQexec(conn, sql);
    sl_free(sql);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        rc = sl_pg_result_error(conn, res, what, err);
        if (rc >= 0) rc = sl_err_set(err, SL_ESOURCE, "%s: deletes: detect: reading the keys failed", what);
        PQclear(res);
    } else {
        PQclear(res);
        char *buf;
        int len;
        while ((len = PQgetCopyData(conn, &buf, 0)) > 0) {
            if (fwrite(buf, 1, (size_t)len, f) != (size_t)len) rc = -1;
            (*rows)++;
            PQfreemem(buf);
        }
        while ((res = PQgetResult(conn))) {
            if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
                rc = sl_pg_result_error(conn, res, what, err);
                if (rc >= 0) rc = -1;
            }
            PQclear(res);
        }
        if (rc < 0 && !err->code) sl_err_set(err, SL_EIO, "%s: deletes: detect: writing %s failed", what, tmp);
    }
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        if (rc == 0) rc = sl_err_set(err, SL_EIO, "%s: deletes: detect: writing %s: %s", what, tmp, strerror(errno));
    }
    fclose(f);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = sl_err_set(err, SL_EIO, "%s: deletes: detect: cannot rename %s: %s", what, tmp, strerror(errno));
    if (rc < 0) unlink(tmp);
    sl_free(tmp);
    return rc < 0 ? -1 : 0;
}
