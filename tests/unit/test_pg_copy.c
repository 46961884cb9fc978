/*
 * test_pg_copy.c - the binary COPY decoder on hand-made byte streams: every
 * wire kind, NULLs, numeric digits to exact decimals (and their errors),
 * epochs, ±infinity, a stream fed in pieces cut at every byte, and
 * malformed input (signature, field counts, lengths, truncation).
 */
#include <criterion/criterion.h>

#include "core/sl_alloc.h"
#include "core/sl_buf.h"
#include "core/sl_types.h"
#include "sources/sl_pg_copy.h"

#include <string.h>

static void put16(sl_buf *b, int v) { sl_buf_push(b, (uint8_t)(v >> 8)); sl_buf_push(b, (uint8_t)v); }
static void put32(sl_buf *b, int64_t v)
{
    for (int s = 24; s >= 0; s -= 8) sl_buf_push(b, (uint8_t)((uint64_t)v >> s));
}
static void put64(sl_buf *b, int64_t v)
{
    for (int s = 56; s >= 0; s -= 8) sl_buf_push(b, (uint8_t)((uint64_t)v >> s));
}
static void header(sl_buf *b)
{
    sl_buf_append(b, "PGCOPY\n\377\r\n\0", 11);
    put32(b, 0);
    put32(b, 0);
}
static void field(sl_buf *b, const void *p, int n)
{
    put32(b, n);
    if (n > 0) sl_buf_append(b, p, (size_t)n);
}
/* numeric from (weight, sign, dscale, digits...) */
static void numeric(sl_buf *b, int weight, int sign, int dscale, int nd, const int *digits)
{
    put32(b, 8 + 2 * nd);
    put16(b, nd);
    put16(b, weight);
    put16(b, sign);
    put16(b, dscale);
    for (int i = 0; i < nd; i++) put16(b, digits[i]);
}

static const sl_pg_copy_col cols[] = {
    { "b", SL_PGW_BOOL, { .id = SL_T_BOOL }, 0 },
    { "i2", SL_PGW_INT2, { .id = SL_T_INT16 }, 0 },
    { "i4", SL_PGW_INT4, { .id = SL_T_INT32 }, 0 },
    { "i8", SL_PGW_INT8, { .id = SL_T_INT64 }, 0 },
    { "f8", SL_PGW_FLOAT8, { .id = SL_T_FLOAT64 }, 0 },
    { "n", SL_PGW_NUMERIC, { .id = SL_T_DECIMAL, .precision = 12, .scale = 3 }, 0 },
    { "s", SL_PGW_TEXT, { .id = SL_T_STRING }, 0 },
    { "jb", SL_PGW_JSONB, { .id = SL_T_JSON }, 0 },
    { "d", SL_PGW_DATE, { .id = SL_T_DATE }, 0 },
    { "ts", SL_PGW_TIMESTAMP, { .id = SL_T_TIMESTAMP, .utc = true }, 0 },
    { "u", SL_PGW_UUID, { .id = SL_T_UUID }, 0 },
    { "big", SL_PGW_NUMERIC, { .id = SL_T_DECIMAL, .precision = 38, .scale = 0 }, 0 },
};
#define NCOLS ((int)(sizeof cols / sizeof cols[0]))

static sl_schema *schema(void)
{
    sl_schema *s = sl_schema_new(NCOLS);
    for (int c = 0; c < NCOLS; c++) sl_schema_set(s, c, cols[c].name, cols[c].type, true);
    return s;
}

static void row1(sl_buf *b)
{
    put16(b, NCOLS);
    uint8_t t = 1;
    field(b, &t, 1);
    put32(b, 2); put16(b, -2);
    put32(b, 4); put32(b, 2147483647);
    put32(b, 8); put64(b, INT64_MIN);
    double d = -0.5;
    uint64_t bits;
    memcpy(&bits, &d, 8);
    put32(b, 8); put64(b, (int64_t)bits);
    int dg[] = { 1, 2345, 6780 };            /* 12345.678 */
    numeric(b, 1, 0x4000, 3, 3, dg);        /* negative */
    field(b, "héllo", 6);
    field(b, "\001{\"a\": 1}", 9);
    put32(b, 4); put32(b, -10958);          /* 1969-12-31 */
    put32(b, 8); put64(b, -946684800000000LL + 1500000);   /* 1970-01-01 00:00:01.5 */
    uint8_t u[16];
    for (int i = 0; i < 16; i++) u[i] = (uint8_t)(i * 17);
    field(b, u, 16);
    int nines[10] = { 99, 9999, 9999, 9999, 9999, 9999, 9999, 9999, 9999, 9999 };   /* 38 nines */
    numeric(b, 9, 0, 0, 10, nines);
}

