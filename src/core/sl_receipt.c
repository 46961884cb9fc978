/*
 * sl_receipt.c - load receipts (see sl_receipt.h): per-column aggregates
 * over batches, merged per table, stored as a blob, printed as JSON.
 *
 * sl_receipt_add runs once per batch and column: one typed loop keeps the
 * batch's min, max and sum in locals, then folds them into the column. A
 * var-width column remembers pointers into the batch and copies at most
 * SL_RECEIPT_BYTES bytes at the end of the batch: no allocation per row or
 * per batch. Integer sums add int64 values into a 128-bit local without a
 * check (a batch cannot reach 2^127), then check the fold; 128-bit decimals
 * check every addition.
 */
#include "sl_receipt.h"

#include "sl_alloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static bool sl_receipt_sums(sl_type t)
{
    return t.id == SL_T_BOOL || t.id == SL_T_INT16 || t.id == SL_T_INT32 || t.id == SL_T_INT64 ||
           t.id == SL_T_DECIMAL;
}

static bool sl_receipt_is_float(sl_type t) { return t.id == SL_T_FLOAT32 || t.id == SL_T_FLOAT64; }
static bool sl_receipt_is_wide(sl_type t) { return t.id == SL_T_DECIMAL && t.precision > 18; }
/* Compared as bytes: var width and uuid. */
static bool sl_receipt_is_bytes(sl_type t) { return sl_type_is_varlen(t) || t.id == SL_T_UUID; }

sl_receipt *sl_receipt_new(const sl_schema *schema)
{
    sl_receipt *r = sl_calloc(1, sizeof *r);
    r->ncols = schema->ncols;
    r->cols = sl_calloc((size_t)(r->ncols ? r->ncols : 1), sizeof *r->cols);
    for (int c = 0; c < r->ncols; c++) r->cols[c].type = schema->fields[c].type;
    sl_receipt_reset(r);
    return r;
}

void sl_receipt_reset(sl_receipt *r)
{
    r->rows = 0;
    for (int c = 0; c < r->ncols; c++) {
        sl_type t = r->cols[c].type;
        memset(&r->cols[c], 0, sizeof r->cols[c]);
        r->cols[c].type = t;
        r->cols[c].sums = sl_receipt_sums(t);
    }
}

void sl_receipt_free(sl_receipt *r)
{
    if (!r) return;
    sl_free(r->cols);
    sl_free(r);
}

/* ---- order ---- */

/* A double's place in the total order: NaNs equal and last, -0 < +0. */
static int64_t sl_float_key(double d)
{
    if (d != d) return INT64_MAX;
    int64_t bits;
    memcpy(&bits, &d, 8);
    return bits < 0 ? bits ^ INT64_MAX : bits;
}

/* memcmp order, then length; the first 32 bytes a big-endian word at a
 * time inline (values sharing a prefix, "customer note 1..", would
 * otherwise cost two memcmp calls a row), the rest by memcmp. */
static inline int sl_bytes_order(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen, i = 0;
    for (; i + 8 <= n && i < 32; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
    }
    int r = n > i ? memcmp(a + i, b + i, n - i) : 0;
    if (r) return r;
    return alen < blen ? -1 : alen > blen;
}

/* ---- adding a batch ---- */

static void sl_fold_sum(sl_receipt_col *k, sl_i128 s)
{
    if (k->sum_overflow) return;
    if (__builtin_add_overflow(k->sum, s, &k->sum)) k->sum_overflow = true;
}

static void sl_fold_int(sl_receipt_col *k, int64_t n, int64_t mn, int64_t mx)
{
    if (!n) return;
    if (!k->has_minmax || mn < k->min.i) k->min.i = mn;
    if (!k->has_minmax || mx > k->max.i) k->max.i = mx;
    k->has_minmax = true;
    k->non_null += n;
}

