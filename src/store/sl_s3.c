/*
 * sl_s3.c - the S3 client of sl_s3.h: SigV4 signing (OpenSSL's SHA-256 and
 * HMAC), one request with its retries (sl_s3_do), and the requests built on
 * it. Responses are small XML documents; the few tags read are found by
 * name (S3's error, ListObjectsV2 and multipart replies).
 */
#include "sl_s3.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"
#include "../state/sl_backoff.h"
#include "sl_aws_creds.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct sl_s3 {
    char bucket[256];
    char region[64];
    char base[1024];            /* scheme://host[:port] (virtual host: with the bucket) */
    char host[1024];            /* the Host header */
    bool path_style;
    sl_aws_creds creds;
    CURLSH *share;
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
    int retries;
    double backoff_s;
};

/* ---- signing ---- */

void sl_s3_sha256_hex(const void *data, size_t n, char hex[65])
{
    unsigned char md[32];
    SHA256(data, n, md);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static void sl_hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &len);
}

void sl_s3_uri_encode(sl_buf *b, const char *s, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~' || (c == '/' && keep_slash)) {
            sl_buf_push(b, c);
        } else {
            sl_buf_push(b, '%');
            sl_buf_push(b, (uint8_t)hex[c >> 4]);
            sl_buf_push(b, (uint8_t)hex[c & 15]);
        }
    }
}

static int sl_hdr_cmp(const void *a, const void *b)
{
    return strcmp(((const sl_s3_header *)a)->name, ((const sl_s3_header *)b)->name);
}

void sl_s3_sign(const char *method, const char *canon_uri, const char *canon_query, const sl_s3_header *headers,
                int nheaders, const char *payload_hash, const char *key_id, const char *secret, const char *region,
                const char *service, const char *amz_date, char *auth, size_t auth_size)
{
    sl_s3_header sorted[32];
    if (nheaders > 32) nheaders = 32;
    memcpy(sorted, headers, (size_t)nheaders * sizeof *sorted);
    qsort(sorted, (size_t)nheaders, sizeof *sorted, sl_hdr_cmp);
    sl_buf creq = { 0 }, signed_hdrs = { 0 };
    sl_buf_printf(&creq, "%s\n%s\n%s\n", method, canon_uri, canon_query);
    for (int i = 0; i < nheaders; i++) {
        const char *v = sorted[i].value;
        while (*v == ' ' || *v == '\t') v++;
        size_t vn = strlen(v);
        while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t')) vn--;
        sl_buf_printf(&creq, "%s:%.*s\n", sorted[i].name, (int)vn, v);
        sl_buf_printf(&signed_hdrs, "%s%s", i ? ";" : "", sorted[i].name);
    }
    sl_buf_printf(&creq, "\n%s\n%s", sl_buf_cstr(&signed_hdrs), payload_hash);
    char creq_hash[65], date[9];
    sl_s3_sha256_hex(creq.data, creq.len, creq_hash);
    snprintf(date, sizeof date, "%.8s", amz_date);
    char scope[256], sts[512];
    snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", date, region, service);
    snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256\n%s\n%s\n%s", amz_date, scope, creq_hash);
    char k0[300];
    snprintf(k0, sizeof k0, "AWS4%s", secret);
    unsigned char k1[32], k2[32], k3[32], k4[32], sig[32];
    sl_hmac(k0, strlen(k0), date, k1);
    sl_hmac(k1, 32, region, k2);
    sl_hmac(k2, 32, service, k3);
    sl_hmac(k3, 32, "aws4_request", k4);
    sl_hmac(k4, 32, sts, sig);
    char sighex[65];
    for (int i = 0; i < 32; i++) snprintf(sighex + 2 * i, 3, "%02x", sig[i]);
    snprintf(auth, auth_size, "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s", key_id, scope,
             sl_buf_cstr(&signed_hdrs), sighex);
    memset(k0, 0, sizeof k0);
    sl_buf_free(&creq);
    sl_buf_free(&signed_hdrs);
}

/* ---- the client ---- */

