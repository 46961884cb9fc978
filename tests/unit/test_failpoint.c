/*
 * test_failpoint.c - failpoints: parsing of SLUICE_FAILPOINT (actions, @N,
 * @N+, several entries, names with ':'), unknown names and bad actions
 * ignored, the environment read once, counting across threads, and the
 * crash action in a forked child (it must die by SIGKILL at the right hit).
 */
#include <criterion/criterion.h>

#include "core/sl_failpoint.h"
#include "core/sl_log.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void quiet(void) { sl_log_setup(SL_LOG_ERROR, false); }

Test(failpoint, disarmed_by_default, .init = quiet)
{
    sl_failpoint_arm(NULL);
    sl_err err = SL_ERR_INIT;
    for (int i = 0; sl_failpoint_names()[i]; i++) cr_assert_eq(sl_failpoint(sl_failpoint_names()[i], &err), 0);
    cr_assert_not(sl_err_is_set(&err));
}

Test(failpoint, nine_commit_protocol_names_then_the_faults)
{
    int n = 0;
    while (sl_failpoint_names()[n]) n++;
    cr_assert_eq(n, 15);
    cr_assert_str_eq(sl_failpoint_names()[0], "task-start");
    cr_assert_str_eq(sl_failpoint_names()[8], "run-finish");
    cr_assert_str_eq(sl_failpoint_names()[9], "pg:prepare-end");
    cr_assert_str_eq(sl_failpoint_names()[10], "sink-drop-row");
    cr_assert_str_eq(sl_failpoint_names()[11], "batch-change-value");
    cr_assert_str_eq(sl_failpoint_names()[12], "checks:done");
    cr_assert_str_eq(sl_failpoint_names()[13], "s3:part-uploaded");
    cr_assert_str_eq(sl_failpoint_names()[14], "s3:before-complete");
}

/* `on` returns 1 without an error: the caller does the fault (a sink drops a row). */
Test(failpoint, on_action_returns_one, .init = quiet)
{
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_failpoint_arm("sink-drop-row:on@2"), 1);
    cr_assert_eq(sl_failpoint(SL_FP_SINK_DROP_ROW, &err), 0);
    cr_assert_eq(sl_failpoint(SL_FP_SINK_DROP_ROW, &err), 1);
    cr_assert(!sl_err_is_set(&err));
    cr_assert_eq(sl_failpoint(SL_FP_SINK_DROP_ROW, &err), 0);
    sl_failpoint_arm(NULL);
}

Test(failpoint, error_actions, .init = quiet)
{
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_failpoint_arm("task-commit:error"), 1);
    cr_assert_eq(sl_failpoint(SL_FP_TASK_START, &err), 0);
    cr_assert_eq(sl_failpoint(SL_FP_TASK_COMMIT, &err), -1);
    cr_assert_eq(err.code, SL_EIO);
    cr_assert(strstr(err.msg, "task-commit"), "%s", err.msg);
    cr_assert_eq(sl_failpoint(SL_FP_TASK_COMMIT, &err), -1, "fires at every hit without @N");

    sl_err_clear(&err);
    cr_assert_eq(sl_failpoint_arm("task-start:transient, publish:after-exchange:nospace"), 2);
    cr_assert_eq(sl_failpoint(SL_FP_TASK_START, &err), -1);
    cr_assert_eq(err.code, SL_ETRANSIENT);
    cr_assert_eq(sl_failpoint(SL_FP_PUBLISH_AFTER_EXCHANGE, &err), -1);
    cr_assert_eq(err.code, SL_ENOSPACE);
    cr_assert_eq(sl_failpoint(SL_FP_PUBLISH_BEFORE_EXCHANGE, &err), 0, "a prefix of another name is not armed");
}

Test(failpoint, at_nth_hit_only, .init = quiet)
{
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_failpoint_arm("task-write:transient@3"), 1);
    int fired[6];
    for (int i = 0; i < 6; i++) fired[i] = sl_failpoint(SL_FP_TASK_WRITE, &err);
    int want[6] = { 0, 0, -1, 0, 0, 0 };
    cr_assert_arr_eq(fired, want, sizeof want);
    cr_assert_eq(sl_failpoint_hits(SL_FP_TASK_WRITE), 6);
    cr_assert_eq(sl_failpoint_hits(SL_FP_TASK_START), 0);
}

Test(failpoint, from_nth_hit_on, .init = quiet)
{
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_failpoint_arm("publish:before-manifest:error@2+"), 1);
    cr_assert_eq(sl_failpoint(SL_FP_PUBLISH_BEFORE_MANIFEST, &err), 0);
    for (int i = 0; i < 4; i++) cr_assert_eq(sl_failpoint(SL_FP_PUBLISH_BEFORE_MANIFEST, &err), -1);
}

