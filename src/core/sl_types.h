/*
 * sl_types.h - logical types, schemas, column vectors and batches.
 *
 * Data moves through sluice as columnar batches: up to `capacity` rows (by
 * default SL_BATCH_ROWS), one vector per column. A vector holds
 *   - valid[row]: 1 when the value is present, 0 when NULL (a byte per row,
 *     not a bitmap: simpler and as fast at this batch size);
 *   - fixed-width types: `data`, capacity * sl_type_width() bytes, native
 *     endianness, value at data + row * width;
 *   - STRING, BYTES, JSON: `offsets` (capacity + 1 entries; value row is
 *     heap[offsets[row] .. offsets[row+1]) ) and a growable byte `heap`.
 * A NULL var-width value has offsets[row+1] == offsets[row].
 *   - LIST: `offsets` as for var width, but into the elements: row's list is
 *     child rows [offsets[row], offsets[row+1]) of `child`, a vector of the
 *     element type that grows as needed (child_cap rows); an element's NULL
 *     is the child's valid byte. A NULL list and an empty list both have no
 *     elements; valid tells them apart.
 *
 * Value representations (what every source produces and every sink reads):
 *   BOOL       uint8_t 0/1          INT16/32/64  int16_t/int32_t/int64_t
 *   FLOAT32/64 float/double         DATE         int32_t days since 1970-01-01
 *   TIME       int64_t µs since midnight
 *   TIMESTAMP  int64_t µs since 1970-01-01 00:00:00 (type.utc: UTC-adjusted)
 *   DECIMAL    unscaled integer: int64_t when precision <= 18, else sl_i128
 *   UUID       16 bytes, big-endian as written in text form
 *
 * Rows are appended in order: a source writes row r only after rows < r.
 * sl_batch_reset() empties a batch but keeps its memory (no per-batch malloc
 * once the heaps have grown to their working size).
 *
 * Lifetime: sl_schema_new/sl_schema_free; sl_batch_new/sl_batch_free. A batch
 * borrows its schema, which must outlive it.
 */
#ifndef SL_TYPES_H
#define SL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef __int128 sl_i128;

#define SL_BATCH_ROWS 8192

typedef enum {
    SL_T_BOOL,
    SL_T_INT16,
    SL_T_INT32,
    SL_T_INT64,
    SL_T_FLOAT32,
    SL_T_FLOAT64,
    SL_T_DECIMAL,
    SL_T_STRING,
    SL_T_BYTES,
    SL_T_DATE,
    SL_T_TIME,
    SL_T_TIMESTAMP,
    SL_T_UUID,
    SL_T_JSON,
    SL_T_LIST,           /* one-dimensional list of a scalar element type */
    SL_T_COUNT
} sl_type_id;

typedef struct sl_type {
    sl_type_id id;
    uint8_t precision;   /* DECIMAL: 1..38 */
    uint8_t scale;       /* DECIMAL: 0..precision */
    bool utc;            /* TIMESTAMP: adjusted to UTC (timestamptz) */
    uint8_t elem;        /* LIST: the element's sl_type_id; precision, scale
                          * and utc then describe the element */
} sl_type;

/* LIST <-> element: the element type of a list, a list of an element. */
static inline sl_type sl_type_elem(sl_type t)
{
    sl_type e = t;
    e.id = (sl_type_id)t.elem;
    e.elem = 0;
    return e;
}
static inline sl_type sl_type_list_of(sl_type e)
{
    sl_type t = e;
    t.elem = (uint8_t)e.id;
    t.id = SL_T_LIST;
    return t;
}

typedef struct sl_field {
    char *name;
    sl_type type;
    bool nullable;
} sl_field;

typedef struct sl_schema {
    int ncols;
    sl_field *fields;
} sl_schema;

/* Bytes per value of a fixed-width type; 0 for STRING, BYTES, JSON. */
size_t sl_type_width(sl_type t);
static inline bool sl_type_is_varlen(sl_type t)
{
    return t.id == SL_T_STRING || t.id == SL_T_BYTES || t.id == SL_T_JSON;
}
/* "int64", "decimal(12,2)", "timestamp", "timestamptz", ... into buf. */
const char *sl_type_format(sl_type t, char *buf, size_t size);
/* Parses the names sl_type_format() prints (and a few synonyms: int, bigint,
 * text, varchar, double, numeric(p,s), ...). Returns -1 when unknown. */
int sl_type_parse(const char *text, sl_type *out);
/* The names sl_type_parse accepts, comma separated, for error messages. */
const char *sl_type_names(void);

