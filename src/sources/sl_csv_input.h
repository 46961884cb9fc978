/*
 * sl_csv_input.h - the bytes of one CSV file: plain, gzip or zstd, read in
 * pieces. Used by the csv source (sl_source_csv.c) and fuzzed on its own
 * (fuzz/fuzz_csv.c).
 *
 *   sl_csv_in in;
 *   if (sl_csv_in_open(&in, path, "auto", &err) < 0) ...   // nothing to close on failure
 *   while ((n = sl_csv_in_read(&in, buf, cap, &err)) > 0) ...   // 0: the end, -1: err
 *   sl_csv_in_close(&in);
 *
 * Compression: "auto" (by the extension .gz / .zst, else by the magic bytes),
 * "none", "gzip", "zstd". A gzip file may hold several members (as `cat
 * a.gz b.gz` makes) and a zstd file several frames: all are read. Errors
 * name the file (never a descriptor) and the byte offset in it:
 *   - a stream that ends inside a member or frame (a file cut short, an
 *     empty file) is an error, never a short read taken for the end;
 *   - bytes after the last gzip member that do not start another member
 *     (trailing garbage, zero padding) are an error;
 *   - corrupt data is an error naming the decoder's reason.
 * The path is borrowed: it must outlive the reader.
 */
#ifndef SL_CSV_INPUT_H
#define SL_CSV_INPUT_H

#include "../core/sl_error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>
#include <zstd.h>

typedef struct sl_csv_in {
    int kind;                /* SL_CSV_PLAIN, SL_CSV_GZIP, SL_CSV_ZSTD (sl_csv_input.c) */
    int fd;
    const char *path;        /* for messages */
    /* compressed input: zbuf[zpos..zlen) read from the file, not yet decoded */
    uint8_t *zbuf;
    size_t zcap, zlen, zpos;
    uint64_t zoff;           /* file offset of zbuf[0] */
    bool zeof;               /* the file has no more bytes */
    uint64_t out_bytes;      /* decoded bytes handed out */
    uint64_t raw_bytes;      /* bytes read from the file (compressed, as stored) */
    uint32_t raw_crc;        /* CRC-32 of them: the file's content identity, computed on the way */
    bool in_unit;            /* inside a gzip member or zstd frame */
    bool seen_unit;          /* a gzip member was started */
    bool zflush;             /* zstd filled the last output: it may hold more */
    z_stream gz;
    bool gz_ready;
    ZSTD_DStream *zs;
} sl_csv_in;

/* Opens path; a bad compression name is SL_EJOB, a missing file SL_ESOURCE. */
int sl_csv_in_open(sl_csv_in *in, const char *path, const char *compression, sl_err *err);
/* The same over an open descriptor (taken over: closed by sl_csv_in_close,
 * or at once when this fails); name stands for the file in messages and for
 * the "auto" extension test. */
int sl_csv_in_open_fd(sl_csv_in *in, int fd, const char *name, const char *compression, sl_err *err);
/* Up to n decoded bytes into buf: their count, 0 at the end, -1 with err. */
long sl_csv_in_read(sl_csv_in *in, uint8_t *buf, size_t n, sl_err *err);
void sl_csv_in_close(sl_csv_in *in);

#endif
