/*
 * sl_pq_decode.c - value and level decoders (see sl_pq_decode.h).
 *
 * Bits are read little-endian from byte arrays with a bounds check on every
 * run; a fast path loads 8 bytes at once when they are all inside the run.
 */
#include "sl_pq_decode.h"

#include "core/sl_alloc.h"
#include "sl_pq_format.h"

#include <string.h>

#define SL_PQ_MAX_EXPAND ((size_t)1 << 30)   /* DELTA_BYTE_ARRAY bytes built per call */

int sl_pq_physical_width(int ptype, int flba_len)
{
    switch (ptype) {
    case SL_PQ_BOOLEAN: return 1;
    case SL_PQ_INT32: return 4;
    case SL_PQ_INT64: return 8;
    case SL_PQ_INT96: return 12;
    case SL_PQ_FLOAT: return 4;
    case SL_PQ_DOUBLE: return 8;
    case SL_PQ_FIXED_LEN_BYTE_ARRAY: return flba_len;
    default: return 0;
    }
}

int sl_pq_read_uleb(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    const uint8_t *p = *pp;
    uint64_t r = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (p >= end) return -1;
        uint8_t b = *p++;
        if (shift == 63 && (b & 0x7e)) return -1;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            *pp = p;
            return 0;
        }
    }
    return -1;
}

static int sl_read_zigzag(const uint8_t **pp, const uint8_t *end, int64_t *v)
{
    uint64_t u;
    if (sl_pq_read_uleb(pp, end, &u) < 0) return -1;
    *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return 0;
}

/* bw bits (0..64) at bit position pos of base[0..nbytes); the caller has
 * checked pos + bw <= nbytes * 8. */
static inline uint64_t sl_bits(const uint8_t *base, size_t nbytes, uint64_t pos, int bw)
{
    if (bw == 0) return 0;
    size_t byte = (size_t)(pos >> 3);
    int shift = (int)(pos & 7);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (bw <= 56 && byte + 8 <= nbytes) {
        uint64_t w;
        memcpy(&w, base + byte, 8);
        return (w >> shift) & ((1ULL << bw) - 1);
    }
#endif
    uint64_t r = 0;
    int got = 0;
    while (got < bw) {
        int take = 8 - shift;
        if (take > bw - got) take = bw - got;
        r |= (uint64_t)((base[byte] >> shift) & ((1u << take) - 1)) << got;
        got += take;
        shift = 0;
        byte++;
    }
    (void)nbytes;
    return r;
}

/* ---- RLE / bit-packed hybrid ---- */

/* Empty pages may come with a NULL buffer; pointer arithmetic on NULL is
 * undefined, so they point here instead. */
static const uint8_t sl_empty[1];

void sl_pq_hyb_init(sl_pq_hyb *d, const uint8_t *p, size_t n, int bit_width)
{
    memset(d, 0, sizeof *d);
    if (!p) p = sl_empty;
    d->p = p;
    d->end = p + n;
    d->bw = bit_width;
}

int sl_pq_hyb_get(sl_pq_hyb *d, uint32_t *out, size_t n, sl_err *err)
{
    size_t i = 0;
    if (d->bw < 0 || d->bw > 32) return sl_err_set(err, SL_EFORMAT, "RLE bit width %d is not in 0..32", d->bw);
    while (i < n) {
        if (d->rle_left) {
            size_t k = n - i < d->rle_left ? n - i : (size_t)d->rle_left;
            for (size_t j = 0; j < k; j++) out[i + j] = d->rle_val;
            d->rle_left -= k;
            i += k;
            continue;
        }
        if (d->bp_left) {
            size_t k = n - i < d->bp_left ? n - i : (size_t)d->bp_left;
            for (size_t j = 0; j < k; j++) {
                out[i + j] = (uint32_t)sl_bits(d->bp_base, d->bp_bytes, d->bp_bit, d->bw);
                d->bp_bit += (uint64_t)d->bw;
            }
            d->bp_left -= k;
            i += k;
            continue;
        }
        uint64_t h;
        if (d->p >= d->end)
            return sl_err_set(err, SL_EFORMAT, "RLE data ends after %zu of %zu values", i, n);
        if (sl_pq_read_uleb(&d->p, d->end, &h) < 0 || h > UINT32_MAX)
            return sl_err_set(err, SL_EFORMAT, "RLE run header is corrupt");
        if (h & 1) {
            uint64_t groups = h >> 1;
            uint64_t bytes = groups * (uint64_t)d->bw, values = groups * 8;
            size_t avail = (size_t)(d->end - d->p);
            if (bytes > avail) {
                /* A truncated last run: keep the whole values that are there. */
                bytes = avail;
                values = d->bw ? avail * 8 / (uint64_t)d->bw : values;
            }
            d->bp_base = d->p;
            d->bp_bytes = (size_t)bytes;
            d->bp_bit = 0;
            d->bp_left = values;
            d->p += bytes;
        } else {
            int vbytes = (d->bw + 7) / 8;
            if (d->end - d->p < vbytes) return sl_err_set(err, SL_EFORMAT, "RLE run value is truncated");
            uint32_t v = 0;
            for (int b = 0; b < vbytes; b++) v |= (uint32_t)d->p[b] << (8 * b);
            d->p += vbytes;
            if (d->bw < 32 && (v >> d->bw))
                return sl_err_set(err, SL_EFORMAT, "RLE run value %u does not fit bit width %d", v, d->bw);
            d->rle_val = v;
            d->rle_left = h >> 1;
        }
    }
    return 0;
}

