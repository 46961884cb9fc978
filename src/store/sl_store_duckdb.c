/*
 * sl_store_duckdb.c - the DuckDB store (kind: duckdb, see sl_store.h): the
 * tables of a target whose path is the database file F land as tables of F,
 * in the target's `schema:` (default main).
 *
 * Staging: a task's output is a Parquet file (the parquet sink), staged by
 * the local store (sl_store_local.c) in a directory beside the database file,
 * "<dir of F>/.<name of F>.sluice/", which plays its lake: create, commit,
 * discard, check, tidy, reset, clean_stale and clean_run are the local
 * store's on that directory. F is not opened while tasks run.
 *
 * Publish: one DuckDB transaction, the only time F is open (one lock per
 * process serialises the opens: DuckDB does not stop two handles of one
 * process on one file):
 *   -> publish:before-manifest; open F (another process holding it: an error
 *   saying who and what to do; the table stays staged for a resume)
 *   begin; the bookkeeping table <schema>._sluice_published (job,
 *   table_name, run_id, run_started_us, write_mode, rows, ...): a row for
 *   this job, table, run and run start means a crash after the commit, so
 *   only clean up
 *   the live table's columns against the new ones (on_schema_change: fail,
 *   add_columns, recreate)
 *   the write mode, reading read_parquet([staged files]) with a cast to each
 *   column's exact DuckDB type:
 *     replace  create or replace table t as select ...
 *     append   insert into t (columns) select ...  (the first time: create table t as)
 *     merge    the new rows into a temporary table; the key checked (no NULL,
 *              one row per key); merge into t using it on the key: update
 *              matched, insert not matched, with delete_missing delete not
 *              matched by source
 *   the bookkeeping row
 *   -> publish:before-exchange; commit -> publish:after-exchange; close
 *   (DuckDB checkpoints) -> publish:before-cleanup; the table's staged files
 *   removed.
 * A crash before the commit leaves F as it was (DuckDB logs only committed
 * transactions), and the resume publishes again from the staged files; a
 * crash after it is recognised by `already` from the bookkeeping row, so an
 * append is never applied twice. A failed load rolls back: the table keeps
 * its previous version. Other connections see the old or the new table
 * (DuckDB's MVCC); other processes cannot open F while it is written.
 */
#include "sl_store.h"

#include "sl_duck.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_failpoint.h"
#include "../core/sl_guard.h"
#include "../core/sl_log.h"
#include "../state/sl_fs.h"
#include "../state/sl_publish.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define SL_DUCK_BOOKKEEPING "_sluice_published"

static pthread_mutex_t sl_duck_file_mu = PTHREAD_MUTEX_INITIALIZER;

typedef struct sl_duck_stage {
    sl_job_target local_target;   /* the staging directory, as a local store's target */
    sl_stage local;                /* the local store's stage of the table there */
    const char *schema;            /* "main" unless the target says */
} sl_duck_stage;

static sl_duck_stage *sl_ds(sl_stage *sg) { return sg->impl; }

/* "<dir of F>/.<name of F>.sluice": where the target's task outputs are staged. */
static char *sl_duck_staging_root(const char *db_path)
{
    char *dir = sl_fs_dirname(db_path);
    const char *slash = strrchr(db_path, '/');
    char *root = sl_sprintf("%s/.%s.sluice", dir, slash ? slash + 1 : db_path);
    sl_free(dir);
    return root;
}

/* ---- SQL text ---- */

/* The DuckDB type of a sluice type, as duckdb_columns() spells it. */
static const char *sl_duck_type(sl_type t, char *buf, size_t size)
{
    switch (t.id) {
    case SL_T_BOOL: return "BOOLEAN";
    case SL_T_INT16: return "SMALLINT";
    case SL_T_INT32: return "INTEGER";
    case SL_T_INT64: return "BIGINT";
    case SL_T_FLOAT32: return "FLOAT";
    case SL_T_FLOAT64: return "DOUBLE";
    case SL_T_DECIMAL: snprintf(buf, size, "DECIMAL(%d,%d)", t.precision, t.scale); return buf;
    case SL_T_STRING: return "VARCHAR";
    case SL_T_BYTES: return "BLOB";
    case SL_T_DATE: return "DATE";
    case SL_T_TIME: return "TIME";
    case SL_T_TIMESTAMP: return t.utc ? "TIMESTAMP WITH TIME ZONE" : "TIMESTAMP";
    case SL_T_UUID: return "UUID";
    case SL_T_JSON: return "JSON";
    case SL_T_LIST: {
        char eb[48];
        snprintf(buf, size, "%s[]", sl_duck_type(sl_type_elem(t), eb, sizeof eb));
        return buf;
    }
    case SL_T_COUNT: break;
    }
    return "VARCHAR";
}

