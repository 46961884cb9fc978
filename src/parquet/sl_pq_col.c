/*
 * sl_pq_col.c - the shared core of the column writers: type mapping to
 * Parquet (physical, logical and converted types), definition levels, page
 * cutting and encoding (DataPage V1), the dictionary page, chunk output and
 * the ColumnChunk / SchemaElement metadata. The per-type halves live in
 * sl_pq_col_<type>.c; see sl_pq_col.h for the life of a column writer.
 */
#include "sl_pq_col.h"

#include "../core/sl_alloc.h"
#include "../core/sl_crc32.h"
#include "sl_pq_delta_enc.h"
#include "sl_pq_format.h"
#include "sl_pq_rle.h"

#include <pthread.h>
#include <string.h>

/* Chunk buffers outlive their writer. A column's chunk buffer grows to a
 * row group's compressed size (megabytes); freed with its file and grown
 * again by the next, every one of its pages would be a fresh page fault, a
 * file after a file. A finished writer hands its columns' buffers, as a
 * set, to this spare list; a new writer with as many columns takes a set
 * and gives column i the buffer column i had (the note column's buffer to
 * the note column). At most SL_SPARE_SETS sets wait: as many as writers
 * between two files at once, the memory they held a moment before. */
#define SL_SPARE_SETS 4
static pthread_mutex_t sl_spare_mu = PTHREAD_MUTEX_INITIALIZER;
static struct { sl_buf *bufs; int n; } sl_spare[SL_SPARE_SETS];
static int sl_nspare;

void sl_pq_cols_spare_take(sl_pq_col *cols, int n)
{
    sl_buf *set = NULL;
    pthread_mutex_lock(&sl_spare_mu);
    for (int i = sl_nspare - 1; i >= 0; i--) {
        if (sl_spare[i].n != n) continue;
        set = sl_spare[i].bufs;
        sl_spare[i] = sl_spare[--sl_nspare];
        break;
    }
    pthread_mutex_unlock(&sl_spare_mu);
    if (!set) return;
    for (int i = 0; i < n; i++) {
        sl_buf_free(&cols[i].chunk);
        cols[i].chunk = set[i];
        cols[i].chunk.len = 0;
    }
    sl_free(set);
}

void sl_pq_cols_spare_give(sl_pq_col *cols, int n)
{
    sl_buf *set = sl_malloc((size_t)n * sizeof *set);
    pthread_mutex_lock(&sl_spare_mu);
    if (sl_nspare < SL_SPARE_SETS) {
        for (int i = 0; i < n; i++) set[i] = cols[i].chunk, cols[i].chunk = (sl_buf){ 0 };
        sl_spare[sl_nspare].bufs = set;
        sl_spare[sl_nspare++].n = n;
        set = NULL;
    }
    pthread_mutex_unlock(&sl_spare_mu);
    sl_free(set);
}

/* Bytes of the smallest two's complement big-endian integer holding every
 * unscaled value of a decimal with `precision` digits. */
static int sl_decimal_bytes(int precision)
{
    /* 10^p - 1 < 2^(8n - 1) */
    long double limit = 1;
    for (int i = 0; i < precision; i++) limit *= 10;
    int n = 1;
    long double cap = 128;   /* 2^7 */
    while (cap < limit) {
        cap *= 256;
        n++;
    }
    return n;
}

