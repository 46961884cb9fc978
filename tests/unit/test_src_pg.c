/*
 * test_src_pg.c - the postgres source against a real server (SLUICE_PG_URL,
 * set by tests/run.sh): every supported type value by value with NULLs and
 * extremes, numeric exactness and its errors, ±infinity errors, empty tables,
 * range partitions covering all rows exactly once, one snapshot for all
 * tasks, quoted identifiers, type overrides, unsupported types, a missing
 * table, a bad password and an unreachable port; hardening items: a query:
 * is one statement in a read-only transaction (8), a prepare failing at its
 * end is a plain error (6), cancel() stops a running query (19). Without
 * SLUICE_PG_URL every test prints a loud SKIP and passes.
 *
 * All tests share one database (sl_test_src_pg), each with its own tables, so
 * they can run in parallel.
 */
#include "sl_test.h"

#include "core/sl_alloc.h"
#include "core/sl_buf.h"
#include "core/sl_failpoint.h"
#include "core/sl_types.h"
#include "sources/sl_source.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB "sl_test_src_pg"

static char url[512];

static bool pg_setup(void) { return sl_test_pg_db("test_src_pg", DB, url, sizeof url); }

static void sql(const char *text) { sl_test_pg_exec(url, text); }

#define NEED_PG() do { if (!pg_setup()) return; } while (0)

typedef sl_test_fx fixture;

static void fx_init(fixture *f, const char *table, const char *query)
{
    sl_test_fx_init(f, &sl_source_postgres, "shop", "postgres");
    f->hex_bytes = true;
    f->src.url = url;
    f->src.max_connections = 4;
    f->cfg.table = (char *)table;
    f->cfg.query = (char *)query;
    f->cfg.partition.strategy = "none";
}

static const char *type_of(fixture *f, const char *col, char *buf)
{
    int i = sl_schema_find(f->tab.schema, col);
    cr_assert_geq(i, 0, "no column %s", col);
    return sl_type_format(f->tab.schema->fields[i].type, buf, 64);
}

