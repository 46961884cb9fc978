/*
 * sl_pq_col_bytes.c - the BYTE_ARRAY column writer (string, json, bytes).
 * PLAIN is u32 LE length + bytes. min/max compare as unsigned bytes
 * (memcmp, then length). A page or dictionary stops taking values once it
 * is full, so several-MB values still give bounded pages. Binary min/max
 * longer than stats_max_bytes are truncated: the min to a prefix, the max to
 * a prefix whose last ASCII byte is incremented (cut on UTF-8 boundaries so
 * strings stay valid); both then marked inexact.
 */
#include "sl_pq_col.h"

#include "sl_pq_format.h"

/* memcmp order, then length. The first 32 bytes are compared a big-endian
 * word at a time inline (most values differ there, and a memcmp call costs
 * more than the compare); the rest, if any, by memcmp. */
static inline int sl_bytes_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
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

static size_t sl_bytes_too_long(sl_pq_col *c, size_t r, size_t len, sl_err *err)
{
    sl_err_set(err, SL_EDATA, "column %s: row %lld: a value of %zu bytes exceeds Parquet's 2 GiB limit",
               c->field->name, (long long)(c->row_base + (int64_t)r), len);
    return (size_t)-1;
}

/* Folds a range's min/max (pointers into the batch) into the chunk's. */
static void sl_bytes_fold_minmax(sl_pq_col *c, const uint8_t *mn, size_t mnl, const uint8_t *mx, size_t mxl)
{
    if (!mn) return;
    if (!c->has_minmax || sl_bytes_cmp(mn, mnl, c->stat_min.data, c->stat_min.len) < 0) {
        sl_buf_clear(&c->stat_min);
        sl_buf_append(&c->stat_min, mn, mnl);
    }
    if (!c->has_minmax || sl_bytes_cmp(mx, mxl, c->stat_max.data, c->stat_max.len) > 0) {
        sl_buf_clear(&c->stat_max);
        sl_buf_append(&c->stat_max, mx, mxl);
    }
    c->has_minmax = true;
}

/* PLAIN values (no dictionary): room for the whole range is reserved once
 * (it is at most the batch's own bytes plus 4 a row), then each value is a
 * length word and an inline copy; no call per value. */
static size_t sl_bytes_append_plain(sl_pq_col *c, const sl_vector *v, size_t from, size_t to, sl_err *err)
{
    const int64_t *off = v->offsets;
    const uint8_t *heap = v->heap, *valid = v->valid;
    const uint8_t *mn = NULL, *mx = NULL;
    size_t mnl = 0, mxl = 0;
    sl_buf_reserve(&c->plain, (size_t)(off[to] - off[from]) + 4 * (to - from));
    uint8_t *base = c->plain.data, *w = base + c->plain.len;
    const size_t page_bytes = c->page_bytes;
    size_t r;
    for (r = from; r < to; r++) {
        if (!valid[r]) continue;
        size_t len = (size_t)(off[r + 1] - off[r]);
        const uint8_t *p = heap + off[r];
        if (len > INT32_MAX - 64) {
            c->plain.len = (size_t)(w - base);
            return sl_bytes_too_long(c, r, len, err);
        }
        if (!mn) {
            mn = mx = p;
            mnl = mxl = len;
        } else {
            if (sl_bytes_cmp(p, len, mn, mnl) < 0) { mn = p; mnl = len; }
            else if (sl_bytes_cmp(p, len, mx, mxl) > 0) { mx = p; mxl = len; }
        }
        uint32_t le = (uint32_t)len;   /* PLAIN's length word: little-endian, as the host */
        memcpy(w, &le, 4);
        sl_copy_small(w + 4, p, len);
        w += 4 + len;
        if ((size_t)(w - base) >= page_bytes) { r++; break; }
    }
    c->plain.len = (size_t)(w - base);
    sl_bytes_fold_minmax(c, mn, mnl, mx, mxl);
    return r - from;
}

static size_t sl_bytes_append(sl_pq_col *c, const sl_vector *v, size_t from, size_t to, sl_err *err)
{
    if (!c->dict_on) return sl_bytes_append_plain(c, v, from, to, err);
    const int64_t *off = v->offsets;
    const uint8_t *heap = v->heap, *valid = v->valid;
    const uint8_t *mn = NULL, *mx = NULL;
    size_t mnl = 0, mxl = 0;
    size_t r;
    for (r = from; r < to; r++) {
        if (!valid[r]) continue;
        size_t len = (size_t)(off[r + 1] - off[r]);
        const uint8_t *p = heap + off[r];
        if (len > INT32_MAX - 64) return sl_bytes_too_long(c, r, len, err);
        uint32_t before = c->dict.count;
        c->idx[c->nidx++] = sl_pq_dict_put_bytes(&c->dict, p, (uint32_t)len);
        /* A value already in the dictionary cannot move min or max. */
        if (c->dict.count != before) {
            if (!mn) {
                mn = mx = p;
                mnl = mxl = len;
            } else {
                if (sl_bytes_cmp(p, len, mn, mnl) < 0) { mn = p; mnl = len; }
                if (sl_bytes_cmp(p, len, mx, mxl) > 0) { mx = p; mxl = len; }
            }
        }
        if (c->dict.plain.len > c->dict_max_bytes) { r++; break; }
    }
    sl_bytes_fold_minmax(c, mn, mnl, mx, mxl);
    return r - from;
}

/* Length of a prefix of at most `max` bytes that ends on a UTF-8 boundary. */
static size_t sl_utf8_cut(const uint8_t *p, size_t len, size_t max)
{
    if (len <= max) return len;
    size_t n = max;
    while (n > 0 && (p[n] & 0xC0) == 0x80) n--;
    return n;
}

static bool sl_bytes_stats(sl_pq_col *c)
{
    if (!c->has_minmax) return false;
    size_t limit = c->stats_max_bytes;
    if (limit && c->stat_min.len > limit) {
        c->stat_min.len = sl_utf8_cut(c->stat_min.data, c->stat_min.len, limit);
        c->min_exact = false;
    }
    if (limit && c->stat_max.len > limit) {
        /* Find a prefix whose last byte can grow and stay valid UTF-8: an
         * ASCII byte below 0x7F. If none, keep the exact max. */
        size_t n = sl_utf8_cut(c->stat_max.data, c->stat_max.len, limit);
        while (n > 0 && c->stat_max.data[n - 1] >= 0x7F) n--;
        if (n > 0) {
            c->stat_max.data[n - 1]++;
            c->stat_max.len = n;
            c->max_exact = false;
        }
    }
    return true;
}

const sl_pq_col_ops sl_pq_col_bytes_ops = { sl_bytes_append, sl_bytes_stats };
