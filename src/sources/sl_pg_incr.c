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
#include "../core/sl_log.h"
#include "sl_pg_conn.h"
#include "sl_pg_keys.h"
#include "sl_pg_session.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

/* Integer keys: the ordered binary stream into a sorted key file (core/sl_keyfile.h).
 *
 * Read in up to SL_PGK_PARTS ranges of the first key column side by side,
 * one session each (the coordinating one and extra ones of the table's
 * snapshot group, taken only when the pool has them free: never waited
 * for), when the column's histogram (pg_stats, after ANALYZE) gives the
 * cut points: the server's scan of the key index, not the client, bounds
 * this read, and the ranges use one core each. The first range goes
 * straight into the key file, the others into unlinked files appended in
 * order after it; every range is in key order, so the file is. Rows whose
 * first key column is NULL are in no range: a NULL key is skipped anyway
 * (it equals nothing), and "OR k IS NULL" in the last range made its scan
 * walk the whole index with a filter, twice the other ranges' time. */
#define SL_PGK_PARTS 4

typedef struct sl_pgk_part {
    PGconn *conn;
    const char *from, *what;
    const sl_job_table *cfg;
    char *where;          /* the range; NULL: the whole table */
    sl_keyfile_w *w;      /* the first range: the key file itself */
    FILE *spill;          /* the others: raw keys, appended after */
    int64_t keys;         /* keys written (tuples with a NULL key column are skipped) */
    double secs;          /* this range's read */
    int rc;
    sl_err err;
} sl_pgk_part;

static void *sl_pgk_part_read(void *arg)
{
    sl_pgk_part *p = arg;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sl_pg_keys k;
    p->rc = sl_pg_keys_open(&k, p->conn, p->from, p->where, p->cfg->key, p->cfg->nkey, p->what, &p->err);
    /* Keys written a block at a time: one fwrite per key was a sixth of the client's CPU. */
    enum { BLOCK = 4096 };
    const size_t nk = (size_t)p->cfg->nkey;
    int64_t *block = sl_malloc(BLOCK * SL_KEY_MAX_COLS * sizeof *block);
    size_t have = 0;
    int n = 0;
    while (p->rc == 0 && (n = sl_pg_keys_iter(&k).next(&k, block + have * nk, &p->err)) > 0) {
        p->keys++;
        if (++have == BLOCK) {
            if (p->w) sl_keyfile_put_n(p->w, block, have);
            else fwrite(block, sizeof block[0] * nk, have, p->spill);
            have = 0;
        }
    }
    if (have && p->w) sl_keyfile_put_n(p->w, block, have);
    else if (have) fwrite(block, sizeof block[0] * nk, have, p->spill);
    sl_free(block);
    if (n < 0) p->rc = -1;
    if (sl_pg_keys_close(&k, &p->err) < 0) p->rc = -1;
    if (p->rc == 0 && p->spill && (fflush(p->spill) != 0 || ferror(p->spill)))
        p->rc = sl_err_set(&p->err, SL_EIO, "%s: writing a range of the keys: %s", p->what, strerror(errno));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    p->secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    return NULL;
}

/* Up to want-1 cut points of the first key column from its histogram
 * (ascending, distinct); how many. */
