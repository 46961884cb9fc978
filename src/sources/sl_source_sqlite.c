/*
 * sl_source_sqlite.c - the sqlite source: a table or query of a SQLite
 * database file, opened read-only, one connection per task.
 *
 * Interface: `sl_source_sqlite` (kind "sqlite"), see sl_source.h. The
 * source's `url` (or `path`) is the database file; "sqlite://" and "file:"
 * prefixes are accepted.
 *
 * Types come from the declared column types (the job's `columns:` override
 * them), matched in this order on the upper-cased declaration:
 *   BOOL -> bool; INT -> int64; DATETIME, TIMESTAMP -> timestamp
 *   (timestamptz with TZ or WITH TIME ZONE); DATE -> date; TIME -> time;
 *   UUID -> uuid; JSON -> json; CHAR, CLOB, TEXT -> string; BLOB -> bytes;
 *   REAL, FLOA, DOUB -> float64; DECIMAL(p,s)/NUMERIC(p,s) -> decimal(p,s),
 *   DECIMAL/NUMERIC alone -> decimal(38,18).
 * A column without a declared type (an expression in a query:, or
 * `CREATE TABLE t(x)`) or with another declaration is an SL_ETYPE error
 * asking for its type in columns:.
 *
 * Values are checked against the column's type, never silently coerced:
 *   integer   only INTEGER storage (a REAL 3.5 or a TEXT 'abc' in an INTEGER
 *             column is an error naming table, column and rowid);
 *   float     INTEGER or REAL; bool: INTEGER 0/1 or text true/false/...;
 *   decimal   INTEGER, REAL (its shortest round-trip text, sl_format_float,
 *             not SQLite's 15 digits) or TEXT, converted exactly; more digits
 *             than the type holds is an error;
 *   string    TEXT (well-formed UTF-8: SQLite stores any bytes as TEXT), or
 *             INTEGER/REAL in their SQLite text form; BLOB is an error;
 *   bytes     BLOB or TEXT (its bytes);
 *   date      TEXT YYYY-MM-DD, INTEGER unix seconds at midnight, REAL julian
 *             day at midnight;
 *   timestamp TEXT ISO 8601 (YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]][Z|±HH:MM];
 *             a zone converts to UTC), INTEGER unix seconds, REAL julian day
 *             (as julianday() returns, rounded to the microsecond; a whole
 *             julian day in a NUMERIC-affinity column is stored as INTEGER by
 *             SQLite and so read as unix seconds);
 *   time      TEXT HH:MM[:SS[.ffffff]]; uuid: 16-byte BLOB or TEXT.
 * Nullability: NOT NULL (and INTEGER PRIMARY KEY) from the table's schema.
 *
 * Partitioning: `partition: {column: c, count: N}` on an integer column, or
 * on rowid when no column is given (strategy auto or range): min/max, N equal
 * ranges (`c >= a AND c < b`, first/last open-ended), a task for NULL keys
 * when the column is nullable. count 0 (auto) = workers * 2, one task when the
 * key range is under 100000. Tasks do not share a snapshot (SQLite has none
 * to export without WAL mode): extract from a database nobody is writing.
 */
#include "sl_source.h"
#include "sl_sql.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_log.h"
#include "../core/sl_text_value.h"
#include "../core/sl_utf8.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct sl_sq_shared {
    char *file;
    char *what;          /* "table orders" */
    char *sql;           /* SELECT ... FROM ... (WHERE added per task) */
    bool has_rowid;      /* last selected column is the rowid, for messages */
    bool is_query;
} sl_sq_shared;

typedef struct sl_sq_reader {
    sqlite3 *db;
    sqlite3_stmt *st;
    const sl_schema *schema;
    sl_sq_shared *sh;
    int64_t row;
    bool done;
    char what[256];
} sl_sq_reader;

static const sl_job_source *sl_sq_find_source(const sl_source_table *tab)
{
    if (tab->cfg->source) return tab->cfg->source;
    if (tab->job && tab->cfg->from)
        for (int i = 0; i < tab->job->nsources; i++)
            if (!strcmp(tab->job->sources[i].name, tab->cfg->from)) return &tab->job->sources[i];
    return NULL;
}

