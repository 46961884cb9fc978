/*
 * test_exec.c - the execution engine over a synthetic source: tasks of
 * several tables run on the pool, CSV files land in <path>/<table>/, a
 * failing task leaves the live table untouched and no staging behind,
 * transient failures are retried, per-task metrics and skew are reported,
 * and the worker pool honours per-group limits. Also the CSV sink's text.
 * Hardening items: a resume after the source's schema changed redoes the
 * table (5), a directory sluice did not publish fails only its table, before
 * its source is read (2), the same job with another state store is refused
 * on the target (17), empty tasks' files go without a stray warning (21).
 *
 * The synthetic source ("gen") is passed through sl_run_opts.source_lookup,
 * so the registries are not touched. Its table's `partition.count` is the
 * number of tasks; task k yields rows_per_task(k) rows with ids k*100000+i.
 * Behaviour by table name: "boom" fails in its second task (permanently),
 * "flaky" fails once with SL_ETRANSIENT in each task, "skewed" gives task 0
 * ten times the rows of the others, "gone" loses its snapshot in every task
 * and cannot be prepared again (its server refuses connections), "refused"
 * cannot connect in its first three attempts and loses its snapshot in the
 * fourth; "miscount" reports one row more than it gave (the free checks).
 */
#include "sl_test.h"
#include <criterion/redirect.h>

#include "core/sl_alloc.h"
#include "core/sl_failpoint.h"
#include "core/sl_log.h"
#include "core/sl_out.h"
#include "exec/sl_exec.h"
#include "exec/sl_pool.h"
#include "job/sl_job.h"
#include "parquet/sl_pq_reader.h"
#include "state/sl_lock.h"
#include "state/sl_publish.h"
#include "observe/sl_progress.h"
#include "sinks/sl_sink.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static _Atomic int gen_flaky_failures;
static _Atomic int gone_prepares;
static _Atomic int refused_opens;
static _Atomic int boom_others_read;        /* tasks of table boom other than 1 that read all their rows */
static _Atomic int cancel_after_batches;   /* > 0: cancel test_cancel when it counts down to 0 */
static sl_cancel *test_cancel;
static const char *gen_second_column = "name";   /* a test renames it, as an ALTER TABLE would */

typedef struct gen_reader {
    const sl_source_table *tab;
    int task;
    int64_t next, end;
} gen_reader;

static int64_t gen_rows(const sl_source_table *tab, int task)
{
    if (!strcmp(tab->cfg->name, "skewed") && task == 0) return 50000;
    if (!strcmp(tab->cfg->name, "empty")) return 0;
    if (!strcmp(tab->cfg->name, "gaps") && task % 2) return 0;
    return 5000 + task;
}

static int gen_prepare(sl_source_table *tab, sl_err *err)
{
    if (!strcmp(tab->cfg->name, "gone") && atomic_fetch_add(&gone_prepares, 1) > 0)
        return sl_err_set(err, SL_ETRANSIENT, "cannot connect: Connection refused (synthetic)");
    tab->schema = sl_schema_new(4);
    sl_schema_set(tab->schema, 0, "id", (sl_type){ .id = SL_T_INT64 }, false);
    sl_schema_set(tab->schema, 1, gen_second_column, (sl_type){ .id = SL_T_STRING }, true);
    sl_schema_set(tab->schema, 2, "amount", (sl_type){ .id = SL_T_DECIMAL, .precision = 12, .scale = 2 }, true);
    sl_schema_set(tab->schema, 3, "raw", (sl_type){ .id = SL_T_BYTES }, true);
    int n = tab->cfg->partition.count ? tab->cfg->partition.count : 3;
    tab->ntasks = n;
    tab->tasks = sl_calloc((size_t)n, sizeof *tab->tasks);
    for (int k = 0; k < n; k++) {
        tab->tasks[k].index = k;
        tab->tasks[k].predicate = sl_sprintf("id / 100000 = %d", k);
        tab->tasks[k].est_rows = gen_rows(tab, k);
    }
    tab->strategy_note = sl_strdup("synthetic");
    return 0;
}

static void *gen_open(sl_source_table *tab, const sl_task *task, sl_err *err)
{
    if (!strcmp(tab->cfg->name, "refused") && atomic_fetch_add(&refused_opens, 1) < 3) {
        sl_err_set(err, SL_ETRANSIENT, "cannot connect: Connection refused (synthetic)");
        return NULL;
    }
    if (!strcmp(tab->cfg->name, "gone") || !strcmp(tab->cfg->name, "refused")) {
        sl_err_set(err, SL_ESNAPSHOT, "the snapshot its tasks share is gone (synthetic); run the job again");
        return NULL;
    }
    if (!strcmp(tab->cfg->name, "flaky") && atomic_fetch_add(&gen_flaky_failures, 1) < tab->ntasks) {
        sl_err_set(err, SL_ETRANSIENT, "connection lost (synthetic)");
        return NULL;
    }
    gen_reader *r = sl_calloc(1, sizeof *r);
    r->tab = tab;
    r->task = task->index;
    r->next = 0;
    r->end = gen_rows(tab, task->index);
    return r;
}

static long gen_next(void *reader, sl_batch *b, sl_err *err)
{
    gen_reader *r = reader;
    if (atomic_load(&cancel_after_batches) > 0 && atomic_fetch_sub(&cancel_after_batches, 1) == 1)
        sl_cancel_request(test_cancel);
    if (!strcmp(r->tab->cfg->name, "boom") && r->task == 1 && r->next > 1000) {
        /* Fail only once another task of the table has read all its rows, so
         * that task's file is finished whatever the thread timing. */
        for (int waited = 0; atomic_load(&boom_others_read) == 0 && waited < 5000; waited++) usleep(1000);
        return sl_err_set(err, SL_ESOURCE, "relation \"boom\" went away (synthetic)");
    }
    size_t n = 0;
    while (n < b->capacity && r->next < r->end) {
        int64_t id = (int64_t)r->task * 100000 + r->next;
        memcpy(sl_vec_slot(&b->cols[0], n), &id, 8);
        if (id % 7 == 0) {
            sl_vec_set_null(&b->cols[1], n);
        } else {
            char s[32];
            int len = snprintf(s, sizeof s, id % 5 == 0 ? "a,\"b\" %lld" : "n%lld", (long long)id);
            sl_vec_set_bytes(&b->cols[1], n, s, (size_t)len);
        }
        int64_t cents = id * 3 - 50;
        memcpy(sl_vec_slot(&b->cols[2], n), &cents, 8);
        uint8_t raw[2] = { (uint8_t)id, 0xff };
        sl_vec_set_bytes(&b->cols[3], n, raw, 2);
        n++;
        r->next++;
    }
    b->nrows = n;
    return (long)n;
}

static void gen_close(void *reader)
{
    gen_reader *r = reader;
    if (!strcmp(r->tab->cfg->name, "boom") && r->task != 1 && r->next == r->end) atomic_fetch_add(&boom_others_read, 1);
    sl_free(reader);
}
static void gen_finish(sl_source_table *tab) { (void)tab; }

