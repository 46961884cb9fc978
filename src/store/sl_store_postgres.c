/*
 * sl_store_postgres.c - the PostgreSQL warehouse store (target kind
 * postgres; see sl_store.h): tables land in <schema>.<table> of the target's
 * database, loaded with binary COPY (sinks/sl_sink_pgcopy.c encodes).
 *
 * Per table and run, one staging table in the target schema,
 * "_sl_<run>_<hash>_<table>" (hash: CRC-32 of job, schema and table; at most
 * 63 bytes), with the exact mapped column types (sl_pg_encode_type_sql);
 * `staging: auto` makes it LOGGED for replace (it becomes the live table:
 * an UNLOGGED one would be rewritten by SET LOGGED at publish, which costs
 * about half a load) and UNLOGGED for append and merge (read once, dropped). Every task loads into it
 * on a session of the target's pool (at most `max_connections`, shared by
 * the run's tables) in ONE transaction:
 *   create   BEGIN; the rows an earlier committed attempt of the task left
 *            (found by the transaction id recorded for it) are deleted;
 *            COPY staging FROM STDIN (FORMAT binary) - the sl_out handed to
 *            the sink forwards its bytes with PQputCopyData
 *   commit   failpoint task-file-synced; end of COPY; the server's "COPY n"
 *            must equal the rows sent (else the task fails: never retried
 *            into silence); the load is recorded in _sluice.loads (task,
 *            rows, transaction id) in the same transaction; COMMIT;
 *            failpoint task-commit
 *   discard  the COPY is abandoned and the transaction rolled back
 * A task is in the staging table exactly when its load record is: both
 * commit together, and a killed attempt's transaction dies with its session.
 * A task whose record committed but the state store never heard (a crash in
 * between) is redone by the engine; its earlier rows are deleted first (by
 * xmin), so no row is ever loaded twice.
 *
 * publish, one transaction (readers see the old table or the new one):
 *   replace (or a first load, or on_schema_change: recreate): the staging
 *            table is made LOGGED if it is not, gets the primary key (key:), the indexes
 *            (indexes:), ANALYZE, the old table's owner and grants; then the
 *            old table is renamed away, the staging table renamed into place
 *            and the old one dropped. Readers block on the renames' lock for
 *            the moment of the commit and then see the new table.
 *   append   INSERT INTO live SELECT ... FROM staging.
 *   merge    the staging table gets the key as primary key (duplicate or
 *            NULL keys: an error naming the key, nothing published); INSERT
 *            ... ON CONFLICT (key) DO UPDATE (rows that did not change are
 *            not rewritten); delete_missing: live rows whose key the new data
 *            lacks are deleted. The live table needs a unique index on key.
 *   The run is recorded in _sluice.published (job, run, start), so after a
 *   crash between this commit and the state store's record, `already` knows.
 *   Failpoints: publish:before-manifest (checks done, nothing begun),
 *   publish:before-exchange (all done, not committed), publish:after-exchange
 *   (committed), publish:before-cleanup (after ANALYZE of append/merge).
 *
 * Schema changes: the live table's columns (names, format_type) against the
 * mapped ones, checked before any task runs and again when publishing.
 * on_schema_change: fail (default) names every difference and the remedy;
 * add_columns adds new columns (nothing else); recreate replaces the table.
 *
 * Per run: lock takes a session-level advisory lock on (job, schema) on a
 * session of its own (one run of a job per warehouse schema); check_live
 * refuses write: replace over a live table this job never published.
 *
 * Bookkeeping lives in schema _sluice of the warehouse database: stages (the
 * staging table of each job/run/table), loads (per task) and published.
 * clean_stale drops the staging tables of this job's other runs.
 */
#include "sl_store_pg_int.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_failpoint.h"
#include "../core/sl_log.h"
#include "../sinks/sl_pg_encode.h"
#include "../sources/sl_pg_conn.h"
#include "sl_store_pg_detect.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* ---- a pool of sessions per target ------------------------------------ */

typedef struct sl_pgt_pool {
    const sl_job_target *target;
    int refs;
    int open;                  /* sessions handed out or idle */
    PGconn **idle;
    int nidle;
    pthread_cond_t freed;
    struct sl_pgt_pool *next;
} sl_pgt_pool;

static pthread_mutex_t sl_pgt_mu = PTHREAD_MUTEX_INITIALIZER;
static sl_pgt_pool *sl_pgt_pools;

static sl_pgt_pool *sl_pgt_pool_get(const sl_job_target *target)
{
    pthread_mutex_lock(&sl_pgt_mu);
    sl_pgt_pool *p = sl_pgt_pools;
    while (p && p->target != target) p = p->next;
    if (!p) {
        p = sl_calloc(1, sizeof *p);
        p->target = target;
        p->idle = sl_calloc((size_t)(target->max_connections > 0 ? target->max_connections : 1), sizeof *p->idle);
        pthread_cond_init(&p->freed, NULL);
        p->next = sl_pgt_pools;
        sl_pgt_pools = p;
    }
    p->refs++;
    pthread_mutex_unlock(&sl_pgt_mu);
    return p;
}

static void sl_pgt_pool_put(sl_pgt_pool *p)
{
    pthread_mutex_lock(&sl_pgt_mu);
    if (--p->refs > 0) {
        pthread_mutex_unlock(&sl_pgt_mu);
        return;
    }
    sl_pgt_pool **at = &sl_pgt_pools;
    while (*at != p) at = &(*at)->next;
    *at = p->next;
    pthread_mutex_unlock(&sl_pgt_mu);
    for (int i = 0; i < p->nidle; i++) PQfinish(p->idle[i]);
    pthread_cond_destroy(&p->freed);
    sl_free(p->idle);
    sl_free(p);
}

static void sl_pgt_who(const sl_job_target *t, char *out, size_t size) { snprintf(out, size, "target %s", t->name); }

/* A session of the target, waiting while `max_connections` are out. */
static PGconn *sl_pgt_acquire(sl_pgt_pool *p, const char *what, sl_err *err)
{
    int cap = p->target->max_connections > 0 ? p->target->max_connections : 1;
    pthread_mutex_lock(&sl_pgt_mu);
    while (p->nidle == 0 && p->open >= cap) pthread_cond_wait(&p->freed, &sl_pgt_mu);
    if (p->nidle > 0) {
        PGconn *c = p->idle[--p->nidle];
        pthread_mutex_unlock(&sl_pgt_mu);
        /* A session the server ended while it was idle (a restart) only shows
         * it once its input is read. */
        if (PQconsumeInput(c) && PQstatus(c) == CONNECTION_OK) return c;
        PQfinish(c);   /* a new one instead */
        pthread_mutex_lock(&sl_pgt_mu);
        p->open--;
    }
    p->open++;
    pthread_mutex_unlock(&sl_pgt_mu);
    char who[160];
    sl_pgt_who(p->target, who, sizeof who);
    PGconn *c = sl_pg_connect_url(p->target->url, who, 0, what, err);
    if (c) sl_pg_exec_ok(c, "SET client_min_messages = warning");
    if (!c) {
        pthread_mutex_lock(&sl_pgt_mu);
        p->open--;
        pthread_cond_signal(&p->freed);
        pthread_mutex_unlock(&sl_pgt_mu);
    }
    return c;
}

/* Back to the pool; a session still inside a transaction is rolled back,
 * a broken one closed. */
static void sl_pgt_release(sl_pgt_pool *p, PGconn *c)
{
    if (!c) return;
    if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE) sl_pg_exec_ok(c, "ROLLBACK");
    bool healthy = PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE;
    if (!healthy) PQfinish(c);
    pthread_mutex_lock(&sl_pgt_mu);
    if (healthy) p->idle[p->nidle++] = c;
    else p->open--;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&sl_pgt_mu);
}

/* ---- one table's staging area ------------------------------------------ */




/* "<prefix><run>_<hash>_<table>", at most 63 bytes (PostgreSQL's identifiers). */
static char *sl_pgt_name(const char *prefix, const sl_stage *sg)
{
    uLong h = crc32(0L, Z_NULL, 0);
    h = crc32(h, (const Bytef *)sg->job, (uInt)strlen(sg->job) + 1);
    h = crc32(h, (const Bytef *)sg->target->schema, (uInt)strlen(sg->target->schema) + 1);
    h = crc32(h, (const Bytef *)sg->table, (uInt)strlen(sg->table));
    char head[64];
    int n = snprintf(head, sizeof head, "%s%" PRId64 "_%08lx_", prefix, sg->run_id, (unsigned long)h);
    return sl_sprintf("%s%.*s", head, 63 - n, sg->table);
}

static char *sl_pgt_qualify(const char *schema, const char *name)
{
    char *s = sl_pg_quote_ident(schema), *n = sl_pg_quote_ident(name);
    char *q = sl_sprintf("%s.%s", s, n);
    sl_free(s);
    sl_free(n);
    return q;
}

/* A failed statement: the server's message (sl_pg_result_error), with its
 * DETAIL (which names a duplicated key) and CONTEXT (the COPY line). */