Test(src_pg, every_type_value_by_value)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS all_types; DROP TYPE IF EXISTS mood CASCADE; DROP DOMAIN IF EXISTS posint;"
        "CREATE TYPE mood AS ENUM ('sad', 'happy');"
        "CREATE DOMAIN posint AS int4 CHECK (VALUE > 0);"
        "CREATE TABLE all_types (id int NOT NULL, b boolean, i2 int2, i4 int4, i8 int8, f4 real, f8 float8,"
        " n12 numeric(12,2), n38 numeric(38,0), n38s numeric(38,10), nu numeric, t text, vc varchar(10), bp char(4),"
        " nm name, e mood, ba bytea, d date, tm time, ts timestamp, tz timestamptz, u uuid, j json, jb jsonb, dm posint)");
    sql("SET timezone = 'UTC'; INSERT INTO all_types VALUES"
        "(1, true, -32768, -2147483648, -9223372036854775808, 1.5, -2.25, -9999999999.99,"
        " -99999999999999999999999999999999999999, -9999999999999999999999999999.9999999999, -12345678901234567890.123456789012345678,"
        " 'héllo wörld ✓', '', 'ab', 'nm', 'happy', '\\x00ff10', '1900-01-01', '00:00:00', '1960-06-01 12:34:56.789012',"
        " '2024-01-31 12:00:00+00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": [1, 2]}', '{\"b\": null}', 7),"
        "(2, false, 32767, 2147483647, 9223372036854775807, 0, 1e300, 0.01,"
        " 99999999999999999999999999999999999999, 0.0000000001, 0.000000000000000001,"
        " 'x', 'vc', 'abcd', '', 'sad', '\\x', '9999-12-31', '23:59:59.999999', '1970-01-01 00:00:00',"
        " '1969-12-31 23:59:59.999999+00', '00000000-0000-0000-0000-000000000000', '[]', '[]', 1),"
        "(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
        " NULL, NULL, NULL, NULL, NULL, NULL, NULL)");
    fixture f;
    fx_init(&f, "public.all_types", NULL);
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_eq(rows, 3);
    char tb[64];
    cr_assert_str_eq(type_of(&f, "b", tb), "bool");
    cr_assert_str_eq(type_of(&f, "i2", tb), "int16");
    cr_assert_str_eq(type_of(&f, "i4", tb), "int32");
    cr_assert_str_eq(type_of(&f, "i8", tb), "int64");
    cr_assert_str_eq(type_of(&f, "f4", tb), "float32");
    cr_assert_str_eq(type_of(&f, "f8", tb), "float64");
    cr_assert_str_eq(type_of(&f, "n12", tb), "decimal(12,2)");
    cr_assert_str_eq(type_of(&f, "n38", tb), "decimal(38,0)");
    cr_assert_str_eq(type_of(&f, "nu", tb), "decimal(38,18)");
    cr_assert_str_eq(type_of(&f, "bp", tb), "string");
    cr_assert_str_eq(type_of(&f, "e", tb), "string");
    cr_assert_str_eq(type_of(&f, "ba", tb), "bytes");
    cr_assert_str_eq(type_of(&f, "ts", tb), "timestamp");
    cr_assert_str_eq(type_of(&f, "tz", tb), "timestamptz");
    cr_assert_str_eq(type_of(&f, "u", tb), "uuid");
    cr_assert_str_eq(type_of(&f, "j", tb), "json");
    cr_assert_str_eq(type_of(&f, "jb", tb), "json");
    cr_assert_str_eq(type_of(&f, "dm", tb), "int32");
    cr_assert_eq(f.tab.schema->fields[0].nullable, false);
    cr_assert_eq(f.tab.schema->fields[1].nullable, true);
    const char *want =
        "1|true|-32768|-2147483648|-9223372036854775808|1.5|-2.25|-9999999999.99|"
        "-99999999999999999999999999999999999999|-9999999999999999999999999999.9999999999|"
        "-12345678901234567890.123456789012345678|héllo wörld ✓||ab  |nm|happy|00ff10|1900-01-01|00:00:00|"
        "1960-06-01 12:34:56.789012|2024-01-31 12:00:00+00|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|{\"a\": [1, 2]}|"
        "{\"b\": null}|7\n"
        "2|false|32767|2147483647|9223372036854775807|0|1e+300|0.01|99999999999999999999999999999999999999|"
        "0.0000000001|0.000000000000000001|x|vc|abcd||sad||9999-12-31|23:59:59.999999|1970-01-01 00:00:00|"
        "1969-12-31 23:59:59.999999+00|00000000-0000-0000-0000-000000000000|[]|[]|1\n"
        "3|<null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>|"
        "<null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>\n";
    cr_assert_str_eq(got, want);
    sl_free(got);
    sl_test_fx_done(&f);
}

Test(src_pg, empty_string_is_not_null)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS empties; CREATE TABLE empties (s text, b bytea);"
        "INSERT INTO empties VALUES ('', ''), (NULL, NULL)");
    fixture f;
    fx_init(&f, "empties", NULL);
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(got, "|\n<null>|<null>\n");
    sl_free(got);
    sl_test_fx_done(&f);
}

static void expect_error(const char *table, const char *query, sl_code code, const char *needle1,
                         const char *needle2)
{
    fixture f;
    fx_init(&f, table, query);
    sl_test_expect_error(&f, code, needle1, needle2);
    sl_test_fx_done(&f);
}

Test(src_pg, numeric_errors_name_row_and_column)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS nums; CREATE TABLE nums (id int, v numeric);"
        "INSERT INTO nums VALUES (1, 1.5), (2, 'NaN')");
    expect_error("nums", NULL, SL_EDATA, "column v: row 2", "NaN");
    sql("DROP TABLE IF EXISTS nums2; CREATE TABLE nums2 (id int, v numeric);"
        "INSERT INTO nums2 VALUES (1, 0.1234567890123456789)");
    expect_error("nums2", NULL, SL_EDATA, "column v: row 1", "fractional digits");
    sql("DROP TABLE IF EXISTS nums3; CREATE TABLE nums3 (v numeric);"
        "INSERT INTO nums3 VALUES (1e25)");
    expect_error("nums3", NULL, SL_EDATA, "column v: row 1", "decimal(38,18)");
    sql("DROP TABLE IF EXISTS nums4; CREATE TABLE nums4 (v numeric);"
        "INSERT INTO nums4 VALUES ('-Infinity')");
    expect_error("nums4", NULL, SL_EDATA, "column v", "-Infinity");
    /* Exact values at the edges of unconstrained numeric -> decimal(38,18). */
    sql("DROP TABLE IF EXISTS nums5; CREATE TABLE nums5 (v numeric);"
        "INSERT INTO nums5 VALUES (99999999999999999999.999999999999999999), (-0.000000000000000001), (0), (10000), (1e19)");
    fixture f;
    fx_init(&f, "nums5", NULL);
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(got, "99999999999999999999.999999999999999999\n-0.000000000000000001\n0.000000000000000000\n"
                          "10000.000000000000000000\n10000000000000000000.000000000000000000\n");
    sl_free(got);
    sl_test_fx_done(&f);
}