sl_schema *sl_schema_new(int ncols);                 /* fields zeroed */
void sl_schema_set(sl_schema *s, int col, const char *name, sl_type type, bool nullable);
sl_schema *sl_schema_copy(const sl_schema *s);
int sl_schema_find(const sl_schema *s, const char *name);   /* index or -1 */
void sl_schema_free(sl_schema *s);

typedef struct sl_vector {
    sl_type type;
    size_t width;        /* sl_type_width(type) */
    uint8_t *valid;      /* capacity bytes */
    uint8_t *data;       /* fixed width: capacity * width bytes */
    int64_t *offsets;    /* var width: capacity + 1 entries, offsets[0] == 0 */
    uint8_t *heap;       /* var width: bytes */
    size_t heap_len, heap_cap;
    struct sl_vector *child;   /* LIST: the elements */
    size_t child_cap;          /* LIST: rows child has room for */
} sl_vector;

typedef struct sl_batch {
    const sl_schema *schema;
    int ncols;
    size_t nrows;
    size_t capacity;
    sl_vector *cols;
} sl_batch;

sl_batch *sl_batch_new(const sl_schema *schema, size_t capacity);
void sl_batch_reset(sl_batch *b);
void sl_batch_free(sl_batch *b);
/* Keeps the rows of b whose drop[row] is 0, in order, in place (values,
 * validity, var-width bytes, list elements; no allocation). */
void sl_batch_keep(sl_batch *b, const uint8_t *drop);

/* Appending: rows must be written in order, each column once per row. */
void sl_vec_set_null(sl_vector *v, size_t row);
/* The value of src's row srow as dst's row drow (same type): NULL, bytes,
 * or a list with its elements. */
void sl_vec_copy_value(sl_vector *dst, size_t drow, const sl_vector *src, size_t srow);
/* Var width: stores bytes as value of `row` and marks it valid. */
void sl_vec_set_bytes(sl_vector *v, size_t row, const void *p, size_t len);
/* Var width: reserves len bytes for `row`, returns where to write them. */
uint8_t *sl_vec_reserve_bytes(sl_vector *v, size_t row, size_t len);
/* LIST: room for n elements of `row` (rows < row written); returns the child
 * row of the first. The caller fills child rows first.. first+n-1 in order
 * (sl_vec_slot, sl_vec_set_bytes, sl_vec_set_null on v->child), then calls
 * sl_vec_list_end(v, row, n). */
size_t sl_vec_list_begin(sl_vector *v, size_t row, size_t n);
static inline void sl_vec_list_end(sl_vector *v, size_t row, size_t n)
{
    v->valid[row] = 1;
    v->offsets[row + 1] = v->offsets[row] + (int64_t)n;
}
static inline void *sl_vec_slot(sl_vector *v, size_t row)
{
    v->valid[row] = 1;
    return v->data + row * v->width;
}
/* A DECIMAL value at row, whatever its width (int64 up to precision 18,
 * else 128 bits). set: the caller knows it fits the precision. */
static inline void sl_vec_set_decimal(sl_vector *v, size_t row, sl_i128 x)
{
    uint8_t *slot = sl_vec_slot(v, row);
    if (v->width == 8) {
        int64_t y = (int64_t)x;
        __builtin_memcpy(slot, &y, 8);
    } else {
        __builtin_memcpy(slot, &x, 16);
    }
}
static inline sl_i128 sl_vec_get_decimal(const sl_vector *v, size_t row)
{
    const uint8_t *slot = v->data + row * v->width;
    if (v->width == 8) {
        int64_t y;
        __builtin_memcpy(&y, slot, 8);
        return y;
    }
    sl_i128 x;
    __builtin_memcpy(&x, slot, 16);
    return x;
}
static inline const uint8_t *sl_vec_bytes(const sl_vector *v, size_t row, size_t *len)
{
    *len = (size_t)(v->offsets[row + 1] - v->offsets[row]);
    return v->heap + v->offsets[row];
}

/* Text forms shared by every place that prints values (csv sink, cat, tests).
 * Each writes into buf (size >= 64 suffices for all but var width) and returns
 * the length. Timestamps print as ISO 8601 ("2024-01-31 12:00:00.5+00" for
 * utc, no zone otherwise), dates "2024-01-31", times "12:00:00.000001". */
size_t sl_format_decimal(sl_i128 unscaled, int scale, char *buf);
size_t sl_format_date(int32_t days, char *buf);
size_t sl_format_time(int64_t micros, char *buf);
size_t sl_format_timestamp(int64_t micros, bool utc, char *buf);
size_t sl_format_uuid(const uint8_t u[16], char *buf);
size_t sl_format_float(double d, bool single, char *buf);   /* shortest round-trip */
/* Any fixed-width value of v at row, into buf (>= 64 bytes). */
size_t sl_format_fixed(const sl_vector *v, size_t row, char *buf);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d);
void sl_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
