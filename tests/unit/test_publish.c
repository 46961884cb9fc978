/*
 * test_publish.c - the commit protocol: staging paths, finishing files
 * (temporary -> fsync -> rename), listing and checking staged files on
 * resume, publishing with and without a live table, the manifest, stray
 * files, already-published detection after a crash, a concurrent reader that
 * must never see a mix of versions or a missing table, the non-atomic
 * fallback, a crash (SIGKILL) at every failpoint of the protocol followed by
 * recovery, and stale staging cleanup.
 */
#include "sl_test.h"

#include "core/sl_alloc.h"
#include "core/sl_buf.h"
#include "core/sl_failpoint.h"
#include "core/sl_log.h"
#include "state/sl_fs.h"
#include "state/sl_publish.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char target[256];

static void setup(void)
{
    sl_log_setup(SL_LOG_ERROR, false);
    sl_test_mkdtemp(target, sizeof target, "/tmp/sluice-test-publish-XXXXXX");
}

static void teardown(void) { sl_test_rmtree(target); }

TestSuite(publish, .init = setup, .fini = teardown);

/* Writes a task file through the protocol: temporary, then finish. */
static void write_task_file(const sl_staging *sg, const char *name, const char *content)
{
    char *tmp = sl_staging_tmp_path(sg, name);
    FILE *f = fopen(tmp, "w");
    cr_assert_not_null(f, "%s", tmp);
    fputs(content, f);
    fclose(f);
    sl_free(tmp);
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_staging_file_finish(sg, name, &err), 0, "%s", err.msg);
}

typedef struct version {
    const char *prefix;     /* file names start with it */
    int nfiles;
} version;

/* One staged version of table "orders" and its manifest. */
typedef struct staged {
    sl_staging sg;
    sl_manifest_file files[8];
    char names[8][32];
    sl_manifest m;
} staged;

/* Stages version v of table "orders" for `run` and fills s's files and m. */
static void stage_version(staged *s, int64_t run, version v)
{
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_staging_open(&s->sg, target, "shop", run, "orders", &err), 0, "%s", err.msg);
    for (int i = 0; i < v.nfiles; i++) {
        snprintf(s->names[i], 32, "%s-%04d.csv", v.prefix, i);
        char content[128];
        snprintf(content, sizeof content, "id\n%d\n%d\n", i * 2, i * 2 + 1);
        write_task_file(&s->sg, s->names[i], content);
        char *p = sl_staging_file_path(&s->sg, s->names[i]);
        uint32_t crc;
        uint64_t size;
        cr_assert_eq(sl_fs_file_crc32(p, &crc, &size, &err), 0);
        sl_free(p);
        s->files[i] = (sl_manifest_file){ s->names[i], 2, (int64_t)size, crc, NULL };
    }
    s->m = (sl_manifest){ s->files, v.nfiles, 1700000000.5, NULL, NULL };
}

/* Stages version v for `run`, publishes it (must succeed) and closes. */
static void publish_version(staged *s, int64_t run, version v)
{
    sl_err err = SL_ERR_INIT;
    stage_version(s, run, v);
    cr_assert_eq(sl_publish_table(&s->sg, &s->m, NULL, &err), 0, "%s", err.msg);
    sl_staging_close(&s->sg);
}

/* Names in dir (not . and ..), sorted, joined by ' '. */
static char *listing(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char *names[256];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 256)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) names[n++] = sl_strdup(de->d_name);
    closedir(d);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j]; names[j] = names[j - 1]; names[j - 1] = t;
        }
    sl_buf b = { 0 };
    for (int i = 0; i < n; i++) {
        if (i) sl_buf_push(&b, ' ');
        sl_buf_append(&b, names[i], strlen(names[i]));
        sl_free(names[i]);
    }
    sl_buf_push(&b, 0);
    return (char *)b.data;
}

/* listing(dir) must be `want`; `what` names the case in the failure. */
static void expect_listing(const char *dir, const char *want, const char *what)
{
    char *got = listing(dir);
    cr_assert_str_eq(got, want, "%s: %s", what, got);
    sl_free(got);
}

static bool staging_empty(void)
{
    char *p = sl_fs_join(target, SL_STAGING_DIR);
    bool gone = !sl_fs_exists(p);
    sl_free(p);
    return gone;
}

