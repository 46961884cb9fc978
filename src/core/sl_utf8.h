/*
 * sl_utf8.h - the one UTF-8 validator: every string value that enters
 * sluice (csv fields, SQLite TEXT, PostgreSQL text) is checked with it
 * before it can reach a Parquet STRING or JSON column, whose readers refuse
 * a whole file for one ill-formed value.
 *
 * Well-formed means the Unicode standard's table 3-7: no overlong forms
 * (C0, C1, E0 80..9F, F0 80..8F), no surrogates U+D800..DFFF (ED A0..BF), no
 * code point above U+10FFFF (F4 90.., F5..FF), no stray continuation byte,
 * no sequence cut short. NUL (U+0000) is well-formed.
 *
 * Speed: ASCII is checked 16 bytes at a time (SSE2's byte sign mask, else
 * two 64-bit words tested against 0x80 in every byte); only bytes >= 0x80
 * go through the per-sequence check. No allocation.
 *
 *   size_t bad = sl_utf8_check(p, n);      // n when all of p is well-formed
 *   if (bad != n) sl_utf8_describe(p, n, bad, msg, sizeof msg);
 */
#ifndef SL_UTF8_H
#define SL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Offset of the first byte of the first ill-formed sequence in p[0..n), or
 * n when all of it is well-formed UTF-8. */
size_t sl_utf8_check(const uint8_t *p, size_t n);

/* For error messages: "invalid UTF-8 at byte 4 of the value (0xe9 0x74),
 * after 'caf'" into buf (the bytes shown in hex, never raw, so the message
 * itself stays valid UTF-8). Returns buf. */
const char *sl_utf8_describe(const uint8_t *p, size_t n, size_t bad, char *buf, size_t size);

#endif