static const char *sl_sq_file(const sl_job_source *src)
{
    const char *f = src->url && *src->url ? src->url : src->path;
    if (!f) return NULL;
    if (!strncmp(f, "sqlite://", 9)) f += 9;
    else if (!strncmp(f, "sqlite:", 7)) f += 7;
    else if (!strncmp(f, "file:", 5)) f += 5;
    return f;
}

/* An error of db: "what: [step: ]message". SQLITE_BUSY and SQLITE_LOCKED
 * ("database is locked": another process has held a write lock for longer
 * than the busy timeout) are transient, so the engine retries the table or
 * task with backoff; everything else is a source error. */
static int sl_sq_fail(sqlite3 *db, const char *what, const char *step, sl_err *err)
{
    int prim = sqlite3_errcode(db) & 0xff;
    bool busy = prim == SQLITE_BUSY || prim == SQLITE_LOCKED;
    return sl_err_set(err, busy ? SL_ETRANSIENT : SL_ESOURCE, "%s: %s%s%s%s", what, step ? step : "",
                      step ? ": " : "", sqlite3_errmsg(db),
                      busy ? " (another process holds a write lock on the database; retried)" : "");
}

static int sl_sq_open_db(const char *file, const char *what, sqlite3 **db, sl_err *err)
{
    int rc = sqlite3_open_v2(file, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        sl_err_set(err, SL_ESOURCE, "%s: cannot open SQLite database %s: %s", what, file,
                   *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    sqlite3_busy_timeout(*db, 10000);
    return 0;
}

/* "name" with embedded quotes doubled. */
static char *sl_sq_quote(const char *name, size_t n)
{
    char *out = sl_malloc(2 * n + 3), *o = out;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (name[i] == '"') *o++ = '"';
        *o++ = name[i];
    }
    *o++ = '"';
    *o = 0;
    return out;
}

/* Splits "schema.table" (parts may be double-quoted) into unquoted parts. */
static void sl_sq_split(const char *in, char **schema, char **table)
{
    const char *p = in;
    char *parts[2] = { NULL, NULL };
    int np = 0;
    while (*p && np < 2) {
        sl_buf b = {0};
        if (*p == '"') {
            p++;
            while (*p) {
                if (*p == '"' && p[1] == '"') { sl_buf_push(&b, '"'); p += 2; continue; }
                if (*p == '"') { p++; break; }
                sl_buf_push(&b, (uint8_t)*p++);
            }
        } else {
            while (*p && *p != '.') sl_buf_push(&b, (uint8_t)*p++);
        }
        sl_buf_push(&b, 0);
        parts[np++] = (char *)b.data;
        if (*p == '.') p++;
        else break;
    }
    if (np == 2) {
        *schema = parts[0];
        *table = parts[1];
    } else {
        *schema = sl_strdup("main");
        *table = parts[0] ? parts[0] : sl_strdup("");
    }
}

/* Declared type -> logical type; -1 when there is no mapping. */
static int sl_sq_map_decl(const char *decl, sl_type *out)
{
    char up[128];
    size_t n = 0;
    for (const char *p = decl ? decl : ""; *p && n < sizeof up - 1; p++) up[n++] = (char)toupper((unsigned char)*p);
    up[n] = 0;
    sl_type t = {0};
    if (!n) return -1;
    if (strstr(up, "BOOL")) t.id = SL_T_BOOL;
    else if (strstr(up, "INT")) t.id = SL_T_INT64;
    else if (strstr(up, "DATETIME") || strstr(up, "TIMESTAMP")) {
        t.id = SL_T_TIMESTAMP;
        t.utc = strstr(up, "TZ") || strstr(up, "WITH TIME ZONE");
    } else if (strstr(up, "DATE")) t.id = SL_T_DATE;
    else if (!strncmp(up, "TIME", 4)) t.id = SL_T_TIME;
    else if (strstr(up, "UUID")) t.id = SL_T_UUID;
    else if (strstr(up, "JSON")) t.id = SL_T_JSON;
    else if (strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT")) t.id = SL_T_STRING;
    else if (strstr(up, "BLOB")) t.id = SL_T_BYTES;
    else if (strstr(up, "REAL") || strstr(up, "FLOA") || strstr(up, "DOUB")) t.id = SL_T_FLOAT64;
    else if (strstr(up, "DECIMAL") || strstr(up, "NUMERIC")) {
        const char *paren = strchr(up, '(');
        unsigned p = 38, s = 18;
        if (paren) {
            int k = sscanf(paren, "(%u , %u )", &p, &s);
            if (k == 1) s = 0;
            else if (k != 2) return -1;
        }
        if (p < 1 || p > 38 || s > p) return -1;
        t.id = SL_T_DECIMAL;
        t.precision = (uint8_t)p;
        t.scale = (uint8_t)s;
    } else return -1;
    *out = t;
    return 0;
}

static void sl_sq_shared_free(sl_sq_shared *sh)
{
    if (!sh) return;
    sl_free(sh->file);
    sl_free(sh->what);
    sl_free(sh->sql);
    sl_free(sh);
}

static int sl_sq_type_for(const sl_job_table *cfg, const char *name, const char *decl, const char *what,
                          sl_type *t, sl_err *err)
{
    for (int i = 0; i < cfg->ncolumns; i++)
        if (!strcmp(cfg->columns[i].name, name)) {
            *t = cfg->columns[i].type;
            return 0;
        }
    if (sl_sq_map_decl(decl, t) == 0) return 0;
    if (!decl || !*decl)
        return sl_err_set(err, SL_ETYPE, "%s: column %s has no declared type; set its type in columns: "
                          "(e.g. [{name: %s, type: string}])", what, name, name);
    return sl_err_set(err, SL_ETYPE, "%s: column %s: declared type %s has no mapping; set its type in columns: "
                      "(e.g. [{name: %s, type: string}])", what, name, decl, name);
}

static int sl_sq_partition(sl_source_table *tab, sqlite3 *db, sl_sq_shared *sh, const char *from,
                           bool has_rowid, sl_err *err)
{
    const sl_job_partition *pc = &tab->cfg->partition;
    const char *strategy = pc->strategy ? pc->strategy : "auto";
    const char *column = pc->column;
    bool nullable = false;
    if (!strcasecmp(strategy, "none")) goto one;
    if (!column && !has_rowid) {
        if (!strcasecmp(strategy, "auto")) goto one;
        return sl_err_set(err, SL_EJOB, "%s: partition strategy %s needs a column (partition: {column: ...})",
                          sh->what, strategy);
    }
    if (strcasecmp(strategy, "auto") && strcasecmp(strategy, "range"))
        sl_log(SL_LOG_WARN, "%s: partition strategy %s is not available for sqlite; using range", sh->what, strategy);
    char *qcol;
    if (column) {
        int c = sl_schema_find(tab->schema, column);
        if (c < 0 && strcasecmp(column, "rowid"))
            return sl_err_set(err, SL_EJOB, "%s: partition column %s is not a column of it", sh->what, column);
        if (c >= 0) {
            sl_type_id id = tab->schema->fields[c].type.id;
            if (id != SL_T_INT64 && id != SL_T_INT32 && id != SL_T_INT16)
                return sl_err_set(err, SL_EJOB, "%s: partition column %s is not an integer column", sh->what, column);
            nullable = tab->schema->fields[c].nullable;
        }
        qcol = sl_sq_quote(column, strlen(column));
        if (c < 0) {
            sl_free(qcol);
            qcol = sl_strdup("rowid");
        }
    } else {
        column = "rowid";
        qcol = sl_strdup("rowid");
    }
    char *sql = sl_sprintf("SELECT min(%s), max(%s) FROM %s", qcol, qcol, from);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    sl_free(sql);
    if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        sl_sq_fail(db, sh->what, "partition bounds", err);
        sqlite3_finalize(st);
        sl_free(qcol);
        return -1;
    }
    if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || sqlite3_column_type(st, 1) != SQLITE_INTEGER) {
        bool empty = sqlite3_column_type(st, 0) == SQLITE_NULL;
        sqlite3_finalize(st);
        sl_free(qcol);
        if (empty) goto one;
        return sl_err_set(err, SL_EDATA, "%s: partition column %s holds non-integer values; choose another "
                          "column or partition: {strategy: none}", sh->what, column);
    }
    int64_t lo = sqlite3_column_int64(st, 0), hi = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    sl_i128 span = (sl_i128)hi - lo + 1;
    int count = pc->count;
    if (count <= 0) count = span < 100000 ? 1 : (tab->workers > 0 ? tab->workers : 1) * 2;
    if ((sl_i128)count > span) count = (int)span;
    if (count <= 1) {
        sl_free(qcol);
        goto one;
    }
    tab->ntasks = count + (nullable ? 1 : 0);
    tab->tasks = sl_calloc((size_t)tab->ntasks, sizeof *tab->tasks);
    int64_t prev = lo;
    for (int i = 0; i < count; i++) {
        int64_t next = (int64_t)((sl_i128)lo + span * (i + 1) / count);
        sl_task *t = &tab->tasks[i];
        t->index = i;
        t->est_rows = -1;
        if (i == 0) t->predicate = sl_sprintf("%s < %" PRId64, qcol, next);
        else if (i == count - 1) t->predicate = sl_sprintf("%s >= %" PRId64, qcol, prev);
        else t->predicate = sl_sprintf("%s >= %" PRId64 " AND %s < %" PRId64, qcol, prev, qcol, next);
        prev = next;
    }
    if (nullable) {
        tab->tasks[count].index = count;
        tab->tasks[count].est_rows = -1;
        tab->tasks[count].predicate = sl_sprintf("%s IS NULL", qcol);
    }
    tab->strategy_note = sl_sprintf("range on %s: [%" PRId64 ", %" PRId64 "] in %d equal ranges%s", column, lo, hi,
                                    count, nullable ? " plus one task for NULL keys" : "");
    sl_free(qcol);
    return 0;
one:
    tab->ntasks = 1;
    tab->tasks = sl_calloc(1, sizeof *tab->tasks);
    tab->tasks[0].est_rows = -1;
    tab->strategy_note = sl_strdup("one task");
    return 0;
}

