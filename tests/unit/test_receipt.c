/*
 * test_receipt.c - load receipts (core/sl_receipt.h): the aggregates of
 * every type, NULLs, exact 128-bit sums and their overflow, the float
 * order (NaN last, -0 below +0), cut strings, and that a receipt is the
 * same however the rows are cut into batches or tasks (merge), and after
 * a trip through the state store's blob.
 */
#include "sl_test.h"

#include "core/sl_alloc.h"
#include "core/sl_receipt.h"

#include <math.h>
#include <string.h>

static sl_schema *all_types(void)
{
    sl_schema *s = sl_schema_new(9);
    sl_schema_set(s, 0, "i", (sl_type){ .id = SL_T_INT32 }, true);
    sl_schema_set(s, 1, "d", (sl_type){ .id = SL_T_DECIMAL, .precision = 12, .scale = 2 }, true);
    sl_schema_set(s, 2, "w", (sl_type){ .id = SL_T_DECIMAL, .precision = 38, .scale = 0 }, true);
    sl_schema_set(s, 3, "f", (sl_type){ .id = SL_T_FLOAT64 }, true);
    sl_schema_set(s, 4, "s", (sl_type){ .id = SL_T_STRING }, true);
    sl_schema_set(s, 5, "ts", (sl_type){ .id = SL_T_TIMESTAMP, .utc = true }, true);
    sl_schema_set(s, 6, "b", (sl_type){ .id = SL_T_BOOL }, true);
    sl_schema_set(s, 7, "u", (sl_type){ .id = SL_T_UUID }, true);
    sl_schema_set(s, 8, "raw", (sl_type){ .id = SL_T_BYTES }, true);
    return s;
}

/* Row r of a deterministic table: every 5th row NULL in every column. */
static void fill_row(sl_batch *b, size_t at, int r)
{
    if (r % 5 == 4) {
        for (int c = 0; c < b->ncols; c++) sl_vec_set_null(&b->cols[c], at);
        return;
    }
    int32_t i = r - 50;
    memcpy(sl_vec_slot(&b->cols[0], at), &i, 4);
    int64_t d = (int64_t)r * 125 - 999;
    memcpy(sl_vec_slot(&b->cols[1], at), &d, 8);
    sl_i128 w = (sl_i128)r * 1000000000000000000 * 1000;
    memcpy(sl_vec_slot(&b->cols[2], at), &w, 16);
    double f = r == 7 ? -0.0 : r == 8 ? 0.0 : r * 0.5 - 3;
    memcpy(sl_vec_slot(&b->cols[3], at), &f, 8);
    char s[32];
    int n = snprintf(s, sizeof s, "v%03d", r);
    sl_vec_set_bytes(&b->cols[4], at, s, (size_t)n);
    int64_t ts = 1700000000000000 + (int64_t)r * 1000000;
    memcpy(sl_vec_slot(&b->cols[5], at), &ts, 8);
    *(uint8_t *)sl_vec_slot(&b->cols[6], at) = r % 3 == 0;
    uint8_t u[16] = { 0 };
    u[15] = (uint8_t)r;
    memcpy(sl_vec_slot(&b->cols[7], at), u, 16);
    uint8_t raw[2] = { 0xfe, (uint8_t)r };
    sl_vec_set_bytes(&b->cols[8], at, raw, 2);
}

/* A receipt of rows [0, n) added in batches of `per` rows. */
static sl_receipt *receipt_of(const sl_schema *s, int from, int to, int per)
{
    sl_receipt *r = sl_receipt_new(s);
    sl_batch *b = sl_batch_new(s, (size_t)per);
    for (int row = from; row < to;) {
        sl_batch_reset(b);
        size_t k = 0;
        for (; k < (size_t)per && row < to; k++, row++) fill_row(b, k, row);
        b->nrows = k;
        sl_receipt_add(r, b);
    }
    sl_batch_free(b);
    return r;
}

static char *json_of(const sl_receipt *r, const sl_schema *s)
{
    sl_buf out = { 0 };
    sl_receipt_json(r, s, "  ", &out);
    sl_buf_push(&out, 0);
    return (char *)out.data;
}

/* The line of column `name` in the JSON. */
static const char *line_of(const char *json, const char *name)
{
    char pat[64];
    snprintf(pat, sizeof pat, "{\"name\": \"%s\"", name);
    const char *p = strstr(json, pat);
    cr_assert_not_null(p, "no column %s in %s", name, json);
    return p;
}

