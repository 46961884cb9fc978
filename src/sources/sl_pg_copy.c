/*
 * sl_pg_copy.c - binary COPY stream -> columnar batches (see sl_pg_copy.h).
 *
 * The hot loop reads a field length, then switches once on the column's wire
 * kind and stores straight into the vector: fixed-width values are
 * byte-swapped in place, var-width values are one copy into the heap. The
 * common kinds are stored inline in the loop; the rest, and any value that
 * is not the plain case, go through sl_pgcopy_field.
 * Every read is bounds-checked against the buffer; a tuple cut short by the
 * end of the buffer is left for the next call (its partial writes into row
 * `nrows` are simply overwritten when it is decoded again).
 */
#include "sl_pg_copy.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_utf8.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define PG_EPOCH_DAYS 10957                 /* 1970-01-01 .. 2000-01-01 */
#define PG_EPOCH_MICROS 946684800000000LL

static const uint8_t sl_pgcopy_signature[11] = { 'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0 };

typedef unsigned __int128 sl_u128;

/* 10^0 .. 10^38, filled once before main. */
static sl_u128 sl_pow10[39];

__attribute__((constructor)) static void sl_pgcopy_init_pow10(void)
{
    sl_pow10[0] = 1;
    for (int i = 1; i < 39; i++) sl_pow10[i] = sl_pow10[i - 1] * 10;
}

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return __builtin_bswap32(v);
}
static inline uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

void sl_pg_copy_init(sl_pg_copy *st, const sl_pg_copy_col *cols, int ncols, const char *what)
{
    memset(st, 0, sizeof *st);
    st->cols = cols;
    st->ncols = ncols;
    st->what = what ? what : "copy";
    st->check_utf8 = true;
}

/* The common case of sl_pg_numeric_decode in 64-bit arithmetic: a finite
 * value of a decimal with precision <= 15 (acc < 10^15, so acc * 10^4 + d
 * cannot overflow). Returns false for anything else, and for any value the
 * full decoder would refuse: it then runs and says why. */
static inline bool sl_pg_numeric_fast(const uint8_t *p, size_t len, int precision, int scale, int64_t *out)
{
    static const uint32_t pow10_u32[5] = { 1, 10, 100, 1000, 10000 };
    if (len < 8 || precision > 15 || precision < 1 || scale < 0 || scale > precision) return false;
    int ndigits = (int16_t)rd16(p);
    int weight = (int16_t)rd16(p + 2);
    uint16_t sign = rd16(p + 4);
    if ((sign != 0 && sign != 0x4000) || ndigits < 0 || len != 8 + 2 * (size_t)ndigits) return false;
    const uint64_t limit = (uint64_t)sl_pow10[precision];
    uint64_t acc = 0;
    int k = 0;
    for (int i = 0; i < ndigits; i++) {
        unsigned d = rd16(p + 8 + 2 * (size_t)i);
        if (d >= 10000) return false;
        k = 4 * (weight - i) + scale;
        if (k >= 0) {
            acc = acc * 10000 + d;
        } else if (k > -4) {
            unsigned div = pow10_u32[-k];
            if (d % div) return false;
            acc = acc * pow10_u32[4 + k] + d / div;
            k = 0;
        } else {
            if (d) return false;
            k = 0;
            continue;
        }
        if (acc >= limit) return false;
    }
    for (; k > 0 && acc; k--) {
        acc *= 10;
        if (acc >= limit) return false;
    }
    *out = sign == 0x4000 ? -(int64_t)acc : (int64_t)acc;
    return true;
}

