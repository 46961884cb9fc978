/*
 * pq_gen.c - writes Parquet files with sluice's writer and, beside each,
 * what a reader must find in it, for tests/suites/30-parquet-duckdb.sh.
 *
 *   build/tools/pq_gen DIR
 *
 * For every case NAME it writes
 *   NAME.parquet     the file;
 *   NAME.csv         the expected values as CSV (header, NULL = empty, text
 *                    quoted only when needed, as tools/duck.js prints);
 *   NAME.select      the SQL select list that makes DuckDB print the values in
 *                    the same text forms (sl_format_* forms: decimals as text,
 *                    timestamps with microseconds and +00 for UTC; floats
 *                    as %.17g / %.9g, bytes as \x + lowercase hex);
 *   NAME.stats.sql   a query over parquet_metadata('@FILE@') listing, per row
 *                    group and column, null count, min, max, codec, encodings;
 *   NAME.stats.csv   what that query must print: statistics computed here,
 *                    independently of the writer, from the generated values;
 *                    encodings are "*" where the writer's choice is not fixed.
 * Cases: every type x REQUIRED/OPTIONAL x codec x dictionary on/off (three row
 * groups each), and the edge cases: empty file, one row, all-null columns,
 * strings of 0 bytes and several MB, extremes (integer limits, decimal(38)
 * +-(10^38-1), NaN (a chunk holding one has no min/max), +-0.0, infinities, timestamps and dates at years 1 and
 * 9999), dictionary fallback at its size limit, distinct values (dictionary
 * dropped), all-NaN floats, page CRCs.
 */
#include "core/sl_alloc.h"
#include "core/sl_out.h"
#include "core/sl_types.h"
#include "parquet/sl_compress.h"
#include "parquet/sl_pq_format.h"
#include "parquet/sl_pq_writer.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_MIXED, K_EXTREME, K_UNIQUE, K_NULL, K_BIGSTR, K_FALLBACK, K_NAN, K_ZEROS };

typedef struct val {
    bool null;
    int64_t i;
    sl_i128 big;
    double d;
    uint8_t u[16];
    const uint8_t *p;
    size_t len;
} val;

typedef struct colspec {
    char name[48];
    sl_type type;
    bool nullable;
    int kind;
} colspec;

typedef struct stat {
    int64_t nulls;
    bool has;
    bool nan;                 /* a NaN: the chunk has no min/max at all */
    val mn, mx;
    sl_buf bmn, bmx;          /* byte arrays */
    int64_t nonnull;
    int distinct_small;       /* distinct count while <= 16; 17 = more */
    val seen[16];
    sl_buf seen_bytes[16];
} stat;

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static sl_buf scratch[64];    /* byte values, one per column */

static const sl_type T_BOOL = { SL_T_BOOL, 0, 0, false }, T_I16 = { SL_T_INT16, 0, 0, false },
                     T_I32 = { SL_T_INT32, 0, 0, false }, T_I64 = { SL_T_INT64, 0, 0, false },
                     T_F32 = { SL_T_FLOAT32, 0, 0, false }, T_F64 = { SL_T_FLOAT64, 0, 0, false },
                     T_D9 = { SL_T_DECIMAL, 9, 2, false }, T_D18 = { SL_T_DECIMAL, 18, 4, false },
                     T_D20 = { SL_T_DECIMAL, 20, 0, false }, T_D38 = { SL_T_DECIMAL, 38, 10, false },
                     T_STR = { SL_T_STRING, 0, 0, false }, T_BYTES = { SL_T_BYTES, 0, 0, false },
                     T_DATE = { SL_T_DATE, 0, 0, false }, T_TIME = { SL_T_TIME, 0, 0, false },
                     T_TS = { SL_T_TIMESTAMP, 0, 0, false }, T_TSZ = { SL_T_TIMESTAMP, 0, 0, true },
                     T_UUID = { SL_T_UUID, 0, 0, false }, T_JSON = { SL_T_JSON, 0, 0, false };

static sl_i128 pow10_128(int p)
{
    sl_i128 r = 1;
    while (p--) r *= 10;
    return r;
}

static bool is_bytes(sl_type t) { return sl_type_is_varlen(t); }
static bool is_float(sl_type t) { return t.id == SL_T_FLOAT32 || t.id == SL_T_FLOAT64; }
static bool is_big(sl_type t) { return t.id == SL_T_DECIMAL && t.precision > 18; }

