/*
 * sl_store_pg_detect.c - `deletes: detect` in a PostgreSQL warehouse when
 * the key is all integers: the live keys are read in key order (binary COPY
 * of SELECT keys ... ORDER BY keys: the unique index merge requires gives
 * the order), merged with the source's sorted key file (core/sl_keydiff.h),
 * and only the keys found absent are copied into a temporary table and
 * deleted (DELETE ... USING). Before: every source key was copied into the
 * warehouse and anti-joined against the whole live table.
 *
 * The absent keys are spilled to an unlinked file beside the key file while
 * the live keys stream (a session cannot COPY in while it copies out), so
 * memory stays bounded whatever the number of deletes. The mass-delete
 * guard is asked with the counts the merge gives (live keys, absent keys)
 * before anything is deleted. All of it runs in the caller's publishing
 * transaction: an error rolls back everything the publish did.
 *
 * The live keys are not read at all when the key file of the run the live
 * table is from is kept (core/sl_keyfile.h): the table holds no key outside
 * it, so the keys absent from the source are found by merging the two files.
 * Otherwise (the first incremental run after a full load, or after a
 * resumed run) they are read, as an index-only scan only where the table's
 * visibility map is set: sl_pg_detect_vacuum, called after a publish of a
 * detect table whose key file is not kept, keeps it so (VACUUM visits only
 * the pages changed since).
 */
#include "sl_store_pg_detect.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_guard.h"
#include "../core/sl_keydiff.h"
#include "../core/sl_keyfile.h"
#include "../core/sl_log.h"
#include "../sources/sl_pg_conn.h"
#include "../sources/sl_pg_keys.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct sl_pgd_spill {
    FILE *f;
    int ncols;
} sl_pgd_spill;

static int sl_pgd_emit(void *ctx, const int64_t *key, sl_err *err)
{
    sl_pgd_spill *s = ctx;
    for (int col_idx = 0; col_idx < s->ncols; col_idx++)
        fprintf(s->f, col_idx ? ",%" PRId64 : "%" PRId64, key[col_idx]);
    fputc('\n', s->f);
    return 0;
}

/* An unlinked file beside the key file: gone with the process, whatever happens. */
static FILE *sl_pgd_spill_open(const char *keys_path, sl_err *err)
{
    char *tmpl = sl_sprintf("%s.gone-XXXXXX", keys_path);
    int fd = mkstemp(tmpl);
    if (fd < 0) {
        sl_err_set(err, SL_EIO, "cannot create %s: %s", tmpl, strerror(errno));
        sl_free(tmpl);
        return NULL;
    }
    unlink(tmpl);
    sl_free(tmpl);
    FILE *f = fdopen(fd, "w+");
    if (!f) {
        close(fd);
        sl_err_set(err, SL_EIO, "cannot open a spill file: %s", strerror(errno));
        return NULL;
    }
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    return f;
}

/* The spilled keys into a temporary table (COPY, 256 KB at a time), then DELETE ... USING it. */
static int sl_pgd_delete(PGconn *c, const sl_pg_detect *d, FILE *f, int64_t *deleted, sl_err *err)
{
    sl_buf sql = { 0 };
    sl_buf_printf(&sql, "CREATE TEMP TABLE sl_gone_keys (");
    for (int k = 0; k < d->nkey; k++) {
        char *q = sl_pg_quote_ident(d->key[k]);
        sl_buf_printf(&sql, "%s%s bigint", k ? ", " : "", q);
        sl_free(q);
    }
    sl_buf_printf(&sql, ") ON COMMIT DROP");
    int rc = sl_pg_exec_cmd(c, sl_buf_cstr(&sql), d->who, err);
    if (rc == 0) {
        PGresult *r = PQexec(c, "COPY sl_gone_keys FROM STDIN (FORMAT csv)");
        if (PQresultStatus(r) != PGRES_COPY_IN) rc = sl_pg_result_error(c, r, d->who, err);
        PQclear(r);
        if (rc == 0) {
            char buf[1 << 18];
            size_t n;
            if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0)
                rc = sl_err_set(err, SL_EIO, "%s: reading back the absent keys: %s", d->who, strerror(errno));
            while (rc == 0 && (n = fread(buf, 1, sizeof buf, f)) > 0)
                if (PQputCopyData(c, buf, (int)n) != 1) rc = sl_pg_result_error(c, NULL, d->who, err);
            if (rc == 0 && ferror(f))
                rc = sl_err_set(err, SL_EIO, "%s: reading back the absent keys: %s", d->who, strerror(errno));
            if (PQputCopyEnd(c, rc == 0 ? NULL : "sluice: reading the spilled keys failed") != 1 && rc == 0)
                rc = sl_pg_result_error(c, NULL, d->who, err);
            while ((r = PQgetResult(c))) {
                if (rc == 0 && PQresultStatus(r) != PGRES_COMMAND_OK) rc = sl_pg_result_error(c, r, d->who, err);
                PQclear(r);
            }
        }
    }
    /* Its size for the planner (an index lookup per absent key rather than a scan of the live table). */
    if (rc == 0) rc = sl_pg_exec_cmd(c, "ANALYZE sl_gone_keys", d->who, err);
    if (rc == 0) {
        sl_buf_clear(&sql);
        sl_buf_printf(&sql, "DELETE FROM %s l USING sl_gone_keys g WHERE ", d->live);
        for (int k = 0; k < d->nkey; k++) {
            char *q = sl_pg_quote_ident(d->key[k]);
            sl_buf_printf(&sql, "%sl.%s = g.%s", k ? " AND " : "", q, q);
            sl_free(q);
        }
        PGresult *r = PQexec(c, sl_buf_cstr(&sql));
        if (PQresultStatus(r) != PGRES_COMMAND_OK) rc = sl_pg_result_error(c, r, d->who, err);
        else *deleted = strtoll(PQcmdTuples(r), NULL, 10);
        PQclear(r);
    }
    sl_buf_free(&sql);
    return rc;
}

