/*
 * sl_report.h - `sluice report`: one run of a job as a single
 * self-contained HTML file (inline CSS and SVG, no script, nothing fetched)
 * to attach to a ticket: the run's figures, the graph of its nodes, per
 * node its rows, bytes, rate, skew, a histogram of task sizes, the timeline
 * of its tasks per worker and its throughput, and the errors and retries.
 * Built from the state store like the web UI (sl_ui_int.h), passwords
 * redacted the same way.
 */
#ifndef SL_REPORT_H
#define SL_REPORT_H

#include "../core/sl_buf.h"
#include "../core/sl_error.h"
#include "../job/sl_job.h"

#include <stdint.h>

/* run_id 0: the latest run. 1: written to out; 0: no such run; -1: err. */
int sl_report_html(const sl_job *job, const char *state_path, int64_t run_id, sl_buf *out, sl_err *err);

#endif
