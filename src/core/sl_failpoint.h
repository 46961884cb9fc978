/*
 * sl_failpoint.h - failpoints compiled into the binary, for fault injection.
 *
 * A failpoint is a named spot in the code (`sl_failpoint(SL_FP_TASK_COMMIT,
 * err)`) that does nothing unless the environment variable SLUICE_FAILPOINT
 * arms it. The variable holds one or more comma-separated entries
 *
 *     NAME:ACTION[@N | @N+]
 *
 *   ACTION  crash      die at once with SIGKILL, no cleanup (like kill -9)
 *           error      return -1 with an SL_EIO error
 *           transient  return -1 with an SL_ETRANSIENT error (worth a retry)
 *           nospace    return -1 with an SL_ENOSPACE error
 *           sleep:MS   sleep MS milliseconds, then carry on
 *           on         return 1 without an error: the caller then does the
 *                      fault its failpoint names (sink-drop-row: the sink
 *                      leaves a row of the batch out)
 *   @N      fire only at the Nth hit of that failpoint (counted from 1,
 *           over all threads); @N+ fires at the Nth hit and every later one;
 *           without it, every hit fires.
 *
 *   SLUICE_FAILPOINT=task-commit:crash
 *   SLUICE_FAILPOINT=publish:after-exchange:crash
 *   SLUICE_FAILPOINT=task-write:transient@3,publish:before-exchange:sleep:500
 *
 * Names may themselves contain ':' (publish:after-exchange); the action is
 * recognised at the end of the entry. An entry naming a failpoint that is
 * not in the list below, or with an action that cannot be parsed, is ignored
 * with a warning (a typo must not silently arm something else).
 *
 * The variable is read once, on the first hit (thread-safe). When nothing is
 * armed a hit costs one atomic load. Hits are per task, file or batch, never
 * per row.
 *
 * sl_failpoint() returns 0 normally, -1 with err set when an error action
 * fires, 1 when an `on` action fires; a crash action does not return.
 */
#ifndef SL_FAILPOINT_H
#define SL_FAILPOINT_H

#include "sl_error.h"

#include <stdint.h>

/* The commit protocol, in order. Who calls each:
 *   exec (task loop)        task-start, task-write (per batch written), run-finish
 *   state/sl_publish.c      task-file-synced, task-commit, publish:*
 *   store/sl_store_postgres.c the same steps of a warehouse load: task-file-synced
 *                           (all rows sent, COPY not ended), task-commit (the task's
 *                           transaction committed), publish:before-manifest (checks
 *                           done), publish:before-exchange (publishing transaction
 *                           done, not committed), publish:after-exchange and
 *                           publish:before-cleanup (committed)                  */
#define SL_FP_TASK_START              "task-start"              /* task about to open source and sink */
#define SL_FP_TASK_WRITE              "task-write"              /* a batch about to be written */
#define SL_FP_TASK_FILE_SYNCED        "task-file-synced"        /* temp file fsynced, not yet renamed */
#define SL_FP_TASK_COMMIT             "task-commit"             /* file renamed + dir fsynced; state not yet told */
#define SL_FP_PUBLISH_BEFORE_MANIFEST "publish:before-manifest" /* all files staged, no manifest yet */
#define SL_FP_PUBLISH_BEFORE_EXCHANGE "publish:before-exchange" /* manifest durable, live untouched */
#define SL_FP_PUBLISH_AFTER_EXCHANGE  "publish:after-exchange"  /* new version live, parent not yet fsynced */
#define SL_FP_PUBLISH_BEFORE_CLEANUP  "publish:before-cleanup"  /* durable; old version not yet removed */
#define SL_FP_RUN_FINISH              "run-finish"              /* all tables published; run not yet marked */
/* exec/sl_exec_checks.c: a table's data checks judged and recorded, nothing published yet */
#define SL_FP_CHECKS_DONE             "checks:done"
/* Faults that are not crashes, for the checks that must catch them (with `on`):
 *   sinks (sl_sink_parquet.c, sl_sink_csv.c)   sink-drop-row (per batch written)
 *   exec (task loop)                           batch-change-value (per batch read) */
#define SL_FP_SINK_DROP_ROW           "sink-drop-row"           /* the sink writes a batch without its last row */
#define SL_FP_BATCH_CHANGE_VALUE      "batch-change-value"      /* a value read is changed (as a decoder bug would) */

/* Outside the commit protocol: error paths of a source.
 *   sources/sl_source_postgres.c  pg:prepare-end                              */
#define SL_FP_PG_PREPARE_END          "pg:prepare-end"          /* tasks planned; savepoint not yet released */

/* The object store (store/sl_store_s3.c): a multipart upload's steps.    */
#define SL_FP_S3_PART_UPLOADED        "s3:part-uploaded"        /* a part is in, more to come */
#define SL_FP_S3_BEFORE_COMPLETE      "s3:before-complete"      /* every part in, upload not completed */

/* Returns 0, -1 with err set when an error action fires, 1 when an `on` action fires. */
int sl_failpoint(const char *name, sl_err *err);

/* Replaces the armed set with `spec` (same syntax as SLUICE_FAILPOINT; NULL
 * or "" disarms everything) and resets hit counts. For tests and for a
 * command-line override; not to be called while other threads hit failpoints.
 * Returns the number of entries armed. */
int sl_failpoint_arm(const char *spec);

/* Hits of `name` since it was armed (0 when not armed). */
uint64_t sl_failpoint_hits(const char *name);

/* The known failpoint names, NULL-terminated. */
const char *const *sl_failpoint_names(void);

#endif
