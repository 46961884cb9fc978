/*
 * sl_pq_meta.c - FileMetaData and PageHeader decoding (see sl_pq_meta.h).
 *
 * Each thrift struct has one static parse function: a loop over its fields
 * that reads the ones it knows (when the wire type matches) and skips the
 * rest, so unknown fields and unknown union members (new logical types) are
 * ignored. Lists are allocated by their count, which sl_tr_list has already
 * bounded by the bytes left.
 */
#include "sl_pq_meta.h"

#include "sl_pq_format.h"
#include "sl_thrift_read.h"

#include <stdio.h>
#include <string.h>

#define SL_ENCRYPTED_MSG "encrypted Parquet files are not supported; decrypt the file first"

typedef struct sl_mp {
    sl_tr t;
    sl_arena *a;
    bool encrypted;
} sl_mp;

static const char *sl_mp_string(sl_mp *m)
{
    const uint8_t *p;
    uint32_t n;
    if (sl_tr_binary(&m->t, &p, &n) < 0) return NULL;
    return sl_arena_strndup(m->a, (const char *)p, n);
}

static int sl_mp_bytes(sl_mp *m, const uint8_t **out, uint32_t *len)
{
    const uint8_t *p;
    if (sl_tr_binary(&m->t, &p, len) < 0) return -1;
    uint8_t *c = sl_arena_alloc(m->a, *len ? *len : 1);
    if (*len) memcpy(c, p, *len);
    *out = c;
    return 0;
}

/* Loop helpers: FIELD(id, type) reads the field when id and type match. */
#define SL_STRUCT_BEGIN(m)                                         \
    if (sl_tr_struct_begin(&(m)->t) < 0) return -1;                \
    int16_t fid_ = 0;                                              \
    int ftype_;                                                    \
    for (;;) {                                                     \
        if (sl_tr_field(&(m)->t, &fid_, &ftype_) < 0) return -1;   \
        if (ftype_ == SL_TT_STOP) break;                           \
        switch (fid_) {
#define SL_STRUCT_END(m)                                           \
        default: sl_tr_skip(&(m)->t, ftype_);                      \
        }                                                          \
        if ((m)->t.failed) return -1;                              \
    }                                                              \
    sl_tr_struct_end(&(m)->t);
#define SL_STRUCT_END_NODEFAULT(m)                                 \
        }                                                          \
        if ((m)->t.failed) return -1;                              \
    }                                                              \
    sl_tr_struct_end(&(m)->t);
#define SL_CASE(id, tt) case id: if (ftype_ != (tt)) { sl_tr_skip(&m->t, ftype_); break; }
#define SL_CASE_BOOL(id) case id: if (ftype_ != SL_TT_TRUE && ftype_ != SL_TT_FALSE) { sl_tr_skip(&m->t, ftype_); break; }
#define SL_FTYPE ftype_

static int sl_mp_i32(sl_mp *m, int32_t *v) { return sl_tr_i32(&m->t, v); }
static int sl_mp_i64(sl_mp *m, int64_t *v) { return sl_tr_i64(&m->t, v); }

static int sl_mp_kv(sl_mp *m, sl_pq_meta_kv *kv)
{
    kv->key = NULL;
    kv->value = NULL;
    SL_STRUCT_BEGIN(m)
    SL_CASE(1, SL_TT_BINARY) kv->key = sl_mp_string(m); break;
    SL_CASE(2, SL_TT_BINARY) kv->value = sl_mp_string(m); break;
    SL_STRUCT_END(m)
    if (!kv->key) return sl_tr_fail(&m->t, "key/value metadata without a key");
    return 0;
}

static int sl_mp_kv_list(sl_mp *m, sl_pq_meta_kv **out, int *n)
{
    int et;
    uint32_t count;
    if (sl_tr_list(&m->t, &et, &count) < 0) return -1;
    if (et != SL_TT_STRUCT) return sl_tr_fail(&m->t, "key/value list of type %d", et);
    *out = sl_arena_alloc(m->a, (count ? count : 1) * sizeof **out);
    for (uint32_t i = 0; i < count; i++)
        if (sl_mp_kv(m, &(*out)[i]) < 0) return -1;
    *n = (int)count;
    return 0;
}

