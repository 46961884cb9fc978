/*
 * sl_job.h - the job model: what a job file says, validated.
 *
 * sl_job_load() reads a YAML job file (libyaml), interpolates ${ENV_VAR},
 * checks every key (unknown keys are errors, with a "did you mean"), resolves
 * the names tables refer to (`from:` -> source, `to:` -> target) and relative
 * paths (against the job file's directory). Errors carry file:line:column.
 *
 * All strings live in the job's arena: sl_job_free() releases everything.
 * The model is read-only once loaded; run-time state lives elsewhere.
 */
#ifndef SL_JOB_H
#define SL_JOB_H

#include "../core/sl_alloc.h"
#include "../core/sl_error.h"
#include "../core/sl_types.h"
#include "sl_job_checks.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct sl_job_source {
    char *name;
    char *kind;              /* postgres | sqlite | csv | parquet */
    char *url;               /* postgres: URL or conninfo; sqlite: file path */
    char *path;              /* csv: directory (or file) of the input files; parquet: lake directory */
    int max_connections;     /* at most this many sessions at once; default 4 */
    bool consistent;         /* postgres: one snapshot for the whole job */
    double rows_per_second;  /* 0: no limit */
    int statement_timeout_s; /* postgres: 0 = server default */
    /* csv */
    char delimiter;          /* default ',' */
    bool header;             /* default true */
    char *null_string;       /* text that means NULL; default "" (empty, unquoted) */
    char *compression;       /* auto | none | gzip | zstd; default auto (by extension) */
    /* parquet at an s3:// path */
    char *region;            /* NULL: the credentials' region, else us-east-1 */
    char *endpoint;          /* an S3-compatible server's URL; NULL or "": AWS */
    int line, column;        /* where it is defined in the job file */
} sl_job_source;

/* Staging tables of a warehouse target (`staging:`): auto is LOGGED for
 * write: replace (the staging table becomes the live one) and UNLOGGED for
 * append and merge (read once, then dropped). */
typedef enum { SL_STAGING_AUTO, SL_STAGING_UNLOGGED, SL_STAGING_LOGGED } sl_staging_mode;

typedef struct sl_job_target {
    char *name;
    char *kind;              /* parquet | csv | duckdb | postgres */
    char *path;              /* parquet, csv: lake directory; tables land in <path>/<table>/; duckdb: the
                              * database file; NULL for postgres */
    /* postgres (a warehouse): tables land in <schema>.<table> of the database at url */
    char *url;               /* URL or conninfo; never printed or recorded with its password */
    char *schema;            /* postgres: default public; duckdb: NULL means main */
    int max_connections;     /* postgres: sessions at once; default 4 */
    sl_staging_mode staging; /* postgres: default auto */
    char *compression;       /* parquet: none|snappy|gzip|zstd|lz4_raw (default zstd); duckdb: of its staged
                              * Parquet files (not a job key) */
    int compression_level;   /* 0: codec default */
    int64_t row_group_bytes; /* 0: default (128 MiB) */
    int64_t page_bytes;      /* 0: default (1 MiB) */
    bool internal;           /* the job's work target (sl_job_sql.c): never shown as a target */
    /* parquet, csv at an s3://bucket/prefix path (store/sl_store_s3.c) */
    char *region;            /* NULL: the credentials' region, else us-east-1 */
    char *endpoint;          /* an S3-compatible server's URL; NULL or "": AWS */
    bool layout_flat;        /* layout: flat (old versions deleted after a grace wait) */
    int keep_versions;       /* versions kept after publish; 0: default 1 */
    int line, column;
} sl_job_target;

/* At most this many targets in one table's `to:`. */
#define SL_JOB_MAX_TARGETS 16

typedef struct sl_job_column {
    char *name;
    sl_type type;
    bool nullable;           /* default true */
} sl_job_column;

/* How a table is written into a warehouse target (`write:`). */
typedef enum { SL_WRITE_REPLACE, SL_WRITE_APPEND, SL_WRITE_MERGE } sl_write_mode;
/* What a warehouse target does when the live table's columns differ (`on_schema_change:`). */
typedef enum { SL_SCHEMA_FAIL, SL_SCHEMA_ADD_COLUMNS, SL_SCHEMA_RECREATE } sl_schema_change;

typedef struct sl_job_partition {
    char *strategy;          /* auto | range | histogram | mod | pages | none; default auto */
    char *column;            /* NULL: chosen by the strategy */
    int count;               /* 0: auto */
} sl_job_partition;

