/*
 * sl_text_value.c - strict text -> value parsers (see sl_text_value.h).
 */
#include "sl_text_value.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef unsigned __int128 sl_u128;

static sl_u128 sl_tv_pow10[39];

__attribute__((constructor)) static void sl_tv_init_pow10(void)
{
    sl_tv_pow10[0] = 1;
    for (int i = 1; i < 39; i++) sl_tv_pow10[i] = sl_tv_pow10[i - 1] * 10;
}

static inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

int sl_text_int64(const char *p, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (p[i] == '+' || p[i] == '-')) neg = p[i++] == '-';
    if (i == n) return -1;
    uint64_t acc = 0;
    const uint64_t max = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (!is_digit(p[i])) return -1;
        unsigned d = (unsigned)(p[i] - '0');
        if (acc > (max - d) / 10) return -1;
        acc = acc * 10 + d;
    }
    *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return 0;
}

/* Checks [+-](digits[.digits]|.digits)([eE][+-]digits)?; *has_exp, digit counts. */
static bool sl_tv_number_shape(const char *p, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (p[i] == '+' || p[i] == '-')) i++;
    while (i < n && is_digit(p[i])) i++, digits++;
    if (i < n && p[i] == '.') {
        i++;
        while (i < n && is_digit(p[i])) i++, digits++;
    }
    if (!digits) return false;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-')) i++;
        size_t ed = 0;
        while (i < n && is_digit(p[i])) i++, ed++;
        if (!ed) return false;
    }
    return i == n;
}

int sl_text_float64(const char *p, size_t n, double *out)
{
    char buf[512];
    if (n == 0 || n >= sizeof buf) return -1;
    const char *q = p;
    size_t m = n;
    bool neg = false;
    if (*q == '+' || *q == '-') {
        neg = *q == '-';
        q++;
        m--;
    }
    if ((m == 3 && !strncasecmp(q, "nan", 3))) {
        *out = __builtin_nan("");
        return 0;
    }
    if ((m == 3 && !strncasecmp(q, "inf", 3)) || (m == 8 && !strncasecmp(q, "infinity", 8))) {
        *out = neg ? -__builtin_inf() : __builtin_inf();
        return 0;
    }
    if (!sl_tv_number_shape(p, n)) return -1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    errno = 0;
    *out = strtod(buf, NULL);
    /* 1e400 is not Infinity, nor 1e-400 zero (subnormals are kept). */
    if (errno == ERANGE && (isinf(*out) || *out == 0)) return -1;
    return 0;
}

/* The significant digits of a number of shape sl_tv_number_shape into dig
 * (no leading or trailing zeros) and the power of ten that makes it the
 * value: p = 0.dig x 10^*exp. Returns the number of digits (at most n). */
static size_t sl_tv_sig_digits(const char *p, size_t n, char *dig, long *exp)
{
    size_t i = 0, nd = 0;
    long point = 0, e10 = 0;
    bool seen_point = false;
    if (i < n && (p[i] == '+' || p[i] == '-')) i++;
    for (; i < n && p[i] != 'e' && p[i] != 'E'; i++) {
        if (p[i] == '.') {
            seen_point = true;
        } else if (nd == 0 && p[i] == '0') {
            if (seen_point) point--;
        } else {
            dig[nd++] = p[i];
            if (!seen_point) point++;
        }
    }
    if (i < n) {
        bool eneg = p[++i] == '-';
        if (p[i] == '+' || p[i] == '-') i++;
        for (; i < n; i++)
            if (e10 < 100000) e10 = e10 * 10 + (p[i] - '0');
        if (eneg) e10 = -e10;
    }
    while (nd && dig[nd - 1] == '0') nd--;
    *exp = point + e10;
    return nd;
}

bool sl_text_float64_exact(const char *p, size_t n, double d)
{
    if (!isfinite(d) || !sl_tv_number_shape(p, n) || n >= 512) return true;
    char shortest[40], a[512], b[40];
    size_t m = sl_format_float(d, false, shortest);
    long ea, eb;
    size_t na = sl_tv_sig_digits(p, n, a, &ea), nb = sl_tv_sig_digits(shortest, m, b, &eb);
    return na == nb && (na == 0 || (ea == eb && !memcmp(a, b, na)));
}