static int sl_pgt_fail(PGconn *c, const PGresult *res, const char *what, sl_err *err)
{
    sl_pg_result_error(c, res, what, err);
    static const int fields[] = { PG_DIAG_MESSAGE_DETAIL, PG_DIAG_CONTEXT };
    static const char *const names[] = { "detail", "where" };
    for (int i = 0; i < 2 && res; i++) {
        const char *v = PQresultErrorField(res, fields[i]);
        if (!v) continue;
        char clean[512];
        sl_redact(v, clean, sizeof clean);
        for (char *p = clean; *p; p++)
            if (*p == '\n') *p = ' ';
        size_t len = strlen(err->msg);
        snprintf(err->msg + len, sizeof err->msg - len, "; %s: %s", names[i], clean);
    }
    return -1;
}

int sl_pgt_cmd(PGconn *c, const char *sql, const char *what, sl_err *err)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : sl_pgt_fail(c, r, what, err);
    PQclear(r);
    return rc;
}

/* A statement with parameters; returns the result (PQclear it) or NULL. */
PGresult *sl_pgt_query(PGconn *c, const char *sql, int n, const char *const *params, const char *what,
                              sl_err *err)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
    sl_pgt_fail(c, r, what, err);
    PQclear(r);
    return NULL;
}

int sl_pgt_cmd_params(PGconn *c, const char *sql, int n, const char *const *params, const char *what,
                             sl_err *err)
{
    PGresult *r = sl_pgt_query(c, sql, n, params, what, err);
    PQclear(r);
    return r ? 0 : -1;
}

/* Whether a relation exists ("_sluice.loads"), -1 on error. */
int sl_pgt_exists(PGconn *c, const char *qualified, const char *what, sl_err *err)
{
    const char *p[] = { qualified };
    PGresult *r = sl_pgt_query(c, "SELECT to_regclass($1) IS NOT NULL", 1, p, what, err);
    if (!r) return -1;
    int yes = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return yes;
}

/* ---- columns ------------------------------------------------------------ */


static void sl_pgt_cols_free(sl_pgt_cols *c)
{
    for (int i = 0; i < c->n; i++) {
        sl_free(c->names[i]);
        sl_free(c->types[i]);
    }
    sl_free(c->names);
    sl_free(c->types);
    memset(c, 0, sizeof *c);
}

static void sl_pgt_cols_add(sl_pgt_cols *c, const char *name, const char *type)
{
    c->names = sl_realloc(c->names, sizeof *c->names * (size_t)(c->n + 1));
    c->types = sl_realloc(c->types, sizeof *c->types * (size_t)(c->n + 1));
    c->names[c->n] = sl_strdup(name);
    c->types[c->n] = sl_strdup(type);
    c->n++;
}

/* The columns sluice maps the table's schema to, as format_type prints them
 * (sl_pg_encode_type_sql names time and timestamps the short way). */
static void sl_pgt_cols_wanted(const sl_schema *schema, sl_pgt_cols *out)
{
    memset(out, 0, sizeof *out);
    out->exists = true;
    for (int i = 0; i < schema->ncols; i++) {
        char buf[64];
        const char *t = sl_pg_encode_type_sql(schema->fields[i].type, buf, sizeof buf);
        if (!strcmp(t, "timestamptz")) t = "timestamp with time zone";
        else if (!strcmp(t, "timestamp")) t = "timestamp without time zone";
        else if (!strcmp(t, "time")) t = "time without time zone";
        sl_pgt_cols_add(out, schema->fields[i].name, t);
    }
}

static int sl_pgt_cols_read(PGconn *c, const char *qualified, sl_pgt_cols *out, const char *what, sl_err *err)
{
    memset(out, 0, sizeof *out);
    const char *p[] = { qualified };
    PGresult *r = sl_pgt_query(c,
        "SELECT r.oid IS NOT NULL, a.attname, format_type(a.atttypid, a.atttypmod) "
        "FROM (SELECT to_regclass($1)::oid AS oid) r "
        "LEFT JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "ORDER BY a.attnum", 1, p, what, err);
    if (!r) return -1;
    out->exists = PQgetvalue(r, 0, 0)[0] == 't';
    for (int i = 0; out->exists && i < PQntuples(r); i++)
        if (!PQgetisnull(r, i, 1)) sl_pgt_cols_add(out, PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
    PQclear(r);
    return 0;
}

static int sl_pgt_cols_find(const sl_pgt_cols *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->names[i], name)) return i;
    return -1;
}


static void sl_pgt_diff_free(sl_pgt_diff *d)
{
    sl_free(d->added);
    sl_buf_free(&d->text);
    memset(d, 0, sizeof *d);
}

static void sl_pgt_diff_of(const sl_pgt_cols *want, const sl_pgt_cols *live, sl_pgt_diff *d)
{
    memset(d, 0, sizeof *d);
    d->added = sl_calloc((size_t)(want->n ? want->n : 1), sizeof *d->added);
    for (int i = 0; i < want->n; i++) {
        int j = sl_pgt_cols_find(live, want->names[i]);
        if (j < 0) {
            d->added[d->nadded++] = i;
            sl_buf_printf(&d->text, "%scolumn %s is new in the source (%s)", d->text.len ? "; " : "",
                           want->names[i], want->types[i]);
        } else if (strcmp(live->types[j], want->types[i])) {
            d->nchanged++;
            sl_buf_printf(&d->text, "%scolumn %s changed type: %s in the warehouse, %s from the source",
                           d->text.len ? "; " : "", want->names[i], live->types[j], want->types[i]);
        }
    }
    for (int j = 0; j < live->n; j++)
        if (sl_pgt_cols_find(want, live->names[j]) < 0) {
            d->nremoved++;
            sl_buf_printf(&d->text, "%scolumn %s (%s) is no longer in the source", d->text.len ? "; " : "",
                           live->names[j], live->types[j]);
        }
    sl_buf_push(&d->text, 0);
    d->text.len--;
}

/* Whether the job's on_schema_change allows the difference; the error says
 * what changed and how to allow it. */
static int sl_pgt_diff_allowed(const sl_stage *sg, const sl_pgt_diff *d, sl_err *err)
{
    if (!d->nadded && !d->nchanged && !d->nremoved) return 0;
    sl_schema_change mode = sg->cfg->on_schema_change;
    if (mode == SL_SCHEMA_RECREATE) return 0;
    if (mode == SL_SCHEMA_ADD_COLUMNS && !d->nchanged && !d->nremoved) return 0;
    sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    const char *remedy = d->nchanged || d->nremoved
        ? "to allow it, set on_schema_change: recreate on the table (the warehouse table is dropped and created "
          "again from this run's data)"
        : "to allow it, set on_schema_change: add_columns on the table (new columns are added to the warehouse "
          "table) or recreate (it is dropped and created again from this run's data)";
    return sl_err_set(err, SL_ETYPE, "%s: the columns of %s differ from the source's: %s; nothing was loaded or "
                      "published (on_schema_change: %s); %s", pg->who, pg->display, (const char *)d->text.data,
                      sl_schema_change_name(mode), remedy);
}

/* ---- bookkeeping and the staging table ----------------------------------- */

/* The target schema and _sluice exist and may be written; errors name the
 * privilege and the GRANT that gives it. Runs inside a transaction. */
