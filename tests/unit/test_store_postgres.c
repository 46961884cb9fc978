/*
 * test_store_postgres.c - the kind: postgres target: the pgcopy sink (its
 * stream, encoder errors naming the task's row), the job keys of warehouse
 * targets and tables, and the store driven directly against a real server
 * (SLUICE_PG_URL): staging, per-task COPY transactions, the row-count check,
 * a task committed twice never doubling rows, resume checks, publish in each
 * write mode, `already`, the cleanup of other runs' staging tables, the
 * one-run-per-job lock and replace refusing a table the job did not publish.
 */
#include "sl_test.h"

#include "core/sl_log.h"
#include "job/sl_job.h"
#include "sinks/sl_pg_encode.h"
#include "sinks/sl_sink.h"
#include "store/sl_store.h"

/* ---- the sink ------------------------------------------------------------- */

static sl_schema *two_cols(void)
{
    sl_schema *s = sl_schema_new(2);
    sl_schema_set(s, 0, "id", (sl_type){ .id = SL_T_INT64 }, false);
    sl_schema_set(s, 1, "note", (sl_type){ .id = SL_T_STRING }, true);
    return s;
}

/* Rows first..first+n-1: id = i, note = "n<i>" (NULL every 7th); a NUL byte in row `nul_at` when >= 0. */
static void fill(sl_batch *b, int64_t first, size_t n, long nul_at)
{
    sl_batch_reset(b);
    for (size_t r = 0; r < n; r++) {
        int64_t id = first + (int64_t)r;
        memcpy(sl_vec_slot(&b->cols[0], r), &id, 8);
        char text[32];
        int len = snprintf(text, sizeof text, "n%lld", (long long)id);
        if ((long)r == nul_at) text[1] = '\0';
        if (id % 7 == 0) sl_vec_set_null(&b->cols[1], r);
        else sl_vec_set_bytes(&b->cols[1], r, text, (size_t)len);
    }
    b->nrows = n;
}

