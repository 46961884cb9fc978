/*
 * sl_progress.c - live progress lines on a terminal, periodic log lines
 * elsewhere (see sl_progress.h).
 *
 * Counters are C11 atomics updated by workers once per batch; the display
 * thread sleeps on a condition variable so that stop() is immediate. The
 * live display moves the cursor up over the lines it drew last time and
 * rewrites them (ANSI: ESC[nA, ESC[2K). Log lines printed meanwhile go
 * through sl_log's hook: the display is erased (ESC[J), the log line
 * written, and the display drawn again below it, so log lines scroll up
 * above a display that stays at the bottom.
 */
#include "sl_progress.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct sl_progress_table {
    char *name;
    int64_t est_rows;
    int ntasks;
    _Atomic uint64_t rows, bytes;
    _Atomic int tasks_done;
    const char *_Atomic state;   /* NULL while running */
    _Atomic double ended;        /* seconds since start when it finished; 0 while running */
} sl_progress_table;

struct sl_progress {
    sl_progress_mode mode;
    sl_progress_table *tables;
    int ntables, cap;
    pthread_t thread;
    bool running, stopping;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_mutex_t draw_mu;     /* the lines on the terminal and `drawn` */
    double started;
    int drawn;                   /* lines on screen from the last live redraw */
};

static double sl_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *sl_human_bytes(double b, char *buf, size_t size)
{
    static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
    int u = 0;
    while (b >= 1000 && u < 4) {
        b /= 1000;
        u++;
    }
    snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", b, units[u]);
    return buf;
}

static const char *sl_human_count(double n, char *buf, size_t size)
{
    if (n >= 1e9) snprintf(buf, size, "%.2fG", n / 1e9);
    else if (n >= 1e6) snprintf(buf, size, "%.2fM", n / 1e6);
    else if (n >= 1e4) snprintf(buf, size, "%.1fk", n / 1e3);
    else snprintf(buf, size, "%.0f", n);
    return buf;
}

sl_progress_mode sl_progress_auto(void)
{
    return isatty(STDERR_FILENO) ? SL_PROGRESS_LIVE : SL_PROGRESS_LOG;
}

