/*
 * sl_store_lake_detect.c - `deletes: detect` in a local lake table when the
 * key is all integers: DuckDB reads the live version's key columns sorted
 * (select cast(k as bigint) ... order by; a sort of integers, streamed in
 * chunks into sluice batches by sl_duck_read), they are merged with the
 * source's sorted key file (core/sl_keydiff.h), and only the keys found
 * absent go back to DuckDB (a small CSV file beside the key file) into
 * sl_gone, minus the increment's keys. Before: every source key was parsed
 * by DuckDB from CSV text and anti-joined as text against every live key.
 *
 * When the key file of the run the live version is from is still there
 * (core/sl_keyfile.h: kept by the engine), it stands in for the live keys:
 * that version holds no key outside it, and reading it costs nothing next
 * to DuckDB's read and sort of every live key.
 *
 * The sort key is the cast to bigint, so any integer width in the Parquet
 * files (and a narrower one written by an older version) orders the same as
 * the source's keys; the merge checks the order anyway.
 */
#include "sl_store_lake_detect.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_keydiff.h"
#include "../core/sl_keyfile.h"
#include "../core/sl_log.h"
#include "../core/sl_types.h"
#include "sl_duck.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void sl_ld_ident(sl_buf *b, const char *s)
{
    sl_buf_quoted(b, s, '"');
}

/* The live keys from DuckDB, an sl_key_iter over its batches. */
typedef struct sl_ld_live {
    sl_duck_reader *r;
    sl_batch *batch;
    size_t at;
    int ncols;
    int64_t rows;      /* rows read, those with a NULL key column too */
} sl_ld_live;

static int sl_ld_live_next(void *ctx, int64_t *key, sl_err *err)
{
    sl_ld_live *l = ctx;
    for (;;) {
        if (l->at >= l->batch->nrows) {
            sl_batch_reset(l->batch);
            l->at = 0;
            long n = sl_duck_read_next(l->r, l->batch, err);
            if (n < 0) return -1;
            if (n == 0) return 0;
        }
        size_t row = l->at++;
        l->rows++;
        bool null = false;
        for (int col_idx = 0; col_idx < l->ncols; col_idx++) {
            const sl_vector *v = &l->batch->cols[col_idx];
            if (!v->valid[row]) null = true;
            else key[col_idx] = ((const int64_t *)v->data)[row];
        }
        if (!null) return 1;
    }
}

typedef struct sl_ld_spill {
    FILE *f;
    int ncols;
} sl_ld_spill;

static int sl_ld_emit(void *ctx, const int64_t *key, sl_err *err)
{
    sl_ld_spill *s = ctx;
    for (int col_idx = 0; col_idx < s->ncols; col_idx++)
        fprintf(s->f, col_idx ? ",%" PRId64 : "%" PRId64, key[col_idx]);
    fputc('\n', s->f);
    return 0;
}

/* The source's keys merged with the keys of prev_path, the key file of the
 * run the live version is from (it holds every key of that version). */
static int sl_ld_merge_prev(const char *prev_path, int nkey, const char *keys_path, const char *what, FILE *spill,
                            int64_t *gone, int64_t *live_rows, sl_err *err)
{
    sl_keyfile_r src, prev;
    if (sl_keyfile_open(&prev, prev_path, err) < 0) return -1;
    int rc = sl_keyfile_open(&src, keys_path, err);
    if (rc < 0) {
        sl_keyfile_close(&prev);
        return -1;
    }
    if (src.ncols != nkey || prev.ncols != nkey)
        rc = sl_err_set(err, SL_EINTERNAL, "the key lists %s and %s have %d and %d columns, the key %d", keys_path,
                        prev_path, src.ncols, prev.ncols, nkey);
    sl_keydiff_stats st = { 0 };
    sl_ld_spill s = { spill, nkey };
    if (rc == 0) rc = sl_keyfile_diff(&src, &prev, sl_ld_emit, &s, what, &st, err);
    if (rc == 0)
        sl_log(SL_LOG_DEBUG, "%s: deletes: detect: ordered merge of %lld source keys and the %lld keys of the live "
               "version's run: %lld absent", what, (long long)st.src_keys, (long long)st.live_keys,
               (long long)st.gone);
    sl_keyfile_close(&src);
    sl_keyfile_close(&prev);
    *gone = st.gone;
    *live_rows = st.live_keys;
    return rc;
}

