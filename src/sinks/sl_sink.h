/*
 * sl_sink.h - the interface every sink implements (one file each:
 * sl_sink_parquet.c, sl_sink_csv.c, sl_sink_pgcopy.c).
 *
 * A sink encodes one task's output into an sl_out it is given: open(out)
 * -> write(batch)... -> finish (the last bytes - a Parquet footer - are in
 * out; the writer is freed) or abort (the writer is freed). The sl_out
 * belongs to the caller: a store (store/sl_store.h) made it and makes it
 * durable, or drops it, and publishes finished outputs.
 */
#ifndef SL_SINK_H
#define SL_SINK_H

#include "../core/sl_error.h"
#include "../core/sl_out.h"
#include "../core/sl_types.h"
#include "../job/sl_job.h"

#include <stdint.h>

typedef struct sl_sink_kv {
    const char *key;
    const char *value;
} sl_sink_kv;

typedef struct sl_sink_ops {
    const char *kind;        /* the target kind it serves */
    const char *extension;   /* "parquet", "csv", "pgcopy": names task outputs */
    void *(*open)(const sl_job_target *target, const sl_schema *schema, sl_out *out,
                  const sl_sink_kv *meta, int nmeta, sl_err *err);
    int (*write)(void *writer, const sl_batch *batch, sl_err *err);
    /* Writes what is left into out and frees the writer; *rows: rows written. */
    int (*finish)(void *writer, uint64_t *rows, sl_err *err);
    void (*abort)(void *writer);
} sl_sink_ops;

const sl_sink_ops *sl_sink_lookup(const char *kind);

extern const sl_sink_ops sl_sink_parquet;
extern const sl_sink_ops sl_sink_csv;
extern const sl_sink_ops sl_sink_pgcopy;

#endif
