/*
 * sl_buf.c - growth of sl_buf (doubling, aborting on out-of-memory) and the
 * text appenders of sl_buf.h (formatted, quoted, JSON strings).
 */
#include "sl_buf.h"

#include "sl_alloc.h"

#include <stdarg.h>
#include <stdio.h>

void sl_buf_reserve(sl_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra) cap *= 2;
    b->data = sl_realloc(b->data, cap);
    b->cap = cap;
}

void sl_buf_free(sl_buf *b)
{
    sl_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void sl_buf_printf(sl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0) return;
    sl_buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sl_buf_quoted(sl_buf *b, const char *text, char quote)
{
    sl_buf_push(b, (uint8_t)quote);
    for (const char *p = text; *p; p++) {
        if (*p == quote) sl_buf_push(b, (uint8_t)quote);
        sl_buf_push(b, (uint8_t)*p);
    }
    sl_buf_push(b, (uint8_t)quote);
}

const char *sl_buf_cstr(sl_buf *b)
{
    sl_buf_reserve(b, 1);
    b->data[b->len] = '\0';
    return (const char *)b->data;
}

void sl_buf_json_str(sl_buf *b, const void *data, size_t n)
{
    const unsigned char *p = data;
    sl_buf_push(b, '"');
    for (size_t i = 0; i < n; i++) {
        switch (p[i]) {
        case '"': sl_buf_append(b, "\\\"", 2); break;
        case '\\': sl_buf_append(b, "\\\\", 2); break;
        case '\n': sl_buf_append(b, "\\n", 2); break;
        case '\r': sl_buf_append(b, "\\r", 2); break;
        case '\t': sl_buf_append(b, "\\t", 2); break;
        default:
            if (p[i] < 0x20 || p[i] == 0x7f) sl_buf_printf(b, "\\u%04x", p[i]);
            else sl_buf_push(b, p[i]);
        }
    }
    sl_buf_push(b, '"');
}
