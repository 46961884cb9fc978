/*
 * utf8_check.c - the cost of sl_utf8_check (core/sl_utf8.c) on a large
 * string column, against the memcpy every string value already costs when
 * it is stored into a batch. Three columns of 4 Mi values each: ASCII names
 * (10..40 bytes), Latin text with accents (about one byte in ten above
 * 0x7f) and CJK (three-byte characters only). Prints MB/s of each and the
 * ratio to memcpy over the same values.
 *
 *   build/tools/utf8_check [values]
 */
#include "core/sl_alloc.h"
#include "core/sl_utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double sl_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Fills heap with n values of the given kind; offs[i]..offs[i+1]. */
static size_t sl_bench_fill(int kind, uint8_t *heap, size_t *offs, size_t n)
{
    static const char *const latin[] = { "caf\xc3\xa9", "na\xc3\xafve", "Z\xc3\xbcrich", "stra\xc3\x9f" "e", "ma\xc3\xb1" "ana" };
    static const char *const cjk[] = { "\xe4\xb8\xad", "\xe6\x96\x87", "\xe5\xad\x97", "\xe6\xbc\xa2" };
    uint64_t seed = 42;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        offs[i] = at;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t len = 10 + (seed >> 33) % 31;
        size_t end = at + len;
        while (at < end) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            const char *piece = kind == 0 ? "abcdefgh" : kind == 1 ? ((seed >> 40) % 4 ? "word " : latin[(seed >> 20) % 5])
                                                                   : cjk[(seed >> 20) % 4];
            size_t k = strlen(piece);
            memcpy(heap + at, piece, k);
            at += k;
        }
    }
    offs[n] = at;
    return at;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : (size_t)4 << 20;
    size_t *offs = sl_malloc((n + 1) * sizeof *offs);
    uint8_t *heap = sl_malloc(n * 48), *copy = sl_malloc(n * 48);
    static const char *const names[] = { "ascii", "latin", "cjk" };
    for (int kind = 0; kind < 3; kind++) {
        size_t bytes = sl_bench_fill(kind, heap, offs, n);
        double best_check = 1e9, best_copy = 1e9;
        size_t sink = 0;
        for (int round = 0; round < 5; round++) {
            double t0 = sl_now();
            for (size_t i = 0; i < n; i++) sink += sl_utf8_check(heap + offs[i], offs[i + 1] - offs[i]);
            double t1 = sl_now();
            for (size_t i = 0; i < n; i++) memcpy(copy + offs[i], heap + offs[i], offs[i + 1] - offs[i]);
            double t2 = sl_now();
            sink += copy[bytes / 2];
            if (t1 - t0 < best_check) best_check = t1 - t0;
            if (t2 - t1 < best_copy) best_copy = t2 - t1;
        }
        if (sink != bytes * 5 + copy[bytes / 2] * 5) {
            fprintf(stderr, "utf8_check: %s: not all values valid\n", names[kind]);
            return 1;
        }
        printf("%-6s %zu values, %.0f MB: check %.0f MB/s (%.1f ns/value), memcpy %.0f MB/s; check/memcpy %.2fx\n",
               names[kind], n, bytes / 1e6, bytes / 1e6 / best_check, best_check * 1e9 / (double)n,
               bytes / 1e6 / best_copy, best_check / best_copy);
    }
    sl_free(offs);
    sl_free(heap);
    sl_free(copy);
    return 0;
}
