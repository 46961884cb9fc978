/*
 * test_pg_partition.c - partition planning and sessions of the postgres
 * source against a real server (SLUICE_PG_URL, set by tests/run.sh):
 *   - the task count `auto` rule;
 *   - every strategy (range on integers, negative integers, dates and
 *     timestamps; histogram on integers, text, uuid and timestamps, from
 *     pg_stats and from a sample when never analyzed; mod with negative keys;
 *     pages on a table without a key; auto's choices and notes): the tasks
 *     together read every row exactly once (count and a sum over the rows),
 *     the estimates are filled, the largest task of histogram/auto is within
 *     1.5x the mean, and EXPLAIN shows index, bitmap or TID range scans;
 *   - errors: range on text, mod on uuid, pages on a query, unknown column;
 *   - sessions: never more than max_connections (planning included, three
 *     tables on two sessions), `consistent: true` gives every table one
 *     snapshot and `consistent: false` one each, a failed task and a task
 *     stopped mid-COPY leave the snapshot usable for the retry;
 *   - rows_per_second slows the reading down;
 *   - views and foreign tables (planned like a query), materialized views and
 *     partitioned tables (sampled over their leaves) cut by a column; pg_stats
 *     that cannot be read falls back to a sample.
 * Without SLUICE_PG_URL every test prints a loud SKIP and passes.
 */
#include "sl_test.h"

#include "core/sl_alloc.h"
#include "core/sl_buf.h"
#include "core/sl_types.h"
#include "sources/sl_pg_partition.h"
#include "sources/sl_pg_session.h"
#include "sources/sl_source.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DB "sl_test_pg_partition"

static char url[512];

static bool pg_setup(void) { return sl_test_pg_db("test_pg_partition", DB, url, sizeof url); }

#define NEED_PG() do { if (!pg_setup()) return; } while (0)

static PGconn *db(void) { return sl_test_pg_connect(url); }

static void sql(const char *text) { sl_test_pg_exec(url, text); }