/* The source's own count: right, except table "miscount" says one row more. */
static int64_t gen_reported_rows(void *reader)
{
    gen_reader *r = reader;
    return r->next + (strcmp(r->tab->cfg->name, "miscount") ? 0 : 1);
}

static const sl_source_ops gen_ops = { .kind = "sqlite", .prepare = gen_prepare, .open = gen_open, .next = gen_next,
                                       .close = gen_close, .finish = gen_finish,
                                       .reported_rows = gen_reported_rows };
static const sl_source_ops *gen_lookup(const char *kind) { (void)kind; return &gen_ops; }

static char tmpdir[256];

static void setup(void)
{
    sl_test_mkdtemp(tmpdir, sizeof tmpdir, "/tmp/sluice-test-exec-XXXXXX");
    sl_log_setup(SL_LOG_ERROR, false);
    atomic_store(&gen_flaky_failures, 0);
    gen_second_column = "name";
    atomic_store(&gone_prepares, 0);
    atomic_store(&refused_opens, 0);
}

static void teardown(void) { sl_test_rmtree(tmpdir); }

static sl_job *job_for(const char *tables_yaml)
{
    char *text = sl_sprintf("name: t\nretry_backoff: 10ms\nsources:\n  db: { kind: sqlite, path: x.db }\n"
                            "targets:\n  out: { kind: csv, path: %s/lake }\ntables:\n%s",
                            tmpdir, tables_yaml);
    sl_err err = SL_ERR_INIT;
    char *file = sl_sprintf("%s/job.yaml", tmpdir);
    sl_job *job = sl_job_parse(text, strlen(text), file, &err);
    cr_assert_not_null(job, "%s", err.msg);
    sl_free(text);
    sl_free(file);
    return job;
}

/* Entries of dir: with `hidden`, the names starting with '.' (not . and ..);
 * else the others that contain suffix (NULL: all). -1 when dir cannot be read. */
static int count_entries(const char *dir, bool hidden, const char *suffix)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (hidden) n += e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
        else n += e->d_name[0] != '.' && (!suffix || strstr(e->d_name, suffix));
    }
    closedir(d);
    return n;
}

static int count_files(const char *dir, const char *suffix) { return count_entries(dir, false, suffix); }
static int count_hidden(const char *dir) { return count_entries(dir, true, NULL); }

static long count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long n = 0;
    int c;
    while ((c = fgetc(f)) != EOF)
        if (c == '\n') n++;
    fclose(f);
    return n;
}

static bool exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* A run with `failpoint` armed must fail; disarms it and frees the summary. */
static void run_fails_at(sl_job *job, const sl_run_opts *opts, const char *failpoint)
{
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_failpoint_arm(failpoint), 1);
    cr_assert_eq(sl_exec_run(job, opts, &sum, &err), -1, "%s", failpoint);
    sl_failpoint_arm(NULL);
    sl_run_summary_free(&sum);
}

/* No staging area is left in the lake. */
static void expect_no_staging(const char *why)
{
    char path[512];
    snprintf(path, sizeof path, "%s/lake/.sluice-staging", tmpdir);
    cr_assert(!exists(path), "%s", why);
}