void sl_pq_col_init(sl_pq_col *c, const sl_field *f, const sl_pq_ctx *x)
{
    memset(c, 0, sizeof *c);
    c->field = f;
    c->optional = f->nullable;
    sl_type t = f->type;
    if (t.id == SL_T_LIST) {
        c->list = true;
        c->list_opt = f->nullable;
        c->optional = true;          /* the element */
        c->max_def = (uint8_t)(f->nullable ? 3 : 2);
        t = sl_type_elem(t);
    } else {
        c->max_def = f->nullable ? 1 : 0;
    }
    c->type = t;
    switch (t.id) {
    case SL_T_BOOL: c->physical = SL_PQ_BOOLEAN; c->ops = &sl_pq_col_bool_ops; break;
    case SL_T_INT16:
    case SL_T_INT32:
    case SL_T_DATE: c->physical = SL_PQ_INT32; c->ops = &sl_pq_col_int32_ops; break;
    case SL_T_INT64:
    case SL_T_TIME:
    case SL_T_TIMESTAMP: c->physical = SL_PQ_INT64; c->ops = &sl_pq_col_int64_ops; break;
    case SL_T_FLOAT32: c->physical = SL_PQ_FLOAT; c->ops = &sl_pq_col_float_ops; break;
    case SL_T_FLOAT64: c->physical = SL_PQ_DOUBLE; c->ops = &sl_pq_col_double_ops; break;
    case SL_T_DECIMAL:
        if (t.precision <= 9) {
            c->physical = SL_PQ_INT32;
            c->ops = &sl_pq_col_int32_ops;
        } else if (t.precision <= 18) {
            c->physical = SL_PQ_INT64;
            c->ops = &sl_pq_col_int64_ops;
        } else {
            c->physical = SL_PQ_FIXED_LEN_BYTE_ARRAY;
            c->type_length = sl_decimal_bytes(t.precision);
            c->ops = &sl_pq_col_flba_ops;
        }
        break;
    case SL_T_UUID:
        c->physical = SL_PQ_FIXED_LEN_BYTE_ARRAY;
        c->type_length = 16;
        c->ops = &sl_pq_col_flba_ops;
        break;
    default: /* STRING, BYTES, JSON */
        c->physical = SL_PQ_BYTE_ARRAY;
        c->ops = &sl_pq_col_bytes_ops;
        break;
    }
    size_t width = c->physical == SL_PQ_INT32 || c->physical == SL_PQ_FLOAT ? 4
                 : c->physical == SL_PQ_INT64 || c->physical == SL_PQ_DOUBLE ? 8
                 : c->physical == SL_PQ_FIXED_LEN_BYTE_ARRAY ? (size_t)c->type_length : 0;
    sl_pq_dict_init(&c->dict, width);
    c->page_bytes = x->page_bytes;
    c->dict_max_bytes = x->dict_max_bytes;
    c->stats_max_bytes = x->stats_max_bytes;
    c->lev_cap = x->page_rows;
    c->defs = sl_malloc(c->lev_cap);
    c->idx = sl_malloc(c->lev_cap * sizeof *c->idx);
    if (c->list) c->reps = sl_malloc(c->lev_cap);
    sl_pq_col_reset_chunk(c, x);
}

void sl_pq_col_free(sl_pq_col *c)
{
    sl_free(c->defs);
    sl_free(c->reps);
    sl_free(c->idx);
    sl_buf_free(&c->plain);
    sl_buf_free(&c->chunk);
    sl_buf_free(&c->stat_min);
    sl_buf_free(&c->stat_max);
    sl_pq_dict_free(&c->dict);
}

void sl_pq_col_reset_chunk(sl_pq_col *c, const sl_pq_ctx *x)
{
    c->page_nrows = 0;
    c->page_records = 0;
    c->nidx = 0;
    sl_buf_clear(&c->plain);
    c->bool_bits = 0;
    c->dict_on = x->dictionary && c->physical != SL_PQ_BOOLEAN;
    c->dict_used = false;
    c->first_page_done = false;
    sl_pq_dict_reset(&c->dict);
    sl_buf_clear(&c->chunk);
    c->num_values = c->null_count = 0;
    c->data_unc = c->data_comp = 0;
    c->npages_plain = c->npages_dict = c->npages_delta = 0;
    c->has_minmax = false;
    c->saw_nan = false;
    sl_buf_clear(&c->stat_min);
    sl_buf_clear(&c->stat_max);
    c->min_exact = c->max_exact = true;
}

int64_t sl_pq_col_estimate(const sl_pq_col *c)
{
    int64_t page = (int64_t)c->plain.len + (int64_t)c->page_nrows / 8;
    if (c->nidx) page += (int64_t)c->nidx * (sl_pq_bit_width(c->dict.count) + 7) / 8;
    return c->data_unc + page + (c->dict_used || c->dict_on ? (int64_t)c->dict.plain.len : 0);
}

