/*
 * sl_pq_delta_enc.c - DELTA_BINARY_PACKED for INT64 (see sl_pq_delta_enc.h).
 * Layout: header <block size 128> <miniblocks 4> <value count> <first value,
 * zigzag>, all ULEB128; then per block <min delta, zigzag ULEB128> <4 bit
 * widths, one byte each> <the miniblocks, each 32 values bit-packed LSB
 * first, the last one padded with zeros>. A last block's unused miniblocks
 * have width 0 and no bytes.
 */
#include "sl_pq_delta_enc.h"

#define SL_DBP_BLOCK 128
#define SL_DBP_MINIBLOCKS 4
#define SL_DBP_MB (SL_DBP_BLOCK / SL_DBP_MINIBLOCKS)

static void sl_put_uleb(sl_buf *out, uint64_t x)
{
    uint8_t tmp[10];
    int n = 0;
    do {
        uint8_t b = x & 0x7F;
        x >>= 7;
        tmp[n++] = (uint8_t)(b | (x ? 0x80 : 0));
    } while (x);
    sl_buf_append(out, tmp, (size_t)n);
}

static uint64_t sl_zigzag(int64_t x) { return ((uint64_t)x << 1) ^ (uint64_t)(x >> 63); }

/* 32 values of `w` bits, LSB first, into out (w * 4 bytes). */
static void sl_pack32(uint8_t *out, const uint64_t *d, int w)
{
    uint64_t acc = 0;
    int nbits = 0;
    for (int i = 0; i < SL_DBP_MB; i++) {
        uint64_t x = d[i];
        acc |= x << nbits;
        if (nbits + w >= 64) {
            memcpy(out, &acc, 8);   /* little-endian host, as PLAIN assumes */
            out += 8;
            int used = 64 - nbits;   /* bits of x that went in */
            acc = used < 64 ? x >> used : 0;
            nbits = nbits + w - 64;
        } else {
            nbits += w;
        }
    }
    /* 32 * w bits is a whole number of bytes (w * 4); flush the rest */
    for (; nbits > 0; nbits -= 8) {
        *out++ = (uint8_t)acc;
        acc >>= 8;
    }
}

void sl_pq_delta_encode_i64(sl_buf *out, const int64_t *v, size_t n)
{
    sl_put_uleb(out, SL_DBP_BLOCK);
    sl_put_uleb(out, SL_DBP_MINIBLOCKS);
    sl_put_uleb(out, n);
    sl_put_uleb(out, sl_zigzag(n ? v[0] : 0));
    uint64_t d[SL_DBP_BLOCK];
    for (size_t at = 1; at < n; at += SL_DBP_BLOCK) {
        size_t cnt = n - at < SL_DBP_BLOCK ? n - at : SL_DBP_BLOCK;
        uint64_t min = 0;
        for (size_t i = 0; i < cnt; i++) {
            uint64_t delta = (uint64_t)v[at + i] - (uint64_t)v[at + i - 1];
            d[i] = delta;
            if (i == 0 || (int64_t)delta < (int64_t)min) min = delta;
        }
        for (size_t i = 0; i < cnt; i++) d[i] -= min;
        for (size_t i = cnt; i < SL_DBP_BLOCK; i++) d[i] = 0;
        int widths[SL_DBP_MINIBLOCKS];
        size_t used_mb = (cnt + SL_DBP_MB - 1) / SL_DBP_MB, bytes = 0;
        for (size_t m = 0; m < SL_DBP_MINIBLOCKS; m++) {
            uint64_t any = 0;
            if (m < used_mb)
                for (size_t i = 0; i < SL_DBP_MB; i++) any |= d[m * SL_DBP_MB + i];
            widths[m] = any ? 64 - __builtin_clzll(any) : 0;
            if (m < used_mb) bytes += (size_t)widths[m] * 4;
        }
        sl_put_uleb(out, sl_zigzag((int64_t)min));
        sl_buf_reserve(out, SL_DBP_MINIBLOCKS + bytes);
        for (size_t m = 0; m < SL_DBP_MINIBLOCKS; m++) out->data[out->len++] = (uint8_t)widths[m];
        for (size_t m = 0; m < used_mb; m++) {
            if (widths[m] == 0) continue;
            sl_pack32(out->data + out->len, d + m * SL_DBP_MB, widths[m]);
            out->len += (size_t)widths[m] * 4;
        }
    }
}
