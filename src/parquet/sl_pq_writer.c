/*
 * sl_pq_writer.c - the Parquet file writer (see sl_pq_writer.h): "PAR1",
 * row groups of column chunks (sl_pq_col.c does the pages), then the
 * FileMetaData footer, its u32 LE length and "PAR1".
 *
 * Each finished row group is encoded at once as a thrift RowGroup struct
 * and appended to a buffer; the footer splices these into its row_groups
 * list, so only the encoded metadata stays in memory, not the chunks.
 */
#include "sl_pq_writer.h"

#include "../core/sl_alloc.h"
#include "sl_compress.h"
#include "sl_pq_col.h"
#include "sl_pq_format.h"
#include "sl_thrift_write.h"

#include <string.h>

#ifndef SL_VERSION
#define SL_VERSION "0.0.0"
#endif
#ifndef SL_GITREV
#define SL_GITREV "unknown"
#endif

/* Rows handed to the columns at a time, so row-group size checks happen often. */
#define SL_WRITER_SLICE 2048

struct sl_pq_writer {
    sl_out *out;
    const sl_schema *schema;
    sl_pq_writer_opts opts;
    char *created_by;
    char **kv;                 /* 2 * nkv copied strings */
    sl_pq_ctx ctx;
    sl_pq_col *cols;
    int ncols;
    int64_t rows;              /* written, all row groups */
    int64_t rg_rows;           /* in the open row group */
    sl_buf rowgroups;          /* encoded RowGroup structs */
    int nrowgroups;
    bool failed, closed;
    sl_err err;
};

void sl_pq_writer_opts_default(sl_pq_writer_opts *o)
{
    memset(o, 0, sizeof *o);
    o->codec = SL_PQ_ZSTD;
    o->row_group_bytes = 128LL << 20;
    o->row_group_rows = 1LL << 20;
    o->page_bytes = 1LL << 20;
    o->page_rows = 20000;
    o->dictionary = true;
    o->dict_max_bytes = 1LL << 20;
    o->stats_max_bytes = 1024;
    o->delta_int64 = true;
}

static int sl_writer_fail(sl_pq_writer *w, sl_err *err)
{
    if (!w->failed) {
        w->failed = true;
        w->err = *err;
    }
    return -1;
}

static int sl_writer_failed(sl_pq_writer *w, sl_err *err)
{
    *err = w->err;
    return -1;
}

sl_pq_writer *sl_pq_writer_open(sl_out *out, const sl_schema *schema, const sl_pq_writer_opts *opts, sl_err *err)
{
    sl_pq_writer_opts def;
    if (!opts) {
        sl_pq_writer_opts_default(&def);
        opts = &def;
    }
    if (schema->ncols < 1) {
        sl_err_set(err, SL_EUSAGE, "a Parquet file needs at least one column");
        return NULL;
    }
    for (int i = 0; i < schema->ncols; i++) {
        const sl_field *f = &schema->fields[i];
        if (!f->name || !*f->name) {
            sl_err_set(err, SL_EUSAGE, "column %d has no name", i + 1);
            return NULL;
        }
        if ((unsigned)f->type.id >= SL_T_COUNT ||
            (f->type.id == SL_T_LIST && (f->type.elem >= SL_T_LIST ||
                                         (f->type.elem == SL_T_DECIMAL && (f->type.precision < 1 || f->type.precision > 38 ||
                                                                          f->type.scale > f->type.precision)))) ||
            (f->type.id == SL_T_DECIMAL && (f->type.precision < 1 || f->type.precision > 38 ||
                                            f->type.scale > f->type.precision))) {
            char tb[64];
            sl_err_set(err, SL_ETYPE, "column %s: type %s cannot be written to Parquet", f->name,
                       sl_type_format(f->type, tb, sizeof tb));
            return NULL;
        }
    }
    sl_compressor *cmp = sl_compressor_new(opts->codec, opts->level, err);
    if (!cmp) return NULL;

    sl_pq_writer *w = sl_calloc(1, sizeof *w);
    w->out = out;
    w->schema = schema;
    w->opts = *opts;
    if (w->opts.row_group_rows <= 0) w->opts.row_group_rows = 1LL << 20;
    if (w->opts.row_group_bytes <= 0) w->opts.row_group_bytes = 128LL << 20;
    if (w->opts.page_bytes <= 0) w->opts.page_bytes = 1LL << 20;
    if (w->opts.page_rows <= 0) w->opts.page_rows = 20000;
    if (w->opts.dict_max_bytes <= 0) w->opts.dict_max_bytes = 1LL << 20;
    if (w->opts.stats_max_bytes < 0) w->opts.stats_max_bytes = 0;
    w->created_by = opts->created_by ? sl_strdup(opts->created_by)
                                     : sl_sprintf("sluice version %s (build %s)", SL_VERSION, SL_GITREV);
    w->opts.created_by = w->created_by;
    if (opts->nkv > 0) {
        w->kv = sl_calloc((size_t)opts->nkv * 2, sizeof *w->kv);
        for (int i = 0; i < opts->nkv; i++) {
            w->kv[2 * i] = sl_strdup(opts->kv[i].key ? opts->kv[i].key : "");
            w->kv[2 * i + 1] = opts->kv[i].value ? sl_strdup(opts->kv[i].value) : NULL;
        }
    }
    w->opts.kv = NULL;

    w->ctx.cmp = cmp;
    w->ctx.codec = opts->codec;
    w->ctx.page_bytes = (size_t)w->opts.page_bytes;
    w->ctx.page_rows = (size_t)w->opts.page_rows;
    w->ctx.dict_max_bytes = (size_t)w->opts.dict_max_bytes;
    w->ctx.stats_max_bytes = (size_t)w->opts.stats_max_bytes;
    w->ctx.dictionary = w->opts.dictionary;
    w->ctx.page_crc = w->opts.page_crc;
    w->ctx.delta_int64 = w->opts.delta_int64;

    w->ncols = schema->ncols;
    w->cols = sl_calloc((size_t)w->ncols, sizeof *w->cols);
    for (int i = 0; i < w->ncols; i++) sl_pq_col_init(&w->cols[i], &schema->fields[i], &w->ctx);
    sl_pq_cols_spare_take(w->cols, w->ncols);
    sl_out_write(out, SL_PQ_MAGIC, 4);
    return w;
}

