/*
 * sl_pg_partition.c - cutting a PostgreSQL relation into tasks (see
 * sl_pg_partition.h for the strategies and the rules of `auto`).
 *
 * Steps: facts about the relation (pg_class, pg_stat_get_*), the key
 * (given, or chosen from the indexes), the key's distribution (pg_stats, or
 * a TABLESAMPLE sample when the statistics are missing or stale), then the
 * boundaries. Keys are of two kinds:
 *   numeric  int2/int4/int8, date, timestamp, timestamptz: positions are
 *            doubles (the integer, days or microseconds since 1970), the
 *            distribution is a piecewise-linear CDF through equal-depth
 *            points plus point masses (most common values), so boundaries
 *            and per-task estimates can be interpolated inside buckets;
 *   ordinal  anything else sortable (text, uuid, numeric, ...): candidate
 *            boundary values with the fraction of rows below each, computed
 *            by the server in the key's collation (so boundaries are in the
 *            order the predicates compare them).
 * Everything here only reads: no ANALYZE, no temporary objects.
 */
#include "sl_pg_partition.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"
#include "sl_pg_conn.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SL_PP_SAMPLE_PAGES 1000       /* blocks a sample reads, at most */
#define SL_PP_SAMPLE_POINTS 201       /* quantiles taken from a sample */
#define SL_PP_RANGE_SKEW_OK 1.25      /* auto: equal-width ranges are fine below this */

/* pg_stats rows of a relation: a partitioned table has only the inherited
 * ones (ANALYZE of the parent over all its partitions; it holds no rows of
 * its own), a table only its own. $1, $2 = schema, table. */
#define SL_PP_INHERITED(a) a "inherited = EXISTS (SELECT 1 FROM pg_class ic JOIN pg_namespace inn ON inn.oid = " \
    "ic.relnamespace WHERE inn.nspname = $1 AND ic.relname = $2 AND ic.relkind = 'p')"

typedef enum { SL_PK_INT, SL_PK_DATE, SL_PK_TS, SL_PK_TSTZ, SL_PK_ORD } sl_pp_kind;

typedef struct sl_pp_rel {
    char *nsp, *rel;          /* for pg_stats */
    char relkind;
    double rows;              /* estimate; -1 unknown */
    int64_t pages;            /* current blocks; -1 unknown (not a plain table) */
    bool sampleable;          /* TABLESAMPLE works: a table, materialized view or partitioned table */
    int64_t sample_blocks;    /* blocks a TABLESAMPLE draws from (a partitioned table: its leaves'); -1 unknown */
    bool stale;               /* statistics missing or stale */
    double n_mod;             /* rows changed since the last analyze */
    int server_version;
} sl_pp_rel;

typedef struct sl_pp_key {
    const char *name;
    char *q;                  /* quoted identifier */
    char *type;               /* format_type(), for casts */
    char *collate;            /* " COLLATE x" or "" */
    sl_pp_kind kind;
    bool nullable;
    bool indexed;             /* leading column of a valid b-tree index */
    const char *why;          /* auto: why this column */
} sl_pp_key;

typedef struct sl_pp_dist {
    bool have;
    char src[160];            /* "pg_stats" or "a sample of N rows (p% of blocks)" */
    double null_frac;         /* of all rows */
    double hist_frac;         /* of all rows, described by the points */
    int n;
    double *x;                /* numeric: equal-depth positions */
    char **txt;               /* ordinal: candidate values */
    double *cum;              /* ordinal: fraction of all rows below each candidate */
    int nmcv;
    double *mx, *mf;          /* numeric: most common values and their frequencies */
    double sample_rows;       /* rows estimated from a sample; -1 when none */
} sl_pp_dist;

static void sl_pp_dist_free(sl_pp_dist *d)
{
    for (int i = 0; d->txt && i < d->n; i++) sl_free(d->txt[i]);
    sl_free(d->txt);
    sl_free(d->x);
    sl_free(d->cum);
    sl_free(d->mx);
    sl_free(d->mf);
    memset(d, 0, sizeof *d);
}

/* ---- small helpers ---- */

int sl_pg_partition_auto_count(double est_rows, int workers, int max_connections, bool increment)
{
    int par = workers > 0 ? workers : 1;
    if (max_connections > 0 && par > max_connections) par = max_connections;
    double n = (double)par * SL_PGPART_TASKS_PER_WORKER;
    if (increment && est_rows >= 0) {
        double big = floor(est_rows / SL_PGPART_INCR_TASK_ROWS);
        if (n > (big > par ? big : par)) n = big > par ? big : par;
    }
    if (est_rows >= 0 && n > est_rows / SL_PGPART_MIN_TASK_ROWS) n = floor(est_rows / SL_PGPART_MIN_TASK_ROWS);
    if (n > SL_PGPART_MAX_TASKS) n = SL_PGPART_MAX_TASKS;
    return n < 1 ? 1 : (int)n;
}

static void sl_pp_one(sl_source_table *tab, double est_rows, char *note)
{
    tab->tasks = sl_calloc(1, sizeof *tab->tasks);
    tab->ntasks = 1;
    tab->tasks[0].index = 0;
    tab->tasks[0].predicate = NULL;
    tab->tasks[0].est_rows = est_rows >= 0 ? (int64_t)llround(est_rows) : -1;
    tab->strategy_note = note;
}

static const char *sl_pp_num_expr(sl_pp_kind kind)
{
    switch (kind) {
    case SL_PK_INT: return "(%s)::float8";
    case SL_PK_DATE: return "((%s) - date '1970-01-01')::float8";
    case SL_PK_TS: case SL_PK_TSTZ: return "(extract(epoch from %s) * 1000000)::float8";
    default: return "NULL::float8 /* %s */";
    }
}

static char *sl_pp_num(sl_pp_kind kind, const char *expr)
{
    const char *fmt = sl_pp_num_expr(kind);
    const char *at = strstr(fmt, "%s");
    return sl_sprintf("%.*s%s%s", (int)(at - fmt), fmt, expr, at + 2);
}

/* Days since 1970-01-01 -> civil date (proleptic Gregorian). */
static void sl_pp_civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t sl_pp_floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* A boundary of a numeric key as a SQL literal of its type. */
static char *sl_pp_literal(const sl_pp_key *k, int64_t v)
{
    if (k->kind == SL_PK_INT) return sl_sprintf("%" PRId64, v);
    int64_t days = k->kind == SL_PK_DATE ? v : sl_pp_floordiv(v, 86400000000LL);
    int64_t y;
    unsigned mo, d;
    sl_pp_civil(days, &y, &mo, &d);
    bool bc = y <= 0;
    if (bc) y = 1 - y;
    if (k->kind == SL_PK_DATE)
        return sl_sprintf("'%04" PRId64 "-%02u-%02u%s'::date", y, mo, d, bc ? " BC" : "");
    int64_t us = v - days * 86400000000LL;
    int64_t secs = us / 1000000, frac = us % 1000000;
    char fbuf[16] = "";
    if (frac) snprintf(fbuf, sizeof fbuf, ".%06" PRId64, frac);
    return sl_sprintf("'%04" PRId64 "-%02u-%02u %02d:%02d:%02d%s%s%s'::%s", y, mo, d, (int)(secs / 3600),
                      (int)(secs / 60 % 60), (int)(secs % 60), fbuf, k->kind == SL_PK_TSTZ ? "+00" : "",
                      bc ? " BC" : "", k->kind == SL_PK_TSTZ ? "timestamptz" : "timestamp");
}

