/*
 * test_lock.c - the per-job run lock: taken and released, a second run
 * refused with a message naming the holder, a holder killed with SIGKILL
 * leaves a stale lock that is taken over (and reported), a lock file with a
 * dead pid is taken over, mutual exclusion under a storm of acquire/release
 * from threads, and sl_lock_inspect; the lock is private (item 9) and a
 * refusal names the holder's run and state store (item 17).
 */
#include <criterion/criterion.h>

#include "core/sl_alloc.h"
#include "core/sl_log.h"
#include "state/sl_fs.h"
#include "state/sl_lock.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256];

static void setup(void)
{
    sl_log_setup(SL_LOG_WARN, false);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sluice-test-lock-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
    sl_err err = SL_ERR_INIT;
    sl_fs_rmtree(tmpdir, &err);
}

static char *state_dir(void) { return sl_sprintf("%s/.sluice", tmpdir); }

TestSuite(lock, .init = setup, .fini = teardown);

Test(lock, acquire_release)
{
    char *dir = state_dir();
    sl_err err = SL_ERR_INIT;
    sl_lock *lk = sl_lock_acquire(dir, "shop", &err);
    cr_assert_not_null(lk, "%s", err.msg);
    char *path = sl_lock_path(dir, "shop");
    size_t len;
    char *text = sl_fs_read_all(path, &len, &err);
    cr_assert_not_null(text);
    char want[64];
    snprintf(want, sizeof want, "pid %ld\nhost ", (long)getpid());
    cr_assert(strstr(text, want) == text, "%s", text);
    cr_assert(strstr(text, "\nstarted 20"), "%s", text);
    sl_free(text);
    sl_lock_release(lk);
    cr_assert_not(sl_fs_exists(path), "the lock file is removed on release");
    /* And again. */
    lk = sl_lock_acquire(dir, "shop", &err);
    cr_assert_not_null(lk);
    sl_lock_release(lk);
    sl_free(path);
    sl_free(dir);
}

Test(lock, second_run_refused)
{
    char *dir = state_dir();
    sl_err err = SL_ERR_INIT;
    sl_lock *lk = sl_lock_acquire(dir, "shop", &err);
    cr_assert_not_null(lk);
    sl_lock *second = sl_lock_acquire(dir, "shop", &err);
    cr_assert_null(second);
    char want[128];
    snprintf(want, sizeof want, "job shop is already running (pid %ld on host ", (long)getpid());
    cr_assert(strstr(err.msg, want), "%s", err.msg);
    cr_assert(strstr(err.msg, "started 20"), "%s", err.msg);
    cr_assert(strstr(err.msg, "wait for it or stop it"), "%s", err.msg);
    /* Another job is independent. */
    sl_err_clear(&err);
    sl_lock *other = sl_lock_acquire(dir, "crm", &err);
    cr_assert_not_null(other, "%s", err.msg);
    sl_lock_release(other);
    sl_lock_release(lk);
    sl_free(dir);
}

