/*
 * test_pq_reader.c - the Parquet read side on hand-made bytes: the
 * RLE/bit-packed hybrid and legacy BIT_PACKED (the examples of
 * Encodings.md), DELTA_BINARY_PACKED (spec examples, INT32 wrap-around,
 * garbage widths of unused miniblocks), DELTA_LENGTH_BYTE_ARRAY,
 * DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT, PLAIN, dictionary indices, the thrift
 * compact decoder (unknown union members skipped, truncation, huge counts,
 * depth cap), every codec's decompression with exact sizes, and the file
 * checks of the reader (magic, encrypted footer).
 */
#include <criterion/criterion.h>

#include "core/sl_buf.h"
#include "parquet/sl_decompress.h"
#include "parquet/sl_pq_decode.h"
#include "parquet/sl_pq_format.h"
#include "parquet/sl_pq_meta.h"
#include "parquet/sl_pq_reader.h"
#include "parquet/sl_thrift_read.h"

#include <lz4.h>
#include <stdlib.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

/* ---- RLE / bit-packed hybrid ---- */

Test(hybrid, spec_bit_packed_example)
{
    /* Encodings.md: 0..7 with bit width 3, one bit-packed group. */
    const uint8_t data[] = { 0x03, 0x88, 0xC6, 0xFA };
    sl_pq_hyb d;
    uint32_t out[8];
    sl_err err = SL_ERR_INIT;
    sl_pq_hyb_init(&d, data, sizeof data, 3);
    cr_assert_eq(sl_pq_hyb_get(&d, out, 8, &err), 0, "%s", err.msg);
    for (uint32_t i = 0; i < 8; i++) cr_assert_eq(out[i], i);
}

Test(hybrid, rle_runs_mixed_and_split_reads)
{
    /* run of 5 x 3 (bw 2), then a bit-packed group 1,2,3,0,1,2,3,0, then 300 x 1 */
    const uint8_t data[] = { 0x0A, 0x03, 0x03, 0x39, 0x39, 0xD8, 0x04, 0x01 };
    sl_pq_hyb d;
    uint32_t out[313];
    sl_err err = SL_ERR_INIT;
    sl_pq_hyb_init(&d, data, sizeof data, 2);
    cr_assert_eq(sl_pq_hyb_get(&d, out, 3, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_pq_hyb_get(&d, out + 3, 310, &err), 0, "%s", err.msg);
    for (int i = 0; i < 5; i++) cr_assert_eq(out[i], 3);
    uint32_t bp[] = { 1, 2, 3, 0, 1, 2, 3, 0 };
    for (int i = 0; i < 8; i++) cr_assert_eq(out[5 + i], bp[i], "bp %d: %u", i, out[5 + i]);
    for (int i = 13; i < 313; i++) cr_assert_eq(out[i], 1);
    cr_assert_eq(sl_pq_hyb_get(&d, out, 1, &err), -1);
    cr_assert(strstr(err.msg, "RLE data ends"), "%s", err.msg);
}

Test(hybrid, bit_width_zero_and_bad_values)
{
    const uint8_t zero[] = { 0x14 };   /* run of 10, no value bytes */
    sl_pq_hyb d;
    uint32_t out[10];
    sl_err err = SL_ERR_INIT;
    sl_pq_hyb_init(&d, zero, 1, 0);
    cr_assert_eq(sl_pq_hyb_get(&d, out, 10, &err), 0, "%s", err.msg);
    for (int i = 0; i < 10; i++) cr_assert_eq(out[i], 0);
    const uint8_t big[] = { 0x02, 0x05 };   /* value 5 does not fit 2 bits */
    sl_pq_hyb_init(&d, big, 2, 2);
    cr_assert_eq(sl_pq_hyb_get(&d, out, 1, &err), -1);
    const uint8_t trunc[] = { 0x02 };
    sl_pq_hyb_init(&d, trunc, 1, 8);
    cr_assert_eq(sl_pq_hyb_get(&d, out, 1, &err), -1);
    sl_pq_hyb_init(&d, zero, 1, 33);
    cr_assert_eq(sl_pq_hyb_get(&d, out, 1, &err), -1);
}

Test(bitpacked, legacy_msb_first_spec_example)
{
    const uint8_t data[] = { 0x05, 0x39, 0x77 };
    uint32_t out[8];
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_pq_bitpacked_msb(data, 3, 3, 0, out, 8, &err), 0, "%s", err.msg);
    for (uint32_t i = 0; i < 8; i++) cr_assert_eq(out[i], i);
    cr_assert_eq(sl_pq_bitpacked_msb(data, 3, 3, 4, out, 4, &err), 0, "%s", err.msg);
    cr_assert_eq(out[0], 4);
    cr_assert_eq(sl_pq_bitpacked_msb(data, 3, 3, 0, out, 9, &err), -1);
}

