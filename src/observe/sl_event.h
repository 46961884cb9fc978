/*
 * sl_event.h - what a run tells its observers: run, node and task events
 * with timings, rows, bytes and the worker.
 *
 * exec emits; observers listen. The terminal progress display is one
 * observer (sl_progress_observer), the web UI and its metrics another
 * (sl_ui.h), alerts a third; none of them is known to exec, which only
 * walks the list (sl_events_emit). The state store is still written by
 * exec directly: it is the run's record, not a view of it.
 *
 * Events of one run, in order per node and per task:
 *   RUN_STARTED        run_id; `count` = nodes
 *   NODE_STARTED       node prepared: est_rows, count = tasks, kept = tasks done by an
 *                      earlier session (their TASK_FINISHED follow, with kept set)
 *   RUN_TASKS_QUEUED   every node is set up, the tasks are on the pool
 *   TASK_STARTED       task, worker, attempt, predicate
 *   PROGRESS           rows, bytes (in-memory size) since the last one: once per batch;
 *                      negative when a failed attempt's rows are taken back
 *   TASK_RETRIED       attempt failed, another follows after `seconds`; message, code
 *   TASK_FINISHED      rows, bytes (the output's size), data_bytes, seconds, attempts
 *   TASK_FAILED        message, code
 *   TASK_SKIPPED       its node failed or the run was interrupted before it started
 *   NODE_FINISHED      published: rows, bytes, seconds
 *   NODE_FAILED        message
 *   RUN_TASKS_DONE     every task ended (the pool is drained)
 *   RUN_FINISHED / RUN_FAILED   seconds, message
 * Observers are called on the thread that emits (any worker), so they
 * must be thread-safe and quick: no I/O that can block (a webhook is queued,
 * not sent, by its observer). Strings are borrowed for the call only, and
 * messages are redacted already (they come from errors, which never carry a
 * password).
 */
#ifndef SL_EVENT_H
#define SL_EVENT_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    SL_EV_RUN_STARTED,
    SL_EV_NODE_STARTED,
    SL_EV_RUN_TASKS_QUEUED,
    SL_EV_TASK_STARTED,
    SL_EV_PROGRESS,
    SL_EV_TASK_RETRIED,
    SL_EV_TASK_FINISHED,
    SL_EV_TASK_FAILED,
    SL_EV_TASK_SKIPPED,
    SL_EV_NODE_FINISHED,
    SL_EV_NODE_FAILED,
    SL_EV_RUN_TASKS_DONE,
    SL_EV_RUN_FINISHED,
    SL_EV_RUN_FAILED,
} sl_event_kind;

typedef struct sl_event {
    sl_event_kind kind;
    const char *job;
    int64_t run_id;
    double time;               /* wall clock, seconds since the epoch */
    int node;                  /* index of the node (table) in the job; -1: the run */
    const char *node_name;
    const char *source;        /* the node's source name (NODE_STARTED) */
    int task;                  /* index in the node; -1: none */
    int worker;                /* -1: none */
    int attempt;
    int count;                 /* RUN_STARTED: nodes; NODE_STARTED: tasks */
    int kept;                  /* NODE_STARTED: tasks kept; TASK_FINISHED: 1 when kept from before */
    int64_t est_rows;          /* -1: unknown */
    int64_t rows, bytes, data_bytes;
    double seconds;
    const char *predicate;
    const char *message;
    int code;                  /* sl_err code of a failure */
} sl_event;

const char *sl_event_kind_name(sl_event_kind kind);   /* "task_finished", ... */

typedef struct sl_observer {
    void (*on_event)(void *ctx, const sl_event *ev);
    void *ctx;
} sl_observer;

/* A run's observers: a fixed small list, filled before the run starts and
 * read-only while it runs (emitting takes no lock). */
#define SL_EVENTS_MAX 8
typedef struct sl_events {
    sl_observer list[SL_EVENTS_MAX];
    int n;
} sl_events;

/* Adds an observer; false when the list is full. */
bool sl_events_add(sl_events *evs, sl_observer obs);
/* Fills in ev->time when 0 and calls every observer in order. evs may be NULL. */
void sl_events_emit(const sl_events *evs, sl_event *ev);

#endif
