/*
 * sl_decompress.c - page decompression for every Parquet codec (see
 * sl_decompress.h). Each codec writes into the caller's buffer of exactly the
 * expected size and fails on any size mismatch.
 */
#include "sl_decompress.h"

#include "sl_compress.h"
#include "sl_pq_format.h"

#include <brotli/decode.h>
#include <lz4.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

const char *sl_codec_name(int codec)
{
    static char buf[32];
    const char *name = sl_compress_codec_name(codec);
    if (strcmp(name, "UNKNOWN")) return name;
    snprintf(buf, sizeof buf, "codec %d", codec);
    return buf;
}

static int sl_size_mismatch(sl_err *err, const char *codec, size_t got, size_t want)
{
    return sl_err_set(err, SL_EFORMAT, "%s data decompresses to %zu bytes, the page header says %zu",
                      codec, got, want);
}

static int sl_gunzip(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len, sl_err *err)
{
    size_t in_pos = 0, out_pos = 0;
    /* One or more members; trailing zero padding after the last is tolerated. */
    while (in_pos < src_len) {
        if (out_pos == dst_len) {
            size_t k = in_pos;
            while (k < src_len && src[k] == 0) k++;
            if (k == src_len) break;
        }
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        if (inflateInit2(&zs, 47) != Z_OK) return sl_err_set(err, SL_EINTERNAL, "GZIP: inflateInit2 failed");
        zs.next_in = (Bytef *)(src + in_pos);
        zs.avail_in = (uInt)(src_len - in_pos > UINT32_MAX ? UINT32_MAX : src_len - in_pos);
        uint8_t dummy;
        zs.next_out = dst_len > out_pos ? dst + out_pos : &dummy;
        zs.avail_out = dst_len > out_pos ? (uInt)(dst_len - out_pos > UINT32_MAX ? UINT32_MAX : dst_len - out_pos) : 0;
        int rc = inflate(&zs, Z_FINISH);
        size_t produced = (size_t)(zs.next_out - (dst + out_pos));
        if (zs.next_out == &dummy) produced = 0;
        size_t consumed = (size_t)(zs.next_in - (src + in_pos));
        inflateEnd(&zs);
        if (rc != Z_STREAM_END) {
            if (rc == Z_BUF_ERROR && zs.avail_out == 0)
                return sl_err_set(err, SL_EFORMAT, "GZIP data decompresses to more than the %zu bytes the page header says", dst_len);
            return sl_err_set(err, SL_EFORMAT, "GZIP data is corrupt (zlib error %d%s%s)", rc,
                              zs.msg ? ": " : "", zs.msg ? zs.msg : "");
        }
        out_pos += produced;
        in_pos += consumed;
        if (consumed == 0) break;
    }
    if (out_pos != dst_len) return sl_size_mismatch(err, "GZIP", out_pos, dst_len);
    return 0;
}

static int sl_unbrotli(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len, sl_err *err)
{
    BrotliDecoderState *s = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    if (!s) return sl_err_set(err, SL_EINTERNAL, "BROTLI: cannot create a decoder");
    size_t avail_in = src_len, avail_out = dst_len;
    const uint8_t *next_in = src;
    uint8_t *next_out = dst;
    BrotliDecoderResult r = BrotliDecoderDecompressStream(s, &avail_in, &next_in, &avail_out, &next_out, NULL);
    BrotliDecoderDestroyInstance(s);
    if (r == BROTLI_DECODER_RESULT_SUCCESS) {
        if (avail_out != 0) return sl_size_mismatch(err, "BROTLI", dst_len - avail_out, dst_len);
        return 0;
    }
    if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT)
        return sl_err_set(err, SL_EFORMAT, "BROTLI data decompresses to more than the %zu bytes the page header says", dst_len);
    return sl_err_set(err, SL_EFORMAT, "BROTLI data is corrupt or truncated");
}

/* Hadoop's framing: blocks of [u32 BE raw size][u32 BE compressed size][lz4
 * block...]. Returns 0 when the whole input parses and fills dst exactly. */
static int sl_lz4_hadoop(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
    size_t in = 0, out = 0;
    while (in < src_len) {
        if (src_len - in < 8) return -1;
        uint32_t raw = (uint32_t)src[in] << 24 | (uint32_t)src[in + 1] << 16 | (uint32_t)src[in + 2] << 8 | src[in + 3];
        uint32_t comp = (uint32_t)src[in + 4] << 24 | (uint32_t)src[in + 5] << 16 | (uint32_t)src[in + 6] << 8 | src[in + 7];
        in += 8;
        if (comp > src_len - in || raw > dst_len - out || comp > INT32_MAX || raw > INT32_MAX) return -1;
        int n = LZ4_decompress_safe((const char *)src + in, (char *)dst + out, (int)comp, (int)raw);
        if (n < 0 || (uint32_t)n != raw) return -1;
        in += comp;
        out += raw;
    }
    return out == dst_len ? 0 : -1;
}