int sl_pg_numeric_decode(const uint8_t *p, size_t len, int precision, int scale,
                         sl_i128 *out, sl_err *err)
{
    if (len < 8) return sl_err_set(err, SL_EFORMAT, "numeric value of %zu bytes is truncated", len);
    int ndigits = (int16_t)rd16(p);
    int weight = (int16_t)rd16(p + 2);
    uint16_t sign = rd16(p + 4);
    if (ndigits < 0 || len != 8 + 2 * (size_t)ndigits)
        return sl_err_set(err, SL_EFORMAT, "numeric value has a bad length (%zu bytes, %d digits)", len, ndigits);
    if (sign == 0xC000)
        return sl_err_set(err, SL_EDATA, "value NaN does not fit decimal(%d,%d); filter it or cast it in a query: (e.g. nullif(col, 'NaN'))", precision, scale);
    if (sign == 0xD000 || sign == 0xF000)
        return sl_err_set(err, SL_EDATA, "value %sInfinity does not fit decimal(%d,%d); filter it or cast it in a query:",
                          sign == 0xF000 ? "-" : "", precision, scale);
    if (sign != 0 && sign != 0x4000)
        return sl_err_set(err, SL_EFORMAT, "numeric value has a bad sign word 0x%04x", sign);
    if (precision < 1 || precision > 38 || scale < 0 || scale > precision)
        return sl_err_set(err, SL_EINTERNAL, "bad decimal(%d,%d)", precision, scale);

    const sl_u128 limit = sl_pow10[precision];
    /* acc < limit holds between steps; with limit <= 10^34, acc * 10^4 + d
     * stays below 2^128, so only wider decimals need the (128-bit division)
     * overflow check before multiplying. */
    const bool wide = precision > 34;
    sl_u128 acc = 0;
    int64_t k = 0;
    for (int i = 0; i < ndigits; i++) {
        unsigned d = rd16(p + 8 + 2 * (size_t)i);
        if (d >= 10000) return sl_err_set(err, SL_EFORMAT, "numeric digit %u out of range", d);
        /* Power of ten of this digit group relative to the scale point. */
        k = 4 * ((int64_t)weight - i) + scale;
        unsigned mult = 10000;
        if (k <= -4) {
            if (d) goto frac;
            k = 0;
            continue;
        }
        if (k < 0) {
            unsigned div = (unsigned)sl_pow10[-k];
            if (d % div) goto frac;
            d /= div;
            mult = (unsigned)sl_pow10[4 + k];
            k = 0;
        }
        if (wide && acc > (limit - 1) / mult) goto big;
        acc = acc * mult + d;
        if (acc >= limit) goto big;
    }
    /* Trailing zero groups PostgreSQL does not send. */
    for (; k > 0 && acc; k--) {
        if (wide && acc > (limit - 1) / 10) goto big;
        acc *= 10;
        if (acc >= limit) goto big;
    }
    *out = sign == 0x4000 ? -(sl_i128)acc : (sl_i128)acc;
    return 0;
frac:
    return sl_err_set(err, SL_EDATA, "value has more than %d fractional digits and does not fit decimal(%d,%d); "
                      "a numeric without declared precision takes the table's numeric: {precision: 38, scale: S} "
                      "(or in defaults:; give a larger S), any column its type in columns: (type: string keeps "
                      "every digit)", scale, precision, scale);
big:
    return sl_err_set(err, SL_EDATA, "value has more than %d digits and does not fit decimal(%d,%d); "
                      "a numeric without declared precision takes the table's numeric: {precision: 38, scale: S} "
                      "(or in defaults:; a smaller S leaves more integer digits), any column its type in columns: "
                      "(type: string keeps every digit)", precision, precision, scale);
}

/* The logical type a wire kind may be stored as. */
static bool sl_pgcopy_type_ok(sl_pg_wire w, sl_type t)
{
    switch (w) {
    case SL_PGW_BOOL: return t.id == SL_T_BOOL;
    case SL_PGW_INT2: return t.id == SL_T_INT16;
    case SL_PGW_INT4: return t.id == SL_T_INT32;
    case SL_PGW_INT8: return t.id == SL_T_INT64;
    case SL_PGW_FLOAT4: return t.id == SL_T_FLOAT32;
    case SL_PGW_FLOAT8: return t.id == SL_T_FLOAT64;
    case SL_PGW_NUMERIC: return t.id == SL_T_DECIMAL && t.precision >= 1 && t.precision <= 38 && t.scale <= t.precision;
    case SL_PGW_TEXT: return sl_type_is_varlen(t);
    case SL_PGW_JSONB: return sl_type_is_varlen(t);
    case SL_PGW_DATE: return t.id == SL_T_DATE;
    case SL_PGW_TIME: return t.id == SL_T_TIME;
    case SL_PGW_TIMESTAMP: return t.id == SL_T_TIMESTAMP;
    case SL_PGW_UUID: return t.id == SL_T_UUID;
    case SL_PGW_CHAR: return t.id == SL_T_STRING;
    case SL_PGW_ARRAY: return t.id == SL_T_LIST;
    default: return false;
    }
}

