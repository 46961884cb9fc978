/*
 * sl_exec_int.h - run-time state of a run, shared by the files of src/exec
 * (not for other layers).
 *
 * The job model is read-only; everything that changes while a run goes on
 * lives here: one sl_exec_table per table (its prepared source state, its
 * staging area in the commit protocol, metrics, first error) and one
 * sl_exec_task per task still to run. The run's state store, lock and id
 * are in sl_exec.
 *
 * Life of a task (sl_task.c):
 *   sl_task_run()            the pool's work item: skip if its table failed;
 *                            per attempt: sl_state_attempt_begin,
 *     sl_task_attempt()      ONE attempt: source -> batches -> sink into an
 *                            output of the target's store, committed by the
 *                            store (a directory: fsync, rename);
 *                            then sl_state_attempt_end (file, rows, CRC), and a
 *                            retry with backoff when the error is transient.
 *     sl_exec_task_ended()   counts the task; the last one of a table
 *                            publishes it or leaves it for a resume (sl_exec.c).
 */
#ifndef SL_EXEC_INT_H
#define SL_EXEC_INT_H

#include "../core/sl_receipt.h"
#include "../observe/sl_progress.h"
#include "../state/sl_lock.h"
#include "../store/sl_store.h"
#include "../state/sl_state.h"
#include "sl_exec.h"
#include "sl_prepare.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct sl_exec sl_exec;

/* One target of a table: the sink that encodes for it and the table's
 * staging area in its store. */
typedef struct sl_exec_out {
    const sl_job_target *target;
    const sl_sink_ops *sink;
    sl_stage sg;
    bool staged;                 /* sg is open */
    bool published;              /* the target has this run's table (now, or before a crash) */
    int files_published;         /* outputs in its published table (empty tasks leave none) */
    /* on_bad_rows: quarantine: the `<table>__rejected` output in a lake target
     * (sl_exec_checks.c): the rows the task loop split off, after the table's outputs */
    bool reject;
    char *table_name;            /* reject: "<table>__rejected" */
    char *name;                  /* its files' target in the state store: the target's name, or
                                  * "<target>:rejected"; NULL: target->name */
} sl_exec_out;

/* An incremental table's read during a run (sl_exec_incr.c). */
typedef struct sl_exec_incr {
    sl_source_table in;          /* incr_low, incr_high, keys_path handed to the source's prepare */
    sl_incr_run read;            /* what this run reads (recorded in the state store) */
    bool recorded;               /* read is in the state store (a resumed run's, or recorded after prepare) */
    sl_job_table cfg;            /* the table's settings as the stores see them: write: replace for a first read */
    char *keys_dir;              /* deletes: detect: where the runs' key files are kept (core/sl_keyfile.h) */
    char *keys_path;             /* deletes: detect: the source's keys, written by prepare; NULL on a first read */
    _Atomic int64_t deleted;     /* keys the publish removed (the largest over targets); a mass-delete guard
                                  * reads sl_stage.deleted_keys per target before it is applied */
    int64_t rows;                /* rows read, at publish */
} sl_exec_incr;

typedef struct sl_exec_table {
    sl_exec *run;
    int index;                   /* in job->tables */
    sl_prep_table prep;          /* the first preparation: the task list, schema, names */
    bool prepared;               /* prep holds a prepared table */
    /* A table re-prepared after its source session was lost (sl_exec_table_reprepare):
     * tasks read through `cur`; older preparations stay alive until the run ends,
     * because readers opened on them may still be running. */
    sl_prep_table *cur;
    sl_prep_table **retired;
    int nretired;
    int prep_gen;                /* bumped by each re-preparation */
    _Atomic bool saw_transient;  /* some attempt of this table failed transiently */
    _Atomic uint64_t receipt_ns; /* thread CPU spent computing receipts (for the log and bench/receipts.sh) */
    _Atomic uint64_t reconcile_ns; /* wall time of the source's aggregate queries (verify: source) */
    sl_exec_out *outs;           /* one per target of the table (`to:`), nouts <= SL_JOB_MAX_TARGETS */
    int nouts;
    int64_t *task_ids;           /* state store ids, prep.st.ntasks entries */
    double snapshot_time;        /* when the source was prepared (first time, kept on resume) */
    sl_task_metrics *metrics;    /* prep.st.ntasks entries */
    sl_sink_kv meta[6];
    int nmeta;
    int tasks_kept;              /* done in an earlier session of this run */
    bool kept;                   /* published by an earlier session of this run */
    _Atomic int tasks_ended;
    _Atomic bool failed;
    _Atomic int doomed_by;       /* 1 + the task whose error fails the table for good, set before that task
                                  * closes its session (which may hold the tasks' shared snapshot): the
                                  * others stop instead of retrying what that close broke; 0: none */
    pthread_mutex_t mu;          /* guards err, cur, retired, prep_gen */
    sl_err err;                  /* first failure */
    bool published;
    bool warned;                 /* its failure was logged as a warning already */
    int gstate;                  /* in the node graph (sl_exec_graph.c): SL_NODE_*, guarded by run->graph_mu */
    int64_t rows, bytes;         /* published totals */
    double started, ended;
    struct sl_exec_table *deferred_on; /* its end waits for this table's (sl_exec_checks.c) */
    bool end_done;               /* its end ran to completion (guarded by sl_exec_checks.c's mutex) */
    sl_schema *reject_schema;    /* quarantine: the table's columns, _rule, _reason, _run */
    sl_exec_incr *incr;          /* incremental tables (sl_exec_incr.c); NULL otherwise */
} sl_exec_table;

