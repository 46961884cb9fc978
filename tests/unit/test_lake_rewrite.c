/*
 * test_lake_rewrite.c - the native rewrite of a merge's touched lake file
 * (store/sl_lake_rewrite.c): the rows whose key leaves are gone, every
 * other row (NULL keys too) is there in its order with its values (strings,
 * lists of integers and of strings, NULLs; several row groups and pages;
 * keys in order and shuffled; read on the writing thread or another); the written file's schema is the old one's;
 * a file DuckDB wrote (another schema) or one with a column the reader
 * refuses is handed back (0, the output removed, a reason).
 */
#include <criterion/criterion.h>

#include "core/sl_alloc.h"
#include "core/sl_out.h"
#include "core/sl_types.h"
#include "parquet/sl_pq_reader.h"
#include "parquet/sl_pq_writer.h"
#include "store/sl_duck.h"
#include "store/sl_lake_rewrite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NROWS 30000

/* Row r's key: r in order, else a permutation of 0..NROWS-1; NULL for
 * every 1000th row when nullable. */
static int64_t key_of(size_t r, bool shuffled) { return shuffled ? (int64_t)((r * 7919) % NROWS) : (int64_t)r; }
static bool leaves(int64_t k) { return k % 7 == 3 || (k >= 12000 && k < 12500); }

static sl_schema *schema_new(bool key_nullable)
{
    sl_schema *s = sl_schema_new(4);
    sl_schema_set(s, 0, "id", (sl_type){ .id = SL_T_INT64 }, key_nullable);
    sl_schema_set(s, 1, "s", (sl_type){ .id = SL_T_STRING }, true);
    sl_schema_set(s, 2, "li", sl_type_list_of((sl_type){ .id = SL_T_INT32 }), true);
    sl_schema_set(s, 3, "ls", sl_type_list_of((sl_type){ .id = SL_T_STRING }), false);
    return s;
}

/* Row values from the key: s "v<k>" (NULL when k % 5 == 1), li k % 4
 * elements k+j (NULL list when k % 9 == 2), ls k % 3 strings "e<k>.<j>". */
static void put_row(sl_batch *b, size_t i, int64_t k, bool null_key)
{
    char t[64];
    if (null_key) sl_vec_set_null(&b->cols[0], i);
    else *(int64_t *)sl_vec_slot(&b->cols[0], i) = k;
    if (k % 5 == 1) {
        sl_vec_set_null(&b->cols[1], i);
    } else {
        int n = snprintf(t, sizeof t, "v%lld", (long long)k);
        sl_vec_set_bytes(&b->cols[1], i, t, (size_t)n);
    }
    if (k % 9 == 2) {
        sl_vec_set_null(&b->cols[2], i);
    } else {
        size_t n = (size_t)(k % 4), first = sl_vec_list_begin(&b->cols[2], i, n);
        for (size_t j = 0; j < n; j++) *(int32_t *)sl_vec_slot(b->cols[2].child, first + j) = (int32_t)(k + (int64_t)j);
        sl_vec_list_end(&b->cols[2], i, n);
    }
    size_t n = (size_t)(k % 3), first = sl_vec_list_begin(&b->cols[3], i, n);
    for (size_t j = 0; j < n; j++) {
        int len = snprintf(t, sizeof t, "e%lld.%zu", (long long)k, j);
        sl_vec_set_bytes(b->cols[3].child, first + j, t, (size_t)len);
    }
    sl_vec_list_end(&b->cols[3], i, n);
    b->nrows = i + 1;
}

static void write_file(const char *path, bool shuffled, bool key_nullable)
{
    sl_err err = SL_ERR_INIT;
    sl_schema *s = schema_new(key_nullable);
    sl_pq_writer_opts o;
    sl_pq_writer_opts_default(&o);
    o.row_group_rows = 7000;   /* several row groups, pages */
    o.page_rows = 1500;
    sl_out *out = sl_out_open_file(path, &err);
    cr_assert(out, "%s", err.msg);
    sl_pq_writer *w = sl_pq_writer_open(out, s, &o, &err);
    cr_assert(w, "%s", err.msg);
    sl_batch *b = sl_batch_new(s, 1024);
    for (size_t r = 0; r < NROWS;) {
        sl_batch_reset(b);
        for (size_t i = 0; i < b->capacity && r < NROWS; i++, r++)
            put_row(b, i, key_of(r, shuffled), key_nullable && r % 1000 == 999);
        cr_assert_eq(sl_pq_writer_write(w, b, &err), 0, "%s", err.msg);
    }
    cr_assert_eq(sl_pq_writer_close(w, &err), 0, "%s", err.msg);
    sl_pq_writer_free(w);
    cr_assert_eq(sl_out_close(out, false, &err), 0, "%s", err.msg);
    sl_batch_free(b);
    sl_schema_free(s);
}