static int sl_mp_time_unit(sl_mp *m, int *unit)
{
    SL_STRUCT_BEGIN(m)
    case 1: case 2: case 3:
        if (SL_FTYPE == SL_TT_STRUCT) *unit = fid_;
        sl_tr_skip(&m->t, SL_FTYPE);
        break;
    SL_STRUCT_END(m)
    return 0;
}

static int sl_mp_logical_member(sl_mp *m, sl_pq_schema_elem *e, int member)
{
    SL_STRUCT_BEGIN(m)
    case 1:
        if (member == SL_PQ_LT_DECIMAL && SL_FTYPE == SL_TT_I32) { sl_mp_i32(m, &e->lt_scale); break; }
        if ((member == SL_PQ_LT_TIME || member == SL_PQ_LT_TIMESTAMP) &&
            (SL_FTYPE == SL_TT_TRUE || SL_FTYPE == SL_TT_FALSE)) { e->lt_utc = SL_FTYPE == SL_TT_TRUE; break; }
        if (member == SL_PQ_LT_INTEGER && SL_FTYPE == SL_TT_I8) {
            int8_t b;
            if (sl_tr_i8(&m->t, &b) == 0) e->lt_bit_width = b;
            break;
        }
        sl_tr_skip(&m->t, SL_FTYPE);
        break;
    case 2:
        if (member == SL_PQ_LT_DECIMAL && SL_FTYPE == SL_TT_I32) { sl_mp_i32(m, &e->lt_precision); break; }
        if ((member == SL_PQ_LT_TIME || member == SL_PQ_LT_TIMESTAMP) && SL_FTYPE == SL_TT_STRUCT) {
            sl_mp_time_unit(m, &e->lt_unit);
            break;
        }
        if (member == SL_PQ_LT_INTEGER && (SL_FTYPE == SL_TT_TRUE || SL_FTYPE == SL_TT_FALSE)) {
            e->lt_signed = SL_FTYPE == SL_TT_TRUE;
            break;
        }
        sl_tr_skip(&m->t, SL_FTYPE);
        break;
    SL_STRUCT_END(m)
    return 0;
}

static int sl_mp_logical(sl_mp *m, sl_pq_schema_elem *e)
{
    SL_STRUCT_BEGIN(m)
    default:
        if (SL_FTYPE == SL_TT_STRUCT && fid_ >= 1 && fid_ <= SL_PQ_LT_FLOAT16 && fid_ != 9) {
            e->logical = fid_;
            if (sl_mp_logical_member(m, e, fid_) < 0) return -1;
        } else {
            sl_tr_skip(&m->t, SL_FTYPE);   /* unknown member: treated as no logical type */
        }
        break;
    SL_STRUCT_END_NODEFAULT(m)
    return 0;
}

static int sl_mp_schema_elem(sl_mp *m, sl_pq_schema_elem *e)
{
    memset(e, 0, sizeof *e);
    e->type = -1;
    e->repetition = -1;
    e->num_children = -1;
    e->converted = -1;
    e->scale = e->precision = e->field_id = -1;
    e->lt_scale = e->lt_precision = -1;
    e->lt_signed = true;
    SL_STRUCT_BEGIN(m)
    SL_CASE(1, SL_TT_I32) sl_mp_i32(m, &e->type); break;
    SL_CASE(2, SL_TT_I32) sl_mp_i32(m, &e->type_length); break;
    SL_CASE(3, SL_TT_I32) sl_mp_i32(m, &e->repetition); break;
    SL_CASE(4, SL_TT_BINARY) e->name = sl_mp_string(m); break;
    SL_CASE(5, SL_TT_I32) sl_mp_i32(m, &e->num_children); break;
    SL_CASE(6, SL_TT_I32) sl_mp_i32(m, &e->converted); break;
    SL_CASE(7, SL_TT_I32) sl_mp_i32(m, &e->scale); break;
    SL_CASE(8, SL_TT_I32) sl_mp_i32(m, &e->precision); break;
    SL_CASE(9, SL_TT_I32) sl_mp_i32(m, &e->field_id); break;
    SL_CASE(10, SL_TT_STRUCT) if (sl_mp_logical(m, e) < 0) return -1; break;
    SL_STRUCT_END(m)
    if (!e->name) return sl_tr_fail(&m->t, "schema element without a name");
    if (e->type != -1 && (e->type < SL_PQ_BOOLEAN || e->type > SL_PQ_FIXED_LEN_BYTE_ARRAY))
        return sl_tr_fail(&m->t, "schema element %s has unknown physical type %d", e->name, e->type);
    if (e->repetition != -1 && (e->repetition < 0 || e->repetition > SL_PQ_REPEATED))
        return sl_tr_fail(&m->t, "schema element %s has unknown repetition %d", e->name, e->repetition);
    return 0;
}