/* A batch without NULLs (the common case: memchr finds no 0 in valid)
 * takes a loop without the per-row test, min/max as selects; values of up
 * to 32 bits sum in 64 bits (a batch cannot overflow it). */
#define SL_RECEIPT_INT_LOOP(T, SUM)                                               \
    do {                                                                          \
        const T *src = (const T *)v->data;                                        \
        int64_t mn = INT64_MAX, mx = INT64_MIN, n = 0;                            \
        sl_i128 sum = 0;                                                          \
        if (rows && rows < (1u << 31) && !memchr(valid, 0, rows)) {               \
            T tmn = src[0], tmx = src[0];                                         \
            if (sizeof(T) <= 4) {                                                 \
                int64_t s = 0;                                                    \
                for (size_t row = 0; row < rows; row++) {                         \
                    T x = src[row];                                               \
                    if (SUM) s += x;                                              \
                    tmn = x < tmn ? x : tmn;                                      \
                    tmx = x > tmx ? x : tmx;                                      \
                }                                                                 \
                sum = s;                                                          \
            } else {                                                              \
                for (size_t row = 0; row < rows; row++) {                         \
                    T x = src[row];                                               \
                    if (SUM) sum += x;                                            \
                    tmn = x < tmn ? x : tmn;                                      \
                    tmx = x > tmx ? x : tmx;                                      \
                }                                                                 \
            }                                                                     \
            n = (int64_t)rows;                                                    \
            mn = tmn;                                                             \
            mx = tmx;                                                             \
            sl_fold_int(k, n, mn, mx);                                            \
            if (SUM) sl_fold_sum(k, sum);                                         \
            break;                                                                \
        }                                                                         \
        for (size_t row = 0; row < rows; row++) {                                 \
            if (!valid[row]) continue;                                            \
            int64_t x = src[row];                                                 \
            n++;                                                                  \
            if (SUM) sum += x;                                                    \
            if (x < mn) mn = x;                                                   \
            if (x > mx) mx = x;                                                   \
        }                                                                         \
        sl_fold_int(k, n, mn, mx);                                                \
        if ((SUM) && n) sl_fold_sum(k, sum);                                      \
    } while (0)

static void sl_add_wide(sl_receipt_col *k, const sl_vector *v, size_t rows)
{
    const uint8_t *valid = v->valid;
    int64_t n = 0;
    sl_i128 mn = 0, mx = 0, sum = 0;
    bool overflow = false;
    for (size_t row = 0; row < rows; row++) {
        if (!valid[row]) continue;
        sl_i128 x;
        memcpy(&x, v->data + row * 16, 16);
        if (!n || x < mn) mn = x;
        if (!n || x > mx) mx = x;
        n++;
        /* |x| < 10^38: only the running sum can leave the range */
        if (!overflow && __builtin_add_overflow(sum, x, &sum)) overflow = true;
    }
    if (!n) return;
    if (!k->has_minmax || mn < k->min.d) k->min.d = mn;
    if (!k->has_minmax || mx > k->max.d) k->max.d = mx;
    k->has_minmax = true;
    k->non_null += n;
    if (overflow) k->sum_overflow = true;
    sl_fold_sum(k, sum);
}

static void sl_add_float(sl_receipt_col *k, const sl_vector *v, size_t rows)
{
    const uint8_t *valid = v->valid;
    bool single = v->type.id == SL_T_FLOAT32;
    int64_t n = 0, kmn = INT64_MAX, kmx = INT64_MIN;
    double mn = 0, mx = 0;
    for (size_t row = 0; row < rows; row++) {
        if (!valid[row]) continue;
        double x = single ? (double)((const float *)v->data)[row] : ((const double *)v->data)[row];
        int64_t key = sl_float_key(x);
        if (key < kmn) { kmn = key; mn = x; }
        if (key > kmx || !n) { kmx = key; mx = x; }
        n++;
    }
    if (!n) return;
    if (!k->has_minmax || kmn < sl_float_key(k->min.f)) k->min.f = mn;
    if (!k->has_minmax || kmx > sl_float_key(k->max.f)) k->max.f = mx;
    k->has_minmax = true;
    k->non_null += n;
}

