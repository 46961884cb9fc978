/*
 * sl_store_pg_merge.c - the publish of `write: append` and `write: merge`
 * into a PostgreSQL warehouse (sl_store_postgres.c runs it inside its
 * publishing transaction): new columns (on_schema_change: add_columns),
 * INSERT ... SELECT from the staging table (merge: ON CONFLICT on the key,
 * rows that did not change not rewritten), delete_missing, the incremental
 * delete step (deletes: {column} or detect, sl_store_pg_detect.c for an
 * integer key) with the mass-delete guards, and statistics after a merge.
 */
#include "sl_store_pg_int.h"

#include "../core/sl_alloc.h"
#include "../core/sl_guard.h"
#include "../core/sl_keyfile.h"
#include "../core/sl_log.h"
#include "../sources/sl_pg_conn.h"
#include "../state/sl_fs.h"
#include "sl_store_pg_detect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "NOT EXISTS (SELECT 1 FROM stage s WHERE s.k = l.k ...)": the live rows l
 * whose key the new data lacks. */
static void sl_pgt_missing(sl_buf *sql, const sl_stage *sg)
{
    const sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    sl_buf_printf(sql, "NOT EXISTS (SELECT 1 FROM %s s WHERE ", pg->stage);
    for (int k = 0; k < sg->cfg->nkey; k++) {
        char *q = sl_pg_quote_ident(sg->cfg->key[k]);
        sl_buf_printf(sql, "%ss.%s = l.%s", k ? " AND " : "", q, q);
        sl_free(q);
    }
    sl_buf_printf(sql, ")");
}

/* One count(*) as a number; -1 with err. */
static int sl_pgt_count(PGconn *c, const char *sql, const char *who, int64_t *n, sl_err *err)
{
    PGresult *r = sl_pgt_query(c, sql, 0, NULL, who, err);
    if (!r) return -1;
    *n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return 0;
}

/* The mass-delete guard (core/sl_guard.h) for delete_missing, inside the
 * publishing transaction and before anything is deleted: the keys the
 * merge would delete against the live rows; over max_delete_ratio the
 * error rolls the transaction back. The live table is counted only when
 * something would be deleted. */
static int sl_pgt_guard_deletes(PGconn *c, const sl_stage *sg, sl_err *err)
{
    const sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    double ratio = sl_job_table_max_delete_ratio(sg->cfg);
    if (ratio < 0) return 0;
    sl_buf sql = { 0 };
    sl_buf_printf(&sql, "SELECT count(*) FROM %s l WHERE ", pg->live);
    sl_pgt_missing(&sql, sg);
    int64_t deletes = 0, live = 0;
    int rc = sl_pgt_count(c, (const char *)sql.data, pg->who, &deletes, err);
    sl_buf_free(&sql);
    if (rc < 0 || deletes == 0) return rc;
    char *q = sl_sprintf("SELECT count(*) FROM %s", pg->live);
    rc = sl_pgt_count(c, q, pg->who, &live, err);
    sl_free(q);
    if (rc < 0) return -1;
    char what[600];
    snprintf(what, sizeof what, "%s: %s (delete_missing)", pg->who, pg->display);
    return sl_guard_deletes(what, live, deletes, ratio, sg->allow_mass_delete, err);
}

/* max_shrink for a replace: the live table's rows against the new ones. */
int sl_pgt_guard_shrink(PGconn *c, const sl_stage *sg, int64_t new_rows, sl_err *err)
{
    const sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    double max_shrink = sl_job_table_max_shrink(sg->cfg);
    if (max_shrink < 0) return 0;
    char *q = sl_sprintf("SELECT count(*) FROM %s", pg->live);
    int64_t live = 0;
    int rc = sl_pgt_count(c, q, pg->who, &live, err);
    sl_free(q);
    if (rc < 0) return -1;
    char what[600];
    snprintf(what, sizeof what, "%s: %s", pg->who, pg->display);
    return sl_guard_shrink(what, live, new_rows, max_shrink, sg->allow_mass_delete, err);
}

/* The key file of the run the live table is from: the table's last publish
 * recorded in _sluice.published, when this job made it and its key file is
 * kept (core/sl_keyfile.h); NULL when there is none (or on error: err set, rc -1). */
