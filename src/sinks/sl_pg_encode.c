/*
 * sl_pg_encode.c - batches -> binary COPY tuples (see sl_pg_encode.h).
 *
 * Column by column would scatter writes over the output; the wire format is
 * row-major, so the loop is per row with one switch per field. Room for a
 * field's length word and fixed-width value is checked once per field;
 * var-width values and numerics append their bytes.
 */
#include "sl_pg_encode.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define PG_EPOCH_DAYS 10957                 /* 1970-01-01 .. 2000-01-01 */
#define PG_EPOCH_MICROS 946684800000000LL

static const uint8_t sl_pgenc_signature[11] = { 'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0 };

typedef unsigned __int128 sl_u128;

/* Room a field needs before its bytes: length word + the widest fixed value. */
#define SL_PGENC_FIELD_MAX (4 + 16)

static inline uint8_t *wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; return p + 2; }
static inline uint8_t *wr32(uint8_t *p, uint32_t v) { v = __builtin_bswap32(v); memcpy(p, &v, 4); return p + 4; }
static inline uint8_t *wr64(uint8_t *p, uint64_t v) { v = __builtin_bswap64(v); memcpy(p, &v, 8); return p + 8; }

void sl_pg_encode_header(sl_buf *out)
{
    uint8_t h[19];
    memcpy(h, sl_pgenc_signature, 11);
    wr32(h + 11, 0);          /* flags */
    wr32(h + 15, 0);          /* header extension length */
    sl_buf_append(out, h, sizeof h);
}

void sl_pg_encode_trailer(sl_buf *out)
{
    uint8_t t[2];
    wr16(t, 0xffff);
    sl_buf_append(out, t, 2);
}

void sl_pg_encode_numeric(sl_i128 unscaled, int scale, sl_buf *out)
{
    /* Base-10000 groups: integer part most significant first, then the
     * fraction padded to whole groups; zero groups at either end dropped
     * (weight counts groups left of the point, minus one). */
    sl_u128 u = unscaled < 0 ? -(sl_u128)unscaled : (sl_u128)unscaled;
    sl_u128 p10 = 1;
    for (int i = 0; i < scale; i++) p10 *= 10;
    sl_u128 ip = u / p10, fp = u % p10;
    uint16_t ig[12], digits[24];
    int ni = 0, n = 0;
    while (ip) { ig[ni++] = (uint16_t)(ip % 10000); ip /= 10000; }
    for (int i = ni - 1; i >= 0; i--) digits[n++] = ig[i];
    /* The last fraction group holds scale % 4 digits, padded on the right
     * (dividing, not multiplying fp: 38 digits padded would overflow). */
    static const unsigned pow10_4[5] = { 1, 10, 100, 1000, 10000 };
    int nfg = (scale + 3) / 4, rem = scale % 4, g = nfg - 1;
    if (rem) {
        digits[n + g--] = (uint16_t)((unsigned)(fp % pow10_4[rem]) * pow10_4[4 - rem]);
        fp /= pow10_4[rem];
    }
    for (; g >= 0; g--) { digits[n + g] = (uint16_t)(fp % 10000); fp /= 10000; }
    n += nfg;
    int weight = ni - 1, first = 0;
    while (first < n && digits[first] == 0) { first++; weight--; }
    while (n > first && digits[n - 1] == 0) n--;
    int nd = n - first;
    if (nd == 0) weight = 0;
    uint8_t buf[8 + 2 * 24], *p = buf;
    p = wr16(p, (uint16_t)nd);
    p = wr16(p, (uint16_t)(int16_t)weight);
    p = wr16(p, unscaled < 0 && nd ? 0x4000 : 0);
    p = wr16(p, (uint16_t)scale);
    for (int i = first; i < n; i++) p = wr16(p, digits[i]);
    sl_buf_append(out, buf, (size_t)(p - buf));
}

