/*
 * test_pq_writer.c - unit tests of the Parquet writer (src/parquet writer
 * half): the thrift compact encoder's bytes for known structs, the
 * RLE/bit-packed encoder against hand-computed bytes (and a round trip
 * through a tiny decoder kept here), and whole files written in memory and
 * then walked with a small footer/page walker that lives in this file
 * (independent of the project's reader): total sizes equal the sum of page
 * headers and payloads, offsets point at the right page headers, value
 * counts add up, every page decompresses to its declared size, CRCs match,
 * and statistics hold the right bytes for each sort order. Covers every type
 * x REQUIRED/OPTIONAL x codec x dictionary, dictionary fallback, all-null
 * columns, empty and one-row files, 0-byte and multi-MB strings, extremes,
 * and the errors a writer must raise.
 */
#include <criterion/criterion.h>

#include "core/sl_alloc.h"
#include "core/sl_out.h"
#include "core/sl_types.h"
#include "parquet/sl_compress.h"
#include "parquet/sl_pq_format.h"
#include "parquet/sl_pq_rle.h"
#include "parquet/sl_pq_writer.h"
#include "parquet/sl_thrift_write.h"

#include <lz4.h>
#include <math.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

/* ---------- thrift encoder ---------- */

static void assert_bytes(const sl_buf *b, const uint8_t *want, size_t n)
{
    cr_assert_eq(b->len, n, "length %zu, want %zu", b->len, n);
    for (size_t i = 0; i < n; i++) cr_assert_eq(b->data[i], want[i], "byte %zu: %02x, want %02x", i, b->data[i], want[i]);
}

Test(thrift_write, version_field_and_stop)
{
    sl_buf b = {0};
    sl_tw w;
    sl_tw_init(&w, &b);
    sl_tw_struct_begin(&w);
    sl_tw_field_i32(&w, 1, 1);
    sl_tw_struct_end(&w);
    const uint8_t want[] = { 0x15, 0x02, 0x00 };
    assert_bytes(&b, want, sizeof want);
    sl_buf_free(&b);
}

Test(thrift_write, deltas_long_ids_types_and_nesting)
{
    sl_buf b = {0};
    sl_tw w;
    sl_tw_init(&w, &b);
    sl_tw_struct_begin(&w);
    sl_tw_field_i64(&w, 3, -1);            /* delta 3, i64, zigzag(-1)=1 */
    sl_tw_field_string(&w, 4, "ab");       /* delta 1, binary */
    sl_tw_field_bool(&w, 5, true);         /* delta 1, true in the nibble */
    sl_tw_field_bool(&w, 6, false);
    sl_tw_field_struct(&w, 30);            /* delta 24: long form, type 12, zigzag(30)=60 */
    sl_tw_field_i32(&w, 1, 300);           /* zigzag 600 = 0xd8 0x04 */
    sl_tw_struct_end(&w);
    sl_tw_field_list(&w, 31, SL_TC_I32, 2);
    sl_tw_elem_i32(&w, -2);
    sl_tw_elem_i32(&w, 2);
    sl_tw_field_list(&w, 32, SL_TC_BINARY, 15);   /* long list header */
    for (int i = 0; i < 15; i++) sl_tw_elem_binary(&w, "", 0);
    sl_tw_field_double(&w, 33, 1.0);
    sl_tw_struct_end(&w);
    const uint8_t want[] = { 0x36, 0x01, 0x18, 0x02, 'a', 'b', 0x11, 0x12, 0x0c, 60, 0x15, 0xd8, 0x04, 0x00,
                             0x19, 0x25, 0x03, 0x04, 0x19, 0xf8, 0x0f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                             0, 0, 0x17, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x00 };
    assert_bytes(&b, want, sizeof want);
    sl_buf_free(&b);
}

/* ---------- RLE / bit-packed hybrid ---------- */

static void rle_u32(const uint32_t *v, size_t n, int bw, const uint8_t *want, size_t wn)
{
    sl_buf b = {0};
    sl_pq_rle_encode_u32(&b, v, n, bw);
    assert_bytes(&b, want, wn);
    sl_buf_free(&b);
}