static char *sl_pgt_prev_keys(PGconn *c, const sl_stage *sg, int ncols, int *rc, sl_err *err)
{
    const sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    *rc = 0;
    if (!sg->keys_dir) return NULL;
    const char *p[2] = { sg->target->schema, sg->table };
    PGresult *r = sl_pgt_query(c, "SELECT job, run_id FROM _sluice.published WHERE schema_name = $1 AND tbl = $2 "
                               "ORDER BY published DESC, run_id DESC LIMIT 1", 2, p, pg->who, err);
    if (!r) {
        *rc = -1;
        return NULL;
    }
    char *path = NULL;
    if (PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), sg->job)) {
        int64_t run = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
        if (run != sg->run_id) path = sl_keyfile_prev(sg->keys_dir, sg->job, run, sg->cfg->name, ncols);
    }
    PQclear(r);
    return path;
}

/* The delete step of an incremental merge (deletes:), one function, in the
 * publishing transaction after the new rows are in: rows the increment marks
 * deleted (deletes: {column: c}: c set; they were not inserted), or live keys
 * absent from the source's key list (deletes: detect, read in the run's
 * snapshot: an integer key's sorted key file is merged with the live keys in
 * key order, sl_store_pg_detect.c; another key's CSV list is copied into a
 * temporary table and anti-joined). sg->deleted_keys: the rows removed. */
static int sl_pgt_incr_deletes(PGconn *c, sl_stage *sg, sl_err *err)
{
    const sl_pgt *pg = sl_pgt_of(sg);
    const sl_job_table *cfg = sg->cfg;
    sl_buf sql = { 0 };
    int rc = 0;
    if (cfg->incr.deletes == SL_DELETES_COLUMN) {
        char *dc = sl_pg_quote_ident(cfg->incr.deleted_column);
        sl_buf_printf(&sql, "DELETE FROM %s l USING %s s WHERE s.%s IS NOT NULL", pg->live, pg->stage, dc);
        sl_free(dc);
    } else if (cfg->incr.deletes == SL_DELETES_DETECT && sg->keys_path) {
        /* An integer key: the source's sorted key file merged with the live keys in order
         * (sl_store_pg_detect.c); only the absent keys come to the warehouse. */
        int ncols = 0;
        int sorted = sl_keyfile_probe(sg->keys_path, &ncols, err);
        if (sorted < 0) return -1;
        if (sorted) {
            char what[600];
            snprintf(what, sizeof what, "%s: %s (deletes)", pg->who, pg->display);
            char *prev = sl_pgt_prev_keys(c, sg, ncols, &rc, err);
            sl_pg_detect d = { pg->live, cfg->key, cfg->nkey, sg->keys_path, pg->who, what,
                               sl_job_table_max_delete_ratio(cfg), sg->allow_mass_delete, prev };
            if (rc == 0 && sl_pg_detect_sorted(c, &d, &sg->deleted_keys, err) < 0) rc = -1;
            sl_free(prev);
            if (rc < 0) sl_err_prefix(err, "deletes: detect");
            return rc;
        }
        /* Other keys: the source's CSV text list copied in and anti-joined. */
        sl_buf_printf(&sql, "CREATE TEMP TABLE sl_src_keys ON COMMIT DROP AS SELECT ");
        sl_pgt_col_list(&sql, cfg->key, cfg->nkey, "");
        sl_buf_printf(&sql, " FROM %s LIMIT 0", pg->live);
        rc = sl_pgt_cmd(c, (const char *)sql.data, pg->who, err);
        sl_buf_clear(&sql);
        size_t len = 0;
        char *data = rc == 0 ? sl_fs_read_all(sg->keys_path, &len, err) : NULL;
        if (rc == 0 && !data) rc = -1;
        if (rc == 0) {
            PGresult *r = PQexec(c, "COPY sl_src_keys FROM STDIN (FORMAT csv)");
            if (PQresultStatus(r) != PGRES_COPY_IN) rc = sl_pg_result_error(c, r, pg->who, err);
            PQclear(r);
            if (rc == 0 && (PQputCopyData(c, data, (int)len) != 1 || PQputCopyEnd(c, NULL) != 1))
                rc = sl_pg_result_error(c, NULL, pg->who, err);
            while ((r = PQgetResult(c))) {
                if (rc == 0 && PQresultStatus(r) != PGRES_COMMAND_OK) rc = sl_pg_result_error(c, r, pg->who, err);
                PQclear(r);
            }
        }
        sl_free(data);
        if (rc == 0) rc = sl_pgt_cmd(c, "ANALYZE sl_src_keys", pg->who, err);
        if (rc < 0) {
            sl_buf_free(&sql);
            sl_err_prefix(err, "deletes: detect");
            return -1;
        }
        sl_buf_printf(&sql, "DELETE FROM %s l WHERE NOT EXISTS (SELECT 1 FROM sl_src_keys s WHERE ", pg->live);
    } else {
        return 0;
    }
    bool detect = cfg->incr.deletes == SL_DELETES_DETECT;
    for (int k = 0; k < cfg->nkey; k++) {
        char *q = sl_pg_quote_ident(cfg->key[k]);
        sl_buf_printf(&sql, "%ss.%s = l.%s", detect && k == 0 ? "" : " AND ", q, q);
        sl_free(q);
    }
    if (detect) sl_buf_printf(&sql, ")");
    sl_buf_push(&sql, 0);
    PGresult *r = sl_pgt_query(c, (const char *)sql.data, 0, NULL, pg->who, err);
    if (!r) rc = -1;
    else sg->deleted_keys = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    sl_buf_free(&sql);
    /* The mass-delete guard: over max_delete_ratio of the live rows, the
     * error rolls the publishing transaction back (nothing is deleted). */
    double ratio = sl_job_table_max_delete_ratio(cfg);
    if (rc == 0 && ratio >= 0 && sg->deleted_keys > 0) {
        int64_t left = 0;
        char *q = sl_sprintf("SELECT count(*) FROM %s", pg->live);
        rc = sl_pgt_count(c, q, pg->who, &left, err);
        sl_free(q);
        char what[600];
        snprintf(what, sizeof what, "%s: %s (deletes)", pg->who, pg->display);
        if (rc == 0)
            rc = sl_guard_deletes(what, left + sg->deleted_keys, sg->deleted_keys, ratio, sg->allow_mass_delete, err);
    }
    return rc;
}

