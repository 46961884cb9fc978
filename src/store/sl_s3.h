/*
 * sl_s3.h - a small S3 client over libcurl: the requests the object store
 * and the s3:// reader need, signed with AWS Signature Version 4.
 *
 *   PUT, GET (whole or a byte range), HEAD, DELETE, ListObjectsV2, and the
 *   multipart upload: create, upload part, complete, abort, list.
 *
 * Addressing: with `endpoint` (an S3-compatible server, "http://127.0.0.1:9000")
 * path style (<endpoint>/<bucket>/<key>); without it AWS's virtual-host style
 * (https://<bucket>.s3.<region>.amazonaws.com/<key>), path style for bucket
 * names with dots. SLUICE_S3_ADDRESSING=path|virtual overrides either.
 * TLS peers are verified (libcurl's default, never switched off).
 *
 * The payload of every request is hashed into x-amz-content-sha256 (S3 then
 * checks each PUT and each part against it: a checksum per part).
 *
 * Retries: connection errors, 5xx, 429 and S3's SlowDown/RequestTimeout are
 * retried with exponential backoff and full jitter (state/sl_backoff.h), up
 * to SLUICE_S3_RETRIES times (default 8, first wait up to
 * SLUICE_S3_BACKOFF_MS, default 200 ms, capped at 10 s); other 4xx fail at
 * once with S3's error code and message ("S3 PUT s3://b/k: 403
 * InvalidAccessKeyId: The AWS Access Key Id you provided ...").
 *
 * An sl_s3 is shared by threads (one libcurl share of connections, DNS and
 * TLS sessions); every call may run on any thread. The credentials live in
 * it and are never printed (sl_aws_creds.h).
 */
#ifndef SL_S3_H
#define SL_S3_H

#include "../core/sl_buf.h"
#include "../core/sl_error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_s3 sl_s3;

/* Splits "s3://bucket/prefix/" into bucket and prefix (no leading or
 * trailing '/'; "" when none). 0, or -1 when it is not such a URL. */
int sl_s3_url_parse(const char *url, char *bucket, size_t bsize, char *prefix, size_t psize);
static inline bool sl_s3_is_url(const char *path) { return path && !__builtin_strncmp(path, "s3://", 5); }

/* region NULL or "": the credentials' region, else us-east-1. endpoint NULL
 * or "": AWS. Loads the credentials (sl_aws_creds.h). sl_s3_close frees. */
sl_s3 *sl_s3_open(const char *bucket, const char *region, const char *endpoint, sl_err *err);
void sl_s3_close(sl_s3 *s3);
const char *sl_s3_bucket(const sl_s3 *s3);

typedef struct sl_s3_obj {
    int64_t size;
    char etag[80];
    bool has_crc;
    uint32_t crc32;            /* x-amz-meta-sluice-crc32, set by sl_s3_put */
} sl_s3_obj;

/* One PUT. crc: stored as object metadata (x-amz-meta-sluice-crc32) when
 * has_crc. etag (may be NULL) receives S3's ETag. */
int sl_s3_put(sl_s3 *s3, const char *key, const void *data, size_t n, bool has_crc, uint32_t crc, char *etag,
              sl_err *err);
/* GET of [offset, offset+len) (len < 0: to the end) appended to out.
 * 1 done, 0 no such key, -1 error. */
int sl_s3_get(sl_s3 *s3, const char *key, int64_t offset, int64_t len, sl_buf *out, sl_err *err);
/* 1 found (info filled), 0 no such key, -1 error. */
int sl_s3_head(sl_s3 *s3, const char *key, sl_s3_obj *info, sl_err *err);
/* Deleting a missing key is no error (as in S3). */
int sl_s3_delete(sl_s3 *s3, const char *key, sl_err *err);

typedef struct sl_s3_entry {
    char *key;
    int64_t size;
} sl_s3_entry;
/* Every key under prefix, sorted (S3 lists in key order), pages followed. */
int sl_s3_list(sl_s3 *s3, const char *prefix, sl_s3_entry **out, int *n, sl_err *err);
void sl_s3_list_free(sl_s3_entry *e, int n);
/* One ListObjectsV2 of at most one key: do the bucket and the credentials answer? */
int sl_s3_probe(sl_s3 *s3, const char *prefix, sl_err *err);

/* Multipart. upload_id: at least 1024 bytes. */
int sl_s3_mpu_create(sl_s3 *s3, const char *key, char *upload_id, size_t size, sl_err *err);
int sl_s3_mpu_part(sl_s3 *s3, const char *key, const char *upload_id, int part, const void *data, size_t n,
                   char *etag, size_t etag_size, sl_err *err);
/* etags[i] is part i+1's. */
int sl_s3_mpu_complete(sl_s3 *s3, const char *key, const char *upload_id, char *const *etags, int nparts,
                       sl_err *err);
/* A missing upload (already completed or aborted) is no error. */
int sl_s3_mpu_abort(sl_s3 *s3, const char *key, const char *upload_id, sl_err *err);
/* The multipart uploads in progress under prefix (ListMultipartUploads):
 * entries' key and upload id (in e->key and ids[i]). 0, or -1 with err
 * (a server without the request answers NotImplemented or 405: *supported
 * is then false and 0 returned). */
int sl_s3_mpu_list(sl_s3 *s3, const char *prefix, sl_s3_entry **keys, char ***ids, int *n, bool *supported,
                   sl_err *err);

/* ---- signing (exposed for the test vectors) ---- */

typedef struct sl_s3_header {
    const char *name;          /* lower case */
    const char *value;
} sl_s3_header;

/* The Authorization header value of AWS Signature Version 4 for a request.
 * canon_uri: the URI-encoded path; canon_query: the canonical query string
 * (sorted, encoded; "" for none); headers: those signed (any order);
 * payload_hash: hex SHA-256 of the body (or UNSIGNED-PAYLOAD); amz_date:
 * "YYYYMMDDTHHMMSSZ". */
void sl_s3_sign(const char *method, const char *canon_uri, const char *canon_query, const sl_s3_header *headers,
                int nheaders, const char *payload_hash, const char *key_id, const char *secret, const char *region,
                const char *service, const char *amz_date, char *auth, size_t auth_size);
/* Hex SHA-256 of data (65 bytes with the NUL). */
void sl_s3_sha256_hex(const void *data, size_t n, char hex[65]);
/* Percent-encodes s as SigV4 wants (unreserved kept; '/' kept when keep_slash). */
void sl_s3_uri_encode(sl_buf *b, const char *s, bool keep_slash);

#endif