static int sl_check_out(sl_pq_writer *w, sl_err *err)
{
    if (w->out->failed) {
        *err = w->out->err;
        sl_err_prefix(err, "writing Parquet");
        return sl_writer_fail(w, err);
    }
    return 0;
}

static int sl_flush_row_group(sl_pq_writer *w, sl_err *err)
{
    if (w->rg_rows == 0) return 0;
    int64_t total_unc = 0, total_comp = 0;
    for (int i = 0; i < w->ncols; i++) {
        sl_pq_col *c = &w->cols[i];
        if (sl_pq_col_finish_chunk(c, &w->ctx, w->out, err) < 0) return sl_writer_fail(w, err);
        total_unc += c->out_unc;
        total_comp += c->out_comp;
    }
    if (sl_check_out(w, err) < 0) return -1;
    sl_tw t;
    sl_tw_init(&t, &w->rowgroups);
    sl_tw_elem_struct(&t);                          /* RowGroup */
    sl_tw_field_list(&t, 1, SL_TC_STRUCT, (size_t)w->ncols);
    for (int i = 0; i < w->ncols; i++) sl_pq_col_encode_chunk_meta(&w->cols[i], &w->ctx, &t);
    sl_tw_field_i64(&t, 2, total_unc);
    sl_tw_field_i64(&t, 3, w->rg_rows);
    int64_t first = w->cols[0].out_dict_off >= 0 ? w->cols[0].out_dict_off : w->cols[0].out_data_off;
    sl_tw_field_i64(&t, 5, first);
    sl_tw_field_i64(&t, 6, total_comp);
    sl_tw_field_i16(&t, 7, (int16_t)w->nrowgroups);
    sl_tw_struct_end(&t);
    w->nrowgroups++;
    for (int i = 0; i < w->ncols; i++) sl_pq_col_reset_chunk(&w->cols[i], &w->ctx);
    w->rg_rows = 0;
    return 0;
}

static int64_t sl_row_group_estimate(const sl_pq_writer *w)
{
    int64_t total = 0;
    for (int i = 0; i < w->ncols; i++) total += sl_pq_col_estimate(&w->cols[i]);
    return total;
}

int sl_pq_writer_write(sl_pq_writer *w, const sl_batch *b, sl_err *err)
{
    if (w->failed) return sl_writer_failed(w, err);
    if (w->closed) return sl_err_set(err, SL_EINTERNAL, "Parquet writer used after close");
    if (b->ncols != w->ncols) {
        sl_err_set(err, SL_EINTERNAL, "batch has %d columns, the Parquet schema %d", b->ncols, w->ncols);
        return sl_writer_fail(w, err);
    }
    for (int i = 0; i < w->ncols; i++) {
        sl_type bt = b->cols[i].type, st = w->schema->fields[i].type;
        if (bt.id != st.id || bt.elem != st.elem || ((bt.id == SL_T_DECIMAL || bt.elem == SL_T_DECIMAL) && (bt.precision != st.precision || bt.scale != st.scale))) {
            sl_err_set(err, SL_EINTERNAL, "column %s: batch type differs from the Parquet schema",
                       w->schema->fields[i].name);
            return sl_writer_fail(w, err);
        }
    }
    size_t row = 0;
    while (row < b->nrows) {
        size_t n = b->nrows - row;
        int64_t room = w->opts.row_group_rows - w->rg_rows;
        if ((int64_t)n > room) n = (size_t)room;
        if (n > SL_WRITER_SLICE) n = SL_WRITER_SLICE;
        for (int i = 0; i < w->ncols; i++) {
            w->cols[i].row_base = w->rows - (int64_t)row;
            if (sl_pq_col_write(&w->cols[i], &w->ctx, &b->cols[i], row, row + n, err) < 0)
                return sl_writer_fail(w, err);
        }
        row += n;
        w->rows += (int64_t)n;
        w->rg_rows += (int64_t)n;
        if (w->rg_rows >= w->opts.row_group_rows || sl_row_group_estimate(w) >= w->opts.row_group_bytes) {
            if (sl_flush_row_group(w, err) < 0) return -1;
        }
    }
    return sl_check_out(w, err);
}

