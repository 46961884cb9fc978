/*
 * sl_pg_copy.h - decoder of PostgreSQL's binary COPY format into batches.
 *
 * A pure function over byte buffers (no libpq, no I/O), so it can be fuzzed
 * and unit-tested on hand-made bytes. The stream is:
 *   header   "PGCOPY\n\377\r\n\0", int32 flags, int32 extension length + bytes
 *   tuples   int16 field count, then per field int32 length (-1: NULL) + bytes
 *   trailer  int16 -1
 * all integers big-endian. Each column has a wire kind (how PostgreSQL sends
 * it) and a logical type (what the batch holds); sl_pg_copy_decode() turns
 * complete tuples into batch rows, one switch per field, no allocation other
 * than the batch's own heaps growing.
 *
 *   sl_pg_copy st; sl_pg_copy_init(&st, cols, ncols, "public.t");
 *   loop: n = sl_pg_copy_decode(&st, p, len, batch, &used, err);  // rows added
 *         keep p[used..len) and append the next bytes to it
 *   end:  sl_pg_copy_finish(&st, bytes_left, err);   // truncated stream?
 *
 * Value conversions (exact, never through double):
 *   numeric  base-10000 digits -> unscaled int64/int128 at the column's scale;
 *            a value with more fractional digits than the scale, more digits
 *            than the precision, or NaN/±Infinity is an SL_EDATA error naming
 *            the column and row.
 *   date     days since 2000-01-01 + 10957; timestamp µs + 946684800000000.
 *            ±infinity dates and timestamps are SL_EDATA errors naming the
 *            column and row, with the remedy (filter or cast them in a query:).
 *   jsonb    version byte 1 skipped; json, text, bpchar (padding kept), bytea
 *            and uuid bytes as they are.
 *   text     into a string or json column only when it is well-formed UTF-8
 *            (sl_utf8_check, unless check_utf8 is cleared: the source does
 *            so when the server converts text to UTF-8, i.e. for every
 *            database encoding but SQL_ASCII, which stores any bytes); else
 *            an SL_EDATA error naming the column, row and byte, with the
 *            remedy.
 *   arrays   (SL_PGW_ARRAY, into a LIST column): ndim, has-null flag,
 *            element oid, then per dimension size and lower bound, then the
 *            elements as fields (length -1: NULL element). ndim 0 is an empty
 *            list (any lower bound is dropped); more than one dimension is
 *            an SL_EDATA error naming column and row, with the remedies.
 *   "char"   one raw byte, printed as PostgreSQL's text output does (since
 *            PostgreSQL 15): 0 -> '', ASCII -> itself, >= 0x80 -> "\351".
 */
#ifndef SL_PG_COPY_H
#define SL_PG_COPY_H

#include "../core/sl_error.h"
#include "../core/sl_types.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SL_PGW_BOOL,       /* 1 byte */
    SL_PGW_INT2,
    SL_PGW_INT4,
    SL_PGW_INT8,
    SL_PGW_FLOAT4,
    SL_PGW_FLOAT8,
    SL_PGW_NUMERIC,    /* -> DECIMAL(p,s) */
    SL_PGW_TEXT,       /* text, varchar, bpchar, name, enum, citext, json, bytea */
    SL_PGW_JSONB,      /* version byte then text */
    SL_PGW_DATE,
    SL_PGW_TIME,
    SL_PGW_TIMESTAMP,  /* timestamp and timestamptz */
    SL_PGW_UUID,
    SL_PGW_CHAR,       /* "char": one byte -> its text form (>= 0x80 as \ooo) */
    SL_PGW_ARRAY,      /* one-dimensional array of elem_wire -> LIST */
    SL_PGW_COUNT
} sl_pg_wire;

typedef struct sl_pg_copy_col {
    const char *name;  /* for error messages */
    sl_pg_wire wire;
    sl_type type;      /* the batch column's type; must match the wire kind */
    sl_pg_wire elem_wire;  /* SL_PGW_ARRAY: the elements' wire kind */
} sl_pg_copy_col;

typedef struct sl_pg_copy {
    const sl_pg_copy_col *cols;
    int ncols;
    const char *what;  /* "table public.t", for error messages */
    bool check_utf8;   /* text into string/json checked (default); off when
                        * the server already converted it to UTF-8 */
    bool header_done;
    bool trailer_seen;
    uint64_t rows;     /* tuples decoded so far */
} sl_pg_copy;

void sl_pg_copy_init(sl_pg_copy *st, const sl_pg_copy_col *cols, int ncols, const char *what);

/* Decodes as many complete tuples of p[0..len) as fit in batch (appending at
 * batch->nrows and advancing it). *used gets the bytes consumed (header,
 * whole tuples, trailer); the rest is an incomplete tuple to be completed with
 * more bytes. Returns the rows added (0 is fine: need more bytes, batch full
 * or trailer seen), -1 with err set on malformed input or a bad value. */
long sl_pg_copy_decode(sl_pg_copy *st, const uint8_t *p, size_t len, sl_batch *batch,
                       size_t *used, sl_err *err);

/* At the end of the stream: an error when the trailer is missing or `left`
 * bytes remain undecoded. */
int sl_pg_copy_finish(const sl_pg_copy *st, size_t left, sl_err *err);

/* Numeric from its binary form (ndigits, weight, sign, dscale, digits) to an
 * unscaled integer at `scale`, checked against `precision`. Exposed for tests.
 * Returns 0, or -1 with a message (no context) in err. */
int sl_pg_numeric_decode(const uint8_t *p, size_t len, int precision, int scale,
                         sl_i128 *out, sl_err *err);

#endif
