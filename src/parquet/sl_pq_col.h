/*
 * sl_pq_col.h - the column-writer interface inside the Parquet writer
 * (internal to src/parquet; users see sl_pq_writer.h).
 *
 * One sl_pq_col per leaf column. Its life, per column chunk (row group):
 *   write    rows of batches go in; the per-type `append` (one file per
 *            Parquet type: sl_pq_col_bool.c, _int.c, _float.c, _bytes.c,
 *            _flba.c) converts values to the physical type, updates the
 *            statistics and puts them in the dictionary (indices) or PLAIN
 *            into the page buffer; the shared core (sl_pq_col.c) keeps the
 *            definition levels and cuts pages by rows and bytes;
 *   page     a full page is encoded (levels, RLE_DICTIONARY, or PLAIN, or
 *            DELTA_BINARY_PACKED for INT64 when delta_int64 is on),
 *            compressed and appended with its header to the chunk buffer;
 *   finish   at the end of a row group: the dictionary page (if any page
 *            used the dictionary), then the data pages go to the sl_out, and
 *            the ColumnChunk metadata is encoded for the footer;
 *   reset    a new chunk starts (dictionary on again, statistics cleared).
 *
 * The dictionary is dropped for the rest of a chunk when its PLAIN size
 * passes dict_max_bytes (pages already written stay dictionary-encoded), or
 * at the first page when most values are distinct (it would only cost):
 * judged after the chunk's first 1024 values (>= 95% distinct: dropped at
 * once) and again at the end of the first page (> 70% distinct).
 */
#ifndef SL_PQ_COL_H
#define SL_PQ_COL_H

#include "../core/sl_buf.h"
#include "../core/sl_error.h"
#include "../core/sl_out.h"
#include "../core/sl_types.h"
#include "sl_compress.h"
#include "sl_pq_dict_enc.h"
#include "sl_thrift_write.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct sl_pq_col sl_pq_col;

typedef struct sl_pq_col_ops {
    /* Appends the non-null values of rows [from, to) of v to the current
     * page (dictionary indices when c->dict_on, else PLAIN into c->plain)
     * and updates the statistics. Returns the rows consumed (>= 1 when
     * from < to; var-width types stop once the page is full), or
     * (size_t)-1 with err set for a value that cannot be written. */
    size_t (*append)(sl_pq_col *c, const sl_vector *v, size_t from, size_t to, sl_err *err);
    /* Fills c->stat_min / c->stat_max (PLAIN bytes of the physical type,
     * no length prefix) for the chunk; false when there is no min/max. */
    bool (*stats)(sl_pq_col *c);
} sl_pq_col_ops;

extern const sl_pq_col_ops sl_pq_col_bool_ops;
extern const sl_pq_col_ops sl_pq_col_int32_ops;
extern const sl_pq_col_ops sl_pq_col_int64_ops;
extern const sl_pq_col_ops sl_pq_col_float_ops;
extern const sl_pq_col_ops sl_pq_col_double_ops;
extern const sl_pq_col_ops sl_pq_col_bytes_ops;
extern const sl_pq_col_ops sl_pq_col_flba_ops;

/* Writer-wide settings and scratch space shared by all columns of a file. */
typedef struct sl_pq_ctx {
    sl_compressor *cmp;
    int codec;
    size_t page_bytes, page_rows, dict_max_bytes, stats_max_bytes;
    bool dictionary;
    bool page_crc;
    bool delta_int64;        /* INT64 pages without a dictionary: DELTA_BINARY_PACKED */
    sl_buf payload, cbuf, hdr;
} sl_pq_ctx;

struct sl_pq_col {
    const sl_pq_col_ops *ops;
    const sl_field *field;
    sl_type type;            /* the leaf's type: the field's, or a list's element type */
    int physical;            /* enum sl_pq_physical */
    int type_length;         /* FIXED_LEN_BYTE_ARRAY bytes */
    bool optional;
    int64_t row_base;        /* file row of batch row 0 (error messages) */
    size_t page_bytes;       /* var-width appends stop at this page size */
    size_t dict_max_bytes;
    size_t stats_max_bytes;  /* longer binary min/max are truncated */