Test(pgcopy_sink, writes_header_rows_and_trailer)
{
    sl_schema *s = two_cols();
    sl_batch *b = sl_batch_new(s, 100);
    sl_buf got = { 0 }, want = { 0 };
    sl_out *out = sl_out_open_buf(&got);
    sl_err err = SL_ERR_INIT;
    cr_assert_not_null(sl_sink_lookup("postgres"));
    cr_assert_eq(sl_sink_lookup("postgres"), &sl_sink_pgcopy);
    void *w = sl_sink_pgcopy.open(NULL, s, out, NULL, 0, &err);
    sl_pg_encode_header(&want);
    for (int k = 0; k < 3; k++) {
        fill(b, k * 100, 100, -1);
        cr_assert_eq(sl_sink_pgcopy.write(w, b, &err), 0, "%s", err.msg);
        cr_assert_eq(sl_pg_encode_rows(b, 0, b->nrows, &want, &err), 0);
    }
    sl_pg_encode_trailer(&want);
    uint64_t rows = 0;
    cr_assert_eq(sl_sink_pgcopy.finish(w, &rows, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_out_close(out, false, &err), 0);
    cr_assert_eq(rows, 300);
    cr_assert_eq(got.len, want.len);
    cr_assert_eq(memcmp(got.data, want.data, got.len), 0);
    sl_buf_free(&got);
    sl_buf_free(&want);
    sl_batch_free(b);
    sl_schema_free(s);
}

Test(pgcopy_sink, a_refused_value_names_the_column_and_the_tasks_row)
{
    sl_schema *s = two_cols();
    sl_batch *b = sl_batch_new(s, 100);
    sl_buf got = { 0 };
    sl_out *out = sl_out_open_buf(&got);
    sl_err err = SL_ERR_INIT;
    void *w = sl_sink_pgcopy.open(NULL, s, out, NULL, 0, &err);
    fill(b, 1, 100, -1);
    cr_assert_eq(sl_sink_pgcopy.write(w, b, &err), 0, "%s", err.msg);
    fill(b, 101, 100, 41);   /* the second batch's 42nd row: the task's 142nd */
    cr_assert_eq(sl_sink_pgcopy.write(w, b, &err), -1);
    cr_assert_eq(err.code, SL_EDATA);
    cr_assert(strstr(err.msg, "column note: row 142 of the task: text holds a NUL byte"), "%s", err.msg);
    sl_sink_pgcopy.abort(w);
    sl_out_abort(out);
    sl_buf_free(&got);
    sl_batch_free(b);
    sl_schema_free(s);
}

/* ---- job keys ------------------------------------------------------------- */

static const char *const head =
    "sources:\n  s: { kind: csv, path: in }\n"
    "targets:\n  dw: { kind: postgres, url: \"postgres://u:secret@h/db\", schema: analytics }\n"
    "  lake: { kind: parquet, path: lake }\n";

static sl_job *parse_ok(const char *tables)
{
    char text[4096];
    snprintf(text, sizeof text, "%stables:\n%s", head, tables);
    sl_err err = SL_ERR_INIT;
    sl_job *job = sl_job_parse(text, strlen(text), "jobs/w.yaml", &err);
    cr_assert_not_null(job, "%s", err.msg);
    return job;
}

static void parse_fails(const char *targets_and_tables, const char *needle)
{
    char text[4096];
    snprintf(text, sizeof text, "sources:\n  s: { kind: csv, path: in }\n%s", targets_and_tables);
    sl_err err = SL_ERR_INIT;
    sl_job *job = sl_job_parse(text, strlen(text), "w.yaml", &err);
    cr_assert_null(job, "expected an error with '%s'", needle);
    cr_assert_eq(err.code, SL_EJOB);
    cr_assert(strstr(err.msg, needle), "'%s' not in: %s", needle, err.msg);
}

Test(pg_target_job, keys_and_defaults)
{
    sl_job *job = parse_ok("  t: { from: s, file: t.csv, to: dw }\n"
                           "  m: { from: s, file: m.csv, to: dw, write: merge, key: [id, day], delete_missing: true,\n"
                           "       on_schema_change: add_columns, indexes: [[customer], [day, id]] }\n"
                           "  a: { from: s, file: a.csv, to: dw, write: append, key: id }\n");
    const sl_job_target *dw = &job->targets[0];
    cr_assert_str_eq(dw->kind, "postgres");
    cr_assert_null(dw->path);
    cr_assert_str_eq(dw->schema, "analytics");
    cr_assert_eq(dw->max_connections, 4);
    cr_assert_eq(dw->staging, SL_STAGING_AUTO);
    cr_assert(sl_job_target_is_warehouse(dw));
    cr_assert(!sl_job_target_is_warehouse(&job->targets[1]));
    const sl_job_table *t = &job->tables[0], *m = &job->tables[1], *a = &job->tables[2];
    cr_assert_eq(t->write, SL_WRITE_REPLACE);
    cr_assert_eq(t->on_schema_change, SL_SCHEMA_FAIL);
    cr_assert_eq(t->nkey, 0);
    cr_assert_eq(m->write, SL_WRITE_MERGE);
    cr_assert_eq(m->nkey, 2);
    cr_assert_str_eq(m->key[1], "day");
    cr_assert(m->delete_missing);
    cr_assert_eq(m->on_schema_change, SL_SCHEMA_ADD_COLUMNS);
    cr_assert_eq(m->nindexes, 2);
    cr_assert_eq(m->indexes[1].ncols, 2);
    cr_assert_str_eq(m->indexes[1].cols[0], "day");
    cr_assert_eq(a->write, SL_WRITE_APPEND);
    cr_assert_eq(a->nkey, 1);
    cr_assert_str_eq(a->key[0], "id");
    cr_assert_str_eq(sl_write_mode_name(m->write), "merge");
    cr_assert_str_eq(sl_schema_change_name(m->on_schema_change), "add_columns");

    /* The state store and logs see the URL without its password. */
    char label[512];
    sl_store_target_label(dw, label, sizeof label);
    cr_assert(!strstr(label, "secret"), "%s", label);
    cr_assert(strstr(label, "schema analytics"), "%s", label);
    cr_assert_eq(sl_store_for(dw), &sl_store_postgres);
    cr_assert_eq(sl_store_for(&job->targets[1]), &sl_store_local);
    sl_job_free(job);

    job = parse_ok("  t: { from: s, file: t.csv, to: dw }\n");
    sl_job_free(job);
}

Test(pg_target_job, target_keys_are_checked)
{
    const char *tab = "tables:\n  t: { from: s, file: t.csv, to: dw }\n";
    char text[1024];
    snprintf(text, sizeof text, "targets:\n  dw: { kind: postgres, url: x, staging: logged, max_connections: 2 }\n%s", tab);
    sl_err err = SL_ERR_INIT;
    char full[2048];
    snprintf(full, sizeof full, "sources:\n  s: { kind: csv, path: in }\n%s", text);
    sl_job *job = sl_job_parse(full, strlen(full), "w.yaml", &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_eq(job->targets[0].staging, SL_STAGING_LOGGED);
    cr_assert_eq(job->targets[0].max_connections, 2);
    cr_assert_str_eq(job->targets[0].schema, "public");
    sl_job_free(job);

    snprintf(text, sizeof text, "targets:\n  dw: { kind: postgres, schema: a }\n%s", tab);
    parse_fails(text, "targets.dw: missing key 'url'");
    snprintf(text, sizeof text, "targets:\n  dw: { kind: postgres, url: x, path: /tmp }\n%s", tab);
    parse_fails(text, "key 'path' does not apply to postgres targets (use url and schema)");
    snprintf(text, sizeof text, "targets:\n  dw: { kind: postgres, url: x, compression: zstd }\n%s", tab);
    parse_fails(text, "key 'compression' does not apply to postgres targets");
    snprintf(text, sizeof text, "targets:\n  dw: { kind: postgres, url: x, staging: logd }\n%s", tab);
    parse_fails(text, "did you mean 'logged'");
    snprintf(text, sizeof text, "targets:\n  dw: { kind: parquet, path: x, schema: a }\n%s", tab);
    parse_fails(text, "key 'schema' does not apply to parquet targets");
    snprintf(text, sizeof text, "targets:\n  dw: { kind: postgress, url: x }\n%s", tab);
    parse_fails(text, "did you mean 'postgres'");
}

Test(pg_target_job, table_keys_are_checked)
{
    const char *dw = "targets:\n  dw: { kind: postgres, url: x }\n  lake: { kind: csv, path: o }\ntables:\n";
    char text[2048];
#define FAILS(table, needle) \
    do { snprintf(text, sizeof text, "%s%s", dw, table); parse_fails(text, needle); } while (0)
    FAILS("  t: { from: s, file: t.csv, to: dw, write: merge }\n", "write: merge needs key: [columns]");
    FAILS("  t: { from: s, file: t.csv, to: dw, write: mrege, key: [id] }\n", "did you mean 'merge'");
    FAILS("  t: { from: s, file: t.csv, to: dw, delete_missing: true }\n", "delete_missing applies to write: merge");
    FAILS("  t: { from: s, file: t.csv, to: dw, on_schema_change: drop }\n", "tables.t.on_schema_change");
    FAILS("  t: { from: s, file: t.csv, to: dw, key: [id, id] }\n", "column 'id' appears twice");
    FAILS("  t: { from: s, file: t.csv, to: dw, key: [] }\n", "the list of columns is empty");
    FAILS("  t: { from: s, file: t.csv, to: dw, indexes: [[a], []] }\n", "tables.t.indexes[1]: the list of columns is empty");
    FAILS("  t: { from: s, file: t.csv, to: dw, indexes: a }\n", "expected a list of column lists");
    FAILS("  t: { from: s, file: t.csv, to: lake, write: append }\n",
          "key 'write' does not apply to tables written to csv targets");
    FAILS("  t: { from: s, file: t.csv, to: lake, key: [id] }\n", "does not apply to tables written to csv targets");
    /* A csv table with columns: knows its schema: key and index columns must be in it. */
    FAILS("  t: { from: s, file: t.csv, to: dw, columns: { id: int64, v: string }, write: merge, key: [idd] }\n",
          "tables.t.key: column 'idd' is not among the table's columns");
    FAILS("  t: { from: s, file: t.csv, to: dw, columns: { id: int64 }, indexes: [[id], [x]] }\n",
          "tables.t.indexes[1]: column 'x' is not among the table's columns");
#undef FAILS
}

/* ---- the store against a server ----------------------------------------- */

typedef struct fx {
    char url[512];
    sl_job_target target;
    sl_job_table cfg;
    sl_schema *schema;
    sl_stage sg;
    sl_batch *b;
} fx;

static bool fx_init(fx *f, const char *db, sl_write_mode mode, const char *schema_name)
{
    memset(f, 0, sizeof *f);
    if (!sl_test_pg_db("store_postgres", db, f->url, sizeof f->url)) return false;
    f->target = (sl_job_target){ .name = "dw", .kind = "postgres", .url = f->url, .schema = (char *)schema_name,
                                 .max_connections = 2 };
    static char *key[] = { "id" };
    f->cfg = (sl_job_table){ .name = "t", .write = mode, .key = key, .nkey = 1 };
    f->cfg.target = &f->target;
    f->schema = two_cols();
    f->b = sl_batch_new(f->schema, 1000);
    return true;
}

/* A fresh schema: dropped, and the bookkeeping of this test's earlier runs forgotten. */
static void fx_fresh(fx *f, const char *create)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; DO $$ BEGIN IF to_regclass('_sluice.published') IS "
             "NOT NULL THEN DELETE FROM _sluice.published WHERE job = '%s'; DELETE FROM _sluice.loads WHERE job = '%s'; "
             "DELETE FROM _sluice.stages WHERE job = '%s'; END IF; END $$; %s", f->target.schema, f->target.schema,
             f->target.schema, f->target.schema, create ? create : "");
    sl_test_pg_exec(f->url, sql);
}