/* Which state of the database the tasks read, for the receipts: the file
 * (and its -wal) by size and mtime, and the file change counter of the
 * database header (bytes 24..27; not moved by commits still in the WAL).
 * Tasks read on connections of their own: a writer between them is not
 * excluded (README), and this does not prove the absence of one. */
static void sl_sq_identity(sl_source_table *tab, const char *file)
{
    char extra[64] = "\"file_change_counter\": null";
    FILE *f = fopen(file, "rb");
    unsigned char hdr[28];
    if (f && fread(hdr, 1, sizeof hdr, f) == sizeof hdr)
        snprintf(extra, sizeof extra, "\"file_change_counter\": %lu",
                 (unsigned long)hdr[24] << 24 | (unsigned long)hdr[25] << 16 | (unsigned long)hdr[26] << 8 | hdr[27]);
    if (f) fclose(f);
    char *wal = sl_sprintf("%s-wal", file);
    char *paths[2] = { (char *)file, wal };
    sl_free(tab->snapshot);
    tab->snapshot = sl_source_files_identity("sqlite", paths, 2, extra);
    sl_free(wal);
}

static int sl_sq_prepare(sl_source_table *tab, sl_err *err)
{
    const sl_job_table *cfg = tab->cfg;
    const sl_job_source *src = sl_sq_find_source(tab);
    if (!src) return sl_err_set(err, SL_EJOB, "table %s: no source named %s", cfg->name, cfg->from ? cfg->from : "?");
    const char *file = sl_sq_file(src);
    if (!file) return sl_err_set(err, SL_EJOB, "table %s: the sqlite source %s needs url: (the database file)", cfg->name, src->name);
    if (!cfg->table && !cfg->query)
        return sl_err_set(err, SL_EJOB, "table %s: a sqlite table needs table: or query:", cfg->name);
    sl_sq_shared *sh = sl_calloc(1, sizeof *sh);
    sh->file = sl_strdup(file);
    sh->what = cfg->table ? sl_sprintf("table %s", cfg->table) : sl_sprintf("query of table %s", cfg->name);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *from = NULL, *schema = NULL, *tname = NULL;
    sl_buf list = {0};
    if (sl_sq_open_db(file, sh->what, &db, err) < 0) goto fail;

    if (cfg->table) {
        sl_sq_split(cfg->table, &schema, &tname);
        char *qs = sl_sq_quote(schema, strlen(schema)), *qt = sl_sq_quote(tname, strlen(tname));
        from = sl_sprintf("%s.%s", qs, qt);
        sl_free(qs);
        sl_free(qt);
        if (sqlite3_prepare_v2(db, "SELECT name, type, \"notnull\", pk, hidden FROM pragma_table_xinfo(?1, ?2) WHERE hidden != 1",
                               -1, &st, NULL) != SQLITE_OK) {
            sl_sq_fail(db, sh->what, NULL, err);
            goto fail;
        }
        sqlite3_bind_text(st, 1, tname, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, schema, -1, SQLITE_STATIC);
        int n = 0, cap = 8;
        sl_field *fields = sl_calloc((size_t)cap, sizeof *fields);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (n == cap) fields = sl_realloc(fields, (size_t)(cap *= 2) * sizeof *fields);
            const char *name = (const char *)sqlite3_column_text(st, 0);
            const char *decl = (const char *)sqlite3_column_text(st, 1);
            fields[n].name = sl_strdup(name ? name : "");
            if (sl_sq_type_for(cfg, fields[n].name, decl, sh->what, &fields[n].type, err) < 0) {
                for (int i = 0; i <= n; i++) sl_free(fields[i].name);
                sl_free(fields);
                goto fail;
            }
            bool notnull = sqlite3_column_int(st, 2) != 0;
            /* INTEGER PRIMARY KEY is the rowid: never NULL. */
            bool rowid_pk = sqlite3_column_int(st, 3) == 1 && decl && !strcasecmp(decl, "INTEGER");
            fields[n].nullable = !(notnull || rowid_pk);
            n++;
        }
        sqlite3_finalize(st);
        st = NULL;
        if (rc != SQLITE_DONE || n == 0) {
            if (rc == SQLITE_DONE)
                sl_err_set(err, SL_ESOURCE, "%s does not exist in %s", sh->what, file);
            else
                sl_sq_fail(db, sh->what, NULL, err);
            for (int i = 0; i < n; i++) sl_free(fields[i].name);
            sl_free(fields);
            goto fail;
        }
        tab->schema = sl_calloc(1, sizeof *tab->schema);
        tab->schema->ncols = n;
        tab->schema->fields = fields;
        for (int c = 0; c < n; c++) {
            if (c) sl_buf_append(&list, ", ", 2);
            char *q = sl_sq_quote(fields[c].name, strlen(fields[c].name));
            sl_buf_append(&list, q, strlen(q));
            sl_free(q);
        }
        char *probe = sl_sprintf("SELECT rowid FROM %s LIMIT 0", from);
        sh->has_rowid = sqlite3_prepare_v2(db, probe, -1, &st, NULL) == SQLITE_OK;
        sqlite3_finalize(st);
        st = NULL;
        sl_free(probe);
        if (sh->has_rowid) sl_buf_append(&list, ", rowid", 7);
    } else {
        from = sl_sql_subquery(cfg->query);
        char *probe = sl_sprintf("SELECT * FROM %s", from);
        int rc = sqlite3_prepare_v2(db, probe, -1, &st, NULL);
        sl_free(probe);
        if (rc != SQLITE_OK) {
            sl_sq_fail(db, sh->what, NULL, err);
            goto fail;
        }
        int n = sqlite3_column_count(st);
        tab->schema = sl_schema_new(n);
        for (int c = 0; c < n; c++) {
            const char *name = sqlite3_column_name(st, c);
            sl_type t;
            if (sl_sq_type_for(cfg, name, sqlite3_column_decltype(st, c), sh->what, &t, err) < 0) goto fail;
            sl_schema_set(tab->schema, c, name, t, true);
            if (c) sl_buf_append(&list, ", ", 2);
            char *q = sl_sq_quote(name, strlen(name));
            sl_buf_append(&list, q, strlen(q));
            sl_free(q);
        }
        sqlite3_finalize(st);
        st = NULL;
        sh->is_query = true;
    }
    for (int i = 0; i < cfg->ncolumns; i++)
        if (sl_schema_find(tab->schema, cfg->columns[i].name) < 0) {
            sl_err_set(err, SL_EJOB, "%s: columns: %s is not a column of it", sh->what, cfg->columns[i].name);
            goto fail;
        }
    sl_buf_push(&list, 0);
    sh->sql = sl_sprintf("SELECT %s FROM %s", (char *)list.data, from);
    if (sl_sq_partition(tab, db, sh, from, cfg->table && sh->has_rowid, err) < 0) goto fail;
    sl_buf_free(&list);
    sl_free(from);
    sl_free(schema);
    sl_free(tname);
    sl_sq_identity(tab, file);
    sqlite3_close(db);
    tab->shared = sh;
    return 0;