/* `deletes:` of an incremental table (sl_job_incr.c). */
typedef enum { SL_DELETES_NONE, SL_DELETES_DETECT, SL_DELETES_COLUMN } sl_deletes_mode;

/* `incremental: { cursor, lookback, nulls }` and `deletes:` (sl_job_incr.c):
 * later runs read only rows whose cursor moved past the last published
 * high watermark (minus lookback), and merge or append them. */
typedef struct sl_job_incremental {
    char *cursor;            /* NULL: the table is read whole every run */
    double lookback_s;       /* re-read this far below the watermark; 0: none (integer cursors) */
    bool nulls_include;      /* `nulls: include`: rows with a NULL cursor are read every run */
    sl_deletes_mode deletes;
    char *deleted_column;    /* deletes: { column: c }: rows with c set are deletions */
} sl_job_incremental;

typedef struct sl_job_index {
    char **cols;
    int ncols;
} sl_job_index;

typedef struct sl_job_table {
    char *name;              /* output table name */
    char *from;              /* source name */
    sl_job_source *source;
    char *table;             /* source relation, e.g. public.orders */
    char *query;             /* or a query */
    char *file;              /* csv, parquet: file name or glob, relative to the source path */
    sl_job_partition partition;
    char *to;                /* the (first) target's name */
    sl_job_target *target;   /* the first target: targets[0] */
    sl_job_target **targets; /* `to:` one target or a list: each task writes to all of them */
    int ntargets;
    sl_job_column *columns;  /* csv: explicit schema; others: type overrides */
    int ncolumns;
    char *rejects;           /* csv: file for malformed rows; NULL: they fail the job */
    /* warehouse targets */
    sl_write_mode write;     /* default replace */
    char **key;              /* `key: [cols]`: primary key; what merge matches on */
    int nkey;
    bool delete_missing;     /* merge: delete live rows whose key the new data lacks */
    sl_job_incremental incr; /* `incremental:`, `deletes:` (sl_job_incr.c) */
    sl_schema_change on_schema_change;   /* default fail */
    sl_job_index *indexes;   /* `indexes: [[cols], ...]` */
    int nindexes;
    bool verify_source;      /* `verify: source` (postgres): each task's receipt is reconciled with the
                              * source's own aggregates over its predicate, in the same snapshot */
    /* the mass-delete guard (sl_job_guard.c; read them with the accessors below) */
    bool guard_set;          /* false: the defaults (a table made in code) */
    double max_delete_ratio; /* share of live rows a publish may delete; < 0: no limit */
    double max_shrink;       /* share a full load may shrink by; < 0: off */
    /* computed tables (sl_job_sql.c) */
    char *sql;               /* `sql:` instead of `from:`: computed by DuckDB from other tables of the job */
    int sql_line;            /* the job file line of the query's first line */
    bool intermediate;       /* no `to:`: lands only in the job's work target, for its consumers */
    /* data checks (sl_job_checks.h): run on the staged output before publish */
    sl_job_check *checks;
    int nchecks;
    sl_bad_rows on_bad_rows;     /* default fail */
    int64_t max_bad_rows;        /* bad rows of error-level row rules tolerated; default 0 */
    double max_bad_fraction;     /* or a fraction of the rows (0.001 for "0.1%"); < 0: not given */
    /* postgres types (sl_job_patterns.c) */
    bool unsupported_error;  /* `unsupported: error`: types without a mapping fail the table (default:
                              * string, their PostgreSQL text form) */
    bool trim_char;          /* `trim_char: true`: char(n) without its blank padding */
    int numeric_precision;   /* `numeric: {precision, scale}` for numeric without typmod; 0: 38,18 */
    int numeric_scale;
    const char *pattern;     /* the table key (a glob) that selected it; NULL for an explicit entry */
    int line, column;
} sl_job_table;

/* A relation of a source's catalog, as a pattern sees it (sl_job_expand). */
typedef struct sl_job_relation {
    char *schema, *name;
    char *ident;             /* quoted schema.name, what `table:` gets */
    char kind;               /* r table, p partitioned table, v view, m materialized view */
    char *root;              /* a partition: its partitioned root as schema.name; else NULL */
} sl_job_relation;

/* A table key with a glob ("public.*", "*.*", "sales.order_*"): the keys
 * every selected relation gets, expanded against the source's catalog when
 * the job is prepared (sl_job_expand). */
