/*
 * test_pg_encode.c - the binary COPY encoder (sinks/sl_pg_encode.c):
 * batches of every logical type, with NULLs and extreme values, encode to a
 * stream the decoder (sources/sl_pg_copy.c) turns back into equal batches;
 * the same stream loads into a real PostgreSQL table of the mapped types and
 * comes back unchanged through COPY TO (when SLUICE_PG_URL is set); values
 * PostgreSQL would refuse are errors naming column and row.
 */
#include "sl_test.h"

#include "sinks/sl_pg_encode.h"
#include "sources/sl_pg_copy.h"

#include <math.h>

static const struct { const char *name; sl_type type; sl_pg_wire wire; } cols[] = {
    { "b", { .id = SL_T_BOOL }, SL_PGW_BOOL },
    { "i2", { .id = SL_T_INT16 }, SL_PGW_INT2 },
    { "i4", { .id = SL_T_INT32 }, SL_PGW_INT4 },
    { "i8", { .id = SL_T_INT64 }, SL_PGW_INT8 },
    { "f4", { .id = SL_T_FLOAT32 }, SL_PGW_FLOAT4 },
    { "f8", { .id = SL_T_FLOAT64 }, SL_PGW_FLOAT8 },
    { "d9", { .id = SL_T_DECIMAL, .precision = 9, .scale = 3 }, SL_PGW_NUMERIC },
    { "d18", { .id = SL_T_DECIMAL, .precision = 18, .scale = 0 }, SL_PGW_NUMERIC },
    { "d38", { .id = SL_T_DECIMAL, .precision = 38, .scale = 18 }, SL_PGW_NUMERIC },
    { "d38s38", { .id = SL_T_DECIMAL, .precision = 38, .scale = 38 }, SL_PGW_NUMERIC },
    { "s", { .id = SL_T_STRING }, SL_PGW_TEXT },
    { "by", { .id = SL_T_BYTES }, SL_PGW_TEXT },
    { "j", { .id = SL_T_JSON }, SL_PGW_JSONB },
    { "d", { .id = SL_T_DATE }, SL_PGW_DATE },
    { "t", { .id = SL_T_TIME }, SL_PGW_TIME },
    { "ts", { .id = SL_T_TIMESTAMP }, SL_PGW_TIMESTAMP },
    { "tz", { .id = SL_T_TIMESTAMP, .utc = true }, SL_PGW_TIMESTAMP },
    { "u", { .id = SL_T_UUID }, SL_PGW_UUID },
};
#define NCOLS ((int)(sizeof cols / sizeof cols[0]))
#define NROWS 7

static sl_i128 p10(int n) { sl_i128 v = 1; while (n--) v *= 10; return v; }

static sl_schema *schema_all(void)
{
    sl_schema *s = sl_schema_new(NCOLS);
    for (int c = 0; c < NCOLS; c++) sl_schema_set(s, c, cols[c].name, cols[c].type, true);
    return s;
}

