/*
 * sl_progress.h - progress of a run, per table: rows, bytes, rate, ETA,
 * tasks done/total.
 *
 * Workers update counters (atomics, once per batch); a display thread reads
 * them:
 *   SL_PROGRESS_LIVE   on a terminal: one line per table on stderr, redrawn
 *                      four times a second;
 *   SL_PROGRESS_LOG    plain log lines (sl_log, info) every ~10 seconds
 *                      (SLUICE_PROGRESS_SECONDS overrides the period);
 *   SL_PROGRESS_OFF    nothing.
 * sl_progress_auto() picks LIVE when stderr is a terminal, LOG otherwise.
 *
 *   sl_progress *p = sl_progress_new(mode);
 *   int t = sl_progress_add_table(p, "orders", est_rows, ntasks);   // before start
 *   sl_progress_start(p);
 *   sl_progress_add(p, t, rows, bytes);    // any thread
 *   sl_progress_task_done(p, t);           // any thread
 *   sl_progress_stop(p);                   // final redraw, joins the thread
 *   sl_progress_free(p);
 */
#ifndef SL_PROGRESS_H
#define SL_PROGRESS_H

#include "sl_event.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { SL_PROGRESS_OFF, SL_PROGRESS_LOG, SL_PROGRESS_LIVE } sl_progress_mode;

typedef struct sl_progress sl_progress;

sl_progress_mode sl_progress_auto(void);
sl_progress *sl_progress_new(sl_progress_mode mode);
/* est_rows < 0: unknown (no ETA). Returns the table's index. */
int sl_progress_add_table(sl_progress *p, const char *name, int64_t est_rows, int ntasks);
void sl_progress_start(sl_progress *p);
/* Room for ntables more tables, so that tables added while the run goes on
 * (computed tables, prepared once their inputs are published) never move
 * the array other threads are updating. */
void sl_progress_reserve(sl_progress *p, int ntables);
void sl_progress_add(sl_progress *p, int table, uint64_t rows, uint64_t bytes);
void sl_progress_task_done(sl_progress *p, int table);
/* Marks a table finished ("published" or "FAILED") for the display. */
void sl_progress_table_state(sl_progress *p, int table, const char *state);
/* Work was redone (a retried task): takes back rows and bytes counted before. */
void sl_progress_sub(sl_progress *p, int table, uint64_t rows, uint64_t bytes);
void sl_progress_stop(sl_progress *p);
void sl_progress_free(sl_progress *p);

/* The display as an observer of a run's events (sl_progress_observer.c):
 * what exec uses. */
typedef struct sl_progress_observer sl_progress_observer;
sl_progress_observer *sl_progress_observer_new(sl_progress_mode mode);
sl_observer sl_progress_observer_get(sl_progress_observer *po);
void sl_progress_observer_free(sl_progress_observer *po);

/* "12.3 MB", "1.2 GB" into buf (>= 16 bytes). */
const char *sl_human_bytes(double bytes, char *buf, size_t size);

#endif