static void fx_open(fx *f, int64_t run_id, double started)
{
    f->sg = (sl_stage){ .ops = &sl_store_postgres, .target = &f->target, .cfg = &f->cfg, .job = f->target.schema,
                        .run_id = run_id, .run_started = started, .table = "t" };
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(f->sg.ops->stage_open(&f->sg, &err), 0, "%s", err.msg);
    f->sg.schema = f->schema;
    cr_assert_eq(f->sg.ops->ready(&f->sg, &err), 0, "%s", err.msg);
}

static void fx_done(fx *f)
{
    if (f->sg.ops) f->sg.ops->stage_close(&f->sg);
    sl_batch_free(f->b);
    sl_schema_free(f->schema);
}

/* Loads rows [first, first+n) as task `name`; returns commit's result. */
static int fx_load(fx *f, const char *name, int64_t first, size_t n, int64_t claim_rows, sl_err *err)
{
    sl_out *out = f->sg.ops->create(&f->sg, name, err);
    cr_assert_not_null(out, "%s", err->msg);
    void *w = sl_sink_pgcopy.open(&f->target, f->schema, out, NULL, 0, err);
    fill(f->b, first, n, -1);
    cr_assert_eq(sl_sink_pgcopy.write(w, f->b, err), 0, "%s", err->msg);
    cr_assert_eq(sl_sink_pgcopy.finish(w, NULL, err), 0, "%s", err->msg);
    sl_store_file file = { .name = name, .rows = claim_rows };
    return f->sg.ops->commit(&f->sg, out, &file, err);
}

