/*
 * test_check_row.c - row-level rules in the task loop (checks/sl_check_row.c):
 * which rules are judged there, their counts and example keys over batches
 * (the 5 smallest, merged over tasks), NULL passing every rule but not_null,
 * the reasons a quarantine records, and the state store's encoding.
 */
#include <criterion/criterion.h>

#include "checks/sl_check_row.h"
#include "job/sl_job.h"

#include <stdio.h>
#include <string.h>

static sl_job *job;
static sl_schema *schema;

static void setup_job(const char *checks)
{
    char text[4096];
    snprintf(text, sizeof text,
             "sources:\n  s: { kind: postgres, url: \"postgres://h/db\" }\n"
             "targets:\n  lake: { kind: parquet, path: lake }\n"
             "tables:\n  t:\n    from: s\n    table: t\n    to: lake\n    checks:\n%s", checks);
    sl_err err = SL_ERR_INIT;
    job = sl_job_parse(text, strlen(text), "job.yaml", &err);
    cr_assert_not_null(job, "%s", err.msg);
    schema = sl_schema_new(5);
    sl_schema_set(schema, 0, "id", (sl_type){ .id = SL_T_INT64 }, true);
    sl_schema_set(schema, 1, "status", (sl_type){ .id = SL_T_STRING }, true);
    sl_schema_set(schema, 2, "amount", (sl_type){ .id = SL_T_DECIMAL, .precision = 12, .scale = 2 }, true);
    sl_schema_set(schema, 3, "day", (sl_type){ .id = SL_T_DATE }, true);
    sl_schema_set(schema, 4, "n", (sl_type){ .id = SL_T_INT32 }, true);
}

static void teardown_job(void)
{
    sl_job_free(job);
    sl_schema_free(schema);
}

/* rows id = first .. first+n-1; status "ok" except every 7th "bad", NULL every 10th;
 * amount = id (in cents) - 50; n NULL every 3rd */
static void fill(sl_batch *b, int64_t first, size_t n)
{
    sl_batch_reset(b);
    for (size_t r = 0; r < n; r++) {
        int64_t id = first + (int64_t)r;
        *(int64_t *)sl_vec_slot(&b->cols[0], r) = id;
        if (id % 10 == 0) sl_vec_set_null(&b->cols[1], r);
        else sl_vec_set_bytes(&b->cols[1], r, id % 7 == 0 ? "bad" : "ok", id % 7 == 0 ? 3 : 2);
        *(int64_t *)sl_vec_slot(&b->cols[2], r) = id - 50;
        *(int32_t *)sl_vec_slot(&b->cols[3], r) = 0;
        if (id % 3 == 0) sl_vec_set_null(&b->cols[4], r);
        else *(int32_t *)sl_vec_slot(&b->cols[4], r) = (int32_t)id;
    }
    b->nrows = n;
}

TestSuite(check_row, .fini = teardown_job);