static int sl_pgt_setup(PGconn *c, const sl_stage *sg, sl_err *err)
{
    const sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    const char *schema = sg->target->schema;
    const char *p[] = { schema };
    PGresult *r = sl_pgt_query(c,
        "SELECT current_user, current_database(), n.oid IS NOT NULL, "
        "coalesce(has_schema_privilege(n.oid, 'CREATE'), false), "
        "has_database_privilege(current_database(), 'CREATE'), s.oid IS NOT NULL, "
        "EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = s.oid AND c.relname = 'published'), "
        "coalesce(has_schema_privilege(s.oid, 'USAGE'), false) "
        "FROM (SELECT 1) one LEFT JOIN pg_namespace n ON n.nspname = $1 "
        "LEFT JOIN pg_namespace s ON s.nspname = '_sluice'", 1, p, pg->who, err);
    if (!r) return -1;
    char user[128], db[128];
    snprintf(user, sizeof user, "%s", PQgetvalue(r, 0, 0));
    snprintf(db, sizeof db, "%s", PQgetvalue(r, 0, 1));
    bool has_schema = PQgetvalue(r, 0, 2)[0] == 't', create_in_schema = PQgetvalue(r, 0, 3)[0] == 't';
    bool create_in_db = PQgetvalue(r, 0, 4)[0] == 't', has_sluice = PQgetvalue(r, 0, 5)[0] == 't';
    bool has_tables = PQgetvalue(r, 0, 6)[0] == 't', use_sluice = PQgetvalue(r, 0, 7)[0] == 't';
    PQclear(r);
    if (!has_schema && !create_in_db)
        return sl_err_set(err, SL_ESOURCE, "%s: schema %s does not exist in database %s and user %s may not create "
                          "it; create it (CREATE SCHEMA %s AUTHORIZATION %s) or set the target's schema to one that "
                          "exists", pg->who, schema, db, user, schema, user);
    if (has_schema && !create_in_schema)
        return sl_err_set(err, SL_ESOURCE, "%s: user %s may not create tables in schema %s of database %s; grant "
                          "it: GRANT CREATE ON SCHEMA %s TO %s", pg->who, user, schema, db, schema, user);
    if (!has_sluice && !create_in_db)
        return sl_err_set(err, SL_ESOURCE, "%s: user %s may not create sluice's bookkeeping schema _sluice in "
                          "database %s; grant it (GRANT CREATE ON DATABASE %s TO %s) or have an administrator run "
                          "CREATE SCHEMA _sluice AUTHORIZATION %s", pg->who, user, db, db, user, user);
    if (has_sluice && !use_sluice)
        return sl_err_set(err, SL_ESOURCE, "%s: user %s may not use sluice's bookkeeping schema _sluice in database "
                          "%s; grant it: GRANT USAGE ON SCHEMA _sluice TO %s; GRANT SELECT, INSERT, UPDATE, DELETE ON "
                          "ALL TABLES IN SCHEMA _sluice TO %s", pg->who, user, db, user, user);
    /* Two runs creating the same objects at once would collide in the catalog. */
    if (sl_pgt_cmd(c, "SELECT pg_advisory_xact_lock(7311525990418270)", pg->who, err) < 0) return -1;
    if (!has_schema) {
        char *q = sl_pg_quote_ident(schema), *sql = sl_sprintf("CREATE SCHEMA IF NOT EXISTS %s", q);
        int rc = sl_pgt_cmd(c, sql, pg->who, err);
        sl_free(q);
        sl_free(sql);
        if (rc < 0) return -1;
    }
    static const char *const ddl[] = {
        "CREATE SCHEMA IF NOT EXISTS _sluice",
        "CREATE TABLE IF NOT EXISTS _sluice.stages (job text NOT NULL, run_id bigint NOT NULL, "
        "schema_name text NOT NULL, tbl text NOT NULL, stage_name text NOT NULL, run_started double precision NOT NULL, "
        "created timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (job, run_id, schema_name, tbl))",
        "CREATE TABLE IF NOT EXISTS _sluice.loads (job text NOT NULL, run_id bigint NOT NULL, "
        "schema_name text NOT NULL, tbl text NOT NULL, task text NOT NULL, rows bigint NOT NULL, "
        "xid bigint NOT NULL, loaded timestamptz NOT NULL DEFAULT now(), "
        "PRIMARY KEY (job, run_id, schema_name, tbl, task))",
        "CREATE TABLE IF NOT EXISTS _sluice.published (job text NOT NULL, run_id bigint NOT NULL, "
        "schema_name text NOT NULL, tbl text NOT NULL, run_started double precision NOT NULL, "
        "write_mode text NOT NULL, rows bigint NOT NULL, published timestamptz NOT NULL DEFAULT now(), "
        "receipt text, PRIMARY KEY (job, run_id, schema_name, tbl))",
    };
    /* Made once, together; a user without CREATE on _sluice may still use them. */
    for (size_t i = 0; !has_tables && i < sizeof ddl / sizeof ddl[0]; i++)
        if (sl_pgt_cmd(c, ddl[i], pg->who, err) < 0) return -1;
    /* The load receipt column, added to a bookkeeping table made by a sluice before receipts. */
    if (has_tables) {
        r = sl_pgt_query(c, "SELECT count(*) FROM pg_attribute WHERE attrelid = '_sluice.published'::regclass "
                         "AND attname = 'receipt' AND NOT attisdropped", 0, NULL, pg->who, err);
        if (!r) return -1;
        bool has_receipt = strcmp(PQgetvalue(r, 0, 0), "0") != 0;
        PQclear(r);
        if (!has_receipt && sl_pgt_cmd(c, "ALTER TABLE _sluice.published ADD COLUMN IF NOT EXISTS receipt text",
                                       pg->who, err) < 0) {
            sl_err_prefix(err, "adding the receipt column to _sluice.published (its owner may run it)");
            return -1;
        }
    }
    return 0;
}

void sl_pgt_key_params(const sl_stage *sg, const char **p)
{
    const sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    p[0] = sg->job;
    p[1] = pg->run;
    p[2] = sg->target->schema;
    p[3] = sg->table;
}

/* CREATE [UNLOGGED] TABLE staging (mapped columns), recorded in _sluice.stages. */
static int sl_pgt_stage_create(PGconn *c, const sl_stage *sg, sl_err *err)
{
    const sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    sl_buf sql = { 0 };
    sl_staging_mode mode = sg->target->staging;
    bool unlogged = mode == SL_STAGING_UNLOGGED || (mode == SL_STAGING_AUTO && sg->cfg->write != SL_WRITE_REPLACE);
    sl_buf_printf(&sql, "CREATE %sTABLE IF NOT EXISTS %s (", unlogged ? "UNLOGGED " : "",
                   pg->stage);
    for (int i = 0; i < sg->schema->ncols; i++) {
        const sl_field *f = &sg->schema->fields[i];
        char buf[64], *q = sl_pg_quote_ident(f->name);
        sl_buf_printf(&sql, "%s%s %s%s", i ? ", " : "", q, sl_pg_encode_type_sql(f->type, buf, sizeof buf),
                       f->nullable ? "" : " NOT NULL");
        sl_free(q);
    }
    sl_buf_printf(&sql, ")");
    int rc = sl_pgt_cmd(c, (const char *)sql.data, pg->who, err);
    sl_buf_free(&sql);
    const char *p[6];
    sl_pgt_key_params(sg, p);
    p[4] = pg->stage_name;
    p[5] = pg->started;
    if (rc == 0)
        rc = sl_pgt_cmd_params(c, "INSERT INTO _sluice.stages (job, run_id, schema_name, tbl, stage_name, run_started) "
                               "VALUES ($1, $2::bigint, $3, $4, $5, $6::float8) ON CONFLICT DO NOTHING", 6, p, pg->who,
                               err);
    return rc;
}

/* Drops the staging table and its bookkeeping rows (inside a transaction). */
static int sl_pgt_stage_drop(PGconn *c, const sl_stage *sg, sl_err *err)
{
    const sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    char *sql = sl_sprintf("DROP TABLE IF EXISTS %s", pg->stage);
    int rc = sl_pgt_cmd(c, sql, pg->who, err);
    sl_free(sql);
    const char *p[4];
    sl_pgt_key_params(sg, p);
    if (rc == 0) rc = sl_pgt_cmd_params(c, "DELETE FROM _sluice.loads WHERE " SL_PGT_KEY, 4, p, pg->who, err);
    if (rc == 0) rc = sl_pgt_cmd_params(c, "DELETE FROM _sluice.stages WHERE " SL_PGT_KEY, 4, p, pg->who, err);
    return rc;
}

/* Staging of the same job, run id and table by another run (a state store
 * that was deleted starts its run ids again): not this run's; dropped. */
static int sl_pgt_stage_foreign(PGconn *c, const sl_stage *sg, sl_err *err)
{
    const sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    const char *p[5];
    sl_pgt_key_params(sg, p);
    p[4] = pg->started;
    PGresult *r = sl_pgt_query(c, "SELECT count(*) FROM _sluice.stages WHERE " SL_PGT_KEY
                               " AND abs(run_started - $5::float8) >= 0.00001", 5, p, pg->who, err);
    if (!r) return -1;
    bool foreign = atoi(PQgetvalue(r, 0, 0)) > 0;
    PQclear(r);
    if (!foreign) return 0;
    sl_log(SL_LOG_INFO, "%s: %s: dropping the staging table another run with the same id left", pg->who, pg->display);
    return sl_pgt_stage_drop(c, sg, err);
}

/* Whether the live table has a unique index on exactly the key columns. */
int sl_pgt_has_unique_key(PGconn *c, const sl_stage *sg, sl_err *err)
{
    const sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    const sl_job_table *cfg = sg->cfg;
    sl_buf sql = { 0 };
    sl_buf_printf(&sql, "SELECT count(*) FROM pg_index i WHERE i.indrelid = to_regclass($1) AND i.indisunique "
                   "AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indnkeyatts = %d AND (SELECT "
                   "array_agg(a.attname::text) FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = "
                   "ANY ((i.indkey::int2[])[0:i.indnkeyatts - 1])) @> ARRAY[", cfg->nkey);
    const char **p = sl_calloc((size_t)cfg->nkey + 1, sizeof *p);
    p[0] = pg->live;
    for (int i = 0; i < cfg->nkey; i++) {
        sl_buf_printf(&sql, "%s$%d::text", i ? ", " : "", i + 2);
        p[i + 1] = cfg->key[i];
    }
    sl_buf_printf(&sql, "]");
    PGresult *r = sl_pgt_query(c, (const char *)sql.data, cfg->nkey + 1, p, pg->who, err);
    sl_buf_free(&sql);
    sl_free(p);
    if (!r) return -1;
    int yes = atoi(PQgetvalue(r, 0, 0)) > 0;
    PQclear(r);
    return yes;
}

