/*
 * sl_pg_session.h - the postgres source's sessions: one pool per source of
 * a job, never more than the source's max_connections sessions on the
 * server at once (planning sessions and snapshot holders included), every
 * session inside a REPEATABLE READ READ ONLY transaction whose snapshot is
 * shared the way parallel pg_dump shares one: pg_export_snapshot() in one
 * session, SET TRANSACTION SNAPSHOT in the others.
 *
 *   sl_pg_pool *p = sl_pg_pool_get(src);              // refcounted per source
 *   sl_pg_group *g = sl_pg_group_new(p);              // a table's snapshot group
 *   sl_pg_sess *s = sl_pg_session_acquire(p, g, what, err);
 *   ... queries on s->conn (inside the group's snapshot) ...
 *   sl_pg_session_release(p, s, healthy);             // idle in the pool, or closed
 *   sl_pg_group_put(p, g); sl_pg_pool_put(p);
 *
 * Snapshot groups: with `consistent: true` every table of the source is in
 * the source's one group (one snapshot for the whole job); otherwise each
 * table gets its own group, whose snapshot is taken when its first session
 * (the planning one) starts. A session stays in its group's transaction
 * between tasks, idle, so the snapshot stays importable without a separate
 * coordinating session: sessions are reused by later tasks of the same
 * group, and every session exports the snapshot again, so any live session
 * of a group can seed new ones.
 *
 * When the pool is full, a session moves to another group only if its own
 * group keeps another session or no table uses it any more; a group that
 * has not taken its snapshot yet joins the snapshot of an idle session
 * instead of waiting (tables may then share a snapshot, which is still one
 * consistent picture). So an acquire waits only for sessions in use, which
 * the engine's cap of max_connections running tasks per source guarantees
 * will come back: no deadlock. A group whose every session ended (connection
 * lost) cannot be recovered: acquiring for it fails, asking for a new run.
 *
 * Sessions run with idle_in_transaction_session_timeout = 0 (as pg_dump
 * does), the source's statement_timeout and application_name=sluice.
 *
 * Interrupting a run: sl_pg_pools_cancel() (the source's cancel op).
 *
 * rows_per_second: sl_pg_pool_throttle() sleeps so that all tasks of the
 * source together read at most that many rows a second.
 */
#ifndef SL_PG_SESSION_H
#define SL_PG_SESSION_H

#include "../core/sl_error.h"
#include "../job/sl_job.h"

#include <libpq-fe.h>
#include <stdbool.h>

typedef struct sl_pg_pool sl_pg_pool;
typedef struct sl_pg_group sl_pg_group;

typedef struct sl_pg_sess {
    PGconn *conn;
    PGcancel *cancel;         /* for sl_pg_pools_cancel, from another thread */
    /* the pool's bookkeeping */
    sl_pg_group *group;
    char *snap_id;            /* the id this session exported; NULL if it could not */
    bool busy;
    int pins;                 /* imports in flight from snap_id */
    bool closed;              /* released while pinned: the last unpin frees it */
    char *cur_snapshot;       /* pg_current_snapshot() of its transaction, once asked (cleared at BEGIN) */
    struct sl_pg_sess *next;
} sl_pg_sess;

sl_pg_pool *sl_pg_pool_get(const sl_job_source *src);
/* The last put closes every session and frees the pool. */
void sl_pg_pool_put(sl_pg_pool *pool);

/* A group for one table: the source's shared group when `consistent`,
 * else a new one. Counts one table using it. */
sl_pg_group *sl_pg_group_new(sl_pg_pool *pool);
void sl_pg_group_put(sl_pg_pool *pool, sl_pg_group *g);

/* A session inside g's snapshot (taking the snapshot if g has none yet).
 * Blocks while every session of the pool is in use. NULL with err set. */
sl_pg_sess *sl_pg_session_acquire(sl_pg_pool *pool, sl_pg_group *g, const char *what, sl_err *err);
/* The same without waiting: NULL when every session the pool may open is
 * in use (or a new one could not be opened). For extra sessions a reader
 * can do without. */
sl_pg_sess *sl_pg_session_try_acquire(sl_pg_pool *pool, sl_pg_group *g, const char *what);
/* Back to the pool when healthy (its transaction intact), else closed. */
void sl_pg_session_release(sl_pg_pool *pool, sl_pg_sess *s, bool healthy);

/* Interrupts every pool of the process: sends a cancel request for the
 * statement running on each session in use, and makes every acquire fail
 * ("cancelled") until the pool is freed. Any thread; may be repeated. */
void sl_pg_pools_cancel(void);

/* Sessions open now (for tests). */
int sl_pg_pool_open_sessions(sl_pg_pool *pool);

/* rows_per_second: sleep as needed after `rows` rows were read. Returns the
 * most rows a reader should read before calling again (0: no limit). */
long sl_pg_pool_throttle(sl_pg_pool *pool, long rows);

#endif
