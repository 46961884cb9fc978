/*
 * sl_source_postgres.c - the postgres source: a table or query read with
 * `COPY (SELECT ...) TO STDOUT (FORMAT binary)` and decoded straight into
 * column vectors (sl_pg_copy.c).
 *
 * Interface: `sl_source_postgres` (kind "postgres"), see sl_source.h.
 *   prepare  takes a session of the source's pool (sl_pg_session.c) in the
 *            table's snapshot group (REPEATABLE READ READ ONLY, snapshot
 *            exported and shared; with `consistent: true` one snapshot for
 *            every table of the source), describes the relation (`table:`
 *            resolved with to_regclass, so quoting follows PostgreSQL's rules;
 *            `query:` wrapped as a subquery; every statement is sent alone,
 *            extended protocol, so a query cannot end the read-only
 *            transaction and run others), maps its types, applies
 *            `columns:` overrides as casts in the select list, and cuts it
 *            into tasks (sl_pg_partition.c), all inside a savepoint so a
 *            failure leaves the shared snapshot intact. The session goes
 *            back to the pool, still holding the snapshot. Every failure,
 *            the savepoint's release included (the session may die at any
 *            step), is one plain error; failpoint pg:prepare-end precedes
 *            the release.
 *   open     a pooled session in the same snapshot (never more than
 *            max_connections sessions per source, planning included):
 *            SAVEPOINT; COPY (SELECT <cols> FROM <rel> WHERE <predicate>).
 *   next     fills a batch from the COPY stream: rows are copied from
 *            libpq's buffer into one reused buffer (sl_pg_copy_read.c, no
 *            malloc per row) and decoded a few hundred KB at a time;
 *            sleeps when the source's rows_per_second is exceeded.
 *   reported_rows  the server's own count of the rows the COPY sent (the
 *            `COPY n` of its CommandComplete, PQcmdTuples), checked by the
 *            engine against the rows decoded and written.
 *   aggregates  `verify: source`: one query over the task's predicate on
 *            the reader's session (so in the same snapshot, answered by the
 *            same index range): count(*) and per column count, min, max and
 *            sum in sluice's text forms (strings and uuids in byte order,
 *            COLLATE "C"; timestamptz at UTC; decimals at the column's
 *            scale); bytes and json only counted (PostgreSQL has no byte
 *            order for them).
 *   close    returns the session to the pool: after the end of the COPY,
 *            RELEASE SAVEPOINT; in the middle, cancel the COPY, drain it
 *            and ROLLBACK TO SAVEPOINT (the snapshot survives for a retry).
 *   cancel   sl_pg_pools_cancel (sl_pg_session.c): an interrupted run's
 *            queries in flight are cancelled, no session handed out after.
 *
 * Type mapping (DESIGN.md): boolean; int2/int4/int8; float4/float8;
 * numeric(p,s) with p <= 38 -> decimal(p,s); numeric without typmod ->
 * decimal(38,18) (a value with more digits is an error naming row and
 * column); text, varchar, bpchar (padding kept), name, enum, citext, xml ->
 * string (well-formed UTF-8 only: sessions use client_encoding UTF8, but a
 * SQL_ASCII database hands over any bytes); "char" -> string in its text
 * form (a byte >= 0x80 as "\351"); bytea -> bytes; date; time; timestamp; timestamptz (utc);
 * uuid; json, jsonb -> json; domains as their base type. Anything else is
 * read through a cast in the select list (sl_pg_types_ext.c: money ->
 * numeric(19,2), arrays and composites -> JSON, the rest -> its text form);
 * with `unsupported: error` every such column of the table is listed in one
 * SL_ETYPE error whose remedies (drop the option, or the printed columns:
 * list) work with select *. `trim_char: true` reads bpchar as text (no
 * padding); `numeric: {precision, scale}` types numeric without typmod.
 *
 * ±infinity dates and timestamps, NaN and ±Infinity numerics are errors
 * naming the table, task, column and row (see sl_pg_copy.h): no silent
 * clamping. Nullability comes from pg_attribute.attnotnull for `table:`;
 * every column of a `query:` is nullable.
 */
#include "sl_source.h"
#include "sl_sql.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_failpoint.h"
#include "../core/sl_log.h"
#include "sl_pg_conn.h"
#include "sl_pg_copy.h"
#include "sl_pg_copy_read.h"
#include "sl_pg_incr.h"
#include "sl_pg_partition.h"
#include "sl_pg_session.h"
#include "sl_pg_types_ext.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct sl_pg_shared {
    sl_pg_pool *pool;           /* the source's sessions */
    sl_pg_group *group;         /* this table's snapshot */
    PGconn *coord;              /* prepare only: the planning session's connection */
    char *what;                 /* "table public.orders" */
    char *from;                 /* FROM item */
    char *select_list;          /* "*" or quoted names with casts */
    sl_pg_copy_col *cols;       /* names borrowed from tab->schema */
    int ncols;
    const sl_job_source *src;
} sl_pg_shared;

/* COPY bytes read ahead into one buffer and decoded together. */
#define SL_PG_READ_BYTES (256 * 1024)

typedef struct sl_pg_reader {
    sl_pg_shared *sh;
    sl_pg_sess *sess;
    PGconn *conn;               /* sess->conn */
    bool in_copy;               /* the COPY has started and not ended */
    bool failed;                /* an error left the savepoint to roll back */
    long row_cap;               /* rows_per_second: rows per next() call */
    sl_pg_copy dec;
    sl_buf pending;             /* COPY bytes read, not yet decoded */
    size_t pending_off;
    bool done;
    int64_t copy_rows;          /* the server's COPY n; -1 until the COPY ended */
    const char *predicate;      /* the task's (borrowed from the prepared table); NULL: all rows */
    char what[512];
} sl_pg_reader;

/* ---- types ---- */

