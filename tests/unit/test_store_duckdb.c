/*
 * test_store_duckdb.c - the DuckDB store (store/sl_store_duckdb.c) driven as
 * the engine drives it: stage a table, write task outputs through the
 * parquet sink, commit them, publish, and read the database file back
 * through store/sl_duck.h.
 *
 * Checked: every sluice type lands as its exact DuckDB type with its values
 * (NULLs, extremes, unicode, bytes with NUL); replace, append and merge (with
 * and without delete_missing); a merge key NULL or repeated in the new data
 * and a key that is not a column; schema changes under fail, add_columns and
 * recreate; a publish repeated by the same run (a crash after the commit) is
 * recognised and not applied twice; a failed load (a failpoint before the
 * commit) keeps the previous version; another process holding the file gives
 * an error naming it; the staging directory beside the file goes away.
 */
#include "sl_test.h"

#include "core/sl_failpoint.h"
#include "core/sl_log.h"
#include "sinks/sl_sink.h"
#include "store/sl_duck.h"
#include "store/sl_store.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256], db[300];

static void setup(void)
{
    sl_log_setup(SL_LOG_ERROR, false);
    sl_duck_set_lock_wait(0.3);
    sl_test_mkdtemp(dir, sizeof dir, "/tmp/sl-duck-XXXXXX");
    snprintf(db, sizeof db, "%s/w.duckdb", dir);
}

static void teardown(void)
{
    sl_failpoint_arm(NULL);
    sl_test_rmtree(dir);
}

TestSuite(store_duckdb, .init = setup, .fini = teardown);

/* ---- a table of the test: its settings, its schema, a batch of rows ---- */

typedef struct tb {
    sl_job_target target;
    sl_job_table cfg;
    sl_schema *schema;
    int64_t run_id;
} tb;

static void tb_init(tb *t, sl_write_mode write, sl_schema_change on_change)
{
    memset(t, 0, sizeof *t);
    t->target = (sl_job_target){ .name = "w", .kind = "duckdb", .path = db, .compression = "snappy" };
    t->cfg = (sl_job_table){ .name = "t", .target = &t->target, .write = write,
                             .on_schema_change = on_change };
    t->run_id = 1;
}

static sl_stage tb_stage(tb *t)
{
    return (sl_stage){ .ops = sl_store_for(&t->target), .target = &t->target, .job = "j", .run_id = t->run_id,
                       .run_started = 1700000000.25 + (double)t->run_id, .table = "t", .cfg = &t->cfg,
                       .schema = t->schema };
}

/* One task output named `name` holding batch b; its file record into f. */
static int tb_task(sl_stage *sg, const char *name, const sl_batch *b, sl_store_file *f, sl_err *err)
{
    sl_out *out = sg->ops->create(sg, name, err);
    if (!out) return -1;
    void *w = sl_sink_parquet.open(sg->target, sg->schema, out, NULL, 0, err);
    cr_assert_not_null(w, "sink: %s", err->msg);
    cr_assert_eq(sl_sink_parquet.write(w, b, err), 0, "%s", err->msg);
    cr_assert_eq(sl_sink_parquet.finish(w, NULL, err), 0, "%s", err->msg);
    *f = (sl_store_file){ .name = name, .rows = (int64_t)b->nrows };
    return sg->ops->commit(sg, out, f, err);
}

/* Stage, one task per batch, publish; the run's staging cleaned. Returns publish's result. */
static int tb_load(tb *t, sl_batch **batches, int n, sl_store_result *res, sl_err *err)
{
    sl_stage sg = tb_stage(t);
    cr_assert_eq(sg.ops->stage_open(&sg, err), 0, "stage_open: %s", err->msg);
    sl_store_file files[8];
    char names[8][32];
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        snprintf(names[i], sizeof names[i], "part-%05d.parquet", i);
        rc = tb_task(&sg, names[i], batches[i], &files[i], err);
    }
    if (rc == 0) {
        sl_store_manifest m = { .files = files, .nfiles = n, .snapshot_time = 1700000000.0 };
        rc = sg.ops->publish(&sg, &m, res, err);
    }
    sg.ops->stage_close(&sg);
    sl_err ce = SL_ERR_INIT;
    cr_assert_eq(sl_store_duckdb.clean_run(&t->target, "j", t->run_id, rc == 0, &ce), 0, "%s", ce.msg);
    return rc;
}

