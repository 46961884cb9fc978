/*
 * sl_compress.h - page compression for the Parquet writer: UNCOMPRESSED,
 * SNAPPY (raw block, no framing), GZIP (RFC 1952, one member), ZSTD (level
 * configurable, default 2) and LZ4_RAW (raw block). Never codec 5 (Hadoop-framed LZ4).
 * Decompression lives in sl_decompress.* (the reader's side).
 *
 * A compressor keeps its library contexts between pages (no per-page setup):
 *   sl_compressor *c = sl_compressor_new(SL_PQ_ZSTD, 3, &err);
 *   sl_compressor_run(c, src, n, &dst, &err);   // dst replaced by the output
 *   sl_compressor_free(c);
 */
#ifndef SL_COMPRESS_H
#define SL_COMPRESS_H

#include "../core/sl_buf.h"
#include "../core/sl_error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct sl_compressor sl_compressor;

/* The zstd level used when none is given (see sl_compress.c for why 1). */
#define SL_COMPRESS_ZSTD_DEFAULT_LEVEL 1

/* codec: an enum sl_pq_codec value; level 0 = the codec's default. NULL with
 * err set for a codec that cannot be written (LZO, BROTLI, LZ4, unknown). */
sl_compressor *sl_compressor_new(int codec, int level, sl_err *err);
/* Compresses src[0..n) into dst (cleared first). For UNCOMPRESSED, copies. */
int sl_compressor_run(sl_compressor *c, const void *src, size_t n, sl_buf *dst, sl_err *err);
/* The same, for data the caller knows does not compress (random ids, hashes,
 * packed deltas): zstd writes a frame of raw blocks without searching for
 * matches; the other codecs compress as sl_compressor_run does. */
int sl_compressor_store(sl_compressor *c, const void *src, size_t n, sl_buf *dst, sl_err *err);
int sl_compressor_codec(const sl_compressor *c);
void sl_compressor_free(sl_compressor *c);

/* "none"/"uncompressed", "snappy", "gzip", "zstd", "lz4_raw" -> codec; -1 if unknown. */
int sl_compress_codec_parse(const char *name);
/* Codec name as Parquet tools print it ("ZSTD"). */
const char *sl_compress_codec_name(int codec);

#endif
