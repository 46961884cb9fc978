/*
 * test_job_checks.c - `checks:`, `on_bad_rows:` and `max_bad_rows:` in the
 * job file (job/sl_job_checks.c): every rule as written in issue 13, the
 * defaults, and each mistake as a job-file error at file:line:column (an
 * unknown rule with "did you mean", a malformed regex, a fraction over
 * 100%, references to a table not in the job, a column the table lacks).
 * The column check against a source's schema is sl_check_bind (checks/).
 */
#include <criterion/criterion.h>

#include "checks/sl_check.h"
#include "job/sl_job.h"

#include <stdio.h>
#include <string.h>

static const char head[] =
    "sources:\n  shop: { kind: postgres, url: \"postgres://h/db\" }\n"
    "targets:\n  lake: { kind: parquet, path: lake }\n  dw: { kind: postgres, url: \"postgres://h/dw\" }\n"
    "tables:\n  customers: { from: shop, table: public.customers, to: lake }\n";

static sl_job *parse_tail(const char *tail, sl_err *err)
{
    char text[8192];
    snprintf(text, sizeof text, "%s%s", head, tail);
    sl_err_clear(err);
    return sl_job_parse(text, strlen(text), "jobs/job.yaml", err);
}

static void expect_error(const char *tail, const char *frag1, const char *frag2)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse_tail(tail, &err);
    cr_assert_null(job, "accepted: %s", tail);
    cr_assert_eq(err.code, SL_EJOB, "%s", err.msg);
    cr_assert(strstr(err.msg, frag1), "'%s' not in: %s", frag1, err.msg);
    if (frag2) cr_assert(strstr(err.msg, frag2), "'%s' not in: %s", frag2, err.msg);
}

static const char issue_example[] =
    "  orders:\n"
    "    from: shop\n"
    "    table: public.orders\n"
    "    to: [lake, dw]\n"
    "    checks:\n"
    "      - not_null: [id, customer_id]\n"
    "      - unique: [id]\n"
    "      - accepted_values: { status: [pending, shipped, delivered, cancelled, returned] }\n"
    "      - range: { amount: { min: 0, max: 100000 } }\n"
    "      - regex: { email: '^[^@ ]+@[^@ ]+$' }\n"
    "      - length: { country: { min: 2, max: 2 } }\n"
    "      - row_count: { min: 1000 }\n"
    "      - row_count: { matches: source }\n"
    "      - references: { customer_id: customers.id }\n"
    "      - expression: \"shipped_at is null or shipped_at >= created_at\"\n"
    "      - freshness: { column: created_at, max_age: 1d }\n"
    "      - schema: { columns: { id: int64, amount: \"decimal(12,2)\" } }\n"
    "      - { unique: [email], severity: warn }\n"
    "    max_bad_rows: 100\n";

Test(job_checks, issue_example)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse_tail(issue_example, &err);
    cr_assert_not_null(job, "%s", err.msg);
    const sl_job_table *t = &job->tables[1];
    cr_assert_eq(t->nchecks, 13);
    cr_assert_eq(t->on_bad_rows, SL_BAD_ROWS_FAIL);
    cr_assert_eq(t->max_bad_rows, 100);
    cr_assert(t->max_bad_fraction < 0);
    const sl_job_check *c = t->checks;
    cr_assert_eq(c[0].kind, SL_CHECK_NOT_NULL);
    cr_assert_eq(c[0].ncols, 2);
    cr_assert_str_eq(c[0].name, "not_null(id, customer_id)");
    cr_assert_eq(c[0].line, 13);
    cr_assert_eq(c[0].column, 9);
    cr_assert_eq(c[2].kind, SL_CHECK_ACCEPTED_VALUES);
    cr_assert_eq(c[2].nvalues, 5);
    cr_assert_str_eq(c[2].values[4], "returned");
    cr_assert_str_eq(c[3].min, "0");
    cr_assert_str_eq(c[3].max, "100000");
    cr_assert_str_eq(c[4].pattern, "^[^@ ]+@[^@ ]+$");
    cr_assert_eq(c[5].kind, SL_CHECK_LENGTH);
    cr_assert_str_eq(c[6].min, "1000");
    cr_assert(c[7].matches_source);
    cr_assert_eq(c[8].kind, SL_CHECK_REFERENCES);
    cr_assert_eq(c[8].ref, &job->tables[0]);
    cr_assert_str_eq(c[8].ref_column, "id");
    cr_assert_str_eq(c[9].expr, "shipped_at is null or shipped_at >= created_at");
    cr_assert_float_eq(c[10].max_age_s, 86400, 1e-9);
    cr_assert_eq(c[11].ncols, 2);
    cr_assert_eq(c[11].types[1].id, SL_T_DECIMAL);
    cr_assert(c[12].warn);
    cr_assert(!c[1].warn);
    sl_job_free(job);
}

Test(job_checks, fraction)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse_tail("  orders:\n    from: shop\n    table: o\n    to: lake\n"
                             "    checks: [ { not_null: id } ]\n    on_bad_rows: fail\n    max_bad_rows: 0.1%\n",
                             &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_eq(job->tables[1].on_bad_rows, SL_BAD_ROWS_FAIL);
    cr_assert_float_eq(job->tables[1].max_bad_fraction, 0.001, 1e-12);
    sl_job_free(job);
}