Test(publish, staging_paths_and_bad_names)
{
    sl_staging sg;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_staging_open(&sg, target, "shop job", 7, "orders", &err), 0, "%s", err.msg);
    char *want = sl_sprintf("%s/.sluice-staging/shop_job/run-7/orders", target);
    cr_assert_str_eq(sg.dir, want);
    cr_assert(sl_fs_is_dir(sg.dir));
    sl_free(want);
    char *tmp = sl_staging_tmp_path(&sg, "part-0001.parquet");
    cr_assert(strstr(tmp, "/orders/.part-0001.parquet.tmp"), "%s", tmp);
    sl_free(tmp);
    sl_staging_close(&sg);
    const char *bad[] = { "", ".hidden", "a/b", "..", "." };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sl_err_clear(&err);
        cr_assert_eq(sl_staging_open(&sg, target, "shop", 7, bad[i], &err), -1, "%s", bad[i]);
        cr_assert_eq(err.code, SL_EJOB);
    }
}

Test(publish, finish_list_check_and_temporaries)
{
    sl_staging sg;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_staging_open(&sg, target, "shop", 1, "orders", &err), 0);
    write_task_file(&sg, "part-0001.csv", "first attempt\n");
    write_task_file(&sg, "part-0001.csv", "second\n");           /* a redo replaces it */
    write_task_file(&sg, "part-0000.csv", "x\n");
    /* A killed attempt's partial file. */
    char *tmp = sl_staging_tmp_path(&sg, "part-0002.csv");
    FILE *f = fopen(tmp, "w");
    fputs("half", f);
    fclose(f);

    sl_staged_file *files;
    int n;
    cr_assert_eq(sl_staging_list(&sg, &files, &n, &err), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(files[0].name, "part-0000.csv");
    cr_assert_str_eq(files[1].name, "part-0001.csv");
    cr_assert_eq(files[1].size, 7);
    sl_staging_list_free(files, n);

    char *p = sl_staging_file_path(&sg, "part-0001.csv");
    uint32_t crc;
    uint64_t size;
    cr_assert_eq(sl_fs_file_crc32(p, &crc, &size, &err), 0);
    sl_free(p);
    cr_assert_eq(sl_staging_check_file(&sg, "part-0001.csv", 7, crc, true, &err), 1);
    cr_assert_eq(sl_staging_check_file(&sg, "part-0001.csv", 7, crc ^ 1, true, &err), 0);
    cr_assert_eq(sl_staging_check_file(&sg, "part-0001.csv", 7, crc ^ 1, false, &err), 1);
    cr_assert_eq(sl_staging_check_file(&sg, "part-0001.csv", 8, crc, false, &err), 0);
    cr_assert_eq(sl_staging_check_file(&sg, "part-0009.csv", 7, crc, false, &err), 0);

    int removed = 0;
    cr_assert_eq(sl_staging_remove_temporaries(&sg, &removed, &err), 0);
    cr_assert_eq(removed, 1);
    cr_assert_not(sl_fs_exists(tmp));
    sl_free(tmp);
    sl_staging_file_discard(&sg, "never-written.csv");
    sl_staging_close(&sg);
}

Test(publish, first_publish_without_live)
{
    staged s;
    stage_version(&s, 3, (version){ "a", 3 });
    sl_publish_result res;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_publish_table(&s.sg, &s.m, &res, &err), 0, "%s", err.msg);
    cr_assert(res.atomic);
    cr_assert_not(res.replaced);
    cr_assert_not(res.already);
    cr_assert_eq(res.rows, 6);
    expect_listing(s.sg.live, "_sluice_manifest.json a-0000.csv a-0001.csv a-0002.csv", "live");
    cr_assert_not(sl_fs_exists(s.sg.dir), "the staged directory became the live one");
    cr_assert_eq(sl_publish_clean_run(target, "shop", 3, &err), 0);
    cr_assert(staging_empty());

    char job[64];
    int64_t run = 0;
    cr_assert_eq(sl_publish_live_run(target, "orders", job, sizeof job, &run, &err), 1);
    cr_assert_str_eq(job, "shop");
    cr_assert_eq(run, 3);
    cr_assert_eq(sl_publish_live_run(target, "customers", job, sizeof job, &run, &err), 0);
    sl_staging_close(&s.sg);
}