Test(failpoint, rearm_resets_counts, .init = quiet)
{
    sl_err err = SL_ERR_INIT;
    sl_failpoint_arm("task-start:error@2");
    cr_assert_eq(sl_failpoint(SL_FP_TASK_START, &err), 0);
    sl_failpoint_arm("task-start:error@2");
    cr_assert_eq(sl_failpoint(SL_FP_TASK_START, &err), 0);
    cr_assert_eq(sl_failpoint(SL_FP_TASK_START, &err), -1);
    cr_assert_eq(sl_failpoint_arm(""), 0);
    cr_assert_eq(sl_failpoint(SL_FP_TASK_START, &err), 0);
}

Test(failpoint, unknown_and_malformed_entries_are_ignored, .init = quiet)
{
    sl_err err = SL_ERR_INIT;
    const char *bad[] = { "task-comit:crash", "bogus:error", "task-start:explode", "task-start", ":crash",
                          "task-start:crash@0", "task-start:crash@", "task-start:crash@x", "task-start:sleep:",
                          "task-start:sleep:abc", "crash", "task-start:crash@3++" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(sl_failpoint_arm(bad[i]), 0, "%s", bad[i]);
        cr_assert_eq(sl_failpoint(SL_FP_TASK_START, &err), 0, "%s", bad[i]);
        cr_assert_eq(sl_failpoint(SL_FP_TASK_COMMIT, &err), 0, "%s", bad[i]);
    }
    /* Good entries next to bad ones still count. */
    cr_assert_eq(sl_failpoint_arm("bogus:crash,,run-finish:error"), 1);
    cr_assert_eq(sl_failpoint(SL_FP_RUN_FINISH, &err), -1);
}

Test(failpoint, sleep_action, .init = quiet)
{
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_failpoint_arm("publish:before-exchange:sleep:60"), 1);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    cr_assert_eq(sl_failpoint(SL_FP_PUBLISH_BEFORE_EXCHANGE, &err), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    cr_assert_geq(ms, 55.0, "slept %.1f ms", ms);
    cr_assert_not(sl_err_is_set(&err));
}

Test(failpoint, environment_read_once, .init = quiet)
{
    /* Each Criterion test runs in its own process: this is the first hit. */
    setenv("SLUICE_FAILPOINT", "run-finish:error@2", 1);
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_failpoint(SL_FP_RUN_FINISH, &err), 0);
    setenv("SLUICE_FAILPOINT", "", 1);   /* not read again */
    cr_assert_eq(sl_failpoint(SL_FP_RUN_FINISH, &err), -1);
    unsetenv("SLUICE_FAILPOINT");
}

static void *hammer(void *arg)
{
    int *errors = arg;
    sl_err err = SL_ERR_INIT;
    for (int i = 0; i < 5000; i++)
        if (sl_failpoint(SL_FP_TASK_WRITE, &err) < 0) __atomic_add_fetch(errors, 1, __ATOMIC_RELAXED);
    return NULL;
}

Test(failpoint, counts_hits_across_threads, .init = quiet)
{
    sl_failpoint_arm("task-write:error@12345");
    int errors = 0;
    pthread_t th[4];
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, hammer, &errors);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    cr_assert_eq(sl_failpoint_hits(SL_FP_TASK_WRITE), 20000);
    cr_assert_eq(errors, 1, "exactly one hit fires");
}

/* Runs `hits` hits of name in a child armed with spec; returns the wait
 * status and how many hits completed (reported through a pipe). */
static int crash_child(const char *spec, const char *name, int hits, int *completed)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        sl_failpoint_arm(spec);
        sl_err err = SL_ERR_INIT;
        for (int i = 0; i < hits; i++) {
            sl_failpoint(name, &err);
            char c = 'x';
            if (write(fds[1], &c, 1) != 1) _exit(3);
        }
        _exit(0);
    }
    close(fds[1]);
    int status = 0;
    waitpid(pid, &status, 0);
    char buf[64];
    ssize_t n, total = 0;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) total += n;
    close(fds[0]);
    *completed = (int)total;
    return status;
}

Test(failpoint, crash_kills_like_kill_9, .init = quiet)
{
    int done = 0;
    int status = crash_child("task-commit:crash", SL_FP_TASK_COMMIT, 5, &done);
    cr_assert(WIFSIGNALED(status), "status %d", status);
    cr_assert_eq(WTERMSIG(status), SIGKILL);
    cr_assert_eq(done, 0);

    status = crash_child("task-write:crash@3", SL_FP_TASK_WRITE, 5, &done);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    cr_assert_eq(done, 2, "died at the third hit, after two completed");

    status = crash_child("publish:after-exchange:crash", SL_FP_TASK_WRITE, 5, &done);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "another failpoint does not crash");
    cr_assert_eq(done, 5);
}
