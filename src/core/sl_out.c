/*
 * sl_out.c - the buffered output object and its two backends: a POSIX file
 * and a memory buffer. Disk-full is reported as SL_ENOSPACE so a run can
 * tell the user to free space and resume.
 */
#include "sl_out.h"

#include "sl_alloc.h"
#include "sl_crc32.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define SL_OUT_BUFFER (256 * 1024)

static int sl_file_err(sl_out *o, const char *what, sl_err *err)
{
    int e = errno;
    return sl_err_set(err, e == ENOSPC || e == EDQUOT ? SL_ENOSPACE : SL_EIO,
                      "%s %s: %s%s", what, o->name, strerror(e),
                      e == ENOSPC || e == EDQUOT ? " (free space on the target, then run again to resume)" : "");
}

static int sl_file_write(sl_out *o, const void *p, size_t n, sl_err *err)
{
    int fd = (int)(intptr_t)o->backend;
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return sl_file_err(o, "cannot write", err);
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int sl_file_flush(sl_out *o, bool sync, sl_err *err)
{
    if (sync && fsync((int)(intptr_t)o->backend) < 0) return sl_file_err(o, "cannot fsync", err);
    return 0;
}

static int sl_file_close(sl_out *o, sl_err *err)
{
    if (close((int)(intptr_t)o->backend) < 0) return sl_file_err(o, "cannot close", err);
    return 0;
}

static const sl_out_ops sl_file_ops = { sl_file_write, sl_file_flush, sl_file_close };

static int sl_mem_write(sl_out *o, const void *p, size_t n, sl_err *err)
{
    (void)err;
    sl_buf_append(o->backend, p, n);
    return 0;
}

static int sl_mem_flush(sl_out *o, bool sync, sl_err *err)
{
    (void)o; (void)sync; (void)err;
    return 0;
}

static int sl_mem_close(sl_out *o, sl_err *err)
{
    (void)o; (void)err;
    return 0;
}

static const sl_out_ops sl_mem_ops = { sl_mem_write, sl_mem_flush, sl_mem_close };

sl_out *sl_out_new(const sl_out_ops *ops, void *backend, const char *name)
{
    sl_out *o = sl_calloc(1, sizeof *o);
    o->ops = ops;
    o->backend = backend;
    o->name = sl_strdup(name);
    o->crc = 0;   /* CRC-32 of nothing */
    return o;
}

sl_out *sl_out_open_file(const char *path, sl_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        sl_err_set(err, e == ENOSPC ? SL_ENOSPACE : SL_EIO, "cannot create %s: %s%s", path, strerror(e),
                   e == EACCES || e == EROFS ? " (check the target directory's permissions)" : "");
        return NULL;
    }
    return sl_out_new(&sl_file_ops, (void *)(intptr_t)fd, path);
}

sl_out *sl_out_open_buf(sl_buf *target)
{
    return sl_out_new(&sl_mem_ops, target, "memory");
}

static void sl_out_drain(sl_out *o)
{
    if (o->failed || o->pending.len == 0) return;
    if (o->ops->write(o, o->pending.data, o->pending.len, &o->err) < 0) o->failed = true;
    o->pending.len = 0;
}

void sl_out_write(sl_out *o, const void *p, size_t n)
{
    if (o->failed || n == 0) return;
    o->crc = sl_crc32(o->crc, p, n);
    o->bytes += n;
    if (o->pending.len + n > SL_OUT_BUFFER) {
        sl_out_drain(o);
        if (n >= SL_OUT_BUFFER) {
            if (!o->failed && o->ops->write(o, p, n, &o->err) < 0) o->failed = true;
            return;
        }
    }
    sl_buf_append(&o->pending, p, n);
}

int sl_out_flush(sl_out *o, bool sync, sl_err *err)
{
    sl_out_drain(o);
    if (!o->failed && o->ops->flush(o, sync, &o->err) < 0) o->failed = true;
    if (o->failed) {
        if (err) *err = o->err;
        return -1;
    }
    return 0;
}

int sl_out_close(sl_out *o, bool sync, sl_err *err)
{
    int rc = sl_out_flush(o, sync, err);
    sl_err cerr = SL_ERR_INIT;
    if (o->ops->close(o, &cerr) < 0 && rc == 0) {
        if (err) *err = cerr;
        rc = -1;
    }
    sl_buf_free(&o->pending);
    sl_free(o->name);
    sl_free(o);
    return rc;
}

void sl_out_abort(sl_out *o)
{
    if (!o) return;
    sl_err ignored = SL_ERR_INIT;
    o->ops->close(o, &ignored);
    sl_buf_free(&o->pending);
    sl_free(o->name);
    sl_free(o);
}
