/*
 * sl_sink_pgcopy.c - the PostgreSQL binary COPY sink (kind "postgres",
 * extension "pgcopy"): one task's rows as the stream `COPY t FROM STDIN
 * (FORMAT binary)` reads - header, tuples (sinks/sl_pg_encode.h), trailer -
 * written into the sl_out a warehouse store (store/sl_store_postgres.c)
 * hands it, which forwards the bytes to the server.
 *
 * Tuples are encoded into a reused buffer handed to the sl_out in large
 * pieces (no allocation per row once it has grown). A value PostgreSQL would
 * refuse (a NUL byte in text, a date out of range) fails the task with the
 * column and the row counted from the task's first row. Key/value metadata
 * has no place in the stream and is ignored.
 */
#include "sl_sink.h"

#include "../core/sl_alloc.h"
#include "sl_pg_encode.h"

#include <stdio.h>
#include <string.h>

#define SL_PGCOPY_CHUNK (256 * 1024)

typedef struct sl_pgcopy_writer {
    sl_out *out;
    sl_buf buf;              /* encoded tuples waiting for out */
    uint64_t rows;           /* rows of the task encoded so far */
} sl_pgcopy_writer;

static void sl_pgcopy_drain(sl_pgcopy_writer *w)
{
    sl_out_write(w->out, w->buf.data, w->buf.len);
    sl_buf_clear(&w->buf);
}

static void *sl_pgcopy_open(const sl_job_target *target, const sl_schema *schema, sl_out *out,
                            const sl_sink_kv *meta, int nmeta, sl_err *err)
{
    (void)target; (void)schema; (void)meta; (void)nmeta; (void)err;
    sl_pgcopy_writer *w = sl_calloc(1, sizeof *w);
    w->out = out;
    sl_pg_encode_header(&w->buf);
    return w;
}

/* The encoder names the row within the batch ("column C: row R: ..."); the
 * task's row is what a user can find. The failing row is found again one
 * row at a time (an error path: its cost does not matter) and the prefix
 * rewritten with the task's row number. */
static void sl_pgcopy_task_row(const sl_pgcopy_writer *w, const sl_batch *b, sl_err *err)
{
    sl_buf scratch = { 0 };
    sl_err e = SL_ERR_INIT;
    size_t bad = 0;
    while (bad < b->nrows && sl_pg_encode_rows(b, bad, bad + 1, &scratch, &e) == 0) bad++;
    sl_buf_free(&scratch);
    for (int c = 0; c < b->ncols && bad < b->nrows; c++) {
        char was[256];
        int n = snprintf(was, sizeof was, "column %s: row %zu: ", b->schema->fields[c].name, bad + 1);
        if (n <= 0 || (size_t)n >= sizeof was || strncmp(err->msg, was, (size_t)n)) continue;
        char rest[SL_ERR_MSG_MAX];
        snprintf(rest, sizeof rest, "%s", err->msg + n);
        sl_err_set(err, err->code, "column %s: row %llu of the task: %s", b->schema->fields[c].name,
                   (unsigned long long)(w->rows + bad + 1), rest);
        return;
    }
}

static int sl_pgcopy_write(void *writer, const sl_batch *batch, sl_err *err)
{
    sl_pgcopy_writer *w = writer;
    if (sl_pg_encode_rows(batch, 0, batch->nrows, &w->buf, err) < 0) {
        sl_pgcopy_task_row(w, batch, err);
        return -1;
    }
    w->rows += batch->nrows;
    if (w->buf.len >= SL_PGCOPY_CHUNK) sl_pgcopy_drain(w);
    if (w->out->failed) {
        *err = w->out->err;
        return -1;
    }
    return 0;
}

static void sl_pgcopy_free(sl_pgcopy_writer *w)
{
    sl_buf_free(&w->buf);
    sl_free(w);
}

static int sl_pgcopy_finish(void *writer, uint64_t *rows, sl_err *err)
{
    sl_pgcopy_writer *w = writer;
    sl_pg_encode_trailer(&w->buf);
    sl_pgcopy_drain(w);
    int rc = 0;
    if (w->out->failed) {
        *err = w->out->err;
        rc = -1;
    }
    if (rows) *rows = w->rows;
    sl_pgcopy_free(w);
    return rc;
}

static void sl_pgcopy_abort(void *writer)
{
    sl_pgcopy_free(writer);
}

const sl_sink_ops sl_sink_pgcopy = {
    .kind = "postgres",
    .extension = "pgcopy",
    .open = sl_pgcopy_open,
    .write = sl_pgcopy_write,
    .finish = sl_pgcopy_finish,
    .abort = sl_pgcopy_abort,
};
