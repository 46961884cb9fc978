/*
 * test_src_sqlite.c - the sqlite source: declared types mapped, every type
 * value by value with NULLs and extremes, dates and timestamps stored as
 * text, unix seconds and julian days, type-affinity surprises reported with
 * table, column and rowid, range partitions covering all rows once, queries,
 * overrides, a missing table and a missing file.
 */
#include "sl_test.h"

#include "core/sl_alloc.h"
#include "core/sl_buf.h"
#include "core/sl_types.h"
#include "sources/sl_source.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dbpath[256];

static void db_make(const char *sql)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/sl-test-sqlite-%d-%p.db", (int)getpid(), (void *)&dbpath);
    unlink(dbpath);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
    char *msg = NULL;
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK, "%s", msg ? msg : "");
    sqlite3_close(db);
}

typedef sl_test_fx fixture;

static void fx_init(fixture *f, const char *table, const char *query)
{
    sl_test_fx_init(f, &sl_source_sqlite, "lite", "sqlite");
    f->batch_rows = 7;
    f->src.url = dbpath;
    f->cfg.table = (char *)table;
    f->cfg.query = (char *)query;
    f->cfg.partition.strategy = "none";
}

Test(src_sqlite, every_type_value_by_value)
{
    db_make("CREATE TABLE t (id INTEGER PRIMARY KEY, b BOOLEAN, i BIGINT NOT NULL, r DOUBLE, s VARCHAR(20), "
            "c CLOB, bl BLOB, n DECIMAL(12,2), nu NUMERIC, d DATE, ts DATETIME, tz TIMESTAMPTZ, tm TIME, "
            "u UUID, j JSON);"
            "INSERT INTO t VALUES (1, 1, -9223372036854775808, 1.5, 'héllo ✓', '', x'41ff', 12.5, 0.1, "
            "'1969-12-31', '2024-01-31 12:00:00.25', '2024-01-31T12:00:00+02:00', '23:59:59.999999', "
            "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\":1}');"
            "INSERT INTO t VALUES (2, 'false', 9223372036854775807, 7, 'x', 'y', '', '-9999999999.99', 123, "
            "86400, 0, 2440588.25, '00:00', x'a0eebc999c0b4ef8bb6d6bb9bd380a11', '[]');"
            "INSERT INTO t VALUES (3, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);");
    fixture f;
    fx_init(&f, NULL, "select * from t where id = 1");
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    sl_test_fx_done(&f);
    sl_free(got);
    fx_init(&f, "t", NULL);
    f.cfg.partition.strategy = "range";
    f.cfg.partition.column = "id";
    f.cfg.partition.count = 3;
    got = sl_test_read_ok(&f, &rows);
    cr_assert_eq(f.tab.ntasks, 3);
    const char *want_types[] = { "int64", "bool", "int64", "float64", "string", "string", "bytes", "decimal(12,2)",
                                 "decimal(38,18)", "date", "timestamp", "timestamptz", "time", "uuid", "json" };
    for (int c = 0; c < 15; c++) {
        char tb[64];
        cr_assert_str_eq(sl_type_format(f.tab.schema->fields[c].type, tb, sizeof tb), want_types[c], "col %d", c);
    }
    cr_assert(!f.tab.schema->fields[0].nullable);
    cr_assert(f.tab.schema->fields[1].nullable);
    cr_assert(!f.tab.schema->fields[2].nullable);
    const char *want1 =
        "1|true|-9223372036854775808|1.5|héllo ✓||A\xff|12.50|0.100000000000000000|1969-12-31|2024-01-31 12:00:00.25|"
        "2024-01-31 10:00:00+00|23:59:59.999999|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|{\"a\":1}\n";
    cr_assert_eq(strncmp(got, want1, strlen(want1)), 0, "%s", got);
    cr_assert_eq(rows, 3);
    sl_free(got);
    sl_test_fx_done(&f);

    fx_init(&f, NULL, "select id, b, i, r, s, c, n, nu, d, ts, tz, tm, u, j from t where id >= 2");
    got = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(got,
        "2|false|9223372036854775807|7|x|y|-9999999999.99|123.000000000000000000|1970-01-02|1970-01-01 00:00:00|"
        "1970-01-01 18:00:00+00|00:00:00|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|[]\n"
        "3|<null>|0|<null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>\n");
    sl_free(got);
    sl_test_fx_done(&f);
    unlink(dbpath);
}

