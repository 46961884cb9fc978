/*
 * sl_pq_rle.h - RLE/bit-packed hybrid ENCODER (Parquet Encodings.md), used
 * for definition levels and dictionary indices.
 *
 * Runs of 8 or more equal values become RLE runs; everything else goes into
 * bit-packed runs of whole groups of 8 values, the last group padded with
 * zeros (a truncated last group crashes some readers). No length prefix:
 * the caller adds the u32 length for V1 levels, or the bit-width byte for
 * dictionary indices.
 *
 *   sl_pq_rle_encode_u8(&buf, def_levels, n, 1);
 *   sl_pq_rle_encode_u32(&buf, indices, n, sl_pq_bit_width(max_index));
 */
#ifndef SL_PQ_RLE_H
#define SL_PQ_RLE_H

#include "../core/sl_buf.h"

#include <stddef.h>
#include <stdint.h>

/* Bits needed for values up to max (0 for 0). */
static inline int sl_pq_bit_width(uint32_t max)
{
    return max ? 32 - __builtin_clz(max) : 0;
}

void sl_pq_rle_encode_u8(sl_buf *out, const uint8_t *v, size_t n, int bit_width);
void sl_pq_rle_encode_u32(sl_buf *out, const uint32_t *v, size_t n, int bit_width);

/* ULEB128, as the hybrid's run headers use. */
void sl_pq_uleb128(sl_buf *out, uint64_t v);

#endif
