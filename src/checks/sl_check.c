/*
 * sl_check.c - judging a table's staged output (sl_check.h): binding the
 * rules to the table's columns, the evaluation plan (one scan for every
 * row-level rule, freshness and the row count; one grouped query per
 * unique; example keys only for rules that failed), the max_bad_rows
 * tolerance, and the texts for logs and `plan`.
 *
 * DuckDB runs in memory (no file, nothing written); the Parquet files it
 * reads are the staged task outputs, which are exactly what publish would
 * make live. Its session time zone is UTC, so timestamps with and without
 * a time zone compare as the manifest records them.
 */
#include "sl_check_int.h"
#include "sl_check_row.h"

#include "../core/sl_alloc.h"
#include "../job/sl_job_yaml.h"
#include "../store/sl_duck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Rows newer than now by more than this fail freshness (clocks of the source and of sluice differ a little). */
#define SL_CHECK_FUTURE_SKEW_S 300

const char *sl_check_status_name(sl_check_status s)
{
    switch (s) {
    case SL_CHECK_PASS: return "passed";
    case SL_CHECK_FAIL: return "failed";
    case SL_CHECK_WARN: return "warned";
    case SL_CHECK_TOLERATED: return "tolerated";
    }
    return "?";
}

static double sl_check_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- binding ---- */

static int sl_check_col_index(const sl_schema *schema, const char *name)
{
    for (int i = 0; i < schema->ncols; i++)
        if (!strcmp(schema->fields[i].name, name)) return i;
    return -1;
}

static int sl_check_missing(const char *job_file, const sl_job_table *cfg, const sl_job_check *c, const char *col,
                            const sl_schema *schema, const char *table, sl_err *err)
{
    const char **names = sl_malloc(sizeof *names * (size_t)(schema->ncols ? schema->ncols : 1));
    for (int i = 0; i < schema->ncols; i++) names[i] = schema->fields[i].name;
    const char *hint = sl_did_you_mean(col, names, schema->ncols);
    char dym[200] = "";
    if (hint) snprintf(dym, sizeof dym, " (did you mean '%s'?)", hint);
    sl_free(names);
    return sl_err_set(err, SL_EJOB, "%s:%d:%d: tables.%s.checks: %s: no column '%s' in %s%s", job_file, c->line,
                      c->column, cfg->name, c->name, col, table, dym);
}

int sl_check_bind(const char *job_file, const sl_job_table *cfg, const sl_schema *schema, sl_err *err)
{
    for (int i = 0; i < cfg->nchecks; i++) {
        const sl_job_check *c = &cfg->checks[i];
        if (c->kind == SL_CHECK_SCHEMA) continue;   /* a missing column is what it reports, not a job error */
        for (int k = 0; k < c->ncols; k++)
            if (sl_check_col_index(schema, c->cols[k]) < 0)
                return sl_check_missing(job_file, cfg, c, c->cols[k], schema, "the table", err);
    }
    for (int k = 0; k < cfg->nkey; k++)
        if (cfg->nchecks && sl_check_col_index(schema, cfg->key[k]) < 0)
            return sl_err_set(err, SL_EJOB, "%s:%d:%d: tables.%s.key: no column '%s'", job_file, cfg->line,
                              cfg->column, cfg->name, cfg->key[k]);
    return 0;
}

/* ---- evaluation ---- */

/* Up to 5 rows of a query's first `nkey` columns as "id=4, id=9". */
static void sl_check_examples(const sl_duck_rows *rows, const char *const *names, int nkey, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int r = 0; r < rows->nrows && r < 5 && used < size; r++) {
        if (r) used += (size_t)snprintf(out + used, size - used, ", ");
        for (int k = 0; k < nkey && used < size; k++) {
            const char *v = sl_duck_cell(rows, r, k);
            used += (size_t)snprintf(out + used, size - used, "%s%s=%s", k ? "/" : "", names[k], v ? v : "NULL");
        }
    }
}