static void sl_sql_ident(sl_buf *b, const char *name) { sl_buf_quoted(b, name, '"'); }
static void sl_sql_text(sl_buf *b, const char *text) { sl_buf_quoted(b, text, '\''); }

/* "schema"."name" */
static void sl_sql_table(sl_buf *b, const char *schema, const char *name)
{
    sl_sql_ident(b, schema);
    sl_buf_push(b, '.');
    sl_sql_ident(b, name);
}

/* select cast("c" as TYPE) as "c", ... from read_parquet(['<file>', ...]) */
static void sl_sql_staged_rows(sl_buf *b, const sl_schema *schema, const sl_staging *st, const sl_store_manifest *m)
{
    char tb[64];
    sl_buf_printf(b, "select ");
    for (int c = 0; c < schema->ncols; c++) {
        sl_buf_printf(b, "%scast(", c ? ", " : "");
        sl_sql_ident(b, schema->fields[c].name);
        sl_buf_printf(b, " as %s) as ", sl_duck_type(schema->fields[c].type, tb, sizeof tb));
        sl_sql_ident(b, schema->fields[c].name);
    }
    sl_buf_printf(b, " from read_parquet([");
    for (int i = 0; i < m->nfiles; i++) {
        char *path = sl_staging_file_path(st, m->files[i].name);
        if (i) sl_buf_printf(b, ", ");
        sl_sql_text(b, path);
        sl_free(path);
    }
    sl_buf_printf(b, "])");
}

/* "col1, col2" of the schema (or of its key), each quoted, optionally "<alias>." before each. */
static void sl_sql_columns(sl_buf *b, const sl_schema *schema, const char *alias)
{
    for (int c = 0; c < schema->ncols; c++) {
        if (c) sl_buf_printf(b, ", ");
        if (alias) sl_buf_printf(b, "%s.", alias);
        sl_sql_ident(b, schema->fields[c].name);
    }
}

/* ---- the live table's columns against the new ones ---- */

/* The columns of the live table (none when there is no such table). */
static int sl_duck_live_columns(sl_duck *d, const char *schema, const char *table, sl_duck_rows *rows, sl_err *err)
{
    sl_buf q = { 0 };
    sl_buf_printf(&q, "select column_name, data_type from duckdb_columns() where database_name = current_database() "
                  "and schema_name = ");
    sl_sql_text(&q, schema);
    sl_buf_printf(&q, " and table_name = ");
    sl_sql_text(&q, table);
    sl_buf_printf(&q, " order by column_index");
    int rc = sl_duck_query(d, sl_buf_cstr(&q), rows, err);
    sl_buf_free(&q);
    return rc;
}

/* The row of the live column named `name` (DuckDB's names ignore case), or -1. */
static int sl_live_column(const sl_duck_rows *live, const char *name)
{
    for (int r = 0; r < live->nrows; r++)
        if (!strcasecmp(sl_duck_cell(live, r, 0), name)) return r;
    return -1;
}

static bool sl_new_column(const sl_schema *schema, const char *name)
{
    for (int c = 0; c < schema->ncols; c++)
        if (!strcasecmp(schema->fields[c].name, name)) return true;
    return false;
}

typedef struct sl_schema_diff {
    sl_buf text;          /* what changed, for messages */
    int added, removed, changed;
} sl_schema_diff;

static void sl_schema_compare(const sl_duck_rows *live, const sl_schema *schema, sl_schema_diff *df)
{
    char tb[64];
    for (int c = 0; c < schema->ncols; c++) {
        const sl_field *f = &schema->fields[c];
        const char *want = sl_duck_type(f->type, tb, sizeof tb);
        int r = sl_live_column(live, f->name);
        if (r < 0) {
            df->added++;
            sl_buf_printf(&df->text, "%snew column %s (%s)", df->text.len ? "; " : "", f->name, want);
        } else if (strcmp(sl_duck_cell(live, r, 1), want)) {
            df->changed++;
            sl_buf_printf(&df->text, "%scolumn %s changed type from %s to %s", df->text.len ? "; " : "", f->name,
                          sl_duck_cell(live, r, 1), want);
        }
    }
    for (int r = 0; r < live->nrows; r++)
        if (!sl_new_column(schema, sl_duck_cell(live, r, 0))) {
            df->removed++;
            sl_buf_printf(&df->text, "%scolumn %s (%s) is gone", df->text.len ? "; " : "", sl_duck_cell(live, r, 0),
                          sl_duck_cell(live, r, 1));
        }
}

/* Applies on_schema_change to a live table whose columns differ from the new
 * ones: an error saying what changed and how to allow it, new columns added,
 * or the table dropped (*live set to false). */