Test(src_sqlite, affinity_surprises_name_table_column_rowid)
{
    db_make("CREATE TABLE items (qty INTEGER, price REAL, name TEXT);"
            "INSERT INTO items VALUES (1, 1.0, 'a'), (2, 2, 'b'), ('abc', 3, 'c');"
            "CREATE TABLE items2 (qty INTEGER);"
            "INSERT INTO items2 VALUES (1), (3.5);"
            "CREATE TABLE items3 (price REAL);"
            "INSERT INTO items3 VALUES ('cheap');"
            "CREATE TABLE items4 (name TEXT);"
            "INSERT INTO items4 VALUES (x'00');");
    fixture f;
    fx_init(&f, "items", NULL);
    sl_test_expect_error(&f, SL_EDATA, "table items", "column qty: rowid 3: text 'abc' in a int64 column");
    sl_test_fx_done(&f);
    fx_init(&f, "items2", NULL);
    sl_test_expect_error(&f, SL_EDATA, "column qty: rowid 2: a real number '3.5'", NULL);
    sl_test_fx_done(&f);
    fx_init(&f, "items3", NULL);
    sl_test_expect_error(&f, SL_EDATA, "column price: rowid 1: text 'cheap'", NULL);
    sl_test_fx_done(&f);
    fx_init(&f, "items4", NULL);
    sl_test_expect_error(&f, SL_EDATA, "column name: rowid 1: a blob", NULL);
    sl_test_fx_done(&f);
    unlink(dbpath);
}

Test(src_sqlite, partitions_cover_all_rows_once)
{
    db_make("CREATE TABLE p (id INTEGER PRIMARY KEY, k INT, v TEXT);"
            "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 5000) "
            "INSERT INTO p SELECT x, CASE WHEN x % 10 = 0 THEN NULL ELSE x * 3 END, 'v' || x FROM g;"
            "INSERT INTO p VALUES (1000000, 7, 'far');"
            "CREATE TABLE e (id INTEGER PRIMARY KEY);");
    fixture f;
    fx_init(&f, "p", NULL);
    f.cfg.partition.strategy = "range";
    f.cfg.partition.count = 4;
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_eq(f.tab.ntasks, 4);
    cr_assert_str_eq(f.tab.tasks[0].predicate, "rowid < 250001");
    cr_assert_eq(rows, 5001);
    sl_free(got);
    sl_test_fx_done(&f);

    fx_init(&f, "p", NULL);
    f.cfg.partition.strategy = "range";
    f.cfg.partition.column = "k";
    f.cfg.partition.count = 3;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_source_sqlite.prepare(&f.tab, &err), 0, "%s", err.msg);
    cr_assert_eq(f.tab.ntasks, 4);
    cr_assert_str_eq(f.tab.tasks[3].predicate, "\"k\" IS NULL");
    long total = 0;
    long long sum = 0;
    for (int t = 0; t < f.tab.ntasks; t++) {
        void *rd = sl_source_sqlite.open(&f.tab, &f.tab.tasks[t], &err);
        cr_assert_not_null(rd, "%s", err.msg);
        sl_batch *b = sl_batch_new(f.tab.schema, 0);
        long n;
        while ((n = sl_source_sqlite.next(rd, b, &err)) > 0) {
            for (size_t r = 0; r < b->nrows; r++) {
                int64_t id;
                memcpy(&id, b->cols[0].data + 8 * r, 8);
                sum += id;
            }
            total += n;
        }
        cr_assert_eq(n, 0, "%s", err.msg);
        sl_batch_free(b);
        sl_source_sqlite.close(rd);
    }
    cr_assert_eq(total, 5001);
    cr_assert_eq(sum, 5000LL * 5001 / 2 + 1000000);
    sl_test_fx_done(&f);

    fx_init(&f, "e", NULL);
    f.cfg.partition.strategy = "auto";
    got = sl_test_read_ok(&f, &rows);
    cr_assert_eq(rows, 0);
    cr_assert_eq(f.tab.ntasks, 1);
    sl_free(got);
    sl_test_fx_done(&f);
    unlink(dbpath);
}

Test(src_sqlite, query_needs_types_for_expressions)
{
    db_make("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1), (2);");
    fixture f;
    fx_init(&f, NULL, "select count(*) as n, sum(a) as s from t");
    sl_test_expect_error(&f, SL_ETYPE, "column n has no declared type", "columns:");
    sl_test_fx_done(&f);
    sl_job_column cols[] = { { .name = "n", .type = { .id = SL_T_INT64 }, .nullable = true },
                             { .name = "s", .type = { .id = SL_T_STRING }, .nullable = true } };
    fx_init(&f, NULL, "select count(*) as n, sum(a) as s from t;");
    f.cfg.columns = cols;
    f.cfg.ncolumns = 2;
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(got, "2|3\n");
    sl_free(got);
    sl_test_fx_done(&f);
    unlink(dbpath);
}