Test(publish, manifest_content)
{
    staged s;
    stage_version(&s, 42, (version){ "p", 2 });
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_publish_table(&s.sg, &s.m, NULL, &err), 0, "%s", err.msg);
    char *path = sl_sprintf("%s/%s", s.sg.live, SL_MANIFEST_NAME);
    char *text = sl_fs_read_all(path, NULL, &err);
    cr_assert_not_null(text);
    const char *want[] = { "\"format\": \"sluice-manifest\"", "\"job\": \"shop\"", "\"run_id\": 42",
                           "\"table\": \"orders\"", "\"sluice_version\": \"", "\"published_at\": \"20",
                           "\"source_snapshot_time\": \"2023-11-14T22:13:20.500Z\"", "\"rows\": 4",
                           "{\"name\": \"p-0000.csv\", \"rows\": 2, \"bytes\": 7, \"crc32\": ",
                           "{\"name\": \"p-0001.csv\", \"rows\": 2, \"bytes\": 7, \"crc32\": " };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) cr_assert(strstr(text, want[i]), "%s\n%s", want[i], text);
    char crc[32];
    snprintf(crc, sizeof crc, "\"crc32\": %lu}", (unsigned long)s.files[1].crc32);
    cr_assert(strstr(text, crc), "%s", text);
    cr_assert(strstr(text, "\"bytes\": 14"), "%s", text);
    /* Balanced braces and brackets: a cheap well-formedness check. */
    int braces = 0, brackets = 0;
    for (char *p = text; *p; p++) {
        braces += (*p == '{') - (*p == '}');
        brackets += (*p == '[') - (*p == ']');
    }
    cr_assert_eq(braces, 0);
    cr_assert_eq(brackets, 0);
    sl_free(text);
    sl_free(path);
    sl_staging_close(&s.sg);
}

Test(publish, replace_live_and_drop_strays)
{
    staged s;
    sl_err err = SL_ERR_INIT;
    publish_version(&s, 1, (version){ "old", 4 });

    stage_version(&s, 2, (version){ "new", 2 });
    /* A file no finished task recorded and a killed attempt's temporary. */
    write_task_file(&s.sg, "stray.csv", "dup rows\n");
    char *tmp = sl_staging_tmp_path(&s.sg, "new-0009.csv");
    FILE *f = fopen(tmp, "w");
    fclose(f);
    sl_free(tmp);
    sl_publish_result res;
    cr_assert_eq(sl_publish_table(&s.sg, &s.m, &res, &err), 0, "%s", err.msg);
    cr_assert(res.replaced);
    cr_assert(res.atomic);
    expect_listing(s.sg.live, "_sluice_manifest.json new-0000.csv new-0001.csv", "live");
    cr_assert_not(sl_fs_exists(s.sg.dir), "the old version is removed");
    sl_staging_close(&s.sg);
}

Test(publish, missing_file_fails_and_live_untouched)
{
    staged s;
    sl_err err = SL_ERR_INIT;
    publish_version(&s, 1, (version){ "old", 2 });
    stage_version(&s, 2, (version){ "new", 2 });
    char *p = sl_staging_file_path(&s.sg, "new-0001.csv");
    unlink(p);
    sl_free(p);
    cr_assert_eq(sl_publish_table(&s.sg, &s.m, NULL, &err), -1);
    cr_assert(strstr(err.msg, "new-0001.csv is missing"), "%s", err.msg);
    cr_assert(strstr(err.msg, "table orders: publish"), "%s", err.msg);
    /* A size that differs from the record is refused too. */
    s.files[1].bytes = 1;
    write_task_file(&s.sg, "new-0001.csv", "something else\n");
    sl_err_clear(&err);
    cr_assert_eq(sl_publish_table(&s.sg, &s.m, NULL, &err), -1);
    cr_assert(strstr(err.msg, "bytes"), "%s", err.msg);
    expect_listing(s.sg.live, "_sluice_manifest.json old-0000.csv old-0001.csv", "live");
    sl_staging_close(&s.sg);
}