static int sl_schema_apply(sl_stage *sg, sl_duck *d, const char *qualified, const sl_duck_rows *cols, bool *live,
                           sl_err *err)
{
    const sl_job_table *cfg = sg->cfg;
    sl_schema_diff df = { { 0 }, 0, 0, 0 };
    sl_schema_compare(cols, sg->schema, &df);
    int rc = 0;
    if (!df.added && !df.removed && !df.changed) goto out;
    sl_buf_cstr(&df.text);
    bool replace = cfg->write == SL_WRITE_REPLACE;
    if (cfg->on_schema_change == SL_SCHEMA_RECREATE) {
        sl_log(SL_LOG_WARN, "table %s: %s in %s: %s; on_schema_change: recreate drops and recreates it", sg->table,
               qualified, sg->target->path, (const char *)df.text.data);
        if (!replace) {
            sl_buf q = { 0 };
            sl_buf_printf(&q, "drop table %s", qualified);
            rc = sl_duck_exec(d, sl_buf_cstr(&q), NULL, err);
            sl_buf_free(&q);
            *live = false;
        }
        goto out;
    }
    if (cfg->on_schema_change == SL_SCHEMA_ADD_COLUMNS && !df.removed && !df.changed) {
        sl_log(SL_LOG_INFO, "table %s: %s; on_schema_change: add_columns adds %s", sg->table,
               (const char *)df.text.data, df.added == 1 ? "it" : "them");
        if (!replace) {
            char tb[64];
            for (int c = 0; c < sg->schema->ncols && rc == 0; c++) {
                const sl_field *f = &sg->schema->fields[c];
                if (sl_live_column(cols, f->name) >= 0) continue;
                sl_buf q = { 0 };
                sl_buf_printf(&q, "alter table %s add column ", qualified);
                sl_sql_ident(&q, f->name);
                sl_buf_printf(&q, " %s", sl_duck_type(f->type, tb, sizeof tb));
                rc = sl_duck_exec(d, sl_buf_cstr(&q), NULL, err);
                sl_buf_free(&q);
            }
        }
        goto out;
    }
    if (cfg->on_schema_change == SL_SCHEMA_ADD_COLUMNS)
        rc = sl_err_set(err, SL_ETYPE, "the columns of %s in %s changed: %s; on_schema_change: add_columns only adds "
                        "new columns - set on_schema_change: recreate to drop and recreate the table%s",
                        qualified, sg->target->path, (const char *)df.text.data,
                        replace ? "" : " (its rows are lost)");
    else
        rc = sl_err_set(err, SL_ETYPE, "the columns of %s in %s changed: %s; the table keeps its previous version. "
                        "To allow it, set on_schema_change: %s on the table (recreate drops and recreates the "
                        "table%s)", qualified, sg->target->path, (const char *)df.text.data,
                        df.removed || df.changed ? "recreate" : "add_columns (or recreate)",
                        replace ? "" : ", losing its rows");
out:
    sl_buf_free(&df.text);
    return rc;
}

/* ---- the write modes ---- */

/* merge: the key must be in every new row, once. */
static int sl_merge_check_key(sl_stage *sg, sl_duck *d, sl_err *err)
{
    const sl_job_table *cfg = sg->cfg;
    sl_buf q = { 0 };
    sl_buf_printf(&q, "select count(*) from _sluice_new where ");
    for (int k = 0; k < cfg->nkey; k++) {
        if (k) sl_buf_printf(&q, " or ");
        sl_sql_ident(&q, cfg->key[k]);
        sl_buf_printf(&q, " is null");
    }
    int64_t nulls = 0;
    int rc = sl_duck_exec(d, sl_buf_cstr(&q), &nulls, err);
    if (rc == 0 && nulls > 0)
        rc = sl_err_set(err, SL_EDATA, "write: merge: the key is NULL in %lld new row%s; every row needs a key "
                        "(filter them out in a query:, or choose another key)", (long long)nulls,
                        nulls == 1 ? "" : "s");
    sl_buf_clear(&q);
    sl_buf_printf(&q, "select count(*), min(k) from (select concat_ws(', '");
    for (int k = 0; k < cfg->nkey; k++) {
        sl_buf_printf(&q, ", ");
        sl_sql_text(&q, cfg->key[k]);
        sl_buf_printf(&q, " || ' = ' || ");
        sl_sql_ident(&q, cfg->key[k]);
        sl_buf_printf(&q, "::varchar");
    }
    sl_buf_printf(&q, ") as k from _sluice_new group by all having count(*) > 1)");
    sl_duck_rows dup = { 0 };
    if (rc == 0) rc = sl_duck_query(d, sl_buf_cstr(&q), &dup, err);
    if (rc == 0 && dup.nrows == 1 && strcmp(sl_duck_cell(&dup, 0, 0), "0"))
        rc = sl_err_set(err, SL_EDATA, "write: merge: %s key%s appear%s in more than one new row (first: %s); a "
                        "merge needs one row per key - choose a key that identifies a row", sl_duck_cell(&dup, 0, 0),
                        strcmp(sl_duck_cell(&dup, 0, 0), "1") ? "s" : "", strcmp(sl_duck_cell(&dup, 0, 0), "1") ? "" : "s",
                        sl_duck_cell(&dup, 0, 1));
    sl_duck_rows_free(&dup);
    sl_buf_free(&q);
    return rc;
}