fail:
    sqlite3_finalize(st);
    sqlite3_close(db);
    sl_buf_free(&list);
    sl_free(from);
    sl_free(schema);
    sl_free(tname);
    sl_schema_free(tab->schema);
    tab->schema = NULL;
    sl_source_table_clear(tab);
    sl_sq_shared_free(sh);
    return -1;
}

static void sl_sq_finish(sl_source_table *tab)
{
    sl_sq_shared_free(tab->shared);
    tab->shared = NULL;
}

static void sl_sq_close(void *reader)
{
    sl_sq_reader *r = reader;
    if (!r) return;
    sqlite3_finalize(r->st);
    sqlite3_close(r->db);
    sl_free(r);
}

static void *sl_sq_open(sl_source_table *tab, const sl_task *task, sl_err *err)
{
    sl_sq_shared *sh = tab->shared;
    sl_sq_reader *r = sl_calloc(1, sizeof *r);
    r->sh = sh;
    r->schema = tab->schema;
    /* The engine says which task (and its predicate) before this. */
    snprintf(r->what, sizeof r->what, "%s", sh->what);
    if (sl_sq_open_db(sh->file, r->what, &r->db, err) < 0) goto fail;
    char *sql = task->predicate ? sl_sprintf("%s WHERE %s", sh->sql, task->predicate) : sl_strdup(sh->sql);
    int rc = sqlite3_prepare_v2(r->db, sql, -1, &r->st, NULL);
    sl_free(sql);
    if (rc != SQLITE_OK) {
        sl_sq_fail(r->db, r->what, NULL, err);
        goto fail;
    }
    return r;
fail:
    sl_sq_close(r);
    return NULL;
}

