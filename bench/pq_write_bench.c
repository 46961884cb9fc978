/*
 * pq_write_bench.c - the Parquet writer benchmark's sluice side: generates
 * an orders-like table in memory, batch by batch, and writes it with
 * src/parquet's writer (single thread).
 *
 *   build/tools/pq_write_bench OUT.parquet zstd|snappy|gzip|lz4_raw|none ROWS [--gen-only]
 *
 * Columns (the same formulas as DuckDB's side in bench/parquet_write.sh; h(i,m)
 * = (i * m) mod 2^32):
 *   id          bigint          i + 1
 *   customer_id int             floor((h(i,2654435761)/2^32)^2 * 100000): skewed to small ids
 *   status      text            5 values by h(i,2246822519) mod 100 (50/20/15/10/5 %)
 *   amount      decimal(12,2)   (h(i,3266489917) mod 10000000) / 100
 *   created_at  timestamptz     2020-01-01 + 3 s * i + h(i,668265263) mod 10^6 us
 *   note        text            NULL when h(i,374761393) mod 5 = 0, else
 *                               'order note ' || (h(i,374761393) mod 100000)
 *   uid         uuid            random (version 4 bits), as gen_random_uuid()
 * --gen-only generates the batches without writing (the generation's share).
 */
#include "core/sl_out.h"
#include "core/sl_types.h"
#include "parquet/sl_compress.h"
#include "parquet/sl_pq_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline uint64_t h32(uint64_t i, uint64_t m)
{
    return (i * m) & 0xffffffffULL;
}

static size_t utoa(uint64_t v, char *out)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: pq_write_bench OUT.parquet CODEC ROWS [--gen-only]\n");
        return 2;
    }
    int codec = sl_compress_codec_parse(argv[2]);
    long long rows = atoll(argv[3]);
    bool gen_only = argc > 4 && !strcmp(argv[4], "--gen-only");
    if (codec < 0 || rows < 0) {
        fprintf(stderr, "pq_write_bench: bad codec or row count\n");
        return 2;
    }
    sl_schema *s = sl_schema_new(7);
    sl_schema_set(s, 0, "id", (sl_type){ .id = SL_T_INT64 }, false);
    sl_schema_set(s, 1, "customer_id", (sl_type){ .id = SL_T_INT32 }, false);
    sl_schema_set(s, 2, "status", (sl_type){ .id = SL_T_STRING }, false);
    sl_schema_set(s, 3, "amount", (sl_type){ .id = SL_T_DECIMAL, .precision = 12, .scale = 2 }, false);
    sl_schema_set(s, 4, "created_at", (sl_type){ .id = SL_T_TIMESTAMP, .utc = true }, false);
    sl_schema_set(s, 5, "note", (sl_type){ .id = SL_T_STRING }, true);
    sl_schema_set(s, 6, "uid", (sl_type){ .id = SL_T_UUID }, false);

    sl_err err = SL_ERR_INIT;
    sl_out *out = NULL;
    sl_pq_writer *w = NULL;
    if (!gen_only) {
        out = sl_out_open_file(argv[1], &err);
        if (!out) { fprintf(stderr, "pq_write_bench: %s\n", err.msg); return 1; }
        sl_pq_writer_opts o;
        sl_pq_writer_opts_default(&o);
        o.codec = codec;
        /* Knobs for experiments (defaults are the writer's). */
        if (getenv("PQ_PAGE_ROWS")) o.page_rows = atoll(getenv("PQ_PAGE_ROWS"));
        if (getenv("PQ_PAGE_BYTES")) o.page_bytes = atoll(getenv("PQ_PAGE_BYTES"));
        if (getenv("PQ_LEVEL")) o.level = atoi(getenv("PQ_LEVEL"));
        if (getenv("PQ_ROW_GROUP_ROWS")) o.row_group_rows = atoll(getenv("PQ_ROW_GROUP_ROWS"));
        w = sl_pq_writer_open(out, s, &o, &err);
        if (!w) { fprintf(stderr, "pq_write_bench: %s\n", err.msg); return 1; }
    }
    static const char *const statuses[5] = { "delivered", "shipped", "paid", "pending", "cancelled" };
    size_t status_len[5];
    for (int k = 0; k < 5; k++) status_len[k] = strlen(statuses[k]);
    sl_batch *b = sl_batch_new(s, SL_BATCH_ROWS);
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    uint64_t checksum = 0;
    for (long long i = 0; i < rows;) {
        sl_batch_reset(b);
        size_t n = 0;
        int64_t *id = (int64_t *)b->cols[0].data;
        int32_t *cust = (int32_t *)b->cols[1].data;
        int64_t *amount = (int64_t *)b->cols[3].data;
        int64_t *ts = (int64_t *)b->cols[4].data;
        uint8_t *uid = b->cols[6].data;
        for (; n < b->capacity && i < rows; n++, i++) {
            uint64_t ui = (uint64_t)i;
            id[n] = i + 1;
            double u = (double)h32(ui, 2654435761ULL) / 4294967296.0;
            cust[n] = (int32_t)(u * u * 100000);
            uint64_t sp = h32(ui, 2246822519ULL) % 100;
            int st = sp < 50 ? 0 : sp < 70 ? 1 : sp < 85 ? 2 : sp < 95 ? 3 : 4;
            sl_vec_set_bytes(&b->cols[2], n, statuses[st], status_len[st]);
            amount[n] = (int64_t)(h32(ui, 3266489917ULL) % 10000000);
            ts[n] = 1577836800000000LL + i * 3000000LL + (int64_t)(h32(ui, 668265263ULL) % 1000000);
            uint64_t hn = h32(ui, 374761393ULL);
            if (hn % 5 == 0) {
                sl_vec_set_null(&b->cols[5], n);
            } else {
                char text[32] = "order note ";
                size_t len = 11 + utoa(hn % 100000, text + 11);
                sl_vec_set_bytes(&b->cols[5], n, text, len);
            }
            for (int k = 0; k < 2; k++) {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                memcpy(uid + n * 16 + 8 * k, &rng, 8);
            }
            uid[n * 16 + 6] = (uint8_t)((uid[n * 16 + 6] & 0x0f) | 0x40);
            uid[n * 16 + 8] = (uint8_t)((uid[n * 16 + 8] & 0x3f) | 0x80);
        }
        memset(b->cols[0].valid, 1, n);
        memset(b->cols[1].valid, 1, n);
        memset(b->cols[3].valid, 1, n);
        memset(b->cols[4].valid, 1, n);
        memset(b->cols[6].valid, 1, n);
        b->nrows = n;
        if (gen_only) {
            checksum += (uint64_t)cust[n / 2] + b->cols[5].heap_len;
            continue;
        }
        if (sl_pq_writer_write(w, b, &err) < 0) { fprintf(stderr, "pq_write_bench: %s\n", err.msg); return 1; }
    }
    if (!gen_only) {
        if (sl_pq_writer_close(w, &err) < 0 || sl_out_close(out, false, &err) < 0) {
            fprintf(stderr, "pq_write_bench: %s\n", err.msg);
            return 1;
        }
        sl_pq_writer_free(w);
    } else {
        printf("generated %lld rows (checksum %llu)\n", rows, (unsigned long long)checksum);
    }
    sl_batch_free(b);
    sl_schema_free(s);
    return 0;
}