int sl_pq_bitpacked_msb(const uint8_t *p, size_t nbytes, int bw, uint64_t first, uint32_t *out, size_t n, sl_err *err)
{
    if (bw < 0 || bw > 32) return sl_err_set(err, SL_EFORMAT, "BIT_PACKED bit width %d is not in 0..32", bw);
    uint64_t pos = first * (uint64_t)bw;
    if ((pos + (uint64_t)n * (uint64_t)bw + 7) / 8 > nbytes)
        return sl_err_set(err, SL_EFORMAT, "BIT_PACKED levels end after %zu bytes, more are needed", nbytes);
    for (size_t i = 0; i < n; i++) {
        uint32_t v = 0;
        for (int b = 0; b < bw; b++, pos++) v = (v << 1) | ((p[pos >> 3] >> (7 - (pos & 7))) & 1);
        out[i] = v;
    }
    return 0;
}

/* ---- DELTA_BINARY_PACKED ---- */

int sl_pq_dbp_init(sl_pq_dbp *d, const uint8_t *p, size_t n, bool is32, sl_err *err)
{
    memset(d, 0, sizeof *d);
    if (!p) p = sl_empty;
    d->p = p;
    d->end = p + n;
    d->is32 = is32;
    int64_t first;
    if (sl_pq_read_uleb(&d->p, d->end, &d->block_size) < 0 || sl_pq_read_uleb(&d->p, d->end, &d->nminiblocks) < 0 ||
        sl_pq_read_uleb(&d->p, d->end, &d->total) < 0 || sl_read_zigzag(&d->p, d->end, &first) < 0)
        return sl_err_set(err, SL_EFORMAT, "DELTA_BINARY_PACKED header is truncated");
    if (d->block_size == 0 || d->block_size % 128 || d->block_size > (1u << 24) || d->nminiblocks == 0 ||
        d->block_size % d->nminiblocks || (d->block_size / d->nminiblocks) % 32)
        return sl_err_set(err, SL_EFORMAT, "DELTA_BINARY_PACKED header is invalid (block size %llu, %llu miniblocks)",
                          (unsigned long long)d->block_size, (unsigned long long)d->nminiblocks);
    if (d->total > INT32_MAX)
        return sl_err_set(err, SL_EFORMAT, "DELTA_BINARY_PACKED header claims %llu values", (unsigned long long)d->total);
    d->mb_size = d->block_size / d->nminiblocks;
    d->last = (uint64_t)first;
    return 0;
}

static int sl_dbp_next_miniblock(sl_pq_dbp *d, sl_err *err)
{
    if (!d->in_block || d->mb_idx == d->nminiblocks) {
        if (sl_read_zigzag(&d->p, d->end, &d->min_delta) < 0)
            return sl_err_set(err, SL_EFORMAT, "DELTA_BINARY_PACKED block header is truncated");
        if ((uint64_t)(d->end - d->p) < d->nminiblocks)
            return sl_err_set(err, SL_EFORMAT, "DELTA_BINARY_PACKED bit widths are truncated");
        d->widths = d->p;
        d->p += d->nminiblocks;
        d->mb_idx = 0;
        d->in_block = true;
    }
    int w = d->widths[d->mb_idx++];
    if (w > 64) return sl_err_set(err, SL_EFORMAT, "DELTA_BINARY_PACKED bit width %d is more than 64", w);
    size_t bytes = (size_t)(d->mb_size * (uint64_t)w / 8), avail = (size_t)(d->end - d->p);
    d->mb_w = w;
    d->mb_base = d->p;
    d->mb_avail = bytes < avail ? bytes : avail;
    d->p += d->mb_avail;
    d->mb_pos = 0;
    d->mb_active = true;
    return 0;
}

