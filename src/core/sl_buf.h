/*
 * sl_buf.h - a growable byte buffer (page bodies, encoded metadata, lines).
 *
 *   sl_buf b = {0}; sl_buf_append(&b, p, n); ... sl_buf_free(&b);
 * sl_buf_clear() keeps the memory for reuse. Text: sl_buf_printf appends
 * formatted text (any length), sl_buf_quoted a text between quote characters
 * with the quote character doubled inside (SQL: "ident", 'literal'),
 * sl_buf_json_str a JSON string (manifests, receipts, --json output), and
 * sl_buf_cstr NUL-terminates the contents (the NUL is not counted in len).
 */
#ifndef SL_BUF_H
#define SL_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct sl_buf {
    uint8_t *data;
    size_t len, cap;
} sl_buf;

void sl_buf_reserve(sl_buf *b, size_t extra);   /* room for `extra` more bytes */
void sl_buf_free(sl_buf *b);
static inline void sl_buf_clear(sl_buf *b) { b->len = 0; }
static inline void sl_buf_append(sl_buf *b, const void *p, size_t n)
{
    if (b->cap - b->len < n) sl_buf_reserve(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
}
static inline void sl_buf_push(sl_buf *b, uint8_t byte)
{
    if (b->cap == b->len) sl_buf_reserve(b, 1);
    b->data[b->len++] = byte;
}

/* Copies n bytes like memcpy, short values (most strings: names, notes,
 * codes) with a few overlapping word moves inline instead of a call. */
static inline void sl_copy_small(uint8_t *dst, const uint8_t *src, size_t n)
{
    if (n > 32) {
        memcpy(dst, src, n);
    } else if (n >= 16) {
        uint8_t a[16], b[16];
        memcpy(a, src, 16);
        memcpy(b, src + n - 16, 16);
        memcpy(dst, a, 16);
        memcpy(dst + n - 16, b, 16);
    } else if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, src, 8);
        memcpy(&b, src + n - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, src, 4);
        memcpy(&b, src + n - 4, 4);
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
    } else {
        for (size_t i = 0; i < n; i++) dst[i] = src[i];
    }
}

void sl_buf_printf(sl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sl_buf_quoted(sl_buf *b, const char *text, char quote);
const char *sl_buf_cstr(sl_buf *b);
/* p[0..n) as a JSON string, quotes included: '"' and '\\' escaped, control
 * characters as \n, \t, \r or \u00XX; other bytes as they are (the caller
 * hands over UTF-8). */
void sl_buf_json_str(sl_buf *b, const void *p, size_t n);

#endif
