/*
 * sl_s3_files.c - s3:// URLs as remote files (core/sl_rfile.h) for the
 * layers below the store: the parquet source lists a table's objects and
 * reads their footers and column chunks with ranged GETs. Registered by
 * sl_store_s3.c at start-up.
 */
#include "../core/sl_alloc.h"
#include "../core/sl_rfile.h"
#include "sl_s3.h"

#include <stdio.h>
#include <string.h>

/* The key of url in conn's bucket (url must be in it). */
static const char *sl_s3f_key(sl_s3 *s3, const char *url, sl_err *err)
{
    const char *b = url + 5;
    size_t bn = strlen(sl_s3_bucket(s3));
    if (strncmp(url, "s3://", 5) || strncmp(b, sl_s3_bucket(s3), bn) || (b[bn] != '/' && b[bn] != '\0')) {
        sl_err_set(err, SL_EUSAGE, "%s is not in bucket %s", url, sl_s3_bucket(s3));
        return NULL;
    }
    return b[bn] ? b + bn + 1 : b + bn;
}

static void *sl_s3f_connect(const char *url, const char *region, const char *endpoint, sl_err *err)
{
    char bucket[256], prefix[2048];
    if (sl_s3_url_parse(url, bucket, sizeof bucket, prefix, sizeof prefix) < 0) {
        sl_err_set(err, SL_EJOB, "'%s' is not an s3://bucket/key URL", url);
        return NULL;
    }
    return sl_s3_open(bucket, region, endpoint, err);
}

static void sl_s3f_disconnect(void *conn) { sl_s3_close(conn); }

static int sl_s3f_list(void *conn, const char *url, char ***urls, int64_t **sizes, int *n, sl_err *err)
{
    *urls = NULL;
    *sizes = NULL;
    *n = 0;
    const char *key = sl_s3f_key(conn, url, err);
    if (!key) return -1;
    char *prefix = *key && key[strlen(key) - 1] != '/' ? sl_sprintf("%s/", key) : sl_strdup(key);
    sl_s3_entry *e = NULL;
    int ne = 0;
    int rc = sl_s3_list(conn, prefix, &e, &ne, err);
    sl_free(prefix);
    if (rc < 0) return -1;
    *urls = sl_calloc((size_t)(ne ? ne : 1), sizeof **urls);
    *sizes = sl_calloc((size_t)(ne ? ne : 1), sizeof **sizes);
    for (int i = 0; i < ne; i++) {
        (*urls)[i] = sl_sprintf("s3://%s/%s", sl_s3_bucket(conn), e[i].key);
        (*sizes)[i] = e[i].size;
    }
    *n = ne;
    sl_s3_list_free(e, ne);
    return 0;
}

static int sl_s3f_read(void *conn, const char *url, int64_t off, int64_t len, sl_buf *out, sl_err *err)
{
    const char *key = sl_s3f_key(conn, url, err);
    return key ? sl_s3_get(conn, key, off, len, out, err) : -1;
}

static int sl_s3f_size(void *conn, const char *url, int64_t *size, sl_err *err)
{
    const char *key = sl_s3f_key(conn, url, err);
    if (!key) return -1;
    sl_s3_obj o;
    int rc = sl_s3_head(conn, key, &o, err);
    if (rc == 1) *size = o.size;
    return rc;
}

const sl_rfs sl_s3_rfs = {
    .scheme = "s3://",
    .connect = sl_s3f_connect,
    .disconnect = sl_s3f_disconnect,
    .list = sl_s3f_list,
    .read = sl_s3f_read,
    .size = sl_s3f_size,
};