/* The key names the examples show: the table's key, or its first column. */
static const char *const *sl_check_key_names(const sl_job_table *cfg, const sl_schema *schema, int *n)
{
    if (cfg->nkey) {
        *n = cfg->nkey;
        return (const char *const *)cfg->key;
    }
    *n = 1;
    static __thread const char *first[1];
    first[0] = schema->fields[0].name;
    return first;
}

static int sl_check_query(sl_duck *d, sl_buf *q, sl_duck_rows *rows, const sl_job_check *c, sl_err *err)
{
    memset(rows, 0, sizeof *rows);
    if (sl_duck_query(d, sl_buf_cstr(q), rows, err) == 0) return 0;
    if (c) sl_err_prefix(err, "check %s", c->name);
    return -1;
}

static int64_t sl_cell_int(const sl_duck_rows *r, int row, int col)
{
    const char *v = r->nrows > row ? sl_duck_cell(r, row, col) : NULL;
    return v ? strtoll(v, NULL, 10) : 0;
}

/* "2026-12-01 04:20:00": a UTC timestamp literal, `offset` seconds from now. */
static void sl_check_utc(double offset, char *out, size_t size)
{
    time_t t = time(NULL) + (time_t)offset;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm);
}

static int sl_check_unique(sl_duck *d, const sl_check_input *in, const sl_job_check *c, sl_check_result *res,
                           sl_err *err)
{
    if (in->nfiles == 0) return 0;
    sl_buf from = { 0 }, q = { 0 };
    sl_buf_printf(&from, "select ");
    for (int i = 0; i < c->ncols; i++) {
        if (i) sl_buf_printf(&from, ", ");
        sl_check_sql_ident(&from, c->cols[i]);
    }
    sl_buf_printf(&from, ", count(*) as _n from ");
    sl_check_sql_files(&from, in->files, in->nfiles);
    sl_buf_printf(&from, " where ");
    for (int i = 0; i < c->ncols; i++) {
        if (i) sl_buf_printf(&from, " and ");
        sl_check_sql_ident(&from, c->cols[i]);
        sl_buf_printf(&from, " is not null");
    }
    sl_buf_printf(&from, " group by all having count(*) > 1");
    sl_buf_printf(&q, "select count(*), coalesce(sum(_n), 0) from (%s)", sl_buf_cstr(&from));
    sl_duck_rows rows;
    int rc = sl_check_query(d, &q, &rows, c, err);
    if (rc == 0) {
        int64_t groups = sl_cell_int(&rows, 0, 0);
        res->failing = sl_cell_int(&rows, 0, 1);
        sl_duck_rows_free(&rows);
        if (res->failing > 0) {
            snprintf(res->detail, sizeof res->detail, "%lld value%s more than once (%lld rows)",
                     (long long)groups, groups == 1 ? " appears" : "s appear", (long long)res->failing);
            sl_buf_clear(&q);
            sl_buf_printf(&q, "%s order by all limit 5", sl_buf_cstr(&from));
            rc = sl_check_query(d, &q, &rows, c, err);
            if (rc == 0) {
                sl_check_examples(&rows, (const char *const *)c->cols, c->ncols, res->examples, sizeof res->examples);
                sl_duck_rows_free(&rows);
            }
        }
    }
    sl_buf_free(&from);
    sl_buf_free(&q);
    return rc;
}

static void sl_check_schema(const sl_check_input *in, const sl_job_check *c, sl_check_result *res)
{
    size_t used = 0;
    for (int i = 0; i < c->ncols; i++) {
        int at = sl_check_col_index(in->schema, c->cols[i]);
        char want[64], have[64];
        sl_type_format(c->types[i], want, sizeof want);
        if (at >= 0) sl_type_format(in->schema->fields[at].type, have, sizeof have);
        if (at >= 0 && !strcmp(want, have)) continue;
        res->failing++;
        if (used < sizeof res->detail) {
            if (at < 0)
                used += (size_t)snprintf(res->detail + used, sizeof res->detail - used, "%s%s is missing (expected %s)",
                                         used ? "; " : "", c->cols[i], want);
            else
                used += (size_t)snprintf(res->detail + used, sizeof res->detail - used, "%s%s is %s, expected %s",
                                         used ? "; " : "", c->cols[i], have, want);
        }
    }
}