static int sl_mp_stats(sl_mp *m, sl_pq_stats *s)
{
    const uint8_t *lmin = NULL, *lmax = NULL;
    uint32_t lmin_len = 0, lmax_len = 0;
    bool has_lmin = false, has_lmax = false;
    memset(s, 0, sizeof *s);
    s->present = true;
    s->min_exact = s->max_exact = true;
    SL_STRUCT_BEGIN(m)
    SL_CASE(1, SL_TT_BINARY) if (sl_mp_bytes(m, &lmax, &lmax_len) == 0) has_lmax = true; break;
    SL_CASE(2, SL_TT_BINARY) if (sl_mp_bytes(m, &lmin, &lmin_len) == 0) has_lmin = true; break;
    SL_CASE(3, SL_TT_I64) if (sl_mp_i64(m, &s->null_count) == 0) s->has_null_count = true; break;
    SL_CASE(4, SL_TT_I64) if (sl_mp_i64(m, &s->distinct_count) == 0) s->has_distinct = true; break;
    SL_CASE(5, SL_TT_BINARY) if (sl_mp_bytes(m, &s->max, &s->max_len) == 0) s->has_max = true; break;
    SL_CASE(6, SL_TT_BINARY) if (sl_mp_bytes(m, &s->min, &s->min_len) == 0) s->has_min = true; break;
    SL_CASE_BOOL(7) s->max_exact = SL_FTYPE == SL_TT_TRUE; break;
    SL_CASE_BOOL(8) s->min_exact = SL_FTYPE == SL_TT_TRUE; break;
    SL_STRUCT_END(m)
    if (!s->has_min && !s->has_max && (has_lmin || has_lmax)) {
        s->legacy = true;
        s->has_min = has_lmin;
        s->min = lmin;
        s->min_len = lmin_len;
        s->has_max = has_lmax;
        s->max = lmax;
        s->max_len = lmax_len;
    }
    return 0;
}

static int sl_mp_column_meta(sl_mp *m, sl_pq_column_meta *c)
{
    memset(c, 0, sizeof *c);
    c->type = -1;
    c->codec = -1;
    c->num_values = -1;
    c->data_page_offset = -1;
    int et;
    uint32_t count;
    SL_STRUCT_BEGIN(m)
    SL_CASE(1, SL_TT_I32) sl_mp_i32(m, &c->type); break;
    SL_CASE(2, SL_TT_LIST)
        if (sl_tr_list(&m->t, &et, &count) < 0) return -1;
        if (et != SL_TT_I32) return sl_tr_fail(&m->t, "encodings list of type %d", et);
        c->encodings = sl_arena_alloc(m->a, (count ? count : 1) * sizeof *c->encodings);
        for (uint32_t i = 0; i < count; i++)
            if (sl_mp_i32(m, &c->encodings[i]) < 0) return -1;
        c->nencodings = (int)count;
        break;
    SL_CASE(3, SL_TT_LIST)
        if (sl_tr_list(&m->t, &et, &count) < 0) return -1;
        if (et != SL_TT_BINARY) return sl_tr_fail(&m->t, "path_in_schema list of type %d", et);
        c->path = sl_arena_alloc(m->a, (count ? count : 1) * sizeof *c->path);
        for (uint32_t i = 0; i < count; i++)
            if (!(c->path[i] = sl_mp_string(m))) return -1;
        c->npath = (int)count;
        break;
    SL_CASE(4, SL_TT_I32) sl_mp_i32(m, &c->codec); break;
    SL_CASE(5, SL_TT_I64) sl_mp_i64(m, &c->num_values); break;
    SL_CASE(6, SL_TT_I64) sl_mp_i64(m, &c->total_uncompressed_size); break;
    SL_CASE(7, SL_TT_I64) sl_mp_i64(m, &c->total_compressed_size); break;
    SL_CASE(8, SL_TT_LIST) if (sl_mp_kv_list(m, &c->kv, &c->nkv) < 0) return -1; break;
    SL_CASE(9, SL_TT_I64) sl_mp_i64(m, &c->data_page_offset); break;
    SL_CASE(10, SL_TT_I64) if (sl_mp_i64(m, &c->index_page_offset) == 0) c->has_index_page_offset = true; break;
    SL_CASE(11, SL_TT_I64) if (sl_mp_i64(m, &c->dictionary_page_offset) == 0) c->has_dictionary_page_offset = true; break;
    SL_CASE(12, SL_TT_STRUCT) if (sl_mp_stats(m, &c->stats) < 0) return -1; break;
    SL_STRUCT_END(m)
    if (c->type < SL_PQ_BOOLEAN || c->type > SL_PQ_FIXED_LEN_BYTE_ARRAY)
        return sl_tr_fail(&m->t, "column metadata without a valid physical type (%d)", c->type);
    if (c->codec < 0) return sl_tr_fail(&m->t, "column metadata without a codec");
    if (c->num_values < 0) return sl_tr_fail(&m->t, "column metadata with a negative or missing num_values");
    if (c->data_page_offset < 0) return sl_tr_fail(&m->t, "column metadata with a negative or missing data_page_offset");
    if (c->total_compressed_size < 0 || c->total_uncompressed_size < 0)
        return sl_tr_fail(&m->t, "column metadata with a negative size");
    return 0;
}

