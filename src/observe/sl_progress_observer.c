/*
 * sl_progress_observer.c - the terminal progress display (sl_progress.h) as
 * an observer of a run's events (sl_event.h): nodes become its tables,
 * progress events its counters; the display thread starts when the tasks
 * are queued and stops when they are all done.
 */
#include "sl_progress.h"

#include "../core/sl_alloc.h"

#include <stdatomic.h>

struct sl_progress_observer {
    sl_progress *p;
    int *ids;                  /* node index -> the display's table index, -1: none */
    int nids;
};

static int sl_po_id(const sl_progress_observer *po, int node)
{
    return node >= 0 && node < po->nids ? po->ids[node] : -1;
}

static void sl_po_on_event(void *ctx, const sl_event *ev)
{
    sl_progress_observer *po = ctx;
    int id = sl_po_id(po, ev->node);
    switch (ev->kind) {
    case SL_EV_RUN_STARTED:
        /* Sized once, before any worker runs: later events only read it. */
        sl_free(po->ids);
        po->nids = ev->count;
        po->ids = sl_calloc((size_t)(ev->count ? ev->count : 1), sizeof *po->ids);
        for (int i = 0; i < po->nids; i++) po->ids[i] = -1;
        sl_progress_reserve(po->p, po->nids);   /* tables added later (computed ones) never move the array */
        break;
    case SL_EV_NODE_STARTED:
        if (ev->node >= 0 && ev->node < po->nids)
            po->ids[ev->node] = sl_progress_add_table(po->p, ev->node_name, ev->est_rows, ev->count);
        break;
    case SL_EV_RUN_TASKS_QUEUED: sl_progress_start(po->p); break;
    case SL_EV_PROGRESS:
        if (ev->rows >= 0) sl_progress_add(po->p, id, (uint64_t)ev->rows, (uint64_t)ev->bytes);
        else sl_progress_sub(po->p, id, (uint64_t)-ev->rows, (uint64_t)-ev->bytes);
        break;
    case SL_EV_TASK_FINISHED:
        if (ev->kept) sl_progress_add(po->p, id, (uint64_t)ev->rows, (uint64_t)ev->data_bytes);
        sl_progress_task_done(po->p, id);
        break;
    case SL_EV_TASK_FAILED:
    case SL_EV_TASK_SKIPPED: sl_progress_task_done(po->p, id); break;
    case SL_EV_NODE_FINISHED: sl_progress_table_state(po->p, id, "published"); break;
    case SL_EV_NODE_FAILED: sl_progress_table_state(po->p, id, "FAILED"); break;
    case SL_EV_RUN_TASKS_DONE: sl_progress_stop(po->p); break;
    default: break;
    }
}

sl_progress_observer *sl_progress_observer_new(sl_progress_mode mode)
{
    sl_progress_observer *po = sl_calloc(1, sizeof *po);
    po->p = sl_progress_new(mode);
    return po;
}

sl_observer sl_progress_observer_get(sl_progress_observer *po)
{
    return (sl_observer){ sl_po_on_event, po };
}

void sl_progress_observer_free(sl_progress_observer *po)
{
    if (!po) return;
    sl_progress_free(po->p);
    sl_free(po->ids);
    sl_free(po);
}