/* One value of a one-row query, as a number. */
static double value(const char *text)
{
    PGconn *c = db();
    PGresult *r = PQexec(c, text);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: %s", text, PQerrorMessage(c));
    double v = atof(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
    return v;
}

/* Pg stats are written at transaction end and ANALYZE resets the change
 * counters; wait until the counters agree the table is freshly analyzed. */
static void analyze(const char *table)
{
    char q[256];
    snprintf(q, sizeof q, "ANALYZE %s", table);
    for (int i = 0; i < 40; i++) {
        sql(q);
        snprintf(q, sizeof q, "SELECT coalesce(n_mod_since_analyze, 0) FROM pg_stat_all_tables WHERE relid = '%s'::regclass",
                 table);
        if (value(q) == 0) return;
        struct timespec ts = { 0, 100 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        snprintf(q, sizeof q, "ANALYZE %s", table);
    }
}

typedef sl_test_fx fixture;

static void fx_init(fixture *f, const char *table, const char *query, const char *strategy, const char *column,
                    int count)
{
    sl_test_fx_init(f, &sl_source_postgres, "pg", "postgres");
    f->src.url = url;
    f->src.max_connections = 4;
    f->cfg.name = (char *)(table ? table : "q");
    f->cfg.table = (char *)table;
    f->cfg.query = (char *)query;
    f->cfg.partition.strategy = (char *)strategy;
    f->cfg.partition.column = (char *)column;
    f->cfg.partition.count = count;
}

static void fx_prepare(fixture *f)
{
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_source_postgres.prepare(&f->tab, &err), 0, "prepare: %s", err.msg);
}

/* Reads one task: its rows, and the sum of int column `col` (NULLs skipped). */
static long read_task(fixture *f, int t, int col, __int128 *sum)
{
    sl_err err = SL_ERR_INIT;
    void *rd = sl_source_postgres.open(&f->tab, &f->tab.tasks[t], &err);
    cr_assert_not_null(rd, "open task %d: %s", t, err.msg);
    sl_batch *b = sl_batch_new(f->tab.schema, 4096);
    long n, rows = 0;
    while ((n = sl_source_postgres.next(rd, b, &err)) > 0) {
        const sl_vector *v = &b->cols[col];
        for (size_t r = 0; r < b->nrows; r++) {
            if (!v->valid[r]) continue;
            int64_t x = 0;
            if (v->type.id == SL_T_INT64) memcpy(&x, v->data + 8 * r, 8);
            else { int32_t y; memcpy(&y, v->data + 4 * r, 4); x = y; }
            *sum += x;
        }
        rows += n;
    }
    cr_assert_eq(n, 0, "task %d: %s", t, err.msg);
    sl_batch_free(b);
    sl_source_postgres.close(rd);
    return rows;
}

/* Every task once: total rows and sum of column `col` must equal the table's. */
static void check_cover(fixture *f, const char *table, const char *col_name, double max_over_mean)
{
    int col = sl_schema_find(f->tab.schema, col_name);
    cr_assert_geq(col, 0);
    long total = 0, largest = 0;
    __int128 sum = 0;
    for (int t = 0; t < f->tab.ntasks; t++) {
        cr_assert_geq(f->tab.tasks[t].est_rows, 0, "task %d has no estimate", t);
        long n = read_task(f, t, col, &sum);
        total += n;
        if (n > largest) largest = n;
    }
    char q[256];
    snprintf(q, sizeof q, "SELECT count(*) FROM %s", table);
    cr_assert_eq(total, (long)value(q), "%s: rows of all tasks", table);
    snprintf(q, sizeof q, "SELECT coalesce(sum(%s), 0)::text FROM %s", col_name, table);
    cr_assert_eq((double)sum, value(q), "%s: sum of %s over all tasks", table, col_name);
    if (max_over_mean > 0 && f->tab.ntasks > 1) {
        double mean = (double)total / f->tab.ntasks;
        cr_assert_leq(largest, max_over_mean * mean, "%s: largest task %ld rows, mean %.0f (%s)", table, largest,
                      mean, f->tab.strategy_note);
    }
}

/* EXPLAIN of every task predicate (seq scans off): no Seq Scan. */
static void check_explain(fixture *f, const char *table)
{
    PGconn *c = db();
    PQclear(PQexec(c, "SET enable_seqscan = off"));
    for (int t = 0; t < f->tab.ntasks; t++) {
        if (!f->tab.tasks[t].predicate) continue;
        char *q = sl_sprintf("EXPLAIN (COSTS OFF) SELECT * FROM %s WHERE %s", table, f->tab.tasks[t].predicate);
        PGresult *r = PQexec(c, q);
        cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: %s", q, PQerrorMessage(c));
        sl_buf plan = {0};
        for (int i = 0; i < PQntuples(r); i++) {
            sl_buf_append(&plan, PQgetvalue(r, i, false), strlen(PQgetvalue(r, i, 0)));
            sl_buf_push(&plan, '\n');
        }
        sl_buf_push(&plan, 0);
        const char *p = (const char *)plan.data;
        cr_assert(!strstr(p, "Seq Scan") && (strstr(p, "Index") || strstr(p, "Tid Range Scan")),
                  "%s\n%s", q, p);
        sl_buf_free(&plan);
        PQclear(r);
        sl_free(q);
    }
    PQfinish(c);
}

static bool note_has(fixture *f, const char *s)
{
    return f->tab.strategy_note && strstr(f->tab.strategy_note, s);
}

Test(pg_partition, auto_count_rule)
{
    cr_assert_eq(sl_pg_partition_auto_count(1e7, 2, 4, false), 8);
    cr_assert_eq(sl_pg_partition_auto_count(1e7, 8, 2, false), 8);          /* max_connections caps the workers */
    cr_assert_eq(sl_pg_partition_auto_count(1e9, 200, 1000, false), SL_PGPART_MAX_TASKS);
    cr_assert_eq(sl_pg_partition_auto_count(40000, 4, 4, false), 1);         /* tiny: one task */
    cr_assert_eq(sl_pg_partition_auto_count(100000, 4, 4, false), 4);        /* at least 25000 rows a task */
    cr_assert_eq(sl_pg_partition_auto_count(0, 4, 4, false), 1);
    cr_assert_eq(sl_pg_partition_auto_count(-1, 3, 4, false), 12);           /* unknown size */
    /* a later incremental read: one task a worker, more for a large increment */
    cr_assert_eq(sl_pg_partition_auto_count(112000, 2, 2, true), 2);
    cr_assert_eq(sl_pg_partition_auto_count(30000, 2, 2, true), 1);
    cr_assert_eq(sl_pg_partition_auto_count(1.5e6, 2, 2, true), 6);
    cr_assert_eq(sl_pg_partition_auto_count(1e8, 2, 2, true), 8);
    cr_assert_eq(sl_pg_partition_auto_count(-1, 2, 2, true), 8);
}

Test(pg_partition, auto_on_dense_ids_is_range)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS p_dense; CREATE TABLE p_dense (id int8 PRIMARY KEY, v int NOT NULL);"
        "INSERT INTO p_dense SELECT g, g % 100 FROM generate_series(1, 120000) g");
    analyze("p_dense");
    fixture f;
    fx_init(&f, "p_dense", NULL, "auto", NULL, 0);
    fx_prepare(&f);
    cr_assert_eq(f.tab.ntasks, 4, "%d tasks: %s", f.tab.ntasks, f.tab.strategy_note);   /* 120000 / 25000 */
    cr_assert(note_has(&f, "range on id: primary key"), "%s", f.tab.strategy_note);
    check_cover(&f, "p_dense", "id", 1.05);
    check_explain(&f, "p_dense");
    sl_test_fx_done(&f);
}

