/*
 * test_pq_roundtrip.c - the Parquet writer and reader together: every type x
 * REQUIRED/OPTIONAL x codec x dictionary on/off is written into memory
 * (sl_out_open_buf), read back with sl_pq_reader_open_mem and compared
 * value by value (bitwise for fixed-width values, so NaN and -0.0 count).
 * Also: empty files, all-null columns, one-row files, 0-byte and multi-MB
 * strings, extremes (INT64 min/max, decimal(38) +-(10^38-1), NaN, +-0.0,
 * infinities, timestamps in years 1 and 9999), several row groups and pages.
 */
#include <criterion/criterion.h>

#include "core/sl_alloc.h"
#include "core/sl_out.h"
#include "core/sl_types.h"
#include "parquet/sl_pq_format.h"
#include "parquet/sl_pq_meta.h"
#include "parquet/sl_pq_reader.h"
#include "parquet/sl_pq_writer.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const type_names[] = {
    "bool", "int16", "int32", "int64", "float32", "float64", "decimal(9,2)", "decimal(18,4)",
    "decimal(38,10)", "decimal(38,0)", "string", "bytes", "date", "time", "timestamp", "timestamptz",
    "uuid", "json",
};
#define NTYPES (int)(sizeof type_names / sizeof type_names[0])

static sl_i128 pow10_128(int n)
{
    sl_i128 x = 1;
    while (n-- > 0) x *= 10;
    return x;
}

/* Value of row `row` of a column of type t (deterministic, extremes first). */
static void gen_value(sl_vector *v, size_t row, int seed, bool nullable)
{
    sl_type t = v->type;
    if (nullable && (row % 7 == 3)) {
        sl_vec_set_null(v, row);
        return;
    }
    uint64_t h = (row + 1) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)seed;
    h ^= h >> 29;
    int k = (int)(row % 16);
    char buf[64];
    switch (t.id) {
    case SL_T_BOOL: *(uint8_t *)sl_vec_slot(v, row) = (h & 3) == 0; break;
    case SL_T_INT16: { int16_t x = k == 0 ? INT16_MIN : k == 1 ? INT16_MAX : (int16_t)(h % 2000) - 1000; memcpy(sl_vec_slot(v, row), &x, 2); break; }
    case SL_T_INT32: { int32_t x = k == 0 ? INT32_MIN : k == 1 ? INT32_MAX : (int32_t)(h % 100) * 7919; memcpy(sl_vec_slot(v, row), &x, 4); break; }
    case SL_T_INT64: { int64_t x = k == 0 ? INT64_MIN : k == 1 ? INT64_MAX : (int64_t)(h % 1000) * 1000000007LL - 3; memcpy(sl_vec_slot(v, row), &x, 8); break; }
    case SL_T_FLOAT32: {
        float vals[] = { NAN, -0.0f, 0.0f, INFINITY, -INFINITY, FLT_MAX, -FLT_MAX, FLT_MIN / 4, 1.5f };
        float x = k < 9 ? vals[k] : (float)(h % 1000) / 8.0f;
        memcpy(sl_vec_slot(v, row), &x, 4);
        break;
    }
    case SL_T_FLOAT64: {
        double vals[] = { NAN, -0.0, 0.0, INFINITY, -INFINITY, DBL_MAX, -DBL_MAX, DBL_MIN / 4, 0.1 };
        double x = k < 9 ? vals[k] : (double)(h % 1000) / 3.0;
        memcpy(sl_vec_slot(v, row), &x, 8);
        break;
    }
    case SL_T_DECIMAL: {
        sl_i128 max = pow10_128(t.precision) - 1;
        sl_i128 x = k == 0 ? -max : k == 1 ? max : (sl_i128)(int64_t)(h % 200000) - 100000;
        if (t.precision <= 18) { int64_t y = (int64_t)x; memcpy(sl_vec_slot(v, row), &y, 8); }
        else memcpy(sl_vec_slot(v, row), &x, 16);
        break;
    }
    case SL_T_STRING:
    case SL_T_JSON: {
        int n;
        if (k == 0) n = 0;   /* empty string */
        else if (t.id == SL_T_JSON) n = snprintf(buf, sizeof buf, "{\"a\":%d}", (int)(h % 10));
        else if (k == 1) n = snprintf(buf, sizeof buf, "\xc3\xa9t\xc3\xa9 \"q\",x");
        else n = snprintf(buf, sizeof buf, "s%d", (int)(h % 40));
        sl_vec_set_bytes(v, row, buf, (size_t)n);
        break;
    }
    case SL_T_BYTES: {
        size_t n = k == 0 ? 0 : (size_t)(h % 20);
        for (size_t i = 0; i < n; i++) buf[i] = (char)(h >> (i % 8 * 8));
        sl_vec_set_bytes(v, row, buf, n);
        break;
    }
    case SL_T_DATE: { int32_t x = k == 0 ? -719162 : k == 1 ? 2932896 : (int32_t)(h % 30000) - 5000; memcpy(sl_vec_slot(v, row), &x, 4); break; }
    case SL_T_TIME: { int64_t x = k == 0 ? 0 : k == 1 ? 86399999999LL : (int64_t)(h % 86400000000ULL); memcpy(sl_vec_slot(v, row), &x, 8); break; }
    case SL_T_TIMESTAMP: {
        int64_t x = k == 0 ? -62135596800000000LL : k == 1 ? 253402300799999999LL : (int64_t)(h % 4000000000000000ULL) - 1000000000000000LL;
        memcpy(sl_vec_slot(v, row), &x, 8);
        break;
    }
    case SL_T_UUID: {
        uint8_t u[16];
        for (int i = 0; i < 16; i++) u[i] = (uint8_t)(h >> (i % 8 * 8)) ^ (uint8_t)i;
        if (k == 0) memset(u, 0, 16);
        if (k == 1) memset(u, 0xff, 16);
        memcpy(sl_vec_slot(v, row), u, 16);
        break;
    }
    default: break;
    }
}

