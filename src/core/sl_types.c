/*
 * sl_types.c - logical types (names, widths, parsing), schemas, vectors,
 * batches, and the shared text forms of values.
 */
#include "sl_types.h"

#include "sl_alloc.h"

#include <ctype.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t sl_type_width(sl_type t)
{
    switch (t.id) {
    case SL_T_BOOL: return 1;
    case SL_T_INT16: return 2;
    case SL_T_INT32: return 4;
    case SL_T_INT64: return 8;
    case SL_T_FLOAT32: return 4;
    case SL_T_FLOAT64: return 8;
    case SL_T_DECIMAL: return t.precision <= 18 ? 8 : 16;
    case SL_T_DATE: return 4;
    case SL_T_TIME: return 8;
    case SL_T_TIMESTAMP: return 8;
    case SL_T_UUID: return 16;
    default: return 0;
    }
}

static const char *const sl_type_base_names[SL_T_COUNT] = {
    [SL_T_BOOL] = "bool",       [SL_T_INT16] = "int16",
    [SL_T_INT32] = "int32",     [SL_T_INT64] = "int64",
    [SL_T_FLOAT32] = "float32", [SL_T_FLOAT64] = "float64",
    [SL_T_DECIMAL] = "decimal", [SL_T_STRING] = "string",
    [SL_T_BYTES] = "bytes",     [SL_T_DATE] = "date",
    [SL_T_TIME] = "time",       [SL_T_TIMESTAMP] = "timestamp",
    [SL_T_UUID] = "uuid",       [SL_T_JSON] = "json",
    [SL_T_LIST] = "list",
};

const char *sl_type_format(sl_type t, char *buf, size_t size)
{
    if ((unsigned)t.id >= SL_T_COUNT)
        snprintf(buf, size, "?");
    else if (t.id == SL_T_LIST) {
        char eb[48];
        sl_type e = sl_type_elem(t);
        snprintf(buf, size, "list<%s>", e.id == SL_T_LIST ? "?" : sl_type_format(e, eb, sizeof eb));
    }
    else if (t.id == SL_T_DECIMAL)
        snprintf(buf, size, "decimal(%u,%u)", t.precision, t.scale);
    else if (t.id == SL_T_TIMESTAMP && t.utc)
        snprintf(buf, size, "timestamptz");
    else
        snprintf(buf, size, "%s", sl_type_base_names[t.id]);
    return buf;
}

const char *sl_type_names(void)
{
    return "bool, int16, int32, int64, float32, float64, decimal(p,s), string, "
           "bytes, date, time, timestamp, timestamptz, uuid, json, list<T> (T one of these)";
}

int sl_type_parse(const char *text, sl_type *out)
{
    static const struct { const char *name; sl_type_id id; bool utc; } names[] = {
        {"bool", SL_T_BOOL, 0},        {"boolean", SL_T_BOOL, 0},
        {"int16", SL_T_INT16, 0},      {"smallint", SL_T_INT16, 0},
        {"int32", SL_T_INT32, 0},      {"int", SL_T_INT32, 0},
        {"integer", SL_T_INT32, 0},    {"int64", SL_T_INT64, 0},
        {"bigint", SL_T_INT64, 0},     {"float32", SL_T_FLOAT32, 0},
        {"real", SL_T_FLOAT32, 0},     {"float", SL_T_FLOAT64, 0},
        {"float64", SL_T_FLOAT64, 0},  {"double", SL_T_FLOAT64, 0},
        {"string", SL_T_STRING, 0},    {"text", SL_T_STRING, 0},
        {"varchar", SL_T_STRING, 0},   {"bytes", SL_T_BYTES, 0},
        {"bytea", SL_T_BYTES, 0},      {"date", SL_T_DATE, 0},
        {"time", SL_T_TIME, 0},        {"timestamp", SL_T_TIMESTAMP, 0},
        {"timestamptz", SL_T_TIMESTAMP, 1}, {"uuid", SL_T_UUID, 0},
        {"json", SL_T_JSON, 0},        {"jsonb", SL_T_JSON, 0},
    };
    char word[32];
    size_t n = 0;
    const char *p = text;
    while (isspace((unsigned char)*p)) p++;
    while (*p && (isalnum((unsigned char)*p) || *p == '_') && n < sizeof word - 1)
        word[n++] = (char)tolower((unsigned char)*p++);
    word[n] = '\0';
    while (isspace((unsigned char)*p)) p++;
    sl_type t = {0};
    if (!strcmp(word, "list") && *p == '<') {
        const char *end = strrchr(p, '>');
        char inner[64];
        if (!end || (size_t)(end - p - 1) >= sizeof inner) return -1;
        memcpy(inner, p + 1, (size_t)(end - p - 1));
        inner[end - p - 1] = '\0';
        sl_type e;
        if (sl_type_parse(inner, &e) < 0 || e.id == SL_T_LIST) return -1;
        t = sl_type_list_of(e);
        p = end + 1;
    } else if (!strcmp(word, "decimal") || !strcmp(word, "numeric")) {
        unsigned prec = 38, scale = 18;
        if (*p == '(') {
            int used = 0;
            if (sscanf(p, "(%u , %u )%n", &prec, &scale, &used) == 2 && used > 0) {
                p += used;
            } else if (sscanf(p, "(%u )%n", &prec, &used) == 1 && used > 0) {
                scale = 0;
                p += used;
            } else {
                return -1;
            }
        }
        if (prec < 1 || prec > 38 || scale > prec) return -1;
        t.id = SL_T_DECIMAL;
        t.precision = (uint8_t)prec;
        t.scale = (uint8_t)scale;
    } else {
        size_t i;
        for (i = 0; i < sizeof names / sizeof names[0]; i++)
            if (!strcmp(word, names[i].name)) break;
        if (i == sizeof names / sizeof names[0]) return -1;
        t.id = names[i].id;
        t.utc = names[i].utc;
    }
    while (isspace((unsigned char)*p)) p++;
    if (*p) return -1;
    *out = t;
    return 0;
}