static long long fx_count(fx *f, const char *sql)
{
    PGconn *c = sl_test_pg_connect(f->url);
    PGresult *r = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
    long long n = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
    return n;
}

/* Rows in the staging table of run `run` (its name from _sluice.stages). */
static long long fx_staged(fx *f, int64_t run)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %%I.%%I', "
             "schema_name, stage_name), false, true, '')))[1]::text::bigint FROM _sluice.stages WHERE job = '%s' "
             "AND run_id = %lld", f->target.schema, (long long)run);
    return fx_count(f, sql);
}

static void fx_publish(fx *f, int64_t rows, int nfiles)
{
    sl_store_file files[4];
    for (int i = 0; i < nfiles; i++) files[i] = (sl_store_file){ .name = "x", .rows = i == 0 ? rows : 0 };
    sl_store_manifest m = { .files = files, .nfiles = nfiles };
    sl_store_result res;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(f->sg.ops->publish(&f->sg, &m, &res, &err), 0, "%s", err.msg);
    cr_assert(res.atomic);
    cr_assert_eq(res.rows, rows);
}

Test(store_postgres, tasks_load_once_and_publish_replaces)
{
    fx f;
    if (!fx_init(&f, "sl_store_pg", SL_WRITE_REPLACE, "s_replace")) return;
    fx_fresh(&f, NULL);
    fx_open(&f, 1, 1000.0);
    cr_assert(strstr(f.sg.where, "s_replace.t"), "%s", f.sg.where);
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(fx_load(&f, "part-00000.pgcopy", 1, 300, 300, &err), 0, "%s", err.msg);
    cr_assert_eq(fx_load(&f, "part-00001.pgcopy", 301, 200, 200, &err), 0, "%s", err.msg);
    /* The same task committed again (the state store never heard of the first): its rows replace the earlier ones. */
    cr_assert_eq(fx_load(&f, "part-00001.pgcopy", 301, 200, 200, &err), 0, "%s", err.msg);
    /* A failed attempt leaves nothing. */
    sl_out *out = f.sg.ops->create(&f.sg, "part-00002.pgcopy", &err);
    cr_assert_not_null(out, "%s", err.msg);
    sl_out_write(out, "PGCOPY", 6);
    f.sg.ops->discard(&f.sg, "part-00002.pgcopy", out);
    /* A count the server disagrees with fails the task, and is not worth a retry. */
    cr_assert_eq(fx_load(&f, "part-00002.pgcopy", 501, 10, 11, &err), -1);
    cr_assert_neq(err.code, SL_ETRANSIENT);
    cr_assert(strstr(err.msg, "the warehouse stored 10 rows, sluice sent 11"), "%s", err.msg);

    cr_assert_eq(fx_staged(&f, 1), 500);

    /* Resume checks: a task's load record and its rows in the staging table. */
    sl_store_file ok = { .name = "part-00000.pgcopy", .rows = 300 }, wrong = { .name = "part-00000.pgcopy", .rows = 299 },
                  unknown = { .name = "part-00009.pgcopy", .rows = 0 };
    cr_assert_eq(f.sg.ops->check(&f.sg, &ok, &err), 1, "%s", err.msg);
    cr_assert_eq(f.sg.ops->check(&f.sg, &wrong, &err), 0);
    cr_assert_eq(f.sg.ops->check(&f.sg, &unknown, &err), 0);
    cr_assert_eq(f.sg.ops->already(&f.sg, &err), 0, "%s", err.msg);

    fx_publish(&f, 500, 2);
    cr_assert_eq(fx_count(&f, "SELECT count(DISTINCT id) FROM s_replace.t"), 500);
    cr_assert_eq(fx_count(&f, "SELECT count(*) FROM pg_indexes WHERE schemaname = 's_replace' AND indexname = 't_pkey'"), 1);
    cr_assert_eq(fx_count(&f, "SELECT count(*) FROM pg_class WHERE relname = 't' AND relpersistence = 'p' AND "
                              "relnamespace = 's_replace'::regnamespace"), 1);
    cr_assert_eq(fx_count(&f, "SELECT count(*) FROM pg_tables WHERE schemaname = 's_replace'"), 1);
    cr_assert_eq(f.sg.ops->already(&f.sg, &err), 1, "%s", err.msg);
    /* After a crash between this publish and the state store: only recognised, nothing changes. */
    sl_store_manifest none = { .nfiles = 0 };
    sl_store_result res;
    cr_assert_eq(f.sg.ops->publish(&f.sg, &none, &res, &err), 0, "%s", err.msg);
    cr_assert(res.already);
    cr_assert_eq(res.rows, 500);
    f.sg.ops->stage_close(&f.sg);

    /* Another run replaces it; another run start with the same id is not "already". */
    fx_open(&f, 1, 2000.0);
    cr_assert_eq(f.sg.ops->already(&f.sg, &err), 0, "%s", err.msg);
    f.sg.ops->stage_close(&f.sg);
    fx_open(&f, 2, 3000.0);
    cr_assert_eq(fx_load(&f, "part-00000.pgcopy", 1000, 100, 100, &err), 0, "%s", err.msg);
    fx_publish(&f, 100, 1);
    cr_assert_eq(fx_count(&f, "SELECT count(*) FROM s_replace.t WHERE id >= 1000"), 100);
    cr_assert_eq(fx_count(&f, "SELECT count(*) FROM s_replace.t"), 100);
    fx_done(&f);
}