Test(src_pg, infinity_is_an_error_with_the_remedy)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS infs; CREATE TABLE infs (id int, ts timestamptz);"
        "INSERT INTO infs VALUES (1, now()), (2, 'infinity')");
    expect_error("public.infs", NULL, SL_EDATA, "column ts: row 2", "query:");
    sql("DROP TABLE IF EXISTS infd; CREATE TABLE infd (d date); INSERT INTO infd VALUES ('-infinity')");
    expect_error("infd", NULL, SL_EDATA, "-infinity", "table infd");
    /* The remedy works. */
    fixture f;
    fx_init(&f, NULL, "select nullif(d, '-infinity') as d from infd;");
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(got, "<null>\n");
    sl_free(got);
    sl_test_fx_done(&f);
}

Test(src_pg, dates_before_1970_and_far_future)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS dts; CREATE TABLE dts (d date, ts timestamp);"
        "INSERT INTO dts VALUES ('0001-01-01', '0001-01-01 00:00:00'), ('1969-12-31', '1969-12-31 23:59:59'),"
        "('2000-01-01', '2000-01-01 00:00:00'), ('2999-12-31', '2999-12-31 23:59:59.5'), ('1999-12-31', '1999-12-31 00:00:00.000001')");
    fixture f;
    fx_init(&f, "dts", NULL);
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(got, "0001-01-01|0001-01-01 00:00:00\n1969-12-31|1969-12-31 23:59:59\n2000-01-01|2000-01-01 00:00:00\n"
                          "2999-12-31|2999-12-31 23:59:59.5\n1999-12-31|1999-12-31 00:00:00.000001\n");
    sl_free(got);
    sl_test_fx_done(&f);
}

Test(src_pg, empty_table_one_task_no_rows)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS empty_t; CREATE TABLE empty_t (id int8 primary key, s text)");
    fixture f;
    fx_init(&f, "empty_t", NULL);
    f.cfg.partition.strategy = "range";
    f.cfg.partition.column = "id";
    f.cfg.partition.count = 4;
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_eq(rows, 0);
    cr_assert_eq(f.tab.ntasks, 1);
    cr_assert_str_eq(got, "");
    sl_free(got);
    sl_test_fx_done(&f);
}

Test(src_pg, range_partitions_cover_all_rows_once)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS parts; CREATE TABLE parts (id int8, v int);"
        "INSERT INTO parts SELECT g, g % 7 FROM generate_series(-5000, 25000) g;"
        "INSERT INTO parts VALUES (NULL, 1), (NULL, 2), (4000000000, 3)");
    fixture f;
    fx_init(&f, "parts", NULL);
    f.cfg.partition.strategy = "range";
    f.cfg.partition.column = "id";
    f.cfg.partition.count = 8;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_source_postgres.prepare(&f.tab, &err), 0, "%s", err.msg);
    cr_assert_eq(f.tab.ntasks, 9);   /* 8 ranges + NULL keys */
    cr_assert_str_eq(f.tab.tasks[8].predicate, "\"id\" IS NULL");
    cr_assert_not_null(strstr(f.tab.strategy_note, "range"));
    /* Every row exactly once: count, and sum of ids, across tasks (several empty). */
    long total = 0, nulls = 0, empty = 0;
    __int128 sum = 0;
    for (int t = 0; t < f.tab.ntasks; t++) {
        void *rd = sl_source_postgres.open(&f.tab, &f.tab.tasks[t], &err);
        cr_assert_not_null(rd, "%s", err.msg);
        sl_batch *b = sl_batch_new(f.tab.schema, 0);
        long n, task_rows = 0;
        while ((n = sl_source_postgres.next(rd, b, &err)) > 0) {
            for (size_t r = 0; r < b->nrows; r++) {
                if (!b->cols[0].valid[r]) { nulls++; continue; }
                int64_t id;
                memcpy(&id, b->cols[0].data + 8 * r, 8);
                sum += id;
            }
            task_rows += n;
        }
        cr_assert_eq(n, 0, "%s", err.msg);
        if (!task_rows) empty++;
        total += task_rows;
        sl_batch_free(b);
        sl_source_postgres.close(rd);
    }
    cr_assert_eq(total, 30001 + 3);
    cr_assert_eq(nulls, 2);
    __int128 want = 0;
    for (long i = -5000; i <= 25000; i++) want += i;
    want += 4000000000LL;
    cr_assert(sum == want);
    cr_assert_geq(empty, 1, "the outlier should leave empty ranges");
    sl_test_fx_done(&f);
}