static int sl_lz4_frame(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
    if (src_len < 4 || !(src[0] == 0x04 && src[1] == 0x22 && src[2] == 0x4d && src[3] == 0x18)) return -1;
    LZ4F_dctx *ctx;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) return -1;
    size_t in = 0, out = 0;
    int rc = -1;
    for (;;) {
        size_t in_sz = src_len - in, out_sz = dst_len - out;
        size_t r = LZ4F_decompress(ctx, dst + out, &out_sz, src + in, &in_sz, NULL);
        if (LZ4F_isError(r)) break;
        in += in_sz;
        out += out_sz;
        if (r == 0) {   /* frame done */
            rc = (out == dst_len && in == src_len) ? 0 : -1;
            break;
        }
        if (in_sz == 0 && out_sz == 0) break;
    }
    LZ4F_freeDecompressionContext(ctx);
    return rc;
}

int sl_decompress(int codec, const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len, sl_err *err)
{
    if (src_len > INT32_MAX || dst_len > INT32_MAX)
        return sl_err_set(err, SL_EFORMAT, "page larger than 2 GiB");
    switch (codec) {
    case SL_PQ_UNCOMPRESSED:
        if (src_len != dst_len)
            return sl_err_set(err, SL_EFORMAT, "uncompressed page of %zu bytes, the page header says %zu", src_len, dst_len);
        if (dst_len) memmove(dst, src, dst_len);
        return 0;
    case SL_PQ_SNAPPY: {
        size_t n;
        if (snappy_uncompressed_length((const char *)src, src_len, &n) != SNAPPY_OK)
            return sl_err_set(err, SL_EFORMAT, "SNAPPY data is corrupt (bad length header)");
        if (n != dst_len) return sl_size_mismatch(err, "SNAPPY", n, dst_len);
        size_t out = dst_len;
        char dummy;
        if (snappy_uncompress((const char *)src, src_len, dst_len ? (char *)dst : &dummy, &out) != SNAPPY_OK || out != dst_len)
            return sl_err_set(err, SL_EFORMAT, "SNAPPY data is corrupt");
        return 0;
    }
    case SL_PQ_GZIP:
        return sl_gunzip(src, src_len, dst, dst_len, err);
    case SL_PQ_BROTLI:
        return sl_unbrotli(src, src_len, dst, dst_len, err);
    case SL_PQ_ZSTD: {
        uint8_t dummy;
        size_t n = ZSTD_decompress(dst_len ? dst : &dummy, dst_len, src, src_len);
        if (ZSTD_isError(n)) {
            if (ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall)
                return sl_err_set(err, SL_EFORMAT, "ZSTD data decompresses to more than the %zu bytes the page header says", dst_len);
            return sl_err_set(err, SL_EFORMAT, "ZSTD data is corrupt: %s", ZSTD_getErrorName(n));
        }
        if (n != dst_len) return sl_size_mismatch(err, "ZSTD", n, dst_len);
        return 0;
    }
    case SL_PQ_LZ4_RAW: {
        char dummy;
        int n = LZ4_decompress_safe((const char *)src, dst_len ? (char *)dst : &dummy, (int)src_len, (int)dst_len);
        if (n < 0) return sl_err_set(err, SL_EFORMAT, "LZ4_RAW data is corrupt or larger than the %zu bytes the page header says", dst_len);
        if ((size_t)n != dst_len) return sl_size_mismatch(err, "LZ4_RAW", (size_t)n, dst_len);
        return 0;
    }
    case SL_PQ_LZ4: {
        if (sl_lz4_hadoop(src, src_len, dst, dst_len) == 0) return 0;
        if (sl_lz4_frame(src, src_len, dst, dst_len) == 0) return 0;
        char dummy;
        int n = LZ4_decompress_safe((const char *)src, dst_len ? (char *)dst : &dummy, (int)src_len, (int)dst_len);
        if (n >= 0 && (size_t)n == dst_len) return 0;
        return sl_err_set(err, SL_EFORMAT, "LZ4 data is corrupt (neither Hadoop framing, LZ4 frame nor a raw block of %zu bytes)", dst_len);
    }
    case SL_PQ_LZO:
        return sl_err_set(err, SL_ETYPE, "LZO compression is not supported; rewrite the file with another codec");
    default:
        return sl_err_set(err, SL_EFORMAT, "unknown compression codec %d", codec);
    }
}