Test(pg_partition, auto_on_clustered_ids_is_histogram_and_range_is_skewed)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS p_clus; CREATE TABLE p_clus (id int8 PRIMARY KEY, v int NOT NULL);"
        "INSERT INTO p_clus SELECT g, 1 FROM generate_series(1, 90000) g;"
        "INSERT INTO p_clus SELECT 90000 + g * 900, 2 FROM generate_series(1, 9000) g;"
        "INSERT INTO p_clus SELECT 4611686018427387904 - g::int8 * 4609381327763506, 3 FROM generate_series(1, 1000) g");
    analyze("p_clus");
    fixture f;
    fx_init(&f, "p_clus", NULL, "auto", NULL, 8);
    fx_prepare(&f);
    cr_assert(note_has(&f, "histogram on id: primary key") && note_has(&f, "skewed"), "%s", f.tab.strategy_note);
    check_cover(&f, "p_clus", "id", 1.5);
    check_explain(&f, "p_clus");
    sl_test_fx_done(&f);

    fx_init(&f, "p_clus", NULL, "range", "id", 8);
    fx_prepare(&f);
    int64_t largest = 0, sum = 0;
    for (int t = 0; t < f.tab.ntasks; t++) {
        sum += f.tab.tasks[t].est_rows;
        if (f.tab.tasks[t].est_rows > largest) largest = f.tab.tasks[t].est_rows;
    }
    cr_assert_gt(largest, sum * 0.8, "range estimates should show the skew: %s", f.tab.strategy_note);
    check_cover(&f, "p_clus", "id", 0);
    check_explain(&f, "p_clus");
    sl_test_fx_done(&f);
}