enum {
    OID_BOOL = 16, OID_BYTEA = 17, OID_CHAR = 18, OID_NAME = 19, OID_INT8 = 20, OID_INT2 = 21,
    OID_INT4 = 23, OID_TEXT = 25, OID_JSON = 114, OID_XML = 142, OID_FLOAT4 = 700,
    OID_FLOAT8 = 701, OID_UNKNOWN = 705, OID_BPCHAR = 1042, OID_VARCHAR = 1043, OID_DATE = 1082,
    OID_TIME = 1083, OID_TIMESTAMP = 1114, OID_TIMESTAMPTZ = 1184, OID_NUMERIC = 1700,
    OID_UUID = 2950, OID_JSONB = 3802,
};

static char *sl_pg_type_name(PGconn *conn, Oid oid, int typmod)
{
    char o[16], m[16];
    snprintf(o, sizeof o, "%u", oid);
    snprintf(m, sizeof m, "%d", typmod);
    const char *params[] = { o, m };
    sl_err ignore = SL_ERR_INIT;
    PGresult *res = sl_pg_exec_params(conn, "SELECT format_type($1::oid, $2::int)", 2, params, "type", &ignore);
    char *name = sl_strdup(res && PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : o);
    PQclear(res);
    return name;
}

static int sl_pg_unsupported(PGconn *conn, Oid oid, int typmod, const char *what, const char *col,
                             const char *why, sl_err *err)
{
    char *tname = sl_pg_type_name(conn, oid, typmod);
    sl_err_set(err, SL_ETYPE, "%s: column %s: type %s is not supported%s; cast it in a query: "
               "(e.g. %s::text) or set its type in columns: [{name: %s, type: string}]",
               what, col, tname, why ? why : "", col, col);
    sl_free(tname);
    return -1;
}

static int sl_pg_map_type(PGconn *conn, Oid oid, int typmod, const char *what, const char *col,
                          sl_pg_wire *wire, sl_pg_wire *elem_wire, sl_type *type, sl_err *err)
{
    sl_type t = {0};
    switch (oid) {
    case OID_BOOL: *wire = SL_PGW_BOOL; t.id = SL_T_BOOL; break;
    case OID_INT2: *wire = SL_PGW_INT2; t.id = SL_T_INT16; break;
    case OID_INT4: *wire = SL_PGW_INT4; t.id = SL_T_INT32; break;
    case OID_INT8: *wire = SL_PGW_INT8; t.id = SL_T_INT64; break;
    case OID_FLOAT4: *wire = SL_PGW_FLOAT4; t.id = SL_T_FLOAT32; break;
    case OID_FLOAT8: *wire = SL_PGW_FLOAT8; t.id = SL_T_FLOAT64; break;
    case OID_TEXT: case OID_VARCHAR: case OID_BPCHAR: case OID_NAME:
    case OID_XML: case OID_UNKNOWN:
        *wire = SL_PGW_TEXT; t.id = SL_T_STRING; break;
    case OID_CHAR: *wire = SL_PGW_CHAR; t.id = SL_T_STRING; break;
    case OID_BYTEA: *wire = SL_PGW_TEXT; t.id = SL_T_BYTES; break;
    case OID_JSON: *wire = SL_PGW_TEXT; t.id = SL_T_JSON; break;
    case OID_JSONB: *wire = SL_PGW_JSONB; t.id = SL_T_JSON; break;
    case OID_DATE: *wire = SL_PGW_DATE; t.id = SL_T_DATE; break;
    case OID_TIME: *wire = SL_PGW_TIME; t.id = SL_T_TIME; break;
    case OID_TIMESTAMP: *wire = SL_PGW_TIMESTAMP; t.id = SL_T_TIMESTAMP; break;
    case OID_TIMESTAMPTZ: *wire = SL_PGW_TIMESTAMP; t.id = SL_T_TIMESTAMP; t.utc = true; break;
    case OID_UUID: *wire = SL_PGW_UUID; t.id = SL_T_UUID; break;
    case OID_NUMERIC: {
        *wire = SL_PGW_NUMERIC;
        t.id = SL_T_DECIMAL;
        if (typmod < 4) {
            t.precision = 38;
            t.scale = 18;
            break;
        }
        int p = ((typmod - 4) >> 16) & 0xffff;
        int s = (((typmod - 4) & 0x7ff) ^ 1024) - 1024;
        if (p > 38 || s < 0 || s > p) {
            char why[96];
            snprintf(why, sizeof why, " (decimal needs precision <= 38 and 0 <= scale <= precision)");
            char *tname = sl_pg_type_name(conn, oid, typmod);
            sl_err_set(err, SL_ETYPE, "%s: column %s: type %s is not supported%s; cast it in a query: "
                       "(e.g. %s::numeric(38,%d) or %s::text) or set its type in columns:",
                       what, col, tname, why, col, s < 0 ? 0 : (s > 38 ? 38 : s), col);
            sl_free(tname);
            return -1;
        }
        t.precision = (uint8_t)p;
        t.scale = (uint8_t)s;
        break;
    }
    default: {
        char o[16];
        snprintf(o, sizeof o, "%u", oid);
        const char *params[] = { o };
        PGresult *res = sl_pg_exec_params(conn,
            "SELECT typname, typtype, typbasetype, typtypmod, typcategory, typelem FROM pg_type WHERE oid = $1::oid",
            1, params, what, err);
        if (!res) return -1;
        if (PQntuples(res) != 1) {
            PQclear(res);
            return sl_pg_unsupported(conn, oid, typmod, what, col, NULL, err);
        }
        const char *typname = PQgetvalue(res, 0, 0);
        char typtype = PQgetvalue(res, 0, 1)[0];
        Oid base = (Oid)strtoul(PQgetvalue(res, 0, 2), NULL, 10);
        int basemod = atoi(PQgetvalue(res, 0, 3));
        char category = PQgetvalue(res, 0, 4)[0];
        bool is_text = typtype == 'e' || !strcmp(typname, "citext");
        Oid elem = (Oid)strtoul(PQgetvalue(res, 0, 5), NULL, 10);
        PQclear(res);
        if (typtype == 'd') return sl_pg_map_type(conn, base, basemod, what, col, wire, elem_wire, type, err);
        if (category == 'A' && elem && elem_wire) {
            /* An array of a mapped element type: a LIST of it (one
             * dimension checked per value by the decoder). */
            sl_pg_wire ew;
            sl_type et;
            sl_err sub = SL_ERR_INIT;
            if (sl_pg_map_type(conn, elem, typmod, what, col, &ew, NULL, &et, &sub) == 0) {
                *wire = SL_PGW_ARRAY;
                *elem_wire = ew;
                *type = sl_type_list_of(et);
                return 0;
            }
            if (sub.code != SL_ETYPE) {
                *err = sub;
                return -1;
            }
        }
        if (is_text) {
            *wire = SL_PGW_TEXT;
            t.id = SL_T_STRING;
            break;
        }
        const char *why = category == 'A' ? " (an array of an element type without a mapping)" : NULL;
        return sl_pg_unsupported(conn, oid, typmod, what, col, why, err);
    }
    }
    *type = t;
    return 0;
}