/* Row r of a batch: r == NROWS-1 is all NULL; the others mix extremes. */
static void fill(sl_batch *b)
{
    static const char *texts[] = { "", "héllo wörld ✓", "a\nb\tc\\d", "日本語 😀", "x", "'quoted' \"dq\"" };
    static const char *jsons[] = { "{}", "[1, 2, 3]", "{\"a\": \"é\"}", "null", "\"s\"", "{\"k\": [true, false]}" };
    const sl_i128 d38max = p10(38) - 1;
    for (size_t r = 0; r < NROWS; r++) {
        if (r == NROWS - 1) {
            for (int c = 0; c < NCOLS; c++) sl_vec_set_null(&b->cols[c], r);
            b->nrows++;
            continue;
        }
        int sg = r % 2 ? -1 : 1;
        *(uint8_t *)sl_vec_slot(&b->cols[0], r) = r % 2;
        *(int16_t *)sl_vec_slot(&b->cols[1], r) = r == 0 ? INT16_MIN : r == 1 ? INT16_MAX : (int16_t)(sg * (int)r * 1000);
        *(int32_t *)sl_vec_slot(&b->cols[2], r) = r == 0 ? INT32_MIN : r == 1 ? INT32_MAX : sg * (int32_t)r * 100000;
        *(int64_t *)sl_vec_slot(&b->cols[3], r) = r == 0 ? INT64_MIN : r == 1 ? INT64_MAX : sg * (int64_t)r * 10000000000LL;
        *(float *)sl_vec_slot(&b->cols[4], r) = r == 0 ? -0.0f : r == 1 ? INFINITY : r == 2 ? NAN : sg * 1.5e-30f * (float)r;
        *(double *)sl_vec_slot(&b->cols[5], r) = r == 0 ? 5e-324 : r == 1 ? -INFINITY : r == 2 ? 1.7976931348623157e308 : sg * 0.1 * (double)r;
        *(int64_t *)sl_vec_slot(&b->cols[6], r) = r == 0 ? 999999999 : r == 1 ? -999999999 : r == 2 ? 0 : sg * (int64_t)r * 1001;
        *(int64_t *)sl_vec_slot(&b->cols[7], r) = r == 0 ? 999999999999999999LL : r == 1 ? -1 : r == 2 ? 10000 : sg * (int64_t)r * 100000000;
        sl_i128 v38 = r == 0 ? d38max : r == 1 ? -d38max : r == 2 ? 1 : r == 3 ? -p10(18) : (sl_i128)sg * 123456789 * p10(10);
        memcpy(sl_vec_slot(&b->cols[8], r), &v38, 16);
        sl_i128 v38s = r == 0 ? d38max : r == 1 ? -1 : r == 2 ? p10(37) : (sl_i128)sg * 5 * p10(30);
        memcpy(sl_vec_slot(&b->cols[9], r), &v38s, 16);
        sl_vec_set_bytes(&b->cols[10], r, texts[r], strlen(texts[r]));
        uint8_t bytes[300];
        for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (uint8_t)(i * 7 + r);
        sl_vec_set_bytes(&b->cols[11], r, bytes, r * 50);
        sl_vec_set_bytes(&b->cols[12], r, jsons[r], strlen(jsons[r]));
        /* PostgreSQL's date range: 4713 BC .. 5874897 AD. */
        *(int32_t *)sl_vec_slot(&b->cols[13], r) = r == 0 ? (int32_t)sl_days_from_civil(-4712, 1, 1)
                                                 : r == 1 ? (int32_t)sl_days_from_civil(5874897, 12, 31) : sg * (int32_t)r * 3000;
        *(int64_t *)sl_vec_slot(&b->cols[14], r) = r == 0 ? 0 : r == 1 ? 86400000000LL - 1 : (int64_t)r * 3600000001LL;
        int64_t ts = r == 0 ? (sl_days_from_civil(-4712, 1, 1) * 86400000000LL)
                   : r == 1 ? (sl_days_from_civil(294246, 12, 31) * 86400000000LL) : sg * (int64_t)r * 1000000000001LL;
        *(int64_t *)sl_vec_slot(&b->cols[15], r) = ts;
        *(int64_t *)sl_vec_slot(&b->cols[16], r) = ts + 1;
        uint8_t *u = sl_vec_slot(&b->cols[17], r);
        for (int i = 0; i < 16; i++) u[i] = (uint8_t)(r == 0 ? 0 : r == 1 ? 0xff : i * 17 + r);
        b->nrows++;
    }
}

static void expect_equal(const sl_batch *a, const sl_batch *b)
{
    cr_assert_eq(a->nrows, b->nrows);
    sl_buf x = {0}, y = {0};
    for (size_t r = 0; r < a->nrows; r++)
        for (int c = 0; c < NCOLS; c++) {
            sl_buf_clear(&x);
            sl_buf_clear(&y);
            sl_test_cell(a, c, r, true, &x);
            sl_test_cell(b, c, r, true, &y);
            sl_buf_push(&x, 0);
            sl_buf_push(&y, 0);
            cr_expect_str_eq((char *)y.data, (char *)x.data, "column %s row %zu", cols[c].name, r);
        }
    sl_buf_free(&x);
    sl_buf_free(&y);
}

