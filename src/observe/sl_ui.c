/*
 * sl_ui.c - the web UI's HTTP server (sl_ui.h): binding (the next free
 * port when the one asked is taken), the token check, routing, and the
 * server-sent event streams of live pages.
 *
 * libmicrohttpd with a thread per connection: an event stream is a
 * connection that waits on the live model's condition variable, so a page
 * open during a run costs a sleeping thread, and the run's workers only
 * ever take the live model's mutex for a few additions (sl_ui_live.c).
 */
#include "sl_ui.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"
#include "sl_ui_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SL_UI_PORT_TRIES 20
#define SL_UI_STREAM_TICK_MS 1000     /* a live page's update period while nothing changes state */
#define SL_UI_STREAM_GAP_MS 250       /* at least this between two updates (a burst of task ends is one) */
#define SL_UI_STOP_WAIT_S 2.0         /* how long sl_ui_stop lets open pages get the final state */

struct sl_ui {
    sl_ui_ctx ctx;
    struct MHD_Daemon *daemon;
    int fd;
    char token[128];           /* "" : none required */
    char url[256];
    atomic_int streams;        /* event streams open */
    atomic_bool stopping;
};

/* ---- binding ---- */

static int sl_ui_parse_listen(const char *listen, struct sockaddr_in *sa, sl_err *err)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    char host[128] = "127.0.0.1";
    long port = 4040;
    const char *colon = strrchr(listen, ':');
    if (colon) {
        if (colon > listen) snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
        char *end;
        port = strtol(colon + 1, &end, 10);
        if (*end || colon[1] == 0 || port < 0 || port > 65535) {
            sl_err_set(err, SL_EUSAGE, "--ui/--listen %s: the port must be a number from 0 to 65535", listen);
            return -1;
        }
    } else if (*listen) {
        snprintf(host, sizeof host, "%s", listen);
    }
    if (!strcmp(host, "localhost")) snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
        sl_err_set(err, SL_EUSAGE, "--ui/--listen %s: '%s' is not an IPv4 address (use 127.0.0.1, 0.0.0.0, ...)",
                   listen, host);
        return -1;
    }
    sa->sin_port = htons((uint16_t)port);
    return 0;
}

/* Binds addr:port, or the next free port of the following ones. */
static int sl_ui_bind(struct sockaddr_in *sa, sl_err *err)
{
    int first = ntohs(sa->sin_port);
    for (int i = 0; i < SL_UI_PORT_TRIES; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) break;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)sa, sizeof *sa) == 0 && listen(fd, 64) == 0) {
            socklen_t len = sizeof *sa;
            getsockname(fd, (struct sockaddr *)sa, &len);
            if (i) sl_log(SL_LOG_INFO, "ui: port %d is taken; using %d", first, ntohs(sa->sin_port));
            return fd;
        }
        int e = errno;
        close(fd);
        if (e != EADDRINUSE || first == 0) {
            sl_err_set(err, SL_EIO, "ui: cannot listen on port %d: %s", ntohs(sa->sin_port), strerror(e));
            return -1;
        }
        sa->sin_port = htons((uint16_t)(ntohs(sa->sin_port) + 1));
    }
    sl_err_set(err, SL_EIO, "ui: ports %d to %d are all taken; choose another with --ui ADDR:PORT", first,
               first + SL_UI_PORT_TRIES - 1);
    return -1;
}

static void sl_ui_random_token(char *out, size_t size)
{
    unsigned char raw[16] = { 0 };
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, raw, sizeof raw) != (ssize_t)sizeof raw) memset(raw, 0, sizeof raw);
        close(fd);
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    raw[0] ^= (unsigned char)ts.tv_nsec;
    raw[1] ^= (unsigned char)(ts.tv_nsec >> 8);
    raw[2] ^= (unsigned char)getpid();
    size_t o = 0;
    for (size_t i = 0; i < sizeof raw && o + 2 < size; i++) o += (size_t)snprintf(out + o, size - o, "%02x", raw[i]);
}

/* ---- responses ---- */