/* The PostgreSQL type an override casts to. */
static const char *sl_pg_cast_name(sl_type t, char *buf, size_t size)
{
    switch (t.id) {
    case SL_T_BOOL: return "boolean";
    case SL_T_INT16: return "int2";
    case SL_T_INT32: return "int4";
    case SL_T_INT64: return "int8";
    case SL_T_FLOAT32: return "float4";
    case SL_T_FLOAT64: return "float8";
    case SL_T_DECIMAL: snprintf(buf, size, "numeric(%u,%u)", t.precision, t.scale); return buf;
    case SL_T_STRING: return "text";
    case SL_T_BYTES: return "bytea";
    case SL_T_DATE: return "date";
    case SL_T_TIME: return "time";
    case SL_T_TIMESTAMP: return t.utc ? "timestamptz" : "timestamp";
    case SL_T_UUID: return "uuid";
    case SL_T_JSON: return "jsonb";
    case SL_T_LIST: {
        char eb[32];
        snprintf(buf, size, "%s[]", sl_pg_cast_name(sl_type_elem(t), eb, sizeof eb));
        return buf;
    }
    default: return "text";
    }
}

/* ---- prepare ---- */

static const sl_job_source *sl_pg_find_source(const sl_source_table *tab)
{
    if (tab->cfg->source) return tab->cfg->source;
    if (tab->job && tab->cfg->from)
        for (int i = 0; i < tab->job->nsources; i++)
            if (!strcmp(tab->job->sources[i].name, tab->cfg->from)) return &tab->job->sources[i];
    return NULL;
}

static void sl_pg_shared_free(sl_pg_shared *sh)
{
    if (!sh) return;
    if (sh->group) sl_pg_group_put(sh->pool, sh->group);
    if (sh->pool) sl_pg_pool_put(sh->pool);
    sl_free(sh->what);
    sl_free(sh->from);
    sl_free(sh->select_list);
    sl_free(sh->cols);
    sl_free(sh);
}

/* Resolves `table:` to a quoted FROM item, its oid and row estimate. The
 * same query returns the columns' NOT NULL flags ("1t,2f,...", column 4) and
 * the facts the partition planner needs (from column SL_PG_FACTS_COL): one
 * round trip where there were three; *facts keeps the result for both. */
#define SL_PG_FACTS_COL 5
static int sl_pg_resolve_table(sl_pg_shared *sh, const char *name, Oid *relid, double *est, PGresult **facts,
                               sl_err *err)
{
    char *sqlbuf = sl_sprintf(
        "SELECT c.oid, format('%%I.%%I', n.nspname, c.relname), "
        "CASE WHEN c.relkind IN ('r', 'm') THEN c.reltuples::float8 ELSE -1 END, c.relkind::text, "
        "(SELECT string_agg(a.attnum::text || CASE WHEN a.attnotnull THEN 't' ELSE 'f' END, ',') "
        " FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), %s "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)",
        sl_pg_rel_facts_cols);
    const char *sql = sqlbuf;
    const char *params[] = { name };
    PGresult *res = sl_pg_exec_params(sh->coord, sql, 1, params, sh->what, err);
    if (!res) {
        sl_free(sqlbuf);
        return -1;
    }
    if (PQntuples(res) == 0) {
        /* An unquoted name with capitals: try it case-sensitively before giving up. */
        PQclear(res);
        bool upper = false, quoted = false;
        for (const char *p = name; *p; p++) {
            if (isupper((unsigned char)*p)) upper = true;
            if (*p == '"') quoted = true;
        }
        if (upper && !quoted) {
            char *copy = sl_strdup(name), *dot = strchr(copy, '.');
            char *q;
            if (dot) {
                *dot = '\0';
                char *a = sl_pg_quote_ident(copy), *b = sl_pg_quote_ident(dot + 1);
                q = sl_sprintf("%s.%s", a, b);
                sl_free(a);
                sl_free(b);
            } else {
                q = sl_pg_quote_ident(copy);
            }
            sl_free(copy);
            const char *p2[] = { q };
            res = sl_pg_exec_params(sh->coord, sql, 1, p2, sh->what, err);
            sl_free(q);
            if (!res) {
                sl_free(sqlbuf);
                return -1;
            }
            if (PQntuples(res) == 1) goto found;
            PQclear(res);
        }
        sl_free(sqlbuf);
        return sl_err_set(err, SL_ESOURCE, "%s does not exist (or is not visible to this user); check the name "
                          "and schema (e.g. public.orders; quote names with capitals: public.\"Orders\")", sh->what);
    }
found:
    sl_free(sqlbuf);
    *relid = (Oid)strtoul(PQgetvalue(res, 0, 0), NULL, 10);
    sh->from = sl_strdup(PQgetvalue(res, 0, 1));
    *est = atof(PQgetvalue(res, 0, 2));
    bool partitioned = PQgetvalue(res, 0, 3)[0] == 'p';
    *facts = res;
    if (partitioned) {   /* a partitioned table holds no rows itself: its leaves' estimates summed */
        char o[16];
        snprintf(o, sizeof o, "%u", *relid);
        const char *p3[] = { o };
        res = sl_pg_exec_params(sh->coord, "SELECT coalesce(sum(greatest(lc.reltuples, 0)), 0)::float8 FROM "
                                "pg_partition_tree($1::oid) p JOIN pg_class lc ON lc.oid = p.relid WHERE p.isleaf",
                                1, p3, sh->what, err);
        if (!res) return -1;
        *est = atof(PQgetvalue(res, 0, 0));
        PQclear(res);
    }
    return 0;
}