/* PageHeader with the sizes of payload `unc` bytes compressed to x->cbuf. */
static void sl_page_header(sl_pq_ctx *x, int page_type, size_t unc, int32_t num_values, int encoding)
{
    sl_buf_clear(&x->hdr);
    sl_tw w;
    sl_tw_init(&w, &x->hdr);
    sl_tw_struct_begin(&w);
    sl_tw_field_i32(&w, 1, page_type);
    sl_tw_field_i32(&w, 2, (int32_t)unc);
    sl_tw_field_i32(&w, 3, (int32_t)x->cbuf.len);
    if (x->page_crc) sl_tw_field_i32(&w, 4, (int32_t)sl_crc32(0, x->cbuf.data, x->cbuf.len));
    if (page_type == SL_PQ_DATA_PAGE) {
        sl_tw_field_struct(&w, 5);
        sl_tw_field_i32(&w, 1, num_values);
        sl_tw_field_i32(&w, 2, encoding);
        sl_tw_field_i32(&w, 3, SL_PQ_ENC_RLE);
        sl_tw_field_i32(&w, 4, SL_PQ_ENC_RLE);
        sl_tw_struct_end(&w);
    } else {
        sl_tw_field_struct(&w, 7);
        sl_tw_field_i32(&w, 1, num_values);
        sl_tw_field_i32(&w, 2, SL_PQ_ENC_PLAIN);
        sl_tw_field_bool(&w, 3, false);
        sl_tw_struct_end(&w);
    }
    sl_tw_struct_end(&w);
}

/* Pages stored without compression after one that saved less than 3%. */
#define SL_STORE_PAGES 16

/* Values sampled at the start of a chunk before the dictionary is judged. */
#define SL_DICT_SAMPLE 1024

static int sl_check_page_size(const sl_pq_col *c, size_t n, sl_err *err)
{
    if (n > INT32_MAX)
        return sl_err_set(err, SL_EDATA, "column %s: a page of %zu bytes exceeds Parquet's 2 GiB page limit; "
                          "lower page_bytes", c->field->name, n);
    return 0;
}

/* Turns the indices of the current page back into PLAIN values and stops
 * using the dictionary for this chunk. */
static void sl_dict_to_plain(sl_pq_col *c)
{
    sl_buf_clear(&c->plain);
    if (c->dict.width) {
        sl_buf_reserve(&c->plain, c->nidx * c->dict.width);
        for (size_t i = 0; i < c->nidx; i++)
            sl_buf_append(&c->plain, c->dict.plain.data + (size_t)c->idx[i] * c->dict.width, c->dict.width);
    } else {
        for (size_t i = 0; i < c->nidx; i++) {
            uint32_t len;
            const uint8_t *p = sl_pq_dict_entry(&c->dict, c->idx[i], &len);
            sl_buf_append(&c->plain, p - 4, (size_t)len + 4);
        }
    }
    c->nidx = 0;
    c->dict_on = false;
    sl_pq_dict_reset(&c->dict);
}