static const char *sl_sq_storage(int t)
{
    switch (t) {
    case SQLITE_INTEGER: return "an integer";
    case SQLITE_FLOAT: return "a real number";
    case SQLITE_TEXT: return "text";
    case SQLITE_BLOB: return "a blob";
    default: return "NULL";
    }
}

/* The *why of a TEXT value that is not UTF-8 (the message says where). */
static const char sl_sq_not_utf8[] = "not UTF-8";

/* One value; -1 when the storage class does not fit the column's type. */
static int sl_sq_value(sqlite3_stmt *st, int c, int stype, sl_vector *v, size_t row, const char **why)
{
    *why = NULL;
    switch (v->type.id) {
    case SL_T_BOOL: {
        uint8_t b;
        if (stype == SQLITE_INTEGER) {
            int64_t x = sqlite3_column_int64(st, c);
            if (x != 0 && x != 1) { *why = "not 0 or 1"; return -1; }
            b = (uint8_t)x;
        } else if (stype == SQLITE_TEXT) {
            bool bb;
            if (sl_text_bool((const char *)sqlite3_column_text(st, c), (size_t)sqlite3_column_bytes(st, c), &bb) < 0) return -1;
            b = bb;
        } else return -1;
        *(uint8_t *)sl_vec_slot(v, row) = b;
        return 0;
    }
    case SL_T_INT16:
    case SL_T_INT32:
    case SL_T_INT64: {
        if (stype != SQLITE_INTEGER) return -1;
        int64_t x = sqlite3_column_int64(st, c);
        if (v->type.id == SL_T_INT64) { memcpy(sl_vec_slot(v, row), &x, 8); return 0; }
        if (v->type.id == SL_T_INT32) {
            if (x < INT32_MIN || x > INT32_MAX) { *why = "out of range for int32"; return -1; }
            int32_t y = (int32_t)x;
            memcpy(sl_vec_slot(v, row), &y, 4);
            return 0;
        }
        if (x < INT16_MIN || x > INT16_MAX) { *why = "out of range for int16"; return -1; }
        int16_t y = (int16_t)x;
        memcpy(sl_vec_slot(v, row), &y, 2);
        return 0;
    }
    case SL_T_FLOAT32:
    case SL_T_FLOAT64: {
        if (stype != SQLITE_INTEGER && stype != SQLITE_FLOAT) return -1;
        double d = sqlite3_column_double(st, c);
        if (v->type.id == SL_T_FLOAT32) {
            float f = (float)d;
            memcpy(sl_vec_slot(v, row), &f, 4);
        } else {
            memcpy(sl_vec_slot(v, row), &d, 8);
        }
        return 0;
    }
    case SL_T_DECIMAL: {
        if (stype == SQLITE_BLOB) return -1;
        sl_i128 x;
        char real[64];
        const char *text = real;
        size_t n;
        if (stype == SQLITE_FLOAT) {
            /* SQLite's own text of a REAL has 15 significant digits; the
             * shortest round-trip form is the double's exact meaning. */
            n = sl_format_float(sqlite3_column_double(st, c), false, real);
        } else {
            text = (const char *)sqlite3_column_text(st, c);
            n = (size_t)sqlite3_column_bytes(st, c);
        }
        if (sl_text_decimal(text, n, v->type.precision, v->type.scale, &x, why) < 0) return -1;
        sl_vec_set_decimal(v, row, x);
        return 0;
    }
    case SL_T_STRING:
    case SL_T_JSON: {
        if (stype == SQLITE_BLOB) return -1;
        const uint8_t *text = sqlite3_column_text(st, c);
        size_t n = (size_t)sqlite3_column_bytes(st, c);
        /* SQLite stores whatever bytes it was given as TEXT. */
        if (stype == SQLITE_TEXT && sl_utf8_check(text, n) != n) {
            *why = sl_sq_not_utf8;
            return -1;
        }
        sl_vec_set_bytes(v, row, text, n);
        return 0;
    }
    case SL_T_BYTES:
        if (stype == SQLITE_BLOB) {
            sl_vec_set_bytes(v, row, sqlite3_column_blob(st, c), (size_t)sqlite3_column_bytes(st, c));
            return 0;
        }
        if (stype != SQLITE_TEXT) return -1;
        sl_vec_set_bytes(v, row, sqlite3_column_text(st, c), (size_t)sqlite3_column_bytes(st, c));
        return 0;
    case SL_T_DATE: {
        int32_t d;
        if (stype == SQLITE_TEXT) {
            if (sl_text_date((const char *)sqlite3_column_text(st, c), (size_t)sqlite3_column_bytes(st, c), &d) < 0) return -1;
        } else if (stype == SQLITE_INTEGER) {
            int64_t s = sqlite3_column_int64(st, c);
            if (s % 86400) { *why = "unix seconds not at midnight"; return -1; }
            if (s / 86400 < INT32_MIN || s / 86400 > INT32_MAX) return -1;
            d = (int32_t)(s / 86400);
        } else if (stype == SQLITE_FLOAT) {
            double days = sqlite3_column_double(st, c) - 2440587.5;
            if (days != floor(days) || fabs(days) > 2e9) { *why = "julian day not at midnight"; return -1; }
            d = (int32_t)days;
        } else return -1;
        memcpy(sl_vec_slot(v, row), &d, 4);
        return 0;
    }
    case SL_T_TIMESTAMP: {
        int64_t us;
        if (stype == SQLITE_TEXT) {
            bool zone;
            if (sl_text_timestamp((const char *)sqlite3_column_text(st, c), (size_t)sqlite3_column_bytes(st, c), &us, &zone) < 0)
                return -1;
        } else if (stype == SQLITE_INTEGER) {
            int64_t s = sqlite3_column_int64(st, c);
            if (__builtin_mul_overflow(s, 1000000, &us)) { *why = "out of range"; return -1; }
        } else if (stype == SQLITE_FLOAT) {
            double x = (sqlite3_column_double(st, c) - 2440587.5) * 86400e6;
            if (!(fabs(x) < 9e18)) { *why = "out of range"; return -1; }
            us = llround(x);
        } else return -1;
        memcpy(sl_vec_slot(v, row), &us, 8);
        return 0;
    }
    case SL_T_TIME: {
        int64_t us;
        if (stype != SQLITE_TEXT ||
            sl_text_time((const char *)sqlite3_column_text(st, c), (size_t)sqlite3_column_bytes(st, c), &us) < 0) return -1;
        memcpy(sl_vec_slot(v, row), &us, 8);
        return 0;
    }
    case SL_T_UUID:
        if (stype == SQLITE_BLOB && sqlite3_column_bytes(st, c) == 16) {
            memcpy(sl_vec_slot(v, row), sqlite3_column_blob(st, c), 16);
            return 0;
        }
        if (stype == SQLITE_TEXT)
            return sl_text_uuid((const char *)sqlite3_column_text(st, c), (size_t)sqlite3_column_bytes(st, c),
                                sl_vec_slot(v, row));
        return -1;
    default:
        return -1;
    }
}