static void tb_load_ok(tb *t, sl_batch **batches, int n)
{
    sl_err err = SL_ERR_INIT;
    sl_store_result res;
    cr_assert_eq(tb_load(t, batches, n, &res, &err), 0, "publish: %s", err.msg);
    cr_assert(res.atomic);
}

/* The rows of a query as "a|b\n" lines (NULL as <null>); sl_free it. */
static char *query_text(const char *sql)
{
    sl_err err = SL_ERR_INIT;
    sl_duck *d = sl_duck_open(db, &err);
    cr_assert_not_null(d, "%s", err.msg);
    sl_duck_rows rows;
    cr_assert_eq(sl_duck_query(d, sql, &rows, &err), 0, "%s: %s", sql, err.msg);
    sl_buf out = { 0 };
    for (int r = 0; r < rows.nrows; r++)
        for (int c = 0; c < rows.ncols; c++) {
            const char *v = sl_duck_cell(&rows, r, c);
            sl_buf_printf(&out, "%s%s", v ? v : "<null>", c == rows.ncols - 1 ? "\n" : "|");
        }
    sl_duck_rows_free(&rows);
    sl_duck_close(d);
    sl_buf_cstr(&out);
    return (char *)out.data;
}

static void expect_rows(const char *sql, const char *want)
{
    char *got = query_text(sql);
    cr_assert_str_eq(got, want, "%s:\n got:\n%s want:\n%s", sql, got, want);
    sl_free(got);
}

/* (id int64, v string [, extra int32]): rows ids[i] -> vals[i] (NULL: SQL NULL). */
static sl_batch *kv_batch(tb *t, const int64_t *ids, const char *const *vals, int n)
{
    sl_batch *b = sl_batch_new(t->schema, 64);
    for (int i = 0; i < n; i++) {
        *(int64_t *)sl_vec_slot(&b->cols[0], (size_t)i) = ids[i];
        if (vals[i]) sl_vec_set_bytes(&b->cols[1], (size_t)i, vals[i], strlen(vals[i]));
        else sl_vec_set_null(&b->cols[1], (size_t)i);
        if (b->ncols > 2) *(int32_t *)sl_vec_slot(&b->cols[2], (size_t)i) = (int32_t)ids[i] * 10;
    }
    b->nrows = (size_t)n;
    return b;
}

static void kv_schema(tb *t, bool extra, sl_type_id v_type)
{
    sl_schema_free(t->schema);
    t->schema = sl_schema_new(extra ? 3 : 2);
    sl_schema_set(t->schema, 0, "id", (sl_type){ .id = SL_T_INT64 }, false);
    sl_schema_set(t->schema, 1, "v", (sl_type){ .id = v_type }, true);
    if (extra) sl_schema_set(t->schema, 2, "extra", (sl_type){ .id = SL_T_INT32 }, true);
}

/* Loads ids/vals as run `run` of table t. */
static int kv_load(tb *t, int64_t run, const int64_t *ids, const char *const *vals, int n, sl_err *err)
{
    t->run_id = run;
    sl_batch *b = kv_batch(t, ids, vals, n);
    sl_store_result res;
    int rc = tb_load(t, &b, 1, &res, err);
    sl_batch_free(b);
    return rc;
}

static void kv_load_ok(tb *t, int64_t run, const int64_t *ids, const char *const *vals, int n)
{
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(kv_load(t, run, ids, vals, n, &err), 0, "run %lld: %s", (long long)run, err.msg);
}

#define KV "select id, v from t order by id"

/* ---- every type ---- */