int sl_pq_col_flush_page(sl_pq_col *c, sl_pq_ctx *x, sl_err *err)
{
    if (c->page_nrows == 0) return 0;
    /* At the first page, a dictionary of mostly distinct values would only
     * add the indices: give it up for this chunk. */
    if (c->dict_on && !c->first_page_done && c->nidx >= 64 && (size_t)c->dict.count * 10 > c->nidx * 7)
        sl_dict_to_plain(c);
    bool dict_page = c->dict_on && c->nidx > 0;
    /* INT64 values without a dictionary (ids, timestamps: mostly distinct)
     * go DELTA_BINARY_PACKED: far fewer bytes for the codec when sorted. */
    bool delta_page = !dict_page && c->physical == SL_PQ_INT64 && x->delta_int64 && c->plain.len > 0;
    /* A required column's PLAIN page is its values alone: compressed where
     * they are, not copied into the payload first. */
    sl_buf *pl = !c->optional && !dict_page && !delta_page ? &c->plain : &x->payload;
    if (pl == &x->payload) sl_buf_clear(pl);
    if (c->list) {   /* V1: repetition levels, then definition levels, each length-prefixed */
        for (int k = 0; k < 2; k++) {
            size_t at = pl->len;
            sl_buf_reserve(pl, 4);
            pl->len += 4;
            sl_pq_rle_encode_u8(pl, k == 0 ? c->reps : c->defs, c->page_nrows, k == 0 ? 1 : sl_pq_bit_width(c->max_def));
            uint32_t n = (uint32_t)(pl->len - at - 4);
            for (int i = 0; i < 4; i++) pl->data[at + i] = (uint8_t)(n >> (8 * i));
        }
    } else if (c->optional) {
        sl_buf_reserve(pl, 4);
        pl->len = 4;
        sl_pq_rle_encode_u8(pl, c->defs, c->page_nrows, 1);
        uint32_t n = (uint32_t)(pl->len - 4);
        for (int i = 0; i < 4; i++) pl->data[i] = (uint8_t)(n >> (8 * i));
    }
    if (dict_page) {
        uint32_t max = 0;
        for (size_t i = 0; i < c->nidx; i++)
            if (c->idx[i] > max) max = c->idx[i];
        int bw = sl_pq_bit_width(max);
        if (bw == 0) bw = 1;
        sl_buf_push(pl, (uint8_t)bw);
        sl_pq_rle_encode_u32(pl, c->idx, c->nidx, bw);
    } else if (delta_page) {
        sl_pq_delta_encode_i64(pl, (const int64_t *)(const void *)c->plain.data, c->plain.len / 8);
    } else if (pl != &c->plain) {
        sl_buf_append(pl, c->plain.data, c->plain.len);
    }
    if (sl_check_page_size(c, pl->len, err) < 0) return -1;
    /* A column whose pages do not compress (uuids, hashes, packed deltas of
     * noisy values) is stored for the next SL_STORE_PAGES pages, then tried
     * again: the codec's search costs as much on such data as anywhere. */
    if (c->store_pages > 0) {
        c->store_pages--;
        if (sl_compressor_store(x->cmp, pl->data, pl->len, &x->cbuf, err) < 0) return -1;
    } else {
        if (sl_compressor_run(x->cmp, pl->data, pl->len, &x->cbuf, err) < 0) return -1;
        if (pl->len >= 4096 && x->cbuf.len * 100 > pl->len * 97) c->store_pages = SL_STORE_PAGES;
    }
    if (sl_check_page_size(c, x->cbuf.len, err) < 0) return -1;
    sl_page_header(x, SL_PQ_DATA_PAGE, pl->len, (int32_t)c->page_nrows,
                   dict_page ? SL_PQ_ENC_RLE_DICTIONARY : delta_page ? SL_PQ_ENC_DELTA_BINARY_PACKED : SL_PQ_ENC_PLAIN);
    sl_buf_append(&c->chunk, x->hdr.data, x->hdr.len);
    sl_buf_append(&c->chunk, x->cbuf.data, x->cbuf.len);
    c->data_unc += (int64_t)(x->hdr.len + pl->len);
    c->data_comp += (int64_t)(x->hdr.len + x->cbuf.len);
    c->num_values += (int64_t)c->page_nrows;
    if (dict_page) {
        c->npages_dict++;
        c->dict_used = true;
    } else if (delta_page) {
        c->npages_delta++;
    } else {
        c->npages_plain++;
    }
    c->page_nrows = 0;
    c->page_records = 0;
    c->nidx = 0;
    sl_buf_clear(&c->plain);
    c->bool_bits = 0;
    c->first_page_done = true;
    return 0;
}