/* A manifest in dir as job `job` would have published it (run 7). */
static void write_manifest(const char *dir, const char *job)
{
    char *path = sl_sprintf("%s/_sluice_manifest.json", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fprintf(f, "{\n  \"format\": \"sluice-manifest\",\n  \"manifest_version\": 1,\n  \"job\": \"%s\",\n"
               "  \"run_id\": 7,\n  \"run_started\": 1.000000,\n  \"files\": []\n}\n", job);
    fclose(f);
    sl_free(path);
}

TestSuite(exec, .init = setup, .fini = teardown);

Test(exec, runs_tables_in_parallel_and_publishes)
{
    sl_job *job = job_for("  a: { from: db, table: a, to: out, partition: { count: 4 } }\n"
                          "  b: { from: db, table: b, to: out, partition: { count: 2 } }\n"
                          "  empty: { from: db, table: e, to: out, partition: { count: 1 } }\n");
    sl_run_opts opts = { .workers = 3, .progress = -1, .source_lookup = gen_lookup };
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert_eq(sum.tables, 3);
    cr_assert_eq(sum.tables_failed, 0);
    cr_assert_eq(sum.tasks, 7);
    cr_assert_eq(sum.rows, (uint64_t)(5000 * 4 + 6 + 5000 * 2 + 1));
    char path[512];
    snprintf(path, sizeof path, "%s/lake/a", tmpdir);
    cr_assert_eq(count_files(path, ".csv"), 4);
    snprintf(path, sizeof path, "%s/lake/a/part-00003.csv", tmpdir);
    cr_assert_eq(count_lines(path), 5004);   /* header + rows */
    snprintf(path, sizeof path, "%s/lake/empty/part-00000.csv", tmpdir);
    cr_assert_eq(count_lines(path), 1);      /* header only */
    expect_no_staging("staging area left behind");
    cr_assert_eq(sum.table_metrics[0].ntasks, 4);
    for (int k = 0; k < 4; k++) {
        cr_assert_eq(sum.table_metrics[0].tasks[k].status, SL_TM_DONE);
        cr_assert_eq(sum.table_metrics[0].tasks[k].attempts, 1);
        cr_assert_gt(sum.table_metrics[0].tasks[k].bytes, 0);
    }
    cr_assert(sum.table_metrics[0].skew_rows < 1.01);
    sl_run_summary_free(&sum);

    snprintf(path, sizeof path, "%s/lake/a/_sluice_manifest.json", tmpdir);
    cr_assert(exists(path), "no manifest in the published table");
    cr_assert_str_eq(sum.run_id, "1");
    cr_assert(!sum.resumed);

    /* A second run (the first one finished) is a new run that replaces the live table, never adds to it. */
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert_str_eq(sum.run_id, "2");
    cr_assert(!sum.resumed);
    cr_assert_eq(sum.rows, (uint64_t)(5000 * 4 + 6 + 5000 * 2 + 1));
    snprintf(path, sizeof path, "%s/lake/a", tmpdir);
    cr_assert_eq(count_files(path, NULL), 5, "4 part files and the manifest");
    sl_run_summary_free(&sum);
    sl_job_free(job);
}

static void setup_capture(void)
{
    setup();
    cr_redirect_stderr();
    sl_log_setup(SL_LOG_INFO, false);
}

/* What was logged to the redirected stderr (sl_free it). */
static char *captured_log(void)
{
    fflush(stderr);
    FILE *f = cr_get_redirected_stderr();
    size_t cap = 1 << 16, n = 0;
    char *buf = sl_malloc(cap);
    size_t got;
    while (n < cap - 1 && (got = fread(buf + n, 1, cap - 1 - n, f)) > 0) n += got;
    buf[n] = '\0';
    return buf;
}

Test(exec, tasks_without_rows_leave_no_file, .init = setup_capture)
{
    sl_job *job = job_for("  gaps: { from: db, table: g, to: out, partition: { count: 4 } }\n"
                          "  empty: { from: db, table: e, to: out, partition: { count: 3 } }\n");
    sl_run_opts opts = { .workers = 2, .progress = -1, .source_lookup = gen_lookup };
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert_eq(sum.rows, (uint64_t)(5000 + 5002));
    char path[512];
    snprintf(path, sizeof path, "%s/lake/gaps", tmpdir);
    cr_assert_eq(count_files(path, ".csv"), 2, "only the tasks that found rows leave a file");
    snprintf(path, sizeof path, "%s/lake/gaps/part-00002.csv", tmpdir);
    cr_assert_eq(count_lines(path), 5003);
    snprintf(path, sizeof path, "%s/lake/gaps/part-00001.csv", tmpdir);
    cr_assert(!exists(path), "an empty task's file was published");
    /* A table without rows keeps one file, so readers see its columns. */
    snprintf(path, sizeof path, "%s/lake/empty", tmpdir);
    cr_assert_eq(count_files(path, ".csv"), 1);
    snprintf(path, sizeof path, "%s/lake/empty/part-00000.csv", tmpdir);
    cr_assert_eq(count_lines(path), 1);   /* header only */
    expect_no_staging("staging area left behind");
    sl_run_summary_free(&sum);
    /* Item 21: leaving an empty task's file out is expected, not a stray to warn about. */
    char *log = captured_log();
    cr_assert(strstr(log, "table gaps: published"), "%s", log);
    cr_assert_null(strstr(log, "no finished task recorded it"), "%s", log);
    sl_free(log);
    sl_job_free(job);
}

Test(exec, failed_task_leaves_live_table_untouched)
{
    sl_job *job = job_for("  boom: { from: db, table: x, to: out, partition: { count: 3 } }\n"
                          "  fine: { from: db, table: y, to: out, partition: { count: 2 } }\n");
    char path[512];
    snprintf(path, sizeof path, "%s/lake/boom", tmpdir);
    char lake[512];
    snprintf(lake, sizeof lake, "%s/lake", tmpdir);
    mkdir(lake, 0755);
    cr_assert_eq(mkdir(path, 0755), 0);
    char old[600];
    snprintf(old, sizeof old, "%s/old.csv", path);
    FILE *f = fopen(old, "w");
    fputs("id\n1\n", f);
    fclose(f);
    write_manifest(path, "t");   /* an earlier version of this job's table */

    sl_run_opts opts = { .workers = 2, .progress = -1, .source_lookup = gen_lookup };
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), -1);
    cr_assert_eq(err.code, SL_ESOURCE);
    cr_assert(strstr(err.msg, "job t: table boom: task 2/3"), "%s", err.msg);
    cr_assert(strstr(err.msg, "went away"), "%s", err.msg);
    cr_assert_eq(sum.tables_failed, 1);
    cr_assert(!sum.table_metrics[0].published);
    cr_assert(sum.table_metrics[1].published);
    cr_assert_eq(count_files(path, NULL), 2, "live table changed");
    cr_assert(exists(old));
    /* The failed table's finished files stay staged for a resume; no temporaries; nothing of `fine`. */
    snprintf(path, sizeof path, "%s/lake/.sluice-staging/t/run-1/boom", tmpdir);
    cr_assert(exists(path), "the failed table's staging was removed: nothing to resume");
    cr_assert_eq(count_hidden(path), 0, "temporaries left");
    snprintf(path, sizeof path, "%s/lake/.sluice-staging/t/run-1/fine", tmpdir);
    cr_assert(!exists(path), "a published table's staging left behind");
    snprintf(path, sizeof path, "%s/lake/fine", tmpdir);
    cr_assert_eq(count_files(path, ".csv"), 2);
    sl_run_summary_free(&sum);
    sl_job_free(job);
}

Test(exec, transient_failures_are_retried)
{
    sl_job *job = job_for("  flaky: { from: db, table: x, to: out, partition: { count: 2 } }\n");
    sl_run_opts opts = { .workers = 2, .progress = -1, .source_lookup = gen_lookup };
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    int attempts = sum.table_metrics[0].tasks[0].attempts + sum.table_metrics[0].tasks[1].attempts;
    cr_assert_eq(attempts, 4);
    cr_assert_eq(sum.rows, 10001);
    sl_run_summary_free(&sum);
    sl_job_free(job);
}

/* Item 21: "snapshot gone; run the job again" must not hide why the table
 * could not be prepared again. */
Test(exec, lost_snapshot_names_the_cause)
{
    sl_job *job = job_for("  gone: { from: db, table: x, to: out, partition: { count: 1 } }\n");
    sl_run_opts opts = { .workers = 1, .progress = -1, .source_lookup = gen_lookup };
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), -1);
    cr_assert_eq(sum.table_metrics[0].tasks[0].attempts, 4, "retries: 3 (the default)");
    cr_assert(strstr(err.msg, "snapshot its tasks share is gone"), "%s", err.msg);
    cr_assert(strstr(err.msg, "preparing the table again failed: cannot connect: Connection refused"), "%s",
              err.msg);
    cr_assert_null(strstr(err.msg, "job t: table gone: job t"), "%s", err.msg);
    sl_run_summary_free(&sum);
    sl_job_free(job);

    /* The last attempt finds the snapshot gone without preparing again: the attempt before says why. */
    job = job_for("  refused: { from: db, table: x, to: out, partition: { count: 1 } }\n");
    sl_err_clear(&err);
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), -1);
    cr_assert_eq(sum.table_metrics[0].tasks[0].attempts, 4);
    cr_assert(strstr(err.msg, "snapshot its tasks share is gone"), "%s", err.msg);
    cr_assert(strstr(err.msg, "attempt 3 failed: cannot connect: Connection refused"), "%s", err.msg);
    cr_assert_eq(err.code, SL_ETRANSIENT, "the cause's class: %s", sl_code_name(err.code));
    sl_run_summary_free(&sum);
    sl_job_free(job);
}

Test(exec, reports_realised_skew)
{
    sl_job *job = job_for("  skewed: { from: db, table: x, to: out, partition: { count: 5 } }\n");
    sl_run_opts opts = { .workers = 2, .progress = -1, .source_lookup = gen_lookup };
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert_float_eq(sum.table_metrics[0].skew_rows, 50000.0 / 5002, 0.01);
    sl_run_summary_free(&sum);
    sl_job_free(job);
}