const char *sl_pg_encode_type_sql(sl_type t, char *buf, size_t size)
{
    const char *s = "text";
    switch (t.id) {
    case SL_T_BOOL: s = "boolean"; break;
    case SL_T_INT16: s = "smallint"; break;
    case SL_T_INT32: s = "integer"; break;
    case SL_T_INT64: s = "bigint"; break;
    case SL_T_FLOAT32: s = "real"; break;
    case SL_T_FLOAT64: s = "double precision"; break;
    case SL_T_DECIMAL: snprintf(buf, size, "numeric(%d,%d)", t.precision, t.scale); return buf;
    case SL_T_STRING: s = "text"; break;
    case SL_T_BYTES: s = "bytea"; break;
    case SL_T_JSON: s = "jsonb"; break;
    case SL_T_DATE: s = "date"; break;
    case SL_T_TIME: s = "time"; break;
    case SL_T_TIMESTAMP: s = t.utc ? "timestamptz" : "timestamp"; break;
    case SL_T_UUID: s = "uuid"; break;
    case SL_T_LIST: {
        char eb[64];
        snprintf(buf, size, "%s[]", sl_pg_encode_type_sql(sl_type_elem(t), eb, sizeof eb));
        return buf;
    }
    case SL_T_COUNT: break;
    }
    snprintf(buf, size, "%s", s);
    return buf;
}

static int sl_pgenc_fail(sl_err *err, const sl_batch *b, int col, size_t row, const char *what)
{
    return sl_err_set(err, SL_EDATA, "column %s: row %zu: %s", b->schema->fields[col].name, row + 1, what);
}

static int sl_pgenc_list(const sl_vector *v, size_t row, sl_buf *out, const char **fail);

/* Element type oids of the arrays a LIST column is written as (array_recv
 * checks the element type against the column's). */
static uint32_t sl_pgenc_elem_oid(sl_type_id id, bool utc)
{
    switch (id) {
    case SL_T_BOOL: return 16;
    case SL_T_INT16: return 21;
    case SL_T_INT32: return 23;
    case SL_T_INT64: return 20;
    case SL_T_FLOAT32: return 700;
    case SL_T_FLOAT64: return 701;
    case SL_T_DECIMAL: return 1700;
    case SL_T_STRING: return 25;
    case SL_T_BYTES: return 17;
    case SL_T_JSON: return 3802;
    case SL_T_DATE: return 1082;
    case SL_T_TIME: return 1083;
    case SL_T_TIMESTAMP: return utc ? 1184 : 1114;
    case SL_T_UUID: return 2950;
    default: return 0;
    }
}

/* One present value of v at row: length word and bytes. 0, or -1 with *fail. */
static inline int sl_pgenc_field(const sl_vector *v, size_t row, sl_buf *out, const char **fail)
{
    if (out->cap - out->len < SL_PGENC_FIELD_MAX) sl_buf_reserve(out, SL_PGENC_FIELD_MAX);
    uint8_t *p = out->data + out->len;
    const uint8_t *src = v->data ? v->data + row * v->width : NULL;
    switch (v->type.id) {
    case SL_T_BOOL:
        p = wr32(p, 1);
        *p++ = src[0] != 0;
        break;
    case SL_T_INT16: {
        uint16_t x;
        memcpy(&x, src, 2);
        p = wr16(wr32(p, 2), x);
        break;
    }
    case SL_T_INT32:
    case SL_T_FLOAT32: {
        uint32_t x;
        memcpy(&x, src, 4);
        p = wr32(wr32(p, 4), x);
        break;
    }
    case SL_T_INT64:
    case SL_T_FLOAT64:
    case SL_T_TIME: {
        uint64_t x;
        memcpy(&x, src, 8);
        p = wr64(wr32(p, 8), x);
        break;
    }
    case SL_T_DATE: {
        int32_t d;
        memcpy(&d, src, 4);
        if (d < INT32_MIN + PG_EPOCH_DAYS) {
            *fail = "date before PostgreSQL's range";
            return -1;
        }
        p = wr32(wr32(p, 4), (uint32_t)(d - PG_EPOCH_DAYS));
        break;
    }
    case SL_T_TIMESTAMP: {
        int64_t t, pg;
        memcpy(&t, src, 8);
        if (__builtin_sub_overflow(t, PG_EPOCH_MICROS, &pg) || pg == INT64_MIN || pg == INT64_MAX) {
            *fail = "timestamp outside PostgreSQL's range";
            return -1;
        }
        p = wr64(wr32(p, 8), (uint64_t)pg);
        break;
    }
    case SL_T_UUID:
        p = wr32(p, 16);
        memcpy(p, src, 16);
        p += 16;
        break;
    case SL_T_DECIMAL: {
        sl_i128 val = sl_vec_get_decimal(v, row);
        size_t len_at = out->len;
        out->len += 4;
        sl_pg_encode_numeric(val, v->type.scale, out);
        wr32(out->data + len_at, (uint32_t)(out->len - len_at - 4));
        return 0;
    }
    case SL_T_STRING:
    case SL_T_BYTES:
    case SL_T_JSON: {
        size_t len;
        const uint8_t *s = sl_vec_bytes(v, row, &len);
        if (v->type.id != SL_T_BYTES && len && memchr(s, 0, len)) {
            *fail = "text holds a NUL byte (0x00), which PostgreSQL text cannot store; "
                    "remove it in the source query (e.g. replace(col, chr(0), '')) or load the column as bytes";
            return -1;
        }
        size_t extra = v->type.id == SL_T_JSON;
        if (len + extra > INT32_MAX) {
            *fail = "value longer than 2 GiB";
            return -1;
        }
        wr32(p, (uint32_t)(len + extra));
        out->len += 4;
        if (extra) sl_buf_push(out, 1);
        sl_buf_append(out, s, len);
        return 0;
    }
    case SL_T_LIST:
        return sl_pgenc_list(v, row, out, fail);
    case SL_T_COUNT:
        *fail = "no PostgreSQL type";
        return -1;
    }
    out->len = (size_t)(p - out->data);
    return 0;
}

