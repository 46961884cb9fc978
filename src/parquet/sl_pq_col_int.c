/*
 * sl_pq_col_int.c - column writers for INT32 (int16, int32, date, decimal
 * with precision <= 9) and INT64 (int64, time, timestamp, decimal with
 * precision <= 18). Values are converted from the batch's representation,
 * decimals are checked against their precision, min/max are signed.
 * PLAIN is little-endian, as the host (x86-64, aarch64) is.
 */
#include "sl_pq_col.h"

#include "sl_pq_format.h"

#include <inttypes.h>

static const int64_t sl_pow10_i64[19] = {
    1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL,
    1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL,
    100000000000000LL, 1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
    1000000000000000000LL,
};

static size_t sl_decimal_range_error(sl_pq_col *c, size_t row, int64_t x, sl_err *err)
{
    char buf[64];
    sl_format_decimal(x, c->field->type.scale, buf);
    sl_err_set(err, SL_EDATA, "column %s: row %lld: value %s does not fit DECIMAL(%u,%u)",
               c->field->name, (long long)(c->row_base + (int64_t)row), buf,
               c->field->type.precision, c->field->type.scale);
    return (size_t)-1;
}

/* Row r of src as DST x: the decimal range checked when LIMIT > 0 (returns
 * the error), mn/mx updated. Declares wide and x. */
#define SL_INT_VALUE(SRC, DST, LIMIT)                                                     \
    int64_t wide = (int64_t)src[r];                                                       \
    if ((LIMIT) > 0 && (wide >= (LIMIT) || wide <= -(LIMIT)))                             \
        return sl_decimal_range_error(c, r, wide, err);                                   \
    DST x = (DST)wide;                                                                    \
    if (wide < mn) mn = wide;                                                             \
    if (wide > mx) mx = wide

/* Values ahead of the current one whose dictionary slot is prefetched:
 * a table of many distinct values (customer ids: 4-8 MB) misses the cache
 * on nearly every lookup. */
#define SL_DICT_AHEAD 8

/* The loop shared by every source type: SRC is the batch's C type, DST the
 * physical one; LIMIT > 0 checks decimals. */
#define SL_INT_APPEND(SRC, DST, LIMIT)                                                    \
    do {                                                                                  \
        const SRC *src = (const SRC *)v->data;                                            \
        const uint8_t *valid = v->valid;                                                  \
        int64_t mn = c->has_minmax ? c->smin.i : INT64_MAX;                               \
        int64_t mx = c->has_minmax ? c->smax.i : INT64_MIN;                               \
        size_t seen = 0;                                                                  \
        if (c->dict_on) {                                                                 \
            uint32_t *idx = c->idx + c->nidx;                                             \
            for (size_t r = from; r < to; r++) {                                          \
                if (r + SL_DICT_AHEAD < to)                                               \
                    sl_pq_dict_prefetch(&c->dict, sizeof(DST) == 4                        \
                        ? (uint64_t)(uint32_t)(DST)src[r + SL_DICT_AHEAD]                 \
                        : (uint64_t)(DST)src[r + SL_DICT_AHEAD]);                         \
                if (!valid[r]) continue;                                                  \
                SL_INT_VALUE(SRC, DST, LIMIT);                                            \
                *idx++ = sl_pq_dict_put_fixed(&c->dict, &x);                              \
            }                                                                             \
            seen = (size_t)(idx - (c->idx + c->nidx));                                    \
            c->nidx += seen;                                                              \
        } else {                                                                          \
            sl_buf_reserve(&c->plain, (to - from) * sizeof(DST));                         \
            uint8_t *p = c->plain.data + c->plain.len, *start = p;                        \
            for (size_t r = from; r < to; r++) {                                          \
                if (!valid[r]) continue;                                                  \
                SL_INT_VALUE(SRC, DST, LIMIT);                                            \
                memcpy(p, &x, sizeof x);                                                  \
                p += sizeof x;                                                            \
            }                                                                             \
            seen = (size_t)(p - start);                                                   \
            c->plain.len += seen;                                                         \
        }                                                                                 \
        if (seen) {                                                                       \
            c->has_minmax = true;                                                         \
            c->smin.i = mn;                                                               \
            c->smax.i = mx;                                                               \
        }                                                                                 \
        return to - from;                                                                 \
    } while (0)

static size_t sl_int32_append(sl_pq_col *c, const sl_vector *v, size_t from, size_t to, sl_err *err)
{
    switch (v->type.id) {
    case SL_T_INT16: SL_INT_APPEND(int16_t, int32_t, 0);
    case SL_T_DECIMAL: SL_INT_APPEND(int64_t, int32_t, sl_pow10_i64[v->type.precision]);
    default: SL_INT_APPEND(int32_t, int32_t, 0);   /* INT32, DATE */
    }
}

static size_t sl_int64_append(sl_pq_col *c, const sl_vector *v, size_t from, size_t to, sl_err *err)
{
    if (v->type.id == SL_T_DECIMAL && v->type.precision < 19)
        SL_INT_APPEND(int64_t, int64_t, sl_pow10_i64[v->type.precision]);
    SL_INT_APPEND(int64_t, int64_t, 0);   /* INT64, TIME, TIMESTAMP */
}

static bool sl_int32_stats(sl_pq_col *c)
{
    if (!c->has_minmax) return false;
    int32_t mn = (int32_t)c->smin.i, mx = (int32_t)c->smax.i;
    sl_buf_clear(&c->stat_min);
    sl_buf_clear(&c->stat_max);
    sl_buf_append(&c->stat_min, &mn, 4);
    sl_buf_append(&c->stat_max, &mx, 4);
    return true;
}

static bool sl_int64_stats(sl_pq_col *c)
{
    if (!c->has_minmax) return false;
    sl_buf_clear(&c->stat_min);
    sl_buf_clear(&c->stat_max);
    sl_buf_append(&c->stat_min, &c->smin.i, 8);
    sl_buf_append(&c->stat_max, &c->smax.i, 8);
    return true;
}

const sl_pq_col_ops sl_pq_col_int32_ops = { sl_int32_append, sl_int32_stats };
const sl_pq_col_ops sl_pq_col_int64_ops = { sl_int64_append, sl_int64_stats };
