/*
 * test_pq_list.c - LIST columns (one level of nesting) in the Parquet writer
 * and reader: NULL lists, empty lists, NULL elements, lists crossing pages
 * and row groups, dictionary and PLAIN elements, every element type; the
 * files are read back by sluice's reader (value by value) and by DuckDB
 * (the elements compared as DuckDB lists).
 */
#include <criterion/criterion.h>

#include "core/sl_alloc.h"
#include "core/sl_out.h"
#include "core/sl_types.h"
#include "parquet/sl_pq_format.h"
#include "parquet/sl_pq_reader.h"
#include "parquet/sl_pq_writer.h"
#include "store/sl_duck.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

/* Row r's list: NULL when r % 7 == 3, empty when r % 7 == 5, else r % 4 + 1
 * elements, element j of row r NULL when (r + j) % 5 == 4, else r * 10 + j. */
static bool row_null(size_t r) { return r % 7 == 3; }
static size_t row_len(size_t r) { return r % 7 == 5 ? 0 : r % 4 + 1; }
static bool elem_null(size_t r, size_t j) { return (r + j) % 5 == 4; }

static void fill(sl_batch *b, size_t base, size_t n, bool with_nulls)
{
    for (int c = 0; c < b->ncols; c++) {
        sl_vector *v = &b->cols[c];
        for (size_t i = 0; i < n; i++) {
            size_t r = base + i;
            if (with_nulls && row_null(r)) {
                sl_vec_set_null(v, i);
                continue;
            }
            size_t len = row_len(r);
            size_t first = sl_vec_list_begin(v, i, len);
            sl_vector *e = v->child;
            for (size_t j = 0; j < len; j++) {
                size_t k = first + j;
                if (with_nulls && elem_null(r, j)) {
                    sl_vec_set_null(e, k);
                    continue;
                }
                int64_t x = (int64_t)(r * 10 + j);
                switch (e->type.id) {
                case SL_T_INT32: { int32_t y = (int32_t)x; memcpy(sl_vec_slot(e, k), &y, 4); break; }
                case SL_T_INT64: case SL_T_TIME: case SL_T_TIMESTAMP: memcpy(sl_vec_slot(e, k), &x, 8); break;
                case SL_T_INT16: { int16_t y = (int16_t)x; memcpy(sl_vec_slot(e, k), &y, 2); break; }
                case SL_T_DATE: { int32_t y = (int32_t)(x % 100000); memcpy(sl_vec_slot(e, k), &y, 4); break; }
                case SL_T_FLOAT32: { float f = (float)x / 4; memcpy(sl_vec_slot(e, k), &f, 4); break; }
                case SL_T_FLOAT64: { double d = (double)x / 4; memcpy(sl_vec_slot(e, k), &d, 8); break; }
                case SL_T_BOOL: *(uint8_t *)sl_vec_slot(e, k) = (uint8_t)(x & 1); break;
                case SL_T_DECIMAL: sl_vec_set_decimal(e, k, (sl_i128)x * 1000 + 5); break;
                case SL_T_UUID: {
                    uint8_t u[16] = { 0 };
                    memcpy(u + 8, &x, 8);
                    memcpy(sl_vec_slot(e, k), u, 16);
                    break;
                }
                default: {
                    char s[32];
                    int m = snprintf(s, sizeof s, e->type.id == SL_T_JSON ? "[%lld]" : "v%lld", (long long)x);
                    sl_vec_set_bytes(e, k, s, (size_t)m);
                    break;
                }
                }
            }
            sl_vec_list_end(v, i, len);
        }
    }
    b->nrows = n;
}

/* Writes `rows` rows of list<elem> columns to path, in batches of `bsize`. */
static void write_file(const char *path, const char *elem, size_t rows, size_t bsize, bool nullable,
                       const sl_pq_writer_opts *opts)
{
    char tn[64];
    snprintf(tn, sizeof tn, "list<%s>", elem);
    sl_type t;
    cr_assert_eq(sl_type_parse(tn, &t), 0, "%s", tn);
    cr_assert_eq(t.id, SL_T_LIST);
    sl_schema *s = sl_schema_new(1);
    sl_schema_set(s, 0, "l", t, nullable);
    sl_err err = SL_ERR_INIT;
    sl_out *o = sl_out_open_file(path, &err);
    cr_assert(o, "%s", err.msg);
    sl_pq_writer *w = sl_pq_writer_open(o, s, opts, &err);
    cr_assert(w, "%s", err.msg);
    sl_batch *b = sl_batch_new(s, bsize);
    for (size_t base = 0; base < rows; base += bsize) {
        size_t n = rows - base < bsize ? rows - base : bsize;
        sl_batch_reset(b);
        fill(b, base, n, nullable);
        cr_assert_eq(sl_pq_writer_write(w, b, &err), 0, "%s", err.msg);
    }
    cr_assert_eq(sl_pq_writer_close(w, &err), 0, "%s", err.msg);
    sl_pq_writer_free(w);
    cr_assert_eq(sl_out_close(o, false, &err), 0, "%s", err.msg);
    sl_batch_free(b);
    sl_schema_free(s);
}