static enum MHD_Result sl_ui_send(struct MHD_Connection *c, sl_ui *ui, unsigned status, const char *type, sl_buf *body,
                                  bool set_cookie)
{
    sl_ui_scrub(&ui->ctx, body);
    struct MHD_Response *r = MHD_create_response_from_buffer(body->len, body->data, MHD_RESPMEM_MUST_COPY);
    sl_buf_free(body);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'");
    if (set_cookie) {
        char cookie[256];
        snprintf(cookie, sizeof cookie, "sluice_token=%s; Path=/; HttpOnly; SameSite=Strict", ui->token);
        MHD_add_response_header(r, "Set-Cookie", cookie);
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result sl_ui_static(struct MHD_Connection *c, const char *type, const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result sl_ui_not_found(struct MHD_Connection *c, sl_ui *ui, const char *what, bool json)
{
    sl_buf b = { 0 };
    if (json) {
        sl_buf_append(&b, "{\"error\":", 9);
        sl_ui_json_text(&ui->ctx, &b, what);
        sl_buf_push(&b, '}');
        return sl_ui_send(c, ui, MHD_HTTP_NOT_FOUND, "application/json", &b, false);
    }
    sl_ui_page_404(&ui->ctx, &b, what);
    return sl_ui_send(c, ui, MHD_HTTP_NOT_FOUND, "text/html; charset=utf-8", &b, false);
}

static enum MHD_Result sl_ui_error(struct MHD_Connection *c, sl_ui *ui, const sl_err *err)
{
    sl_buf b = { 0 };
    sl_buf_append(&b, "{\"error\":", 9);
    sl_ui_json_text(&ui->ctx, &b, err->msg);
    sl_buf_push(&b, '}');
    return sl_ui_send(c, ui, MHD_HTTP_SERVICE_UNAVAILABLE, "application/json", &b, false);
}

/* ---- the token ---- */

static bool sl_ui_same(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < la && i < lb; i++) diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

/* 1: allowed; 2: allowed by ?token= (set the cookie); 0: refused. */
static int sl_ui_allowed(struct MHD_Connection *c, const sl_ui *ui)
{
    if (!ui->token[0]) return 1;
    const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    if (q && sl_ui_same(q, ui->token)) return 2;
    const char *k = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "sluice_token");
    if (k && sl_ui_same(k, ui->token)) return 1;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (h && !strncmp(h, "Bearer ", 7) && sl_ui_same(h + 7, ui->token)) return 1;
    return 0;
}

/* ---- event streams ---- */

typedef struct sl_ui_stream {
    sl_ui *ui;
    int64_t run_id;
    char *node;                /* a node page's stream: that node with its tasks; NULL: the run */
    sl_buf pending;
    size_t sent;
    uint64_t version;
    double last_sent;          /* monotonic */
    bool first;
    bool done;                 /* the final state is queued: end after it */
} sl_ui_stream;

static double sl_ui_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits for a change (or the tick), then queues the run's state as one event. */
static double sl_ui_mono(void);

static void sl_ui_stream_next(sl_ui_stream *s)
{
    sl_ui *ui = s->ui;
    sl_ui_live *l = &ui->ctx.live;
    double gap = s->last_sent + SL_UI_STREAM_GAP_MS / 1000.0 - sl_ui_mono();
    if (!s->first && gap > 0 && !atomic_load(&ui->stopping)) {
        struct timespec ts = { 0, (long)(gap * 1e9) };
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&l->mu);
    bool live = l->known && l->run_id == s->run_id && !l->ended;
    if (!s->first && live) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long ns = until.tv_nsec + SL_UI_STREAM_TICK_MS * 1000000L;
        until.tv_sec += ns / 1000000000L;
        until.tv_nsec = ns % 1000000000L;
        while (l->version == s->version && !l->ended && !atomic_load(&ui->stopping))
            if (pthread_cond_timedwait(&l->cv, &l->mu, &until) != 0) break;
    }
    s->version = l->version;
    live = l->known && l->run_id == s->run_id && !l->ended;
    pthread_mutex_unlock(&l->mu);
    s->first = false;
    s->last_sent = sl_ui_mono();
    sl_buf_clear(&s->pending);
    s->sent = 0;
    sl_buf body = { 0 };
    sl_err err = SL_ERR_INIT;
    int rc = sl_ui_json_run(&ui->ctx, s->run_id, s->node, &body, &err);
    /* A live run not in the store yet (still preparing): wait for it. */
    if (rc == 1) {
        sl_ui_scrub(&ui->ctx, &body);
        sl_buf_append(&s->pending, "event: update\ndata: ", 20);
        sl_buf_append(&s->pending, body.data, body.len);
        sl_buf_append(&s->pending, "\n\n", 2);
    } else {
        sl_buf_append(&s->pending, ": waiting\n\n", 11);
    }
    sl_buf_free(&body);
    /* Not (or no longer) live: what there is was the final state. */
    if (!live) {
        sl_buf_append(&s->pending, "event: end\ndata: {}\n\n", 21);
        s->done = true;
    }
    if (atomic_load(&ui->stopping)) s->done = true;
}

static ssize_t sl_ui_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    sl_ui_stream *s = cls;
    if (s->sent == s->pending.len) {
        if (s->done) return MHD_CONTENT_READER_END_OF_STREAM;
        sl_ui_stream_next(s);
    }
    size_t n = s->pending.len - s->sent;
    if (n > max) n = max;
    memcpy(buf, s->pending.data + s->sent, n);
    s->sent += n;
    return (ssize_t)n;
}

