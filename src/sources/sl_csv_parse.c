/*
 * sl_csv_parse.c - one RFC 4180 record from a byte buffer (see sl_csv_parse.h).
 *
 * Unquoted fields are scanned for the next delimiter or line end and copied
 * in one piece; quoted fields are copied between quotes with memchr. Nothing
 * is allocated except rec's reusable arrays.
 */
#include "sl_csv_parse.h"

#include "../core/sl_alloc.h"

#include <string.h>

static void sl_csv_add(sl_csv_rec *rec, size_t off, bool quoted)
{
    if (rec->nfields == rec->cap) {
        rec->cap = rec->cap ? rec->cap * 2 : 16;
        rec->fields = sl_realloc(rec->fields, (size_t)rec->cap * sizeof *rec->fields);
    }
    sl_csv_field *f = &rec->fields[rec->nfields++];
    f->off = off;
    f->len = rec->text.len - off;
    f->quoted = quoted;
}

/* Line ends (LF, CRLF, lone CR) in p[0..n); the byte after p[n-1] is not a
 * LF (callers stop at a quote or the end of the input). */
static int64_t sl_csv_count_line_ends(const uint8_t *p, size_t n)
{
    int64_t c = 0;
    const uint8_t *end = p + n, *q = p;
    while (q < end && (q = memchr(q, '\n', (size_t)(end - q)))) c++, q++;
    for (q = p; q < end && (q = memchr(q, '\r', (size_t)(end - q))); q++)
        if (q + 1 == end || q[1] != '\n') c++;
    return c;
}

/* For error recovery: the end of the line containing position i (after its
 * line end), or 0 when it is beyond the buffer and more input may come. */
static size_t sl_csv_line_end(const uint8_t *p, size_t len, size_t i, bool eof, sl_csv_rec *rec)
{
    for (size_t j = i; j < len; j++) {
        if (p[j] == '\n') {
            rec->lines++;
            return j + 1;
        }
        if (p[j] == '\r') {
            if (j + 1 == len && !eof) return 0;   /* a LF may follow */
            rec->lines++;
            return j + 1 < len && p[j + 1] == '\n' ? j + 2 : j + 1;
        }
    }
    return eof ? len : 0;
}

int sl_csv_parse(char delim, const uint8_t *p, size_t len, bool eof, sl_csv_rec *rec, size_t *used,
                 sl_err *err)
{
    rec->nfields = 0;
    rec->lines = 0;
    sl_buf_clear(&rec->text);
    if (!rec->text.cap) sl_buf_reserve(&rec->text, 256);   /* text.data is never NULL */
    *used = 0;
    if (len == 0) return 0;
    const uint8_t d = (uint8_t)delim;
    /* A completely empty line. */
    if (p[0] == '\n') {
        *used = 1;
        rec->lines = 1;
        return 1;
    }
    if (p[0] == '\r') {
        if (len == 1 && !eof) return 0;   /* a LF may follow */
        *used = len > 1 && p[1] == '\n' ? 2 : 1;
        rec->lines = 1;
        return 1;
    }
    size_t i = 0;
    for (;;) {
        size_t off = rec->text.len;
        if (i < len && p[i] == '"') {
            i++;
            for (;;) {
                const uint8_t *q = i < len ? memchr(p + i, '"', len - i) : NULL;
                if (!q) {
                    if (!eof) return 0;
                    rec->lines += sl_csv_count_line_ends(p + i, len - i);
                    *used = len;
                    return sl_err_set(err, SL_EFORMAT, "unterminated quoted field (a quote opened and never closed)");
                }
                size_t qi = (size_t)(q - p);
                rec->lines += sl_csv_count_line_ends(p + i, qi - i);
                sl_buf_append(&rec->text, p + i, qi - i);
                i = qi + 1;
                if (i == len && !eof) return 0;   /* "" split across buffers? */
                if (i < len && p[i] == '"') {
                    sl_buf_push(&rec->text, '"');
                    i++;
                    continue;
                }
                break;
            }
            sl_csv_add(rec, off, true);
            if (i == len) break;
            if (p[i] == d) {
                i++;
                continue;
            }
            if (p[i] == '\n') {
                i++;
                rec->lines++;
                break;
            }
            if (p[i] == '\r') {
                if (i + 1 == len && !eof) return 0;   /* a LF may follow */
                i += i + 1 < len && p[i + 1] == '\n' ? 2 : 1;
                rec->lines++;
                break;
            }
            size_t end = sl_csv_line_end(p, len, i, eof, rec);
            if (!end) return 0;
            *used = end;
            return sl_err_set(err, SL_EFORMAT, "unexpected character after a closing quote in field %d",
                              rec->nfields);
        }
        /* Unquoted: up to the delimiter or the line end. */
        size_t j = i;
        while (j < len && p[j] != d && p[j] != '\n' && p[j] != '\r') j++;
        if (j == len && !eof) return 0;
        if (j + 1 == len && p[j] == '\r' && !eof) return 0;   /* a LF may follow */
        sl_buf_append(&rec->text, p + i, j - i);
        sl_csv_add(rec, off, false);
        if (j == len) {
            i = j;
            break;
        }
        if (p[j] == d) {
            i = j + 1;
            if (i == len && !eof) return 0;
            if (i == len) {
                /* "a," at the very end: one more empty field. */
                sl_csv_add(rec, rec->text.len, false);
                break;
            }
            continue;
        }
        if (p[j] == '\r') {
            i = j + 1 < len && p[j + 1] == '\n' ? j + 2 : j + 1;
            rec->lines++;
            break;
        }
        i = j + 1;   /* LF */
        rec->lines++;
        break;
    }
    *used = i;
    return 1;
}

void sl_csv_rec_free(sl_csv_rec *rec)
{
    sl_buf_free(&rec->text);
    sl_free(rec->fields);
    memset(rec, 0, sizeof *rec);
}
