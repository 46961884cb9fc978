/*
 * sl_pg_partition.h - cutting a PostgreSQL table (or query) into tasks.
 *
 * Called by the postgres source's prepare step on the coordinating
 * connection, inside the exported snapshot, so the bounds it reads are those
 * every task will see. It fills tab->tasks (predicates in PostgreSQL's
 * dialect over the FROM item), tab->ntasks and tab->strategy_note.
 *
 * Strategies implemented so far:
 *   none, or no partition column   one task, no predicate;
 *   range (and auto with a column) integer key (int2/int4/int8): min/max,
 *                                  N equal ranges, the first and last open
 *                                  ended, plus `col IS NULL` when the column
 *                                  is nullable. count 0 (auto) = workers * 2,
 *                                  at most the number of distinct key values.
 * histogram, mod and pages are not implemented yet: they fall back to range
 * with a warning and say so in the note.
 */
#ifndef SL_PG_PARTITION_H
#define SL_PG_PARTITION_H

#include "../core/sl_error.h"
#include "../core/sl_types.h"
#include "../job/sl_job.h"
#include "sl_source.h"

#include <libpq-fe.h>

typedef struct sl_pg_part_in {
    PGconn *conn;                 /* coordinating session, inside the snapshot */
    const char *from;             /* FROM item: "public"."orders" or (query) AS sl_q */
    const char *what;             /* "table public.orders", for messages */
    const sl_schema *schema;      /* the relation's own columns and types (before overrides) */
    double est_rows;              /* pg_class.reltuples, or -1 when unknown */
    const sl_job_partition *cfg;
    int workers;                  /* engine's worker count (>= 1) */
    int max_connections;          /* source cap (>= 1) */
} sl_pg_part_in;

int sl_pg_partition_plan(const sl_pg_part_in *in, sl_source_table *tab, sl_err *err);

#endif