/* "a, b" quoted, with an optional prefix per column ("s." / "EXCLUDED."). */
void sl_pgt_col_list(sl_buf *b, char *const *names, int n, const char *prefix)
{
    for (int i = 0; i < n; i++) {
        char *q = sl_pg_quote_ident(names[i]);
        sl_buf_printf(b, "%s%s%s", i ? ", " : "", prefix, q);
        sl_free(q);
    }
}

char *sl_pgt_key_text(const sl_job_table *cfg)
{
    sl_buf b = { 0 };
    for (int i = 0; i < cfg->nkey; i++) sl_buf_printf(&b, "%s%s", i ? ", " : "", cfg->key[i]);
    sl_buf_push(&b, 0);
    return (char *)b.data;
}

/* Key and index columns must be columns of the table. */
static int sl_pgt_check_columns(const sl_stage *sg, sl_err *err)
{
    const sl_job_table *cfg = sg->cfg;
    const sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    for (int k = -1; k < cfg->nindexes; k++) {
        char **cols = k < 0 ? cfg->key : cfg->indexes[k].cols;
        int n = k < 0 ? cfg->nkey : cfg->indexes[k].ncols;
        for (int i = 0; i < n; i++) {
            bool found = false;
            for (int c = 0; c < sg->schema->ncols && !found; c++) found = !strcmp(sg->schema->fields[c].name, cols[i]);
            if (found) continue;
            sl_buf have = { 0 };
            for (int c = 0; c < sg->schema->ncols; c++)
                sl_buf_printf(&have, "%s%s", c ? ", " : "", sg->schema->fields[c].name);
            sl_err_set(err, SL_EJOB, "%s: %s column '%s' is not a column of the table (it has: %s); fix key: or "
                       "indexes: in the job file", pg->who, k < 0 ? "key" : "index", cols[i], (const char *)have.data);
            sl_buf_free(&have);
            return -1;
        }
    }
    return 0;
}

/* ---- the store operations ------------------------------------------------ */

static int sl_pgt_stage_open(sl_stage *sg, sl_err *err)
{
    if (strlen(sg->table) > 63)
        return sl_err_set(err, SL_EJOB, "target %s: table name '%s' is longer than PostgreSQL's 63-byte "
                          "identifiers; rename the table in the job file", sg->target->name, sg->table);
    sl_pgt *pg = sl_calloc(1, sizeof *pg);
    sl_pgt_who(sg->target, pg->who, sizeof pg->who);
    snprintf(pg->run, sizeof pg->run, "%" PRId64, sg->run_id);
    snprintf(pg->started, sizeof pg->started, "%.6f", sg->run_started);
    pg->live_name = sl_strdup(sg->table);
    pg->live = sl_pgt_qualify(sg->target->schema, sg->table);
    pg->display = sl_sprintf("%s.%s", sg->target->schema, sg->table);
    pg->stage_name = sl_pgt_name("_sl_", sg);
    pg->stage = sl_pgt_qualify(sg->target->schema, pg->stage_name);
    pg->old_name = sl_pgt_name("_sl_old_", sg);
    pg->pool = sl_pgt_pool_get(sg->target);
    sg->impl = pg;
    sg->where = sl_sprintf("%s.%s (target %s)", sg->target->schema, sg->table, sg->target->name);
    return 0;
}

static void sl_pgt_stage_close(sl_stage *sg)
{
    sl_pgt *pg = sg->impl;
    if (pg) {
        sl_pgt_pool_put(pg->pool);
        sl_free(pg->live_name);
        sl_free(pg->live);
        sl_free(pg->display);
        sl_free(pg->stage_name);
        sl_free(pg->stage);
        sl_free(pg->old_name);
        sl_free(pg->xids);
        sl_free(pg->xid_rows);
        sl_free(pg);
    }
    sl_free(sg->where);
    sg->impl = NULL;
    sg->where = NULL;
}

/* Before any task: bookkeeping, the schema check against the live table,
 * the merge key's unique index, and the staging table (made again when an
 * earlier session of the run staged other columns). */
static int sl_pgt_ready(sl_stage *sg, sl_err *err)
{
    sl_pgt *pg = sl_pgt_of(sg);
    if (sl_pgt_check_columns(sg, err) < 0) return -1;
    PGconn *c = sl_pgt_acquire(pg->pool, pg->who, err);
    if (!c) return -1;
    sl_pgt_cols want, live = { 0 }, staged = { 0 };
    sl_pgt_cols_wanted(sg->schema, &want);
    int rc = sl_pgt_cmd(c, "BEGIN", pg->who, err);
    if (rc == 0) rc = sl_pgt_setup(c, sg, err);
    if (rc == 0) rc = sl_pgt_cols_read(c, pg->live, &live, pg->who, err);
    if (rc == 0 && live.exists) {
        sl_pgt_diff d;
        sl_pgt_diff_of(&want, &live, &d);
        rc = sl_pgt_diff_allowed(sg, &d, err);
        bool recreate = d.nadded + d.nchanged + d.nremoved > 0 && sg->cfg->on_schema_change == SL_SCHEMA_RECREATE;
        sl_pgt_diff_free(&d);
        if (rc == 0 && sg->cfg->write == SL_WRITE_MERGE && !recreate) {
            int has = sl_pgt_has_unique_key(c, sg, err);
            if (has < 0) {
                rc = -1;
            } else if (!has) {
                char *key = sl_pgt_key_text(sg->cfg);
                rc = sl_err_set(err, SL_ESOURCE, "%s: write: merge matches rows by key (%s), but %s has no unique "
                                "index on exactly those columns; create one (CREATE UNIQUE INDEX ON %s (%s)) or "
                                "fix key: in the job file", pg->who, key, pg->display, pg->display, key);
                sl_free(key);
            }
        }
    }
    if (rc == 0) rc = sl_pgt_stage_foreign(c, sg, err);
    if (rc == 0) rc = sl_pgt_cols_read(c, pg->stage, &staged, pg->who, err);
    if (rc == 0 && staged.exists) {
        sl_pgt_diff d;
        sl_pgt_diff_of(&want, &staged, &d);
        if (d.nadded + d.nchanged + d.nremoved) {
            sl_log(SL_LOG_INFO, "%s: %s: the staged columns differ from the source's now; staging again",
                   pg->who, pg->display);
            rc = sl_pgt_stage_drop(c, sg, err);
        }
        sl_pgt_diff_free(&d);
    }
    if (rc == 0) rc = sl_pgt_stage_create(c, sg, err);
    if (rc == 0) rc = sl_pgt_cmd(c, "COMMIT", pg->who, err);
    sl_pgt_cols_free(&want);
    sl_pgt_cols_free(&live);
    sl_pgt_cols_free(&staged);
    sl_pgt_release(pg->pool, c);
    return rc;
}

static int sl_pgt_already(sl_stage *sg, sl_err *err)
{
    sl_pgt *pg = sl_pgt_of(sg);
    PGconn *c = sl_pgt_acquire(pg->pool, pg->who, err);
    if (!c) return -1;
    int rc = sl_pgt_exists(c, "_sluice.published", pg->who, err);
    if (rc == 1) {
        const char *p[5];
        sl_pgt_key_params(sg, p);
        p[4] = pg->started;
        PGresult *r = sl_pgt_query(c, "SELECT count(*) FROM _sluice.published WHERE " SL_PGT_KEY
                                   " AND abs(run_started - $5::float8) < 0.00001", 5, p, pg->who, err);
        rc = r ? atoi(PQgetvalue(r, 0, 0)) > 0 : -1;
        PQclear(r);
    }
    sl_pgt_release(pg->pool, c);
    return rc;
}

/* Nothing half-written survives a killed attempt: its transaction died with it. */
static int sl_pgt_tidy(sl_stage *sg, int *removed, sl_err *err)
{
    (void)sg; (void)err;
    if (removed) *removed = 0;
    return 0;
}

/* Rows per loading transaction in the staging table, read once per resume. */
static int sl_pgt_read_xids(PGconn *c, sl_pgt *pg, sl_err *err)
{
    if (pg->have_xids) return 0;
    char *sql = sl_sprintf("SELECT xmin::text::bigint, count(*) FROM %s GROUP BY 1", pg->stage);
    PGresult *r = sl_pgt_query(c, sql, 0, NULL, pg->who, err);
    sl_free(sql);
    if (!r) return -1;
    pg->nxids = PQntuples(r);
    pg->xids = sl_calloc((size_t)(pg->nxids ? pg->nxids : 1), sizeof *pg->xids);
    pg->xid_rows = sl_calloc((size_t)(pg->nxids ? pg->nxids : 1), sizeof *pg->xid_rows);
    for (int i = 0; i < pg->nxids; i++) {
        pg->xids[i] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        pg->xid_rows[i] = strtoll(PQgetvalue(r, i, 1), NULL, 10);
    }
    PQclear(r);
    pg->have_xids = true;
    return 0;
}