Test(store_duckdb, every_type_exact)
{
    tb t;
    tb_init(&t, SL_WRITE_REPLACE, SL_SCHEMA_FAIL);
    struct { const char *name; sl_type type; const char *duck; } cols[] = {
        { "c_bool", { .id = SL_T_BOOL }, "BOOLEAN" },
        { "c_i16", { .id = SL_T_INT16 }, "SMALLINT" },
        { "c_i32", { .id = SL_T_INT32 }, "INTEGER" },
        { "c_i64", { .id = SL_T_INT64 }, "BIGINT" },
        { "c_f32", { .id = SL_T_FLOAT32 }, "FLOAT" },
        { "c_f64", { .id = SL_T_FLOAT64 }, "DOUBLE" },
        { "c_dec9", { .id = SL_T_DECIMAL, .precision = 9, .scale = 2 }, "DECIMAL(9,2)" },
        { "c_dec18", { .id = SL_T_DECIMAL, .precision = 18, .scale = 4 }, "DECIMAL(18,4)" },
        { "c_dec38", { .id = SL_T_DECIMAL, .precision = 38, .scale = 10 }, "DECIMAL(38,10)" },
        { "c_str", { .id = SL_T_STRING }, "VARCHAR" },
        { "c_bytes", { .id = SL_T_BYTES }, "BLOB" },
        { "c_date", { .id = SL_T_DATE }, "DATE" },
        { "c_time", { .id = SL_T_TIME }, "TIME" },
        { "c_ts", { .id = SL_T_TIMESTAMP }, "TIMESTAMP" },
        { "c_tstz", { .id = SL_T_TIMESTAMP, .utc = true }, "TIMESTAMP WITH TIME ZONE" },
        { "c_uuid", { .id = SL_T_UUID }, "UUID" },
        { "c_json", { .id = SL_T_JSON }, "JSON" },
    };
    int nc = (int)(sizeof cols / sizeof cols[0]);
    t.schema = sl_schema_new(nc);
    for (int c = 0; c < nc; c++) sl_schema_set(t.schema, c, cols[c].name, cols[c].type, true);

    sl_batch *b = sl_batch_new(t.schema, 8);
    /* row 0: ordinary values; row 1: NULLs; row 2: extremes */
    *(uint8_t *)sl_vec_slot(&b->cols[0], 0) = 1;
    *(int16_t *)sl_vec_slot(&b->cols[1], 0) = -12345;
    *(int32_t *)sl_vec_slot(&b->cols[2], 0) = 123456789;
    *(int64_t *)sl_vec_slot(&b->cols[3], 0) = 1234567890123LL;
    *(float *)sl_vec_slot(&b->cols[4], 0) = 1.5f;
    *(double *)sl_vec_slot(&b->cols[5], 0) = -2.25;
    *(int64_t *)sl_vec_slot(&b->cols[6], 0) = 1234567;                 /* 12345.67 */
    *(int64_t *)sl_vec_slot(&b->cols[7], 0) = 999999999999999999LL;    /* 99999999999999.9999 */
    *(sl_i128 *)sl_vec_slot(&b->cols[8], 0) = (sl_i128)12345678901234567LL * 1000000000000LL + 123456789012LL; /* 1234567890123456712.3456789012 */
    sl_vec_set_bytes(&b->cols[9], 0, "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80 \"q\" 'a'", 23);
    sl_vec_set_bytes(&b->cols[10], 0, "\x00\xff\x10", 3);
    *(int32_t *)sl_vec_slot(&b->cols[11], 0) = 19782;                  /* 2024-02-29 */
    *(int64_t *)sl_vec_slot(&b->cols[12], 0) = 45296789012LL;          /* 12:34:56.789012 */
    *(int64_t *)sl_vec_slot(&b->cols[13], 0) = 1709210096789012LL;     /* 2024-02-29 12:34:56.789012 */
    *(int64_t *)sl_vec_slot(&b->cols[14], 0) = 1709210096789012LL;
    memcpy(sl_vec_slot(&b->cols[15], 0), "\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef", 16);
    sl_vec_set_bytes(&b->cols[16], 0, "{\"a\":[1,2]}", 11);
    for (int c = 0; c < nc; c++) sl_vec_set_null(&b->cols[c], 1);
    *(uint8_t *)sl_vec_slot(&b->cols[0], 2) = 0;
    *(int16_t *)sl_vec_slot(&b->cols[1], 2) = 32767;
    *(int32_t *)sl_vec_slot(&b->cols[2], 2) = INT32_MIN;
    *(int64_t *)sl_vec_slot(&b->cols[3], 2) = INT64_MAX;
    *(float *)sl_vec_slot(&b->cols[4], 2) = -0.0f;
    *(double *)sl_vec_slot(&b->cols[5], 2) = 1e308;
    *(int64_t *)sl_vec_slot(&b->cols[6], 2) = -999999999;
    *(int64_t *)sl_vec_slot(&b->cols[7], 2) = -1;
    sl_i128 max38 = 1;
    for (int i = 0; i < 38; i++) max38 *= 10;
    *(sl_i128 *)sl_vec_slot(&b->cols[8], 2) = -(max38 - 1);
    sl_vec_set_bytes(&b->cols[9], 2, "", 0);
    sl_vec_set_bytes(&b->cols[10], 2, "", 0);
    *(int32_t *)sl_vec_slot(&b->cols[11], 2) = -719162;                /* 0001-01-01 */
    *(int64_t *)sl_vec_slot(&b->cols[12], 2) = 86399999999LL;          /* 23:59:59.999999 */
    *(int64_t *)sl_vec_slot(&b->cols[13], 2) = 253402300799999999LL;   /* 9999-12-31 23:59:59.999999 */
    *(int64_t *)sl_vec_slot(&b->cols[14], 2) = 0;
    memset(sl_vec_slot(&b->cols[15], 2), 0xff, 16);
    sl_vec_set_bytes(&b->cols[16], 2, "[]", 2);
    b->nrows = 3;
    tb_load_ok(&t, &b, 1);
    sl_batch_free(b);

    sl_buf want = { 0 };
    for (int c = 0; c < nc; c++) sl_buf_printf(&want, "%s|%s\n", cols[c].name, cols[c].duck);
    expect_rows("select column_name, data_type from duckdb_columns() where table_name = 't' order by column_index",
                sl_buf_cstr(&want));
    sl_buf_free(&want);
    expect_rows("select c_bool, c_i16, c_i32, c_i64, c_f32, c_f64, c_dec9, c_dec18, c_dec38 from t order by c_i16",
                "true|-12345|123456789|1234567890123|1.5|-2.25|12345.67|99999999999999.9999|"
                "1234567890123456712.3456789012\n"
                "false|32767|-2147483648|9223372036854775807|-0.0|1e+308|-9999999.99|-0.0001|"
                "-9999999999999999999999999999.9999999999\n"
                "<null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>\n");
    expect_rows("select c_str, hex(c_bytes), octet_length(c_bytes), c_date, c_time, c_ts, epoch_us(c_tstz), c_uuid, "
                "c_json from t order by c_i16",
                "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80 \"q\" 'a'|00FF10|3|2024-02-29|12:34:56.789012|"
                "2024-02-29 12:34:56.789012|1709210096789012|01234567-89ab-cdef-0123-456789abcdef|{\"a\":[1,2]}\n"
                "||0|0001-01-01|23:59:59.999999|9999-12-31 23:59:59.999999|0|"
                "ffffffff-ffff-ffff-ffff-ffffffffffff|[]\n"
                "<null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>\n");
    expect_rows("select job, table_name, run_id, run_started_us, write_mode, rows_loaded, files from _sluice_published",
                "j|t|1|1700000001250000|replace|3|1\n");
    /* The staging beside the file is gone once the run is cleaned. */
    char staging[400];
    snprintf(staging, sizeof staging, "%s/.w.duckdb.sluice", dir);
    cr_assert(!sl_fs_exists(staging), "%s is left", staging);
    sl_schema_free(t.schema);
}

