/*
 * sl_cancel.h - a cancel handle: one per run, so that stopping one run
 * (Ctrl-C, a test, later a button in the web UI) touches no other and no
 * process-wide flag is needed.
 *
 *   sl_cancel *c = sl_cancel_new();
 *   ... hand it to the run (sl_run_opts.cancel) ...
 *   sl_cancel_request(c);          // any thread, or a signal handler
 *   if (sl_cancel_requested(c)) ...
 *   sl_cancel_free(c);
 *
 * sl_cancel_request and sl_cancel_requested are one lock-free atomic store
 * or load, so they are async-signal-safe; both accept NULL (never
 * cancelled).
 */
#ifndef SL_CANCEL_H
#define SL_CANCEL_H

#include <stdbool.h>

typedef struct sl_cancel sl_cancel;

sl_cancel *sl_cancel_new(void);
void sl_cancel_free(sl_cancel *c);
void sl_cancel_request(sl_cancel *c);
bool sl_cancel_requested(const sl_cancel *c);
/* Back to "not requested" (a handle reused for a second run). */
void sl_cancel_reset(sl_cancel *c);

#endif
