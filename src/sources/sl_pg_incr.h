/*
 * sl_pg_incr.h - incremental reads of PostgreSQL tables (sl_pg_incr.c):
 * the cursor window taken in the table's snapshot, and the key list of
 * `deletes: detect`. Used by sl_source_postgres.c's prepare only.
 */
#ifndef SL_PG_INCR_H
#define SL_PG_INCR_H

#include "../core/sl_error.h"
#include "../job/sl_job.h"
#include "sl_pg_session.h"
#include "sl_source.h"

#include <libpq-fe.h>
#include <stdbool.h>

typedef struct sl_pg_incr_plan {
    char *type;     /* the cursor's type (format_type) */
    bool is_int;
    char *high;     /* the bound read up to (text); NULL: no row has a cursor */
    char *window;   /* "(cursor > ... AND cursor <= ...)" */
    bool later;     /* a watermark exists: read through `from` */
    char *from;     /* later runs: (SELECT * FROM <rel> WHERE <window>) AS sl_i */
} sl_pg_incr_plan;

/* Checks the cursor (exists, orderable type, no NULLs unless nulls: include,
 * no lookback on an integer) and takes the window, on conn inside the
 * table's snapshot. 0, or -1 with err naming the column and the remedy. */
int sl_pg_incr_window(PGconn *conn, const char *from, const char *what, const sl_job_table *cfg,
                      sl_source_table *tab, sl_pg_incr_plan *out, sl_err *err);
void sl_pg_incr_plan_free(sl_pg_incr_plan *p);
/* First runs: every task's predicate becomes window AND (predicate). */
int sl_pg_incr_and(sl_source_table *tab, const char *window);
/* A later read's rows as the planner estimates them (EXPLAIN of the window
 * over `from`: no rows are read) into *rows, -1 when it does not say; -1
 * with err when the EXPLAIN fails (the read itself would). */
int sl_pg_incr_estimate(PGconn *conn, const char *from, const char *what, double *rows, sl_err *err);
/* deletes: detect: the key columns of every row of `from` (the whole table,
 * in conn's snapshot) into path (written to path.tmp, fsynced, renamed);
 * *rows counts them. Keys whose columns are all smallint/integer/bigint: a
 * sorted key file (core/sl_keyfile.h, in key order); other keys: CSV. The
 * stores tell them apart with sl_keyfile_probe. An integer key of a table
 * (relid, 0 for a query) is read in ranges on extra sessions of pool's
 * group when they are free. */
int sl_pg_incr_keys(PGconn *conn, sl_pg_pool *pool, sl_pg_group *group, unsigned relid, const char *from,
                    const char *what, const sl_job_table *cfg, const char *path, int64_t *rows, sl_err *err);

#endif
