/*
 * sl_thrift_read.h - a Thrift compact-protocol decoder over a bounded buffer.
 *
 * Reads field headers, zigzag varints (at most 10 bytes), binaries (length
 * checked against the bytes left), list headers (count checked against the
 * bytes left: every element takes at least one byte), doubles, and skips any
 * value of any type, with a nesting depth cap. It never allocates.
 *
 *   sl_tr t; sl_tr_init(&t, p, n, err);
 *   int16_t fid = 0; int type;
 *   while (sl_tr_field(&t, &fid, &type) == 0 && type != SL_TT_STOP) {
 *       switch (fid) {
 *       case 1: if (type == SL_TT_I32) { sl_tr_i32(&t, &x); break; } // fallthrough
 *       default: sl_tr_skip(&t, type);
 *       }
 *   }
 *   if (t.failed) ...   // err was filled by the first failure
 *
 * Errors are sticky: after the first failure every call returns -1 and the
 * sl_err names what was wrong and at which byte offset. Booleans in a struct
 * are carried by the field type (SL_TT_TRUE / SL_TT_FALSE: sl_tr_field_bool);
 * in a list they are one byte each (1 true, else false: list element type may
 * be written as 1 or 2).
 */
#ifndef SL_THRIFT_READ_H
#define SL_THRIFT_READ_H

#include "core/sl_error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sl_thrift_type {
    SL_TT_STOP = 0,
    SL_TT_TRUE = 1,
    SL_TT_FALSE = 2,
    SL_TT_I8 = 3,
    SL_TT_I16 = 4,
    SL_TT_I32 = 5,
    SL_TT_I64 = 6,
    SL_TT_DOUBLE = 7,
    SL_TT_BINARY = 8,
    SL_TT_LIST = 9,
    SL_TT_SET = 10,
    SL_TT_MAP = 11,
    SL_TT_STRUCT = 12,
};

/* Deepest nesting of structs/containers accepted (parquet needs < 10). */
#define SL_TR_MAX_DEPTH 64

typedef struct sl_tr {
    const uint8_t *start, *p, *end;
    int depth;
    bool failed;
    sl_err *err;
} sl_tr;

void sl_tr_init(sl_tr *t, const void *p, size_t n, sl_err *err);
static inline size_t sl_tr_left(const sl_tr *t) { return (size_t)(t->end - t->p); }
static inline size_t sl_tr_pos(const sl_tr *t) { return (size_t)(t->p - t->start); }
/* Fails the reader with a message (sticky); returns -1. */
int sl_tr_fail(sl_tr *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Next field header of the current struct. *last_id is the previous field id
 * (0 at the start of a struct) and becomes this one's. *type is SL_TT_STOP at
 * the end of the struct. Enters no struct: call sl_tr_struct_begin for that. */
int sl_tr_field(sl_tr *t, int16_t *last_id, int *type);
static inline bool sl_tr_field_bool(int type) { return type == SL_TT_TRUE; }

int sl_tr_u64(sl_tr *t, uint64_t *v);          /* raw ULEB128 varint */
int sl_tr_i8(sl_tr *t, int8_t *v);
int sl_tr_i16(sl_tr *t, int16_t *v);
int sl_tr_i32(sl_tr *t, int32_t *v);
int sl_tr_i64(sl_tr *t, int64_t *v);
int sl_tr_double(sl_tr *t, double *v);
/* A binary/string: *p points into the buffer, *len <= bytes left. */
int sl_tr_binary(sl_tr *t, const uint8_t **p, uint32_t *len);
/* A list or set header: element type and count (count <= bytes left). */
int sl_tr_list(sl_tr *t, int *elem_type, uint32_t *count);
/* A list<bool> element (one byte). */
int sl_tr_bool_elem(sl_tr *t, bool *v);
/* Struct nesting (depth cap). */
int sl_tr_struct_begin(sl_tr *t);
void sl_tr_struct_end(sl_tr *t);
/* Skips one value of the given type, including nested structs, lists, maps. */
int sl_tr_skip(sl_tr *t, int type);

#endif