/* Integer-like value range of a type, for random and extreme values. */
static void int_range(sl_type t, int64_t *lo, int64_t *hi)
{
    switch (t.id) {
    case SL_T_BOOL: *lo = 0; *hi = 1; break;
    case SL_T_INT16: *lo = INT16_MIN; *hi = INT16_MAX; break;
    case SL_T_INT32: *lo = INT32_MIN; *hi = INT32_MAX; break;
    case SL_T_DATE: *lo = -719162; *hi = 2932896; break;              /* 0001-01-01 .. 9999-12-31 */
    case SL_T_TIME: *lo = 0; *hi = 86400000000LL - 1; break;
    case SL_T_TIMESTAMP: *lo = -62135596800000000LL; *hi = 253402300799999999LL; break;
    case SL_T_DECIMAL: *hi = (int64_t)pow10_128(t.precision) - 1; *lo = -*hi; break;
    default: *lo = INT64_MIN; *hi = INT64_MAX; break;
    }
}

static void text_value(const colspec *c, int64_t row, val *v, int ci)
{
    sl_buf *b = &scratch[ci];
    sl_buf_clear(b);
    char tmp[128];
    int n;
    switch (c->kind) {
    case K_MIXED:
    default:
        if (row % 4) n = snprintf(tmp, sizeof tmp, "%sv%d%s", c->type.id == SL_T_JSON ? "{\"k\": \"" : "",
                                   (int)(rnd() % 10), c->type.id == SL_T_JSON ? "\"}" : "");
        else n = snprintf(tmp, sizeof tmp, "%swide %016" PRIx64 "%s", c->type.id == SL_T_JSON ? "{\"k\": \"" : "",
                          rnd(), c->type.id == SL_T_JSON ? "\"}" : "");
        sl_buf_append(b, tmp, (size_t)n);
        if (c->type.id == SL_T_STRING && row % 8 == 3) {
            static const char extra[] = ", \"quoted\"\n\xc3\xa9\xe2\x82\xac";
            sl_buf_append(b, extra, sizeof extra - 1);
        }
        if (c->type.id == SL_T_BYTES && row % 4 == 1) {
            uint8_t raw[5] = { 0, 0xff, 0x80, (uint8_t)rnd(), 0x7f };
            sl_buf_append(b, raw, 5);
        }
        break;
    case K_UNIQUE:
        n = snprintf(tmp, sizeof tmp, "%su%012" PRId64 "%s", c->type.id == SL_T_JSON ? "[\"" : "", row,
                     c->type.id == SL_T_JSON ? "\"]" : "");
        sl_buf_append(b, tmp, (size_t)n);
        break;
    case K_EXTREME: {
        static const char *const ex[] = { "", "a", "\xf4\x8f\xbf\xbf", "~~~", " ", "zzzz" };
        const char *s = ex[row % 6];
        if (c->type.id == SL_T_JSON) s = row % 2 ? "{}" : "[1,2,3]";
        sl_buf_append(b, s, strlen(s));
        break;
    }
    case K_BIGSTR:
        if (row % 3 == 1) {
            size_t len = (size_t)(3 << 20) + (size_t)row;
            sl_buf_reserve(b, len);
            for (size_t i = 0; i < len; i++) b->data[i] = (uint8_t)('a' + (i * 7 + (size_t)row) % 26);
            b->len = len;
        } else if (row % 3 == 2) {
            sl_buf_append(b, "short", 5);
        }
        break;
    case K_FALLBACK:
        n = snprintf(tmp, sizeof tmp, "distinct-%08" PRId64 "-", row);
        sl_buf_append(b, tmp, (size_t)n);
        while (b->len < 100) sl_buf_push(b, (uint8_t)('A' + b->len % 26));
        break;
    }
    v->p = b->data ? b->data : (const uint8_t *)"";
    v->len = b->len;
}

