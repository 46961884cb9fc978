/*
 * sl_receipt.h - a load receipt: what a task (or a table) moved, computed
 * from the batches on the way, so that a person or a program can check it
 * later against the published files or the source.
 *
 * Per receipt the rows; per column the non-null count, min and max, and for
 * integers, decimals and booleans the exact sum (booleans: how many are
 * true). Choices (README "Receipts"):
 *   - sums are exact: 128-bit integers (unscaled for decimals); a sum that
 *     leaves the 128-bit range is "overflow", never a wrong number;
 *   - floats have no sum (a double sum depends on the order of the additions:
 *     tasks, resumes and a source's SUM would differ in the last bits); their
 *     min/max use a total order: every NaN equal and above +Infinity (as
 *     PostgreSQL and `sluice cat --where` sort), and -0 below +0, so that
 *     min/max do not depend on the order rows come in;
 *   - strings, json and bytes compare as unsigned bytes (memcmp, then
 *     length), as Parquet statistics do; min/max keep at most
 *     SL_RECEIPT_BYTES bytes (a longer value's prefix, marked "cut").
 *     Cutting to a byte prefix keeps the order, so the min of cut values is
 *     the cut of the min: merged receipts equal one computed in one pass;
 *   - uuid compares as 16 unsigned bytes; dates, times and timestamps as
 *     their integers.
 *
 *   sl_receipt *r = sl_receipt_new(schema);
 *   per batch: sl_receipt_add(r, batch);           (no allocation)
 *   sl_receipt_encode(r, &buf) / sl_receipt_decode  (the state store's blob)
 *   sl_receipt_merge(table, task)                  (a table's from its tasks)
 *   sl_receipt_json(r, schema, &buf)               (the manifest's text)
 *   sl_receipt_free(r);
 *
 * Two receipts of the same rows in the same task order are byte-for-byte
 * the same text, however the rows were cut into batches.
 */
#ifndef SL_RECEIPT_H
#define SL_RECEIPT_H

#include "sl_buf.h"
#include "sl_error.h"
#include "sl_types.h"

#include <stdbool.h>
#include <stdint.h>

#define SL_RECEIPT_BYTES 64

typedef struct sl_receipt_col {
    sl_type type;
    int64_t non_null;
    bool has_minmax;
    bool min_cut, max_cut;     /* var width: a prefix of a longer value */
    bool sums;                 /* the type has a sum */
    bool sum_overflow;
    union { int64_t i; sl_i128 d; double f; } min, max;   /* fixed width (uuid: in vmin/vmax) */
    uint8_t vmin[SL_RECEIPT_BYTES], vmax[SL_RECEIPT_BYTES];
    uint8_t vmin_len, vmax_len;
    sl_i128 sum;
} sl_receipt_col;

typedef struct sl_receipt {
    int64_t rows;
    int ncols;
    sl_receipt_col *cols;
} sl_receipt;

sl_receipt *sl_receipt_new(const sl_schema *schema);
void sl_receipt_reset(sl_receipt *r);
void sl_receipt_free(sl_receipt *r);
/* Adds the batch's rows (its columns must be the receipt's schema's). */
void sl_receipt_add(sl_receipt *r, const sl_batch *b);
/* into += from (same schema). */
void sl_receipt_merge(sl_receipt *into, const sl_receipt *from);

/* A compact binary form (native byte order: for the state store beside
 * the run, not for exchange). decode fills r, made for the same schema;
 * -1 with err when the bytes are not a receipt of that schema. */
void sl_receipt_encode(const sl_receipt *r, sl_buf *out);
int sl_receipt_decode(sl_receipt *r, const void *p, size_t len, sl_err *err);

/* {"rows": N, "columns": [ one object per column ]}: each column object
 * on a line of its own after `indent` (NULL: all on one line):
 *   {"name": "amount", "type": "decimal(12,2)", "non_null": 3, "min": "1.50",
 *    "max": "9.00", "sum": "12.00"}
 * min/max/sum are JSON strings in sluice's text forms (exact decimals, ISO
 * times; bytes as \x hex); "min_cut"/"max_cut": true mark prefixes; no
 * min/max when the column has no value; "sum": "overflow" when it left
 * the 128-bit range. */
void sl_receipt_json(const sl_receipt *r, const sl_schema *schema, const char *indent, sl_buf *out);

/* The value of "key" in one column object of that JSON: a string's
 * unescaped text, or a number's text, into out; false when absent. */
bool sl_receipt_json_field(const char *line, const char *key, char *out, size_t size);
/* Walks the column objects of a receipt's JSON: sl_receipt_json_columns
 * gives where they start (after the first "columns": [ at or after p, NULL
 * when none); each sl_receipt_json_column copies the next column object
 * into out (cut to size) and returns where to go on, NULL after the last. */
const char *sl_receipt_json_columns(const char *p);
const char *sl_receipt_json_column(const char *p, char *out, size_t size);
/* Compares the receipt JSON `got` with the reference `want`: the rows, then
 * column by column every field; appends a line per difference to report
 * ("column amount: sum: <want_label> 1.00, <got_label> 1.01\n"). With
 * `partial` (got is a source's own aggregates): fields got lacks, the type,
 * and a sum want marks "overflow" are not compared, a min or max that
 * want marks cut is compared as a prefix, and -0 equals 0 (a source orders
 * them as equal). Returns the number of differences. */
int sl_receipt_json_diff(const char *want, const char *got, bool partial, const char *want_label,
                         const char *got_label, sl_buf *report);
/* One column object as a readable line: "amount  decimal(12,2)  non-null 3
 * min 1.50  max 9.00  sum 12.00", into out. */
void sl_receipt_column_text(const char *column, char *out, size_t size);

#endif