static int sl_ld_merge(struct sl_duck *d, const char *old_sql, char *const *key, int nkey, const char *keys_path,
                       const char *what, FILE *spill, int64_t *gone, int64_t *live_rows, sl_err *err)
{
    sl_buf b = { 0 };
    sl_buf_printf(&b, "select ");
    for (int k = 0; k < nkey; k++) {
        sl_buf_printf(&b, "%scast(", k ? ", " : "");
        sl_ld_ident(&b, key[k]);
        sl_buf_printf(&b, " as bigint)");
    }
    sl_buf_printf(&b, " from %s order by all", old_sql);
    sl_duck_reader *r = sl_duck_read(d, sl_buf_cstr(&b), err);
    sl_buf_free(&b);
    if (!r) return -1;
    const sl_schema *sch = sl_duck_read_schema(r);
    int rc = 0;
    for (int k = 0; k < nkey; k++)
        if (sch->fields[k].type.id != SL_T_INT64)
            rc = sl_err_set(err, SL_EINTERNAL, "%s: the live key column %s did not read as bigint", what, key[k]);
    sl_keyfile_r src;
    bool src_open = false;
    if (rc == 0) {
        rc = sl_keyfile_open(&src, keys_path, err);
        src_open = rc == 0;
    }
    if (rc == 0 && src.ncols != nkey)
        rc = sl_err_set(err, SL_EINTERNAL, "the key list %s has %d columns, the key %d", keys_path, src.ncols, nkey);
    sl_ld_live live = { r, NULL, 0, nkey, 0 };
    sl_keydiff_stats st = { 0 };
    if (rc == 0) {
        live.batch = sl_batch_new(sch, 2048);
        sl_ld_spill s = { spill, nkey };
        rc = sl_keydiff(nkey, sl_keyfile_iter(&src), (sl_key_iter){ sl_ld_live_next, &live }, sl_ld_emit, &s, what,
                        &st, err);
        sl_batch_free(live.batch);
    }
    if (rc == 0)
        sl_log(SL_LOG_DEBUG, "%s: deletes: detect: ordered merge of %lld source keys and %lld live keys: %lld absent",
               what, (long long)st.src_keys, (long long)st.live_keys, (long long)st.gone);
    if (src_open) sl_keyfile_close(&src);
    sl_duck_read_close(r);
    *gone = st.gone;
    *live_rows = live.rows;
    return rc;
}

int sl_lake_detect_sorted(struct sl_duck *d, const char *old_sql, const char *inc_sql, char *const *key, int nkey,
                          const char *keys_path, const char *prev_path, const char *what, int64_t *gone,
                          int64_t *live_rows, sl_err *err)
{
    *gone = 0;
    *live_rows = 0;
    char *path = sl_sprintf("%s.gone-XXXXXX.csv", keys_path);
    int fd = mkstemps(path, 4);
    if (fd < 0) {
        int rc = sl_err_set(err, SL_EIO, "%s: cannot create %s: %s", what, path, strerror(errno));
        sl_free(path);
        return rc;
    }
    FILE *spill = fdopen(fd, "w");
    if (!spill) {
        close(fd);
        unlink(path);
        int rc = sl_err_set(err, SL_EIO, "%s: cannot open %s: %s", what, path, strerror(errno));
        sl_free(path);
        return rc;
    }
    setvbuf(spill, NULL, _IOFBF, 1 << 20);
    int64_t absent = 0;
    int rc = prev_path ? sl_ld_merge_prev(prev_path, nkey, keys_path, what, spill, &absent, live_rows, err)
                       : sl_ld_merge(d, old_sql, key, nkey, keys_path, what, spill, &absent, live_rows, err);
    if ((fclose(spill) != 0) && rc == 0)
        rc = sl_err_set(err, SL_EIO, "%s: writing %s: %s", what, path, strerror(errno));
    if (rc == 0 && absent > 0) {
        /* The absent keys, minus those the increment carries (their new rows replace them). */
        sl_buf b = { 0 };
        sl_buf_printf(&b, "insert into sl_gone select ");
        for (int k = 0; k < nkey; k++) {
            sl_buf_printf(&b, "%sg.", k ? ", " : "");
            sl_ld_ident(&b, key[k]);
        }
        sl_buf_printf(&b, " from read_csv(");
        sl_buf_quoted(&b, path, '\'');
        sl_buf_printf(&b, ", header = false, columns = {");
        for (int k = 0; k < nkey; k++) {
            sl_buf_printf(&b, "%s", k ? ", " : "");
            sl_buf_quoted(&b, key[k], '\'');
            sl_buf_printf(&b, ": 'BIGINT'");
        }
        sl_buf_printf(&b, "}) g where not exists (select 1 from %s i where ", inc_sql);
        for (int k = 0; k < nkey; k++) {
            sl_buf_printf(&b, "%si.", k ? " and " : "");
            sl_ld_ident(&b, key[k]);
            sl_buf_printf(&b, " = g.");
            sl_ld_ident(&b, key[k]);
        }
        sl_buf_printf(&b, ")");
        rc = sl_duck_exec(d, sl_buf_cstr(&b), gone, err);
        sl_buf_free(&b);
    }
    unlink(path);
    sl_free(path);
    return rc;
}
