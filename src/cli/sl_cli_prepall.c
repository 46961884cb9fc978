/*
 * sl_cli_prepall.c - preparing a job's tables in parallel for `plan` and
 * `validate --connect`.
 *
 * Preparing a table is a handful of round trips to its source (describe,
 * relation facts, statistics, task boundaries); one after the other, a
 * database of 1,000 tables selected by a pattern took minutes. Here up to
 * P threads prepare tables ahead of the printer (P: the largest
 * max_connections of the job's postgres sources, default 4, at most 16, and
 * never more than SL_PREPALL_AHEAD tables beyond the one being printed, so
 * memory and held snapshots stay bounded), while the caller takes them in
 * the job's order, so the output is the same as a sequential plan's.
 *
 * Each postgres source's session pool is held for the whole command: a
 * table's release no longer closes the pool's sessions (the next table
 * would connect again: a connection, authentication and a cold catalog
 * cache cost more than the table's own queries). The pool itself caps the
 * sessions at max_connections; tables beyond that share the snapshot of an
 * idle session (sl_pg_session.h), which is fine for planning.
 */
#include "sl_cli_prepall.h"

#include "../core/sl_alloc.h"
#include "../sources/sl_pg_session.h"

#include <pthread.h>
#include <string.h>

#define SL_PREPALL_AHEAD 64
#define SL_PREPALL_MAX_THREADS 16

typedef struct sl_prep_slot {
    int table;                 /* the table it holds (slots are a ring of SL_PREPALL_AHEAD) */
    int state;                 /* 0 waiting, 1 prepared, -1 failed, 2 released, 3 computed (not prepared) */
    sl_prep_table pt;
    sl_err err;
} sl_prep_slot;

struct sl_prep_all {
    const sl_job *job;
    int workers;
    bool connect;
    sl_prep_slot *slots;       /* table i in slots[i % nslots] */
    int nslots;
    int n, next, taken;        /* next table to start; tables the caller is done with */
    bool stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t *threads;
    int nthreads;
    sl_pg_pool **pools;
    int npools;
};

static void *sl_prep_all_worker(void *arg)
{
    sl_prep_all *pa = arg;
    pthread_mutex_lock(&pa->mu);
    for (;;) {
        while (!pa->stop && pa->next < pa->n && pa->next >= pa->taken + SL_PREPALL_AHEAD)
            pthread_cond_wait(&pa->cv, &pa->mu);
        if (pa->stop || pa->next >= pa->n) break;
        int i = pa->next++;
        sl_prep_slot *s = &pa->slots[i % pa->nslots];
        s->table = i;
        s->state = 0;
        pthread_mutex_unlock(&pa->mu);
        s->err = (sl_err)SL_ERR_INIT;
        if (pa->job->tables[i].sql) {   /* computed: prepared by a run once its inputs are published */
            pthread_mutex_lock(&pa->mu);
            s->state = 3;
            pthread_cond_broadcast(&pa->cv);
            continue;
        }
        int r = pa->connect ? sl_prep_table_init(&s->pt, pa->job, &pa->job->tables[i], pa->workers, NULL, &s->err)
                            : sl_prep_table_resolve(&s->pt, pa->job, &pa->job->tables[i], pa->workers, NULL, &s->err);
        pthread_mutex_lock(&pa->mu);
        s->state = r < 0 ? -1 : 1;
        pthread_cond_broadcast(&pa->cv);
    }
    pthread_mutex_unlock(&pa->mu);
    return NULL;
}

sl_prep_all *sl_prep_all_start(const sl_job *job, int workers, bool connect)
{
    sl_prep_all *pa = sl_calloc(1, sizeof *pa);
    pa->job = job;
    pa->workers = workers;
    pa->connect = connect;
    pa->n = job->ntables;
    pa->nslots = pa->n < SL_PREPALL_AHEAD ? (pa->n > 0 ? pa->n : 1) : SL_PREPALL_AHEAD;
    pa->slots = sl_calloc((size_t)pa->nslots, sizeof *pa->slots);
    for (int i = 0; i < pa->nslots; i++) pa->slots[i].table = -1;
    pthread_mutex_init(&pa->mu, NULL);
    pthread_cond_init(&pa->cv, NULL);
    int par = 1;
    if (connect) {
        pa->pools = sl_calloc((size_t)(job->nsources > 0 ? job->nsources : 1), sizeof *pa->pools);
        for (int i = 0; i < job->nsources; i++)
            if (job->sources[i].kind && !strcmp(job->sources[i].kind, "postgres")) {
                pa->pools[pa->npools++] = sl_pg_pool_get(&job->sources[i]);
                int m = job->sources[i].max_connections > 0 ? job->sources[i].max_connections : 4;
                if (m > par) par = m;
            }
    }
    if (par > SL_PREPALL_MAX_THREADS) par = SL_PREPALL_MAX_THREADS;
    if (par > pa->n) par = pa->n;
    if (par < 1) par = 1;
    /* Without a connection a table is resolved in microseconds: a thread would
     * only add a hand-over per table (a job of 190,000 tables). */
    if (!connect) par = 0;
    pa->threads = sl_calloc((size_t)par, sizeof *pa->threads);
    for (int i = 0; i < par; i++)
        if (pthread_create(&pa->threads[pa->nthreads], NULL, sl_prep_all_worker, pa) == 0) pa->nthreads++;
    return pa;
}

int sl_prep_all_get(sl_prep_all *pa, int i, sl_prep_table **pt, sl_err **err)
{
    sl_prep_slot *s = &pa->slots[i % pa->nslots];
    pthread_mutex_lock(&pa->mu);
    while ((s->table != i || s->state == 0) && pa->nthreads > 0) pthread_cond_wait(&pa->cv, &pa->mu);
    pthread_mutex_unlock(&pa->mu);
    if (s->table != i || s->state == 0) {   /* no thread: prepare it here */
        s->table = i;
        s->err = (sl_err)SL_ERR_INIT;
        int r = pa->connect ? sl_prep_table_init(&s->pt, pa->job, &pa->job->tables[i], pa->workers, NULL, &s->err)
                            : sl_prep_table_resolve(&s->pt, pa->job, &pa->job->tables[i], pa->workers, NULL, &s->err);
        s->state = r < 0 ? -1 : 1;
    }
    *pt = &s->pt;
    *err = &s->err;
    return s->state == 1 ? 0 : -1;
}

void sl_prep_all_done(sl_prep_all *pa, int i)
{
    sl_prep_slot *s = &pa->slots[i % pa->nslots];
    if (s->state == 1) sl_prep_table_release(&s->pt);
    s->state = 2;
    pthread_mutex_lock(&pa->mu);
    pa->taken = i + 1;
    pthread_cond_broadcast(&pa->cv);
    pthread_mutex_unlock(&pa->mu);
}

void sl_prep_all_free(sl_prep_all *pa)
{
    if (!pa) return;
    pthread_mutex_lock(&pa->mu);
    pa->stop = true;
    pthread_cond_broadcast(&pa->cv);
    pthread_mutex_unlock(&pa->mu);
    for (int i = 0; i < pa->nthreads; i++) pthread_join(pa->threads[i], NULL);
    for (int i = 0; i < pa->nslots; i++)
        if (pa->slots[i].state == 1) sl_prep_table_release(&pa->slots[i].pt);
    for (int i = 0; i < pa->npools; i++) sl_pg_pool_put(pa->pools[i]);
    sl_free(pa->pools);
    sl_free(pa->threads);
    sl_free(pa->slots);
    pthread_mutex_destroy(&pa->mu);
    pthread_cond_destroy(&pa->cv);
    sl_free(pa);
}