/* ---- write modes ---- */

Test(store_duckdb, replace_twice_and_many_files)
{
    tb t;
    tb_init(&t, SL_WRITE_REPLACE, SL_SCHEMA_FAIL);
    kv_schema(&t, false, SL_T_STRING);
    kv_load_ok(&t, 1, (int64_t[]){ 1, 2, 3 }, (const char *[]){ "a", "b", NULL }, 3);
    expect_rows(KV, "1|a\n2|b\n3|<null>\n");
    /* A second run with two task files replaces the table as a whole. */
    t.run_id = 2;
    sl_batch *b[2] = { kv_batch(&t, (int64_t[]){ 7 }, (const char *[]){ "x" }, 1),
                       kv_batch(&t, (int64_t[]){ 8, 9 }, (const char *[]){ "y", "z" }, 2) };
    tb_load_ok(&t, b, 2);
    sl_batch_free(b[0]);
    sl_batch_free(b[1]);
    expect_rows(KV, "7|x\n8|y\n9|z\n");
    expect_rows("select run_id, rows_loaded, files from _sluice_published order by run_id", "1|3|1\n2|3|2\n");
    sl_schema_free(t.schema);
}

Test(store_duckdb, append_and_a_repeated_publish_is_not_applied_twice)
{
    tb t;
    tb_init(&t, SL_WRITE_APPEND, SL_SCHEMA_FAIL);
    kv_schema(&t, false, SL_T_STRING);
    kv_load_ok(&t, 1, (int64_t[]){ 1, 2 }, (const char *[]){ "a", "b" }, 2);
    kv_load_ok(&t, 2, (int64_t[]){ 3 }, (const char *[]){ "c" }, 1);
    expect_rows(KV, "1|a\n2|b\n3|c\n");

    /* Run 2 again (a crash after its commit, before the state store heard): already, nothing appended. */
    sl_stage sg = tb_stage(&t);
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sg.ops->stage_open(&sg, &err), 0, "%s", err.msg);
    cr_assert_eq(sg.ops->already(&sg, &err), 1, "already: %s", err.msg);
    sl_store_manifest none = { .nfiles = 0 };
    sl_store_result res;
    cr_assert_eq(sg.ops->publish(&sg, &none, &res, &err), 0, "%s", err.msg);
    cr_assert(res.already);
    sg.ops->stage_close(&sg);
    t.run_id = 3;
    sg = tb_stage(&t);
    cr_assert_eq(sg.ops->stage_open(&sg, &err), 0, "%s", err.msg);
    cr_assert_eq(sg.ops->already(&sg, &err), 0, "another run is not already published: %s", err.msg);
    sg.ops->stage_close(&sg);
    cr_assert_eq(sl_store_duckdb.clean_run(&t.target, "j", 3, true, &err), 0, "%s", err.msg);
    expect_rows(KV, "1|a\n2|b\n3|c\n");
    sl_schema_free(t.schema);
}