static int sl_mp_column_chunk(sl_mp *m, sl_pq_column_chunk *c)
{
    memset(c, 0, sizeof *c);
    SL_STRUCT_BEGIN(m)
    SL_CASE(1, SL_TT_BINARY) c->file_path = sl_mp_string(m); break;
    SL_CASE(2, SL_TT_I64) sl_mp_i64(m, &c->file_offset); break;
    SL_CASE(3, SL_TT_STRUCT) if (sl_mp_column_meta(m, &c->meta) < 0) return -1; c->has_meta_data = true; break;
    SL_CASE(4, SL_TT_I64) sl_mp_i64(m, &c->offset_index_offset); break;
    SL_CASE(5, SL_TT_I32) sl_mp_i32(m, &c->offset_index_length); break;
    SL_CASE(6, SL_TT_I64) sl_mp_i64(m, &c->column_index_offset); break;
    SL_CASE(7, SL_TT_I32) sl_mp_i32(m, &c->column_index_length); break;
    case 8: case 9:
        c->encrypted = true;
        m->encrypted = true;
        sl_tr_skip(&m->t, SL_FTYPE);
        break;
    SL_STRUCT_END(m)
    return 0;
}

static int sl_mp_row_group(sl_mp *m, sl_pq_row_group *rg)
{
    memset(rg, 0, sizeof *rg);
    rg->num_rows = -1;
    int et;
    uint32_t count;
    bool has_columns = false;
    SL_STRUCT_BEGIN(m)
    SL_CASE(1, SL_TT_LIST)
        if (sl_tr_list(&m->t, &et, &count) < 0) return -1;
        if (et != SL_TT_STRUCT) return sl_tr_fail(&m->t, "column chunk list of type %d", et);
        rg->columns = sl_arena_alloc(m->a, (count ? count : 1) * sizeof *rg->columns);
        for (uint32_t i = 0; i < count; i++)
            if (sl_mp_column_chunk(m, &rg->columns[i]) < 0) return -1;
        rg->ncolumns = (int)count;
        has_columns = true;
        break;
    SL_CASE(2, SL_TT_I64) sl_mp_i64(m, &rg->total_byte_size); break;
    SL_CASE(3, SL_TT_I64) sl_mp_i64(m, &rg->num_rows); break;
    SL_CASE(5, SL_TT_I64) if (sl_mp_i64(m, &rg->file_offset) == 0) rg->has_file_offset = true; break;
    SL_CASE(6, SL_TT_I64) if (sl_mp_i64(m, &rg->total_compressed_size) == 0) rg->has_total_compressed_size = true; break;
    SL_CASE(7, SL_TT_I16) if (sl_tr_i16(&m->t, &rg->ordinal) == 0) rg->has_ordinal = true; break;
    SL_STRUCT_END(m)
    if (!has_columns) return sl_tr_fail(&m->t, "row group without columns");
    if (rg->num_rows < 0) return sl_tr_fail(&m->t, "row group with a negative or missing num_rows");
    return 0;
}