int sl_text_decimal(const char *p, size_t n, int precision, int scale, sl_i128 *out, const char **why)
{
    static const char *const shape = "not a decimal number";
    *why = shape;
    if (!sl_tv_number_shape(p, n) || precision < 1 || precision > 38 || scale < 0 || scale > precision) return -1;
    size_t i = 0;
    bool neg = false;
    if (p[i] == '+' || p[i] == '-') neg = p[i++] == '-';
    size_t mant_start = i, mant_end = i;
    while (mant_end < n && p[mant_end] != 'e' && p[mant_end] != 'E') mant_end++;
    long exp = 0;
    if (mant_end < n) {
        size_t e = mant_end + 1;
        bool eneg = false;
        if (p[e] == '+' || p[e] == '-') eneg = p[e++] == '-';
        for (; e < n; e++) {
            if (exp < 100000) exp = exp * 10 + (p[e] - '0');
        }
        if (eneg) exp = -exp;
    }
    /* Digits and where the decimal point is. */
    long nfrac = 0, m = 0;
    bool seen_point = false;
    for (size_t j = mant_start; j < mant_end; j++) {
        if (p[j] == '.') { seen_point = true; continue; }
        m++;
        if (seen_point) nfrac++;
    }
    long base = exp - nfrac + scale;   /* power of ten of the last digit */
    const sl_u128 limit = sl_tv_pow10[precision];
    sl_u128 acc = 0;
    long idx = 0;
    for (size_t j = mant_start; j < mant_end; j++) {
        if (p[j] == '.') continue;
        idx++;
        unsigned d = (unsigned)(p[j] - '0');
        long k = (m - idx) + base;
        if (k < 0) {
            if (d) {
                *why = "more fractional digits than the column's scale";
                return -1;
            }
            continue;
        }
        if (acc > (limit - 1 - d) / 10) goto big;
        acc = acc * 10 + d;
    }
    for (long k = base; k > 0 && acc; k--) {
        if (acc > (limit - 1) / 10) goto big;
        acc *= 10;
    }
    *out = neg ? -(sl_i128)acc : (sl_i128)acc;
    return 0;
big:
    *why = "more digits than the column's precision";
    return -1;
}

static int sl_tv_num(const char *p, size_t len)
{
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(p[i])) return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

int sl_text_date(const char *p, size_t n, int32_t *days)
{
    if (n != 10 || p[4] != '-' || p[7] != '-') return -1;
    int y = sl_tv_num(p, 4), m = sl_tv_num(p + 5, 2), d = sl_tv_num(p + 8, 2);
    if (y < 0 || m < 1 || m > 12 || d < 1) return -1;
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int dim = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    if (d > dim) return -1;
    *days = (int32_t)sl_days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

/* HH:MM[:SS[.f{1,6}]] at the start of p; returns bytes used or -1. */
static long sl_tv_time_prefix(const char *p, size_t n, int64_t *micros)
{
    if (n < 5 || p[2] != ':') return -1;
    int h = sl_tv_num(p, 2), mi = sl_tv_num(p + 3, 2), s = 0;
    if (h < 0 || mi < 0) return -1;
    size_t i = 5;
    int64_t frac = 0;
    if (i < n && p[i] == ':') {
        if (n - i < 3 || (s = sl_tv_num(p + i + 1, 2)) < 0) return -1;
        i += 3;
        if (i < n && p[i] == '.') {
            i++;
            size_t fd = 0;
            while (i < n && is_digit(p[i]) && fd < 6) frac = frac * 10 + (p[i++] - '0'), fd++;
            if (fd == 0 || (i < n && is_digit(p[i]))) return -1;
            while (fd++ < 6) frac *= 10;
        }
    }
    if (mi > 59 || s > 59) return -1;
    if (h > 24 || (h == 24 && (mi || s || frac))) return -1;
    *micros = ((int64_t)h * 3600 + mi * 60 + s) * 1000000 + frac;
    return (long)i;
}

int sl_text_time(const char *p, size_t n, int64_t *micros)
{
    long used = sl_tv_time_prefix(p, n, micros);
    return used == (long)n ? 0 : -1;
}

int sl_text_timestamp(const char *p, size_t n, int64_t *micros, bool *has_zone)
{
    int32_t days;
    *has_zone = false;
    if (n < 10 || sl_text_date(p, 10, &days) < 0) return -1;
    int64_t tod = 0;
    size_t i = 10;
    if (i < n) {
        if (p[i] != 'T' && p[i] != ' ') return -1;
        i++;
        long used = sl_tv_time_prefix(p + i, n - i, &tod);
        if (used < 0) return -1;
        i += (size_t)used;
    }
    int64_t offset = 0;
    if (i < n && p[i] == ' ' && i + 1 < n && (p[i + 1] == '+' || p[i + 1] == '-' || p[i + 1] == 'Z')) i++;
    if (i < n) {
        if (p[i] == 'Z' && i + 1 == n) {
            *has_zone = true;
        } else if (p[i] == '+' || p[i] == '-') {
            int sign = p[i] == '-' ? -1 : 1;
            const char *z = p + i + 1;
            size_t zn = n - i - 1;
            int zh, zm = 0;
            if (zn == 2) {
                zh = sl_tv_num(z, 2);
            } else if (zn == 5 && z[2] == ':') {
                zh = sl_tv_num(z, 2);
                zm = sl_tv_num(z + 3, 2);
            } else if (zn == 4) {
                zh = sl_tv_num(z, 2);
                zm = sl_tv_num(z + 2, 2);
            } else {
                return -1;
            }
            if (zh < 0 || zm < 0 || zh > 15 || zm > 59) return -1;
            offset = sign * ((int64_t)zh * 3600 + zm * 60) * 1000000;
            *has_zone = true;
        } else {
            return -1;
        }
    }
    *micros = (int64_t)days * 86400000000LL + tod - offset;
    return 0;
}

int sl_text_bool(const char *p, size_t n, bool *out)
{
    static const struct { const char *s; bool v; } words[] = {
        {"true", 1}, {"false", 0}, {"t", 1}, {"f", 0}, {"yes", 1}, {"no", 0},
        {"y", 1}, {"n", 0}, {"on", 1}, {"off", 0}, {"1", 1}, {"0", 0},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i].s) == n && !strncasecmp(p, words[i].s, n)) {
            *out = words[i].v;
            return 0;
        }
    return -1;
}

