/*
 * sl_pq_reader_types.c - the Parquet reader's types (sl_pq_reader_int.h):
 * a leaf's physical, converted and logical types mapped to an sl_type and a
 * conversion; one-level LIST shapes; nested groups refused by name; and the
 * conversion of decoded physical values (integers of every width and sign,
 * INT96, float16, decimals in any physical form, UUID, bytes) into batch
 * vectors.
 */
#include "sl_pq_reader_int.h"

#include "core/sl_alloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- type mapping ---- */

static int sl_map_decimal(const sl_pq_schema_elem *e, int32_t prec, int32_t scale, sl_type *t, sl_err *err)
{
    if (prec < 1 || prec > 38)
        return sl_err_set(err, SL_ETYPE, "column %s: DECIMAL precision %d is not supported (1..38)", e->name, prec);
    if (scale < 0) scale = 0;
    if (scale > prec)
        return sl_err_set(err, SL_ETYPE, "column %s: DECIMAL scale %d is larger than its precision %d", e->name, scale, prec);
    t->id = SL_T_DECIMAL;
    t->precision = (uint8_t)prec;
    t->scale = (uint8_t)scale;
    return 0;
}

int sl_pqr_map_elem(const sl_pq_schema_elem *e, sl_type *t, int *conv, sl_err *err)
{
    memset(t, 0, sizeof *t);
    int lt = e->logical, ct = e->converted;
    bool is_dec = lt == SL_PQ_LT_DECIMAL || (lt == 0 && ct == SL_PQ_CT_DECIMAL);
    int32_t prec = lt == SL_PQ_LT_DECIMAL ? e->lt_precision : e->precision;
    int32_t scale = lt == SL_PQ_LT_DECIMAL ? e->lt_scale : e->scale;
    if (lt == SL_PQ_LT_DECIMAL && prec < 0) { prec = e->precision; scale = e->scale; }
    int unit = 0, bw = 0;
    bool sgn = true, is_ts = false, is_time = false, is_int = false, utc = false;
    if (lt == SL_PQ_LT_TIMESTAMP) { is_ts = true; unit = e->lt_unit; utc = e->lt_utc; }
    else if (lt == SL_PQ_LT_TIME) { is_time = true; unit = e->lt_unit; }
    else if (lt == SL_PQ_LT_INTEGER) { is_int = true; bw = e->lt_bit_width; sgn = e->lt_signed; }
    else if (lt == 0) {
        switch (ct) {
        case SL_PQ_CT_TIMESTAMP_MILLIS: is_ts = true; unit = SL_PQ_UNIT_MILLIS; utc = true; break;
        case SL_PQ_CT_TIMESTAMP_MICROS: is_ts = true; unit = SL_PQ_UNIT_MICROS; utc = true; break;
        case SL_PQ_CT_TIME_MILLIS: is_time = true; unit = SL_PQ_UNIT_MILLIS; break;
        case SL_PQ_CT_TIME_MICROS: is_time = true; unit = SL_PQ_UNIT_MICROS; break;
        case SL_PQ_CT_UINT_8: is_int = true; bw = 8; sgn = false; break;
        case SL_PQ_CT_UINT_16: is_int = true; bw = 16; sgn = false; break;
        case SL_PQ_CT_UINT_32: is_int = true; bw = 32; sgn = false; break;
        case SL_PQ_CT_UINT_64: is_int = true; bw = 64; sgn = false; break;
        case SL_PQ_CT_INT_8: is_int = true; bw = 8; break;
        case SL_PQ_CT_INT_16: is_int = true; bw = 16; break;
        case SL_PQ_CT_INT_32: is_int = true; bw = 32; break;
        case SL_PQ_CT_INT_64: is_int = true; bw = 64; break;
        default: break;
        }
    }
    bool is_date = lt == SL_PQ_LT_DATE || (lt == 0 && ct == SL_PQ_CT_DATE);
    bool is_string = lt == SL_PQ_LT_STRING || lt == SL_PQ_LT_ENUM ||
                     (lt == 0 && (ct == SL_PQ_CT_UTF8 || ct == SL_PQ_CT_ENUM));
    bool is_json = lt == SL_PQ_LT_JSON || (lt == 0 && ct == SL_PQ_CT_JSON);

    switch (e->type) {
    case SL_PQ_BOOLEAN:
        t->id = SL_T_BOOL; *conv = CV_BOOL; return 0;
    case SL_PQ_INT32:
        if (is_dec) { *conv = CV_I32_DEC; return sl_map_decimal(e, prec, scale, t, err); }
        if (is_date) { t->id = SL_T_DATE; *conv = CV_I32; return 0; }
        if (is_time && unit == SL_PQ_UNIT_MILLIS) { t->id = SL_T_TIME; *conv = CV_I32_TIME_MS; return 0; }
        if (is_int && bw <= 16) {
            t->id = sgn ? SL_T_INT16 : (bw <= 8 ? SL_T_INT16 : SL_T_INT32);
            *conv = sgn ? CV_I32_I16 : (bw <= 8 ? CV_U8_I16 : CV_U16_I32);
            return 0;
        }
        if (is_int && !sgn) { t->id = SL_T_INT64; *conv = CV_U32_I64; return 0; }
        t->id = SL_T_INT32; *conv = CV_I32; return 0;
    case SL_PQ_INT64:
        if (is_dec) { *conv = CV_I64_DEC; return sl_map_decimal(e, prec, scale, t, err); }
        if (is_ts || is_time) {
            t->id = is_ts ? SL_T_TIMESTAMP : SL_T_TIME;
            t->utc = is_ts && utc;
            *conv = unit == SL_PQ_UNIT_MILLIS ? CV_I64_MS : unit == SL_PQ_UNIT_NANOS ? CV_I64_NS : CV_I64;
            return 0;
        }
        if (is_int && !sgn) {
            t->id = SL_T_DECIMAL; t->precision = 20; t->scale = 0; *conv = CV_U64_DEC; return 0;
        }
        t->id = SL_T_INT64; *conv = CV_I64; return 0;
    case SL_PQ_INT96:
        t->id = SL_T_TIMESTAMP; *conv = CV_INT96; return 0;
    case SL_PQ_FLOAT:
        t->id = SL_T_FLOAT32; *conv = CV_F32; return 0;
    case SL_PQ_DOUBLE:
        t->id = SL_T_FLOAT64; *conv = CV_F64; return 0;
    case SL_PQ_BYTE_ARRAY:
        if (is_dec) { *conv = CV_BIN_DEC; return sl_map_decimal(e, prec, scale, t, err); }
        t->id = is_string ? SL_T_STRING : is_json ? SL_T_JSON : SL_T_BYTES;
        *conv = CV_BIN;
        return 0;
    case SL_PQ_FIXED_LEN_BYTE_ARRAY:
        if (is_dec) { *conv = CV_BIN_DEC; return sl_map_decimal(e, prec, scale, t, err); }
        if (lt == SL_PQ_LT_UUID && e->type_length == 16) { t->id = SL_T_UUID; *conv = CV_UUID; return 0; }
        if (lt == SL_PQ_LT_FLOAT16 && e->type_length == 2) { t->id = SL_T_FLOAT32; *conv = CV_F16; return 0; }
        t->id = is_string ? SL_T_STRING : is_json ? SL_T_JSON : SL_T_BYTES;
        *conv = CV_BIN;
        return 0;
    default:
        return sl_err_set(err, SL_ETYPE, "column %s: unknown physical type %d", e->name, e->type);
    }
}

