/*
 * sl_utf8.c - UTF-8 validation (see sl_utf8.h): an ASCII fast path over
 * 16 bytes at a time (SSE2 where the compiler has it, else two 64-bit
 * words), and the Unicode well-formed byte sequences table for everything
 * else.
 */
#include "sl_utf8.h"

#include <stdio.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Index of the first byte >= 0x80 among p[0..16), 16 when there is none. */
static inline size_t sl_utf8_high16(const uint8_t *p)
{
#ifdef __SSE2__
    unsigned mask = (unsigned)_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)p));
    return (size_t)__builtin_ctz(mask | 0x10000u);
#else
    uint64_t a, b;
    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    if (!((a | b) & 0x8080808080808080ULL)) return 16;
    size_t k = 0;
    while (p[k] < 0x80) k++;
    return k;
#endif
}

/* Bytes of the ASCII run at the start of p[0..n), 16 at a time; the tail
 * of a value of 16 bytes or more is one more 16-byte check that overlaps
 * bytes already known to be ASCII. */
static inline size_t sl_utf8_ascii_run(const uint8_t *p, size_t n)
{
    size_t i = 0;
    if (n >= 16) {
        for (; n - i >= 16; i += 16) {
            size_t k = sl_utf8_high16(p + i);
            if (k < 16) return i + k;
        }
        return i == n ? n : n - 16 + sl_utf8_high16(p + n - 16);
    }
    if (n >= 8) {
        uint64_t a;
        memcpy(&a, p, 8);
        if (!(a & 0x8080808080808080ULL)) i = 8;
    }
    while (i < n && p[i] < 0x80) i++;
    return i;
}

size_t sl_utf8_check(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        i += sl_utf8_ascii_run(p + i, n - i);
        /* Non-ASCII characters, one after another (CJK text stays here). */
        while (i < n && p[i] >= 0x80) {
            /* A lead byte: its length and the range allowed for the second
             * byte (narrowed for overlongs, surrogates and > U+10FFFF). */
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