static bool sl_is_key(const sl_job_table *cfg, const char *name)
{
    for (int k = 0; k < cfg->nkey; k++)
        if (!strcasecmp(cfg->key[k], name)) return true;
    return false;
}

/* merge into t using _sluice_new ... */
static void sl_sql_merge(sl_buf *q, sl_stage *sg, const char *qualified)
{
    const sl_job_table *cfg = sg->cfg;
    const sl_schema *schema = sg->schema;
    sl_buf_printf(q, "merge into %s as d using _sluice_new as s on (", qualified);
    for (int k = 0; k < cfg->nkey; k++) {
        if (k) sl_buf_printf(q, " and ");
        sl_buf_printf(q, "d.");
        sl_sql_ident(q, cfg->key[k]);
        sl_buf_printf(q, " = s.");
        sl_sql_ident(q, cfg->key[k]);
    }
    sl_buf_printf(q, ")");
    int nset = 0;
    for (int c = 0; c < schema->ncols; c++) {
        if (sl_is_key(cfg, schema->fields[c].name)) continue;
        sl_buf_printf(q, nset++ ? ", " : " when matched then update set ");
        sl_sql_ident(q, schema->fields[c].name);
        sl_buf_printf(q, " = s.");
        sl_sql_ident(q, schema->fields[c].name);
    }
    sl_buf_printf(q, " when not matched then insert (");
    sl_sql_columns(q, schema, NULL);
    sl_buf_printf(q, ") values (");
    sl_sql_columns(q, schema, "s");
    sl_buf_printf(q, ")");
    if (cfg->delete_missing) sl_buf_printf(q, " when not matched by source then delete");
}

/* The mass-delete guard (core/sl_guard.h), inside the transaction, before
 * the write: merge with delete_missing counts the live rows whose key is
 * not in _sluice_new; replace compares the live count with the new rows
 * (max_shrink). Over the limit: an error, and the caller rolls back. */
static int sl_duck_guard(sl_stage *sg, sl_duck *d, const char *qualified, int64_t new_rows, sl_err *err)
{
    const sl_job_table *cfg = sg->cfg;
    bool deletes = cfg->write == SL_WRITE_MERGE && cfg->delete_missing;
    double limit = deletes ? sl_job_table_max_delete_ratio(cfg)
                           : cfg->write == SL_WRITE_REPLACE ? sl_job_table_max_shrink(cfg) : -1;
    if (limit < 0) return 0;
    sl_buf q = { 0 };
    int64_t live = 0, gone = 0;
    sl_buf_printf(&q, "select count(*) from %s", qualified);
    int rc = sl_duck_exec(d, sl_buf_cstr(&q), &live, err);
    if (rc == 0 && deletes) {
        sl_buf_clear(&q);
        sl_buf_printf(&q, "select count(*) from %s as d where not exists (select 1 from _sluice_new as s where ",
                      qualified);
        for (int k = 0; k < cfg->nkey; k++) {
            if (k) sl_buf_printf(&q, " and ");
            sl_buf_printf(&q, "s.");
            sl_sql_ident(&q, cfg->key[k]);
            sl_buf_printf(&q, " = d.");
            sl_sql_ident(&q, cfg->key[k]);
        }
        sl_buf_printf(&q, ")");
        rc = sl_duck_exec(d, sl_buf_cstr(&q), &gone, err);
    }
    sl_buf_free(&q);
    if (rc < 0) return -1;
    char what[600];
    snprintf(what, sizeof what, "table %s in %s%s", qualified, sg->target->path, deletes ? " (delete_missing)" : "");
    return deletes ? sl_guard_deletes(what, live, gone, limit, sg->allow_mass_delete, err)
                   : sl_guard_shrink(what, live, new_rows, limit, sg->allow_mass_delete, err);
}

