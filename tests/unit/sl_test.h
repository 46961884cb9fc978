/*
 * sl_test.h - helpers shared by the unit tests (header only, all static).
 *
 * Scratch directories:
 *   sl_test_mkdtemp(dir, n, tmpl)   mkdtemp of `tmpl` ("/tmp/...XXXXXX") into
 *                                   dir; asserts it worked.
 *   sl_test_rmtree(dir)             removes dir and all below it; asserts.
 *
 * Source fixtures (one job source, one table config, one source table):
 *   sl_test_fx                      the three, plus the source ops, the batch
 *                                   size to read with and whether bytes cells
 *                                   are shown as hex. Not to be copied (the
 *                                   parts point at each other).
 *   sl_test_fx_init(f, ops, source_name, kind)
 *                                   zeroes f and links the parts: source
 *                                   `source_name` of `kind`, table "t" from
 *                                   it, 2 workers, batches of 1000 rows. The
 *                                   test then sets url/path/table/query...
 *   sl_test_fx_done(f)              finish (if prepared) and clear.
 *   sl_test_cell(b, col, row, hex, out)
 *                                   appends one cell as text: NULL as
 *                                   "<null>", var width as its bytes (bytes
 *                                   as lower-case hex when `hex`), fixed
 *                                   width via sl_format_fixed.
 *   sl_test_read_all(f, out, rows, err)
 *                                   opens every task in order and appends
 *                                   its rows as "a|b|c\n" to out (NUL
 *                                   terminated, not counted); *rows = rows
 *                                   read. 0, or -1 with err.
 *   sl_test_read_ok(f, rows)        prepare + read_all, asserting both;
 *                                   returns the text (sl_free it).
 *   sl_test_expect_error(f, code, needle1, needle2)
 *                                   prepare + read_all must fail with `code`
 *                                   and a message holding needle1 (and
 *                                   needle2 unless NULL).
 *
 * PostgreSQL (SLUICE_PG_URL, set by tests/run.sh):
 *   sl_test_pg_db(test, db, url, n) false after a loud SKIP line naming
 *                                   `test` when SLUICE_PG_URL is unset;
 *                                   else creates database `db` if missing
 *                                   (a parallel test may win the race: fine)
 *                                   and writes its URL into url.
 *   sl_test_pg_connect(url)         a connection (asserted), notices off.
 *   sl_test_pg_exec(url, sql)       runs sql on a new connection; asserts
 *                                   it succeeded.
 */
#ifndef SL_TEST_H
#define SL_TEST_H

#include <criterion/criterion.h>

#include "core/sl_alloc.h"
#include "core/sl_buf.h"
#include "core/sl_error.h"
#include "core/sl_list_text.h"
#include "core/sl_types.h"
#include "sources/sl_source.h"
#include "state/sl_fs.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void sl_test_mkdtemp(char *dir, size_t n, const char *tmpl)
{
    snprintf(dir, n, "%s", tmpl);
    cr_assert_not_null(mkdtemp(dir), "mkdtemp %s", tmpl);
}

static inline void sl_test_rmtree(const char *dir)
{
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_fs_rmtree(dir, &err), 0, "rmtree %s: %s", dir, err.msg);
}

typedef struct sl_test_fx {
    const sl_source_ops *ops;
    size_t batch_rows;
    bool hex_bytes;
    sl_job_source src;
    sl_job_table cfg;
    sl_source_table tab;
} sl_test_fx;

static inline void sl_test_fx_init(sl_test_fx *f, const sl_source_ops *ops, const char *source_name,
                                   const char *kind)
{
    memset(f, 0, sizeof *f);
    f->ops = ops;
    f->batch_rows = 1000;
    f->src.name = (char *)source_name;
    f->src.kind = (char *)kind;
    f->cfg.name = "t";
    f->cfg.from = (char *)source_name;
    f->cfg.source = &f->src;
    f->tab.cfg = &f->cfg;
    f->tab.workers = 2;
}

static inline void sl_test_fx_done(sl_test_fx *f)
{
    if (f->tab.shared) f->ops->finish(&f->tab);
    sl_source_table_clear(&f->tab);
}