static sl_lake_gone gone_keys(void)
{
    sl_lake_gone g = { sl_calloc(NROWS + 2, sizeof(int64_t)), 0 };
    g.keys[g.n++] = -5;   /* keys in no file */
    for (int64_t k = 0; k < NROWS; k++)
        if (leaves(k)) g.keys[g.n++] = k;
    g.keys[g.n++] = NROWS + 100;
    return g;
}

/* Reads out back and compares it, row by row, with the rows of the input
 * that stay. */
static void check_rewrite(const char *out, bool shuffled, bool key_nullable, int64_t rows)
{
    sl_err err = SL_ERR_INIT;
    sl_pq_reader *r = sl_pq_reader_open(out, &err);
    cr_assert(r, "%s", err.msg);
    const sl_schema *s = sl_pq_reader_schema(r, &err);
    cr_assert(s, "%s", err.msg);
    sl_schema *ws = schema_new(key_nullable);
    sl_batch *b = sl_batch_new(s, 0), *want = sl_batch_new(ws, 1);
    size_t src = 0;
    int64_t n, seen = 0;
    while ((n = sl_pq_reader_next(r, b, &err)) > 0) {
        for (size_t i = 0; i < b->nrows; i++, seen++) {
            /* the next input row that stays */
            while (src < NROWS && !(key_nullable && src % 1000 == 999) && leaves(key_of(src, shuffled))) src++;
            cr_assert_lt(src, NROWS, "more rows than stay");
            sl_batch_reset(want);
            bool null_key = key_nullable && src % 1000 == 999;
            put_row(want, 0, key_of(src, shuffled), null_key);
            for (int c = 0; c < 4; c++) {
                const sl_vector *v = &b->cols[c], *x = &want->cols[c];
                cr_assert_eq(v->valid[i], x->valid[0], "row %zu column %d: validity", src, c);
                if (!v->valid[i]) continue;
                if (c == 0) {
                    cr_assert_eq(((int64_t *)v->data)[i], ((int64_t *)x->data)[0], "row %zu: key", src);
                } else if (c == 1) {
                    size_t la, lb;
                    const uint8_t *pa = sl_vec_bytes(v, i, &la), *pb = sl_vec_bytes(x, 0, &lb);
                    cr_assert(la == lb && !memcmp(pa, pb, la), "row %zu: s", src);
                } else {
                    int64_t a0 = v->offsets[i], a1 = v->offsets[i + 1], b0 = x->offsets[0], b1 = x->offsets[1];
                    cr_assert_eq(a1 - a0, b1 - b0, "row %zu column %d: list length", src, c);
                    for (int64_t j = 0; j < a1 - a0; j++) {
                        if (c == 2) {
                            cr_assert_eq(((int32_t *)v->child->data)[a0 + j], ((int32_t *)x->child->data)[b0 + j],
                                         "row %zu: li[%lld]", src, (long long)j);
                        } else {
                            size_t la, lb;
                            const uint8_t *pa = sl_vec_bytes(v->child, (size_t)(a0 + j), &la);
                            const uint8_t *pb = sl_vec_bytes(x->child, (size_t)(b0 + j), &lb);
                            cr_assert(la == lb && !memcmp(pa, pb, la), "row %zu: ls[%lld]", src, (long long)j);
                        }
                    }
                }
            }
            src++;
        }
    }
    cr_assert_eq(n, 0, "%s", err.msg);
    while (src < NROWS && !(key_nullable && src % 1000 == 999) && leaves(key_of(src, shuffled))) src++;
    cr_assert_eq(src, NROWS, "rows missing: stopped at input row %zu", src);
    cr_assert_eq(seen, rows);
    sl_batch_free(b);
    sl_batch_free(want);
    sl_schema_free(ws);
    sl_pq_reader_close(r);
}

