/*
 * zstd_levels.c - what each zstd level costs and saves on real pages: reads
 * an UNCOMPRESSED Parquet file (e.g. written by sluice with
 * `compression: none`), takes every page payload of every column chunk as
 * the writer produced it, and compresses them again at each level with one
 * reused context, as the writer does (sl_compressor). Prints, per column and
 * in total, the compressed bytes and the CPU milliseconds (thread CPU time,
 * best of REPS, so a busy machine disturbs it little).
 *
 *   build/tools/zstd_levels FILE.parquet [LEVELS=1,2,3,4,5] [REPS=3]
 */
#include "core/sl_alloc.h"
#include "parquet/sl_compress.h"
#include "parquet/sl_pq_format.h"
#include "parquet/sl_pq_meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SL_ZL_MAX_LEVELS 16

typedef struct sl_zl_page {
    const uint8_t *p;
    size_t n;
} sl_zl_page;

static double sl_zl_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint8_t *sl_zl_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = sl_malloc((size_t)size);
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        sl_free(buf);
        return NULL;
    }
    fclose(f);
    *n = (size_t)size;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: zstd_levels FILE.parquet [LEVELS=1,2,3,4,5] [REPS=3]\n");
        return 2;
    }
    int levels[SL_ZL_MAX_LEVELS], nlevels = 0;
    char *spec = sl_strdup(argc > 2 ? argv[2] : "1,2,3,4,5");
    for (char *tok = strtok(spec, ","); tok && nlevels < SL_ZL_MAX_LEVELS; tok = strtok(NULL, ","))
        levels[nlevels++] = atoi(tok);
    int reps = argc > 3 ? atoi(argv[3]) : 3;
    size_t size;
    uint8_t *file = sl_zl_read_file(argv[1], &size);
    if (!file || size < 12) {
        fprintf(stderr, "zstd_levels: cannot read %s\n", argv[1]);
        return 1;
    }
    uint32_t flen = (uint32_t)file[size - 8] | (uint32_t)file[size - 7] << 8 | (uint32_t)file[size - 6] << 16 |
                    (uint32_t)file[size - 5] << 24;
    sl_err err = SL_ERR_INIT;
    sl_arena a;
    sl_arena_init(&a, 64 * 1024);
    sl_pq_file_meta m;
    if (flen > size - 12 || sl_pq_meta_parse(file + size - 8 - flen, flen, size - 8 - flen, &a, &m, &err) < 0) {
        fprintf(stderr, "zstd_levels: %s: bad footer: %s\n", argv[1], err.msg);
        return 1;
    }
    printf("%-12s %12s", "column", "plain bytes");
    for (int l = 0; l < nlevels; l++) printf("  %10s L%-2d %7s", "bytes", levels[l], "CPU ms");
    printf("\n");
    size_t tot_raw = 0, tot_bytes[SL_ZL_MAX_LEVELS] = {0};
    double tot_ms[SL_ZL_MAX_LEVELS] = {0};
    sl_buf dst = {0};
    for (int col = 0; col < m.nleaves; col++) {
        /* Every page payload of this column, all row groups. */
        sl_zl_page *pages = NULL;
        size_t npages = 0, cap = 0, raw = 0;
        for (int rg = 0; rg < m.nrow_groups; rg++) {
            const sl_pq_column_meta *cm = &m.row_groups[rg].columns[col].meta;
            if (cm->codec != SL_PQ_UNCOMPRESSED) {
                fprintf(stderr, "zstd_levels: %s is compressed; write it with compression: none\n", argv[1]);
                return 1;
            }
            int64_t off = cm->has_dictionary_page_offset ? cm->dictionary_page_offset : cm->data_page_offset;
            int64_t end = off + cm->total_compressed_size;
            while (off < end) {
                sl_pq_page_header h;
                size_t used;
                if (sl_pq_page_header_parse(file + off, (size_t)(end - off), &h, &used, &err) < 0) {
                    fprintf(stderr, "zstd_levels: page header: %s\n", err.msg);
                    return 1;
                }
                if (npages == cap) {
                    cap = cap ? cap * 2 : 64;
                    pages = sl_realloc(pages, cap * sizeof *pages);
                }
                pages[npages++] = (sl_zl_page){ file + off + used, (size_t)h.compressed_size };
                raw += (size_t)h.compressed_size;
                off += (int64_t)used + h.compressed_size;
            }
        }
        tot_raw += raw;
        printf("%-12s %12zu", m.schema[m.leaves[col].schema_idx].name, raw);
        for (int l = 0; l < nlevels; l++) {
            sl_compressor *c = sl_compressor_new(SL_PQ_ZSTD, levels[l], &err);
            if (!c) {
                fprintf(stderr, "zstd_levels: %s\n", err.msg);
                return 1;
            }
            double best = 1e30;
            size_t bytes = 0;
            for (int r = 0; r < reps; r++) {
                bytes = 0;
                double t0 = sl_zl_cpu_ms();
                for (size_t i = 0; i < npages; i++) {
                    if (sl_compressor_run(c, pages[i].p, pages[i].n, &dst, &err) < 0) {
                        fprintf(stderr, "zstd_levels: %s\n", err.msg);
                        return 1;
                    }
                    bytes += dst.len;
                }
                double ms = sl_zl_cpu_ms() - t0;
                if (ms < best) best = ms;
            }
            sl_compressor_free(c);
            tot_bytes[l] += bytes;
            tot_ms[l] += best;
            printf("  %14zu %7.1f", bytes, best);
        }
        printf("\n");
        sl_free(pages);
    }
    printf("%-12s %12zu", "total", tot_raw);
    for (int l = 0; l < nlevels; l++) printf("  %14zu %7.1f", tot_bytes[l], tot_ms[l]);
    printf("\n");
    sl_buf_free(&dst);
    sl_arena_destroy(&a);
    sl_free(file);
    sl_free(spec);
    return 0;
}