static int sl_mp_column_order(sl_mp *m, int *order)
{
    *order = 0;
    SL_STRUCT_BEGIN(m)
    default:
        *order = fid_;
        sl_tr_skip(&m->t, SL_FTYPE);
        break;
    SL_STRUCT_END_NODEFAULT(m)
    return 0;
}

static int sl_mp_file(sl_mp *m, sl_pq_file_meta *f)
{
    memset(f, 0, sizeof *f);
    f->num_rows = -1;
    int et;
    uint32_t count;
    bool has_schema = false, has_rgs = false;
    SL_STRUCT_BEGIN(m)
    SL_CASE(1, SL_TT_I32) sl_mp_i32(m, &f->version); break;
    SL_CASE(2, SL_TT_LIST)
        if (sl_tr_list(&m->t, &et, &count) < 0) return -1;
        if (et != SL_TT_STRUCT) return sl_tr_fail(&m->t, "schema list of type %d", et);
        f->schema = sl_arena_alloc(m->a, (count ? count : 1) * sizeof *f->schema);
        for (uint32_t i = 0; i < count; i++)
            if (sl_mp_schema_elem(m, &f->schema[i]) < 0) return -1;
        f->nschema = (int)count;
        has_schema = true;
        break;
    SL_CASE(3, SL_TT_I64) sl_mp_i64(m, &f->num_rows); break;
    SL_CASE(4, SL_TT_LIST)
        if (sl_tr_list(&m->t, &et, &count) < 0) return -1;
        if (et != SL_TT_STRUCT) return sl_tr_fail(&m->t, "row group list of type %d", et);
        f->row_groups = sl_arena_alloc(m->a, (count ? count : 1) * sizeof *f->row_groups);
        for (uint32_t i = 0; i < count; i++) {
            if (sl_mp_row_group(m, &f->row_groups[i]) < 0) {
                if (m->t.failed && !m->encrypted) sl_err_prefix(m->t.err, "row group %u", i);
                return -1;
            }
        }
        f->nrow_groups = (int)count;
        has_rgs = true;
        break;
    SL_CASE(5, SL_TT_LIST) if (sl_mp_kv_list(m, &f->kv, &f->nkv) < 0) return -1; break;
    SL_CASE(6, SL_TT_BINARY) f->created_by = sl_mp_string(m); break;
    SL_CASE(7, SL_TT_LIST)
        if (sl_tr_list(&m->t, &et, &count) < 0) return -1;
        if (et != SL_TT_STRUCT) return sl_tr_fail(&m->t, "column order list of type %d", et);
        f->column_orders = sl_arena_alloc(m->a, (count ? count : 1) * sizeof *f->column_orders);
        for (uint32_t i = 0; i < count; i++)
            if (sl_mp_column_order(m, &f->column_orders[i]) < 0) return -1;
        f->ncolumn_orders = (int)count;
        break;
    case 8: /* encryption_algorithm: a plaintext footer with encrypted columns */
        m->encrypted = true;
        sl_tr_skip(&m->t, SL_FTYPE);
        break;
    SL_STRUCT_END(m)
    if (!has_schema || f->nschema < 1) return sl_tr_fail(&m->t, "file metadata without a schema");
    if (!has_rgs) return sl_tr_fail(&m->t, "file metadata without a row group list");
    if (f->num_rows < 0) return sl_tr_fail(&m->t, "file metadata with a negative or missing num_rows");
    return 0;
}

/* Walks the depth-first schema list: checks num_children, finds the leaves,
 * their definition/repetition levels and whether they are nested. */
