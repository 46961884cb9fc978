/*
 * sl_alerts.c - delivering a run's alerts (sl_alerts.h).
 *
 * The observer only turns events into alert texts and queues them (under a
 * mutex, no I/O); one delivery thread sends them: a webhook through libcurl
 * (POST, JSON, 10 s timeout), a command through /bin/sh -c with the JSON on
 * its stdin (exit 0 is success). A failure is retried after 1, 2, 4 s; the
 * last failure is logged as a warning. The same thread notices a slow run
 * (it wakes every 200 ms). Webhook URLs are logged by scheme and host only:
 * their path often is the secret.
 */
#include "sl_alerts.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_log.h"
#include "../core/sl_skew.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct sl_alert_msg {
    int alert;                 /* index in job->alerts */
    char *body;
    int tries;
    double due;                /* monotonic time of the next try */
    struct sl_alert_msg *next;
} sl_alert_msg;

typedef struct sl_alert_node {
    double *rows;              /* per task, of finished tasks */
    int n, cap;
} sl_alert_node;

struct sl_alerts {
    const sl_job *job;
    char *ui_link;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    sl_alert_msg *queue;
    bool stopping;
    int64_t run_id;
    double started;            /* monotonic; 0: no run yet */
    bool ended, slow_sent;
    sl_alert_node *nodes;      /* job->ntables */
};

static double sl_alerts_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- composing ---- */

static void sl_alerts_queue(sl_alerts *a, unsigned kind, const char *event, const char *node, const char *message,
                            double skew)
{
    for (int i = 0; i < a->job->nalerts; i++) {
        const sl_job_alert *al = &a->job->alerts[i];
        if (!(al->on & kind)) continue;
        if (kind == SL_ALERT_SKEW && !(skew > al->skew)) continue;
        sl_buf b = { 0 };
        sl_buf_append(&b, "{\"job\":", 7);
        sl_buf_json_str(&b, a->job->name, strlen(a->job->name));
        sl_buf_printf(&b, ",\"run\":%lld,\"event\":", (long long)a->run_id);
        sl_buf_json_str(&b, event, strlen(event));
        sl_buf_append(&b, ",\"node\":", 8);
        if (node) sl_buf_json_str(&b, node, strlen(node));
        else sl_buf_append(&b, "null", 4);
        sl_buf_append(&b, ",\"message\":", 11);
        if (message) sl_buf_json_str(&b, message, strlen(message));
        else sl_buf_append(&b, "null", 4);
        if (kind == SL_ALERT_SKEW) sl_buf_printf(&b, ",\"skew\":%.3f,\"threshold\":%.3f", skew, al->skew);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        sl_buf_printf(&b, ",\"time\":%.3f,\"ui\":", (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
        if (a->ui_link) {
            char link[512];
            snprintf(link, sizeof link, "%sruns/%lld", a->ui_link, (long long)a->run_id);
            /* A token in the link stays out: the receiver may not be trusted with it. */
            char *q = strchr(a->ui_link, '?');
            if (q) snprintf(link, sizeof link, "%.*sruns/%lld", (int)(q - a->ui_link), a->ui_link, (long long)a->run_id);
            sl_buf_json_str(&b, link, strlen(link));
        } else {
            sl_buf_append(&b, "null", 4);
        }
        sl_buf_append(&b, "}\n", 2);
        sl_alert_msg *m = sl_calloc(1, sizeof *m);
        m->alert = i;
        m->body = sl_strdup(sl_buf_cstr(&b));
        sl_buf_free(&b);
        m->due = sl_alerts_mono();
        sl_alert_msg **tail = &a->queue;
        while (*tail) tail = &(*tail)->next;
        *tail = m;
    }
    pthread_cond_signal(&a->cv);
}

static void sl_alerts_on_event(void *ctx, const sl_event *ev)
{
    sl_alerts *a = ctx;
    pthread_mutex_lock(&a->mu);
    sl_alert_node *n = ev->node >= 0 && ev->node < a->job->ntables ? &a->nodes[ev->node] : NULL;
    switch (ev->kind) {
    case SL_EV_RUN_STARTED:
        a->run_id = ev->run_id;
        a->started = sl_alerts_mono();
        break;
    case SL_EV_TASK_RETRIED: {
        char msg[2300];
        snprintf(msg, sizeof msg, "task %d attempt %d failed, retrying in %.1fs: %s", ev->task + 1, ev->attempt,
                 ev->seconds, ev->message ? ev->message : "");
        sl_alerts_queue(a, SL_ALERT_RETRY, "retry", ev->node_name, msg, 0);
        break;
    }
    case SL_EV_TASK_FINISHED:
        if (n) {
            if (n->n == n->cap) {
                n->cap = n->cap ? n->cap * 2 : 8;
                n->rows = sl_realloc(n->rows, (size_t)n->cap * sizeof *n->rows);
            }
            n->rows[n->n++] = (double)ev->rows;
        }
        break;
    case SL_EV_NODE_FINISHED:
        if (n && n->n >= 2) {
            double *v = sl_malloc((size_t)n->n * sizeof *v);
            memcpy(v, n->rows, (size_t)n->n * sizeof *v);
            double skew = sl_skew_ratio(v, n->n);
            sl_free(v);
            char msg[256];
            snprintf(msg, sizeof msg, "node %s: skew %.2f (largest task over median, by rows) over %d tasks",
                     ev->node_name, skew, n->n);
            sl_alerts_queue(a, SL_ALERT_SKEW, "skew", ev->node_name, msg, skew);
        }
        break;
    case SL_EV_RUN_FINISHED:
    case SL_EV_RUN_FAILED: {
        if (!a->run_id) a->run_id = ev->run_id;
        a->ended = true;
        char msg[2300];
        if (ev->kind == SL_EV_RUN_FINISHED)
            snprintf(msg, sizeof msg, "run %lld succeeded: %lld rows in %.1fs", (long long)ev->run_id,
                     (long long)ev->rows, ev->seconds);
        else
            snprintf(msg, sizeof msg, "%s", ev->message ? ev->message : "the run failed");
        sl_alerts_queue(a, ev->kind == SL_EV_RUN_FINISHED ? SL_ALERT_SUCCESS : SL_ALERT_FAILURE,
                        ev->kind == SL_EV_RUN_FINISHED ? "success" : "failure", NULL, msg, 0);
        break;
    }
    default: break;
    }
    pthread_mutex_unlock(&a->mu);
}

/* ---- delivering ---- */

static size_t sl_alerts_discard(char *p, size_t size, size_t n, void *ctx) { return size * n; }

/* "https://hooks.example" of a URL, for logs. */
static void sl_alerts_where(const char *url, char *out, size_t size)
{
    const char *host = strstr(url, "://");
    host = host ? host + 3 : url;
    size_t len = strcspn(host, "/?#");
    const char *at = memchr(host, '@', len);
    if (at) {
        len -= (size_t)(at + 1 - host);
        host = at + 1;
    }
    snprintf(out, size, "%.*s%.*s", (int)(strstr(url, "://") ? strstr(url, "://") + 3 - url : 0), url, (int)len, host);
}

static int sl_alerts_webhook(const char *url, const char *body, char *why, size_t size)
{
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(why, size, "cannot start libcurl");
        return -1;
    }
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "sluice-alerts");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sl_alerts_discard);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) {
        snprintf(why, size, "%s", curl_easy_strerror(rc));
        return -1;
    }
    if (status < 200 || status > 299) {
        snprintf(why, size, "HTTP status %ld", status);
        return -1;
    }
    return 0;
}