sl_schema *sl_schema_new(int ncols)
{
    sl_schema *s = sl_calloc(1, sizeof *s);
    s->ncols = ncols;
    s->fields = sl_calloc((size_t)(ncols > 0 ? ncols : 1), sizeof *s->fields);
    return s;
}

void sl_schema_set(sl_schema *s, int col, const char *name, sl_type type, bool nullable)
{
    sl_free(s->fields[col].name);
    s->fields[col].name = sl_strdup(name);
    s->fields[col].type = type;
    s->fields[col].nullable = nullable;
}

sl_schema *sl_schema_copy(const sl_schema *s)
{
    sl_schema *c = sl_schema_new(s->ncols);
    for (int i = 0; i < s->ncols; i++)
        sl_schema_set(c, i, s->fields[i].name, s->fields[i].type, s->fields[i].nullable);
    return c;
}

int sl_schema_find(const sl_schema *s, const char *name)
{
    for (int i = 0; i < s->ncols; i++)
        if (s->fields[i].name && !strcmp(s->fields[i].name, name)) return i;
    return -1;
}

void sl_schema_free(sl_schema *s)
{
    if (!s) return;
    for (int i = 0; i < s->ncols; i++) sl_free(s->fields[i].name);
    sl_free(s->fields);
    sl_free(s);
}

/* LIST: the element vector, room for cap rows. */
static void sl_vec_child_init(sl_vector *v, size_t cap)
{
    sl_vector *e = sl_calloc(1, sizeof *e);
    e->type = sl_type_elem(v->type);
    e->width = sl_type_width(e->type);
    e->valid = sl_calloc(cap, 1);
    if (sl_type_is_varlen(e->type)) {
        e->offsets = sl_calloc(cap + 1, sizeof *e->offsets);
        e->heap_cap = 4096;
        e->heap = sl_malloc(e->heap_cap);
    } else {
        e->data = sl_calloc(cap, e->width ? e->width : 1);
    }
    v->child = e;
    v->child_cap = cap;
}

size_t sl_vec_list_begin(sl_vector *v, size_t row, size_t n)
{
    size_t first = (size_t)v->offsets[row];
    if (first + n > v->child_cap) {
        size_t cap = v->child_cap * 2;
        while (cap < first + n) cap *= 2;
        sl_vector *e = v->child;
        e->valid = sl_realloc(e->valid, cap);
        if (e->offsets) e->offsets = sl_realloc(e->offsets, (cap + 1) * sizeof *e->offsets);
        else e->data = sl_realloc(e->data, cap * e->width);
        v->child_cap = cap;
    }
    return first;
}