int sl_pq_col_write(sl_pq_col *c, sl_pq_ctx *x, const sl_vector *v, size_t from, size_t to, sl_err *err)
{
    if (c->list) return sl_pq_col_write_list(c, x, v, from, to, err);
    while (from < to) {
        size_t n = to - from, room = x->page_rows - c->page_nrows;
        if (n > room) n = room;
        if (n > 4096) n = 4096;
        /* The first values of a chunk are a sample: a column whose first
         * SL_DICT_SAMPLE values are nearly all distinct (ids, timestamps,
         * uuids, free text) gives the dictionary up at once rather than
         * hashing a whole page only to drop it at the page's end. */
        bool sample = c->dict_on && !c->first_page_done && c->nidx < SL_DICT_SAMPLE;
        if (sample && n > SL_DICT_SAMPLE - c->nidx) n = SL_DICT_SAMPLE - c->nidx;
        if (!c->optional && memchr(v->valid + from, 0, n)) {
            const uint8_t *z = memchr(v->valid + from, 0, n);
            return sl_err_set(err, SL_EDATA, "column %s: row %lld is NULL but the column is NOT NULL "
                              "(declare it nullable)", c->field->name,
                              (long long)(c->row_base + (z - v->valid)));
        }
        size_t used = c->ops->append(c, v, from, from + n, err);
        if (used == (size_t)-1) return -1;
        if (c->optional) {
            memcpy(c->defs + c->page_nrows, v->valid + from, used);
            size_t nonnull = 0;
            for (size_t i = 0; i < used; i++) nonnull += v->valid[from + i];
            c->null_count += (int64_t)(used - nonnull);
        }
        c->page_nrows += used;
        from += used;
        if (sample && c->dict_on && c->nidx >= SL_DICT_SAMPLE && (size_t)c->dict.count * 20 >= c->nidx * 19)
            sl_dict_to_plain(c);
        if (c->dict_on && c->dict.plain.len > x->dict_max_bytes) {
            if (sl_pq_col_flush_page(c, x, err) < 0) return -1;
            if (c->dict_on) c->dict_on = false;   /* keep the dictionary for the pages written */
        } else if (c->page_nrows >= x->page_rows) {
            if (sl_pq_col_flush_page(c, x, err) < 0) return -1;
        } else {
            size_t est = c->dict_on ? c->nidx * (size_t)(sl_pq_bit_width(c->dict.count) + 7) / 8 : c->plain.len;
            if (est >= x->page_bytes && sl_pq_col_flush_page(c, x, err) < 0) return -1;
        }
    }
    return 0;
}

int sl_pq_col_finish_chunk(sl_pq_col *c, sl_pq_ctx *x, sl_out *out, sl_err *err)
{
    if (sl_pq_col_flush_page(c, x, err) < 0) return -1;
    c->out_unc = c->data_unc;
    c->out_comp = c->data_comp;
    c->out_dict_off = -1;
    if (c->dict_used) {
        if (sl_check_page_size(c, c->dict.plain.len, err) < 0) return -1;
        if (sl_compressor_run(x->cmp, c->dict.plain.data, c->dict.plain.len, &x->cbuf, err) < 0) return -1;
        if (sl_check_page_size(c, x->cbuf.len, err) < 0) return -1;
        sl_page_header(x, SL_PQ_DICTIONARY_PAGE, c->dict.plain.len, (int32_t)c->dict.count, 0);
        c->out_dict_off = (int64_t)sl_out_tell(out);
        sl_out_write(out, x->hdr.data, x->hdr.len);
        sl_out_write(out, x->cbuf.data, x->cbuf.len);
        c->out_unc += (int64_t)(x->hdr.len + c->dict.plain.len);
        c->out_comp += (int64_t)(x->hdr.len + x->cbuf.len);
    }
    c->out_data_off = (int64_t)sl_out_tell(out);
    sl_out_write(out, c->chunk.data, c->chunk.len);
    return 0;
}

static bool sl_signed_order_physical(int physical)
{
    return physical == SL_PQ_BOOLEAN || physical == SL_PQ_INT32 || physical == SL_PQ_INT64 ||
           physical == SL_PQ_FLOAT || physical == SL_PQ_DOUBLE;
}