/* Whether checks[i] was judged in the task loop. */
static bool sl_check_looped(const sl_check_input *in, int i)
{
    return in->row_counts && in->row_counts[i].failing >= 0;
}

/* The rules that read rows, in one scan: col 0 the row count, then one
 * count per row-level rule, the rows failing any error-level row rule, and
 * per freshness rule its newest value and its rows from the future. */
static int sl_check_scan(sl_duck *d, const sl_check_input *in, sl_check_report *rep, int *col_of, sl_duck_rows *rows,
                         sl_err *err)
{
    const sl_job_table *cfg = in->cfg;
    sl_buf q = { 0 }, any = { 0 };
    char future[32];
    sl_check_utc(SL_CHECK_FUTURE_SKEW_S, future, sizeof future);
    if (in->nfiles == 0) {
        /* No staged file (a table without tasks): no rows; the same columns as constants. */
        int col = 1;
        sl_buf_printf(&q, "select 0");
        for (int i = 0; i < cfg->nchecks; i++) {
            col_of[i] = -1;
            if (sl_check_is_row_level(cfg->checks[i].kind) && !sl_check_looped(in, i)) {
                sl_buf_printf(&q, ", 0");
                col_of[i] = col++;
            } else if (cfg->checks[i].kind == SL_CHECK_FRESHNESS) {
                sl_buf_printf(&q, ", NULL, 0");
                col_of[i] = col;
                col += 2;
            }
        }
        sl_buf_printf(&q, ", 0");
        int rc = sl_check_query(d, &q, rows, NULL, err);
        rep->rows = 0;
        rep->bad_rows = in->row_counts ? in->row_bad : 0;
        sl_buf_free(&q);
        return rc;
    }
    sl_buf_printf(&q, "select count(*)");
    int col = 1;
    bool split = cfg->on_bad_rows != SL_BAD_ROWS_FAIL;
    for (int i = 0; i < cfg->nchecks; i++) {
        const sl_job_check *c = &cfg->checks[i];
        col_of[i] = -1;
        if (sl_check_looped(in, i)) {
            /* Judged in the task loop; its rows are still staged (on_bad_rows: fail): part of the union. */
            if (!c->warn && !split) {
                sl_buf pred = { 0 };
                sl_check_sql_bad(&pred, c, NULL, 0);
                sl_buf_printf(&any, "%s%s", any.len ? " or " : "", sl_buf_cstr(&pred));
                sl_buf_free(&pred);
            }
        } else if (sl_check_is_row_level(c->kind)) {
            sl_buf pred = { 0 };
            sl_check_sql_bad(&pred, c, in->ref_files ? in->ref_files[i] : NULL, in->ref_nfiles ? in->ref_nfiles[i] : 0);
            sl_buf_printf(&q, ", count(*) filter (where %s)", sl_buf_cstr(&pred));
            if (!c->warn) sl_buf_printf(&any, "%s%s", any.len ? " or " : "", sl_buf_cstr(&pred));
            sl_buf_free(&pred);
            col_of[i] = col++;
        } else if (c->kind == SL_CHECK_FRESHNESS) {
            sl_buf_printf(&q, ", cast(max(");
            sl_check_sql_ts(&q, c);
            sl_buf_printf(&q, ") as varchar), count(*) filter (where ");
            sl_check_sql_ts(&q, c);
            sl_buf_printf(&q, " > timestamp '%s')", future);
            col_of[i] = col;
            col += 2;
        }
    }
    /* The rows failing any error-level rule are counted by a second scan, only when some rule failed: in
     * the first, the union would evaluate every predicate (a regex, a references join) twice. */
    sl_buf_printf(&q, ", 0 from ");
    sl_check_sql_files(&q, in->files, in->nfiles);
    if (col == 1) {
        /* Every rule that reads rows was judged in the task loop: no scan. */
        sl_buf_clear(&q);
        sl_buf_printf(&q, "select %lld, 0", (long long)in->staged_rows);
    }
    int rc = sl_check_query(d, &q, rows, NULL, err);
    if (rc == 0 && (rows->nrows != 1 || rows->ncols != col + 1))
        rc = sl_err_set(err, SL_EINTERNAL, "checks: the scan returned %d x %d values, not 1 x %d", rows->nrows,
                        rows->ncols, col + 1);
    bool failed = false;
    for (int i = 0; rc == 0 && i < cfg->nchecks; i++)
        if (col_of[i] >= 0 && sl_check_is_row_level(cfg->checks[i].kind) && !cfg->checks[i].warn &&
            sl_cell_int(rows, 0, col_of[i]) > 0)
            failed = true;
    if (rc == 0) {
        rep->rows = sl_cell_int(rows, 0, 0);
        /* Without a failure on the staged side, the loop's union is the table's; with one, the union is
         * counted below (over every rule when the loop's bad rows are still staged, else added to them). */
        rep->bad_rows = in->row_counts ? in->row_bad : 0;
    }
    if (rc == 0 && failed) {
        sl_buf_clear(&q);
        sl_buf_printf(&q, "select count(*) from ");
        sl_check_sql_files(&q, in->files, in->nfiles);
        sl_buf_printf(&q, " where %s", sl_buf_cstr(&any));
        sl_duck_rows bad;
        rc = sl_check_query(d, &q, &bad, NULL, err);
        if (rc == 0) {
            rep->bad_rows = sl_cell_int(&bad, 0, 0) + (split && in->row_counts ? in->row_bad : 0);
            sl_duck_rows_free(&bad);
        }
    }
    sl_buf_free(&q);
    sl_buf_free(&any);
    return rc;
}