static int sl_meta_leaves(sl_pq_file_meta *f, sl_arena *a, sl_err *err)
{
    const sl_pq_schema_elem *root = &f->schema[0];
    if (root->num_children < 0 || root->type != -1)
        return sl_err_set(err, SL_EFORMAT, "corrupt schema: the root element is not a group");
    int n = f->nschema;
    /* Stack of open groups: schema index, children left, def, rep. */
    struct fr { int idx, left, def, rep, top; } *stack = sl_arena_alloc(a, (size_t)n * sizeof *stack);
    int depth = 0;
    stack[depth++] = (struct fr){ 0, root->num_children, 0, 0, -1 };
    f->leaves = sl_arena_alloc(a, (size_t)n * sizeof *f->leaves);
    f->nleaves = 0;
    int i = 1;
    while (depth > 0) {
        struct fr *top = &stack[depth - 1];
        if (top->left == 0) {
            depth--;
            continue;
        }
        if (i >= n)
            return sl_err_set(err, SL_EFORMAT, "corrupt schema: group %s says it has more children than the schema lists",
                              f->schema[top->idx].name);
        top->left--;
        sl_pq_schema_elem *e = &f->schema[i];
        if (e->repetition < 0)
            return sl_err_set(err, SL_EFORMAT, "corrupt schema: element %s has no repetition", e->name);
        int def = top->def + (e->repetition != SL_PQ_REQUIRED);
        int rep = top->rep + (e->repetition == SL_PQ_REPEATED);
        int top_idx = depth == 1 ? i : top->top;
        bool group = e->num_children > 0 || (e->type == -1);
        if (group) {
            if (depth >= 64)
                return sl_err_set(err, SL_EFORMAT, "corrupt schema: groups nested deeper than 64 levels at %s", e->name);
            if (e->num_children < 0)
                return sl_err_set(err, SL_EFORMAT, "corrupt schema: element %s has neither a type nor children", e->name);
            stack[depth++] = (struct fr){ i, e->num_children, def, rep, top_idx };
        } else {
            if (e->type == SL_PQ_FIXED_LEN_BYTE_ARRAY && (e->type_length <= 0 || e->type_length > (1 << 24)))
                return sl_err_set(err, SL_EFORMAT, "corrupt schema: column %s is FIXED_LEN_BYTE_ARRAY of bad length %d",
                                  e->name, e->type_length);
            sl_pq_leaf *l = &f->leaves[f->nleaves++];
            l->schema_idx = i;
            l->top_idx = top_idx;
            l->max_def = def;
            l->max_rep = rep;
            const sl_pq_schema_elem *te = &f->schema[top_idx];
            l->nested = top_idx != i || te->repetition == SL_PQ_REPEATED;
            /* dotted path: names from the top-level field down */
            size_t len = 0;
            for (int d = 1; d < depth; d++) len += strlen(f->schema[stack[d].idx].name) + 1;
            len += strlen(e->name) + 1;
            char *path = sl_arena_alloc(a, len), *w = path;
            for (int d = 1; d < depth; d++) w += sprintf(w, "%s.", f->schema[stack[d].idx].name);
            strcpy(w, e->name);
            l->path = path;
        }
        i++;
    }
    if (i != n)
        return sl_err_set(err, SL_EFORMAT, "corrupt schema: %d elements listed but the num_children fields account for %d", n, i);
    return 0;
}

int sl_pq_meta_parse(const uint8_t *p, size_t n, uint64_t footer_start, sl_arena *a, sl_pq_file_meta *out, sl_err *err)
{
    sl_mp m = { .a = a };
    sl_tr_init(&m.t, p, n, err);
    if (sl_mp_file(&m, out) < 0) {
        if (m.encrypted) return sl_err_set(err, SL_ETYPE, SL_ENCRYPTED_MSG);
        sl_err_prefix(err, "file metadata");
        return -1;
    }
    if (m.encrypted) return sl_err_set(err, SL_ETYPE, SL_ENCRYPTED_MSG);
    if (sl_meta_leaves(out, a, err) < 0) return -1;
    for (int g = 0; g < out->nrow_groups; g++) {
        sl_pq_row_group *rg = &out->row_groups[g];
        if (rg->ncolumns != out->nleaves)
            return sl_err_set(err, SL_EFORMAT, "row group %d has %d column chunks but the schema has %d columns",
                              g, rg->ncolumns, out->nleaves);
        for (int c = 0; c < rg->ncolumns; c++) {
            sl_pq_column_chunk *cc = &rg->columns[c];
            const sl_pq_leaf *leaf = &out->leaves[c];
            if (!cc->has_meta_data)
                return sl_err_set(err, SL_EFORMAT, "row group %d: column %s has no metadata", g, leaf->path);
            if (cc->meta.type != out->schema[leaf->schema_idx].type)
                return sl_err_set(err, SL_EFORMAT, "row group %d: column %s: chunk type %s differs from the schema's %s",
                                  g, leaf->path, sl_pq_physical_name(cc->meta.type),
                                  sl_pq_physical_name(out->schema[leaf->schema_idx].type));
            if ((uint64_t)cc->meta.data_page_offset >= footer_start ||
                (uint64_t)cc->meta.total_compressed_size > footer_start)
                return sl_err_set(err, SL_EFORMAT, "row group %d: column %s: data offset %lld or size %lld lies outside the file",
                                  g, leaf->path, (long long)cc->meta.data_page_offset,
                                  (long long)cc->meta.total_compressed_size);
        }
    }
    return 0;
}