Test(rle, hand_computed)
{
    uint32_t ones[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
    rle_u32(ones, 8, 1, (const uint8_t[]){ 0x10, 0x01 }, 2);
    uint32_t alt[8] = { 0, 1, 0, 1, 0, 1, 0, 1 };
    rle_u32(alt, 8, 1, (const uint8_t[]){ 0x03, 0xaa }, 2);
    uint32_t three[3] = { 1, 2, 3 };   /* one padded group */
    rle_u32(three, 3, 2, (const uint8_t[]){ 0x03, 0x39, 0x00 }, 3);
    uint32_t run_then_lit[11] = { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 7 };
    rle_u32(run_then_lit, 11, 3, (const uint8_t[]){ 0x14, 0x05, 0x03, 0x07, 0x00, 0x00 }, 6);
    /* literals are topped up to a whole group from the following run */
    uint32_t mix[12] = { 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3 };
    rle_u32(mix, 12, 2, (const uint8_t[]){ 0x05, 0xf9, 0xff, 0xff, 0x00 }, 5);
    uint32_t wide[1] = { 70000 };      /* 17 bits: 3-byte RLE value */
    uint32_t wide9[9] = { 70000, 70000, 70000, 70000, 70000, 70000, 70000, 70000, 70000 };
    rle_u32(wide9, 9, 17, (const uint8_t[]){ 0x12, 0x70, 0x11, 0x01 }, 4);
    (void)wide;
    sl_buf b = {0};
    uint8_t levels[20];
    memset(levels, 1, 20);
    sl_pq_rle_encode_u8(&b, levels, 20, 1);
    assert_bytes(&b, (const uint8_t[]){ 0x28, 0x01 }, 2);
    sl_buf_free(&b);
}

/* A minimal hybrid decoder, for round trips. */
static void rle_decode(const uint8_t *p, size_t len, int bw, uint32_t *out, size_t n)
{
    size_t pos = 0, got = 0;
    while (got < n) {
        cr_assert_lt(pos, len, "ran out of bytes at value %zu", got);
        uint64_t h = 0;
        int shift = 0;
        while (p[pos] & 0x80) { h |= (uint64_t)(p[pos++] & 0x7f) << shift; shift += 7; }
        h |= (uint64_t)p[pos++] << shift;
        if (h & 1) {
            size_t count = (size_t)(h >> 1) * 8;
            uint64_t acc = 0;
            int bits = 0;
            for (size_t i = 0; i < count; i++) {
                while (bits < bw) { acc |= (uint64_t)p[pos++] << bits; bits += 8; }
                uint32_t v = (uint32_t)(acc & ((1ULL << bw) - 1));
                acc >>= bw;
                bits -= bw;
                if (got < n) out[got++] = v;
            }
        } else {
            size_t count = (size_t)(h >> 1);
            uint32_t v = 0;
            for (int i = 0; i < (bw + 7) / 8; i++) v |= (uint32_t)p[pos++] << (8 * i);
            for (size_t i = 0; i < count && got < n; i++) out[got++] = v;
        }
    }
    cr_assert_eq(pos, len, "trailing bytes: %zu of %zu used", pos, len);
}

Test(rle, random_round_trips_every_width)
{
    srand(7);
    uint32_t v[3000], back[3000];
    for (int bw = 1; bw <= 32; bw++) {
        for (int round = 0; round < 6; round++) {
            size_t n = (size_t)(rand() % 3000) + 1;
            uint64_t maxv = bw == 32 ? 0xffffffffULL : (1ULL << bw) - 1;
            for (size_t i = 0; i < n; i++) {
                if (round % 2 && i > 0 && rand() % 3) v[i] = v[i - 1];   /* runs */
                else v[i] = (uint32_t)(((uint64_t)rand() * 2654435761ULL) & maxv);
            }
            sl_buf b = {0};
            sl_pq_rle_encode_u32(&b, v, n, bw);
            rle_decode(b.data, b.len, bw, back, n);
            cr_assert_eq(memcmp(v, back, n * 4), 0, "bw %d round %d", bw, round);
            sl_buf_free(&b);
        }
    }
}

/* ---------- a small thrift decoder and footer walker ---------- */

typedef struct tnode {
    int type;
    int id;
    int64_t i;
    double d;
    const uint8_t *bin;
    size_t len;
    int elem;
    struct tnode *kids;
    int nkids;
} tnode;

typedef struct treader {
    const uint8_t *p;
    size_t len, pos;
} treader;

static uint64_t tr_varint(treader *r)
{
    uint64_t v = 0;
    int shift = 0;
    for (;;) {
        cr_assert_lt(r->pos, r->len, "thrift: truncated");
        uint8_t b = r->p[r->pos++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
        shift += 7;
    }
}

static int64_t tr_zz(treader *r)
{
    uint64_t u = tr_varint(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static void tr_value(treader *r, tnode *n);

static void tr_add(tnode *parent, tnode *kid)
{
    parent->kids = realloc(parent->kids, (size_t)(parent->nkids + 1) * sizeof *kid);
    parent->kids[parent->nkids++] = *kid;
}

static void tr_struct(treader *r, tnode *n)
{
    n->type = SL_TC_STRUCT;
    int last = 0;
    for (;;) {
        uint8_t h = r->p[r->pos++];
        if (h == 0) return;
        tnode k = {0};
        int delta = h >> 4;
        k.type = h & 15;
        k.id = delta ? last + delta : (int)tr_zz(r);
        last = k.id;
        if (k.type == SL_TC_TRUE || k.type == SL_TC_FALSE) k.i = k.type == SL_TC_TRUE;
        else tr_value(r, &k);
        tr_add(n, &k);
    }
}

static void tr_value(treader *r, tnode *n)
{
    switch (n->type) {
    case SL_TC_I8: n->i = (int8_t)r->p[r->pos++]; break;
    case SL_TC_I16: case SL_TC_I32: case SL_TC_I64: n->i = tr_zz(r); break;
    case SL_TC_DOUBLE: memcpy(&n->d, r->p + r->pos, 8); r->pos += 8; break;
    case SL_TC_BINARY:
        n->len = (size_t)tr_varint(r);
        n->bin = r->p + r->pos;
        r->pos += n->len;
        cr_assert_leq(r->pos, r->len);
        break;
    case SL_TC_LIST: {
        uint8_t h = r->p[r->pos++];
        size_t count = h >> 4;
        n->elem = h & 15;
        if (count == 15) count = (size_t)tr_varint(r);
        for (size_t i = 0; i < count; i++) {
            tnode k = {0};
            k.type = n->elem;
            if (k.type == SL_TC_TRUE || k.type == SL_TC_FALSE) k.i = r->p[r->pos++] == 1;
            else tr_value(r, &k);
            tr_add(n, &k);
        }
        break;
    }
    case SL_TC_STRUCT: tr_struct(r, n); break;
    default: cr_assert_fail("thrift: unexpected type %d", n->type);
    }
}

static void tfree(tnode *n)
{
    for (int i = 0; i < n->nkids; i++) tfree(&n->kids[i]);
    free(n->kids);
}

static tnode *tf(tnode *s, int id)
{
    for (int i = 0; s && i < s->nkids; i++)
        if (s->kids[i].id == id) return &s->kids[i];
    return NULL;
}

static int64_t tfi(tnode *s, int id)
{
    tnode *k = tf(s, id);
    cr_assert_not_null(k, "missing field %d", id);
    return k->i;
}

/* Parses one thrift struct at p; returns its length. */
static size_t tparse(const uint8_t *p, size_t len, tnode *out)
{
    treader r = { p, len, 0 };
    memset(out, 0, sizeof *out);
    tr_struct(&r, out);
    return r.pos;
}

typedef struct pqfile {
    const uint8_t *data;
    size_t len;
    tnode meta;
} pqfile;

static void decompress(int codec, const uint8_t *src, size_t n, uint8_t *dst, size_t want)
{
    switch (codec) {
    case SL_PQ_UNCOMPRESSED:
        cr_assert_eq(n, want);
        memcpy(dst, src, n);
        break;
    case SL_PQ_SNAPPY: {
        size_t out = want;
        cr_assert_eq(snappy_uncompress((const char *)src, n, (char *)dst, &out), SNAPPY_OK);
        cr_assert_eq(out, want);
        break;
    }
    case SL_PQ_GZIP: {
        z_stream z = {0};
        cr_assert_eq(inflateInit2(&z, 31), Z_OK);
        z.next_in = (Bytef *)src;
        z.avail_in = (uInt)n;
        z.next_out = dst;
        z.avail_out = (uInt)want;
        cr_assert_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
        cr_assert_eq(z.total_out, want);
        inflateEnd(&z);
        break;
    }
    case SL_PQ_ZSTD: {
        size_t out = ZSTD_decompress(dst, want, src, n);
        cr_assert(!ZSTD_isError(out));
        cr_assert_eq(out, want);
        break;
    }
    case SL_PQ_LZ4_RAW: {
        int out = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)want);
        cr_assert_eq(out, (int)want);
        break;
    }
    default: cr_assert_fail("codec %d", codec);
    }
}

/* Walks the whole file and checks every structural invariant; returns the
 * parsed footer in f->meta. */
static void walk(pqfile *f)
{
    cr_assert_geq(f->len, 12);
    cr_assert_eq(memcmp(f->data, "PAR1", 4), 0);
    cr_assert_eq(memcmp(f->data + f->len - 4, "PAR1", 4), 0);
    uint32_t mlen;
    memcpy(&mlen, f->data + f->len - 8, 4);
    cr_assert_leq((size_t)mlen + 12, f->len);
    size_t used = tparse(f->data + f->len - 8 - mlen, mlen, &f->meta);
    cr_assert_eq(used, mlen, "footer length");
    tnode *m = &f->meta;
    cr_assert_eq(tfi(m, 1), 1);
    tnode *schema = tf(m, 2);
    int ncols = (int)tfi(&schema->kids[0], 5);
    cr_assert_eq(schema->nkids, ncols + 1);
    cr_assert_not_null(tf(m, 6), "created_by");
    tnode *orders = tf(m, 7);
    cr_assert_not_null(orders, "column_orders");
    cr_assert_eq(orders->nkids, ncols);
    for (int i = 0; i < ncols; i++) cr_assert_not_null(tf(&orders->kids[i], 1), "TYPE_ORDER");
    tnode *rgs = tf(m, 4);
    int64_t rows = 0;
    size_t expect_offset = 4;
    for (int g = 0; g < rgs->nkids; g++) {
        tnode *rg = &rgs->kids[g];
        tnode *cols = tf(rg, 1);
        cr_assert_eq(cols->nkids, ncols);
        int64_t rg_rows = tfi(rg, 3), sum_unc = 0, sum_comp = 0;
        cr_assert_eq(tfi(rg, 7), g, "ordinal");
        for (int c = 0; c < ncols; c++) {
            tnode *cc = &cols->kids[c];
            cr_assert_eq(tfi(cc, 2), 0, "ColumnChunk.file_offset");
            tnode *md = tf(cc, 3);
            tnode *el = &schema->kids[c + 1];
            cr_assert_eq(tfi(md, 1), tfi(el, 1), "physical type");
            tnode *path = tf(md, 3);
            cr_assert_eq(path->nkids, 1);
            cr_assert_eq(path->kids[0].len, tf(el, 4)->len);
            cr_assert_eq(memcmp(path->kids[0].bin, tf(el, 4)->bin, path->kids[0].len), 0);
            int codec = (int)tfi(md, 4);
            int64_t num_values = tfi(md, 5), tot_unc = tfi(md, 6), tot_comp = tfi(md, 7);
            int64_t data_off = tfi(md, 9);
            tnode *dict_off_n = tf(md, 11);
            int64_t start = dict_off_n ? dict_off_n->i : data_off;
            cr_assert_eq((size_t)start, expect_offset, "chunk starts right after the previous one");
            if (c == 0) cr_assert_eq(tfi(rg, 5), start, "RowGroup.file_offset");
            bool optional = tfi(el, 3) == SL_PQ_OPTIONAL;
            int64_t pos = start, unc = 0, comp = 0, values = 0, nulls = 0;
            bool seen_data = false;
            int npages = 0;
            while (pos < start + tot_comp) {
                tnode ph;
                size_t hl = tparse(f->data + pos, f->len - (size_t)pos, &ph);
                int type = (int)tfi(&ph, 1);
                int64_t pu = tfi(&ph, 2), pc = tfi(&ph, 3);
                const uint8_t *payload = f->data + pos + hl;
                tnode *crc = tf(&ph, 4);
                if (crc) cr_assert_eq((uint32_t)crc->i, (uint32_t)crc32(0, payload, (uInt)pc), "page CRC");
                uint8_t *raw = malloc((size_t)pu + 1);
                decompress(codec, payload, (size_t)pc, raw, (size_t)pu);
                if (type == SL_PQ_DICTIONARY_PAGE) {
                    cr_assert(!seen_data && npages == 0, "dictionary page first");
                    cr_assert_eq(pos, dict_off_n->i);
                    cr_assert_eq(tfi(tf(&ph, 7), 2), SL_PQ_ENC_PLAIN);
                } else {
                    cr_assert_eq(type, SL_PQ_DATA_PAGE);
                    if (!seen_data) cr_assert_eq(pos, data_off, "data_page_offset");
                    seen_data = true;
                    tnode *dh = tf(&ph, 5);
                    int64_t nv = tfi(dh, 1);
                    int enc = (int)tfi(dh, 2);
                    values += nv;
                    size_t vpos = 0;
                    if (optional) {
                        uint32_t ll;
                        memcpy(&ll, raw, 4);
                        cr_assert_leq(ll + 4, (uint32_t)pu);
                        uint32_t *lv = malloc((size_t)nv * 4 + 4);
                        rle_decode(raw + 4, ll, 1, lv, (size_t)nv);
                        for (int64_t i = 0; i < nv; i++) nulls += lv[i] == 0;
                        free(lv);
                        vpos = 4 + ll;
                    }
                    if (enc == SL_PQ_ENC_RLE_DICTIONARY) {
                        cr_assert(dict_off_n, "dictionary-encoded page without a dictionary");
                        int bw = raw[vpos];
                        cr_assert(bw >= 1 && bw <= 32, "bit width %d", bw);
                    } else if (enc == SL_PQ_ENC_DELTA_BINARY_PACKED) {
                        cr_assert_eq(tfi(el, 1), SL_PQ_INT64, "DELTA_BINARY_PACKED pages only for INT64");
                    } else {
                        cr_assert_eq(enc, SL_PQ_ENC_PLAIN);
                    }
                }
                free(raw);
                unc += (int64_t)hl + pu;
                comp += (int64_t)hl + pc;
                pos += (int64_t)hl + pc;
                npages++;
                tfree(&ph);
            }
            cr_assert_eq(pos, start + tot_comp, "pages end at the chunk's end");
            cr_assert_eq(unc, tot_unc, "total_uncompressed_size includes every header");
            cr_assert_eq(comp, tot_comp, "total_compressed_size includes every header");
            cr_assert_eq(values, num_values);
            cr_assert_eq(num_values, rg_rows);
            tnode *st = tf(md, 12);
            cr_assert_eq(tfi(st, 3), nulls, "null_count");
            sum_unc += tot_unc;
            sum_comp += tot_comp;
            expect_offset = (size_t)(start + tot_comp);
        }
        cr_assert_eq(tfi(rg, 2), sum_unc, "RowGroup.total_byte_size");
        cr_assert_eq(tfi(rg, 6), sum_comp, "RowGroup.total_compressed_size");
        rows += rg_rows;
    }
    cr_assert_eq(tfi(m, 3), rows, "num_rows");
    cr_assert_eq(expect_offset, f->len - 8 - mlen, "footer follows the last chunk");
}

/* ---------- writing test files ---------- */

static const sl_type all_types[] = {
    { SL_T_BOOL, 0, 0, 0, 0 },   { SL_T_INT16, 0, 0, 0, 0 },   { SL_T_INT32, 0, 0, 0, 0 },    { SL_T_INT64, 0, 0, 0, 0 },
    { SL_T_FLOAT32, 0, 0, 0, 0 }, { SL_T_FLOAT64, 0, 0, 0, 0 }, { SL_T_DECIMAL, 9, 2, 0, 0 },  { SL_T_DECIMAL, 18, 3, 0, 0 },
    { SL_T_DECIMAL, 25, 5, 0, 0 }, { SL_T_DECIMAL, 38, 0, 0, 0 }, { SL_T_STRING, 0, 0, 0, 0 }, { SL_T_BYTES, 0, 0, 0, 0 },
    { SL_T_DATE, 0, 0, 0, 0 },   { SL_T_TIME, 0, 0, 0, 0 },    { SL_T_TIMESTAMP, 0, 0, 0, 0 }, { SL_T_TIMESTAMP, 0, 0, 1, 0 },
    { SL_T_UUID, 0, 0, 0, 0 },   { SL_T_JSON, 0, 0, 0, 0 },
};
#define NTYPES (int)(sizeof all_types / sizeof all_types[0])

/* Fills row r of v with a value derived from `seed` (low cardinality when
 * seed is small), or NULL when null. */
static void fill(sl_vector *v, size_t r, uint64_t seed, bool null)
{
    if (null) { sl_vec_set_null(v, r); return; }
    if (sl_type_is_varlen(v->type)) {
        char t[64];
        int n = v->type.id == SL_T_JSON ? sprintf(t, "{\"a\":%llu}", (unsigned long long)seed)
                                        : sprintf(t, "s%llu", (unsigned long long)seed);
        sl_vec_set_bytes(v, r, t, (size_t)n);
        return;
    }
    void *p = sl_vec_slot(v, r);
    int64_t x = (int64_t)seed - 50;
    switch (v->type.id) {
    case SL_T_BOOL: *(uint8_t *)p = seed & 1; break;
    case SL_T_INT16: *(int16_t *)p = (int16_t)x; break;
    case SL_T_INT32: case SL_T_DATE: *(int32_t *)p = (int32_t)x; break;
    case SL_T_FLOAT32: *(float *)p = (float)x / 3; break;
    case SL_T_FLOAT64: *(double *)p = (double)x / 3; break;
    case SL_T_DECIMAL:
        if (v->type.precision > 18) *(sl_i128 *)p = (sl_i128)x * 1000000000000LL;
        else *(int64_t *)p = x;
        break;
    case SL_T_UUID: memset(p, 0, 16); memcpy(p, &seed, 8); break;
    default: *(int64_t *)p = x * 1000; break;
    }
}

static sl_schema *schema_all(bool nullable)
{
    sl_schema *s = sl_schema_new(NTYPES);
    for (int i = 0; i < NTYPES; i++) {
        char name[16];
        sprintf(name, "c%d", i);
        sl_schema_set(s, i, name, all_types[i], nullable);
    }
    return s;
}

/* Writes `rows` rows (value seeds i % card) to memory; walks the result. */
static void write_and_walk(sl_schema *s, const sl_pq_writer_opts *o, size_t rows, uint64_t card, int null_every,
                           sl_buf *file, pqfile *f)
{
    sl_err err = SL_ERR_INIT;
    sl_out *out = sl_out_open_buf(file);
    sl_pq_writer *w = sl_pq_writer_open(out, s, o, &err);
    cr_assert_not_null(w, "%s", err.msg);
    sl_batch *b = sl_batch_new(s, 1000);
    for (size_t row = 0; row < rows;) {
        sl_batch_reset(b);
        size_t n = 0;
        for (; n < 1000 && row < rows; n++, row++)
            for (int c = 0; c < s->ncols; c++)
                fill(&b->cols[c], n, (row * 2654435761u + (size_t)c) % card,
                     s->fields[c].nullable && null_every && row % (size_t)null_every == 0);
        b->nrows = n;
        cr_assert_eq(sl_pq_writer_write(w, b, &err), 0, "%s", err.msg);
    }
    cr_assert_eq(sl_pq_writer_close(w, &err), 0, "%s", err.msg);
    sl_pq_writer_free(w);
    cr_assert_eq(sl_out_close(out, false, &err), 0);
    sl_batch_free(b);
    f->data = file->data;
    f->len = file->len;
    walk(f);
}

Test(file, every_type_nullability_codec_dictionary)
{
    static const int codecs[] = { SL_PQ_UNCOMPRESSED, SL_PQ_SNAPPY, SL_PQ_GZIP, SL_PQ_ZSTD, SL_PQ_LZ4_RAW };
    for (int nul = 0; nul < 2; nul++) {
        sl_schema *s = schema_all(nul);
        for (int ci = 0; ci < 5; ci++)
            for (int dict = 0; dict < 2; dict++) {
                sl_pq_writer_opts o;
                sl_pq_writer_opts_default(&o);
                o.codec = codecs[ci];
                o.dictionary = dict;
                o.page_rows = 900;
                o.row_group_rows = 2500;
                o.page_crc = ci % 2;
                sl_buf file = {0};
                pqfile f;
                write_and_walk(s, &o, 6000, 40, 3, &file, &f);
                tnode *rgs = tf(&f.meta, 4);
                cr_assert_eq(rgs->nkids, 3);
                /* The converted type and logical type of a few columns. */
                tnode *schema = tf(&f.meta, 2);
                cr_assert_eq(tfi(&schema->kids[2], 6), SL_PQ_CT_INT_16);
                cr_assert_not_null(tf(tf(&schema->kids[2], 10), SL_PQ_LT_INTEGER));
                cr_assert_eq(tfi(&schema->kids[10], 1), SL_PQ_FIXED_LEN_BYTE_ARRAY);
                cr_assert_eq(tfi(&schema->kids[10], 2), 16, "decimal(38) takes 16 bytes");
                cr_assert_eq(tfi(&schema->kids[9], 2), 11, "decimal(25) takes 11 bytes");
                cr_assert_eq(tfi(&schema->kids[17], 2), 16, "uuid");
                cr_assert_null(tf(&schema->kids[17], 6), "uuid has no converted type");
                cr_assert_eq(tfi(&schema->kids[18], 6), SL_PQ_CT_JSON);
                cr_assert_null(tf(&schema->kids[12], 6), "bytes are unannotated");
                tnode *ts = tf(tf(&schema->kids[16], 10), SL_PQ_LT_TIMESTAMP);
                cr_assert_eq(tfi(ts, 1), 1, "timestamptz is adjusted to UTC");
                cr_assert_eq(tfi(tf(tf(&schema->kids[15], 10), SL_PQ_LT_TIMESTAMP), 1), 0);
                cr_assert_eq(tfi(&schema->kids[1], 3), nul ? SL_PQ_OPTIONAL : SL_PQ_REQUIRED);
                /* dictionary used exactly when asked for (not for booleans) */
                tnode *md = tf(&tf(&rgs->kids[0], 1)->kids[3], 3);
                cr_assert_eq(tf(md, 11) != NULL, dict == 1);
                md = tf(&tf(&rgs->kids[0], 1)->kids[0], 3);
                cr_assert_null(tf(md, 11), "no dictionary for BOOLEAN");
                tfree(&f.meta);
                sl_buf_free(&file);
            }
        sl_schema_free(s);
    }
}

typedef void (*setter)(sl_vector *v, size_t row);
static void one_column(sl_type t, bool nullable, size_t rows, setter set, const sl_pq_writer_opts *opts, sl_buf *file,
                       pqfile *f);

static tnode *chunk_meta(pqfile *f, int rg, int col)
{
    return tf(&tf(&tf(&f->meta, 4)->kids[rg], 1)->kids[col], 3);
}

static void set_fallback_strings(sl_vector *v, size_t r)
{
    char t[64];
    if (r % 11 == 0) { sl_vec_set_null(v, r); return; }
    int n = r < 1000 ? sprintf(t, "v%zu", r % 20) : sprintf(t, "distinct-%08zu-some-padding-text", r);
    sl_vec_set_bytes(v, r, t, (size_t)n);
}

Test(file, dictionary_falls_back_to_plain_at_its_limit)
{
    sl_pq_writer_opts o;
    sl_pq_writer_opts_default(&o);
    o.dict_max_bytes = 16 * 1024;
    o.page_rows = 200;
    sl_buf file = {0};
    pqfile f;
    /* repetitive first pages keep the dictionary; distinct values then overflow it */
    one_column((sl_type){ .id = SL_T_STRING }, true, 20000, set_fallback_strings, &o, &file, &f);
    tnode *md = chunk_meta(&f, 0, 0);
    cr_assert_not_null(tf(md, 11), "a dictionary page");
    tnode *es = tf(md, 13);
    bool dict_pages = false, plain_pages = false;
    for (int i = 0; i < es->nkids; i++) {
        if (tfi(&es->kids[i], 1) == SL_PQ_DATA_PAGE && tfi(&es->kids[i], 2) == SL_PQ_ENC_RLE_DICTIONARY) dict_pages = true;
        if (tfi(&es->kids[i], 1) == SL_PQ_DATA_PAGE && tfi(&es->kids[i], 2) == SL_PQ_ENC_PLAIN) plain_pages = true;
    }
    cr_assert(dict_pages && plain_pages, "mixed dictionary and plain pages in one chunk");
    tnode *encs = tf(md, 2);
    cr_assert_eq(encs->nkids, 3);
    tfree(&f.meta);
    sl_buf_free(&file);
}

static void set_distinct(sl_vector *v, size_t r)
{
    *(int64_t *)sl_vec_slot(v, r) = (int64_t)r * 7919;
}

Test(file, distinct_values_drop_the_dictionary)
{
    sl_buf file = {0};
    pqfile f;
    one_column((sl_type){ .id = SL_T_INT64 }, false, 50000, set_distinct, NULL, &file, &f);
    cr_assert_null(tf(chunk_meta(&f, 0, 0), 11), "no dictionary for distinct values");
    tfree(&f.meta);
    sl_buf_free(&file);
}

Test(file, all_null_empty_and_one_row)
{
    sl_schema *s = schema_all(true);
    sl_pq_writer_opts o;
    sl_pq_writer_opts_default(&o);
    sl_buf file = {0};
    pqfile f;
    write_and_walk(s, &o, 3000, 10, 1, &file, &f);   /* every row null */
    for (int c = 0; c < NTYPES; c++) {
        tnode *st = tf(chunk_meta(&f, 0, c), 12);
        cr_assert_eq(tfi(st, 3), 3000);
        cr_assert_null(tf(st, 5), "no max for an all-null chunk");
        cr_assert_null(tf(st, 6));
    }
    tfree(&f.meta);
    sl_buf_free(&file);

    write_and_walk(s, &o, 0, 10, 0, &file, &f);
    cr_assert_eq(tfi(&f.meta, 3), 0);
    cr_assert_eq(tf(&f.meta, 4)->nkids, 0);
    tfree(&f.meta);
    sl_buf_free(&file);

    write_and_walk(s, &o, 1, 10, 0, &file, &f);
    cr_assert_eq(tfi(&f.meta, 3), 1);
    tnode *st = tf(chunk_meta(&f, 0, 3), 12);   /* int64 */
    cr_assert_eq(tf(st, 5)->len, 8);
    cr_assert_eq(memcmp(tf(st, 5)->bin, tf(st, 6)->bin, 8), 0, "one row: min == max");
    tfree(&f.meta);
    sl_buf_free(&file);
    sl_schema_free(s);
}

/* Writes the rows given by set(v, row) for a one-column schema and walks the file. */

static void one_column(sl_type t, bool nullable, size_t rows, setter set, const sl_pq_writer_opts *opts, sl_buf *file,
                       pqfile *f)
{
    sl_schema *s = sl_schema_new(1);
    sl_schema_set(s, 0, "x", t, nullable);
    sl_pq_writer_opts o;
    if (opts) o = *opts;
    else sl_pq_writer_opts_default(&o);
    sl_err err = SL_ERR_INIT;
    sl_out *out = sl_out_open_buf(file);
    sl_pq_writer *w = sl_pq_writer_open(out, s, &o, &err);
    cr_assert_not_null(w, "%s", err.msg);
    sl_batch *b = sl_batch_new(s, rows ? rows : 1);
    for (size_t r = 0; r < rows; r++) set(&b->cols[0], r);
    b->nrows = rows;
    cr_assert_eq(sl_pq_writer_write(w, b, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_pq_writer_close(w, &err), 0, "%s", err.msg);
    sl_pq_writer_free(w);
    sl_out_close(out, false, &err);
    sl_batch_free(b);
    sl_schema_free(s);
    f->data = file->data;
    f->len = file->len;
    walk(f);
}

static void stat_bytes(pqfile *f, int id, const void *want, size_t n)
{
    tnode *st = tf(chunk_meta(f, 0, 0), 12);
    tnode *k = tf(st, id);
    cr_assert_not_null(k, "statistics field %d", id);
    cr_assert_eq(k->len, n, "statistics field %d: %zu bytes, want %zu", id, k->len, n);
    cr_assert_eq(memcmp(k->bin, want, n), 0, "statistics field %d bytes", id);
}

static void set_i64_extremes(sl_vector *v, size_t r)
{
    const int64_t ex[] = { 5, INT64_MAX, -1, INT64_MIN, 0 };
    *(int64_t *)sl_vec_slot(v, r) = ex[r % 5];
}

static void set_dec38_extremes(sl_vector *v, size_t r)
{
    sl_i128 lim = 1;
    for (int i = 0; i < 38; i++) lim *= 10;
    lim -= 1;
    const sl_i128 ex[] = { 0, lim, -lim, 1, -1 };
    *(sl_i128 *)sl_vec_slot(v, r) = ex[r % 5];
}

static void set_floats(sl_vector *v, size_t r)
{
    const double ex[] = { 3.0, 0.0, 7.5, -0.0, 1.0 };
    *(double *)sl_vec_slot(v, r) = ex[r % 5];
}

static void set_neg_floats(sl_vector *v, size_t r)
{
    const float ex[] = { -0.0f, -3.0f, 0.0f, -1.0f, -INFINITY };
    *(float *)sl_vec_slot(v, r) = ex[r % 5];
}

/* Rows 0..99: numbers 0..99 and a NaN at row 50; 100..199: numbers only;
 * 200..299: all NaN; 300..399: NULL and NaN. */
static void set_nan_groups(sl_vector *v, size_t r)
{
    double x = r < 200 ? (double)r : NAN;
    if (r == 50) x = NAN;
    if (r >= 300 && r % 2) { sl_vec_set_null(v, r); return; }
    if (v->type.id == SL_T_FLOAT32) *(float *)sl_vec_slot(v, r) = (float)x;
    else *(double *)sl_vec_slot(v, r) = x;
}

/* Item 13: a chunk that holds NaN has no min/max (DuckDB's writer does the
 * same), so no reader prunes it away for `f > k`; other chunks keep theirs. */
Test(stats, item13_nan_chunk_has_no_min_max)
{
    sl_pq_writer_opts o;
    sl_pq_writer_opts_default(&o);
    o.row_group_rows = 100;
    for (int single = 0; single < 2; single++) {
        sl_buf file = {0};
        pqfile f;
        one_column((sl_type){ .id = single ? SL_T_FLOAT32 : SL_T_FLOAT64 }, true, 400, set_nan_groups, &o, &file, &f);
        cr_assert_eq(tf(&f.meta, 4)->nkids, 4);
        for (int rg = 0; rg < 4; rg++) {
            tnode *st = tf(chunk_meta(&f, rg, 0), 12);
            cr_assert_not_null(st, "row group %d: statistics", rg);
            cr_assert_eq(tfi(st, 3), rg == 3 ? 50 : 0, "row group %d: null_count", rg);
            bool want = rg == 1;
            for (int id = 1; id <= 6; id++) {
                if (id == 3 || id == 4) continue;
                cr_assert_eq(tf(st, id) != NULL, want, "row group %d: field %d %s", rg, id, want ? "missing" : "written");
            }
        }
        tnode *st = tf(chunk_meta(&f, 1, 0), 12);
        if (single) {
            float mn = 100, mx = 199;
            cr_assert_eq(memcmp(tf(st, 6)->bin, &mn, 4), 0);
            cr_assert_eq(memcmp(tf(st, 5)->bin, &mx, 4), 0);
        } else {
            double mn = 100, mx = 199;
            cr_assert_eq(memcmp(tf(st, 6)->bin, &mn, 8), 0);
            cr_assert_eq(memcmp(tf(st, 5)->bin, &mx, 8), 0);
        }
        tfree(&f.meta);
        sl_buf_free(&file);
    }
}

static void set_strings(sl_vector *v, size_t r)
{
    const char *ex[] = { "b", "\xc3\xa9", "", "a", "B" };   /* unsigned order: "" < B < a < b < é */
    sl_vec_set_bytes(v, r, ex[r % 5], strlen(ex[r % 5]));
}

static void set_uuids(sl_vector *v, size_t r)
{
    uint8_t *u = sl_vec_slot(v, r);
    memset(u, r % 3 == 0 ? 0x80 : r % 3 == 1 ? 0x7f : 0x01, 16);
}

static void set_far_timestamps(sl_vector *v, size_t r)
{
    const int64_t ex[] = { -62135596800000000LL, 253402300799999999LL, 0, 1 };   /* years 1 and 9999 */
    *(int64_t *)sl_vec_slot(v, r) = ex[r % 4];
}

Test(stats, sort_orders_and_extremes)
{
    sl_buf file = {0};
    pqfile f;
    int64_t mn = INT64_MIN, mx = INT64_MAX;
    one_column((sl_type){ .id = SL_T_INT64 }, false, 10, set_i64_extremes, NULL, &file, &f);
    stat_bytes(&f, 6, &mn, 8);
    stat_bytes(&f, 5, &mx, 8);
    stat_bytes(&f, 2, &mn, 8);   /* deprecated min/max too: signed order */
    stat_bytes(&f, 1, &mx, 8);
    tfree(&f.meta); sl_buf_free(&file);

    one_column((sl_type){ .id = SL_T_DECIMAL, .precision = 38, .scale = 0 }, true, 10, set_dec38_extremes, NULL, &file, &f);
    const uint8_t dmax[16] = { 0x4b, 0x3b, 0x4c, 0xa8, 0x5a, 0x86, 0xc4, 0x7a, 0x09, 0x8a, 0x22, 0x3f, 0xff, 0xff, 0xff, 0xff };
    const uint8_t dmin[16] = { 0xb4, 0xc4, 0xb3, 0x57, 0xa5, 0x79, 0x3b, 0x85, 0xf6, 0x75, 0xdd, 0xc0, 0x00, 0x00, 0x00, 0x01 };
    stat_bytes(&f, 5, dmax, 16);
    stat_bytes(&f, 6, dmin, 16);
    cr_assert_null(tf(tf(chunk_meta(&f, 0, 0), 12), 1), "no deprecated max for FLBA");
    tfree(&f.meta); sl_buf_free(&file);

    one_column((sl_type){ .id = SL_T_FLOAT64 }, false, 10, set_floats, NULL, &file, &f);
    double dz = -0.0, d75 = 7.5;
    stat_bytes(&f, 6, &dz, 8);       /* zero min is -0.0 */
    stat_bytes(&f, 5, &d75, 8);
    tfree(&f.meta); sl_buf_free(&file);

    one_column((sl_type){ .id = SL_T_FLOAT32 }, false, 10, set_neg_floats, NULL, &file, &f);
    float fz = 0.0f, fninf = -INFINITY;
    stat_bytes(&f, 5, &fz, 4);       /* zero max is +0.0 */
    stat_bytes(&f, 6, &fninf, 4);
    tfree(&f.meta); sl_buf_free(&file);

    one_column((sl_type){ .id = SL_T_STRING }, false, 10, set_strings, NULL, &file, &f);
    stat_bytes(&f, 6, "", 0);
    stat_bytes(&f, 5, "\xc3\xa9", 2);
    cr_assert_null(tf(tf(chunk_meta(&f, 0, 0), 12), 1), "no deprecated max for strings");
    tfree(&f.meta); sl_buf_free(&file);

    one_column((sl_type){ .id = SL_T_UUID }, false, 9, set_uuids, NULL, &file, &f);
    uint8_t u1[16], u8[16];
    memset(u1, 0x01, 16);
    memset(u8, 0x80, 16);
    stat_bytes(&f, 6, u1, 16);
    stat_bytes(&f, 5, u8, 16);       /* unsigned: 0x80 > 0x7f */
    tfree(&f.meta); sl_buf_free(&file);

    one_column((sl_type){ .id = SL_T_TIMESTAMP, .utc = true }, false, 8, set_far_timestamps, NULL, &file, &f);
    int64_t tmin = -62135596800000000LL, tmax = 253402300799999999LL;
    stat_bytes(&f, 6, &tmin, 8);
    stat_bytes(&f, 5, &tmax, 8);
    tfree(&f.meta); sl_buf_free(&file);
}

static uint8_t *big_text;
#define BIG_LEN (5u << 20)

static void set_big_strings(sl_vector *v, size_t r)
{
    if (r % 3 == 0) sl_vec_set_bytes(v, r, "", 0);
    else if (r % 3 == 1) sl_vec_set_bytes(v, r, big_text, BIG_LEN - r);
    else sl_vec_set_null(v, r);
}

Test(file, zero_byte_and_multi_megabyte_strings)
{
    big_text = malloc(BIG_LEN);
    for (size_t i = 0; i < BIG_LEN; i++) big_text[i] = (uint8_t)('a' + i % 26);
    for (int dict = 0; dict < 2; dict++) {
        sl_pq_writer_opts o;
        sl_pq_writer_opts_default(&o);
        o.dictionary = dict;
        o.codec = SL_PQ_LZ4_RAW;
        sl_buf file = {0};
        pqfile f;
        one_column((sl_type){ .id = SL_T_STRING }, true, 9, set_big_strings, &o, &file, &f);
        tnode *st = tf(chunk_meta(&f, 0, 0), 12);
        cr_assert_eq(tfi(st, 3), 3);
        cr_assert_eq(tf(st, 6)->len, 0, "min is the empty string");
        cr_assert_eq(tfi(st, 8), 1, "empty min is exact");
        tnode *max = tf(st, 5);
        cr_assert_leq(max->len, 1024, "long max truncated");
        cr_assert_eq(tfi(st, 7), 0, "truncated max is not exact");
        cr_assert_gt(memcmp(max->bin, big_text, max->len), 0, "truncated max rounds up");
        tfree(&f.meta);
        sl_buf_free(&file);
    }
    free(big_text);
}

static void set_null_row(sl_vector *v, size_t r)
{
    if (r == 3) sl_vec_set_null(v, r);
    else *(int32_t *)sl_vec_slot(v, r) = (int32_t)r;
}

static void set_big_decimal(sl_vector *v, size_t r)
{
    *(int64_t *)sl_vec_slot(v, r) = r == 2 ? 1000 : 999;   /* 1000 does not fit DECIMAL(3,0) */
}

Test(errors, null_in_required_decimal_overflow_bad_codec)
{
    sl_err err = SL_ERR_INIT;
    sl_buf file = {0};
    sl_schema *s = sl_schema_new(1);
    sl_schema_set(s, 0, "x", (sl_type){ .id = SL_T_INT32 }, false);
    sl_out *out = sl_out_open_buf(&file);
    sl_pq_writer *w = sl_pq_writer_open(out, s, NULL, &err);
    sl_batch *b = sl_batch_new(s, 8);
    for (size_t r = 0; r < 8; r++) set_null_row(&b->cols[0], r);
    b->nrows = 8;
    cr_assert_eq(sl_pq_writer_write(w, b, &err), -1);
    cr_assert(strstr(err.msg, "row 3") && strstr(err.msg, "NOT NULL"), "%s", err.msg);
    sl_err again = SL_ERR_INIT;
    cr_assert_eq(sl_pq_writer_close(w, &again), -1, "errors are sticky");
    sl_pq_writer_free(w);
    sl_batch_free(b);
    sl_out_abort(out);
    sl_schema_free(s);

    s = sl_schema_new(1);
    sl_schema_set(s, 0, "amount", (sl_type){ .id = SL_T_DECIMAL, .precision = 3 }, true);
    sl_buf_clear(&file);
    out = sl_out_open_buf(&file);
    w = sl_pq_writer_open(out, s, NULL, &err);
    b = sl_batch_new(s, 4);
    for (size_t r = 0; r < 4; r++) set_big_decimal(&b->cols[0], r);
    b->nrows = 4;
    cr_assert_eq(sl_pq_writer_write(w, b, &err), -1);
    cr_assert(strstr(err.msg, "amount") && strstr(err.msg, "1000") && strstr(err.msg, "DECIMAL(3,0)"), "%s", err.msg);
    sl_pq_writer_free(w);
    sl_batch_free(b);
    sl_out_abort(out);

    sl_pq_writer_opts o;
    sl_pq_writer_opts_default(&o);
    o.codec = SL_PQ_LZ4;
    out = sl_out_open_buf(&file);
    cr_assert_null(sl_pq_writer_open(out, s, &o, &err), "codec 5 is never written");
    cr_assert(strstr(err.msg, "lz4_raw"), "%s", err.msg);
    sl_out_abort(out);
    sl_schema_free(s);
    sl_buf_free(&file);
}

Test(file, key_value_metadata_and_created_by)
{
    sl_schema *s = sl_schema_new(1);
    sl_schema_set(s, 0, "x", (sl_type){ .id = SL_T_BOOL }, true);
    sl_pq_kv kv[2] = { { "sluice.source", "postgres://db/orders" }, { "sluice.run", "42" } };
    sl_pq_writer_opts o;
    sl_pq_writer_opts_default(&o);
    o.kv = kv;
    o.nkv = 2;
    sl_err err = SL_ERR_INIT;
    sl_buf file = {0};
    sl_out *out = sl_out_open_buf(&file);
    sl_pq_writer *w = sl_pq_writer_open(out, s, &o, &err);
    cr_assert_eq(sl_pq_writer_close(w, &err), 0);
    sl_pq_writer_free(w);
    sl_out_close(out, false, &err);
    pqfile f = { file.data, file.len, { 0 } };
    walk(&f);
    tnode *kvs = tf(&f.meta, 5);
    cr_assert_eq(kvs->nkids, 2);
    cr_assert_eq(memcmp(tf(&kvs->kids[1], 2)->bin, "42", 2), 0);
    tnode *cb = tf(&f.meta, 6);
    cr_assert(cb->len > 15 && !memcmp(cb->bin, "sluice version ", 15));
    tfree(&f.meta);
    sl_buf_free(&file);
    sl_schema_free(s);
}

/* ---------- the sink ---------- */

#include "sinks/sl_sink.h"

#include <unistd.h>

Test(sink, writes_finishes_and_aborts)
{
    const sl_sink_ops *ops = sl_sink_lookup("parquet");
    cr_assert_not_null(ops);
    cr_assert_str_eq(ops->extension, "parquet");
    sl_schema *s = schema_all(true);
    sl_job_target target = { .name = "lake", .kind = "parquet", .compression = "snappy", .page_bytes = 4096 };
    sl_sink_kv meta[1] = { { "sluice.table", "orders" } };
    char path[] = "/tmp/sluice-test-pq-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    sl_err err = SL_ERR_INIT;
    sl_out *out = sl_out_open_file(path, &err);
    cr_assert_not_null(out, "%s", err.msg);
    void *w = ops->open(&target, s, out, meta, 1, &err);
    cr_assert_not_null(w, "%s", err.msg);
    sl_batch *b = sl_batch_new(s, 500);
    for (size_t r = 0; r < 500; r++)
        for (int c = 0; c < s->ncols; c++) fill(&b->cols[c], r, r % 17, r % 5 == 0);
    b->nrows = 500;
    cr_assert_eq(ops->write(w, b, &err), 0, "%s", err.msg);
    uint64_t rows = 0;
    cr_assert_eq(ops->finish(w, &rows, &err), 0, "%s", err.msg);
    cr_assert_eq(rows, 500);
    struct { uint64_t bytes; uint32_t crc32; } st = { sl_out_tell(out), out->crc };
    cr_assert_eq(sl_out_close(out, true, &err), 0, "%s", err.msg);
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp);
    sl_buf file = {0};
    sl_buf_reserve(&file, st.bytes);
    file.len = fread(file.data, 1, st.bytes + 1, fp);
    fclose(fp);
    cr_assert_eq(file.len, st.bytes);
    cr_assert_eq(st.crc32, (uint32_t)crc32(0, file.data, (uInt)file.len));
    pqfile f = { file.data, file.len, { 0 } };
    walk(&f);
    cr_assert_eq(tfi(chunk_meta(&f, 0, 3), 4), SL_PQ_SNAPPY);
    cr_assert_eq(memcmp(tf(&tf(&f.meta, 5)->kids[0], 1)->bin, "sluice.table", 12), 0);
    tfree(&f.meta);
    sl_buf_free(&file);

    /* abort frees the writer and leaves the output to its owner. */
    sl_buf mem = {0};
    out = sl_out_open_buf(&mem);
    w = ops->open(&target, s, out, NULL, 0, &err);
    cr_assert_not_null(w, "%s", err.msg);
    cr_assert_eq(ops->write(w, b, &err), 0);
    ops->abort(w);
    sl_out_abort(out);
    sl_buf_free(&mem);
    unlink(path);

    target.compression = "lzo";
    out = sl_out_open_buf(&mem);
    cr_assert_null(ops->open(&target, s, out, NULL, 0, &err));
    sl_out_abort(out);
    sl_buf_free(&mem);
    cr_assert(strstr(err.msg, "lzo"), "%s", err.msg);
    sl_batch_free(b);
    sl_schema_free(s);
}

Test(file, row_group_and_page_byte_limits)
{
    sl_schema *s = sl_schema_new(2);
    sl_schema_set(s, 0, "id", (sl_type){ .id = SL_T_INT64 }, false);
    sl_schema_set(s, 1, "s", (sl_type){ .id = SL_T_STRING }, true);
    sl_pq_writer_opts o;
    sl_pq_writer_opts_default(&o);
    o.row_group_bytes = 256 * 1024;
    o.page_bytes = 16 * 1024;
    o.dictionary = false;
    sl_buf file = {0};
    pqfile f;
    write_and_walk(s, &o, 50000, 1000000, 4, &file, &f);
    tnode *rgs = tf(&f.meta, 4);
    cr_assert_geq(rgs->nkids, 3, "row groups cut by bytes: %d", rgs->nkids);
    for (int g = 0; g < rgs->nkids - 1; g++)
        cr_assert_leq(tfi(&rgs->kids[g], 2), 2 * o.row_group_bytes, "row group %d of %lld bytes", g,
                      (long long)tfi(&rgs->kids[g], 2));
    /* pages near page_bytes: the string chunk has many pages */
    tnode *md = chunk_meta(&f, 0, 1);
    tnode *es = tf(md, 13);
    cr_assert_geq(tfi(&es->kids[0], 3), 4, "pages cut by bytes");
    tfree(&f.meta);
    sl_buf_free(&file);
    sl_schema_free(s);
}

/* sl_compressor_store: a zstd frame of raw blocks that libzstd decodes to
 * the input, at block edges (0, 1, 128 KiB, 128 KiB + 1, several blocks). */
Test(compress, zstd_store_frames_decode_to_the_input)
{
    static const size_t sizes[] = { 0, 1, 4095, 131072, 131073, 300000, 262144 };
    sl_err err = SL_ERR_INIT;
    sl_compressor *c = sl_compressor_new(SL_PQ_ZSTD, 0, &err);
    cr_assert_not_null(c, "%s", err.msg);
    uint8_t *src = malloc(300000), *back = malloc(300001);
    for (size_t i = 0; i < 300000; i++) src[i] = (uint8_t)(i * 2654435761u >> 13);
    sl_buf dst = { 0 };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        cr_assert_eq(sl_compressor_store(c, src, sizes[k], &dst, &err), 0, "%s", err.msg);
        cr_assert_eq(ZSTD_getFrameContentSize(dst.data, dst.len), (unsigned long long)sizes[k]);
        size_t got = ZSTD_decompress(back, 300001, dst.data, dst.len);
        cr_assert(!ZSTD_isError(got), "n=%zu: %s", sizes[k], ZSTD_getErrorName(got));
        cr_assert_eq(got, sizes[k]);
        cr_assert_eq(memcmp(back, src, got), 0);
        cr_assert_leq(dst.len, sizes[k] + 9 + 3 * (sizes[k] / 131072 + 1));
    }
    sl_buf_free(&dst);
    sl_compressor_free(c);
    free(src);
    free(back);
}