/* Example keys of the rows a row-level (or freshness) rule failed. */
static int sl_check_row_examples(sl_duck *d, const sl_check_input *in, int i, sl_check_result *res, sl_err *err)
{
    const sl_job_check *c = &in->cfg->checks[i];
    int nkey;
    const char *const *names = sl_check_key_names(in->cfg, in->schema, &nkey);
    sl_buf q = { 0 };
    sl_buf_printf(&q, "select ");
    sl_check_sql_key(&q, in->cfg, in->schema);
    sl_buf_printf(&q, " from ");
    sl_check_sql_files(&q, in->files, in->nfiles);
    sl_buf_printf(&q, " where ");
    if (c->kind == SL_CHECK_FRESHNESS) {
        char future[32];
        sl_check_utc(SL_CHECK_FUTURE_SKEW_S, future, sizeof future);
        sl_check_sql_ts(&q, c);
        sl_buf_printf(&q, " > timestamp '%s'", future);
    } else {
        sl_check_sql_bad(&q, c, in->ref_files ? in->ref_files[i] : NULL, in->ref_nfiles ? in->ref_nfiles[i] : 0);
    }
    sl_buf_printf(&q, " order by all limit 5");
    sl_duck_rows rows;
    int rc = sl_check_query(d, &q, &rows, c, err);
    if (rc == 0) {
        sl_check_examples(&rows, names, nkey, res->examples, sizeof res->examples);
        sl_duck_rows_free(&rows);
    }
    sl_buf_free(&q);
    return rc;
}

static void sl_check_set_status(const sl_job_check *c, sl_check_result *res, bool bad)
{
    res->status = !bad ? SL_CHECK_PASS : c->warn ? SL_CHECK_WARN : SL_CHECK_FAIL;
}