static int64_t sl_pp_round(double x)
{
    if (x >= 9.2e18) return INT64_MAX;
    if (x <= -9.2e18) return INT64_MIN + 1;
    return (int64_t)llround(x);
}

/* ---- facts about the relation ---- */

/* Runs sql with $1 = the relation's oid and, when arg2 is not NULL, $2 =
 * arg2. The result, or NULL with err. */
static PGresult *sl_pp_rel_query(const sl_pg_part_in *in, const char *sql, const char *arg2, sl_err *err)
{
    char o[16];
    snprintf(o, sizeof o, "%u", in->relid);
    const char *params[] = { o, arg2 };
    return sl_pg_exec_params(in->conn, sql, arg2 ? 2 : 1, params, in->what, err);
}

/* The statistics functions of pg_stat_all_tables, called for this relation
 * only: the view aggregates every relation of the database first (100 ms a
 * table in a database of thousands). */
const char *const sl_pg_rel_facts_cols =
    "n.nspname, c.relname, c.reltuples::float8, c.relpages::int8, c.relkind::text, "
        "CASE WHEN c.relkind IN ('r', 'm', 't') THEN pg_relation_size(c.oid) / current_setting('block_size')::int8 "
        "ELSE -1 END, coalesce(pg_stat_get_mod_since_analyze(c.oid), 0)::float8, "
        "(pg_stat_get_last_analyze_time(c.oid) IS NOT NULL OR pg_stat_get_last_autoanalyze_time(c.oid) IS NOT NULL), "
        "current_setting('server_version_num')::int, "
        "CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(pg_relation_size(p.relid)), 0) FROM "
        "pg_partition_tree(c.oid) p WHERE p.isleaf) / current_setting('block_size')::int8 END, "
        /* A partitioned table: the sum of its leaves' estimates (each the
         * planner's tuples per page times its pages now), unknown when
         * any leaf was never analyzed; and the leaves' changes since. */
        "CASE WHEN c.relkind = 'p' THEN (SELECT CASE WHEN bool_and(lc.reltuples >= 0 OR "
        "  pg_relation_size(lc.oid) = 0) THEN sum(CASE WHEN pg_relation_size(lc.oid) = 0 THEN 0 "
        "  WHEN lc.relpages > 0 THEN lc.reltuples / lc.relpages * (pg_relation_size(lc.oid) / "
        "  current_setting('block_size')::int8) ELSE greatest(lc.reltuples, 0) END) END "
        "  FROM pg_partition_tree(c.oid) p JOIN pg_class lc ON lc.oid = p.relid WHERE p.isleaf) END, "
        "CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(pg_stat_get_mod_since_analyze(p.relid)), 0) FROM "
        "  pg_partition_tree(c.oid) p WHERE p.isleaf) END";