/* Which state of the data the tasks read, for the receipts: the exported
 * snapshot id the tasks import and the server's pg_current_snapshot()
 * (xmin:xmax:xip list; txid_current_snapshot() before PostgreSQL 13). */
static int sl_pg_snapshot_identity(sl_pg_sess *sess, sl_source_table *tab, const char *what, sl_err *err)
{
    /* One transaction, one snapshot: tables planned on the same session
     * in the same transaction (sharing its snapshot) ask only once. */
    PGconn *conn = sess->conn;
    const char *snap_id = sess->snap_id;
    if (!sess->cur_snapshot) {
        const char *sql = PQserverVersion(conn) >= 130000 ? "SELECT pg_current_snapshot()::text"
                                                           : "SELECT txid_current_snapshot()::text";
        PGresult *res = sl_pg_exec_tuples(conn, sql, what, err);
        if (!res) return -1;
        sess->cur_snapshot = sl_strdup(PQgetvalue(res, 0, 0));
        PQclear(res);
    }
    sl_buf b = { 0 };
    sl_buf_printf(&b, "{\"kind\": \"postgres\", \"exported_snapshot\": ");
    if (snap_id) sl_buf_json_str(&b, snap_id, strlen(snap_id));
    else sl_buf_printf(&b, "null");
    const char *cur = sess->cur_snapshot;
    sl_buf_printf(&b, ", \"pg_current_snapshot\": ");
    sl_buf_json_str(&b, cur, strlen(cur));
    sl_buf_printf(&b, "}");
    sl_buf_push(&b, 0);
    sl_free(tab->snapshot);
    tab->snapshot = (char *)b.data;
    return 0;
}