/* Keeps p[0..len) as a min or max: at most SL_RECEIPT_BYTES bytes. */
static void sl_keep_bytes(uint8_t *dst, uint8_t *dst_len, bool *cut, const uint8_t *p, size_t len)
{
    *cut = len > SL_RECEIPT_BYTES;
    if (*cut) len = SL_RECEIPT_BYTES;
    if (len) memcpy(dst, p, len);
    *dst_len = (uint8_t)len;
}

static void sl_add_bytes(sl_receipt_col *k, const sl_vector *v, size_t rows)
{
    const uint8_t *valid = v->valid;
    const uint8_t *mn = NULL, *mx = NULL;
    size_t mnl = 0, mxl = 0;
    int64_t n = 0;
    bool fixed = v->type.id == SL_T_UUID;
    for (size_t row = 0; row < rows; row++) {
        if (!valid[row]) continue;
        size_t len = 16;
        const uint8_t *p = fixed ? v->data + row * 16 : sl_vec_bytes(v, row, &len);
        /* Most values start with a byte strictly between the min's and the max's first: no comparison. */
        if (n && len && mnl && p[0] > mn[0] && p[0] < mx[0]) {
            n++;
            continue;
        }
        if (!n) {
            mn = mx = p;
            mnl = mxl = len;
        } else {
            if (sl_bytes_order(p, len, mn, mnl) < 0) { mn = p; mnl = len; }
            else if (sl_bytes_order(p, len, mx, mxl) > 0) { mx = p; mxl = len; }
        }
        n++;
    }
    if (!n) return;
    /* The kept prefixes keep the order (see sl_receipt.h), so comparing the
     * batch's full min with the kept prefix is enough. */
    if (!k->has_minmax || sl_bytes_order(mn, mnl, k->vmin, k->vmin_len) < 0)
        sl_keep_bytes(k->vmin, &k->vmin_len, &k->min_cut, mn, mnl);
    if (!k->has_minmax || sl_bytes_order(mx, mxl, k->vmax, k->vmax_len) > 0)
        sl_keep_bytes(k->vmax, &k->vmax_len, &k->max_cut, mx, mxl);
    k->has_minmax = true;
    k->non_null += n;
}

void sl_receipt_add(sl_receipt *r, const sl_batch *b)
{
    size_t rows = b->nrows;
    r->rows += (int64_t)rows;
    for (int c = 0; c < r->ncols && c < b->ncols; c++) {
        sl_receipt_col *k = &r->cols[c];
        const sl_vector *v = &b->cols[c];
        const uint8_t *valid = v->valid;
        switch (k->type.id) {
        case SL_T_BOOL: SL_RECEIPT_INT_LOOP(uint8_t, 1); break;
        case SL_T_INT16: SL_RECEIPT_INT_LOOP(int16_t, 1); break;
        case SL_T_INT32: SL_RECEIPT_INT_LOOP(int32_t, 1); break;
        case SL_T_DATE: SL_RECEIPT_INT_LOOP(int32_t, 0); break;
        case SL_T_INT64: SL_RECEIPT_INT_LOOP(int64_t, 1); break;
        case SL_T_TIME:
        case SL_T_TIMESTAMP: SL_RECEIPT_INT_LOOP(int64_t, 0); break;
        case SL_T_DECIMAL:
            if (sl_receipt_is_wide(k->type)) sl_add_wide(k, v, rows);
            else SL_RECEIPT_INT_LOOP(int64_t, 1);
            break;
        case SL_T_FLOAT32:
        case SL_T_FLOAT64: sl_add_float(k, v, rows); break;
        case SL_T_LIST:                             /* lists: counted only */
            for (size_t row = 0; row < rows; row++) k->non_null += valid[row];
            break;
        default: sl_add_bytes(k, v, rows); break;   /* string, bytes, json, uuid */
        }
    }
}

