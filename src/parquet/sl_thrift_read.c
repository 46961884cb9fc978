/*
 * sl_thrift_read.c - Thrift compact-protocol decoder (see sl_thrift_read.h).
 * Every read checks the bytes left; errors are sticky and carry the offset.
 */
#include "sl_thrift_read.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sl_tr_init(sl_tr *t, const void *p, size_t n, sl_err *err)
{
    t->start = t->p = p;
    t->end = t->p + n;
    t->depth = 0;
    t->failed = false;
    t->err = err;
}

int sl_tr_fail(sl_tr *t, const char *fmt, ...)
{
    if (t->failed) return -1;
    t->failed = true;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sl_err_set(t->err, SL_EFORMAT, "corrupt thrift metadata at byte %zu: %s", sl_tr_pos(t), msg);
    return -1;
}

int sl_tr_u64(sl_tr *t, uint64_t *v)
{
    if (t->failed) return -1;
    uint64_t r = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (t->p >= t->end) return sl_tr_fail(t, "truncated varint");
        uint8_t b = *t->p++;
        if (shift == 63 && (b & 0x7e)) return sl_tr_fail(t, "varint overflows 64 bits");
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return sl_tr_fail(t, "varint longer than 10 bytes");
}

static int sl_tr_zigzag(sl_tr *t, int64_t *v)
{
    uint64_t u;
    if (sl_tr_u64(t, &u) < 0) return -1;
    *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return 0;
}

int sl_tr_i64(sl_tr *t, int64_t *v) { return sl_tr_zigzag(t, v); }

int sl_tr_i32(sl_tr *t, int32_t *v)
{
    int64_t x;
    if (sl_tr_zigzag(t, &x) < 0) return -1;
    if (x < INT32_MIN || x > INT32_MAX) return sl_tr_fail(t, "i32 value %lld out of range", (long long)x);
    *v = (int32_t)x;
    return 0;
}

int sl_tr_i16(sl_tr *t, int16_t *v)
{
    int64_t x;
    if (sl_tr_zigzag(t, &x) < 0) return -1;
    if (x < INT16_MIN || x > INT16_MAX) return sl_tr_fail(t, "i16 value %lld out of range", (long long)x);
    *v = (int16_t)x;
    return 0;
}

int sl_tr_i8(sl_tr *t, int8_t *v)
{
    if (t->failed) return -1;
    if (t->p >= t->end) return sl_tr_fail(t, "truncated byte");
    *v = (int8_t)*t->p++;
    return 0;
}

int sl_tr_double(sl_tr *t, double *v)
{
    if (t->failed) return -1;
    if (sl_tr_left(t) < 8) return sl_tr_fail(t, "truncated double");
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--) u = (u << 8) | t->p[i];
    memcpy(v, &u, 8);
    t->p += 8;
    return 0;
}

int sl_tr_binary(sl_tr *t, const uint8_t **p, uint32_t *len)
{
    uint64_t n;
    if (sl_tr_u64(t, &n) < 0) return -1;
    if (n > sl_tr_left(t))
        return sl_tr_fail(t, "binary of %llu bytes but only %zu bytes left", (unsigned long long)n, sl_tr_left(t));
    *p = t->p;
    *len = (uint32_t)n;
    t->p += n;
    return 0;
}

int sl_tr_list(sl_tr *t, int *elem_type, uint32_t *count)
{
    if (t->failed) return -1;
    if (t->p >= t->end) return sl_tr_fail(t, "truncated list header");
    uint8_t h = *t->p++;
    uint64_t n = h >> 4;
    if (n == 15 && sl_tr_u64(t, &n) < 0) return -1;
    *elem_type = h & 0x0f;
    if (*elem_type == SL_TT_STOP || *elem_type > SL_TT_STRUCT)
        return sl_tr_fail(t, "list of unknown element type %d", *elem_type);
    /* Every element takes at least one byte. */
    if (n > sl_tr_left(t))
        return sl_tr_fail(t, "list of %llu elements but only %zu bytes left", (unsigned long long)n, sl_tr_left(t));
    *count = (uint32_t)n;
    return 0;
}

int sl_tr_bool_elem(sl_tr *t, bool *v)
{
    int8_t b = 0;
    if (sl_tr_i8(t, &b) < 0) return -1;
    *v = b == 1;
    return 0;
}