static int sl_pg_prepare(sl_source_table *tab, sl_err *err)
{
    const sl_job_table *cfg = tab->cfg;
    sl_pg_shared *sh = sl_calloc(1, sizeof *sh);
    sh->src = sl_pg_find_source(tab);
    if (!sh->src) {
        sl_pg_shared_free(sh);
        return sl_err_set(err, SL_EJOB, "table %s: no source named %s", cfg->name, cfg->from ? cfg->from : "?");
    }
    if (cfg->table)
        sh->what = sl_sprintf("table %s", cfg->table);
    else if (cfg->query)
        sh->what = sl_sprintf("query of table %s", cfg->name);
    else {
        sl_pg_shared_free(sh);
        return sl_err_set(err, SL_EJOB, "table %s: a postgres table needs table: or query:", cfg->name);
    }
    PGresult *res = NULL, *facts = NULL;
    sl_schema *raw = NULL;
    sl_pg_sess *sess = NULL;
    bool in_savepoint = false;
    sh->pool = sl_pg_pool_get(sh->src);
    sh->group = sl_pg_group_new(sh->pool);

    /* One snapshot for the describe, the partition bounds and every task. */
    sess = sl_pg_session_acquire(sh->pool, sh->group, sh->what, err);
    if (!sess) goto fail;
    sh->coord = sess->conn;
    /* A failure below must not abort the transaction that holds the snapshot. */
    if (sl_pg_exec_cmd(sh->coord, "SAVEPOINT sl_prepare", sh->what, err) < 0) goto fail;
    in_savepoint = true;

    Oid relid = 0;
    double est = -1;
    if (cfg->table) {
        if (sl_pg_resolve_table(sh, cfg->table, &relid, &est, &facts, err) < 0) goto fail;
    } else {
        sh->from = sl_sql_subquery(cfg->query);
    }

    char *sql = sl_sprintf("SELECT * FROM %s LIMIT 0", sh->from);
    res = sl_pg_exec_tuples(sh->coord, sql, sh->what, err);
    sl_free(sql);
    if (!res) {
        if (cfg->query && strstr(err->msg, "(SQLSTATE 42601)")) {
            size_t len = strlen(err->msg);
            snprintf(err->msg + len, sizeof err->msg - len, "; a query: must be one SELECT statement (no ';' "
                     "between statements): sluice reads it as a subquery, FROM (<query>) AS sl_q, inside a "
                     "read-only transaction");
        }
        goto fail;
    }
    int ncols = PQnfields(res);
    if (ncols == 0) {
        sl_err_set(err, SL_ESOURCE, "%s has no columns", sh->what);
        goto fail;
    }
    const char *notnull = facts && !PQgetisnull(facts, 0, 4) ? PQgetvalue(facts, 0, 4) : NULL;
    raw = sl_schema_new(ncols);
    sl_pg_wire *wires = sl_calloc((size_t)ncols, sizeof *wires);
    sl_pg_wire *ewires = sl_calloc((size_t)ncols, sizeof *ewires);
    /* Columns read through a cast (sl_pg_types_ext.c), and the unsupported
     * ones `unsupported: error` refuses: all of them in one message. */
    char **casts = sl_calloc((size_t)ncols, sizeof *casts);
    bool any_cast = cfg->ncolumns > 0;
    sl_buf problems = { 0 }, remedy = { 0 };
    int nproblems = 0;
    for (int c = 0; c < ncols; c++) {
        const char *name = PQfname(res, c);
        for (int d = 0; d < c; d++)
            if (!strcmp(raw->fields[d].name, name)) {
                sl_err_set(err, SL_ESOURCE, "%s: column name %s appears twice; give the columns distinct "
                           "names in the query: (... AS other_name)", sh->what, name);
                goto fail_cols;
            }
        sl_type t;
        bool overridden = false;
        for (int i = 0; i < cfg->ncolumns; i++)
            if (!strcmp(cfg->columns[i].name, name)) overridden = true;
        if (sl_pg_map_type(sh->coord, PQftype(res, c), PQfmod(res, c), sh->what, name, &wires[c], &ewires[c], &t, err) < 0) {
            /* An override of this column casts it; only then is the type irrelevant. */
            if (err->code != SL_ETYPE) goto fail_cols;
            sl_err_clear(err);
            if (!overridden) {
                sl_pg_fallback fb;
                if (sl_pg_fallback_for(sh->coord, PQftype(res, c), PQfmod(res, c), sh->what, &fb, err) < 0)
                    goto fail_cols;
                if (fb.unsupported && cfg->unsupported_error) {
                    char *q = sl_pg_quote_ident(name);
                    sl_buf_printf(&problems, "%s%s (%s)", nproblems ? ", " : "", name, fb.type_name);
                    sl_buf_printf(&remedy, "%s{name: %s, type: string}", nproblems ? ", " : "", q);
                    sl_free(q);
                    nproblems++;
                } else {
                    casts[c] = sl_strdup(fb.cast);
                    any_cast = true;
                }
            }
            t = (sl_type){ .id = SL_T_STRING };
            wires[c] = SL_PGW_TEXT;
        } else if (!overridden && PQftype(res, c) == OID_BPCHAR && cfg->trim_char) {
            casts[c] = sl_strdup("%s::text");   /* bpchar -> text drops the padding, as PostgreSQL compares */
            any_cast = true;
        } else if ((PQftype(res, c) == OID_NUMERIC || (t.id == SL_T_LIST && t.elem == SL_T_DECIMAL)) &&
                   PQfmod(res, c) < 4 && cfg->numeric_precision > 0) {   /* numeric, numeric[] */
            t.precision = (uint8_t)cfg->numeric_precision;
            t.scale = (uint8_t)cfg->numeric_scale;
        }
        bool nullable = true;
        if (notnull && PQftable(res, c) == relid && PQftablecol(res, c) > 0) {
            /* "1t,2f,...": attnum then t when NOT NULL */
            for (const char *p = notnull; *p;) {
                char *end;
                long num = strtol(p, &end, 10);
                if (end == p) break;
                if (num == PQftablecol(res, c)) nullable = *end != 't';
                p = end;
                while (*p && *p != ',') p++;
                if (*p == ',') p++;
            }
        }
        sl_schema_set(raw, c, name, t, nullable);
    }

    if (nproblems) {
        sl_buf_push(&problems, 0);
        sl_buf_push(&remedy, 0);
        sl_err_set(err, SL_ETYPE, "%s: %d column%s of types without a sluice mapping (unsupported: error): %s; "
                   "remove unsupported: error to read them in PostgreSQL's text form (composites and arrays of "
                   "such types as JSON), or set their types in columns: [%s]", sh->what, nproblems, nproblems == 1 ? "" : "s",
                   (char *)problems.data, (char *)remedy.data);
        goto fail_cols;
    }
    /* Overrides and fallbacks: cast in the select list, then describe that. */
    if (any_cast) {
        sl_buf list = {0};
        for (int i = 0; i < cfg->ncolumns; i++)
            if (sl_schema_find(raw, cfg->columns[i].name) < 0) {
                sl_err_set(err, SL_EJOB, "%s: columns: %s is not a column of it", sh->what, cfg->columns[i].name);
                sl_buf_free(&list);
                goto fail_cols;
            }
        for (int c = 0; c < ncols; c++) {
            char *q = sl_pg_quote_ident(raw->fields[c].name);
            if (c) sl_buf_append(&list, ", ", 2);
            bool done = false;
            for (int i = 0; i < cfg->ncolumns; i++)
                if (!strcmp(cfg->columns[i].name, raw->fields[c].name)) {
                    char tb[32];
                    char *cast = sl_sprintf("%s::%s AS %s", q, sl_pg_cast_name(cfg->columns[i].type, tb, sizeof tb), q);
                    sl_buf_append(&list, cast, strlen(cast));
                    sl_free(cast);
                    done = true;
                }
            if (!done && casts[c]) {
                sl_buf_printf(&list, casts[c], q);
                sl_buf_printf(&list, " AS %s", q);
            } else if (!done) {
                sl_buf_append(&list, q, strlen(q));
            }
            sl_free(q);
        }
        sl_buf_push(&list, 0);
        sh->select_list = (char *)list.data;
        PQclear(res);
        sql = sl_sprintf("SELECT %s FROM %s LIMIT 0", sh->select_list, sh->from);
        res = sl_pg_exec_tuples(sh->coord, sql, sh->what, err);
        sl_free(sql);
        if (!res) {
            sl_err_prefix(err, "applying columns: overrides");
            goto fail_cols;
        }
        tab->schema = sl_schema_new(ncols);
        for (int c = 0; c < ncols; c++) {
            sl_type t;
            if (sl_pg_map_type(sh->coord, PQftype(res, c), PQfmod(res, c), sh->what, raw->fields[c].name,
                               &wires[c], &ewires[c], &t, err) < 0)
                goto fail_cols;
            if ((PQftype(res, c) == OID_NUMERIC || (t.id == SL_T_LIST && t.elem == SL_T_DECIMAL)) &&
                PQfmod(res, c) < 4 && cfg->numeric_precision > 0) {
                t.precision = (uint8_t)cfg->numeric_precision;
                t.scale = (uint8_t)cfg->numeric_scale;
            }
            sl_schema_set(tab->schema, c, raw->fields[c].name, t, raw->fields[c].nullable);
        }
    } else {
        sh->select_list = sl_strdup("*");
        tab->schema = sl_schema_copy(raw);
    }
    sh->ncols = ncols;
    sh->cols = sl_calloc((size_t)ncols, sizeof *sh->cols);
    for (int c = 0; c < ncols; c++) {
        sh->cols[c].name = tab->schema->fields[c].name;
        sh->cols[c].wire = wires[c];
        sh->cols[c].elem_wire = ewires[c];
        sh->cols[c].type = tab->schema->fields[c].type;
    }
    sl_free(wires);
    wires = NULL;
    sl_free(ewires);
    ewires = NULL;
    for (int c = 0; c < ncols; c++) sl_free(casts[c]);
    sl_free(casts);
    casts = NULL;
    sl_buf_free(&problems);
    sl_buf_free(&remedy);
    PQclear(res);
    res = NULL;

    /* Incremental (sl_pg_incr.c): the window in this snapshot; later runs read through a subquery
     * partitioned on the cursor, first runs AND the window into the table's own partitions. */
    sl_pg_incr_plan incr = { 0 };
    sl_job_partition incr_part = cfg->partition;
    if (cfg->incr.cursor) {
        if (sl_pg_incr_window(sh->coord, sh->from, sh->what, cfg, tab, &incr, err) < 0) goto fail;
        if (cfg->incr.deletes == SL_DELETES_DETECT && tab->keys_path &&
            sl_pg_incr_keys(sh->coord, sh->pool, sh->group, relid, sh->from, sh->what, cfg, tab->keys_path,
                            &tab->keys_rows, err) < 0) {
            sl_pg_incr_plan_free(&incr);
            goto fail;
        }
        tab->incr_new_high = incr.high ? sl_strdup(incr.high) : NULL;
        if (incr.later) {
            sl_free(sh->from);
            sh->from = incr.from;
            incr.from = NULL;
            relid = 0;
            if (sl_pg_incr_estimate(sh->coord, sh->from, sh->what, &est, err) < 0) {
                sl_pg_incr_plan_free(&incr);
                goto fail;
            }
            if (incr_part.strategy && !strcmp(incr_part.strategy, "pages")) incr_part = (sl_job_partition){ "auto", NULL, 0 };
            if (!incr_part.column && strcmp(incr_part.strategy ? incr_part.strategy : "auto", "none")) {
                incr_part.column = cfg->incr.cursor;
                incr_part.strategy = "auto";
            }
        }
    }
    sl_pg_part_in pin = {
        .conn = sh->coord, .from = sh->from, .what = sh->what, .schema = raw,
        .est_rows = (cfg->table || incr.later) && est >= 0 ? est : -1, .cfg = &incr_part,
        .increment = incr.later,
        .workers = tab->workers > 0 ? tab->workers : 1,
        .max_connections = sh->src->max_connections > 0 ? sh->src->max_connections : 4,
        .relid = relid, .facts = facts, .facts_col = SL_PG_FACTS_COL,
    };
    if (sl_pg_partition_plan(&pin, tab, err) < 0) {
        sl_pg_incr_plan_free(&incr);
        goto fail;
    }
    PQclear(facts);
    facts = NULL;
    if (cfg->incr.cursor && !incr.later) sl_pg_incr_and(tab, incr.window);
    sl_pg_incr_plan_free(&incr);
    sl_schema_free(raw);
    raw = NULL;
    if (sl_failpoint(SL_FP_PG_PREPARE_END, err) < 0 ||
        sl_pg_snapshot_identity(sess, tab, sh->what, err) < 0 ||
        sl_pg_exec_cmd(sh->coord, "RELEASE SAVEPOINT sl_prepare", sh->what, err) < 0)
        goto fail;
    sh->coord = NULL;
    sl_pg_session_release(sh->pool, sess, true);
    tab->shared = sh;
    return 0;

fail_cols:
    /* Failures while the columns are described: their working arrays too. */
    sl_free(wires);
    sl_free(ewires);
    for (int c = 0; casts && c < ncols; c++) sl_free(casts[c]);
    sl_free(casts);
    sl_buf_free(&problems);
    sl_buf_free(&remedy);
fail:
    /* Every path above ends here with what it owns; what is already freed is NULL. */
    PQclear(res);
    PQclear(facts);
    sl_schema_free(raw);
    raw = NULL;
    sl_source_table_clear(tab);   /* schema, snapshot, and tasks when only the release failed */
    if (sess) {
        bool healthy = !in_savepoint ||
            (sl_pg_exec_ok(sh->coord, "ROLLBACK TO SAVEPOINT sl_prepare") && sl_pg_exec_ok(sh->coord, "RELEASE SAVEPOINT sl_prepare"));
        sl_pg_session_release(sh->pool, sess, healthy);
    }
    sh->coord = NULL;
    sl_pg_shared_free(sh);
    return -1;
}

