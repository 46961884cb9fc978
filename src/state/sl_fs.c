/*
 * sl_fs.c - file-system helpers (see sl_fs.h).
 */
#define _GNU_SOURCE
#include "sl_fs.h"

#include "../core/sl_alloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

int sl_fs_errno(sl_err *err, int errnum, const char *op, const char *path)
{
    sl_code code = (errnum == ENOSPC || errnum == EDQUOT) ? SL_ENOSPACE : SL_EIO;
    if (code == SL_ENOSPACE)
        return sl_err_set(err, code, "%s %s: %s; free space on that file system, then run again to resume",
                          op, path, strerror(errnum));
    return sl_err_set(err, code, "%s %s: %s", op, path, strerror(errnum));
}

static int sl_fs_mkdirs_mode(const char *path, mode_t leaf_mode, sl_err *err)
{
    char *p = sl_strdup(path);
    size_t len = strlen(p);
    while (len > 1 && p[len - 1] == '/') p[--len] = '\0';
    for (char *s = p + 1; ; s++) {
        bool last = *s == '\0';
        if (*s == '/' || last) {
            char saved = *s;
            *s = '\0';
            if (mkdir(p, last ? leaf_mode : 0755) < 0 && errno != EEXIST) {
                int e = errno;
                sl_fs_errno(err, e, "cannot create directory", p);
                sl_free(p);
                return -1;
            }
            *s = saved;
        }
        if (last) break;
    }
    struct stat sb;
    if (stat(p, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
        sl_err_set(err, SL_EIO, "%s exists and is not a directory", p);
        sl_free(p);
        return -1;
    }
    sl_free(p);
    return 0;
}

int sl_fs_mkdirs(const char *path, sl_err *err) { return sl_fs_mkdirs_mode(path, 0755, err); }

int sl_fs_mkdirs_private(const char *path, sl_err *err) { return sl_fs_mkdirs_mode(path, 0700, err); }

static int sl_fs_fsync_open(const char *path, int flags, const char *what, sl_err *err)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0) return sl_fs_errno(err, errno, "cannot open", path);
    if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS) {
        int e = errno;
        close(fd);
        return sl_fs_errno(err, e, what, path);
    }
    close(fd);
    return 0;
}

int sl_fs_fsync_dir(const char *path, sl_err *err)
{
    return sl_fs_fsync_open(path, O_RDONLY | O_DIRECTORY, "cannot fsync directory", err);
}

int sl_fs_fsync_file(const char *path, sl_err *err)
{
    return sl_fs_fsync_open(path, O_RDONLY, "cannot fsync", err);
}

/* Removes everything inside the directory open as dfd (closes dfd). */
static int sl_fs_rm_contents(int dfd, const char *path, sl_err *err)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        int e = errno;
        close(dfd);
        return sl_fs_errno(err, e, "cannot read directory", path);
    }
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        if (unlinkat(dirfd(d), de->d_name, 0) == 0 || errno == ENOENT) continue;
        if (errno != EISDIR && errno != EPERM) {
            char *child = sl_fs_join(path, de->d_name);
            rc = sl_fs_errno(err, errno, "cannot remove", child);
            sl_free(child);
            break;
        }
        int cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        char *child = sl_fs_join(path, de->d_name);
        if (cfd < 0) {
            rc = sl_fs_errno(err, errno, "cannot open directory", child);
        } else if ((rc = sl_fs_rm_contents(cfd, child, err)) == 0 &&
                   unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
            rc = sl_fs_errno(err, errno, "cannot remove directory", child);
        }
        sl_free(child);
        if (rc) break;
    }
    closedir(d);
    return rc;
}

int sl_fs_rmtree(const char *path, sl_err *err)
{
    struct stat sb;
    if (lstat(path, &sb) < 0) {
        if (errno == ENOENT) return 0;
        return sl_fs_errno(err, errno, "cannot stat", path);
    }
    if (!S_ISDIR(sb.st_mode)) {
        if (unlink(path) < 0 && errno != ENOENT) return sl_fs_errno(err, errno, "cannot remove", path);
        return 0;
    }
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) return errno == ENOENT ? 0 : sl_fs_errno(err, errno, "cannot open directory", path);
    if (sl_fs_rm_contents(dfd, path, err) < 0) return -1;
    if (rmdir(path) < 0 && errno != ENOENT) return sl_fs_errno(err, errno, "cannot remove directory", path);
    return 0;
}

int sl_fs_write_atomic(const char *path, const void *data, size_t len, sl_err *err)
{
    char *dir = sl_fs_dirname(path);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *tmp = sl_sprintf("%s/.%s.tmp", dir, base);
    int rc = -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        sl_fs_errno(err, errno, "cannot create", tmp);
        goto out;
    }
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            sl_fs_errno(err, errno, "cannot write", tmp);
            close(fd);
            unlink(tmp);
            goto out;
        }
        p += n;
        left -= (size_t)n;
    }
    if (fsync(fd) < 0) {
        sl_fs_errno(err, errno, "cannot fsync", tmp);
        close(fd);
        unlink(tmp);
        goto out;
    }
    close(fd);
    if (rename(tmp, path) < 0) {
        sl_fs_errno(err, errno, "cannot rename to", path);
        unlink(tmp);
        goto out;
    }
    rc = sl_fs_fsync_dir(dir, err);
out:
    sl_free(tmp);
    sl_free(dir);
    return rc;
}

char *sl_fs_read_all(const char *path, size_t *len, sl_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        sl_fs_errno(err, errno, "cannot open", path);
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = sl_malloc(cap + 1);
    for (;;) {
        if (n == cap) buf = sl_realloc(buf, (cap *= 2) + 1);
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            sl_fs_errno(err, errno, "cannot read", path);
            sl_free(buf);
            close(fd);
            return NULL;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

int sl_fs_file_crc32(const char *path, uint32_t *crc, uint64_t *size, sl_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return sl_fs_errno(err, errno, "cannot open", path);
    static const size_t chunk = 1 << 20;
    unsigned char *buf = sl_malloc(chunk);
    uLong c = crc32(0L, Z_NULL, 0);
    uint64_t total = 0;
    for (;;) {
        ssize_t r = read(fd, buf, chunk);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            sl_free(buf);
            close(fd);
            return sl_fs_errno(err, e, "cannot read", path);
        }
        if (r == 0) break;
        c = crc32(c, buf, (uInt)r);
        total += (uint64_t)r;
    }
    sl_free(buf);
    close(fd);
    if (crc) *crc = (uint32_t)c;
    if (size) *size = total;
    return 0;
}

bool sl_fs_exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

bool sl_fs_is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

char *sl_fs_join(const char *a, const char *b)
{
    size_t la = strlen(a);
    if (la && a[la - 1] == '/') return sl_sprintf("%s%s", a, b);
    return sl_sprintf("%s/%s", a, b);
}

char *sl_fs_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return sl_strdup(".");
    if (slash == path) return sl_strdup("/");
    return sl_strndup(path, (size_t)(slash - path));
}

const char *sl_fs_hostname(char *buf, size_t size)
{
    if (gethostname(buf, size) < 0 || !buf[0]) snprintf(buf, size, "unknown");
    buf[size - 1] = '\0';
    return buf;
}
