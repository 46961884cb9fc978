/*
 * sl_pq_reader.c - the Parquet reader (see sl_pq_reader.h).
 *
 * Structure: open maps the file and parses the footer (sl_pq_meta); select
 * maps each chosen column to an sl_type and a conversion; next walks the row
 * groups, skipping those a filter excludes, and for each selected column
 * pulls rows from its current page: definition levels -> validity, values
 * (plain, dictionary indices gathered from the dictionary, delta, ...) ->
 * physical values -> converted into the batch vector. Pages are read one at
 * a time from the memory-mapped chunk; a page's values are decoded a batch at
 * a time, so no allocation depends on an untrusted count.
 */
#include "sl_pq_reader.h"

#include "core/sl_alloc.h"
#include "core/sl_buf.h"
#include "core/sl_crc32.h"
#include "sl_decompress.h"
#include "sl_pq_decode.h"
#include "sl_pq_format.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Conversions from a physical value to an sl_type value. */
enum sl_conv {
    CV_BOOL,
    CV_I32,          /* int32 -> int32 or date */
    CV_I32_I16,      /* int8/int16 -> int16 */
    CV_U8_I16,
    CV_U16_I32,
    CV_U32_I64,
    CV_I32_TIME_MS,
    CV_I32_DEC,
    CV_I64,          /* int64 -> int64, time/timestamp micros */
    CV_I64_MS,       /* millis -> micros */
    CV_I64_NS,       /* nanos -> micros */
    CV_U64_DEC,
    CV_I64_DEC,
    CV_INT96,
    CV_F32,
    CV_F64,
    CV_F16,
    CV_BIN,          /* -> string, bytes, json */
    CV_BIN_DEC,
    CV_UUID,
};

typedef struct sl_pq_col {
    int leaf;
    const sl_pq_schema_elem *se;
    const char *name;
    int ptype, flba_len, pwidth;
    bool bytes_shape;          /* BYTE_ARRAY / FLBA: values as sl_pq_bv */
    int max_def;
    sl_type type;              /* a list's element type for LIST columns */
    int conv;
    /* LIST columns (one repeated level): levels of the whole page decoded at
     * once; d_list: def below it is a NULL list, d_rep: def from which an
     * entry is an element (sl_col_read_list) */
    bool list;
    int max_rep, d_list, d_rep;
    sl_pq_hyb rlvl;
    uint32_t *pl_rep, *pl_def;
    size_t pl_cap, pl_n, pl_pos;
    /* chunk */
    const uint8_t *pos, *chunk_end, *file;
    sl_buf chunk;              /* a ranged input's column chunk, fetched per row group */
    int64_t chunk_values, values_seen;
    int codec;
    int page_no;
    /* dictionary */
    bool has_dict;
    sl_buf dict_page;
    uint8_t *dict_fixed;       /* fixed shape: dict_n * pwidth bytes */
    sl_pq_bv *dict_bv;         /* bytes shape */
    uint32_t dict_n;
    /* current page */
    sl_buf page;
    int64_t page_left;
    int lvl_kind;              /* 0 none, 1 hybrid, 2 BIT_PACKED */
    sl_pq_hyb lvl;
    const uint8_t *lvl_p;
    size_t lvl_bytes;
    uint64_t lvl_next;
    sl_pq_vdec vdec;
    bool vdec_live;
    /* scratch, sized to the batch */
    size_t cap;
    uint32_t *lv, *idx;
    uint8_t *valid, *fixed;
    sl_pq_bv *bv;
    sl_buf heap;
} sl_pq_col;

struct sl_pq_reader {
    char *name;
    const uint8_t *data;
    size_t size;
    bool mapped;
    bool ranged;               /* read through `in` (no data): footer and column chunks by range */
    sl_pq_input in;
    uint64_t footer_start;
    uint32_t footer_crc;       /* CRC-32 of the footer, its length and the end magic: the file's identity */
    sl_arena arena;
    sl_pq_file_meta meta;
    /* selection */
    sl_schema *schema;
    sl_pq_col *cols;
    int ncols;
    /* position */
    int rg;                    /* current row group, rg_first - 1 before the first */
    int rg_first, rg_end;      /* the range read: [rg_first, rg_end) (sl_pq_reader_row_groups) */
    int64_t rg_rows_left;
    bool done;
    int skipped;
    /* filter */
    bool has_filter;
    int filter_col;
    sl_pq_op filter_op;
    sl_pq_value filter_value;
};

/* ---- open ---- */

static sl_pq_reader *sl_reader_init(sl_pq_reader *r, sl_err *err)
{
    const uint8_t *d = r->data;
    size_t n = r->size;
    if (n >= 4 && !memcmp(d, SL_PQ_MAGIC_ENCRYPTED, 4))
        goto encrypted;
    if (n < 12) {
        sl_err_set(err, SL_EFORMAT, "not a Parquet file: only %zu bytes", n);
        goto fail;
    }
    if (!memcmp(d + n - 4, SL_PQ_MAGIC_ENCRYPTED, 4)) goto encrypted;
    if (memcmp(d, SL_PQ_MAGIC, 4) || memcmp(d + n - 4, SL_PQ_MAGIC, 4)) {
        sl_err_set(err, SL_EFORMAT, "not a Parquet file: the PAR1 magic is missing at its %s",
                   memcmp(d, SL_PQ_MAGIC, 4) ? "start" : "end");
        goto fail;
    }
    uint32_t flen = (uint32_t)d[n - 8] | (uint32_t)d[n - 7] << 8 | (uint32_t)d[n - 6] << 16 | (uint32_t)d[n - 5] << 24;
    if (flen > n - 12) {
        sl_err_set(err, SL_EFORMAT, "corrupt footer: its length %u exceeds the file size %zu", flen, n);
        goto fail;
    }
    r->footer_start = n - 8 - flen;
    r->footer_crc = sl_crc32(0, d + r->footer_start, (size_t)flen + 8);
    sl_arena_init(&r->arena, 64 * 1024);
    if (sl_pq_meta_parse(d + r->footer_start, flen, r->footer_start, &r->arena, &r->meta, err) < 0) {
        sl_arena_destroy(&r->arena);
        goto fail;
    }
    r->rg = -1;
    r->rg_end = r->meta.nrow_groups;
    return r;
encrypted:
    sl_err_set(err, SL_ETYPE, "encrypted Parquet files are not supported; decrypt the file first");
fail:
    sl_err_prefix(err, "%s", r->name);
    if (r->mapped && r->size) munmap((void *)r->data, r->size);
    sl_free(r->name);
    sl_free(r);
    return NULL;
}

