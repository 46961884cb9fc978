/*
 * sl_decompress.h - decompression of Parquet page payloads, every codec:
 * UNCOMPRESSED, SNAPPY (raw block), GZIP (one or more RFC 1952 members, or
 * zlib), BROTLI, LZ4 (codec 5: Hadoop framing, else LZ4 frame, else raw
 * block), ZSTD (one or more frames; a frame of 0 bytes is fine) and LZ4_RAW.
 * LZO is refused with a clear error.
 *
 *   if (sl_decompress(codec, src, src_len, dst, dst_len, err) < 0) ...
 *
 * dst_len is the page header's uncompressed size: the output must be exactly
 * that long, otherwise it is an error (never a write beyond dst).
 */
#ifndef SL_DECOMPRESS_H
#define SL_DECOMPRESS_H

#include "core/sl_buf.h"
#include "core/sl_error.h"

#include <stddef.h>
#include <stdint.h>

int sl_decompress(int codec, const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len, sl_err *err);
/* The same into out (cleared first), which grows only as far as the data
 * really decompresses: a page header's size is untrusted, so it is checked
 * against the codec's largest possible ratio before anything is allocated,
 * and ZSTD and BROTLI (whose ratios are unbounded) grow the buffer as they
 * go. out->len == dst_len on success. */
int sl_decompress_buf(int codec, const uint8_t *src, size_t src_len, sl_buf *out, size_t dst_len, sl_err *err);
/* "SNAPPY", "ZSTD", ... or "codec N". */
const char *sl_codec_name(int codec);

#endif