static int sl_pgk_cuts(PGconn *conn, unsigned relid, const char *col, int want, int64_t *cut)
{
    char oid[16];
    snprintf(oid, sizeof oid, "%u", relid);
    const char *p[2] = { oid, col };
    PGresult *r = PQexecParams(conn, "SELECT s.histogram_bounds::text FROM pg_stats s JOIN pg_class c ON c.relname = "
                               "s.tablename JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = "
                               "s.schemaname WHERE c.oid = $1::oid AND s.attname = $2 AND s.histogram_bounds IS NOT "
                               "NULL ORDER BY s.inherited LIMIT 1", 2, NULL, p, NULL, NULL, 0);
    int n = 0;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        /* "{b0,b1,...}": nb bounds; the cut i of want at bound i * (nb - 1) / want */
        const char *t = PQgetvalue(r, 0, 0);
        int64_t b[1024];
        int nb = 0;
        for (const char *q = t + 1; *q && nb < 1024;) {
            char *end;
            errno = 0;
            long long v = strtoll(q, &end, 10);
            if (end == q || errno) break;
            b[nb++] = v;
            q = *end == ',' ? end + 1 : end;
            if (*end != ',') break;
        }
        for (int i = 1; nb >= 2 * want && i < want; i++) {
            int64_t c = b[(size_t)i * (size_t)(nb - 1) / (size_t)want];
            if (n == 0 || c > cut[n - 1]) cut[n++] = c;
        }
    }
    PQclear(r);
    return n;
}