int sl_tr_struct_begin(sl_tr *t)
{
    if (t->failed) return -1;
    if (++t->depth > SL_TR_MAX_DEPTH) return sl_tr_fail(t, "nesting deeper than %d", SL_TR_MAX_DEPTH);
    return 0;
}

void sl_tr_struct_end(sl_tr *t)
{
    if (t->depth > 0) t->depth--;
}

int sl_tr_field(sl_tr *t, int16_t *last_id, int *type)
{
    if (t->failed) return -1;
    if (t->p >= t->end) return sl_tr_fail(t, "truncated struct (no stop byte)");
    uint8_t h = *t->p++;
    *type = h & 0x0f;
    if (*type == SL_TT_STOP) {
        if (h != 0) return sl_tr_fail(t, "bad field header 0x%02x", h);
        return 0;
    }
    if (*type > SL_TT_STRUCT) return sl_tr_fail(t, "unknown field type %d", *type);
    int delta = h >> 4;
    if (delta) {
        int id = *last_id + delta;
        if (id > INT16_MAX) return sl_tr_fail(t, "field id overflow");
        *last_id = (int16_t)id;
    } else if (sl_tr_i16(t, last_id) < 0) {
        return -1;
    }
    return 0;
}

static int sl_tr_skip_struct(sl_tr *t)
{
    if (sl_tr_struct_begin(t) < 0) return -1;
    int16_t fid = 0;
    int type;
    for (;;) {
        if (sl_tr_field(t, &fid, &type) < 0) return -1;
        if (type == SL_TT_STOP) break;
        if (sl_tr_skip(t, type) < 0) return -1;
    }
    sl_tr_struct_end(t);
    return 0;
}

int sl_tr_skip(sl_tr *t, int type)
{
    if (t->failed) return -1;
    uint64_t u;
    int8_t b = 0;
    switch (type) {
    case SL_TT_TRUE:
    case SL_TT_FALSE:
        return 0;   /* in a struct the value is in the field type */
    case SL_TT_I8:
        return sl_tr_i8(t, &b);
    case SL_TT_I16:
    case SL_TT_I32:
    case SL_TT_I64:
        return sl_tr_u64(t, &u);
    case SL_TT_DOUBLE:
        if (sl_tr_left(t) < 8) return sl_tr_fail(t, "truncated double");
        t->p += 8;
        return 0;
    case SL_TT_BINARY: {
        const uint8_t *p;
        uint32_t n;
        return sl_tr_binary(t, &p, &n);
    }
    case SL_TT_LIST:
    case SL_TT_SET: {
        int et;
        uint32_t n;
        if (sl_tr_list(t, &et, &n) < 0) return -1;
        if (sl_tr_struct_begin(t) < 0) return -1;
        for (uint32_t i = 0; i < n; i++) {
            /* bool elements are one byte each */
            if (et == SL_TT_TRUE || et == SL_TT_FALSE) {
                if (sl_tr_i8(t, &b) < 0) return -1;
            } else if (sl_tr_skip(t, et) < 0) {
                return -1;
            }
        }
        sl_tr_struct_end(t);
        return 0;
    }
    case SL_TT_MAP: {
        if (sl_tr_u64(t, &u) < 0) return -1;
        if (u == 0) return 0;
        if (u > sl_tr_left(t)) return sl_tr_fail(t, "map of %llu entries but only %zu bytes left",
                                                 (unsigned long long)u, sl_tr_left(t));
        if (sl_tr_i8(t, &b) < 0) return -1;
        int kt = ((uint8_t)b) >> 4, vt = b & 0x0f;
        if (kt == 0 || kt > SL_TT_STRUCT || vt == 0 || vt > SL_TT_STRUCT)
            return sl_tr_fail(t, "map of unknown types %d/%d", kt, vt);
        if (sl_tr_struct_begin(t) < 0) return -1;
        for (uint64_t i = 0; i < u; i++) {
            for (int k = 0; k < 2; k++) {
                int et = k ? vt : kt;
                if (et == SL_TT_TRUE || et == SL_TT_FALSE) {
                    if (sl_tr_i8(t, &b) < 0) return -1;
                } else if (sl_tr_skip(t, et) < 0) {
                    return -1;
                }
            }
        }
        sl_tr_struct_end(t);
        return 0;
    }
    case SL_TT_STRUCT:
        return sl_tr_skip_struct(t);
    default:
        return sl_tr_fail(t, "cannot skip unknown type %d", type);
    }
}