const char *sl_pqr_nested_kind(const sl_pq_schema_elem *e)
{
    if (e->logical == SL_PQ_LT_LIST || e->converted == SL_PQ_CT_LIST) return "LIST";
    if (e->logical == SL_PQ_LT_MAP || e->converted == SL_PQ_CT_MAP || e->converted == SL_PQ_CT_MAP_KEY_VALUE) return "MAP";
    if (e->repetition == SL_PQ_REPEATED) return "repeated";
    return "STRUCT";
}

/* A top-level field of one leaf with one repeated level, in a shape the
 * spec's LogicalTypes.md describes for lists: <group> { repeated group {
 * leaf } }, <group> { repeated leaf } (2-level), or a repeated leaf at the
 * top. *d_list, *d_rep: the definition levels of the list and of an element
 * (see sl_col_read_list). */
bool sl_pqr_list_shape(const sl_pq_reader *r, int leaf, int *d_list, int *d_rep)
{
    const sl_pq_leaf *l = &r->meta.leaves[leaf];
    if (l->max_rep != 1) return false;
    if (leaf + 1 < r->meta.nleaves && r->meta.leaves[leaf + 1].top_idx == l->top_idx) return false;
    int top = l->top_idx, li = l->schema_idx;
    const sl_pq_schema_elem *t = &r->meta.schema[top];
    int def = 0;
    if (top == li) {                          /* repeated leaf at the top */
        if (t->repetition != SL_PQ_REPEATED) return false;
        *d_list = 0;
        *d_rep = 1;
        return true;
    }
    if (t->num_children != 1 || t->repetition == SL_PQ_REPEATED) return false;
    def += t->repetition == SL_PQ_OPTIONAL;
    const sl_pq_schema_elem *m = &r->meta.schema[top + 1];
    if (m->repetition != SL_PQ_REPEATED) return false;
    *d_list = def;
    *d_rep = def + 1;
    if (top + 1 == li) return true;           /* 2-level: repeated leaf */
    if (m->num_children != 1 || top + 2 != li) return false;
    return true;
}