static inline void sl_pgcopy_put(sl_vector *v, size_t row, const uint8_t *src, size_t n)
{
    size_t start = (size_t)v->offsets[row];
    if (start + n > v->heap_cap) {
        size_t cap = v->heap_cap ? v->heap_cap * 2 : 4096;
        while (cap < start + n) cap *= 2;
        v->heap = sl_realloc(v->heap, cap);
        v->heap_cap = cap;
    }
    sl_copy_small(v->heap + start, src, n);
    v->valid[row] = 1;
    v->offsets[row + 1] = (int64_t)(start + n);
    v->heap_len = start + n;
}

static int sl_pgcopy_header(sl_pg_copy *st, const uint8_t *p, size_t len, size_t *used, sl_err *err)
{
    size_t cmp = len < 11 ? len : 11;
    if (cmp == 0) return 0;
    if (memcmp(p, sl_pgcopy_signature, cmp))
        return sl_err_set(err, SL_EFORMAT, "%s: not a binary COPY stream (bad signature)", st->what);
    if (len < 19) return 0;
    uint32_t flags = rd32(p + 11);
    if (flags & (1u << 16))
        return sl_err_set(err, SL_EFORMAT, "%s: binary COPY stream with OIDs is not supported", st->what);
    if (flags & 0xffff0000u & ~(1u << 16))
        return sl_err_set(err, SL_EFORMAT, "%s: binary COPY stream has unknown critical flags 0x%08x", st->what, flags);
    uint32_t ext = rd32(p + 15);
    if (ext > len - 19) {
        if (ext > (1u << 30))
            return sl_err_set(err, SL_EFORMAT, "%s: binary COPY header extension of %u bytes", st->what, ext);
        return 0;
    }
    *used = 19 + ext;
    st->header_done = true;
    return 1;
}

/* What decoding one field found (the caller words the error). */
enum { SL_PGC_OK, SL_PGC_BAD_LEN, SL_PGC_BAD_FORMAT, SL_PGC_BAD_VALUE, SL_PGC_BAD_INFINITY, SL_PGC_ERR };

static int sl_pgcopy_array(sl_pg_copy *st, const sl_pg_copy_col *col, sl_vector *v, size_t row,
                           const uint8_t *f, int32_t flen, sl_err *err);

/* One present field of `flen` bytes at f into v's row, as wire kind `wire`.
 * *fail gets the text of a BAD_FORMAT/BAD_VALUE/BAD_INFINITY; ERR: err set. */