Test(pg_partition, range_on_negative_ids_dates_and_timestamps)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS p_neg; CREATE TABLE p_neg (id int4 PRIMARY KEY, d date NOT NULL, ts timestamp, tz timestamptz);"
        "INSERT INTO p_neg SELECT g * 7 - 200000, date '1900-01-01' + g, timestamp '1999-12-31 23:00:00' + g * interval '13 seconds',"
        " CASE WHEN g % 5 = 0 THEN NULL ELSE timestamptz '2020-01-01 00:00:00+00' + g * interval '1 minute' END "
        "FROM generate_series(1, 50000) g;"
        "CREATE INDEX ON p_neg (d); CREATE INDEX ON p_neg (ts); CREATE INDEX ON p_neg (tz)");
    analyze("p_neg");
    const char *cols[] = { "id", "d", "ts", "tz" };
    for (int i = 0; i < 4; i++) {
        fixture f;
        fx_init(&f, "p_neg", NULL, "range", cols[i], 5);
        fx_prepare(&f);
        cr_assert_geq(f.tab.ntasks, 5, "%s: %s", cols[i], f.tab.strategy_note);
        cr_assert(note_has(&f, "range on"), "%s", f.tab.strategy_note);
        check_cover(&f, "p_neg", "id", 1.3);
        check_explain(&f, "p_neg");
        if (i == 3) cr_assert_str_eq(f.tab.tasks[f.tab.ntasks - 1].predicate, "\"tz\" IS NULL");
        sl_test_fx_done(&f);
    }
}

Test(pg_partition, histogram_on_text_uuid_and_timestamps)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS p_txt; CREATE TABLE p_txt (k text PRIMARY KEY, u uuid NOT NULL UNIQUE, "
        "ts timestamptz NOT NULL, n int NOT NULL);"
        "INSERT INTO p_txt SELECT CASE WHEN g % 4 = 0 THEN md5(g::text) ELSE 'user/' || md5(g::text) || '''q' END, "
        " md5(g::text || 'u')::uuid, timestamptz '2024-06-01 00:00:00+00' + (g % 1000) * interval '1 second' "
        " + CASE WHEN g % 10 = 0 THEN g * interval '1 hour' ELSE interval '0' END, g "
        "FROM generate_series(1, 60000) g; CREATE INDEX ON p_txt (ts)");
    analyze("p_txt");
    const char *cols[] = { "k", "u", "ts" };
    for (int i = 0; i < 3; i++) {
        fixture f;
        fx_init(&f, "p_txt", NULL, "histogram", cols[i], 6);
        fx_prepare(&f);
        cr_assert(note_has(&f, "histogram on") && note_has(&f, "pg_stats"), "%s", f.tab.strategy_note);
        cr_assert_geq(f.tab.ntasks, 5, "%s", f.tab.strategy_note);
        check_cover(&f, "p_txt", "n", 1.5);
        check_explain(&f, "p_txt");
        sl_test_fx_done(&f);
    }
}

Test(pg_partition, histogram_samples_when_never_analyzed)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS p_fresh; CREATE TABLE p_fresh (id int8 PRIMARY KEY, k text NOT NULL) "
        "WITH (autovacuum_enabled = false);"
        "INSERT INTO p_fresh SELECT CASE WHEN g <= 54000 THEN g ELSE g::int8 * 1000000007 END, md5(g::text) "
        "FROM generate_series(1, 60000) g; CREATE INDEX ON p_fresh (k)");
    fixture f;
    fx_init(&f, "p_fresh", NULL, "auto", NULL, 0);
    fx_prepare(&f);
    cr_assert(note_has(&f, "histogram on id") && note_has(&f, "sample"), "%s", f.tab.strategy_note);
    cr_assert_eq(f.tab.ntasks, 2, "%s", f.tab.strategy_note);   /* ~60000 rows estimated from the sample */
    check_cover(&f, "p_fresh", "id", 1.5);
    sl_test_fx_done(&f);

    fx_init(&f, "p_fresh", NULL, "histogram", "k", 5);
    fx_prepare(&f);
    cr_assert(note_has(&f, "sample"), "%s", f.tab.strategy_note);
    check_cover(&f, "p_fresh", "id", 1.5);
    check_explain(&f, "p_fresh");
    sl_test_fx_done(&f);
}

