/*
 * fuzz_csv.c - libFuzzer target for the csv source's input layer (plain,
 * gzip, zstd: sl_csv_input.c), the CSV record parser and the text value
 * parsers. The first byte picks the delimiter and the piece size; the rest
 * is a file, decoded as the csv source does with compression "auto" (gzip
 * or zstd by its magic bytes, so seeds may be whole, cut, concatenated or
 * padded .gz / .zst files), read in pieces of that size, then streamed
 * through sl_csv_parse() the way the csv source does (incomplete records
 * are retried with more bytes: `chunk`, or twice the unparsed span).
 * Checks: no crash; a decoding error names the file; every record consumes
 * bytes; fields lie inside the record text; the values parsers accept or
 * reject every field without crashing.
 * Seeds: fuzz/seeds/fuzz_csv/.
 */
#define _GNU_SOURCE
#include "core/sl_alloc.h"
#include "core/sl_buf.h"
#include "core/sl_log.h"
#include "sources/sl_csv_input.h"
#include "sources/sl_csv_parse.h"
#include "core/sl_text_value.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FUZZ_DECODED_MAX (1u << 16)   /* as much as -max_len gives plain input */

static void values(const char *p, size_t n)
{
    int64_t i;
    double d;
    sl_i128 dec;
    const char *why;
    int32_t day;
    bool b, zone;
    uint8_t u[16];
    sl_text_int64(p, n, &i);
    sl_text_float64(p, n, &d);
    sl_text_decimal(p, n, 38, 10, &dec, &why);
    sl_text_decimal(p, n, 5, 0, &dec, &why);
    sl_text_date(p, n, &day);
    sl_text_time(p, n, &i);
    sl_text_timestamp(p, n, &i, &zone);
    sl_text_bool(p, n, &b);
    sl_text_uuid(p, n, u);
}

/* The file's decoded bytes (at most FUZZ_DECODED_MAX), read `chunk` at a
 * time through a memfd, as the csv source reads a file. */
static void decode(const uint8_t *data, size_t size, size_t chunk, sl_buf *out)
{
    int fd = memfd_create("fuzz_csv", MFD_CLOEXEC);
    if (fd < 0) abort();
    for (size_t done = 0; done < size;) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) abort();
        done += (size_t)w;
    }
    if (lseek(fd, 0, SEEK_SET) != 0) abort();
    sl_csv_in in;
    sl_err err = SL_ERR_INIT;
    if (sl_csv_in_open_fd(&in, fd, "input-file", "auto", &err) < 0) abort();
    for (;;) {
        sl_buf_reserve(out, chunk);
        long got = sl_csv_in_read(&in, out->data + out->len, chunk, &err);
        if (got < 0 && !strstr(err.msg, "input-file")) abort();   /* errors name the file */
        if (got <= 0) break;
        if ((size_t)got > chunk) abort();
        out->len += (size_t)got;
        if (out->len > FUZZ_DECODED_MAX) break;
    }
    sl_csv_in_close(&in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static const char delims[] = { ',', ';', '\t', '|' };
    char delim = delims[data[0] & 3];
    size_t chunk = (size_t)(data[0] >> 2) + 1;   /* bytes added per refill */
    sl_buf text = {0};
    decode(data + 1, size - 1, chunk, &text);
    data = text.data;
    size = text.len;
    sl_csv_rec rec = {0};
    sl_err err = SL_ERR_INIT;
    size_t pos = 0, avail = size < chunk ? size : chunk;
    for (;;) {
        bool eof = avail == size;
        size_t used = 0;
        int rc = sl_csv_parse(delim, data + pos, avail - pos, eof, &rec, &used, &err);
        if (rc == 0) {
            if (eof) break;
            /* The unparsed span grows by `chunk` or doubles, whichever is more, as
             * the csv source's buffer does: a long record is not re-parsed once
             * per `chunk` bytes (quadratic, which made slow units of 64 KiB
             * unterminated quotes). */
            size_t more = avail - pos > chunk ? avail - pos : chunk;
            avail = avail + more > size ? size : avail + more;
            continue;
        }
        if (used == 0 || used > avail - pos) abort();
        if (rc == 1) {
            for (int f = 0; f < rec.nfields; f++) {
                if (rec.fields[f].off + rec.fields[f].len > rec.text.len) abort();
                values((const char *)rec.text.data + rec.fields[f].off, rec.fields[f].len);
            }
        }
        sl_err_clear(&err);
        pos += used;
    }
    sl_csv_rec_free(&rec);
    sl_buf_free(&text);
    return 0;
}
