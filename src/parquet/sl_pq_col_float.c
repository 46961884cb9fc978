/*
 * sl_pq_col_float.c - FLOAT and DOUBLE column writers. The dictionary keys
 * on the exact bits (so -0.0, +0.0 and NaN payloads stay what they were).
 *
 * Statistics: a chunk that holds a NaN gets no min/max at all (null_count
 * only), as DuckDB's writer does. The spec's rule (NaN excluded from min and
 * max) leaves a max that readers which sort NaN above every number (DuckDB,
 * PostgreSQL, Spark) use to prune: `where f > 5000` then skips a row group
 * whose only match is a NaN. The newer NaN-aware statistics (nan_count with
 * the IEEE 754 total order) are not read by the readers we test with, and
 * older readers would still prune on TYPE_ORDER min/max; no min/max is
 * correct for every reader, at the cost of no pruning on that one chunk.
 * Otherwise a zero min is written as -0.0 and a zero max as +0.0, so readers
 * pruning on them stay correct.
 */
#include "sl_pq_col.h"

#include <math.h>

/* Row r of src as T x; a number updates mn/mx (and any), a NaN is only
 * noted. Declares x. */
#define SL_FLOAT_VALUE(T)                                                                 \
    T x = src[r];                                                                         \
    if (x == x) {                                                                         \
        any = true;                                                                       \
        if (x < mn) mn = x;                                                               \
        if (x > mx) mx = x;                                                               \
    } else {                                                                              \
        c->saw_nan = true;                                                                \
    }

#define SL_FLOAT_APPEND(T)                                                                \
    do {                                                                                  \
        const T *src = (const T *)v->data;                                                \
        const uint8_t *valid = v->valid;                                                  \
        double mn = c->has_minmax ? c->smin.d : INFINITY;                                 \
        double mx = c->has_minmax ? c->smax.d : -INFINITY;                                \
        bool any = false;                                                                 \
        if (c->dict_on) {                                                                 \
            uint32_t *idx = c->idx + c->nidx;                                             \
            for (size_t r = from; r < to; r++) {                                          \
                if (!valid[r]) continue;                                                  \
                SL_FLOAT_VALUE(T);                                                        \
                *idx++ = sl_pq_dict_put_fixed(&c->dict, &x);                              \
            }                                                                             \
            c->nidx = (size_t)(idx - c->idx);                                             \
        } else {                                                                          \
            sl_buf_reserve(&c->plain, (to - from) * sizeof(T));                           \
            uint8_t *p = c->plain.data + c->plain.len;                                    \
            for (size_t r = from; r < to; r++) {                                          \
                if (!valid[r]) continue;                                                  \
                SL_FLOAT_VALUE(T);                                                        \
                memcpy(p, &x, sizeof x);                                                  \
                p += sizeof x;                                                            \
            }                                                                             \
            c->plain.len = (size_t)(p - c->plain.data);                                   \
        }                                                                                 \
        if (any) {                                                                        \
            c->has_minmax = true;                                                         \
            c->smin.d = mn;                                                               \
            c->smax.d = mx;                                                               \
        }                                                                                 \
        return to - from;                                                                 \
    } while (0)

static size_t sl_float_append(sl_pq_col *c, const sl_vector *v, size_t from, size_t to, sl_err *err)
{
    SL_FLOAT_APPEND(float);
}

static size_t sl_double_append(sl_pq_col *c, const sl_vector *v, size_t from, size_t to, sl_err *err)
{
    SL_FLOAT_APPEND(double);
}

static void sl_float_bounds(sl_pq_col *c, double *mn, double *mx)
{
    *mn = c->smin.d == 0 ? -0.0 : c->smin.d;
    *mx = c->smax.d == 0 ? 0.0 : c->smax.d;
    sl_buf_clear(&c->stat_min);
    sl_buf_clear(&c->stat_max);
}

static bool sl_float_stats(sl_pq_col *c)
{
    if (!c->has_minmax || c->saw_nan) return false;
    double mn, mx;
    sl_float_bounds(c, &mn, &mx);
    float fmn = (float)mn, fmx = (float)mx;
    sl_buf_append(&c->stat_min, &fmn, 4);
    sl_buf_append(&c->stat_max, &fmx, 4);
    return true;
}

static bool sl_double_stats(sl_pq_col *c)
{
    if (!c->has_minmax || c->saw_nan) return false;
    double mn, mx;
    sl_float_bounds(c, &mn, &mx);
    sl_buf_append(&c->stat_min, &mn, 8);
    sl_buf_append(&c->stat_max, &mx, 8);
    return true;
}

const sl_pq_col_ops sl_pq_col_float_ops = { sl_float_append, sl_float_stats };
const sl_pq_col_ops sl_pq_col_double_ops = { sl_double_append, sl_double_stats };