static inline __attribute__((always_inline)) int
sl_pgcopy_field(sl_pg_copy *st, const sl_pg_copy_col *col, sl_pg_wire wire, sl_vector *v, size_t row,
                const uint8_t *f, int32_t flen, const char **failp, sl_err *err)
{
    const char *fail = NULL;
    uint8_t *slot = v->data ? v->data + row * v->width : NULL;
    switch (wire) {
    case SL_PGW_BOOL:
        if (flen != 1) return SL_PGC_BAD_LEN;
        *slot = f[0] != 0;
        break;
    case SL_PGW_INT2: {
        if (flen != 2) return SL_PGC_BAD_LEN;
        uint16_t x = rd16(f);
        memcpy(slot, &x, 2);
        break;
    }
    case SL_PGW_INT4:
    case SL_PGW_FLOAT4: {
        if (flen != 4) return SL_PGC_BAD_LEN;
        uint32_t x = rd32(f);
        memcpy(slot, &x, 4);
        break;
    }
    case SL_PGW_INT8:
    case SL_PGW_FLOAT8:
    case SL_PGW_TIME: {
        if (flen != 8) return SL_PGC_BAD_LEN;
        uint64_t x = rd64(f);
        memcpy(slot, &x, 8);
        break;
    }
    case SL_PGW_DATE: {
        if (flen != 4) return SL_PGC_BAD_LEN;
        int32_t d = (int32_t)rd32(f);
        if (d == INT32_MAX || d == INT32_MIN) {
            *failp = fail = d == INT32_MAX ? "infinity" : "-infinity";
                        return SL_PGC_BAD_INFINITY;
        }
        int64_t days = (int64_t)d + PG_EPOCH_DAYS;
        if (days > INT32_MAX) { *failp = fail = "a date beyond the int32 day range"; return SL_PGC_BAD_VALUE; }
        int32_t dd = (int32_t)days;
        memcpy(slot, &dd, 4);
        break;
    }
    case SL_PGW_TIMESTAMP: {
        if (flen != 8) return SL_PGC_BAD_LEN;
        int64_t t = (int64_t)rd64(f);
        if (t == INT64_MAX || t == INT64_MIN) {
            *failp = fail = t == INT64_MAX ? "infinity" : "-infinity";
                        return SL_PGC_BAD_INFINITY;
        }
        int64_t u;
        if (__builtin_add_overflow(t, PG_EPOCH_MICROS, &u)) {
            *failp = fail = "a timestamp beyond the int64 microsecond range";
                        return SL_PGC_BAD_VALUE;
        }
        memcpy(slot, &u, 8);
        break;
    }
    case SL_PGW_UUID:
        if (flen != 16) return SL_PGC_BAD_LEN;
        memcpy(slot, f, 16);
        break;
    case SL_PGW_NUMERIC: {
        int64_t small;
        if (v->width == 8 && sl_pg_numeric_fast(f, (size_t)flen, v->type.precision, v->type.scale, &small)) {
            memcpy(v->data + row * v->width, &small, 8);
            break;
        }
        sl_i128 val;
        sl_err verr;   /* set on failure; not cleared per call (2 KB) */
        if (sl_pg_numeric_decode(f, (size_t)flen, v->type.precision, v->type.scale, &val, &verr) < 0) {
            sl_err_set(err, verr.code, "%s: column %s: row %" PRIu64 ": %s",
                       st->what, col->name, st->rows + 1, verr.msg);
            return SL_PGC_ERR;
        }
        sl_vec_set_decimal(v, row, val);
        break;
    }
    case SL_PGW_TEXT:
    case SL_PGW_JSONB: {
        size_t n = (size_t)flen;
        if (wire == SL_PGW_JSONB) {
            if (flen < 1 || f[0] != 1) { *failp = fail = "jsonb value without version byte 1"; return SL_PGC_BAD_FORMAT; }
            f++;
            n--;
        }
        if (st->check_utf8 && v->type.id != SL_T_BYTES && sl_utf8_check(f, n) != n) {
            char why[160];
            sl_err_set(err, SL_EDATA, "%s: column %s: row %" PRIu64 ": %s; the database does not check "
                       "its text (encoding SQL_ASCII?): fix the data, or read the column as bytes "
                       "(columns: {%s: bytes}, a cast to bytea)", st->what, col->name, st->rows + 1,
                       sl_utf8_describe(f, n, sl_utf8_check(f, n), why, sizeof why), col->name);
            return SL_PGC_ERR;
        }
        sl_pgcopy_put(v, row, f, n);
        break;
    }
    case SL_PGW_ARRAY:
        return sl_pgcopy_array(st, col, v, row, f, flen, err);
    case SL_PGW_CHAR: {
        if (flen != 1) return SL_PGC_BAD_LEN;
        uint8_t text[4] = { f[0] };
        size_t n = f[0] != 0;
        if (f[0] >= 0x80) {
            text[0] = '\\';
            text[1] = (uint8_t)('0' + (f[0] >> 6));
            text[2] = (uint8_t)('0' + ((f[0] >> 3) & 7));
            text[3] = (uint8_t)('0' + (f[0] & 7));
            n = 4;
        }
        sl_pgcopy_put(v, row, text, n);
        break;
    }
    default:
        *failp = fail = "unknown wire kind";
                return SL_PGC_BAD_FORMAT;
    }
    if (slot) v->valid[row] = 1;
    (void)fail;
    return SL_PGC_OK;
}

