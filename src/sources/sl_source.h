/*
 * sl_source.h - the interface every source implements (one file each:
 * sl_source_postgres.c, sl_source_sqlite.c, sl_source_csv.c,
 * sl_source_parquet.c).
 *
 * The engine drives a source per table in three steps:
 *   prepare(tab)       discover the schema, cut the table into tasks, and
 *                      keep per-table shared state (a snapshot connection);
 *   open/next/close    one reader per task, on its own connection/handle,
 *                      filling columnar batches (next returns the number of
 *                      rows, 0 at the end, -1 on error);
 *   finish(tab)        release the shared state.
 * and, optionally, after next returned 0 and before close:
 *   reported_rows(r)   the rows the source itself says the task's read
 *                      produced (PostgreSQL: the server's `COPY n`), which
 *                      the engine checks against the rows decoded and the
 *                      rows every target wrote; -1 (or no function): the
 *                      source has no count of its own.
 * open/next/close run on worker threads, several at once for one table;
 * prepare and finish run on the coordinating thread.
 *
 * cancel() (optional) is how a run is interrupted (Ctrl-C): it stops what
 * every prepared table of the kind is waiting for now - a query blocked on
 * a lock, a COPY - so the call waiting on it returns an error soon, and
 * makes later waits for a session fail at once, until those tables are
 * finished. Any thread may call it, more than once (each call cancels what
 * runs at that moment); never from a signal handler.
 *
 * Errors: permanent failures (syntax, permission, missing table, bad type)
 * use SL_ESOURCE/SL_ETYPE/SL_EDATA; SL_ETRANSIENT marks what is worth a
 * retry (connection lost, server restarting, serialization failure).
 */
#ifndef SL_SOURCE_H
#define SL_SOURCE_H

#include "../core/sl_error.h"
#include "../core/sl_types.h"
#include "../job/sl_job.h"

typedef struct sl_task {
    int index;               /* 0-based within its table */
    char *predicate;         /* SQL condition for this task; NULL: all rows */
    int64_t est_rows;        /* estimate, -1 when unknown */
} sl_task;

typedef struct sl_source_table {
    const sl_job *job;
    const sl_job_table *cfg;
    int workers;             /* engine's worker count, for task count "auto" */
    sl_schema *schema;       /* set by prepare */
    sl_task *tasks;          /* set by prepare (sl_malloc'd; predicates too) */
    int ntasks;
    char *strategy_note;     /* why this partitioning (for `plan`); may be NULL */
    char *snapshot;          /* set by prepare when the source can say which state of its data
                              * the tasks read: a JSON object ({"kind": "postgres",
                              * "exported_snapshot": ..., "pg_current_snapshot": ...}),
                              * recorded in the receipts; NULL: unknown */
    void *shared;            /* source's per-table state */
    /* Incremental loads (cfg->incr.cursor; postgres): set by the engine before prepare. */
    const char *incr_low;    /* the published high watermark to read after; NULL: read everything */
    const char *incr_high;   /* a resumed run: the upper bound its first session took; NULL: take it now */
    const char *keys_path;   /* deletes: detect: prepare writes the source's keys here (sorted key file or CSV, sl_pg_incr.h), same snapshot */
    /* set by prepare */
    char *incr_new_high;     /* the bound read up to: max(cursor) in the snapshot (text); NULL: no rows */
    int64_t keys_rows;       /* deletes: detect: keys written to keys_path */
} sl_source_table;

typedef struct sl_source_ops {
    const char *kind;
    int (*prepare)(sl_source_table *tab, sl_err *err);
    void *(*open)(sl_source_table *tab, const sl_task *task, sl_err *err);
    long (*next)(void *reader, sl_batch *batch, sl_err *err);
    void (*close)(void *reader);
    void (*finish)(sl_source_table *tab);
    void (*cancel)(void);
    int64_t (*reported_rows)(void *reader);   /* may be NULL */
    /* `verify: source`: the source's own aggregates over the task's rows, in
     * the same snapshot, as receipt JSON (core/sl_receipt.h: rows, and per
     * column non_null and, where the source can say them in sluice's text
     * forms, min, max, sum); sl_free it. After next returned 0, before
     * close. NULL with err on failure. May be NULL (no reconciliation). */
    char *(*aggregates)(void *reader, sl_err *err);
    /* `sluice verify --source`: the same over the whole table as the source
     * holds it now (in the prepared table's snapshot). May be NULL. */
    char *(*table_aggregates)(sl_source_table *tab, sl_err *err);
    /* What this reader read, as a snapshot identity for its task's receipt
     * (files: {"kind", "files": [{"path", "size", "mtime", "crc32"...}]}),
     * replacing the table's snapshot; after next returned 0; sl_free it.
     * May be NULL, and may return NULL (unknown: the table's is kept). */
    char *(*identity)(void *reader);
} sl_source_ops;

/* The source implementation for a kind ("postgres"), or NULL. */
const sl_source_ops *sl_source_lookup(const char *kind);
/* A snapshot identity for sources read from files (sl_source_table.snapshot):
 * {"kind": kind, "files": [{"path", "size", "mtime"}...]} plus `extra`
 * members (JSON text, or NULL). A file that cannot be stat'ed is left out. */
char *sl_source_files_identity(const char *kind, char *const *paths, int n, const char *extra);
/* One file's entry of such an identity, from an open descriptor (the file
 * as read, not as renamed since; fd < 0: by path), with `extra` members (may be NULL):
 * {"path": .., "size": .., "mtime": "..Z", extra}; into b. -1 when fstat fails. */
struct sl_buf;
int sl_source_file_entry(struct sl_buf *b, const char *path, int fd, const char *extra);
/* Frees schema, tasks and note of a prepared table (after ops->finish). */
void sl_source_table_clear(sl_source_table *tab);

extern const sl_source_ops sl_source_postgres;
extern const sl_source_ops sl_source_sqlite;
extern const sl_source_ops sl_source_csv;
extern const sl_source_ops sl_source_parquet;

#endif
