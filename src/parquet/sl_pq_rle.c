/*
 * sl_pq_rle.c - the RLE/bit-packed hybrid encoder (see sl_pq_rle.h).
 *
 * One pass: at each position measure the run of equal values. Pending
 * literals are first topped up to a multiple of 8 from the run (bit-packed
 * runs hold whole groups); a remaining run of >= 8 is emitted as an RLE run,
 * a shorter one joins the literals. The same body serves uint8 levels and
 * uint32 indices through a macro.
 */
#include "sl_pq_rle.h"

void sl_pq_uleb128(sl_buf *out, uint64_t v)
{
    sl_buf_reserve(out, 10);
    uint8_t *p = out->data + out->len;
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    out->len = (size_t)(p - out->data);
}

#define SL_RLE_DEFINE(SUFFIX, T)                                                          \
    static void sl_rle_literals_##SUFFIX(sl_buf *out, const T *v, size_t n, int bw)      \
    {                                                                                     \
        if (n == 0) return;                                                               \
        size_t groups = (n + 7) / 8;                                                      \
        sl_pq_uleb128(out, ((uint64_t)groups << 1) | 1);                                  \
        sl_buf_reserve(out, groups * (size_t)bw + 8);                                     \
        uint8_t *p = out->data + out->len;                                                \
        uint64_t acc = 0;                                                                 \
        int bits = 0;                                                                     \
        for (size_t i = 0; i < groups * 8; i++) {                                         \
            uint64_t x = i < n ? (uint64_t)v[i] : 0;                                      \
            acc |= x << bits;                                                             \
            bits += bw;                                                                   \
            while (bits >= 8) {                                                           \
                *p++ = (uint8_t)acc;                                                      \
                acc >>= 8;                                                                \
                bits -= 8;                                                                \
            }                                                                             \
        }                                                                                 \
        out->len = (size_t)(p - out->data);                                               \
    }                                                                                     \
                                                                                          \
    static void sl_rle_run_##SUFFIX(sl_buf *out, T x, size_t run, int bw)                \
    {                                                                                     \
        sl_pq_uleb128(out, (uint64_t)run << 1);                                           \
        for (int b = 0; b < (bw + 7) / 8; b++) sl_buf_push(out, (uint8_t)((uint64_t)x >> (8 * b))); \
    }                                                                                     \
                                                                                          \
    void sl_pq_rle_encode_##SUFFIX(sl_buf *out, const T *v, size_t n, int bw)            \
    {                                                                                     \
        size_t i = 0, lit_start = 0, lit_n = 0;                                           \
        while (i < n) {                                                                   \
            T x = v[i];                                                                   \
            size_t j = i + 1;                                                             \
            while (j < n && v[j] == x) j++;                                               \
            size_t run = j - i;                                                           \
            if (lit_n % 8) {                                                              \
                size_t take = 8 - lit_n % 8;                                              \
                if (take > run) take = run;                                               \
                lit_n += take;                                                            \
                i += take;                                                                \
                run -= take;                                                              \
                if (run == 0) continue;                                                   \
            }                                                                             \
            if (run >= 8) {                                                               \
                sl_rle_literals_##SUFFIX(out, v + lit_start, lit_n, bw);                  \
                sl_rle_run_##SUFFIX(out, x, run, bw);                                     \
                i += run;                                                                 \
                lit_start = i;                                                            \
                lit_n = 0;                                                                \
            } else {                                                                      \
                lit_n += run;                                                             \
                i += run;                                                                 \
            }                                                                             \
        }                                                                                 \
        sl_rle_literals_##SUFFIX(out, v + lit_start, lit_n, bw);                          \
    }

SL_RLE_DEFINE(u8, uint8_t)
SL_RLE_DEFINE(u32, uint32_t)