long sl_pg_copy_decode(sl_pg_copy *st, const uint8_t *p, size_t len, sl_batch *batch,
                       size_t *used, sl_err *err)
{
    size_t pos = 0;
    *used = 0;
    if (!st->header_done) {
        if (batch->ncols != st->ncols)
            return sl_err_set(err, SL_EINTERNAL, "%s: batch has %d columns, decoder %d", st->what, batch->ncols, st->ncols);
        for (int c = 0; c < st->ncols; c++)
            if (!sl_pgcopy_type_ok(st->cols[c].wire, batch->cols[c].type) ||
                (st->cols[c].wire == SL_PGW_ARRAY && (st->cols[c].elem_wire == SL_PGW_ARRAY ||
                 !sl_pgcopy_type_ok(st->cols[c].elem_wire, sl_type_elem(batch->cols[c].type)))))
                return sl_err_set(err, SL_EINTERNAL, "%s: column %s: wire kind %d cannot fill its batch type",
                                  st->what, st->cols[c].name, (int)st->cols[c].wire);
        int h = sl_pgcopy_header(st, p, len, &pos, err);
        if (h <= 0) return h;
        *used = pos;
    }
    const int ncols = st->ncols;
    const sl_pg_copy_col *cols = st->cols;
    size_t row = batch->nrows;
    const size_t start_row = row;
    const char *fail = NULL;    /* data error text, set before goto bad */
    int fail_col = 0;

    while (row < batch->capacity && !st->trailer_seen) {
        if (len - pos < 2) break;
        int nf = (int16_t)rd16(p + pos);
        if (nf == -1) {
            st->trailer_seen = true;
            pos += 2;
            *used = pos;
            break;
        }
        if (nf != ncols) {
            sl_err_set(err, SL_EFORMAT, "%s: row %" PRIu64 ": tuple has %d fields, expected %d",
                       st->what, st->rows + 1, nf, ncols);
            goto out_err;
        }
        size_t q = pos + 2;
        for (int c = 0; c < ncols; c++) {
            if (len - q < 4) goto need_more;
            int32_t flen = (int32_t)rd32(p + q);
            q += 4;
            sl_vector *v = &batch->cols[c];
            if (flen < 0) {
                if (flen != -1) { fail = "negative field length"; fail_col = c; goto bad_format; }
                v->valid[row] = 0;
                if (v->offsets) v->offsets[row + 1] = v->offsets[row];
                else memset(v->data + row * v->width, 0, v->width);
                continue;
            }
            if ((size_t)flen > len - q) goto need_more;
            const uint8_t *f = p + q;
            q += (size_t)flen;
            /* The common kinds inline: a store and the valid byte, without
             * the general path's slot arithmetic and result checks. Anything
             * unusual (a bad length, infinity, a wide numeric, text to
             * check) falls through to sl_pgcopy_field, which says why. */
            switch (cols[c].wire) {
            case SL_PGW_INT4:
            case SL_PGW_FLOAT4:
                if (flen != 4) break;
                { uint32_t x = rd32(f); memcpy(v->data + row * 4, &x, 4); }
                v->valid[row] = 1;
                continue;
            case SL_PGW_INT8:
            case SL_PGW_FLOAT8:
            case SL_PGW_TIME:
                if (flen != 8) break;
                { uint64_t x = rd64(f); memcpy(v->data + row * 8, &x, 8); }
                v->valid[row] = 1;
                continue;
            case SL_PGW_TIMESTAMP: {
                if (flen != 8) break;
                int64_t t = (int64_t)rd64(f), u;
                if (t == INT64_MAX || t == INT64_MIN || __builtin_add_overflow(t, PG_EPOCH_MICROS, &u)) break;
                memcpy(v->data + row * 8, &u, 8);
                v->valid[row] = 1;
                continue;
            }
            case SL_PGW_UUID:
                if (flen != 16) break;
                memcpy(v->data + row * 16, f, 16);
                v->valid[row] = 1;
                continue;
            case SL_PGW_NUMERIC: {
                int64_t small;
                if (v->width != 8 || !sl_pg_numeric_fast(f, (size_t)flen, v->type.precision, v->type.scale, &small)) break;
                memcpy(v->data + row * 8, &small, 8);
                v->valid[row] = 1;
                continue;
            }
            case SL_PGW_TEXT:
                if (st->check_utf8 && v->type.id != SL_T_BYTES) break;
                sl_pgcopy_put(v, row, f, (size_t)flen);
                continue;
            default:
                break;
            }
            int rc = sl_pgcopy_field(st, &cols[c], cols[c].wire, v, row, f, flen, &fail, err);
            if (rc == SL_PGC_OK) continue;
            fail_col = c;
            if (rc == SL_PGC_BAD_FORMAT) goto bad_format;
            if (rc == SL_PGC_BAD_VALUE) goto bad_value;
            if (rc == SL_PGC_BAD_INFINITY) goto bad_infinity;
            if (rc == SL_PGC_ERR) goto out_err;
            sl_err_set(err, SL_EFORMAT, "%s: column %s: row %" PRIu64 ": field of %d bytes is malformed for its type",
                       st->what, cols[c].name, st->rows + 1, flen);
            goto out_err;
        }
        pos = q;
        *used = pos;
        row++;
        st->rows++;
    }
need_more:
    batch->nrows = row;
    return (long)(row - start_row);

bad_format:
    sl_err_set(err, SL_EFORMAT, "%s: column %s: row %" PRIu64 ": %s",
               st->what, cols[fail_col].name, st->rows + 1, fail);
    goto out_err;
bad_value:
    sl_err_set(err, SL_EDATA, "%s: column %s: row %" PRIu64 ": %s",
               st->what, cols[fail_col].name, st->rows + 1, fail);
    goto out_err;
bad_infinity:
    sl_err_set(err, SL_EDATA, "%s: column %s: row %" PRIu64 ": value %s has no Parquet equivalent; "
               "filter it or cast it in a query: (e.g. nullif(%s, '%s'), or %s::text)",
               st->what, cols[fail_col].name, st->rows + 1, fail, cols[fail_col].name, fail, cols[fail_col].name);
out_err:
    batch->nrows = row;
    return -1;
}

