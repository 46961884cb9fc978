/*
 * sl_check_row.h - row-level rules judged on the batches of a task, in the
 * task loop (exec/sl_task.c), while the rows pass on their way to the sinks.
 *
 * Which rules: not_null (any type), accepted_values (text and integer
 * columns), range (integer, float and decimal columns up to 18 digits),
 * regex (text; POSIX extended, on a NUL-terminated copy; compiled once per
 * task so threads never share a regex_t), length (text, in characters).
 * The rest of the row-level rules (expression, references, and the above on
 * other types) are judged on the staged output by DuckDB as before
 * (sl_check.c). A table whose key (or, without a key, first column) is not
 * an integer or text column has no rule judged here (its example keys could
 * not be ordered as DuckDB orders them).
 *
 *   sl_check_row *ev = sl_check_row_new(cfg, schema);   NULL: no rule judged here
 *   per batch:  n = sl_check_row_batch(ev, batch);      ev->bad[row]: the first
 *               failing error-level rule + 1, 0 when the row passes them all
 *   sl_check_row_free(ev);
 *
 * Per rule a count and up to 5 example keys, the smallest (as DuckDB's
 * `order by` would give them: integers by value, text bytewise, NULL last),
 * so the examples merged over tasks are the table's 5 smallest. Memory: a
 * byte per batch row, fixed per rule; nothing allocated per row or batch.
 */
#ifndef SL_CHECK_ROW_H
#define SL_CHECK_ROW_H

#include "../core/sl_buf.h"
#include "../core/sl_types.h"
#include "../job/sl_job.h"

#include <stdbool.h>
#include <stdint.h>

#define SL_CHECK_ROW_EXAMPLES 5

typedef struct sl_check_example {
    bool null;                 /* the (first) key is NULL: sorts last */
    int64_t ikey;              /* an integer key's value */
    char text[96];             /* "id=4", "a=1/b=x" */
} sl_check_example;

/* One rule's findings in a task (or merged over tasks). */
typedef struct sl_check_row_counts {
    int64_t failing;           /* -1: the rule is not judged in the task loop */
    int nex;
    sl_check_example ex[SL_CHECK_ROW_EXAMPLES];
} sl_check_row_counts;

/* unique on one integer column, watched in the task loop: when each task's
 * keys arrive strictly increasing and the tasks' [min, max] do not overlap,
 * the column is unique and no query is needed (a range-partitioned table
 * read in key order, as a table loaded in key order usually is); otherwise
 * DuckDB's grouped query judges it. */
typedef struct sl_check_uniq {
    bool tracked;              /* a unique rule on one integer column */
    bool increasing;           /* so far every key > the one before */
    bool any;
    int64_t min, max;
} sl_check_uniq;

typedef struct sl_check_row sl_check_row;
struct sl_check_row {
    const sl_job_table *cfg;
    const sl_schema *schema;
    uint8_t *bad;              /* per row of the last batch: first failing error rule (cfg index) + 1 */
    sl_check_row_counts *counts;   /* cfg->nchecks entries */
    int64_t bad_rows;          /* rows failing some error-level rule judged here */
    bool key_int;
    sl_check_uniq *uniq;       /* cfg->nchecks entries */
    void *priv;
};

sl_check_row *sl_check_row_new(const sl_job_table *cfg, const sl_schema *schema);
void sl_check_row_free(sl_check_row *ev);
/* Whether checks[i] is judged here (the same answer for the same cfg and schema). */
bool sl_check_row_judges(const sl_check_row *ev, int i);
/* Judges a batch: counts, examples, ev->bad; returns the rows failing some error-level rule. */
size_t sl_check_row_batch(sl_check_row *ev, const sl_batch *b);
/* Why row failed rule i, for the quarantine's _reason: "amount -5.00 is below min 0". */
void sl_check_row_reason(const sl_check_row *ev, const sl_batch *b, size_t row, int i, char *out, size_t size);
/* Clears the counts (a new attempt). */
void sl_check_row_reset(sl_check_row *ev);

/* A unique rule's watch as stored in the state store ("1 1 4 9": increasing, any, min, max) and back. */
void sl_check_uniq_encode(const sl_check_uniq *u, sl_buf *out);
bool sl_check_uniq_decode(const char *text, sl_check_uniq *u);
/* Whether the tasks' watches prove the column unique (sorts u by min). */
bool sl_check_uniq_proven(sl_check_uniq *u, int n);

/* Examples as stored in the state store and back: one line per example. */
void sl_check_row_examples_encode(const sl_check_row_counts *c, sl_buf *out);
void sl_check_row_examples_decode(const char *text, sl_check_row_counts *c);
/* acc += one: counts add, the smallest examples stay. acc->failing -1 is taken as 0. */
void sl_check_row_merge(sl_check_row_counts *acc, const sl_check_row_counts *one, bool key_int);
/* "id=4, id=9" */
void sl_check_row_examples_text(const sl_check_row_counts *c, char *out, size_t size);

#endif
