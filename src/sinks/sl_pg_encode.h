/*
 * sl_pg_encode.h - columnar batches -> PostgreSQL's binary COPY format, the
 * inverse of sources/sl_pg_copy.h, for loading a warehouse with
 * `COPY t FROM STDIN (FORMAT binary)`.
 *
 * A pure function over buffers (no libpq), so it is fuzzed and round-trip
 * tested against the decoder. Every logical type has one PostgreSQL column
 * type (sl_pg_encode_type_sql) and one wire form:
 *   bool boolean · int16/32/64 smallint/integer/bigint · float32/64 real/
 *   double precision · decimal(p,s) numeric(p,s) (base-10000 digits, exact)
 *   · string text · bytes bytea · json jsonb (version byte 1, then the text)
 *   · date date · time time · timestamp timestamp / timestamptz · uuid uuid.
 *
 *   sl_buf out = {0};
 *   sl_pg_encode_header(&out);
 *   sl_pg_encode_rows(batch, 0, batch->nrows, &out, &row_err);   // repeat
 *   sl_pg_encode_trailer(&out);
 *
 * Values PostgreSQL would refuse are caught here, with the column and row:
 * a NUL byte in text or json (PostgreSQL text cannot hold one), and dates or
 * timestamps that do not fit PostgreSQL's epoch-shifted ranges.
 */
#ifndef SL_PG_ENCODE_H
#define SL_PG_ENCODE_H

#include "../core/sl_buf.h"
#include "../core/sl_error.h"
#include "../core/sl_types.h"

#include <stddef.h>

void sl_pg_encode_header(sl_buf *out);
void sl_pg_encode_trailer(sl_buf *out);

/* Appends rows [from, to) of b as tuples. Returns 0, or -1 with an SL_EDATA
 * error "column C: row R (of the batch, 1-based): ..." in err; out then holds
 * the tuples before that row. */
int sl_pg_encode_rows(const sl_batch *b, size_t from, size_t to, sl_buf *out, sl_err *err);

/* The PostgreSQL column type sluice creates for t: "numeric(12,2)", ... */
const char *sl_pg_encode_type_sql(sl_type t, char *buf, size_t size);

/* numeric's binary form of an unscaled value at `scale` (exposed for tests). */
void sl_pg_encode_numeric(sl_i128 unscaled, int scale, sl_buf *out);

#endif