int sl_pq_writer_close(sl_pq_writer *w, sl_err *err)
{
    if (w->failed) return sl_writer_failed(w, err);
    if (w->closed) return 0;
    if (sl_flush_row_group(w, err) < 0) return -1;
    sl_buf meta = {0};
    sl_tw t;
    sl_tw_init(&t, &meta);
    sl_tw_struct_begin(&t);                         /* FileMetaData */
    sl_tw_field_i32(&t, 1, 1);
    size_t nelems = (size_t)w->ncols + 1;   /* a LIST column is 3 schema elements */
    for (int i = 0; i < w->ncols; i++) nelems += w->cols[i].list ? 2 : 0;
    sl_tw_field_list(&t, 2, SL_TC_STRUCT, nelems);
    sl_tw_elem_struct(&t);                          /* root */
    sl_tw_field_string(&t, 4, "schema");
    sl_tw_field_i32(&t, 5, w->ncols);
    sl_tw_struct_end(&t);
    for (int i = 0; i < w->ncols; i++) sl_pq_col_encode_schema(&w->cols[i], &t);
    sl_tw_field_i64(&t, 3, w->rows);
    sl_tw_field_list(&t, 4, SL_TC_STRUCT, (size_t)w->nrowgroups);
    sl_tw_raw(&t, w->rowgroups.data, w->rowgroups.len);
    if (w->opts.nkv > 0) {
        sl_tw_field_list(&t, 5, SL_TC_STRUCT, (size_t)w->opts.nkv);
        for (int i = 0; i < w->opts.nkv; i++) {
            sl_tw_elem_struct(&t);
            sl_tw_field_string(&t, 1, w->kv[2 * i]);
            if (w->kv[2 * i + 1]) sl_tw_field_string(&t, 2, w->kv[2 * i + 1]);
            sl_tw_struct_end(&t);
        }
    }
    sl_tw_field_string(&t, 6, w->created_by);
    sl_tw_field_list(&t, 7, SL_TC_STRUCT, (size_t)w->ncols);
    for (int i = 0; i < w->ncols; i++) {
        sl_tw_elem_struct(&t);                      /* ColumnOrder union */
        sl_tw_field_struct(&t, 1);                  /* TYPE_ORDER */
        sl_tw_struct_end(&t);
        sl_tw_struct_end(&t);
    }
    sl_tw_struct_end(&t);
    sl_out_write(w->out, meta.data, meta.len);
    uint8_t tail[8] = { (uint8_t)meta.len, (uint8_t)(meta.len >> 8), (uint8_t)(meta.len >> 16),
                        (uint8_t)(meta.len >> 24), 'P', 'A', 'R', '1' };
    sl_out_write(w->out, tail, 8);
    sl_buf_free(&meta);
    w->closed = true;
    return sl_check_out(w, err);
}

void sl_pq_writer_free(sl_pq_writer *w)
{
    if (!w) return;
    sl_pq_cols_spare_give(w->cols, w->ncols);
    for (int i = 0; i < w->ncols; i++) sl_pq_col_free(&w->cols[i]);
    sl_free(w->cols);
    sl_compressor_free(w->ctx.cmp);
    sl_buf_free(&w->ctx.payload);
    sl_buf_free(&w->ctx.cbuf);
    sl_buf_free(&w->ctx.hdr);
    sl_buf_free(&w->rowgroups);
    for (int i = 0; w->kv && i < 2 * w->opts.nkv; i++) sl_free(w->kv[i]);
    sl_free(w->kv);
    sl_free(w->created_by);
    sl_free(w);
}

int64_t sl_pq_writer_rows(const sl_pq_writer *w)
{
    return w->rows;
}

int sl_pq_writer_row_groups(const sl_pq_writer *w)
{
    return w->nrowgroups;
}