Test(store_postgres, merge_updates_inserts_and_deletes_missing_keys)
{
    fx f;
    if (!fx_init(&f, "sl_store_pg", SL_WRITE_MERGE, "s_merge")) return;
    fx_fresh(&f, NULL);
    sl_err err = SL_ERR_INIT;
    fx_open(&f, 1, 1.0);
    cr_assert_eq(fx_load(&f, "part-00000.pgcopy", 1, 500, 500, &err), 0, "%s", err.msg);
    fx_publish(&f, 500, 1);
    /* merge stages UNLOGGED; a first load becomes the live table, made LOGGED. */
    cr_assert_eq(fx_count(&f, "SELECT count(*) FROM pg_class WHERE relname = 't' AND relpersistence = 'p' AND "
                              "relnamespace = 's_merge'::regnamespace"), 1);
    sl_test_pg_exec(f.url, "UPDATE s_merge.t SET note = 'stale' WHERE id > 400");
    f.sg.ops->stage_close(&f.sg);

    f.cfg.delete_missing = true;
    f.cfg.guard_set = true;          /* 250 of 600 rows go: more than the default guard allows */
    f.cfg.max_delete_ratio = 0.5;
    f.cfg.max_shrink = -1;
    fx_open(&f, 2, 2.0);
    cr_assert_eq(fx_load(&f, "part-00000.pgcopy", 251, 350, 350, &err), 0, "%s", err.msg);
    fx_publish(&f, 350, 1);
    cr_assert_eq(fx_count(&f, "SELECT count(*) FROM s_merge.t"), 350);
    cr_assert_eq(fx_count(&f, "SELECT min(id) FROM s_merge.t"), 251);
    cr_assert_eq(fx_count(&f, "SELECT max(id) FROM s_merge.t"), 600);
    cr_assert_eq(fx_count(&f, "SELECT count(*) FROM s_merge.t WHERE note = 'stale'"), 0);
    cr_assert_eq(fx_count(&f, "SELECT count(*) FROM s_merge.t WHERE note IS DISTINCT FROM 'n' || id AND id % 7 <> 0"),
                 0);
    f.sg.ops->stage_close(&f.sg);

    /* Duplicate keys in the new rows: an error naming the key; the live table is unchanged. */
    fx_open(&f, 3, 3.0);
    cr_assert_eq(fx_load(&f, "part-00000.pgcopy", 1, 10, 10, &err), 0, "%s", err.msg);
    cr_assert_eq(fx_load(&f, "part-00001.pgcopy", 5, 10, 10, &err), 0, "%s", err.msg);
    sl_store_file files[] = { { .name = "a", .rows = 10 }, { .name = "b", .rows = 10 } };
    sl_store_manifest m = { .files = files, .nfiles = 2 };
    sl_store_result res;
    cr_assert_eq(f.sg.ops->publish(&f.sg, &m, &res, &err), -1);
    cr_assert(strstr(err.msg, "key (id) of the new rows") && strstr(err.msg, "Key (id)=(") &&
              strstr(err.msg, "nothing was published"), "%s", err.msg);
    cr_assert_eq(fx_count(&f, "SELECT count(*) FROM s_merge.t"), 350);

    /* The live table without a unique index on the key: refused before loading, with the remedy. */
    f.sg.ops->stage_close(&f.sg);
    sl_test_pg_exec(f.url, "ALTER TABLE s_merge.t DROP CONSTRAINT t_pkey");
    f.sg = (sl_stage){ .ops = &sl_store_postgres, .target = &f.target, .cfg = &f.cfg, .job = f.target.schema, .run_id = 4,
                       .run_started = 4.0, .table = "t" };
    cr_assert_eq(f.sg.ops->stage_open(&f.sg, &err), 0, "%s", err.msg);
    f.sg.schema = f.schema;
    cr_assert_eq(f.sg.ops->ready(&f.sg, &err), -1);
    cr_assert(strstr(err.msg, "CREATE UNIQUE INDEX ON s_merge.t (id)"), "%s", err.msg);
    fx_done(&f);
}

