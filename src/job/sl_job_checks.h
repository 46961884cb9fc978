/*
 * sl_job_checks.h - a table's data checks as the job file gives them
 * (`checks:`, `on_bad_rows:`, `max_bad_rows:`), parsed by sl_job_checks.c.
 *
 * One sl_job_check per rule and column: `accepted_values: {a: [...], b:
 * [...]}` becomes two checks, so each result names one column. Evaluation
 * lives in src/checks/ (a layer above the job model).
 */
#ifndef SL_JOB_CHECKS_H
#define SL_JOB_CHECKS_H

#include "../core/sl_types.h"

#include <stdbool.h>
#include <stdint.h>

/* Row-level rules first (a row fails them), set-level after. */
typedef enum {
    SL_CHECK_NOT_NULL,
    SL_CHECK_ACCEPTED_VALUES,
    SL_CHECK_RANGE,
    SL_CHECK_REGEX,
    SL_CHECK_LENGTH,
    SL_CHECK_EXPRESSION,
    SL_CHECK_REFERENCES,
    SL_CHECK_UNIQUE,
    SL_CHECK_ROW_COUNT,
    SL_CHECK_FRESHNESS,
    SL_CHECK_SCHEMA,
} sl_check_kind;

/* What happens to rows that fail an error-level row rule (`on_bad_rows:`):
 * they fail the table (beyond max_bad_rows), or the task loop splits them off
 * the output: into `<table>__rejected` (quarantine) or nowhere (drop). */
typedef enum { SL_BAD_ROWS_FAIL, SL_BAD_ROWS_QUARANTINE, SL_BAD_ROWS_DROP } sl_bad_rows;

struct sl_job_table;

typedef struct sl_job_check {
    sl_check_kind kind;
    bool warn;                 /* severity: warn (publishes, reported); default error */
    char *name;                /* "not_null(id, customer_id)": in messages, results, the state store */
    char **cols;               /* the columns it reads (schema: the columns it types) */
    int ncols;
    char **values;             /* accepted_values */
    int nvalues;
    char *min, *max;           /* range: literals as written; length, row_count: integers; NULL: no bound */
    bool matches_source;       /* row_count: { matches: source } */
    char *pattern;             /* regex (POSIX extended syntax) */
    char *expr;                /* expression: a SQL predicate; rows where it is false fail */
    char *ref_table, *ref_column;   /* references: customers.id */
    const struct sl_job_table *ref; /* the table ref_table names */
    double max_age_s;          /* freshness */
    sl_type *types;            /* schema: one per cols */
    int line, column;          /* where the rule is in the job file */
} sl_job_check;

/* Whether a rule judges rows one at a time (bad rows can be counted and quarantined). */
static inline bool sl_check_is_row_level(sl_check_kind k) { return k <= SL_CHECK_REFERENCES; }

#endif
