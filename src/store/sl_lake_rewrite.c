/*
 * sl_lake_rewrite.c - the native rewrite of a merge's touched lake file:
 * its rows whose key does not leave, read by sluice's Parquet reader and
 * written by its writer, for a table whose key is one integer column.
 *
 * Why: the rewrite is most of an incremental merge's time. DuckDB's COPY
 * (select * from read_parquet(file) anti join sl_gone) spent ~1.4 s of CPU
 * on a file of 1.25M rows, building a hash table of the leaving keys and
 * converting every value into its vectors and back; sluice's reader and
 * writer move the same rows in a fraction of that. With one integer key the
 * anti-join is a lookup in a sorted array of the leaving keys
 * (sl_lake_gone: read from DuckDB's sl_gone once per merge, shared by the
 * threads), galloping from the last match, so a file in key order is one
 * merge pass; NULL keys stay. Rows keep their order; a batch that loses
 * rows is compacted in place (no allocation per row).
 *
 * Schema fidelity: the reader maps Parquet types to sluice's and the
 * writer maps them back, which is the identity for the files sluice's
 * writer made but not for every file DuckDB made (a rewrite by an older
 * version, another integer annotation, INT96, a required list element).
 * So the written file's schema elements (names, order, physical, converted
 * and logical types, repetition, list levels) are compared with the old
 * file's, and any difference, a column the reader refuses, a read error or
 * a row count that does not add up hands the file back to the caller (0),
 * which rewrites it with DuckDB as before. The file is written with direct
 * I/O, as the run's own part files are, and fsynced; its CRC and size are
 * taken as it is written (no read-back). The caller names it and gives it
 * the old file's bounds.
 *
 * Footer: the target's codec, level, row-group and page sizes, as the
 * Parquet sink uses them, and the key/value metadata the caller passes (the
 * engine's sluice.* pairs, with this run's id: the file is this run's
 * output, like the run's part files).
 */
#include "sl_lake_rewrite.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_out.h"
#include "../parquet/sl_compress.h"
#include "../parquet/sl_pq_format.h"
#include "../parquet/sl_pq_reader.h"
#include "sl_duck.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool sl_lr_int_type(sl_type_id t)
{
    return t == SL_T_INT16 || t == SL_T_INT32 || t == SL_T_INT64;
}

bool sl_lake_native_ok(const sl_job_table *cfg, const sl_schema *schema)
{
    const char *env = getenv("SLUICE_LAKE_REWRITE");
    if (env && !strcmp(env, "duckdb")) return false;
    if (cfg->nkey != 1 || !schema) return false;
    int k = sl_schema_find(schema, cfg->key[0]);
    return k >= 0 && sl_lr_int_type(schema->fields[k].type.id);
}

/* ---- the leaving keys ---- */

int sl_lake_gone_read(struct sl_duck *d, const char *table, const char *key, sl_lake_gone *g, sl_err *err)
{
    *g = (sl_lake_gone){ 0 };
    sl_buf b = { 0 };
    sl_buf_printf(&b, "select distinct cast(");
    sl_buf_quoted(&b, key, '"');
    sl_buf_printf(&b, " as bigint) from %s where ", table);
    sl_buf_quoted(&b, key, '"');
    sl_buf_printf(&b, " is not null order by 1");
    sl_duck_reader *r = sl_duck_read(d, sl_buf_cstr(&b), err);
    sl_buf_free(&b);
    if (!r) return -1;
    const sl_schema *s = sl_duck_read_schema(r);
    int rc = 0;
    if (s->ncols != 1 || s->fields[0].type.id != SL_T_INT64)
        rc = sl_err_set(err, SL_EINTERNAL, "the leaving keys (%s) did not read as bigint", key);
    sl_batch *batch = rc == 0 ? sl_batch_new(s, 0) : NULL;
    size_t cap = 0;
    while (rc == 0) {
        sl_batch_reset(batch);
        long n = sl_duck_read_next(r, batch, err);
        if (n <= 0) {
            rc = n < 0 ? -1 : 0;
            break;
        }
        const sl_vector *v = &batch->cols[0];
        if (g->n + (size_t)n > cap) {
            while (g->n + (size_t)n > cap) cap = cap ? cap * 2 : 4096;
            g->keys = sl_realloc(g->keys, cap * sizeof *g->keys);
        }
        for (long i = 0; i < n; i++)
            if (v->valid[i]) g->keys[g->n++] = ((const int64_t *)v->data)[i];
    }
    /* Sorted by DuckDB; checked, since a lookup in an unsorted array would keep rows that must leave. */
    for (size_t i = 1; rc == 0 && i < g->n; i++)
        if (g->keys[i - 1] >= g->keys[i])
            rc = sl_err_set(err, SL_EINTERNAL, "the leaving keys (%s) did not come sorted", key);
    sl_batch_free(batch);
    sl_duck_read_close(r);
    if (rc < 0) sl_lake_gone_free(g);
    return rc;
}