/* Reads path back with sluice's reader and compares with fill()'s values. */
static void read_check(const char *path, size_t rows, bool nullable)
{
    sl_err err = SL_ERR_INIT;
    sl_pq_reader *r = sl_pq_reader_open(path, &err);
    cr_assert(r, "%s", err.msg);
    const sl_schema *s = sl_pq_reader_schema(r, &err);
    cr_assert(s, "%s", err.msg);
    cr_assert_eq(s->ncols, 1);
    cr_assert_eq(s->fields[0].type.id, SL_T_LIST);
    sl_batch *got = sl_batch_new(s, 1000), *want = sl_batch_new(s, 1000);
    size_t seen = 0;
    for (;;) {
        sl_batch_reset(got);
        int64_t rc = sl_pq_reader_next(r, got, &err);
        cr_assert_geq(rc, 0, "%s", err.msg);
        if (got->nrows == 0) break;
        sl_batch_reset(want);
        fill(want, seen, got->nrows, nullable);
        const sl_vector *gv = &got->cols[0], *wv = &want->cols[0];
        for (size_t i = 0; i < got->nrows; i++) {
            cr_assert_eq(gv->valid[i], wv->valid[i], "row %zu: valid", seen + i);
            size_t gl = (size_t)(gv->offsets[i + 1] - gv->offsets[i]);
            size_t wl = (size_t)(wv->offsets[i + 1] - wv->offsets[i]);
            cr_assert_eq(gl, wl, "row %zu: length %zu, want %zu", seen + i, gl, wl);
            const sl_vector *ge = gv->child, *we = wv->child;
            for (size_t j = 0; j < gl; j++) {
                size_t a = (size_t)gv->offsets[i] + j, b = (size_t)wv->offsets[i] + j;
                cr_assert_eq(ge->valid[a], we->valid[b], "row %zu elem %zu: valid", seen + i, j);
                if (!we->valid[b]) continue;
                if (ge->offsets) {
                    size_t la, lb;
                    const uint8_t *pa = sl_vec_bytes(ge, a, &la), *pb = sl_vec_bytes(we, b, &lb);
                    cr_assert(la == lb && !memcmp(pa, pb, la), "row %zu elem %zu", seen + i, j);
                } else {
                    cr_assert(!memcmp(ge->data + a * ge->width, we->data + b * we->width, ge->width),
                              "row %zu elem %zu", seen + i, j);
                }
            }
        }
        seen += got->nrows;
    }
    cr_assert_eq(seen, rows);
    sl_batch_free(got);
    sl_batch_free(want);
    sl_pq_reader_close(r);
}

static int64_t duck_count(const char *sql)
{
    sl_err err = SL_ERR_INIT;
    sl_duck *d = sl_duck_open(":memory:", &err);
    cr_assert(d, "%s", err.msg);
    int64_t n = -1;
    cr_assert_eq(sl_duck_exec(d, sql, &n, &err), 0, "%s: %s", sql, err.msg);
    sl_duck_close(d);
    return n;
}

static char *tmp_path(const char *name)
{
    return sl_sprintf("/tmp/sl_test_pq_list_%d_%s.parquet", (int)getpid(), name);
}

Test(pq_list, int64_duckdb_and_reader)
{
    sl_err err = SL_ERR_INIT;
    if (sl_duck_load(&err) < 0) cr_skip("DuckDB not available: %s", err.msg);
    char *p = tmp_path("i64");
    write_file(p, "int64", 5000, 1000, true, NULL);
    /* every row's list equals the generator's */
    char *sql = sl_sprintf(
        "select count(*) from (select row_number() over () - 1 as r, l from read_parquet('%s')) t "
        "where l is distinct from (case when r %% 7 = 3 then null when r %% 7 = 5 then []::bigint[] else "
        "list_transform(range(0, r %% 4 + 1), j -> case when (r + j) %% 5 = 4 then null else r * 10 + j end) end)", p);
    cr_assert_eq(duck_count(sql), 0);
    sl_free(sql);
    if (!getenv("SKIP_READ")) read_check(p, 5000, true);
    unlink(p);
    sl_free(p);
}

/* Every element type, nullable and not, small pages and row groups (lists
 * cross page and row-group boundaries), dictionary on and off, codecs. */
