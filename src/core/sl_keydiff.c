/*
 * sl_keydiff.c - the merge of two ordered key streams (sl_keydiff.h): live
 * keys absent from the source, with both inputs' order checked as they are
 * read.
 */
#include "sl_keydiff.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int sl_key_cmp(const int64_t *a, const int64_t *b, int ncols)
{
    for (int col_idx = 0; col_idx < ncols; col_idx++) {
        if (a[col_idx] < b[col_idx]) return -1;
        if (a[col_idx] > b[col_idx]) return 1;
    }
    return 0;
}

void sl_key_format(const int64_t *key, int ncols, char *buf, size_t size)
{
    size_t at = 0;
    if (size == 0) return;
    buf[0] = 0;
    for (int col_idx = 0; col_idx < ncols && at < size; col_idx++) {
        int n = snprintf(buf + at, size - at, "%s%lld", col_idx ? ", " : "(", (long long)key[col_idx]);
        if (n < 0) return;
        at += (size_t)n;
    }
    if (at < size) snprintf(buf + at, size - at, ")");
}

/* One input: the key read last and the one before it, for the order check. */
typedef struct sl_kd_side {
    sl_key_iter it;
    const char *name;   /* "source", "live" */
    int64_t cur[SL_KEY_MAX_COLS], prev[SL_KEY_MAX_COLS];
    bool have, has_prev, done;
    int64_t n;
} sl_kd_side;

static int sl_kd_advance(sl_kd_side *s, int ncols, const char *what, sl_err *err)
{
    if (s->done) return 0;
    if (s->have) {
        memcpy(s->prev, s->cur, (size_t)ncols * sizeof s->cur[0]);
        s->has_prev = true;
    }
    int rc = s->it.next(s->it.ctx, s->cur, err);
    if (rc < 0) return -1;
    if (rc == 0) {
        s->have = false;
        s->done = true;
        return 0;
    }
    s->n++;
    s->have = true;
    if (s->has_prev && sl_key_cmp(s->cur, s->prev, ncols) < 0)
        return sl_keydiff_order_error(what, s->name, s->cur, s->prev, ncols, s->n, err);
    return 1;
}

int sl_keydiff_order_error(const char *what, const char *side, const int64_t *key, const int64_t *prev, int ncols,
                           int64_t n, sl_err *err)
{
    char a[256], b[256];
    sl_key_format(prev, ncols, a, sizeof a);
    sl_key_format(key, ncols, b, sizeof b);
    return sl_err_set(err, SL_ECHECK, "%s: the %s keys are not in order (key %s after %s, "
                      "at key %lld): nothing was deleted; the key columns must sort as integers on both sides; "
                      "run with --full-refresh if the target's key columns changed type", what, side, b, a,
                      (long long)n);
}

int sl_keydiff(int ncols, sl_key_iter src, sl_key_iter live, sl_key_emit_fn emit, void *emit_ctx, const char *what,
               sl_keydiff_stats *st, sl_err *err)
{
    memset(st, 0, sizeof *st);
    if (ncols < 1 || ncols > SL_KEY_MAX_COLS)
        return sl_err_set(err, SL_EINTERNAL, "%s: deletes: detect: %d key columns (1 to %d supported)", what, ncols,
                          SL_KEY_MAX_COLS);
    sl_kd_side s = { .it = src, .name = "source" }, l = { .it = live, .name = "live" };
    int64_t last_gone[SL_KEY_MAX_COLS];
    bool have_gone = false;
    if (sl_kd_advance(&s, ncols, what, err) < 0 || sl_kd_advance(&l, ncols, what, err) < 0) return -1;
    while (l.have) {
        int c = s.have ? sl_key_cmp(s.cur, l.cur, ncols) : 1;
        if (c < 0) {            /* a source key not live (a new row): skip it */
            if (sl_kd_advance(&s, ncols, what, err) < 0) return -1;
            continue;
        }
        if (c > 0) {            /* a live key the source no longer has */
            if (!have_gone || sl_key_cmp(last_gone, l.cur, ncols) != 0) {
                if (emit(emit_ctx, l.cur, err) < 0) return -1;
                memcpy(last_gone, l.cur, (size_t)ncols * sizeof l.cur[0]);
                have_gone = true;
                st->gone++;
            }
        }
        /* Equal: the key stays; the source key is kept for the live key's duplicates. */
        if (sl_kd_advance(&l, ncols, what, err) < 0) return -1;
    }
    /* The rest of the source is read for its order check (a short stream would hide a bad file). */
    while (s.have)
        if (sl_kd_advance(&s, ncols, what, err) < 0) return -1;
    st->src_keys = s.n;
    st->live_keys = l.n;
    return 0;
}
