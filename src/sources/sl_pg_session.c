/*
 * sl_pg_session.c - pooled PostgreSQL sessions sharing exported snapshots,
 * capped at the source's max_connections, and the rows-per-second limit
 * (see sl_pg_session.h for the rules and why they cannot deadlock).
 *
 * One mutex per pool guards its sessions and groups; network round trips
 * (connect, BEGIN, snapshot import/export, ROLLBACK) run outside it, with
 * the slot reserved (nsess) or the session marked busy beforehand.
 */
#include "sl_pg_session.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"
#include "sl_pg_conn.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SL_PG_ACQUIRE_WAIT_S 900      /* a wait this long means something is stuck */

struct sl_pg_group {
    int refs;                 /* tables using it */
    bool started;             /* its snapshot was taken */
    bool starting;            /* a session is taking it now */
    bool lost;                /* started, then every session holding it ended */
    bool no_export;           /* the server would not export it: sessions begin on their own */
    int live;                 /* sessions in it */
    sl_pg_group *alias;       /* joined another group's snapshot before taking its own */
    sl_pg_group *next;
};

struct sl_pg_pool {
    const sl_job_source *src;
    int refs;
    int max;
    int nsess;                /* open or being opened */
    sl_pg_sess *sessions;
    sl_pg_group *groups;
    sl_pg_group *shared;      /* consistent: true */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool cancelled;           /* sl_pg_pools_cancel: acquire fails from now on */
    /* rows_per_second */
    double rate;
    double sched;             /* monotonic time the rows read so far are due */
    sl_pg_pool *next;
};

static pthread_mutex_t sl_pg_pools_mu = PTHREAD_MUTEX_INITIALIZER;
static sl_pg_pool *sl_pg_pools;

static double sl_pg_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

sl_pg_pool *sl_pg_pool_get(const sl_job_source *src)
{
    pthread_mutex_lock(&sl_pg_pools_mu);
    sl_pg_pool *p = sl_pg_pools;
    while (p && p->src != src) p = p->next;
    if (!p) {
        p = sl_calloc(1, sizeof *p);
        p->src = src;
        p->max = src->max_connections > 0 ? src->max_connections : 4;
        p->rate = src->rows_per_second > 0 ? src->rows_per_second : 0;
        pthread_mutex_init(&p->mu, NULL);
        pthread_cond_init(&p->cv, NULL);
        p->next = sl_pg_pools;
        sl_pg_pools = p;
    }
    p->refs++;
    pthread_mutex_unlock(&sl_pg_pools_mu);
    return p;
}

/* Closes a session's connection and its cancel handle, under the pool's
 * lock or once the pool is out of sl_pg_pools_cancel's reach. */
static void sl_pg_sess_disconnect(sl_pg_sess *s)
{
    if (s->cancel) PQfreeCancel(s->cancel);
    s->cancel = NULL;
    if (s->conn) PQfinish(s->conn);
    s->conn = NULL;
}

static void sl_pg_sess_close(sl_pg_sess *s)
{
    sl_pg_sess_disconnect(s);
    sl_free(s->snap_id);
    sl_free(s->cur_snapshot);
    sl_free(s);
}

void sl_pg_pool_put(sl_pg_pool *pool)
{
    if (!pool) return;
    pthread_mutex_lock(&sl_pg_pools_mu);
    if (--pool->refs > 0) {
        pthread_mutex_unlock(&sl_pg_pools_mu);
        return;
    }
    for (sl_pg_pool **pp = &sl_pg_pools; *pp; pp = &(*pp)->next)
        if (*pp == pool) {
            *pp = pool->next;
            break;
        }
    pthread_mutex_unlock(&sl_pg_pools_mu);
    for (sl_pg_sess *s = pool->sessions, *n; s; s = n) {
        n = s->next;
        sl_pg_sess_close(s);   /* ends its read-only transaction */
    }
    for (sl_pg_group *g = pool->groups, *n; g; g = n) {
        n = g->next;
        sl_free(g);
    }
    pthread_mutex_destroy(&pool->mu);
    pthread_cond_destroy(&pool->cv);
    sl_free(pool);
}

static sl_pg_group *sl_pg_group_alloc(sl_pg_pool *pool)
{
    sl_pg_group *g = sl_calloc(1, sizeof *g);
    g->next = pool->groups;
    pool->groups = g;
    return g;
}

static sl_pg_group *sl_pg_root(sl_pg_group *g)
{
    while (g->alias) g = g->alias;
    return g;
}