Test(publish, live_not_a_directory)
{
    staged s;
    sl_err err = SL_ERR_INIT;
    stage_version(&s, 1, (version){ "a", 1 });
    FILE *f = fopen(s.sg.live, "w");
    fclose(f);
    cr_assert_eq(sl_publish_table(&s.sg, &s.m, NULL, &err), -1);
    cr_assert(strstr(err.msg, "is not a directory"), "%s", err.msg);
    sl_staging_close(&s.sg);
}

/* Item 2: what is at <target>/orders decides whether it may be replaced. */
static void put_file(const char *dir, const char *name, const char *content)
{
    char *p = sl_fs_join(dir, name);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f, "%s", p);
    fputs(content, f);
    fclose(f);
    sl_free(p);
}

/* Publishing onto what is at live must fail with a message matching each of
 * `want` (NULL-terminated), and leave live's listing as it was. */
static void expect_refused(staged *s, const char *const *want)
{
    sl_err err = SL_ERR_INIT;
    char *before = listing(s->sg.live);
    cr_assert_eq(sl_publish_table(&s->sg, &s->m, NULL, &err), -1, "published over %s", s->sg.live);
    cr_assert(strstr(err.msg, s->sg.live), "the error does not name the path: %s", err.msg);
    for (int i = 0; want[i]; i++) cr_assert(strstr(err.msg, want[i]), "no '%s' in: %s", want[i], err.msg);
    if (before) expect_listing(s->sg.live, before, "live after a refused publish");
    sl_free(before);
    /* The early check (run, plan, validate) says the same. */
    sl_err early = SL_ERR_INIT;
    cr_assert_eq(sl_publish_check_live(target, "shop", "orders", &early), -1);
    cr_assert_str_eq(early.msg, err.msg + strlen("table orders: publish: "));
}

Test(publish, item2_a_directory_sluice_did_not_publish_is_never_replaced)
{
    staged s;
    stage_version(&s, 1, (version){ "a", 1 });
    mkdir(s.sg.live, 0755);
    put_file(s.sg.live, "notes.txt", "mine\n");
    expect_refused(&s, (const char *const[]){ "did not publish", "notes.txt", "move that directory away",
                                              "point the target's path elsewhere", NULL });
    /* A manifest that is not sluice's does not make it sluice's. */
    put_file(s.sg.live, SL_MANIFEST_NAME, "{\"job\": \"shop\", \"run_id\": 1}\n");
    expect_refused(&s, (const char *const[]){ "did not publish", NULL });
    sl_staging_close(&s.sg);
}

Test(publish, item2_another_jobs_table_is_never_replaced)
{
    staged s;
    publish_version(&s, 3, (version){ "a", 2 });
    /* The same table name published by job "shop"; now job "crm" stages one. */
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_staging_open(&s.sg, target, "crm", 1, "orders", &err), 0, "%s", err.msg);
    write_task_file(&s.sg, "b-0000.csv", "id\n9\n");
    sl_manifest_file f = { "b-0000.csv", 1, -1, 0, NULL };
    s.m = (sl_manifest){ &f, 1, 0, NULL, NULL };
    char *before = listing(s.sg.live);
    cr_assert_eq(sl_publish_table(&s.sg, &s.m, NULL, &err), -1);
    cr_assert(strstr(err.msg, "of job shop (run 3"), "%s", err.msg);
    cr_assert(strstr(err.msg, "not of job crm"), "%s", err.msg);
    cr_assert(strstr(err.msg, "must not replace each other's tables"), "%s", err.msg);
    expect_listing(s.sg.live, before, "the other job's table");
    sl_free(before);
    sl_staging_close(&s.sg);
}

Test(publish, item2_files_and_links_are_never_replaced)
{
    staged s;
    stage_version(&s, 1, (version){ "a", 1 });
    /* A symbolic link to a directory: neither the link nor what it points to changes. */
    char *elsewhere = sl_fs_join(target, "elsewhere");
    mkdir(elsewhere, 0755);
    put_file(elsewhere, "keep.txt", "x\n");
    cr_assert_eq(symlink(elsewhere, s.sg.live), 0);
    expect_refused(&s, (const char *const[]){ "symbolic link", "remove the link", NULL });
    expect_listing(elsewhere, "keep.txt", "the link's target");
    struct stat sb;
    cr_assert(lstat(s.sg.live, &sb) == 0 && S_ISLNK(sb.st_mode));
    unlink(s.sg.live);
    /* A regular file. */
    put_file(target, "orders", "a file\n");
    expect_refused(&s, (const char *const[]){ "is not a directory", "move it away", NULL });
    sl_free(elsewhere);
    sl_staging_close(&s.sg);
}