void sl_lake_gone_free(sl_lake_gone *g)
{
    sl_free(g->keys);
    *g = (sl_lake_gone){ 0 };
}

/* Whether k is a leaving key. *hint: where the last lookup ended; a key
 * above the last one gallops up from there (a file in key order costs a
 * step or two per row), another key is a binary search. */
static bool sl_lr_gone(const sl_lake_gone *g, int64_t k, size_t *hint)
{
    const int64_t *a = g->keys;
    size_t n = g->n, lo = 0, hi = n, h = *hint;
    if (n == 0 || k < a[0] || k > a[n - 1]) return false;
    if (h < n && (h == 0 || a[h - 1] < k)) {
        /* the answer (the first element >= k) is at h or above */
        lo = h;
        size_t step = 1, at = h;
        while (at < n && a[at] < k) {
            lo = at + 1;
            at = h + step;
            step *= 2;
        }
        hi = at < n ? at : n;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < k) lo = mid + 1;
        else hi = mid;
    }
    *hint = lo;
    return lo < n && a[lo] == k;
}

/* Marks drop[row] for the rows of key vector v whose key leaves; returns
 * how many. */
static size_t sl_lr_mark(const sl_vector *v, size_t nrows, const sl_lake_gone *g, size_t *hint, uint8_t *drop)
{
    size_t ndrop = 0;
    for (size_t r = 0; r < nrows; r++) {
        int64_t k;
        if (!v->valid[r]) {
            drop[r] = 0;
            continue;
        }
        switch (v->type.id) {
        case SL_T_INT16: k = ((const int16_t *)v->data)[r]; break;
        case SL_T_INT32: k = ((const int32_t *)v->data)[r]; break;
        default: k = ((const int64_t *)v->data)[r]; break;
        }
        drop[r] = sl_lr_gone(g, k, hint);
        ndrop += drop[r];
    }
    return ndrop;
}

/* ---- the schema check ---- */

/* Whether two files' schema elements are the same (the root's name and
 * repetition aside: writers name it as they like); else why into why. */
