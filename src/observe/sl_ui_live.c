/*
 * sl_ui_live.c - the live model of the run a `sluice run --ui` watches
 * (sl_ui_int.h), kept from the run's events: per node its state and rows
 * and bytes so far, per task the attempt in flight, sessions in use per
 * source (/metrics counts from the state store: sl_ui_model.c). One mutex; an event is a few additions under it.
 */
#include "sl_ui_int.h"

#include "../core/sl_alloc.h"

#include <string.h>

void sl_ui_live_init(sl_ui_live *l, const sl_job *job)
{
    memset(l, 0, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->nnodes = job->ntables;
    l->nodes = sl_calloc((size_t)(job->ntables ? job->ntables : 1), sizeof *l->nodes);
    for (int i = 0; i < job->ntables; i++) {
        l->nodes[i].source = job->tables[i].source ? (int)(job->tables[i].source - job->sources) : -1;
        l->nodes[i].est_rows = -1;
    }
    l->sessions = sl_calloc((size_t)(job->nsources ? job->nsources : 1), sizeof *l->sessions);
}

void sl_ui_live_free(sl_ui_live *l)
{
    for (int i = 0; i < l->nnodes; i++) sl_free(l->nodes[i].tasks);
    sl_free(l->nodes);
    sl_free(l->sessions);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
}

static sl_ui_ltask *sl_ui_live_task(sl_ui_live *l, const sl_event *ev)
{
    if (ev->node < 0 || ev->node >= l->nnodes) return NULL;
    sl_ui_lnode *n = &l->nodes[ev->node];
    if (ev->task < 0 || ev->task >= n->ntasks) return NULL;
    return &n->tasks[ev->task];
}

static void sl_ui_live_session(sl_ui_live *l, const sl_event *ev, int delta)
{
    if (ev->node < 0 || ev->node >= l->nnodes) return;
    int s = l->nodes[ev->node].source;
    if (s >= 0) l->sessions[s] += delta;
}

void sl_ui_live_on_event(void *ctx, const sl_event *ev)
{
    sl_ui_ctx *u = ctx;
    sl_ui_live *l = &u->live;
    pthread_mutex_lock(&l->mu);
    sl_ui_lnode *n = ev->node >= 0 && ev->node < l->nnodes ? &l->nodes[ev->node] : NULL;
    sl_ui_ltask *t = sl_ui_live_task(l, ev);
    switch (ev->kind) {
    case SL_EV_RUN_STARTED:
        l->known = true;
        l->run_id = ev->run_id;
        l->started = ev->time;
        break;
    case SL_EV_NODE_STARTED:
        if (n && !n->tasks) {
            n->ntasks = ev->count;
            n->tasks = sl_calloc((size_t)(ev->count ? ev->count : 1), sizeof *n->tasks);
            for (int k = 0; k < ev->count; k++) n->tasks[k].worker = -1;
            n->est_rows = ev->est_rows;
            n->state = SL_LN_RUNNING;
            n->started = ev->time;
        }
        break;
    case SL_EV_TASK_STARTED:
        if (t) {
            t->state = SL_LT_RUNNING;
            t->rows = t->bytes = 0;
            t->worker = ev->worker;
            t->attempt = ev->attempt;
            sl_ui_live_session(l, ev, +1);
        }
        break;
    case SL_EV_PROGRESS:
        if (n) {
            n->rows += ev->rows;
            n->bytes += ev->bytes;
        }
        if (t) {
            t->rows += ev->rows;
            t->bytes += ev->bytes;
        }
        break;
    case SL_EV_TASK_RETRIED:
        if (t && t->state == SL_LT_RUNNING) sl_ui_live_session(l, ev, -1);
        if (t) t->state = SL_LT_PENDING;
        break;
    case SL_EV_TASK_FINISHED:
        if (t) {
            if (t->state == SL_LT_RUNNING) sl_ui_live_session(l, ev, -1);
            t->state = SL_LT_DONE;
            t->rows = ev->rows;
            t->bytes = ev->data_bytes;
            t->worker = ev->worker;
        }
        if (n && ev->kept) {
            n->rows += ev->rows;
            n->bytes += ev->data_bytes;
        }
        break;
    case SL_EV_TASK_FAILED:
        if (t && t->state == SL_LT_RUNNING) sl_ui_live_session(l, ev, -1);
        if (t) t->state = SL_LT_FAILED;
        break;
    case SL_EV_TASK_SKIPPED:
        if (t) t->state = SL_LT_SKIPPED;
        break;
    case SL_EV_NODE_FINISHED:
        if (n) {
            n->state = SL_LN_PUBLISHED;
            n->ended = ev->time;
        }
        break;
    case SL_EV_NODE_FAILED:
        if (n) {
            n->state = SL_LN_FAILED;
            n->ended = ev->time;
        }
        break;
    case SL_EV_RUN_FINISHED:
    case SL_EV_RUN_FAILED:
        l->ended = true;
        l->failed = ev->kind == SL_EV_RUN_FAILED;
        l->ended_at = ev->time;
        if (!l->known) l->run_id = ev->run_id;
        break;
    default: break;
    }
    /* Progress alone does not wake the streams: they send on their own tick. */
    if (ev->kind != SL_EV_PROGRESS) {
        l->version++;
        pthread_cond_broadcast(&l->cv);
    }
    pthread_mutex_unlock(&l->mu);
}