static void rewrite_case(bool shuffled, bool key_nullable, bool pipeline)
{
    char dir[] = "/tmp/sl-lake-rewrite-XXXXXX";
    cr_assert(mkdtemp(dir));
    char in[300], out[300];
    snprintf(in, sizeof in, "%s/in.parquet", dir);
    snprintf(out, sizeof out, "%s/out.parquet", dir);
    write_file(in, shuffled, key_nullable);
    sl_lake_gone g = gone_keys();
    sl_job_target t = { 0 };
    t.compression = "zstd";
    sl_pq_kv kv[] = { { "sluice.run_id", "7" } };
    sl_lake_native nv = { &t, "id", &g, kv, 1, pipeline };
    sl_err err = SL_ERR_INIT;
    char why[400];
    int64_t rows = -1;
    int rc = sl_lake_rewrite_native(&nv, (char *[]){ in }, 1, out, &rows, NULL, NULL, why, sizeof why, &err);
    cr_assert_eq(rc, 1, "rc %d: %s %s", rc, why, err.msg);
    check_rewrite(out, shuffled, key_nullable, rows);
    sl_pq_reader *r = sl_pq_reader_open(out, &err);
    const sl_pq_file_meta *m = sl_pq_reader_meta(r);
    cr_assert(m->nkv >= 1 && !strcmp(m->kv[0].key, "sluice.run_id") && !strcmp(m->kv[0].value, "7"));
    sl_pq_reader_close(r);
    sl_lake_gone_free(&g);
    unlink(in);
    unlink(out);
    rmdir(dir);
}

Test(lake_rewrite, keys_in_order) { rewrite_case(false, false, false); }
Test(lake_rewrite, keys_shuffled) { rewrite_case(true, false, false); }
Test(lake_rewrite, null_keys_stay) { rewrite_case(true, true, false); }
/* the same read on a thread of its own */
Test(lake_rewrite, pipelined) { rewrite_case(false, false, true); }
Test(lake_rewrite, pipelined_shuffled_null_keys) { rewrite_case(true, true, true); }

/* Small files rewritten together into one: every input's kept rows, in
 * order; an input whose Parquet schema differs is handed back. */
Test(lake_rewrite, several_files_into_one)
{
    char dir[] = "/tmp/sl-lake-rewrite-XXXXXX";
    cr_assert(mkdtemp(dir));
    char a[300], b[300], c[300], out[300];
    snprintf(a, sizeof a, "%s/a.parquet", dir);
    snprintf(b, sizeof b, "%s/b.parquet", dir);
    snprintf(c, sizeof c, "%s/c.parquet", dir);
    snprintf(out, sizeof out, "%s/out.parquet", dir);
    write_file(a, false, false);
    write_file(b, true, false);
    write_file(c, false, true);   /* a nullable key: another schema */
    sl_lake_gone g = gone_keys();
    sl_job_target t = { 0 };
    sl_lake_native nv = { &t, "id", &g, NULL, 0 };
    sl_err err = SL_ERR_INIT;
    char why[400];
    int64_t ra = -1, rb = -1, rab = -1;
    cr_assert_eq(sl_lake_rewrite_native(&nv, (char *[]){ a }, 1, out, &ra, NULL, NULL, why, sizeof why, &err), 1, "%s", why);
    cr_assert_eq(sl_lake_rewrite_native(&nv, (char *[]){ b }, 1, out, &rb, NULL, NULL, why, sizeof why, &err), 1, "%s", why);
    cr_assert_eq(sl_lake_rewrite_native(&nv, (char *[]){ a, b }, 2, out, &rab, NULL, NULL, why, sizeof why, &err), 1,
                 "%s %s", why, err.msg);
    cr_assert(ra > 0 && rb > 0);
    cr_assert_eq(rab, ra + rb);
    sl_pq_reader *r = sl_pq_reader_open(out, &err);
    cr_assert(r, "%s", err.msg);
    cr_assert_eq(sl_pq_reader_meta(r)->num_rows, ra + rb);
    /* a's kept rows first, then b's: the first key read is a's first kept one (a is in key order) */
    const sl_schema *rs = sl_pq_reader_schema(r, &err);
    sl_batch *bt = sl_batch_new(rs, 0);
    cr_assert(sl_pq_reader_next(r, bt, &err) > 0, "%s", err.msg);
    int kc = sl_schema_find(rs, "id");
    int64_t k0 = ((const int64_t *)bt->cols[kc].data)[0];
    int64_t want = 0;
    while (leaves(want)) want++;
    cr_assert_eq(k0, want);
    sl_batch_free(bt);
    sl_pq_reader_close(r);
    int64_t rac = -1;
    cr_assert_eq(sl_lake_rewrite_native(&nv, (char *[]){ a, c }, 2, out, &rac, NULL, NULL, why, sizeof why, &err), 0,
                 "%s", err.msg);
    cr_assert(strstr(why, "differ"), "%s", why);
    cr_assert(access(out, F_OK) < 0, "the output was not removed");
    sl_lake_gone_free(&g);
    unlink(a);
    unlink(b);
    unlink(c);
    rmdir(dir);
}