/* The value of column c at row: deterministic from the row and the rng. */
static void gen(const colspec *c, int64_t row, val *v, int ci)
{
    memset(v, 0, sizeof *v);
    if (c->kind == K_NULL) { v->null = true; return; }
    if (c->nullable && (c->kind == K_MIXED ? rnd() % 5 == 0 : row % 7 == 5)) { v->null = true; return; }
    sl_type t = c->type;
    if (is_bytes(t)) { text_value(c, row, v, ci); return; }
    if (t.id == SL_T_UUID) {
        uint64_t a = c->kind == K_UNIQUE ? (uint64_t)row : (row % 4 ? rnd() % 10 : rnd());
        uint64_t bb = c->kind == K_UNIQUE ? 0 : rnd();
        if (c->kind == K_EXTREME) { a = row % 3 == 0 ? 0 : row % 3 == 1 ? UINT64_MAX : 0x8000000000000000ULL; bb = a; }
        for (int i = 0; i < 8; i++) { v->u[i] = (uint8_t)(a >> (56 - 8 * i)); v->u[8 + i] = (uint8_t)(bb >> (56 - 8 * i)); }
        return;
    }
    if (is_float(t)) {
        bool f32 = t.id == SL_T_FLOAT32;
        if (c->kind == K_NAN) { v->d = NAN; return; }
        if (c->kind == K_ZEROS) {
            /* float32: 0.0, -0.0, 2.5 (min must be -0.0); float64: -0.0, 0.0, -2.5 (max +0.0) */
            static const double z32[] = { 0.0, -0.0, 2.5, NAN }, z64[] = { -0.0, 0.0, -2.5, NAN };
            v->d = f32 ? z32[row % 4] : z64[row % 4];
            return;
        }
        if (c->kind == K_EXTREME) {
            static const double ex[] = { 0.0, -0.0, 1.5, -2.25, INFINITY, -INFINITY, NAN, 1e300, -1e-300, 3.4e38 };
            v->d = ex[row % 10];
            if (f32 && (row % 10 == 7 || row % 10 == 8)) v->d = row % 10 == 7 ? 1e30 : -1e-30;
        } else if (c->kind == K_UNIQUE) {
            v->d = (double)row * 0.25 - 100;
        } else {
            v->d = row % 4 ? (double)(rnd() % 10) / 4 : ((double)(int64_t)rnd() / 1e9);
        }
        if (f32) v->d = (float)v->d;
        return;
    }
    if (is_big(t)) {
        sl_i128 lim = pow10_128(t.precision) - 1;
        if (c->kind == K_EXTREME) {
            sl_i128 ex[] = { lim, -lim, 0, 1, -1, lim - 1 };
            v->big = ex[row % 6];
        } else if (c->kind == K_UNIQUE) {
            v->big = (sl_i128)row * 1000003 - 77;
        } else {
            sl_i128 x = (sl_i128)(((unsigned __int128)rnd() << 40) ^ rnd()) * (rnd() % 2 ? 1 : -1);
            v->big = row % 4 ? (sl_i128)(rnd() % 10) - 5 : x % lim;
        }
        return;
    }
    int64_t lo, hi;
    int_range(t, &lo, &hi);
    if (c->kind == K_EXTREME) {
        int64_t ex[] = { lo, hi, 0, -1, 1, lo + 1 };
        v->i = ex[row % 6];
        if (v->i < lo) v->i = lo;
        if (t.id == SL_T_BOOL) v->i = row % 2;
    } else if (c->kind == K_UNIQUE) {
        v->i = t.id == SL_T_INT16 ? (int64_t)(int16_t)row : row * 3 - 1000;
        if (t.id == SL_T_TIME) v->i = row * 1000001 % 86400000000LL;
        if (t.id == SL_T_BOOL) v->i = row % 2;
    } else {
        uint64_t span = (uint64_t)hi - (uint64_t)lo;
        if (row % 4) v->i = lo / 2 + (int64_t)(rnd() % 10);
        else v->i = (int64_t)((uint64_t)lo + (span == UINT64_MAX ? rnd() : rnd() % (span + 1)));
        if (t.id == SL_T_TIME && row % 4) v->i = (int64_t)(rnd() % 10) * 1000001;
        if (t.id == SL_T_BOOL) v->i = (int64_t)(rnd() % 2);
        if (v->i < lo) v->i = lo;
        if (v->i > hi) v->i = hi;
    }
}

static void store(const colspec *c, const val *v, sl_vector *vec, size_t r)
{
    if (v->null) { sl_vec_set_null(vec, r); return; }
    sl_type t = c->type;
    if (is_bytes(t)) { sl_vec_set_bytes(vec, r, v->p, v->len); return; }
    void *slot = sl_vec_slot(vec, r);
    switch (t.id) {
    case SL_T_BOOL: *(uint8_t *)slot = (uint8_t)v->i; break;
    case SL_T_INT16: *(int16_t *)slot = (int16_t)v->i; break;
    case SL_T_INT32: case SL_T_DATE: *(int32_t *)slot = (int32_t)v->i; break;
    case SL_T_FLOAT32: *(float *)slot = (float)v->d; break;
    case SL_T_FLOAT64: *(double *)slot = v->d; break;
    case SL_T_UUID: memcpy(slot, v->u, 16); break;
    case SL_T_DECIMAL:
        if (is_big(t)) memcpy(slot, &v->big, 16);
        else *(int64_t *)slot = v->i;
        break;
    default: *(int64_t *)slot = v->i; break;
    }
}

