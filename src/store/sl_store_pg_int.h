/*
 * sl_store_pg_int.h - what the PostgreSQL warehouse store's two files share
 * (not for the rest of sluice): sl_store_postgres.c (sessions, staging,
 * loads, publish, bookkeeping) and sl_store_pg_merge.c (the publish of
 * append and merge: new columns, INSERT ... ON CONFLICT, delete_missing, the
 * incremental delete step and the guards, statistics after a merge).
 */
#ifndef SL_STORE_PG_INT_H
#define SL_STORE_PG_INT_H

#include "../core/sl_buf.h"
#include "sl_store.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct sl_pgt_pool sl_pgt_pool;

/* ---- one table's staging area (sg->impl) ---- */

typedef struct sl_pgt {
    sl_pgt_pool *pool;
    char who[160];             /* "target dw" */
    char run[24];              /* run id as a parameter */
    char started[32];          /* run start as a parameter */
    char *live_name;           /* orders */
    char *live;                /* "analytics"."orders" */
    char *display;             /* analytics.orders, for messages */
    char *stage_name;          /* _sl_12_1a2b3c4d_orders */
    char *stage;               /* "analytics"."_sl_12_1a2b3c4d_orders" */
    char *old_name;            /* _sl_old_12_1a2b3c4d_orders: the replaced table, for a moment */
    /* resume: rows per loading transaction of the staging table, read once */
    bool have_xids;
    int nxids;
    int64_t *xids, *xid_rows;
} sl_pgt;

/* Every bookkeeping row is keyed by job, run, schema and table: params[0..3]. */
#define SL_PGT_KEY "job = $1 AND run_id = $2::bigint AND schema_name = $3 AND tbl = $4"

typedef struct sl_pgt_cols {
    bool exists;
    int n;
    char **names, **types;     /* types as format_type prints them */
} sl_pgt_cols;

/* What differs between the mapped columns and the live table's:
 * new columns (their indexes in `want`), changed types, vanished columns. */
typedef struct sl_pgt_diff {
    int nadded, nchanged, nremoved;
    int *added;
    sl_buf text;               /* "column x is new (text); ..." */
} sl_pgt_diff;

static inline sl_pgt *sl_pgt_of(sl_stage *sg) { return sg->impl; }

/* ---- helpers of sl_store_postgres.c ---- */

int sl_pgt_cmd(PGconn *c, const char *sql, const char *what, sl_err *err);
PGresult *sl_pgt_query(PGconn *c, const char *sql, int n, const char *const *params, const char *what,
                       sl_err *err);
int sl_pgt_exists(PGconn *c, const char *qualified, const char *what, sl_err *err);
int sl_pgt_has_unique_key(PGconn *c, const sl_stage *sg, sl_err *err);
void sl_pgt_col_list(sl_buf *b, char *const *names, int n, const char *prefix);
char *sl_pgt_key_text(const sl_job_table *cfg);
int sl_pgt_add_key(PGconn *c, const sl_stage *sg, sl_err *err);
void sl_pgt_key_params(const sl_stage *sg, const char **p);
int sl_pgt_cmd_params(PGconn *c, const char *sql, int n, const char *const *params, const char *what,
                      sl_err *err);

/* ---- sl_store_pg_merge.c ---- */

/* append and merge: new columns first (add_columns), then the rows; *deleted
 * (delete_missing) and *written: the rows the statements report. */
int sl_pgt_merge(PGconn *c, const sl_stage *sg, const sl_pgt_cols *want, const sl_pgt_diff *d, int64_t *deleted,
                 int64_t *written, sl_err *err);
/* max_shrink for a replace: the live table's rows against the new ones. */
int sl_pgt_guard_shrink(PGconn *c, const sl_stage *sg, int64_t new_rows, sl_err *err);
/* ANALYZE after a merge when `changed` rows exceed autovacuum's threshold. */
void sl_pgt_analyze_if_needed(PGconn *c, const sl_stage *sg, int64_t changed);

#endif
