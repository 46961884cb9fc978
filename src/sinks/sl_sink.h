/*
 * sl_sink.h - the interface every sink implements (one file each:
 * sl_sink_parquet.c, sl_sink_csv.c).
 *
 * A sink writes one output file of one task: open(path) -> write(batch)... ->
 * close (flush, fsync, close; the file is complete) or abort (close and
 * unlink the partial file). The engine chooses the path, a temporary name in
 * a staging area, and publishes finished files itself.
 */
#ifndef SL_SINK_H
#define SL_SINK_H

#include "../core/sl_error.h"
#include "../core/sl_types.h"
#include "../job/sl_job.h"

#include <stdint.h>

typedef struct sl_sink_kv {
    const char *key;
    const char *value;
} sl_sink_kv;

typedef struct sl_sink_stats {
    uint64_t rows;
    uint64_t bytes;          /* file size */
    uint32_t crc32;          /* of the file's bytes */
} sl_sink_stats;

typedef struct sl_sink_ops {
    const char *kind;
    const char *extension;   /* "parquet", "csv" */
    void *(*open)(const sl_job_target *target, const sl_schema *schema, const char *path,
                  const sl_sink_kv *meta, int nmeta, sl_err *err);
    int (*write)(void *writer, const sl_batch *batch, sl_err *err);
    int (*close)(void *writer, sl_sink_stats *stats, sl_err *err);
    void (*abort)(void *writer);
} sl_sink_ops;

const sl_sink_ops *sl_sink_lookup(const char *kind);

extern const sl_sink_ops sl_sink_parquet;
extern const sl_sink_ops sl_sink_csv;

#endif
