/*
 * sl_keyfile.c - the sorted key file of `deletes: detect` (sl_keyfile.h):
 * a header, then fixed-width int64 rows, written through stdio's buffer and
 * read back in blocks.
 */
#include "sl_keyfile.h"

#include "sl_alloc.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SL_KEYFILE_MAGIC "SLKEYS1\n"
#define SL_KEYFILE_HEADER 24

typedef struct sl_keyfile_header {
    char magic[8];
    uint32_t ncols, zero;
    int64_t rows;
} sl_keyfile_header;

_Static_assert(sizeof(sl_keyfile_header) == SL_KEYFILE_HEADER, "key file header is 24 bytes");

int sl_keyfile_create(sl_keyfile_w *w, const char *path, int ncols, sl_err *err)
{
    memset(w, 0, sizeof *w);
    if (ncols < 1 || ncols > SL_KEY_MAX_COLS)
        return sl_err_set(err, SL_EINTERNAL, "key file %s: %d key columns (1 to %d supported)", path, ncols,
                          SL_KEY_MAX_COLS);
    w->tmp = sl_sprintf("%s.tmp", path);
    w->f = fopen(w->tmp, "w");
    if (!w->f) {
        int rc = sl_err_set(err, SL_EIO, "cannot write the key list %s: %s", w->tmp, strerror(errno));
        sl_free(w->tmp);
        w->tmp = NULL;
        return rc;
    }
    setvbuf(w->f, NULL, _IOFBF, 1 << 20);
    w->path = sl_strdup(path);
    w->ncols = ncols;
    sl_keyfile_header h = { .ncols = (uint32_t)ncols, .rows = -1 };
    memcpy(h.magic, SL_KEYFILE_MAGIC, 8);
    fwrite(&h, sizeof h, 1, w->f);
    return 0;
}

void sl_keyfile_put(sl_keyfile_w *w, const int64_t *key)
{
    fwrite(key, sizeof key[0], (size_t)w->ncols, w->f);
    w->rows++;
}

void sl_keyfile_put_n(sl_keyfile_w *w, const int64_t *keys, size_t n)
{
    fwrite(keys, sizeof keys[0] * (size_t)w->ncols, n, w->f);
    w->rows += (int64_t)n;
}

static void sl_keyfile_w_free(sl_keyfile_w *w)
{
    sl_free(w->path);
    sl_free(w->tmp);
    memset(w, 0, sizeof *w);
}

int sl_keyfile_commit(sl_keyfile_w *w, sl_err *err)
{
    sl_keyfile_header h = { .ncols = (uint32_t)w->ncols, .rows = w->rows };
    memcpy(h.magic, SL_KEYFILE_MAGIC, 8);
    int rc = 0;
    if (ferror(w->f) || fflush(w->f) != 0 || fseek(w->f, 0, SEEK_SET) != 0 || fwrite(&h, sizeof h, 1, w->f) != 1 ||
        fflush(w->f) != 0 || fsync(fileno(w->f)) != 0)
        rc = sl_err_set(err, SL_EIO, "writing the key list %s: %s", w->tmp, strerror(errno ? errno : EIO));
    if (fclose(w->f) != 0 && rc == 0) rc = sl_err_set(err, SL_EIO, "writing the key list %s: %s", w->tmp, strerror(errno));
    w->f = NULL;
    if (rc == 0 && rename(w->tmp, w->path) != 0)
        rc = sl_err_set(err, SL_EIO, "cannot rename the key list %s: %s", w->tmp, strerror(errno));
    if (rc < 0) unlink(w->tmp);
    sl_keyfile_w_free(w);
    return rc;
}

void sl_keyfile_abort(sl_keyfile_w *w)
{
    if (w->f) fclose(w->f);
    if (w->tmp) unlink(w->tmp);
    sl_keyfile_w_free(w);
}

int sl_keyfile_probe(const char *path, int *ncols, sl_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return sl_err_set(err, SL_EIO, "cannot read the key list %s: %s", path, strerror(errno));
    sl_keyfile_header h;
    size_t n = fread(&h, 1, sizeof h, f);
    fclose(f);
    if (n != sizeof h || memcmp(h.magic, SL_KEYFILE_MAGIC, 8) != 0) return 0;
    *ncols = (int)h.ncols;
    return 1;
}