Test(publish, item2_empty_directory_and_older_sluice_tables_are_taken_over)
{
    staged s;
    sl_err err = SL_ERR_INIT;
    stage_version(&s, 1, (version){ "a", 2 });
    mkdir(s.sg.live, 0755);   /* empty: nothing to lose */
    cr_assert_eq(sl_publish_check_live(target, "shop", "orders", &err), 0, "%s", err.msg);
    cr_assert_eq(sl_publish_table(&s.sg, &s.m, NULL, &err), 0, "%s", err.msg);
    expect_listing(s.sg.live, "_sluice_manifest.json a-0000.csv a-0001.csv", "live");
    sl_staging_close(&s.sg);
    /* A table of a sluice from before manifests: part files only. */
    char *live = sl_fs_join(target, "orders");
    sl_fs_rmtree(live, &err);
    mkdir(live, 0755);
    put_file(live, "part-00000.parquet", "PAR1");
    put_file(live, "part-00001.csv", "id\n");
    stage_version(&s, 2, (version){ "b", 1 });
    cr_assert_eq(sl_publish_table(&s.sg, &s.m, NULL, &err), 0, "%s", err.msg);
    expect_listing(live, "_sluice_manifest.json b-0000.csv", "live");
    sl_staging_close(&s.sg);
    sl_free(live);
}

Test(publish, already_published_is_only_cleaned)
{
    staged s;
    sl_err err = SL_ERR_INIT;
    publish_version(&s, 5, (version){ "new", 2 });
    /* As after a crash right after the exchange: the staged path holds an older version. */
    stage_version(&s, 5, (version){ "old", 3 });
    sl_publish_result res;
    cr_assert_eq(sl_publish_table(&s.sg, &s.m, &res, &err), 0, "%s", err.msg);
    cr_assert(res.already);
    expect_listing(s.sg.live, "_sluice_manifest.json new-0000.csv new-0001.csv", "live");
    cr_assert_not(sl_fs_exists(s.sg.dir));
    sl_staging_close(&s.sg);
}

Test(publish, fallback_without_exchange)
{
    sl_publish_force_fallback(true);
    staged s;
    sl_err err = SL_ERR_INIT;
    stage_version(&s, 1, (version){ "old", 2 });
    sl_publish_result res;
    cr_assert_eq(sl_publish_table(&s.sg, &s.m, &res, &err), 0, "%s", err.msg);
    cr_assert(res.atomic, "a first publish is one rename, atomic even here");
    sl_staging_close(&s.sg);
    stage_version(&s, 2, (version){ "new", 3 });
    cr_assert_eq(sl_publish_table(&s.sg, &s.m, &res, &err), 0, "%s", err.msg);
    cr_assert_not(res.atomic);
    cr_assert(res.replaced);
    expect_listing(s.sg.live, "_sluice_manifest.json new-0000.csv new-0001.csv new-0002.csv", "live");
    char *old = sl_sprintf("%s.old", s.sg.dir);
    cr_assert_not(sl_fs_exists(old));
    cr_assert_not(sl_fs_exists(s.sg.dir));
    sl_free(old);
    sl_staging_close(&s.sg);

    /* Crash between the two renames: no live table, the staged one ready. */
    stage_version(&s, 3, (version){ "third", 1 });
    char *aside = sl_sprintf("%s.old", s.sg.dir);
    cr_assert_eq(rename(s.sg.live, aside), 0);
    cr_assert_eq(sl_publish_table(&s.sg, &s.m, &res, &err), 0, "%s", err.msg);
    expect_listing(s.sg.live, "_sluice_manifest.json third-0000.csv", "live");
    cr_assert_not(sl_fs_exists(aside));
    sl_free(aside);
    sl_staging_close(&s.sg);
    sl_publish_force_fallback(false);
}

/* ---- a reader during publishes ---- */

static volatile int stop_reader;
static char reader_live[512];
static long reads, mixes, missing, partial_old;