/* A row of NULLs but column `only` (when >= 0): `len` (4 or 8) bytes of v. */
static void row_only(sl_buf *b, int only, int len, int64_t v)
{
    put16(b, NCOLS);
    for (int c = 0; c < NCOLS; c++) {
        if (c != only) put32(b, -1);
        else if (len == 8) { put32(b, 8); put64(b, v); }
        else { put32(b, 4); put32(b, v); }
    }
}

static void row_nulls(sl_buf *b) { row_only(b, -1, 0, 0); }

/* A whole stream: header, row1, a row of NULLs, trailer. */
static void two_rows(sl_buf *b)
{
    header(b);
    row1(b);
    row_nulls(b);
    put16(b, -1);
}

static void check_rows(sl_batch *bt)
{
    char buf[128];
    cr_assert_eq(bt->nrows, 2);
    cr_assert_eq(bt->cols[0].data[0], 1);
    int16_t i2; memcpy(&i2, bt->cols[1].data, 2); cr_assert_eq(i2, -2);
    int32_t i4; memcpy(&i4, bt->cols[2].data, 4); cr_assert_eq(i4, 2147483647);
    int64_t i8; memcpy(&i8, bt->cols[3].data, 8); cr_assert_eq(i8, INT64_MIN);
    double f8; memcpy(&f8, bt->cols[4].data, 8); cr_assert_eq(f8, -0.5);
    sl_format_fixed(&bt->cols[5], 0, buf); cr_assert_str_eq(buf, "-12345.678");
    size_t n;
    const uint8_t *s = sl_vec_bytes(&bt->cols[6], 0, &n);
    cr_assert_eq(n, 6); cr_assert_eq(memcmp(s, "héllo", 6), 0);
    s = sl_vec_bytes(&bt->cols[7], 0, &n);
    cr_assert_eq(n, 8); cr_assert_eq(memcmp(s, "{\"a\": 1}", 8), 0);
    sl_format_fixed(&bt->cols[8], 0, buf); cr_assert_str_eq(buf, "1969-12-31");
    sl_format_fixed(&bt->cols[9], 0, buf); cr_assert_str_eq(buf, "1970-01-01 00:00:01.5+00");
    cr_assert_eq(bt->cols[10].data[15], 255);
    sl_format_fixed(&bt->cols[11], 0, buf); cr_assert_str_eq(buf, "99999999999999999999999999999999999999");
    for (int c = 0; c < NCOLS; c++) cr_assert_eq(bt->cols[c].valid[1], 0, "col %d", c);
    for (int c = 0; c < NCOLS; c++) cr_assert_eq(bt->cols[c].valid[0], 1, "col %d", c);
}

Test(pg_copy, every_kind_whole_buffer)
{
    sl_buf b = {0};
    two_rows(&b);
    sl_schema *sc = schema();
    sl_batch *bt = sl_batch_new(sc, 16);
    sl_pg_copy st;
    sl_pg_copy_init(&st, cols, NCOLS, "t");
    sl_err err = SL_ERR_INIT;
    size_t used;
    cr_assert_eq(sl_pg_copy_decode(&st, b.data, b.len, bt, &used, &err), 2, "%s", err.msg);
    cr_assert_eq(used, b.len);
    cr_assert(st.trailer_seen);
    cr_assert_eq(sl_pg_copy_finish(&st, 0, &err), 0);
    check_rows(bt);
    sl_batch_free(bt);
    sl_schema_free(sc);
    sl_buf_free(&b);
}

/* Feed the stream in two pieces cut at every position, as the reader does
 * with a pending buffer. */