Test(pg_partition, mod_covers_negative_keys)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS p_mod; CREATE TABLE p_mod (id int8, v int);"
        "INSERT INTO p_mod SELECT CASE WHEN g % 50 = 0 THEN NULL ELSE g - 5000 END, g FROM generate_series(1, 10000) g");
    fixture f;
    fx_init(&f, "p_mod", NULL, "mod", "id", 4);
    fx_prepare(&f);
    cr_assert_eq(f.tab.ntasks, 5);
    cr_assert_str_eq(f.tab.tasks[1].predicate, "abs(\"id\" % 4) = 1");
    cr_assert(note_has(&f, "no index can answer"), "%s", f.tab.strategy_note);
    check_cover(&f, "p_mod", "v", 1.3);
    sl_test_fx_done(&f);
}

Test(pg_partition, pages_when_there_is_no_key)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS p_heap; CREATE TABLE p_heap (n int, s text);"
        "INSERT INTO p_heap SELECT g, repeat('x', g % 50) FROM generate_series(1, 150000) g");
    analyze("p_heap");
    fixture f;
    fx_init(&f, "p_heap", NULL, "auto", NULL, 0);
    fx_prepare(&f);
    cr_assert(note_has(&f, "pages: no primary key"), "%s", f.tab.strategy_note);
    cr_assert_eq(f.tab.ntasks, 6, "%s", f.tab.strategy_note);
    cr_assert(strstr(f.tab.tasks[1].predicate, "ctid >= '("), "%s", f.tab.tasks[1].predicate);
    check_cover(&f, "p_heap", "n", 1.2);
    check_explain(&f, "p_heap");
    sl_test_fx_done(&f);
}

Test(pg_partition, tiny_empty_and_one_row_tables_are_one_task)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS p_one, p_none; CREATE TABLE p_one (id int8 PRIMARY KEY); INSERT INTO p_one VALUES (7);"
        "CREATE TABLE p_none (id int8 PRIMARY KEY)");
    analyze("p_one");
    analyze("p_none");
    const char *tables[] = { "p_one", "p_none" };
    const char *strategies[] = { "auto", "histogram", "range", "pages" };
    for (int t = 0; t < 2; t++)
        for (int s = 0; s < 4; s++) {
            fixture f;
            fx_init(&f, tables[t], NULL, strategies[s], NULL, 0);
            fx_prepare(&f);
            cr_assert_eq(f.tab.ntasks, 1, "%s %s: %s", tables[t], strategies[s], f.tab.strategy_note);
            check_cover(&f, tables[t], "id", 0);
            sl_test_fx_done(&f);
        }
    /* An explicit count on a one-row table: every row still exactly once. */
    fixture f;
    fx_init(&f, "p_one", NULL, "histogram", "id", 4);
    fx_prepare(&f);
    check_cover(&f, "p_one", "id", 0);
    sl_test_fx_done(&f);
}

Test(pg_partition, errors_name_the_table_and_the_remedy)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS p_err; CREATE TABLE p_err (id int8 PRIMARY KEY, s text, u uuid, j jsonb)");
    struct { const char *table, *query, *strategy, *column, *want; } cases[] = {
        { "p_err", NULL, "range", "s", "range needs an integer, date or timestamp column" },
        { "p_err", NULL, "mod", "u", "mod needs an integer" },
        { "p_err", NULL, "histogram", "nope", "partition column nope is not a column" },
        { "p_err", NULL, "histogram", "j", "cannot be cut into ranges" },
        { NULL, "select 1 as id", "pages", NULL, "pages needs a plain table" },
        { NULL, "select 1 as id", "histogram", NULL, "needs a column" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fixture f;
        fx_init(&f, cases[i].table, cases[i].query, cases[i].strategy, cases[i].column, 4);
        sl_err err = SL_ERR_INIT;
        cr_assert_eq(sl_source_postgres.prepare(&f.tab, &err), -1, "case %zu", i);
        cr_assert_eq(err.code, SL_EJOB, "case %zu: %s", i, err.msg);
        cr_assert(strstr(err.msg, cases[i].want), "case %zu: %s", i, err.msg);
        sl_test_fx_done(&f);
    }
}

