/*
 * sl_pq_delta_enc.h - the DELTA_BINARY_PACKED encoder for INT64 pages.
 *
 *   sl_pq_delta_encode_i64(&payload, values, n);   appends the encoded values
 *
 * Blocks of 128 values in 4 miniblocks of 32; each block stores its
 * smallest delta and bit-packs every delta minus it at its miniblock's
 * width. Sorted or nearly sorted columns (ids, timestamps, sequence
 * numbers) shrink to a few bits per value before the codec sees them: a
 * serial id is 0 bits, a timestamp a few seconds apart ~25 bits instead of
 * 64, so zstd has a fraction of the bytes to compress. Deltas wrap modulo
 * 2^64, as the format says, so any int64 sequence round-trips.
 */
#ifndef SL_PQ_DELTA_ENC_H
#define SL_PQ_DELTA_ENC_H

#include "../core/sl_buf.h"

#include <stddef.h>
#include <stdint.h>

void sl_pq_delta_encode_i64(sl_buf *out, const int64_t *v, size_t n);

#endif
