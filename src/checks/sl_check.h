/*
 * sl_check.h - a table's data checks, judged on its staged output before it
 * is published (write, audit, publish).
 *
 * The rules come from the job file (job/sl_job_checks.h). sl_check_bind()
 * checks them against the table's columns once the source has described
 * them (plan, validate, run): a missing column is a job-file error at the
 * rule's file:line:column. sl_check_run() judges the staged Parquet files of
 * the table (never the live table) with an in-memory DuckDB
 * (store/sl_duck.h): one scan computes every row-level rule's count, the
 * freshness aggregates and the row count; `unique` is one grouped query;
 * examples (up to 5 keys, in key order) are fetched only for rules that
 * failed; `schema` compares the prepared column types without reading rows.
 *
 *   sl_check_report rep;
 *   sl_check_run(&in, &rep, err);   ... rep.failed: do not publish
 *   sl_check_report_free(&rep);
 *
 * An error-level rule that finds bad rows fails the table unless the rows
 * failing any error-level row rule stay within `max_bad_rows` (a count, or
 * a fraction of the rows); warn-level rules never fail it.
 */
#ifndef SL_CHECK_H
#define SL_CHECK_H

#include "../core/sl_error.h"
#include "../core/sl_types.h"
#include "../job/sl_job.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    SL_CHECK_PASS,       /* no bad rows */
    SL_CHECK_FAIL,       /* error level: the table is not published */
    SL_CHECK_WARN,       /* warn level found bad rows: published and reported */
    SL_CHECK_TOLERATED,  /* error level, but the bad rows stay within max_bad_rows */
} sl_check_status;

typedef struct sl_check_result {
    const sl_job_check *check;
    sl_check_status status;
    int64_t failing;           /* rows (set-level: what the rule counts: duplicated rows, mismatched columns) */
    char examples[512];        /* up to 5 keys: "id=4, id=9" */
    char detail[512];          /* what was found: "newest created_at 2026-01-01 00:00:00 is older than 1d" */
    double seconds;
} sl_check_result;

typedef struct sl_check_report {
    sl_check_result *results;  /* one per cfg->checks[i] */
    int n;
    int64_t rows;              /* rows in the staged table */
    int64_t bad_rows;          /* rows failing some error-level row rule */
    int64_t max_bad;           /* what max_bad_rows allows for this table */
    bool failed;               /* some error-level rule failed: do not publish */
    double seconds;
} sl_check_report;

/* What a table's checks read. */
typedef struct sl_check_input {
    const sl_job_table *cfg;
    const sl_schema *schema;
    char **files;              /* the table's staged Parquet files (absolute paths) */
    int nfiles;
    int64_t source_rows;       /* rows the tasks read from the source (row_count: matches: source); -1 unknown */
    /* references: per check (cfg->nchecks entries, NULL for other rules) the
     * referenced table's Parquet files; ref_note says why there are none */
    char ***ref_files;
    int *ref_nfiles;
    const char **ref_note;
    /* What the task loop judged (checks/sl_check_row.h), merged over the
     * tasks: per check its count and examples (failing -1: not judged there,
     * DuckDB judges it on the staged files); NULL: nothing. */
    const struct sl_check_row_counts *row_counts;
    int64_t row_bad;           /* rows failing some error-level rule judged in the loop */
    int64_t split_rows;        /* of those, split off the output (drop, quarantine) */
    int64_t staged_rows;       /* rows in the staged files (when no scan counts them) */
    const bool *unique_proven; /* per check: a unique rule the task loop proved (sl_check_row.h); may be NULL */
} sl_check_input;

/* Every column a rule names exists in schema; else an SL_EJOB error at the
 * rule's place in job_file, with "did you mean". */
int sl_check_bind(const char *job_file, const sl_job_table *cfg, const sl_schema *schema, sl_err *err);
int sl_check_run(const sl_check_input *in, sl_check_report *out, sl_err *err);
void sl_check_report_free(sl_check_report *r);
const char *sl_check_status_name(sl_check_status s);
/* The first failed error-level rule and the totals, one line:
 * "check not_null(id) failed: 3 bad rows of 1000 (examples: id=4, id=9, id=12)". */
void sl_check_report_text(const sl_check_report *r, char *out, size_t size);
/* "rule (severity)" lines for `plan`: "not_null(id), unique(id) [warn], ..." */
void sl_check_list_text(const sl_job_table *cfg, char *out, size_t size);

#endif