Test(src_sqlite, missing_table_and_file)
{
    db_make("CREATE TABLE t (a INTEGER);");
    fixture f;
    fx_init(&f, "main.nope", NULL);
    sl_test_expect_error(&f, SL_ESOURCE, "table main.nope does not exist", NULL);
    sl_test_fx_done(&f);
    unlink(dbpath);
    fx_init(&f, "t", NULL);
    f.src.url = "/nonexistent/dir/x.db";
    sl_test_expect_error(&f, SL_ESOURCE, "cannot open SQLite database /nonexistent/dir/x.db", NULL);
    sl_test_fx_done(&f);
}

/* Item 12: SQLite keeps any bytes as TEXT; a string or json column gets only
 * well-formed UTF-8, else an error naming table, column and rowid (the bad
 * byte in hex, never raw). A bytes column takes the same bytes. */
Test(src_sqlite, item12_text_that_is_not_utf8_names_table_column_rowid)
{
    db_make("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, doc JSON);"
            "INSERT INTO people VALUES (1, 'Zoë', '{}'), (7, CAST(x'436166e9' AS TEXT), '{}');"
            "CREATE TABLE docs (id INTEGER PRIMARY KEY, doc JSON);"
            "INSERT INTO docs VALUES (3, CAST(x'7b2261223a22eda080227d' AS TEXT));");
    fixture f;
    fx_init(&f, "people", NULL);
    sl_test_expect_error(&f, SL_EDATA, "table people: column name: rowid 7: invalid UTF-8 at byte 4 of the value (0xe9), after 'Caf'",
                         "set its type to bytes in columns:");
    sl_test_fx_done(&f);
    fx_init(&f, "docs", NULL);
    sl_test_expect_error(&f, SL_EDATA, "column doc: rowid 3: invalid UTF-8 at byte 7 of the value (0xed 0xa0 0x80 0x22)", NULL);
    sl_test_fx_done(&f);
    sl_job_column cols[] = { { .name = "name", .type = { .id = SL_T_BYTES }, .nullable = true } };
    fx_init(&f, NULL, "select name from people order by id");
    f.cfg.columns = cols;
    f.cfg.ncolumns = 1;
    f.hex_bytes = true;
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(got, "5a6fc3ab\n436166e9\n");
    sl_free(got);
    sl_test_fx_done(&f);
    unlink(dbpath);
}

/* Item 14: a REAL read into a decimal goes through its shortest round-trip
 * text (17 significant digits when needed), not SQLite's 15. */
Test(src_sqlite, item14_real_into_decimal_uses_the_shortest_round_trip_form)
{
    db_make("CREATE TABLE m (id INTEGER PRIMARY KEY, v DECIMAL(20,9), w DECIMAL(38,18), x DECIMAL(10,2));"
            "INSERT INTO m VALUES (1, 1234567.891234567, 0.1, 12.5), (2, -0.000000001, 1e19, 1e5),"
            " (3, 9007199254740993, 5e-324, 0), (4, 123456789.12345679, 0.30000000000000004, -0.0),"
            " (5, 0.30000000000000004, 0, 0);"
            "CREATE TABLE m2 (id INTEGER PRIMARY KEY, v DECIMAL(20,9)); INSERT INTO m2 VALUES (5, 0.30000000000000004);");
    fixture f;
    fx_init(&f, NULL, "select v, w, x from m where id < 3 order by id");
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(got, "1234567.891234567|0.100000000000000000|12.50\n"
                          "-0.000000001|10000000000000000000.000000000000000000|100000.00\n", "%s", got);
    sl_free(got);
    sl_test_fx_done(&f);
    /* 9007199254740993 is stored as INTEGER (exact); 5e-324 has more
     * fractional digits than decimal(38,18) holds: an error, never rounded. */
    fx_init(&f, NULL, "select w from m where id = 3");
    sl_job_column cols[] = { { .name = "w", .type = { .id = SL_T_DECIMAL, .precision = 38, .scale = 18 }, .nullable = true } };
    f.cfg.columns = cols;
    f.cfg.ncolumns = 1;
    sl_test_expect_error(&f, SL_EDATA, "a real number '5e-324'", "more fractional digits than the column's scale");
    sl_test_fx_done(&f);
    fx_init(&f, NULL, "select v, w, x from m where id = 4");
    got = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(got, "123456789.123456790|0.300000000000000040|0.00\n", "%s", got);
    sl_free(got);
    sl_test_fx_done(&f);
    /* 15 digits would have read 0.3 here: silently rounded. */
    fx_init(&f, "m2", NULL);
    sl_test_expect_error(&f, SL_EDATA, "column v: rowid 5: a real number '0.30000000000000004' in a decimal(20,9) column",
                         "more fractional digits than the column's scale");
    sl_test_fx_done(&f);
    unlink(dbpath);
}