/* The write mode, inside the transaction; *changed: rows inserted, updated or deleted. */
static int sl_duck_write(sl_stage *sg, sl_duck *d, const sl_store_manifest *m, const char *qualified, bool live,
                         int64_t *changed, sl_err *err)
{
    sl_write_mode write = sg->cfg->write;
    const sl_staging *st = sl_ds(sg)->local.impl;
    sl_buf q = { 0 };
    int rc;
    if (write == SL_WRITE_MERGE) {
        sl_buf_printf(&q, "create or replace temp table _sluice_new as ");
        sl_sql_staged_rows(&q, sg->schema, st, m);
        rc = sl_duck_exec(d, sl_buf_cstr(&q), NULL, err);
        if (rc == 0) rc = sl_merge_check_key(sg, d, err);
        if (rc == 0 && live) rc = sl_duck_guard(sg, d, qualified, -1, err);
        sl_buf_clear(&q);
        if (live) sl_sql_merge(&q, sg, qualified);
        else sl_buf_printf(&q, "create table %s as select * from _sluice_new", qualified);
        if (rc == 0) rc = sl_duck_exec(d, sl_buf_cstr(&q), changed, err);
        if (rc == 0) rc = sl_duck_exec(d, "drop table _sluice_new", NULL, err);
    } else {
        int64_t new_rows = 0;
        for (int i = 0; i < m->nfiles; i++) new_rows += m->files[i].rows;
        rc = live && write == SL_WRITE_REPLACE ? sl_duck_guard(sg, d, qualified, new_rows, err) : 0;
        if (rc < 0) {
            sl_buf_free(&q);
            return -1;
        }
        if (write == SL_WRITE_APPEND && live) {
            sl_buf_printf(&q, "insert into %s (", qualified);
            sl_sql_columns(&q, sg->schema, NULL);
            sl_buf_printf(&q, ") ");
        } else {
            sl_buf_printf(&q, "create or replace table %s as ", qualified);
        }
        sl_sql_staged_rows(&q, sg->schema, st, m);
        rc = sl_duck_exec(d, sl_buf_cstr(&q), changed, err);
    }
    sl_buf_free(&q);
    return rc;
}

/* ---- bookkeeping ---- */

static int64_t sl_run_started_us(const sl_stage *sg) { return llround(sg->run_started * 1e6); }

/* "job = '..' and table_name = '..' and run_id = N and run_started_us = M" */
static void sl_sql_this_run(sl_buf *q, const sl_stage *sg)
{
    sl_buf_printf(q, "job = ");
    sl_sql_text(q, sg->job);
    sl_buf_printf(q, " and table_name = ");
    sl_sql_text(q, sg->table);
    sl_buf_printf(q, " and run_id = %lld and run_started_us = %lld", (long long)sg->run_id,
                  (long long)sl_run_started_us(sg));
}

/* Rows of the bookkeeping table matching `where` (0 when there is no such table). */
static int sl_duck_count_records(sl_stage *sg, sl_duck *d, const char *where, int64_t *n, sl_err *err);

/* 1 when the bookkeeping table says this run published the table, 0 when not. */
static int sl_duck_published(sl_stage *sg, sl_duck *d, sl_err *err)
{
    sl_buf w = { 0 };
    sl_sql_this_run(&w, sg);
    int64_t n = 0;
    int rc = sl_duck_count_records(sg, d, sl_buf_cstr(&w), &n, err);
    sl_buf_free(&w);
    return rc < 0 ? -1 : n > 0;
}

static int sl_duck_count_records(sl_stage *sg, sl_duck *d, const char *where, int64_t *n, sl_err *err)
{
    const char *schema = sl_ds(sg)->schema;
    sl_buf q = { 0 };
    sl_buf_printf(&q, "select count(*) from duckdb_tables() where database_name = current_database() and "
                  "schema_name = ");
    sl_sql_text(&q, schema);
    sl_buf_printf(&q, " and table_name = '" SL_DUCK_BOOKKEEPING "'");
    *n = 0;
    int rc = sl_duck_exec(d, sl_buf_cstr(&q), n, err);
    if (rc == 0 && *n > 0) {
        sl_buf_clear(&q);
        sl_buf_printf(&q, "select count(*) from ");
        sl_sql_table(&q, schema, SL_DUCK_BOOKKEEPING);
        sl_buf_printf(&q, " where %s", where);
        rc = sl_duck_exec(d, sl_buf_cstr(&q), n, err);
    }
    sl_buf_free(&q);
    return rc;
}

/* `write: replace` drops the live table: only one this job published
 * before (the local store's rule: never replace what is not this job's).
 * append and merge load into any table, a user's own included. */
static int sl_duck_check_owner(sl_stage *sg, sl_duck *d, const char *qualified, sl_err *err)
{
    if (sg->cfg->write != SL_WRITE_REPLACE) return 0;
    sl_buf w = { 0 };
    sl_buf_printf(&w, "job = ");
    sl_sql_text(&w, sg->job);
    sl_buf_printf(&w, " and table_name = ");
    sl_sql_text(&w, sg->table);
    int64_t n = 0;
    int rc = sl_duck_count_records(sg, d, sl_buf_cstr(&w), &n, err);
    sl_buf_free(&w);
    if (rc < 0 || n > 0) return rc;
    return sl_err_set(err, SL_EJOB, "table %s in %s was not made by job %s (no record of it in %s): write: replace "
                      "would drop it; move it away, load it with write: append or merge, or give another schema",
                      qualified, sg->target->path, sg->job, SL_DUCK_BOOKKEEPING);
}