Test(pg_copy, split_at_every_byte)
{
    sl_buf b = {0};
    two_rows(&b);
    sl_schema *sc = schema();
    for (size_t cut = 0; cut <= b.len; cut++) {
        sl_batch *bt = sl_batch_new(sc, 16);
        sl_pg_copy st;
        sl_pg_copy_init(&st, cols, NCOLS, "t");
        sl_err err = SL_ERR_INIT;
        size_t used;
        sl_buf pend = {0};
        sl_buf_append(&pend, b.data, cut);
        cr_assert_geq(sl_pg_copy_decode(&st, pend.data, pend.len, bt, &used, &err), 0, "%s", err.msg);
        if (pend.len > used) memmove(pend.data, pend.data + used, pend.len - used);
        pend.len -= used;
        sl_buf_append(&pend, b.data + cut, b.len - cut);
        cr_assert_geq(sl_pg_copy_decode(&st, pend.data, pend.len, bt, &used, &err), 0, "%s", err.msg);
        cr_assert_eq(used, pend.len, "cut %zu", cut);
        cr_assert_eq(sl_pg_copy_finish(&st, 0, &err), 0, "cut %zu: %s", cut, err.msg);
        check_rows(bt);
        sl_batch_free(bt);
        sl_buf_free(&pend);
    }
    sl_schema_free(sc);
    sl_buf_free(&b);
}

Test(pg_copy, batch_capacity_stops_decoding)
{
    sl_buf b = {0};
    header(&b);
    for (int i = 0; i < 5; i++) row_nulls(&b);
    put16(&b, -1);
    sl_schema *sc = schema();
    sl_batch *bt = sl_batch_new(sc, 2);
    sl_pg_copy st;
    sl_pg_copy_init(&st, cols, NCOLS, "t");
    sl_err err = SL_ERR_INIT;
    size_t off = 0, used;
    long total = 0;
    for (int round = 0; round < 4; round++) {
        sl_batch_reset(bt);
        long n = sl_pg_copy_decode(&st, b.data + off, b.len - off, bt, &used, &err);
        cr_assert_geq(n, 0);
        off += used;
        total += n;
    }
    cr_assert_eq(total, 5);
    cr_assert_eq(off, b.len);
    cr_assert(st.trailer_seen);
    sl_batch_free(bt);
    sl_schema_free(sc);
    sl_buf_free(&b);
}

static int numeric_at(int weight, int sign, int nd, const int *digits, int p, int s, sl_i128 *out, sl_err *err)
{
    sl_buf b = {0};
    numeric(&b, weight, sign, 0, nd, digits);
    int rc = sl_pg_numeric_decode(b.data + 4, b.len - 4, p, s, out, err);
    sl_buf_free(&b);
    return rc;
}

