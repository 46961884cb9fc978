/*
 * sl_thrift_write.c - Thrift compact protocol encoder: field headers with
 * delta ids, zigzag ULEB128 integers, binary, lists and nested structs.
 * See sl_thrift_write.h.
 */
#include "sl_thrift_write.h"

#include <string.h>

void sl_tw_init(sl_tw *w, sl_buf *buf)
{
    w->buf = buf;
    w->depth = 0;
    w->last_id[0] = 0;
}

void sl_tw_varint(sl_buf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    sl_buf_append(b, tmp, n);
}

static void sl_tw_header(sl_tw *w, int16_t id, int type)
{
    int16_t *last = &w->last_id[w->depth];
    int delta = id - *last;
    if (delta > 0 && delta <= 15) {
        sl_buf_push(w->buf, (uint8_t)((delta << 4) | type));
    } else {
        sl_buf_push(w->buf, (uint8_t)type);
        sl_tw_varint(w->buf, sl_tw_zigzag64(id));
    }
    *last = id;
}

static void sl_tw_push(sl_tw *w)
{
    /* Deeper nesting than Parquet needs is a programming error. */
    if (w->depth + 1 >= SL_TW_MAX_DEPTH) __builtin_trap();
    w->last_id[++w->depth] = 0;
}

void sl_tw_struct_begin(sl_tw *w)
{
    sl_tw_push(w);
}

void sl_tw_struct_end(sl_tw *w)
{
    sl_buf_push(w->buf, SL_TC_STOP);
    if (w->depth > 0) w->depth--;
}

void sl_tw_field_bool(sl_tw *w, int16_t id, bool v)
{
    sl_tw_header(w, id, v ? SL_TC_TRUE : SL_TC_FALSE);
}

void sl_tw_field_i8(sl_tw *w, int16_t id, int8_t v)
{
    sl_tw_header(w, id, SL_TC_I8);
    sl_buf_push(w->buf, (uint8_t)v);
}

void sl_tw_field_i16(sl_tw *w, int16_t id, int16_t v)
{
    sl_tw_header(w, id, SL_TC_I16);
    sl_tw_varint(w->buf, sl_tw_zigzag64(v));
}

void sl_tw_field_i32(sl_tw *w, int16_t id, int32_t v)
{
    sl_tw_header(w, id, SL_TC_I32);
    sl_tw_varint(w->buf, sl_tw_zigzag64(v));
}

void sl_tw_field_i64(sl_tw *w, int16_t id, int64_t v)
{
    sl_tw_header(w, id, SL_TC_I64);
    sl_tw_varint(w->buf, sl_tw_zigzag64(v));
}

void sl_tw_field_double(sl_tw *w, int16_t id, double v)
{
    sl_tw_header(w, id, SL_TC_DOUBLE);
    uint64_t bits;
    memcpy(&bits, &v, 8);
    uint8_t le[8];
    for (int i = 0; i < 8; i++) le[i] = (uint8_t)(bits >> (8 * i));
    sl_buf_append(w->buf, le, 8);
}

void sl_tw_field_binary(sl_tw *w, int16_t id, const void *p, size_t n)
{
    sl_tw_header(w, id, SL_TC_BINARY);
    sl_tw_varint(w->buf, n);
    sl_buf_append(w->buf, p, n);
}

void sl_tw_field_string(sl_tw *w, int16_t id, const char *s)
{
    sl_tw_field_binary(w, id, s, strlen(s));
}

void sl_tw_field_struct(sl_tw *w, int16_t id)
{
    sl_tw_header(w, id, SL_TC_STRUCT);
    sl_tw_push(w);
}

void sl_tw_field_list(sl_tw *w, int16_t id, int elem_type, size_t n)
{
    sl_tw_header(w, id, SL_TC_LIST);
    if (n < 15) {
        sl_buf_push(w->buf, (uint8_t)((n << 4) | (size_t)elem_type));
    } else {
        sl_buf_push(w->buf, (uint8_t)(0xF0 | elem_type));
        sl_tw_varint(w->buf, n);
    }
}

void sl_tw_elem_i32(sl_tw *w, int32_t v)
{
    sl_tw_varint(w->buf, sl_tw_zigzag64(v));
}

void sl_tw_elem_i64(sl_tw *w, int64_t v)
{
    sl_tw_varint(w->buf, sl_tw_zigzag64(v));
}

void sl_tw_elem_binary(sl_tw *w, const void *p, size_t n)
{
    sl_tw_varint(w->buf, n);
    sl_buf_append(w->buf, p, n);
}

void sl_tw_elem_string(sl_tw *w, const char *s)
{
    sl_tw_elem_binary(w, s, strlen(s));
}

void sl_tw_elem_struct(sl_tw *w)
{
    sl_tw_push(w);
}

void sl_tw_raw(sl_tw *w, const void *p, size_t n)
{
    sl_buf_append(w->buf, p, n);
}