static long sl_sq_next(void *reader, sl_batch *batch, sl_err *err)
{
    sl_sq_reader *r = reader;
    sl_batch_reset(batch);
    const int ncols = r->schema->ncols;
    while (!r->done && batch->nrows < batch->capacity) {
        int rc = sqlite3_step(r->st);
        if (rc == SQLITE_DONE) {
            r->done = true;
            break;
        }
        if (rc != SQLITE_ROW) {
            return sl_sq_fail(r->db, r->what, NULL, err);
        }
        r->row++;
        size_t row = batch->nrows;
        for (int c = 0; c < ncols; c++) {
            sl_vector *v = &batch->cols[c];
            int stype = sqlite3_column_type(r->st, c);
            if (stype == SQLITE_NULL) {
                sl_vec_set_null(v, row);
                continue;
            }
            const char *why;
            if (sl_sq_value(r->st, c, stype, v, row, &why) < 0) {
                char where[64], tb[48];
                if (r->sh->has_rowid)
                    snprintf(where, sizeof where, "rowid %lld", (long long)sqlite3_column_int64(r->st, ncols));
                else
                    snprintf(where, sizeof where, "row %lld of the task", (long long)r->row);
                if (why == sl_sq_not_utf8) {
                    const uint8_t *text = sqlite3_column_text(r->st, c);
                    size_t n = (size_t)sqlite3_column_bytes(r->st, c);
                    char bad[160];
                    return sl_err_set(err, SL_EDATA, "%s: column %s: %s: %s; fix the data, or read it as bytes "
                                      "(set its type to bytes in columns:, or CAST(%s AS BLOB) in a query:)",
                                      r->what, r->schema->fields[c].name, where,
                                      sl_utf8_describe(text, n, sl_utf8_check(text, n), bad, sizeof bad),
                                      r->schema->fields[c].name);
                }
                char real[64];
                const char *text = stype == SQLITE_BLOB ? "" : (const char *)sqlite3_column_text(r->st, c);
                if (stype == SQLITE_FLOAT) {
                    sl_format_float(sqlite3_column_double(r->st, c), false, real);
                    text = real;
                }
                return sl_err_set(err, SL_EDATA, "%s: column %s: %s: %s '%.60s' in a %s column%s%s; fix the data, "
                                  "or cast it in a query: or set its type in columns:",
                                  r->what, r->schema->fields[c].name, where, sl_sq_storage(stype), text ? text : "",
                                  sl_type_format(v->type, tb, sizeof tb), why ? ": " : "", why ? why : "");
            }
        }
        batch->nrows = row + 1;
    }
    return (long)batch->nrows;
}

const sl_source_ops sl_source_sqlite = {
    .kind = "sqlite",
    .prepare = sl_sq_prepare,
    .open = sl_sq_open,
    .next = sl_sq_next,
    .close = sl_sq_close,
    .finish = sl_sq_finish,
};