sl_progress *sl_progress_new(sl_progress_mode mode)
{
    sl_progress *p = sl_calloc(1, sizeof *p);
    p->mode = mode;
    pthread_mutex_init(&p->mu, NULL);
    pthread_mutex_init(&p->draw_mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    return p;
}

int sl_progress_add_table(sl_progress *p, const char *name, int64_t est_rows, int ntasks)
{
    /* Computed tables are added by workers while the display runs. */
    pthread_mutex_lock(&p->draw_mu);
    if (p->ntables == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->tables = sl_realloc(p->tables, sizeof *p->tables * (size_t)p->cap);
    }
    sl_progress_table *t = &p->tables[p->ntables];
    memset(t, 0, sizeof *t);
    t->name = sl_strdup(name);
    t->est_rows = est_rows;
    t->ntasks = ntasks;
    int id = p->ntables++;
    pthread_mutex_unlock(&p->draw_mu);
    return id;
}

void sl_progress_reserve(sl_progress *p, int ntables)
{
    if (!p || p->cap >= p->ntables + ntables) return;
    p->cap = p->ntables + ntables;
    p->tables = sl_realloc(p->tables, sizeof *p->tables * (size_t)p->cap);
}

void sl_progress_add(sl_progress *p, int table, uint64_t rows, uint64_t bytes)
{
    if (!p || table < 0) return;
    atomic_fetch_add_explicit(&p->tables[table].rows, rows, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->tables[table].bytes, bytes, memory_order_relaxed);
}

void sl_progress_sub(sl_progress *p, int table, uint64_t rows, uint64_t bytes)
{
    if (!p || table < 0) return;
    atomic_fetch_sub_explicit(&p->tables[table].rows, rows, memory_order_relaxed);
    atomic_fetch_sub_explicit(&p->tables[table].bytes, bytes, memory_order_relaxed);
}

void sl_progress_task_done(sl_progress *p, int table)
{
    if (!p || table < 0) return;
    atomic_fetch_add_explicit(&p->tables[table].tasks_done, 1, memory_order_relaxed);
}

void sl_progress_table_state(sl_progress *p, int table, const char *state)
{
    if (!p || table < 0) return;
    atomic_store(&p->tables[table].ended, sl_now() - p->started);
    atomic_store(&p->tables[table].state, state);
}

/* One table's line, e.g. "orders  1.20M rows  84.0 MB  410k rows/s  ETA 3s  tasks 5/8". */
static void sl_progress_line(sl_progress *p, sl_progress_table *t, double elapsed, char *out, size_t size)
{
    uint64_t rows = atomic_load_explicit(&t->rows, memory_order_relaxed);
    uint64_t bytes = atomic_load_explicit(&t->bytes, memory_order_relaxed);
    int done = atomic_load_explicit(&t->tasks_done, memory_order_relaxed);
    const char *state = atomic_load(&t->state);
    double ended = atomic_load(&t->ended);
    if (state && ended > 0) elapsed = ended;   /* the rate of a finished table stays what it was */
    char r[32], b[32], rate[32], eta[48] = "";
    double rps = elapsed > 0 ? (double)rows / elapsed : 0;
    if (state) {
        snprintf(eta, sizeof eta, "%s", state);
    } else if (t->est_rows > 0 && rps > 0 && (double)rows < (double)t->est_rows) {
        double left = ((double)t->est_rows - (double)rows) / rps;
        if (left < 120) snprintf(eta, sizeof eta, "ETA %.0fs", left);
        else if (left < 7200) snprintf(eta, sizeof eta, "ETA %.0fm%02.0fs", left / 60, left - 60 * (int)(left / 60));
        else snprintf(eta, sizeof eta, "ETA %.1fh", left / 3600);
    } else if (t->est_rows > 0) {
        snprintf(eta, sizeof eta, "ETA -");
    }
    int pct = t->est_rows > 0 ? (int)(100.0 * (double)rows / (double)t->est_rows) : -1;
    if (pct > 100) pct = 100;
    char pcts[16] = "";
    if (pct >= 0 && !state) snprintf(pcts, sizeof pcts, " (%d%%)", pct);
    (void)p;
    snprintf(out, size, "%-20s %9s rows%s  %9s  %9s rows/s  tasks %d/%d  %s", t->name,
             sl_human_count((double)rows, r, sizeof r), pcts, sl_human_bytes((double)bytes, b, sizeof b),
             sl_human_count(rps, rate, sizeof rate), done, t->ntasks, eta);
}

/* The live lines, from the cursor down. Called with draw_mu held. */
static void sl_progress_draw_live(sl_progress *p)
{
    double elapsed = sl_now() - p->started;
    char line[512];
    size_t cap = (size_t)(p->ntables + 1) * 560 + 32, n = 0;
    char *screen = sl_malloc(cap);
    if (p->drawn) n += (size_t)snprintf(screen + n, cap - n, "\x1b[%dA", p->drawn);
    for (int i = 0; i < p->ntables; i++) {
        sl_progress_line(p, &p->tables[i], elapsed, line, sizeof line);
        n += (size_t)snprintf(screen + n, cap - n, "\r\x1b[2K%s\n", line);
    }
    ssize_t ignored = write(STDERR_FILENO, screen, n);
    (void)ignored;
    sl_free(screen);
    p->drawn = p->ntables;
}

/* sl_log's hook: take the lines away before a log line, put them back after it. */
static void sl_progress_log_hook(void *ctx, bool before)
{
    sl_progress *p = ctx;
    if (before) {
        pthread_mutex_lock(&p->draw_mu);
        if (p->drawn) {
            char esc[32];
            int n = snprintf(esc, sizeof esc, "\x1b[%dA\x1b[J", p->drawn);
            ssize_t ignored = write(STDERR_FILENO, esc, (size_t)n);
            (void)ignored;
            p->drawn = 0;
        }
    } else {
        sl_progress_draw_live(p);
        pthread_mutex_unlock(&p->draw_mu);
    }
}

static void sl_progress_draw(sl_progress *p, bool final)
{
    if (p->mode == SL_PROGRESS_LIVE) {
        pthread_mutex_lock(&p->draw_mu);
        sl_progress_draw_live(p);
        pthread_mutex_unlock(&p->draw_mu);
    } else if (p->mode == SL_PROGRESS_LOG && !final) {
        double elapsed = sl_now() - p->started;
        char line[512];
        for (int i = 0; i < p->ntables; i++) {
            if (atomic_load(&p->tables[i].state)) continue;
            sl_progress_line(p, &p->tables[i], elapsed, line, sizeof line);
            sl_log(SL_LOG_INFO, "progress: %s", line);
        }
    }
}

static void *sl_progress_main(void *arg)
{
    sl_progress *p = arg;
    double period = p->mode == SL_PROGRESS_LIVE ? 0.25 : 10.0;
    /* Tests (and impatient users) may shorten it. */
    const char *env = getenv("SLUICE_PROGRESS_SECONDS");
    if (env && atof(env) >= 0.01) period = atof(env);
    pthread_mutex_lock(&p->mu);
    while (!p->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long ns = until.tv_nsec + (long)(period * 1e9);
        until.tv_sec += ns / 1000000000L;
        until.tv_nsec = ns % 1000000000L;
        while (!p->stopping && pthread_cond_timedwait(&p->cv, &p->mu, &until) == 0) {}
        if (p->stopping) break;
        pthread_mutex_unlock(&p->mu);
        sl_progress_draw(p, false);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

void sl_progress_start(sl_progress *p)
{
    if (!p) return;
    p->started = sl_now();
    if (p->mode == SL_PROGRESS_OFF || p->ntables == 0) return;
    if (pthread_create(&p->thread, NULL, sl_progress_main, p) == 0) p->running = true;
    if (p->running && p->mode == SL_PROGRESS_LIVE) sl_log_set_hook(sl_progress_log_hook, p);
}

void sl_progress_stop(sl_progress *p)
{
    if (!p || !p->running) return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    p->running = false;
    if (p->mode == SL_PROGRESS_LIVE) sl_log_set_hook(NULL, NULL);
    sl_progress_draw(p, true);
}

void sl_progress_free(sl_progress *p)
{
    if (!p) return;
    sl_progress_stop(p);
    for (int i = 0; i < p->ntables; i++) sl_free(p->tables[i].name);
    sl_free(p->tables);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->draw_mu);
    pthread_cond_destroy(&p->cv);
    sl_free(p);
}