sl_batch *sl_batch_new(const sl_schema *schema, size_t capacity)
{
    sl_batch *b = sl_calloc(1, sizeof *b);
    b->schema = schema;
    b->ncols = schema->ncols;
    b->capacity = capacity ? capacity : SL_BATCH_ROWS;
    b->cols = sl_calloc((size_t)(b->ncols > 0 ? b->ncols : 1), sizeof *b->cols);
    for (int c = 0; c < b->ncols; c++) {
        sl_vector *v = &b->cols[c];
        v->type = schema->fields[c].type;
        v->width = sl_type_width(v->type);
        v->valid = sl_calloc(b->capacity, 1);
        if (v->type.id == SL_T_LIST) {
            v->offsets = sl_calloc(b->capacity + 1, sizeof *v->offsets);
            sl_vec_child_init(v, b->capacity);
        } else if (sl_type_is_varlen(v->type)) {
            v->offsets = sl_calloc(b->capacity + 1, sizeof *v->offsets);
            v->heap_cap = 4096;
            v->heap = sl_malloc(v->heap_cap);
        } else {
            v->data = sl_calloc(b->capacity, v->width);
        }
    }
    return b;
}

void sl_batch_reset(sl_batch *b)
{
    b->nrows = 0;
    for (int c = 0; c < b->ncols; c++) {
        b->cols[c].heap_len = 0;
        if (b->cols[c].offsets) b->cols[c].offsets[0] = 0;
        if (b->cols[c].child) {
            b->cols[c].child->heap_len = 0;
            if (b->cols[c].child->offsets) b->cols[c].child->offsets[0] = 0;
        }
    }
}

/* Moves rows [src, src + n) of v down to [dst, dst + n) (dst <= src; the
 * rows below dst are final): values, validity, and for var-width and list
 * columns their bytes or elements, their offsets rebased. */
static void sl_vec_shift(sl_vector *v, size_t dst, size_t src, size_t n)
{
    if (dst == src || n == 0) return;
    memmove(v->valid + dst, v->valid + src, n);
    if (v->type.id == SL_T_LIST || sl_type_is_varlen(v->type)) {
        int64_t s0 = v->offsets[src], s1 = v->offsets[src + n], d0 = v->offsets[dst];
        if (v->type.id == SL_T_LIST) sl_vec_shift(v->child, (size_t)d0, (size_t)s0, (size_t)(s1 - s0));
        else memmove(v->heap + d0, v->heap + s0, (size_t)(s1 - s0));
        /* offsets[dst + i + 1] is written after offsets[src + i] (<= it) was read */
        for (size_t i = 0; i < n; i++) v->offsets[dst + i + 1] = v->offsets[src + i + 1] - s0 + d0;
    } else {
        memmove(v->data + dst * v->width, v->data + src * v->width, n * v->width);
    }
}

/* The var-width bytes in use after the first `rows` rows of v (and of its
 * elements), for the writer's size estimates. */
static void sl_vec_heap_used(sl_vector *v, size_t rows)
{
    if (v->type.id == SL_T_LIST) sl_vec_heap_used(v->child, (size_t)v->offsets[rows]);
    else if (sl_type_is_varlen(v->type)) v->heap_len = (size_t)v->offsets[rows];
}

void sl_batch_keep(sl_batch *b, const uint8_t *drop)
{
    size_t n = b->nrows, w = 0;
    for (size_t r = 0; r < n;) {
        if (drop[r]) {
            r++;
            continue;
        }
        size_t run = r;
        while (run < n && !drop[run]) run++;
        for (int c = 0; c < b->ncols; c++) sl_vec_shift(&b->cols[c], w, r, run - r);
        w += run - r;
        r = run;
    }
    for (int c = 0; c < b->ncols; c++) sl_vec_heap_used(&b->cols[c], w);
    b->nrows = w;
}

void sl_batch_free(sl_batch *b)
{
    if (!b) return;
    for (int c = 0; c < b->ncols; c++) {
        sl_free(b->cols[c].valid);
        sl_free(b->cols[c].data);
        sl_free(b->cols[c].offsets);
        sl_free(b->cols[c].heap);
        sl_vector *e = b->cols[c].child;
        if (e) {
            sl_free(e->valid);
            sl_free(e->data);
            sl_free(e->offsets);
            sl_free(e->heap);
            sl_free(e);
        }
    }
    sl_free(b->cols);
    sl_free(b);
}