/* append and merge: new columns first (add_columns), then the rows. */
int sl_pgt_merge(PGconn *c, const sl_stage *sg, const sl_pgt_cols *want, const sl_pgt_diff *d,
                 int64_t *deleted, int64_t *written, sl_err *err)
{
    const sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    const sl_job_table *cfg = sg->cfg;
    int rc = 0;
    for (int i = 0; i < d->nadded && rc == 0; i++) {
        char *q = sl_pg_quote_ident(want->names[d->added[i]]);
        char *sql = sl_sprintf("ALTER TABLE %s ADD COLUMN %s %s", pg->live, q, want->types[d->added[i]]);
        rc = sl_pgt_cmd(c, sql, pg->who, err);
        sl_free(q);
        sl_free(sql);
    }
    if (rc == 0 && cfg->write == SL_WRITE_MERGE) {
        int has = sl_pgt_has_unique_key(c, sg, err);
        if (has < 0) return -1;
        if (!has) {
            char *key = sl_pgt_key_text(cfg);
            rc = sl_err_set(err, SL_ESOURCE, "%s: %s has no unique index on the key (%s); create one (CREATE UNIQUE "
                            "INDEX ON %s (%s))", pg->who, pg->display, key, pg->display, key);
            sl_free(key);
            return rc;
        }
    }
    if (rc == 0 && cfg->nkey) rc = sl_pgt_add_key(c, sg, err);
    if (rc == 0 && cfg->write == SL_WRITE_MERGE && cfg->delete_missing) rc = sl_pgt_guard_deletes(c, sg, err);
    if (rc < 0) return -1;
    sl_buf sql = { 0 };
    sl_buf_printf(&sql, "INSERT INTO %s AS l (", pg->live);
    sl_pgt_col_list(&sql, want->names, want->n, "");
    sl_buf_printf(&sql, ") SELECT ");
    sl_pgt_col_list(&sql, want->names, want->n, "");
    sl_buf_printf(&sql, " FROM %s", pg->stage);
    if (cfg->write == SL_WRITE_MERGE && cfg->incr.deletes == SL_DELETES_COLUMN) {
        /* soft deletes: rows marked deleted are removed below, not inserted */
        char *dc = sl_pg_quote_ident(cfg->incr.deleted_column);
        sl_buf_printf(&sql, " WHERE %s IS NULL", dc);
        sl_free(dc);
    }
    if (cfg->write == SL_WRITE_MERGE) {
        /* In key order: the conflict checks and updates then walk the key
         * index and the live table's pages in order, not at random (the
         * staging table holds the rows in cursor order); 100k rows merged
         * into 10M took 0.45-0.48 s so against 0.59-0.69 s unsorted. */
        sl_buf_printf(&sql, " ORDER BY ");
        sl_pgt_col_list(&sql, cfg->key, cfg->nkey, "");
        sl_buf_printf(&sql, " ON CONFLICT (");
        sl_pgt_col_list(&sql, cfg->key, cfg->nkey, "");
        sl_buf_printf(&sql, ") DO ");
        int nset = 0;
        for (int i = 0; i < want->n; i++) {
            bool is_key = false;
            for (int k = 0; k < cfg->nkey; k++) is_key |= !strcmp(cfg->key[k], want->names[i]);
            if (is_key) continue;
            char *q = sl_pg_quote_ident(want->names[i]);
            sl_buf_printf(&sql, "%s%s = EXCLUDED.%s", nset++ ? ", " : "UPDATE SET ", q, q);
            sl_free(q);
        }
        if (!nset) {
            sl_buf_printf(&sql, "NOTHING");
        } else {
            /* Rows that did not change are not rewritten. */
            sl_buf_printf(&sql, " WHERE (");
            sl_pgt_col_list(&sql, want->names, want->n, "l.");
            sl_buf_printf(&sql, ") IS DISTINCT FROM (");
            sl_pgt_col_list(&sql, want->names, want->n, "EXCLUDED.");
            sl_buf_printf(&sql, ")");
        }
    }
    sl_buf_push(&sql, 0);
    PGresult *ins = sl_pgt_query(c, (const char *)sql.data, 0, NULL, pg->who, err);
    if (!ins) rc = -1;
    else *written = strtoll(PQcmdTuples(ins), NULL, 10);
    PQclear(ins);
    sl_buf_clear(&sql);
    if (rc == 0 && cfg->write == SL_WRITE_MERGE && cfg->delete_missing) {
        sl_buf_printf(&sql, "DELETE FROM %s l WHERE ", pg->live);
        sl_pgt_missing(&sql, sg);
        PGresult *r = sl_pgt_query(c, (const char *)sql.data, 0, NULL, pg->who, err);
        if (!r) rc = -1;
        else *deleted = strtoll(PQcmdTuples(r), NULL, 10);
        PQclear(r);
    }
    sl_buf_free(&sql);
    if (rc == 0 && cfg->write == SL_WRITE_MERGE && cfg->incr.cursor) rc = sl_pgt_incr_deletes(c, (sl_stage *)sg, err);
    if (rc == 0) {
        char *drop = sl_sprintf("DROP TABLE %s", pg->stage);
        rc = sl_pgt_cmd(c, drop, pg->who, err);
        sl_free(drop);
    }
    return rc;
}