/* A LIST value as a one-dimensional array (lower bound 1; an empty list is
 * PostgreSQL's empty array, no dimensions). */
static int sl_pgenc_list(const sl_vector *v, size_t row, sl_buf *out, const char **fail)
{
    const sl_vector *e = v->child;
    size_t first = (size_t)v->offsets[row], n = (size_t)(v->offsets[row + 1] - v->offsets[row]);
    bool nulls = memchr(e->valid + first, 0, n) != NULL;
    size_t len_at = out->len;
    uint8_t h[24], *p = h + 4;
    p = wr32(p, n ? 1 : 0);
    p = wr32(p, nulls ? 1 : 0);
    p = wr32(p, sl_pgenc_elem_oid(e->type.id, e->type.utc));
    if (n) {
        p = wr32(p, (uint32_t)n);
        p = wr32(p, 1);
    }
    sl_buf_append(out, h, (size_t)(p - h));
    for (size_t i = first; i < first + n; i++) {
        if (!e->valid[i]) {
            uint8_t m[4];
            wr32(m, 0xffffffffu);
            sl_buf_append(out, m, 4);
        } else if (sl_pgenc_field(e, i, out, fail) < 0) {
            return -1;
        }
    }
    if (out->len - len_at - 4 > INT32_MAX) {
        *fail = "array longer than 2 GiB";
        return -1;
    }
    wr32(out->data + len_at, (uint32_t)(out->len - len_at - 4));
    return 0;
}

int sl_pg_encode_rows(const sl_batch *b, size_t from, size_t to, sl_buf *out, sl_err *err)
{
    const int ncols = b->ncols;
    for (size_t row = from; row < to; row++) {
        const size_t row_start = out->len;
        if (out->cap - out->len < 2) sl_buf_reserve(out, 2);
        wr16(out->data + out->len, (uint16_t)ncols);
        out->len += 2;
        for (int c = 0; c < ncols; c++) {
            const sl_vector *v = &b->cols[c];
            if (!v->valid[row]) {
                if (out->cap - out->len < 4) sl_buf_reserve(out, 4);
                wr32(out->data + out->len, 0xffffffffu);
                out->len += 4;
                continue;
            }
            const char *fail = NULL;
            if (sl_pgenc_field(v, row, out, &fail) < 0) {
                out->len = row_start;
                return sl_pgenc_fail(err, b, c, row, fail);
            }
        }
    }
    return 0;
}
