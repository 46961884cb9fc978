/*
 * sl_event.c - the observer list of a run (sl_event.h).
 */
#include "sl_event.h"

#include <time.h>

static const char *const sl_event_names[] = {
    [SL_EV_RUN_STARTED] = "run_started",       [SL_EV_NODE_STARTED] = "node_started",
    [SL_EV_RUN_TASKS_QUEUED] = "tasks_queued", [SL_EV_TASK_STARTED] = "task_started",
    [SL_EV_PROGRESS] = "progress",             [SL_EV_TASK_RETRIED] = "task_retried",
    [SL_EV_TASK_FINISHED] = "task_finished",   [SL_EV_TASK_FAILED] = "task_failed",
    [SL_EV_TASK_SKIPPED] = "task_skipped",     [SL_EV_NODE_FINISHED] = "node_finished",
    [SL_EV_NODE_FAILED] = "node_failed",       [SL_EV_RUN_TASKS_DONE] = "tasks_done",
    [SL_EV_RUN_FINISHED] = "run_finished",     [SL_EV_RUN_FAILED] = "run_failed",
};

const char *sl_event_kind_name(sl_event_kind kind)
{
    if ((unsigned)kind >= sizeof sl_event_names / sizeof sl_event_names[0]) return "unknown";
    return sl_event_names[kind];
}

bool sl_events_add(sl_events *evs, sl_observer obs)
{
    if (evs->n >= SL_EVENTS_MAX) return false;
    evs->list[evs->n++] = obs;
    return true;
}

void sl_events_emit(const sl_events *evs, sl_event *ev)
{
    if (!evs || !evs->n) return;
    if (ev->time == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ev->time = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    }
    for (int i = 0; i < evs->n; i++) evs->list[i].on_event(evs->list[i].ctx, ev);
}
