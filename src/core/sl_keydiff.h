/*
 * sl_keydiff.h - `deletes: detect` as a merge of two ordered key streams:
 * the source's keys (all of them, in the run's snapshot) and a target's live
 * keys, both sorted ascending on the key columns as signed integers; the
 * live keys absent from the source are emitted, in order. One pass, memory
 * of two keys, no allocation per key.
 *
 * Why not a hash set or an anti-join of text: the source and the target can
 * each produce their keys in order almost for free (PostgreSQL: the key's
 * index; DuckDB: a sort of integers), and a merge then costs one comparison
 * per key. Integer keys only: their order is the same everywhere (text keys
 * would need the same collation on both sides).
 *
 * Each input MUST be ordered: a key smaller than the one before it (a
 * collation or type that sorts differently, a corrupt file) is an error
 * naming `what` and the two keys, never a wrong delete. Equal neighbours are
 * allowed (a key that is not unique); a live key is emitted once.
 *
 *   sl_keydiff_stats st;
 *   sl_keydiff(ncols, src_iter, live_iter, emit, ctx, "table t in target dw", &st, err);
 */
#ifndef SL_KEYDIFF_H
#define SL_KEYDIFF_H

#include "sl_error.h"

#include <stddef.h>
#include <stdint.h>

/* The most key columns the ordered path takes (more: the text path). */
#define SL_KEY_MAX_COLS 8

/* An ordered stream of keys of ncols int64 values: next returns 1 with
 * key[0..ncols) set, 0 at the end, -1 with err set. */
typedef struct sl_key_iter {
    int (*next)(void *ctx, int64_t *key, sl_err *err);
    void *ctx;
} sl_key_iter;

/* Called for each live key absent from the source; -1 (err set) stops. */
typedef int (*sl_key_emit_fn)(void *ctx, const int64_t *key, sl_err *err);

typedef struct sl_keydiff_stats {
    int64_t src_keys;    /* keys read from the source stream */
    int64_t live_keys;   /* keys read from the live stream */
    int64_t gone;        /* keys emitted */
} sl_keydiff_stats;

int sl_keydiff(int ncols, sl_key_iter src, sl_key_iter live, sl_key_emit_fn emit, void *emit_ctx, const char *what,
               sl_keydiff_stats *st, sl_err *err);

/* The error of a key below the one before it in the `side` ("source",
 * "live") stream, at its n-th key; returns -1. */
int sl_keydiff_order_error(const char *what, const char *side, const int64_t *key, const int64_t *prev, int ncols,
                           int64_t n, sl_err *err);
/* -1, 0, 1 as a is below, equal to, above b. */
int sl_key_cmp(const int64_t *a, const int64_t *b, int ncols);
/* "(1, 2)" into buf (for messages). */
void sl_key_format(const int64_t *key, int ncols, char *buf, size_t size);

#endif