static void *reader(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&stop_reader, __ATOMIC_ACQUIRE)) {
        DIR *d = opendir(reader_live);
        if (!d) {
            missing++;
            continue;
        }
        int a = 0, b = 0, manifest = 0, other = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
            if (!strncmp(de->d_name, "a-", 2)) a++;
            else if (!strncmp(de->d_name, "b-", 2)) b++;
            else if (!strcmp(de->d_name, SL_MANIFEST_NAME)) manifest++;
            else if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) other++;
        }
        closedir(d);
        reads++;
        if ((a && b) || other) mixes++;
        /* Version a has 5 files, b has 7. A listing opened just before a
         * swap may watch the old version being removed afterwards: fewer
         * files, but never files of both. */
        else if ((a && a != 5) || (b && b != 7) || !manifest) partial_old++;
    }
    return NULL;
}

static void reader_test(bool fallback)
{
    sl_publish_force_fallback(fallback);
    sl_err err = SL_ERR_INIT;
    staged s;
    stage_version(&s, 1, (version){ "a", 5 });
    cr_assert_eq(sl_publish_table(&s.sg, &s.m, NULL, &err), 0);
    snprintf(reader_live, sizeof reader_live, "%s", s.sg.live);
    sl_staging_close(&s.sg);
    pthread_t th;
    pthread_create(&th, NULL, reader, NULL);
    for (int run = 2; run <= 150; run++) {
        publish_version(&s, run, run % 2 ? (version){ "a", 5 } : (version){ "b", 7 });
    }
    __atomic_store_n(&stop_reader, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    cr_log_info("%s: %ld listings, %ld missing, %ld partial (old version being removed)",
                fallback ? "fallback" : "exchange", reads, missing, partial_old);
    cr_assert_gt(reads, 100);
    cr_assert_eq(mixes, 0, "a reader saw old and new files together");
    if (!fallback) cr_assert_eq(missing, 0, "a reader found no table");
    sl_publish_force_fallback(false);
}

Test(publish, reader_never_sees_a_mix_or_no_table) { reader_test(false); }
Test(publish, reader_with_fallback_sees_no_mix) { reader_test(true); }

/* ---- crash at every step, then recover ---- */

static void crash_then_recover(const char *failpoint, bool new_live_after_crash)
{
    sl_err err = SL_ERR_INIT;
    staged s;
    publish_version(&s, 1, (version){ "old", 2 });
    stage_version(&s, 2, (version){ "new", 3 });

    char *spec = sl_sprintf("%s:crash", failpoint);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        sl_failpoint_arm(spec);
        sl_err e = SL_ERR_INIT;
        sl_publish_table(&s.sg, &s.m, NULL, &e);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "%s: status %d", failpoint, status);
    sl_free(spec);

    /* Right after the crash: one complete version is live. */
    expect_listing(s.sg.live, new_live_after_crash ? "_sluice_manifest.json new-0000.csv new-0001.csv new-0002.csv"
                                                   : "_sluice_manifest.json old-0000.csv old-0001.csv",
                   failpoint);

    cr_assert_eq(sl_publish_already(&s.sg, &err), new_live_after_crash ? 1 : 0, "%s", failpoint);

    /* Resume: other runs' staging goes, the same run publishes again. */
    sl_staging_close(&s.sg);
    cr_assert_eq(sl_publish_clean_stale(target, "shop", 2, NULL, &err), 0);
    cr_assert_eq(sl_staging_open(&s.sg, target, "shop", 2, "orders", &err), 0);
    sl_publish_result res;
    cr_assert_eq(sl_publish_table(&s.sg, &s.m, &res, &err), 0, "%s: %s", failpoint, err.msg);
    cr_assert_eq(res.already, new_live_after_crash, "%s", failpoint);
    expect_listing(s.sg.live, "_sluice_manifest.json new-0000.csv new-0001.csv new-0002.csv", failpoint);
    cr_assert_eq(sl_publish_clean_run(target, "shop", 2, &err), 0);
    cr_assert(staging_empty(), "%s: staging left behind", failpoint);
    sl_staging_close(&s.sg);
}

Test(publish, crash_before_manifest) { crash_then_recover(SL_FP_PUBLISH_BEFORE_MANIFEST, false); }
Test(publish, crash_before_exchange) { crash_then_recover(SL_FP_PUBLISH_BEFORE_EXCHANGE, false); }
Test(publish, crash_after_exchange) { crash_then_recover(SL_FP_PUBLISH_AFTER_EXCHANGE, true); }
Test(publish, crash_before_cleanup) { crash_then_recover(SL_FP_PUBLISH_BEFORE_CLEANUP, true); }

