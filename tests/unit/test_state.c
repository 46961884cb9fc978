/*
 * test_state.c - the state store: schema creation and migration (from
 * empty, from version 1, idempotent reopen, a newer schema refused, a file
 * that is not a database), runs (new, resume of a killed or failed run, a
 * changed job file or --fresh starting over), tables, tasks (resume keeps
 * them; a changed plan or changed columns replace them), attempts with
 * retries, files, the store's private file modes,
 * concurrent task updates from threads, the status report, and the backoff
 * helpers (sl_backoff.h).
 */
#include "sl_test.h"

#include "core/sl_alloc.h"
#include "core/sl_log.h"
#include "state/sl_backoff.h"
#include "state/sl_fs.h"
#include "state/sl_state.h"

#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[256];
static char dbpath[300];

static void setup(void)
{
    sl_log_setup(SL_LOG_ERROR, false);
    sl_test_mkdtemp(tmpdir, sizeof tmpdir, "/tmp/sluice-test-state-XXXXXX");
    snprintf(dbpath, sizeof dbpath, "%s/.sluice/state.db", tmpdir);
}

static void teardown(void) { sl_test_rmtree(tmpdir); }

TestSuite(state, .init = setup, .fini = teardown);

static sl_state *open_ok(void)
{
    sl_err err = SL_ERR_INIT;
    sl_state *st = sl_state_open(dbpath, &err);
    cr_assert_not_null(st, "%s", err.msg);
    return st;
}

/* open_ok, then a new run of job "shop" (plan hash "h1") into rs. */
static sl_state *open_run(sl_run_start *rs)
{
    sl_state *st = open_ok();
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_state_run_begin(st, "shop", "h1", false, rs, &err), 0, "%s", err.msg);
    return st;
}

/* A statement for sql on its own connection to the state database. */
static sqlite3_stmt *query(sqlite3 **db, const char *sql)
{
    cr_assert_eq(sqlite3_open(dbpath, db), SQLITE_OK);
    sqlite3_stmt *q;
    cr_assert_eq(sqlite3_prepare_v2(*db, sql, -1, &q, NULL), SQLITE_OK, "%s", sqlite3_errmsg(*db));
    return q;
}

static int64_t scalar(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *q = query(&db, sql);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW, "%s", sql);
    int64_t v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

static char *text_value(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *q = query(&db, sql);
    char *v = NULL;
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0)) v = sl_strdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

static void run_sql(const char *sql)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
    char *msg = NULL;
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK, "%s", msg);
    sqlite3_close(db);
}

/* ---- schema ---- */

Test(state, creates_schema_in_a_new_directory)
{
    sl_state *st = open_ok();
    cr_assert_eq(sl_state_schema_version(st), SL_STATE_SCHEMA_VERSION);
    cr_assert_str_eq(sl_state_path(st), dbpath);
    sl_state_close(st);
    cr_assert_eq(scalar("SELECT schema_version FROM meta"), SL_STATE_SCHEMA_VERSION);
    cr_assert_eq(scalar("SELECT count(*) FROM meta"), 1);
    cr_assert_eq(scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                        "('runs','tables','tasks','attempts','files')"), 5);
    char *mode = text_value("PRAGMA journal_mode");
    cr_assert_str_eq(mode, "wal");
    sl_free(mode);
}

Test(state, reopen_is_idempotent)
{
    sl_run_start rs;
    sl_state *st = open_run(&rs);
    sl_state_close(st);
    for (int i = 0; i < 3; i++) {
        st = open_ok();
        cr_assert_eq(sl_state_schema_version(st), SL_STATE_SCHEMA_VERSION);
        sl_state_close(st);
    }
    cr_assert_eq(scalar("SELECT count(*) FROM runs"), 1);
    cr_assert_eq(scalar("SELECT count(*) FROM meta"), 1);
}