int sl_keyfile_open(sl_keyfile_r *r, const char *path, sl_err *err)
{
    memset(r, 0, sizeof *r);
    r->f = fopen(path, "r");
    if (!r->f) return sl_err_set(err, SL_EIO, "cannot read the key list %s: %s", path, strerror(errno));
    setvbuf(r->f, NULL, _IOFBF, 1 << 20);
    sl_keyfile_header h;
    struct stat sb;
    const char *bad = NULL;
    if (fread(&h, 1, sizeof h, r->f) != sizeof h || memcmp(h.magic, SL_KEYFILE_MAGIC, 8) != 0)
        bad = "not a key file";
    else if (h.ncols < 1 || h.ncols > SL_KEY_MAX_COLS || h.rows < 0)
        bad = "a bad header (not committed?)";
    else if (fstat(fileno(r->f), &sb) != 0 ||
             (uint64_t)sb.st_size != SL_KEYFILE_HEADER + (uint64_t)h.rows * h.ncols * sizeof(int64_t))
        bad = "the wrong size (truncated?)";
    if (bad) {
        fclose(r->f);
        r->f = NULL;
        return sl_err_set(err, SL_EIO, "the key list %s has %s; run again (a new run reads the keys again)", path,
                          bad);
    }
    r->path = sl_strdup(path);
    r->ncols = (int)h.ncols;
    r->rows = h.rows;
    return 0;
}

#define SL_KEYFILE_BLOCK 8192   /* keys per read */

static int sl_keyfile_next(void *ctx, int64_t *key, sl_err *err)
{
    sl_keyfile_r *r = ctx;
    if (r->read >= r->rows) return 0;
    size_t nc = (size_t)r->ncols;
    if (r->at == r->have) {
        if (!r->block) r->block = sl_malloc(SL_KEYFILE_BLOCK * nc * sizeof *r->block);
        int64_t left = r->rows - r->read;
        size_t want = left < SL_KEYFILE_BLOCK ? (size_t)left : SL_KEYFILE_BLOCK;
        if (fread(r->block, sizeof *r->block * nc, want, r->f) != want)
            return sl_err_set(err, SL_EIO, "reading the key list %s at key %lld: %s", r->path, (long long)r->read,
                              ferror(r->f) ? strerror(errno) : "it ends early");
        r->at = 0;
        r->have = want;
    }
    memcpy(key, r->block + r->at * nc, nc * sizeof *key);
    r->at++;
    r->read++;
    return 1;
}

/* The next key of a one-column file: from the block in hand without a call through a pointer. */
static inline int sl_keyfile_next1(sl_keyfile_r *r, int64_t *key, sl_err *err)
{
    if (r->at < r->have) {
        *key = r->block[r->at++];
        r->read++;
        return 1;
    }
    return sl_keyfile_next(r, key, err);
}

int sl_keyfile_diff(sl_keyfile_r *src, sl_keyfile_r *live, sl_key_emit_fn emit, void *emit_ctx, const char *what,
                    sl_keydiff_stats *st, sl_err *err)
{
    if (src->ncols != 1 || live->ncols != 1 || src->read || live->read)
        return sl_keydiff(src->ncols, sl_keyfile_iter(src), sl_keyfile_iter(live), emit, emit_ctx, what, st, err);
    /* sl_keydiff's merge, for one column: same emits, checks and counts. */
    memset(st, 0, sizeof *st);
    int64_t sk = 0, lk = 0, prev = 0, last_gone = 0;
    bool gone_any = false;
    int rs = sl_keyfile_next1(src, &sk, err), rl = rs < 0 ? -1 : sl_keyfile_next1(live, &lk, err);
    if (rs < 0 || rl < 0) return -1;
    int64_t ns = rs, nl = rl;
    while (rl == 1) {
        if (rs == 1 && sk < lk) {   /* a source key not live (a new row) */
            prev = sk;
            if ((rs = sl_keyfile_next1(src, &sk, err)) < 0) return -1;
            if (rs == 1 && (++ns, sk < prev)) return sl_keydiff_order_error(what, "source", &sk, &prev, 1, ns, err);
            continue;
        }
        if ((rs == 0 || sk > lk) && (!gone_any || last_gone != lk)) {   /* a live key the source no longer has */
            if (emit(emit_ctx, &lk, err) < 0) return -1;
            last_gone = lk;
            gone_any = true;
            st->gone++;
        }
        prev = lk;
        if ((rl = sl_keyfile_next1(live, &lk, err)) < 0) return -1;
        if (rl == 1 && (++nl, lk < prev)) return sl_keydiff_order_error(what, "live", &lk, &prev, 1, nl, err);
    }
    /* The rest of the source, for its order check. */
    while (rs == 1) {
        prev = sk;
        if ((rs = sl_keyfile_next1(src, &sk, err)) < 0) return -1;
        if (rs == 1 && (++ns, sk < prev)) return sl_keydiff_order_error(what, "source", &sk, &prev, 1, ns, err);
    }
    st->src_keys = ns;
    st->live_keys = nl;
    return 0;
}