/* CSV field as tools/duck.js prints it. */
static void csv_field(FILE *f, const char *s, size_t n)
{
    bool quote = n == 0;
    for (size_t i = 0; i < n && !quote; i++)
        if (s[i] == '"' || s[i] == ',' || s[i] == '\n' || s[i] == '\r') quote = true;
    if (!quote) { fwrite(s, 1, n, f); return; }
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') fputc('"', f);
        fputc(s[i], f);
    }
    fputc('"', f);
}

static sl_buf textbuf;

/* The text form of a value (the same forms the .select SQL makes DuckDB print). */
static void text_of(const colspec *c, const val *v, sl_buf *out)
{
    sl_buf_clear(out);
    char tmp[128];
    size_t n = 0;
    sl_type t = c->type;
    if (t.id == SL_T_BYTES) {
        static const char hex[] = "0123456789abcdef";
        sl_buf_append(out, "\\x", 2);
        for (size_t i = 0; i < v->len; i++) { sl_buf_push(out, (uint8_t)hex[v->p[i] >> 4]); sl_buf_push(out, (uint8_t)hex[v->p[i] & 15]); }
        return;
    }
    if (is_bytes(t)) { sl_buf_append(out, v->p, v->len); return; }
    switch (t.id) {
    case SL_T_BOOL: n = (size_t)sprintf(tmp, "%s", v->i ? "true" : "false"); break;
    case SL_T_FLOAT32:
    case SL_T_FLOAT64:
        if (isnan(v->d)) n = (size_t)sprintf(tmp, "nan");
        else n = (size_t)sprintf(tmp, t.id == SL_T_FLOAT32 ? "%.9g" : "%.17g", v->d);
        break;
    case SL_T_DECIMAL: n = sl_format_decimal(is_big(t) ? v->big : (sl_i128)v->i, t.scale, tmp); break;
    case SL_T_DATE: n = sl_format_date((int32_t)v->i, tmp); break;
    case SL_T_TIME: n = sl_format_time(v->i, tmp); break;
    case SL_T_TIMESTAMP: n = sl_format_timestamp(v->i, t.utc, tmp); break;
    case SL_T_UUID: n = sl_format_uuid(v->u, tmp); break;
    default: n = (size_t)sprintf(tmp, "%" PRId64, v->i); break;
    }
    sl_buf_append(out, tmp, n);
}

/* SQL turning column `e` (a value or a stats text) into that text form. */
static void sql_text(FILE *f, const colspec *c, const char *e, bool from_stats)
{
    switch (c->type.id) {
    case SL_T_FLOAT32: fprintf(f, "printf('%%.9g', (%s)::float::double)", e); break;
    case SL_T_FLOAT64: fprintf(f, "printf('%%.17g', (%s)::double)", e); break;
    case SL_T_BYTES: fprintf(f, "'\\x' || lower(hex((%s)::blob))", e); break;
    default:
        if (from_stats) fprintf(f, "(%s)", e);
        else fprintf(f, "(%s)::varchar", e);
        break;
    }
}

static int cmp_val(const colspec *c, const val *a, const val *b)
{
    sl_type t = c->type;
    if (is_bytes(t)) {
        size_t n = a->len < b->len ? a->len : b->len;
        int r = n ? memcmp(a->p, b->p, n) : 0;
        return r ? r : (a->len > b->len) - (a->len < b->len);
    }
    if (t.id == SL_T_UUID) return memcmp(a->u, b->u, 16);
    if (is_float(t)) return (a->d > b->d) - (a->d < b->d);
    if (is_big(t)) return (a->big > b->big) - (a->big < b->big);
    return (a->i > b->i) - (a->i < b->i);
}

