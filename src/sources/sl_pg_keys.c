/*
 * sl_pg_keys.c - integer key columns from a binary COPY, in key order
 * (sl_pg_keys.h). The stream's bytes come many tuples at a time into one
 * reused buffer (sl_pg_copy_read.h: no malloc per tuple, as PQgetCopyData
 * would make); a tuple cut at the buffer's end is kept at its front and
 * completed by the next read.
 */
#include "sl_pg_keys.h"

#include "../core/sl_alloc.h"
#include "sl_pg_conn.h"
#include "sl_pg_copy_read.h"

#include <string.h>

#define SL_PGK_SIGNATURE "PGCOPY\n\377\r\n\0"
#define SL_PGK_OID_INT8 20
#define SL_PGK_OID_INT2 21
#define SL_PGK_OID_INT4 23

static uint32_t sl_pgk_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static char *sl_pgk_cols(char *const *key, int nkey)
{
    sl_buf b = { 0 };
    for (int k = 0; k < nkey; k++) {
        char *q = sl_pg_quote_ident(key[k]);
        sl_buf_printf(&b, "%s%s", k ? ", " : "", q);
        sl_free(q);
    }
    sl_buf_push(&b, 0);
    return (char *)b.data;
}

int sl_pg_keys_integer(PGconn *conn, const char *from, char *const *key, int nkey, const char *what, char **bad,
                       sl_err *err)
{
    *bad = NULL;
    char *cols = sl_pgk_cols(key, nkey);
    char *sql = sl_sprintf("SELECT %s FROM %s LIMIT 0", cols, from);
    sl_free(cols);
    PGresult *res = sl_pg_exec_tuples(conn, sql, what, err);
    sl_free(sql);
    if (!res) return -1;
    int rc = nkey <= SL_KEY_MAX_COLS ? 1 : 0;
    for (int k = 0; rc == 1 && k < nkey; k++) {
        Oid t = PQftype(res, k);
        if (t != SL_PGK_OID_INT2 && t != SL_PGK_OID_INT4 && t != SL_PGK_OID_INT8) {
            *bad = sl_sprintf("%s (type oid %u)", key[k], (unsigned)t);
            rc = 0;
        }
    }
    if (rc == 0 && !*bad) *bad = sl_sprintf("%d key columns", nkey);
    PQclear(res);
    return rc;
}

int sl_pg_keys_decode(const uint8_t *p, size_t len, int ncols, bool *header, int64_t *key, size_t *used,
                      sl_err *err)
{
    size_t at = 0;
    *used = 0;
    if (!*header) {
        if (len < 19) return 0;
        if (memcmp(p, SL_PGK_SIGNATURE, 11) != 0)
            return sl_err_set(err, SL_EFORMAT, "not a binary COPY stream (bad signature)");
        uint32_t ext = sl_pgk_u32(p + 15);
        if (len < 19 + (size_t)ext) return 0;
        at = 19 + ext;
    }
    if (len - at < 2) return 0;
    int16_t nf = (int16_t)((uint16_t)p[at] << 8 | p[at + 1]);
    if (nf == -1) {
        *header = true;
        *used = at + 2;
        return 3;
    }
    if (nf != ncols)
        return sl_err_set(err, SL_EFORMAT, "a binary COPY tuple has %d fields, %d expected", nf, ncols);
    size_t q = at + 2;
    bool null = false;
    for (int col_idx = 0; col_idx < ncols; col_idx++) {
        if (len - q < 4) return 0;
        int32_t flen = (int32_t)sl_pgk_u32(p + q);
        q += 4;
        if (flen == -1) {
            null = true;
            key[col_idx] = 0;
            continue;
        }
        if (flen != 2 && flen != 4 && flen != 8)
            return sl_err_set(err, SL_EFORMAT, "key column %d: a field of %d bytes where an integer was expected",
                              col_idx + 1, flen);
        if (len - q < (size_t)flen) return 0;
        if (flen == 2) key[col_idx] = (int16_t)((uint16_t)p[q] << 8 | p[q + 1]);
        else if (flen == 4) key[col_idx] = (int32_t)sl_pgk_u32(p + q);
        else key[col_idx] = (int64_t)((uint64_t)sl_pgk_u32(p + q) << 32 | sl_pgk_u32(p + q + 4));
        q += (size_t)flen;
    }
    *header = true;
    *used = q;
    return null ? 2 : 1;
}