/* A task recorded done: its load is recorded with the same rows, and the
 * staging table holds exactly that many rows of its transaction (an
 * UNLOGGED staging table is emptied when the warehouse recovers from a
 * crash). */
static int sl_pgt_check(sl_stage *sg, const sl_store_file *f, sl_err *err)
{
    sl_pgt *pg = sl_pgt_of(sg);
    PGconn *c = sl_pgt_acquire(pg->pool, pg->who, err);
    if (!c) return -1;
    const char *p[5];
    sl_pgt_key_params(sg, p);
    p[4] = f->name;
    int rc = 0;
    PGresult *r = sl_pgt_query(c, "SELECT rows, xid FROM _sluice.loads WHERE " SL_PGT_KEY " AND task = $5", 5, p,
                               pg->who, err);
    if (!r) {
        rc = -1;
    } else if (PQntuples(r) == 1 && strtoll(PQgetvalue(r, 0, 0), NULL, 10) == f->rows) {
        int64_t xid = strtoll(PQgetvalue(r, 0, 1), NULL, 10), found = 0;
        if (sl_pgt_read_xids(c, pg, err) < 0) {
            rc = -1;
        } else {
            for (int i = 0; i < pg->nxids; i++)
                if (pg->xids[i] == xid) found = pg->xid_rows[i];
            rc = found == f->rows;
        }
    }
    PQclear(r);
    sl_pgt_release(pg->pool, c);
    return rc;
}

static int sl_pgt_reset(sl_stage *sg, sl_err *err)
{
    sl_pgt *pg = sl_pgt_of(sg);
    PGconn *c = sl_pgt_acquire(pg->pool, pg->who, err);
    if (!c) return -1;
    int rc = sl_pgt_cmd(c, "BEGIN", pg->who, err);
    if (rc == 0) rc = sl_pgt_stage_drop(c, sg, err);
    if (rc == 0) rc = sl_pgt_stage_create(c, sg, err);
    if (rc == 0) rc = sl_pgt_cmd(c, "COMMIT", pg->who, err);
    sl_pgt_release(pg->pool, c);
    sl_free(pg->xids);
    sl_free(pg->xid_rows);
    pg->xids = pg->xid_rows = NULL;
    pg->have_xids = false;
    return rc;
}

/* One task's load: its session, inside a transaction, in COPY IN. */
typedef struct sl_pgt_load {
    sl_stage *sg;
    PGconn *conn;
    char task[64];
} sl_pgt_load;

static int sl_pgt_load_write(sl_out *o, const void *p, size_t n, sl_err *err)
{
    sl_pgt_load *ld = o->backend;
    const char *at = p;
    while (n > 0) {   /* PQputCopyData takes an int length */
        int chunk = n > (1u << 30) ? 1 << 30 : (int)n;
        if (PQputCopyData(ld->conn, at, chunk) != 1)
            return sl_pgt_fail(ld->conn, NULL, "sending rows to the warehouse", err);
        at += chunk;
        n -= (size_t)chunk;
    }
    return 0;
}

static int sl_pgt_load_flush(sl_out *o, bool sync, sl_err *err)
{
    (void)o; (void)sync; (void)err;
    return 0;
}

/* The session stays with the load: commit and discard end the transaction. */
static int sl_pgt_load_close(sl_out *o, sl_err *err)
{
    (void)o; (void)err;
    return 0;
}

static const sl_out_ops sl_pgt_load_ops = { sl_pgt_load_write, sl_pgt_load_flush, sl_pgt_load_close };

/* Ends the COPY (abandoned when `abandon`), returns its row count or -1. */
static int64_t sl_pgt_copy_end(PGconn *c, bool abandon, const char *what, sl_err *err)
{
    if (PQputCopyEnd(c, abandon ? "abandoned by sluice" : NULL) != 1) {
        sl_pgt_fail(c, NULL, what, err);
        return -1;
    }
    int64_t rows = -1;
    PGresult *r;
    while ((r = PQgetResult(c))) {
        if (PQresultStatus(r) == PGRES_COMMAND_OK) rows = strtoll(PQcmdTuples(r), NULL, 10);
        else if (!abandon && rows < 0 && !sl_err_is_set(err)) sl_pgt_fail(c, r, what, err);
        PQclear(r);
        if (PQstatus(c) != CONNECTION_OK) break;
    }
    if (rows < 0 && !abandon && !sl_err_is_set(err)) sl_pgt_fail(c, NULL, what, err);
    return rows;
}

static sl_out *sl_pgt_create(sl_stage *sg, const char *name, sl_err *err)
{
    sl_pgt *pg = sl_pgt_of(sg);
    char what[256];
    snprintf(what, sizeof what, "%s: loading %s into %s", pg->who, name, pg->stage);
    PGconn *c = sl_pgt_acquire(pg->pool, what, err);
    if (!c) return NULL;
    const char *p[5];
    sl_pgt_key_params(sg, p);
    p[4] = name;
    int rc = sl_pgt_cmd(c, "BEGIN", what, err);
    PGresult *r = rc == 0 ? sl_pgt_query(c, "SELECT xid FROM _sluice.loads WHERE " SL_PGT_KEY " AND task = $5 "
                                         "FOR UPDATE", 5, p, what, err) : NULL;
    if (!r) rc = -1;
    if (rc == 0 && PQntuples(r) == 1) {
        /* An earlier attempt committed but the state store never heard: its rows go first. */
        char *sql = sl_sprintf("DELETE FROM %s WHERE xmin::text::bigint = %lld", pg->stage,
                               strtoll(PQgetvalue(r, 0, 0), NULL, 10));
        rc = sl_pgt_cmd(c, sql, what, err);
        sl_free(sql);
        if (rc == 0)
            rc = sl_pgt_cmd_params(c, "DELETE FROM _sluice.loads WHERE " SL_PGT_KEY " AND task = $5", 5, p, what, err);
        if (rc == 0) sl_log(SL_LOG_INFO, "%s: %s: rows of an earlier attempt of %s removed", pg->who, pg->display, name);
    }
    PQclear(r);
    if (rc == 0) {
        char *sql = sl_sprintf("COPY %s FROM STDIN (FORMAT binary)", pg->stage);
        r = PQexec(c, sql);
        sl_free(sql);
        if (!r || PQresultStatus(r) != PGRES_COPY_IN) rc = sl_pgt_fail(c, r, what, err);
        PQclear(r);
    }
    if (rc < 0) {
        sl_pgt_release(pg->pool, c);
        return NULL;
    }
    sl_pgt_load *ld = sl_calloc(1, sizeof *ld);
    ld->sg = sg;
    ld->conn = c;
    snprintf(ld->task, sizeof ld->task, "%s", name);
    return sl_out_new(&sl_pgt_load_ops, ld, what);
}

static void sl_pgt_load_end(sl_pgt_load *ld, bool abandon)
{
    sl_pgt *pg = sl_pgt_of(ld->sg);
    if (abandon && PQstatus(ld->conn) == CONNECTION_OK && PQtransactionStatus(ld->conn) == PQTRANS_ACTIVE) {
        sl_err ignored = SL_ERR_INIT;
        sl_pgt_copy_end(ld->conn, true, pg->who, &ignored);
    }
    sl_pgt_release(pg->pool, ld->conn);   /* rolls back what is not committed */
    sl_free(ld);
}

static int sl_pgt_commit(sl_stage *sg, sl_out *out, sl_store_file *f, sl_err *err)
{
    sl_pgt *pg = sl_pgt_of(sg);
    sl_pgt_load *ld = out->backend;
    PGconn *c = ld->conn;
    f->bytes = (int64_t)sl_out_tell(out);
    f->crc32 = out->crc;
    char what[256];
    snprintf(what, sizeof what, "%s: loading %s into %s", pg->who, f->name, pg->stage);
    int rc = sl_out_close(out, false, err);
    if (rc == 0) rc = sl_failpoint(SL_FP_TASK_FILE_SYNCED, err);
    if (rc == 0) {
        int64_t stored = sl_pgt_copy_end(c, false, what, err);
        if (stored < 0) {
            rc = -1;
        } else if (stored != f->rows) {
            rc = sl_err_set(err, SL_EINTERNAL, "%s: the warehouse stored %lld rows, sluice sent %lld; the task fails "
                            "(please report this)", what, (long long)stored, (long long)f->rows);
        }
    } else {
        sl_pgt_load_end(ld, true);
        return -1;
    }
    char rows[24];
    snprintf(rows, sizeof rows, "%" PRId64, f->rows);
    const char *p[6];
    sl_pgt_key_params(sg, p);
    p[4] = f->name;
    p[5] = rows;
    if (rc == 0)
        rc = sl_pgt_cmd_params(c, "INSERT INTO _sluice.loads (job, run_id, schema_name, tbl, task, rows, xid) "
                               "VALUES ($1, $2::bigint, $3, $4, $5, $6::bigint, txid_current() % 4294967296)", 6, p,
                               what, err);
    if (rc == 0) rc = sl_pgt_cmd(c, "COMMIT", what, err);
    sl_pgt_load_end(ld, rc < 0);
    if (rc == 0) rc = sl_failpoint(SL_FP_TASK_COMMIT, err);
    return rc;
}