/* A binary array value into row of LIST vector v (see sl_pg_copy.h). */
static int sl_pgcopy_array(sl_pg_copy *st, const sl_pg_copy_col *col, sl_vector *v, size_t row,
                           const uint8_t *f, int32_t flen, sl_err *err)
{
    size_t len = (size_t)flen;
    if (len < 12) goto bad;
    int32_t ndim = (int32_t)rd32(f);
    if (ndim == 0) {
        if (len != 12) goto bad;
        sl_vec_list_begin(v, row, 0);
        sl_vec_list_end(v, row, 0);
        return SL_PGC_OK;
    }
    if (ndim > 1) {
        sl_err_set(err, SL_EDATA, "%s: column %s: row %" PRIu64 ": a %d-dimensional array; sluice writes "
                   "one-dimensional arrays as lists: read the column as text with columns: [{name: %s, type: "
                   "string}] (PostgreSQL's array literal), or as JSON in a query: (array_to_json(%s) AS %s)",
                   st->what, col->name, st->rows + 1, (int)ndim, col->name, col->name, col->name);
        return SL_PGC_ERR;
    }
    if (ndim < 0 || len < 20) goto bad;
    int32_t n = (int32_t)rd32(f + 12);
    if (n < 0 || (size_t)n > (len - 20) / 4) goto bad;
    size_t first = sl_vec_list_begin(v, row, (size_t)n), pos = 20;
    sl_vector *e = v->child;
    for (int32_t i = 0; i < n; i++) {
        if (len - pos < 4) goto bad;
        int32_t el = (int32_t)rd32(f + pos);
        pos += 4;
        size_t er = first + (size_t)i;
        if (el < 0) {
            if (el != -1) goto bad;
            sl_vec_set_null(e, er);
            continue;
        }
        if ((size_t)el > len - pos) goto bad;
        const char *fail = NULL;
        int rc = sl_pgcopy_field(st, col, col->elem_wire, e, er, f + pos, el, &fail, err);
        pos += (size_t)el;
        if (rc == SL_PGC_OK) continue;
        if (rc == SL_PGC_ERR) {
            size_t ml = strlen(err->msg);
            snprintf(err->msg + ml, sizeof err->msg - ml, " (array element %d)", (int)i + 1);
            return SL_PGC_ERR;
        }
        sl_err_set(err, rc == SL_PGC_BAD_VALUE || rc == SL_PGC_BAD_INFINITY ? SL_EDATA : SL_EFORMAT,
                   "%s: column %s: row %" PRIu64 ": element %d: %s", st->what, col->name, st->rows + 1,
                   (int)i + 1, rc == SL_PGC_BAD_LEN ? "malformed for its type" : fail);
        return SL_PGC_ERR;
    }
    if (pos != len) goto bad;
    sl_vec_list_end(v, row, (size_t)n);
    return SL_PGC_OK;
bad:
    sl_err_set(err, SL_EFORMAT, "%s: column %s: row %" PRIu64 ": malformed array of %d bytes",
               st->what, col->name, st->rows + 1, (int)flen);
    return SL_PGC_ERR;
}

int sl_pg_copy_finish(const sl_pg_copy *st, size_t left, sl_err *err)
{
    if (!st->header_done)
        return sl_err_set(err, SL_EFORMAT, "%s: binary COPY stream ended before its header", st->what);
    if (left)
        return sl_err_set(err, SL_EFORMAT, "%s: binary COPY stream truncated after row %" PRIu64 " (%zu bytes left)",
                          st->what, st->rows, left);
    if (!st->trailer_seen)
        return sl_err_set(err, SL_EFORMAT, "%s: binary COPY stream ended without its trailer after row %" PRIu64,
                          st->what, st->rows);
    return 0;
}
