/*
 * sl_pq_col_list.c - writing a LIST column (one level of nesting): the
 * repetition and definition levels of each row's elements, the element
 * values through the element type's own append (sl_pq_col_<type>.c), and
 * pages cut at row boundaries.
 *
 * Levels (sl_pq_col.h): a NULL list is one entry (rep 0, def 0), an empty
 * list one entry (rep 0, def list_opt), a list of n elements n entries (rep
 * 0 then 1; def list_opt + 1 for a NULL element, max_def for a value). This
 * is the 3-level layout the Parquet spec's LogicalTypes.md prescribes and
 * DuckDB, Arrow and Spark write.
 *
 * Rows go in slices of at most SL_LIST_SLICE rows and SL_LIST_ENTRIES level
 * entries (one long list may exceed the latter: a page then holds that one
 * row); the level and dictionary-index buffers grow to the largest page.
 */
#include "sl_pq_col.h"

#include "../core/sl_alloc.h"
#include "sl_pq_rle.h"

#include <string.h>

#define SL_LIST_SLICE 1024
#define SL_LIST_ENTRIES 65536

static void sl_list_room(sl_pq_col *c, size_t entries)
{
    size_t need = c->page_nrows + entries;
    if (c->nidx + entries > need) need = c->nidx + entries;
    if (need <= c->lev_cap) return;
    size_t cap = c->lev_cap * 2;
    while (cap < need) cap *= 2;
    c->defs = sl_realloc(c->defs, cap);
    c->reps = sl_realloc(c->reps, cap);
    c->idx = sl_realloc(c->idx, cap * sizeof *c->idx);
    c->lev_cap = cap;
}

int sl_pq_col_write_list(sl_pq_col *c, sl_pq_ctx *x, const sl_vector *v, size_t from, size_t to, sl_err *err)
{
    const sl_vector *e = v->child;
    const int64_t *off = v->offsets;
    const uint8_t lo = c->list_opt ? 1 : 0;
    size_t r = from;
    while (r < to) {
        /* a slice of whole rows */
        size_t r1 = r, nent = 0;
        while (r1 < to && r1 - r < SL_LIST_SLICE) {
            size_t n = v->valid[r1] ? (size_t)(off[r1 + 1] - off[r1]) : 0;
            if (r1 > r && nent + (n ? n : 1) > SL_LIST_ENTRIES) break;
            nent += n ? n : 1;
            r1++;
        }
        sl_list_room(c, nent);
        uint8_t *defs = c->defs + c->page_nrows, *reps = c->reps + c->page_nrows;
        size_t k = 0;
        int64_t nulls = 0;
        for (size_t row = r; row < r1; row++) {
            if (!v->valid[row]) {
                if (!c->list_opt)
                    return sl_err_set(err, SL_EDATA, "column %s: row %lld is NULL but the column is NOT NULL "
                                      "(declare it nullable)", c->field->name, (long long)(c->row_base + (int64_t)row));
                reps[k] = 0;
                defs[k++] = 0;
                nulls++;
                continue;
            }
            size_t a = (size_t)off[row], b = (size_t)off[row + 1];
            if (a == b) {
                reps[k] = 0;
                defs[k++] = lo;
                nulls++;
                continue;
            }
            for (size_t i = a; i < b; i++) {
                reps[k] = i != a;
                uint8_t d = e->valid[i] ? (uint8_t)(lo + 2) : (uint8_t)(lo + 1);
                nulls += !e->valid[i];
                defs[k++] = d;
            }
        }
        /* the elements' values (append may stop early at a full page or
         * dictionary: the page is cut below, after the whole slice) */
        size_t a = r < r1 ? (size_t)off[r] : 0, b = r < r1 ? (size_t)off[r1] : 0;
        while (a < b) {
            size_t used = c->ops->append(c, e, a, b, err);
            if (used == (size_t)-1) {
                sl_err_prefix(err, "list element");
                return -1;
            }
            a += used;
        }
        c->null_count += nulls;
        c->page_nrows += k;
        c->page_records += r1 - r;
        r = r1;
        if (c->dict_on && c->dict.plain.len > x->dict_max_bytes) {
            if (sl_pq_col_flush_page(c, x, err) < 0) return -1;
            c->dict_on = false;
        } else if (c->page_records >= x->page_rows || c->page_nrows >= 8 * x->page_rows) {
            if (sl_pq_col_flush_page(c, x, err) < 0) return -1;
        } else {
            size_t est = c->dict_on ? c->nidx * (size_t)(sl_pq_bit_width(c->dict.count) + 7) / 8 : c->plain.len;
            if (est >= x->page_bytes && sl_pq_col_flush_page(c, x, err) < 0) return -1;
        }
    }
    return 0;
}