void sl_receipt_merge(sl_receipt *into, const sl_receipt *from)
{
    into->rows += from->rows;
    for (int c = 0; c < into->ncols && c < from->ncols; c++) {
        sl_receipt_col *k = &into->cols[c];
        const sl_receipt_col *f = &from->cols[c];
        if (f->sums) {
            if (f->sum_overflow) k->sum_overflow = true;
            sl_fold_sum(k, f->sum);
        }
        if (!f->has_minmax) continue;
        k->non_null += f->non_null;
        bool first = !k->has_minmax;
        k->has_minmax = true;
        if (sl_receipt_is_bytes(k->type)) {
            if (first || sl_bytes_order(f->vmin, f->vmin_len, k->vmin, k->vmin_len) < 0) {
                memcpy(k->vmin, f->vmin, f->vmin_len);
                k->vmin_len = f->vmin_len;
                k->min_cut = f->min_cut;
            }
            if (first || sl_bytes_order(f->vmax, f->vmax_len, k->vmax, k->vmax_len) > 0) {
                memcpy(k->vmax, f->vmax, f->vmax_len);
                k->vmax_len = f->vmax_len;
                k->max_cut = f->max_cut;
            }
        } else if (sl_receipt_is_float(k->type)) {
            if (first || sl_float_key(f->min.f) < sl_float_key(k->min.f)) k->min.f = f->min.f;
            if (first || sl_float_key(f->max.f) > sl_float_key(k->max.f)) k->max.f = f->max.f;
        } else if (sl_receipt_is_wide(k->type)) {
            if (first || f->min.d < k->min.d) k->min.d = f->min.d;
            if (first || f->max.d > k->max.d) k->max.d = f->max.d;
        } else {
            if (first || f->min.i < k->min.i) k->min.i = f->min.i;
            if (first || f->max.i > k->max.i) k->max.i = f->max.i;
        }
    }
}

/* ---- the state store's blob ---- */

#define SL_RECEIPT_MAGIC 0x31435253u   /* "SRC1" */

typedef struct sl_receipt_wire {       /* one column, as stored */
    uint8_t type_id, precision, scale, flags;
    uint8_t vmin_len, vmax_len, pad[2];
    int64_t non_null;
    uint8_t min[16], max[16], sum[16];
    uint8_t vmin[SL_RECEIPT_BYTES], vmax[SL_RECEIPT_BYTES];
} sl_receipt_wire;

void sl_receipt_encode(const sl_receipt *r, sl_buf *out)
{
    uint32_t head[2] = { SL_RECEIPT_MAGIC, (uint32_t)r->ncols };
    sl_buf_append(out, head, sizeof head);
    sl_buf_append(out, &r->rows, 8);
    for (int c = 0; c < r->ncols; c++) {
        const sl_receipt_col *k = &r->cols[c];
        sl_receipt_wire w;
        memset(&w, 0, sizeof w);
        w.type_id = (uint8_t)k->type.id;
        w.precision = k->type.precision;
        w.scale = k->type.scale;
        w.flags = (uint8_t)(k->has_minmax | k->min_cut << 1 | k->max_cut << 2 | k->sum_overflow << 3);
        w.vmin_len = k->vmin_len;
        w.vmax_len = k->vmax_len;
        w.non_null = k->non_null;
        memcpy(w.min, &k->min, sizeof k->min < 16 ? sizeof k->min : 16);
        memcpy(w.max, &k->max, sizeof k->max < 16 ? sizeof k->max : 16);
        memcpy(w.sum, &k->sum, 16);
        memcpy(w.vmin, k->vmin, k->vmin_len);
        memcpy(w.vmax, k->vmax, k->vmax_len);
        sl_buf_append(out, &w, sizeof w);
    }
}