static int sl_duck_record(sl_stage *sg, sl_duck *d, const sl_store_manifest *m, int64_t rows, int64_t changed,
                          sl_err *err)
{
    const char *schema = sl_ds(sg)->schema;
    sl_buf q = { 0 };
    sl_buf_printf(&q, "create table if not exists ");
    sl_sql_table(&q, schema, SL_DUCK_BOOKKEEPING);
    sl_buf_printf(&q, " (job varchar not null, table_name varchar not null, run_id bigint not null, "
                  "run_started_us bigint not null, write_mode varchar not null, rows_loaded bigint, "
                  "rows_changed bigint, files integer, snapshot_time timestamp with time zone, "
                  "published_at timestamp with time zone, receipt varchar); alter table ");
    sl_sql_table(&q, schema, SL_DUCK_BOOKKEEPING);
    /* a bookkeeping table from before receipts gets the column */
    sl_buf_printf(&q, " add column if not exists receipt varchar; insert into ");
    sl_sql_table(&q, schema, SL_DUCK_BOOKKEEPING);
    sl_buf_printf(&q, " values (");
    sl_sql_text(&q, sg->job);
    sl_buf_printf(&q, ", ");
    sl_sql_text(&q, sg->table);
    sl_buf_printf(&q, ", %lld, %lld, ", (long long)sg->run_id, (long long)sl_run_started_us(sg));
    sl_sql_text(&q, sl_write_mode_name(sg->cfg->write));
    sl_buf_printf(&q, ", %lld, %lld, %d, ", (long long)rows, (long long)changed, m->nfiles);
    if (m->snapshot_time > 0) sl_buf_printf(&q, "to_timestamp(%.6f)", m->snapshot_time);
    else sl_buf_printf(&q, "null");
    sl_buf_printf(&q, ", current_timestamp, ");
    if (m->receipt) {
        /* The load receipt, as a lake's manifest holds it (sluice verify reads it). */
        sl_buf r = { 0 };
        sl_buf_printf(&r, "{\"receipt\": %s, \"source\": %s}", m->receipt, m->source ? m->source : "null");
        sl_buf_push(&r, 0);
        sl_sql_text(&q, (const char *)r.data);
        sl_buf_free(&r);
    } else {
        sl_buf_printf(&q, "null");
    }
    sl_buf_printf(&q, ")");
    int rc = sl_duck_exec(d, sl_buf_cstr(&q), NULL, err);
    sl_buf_free(&q);
    return rc;
}

/* ---- the store's operations ---- */

static int sl_duckdb_stage_open(sl_stage *sg, sl_err *err)
{
    if (!sg->cfg) return sl_err_set(err, SL_EINTERNAL, "table %s: the duckdb store needs the table's settings", sg->table);
    sl_duck_stage *ds = sl_calloc(1, sizeof *ds);
    ds->local_target = *sg->target;
    ds->local_target.path = sl_duck_staging_root(sg->target->path);
    ds->schema = sg->target->schema ? sg->target->schema : "main";
    ds->local = *sg;
    ds->local.ops = &sl_store_local;
    ds->local.target = &ds->local_target;
    ds->local.where = NULL;
    ds->local.impl = NULL;
    if (sl_store_local.stage_open(&ds->local, err) < 0) {
        sl_free(ds->local_target.path);
        sl_free(ds);
        return -1;
    }
    sg->impl = ds;
    sg->where = sl_sprintf("%s (table %s.%s)", sg->target->path, ds->schema, sg->table);
    return 0;
}

static void sl_duckdb_stage_close(sl_stage *sg)
{
    sl_duck_stage *ds = sl_ds(sg);
    if (ds) {
        sl_store_local.stage_close(&ds->local);
        sl_free(ds->local_target.path);
        sl_free(ds);
    }
    sl_free(sg->where);
    sg->impl = NULL;
    sg->where = NULL;
}

/* The local stage, with the schema the engine has set since stage_open. */
static sl_stage *sl_duckdb_local(sl_stage *sg)
{
    sl_duck_stage *ds = sl_ds(sg);
    ds->local.schema = sg->schema;
    return &ds->local;
}

static int sl_duckdb_tidy(sl_stage *sg, int *removed, sl_err *err)
{
    return sl_store_local.tidy(sl_duckdb_local(sg), removed, err);
}

static int sl_duckdb_check(sl_stage *sg, const sl_store_file *f, sl_err *err)
{
    return sl_store_local.check(sl_duckdb_local(sg), f, err);
}

static int sl_duckdb_reset(sl_stage *sg, sl_err *err) { return sl_store_local.reset(sl_duckdb_local(sg), err); }