void sl_vec_copy_value(sl_vector *dst, size_t drow, const sl_vector *src, size_t srow)
{
    if (!src->valid[srow]) {
        sl_vec_set_null(dst, drow);
    } else if (src->type.id == SL_T_LIST) {
        size_t at = (size_t)src->offsets[srow], n = (size_t)(src->offsets[srow + 1] - src->offsets[srow]);
        size_t first = sl_vec_list_begin(dst, drow, n);
        for (size_t e = 0; e < n; e++) sl_vec_copy_value(dst->child, first + e, src->child, at + e);
        sl_vec_list_end(dst, drow, n);
    } else if (sl_type_is_varlen(src->type)) {
        sl_vec_set_bytes(dst, drow, src->heap + src->offsets[srow],
                         (size_t)(src->offsets[srow + 1] - src->offsets[srow]));
    } else {
        memcpy(sl_vec_slot(dst, drow), src->data + srow * src->width, src->width);
    }
}

void sl_vec_set_null(sl_vector *v, size_t row)
{
    v->valid[row] = 0;
    if (v->offsets)
        v->offsets[row + 1] = v->offsets[row];
    else
        memset(v->data + row * v->width, 0, v->width);
}

uint8_t *sl_vec_reserve_bytes(sl_vector *v, size_t row, size_t len)
{
    size_t start = (size_t)v->offsets[row];
    if (start + len > v->heap_cap) {
        size_t cap = v->heap_cap * 2;
        while (cap < start + len) cap *= 2;
        v->heap = sl_realloc(v->heap, cap);
        v->heap_cap = cap;
    }
    v->valid[row] = 1;
    v->offsets[row + 1] = (int64_t)(start + len);
    v->heap_len = start + len;
    return v->heap + start;
}

void sl_vec_set_bytes(sl_vector *v, size_t row, const void *p, size_t len)
{
    uint8_t *dst = sl_vec_reserve_bytes(v, row, len);
    if (len) memcpy(dst, p, len);
}

/* ---- text forms ---- */

int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Howard Hinnant's days_from_civil algorithm (public domain description). */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void sl_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static size_t sl_format_ymd(int64_t days, char *buf)
{
    int64_t y;
    unsigned m, d;
    sl_civil_from_days(days, &y, &m, &d);
    if (y >= 0 && y <= 9999)
        return (size_t)sprintf(buf, "%04" PRId64 "-%02u-%02u", y, m, d);
    return (size_t)sprintf(buf, "%" PRId64 "-%02u-%02u", y, m, d);
}

size_t sl_format_date(int32_t days, char *buf)
{
    return sl_format_ymd(days, buf);
}

static size_t sl_format_hms(int64_t micros, char *buf)
{
    int64_t secs = micros / 1000000, frac = micros % 1000000;
    size_t n = (size_t)sprintf(buf, "%02" PRId64 ":%02" PRId64 ":%02" PRId64,
                               secs / 3600, secs / 60 % 60, secs % 60);
    if (frac) {
        n += (size_t)sprintf(buf + n, ".%06" PRId64, frac);
        while (buf[n - 1] == '0') buf[--n] = '\0';
    }
    return n;
}

size_t sl_format_time(int64_t micros, char *buf)
{
    return sl_format_hms(micros, buf);
}

size_t sl_format_timestamp(int64_t micros, bool utc, char *buf)
{
    int64_t day = micros / 86400000000LL, rem = micros % 86400000000LL;
    if (rem < 0) {
        rem += 86400000000LL;
        day -= 1;
    }
    size_t n = sl_format_ymd(day, buf);
    buf[n++] = ' ';
    n += sl_format_hms(rem, buf + n);
    if (utc) n += (size_t)sprintf(buf + n, "+00");
    return n;
}

size_t sl_format_decimal(sl_i128 v, int scale, char *buf)
{
    char digits[48];
    int nd = 0;
    bool neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    do {
        digits[nd++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while (nd <= scale) digits[nd++] = '0';
    size_t n = 0;
    if (neg) buf[n++] = '-';
    for (int i = nd - 1; i >= 0; i--) {
        buf[n++] = digits[i];
        if (i == scale && scale > 0) buf[n++] = '.';
    }
    buf[n] = '\0';
    return n;
}

size_t sl_format_uuid(const uint8_t u[16], char *buf)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) buf[n++] = '-';
        buf[n++] = hex[u[i] >> 4];
        buf[n++] = hex[u[i] & 15];
    }
    buf[n] = '\0';
    return n;
}