static void fill_batch(sl_batch *b, size_t first_row, size_t n, bool nullable, int all_null_col)
{
    sl_batch_reset(b);
    for (size_t r = 0; r < n; r++)
        for (int c = 0; c < b->ncols; c++) {
            if (c == all_null_col) sl_vec_set_null(&b->cols[c], r);
            else gen_value(&b->cols[c], r, (int)(first_row + r) * 31 + c, nullable);
        }
    b->nrows = n;
}

static void assert_same(const sl_vector *want, size_t wrow, const sl_vector *got, size_t grow, const char *what)
{
    cr_assert_eq(want->valid[wrow], got->valid[grow], "%s: validity differs", what);
    if (!want->valid[wrow]) return;
    if (sl_type_is_varlen(want->type)) {
        size_t wl, gl;
        const uint8_t *wp = sl_vec_bytes(want, wrow, &wl), *gp = sl_vec_bytes(got, grow, &gl);
        cr_assert_eq(wl, gl, "%s: length %zu, expected %zu", what, gl, wl);
        cr_assert(wl == 0 || memcmp(wp, gp, wl) == 0, "%s: bytes differ", what);
    } else {
        cr_assert(memcmp(want->data + wrow * want->width, got->data + grow * got->width, want->width) == 0,
                  "%s: value differs", what);
    }
}

/* Writes nrows rows of `schema` (regenerated per chunk), reads them back and
 * compares. */
