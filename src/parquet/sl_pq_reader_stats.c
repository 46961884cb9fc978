/*
 * sl_pq_reader_stats.c - the Parquet reader's statistics and filter
 * (sl_pq_reader_int.h): a column chunk's min/max formatted for `inspect`,
 * one column compared with a value (sl_pq_reader_filter), the rows of a
 * batch that match, and the row groups whose statistics exclude every
 * match (skipped without reading a page).
 */
#include "sl_pq_reader_int.h"

#include "core/sl_alloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- statistics and filters ---- */

/* Converts a statistics value into a 1-row vector of the column's type. */
static int sl_stat_to_vec(const sl_pq_col *c, const uint8_t *p, size_t len, sl_vector *v, sl_err *err)
{
    if (c->ptype == SL_PQ_FIXED_LEN_BYTE_ARRAY && (int)len != c->flba_len && c->conv != CV_BIN)
        return sl_err_set(err, SL_EFORMAT, "statistics value of %zu bytes", len);
    if (!c->bytes_shape && (int)len != c->pwidth && !(c->ptype == SL_PQ_BOOLEAN && len >= 1))
        return sl_err_set(err, SL_EFORMAT, "statistics value of %zu bytes", len);
    return sl_pqr_conv_one(c, p, len, v, 0, err);
}

const char *sl_pq_reader_stat_format(const sl_pq_reader *r, int leaf, const uint8_t *p, size_t len, char *buf, size_t size)
{
    sl_err err = SL_ERR_INIT;
    sl_type t;
    int conv;
    const sl_pq_leaf *l = &r->meta.leaves[leaf];
    const sl_pq_schema_elem *e = &r->meta.schema[l->schema_idx];
    bool ok = sl_pqr_map_elem(e, &t, &conv, &err) == 0;
    if (ok) {
        sl_pq_col c;
        sl_pqr_col_init((sl_pq_reader *)r, &c, leaf, t, conv);
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
bool sl_pqr_rg_excluded(sl_pq_reader *r, const sl_pq_row_group *rg)
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