Test(store_duckdb, merge_updates_inserts_and_deletes_missing)
{
    tb t;
    tb_init(&t, SL_WRITE_MERGE, SL_SCHEMA_FAIL);
    t.cfg.key = (char *[]){ "id" };
    t.cfg.nkey = 1;
    kv_schema(&t, false, SL_T_STRING);
    kv_load_ok(&t, 1, (int64_t[]){ 1, 2, 3 }, (const char *[]){ "a", "b", "c" }, 3);
    kv_load_ok(&t, 2, (int64_t[]){ 2, 4 }, (const char *[]){ "B", "d" }, 2);
    expect_rows(KV, "1|a\n2|B\n3|c\n4|d\n");
    t.cfg.delete_missing = true;
    /* 2 of 4 live rows deleted: over the default max_delete_ratio (10%), refused and rolled back. */
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(kv_load(&t, 3, (int64_t[]){ 1, 4, 5 }, (const char *[]){ NULL, "D", "e" }, 3, &err), -1);
    cr_assert_eq(err.code, SL_EGUARD, "%s", err.msg);
    cr_assert(strstr(err.msg, "would delete 2 of its 4 live rows (50.0%)") && strstr(err.msg, "--allow-mass-delete"),
              "%s", err.msg);
    expect_rows(KV, "1|a\n2|B\n3|c\n4|d\n");
    t.cfg.guard_set = true;
    t.cfg.max_delete_ratio = 0.5;
    t.cfg.max_shrink = -1;
    kv_load_ok(&t, 3, (int64_t[]){ 1, 4, 5 }, (const char *[]){ NULL, "D", "e" }, 3);
    expect_rows(KV, "1|<null>\n4|D\n5|e\n");
    expect_rows("select run_id, rows_changed from _sluice_published order by run_id", "1|3\n2|2\n3|5\n");
    sl_schema_free(t.schema);
}

