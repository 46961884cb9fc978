/*
 * sl_out.h - one output abstraction for every file sluice writes.
 *
 * write / tell / flush / close with a byte count, a running CRC-32 and a
 * sticky error: after the first failure every call is a no-op and
 * sl_out_close() reports it, so writers need not check each write. The
 * Parquet and CSV writers only see an sl_out; a local file, a memory buffer
 * (tests) and later an object-store upload look the same to them.
 *
 *   sl_err err = SL_ERR_INIT;
 *   sl_out *o = sl_out_open_file("/lake/x.parquet.tmp", &err);
 *   sl_out_write(o, p, n); ...
 *   if (sl_out_close(o, true, &err) < 0) ...   // true: fsync before close
 *
 * sl_out_close frees the sl_out whatever it returns.
 */
#ifndef SL_OUT_H
#define SL_OUT_H

#include "sl_buf.h"
#include "sl_error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_out sl_out;

typedef struct sl_out_ops {
    /* Writes all n bytes or fails (sets err). */
    int (*write)(sl_out *o, const void *p, size_t n, sl_err *err);
    int (*flush)(sl_out *o, bool sync, sl_err *err);
    int (*close)(sl_out *o, sl_err *err);   /* releases backend resources */
} sl_out_ops;

struct sl_out {
    const sl_out_ops *ops;
    void *backend;
    char *name;            /* for error messages */
    uint64_t bytes;        /* written so far (tell) */
    uint32_t crc;          /* CRC-32 (zlib) of all bytes written */
    bool failed;           /* sticky */
    sl_err err;            /* first failure */
    sl_buf pending;        /* write buffer in front of the backend */
};

/* A new file (O_CREAT|O_TRUNC), buffered. */
sl_out *sl_out_open_file(const char *path, sl_err *err);
/* The same for a large data file written once (a lake's part file): direct
 * I/O past the page cache where the file system has it, ordinary writes
 * where not. Same results, same errors. */
sl_out *sl_out_open_file_direct(const char *path, sl_err *err);
/* An in-memory sink; its bytes are in *target (owned by the caller). */
sl_out *sl_out_open_buf(sl_buf *target);
/* Wraps a custom backend (for tests and later an object store). */
sl_out *sl_out_new(const sl_out_ops *ops, void *backend, const char *name);

void sl_out_write(sl_out *o, const void *p, size_t n);
static inline uint64_t sl_out_tell(const sl_out *o) { return o->bytes; }
int sl_out_flush(sl_out *o, bool sync, sl_err *err);
/* Flushes (and fsyncs when sync), closes, frees; returns -1 with the first
 * error of the object's life. */
int sl_out_close(sl_out *o, bool sync, sl_err *err);
/* Closes and frees without reporting, for error paths. */
void sl_out_abort(sl_out *o);

#endif