static void sl_pg_finish(sl_source_table *tab)
{
    sl_pg_shared_free(tab->shared);
    tab->shared = NULL;
}

/* ---- tasks ---- */

static void sl_pg_close(void *reader);

static void *sl_pg_open(sl_source_table *tab, const sl_task *task, sl_err *err)
{
    sl_pg_shared *sh = tab->shared;
    sl_pg_reader *r = sl_calloc(1, sizeof *r);
    r->sh = sh;
    r->copy_rows = -1;
    r->predicate = task->predicate;
    /* The engine says which task (and its predicate) before this. */
    snprintf(r->what, sizeof r->what, "%s", sh->what);
    r->sess = sl_pg_session_acquire(sh->pool, sh->group, r->what, err);
    if (!r->sess) goto fail;
    r->conn = r->sess->conn;
    /* An error in this task must not end the transaction holding the snapshot. */
    if (sl_pg_exec_cmd(r->conn, "SAVEPOINT sl_task", r->what, err) < 0) goto fail;
    r->failed = true;   /* until the COPY is known to have ended well */
    char *sql = task->predicate
        ? sl_sprintf("COPY (SELECT %s FROM %s WHERE %s) TO STDOUT (FORMAT binary)", sh->select_list, sh->from, task->predicate)
        : sl_sprintf("COPY (SELECT %s FROM %s) TO STDOUT (FORMAT binary)", sh->select_list, sh->from);
    PGresult *res = sl_pg_exec_one(r->conn, sql, 0, NULL);
    sl_free(sql);
    if (!res || PQresultStatus(res) != PGRES_COPY_OUT) {
        sl_pg_result_error(r->conn, res, r->what, err);
        PQclear(res);
        goto fail;
    }
    PQclear(res);
    r->in_copy = true;
    r->row_cap = sl_pg_pool_throttle(sh->pool, 0);
    sl_pg_copy_init(&r->dec, sh->cols, sh->ncols, r->what);
    /* The server sends UTF-8 it converted (so checked) itself, except from
     * a SQL_ASCII database (see sl_pg_connect). */
    const char *server_enc = PQparameterStatus(r->conn, "server_encoding");
    r->dec.check_utf8 = !server_enc || !strcmp(server_enc, "SQL_ASCII");
    return r;
fail:
    sl_pg_close(r);
    return NULL;
}