Test(store_duckdb, merge_key_null_repeated_or_unknown)
{
    tb t;
    tb_init(&t, SL_WRITE_MERGE, SL_SCHEMA_FAIL);
    t.cfg.key = (char *[]){ "id", "v" };
    t.cfg.nkey = 2;
    kv_schema(&t, false, SL_T_STRING);
    kv_load_ok(&t, 1, (int64_t[]){ 1, 2 }, (const char *[]){ "a", "b" }, 2);
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(kv_load(&t, 2, (int64_t[]){ 1, 3 }, (const char *[]){ "a", NULL }, 2, &err), -1);
    cr_assert_eq(err.code, SL_EDATA, "%s", err.msg);
    cr_assert(strstr(err.msg, "the key is NULL in 1 new row") && strstr(err.msg, "previous version is unchanged"),
              "%s", err.msg);
    sl_err_clear(&err);
    cr_assert_eq(kv_load(&t, 3, (int64_t[]){ 5, 5, 5, 6, 6 }, (const char *[]){ "x", "x", "x", "y", "y" }, 5, &err),
                 -1);
    cr_assert(strstr(err.msg, "2 keys appear in more than one new row (first: id = 5, v = x)"), "%s", err.msg);
    expect_rows(KV, "1|a\n2|b\n");
    /* A key that is not a column fails the first task, before anything is extracted. */
    t.cfg.key = (char *[]){ "idd" };
    t.cfg.nkey = 1;
    sl_err_clear(&err);
    cr_assert_eq(kv_load(&t, 4, (int64_t[]){ 1 }, (const char *[]){ "a" }, 1, &err), -1);
    cr_assert_eq(err.code, SL_EJOB, "%s", err.msg);
    cr_assert(strstr(err.msg, "key column 'idd' is not a column of the table (its columns: \"id\", \"v\")"), "%s",
              err.msg);
    sl_schema_free(t.schema);
}

/* ---- schema changes ---- */

Test(store_duckdb, schema_change_fail_add_columns_recreate)
{
    tb t;
    tb_init(&t, SL_WRITE_APPEND, SL_SCHEMA_FAIL);
    kv_schema(&t, false, SL_T_STRING);
    kv_load_ok(&t, 1, (int64_t[]){ 1 }, (const char *[]){ "a" }, 1);

    /* A new column: an error by default, saying what changed and how to allow it. */
    kv_schema(&t, true, SL_T_STRING);
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(kv_load(&t, 2, (int64_t[]){ 2 }, (const char *[]){ "b" }, 1, &err), -1);
    cr_assert_eq(err.code, SL_ETYPE, "%s", err.msg);
    cr_assert(strstr(err.msg, "new column extra (INTEGER)") && strstr(err.msg, "on_schema_change: add_columns"),
              "%s", err.msg);
    expect_rows("select * from t", "1|a\n");

    t.cfg.on_schema_change = SL_SCHEMA_ADD_COLUMNS;
    kv_load_ok(&t, 3, (int64_t[]){ 2 }, (const char *[]){ "b" }, 1);
    expect_rows("select id, v, extra from t order by id", "1|a|<null>\n2|b|20\n");

    /* A changed type: add_columns cannot, recreate can (an append then holds only the new rows). */
    kv_schema(&t, true, SL_T_JSON);
    sl_err_clear(&err);
    cr_assert_eq(kv_load(&t, 4, (int64_t[]){ 3 }, (const char *[]){ "3" }, 1, &err), -1);
    cr_assert(strstr(err.msg, "column v changed type from VARCHAR to JSON") &&
              strstr(err.msg, "on_schema_change: recreate"), "%s", err.msg);
    t.cfg.on_schema_change = SL_SCHEMA_RECREATE;
    kv_load_ok(&t, 5, (int64_t[]){ 3 }, (const char *[]){ "3" }, 1);
    expect_rows("select id, v, extra, typeof(v) from t", "3|3|30|JSON\n");

    /* A column gone, under replace: the default fails, recreate replaces. */
    t.cfg.write = SL_WRITE_REPLACE;
    t.cfg.on_schema_change = SL_SCHEMA_FAIL;
    kv_schema(&t, false, SL_T_JSON);
    sl_err_clear(&err);
    cr_assert_eq(kv_load(&t, 6, (int64_t[]){ 4 }, (const char *[]){ "4" }, 1, &err), -1);
    cr_assert(strstr(err.msg, "column extra (INTEGER) is gone") && strstr(err.msg, "on_schema_change: recreate"),
              "%s", err.msg);
    t.cfg.on_schema_change = SL_SCHEMA_RECREATE;
    kv_load_ok(&t, 7, (int64_t[]){ 4 }, (const char *[]){ "4" }, 1);
    expect_rows("select * from t", "4|4\n");
    sl_schema_free(t.schema);
}