Test(store_postgres, schema_changes_and_lost_staging)
{
    fx f;
    if (!fx_init(&f, "sl_store_pg", SL_WRITE_APPEND, "s_append")) return;
    fx_fresh(&f, "CREATE SCHEMA s_append; CREATE TABLE s_append.t (id integer, note text, old text)");
    f.cfg.nkey = 0;
    sl_err err = SL_ERR_INIT;
    f.sg = (sl_stage){ .ops = &sl_store_postgres, .target = &f.target, .cfg = &f.cfg, .job = f.target.schema, .run_id = 1,
                       .run_started = 1.0, .table = "t" };
    cr_assert_eq(f.sg.ops->stage_open(&f.sg, &err), 0, "%s", err.msg);
    f.sg.schema = f.schema;
    cr_assert_eq(f.sg.ops->ready(&f.sg, &err), -1);
    cr_assert(strstr(err.msg, "column id changed type: integer in the warehouse, bigint from the source"), "%s", err.msg);
    cr_assert(strstr(err.msg, "column old (text) is no longer in the source"), "%s", err.msg);
    cr_assert(strstr(err.msg, "on_schema_change: recreate"), "%s", err.msg);
    f.sg.ops->stage_close(&f.sg);
    f.sg.ops = NULL;

    /* add_columns: a new column is added to the live table, the rows appended. */
    sl_test_pg_exec(f.url, "DROP TABLE s_append.t; CREATE TABLE s_append.t (id bigint); INSERT INTO s_append.t VALUES (0)");
    f.cfg.on_schema_change = SL_SCHEMA_ADD_COLUMNS;
    fx_open(&f, 2, 2.0);
    cr_assert_eq(fx_load(&f, "part-00000.pgcopy", 1, 10, 10, &err), 0, "%s", err.msg);
    /* An UNLOGGED staging table emptied by crash recovery: the task is not intact, nothing is published. */
    sl_test_pg_exec(f.url, "DO $$ DECLARE s text; BEGIN SELECT stage_name INTO s FROM _sluice.stages WHERE "
                           "run_id = 2 AND job = 's_append'; EXECUTE format('TRUNCATE s_append.%I', s); END $$");
    sl_store_file task = { .name = "part-00000.pgcopy", .rows = 10 };
    cr_assert_eq(f.sg.ops->check(&f.sg, &task, &err), 0);
    sl_store_file files[] = { { .name = "part-00000.pgcopy", .rows = 10 } };
    sl_store_manifest m = { .files = files, .nfiles = 1 };
    sl_store_result res;
    cr_assert_eq(f.sg.ops->publish(&f.sg, &m, &res, &err), -1);
    cr_assert_eq(err.code, SL_EIO);
    cr_assert(strstr(err.msg, "UNLOGGED"), "%s", err.msg);
    cr_assert_eq(fx_count(&f, "SELECT count(*) FROM s_append.t"), 1);
    /* The task loaded again (the resume's redo): published, with the new column. */
    sl_err_clear(&err);
    cr_assert_eq(fx_load(&f, "part-00000.pgcopy", 1, 10, 10, &err), 0, "%s", err.msg);
    fx_publish(&f, 10, 1);
    cr_assert_eq(fx_count(&f, "SELECT count(*) FROM s_append.t"), 11);
    cr_assert_eq(fx_count(&f, "SELECT count(note) FROM s_append.t"), 9);   /* NULL: the old row and id 7 */
    f.sg.ops->stage_close(&f.sg);

    /* Staging of runs that will not be resumed is dropped; this run's is kept. */
    fx_open(&f, 3, 3.0);
    f.sg.ops->stage_close(&f.sg);
    fx_open(&f, 4, 4.0);
    int removed = 0;
    cr_assert_eq(sl_store_postgres.clean_stale(&f.target, "s_append", 4, &removed, &err), 0, "%s", err.msg);
    cr_assert_geq(removed, 1);
    cr_assert_eq(fx_count(&f, "SELECT count(*) FROM _sluice.stages WHERE job = 's_append' AND run_id <> 4"), 0);
    cr_assert_eq(fx_count(&f, "SELECT count(*) FROM pg_tables WHERE schemaname = 's_append' AND tablename LIKE '\\_sl\\_3\\_%'"), 0);
    cr_assert_eq(fx_staged(&f, 4), 0);
    cr_assert_eq(sl_store_postgres.clean_run(&f.target, "s_append", 4, true, &err), 0, "%s", err.msg);
    cr_assert_eq(fx_count(&f, "SELECT count(*) FROM pg_tables WHERE schemaname = 's_append' AND tablename LIKE '\\_sl\\_%'"), 0);
    fx_done(&f);
}

