/*
 * sl_csv_input.c - the bytes of one CSV file, plain, gzip or zstd (see
 * sl_csv_input.h).
 *
 * Both decoders read the file through one buffer (zbuf) whose file offset
 * is kept, so every error can say where in the file it happened. gzip is
 * decoded with zlib's inflate, not gzread: gzread takes a cut-off stream
 * for a short file, skips trailing garbage without a word, and names a
 * descriptor ("<fd:11>") instead of the file in its messages.
 */
#include "sl_csv_input.h"

#include "../core/sl_alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum { SL_CSV_PLAIN, SL_CSV_GZIP, SL_CSV_ZSTD };

#define SL_CSV_ZBUF (256u * 1024)

static int sl_csv_in_kind(int fd, const char *name, const char *compression, int *kind, sl_err *err)
{
    *kind = SL_CSV_PLAIN;
    if (!compression || !strcasecmp(compression, "auto")) {
        size_t n = strlen(name);
        uint8_t magic[4] = {0};
        ssize_t got = pread(fd, magic, 4, 0);
        if ((n > 3 && !strcasecmp(name + n - 3, ".gz")) || (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b))
            *kind = SL_CSV_GZIP;
        else if ((n > 4 && !strcasecmp(name + n - 4, ".zst")) ||
                 (got == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd))
            *kind = SL_CSV_ZSTD;
    } else if (!strcasecmp(compression, "gzip") || !strcasecmp(compression, "gz")) {
        *kind = SL_CSV_GZIP;
    } else if (!strcasecmp(compression, "zstd") || !strcasecmp(compression, "zst")) {
        *kind = SL_CSV_ZSTD;
    } else if (strcasecmp(compression, "none")) {
        return sl_err_set(err, SL_EJOB, "unknown compression '%s' for csv; use auto, none, gzip or zstd", compression);
    }
    return 0;
}

int sl_csv_in_open_fd(sl_csv_in *in, int fd, const char *name, const char *compression, sl_err *err)
{
    memset(in, 0, sizeof *in);
    in->fd = -1;
    in->path = name;
    if (sl_csv_in_kind(fd, name, compression, &in->kind, err) < 0) {
        close(fd);
        return -1;
    }
    in->fd = fd;
    if (in->kind == SL_CSV_PLAIN) return 0;
    in->zcap = SL_CSV_ZBUF;
    in->zbuf = sl_malloc(in->zcap);
    if (in->kind == SL_CSV_GZIP) {
        if (inflateInit2(&in->gz, 16 + MAX_WBITS) != Z_OK) {   /* 16: gzip wrapper only */
            sl_csv_in_close(in);
            return sl_err_set(err, SL_EINTERNAL, "%s: cannot start a gzip decoder", name);
        }
        in->gz_ready = true;
    } else {
        in->zs = ZSTD_createDStream();
        ZSTD_initDStream(in->zs);
        in->in_unit = true;   /* a zstd file holds at least one frame: 0 bytes is cut short */
    }
    return 0;
}

int sl_csv_in_open(sl_csv_in *in, const char *path, const char *compression, sl_err *err)
{
    memset(in, 0, sizeof *in);
    in->fd = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sl_err_set(err, errno == ENOENT ? SL_ESOURCE : SL_EIO, "cannot open %s: %s", path, strerror(errno));
    return sl_csv_in_open_fd(in, fd, path, compression, err);
}

static long sl_csv_in_read_fd(sl_csv_in *in, uint8_t *buf, size_t n, sl_err *err)
{
    for (;;) {
        ssize_t got = read(in->fd, buf, n);
        if (got > 0) {
            in->raw_crc = (uint32_t)crc32(in->raw_crc, buf, (uInt)got);
            in->raw_bytes += (uint64_t)got;
        }
        if (got >= 0) return (long)got;
        if (errno != EINTR) return sl_err_set(err, SL_EIO, "reading %s: %s", in->path, strerror(errno));
    }
}

/* At least `want` undecoded bytes in zbuf, fewer only at the end of the file. */
static int sl_csv_in_want(sl_csv_in *in, size_t want, sl_err *err)
{
    while (in->zlen - in->zpos < want && !in->zeof) {
        if (in->zpos) {
            memmove(in->zbuf, in->zbuf + in->zpos, in->zlen - in->zpos);
            in->zoff += in->zpos;
            in->zlen -= in->zpos;
            in->zpos = 0;
        }
        long got = sl_csv_in_read_fd(in, in->zbuf + in->zlen, in->zcap - in->zlen, err);
        if (got < 0) return -1;
        if (got == 0) in->zeof = true;
        in->zlen += (size_t)got;
    }
    return 0;
}