Test(pg_copy, numeric_exact_and_errors)
{
    sl_i128 v;
    sl_err err = SL_ERR_INIT;
    int d1[] = { 1, 5000 };               /* 1.5 */
    cr_assert_eq(numeric_at(0, 0, 2, d1, 10, 2, &v, &err), 0);
    cr_assert(v == 150);
    cr_assert_eq(numeric_at(0, 0, 2, d1, 10, 0, &v, &err), -1);   /* 1.5 at scale 0 */
    cr_assert(strstr(err.msg, "fractional"));
    int d2[] = { 1 };                     /* 1e8 (weight 2) */
    cr_assert_eq(numeric_at(2, 0, 1, d2, 9, 0, &v, &err), 0);
    cr_assert(v == 100000000);
    cr_assert_eq(numeric_at(2, 0, 1, d2, 8, 0, &v, &err), -1);
    cr_assert(strstr(err.msg, "digits"));
    int d3[] = { 1 };                     /* 0.0001 (weight -1) */
    cr_assert_eq(numeric_at(-1, 0x4000, 1, d3, 38, 18, &v, &err), 0);
    cr_assert(v == -100000000000000LL);
    int d4[] = { 1 };                     /* 1e-20: beyond scale 18 */
    cr_assert_eq(numeric_at(-5, 0, 1, d4, 38, 18, &v, &err), -1);
    cr_assert_eq(numeric_at(0, 0, 0, NULL, 5, 2, &v, &err), 0);   /* zero */
    cr_assert(v == 0);
    cr_assert_eq(numeric_at(0, 0xC000, 0, NULL, 5, 2, &v, &err), -1);
    cr_assert(strstr(err.msg, "NaN"));
    cr_assert_eq(err.code, SL_EDATA);
    cr_assert_eq(numeric_at(0, 0xD000, 0, NULL, 5, 2, &v, &err), -1);
    cr_assert(strstr(err.msg, "Infinity"));
    int huge[] = { 1 };                   /* 1e40000: must not loop or overflow */
    cr_assert_eq(numeric_at(10000, 0, 1, huge, 38, 0, &v, &err), -1);
    int bad[] = { 10000 };
    cr_assert_eq(numeric_at(0, 0, 1, bad, 38, 0, &v, &err), -1);
    cr_assert_eq(err.code, SL_EFORMAT);
    /* The largest decimal(38,18) value: 20 integer digits, 18 fractional. */
    int maxd[] = { 9999, 9999, 9999, 9999, 9999, 9999, 9999, 9999, 9999, 9900 };
    cr_assert_eq(numeric_at(4, 0, 10, maxd, 38, 18, &v, &err), 0, "%s", err.msg);
    char buf[64];
    sl_format_decimal(v, 18, buf);
    cr_assert_str_eq(buf, "99999999999999999999.999999999999999999");
    /* Around precision 34, where the overflow check changes: 10^34 (weight 8,
     * digit 100, trailing groups implied) needs 35 digits; 10^34 - 1 fits 34. */
    int e34[] = { 100 };
    cr_assert_eq(numeric_at(8, 0, 1, e34, 34, 0, &v, &err), -1);
    cr_assert(strstr(err.msg, "digits"));
    cr_assert_eq(numeric_at(8, 0, 1, e34, 35, 0, &v, &err), 0, "%s", err.msg);
    cr_assert(v == (sl_i128)10000000000000000LL * (sl_i128)1000000000000000000LL);
    int n34[] = { 99, 9999, 9999, 9999, 9999, 9999, 9999, 9999, 9999 };
    cr_assert_eq(numeric_at(8, 0, 9, n34, 34, 0, &v, &err), 0, "%s", err.msg);
    cr_assert_eq(numeric_at(8, 0, 9, n34, 33, 0, &v, &err), -1);
    int n35[] = { 999, 9999, 9999, 9999, 9999, 9999, 9999, 9999, 9999 };
    cr_assert_eq(numeric_at(8, 0, 9, n35, 34, 0, &v, &err), -1);
    cr_assert_eq(numeric_at(8, 0, 9, n35, 35, 0, &v, &err), 0, "%s", err.msg);
}

static long decode_all(sl_buf *b, sl_err *err, int ncols_used)
{
    sl_schema *sc = schema();
    sl_batch *bt = sl_batch_new(sc, 16);
    sl_pg_copy st;
    sl_pg_copy_init(&st, cols, NCOLS, "table t");
    size_t used;
    long n = sl_pg_copy_decode(&st, b->data, b->len, bt, &used, err);
    if (n >= 0 && sl_pg_copy_finish(&st, b->len - used, err) < 0) n = -1;
    sl_batch_free(bt);
    sl_schema_free(sc);
    (void)ncols_used;
    return n;
}

Test(pg_copy, malformed_input)
{
    sl_err err = SL_ERR_INIT;
    sl_buf b = {0};
    sl_buf_append(&b, "PGCOPX\n\377\r\n\0", 11);
    cr_assert_eq(decode_all(&b, &err, 0), -1);
    cr_assert(strstr(err.msg, "signature"));
    sl_buf_clear(&b);
    header(&b);
    put16(&b, 3);
    cr_assert_eq(decode_all(&b, &err, 0), -1);
    cr_assert(strstr(err.msg, "3 fields"), "%s", err.msg);
    sl_buf_clear(&b);
    header(&b);
    row1(&b);
    b.len -= 3;   /* truncated */
    cr_assert_eq(decode_all(&b, &err, 0), -1);
    cr_assert(strstr(err.msg, "truncated"), "%s", err.msg);
    sl_buf_clear(&b);
    header(&b);
    row1(&b);
    cr_assert_eq(decode_all(&b, &err, 0), -1);   /* no trailer */
    cr_assert(strstr(err.msg, "trailer"), "%s", err.msg);
    sl_buf_clear(&b);
    header(&b);
    put16(&b, NCOLS);
    put32(&b, 2);   /* bool of 2 bytes */
    put16(&b, 1);
    cr_assert_eq(decode_all(&b, &err, 0), -1);
    cr_assert(strstr(err.msg, "column b: row 1"), "%s", err.msg);
    sl_buf_free(&b);
}

