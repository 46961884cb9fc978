/*
 * sl_text_value.h - strict parsers of values written as text, shared by the
 * csv source (every value), the sqlite source (dates, timestamps and
 * decimals stored as text) and the Parquet reader's filter constants. Pure functions over (pointer, length); no
 * allocation, no locale, no NUL terminator needed. Each returns 0 on success
 * and -1 when the text is not exactly a value of that type (no trimming).
 * sl_text_store parses into a batch vector (csv fields, the parquet source's
 * hive partition values); it grows the vector's heap for var width values.
 *
 * Accepted forms:
 *   int64      [+-]digits, within int64
 *   float64    [+-](digits[.digits]|.digits)([eE][+-]digits)?, NaN, Inf,
 *              Infinity (any case); correctly rounded (strtod); a number
 *              beyond float64's range (1e400) or that would round to zero
 *              (1e-400) is -1, not Infinity or 0.
 *              sl_text_float64_exact() says whether the double d parsed
 *              from p is the very number written (true for 0.1, which
 *              reads back as 0.1; false for 12345678901234567, which
 *              becomes 12345678901234568): no digit is lost
 *   decimal    [+-]digits[.digits]([eE][+-]digits)? converted exactly to the
 *              unscaled integer at `scale`; -1 when it has non-zero digits
 *              beyond the scale or more than `precision` digits (*why says
 *              which)
 *   date       YYYY-MM-DD (year 0000-9999), a real calendar day
 *   time       HH:MM[:SS[.f{1,6}]], 00:00:00 .. 24:00:00
 *   timestamp  date, optionally followed by [T or space] time and a zone
 *              (Z, ±HH, ±HH:MM, ±HHMM, with an optional space before it);
 *              the result is µs since the epoch in UTC when a zone is given
 *              (*has_zone = true), else the wall-clock time as written
 *   bool       true/false, t/f, yes/no, y/n, on/off, 1/0 (any case)
 *   uuid       8-4-4-4-12 hex digits, or 32 hex digits
 */
#ifndef SL_TEXT_VALUE_H
#define SL_TEXT_VALUE_H

#include "sl_types.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int sl_text_int64(const char *p, size_t n, int64_t *out);
int sl_text_float64(const char *p, size_t n, double *out);
bool sl_text_float64_exact(const char *p, size_t n, double d);
int sl_text_decimal(const char *p, size_t n, int precision, int scale, sl_i128 *out, const char **why);
int sl_text_date(const char *p, size_t n, int32_t *days);
int sl_text_time(const char *p, size_t n, int64_t *micros);
int sl_text_timestamp(const char *p, size_t n, int64_t *micros, bool *has_zone);
int sl_text_bool(const char *p, size_t n, bool *out);
int sl_text_uuid(const char *p, size_t n, uint8_t out[16]);

/* Parses text as the type of v and stores it as v's value at row (var width
 * types take the bytes as they are). -1 when it is not a value of the type;
 * *why is then a reason ("out of range for int16") or NULL. */
int sl_text_store(sl_vector *v, size_t row, const char *p, size_t n, const char **why);

#endif