/* Sessions the source's pool holds open now. */
static int pool_sessions(const sl_job_source *src)
{
    sl_pg_pool *p = sl_pg_pool_get(src);
    int n = sl_pg_pool_open_sessions(p);
    sl_pg_pool_put(p);
    return n;
}

Test(pg_partition, sessions_never_exceed_max_connections)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS p_s1, p_s2, p_s3; CREATE TABLE p_s1 (id int8 PRIMARY KEY);"
        "INSERT INTO p_s1 SELECT generate_series(1, 30000); CREATE TABLE p_s2 (LIKE p_s1 INCLUDING ALL);"
        "INSERT INTO p_s2 SELECT generate_series(1, 20000); CREATE TABLE p_s3 (LIKE p_s1 INCLUDING ALL);"
        "INSERT INTO p_s3 SELECT generate_series(1, 10000)");
    /* Three tables of one source with max_connections 2 (consistent: false):
     * planning and tasks never hold more than 2 sessions. */
    fixture f[3];
    const char *names[] = { "p_s1", "p_s2", "p_s3" };
    for (int i = 0; i < 3; i++) {
        fx_init(&f[i], names[i], NULL, "range", "id", 3);
        if (i) {
            f[i].cfg.source = &f[0].src;
            f[i].cfg.from = "pg";
        }
    }
    f[0].src.max_connections = 2;
    for (int i = 0; i < 3; i++) {
        fx_prepare(&f[i]);
        cr_assert_leq(pool_sessions(&f[0].src), 2);
    }
    sl_err err = SL_ERR_INIT;
    void *r1 = sl_source_postgres.open(&f[2].tab, &f[2].tab.tasks[0], &err);
    cr_assert_not_null(r1, "%s", err.msg);
    void *r2 = sl_source_postgres.open(&f[0].tab, &f[0].tab.tasks[1], &err);
    cr_assert_not_null(r2, "%s", err.msg);
    cr_assert_eq(pool_sessions(&f[0].src), 2);
    sl_source_postgres.close(r1);
    sl_source_postgres.close(r2);
    /* Every task of every table, in any order, still on 2 sessions, each
     * table complete. */
    for (int i = 2; i >= 0; i--) {
        char q[64];
        snprintf(q, sizeof q, "%s", names[i]);
        check_cover(&f[i], q, "id", 0);
        cr_assert_leq(pool_sessions(&f[0].src), 2);
    }
    for (int i = 0; i < 3; i++) sl_test_fx_done(&f[i]);
}

Test(pg_partition, consistent_source_shares_one_snapshot)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS p_c1, p_c2; CREATE TABLE p_c1 (id int8 PRIMARY KEY); CREATE TABLE p_c2 (id int8 PRIMARY KEY);"
        "INSERT INTO p_c1 SELECT generate_series(1, 1000); INSERT INTO p_c2 SELECT generate_series(1, 1000)");
    for (int consistent = 0; consistent <= 1; consistent++) {
        fixture a, b;
        fx_init(&a, "p_c1", NULL, "range", "id", 2);
        fx_init(&b, "p_c2", NULL, "range", "id", 2);
        a.src.consistent = consistent;
        b.cfg.source = &a.src;
        fx_prepare(&a);
        sql("INSERT INTO p_c2 SELECT generate_series(1001, 1500)");
        fx_prepare(&b);
        sql("INSERT INTO p_c1 SELECT generate_series(1001, 1500)");
        __int128 s = 0;
        long ra = 0, rb = 0;
        for (int t = 0; t < a.tab.ntasks; t++) ra += read_task(&a, t, 0, &s);
        for (int t = 0; t < b.tab.ntasks; t++) rb += read_task(&b, t, 0, &s);
        cr_assert_eq(ra, 1000, "consistent %d: p_c1 sees its snapshot", consistent);
        cr_assert_eq(rb, consistent ? 1000 : 1500, "consistent %d: p_c2 %s", consistent,
                     consistent ? "reads p_c1's snapshot" : "has its own snapshot");
        sl_test_fx_done(&b);
        sl_test_fx_done(&a);
        sql("DELETE FROM p_c1 WHERE id > 1000; DELETE FROM p_c2 WHERE id > 1000");
    }
}