/* ---- page headers ---- */

static int sl_mp_data_header(sl_mp *m, sl_pq_page_header *h)
{
    SL_STRUCT_BEGIN(m)
    SL_CASE(1, SL_TT_I32) sl_mp_i32(m, &h->num_values); break;
    SL_CASE(2, SL_TT_I32) sl_mp_i32(m, &h->encoding); break;
    SL_CASE(3, SL_TT_I32) sl_mp_i32(m, &h->def_encoding); break;
    SL_CASE(4, SL_TT_I32) sl_mp_i32(m, &h->rep_encoding); break;
    SL_STRUCT_END(m)
    return 0;
}

static int sl_mp_dict_header(sl_mp *m, sl_pq_page_header *h)
{
    SL_STRUCT_BEGIN(m)
    SL_CASE(1, SL_TT_I32) sl_mp_i32(m, &h->num_values); break;
    SL_CASE(2, SL_TT_I32) sl_mp_i32(m, &h->encoding); break;
    SL_STRUCT_END(m)
    return 0;
}

static int sl_mp_v2_header(sl_mp *m, sl_pq_page_header *h)
{
    SL_STRUCT_BEGIN(m)
    SL_CASE(1, SL_TT_I32) sl_mp_i32(m, &h->num_values); break;
    SL_CASE(2, SL_TT_I32) sl_mp_i32(m, &h->num_nulls); break;
    SL_CASE(3, SL_TT_I32) sl_mp_i32(m, &h->num_rows); break;
    SL_CASE(4, SL_TT_I32) sl_mp_i32(m, &h->encoding); break;
    SL_CASE(5, SL_TT_I32) sl_mp_i32(m, &h->def_len); break;
    SL_CASE(6, SL_TT_I32) sl_mp_i32(m, &h->rep_len); break;
    SL_CASE_BOOL(7) h->is_compressed = SL_FTYPE == SL_TT_TRUE; break;
    SL_STRUCT_END(m)
    return 0;
}

static int sl_mp_page_header(sl_mp *m, sl_pq_page_header *h)
{
    int32_t crc;
    bool has_type = false, has_u = false, has_c = false;
    SL_STRUCT_BEGIN(m)
    SL_CASE(1, SL_TT_I32) if (sl_mp_i32(m, &h->type) == 0) has_type = true; break;
    SL_CASE(2, SL_TT_I32) if (sl_mp_i32(m, &h->uncompressed_size) == 0) has_u = true; break;
    SL_CASE(3, SL_TT_I32) if (sl_mp_i32(m, &h->compressed_size) == 0) has_c = true; break;
    SL_CASE(4, SL_TT_I32) if (sl_mp_i32(m, &crc) == 0) { h->has_crc = true; h->crc = (uint32_t)crc; } break;
    SL_CASE(5, SL_TT_STRUCT) if (sl_mp_data_header(m, h) < 0) return -1; h->has_data_header = true; break;
    SL_CASE(7, SL_TT_STRUCT) if (sl_mp_dict_header(m, h) < 0) return -1; h->has_dict_header = true; break;
    SL_CASE(8, SL_TT_STRUCT) if (sl_mp_v2_header(m, h) < 0) return -1; h->has_v2_header = true; break;
    SL_STRUCT_END(m)
    if (!has_type || !has_u || !has_c) return sl_tr_fail(&m->t, "page header lacks its type or sizes");
    if (h->uncompressed_size < 0 || h->compressed_size < 0)
        return sl_tr_fail(&m->t, "page header with a negative size");
    return 0;
}

int sl_pq_page_header_parse(const uint8_t *p, size_t n, sl_pq_page_header *h, size_t *used, sl_err *err)
{
    sl_mp m = { .a = NULL };
    memset(h, 0, sizeof *h);
    h->is_compressed = true;
    h->def_encoding = h->rep_encoding = SL_PQ_ENC_RLE;
    sl_tr_init(&m.t, p, n, err);
    if (sl_mp_page_header(&m, h) < 0) {
        sl_err_prefix(err, "page header");
        return -1;
    }
    *used = sl_tr_pos(&m.t);
    return 0;
}