/* drop and quarantine: every bad row split off unless max_bad_rows says how many may be. */
Test(job_checks, drop_and_quarantine)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse_tail("  orders:\n    from: shop\n    table: o\n    to: [lake, dw]\n"
                             "    checks: [ { not_null: id } ]\n    on_bad_rows: quarantine\n"
                             "  o2:\n    from: shop\n    table: o\n    to: [dw, lake]\n"
                             "    checks: [ { not_null: id } ]\n    on_bad_rows: drop\n    max_bad_rows: 10\n",
                             &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_eq(job->tables[1].on_bad_rows, SL_BAD_ROWS_QUARANTINE);
    cr_assert_eq(job->tables[1].max_bad_rows, INT64_MAX);
    cr_assert_eq(job->tables[2].on_bad_rows, SL_BAD_ROWS_DROP);
    cr_assert_eq(job->tables[2].max_bad_rows, 10);
    sl_job_free(job);
    /* A quarantine needs a lake target to be published in. */
    expect_error("  orders:\n    from: shop\n    table: o\n    to: dw\n    on_bad_rows: quarantine\n",
                 "jobs/job.yaml:12:18:", "quarantine writes <table>__rejected beside the table in a lake target");
}

Test(job_checks, unknown_rule_did_you_mean)
{
    expect_error("  orders:\n    from: shop\n    table: o\n    to: lake\n    checks:\n      - not_nul: [id]\n",
                 "jobs/job.yaml:13:9:", "unknown rule 'not_nul' (did you mean 'not_null'?)");
}

Test(job_checks, malformed_regex)
{
    expect_error("  orders:\n    from: shop\n    table: o\n    to: lake\n    checks:\n      - regex: { email: '([a-z' }\n",
                 "jobs/job.yaml:13:25:", "malformed regex '([a-z'");
}

Test(job_checks, fraction_over_100)
{
    expect_error("  orders:\n    from: shop\n    table: o\n    to: lake\n    checks: [ { not_null: id } ]\n"
                 "    max_bad_rows: 150%\n",
                 "jobs/job.yaml:13:19:", "150% is over 100% of the rows");
}

Test(job_checks, references_unknown_table)
{
    expect_error("  orders:\n    from: shop\n    table: o\n    to: lake\n    checks:\n"
                 "      - references: { customer_id: customer.id }\n",
                 "jobs/job.yaml:13:23:", "table 'customer' is not a table of this job (did you mean 'customers'?)");
}

Test(job_checks, references_not_table_column)
{
    expect_error("  orders:\n    from: shop\n    table: o\n    to: lake\n    checks:\n"
                 "      - references: { customer_id: customers }\n",
                 "jobs/job.yaml:13:36:", "is not table.column");
}

Test(job_checks, more_mistakes)
{
    expect_error("  orders:\n    from: shop\n    table: o\n    to: lake\n    checks:\n      - { not_null: [id], unique: [id] }\n",
                 "one rule per item", NULL);
    expect_error("  orders:\n    from: shop\n    table: o\n    to: lake\n    checks:\n      - { not_null: [id], severity: fatal }\n",
                 "fatal", NULL);
    expect_error("  orders:\n    from: shop\n    table: o\n    to: lake\n    checks:\n      - range: { amount: { min: 5, max: 1 } }\n",
                 "min 5 is above max 1", NULL);
    expect_error("  orders:\n    from: shop\n    table: o\n    to: lake\n    checks:\n      - freshness: { column: t, max_age: soon }\n",
                 "is not an age", NULL);
    expect_error("  orders:\n    from: shop\n    table: o\n    to: dw\n    checks:\n      - not_null: [id]\n",
                 "add a parquet or duckdb target", NULL);
    expect_error("  orders:\n    from: shop\n    table: o\n    to: lake\n    on_bad_rows: dorp\n",
                 "dorp", NULL);
    expect_error("  orders:\n    from: shop\n    table: o\n    to: lake\n    checks: [ { not_null: id } ]\n    max_bad_rows: -3\n",
                 "max_bad_rows", NULL);
}

Test(job_checks, csv_columns_known_at_load)
{
    sl_err err = SL_ERR_INIT;
    const char *text = "sources:\n  f: { kind: csv, path: in }\ntargets:\n  lake: { kind: parquet, path: lake }\n"
                       "tables:\n  t:\n    from: f\n    file: t.csv\n    to: lake\n"
                       "    columns: { id: int64, name: text }\n    checks:\n      - not_null: [idd]\n";
    sl_job *job = sl_job_parse(text, strlen(text), "j.yaml", &err);
    cr_assert_null(job);
    cr_assert(strstr(err.msg, "j.yaml:12:19:"), "%s", err.msg);
    cr_assert(strstr(err.msg, "'idd' is not among the table's columns"), "%s", err.msg);
}

/* A column missing from the source's schema: found when the table is prepared, at the rule's place. */
Test(job_checks, bind_missing_column)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse_tail("  orders:\n    from: shop\n    table: o\n    to: lake\n    checks:\n"
                             "      - not_null: [id]\n      - accepted_values: { stauts: [a] }\n", &err);
    cr_assert_not_null(job, "%s", err.msg);
    sl_schema *s = sl_schema_new(2);
    s->fields[0].name = "id";
    s->fields[0].type.id = SL_T_INT64;
    s->fields[1].name = "status";
    s->fields[1].type.id = SL_T_STRING;
    cr_assert_eq(sl_check_bind(job->file, &job->tables[1], s, &err), -1);
    cr_assert_eq(err.code, SL_EJOB);
    cr_assert(strstr(err.msg, "jobs/job.yaml:14:28:"), "%s", err.msg);
    cr_assert(strstr(err.msg, "no column 'stauts'"), "%s", err.msg);
    cr_assert(strstr(err.msg, "did you mean 'status'?"), "%s", err.msg);
    s->fields[0].name = s->fields[1].name = NULL;
    sl_schema_free(s);
    sl_job_free(job);
}