/* One run of a job per schema: the lock is the run's until unlock; another
 * job, or another schema, is not held up. */
Test(store_postgres, one_run_of_a_job_at_a_time)
{
    fx f;
    if (!fx_init(&f, "sl_store_pg", SL_WRITE_REPLACE, "s_lock")) return;
    sl_err err = SL_ERR_INIT;
    void *a = sl_store_postgres.lock(&f.target, "jl", "run 1 of state store /a", &err);
    cr_assert_not_null(a, "%s", err.msg);
    void *other = sl_store_postgres.lock(&f.target, "jl_other", "run 1 of state store /c", &err);
    cr_assert_not_null(other, "%s", err.msg);
    sl_job_target t2 = f.target;
    t2.schema = "s_lock2";
    void *elsewhere = sl_store_postgres.lock(&t2, "jl", "run 1 of state store /d", &err);
    cr_assert_not_null(elsewhere, "%s", err.msg);
    void *b = sl_store_postgres.lock(&f.target, "jl", "run 1 of state store /b", &err);
    cr_assert_null(b);
    cr_assert(strstr(err.msg, "job jl is already being loaded into"), "%s", err.msg);
    cr_assert(strstr(err.msg, "schema s_lock"), "%s", err.msg);
    cr_assert(strstr(err.msg, "run 1 of state store /a"), "%s", err.msg);
    cr_assert(strstr(err.msg, "wait for that run to end"), "%s", err.msg);
    sl_store_postgres.unlock(a, &f.target, "jl");
    err = (sl_err)SL_ERR_INIT;
    b = sl_store_postgres.lock(&f.target, "jl", "run 1 of state store /b", &err);
    cr_assert_not_null(b, "%s", err.msg);
    sl_store_postgres.unlock(b, &f.target, "jl");
    sl_store_postgres.unlock(other, &f.target, "jl_other");
    sl_store_postgres.unlock(elsewhere, &t2, "jl");
    fx_done(&f);
}