static inline void sl_test_cell(const sl_batch *b, int col, size_t row, bool hex, sl_buf *out)
{
    const sl_vector *v = &b->cols[col];
    if (!v->valid[row]) {
        sl_buf_append(out, "<null>", 6);
        return;
    }
    if (v->type.id == SL_T_LIST) {
        sl_format_list_json(v, row, out);
        return;
    }
    if (sl_type_is_varlen(v->type)) {
        size_t n;
        const uint8_t *p = sl_vec_bytes(v, row, &n);
        if (hex && v->type.id == SL_T_BYTES) {
            for (size_t i = 0; i < n; i++) {
                char h[4];
                snprintf(h, sizeof h, "%02x", p[i]);
                sl_buf_append(out, h, 2);
            }
        } else {
            sl_buf_append(out, p, n);
        }
        return;
    }
    char buf[128];
    sl_buf_append(out, buf, sl_format_fixed(v, row, buf));
}

static inline int sl_test_read_all(sl_test_fx *f, sl_buf *out, long *rows, sl_err *err)
{
    *rows = 0;
    for (int t = 0; t < f->tab.ntasks; t++) {
        void *rd = f->ops->open(&f->tab, &f->tab.tasks[t], err);
        if (!rd) return -1;
        sl_batch *b = sl_batch_new(f->tab.schema, f->batch_rows);
        long n;
        while ((n = f->ops->next(rd, b, err)) > 0) {
            for (size_t r = 0; r < b->nrows; r++) {
                for (int c = 0; c < b->ncols; c++) {
                    if (c) sl_buf_push(out, '|');
                    sl_test_cell(b, c, r, f->hex_bytes, out);
                }
                sl_buf_push(out, '\n');
            }
            *rows += n;
        }
        sl_batch_free(b);
        f->ops->close(rd);
        if (n < 0) return -1;
    }
    sl_buf_push(out, 0);
    out->len--;
    return 0;
}

static inline char *sl_test_read_ok(sl_test_fx *f, long *rows)
{
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(f->ops->prepare(&f->tab, &err), 0, "prepare: %s", err.msg);
    sl_buf out = {0};
    cr_assert_eq(sl_test_read_all(f, &out, rows, &err), 0, "read: %s", err.msg);
    return (char *)out.data;
}

static inline void sl_test_expect_error(sl_test_fx *f, sl_code code, const char *needle1, const char *needle2)
{
    sl_err err = SL_ERR_INIT;
    int rc = f->ops->prepare(&f->tab, &err);
    if (rc == 0) {
        sl_buf out = {0};
        long rows;
        rc = sl_test_read_all(f, &out, &rows, &err);
        sl_buf_free(&out);
    }
    cr_assert_eq(rc, -1, "expected an error for %s", f->cfg.table ? f->cfg.table : f->cfg.query);
    cr_assert_eq(err.code, code, "code %s: %s", sl_code_name(err.code), err.msg);
    cr_assert(strstr(err.msg, needle1), "'%s' not in: %s", needle1, err.msg);
    if (needle2) cr_assert(strstr(err.msg, needle2), "'%s' not in: %s", needle2, err.msg);
}

static inline bool sl_test_pg_db(const char *test, const char *db, char *url, size_t n)
{
    const char *base = getenv("SLUICE_PG_URL");
    if (!base || !*base) {
        fprintf(stderr, "\n*** SKIP %s: SLUICE_PG_URL is not set (run through tests/run.sh) ***\n\n", test);
        return false;
    }
    char admin[512];
    snprintf(admin, sizeof admin, "%s/postgres", base);
    PGconn *c = PQconnectdb(admin);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    char q[256];
    snprintf(q, sizeof q, "SELECT 1 FROM pg_database WHERE datname = '%s'", db);
    PGresult *r = PQexec(c, q);
    bool exists = PQntuples(r) == 1;
    PQclear(r);
    if (!exists) {
        snprintf(q, sizeof q, "CREATE DATABASE %s", db);
        PQclear(PQexec(c, q));   /* a parallel test may win the race: fine */
    }
    PQfinish(c);
    snprintf(url, n, "%s/%s", base, db);
    return true;
}

static inline PGconn *sl_test_pg_connect(const char *url)
{
    PGconn *c = PQconnectdb(url);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    return c;
}

static inline void sl_test_pg_exec(const char *url, const char *sql)
{
    PGconn *c = sl_test_pg_connect(url);
    PGresult *r = PQexec(c, sql);
    cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
              "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

#endif