static int sl_alerts_command(const char *cmd, const char *body, char *why, size_t size)
{
    int fds[2];
    if (pipe(fds) < 0) {
        snprintf(why, size, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, size, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fds[0], 0);
        close(fds[0]);
        close(fds[1]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    /* A command that does not read its input must not kill us with SIGPIPE. */
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    size_t len = strlen(body), off = 0;
    while (off < len) {
        ssize_t w = write(fds[1], body + off, len - off);
        if (w <= 0) break;
        off += (size_t)w;
    }
    close(fds[1]);
    struct timespec zero = { 0, 0 };
    while (sigtimedwait(&pipe_set, NULL, &zero) > 0) {}
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
    if (WIFEXITED(st)) snprintf(why, size, "the command exited with status %d", WEXITSTATUS(st));
    else snprintf(why, size, "the command was killed by signal %d", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return -1;
}

static void sl_alerts_deliver(sl_alerts *a, sl_alert_msg *m)
{
    const sl_job_alert *al = &a->job->alerts[m->alert];
    char why[256] = "";
    int rc = al->webhook ? sl_alerts_webhook(al->webhook, m->body, why, sizeof why)
                         : sl_alerts_command(al->command, m->body, why, sizeof why);
    m->tries++;
    char where[160];
    if (al->webhook) sl_alerts_where(al->webhook, where, sizeof where);
    else snprintf(where, sizeof where, "command (alerts[%d])", m->alert);
    if (rc == 0) {
        sl_log(SL_LOG_DEBUG, "job %s: alert delivered to %s", a->job->name, where);
        m->tries = -1;
    } else if (m->tries >= SL_ALERTS_TRIES) {
        sl_log(SL_LOG_WARN, "job %s: alert (alerts[%d], job file line %d) not delivered to %s after %d tries: %s",
               a->job->name, m->alert, al->line, where, m->tries, why);
        m->tries = -1;
    } else {
        sl_log(SL_LOG_DEBUG, "job %s: alert to %s failed (%s); trying again", a->job->name, where, why);
        m->due = sl_alerts_mono() + (double)(1 << (m->tries - 1));
    }
}

static void sl_alerts_curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static void *sl_alerts_main(void *arg)
{
    sl_alerts *a = arg;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        double now = sl_alerts_mono();
        /* Slow: noticed here, while the run goes on. */
        if (a->started > 0 && !a->ended && !a->slow_sent) {
            for (int i = 0; i < a->job->nalerts; i++) {
                const sl_job_alert *al = &a->job->alerts[i];
                if ((al->on & SL_ALERT_SLOW) && now - a->started > al->slow_s && !a->slow_sent) {
                    char msg[160];
                    snprintf(msg, sizeof msg, "run %lld has been running for more than %.0fs", (long long)a->run_id,
                             al->slow_s);
                    a->slow_sent = true;
                    sl_alerts_queue(a, SL_ALERT_SLOW, "slow", NULL, msg, 0);
                }
            }
        }
        sl_alert_msg **pp = &a->queue, *due = NULL;
        for (; *pp; pp = &(*pp)->next)
            if ((*pp)->due <= now) {
                due = *pp;
                *pp = due->next;
                break;
            }
        if (due) {
            pthread_mutex_unlock(&a->mu);
            sl_alerts_deliver(a, due);
            pthread_mutex_lock(&a->mu);
            if (due->tries < 0) {
                sl_free(due->body);
                sl_free(due);
            } else {
                due->next = a->queue;
                a->queue = due;
            }
            continue;
        }
        if (a->stopping && !a->queue) break;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long ns = until.tv_nsec + 200 * 1000000L;
        until.tv_sec += ns / 1000000000L;
        until.tv_nsec = ns % 1000000000L;
        pthread_cond_timedwait(&a->cv, &a->mu, &until);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

sl_alerts *sl_alerts_new(const sl_job *job, const char *ui_link)
{
    if (!job->nalerts) return NULL;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sl_alerts_curl_init);
    sl_alerts *a = sl_calloc(1, sizeof *a);
    a->job = job;
    a->ui_link = ui_link ? sl_strdup(ui_link) : NULL;
    a->nodes = sl_calloc((size_t)(job->ntables ? job->ntables : 1), sizeof *a->nodes);
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    if (pthread_create(&a->thread, NULL, sl_alerts_main, a) != 0) {
        sl_log(SL_LOG_WARN, "job %s: cannot start the alerts thread: alerts are off for this run", job->name);
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->cv);
        sl_free(a->nodes);
        sl_free(a->ui_link);
        sl_free(a);
        return NULL;
    }
    return a;
}

static void sl_alerts_ignore(void *ctx, const sl_event *ev) {}

sl_observer sl_alerts_observer(sl_alerts *a)
{
    return a ? (sl_observer){ sl_alerts_on_event, a } : (sl_observer){ sl_alerts_ignore, NULL };
}

void sl_alerts_finish(sl_alerts *a, double max_wait_s)
{
    if (!a) return;
    double until = sl_alerts_mono() + max_wait_s;
    pthread_mutex_lock(&a->mu);
    a->ended = true;
    while (a->queue && sl_alerts_mono() < until) {
        pthread_mutex_unlock(&a->mu);
        struct timespec ts = { 0, 50 * 1000000L };
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&a->mu);
    }
    int dropped = 0;
    while (a->queue) {
        sl_alert_msg *m = a->queue;
        a->queue = m->next;
        sl_free(m->body);
        sl_free(m);
        dropped++;
    }
    a->stopping = true;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    if (dropped)
        sl_log(SL_LOG_WARN, "job %s: %d alert%s not delivered within %.0fs: given up", a->job->name, dropped,
               dropped == 1 ? "" : "s", max_wait_s);
    for (int i = 0; i < a->job->ntables; i++) sl_free(a->nodes[i].rows);
    sl_free(a->nodes);
    sl_free(a->ui_link);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    sl_free(a);
}