void sl_pq_col_encode_chunk_meta(sl_pq_col *c, sl_pq_ctx *x, sl_tw *w)
{
    bool minmax = c->ops->stats(c);
    sl_tw_elem_struct(w);                      /* ColumnChunk */
    sl_tw_field_i64(w, 2, 0);                  /* file_offset: deprecated, 0 */
    sl_tw_field_struct(w, 3);                  /* ColumnMetaData */
    sl_tw_field_i32(w, 1, c->physical);
    int encs[5], nenc = 0;
    if (c->dict_used || c->npages_plain) encs[nenc++] = SL_PQ_ENC_PLAIN;
    if (c->optional || c->dict_used) encs[nenc++] = SL_PQ_ENC_RLE;
    if (c->dict_used) encs[nenc++] = SL_PQ_ENC_RLE_DICTIONARY;
    if (c->npages_delta) encs[nenc++] = SL_PQ_ENC_DELTA_BINARY_PACKED;
    if (nenc == 0) encs[nenc++] = SL_PQ_ENC_PLAIN;
    sl_tw_field_list(w, 2, SL_TC_I32, (size_t)nenc);
    for (int i = 0; i < nenc; i++) sl_tw_elem_i32(w, encs[i]);
    sl_tw_field_list(w, 3, SL_TC_BINARY, c->list ? 3 : 1);
    sl_tw_elem_string(w, c->field->name);
    if (c->list) {
        sl_tw_elem_string(w, "list");
        sl_tw_elem_string(w, "element");
    }
    sl_tw_field_i32(w, 4, x->codec);
    sl_tw_field_i64(w, 5, c->num_values);
    sl_tw_field_i64(w, 6, c->out_unc);
    sl_tw_field_i64(w, 7, c->out_comp);
    sl_tw_field_i64(w, 9, c->out_data_off);
    if (c->out_dict_off >= 0) sl_tw_field_i64(w, 11, c->out_dict_off);
    sl_tw_field_struct(w, 12);                 /* Statistics */
    if (minmax && sl_signed_order_physical(c->physical)) {
        sl_tw_field_binary(w, 1, c->stat_max.data, c->stat_max.len);
        sl_tw_field_binary(w, 2, c->stat_min.data, c->stat_min.len);
    }
    sl_tw_field_i64(w, 3, c->null_count);
    if (minmax) {
        sl_tw_field_binary(w, 5, c->stat_max.data, c->stat_max.len);
        sl_tw_field_binary(w, 6, c->stat_min.data, c->stat_min.len);
        sl_tw_field_bool(w, 7, c->max_exact);
        sl_tw_field_bool(w, 8, c->min_exact);
    }
    sl_tw_struct_end(w);
    int nstats = (c->dict_used ? 1 : 0) + (c->npages_plain ? 1 : 0) + (c->npages_dict ? 1 : 0) + (c->npages_delta ? 1 : 0);
    sl_tw_field_list(w, 13, SL_TC_STRUCT, (size_t)nstats);
    if (c->dict_used) {
        sl_tw_elem_struct(w);
        sl_tw_field_i32(w, 1, SL_PQ_DICTIONARY_PAGE);
        sl_tw_field_i32(w, 2, SL_PQ_ENC_PLAIN);
        sl_tw_field_i32(w, 3, 1);
        sl_tw_struct_end(w);
    }
    if (c->npages_dict) {
        sl_tw_elem_struct(w);
        sl_tw_field_i32(w, 1, SL_PQ_DATA_PAGE);
        sl_tw_field_i32(w, 2, SL_PQ_ENC_RLE_DICTIONARY);
        sl_tw_field_i32(w, 3, c->npages_dict);
        sl_tw_struct_end(w);
    }
    if (c->npages_plain) {
        sl_tw_elem_struct(w);
        sl_tw_field_i32(w, 1, SL_PQ_DATA_PAGE);
        sl_tw_field_i32(w, 2, SL_PQ_ENC_PLAIN);
        sl_tw_field_i32(w, 3, c->npages_plain);
        sl_tw_struct_end(w);
    }
    if (c->npages_delta) {
        sl_tw_elem_struct(w);
        sl_tw_field_i32(w, 1, SL_PQ_DATA_PAGE);
        sl_tw_field_i32(w, 2, SL_PQ_ENC_DELTA_BINARY_PACKED);
        sl_tw_field_i32(w, 3, c->npages_delta);
        sl_tw_struct_end(w);
    }
    sl_tw_struct_end(w);                       /* ColumnMetaData */
    sl_tw_struct_end(w);                       /* ColumnChunk */
}

static void sl_time_unit_micros(sl_tw *w, bool utc)
{
    sl_tw_field_bool(w, 1, utc);
    sl_tw_field_struct(w, 2);                  /* TimeUnit */
    sl_tw_field_struct(w, SL_PQ_UNIT_MICROS);
    sl_tw_struct_end(w);
    sl_tw_struct_end(w);
}

