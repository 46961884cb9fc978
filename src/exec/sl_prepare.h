/*
 * sl_prepare.h - preparing one table of a job through its source: schema and
 * tasks, plus the sink it will be written with. `sluice run` and `sluice
 * plan` both start here; plan prints the result and releases it.
 *
 *   sl_prep_table pt;
 *   if (sl_prep_table_init(&pt, job, &job->tables[i], workers, NULL, &err) < 0) ...
 *   ... pt.st.schema, pt.st.tasks[0 .. pt.st.ntasks) ...
 *   sl_prep_table_release(&pt);    // source finish + frees schema and tasks
 *
 * Errors name the job and table ("job shop: table orders: ...").
 */
#ifndef SL_PREPARE_H
#define SL_PREPARE_H

#include "../core/sl_error.h"
#include "../job/sl_job.h"
#include "../sinks/sl_sink.h"
#include "../sources/sl_source.h"

#include <stdbool.h>

/* Finds a source implementation by kind; NULL means sl_source_lookup. Tests
 * pass their own to run the engine over a synthetic source. */
typedef const sl_source_ops *(*sl_source_lookup_fn)(const char *kind);

typedef struct sl_prep_table {
    const sl_job_table *cfg;
    const sl_source_ops *source;
    const sl_sink_ops *sink;
    sl_source_table st;
    bool prepared;           /* source->prepare succeeded: finish is due */
} sl_prep_table;

/* Looks up the source and sink implementations (an unknown kind is an
 * SL_EJOB error) without touching the source. */
int sl_prep_table_resolve(sl_prep_table *pt, const sl_job *job, const sl_job_table *cfg, int workers,
                          sl_source_lookup_fn lookup, sl_err *err);
/* Resolve, then source->prepare, then sanity checks of what it returned. */
int sl_prep_table_init(sl_prep_table *pt, const sl_job *job, const sl_job_table *cfg, int workers,
                       sl_source_lookup_fn lookup, sl_err *err);
/* The same for an incremental table: incr's incr_low, incr_high and
 * keys_path are handed to the source's prepare (NULL: none). */
int sl_prep_table_init_incr(sl_prep_table *pt, const sl_job *job, const sl_job_table *cfg, int workers,
                            sl_source_lookup_fn lookup, const sl_source_table *incr, sl_err *err);
void sl_prep_table_release(sl_prep_table *pt);

/* Whether `sluice run` may publish the table at <target>/<table>
 * (sl_publish_check_live): 0, or -1 with err saying what is in the way,
 * prefixed with the job and table. run fails the table; plan and validate warn. */
int sl_prep_check_target(const sl_job *job, const sl_job_table *cfg, sl_err *err);
/* plan and validate: a warning per table that `sluice run` would refuse to
 * publish; warehouse targets (a URL: a connection) only when `remote`
 * (plan, validate --connect). */
void sl_prep_warn_targets(const sl_job *job, bool remote);

/* Sum of the tasks' estimates, or -1 when any is unknown. */
int64_t sl_prep_table_est_rows(const sl_prep_table *pt);
/* Largest task estimate over the median (1.0 for 0 or 1 tasks; -1 unknown). */
double sl_prep_table_est_skew(const sl_prep_table *pt);

/* Puts "job J: table T: " before err's message; sources that already
 * start with "table T: " get only the job. */
void sl_err_prefix_table(sl_err *err, const sl_job *job, const sl_job_table *cfg);

/* Number of online cores (at least 1). */
int sl_cores(void);

#endif