Test(pq_list, every_element_type_pages_row_groups)
{
    static const char *elems[] = { "bool", "int16", "int32", "int64", "float32", "float64", "decimal(9,2)",
                                   "decimal(18,3)", "decimal(38,6)", "string", "bytes", "date", "time",
                                   "timestamp", "timestamptz", "uuid", "json" };
    for (size_t i = 0; i < sizeof elems / sizeof elems[0]; i++)
        for (int variant = 0; variant < 4; variant++) {
            sl_pq_writer_opts o;
            sl_pq_writer_opts_default(&o);
            bool nullable = variant != 1;
            if (variant >= 2) {
                o.page_rows = 7;             /* pages of 7 rows */
                o.row_group_rows = 300;
            }
            if (variant == 3) {
                o.dictionary = false;
                o.codec = SL_PQ_SNAPPY;
            }
            char name[64];
            snprintf(name, sizeof name, "t%zu_%d", i, variant);
            char *p = tmp_path(name);
            write_file(p, elems[i], 2000, 512, nullable, &o);
            read_check(p, 2000, nullable);
            unlink(p);
            sl_free(p);
        }
}

/* Rows of many elements: a page holds one long row; empty and NULL rows between. */
Test(pq_list, long_lists)
{
    sl_schema *s = sl_schema_new(1);
    sl_type t;
    cr_assert_eq(sl_type_parse("list<string>", &t), 0);
    sl_schema_set(s, 0, "l", t, true);
    char *p = tmp_path("long");
    sl_err err = SL_ERR_INIT;
    sl_out *o = sl_out_open_file(p, &err);
    sl_pq_writer_opts opts;
    sl_pq_writer_opts_default(&opts);
    opts.page_bytes = 4096;
    sl_pq_writer *w = sl_pq_writer_open(o, s, &opts, &err);
    cr_assert(w, "%s", err.msg);
    sl_batch *b = sl_batch_new(s, 8);
    static const size_t lens[8] = { 100000, 0, 3, 70000, 0, 1, 200000, 2 };
    for (size_t r = 0; r < 8; r++) {
        if (r == 4) {
            sl_vec_set_null(&b->cols[0], r);
            continue;
        }
        size_t first = sl_vec_list_begin(&b->cols[0], r, lens[r]);
        for (size_t j = 0; j < lens[r]; j++) {
            char v[32];
            int m = snprintf(v, sizeof v, "%zu-%zu", r, j % 1000);
            if (j % 97 == 5) sl_vec_set_null(b->cols[0].child, first + j);
            else sl_vec_set_bytes(b->cols[0].child, first + j, v, (size_t)m);
        }
        sl_vec_list_end(&b->cols[0], r, lens[r]);
    }
    b->nrows = 8;
    cr_assert_eq(sl_pq_writer_write(w, b, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_pq_writer_close(w, &err), 0, "%s", err.msg);
    sl_pq_writer_free(w);
    cr_assert_eq(sl_out_close(o, false, &err), 0, "%s", err.msg);

    sl_pq_reader *r = sl_pq_reader_open(p, &err);
    cr_assert(r, "%s", err.msg);
    cr_assert(sl_pq_reader_schema(r, &err));
    sl_batch *g = sl_batch_new(s, 3);
    size_t row = 0;
    while (sl_pq_reader_next(r, g, &err) > 0) {
        for (size_t i = 0; i < g->nrows; i++, row++) {
            const sl_vector *v = &g->cols[0];
            cr_assert_eq(v->valid[i], row != 4, "row %zu", row);
            size_t n = (size_t)(v->offsets[i + 1] - v->offsets[i]);
            cr_assert_eq(n, row == 4 ? 0 : lens[row], "row %zu: %zu elements", row, n);
            for (size_t j = 0; j < n; j++) {
                size_t k = (size_t)v->offsets[i] + j;
                cr_assert_eq(v->child->valid[k], j % 97 != 5);
                if (!v->child->valid[k]) continue;
                char want[32];
                int m = snprintf(want, sizeof want, "%zu-%zu", row, j % 1000);
                size_t len;
                const uint8_t *got = sl_vec_bytes(v->child, k, &len);
                cr_assert(len == (size_t)m && !memcmp(got, want, len), "row %zu elem %zu", row, j);
            }
        }
    }
    cr_assert_str_empty(err.msg);
    cr_assert_eq(row, 8);
    sl_pq_reader_close(r);
    sl_batch_free(b);
    sl_batch_free(g);
    sl_schema_free(s);
    unlink(p);
    sl_free(p);
}

/* Lists DuckDB writes (3-level, its own page cutting) read by sluice. */
Test(pq_list, read_duckdb_lists)
{
    sl_err err = SL_ERR_INIT;
    if (sl_duck_load(&err) < 0) cr_skip("DuckDB not available: %s", err.msg);
    char *p = tmp_path("duck");
    char *sql = sl_sprintf(
        "copy (select case when i %% 7 = 3 then null when i %% 7 = 5 then []::bigint[] else "
        "list_transform(range(0, i %% 4 + 1), j -> case when (i + j) %% 5 = 4 then null else i * 10 + j end) end as l "
        "from range(0, 50000) t(i)) to '%s' (format parquet, row_group_size 10000)", p);
    duck_count(sql);
    sl_free(sql);
    read_check(p, 50000, true);
    unlink(p);
    sl_free(p);
}