static void sl_ui_stream_free(void *cls)
{
    sl_ui_stream *s = cls;
    atomic_fetch_sub(&s->ui->streams, 1);
    sl_buf_free(&s->pending);
    sl_free(s->node);
    sl_free(s);
}

static enum MHD_Result sl_ui_stream_start(struct MHD_Connection *c, sl_ui *ui, int64_t run_id, const char *node)
{
    sl_ui_stream *s = sl_calloc(1, sizeof *s);
    s->ui = ui;
    s->run_id = run_id;
    s->node = node && *node ? sl_strdup(node) : NULL;
    s->first = true;
    atomic_fetch_add(&ui->streams, 1);
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, sl_ui_stream_read, s,
                                                               sl_ui_stream_free);
    if (!r) {
        sl_ui_stream_free(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- routing ---- */

/* "7" -> 7; "latest" -> the latest run's id (0 when none); -1: not a run id. */
static int64_t sl_ui_run_id(sl_ui *ui, const char *text, size_t len)
{
    if (len == 6 && !strncmp(text, "latest", 6)) {
        sl_hist_run r;
        sl_err err = SL_ERR_INIT;
        int rc = sl_ui_load_run(&ui->ctx, 0, &r, &err);
        int64_t id = rc == 1 ? r.id : 0;
        if (rc == 1) sl_hist_run_clear(&r);
        return id;
    }
    if (!len || len > 18) return -1;
    int64_t id = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9') return -1;
        id = id * 10 + (text[i] - '0');
    }
    return id;
}

/* Splits "/runs/7/nodes/x" after a prefix: run id text, then the rest. */
static const char *sl_ui_after(const char *url, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(url, prefix, n) ? NULL : url + n;
}

static bool sl_ui_run_exists(sl_ui *ui, int64_t id, const char *node)
{
    if (id <= 0) return false;
    sl_buf b = { 0 };
    sl_err err = SL_ERR_INIT;
    int rc = sl_ui_json_run(&ui->ctx, id, node, &b, &err);
    sl_buf_free(&b);
    return rc == 1;
}

static enum MHD_Result sl_ui_handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                    const char *version, const char *upload, size_t *upload_size, void **state)
{
    sl_ui *ui = cls;
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        sl_buf b = { 0 };
        sl_buf_printf(&b, "only GET\n");
        return sl_ui_send(c, ui, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", &b, false);
    }
    int allowed = sl_ui_allowed(c, ui);
    if (!allowed) {
        sl_buf b = { 0 };
        sl_buf_printf(&b, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>sluice: token "
                          "required</title></head><body><h1>Token required</h1><p>This UI is served beyond this "
                          "machine or with a token: open the link sluice printed (it carries "
                          "<code>?token=</code>).</p></body></html>\n");
        return sl_ui_send(c, ui, MHD_HTTP_UNAUTHORIZED, "text/html; charset=utf-8", &b, false);
    }
    bool cookie = allowed == 2;
    sl_ui_ctx *u = &ui->ctx;
    sl_err err = SL_ERR_INIT;
    const char *rest;