static void crash_in_finish(const char *failpoint, bool renamed)
{
    sl_err err = SL_ERR_INIT;
    sl_staging sg;
    cr_assert_eq(sl_staging_open(&sg, target, "shop", 1, "orders", &err), 0);
    char *tmp = sl_staging_tmp_path(&sg, "part-0000.csv");
    FILE *f = fopen(tmp, "w");
    fputs("id\n1\n", f);
    fclose(f);
    char *spec = sl_sprintf("%s:crash", failpoint);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        sl_failpoint_arm(spec);
        sl_err e = SL_ERR_INIT;
        sl_staging_file_finish(&sg, "part-0000.csv", &e);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    sl_free(spec);
    sl_staged_file *files;
    int n, removed;
    cr_assert_eq(sl_staging_list(&sg, &files, &n, &err), 0);
    cr_assert_eq(n, renamed ? 1 : 0, "%s", failpoint);
    sl_staging_list_free(files, n);
    cr_assert_eq(sl_staging_remove_temporaries(&sg, &removed, &err), 0);
    cr_assert_eq(removed, renamed ? 0 : 1);
    cr_assert_not(sl_fs_exists(tmp));
    sl_free(tmp);
    sl_staging_close(&sg);
}

Test(publish, crash_after_file_synced) { crash_in_finish(SL_FP_TASK_FILE_SYNCED, false); }
Test(publish, crash_at_task_commit) { crash_in_finish(SL_FP_TASK_COMMIT, true); }

Test(publish, error_failpoint_leaves_live_untouched)
{
    sl_err err = SL_ERR_INIT;
    staged s;
    publish_version(&s, 1, (version){ "old", 2 });
    stage_version(&s, 2, (version){ "new", 1 });
    sl_failpoint_arm("publish:before-exchange:nospace");
    cr_assert_eq(sl_publish_table(&s.sg, &s.m, NULL, &err), -1);
    cr_assert_eq(err.code, SL_ENOSPACE);
    sl_failpoint_arm(NULL);
    expect_listing(s.sg.live, "_sluice_manifest.json old-0000.csv old-0001.csv", "live");
    sl_err_clear(&err);
    cr_assert_eq(sl_publish_table(&s.sg, &s.m, NULL, &err), 0, "%s", err.msg);
    expect_listing(s.sg.live, "_sluice_manifest.json new-0000.csv", "live");
    sl_staging_close(&s.sg);
}

/* ---- stale staging ---- */

Test(publish, clean_stale_staging)
{
    sl_err err = SL_ERR_INIT;
    sl_staging sg;
    int64_t runs[] = { 1, 2, 3 };
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(sl_staging_open(&sg, target, "shop", runs[i], "orders", &err), 0);
        write_task_file(&sg, "part-0000.csv", "x\n");
        sl_staging_close(&sg);
    }
    cr_assert_eq(sl_staging_open(&sg, target, "crm", 1, "contacts", &err), 0);
    sl_staging_close(&sg);

    int removed = 0;
    cr_assert_eq(sl_publish_clean_stale(target, "shop", 2, &removed, &err), 0, "%s", err.msg);
    cr_assert_eq(removed, 2);
    char *dir = sl_sprintf("%s/.sluice-staging/shop", target);
    expect_listing(dir, "run-2", "staging");
    char *crm = sl_sprintf("%s/.sluice-staging/crm/run-1/contacts", target);
    cr_assert(sl_fs_is_dir(crm), "another job's staging is left alone");

    cr_assert_eq(sl_publish_clean_stale(target, "shop", 0, &removed, &err), 0);
    cr_assert_eq(removed, 1);
    cr_assert_not(sl_fs_exists(dir));
    cr_assert(sl_fs_is_dir(crm));
    cr_assert_eq(sl_publish_clean_stale(target, "crm", 0, &removed, &err), 0);
    cr_assert(staging_empty());
    cr_assert_eq(sl_publish_clean_stale(target, "nothing", 0, &removed, &err), 0);
    cr_assert_eq(removed, 0);
    sl_free(dir);
    sl_free(crm);
}