/* A merge key that is not a column fails the first task, not the publish after the whole extraction. */
static sl_out *sl_duckdb_create(sl_stage *sg, const char *name, sl_err *err)
{
    const sl_job_table *cfg = sg->cfg;
    for (int k = 0; sg->schema && k < cfg->nkey; k++) {
        if (sl_new_column(sg->schema, cfg->key[k])) continue;
        sl_buf cols = { 0 };
        sl_sql_columns(&cols, sg->schema, NULL);
        sl_err_set(err, SL_EJOB, "key column '%s' is not a column of the table (its columns: %s); fix 'key' in the "
                   "job file", cfg->key[k], sl_buf_cstr(&cols));
        sl_buf_free(&cols);
        return NULL;
    }
    return sl_store_local.create(sl_duckdb_local(sg), name, err);
}

static int sl_duckdb_commit(sl_stage *sg, sl_out *out, sl_store_file *f, sl_err *err)
{
    return sl_store_local.commit(sl_duckdb_local(sg), out, f, err);
}

static void sl_duckdb_discard(sl_stage *sg, const char *name, sl_out *out)
{
    sl_store_local.discard(sl_duckdb_local(sg), name, out);
}

static int sl_duckdb_already(sl_stage *sg, sl_err *err)
{
    if (!sl_fs_exists(sg->target->path)) return 0;
    pthread_mutex_lock(&sl_duck_file_mu);
    sl_duck *d = sl_duck_open(sg->target->path, err);
    int rc = d ? sl_duck_published(sg, d, err) : -1;
    sl_duck_close(d);
    pthread_mutex_unlock(&sl_duck_file_mu);
    return rc;
}