/* That line alone, into one. */
static const char *one_line(const char *json, const char *col, char *one, size_t size)
{
    const char *line = line_of(json, col);
    const char *end = strchr(line, '\n');
    snprintf(one, size, "%.*s", end ? (int)(end - line) : (int)strlen(line), line);
    return one;
}

static void expect_field(const char *json, const char *col, const char *key, const char *want)
{
    char got[256], one[1024];
    one_line(json, col, one, sizeof one);
    cr_assert(sl_receipt_json_field(one, key, got, sizeof got), "%s: no %s in %s", col, key, one);
    cr_assert_str_eq(got, want, "%s.%s", col, key);
}

Test(receipt, aggregates_of_every_type)
{
    sl_schema *s = all_types();
    sl_receipt *r = receipt_of(s, 0, 100, 1000);
    char *j = json_of(r, s);
    cr_assert(strstr(j, "{\"rows\": 100, \"columns\": ["), "%s", j);
    /* 80 rows with values (every 5th is NULL): r in [0,100), r % 5 != 4 */
    long long isum = 0, dsum = 0;
    int trues = 0;
    for (int q = 0; q < 100; q++)
        if (q % 5 != 4) {
            isum += q - 50;
            dsum += (long long)q * 125 - 999;
            trues += q % 3 == 0;
        }
    char want[64];
    expect_field(j, "i", "non_null", "80");
    expect_field(j, "i", "min", "-50");
    expect_field(j, "i", "max", "48");
    snprintf(want, sizeof want, "%lld", isum);
    expect_field(j, "i", "sum", want);
    expect_field(j, "d", "min", "-9.99");
    expect_field(j, "d", "max", "112.51");
    snprintf(want, sizeof want, "%lld.%02lld", dsum / 100, dsum % 100);
    expect_field(j, "d", "sum", want);
    expect_field(j, "w", "max", "98000000000000000000000");
    expect_field(j, "f", "min", "-3");
    expect_field(j, "f", "max", "46");
    char one[1024];
    cr_assert_null(strstr(one_line(j, "f", one, sizeof one), "\"sum\""), "floats have no sum");
    expect_field(j, "s", "min", "v000");
    expect_field(j, "s", "max", "v098");
    expect_field(j, "ts", "min", "2023-11-14 22:13:20+00");
    expect_field(j, "b", "min", "false");
    expect_field(j, "b", "max", "true");
    snprintf(want, sizeof want, "%d", trues);
    expect_field(j, "b", "sum", want);
    expect_field(j, "u", "max", "00000000-0000-0000-0000-000000000062");
    expect_field(j, "raw", "min", "\\xfe00");
    sl_free(j);
    sl_receipt_free(r);
    sl_schema_free(s);
}

/* The same rows give the same text whatever the batches and tasks. */
Test(receipt, batches_tasks_and_the_blob_do_not_change_it)
{
    sl_schema *s = all_types();
    sl_receipt *one = receipt_of(s, 0, 300, 1000);
    sl_receipt *small = receipt_of(s, 0, 300, 7);
    /* Batches of 4 rows: those without a row r % 5 == 4 ([0,4), [20,24),
     * ...) have no NULL and take the loops for NULL-free batches. */
    sl_receipt *fives = receipt_of(s, 0, 300, 4);
    sl_receipt *merged = receipt_of(s, 0, 0, 10);
    for (int from = 0; from < 300; from += 64) {
        sl_receipt *part = receipt_of(s, from, from + 64 > 300 ? 300 : from + 64, 13);
        /* through the state store's blob */
        sl_buf blob = { 0 };
        sl_receipt_encode(part, &blob);
        sl_receipt *back = sl_receipt_new(s);
        sl_err err = SL_ERR_INIT;
        cr_assert_eq(sl_receipt_decode(back, blob.data, blob.len, &err), 0, "%s", err.msg);
        sl_receipt_merge(merged, back);
        sl_receipt_free(back);
        sl_receipt_free(part);
        sl_buf_free(&blob);
    }
    char *a = json_of(one, s), *b = json_of(small, s), *c = json_of(merged, s), *d = json_of(fives, s);
    cr_assert_str_eq(a, b);
    cr_assert_str_eq(a, c);
    cr_assert_str_eq(a, d);
    sl_free(d);
    sl_receipt_free(fives);
    sl_free(a);
    sl_free(b);
    sl_free(c);
    /* A blob of another schema is refused. */
    sl_buf blob = { 0 };
    sl_receipt_encode(one, &blob);
    sl_schema *other = sl_schema_new(1);
    sl_schema_set(other, 0, "i", (sl_type){ .id = SL_T_INT32 }, true);
    sl_receipt *o = sl_receipt_new(other);
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_receipt_decode(o, blob.data, blob.len, &err), -1);
    sl_receipt_free(o);
    sl_schema_free(other);
    sl_buf_free(&blob);
    sl_receipt_free(one);
    sl_receipt_free(small);
    sl_receipt_free(merged);
    sl_schema_free(s);
}