int sl_pq_dbp_get(sl_pq_dbp *d, int64_t *out, size_t n, sl_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (d->emitted >= d->total)
            return sl_err_set(err, SL_EFORMAT, "DELTA_BINARY_PACKED data holds %llu values, more are needed",
                              (unsigned long long)d->total);
        uint64_t v;
        if (d->emitted == 0) {
            v = d->last;
        } else {
            if (!d->mb_active || d->mb_pos == d->mb_size)
                if (sl_dbp_next_miniblock(d, err) < 0) return -1;
            uint64_t bitpos = d->mb_pos * (uint64_t)d->mb_w;
            if (bitpos + (uint64_t)d->mb_w > (uint64_t)d->mb_avail * 8)
                return sl_err_set(err, SL_EFORMAT, "DELTA_BINARY_PACKED miniblock is truncated");
            uint64_t delta = sl_bits(d->mb_base, d->mb_avail, bitpos, d->mb_w);
            d->mb_pos++;
            v = d->last + (uint64_t)d->min_delta + delta;   /* wraps, as the format says */
        }
        if (d->is32) v = (uint64_t)(int64_t)(int32_t)(uint32_t)v;
        d->last = v;
        out[i] = (int64_t)v;
        d->emitted++;
    }
    return 0;
}

int sl_pq_dbp_end(const sl_pq_dbp *d0, const uint8_t **endp, sl_err *err)
{
    if (d0->emitted != 0) return sl_err_set(err, SL_EINTERNAL, "sl_pq_dbp_end after values were read");
    const uint8_t *p = d0->p, *end = d0->end;
    uint64_t deltas = d0->total ? d0->total - 1 : 0;
    while (deltas > 0) {
        int64_t min_delta;
        if (sl_read_zigzag(&p, end, &min_delta) < 0)
            return sl_err_set(err, SL_EFORMAT, "DELTA_BINARY_PACKED block header is truncated");
        if ((uint64_t)(end - p) < d0->nminiblocks)
            return sl_err_set(err, SL_EFORMAT, "DELTA_BINARY_PACKED bit widths are truncated");
        const uint8_t *widths = p;
        p += d0->nminiblocks;
        for (uint64_t m = 0; m < d0->nminiblocks && deltas > 0; m++) {
            if (widths[m] > 64) return sl_err_set(err, SL_EFORMAT, "DELTA_BINARY_PACKED bit width %d is more than 64", widths[m]);
            uint64_t bytes = d0->mb_size * widths[m] / 8;
            if (bytes > (uint64_t)(end - p)) {
                if (deltas > d0->mb_size)
                    return sl_err_set(err, SL_EFORMAT, "DELTA_BINARY_PACKED miniblock is truncated");
                bytes = (uint64_t)(end - p);
            }
            p += bytes;
            deltas -= deltas < d0->mb_size ? deltas : d0->mb_size;
        }
    }
    *endp = p;
    return 0;
}

/* ---- page values ---- */

static void sl_vdec_tmp(sl_pq_vdec *d, size_t n)
{
    if (n <= d->tmp_cap) return;
    size_t cap = d->tmp_cap ? d->tmp_cap : 256;
    while (cap < n) cap *= 2;
    d->tmp = sl_realloc(d->tmp, cap * sizeof *d->tmp);
    d->tmp2 = sl_realloc(d->tmp2, cap * sizeof *d->tmp2);
    d->tmpu = sl_realloc(d->tmpu, cap * sizeof *d->tmpu);
    d->tmp_cap = cap;
}

bool sl_pq_vdec_is_dict(const sl_pq_vdec *d)
{
    return d->enc == SL_PQ_ENC_PLAIN_DICTIONARY || d->enc == SL_PQ_ENC_RLE_DICTIONARY;
}