static int sl_pg_incr_keys_sorted(PGconn *conn, sl_pg_pool *pool, sl_pg_group *group, unsigned relid,
                                  const char *from, const char *what, const sl_job_table *cfg, const char *path,
                                  int64_t *rows, sl_err *err)
{
    sl_keyfile_w w;
    if (sl_keyfile_create(&w, path, cfg->nkey, err) < 0) {
        sl_err_prefix(err, "%s: deletes: detect", what);
        return -1;
    }
    /* The ranges: as many as sessions come free, cut at the histogram's quantiles. */
    sl_pg_sess *extra[SL_PGK_PARTS - 1];
    int nextra = 0;
    int64_t cut[SL_PGK_PARTS - 1];
    int ncut = relid && pool ? sl_pgk_cuts(conn, relid, cfg->key[0], SL_PGK_PARTS, cut) : 0;
    while (nextra < ncut && (extra[nextra] = sl_pg_session_try_acquire(pool, group, what))) nextra++;
    int nparts = nextra + 1;
    if (nparts > 1) {   /* fewer sessions than cuts: every other cut */
        int64_t all[SL_PGK_PARTS - 1];
        memcpy(all, cut, sizeof all);
        for (int i = 1; i < nparts; i++) cut[i - 1] = all[(size_t)i * (size_t)(ncut + 1) / (size_t)nparts - 1];
    }
    sl_pgk_part part[SL_PGK_PARTS];
    memset(part, 0, sizeof part);
    char *col = sl_pg_quote_ident(cfg->key[0]);
    int rc = 0;
    for (int i = 0; i < nparts; i++) {
        sl_pgk_part *p = &part[i];
        *p = (sl_pgk_part){ .conn = i ? extra[i - 1]->conn : conn, .from = from, .what = what, .cfg = cfg,
                            .w = i ? NULL : &w, .err = SL_ERR_INIT };
        if (nparts > 1) {
            if (i == 0) p->where = sl_sprintf("%s < %lld", col, (long long)cut[0]);
            else if (i == nparts - 1) p->where = sl_sprintf("%s >= %lld", col, (long long)cut[i - 1]);
            else p->where = sl_sprintf("%s >= %lld AND %s < %lld", col, (long long)cut[i - 1], col, (long long)cut[i]);
        }
        if (i > 0) {
            char *tmpl = sl_sprintf("%s.part-XXXXXX", path);
            int fd = mkstemp(tmpl);
            if (fd >= 0) unlink(tmpl);
            p->spill = fd >= 0 ? fdopen(fd, "w+") : NULL;
            if (!p->spill) {
                if (fd >= 0) close(fd);
                rc = sl_err_set(err, SL_EIO, "%s: cannot create %s: %s", what, tmpl, strerror(errno));
            } else {
                setvbuf(p->spill, NULL, _IOFBF, 1 << 20);
            }
            sl_free(tmpl);
        }
    }
    sl_free(col);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t th[SL_PGK_PARTS];
    bool started[SL_PGK_PARTS] = { false };
    for (int i = 1; rc == 0 && i < nparts; i++) started[i] = pthread_create(&th[i], NULL, sl_pgk_part_read, &part[i]) == 0;
    for (int i = 1; rc == 0 && i < nparts; i++)
        if (!started[i]) sl_pgk_part_read(&part[i]);
    if (rc == 0) sl_pgk_part_read(&part[0]);
    for (int i = 1; i < nparts; i++)
        if (started[i]) pthread_join(th[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *rows = 0;
    for (int i = 0; i < nparts; i++) {
        if (rc == 0 && part[i].rc < 0) {
            *err = part[i].err;
            rc = -1;
        }
        *rows += part[i].keys;
    }
    /* The other ranges after the first, in order. */
    int64_t *block = nparts > 1 ? sl_malloc(8192 * sizeof *block * (size_t)cfg->nkey) : NULL;
    for (int i = 1; rc == 0 && i < nparts; i++) {
        size_t got;
        if (fseek(part[i].spill, 0, SEEK_SET) != 0)
            rc = sl_err_set(err, SL_EIO, "%s: reading back a range of the keys: %s", what, strerror(errno));
        while (rc == 0 && (got = fread(block, sizeof *block * (size_t)cfg->nkey, 8192, part[i].spill)) > 0)
            sl_keyfile_put_n(&w, block, got);
        if (rc == 0 && ferror(part[i].spill))
            rc = sl_err_set(err, SL_EIO, "%s: reading back a range of the keys: %s", what, strerror(errno));
    }
    sl_free(block);
    for (int i = 0; i < nparts; i++) {
        if (part[i].spill) fclose(part[i].spill);
        sl_free(part[i].where);
    }
    for (int i = 0; i < nextra; i++) sl_pg_session_release(pool, extra[i], part[i + 1].rc == 0);
    if (rc == 0) {
        char each[160] = "";
        for (int i = 0, at = 0; nparts > 1 && i < nparts && at < (int)sizeof each; i++)
            at += snprintf(each + at, sizeof each - (size_t)at, "%s%lld in %.2fs", i ? ", " : ": ",
                           (long long)part[i].keys, part[i].secs);
        sl_log(SL_LOG_DEBUG, "%s: deletes: detect: %lld keys read in %.3fs, in %d range%s side by side%s", what,
               (long long)*rows, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, nparts,
               nparts == 1 ? "" : "s", each);
    }
    if (rc == 0) rc = sl_keyfile_commit(&w, err);
    else sl_keyfile_abort(&w);
    if (rc < 0) sl_err_prefix(err, "deletes: detect");
    return rc;
}

int sl_pg_incr_estimate(PGconn *conn, const char *from, const char *what, double *rows, sl_err *err)
{
    char *sql = sl_sprintf("EXPLAIN (FORMAT json) SELECT 1 FROM %s", from);
    PGresult *r = sl_pg_exec_tuples(conn, sql, what, err);
    sl_free(sql);
    if (!r) {
        sl_err_prefix(err, "incremental: estimating the window's rows");
        return -1;
    }
    *rows = -1;
    const char *at = PQntuples(r) == 1 ? strstr(PQgetvalue(r, 0, 0), "\"Plan Rows\":") : NULL;
    if (at) {
        char *end;
        double v = strtod(at + strlen("\"Plan Rows\":"), &end);
        if (end != at + strlen("\"Plan Rows\":") && v >= 0) *rows = v;
    }
    PQclear(r);
    return 0;
}

int sl_pg_incr_keys(PGconn *conn, sl_pg_pool *pool, sl_pg_group *group, unsigned relid, const char *from,
                    const char *what, const sl_job_table *cfg, const char *path, int64_t *rows, sl_err *err)
{
    char *bad = NULL;
    int ints = sl_pg_keys_integer(conn, from, cfg->key, cfg->nkey, what, &bad, err);
    sl_free(bad);
    if (ints < 0) {
        sl_err_prefix(err, "deletes: detect: the key's columns");
        return -1;
    }
    if (ints) return sl_pg_incr_keys_sorted(conn, pool, group, relid, from, what, cfg, path, rows, err);
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
