/*
 * sl_stage.c - staging directories, part files and atomic publication of a
 * table (see sl_stage.h).
 */
#define _GNU_SOURCE
#include "sl_stage.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int sl_stage_errno(sl_err *err, int e, const char *what, const char *path)
{
    const char *hint = "";
    if (e == EACCES || e == EPERM || e == EROFS) hint = " (check the target directory's permissions)";
    else if (e == ENOSPC || e == EDQUOT) hint = " (free space on the target, then run again)";
    else if (e == ENOTDIR || e == EEXIST) hint = " (a file is in the way of a directory)";
    return sl_err_set(err, e == ENOSPC || e == EDQUOT ? SL_ENOSPACE : SL_EIO, "cannot %s %s: %s%s", what, path,
                      strerror(e), hint);
}

int sl_mkdirs(const char *path, sl_err *err)
{
    char *p = sl_strdup(path);
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
    for (char *c = p + 1; ; c++) {
        bool end = *c == '\0';
        if (*c == '/' || end) {
            *c = '\0';
            if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                int e = errno;
                sl_stage_errno(err, e, "create directory", p);
                sl_free(p);
                return -1;
            }
            struct stat sb;
            if (stat(p, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
                sl_stage_errno(err, ENOTDIR, "create directory", p);
                sl_free(p);
                return -1;
            }
            if (end) break;
            *c = '/';
        }
    }
    sl_free(p);
    return 0;
}

int sl_fsync_dir(const char *path, sl_err *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return sl_stage_errno(err, errno, "open directory", path);
    if (fsync(fd) < 0 && errno != EINVAL) {
        int e = errno;
        close(fd);
        return sl_stage_errno(err, e, "fsync directory", path);
    }
    close(fd);
    return 0;
}

static int sl_remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int sl_remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) < 0) return errno == ENOENT ? 0 : -1;
    return nftw(path, sl_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int sl_stage_init(sl_stage *st, const char *target_path, const char *table, const char *run_id, sl_err *err)
{
    memset(st, 0, sizeof *st);
    st->target = sl_strdup(target_path);
    st->live = sl_sprintf("%s/%s", target_path, table);
    st->root = sl_sprintf("%s/.sluice-staging", target_path);
    st->dir = sl_sprintf("%s/%s.%s", st->root, table, run_id);
    /* A leftover of this very run id (a retried publish) starts over. */
    sl_remove_tree(st->dir);
    /* Twice: another table's publish may remove the (then empty) root in between. */
    for (int attempt = 0;; attempt++) {
        if (sl_mkdirs(st->root, err) < 0) return -1;
        if (mkdir(st->dir, 0755) == 0) return 0;
        if (errno != ENOENT || attempt == 1) return sl_stage_errno(err, errno, "create staging directory", st->dir);
    }
}

void sl_stage_part_path(const sl_stage *st, int index, const char *ext, char *tmp, char *final, size_t size)
{
    snprintf(final, size, "%s/part-%05d.%s", st->dir, index, ext);
    snprintf(tmp, size, "%s/part-%05d.%s.tmp", st->dir, index, ext);
}

int sl_stage_commit_part(const char *tmp, const char *final, sl_err *err)
{
    if (rename(tmp, final) < 0) return sl_stage_errno(err, errno, "rename into place", tmp);
    return 0;
}

int sl_stage_publish(sl_stage *st, sl_err *err)
{
    /* The part files' names must be durable before they become visible. */
    if (sl_fsync_dir(st->dir, err) < 0) return -1;
    struct stat sb;
    bool have_live = lstat(st->live, &sb) == 0;
    if (have_live && !S_ISDIR(sb.st_mode))
        return sl_err_set(err, SL_EIO, "cannot publish %s: it exists and is not a directory (move it away)", st->live);
    if (!have_live) {
        if (rename(st->dir, st->live) < 0) return sl_stage_errno(err, errno, "publish", st->live);
    } else if (renameat2(AT_FDCWD, st->dir, AT_FDCWD, st->live, RENAME_EXCHANGE) < 0) {
        int e = errno;
        if (e != EINVAL && e != ENOSYS && e != ENOTSUP) return sl_stage_errno(err, e, "publish", st->live);
        /* No atomic exchange here: move the old version aside, then the new one in. */
        sl_log(SL_LOG_WARN, "%s: the file system cannot exchange directories atomically; publishing with two renames",
               st->live);
        char *old = sl_sprintf("%s.old", st->dir);
        sl_remove_tree(old);
        if (rename(st->live, old) < 0) {
            e = errno;
            sl_free(old);
            return sl_stage_errno(err, e, "move the old version of", st->live);
        }
        if (rename(st->dir, st->live) < 0) {
            e = errno;
            rename(old, st->live);
            sl_free(old);
            return sl_stage_errno(err, e, "publish", st->live);
        }
        if (rename(old, st->dir) < 0) sl_remove_tree(old);
        sl_free(old);
    }
    if (sl_fsync_dir(st->target, err) < 0) return -1;
    /* Published and durable. What is left at st->dir is the old version. */
    sl_remove_tree(st->dir);
    sl_fsync_dir(st->root, NULL);
    rmdir(st->root);   /* only when no other table is staged */
    return 0;
}

void sl_stage_discard(sl_stage *st)
{
    if (st->dir) sl_remove_tree(st->dir);
    if (st->root) rmdir(st->root);
}

void sl_stage_free(sl_stage *st)
{
    sl_free(st->target);
    sl_free(st->live);
    sl_free(st->root);
    sl_free(st->dir);
    memset(st, 0, sizeof *st);
}