Test(exec, target_blocked_by_a_file_fails_cleanly)
{
    char path[512];
    snprintf(path, sizeof path, "%s/lake", tmpdir);
    FILE *f = fopen(path, "w");   /* a file where the target directory should be */
    fclose(f);
    sl_job *job = job_for("  a: { from: db, table: a, to: out, partition: { count: 2 } }\n");
    sl_run_opts opts = { .workers = 2, .progress = -1, .source_lookup = gen_lookup };
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), -1);
    cr_assert(strstr(err.msg, "job t: table a:"), "%s", err.msg);
    cr_assert(strstr(err.msg, "lake"), "%s", err.msg);
    cr_assert_eq(sl_code_exit_status(err.code), 1);
    sl_run_summary_free(&sum);
    sl_job_free(job);
}

Test(exec, skew_ratio)
{
    double a[] = { 1, 1, 1, 10 }, b[] = { 0, 0, 0 }, c[] = { 5 }, d[] = { 0, 0, 4 };
    cr_assert_float_eq(sl_skew_ratio(a, 4), 10.0, 1e-9);
    cr_assert_float_eq(sl_skew_ratio(b, 3), 1.0, 1e-9);
    cr_assert_float_eq(sl_skew_ratio(c, 1), 1.0, 1e-9);
    cr_assert_float_eq(sl_skew_ratio(d, 3), 1.0, 1e-9);
}

/* ---- the pool ---- */

static _Atomic int pool_running, pool_peak, pool_done;

static void pool_item(void *arg, int worker)
{
    (void)arg; (void)worker;
    int now = atomic_fetch_add(&pool_running, 1) + 1;
    int peak = atomic_load(&pool_peak);
    while (now > peak && !atomic_compare_exchange_weak(&pool_peak, &peak, now)) {}
    usleep(2000);
    atomic_fetch_sub(&pool_running, 1);
    atomic_fetch_add(&pool_done, 1);
}

Test(pool, honours_group_limits)
{
    int limits[] = { 2 };
    sl_pool *p = sl_pool_new(6, limits, 1);
    for (int i = 0; i < 40; i++) sl_pool_submit(p, pool_item, NULL, 0);
    sl_pool_wait(p);
    cr_assert_eq(atomic_load(&pool_done), 40);
    cr_assert_leq(atomic_load(&pool_peak), 2);
    for (int i = 0; i < 10; i++) sl_pool_submit(p, pool_item, NULL, -1);
    sl_pool_free(p);
    cr_assert_eq(atomic_load(&pool_done), 50);
}

/* ---- the CSV sink ---- */

Test(sink_csv, quotes_only_when_needed_and_formats_values)
{
    char path[] = "/tmp/sluice-test-csv-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    sl_schema *s = sl_schema_new(5);
    sl_schema_set(s, 0, "id", (sl_type){ .id = SL_T_INT32 }, false);
    sl_schema_set(s, 1, "na,me", (sl_type){ .id = SL_T_STRING }, true);
    sl_schema_set(s, 2, "amt", (sl_type){ .id = SL_T_DECIMAL, .precision = 10, .scale = 2 }, true);
    sl_schema_set(s, 3, "b", (sl_type){ .id = SL_T_BYTES }, true);
    sl_schema_set(s, 4, "d", (sl_type){ .id = SL_T_DATE }, true);
    sl_batch *b = sl_batch_new(s, 8);
    const char *names[] = { "plain", "", "with \"quote\"", "a,b", "line\nbreak" };
    for (int r = 0; r < 5; r++) {
        int32_t id = r;
        memcpy(sl_vec_slot(&b->cols[0], (size_t)r), &id, 4);
        sl_vec_set_bytes(&b->cols[1], (size_t)r, names[r], strlen(names[r]));
        int64_t amt = -105;
        if (r == 1) sl_vec_set_null(&b->cols[2], (size_t)r);
        else memcpy(sl_vec_slot(&b->cols[2], (size_t)r), &amt, 8);
        if (r == 2) sl_vec_set_null(&b->cols[3], (size_t)r);
        else sl_vec_set_bytes(&b->cols[3], (size_t)r, "\x01\xab", 2);
        int32_t day = 19753;
        memcpy(sl_vec_slot(&b->cols[4], (size_t)r), &day, 4);
    }
    b->nrows = 5;
    sl_err err = SL_ERR_INIT;
    sl_out *out = sl_out_open_file(path, &err);
    cr_assert_not_null(out, "%s", err.msg);
    void *w = sl_sink_csv.open(NULL, s, out, NULL, 0, &err);
    cr_assert_not_null(w, "%s", err.msg);
    cr_assert_eq(sl_sink_csv.write(w, b, &err), 0);
    uint64_t rows = 0;
    cr_assert_eq(sl_sink_csv.finish(w, &rows, &err), 0, "%s", err.msg);
    cr_assert_eq(rows, 5);
    struct { uint64_t bytes; } st = { sl_out_tell(out) };
    cr_assert_eq(sl_out_close(out, true, &err), 0, "%s", err.msg);
    FILE *f = fopen(path, "r");
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    cr_assert_eq(st.bytes, n);
    cr_assert_str_eq(buf, "id,\"na,me\",amt,b,d\n"
                          "0,plain,-1.05,\\x01ab,2024-01-31\n"
                          "1,\"\",,\\x01ab,2024-01-31\n"
                          "2,\"with \"\"quote\"\"\",-1.05,,2024-01-31\n"
                          "3,\"a,b\",-1.05,\\x01ab,2024-01-31\n"
                          "4,\"line\nbreak\",-1.05,\\x01ab,2024-01-31\n");
    unlink(path);
    sl_batch_free(b);
    sl_schema_free(s);
}

Test(exec, failpoints_in_the_task_loop)
{
    sl_job *job = job_for("  a: { from: db, table: a, to: out, partition: { count: 2 } }\n");
    sl_run_opts opts = { .workers = 1, .progress = -1, .source_lookup = gen_lookup };
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    /* A transient error at the second batch written: that task is retried. */
    cr_assert_eq(sl_failpoint_arm("task-write:transient@2"), 1);
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert_eq(sum.rows, 10001);
    cr_assert_eq(sum.table_metrics[0].tasks[0].attempts + sum.table_metrics[0].tasks[1].attempts, 3);
    sl_run_summary_free(&sum);
    /* A permanent one at a task's start fails the table at once, without retries. */
    cr_assert_eq(sl_failpoint_arm("task-start:error"), 1);
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), -1);
    cr_assert(strstr(err.msg, "job t: table a: task "), "%s", err.msg);
    cr_assert_eq(sum.table_metrics[0].tasks[0].attempts + sum.table_metrics[0].tasks[1].attempts, 1);
    sl_failpoint_arm(NULL);
    sl_run_summary_free(&sum);
    sl_job_free(job);
}

/* ---- progress ---- */

