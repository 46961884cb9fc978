/*
 * sl_pg_partition.h - cutting a PostgreSQL table (or query) into tasks.
 *
 * Called by the postgres source's prepare step on a session inside the
 * snapshot the tasks will read, so the bounds it reads are those every task
 * will see. It fills tab->tasks (predicates in PostgreSQL's dialect over the
 * FROM item, est_rows for every task), tab->ntasks and tab->strategy_note.
 * The note starts with the strategy used ("histogram on id: ...",
 * "pages: ...", "none: ...") and says why; `sluice plan` shows it.
 *
 * Strategies (partition: {strategy, column, count}):
 *   none       one task, no predicate.
 *   range      integer, date or timestamp key: min/max, N equal-width
 *              ranges; first and last open-ended.
 *   histogram  any sortable key (integers, text, uuid, dates, timestamps,
 *              numerics): equal-depth boundaries from pg_stats
 *              (histogram_bounds and most_common_vals/freqs), or from a
 *              TABLESAMPLE SYSTEM sample (percentile_disc over the sample)
 *              when the statistics are missing or stale (never analyzed,
 *              n_mod_since_analyze above 20% of the rows); integer keys are
 *              interpolated inside buckets. Read-only: never ANALYZE.
 *              TABLESAMPLE takes tables, materialized views and partitioned
 *              tables (sampled over their leaves' blocks); a view or foreign
 *              table is planned like a query: the quantiles of every row,
 *              read once, and only when the strategy needs them.
 *   mod        integer key: abs(key % N) = i. A b-tree index cannot answer
 *              it: every task reads the whole table (the note says so).
 *   pages      ctid block ranges over pg_relation_size / block_size:
 *              `ctid >= '(a,0)'::tid AND ctid < '(b,0)'::tid` (a TID Range
 *              Scan on PostgreSQL 14+); for tables with no usable key.
 *   auto       the default: the key is the column given, else the primary
 *              key, else a unique, else any b-tree index's leading column
 *              (integers preferred); no key -> pages; tiny table -> one
 *              task; an integer/date/timestamp key whose distribution
 *              (pg_stats or sample) makes equal-width ranges uneven
 *              (estimated largest/mean > 1.25) -> histogram, else range;
 *              other keys -> histogram.
 * Range predicates are `key >= b_i AND key < b_j` with literals cast to the
 * key's type, so a b-tree index on the key answers them; a nullable key
 * gets one more task, `key IS NULL`.
 *
 * Task count 0 (auto): 4 per worker (workers capped by max_connections),
 * at most one per 25,000 estimated rows (so a tiny table is one task), at
 * most 256. A later incremental read (its size estimated by the planner):
 * one task per worker, more only for a large increment (one per 250,000
 * rows, up to 4 per worker): its tasks' files are the lake table's new
 * files, and a day's few hundred thousand changed rows in 8 files of 12,000
 * rows each would fill the table with small files run after run. Each task's est_rows comes from the distribution (pg_stats or
 * sample fractions x the row estimate), so the engine can hand out the
 * largest first and `plan` can show the skew.
 */
#ifndef SL_PG_PARTITION_H
#define SL_PG_PARTITION_H

#include "../core/sl_error.h"
#include "../core/sl_types.h"
#include "../job/sl_job.h"
#include "sl_source.h"

#include <libpq-fe.h>

#define SL_PGPART_TASKS_PER_WORKER 4
#define SL_PGPART_MIN_TASK_ROWS 25000
#define SL_PGPART_INCR_TASK_ROWS 250000
#define SL_PGPART_MAX_TASKS 256

typedef struct sl_pg_part_in {
    PGconn *conn;                 /* session inside the snapshot */
    const char *from;             /* FROM item: "public"."orders" or (query) AS sl_q */
    const char *what;             /* "table public.orders", for messages */
    const sl_schema *schema;      /* the relation's own columns and types (before overrides) */
    double est_rows;              /* pg_class.reltuples, or -1 when unknown */
    const sl_job_partition *cfg;
    int workers;                  /* engine's worker count (>= 1) */
    int max_connections;          /* source cap (>= 1) */
    unsigned relid;               /* pg_class oid of a `table:`; 0 for a query */
    bool increment;               /* a later incremental read (auto: fewer tasks, sl_pg_partition_auto_count) */
    /* The relation's facts (SL_PG_REL_FACTS_COLS of pg_class c JOIN
     * pg_namespace n) already fetched in row 0 from column facts_col of
     * facts (the source's resolve query asks them with the oid: one round
     * trip less a table); NULL: queried here. */
    const PGresult *facts;
    int facts_col;
} sl_pg_part_in;

/* 12 columns: nspname, relname, reltuples, relpages, relkind, pages now,
 * changes since analyze, analyzed, server version, and for a partitioned
 * table its leaves' pages, estimate and changes. */
extern const char *const sl_pg_rel_facts_cols;

int sl_pg_partition_plan(const sl_pg_part_in *in, sl_source_table *tab, sl_err *err);

/* The task count `auto` gives for this many estimated rows (-1: unknown);
 * `increment`: a later incremental read. */
int sl_pg_partition_auto_count(double est_rows, int workers, int max_connections, bool increment);

#endif
