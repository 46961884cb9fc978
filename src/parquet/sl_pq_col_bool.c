/*
 * sl_pq_col_bool.c - the BOOLEAN column writer: PLAIN only (bit-packed,
 * LSB first; Parquet has no dictionary for booleans), min/max false < true.
 */
#include "sl_pq_col.h"

static size_t sl_bool_append(sl_pq_col *c, const sl_vector *v, size_t from, size_t to, sl_err *err)
{
    const uint8_t *src = v->data, *valid = v->valid;
    int64_t mn = c->has_minmax ? c->smin.i : 1, mx = c->has_minmax ? c->smax.i : 0;
    bool seen = false;
    sl_buf_reserve(&c->plain, (to - from) / 8 + 2);
    for (size_t r = from; r < to; r++) {
        if (!valid[r]) continue;
        int bit = src[r] ? 1 : 0;
        if (c->bool_bits == 0) c->plain.data[c->plain.len++] = 0;
        c->plain.data[c->plain.len - 1] |= (uint8_t)(bit << c->bool_bits);
        c->bool_bits = (c->bool_bits + 1) & 7;
        if (bit < mn) mn = bit;
        if (bit > mx) mx = bit;
        seen = true;
    }
    if (seen) {
        c->has_minmax = true;
        c->smin.i = mn;
        c->smax.i = mx;
    }
    return to - from;
}

static bool sl_bool_stats(sl_pq_col *c)
{
    if (!c->has_minmax) return false;
    sl_buf_clear(&c->stat_min);
    sl_buf_clear(&c->stat_max);
    sl_buf_push(&c->stat_min, (uint8_t)c->smin.i);
    sl_buf_push(&c->stat_max, (uint8_t)c->smax.i);
    return true;
}

const sl_pq_col_ops sl_pq_col_bool_ops = { sl_bool_append, sl_bool_stats };
