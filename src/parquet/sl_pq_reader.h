/*
 * sl_pq_reader.h - reads a Parquet file into sl_batch batches.
 *
 *   sl_err err = SL_ERR_INIT;
 *   sl_pq_reader *r = sl_pq_reader_open("x.parquet", &err);
 *   const char *cols[] = { "id", "amount" };
 *   sl_pq_reader_select(r, cols, 2, &err);          // or (r, NULL, 0): all columns
 *   sl_pq_reader_filter(r, "amount", SL_PQ_OP_GT, "100", &err);   // optional
 *   sl_batch *b = sl_batch_new(sl_pq_reader_schema(r), 0);
 *   while ((n = sl_pq_reader_next(r, b, &err)) > 0) { ... b->nrows rows ... }
 *   if (n < 0) ... err.msg names the file, row group, column, page and problem
 *   sl_batch_free(b); sl_pq_reader_close(r);
 *
 * Only the selected columns are decoded; a filter skips row groups whose
 * min/max statistics exclude it (rows themselves are not filtered: callers
 * use sl_pq_filter_match per row). Memory is bounded by one column chunk's
 * compressed bytes (the file is memory-mapped, nothing is copied) plus one
 * decompressed page and one batch per selected column.
 *
 * Type mapping (Parquet -> sl_type): INT96 -> timestamp (nanos -> micros);
 * DECIMAL on INT32/INT64/BYTE_ARRAY/FLBA -> decimal(p,s) (p <= 38);
 * INTEGER(8|16) -> int16, uint8 -> int16, uint16 -> int32, uint32 -> int64,
 * uint64 -> decimal(20,0); TIME/TIMESTAMP MILLIS and NANOS -> micros;
 * STRING/ENUM/UTF8 -> string; JSON -> json; BSON, unannotated BYTE_ARRAY and
 * FLBA, INTERVAL -> bytes; UUID -> uuid; FLOAT16 -> float32. Nested columns
 * (LIST, MAP, STRUCT, repeated) are refused when selected: "column X is
 * nested (LIST/MAP/STRUCT): not supported yet".
 *
 * Lifetime: sl_pq_reader_close frees the reader, its schema and metadata.
 * sl_pq_reader_open_mem borrows the buffer, which must outlive the reader.
 */
#ifndef SL_PQ_READER_H
#define SL_PQ_READER_H

#include "core/sl_buf.h"
#include "core/sl_error.h"
#include "core/sl_types.h"
#include "sl_pq_meta.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_pq_reader sl_pq_reader;

sl_pq_reader *sl_pq_reader_open(const char *path, sl_err *err);
sl_pq_reader *sl_pq_reader_open_mem(const void *data, size_t len, const char *name, sl_err *err);

/* A file read by byte ranges (an object in an object store): its size and
 * read_at, which appends [off, off + len) to out. The reader reads the
 * footer (the file's last 64 KiB, then the rest of a larger footer) and, per
 * row group, each selected column chunk (by its recorded size): never the
 * whole file. Memory: one column chunk per selected column. close (may be
 * NULL) is called with ctx by sl_pq_reader_close, or when open fails. */
typedef struct sl_pq_input {
    void *ctx;
    uint64_t size;
    int (*read_at)(void *ctx, uint64_t off, size_t len, struct sl_buf *out, sl_err *err);
    void (*close)(void *ctx);
} sl_pq_input;
sl_pq_reader *sl_pq_reader_open_input(const sl_pq_input *in, const char *name, sl_err *err);
void sl_pq_reader_close(sl_pq_reader *r);

const char *sl_pq_reader_name(const sl_pq_reader *r);
const sl_pq_file_meta *sl_pq_reader_meta(const sl_pq_reader *r);
uint64_t sl_pq_reader_file_size(const sl_pq_reader *r);
/* CRC-32 of the footer bytes (metadata, its length, the end magic), read
 * anyway at open: a cheap identity of the file's content (a rewritten file
 * has another footer: offsets, statistics, sizes). */
uint32_t sl_pq_reader_footer_crc(const sl_pq_reader *r);

/* Top-level columns by name; n == 0 selects all of them, in file order.
 * Fails for unknown, nested or unsupported columns. */
int sl_pq_reader_select(sl_pq_reader *r, const char *const *names, int n, sl_err *err);
/* Schema of the selection (selects all columns first if nothing was
 * selected; NULL with err set when that fails). Owned by the reader. */
const sl_schema *sl_pq_reader_schema(sl_pq_reader *r, sl_err *err);

/* Fills b (a batch of the selection's schema) with up to b->capacity rows;
 * returns the number of rows, 0 at the end, -1 on error. */
int64_t sl_pq_reader_next(sl_pq_reader *r, sl_batch *b, sl_err *err);

/* Restricts reading to row groups [first, first + count) and starts over
 * at `first` (for a task that reads part of a large file); the selection
 * and filter stay. Fails when the range is not inside the file. */
int sl_pq_reader_row_groups(sl_pq_reader *r, int first, int count, sl_err *err);

/* The sl_type a leaf column maps to; -1 (err says why) when unsupported or
 * nested. */
int sl_pq_reader_leaf_type(const sl_pq_reader *r, int leaf, sl_type *out, sl_err *err);

/* ---- predicates ---- */
typedef enum { SL_PQ_OP_EQ, SL_PQ_OP_NE, SL_PQ_OP_LT, SL_PQ_OP_LE, SL_PQ_OP_GT, SL_PQ_OP_GE } sl_pq_op;

/* A scalar of some sl_type, for comparisons. */
typedef struct sl_pq_value {
    sl_type type;
    int64_t i;        /* ints, bool, date, time, timestamp, decimal p <= 18 */
    sl_i128 d;        /* decimal p > 18 */
    double f;         /* floats */
    const uint8_t *p; /* string, bytes, json, uuid */
    size_t len;
    char *owned;      /* text parsed by sl_pq_value_parse (sl_free) */
} sl_pq_value;

/* Parses "col op value" (op one of = != <> < <= > >=; value may be quoted
 * with ' or "). col and value are sl_malloc'd. */
int sl_pq_filter_parse(const char *text, char **col, sl_pq_op *op, char **value, sl_err *err);
/* Sets a filter on a selected column: row groups whose statistics show that
 * no row can match are skipped. The value is parsed as the column's type. */
int sl_pq_reader_filter(sl_pq_reader *r, const char *column, sl_pq_op op, const char *value, sl_err *err);
/* Row-level test of the reader's filter on row `row` of b (true when no
 * filter is set). NULL never matches. */
bool sl_pq_filter_match(const sl_pq_reader *r, const sl_batch *b, size_t row);
/* Row groups skipped so far by statistics. */
int sl_pq_reader_skipped_row_groups(const sl_pq_reader *r);

int sl_pq_value_parse(sl_type t, const char *text, sl_pq_value *out, sl_err *err);
void sl_pq_value_from_vec(const sl_vector *v, size_t row, sl_pq_value *out);
/* -1, 0, 1 in the type's order; floats in PostgreSQL's and DuckDB's order:
 * NaN equals NaN and sorts above every number (+Infinity too). */
int sl_pq_value_cmp(const sl_pq_value *a, const sl_pq_value *b);

/* Formats a statistics value (raw bytes of leaf's physical type) as text in
 * the leaf's logical type ("2024-01-31", "12.50", a string); falls back to
 * hex. buf gets at most size bytes. */
const char *sl_pq_reader_stat_format(const sl_pq_reader *r, int leaf, const uint8_t *p, size_t len,
                                     char *buf, size_t size);

#endif