int sl_pq_vdec_init(sl_pq_vdec *d, int enc, int ptype, int width, const uint8_t *p, size_t n, sl_err *err)
{
    memset(d, 0, sizeof *d);
    if (!p) p = sl_empty;
    d->enc = enc;
    d->ptype = ptype;
    d->width = sl_pq_physical_width(ptype, width);
    d->p = p;
    d->end = p + n;
    const uint8_t *e;
    switch (enc) {
    case SL_PQ_ENC_PLAIN:
        return 0;
    case SL_PQ_ENC_PLAIN_DICTIONARY:
    case SL_PQ_ENC_RLE_DICTIONARY:
        if (n < 1) return sl_err_set(err, SL_EFORMAT, "dictionary-encoded page has no bit width byte");
        if (p[0] > 32) return sl_err_set(err, SL_EFORMAT, "dictionary index bit width %d is more than 32", p[0]);
        sl_pq_hyb_init(&d->hyb, p + 1, n - 1, p[0]);
        return 0;
    case SL_PQ_ENC_RLE:
        if (ptype != SL_PQ_BOOLEAN) return sl_err_set(err, SL_EFORMAT, "RLE encoding of values is only valid for BOOLEAN");
        if (n < 4) return sl_err_set(err, SL_EFORMAT, "RLE boolean page lacks its length prefix");
        {
            uint32_t len = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            if (len > n - 4) return sl_err_set(err, SL_EFORMAT, "RLE boolean data of %u bytes, only %zu in the page", len, n - 4);
            sl_pq_hyb_init(&d->hyb, p + 4, len, 1);
        }
        return 0;
    case SL_PQ_ENC_DELTA_BINARY_PACKED:
        if (ptype != SL_PQ_INT32 && ptype != SL_PQ_INT64)
            return sl_err_set(err, SL_EFORMAT, "DELTA_BINARY_PACKED is only valid for INT32 and INT64");
        return sl_pq_dbp_init(&d->dbp, p, n, ptype == SL_PQ_INT32, err);
    case SL_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
        if (ptype != SL_PQ_BYTE_ARRAY)
            return sl_err_set(err, SL_EFORMAT, "DELTA_LENGTH_BYTE_ARRAY is only valid for BYTE_ARRAY");
        if (sl_pq_dbp_init(&d->dbp, p, n, true, err) < 0 || sl_pq_dbp_end(&d->dbp, &e, err) < 0) return -1;
        d->data = e;
        return 0;
    case SL_PQ_ENC_DELTA_BYTE_ARRAY:
        if (ptype != SL_PQ_BYTE_ARRAY && ptype != SL_PQ_FIXED_LEN_BYTE_ARRAY)
            return sl_err_set(err, SL_EFORMAT, "DELTA_BYTE_ARRAY is only valid for byte arrays");
        if (sl_pq_dbp_init(&d->dbp, p, n, true, err) < 0 || sl_pq_dbp_end(&d->dbp, &e, err) < 0) return -1;
        if (sl_pq_dbp_init(&d->dbp2, e, (size_t)(d->end - e), true, err) < 0 || sl_pq_dbp_end(&d->dbp2, &e, err) < 0)
            return -1;
        d->data = e;
        return 0;
    case SL_PQ_ENC_BYTE_STREAM_SPLIT:
        if (d->width <= 0 || ptype == SL_PQ_BOOLEAN || ptype == SL_PQ_INT96)
            return sl_err_set(err, SL_EFORMAT, "BYTE_STREAM_SPLIT is not valid for this physical type");
        if (n % (size_t)d->width)
            return sl_err_set(err, SL_EFORMAT, "BYTE_STREAM_SPLIT data of %zu bytes is not a multiple of %d", n, d->width);
        d->bss_stride = n / (size_t)d->width;
        return 0;
    default:
        return sl_err_set(err, SL_ETYPE, "encoding %d is not supported for data pages", enc);
    }
}

void sl_pq_vdec_free(sl_pq_vdec *d)
{
    sl_buf_free(&d->last);
    sl_free(d->tmp);
    sl_free(d->tmp2);
    sl_free(d->tmpu);
    d->tmp = d->tmp2 = NULL;
    d->tmpu = NULL;
    d->tmp_cap = 0;
}

