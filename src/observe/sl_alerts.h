/*
 * sl_alerts.h - the job's alerts (job/sl_job.h `alerts:`) as an observer
 * of a run: failure, success, retry, slow (the run outlasts `slow:`), skew
 * (a node's largest/median task rows above `skew:`); check_failed is
 * accepted and fires when checks report one.
 *
 * An alert is one JSON object: {"job", "run", "node", "event", "message",
 * "time", "ui"} - POSTed to a webhook (libcurl), or given on the standard
 * input of a command (sh -c). Delivery happens on a thread of its own,
 * each alert tried up to SL_ALERTS_TRIES times with backoff; it never
 * blocks, slows or fails the run, and a failed delivery is logged.
 *
 *   sl_alerts *a = sl_alerts_new(job, ui_link_or_NULL);   // NULL when the job has no alerts
 *   sl_events_add(&evs, sl_alerts_observer(a));
 *   ... run ...
 *   sl_alerts_finish(a, 15.0);   // waits at most that long for what is queued, then gives up (logged)
 */
#ifndef SL_ALERTS_H
#define SL_ALERTS_H

#include "../job/sl_job.h"
#include "sl_event.h"

#define SL_ALERTS_TRIES 3

typedef struct sl_alerts sl_alerts;

sl_alerts *sl_alerts_new(const sl_job *job, const char *ui_link);
sl_observer sl_alerts_observer(sl_alerts *a);
void sl_alerts_finish(sl_alerts *a, double max_wait_s);

#endif