int sl_pq_reader_leaf_type(const sl_pq_reader *r, int leaf, sl_type *out, sl_err *err)
{
    const sl_pq_leaf *l = &r->meta.leaves[leaf];
    int dl, dr;
    if (l->nested && sl_pqr_list_shape(r, leaf, &dl, &dr)) {
        int conv;
        sl_type e;
        if (sl_pqr_map_elem(&r->meta.schema[l->schema_idx], &e, &conv, err) < 0) return -1;
        *out = sl_type_list_of(e);
        return 0;
    }
    if (l->nested) {
        const sl_pq_schema_elem *top = &r->meta.schema[l->top_idx];
        return sl_err_set(err, SL_ETYPE, "column %s is nested (%s): not supported yet", top->name, sl_pqr_nested_kind(top));
    }
    int conv;
    return sl_pqr_map_elem(&r->meta.schema[l->schema_idx], out, &conv, err);
}

/* ---- conversion of physical values into a batch vector ---- */

static float sl_half_to_float(uint16_t h)
{
    int sign = h >> 15, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    float v;
    if (exp == 0) v = ldexpf((float)man, -24);
    else if (exp == 31) v = man ? NAN : INFINITY;
    else v = ldexpf((float)(man | 0x400), exp - 25);
    return sign ? -v : v;
}

/* Big-endian two's complement of len bytes -> 128 bits. */
static int sl_be_to_i128(const uint8_t *p, size_t len, sl_i128 *out)
{
    if (len == 0) { *out = 0; return 0; }
    size_t skip = 0;
    if (len > 16) {
        uint8_t ext = (p[0] & 0x80) ? 0xff : 0x00;
        for (skip = 0; skip < len - 16; skip++)
            if (p[skip] != ext) return -1;
        if ((p[skip] & 0x80) != (ext & 0x80)) return -1;
    }
    unsigned __int128 u = (p[skip] & 0x80) ? ~(unsigned __int128)0 : 0;
    for (size_t i = skip; i < len; i++) u = (u << 8) | p[i];
    *out = (sl_i128)u;
    return 0;
}

static int sl_store_dec(sl_vector *v, size_t row, sl_i128 x, sl_err *err)
{
    if (v->width == 8 && (x < INT64_MIN || x > INT64_MAX))
        return sl_err_set(err, SL_EDATA, "decimal value does not fit its precision %d", v->type.precision);
    sl_vec_set_decimal(v, row, x);
    return 0;
}

int sl_pqr_conv_one(const sl_pq_col *c, const uint8_t *src, size_t len, sl_vector *v, size_t row, sl_err *err)
{
    int32_t i32;
    int64_t i64;
    switch (c->conv) {
    case CV_BOOL: *(uint8_t *)sl_vec_slot(v, row) = src[0] != 0; return 0;
    case CV_I32: memcpy(sl_vec_slot(v, row), src, 4); return 0;
    case CV_I32_I16: {
        memcpy(&i32, src, 4);
        if (i32 < INT16_MIN || i32 > INT16_MAX)
            return sl_err_set(err, SL_EDATA, "value %d does not fit its 16-bit integer type", i32);
        int16_t s = (int16_t)i32;
        memcpy(sl_vec_slot(v, row), &s, 2);
        return 0;
    }
    case CV_U8_I16: { memcpy(&i32, src, 4); int16_t s = (int16_t)((uint32_t)i32 & 0xff); memcpy(sl_vec_slot(v, row), &s, 2); return 0; }
    case CV_U16_I32: { memcpy(&i32, src, 4); int32_t s = (int32_t)((uint32_t)i32 & 0xffff); memcpy(sl_vec_slot(v, row), &s, 4); return 0; }
    case CV_U32_I64: { memcpy(&i32, src, 4); i64 = (int64_t)(uint32_t)i32; memcpy(sl_vec_slot(v, row), &i64, 8); return 0; }
    case CV_I32_TIME_MS: { memcpy(&i32, src, 4); i64 = (int64_t)i32 * 1000; memcpy(sl_vec_slot(v, row), &i64, 8); return 0; }
    case CV_I32_DEC: memcpy(&i32, src, 4); return sl_store_dec(v, row, i32, err);
    case CV_I64: memcpy(sl_vec_slot(v, row), src, 8); return 0;
    case CV_I64_MS:
        memcpy(&i64, src, 8);
        if (__builtin_mul_overflow(i64, 1000, &i64))
            return sl_err_set(err, SL_EDATA, "millisecond value does not fit microseconds in 64 bits");
        memcpy(sl_vec_slot(v, row), &i64, 8);
        return 0;
    case CV_I64_NS:
        memcpy(&i64, src, 8);
        i64 = i64 / 1000 - (i64 % 1000 < 0);
        memcpy(sl_vec_slot(v, row), &i64, 8);
        return 0;
    case CV_U64_DEC: { uint64_t u; memcpy(&u, src, 8); return sl_store_dec(v, row, (sl_i128)u, err); }
    case CV_I64_DEC: memcpy(&i64, src, 8); return sl_store_dec(v, row, i64, err);
    case CV_INT96: {
        /* Spark's reading of INT96: signed Julian day and signed nanos of
         * day, combined in wrapping 64-bit arithmetic (int96_from_spark.md
         * lists the values this gives beyond the nanosecond range). */
        int64_t nanos;
        int32_t jd;
        memcpy(&nanos, src, 8);
        memcpy(&jd, src + 8, 4);
        uint64_t us = (uint64_t)((int64_t)jd - 2440588) * 86400000000ULL + (uint64_t)(nanos / 1000);
        memcpy(sl_vec_slot(v, row), &us, 8);
        return 0;
    }
    case CV_F32: memcpy(sl_vec_slot(v, row), src, 4); return 0;
    case CV_F64: memcpy(sl_vec_slot(v, row), src, 8); return 0;
    case CV_F16: {
        uint16_t h = (uint16_t)(src[0] | src[1] << 8);
        float f = sl_half_to_float(h);
        memcpy(sl_vec_slot(v, row), &f, 4);
        return 0;
    }
    case CV_BIN: sl_vec_set_bytes(v, row, src, len); return 0;
    case CV_BIN_DEC: {
        sl_i128 x;
        if (sl_be_to_i128(src, len, &x) < 0)
            return sl_err_set(err, SL_EDATA, "decimal value of %zu bytes does not fit 128 bits", len);
        return sl_store_dec(v, row, x, err);
    }
    case CV_UUID:
        if (len != 16) return sl_err_set(err, SL_EDATA, "UUID value of %zu bytes", len);
        memcpy(sl_vec_slot(v, row), src, 16);
        return 0;
    default:
        return sl_err_set(err, SL_EINTERNAL, "unknown conversion %d", c->conv);
    }
}