/* Streams ZSTD or BROTLI into out, growing it with the output. */
static int sl_decompress_grow(int codec, const uint8_t *src, size_t src_len, sl_buf *out, size_t dst_len, sl_err *err)
{
    size_t cap = dst_len < (1u << 20) ? dst_len : (1u << 20);
    sl_buf_reserve(out, cap + 1);
    size_t produced = 0;
    int rc = 0;
    if (codec == SL_PQ_ZSTD) {
        ZSTD_DCtx *z = ZSTD_createDCtx();
        if (!z) return sl_err_set(err, SL_EINTERNAL, "ZSTD: cannot create a decoder");
        ZSTD_inBuffer in = { src, src_len, 0 };
        for (;;) {
            ZSTD_outBuffer o = { out->data, cap, produced };
            size_t r = ZSTD_decompressStream(z, &o, &in);
            produced = o.pos;
            if (ZSTD_isError(r)) { rc = sl_err_set(err, SL_EFORMAT, "ZSTD data is corrupt: %s", ZSTD_getErrorName(r)); break; }
            if (in.pos == in.size && produced < cap) {
                if (r != 0) rc = sl_err_set(err, SL_EFORMAT, "ZSTD data is truncated");
                break;
            }
            if (produced == cap) {
                if (cap == dst_len) {
                    /* full: anything more is too much */
                    uint8_t extra;
                    ZSTD_outBuffer o2 = { &extra, 1, 0 };
                    size_t r2 = in.pos < in.size || r != 0 ? ZSTD_decompressStream(z, &o2, &in) : 0;
                    if (!ZSTD_isError(r2) && o2.pos)
                        rc = sl_err_set(err, SL_EFORMAT, "ZSTD data decompresses to more than the %zu bytes the page header says", dst_len);
                    else if (ZSTD_isError(r2))
                        rc = sl_err_set(err, SL_EFORMAT, "ZSTD data is corrupt: %s", ZSTD_getErrorName(r2));
                    break;
                }
                cap = cap * 2 < dst_len ? cap * 2 : dst_len;
                sl_buf_reserve(out, cap + 1 - out->len);
            }
        }
        ZSTD_freeDCtx(z);
    } else {
        BrotliDecoderState *b = BrotliDecoderCreateInstance(NULL, NULL, NULL);
        if (!b) return sl_err_set(err, SL_EINTERNAL, "BROTLI: cannot create a decoder");
        size_t avail_in = src_len;
        const uint8_t *next_in = src;
        for (;;) {
            size_t avail_out = cap - produced;
            uint8_t *next_out = out->data + produced;
            BrotliDecoderResult r = BrotliDecoderDecompressStream(b, &avail_in, &next_in, &avail_out, &next_out, NULL);
            produced = cap - avail_out;
            if (r == BROTLI_DECODER_RESULT_SUCCESS) break;
            if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
                if (cap == dst_len) {
                    rc = sl_err_set(err, SL_EFORMAT, "BROTLI data decompresses to more than the %zu bytes the page header says", dst_len);
                    break;
                }
                cap = cap * 2 < dst_len ? cap * 2 : dst_len;
                sl_buf_reserve(out, cap + 1 - out->len);
                continue;
            }
            rc = sl_err_set(err, SL_EFORMAT, "BROTLI data is corrupt or truncated");
            break;
        }
        BrotliDecoderDestroyInstance(b);
    }
    if (rc < 0) return -1;
    if (produced != dst_len) return sl_size_mismatch(err, sl_codec_name(codec), produced, dst_len);
    out->len = dst_len;
    return 0;
}

int sl_decompress_buf(int codec, const uint8_t *src, size_t src_len, sl_buf *out, size_t dst_len, sl_err *err)
{
    sl_buf_clear(out);
    if (src_len > INT32_MAX || dst_len > INT32_MAX) return sl_err_set(err, SL_EFORMAT, "page larger than 2 GiB");
    /* The most each codec can expand (with a little slack for headers). */
    uint64_t max_out;
    switch (codec) {
    case SL_PQ_UNCOMPRESSED: max_out = src_len; break;
    case SL_PQ_SNAPPY: max_out = (uint64_t)src_len * 64 + 64; break;
    case SL_PQ_GZIP: max_out = (uint64_t)src_len * 1040 + 1024; break;
    case SL_PQ_LZ4:
    case SL_PQ_LZ4_RAW: max_out = (uint64_t)src_len * 256 + 256; break;
    case SL_PQ_ZSTD:
    case SL_PQ_BROTLI:
        if (dst_len == 0) {
            uint8_t none;
            return sl_decompress(codec, src, src_len, &none, 0, err);
        }
        return sl_decompress_grow(codec, src, src_len, out, dst_len, err);
    default: max_out = UINT64_MAX; break;
    }
    if (dst_len > max_out)
        return sl_err_set(err, SL_EFORMAT, "the page header's size of %zu bytes is impossible for %zu bytes of %s data",
                          dst_len, src_len, sl_codec_name(codec));
    sl_buf_reserve(out, dst_len + 1);
    if (sl_decompress(codec, src, src_len, out->data, dst_len, err) < 0) return -1;
    out->len = dst_len;
    return 0;
}