    /* LIST columns (sl_pq_col_list.c), written as the spec's 3-level list:
     *   <optional|required> group <name> (LIST) {
     *     repeated group list { optional <type> element; } }
     * levels per entry: rep 0 starts a row, 1 continues it; def 0 NULL
     * list (optional lists), list_opt empty list, +1 NULL element, +2 a
     * value (max_def). */
    bool list;
    bool list_opt;           /* the list itself may be NULL */
    uint8_t max_def;
    uint8_t *reps;           /* repetition levels of the page */
    size_t lev_cap;          /* entries defs/reps (and idx) have room for */
    size_t page_records;     /* rows the page holds */

    /* current page */
    size_t page_nrows;       /* values incl. nulls (lists: level entries) */
    uint8_t *defs;           /* definition levels (0/1), page_rows of them */
    uint32_t *idx;           /* dictionary indices */
    size_t nidx;
    sl_buf plain;            /* PLAIN values */
    int bool_bits;           /* BOOLEAN: bits used in the last byte of plain */

    /* current chunk */
    bool dict_on;            /* new values go to the dictionary */
    bool dict_used;          /* a page of this chunk is dictionary-encoded */
    bool first_page_done;
    sl_pq_dict dict;
    sl_buf chunk;            /* data pages with their headers */
    int64_t num_values, null_count;
    int64_t data_unc, data_comp; /* data pages, headers included */
    int npages_plain, npages_dict, npages_delta;
    int store_pages;         /* next pages stored raw (did not compress); kept across chunks */

    /* statistics: typed running min/max kept by the type's file */
    bool has_minmax;
    union { int64_t i; double d; } smin, smax;
    bool saw_nan;
    uint8_t fmin[16], fmax[16];
    sl_buf stat_min, stat_max;   /* final or running bytes */
    bool min_exact, max_exact;

    /* the finished chunk, for the footer */
    int64_t out_dict_off, out_data_off, out_unc, out_comp;
};

void sl_pq_col_init(sl_pq_col *c, const sl_field *f, const sl_pq_ctx *x);
void sl_pq_col_free(sl_pq_col *c);
/* A writer's columns take (after init) and give (before free) their chunk
 * buffers as a set, kept between files (see sl_pq_col.c). */
void sl_pq_cols_spare_take(sl_pq_col *cols, int n);
void sl_pq_cols_spare_give(sl_pq_col *cols, int n);
/* Encodes the current page into the chunk (used by sl_pq_col_list.c). */
int sl_pq_col_flush_page(sl_pq_col *c, sl_pq_ctx *x, sl_err *err);
/* Rows [from, to) of LIST vector v (sl_pq_col_list.c). */
int sl_pq_col_write_list(sl_pq_col *c, sl_pq_ctx *x, const sl_vector *v, size_t from, size_t to, sl_err *err);
/* Rows [from, to) of vector v; may emit pages. */
int sl_pq_col_write(sl_pq_col *c, sl_pq_ctx *x, const sl_vector *v, size_t from, size_t to, sl_err *err);
/* Uncompressed bytes of the chunk so far (row-group sizing). */
int64_t sl_pq_col_estimate(const sl_pq_col *c);
/* Writes the chunk to out (dictionary page, then data pages); fills out_*. */
int sl_pq_col_finish_chunk(sl_pq_col *c, sl_pq_ctx *x, sl_out *out, sl_err *err);
/* Encodes the finished chunk's ColumnChunk struct as a list element. */
void sl_pq_col_encode_chunk_meta(sl_pq_col *c, sl_pq_ctx *x, sl_tw *w);
/* Clears the chunk for the next row group. */
void sl_pq_col_reset_chunk(sl_pq_col *c, const sl_pq_ctx *x);
/* The column's SchemaElement, as a list element. */
void sl_pq_col_encode_schema(const sl_pq_col *c, sl_tw *w);

/* Helpers for the type files. */
static inline void sl_pq_col_put_u32le(sl_buf *b, uint32_t v)
{
    uint8_t le[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    sl_buf_append(b, le, 4);
}

#endif