Test(progress, periodic_log_lines, .init = cr_redirect_stderr)
{
    setenv("SLUICE_PROGRESS_SECONDS", "0.02", 1);
    sl_log_setup(SL_LOG_INFO, false);
    sl_progress *p = sl_progress_new(SL_PROGRESS_LOG);
    int t = sl_progress_add_table(p, "orders", 1000, 4);
    sl_progress_start(p);
    sl_progress_add(p, t, 250, 4096);
    sl_progress_task_done(p, t);
    usleep(100000);
    sl_progress_stop(p);
    sl_progress_free(p);
    fflush(stderr);
    char buf[4096] = "";
    FILE *f = cr_get_redirected_stderr();
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    cr_assert(strstr(buf, "progress: orders"), "%s", buf);
    cr_assert(strstr(buf, "250 rows (25%)"), "%s", buf);
    cr_assert(strstr(buf, "tasks 1/4"), "%s", buf);
    cr_assert(strstr(buf, "ETA"), "%s", buf);
}

Test(progress, off_prints_nothing, .init = cr_redirect_stderr)
{
    setenv("SLUICE_PROGRESS_SECONDS", "0.01", 1);
    sl_log_setup(SL_LOG_INFO, false);
    sl_progress *p = sl_progress_new(SL_PROGRESS_OFF);
    int t = sl_progress_add_table(p, "orders", 1000, 4);
    sl_progress_start(p);
    sl_progress_add(p, t, 250, 4096);
    usleep(50000);
    sl_progress_free(p);
    cr_assert_stderr_eq_str("");
}

Test(exec, cancel_publishes_nothing_more)
{
    sl_job *job = job_for("  a: { from: db, table: a, to: out, partition: { count: 3 } }\n");
    test_cancel = sl_cancel_new();
    sl_run_opts opts = { .workers = 1, .progress = -1, .source_lookup = gen_lookup, .cancel = test_cancel };
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    /* The cancel arrives while the first task writes its second batch. */
    atomic_store(&cancel_after_batches, 2);
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), -1);
    cr_assert(strstr(err.msg, "job t: interrupted: 0 tables published before the interrupt, 1 not"), "%s", err.msg);
    char path[512];
    snprintf(path, sizeof path, "%s/lake/a", tmpdir);
    cr_assert(!exists(path));
    /* The task that finished before the interrupt is kept for the resume, nothing else. */
    snprintf(path, sizeof path, "%s/lake/.sluice-staging/t/run-1/a", tmpdir);
    cr_assert_eq(count_files(path, ".csv"), 1);
    cr_assert_eq(count_hidden(path), 0);
    sl_run_summary_free(&sum);

    /* The handle belongs to the run it was given to: another run with its own handle is not cancelled. */
    opts.cancel = NULL;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert(sum.resumed);
    cr_assert_str_eq(sum.run_id, "1");
    cr_assert_eq(sum.tasks_kept, 1);
    cr_assert_eq(sum.rows, 15003);
    expect_no_staging("staging left behind after the resumed run finished");
    sl_run_summary_free(&sum);
    sl_job_free(job);
    sl_cancel_free(test_cancel);
    test_cancel = NULL;
}

/* ---- resume, fresh, lock, crash recovery ---- */

static long rows_in_table(const char *table)
{
    char path[512];
    long total = 0;
    for (int k = 0; k < 16; k++) {
        snprintf(path, sizeof path, "%s/lake/%s/part-%05d.csv", tmpdir, table, k);
        long n = count_lines(path);
        if (n > 0) total += n - 1;
    }
    return total;
}

Test(exec, resume_keeps_finished_tasks_and_redoes_the_rest)
{
    sl_job *job = job_for("  a: { from: db, table: a, to: out, partition: { count: 4 } }\n"
                          "  b: { from: db, table: b, to: out, partition: { count: 2 } }\n");
    sl_run_opts opts = { .workers = 1, .progress = -1, .source_lookup = gen_lookup };
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    /* The third task to write fails permanently: its table fails, the others go on. */
    cr_assert_eq(sl_failpoint_arm("task-write:error@3"), 1);
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), -1);
    sl_failpoint_arm(NULL);
    int done_before = 0;
    for (int i = 0; i < sum.tables; i++)
        for (int k = 0; k < sum.table_metrics[i].ntasks; k++) done_before += sum.table_metrics[i].tasks[k].status == SL_TM_DONE;
    cr_assert_geq(done_before, 2);
    sl_run_summary_free(&sum);

    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert(sum.resumed);
    cr_assert_geq(sum.tasks_kept + sum.tables_kept, 2, "kept %lld tasks, %d tables", (long long)sum.tasks_kept,
                  sum.tables_kept);
    cr_assert_eq(rows_in_table("a"), 5000 * 4 + 6);
    cr_assert_eq(rows_in_table("b"), 5000 * 2 + 1);
    expect_no_staging("staging left behind");
    sl_run_summary_free(&sum);
    sl_job_free(job);
}

Test(exec, fresh_starts_over_and_damaged_files_are_redone)
{
    sl_job *job = job_for("  a: { from: db, table: a, to: out, partition: { count: 3 } }\n");
    sl_run_opts opts = { .workers = 1, .progress = -1, .source_lookup = gen_lookup };
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    run_fails_at(job, &opts, "task-start:error@3");
    /* Damage one finished file: the resume must redo that task, not publish it. */
    char path[512];
    snprintf(path, sizeof path, "%s/lake/.sluice-staging/t/run-1/a/part-00002.csv", tmpdir);
    cr_assert(exists(path));
    FILE *f = fopen(path, "a");
    fputs("999,dup,0,\n", f);
    fclose(f);
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert(sum.resumed);
    cr_assert_eq(sum.tasks_kept, 1);
    cr_assert_eq(rows_in_table("a"), 15003);
    sl_run_summary_free(&sum);

    /* --fresh after a failed run: a new run, the old staging removed. */
    run_fails_at(job, &opts, "task-start:error@2");
    snprintf(path, sizeof path, "%s/lake/.sluice-staging/t/run-2", tmpdir);
    cr_assert(exists(path));
    opts.fresh = true;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert(!sum.resumed);
    cr_assert_str_eq(sum.run_id, "3");
    cr_assert_eq(sum.tasks_kept, 0);
    cr_assert(!exists(path), "the abandoned run's staging is still there");
    cr_assert_eq(rows_in_table("a"), 15003);
    sl_run_summary_free(&sum);
    sl_job_free(job);
}

Test(exec, state_path_is_honoured)
{
    sl_job *job = job_for("  a: { from: db, table: a, to: out, partition: { count: 2 } }\n");
    char state[512], dflt[512];
    snprintf(state, sizeof state, "%s/elsewhere/runs.db", tmpdir);
    snprintf(dflt, sizeof dflt, "%s/.sluice/state.db", tmpdir);
    sl_run_opts opts = { .workers = 1, .progress = -1, .source_lookup = gen_lookup, .state_path = state };
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert(exists(state), "no state database at --state");
    cr_assert(!exists(dflt), "the default state database was written too");
    sl_run_summary_free(&sum);
    char manifest[512], before[4096] = "", after[4096] = "";
    snprintf(manifest, sizeof manifest, "%s/lake/a/_sluice_manifest.json", tmpdir);
    FILE *f = fopen(manifest, "r");
    cr_assert_not_null(f);
    before[fread(before, 1, sizeof before - 1, f)] = '\0';
    fclose(f);
    usleep(20000);
    opts.state_path = NULL;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert(exists(dflt));
    cr_assert_str_eq(sum.run_id, "1", "a separate database counts its own runs");
    /* Run 1 of another database is another run: the table is published again, not taken as done. */
    f = fopen(manifest, "r");
    after[fread(after, 1, sizeof after - 1, f)] = '\0';
    fclose(f);
    cr_assert(strstr(after, "\"run_id\": 1,") && strstr(before, "\"run_id\": 1,"));
    cr_assert_str_neq(before, after, "the second run did not publish");
    sl_run_summary_free(&sum);
    sl_job_free(job);
}