sl_pq_reader *sl_pq_reader_open(const char *path, sl_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        sl_err_set(err, SL_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        sl_err_set(err, SL_EIO, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    sl_pq_reader *r = sl_calloc(1, sizeof *r);
    r->name = sl_strdup(path);
    r->size = (size_t)st.st_size;
    r->mapped = true;
    if (r->size) {
        void *m = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            sl_err_set(err, SL_EIO, "%s: cannot map: %s", path, strerror(errno));
            close(fd);
            sl_free(r->name);
            sl_free(r);
            return NULL;
        }
        r->data = m;
    }
    close(fd);
    return sl_reader_init(r, err);
}

sl_pq_reader *sl_pq_reader_open_mem(const void *data, size_t len, const char *name, sl_err *err)
{
    sl_pq_reader *r = sl_calloc(1, sizeof *r);
    r->name = sl_strdup(name ? name : "(memory)");
    r->data = data;
    r->size = len;
    return sl_reader_init(r, err);
}

/* The footer of a ranged input: its last 64 KiB, then the rest of a larger
 * footer; the start magic is not fetched (one request less). */
sl_pq_reader *sl_pq_reader_open_input(const sl_pq_input *in, const char *name, sl_err *err)
{
    sl_pq_reader *r = sl_calloc(1, sizeof *r);
    r->name = sl_strdup(name ? name : "(input)");
    r->ranged = true;
    r->in = *in;
    r->size = (size_t)in->size;
    sl_buf tail = { 0 };
    uint64_t n = in->size, want = n < 65536 ? n : 65536;
    if (n < 12) {
        sl_err_set(err, SL_EFORMAT, "not a Parquet file: only %llu bytes", (unsigned long long)n);
        goto fail;
    }
    if (in->read_at(in->ctx, n - want, (size_t)want, &tail, err) < 0) goto fail;
    if (tail.len != want) {
        sl_err_set(err, SL_EIO, "read %zu bytes of the footer, wanted %llu", tail.len, (unsigned long long)want);
        goto fail;
    }
    const uint8_t *e = tail.data + tail.len;
    if (!memcmp(e - 4, SL_PQ_MAGIC_ENCRYPTED, 4)) {
        sl_err_set(err, SL_ETYPE, "encrypted Parquet files are not supported; decrypt the file first");
        goto fail;
    }
    if (memcmp(e - 4, SL_PQ_MAGIC, 4)) {
        sl_err_set(err, SL_EFORMAT, "not a Parquet file: the PAR1 magic is missing at its end");
        goto fail;
    }
    uint32_t flen = (uint32_t)e[-8] | (uint32_t)e[-7] << 8 | (uint32_t)e[-6] << 16 | (uint32_t)e[-5] << 24;
    if (flen > n - 12) {
        sl_err_set(err, SL_EFORMAT, "corrupt footer: its length %u exceeds the file size %llu", flen,
                   (unsigned long long)n);
        goto fail;
    }
    r->footer_start = n - 8 - flen;
    if ((uint64_t)flen + 8 > want) {
        sl_buf_clear(&tail);
        if (in->read_at(in->ctx, r->footer_start, (size_t)flen + 8, &tail, err) < 0) goto fail;
        if (tail.len != (size_t)flen + 8) {
            sl_err_set(err, SL_EIO, "read %zu bytes of the footer, wanted %u", tail.len, flen + 8);
            goto fail;
        }
    }
    const uint8_t *footer = tail.data + tail.len - 8 - flen;
    r->footer_crc = sl_crc32(0, footer, (size_t)flen + 8);
    sl_arena_init(&r->arena, 64 * 1024);
    if (sl_pq_meta_parse(footer, flen, r->footer_start, &r->arena, &r->meta, err) < 0) {
        sl_arena_destroy(&r->arena);
        goto fail;
    }
    sl_buf_free(&tail);
    r->rg = -1;
    r->rg_end = r->meta.nrow_groups;
    return r;
fail:
    sl_buf_free(&tail);
    sl_err_prefix(err, "%s", r->name);
    if (in->close) in->close(in->ctx);
    sl_free(r->name);
    sl_free(r);
    return NULL;
}

static void sl_col_free(sl_pq_col *c)
{
    sl_buf_free(&c->chunk);
    sl_free(c->pl_rep);
    sl_free(c->pl_def);
    sl_buf_free(&c->dict_page);
    sl_free(c->dict_bv);
    sl_free(c->dict_fixed);
    sl_buf_free(&c->page);
    if (c->vdec_live) sl_pq_vdec_free(&c->vdec);
    sl_free(c->lv);
    sl_free(c->idx);
    sl_free(c->valid);
    sl_free(c->fixed);
    sl_free(c->bv);
    sl_buf_free(&c->heap);
}

static void sl_reader_clear_selection(sl_pq_reader *r)
{
    for (int i = 0; i < r->ncols; i++) sl_col_free(&r->cols[i]);
    sl_free(r->cols);
    r->cols = NULL;
    r->ncols = 0;
    sl_schema_free(r->schema);
    r->schema = NULL;
    sl_free(r->filter_value.owned);
    r->filter_value.owned = NULL;
    r->has_filter = false;
}

void sl_pq_reader_close(sl_pq_reader *r)
{
    if (!r) return;
    sl_reader_clear_selection(r);
    sl_arena_destroy(&r->arena);
    if (r->mapped && r->size) munmap((void *)r->data, r->size);
    if (r->ranged && r->in.close) r->in.close(r->in.ctx);
    sl_free(r->name);
    sl_free(r);
}

const char *sl_pq_reader_name(const sl_pq_reader *r) { return r->name; }
const sl_pq_file_meta *sl_pq_reader_meta(const sl_pq_reader *r) { return &r->meta; }
uint32_t sl_pq_reader_footer_crc(const sl_pq_reader *r) { return r->footer_crc; }

uint64_t sl_pq_reader_file_size(const sl_pq_reader *r) { return r->size; }
int sl_pq_reader_skipped_row_groups(const sl_pq_reader *r) { return r->skipped; }

/* ---- type mapping ---- */

static int sl_map_decimal(const sl_pq_schema_elem *e, int32_t prec, int32_t scale, sl_type *t, sl_err *err)
{
    if (prec < 1 || prec > 38)
        return sl_err_set(err, SL_ETYPE, "column %s: DECIMAL precision %d is not supported (1..38)", e->name, prec);
    if (scale < 0) scale = 0;
    if (scale > prec)
        return sl_err_set(err, SL_ETYPE, "column %s: DECIMAL scale %d is larger than its precision %d", e->name, scale, prec);
    t->id = SL_T_DECIMAL;
    t->precision = (uint8_t)prec;
    t->scale = (uint8_t)scale;
    return 0;
}

static int sl_map_elem(const sl_pq_schema_elem *e, sl_type *t, int *conv, sl_err *err)
{
    memset(t, 0, sizeof *t);
    int lt = e->logical, ct = e->converted;
    bool is_dec = lt == SL_PQ_LT_DECIMAL || (lt == 0 && ct == SL_PQ_CT_DECIMAL);
    int32_t prec = lt == SL_PQ_LT_DECIMAL ? e->lt_precision : e->precision;
    int32_t scale = lt == SL_PQ_LT_DECIMAL ? e->lt_scale : e->scale;
    if (lt == SL_PQ_LT_DECIMAL && prec < 0) { prec = e->precision; scale = e->scale; }
    int unit = 0, bw = 0;
    bool sgn = true, is_ts = false, is_time = false, is_int = false, utc = false;
    if (lt == SL_PQ_LT_TIMESTAMP) { is_ts = true; unit = e->lt_unit; utc = e->lt_utc; }
    else if (lt == SL_PQ_LT_TIME) { is_time = true; unit = e->lt_unit; }
    else if (lt == SL_PQ_LT_INTEGER) { is_int = true; bw = e->lt_bit_width; sgn = e->lt_signed; }
    else if (lt == 0) {
        switch (ct) {
        case SL_PQ_CT_TIMESTAMP_MILLIS: is_ts = true; unit = SL_PQ_UNIT_MILLIS; utc = true; break;
        case SL_PQ_CT_TIMESTAMP_MICROS: is_ts = true; unit = SL_PQ_UNIT_MICROS; utc = true; break;
        case SL_PQ_CT_TIME_MILLIS: is_time = true; unit = SL_PQ_UNIT_MILLIS; break;
        case SL_PQ_CT_TIME_MICROS: is_time = true; unit = SL_PQ_UNIT_MICROS; break;
        case SL_PQ_CT_UINT_8: is_int = true; bw = 8; sgn = false; break;
        case SL_PQ_CT_UINT_16: is_int = true; bw = 16; sgn = false; break;
        case SL_PQ_CT_UINT_32: is_int = true; bw = 32; sgn = false; break;
        case SL_PQ_CT_UINT_64: is_int = true; bw = 64; sgn = false; break;
        case SL_PQ_CT_INT_8: is_int = true; bw = 8; break;
        case SL_PQ_CT_INT_16: is_int = true; bw = 16; break;
        case SL_PQ_CT_INT_32: is_int = true; bw = 32; break;
        case SL_PQ_CT_INT_64: is_int = true; bw = 64; break;
        default: break;
        }
    }
    bool is_date = lt == SL_PQ_LT_DATE || (lt == 0 && ct == SL_PQ_CT_DATE);
    bool is_string = lt == SL_PQ_LT_STRING || lt == SL_PQ_LT_ENUM ||
                     (lt == 0 && (ct == SL_PQ_CT_UTF8 || ct == SL_PQ_CT_ENUM));
    bool is_json = lt == SL_PQ_LT_JSON || (lt == 0 && ct == SL_PQ_CT_JSON);

    switch (e->type) {
    case SL_PQ_BOOLEAN:
        t->id = SL_T_BOOL; *conv = CV_BOOL; return 0;
    case SL_PQ_INT32:
        if (is_dec) { *conv = CV_I32_DEC; return sl_map_decimal(e, prec, scale, t, err); }
        if (is_date) { t->id = SL_T_DATE; *conv = CV_I32; return 0; }
        if (is_time && unit == SL_PQ_UNIT_MILLIS) { t->id = SL_T_TIME; *conv = CV_I32_TIME_MS; return 0; }
        if (is_int && bw <= 16) {
            t->id = sgn ? SL_T_INT16 : (bw <= 8 ? SL_T_INT16 : SL_T_INT32);
            *conv = sgn ? CV_I32_I16 : (bw <= 8 ? CV_U8_I16 : CV_U16_I32);
            return 0;
        }
        if (is_int && !sgn) { t->id = SL_T_INT64; *conv = CV_U32_I64; return 0; }
        t->id = SL_T_INT32; *conv = CV_I32; return 0;
    case SL_PQ_INT64:
        if (is_dec) { *conv = CV_I64_DEC; return sl_map_decimal(e, prec, scale, t, err); }
        if (is_ts || is_time) {
            t->id = is_ts ? SL_T_TIMESTAMP : SL_T_TIME;
            t->utc = is_ts && utc;
            *conv = unit == SL_PQ_UNIT_MILLIS ? CV_I64_MS : unit == SL_PQ_UNIT_NANOS ? CV_I64_NS : CV_I64;
            return 0;
        }
        if (is_int && !sgn) {
            t->id = SL_T_DECIMAL; t->precision = 20; t->scale = 0; *conv = CV_U64_DEC; return 0;
        }
        t->id = SL_T_INT64; *conv = CV_I64; return 0;
    case SL_PQ_INT96:
        t->id = SL_T_TIMESTAMP; *conv = CV_INT96; return 0;
    case SL_PQ_FLOAT:
        t->id = SL_T_FLOAT32; *conv = CV_F32; return 0;
    case SL_PQ_DOUBLE:
        t->id = SL_T_FLOAT64; *conv = CV_F64; return 0;
    case SL_PQ_BYTE_ARRAY:
        if (is_dec) { *conv = CV_BIN_DEC; return sl_map_decimal(e, prec, scale, t, err); }
        t->id = is_string ? SL_T_STRING : is_json ? SL_T_JSON : SL_T_BYTES;
        *conv = CV_BIN;
        return 0;
    case SL_PQ_FIXED_LEN_BYTE_ARRAY:
        if (is_dec) { *conv = CV_BIN_DEC; return sl_map_decimal(e, prec, scale, t, err); }
        if (lt == SL_PQ_LT_UUID && e->type_length == 16) { t->id = SL_T_UUID; *conv = CV_UUID; return 0; }
        if (lt == SL_PQ_LT_FLOAT16 && e->type_length == 2) { t->id = SL_T_FLOAT32; *conv = CV_F16; return 0; }
        t->id = is_string ? SL_T_STRING : is_json ? SL_T_JSON : SL_T_BYTES;
        *conv = CV_BIN;
        return 0;
    default:
        return sl_err_set(err, SL_ETYPE, "column %s: unknown physical type %d", e->name, e->type);
    }
}

static const char *sl_nested_kind(const sl_pq_schema_elem *e)
{
    if (e->logical == SL_PQ_LT_LIST || e->converted == SL_PQ_CT_LIST) return "LIST";
    if (e->logical == SL_PQ_LT_MAP || e->converted == SL_PQ_CT_MAP || e->converted == SL_PQ_CT_MAP_KEY_VALUE) return "MAP";
    if (e->repetition == SL_PQ_REPEATED) return "repeated";
    return "STRUCT";
}

/* A top-level field of one leaf with one repeated level, in a shape the
 * spec's LogicalTypes.md describes for lists: <group> { repeated group {
 * leaf } }, <group> { repeated leaf } (2-level), or a repeated leaf at the
 * top. *d_list, *d_rep: the definition levels of the list and of an element
 * (see sl_col_read_list). */
static bool sl_list_shape(const sl_pq_reader *r, int leaf, int *d_list, int *d_rep)
{
    const sl_pq_leaf *l = &r->meta.leaves[leaf];
    if (l->max_rep != 1) return false;
    if (leaf + 1 < r->meta.nleaves && r->meta.leaves[leaf + 1].top_idx == l->top_idx) return false;
    int top = l->top_idx, li = l->schema_idx;
    const sl_pq_schema_elem *t = &r->meta.schema[top];
    int def = 0;
    if (top == li) {                          /* repeated leaf at the top */
        if (t->repetition != SL_PQ_REPEATED) return false;
        *d_list = 0;
        *d_rep = 1;
        return true;
    }
    if (t->num_children != 1 || t->repetition == SL_PQ_REPEATED) return false;
    def += t->repetition == SL_PQ_OPTIONAL;
    const sl_pq_schema_elem *m = &r->meta.schema[top + 1];
    if (m->repetition != SL_PQ_REPEATED) return false;
    *d_list = def;
    *d_rep = def + 1;
    if (top + 1 == li) return true;           /* 2-level: repeated leaf */
    if (m->num_children != 1 || top + 2 != li) return false;
    return true;
}

int sl_pq_reader_leaf_type(const sl_pq_reader *r, int leaf, sl_type *out, sl_err *err)
{
    const sl_pq_leaf *l = &r->meta.leaves[leaf];
    int dl, dr;
    if (l->nested && sl_list_shape(r, leaf, &dl, &dr)) {
        int conv;
        sl_type e;
        if (sl_map_elem(&r->meta.schema[l->schema_idx], &e, &conv, err) < 0) return -1;
        *out = sl_type_list_of(e);
        return 0;
    }
    if (l->nested) {
        const sl_pq_schema_elem *top = &r->meta.schema[l->top_idx];
        return sl_err_set(err, SL_ETYPE, "column %s is nested (%s): not supported yet", top->name, sl_nested_kind(top));
    }
    int conv;
    return sl_map_elem(&r->meta.schema[l->schema_idx], out, &conv, err);
}

/* ---- selection ---- */

static void sl_col_init(sl_pq_reader *r, sl_pq_col *c, int leaf, sl_type t, int conv)
{
    memset(c, 0, sizeof *c);
    const sl_pq_leaf *l = &r->meta.leaves[leaf];
    c->leaf = leaf;
    c->se = &r->meta.schema[l->schema_idx];
    c->name = c->se->name;
    c->ptype = c->se->type;
    c->flba_len = c->se->type_length;
    c->pwidth = sl_pq_physical_width(c->ptype, c->flba_len);
    c->bytes_shape = c->ptype == SL_PQ_BYTE_ARRAY || c->ptype == SL_PQ_FIXED_LEN_BYTE_ARRAY;
    c->max_def = l->max_def;
    c->type = t;
    c->conv = conv;
    c->file = r->data;
}

int sl_pq_reader_select(sl_pq_reader *r, const char *const *names, int n, sl_err *err)
{
    sl_reader_clear_selection(r);
    const sl_pq_schema_elem *root = &r->meta.schema[0];
    int ntop = root->num_children;
    /* Top-level fields, in order: their schema index and first leaf. */
    int *top_schema = sl_malloc((size_t)(ntop > 0 ? ntop : 1) * sizeof *top_schema);
    int *top_leaf = sl_malloc((size_t)(ntop > 0 ? ntop : 1) * sizeof *top_leaf);
    int k = 0;
    for (int l = 0; l < r->meta.nleaves; l++) {
        int ti = r->meta.leaves[l].top_idx;
        if (k == 0 || top_schema[k - 1] != ti) {
            top_schema[k] = ti;
            top_leaf[k] = l;
            k++;
        }
    }
    int nsel = n > 0 ? n : k;
    sl_pq_col *cols = sl_calloc((size_t)(nsel > 0 ? nsel : 1), sizeof *cols);
    sl_schema *schema = sl_schema_new(nsel);
    int rc = 0;
    for (int i = 0; i < nsel && rc == 0; i++) {
        int which = i;
        if (n > 0) {
            which = -1;
            for (int j = 0; j < k; j++)
                if (!strcmp(r->meta.schema[top_schema[j]].name, names[i])) { which = j; break; }
            if (which < 0) {
                rc = sl_err_set(err, SL_EUSAGE, "%s: no column named %s", r->name, names[i]);
                break;
            }
        }
        int leaf = top_leaf[which];
        sl_type t;
        int conv = 0;
        int d_list = 0, d_rep = 0;
        bool list = r->meta.leaves[leaf].nested && sl_list_shape(r, leaf, &d_list, &d_rep);
        if (list) {
            if (sl_map_elem(&r->meta.schema[r->meta.leaves[leaf].schema_idx], &t, &conv, err) < 0) rc = -1;
        } else if (r->meta.leaves[leaf].nested) {
            rc = sl_pq_reader_leaf_type(r, leaf, &t, err);
        } else if (sl_map_elem(&r->meta.schema[r->meta.leaves[leaf].schema_idx], &t, &conv, err) < 0) {
            rc = -1;
        }
        if (rc < 0) {
            sl_err_prefix(err, "%s", r->name);
            break;
        }
        sl_col_init(r, &cols[i], leaf, t, conv);
        if (list) {
            cols[i].list = true;
            cols[i].max_rep = 1;
            cols[i].d_list = d_list;
            cols[i].d_rep = d_rep;
            sl_schema_set(schema, i, r->meta.schema[top_schema[which]].name, sl_type_list_of(t), d_list > 0);
        } else {
            sl_schema_set(schema, i, r->meta.schema[top_schema[which]].name, t, r->meta.leaves[leaf].max_def > 0);
        }
    }
    sl_free(top_schema);
    sl_free(top_leaf);
    if (rc < 0) {
        for (int i = 0; i < nsel; i++) sl_col_free(&cols[i]);
        sl_free(cols);
        sl_schema_free(schema);
        return -1;
    }
    r->cols = cols;
    r->ncols = nsel;
    r->schema = schema;
    r->rg = r->rg_first - 1;
    r->rg_rows_left = 0;
    r->done = false;
    return 0;
}

const sl_schema *sl_pq_reader_schema(sl_pq_reader *r, sl_err *err)
{
    if (!r->schema && sl_pq_reader_select(r, NULL, 0, err) < 0) return NULL;
    return r->schema;
}

/* ---- conversion of physical values into a batch vector ---- */

static float sl_half_to_float(uint16_t h)
{
    int sign = h >> 15, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    float v;
    if (exp == 0) v = ldexpf((float)man, -24);
    else if (exp == 31) v = man ? NAN : INFINITY;
    else v = ldexpf((float)(man | 0x400), exp - 25);
    return sign ? -v : v;
}

/* Big-endian two's complement of len bytes -> 128 bits. */
static int sl_be_to_i128(const uint8_t *p, size_t len, sl_i128 *out)
{
    if (len == 0) { *out = 0; return 0; }
    size_t skip = 0;
    if (len > 16) {
        uint8_t ext = (p[0] & 0x80) ? 0xff : 0x00;
        for (skip = 0; skip < len - 16; skip++)
            if (p[skip] != ext) return -1;
        if ((p[skip] & 0x80) != (ext & 0x80)) return -1;
    }
    unsigned __int128 u = (p[skip] & 0x80) ? ~(unsigned __int128)0 : 0;
    for (size_t i = skip; i < len; i++) u = (u << 8) | p[i];
    *out = (sl_i128)u;
    return 0;
}

static int sl_store_dec(sl_vector *v, size_t row, sl_i128 x, sl_err *err)
{
    if (v->width == 8 && (x < INT64_MIN || x > INT64_MAX))
        return sl_err_set(err, SL_EDATA, "decimal value does not fit its precision %d", v->type.precision);
    sl_vec_set_decimal(v, row, x);
    return 0;
}

static int sl_conv_one(const sl_pq_col *c, const uint8_t *src, size_t len, sl_vector *v, size_t row, sl_err *err)
{
    int32_t i32;
    int64_t i64;
    switch (c->conv) {
    case CV_BOOL: *(uint8_t *)sl_vec_slot(v, row) = src[0] != 0; return 0;
    case CV_I32: memcpy(sl_vec_slot(v, row), src, 4); return 0;
    case CV_I32_I16: {
        memcpy(&i32, src, 4);
        if (i32 < INT16_MIN || i32 > INT16_MAX)
            return sl_err_set(err, SL_EDATA, "value %d does not fit its 16-bit integer type", i32);
        int16_t s = (int16_t)i32;
        memcpy(sl_vec_slot(v, row), &s, 2);
        return 0;
    }
    case CV_U8_I16: { memcpy(&i32, src, 4); int16_t s = (int16_t)((uint32_t)i32 & 0xff); memcpy(sl_vec_slot(v, row), &s, 2); return 0; }
    case CV_U16_I32: { memcpy(&i32, src, 4); int32_t s = (int32_t)((uint32_t)i32 & 0xffff); memcpy(sl_vec_slot(v, row), &s, 4); return 0; }
    case CV_U32_I64: { memcpy(&i32, src, 4); i64 = (int64_t)(uint32_t)i32; memcpy(sl_vec_slot(v, row), &i64, 8); return 0; }
    case CV_I32_TIME_MS: { memcpy(&i32, src, 4); i64 = (int64_t)i32 * 1000; memcpy(sl_vec_slot(v, row), &i64, 8); return 0; }
    case CV_I32_DEC: memcpy(&i32, src, 4); return sl_store_dec(v, row, i32, err);
    case CV_I64: memcpy(sl_vec_slot(v, row), src, 8); return 0;
    case CV_I64_MS:
        memcpy(&i64, src, 8);
        if (__builtin_mul_overflow(i64, 1000, &i64))
            return sl_err_set(err, SL_EDATA, "millisecond value does not fit microseconds in 64 bits");
        memcpy(sl_vec_slot(v, row), &i64, 8);
        return 0;
    case CV_I64_NS:
        memcpy(&i64, src, 8);
        i64 = i64 / 1000 - (i64 % 1000 < 0);
        memcpy(sl_vec_slot(v, row), &i64, 8);
        return 0;
    case CV_U64_DEC: { uint64_t u; memcpy(&u, src, 8); return sl_store_dec(v, row, (sl_i128)u, err); }
    case CV_I64_DEC: memcpy(&i64, src, 8); return sl_store_dec(v, row, i64, err);
    case CV_INT96: {
        /* Spark's reading of INT96: signed Julian day and signed nanos of
         * day, combined in wrapping 64-bit arithmetic (int96_from_spark.md
         * lists the values this gives beyond the nanosecond range). */
        int64_t nanos;
        int32_t jd;
        memcpy(&nanos, src, 8);
        memcpy(&jd, src + 8, 4);
        uint64_t us = (uint64_t)((int64_t)jd - 2440588) * 86400000000ULL + (uint64_t)(nanos / 1000);
        memcpy(sl_vec_slot(v, row), &us, 8);
        return 0;
    }
    case CV_F32: memcpy(sl_vec_slot(v, row), src, 4); return 0;
    case CV_F64: memcpy(sl_vec_slot(v, row), src, 8); return 0;
    case CV_F16: {
        uint16_t h = (uint16_t)(src[0] | src[1] << 8);
        float f = sl_half_to_float(h);
        memcpy(sl_vec_slot(v, row), &f, 4);
        return 0;
    }
    case CV_BIN: sl_vec_set_bytes(v, row, src, len); return 0;
    case CV_BIN_DEC: {
        sl_i128 x;
        if (sl_be_to_i128(src, len, &x) < 0)
            return sl_err_set(err, SL_EDATA, "decimal value of %zu bytes does not fit 128 bits", len);
        return sl_store_dec(v, row, x, err);
    }
    case CV_UUID:
        if (len != 16) return sl_err_set(err, SL_EDATA, "UUID value of %zu bytes", len);
        memcpy(sl_vec_slot(v, row), src, 16);
        return 0;
    default:
        return sl_err_set(err, SL_EINTERNAL, "unknown conversion %d", c->conv);
    }
}

/* k rows starting at batch row row0: valid[i] says which have a value; the
 * values are in c->fixed (fixed shape) or c->bv (bytes shape). */
static int sl_col_convert(sl_pq_col *c, size_t k, size_t nn, sl_vector *v, size_t row0, sl_err *err)
{
    /* Physical value already in the vector's representation: copy. */
    bool identity = c->conv == CV_I32 || c->conv == CV_I64 || c->conv == CV_F32 || c->conv == CV_F64 ||
                    c->conv == CV_BOOL || (c->conv == CV_I64_DEC && v->width == 8);
    if (identity && (size_t)c->pwidth == v->width) {
        size_t w = v->width;
        if (nn == k) {
            memcpy(v->data + row0 * w, c->fixed, k * w);
            memset(v->valid + row0, 1, k);
            return 0;
        }
        const uint8_t *src = c->fixed;
        uint8_t *dst = v->data + row0 * w;
        for (size_t i = 0; i < k; i++, dst += w) {
            v->valid[row0 + i] = c->valid[i];
            if (c->valid[i]) {
                memcpy(dst, src, w);
                src += w;
            } else {
                memset(dst, 0, w);
            }
        }
        return 0;
    }
    if (c->conv == CV_BIN) {
        /* strings and bytes: one heap reservation for the run */
        size_t total = 0;
        for (size_t j = 0; j < nn; j++) total += c->bv[j].len;
        size_t off = (size_t)v->offsets[row0];
        if (off + total > v->heap_cap) {
            size_t cap = v->heap_cap ? v->heap_cap : 4096;
            while (cap < off + total) cap *= 2;
            v->heap = sl_realloc(v->heap, cap);
            v->heap_cap = cap;
        }
        size_t j = 0;
        for (size_t i = 0; i < k; i++) {
            size_t row = row0 + i;
            v->valid[row] = c->valid[i];
            if (c->valid[i]) {
                if (c->bv[j].len) memcpy(v->heap + off, c->bv[j].p, c->bv[j].len);
                off += c->bv[j].len;
                j++;
            }
            v->offsets[row + 1] = (int64_t)off;
        }
        v->heap_len = off;
        return 0;
    }
    size_t j = 0;
    for (size_t i = 0; i < k; i++) {
        if (!c->valid[i]) {
            sl_vec_set_null(v, row0 + i);
            continue;
        }
        int rc;
        if (c->bytes_shape)
            rc = sl_conv_one(c, c->bv[j].p, c->bv[j].len, v, row0 + i, err);
        else
            rc = sl_conv_one(c, c->fixed + j * (size_t)c->pwidth, (size_t)c->pwidth, v, row0 + i, err);
        if (rc < 0) return -1;
        j++;
    }
    return 0;
}

/* ---- pages ---- */

static void sl_col_scratch(sl_pq_col *c, size_t n)
{
    if (n <= c->cap) return;
    c->lv = sl_realloc(c->lv, n * sizeof *c->lv);
    c->idx = sl_realloc(c->idx, n * sizeof *c->idx);
    c->valid = sl_realloc(c->valid, n);
    c->fixed = sl_realloc(c->fixed, n * (size_t)(c->pwidth > 0 ? c->pwidth : 1));
    c->bv = sl_realloc(c->bv, n * sizeof *c->bv);
    c->cap = n;
}

static int sl_col_read_dict(sl_pq_col *c, const sl_pq_page_header *h, const uint8_t *payload, sl_err *err)
{
    if (c->has_dict) return sl_err_set(err, SL_EFORMAT, "a second dictionary page");
    if (c->values_seen > 0) return sl_err_set(err, SL_EFORMAT, "a dictionary page after data pages");
    if (!h->has_dict_header) return sl_err_set(err, SL_EFORMAT, "dictionary page without its header");
    if (h->num_values < 0) return sl_err_set(err, SL_EFORMAT, "dictionary page with a negative value count %d", h->num_values);
    if (h->encoding != SL_PQ_ENC_PLAIN && h->encoding != SL_PQ_ENC_PLAIN_DICTIONARY)
        return sl_err_set(err, SL_EFORMAT, "dictionary page in encoding %s, expected PLAIN", sl_pq_encoding_name(h->encoding));
    if (sl_decompress_buf(c->codec, payload, (size_t)h->compressed_size, &c->dict_page, (size_t)h->uncompressed_size, err) < 0)
        return -1;
    size_t n = (size_t)h->num_values, len = c->dict_page.len;
    const uint8_t *p = c->dict_page.data;
    sl_pq_vdec d;
    if (c->ptype == SL_PQ_BYTE_ARRAY && n > len / 4)
        return sl_err_set(err, SL_EFORMAT, "dictionary page claims %zu values but holds %zu bytes", n, len);
    if (c->ptype == SL_PQ_BOOLEAN ? n > len * 8 : (c->pwidth > 0 && n > len / (size_t)c->pwidth))
        return sl_err_set(err, SL_EFORMAT, "dictionary page claims %zu values but holds %zu bytes", n, len);
    if (sl_pq_vdec_init(&d, SL_PQ_ENC_PLAIN, c->ptype, c->flba_len, p, len, err) < 0) return -1;
    int rc;
    if (c->bytes_shape) {
        c->dict_bv = sl_realloc(c->dict_bv, (n ? n : 1) * sizeof *c->dict_bv);
        rc = sl_pq_vdec_bytes(&d, c->dict_bv, n, NULL, err);
    } else {
        c->dict_fixed = sl_realloc(c->dict_fixed, (n ? n : 1) * (size_t)c->pwidth);
        rc = sl_pq_vdec_fixed(&d, c->dict_fixed, n, err);
    }
    sl_pq_vdec_free(&d);
    if (rc < 0) return -1;
    c->dict_n = (uint32_t)n;
    c->has_dict = true;
    return 0;
}

static int sl_col_next_page(sl_pq_reader *r, sl_pq_col *c, sl_err *err)
{
    for (;;) {
        if (c->values_seen >= c->chunk_values)
            return sl_err_set(err, SL_EFORMAT, "the column chunk's %lld values are read but the row group needs more",
                              (long long)c->chunk_values);
        if (c->pos >= c->chunk_end)
            return sl_err_set(err, SL_EFORMAT, "the column chunk ends after %lld of its %lld values",
                              (long long)c->values_seen, (long long)c->chunk_values);
        c->page_no++;
        sl_pq_page_header h;
        size_t used;
        if (sl_pq_page_header_parse(c->pos, (size_t)(c->chunk_end - c->pos), &h, &used, err) < 0) return -1;
        const uint8_t *payload = c->pos + used;
        if ((size_t)h.compressed_size > (size_t)(c->chunk_end - payload))
            return sl_err_set(err, SL_EFORMAT, "page of %d bytes runs past the end of the file's data", h.compressed_size);
        c->pos = payload + h.compressed_size;
        if (h.has_crc) {
            uint32_t crc = sl_crc32(0, payload, (size_t)h.compressed_size);
            if (crc != h.crc)
                return sl_err_set(err, SL_EFORMAT, "page checksum mismatch (CRC-32 %08x, the header says %08x): the file is corrupt",
                                  crc, h.crc);
        }
        if (h.type == SL_PQ_DICTIONARY_PAGE) {
            if (sl_col_read_dict(c, &h, payload, err) < 0) return -1;
            continue;
        }
        if (h.type == SL_PQ_INDEX_PAGE) continue;
        if (h.type != SL_PQ_DATA_PAGE && h.type != SL_PQ_DATA_PAGE_V2)
            return sl_err_set(err, SL_EFORMAT, "unknown page type %d", h.type);
        bool v2 = h.type == SL_PQ_DATA_PAGE_V2;
        if (v2 ? !h.has_v2_header : !h.has_data_header)
            return sl_err_set(err, SL_EFORMAT, "data page without its header");
        if (h.num_values < 0) return sl_err_set(err, SL_EFORMAT, "data page with a negative value count %d", h.num_values);
        if (h.num_values > c->chunk_values - c->values_seen)
            return sl_err_set(err, SL_EFORMAT, "data pages hold more values than the column chunk's %lld",
                              (long long)c->chunk_values);
        if (c->vdec_live) {
            sl_pq_vdec_free(&c->vdec);
            c->vdec_live = false;
        }
        const uint8_t *vals;
        size_t vals_len;
        c->lvl_kind = 0;
        if (!v2) {
            if (sl_decompress_buf(c->codec, payload, (size_t)h.compressed_size, &c->page, (size_t)h.uncompressed_size, err) < 0)
                return -1;
            vals = c->page.data;
            vals_len = c->page.len;
            if (c->max_rep > 0) {
                if (h.rep_encoding != SL_PQ_ENC_RLE)
                    return sl_err_set(err, SL_EFORMAT, "repetition levels in unsupported encoding %d", h.rep_encoding);
                if (vals_len < 4) return sl_err_set(err, SL_EFORMAT, "repetition levels lack their length");
                uint32_t ll = (uint32_t)vals[0] | (uint32_t)vals[1] << 8 | (uint32_t)vals[2] << 16 | (uint32_t)vals[3] << 24;
                if (ll > vals_len - 4)
                    return sl_err_set(err, SL_EFORMAT, "repetition levels of %u bytes, the page holds %zu", ll, vals_len - 4);
                sl_pq_hyb_init(&c->rlvl, vals + 4, ll, 1);
                vals += 4 + ll;
                vals_len -= 4 + ll;
            }
            if (c->max_def > 0) {
                int bw = 32 - __builtin_clz((unsigned)c->max_def);
                if (h.def_encoding == SL_PQ_ENC_RLE) {
                    if (vals_len < 4) return sl_err_set(err, SL_EFORMAT, "definition levels lack their length");
                    uint32_t ll = (uint32_t)vals[0] | (uint32_t)vals[1] << 8 | (uint32_t)vals[2] << 16 | (uint32_t)vals[3] << 24;
                    if (ll > vals_len - 4)
                        return sl_err_set(err, SL_EFORMAT, "definition levels of %u bytes, the page holds %zu", ll, vals_len - 4);
                    sl_pq_hyb_init(&c->lvl, vals + 4, ll, bw);
                    c->lvl_kind = 1;
                    vals += 4 + ll;
                    vals_len -= 4 + ll;
                } else if (h.def_encoding == SL_PQ_ENC_BIT_PACKED) {
                    uint64_t nb = ((uint64_t)h.num_values * (uint64_t)bw + 7) / 8;
                    if (nb > vals_len) return sl_err_set(err, SL_EFORMAT, "BIT_PACKED definition levels run past the page");
                    c->lvl_kind = 2;
                    c->lvl_p = vals;
                    c->lvl_bytes = (size_t)nb;
                    c->lvl_next = 0;
                    vals += nb;
                    vals_len -= (size_t)nb;
                } else {
                    return sl_err_set(err, SL_EFORMAT, "definition levels in unsupported encoding %d", h.def_encoding);
                }
            }
        } else {
            if (h.def_len < 0 || h.rep_len < 0 || (int64_t)h.def_len + h.rep_len > h.compressed_size ||
                (int64_t)h.def_len + h.rep_len > h.uncompressed_size)
                return sl_err_set(err, SL_EFORMAT, "page V2 level lengths (%d, %d) do not fit the page", h.rep_len, h.def_len);
            const uint8_t *lv = payload + h.rep_len;
            if (c->max_rep > 0) sl_pq_hyb_init(&c->rlvl, payload, (size_t)h.rep_len, 1);
            if (c->max_def > 0) {
                int bw = 32 - __builtin_clz((unsigned)c->max_def);
                sl_pq_hyb_init(&c->lvl, lv, (size_t)h.def_len, bw);
                c->lvl_kind = 1;
            }
            const uint8_t *cv = payload + h.rep_len + h.def_len;
            size_t clen = (size_t)h.compressed_size - (size_t)h.rep_len - (size_t)h.def_len;
            size_t ulen = (size_t)h.uncompressed_size - (size_t)h.rep_len - (size_t)h.def_len;
            if (ulen == 0) {
                vals = cv;
                vals_len = 0;
            } else if (h.is_compressed && c->codec != SL_PQ_UNCOMPRESSED) {
                if (sl_decompress_buf(c->codec, cv, clen, &c->page, ulen, err) < 0) return -1;
                vals = c->page.data;
                vals_len = ulen;
            } else {
                if (clen != ulen)
                    return sl_err_set(err, SL_EFORMAT, "uncompressed page V2 of %zu value bytes, the header says %zu", clen, ulen);
                vals = cv;
                vals_len = clen;
            }
        }
        if (h.encoding == SL_PQ_ENC_PLAIN_DICTIONARY || h.encoding == SL_PQ_ENC_RLE_DICTIONARY) {
            if (!c->has_dict) return sl_err_set(err, SL_EFORMAT, "dictionary-encoded data page but the chunk has no dictionary page");
        }
        if (h.num_values > 0) {
            if (sl_pq_vdec_init(&c->vdec, h.encoding, c->ptype, c->flba_len, vals, vals_len, err) < 0) return -1;
            c->vdec_live = true;
        }
        c->values_seen += h.num_values;
        c->page_left = h.num_values;
        if (c->list && h.num_values > 0) {   /* the page's levels, all at once */
            size_t nv = (size_t)h.num_values;
            if (nv > c->pl_cap) {
                c->pl_rep = sl_realloc(c->pl_rep, nv * sizeof *c->pl_rep);
                c->pl_def = sl_realloc(c->pl_def, nv * sizeof *c->pl_def);
                c->pl_cap = nv;
            }
            if (sl_pq_hyb_get(&c->rlvl, c->pl_rep, nv, err) < 0) return sl_err_prefix(err, "repetition levels"), -1;
            int rc = c->max_def == 0 ? (memset(c->pl_def, 0, nv * sizeof *c->pl_def), 0)
                   : c->lvl_kind == 1 ? sl_pq_hyb_get(&c->lvl, c->pl_def, nv, err)
                   : sl_pq_bitpacked_msb(c->lvl_p, c->lvl_bytes, 32 - __builtin_clz((unsigned)c->max_def), 0,
                                         c->pl_def, nv, err);
            if (rc < 0) return sl_err_prefix(err, "definition levels"), -1;
            for (size_t i = 0; i < nv; i++) {
                if (c->pl_def[i] > (uint32_t)c->max_def)
                    return sl_err_set(err, SL_EFORMAT, "definition level %u is above the maximum %d", c->pl_def[i], c->max_def);
                if (c->pl_rep[i] > 1) return sl_err_set(err, SL_EFORMAT, "repetition level %u is above the maximum 1", c->pl_rep[i]);
            }
            if (c->values_seen == h.num_values && c->pl_rep[0] != 0)
                return sl_err_set(err, SL_EFORMAT, "the column chunk's first repetition level is %u, not 0", c->pl_rep[0]);
            c->pl_n = nv;
            c->pl_pos = 0;
        }
        if (c->page_left > 0) return 0;
        (void)r;
    }
}

/* nn values of the current page into c->fixed / c->bv. */
static int sl_col_values(sl_pq_col *c, size_t nn, sl_err *err)
{
    sl_buf_clear(&c->heap);
    int rc;
    if (sl_pq_vdec_is_dict(&c->vdec)) {
        rc = sl_pq_vdec_indices(&c->vdec, c->idx, nn, c->dict_n, err);
        if (rc == 0 && c->bytes_shape) {
            for (size_t i = 0; i < nn; i++) c->bv[i] = c->dict_bv[c->idx[i]];
        } else if (rc == 0) {
            size_t w = (size_t)c->pwidth;
            for (size_t i = 0; i < nn; i++) memcpy(c->fixed + i * w, c->dict_fixed + (size_t)c->idx[i] * w, w);
        }
    } else if (c->bytes_shape) {
        rc = sl_pq_vdec_bytes(&c->vdec, c->bv, nn, &c->heap, err);
    } else {
        rc = sl_pq_vdec_fixed(&c->vdec, c->fixed, nn, err);
    }
    return rc;
}

/* Reads n rows of LIST column c into v at rows [row0, row0 + n): rows start
 * at repetition level 0 (a row may continue on the next page); an entry with
 * def < d_list is a NULL list, < d_rep an empty list, < max_def a NULL
 * element, else a value. The elements go to v->child. */
static int sl_col_read_list(sl_pq_reader *r, sl_pq_col *c, sl_vector *v, size_t row0, size_t n, sl_err *err)
{
    size_t done = 0;        /* rows started */
    sl_vector *e = v->child;
    for (;;) {
        if (c->page_left == 0) {
            if (c->values_seen >= c->chunk_values) break;     /* the chunk's last row ends here */
            if (sl_col_next_page(r, c, err) < 0) return -1;
            continue;
        }
        /* entries [a, b) of this page: up to the start of row n + 1 */
        size_t a = c->pl_pos, b = a, nel = 0, nn = 0, rows = 0;
        for (; b < c->pl_n; b++) {
            uint32_t d = c->pl_def[b];
            if (c->pl_rep[b] == 0) {
                if (done + rows == n) break;
                rows++;
            } else if (done + rows == 0) {
                return sl_err_set(err, SL_EFORMAT, "a row continues (repetition level 1) where a new row should start");
            }
            if (d >= (uint32_t)c->d_rep) {
                nel++;
                nn += d == (uint32_t)c->max_def;
            }
        }
        size_t at = sl_vec_list_begin(v, row0 + done, nel);   /* the child's end so far */
        sl_col_scratch(c, nel ? nel : 1);
        size_t k = 0;
        for (size_t i = a; i < b; i++) {
            uint32_t d = c->pl_def[i];
            if (c->pl_rep[i] == 0) {
                size_t row = row0 + done++;
                v->offsets[row + 1] = v->offsets[row];
                v->valid[row] = d >= (uint32_t)c->d_list;
            }
            if (d >= (uint32_t)c->d_rep) {
                c->valid[k++] = d == (uint32_t)c->max_def;
                v->offsets[row0 + done]++;
            }
        }
        if (nn > 0 && sl_col_values(c, nn, err) < 0) return -1;
        if (nel > 0 && sl_col_convert(c, nel, nn, e, at, err) < 0) return -1;
        c->page_left -= (int64_t)(b - a);
        c->pl_pos = b;
        if (b < c->pl_n) break;                               /* row n + 1 starts here */
    }
    if (done != n)
        return sl_err_set(err, SL_EFORMAT, "the column chunk holds %zu of the row group's rows", done);
    return 0;
}

/* Reads n rows of column c into v at rows [row0, row0 + n). */
static int sl_col_read(sl_pq_reader *r, sl_pq_col *c, sl_vector *v, size_t row0, size_t n, sl_err *err)
{
    if (c->list) return sl_col_read_list(r, c, v, row0, n, err);
    size_t done = 0;
    while (done < n) {
        if (c->page_left == 0) {
            if (sl_col_next_page(r, c, err) < 0) return -1;
            continue;
        }
        size_t k = n - done;
        if ((int64_t)k > c->page_left) k = (size_t)c->page_left;
        sl_col_scratch(c, k);
        size_t nn = k;
        if (c->max_def > 0) {
            int rc = c->lvl_kind == 1 ? sl_pq_hyb_get(&c->lvl, c->lv, k, err)
                                      : sl_pq_bitpacked_msb(c->lvl_p, c->lvl_bytes, 32 - __builtin_clz((unsigned)c->max_def),
                                                            c->lvl_next, c->lv, k, err);
            if (rc < 0) return sl_err_prefix(err, "definition levels"), -1;
            c->lvl_next += k;
            nn = 0;
            for (size_t i = 0; i < k; i++) {
                if (c->lv[i] > (uint32_t)c->max_def)
                    return sl_err_set(err, SL_EFORMAT, "definition level %u is above the maximum %d", c->lv[i], c->max_def);
                c->valid[i] = c->lv[i] == (uint32_t)c->max_def;
                nn += c->valid[i];
            }
        } else {
            memset(c->valid, 1, k);
        }
        if (nn > 0 && sl_col_values(c, nn, err) < 0) return -1;
        if (sl_col_convert(c, k, nn, v, row0 + done, err) < 0) return -1;
        c->page_left -= (int64_t)k;
        done += k;
    }
    return 0;
}

/* ---- statistics and filters ---- */

/* Converts a statistics value into a 1-row vector of the column's type. */
static int sl_stat_to_vec(const sl_pq_col *c, const uint8_t *p, size_t len, sl_vector *v, sl_err *err)
{
    if (c->ptype == SL_PQ_FIXED_LEN_BYTE_ARRAY && (int)len != c->flba_len && c->conv != CV_BIN)
        return sl_err_set(err, SL_EFORMAT, "statistics value of %zu bytes", len);
    if (!c->bytes_shape && (int)len != c->pwidth && !(c->ptype == SL_PQ_BOOLEAN && len >= 1))
        return sl_err_set(err, SL_EFORMAT, "statistics value of %zu bytes", len);
    return sl_conv_one(c, p, len, v, 0, err);
}

const char *sl_pq_reader_stat_format(const sl_pq_reader *r, int leaf, const uint8_t *p, size_t len, char *buf, size_t size)
{
    sl_err err = SL_ERR_INIT;
    sl_type t;
    int conv;
    const sl_pq_leaf *l = &r->meta.leaves[leaf];
    const sl_pq_schema_elem *e = &r->meta.schema[l->schema_idx];
    bool ok = sl_map_elem(e, &t, &conv, &err) == 0;
    if (ok) {
        sl_pq_col c;
        sl_col_init((sl_pq_reader *)r, &c, leaf, t, conv);
        sl_schema *s = sl_schema_new(1);
        sl_schema_set(s, 0, "x", t, true);
        sl_batch *b = sl_batch_new(s, 1);
        if (sl_stat_to_vec(&c, p, len, &b->cols[0], &err) == 0) {
            if (sl_type_is_varlen(t) && t.id != SL_T_BYTES) {
                size_t n = len < size - 1 ? len : size - 1;
                memcpy(buf, p, n);
                buf[n] = '\0';
            } else if (t.id != SL_T_BYTES) {
                char tmp[128];
                sl_format_fixed(&b->cols[0], 0, tmp);
                snprintf(buf, size, "%s", tmp);
            } else {
                ok = false;
            }
        } else {
            ok = false;
        }
        sl_batch_free(b);
        sl_schema_free(s);
    }
    if (!ok) {
        size_t n = 0;
        if (size > 3) n += (size_t)snprintf(buf, size, "\\x");
        for (size_t i = 0; i < len && n + 3 < size; i++) n += (size_t)snprintf(buf + n, size - n, "%02x", p[i]);
        if (size) buf[n < size ? n : size - 1] = '\0';
    }
    return buf;
}

int sl_pq_reader_filter(sl_pq_reader *r, const char *column, sl_pq_op op, const char *value, sl_err *err)
{
    if (!r->schema && sl_pq_reader_select(r, NULL, 0, err) < 0) return -1;
    int col = sl_schema_find(r->schema, column);
    if (col < 0) return sl_err_set(err, SL_EUSAGE, "filter: column %s is not selected or does not exist", column);
    if (r->schema->fields[col].type.id == SL_T_LIST)
        return sl_err_set(err, SL_EUSAGE, "filter: column %s is a list; filter on a scalar column", column);
    sl_free(r->filter_value.owned);
    r->filter_value.owned = NULL;
    if (sl_pq_value_parse(r->schema->fields[col].type, value, &r->filter_value, err) < 0) {
        sl_err_prefix(err, "filter on column %s", column);
        return -1;
    }
    r->has_filter = true;
    r->filter_col = col;
    r->filter_op = op;
    return 0;
}

bool sl_pq_filter_match(const sl_pq_reader *r, const sl_batch *b, size_t row)
{
    if (!r->has_filter) return true;
    const sl_vector *v = &b->cols[r->filter_col];
    if (!v->valid[row]) return false;
    sl_pq_value x;
    sl_pq_value_from_vec(v, row, &x);
    int c = sl_pq_value_cmp(&x, &r->filter_value);
    switch (r->filter_op) {
    case SL_PQ_OP_EQ: return c == 0;
    case SL_PQ_OP_NE: return c != 0;
    case SL_PQ_OP_LT: return c < 0;
    case SL_PQ_OP_LE: return c <= 0;
    case SL_PQ_OP_GT: return c > 0;
    case SL_PQ_OP_GE: return c >= 0;
    }
    return true;
}

/* True when the row group's statistics prove no row matches the filter. */
static bool sl_rg_excluded(sl_pq_reader *r, const sl_pq_row_group *rg)
{
    const sl_pq_col *c = &r->cols[r->filter_col];
    const sl_pq_column_meta *m = &rg->columns[c->leaf].meta;
    const sl_pq_stats *s = &m->stats;
    if (!s->present) return false;
    if (s->has_null_count && s->null_count == rg->num_rows && rg->num_rows > 0) return true;
    if (c->ptype == SL_PQ_INT96) return false;
    if (s->legacy) {
        /* Deprecated min/max: only trustworthy for signed numeric orders. */
        bool signed_ok = (c->ptype == SL_PQ_INT32 || c->ptype == SL_PQ_INT64 || c->ptype == SL_PQ_FLOAT ||
                          c->ptype == SL_PQ_DOUBLE) &&
                         c->conv != CV_U8_I16 && c->conv != CV_U16_I32 && c->conv != CV_U32_I64 && c->conv != CV_U64_DEC;
        if (!signed_ok) return false;
    }
    sl_schema *sch = sl_schema_new(1);
    sl_schema_set(sch, 0, "x", c->type, true);
    sl_batch *b = sl_batch_new(sch, 2);
    sl_err err = SL_ERR_INIT;
    bool have_min = s->has_min && sl_stat_to_vec(c, s->min, s->min_len, &b->cols[0], &err) == 0;
    sl_pq_value mn, mx;
    if (have_min) sl_pq_value_from_vec(&b->cols[0], 0, &mn);
    sl_batch *b2 = sl_batch_new(sch, 2);
    bool have_max = s->has_max && sl_stat_to_vec(c, s->max, s->max_len, &b2->cols[0], &err) == 0;
    if (have_max) sl_pq_value_from_vec(&b2->cols[0], 0, &mx);
    const sl_pq_value *k = &r->filter_value;
    if (c->type.id == SL_T_FLOAT32 || c->type.id == SL_T_FLOAT64) {
        /* A NaN bound says nothing (old writers); and writers following the
         * spec leave NaN out of max, while NaN sorts above every number: a
         * row group may hold a NaN matching `> k` (or `= NaN`) whatever its
         * max says. NaN never matches `< k`, so min still prunes. */
        if (have_min && isnan(mn.f)) have_min = false;
        if (have_max && (isnan(mx.f) || r->filter_op == SL_PQ_OP_GT || r->filter_op == SL_PQ_OP_GE ||
                         (r->filter_op == SL_PQ_OP_EQ && isnan(k->f))))
            have_max = false;
    }
    bool excluded = false;
    int cmin = have_min ? sl_pq_value_cmp(&mn, k) : 2;   /* min vs constant */
    int cmax = have_max ? sl_pq_value_cmp(&mx, k) : 2;
    switch (r->filter_op) {
    case SL_PQ_OP_EQ: excluded = (cmin != 2 && cmin > 0) || (cmax != 2 && cmax < 0); break;
    case SL_PQ_OP_LT: excluded = cmin != 2 && cmin >= 0; break;
    case SL_PQ_OP_LE: excluded = cmin != 2 && cmin > 0; break;
    case SL_PQ_OP_GT: excluded = cmax != 2 && cmax <= 0; break;
    case SL_PQ_OP_GE: excluded = cmax != 2 && cmax < 0; break;
    case SL_PQ_OP_NE: break;
    }
    sl_batch_free(b);
    sl_batch_free(b2);
    sl_schema_free(sch);
    return excluded;
}

/* ---- row groups ---- */

int sl_pq_reader_row_groups(sl_pq_reader *r, int first, int count, sl_err *err)
{
    if (first < 0 || count < 0 || first > r->meta.nrow_groups || count > r->meta.nrow_groups - first)
        return sl_err_set(err, SL_EUSAGE, "%s: row groups %d..%d requested, the file has %d", r->name, first,
                          first + count - 1, r->meta.nrow_groups);
    r->rg_first = first;
    r->rg_end = first + count;
    r->rg = first - 1;
    r->rg_rows_left = 0;
    r->done = false;
    return 0;
}

static void sl_col_reset(sl_pq_col *c)
{
    if (c->vdec_live) sl_pq_vdec_free(&c->vdec);
    c->vdec_live = false;
    c->has_dict = false;
    c->dict_n = 0;
    c->page_left = 0;
    c->values_seen = 0;
    c->page_no = 0;
}

static int sl_rg_start(sl_pq_reader *r, int g, sl_err *err)
{
    const sl_pq_row_group *rg = &r->meta.row_groups[g];
    for (int i = 0; i < r->ncols; i++) {
        sl_pq_col *c = &r->cols[i];
        const sl_pq_column_chunk *cc = &rg->columns[c->leaf];
        const sl_pq_column_meta *m = &cc->meta;
        sl_col_reset(c);
        if (cc->file_path)
            return sl_err_set(err, SL_ETYPE, "row group %d: column %s: its data is in another file (%s): not supported",
                              g, c->name, cc->file_path);
        if (c->list ? m->num_values < rg->num_rows : m->num_values != rg->num_rows)
            return sl_err_set(err, SL_EFORMAT, "row group %d: column %s has %lld values but the row group has %lld rows",
                              g, c->name, (long long)m->num_values, (long long)rg->num_rows);
        int64_t start = m->data_page_offset;
        if (m->has_dictionary_page_offset && m->dictionary_page_offset > 0 && m->dictionary_page_offset < start)
            start = m->dictionary_page_offset;
        if (start < 4 || (uint64_t)start >= r->footer_start || m->total_compressed_size > (int64_t)r->footer_start - start)
            return sl_err_set(err, SL_EFORMAT, "row group %d: column %s: chunk at offset %lld of %lld bytes lies outside the data of the file",
                              g, c->name, (long long)start, (long long)m->total_compressed_size);
        if (r->ranged) {
            /* One ranged read per column chunk: its recorded size, and no
             * further (the mapped path's tolerance of too-small sizes would
             * cost a read to the footer). */
            sl_buf_clear(&c->chunk);
            if (r->in.read_at(r->in.ctx, (uint64_t)start, (size_t)m->total_compressed_size, &c->chunk, err) < 0)
                return -1;
            if (c->chunk.len != (size_t)m->total_compressed_size)
                return sl_err_set(err, SL_EIO, "row group %d: column %s: read %zu of its %lld bytes", g, c->name,
                                  c->chunk.len, (long long)m->total_compressed_size);
            c->pos = c->chunk.data;
            c->chunk_end = c->chunk.data + c->chunk.len;
        } else {
        c->pos = r->data + start;
        /* Pages are bounded by the file's data, not by total_compressed_size:
         * old parquet-mr wrote sizes too small (nation.dict-malformed); the
         * value count decides where the chunk ends. */
        c->chunk_end = r->data + r->footer_start;
        }
        c->chunk_values = m->num_values;
        c->codec = m->codec;
    }
    r->rg_rows_left = rg->num_rows;
    return 0;
}

int64_t sl_pq_reader_next(sl_pq_reader *r, sl_batch *b, sl_err *err)
{
    sl_batch_reset(b);
    if (!r->schema && sl_pq_reader_select(r, NULL, 0, err) < 0) return -1;
    if (b->ncols != r->ncols) return sl_err_set(err, SL_EINTERNAL, "%s: batch has %d columns, the selection %d", r->name, b->ncols, r->ncols);
    while (r->rg_rows_left == 0) {
        if (r->done) return 0;
        if (r->rg + 1 >= r->rg_end) {
            r->done = true;
            return 0;
        }
        r->rg++;
        if (r->meta.row_groups[r->rg].num_rows == 0) continue;
        if (r->has_filter && sl_rg_excluded(r, &r->meta.row_groups[r->rg])) {
            r->skipped++;
            continue;
        }
        if (sl_rg_start(r, r->rg, err) < 0) {
            sl_err_prefix(err, "%s", r->name);
            r->done = true;
            return -1;
        }
    }
    size_t n = b->capacity;
    if ((int64_t)n > r->rg_rows_left) n = (size_t)r->rg_rows_left;
    for (int i = 0; i < r->ncols; i++) {
        sl_pq_col *c = &r->cols[i];
        if (sl_col_read(r, c, &b->cols[i], 0, n, err) < 0) {
            sl_err_prefix(err, "%s: row group %d: column %s: page %d", r->name, r->rg, c->name, c->page_no);
            r->done = true;
            r->rg_rows_left = 0;
            return -1;
        }
    }
    r->rg_rows_left -= (int64_t)n;
    b->nrows = n;
    return (int64_t)n;
}