/* A target of the job during the run: its staging area's lock. Targets
 * naming the same directory share the first one's lock (owner). */
typedef struct sl_exec_target {
    const sl_store_ops *store;
    void *lock;                  /* the store's lock on the job's staging; NULL: not held, its tables fail with err */
    int owner;                   /* index of the target whose lock serves this one */
    char *real;                  /* the store's place (a resolved directory), to find such twins */
    sl_err err;
} sl_exec_target;

typedef struct sl_exec_task sl_exec_task;
struct sl_exec_task {
    sl_exec_table *table;
    int index;                   /* in table->prep.st.tasks */
};

/* A table's place in the node graph during a run (sl_exec_graph.c). */
enum { SL_NODE_WAITING, SL_NODE_RUNNING, SL_NODE_PUBLISHED, SL_NODE_FAILED };

struct sl_exec {
    const sl_job *job;
    struct sl_graph *graph;      /* the job's node graph (transform/sl_graph.h) */
    struct sl_pool *pool;        /* set while tasks run: computed tables queue theirs when their inputs are done */
    pthread_mutex_t graph_mu;    /* guards the tables' gstate and what follows */
    bool graph_started;          /* sl_exec_graph_start has run: nodes may be launched */
    struct sl_exec_task **graph_tasks;   /* the computed tables' queued tasks, freed with the run */
    int ngraph_tasks;
    const sl_run_opts *opts;
    sl_state *state;
    sl_lock *lock;
    sl_exec_target *targets;     /* job->ntargets entries */
    int64_t run_id;
    char run_id_text[32];
    char run_label[32];          /* "run N" in the log: the job's Nth run (sl_state_run_number) */
    sl_run_start start;          /* resumed or new, and why */
    int workers;
    sl_progress_observer *progress;   /* the terminal display, the first observer */
    sl_events events;            /* the progress display, then opts->observers */
    sl_cancel *cancel;           /* opts->cancel, or own_cancel */
    sl_cancel *own_cancel;
    sl_exec_table *tables;
    int ntables;
    double started;
};

/* What an attempt read, for its receipt: the aggregates of its batches
 * (reset by each attempt) and the source snapshot it read (borrowed from
 * the preparation it used, which lives until the run ends). */
typedef struct sl_task_receipt {
    sl_receipt *receipt;
    const char *source;
    char *owned;             /* the reader's own identity (source->identity), when it gave one */
} sl_task_receipt;

/* sl_task.c */
void sl_task_run(void *arg, int worker);
/* One attempt; on success done[k] gets output k's target, size and CRC-32,
 * and rc the attempt's receipt. */
int sl_task_attempt(sl_exec_table *t, int task_index, int worker, sl_task_metrics *m, sl_task_output *done,
                    sl_task_receipt *rc, sl_err *err);
/* "part-00003.parquet": a task's output name in one target, the same for every attempt. */
void sl_task_file_name(const sl_exec_out *o, int task_index, char *out, size_t size);

/* sl_exec.c */
void sl_exec_table_fail(sl_exec_table *t, const sl_err *err);
void sl_exec_task_ended(sl_exec_table *t);
double sl_exec_now(void);
/* The run was cancelled (its handle). */
bool sl_run_cancelled(const sl_exec *run);
/* Sends an event to the run's observers; job, run_id and (for a node) its
 * name are filled in. */
void sl_exec_emit(sl_exec *run, sl_event *ev);
/* Prepares the table again (its source session, holding the snapshot, may
 * have died with a lost connection) when `gen` is still the current
 * preparation; the tasks must come out the same. 0 ok, -1 with err. */
int sl_exec_table_reprepare(sl_exec_table *t, int gen, sl_err *err);
/* Prepares a table through its source, retrying transient failures with
 * backoff per the job's retries. */
int sl_exec_prepare(sl_exec *run, sl_prep_table *pt, const sl_job_table *cfg, const sl_source_table *incr,
                    sl_err *err);

/* sl_exec_incr.c: incremental tables (cfg->incr.cursor). begin before the
 * source is prepared (what to read; settings changed: an error), prepared
 * after (the read recorded before any task commits), published once every
 * target has the table (the watermark moves); cfg: the settings the
 * stores see (write: replace for a first read). */