static void stat_add(stat *s, const colspec *c, const val *v)
{
    if (v->null) { s->nulls++; return; }
    s->nonnull++;
    if (s->distinct_small <= 16) {
        bool found = false;
        for (int i = 0; i < s->distinct_small && !found; i++) {
            val w = s->seen[i];
            if (is_bytes(c->type)) { w.p = s->seen_bytes[i].data ? s->seen_bytes[i].data : (const uint8_t *)""; w.len = s->seen_bytes[i].len; }
            if (is_float(c->type)) found = !memcmp(&w.d, &v->d, 8);
            else found = cmp_val(c, &w, v) == 0;
        }
        if (!found) {
            if (s->distinct_small < 16) {
                s->seen[s->distinct_small] = *v;
                if (is_bytes(c->type)) { sl_buf_clear(&s->seen_bytes[s->distinct_small]); sl_buf_append(&s->seen_bytes[s->distinct_small], v->p, v->len); }
            }
            s->distinct_small++;
        }
    }
    if (is_float(c->type) && isnan(v->d)) { s->nan = true; return; }
    if (!s->has) {
        s->mn = s->mx = *v;
        if (is_bytes(c->type)) {
            sl_buf_clear(&s->bmn); sl_buf_append(&s->bmn, v->p, v->len);
            sl_buf_clear(&s->bmx); sl_buf_append(&s->bmx, v->p, v->len);
        }
        s->has = true;
        return;
    }
    val mn = s->mn, mx = s->mx;
    if (is_bytes(c->type)) { mn.p = s->bmn.data; mn.len = s->bmn.len; mx.p = s->bmx.data; mx.len = s->bmx.len; }
    if (cmp_val(c, v, &mn) < 0) { s->mn = *v; if (is_bytes(c->type)) { sl_buf_clear(&s->bmn); sl_buf_append(&s->bmn, v->p, v->len); } }
    if (cmp_val(c, v, &mx) > 0) { s->mx = *v; if (is_bytes(c->type)) { sl_buf_clear(&s->bmx); sl_buf_append(&s->bmx, v->p, v->len); } }
}

typedef struct gcase {
    char name[96];
    int ncols;
    colspec cols[40];
    int64_t nrows;
    sl_pq_writer_opts o;
} gcase;

static void stat_write(FILE *f, int rg, const colspec *c, stat *s, const gcase *k)
{
    fprintf(f, "%d,", rg);
    csv_field(f, c->name, strlen(c->name));
    fprintf(f, ",%" PRId64 ",", s->nulls);
    if (s->has && !s->nan) {
        val mn = s->mn, mx = s->mx;
        if (is_bytes(c->type)) {
            mn.p = s->bmn.data; mn.len = s->bmn.len; mx.p = s->bmx.data; mx.len = s->bmx.len;
            size_t lim = (size_t)k->o.stats_max_bytes;
            /* The writer truncates long binary statistics (ASCII data here). */
            if (lim && mn.len > lim) mn.len = lim;
            if (lim && mx.len > lim) {
                size_t n = lim;
                while (n > 0 && mx.p[n - 1] >= 0x7f) n--;
                if (n > 0) {
                    sl_buf_clear(&s->bmx);
                    sl_buf_append(&s->bmx, mx.p, n);
                    s->bmx.data[n - 1]++;
                    mx.p = s->bmx.data;
                    mx.len = n;
                }
            }
        }
        if (is_float(c->type)) {
            if (mn.d == 0) mn.d = -0.0;
            if (mx.d == 0) mx.d = 0.0;
        }
        /* DuckDB's parquet_metadata() does not show an infinite float bound
         * (the writer does write it; test_pq_writer checks the bytes). */
        if (!is_float(c->type) || !isinf(mn.d)) {
            text_of(c, &mn, &textbuf);
            csv_field(f, (const char *)textbuf.data, textbuf.len);
        }
        fputc(',', f);
        if (!is_float(c->type) || !isinf(mx.d)) {
            text_of(c, &mx, &textbuf);
            csv_field(f, (const char *)textbuf.data, textbuf.len);
        }
    } else {
        fputc(',', f);
    }
    fprintf(f, ",%s,", sl_compress_codec_name(k->o.codec));
    /* Encodings: fixed when no dictionary can be in play, or when the
     * values are so few that the writer must keep it. */
    const char *enc = "*";
    bool dict_possible = k->o.dictionary && c->type.id != SL_T_BOOL && s->nonnull > 0;
    /* INT64 pages holding values and no dictionary are DELTA_BINARY_PACKED. */
    bool int64_phys = c->type.id == SL_T_INT64 || c->type.id == SL_T_TIME || c->type.id == SL_T_TIMESTAMP ||
                      (c->type.id == SL_T_DECIMAL && c->type.precision > 9 && c->type.precision <= 18);
    if (!dict_possible && int64_phys && s->nonnull > 0)
        enc = c->nullable ? "\"RLE, DELTA_BINARY_PACKED\"" : "DELTA_BINARY_PACKED";
    else if (!dict_possible) enc = c->nullable ? "\"PLAIN, RLE\"" : "PLAIN";
    else if (s->distinct_small <= 16) enc = "\"PLAIN, RLE, RLE_DICTIONARY\"";
    fprintf(f, "%s\n", enc);
    s->nulls = 0; s->has = false; s->nan = false; s->nonnull = 0; s->distinct_small = 0;
}