static void sl_pgt_discard(sl_stage *sg, const char *name, sl_out *out)
{
    (void)sg; (void)name;
    if (!out) return;
    sl_pgt_load *ld = out->backend;
    sl_out_abort(out);
    sl_pgt_load_end(ld, true);
}

/* ---- publish ------------------------------------------------------------- */

/* Renames sluice's indexes of the new live table from the staging name to
 * the live one ("_sl_12_ab_orders_pkey" -> "orders_pkey") when that name is free. */
static int sl_pgt_rename_indexes(PGconn *c, const sl_stage *sg, sl_err *err)
{
    const sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    const char *p[] = { pg->live };
    PGresult *r = sl_pgt_query(c, "SELECT x.relname FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid "
                               "WHERE i.indrelid = to_regclass($1)", 1, p, pg->who, err);
    if (!r) return -1;
    int rc = 0;
    size_t sn = strlen(pg->stage_name);
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        const char *name = PQgetvalue(r, i, 0);
        if (strncmp(name, pg->stage_name, sn)) continue;
        char *to = sl_sprintf("%s%s", pg->live_name, name + sn);
        char *from_q = sl_pgt_qualify(sg->target->schema, name), *to_q = sl_pgt_qualify(sg->target->schema, to);
        int free_name = strlen(to) <= 63 ? sl_pgt_exists(c, to_q, pg->who, err) : 1;
        if (free_name < 0) rc = -1;
        else if (free_name == 0) {
            char *tq = sl_pg_quote_ident(to), *sql = sl_sprintf("ALTER INDEX %s RENAME TO %s", from_q, tq);
            rc = sl_pgt_cmd(c, sql, pg->who, err);
            sl_free(tq);
            sl_free(sql);
        }
        sl_free(to);
        sl_free(from_q);
        sl_free(to_q);
    }
    PQclear(r);
    return rc;
}

/* The old table's owner and grants onto the staging table. */
static int sl_pgt_copy_grants(PGconn *c, const sl_stage *sg, sl_err *err)
{
    const sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    const char *p[] = { pg->live };
    PGresult *r = sl_pgt_query(c,
        "SELECT CASE WHEN c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user) "
        "THEN quote_ident(pg_get_userbyid(c.relowner)) END, a.privilege_type, "
        "CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END, a.is_grantable "
        "FROM pg_class c LEFT JOIN LATERAL aclexplode(c.relacl) a ON a.grantee <> c.relowner "
        "WHERE c.oid = to_regclass($1)", 1, p, pg->who, err);
    if (!r) return -1;
    int rc = 0;
    if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0)) {
        char *sql = sl_sprintf("ALTER TABLE %s OWNER TO %s", pg->stage, PQgetvalue(r, 0, 0));
        rc = sl_pgt_cmd(c, sql, pg->who, err);
        sl_free(sql);
    }
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        if (PQgetisnull(r, i, 1)) continue;
        char *sql = sl_sprintf("GRANT %s ON %s TO %s%s", PQgetvalue(r, i, 1), pg->stage, PQgetvalue(r, i, 2),
                               PQgetvalue(r, i, 3)[0] == 't' ? " WITH GRANT OPTION" : "");
        rc = sl_pgt_cmd(c, sql, pg->who, err);
        sl_free(sql);
    }
    PQclear(r);
    return rc;
}

/* Index and key statements on the staging table ("ALTER TABLE s ADD PRIMARY KEY (id)"). */
int sl_pgt_add_key(PGconn *c, const sl_stage *sg, sl_err *err)
{
    const sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    const sl_job_table *cfg = sg->cfg;
    if (!cfg->nkey) return 0;
    sl_buf sql = { 0 };
    sl_buf_printf(&sql, "ALTER TABLE %s ADD PRIMARY KEY (", pg->stage);
    sl_pgt_col_list(&sql, cfg->key, cfg->nkey, "");
    sl_buf_printf(&sql, ")");
    char *key = sl_pgt_key_text(cfg), *what = sl_sprintf("%s: %s: key (%s) of the new rows", pg->who, pg->display, key);
    int rc = sl_pgt_cmd(c, (const char *)sql.data, what, err);
    if (rc < 0) {
        size_t len = strlen(err->msg);
        snprintf(err->msg + len, sizeof err->msg - len, "; nothing was published; make the key unique and not NULL in "
                 "the source, or fix key: in the job file");
    }
    sl_free(key);
    sl_free(what);
    sl_buf_free(&sql);
    return rc;
}

static int sl_pgt_add_indexes(PGconn *c, const sl_stage *sg, sl_err *err)
{
    const sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    for (int i = 0; i < sg->cfg->nindexes; i++) {
        sl_buf sql = { 0 };
        sl_buf_printf(&sql, "CREATE INDEX ON %s (", pg->stage);
        sl_pgt_col_list(&sql, sg->cfg->indexes[i].cols, sg->cfg->indexes[i].ncols, "");
        sl_buf_printf(&sql, ")");
        int rc = sl_pgt_cmd(c, (const char *)sql.data, pg->who, err);
        sl_buf_free(&sql);
        if (rc < 0) return -1;
    }
    return 0;
}

/* The staging table becomes the live one (inside the publishing transaction). */
static int sl_pgt_swap(PGconn *c, const sl_stage *sg, bool live_exists, sl_err *err)
{
    const sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    char *live_q = sl_pg_quote_ident(pg->live_name), *old_q = sl_pg_quote_ident(pg->old_name);
    char *old = sl_pgt_qualify(sg->target->schema, pg->old_name);
    char *sql = NULL;
    int rc = 0;
    const char *p[] = { pg->stage };
    PGresult *r = sl_pgt_query(c, "SELECT relpersistence = 'u' FROM pg_class WHERE oid = to_regclass($1)", 1, p,
                               pg->who, err);
    if (!r) rc = -1;
    if (r && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't') {   /* an UNLOGGED staging table becomes live */
        sql = sl_sprintf("ALTER TABLE %s SET LOGGED", pg->stage);
        rc = sl_pgt_cmd(c, sql, pg->who, err);
        sl_free(sql);
    }
    PQclear(r);
    if (rc == 0) rc = sl_pgt_add_key(c, sg, err);
    if (rc == 0) rc = sl_pgt_add_indexes(c, sg, err);
    if (rc == 0) {
        sql = sl_sprintf("ANALYZE %s", pg->stage);
        rc = sl_pgt_cmd(c, sql, pg->who, err);
        sl_free(sql);
    }
    if (rc == 0 && live_exists) rc = sl_pgt_copy_grants(c, sg, err);
    if (rc == 0 && live_exists) {
        sql = sl_sprintf("ALTER TABLE %s RENAME TO %s", pg->live, old_q);
        rc = sl_pgt_cmd(c, sql, pg->who, err);
        sl_free(sql);
    }
    if (rc == 0) {
        sql = sl_sprintf("ALTER TABLE %s RENAME TO %s", pg->stage, live_q);
        rc = sl_pgt_cmd(c, sql, pg->who, err);
        sl_free(sql);
    }
    if (rc == 0 && live_exists) {
        sql = sl_sprintf("DROP TABLE %s", old);
        rc = sl_pgt_cmd(c, sql, pg->who, err);
        sl_free(sql);
        if (rc < 0)
            sl_err_prefix(err, "replacing %s (write: replace swaps in a new table; objects that depend on the "
                          "old one, such as views, must be dropped first, or use write: merge with delete_missing)",
                          pg->display);
    }
    if (rc == 0) rc = sl_pgt_rename_indexes(c, sg, err);
    sl_free(live_q);
    sl_free(old_q);
    sl_free(old);
    return rc;
}

/* Published by this run already (a crash after the commit): leftovers go. */
static int sl_pgt_published_rows(PGconn *c, const sl_stage *sg, int64_t *rows, sl_err *err)
{
    const sl_pgt *pg = sl_pgt_of((sl_stage *)sg);
    int have = sl_pgt_exists(c, "_sluice.published", pg->who, err);
    if (have <= 0) return have;
    const char *p[5];
    sl_pgt_key_params(sg, p);
    p[4] = pg->started;
    PGresult *r = sl_pgt_query(c, "SELECT rows FROM _sluice.published WHERE " SL_PGT_KEY
                               " AND abs(run_started - $5::float8) < 0.00001", 5, p, pg->who, err);
    if (!r) return -1;
    int found = PQntuples(r) == 1;
    if (found) *rows = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return found;
}

