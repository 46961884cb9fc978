/*
 * sl_pq_reader_int.h - what the Parquet reader's files share (sl_pq_reader.c:
 * open, selection, pages, row groups; sl_pq_reader_types.c: Parquet types
 * to sl_types and the conversion of physical values; sl_pq_reader_stats.c:
 * statistics, the row filter and row groups skipped by it): the reader's
 * and a selected column's state.
 */
#ifndef SL_PQ_READER_INT_H
#define SL_PQ_READER_INT_H

#include "sl_pq_reader.h"

#include "core/sl_buf.h"
#include "sl_pq_decode.h"
#include "sl_pq_format.h"

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

/* ---- sl_pq_reader.c ---- */

/* c set up to read leaf as type t through conversion conv. */
void sl_pqr_col_init(sl_pq_reader *r, sl_pq_col *c, int leaf, sl_type t, int conv);

/* ---- sl_pq_reader_types.c ---- */

/* A leaf's Parquet type as an sl_type and the conversion (enum sl_conv) of
 * its physical values; -1 with err for a type the reader does not map. */
int sl_pqr_map_elem(const sl_pq_schema_elem *e, sl_type *t, int *conv, sl_err *err);
/* "a map", "a struct", ... for a nested group the reader refuses; NULL: not nested. */
const char *sl_pqr_nested_kind(const sl_pq_schema_elem *e);
/* Whether leaf is the element of a one-level LIST (its definition levels
 * of a NULL list and of an element in *d_list, *d_rep). */
bool sl_pqr_list_shape(const sl_pq_reader *r, int leaf, int *d_list, int *d_rep);
/* One physical value (src, len bytes) converted into row `row` of v. */
int sl_pqr_conv_one(const sl_pq_col *c, const uint8_t *src, size_t len, sl_vector *v, size_t row, sl_err *err);
/* The k values decoded into c's scratch (nn not NULL of them) into v from row0. */
int sl_pqr_col_convert(sl_pq_col *c, size_t k, size_t nn, sl_vector *v, size_t row0, sl_err *err);

/* ---- sl_pq_reader_stats.c ---- */

/* Whether the filter excludes row group rg by its statistics. */
bool sl_pqr_rg_excluded(sl_pq_reader *r, const sl_pq_row_group *rg);

#endif
