/*
 * sl_sink_csv.c - the CSV sink (kind "csv", extension "csv"): one RFC 4180
 * file per task, written through sl_out.
 *
 *   - a header line with the column names;
 *   - fields are quoted only when they need it (delimiter, quote, CR or LF
 *     inside; quotes doubled); an empty string is written as "" so that it
 *     differs from NULL, which is an empty unquoted field;
 *   - fixed-width values use the shared text forms (sl_format_fixed), so the
 *     CSV sink, `sluice cat` and the tests print values the same way;
 *   - bytes are written as \x followed by lowercase hex, as PostgreSQL does;
 *   - lines end with \n.
 * Rows are assembled in a reused buffer and handed to sl_out in large
 * pieces: no allocation per row once the buffer has grown. finish() hands
 * the last rows to the sl_out (the caller makes it durable); abort() drops
 * the writer. The key/value
 * metadata has no place in a CSV file and is ignored. finish() reports the
 * rows written as lines (the failpoint sink-drop-row, `on`, leaves a
 * batch's last row out, for the tests of the engine's row checks).
 */
#include "sl_sink.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_failpoint.h"
#include "../core/sl_list_text.h"
#include "../core/sl_out.h"

#include <string.h>

#define SL_CSV_CHUNK (128 * 1024)

typedef struct sl_csv_writer {
    sl_out *out;
    sl_buf line;             /* rows waiting to be handed to out */
    sl_buf list;             /* a LIST value as text */
    uint64_t rows;
} sl_csv_writer;

static void sl_csv_field(sl_buf *b, const uint8_t *p, size_t len)
{
    bool quote = len == 0;
    for (size_t i = 0; i < len && !quote; i++)
        if (p[i] == ',' || p[i] == '"' || p[i] == '\n' || p[i] == '\r') quote = true;
    if (!quote) {
        sl_buf_append(b, p, len);
        return;
    }
    sl_buf_reserve(b, len * 2 + 2);
    uint8_t *o = b->data + b->len;
    *o++ = '"';
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '"') *o++ = '"';
        *o++ = p[i];
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
}

static void sl_csv_hex(sl_buf *b, const uint8_t *p, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    sl_buf_reserve(b, len * 2 + 2);
    uint8_t *o = b->data + b->len;
    *o++ = '\\';
    *o++ = 'x';
    for (size_t i = 0; i < len; i++) {
        *o++ = (uint8_t)digits[p[i] >> 4];
        *o++ = (uint8_t)digits[p[i] & 15];
    }
    b->len = (size_t)(o - b->data);
}

static void sl_csv_drain(sl_csv_writer *w)
{
    sl_out_write(w->out, w->line.data, w->line.len);
    sl_buf_clear(&w->line);
}

static void *sl_csv_open(const sl_job_target *target, const sl_schema *schema, sl_out *out,
                         const sl_sink_kv *meta, int nmeta, sl_err *err)
{
    (void)target; (void)meta; (void)nmeta; (void)err;
    sl_csv_writer *w = sl_calloc(1, sizeof *w);
    w->out = out;
    for (int c = 0; c < schema->ncols; c++) {
        if (c) sl_buf_push(&w->line, ',');
        const char *name = schema->fields[c].name;
        sl_csv_field(&w->line, (const uint8_t *)name, strlen(name));
    }
    sl_buf_push(&w->line, '\n');
    return w;
}

static int sl_csv_write(void *writer, const sl_batch *batch, sl_err *err)
{
    sl_csv_writer *w = writer;
    char text[128];
    size_t nrows = batch->nrows;
    int fault = nrows > 0 ? sl_failpoint(SL_FP_SINK_DROP_ROW, err) : 0;
    if (fault < 0) return -1;
    if (fault > 0) nrows--;
    for (size_t row = 0; row < nrows; row++) {
        for (int c = 0; c < batch->ncols; c++) {
            if (c) sl_buf_push(&w->line, ',');
            const sl_vector *v = &batch->cols[c];
            if (!v->valid[row]) continue;
            if (v->type.id == SL_T_LIST) {
                sl_buf_clear(&w->list);
                sl_format_list_json(v, row, &w->list);
                sl_csv_field(&w->line, w->list.data, w->list.len);
            } else if (sl_type_is_varlen(v->type)) {
                size_t len;
                const uint8_t *p = sl_vec_bytes(v, row, &len);
                if (v->type.id == SL_T_BYTES) sl_csv_hex(&w->line, p, len);
                else sl_csv_field(&w->line, p, len);
            } else {
                size_t n = sl_format_fixed(v, row, text);
                sl_buf_append(&w->line, text, n);
            }
        }
        sl_buf_push(&w->line, '\n');
        if (w->line.len >= SL_CSV_CHUNK) sl_csv_drain(w);
    }
    w->rows += nrows;
    if (w->out->failed) {
        *err = w->out->err;
        return -1;
    }
    return 0;
}

static void sl_csv_free(sl_csv_writer *w)
{
    sl_buf_free(&w->line);
    sl_buf_free(&w->list);
    sl_free(w);
}

static int sl_csv_finish(void *writer, uint64_t *rows, sl_err *err)
{
    sl_csv_writer *w = writer;
    sl_csv_drain(w);
    int rc = 0;
    if (w->out->failed) {
        *err = w->out->err;
        rc = -1;
    }
    if (rows) *rows = w->rows;
    sl_csv_free(w);
    return rc;
}

static void sl_csv_abort(void *writer)
{
    sl_csv_free(writer);
}

const sl_sink_ops sl_sink_csv = {
    .kind = "csv",
    .extension = "csv",
    .open = sl_csv_open,
    .write = sl_csv_write,
    .finish = sl_csv_finish,
    .abort = sl_csv_abort,
};
