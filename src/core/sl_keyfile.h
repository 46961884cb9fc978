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
 */
#ifndef SL_KEYFILE_H
#define SL_KEYFILE_H

#include "sl_error.h"
#include "sl_keydiff.h"

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
int sl_keyfile_commit(sl_keyfile_w *w, sl_err *err);
void sl_keyfile_abort(sl_keyfile_w *w);

typedef struct sl_keyfile_r {
    FILE *f;
    char *path;
    int ncols;
    int64_t rows, read;
} sl_keyfile_r;

/* 1: path is a key file (*ncols set), 0: it is not (another format), -1: cannot be read. */
int sl_keyfile_probe(const char *path, int *ncols, sl_err *err);
int sl_keyfile_open(sl_keyfile_r *r, const char *path, sl_err *err);
sl_key_iter sl_keyfile_iter(sl_keyfile_r *r);
void sl_keyfile_close(sl_keyfile_r *r);

#endif