static int write_case(const char *dir, gcase *k)
{
    char path[512];
    sl_err err = SL_ERR_INIT;
    sl_schema *schema = sl_schema_new(k->ncols);
    for (int i = 0; i < k->ncols; i++) sl_schema_set(schema, i, k->cols[i].name, k->cols[i].type, k->cols[i].nullable);

    snprintf(path, sizeof path, "%s/%s.select", dir, k->name);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < k->ncols; i++) {
        if (i) fputs(", ", f);
        char e[64];
        snprintf(e, sizeof e, "\"%s\"", k->cols[i].name);
        sql_text(f, &k->cols[i], e, false);
        fprintf(f, " AS \"%s\"", k->cols[i].name);
    }
    fputc('\n', f);
    fclose(f);

    snprintf(path, sizeof path, "%s/%s.stats.sql", dir, k->name);
    f = fopen(path, "w");
    fputs("SELECT row_group_id AS rg, path_in_schema AS col, stats_null_count AS nulls, ", f);
    for (int which = 0; which < 2; which++) {
        const char *src = which ? "stats_max_value" : "stats_min_value";
        fputs("CASE path_in_schema ", f);
        for (int i = 0; i < k->ncols; i++) {
            fprintf(f, "WHEN '%s' THEN ", k->cols[i].name);
            sql_text(f, &k->cols[i], src, true);
            fputc(' ', f);
        }
        fprintf(f, "END AS %s, ", which ? "max" : "min");
    }
    fputs("compression AS codec, encodings FROM parquet_metadata('@FILE@') ORDER BY row_group_id, column_id\n", f);
    fclose(f);

    snprintf(path, sizeof path, "%s/%s.parquet", dir, k->name);
    sl_out *out = sl_out_open_file(path, &err);
    if (!out) { fprintf(stderr, "pq_gen: %s\n", err.msg); return -1; }
    sl_pq_writer *w = sl_pq_writer_open(out, schema, &k->o, &err);
    if (!w) { fprintf(stderr, "pq_gen: %s: %s\n", k->name, err.msg); return -1; }

    snprintf(path, sizeof path, "%s/%s.csv", dir, k->name);
    FILE *csv = fopen(path, "w");
    snprintf(path, sizeof path, "%s/%s.stats.csv", dir, k->name);
    FILE *st = fopen(path, "w");
    fputs("rg,col,nulls,min,max,codec,encodings\n", st);
    for (int i = 0; i < k->ncols; i++) {
        if (i) fputc(',', csv);
        csv_field(csv, k->cols[i].name, strlen(k->cols[i].name));
    }
    fputc('\n', csv);

    stat *stats = sl_calloc((size_t)k->ncols, sizeof *stats);
    size_t cap = 1000;
    sl_batch *b = sl_batch_new(schema, cap);
    int64_t rg_rows = k->o.row_group_rows, in_rg = 0;
    int rg = 0;
    rng_state = 0x9e3779b97f4a7c15ULL ^ (uint64_t)strlen(k->name) * 977;
    for (int64_t row = 0; row < k->nrows;) {
        sl_batch_reset(b);
        size_t n = 0;
        for (; n < cap && row < k->nrows; n++, row++) {
            for (int ci = 0; ci < k->ncols; ci++) {
                val v;
                gen(&k->cols[ci], row, &v, ci);
                store(&k->cols[ci], &v, &b->cols[ci], n);
                stat_add(&stats[ci], &k->cols[ci], &v);
                if (ci) fputc(',', csv);
                if (!v.null) {
                    text_of(&k->cols[ci], &v, &textbuf);
                    csv_field(csv, (const char *)textbuf.data, textbuf.len);
                }
            }
            fputc('\n', csv);
            if (++in_rg == rg_rows) {
                for (int ci = 0; ci < k->ncols; ci++) stat_write(st, rg, &k->cols[ci], &stats[ci], k);
                rg++;
                in_rg = 0;
            }
        }
        b->nrows = n;
        if (sl_pq_writer_write(w, b, &err) < 0) { fprintf(stderr, "pq_gen: %s: %s\n", k->name, err.msg); return -1; }
    }
    if (in_rg)
        for (int ci = 0; ci < k->ncols; ci++) stat_write(st, rg, &k->cols[ci], &stats[ci], k);
    if (sl_pq_writer_close(w, &err) < 0 || sl_out_close(out, true, &err) < 0) {
        fprintf(stderr, "pq_gen: %s: %s\n", k->name, err.msg);
        return -1;
    }
    sl_pq_writer_free(w);
    fclose(csv);
    fclose(st);
    for (int i = 0; i < k->ncols; i++) {
        sl_buf_free(&stats[i].bmn);
        sl_buf_free(&stats[i].bmx);
        for (int j = 0; j < 16; j++) sl_buf_free(&stats[i].seen_bytes[j]);
    }
    sl_free(stats);
    sl_batch_free(b);
    sl_schema_free(schema);
    return 0;
}

