/*
 * sl_thrift_write.h - Thrift compact protocol ENCODER (the writer half; the
 * decoder is sl_thrift_read.*). Writes into an sl_buf.
 *
 * Structs nest: sl_tw_struct_begin() opens the top-level struct (no field
 * header), sl_tw_field_struct() opens a struct-typed field, and
 * sl_tw_struct_end() writes the stop byte and returns to the parent. Field
 * ids must increase within a struct (delta-encoded headers; deltas above 15
 * fall back to the long form). Lists: sl_tw_field_list() writes the header
 * of a list of `n` elements of type `elem`, followed by the elements written
 * with sl_tw_elem_*() (for struct elements: sl_tw_elem_struct() ... 
 * sl_tw_struct_end()), or by raw pre-encoded bytes (sl_tw_raw()).
 *
 *   sl_buf b = {0}; sl_tw w; sl_tw_init(&w, &b);
 *   sl_tw_struct_begin(&w); sl_tw_field_i32(&w, 1, 1); sl_tw_struct_end(&w);
 *   // b holds 0x15 0x02 0x00
 */
#ifndef SL_THRIFT_WRITE_H
#define SL_THRIFT_WRITE_H

#include "../core/sl_buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Compact protocol type codes. */
enum {
    SL_TC_STOP = 0,
    SL_TC_TRUE = 1,
    SL_TC_FALSE = 2,
    SL_TC_I8 = 3,
    SL_TC_I16 = 4,
    SL_TC_I32 = 5,
    SL_TC_I64 = 6,
    SL_TC_DOUBLE = 7,
    SL_TC_BINARY = 8,
    SL_TC_LIST = 9,
    SL_TC_SET = 10,
    SL_TC_MAP = 11,
    SL_TC_STRUCT = 12,
};

#define SL_TW_MAX_DEPTH 32

typedef struct sl_tw {
    sl_buf *buf;
    int depth;
    int16_t last_id[SL_TW_MAX_DEPTH];
} sl_tw;

void sl_tw_init(sl_tw *w, sl_buf *buf);

/* Raw primitives (no field header). */
void sl_tw_varint(sl_buf *b, uint64_t v);
static inline uint64_t sl_tw_zigzag64(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }

void sl_tw_struct_begin(sl_tw *w);      /* top level or list element */
void sl_tw_struct_end(sl_tw *w);        /* stop byte; back to the parent */

void sl_tw_field_bool(sl_tw *w, int16_t id, bool v);
void sl_tw_field_i8(sl_tw *w, int16_t id, int8_t v);
void sl_tw_field_i16(sl_tw *w, int16_t id, int16_t v);
void sl_tw_field_i32(sl_tw *w, int16_t id, int32_t v);
void sl_tw_field_i64(sl_tw *w, int16_t id, int64_t v);
void sl_tw_field_double(sl_tw *w, int16_t id, double v);
void sl_tw_field_binary(sl_tw *w, int16_t id, const void *p, size_t n);
void sl_tw_field_string(sl_tw *w, int16_t id, const char *s);
void sl_tw_field_struct(sl_tw *w, int16_t id);   /* then fields, then sl_tw_struct_end */
void sl_tw_field_list(sl_tw *w, int16_t id, int elem_type, size_t n);

/* List elements. */
void sl_tw_elem_i32(sl_tw *w, int32_t v);
void sl_tw_elem_i64(sl_tw *w, int64_t v);
void sl_tw_elem_binary(sl_tw *w, const void *p, size_t n);
void sl_tw_elem_string(sl_tw *w, const char *s);
void sl_tw_elem_struct(sl_tw *w);       /* then fields, then sl_tw_struct_end */
/* Pre-encoded bytes (a struct encoded elsewhere with its own sl_tw). */
void sl_tw_raw(sl_tw *w, const void *p, size_t n);

#endif
