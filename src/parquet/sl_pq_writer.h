/*
 * sl_pq_writer.h - the Parquet file writer: batches in, one Parquet file out
 * through an sl_out (a local file, a memory buffer, later an object store).
 *
 *   sl_pq_writer_opts o;  sl_pq_writer_opts_default(&o);  o.codec = SL_PQ_ZSTD;
 *   sl_pq_writer *w = sl_pq_writer_open(out, schema, &o, &err);
 *   while (...) if (sl_pq_writer_write(w, batch, &err) < 0) ...;
 *   if (sl_pq_writer_close(w, &err) < 0) ...;   // footer; the sl_out stays open
 *   sl_pq_writer_free(w);                       // always, after close or on error
 *
 * Flat schemas: every sl_field is one leaf column, REQUIRED when not
 * nullable, else OPTIONAL (RLE definition levels). DataPage V1; dictionary
 * encoding with a fallback to PLAIN past dict_max_bytes; statistics with the
 * right sort order per type; column_orders; converted types beside logical
 * types (the mapping is in sl_pq_col.c and ../shared/notes/parquet.md).
 *
 * Memory is bounded by about one row group: column chunks are buffered
 * compressed until the row group closes (row_group_rows rows or
 * row_group_bytes estimated uncompressed bytes), then written out.
 * The writer borrows the schema (it must outlive the writer) and copies the
 * option strings. After an error every call returns -1 with that error.
 */
#ifndef SL_PQ_WRITER_H
#define SL_PQ_WRITER_H

#include "../core/sl_error.h"
#include "../core/sl_out.h"
#include "../core/sl_types.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct sl_pq_kv {
    const char *key;
    const char *value;
} sl_pq_kv;

typedef struct sl_pq_writer_opts {
    int codec;                 /* enum sl_pq_codec; default SL_PQ_ZSTD */
    int level;                 /* compression level; 0 = codec default */
    int64_t row_group_bytes;   /* default 128 MiB (uncompressed, estimated) */
    int64_t row_group_rows;    /* default 1 Mi rows */
    int64_t page_bytes;        /* default 1 MiB */
    int64_t page_rows;         /* default 20000 */
    bool dictionary;           /* default true */
    int64_t dict_max_bytes;    /* default 1 MiB, then PLAIN for the rest of the chunk */
    int64_t stats_max_bytes;   /* binary min/max longer than this are truncated; default 1 KiB; 0 = never */
    bool page_crc;             /* CRC-32 in every page header; default false */
    bool delta_int64;          /* INT64 pages not dictionary-encoded as DELTA_BINARY_PACKED; default true */
    const char *created_by;    /* default "sluice version <SL_VERSION> (build <SL_GITREV>)" */
    const sl_pq_kv *kv;        /* key/value metadata */
    int nkv;
} sl_pq_writer_opts;

typedef struct sl_pq_writer sl_pq_writer;

void sl_pq_writer_opts_default(sl_pq_writer_opts *o);

sl_pq_writer *sl_pq_writer_open(sl_out *out, const sl_schema *schema, const sl_pq_writer_opts *opts, sl_err *err);
int sl_pq_writer_write(sl_pq_writer *w, const sl_batch *b, sl_err *err);
/* Flushes the last row group and writes the footer. Does not close out. */
int sl_pq_writer_close(sl_pq_writer *w, sl_err *err);
void sl_pq_writer_free(sl_pq_writer *w);

/* Rows written so far; row groups finished so far. */
int64_t sl_pq_writer_rows(const sl_pq_writer *w);
int sl_pq_writer_row_groups(const sl_pq_writer *w);

#endif