static double sl_pgt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sl_pgt_publish_txn(PGconn *c, sl_stage *sg, const sl_store_manifest *m, int64_t want_rows,
                              sl_store_result *res, sl_err *err)
{
    sl_pgt *pg = sl_pgt_of(sg);
    const sl_job_table *cfg = sg->cfg;
    const char *p[8];
    sl_pgt_key_params(sg, p);
    char rows[24];
    snprintf(rows, sizeof rows, "%" PRId64, want_rows);

    /* What the tasks loaded, as recorded and as the staging table holds it. */
    PGresult *r = sl_pgt_query(c, "SELECT coalesce(sum(rows), 0) FROM _sluice.loads WHERE " SL_PGT_KEY, 4, p,
                               pg->who, err);
    if (!r) return -1;
    int64_t recorded = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    char *sql = sl_sprintf("SELECT count(*) FROM %s", pg->stage);
    r = sl_pgt_query(c, sql, 0, NULL, pg->who, err);
    sl_free(sql);
    if (!r) return -1;
    int64_t staged = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    if (recorded != want_rows || staged != want_rows)
        return sl_err_set(err, SL_EIO, "%s: %s: the tasks sent %lld rows, the warehouse recorded %lld loaded "
                          "and the staging table %s holds %lld (an UNLOGGED staging table is emptied when the "
                          "warehouse recovers from a crash); nothing was published; run the job again: tasks whose "
                          "rows are gone are loaded again", pg->who, pg->display, (long long)want_rows,
                          (long long)recorded, pg->stage, (long long)staged);
    if (sl_failpoint(SL_FP_PUBLISH_BEFORE_MANIFEST, err) < 0) return -1;

    sl_pgt_cols want, live;
    sl_pgt_cols_wanted(sg->schema, &want);
    if (sl_pgt_cmd(c, "BEGIN", pg->who, err) < 0 || sl_pgt_cols_read(c, pg->live, &live, pg->who, err) < 0) {
        sl_pgt_cols_free(&want);
        return -1;
    }
    sl_pgt_diff d = { 0 };
    int rc = 0;
    bool swap = !live.exists || cfg->write == SL_WRITE_REPLACE;
    if (live.exists) {
        sl_pgt_diff_of(&want, &live, &d);
        rc = sl_pgt_diff_allowed(sg, &d, err);
        if (d.nadded + d.nchanged + d.nremoved && cfg->on_schema_change == SL_SCHEMA_RECREATE) {
            swap = true;
            sl_log(SL_LOG_WARN, "%s: %s is recreated (on_schema_change: recreate): %s", pg->who, pg->display,
                   (const char *)d.text.data);
        }
    }
    int64_t deleted = -1;
    if (rc == 0 && live.exists && cfg->write == SL_WRITE_REPLACE) rc = sl_pgt_guard_shrink(c, sg, want_rows, err);
    int64_t written = 0;
    double t_merge = sl_pgt_now();
    if (rc == 0)
        rc = swap ? sl_pgt_swap(c, sg, live.exists, err) : sl_pgt_merge(c, sg, &want, &d, &deleted, &written, err);
    t_merge = sl_pgt_now() - t_merge;
    p[4] = pg->started;
    p[5] = swap && live.exists && cfg->write != SL_WRITE_REPLACE ? "recreate" : sl_write_mode_name(cfg->write);
    p[6] = rows;
    /* The load receipt, as the manifest of a lake holds it (sluice verify reads it). */
    sl_buf receipt = { 0 };
    if (m->receipt) {
        sl_buf_printf(&receipt, "{\"receipt\": %s, \"source\": %s}", m->receipt, m->source ? m->source : "null");
        sl_buf_push(&receipt, 0);
    }
    p[7] = m->receipt ? (const char *)receipt.data : NULL;
    if (rc == 0) rc = sl_pgt_cmd_params(c, "DELETE FROM _sluice.loads WHERE " SL_PGT_KEY, 4, p, pg->who, err);
    if (rc == 0) rc = sl_pgt_cmd_params(c, "DELETE FROM _sluice.stages WHERE " SL_PGT_KEY, 4, p, pg->who, err);
    if (rc == 0)
        rc = sl_pgt_cmd_params(c, "INSERT INTO _sluice.published (job, run_id, schema_name, tbl, run_started, "
                               "write_mode, rows, receipt) VALUES ($1, $2::bigint, $3, $4, $5::float8, $6, "
                               "$7::bigint, $8) ON CONFLICT (job, run_id, schema_name, tbl) DO UPDATE SET "
                               "run_started = EXCLUDED.run_started, write_mode = EXCLUDED.write_mode, rows = "
                               "EXCLUDED.rows, receipt = EXCLUDED.receipt, published = now()", 8, p, pg->who,
                               err);   /* over another run with this id */
    sl_buf_free(&receipt);
    if (rc == 0) rc = sl_failpoint(SL_FP_PUBLISH_BEFORE_EXCHANGE, err);
    if (rc == 0) rc = sl_pgt_cmd(c, "COMMIT", pg->who, err);
    if (rc == 0 && deleted >= 0)
        sl_log(SL_LOG_INFO, "%s: %s: %lld rows deleted (delete_missing)", pg->who, pg->display, (long long)deleted);
    double t_analyze = sl_pgt_now();
    if (rc == 0 && !swap) sl_pgt_analyze_if_needed(c, sg, written + (deleted > 0 ? deleted : 0) + sg->deleted_keys);
    t_analyze = sl_pgt_now() - t_analyze;
    if (rc == 0)
        sl_log(SL_LOG_DEBUG, "%s: %s: publish: %s %.3fs (%lld rows written), statistics %.3fs", pg->who, pg->display,
               swap ? "swap" : "merge", t_merge, (long long)written, t_analyze);
    if (rc == 0 && sg->cfg->incr.cursor && sg->cfg->incr.deletes == SL_DELETES_DETECT && !sg->keys_kept)
        sl_pg_detect_vacuum(c, pg->live, pg->who);   /* the next detect's live key read: index-only */
    res->replaced = live.exists;
    sl_pgt_diff_free(&d);
    sl_pgt_cols_free(&want);
    sl_pgt_cols_free(&live);
    return rc;
}

static int sl_pgt_publish(sl_stage *sg, const sl_store_manifest *m, sl_store_result *res, sl_err *err)
{
    sl_pgt *pg = sl_pgt_of(sg);
    sl_store_result local;
    if (!res) res = &local;
    *res = (sl_store_result){ .atomic = true };
    for (int i = 0; i < m->nfiles; i++) {
        res->rows += m->files[i].rows;
        res->bytes += m->files[i].bytes;
    }
    PGconn *c = sl_pgt_acquire(pg->pool, pg->who, err);
    if (!c) return -1;
    int64_t rows = 0;
    int rc = sl_pgt_published_rows(c, sg, &rows, err);
    if (rc == 1) {
        /* Published before a crash: only what is left of the run's staging goes. */
        res->already = true;
        res->rows = rows;
        rc = sl_pgt_cmd(c, "BEGIN", pg->who, err) < 0 || sl_pgt_stage_drop(c, sg, err) < 0 ||
             sl_pgt_cmd(c, "COMMIT", pg->who, err) < 0 ? -1 : 0;
    } else if (rc == 0) {
        if (!sg->schema || !sg->cfg)
            rc = sl_err_set(err, SL_EINTERNAL, "%s: publish of %s before its columns were known", pg->who, pg->display);
        else
            rc = sl_pgt_publish_txn(c, sg, m, res->rows, res, err);
    }
    sl_pgt_release(pg->pool, c);   /* a failed transaction is rolled back: the old table stays live */
    if (rc == 0 && !res->already) {
        if (sl_failpoint(SL_FP_PUBLISH_AFTER_EXCHANGE, err) < 0 || sl_failpoint(SL_FP_PUBLISH_BEFORE_CLEANUP, err) < 0)
            return -1;
    }
    return rc;
}

/* ---- run-level cleanups -------------------------------------------------- */

/* Drops the staging tables this job's runs left, those of run_id (same) or
 * of every other run (!same), with their bookkeeping rows. */
static int sl_pgt_drop_runs(const sl_job_target *target, const char *job, int64_t run_id, bool same, int *removed,
                            sl_err *err)
{
    sl_pgt_pool *pool = sl_pgt_pool_get(target);
    char who[160];
    sl_pgt_who(target, who, sizeof who);
    PGconn *c = sl_pgt_acquire(pool, who, err);
    if (!c) {
        sl_pgt_pool_put(pool);
        return -1;
    }
    int rc = sl_pgt_exists(c, "_sluice.stages", who, err);
    if (rc == 1) {
        char run[24];
        snprintf(run, sizeof run, "%" PRId64, run_id);
        const char *p[] = { job, run };
        PGresult *r = sl_pgt_query(c, same ? "SELECT run_id, schema_name, tbl, stage_name FROM _sluice.stages "
                                            "WHERE job = $1 AND run_id = $2::bigint"
                                          : "SELECT run_id, schema_name, tbl, stage_name FROM _sluice.stages "
                                            "WHERE job = $1 AND run_id <> $2::bigint", 2, p, who, err);
        rc = r ? 0 : -1;
        for (int i = 0; r && i < PQntuples(r) && rc == 0; i++) {
            const char *k[] = { job, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2) };
            char *stage = sl_pgt_qualify(k[2], PQgetvalue(r, i, 3)), *sql = sl_sprintf("DROP TABLE IF EXISTS %s", stage);
            rc = sl_pgt_cmd(c, "BEGIN", who, err);
            if (rc == 0) rc = sl_pgt_cmd(c, sql, who, err);
            if (rc == 0) rc = sl_pgt_cmd_params(c, "DELETE FROM _sluice.loads WHERE " SL_PGT_KEY, 4, k, who, err);
            if (rc == 0) rc = sl_pgt_cmd_params(c, "DELETE FROM _sluice.stages WHERE " SL_PGT_KEY, 4, k, who, err);
            if (rc == 0) rc = sl_pgt_cmd(c, "COMMIT", who, err);
            if (rc == 0 && removed) (*removed)++;
            if (rc == 0) sl_log(SL_LOG_DEBUG, "%s: dropped the staging table %s of run %s", who, stage, k[1]);
            sl_free(stage);
            sl_free(sql);
        }
        PQclear(r);
    }
    sl_pgt_release(pool, c);
    sl_pgt_pool_put(pool);
    return rc < 0 ? -1 : 0;
}