static int sl_vdec_bss(sl_pq_vdec *d, uint8_t *out, size_t n, sl_err *err)
{
    if (d->bss_stride - d->bss_next < n)
        return sl_err_set(err, SL_EFORMAT, "BYTE_STREAM_SPLIT data holds %zu values, more are needed", d->bss_stride);
    size_t w = (size_t)d->width;
    for (size_t b = 0; b < w; b++) {
        const uint8_t *src = d->p + b * d->bss_stride + d->bss_next;
        for (size_t i = 0; i < n; i++) out[i * w + b] = src[i];
    }
    d->bss_next += n;
    return 0;
}

int sl_pq_vdec_fixed(sl_pq_vdec *d, uint8_t *out, size_t n, sl_err *err)
{
    size_t w = (size_t)d->width;
    switch (d->enc) {
    case SL_PQ_ENC_PLAIN:
        if (d->ptype == SL_PQ_BOOLEAN) {
            uint64_t avail = (uint64_t)(d->end - d->p) * 8;
            if (avail - d->bit < n || d->bit > avail)
                return sl_err_set(err, SL_EFORMAT, "PLAIN BOOLEAN data ends too early");
            for (size_t i = 0; i < n; i++, d->bit++) out[i] = (d->p[d->bit >> 3] >> (d->bit & 7)) & 1;
            return 0;
        }
        if ((size_t)(d->end - d->p) / w < n)
            return sl_err_set(err, SL_EFORMAT, "PLAIN data holds %zu values, %zu are needed",
                              (size_t)(d->end - d->p) / w, n);
        if (n) {
            memcpy(out, d->p, n * w);
            d->p += n * w;
        }
        return 0;
    case SL_PQ_ENC_RLE:
        sl_vdec_tmp(d, n);
        if (sl_pq_hyb_get(&d->hyb, d->tmpu, n, err) < 0) return -1;
        for (size_t i = 0; i < n; i++) out[i] = (uint8_t)d->tmpu[i];
        return 0;
    case SL_PQ_ENC_DELTA_BINARY_PACKED:
        sl_vdec_tmp(d, n);
        if (sl_pq_dbp_get(&d->dbp, d->tmp, n, err) < 0) return -1;
        if (d->ptype == SL_PQ_INT32) {
            for (size_t i = 0; i < n; i++) {
                int32_t v = (int32_t)d->tmp[i];
                memcpy(out + i * 4, &v, 4);
            }
        } else {
            memcpy(out, d->tmp, n * 8);
        }
        return 0;
    case SL_PQ_ENC_BYTE_STREAM_SPLIT:
        return sl_vdec_bss(d, out, n, err);
    default:
        return sl_err_set(err, SL_EFORMAT, "encoding %d cannot hold this column's physical type", d->enc);
    }
}