/* ---- failures keep the previous version ---- */

Test(store_duckdb, failure_before_commit_keeps_previous_version)
{
    tb t;
    tb_init(&t, SL_WRITE_REPLACE, SL_SCHEMA_FAIL);
    kv_schema(&t, false, SL_T_STRING);
    kv_load_ok(&t, 1, (int64_t[]){ 1 }, (const char *[]){ "old" }, 1);
    sl_failpoint_arm("publish:before-exchange:error");
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(kv_load(&t, 2, (int64_t[]){ 2 }, (const char *[]){ "new" }, 1, &err), -1);
    cr_assert(strstr(err.msg, "previous version is unchanged"), "%s", err.msg);
    sl_failpoint_arm(NULL);
    expect_rows(KV, "1|old\n");
    expect_rows("select count(*) from _sluice_published", "1\n");
    kv_load_ok(&t, 2, (int64_t[]){ 2 }, (const char *[]){ "new" }, 1);
    expect_rows(KV, "2|new\n");
    sl_schema_free(t.schema);
}

Test(store_duckdb, another_process_holding_the_file)
{
    tb t;
    tb_init(&t, SL_WRITE_REPLACE, SL_SCHEMA_FAIL);
    kv_schema(&t, false, SL_T_STRING);
    kv_load_ok(&t, 1, (int64_t[]){ 1 }, (const char *[]){ "old" }, 1);
    int ready[2];
    cr_assert_eq(pipe(ready), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        sl_err e = SL_ERR_INIT;
        sl_duck *d = sl_duck_open(db, &e);
        if (write(ready[1], d ? "y" : "n", 1) != 1) _exit(1);
        pause();
        _exit(0);
    }
    char c = 0;
    cr_assert_eq(read(ready[0], &c, 1), 1);
    cr_assert_eq(c, 'y', "the child could not open the file");
    sl_err err = SL_ERR_INIT;
    int rc = kv_load(&t, 2, (int64_t[]){ 2 }, (const char *[]){ "new" }, 1, &err);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(ready[0]);
    close(ready[1]);
    cr_assert_eq(rc, -1);
    cr_assert_eq(err.code, SL_EIO, "%s", err.msg);
    cr_assert(strstr(err.msg, db) && strstr(err.msg, "is in use by process") && strstr(err.msg, "(PID ") &&
              strstr(err.msg, "(waited 0 s)") &&
              strstr(err.msg, "run the job again"), "%s", err.msg);
    expect_rows(KV, "1|old\n");
    sl_schema_free(t.schema);
}

Test(store_duckdb, a_schema_of_its_own_and_the_sink_kind)
{
    tb t;
    tb_init(&t, SL_WRITE_REPLACE, SL_SCHEMA_FAIL);
    t.target.schema = "raw";
    kv_schema(&t, false, SL_T_STRING);
    kv_load_ok(&t, 1, (int64_t[]){ 1 }, (const char *[]){ "a" }, 1);
    expect_rows("select id, v from raw.t", "1|a\n");
    expect_rows("select schema_name, table_name from duckdb_tables() order by all",
                "raw|_sluice_published\nraw|t\n");
    cr_assert_str_eq(sl_store_sink_kind(&t.target), "parquet");
    cr_assert_eq(sl_store_for(&t.target), &sl_store_duckdb);
    sl_job_target lake = { .name = "lake", .kind = "csv", .path = dir };
    cr_assert_str_eq(sl_store_sink_kind(&lake), "csv");
    cr_assert_eq(sl_store_for(&lake), &sl_store_local);
    sl_schema_free(t.schema);
}