static sl_batch *decode(const sl_schema *s, const uint8_t *p, size_t len)
{
    static sl_pg_copy_col dc[NCOLS];
    for (int c = 0; c < NCOLS; c++) dc[c] = (sl_pg_copy_col){ cols[c].name, cols[c].wire, cols[c].type, 0 };
    sl_batch *back = sl_batch_new(s, 64);
    sl_pg_copy st;
    sl_pg_copy_init(&st, dc, NCOLS, "test");
    sl_err err = SL_ERR_INIT;
    size_t used = 0;
    long got = sl_pg_copy_decode(&st, p, len, back, &used, &err);
    cr_assert_geq(got, 0, "decode: %s", err.msg);
    cr_assert_eq(sl_pg_copy_finish(&st, len - used, &err), 0, "finish: %s", err.msg);
    return back;
}

Test(pg_encode, round_trip_through_the_decoder)
{
    sl_schema *s = schema_all();
    sl_batch *b = sl_batch_new(s, 64);
    fill(b);
    sl_buf out = {0};
    sl_err err = SL_ERR_INIT;
    sl_pg_encode_header(&out);
    /* Two calls over row ranges give the same stream as one. */
    cr_assert_eq(sl_pg_encode_rows(b, 0, 3, &out, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_pg_encode_rows(b, 3, b->nrows, &out, &err), 0, "%s", err.msg);
    sl_pg_encode_trailer(&out);
    sl_batch *back = decode(s, out.data, out.len);
    expect_equal(b, back);
    sl_batch_free(back);
    sl_batch_free(b);
    sl_buf_free(&out);
    sl_schema_free(s);
}

Test(pg_encode, numeric_digits_are_normalised)
{
    /* 12345678.90 at scale 2: groups 1234 5678 9000, weight 1, dscale 2. */
    sl_buf out = {0};
    sl_pg_encode_numeric(1234567890, 2, &out);
    static const uint8_t want[] = { 0, 3, 0, 1, 0, 0, 0, 2, 0x04, 0xd2, 0x16, 0x2e, 0x23, 0x28 };
    cr_assert_eq(out.len, sizeof want);
    cr_assert_arr_eq(out.data, want, sizeof want);
    /* Zero: no digits, weight 0, positive. -0.0001 at scale 4: one group 1, weight -1, negative. */
    sl_buf_clear(&out);
    sl_pg_encode_numeric(0, 5, &out);
    static const uint8_t zero[] = { 0, 0, 0, 0, 0, 0, 0, 5 };
    cr_assert_arr_eq(out.data, zero, sizeof zero);
    sl_buf_clear(&out);
    sl_pg_encode_numeric(-1, 4, &out);
    static const uint8_t tiny[] = { 0, 1, 0xff, 0xff, 0x40, 0, 0, 4, 0, 1 };
    cr_assert_eq(out.len, sizeof tiny);
    cr_assert_arr_eq(out.data, tiny, sizeof tiny);
    /* Every value of a sweep decodes back to itself at every scale. */
    sl_err err = SL_ERR_INIT;
    for (int scale = 0; scale <= 38; scale++)
        for (int i = 0; i < 400; i++) {
            sl_i128 v = (sl_i128)((uint64_t)i * 2654435761ULL) * p10(i % 20) * (i % 2 ? -1 : 1);
            sl_buf_clear(&out);
            sl_pg_encode_numeric(v, scale, &out);
            sl_i128 back = 0;
            cr_assert_eq(sl_pg_numeric_decode(out.data, out.len, 38, scale, &back, &err), 0, "%s", err.msg);
            cr_assert(back == v, "scale %d: value changed", scale);
        }
    sl_buf_free(&out);
}

Test(pg_encode, values_postgres_refuses_name_column_and_row)
{
    sl_schema *s = sl_schema_new(2);
    sl_schema_set(s, 0, "id", (sl_type){ .id = SL_T_INT64 }, false);
    sl_schema_set(s, 1, "note", (sl_type){ .id = SL_T_STRING }, true);
    sl_batch *b = sl_batch_new(s, 4);
    for (int r = 0; r < 3; r++) {
        *(int64_t *)sl_vec_slot(&b->cols[0], r) = r;
        sl_vec_set_bytes(&b->cols[1], r, r == 2 ? "a\0b" : "ok", r == 2 ? 3 : 2);
        b->nrows++;
    }
    sl_buf out = {0};
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_pg_encode_rows(b, 0, b->nrows, &out, &err), -1);
    cr_assert_eq(err.code, SL_EDATA);
    cr_assert(strstr(err.msg, "column note: row 3") && strstr(err.msg, "NUL"), "%s", err.msg);
    /* The two good rows stay, the bad one is not half-written. */
    size_t good = out.len;
    sl_buf_clear(&out);
    cr_assert_eq(sl_pg_encode_rows(b, 0, 2, &out, &err), 0);
    cr_assert_eq(out.len, good);
    sl_buf_free(&out);
    sl_batch_free(b);
    sl_schema_free(s);
}