/* ---- DELTA_BINARY_PACKED ---- */

Test(delta, spec_example_constant_deltas)
{
    /* 1,2,3,4,5: block 128, 4 miniblocks, 5 values, first 1; min delta 1, widths 0 */
    const uint8_t data[] = { 0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00 };
    sl_pq_dbp d;
    int64_t out[5];
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_pq_dbp_init(&d, data, sizeof data, false, &err), 0, "%s", err.msg);
    const uint8_t *end;
    cr_assert_eq(sl_pq_dbp_end(&d, &end, &err), 0, "%s", err.msg);
    cr_assert_eq(end, data + sizeof data);
    cr_assert_eq(sl_pq_dbp_get(&d, out, 5, &err), 0, "%s", err.msg);
    for (int i = 0; i < 5; i++) cr_assert_eq(out[i], i + 1);
    cr_assert_eq(sl_pq_dbp_get(&d, out, 1, &err), -1);
}

Test(delta, spec_example_two_and_garbage_widths)
{
    /* 7,5,3,1,2,3,4,5: min delta -2, one miniblock of width 2; the widths of
     * the three unused miniblocks are garbage and must be ignored. */
    const uint8_t data[] = { 0x80, 0x01, 0x04, 0x08, 0x0E, 0x03, 0x02, 0xFF, 0xEE, 0xDD,
                             0xC0, 0xFF, 0, 0, 0, 0, 0, 0 };
    sl_pq_dbp d;
    int64_t out[8];
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_pq_dbp_init(&d, data, sizeof data, true, &err), 0, "%s", err.msg);
    const uint8_t *end;
    cr_assert_eq(sl_pq_dbp_end(&d, &end, &err), 0, "%s", err.msg);
    cr_assert_eq(end, data + sizeof data);
    cr_assert_eq(sl_pq_dbp_get(&d, out, 8, &err), 0, "%s", err.msg);
    int64_t want[] = { 7, 5, 3, 1, 2, 3, 4, 5 };
    for (int i = 0; i < 8; i++) cr_assert_eq(out[i], want[i], "%d: %lld", i, (long long)out[i]);
}

Test(delta, int32_wraps_at_32_bits)
{
    /* INT32_MAX then INT32_MIN: the writer's 32-bit delta is +1 */
    const uint8_t data[] = { 0x80, 0x01, 0x04, 0x02, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F, 0x02, 0, 0, 0, 0 };
    sl_pq_dbp d;
    int64_t out[2];
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_pq_dbp_init(&d, data, sizeof data, true, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_pq_dbp_get(&d, out, 2, &err), 0, "%s", err.msg);
    cr_assert_eq(out[0], INT32_MAX);
    cr_assert_eq(out[1], INT32_MIN);
}