int sl_pq_vdec_bytes(sl_pq_vdec *d, sl_pq_bv *out, size_t n, sl_buf *heap, sl_err *err)
{
    switch (d->enc) {
    case SL_PQ_ENC_PLAIN:
        if (d->ptype == SL_PQ_FIXED_LEN_BYTE_ARRAY) {
            size_t w = (size_t)d->width;
            if ((size_t)(d->end - d->p) / w < n)
                return sl_err_set(err, SL_EFORMAT, "PLAIN data holds %zu values, %zu are needed", (size_t)(d->end - d->p) / w, n);
            for (size_t i = 0; i < n; i++, d->p += w) out[i] = (sl_pq_bv){ d->p, (uint32_t)w };
            return 0;
        }
        for (size_t i = 0; i < n; i++) {
            if (d->end - d->p < 4) return sl_err_set(err, SL_EFORMAT, "PLAIN BYTE_ARRAY data ends after %zu of %zu values", i, n);
            uint32_t len = (uint32_t)d->p[0] | (uint32_t)d->p[1] << 8 | (uint32_t)d->p[2] << 16 | (uint32_t)d->p[3] << 24;
            d->p += 4;
            if (len > (size_t)(d->end - d->p))
                return sl_err_set(err, SL_EFORMAT, "PLAIN BYTE_ARRAY value of %u bytes, only %zu left in the page",
                                  len, (size_t)(d->end - d->p));
            out[i] = (sl_pq_bv){ d->p, len };
            d->p += len;
        }
        return 0;
    case SL_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
        sl_vdec_tmp(d, n);
        if (sl_pq_dbp_get(&d->dbp, d->tmp, n, err) < 0) return -1;
        for (size_t i = 0; i < n; i++) {
            int64_t len = d->tmp[i];
            if (len < 0 || (uint64_t)len > (uint64_t)(d->end - d->data))
                return sl_err_set(err, SL_EFORMAT, "DELTA_LENGTH_BYTE_ARRAY length %lld does not fit the %zu bytes left",
                                  (long long)len, (size_t)(d->end - d->data));
            out[i] = (sl_pq_bv){ d->data, (uint32_t)len };
            d->data += len;
        }
        return 0;
    case SL_PQ_ENC_DELTA_BYTE_ARRAY: {
        sl_vdec_tmp(d, n);
        if (sl_pq_dbp_get(&d->dbp, d->tmp, n, err) < 0 || sl_pq_dbp_get(&d->dbp2, d->tmp2, n, err) < 0) return -1;
        size_t base = heap->len, last_off = 0, last_len = d->last.len;
        bool last_in_heap = false;
        for (size_t i = 0; i < n; i++) {
            int64_t prefix = d->tmp[i], suffix = d->tmp2[i];
            if (prefix < 0 || (uint64_t)prefix > last_len)
                return sl_err_set(err, SL_EFORMAT, "DELTA_BYTE_ARRAY prefix length %lld is longer than the previous value (%zu)",
                                  (long long)prefix, last_len);
            if (suffix < 0 || (uint64_t)suffix > (uint64_t)(d->end - d->data))
                return sl_err_set(err, SL_EFORMAT, "DELTA_BYTE_ARRAY suffix length %lld does not fit the %zu bytes left",
                                  (long long)suffix, (size_t)(d->end - d->data));
            size_t len = (size_t)prefix + (size_t)suffix;
            if (heap->len - base + len > SL_PQ_MAX_EXPAND)
                return sl_err_set(err, SL_EFORMAT, "DELTA_BYTE_ARRAY values expand beyond %zu bytes", SL_PQ_MAX_EXPAND);
            if (d->ptype == SL_PQ_FIXED_LEN_BYTE_ARRAY && len != (size_t)d->width)
                return sl_err_set(err, SL_EFORMAT, "DELTA_BYTE_ARRAY value of %zu bytes in a FIXED_LEN_BYTE_ARRAY(%d) column",
                                  len, d->width);
            sl_buf_reserve(heap, len);
            size_t off = heap->len;
            const uint8_t *prev = last_in_heap ? heap->data + last_off : d->last.data;
            if (prefix) memcpy(heap->data + off, prev, (size_t)prefix);
            if (suffix) memcpy(heap->data + off + prefix, d->data, (size_t)suffix);
            d->data += suffix;
            heap->len += len;
            out[i].p = NULL;
            out[i].len = (uint32_t)len;
            d->tmp[i] = (int64_t)off;
            last_off = off;
            last_len = len;
            last_in_heap = true;
        }
        for (size_t i = 0; i < n; i++) out[i].p = heap->data + d->tmp[i];
        if (last_in_heap) {
            sl_buf_clear(&d->last);
            sl_buf_append(&d->last, heap->data + last_off, last_len);
        }
        return 0;
    }
    case SL_PQ_ENC_BYTE_STREAM_SPLIT: {
        if (d->ptype != SL_PQ_FIXED_LEN_BYTE_ARRAY) break;
        size_t w = (size_t)d->width;
        if (n && w > SIZE_MAX / n) return sl_err_set(err, SL_EFORMAT, "too many values");
        sl_buf_reserve(heap, n * w);
        size_t off = heap->len;
        if (sl_vdec_bss(d, heap->data + off, n, err) < 0) return -1;
        heap->len += n * w;
        for (size_t i = 0; i < n; i++) out[i] = (sl_pq_bv){ heap->data + off + i * w, (uint32_t)w };
        return 0;
    }
    default:
        break;
    }
    return sl_err_set(err, SL_EFORMAT, "encoding %d cannot hold byte arrays", d->enc);
}

int sl_pq_vdec_indices(sl_pq_vdec *d, uint32_t *out, size_t n, uint32_t dict_n, sl_err *err)
{
    if (sl_pq_hyb_get(&d->hyb, out, n, err) < 0) return -1;
    for (size_t i = 0; i < n; i++)
        if (out[i] >= dict_n)
            return sl_err_set(err, SL_EFORMAT, "dictionary index %u is out of range (the dictionary has %u entries)", out[i], dict_n);
    return 0;
}
