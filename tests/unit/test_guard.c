/*
 * test_guard.c - the mass-delete guard (core/sl_guard.c) and its job keys
 * (job/sl_job_guard.c): the limits are exact at their edge, --allow only
 * logs, and the message gives the numbers and the flag.
 */
#include <criterion/criterion.h>

#include "core/sl_guard.h"
#include "job/sl_job.h"

#include <stdio.h>
#include <string.h>

Test(guard, deletes_up_to_the_ratio_pass_and_beyond_it_are_refused)
{
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_guard_deletes("t", 10, 1, 0.10, false, &err), 0);          /* exactly 10% */
    cr_assert_eq(sl_guard_deletes("t", 1000, 100, 0.10, false, &err), 0);
    cr_assert_eq(sl_guard_deletes("t", 1000, 101, 0.10, false, &err), -1);
    cr_assert_eq(err.code, SL_EGUARD);
    cr_assert(strstr(err.msg, "t: the publish would delete 101 of its 1000 live rows (10.1%), over max_delete_ratio 10%"),
              "%s", err.msg);
    cr_assert(strstr(err.msg, "--allow-mass-delete"), "%s", err.msg);
    sl_err_clear(&err);
    cr_assert_eq(sl_guard_deletes("t", 1000, 1000, 0.10, true, &err), 0);      /* allowed: only logged */
    cr_assert_eq(sl_guard_deletes("t", 1000, 1000, -1, false, &err), 0);       /* off */
    cr_assert_eq(sl_guard_deletes("t", 0, 0, 0.10, false, &err), 0);          /* nothing live */
    cr_assert_eq(sl_guard_deletes("t", 5, 0, 0, false, &err), 0);             /* 0%: no deletes is fine */
    cr_assert_eq(sl_guard_deletes("t", 5, 1, 0, false, &err), -1);            /* 0%: one is not */
}

Test(guard, shrink_is_off_by_default_and_exact_at_its_edge)
{
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_guard_shrink("t", 100, 0, -1, false, &err), 0);
    cr_assert_eq(sl_guard_shrink("t", 100, 50, 0.5, false, &err), 0);
    cr_assert_eq(sl_guard_shrink("t", 100, 49, 0.5, false, &err), -1);
    cr_assert(strstr(err.msg, "this load has 49 rows, the published version 100 (51.0% fewer), over max_shrink 50%"),
              "%s", err.msg);
    cr_assert_eq(sl_guard_shrink("t", 100, 200, 0.5, false, &err), 0);        /* growth */
    cr_assert_eq(sl_guard_shrink("t", -1, 0, 0.5, false, &err), 0);           /* nothing published */
    cr_assert_eq(sl_guard_shrink("t", 100, 0, 0.5, true, &err), 0);
}

static sl_job *parse_table(const char *keys, sl_err *err)
{
    char text[1024];
    snprintf(text, sizeof text, "name: g\nsources:\n  s: { kind: csv, path: ./in }\ntargets:\n"
             "  l: { kind: parquet, path: ./lake }\ntables:\n  t: { from: s, file: t.csv, to: l%s }\n", keys);
    return sl_job_parse(text, strlen(text), "jobs/job.yaml", err);
}

Test(guard, job_keys)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse_table("", &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_float_eq(sl_job_table_max_delete_ratio(&job->tables[0]), 0.10, 1e-12);
    cr_assert(sl_job_table_max_shrink(&job->tables[0]) < 0);
    sl_job_free(job);
    job = parse_table(", max_delete_ratio: 25%, max_shrink: 0.5", &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_float_eq(sl_job_table_max_delete_ratio(&job->tables[0]), 0.25, 1e-12);
    cr_assert_float_eq(sl_job_table_max_shrink(&job->tables[0]), 0.5, 1e-12);
    sl_job_free(job);
    job = parse_table(", max_delete_ratio: off", &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert(sl_job_table_max_delete_ratio(&job->tables[0]) < 0);
    sl_job_free(job);
    cr_assert_null(parse_table(", max_shrink: 150%", &err));
    cr_assert(strstr(err.msg, "over 100%"), "%s", err.msg);
    cr_assert_null(parse_table(", max_delete_ratio: lots", &err));
    cr_assert(strstr(err.msg, "not a percentage"), "%s", err.msg);
    sl_job_table zero = { 0 };   /* a table made in code gets the defaults */
    cr_assert_float_eq(sl_job_table_max_delete_ratio(&zero), 0.10, 1e-12);
}
