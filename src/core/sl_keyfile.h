/*
 * sl_keyfile.h - a sorted key file: the source's keys of `deletes: detect`
 * when every key column is an integer, written once per run in the source's
 * snapshot and read back by each target's delete step (core/sl_keydiff.h).
 *
 * Fixed width, no text: a 24-byte header ("SLKEYS1\n", uint32 column count,
 * uint32 0, int64 row count, native byte order: the file never leaves the
 * machine or the run) and then one row per key, ncols int64 values each. The
 * row count in the header is written last (commit), so a truncated or
 * half-written file is refused by its size rather than read short.
 *
 *   sl_keyfile_w w; sl_keyfile_create(&w, path, ncols, err);   (writes path.tmp)
 *   sl_keyfile_put(&w, key) ...; sl_keyfile_commit(&w, err);   (fsync, rename)
 *   or sl_keyfile_abort(&w) on failure (removes path.tmp)
 *
 *   sl_keyfile_r r; sl_keyfile_open(&r, path, err);            (checks header and size)
 *   sl_key_iter it = sl_keyfile_iter(&r); ... sl_keyfile_close(&r);
 *
 * sl_keyfile_probe tells a key file from another format (the text path of
 * keys that are not integers writes CSV to the same path).
 *
 * Kept between runs: a run's key file is named by sl_keyfile_path (job, run
 * and table under the job's .sluice/incr) and stays after the run when the
 * watermark moves, so the next run's delete step can merge the source's keys
 * with the keys the target got from that run (sl_keyfile_prev) instead of
 * reading every live key back from the target. sl_keyfile_prune removes a
 * table's other runs' files.
 */
#ifndef SL_KEYFILE_H
#define SL_KEYFILE_H

#include "sl_error.h"
#include "sl_keydiff.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct sl_keyfile_w {
    FILE *f;
    char *path, *tmp;
    int ncols;
    int64_t rows;
} sl_keyfile_w;

int sl_keyfile_create(sl_keyfile_w *w, const char *path, int ncols, sl_err *err);
/* Buffered; a write error is reported by sl_keyfile_commit. */
void sl_keyfile_put(sl_keyfile_w *w, const int64_t *key);
void sl_keyfile_put_n(sl_keyfile_w *w, const int64_t *keys, size_t n);   /* n keys, ncols values each */
int sl_keyfile_commit(sl_keyfile_w *w, sl_err *err);
void sl_keyfile_abort(sl_keyfile_w *w);

typedef struct sl_keyfile_r {
    FILE *f;
    char *path;
    int ncols;
    int64_t rows, read;
    int64_t *block;         /* keys read ahead: block[at..have) of ncols values each */
    size_t at, have;
} sl_keyfile_r;

/* 1: path is a key file (*ncols set), 0: it is not (another format), -1: cannot be read. */
int sl_keyfile_probe(const char *path, int *ncols, sl_err *err);
int sl_keyfile_open(sl_keyfile_r *r, const char *path, sl_err *err);
sl_key_iter sl_keyfile_iter(sl_keyfile_r *r);
/* sl_keydiff of two key files from their start (src: the source's, live: a
 * target's keys); the same result, checks and counts, a direct merge of the
 * blocks for one key column. */
int sl_keyfile_diff(sl_keyfile_r *src, sl_keyfile_r *live, sl_key_emit_fn emit, void *emit_ctx, const char *what,
                    sl_keydiff_stats *st, sl_err *err);
void sl_keyfile_close(sl_keyfile_r *r);

/* <dir>/<job>-run<run>-<table>.keys; resumed: <dir>/<job>-run<run>r-<table>.keys,
 * the keys a resumed session of the run read again: never found by
 * sl_keyfile_prev (the targets that published in the first session got
 * that session's keys and increment), always pruned. */
char *sl_keyfile_path(const char *dir, const char *job, int64_t run, const char *table, bool resumed);
/* The key file of run in dir when it is a committed sorted key file of
 * ncols columns (its path); NULL when it is not there or not such a file. */
char *sl_keyfile_prev(const char *dir, const char *job, int64_t run, const char *table, int ncols);
/* Removes dir's key files of (job, table) but run keep's (keep < 0: all),
 * and the leftovers of its runs beside them (a crash's .tmp, .part-*,
 * .gone-* files); the number removed. */
int sl_keyfile_prune(const char *dir, const char *job, const char *table, int64_t keep);
/* Removes the job's key files (and their leftovers) of every table not in
 * tables[0..ntables): a table taken out of the job, or no longer `deletes:
 * detect`, would otherwise keep its last file (8 bytes a key) for ever. */
int sl_keyfile_prune_others(const char *dir, const char *job, char *const *tables, int ntables);

#endif