    if (!strcmp(url, "/static/app.css")) return sl_ui_static(c, "text/css; charset=utf-8", sl_ui_css);
    if (!strcmp(url, "/static/app.js")) return sl_ui_static(c, "text/javascript; charset=utf-8", sl_ui_js);
    if (!strcmp(url, "/favicon.ico")) return sl_ui_not_found(c, ui, "no icon", true);
    if (!strcmp(url, "/metrics")) {
        sl_buf b = { 0 };
        if (sl_ui_metrics(u, &b, &err) < 0) {
            sl_buf_free(&b);
            return sl_ui_error(c, ui, &err);
        }
        return sl_ui_send(c, ui, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", &b, cookie);
    }
    if (!strcmp(url, "/") || !strcmp(url, "/runs") || !strcmp(url, "/runs/")) {
        sl_buf b = { 0 };
        sl_ui_page(u, &b, "runs", "runs", 0, NULL);
        return sl_ui_send(c, ui, MHD_HTTP_OK, "text/html; charset=utf-8", &b, cookie);
    }
    if (!strcmp(url, "/api/runs")) {
        sl_buf b = { 0 };
        if (sl_ui_json_runs(u, &b, &err) < 0) {
            sl_buf_free(&b);
            return sl_ui_error(c, ui, &err);
        }
        return sl_ui_send(c, ui, MHD_HTTP_OK, "application/json", &b, cookie);
    }
    bool api = false;
    if ((rest = sl_ui_after(url, "/api/runs/"))) api = true;
    else rest = sl_ui_after(url, "/runs/");
    if (rest) {
        size_t idlen = strcspn(rest, "/");
        int64_t id = sl_ui_run_id(ui, rest, idlen);
        const char *tail = rest + idlen;
        const char *node = NULL;
        bool events = false, errors = false;
        if (!strncmp(tail, "/nodes/", 7) && tail[7]) node = tail + 7;
        else if (!strcmp(tail, "/events") && api) events = true;
        else if (!strcmp(tail, "/errors") && !api) errors = true;
        else if (*tail && strcmp(tail, "/")) return sl_ui_not_found(c, ui, "no such page", api);
        if (id <= 0) return sl_ui_not_found(c, ui, "no such run", api);
        if (events) {
            if (!sl_ui_run_exists(ui, id, NULL)) {
                pthread_mutex_lock(&u->live.mu);
                bool watched = u->live.known && u->live.run_id == id;
                pthread_mutex_unlock(&u->live.mu);
                if (!watched) return sl_ui_not_found(c, ui, "no such run", true);
            }
            return sl_ui_stream_start(c, ui, id, MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "node"));
        }
        if (api) {
            sl_buf b = { 0 };
            int rc = sl_ui_json_run(u, id, node, &b, &err);
            if (rc < 0) {
                sl_buf_free(&b);
                return sl_ui_error(c, ui, &err);
            }
            if (rc == 0) {
                sl_buf_free(&b);
                return sl_ui_not_found(c, ui, node ? "no such node in this run" : "no such run", true);
            }
            return sl_ui_send(c, ui, MHD_HTTP_OK, "application/json", &b, cookie);
        }
        if (!sl_ui_run_exists(ui, id, node)) {
            char what[160];
            snprintf(what, sizeof what, node ? "run %lld has no such node" : "there is no run %lld of this job",
                     (long long)id);
            return sl_ui_not_found(c, ui, what, false);
        }
        sl_buf b = { 0 };
        sl_ui_page(u, &b, node ? node : errors ? "errors and retries" : "run", node ? "node" : errors ? "errors" : "run",
                   id, node);
        return sl_ui_send(c, ui, MHD_HTTP_OK, "text/html; charset=utf-8", &b, cookie);
    }
    return sl_ui_not_found(c, ui, "no such page", sl_ui_after(url, "/api/") != NULL);
}

