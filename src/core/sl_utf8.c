/*
 * sl_utf8.c - UTF-8 validation (see sl_utf8.h): an ASCII fast path over
 * 16 bytes at a time, and the Unicode well-formed byte sequences table for
 * everything else.
 */
#include "sl_utf8.h"

#include <stdio.h>
#include <string.h>

#define SL_UTF8_HIGH 0x8080808080808080ULL

size_t sl_utf8_check(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        while (n - i >= 16) {
            uint64_t a, b;
            memcpy(&a, p + i, 8);
            memcpy(&b, p + i + 8, 8);
            if ((a | b) & SL_UTF8_HIGH) break;
            i += 16;
        }
        while (i < n && p[i] < 0x80) i++;
        if (i == n) break;
        /* A lead byte: its length and the range allowed for the second byte
         * (narrowed for overlongs, surrogates and > U+10FFFF). */
        const uint8_t c = p[i];
        size_t len;
        uint8_t lo = 0x80, hi = 0xbf;
        if (c < 0xc2) return i;            /* continuation byte, or overlong C0/C1 */
        if (c < 0xe0) {
            len = 2;
        } else if (c < 0xf0) {
            len = 3;
            if (c == 0xe0) lo = 0xa0;
            else if (c == 0xed) hi = 0x9f;
        } else if (c < 0xf5) {
            len = 4;
            if (c == 0xf0) lo = 0x90;
            else if (c == 0xf4) hi = 0x8f;
        } else {
            return i;
        }
        if (n - i < len || p[i + 1] < lo || p[i + 1] > hi) return i;
        for (size_t k = 2; k < len; k++)
            if ((p[i + k] & 0xc0) != 0x80) return i;
        i += len;
    }
    return n;
}

const char *sl_utf8_describe(const uint8_t *p, size_t n, size_t bad, char *buf, size_t size)
{
    if (!size) return buf;
    if (bad > n) bad = n;
    size_t at = 0;
    at += (size_t)snprintf(buf, size, "invalid UTF-8 at byte %zu of the value (", bad + 1);
    for (size_t k = 0; k < 4 && bad + k < n && at < size; k++)
        at += (size_t)snprintf(buf + at, size - at, "%s0x%02x", k ? " " : "", p[bad + k]);
    if (at < size) at += (size_t)snprintf(buf + at, size - at, ")");
    if (bad && at < size) {
        /* Up to 24 bytes before it, from a character boundary: enough to
         * find the value; control characters shown as '?'. */
        size_t from = bad > 24 ? bad - 24 : 0;
        while (from < bad && (p[from] & 0xc0) == 0x80) from++;
        at += (size_t)snprintf(buf + at, size - at, ", after '%s", from ? "..." : "");
        for (size_t k = from; k < bad && at + 1 < size; k++) buf[at++] = p[k] < 0x20 || p[k] == 0x7f ? '?' : (char)p[k];
        if (at < size) at += (size_t)snprintf(buf + at, size - at, "'");
    }
    if (at >= size) at = size - 1;
    buf[at] = '\0';
    return buf;
}
