/*
 * test_s3_job.c - s3:// in job files: targets (region, endpoint, layout,
 * keep_versions; not resolved against the job's directory; the store that
 * takes them), the parquet source's region/endpoint, and the keys refused
 * where they do not apply.
 */
#include "job/sl_job.h"
#include "store/sl_store.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static sl_job *parse(const char *text, sl_err *err) { return sl_job_parse(text, strlen(text), "jobs/job.yaml", err); }

Test(s3_job, target_keys)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse("name: j\nsources:\n  s: { kind: csv, path: in }\n"
                        "targets:\n  lake: { kind: parquet, path: \"s3://shop-lake/raw\", region: eu-west-1,\n"
                        "          endpoint: \"http://127.0.0.1:9000\", layout: flat, keep_versions: 3 }\n"
                        "tables:\n  t: { from: s, file: t.csv, to: lake }\n", &err);
    cr_assert(job, "%s", err.msg);
    const sl_job_target *t = &job->targets[0];
    cr_assert_str_eq(t->path, "s3://shop-lake/raw");
    cr_assert_str_eq(t->region, "eu-west-1");
    cr_assert_str_eq(t->endpoint, "http://127.0.0.1:9000");
    cr_assert(t->layout_flat);
    cr_assert_eq(t->keep_versions, 3);
    cr_assert_eq(sl_store_for(t), &sl_store_s3);
    sl_job_free(job);
}

Test(s3_job, csv_target_and_parquet_source)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse("name: j\nsources:\n  s: { kind: parquet, path: \"s3://b/lake\", endpoint: \"http://x:1\" }\n"
                        "targets:\n  out: { kind: csv, path: \"s3://b/out\" }\n"
                        "tables:\n  t: { from: s, table: t, to: out }\n", &err);
    cr_assert(job, "%s", err.msg);
    cr_assert_str_eq(job->sources[0].path, "s3://b/lake");
    cr_assert_str_eq(job->sources[0].endpoint, "http://x:1");
    cr_assert_eq(sl_store_for(&job->targets[0]), &sl_store_s3);
    cr_assert(!job->targets[0].layout_flat);
    sl_job_free(job);
}

Test(s3_job, refused)
{
    static const char *const bad[][2] = {
        { "targets:\n  lake: { kind: parquet, path: ./lake, layout: flat }\n", "only s3://" },
        { "targets:\n  lake: { kind: parquet, path: ./lake, region: x }\n", "only s3://" },
        { "targets:\n  lake: { kind: duckdb, path: \"s3://b/x.duckdb\" }\n", "local database file" },
        { "targets:\n  lake: { kind: parquet, path: \"s3:///x\" }\n", "no bucket" },
        { "targets:\n  lake: { kind: parquet, path: \"s3://b/x\", layout: sideways }\n", "manifest, flat" },
        { "targets:\n  lake: { kind: parquet, path: \"s3://b/x\", keep_versions: 0 }\n", "keep_versions" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, "name: j\nsources:\n  s: { kind: csv, path: in }\n%s"
                 "tables:\n  t: { from: s, file: t.csv, to: lake }\n", bad[i][0]);
        sl_err err = SL_ERR_INIT;
        sl_job *job = parse(text, &err);
        cr_assert_null(job, "accepted: %s", bad[i][0]);
        cr_assert(strstr(err.msg, bad[i][1]), "case %zu: %s", i, err.msg);
    }
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse("name: j\nsources:\n  s: { kind: csv, path: in, endpoint: \"http://x\" }\n"
                        "targets:\n  lake: { kind: parquet, path: ./lake }\n"
                        "tables:\n  t: { from: s, file: t.csv, to: lake }\n", &err);
    cr_assert_null(job);
    cr_assert(strstr(err.msg, "endpoint"), "%s", err.msg);
}