Test(src_pg, tasks_share_one_snapshot)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS snap; CREATE TABLE snap (id int8 NOT NULL);"
        "INSERT INTO snap SELECT generate_series(1, 1000)");
    fixture f;
    fx_init(&f, "snap", NULL);
    f.cfg.partition.strategy = "range";
    f.cfg.partition.column = "id";
    f.cfg.partition.count = 2;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_source_postgres.prepare(&f.tab, &err), 0, "%s", err.msg);
    cr_assert_eq(f.tab.ntasks, 2);
    /* Changes after prepare are invisible to every task. */
    sql("INSERT INTO snap SELECT generate_series(1001, 2000); DELETE FROM snap WHERE id <= 10");
    sl_buf out = {0};
    long rows;
    cr_assert_eq(sl_test_read_all(&f, &out, &rows, &err), 0, "%s", err.msg);
    cr_assert_eq(rows, 1000);
    sl_buf_free(&out);
    sl_test_fx_done(&f);
}

Test(src_pg, quoted_identifiers_and_query_source)
{
    NEED_PG();
    sql("CREATE SCHEMA IF NOT EXISTS \"My Schema\"; DROP TABLE IF EXISTS \"My Schema\".\"Order Items\";"
        "CREATE TABLE \"My Schema\".\"Order Items\" (\"Id\" int NOT NULL, \"we\"\"ird\" text);"
        "INSERT INTO \"My Schema\".\"Order Items\" SELECT g, 'r' || g FROM generate_series(1, 100) g");
    fixture f;
    fx_init(&f, "\"My Schema\".\"Order Items\"", NULL);
    f.cfg.partition.strategy = "range";
    f.cfg.partition.column = "Id";
    f.cfg.partition.count = 3;
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_eq(rows, 100);
    cr_assert_eq(f.tab.ntasks, 3);
    cr_assert_str_eq(f.tab.schema->fields[1].name, "we\"ird");
    sl_free(got);
    sl_test_fx_done(&f);

    fx_init(&f, NULL, "select 1::int8 as a, 'x' as b, null::text as c;\n");
    got = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(got, "1|x|<null>\n");
    cr_assert(f.tab.schema->fields[0].nullable);
    sl_free(got);
    sl_test_fx_done(&f);
}

Test(src_pg, many_rows_across_batches)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS big; CREATE TABLE big (id int8, s text, n numeric(12,2));"
        "INSERT INTO big SELECT g, repeat('x', g % 50), g / 100.0 FROM generate_series(1, 25000) g");
    fixture f;
    fx_init(&f, "big", NULL);
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_source_postgres.prepare(&f.tab, &err), 0, "%s", err.msg);
    void *rd = sl_source_postgres.open(&f.tab, &f.tab.tasks[0], &err);
    cr_assert_not_null(rd, "%s", err.msg);
    sl_batch *b = sl_batch_new(f.tab.schema, 4096);
    long n, total = 0;
    int64_t sum = 0;
    while ((n = sl_source_postgres.next(rd, b, &err)) > 0) {
        for (size_t r = 0; r < b->nrows; r++) {
            int64_t id, cents;
            memcpy(&id, b->cols[0].data + 8 * r, 8);
            memcpy(&cents, b->cols[2].data + 8 * r, 8);
            size_t len;
            const uint8_t *s = sl_vec_bytes(&b->cols[1], r, &len);
            cr_assert_eq((int64_t)len, id % 50, "row %zu id %ld", r, (long)id);
            for (size_t i = 0; i < len; i++) cr_assert_eq(s[i], 'x');
            cr_assert_eq(cents, id);   /* id / 100.0 at scale 2 */
            sum += id;
        }
        total += n;
    }
    cr_assert_eq(n, 0, "%s", err.msg);
    cr_assert_eq(sum, (int64_t)25000 * 25001 / 2);
    cr_assert_eq(total, 25000);
    sl_batch_free(b);
    sl_source_postgres.close(rd);
    sl_test_fx_done(&f);
}