Test(exec, a_second_run_of_the_job_is_refused)
{
    sl_job *job = job_for("  a: { from: db, table: a, to: out, partition: { count: 1 } }\n");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/.sluice", tmpdir);
    sl_err err = SL_ERR_INIT;
    pid_t child = fork();
    if (child == 0) {   /* another process holds the job's lock */
        sl_lock *lk = sl_lock_acquire(dir, "t", &err);
        _exit(lk ? (sleep(2), 0) : 1);
    }
    usleep(300000);
    sl_run_opts opts = { .workers = 1, .progress = -1, .source_lookup = gen_lookup };
    sl_run_summary sum;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), -1);
    cr_assert(!strncmp(err.msg, "job t is already running (pid ", 30), "%s", err.msg);
    cr_assert(strstr(err.msg, "wait for it or stop it"), "%s", err.msg);
    sl_run_summary_free(&sum);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    /* Its holder is dead: the lock is stale and taken over. */
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    sl_run_summary_free(&sum);
    sl_job_free(job);
}

Test(exec, a_crash_after_the_swap_is_recognised_on_resume)
{
    sl_job *job = job_for("  a: { from: db, table: a, to: out, partition: { count: 2 } }\n");
    sl_run_opts opts = { .workers = 1, .progress = -1, .source_lookup = gen_lookup };
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);   /* an old version to replace */
    sl_run_summary_free(&sum);
    run_fails_at(job, &opts, "publish:after-exchange:error");
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert(sum.resumed);
    cr_assert_eq(sum.tables_kept, 1);
    cr_assert_eq(sum.rows, 10001);
    cr_assert_eq(rows_in_table("a"), 10001);
    expect_no_staging("the old version was not removed");
    sl_run_summary_free(&sum);

    /* The run-finish failpoint: everything is published, the resume only marks the run. */
    run_fails_at(job, &opts, "run-finish:error");
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert(sum.resumed);
    cr_assert_eq(sum.tables_kept, 1);
    cr_assert_eq(sum.rows, 10001);
    sl_run_summary_free(&sum);
    sl_job_free(job);
}

/* First line of a file (its CSV header), or "" when it cannot be read. */
static void first_line(const char *path, char *out, size_t size)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return;
    if (fgets(out, (int)size, f)) out[strcspn(out, "\n")] = '\0';
    fclose(f);
}

Test(exec, item5_resume_after_a_schema_change_redoes_the_table, .init = setup_capture)
{
    sl_job *job = job_for("  a: { from: db, table: a, to: out, partition: { count: 3 } }\n");
    sl_run_opts opts = { .workers = 1, .progress = -1, .source_lookup = gen_lookup };
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    run_fails_at(job, &opts, "task-start:error@3");   /* two tasks finished with column "name" */
    gen_second_column = "title";                        /* the source's column was renamed since */
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert(sum.resumed);
    cr_assert_eq(sum.tasks_kept, 0, "tasks written with the old schema were kept");
    for (int k = 0; k < 3; k++) {
        char path[512], header[256];
        snprintf(path, sizeof path, "%s/lake/a/part-%05d.csv", tmpdir, k);
        first_line(path, header, sizeof header);
        cr_assert_str_eq(header, "id,title,amount,raw", "%s", path);
    }
    cr_assert_eq(rows_in_table("a"), 15003);
    sl_run_summary_free(&sum);
    char *log = captured_log();
    cr_assert(strstr(log, "the source's schema changed since run 1 began (name: dropped; title: added (string))"),
              "%s", log);
    cr_assert(strstr(log, "redone with the new schema"), "%s", log);
    sl_free(log);
    sl_job_free(job);
}

Test(exec, item2_a_directory_sluice_did_not_publish_fails_its_table_only)
{
    sl_job *job = job_for("  a: { from: db, table: a, to: out, partition: { count: 2 } }\n"
                          "  b: { from: db, table: b, to: out, partition: { count: 2 } }\n");
    char path[512];
    snprintf(path, sizeof path, "%s/lake", tmpdir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/lake/a", tmpdir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/lake/a/report.xlsx", tmpdir);
    FILE *f = fopen(path, "w");
    fputs("not sluice's\n", f);
    fclose(f);
    sl_run_opts opts = { .workers = 2, .progress = -1, .source_lookup = gen_lookup };
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), -1);
    cr_assert(strstr(err.msg, "job t: table a: "), "%s", err.msg);
    cr_assert(strstr(err.msg, "did not publish"), "%s", err.msg);
    cr_assert(strstr(err.msg, "move that directory away"), "%s", err.msg);
    cr_assert_eq(sl_code_exit_status(err.code), 1);
    cr_assert_eq(sum.table_metrics[0].ntasks, 0, "the source was read for a table that cannot be published");
    cr_assert(sum.table_metrics[1].published);
    cr_assert(exists(path), "the user's file is gone");
    snprintf(path, sizeof path, "%s/lake/a", tmpdir);
    cr_assert_eq(count_files(path, NULL), 1);
    sl_run_summary_free(&sum);
    sl_job_free(job);
}

Test(exec, item17_same_job_with_another_state_store_is_refused_on_the_target)
{
    sl_job *job = job_for("  a: { from: db, table: a, to: out, partition: { count: 2 } }\n");
    char lake[512];
    snprintf(lake, sizeof lake, "%s/lake", tmpdir);
    int ready[2];
    cr_assert_eq(pipe(ready), 0);
    pid_t child = fork();
    if (child == 0) {   /* a run of job t that records its runs in another state store */
        sl_err e = SL_ERR_INIT;
        sl_lock *lk = sl_publish_lock_target(lake, "t", &e);
        if (!lk || sl_lock_set_holder(lk, "run 1 of state store /elsewhere/state.db", &e) < 0) _exit(1);
        (void)!write(ready[1], "x", 1);
        sleep(30);
        _exit(0);
    }
    char c;
    cr_assert_eq(read(ready[0], &c, 1), 1);
    sl_run_opts opts = { .workers = 1, .progress = -1, .source_lookup = gen_lookup };
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), -1);
    cr_assert(strstr(err.msg, "job t: table a: target out: staging area "), "%s", err.msg);
    cr_assert(strstr(err.msg, "job t is already running (pid "), "%s", err.msg);
    cr_assert(strstr(err.msg, "run 1 of state store /elsewhere/state.db"), "%s", err.msg);
    char staged[600];
    snprintf(staged, sizeof staged, "%s/.sluice-staging/t/.lock", lake);
    cr_assert(exists(staged), "the other run's lock was removed");
    snprintf(staged, sizeof staged, "%s/a", lake);
    cr_assert(!exists(staged), "published while another run stages");
    sl_run_summary_free(&sum);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    close(ready[0]);
    close(ready[1]);
    /* The other run is gone: its lock is stale, the run goes ahead and leaves no staging. */
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert(sum.resumed, "the refused run is resumed");
    expect_no_staging("the staging lock was left behind");
    sl_run_summary_free(&sum);
    sl_job_free(job);
}