static void roundtrip(const sl_schema *schema, size_t nrows, int codec, bool dict, bool nullable, int all_null_col,
                      const char *label)
{
    sl_err err = SL_ERR_INIT;
    sl_buf file = { 0 };
    sl_out *out = sl_out_open_buf(&file);
    sl_pq_writer_opts o;
    sl_pq_writer_opts_default(&o);
    o.codec = codec;
    o.dictionary = dict;
    o.page_rows = 300;
    o.row_group_rows = 1000;
    o.page_crc = (codec == SL_PQ_SNAPPY);
    sl_pq_writer *w = sl_pq_writer_open(out, schema, &o, &err);
    cr_assert_not_null(w, "%s: open: %s", label, err.msg);
    const size_t chunk = 777;
    sl_batch *src = sl_batch_new(schema, chunk);
    for (size_t at = 0; at < nrows; at += chunk) {
        size_t n = nrows - at < chunk ? nrows - at : chunk;
        fill_batch(src, at, n, nullable, all_null_col);
        cr_assert_eq(sl_pq_writer_write(w, src, &err), 0, "%s: write: %s", label, err.msg);
    }
    cr_assert_eq(sl_pq_writer_close(w, &err), 0, "%s: close: %s", label, err.msg);
    sl_pq_writer_free(w);
    cr_assert_eq(sl_out_close(out, false, &err), 0, "%s: out: %s", label, err.msg);

    sl_pq_reader *r = sl_pq_reader_open_mem(file.data, file.len, label, &err);
    cr_assert_not_null(r, "%s: reader: %s", label, err.msg);
    const sl_schema *rs = sl_pq_reader_schema(r, &err);
    cr_assert_not_null(rs, "%s: schema: %s", label, err.msg);
    cr_assert_eq(rs->ncols, schema->ncols);
    for (int c = 0; c < rs->ncols; c++) {
        char a[48], b[48];
        cr_assert_str_eq(rs->fields[c].name, schema->fields[c].name);
        cr_assert_str_eq(sl_type_format(rs->fields[c].type, a, sizeof a), sl_type_format(schema->fields[c].type, b, sizeof b),
                         "%s: column %s type", label, schema->fields[c].name);
        cr_assert_eq(rs->fields[c].nullable, schema->fields[c].nullable, "%s: column %s nullability", label,
                     schema->fields[c].name);
    }
    cr_assert_eq(sl_pq_reader_meta(r)->num_rows, (int64_t)nrows, "%s: num_rows", label);
    sl_batch *got = sl_batch_new(rs, 500);
    size_t seen = 0, src_first = (size_t)-1;
    int64_t n;
    while ((n = sl_pq_reader_next(r, got, &err)) > 0) {
        for (size_t row = 0; row < got->nrows; row++, seen++) {
            size_t want_first = seen / chunk * chunk;
            if (want_first != src_first) {
                size_t cnt = nrows - want_first < chunk ? nrows - want_first : chunk;
                fill_batch(src, want_first, cnt, nullable, all_null_col);
                src_first = want_first;
            }
            for (int c = 0; c < got->ncols; c++) {
                char what[160];
                snprintf(what, sizeof what, "%s: row %zu column %s", label, seen, schema->fields[c].name);
                assert_same(&src->cols[c], seen - src_first, &got->cols[c], row, what);
            }
        }
    }
    cr_assert_eq(n, 0, "%s: read: %s", label, err.msg);
    cr_assert_eq(seen, nrows, "%s: %zu rows read, %zu written", label, seen, nrows);
    sl_batch_free(got);
    sl_batch_free(src);
    sl_pq_reader_close(r);
    sl_buf_free(&file);
}

static sl_schema *all_types_schema(bool nullable)
{
    sl_schema *s = sl_schema_new(NTYPES);
    for (int i = 0; i < NTYPES; i++) {
        sl_type t;
        cr_assert_eq(sl_type_parse(type_names[i], &t), 0);
        char name[32];
        snprintf(name, sizeof name, "c_%d", i);
        sl_schema_set(s, i, name, t, nullable);
    }
    return s;
}