Test(src_pg, unsupported_type_and_override)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS odd; CREATE TABLE odd (id int, iv interval, arr int[], ips inet[]);"
        "INSERT INTO odd VALUES (1, '1 day', '{1,NULL,2}', '{::1}')");
    /* By default: the text form; arrays of mapped elements as lists, other arrays as JSON. */
    {
        fixture f;
        fx_init(&f, "odd", NULL);
        long rows;
        char *got = sl_test_read_ok(&f, &rows);
        cr_assert_str_eq(got, "1|1 day|[1,null,2]|[\"::1\"]\n");
        char tb[64];
        cr_assert_str_eq(type_of(&f, "iv", tb), "string");
        cr_assert_str_eq(type_of(&f, "arr", tb), "list<int32>");
        cr_assert_str_eq(type_of(&f, "ips", tb), "json");
        sl_free(got);
        sl_test_fx_done(&f);
    }
    /* unsupported: error: every such column in one error. */
    {
        fixture f;
        fx_init(&f, "odd", NULL);
        f.cfg.unsupported_error = true;
        sl_err err = SL_ERR_INIT;
        cr_assert_eq(sl_source_postgres.prepare(&f.tab, &err), -1);
        cr_assert_eq(err.code, SL_ETYPE, "%s", err.msg);
        cr_assert(strstr(err.msg, "2 columns of types without a sluice mapping") && strstr(err.msg, "iv (interval)") &&
                  strstr(err.msg, "ips (inet[])") && strstr(err.msg, "remove unsupported: error") &&
                  strstr(err.msg, "{name: \"ips\", type: string}"), "%s", err.msg);
        sl_test_fx_done(&f);
    }
    sl_job_column cols[] = { { .name = "iv", .type = { .id = SL_T_STRING } },
                             { .name = "arr", .type = { .id = SL_T_STRING } },
                             { .name = "ips", .type = { .id = SL_T_STRING } },
                             { .name = "id", .type = { .id = SL_T_INT64 } } };
    fixture f;
    fx_init(&f, "odd", NULL);
    f.cfg.columns = cols;
    f.cfg.ncolumns = 4;
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(got, "1|1 day|{1,NULL,2}|{::1}\n");
    char tb[64];
    cr_assert_str_eq(type_of(&f, "id", tb), "int64");
    sl_free(got);
    sl_test_fx_done(&f);
}

Test(src_pg, missing_table_is_a_source_error)
{
    NEED_PG();
    expect_error("public.no_such_table", NULL, SL_ESOURCE, "public.no_such_table", "does not exist");
    expect_error(NULL, "select * from no_such_table_q", SL_ESOURCE, "no_such_table_q", "42P01");
    expect_error(NULL, "selec 1", SL_ESOURCE, "syntax", "42601");
}

/* Preparing `table` with the source URL `u` fails with `code`; the message
 * holds every needle (NULL-terminated list) and never `secret`. */
static void expect_prepare_error(const char *u, const char *table, sl_code code, const char *secret,
                                 const char *const *needles)
{
    fixture f;
    fx_init(&f, table, NULL);
    f.src.url = (char *)u;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_source_postgres.prepare(&f.tab, &err), -1);
    cr_assert_eq(err.code, code, "%s: %s", sl_code_name(err.code), err.msg);
    for (int i = 0; needles[i]; i++) cr_assert(strstr(err.msg, needles[i]), "%s", err.msg);
    cr_assert_null(strstr(err.msg, secret), "%s", err.msg);
    sl_test_fx_done(&f);
}

Test(src_pg, bad_password_is_a_source_error_without_the_password)
{
    NEED_PG();
    const char *base = getenv("SLUICE_PG_URL");
    const char *at = strrchr(base, '@');
    cr_assert_not_null(at);
    char bad[512];
    snprintf(bad, sizeof bad, "postgres://sluice:Wr0ngSecret%s/" DB, at);
    expect_prepare_error(bad, "all_types", SL_ESOURCE, "Wr0ngSecret",
                         (const char *[]){ "password authentication failed", NULL });
}

Test(src_pg, unreachable_port_is_transient)
{
    NEED_PG();
    expect_prepare_error("postgres://sluice:Secret9@127.0.0.1:1/x", "all_types", SL_ETRANSIENT, "Secret9",
                         (const char *[]){ "shop", NULL });
}