/* After PQgetCopyData returned -1: the COPY's own result, then the end. */
static int sl_pg_end_copy(sl_pg_reader *r, sl_err *err)
{
    PGresult *res = PQgetResult(r->conn);
    int rc = 0;
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
        sl_pg_result_error(r->conn, res, r->what, err);
        rc = -1;
    } else {
        /* "COPY n": the server's own count, which the engine checks. */
        const char *n = PQcmdTuples(res);
        char *end = NULL;
        long long v = n && *n ? strtoll(n, &end, 10) : -1;
        r->copy_rows = end && *end == '\0' && v >= 0 ? (int64_t)v : -1;
    }
    PQclear(res);
    while ((res = PQgetResult(r->conn))) PQclear(res);
    r->in_copy = false;
    r->failed = rc < 0;   /* a server error aborted the savepoint; a decode error below did not */
    if (rc == 0 && sl_pg_copy_finish(&r->dec, r->pending.len - r->pending_off, err) < 0) rc = -1;
    r->done = true;
    return rc;
}

static long sl_pg_next(void *reader, sl_batch *batch, sl_err *err)
{
    sl_pg_reader *r = reader;
    sl_batch_reset(batch);
    size_t cap = batch->capacity;
    if (r->row_cap > 0 && (size_t)r->row_cap < cap) cap = (size_t)r->row_cap;
    while (batch->nrows < cap) {
        if (r->pending.len > r->pending_off) {
            /* The decoder fills up to capacity: lower it to the throttle's cap. */
            size_t full = batch->capacity;
            size_t used;
            batch->capacity = cap;
            long n = sl_pg_copy_decode(&r->dec, r->pending.data + r->pending_off,
                                       r->pending.len - r->pending_off, batch, &used, err);
            batch->capacity = full;
            if (n < 0) return -1;
            r->pending_off += used;
            if (batch->nrows >= cap) break;
            if (r->dec.trailer_seen && r->pending_off < r->pending.len) {
                sl_err_set(err, SL_EFORMAT, "%s: COPY data after the end marker", r->what);
                return -1;
            }
        }
        if (r->done) break;
        /* Keep an incomplete tuple at the front; read more rows behind it. */
        if (r->pending_off) {
            size_t left = r->pending.len - r->pending_off;
            memmove(r->pending.data, r->pending.data + r->pending_off, left);
            r->pending.len = left;
            r->pending_off = 0;
        }
        int rc = sl_pg_copy_read(r->conn, &r->pending, SL_PG_READ_BYTES, r->what, err);
        if (rc < 0) return -1;
        if (rc == 0 && sl_pg_end_copy(r, err) < 0) return -1;
    }
    if (r->row_cap > 0 && batch->nrows > 0) r->row_cap = sl_pg_pool_throttle(r->sh->pool, (long)batch->nrows);
    return (long)batch->nrows;
}

/* Stops a COPY in flight: a cancel request, then read what is left (the
 * rest of the stream or the cancellation error). Returns false when the
 * connection is unusable. */
static bool sl_pg_abort_copy(sl_pg_reader *r)
{
    PGcancel *cancel = PQgetCancel(r->conn);
    if (cancel) {
        char buf[256];
        PQcancel(cancel, buf, sizeof buf);
        PQfreeCancel(cancel);
    }
    for (;;) {
        char *msg = NULL;
        int len = PQgetCopyData(r->conn, &msg, 0);
        if (msg) PQfreemem(msg);
        if (len == -1) break;
        if (len < -1) return false;
    }
    PGresult *res;
    while ((res = PQgetResult(r->conn))) PQclear(res);
    r->in_copy = false;
    return PQstatus(r->conn) == CONNECTION_OK;
}

static int64_t sl_pg_reported_rows(void *reader)
{
    return ((const sl_pg_reader *)reader)->copy_rows;
}

/* The four aggregates of one column, in sluice's text forms; NULL where
 * PostgreSQL cannot give them the same way. */
static void sl_pg_aggregate_exprs(const char *q, sl_type t, sl_buf *b)
{
    char mn[512], mx[512], sum[512];
    snprintf(mn, sizeof mn, "NULL");
    snprintf(mx, sizeof mx, "NULL");
    snprintf(sum, sizeof sum, "NULL");
    switch (t.id) {
    case SL_T_BOOL:
        snprintf(mn, sizeof mn, "bool_and(%s)::text", q);
        snprintf(mx, sizeof mx, "bool_or(%s)::text", q);
        snprintf(sum, sizeof sum, "(count(*) FILTER (WHERE %s))::text", q);
        break;
    case SL_T_INT16: case SL_T_INT32: case SL_T_INT64:
        snprintf(mn, sizeof mn, "min(%s)::text", q);
        snprintf(mx, sizeof mx, "max(%s)::text", q);
        snprintf(sum, sizeof sum, "sum(%s::numeric)::text", q);
        break;
    case SL_T_DECIMAL:
        snprintf(mn, sizeof mn, "min(%s::numeric(%d,%d))::text", q, t.precision, t.scale);
        snprintf(mx, sizeof mx, "max(%s::numeric(%d,%d))::text", q, t.precision, t.scale);
        snprintf(sum, sizeof sum, "sum(%s::numeric(%d,%d))::text", q, t.precision, t.scale);
        break;
    case SL_T_FLOAT32: case SL_T_FLOAT64: case SL_T_DATE: case SL_T_TIME:
        snprintf(mn, sizeof mn, "min(%s)::text", q);
        snprintf(mx, sizeof mx, "max(%s)::text", q);
        break;
    case SL_T_TIMESTAMP:
        if (t.utc) {
            snprintf(mn, sizeof mn, "(min(%s) AT TIME ZONE 'UTC')::text || '+00'", q);
            snprintf(mx, sizeof mx, "(max(%s) AT TIME ZONE 'UTC')::text || '+00'", q);
        } else {
            snprintf(mn, sizeof mn, "min(%s)::text", q);
            snprintf(mx, sizeof mx, "max(%s)::text", q);
        }
        break;
    case SL_T_STRING: case SL_T_UUID:
        snprintf(mn, sizeof mn, "min(%s::text COLLATE \"C\")", q);
        snprintf(mx, sizeof mx, "max(%s::text COLLATE \"C\")", q);
        break;
    default:   /* bytes, json: no byte order in PostgreSQL */
        break;
    }
    sl_buf_printf(b, ", count(%s), %s, %s, %s", q, mn, mx, sum);
}

