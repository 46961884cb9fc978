/*
 * sl_pool.c - worker threads over one queue with per-group limits (see
 * sl_pool.h).
 *
 * The queue is an array in submission order with a `head` before which
 * every item has been taken; a worker scans from head for the first item
 * whose group is below its limit. Scans are per task, not per row, so the
 * linear scan costs nothing next to the work.
 */
#include "sl_pool.h"

#include "../core/sl_alloc.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

typedef struct sl_pool_item {
    sl_pool_fn fn;
    void *arg;
    int group;
    bool taken;
} sl_pool_item;

struct sl_pool {
    pthread_mutex_t mu;
    pthread_cond_t work;       /* an item was submitted or a group slot freed */
    pthread_cond_t idle;       /* the pool may have become idle */
    sl_pool_item *items;
    size_t nitems, cap, head;
    int *limits, *running_in, ngroups;
    int running;               /* items being run */
    bool stop;
    pthread_t *threads;
    int nthreads;
};

typedef struct sl_pool_start {
    sl_pool *pool;
    int worker;
} sl_pool_start;

/* Index of an item a worker may take now, or -1. Called with mu held. */
static long sl_pool_pick(sl_pool *p)
{
    while (p->head < p->nitems && p->items[p->head].taken) p->head++;
    for (size_t i = p->head; i < p->nitems; i++) {
        sl_pool_item *it = &p->items[i];
        if (it->taken) continue;
        int g = it->group;
        if (g >= 0 && g < p->ngroups && p->limits[g] > 0 && p->running_in[g] >= p->limits[g]) continue;
        return (long)i;
    }
    return -1;
}

static void *sl_pool_main(void *arg)
{
    sl_pool_start *start = arg;
    sl_pool *p = start->pool;
    int worker = start->worker;
    sl_free(start);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        long i = -1;
        while (!p->stop && (i = sl_pool_pick(p)) < 0) pthread_cond_wait(&p->work, &p->mu);
        if (p->stop) break;
        sl_pool_item it = p->items[i];
        p->items[i].taken = true;
        p->running++;
        if (it.group >= 0 && it.group < p->ngroups) p->running_in[it.group]++;
        pthread_mutex_unlock(&p->mu);

        it.fn(it.arg, worker);

        pthread_mutex_lock(&p->mu);
        p->running--;
        if (it.group >= 0 && it.group < p->ngroups) {
            p->running_in[it.group]--;
            pthread_cond_broadcast(&p->work);
        }
        pthread_cond_broadcast(&p->idle);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

sl_pool *sl_pool_new(int workers, const int *limits, int ngroups)
{
    sl_pool *p = sl_calloc(1, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->idle, NULL);
    if (workers < 1) workers = 1;
    p->ngroups = ngroups;
    p->limits = sl_calloc((size_t)(ngroups ? ngroups : 1), sizeof(int));
    p->running_in = sl_calloc((size_t)(ngroups ? ngroups : 1), sizeof(int));
    if (ngroups) memcpy(p->limits, limits, sizeof(int) * (size_t)ngroups);
    p->threads = sl_calloc((size_t)workers, sizeof(pthread_t));
    for (int w = 0; w < workers; w++) {
        sl_pool_start *s = sl_malloc(sizeof *s);
        s->pool = p;
        s->worker = w;
        if (pthread_create(&p->threads[p->nthreads], NULL, sl_pool_main, s) != 0) {
            sl_free(s);
            break;
        }
        p->nthreads++;
    }
    return p;
}

int sl_pool_workers(const sl_pool *p) { return p->nthreads; }

void sl_pool_submit(sl_pool *p, sl_pool_fn fn, void *arg, int group)
{
    pthread_mutex_lock(&p->mu);
    if (p->nitems == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->items = sl_realloc(p->items, sizeof *p->items * p->cap);
    }
    p->items[p->nitems++] = (sl_pool_item){ fn, arg, group, false };
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
}

void sl_pool_wait(sl_pool *p)
{
    pthread_mutex_lock(&p->mu);
    /* No thread could be created (resource limits): run everything here. */
    long i = -1;
    while (p->nthreads == 0 && (i = sl_pool_pick(p)) >= 0) {
        sl_pool_item it = p->items[i];
        p->items[i].taken = true;
        pthread_mutex_unlock(&p->mu);
        it.fn(it.arg, 0);
        pthread_mutex_lock(&p->mu);
    }
    for (;;) {
        while (p->head < p->nitems && p->items[p->head].taken) p->head++;
        bool pending = false;
        for (size_t i = p->head; i < p->nitems && !pending; i++) pending = !p->items[i].taken;
        if (!pending && p->running == 0) break;
        pthread_cond_wait(&p->idle, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
}

void sl_pool_free(sl_pool *p)
{
    if (!p) return;
    sl_pool_wait(p);
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->idle);
    sl_free(p->items);
    sl_free(p->limits);
    sl_free(p->running_in);
    sl_free(p->threads);
    sl_free(p);
}