int sl_pg_detect_sorted(PGconn *c, const sl_pg_detect *d, int64_t *deleted, sl_err *err)
{
    *deleted = 0;
    char *bad = NULL;
    int ints = sl_pg_keys_integer(c, d->live, d->key, d->nkey, d->who, &bad, err);
    if (ints == 0) {
        sl_err_set(err, SL_ESOURCE, "%s: the key column %s of the live table is not an integer while the source's "
                   "key is: the key lists cannot be compared; load the table again with --full-refresh", d->who,
                   bad);
        ints = -1;
    }
    sl_free(bad);
    if (ints < 0) return -1;
    if (d->prev_path)
        sl_log(SL_LOG_DEBUG, "%s: deletes: detect: the keys of %s from its run's key file %s", d->who, d->live,
               d->prev_path);
    else
        sl_log(SL_LOG_DEBUG, "%s: deletes: detect: reading the live keys of %s in key order", d->who, d->live);
    sl_keyfile_r src, prev;
    bool prev_open = false;
    if (sl_keyfile_open(&src, d->keys_path, err) < 0) return -1;
    int rc = 0;
    if (src.ncols != d->nkey)
        rc = sl_err_set(err, SL_EINTERNAL, "the key list %s has %d columns, the key %d", d->keys_path, src.ncols,
                        d->nkey);
    sl_pgd_spill spill = { NULL, d->nkey };
    if (rc == 0 && !(spill.f = sl_pgd_spill_open(d->keys_path, err))) rc = -1;
    sl_pg_keys live = { 0 };
    bool open = false;
    if (rc == 0 && d->prev_path) {
        rc = sl_keyfile_open(&prev, d->prev_path, err);
        prev_open = rc == 0;
        if (rc == 0 && prev.ncols != d->nkey)
            rc = sl_err_set(err, SL_EINTERNAL, "the key list %s has %d columns, the key %d", d->prev_path,
                            prev.ncols, d->nkey);
    } else if (rc == 0) {
        rc = sl_pg_keys_open(&live, c, d->live, NULL, d->key, d->nkey, d->who, err);
        open = rc == 0;
    }
    sl_keydiff_stats st = { 0 };
    char what[600];
    snprintf(what, sizeof what, "%s (the live table %s)", d->who, d->live);
    if (rc == 0)
        rc = prev_open ? sl_keyfile_diff(&src, &prev, sl_pgd_emit, &spill, what, &st, err)
                       : sl_keydiff(d->nkey, sl_keyfile_iter(&src), sl_pg_keys_iter(&live), sl_pgd_emit, &spill, what,
                                    &st, err);
    if (open && sl_pg_keys_close(&live, err) < 0) rc = -1;
    if (prev_open) sl_keyfile_close(&prev);
    sl_keyfile_close(&src);
    if (rc == 0 && spill.f && ferror(spill.f))
        rc = sl_err_set(err, SL_EIO, "%s: writing the absent keys beside %s failed", d->who, d->keys_path);
    if (rc == 0)
        sl_log(SL_LOG_DEBUG, "%s: deletes: detect: ordered merge of %lld source keys and %lld live keys: %lld absent",
               what, (long long)st.src_keys, (long long)st.live_keys, (long long)st.gone);
    /* The guard: the live rows (those with a NULL key too; from a kept file: the keys the table got from
     * that run) and the keys found absent. */
    int64_t live_rows = prev_open ? st.live_keys : live.rows;
    if (rc == 0 && d->max_delete_ratio >= 0 && st.gone > 0)
        rc = sl_guard_deletes(d->guard_what, live_rows, st.gone, d->max_delete_ratio, d->allow_mass_delete, err);
    if (rc == 0 && st.gone > 0) rc = sl_pgd_delete(c, d, spill.f, deleted, err);
    if (rc == 0) sl_log(SL_LOG_DEBUG, "%s: deletes: detect: %lld rows deleted", what, (long long)*deleted);
    if (spill.f) fclose(spill.f);
    return rc;
}

void sl_pg_detect_vacuum(PGconn *c, const char *live, const char *who)
{
    char *sql = sl_sprintf("VACUUM %s", live);
    sl_err ve = SL_ERR_INIT;
    if (sl_pg_exec_cmd(c, sql, who, &ve) < 0) sl_log(SL_LOG_WARN, "%s (deletes: detect reads keys slower)", ve.msg);
    sl_free(sql);
}