/* The receipt JSON of the rows of `predicate` (NULL: all), on conn, in
 * its snapshot; inside a savepoint of the caller's. */
static char *sl_pg_aggregate_query(PGconn *conn, const sl_pg_shared *sh, const char *predicate, const char *what,
                                   sl_err *err)
{
    /* Text forms that do not depend on the session's settings. */
    if (sl_pg_exec_cmd(conn, "SET LOCAL DateStyle = 'ISO, YMD'", what, err) < 0 ||
        sl_pg_exec_cmd(conn, "SET LOCAL extra_float_digits = 1", what, err) < 0)
        return NULL;
    sl_buf sql = { 0 };
    sl_buf_printf(&sql, "SELECT count(*)");
    for (int c = 0; c < sh->ncols; c++) {
        char *q = sl_pg_quote_ident(sh->cols[c].name);
        sl_pg_aggregate_exprs(q, sh->cols[c].type, &sql);
        sl_free(q);
    }
    sl_buf_printf(&sql, " FROM (SELECT %s FROM %s%s%s) AS sl_task", sh->select_list, sh->from,
                  predicate ? " WHERE " : "", predicate ? predicate : "");
    sl_buf_push(&sql, 0);
    PGresult *res = sl_pg_exec_tuples(conn, (const char *)sql.data, what, err);
    sl_buf_free(&sql);
    if (!res) {
        sl_err_prefix(err, "verify: source: the aggregate query");
        return NULL;
    }
    sl_buf b = { 0 };
    sl_buf_printf(&b, "{\"rows\": %s, \"columns\": [", PQgetvalue(res, 0, 0));
    for (int c = 0; c < sh->ncols; c++) {
        const char *name = sh->cols[c].name;
        sl_buf_printf(&b, "%s{\"name\": ", c ? ", " : "");
        sl_buf_json_str(&b, name, strlen(name));
        sl_buf_printf(&b, ", \"non_null\": %s", PQgetvalue(res, 0, 1 + 4 * c));
        static const char *const keys[] = { "min", "max", "sum" };
        for (int k = 0; k < 3; k++) {
            int f = 2 + 4 * c + k;
            if (PQgetisnull(res, 0, f)) continue;
            const char *v = PQgetvalue(res, 0, f);
            sl_buf_printf(&b, ", \"%s\": ", keys[k]);
            sl_buf_json_str(&b, v, strlen(v));
        }
        sl_buf_push(&b, '}');
    }
    sl_buf_printf(&b, "]}");
    sl_buf_push(&b, 0);
    PQclear(res);
    return (char *)b.data;
}

static char *sl_pg_aggregates(void *reader, sl_err *err)
{
    sl_pg_reader *r = reader;
    if (!r->done) {
        sl_err_set(err, SL_EINTERNAL, "%s: aggregates asked before the COPY ended", r->what);
        return NULL;
    }
    r->failed = true;   /* until the query succeeds: the savepoint is rolled back */
    char *json = sl_pg_aggregate_query(r->conn, r->sh, r->predicate, r->what, err);
    if (json) r->failed = false;
    return json;
}

static char *sl_pg_table_aggregates(sl_source_table *tab, sl_err *err)
{
    sl_pg_shared *sh = tab->shared;
    sl_pg_sess *sess = sl_pg_session_acquire(sh->pool, sh->group, sh->what, err);
    if (!sess) return NULL;
    char *json = NULL;
    if (sl_pg_exec_cmd(sess->conn, "SAVEPOINT sl_verify", sh->what, err) == 0) {
        json = sl_pg_aggregate_query(sess->conn, sh, NULL, sh->what, err);
        const char *end = json ? "RELEASE SAVEPOINT sl_verify" : "ROLLBACK TO SAVEPOINT sl_verify";
        sl_pg_session_release(sh->pool, sess, sl_pg_exec_ok(sess->conn, end));
    } else {
        sl_pg_session_release(sh->pool, sess, false);
    }
    return json;
}

static void sl_pg_close(void *reader)
{
    sl_pg_reader *r = reader;
    if (!r) return;
    if (r->sess) {
        bool healthy = PQstatus(r->conn) == CONNECTION_OK;
        if (healthy && r->in_copy) healthy = sl_pg_abort_copy(r);
        if (healthy && r->failed)
            healthy = sl_pg_exec_ok(r->conn, "ROLLBACK TO SAVEPOINT sl_task");
        if (healthy) healthy = sl_pg_exec_ok(r->conn, "RELEASE SAVEPOINT sl_task");
        sl_pg_session_release(r->sh->pool, r->sess, healthy);
    }
    sl_buf_free(&r->pending);
    sl_free(r);
}

const sl_source_ops sl_source_postgres = {
    .kind = "postgres",
    .prepare = sl_pg_prepare,
    .open = sl_pg_open,
    .next = sl_pg_next,
    .close = sl_pg_close,
    .finish = sl_pg_finish,
    .cancel = sl_pg_pools_cancel,
    .reported_rows = sl_pg_reported_rows,
    .aggregates = sl_pg_aggregates,
    .table_aggregates = sl_pg_table_aggregates,
};