static int sl_tv_hex(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int sl_text_uuid(const char *p, size_t n, uint8_t out[16])
{
    bool dashed = n == 36;
    if (n != 36 && n != 32) return -1;
    size_t j = 0;
    for (int b = 0; b < 16; b++) {
        if (dashed && (j == 8 || j == 13 || j == 18 || j == 23)) {
            if (p[j] != '-') return -1;
            j++;
        }
        int hi = sl_tv_hex(p[j]), lo = sl_tv_hex(p[j + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[b] = (uint8_t)(hi << 4 | lo);
        j += 2;
    }
    return 0;
}

int sl_text_store(sl_vector *v, size_t row, const char *p, size_t n, const char **why)
{
    *why = NULL;   /* NULL: simply not a value of the type */
    switch (v->type.id) {
    case SL_T_STRING:
    case SL_T_JSON:
    case SL_T_BYTES:
        sl_vec_set_bytes(v, row, p, n);
        return 0;
    case SL_T_BOOL: {
        bool b;
        if (sl_text_bool(p, n, &b) < 0) return -1;
        *(uint8_t *)sl_vec_slot(v, row) = b;
        return 0;
    }
    case SL_T_INT16:
    case SL_T_INT32:
    case SL_T_INT64: {
        int64_t x;
        if (sl_text_int64(p, n, &x) < 0) return -1;
        if (v->type.id == SL_T_INT16) {
            if (x < INT16_MIN || x > INT16_MAX) { *why = "out of range for int16"; return -1; }
            int16_t y = (int16_t)x;
            memcpy(sl_vec_slot(v, row), &y, 2);
        } else if (v->type.id == SL_T_INT32) {
            if (x < INT32_MIN || x > INT32_MAX) { *why = "out of range for int32"; return -1; }
            int32_t y = (int32_t)x;
            memcpy(sl_vec_slot(v, row), &y, 4);
        } else {
            memcpy(sl_vec_slot(v, row), &x, 8);
        }
        return 0;
    }
    case SL_T_FLOAT32:
    case SL_T_FLOAT64: {
        double d;
        if (sl_text_float64(p, n, &d) < 0) return -1;
        if (v->type.id == SL_T_FLOAT32) {
            float f = (float)d;
            memcpy(sl_vec_slot(v, row), &f, 4);
        } else {
            memcpy(sl_vec_slot(v, row), &d, 8);
        }
        return 0;
    }
    case SL_T_DECIMAL: {
        sl_i128 x;
        if (sl_text_decimal(p, n, v->type.precision, v->type.scale, &x, why) < 0) return -1;
        if (v->width == 8) {
            int64_t y = (int64_t)x;
            memcpy(sl_vec_slot(v, row), &y, 8);
        } else {
            memcpy(sl_vec_slot(v, row), &x, 16);
        }
        return 0;
    }
    case SL_T_DATE: {
        int32_t d;
        if (sl_text_date(p, n, &d) < 0) return -1;
        memcpy(sl_vec_slot(v, row), &d, 4);
        return 0;
    }
    case SL_T_TIME: {
        int64_t t;
        if (sl_text_time(p, n, &t) < 0) return -1;
        memcpy(sl_vec_slot(v, row), &t, 8);
        return 0;
    }
    case SL_T_TIMESTAMP: {
        int64_t t;
        bool zone;
        if (sl_text_timestamp(p, n, &t, &zone) < 0) return -1;
        memcpy(sl_vec_slot(v, row), &t, 8);
        return 0;
    }
    case SL_T_UUID:
        if (sl_text_uuid(p, n, sl_vec_slot(v, row)) < 0) return -1;
        return 0;
    default:
        return -1;
    }
}
