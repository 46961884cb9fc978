/*
 * sl_rfile.h - files at URLs (s3://bucket/key) for the layers below the
 * store: a registry of remote file systems by URL scheme.
 *
 * Sources (the parquet source) read remote files through this, without
 * depending on the layer that implements them: store/sl_store_s3.c registers
 * the "s3://" one when the program starts (a constructor; the store is
 * linked into every binary that runs jobs). A source opens a connection per
 * use (sl_rfs.connect with the source's region and endpoint), lists under a
 * prefix, and reads byte ranges.
 *
 *   const sl_rfs *fs = sl_rfs_for(path);       // NULL: a local path
 *   void *c = fs->connect(path, region, endpoint, &err);
 *   fs->read(c, url, off, len, &buf, &err);     // appends the bytes
 *   fs->disconnect(c);
 */
#ifndef SL_RFILE_H
#define SL_RFILE_H

#include "sl_buf.h"
#include "sl_error.h"

#include <stdint.h>

typedef struct sl_rfs {
    const char *scheme;        /* "s3://" */
    /* A client for the bucket (or host) of url; NULL with err. */
    void *(*connect)(const char *url, const char *region, const char *endpoint, sl_err *err);
    void (*disconnect)(void *conn);
    /* Every object under the prefix url (full URLs, in name order) and their sizes. */
    int (*list)(void *conn, const char *url, char ***urls, int64_t **sizes, int *n, sl_err *err);
    /* [off, off + len) of the object at url appended to out (len < 0: to its end).
     * 1 read, 0 no such object, -1 error. */
    int (*read)(void *conn, const char *url, int64_t off, int64_t len, sl_buf *out, sl_err *err);
    /* 1 with *size, 0 no such object, -1 error. */
    int (*size)(void *conn, const char *url, int64_t *size, sl_err *err);
} sl_rfs;

void sl_rfs_register(const sl_rfs *fs);
/* The file system of a path that is a URL of a registered scheme, else NULL. */
const sl_rfs *sl_rfs_for(const char *path);
/* Whether path looks like a URL ("scheme://"), registered or not. */
int sl_rfs_is_url(const char *path);

#endif