/* replace only over what this job published; append and merge over anything. */
Test(store_postgres, replace_refuses_a_table_not_this_jobs)
{
    fx f;
    if (!fx_init(&f, "sl_store_pg", SL_WRITE_REPLACE, "s_live")) return;
    fx_fresh(&f, NULL);
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_store_postgres.check_live(&f.target, "s_live", &f.cfg, &err), 0, "%s", err.msg);   /* nothing there */
    fx_open(&f, 1, 1000.0);
    cr_assert_eq(fx_load(&f, "part-00000.pgcopy", 1, 10, 10, &err), 0, "%s", err.msg);
    fx_publish(&f, 10, 1);
    cr_assert_eq(sl_store_postgres.check_live(&f.target, "s_live", &f.cfg, &err), 0, "%s", err.msg);   /* ours */
    cr_assert_eq(sl_store_postgres.check_live(&f.target, "another_job", &f.cfg, &err), -1);
    cr_assert(strstr(err.msg, "table s_live.t exists and was not published by job another_job"), "%s", err.msg);
    cr_assert(strstr(err.msg, "write: append or write: merge"), "%s", err.msg);
    sl_test_pg_exec(f.url, "CREATE TABLE s_live.mine (id bigint)");
    sl_job_table mine = f.cfg;
    mine.name = "mine";
    err = (sl_err)SL_ERR_INIT;
    cr_assert_eq(sl_store_postgres.check_live(&f.target, "s_live", &mine, &err), -1);
    cr_assert(strstr(err.msg, "s_live.mine"), "%s", err.msg);
    mine.write = SL_WRITE_APPEND;
    cr_assert_eq(sl_store_postgres.check_live(&f.target, "s_live", &mine, &err), 0, "%s", err.msg);
    mine.write = SL_WRITE_MERGE;
    cr_assert_eq(sl_store_postgres.check_live(&f.target, "s_live", &mine, &err), 0, "%s", err.msg);
    fx_done(&f);
}