static void matrix(int codec)
{
    for (int nullable = 0; nullable < 2; nullable++)
        for (int dict = 0; dict < 2; dict++) {
            sl_schema *s = all_types_schema(nullable);
            char label[96];
            snprintf(label, sizeof label, "codec %d %s dict %s", codec, nullable ? "OPTIONAL" : "REQUIRED", dict ? "on" : "off");
            roundtrip(s, 2345, codec, dict, nullable, -1, label);
            sl_schema_free(s);
        }
}

Test(pq_roundtrip, uncompressed) { matrix(SL_PQ_UNCOMPRESSED); }
Test(pq_roundtrip, snappy_with_crc) { matrix(SL_PQ_SNAPPY); }
Test(pq_roundtrip, gzip) { matrix(SL_PQ_GZIP); }
Test(pq_roundtrip, zstd) { matrix(SL_PQ_ZSTD); }
Test(pq_roundtrip, lz4_raw) { matrix(SL_PQ_LZ4_RAW); }

Test(pq_roundtrip, empty_one_row_and_all_null)
{
    for (int nullable = 0; nullable < 2; nullable++) {
        sl_schema *s = all_types_schema(nullable);
        roundtrip(s, 0, SL_PQ_ZSTD, true, nullable, -1, "empty");
        roundtrip(s, 1, SL_PQ_SNAPPY, true, nullable, -1, "one row");
        roundtrip(s, 1, SL_PQ_UNCOMPRESSED, false, nullable, -1, "one row plain");
        sl_schema_free(s);
    }
    sl_schema *s = all_types_schema(true);
    for (int c = 0; c < NTYPES; c++) {
        char label[64];
        snprintf(label, sizeof label, "all-null column %s", type_names[c]);
        roundtrip(s, 1500, c % 2 ? SL_PQ_ZSTD : SL_PQ_UNCOMPRESSED, c % 3 != 0, true, c, label);
    }
    sl_schema_free(s);
}

Test(pq_roundtrip, big_and_empty_strings)
{
    sl_schema *s = sl_schema_new(2);
    sl_type ts = { .id = SL_T_STRING }, tb = { .id = SL_T_BYTES };
    sl_schema_set(s, 0, "s", ts, true);
    sl_schema_set(s, 1, "b", tb, false);
    const size_t big = 5u << 20;
    char *blob = sl_malloc(big);
    for (size_t i = 0; i < big; i++) blob[i] = (char)('a' + (i * 7 + i / 3) % 26);
    int codecs[] = { SL_PQ_UNCOMPRESSED, SL_PQ_SNAPPY, SL_PQ_GZIP, SL_PQ_ZSTD, SL_PQ_LZ4_RAW };
    for (size_t ci = 0; ci < sizeof codecs / sizeof codecs[0]; ci++) {
        for (int dict = 0; dict < 2; dict++) {
            sl_err err = SL_ERR_INIT;
            sl_buf file = { 0 };
            sl_out *out = sl_out_open_buf(&file);
            sl_pq_writer_opts o;
            sl_pq_writer_opts_default(&o);
            o.codec = codecs[ci];
            o.dictionary = dict;
            sl_pq_writer *w = sl_pq_writer_open(out, s, &o, &err);
            cr_assert_not_null(w, "%s", err.msg);
            sl_batch *b = sl_batch_new(s, 4);
            sl_vec_set_bytes(&b->cols[0], 0, "", 0);
            sl_vec_set_bytes(&b->cols[1], 0, "", 0);
            sl_vec_set_bytes(&b->cols[0], 1, blob, big);
            sl_vec_set_bytes(&b->cols[1], 1, blob + 1, big - 1);
            sl_vec_set_null(&b->cols[0], 2);
            sl_vec_set_bytes(&b->cols[1], 2, "x", 1);
            b->nrows = 3;
            cr_assert_eq(sl_pq_writer_write(w, b, &err), 0, "%s", err.msg);
            cr_assert_eq(sl_pq_writer_close(w, &err), 0, "%s", err.msg);
            sl_pq_writer_free(w);
            cr_assert_eq(sl_out_close(out, false, &err), 0, "%s", err.msg);
            sl_pq_reader *r = sl_pq_reader_open_mem(file.data, file.len, "big", &err);
            cr_assert_not_null(r, "%s", err.msg);
            sl_batch *g = sl_batch_new(sl_pq_reader_schema(r, &err), 16);
            cr_assert_eq(sl_pq_reader_next(r, g, &err), 3, "%s", err.msg);
            for (int c = 0; c < 2; c++)
                for (size_t row = 0; row < 3; row++) assert_same(&b->cols[c], row, &g->cols[c], row, "big strings");
            cr_assert_eq(sl_pq_reader_next(r, g, &err), 0, "%s", err.msg);
            sl_batch_free(g);
            sl_batch_free(b);
            sl_pq_reader_close(r);
            sl_buf_free(&file);
        }
    }
    sl_free(blob);
    sl_schema_free(s);
}