Test(state, migrates_from_version_1)
{
    sl_err err = SL_ERR_INIT;
    sl_state *st = sl_state_open_version(dbpath, 1, &err);
    cr_assert_not_null(st, "%s", err.msg);
    cr_assert_eq(sl_state_schema_version(st), 1);
    sl_run_start rs;
    cr_assert_eq(sl_state_run_begin(st, "shop", "h1", false, &rs, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_state_table_register(st, rs.run_id, "orders", "lake", 0, &err), 0);
    sl_state_close(st);
    cr_assert_eq(scalar("SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'resumes'"), 0);

    st = open_ok();
    cr_assert_eq(sl_state_schema_version(st), SL_STATE_SCHEMA_VERSION);
    cr_assert_eq(scalar("SELECT count(*) FROM pragma_table_info('tables') WHERE name = 'columns'"), 1);
    cr_assert_eq(scalar("SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'resumes'"), 1);
    cr_assert_eq(scalar("SELECT count(*) FROM sqlite_master WHERE name = 'runs_by_job'"), 1);
    sl_run_report *runs;
    int n;
    cr_assert_eq(sl_state_runs(st, "shop", 10, &runs, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 1, "the run recorded under version 1 survives");
    cr_assert_eq(runs[0].ntables, 1);
    sl_state_runs_free(runs, n);
    sl_state_close(st);
}

Test(state, newer_schema_is_refused)
{
    sl_state_close(open_ok());
    run_sql("UPDATE meta SET schema_version = 99");
    sl_err err = SL_ERR_INIT;
    cr_assert_null(sl_state_open(dbpath, &err));
    cr_assert(strstr(err.msg, "schema version 99, newer than this sluice knows"), "%s", err.msg);
    cr_assert(strstr(err.msg, dbpath), "%s", err.msg);
}

Test(state, not_a_database)
{
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_fs_mkdirs(tmpdir, &err), 0);
    char *dir = sl_fs_dirname(dbpath);
    sl_fs_mkdirs(dir, &err);
    sl_free(dir);
    const char junk[] = "this is not an SQLite database, just some text that is long enough to look like a header";
    cr_assert_eq(sl_fs_write_atomic(dbpath, junk, sizeof junk, &err), 0);
    cr_assert_null(sl_state_open(dbpath, &err));
    cr_assert(strstr(err.msg, dbpath), "%s", err.msg);
    cr_assert(strstr(err.msg, "move it away") || strstr(err.msg, "not a sluice state database"), "%s", err.msg);
}

Test(state, default_path_and_hash)
{
    char *p = sl_state_default_path("/jobs");
    cr_assert_str_eq(p, "/jobs/.sluice/state.db");
    sl_free(p);
    p = sl_state_default_path("");
    cr_assert_str_eq(p, "./.sluice/state.db");
    sl_free(p);
    char a[SL_STATE_HASH_LEN], b[SL_STATE_HASH_LEN], c[SL_STATE_HASH_LEN];
    sl_state_hash("name: shop\n", 11, a);
    sl_state_hash("name: shop\n", 11, b);
    sl_state_hash("name: shoq\n", 11, c);
    cr_assert_str_eq(a, b);
    cr_assert_str_neq(a, c);
    cr_assert_eq(strlen(a), 32);
}

Test(state, readers_do_not_wait_for_a_writer)
{
    sl_err err = SL_ERR_INIT;
    sl_run_start rs;
    sl_state *st = open_run(&rs);
    sl_state_close(st);
    sqlite3 *writer;
    cr_assert_eq(sqlite3_open(dbpath, &writer), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(writer, "BEGIN IMMEDIATE; UPDATE runs SET host = 'x'", NULL, NULL, NULL), SQLITE_OK);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    st = open_ok();                                    /* no migration: no write lock needed */
    sl_run_report *runs;
    int n;
    cr_assert_eq(sl_state_runs(st, "shop", 5, &runs, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 1);
    cr_assert_str_neq(runs[0].host, "x", "the uncommitted write is not seen");
    sl_state_runs_free(runs, n);
    clock_gettime(CLOCK_MONOTONIC, &b);
    cr_assert_lt((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9, 2.0);
    sl_state_close(st);
    sqlite3_exec(writer, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(writer);
}

/* ---- runs and resume ---- */

static void add_table(sl_state *st, int64_t run, const char *table, int ntasks, int64_t *ids)
{
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_state_table_register(st, run, table, "lake", 1700000000, &err), 0, "%s", err.msg);
    sl_task_spec specs[64];
    char preds[64][64];
    for (int i = 0; i < ntasks; i++) {
        snprintf(preds[i], sizeof preds[i], "id >= %d AND id < %d", i * 100, (i + 1) * 100);
        specs[i] = (sl_task_spec){ i, preds[i], 100 };
    }
    bool replanned = true;
    cr_assert_eq(sl_state_tasks_register(st, run, table, NULL, specs, ntasks, ids, &replanned, &err), 0, "%s", err.msg);
    cr_assert_not(replanned);
}

static void finish_task(sl_state *st, int64_t task_id, const char *file)
{
    sl_err err = SL_ERR_INIT;
    int attempt = 0;
    cr_assert_eq(sl_state_attempt_begin(st, task_id, 1, &attempt, &err), 0, "%s", err.msg);
    sl_task_result res = { 100, 5000, 0.25, file, 1234, 0xdeadbeef, NULL, 0, NULL, 0, NULL };
    cr_assert_eq(sl_state_attempt_end(st, task_id, attempt, NULL, false, &res, &err), 0, "%s", err.msg);
}

Test(state, new_run_then_resume_after_kill)
{
    sl_err err = SL_ERR_INIT;
    sl_run_start rs;
    sl_state *st = open_run(&rs);
    cr_assert_not(rs.resumed);
    cr_assert_eq(rs.abandoned_run_id, 0);
    cr_assert_str_eq(rs.note, "");
    int64_t run = rs.run_id;
    int64_t ids[4];
    add_table(st, run, "orders", 4, ids);
    finish_task(st, ids[0], "part-0000.parquet");
    finish_task(st, ids[1], "part-0001.parquet");
    int attempt;
    cr_assert_eq(sl_state_attempt_begin(st, ids[2], 2, &attempt, &err), 0);         /* running when killed */
    cr_assert_eq(sl_state_attempt_begin(st, ids[3], 3, &attempt, &err), 0);
    sl_err boom = SL_ERR_INIT;
    sl_err_set(&boom, SL_ESOURCE, "relation \"orders\" does not exist");
    cr_assert_eq(sl_state_attempt_end(st, ids[3], attempt, &boom, false, NULL, &err), 0);
    sl_state_close(st);                   /* the process "dies": no run_finish */

    st = open_ok();
    cr_assert_eq(sl_state_run_begin(st, "shop", "h1", false, &rs, &err), 0, "%s", err.msg);
    cr_assert(rs.resumed);
    cr_assert_eq(rs.run_id, run);
    cr_assert_eq(rs.tasks_done, 2);
    cr_assert_eq(rs.tasks_total, 4);
    cr_assert(strstr(rs.note, "resuming run") && strstr(rs.note, "killed") && strstr(rs.note, "2 of 4"), "%s",
              rs.note);
    sl_task_rec *tasks;
    int n;
    cr_assert_eq(sl_state_tasks_list(st, run, "orders", &tasks, &n, &err), 0);
    cr_assert_eq(n, 4);
    cr_assert_eq(tasks[0].status, SL_TASK_DONE);
    cr_assert_str_eq(tasks[0].file_name, "part-0000.parquet");
    cr_assert_eq(tasks[0].crc32, 0xdeadbeef);
    cr_assert_eq(tasks[0].file_size, 1234);
    cr_assert_eq(tasks[0].rows, 100);
    cr_assert_str_eq(tasks[0].predicate, "id >= 0 AND id < 100");
    cr_assert_eq(tasks[2].status, SL_TASK_PENDING, "a task running when killed is redone");
    cr_assert_eq(tasks[3].status, SL_TASK_PENDING, "a failed task is retried on resume");
    cr_assert_eq(tasks[3].attempts, 1);
    cr_assert(strstr(tasks[3].error, "does not exist"));
    sl_state_tasks_free(tasks, n);
    cr_assert_eq(scalar("SELECT count(*) FROM attempts WHERE outcome = 'killed'"), 1);

    /* Re-registering the same plan keeps the done tasks and their ids. */
    int64_t again[4];
    add_table(st, run, "orders", 4, again);
    cr_assert_arr_eq(again, ids, sizeof ids);
    cr_assert_eq(scalar("SELECT count(*) FROM tasks WHERE status = 'done'"), 2);

    cr_assert_eq(sl_state_attempt_begin(st, ids[2], 1, &attempt, &err), 0);
    cr_assert_eq(attempt, 2, "attempt numbers continue over sessions");

    sl_run_report *runs;
    cr_assert_eq(sl_state_runs(st, "shop", 5, &runs, &n, &err), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(runs[0].resumes, 1);
    cr_assert_str_eq(runs[0].status, "running");
    sl_state_runs_free(runs, n);
    sl_state_close(st);
}

Test(state, finished_run_is_not_resumed)
{
    sl_err err = SL_ERR_INIT;
    sl_state *st = open_ok();
    sl_run_start a, b;
    cr_assert_eq(sl_state_run_begin(st, "shop", "h1", false, &a, &err), 0);
    cr_assert_eq(sl_state_run_finish(st, a.run_id, SL_RUN_SUCCEEDED, NULL, &err), 0);
    cr_assert_eq(sl_state_run_begin(st, "shop", "h1", false, &b, &err), 0);
    cr_assert_not(b.resumed);
    cr_assert_gt(b.run_id, a.run_id);
    cr_assert_eq(b.abandoned_run_id, 0);
    /* Another job's runs are separate. */
    sl_run_start c;
    cr_assert_eq(sl_state_run_begin(st, "crm", "h1", false, &c, &err), 0);
    cr_assert_not(c.resumed);
    sl_state_close(st);
}

Test(state, failed_run_is_resumed)
{
    sl_err err = SL_ERR_INIT;
    sl_state *st = open_ok();
    sl_run_start a, b;
    cr_assert_eq(sl_state_run_begin(st, "shop", "h1", false, &a, &err), 0);
    int64_t ids[2];
    add_table(st, a.run_id, "orders", 2, ids);
    cr_assert_eq(sl_state_table_failed(st, a.run_id, "orders", "task 1 failed", &err), 0);
    cr_assert_eq(sl_state_run_finish(st, a.run_id, SL_RUN_FAILED, "table orders failed", &err), 0);
    cr_assert_eq(sl_state_run_begin(st, "shop", "h1", false, &b, &err), 0);
    cr_assert(b.resumed);
    cr_assert_eq(b.run_id, a.run_id);
    cr_assert(strstr(b.note, "(failed,"), "%s", b.note);
    sl_table_rec t;
    cr_assert_eq(sl_state_table_get(st, a.run_id, "orders", &t, &err), 1);
    cr_assert_str_eq(t.status, "pending");
    char *status = text_value("SELECT status || '/' || coalesce(error, '-') FROM runs");
    cr_assert_str_eq(status, "running/-");
    sl_free(status);
    sl_state_close(st);
}

Test(state, changed_job_file_starts_over)
{
    sl_err err = SL_ERR_INIT;
    sl_state *st = open_ok();
    sl_run_start a, b;
    cr_assert_eq(sl_state_run_begin(st, "shop", "h1", false, &a, &err), 0);
    sl_state_close(st);
    st = open_ok();
    cr_assert_eq(sl_state_run_begin(st, "shop", "h2", false, &b, &err), 0);
    cr_assert_not(b.resumed);
    cr_assert_neq(b.run_id, a.run_id);
    cr_assert_eq(b.abandoned_run_id, a.run_id);
    cr_assert(strstr(b.note, "job file has changed"), "%s", b.note);
    cr_assert(strstr(b.note, "starting over"), "%s", b.note);
    char *s = text_value("SELECT status FROM runs WHERE id = 1");
    cr_assert_str_eq(s, "killed");
    sl_free(s);
    sl_state_close(st);
}

Test(state, fresh_starts_over)
{
    sl_err err = SL_ERR_INIT;
    sl_state *st = open_ok();
    sl_run_start a, b;
    cr_assert_eq(sl_state_run_begin(st, "shop", "h1", false, &a, &err), 0);
    cr_assert_eq(sl_state_run_begin(st, "shop", "h1", true, &b, &err), 0);
    cr_assert_not(b.resumed);
    cr_assert_eq(b.abandoned_run_id, a.run_id);
    cr_assert(strstr(b.note, "--fresh"), "%s", b.note);
    sl_state_close(st);
}

Test(state, changed_plan_replaces_tasks)
{
    sl_err err = SL_ERR_INIT;
    sl_run_start rs;
    sl_state *st = open_run(&rs);
    int64_t ids[3];
    add_table(st, rs.run_id, "orders", 3, ids);
    finish_task(st, ids[0], "part-0000.parquet");
    sl_task_spec specs[2] = { { 0, "id < 500", 500 }, { 1, "id >= 500", 500 } };
    int64_t new_ids[2];
    bool replanned = false;
    cr_assert_eq(sl_state_tasks_register(st, rs.run_id, "orders", NULL, specs, 2, new_ids, &replanned, &err), 0);
    cr_assert(replanned);
    sl_task_rec *tasks;
    int n;
    cr_assert_eq(sl_state_tasks_list(st, rs.run_id, "orders", &tasks, &n, &err), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(tasks[0].status, SL_TASK_PENDING);
    cr_assert_str_eq(tasks[1].predicate, "id >= 500");
    cr_assert_null(tasks[0].file_name);
    sl_state_tasks_free(tasks, n);
    sl_file_rec *files;
    cr_assert_eq(sl_state_files_list(st, rs.run_id, "orders", NULL, true, &files, &n, &err), 0);
    cr_assert_eq(n, 0, "the files of the old plan are forgotten");
    sl_state_close(st);
}

/* Item 5: the columns of a table's finished tasks decide whether a resume keeps them. */
static char *columns_of(const char *second_name, sl_type_id amount, bool id_nullable, bool with_note)
{
    sl_schema *s = sl_schema_new(with_note ? 4 : 3);
    sl_schema_set(s, 0, "id", (sl_type){ .id = SL_T_INT64 }, id_nullable);
    sl_schema_set(s, 1, second_name, (sl_type){ .id = SL_T_STRING }, true);
    sl_schema_set(s, 2, "amount", (sl_type){ .id = amount, .precision = 12, .scale = 2 }, true);
    if (with_note) sl_schema_set(s, 3, "note\tx", (sl_type){ .id = SL_T_STRING }, true);
    char *text = sl_state_columns_text(s);
    sl_schema_free(s);
    return text;
}

/* Registers the 3 tasks of add_table again with `columns`; returns whether they were replanned. */
static bool register_again(sl_state *st, int64_t run, const char *columns)
{
    sl_err err = SL_ERR_INIT;
    sl_task_spec specs[3];
    char preds[3][64];
    for (int i = 0; i < 3; i++) {
        snprintf(preds[i], sizeof preds[i], "id >= %d AND id < %d", i * 100, (i + 1) * 100);
        specs[i] = (sl_task_spec){ i, preds[i], 100 };
    }
    int64_t ids[3];
    bool replanned = false;
    cr_assert_eq(sl_state_tasks_register(st, run, "orders", columns, specs, 3, ids, &replanned, &err), 0, "%s",
                 err.msg);
    return replanned;
}

Test(state, item5_changed_columns_replace_the_finished_tasks)
{
    sl_run_start rs;
    sl_state *st = open_run(&rs);
    int64_t ids[3];
    add_table(st, rs.run_id, "orders", 3, ids);
    char *base = columns_of("name", SL_T_DECIMAL, false, false);
    /* Recorded without columns (as by an older sluice): they count as changed. */
    finish_task(st, ids[0], "part-00000.csv");
    cr_assert(register_again(st, rs.run_id, base), "columns never recorded: the finished tasks were kept");
    cr_assert(!register_again(st, rs.run_id, base), "the same columns replanned");

    struct { const char *what; char *cols; const char *diff; } cases[] = {
        { "a changed type", columns_of("name", SL_T_FLOAT64, false, false), "amount: decimal(12,2) -> float64" },
        { "a renamed column", columns_of("title", SL_T_DECIMAL, false, false), "name: dropped; title: added (string)" },
        { "a changed nullability", columns_of("name", SL_T_DECIMAL, true, false), "id: not null -> nullable" },
        { "an added column", columns_of("name", SL_T_DECIMAL, false, true), "note\\tx: added (string)" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char diff[256];
        sl_state_columns_diff(base, cases[i].cols, diff, sizeof diff);
        cr_assert_str_eq(diff, cases[i].diff, "%s", cases[i].what);
        /* A finished task, then a resume that finds these columns: the task is redone. */
        sl_task_rec *tasks;
        int n;
        sl_err err = SL_ERR_INIT;
        cr_assert_eq(sl_state_tasks_list(st, rs.run_id, "orders", &tasks, &n, &err), 0);
        finish_task(st, tasks[1].id, "part-00001.csv");
        sl_state_tasks_free(tasks, n);
        cr_assert(register_again(st, rs.run_id, cases[i].cols), "%s: finished tasks kept", cases[i].what);
        cr_assert_eq(scalar("SELECT count(*) FROM tasks WHERE status = 'done'"), 0, "%s", cases[i].what);
        cr_assert_eq(scalar("SELECT count(*) FROM files"), 0, "%s", cases[i].what);
        cr_assert(register_again(st, rs.run_id, base), "%s: back to the first columns", cases[i].what);
        sl_free(cases[i].cols);
    }
    /* A dropped column (the reverse of an added one), and only the order. */
    char diff[256];
    char *with_note = columns_of("name", SL_T_DECIMAL, false, true);
    sl_state_columns_diff(with_note, base, diff, sizeof diff);
    cr_assert_str_eq(diff, "note\\tx: dropped");
    sl_schema *s = sl_schema_new(3);
    sl_schema_set(s, 0, "name", (sl_type){ .id = SL_T_STRING }, true);
    sl_schema_set(s, 1, "id", (sl_type){ .id = SL_T_INT64 }, false);
    sl_schema_set(s, 2, "amount", (sl_type){ .id = SL_T_DECIMAL, .precision = 12, .scale = 2 }, true);
    char *reordered = sl_state_columns_text(s);
    sl_schema_free(s);
    sl_state_columns_diff(base, reordered, diff, sizeof diff);
    cr_assert_str_eq(diff, "the column order");
    cr_assert(register_again(st, rs.run_id, reordered));
    sl_free(reordered);
    sl_free(with_note);
    sl_free(base);
    sl_state_close(st);
}

/* Item 9: the store holds real key values and errors: its files are the owner's only. */
static unsigned mode_of(const char *path)
{
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0, "%s", path);
    return (unsigned)(sb.st_mode & 0777);
}

Test(state, item9_store_directory_and_files_are_private)
{
    mode_t old = umask(022);
    sl_run_start rs;
    sl_state *st = open_run(&rs);   /* writes: the -wal and -shm files exist */
    char dir[300], wal[320], shm[320];
    snprintf(dir, sizeof dir, "%s/.sluice", tmpdir);
    snprintf(wal, sizeof wal, "%s-wal", dbpath);
    snprintf(shm, sizeof shm, "%s-shm", dbpath);
    cr_assert_eq(mode_of(dir), 0700);
    cr_assert_eq(mode_of(dbpath), 0600);
    cr_assert_eq(mode_of(wal), 0600);
    cr_assert_eq(mode_of(shm), 0600);
    sl_state_close(st);
    /* A store an older sluice left readable by all is narrowed when opened; its directory is left as it is. */
    chmod(dir, 0755);
    chmod(dbpath, 0644);
    st = open_run(&rs);
    cr_assert_eq(mode_of(dbpath), 0600);
    cr_assert_eq(mode_of(wal), 0600);
    cr_assert_eq(mode_of(dir), 0755);
    sl_state_close(st);
    umask(old);
}

Test(state, tasks_need_their_table)
{
    sl_err err = SL_ERR_INIT;
    sl_run_start rs;
    sl_state *st = open_run(&rs);
    sl_task_spec spec = { 0, NULL, -1 };
    int64_t id;
    cr_assert_eq(sl_state_tasks_register(st, rs.run_id, "nope", NULL, &spec, 1, &id, NULL, &err), -1);
    cr_assert(strstr(err.msg, "no table nope"), "%s", err.msg);
    sl_err_clear(&err);
    cr_assert_eq(sl_state_table_published(st, rs.run_id, "nope", 0, 0, &err), -1);
    sl_err_clear(&err);
    int attempt;
    cr_assert_eq(sl_state_attempt_begin(st, 999, 0, &attempt, &err), -1);
    sl_state_close(st);
}

/* ---- attempts, files, tables ---- */

Test(state, attempts_retry_then_succeed)
{
    sl_err err = SL_ERR_INIT;
    sl_run_start rs;
    sl_state *st = open_run(&rs);
    int64_t ids[1];
    add_table(st, rs.run_id, "orders", 1, ids);
    int attempt;
    cr_assert_eq(sl_state_attempt_begin(st, ids[0], 3, &attempt, &err), 0);
    cr_assert_eq(attempt, 1);
    sl_err lost = SL_ERR_INIT;
    sl_err_set(&lost, SL_ETRANSIENT, "server closed the connection unexpectedly");
    cr_assert_eq(sl_state_attempt_end(st, ids[0], attempt, &lost, true, NULL, &err), 0, "%s", err.msg);
    sl_task_rec *tasks;
    int n;
    cr_assert_eq(sl_state_tasks_list(st, rs.run_id, "orders", &tasks, &n, &err), 0);
    cr_assert_eq(tasks[0].status, SL_TASK_PENDING);
    cr_assert_eq(tasks[0].worker, 3);
    sl_state_tasks_free(tasks, n);

    cr_assert_eq(sl_state_attempt_begin(st, ids[0], 4, &attempt, &err), 0);
    cr_assert_eq(attempt, 2);
    sl_task_result res = { 100, 0, 1.5, "part-0000.parquet", 2048, 42, NULL, 0, NULL, 0, NULL };
    cr_assert_eq(sl_state_attempt_end(st, ids[0], attempt, NULL, false, &res, &err), 0);
    cr_assert_eq(scalar("SELECT count(*) FROM attempts"), 2);
    cr_assert_eq(scalar("SELECT count(*) FROM attempts WHERE outcome = 'retry' AND error_code = 'TRANSIENT'"), 1);
    cr_assert_eq(scalar("SELECT count(*) FROM attempts WHERE outcome = 'ok' AND ended >= started"), 1);

    sl_file_rec *files;
    cr_assert_eq(sl_state_files_list(st, rs.run_id, "orders", NULL, true, &files, &n, &err), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(files[0].path, "part-0000.parquet");
    cr_assert_eq(files[0].rows, 100);
    cr_assert_eq(files[0].bytes, 2048);
    cr_assert_eq(files[0].crc32, 42);
    cr_assert_eq(files[0].task_id, ids[0]);
    sl_state_files_free(files, n);

    /* A successful attempt needs its result. */
    cr_assert_eq(sl_state_attempt_end(st, ids[0], attempt, NULL, false, NULL, &err), -1);

    /* A reset forgets the file. */
    sl_err_clear(&err);
    cr_assert_eq(sl_state_task_reset(st, ids[0], &err), 0);
    cr_assert_eq(sl_state_files_list(st, rs.run_id, "orders", NULL, true, &files, &n, &err), 0);
    cr_assert_eq(n, 0);
    cr_assert_eq(sl_state_tasks_list(st, rs.run_id, "orders", &tasks, &n, &err), 0);
    cr_assert_eq(tasks[0].status, SL_TASK_PENDING);
    sl_state_tasks_free(tasks, n);

    /* Extra files of a task. */
    cr_assert_eq(sl_state_file_add(st, rs.run_id, "orders", "lake", ids[0], "part-0000-b.parquet", 5, 10, 7, &err), 0);
    cr_assert_eq(sl_state_files_list(st, rs.run_id, "orders", NULL, true, &files, &n, &err), 0);
    cr_assert_eq(n, 1);
    sl_state_files_free(files, n);
    sl_state_close(st);
}

Test(state, table_published)
{
    sl_err err = SL_ERR_INIT;
    sl_run_start rs;
    sl_state *st = open_run(&rs);
    int64_t ids[1];
    add_table(st, rs.run_id, "orders", 1, ids);
    sl_table_rec t;
    cr_assert_eq(sl_state_table_get(st, rs.run_id, "orders", &t, &err), 1);
    cr_assert_str_eq(t.status, "pending");
    cr_assert_eq(t.snapshot_time, 1700000000);
    cr_assert_eq(sl_state_table_get(st, rs.run_id, "customers", &t, &err), 0);
    cr_assert_eq(sl_state_table_published(st, rs.run_id, "orders", 1000, 65536, &err), 0);
    cr_assert_eq(sl_state_table_get(st, rs.run_id, "orders", &t, &err), 1);
    cr_assert_str_eq(t.status, "published");
    cr_assert_eq(t.rows, 1000);
    cr_assert_gt(t.published_at, 1700000000);
    /* Registering again (resume) keeps the first snapshot time. */
    cr_assert_eq(sl_state_table_register(st, rs.run_id, "orders", "lake", 1800000000, &err), 0);
    cr_assert_eq(sl_state_table_get(st, rs.run_id, "orders", &t, &err), 1);
    cr_assert_eq(t.snapshot_time, 1700000000);
    cr_assert_str_eq(t.status, "published");
    sl_state_close(st);
}

/* ---- threads ---- */

typedef struct worker_arg {
    sl_state *st;
    int64_t *ids;
    int first, count, worker;
    int failures;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    for (int i = a->first; i < a->first + a->count; i++) {
        sl_err err = SL_ERR_INIT;
        int attempt;
        if (sl_state_attempt_begin(a->st, a->ids[i], a->worker, &attempt, &err) < 0) { a->failures++; continue; }
        if (i % 5 == 0) {   /* one transient failure, then a retry */
            sl_err lost = SL_ERR_INIT;
            sl_err_set(&lost, SL_ETRANSIENT, "connection lost");
            if (sl_state_attempt_end(a->st, a->ids[i], attempt, &lost, true, NULL, &err) < 0 ||
                sl_state_attempt_begin(a->st, a->ids[i], a->worker, &attempt, &err) < 0) { a->failures++; continue; }
        }
        char name[32];
        snprintf(name, sizeof name, "part-%04d.parquet", i);
        sl_task_result res = { i, i * 10, 0.01, name, 100 + i, (uint32_t)i, NULL, 0, NULL, 0, NULL };
        if (sl_state_attempt_end(a->st, a->ids[i], attempt, NULL, false, &res, &err) < 0) a->failures++;
    }
    return NULL;
}

Test(state, concurrent_task_updates)
{
    enum { THREADS = 8, PER = 40, N = THREADS * PER };
    sl_err err = SL_ERR_INIT;
    sl_run_start rs;
    sl_state *st = open_run(&rs);
    cr_assert_eq(sl_state_table_register(st, rs.run_id, "orders", "lake", 0, &err), 0);
    sl_task_spec specs[N];
    for (int i = 0; i < N; i++) specs[i] = (sl_task_spec){ i, NULL, -1 };
    int64_t ids[N];
    cr_assert_eq(sl_state_tasks_register(st, rs.run_id, "orders", NULL, specs, N, ids, NULL, &err), 0);
    pthread_t th[THREADS];
    worker_arg args[THREADS];
    for (int t = 0; t < THREADS; t++) {
        args[t] = (worker_arg){ st, ids, t * PER, PER, t, 0 };
        pthread_create(&th[t], NULL, worker, &args[t]);
    }
    for (int t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
    for (int t = 0; t < THREADS; t++) cr_assert_eq(args[t].failures, 0);
    sl_run_report *runs;
    int n;
    cr_assert_eq(sl_state_runs(st, NULL, 1, &runs, &n, &err), 0);
    cr_assert_eq(runs[0].tasks_done, N);
    cr_assert_eq(runs[0].tasks_pending + runs[0].tasks_failed + runs[0].tasks_running, 0);
    cr_assert_eq(runs[0].rows, (int64_t)N * (N - 1) / 2);
    sl_state_runs_free(runs, n);
    sl_state_close(st);
    cr_assert_eq(scalar("SELECT count(*) FROM attempts"), N + N / 5);
    cr_assert_eq(scalar("SELECT count(*) FROM files"), N);
    cr_assert_eq(scalar("SELECT sum(attempts) FROM tasks"), N + N / 5);
}

/* ---- status report ---- */

Test(state, runs_report)
{
    sl_err err = SL_ERR_INIT;
    sl_state *st = open_ok();
    sl_run_start rs;
    for (int r = 0; r < 3; r++) {
        cr_assert_eq(sl_state_run_begin(st, "shop", "h1", false, &rs, &err), 0);
        int64_t ids[3], cids[2];
        add_table(st, rs.run_id, "orders", 3, ids);
        add_table(st, rs.run_id, "customers", 2, cids);
        finish_task(st, ids[0], "part-0000.parquet");
        finish_task(st, cids[0], "part-0000.parquet");
        finish_task(st, cids[1], "part-0001.parquet");
        if (r == 2) {
            int attempt;
            sl_state_attempt_begin(st, ids[1], 0, &attempt, &err);
            sl_err perm = SL_ERR_INIT;
            sl_err_set(&perm, SL_ESOURCE, "permission denied for table orders");
            sl_state_attempt_end(st, ids[1], attempt, &perm, false, NULL, &err);
        }
        cr_assert_eq(sl_state_run_finish(st, rs.run_id, r == 2 ? SL_RUN_FAILED : SL_RUN_SUCCEEDED,
                                         r == 2 ? "table orders: task 1 failed" : NULL, &err), 0);
    }
    cr_assert_eq(sl_state_run_begin(st, "crm", "h9", false, &rs, &err), 0);

    sl_run_report *runs;
    int n;
    cr_assert_eq(sl_state_runs(st, "shop", 2, &runs, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 2);
    sl_run_report *last = &runs[0];
    cr_assert_eq(last->id, 3, "newest first");
    cr_assert_str_eq(last->status, "failed");
    cr_assert_str_eq(last->error, "table orders: task 1 failed");
    cr_assert_gt(last->ended, 0);
    cr_assert_eq(last->pid, getpid());
    cr_assert_eq(last->ntables, 2);
    cr_assert_str_eq(last->tables[0].name, "customers");
    cr_assert_eq(last->tables[0].done, 2);
    cr_assert_str_eq(last->tables[1].name, "orders");
    cr_assert_eq(last->tables[1].done, 1);
    cr_assert_eq(last->tables[1].failed, 1);
    cr_assert_eq(last->tables[1].pending, 1);
    cr_assert_eq(last->tasks_done, 3);
    cr_assert_eq(last->tasks_failed, 1);
    cr_assert_eq(last->tasks_pending, 1);
    cr_assert_eq(last->rows, 300);
    cr_assert_eq(last->bytes, 3 * 1234);
    cr_assert_eq(last->nerrors, 1);
    cr_assert_str_eq(last->errors[0], "orders task 2 attempt 1: SOURCE: permission denied for table orders");
    cr_assert_str_eq(runs[1].status, "succeeded");
    cr_assert_eq(runs[1].nerrors, 0);
    sl_state_runs_free(runs, n);

    cr_assert_eq(sl_state_runs(st, NULL, 10, &runs, &n, &err), 0);
    cr_assert_eq(n, 4);
    cr_assert_str_eq(runs[0].job, "crm");
    cr_assert_str_eq(runs[0].status, "running");
    cr_assert_eq(runs[0].ended, 0);
    sl_state_runs_free(runs, n);
    sl_state_close(st);
}

/* ---- backoff ---- */

Test(backoff, full_jitter_within_exponential_ceiling)
{
    sl_rng rng;
    sl_rng_seed(&rng, 12345);
    cr_assert_eq(sl_backoff_ceiling(1, 1.0, 60), 1.0);
    cr_assert_eq(sl_backoff_ceiling(2, 1.0, 60), 2.0);
    cr_assert_eq(sl_backoff_ceiling(4, 0.5, 60), 4.0);
    cr_assert_eq(sl_backoff_ceiling(10, 1.0, 60), 60.0, "capped");
    cr_assert_eq(sl_backoff_ceiling(1000, 1.0, 30), 30.0, "no overflow");
    cr_assert_eq(sl_backoff_ceiling(10, 1.0, 0), SL_BACKOFF_CAP_S);
    cr_assert_eq(sl_backoff_ceiling(0, 1.0, 60), 0.0);
    cr_assert_eq(sl_backoff_delay(3, 0, 60, &rng), 0.0);
    for (int attempt = 1; attempt <= 8; attempt++) {
        double lo = 1e9, hi = 0, sum = 0;
        double ceiling = sl_backoff_ceiling(attempt, 1.0, 60);
        for (int i = 0; i < 4000; i++) {
            double d = sl_backoff_delay(attempt, 1.0, 60, &rng);
            cr_assert(d >= 0 && d < ceiling, "attempt %d: %f", attempt, d);
            lo = fmin(lo, d);
            hi = fmax(hi, d);
            sum += d;
        }
        /* Full jitter: spread over the whole range, mean near the middle. */
        cr_assert_lt(lo, ceiling * 0.05);
        cr_assert_gt(hi, ceiling * 0.95);
        cr_assert(fabs(sum / 4000 - ceiling / 2) < ceiling * 0.05, "attempt %d mean %f", attempt, sum / 4000);
    }
    /* Same seed, same sequence; NULL rng works. */
    sl_rng a, b;
    sl_rng_seed(&a, 7);
    sl_rng_seed(&b, 7);
    for (int i = 0; i < 10; i++) cr_assert_eq(sl_rng_next(&a), sl_rng_next(&b));
    double d = sl_backoff_delay(2, 1.0, 60, NULL);
    cr_assert(d >= 0 && d < 2.0);
}

Test(backoff, classifier)
{
    sl_err e = SL_ERR_INIT;
    cr_assert_not(sl_err_is_transient(&e));
    cr_assert_not(sl_err_is_transient(NULL));
    sl_err_set(&e, SL_ETRANSIENT, "connection lost");
    cr_assert(sl_err_is_transient(&e));
    cr_assert(sl_backoff_should_retry(&e, 1, 3));
    cr_assert(sl_backoff_should_retry(&e, 3, 3));
    cr_assert_not(sl_backoff_should_retry(&e, 4, 3), "retries exhausted");
    cr_assert_not(sl_backoff_should_retry(&e, 1, 0), "retries: 0");
    sl_code permanent[] = { SL_ESOURCE, SL_EIO, SL_ETYPE, SL_EDATA, SL_EJOB, SL_ENOSPACE, SL_EFORMAT };
    for (size_t i = 0; i < sizeof permanent / sizeof permanent[0]; i++) {
        sl_err_set(&e, permanent[i], "x");
        cr_assert_not(sl_err_is_transient(&e), "%s", sl_code_name(permanent[i]));
        cr_assert_not(sl_backoff_should_retry(&e, 1, 3));
    }
}

Test(backoff, sleep_waits)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    sl_backoff_sleep(0.03);
    sl_backoff_sleep(0);
    sl_backoff_sleep(-1);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    cr_assert(s >= 0.029 && s < 1.0, "%f", s);
}