Test(check_row, counts_examples_and_merge)
{
    setup_job("      - not_null: [n]\n"
              "      - accepted_values: { status: [ok] }\n"
              "      - range: { amount: { min: 0 } }\n"
              "      - length: { status: { max: 2 } }\n"
              "      - { regex: { status: '^o' }, severity: warn }\n"
              "      - range: { day: { min: '2020-01-01' } }\n"
              "      - expression: \"id > 0\"\n");
    const sl_job_table *cfg = &job->tables[0];
    sl_batch *b = sl_batch_new(schema, SL_BATCH_ROWS);
    /* two "tasks": ids 1..100 and 101..200, judged separately then merged */
    sl_check_row *a = sl_check_row_new(cfg, schema), *c = sl_check_row_new(cfg, schema);
    cr_assert_not_null(a);
    cr_assert(sl_check_row_judges(a, 0) && sl_check_row_judges(a, 1) && sl_check_row_judges(a, 2) &&
              sl_check_row_judges(a, 3) && sl_check_row_judges(a, 4));
    cr_assert(!sl_check_row_judges(a, 5), "range on a date is judged by DuckDB");
    cr_assert(!sl_check_row_judges(a, 6), "expression is judged by DuckDB");
    fill(b, 101, 100);
    sl_check_row_batch(c, b);
    fill(b, 1, 100);
    size_t bad = sl_check_row_batch(a, b);
    /* n NULL: ids 3,6,..,99 = 33; status 'bad' not NULL: multiples of 7 not of 10 (7..98: 14, minus 70) = 13;
     * amount < 0: ids 1..49 = 49; length > 2: the same 13; regex (warn): the same 13 */
    cr_assert_eq(a->counts[0].failing, 33);
    cr_assert_eq(a->counts[1].failing, 13);
    cr_assert_eq(a->counts[2].failing, 49);
    cr_assert_eq(a->counts[3].failing, 13);
    cr_assert_eq(a->counts[4].failing, 13);
    cr_assert_eq(a->counts[5].failing, -1);
    /* union of the error rules: ids 1..49, plus multiples of 3 and of 7 (not 10) above 49 */
    size_t want = 49;
    for (int id = 50; id <= 100; id++) want += id % 3 == 0 || (id % 7 == 0 && id % 10);
    cr_assert_eq(bad, want);
    cr_assert_eq(a->bad[0], 3, "id 1 fails range first (rule index 2)");
    cr_assert_eq(a->bad[2], 1, "id 3 fails not_null first");
    char text[512];
    sl_check_row_examples_text(&a->counts[1], text, sizeof text);
    cr_assert_str_eq(text, "id=7, id=14, id=21, id=28, id=35");
    /* merged through the state store's text, the smallest stay */
    sl_buf enc = { 0 };
    sl_check_row_examples_encode(&c->counts[1], &enc);
    sl_check_row_counts one = { .failing = c->counts[1].failing }, acc = { .failing = 0 };
    sl_check_row_examples_decode(sl_buf_cstr(&enc), &one);
    sl_buf_free(&enc);
    sl_check_row_merge(&acc, &one, a->key_int);
    sl_check_row_merge(&acc, &a->counts[1], a->key_int);
    sl_check_row_examples_text(&acc, text, sizeof text);
    cr_assert_str_eq(text, "id=7, id=14, id=21, id=28, id=35");
    cr_assert_eq(acc.failing, 13 + c->counts[1].failing);
    sl_check_row_reason(a, b, 0, 2, text, sizeof text);
    cr_assert_str_eq(text, "amount -0.49 is outside [0, -]");
    sl_check_row_reason(a, b, 6, 1, text, sizeof text);
    cr_assert_str_eq(text, "status 'bad' is not an accepted value");
    sl_check_row_reason(a, b, 2, 0, text, sizeof text);
    cr_assert_str_eq(text, "n is null");
    sl_check_row_free(a);
    sl_check_row_free(c);
    sl_batch_free(b);
}

Test(check_row, integer_accepted_values_are_canonical)
{
    setup_job("      - accepted_values: { n: [1, '02'] }\n");
    sl_check_row *ev = sl_check_row_new(&job->tables[0], schema);
    cr_assert_not_null(ev);
    sl_batch *b = sl_batch_new(schema, SL_BATCH_ROWS);
    fill(b, 1, 2);   /* n = 1, 2 */
    sl_check_row_batch(ev, b);
    cr_assert_eq(ev->counts[0].failing, 1, "cast(2 as varchar) is '2', not '02'");
    sl_check_row_free(ev);
    sl_batch_free(b);
}

Test(check_row, unique_watched)
{
    setup_job("      - unique: [id]\n      - unique: [status]\n");
    sl_check_row *ev = sl_check_row_new(&job->tables[0], schema);
    cr_assert_not_null(ev);
    cr_assert(ev->uniq[0].tracked);
    cr_assert(!ev->uniq[1].tracked, "text columns go to DuckDB");
    sl_batch *b = sl_batch_new(schema, SL_BATCH_ROWS);
    fill(b, 1, 50);
    sl_check_row_batch(ev, b);
    fill(b, 51, 50);
    sl_check_row_batch(ev, b);
    cr_assert(ev->uniq[0].increasing && ev->uniq[0].min == 1 && ev->uniq[0].max == 100);
    sl_buf enc = { 0 };
    sl_check_uniq_encode(&ev->uniq[0], &enc);
    sl_check_uniq w[3];
    cr_assert(sl_check_uniq_decode(sl_buf_cstr(&enc), &w[1]));
    sl_buf_free(&enc);
    w[0] = (sl_check_uniq){ .tracked = true, .increasing = true, .any = true, .min = 101, .max = 200 };
    w[2] = (sl_check_uniq){ .tracked = true, .increasing = true };   /* an empty task */
    cr_assert(sl_check_uniq_proven(w, 3));
    w[2].min = 100;   /* sorted by now: [empty, 1..100, 101..200]; overlaps the middle task's last key */
    cr_assert(!sl_check_uniq_proven(w, 3));
    fill(b, 100, 5);   /* 100 again: not increasing */
    sl_check_row_batch(ev, b);
    cr_assert(!ev->uniq[0].increasing);
    sl_check_row_free(ev);
    sl_batch_free(b);
}