Test(pg_encode, loads_into_postgres_and_comes_back_unchanged)
{
    char url[512];
    if (!sl_test_pg_db("pg_encode", "sl_pg_encode", url, sizeof url)) return;
    sl_buf sql = {0};
    char tbuf[64];
    sl_buf_append(&sql, "drop table if exists enc; create table enc (", 44);
    for (int c = 0; c < NCOLS; c++) {
        char col[128];
        int n = snprintf(col, sizeof col, "%s%s %s", c ? ", " : "", cols[c].name, sl_pg_encode_type_sql(cols[c].type, tbuf, sizeof tbuf));
        sl_buf_append(&sql, col, (size_t)n);
    }
    sl_buf_append(&sql, ")", 2);
    sl_test_pg_exec(url, (char *)sql.data);

    sl_schema *s = schema_all();
    sl_batch *b = sl_batch_new(s, 64);
    fill(b);
    sl_buf out = {0};
    sl_err err = SL_ERR_INIT;
    sl_pg_encode_header(&out);
    cr_assert_eq(sl_pg_encode_rows(b, 0, b->nrows, &out, &err), 0, "%s", err.msg);
    sl_pg_encode_trailer(&out);

    PGconn *conn = sl_test_pg_connect(url);
    PGresult *res = PQexec(conn, "set timezone = 'UTC'");
    PQclear(res);
    res = PQexec(conn, "copy enc from stdin (format binary)");
    cr_assert_eq(PQresultStatus(res), PGRES_COPY_IN, "%s", PQerrorMessage(conn));
    PQclear(res);
    cr_assert_eq(PQputCopyData(conn, (const char *)out.data, (int)out.len), 1);
    cr_assert_eq(PQputCopyEnd(conn, NULL), 1);
    res = PQgetResult(conn);
    cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "copy from: %s", PQerrorMessage(conn));
    cr_assert_str_eq(PQcmdTuples(res), "7");
    PQclear(res);
    while ((res = PQgetResult(conn))) PQclear(res);

    /* Back out in binary, in insertion order (a fresh heap table). */
    res = PQexec(conn, "copy enc to stdout (format binary)");
    cr_assert_eq(PQresultStatus(res), PGRES_COPY_OUT, "%s", PQerrorMessage(conn));
    PQclear(res);
    sl_buf in = {0};
    char *chunk;
    int n;
    while ((n = PQgetCopyData(conn, &chunk, 0)) > 0) {
        sl_buf_append(&in, chunk, (size_t)n);
        PQfreemem(chunk);
    }
    while ((res = PQgetResult(conn))) PQclear(res);
    sl_batch *back = decode(s, in.data, in.len);
    expect_equal(b, back);

    /* jsonb holds what json text meant; numerics print as PostgreSQL prints them. */
    res = PQexec(conn, "select d38::text, j->>'a', d::text from enc where i2 = 32767");
    cr_assert_eq(PQntuples(res), 1);
    cr_expect_str_eq(PQgetvalue(res, 0, 0), "-99999999999999999999.999999999999999999");
    cr_expect_str_eq(PQgetvalue(res, 0, 2), "5874897-12-31");
    PQclear(res);
    PQfinish(conn);
    sl_batch_free(back);
    sl_batch_free(b);
    sl_buf_free(&in);
    sl_buf_free(&out);
    sl_buf_free(&sql);
    sl_schema_free(s);
}