typedef struct sl_job_pattern {
    char *pattern;           /* the key as written */
    char *schema_glob, *rel_glob;   /* "public.*" -> public, *; a key without '.' is in public */
    char **exclude;          /* `exclude: [globs]`, schema.name (or name: in public) */
    int nexclude;
    char *name_template;     /* `name: "{schema}_{table}"`; NULL: table, schema_table outside public */
    bool partitions_separate;/* `partitions: separate`: the partitions, not their partitioned parent */
    sl_job_table tmpl;       /* every key but the table's own (table:, query: are not allowed) */
    int at;                  /* explicit tables before it: its tables take their place in order */
    /* filled by sl_job_expand, for plan */
    char **selected;         /* output names */
    int nselected;
    char **notes;            /* skipped partitions, entries overridden */
    int nnotes;
} sl_job_pattern;

/* Lists a source's relations (tables, partitioned tables, views,
 * materialized views; system schemas left out) into the arena. */
typedef int (*sl_job_list_fn)(const sl_job_source *src, sl_arena *arena, sl_job_relation **out, int *n,
                              sl_err *err);

/* "replace", "append", "merge"; "fail", "add_columns", "recreate". */
const char *sl_write_mode_name(sl_write_mode m);
const char *sl_schema_change_name(sl_schema_change c);
/* Whether tables of target t land in a warehouse (staging tables, one
 * publishing transaction) rather than a lake directory. */
bool sl_job_target_is_warehouse(const sl_job_target *t);

/* `transform:` - the resources of the DuckDB that computes `sql:` tables. */
typedef struct sl_job_transform {
    int64_t memory_limit;    /* bytes; 0: DuckDB's default (80% of RAM) */
    int threads;             /* 0: DuckDB's default (the cores) */
    char *temp_directory;    /* where DuckDB spills; default <job dir>/.sluice/tmp */
} sl_job_transform;
/* `alerts:` (sl_job_alerts.c): what happens to a run that someone should hear of. */
enum {
    SL_ALERT_FAILURE = 1 << 0,     /* the run failed */
    SL_ALERT_SUCCESS = 1 << 1,     /* the run succeeded */
    SL_ALERT_RETRY = 1 << 2,       /* a task attempt failed and is retried */
    SL_ALERT_SLOW = 1 << 3,        /* the run has lasted longer than `slow:` */
    SL_ALERT_SKEW = 1 << 4,        /* a node's realised skew (largest/median task rows) is above `skew:` */
    SL_ALERT_CHECK_FAILED = 1 << 5 /* a check failed (when the job has checks) */
};

typedef struct sl_job_alert {
    unsigned on;             /* SL_ALERT_* bits */
    char *webhook;           /* POST the alert as JSON here, or */
    char *command;           /* run this (sh -c) with the alert as JSON on stdin */
    double slow_s;           /* slow: a duration; 0: not given */
    double skew;             /* skew: a ratio >= 1; default 3.0 */
    int line;
} sl_job_alert;

typedef struct sl_job {
    char *name;
    char *file;              /* the job file's path as given */
    char *dir;               /* its directory: relative paths resolve here */
    sl_job_source *sources;
    int nsources;
    sl_job_target *targets;
    int ntargets;
    sl_job_table *tables;
    int ntables;
    sl_job_pattern *patterns;/* table keys with globs; sl_job_expand turns them into tables */
    int npatterns;
    bool expanded;
    int retries;             /* per task; default 3 */
    double retry_backoff_s;  /* first backoff; default 1.0, doubled each time */
    sl_job_transform transform;
    sl_job_target *work;     /* the internal work target (in targets[], last) when a table has `sql:`, else NULL */
    sl_job_source *sql_source; /* the source every `sql:` table has (kind "sql"); not in sources[] */
    sl_job_alert *alerts;    /* `alerts:`; none: NULL */
    int nalerts;
    sl_arena arena;
} sl_job;

sl_job *sl_job_load(const char *path, sl_err *err);
/* Parses text; `file` names it in errors and anchors relative paths. */
sl_job *sl_job_parse(const char *text, size_t len, const char *file, sl_err *err);
void sl_job_free(sl_job *job);
/* Turns the job's patterns into tables (in file order, explicit entries
 * first where they name the same output or relation), listing each
 * pattern's source once with `list`. A pattern that matches nothing, two
 * relations landing on one output name, or a source kind that cannot list
 * are errors naming the pattern. Idempotent. */
int sl_job_expand(sl_job *job, sl_job_list_fn list, sl_err *err);

/* The guard's limits of a table (sl_job_guard.c): max_delete_ratio
 * (default 0.10; < 0 none) and max_shrink (default -1: off). */
double sl_job_table_max_delete_ratio(const sl_job_table *t);
double sl_job_table_max_shrink(const sl_job_table *t);

#endif