int sl_exec_incr_begin(sl_exec_table *t, const sl_job_table *cfg, sl_err *e);
int sl_exec_incr_prepared(sl_exec_table *t, sl_err *e);
int sl_exec_incr_published(sl_exec_table *t, sl_err *e);
const sl_job_table *sl_exec_incr_cfg(const sl_exec_table *t, const sl_job_table *cfg);
/* At a run's successful end: the key files of tables no longer in the job
 * with deletes: detect (core/sl_keyfile.h). */
void sl_exec_incr_prune_others(const sl_exec *run);
void sl_exec_incr_free(sl_exec_table *t);
/* This run's key file (deletes: detect) stays for the next run: read in a run that was not resumed. */
bool sl_exec_incr_keys_kept(const sl_exec_table *t);

/* sl_exec.c, for sl_exec_graph.c: a table's setup (0: tasks to queue, 1:
 * nothing to run, -1: failed, recorded) and its end (publish or fail). */
int sl_exec_table_setup(sl_exec_table *t, const sl_job_table *cfg);
void sl_exec_table_end(sl_exec_table *t);
void sl_exec_table_setup_failed(sl_exec_table *t, const sl_err *e, bool prefixed);

/* sl_exec_graph.c: computed tables run when their inputs are done.
 *   build       the graph before the run begins (job errors: unknown names, cycles, syntax);
 *   deferred    whether table i waits for its inputs (is not set up with the others);
 *   start       after the first tasks are queued: every table's state known, ready nodes launched;
 *   done        a table ended (published or failed): the nodes it unblocks are launched or skipped;
 *   finish      after the pool is idle: nodes never launched get their reason; free. */
int sl_exec_graph_build(sl_exec *run, sl_err *err);
bool sl_exec_graph_deferred(const sl_exec *run, int i);
void sl_exec_graph_start(sl_exec *run, const int *setup);
void sl_exec_graph_done(sl_exec_table *t);
void sl_exec_graph_finish(sl_exec *run);
void sl_exec_graph_free(sl_exec *run);
/* sl_exec_checks.c: the table's data checks on its staged output, before
 * any target publishes it; -1 with SL_ECHECKS when it must not be published. */
int sl_exec_table_check(sl_exec_table *t, sl_err *err);

/* sl_exec_guard.c: the mass-delete guard for a deleting publish of the run
 * (incremental `deletes: detect`): `deletes` of the target's `live_rows`
 * against the table's max_delete_ratio and the run's --allow-mass-delete.
 * 0 go ahead; -1 with err (SL_EGUARD): do not publish the table. */
int sl_exec_guard_deletes(const sl_exec_table *t, const char *target, int64_t live_rows, int64_t deletes,
                          sl_err *err);
/* A table whose references: rules name a table of the run that has not
 * ended yet waits for it: true when t's end is deferred. */
bool sl_exec_checks_defer(sl_exec_table *t);
/* t has ended; returns a table that waited for it (call its end again), or NULL. */
sl_exec_table *sl_exec_checks_ended(sl_exec_table *t);

/* The name of output x's files in the state store. */
static inline const char *sl_exec_out_name(const sl_exec_out *x) { return x->name ? x->name : x->target->name; }
/* sl_exec_checks.c: the outputs of a table: one per target, then with
 * on_bad_rows: quarantine one `<table>__rejected` per lake target; freed by
 * sl_exec_checks_outs_free. */
sl_exec_out *sl_exec_checks_outs(const sl_job_table *cfg, int *nouts);
void sl_exec_checks_outs_free(sl_exec_table *t);
/* The quarantine's columns, made once the table's columns are known. */
void sl_exec_checks_ready(sl_exec_table *t);
/* The task loop's row-level checks on one batch (NULL ev: none). Splits the
 * bad rows off b into rej (NULL: drop them) when the table says so; returns
 * the rows split off. */
struct sl_check_row;
size_t sl_exec_checks_batch(sl_exec_table *t, struct sl_check_row *ev, sl_batch *b, sl_batch *rej);
/* After a successful attempt: its checks' counts into the state store (before the task is recorded done). */
int sl_exec_checks_task_done(sl_exec_table *t, int task_index, const struct sl_check_row *ev, sl_err *err);

/* sl_interrupt.c: the watcher that cancels the sources' work in flight once
 * the run is interrupted (start returns NULL when no thread could be made;
 * stop accepts NULL), and the backoff wait an interrupt cuts short. */
typedef struct sl_interrupt sl_interrupt;
sl_interrupt *sl_interrupt_start(const sl_job *job, sl_source_lookup_fn lookup, const sl_cancel *cancel);
void sl_interrupt_stop(sl_interrupt *w);
void sl_exec_sleep(const sl_exec *run, double seconds);

#endif