int sl_receipt_decode(sl_receipt *r, const void *p, size_t len, sl_err *err)
{
    uint32_t head[2];
    if (len < 16) return sl_err_set(err, SL_EFORMAT, "a receipt of %zu bytes is too short", len);
    memcpy(head, p, sizeof head);
    if (head[0] != SL_RECEIPT_MAGIC || (int)head[1] != r->ncols ||
        len != 16 + (size_t)r->ncols * sizeof(sl_receipt_wire))
        return sl_err_set(err, SL_EFORMAT, "the stored receipt is not one of these %d columns", r->ncols);
    const uint8_t *q = (const uint8_t *)p + 8;
    memcpy(&r->rows, q, 8);
    q += 8;
    for (int c = 0; c < r->ncols; c++, q += sizeof(sl_receipt_wire)) {
        sl_receipt_wire w;
        memcpy(&w, q, sizeof w);
        sl_receipt_col *k = &r->cols[c];
        if (w.type_id != k->type.id || w.precision != k->type.precision || w.scale != k->type.scale ||
            w.vmin_len > SL_RECEIPT_BYTES || w.vmax_len > SL_RECEIPT_BYTES)
            return sl_err_set(err, SL_EFORMAT, "the stored receipt's column %d has another type", c + 1);
        k->has_minmax = w.flags & 1;
        k->min_cut = w.flags & 2;
        k->max_cut = w.flags & 4;
        k->sum_overflow = w.flags & 8;
        k->non_null = w.non_null;
        memcpy(&k->min, w.min, sizeof k->min < 16 ? sizeof k->min : 16);
        memcpy(&k->max, w.max, sizeof k->max < 16 ? sizeof k->max : 16);
        memcpy(&k->sum, w.sum, 16);
        k->vmin_len = w.vmin_len;
        k->vmax_len = w.vmax_len;
        memcpy(k->vmin, w.vmin, w.vmin_len);
        memcpy(k->vmax, w.vmax, w.vmax_len);
    }
    return 0;
}

/* ---- JSON ---- */

/* A min or max of column k as text, in sluice's shared forms. */
static void sl_receipt_value(const sl_receipt_col *k, bool is_max, sl_buf *out)
{
    char text[160];
    sl_type t = k->type;
    if (sl_receipt_is_bytes(t)) {
        const uint8_t *p = is_max ? k->vmax : k->vmin;
        size_t len = is_max ? k->vmax_len : k->vmin_len;
        if (t.id == SL_T_UUID) {
            sl_format_uuid(p, text);
            sl_buf_json_str(out, text, strlen(text));
        } else if (t.id == SL_T_BYTES) {
            sl_buf_push(out, '"');
            sl_buf_append(out, "\\\\x", 3);
            for (size_t i = 0; i < len; i++) sl_buf_printf(out, "%02x", p[i]);
            sl_buf_push(out, '"');
        } else {
            /* A cut may end inside a character: show the whole characters. */
            bool cut = is_max ? k->max_cut : k->min_cut;
            if (cut) {
                size_t n = len;
                while (n > 0 && (p[n - 1] & 0xC0) == 0x80) n--;
                if (n > 0 && p[n - 1] >= 0xC0) len = n - 1;
            }
            sl_buf_json_str(out, p, len);
        }
        return;
    }
    /* Fixed width: the value in a one-row vector, printed as everywhere else. */
    uint8_t data[16];
    const void *src = is_max ? (const void *)&k->max : (const void *)&k->min;
    size_t width = sl_type_width(t);
    if (sl_receipt_is_float(t) || sl_receipt_is_wide(t) || width == 8) {
        if (t.id == SL_T_FLOAT32) {
            float f = (float)(is_max ? k->max.f : k->min.f);
            memcpy(data, &f, 4);
        } else {
            memcpy(data, src, width);
        }
    } else {
        int64_t x = is_max ? k->max.i : k->min.i;
        if (width == 1) { uint8_t y = (uint8_t)x; memcpy(data, &y, 1); }
        else if (width == 2) { int16_t y = (int16_t)x; memcpy(data, &y, 2); }
        else { int32_t y = (int32_t)x; memcpy(data, &y, 4); }
    }
    uint8_t valid = 1;
    sl_vector v = { .type = t, .width = width, .valid = &valid, .data = data };
    size_t n = sl_format_fixed(&v, 0, text);
    sl_buf_json_str(out, text, n);
}

