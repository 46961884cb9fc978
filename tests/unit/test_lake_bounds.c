/*
 * test_lake_bounds.c - the key ranges of lake files (store/sl_lake_bounds.h):
 * read from a receipt and from "bounds", written back, refused for keys that
 * cannot be pruned, and the files a set of keys touches (DuckDB), with the
 * count of keys outside every range.
 */
#include "sl_test.h"

#include "core/sl_alloc.h"
#include "core/sl_receipt.h"
#include "store/sl_duck.h"
#include "store/sl_lake_bounds.h"

#include <string.h>

static const sl_type T_I64 = { .id = SL_T_INT64 };
static const sl_type T_DATE = { .id = SL_T_DATE };
static const sl_type T_TS = { .id = SL_T_TIMESTAMP, .utc = true };

Test(lake_bounds, from_a_receipt)
{
    /* As sl_exec writes a task's receipt into a file entry (after "crc32": N, ). */
    const char *m = "\"receipt\": {\"rows\": 3, \"columns\": [{\"name\": \"v\", \"type\": \"string\", \"non_null\": 3, "
                    "\"min\": \"a\", \"max\": \"z\"}, {\"name\": \"id\", \"type\": \"int64\", \"non_null\": 3, "
                    "\"min\": \"-5\", \"max\": \"1200\", \"sum\": \"1300\"}]}, \"source\": {\"snapshot\": \"x\"}";
    sl_lake_bounds b;
    cr_assert(sl_lake_bounds_parse(m, "id", T_I64, &b));
    cr_assert_eq(b.lo, -5);
    cr_assert_eq(b.hi, 1200);
    cr_assert_not(sl_lake_bounds_parse(m, "missing", T_I64, &b));
    cr_assert_not(b.known);
    /* a string key is never pruned */
    cr_assert_not(sl_lake_bounds_parse(m, "v", (sl_type){ .id = SL_T_STRING }, &b));
    /* a column with no value has no min/max: no range */
    const char *empty = "\"receipt\": {\"rows\": 1, \"columns\": [{\"name\": \"id\", \"type\": \"int64\", "
                        "\"non_null\": 0}]}";
    cr_assert_not(sl_lake_bounds_parse(empty, "id", T_I64, &b));
    cr_assert_not(sl_lake_bounds_parse(NULL, "id", T_I64, &b));
}

Test(lake_bounds, dates_and_timestamps)
{
    sl_lake_bounds b;
    cr_assert(sl_lake_bounds_parse("\"bounds\": {\"column\": \"d\", \"min\": \"1970-01-02\", \"max\": \"1971-01-01\"}",
                                   "d", T_DATE, &b));
    cr_assert_eq(b.lo, 1);
    cr_assert_eq(b.hi, 365);
    cr_assert(sl_lake_bounds_parse("\"bounds\": {\"column\": \"t\", \"min\": \"1970-01-01 00:00:01+00\", "
                                   "\"max\": \"1970-01-01 00:00:02.5+00\"}", "t", T_TS, &b));
    cr_assert_eq(b.lo, 1000000);
    cr_assert_eq(b.hi, 2500000);
}

Test(lake_bounds, json_round_trip)
{
    sl_lake_bounds b, back;
    cr_assert(sl_lake_bounds_parse("\"bounds\": {\"column\": \"id\", \"min\": \"10\", \"max\": \"20\"}", "id", T_I64,
                                   &b));
    sl_buf out = { 0 };
    sl_lake_bounds_json(&b, "id", &out);
    sl_buf_push(&out, 0);
    cr_assert_str_eq((const char *)out.data, "\"bounds\": {\"column\": \"id\", \"min\": \"10\", \"max\": \"20\"}");
    cr_assert(sl_lake_bounds_parse((const char *)out.data, "id", T_I64, &back));
    cr_assert_eq(back.lo, 10);
    cr_assert_eq(back.hi, 20);
    /* bounds of another column do not count */
    cr_assert_not(sl_lake_bounds_parse((const char *)out.data, "other", T_I64, &back));
    sl_buf_free(&out);
}

Test(lake_bounds, candidates)
{
    sl_err err = SL_ERR_INIT;
    if (sl_duck_load(&err) < 0) cr_skip_test("%s", err.msg);
    sl_duck *d = sl_duck_open_memory(64 << 20, 1, NULL, &err);
    cr_assert_not_null(d, "%s", err.msg);
    cr_assert_eq(sl_duck_exec(d, "create temp table gone as select * from (values (5::bigint), (250), (999)) v(id)",
                              NULL, &err), 0, "%s", err.msg);
    sl_lake_bounds b[4] = { { .known = true, .lo = 1, .hi = 100 },
                            { .known = true, .lo = 101, .hi = 200 },
                            { .known = false },
                            { .known = true, .lo = 201, .hi = 300 } };
    bool hit[4] = { false };
    int64_t outside = -1;
    cr_assert_eq(sl_lake_bounds_candidates(d, "gone", "\"id\"", T_I64, b, 4, hit, &outside, &err), 0, "%s", err.msg);
    cr_assert(hit[0]);
    cr_assert_not(hit[1]);
    cr_assert_not(hit[2]);   /* no range: the caller reads its keys */
    cr_assert(hit[3]);
    cr_assert_eq(outside, 1);   /* 999: an insert */
    sl_duck_close(d);
}