Test(exec, item17_two_targets_on_one_directory_share_its_lock)
{
    /* Two targets naming one directory (spelled differently): one staging lock, no refusal of itself. */
    char *text = sl_sprintf("name: t\nsources:\n  db: { kind: sqlite, path: x.db }\n"
                            "targets:\n  out: { kind: csv, path: %s/lake }\n  again: { kind: csv, path: %s/./lake/ }\n"
                            "tables:\n  a: { from: db, table: a, to: out, partition: { count: 2 } }\n"
                            "  b: { from: db, table: b, to: again, partition: { count: 2 } }\n", tmpdir, tmpdir);
    sl_err err = SL_ERR_INIT;
    char *file = sl_sprintf("%s/job.yaml", tmpdir);
    sl_job *job = sl_job_parse(text, strlen(text), file, &err);
    cr_assert_not_null(job, "%s", err.msg);
    sl_run_opts opts = { .workers = 2, .progress = -1, .source_lookup = gen_lookup };
    sl_run_summary sum;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert_eq(rows_in_table("a"), 10001);
    cr_assert_eq(rows_in_table("b"), 10001);
    expect_no_staging("the staging lock was left behind");
    sl_run_summary_free(&sum);
    sl_job_free(job);
    sl_free(file);
    sl_free(text);
}

/* Rows of the Parquet table `table` published under dir (its part files' footers). */
static long parquet_rows(const char *dir, const char *table)
{
    char path[512];
    long total = 0;
    for (int k = 0; k < 16; k++) {
        snprintf(path, sizeof path, "%s/%s/part-%05d.parquet", dir, table, k);
        if (!exists(path)) continue;
        sl_err err = SL_ERR_INIT;
        sl_pq_reader *r = sl_pq_reader_open(path, &err);
        cr_assert_not_null(r, "%s", err.msg);
        total += (long)sl_pq_reader_meta(r)->num_rows;
        sl_pq_reader_close(r);
    }
    return total;
}

/* to: [a, b]: every task writes both targets from one read of the source;
 * each target publishes the table; a crash between the two publishes
 * resumes into both, the published one kept. */
Test(exec, a_table_lands_in_every_target_of_its_to_list)
{
    char *text = sl_sprintf("name: t\nretry_backoff: 10ms\nsources:\n  db: { kind: sqlite, path: x.db }\n"
                            "targets:\n  out: { kind: csv, path: %s/lake }\n  pq: { kind: parquet, path: %s/pq }\n"
                            "tables:\n  a: { from: db, table: a, to: [out, pq], partition: { count: 3 } }\n",
                            tmpdir, tmpdir);
    sl_err err = SL_ERR_INIT;
    char *file = sl_sprintf("%s/job.yaml", tmpdir);
    sl_job *job = sl_job_parse(text, strlen(text), file, &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_eq(job->tables[0].ntargets, 2);
    char pq[512];
    snprintf(pq, sizeof pq, "%s/pq", tmpdir);
    sl_run_opts opts = { .workers = 2, .progress = -1, .source_lookup = gen_lookup };
    sl_run_summary sum;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert_eq(sum.rows, 15003, "rows counted once, not per target: %llu", (unsigned long long)sum.rows);
    cr_assert_eq(rows_in_table("a"), 15003);
    cr_assert_eq(parquet_rows(pq, "a"), 15003);
    sl_run_summary_free(&sum);

    /* The first target published, the second not (a crash before its swap): the resume publishes the
     * second from its staged files, without reading the source again, and keeps the first. */
    run_fails_at(job, &opts, "publish:before-exchange:error@2");
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert(sum.resumed);
    cr_assert_eq(sum.tasks_kept, 3, "kept %lld tasks", (long long)sum.tasks_kept);
    cr_assert_eq(rows_in_table("a"), 15003);
    cr_assert_eq(parquet_rows(pq, "a"), 15003);
    expect_no_staging("staging left in the csv target");
    char staging[600];
    snprintf(staging, sizeof staging, "%s/.sluice-staging/t", pq);
    cr_assert_leq(count_entries(staging, false, "run-"), 0, "staging left in the parquet target");
    sl_run_summary_free(&sum);

    /* A list naming a target twice, or none, is a job-file error. */
    char *twice = sl_sprintf("sources: { db: { kind: sqlite, path: x.db } }\ntargets: { o: { kind: csv, path: %s/l } }\n"
                             "tables: { a: { from: db, table: a, to: [o, o] } }\n", tmpdir);
    cr_assert_null(sl_job_parse(twice, strlen(twice), file, &err));
    cr_assert(strstr(err.msg, "listed twice"), "%s", err.msg);
    sl_free(twice);
    sl_job_free(job);
    sl_free(file);
    sl_free(text);
}

/* ---- the free checks (load receipts) ---- */

/* A sink that drops a row, or a source whose count disagrees, fails the
 * task with SL_ECHECK and all three counts, is not retried, and nothing is
 * published. */
Test(exec, row_counts_that_disagree_fail_the_task_and_publish_nothing)
{
    char *text = sl_sprintf("name: t\nretry_backoff: 10ms\nsources:\n  db: { kind: sqlite, path: x.db }\n"
                            "targets:\n  out: { kind: csv, path: %s/lake }\n  pq: { kind: parquet, path: %s/pq }\n"
                            "tables:\n  a: { from: db, table: a, to: [out, pq], partition: { count: 2 } }\n"
                            "  miscount: { from: db, table: m, to: out, partition: { count: 1 } }\n",
                            tmpdir, tmpdir);
    sl_err err = SL_ERR_INIT;
    char *file = sl_sprintf("%s/job.yaml", tmpdir);
    sl_job *job = sl_job_parse(text, strlen(text), file, &err);
    cr_assert_not_null(job, "%s", err.msg);
    sl_run_opts opts = { .workers = 1, .progress = -1, .source_lookup = gen_lookup };
    sl_run_summary sum;

    /* One row dropped in the first batch a sink writes (the csv target's). */
    cr_assert_eq(sl_failpoint_arm("sink-drop-row:on@1"), 1);
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), -1);
    sl_failpoint_arm(NULL);
    cr_assert_eq(err.code, SL_ECHECK, "%s: %s", sl_code_name(err.code), err.msg);
    cr_assert(strstr(err.msg, "table a: task "), "%s", err.msg);
    cr_assert(strstr(err.msg, "the source reported 5001, 5001 were decoded, target out wrote 5000;"), "%s", err.msg);
    cr_assert_eq(sum.table_metrics[0].tasks[0].attempts + sum.table_metrics[0].tasks[1].attempts, 1,
                 "a failed check was retried");
    cr_assert(!sum.table_metrics[0].published);
    char path[512];
    snprintf(path, sizeof path, "%s/lake/a", tmpdir);
    cr_assert(!exists(path), "published to the csv target");
    snprintf(path, sizeof path, "%s/pq/a", tmpdir);
    cr_assert(!exists(path), "published to the parquet target");
    /* miscount: the source's count disagrees with the rows decoded. */
    cr_assert(!sum.table_metrics[1].published);
    sl_run_summary_free(&sum);

    /* The Parquet sink's count is its footer's: a row dropped there is caught too (the second sink hit
     * is the parquet target's first batch). */
    cr_assert_eq(sl_failpoint_arm("sink-drop-row:on@2"), 1);
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), -1);
    sl_failpoint_arm(NULL);
    cr_assert_eq(err.code, SL_ECHECK, "%s", err.msg);
    cr_assert(strstr(err.msg, "5001 were decoded, target pq wrote 5000;"), "%s", err.msg);
    sl_run_summary_free(&sum);
    sl_job_free(job);

    job = job_for("  miscount: { from: db, table: m, to: out, partition: { count: 1 } }\n");
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), -1);
    cr_assert_eq(err.code, SL_ECHECK, "%s", err.msg);
    cr_assert(strstr(err.msg, "the source reported 5001, 5000 were decoded, nothing written yet"), "%s", err.msg);
    cr_assert_eq(sum.table_metrics[0].tasks[0].attempts, 1, "a failed check was retried");
    sl_run_summary_free(&sum);
    sl_job_free(job);
    sl_free(file);
    sl_free(text);
}