void sl_receipt_json(const sl_receipt *r, const sl_schema *schema, const char *indent, sl_buf *out)
{
    sl_buf_printf(out, "{\"rows\": %" PRId64 ", \"columns\": [", r->rows);
    for (int c = 0; c < r->ncols; c++) {
        const sl_receipt_col *k = &r->cols[c];
        if (c) sl_buf_push(out, ',');
        if (indent) sl_buf_printf(out, "\n%s", indent);
        else if (c) sl_buf_push(out, ' ');
        sl_buf_printf(out, "{\"name\": ");
        const char *name = schema->fields[c].name;
        sl_buf_json_str(out, name, strlen(name));
        char type[64];
        sl_type_format(k->type, type, sizeof type);
        sl_buf_printf(out, ", \"type\": \"%s\", \"non_null\": %" PRId64, type, k->non_null);
        if (k->has_minmax) {
            sl_buf_printf(out, ", \"min\": ");
            sl_receipt_value(k, false, out);
            if (k->min_cut) sl_buf_printf(out, ", \"min_cut\": true");
            sl_buf_printf(out, ", \"max\": ");
            sl_receipt_value(k, true, out);
            if (k->max_cut) sl_buf_printf(out, ", \"max_cut\": true");
        }
        if (k->sums) {
            char sum[64];
            if (k->sum_overflow) snprintf(sum, sizeof sum, "overflow");
            else sl_format_decimal(k->sum, k->type.id == SL_T_DECIMAL ? k->type.scale : 0, sum);
            sl_buf_printf(out, ", \"sum\": \"%s\"", sum);
        }
        sl_buf_push(out, '}');
    }
    sl_buf_printf(out, "]}");
}

bool sl_receipt_json_field(const char *line, const char *key, char *out, size_t size)
{
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(line, pat);
    if (!p || !size) return false;
    p += strlen(pat);
    size_t n = 0;
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            char ch = *p;
            if (ch == '\\' && p[1]) {
                p++;
                ch = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p == 'r' ? '\r' : *p;
            }
            if (n + 1 < size) out[n++] = ch;
        }
    } else {
        while (*p && *p != ',' && *p != '}' && n + 1 < size) out[n++] = *p++;
    }
    out[n] = '\0';
    return true;
}

const char *sl_receipt_json_columns(const char *p)
{
    const char *cols = strstr(p, "\"columns\": [");
    return cols ? cols + strlen("\"columns\": [") : NULL;
}

const char *sl_receipt_json_column(const char *p, char *out, size_t size)
{
    while (*p && *p != '{' && *p != ']') p++;
    if (*p != '{') return NULL;
    const char *start = p;
    int depth = 0;
    bool in_str = false;
    for (; *p; p++) {
        if (in_str) {
            if (*p == '\\' && p[1]) p++;
            else if (*p == '"') in_str = false;
        } else if (*p == '"') {
            in_str = true;
        } else if (*p == '{') {
            depth++;
        } else if (*p == '}' && --depth == 0) {
            p++;
            break;
        }
    }
    size_t n = (size_t)(p - start);
    if (size) snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), start);
    return p;
}