Test(pg_partition, failed_and_stopped_tasks_keep_the_snapshot)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS p_keep; CREATE TABLE p_keep (id int8 PRIMARY KEY, d int NOT NULL);"
        "INSERT INTO p_keep SELECT g, g % 97 FROM generate_series(1, 50000) g");
    fixture f;
    fx_init(&f, NULL, "select id, CASE WHEN id < 1000 THEN 100 / d ELSE 0 END AS q from p_keep", "range", "id", 2);
    f.src.max_connections = 1;   /* one session: it holds the snapshot and runs every task */
    fx_prepare(&f);
    sql("DELETE FROM p_keep WHERE id > 49990");   /* invisible to the snapshot */
    sl_err err = SL_ERR_INIT;
    /* Task 1 hits a division by zero (d = 0): a server error in the COPY. */
    void *rd = sl_source_postgres.open(&f.tab, &f.tab.tasks[0], &err);
    sl_batch *b = sl_batch_new(f.tab.schema, 1024);
    long n = 0;
    if (rd) {
        while ((n = sl_source_postgres.next(rd, b, &err)) > 0) {}
        sl_source_postgres.close(rd);
    }
    cr_assert(n < 0 || !rd, "division by zero expected");
    cr_assert(strstr(err.msg, "division by zero"), "%s", err.msg);
    /* Task 2 stopped after its first batch (mid-COPY). */
    sl_err_clear(&err);
    rd = sl_source_postgres.open(&f.tab, &f.tab.tasks[1], &err);
    cr_assert_not_null(rd, "%s", err.msg);
    cr_assert_gt(sl_source_postgres.next(rd, b, &err), 0);
    sl_source_postgres.close(rd);
    sl_batch_free(b);
    /* The snapshot survived both: task 2 again, on the same session, still
     * sees the rows deleted after prepare. */
    __int128 s = 0;
    long rows = read_task(&f, 1, 0, &s);
    cr_assert_eq(rows, 25000, "task 2 after the stop: %ld rows (snapshot lost?)", rows);
    sl_test_fx_done(&f);
}

Test(pg_partition, rows_per_second_slows_reading)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS p_slow; CREATE TABLE p_slow (id int8 PRIMARY KEY);"
        "INSERT INTO p_slow SELECT generate_series(1, 6000)");
    fixture f;
    fx_init(&f, "p_slow", NULL, "range", "id", 2);
    f.src.rows_per_second = 8000;
    fx_prepare(&f);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    check_cover(&f, "p_slow", "id", 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_assert_geq(secs, 0.6, "6000 rows at 8000 rows/s took %.2fs", secs);
    cr_assert_leq(secs, 5.0, "6000 rows at 8000 rows/s took %.2fs", secs);
    sl_test_fx_done(&f);
}

/* Item 16: a view or foreign table cannot be sampled (TABLESAMPLE refuses
 * them): it is planned like a query, its key's quantiles read once; a
 * partitioned table is sampled over its leaves. Every task once, all rows. */
