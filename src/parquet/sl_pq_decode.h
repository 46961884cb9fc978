/*
 * sl_pq_decode.h - Parquet value and level decoders (the read side of
 * Encodings.md), each a small state machine that hands out values a batch at
 * a time, so memory never depends on a page's (untrusted) value count.
 *
 *   sl_pq_hyb   RLE / bit-packed hybrid (levels, dictionary indices), bit
 *               width 0..32: sl_pq_hyb_init + sl_pq_hyb_get.
 *   sl_pq_bitpacked_msb  legacy BIT_PACKED levels (MSB first).
 *   sl_pq_dbp   DELTA_BINARY_PACKED (INT32 wraps at 32 bits; the bit widths
 *               of unused miniblocks are ignored).
 *   sl_pq_vdec  one page's values in any encoding: PLAIN, RLE (booleans),
 *               PLAIN_DICTIONARY / RLE_DICTIONARY (indices),
 *               DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
 *               DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT.
 *
 * Fixed-width physical values come out as packed little-endian arrays of the
 * physical width (BOOLEAN: one byte 0/1 per value; INT96: 12 bytes; FLBA:
 * type_length bytes); BYTE_ARRAY (and FLBA when asked) as sl_pq_bv pointers
 * into the page or into a caller-provided heap. Every decoder checks what it
 * reads against the bytes it has and fails with an SL_EFORMAT message.
 *
 * Lifetime: sl_pq_vdec_init ... sl_pq_vdec_free (it owns small scratch
 * arrays); the page bytes must outlive it.
 */
#ifndef SL_PQ_DECODE_H
#define SL_PQ_DECODE_H

#include "core/sl_buf.h"
#include "core/sl_error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A byte-array value. */
typedef struct sl_pq_bv {
    const uint8_t *p;
    uint32_t len;
} sl_pq_bv;

/* Reads a ULEB128 varint of at most 10 bytes; -1 when truncated/too long. */
int sl_pq_read_uleb(const uint8_t **p, const uint8_t *end, uint64_t *v);

/* ---- RLE / bit-packed hybrid ---- */
typedef struct sl_pq_hyb {
    const uint8_t *p, *end;
    int bw;
    uint64_t rle_left;
    uint32_t rle_val;
    uint64_t bp_left;          /* values left in the current bit-packed run */
    const uint8_t *bp_base;
    size_t bp_bytes;
    uint64_t bp_bit;
} sl_pq_hyb;

void sl_pq_hyb_init(sl_pq_hyb *d, const uint8_t *p, size_t n, int bit_width);
/* Exactly n values or an error (data ends too early). */
int sl_pq_hyb_get(sl_pq_hyb *d, uint32_t *out, size_t n, sl_err *err);

/* Legacy BIT_PACKED: value i is bits [i*bw, (i+1)*bw) counted from the most
 * significant bit of byte 0. */
int sl_pq_bitpacked_msb(const uint8_t *p, size_t nbytes, int bw, uint64_t first, uint32_t *out, size_t n, sl_err *err);

/* ---- DELTA_BINARY_PACKED ---- */
typedef struct sl_pq_dbp {
    const uint8_t *p, *end;
    bool is32;
    uint64_t block_size, nminiblocks, mb_size, total, emitted;
    uint64_t last;
    int64_t min_delta;
    const uint8_t *widths;
    uint64_t mb_idx;             /* next miniblock of the current block */
    bool in_block, mb_active;
    const uint8_t *mb_base;
    size_t mb_avail;
    uint64_t mb_pos;
    int mb_w;
} sl_pq_dbp;

int sl_pq_dbp_init(sl_pq_dbp *d, const uint8_t *p, size_t n, bool is32, sl_err *err);
/* n values (INT32 streams give values sign-extended from 32 bits). */
int sl_pq_dbp_get(sl_pq_dbp *d, int64_t *out, size_t n, sl_err *err);
/* Where the whole stream (all `total` values) ends, without decoding values. */
int sl_pq_dbp_end(const sl_pq_dbp *d, const uint8_t **end, sl_err *err);

/* ---- one page's values ---- */
typedef struct sl_pq_vdec {
    int enc, ptype;
    int width;                 /* physical bytes per fixed value; FLBA length */
    const uint8_t *p, *end;
    uint64_t bit;              /* PLAIN BOOLEAN: next bit */
    sl_pq_hyb hyb;             /* RLE booleans, dictionary indices */
    sl_pq_dbp dbp, dbp2;       /* delta encodings */
    const uint8_t *data;       /* DLBA / DBA: next byte of the value bytes */
    size_t bss_stride, bss_next;
    sl_buf last;               /* DELTA_BYTE_ARRAY: the previous value */
    int64_t *tmp, *tmp2;
    uint32_t *tmpu;
    size_t tmp_cap;
} sl_pq_vdec;

/* ptype: physical type; width: FLBA type_length (ignored otherwise).
 * p/n: the values part of the page. */
int sl_pq_vdec_init(sl_pq_vdec *d, int enc, int ptype, int width, const uint8_t *p, size_t n, sl_err *err);
void sl_pq_vdec_free(sl_pq_vdec *d);
/* True when the encoding gives dictionary indices. */
bool sl_pq_vdec_is_dict(const sl_pq_vdec *d);
/* Fixed-width physical types: n values into out (n * physical width). */
int sl_pq_vdec_fixed(sl_pq_vdec *d, uint8_t *out, size_t n, sl_err *err);
/* BYTE_ARRAY and FLBA: n values; bytes that must be built (DELTA_BYTE_ARRAY,
 * BYTE_STREAM_SPLIT FLBA) are appended to heap, which the caller clears
 * between calls. */
int sl_pq_vdec_bytes(sl_pq_vdec *d, sl_pq_bv *out, size_t n, sl_buf *heap, sl_err *err);
/* Dictionary pages' data pages: n indices, each checked < dict_n. */
int sl_pq_vdec_indices(sl_pq_vdec *d, uint32_t *out, size_t n, uint32_t dict_n, sl_err *err);

/* Bytes per fixed value of a physical type (BOOLEAN 1 as decoded, INT96 12,
 * FLBA: flba_len, BYTE_ARRAY 0). */
int sl_pq_physical_width(int ptype, int flba_len);

#endif