int sl_pg_keys_open(sl_pg_keys *k, PGconn *conn, const char *from, const char *where, char *const *key, int nkey,
                    const char *what, sl_err *err)
{
    memset(k, 0, sizeof *k);
    k->conn = conn;
    k->what = what;
    k->ncols = nkey;
    char *cols = sl_pgk_cols(key, nkey);
    char *sql = sl_sprintf("COPY (SELECT %s FROM %s%s%s ORDER BY %s) TO STDOUT (FORMAT binary)", cols, from,
                           where ? " WHERE " : "", where ? where : "", cols);
    sl_free(cols);
    PGresult *res = PQexec(conn, sql);
    sl_free(sql);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        rc = sl_pg_result_error(conn, res, what, err);
        if (rc >= 0) rc = sl_err_set(err, SL_ESOURCE, "%s: reading the keys failed", what);
    } else {
        k->copying = true;
    }
    PQclear(res);
    return rc < 0 ? -1 : 0;
}

/* More bytes of the COPY behind what is left unread in k->in: 1, 0 at the
 * end of the COPY, -1 error. */
static int sl_pgk_fill(sl_pg_keys *k, sl_err *err)
{
    if (k->pos > 0) {
        memmove(k->in.data, k->in.data + k->pos, k->in.len - k->pos);
        k->in.len -= k->pos;
        k->pos = 0;
    }
    int f = k->copying ? sl_pg_copy_read(k->conn, &k->in, 256 * 1024, k->what, err) : 0;
    if (f <= 0) k->copying = false;
    return f;
}

static int sl_pgk_next(void *ctx, int64_t *key, sl_err *err)
{
    sl_pg_keys *k = ctx;
    for (;;) {
        if (k->ended) return 0;
        size_t used = 0;
        int rc = sl_pg_keys_decode(k->in.data + k->pos, k->in.len - k->pos, k->ncols, &k->header, key, &used, err);
        if (rc < 0) {
            sl_err_prefix(err, "%s: reading the keys, after %lld", k->what, (long long)k->rows);
            return -1;
        }
        if (rc == 0) {
            /* Incomplete: keep the rest and read more. */
            bool empty = k->pos == k->in.len;
            int f = sl_pgk_fill(k, err);
            if (f < 0) return -1;
            if (f == 0)
                return sl_err_set(err, SL_ESOURCE, "%s: the key stream ended %s (after %lld keys)", k->what,
                                  empty ? "without its trailer" : "inside a tuple", (long long)k->rows);
            continue;
        }
        k->pos += used;
        if (rc == 3) {
            k->ended = true;
            return 0;
        }
        k->rows++;
        if (rc == 2) {
            k->nulls++;
            continue;
        }
        return 1;
    }
}

sl_key_iter sl_pg_keys_iter(sl_pg_keys *k)
{
    return (sl_key_iter){ sl_pgk_next, k };
}

int sl_pg_keys_close(sl_pg_keys *k, sl_err *err)
{
    int rc = 0;
    /* Stopped early (an error): read the rest so the session can go on (a ROLLBACK). */
    char *buf;
    int n;
    while (k->copying && (n = PQgetCopyData(k->conn, &buf, 0)) >= 0) PQfreemem(buf);
    k->copying = false;
    PGresult *res;
    while ((res = PQgetResult(k->conn))) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0 && !sl_err_is_set(err)) {
            rc = sl_pg_result_error(k->conn, res, k->what, err);
            if (rc >= 0) rc = -1;
        }
        PQclear(res);
    }
    sl_buf_free(&k->in);
    return rc;
}