/* ---- life ---- */

static bool sl_ui_loopback(const struct sockaddr_in *sa)
{
    return (ntohl(sa->sin_addr.s_addr) >> 24) == 127;
}

sl_ui *sl_ui_start(const sl_ui_opts *o, sl_err *err)
{
    struct sockaddr_in sa;
    if (sl_ui_parse_listen(o->listen ? o->listen : SL_UI_DEFAULT_LISTEN, &sa, err) < 0) return NULL;
    int fd = sl_ui_bind(&sa, err);
    if (fd < 0) return NULL;
    sl_ui *ui = sl_calloc(1, sizeof *ui);
    ui->fd = fd;
    ui->ctx.job = o->job;
    ui->ctx.state_path = o->state_path;
    for (int i = 0; i < o->job->nsources; i++)
        if (o->job->sources[i].url) sl_secrets_add_dsn(&ui->ctx.secrets, o->job->sources[i].url);
    for (int i = 0; i < o->job->ntargets; i++)
        if (o->job->targets[i].url) sl_secrets_add_dsn(&ui->ctx.secrets, o->job->targets[i].url);
    sl_ui_live_init(&ui->ctx.live, o->job);
    const char *token = o->token && *o->token ? o->token : getenv("SLUICE_UI_TOKEN");
    if (token && *token) snprintf(ui->token, sizeof ui->token, "%s", token);
    else if (!sl_ui_loopback(&sa)) sl_ui_random_token(ui->token, sizeof ui->token);
    char host[64];
    inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
    /* The link names a host a browser can reach: 0.0.0.0 is "every address", 127.0.0.1 works here. */
    snprintf(ui->url, sizeof ui->url, "http://%s:%d/%s%s", strcmp(host, "0.0.0.0") ? host : "127.0.0.1",
             ntohs(sa.sin_port), ui->token[0] ? "?token=" : "", ui->token);
    ui->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
                                  sl_ui_handle, ui, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_TIMEOUT,
                                  (unsigned)120, MHD_OPTION_END);
    if (!ui->daemon) {
        sl_err_set(err, SL_EIO, "ui: cannot start the HTTP server on %s:%d", host, ntohs(sa.sin_port));
        close(fd);
        sl_ui_live_free(&ui->ctx.live);
        sl_secrets_free(&ui->ctx.secrets);
        sl_free(ui);
        return NULL;
    }
    ui->ctx.base_url = ui->url;
    return ui;
}

const char *sl_ui_url(const sl_ui *ui) { return ui->url; }

sl_observer sl_ui_observer(sl_ui *ui)
{
    ui->ctx.live_mode = true;
    return (sl_observer){ sl_ui_live_on_event, &ui->ctx };
}

void sl_ui_stop(sl_ui *ui)
{
    if (!ui) return;
    /* Open pages get the final state: their streams end themselves once they sent it. */
    double until = sl_ui_mono() + SL_UI_STOP_WAIT_S;
    while (atomic_load(&ui->streams) > 0 && sl_ui_mono() < until) {
        struct timespec ts = { 0, 20 * 1000000L };
        nanosleep(&ts, NULL);
    }
    atomic_store(&ui->stopping, true);
    pthread_mutex_lock(&ui->ctx.live.mu);
    pthread_cond_broadcast(&ui->ctx.live.cv);
    pthread_mutex_unlock(&ui->ctx.live.mu);
    MHD_stop_daemon(ui->daemon);
    close(ui->fd);
    sl_ui_live_free(&ui->ctx.live);
    sl_secrets_free(&ui->ctx.secrets);
    sl_free(ui);
}