/* The table's receipt in its live manifest under <tmpdir>/lake: from
 * "receipt" to the file list (sl_free it); NULL when there is none. */
static char *manifest_receipt(const char *table)
{
    char path[512];
    snprintf(path, sizeof path, "%s/lake/%s/_sluice_manifest.json", tmpdir, table);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    char *text = sl_calloc(1, 1 << 20);
    size_t n = fread(text, 1, (1 << 20) - 1, f);
    fclose(f);
    text[n] = '\0';
    char *from = strstr(text, "\n  \"receipt\": "), *to = from ? strstr(from, ",\n  \"files\"") : NULL;
    char *out = from && to ? sl_strndup(from, (size_t)(to - from)) : NULL;
    sl_free(text);
    return out;
}

/* Receipts: per task in the state store, merged into the manifest; a
 * resumed run's receipt (its kept tasks' receipts come from the state
 * store) equals a clean run's. */
Test(exec, a_resumed_runs_receipt_equals_a_clean_runs)
{
    sl_job *job = job_for("  a: { from: db, table: a, to: out, partition: { count: 4 } }\n");
    sl_run_opts opts = { .workers = 2, .progress = -1, .source_lookup = gen_lookup };
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    sl_run_summary_free(&sum);
    char *clean = manifest_receipt("a");
    cr_assert_not_null(clean, "no receipt in the manifest");
    cr_assert(strstr(clean, "{\"rows\": 20006, \"columns\": ["), "%s", clean);
    cr_assert(strstr(clean, "{\"name\": \"id\", \"type\": \"int64\", \"non_null\": 20006, \"min\": \"0\", "
                            "\"max\": \"305002\", \"sum\": \""), "%s", clean);
    cr_assert(strstr(clean, "{\"name\": \"raw\", \"type\": \"bytes\""), "%s", clean);

    opts.fresh = true;
    run_fails_at(job, &opts, "task-start:error@3");
    opts.fresh = false;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert(sum.resumed);
    cr_assert_geq(sum.tasks_kept, 1);
    sl_run_summary_free(&sum);
    char *resumed = manifest_receipt("a");
    cr_assert_not_null(resumed);
    cr_assert_str_eq(resumed, clean);
    sl_free(resumed);
    sl_free(clean);
    sl_job_free(job);
}

/* ---- events to observers ---- */

typedef struct ev_count {
    pthread_mutex_t mu;
    int kinds[SL_EV_RUN_FAILED + 1];
    int64_t rows;              /* sum of progress */
    int last;                  /* kind of the last event */
    bool order_ok;             /* no task event before its node started, none after RUN_FINISHED */
    bool started[8];
} ev_count;

static void count_event(void *ctx, const sl_event *ev)
{
    ev_count *c = ctx;
    pthread_mutex_lock(&c->mu);
    c->kinds[ev->kind]++;
    if (ev->kind == SL_EV_PROGRESS) c->rows += ev->rows;
    if (ev->kind == SL_EV_NODE_STARTED && ev->node >= 0 && ev->node < 8) c->started[ev->node] = true;
    if (ev->task >= 0 && (ev->node < 0 || ev->node >= 8 || !c->started[ev->node])) c->order_ok = false;
    if (c->last == SL_EV_RUN_FINISHED) c->order_ok = false;
    c->last = ev->kind;
    pthread_mutex_unlock(&c->mu);
}

Test(exec, events_reach_observers)
{
    sl_job *job = job_for("  a: { from: db, table: a, to: out, partition: { count: 4 } }\n"
                          "  b: { from: db, table: b, to: out, partition: { count: 2 } }\n");
    ev_count c = { .mu = PTHREAD_MUTEX_INITIALIZER, .order_ok = true, .last = -1 };
    sl_events evs = { 0 };
    cr_assert(sl_events_add(&evs, (sl_observer){ count_event, &c }));
    sl_run_opts opts = { .workers = 3, .progress = -1, .source_lookup = gen_lookup, .observers = &evs };
    sl_run_summary sum;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_exec_run(job, &opts, &sum, &err), 0, "%s", err.msg);
    cr_assert_eq(c.kinds[SL_EV_RUN_STARTED], 1);
    cr_assert_eq(c.kinds[SL_EV_NODE_STARTED], 2);
    cr_assert_eq(c.kinds[SL_EV_TASK_STARTED], 6);
    cr_assert_eq(c.kinds[SL_EV_TASK_FINISHED], 6);
    cr_assert_eq(c.kinds[SL_EV_NODE_FINISHED], 2);
    cr_assert_eq(c.kinds[SL_EV_RUN_TASKS_DONE], 1);
    cr_assert_eq(c.kinds[SL_EV_RUN_FAILED], 0);
    cr_assert_eq(c.last, SL_EV_RUN_FINISHED);
    cr_assert_eq(c.rows, (int64_t)sum.rows);
    cr_assert(c.order_ok);
    sl_run_summary_free(&sum);
    sl_job_free(job);
}