Test(src_pg, conninfo_and_statement_timeout)
{
    NEED_PG();
    const char *base = getenv("SLUICE_PG_URL");
    /* postgres://sluice:sluice@HOST:PORT -> conninfo */
    char host[128] = "", port[16] = "";
    cr_assert_eq(sscanf(strrchr(base, '@') + 1, "%127[^:]:%15s", host, port), 2);
    char ci[512];
    snprintf(ci, sizeof ci, "host=%s port=%s user=sluice password=sluice dbname=" DB, host, port);
    fixture f;
    fx_init(&f, NULL, "select pg_sleep(2)::text as s, current_setting('application_name') as app");
    f.src.url = ci;
    f.src.statement_timeout_s = 1;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_source_postgres.prepare(&f.tab, &err), 0, "%s", err.msg);
    sl_buf out = {0};
    long rows;
    cr_assert_eq(sl_test_read_all(&f, &out, &rows, &err), -1);
    cr_assert(strstr(err.msg, "statement timeout"), "%s", err.msg);
    cr_assert(strstr(err.msg, "query of table"), "%s", err.msg);
    sl_buf_free(&out);
    sl_test_fx_done(&f);

    fx_init(&f, NULL, "select current_setting('application_name') as app");
    f.src.url = ci;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(got, "sluice\n");
    sl_free(got);
    sl_test_fx_done(&f);
}

Test(src_pg, permission_denied_is_a_source_error)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS secret; CREATE TABLE secret (id int);"
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sl_noperm') THEN "
        "CREATE ROLE sl_noperm LOGIN PASSWORD 'n0perm'; END IF; END $$;"
        "REVOKE ALL ON secret FROM sl_noperm");
    const char *base = getenv("SLUICE_PG_URL");
    char u[512];
    snprintf(u, sizeof u, "postgres://sl_noperm:n0perm%s/" DB, strrchr(base, '@'));
    expect_prepare_error(u, "public.secret", SL_ESOURCE, "n0perm",
                         (const char *[]){ "permission denied", "42501", "table public.secret", NULL });
}

/* A database of another encoding than UTF8, made once (parallel tests may race:
 * the loser's CREATE fails, the database is there either way). */
static bool pg_db_encoded(const char *db, const char *encoding, char *out, size_t n)
{
    char dummy[512];
    if (!sl_test_pg_db("test_src_pg", DB, dummy, sizeof dummy)) return false;
    const char *base = getenv("SLUICE_PG_URL");
    char admin[512], q[256];
    snprintf(admin, sizeof admin, "%s/postgres", base);
    PGconn *c = sl_test_pg_connect(admin);
    snprintf(q, sizeof q, "CREATE DATABASE %s ENCODING '%s' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0", db, encoding);
    PQclear(PQexec(c, q));
    PQfinish(c);
    snprintf(out, n, "%s/%s", base, db);
    return true;
}

/* Item 12: a SQL_ASCII database stores any bytes as text: they never reach
 * a string column; "char" arrives as its text form; bytea keeps the bytes. */
Test(src_pg, item12_sql_ascii_database_text_must_be_utf8_and_char_is_text)
{
    char db[512];
    if (!pg_db_encoded("sl_test_src_pg_ascii", "SQL_ASCII", db, sizeof db)) return;
    sl_test_pg_exec(db, "DROP TABLE IF EXISTS latin; CREATE TABLE latin (id int PRIMARY KEY, name text, c \"char\");"
                        "INSERT INTO latin VALUES (1, 'plain', 'a'), (2, convert_from('\\x436166e9', 'SQL_ASCII'), '\\351'),"
                        " (3, 'x', '')");
    fixture f;
    fx_init(&f, "latin", NULL);
    f.src.url = db;
    sl_test_expect_error(&f, SL_EDATA, "column name: row 2: invalid UTF-8 at byte 4 of the value (0xe9), after 'Caf'",
                         "columns: {name: bytes}");
    sl_test_fx_done(&f);

    fx_init(&f, NULL, "select id, c, name::bytea as raw from latin order by id");
    f.src.url = db;
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    char tb[64];
    cr_assert_str_eq(type_of(&f, "c", tb), "string");
    cr_assert_str_eq(got, "1|a|706c61696e\n2|\\351|436166e9\n3||78\n", "%s", got);
    sl_free(got);
    sl_test_fx_done(&f);
}

