/*
 * test_job_incr.c - the job keys of incremental loads (src/job/sl_job_incr.c):
 * what is accepted, the defaults, and each refused combination with its
 * message.
 */
#include <criterion/criterion.h>

#include "job/sl_job.h"

#include <stdio.h>
#include <string.h>

static char text[4096];

/* A job with one table `t` read from a postgres source, with `keys` added to it. */
static const char *job_with(const char *targets, const char *to, const char *keys)
{
    snprintf(text, sizeof text,
             "name: j\n"
             "sources:\n"
             "  pg: { kind: postgres, url: \"postgres://h/db\" }\n"
             "  files: { kind: csv, path: ./in }\n"
             "targets:\n%s"
             "tables:\n"
             "  t:\n"
             "    from: pg\n"
             "    table: public.t\n"
             "    to: %s\n%s",
             targets, to, keys);
    return text;
}

#define LAKE "  lake: { kind: parquet, path: ./lake }\n  csvlake: { kind: csv, path: ./csv }\n" \
             "  dw: { kind: postgres, url: \"postgres://h/dw\" }\n  duck: { kind: duckdb, path: ./w.duckdb }\n"

static sl_job *parse(const char *t, sl_err *err)
{
    sl_err_clear(err);
    return sl_job_parse(t, strlen(t), "jobs/job.yaml", err);
}

static void expect_error(const char *t, const char *frag)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse(t, &err);
    cr_assert_null(job, "accepted: %s", t);
    cr_assert(strstr(err.msg, frag), "'%s' not in: %s", frag, err.msg);
}

Test(job_incr, merge_into_lake_and_warehouse)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse(job_with(LAKE, "[lake, dw]",
                                 "    incremental: { cursor: updated_at, lookback: 10m }\n"
                                 "    key: [id]\n    write: merge\n    deletes: detect\n"), &err);
    cr_assert_not_null(job, "%s", err.msg);
    const sl_job_table *t = &job->tables[0];
    cr_assert_str_eq(t->incr.cursor, "updated_at");
    cr_assert_float_eq(t->incr.lookback_s, 600.0, 1e-9);
    cr_assert(!t->incr.nulls_include);
    cr_assert_eq(t->incr.deletes, SL_DELETES_DETECT);
    cr_assert_eq(t->write, SL_WRITE_MERGE);
    sl_job_free(job);
}

Test(job_incr, append_soft_deletes_nulls)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse(job_with(LAKE, "csvlake", "    incremental: { cursor: id, nulls: include }\n"
                                                  "    write: append\n"), &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert(job->tables[0].incr.nulls_include);
    cr_assert_float_eq(job->tables[0].incr.lookback_s, 0.0, 1e-9);
    sl_job_free(job);
    job = parse(job_with(LAKE, "lake", "    incremental: { cursor: u }\n    key: id\n    write: merge\n"
                                       "    deletes: { column: deleted_at }\n"), &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_eq(job->tables[0].incr.deletes, SL_DELETES_COLUMN);
    cr_assert_str_eq(job->tables[0].incr.deleted_column, "deleted_at");
    sl_job_free(job);
}

Test(job_incr, refused)
{
    expect_error(job_with(LAKE, "lake", "    incremental: { lookback: 1m }\n    write: append\n"), "cursor");
    expect_error(job_with(LAKE, "lake", "    incremental: { cursor: u }\n"), "write: merge");
    expect_error(job_with(LAKE, "dw", "    incremental: { cursor: u }\n    write: replace\n"), "replace");
    expect_error(job_with(LAKE, "lake", "    incremental: { cursor: u }\n    write: merge\n"), "key");
    expect_error(job_with(LAKE, "lake", "    incremental: { cursor: u }\n    write: append\n    deletes: detect\n"),
                 "deletes: needs write: merge");
    expect_error(job_with(LAKE, "csvlake", "    incremental: { cursor: u }\n    key: id\n    write: merge\n"),
                 "csv lake");
    expect_error(job_with(LAKE, "dw", "    incremental: { cursor: u }\n    key: id\n    write: merge\n"
                                      "    delete_missing: true\n"), "deletes: detect");
    expect_error(job_with(LAKE, "dw", "    key: id\n    write: merge\n    deletes: detect\n"), "incremental");
    expect_error(job_with(LAKE, "duck", "    incremental: { cursor: u }\n    key: id\n    write: merge\n"
                                        "    deletes: detect\n"), "duckdb");
    expect_error(job_with(LAKE, "lake", "    incremental: { cursor: u, lookback: soon }\n    write: append\n"),
                 "duration");
    expect_error(job_with(LAKE, "lake", "    incremental: { cursor: u, nulls: maybe }\n    write: append\n"),
                 "nulls");
    expect_error(job_with("  s3: { kind: parquet, path: \"s3://b/p\" }\n", "s3",
                          "    incremental: { cursor: u }\n    write: append\n"), "s3://");
    /* a table without incremental keeps the old rule: write/key are for warehouse targets only */
    expect_error(job_with(LAKE, "lake", "    key: id\n    write: merge\n"), "warehouse");
}