void sl_pq_col_encode_schema(const sl_pq_col *c, sl_tw *w)
{
    sl_type t = c->type;
    if (c->list) {
        sl_tw_elem_struct(w);                  /* <name> (LIST) */
        sl_tw_field_i32(w, 3, c->list_opt ? SL_PQ_OPTIONAL : SL_PQ_REQUIRED);
        sl_tw_field_string(w, 4, c->field->name);
        sl_tw_field_i32(w, 5, 1);
        sl_tw_field_i32(w, 6, SL_PQ_CT_LIST);
        sl_tw_field_struct(w, 10);
        sl_tw_field_struct(w, SL_PQ_LT_LIST);
        sl_tw_struct_end(w);
        sl_tw_struct_end(w);
        sl_tw_struct_end(w);
        sl_tw_elem_struct(w);                  /* repeated group list */
        sl_tw_field_i32(w, 3, SL_PQ_REPEATED);
        sl_tw_field_string(w, 4, "list");
        sl_tw_field_i32(w, 5, 1);
        sl_tw_struct_end(w);
    }
    int converted = -1;
    switch (t.id) {
    case SL_T_INT16: converted = SL_PQ_CT_INT_16; break;
    case SL_T_DECIMAL: converted = SL_PQ_CT_DECIMAL; break;
    case SL_T_STRING: converted = SL_PQ_CT_UTF8; break;
    case SL_T_JSON: converted = SL_PQ_CT_JSON; break;
    case SL_T_DATE: converted = SL_PQ_CT_DATE; break;
    case SL_T_TIME: converted = SL_PQ_CT_TIME_MICROS; break;
    case SL_T_TIMESTAMP: converted = SL_PQ_CT_TIMESTAMP_MICROS; break;
    default: break;
    }
    sl_tw_elem_struct(w);
    sl_tw_field_i32(w, 1, c->physical);
    if (c->physical == SL_PQ_FIXED_LEN_BYTE_ARRAY) sl_tw_field_i32(w, 2, c->type_length);
    sl_tw_field_i32(w, 3, c->optional ? SL_PQ_OPTIONAL : SL_PQ_REQUIRED);
    sl_tw_field_string(w, 4, c->list ? "element" : c->field->name);
    if (converted >= 0) sl_tw_field_i32(w, 6, converted);
    if (t.id == SL_T_DECIMAL) {
        sl_tw_field_i32(w, 7, t.scale);
        sl_tw_field_i32(w, 8, t.precision);
    }
    int logical = -1;
    switch (t.id) {
    case SL_T_INT16: logical = SL_PQ_LT_INTEGER; break;
    case SL_T_DECIMAL: logical = SL_PQ_LT_DECIMAL; break;
    case SL_T_STRING: logical = SL_PQ_LT_STRING; break;
    case SL_T_JSON: logical = SL_PQ_LT_JSON; break;
    case SL_T_DATE: logical = SL_PQ_LT_DATE; break;
    case SL_T_TIME: logical = SL_PQ_LT_TIME; break;
    case SL_T_TIMESTAMP: logical = SL_PQ_LT_TIMESTAMP; break;
    case SL_T_UUID: logical = SL_PQ_LT_UUID; break;
    default: break;
    }
    if (logical >= 0) {
        sl_tw_field_struct(w, 10);             /* LogicalType union */
        sl_tw_field_struct(w, (int16_t)logical);
        switch (t.id) {
        case SL_T_INT16:
            sl_tw_field_i8(w, 1, 16);
            sl_tw_field_bool(w, 2, true);
            break;
        case SL_T_DECIMAL:
            sl_tw_field_i32(w, 1, t.scale);
            sl_tw_field_i32(w, 2, t.precision);
            break;
        case SL_T_TIME: sl_time_unit_micros(w, false); break;
        case SL_T_TIMESTAMP: sl_time_unit_micros(w, t.utc); break;
        default: break;
        }
        sl_tw_struct_end(w);
        sl_tw_struct_end(w);
    }
    sl_tw_struct_end(w);
}