/* Shortest text that reads back as the same value, laid out as PostgreSQL
 * prints floats (so extracted values compare as text with the source):
 * exponent form when the decimal exponent is < -4 or >= FLT_DIG/DBL_DIG
 * ("1.6777216e+07", "1e-45"), plain digits otherwise. Any decimal of up to
 * DIG digits survives a round trip, so for normal numbers the search starts
 * there; subnormals have fewer significant bits and start at one digit. */
size_t sl_format_float(double d, bool single, char *buf)
{
    if (isnan(d)) return (size_t)sprintf(buf, "NaN");
    if (isinf(d)) return (size_t)sprintf(buf, d > 0 ? "Infinity" : "-Infinity");
    if (d == 0) return (size_t)sprintf(buf, signbit(d) ? "-0" : "0");
    int dig = single ? FLT_DIG : DBL_DIG;
    bool subnormal = fabs(d) < (single ? FLT_MIN : DBL_MIN);
    char sci[40];
    for (int prec = subnormal ? 1 : dig; prec <= dig + 3; prec++) {
        sprintf(sci, "%.*e", prec - 1, d);
        if (single ? (float)strtod(sci, NULL) == (float)d : strtod(sci, NULL) == d) break;
    }
    /* sci is "-d.ddde+XX": split into sign, digits and exponent. */
    char digits[24];
    int nd = 0;
    const char *p = sci;
    bool neg = *p == '-';
    if (neg) p++;
    for (; *p && *p != 'e'; p++)
        if (*p != '.') digits[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    size_t n = 0;
    if (neg) buf[n++] = '-';
    if (exp < -4 || exp >= dig) {
        buf[n++] = digits[0];
        if (nd > 1) {
            buf[n++] = '.';
            memcpy(buf + n, digits + 1, (size_t)nd - 1);
            n += (size_t)nd - 1;
        }
        n += (size_t)sprintf(buf + n, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    } else if (exp >= 0) {
        for (int i = 0; i < nd || i <= exp; i++) {
            if (i == exp + 1) buf[n++] = '.';
            buf[n++] = i < nd ? digits[i] : '0';
        }
        buf[n] = '\0';
    } else {
        buf[n++] = '0';
        buf[n++] = '.';
        for (int i = 0; i < -exp - 1; i++) buf[n++] = '0';
        memcpy(buf + n, digits, (size_t)nd);
        n += (size_t)nd;
        buf[n] = '\0';
    }
    return n;
}

size_t sl_format_fixed(const sl_vector *v, size_t row, char *buf)
{
    if (!v->data) {   /* not a fixed-width vector (a list, a var-width one) */
        buf[0] = '\0';
        return 0;
    }
    const uint8_t *p = v->data + row * v->width;
    switch (v->type.id) {
    case SL_T_BOOL: return (size_t)sprintf(buf, "%s", *p ? "true" : "false");
    case SL_T_INT16: { int16_t x; memcpy(&x, p, 2); return (size_t)sprintf(buf, "%d", x); }
    case SL_T_INT32: { int32_t x; memcpy(&x, p, 4); return (size_t)sprintf(buf, "%" PRId32, x); }
    case SL_T_INT64: { int64_t x; memcpy(&x, p, 8); return (size_t)sprintf(buf, "%" PRId64, x); }
    case SL_T_FLOAT32: { float x; memcpy(&x, p, 4); return sl_format_float(x, true, buf); }
    case SL_T_FLOAT64: { double x; memcpy(&x, p, 8); return sl_format_float(x, false, buf); }
    case SL_T_DECIMAL:
        return sl_format_decimal(sl_vec_get_decimal(v, row), v->type.scale, buf);
    case SL_T_DATE: { int32_t x; memcpy(&x, p, 4); return sl_format_date(x, buf); }
    case SL_T_TIME: { int64_t x; memcpy(&x, p, 8); return sl_format_time(x, buf); }
    case SL_T_TIMESTAMP: { int64_t x; memcpy(&x, p, 8); return sl_format_timestamp(x, v->type.utc, buf); }
    case SL_T_UUID: return sl_format_uuid(p, buf);
    default: buf[0] = '\0'; return 0;
    }
}
