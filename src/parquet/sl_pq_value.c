/*
 * sl_pq_value.c - the typed constants of reader filters ("col op value"):
 * parsing the text of a value as a column's type, taking a value out of a
 * vector, comparing two values in the column type's order, and parsing the
 * "col op value" text itself. The reader (sl_pq_reader.c) uses them to skip
 * row groups by their statistics and to filter rows. See sl_pq_reader.h.
 */
#include "sl_pq_reader.h"

#include "core/sl_alloc.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sl_pq_value_from_vec(const sl_vector *v, size_t row, sl_pq_value *out)
{
    memset(out, 0, sizeof *out);
    out->type = v->type;
    const uint8_t *p = v->data ? v->data + row * v->width : NULL;
    switch (v->type.id) {
    case SL_T_BOOL: out->i = p[0]; break;
    case SL_T_INT16: { int16_t x; memcpy(&x, p, 2); out->i = x; break; }
    case SL_T_INT32: case SL_T_DATE: { int32_t x; memcpy(&x, p, 4); out->i = x; break; }
    case SL_T_INT64: case SL_T_TIME: case SL_T_TIMESTAMP: memcpy(&out->i, p, 8); break;
    case SL_T_FLOAT32: { float f; memcpy(&f, p, 4); out->f = f; break; }
    case SL_T_FLOAT64: memcpy(&out->f, p, 8); break;
    case SL_T_DECIMAL:
        if (v->width == 8) { int64_t x; memcpy(&x, p, 8); out->d = x; }
        else memcpy(&out->d, p, 16);
        break;
    case SL_T_UUID: out->p = p; out->len = 16; break;
    default: out->p = sl_vec_bytes(v, row, &out->len); break;
    }
}

int sl_pq_value_cmp(const sl_pq_value *a, const sl_pq_value *b)
{
    switch (a->type.id) {
    case SL_T_FLOAT32: case SL_T_FLOAT64:
        if (isnan(a->f) || isnan(b->f)) return 2;
        return a->f < b->f ? -1 : a->f > b->f;
    case SL_T_DECIMAL: return a->d < b->d ? -1 : a->d > b->d;
    case SL_T_STRING: case SL_T_BYTES: case SL_T_JSON: case SL_T_UUID: {
        size_t n = a->len < b->len ? a->len : b->len;
        int c = n ? memcmp(a->p, b->p, n) : 0;
        if (c) return c < 0 ? -1 : 1;
        return a->len < b->len ? -1 : a->len > b->len;
    }
    default: return a->i < b->i ? -1 : a->i > b->i;
    }
}

static int sl_parse_i64(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end) return -1;
    *v = x;
    return 0;
}

static int sl_parse_decimal(const char *s, int scale, sl_i128 *out)
{
    bool neg = false;
    if (*s == '-' || *s == '+') neg = *s++ == '-';
    unsigned __int128 u = 0;
    int frac = -1, digits = 0;
    for (; *s; s++) {
        if (*s == '.' && frac < 0) { frac = 0; continue; }
        if (!isdigit((unsigned char)*s)) return -1;
        if (frac >= 0) {
            if (frac == scale) { if (*s != '0') return -1; continue; }
            frac++;
        }
        if (++digits > 38) return -1;
        u = u * 10 + (unsigned)(*s - '0');
    }
    if (!digits) return -1;
    for (int f = frac < 0 ? 0 : frac; f < scale; f++) u *= 10;
    *out = neg ? -(sl_i128)u : (sl_i128)u;
    return 0;
}

static int sl_parse_hms(const char *s, int64_t *us)
{
    unsigned h, m, sec;
    int used = 0;
    if (sscanf(s, "%u:%u:%u%n", &h, &m, &sec, &used) != 3) return -1;
    int64_t frac = 0;
    s += used;
    if (*s == '.') {
        int nd = 0;
        for (s++; isdigit((unsigned char)*s); s++, nd++)
            if (nd < 6) frac = frac * 10 + (*s - '0');
        for (; nd < 6; nd++) frac *= 10;
    }
    if (*s && strcmp(s, "+00") && strcmp(s, "Z") && strcmp(s, "+00:00")) return -1;
    *us = (((int64_t)h * 60 + m) * 60 + sec) * 1000000 + frac;
    return 0;
}