/* Every row leaves: a valid empty file, 0 rows. */
Test(lake_rewrite, every_row_leaves)
{
    char dir[] = "/tmp/sl-lake-rewrite-XXXXXX";
    cr_assert(mkdtemp(dir));
    char in[300], out[300];
    snprintf(in, sizeof in, "%s/in.parquet", dir);
    snprintf(out, sizeof out, "%s/out.parquet", dir);
    write_file(in, true, false);
    sl_lake_gone g = { sl_calloc(NROWS, sizeof(int64_t)), NROWS };
    for (int64_t k = 0; k < NROWS; k++) g.keys[k] = k;
    sl_job_target t = { 0 };
    sl_lake_native nv = { &t, "id", &g, NULL, 0 };
    sl_err err = SL_ERR_INIT;
    char why[400];
    int64_t rows = -1;
    cr_assert_eq(sl_lake_rewrite_native(&nv, (char *[]){ in }, 1, out, &rows, NULL, NULL, why, sizeof why, &err), 1, "%s %s", why, err.msg);
    cr_assert_eq(rows, 0);
    sl_pq_reader *r = sl_pq_reader_open(out, &err);
    cr_assert(r, "%s", err.msg);
    cr_assert_eq(sl_pq_reader_meta(r)->num_rows, 0);
    sl_pq_reader_close(r);
    sl_lake_gone_free(&g);
    unlink(in);
    unlink(out);
    rmdir(dir);
}

/* Files DuckDB wrote: strings without sluice's STRING logical type (the
 * schema would change) and a STRUCT column (the reader refuses it) are
 * handed back, the output removed. */
Test(lake_rewrite, handed_back)
{
    sl_err err = SL_ERR_INIT;
    if (sl_duck_load(&err) < 0) {
        fprintf(stderr, "SKIP lake_rewrite.handed_back: %s\n", err.msg);
        return;
    }
    char dir[] = "/tmp/sl-lake-rewrite-XXXXXX";
    cr_assert(mkdtemp(dir));
    char a[300], b[300], out[300], sql[1200];
    snprintf(a, sizeof a, "%s/a.parquet", dir);
    snprintf(b, sizeof b, "%s/b.parquet", dir);
    snprintf(out, sizeof out, "%s/out.parquet", dir);
    sl_duck *d = sl_duck_open_memory(0, 1, NULL, &err);
    cr_assert(d, "%s", err.msg);
    snprintf(sql, sizeof sql,
             "copy (select i::bigint as id, 'v' || i as s from range(100) t(i)) to '%s' (format parquet); "
             "copy (select i::bigint as id, {'x': i} as st from range(100) t(i)) to '%s' (format parquet); "
             "create temp table sl_gone as select * from (values (3::int), (5), (NULL), (3)) v(id)",
             a, b);
    cr_assert_eq(sl_duck_exec(d, sql, NULL, &err), 0, "%s", err.msg);
    sl_lake_gone g;
    cr_assert_eq(sl_lake_gone_read(d, "sl_gone", "id", &g, &err), 0, "%s", err.msg);
    cr_assert_eq(g.n, 2);
    cr_assert(g.keys[0] == 3 && g.keys[1] == 5);
    sl_duck_close(d);
    sl_job_target t = { 0 };
    sl_lake_native nv = { &t, "id", &g, NULL, 0 };
    char why[400];
    int64_t rows = -1;
    cr_assert_eq(sl_lake_rewrite_native(&nv, (char *[]){ a }, 1, out, &rows, NULL, NULL, why, sizeof why, &err), 0, "%s", err.msg);
    cr_assert(strstr(why, "schema element"), "%s", why);
    cr_assert(access(out, F_OK) < 0, "the output was not removed");
    cr_assert_eq(sl_lake_rewrite_native(&nv, (char *[]){ b }, 1, out, &rows, NULL, NULL, why, sizeof why, &err), 0, "%s", err.msg);
    cr_assert(strstr(why, "nested"), "%s", why);
    cr_assert(access(out, F_OK) < 0, "the output was not removed");
    /* a key that is not an integer */
    sl_lake_native nv2 = { &t, "s", &g, NULL, 0 };
    cr_assert_eq(sl_lake_rewrite_native(&nv2, (char *[]){ a }, 1, out, &rows, NULL, NULL, why, sizeof why, &err), 0, "%s", err.msg);
    cr_assert(strstr(why, "not an integer"), "%s", why);
    sl_lake_gone_free(&g);
    unlink(a);
    unlink(b);
    rmdir(dir);
}