static uint64_t sl_csv_in_offset(const sl_csv_in *in) { return in->zoff + in->zpos; }

static int sl_csv_in_cut_short(sl_csv_in *in, const char *what, sl_err *err)
{
    return sl_err_set(err, SL_EFORMAT,
                      "%s: the %s data ends unexpectedly at byte offset %llu (after %llu bytes of text): the file is "
                      "cut short; copy or compress it again",
                      in->path, what, (unsigned long long)sl_csv_in_offset(in), (unsigned long long)in->out_bytes);
}

static long sl_csv_in_gzip(sl_csv_in *in, uint8_t *buf, size_t n, sl_err *err)
{
    if (n > UINT_MAX) n = UINT_MAX;
    in->gz.next_out = buf;
    in->gz.avail_out = (uInt)n;
    while (in->gz.avail_out == n) {
        if (!in->in_unit) {
            /* Between members: the end of the file, or the magic of the next one. */
            if (sl_csv_in_want(in, 2, err) < 0) return -1;
            size_t left = in->zlen - in->zpos;
            if (left == 0 && in->seen_unit) return 0;
            if (left == 0) return sl_csv_in_cut_short(in, "gzip", err);
            if (left < 2 || in->zbuf[in->zpos] != 0x1f || in->zbuf[in->zpos + 1] != 0x8b) {
                if (!in->seen_unit)
                    return sl_err_set(err, SL_EFORMAT, "%s: not gzip data (no gzip header at byte offset 0)", in->path);
                return sl_err_set(err, SL_EFORMAT,
                                  "%s: the bytes after the end of the gzip data, from byte offset %llu, are not "
                                  "another gzip member (trailing garbage?); remove them",
                                  in->path, (unsigned long long)sl_csv_in_offset(in));
            }
            inflateReset(&in->gz);
            in->in_unit = in->seen_unit = true;
        }
        if (sl_csv_in_want(in, 1, err) < 0) return -1;
        if (in->zpos == in->zlen) return sl_csv_in_cut_short(in, "gzip", err);
        in->gz.next_in = in->zbuf + in->zpos;
        in->gz.avail_in = (uInt)(in->zlen - in->zpos);
        int rc = inflate(&in->gz, Z_NO_FLUSH);
        in->zpos = in->zlen - in->gz.avail_in;
        if (rc == Z_STREAM_END) {
            in->in_unit = false;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return sl_err_set(err, SL_EFORMAT, "%s: corrupt gzip data near byte offset %llu: %s", in->path,
                              (unsigned long long)sl_csv_in_offset(in), in->gz.msg ? in->gz.msg : "bad data");
        }
    }
    return (long)(n - in->gz.avail_out);
}

static long sl_csv_in_zstd(sl_csv_in *in, uint8_t *buf, size_t n, sl_err *err)
{
    ZSTD_outBuffer out = { buf, n, 0 };
    while (out.pos == 0) {
        /* After a full output the decoder may hold more: ask it before reading. */
        if (!in->zflush) {
            if (sl_csv_in_want(in, 1, err) < 0) return -1;
            if (in->zpos == in->zlen) {
                if (in->in_unit) return sl_csv_in_cut_short(in, "zstd", err);
                return 0;
            }
        }
        ZSTD_inBuffer zin = { in->zbuf, in->zlen, in->zpos };
        size_t rc = ZSTD_decompressStream(in->zs, &out, &zin);
        in->zpos = zin.pos;
        if (ZSTD_isError(rc))
            return sl_err_set(err, SL_EFORMAT, "%s: corrupt zstd data near byte offset %llu: %s", in->path,
                              (unsigned long long)sl_csv_in_offset(in), ZSTD_getErrorName(rc));
        in->in_unit = rc != 0;
        in->zflush = out.pos == out.size;
    }
    return (long)out.pos;
}

long sl_csv_in_read(sl_csv_in *in, uint8_t *buf, size_t n, sl_err *err)
{
    long got;
    if (n == 0) return 0;
    if (in->kind == SL_CSV_GZIP) got = sl_csv_in_gzip(in, buf, n, err);
    else if (in->kind == SL_CSV_ZSTD) got = sl_csv_in_zstd(in, buf, n, err);
    else got = sl_csv_in_read_fd(in, buf, n, err);
    if (got > 0) in->out_bytes += (uint64_t)got;
    return got;
}

void sl_csv_in_close(sl_csv_in *in)
{
    if (in->gz_ready) inflateEnd(&in->gz);
    if (in->zs) ZSTD_freeDStream(in->zs);
    sl_free(in->zbuf);
    if (in->fd >= 0) close(in->fd);
    memset(in, 0, sizeof *in);
    in->fd = -1;
}
