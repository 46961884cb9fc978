/*
 * sl_ui.h - the web UI: a small HTTP server (libmicrohttpd) with the pages
 * of a job's runs, a JSON API under /api/, server-sent events for live
 * pages and /metrics in the Prometheus text format.
 *
 *   sl_ui_opts o = { .job = job, .state_path = path, .listen = "127.0.0.1:4040" };
 *   sl_ui *ui = sl_ui_start(&o, &err);         // binds; the next free port when taken
 *   printf("%s\n", sl_ui_url(ui));              // the link, with its token when one is needed
 *   sl_events_add(&evs, sl_ui_observer(ui));    // `run --ui`: the run's events feed the live view
 *   ... run ...
 *   sl_ui_stop(ui);   // lets open pages get the final state (up to ~2 s), then closes
 *
 * Pages: /  (runs), /runs/N (graph of nodes, live), /runs/N/nodes/NAME
 * (tasks, skew, timeline per worker, throughput), /runs/N/errors. API:
 * /api/runs, /api/runs/N (N or "latest"), /api/runs/N/nodes/NAME,
 * /api/runs/N/events (text/event-stream). Assets are compiled in; nothing is
 * fetched from elsewhere.
 *
 * Security: binds 127.0.0.1 unless told; bound beyond loopback a token is
 * required (opts.token, else SLUICE_UI_TOKEN, else a random one, in the
 * printed link). A token given on loopback is required too. The token is
 * accepted as ?token=, a cookie the first such request sets, or an
 * Authorization: Bearer header. Every string served is HTML-escaped or
 * JSON-escaped, every password of the job's sources and targets redacted,
 * and every body scrubbed of them again before it leaves.
 */
#ifndef SL_UI_H
#define SL_UI_H

#include "../core/sl_error.h"
#include "../job/sl_job.h"
#include "sl_event.h"

#include <stdbool.h>

typedef struct sl_ui sl_ui;

#define SL_UI_DEFAULT_LISTEN "127.0.0.1:4040"

typedef struct sl_ui_opts {
    const sl_job *job;
    const char *state_path;    /* the job's state store */
    const char *listen;        /* "ADDR:PORT", "ADDR" or ":PORT" (IPv4); NULL: SL_UI_DEFAULT_LISTEN */
    const char *token;         /* NULL: $SLUICE_UI_TOKEN; none and beyond loopback: a random one */
} sl_ui_opts;

sl_ui *sl_ui_start(const sl_ui_opts *opts, sl_err *err);
/* "http://127.0.0.1:4040/" (with ?token=... when one is required). */
const char *sl_ui_url(const sl_ui *ui);
/* The observer that feeds the live view from a run's events. */
sl_observer sl_ui_observer(sl_ui *ui);
void sl_ui_stop(sl_ui *ui);

#endif