static int sl_pp_rel_load(const sl_pg_part_in *in, sl_pp_rel *rel, sl_err *err)
{
    memset(rel, 0, sizeof *rel);
    rel->rows = in->est_rows;
    rel->pages = -1;
    rel->sample_blocks = -1;
    rel->stale = true;
    if (!in->relid) return 0;
    PGresult *own = NULL;
    const PGresult *res = in->facts;
    int o = in->facts_col;
    if (!res) {
        char *sql = sl_sprintf("SELECT %s FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                               "WHERE c.oid = $1::oid", sl_pg_rel_facts_cols);
        own = sl_pp_rel_query(in, sql, NULL, err);
        sl_free(sql);
        res = own;
        o = 0;
    }
    if (!res) return -1;
    if (PQntuples(res) < 1) {
        PQclear(own);
        return sl_err_set(err, SL_ESOURCE, "%s: disappeared while planning its partitions", in->what);
    }
    rel->nsp = sl_strdup(PQgetvalue(res, 0, o + 0));
    rel->rel = sl_strdup(PQgetvalue(res, 0, o + 1));
    double reltuples = atof(PQgetvalue(res, 0, o + 2));
    int64_t relpages = strtoll(PQgetvalue(res, 0, o + 3), NULL, 10);
    rel->relkind = PQgetvalue(res, 0, o + 4)[0];
    rel->pages = strtoll(PQgetvalue(res, 0, o + 5), NULL, 10);
    rel->n_mod = atof(PQgetvalue(res, 0, o + 6));
    bool analyzed = PQgetvalue(res, 0, o + 7)[0] == 't';
    rel->server_version = atoi(PQgetvalue(res, 0, o + 8));
    /* Views and foreign tables cannot be sampled: they are planned like a query. */
    rel->sampleable = rel->relkind && strchr("rmp", rel->relkind);
    rel->sample_blocks = rel->relkind == 'p' ? strtoll(PQgetvalue(res, 0, o + 9), NULL, 10) : rel->pages;
    if (rel->relkind == 'p') {
        /* Its partitions' estimates summed; inherited statistics are stale
         * when the parent was never analyzed (autovacuum never does it) or
         * its count drifted from the leaves' by over 20%. */
        rel->rows = PQgetisnull(res, 0, o + 10) ? -1 : atof(PQgetvalue(res, 0, o + 10));
        rel->n_mod = atof(PQgetvalue(res, 0, o + 11));
        rel->stale = reltuples < 0 || rel->rows < 0 || fabs(reltuples - rel->rows) > 0.2 * rel->rows + 1000;
        PQclear(own);
        return 0;
    }
    PQclear(own);
    /* The planner's own estimate: tuples per page at the last VACUUM/ANALYZE
     * times the pages there are now. */
    if (rel->pages == 0) rel->rows = 0;
    else if (rel->pages > 0 && relpages > 0 && reltuples >= 0) rel->rows = reltuples / (double)relpages * (double)rel->pages;
    else rel->rows = -1;
    rel->stale = reltuples < 0 || (relpages == 0 && rel->pages > 0) ||
                 rel->n_mod > 0.2 * (reltuples > 0 ? reltuples : 0) + 1000 ||
                 (relpages > 0 && rel->pages > relpages + relpages / 5 + 10);
    (void)analyzed;   /* a table loaded and analyzed by hand has no last_analyze yet in pg_stat */
    return 0;
}

static void sl_pp_rel_free(sl_pp_rel *rel)
{
    sl_free(rel->nsp);
    sl_free(rel->rel);
}

/* ---- the key ---- */

static sl_pp_kind sl_pp_kind_of(sl_type t)
{
    switch (t.id) {
    case SL_T_INT16: case SL_T_INT32: case SL_T_INT64: return SL_PK_INT;
    case SL_T_DATE: return SL_PK_DATE;
    case SL_T_TIMESTAMP: return t.utc ? SL_PK_TSTZ : SL_PK_TS;
    default: return SL_PK_ORD;
    }
}

static void sl_pp_key_free(sl_pp_key *k)
{
    sl_free(k->q);
    sl_free(k->type);
    sl_free(k->collate);
    memset(k, 0, sizeof *k);
}

/* Type name, collation and index of a column (cfg or chosen). */
static int sl_pp_key_describe(const sl_pg_part_in *in, const char *name, sl_pp_key *k, sl_err *err)
{
    int col = sl_schema_find(in->schema, name);
    if (col < 0)
        return sl_err_set(err, SL_EJOB, "%s: partition column %s is not a column of it", in->what, name);
    const sl_field *f = &in->schema->fields[col];
    if (f->type.id == SL_T_JSON || f->type.id == SL_T_BOOL)
        return sl_err_set(err, SL_EJOB, "%s: partition column %s is %s, which cannot be cut into ranges; "
                          "pick an integer, text, uuid, date or timestamp column (or partition: {strategy: pages})",
                          in->what, name, f->type.id == SL_T_JSON ? "json" : "boolean");
    k->name = f->name;
    k->q = sl_pg_quote_ident(name);
    k->kind = sl_pp_kind_of(f->type);
    k->nullable = f->nullable;
    k->collate = sl_strdup("");
    if (in->relid) {
        PGresult *res = sl_pp_rel_query(in,
            "SELECT format_type(a.atttypid, a.atttypmod), "
            "CASE WHEN a.attcollation <> 0 THEN format('%I.%I', cn.nspname, co.collname) END, "
            "EXISTS (SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
            "        JOIN pg_am am ON am.oid = ic.relam WHERE i.indrelid = a.attrelid AND i.indkey[0] = a.attnum "
            "        AND am.amname = 'btree' AND i.indisvalid AND i.indpred IS NULL) "
            "FROM pg_attribute a LEFT JOIN pg_collation co ON co.oid = a.attcollation "
            "LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace "
            "WHERE a.attrelid = $1::oid AND a.attname = $2 AND NOT a.attisdropped",
            name, err);
        if (!res) return -1;
        if (PQntuples(res) == 1) {
            k->type = sl_strdup(PQgetvalue(res, 0, 0));
            if (!PQgetisnull(res, 0, 1)) {
                sl_free(k->collate);
                k->collate = sl_sprintf(" COLLATE %s", PQgetvalue(res, 0, 1));
            }
            k->indexed = PQgetvalue(res, 0, 2)[0] == 't';
        }
        PQclear(res);
    }
    if (!k->type) {
        char *sql = sl_sprintf("SELECT %s FROM %s LIMIT 0", k->q, in->from);
        PGresult *res = sl_pg_exec_tuples(in->conn, sql, in->what, err);
        sl_free(sql);
        if (!res) return -1;
        char o[16], m[16];
        snprintf(o, sizeof o, "%u", PQftype(res, 0));
        snprintf(m, sizeof m, "%d", PQfmod(res, 0));
        PQclear(res);
        const char *params[] = { o, m };
        res = sl_pg_exec_params(in->conn, "SELECT format_type($1::oid, $2::int)", 2, params, in->what, err);
        if (!res) return -1;
        k->type = sl_strdup(PQgetvalue(res, 0, 0));
        PQclear(res);
    }
    return 0;
}

/* auto: the primary key, else a unique, else any b-tree index's leading
 * column; integers first. Returns 1 when found, 0 when none, -1 on error. */
static int sl_pp_key_choose(const sl_pg_part_in *in, sl_pp_key *k, sl_err *err)
{
    if (!in->relid) return 0;
    PGresult *res = sl_pp_rel_query(in,
        "SELECT a.attname, i.indisprimary AND i.indnatts = 1, i.indisunique AND i.indnatts = 1, i.indnatts = 1 "
        "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
        "WHERE i.indrelid = $1::oid AND am.amname = 'btree' AND i.indisvalid AND i.indpred IS NULL "
        "AND i.indkey[0] > 0 "
        "ORDER BY 2 DESC, 3 DESC, a.atttypid IN (20, 21, 23) DESC, a.atttypid IN (1082, 1114, 1184) DESC, "
        "i.indnatts, a.attnum",
        NULL, err);
    if (!res) return -1;
    int found = 0;
    for (int r = 0; r < PQntuples(res) && !found; r++) {
        const char *name = PQgetvalue(res, r, 0);
        int col = sl_schema_find(in->schema, name);
        if (col < 0) continue;
        sl_type_id id = in->schema->fields[col].type.id;
        if (id == SL_T_JSON || id == SL_T_BOOL) continue;
        const char *why = PQgetvalue(res, r, 1)[0] == 't' ? "primary key"
                        : PQgetvalue(res, r, 2)[0] == 't' ? "unique index"
                        : PQgetvalue(res, r, 3)[0] == 't' ? "b-tree index"
                        : "leading column of a b-tree index";
        if (sl_pp_key_describe(in, name, k, err) < 0) {
            PQclear(res);
            return -1;
        }
        k->why = why;
        found = 1;
    }
    PQclear(res);
    return found;
}

/* ---- the distribution ---- */

/* Fraction of all rows with key < x (numeric keys). */
static double sl_pp_cdf(const sl_pp_dist *d, double x)
{
    double h = 0;
    if (d->n > 0) {
        if (x > d->x[d->n - 1]) {
            h = 1;
        } else if (x > d->x[0]) {
            int lo = 0, hi = d->n - 1;   /* largest j with x[j] < x: in [0, n-2] */
            while (hi - lo > 1) {
                int mid = (lo + hi) / 2;
                if (d->x[mid] < x) lo = mid;
                else hi = mid;
            }
            h = ((double)lo + (x - d->x[lo]) / (d->x[lo + 1] - d->x[lo])) / (d->n - 1);
        }
    }
    double m = 0;
    for (int i = 0; i < d->nmcv; i++)
        if (d->mx[i] < x) m += d->mf[i];
    return d->hist_frac * h + m;
}

static void sl_pp_extremes(const sl_pp_dist *d, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    if (d->n > 0) {
        *lo = d->x[0];
        *hi = d->x[d->n - 1];
    }
    for (int i = 0; i < d->nmcv; i++) {
        if (d->mx[i] < *lo) *lo = d->mx[i];
        if (d->mx[i] > *hi) *hi = d->mx[i];
    }
}

/* Smallest x (approximately) with cdf(x) >= t. */
static double sl_pp_invert(const sl_pp_dist *d, double t, double lo, double hi)
{
    for (int it = 0; it < 200 && hi - lo > 0.5; it++) {
        double mid = lo + (hi - lo) / 2;
        if (mid <= lo || mid >= hi) break;   /* at the resolution of a double */
        if (sl_pp_cdf(d, mid) >= t) hi = mid;
        else lo = mid;
    }
    return hi;
}

/* Runs (and frees) a pg_stats query of column k with $1, $2, $3 = schema,
 * table, column. NULL when pg_stats cannot be used: the caller samples. */
static PGresult *sl_pp_stats_query(const sl_pg_part_in *in, const sl_pp_rel *rel, const sl_pp_key *k, char *sql)
{
    const char *params[] = { rel->nsp, rel->rel, k->name };
    sl_err ignore = SL_ERR_INIT;
    /* A savepoint of its own: its failure must leave the transaction usable for the sample. */
    PGresult *res = NULL;
    if (sl_pg_exec_ok(in->conn, "SAVEPOINT sl_stats")) {
        res = sl_pg_exec_params(in->conn, sql, 3, params, in->what, &ignore);
        if (!res) sl_pg_exec_ok(in->conn, "ROLLBACK TO SAVEPOINT sl_stats");
        sl_pg_exec_ok(in->conn, "RELEASE SAVEPOINT sl_stats");
    }
    sl_free(sql);
    if (!res) sl_log(SL_LOG_DEBUG, "%s: pg_stats unusable (%s); sampling", in->what, ignore.msg);
    return res;
}

static int sl_pp_stats(const sl_pg_part_in *in, const sl_pp_rel *rel, const sl_pp_key *k, sl_pp_dist *d,
                       sl_err *err)
{
    PGresult *res;
    if (k->kind != SL_PK_ORD) {
        char *num = sl_pp_num(k->kind, "u.v");
        char *sql = sl_sprintf(
            "SELECT 'h', %s, 0::float8, s.null_frac::float8, u.i FROM pg_stats s, "
            "unnest(s.histogram_bounds::text::%s[]) WITH ORDINALITY AS u(v, i) "
            "WHERE s.schemaname = $1 AND s.tablename = $2 AND s.attname = $3 AND " SL_PP_INHERITED("s.") " "
            "UNION ALL SELECT 'm', %s, u.f::float8, s.null_frac::float8, 0 FROM pg_stats s, "
            "unnest(s.most_common_vals::text::%s[], s.most_common_freqs) AS u(v, f) "
            "WHERE s.schemaname = $1 AND s.tablename = $2 AND s.attname = $3 AND " SL_PP_INHERITED("s.") " "
            "UNION ALL SELECT 'n', NULL, NULL, s.null_frac::float8, 0 FROM pg_stats s "
            "WHERE s.schemaname = $1 AND s.tablename = $2 AND s.attname = $3 AND " SL_PP_INHERITED("s.") " "
            "ORDER BY 1, 5", num, k->type, num, k->type);
        sl_free(num);
        res = sl_pp_stats_query(in, rel, k, sql);
        if (!res) return 0;
        int nrows = PQntuples(res);
        d->x = sl_calloc((size_t)nrows + 1, sizeof *d->x);
        d->mx = sl_calloc((size_t)nrows + 1, sizeof *d->mx);
        d->mf = sl_calloc((size_t)nrows + 1, sizeof *d->mf);
        double mcv_sum = 0;
        for (int r = 0; r < nrows; r++) {
            char kind = PQgetvalue(res, r, 0)[0];
            d->null_frac = atof(PQgetvalue(res, r, 3));
            if (kind == 'n') d->have = true;
            else if (PQgetisnull(res, r, 1)) continue;
            else if (kind == 'h') d->x[d->n++] = atof(PQgetvalue(res, r, 1));
            else {
                d->mx[d->nmcv] = atof(PQgetvalue(res, r, 1));
                d->mf[d->nmcv] = atof(PQgetvalue(res, r, 2));
                mcv_sum += d->mf[d->nmcv++];
            }
        }
        PQclear(res);
        if (d->n == 1) d->n = 0;
        d->hist_frac = d->n > 0 ? 1 - d->null_frac - mcv_sum : 0;
        if (d->hist_frac < 0) d->hist_frac = 0;
        if (d->n == 0 && d->nmcv == 0) d->have = false;
    } else {
        char *sql = sl_sprintf(
            "WITH s AS (SELECT null_frac::float8 AS nf, histogram_bounds::text::%s[] AS h, "
            "           most_common_vals::text::%s[] AS m, most_common_freqs::float8[] AS f FROM pg_stats "
            "           WHERE schemaname = $1 AND tablename = $2 AND attname = $3 AND " SL_PP_INHERITED("") "), "
            " t AS (SELECT nf, h, m, f, 1 - nf - coalesce((SELECT sum(x) FROM unnest(f) x), 0) AS hf, "
            "       coalesce(cardinality(h), 0) AS nh FROM s), "
            " c AS (SELECT DISTINCT v FROM (SELECT unnest(h) AS v FROM t UNION ALL SELECT unnest(m) FROM t) z) "
            "SELECT c.v::text, "
            " (SELECT CASE WHEN t.nh > 1 THEN t.hf ELSE 0 END * "
            "   (SELECT count(*) FROM unnest(t.h) hv WHERE hv < c.v%s)::float8 / greatest(t.nh - 1, 1) "
            " + coalesce((SELECT sum(mm.mf) FROM unnest(t.m, t.f) AS mm(mv, mf) WHERE mm.mv < c.v%s), 0)), "
            " t.nf FROM t LEFT JOIN c ON true ORDER BY c.v%s",
            k->type, k->type, k->collate, k->collate, k->collate);
        res = sl_pp_stats_query(in, rel, k, sql);
        if (!res) return 0;
        int nrows = PQntuples(res);
        d->txt = sl_calloc((size_t)nrows + 1, sizeof *d->txt);
        d->cum = sl_calloc((size_t)nrows + 1, sizeof *d->cum);
        for (int r = 0; r < nrows; r++) {
            d->have = true;
            d->null_frac = atof(PQgetvalue(res, r, 2));
            if (PQgetisnull(res, r, 0)) continue;
            d->txt[d->n] = sl_strdup(PQgetvalue(res, r, 0));
            d->cum[d->n++] = atof(PQgetvalue(res, r, 1));
        }
        PQclear(res);
        if (d->n == 0) d->have = false;
    }
    if (d->have) snprintf(d->src, sizeof d->src, "pg_stats");
    (void)err;
    return 0;
}

/* A sample: TABLESAMPLE SYSTEM on a table, materialized view or
 * partitioned table (about SL_PP_SAMPLE_PAGES blocks), every row of a
 * query, view or foreign table otherwise (TABLESAMPLE refuses those);
 * percentile_disc picks equal-depth points in the key's own ordering. */
static int sl_pp_sample(const sl_pg_part_in *in, const sl_pp_rel *rel, const sl_pp_key *k, sl_pp_dist *d,
                        sl_err *err)
{
    double pct = 100;
    char tsample[96] = "";
    if (rel->sampleable) {
        if (rel->sample_blocks > SL_PP_SAMPLE_PAGES) pct = 100.0 * SL_PP_SAMPLE_PAGES / (double)rel->sample_blocks;
        else if (rel->sample_blocks < 0) pct = 1;
        if (pct < 100) snprintf(tsample, sizeof tsample, " TABLESAMPLE SYSTEM (%.6f) REPEATABLE (7)", pct);
    }
    char *num = sl_pp_num(k->kind, "u.v");
    char *sql = sl_sprintf(
        "WITH s AS (SELECT %s AS v FROM %s%s), "
        " q AS (SELECT count(*)::float8 AS n, count(v)::float8 AS nn, "
        "       percentile_disc(ARRAY(SELECT g::float8 / %d FROM generate_series(0, %d) g)) "
        "       WITHIN GROUP (ORDER BY v) AS a FROM s) "
        "SELECT q.n, q.nn, u.v::text, %s FROM q LEFT JOIN LATERAL unnest(q.a) WITH ORDINALITY AS u(v, i) ON true "
        "ORDER BY u.i",
        k->q, in->from, tsample, SL_PP_SAMPLE_POINTS - 1, SL_PP_SAMPLE_POINTS - 1, num);
    sl_free(num);
    PGresult *res = sl_pg_exec_tuples(in->conn, sql, in->what, err);
    sl_free(sql);
    if (!res) {
        sl_err_prefix(err, "sampling partition column %s", k->name);
        return -1;
    }
    int nrows = PQntuples(res);
    double n = nrows ? atof(PQgetvalue(res, 0, 0)) : 0, nn = nrows ? atof(PQgetvalue(res, 0, 1)) : 0;
    d->sample_rows = n * 100.0 / pct;
    d->null_frac = n > 0 ? 1 - nn / n : 0;
    d->hist_frac = n > 0 ? nn / n : 0;
    d->x = sl_calloc((size_t)nrows + 1, sizeof *d->x);
    d->txt = sl_calloc((size_t)nrows + 1, sizeof *d->txt);
    d->cum = sl_calloc((size_t)nrows + 1, sizeof *d->cum);
    for (int r = 0; r < nrows; r++) {
        if (PQgetisnull(res, r, 2)) continue;
        const char *v = PQgetvalue(res, r, 2);
        double cum = (double)r / (SL_PP_SAMPLE_POINTS - 1) * d->hist_frac;
        if (k->kind != SL_PK_ORD) {
            d->x[d->n++] = atof(PQgetvalue(res, r, 3));
        } else {
            if (d->n > 0 && !strcmp(d->txt[d->n - 1], v)) continue;   /* a repeated value: keep its first rank */
            d->txt[d->n] = sl_strdup(v);
            d->cum[d->n++] = cum;
        }
    }
    PQclear(res);
    d->have = d->n > 0;
    if (pct < 100)
        snprintf(d->src, sizeof d->src, "a sample of %.0f rows (%.3g%% of blocks)", n, pct);
    else
        snprintf(d->src, sizeof d->src, "quantiles of all %.0f rows (read once)", n);
    return 0;
}

/* pg_stats when fresh, else a sample. `why_sample` receives the reason. */
static int sl_pp_dist_load(const sl_pg_part_in *in, const sl_pp_rel *rel, const sl_pp_key *k, int count,
                           sl_pp_dist *d, char *why, size_t why_size, sl_err *err)
{
    memset(d, 0, sizeof *d);
    d->sample_rows = -1;
    why[0] = '\0';
    if (in->relid && !rel->stale) {
        if (sl_pp_stats(in, rel, k, d, err) < 0) return -1;
        /* An ordinal key cannot be interpolated: boundaries are the
         * candidates themselves, so more tasks need more of them. */
        bool enough = k->kind != SL_PK_ORD || d->n >= 2 * count;
        if (d->have && enough) return 0;
        if (d->have) snprintf(why, why_size, "pg_stats has %d values of %s, too few for %d tasks", d->n, k->name, count);
        else snprintf(why, why_size, "pg_stats has no row for %s", k->name);
        sl_pp_dist_free(d);
        d->sample_rows = -1;
    } else if (rel->sampleable) {
        snprintf(why, why_size, "the statistics are missing or stale (%.0f rows changed since the last analyze)", rel->n_mod);
    } else {
        snprintf(why, why_size, "%s has no statistics", !in->relid ? "a query" : rel->relkind == 'v' ? "a view"
                 : rel->relkind == 'f' ? "a foreign table" : "this relation");
    }
    return sl_pp_sample(in, rel, k, d, err);
}

/* ---- tasks from boundaries ---- */

typedef struct sl_pp_cut {
    int n;                    /* boundaries */
    char **lit;               /* SQL literals, strictly increasing */
    double *below;            /* fraction of all rows below each boundary; NAN when unknown */
} sl_pp_cut;

static void sl_pp_cut_add(sl_pp_cut *c, int cap, char *lit, double below)
{
    if (c->n >= cap) {
        sl_free(lit);
        return;
    }
    c->lit[c->n] = lit;
    c->below[c->n++] = below;
}

static void sl_pp_cut_init(sl_pp_cut *c, int cap)
{
    c->n = 0;
    c->lit = sl_calloc((size_t)cap + 1, sizeof *c->lit);
    c->below = sl_calloc((size_t)cap + 1, sizeof *c->below);
}

static void sl_pp_cut_free(sl_pp_cut *c)
{
    for (int i = 0; i < c->n; i++) sl_free(c->lit[i]);
    sl_free(c->lit);
    sl_free(c->below);
}

/* Tasks `key < b1`, `key >= b1 AND key < b2`, ..., `key >= bn`, plus
 * `key IS NULL` when nullable. nonnull: fraction of rows not NULL (for
 * estimates when `below` is known); rows: the row estimate. */
static void sl_pp_emit(sl_source_table *tab, const sl_pp_key *k, const sl_pp_cut *c, double rows, double null_frac)
{
    int nr = c->n + 1;
    bool nulltask = k->nullable && nr > 1;
    int nt = nr + (nulltask ? 1 : 0);
    tab->tasks = sl_calloc((size_t)nt, sizeof *tab->tasks);
    tab->ntasks = nt;
    double nonnull = 1 - null_frac;
    for (int i = 0; i < nr; i++) {
        sl_task *t = &tab->tasks[i];
        t->index = i;
        if (nr == 1) t->predicate = NULL;
        else if (i == 0) t->predicate = sl_sprintf("%s < %s", k->q, c->lit[0]);
        else if (i == nr - 1) t->predicate = sl_sprintf("%s >= %s", k->q, c->lit[i - 1]);
        else t->predicate = sl_sprintf("%s >= %s AND %s < %s", k->q, c->lit[i - 1], k->q, c->lit[i]);
        double lo = i == 0 ? 0 : c->below[i - 1], hi = i == nr - 1 ? nonnull : c->below[i];
        double frac = (isnan(lo) || isnan(hi)) ? nonnull / nr : hi - lo;
        if (frac < 0) frac = 0;
        if (nr == 1) frac = 1;
        t->est_rows = rows >= 0 ? (int64_t)llround(frac * rows) : -1;
    }
    if (nulltask) {
        sl_task *t = &tab->tasks[nr];
        t->index = nr;
        t->predicate = sl_sprintf("%s IS NULL", k->q);
        t->est_rows = rows >= 0 ? (int64_t)llround(null_frac * rows) : -1;
    }
}

/* ---- strategies ---- */

/* Equal-width boundaries of a numeric key over [lo, hi] (positions). */
static void sl_pp_equal_width(const sl_pp_key *k, double lo, double hi, int count, const sl_pp_dist *d,
                              sl_pp_cut *c)
{
    sl_pp_cut_init(c, count);
    double unit = 1;
    if ((k->kind == SL_PK_TS || k->kind == SL_PK_TSTZ) && (hi - lo) / count > 60e6) unit = 1e6;
    int64_t prev = 0;
    bool have_prev = false;
    for (int i = 1; i < count; i++) {
        double x = lo + (hi - lo) * i / count;
        int64_t b = sl_pp_round(x / unit) * (int64_t)unit;
        if (have_prev && b <= prev) continue;
        sl_pp_cut_add(c, count, sl_pp_literal(k, b), d && d->have ? sl_pp_cdf(d, (double)b) : NAN);
        prev = b;
        have_prev = true;
    }
}

/* Exact equal-width boundaries of an integer key (the span may exceed int64). */
static void sl_pp_equal_width_int(const sl_pp_key *k, int64_t lo, int64_t hi, int count, const sl_pp_dist *d,
                                  sl_pp_cut *c)
{
    sl_pp_cut_init(c, count);
    sl_i128 span = (sl_i128)hi - (sl_i128)lo + 1;
    int64_t prev = lo;
    for (int i = 1; i < count; i++) {
        int64_t b = (int64_t)((sl_i128)lo + span * i / count);
        if (b <= prev) continue;
        sl_pp_cut_add(c, count, sl_pp_literal(k, b), d && d->have ? sl_pp_cdf(d, (double)b) : NAN);
        prev = b;
    }
}

/* Equal-depth boundaries from a distribution. */
static void sl_pp_equal_depth(const sl_pg_part_in *in, const sl_pp_key *k, const sl_pp_dist *d, int count,
                              sl_pp_cut *c)
{
    sl_pp_cut_init(c, count);
    double nonnull = 1 - d->null_frac;
    if (k->kind != SL_PK_ORD) {
        double lo, hi;
        sl_pp_extremes(d, &lo, &hi);
        double unit = 1;
        if ((k->kind == SL_PK_TS || k->kind == SL_PK_TSTZ) && (hi - lo) / count > 60e6) unit = 1e6;
        int64_t prev = 0;
        bool have_prev = false;
        for (int i = 1; i < count; i++) {
            double x = sl_pp_invert(d, nonnull * i / count, lo - 1, hi + 1);
            int64_t b = sl_pp_round(x / unit) * (int64_t)unit;
            if (have_prev && b <= prev) continue;
            sl_pp_cut_add(c, count, sl_pp_literal(k, b), sl_pp_cdf(d, (double)b));
            prev = b;
            have_prev = true;
        }
        return;
    }
    /* Ordinal: the candidate closest to each target, in increasing order. */
    int last = 0;   /* candidate 0 is the smallest value: a boundary there leaves an empty first task */
    for (int i = 1; i < count; i++) {
        double target = nonnull * i / count;
        int best = -1;
        for (int j = last + 1; j < d->n; j++) {
            if (best < 0 || fabs(d->cum[j] - target) < fabs(d->cum[best] - target)) best = j;
            if (d->cum[j] > target) break;
        }
        if (best < 0) break;
        char *esc = PQescapeLiteral(in->conn, d->txt[best], strlen(d->txt[best]));
        if (!esc) break;
        sl_pp_cut_add(c, count, sl_sprintf("%s::%s", esc, k->type), d->cum[best]);
        PQfreemem(esc);
        last = best;
    }
}

/* Estimated largest/mean task of equal-width ranges, and the share of rows
 * in the densest 1% of the key range (numeric keys with a distribution). */
static double sl_pp_width_skew(const sl_pp_dist *d, int count, double *dense_share)
{
    double lo, hi;
    sl_pp_extremes(d, &lo, &hi);
    double nonnull = 1 - d->null_frac;
    *dense_share = 0;
    if (!(hi > lo) || nonnull <= 0 || count < 2) return 1;
    double worst = 0;
    for (int i = 0; i < count; i++) {
        double a = i == 0 ? 0 : sl_pp_cdf(d, lo + (hi - lo) * i / count);
        double b = i == count - 1 ? nonnull : sl_pp_cdf(d, lo + (hi - lo) * (i + 1) / count);
        if (b - a > worst) worst = b - a;
    }
    double w = (hi - lo) / 100;
    for (int j = 0; j < d->n + d->nmcv; j++) {
        double s = j < d->n ? d->x[j] : d->mx[j - d->n];
        double share = sl_pp_cdf(d, s + w) - sl_pp_cdf(d, s);
        if (share > *dense_share) *dense_share = share;
    }
    *dense_share /= nonnull;
    return worst * count / nonnull;
}

static int sl_pp_minmax(const sl_pg_part_in *in, const sl_pp_key *k, char **lo, char **hi, sl_err *err)
{
    char *sql;
    if (k->kind == SL_PK_INT)
        sql = sl_sprintf("SELECT min(%s)::int8::text, max(%s)::int8::text FROM %s", k->q, k->q, in->from);
    else {
        char *a = sl_sprintf("min(%s)", k->q), *b = sl_sprintf("max(%s)", k->q);
        char *na = sl_pp_num(k->kind, a), *nb = sl_pp_num(k->kind, b);
        sql = sl_sprintf("SELECT %s::text, %s::text FROM %s", na, nb, in->from);
        sl_free(a);
        sl_free(b);
        sl_free(na);
        sl_free(nb);
    }
    PGresult *res = sl_pg_exec_tuples(in->conn, sql, in->what, err);
    sl_free(sql);
    if (!res) {
        sl_err_prefix(err, "partition bounds");
        return -1;
    }
    *lo = PQgetisnull(res, 0, 0) ? NULL : sl_strdup(PQgetvalue(res, 0, 0));
    *hi = PQgetisnull(res, 0, 1) ? NULL : sl_strdup(PQgetvalue(res, 0, 1));
    PQclear(res);
    return 0;
}

static const char *sl_pp_kind_word(sl_pp_kind kind)
{
    switch (kind) {
    case SL_PK_INT: return "integer";
    case SL_PK_DATE: return "date";
    default: return "timestamp";
    }
}

static int sl_pp_plan_pages(const sl_pg_part_in *in, const sl_pp_rel *rel, int count, const char *why,
                            sl_source_table *tab, sl_err *err)
{
    if (!in->relid || rel->pages < 0)
        return sl_err_set(err, SL_EJOB, "%s: partition strategy pages needs a plain table (table: a table or "
                          "materialized view, not a query, view or partitioned table)", in->what);
    if (rel->pages <= 1 || count <= 1) {
        sl_pp_one(tab, rel->rows, sl_sprintf("pages: %" PRId64 " block%s%s%s; one task", rel->pages,
                                             rel->pages == 1 ? "" : "s", why ? "; " : "", why ? why : ""));
        return 0;
    }
    if (count > rel->pages) count = (int)rel->pages;
    tab->tasks = sl_calloc((size_t)count, sizeof *tab->tasks);
    tab->ntasks = count;
    int64_t prev = 0;
    for (int i = 0; i < count; i++) {
        sl_task *t = &tab->tasks[i];
        int64_t next = (int64_t)((sl_i128)rel->pages * (i + 1) / count);
        t->index = i;
        if (i == 0) t->predicate = sl_sprintf("ctid < '(%" PRId64 ",0)'::tid", next);
        else if (i == count - 1) t->predicate = sl_sprintf("ctid >= '(%" PRId64 ",0)'::tid", prev);
        else t->predicate = sl_sprintf("ctid >= '(%" PRId64 ",0)'::tid AND ctid < '(%" PRId64 ",0)'::tid", prev, next);
        t->est_rows = rel->rows >= 0 ? (int64_t)llround(rel->rows * (double)(next - prev) / (double)rel->pages) : -1;
        prev = next;
    }
    tab->strategy_note = sl_sprintf("pages: %s%s%d ranges of ctid blocks over %" PRId64 " blocks%s",
                                    why ? why : "", why ? "; " : "", count, rel->pages,
                                    rel->server_version && rel->server_version < 140000
                                        ? " (WARNING: PostgreSQL before 14 has no TID Range Scan: every task "
                                          "reads the whole table)" : " (TID Range Scans)");
    return 0;
}

static int sl_pp_plan_mod(const sl_pg_part_in *in, const sl_pp_key *k, double rows, int count,
                          sl_source_table *tab, sl_err *err)
{
    if (k->kind != SL_PK_INT)
        return sl_err_set(err, SL_EJOB, "%s: partition strategy mod needs an integer column; %s is %s "
                          "(use histogram)", in->what, k->name, k->type);
    if (count <= 1) {
        sl_pp_one(tab, rows, sl_sprintf("mod on %s: one task", k->name));
        return 0;
    }
    bool nulltask = k->nullable;
    int nt = count + (nulltask ? 1 : 0);
    tab->tasks = sl_calloc((size_t)nt, sizeof *tab->tasks);
    tab->ntasks = nt;
    for (int i = 0; i < count; i++) {
        tab->tasks[i].index = i;
        tab->tasks[i].predicate = sl_sprintf("abs(%s %% %d) = %d", k->q, count, i);
        tab->tasks[i].est_rows = rows >= 0 ? (int64_t)llround(rows / count) : -1;
    }
    if (nulltask) {
        tab->tasks[count].index = count;
        tab->tasks[count].predicate = sl_sprintf("%s IS NULL", k->q);
        tab->tasks[count].est_rows = rows >= 0 ? 0 : -1;
    }
    tab->strategy_note = sl_sprintf("mod on %s: abs(%s %% %d) = i in %d tasks%s; no index can answer a modulo, so "
                                    "every task reads the whole table", k->name, k->name, count, count,
                                    nulltask ? " plus one task for NULL keys" : "");
    return 0;
}

static int sl_pp_plan_range(const sl_pg_part_in *in, const sl_pp_key *k, const sl_pp_dist *d, double rows,
                            int count, const char *why, sl_source_table *tab, sl_err *err)
{
    if (k->kind == SL_PK_ORD)
        return sl_err_set(err, SL_EJOB, "%s: partition strategy range needs an integer, date or timestamp column; "
                          "%s is %s (use histogram, which cuts any sortable type)", in->what, k->name, k->type);
    char *slo = NULL, *shi = NULL;
    const char *bounds_from = "min/max";
    if (!k->indexed && d->have && d->n > 0 && in->relid) {
        /* No index: min/max would read the whole table; the distribution's
         * extremes place the boundaries as well (the outer ranges are open). */
        double lo, hi;
        sl_pp_extremes(d, &lo, &hi);
        slo = sl_sprintf("%.17g", lo);
        shi = sl_sprintf("%.17g", hi);
        bounds_from = d->src;
    } else if (sl_pp_minmax(in, k, &slo, &shi, err) < 0) {
        return -1;
    }
    double null_frac = d->have ? d->null_frac : 0;
    if (!slo || !shi) {
        sl_pp_one(tab, rows, sl_sprintf("range on %s: no key values (empty or all NULL); one task", k->name));
        sl_free(slo);
        sl_free(shi);
        return 0;
    }
    sl_pp_cut c;
    char lo_txt[64], hi_txt[64];
    if (k->kind == SL_PK_INT) {
        int64_t lo = (int64_t)strtod(slo, NULL), hi = (int64_t)strtod(shi, NULL);
        if (!strchr(slo, 'e') && !strchr(slo, '.')) lo = strtoll(slo, NULL, 10);
        if (!strchr(shi, 'e') && !strchr(shi, '.')) hi = strtoll(shi, NULL, 10);
        sl_pp_equal_width_int(k, lo, hi, count, d, &c);
        snprintf(lo_txt, sizeof lo_txt, "%" PRId64, lo);
        snprintf(hi_txt, sizeof hi_txt, "%" PRId64, hi);
    } else {
        double lo = strtod(slo, NULL), hi = strtod(shi, NULL);
        sl_pp_equal_width(k, lo, hi, count, d, &c);
        char *a = sl_pp_literal(k, sl_pp_round(lo)), *b = sl_pp_literal(k, sl_pp_round(hi));
        snprintf(lo_txt, sizeof lo_txt, "%s", a);
        snprintf(hi_txt, sizeof hi_txt, "%s", b);
        sl_free(a);
        sl_free(b);
    }
    sl_free(slo);
    sl_free(shi);
    sl_pp_emit(tab, k, &c, rows, null_frac);
    tab->strategy_note = sl_sprintf("range on %s: %s%s[%s, %s] (%s from %s) in %d equal-width ranges%s%s%s",
                                    k->name, why ? why : "", why ? "; " : "", lo_txt, hi_txt,
                                    sl_pp_kind_word(k->kind), bounds_from, c.n + 1,
                                    k->nullable && c.n > 0 ? " plus one task for NULL keys" : "",
                                    d->have ? "; estimates from " : "", d->have ? d->src : "");
    sl_pp_cut_free(&c);
    return 0;
}

static int sl_pp_plan_hist(const sl_pg_part_in *in, const sl_pp_key *k, const sl_pp_dist *d, double rows,
                           int count, const char *why, const char *sample_why, sl_source_table *tab)
{
    if (!d->have) {
        sl_pp_one(tab, rows, sl_sprintf("histogram on %s: no key values (empty or all NULL); one task", k->name));
        return 0;
    }
    sl_pp_cut c;
    sl_pp_equal_depth(in, k, d, count, &c);
    sl_pp_emit(tab, k, &c, rows, d->null_frac);
    tab->strategy_note = sl_sprintf("histogram on %s: %s%s%d equal-depth ranges from %s%s%s%s",
                                    k->name, why ? why : "", why ? "; " : "", c.n + 1, d->src,
                                    k->nullable && c.n > 0 ? " plus one task for NULL keys" : "",
                                    sample_why && *sample_why ? "; sampled because " : "",
                                    sample_why ? sample_why : "");
    sl_pp_cut_free(&c);
    return 0;
}

/* ---- entry ---- */

int sl_pg_partition_plan(const sl_pg_part_in *in, sl_source_table *tab, sl_err *err)
{
    const sl_job_partition *cfg = in->cfg;
    const char *strategy = cfg && cfg->strategy ? cfg->strategy : "auto";
    if (!strcasecmp(strategy, "none")) {
        sl_pp_one(tab, in->est_rows, sl_strdup("none: one task"));
        return 0;
    }
    bool is_auto = !strcasecmp(strategy, "auto"), is_range = !strcasecmp(strategy, "range"),
         is_hist = !strcasecmp(strategy, "histogram"), is_mod = !strcasecmp(strategy, "mod"),
         is_pages = !strcasecmp(strategy, "pages");
    if (!is_auto && !is_range && !is_hist && !is_mod && !is_pages)
        return sl_err_set(err, SL_EJOB, "%s: unknown partition strategy '%s'; use auto, range, histogram, mod, "
                          "pages or none", in->what, strategy);
    int want = cfg ? cfg->count : 0;
    sl_pp_rel rel;
    sl_pp_key key = {0};
    sl_pp_dist dist = {0};
    int rc = -1;
    if (sl_pp_rel_load(in, &rel, err) < 0) goto out;
    double rows = rel.rows;
    /* A tiny table with fresh statistics is one task whatever its key: no
     * key or distribution queries (a database of thousands of small tables
     * plans in a few round trips per table). */
    if (is_auto && want == 0 && !(cfg && cfg->column) && in->relid && rows >= 0 && !rel.stale &&
        sl_pg_partition_auto_count(rows, in->workers, in->max_connections, in->increment) <= 1) {
        sl_pp_one(tab, rows, sl_sprintf("none: about %.0f rows, under %d per task: one task (tiny table)", rows,
                                        2 * SL_PGPART_MIN_TASK_ROWS));
        rc = 0;
        goto out;
    }

    if (is_pages) {
        int count = want > 0 ? want : sl_pg_partition_auto_count(rows, in->workers, in->max_connections, in->increment);
        rc = sl_pp_plan_pages(in, &rel, count, NULL, tab, err);
        goto out;
    }

    /* The key. */
    const char *why = NULL;
    char whybuf[256];
    if (cfg && cfg->column) {
        if (sl_pp_key_describe(in, cfg->column, &key, err) < 0) goto out;
        snprintf(whybuf, sizeof whybuf, "column given%s", key.indexed || !in->relid || rel.relkind == 'v' ? ""
                 : " (WARNING: no b-tree index leads with it: every task reads the whole table)");
        why = whybuf;
    } else {
        int found = sl_pp_key_choose(in, &key, err);
        if (found < 0) goto out;
        if (!found) {
            if (is_auto && in->relid && rel.pages >= 0) {
                int count = want > 0 ? want : sl_pg_partition_auto_count(rows, in->workers, in->max_connections, in->increment);
                rc = sl_pp_plan_pages(in, &rel, count, "no primary key, unique or b-tree index to cut on",
                                      tab, err);
                goto out;
            }
            if (is_auto) {
                sl_pp_one(tab, rows, sl_strdup(in->relid ? "none: no key to cut on (not a plain table); one task"
                                                         : "none: a query without partition: {column: ...}; one task"));
                rc = 0;
                goto out;
            }
            sl_err_set(err, SL_EJOB, "%s: partition strategy %s needs a column: it has no primary key, unique or "
                       "b-tree index to choose from; set partition: {column: ...} (or use strategy pages)",
                       in->what, strategy);
            goto out;
        }
        snprintf(whybuf, sizeof whybuf, "%s", key.why);
        why = whybuf;
    }
    if ((is_range || is_mod) && key.kind == SL_PK_ORD) {
        sl_err_set(err, SL_EJOB, "%s: partition strategy %s needs an integer%s column; %s is %s (use histogram, "
                   "which cuts any sortable type)", in->what, strategy, is_range ? ", date or timestamp" : "",
                   key.name, key.type);
        goto out;
    }

    /* The row estimate decides the count; a table never analyzed gets it from a sample. */
    char sample_why[200] = "";
    bool loaded = false;
    if (rows < 0 && rel.sampleable && rel.sample_blocks > 0) {
        if (sl_pp_dist_load(in, &rel, &key, want > 0 ? want : 8, &dist, sample_why, sizeof sample_why, err) < 0) goto out;
        loaded = true;
        if (dist.sample_rows >= 0) rows = dist.sample_rows;
    }
    int count = want > 0 ? want : sl_pg_partition_auto_count(rows, in->workers, in->max_connections, in->increment);
    if (count <= 1) {
        if (want > 0) sl_pp_one(tab, rows, sl_sprintf("%s on %s: count 1; one task", strategy, key.name));
        else if (rows >= 0)
            sl_pp_one(tab, rows, sl_sprintf("none: about %.0f rows, under %d per task: one task (tiny table)", rows,
                                            2 * SL_PGPART_MIN_TASK_ROWS));
        else sl_pp_one(tab, rows, sl_strdup("none: one worker: one task"));
        rc = 0;
        goto out;
    }
    if (is_mod) {
        rc = sl_pp_plan_mod(in, &key, rows, count, tab, err);
        goto out;
    }
    /* A query, view or foreign table cannot be sampled: its distribution
     * costs a full read, paid only when the strategy needs it (histogram, or
     * a key that cannot be cut by width). */
    if (!loaded && (rel.sampleable || is_hist || key.kind == SL_PK_ORD)) {
        if (sl_pp_dist_load(in, &rel, &key, count, &dist, sample_why, sizeof sample_why, err) < 0) goto out;
        if (rows < 0 && dist.sample_rows >= 0 && !rel.sampleable) rows = dist.sample_rows;
    }
    if (is_range) {
        rc = sl_pp_plan_range(in, &key, &dist, rows, count, why, tab, err);
        goto out;
    }
    if (is_hist || key.kind == SL_PK_ORD || !dist.have) {
        if (is_auto && key.kind != SL_PK_ORD && !dist.have) {
            rc = sl_pp_plan_range(in, &key, &dist, rows, count, why, tab, err);
            goto out;
        }
        if (is_auto) {
            char w2[400];
            snprintf(w2, sizeof w2, "%s; %s keys cannot be cut by width", why, key.type);
            rc = sl_pp_plan_hist(in, &key, &dist, rows, count, w2, sample_why, tab);
        } else {
            rc = sl_pp_plan_hist(in, &key, &dist, rows, count, why, sample_why, tab);
        }
        goto out;
    }
    /* auto on a numeric key: equal width when the distribution says it is even. */
    double dense;
    double skew = sl_pp_width_skew(&dist, count, &dense);
    char w2[600];
    if (skew > SL_PP_RANGE_SKEW_OK) {
        snprintf(w2, sizeof w2, "%s; %s shows %.0f%% of rows in the densest 1%% of the %s range, so equal-width "
                 "ranges would be skewed (largest/mean %.1f)", why, dist.src, dense * 100, key.name, skew);
        rc = sl_pp_plan_hist(in, &key, &dist, rows, count, w2, sample_why, tab);
    } else {
        snprintf(w2, sizeof w2, "%s; %s shows %s spread evenly (equal-width largest/mean %.2f)", why, dist.src,
                 key.name, skew);
        rc = sl_pp_plan_range(in, &key, &dist, rows, count, w2, tab, err);
    }
out:
    sl_pp_dist_free(&dist);
    sl_pp_key_free(&key);
    sl_pp_rel_free(&rel);
    return rc;
}