Test(pq_roundtrip, projection_and_filter_skip_row_groups)
{
    sl_schema *s = sl_schema_new(2);
    sl_type ti = { .id = SL_T_INT64 }, ts = { .id = SL_T_STRING };
    sl_schema_set(s, 0, "id", ti, false);
    sl_schema_set(s, 1, "name", ts, true);
    sl_err err = SL_ERR_INIT;
    sl_buf file = { 0 };
    sl_out *out = sl_out_open_buf(&file);
    sl_pq_writer_opts o;
    sl_pq_writer_opts_default(&o);
    o.row_group_rows = 1000;
    sl_pq_writer *w = sl_pq_writer_open(out, s, &o, &err);
    cr_assert_not_null(w, "%s", err.msg);
    sl_batch *b = sl_batch_new(s, 1000);
    for (int chunk = 0; chunk < 10; chunk++) {
        sl_batch_reset(b);
        for (size_t r = 0; r < 1000; r++) {
            int64_t id = chunk * 1000 + (int64_t)r;
            memcpy(sl_vec_slot(&b->cols[0], r), &id, 8);
            char nm[32];
            int n = snprintf(nm, sizeof nm, "n%06lld", (long long)id);
            sl_vec_set_bytes(&b->cols[1], r, nm, (size_t)n);
        }
        b->nrows = 1000;
        cr_assert_eq(sl_pq_writer_write(w, b, &err), 0, "%s", err.msg);
    }
    cr_assert_eq(sl_pq_writer_close(w, &err), 0, "%s", err.msg);
    sl_pq_writer_free(w);
    cr_assert_eq(sl_out_close(out, false, &err), 0, "%s", err.msg);

    struct { const char *col; sl_pq_op op; const char *val; int64_t rows; int min_skipped; } cases[] = {
        { "id", SL_PQ_OP_EQ, "4321", 1, 9 },
        { "id", SL_PQ_OP_LT, "1500", 1500, 8 },
        { "id", SL_PQ_OP_GE, "9000", 1000, 9 },
        { "id", SL_PQ_OP_GT, "99999", 0, 10 },
        { "name", SL_PQ_OP_EQ, "n007777", 1, 9 },
        { "name", SL_PQ_OP_LE, "n000999", 1000, 9 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_pq_reader *r = sl_pq_reader_open_mem(file.data, file.len, "filter", &err);
        cr_assert_not_null(r, "%s", err.msg);
        const char *names[] = { cases[i].col };
        cr_assert_eq(sl_pq_reader_select(r, names, 1, &err), 0, "%s", err.msg);
        cr_assert_eq(sl_pq_reader_schema(r, &err)->ncols, 1);
        cr_assert_eq(sl_pq_reader_filter(r, cases[i].col, cases[i].op, cases[i].val, &err), 0, "%s", err.msg);
        sl_batch *g = sl_batch_new(sl_pq_reader_schema(r, &err), 333);
        int64_t n, matched = 0;
        while ((n = sl_pq_reader_next(r, g, &err)) > 0)
            for (size_t row = 0; row < g->nrows; row++) matched += sl_pq_filter_match(r, g, row);
        cr_assert_eq(n, 0, "%s", err.msg);
        cr_assert_eq(matched, cases[i].rows, "case %zu: %lld rows matched", i, (long long)matched);
        cr_assert_geq(sl_pq_reader_skipped_row_groups(r), cases[i].min_skipped, "case %zu: %d row groups skipped", i,
                      sl_pq_reader_skipped_row_groups(r));
        sl_batch_free(g);
        sl_pq_reader_close(r);
    }
    sl_pq_reader *r = sl_pq_reader_open_mem(file.data, file.len, "filter", &err);
    const char *bad[] = { "nope" };
    cr_assert_eq(sl_pq_reader_select(r, bad, 1, &err), -1);
    cr_assert(strstr(err.msg, "no column named nope"), "%s", err.msg);
    sl_pq_reader_close(r);
    sl_batch_free(b);
    sl_schema_free(s);
    sl_buf_free(&file);
}

/* Item 13: NaN sorts above every number (PostgreSQL, DuckDB): `f > k` keeps
 * NaN rows, and a row group holding one is never skipped for it, whichever
 * writer left NaN out of its max; `f < k` still prunes on min. */
Test(pq_roundtrip, item13_nan_rows_match_greater_than_and_survive_pruning)
{
    sl_schema *s = sl_schema_new(1);
    sl_schema_set(s, 0, "f", (sl_type){ .id = SL_T_FLOAT64 }, true);
    sl_err err = SL_ERR_INIT;
    sl_buf file = { 0 };
    sl_out *out = sl_out_open_buf(&file);
    sl_pq_writer_opts o;
    sl_pq_writer_opts_default(&o);
    o.row_group_rows = 1000;
    sl_pq_writer *w = sl_pq_writer_open(out, s, &o, &err);
    cr_assert_not_null(w, "%s", err.msg);
    sl_batch *b = sl_batch_new(s, 4000);
    for (size_t r = 0; r < 4000; r++) {
        double x = r == 500 || r == 3500 ? NAN : (double)r;
        memcpy(sl_vec_slot(&b->cols[0], r), &x, 8);
    }
    b->nrows = 4000;
    cr_assert_eq(sl_pq_writer_write(w, b, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_pq_writer_close(w, &err), 0, "%s", err.msg);
    sl_pq_writer_free(w);
    cr_assert_eq(sl_out_close(out, false, &err), 0, "%s", err.msg);

    struct { sl_pq_op op; const char *val; int64_t rows; int min_skipped; } cases[] = {
        { SL_PQ_OP_GT, "5000", 2, 0 },          /* the two NaN rows, in row groups 0 and 3 */
        { SL_PQ_OP_GE, "3999", 3, 0 },
        { SL_PQ_OP_EQ, "NaN", 2, 0 },
        { SL_PQ_OP_NE, "NaN", 3998, 0 },
        { SL_PQ_OP_LT, "500", 500, 2 },         /* NaN never matches <: min prunes (groups 1, 2; 0 and 3 have none) */
        { SL_PQ_OP_EQ, "1500", 1, 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_pq_reader *r = sl_pq_reader_open_mem(file.data, file.len, "nan", &err);
        cr_assert_not_null(r, "%s", err.msg);
        cr_assert_eq(sl_pq_reader_filter(r, "f", cases[i].op, cases[i].val, &err), 0, "%s", err.msg);
        sl_batch *g = sl_batch_new(sl_pq_reader_schema(r, &err), 333);
        int64_t n, matched = 0;
        while ((n = sl_pq_reader_next(r, g, &err)) > 0)
            for (size_t row = 0; row < g->nrows; row++) matched += sl_pq_filter_match(r, g, row);
        cr_assert_eq(n, 0, "%s", err.msg);
        cr_assert_eq(matched, cases[i].rows, "case %zu: %lld rows matched", i, (long long)matched);
        cr_assert_geq(sl_pq_reader_skipped_row_groups(r), cases[i].min_skipped, "case %zu", i);
        sl_batch_free(g);
        sl_pq_reader_close(r);
    }
    sl_batch_free(b);
    sl_schema_free(s);
    sl_buf_free(&file);
}

/* DELTA_BINARY_PACKED (INT64 pages without a dictionary): sequences that
 * wrap (INT64_MIN <-> INT64_MAX: 64-bit deltas), constant runs (width 0),
 * sorted ids, page and block edges (0, 1, 2, 128, 129, 130 values, a last
 * miniblock partly filled) and nulls in between all read back exactly, and
 * the pages say DELTA_BINARY_PACKED. */
Test(pq_roundtrip, delta_binary_packed_int64_edges)
{
    static const size_t sizes[] = { 1, 2, 3, 33, 128, 129, 130, 257, 1000, 5003 };
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (int nullable = 0; nullable < 2; nullable++)
            for (int pattern = 0; pattern < 4; pattern++) {
                size_t n = sizes[si];
                sl_schema *s = sl_schema_new(1);
                sl_schema_set(s, 0, "v", (sl_type){ .id = SL_T_INT64 }, nullable);
                sl_batch *b = sl_batch_new(s, n);
                uint64_t seed = 99;
                for (size_t r = 0; r < n; r++) {
                    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                    int64_t x;
                    switch (pattern) {
                    case 0: x = (r % 3 == 0) ? INT64_MIN : (r % 3 == 1) ? INT64_MAX : 0; break;
                    case 1: x = 42; break;
                    case 2: x = 1000000 + (int64_t)r; break;
                    default: x = (int64_t)seed; break;
                    }
                    memcpy(sl_vec_slot(&b->cols[0], r), &x, 8);
                    if (nullable && r % 7 == 3) b->cols[0].valid[r] = 0;
                }
                b->nrows = n;
                sl_err err = SL_ERR_INIT;
                sl_buf file = { 0 };
                sl_out *out = sl_out_open_buf(&file);
                sl_pq_writer_opts o;
                sl_pq_writer_opts_default(&o);
                o.page_rows = 300;
                o.dictionary = pattern >= 2;   /* few distinct values: delta only without a dictionary */
                sl_pq_writer *w = sl_pq_writer_open(out, s, &o, &err);
                cr_assert_not_null(w, "%s", err.msg);
                cr_assert_eq(sl_pq_writer_write(w, b, &err), 0, "%s", err.msg);
                cr_assert_eq(sl_pq_writer_close(w, &err), 0, "%s", err.msg);
                sl_pq_writer_free(w);
                cr_assert_eq(sl_out_close(out, false, &err), 0, "%s", err.msg);
                sl_pq_reader *rd = sl_pq_reader_open_mem(file.data, file.len, "delta", &err);
                cr_assert_not_null(rd, "%s", err.msg);
                if (!o.dictionary || n >= 1024) {
                    /* mostly distinct: the dictionary is dropped, the pages are delta */
                    const sl_pq_column_meta *cm = &sl_pq_reader_meta(rd)->row_groups[0].columns[0].meta;
                    bool delta = false;
                    for (int e = 0; e < cm->nencodings; e++) delta |= cm->encodings[e] == SL_PQ_ENC_DELTA_BINARY_PACKED;
                    cr_assert(delta, "n=%zu pattern %d: no DELTA_BINARY_PACKED page", n, pattern);
                }
                sl_batch *g = sl_batch_new(sl_pq_reader_schema(rd, &err), 97);
                size_t at = 0;
                int64_t got;
                while ((got = sl_pq_reader_next(rd, g, &err)) > 0) {
                    for (size_t r = 0; r < g->nrows; r++, at++) {
                        cr_assert_lt(at, n);
                        cr_assert_eq(g->cols[0].valid[r], b->cols[0].valid[at], "n=%zu pattern %d row %zu", n, pattern, at);
                        if (!b->cols[0].valid[at]) continue;
                        int64_t want, have;
                        memcpy(&want, sl_vec_slot(&b->cols[0], at), 8);
                        memcpy(&have, sl_vec_slot(&g->cols[0], r), 8);
                        cr_assert_eq(have, want, "n=%zu pattern %d nullable %d row %zu", n, pattern, nullable, at);
                    }
                }
                cr_assert_eq(got, 0, "%s", err.msg);
                cr_assert_eq(at, n);
                sl_batch_free(g);
                sl_pq_reader_close(rd);
                sl_batch_free(b);
                sl_schema_free(s);
                sl_buf_free(&file);
            }
}

/* Pages that do not compress (random uuids) are stored as raw zstd frames
 * after the first; many pages and chunks of them read back exactly, and
 * the column's compressed size stays within a few bytes a page of the raw. */
Test(pq_roundtrip, incompressible_pages_stored_read_back)
{
    sl_schema *s = sl_schema_new(1);
    sl_schema_set(s, 0, "u", (sl_type){ .id = SL_T_UUID }, true);
    size_t n = 40000;
    sl_batch *b = sl_batch_new(s, n);
    uint64_t seed = 5;
    for (size_t r = 0; r < n; r++) {
        uint8_t u[16];
        for (int i = 0; i < 16; i += 8) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            memcpy(u + i, &seed, 8);
        }
        memcpy(sl_vec_slot(&b->cols[0], r), u, 16);
        if (r % 11 == 5) b->cols[0].valid[r] = 0;
    }
    b->nrows = n;
    sl_err err = SL_ERR_INIT;
    sl_buf file = { 0 };
    sl_out *out = sl_out_open_buf(&file);
    sl_pq_writer_opts o;
    sl_pq_writer_opts_default(&o);
    o.page_rows = 700;
    o.row_group_rows = 9000;
    sl_pq_writer *w = sl_pq_writer_open(out, s, &o, &err);
    cr_assert_not_null(w, "%s", err.msg);
    cr_assert_eq(sl_pq_writer_write(w, b, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_pq_writer_close(w, &err), 0, "%s", err.msg);
    sl_pq_writer_free(w);
    cr_assert_eq(sl_out_close(out, false, &err), 0, "%s", err.msg);
    sl_pq_reader *rd = sl_pq_reader_open_mem(file.data, file.len, "store", &err);
    cr_assert_not_null(rd, "%s", err.msg);
    const sl_pq_file_meta *m = sl_pq_reader_meta(rd);
    for (int g = 0; g < m->nrow_groups; g++) {
        const sl_pq_column_meta *cm = &m->row_groups[g].columns[0].meta;
        cr_assert_leq(cm->total_compressed_size, cm->total_uncompressed_size + 13 * 14, "row group %d", g);
    }
    sl_batch *got = sl_batch_new(sl_pq_reader_schema(rd, &err), 1000);
    size_t at = 0;
    int64_t k;
    while ((k = sl_pq_reader_next(rd, got, &err)) > 0)
        for (size_t r = 0; r < got->nrows; r++, at++) {
            cr_assert_eq(got->cols[0].valid[r], b->cols[0].valid[at], "row %zu", at);
            if (b->cols[0].valid[at])
                cr_assert_eq(memcmp(sl_vec_slot(&got->cols[0], r), sl_vec_slot(&b->cols[0], at), 16), 0, "row %zu", at);
        }
    cr_assert_eq(k, 0, "%s", err.msg);
    cr_assert_eq(at, n);
    sl_batch_free(got);
    sl_pq_reader_close(rd);
    sl_batch_free(b);
    sl_schema_free(s);
    sl_buf_free(&file);
}