/* Statistics after a merge, when the rows it wrote or deleted are many for
 * the table: more than autovacuum's analyze threshold (50 + 10% of the rows
 * PostgreSQL last counted, its defaults). Below that, ANALYZE of a big
 * table (a sample of 30,000 rows read at random) would cost more than the
 * merge, and autovacuum analyzes the table once the changes add up. A
 * failure here loses nothing. */
void sl_pgt_analyze_if_needed(PGconn *c, const sl_stage *sg, int64_t changed)
{
    const sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    if (changed <= 0) return;
    sl_err ae = SL_ERR_INIT;
    const char *p[1] = { pg->live };
    PGresult *r = sl_pgt_query(c, "SELECT reltuples::bigint FROM pg_class WHERE oid = $1::regclass", 1, p, pg->who,
                               &ae);
    int64_t reltuples = r && PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : -1;
    PQclear(r);
    if (reltuples >= 0 && (double)changed <= 50 + 0.1 * (double)reltuples) {
        sl_log(SL_LOG_DEBUG, "%s: %s: no ANALYZE: %lld rows changed of about %lld (autovacuum's threshold: 50 + 10%%)",
               pg->who, pg->display, (long long)changed, (long long)reltuples);
        return;
    }
    char *sql = sl_sprintf("ANALYZE %s", pg->live);
    if (sl_pgt_cmd(c, sql, pg->who, &ae) < 0) sl_log(SL_LOG_WARN, "%s", ae.msg);
    sl_free(sql);
}