static bool sl_lr_same_schema(const sl_pq_file_meta *a, const sl_pq_file_meta *b, char *why, size_t whysize)
{
    if (a->nschema != b->nschema) {
        snprintf(why, whysize, "%d schema elements written, %d in the file", b->nschema, a->nschema);
        return false;
    }
    for (int i = 0; i < a->nschema; i++) {
        const sl_pq_schema_elem *x = &a->schema[i], *y = &b->schema[i];
        const char *what = NULL;
        if (i > 0 && strcmp(x->name ? x->name : "", y->name ? y->name : "")) what = "name";
        else if (x->type != y->type) what = "physical type";
        else if (x->type == SL_PQ_FIXED_LEN_BYTE_ARRAY && x->type_length != y->type_length) what = "type length";
        else if (i > 0 && x->repetition != y->repetition) what = "repetition";
        else if (x->num_children != y->num_children) what = "children";
        else if (x->converted != y->converted) what = "converted type";
        else if (x->scale != y->scale || x->precision != y->precision) what = "decimal scale or precision";
        else if (x->field_id != y->field_id) what = "field id";
        else if (x->logical != y->logical) what = "logical type";
        else if (x->logical == SL_PQ_LT_DECIMAL && (x->lt_scale != y->lt_scale || x->lt_precision != y->lt_precision))
            what = "logical decimal";
        else if ((x->logical == SL_PQ_LT_TIME || x->logical == SL_PQ_LT_TIMESTAMP) &&
                 (x->lt_utc != y->lt_utc || x->lt_unit != y->lt_unit))
            what = "time unit or UTC adjustment";
        else if (x->logical == SL_PQ_LT_INTEGER && (x->lt_bit_width != y->lt_bit_width || x->lt_signed != y->lt_signed))
            what = "integer width or sign";
        if (what) {
            char lx[64], ly[64];
            snprintf(why, whysize, "schema element %d (%s): %s differs (file: %s %s %s, written: %s %s %s)", i,
                     x->name ? x->name : "?", what, x->type >= 0 ? sl_pq_physical_name(x->type) : "group",
                     x->converted >= 0 ? sl_pq_converted_name(x->converted) : "-",
                     sl_pq_logical_format(x, lx, sizeof lx), y->type >= 0 ? sl_pq_physical_name(y->type) : "group",
                     y->converted >= 0 ? sl_pq_converted_name(y->converted) : "-",
                     sl_pq_logical_format(y, ly, sizeof ly));
            return false;
        }
    }
    return true;
}

/* ---- one file ---- */

static int sl_lr_writer_opts(const sl_job_target *t, sl_pq_writer_opts *o, char *why, size_t whysize)
{
    sl_pq_writer_opts_default(o);
    if (t->compression && *t->compression) {
        int codec = sl_compress_codec_parse(t->compression);
        if (codec < 0) {
            snprintf(why, whysize, "compression \"%s\" unknown", t->compression);
            return -1;
        }
        o->codec = codec;
    }
    o->level = t->compression_level;
    if (t->row_group_bytes > 0) o->row_group_bytes = t->row_group_bytes;
    if (t->page_bytes > 0) o->page_bytes = t->page_bytes;
    return 0;
}

/* The reading side of a rewrite: the next batch of the file without its
 * leaving rows. */
typedef struct sl_lr_read {
    sl_pq_reader *r;
    int kc;                  /* the key column */
    const sl_lake_gone *gone;
    size_t hint;
    int64_t nread;           /* rows read, the leaving ones too */
    char *why;               /* a read failure: why the DuckDB path takes the file */
    size_t whysize;
    uint8_t *drop;           /* a batch's capacity */
} sl_lr_read;

/* Fills b; the rows read (b->nrows may be fewer: the leaving rows are
 * gone), 0 at the end, -1 when the read failed (rd->why says why). */
static int64_t sl_lr_fill(sl_lr_read *rd, sl_batch *b)
{
    sl_err rerr = SL_ERR_INIT;
    int64_t n = sl_pq_reader_next(rd->r, b, &rerr);
    if (n < 0) {
        snprintf(rd->why, rd->whysize, "%s", rerr.msg);
        return -1;
    }
    rd->nread += n;
    if (n > 0 && rd->kc >= 0 && sl_lr_mark(&b->cols[rd->kc], b->nrows, rd->gone, &rd->hint, rd->drop) > 0)
        sl_batch_keep(b, rd->drop);
    return n;
}

/* ---- reading and writing on two threads ---- */

/* A file rewritten alone on a machine with a CPU to spare: a thread reads
 * and filters batches into a ring of SL_LR_SLOTS while the calling thread
 * encodes and compresses them (about a third of the work is reading, two
 * thirds writing). */