void sl_receipt_column_text(const char *column, char *out, size_t size)
{
    char name[256] = "", type[64] = "", nn[32] = "", mn[SL_RECEIPT_BYTES * 4 + 8] = "",
         mx[SL_RECEIPT_BYTES * 4 + 8] = "", sum[64] = "";
    sl_receipt_json_field(column, "name", name, sizeof name);
    sl_receipt_json_field(column, "type", type, sizeof type);
    sl_receipt_json_field(column, "non_null", nn, sizeof nn);
    bool has_min = sl_receipt_json_field(column, "min", mn, sizeof mn);
    sl_receipt_json_field(column, "max", mx, sizeof mx);
    bool has_sum = sl_receipt_json_field(column, "sum", sum, sizeof sum);
    int n = snprintf(out, size, "%-20s %-16s non-null %s", name, type, nn);
    if (has_min && n >= 0 && (size_t)n < size)
        n += snprintf(out + n, size - (size_t)n, "  min %s%s  max %s%s", mn, strstr(column, "\"min_cut\"") ? "..." : "",
                      mx, strstr(column, "\"max_cut\"") ? "..." : "");
    if (has_sum && n >= 0 && (size_t)n < size) snprintf(out + n, size - (size_t)n, "  sum %s", sum);
}

int sl_receipt_json_diff(const char *want, const char *got, bool partial, const char *want_label,
                         const char *got_label, sl_buf *report)
{
    int diffs = 0;
    char a[SL_RECEIPT_BYTES * 4 + 64], b[SL_RECEIPT_BYTES * 4 + 64];
    /* The receipt's own "rows", before its columns. */
    const char *wc0 = sl_receipt_json_columns(want), *gc0 = sl_receipt_json_columns(got);
    char *wtop = sl_strndup(want, wc0 ? (size_t)(wc0 - want) : strlen(want));
    char *gtop = sl_strndup(got, gc0 ? (size_t)(gc0 - got) : strlen(got));
    if (sl_receipt_json_field(wtop, "rows", a, sizeof a) && sl_receipt_json_field(gtop, "rows", b, sizeof b) &&
        strcmp(a, b)) {
        sl_buf_printf(report, "rows: %s %s, %s %s\n", want_label, a, got_label, b);
        diffs++;
    }
    sl_free(wtop);
    sl_free(gtop);
    static const char *const keys[] = { "name", "type", "non_null", "min", "min_cut", "max", "max_cut", "sum" };
    char wc[8192], gc[8192];
    const char *w = wc0, *g = gc0;
    for (;;) {
        w = w ? sl_receipt_json_column(w, wc, sizeof wc) : NULL;
        g = g ? sl_receipt_json_column(g, gc, sizeof gc) : NULL;
        if (!w && !g) break;
        if (!w || !g) {
            sl_buf_printf(report, "%s has %s columns than %s\n", want_label, w ? "more" : "fewer", got_label);
            diffs++;
            break;
        }
        if (!strcmp(wc, gc)) continue;
        char name[256] = "";
        sl_receipt_json_field(wc, "name", name, sizeof name);
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            bool has_a = sl_receipt_json_field(wc, keys[k], a, sizeof a);
            bool has_b = sl_receipt_json_field(gc, keys[k], b, sizeof b);
            if (!has_a) snprintf(a, sizeof a, "(none)");
            if (!has_b) snprintf(b, sizeof b, "(none)");
            if (partial) {
                if (!has_b || !strcmp(keys[k], "type") || strstr(keys[k], "_cut")) continue;
                if (!strcmp(keys[k], "sum") && !strcmp(a, "overflow")) continue;
                char cut[16];
                snprintf(cut, sizeof cut, "\"%s_cut\"", keys[k]);
                if (has_a && strstr(wc, cut) && !strncmp(a, b, strlen(a))) continue;
                /* A source orders -0 and 0 as equal: either may be its min or max. */
                if ((!strcmp(a, "-0") && !strcmp(b, "0")) || (!strcmp(a, "0") && !strcmp(b, "-0"))) continue;
            }
            if (strcmp(a, b)) {
                sl_buf_printf(report, "column %s: %s: %s %s, %s %s\n", name, keys[k], want_label, a, got_label, b);
                diffs++;
            }
        }
    }
    return diffs;
}