static int sl_pgt_clean_stale(const sl_job_target *target, const char *job, int64_t keep_run_id, int *removed,
                              sl_err *err)
{
    return sl_pgt_drop_runs(target, job, keep_run_id, false, removed, err);
}

/* A finished run leaves nothing; a failed one keeps its loaded tasks for the resume. */
static int sl_pgt_clean_run(const sl_job_target *target, const char *job, int64_t run_id, bool finished, sl_err *err)
{
    return finished ? sl_pgt_drop_runs(target, job, run_id, true, NULL, err) : 0;
}

/* An empty task's load is an empty transaction's worth: nothing to drop. */
static int sl_pgt_drop(sl_stage *sg, const char *name, sl_err *err)
{
    (void)sg; (void)name; (void)err;
    return 0;
}

/* Two targets naming one database and schema share the run's staging. */
static char *sl_pgt_place(const sl_job_target *target)
{
    char label[1200];
    sl_store_target_label(target, label, sizeof label);
    return sl_strdup(label);
}

/* One run of a job per warehouse schema at a time: a session-level advisory
 * lock, pg_try_advisory_lock(SL_PGT_LOCK_CLASS, crc32(job, schema)), held by
 * a session of its own for the life of the run (it is not a pool session:
 * those come and go). The server drops it when that session ends (the run
 * ends, is killed, or the server restarts: a restart mid-run loses it for
 * the rest of that run). The session's application_name says which run
 * holds it, so a second run's error can name it. A killed run's session can
 * outlive it by a moment (until the server reads the closed socket): the
 * lock is tried for a few seconds before the run gives up. */
#define SL_PGT_LOCK_CLASS 1397511491   /* "SLUC" */

typedef struct sl_pgt_lock_t {
    PGconn *c;
} sl_pgt_lock_t;

static void sl_pgt_lock_key(const sl_job_target *target, const char *job, char *out, size_t size)
{
    const char *schema = target->schema ? target->schema : "public";
    uLong h = crc32(0L, Z_NULL, 0);
    h = crc32(h, (const Bytef *)job, (uInt)strlen(job) + 1);
    h = crc32(h, (const Bytef *)schema, (uInt)strlen(schema));
    snprintf(out, size, "%lu", (unsigned long)(h & 0x7fffffffUL));
}

static void *sl_pgt_lock(const sl_job_target *target, const char *job, const char *holder, sl_err *err)
{
    char who[160], key[24], cls[24], app[64];
    sl_pgt_who(target, who, sizeof who);
    sl_pgt_lock_key(target, job, key, sizeof key);
    snprintf(cls, sizeof cls, "%d", SL_PGT_LOCK_CLASS);
    PGconn *c = sl_pg_connect_url(target->url, who, 0, who, err);
    if (!c) return NULL;
    snprintf(app, sizeof app, "sluice pid %ld: %s", (long)getpid(), holder && *holder ? holder : "a run");
    const char *pa[] = { app };
    PGresult *r = sl_pgt_query(c, "SELECT set_config('application_name', $1, false)", 1, pa, who, err);
    PQclear(r);
    if (!r) {
        PQfinish(c);
        return NULL;
    }
    const char *p[] = { cls, key };
    for (int attempt = 0; attempt < 16; attempt++) {
        r = sl_pgt_query(c, "SELECT pg_try_advisory_lock($1::int, $2::int)", 2, p, who, err);
        if (!r) {
            PQfinish(c);
            return NULL;
        }
        bool got = PQgetvalue(r, 0, 0)[0] == 't';
        PQclear(r);
        if (got) {
            sl_pgt_lock_t *lk = sl_calloc(1, sizeof *lk);
            lk->c = c;
            return lk;
        }
        struct timespec ts = { 0, 200 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    /* Who has it: the session holding the advisory lock, by its application_name. */
    char by[256] = "another session";
    r = PQexecParams(c, "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local'), "
                     "coalesce(to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS'), '') FROM pg_locks l "
                     "LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                     "AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.objsubid = 2 LIMIT 1",
                     2, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        snprintf(by, sizeof by, "'%s' (server process %s, client %s, connected %s)", PQgetvalue(r, 0, 1),
                 PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3));
    PQclear(r);
    PQfinish(c);
    char label[1200];
    sl_store_target_label(target, label, sizeof label);
    sl_err_set(err, SL_EIO, "job %s is already being loaded into %s by %s; one run of a job may load a "
               "warehouse schema at a time: wait for that run to end (or stop it; a killed run's lock goes with "
               "its connection), or give this job another name or another schema", job, label, by);
    return NULL;
}

static void sl_pgt_unlock(void *lock, const sl_job_target *target, const char *job)
{
    (void)target; (void)job;
    sl_pgt_lock_t *lk = lock;
    if (!lk) return;
    PQfinish(lk->c);   /* ends the session: the server releases its advisory lock */
    sl_free(lk);
}

/* `write: replace` drops the live table: only one this job published (a row
 * of _sluice.published for the job, schema and table); append and merge load
 * into any table, a user's own included. Checked before the source is read
 * (and by plan). */
static int sl_pgt_check_live(const sl_job_target *target, const char *job, const sl_job_table *cfg, sl_err *err)
{
    if (cfg->write != SL_WRITE_REPLACE) return 0;
    char who[160];
    sl_pgt_who(target, who, sizeof who);
    const char *schema = target->schema ? target->schema : "public";
    sl_pgt_pool *pool = sl_pgt_pool_get(target);
    PGconn *c = sl_pgt_acquire(pool, who, err);
    if (!c) {
        sl_pgt_pool_put(pool);
        return -1;
    }
    /* By the catalog, which needs no privilege (to_regclass would need USAGE on
     * the schema); bookkeeping this user may not read is left to `ready`,
     * whose error names the GRANT. */
    const char *p[] = { job, schema, cfg->name };
    PGresult *r = sl_pgt_query(c, "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = "
                               "c.relnamespace WHERE n.nspname = $2 AND c.relname = $3), "
                               "(SELECT has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT') "
                               "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE "
                               "n.nspname = '_sluice' AND c.relname = 'published'), $1::text IS NOT NULL",
                               3, p, who, err);
    int rc = r ? 0 : -1;
    bool exists = r && PQgetvalue(r, 0, 0)[0] == 't';
    bool no_books = r && PQgetisnull(r, 0, 1), books = r && PQgetvalue(r, 0, 1)[0] == 't';
    PQclear(r);
    bool ours = false;
    if (rc == 0 && exists && books) {
        r = sl_pgt_query(c, "SELECT count(*) FROM _sluice.published WHERE job = $1 AND schema_name = $2 AND tbl = $3",
                         3, p, who, err);
        if (!r) rc = -1;
        else ours = atoll(PQgetvalue(r, 0, 0)) > 0;
        PQclear(r);
    }
    sl_pgt_release(pool, c);
    sl_pgt_pool_put(pool);
    if (rc == 0 && exists && (books || no_books) && !ours)
        rc = sl_err_set(err, SL_EJOB, "%s: table %s.%s exists and was not published by job %s (no record of it in "
                        "_sluice.published): write: replace would drop it; drop or rename it yourself, load it "
                        "with write: append or write: merge, or give the target another schema", who, schema,
                        cfg->name, job);
    return rc;
}

const sl_store_ops sl_store_postgres = {
    .kind = "postgres",
    .stage_open = sl_pgt_stage_open,
    .stage_close = sl_pgt_stage_close,
    .ready = sl_pgt_ready,
    .already = sl_pgt_already,
    .tidy = sl_pgt_tidy,
    .check = sl_pgt_check,
    .reset = sl_pgt_reset,
    .create = sl_pgt_create,
    .commit = sl_pgt_commit,
    .discard = sl_pgt_discard,
    .drop = sl_pgt_drop,
    .publish = sl_pgt_publish,
    .place = sl_pgt_place,
    .lock = sl_pgt_lock,
    .unlock = sl_pgt_unlock,
    .check_live = sl_pgt_check_live,
    .clean_stale = sl_pgt_clean_stale,
    .clean_run = sl_pgt_clean_run,
};
