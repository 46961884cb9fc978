/*
 * fuzz_pgcopy.c - libFuzzer target for the binary COPY decoder. The first
 * byte chooses how many columns of a fixed set (every wire kind, decimals of
 * several precisions) the stream has and the piece size; the rest is fed
 * through sl_pg_copy_decode() in pieces with a pending buffer, into small
 * batches, as the postgres source does. Must never crash or read out of
 * bounds; errors are fine. Every decoded batch also goes through the
 * encoder (sinks/sl_pg_encode.c): encoding, decoding that and encoding again
 * must give the same bytes (the two are inverses). Seeds:
 * fuzz/seeds/fuzz_pgcopy/.
 */
#include "core/sl_alloc.h"
#include "core/sl_buf.h"
#include "core/sl_log.h"
#include "sinks/sl_pg_encode.h"
#include "sources/sl_pg_copy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const sl_pg_copy_col cols[] = {
    { "i4", SL_PGW_INT4, { .id = SL_T_INT32 }, 0 },
    { "s", SL_PGW_TEXT, { .id = SL_T_STRING }, 0 },
    { "n", SL_PGW_NUMERIC, { .id = SL_T_DECIMAL, .precision = 12, .scale = 2 }, 0 },
    { "ts", SL_PGW_TIMESTAMP, { .id = SL_T_TIMESTAMP, .utc = true }, 0 },
    { "b", SL_PGW_BOOL, { .id = SL_T_BOOL }, 0 },
    { "i2", SL_PGW_INT2, { .id = SL_T_INT16 }, 0 },
    { "i8", SL_PGW_INT8, { .id = SL_T_INT64 }, 0 },
    { "f4", SL_PGW_FLOAT4, { .id = SL_T_FLOAT32 }, 0 },
    { "f8", SL_PGW_FLOAT8, { .id = SL_T_FLOAT64 }, 0 },
    { "big", SL_PGW_NUMERIC, { .id = SL_T_DECIMAL, .precision = 38, .scale = 18 }, 0 },
    { "jb", SL_PGW_JSONB, { .id = SL_T_JSON }, 0 },
    { "d", SL_PGW_DATE, { .id = SL_T_DATE }, 0 },
    { "t", SL_PGW_TIME, { .id = SL_T_TIME }, 0 },
    { "u", SL_PGW_UUID, { .id = SL_T_UUID }, 0 },
    { "by", SL_PGW_TEXT, { .id = SL_T_BYTES }, 0 },
    { "ch", SL_PGW_CHAR, { .id = SL_T_STRING }, 0 },
    { "ia", SL_PGW_ARRAY, { .id = SL_T_LIST, .elem = SL_T_INT32 }, SL_PGW_INT4 },
    { "ta", SL_PGW_ARRAY, { .id = SL_T_LIST, .elem = SL_T_STRING }, SL_PGW_TEXT },
};
#define MAXCOLS ((int)(sizeof cols / sizeof cols[0]))

/* encode(b) == encode(decode(encode(b))), unless the encoder refuses a value. */
static void roundtrip(const sl_batch *b, int ncols)
{
    static sl_buf once, twice;
    sl_err err = SL_ERR_INIT;
    sl_buf_clear(&once);
    sl_pg_encode_header(&once);
    if (sl_pg_encode_rows(b, 0, b->nrows, &once, &err) < 0) return;
    sl_pg_encode_trailer(&once);
    sl_batch *back = sl_batch_new(b->schema, b->capacity);
    sl_pg_copy st;
    sl_pg_copy_init(&st, cols, ncols, "roundtrip");
    size_t used = 0;
    long got = sl_pg_copy_decode(&st, once.data, once.len, back, &used, &err);
    if (got != (long)b->nrows || sl_pg_copy_finish(&st, once.len - used, &err) < 0) abort();
    sl_buf_clear(&twice);
    sl_pg_encode_header(&twice);
    if (sl_pg_encode_rows(back, 0, back->nrows, &twice, &err) < 0) abort();
    sl_pg_encode_trailer(&twice);
    if (once.len != twice.len || memcmp(once.data, twice.data, once.len)) abort();
    sl_batch_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sl_schema *schemas[MAXCOLS + 1];
    if (!schemas[1]) {
        sl_log_setup(SL_LOG_OFF, false);
        for (int n = 1; n <= MAXCOLS; n++) {
            schemas[n] = sl_schema_new(n);
            for (int c = 0; c < n; c++) sl_schema_set(schemas[n], c, cols[c].name, cols[c].type, true);
        }
    }
    if (size < 1) return 0;
    int ncols = data[0] % MAXCOLS + 1;
    size_t piece = (size_t)(data[0] >> 4) * 7 + 1;
    data++;
    size--;
    sl_batch *b = sl_batch_new(schemas[ncols], 3);
    sl_pg_copy st;
    sl_pg_copy_init(&st, cols, ncols, "fuzz");
    sl_err err = SL_ERR_INIT;
    sl_buf pending = {0};
    size_t pos = 0;
    int failed = 0;
    while (pos < size && !failed) {
        size_t n = size - pos < piece ? size - pos : piece;
        sl_buf_append(&pending, data + pos, n);
        pos += n;
        for (;;) {
            sl_batch_reset(b);
            size_t used;
            long got = sl_pg_copy_decode(&st, pending.data, pending.len, b, &used, &err);
            if (got < 0) { failed = 1; break; }
            if (used > pending.len || (size_t)got > b->capacity) abort();
            /* Touch every var-width value to catch bad offsets. */
            for (int c = 0; c < ncols; c++)
                if (b->cols[c].offsets)
                    for (size_t r = 0; r < b->nrows; r++) {
                        size_t len;
                        const uint8_t *p = sl_vec_bytes(&b->cols[c], r, &len);
                        if (len && (p[0] == 0x55 && p[len - 1] == 0xAA)) err.msg[0] = 1;
                    }
            roundtrip(b, ncols);
            memmove(pending.data, pending.data + used, pending.len - used);
            pending.len -= used;
            if (!got || st.trailer_seen) break;
        }
    }
    if (!failed) sl_pg_copy_finish(&st, pending.len, &err);
    sl_buf_free(&pending);
    sl_batch_free(b);
    return 0;
}