int sl_s3_url_parse(const char *url, char *bucket, size_t bsize, char *prefix, size_t psize)
{
    if (!sl_s3_is_url(url)) return -1;
    const char *b = url + 5, *slash = strchr(b, '/');
    size_t bn = slash ? (size_t)(slash - b) : strlen(b);
    if (!bn || bn >= bsize) return -1;
    snprintf(bucket, bsize, "%.*s", (int)bn, b);
    const char *p = slash ? slash + 1 : "";
    while (*p == '/') p++;
    size_t pn = strlen(p);
    while (pn && p[pn - 1] == '/') pn--;
    if (pn >= psize) return -1;
    snprintf(prefix, psize, "%.*s", (int)pn, p);
    return 0;
}

static void sl_share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ctx)
{
    (void)h; (void)access;
    pthread_mutex_lock(&((sl_s3 *)ctx)->locks[data]);
}

static void sl_share_unlock(CURL *h, curl_lock_data data, void *ctx)
{
    (void)h;
    pthread_mutex_unlock(&((sl_s3 *)ctx)->locks[data]);
}

static pthread_once_t sl_curl_once = PTHREAD_ONCE_INIT;
static void sl_curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

sl_s3 *sl_s3_open(const char *bucket, const char *region, const char *endpoint, sl_err *err)
{
    pthread_once(&sl_curl_once, sl_curl_init);
    sl_s3 *s3 = sl_calloc(1, sizeof *s3);
    if (sl_aws_creds_load(&s3->creds, err) < 0) {
        sl_free(s3);
        return NULL;
    }
    snprintf(s3->bucket, sizeof s3->bucket, "%s", bucket);
    snprintf(s3->region, sizeof s3->region, "%s",
             region && *region ? region : s3->creds.region[0] ? s3->creds.region : "us-east-1");
    const char *mode = getenv("SLUICE_S3_ADDRESSING");
    if (endpoint && *endpoint) {
        const char *scheme_end = strstr(endpoint, "://");
        if (!scheme_end) {
            sl_aws_creds_clear(&s3->creds);
            sl_free(s3);
            sl_err_set(err, SL_EJOB, "endpoint '%s' is not a URL (e.g. https://s3.example.com or "
                       "http://127.0.0.1:9000)", endpoint);
            return NULL;
        }
        size_t n = strlen(endpoint);
        while (n && endpoint[n - 1] == '/') n--;
        s3->path_style = !(mode && !strcmp(mode, "virtual"));
        const char *host = scheme_end + 3;
        size_t hn = n - (size_t)(host - endpoint);
        if (s3->path_style) {
            snprintf(s3->base, sizeof s3->base, "%.*s", (int)n, endpoint);
            snprintf(s3->host, sizeof s3->host, "%.*s", (int)hn, host);
        } else {
            snprintf(s3->base, sizeof s3->base, "%.*s%s.%.*s", (int)(host - endpoint), endpoint, bucket, (int)hn,
                     host);
            snprintf(s3->host, sizeof s3->host, "%s.%.*s", bucket, (int)hn, host);
        }
    } else {
        s3->path_style = strchr(bucket, '.') ? !(mode && !strcmp(mode, "virtual")) : (mode && !strcmp(mode, "path"));
        if (s3->path_style) snprintf(s3->host, sizeof s3->host, "s3.%s.amazonaws.com", s3->region);
        else snprintf(s3->host, sizeof s3->host, "%s.s3.%s.amazonaws.com", bucket, s3->region);
        snprintf(s3->base, sizeof s3->base, "https://%s", s3->host);
    }
    const char *r = getenv("SLUICE_S3_RETRIES"), *b = getenv("SLUICE_S3_BACKOFF_MS");
    s3->retries = r && *r ? atoi(r) : 8;
    s3->backoff_s = (b && *b ? atof(b) : 200.0) / 1000.0;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&s3->locks[i], NULL);
    s3->share = curl_share_init();
    curl_share_setopt(s3->share, CURLSHOPT_LOCKFUNC, sl_share_lock);
    curl_share_setopt(s3->share, CURLSHOPT_UNLOCKFUNC, sl_share_unlock);
    curl_share_setopt(s3->share, CURLSHOPT_USERDATA, s3);
    curl_share_setopt(s3->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(s3->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(s3->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    return s3;
}

void sl_s3_close(sl_s3 *s3)
{
    if (!s3) return;
    curl_share_cleanup(s3->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_destroy(&s3->locks[i]);
    sl_aws_creds_clear(&s3->creds);
    sl_free(s3);
}

const char *sl_s3_bucket(const sl_s3 *s3) { return s3->bucket; }

/* One request and its reply. */
typedef struct sl_s3_req {
    const char *method;
    const char *key;            /* NULL: the bucket */
    const char *query[6][2];    /* name, value (not encoded); sorted here */
    int nq;
    const void *body;
    size_t len;
    const char *range;          /* "bytes=a-b" or NULL */
    bool has_crc;
    uint32_t crc;
    sl_buf *out;                /* 2xx body (may be NULL: into reply) */
    /* reply */
    long status;
    sl_buf reply;               /* error bodies, and 2xx bodies without out */
    size_t out_start;
    char etag[80];
    int64_t length;
    bool has_meta_crc;
    uint32_t meta_crc;
} sl_s3_req;

static size_t sl_on_body(char *p, size_t size, size_t n, void *ctx)
{
    sl_s3_req *r = ctx;
    size_t len = size * n;
    sl_buf_append(r->out && r->status / 100 == 2 ? r->out : &r->reply, p, len);
    return len;
}

static size_t sl_on_header(char *p, size_t size, size_t n, void *ctx)
{
    sl_s3_req *r = ctx;
    size_t len = size * n;
    char line[512];
    snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
    line[strcspn(line, "\r\n")] = '\0';
    if (!strncmp(line, "HTTP/", 5)) {
        const char *sp = strchr(line, ' ');
        if (sp) r->status = atol(sp + 1);
    } else if (!strncasecmp(line, "etag:", 5)) {
        const char *v = line + 5;
        while (*v == ' ') v++;
        snprintf(r->etag, sizeof r->etag, "%s", v);
    } else if (!strncasecmp(line, "content-length:", 15)) {
        r->length = atoll(line + 15);
    } else if (!strncasecmp(line, "x-amz-meta-sluice-crc32:", 24)) {
        r->has_meta_crc = true;
        r->meta_crc = (uint32_t)strtoul(line + 24, NULL, 10);
    }
    return len;
}

static int sl_q_cmp(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* The text between <tag> and </tag> from *from on, XML entities decoded;
 * NULL when absent. *from moves past it. sl_free it. */
static char *sl_xml_tag(const char *xml, const char *tag, const char **from)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *a = strstr(from && *from ? *from : xml, open);
    if (!a) return NULL;
    a += strlen(open);
    const char *b = strstr(a, close);
    if (!b) return NULL;
    if (from) *from = b + strlen(close);
    char *s = sl_malloc((size_t)(b - a) + 1), *o = s;
    static const struct { const char *ent; char c; } ents[] = {
        { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' } };
    for (const char *p = a; p < b;) {
        bool done = false;
        for (size_t i = 0; i < sizeof ents / sizeof ents[0] && *p == '&'; i++) {
            size_t n = strlen(ents[i].ent);
            if (!strncmp(p, ents[i].ent, n)) {
                *o++ = ents[i].c;
                p += n;
                done = true;
                break;
            }
        }
        if (!done) *o++ = *p++;
    }
    *o = '\0';
    return s;
}

static bool sl_curl_transient(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_CONNECT: case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR: case CURLE_RECV_ERROR: case CURLE_GOT_NOTHING: case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2: case CURLE_HTTP2_STREAM: case CURLE_SSL_CONNECT_ERROR:
        return true;
    default:
        return false;
    }
}

/* Sends r, retrying what is worth a retry. 0 with r->status (2xx, or 404
 * when allow_404), -1 with err. */
static int sl_s3_do(sl_s3 *s3, sl_s3_req *r, bool allow_404, sl_err *err)
{
    /* The path and the canonical query. */
    sl_buf path = { 0 }, query = { 0 }, url = { 0 };
    if (s3->path_style) {
        sl_buf_push(&path, '/');
        sl_s3_uri_encode(&path, s3->bucket, false);
    }
    sl_buf_push(&path, '/');
    if (r->key) sl_s3_uri_encode(&path, r->key, true);
    const char *q[6][2];
    memcpy(q, r->query, sizeof q);
    qsort(q, (size_t)r->nq, sizeof q[0], sl_q_cmp);
    for (int i = 0; i < r->nq; i++) {
        if (i) sl_buf_push(&query, '&');
        sl_s3_uri_encode(&query, q[i][0], false);
        sl_buf_push(&query, '=');
        sl_s3_uri_encode(&query, q[i][1], false);
    }
    /* Virtual-host style: base holds the bucket's host and path has no bucket. */
    sl_buf_printf(&url, "%s%s%s%s", s3->base, sl_buf_cstr(&path), r->nq ? "?" : "", sl_buf_cstr(&query));
    char payload[65];
    sl_s3_sha256_hex(r->body ? r->body : "", r->body ? r->len : 0, payload);
    char what[1400];
    snprintf(what, sizeof what, "S3 %s s3://%s/%s%s%s", r->method, s3->bucket, r->key ? r->key : "",
             r->nq ? "?" : "", r->nq ? q[0][0] : "");
    int rc = -1;
    size_t out_start = r->out ? r->out->len : 0;
    for (int attempt = 1;; attempt++) {
        char amz_date[17], crc_text[16];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &tm);
        snprintf(crc_text, sizeof crc_text, "%u", r->crc);
        sl_s3_header h[8];
        int nh = 0;
        h[nh++] = (sl_s3_header){ "host", s3->host };
        h[nh++] = (sl_s3_header){ "x-amz-content-sha256", payload };
        h[nh++] = (sl_s3_header){ "x-amz-date", amz_date };
        if (s3->creds.token[0]) h[nh++] = (sl_s3_header){ "x-amz-security-token", s3->creds.token };
        if (r->range) h[nh++] = (sl_s3_header){ "range", r->range };
        if (r->has_crc) h[nh++] = (sl_s3_header){ "x-amz-meta-sluice-crc32", crc_text };
        char auth[1024];
        sl_s3_sign(r->method, sl_buf_cstr(&path), sl_buf_cstr(&query), h, nh, payload, s3->creds.key_id,
                   s3->creds.secret, s3->region, "s3", amz_date, auth, sizeof auth);
        struct curl_slist *hl = NULL;
        sl_buf line = { 0 };
        for (int i = 1; i < nh; i++) {   /* libcurl sends Host itself */
            sl_buf_clear(&line);
            sl_buf_printf(&line, "%s: %s", h[i].name, h[i].value);
            hl = curl_slist_append(hl, sl_buf_cstr(&line));
        }
        sl_buf_clear(&line);
        sl_buf_printf(&line, "Authorization: %s", auth);
        hl = curl_slist_append(hl, sl_buf_cstr(&line));
        hl = curl_slist_append(hl, "Expect:");
        if (r->body) hl = curl_slist_append(hl, "Content-Type: application/octet-stream");
        memset(line.data, 0, line.len);   /* it held the signature */
        sl_buf_free(&line);
        memset(auth, 0, sizeof auth);

        CURL *c = curl_easy_init();
        curl_easy_setopt(c, CURLOPT_URL, sl_buf_cstr(&url));
        curl_easy_setopt(c, CURLOPT_SHARE, s3->share);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sl_on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, sl_on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
        if (!strcmp(r->method, "HEAD")) {
            curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        } else if (!strcmp(r->method, "PUT") || !strcmp(r->method, "POST")) {
            if (!strcmp(r->method, "PUT")) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
            curl_easy_setopt(c, CURLOPT_POST, 1L);
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body ? r->body : "");
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(r->body ? r->len : 0));
        } else if (strcmp(r->method, "GET")) {
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
        }
        r->status = 0;
        r->etag[0] = '\0';
        r->length = -1;
        r->has_meta_crc = false;
        sl_buf_clear(&r->reply);
        if (r->out) r->out->len = out_start;
        CURLcode cc = curl_easy_perform(c);
        char cerr[256];
        snprintf(cerr, sizeof cerr, "%s", curl_easy_strerror(cc));
        curl_easy_cleanup(c);
        curl_slist_free_all(hl);

        bool retry = false;
        if (cc != CURLE_OK) {
            retry = sl_curl_transient(cc);
            sl_err_set(err, retry ? SL_ETRANSIENT : SL_EIO, "%s: %s", what, cerr);
        } else if (r->status / 100 == 2 || (allow_404 && r->status == 404)) {
            /* CompleteMultipartUpload may answer 200 with an error inside. */
            char *code = r->reply.len && r->status / 100 == 2 ? sl_xml_tag(sl_buf_cstr(&r->reply), "Code", NULL)
                                                               : NULL;
            if (!code || !strstr(sl_buf_cstr(&r->reply), "<Error>")) {
                sl_free(code);
                rc = 0;
                break;
            }
            char *msg = sl_xml_tag(sl_buf_cstr(&r->reply), "Message", NULL);
            retry = !strcmp(code, "InternalError") || !strcmp(code, "SlowDown");
            sl_err_set(err, retry ? SL_ETRANSIENT : SL_EIO, "%s: %s: %s", what, code, msg ? msg : "");
            sl_free(code);
            sl_free(msg);
        } else {
            char *code = r->reply.len ? sl_xml_tag(sl_buf_cstr(&r->reply), "Code", NULL) : NULL;
            char *msg = r->reply.len ? sl_xml_tag(sl_buf_cstr(&r->reply), "Message", NULL) : NULL;
            /* 501 NotImplemented is an answer, not a failure. */
            retry = (r->status >= 500 && r->status != 501) || r->status == 429 ||
                    (code && (!strcmp(code, "SlowDown") || !strcmp(code, "RequestTimeout")));
            const char *hint = "";
            if (code && (!strcmp(code, "InvalidAccessKeyId") || !strcmp(code, "SignatureDoesNotMatch")))
                hint = " (check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the profile's keys)";
            else if (code && !strcmp(code, "NoSuchBucket"))
                hint = " (create the bucket, or correct the target's path)";
            else if (r->status == 403)
                hint = " (the credentials may not grant this; check the bucket's policy)";
            sl_err_set(err, retry ? SL_ETRANSIENT : SL_EIO, "%s: %ld %s%s%s%s", what, r->status,
                       code ? code : "(no S3 error code)", msg ? ": " : "", msg ? msg : "", hint);
            sl_free(code);
            sl_free(msg);
        }
        if (!retry || attempt > s3->retries) break;
        double wait = sl_backoff_delay(attempt, s3->backoff_s, 10.0, NULL);
        sl_log(SL_LOG_DEBUG, "%s; retry %d of %d in %.2f s", err->msg, attempt, s3->retries, wait);
        sl_backoff_sleep(wait);
    }
    if (rc == 0) sl_err_clear(err);
    sl_buf_free(&path);
    sl_buf_free(&query);
    sl_buf_free(&url);
    return rc;
}

static void sl_req_free(sl_s3_req *r) { sl_buf_free(&r->reply); }

int sl_s3_put(sl_s3 *s3, const char *key, const void *data, size_t n, bool has_crc, uint32_t crc, char *etag,
              sl_err *err)
{
    sl_s3_req r = { .method = "PUT", .key = key, .body = data ? data : "", .len = n, .has_crc = has_crc,
                    .crc = crc };
    int rc = sl_s3_do(s3, &r, false, err);
    if (rc == 0 && etag) snprintf(etag, 80, "%s", r.etag);
    sl_req_free(&r);
    return rc;
}

int sl_s3_get(sl_s3 *s3, const char *key, int64_t offset, int64_t len, sl_buf *out, sl_err *err)
{
    char range[80];
    if (len < 0) snprintf(range, sizeof range, "bytes=%lld-", (long long)offset);
    else snprintf(range, sizeof range, "bytes=%lld-%lld", (long long)offset, (long long)(offset + len - 1));
    sl_s3_req r = { .method = "GET", .key = key, .range = (offset > 0 || len >= 0) ? range : NULL, .out = out };
    int rc = sl_s3_do(s3, &r, true, err);
    if (rc == 0) rc = r.status == 404 ? 0 : 1;
    sl_req_free(&r);
    return rc;
}

int sl_s3_head(sl_s3 *s3, const char *key, sl_s3_obj *info, sl_err *err)
{
    sl_s3_req r = { .method = "HEAD", .key = key };
    int rc = sl_s3_do(s3, &r, true, err);
    if (rc == 0) {
        rc = r.status == 404 ? 0 : 1;
        if (rc == 1 && info) {
            info->size = r.length;
            snprintf(info->etag, sizeof info->etag, "%s", r.etag);
            info->has_crc = r.has_meta_crc;
            info->crc32 = r.meta_crc;
        }
    }
    sl_req_free(&r);
    return rc;
}

int sl_s3_delete(sl_s3 *s3, const char *key, sl_err *err)
{
    sl_s3_req r = { .method = "DELETE", .key = key };
    int rc = sl_s3_do(s3, &r, true, err);
    sl_req_free(&r);
    return rc;
}

int sl_s3_list(sl_s3 *s3, const char *prefix, sl_s3_entry **out, int *n, sl_err *err)
{
    *out = NULL;
    *n = 0;
    int cap = 0;
    char *token = NULL;
    for (;;) {
        sl_s3_req r = { .method = "GET", .nq = 2 };
        r.query[0][0] = "list-type"; r.query[0][1] = "2";
        r.query[1][0] = "prefix"; r.query[1][1] = prefix;
        if (token) {
            r.query[2][0] = "continuation-token";
            r.query[2][1] = token;
            r.nq = 3;
        }
        int rc = sl_s3_do(s3, &r, false, err);
        sl_free(token);
        token = NULL;
        if (rc < 0) {
            sl_req_free(&r);
            sl_s3_list_free(*out, *n);
            *out = NULL;
            *n = 0;
            return -1;
        }
        const char *xml = sl_buf_cstr(&r.reply), *at = xml;
        char *block;
        while ((block = sl_xml_tag(xml, "Contents", &at))) {
            char *key = sl_xml_tag(block, "Key", NULL), *size = sl_xml_tag(block, "Size", NULL);
            if (key) {
                if (*n == cap) *out = sl_realloc(*out, (size_t)(cap = cap ? cap * 2 : 64) * sizeof **out);
                (*out)[*n].key = key;
                (*out)[*n].size = size ? atoll(size) : -1;
                (*n)++;
            }
            sl_free(size);
            sl_free(block);
        }
        char *trunc = sl_xml_tag(xml, "IsTruncated", NULL);
        if (trunc && !strcmp(trunc, "true")) token = sl_xml_tag(xml, "NextContinuationToken", NULL);
        sl_free(trunc);
        sl_req_free(&r);
        if (!token) break;
    }
    return 0;
}

int sl_s3_probe(sl_s3 *s3, const char *prefix, sl_err *err)
{
    sl_s3_req r = { .method = "GET", .nq = 3 };
    r.query[0][0] = "list-type"; r.query[0][1] = "2";
    r.query[1][0] = "max-keys"; r.query[1][1] = "1";
    r.query[2][0] = "prefix"; r.query[2][1] = prefix;
    int rc = sl_s3_do(s3, &r, false, err);
    sl_req_free(&r);
    return rc;
}

void sl_s3_list_free(sl_s3_entry *e, int n)
{
    for (int i = 0; i < n; i++) sl_free(e[i].key);
    sl_free(e);
}

int sl_s3_mpu_create(sl_s3 *s3, const char *key, char *upload_id, size_t size, sl_err *err)
{
    sl_s3_req r = { .method = "POST", .key = key, .nq = 1, .body = "", .len = 0 };
    r.query[0][0] = "uploads"; r.query[0][1] = "";
    int rc = sl_s3_do(s3, &r, false, err);
    if (rc == 0) {
        char *id = sl_xml_tag(sl_buf_cstr(&r.reply), "UploadId", NULL);
        if (!id || !*id || strlen(id) >= size)
            rc = sl_err_set(err, SL_EIO, "S3 POST s3://%s/%s?uploads: the reply has no UploadId", s3->bucket, key);
        else snprintf(upload_id, size, "%s", id);
        sl_free(id);
    }
    sl_req_free(&r);
    return rc;
}

int sl_s3_mpu_part(sl_s3 *s3, const char *key, const char *upload_id, int part, const void *data, size_t n,
                   char *etag, size_t etag_size, sl_err *err)
{
    char num[16];
    snprintf(num, sizeof num, "%d", part);
    sl_s3_req r = { .method = "PUT", .key = key, .nq = 2, .body = data, .len = n };
    r.query[0][0] = "partNumber"; r.query[0][1] = num;
    r.query[1][0] = "uploadId"; r.query[1][1] = upload_id;
    int rc = sl_s3_do(s3, &r, false, err);
    if (rc == 0) {
        if (!r.etag[0]) rc = sl_err_set(err, SL_EIO, "S3 upload part %d of s3://%s/%s: no ETag in the reply", part,
                                        s3->bucket, key);
        else snprintf(etag, etag_size, "%s", r.etag);
    }
    sl_req_free(&r);
    return rc;
}

int sl_s3_mpu_complete(sl_s3 *s3, const char *key, const char *upload_id, char *const *etags, int nparts,
                       sl_err *err)
{
    sl_buf body = { 0 };
    sl_buf_printf(&body, "<CompleteMultipartUpload>");
    for (int i = 0; i < nparts; i++)
        sl_buf_printf(&body, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i + 1, etags[i]);
    sl_buf_printf(&body, "</CompleteMultipartUpload>");
    sl_s3_req r = { .method = "POST", .key = key, .nq = 1, .body = body.data, .len = body.len };
    r.query[0][0] = "uploadId"; r.query[0][1] = upload_id;
    int rc = sl_s3_do(s3, &r, false, err);
    sl_req_free(&r);
    sl_buf_free(&body);
    return rc;
}

int sl_s3_mpu_abort(sl_s3 *s3, const char *key, const char *upload_id, sl_err *err)
{
    sl_s3_req r = { .method = "DELETE", .key = key, .nq = 1 };
    r.query[0][0] = "uploadId"; r.query[0][1] = upload_id;
    int rc = sl_s3_do(s3, &r, true, err);
    sl_req_free(&r);
    return rc;
}

int sl_s3_mpu_list(sl_s3 *s3, const char *prefix, sl_s3_entry **keys, char ***ids, int *n, bool *supported,
                   sl_err *err)
{
    *keys = NULL;
    *ids = NULL;
    *n = 0;
    *supported = true;
    int cap = 0;
    char *key_marker = NULL, *id_marker = NULL;
    for (;;) {
        sl_s3_req r = { .method = "GET", .nq = 2 };
        r.query[0][0] = "uploads"; r.query[0][1] = "";
        r.query[1][0] = "prefix"; r.query[1][1] = prefix;
        if (key_marker) {
            r.query[r.nq][0] = "key-marker"; r.query[r.nq++][1] = key_marker;
            r.query[r.nq][0] = "upload-id-marker"; r.query[r.nq++][1] = id_marker ? id_marker : "";
        }
        int rc = sl_s3_do(s3, &r, false, err);
        sl_free(key_marker);
        sl_free(id_marker);
        key_marker = id_marker = NULL;
        if (rc < 0) {
            bool unsupported = r.status == 405 || r.status == 501 || strstr(err->msg, "NotImplemented");
            sl_req_free(&r);
            if (unsupported && *n == 0) {
                sl_err_clear(err);
                *supported = false;
                return 0;
            }
            for (int i = 0; i < *n; i++) sl_free((*ids)[i]);
            sl_free(*ids);
            sl_s3_list_free(*keys, *n);
            *keys = NULL;
            *ids = NULL;
            *n = 0;
            return -1;
        }
        const char *xml = sl_buf_cstr(&r.reply), *at = xml;
        char *block;
        while ((block = sl_xml_tag(xml, "Upload", &at))) {
            char *key = sl_xml_tag(block, "Key", NULL), *id = sl_xml_tag(block, "UploadId", NULL);
            if (key && id) {
                if (*n == cap) {
                    cap = cap ? cap * 2 : 16;
                    *keys = sl_realloc(*keys, (size_t)cap * sizeof **keys);
                    *ids = sl_realloc(*ids, (size_t)cap * sizeof **ids);
                }
                (*keys)[*n].key = key;
                (*keys)[*n].size = -1;
                (*ids)[(*n)++] = id;
            } else {
                sl_free(key);
                sl_free(id);
            }
            sl_free(block);
        }
        char *trunc = sl_xml_tag(xml, "IsTruncated", NULL);
        if (trunc && !strcmp(trunc, "true")) {
            key_marker = sl_xml_tag(xml, "NextKeyMarker", NULL);
            id_marker = sl_xml_tag(xml, "NextUploadIdMarker", NULL);
        }
        sl_free(trunc);
        sl_req_free(&r);
        if (!key_marker) break;
    }
    return 0;
}
