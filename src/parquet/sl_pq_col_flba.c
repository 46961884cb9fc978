/*
 * sl_pq_col_flba.c - the FIXED_LEN_BYTE_ARRAY column writer: UUID (16 bytes
 * as they are, unsigned byte order for min/max) and DECIMAL with precision
 * 19..38 (sl_i128 -> minimal-length big-endian two's complement, checked
 * against the precision; min/max by signed value).
 */
#include "sl_pq_col.h"

#include "sl_pq_format.h"

static void sl_i128_to_be(sl_i128 x, int n, uint8_t *out)
{
    unsigned __int128 u = (unsigned __int128)x;
    for (int i = n - 1; i >= 0; i--) {
        out[i] = (uint8_t)u;
        u >>= 8;
    }
}

static sl_i128 sl_pow10_i128(int p)
{
    sl_i128 r = 1;
    for (int i = 0; i < p; i++) r *= 10;
    return r;
}

static void sl_flba_put(sl_pq_col *c, const uint8_t *be)
{
    if (c->dict_on) {
        c->idx[c->nidx++] = sl_pq_dict_put_fixed(&c->dict, be);
    } else {
        sl_buf_append(&c->plain, be, (size_t)c->type_length);
    }
}

/* memcmp order of two 16-byte values, as two big-endian words: no call. */
static inline int sl_u16b_cmp(const uint8_t *a, const uint8_t *b)
{
    uint64_t a0, b0, a1, b1;
    memcpy(&a0, a, 8);
    memcpy(&b0, b, 8);
    if (a0 != b0) return __builtin_bswap64(a0) < __builtin_bswap64(b0) ? -1 : 1;
    memcpy(&a1, a + 8, 8);
    memcpy(&b1, b + 8, 8);
    if (a1 != b1) return __builtin_bswap64(a1) < __builtin_bswap64(b1) ? -1 : 1;
    return 0;
}

static size_t sl_flba_append(sl_pq_col *c, const sl_vector *v, size_t from, size_t to, sl_err *err)
{
    const uint8_t *valid = v->valid;
    if (v->type.id == SL_T_UUID) {
        for (size_t r = from; r < to; r++) {
            if (!valid[r]) continue;
            const uint8_t *u = v->data + r * 16;
            if (!c->has_minmax) {
                memcpy(c->fmin, u, 16);
                memcpy(c->fmax, u, 16);
                c->has_minmax = true;
            } else {
                if (sl_u16b_cmp(u, c->fmin) < 0) memcpy(c->fmin, u, 16);
                else if (sl_u16b_cmp(u, c->fmax) > 0) memcpy(c->fmax, u, 16);
            }
            sl_flba_put(c, u);
        }
        return to - from;
    }
    /* DECIMAL(19..38) */
    sl_i128 limit = sl_pow10_i128(v->type.precision), mn, mx;
    memcpy(&mn, c->fmin, 16);
    memcpy(&mx, c->fmax, 16);
    bool seen = false;
    for (size_t r = from; r < to; r++) {
        if (!valid[r]) continue;
        sl_i128 x;
        memcpy(&x, v->data + r * 16, 16);
        if (x >= limit || x <= -limit) {
            char buf[64];
            sl_format_decimal(x, v->type.scale, buf);
            sl_err_set(err, SL_EDATA, "column %s: row %lld: value %s does not fit DECIMAL(%u,%u)",
                       c->field->name, (long long)(c->row_base + (int64_t)r), buf, v->type.precision,
                       v->type.scale);
            return (size_t)-1;
        }
        if (!c->has_minmax && !seen) {
            mn = mx = x;
        } else {
            if (x < mn) mn = x;
            if (x > mx) mx = x;
        }
        seen = true;
        uint8_t be[16];
        sl_i128_to_be(x, c->type_length, be);
        sl_flba_put(c, be);
    }
    if (seen) {
        c->has_minmax = true;
        memcpy(c->fmin, &mn, 16);
        memcpy(c->fmax, &mx, 16);
    }
    return to - from;
}

static bool sl_flba_stats(sl_pq_col *c)
{
    if (!c->has_minmax) return false;
    sl_buf_clear(&c->stat_min);
    sl_buf_clear(&c->stat_max);
    if (c->type.id == SL_T_UUID) {
        sl_buf_append(&c->stat_min, c->fmin, 16);
        sl_buf_append(&c->stat_max, c->fmax, 16);
    } else {
        sl_i128 mn, mx;
        uint8_t be[16];
        memcpy(&mn, c->fmin, 16);
        memcpy(&mx, c->fmax, 16);
        sl_i128_to_be(mn, c->type_length, be);
        sl_buf_append(&c->stat_min, be, (size_t)c->type_length);
        sl_i128_to_be(mx, c->type_length, be);
        sl_buf_append(&c->stat_max, be, (size_t)c->type_length);
    }
    return true;
}

const sl_pq_col_ops sl_pq_col_flba_ops = { sl_flba_append, sl_flba_stats };