/* k rows starting at batch row row0: valid[i] says which have a value; the
 * values are in c->fixed (fixed shape) or c->bv (bytes shape). */
int sl_pqr_col_convert(sl_pq_col *c, size_t k, size_t nn, sl_vector *v, size_t row0, sl_err *err)
{
    /* Physical value already in the vector's representation: copy. */
    bool identity = c->conv == CV_I32 || c->conv == CV_I64 || c->conv == CV_F32 || c->conv == CV_F64 ||
                    c->conv == CV_BOOL || (c->conv == CV_I64_DEC && v->width == 8);
    if (identity && (size_t)c->pwidth == v->width) {
        size_t w = v->width;
        if (nn == k) {
            memcpy(v->data + row0 * w, c->fixed, k * w);
            memset(v->valid + row0, 1, k);
            return 0;
        }
        const uint8_t *src = c->fixed;
        uint8_t *dst = v->data + row0 * w;
        for (size_t i = 0; i < k; i++, dst += w) {
            v->valid[row0 + i] = c->valid[i];
            if (c->valid[i]) {
                memcpy(dst, src, w);
                src += w;
            } else {
                memset(dst, 0, w);
            }
        }
        return 0;
    }
    if (c->conv == CV_BIN) {
        /* strings and bytes: one heap reservation for the run */
        size_t total = 0;
        for (size_t j = 0; j < nn; j++) total += c->bv[j].len;
        size_t off = (size_t)v->offsets[row0];
        if (off + total > v->heap_cap) {
            size_t cap = v->heap_cap ? v->heap_cap : 4096;
            while (cap < off + total) cap *= 2;
            v->heap = sl_realloc(v->heap, cap);
            v->heap_cap = cap;
        }
        size_t j = 0;
        for (size_t i = 0; i < k; i++) {
            size_t row = row0 + i;
            v->valid[row] = c->valid[i];
            if (c->valid[i]) {
                if (c->bv[j].len) memcpy(v->heap + off, c->bv[j].p, c->bv[j].len);
                off += c->bv[j].len;
                j++;
            }
            v->offsets[row + 1] = (int64_t)off;
        }
        v->heap_len = off;
        return 0;
    }
    size_t j = 0;
    for (size_t i = 0; i < k; i++) {
        if (!c->valid[i]) {
            sl_vec_set_null(v, row0 + i);
            continue;
        }
        int rc;
        if (c->bytes_shape)
            rc = sl_pqr_conv_one(c, c->bv[j].p, c->bv[j].len, v, row0 + i, err);
        else
            rc = sl_pqr_conv_one(c, c->fixed + j * (size_t)c->pwidth, (size_t)c->pwidth, v, row0 + i, err);
        if (rc < 0) return -1;
        j++;
    }
    return 0;
}