static const struct { const char *name; sl_type t; } all_types[] = {
    { "c_bool", { SL_T_BOOL, 0, 0, false } },      { "c_int16", { SL_T_INT16, 0, 0, false } },
    { "c_int32", { SL_T_INT32, 0, 0, false } },    { "c_int64", { SL_T_INT64, 0, 0, false } },
    { "c_float32", { SL_T_FLOAT32, 0, 0, false } }, { "c_float64", { SL_T_FLOAT64, 0, 0, false } },
    { "c_dec9", { SL_T_DECIMAL, 9, 2, false } },   { "c_dec18", { SL_T_DECIMAL, 18, 4, false } },
    { "c_dec20", { SL_T_DECIMAL, 20, 0, false } }, { "c_dec38", { SL_T_DECIMAL, 38, 10, false } },
    { "c_string", { SL_T_STRING, 0, 0, false } },  { "c_bytes", { SL_T_BYTES, 0, 0, false } },
    { "c_date", { SL_T_DATE, 0, 0, false } },      { "c_time", { SL_T_TIME, 0, 0, false } },
    { "c_ts", { SL_T_TIMESTAMP, 0, 0, false } },   { "c_tstz", { SL_T_TIMESTAMP, 0, 0, true } },
    { "c_uuid", { SL_T_UUID, 0, 0, false } },      { "c_json", { SL_T_JSON, 0, 0, false } },
};
#define NTYPES (int)(sizeof all_types / sizeof all_types[0])

static void all_columns(gcase *k, int kind, bool nullable)
{
    k->ncols = NTYPES;
    for (int i = 0; i < NTYPES; i++) {
        snprintf(k->cols[i].name, sizeof k->cols[i].name, "%s", all_types[i].name);
        k->cols[i].type = all_types[i].t;
        k->cols[i].nullable = nullable;
        k->cols[i].kind = kind;
    }
}