Test(pg_partition, views_foreign_and_partitioned_tables_by_a_column)
{
    NEED_PG();
    char dir[64];
    sl_test_mkdtemp(dir, sizeof dir, "/tmp/sl-pgpart-XXXXXX");
    chmod(dir, 0755);
    char csv[128];
    snprintf(csv, sizeof csv, "%s/f.csv", dir);
    FILE *fp = fopen(csv, "w");
    cr_assert_not_null(fp);
    for (int i = 1; i <= 500; i++) fprintf(fp, "%d,%s\n", i, i % 50 ? "x" : "");
    fclose(fp);
    chmod(csv, 0644);
    char *ft = sl_sprintf("DROP FOREIGN TABLE IF EXISTS p_ft; CREATE EXTENSION IF NOT EXISTS file_fdw;"
                          "CREATE SERVER IF NOT EXISTS p_files FOREIGN DATA WRAPPER file_fdw;"
                          "CREATE FOREIGN TABLE p_ft (id int, v text) SERVER p_files OPTIONS (filename '%s', format 'csv')",
                          csv);
    sql(ft);
    sl_free(ft);
    sql("DROP TABLE IF EXISTS p_base CASCADE; DROP TABLE IF EXISTS p_parted;"
        "CREATE TABLE p_base (id int PRIMARY KEY, v text); INSERT INTO p_base SELECT g, 'v' FROM generate_series(1, 20000) g;"
        "CREATE VIEW p_view AS SELECT id, v FROM p_base WHERE id % 7 <> 0;"
        "CREATE MATERIALIZED VIEW p_mat AS SELECT id, v FROM p_base;"
        "CREATE TABLE p_parted (id int, v text) PARTITION BY RANGE (id);"
        "CREATE TABLE p_parted_1 PARTITION OF p_parted FOR VALUES FROM (MINVALUE) TO (5000) WITH (autovacuum_enabled = false);"
        "CREATE TABLE p_parted_2 PARTITION OF p_parted FOR VALUES FROM (5000) TO (MAXVALUE) WITH (autovacuum_enabled = false);"
        "INSERT INTO p_parted SELECT g, repeat('v', 200) FROM generate_series(1, 60000) g");
    static const struct { const char *rel, *note; } cases[] = {
        { "p_view", "read once" }, { "p_ft", "read once" }, { "p_mat", "" }, { "p_parted", "a sample of" },
    };
    static const char *const strategies[] = { "histogram", "auto" };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (size_t s = 0; s < sizeof strategies / sizeof strategies[0]; s++) {
            fixture f;
            fx_init(&f, cases[i].rel, NULL, strategies[s], "id", 4);
            fx_prepare(&f);
            cr_assert_geq(f.tab.ntasks, 4, "%s %s: %s", cases[i].rel, strategies[s], f.tab.strategy_note);
            if (s == 0) cr_assert(note_has(&f, cases[i].note), "%s: %s", cases[i].rel, f.tab.strategy_note);
            int col = sl_schema_find(f.tab.schema, "id");
            long total = 0;
            __int128 sum = 0;
            for (int t = 0; t < f.tab.ntasks; t++) total += read_task(&f, t, col, &sum);
            char q[128];
            snprintf(q, sizeof q, "SELECT count(*) FROM %s", cases[i].rel);
            cr_assert_eq(total, (long)value(q), "%s %s: rows of all tasks", cases[i].rel, strategies[s]);
            snprintf(q, sizeof q, "SELECT sum(id)::text FROM %s", cases[i].rel);
            cr_assert_eq((double)sum, value(q), "%s %s: sum of id", cases[i].rel, strategies[s]);
            sl_test_fx_done(&f);
        }
    sl_test_rmtree(dir);
}

/* Item 6: pg_stats that cannot be read (here: a domain constraint added NOT
 * VALID after ANALYZE, which the histogram's values break) falls back to a
 * sample in a transaction still usable, not "current transaction is aborted". */
Test(pg_partition, unreadable_pg_stats_falls_back_to_a_sample)
{
    NEED_PG();
    sql("DROP TABLE IF EXISTS p_dom; DROP DOMAIN IF EXISTS p_small;"
        "CREATE DOMAIN p_small AS int4; CREATE TABLE p_dom (id p_small);"
        "INSERT INTO p_dom SELECT g FROM generate_series(1, 60000) g");
    analyze("p_dom");
    sql("ALTER DOMAIN p_small ADD CONSTRAINT p_small_lt CHECK (VALUE < 10) NOT VALID");
    fixture f;
    fx_init(&f, "p_dom", NULL, "histogram", "id", 4);
    fx_prepare(&f);
    cr_assert(note_has(&f, "sample") || note_has(&f, "read once"), "%s", f.tab.strategy_note);
    check_cover(&f, "p_dom", "id", 1.5);
    sl_test_fx_done(&f);
}