static int sl_check_judge(sl_duck *d, const sl_check_input *in, sl_check_report *rep, sl_err *err)
{
    const sl_job_table *cfg = in->cfg;
    int *col_of = sl_calloc((size_t)(cfg->nchecks ? cfg->nchecks : 1), sizeof *col_of);
    sl_duck_rows rows;
    double t0 = sl_check_now();
    int rc = sl_check_scan(d, in, rep, col_of, &rows, err);
    if (rc < 0) {
        sl_free(col_of);
        return -1;
    }
    double scan_s = sl_check_now() - t0;
    int nscan = 0;
    for (int i = 0; i < cfg->nchecks; i++) nscan += col_of[i] >= 0;
    /* max_bad_rows: a count, or a fraction of the rows (rounded down). */
    int64_t read = rep->rows + in->split_rows;   /* the rows the tasks read */
    rep->max_bad = cfg->max_bad_fraction >= 0 ? (int64_t)floor(cfg->max_bad_fraction * (double)read + 1e-9)
                                              : cfg->max_bad_rows;
    bool tolerated = rep->bad_rows > 0 && rep->bad_rows <= rep->max_bad;
    for (int i = 0; i < cfg->nchecks && rc == 0; i++) {
        const sl_job_check *c = &cfg->checks[i];
        sl_check_result *res = &rep->results[i];
        double started = sl_check_now();
        res->check = c;
        if (sl_check_looped(in, i)) {
            res->failing = in->row_counts[i].failing;
            sl_check_set_status(c, res, res->failing > 0);
            if (res->status == SL_CHECK_FAIL && tolerated) res->status = SL_CHECK_TOLERATED;
            if (res->failing > 0) {
                snprintf(res->detail, sizeof res->detail, "%lld of %lld rows%s", (long long)res->failing,
                         (long long)read, c->warn || cfg->on_bad_rows == SL_BAD_ROWS_FAIL ? ""
                         : cfg->on_bad_rows == SL_BAD_ROWS_DROP ? " (dropped)" : " (quarantined)");
                sl_check_row_examples_text(&in->row_counts[i], res->examples, sizeof res->examples);
            }
        } else if (sl_check_is_row_level(c->kind)) {
            res->failing = sl_cell_int(&rows, 0, col_of[i]);
            sl_check_set_status(c, res, res->failing > 0);
            if (res->status == SL_CHECK_FAIL && tolerated) res->status = SL_CHECK_TOLERATED;
            if (c->kind == SL_CHECK_REFERENCES && in->ref_nfiles && in->ref_nfiles[i] <= 0) {
                snprintf(res->detail, sizeof res->detail, "%s has nothing to compare with: %s", c->ref_table,
                         in->ref_note && in->ref_note[i] ? in->ref_note[i] : "no published version");
                sl_check_set_status(c, res, true);
            } else if (res->failing > 0) {
                snprintf(res->detail, sizeof res->detail, "%lld of %lld rows", (long long)res->failing,
                         (long long)rep->rows);
                rc = sl_check_row_examples(d, in, i, res, err);
            }
        } else if (c->kind == SL_CHECK_UNIQUE && in->unique_proven && in->unique_proven[i]) {
            snprintf(res->detail, sizeof res->detail, "proven in the task loop: %s increases within each task and "
                     "the tasks' ranges do not overlap", c->cols[0]);
        } else if (c->kind == SL_CHECK_UNIQUE) {
            rc = sl_check_unique(d, in, c, res, err);
            sl_check_set_status(c, res, res->failing > 0);
        } else if (c->kind == SL_CHECK_ROW_COUNT) {
            bool bad;
            if (c->matches_source) {
                bad = in->source_rows >= 0 && in->source_rows != rep->rows;
                snprintf(res->detail, sizeof res->detail, "%lld rows staged, the source gave %lld", (long long)rep->rows,
                         (long long)in->source_rows);
            } else {
                int64_t mn = c->min ? strtoll(c->min, NULL, 10) : 0, mx = c->max ? strtoll(c->max, NULL, 10) : INT64_MAX;
                bad = rep->rows < mn || rep->rows > mx;
                snprintf(res->detail, sizeof res->detail, "%lld rows (min %s, max %s)", (long long)rep->rows,
                         c->min ? c->min : "-", c->max ? c->max : "-");
            }
            res->failing = bad ? rep->rows : 0;
            sl_check_set_status(c, res, bad);
        } else if (c->kind == SL_CHECK_FRESHNESS) {
            const char *newest = rows.nrows ? sl_duck_cell(&rows, 0, col_of[i]) : NULL;
            res->failing = sl_cell_int(&rows, 0, col_of[i] + 1);
            char oldest_ok[32];
            sl_check_utc(-c->max_age_s, oldest_ok, sizeof oldest_ok);
            bool stale = !newest || strcmp(newest, oldest_ok) < 0;
            if (stale)
                snprintf(res->detail, sizeof res->detail, "newest %s is %s, older than %s (max_age %.0fs)",
                         c->cols[0], newest ? newest : "NULL (no values)", oldest_ok, c->max_age_s);
            else if (res->failing)
                snprintf(res->detail, sizeof res->detail, "%lld rows have %s in the future", (long long)res->failing,
                         c->cols[0]);
            sl_check_set_status(c, res, stale || res->failing > 0);
            if (res->failing > 0) rc = sl_check_row_examples(d, in, i, res, err);
        } else if (c->kind == SL_CHECK_SCHEMA) {
            sl_check_schema(in, c, res);
            sl_check_set_status(c, res, res->failing > 0);
        }
        res->seconds = sl_check_now() - started + (col_of[i] >= 0 && nscan ? scan_s / nscan : 0);
        if (res->status == SL_CHECK_FAIL) rep->failed = true;
    }
    sl_duck_rows_free(&rows);
    sl_free(col_of);
    return rc;
}

