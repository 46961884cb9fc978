/*
 * sl_out.c - the buffered output object and its backends: a POSIX file, a
 * file written with direct I/O, and a memory buffer. Disk-full is reported
 * as SL_ENOSPACE so a run can tell the user to free space and resume.
 */
#define _GNU_SOURCE   /* O_DIRECT */
#include "sl_out.h"

#include "sl_alloc.h"
#include "sl_crc32.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

/* ---- direct I/O: data files that are written once and read later ----
 *
 * A lake's data file is fsynced before it is published anyway, so the page
 * cache buys it nothing; copying hundreds of megabytes into it is the
 * largest kernel cost of an extraction (and each page cache page is a fresh
 * page to fault in). With O_DIRECT the bytes go from an aligned staging
 * buffer of our own, reused for the whole file, to the device. Offsets,
 * lengths and the buffer are aligned to SL_DIO_ALIGN; a flush writes the
 * partial last block padded with zeros and truncates the file to its true
 * length (the tail stays in the buffer, so later writes rewrite that block).
 * A file system without direct I/O (tmpfs) refuses it at open or at the
 * first write with EINVAL: the file then goes on with ordinary writes. */
#define SL_DIO_ALIGN 4096
#define SL_DIO_BUFFER (1024 * 1024)

typedef struct sl_dio {
    int fd;
    char *buf;      /* SL_DIO_BUFFER bytes, aligned */
    size_t len;     /* bytes in buf; they belong at file offset off */
    off_t off;      /* a multiple of SL_DIO_ALIGN */
} sl_dio;

static int sl_dio_pwrite(sl_out *o, sl_dio *d, size_t n, sl_err *err)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = pwrite(d->fd, d->buf + done, n - done, d->off + (off_t)done);
        if (w < 0 && errno == EINVAL && (fcntl(d->fd, F_GETFL) & O_DIRECT)) {
            int fl = fcntl(d->fd, F_GETFL);
            if (fcntl(d->fd, F_SETFL, fl & ~O_DIRECT) == 0) continue;   /* ordinary writes from here on */
        }
        if (w < 0) {
            if (errno == EINTR) continue;
            return sl_file_err(o, "cannot write", err);
        }
        done += (size_t)w;
    }
    return 0;
}

static int sl_dio_write(sl_out *o, const void *p, size_t n, sl_err *err)
{
    sl_dio *d = o->backend;
    const char *c = p;
    while (n > 0) {
        size_t k = SL_DIO_BUFFER - d->len < n ? SL_DIO_BUFFER - d->len : n;
        memcpy(d->buf + d->len, c, k);
        d->len += k;
        c += k;
        n -= k;
        if (d->len == SL_DIO_BUFFER) {
            if (sl_dio_pwrite(o, d, SL_DIO_BUFFER, err) < 0) return -1;
            d->off += SL_DIO_BUFFER;
            d->len = 0;
        }
    }
    return 0;
}

static int sl_dio_flush(sl_out *o, bool sync, sl_err *err)
{
    sl_dio *d = o->backend;
    if (d->len > 0) {
        size_t whole = d->len / SL_DIO_ALIGN * SL_DIO_ALIGN;
        size_t padded = (d->len + SL_DIO_ALIGN - 1) / SL_DIO_ALIGN * SL_DIO_ALIGN;
        memset(d->buf + d->len, 0, padded - d->len);
        if (sl_dio_pwrite(o, d, padded, err) < 0) return -1;
        if (ftruncate(d->fd, d->off + (off_t)d->len) < 0) return sl_file_err(o, "cannot truncate", err);
        /* whole blocks are on disk for good; the partial one stays here */
        memmove(d->buf, d->buf + whole, d->len - whole);
        d->off += (off_t)whole;
        d->len -= whole;
    }
    if (sync && fsync(d->fd) < 0) return sl_file_err(o, "cannot fsync", err);
    return 0;
}

static int sl_dio_close(sl_out *o, sl_err *err)
{
    sl_dio *d = o->backend;
    int rc = close(d->fd) < 0 ? sl_file_err(o, "cannot close", err) : 0;
    free(d->buf);
    sl_free(d);
    return rc;
}

static const sl_out_ops sl_dio_ops = { sl_dio_write, sl_dio_flush, sl_dio_close };

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

static int sl_out_create(const char *path, int flags, sl_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | flags, 0644);
    if (fd < 0 && flags && errno == EINVAL) fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        sl_err_set(err, e == ENOSPC ? SL_ENOSPACE : SL_EIO, "cannot create %s: %s%s", path, strerror(e),
                   e == EACCES || e == EROFS ? " (check the target directory's permissions)" : "");
    }
    return fd;
}

sl_out *sl_out_open_file(const char *path, sl_err *err)
{
    int fd = sl_out_create(path, 0, err);
    return fd < 0 ? NULL : sl_out_new(&sl_file_ops, (void *)(intptr_t)fd, path);
}

sl_out *sl_out_open_file_direct(const char *path, sl_err *err)
{
    int fd = sl_out_create(path, O_DIRECT, err);
    if (fd < 0) return NULL;
    sl_dio *d = sl_calloc(1, sizeof *d);
    d->fd = fd;
    if (posix_memalign((void **)&d->buf, SL_DIO_ALIGN, SL_DIO_BUFFER) != 0) {
        fprintf(stderr, "sluice: out of memory (asked for %d bytes)\n", SL_DIO_BUFFER);
        abort();
    }
    return sl_out_new(&sl_dio_ops, d, path);
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