static void base_opts(gcase *k)
{
    sl_pq_writer_opts_default(&k->o);
    k->o.created_by = "sluice pq_gen";
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: pq_gen DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    (void)T_BOOL; (void)T_I16; (void)T_I32; (void)T_I64; (void)T_F32; (void)T_F64; (void)T_D9; (void)T_D18;
    (void)T_D20; (void)T_D38; (void)T_STR; (void)T_BYTES; (void)T_DATE; (void)T_TIME; (void)T_TS;
    (void)T_TSZ; (void)T_UUID; (void)T_JSON;
    static gcase k;
    int fails = 0, files = 0;
    static const int codecs[] = { SL_PQ_UNCOMPRESSED, SL_PQ_SNAPPY, SL_PQ_GZIP, SL_PQ_ZSTD, SL_PQ_LZ4_RAW };
    for (int nul = 0; nul < 2; nul++)
        for (int ci = 0; ci < 5; ci++)
            for (int dict = 0; dict < 2; dict++) {
                memset(&k, 0, sizeof k);
                base_opts(&k);
                all_columns(&k, K_MIXED, nul);
                k.o.codec = codecs[ci];
                k.o.dictionary = dict;
                k.o.row_group_rows = 2000;
                k.o.page_rows = 700;
                k.nrows = 5000;
                snprintf(k.name, sizeof k.name, "matrix_%s_%s_%s", nul ? "optional" : "required",
                         sl_compress_codec_name(codecs[ci]), dict ? "dict" : "plain");
                fails += write_case(dir, &k) < 0;
                files++;
            }
    struct { const char *name; int kind; bool nullable; int64_t rows; } edge[] = {
        { "empty_required", K_MIXED, false, 0 },   { "empty_optional", K_MIXED, true, 0 },
        { "one_row_required", K_MIXED, false, 1 }, { "one_row_optional", K_MIXED, true, 1 },
        { "all_null", K_NULL, true, 3000 },        { "extremes_required", K_EXTREME, false, 60 },
        { "extremes_optional", K_EXTREME, true, 70 }, { "unique", K_UNIQUE, true, 30000 },
    };
    for (size_t e = 0; e < sizeof edge / sizeof edge[0]; e++) {
        memset(&k, 0, sizeof k);
        base_opts(&k);
        all_columns(&k, edge[e].kind, edge[e].nullable);
        k.nrows = edge[e].rows;
        snprintf(k.name, sizeof k.name, "%s", edge[e].name);
        fails += write_case(dir, &k) < 0;
        files++;
    }
    /* Strings of 0 bytes and of several MB, in one column. */
    memset(&k, 0, sizeof k);
    base_opts(&k);
    k.ncols = 2;
    snprintf(k.cols[0].name, 48, "big"); k.cols[0].type = T_STR; k.cols[0].nullable = true; k.cols[0].kind = K_BIGSTR;
    snprintf(k.cols[1].name, 48, "big_bytes"); k.cols[1].type = T_BYTES; k.cols[1].nullable = false; k.cols[1].kind = K_BIGSTR;
    k.nrows = 7;
    snprintf(k.name, sizeof k.name, "big_strings");
    fails += write_case(dir, &k) < 0;
    files++;
    /* Dictionary fallback at its size limit: mixed dictionary and plain pages. */
    for (int nul = 0; nul < 2; nul++) {
        memset(&k, 0, sizeof k);
        base_opts(&k);
        k.o.dict_max_bytes = 64 * 1024;
        k.o.page_rows = 300;
        k.o.codec = SL_PQ_SNAPPY;
        k.ncols = 2;
        snprintf(k.cols[0].name, 48, "s"); k.cols[0].type = T_STR; k.cols[0].nullable = nul; k.cols[0].kind = K_FALLBACK;
        snprintf(k.cols[1].name, 48, "n"); k.cols[1].type = T_I64; k.cols[1].nullable = nul; k.cols[1].kind = K_MIXED;
        k.nrows = 4000;
        snprintf(k.name, sizeof k.name, "dict_fallback_%s", nul ? "optional" : "required");
        fails += write_case(dir, &k) < 0;
        files++;
    }
    /* All-NaN floats (no min/max), and page CRCs with gzip. */
    memset(&k, 0, sizeof k);
    base_opts(&k);
    k.ncols = 2;
    snprintf(k.cols[0].name, 48, "f"); k.cols[0].type = T_F32; k.cols[0].nullable = true; k.cols[0].kind = K_NAN;
    snprintf(k.cols[1].name, 48, "d"); k.cols[1].type = T_F64; k.cols[1].nullable = false; k.cols[1].kind = K_NAN;
    k.nrows = 100;
    snprintf(k.name, sizeof k.name, "all_nan");
    fails += write_case(dir, &k) < 0;
    files++;
    memset(&k, 0, sizeof k);
    base_opts(&k);
    k.ncols = 2;
    snprintf(k.cols[0].name, 48, "f"); k.cols[0].type = T_F32; k.cols[0].nullable = false; k.cols[0].kind = K_ZEROS;
    snprintf(k.cols[1].name, 48, "d"); k.cols[1].type = T_F64; k.cols[1].nullable = true; k.cols[1].kind = K_ZEROS;
    k.nrows = 40;
    snprintf(k.name, sizeof k.name, "float_zeros");
    fails += write_case(dir, &k) < 0;
    files++;
    memset(&k, 0, sizeof k);
    base_opts(&k);
    all_columns(&k, K_MIXED, true);
    k.o.page_crc = true;
    k.o.codec = SL_PQ_GZIP;
    k.o.page_rows = 500;
    k.nrows = 2500;
    snprintf(k.name, sizeof k.name, "page_crc");
    fails += write_case(dir, &k) < 0;
    files++;
    for (int i = 0; i < 64; i++) sl_buf_free(&scratch[i]);
    sl_buf_free(&textbuf);
    printf("pq_gen: %d files written to %s, %d failed\n", files, dir, fails);
    return fails ? 1 : 0;
}