/* Rows in table `name` of the test database, or -1 when it does not exist. */
static long count_rows(const char *name)
{
    PGconn *c = sl_test_pg_connect(url);
    char q[256];
    snprintf(q, sizeof q, "SELECT to_regclass('%s') IS NOT NULL", name);
    PGresult *r = PQexec(c, q);
    long n = -1;
    if (PQgetvalue(r, 0, 0)[0] == 't') {
        PQclear(r);
        snprintf(q, sizeof q, "SELECT count(*) FROM %s", name);
        r = PQexec(c, q);
        n = atol(PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    PQfinish(c);
    return n;
}

/* Item 8: a query: is sent as one statement inside a read-only transaction. */
Test(src_pg, query_is_one_statement_in_a_read_only_transaction)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS victim; CREATE TABLE victim (id int); INSERT INTO victim VALUES (1), (2)");
    const char *attacks[] = {
        "select 1 as id; drop table victim",
        "select 1 as id) x; commit; drop table victim; select (1",
        "select 1 as id) x; commit; delete from victim; --",
        "commit",
    };
    for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
        fixture f;
        fx_init(&f, NULL, attacks[i]);
        sl_test_expect_error(&f, SL_ESOURCE, "query of table t", "must be one SELECT statement");
        sl_test_fx_done(&f);
        cr_assert_eq(count_rows("victim"), 2, "after <%s>", attacks[i]);
    }
    /* One statement that writes is refused by the transaction, at the COPY. */
    fixture f;
    sql("DROP SEQUENCE IF EXISTS victim_seq; CREATE SEQUENCE victim_seq");
    fx_init(&f, NULL, "select nextval('victim_seq') as id");
    sl_test_expect_error(&f, SL_ESOURCE, "read-only transaction", NULL);
    sl_test_fx_done(&f);
}

/* Item 6: prepare failing at its last step (RELEASE SAVEPOINT; here the
 * failpoint in front of it) is a plain error, and the pool still works. */
Test(src_pg, prepare_failing_at_its_end_is_a_plain_error)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS p6; CREATE TABLE p6 (id int PRIMARY KEY); INSERT INTO p6 SELECT generate_series(1, 100)");
    fixture f;
    fx_init(&f, "public.p6", NULL);
    f.cfg.partition.strategy = "range";
    f.cfg.partition.column = "id";
    f.cfg.partition.count = 4;
    cr_assert_eq(sl_failpoint_arm("pg:prepare-end:transient"), 1);
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_source_postgres.prepare(&f.tab, &err), -1);
    cr_assert_eq(err.code, SL_ETRANSIENT, "%s", err.msg);
    cr_assert_null(f.tab.schema);
    cr_assert_null(f.tab.tasks);
    cr_assert_eq(f.tab.ntasks, 0);
    sl_test_fx_done(&f);
    sl_failpoint_arm(NULL);
    fx_init(&f, "public.p6", NULL);
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_eq(rows, 100);
    sl_free(got);
    sl_test_fx_done(&f);
}

/* Item 12: a LATIN1 database's text is converted by the server, even when
 * the URL asks for client_encoding=LATIN1. */
Test(src_pg, item12_latin1_database_is_converted_to_utf8)
{
    char db[512];
    if (!pg_db_encoded("sl_test_src_pg_latin1", "LATIN1", db, sizeof db)) return;
    sl_test_pg_exec(db, "DROP TABLE IF EXISTS l; CREATE TABLE l (id int, name text);"
                        "INSERT INTO l VALUES (1, convert_from('\\x436166e9', 'LATIN1'))");
    char with_enc[600];
    snprintf(with_enc, sizeof with_enc, "%s?client_encoding=LATIN1", db);
    fixture f;
    fx_init(&f, "l", NULL);
    f.src.url = with_enc;
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(got, "1|Caf\xc3\xa9\n", "%s", got);
    sl_free(got);
    sl_test_fx_done(&f);
}

static void *cancel_later(void *arg)
{
    (void)arg;
    struct timespec ts = { 0, 300 * 1000000L };
    nanosleep(&ts, NULL);
    sl_source_postgres.cancel();
    return NULL;
}