/* Inside the open database: begin, load, record, commit. *already: it was published by this run. */
static int sl_duckdb_load(sl_stage *sg, sl_duck *d, const sl_store_manifest *m, sl_store_result *res, sl_err *err)
{
    const char *schema = sl_ds(sg)->schema;
    if (sl_duck_exec(d, "begin transaction", NULL, err) < 0) return -1;
    int already = sl_duck_published(sg, d, err);
    if (already != 0) {
        res->already = already > 0;
        sl_duck_exec(d, "rollback", NULL, NULL);
        return already < 0 ? -1 : 0;
    }
    if (m->nfiles < 1 || !sg->schema) {
        sl_duck_exec(d, "rollback", NULL, NULL);
        return sl_err_set(err, SL_EINTERNAL, "nothing staged to publish");
    }
    sl_buf qualified = { 0 };
    sl_sql_table(&qualified, schema, sg->table);
    const char *qt = sl_buf_cstr(&qualified);
    sl_buf q = { 0 };
    sl_buf_printf(&q, "create schema if not exists ");
    sl_sql_ident(&q, schema);
    sl_duck_rows cols = { 0 };
    int rc = sl_duck_exec(d, sl_buf_cstr(&q), NULL, err);
    if (rc == 0) rc = sl_duck_live_columns(d, schema, sg->table, &cols, err);
    bool live = cols.nrows > 0;
    res->replaced = live;
    if (rc == 0 && live) rc = sl_duck_check_owner(sg, d, qt, err);
    if (rc == 0 && live) rc = sl_schema_apply(sg, d, qt, &cols, &live, err);
    int64_t changed = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (rc == 0) rc = sl_duck_write(sg, d, m, qt, live, &changed, err);
    if (rc == 0) rc = sl_duck_record(sg, d, m, res->rows, changed, err);
    if (rc == 0) rc = sl_failpoint(SL_FP_PUBLISH_BEFORE_EXCHANGE, err);
    if (rc == 0) rc = sl_duck_exec(d, "commit", NULL, err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc < 0) {
        sl_err e = SL_ERR_INIT;
        if (sl_duck_exec(d, "rollback", NULL, &e) < 0 && !strstr(e.msg, "no transaction is active"))
            sl_log(SL_LOG_WARN, "table %s: rolling back in %s: %s", sg->table, sg->target->path, e.msg);
        sl_err_prefix(err, "loading %s into %s (its previous version is unchanged)", sg->table, sg->target->path);
    } else {
        sl_log(SL_LOG_DEBUG, "table %s: %s %s in %s: %lld rows changed; load and commit %.3f s", sg->table,
               sl_write_mode_name(sg->cfg->write), qt, sg->target->path, (long long)changed,
               (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    }
    sl_duck_rows_free(&cols);
    sl_buf_free(&q);
    sl_buf_free(&qualified);
    return rc;
}

static int sl_duckdb_publish(sl_stage *sg, const sl_store_manifest *m, sl_store_result *res, sl_err *err)
{
    sl_store_result r = { .atomic = true };
    for (int i = 0; i < m->nfiles; i++) {
        r.rows += m->files[i].rows;
        r.bytes += m->files[i].bytes;
    }
    if (sl_failpoint(SL_FP_PUBLISH_BEFORE_MANIFEST, err) < 0) return -1;
    char *dir = sl_fs_dirname(sg->target->path);
    int rc = sl_fs_mkdirs(dir, err);
    sl_free(dir);
    if (rc < 0) return -1;
    pthread_mutex_lock(&sl_duck_file_mu);
    sl_duck *d = sl_duck_open(sg->target->path, err);
    rc = d ? sl_duckdb_load(sg, d, m, &r, err) : -1;
    if (rc == 0) rc = sl_failpoint(SL_FP_PUBLISH_AFTER_EXCHANGE, err);
    sl_duck_close(d);
    pthread_mutex_unlock(&sl_duck_file_mu);
    if (rc < 0) return -1;
    if (sl_failpoint(SL_FP_PUBLISH_BEFORE_CLEANUP, err) < 0) return -1;
    /* Published: the staged files are not needed any more (a failure here only leaves them for clean_run). */
    sl_err ce = SL_ERR_INIT;
    if (sl_fs_rmtree(((sl_staging *)sl_ds(sg)->local.impl)->dir, &ce) < 0)
        sl_log(SL_LOG_DEBUG, "table %s: removing its staged files: %s", sg->table, ce.msg);
    if (res) *res = r;
    return 0;
}

static int sl_duckdb_drop(sl_stage *sg, const char *name, sl_err *err)
{
    return sl_store_local.drop(sl_duckdb_local(sg), name, err);
}

/* The job's staging beside the database file is the local store's: its
 * place, its lock. */
static char *sl_duckdb_place(const sl_job_target *target)
{
    sl_job_target local = *target;
    local.path = sl_duck_staging_root(target->path);
    char *place = sl_store_local.place(&local);
    sl_free(local.path);
    return place;
}

static void *sl_duckdb_lock(const sl_job_target *target, const char *job, const char *holder, sl_err *err)
{
    sl_job_target local = *target;
    local.path = sl_duck_staging_root(target->path);
    void *lk = sl_store_local.lock(&local, job, holder, err);
    sl_free(local.path);
    return lk;
}

static void sl_duckdb_unlock(void *lock, const sl_job_target *target, const char *job)
{
    sl_job_target local = *target;
    local.path = sl_duck_staging_root(target->path);
    sl_store_local.unlock(lock, &local, job);
    rmdir(local.path);   /* when nothing is staged any more */
    sl_free(local.path);
}

/* Whose the live table is can only be read inside the database, which is
 * opened at publish alone (a long open would lock other readers out): the
 * publish checks it (sl_duck_check_owner), before anything changes. */
static int sl_duckdb_check_live(const sl_job_target *target, const char *job, const sl_job_table *cfg, sl_err *err)
{
    (void)target; (void)job; (void)cfg; (void)err;
    return 0;
}

static int sl_duckdb_clean_stale(const sl_job_target *target, const char *job, int64_t keep_run_id, int *removed,
                                 sl_err *err)
{
    sl_job_target local = *target;
    local.path = sl_duck_staging_root(target->path);
    int rc = sl_fs_is_dir(local.path) ? sl_store_local.clean_stale(&local, job, keep_run_id, removed, err) : 0;
    sl_free(local.path);
    return rc;
}

static int sl_duckdb_clean_run(const sl_job_target *target, const char *job, int64_t run_id, bool finished,
                               sl_err *err)
{
    sl_job_target local = *target;
    local.path = sl_duck_staging_root(target->path);
    int rc = sl_fs_is_dir(local.path) ? sl_store_local.clean_run(&local, job, run_id, finished, err) : 0;
    rmdir(local.path);   /* when nothing is staged any more */
    sl_free(local.path);
    return rc;
}

/* The staged Parquet file beside the database (what the data checks read). */
static char *sl_duckdb_staged_path(sl_stage *sg, const char *name)
{
    return sl_staging_file_path(sl_ds(sg)->local.impl, name);
}

const sl_store_ops sl_store_duckdb = {
    .kind = "duckdb",
    .stage_open = sl_duckdb_stage_open,
    .stage_close = sl_duckdb_stage_close,
    .already = sl_duckdb_already,
    .tidy = sl_duckdb_tidy,
    .check = sl_duckdb_check,
    .reset = sl_duckdb_reset,
    .create = sl_duckdb_create,
    .commit = sl_duckdb_commit,
    .discard = sl_duckdb_discard,
    .drop = sl_duckdb_drop,
    .staged_path = sl_duckdb_staged_path,
    .publish = sl_duckdb_publish,
    .place = sl_duckdb_place,
    .lock = sl_duckdb_lock,
    .unlock = sl_duckdb_unlock,
    .check_live = sl_duckdb_check_live,
    .clean_stale = sl_duckdb_clean_stale,
    .clean_run = sl_duckdb_clean_run,
};