#define SL_LR_SLOTS 3
typedef struct sl_lr_pipe {
    sl_lr_read *rd;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sl_batch *slot[SL_LR_SLOTS];
    unsigned head, tail;     /* filled by the reader up to head, written up to tail */
    bool eof, stop;
} sl_lr_pipe;

static void *sl_lr_reader(void *arg)
{
    sl_lr_pipe *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->head - p->tail == SL_LR_SLOTS && !p->stop) pthread_cond_wait(&p->cv, &p->mu);
        sl_batch *b = p->stop ? NULL : p->slot[p->head % SL_LR_SLOTS];
        pthread_mutex_unlock(&p->mu);
        int64_t n = b ? sl_lr_fill(p->rd, b) : 0;
        pthread_mutex_lock(&p->mu);
        if (n > 0) p->head++;
        else p->eof = true;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (n <= 0) return NULL;
    }
}

static int sl_lr_pipelined(sl_lr_read *rd, const sl_schema *s, sl_pq_writer *w, sl_batch *first, sl_err *err)
{
    sl_lr_pipe p = { .rd = rd };
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    p.slot[0] = first;
    for (int i = 1; i < SL_LR_SLOTS; i++) p.slot[i] = sl_batch_new(s, first->capacity);
    pthread_t th;
    bool threaded = pthread_create(&th, NULL, sl_lr_reader, &p) == 0;
    int rc = 0;
    for (;;) {
        sl_batch *b = NULL;
        if (!threaded) {   /* no thread: read here */
            b = sl_lr_fill(rd, first) > 0 ? first : NULL;
        } else {
            pthread_mutex_lock(&p.mu);
            while (p.head == p.tail && !p.eof) pthread_cond_wait(&p.cv, &p.mu);
            if (p.head != p.tail) b = p.slot[p.tail % SL_LR_SLOTS];
            pthread_mutex_unlock(&p.mu);
        }
        if (!b) break;
        if (b->nrows > 0 && sl_pq_writer_write(w, b, err) < 0) rc = -1;
        if (threaded) {
            pthread_mutex_lock(&p.mu);
            p.tail++;
            if (rc < 0) p.stop = true;
            pthread_cond_broadcast(&p.cv);
            pthread_mutex_unlock(&p.mu);
        }
        if (rc < 0) break;
    }
    if (threaded) pthread_join(th, NULL);
    for (int i = 1; i < SL_LR_SLOTS; i++) sl_batch_free(p.slot[i]);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
    return rc;
}

/* Opens input `in`: its reader and schema, the key column; 0 with `why` set when the native rewrite does
 * not take it. */
static int sl_lr_open(const sl_lake_native *nv, const char *in, sl_pq_reader **r, const sl_schema **s, int *kc,
                      char *why, size_t whysize)
{
    sl_err rerr = SL_ERR_INIT;   /* the reader's refusals: not errors, the DuckDB path takes the file */
    *r = sl_pq_reader_open(in, &rerr);
    *s = *r ? sl_pq_reader_schema(*r, &rerr) : NULL;
    *kc = *s && nv->key ? sl_schema_find(*s, nv->key) : -1;
    if (!*s) snprintf(why, whysize, "%s", rerr.msg);
    else if (!nv->key) return 1;   /* no key: every row stays (compaction) */
    else if (*kc < 0) snprintf(why, whysize, "no key column %s", nv->key);
    else if (!sl_lr_int_type((*s)->fields[*kc].type.id))
        snprintf(why, whysize, "the key column %s is not an integer", nv->key);
    if (!why[0]) return 1;
    sl_pq_reader_close(*r);
    *r = NULL;
    return 0;
}

