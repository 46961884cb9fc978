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
    sl_schema_change on_schema_change;   /* default fail */
    sl_job_index *indexes;   /* `indexes: [[cols], ...]` */
    int nindexes;
    bool verify_source;      /* `verify: source` (postgres): each task's receipt is reconciled with the
                              * source's own aggregates over its predicate, in the same snapshot */
    int line, column;
} sl_job_table;

/* "replace", "append", "merge"; "fail", "add_columns", "recreate". */
const char *sl_write_mode_name(sl_write_mode m);
const char *sl_schema_change_name(sl_schema_change c);
/* Whether tables of target t land in a warehouse (staging tables, one
 * publishing transaction) rather than a lake directory. */
bool sl_job_target_is_warehouse(const sl_job_target *t);

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
    int retries;             /* per task; default 3 */
    double retry_backoff_s;  /* first backoff; default 1.0, doubled each time */
    sl_job_alert *alerts;    /* `alerts:`; none: NULL */
    int nalerts;
    sl_arena arena;
} sl_job;

sl_job *sl_job_load(const char *path, sl_err *err);
/* Parses text; `file` names it in errors and anchors relative paths. */
sl_job *sl_job_parse(const char *text, size_t len, const char *file, sl_err *err);
void sl_job_free(sl_job *job);

#endif
