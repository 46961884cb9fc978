/*
 * sl_lock.c - the per-job run lock: flock on <state dir>/<job>.lock (or on a
 * given file: a target's staging area), with the holder's pid, host, start
 * time and run inside (see sl_lock.h).
 */
#define _GNU_SOURCE
#include "sl_lock.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"
#include "sl_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct sl_lock {
    int fd;
    char *path;
    char host[256];
    char started[64];
};

char *sl_lock_path(const char *state_dir, const char *job)
{
    char *name = sl_strdup(job && *job ? job : "job");
    for (char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            *p = '_';
    if (name[0] == '.') name[0] = '_';
    char *path = sl_sprintf("%s/%s.lock", state_dir, name);
    sl_free(name);
    return path;
}

/* Parses the lock file's text into info (pid, host, started). */
static void sl_lock_parse(const char *text, sl_lock_info *info)
{
    const char *line = text;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)len, line);
        if (!strncmp(buf, "pid ", 4)) info->pid = (pid_t)atol(buf + 4);
        else if (!strncmp(buf, "host ", 5)) snprintf(info->host, sizeof info->host, "%s", buf + 5);
        else if (!strncmp(buf, "started ", 8)) snprintf(info->started, sizeof info->started, "%s", buf + 8);
        else if (!strncmp(buf, "holder ", 7)) snprintf(info->holder, sizeof info->holder, "%s", buf + 7);
        line = nl ? nl + 1 : NULL;
    }
}

static void sl_lock_read_fd(int fd, sl_lock_info *info)
{
    char buf[2048];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    sl_lock_parse(buf, info);
}

static bool sl_lock_pid_alive(pid_t pid)
{
    if (pid <= 0) return false;
    return kill(pid, 0) == 0 || errno == EPERM;
}

static int sl_lock_refuse(const char *job, const sl_lock_info *info, sl_err *err)
{
    if (info->pid > 0)
        return sl_err_set(err, SL_EIO, "job %s is already running (pid %ld on host %s, started %s%s%s); "
                          "wait for it or stop it", job, (long)info->pid, info->host[0] ? info->host : "?",
                          info->started[0] ? info->started : "?", info->holder[0] ? "; " : "", info->holder);
    return sl_err_set(err, SL_EIO, "job %s is already running (another sluice process is starting it); "
                      "wait for it or stop it", job);
}

static void sl_lock_now_iso(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The lock file's text: who holds it, and for what when holder is set. */
static int sl_lock_write(sl_lock *lk, const char *holder, sl_err *err)
{
    char text[2048];
    int len = snprintf(text, sizeof text, "pid %ld\nhost %s\nstarted %s\n%s%s%s", (long)getpid(), lk->host,
                       lk->started, holder ? "holder " : "", holder ? holder : "", holder ? "\n" : "");
    if (len >= (int)sizeof text) len = (int)sizeof text - 1;
    if (ftruncate(lk->fd, 0) < 0 || pwrite(lk->fd, text, (size_t)len, 0) != len || fsync(lk->fd) < 0)
        return sl_fs_errno(err, errno, "cannot write lock file", lk->path);
    return 0;
}

sl_lock *sl_lock_acquire(const char *state_dir, const char *job, sl_err *err)
{
    if (sl_fs_mkdirs_private(state_dir, err) < 0) return NULL;
    char *path = sl_lock_path(state_dir, job);
    sl_lock *lk = sl_lock_acquire_file(path, job, err);
    sl_free(path);
    return lk;
}

sl_lock *sl_lock_acquire_file(const char *lock_path, const char *job, sl_err *err)
{
    char *path = sl_strdup(lock_path);
    char host[256];
    sl_fs_hostname(host, sizeof host);
    for (int tries = 0; tries < 20; tries++) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
            sl_fs_errno(err, errno, "cannot open lock file", path);
            break;
        }
        sl_lock_info old = { 0 };
        bool have_flock = true;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
            if (errno == EWOULDBLOCK || errno == EINTR) {
                sl_lock_read_fd(fd, &old);
                close(fd);
                sl_lock_refuse(job, &old, err);
                break;
            }
            if (errno != ENOLCK && errno != EINVAL && errno != EOPNOTSUPP) {
                sl_fs_errno(err, errno, "cannot lock", path);
                close(fd);
                break;
            }
            have_flock = false;     /* no flock here: judge by pid and host */
        }
        /* The holder may have removed the file between our open and flock. */
        struct stat fsb, psb;
        if (fstat(fd, &fsb) < 0 || stat(path, &psb) < 0 || fsb.st_ino != psb.st_ino || fsb.st_dev != psb.st_dev) {
            close(fd);
            continue;
        }
        sl_lock_read_fd(fd, &old);
        if (old.pid > 0) {
            bool same_host = !strcmp(old.host, host);
            if (!have_flock && (!same_host || (sl_lock_pid_alive(old.pid) && old.pid != getpid()))) {
                close(fd);
                sl_lock_refuse(job, &old, err);
                break;
            }
            sl_log(SL_LOG_INFO, "job %s: stale lock %s of pid %ld on host %s (started %s) taken over: "
                   "that run is gone", job, path, (long)old.pid, old.host[0] ? old.host : "?",
                   old.started[0] ? old.started : "?");
        }
        sl_lock *lk = sl_calloc(1, sizeof *lk);
        lk->fd = fd;
        lk->path = path;
        snprintf(lk->host, sizeof lk->host, "%s", host);
        sl_lock_now_iso(lk->started, sizeof lk->started);
        /* A lock file of an older sluice (or another user's umask) may be wider. */
        if (fchmod(fd, 0600) < 0) sl_log(SL_LOG_DEBUG, "cannot make %s private: %s", path, strerror(errno));
        if (sl_lock_write(lk, NULL, err) < 0) {
            close(fd);
            sl_free(lk);
            break;
        }
        return lk;
    }
    if (!sl_err_is_set(err)) sl_err_set(err, SL_EIO, "cannot take lock %s: it keeps changing", path);
    sl_free(path);
    return NULL;
}

int sl_lock_set_holder(sl_lock *lk, const char *holder, sl_err *err) { return sl_lock_write(lk, holder, err); }

void sl_lock_release(sl_lock *lk)
{
    if (!lk) return;
    /* Unlink while still holding it: a waiter that opened the old file sees
     * the inode change and retries on a fresh one. */
    unlink(lk->path);
    close(lk->fd);
    sl_free(lk->path);
    sl_free(lk);
}

int sl_lock_inspect(const char *state_dir, const char *job, sl_lock_info *info, sl_err *err)
{
    memset(info, 0, sizeof *info);
    char *path = sl_lock_path(state_dir, job);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        int rc = e == ENOENT ? 0 : sl_fs_errno(err, e, "cannot open lock file", path);
        sl_free(path);
        return rc;
    }
    info->present = true;
    sl_lock_read_fd(fd, info);
    if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK) info->held = true;
        else {
            char host[256];
            info->held = !strcmp(sl_fs_hostname(host, sizeof host), info->host) ? sl_lock_pid_alive(info->pid)
                                                                                  : true;
        }
    } else {
        flock(fd, LOCK_UN);
    }
    close(fd);
    sl_free(path);
    return 0;
}