int sl_check_run(const sl_check_input *in, sl_check_report *rep, sl_err *err)
{
    memset(rep, 0, sizeof *rep);
    const sl_job_table *cfg = in->cfg;
    rep->n = cfg->nchecks;
    rep->results = sl_calloc((size_t)(rep->n ? rep->n : 1), sizeof *rep->results);
    for (int i = 0; i < rep->n; i++) rep->results[i].check = &cfg->checks[i];
    if (!cfg->nchecks) return 0;
    double started = sl_check_now();
    sl_duck *d = sl_duck_open(":memory:", err);
    if (!d) {
        sl_err_prefix(err, "checks");
        return -1;
    }
    int rc = sl_duck_exec(d, "set TimeZone = 'UTC'", NULL, err);
    if (rc == 0) rc = sl_check_judge(d, in, rep, err);
    sl_duck_close(d);
    rep->seconds = sl_check_now() - started;
    if (rc < 0) sl_err_prefix(err, "table %s: checks", cfg->name);
    return rc;
}

void sl_check_report_free(sl_check_report *r)
{
    sl_free(r->results);
    memset(r, 0, sizeof *r);
}

void sl_check_report_text(const sl_check_report *r, char *out, size_t size)
{
    out[0] = '\0';
    int nfailed = 0;
    const sl_check_result *first = NULL;
    for (int i = 0; i < r->n; i++)
        if (r->results[i].status == SL_CHECK_FAIL) {
            if (!first) first = &r->results[i];
            nfailed++;
        }
    if (!first) return;
    char more[64] = "", ex[600] = "", tol[96] = "";
    if (nfailed > 1) snprintf(more, sizeof more, " (and %d more rule%s)", nfailed - 1, nfailed == 2 ? "" : "s");
    if (first->examples[0]) snprintf(ex, sizeof ex, "; examples: %s", first->examples);
    if (sl_check_is_row_level(first->check->kind))
        snprintf(tol, sizeof tol, "; %lld bad row%s in all, max_bad_rows allows %lld", (long long)r->bad_rows,
                 r->bad_rows == 1 ? "" : "s", (long long)r->max_bad);
    snprintf(out, size, "check %s failed: %s%s%s%s", first->check->name, first->detail, ex, tol, more);
}

void sl_check_list_text(const sl_job_table *cfg, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < cfg->nchecks && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s%s", i ? ", " : "", cfg->checks[i].name,
                                 cfg->checks[i].warn ? " [warn]" : "");
}