int sl_pq_value_parse(sl_type t, const char *text, sl_pq_value *out, sl_err *err)
{
    memset(out, 0, sizeof *out);
    out->type = t;
    int64_t y;
    unsigned mo, d;
    int used = 0;
    switch (t.id) {
    case SL_T_BOOL:
        if (!strcasecmp(text, "true") || !strcmp(text, "1") || !strcasecmp(text, "t")) out->i = 1;
        else if (!strcasecmp(text, "false") || !strcmp(text, "0") || !strcasecmp(text, "f")) out->i = 0;
        else goto bad;
        return 0;
    case SL_T_INT16: case SL_T_INT32: case SL_T_INT64:
        if (sl_parse_i64(text, &out->i) < 0) goto bad;
        return 0;
    case SL_T_FLOAT32: case SL_T_FLOAT64: {
        char *end;
        out->f = strtod(text, &end);
        if (end == text || *end) goto bad;
        if (t.id == SL_T_FLOAT32) out->f = (float)out->f;
        return 0;
    }
    case SL_T_DECIMAL:
        if (sl_parse_decimal(text, t.scale, &out->d) < 0) goto bad;
        return 0;
    case SL_T_DATE:
        if (sscanf(text, "%" SCNd64 "-%u-%u%n", &y, &mo, &d, &used) != 3 || text[used]) goto bad;
        out->i = sl_days_from_civil(y, mo, d);
        return 0;
    case SL_T_TIME:
        if (sl_parse_hms(text, &out->i) < 0) goto bad;
        return 0;
    case SL_T_TIMESTAMP: {
        if (sscanf(text, "%" SCNd64 "-%u-%u%n", &y, &mo, &d, &used) != 3) goto bad;
        int64_t us = 0;
        const char *rest = text + used;
        if (*rest == ' ' || *rest == 'T') {
            if (sl_parse_hms(rest + 1, &us) < 0) goto bad;
        } else if (*rest) {
            goto bad;
        }
        out->i = sl_days_from_civil(y, mo, d) * 86400000000LL + us;
        return 0;
    }
    case SL_T_UUID: {
        uint8_t *u = (uint8_t *)(out->owned = sl_malloc(16));
        int n = 0;
        for (const char *s = text; *s; s++) {
            if (*s == '-') continue;
            int hv = isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) >= 'a' && tolower((unsigned char)*s) <= 'f') ? tolower((unsigned char)*s) - 'a' + 10 : -1;
            if (hv < 0 || n >= 32) goto bad;
            if (n % 2 == 0) u[n / 2] = (uint8_t)(hv << 4); else u[n / 2] |= (uint8_t)hv;
            n++;
        }
        if (n != 32) goto bad;
        out->p = u;
        out->len = 16;
        return 0;
    }
    default:
        out->owned = sl_strdup(text);
        out->p = (const uint8_t *)out->owned;
        out->len = strlen(text);
        return 0;
    }
bad:
    sl_free(out->owned);
    out->owned = NULL;
    char tn[48];
    return sl_err_set(err, SL_EUSAGE, "'%s' is not a valid %s value", text, sl_type_format(t, tn, sizeof tn));
}

int sl_pq_filter_parse(const char *text, char **col, sl_pq_op *op, char **value, sl_err *err)
{
    const char *p = text;
    while (isspace((unsigned char)*p)) p++;
    const char *cs = p;
    while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '.' || (unsigned char)*p >= 0x80)) p++;
    const char *ce = p;
    while (isspace((unsigned char)*p)) p++;
    static const struct { const char *s; sl_pq_op op; } ops[] = {
        { "<=", SL_PQ_OP_LE }, { ">=", SL_PQ_OP_GE }, { "!=", SL_PQ_OP_NE }, { "<>", SL_PQ_OP_NE },
        { "==", SL_PQ_OP_EQ }, { "=", SL_PQ_OP_EQ }, { "<", SL_PQ_OP_LT }, { ">", SL_PQ_OP_GT } };
    size_t i;
    for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strncmp(p, ops[i].s, strlen(ops[i].s))) break;
    if (ce == cs || i == sizeof ops / sizeof ops[0])
        return sl_err_set(err, SL_EUSAGE, "cannot parse filter '%s': expected \"column op value\" with op one of = != < <= > >=", text);
    *op = ops[i].op;
    p += strlen(ops[i].s);
    while (isspace((unsigned char)*p)) p++;
    size_t vlen = strlen(p);
    while (vlen && isspace((unsigned char)p[vlen - 1])) vlen--;
    if (vlen >= 2 && (p[0] == '\'' || p[0] == '"') && p[vlen - 1] == p[0]) {
        p++;
        vlen -= 2;
    }
    *col = sl_strndup(cs, (size_t)(ce - cs));
    *value = sl_strndup(p, vlen);
    return 0;
}