sl_key_iter sl_keyfile_iter(sl_keyfile_r *r)
{
    return (sl_key_iter){ sl_keyfile_next, r };
}

void sl_keyfile_close(sl_keyfile_r *r)
{
    if (r->f) fclose(r->f);
    sl_free(r->path);
    sl_free(r->block);
    memset(r, 0, sizeof *r);
}

char *sl_keyfile_path(const char *dir, const char *job, int64_t run, const char *table, bool resumed)
{
    return sl_sprintf("%s/%s-run%lld%s-%s.keys", dir, job, (long long)run, resumed ? "r" : "", table);
}

char *sl_keyfile_prev(const char *dir, const char *job, int64_t run, const char *table, int ncols)
{
    if (!dir || run <= 0) return NULL;
    char *path = sl_keyfile_path(dir, job, run, table, false);
    sl_keyfile_r r;
    sl_err e = SL_ERR_INIT;
    bool ok = access(path, R_OK) == 0 && sl_keyfile_open(&r, path, &e) == 0;
    if (ok) {
        ok = r.ncols == ncols;
        sl_keyfile_close(&r);
    }
    if (!ok) {
        sl_free(path);
        return NULL;
    }
    return path;
}

/* "<job>-run<N>[r]-...": *run N, *resumed, and what follows the run ("-<table>.keys..."); false: another name. */
static bool sl_kf_run_name(const char *n, const char *head, size_t hl, int64_t *run, bool *resumed, const char **rest)
{
    if (strncmp(n, head, hl) != 0) return false;
    const char *digits = n + hl, *end = digits;
    while (*end >= '0' && *end <= '9') end++;
    if (end == digits) return false;
    *run = strtoll(digits, NULL, 10);
    *resumed = *end == 'r';
    *rest = end + *resumed;
    return **rest == '-';
}

/* Whether rest is "-<table>.keys" (0), a leftover beside it "-<table>.keys.<...>" (1), or neither (-1). */
static int sl_kf_table_name(const char *rest, const char *table)
{
    size_t n = strlen(table);
    if (strncmp(rest + 1, table, n) != 0 || strncmp(rest + 1 + n, ".keys", 5) != 0) return -1;
    const char *after = rest + 1 + n + 5;
    return *after == '\0' ? 0 : *after == '.' ? 1 : -1;
}

/* Removes dir's files of job "<job>-run<N>[r]-..." for which goes() says so; the number removed. */
static int sl_kf_remove(const char *dir, const char *job, bool (*goes)(const void *ctx, int64_t run, bool resumed,
                                                                      const char *rest), const void *ctx)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    char *head = sl_sprintf("%s-run", job);
    size_t hl = strlen(head);
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int64_t run;
        bool resumed;
        const char *rest;
        if (!sl_kf_run_name(e->d_name, head, hl, &run, &resumed, &rest) || !goes(ctx, run, resumed, rest)) continue;
        char *p = sl_sprintf("%s/%s", dir, e->d_name);
        if (unlink(p) == 0) removed++;
        sl_free(p);
    }
    closedir(d);
    sl_free(head);
    return removed;
}

typedef struct sl_kf_one {
    const char *table;
    int64_t keep;
} sl_kf_one;

/* "<job>-run<N>[r]-<table>.keys" but run keep's, or a run's leftover beside it (".tmp", ".part-*",
 * ".gone-*.csv": a crash left it; every run of the table is done with them when it publishes). */
static bool sl_kf_goes_one(const void *ctx, int64_t run, bool resumed, const char *rest)
{
    const sl_kf_one *o = ctx;
    int kind = sl_kf_table_name(rest, o->table);
    return kind > 0 || (kind == 0 && (resumed || run != o->keep));
}

int sl_keyfile_prune(const char *dir, const char *job, const char *table, int64_t keep)
{
    sl_kf_one o = { table, keep };
    return sl_kf_remove(dir, job, sl_kf_goes_one, &o);
}

typedef struct sl_kf_tables {
    char *const *names;
    int n;
} sl_kf_tables;

/* A file of none of the tables. */
static bool sl_kf_goes_other(const void *ctx, int64_t run, bool resumed, const char *rest)
{
    const sl_kf_tables *t = ctx;
    (void)run;
    (void)resumed;
    for (int i = 0; i < t->n; i++)
        if (sl_kf_table_name(rest, t->names[i]) >= 0) return false;
    return true;
}

int sl_keyfile_prune_others(const char *dir, const char *job, char *const *tables, int ntables)
{
    sl_kf_tables t = { tables, ntables };
    return sl_kf_remove(dir, job, sl_kf_goes_other, &t);
}