/* ---- names ---- */

const char *sl_pq_physical_name(int type)
{
    static const char *const names[] = { "BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE",
                                         "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY" };
    if (type >= 0 && type < 8) return names[type];
    return type == -1 ? "group" : "?";
}

const char *sl_pq_encoding_name(int enc)
{
    switch (enc) {
    case SL_PQ_ENC_PLAIN: return "PLAIN";
    case 1: return "GROUP_VAR_INT";
    case SL_PQ_ENC_PLAIN_DICTIONARY: return "PLAIN_DICTIONARY";
    case SL_PQ_ENC_RLE: return "RLE";
    case SL_PQ_ENC_BIT_PACKED: return "BIT_PACKED";
    case SL_PQ_ENC_DELTA_BINARY_PACKED: return "DELTA_BINARY_PACKED";
    case SL_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY: return "DELTA_LENGTH_BYTE_ARRAY";
    case SL_PQ_ENC_DELTA_BYTE_ARRAY: return "DELTA_BYTE_ARRAY";
    case SL_PQ_ENC_RLE_DICTIONARY: return "RLE_DICTIONARY";
    case SL_PQ_ENC_BYTE_STREAM_SPLIT: return "BYTE_STREAM_SPLIT";
    default: return "?";
    }
}

const char *sl_pq_repetition_name(int rep)
{
    switch (rep) {
    case SL_PQ_REQUIRED: return "REQUIRED";
    case SL_PQ_OPTIONAL: return "OPTIONAL";
    case SL_PQ_REPEATED: return "REPEATED";
    default: return "";
    }
}

const char *sl_pq_converted_name(int ct)
{
    static const char *const names[] = {
        "UTF8", "MAP", "MAP_KEY_VALUE", "LIST", "ENUM", "DECIMAL", "DATE", "TIME_MILLIS",
        "TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8", "UINT_16", "UINT_32",
        "UINT_64", "INT_8", "INT_16", "INT_32", "INT_64", "JSON", "BSON", "INTERVAL" };
    if (ct >= 0 && ct < (int)(sizeof names / sizeof names[0])) return names[ct];
    return ct < 0 ? "" : "?";
}

const char *sl_pq_logical_format(const sl_pq_schema_elem *e, char *buf, size_t size)
{
    static const char *const units[] = { "?", "MILLIS", "MICROS", "NANOS" };
    const char *unit = e->lt_unit >= 1 && e->lt_unit <= 3 ? units[e->lt_unit] : "?";
    switch (e->logical) {
    case SL_PQ_LT_STRING: snprintf(buf, size, "STRING"); break;
    case SL_PQ_LT_MAP: snprintf(buf, size, "MAP"); break;
    case SL_PQ_LT_LIST: snprintf(buf, size, "LIST"); break;
    case SL_PQ_LT_ENUM: snprintf(buf, size, "ENUM"); break;
    case SL_PQ_LT_DECIMAL: snprintf(buf, size, "DECIMAL(%d,%d)", e->lt_precision, e->lt_scale); break;
    case SL_PQ_LT_DATE: snprintf(buf, size, "DATE"); break;
    case SL_PQ_LT_TIME: snprintf(buf, size, "TIME(%s,%s)", unit, e->lt_utc ? "utc" : "local"); break;
    case SL_PQ_LT_TIMESTAMP: snprintf(buf, size, "TIMESTAMP(%s,%s)", unit, e->lt_utc ? "utc" : "local"); break;
    case SL_PQ_LT_INTEGER: snprintf(buf, size, "INTEGER(%d,%s)", e->lt_bit_width, e->lt_signed ? "signed" : "unsigned"); break;
    case SL_PQ_LT_UNKNOWN: snprintf(buf, size, "UNKNOWN"); break;
    case SL_PQ_LT_JSON: snprintf(buf, size, "JSON"); break;
    case SL_PQ_LT_BSON: snprintf(buf, size, "BSON"); break;
    case SL_PQ_LT_UUID: snprintf(buf, size, "UUID"); break;
    case SL_PQ_LT_FLOAT16: snprintf(buf, size, "FLOAT16"); break;
    default: snprintf(buf, size, "%s", ""); break;
    }
    return buf;
}