Test(pg_copy, infinity_dates_and_timestamps)
{
    sl_err err = SL_ERR_INIT;
    sl_buf b = {0};
    header(&b);
    row_nulls(&b);
    row_only(&b, 9, 8, INT64_MAX);
    put16(&b, -1);
    cr_assert_eq(decode_all(&b, &err, 0), -1);
    cr_assert_eq(err.code, SL_EDATA);
    cr_assert(strstr(err.msg, "table t: column ts: row 2: value infinity"), "%s", err.msg);
    cr_assert(strstr(err.msg, "query:"), "%s", err.msg);
    sl_buf_clear(&b);
    header(&b);
    row_only(&b, 8, 4, INT32_MIN);
    put16(&b, -1);
    cr_assert_eq(decode_all(&b, &err, 0), -1);
    cr_assert(strstr(err.msg, "column d: row 1: value -infinity"), "%s", err.msg);
    sl_buf_free(&b);
}

/* Decodes header + rows + trailer of a small column set; returns the rows
 * (or -1 with err) and leaves them in *out (caller frees). */
static long decode_cols(const sl_pg_copy_col *cs, int n, const sl_buf *rows, sl_batch **out, sl_schema **sc, sl_err *err)
{
    sl_buf b = {0};
    header(&b);
    sl_buf_append(&b, rows->data, rows->len);
    put16(&b, -1);
    *sc = sl_schema_new(n);
    for (int c = 0; c < n; c++) sl_schema_set(*sc, c, cs[c].name, cs[c].type, true);
    *out = sl_batch_new(*sc, 16);
    sl_pg_copy st;
    sl_pg_copy_init(&st, cs, n, "table t");
    size_t used;
    long got = sl_pg_copy_decode(&st, b.data, b.len, *out, &used, err);
    sl_buf_free(&b);
    return got;
}

/* Item 12: text from a database that does not check its encoding (SQL_ASCII)
 * reaches a string or json column only when it is UTF-8; bytes take any. */
Test(pg_copy, item12_text_that_is_not_utf8_is_an_error_naming_column_and_row)
{
    static const sl_pg_copy_col cs[] = {
        { "s", SL_PGW_TEXT, { .id = SL_T_STRING }, 0 },
        { "jb", SL_PGW_JSONB, { .id = SL_T_JSON }, 0 },
        { "by", SL_PGW_TEXT, { .id = SL_T_BYTES }, 0 },
    };
    sl_buf rows = {0};
    put16(&rows, 3); field(&rows, "caf\xc3\xa9", 5); field(&rows, "\001\"\xc3\xa9\"", 5); field(&rows, "\xe9", 1);
    put16(&rows, 3); field(&rows, "caf\xe9", 4); put32(&rows, -1); put32(&rows, -1);
    sl_err err = SL_ERR_INIT;
    sl_batch *bt;
    sl_schema *sc;
    cr_assert_eq(decode_cols(cs, 3, &rows, &bt, &sc, &err), -1);
    cr_assert_eq(err.code, SL_EDATA);
    cr_assert(strstr(err.msg, "table t: column s: row 2: invalid UTF-8 at byte 4 of the value (0xe9), after 'caf'"), "%s", err.msg);
    cr_assert(strstr(err.msg, "SQL_ASCII") && strstr(err.msg, "columns: {s: bytes}"), "%s", err.msg);
    sl_batch_free(bt);
    sl_schema_free(sc);
    sl_buf_clear(&rows);
    put16(&rows, 3); put32(&rows, -1); field(&rows, "\001\"\xed\xa0\x80\"", 6); field(&rows, "\xff", 1);
    cr_assert_eq(decode_cols(cs, 3, &rows, &bt, &sc, &err), -1);
    cr_assert(strstr(err.msg, "column jb: row 1: invalid UTF-8 at byte 2 of the value (0xed 0xa0 0x80 0x22)"), "%s", err.msg);
    sl_batch_free(bt);
    sl_schema_free(sc);
    sl_buf_free(&rows);
}

Test(pg_copy, item12_check_utf8_is_on_by_default)
{
    sl_pg_copy st;
    sl_pg_copy_init(&st, cols, NCOLS, "t");
    cr_assert(st.check_utf8, "only a source that knows the server converted text may turn it off");
}