sl_pg_group *sl_pg_group_new(sl_pg_pool *pool)
{
    pthread_mutex_lock(&pool->mu);
    sl_pg_group *g;
    if (pool->src->consistent) {
        if (!pool->shared) pool->shared = sl_pg_group_alloc(pool);
        g = pool->shared;
    } else {
        g = sl_pg_group_alloc(pool);
    }
    sl_pg_root(g)->refs++;
    pthread_mutex_unlock(&pool->mu);
    return g;
}

void sl_pg_group_put(sl_pg_pool *pool, sl_pg_group *g)
{
    if (!g) return;
    pthread_mutex_lock(&pool->mu);
    sl_pg_root(g)->refs--;
    pthread_cond_broadcast(&pool->cv);   /* its idle sessions may now move to other groups */
    pthread_mutex_unlock(&pool->mu);
}

int sl_pg_pool_open_sessions(sl_pg_pool *pool)
{
    pthread_mutex_lock(&pool->mu);
    int n = pool->nsess;
    pthread_mutex_unlock(&pool->mu);
    return n;
}

/* ---- one session's transaction ---- */

/* BEGIN, import `import_id` when given, export our own id. Returns 0, or -1
 * with err; *import_failed tells an import failure (worth another id). */
static int sl_pg_sess_begin(sl_pg_sess *s, const char *import_id, bool want_export, const char *what,
                            bool *import_failed, sl_err *err)
{
    *import_failed = false;
    sl_free(s->cur_snapshot);
    s->cur_snapshot = NULL;
    if (sl_pg_exec_cmd(s->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", what, err) < 0) return -1;
    if (import_id) {
        char sql[160];
        snprintf(sql, sizeof sql, "SET TRANSACTION SNAPSHOT '%s'", import_id);
        if (sl_pg_exec_cmd(s->conn, sql, what, err) < 0) {
            sl_err_prefix(err, "importing the shared snapshot");
            if (err->code == SL_ESOURCE) err->code = SL_ESNAPSHOT;   /* its exporter ended: take a new one */
            *import_failed = true;
            return -1;
        }
    }
    sl_free(s->snap_id);
    s->snap_id = NULL;
    if (!want_export) return 0;
    sl_err e = SL_ERR_INIT;
    PGresult *res = sl_pg_exec_tuples(s->conn, "SELECT pg_export_snapshot()", what, &e);
    if (res) {
        s->snap_id = sl_strdup(PQgetvalue(res, 0, 0));
        PQclear(res);
        return 0;
    }
    /* Failed: the transaction is aborted; start it again without an export. */
    sl_log(SL_LOG_WARN, "%s: cannot export a snapshot (%s); tasks will not share one", what, e.msg);
    if (sl_pg_exec_cmd(s->conn, "ROLLBACK", what, err) < 0 ||
        sl_pg_exec_cmd(s->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", what, err) < 0)
        return -1;
    if (import_id) {
        char sql[160];
        snprintf(sql, sizeof sql, "SET TRANSACTION SNAPSHOT '%s'", import_id);
        if (sl_pg_exec_cmd(s->conn, sql, what, err) < 0) {
            *import_failed = true;
            return -1;
        }
    }
    return 0;
}

static PGconn *sl_pg_sess_connect(const sl_job_source *src, const char *what, sl_err *err)
{
    PGconn *c = sl_pg_connect(src, what, err);
    if (!c) return NULL;
    /* The snapshot must outlive pauses between tasks, as in pg_dump. */
    sl_pg_exec_ok(c, "SET idle_in_transaction_session_timeout = 0");
    /* Transactions are begun READ ONLY; this covers any statement outside one. */
    sl_pg_exec_ok(c, "SET default_transaction_read_only = on");
    return c;
}

static void sl_pg_unlink(sl_pg_pool *pool, sl_pg_sess *s)
{
    for (sl_pg_sess **pp = &pool->sessions; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
}

/* A session leaves its group (closing or moving); a started group with no
 * session left that tables still use is lost. */
static void sl_pg_leave(sl_pg_group *g)
{
    if (!g) return;
    g->live--;
    if (g->live <= 0 && g->started && !g->no_export && g->refs > 0) g->lost = true;
    if (g->live <= 0 && g->refs <= 0) {
        g->started = false;   /* nobody needs it: a later use may take a new snapshot */
        g->lost = false;
    }
}

static bool sl_pg_movable(const sl_pg_sess *s)
{
    if (s->busy || s->pins) return false;
    const sl_pg_group *g = s->group;
    return !g || g->refs <= 0 || g->live >= 2;
}

/* An exporter of g to import from (not `avoid`), pinned; NULL when none. */
static sl_pg_sess *sl_pg_exporter(sl_pg_pool *pool, sl_pg_group *g, const char *avoid)
{
    for (sl_pg_sess *s = pool->sessions; s; s = s->next)
        if (s->group == g && s->snap_id && (!avoid || strcmp(avoid, s->snap_id))) {
            s->pins++;
            return s;
        }
    return NULL;
}

static int sl_pg_wait(sl_pg_pool *pool, const struct timespec *deadline)
{
    return pthread_cond_timedwait(&pool->cv, &pool->mu, deadline) == ETIMEDOUT ? -1 : 0;
}

static sl_pg_sess *sl_pg_acquire(sl_pg_pool *pool, sl_pg_group *g0, bool wait, const char *what, sl_err *err)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += SL_PG_ACQUIRE_WAIT_S;
    char *avoid = NULL;        /* a snapshot id that just failed to import */
    int import_tries = 0;
    pthread_mutex_lock(&pool->mu);
    for (;;) {
        sl_pg_group *g = sl_pg_root(g0);
        if (pool->cancelled) {
            pthread_mutex_unlock(&pool->mu);
            sl_free(avoid);
            sl_err_set(err, SL_ESOURCE, "%s: cancelled: the run is being interrupted", what);
            return NULL;
        }
        if (g->lost) {
            pthread_mutex_unlock(&pool->mu);
            sl_free(avoid);
            sl_err_set(err, SL_ESNAPSHOT, "%s: the snapshot its tasks share is gone (every session holding it "
                       "ended, e.g. the connection was lost); run the job again", what);
            return NULL;
        }
        if (g->starting) {
            if (sl_pg_wait(pool, &deadline) < 0) goto timeout;
            continue;
        }
        /* 1. An idle session already in the snapshot. */
        sl_pg_sess *s;
        for (s = pool->sessions; s; s = s->next)
            if (!s->busy && s->group == g) break;
        if (s) {
            s->busy = true;
            pthread_mutex_unlock(&pool->mu);
            if (avoid) sl_err_clear(err);   /* an earlier try failed; this one did not */
            sl_free(avoid);
            return s;
        }
        /* 2. A new session, or an idle one that may move, joining or taking the snapshot. */
        sl_pg_sess *move = NULL;
        if (pool->nsess >= pool->max)
            for (move = pool->sessions; move && !sl_pg_movable(move); move = move->next) {}
        if (pool->nsess < pool->max || move) {
            sl_pg_sess *src = NULL;
            char *import_id = NULL;
            bool taking = !g->started;
            if (!taking && !g->no_export) {
                src = sl_pg_exporter(pool, g, avoid);
                if (!src) {
                    if (avoid) {
                        /* The only exporter left is the one that just failed: give its error. */
                        pthread_mutex_unlock(&pool->mu);
                        sl_free(avoid);
                        return NULL;
                    }
                    if (g->live <= 0) g->lost = true;
                    else if (sl_pg_wait(pool, &deadline) < 0) goto timeout;
                    continue;
                }
                import_id = sl_strdup(src->snap_id);
            }
            if (taking) g->starting = true;
            if (move) {
                move->busy = true;
                sl_pg_leave(move->group);
                move->group = NULL;
            } else {
                pool->nsess++;
            }
            pthread_mutex_unlock(&pool->mu);

            s = move;
            int rc = 0;
            bool import_failed = false;
            if (s) {
                rc = sl_pg_exec_cmd(s->conn, "ROLLBACK", what, err);
            } else {
                s = sl_calloc(1, sizeof *s);
                s->busy = true;
                s->conn = sl_pg_sess_connect(pool->src, what, err);
                if (!s->conn) rc = -1;
                else s->cancel = PQgetCancel(s->conn);
            }
            if (rc == 0) rc = sl_pg_sess_begin(s, import_id, true, what, &import_failed, err);

            pthread_mutex_lock(&pool->mu);
            if (src && --src->pins == 0 && src->closed) sl_pg_sess_close(src);
            if (taking) g->starting = false;
            pthread_cond_broadcast(&pool->cv);
            if (rc < 0) {
                if (move) sl_pg_unlink(pool, s);
                pool->nsess--;
                sl_pg_sess_close(s);
                if (import_failed && import_id && ++import_tries < 5) {
                    /* That exporter's transaction ended meanwhile: try another. */
                    sl_free(avoid);
                    avoid = import_id;
                    continue;
                }
                pthread_mutex_unlock(&pool->mu);
                sl_free(import_id);
                sl_free(avoid);
                return NULL;
            }
            sl_free(import_id);
            if (taking) {
                g->started = true;
                g->lost = false;
                if (!s->snap_id) g->no_export = true;
            }
            s->group = g;
            g->live++;
            if (!move) {
                s->next = pool->sessions;
                pool->sessions = s;
            }
            pthread_mutex_unlock(&pool->mu);
            if (avoid) sl_err_clear(err);   /* an earlier try failed; this one did not */
            sl_free(avoid);
            return s;
        }
        /* 3. Not started and the pool is full: share an idle session's snapshot. */
        if (!g->started) {
            for (s = pool->sessions; s; s = s->next)
                if (!s->busy && !s->pins && s->group) break;
            if (s) {
                sl_pg_group *to = s->group;
                to->refs += g->refs;
                g->refs = 0;
                g->alias = to;
                s->busy = true;
                pthread_mutex_unlock(&pool->mu);
                sl_log(SL_LOG_DEBUG, "%s: shares the snapshot of another table (all %d sessions hold one)", what,
                       pool->max);
                if (avoid) sl_err_clear(err);
                sl_free(avoid);
                return s;
            }
        }
        /* 4. Every session is in use: one comes back when its task ends. */
        if (!wait) {
            pthread_mutex_unlock(&pool->mu);
            sl_free(avoid);
            return NULL;
        }
        if (sl_pg_wait(pool, &deadline) < 0) goto timeout;
    }
timeout:
    pthread_mutex_unlock(&pool->mu);
    sl_free(avoid);
    sl_err_set(err, SL_ETRANSIENT, "%s: no session of source %s came free in %d s (max_connections %d)", what,
               pool->src->name, SL_PG_ACQUIRE_WAIT_S, pool->max);
    return NULL;
}

sl_pg_sess *sl_pg_session_acquire(sl_pg_pool *pool, sl_pg_group *g, const char *what, sl_err *err)
{
    return sl_pg_acquire(pool, g, true, what, err);
}

sl_pg_sess *sl_pg_session_try_acquire(sl_pg_pool *pool, sl_pg_group *g, const char *what)
{
    sl_err ignored = SL_ERR_INIT;
    return sl_pg_acquire(pool, g, false, what, &ignored);
}

void sl_pg_session_release(sl_pg_pool *pool, sl_pg_sess *s, bool healthy)
{
    if (!s) return;
    pthread_mutex_lock(&pool->mu);
    if (healthy && s->conn && PQstatus(s->conn) == CONNECTION_OK &&
        PQtransactionStatus(s->conn) == PQTRANS_INTRANS) {
        s->busy = false;
    } else {
        sl_pg_leave(s->group);
        sl_pg_unlink(pool, s);
        pool->nsess--;
        /* Close outside the lock would be nicer; PQfinish on a dead or idle socket is quick.
         * Another thread may be importing this session's snapshot id (pins): it
         * has its own copy of the id but still points at the session, so the
         * memory goes only with the last pin. */
        if (s->pins > 0) {
            sl_pg_sess_disconnect(s);
            s->closed = true;
        } else {
            sl_pg_sess_close(s);
        }
    }
    pthread_cond_broadcast(&pool->cv);
    pthread_mutex_unlock(&pool->mu);
}

void sl_pg_pools_cancel(void)
{
    pthread_mutex_lock(&sl_pg_pools_mu);
    for (sl_pg_pool *p = sl_pg_pools; p; p = p->next) {
        pthread_mutex_lock(&p->mu);
        p->cancelled = true;
        /* Under the lock, so no session closes meanwhile; a cancel request is
         * one short connection to the server, and nothing else waits long on
         * this lock once the pool is cancelled. */
        for (sl_pg_sess *s = p->sessions; s; s = s->next) {
            char buf[256];
            if (s->busy && s->cancel) PQcancel(s->cancel, buf, sizeof buf);
        }
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    pthread_mutex_unlock(&sl_pg_pools_mu);
}

long sl_pg_pool_throttle(sl_pg_pool *pool, long rows)
{
    if (pool->rate <= 0) return 0;
    double wait = 0;
    pthread_mutex_lock(&pool->mu);
    double now = sl_pg_mono();
    if (pool->sched < now) pool->sched = now;   /* no credit saved up while idle */
    pool->sched += (double)rows / pool->rate;
    wait = pool->sched - now;
    pthread_mutex_unlock(&pool->mu);
    if (wait > 0) {
        struct timespec ts = { (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
    }
    /* A quarter second of rows per call keeps the pace smooth at low rates. */
    long cap = (long)(pool->rate / 4);
    return cap < 1 ? 1 : cap;
}