Test(delta, bad_headers)
{
    sl_pq_dbp d;
    sl_err err = SL_ERR_INIT;
    const uint8_t bad_block[] = { 0x07, 0x04, 0x05, 0x02 };
    cr_assert_eq(sl_pq_dbp_init(&d, bad_block, sizeof bad_block, false, &err), -1);
    const uint8_t trunc[] = { 0x80, 0x01, 0x04 };
    cr_assert_eq(sl_pq_dbp_init(&d, trunc, sizeof trunc, false, &err), -1);
    /* width 65 */
    const uint8_t wide[] = { 0x80, 0x01, 0x04, 0x03, 0x00, 0x00, 0x41, 0, 0, 0 };
    int64_t out[3];
    cr_assert_eq(sl_pq_dbp_init(&d, wide, sizeof wide, false, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_pq_dbp_get(&d, out, 3, &err), -1);
    cr_assert(strstr(err.msg, "bit width"), "%s", err.msg);
}

/* A tiny DELTA_BINARY_PACKED encoder for the byte-array tests: one block of
 * 128 values, 4 miniblocks of 32. */
static void put_uleb(sl_buf *b, uint64_t v)
{
    do {
        uint8_t x = v & 0x7f;
        v >>= 7;
        sl_buf_push(b, (uint8_t)(x | (v ? 0x80 : 0)));
    } while (v);
}

static void enc_dbp(sl_buf *b, const int64_t *v, size_t n)
{
    cr_assert_leq(n, 129);
    put_uleb(b, 128);
    put_uleb(b, 4);
    put_uleb(b, n);
    put_uleb(b, ((uint64_t)v[0] << 1) ^ (uint64_t)(v[0] >> 63));
    if (n < 2) return;
    int64_t min = INT64_MAX;
    for (size_t i = 1; i < n; i++) if (v[i] - v[i - 1] < min) min = v[i] - v[i - 1];
    put_uleb(b, ((uint64_t)min << 1) ^ (uint64_t)(min >> 63));
    size_t nd = n - 1, nmb = (nd + 31) / 32;
    int widths[4] = { 0 };
    for (size_t m = 0; m < nmb; m++)
        for (size_t i = m * 32; i < nd && i < m * 32 + 32; i++) {
            uint64_t x = (uint64_t)(v[i + 1] - v[i] - min);
            while (widths[m] < 64 && (x >> widths[m])) widths[m]++;
        }
    for (int m = 0; m < 4; m++) sl_buf_push(b, (uint8_t)widths[m]);
    for (size_t m = 0; m < nmb; m++) {
        uint8_t bytes[32 * 8] = { 0 };
        for (size_t k = 0; k < 32; k++) {
            size_t i = m * 32 + k;
            uint64_t x = i < nd ? (uint64_t)(v[i + 1] - v[i] - min) : 0;
            for (int bit = 0; bit < widths[m]; bit++)
                if (x >> bit & 1) { size_t pos = k * (size_t)widths[m] + (size_t)bit; bytes[pos / 8] |= (uint8_t)(1 << (pos % 8)); }
        }
        sl_buf_append(b, bytes, (size_t)widths[m] * 4);
    }
}

Test(delta, length_byte_array)
{
    sl_buf b = { 0 };
    int64_t lens[] = { 3, 0, 5 };
    enc_dbp(&b, lens, 3);
    sl_buf_append(&b, "abchello", 8);
    sl_pq_vdec d;
    sl_pq_bv out[3];
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_pq_vdec_init(&d, SL_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY, SL_PQ_BYTE_ARRAY, 0, b.data, b.len, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_pq_vdec_bytes(&d, out, 3, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(out[0].len, 3);
    cr_assert(!memcmp(out[0].p, "abc", 3));
    cr_assert_eq(out[1].len, 0);
    cr_assert(!memcmp(out[2].p, "hello", 5));
    sl_pq_vdec_free(&d);
    /* a length beyond the data */
    b.len -= 2;
    cr_assert_eq(sl_pq_vdec_init(&d, SL_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY, SL_PQ_BYTE_ARRAY, 0, b.data, b.len, &err), 0);
    cr_assert_eq(sl_pq_vdec_bytes(&d, out, 3, NULL, &err), -1);
    sl_pq_vdec_free(&d);
    sl_buf_free(&b);
}

Test(delta, byte_array_spec_example)
{
    /* axis, axle, babble, babyhood */
    sl_buf b = { 0 };
    int64_t prefix[] = { 0, 2, 0, 3 }, suffix[] = { 4, 2, 6, 5 };
    enc_dbp(&b, prefix, 4);
    enc_dbp(&b, suffix, 4);
    sl_buf_append(&b, "axislebabbleyhood", 17);
    sl_pq_vdec d;
    sl_pq_bv out[4];
    sl_buf heap = { 0 };
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_pq_vdec_init(&d, SL_PQ_ENC_DELTA_BYTE_ARRAY, SL_PQ_BYTE_ARRAY, 0, b.data, b.len, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_pq_vdec_bytes(&d, out, 2, &heap, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_pq_vdec_bytes(&d, out + 2, 2, &heap, &err), 0, "%s", err.msg);   /* across calls */
    const char *want[] = { "axis", "axle", "babble", "babyhood" };
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(out[i].len, strlen(want[i]), "%d", i);
        cr_assert(!memcmp(out[i].p, want[i], out[i].len), "%d: %.*s", i, (int)out[i].len, out[i].p);
    }
    sl_pq_vdec_free(&d);
    /* a prefix longer than the previous value */
    sl_buf_clear(&b);
    int64_t bad_prefix[] = { 0, 9 };
    int64_t sfx[] = { 1, 1 };
    enc_dbp(&b, bad_prefix, 2);
    enc_dbp(&b, sfx, 2);
    sl_buf_append(&b, "ab", 2);
    cr_assert_eq(sl_pq_vdec_init(&d, SL_PQ_ENC_DELTA_BYTE_ARRAY, SL_PQ_BYTE_ARRAY, 0, b.data, b.len, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_pq_vdec_bytes(&d, out, 2, &heap, &err), -1);
    cr_assert(strstr(err.msg, "prefix"), "%s", err.msg);
    sl_pq_vdec_free(&d);
    sl_buf_free(&heap);
    sl_buf_free(&b);
}

/* ---- other value encodings ---- */

Test(values, byte_stream_split_float_and_int64)
{
    float f[3] = { 1.0f, -2.5f, 1e30f };
    uint8_t raw[12], split[12], out[12];
    memcpy(raw, f, 12);
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 4; k++) split[k * 3 + i] = raw[i * 4 + k];
    sl_pq_vdec d;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_pq_vdec_init(&d, SL_PQ_ENC_BYTE_STREAM_SPLIT, SL_PQ_FLOAT, 0, split, 12, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_pq_vdec_fixed(&d, out, 2, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_pq_vdec_fixed(&d, out + 8, 1, &err), 0, "%s", err.msg);
    cr_assert(!memcmp(out, raw, 12));
    cr_assert_eq(sl_pq_vdec_fixed(&d, out, 1, &err), -1);
    sl_pq_vdec_free(&d);
    /* size not a multiple of the width */
    cr_assert_eq(sl_pq_vdec_init(&d, SL_PQ_ENC_BYTE_STREAM_SPLIT, SL_PQ_INT64, 0, split, 12, &err), -1);
    /* FLBA(3) */
    const uint8_t fl[] = { 'a', 'x', 'b', 'y', 'c', 'z' };   /* "abc", "xyz" */
    sl_pq_bv bv[2];
    sl_buf heap = { 0 };
    cr_assert_eq(sl_pq_vdec_init(&d, SL_PQ_ENC_BYTE_STREAM_SPLIT, SL_PQ_FIXED_LEN_BYTE_ARRAY, 3, fl, 6, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_pq_vdec_bytes(&d, bv, 2, &heap, &err), 0, "%s", err.msg);
    cr_assert(!memcmp(bv[0].p, "abc", 3) && !memcmp(bv[1].p, "xyz", 3));
    sl_pq_vdec_free(&d);
    sl_buf_free(&heap);
}

Test(values, plain_booleans_byte_arrays_and_truncation)
{
    const uint8_t bits[] = { 0x05, 0x01 };   /* 1,0,1,0,0,0,0,0, 1 */
    uint8_t out[9];
    sl_pq_vdec d;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_pq_vdec_init(&d, SL_PQ_ENC_PLAIN, SL_PQ_BOOLEAN, 0, bits, 2, &err), 0);
    cr_assert_eq(sl_pq_vdec_fixed(&d, out, 9, &err), 0, "%s", err.msg);
    uint8_t want[] = { 1, 0, 1, 0, 0, 0, 0, 0, 1 };
    cr_assert(!memcmp(out, want, 9));
    cr_assert_eq(sl_pq_vdec_fixed(&d, out, 8, &err), -1);
    sl_pq_vdec_free(&d);

    const uint8_t ba[] = { 2, 0, 0, 0, 'h', 'i', 0, 0, 0, 0, 9, 0, 0, 0, 'x' };
    sl_pq_bv bv[3];
    cr_assert_eq(sl_pq_vdec_init(&d, SL_PQ_ENC_PLAIN, SL_PQ_BYTE_ARRAY, 0, ba, sizeof ba, &err), 0);
    cr_assert_eq(sl_pq_vdec_bytes(&d, bv, 2, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(bv[0].len, 2);
    cr_assert_eq(bv[1].len, 0);
    cr_assert_eq(sl_pq_vdec_bytes(&d, bv, 1, NULL, &err), -1);   /* 9 bytes claimed, 1 left */
    cr_assert(strstr(err.msg, "only 1 left"), "%s", err.msg);
    sl_pq_vdec_free(&d);

    const int32_t ints[] = { 1, 2 };
    uint8_t o8[12];
    cr_assert_eq(sl_pq_vdec_init(&d, SL_PQ_ENC_PLAIN, SL_PQ_INT32, 0, (const uint8_t *)ints, 8, &err), 0);
    cr_assert_eq(sl_pq_vdec_fixed(&d, o8, 3, &err), -1);
    sl_pq_vdec_free(&d);
}

Test(values, rle_booleans_and_dictionary_indices)
{
    const uint8_t rle[] = { 2, 0, 0, 0, 0x06, 0x01 };   /* length 2: run of 3 x 1 */
    uint8_t out[3];
    sl_pq_vdec d;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_pq_vdec_init(&d, SL_PQ_ENC_RLE, SL_PQ_BOOLEAN, 0, rle, sizeof rle, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_pq_vdec_fixed(&d, out, 3, &err), 0, "%s", err.msg);
    cr_assert(out[0] == 1 && out[1] == 1 && out[2] == 1);
    sl_pq_vdec_free(&d);

    const uint8_t idx[] = { 2, 0x03, 0x1B, 0x00 };   /* bw 2, bit-packed 3,2,1,0,0,0,0,0 */
    uint32_t iv[8];
    cr_assert_eq(sl_pq_vdec_init(&d, SL_PQ_ENC_RLE_DICTIONARY, SL_PQ_INT32, 0, idx, sizeof idx, &err), 0);
    cr_assert(sl_pq_vdec_is_dict(&d));
    cr_assert_eq(sl_pq_vdec_indices(&d, iv, 4, 4, &err), 0, "%s", err.msg);
    cr_assert(iv[0] == 3 && iv[1] == 2 && iv[2] == 1 && iv[3] == 0);
    sl_pq_vdec_free(&d);
    cr_assert_eq(sl_pq_vdec_init(&d, SL_PQ_ENC_RLE_DICTIONARY, SL_PQ_INT32, 0, idx, sizeof idx, &err), 0);
    cr_assert_eq(sl_pq_vdec_indices(&d, iv, 1, 3, &err), -1);   /* index 3 of a 3-entry dictionary */
    cr_assert(strstr(err.msg, "out of range"), "%s", err.msg);
    sl_pq_vdec_free(&d);
    const uint8_t wide[] = { 33, 0 };
    cr_assert_eq(sl_pq_vdec_init(&d, SL_PQ_ENC_RLE_DICTIONARY, SL_PQ_INT32, 0, wide, 2, &err), -1);
}

/* ---- thrift ---- */

Test(thrift, skips_unknown_union_member_and_reads_known)
{
    /* struct { 10: union LogicalType { 2555: struct { 1: i32 7, 2: list<binary> ["ab"] } } , 11: i32 -3 } */
    const uint8_t data[] = {
        0xAC,                          /* field 10, struct */
        0x0C, 0xF6, 0x27,              /* long form: type 12, id zigzag(2555)=5110 */
        0x15, 0x0E,                    /* 1: i32 7 */
        0x19, 0x18, 0x02, 'a', 'b',    /* 2: list<binary> of 1 */
        0x00,                          /* end inner */
        0x00,                          /* end union */
        0x15, 0x05,                    /* 11: i32 -3 */
        0x00,
    };
    sl_err err = SL_ERR_INIT;
    sl_tr t;
    sl_tr_init(&t, data, sizeof data, &err);
    int16_t fid = 0;
    int type;
    int32_t v = 0;
    bool got11 = false;
    for (;;) {
        cr_assert_eq(sl_tr_field(&t, &fid, &type), 0, "%s", err.msg);
        if (type == SL_TT_STOP) break;
        if (fid == 11 && type == SL_TT_I32) {
            cr_assert_eq(sl_tr_i32(&t, &v), 0);
            got11 = true;
        } else {
            cr_assert_eq(sl_tr_skip(&t, type), 0, "%s", err.msg);
        }
    }
    cr_assert(got11);
    cr_assert_eq(v, -3);
    cr_assert_eq(sl_tr_left(&t), 0);
}

Test(thrift, truncation_huge_counts_and_depth)
{
    sl_err err = SL_ERR_INIT;
    sl_tr t;
    const uint8_t trunc_bin[] = { 0x18, 0x08, 'a' };   /* binary of 8 bytes, 1 present */
    sl_tr_init(&t, trunc_bin, sizeof trunc_bin, &err);
    int16_t fid = 0;
    int type;
    cr_assert_eq(sl_tr_field(&t, &fid, &type), 0);
    cr_assert_eq(sl_tr_skip(&t, type), -1);
    cr_assert(strstr(err.msg, "binary of 8 bytes"), "%s", err.msg);
    cr_assert(t.failed);
    cr_assert_eq(sl_tr_field(&t, &fid, &type), -1);   /* sticky */

    const uint8_t huge_list[] = { 0xF5, 0xFF, 0xFF, 0xFF, 0xFF, 0x07 };
    sl_tr_init(&t, huge_list, sizeof huge_list, &err);
    int et;
    uint32_t n;
    cr_assert_eq(sl_tr_list(&t, &et, &n), -1);
    cr_assert(strstr(err.msg, "elements but only"), "%s", err.msg);

    const uint8_t long_varint[] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 };
    uint64_t u;
    sl_tr_init(&t, long_varint, sizeof long_varint, &err);
    cr_assert_eq(sl_tr_u64(&t, &u), -1);

    uint8_t deep[200];
    for (int i = 0; i < 200; i++) deep[i] = 0x1C;   /* field +1, struct, nested forever */
    sl_tr_init(&t, deep, sizeof deep, &err);
    cr_assert_eq(sl_tr_skip(&t, SL_TT_STRUCT), -1);
    cr_assert(strstr(err.msg, "nesting deeper") || strstr(err.msg, "truncated"), "%s", err.msg);

    const uint8_t no_stop[] = { 0x15, 0x02 };
    sl_tr_init(&t, no_stop, sizeof no_stop, &err);
    cr_assert_eq(sl_tr_skip(&t, SL_TT_STRUCT), -1);

    const uint8_t bools[] = { 0x31, 0x01, 0x02, 0x00 };   /* list<bool> elem type 1: true, false, false(0) */
    sl_tr_init(&t, bools, sizeof bools, &err);
    cr_assert_eq(sl_tr_list(&t, &et, &n), 0);
    bool b;
    cr_assert_eq(sl_tr_bool_elem(&t, &b), 0); cr_assert(b);
    cr_assert_eq(sl_tr_bool_elem(&t, &b), 0); cr_assert(!b);
    cr_assert_eq(sl_tr_bool_elem(&t, &b), 0); cr_assert(!b);
}

Test(thrift, page_header_parse)
{
    /* DATA_PAGE, 10/8 bytes, crc -1, DataPageHeader{5 values, PLAIN, RLE, RLE} */
    const uint8_t h[] = { 0x15, 0x00, 0x15, 0x14, 0x15, 0x10, 0x15, 0x01, 0x1C, 0x15, 0x0A, 0x15, 0x00,
                          0x15, 0x06, 0x15, 0x06, 0x00, 0x00 };
    sl_pq_page_header ph;
    size_t used;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_pq_page_header_parse(h, sizeof h, &ph, &used, &err), 0, "%s", err.msg);
    cr_assert_eq(used, sizeof h);
    cr_assert_eq(ph.type, SL_PQ_DATA_PAGE);
    cr_assert_eq(ph.uncompressed_size, 10);
    cr_assert_eq(ph.compressed_size, 8);
    cr_assert(ph.has_crc);
    cr_assert_eq(ph.crc, 0xFFFFFFFFu);
    cr_assert_eq(ph.num_values, 5);
    cr_assert(ph.has_data_header);
    cr_assert_eq(sl_pq_page_header_parse(h, sizeof h - 3, &ph, &used, &err), -1);
    const uint8_t neg[] = { 0x15, 0x00, 0x15, 0x01, 0x15, 0x10, 0x00 };
    cr_assert_eq(sl_pq_page_header_parse(neg, sizeof neg, &ph, &used, &err), -1);
    cr_assert(strstr(err.msg, "negative"), "%s", err.msg);
}

/* ---- decompression ---- */

Test(decompress, every_codec_exact_size)
{
    char src[4000];
    for (size_t i = 0; i < sizeof src; i++) src[i] = (char)("parquet!"[i % 8] + (i / 100) % 3);
    uint8_t comp[8192], out[4000 + 16];
    sl_err err = SL_ERR_INIT;
    /* snappy */
    size_t cl = sizeof comp;
    cr_assert_eq(snappy_compress(src, sizeof src, (char *)comp, &cl), SNAPPY_OK);
    cr_assert_eq(sl_decompress(SL_PQ_SNAPPY, comp, cl, out, sizeof src, &err), 0, "%s", err.msg);
    cr_assert(!memcmp(out, src, sizeof src));
    cr_assert_eq(sl_decompress(SL_PQ_SNAPPY, comp, cl, out, sizeof src + 1, &err), -1);
    /* zstd, and a frame of zero bytes */
    cl = ZSTD_compress(comp, sizeof comp, src, sizeof src, 3);
    cr_assert_eq(sl_decompress(SL_PQ_ZSTD, comp, cl, out, sizeof src, &err), 0, "%s", err.msg);
    cr_assert(!memcmp(out, src, sizeof src));
    cr_assert_eq(sl_decompress(SL_PQ_ZSTD, comp, cl, out, sizeof src - 1, &err), -1);
    cl = ZSTD_compress(comp, sizeof comp, src, 0, 3);
    cr_assert_eq(sl_decompress(SL_PQ_ZSTD, comp, cl, out, 0, &err), 0, "%s", err.msg);
    /* lz4 raw, and codec 5 as a raw block and in Hadoop framing */
    int n = LZ4_compress_default(src, (char *)comp + 8, sizeof src, (int)sizeof comp - 8);
    cr_assert_gt(n, 0);
    cr_assert_eq(sl_decompress(SL_PQ_LZ4_RAW, comp + 8, (size_t)n, out, sizeof src, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_decompress(SL_PQ_LZ4, comp + 8, (size_t)n, out, sizeof src, &err), 0, "%s", err.msg);
    uint32_t raw = sizeof src, c = (uint32_t)n;
    uint8_t hdr[8] = { raw >> 24, raw >> 16, raw >> 8, raw, c >> 24, c >> 16, c >> 8, c };
    memcpy(comp, hdr, 8);
    memset(out, 0, sizeof out);
    cr_assert_eq(sl_decompress(SL_PQ_LZ4, comp, (size_t)n + 8, out, sizeof src, &err), 0, "%s", err.msg);
    cr_assert(!memcmp(out, src, sizeof src));
    cr_assert_eq(sl_decompress(SL_PQ_LZ4_RAW, comp + 8, (size_t)n, out, sizeof src - 10, &err), -1);
    /* gzip: two members back to back */
    sl_buf gz = { 0 };
    for (int m = 0; m < 2; m++) {
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        cr_assert_eq(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
        zs.next_in = (Bytef *)src + m * 2000;
        zs.avail_in = 2000;
        zs.next_out = comp;
        zs.avail_out = sizeof comp;
        cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
        sl_buf_append(&gz, comp, sizeof comp - zs.avail_out);
        deflateEnd(&zs);
    }
    cr_assert_eq(sl_decompress(SL_PQ_GZIP, gz.data, gz.len, out, sizeof src, &err), 0, "%s", err.msg);
    cr_assert(!memcmp(out, src, sizeof src));
    cr_assert_eq(sl_decompress(SL_PQ_GZIP, gz.data, gz.len, out, sizeof src - 1, &err), -1);
    cr_assert_eq(sl_decompress(SL_PQ_GZIP, gz.data, gz.len - 5, out, sizeof src, &err), -1);
    sl_buf_free(&gz);
    /* uncompressed: sizes must agree; LZO refused */
    cr_assert_eq(sl_decompress(SL_PQ_UNCOMPRESSED, (const uint8_t *)src, 10, out, 11, &err), -1);
    cr_assert_eq(sl_decompress(SL_PQ_LZO, (const uint8_t *)src, 10, out, 10, &err), -1);
    cr_assert(strstr(err.msg, "LZO"), "%s", err.msg);
    /* garbage */
    cr_assert_eq(sl_decompress(SL_PQ_BROTLI, (const uint8_t *)src, 100, out, 100, &err), -1);
    cr_assert_eq(sl_decompress(SL_PQ_SNAPPY, (const uint8_t *)src, 100, out, 100, &err), -1);
}

/* ---- whole files ---- */

Test(reader, rejects_non_parquet_and_encrypted)
{
    sl_err err = SL_ERR_INIT;
    cr_assert_null(sl_pq_reader_open_mem("PAR1", 4, "tiny.parquet", &err));
    cr_assert(strstr(err.msg, "tiny.parquet") && strstr(err.msg, "not a Parquet file"), "%s", err.msg);
    const char enc[] = "PARE\0\0\0\0\0\0\0\0\0\0\0\0PARE";
    cr_assert_null(sl_pq_reader_open_mem(enc, sizeof enc - 1, "e.parquet", &err));
    cr_assert(strstr(err.msg, "encrypted Parquet files are not supported"), "%s", err.msg);
    const char badlen[] = "PAR1xxxx\xff\xff\x00\x00PAR1";
    cr_assert_null(sl_pq_reader_open_mem(badlen, sizeof badlen - 1, "l.parquet", &err));
    cr_assert(strstr(err.msg, "footer"), "%s", err.msg);
    /* footer of garbage thrift */
    const char garbage[] = "PAR1\x19\xff\xff\xff\x04\x00\x00\x00PAR1";
    cr_assert_null(sl_pq_reader_open_mem(garbage, sizeof garbage - 1, "g.parquet", &err));
    cr_assert(strstr(err.msg, "g.parquet"), "%s", err.msg);
}

Test(reader, filter_parse)
{
    char *col, *val;
    sl_pq_op op;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_pq_filter_parse(" amount >= 12.5 ", &col, &op, &val, &err), 0);
    cr_assert_str_eq(col, "amount");
    cr_assert_eq(op, SL_PQ_OP_GE);
    cr_assert_str_eq(val, "12.5");
    free(col); free(val);
    cr_assert_eq(sl_pq_filter_parse("name = 'a b'", &col, &op, &val, &err), 0);
    cr_assert_str_eq(val, "a b");
    free(col); free(val);
    cr_assert_eq(sl_pq_filter_parse("name ~ x", &col, &op, &val, &err), -1);
    sl_pq_value v;
    sl_type t = { .id = SL_T_DECIMAL, .precision = 10, .scale = 2 };
    cr_assert_eq(sl_pq_value_parse(t, "-12.5", &v, &err), 0);
    cr_assert(v.d == -1250);
    cr_assert_eq(sl_pq_value_parse(t, "1.234", &v, &err), -1);
    sl_type ts = { .id = SL_T_TIMESTAMP };
    cr_assert_eq(sl_pq_value_parse(ts, "1970-01-02 00:00:01.5", &v, &err), 0);
    cr_assert_eq(v.i, 86401500000LL);
}

#include <brotli/encode.h>

Test(decompress, untrusted_sizes_grow_only_with_the_data)
{
    const size_t n = 3u << 20;
    uint8_t *zeros = calloc(1, n);
    size_t bound = ZSTD_compressBound(n);
    uint8_t *comp = malloc(bound);
    size_t cl = ZSTD_compress(comp, bound, zeros, n, 3);
    sl_buf out = { 0 };
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_decompress_buf(SL_PQ_ZSTD, comp, cl, &out, n, &err), 0, "%s", err.msg);
    cr_assert_eq(out.len, n);
    cr_assert_eq(sl_decompress_buf(SL_PQ_ZSTD, comp, cl, &out, n - 1, &err), -1);
    cr_assert_eq(sl_decompress_buf(SL_PQ_ZSTD, comp, cl, &out, n + 1, &err), -1);
    /* a claimed 2 GB page of a few bytes of ZSTD: no 2 GB allocation, an error */
    cr_assert_eq(sl_decompress_buf(SL_PQ_ZSTD, comp, cl, &out, 2000000000u, &err), -1);
    cr_assert_lt(out.cap, (size_t)64 << 20);
    size_t bl = bound;
    cr_assert(BrotliEncoderCompress(5, 22, BROTLI_MODE_GENERIC, n, zeros, &bl, comp));
    cr_assert_eq(sl_decompress_buf(SL_PQ_BROTLI, comp, bl, &out, n, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_decompress_buf(SL_PQ_BROTLI, comp, bl, &out, n - 7, &err), -1);
    cr_assert_eq(sl_decompress_buf(SL_PQ_BROTLI, comp, bl, &out, 1500000000u, &err), -1);
    /* fixed-ratio codecs: impossible sizes refused before allocating */
    cr_assert_eq(sl_decompress_buf(SL_PQ_SNAPPY, comp, 10, &out, 100000000, &err), -1);
    cr_assert(strstr(err.msg, "impossible"), "%s", err.msg);
    cr_assert_eq(sl_decompress_buf(SL_PQ_UNCOMPRESSED, comp, 10, &out, 11, &err), -1);
    sl_buf_free(&out);
    free(zeros);
    free(comp);
}