Test(lock, item9_lock_and_its_directory_are_private)
{
    mode_t old = umask(022);
    char *dir = state_dir();
    sl_err err = SL_ERR_INIT;
    sl_lock *lk = sl_lock_acquire(dir, "shop", &err);
    cr_assert_not_null(lk, "%s", err.msg);
    char *path = sl_lock_path(dir, "shop");
    struct stat sb;
    cr_assert_eq(stat(dir, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0700, "state directory mode %o", (unsigned)(sb.st_mode & 0777));
    cr_assert_eq(stat(path, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600, "lock mode %o", (unsigned)(sb.st_mode & 0777));
    sl_lock_release(lk);
    /* A lock file left readable by an older sluice is narrowed when taken over. */
    FILE *f = fopen(path, "w");
    fputs("pid 999999\nhost nowhere\n", f);
    fclose(f);
    chmod(path, 0644);
    lk = sl_lock_acquire(dir, "shop", &err);
    cr_assert_not_null(lk, "%s", err.msg);
    cr_assert_eq(stat(path, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600, "lock mode %o", (unsigned)(sb.st_mode & 0777));
    sl_lock_release(lk);
    sl_free(path);
    sl_free(dir);
    umask(old);
}

Test(lock, item17_holder_is_named_in_the_refusal)
{
    char *path = sl_sprintf("%s/staging.lock", tmpdir);
    sl_err err = SL_ERR_INIT;
    sl_lock *lk = sl_lock_acquire_file(path, "shop", &err);
    cr_assert_not_null(lk, "%s", err.msg);
    cr_assert_eq(sl_lock_set_holder(lk, "run 4 of state store /jobs/.sluice/state.db", &err), 0, "%s", err.msg);
    cr_assert_null(sl_lock_acquire_file(path, "shop", &err));
    cr_assert(strstr(err.msg, "job shop is already running (pid "), "%s", err.msg);
    cr_assert(strstr(err.msg, "; run 4 of state store /jobs/.sluice/state.db); wait for it or stop it"), "%s", err.msg);
    sl_lock_info info;
    cr_assert_eq(sl_lock_inspect(tmpdir, "staging", &info, &err), 0);
    cr_assert_str_eq(info.holder, "run 4 of state store /jobs/.sluice/state.db");
    sl_lock_release(lk);
    sl_free(path);
}

Test(lock, holder_killed_leaves_stale_lock_taken_over)
{
    char *dir = state_dir();
    int ready[2];
    cr_assert_eq(pipe(ready), 0);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        sl_err e = SL_ERR_INIT;
        sl_lock *lk = sl_lock_acquire(dir, "shop", &e);
        char c = lk ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1) _exit(2);
        for (;;) pause();
    }
    char c = 0;
    cr_assert_eq(read(ready[0], &c, 1), 1);
    cr_assert_eq(c, 'y');

    sl_err err = SL_ERR_INIT;
    cr_assert_null(sl_lock_acquire(dir, "shop", &err));
    char want[64];
    snprintf(want, sizeof want, "(pid %ld on host", (long)child);
    cr_assert(strstr(err.msg, want), "%s", err.msg);

    sl_lock_info info;
    cr_assert_eq(sl_lock_inspect(dir, "shop", &info, &err), 0);
    cr_assert(info.present && info.held);
    cr_assert_eq(info.pid, child);

    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    cr_assert_eq(sl_lock_inspect(dir, "shop", &info, &err), 0);
    cr_assert(info.present, "kill -9 leaves the file");
    cr_assert_not(info.held, "but nobody holds it");

    /* Capture the info line about the stale lock. */
    sl_log_setup(SL_LOG_INFO, false);
    char logpath[300];
    snprintf(logpath, sizeof logpath, "%s/log", tmpdir);
    fflush(stderr);
    int saved = dup(2);
    FILE *logf = fopen(logpath, "w");
    dup2(fileno(logf), 2);
    sl_err_clear(&err);
    sl_lock *lk = sl_lock_acquire(dir, "shop", &err);
    fflush(stderr);
    dup2(saved, 2);
    fclose(logf);
    cr_assert_not_null(lk, "%s", err.msg);
    char *log = sl_fs_read_all(logpath, NULL, &err);
    cr_assert(strstr(log, "stale lock") && strstr(log, want + 1), "%s", log);
    sl_free(log);
    cr_assert_eq(sl_lock_inspect(dir, "shop", &info, &err), 0);
    cr_assert_eq(info.pid, getpid());
    sl_lock_release(lk);
    sl_free(dir);
}

Test(lock, dead_pid_in_file_is_stale)
{
    char *dir = state_dir();
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_fs_mkdirs(dir, &err), 0);
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    waitpid(dead, NULL, 0);
    char host[256], text[512];
    sl_fs_hostname(host, sizeof host);
    snprintf(text, sizeof text, "pid %ld\nhost %s\nstarted 2020-01-01T00:00:00Z\n", (long)dead, host);
    char *path = sl_lock_path(dir, "shop");
    cr_assert_eq(sl_fs_write_atomic(path, text, strlen(text), &err), 0);
    sl_lock *lk = sl_lock_acquire(dir, "shop", &err);
    cr_assert_not_null(lk, "%s", err.msg);
    sl_lock_release(lk);
    sl_free(path);
    sl_free(dir);
}

Test(lock, path_sanitizes_job_name)
{
    char *p = sl_lock_path("/x/.sluice", "../shop job/ü");
    cr_assert(!strstr(p + strlen("/x/.sluice/"), "/"), "%s", p);
    cr_assert(strncmp(p, "/x/.sluice/", 11) == 0);
    cr_assert_neq(p[11], '.', "%s", p);
    sl_free(p);
}

Test(lock, inspect_without_lock)
{
    char *dir = state_dir();
    sl_err err = SL_ERR_INIT;
    sl_lock_info info;
    cr_assert_eq(sl_lock_inspect(dir, "shop", &info, &err), 0);
    cr_assert_not(info.present);
    cr_assert_not(info.held);
    sl_free(dir);
}

static int inside, violations, acquired;
static char *storm_dir;

static void *storm(void *arg)
{
    (void)arg;
    for (int i = 0; i < 300; i++) {
        sl_err err = SL_ERR_INIT;
        sl_lock *lk = sl_lock_acquire(storm_dir, "shop", &err);
        if (!lk) continue;
        if (__atomic_add_fetch(&inside, 1, __ATOMIC_SEQ_CST) != 1) __atomic_add_fetch(&violations, 1, __ATOMIC_SEQ_CST);
        __atomic_add_fetch(&acquired, 1, __ATOMIC_SEQ_CST);
        usleep(50);
        __atomic_sub_fetch(&inside, 1, __ATOMIC_SEQ_CST);
        sl_lock_release(lk);
    }
    return NULL;
}

Test(lock, mutual_exclusion_under_contention)
{
    sl_log_setup(SL_LOG_OFF, false);   /* stale-lock notes are expected in the race window */
    storm_dir = state_dir();
    pthread_t th[4];
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, storm, NULL);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    cr_assert_eq(violations, 0, "two holders at once %d times", violations);
    cr_assert_gt(acquired, 0);
    sl_free(storm_dir);
}