int sl_lake_rewrite_native(const sl_lake_native *nv, char *const *in, int nin, const char *out, int64_t *rows,
                           uint32_t *crc, uint64_t *bytes, char *why, size_t whysize, sl_err *err)
{
    *rows = 0;
    why[0] = 0;
    sl_pq_writer_opts o;
    if (sl_lr_writer_opts(nv->target, &o, why, whysize) < 0) return 0;
    o.kv = nv->kv;
    o.nkv = nv->nkv;
    sl_pq_reader *first = NULL;
    const sl_schema *s;
    int kc;
    if (!sl_lr_open(nv, in[0], &first, &s, &kc, why, whysize)) return 0;
    const sl_pq_file_meta *m = sl_pq_reader_meta(first);
    int rc = 0;
    sl_out *o_file = sl_out_open_file_direct(out, err);
    sl_pq_writer *w = o_file ? sl_pq_writer_open(o_file, s, &o, err) : NULL;
    if (!w) rc = -1;
    sl_batch *b = sl_batch_new(s, 0);
    uint8_t *drop = sl_malloc(b->capacity);
    /* Each input in turn into the one output; every input's Parquet schema the first's. */
    for (int i = 0; i < nin && rc == 0 && !why[0]; i++) {
        sl_pq_reader *r = first;
        if (i > 0) {
            const sl_schema *si;
            if (!sl_lr_open(nv, in[i], &r, &si, &kc, why, whysize)) break;
            if (!sl_lr_same_schema(m, sl_pq_reader_meta(r), why, whysize)) {
                char w2[300];
                snprintf(w2, sizeof w2, "%s", why);
                snprintf(why, whysize, "%s and %s differ: %s", in[0], in[i], w2);
                sl_pq_reader_close(r);
                break;
            }
        }
        sl_lr_read rd = { r, kc, nv->gone, 0, 0, why, whysize, drop };
        if (nv->pipeline && nin == 1) {
            rc = sl_lr_pipelined(&rd, s, w, b, err);
        } else {
            while (rc == 0) {
                int64_t n = sl_lr_fill(&rd, b);
                if (n <= 0) break;
                if (b->nrows > 0 && sl_pq_writer_write(w, b, err) < 0) rc = -1;
            }
        }
        const sl_pq_file_meta *mi = sl_pq_reader_meta(r);
        if (rc == 0 && !why[0] && rd.nread != mi->num_rows)
            snprintf(why, whysize, "%s: %lld rows read, the footer says %lld", in[i], (long long)rd.nread,
                     (long long)mi->num_rows);
        if (i > 0) sl_pq_reader_close(r);
    }
    sl_free(drop);
    sl_batch_free(b);
    if (rc == 0 && !why[0] && sl_pq_writer_close(w, err) < 0) rc = -1;
    if (rc == 0 && !why[0]) *rows = sl_pq_writer_rows(w);
    sl_pq_writer_free(w);
    if (o_file) {
        if (rc == 0 && !why[0]) {
            /* The CRC and size of what was written: the manifest entry needs no read-back. */
            if (crc) *crc = o_file->crc;
            if (bytes) *bytes = o_file->bytes;
            if (sl_out_close(o_file, true, err) < 0) rc = -1;
        } else {
            sl_out_abort(o_file);
        }
    }
    if (rc == 0 && !why[0]) {
        sl_err rerr = SL_ERR_INIT;
        sl_pq_reader *nr = sl_pq_reader_open(out, &rerr);
        if (!nr) snprintf(why, whysize, "the written file does not read back: %s", rerr.msg);
        else sl_lr_same_schema(m, sl_pq_reader_meta(nr), why, whysize);
        if (nr && !why[0] && sl_pq_reader_meta(nr)->num_rows != *rows)
            snprintf(why, whysize, "%lld rows written, the new footer says %lld", (long long)*rows,
                     (long long)sl_pq_reader_meta(nr)->num_rows);
        sl_pq_reader_close(nr);
    }
    sl_pq_reader_close(first);
    if (rc < 0 || why[0]) {
        unlink(out);
        *rows = 0;
    }
    if (rc < 0) sl_err_prefix(err, "rewriting %s", in[0]);
    return rc < 0 ? -1 : why[0] ? 0 : 1;
}
