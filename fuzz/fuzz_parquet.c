/*
 * fuzz_parquet.c - libFuzzer target over the Parquet reader: the input is a
 * whole file in memory (sl_pq_reader_open_mem). It parses the footer, formats
 * every statistics value as inspect does, then reads every column of every
 * row group in small batches (so a page's untrusted value count cannot make
 * the batch itself large), also one column at a time with a filter. Reading
 * stops after a bounded number of rows: all-null pages of 2^31 values are
 * legal and would only be slow. Build: make build-fuzz/fuzz_parquet.
 */
#include "core/sl_list_text.h"
#include "core/sl_types.h"
#include "parquet/sl_pq_reader.h"

#include <stddef.h>
#include <stdint.h>

#define ROW_BUDGET 200000

static void read_all(sl_pq_reader *r)
{
    sl_err err = SL_ERR_INIT;
    const sl_schema *s = sl_pq_reader_schema(r, &err);
    if (!s) return;
    sl_batch *b = sl_batch_new(s, 64);
    sl_buf lt = { 0 };
    int64_t n, total = 0;
    while (total < ROW_BUDGET && (n = sl_pq_reader_next(r, b, &err)) > 0) {
        total += n;
        for (size_t row = 0; row < b->nrows; row++) {
            (void)sl_pq_filter_match(r, b, row);
            for (int c = 0; c < b->ncols; c++) {
                char buf[128];
                const sl_vector *v = &b->cols[c];
                if (v->type.id == SL_T_LIST && v->valid[row]) {
                    sl_buf_clear(&lt);
                    sl_format_list_json(v, row, &lt);   /* every element, NULL ones too */
                } else if (!sl_type_is_varlen(v->type) && v->valid[row]) {
                    sl_format_fixed(v, row, buf);
                }
            }
        }
    }
    sl_batch_free(b);
    sl_buf_free(&lt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_err err = SL_ERR_INIT;
    sl_pq_reader *r = sl_pq_reader_open_mem(data, size, "fuzz.parquet", &err);
    if (!r) return 0;
    const sl_pq_file_meta *m = sl_pq_reader_meta(r);
    char buf[256];
    for (int g = 0; g < m->nrow_groups && g < 8; g++)
        for (int c = 0; c < m->row_groups[g].ncolumns; c++) {
            const sl_pq_stats *st = &m->row_groups[g].columns[c].meta.stats;
            if (st->has_min) sl_pq_reader_stat_format(r, c, st->min, st->min_len, buf, sizeof buf);
            if (st->has_max) sl_pq_reader_stat_format(r, c, st->max, st->max_len, buf, sizeof buf);
        }
    /* every column together */
    read_all(r);
    /* each top-level flat column alone, with a filter */
    for (int l = 0; l < m->nleaves && l < 16; l++) {
        if (m->leaves[l].nested) continue;
        const char *name = m->schema[m->leaves[l].schema_idx].name;
        if (sl_pq_reader_select(r, &name, 1, &err) < 0) continue;
        sl_pq_reader_filter(r, name, (sl_pq_op)(l % 6), l % 2 ? "1" : "2024-01-01", &err);
        read_all(r);
    }
    sl_pq_reader_close(r);
    return 0;
}
