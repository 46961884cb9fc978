/*
 * sl_compress.c - the writer's codecs on top of Debian's libsnappy, zlib,
 * libzstd and liblz4. Contexts (zstd CCtx, deflate stream, lz4 state) live
 * in the sl_compressor and are reused for every page.
 */
#include "sl_compress.h"

#include "../core/sl_alloc.h"
#include "sl_pq_format.h"

#include <lz4.h>
#include <snappy-c.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

struct sl_compressor {
    int codec;
    int level;
    ZSTD_CCtx *zstd;
    z_stream gz;
    bool gz_ready;
    void *lz4_state;
};

sl_compressor *sl_compressor_new(int codec, int level, sl_err *err)
{
    sl_compressor *c = sl_calloc(1, sizeof *c);
    c->codec = codec;
    c->level = level;
    switch (codec) {
    case SL_PQ_UNCOMPRESSED:
    case SL_PQ_SNAPPY:
        break;
    case SL_PQ_GZIP: {
        int lvl = level ? level : Z_DEFAULT_COMPRESSION;
        if (lvl < -1 || lvl > 9) {
            sl_free(c);
            sl_err_set(err, SL_EUSAGE, "gzip compression level %d is out of range (1..9)", level);
            return NULL;
        }
        /* windowBits 15 + 16: a gzip (RFC 1952) wrapper, not zlib's. */
        if (deflateInit2(&c->gz, lvl, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            sl_free(c);
            sl_err_set(err, SL_EINTERNAL, "cannot initialise the gzip compressor");
            return NULL;
        }
        c->gz_ready = true;
        break;
    }
    case SL_PQ_ZSTD: {
        c->zstd = ZSTD_createCCtx();
        /* Default 1, not zstd's 3: measured on Parquet pages (bench/zstd_levels.c,
         * bench/README.md). Level 2 was the default while timestamps went
         * PLAIN (level 1 made them up to 80% larger); since INT64 pages
         * without a dictionary go DELTA_BINARY_PACKED, level 1 is as small
         * as 2 (0.3% smaller on the orders table) for a quarter less CPU. */
        int lvl = level ? level : SL_COMPRESS_ZSTD_DEFAULT_LEVEL;
        if (lvl < ZSTD_minCLevel() || lvl > ZSTD_maxCLevel()) {
            ZSTD_freeCCtx(c->zstd);
            sl_free(c);
            sl_err_set(err, SL_EUSAGE, "zstd compression level %d is out of range (%d..%d)", level,
                       ZSTD_minCLevel(), ZSTD_maxCLevel());
            return NULL;
        }
        ZSTD_CCtx_setParameter(c->zstd, ZSTD_c_compressionLevel, lvl);
        break;
    }
    case SL_PQ_LZ4_RAW:
        c->lz4_state = sl_malloc((size_t)LZ4_sizeofState());
        break;
    default:
        sl_free(c);
        sl_err_set(err, SL_EUSAGE, "cannot write Parquet codec %d (%s): use none, snappy, gzip, zstd or lz4_raw",
                   codec, sl_compress_codec_name(codec));
        return NULL;
    }
    return c;
}

int sl_compressor_codec(const sl_compressor *c)
{
    return c->codec;
}

int sl_compressor_run(sl_compressor *c, const void *src, size_t n, sl_buf *dst, sl_err *err)
{
    sl_buf_clear(dst);
    switch (c->codec) {
    case SL_PQ_UNCOMPRESSED:
        sl_buf_append(dst, src, n);
        return 0;
    case SL_PQ_SNAPPY: {
        size_t cap = snappy_max_compressed_length(n);
        sl_buf_reserve(dst, cap);
        size_t out = cap;
        if (snappy_compress(src, n, (char *)dst->data, &out) != SNAPPY_OK)
            return sl_err_set(err, SL_EINTERNAL, "snappy compression of %zu bytes failed", n);
        dst->len = out;
        return 0;
    }
    case SL_PQ_GZIP: {
        if (deflateReset(&c->gz) != Z_OK) return sl_err_set(err, SL_EINTERNAL, "gzip reset failed");
        size_t cap = deflateBound(&c->gz, (uLong)n) + 32;
        sl_buf_reserve(dst, cap);
        c->gz.next_in = (Bytef *)src;
        c->gz.avail_in = (uInt)n;
        c->gz.next_out = dst->data;
        c->gz.avail_out = (uInt)cap;
        int rc = deflate(&c->gz, Z_FINISH);
        if (rc != Z_STREAM_END)
            return sl_err_set(err, SL_EINTERNAL, "gzip compression of %zu bytes failed (%d)", n, rc);
        dst->len = cap - c->gz.avail_out;
        return 0;
    }
    case SL_PQ_ZSTD: {
        size_t cap = ZSTD_compressBound(n);
        sl_buf_reserve(dst, cap);
        size_t out = ZSTD_compress2(c->zstd, dst->data, cap, src, n);
        if (ZSTD_isError(out))
            return sl_err_set(err, SL_EINTERNAL, "zstd compression of %zu bytes failed: %s", n,
                              ZSTD_getErrorName(out));
        dst->len = out;
        return 0;
    }
    case SL_PQ_LZ4_RAW: {
        if (n > (size_t)LZ4_MAX_INPUT_SIZE)
            return sl_err_set(err, SL_EDATA, "page of %zu bytes is too large for lz4", n);
        int cap = LZ4_compressBound((int)n);
        sl_buf_reserve(dst, (size_t)cap);
        int out = LZ4_compress_fast_extState(c->lz4_state, src, (char *)dst->data, (int)n, cap,
                                             c->level > 0 ? c->level : 1);
        if (out <= 0) return sl_err_set(err, SL_EINTERNAL, "lz4 compression of %zu bytes failed", n);
        dst->len = (size_t)out;
        return 0;
    }
    default:
        return sl_err_set(err, SL_EINTERNAL, "codec %d cannot be written", c->codec);
    }
}

/* A zstd frame (RFC 8878) holding src as raw blocks: magic, a frame
 * header with Single_Segment set and a 4-byte content size (so the window
 * is the content: no window descriptor), then blocks of at most 128 KiB,
 * each a 3-byte header (last flag, type 0 = raw, size) and the bytes. What
 * zstd itself emits for data it cannot shrink, without the search. */
static void sl_zstd_store(const uint8_t *src, size_t n, sl_buf *dst)
{
    const size_t block = 128 * 1024;
    sl_buf_reserve(dst, 9 + n + 3 * (n / block + 1));
    uint8_t *o = dst->data;
    const uint32_t magic = 0xFD2FB528u, size = (uint32_t)n;
    for (int i = 0; i < 4; i++) *o++ = (uint8_t)(magic >> (8 * i));
    *o++ = 0xA0;   /* Frame_Content_Size_flag 2 (4 bytes), Single_Segment_flag */
    for (int i = 0; i < 4; i++) *o++ = (uint8_t)(size >> (8 * i));
    size_t at = 0;
    do {
        size_t len = n - at < block ? n - at : block;
        uint32_t h = (uint32_t)(len << 3) | (at + len == n ? 1u : 0u);   /* Block_Type 0: raw */
        *o++ = (uint8_t)h;
        *o++ = (uint8_t)(h >> 8);
        *o++ = (uint8_t)(h >> 16);
        if (len) memcpy(o, src + at, len);
        o += len;
        at += len;
    } while (at < n);
    dst->len = (size_t)(o - dst->data);
}

int sl_compressor_store(sl_compressor *c, const void *src, size_t n, sl_buf *dst, sl_err *err)
{
    if (c->codec != SL_PQ_ZSTD || n > UINT32_MAX) return sl_compressor_run(c, src, n, dst, err);
    sl_buf_clear(dst);
    sl_zstd_store(src, n, dst);
    return 0;
}

void sl_compressor_free(sl_compressor *c)
{
    if (!c) return;
    if (c->zstd) ZSTD_freeCCtx(c->zstd);
    if (c->gz_ready) deflateEnd(&c->gz);
    sl_free(c->lz4_state);
    sl_free(c);
}

int sl_compress_codec_parse(const char *name)
{
    if (!strcasecmp(name, "none") || !strcasecmp(name, "uncompressed")) return SL_PQ_UNCOMPRESSED;
    if (!strcasecmp(name, "snappy")) return SL_PQ_SNAPPY;
    if (!strcasecmp(name, "gzip")) return SL_PQ_GZIP;
    if (!strcasecmp(name, "zstd")) return SL_PQ_ZSTD;
    if (!strcasecmp(name, "lz4_raw")) return SL_PQ_LZ4_RAW;
    return -1;
}

const char *sl_compress_codec_name(int codec)
{
    switch (codec) {
    case SL_PQ_UNCOMPRESSED: return "UNCOMPRESSED";
    case SL_PQ_SNAPPY: return "SNAPPY";
    case SL_PQ_GZIP: return "GZIP";
    case SL_PQ_LZO: return "LZO";
    case SL_PQ_BROTLI: return "BROTLI";
    case SL_PQ_LZ4: return "LZ4";
    case SL_PQ_ZSTD: return "ZSTD";
    case SL_PQ_LZ4_RAW: return "LZ4_RAW";
    default: return "UNKNOWN";
    }
}