/* Item 19: cancel() stops a query in flight at once, and later sessions are refused. */
Test(src_pg, cancel_stops_a_running_query)
{
    NEED_PG();
    fixture f;
    fx_init(&f, NULL, "select 1 as id from pg_sleep(30)");
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_source_postgres.prepare(&f.tab, &err), 0, "%s", err.msg);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t th;
    pthread_create(&th, NULL, cancel_later, NULL);
    sl_buf out = {0};
    long rows;
    cr_assert_eq(sl_test_read_all(&f, &out, &rows, &err), -1);
    pthread_join(th, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_assert_lt(s, 5.0, "took %.1f s: %s", s, err.msg);
    cr_assert(strstr(err.msg, "cancel"), "%s", err.msg);
    sl_buf_free(&out);
    /* Another task of the cancelled table: refused at once. */
    sl_err_clear(&err);
    cr_assert_null(sl_source_postgres.open(&f.tab, &f.tab.tasks[0], &err));
    cr_assert(strstr(err.msg, "cancelled"), "%s", err.msg);
    sl_test_fx_done(&f);
}

/* One-dimensional arrays of every mapped element type -> LIST columns:
 * NULL arrays, empty arrays, NULL elements; a multi-dimensional value is an
 * error naming table, column and row whose remedy (columns: string) works. */
Test(src_pg, arrays_as_lists)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS arrs; CREATE TABLE arrs (id int, a int2[], b int8[], c float4[], d float8[], "
        "e numeric(10,3)[], f text[], g bytea[], h jsonb[], i date[], j time[], k timestamp[], l timestamptz[], "
        "m uuid[], n bool[], o varchar(5)[], p int4[]);"
        "INSERT INTO arrs VALUES (1, '{1,NULL,-3}', '{9223372036854775807}', '{1.5}', '{-0.25,NULL}', "
        "'{1.5,-2.125}', '{\"a,b\",NULL,\"\"}', '{\"\\\\x00ff\"}', ARRAY['{\"k\": 1}'::jsonb], '{2024-01-02}', "
        "'{12:00:01.5}', '{\"2024-01-02 03:04:05\"}', '{\"2024-01-02 03:04:05+00\"}', "
        "'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '{t,f,NULL}', '{x}', '[0:1]={7,8}'),"
        "(2, NULL, '{}', NULL, '{}', NULL, '{}', NULL, '{}', NULL, '{}', NULL, '{}', NULL, '{}', NULL, '{NULL}')");
    fixture f;
    fx_init(&f, "arrs", NULL);
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(got,
        "1|[1,null,-3]|[9223372036854775807]|[1.5]|[-0.25,null]|[1.500,-2.125]|[\"a,b\",null,\"\"]|[\"\\\\x00ff\"]|"
        "[{\"k\": 1}]|[\"2024-01-02\"]|[\"12:00:01.5\"]|[\"2024-01-02 03:04:05\"]|[\"2024-01-02 03:04:05+00\"]|"
        "[\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"]|[true,false,null]|[\"x\"]|[7,8]\n"
        "2|<null>|[]|<null>|[]|<null>|[]|<null>|[]|<null>|[]|<null>|[]|<null>|[]|<null>|[null]\n");
    char tb[64];
    cr_assert_str_eq(type_of(&f, "e", tb), "list<decimal(10,3)>");
    cr_assert_str_eq(type_of(&f, "l", tb), "list<timestamptz>");
    sl_free(got);
    sl_test_fx_done(&f);

    sql("DROP TABLE IF EXISTS arr2; CREATE TABLE arr2 (id int, a int[]);"
        "INSERT INTO arr2 VALUES (1, '{1}'), (2, '{{1,2},{3,4}}')");
    fixture g;
    fx_init(&g, "arr2", NULL);
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_source_postgres.prepare(&g.tab, &err), 0, "%s", err.msg);
    sl_buf out = { 0 };
    cr_assert_eq(sl_test_read_all(&g, &out, &rows, &err), -1);
    cr_assert(strstr(err.msg, "column a: row 2: a 2-dimensional array") &&
              strstr(err.msg, "columns: [{name: a, type: string}]"), "%s", err.msg);
    sl_buf_free(&out);
    sl_test_fx_done(&g);
    /* the remedy, applied */
    sl_job_column cols[] = { { .name = "a", .type = { .id = SL_T_STRING } } };
    fixture h;
    fx_init(&h, "arr2", NULL);
    h.cfg.columns = cols;
    h.cfg.ncolumns = 1;
    got = sl_test_read_ok(&h, &rows);
    cr_assert_str_eq(got, "1|{1}\n2|{{1,2},{3,4}}\n");
    sl_free(got);
    sl_test_fx_done(&h);
}