Test(receipt, overflow_nan_zero_and_cut_strings)
{
    sl_schema *s = sl_schema_new(3);
    sl_schema_set(s, 0, "w", (sl_type){ .id = SL_T_DECIMAL, .precision = 38, .scale = 2 }, false);
    sl_schema_set(s, 1, "f", (sl_type){ .id = SL_T_FLOAT32 }, false);
    sl_schema_set(s, 2, "s", (sl_type){ .id = SL_T_STRING }, false);
    sl_batch *b = sl_batch_new(s, 16);
    sl_i128 big = (sl_i128)99999999999999999 * 1000000000000000000 * 100 + 99;   /* ~1e37 */
    char longer[200];
    memset(longer, 'z', sizeof longer);
    memcpy(longer + 63, "é", 2);   /* a character across the 64-byte cut */
    float fs[4] = { 1.5f, NAN, -0.0f, 0.0f };
    for (int k = 0; k < 4; k++) {
        memcpy(sl_vec_slot(&b->cols[0], (size_t)k), &big, 16);
        memcpy(sl_vec_slot(&b->cols[1], (size_t)k), &fs[k], 4);
        if (k == 0) sl_vec_set_bytes(&b->cols[2], 0, longer, sizeof longer);
        else sl_vec_set_bytes(&b->cols[2], (size_t)k, "a", 1);
    }
    b->nrows = 4;
    sl_receipt *r = sl_receipt_new(s);
    for (int k = 0; k < 20; k++) sl_receipt_add(r, b);   /* 80 * 1e37 > 1.7e38 */
    char *j = json_of(r, s);
    expect_field(j, "w", "sum", "overflow");
    expect_field(j, "f", "max", "NaN");
    expect_field(j, "f", "min", "-0");
    expect_field(j, "s", "min", "a");
    char want[80];
    snprintf(want, sizeof want, "%.63s", longer);   /* the é is cut: whole characters only */
    expect_field(j, "s", "max", want);
    cr_assert(strstr(line_of(j, "s"), "\"max_cut\": true"), "%s", j);
    sl_free(j);
    sl_receipt_free(r);
    sl_batch_free(b);
    sl_schema_free(s);
}

/* The comparison of receipt texts: every field, or (a source's aggregates)
 * only what the source gives, with cut strings as prefixes and -0 = 0. */
Test(receipt, json_diff_full_and_partial)
{
    const char *ours = "{\"rows\": 3, \"columns\": [{\"name\": \"a\", \"type\": \"int64\", \"non_null\": 3, \"min\": \"1\", "
                       "\"max\": \"3\", \"sum\": \"6\"}, {\"name\": \"s\", \"type\": \"string\", \"non_null\": 2, "
                       "\"min\": \"ab\", \"max\": \"zz\", \"max_cut\": true}, {\"name\": \"f\", \"type\": \"float64\", "
                       "\"non_null\": 2, \"min\": \"-0\", \"max\": \"2.5\"}]}";
    const char *src = "{\"rows\": 3, \"columns\": [{\"name\": \"a\", \"non_null\": 3, \"min\": \"1\", \"max\": \"3\", "
                      "\"sum\": \"7\"}, {\"name\": \"s\", \"non_null\": 2, \"min\": \"ab\", \"max\": \"zzzz\"}, "
                      "{\"name\": \"f\", \"non_null\": 2, \"min\": \"0\", \"max\": \"2.5\"}]}";
    sl_buf report = { 0 };
    cr_assert_eq(sl_receipt_json_diff(ours, src, true, "ours", "theirs", &report), 1);
    sl_buf_push(&report, 0);
    cr_assert_str_eq((char *)report.data, "column a: sum: ours 6, theirs 7\n");
    sl_buf_free(&report);
    cr_assert_eq(sl_receipt_json_diff(ours, ours, false, "a", "b", &report), 0);
    /* Full: the type and the cut marker count too. */
    cr_assert_geq(sl_receipt_json_diff(ours, src, false, "a", "b", &report), 4);
    sl_buf_free(&report);
}