/* Item 12: "char" is one raw byte; it arrives as PostgreSQL's text form. */
Test(pg_copy, item12_char_maps_to_its_text_form)
{
    static const sl_pg_copy_col cs[] = { { "c", SL_PGW_CHAR, { .id = SL_T_STRING }, 0 } };
    const uint8_t bytes[] = { 'a', 0xe9, 0x00, 0x80, 0xff, '\\' };
    const char *want[] = { "a", "\\351", "", "\\200", "\\377", "\\" };
    sl_buf rows = {0};
    for (size_t i = 0; i < sizeof bytes; i++) {
        put16(&rows, 1);
        field(&rows, &bytes[i], 1);
    }
    put16(&rows, 1);
    put32(&rows, -1);
    sl_err err = SL_ERR_INIT;
    sl_batch *bt;
    sl_schema *sc;
    cr_assert_eq(decode_cols(cs, 1, &rows, &bt, &sc, &err), (long)sizeof bytes + 1, "%s", err.msg);
    for (size_t i = 0; i < sizeof bytes; i++) {
        size_t n;
        const uint8_t *s = sl_vec_bytes(&bt->cols[0], i, &n);
        cr_assert(n == strlen(want[i]) && !memcmp(s, want[i], n), "row %zu: '%.*s'", i, (int)n, (const char *)s);
        cr_assert(bt->cols[0].valid[i]);
    }
    cr_assert_not(bt->cols[0].valid[sizeof bytes]);
    sl_batch_free(bt);
    sl_schema_free(sc);
    sl_buf_clear(&rows);
    put16(&rows, 1);
    field(&rows, "ab", 2);
    cr_assert_eq(decode_cols(cs, 1, &rows, &bt, &sc, &err), -1);
    cr_assert(strstr(err.msg, "column c: row 1: field of 2 bytes"), "%s", err.msg);
    sl_batch_free(bt);
    sl_schema_free(sc);
    sl_buf_free(&rows);
}

/* The decoder's 64-bit path for decimals of precision <= 15 gives what the
 * full decoder gives, value or refusal (same message), for random digit
 * groups, weights, signs and scales: including fractional digits that do
 * not fit, values at the precision's limit, NaN and out-of-range groups. */
Test(pg_copy, numeric_fast_path_equals_full_decoder)
{
    uint64_t seed = 7;
    for (int iter = 0; iter < 20000; iter++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int p = 1 + (int)((seed >> 33) % 16);          /* 1..16: 16 takes the full path */
        int s = (int)((seed >> 40) % (uint64_t)(p + 1));
        int nd = (int)((seed >> 45) % 6);
        int weight = (int)((seed >> 50) % 9) - 4;
        int sign = (seed >> 20) % 17 == 0 ? 0xC000 : (seed >> 21) % 2 ? 0x4000 : 0;
        int digits[6];
        for (int i = 0; i < nd; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            int kind = (int)((seed >> 30) % 8);
            digits[i] = kind == 0 ? 0 : kind == 1 ? 9999 : kind == 2 && (seed >> 50) % 50 == 0 ? 10000
                      : (int)((seed >> 35) % 10000);
        }
        sl_buf one = {0};
        numeric(&one, weight, sign, s, nd, digits);
        sl_i128 want;
        sl_err werr = SL_ERR_INIT;
        int wrc = sl_pg_numeric_decode(one.data + 4, one.len - 4, p, s, &want, &werr);

        sl_buf rows = {0};
        put16(&rows, 1);
        sl_buf_append(&rows, one.data, one.len);
        sl_pg_copy_col c1[] = { { "n", SL_PGW_NUMERIC, { .id = SL_T_DECIMAL, .precision = (uint8_t)p, .scale = (uint8_t)s } } };
        sl_batch *bt;
        sl_schema *sc;
        sl_err err = SL_ERR_INIT;
        long got = decode_cols(c1, 1, &rows, &bt, &sc, &err);
        if (wrc == 0) {
            cr_assert_eq(got, 1, "iter %d p=%d s=%d: %s", iter, p, s, err.msg);
            cr_assert(sl_vec_get_decimal(&bt->cols[0], 0) == want, "iter %d p=%d s=%d nd=%d w=%d", iter, p, s, nd, weight);
        } else {
            cr_assert_eq(got, -1, "iter %d p=%d s=%d: accepted what the full decoder refuses (%s)", iter, p, s, werr.msg);
            cr_assert(strstr(err.msg, werr.msg), "iter %d: %s / %s", iter, err.msg, werr.msg);
        }
        sl_batch_free(bt);
        sl_schema_free(sc);
        sl_buf_free(&rows);
        sl_buf_free(&one);
    }
}
