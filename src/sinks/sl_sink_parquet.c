/*
 * sl_sink_parquet.c - the Parquet sink (kind "parquet", extension
 * "parquet"): one Parquet file per task through src/parquet's writer.
 *
 * From the target it takes compression (none|snappy|gzip|zstd|lz4_raw,
 * default zstd), compression_level, row_group_bytes and page_bytes; the
 * engine's key/value metadata (source, run) goes into the footer, and
 * created_by is "sluice version X (build Y)". finish() writes the footer
 * into the sl_out (which the caller then makes durable); abort() drops the
 * writer. Errors name the output (the sl_out's name). The rows finish()
 * reports are the footer's num_rows (what a reader will find), not a count
 * of batches handed in. The failpoint sink-drop-row (`on`) writes a batch
 * without its last row, for the tests of the engine's row checks.
 */
#include "sl_sink.h"

#include "../core/sl_alloc.h"
#include "../core/sl_failpoint.h"
#include "../core/sl_out.h"
#include "../parquet/sl_compress.h"
#include "../parquet/sl_pq_format.h"
#include "../parquet/sl_pq_writer.h"

#include <string.h>

typedef struct sl_pq_sink {
    sl_out *out;
    sl_pq_writer *w;
    sl_schema *schema;       /* own copy: the writer borrows it */
} sl_pq_sink;

static void sl_pq_sink_free(sl_pq_sink *s)
{
    sl_pq_writer_free(s->w);
    sl_schema_free(s->schema);
    sl_free(s);
}

static void *sl_pq_sink_open(const sl_job_target *target, const sl_schema *schema, sl_out *out,
                             const sl_sink_kv *meta, int nmeta, sl_err *err)
{
    sl_pq_writer_opts o;
    sl_pq_writer_opts_default(&o);
    if (target) {
        if (target->compression && *target->compression) {
            int codec = sl_compress_codec_parse(target->compression);
            if (codec < 0) {
                sl_err_set(err, SL_EJOB, "target %s: unknown compression \"%s\" (use none, snappy, gzip, zstd or lz4_raw)",
                           target->name ? target->name : "?", target->compression);
                return NULL;
            }
            o.codec = codec;
        }
        o.level = target->compression_level;
        if (target->row_group_bytes > 0) o.row_group_bytes = target->row_group_bytes;
        if (target->page_bytes > 0) o.page_bytes = target->page_bytes;
    }
    sl_pq_kv *kv = NULL;
    if (nmeta > 0) {
        kv = sl_calloc((size_t)nmeta, sizeof *kv);
        for (int i = 0; i < nmeta; i++) {
            kv[i].key = meta[i].key;
            kv[i].value = meta[i].value;
        }
        o.kv = kv;
        o.nkv = nmeta;
    }
    sl_pq_sink *s = sl_calloc(1, sizeof *s);
    s->out = out;
    s->schema = sl_schema_copy(schema);
    s->w = sl_pq_writer_open(out, s->schema, &o, err);   /* copies kv strings */
    sl_free(kv);
    if (!s->w) {
        sl_err_prefix(err, "%s", out->name);
        sl_pq_sink_free(s);
        return NULL;
    }
    return s;
}

static int sl_pq_sink_write(void *writer, const sl_batch *batch, sl_err *err)
{
    sl_pq_sink *s = writer;
    sl_batch less;
    int fault = batch->nrows > 0 ? sl_failpoint(SL_FP_SINK_DROP_ROW, err) : 0;
    if (fault < 0) return -1;
    if (fault > 0) {
        less = *batch;   /* the same vectors, one row fewer */
        less.nrows--;
        batch = &less;
    }
    if (sl_pq_writer_write(s->w, batch, err) < 0) {
        sl_err_prefix(err, "%s", s->out->name);
        return -1;
    }
    return 0;
}

static int sl_pq_sink_finish(void *writer, uint64_t *rows, sl_err *err)
{
    sl_pq_sink *s = writer;
    int rc = sl_pq_writer_close(s->w, err);   /* sl_pq_sink_free frees the writer, closed or not */
    if (rc < 0) sl_err_prefix(err, "%s", s->out->name);
    if (rows) *rows = (uint64_t)sl_pq_writer_rows(s->w);   /* the footer's num_rows */
    sl_pq_sink_free(s);
    return rc;
}

static void sl_pq_sink_abort(void *writer)
{
    sl_pq_sink_free(writer);
}

const sl_sink_ops sl_sink_parquet = {
    .kind = "parquet",
    .extension = "parquet",
    .open = sl_pq_sink_open,
    .write = sl_pq_sink_write,
    .finish = sl_pq_sink_finish,
    .abort = sl_pq_sink_abort,
};
