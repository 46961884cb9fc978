/*
 * sl_job_checks.c - a table's data checks in the job file: `checks:` (a list
 * of rules), `on_bad_rows:` and `max_bad_rows:` (sl_job_checks.h).
 *
 *   checks:
 *     - not_null: [id, customer_id]
 *     - unique: [id]                      (one column or a composite key)
 *     - accepted_values: { status: [pending, shipped] }
 *     - range: { amount: { min: 0, max: 100000 } }
 *     - regex: { email: '^[^@ ]+@[^@ ]+$' }
 *     - length: { country: { min: 2, max: 2 } }
 *     - row_count: { min: 1000 }          (or max, or matches: source)
 *     - references: { customer_id: customers.id }
 *     - expression: "shipped_at is null or shipped_at >= created_at"
 *     - freshness: { column: created_at, max_age: 1d }
 *     - schema: { columns: { id: int64, amount: "decimal(12,2)" } }
 *     - { unique: [email], severity: warn }
 *
 * Every mistake is a job-file error at the rule's file:line:column: an
 * unknown rule (with "did you mean"), a malformed regex (regcomp, POSIX
 * extended), a fraction over 100%, a `references:` to a table the job does
 * not have (resolved by sl_jp_checks_resolve once every table is parsed), a
 * column the job's own `columns:` lacks. Columns of tables whose schema
 * comes from the source are checked when the table is prepared
 * (checks/sl_check.c: sl_check_bind), still at the rule's line and column.
 */
#include "sl_job_int.h"

#include "../core/sl_alloc.h"

#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const sl_check_rules[] = { "not_null", "accepted_values", "range", "regex", "length",
                                              "expression", "references", "unique", "row_count", "freshness",
                                              "schema", NULL };
#define SL_NRULES 11

static sl_job_check *sl_jc_add(sl_jp *p, sl_job_table *t, sl_check_kind kind, bool warn, yaml_node_t *at, int *cap)
{
    if (t->nchecks == *cap) {
        int ncap = *cap ? *cap * 2 : 8;
        sl_job_check *n = sl_arena_alloc(&p->job->arena, sizeof *n * (size_t)ncap);
        if (t->nchecks) memcpy(n, t->checks, sizeof *n * (size_t)t->nchecks);
        t->checks = n;
        *cap = ncap;
    }
    sl_job_check *c = &t->checks[t->nchecks++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->warn = warn;
    c->line = (int)at->start_mark.line + 1;
    c->column = (int)at->start_mark.column + 1;
    return c;
}

/* A scalar as text (numbers and dates as written). */
static int sl_jc_scalar(sl_jp *p, yaml_node_t *v, const char *path, char **out)
{
    if (v->type != YAML_SCALAR_NODE)
        return sl_jy_fail(&p->y, v, path, "expected a value, found %s", sl_jy_what(v));
    return sl_jy_string(&p->y, v, path, out);
}

/* "not_null(id, customer_id)", "range(amount)", ... */
static void sl_jc_name(sl_jp *p, sl_job_check *c)
{
    char buf[512];
    size_t used = (size_t)snprintf(buf, sizeof buf, "%s", sl_check_rules[c->kind]);
    if (c->kind == SL_CHECK_ROW_COUNT || c->kind == SL_CHECK_EXPRESSION || c->kind == SL_CHECK_SCHEMA) {
        c->name = sl_arena_strdup(&p->job->arena, buf);
        return;
    }
    for (int i = 0; i < c->ncols && used < sizeof buf; i++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", i ? ", " : "(", c->cols[i]);
    if (used < sizeof buf) snprintf(buf + used, sizeof buf - used, ")");
    c->name = sl_arena_strdup(&p->job->arena, buf);
}

static char **sl_jc_one(sl_jp *p, const char *name)
{
    char **cols = sl_arena_alloc(&p->job->arena, sizeof *cols);
    cols[0] = sl_arena_strdup(&p->job->arena, name);
    return cols;
}

/* { min: x, max: y } into c->min / c->max; `integers`: length and row_count. */
static int sl_jc_bounds(sl_jp *p, yaml_node_t *v, const char *path, bool integers, sl_job_check *c)
{
    static const char *const keys[] = { "min", "max", NULL };
    if (sl_jy_expect_map(&p->y, v, path) < 0 || sl_jy_check_keys(&p->y, v, path, keys) < 0) return -1;
    yaml_node_t *mn = sl_jy_get(&p->y, v, "min"), *mx = sl_jy_get(&p->y, v, "max");
    if (!mn && !mx) return sl_jy_fail(&p->y, v, path, "give min, max or both");
    int64_t a = 0, b = INT64_MAX;
    if (integers) {
        if (mn && sl_jy_int(&p->y, mn, path, 0, INT64_MAX, &a) < 0) return -1;
        if (mx && sl_jy_int(&p->y, mx, path, 0, INT64_MAX, &b) < 0) return -1;
        if (a > b) return sl_jy_fail(&p->y, v, path, "min %lld is above max %lld", (long long)a, (long long)b);
    }
    if (mn && sl_jc_scalar(p, mn, path, &c->min) < 0) return -1;
    if (mx && sl_jc_scalar(p, mx, path, &c->max) < 0) return -1;
    if (!integers && c->min && c->max) {
        char *e1, *e2;
        double x = strtod(c->min, &e1), y = strtod(c->max, &e2);
        if (!*e1 && !*e2 && x > y) return sl_jy_fail(&p->y, v, path, "min %s is above max %s", c->min, c->max);
    }
    return 0;
}

/* "1d", "12h", "30m", "90s" or a number of seconds. */
static int sl_jc_age(sl_jp *p, yaml_node_t *v, const char *path, double *out)
{
    char *text;
    if (sl_jc_scalar(p, v, path, &text) < 0) return -1;
    char *end;
    double n = strtod(text, &end);
    double scale = !*end ? 1 : !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60 : !strcmp(end, "h") ? 3600
                 : !strcmp(end, "d") ? 86400 : -1;
    if (end == text || scale < 0 || !(n > 0) || !isfinite(n))
        return sl_jy_fail(&p->y, v, path, "max_age '%s' is not an age (90s, 30m, 12h, 1d or a number of seconds)",
                          text);
    *out = n * scale;
    return 0;
}

/* A rule whose value is a mapping column -> something: one check per column. */
typedef int (*sl_jc_per_column)(sl_jp *p, yaml_node_t *v, const char *path, sl_job_check *c);

static int sl_jc_accepted(sl_jp *p, yaml_node_t *v, const char *path, sl_job_check *c)
{
    if (v->type != YAML_SEQUENCE_NODE || sl_jy_seq_len(v) == 0)
        return sl_jy_fail(&p->y, v, path, "expected a non-empty list of accepted values, found %s", sl_jy_what(v));
    c->nvalues = sl_jy_seq_len(v);
    c->values = sl_arena_alloc(&p->job->arena, sizeof *c->values * (size_t)c->nvalues);
    for (int i = 0; i < c->nvalues; i++)
        if (sl_jc_scalar(p, sl_jy_seq_item(&p->y, v, i), path, &c->values[i]) < 0) return -1;
    return 0;
}

static int sl_jc_range(sl_jp *p, yaml_node_t *v, const char *path, sl_job_check *c)
{
    return sl_jc_bounds(p, v, path, false, c);
}

static int sl_jc_length(sl_jp *p, yaml_node_t *v, const char *path, sl_job_check *c)
{
    return sl_jc_bounds(p, v, path, true, c);
}

static int sl_jc_regex(sl_jp *p, yaml_node_t *v, const char *path, sl_job_check *c)
{
    if (sl_jc_scalar(p, v, path, &c->pattern) < 0) return -1;
    regex_t re;
    int rc = regcomp(&re, c->pattern, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char why[256];
        regerror(rc, &re, why, sizeof why);
        return sl_jy_fail(&p->y, v, path, "malformed regex '%s': %s (POSIX extended syntax)", c->pattern, why);
    }
    regfree(&re);
    return 0;
}

static int sl_jc_references(sl_jp *p, yaml_node_t *v, const char *path, sl_job_check *c)
{
    char *text;
    if (sl_jc_scalar(p, v, path, &text) < 0) return -1;
    char *dot = strrchr(text, '.');
    if (!dot || dot == text || !dot[1])
        return sl_jy_fail(&p->y, v, path, "'%s' is not table.column (a table of this job and its column)", text);
    c->ref_table = sl_arena_strdup(&p->job->arena, text);
    c->ref_table[dot - text] = '\0';
    c->ref_column = sl_arena_strdup(&p->job->arena, dot + 1);
    return 0;
}

static int sl_jc_per_columns(sl_jp *p, sl_job_table *t, sl_check_kind kind, bool warn, yaml_node_t *v,
                             const char *path, sl_jc_per_column each, int *cap)
{
    if (v->type != YAML_MAPPING_NODE || sl_jy_map_len(v) == 0)
        return sl_jy_fail(&p->y, v, path, "expected a mapping of column: ..., found %s", sl_jy_what(v));
    for (int i = 0; i < sl_jy_map_len(v); i++) {
        yaml_node_t *k = sl_jy_map_key(&p->y, v, i);
        const char *col = sl_jy_key_text(&p->y, k);
        if (!col || !*col) return sl_jy_fail(&p->y, k, path, "a column name is empty");
        char *names[1] = { (char *)col };
        if (sl_jp_known_columns(p, k, path, t, names, 1) < 0) return -1;
        sl_job_check *c = sl_jc_add(p, t, kind, warn, k, cap);
        c->cols = sl_jc_one(p, col);
        c->ncols = 1;
        if (each(p, sl_jy_map_value(&p->y, v, i), path, c) < 0) return -1;
        sl_jc_name(p, c);
    }
    return 0;
}

/* One item of `checks:`: a mapping with one rule and an optional severity. */
static int sl_jc_rule(sl_jp *p, sl_job_table *t, yaml_node_t *item, const char *path, int *cap)
{
    if (item->type != YAML_MAPPING_NODE)
        return sl_jy_fail(&p->y, item, path, "expected a rule such as { not_null: [id] }, found %s",
                          sl_jy_what(item));
    bool warn = false;
    yaml_node_t *rule_key = NULL, *rule_val = NULL;
    for (int i = 0; i < sl_jy_map_len(item); i++) {
        yaml_node_t *k = sl_jy_map_key(&p->y, item, i);
        const char *word = sl_jy_key_text(&p->y, k);
        if (!word) return sl_jy_fail(&p->y, k, path, "a rule's name must be a word");
        if (!strcmp(word, "severity")) {
            static const char *const sev[] = { "error", "warn", NULL };
            char *s;
            if (sl_jy_choice(&p->y, sl_jy_map_value(&p->y, item, i), path, sev, &s) < 0) return -1;
            warn = !strcmp(s, "warn");
            continue;
        }
        bool known = false;
        for (int r = 0; r < SL_NRULES && !known; r++) known = !strcmp(word, sl_check_rules[r]);
        if (!known) {
            const char *hint = sl_did_you_mean(word, sl_check_rules, SL_NRULES);
            if (hint) return sl_jy_fail(&p->y, k, path, "unknown rule '%s' (did you mean '%s'?)", word, hint);
            return sl_jy_fail(&p->y, k, path, "unknown rule '%s' (rules: not_null, unique, accepted_values, range, "
                              "regex, length, row_count, references, expression, freshness, schema)", word);
        }
        if (rule_key)
            return sl_jy_fail(&p->y, k, path, "one rule per item: '%s' and '%s' (give each its own '- ')",
                              sl_jy_key_text(&p->y, rule_key), word);
        rule_key = k;
        rule_val = sl_jy_map_value(&p->y, item, i);
    }
    if (!rule_key) return sl_jy_fail(&p->y, item, path, "no rule, only a severity");
    const char *word = sl_jy_key_text(&p->y, rule_key);
    char sub[700];
    snprintf(sub, sizeof sub, "%s.%s", path, word);
    sl_check_kind kind = SL_CHECK_NOT_NULL;
    for (int r = 0; r < SL_NRULES; r++)
        if (!strcmp(word, sl_check_rules[r])) kind = (sl_check_kind)r;
    sl_job_check *c;
    switch (kind) {
    case SL_CHECK_NOT_NULL:
    case SL_CHECK_UNIQUE:
        c = sl_jc_add(p, t, kind, warn, rule_key, cap);
        if (sl_jp_name_list(p, rule_val, sub, &c->cols, &c->ncols) < 0 ||
            sl_jp_known_columns(p, rule_val, sub, t, c->cols, c->ncols) < 0)
            return -1;
        sl_jc_name(p, c);
        return 0;
    case SL_CHECK_ACCEPTED_VALUES:
        return sl_jc_per_columns(p, t, kind, warn, rule_val, sub, sl_jc_accepted, cap);
    case SL_CHECK_RANGE:
        return sl_jc_per_columns(p, t, kind, warn, rule_val, sub, sl_jc_range, cap);
    case SL_CHECK_REGEX:
        return sl_jc_per_columns(p, t, kind, warn, rule_val, sub, sl_jc_regex, cap);
    case SL_CHECK_LENGTH:
        return sl_jc_per_columns(p, t, kind, warn, rule_val, sub, sl_jc_length, cap);
    case SL_CHECK_REFERENCES:
        return sl_jc_per_columns(p, t, kind, warn, rule_val, sub, sl_jc_references, cap);
    case SL_CHECK_EXPRESSION:
        c = sl_jc_add(p, t, kind, warn, rule_key, cap);
        if (sl_jy_text(&p->y, rule_val, sub, "a SQL condition every row must meet", &c->expr) < 0) return -1;
        if (strchr(c->expr, ';'))
            return sl_jy_fail(&p->y, rule_val, sub, "one condition, without ';'");
        sl_jc_name(p, c);
        return 0;
    case SL_CHECK_ROW_COUNT: {
        c = sl_jc_add(p, t, kind, warn, rule_key, cap);
        static const char *const keys[] = { "min", "max", "matches", NULL };
        if (sl_jy_expect_map(&p->y, rule_val, sub) < 0 || sl_jy_check_keys(&p->y, rule_val, sub, keys) < 0)
            return -1;
        yaml_node_t *m = sl_jy_get(&p->y, rule_val, "matches");
        if (m) {
            static const char *const what[] = { "source", NULL };
            char *s;
            if (sl_jy_choice(&p->y, m, sub, what, &s) < 0) return -1;
            c->matches_source = true;
            if (sl_jy_get(&p->y, rule_val, "min") || sl_jy_get(&p->y, rule_val, "max"))
                return sl_jy_fail(&p->y, rule_val, sub, "give matches: source or min/max, in separate rules");
        } else if (sl_jc_bounds(p, rule_val, sub, true, c) < 0) {
            return -1;
        }
        sl_jc_name(p, c);
        return 0;
    }
    case SL_CHECK_FRESHNESS: {
        c = sl_jc_add(p, t, kind, warn, rule_key, cap);
        static const char *const keys[] = { "column", "max_age", NULL };
        if (sl_jy_expect_map(&p->y, rule_val, sub) < 0 || sl_jy_check_keys(&p->y, rule_val, sub, keys) < 0)
            return -1;
        yaml_node_t *col = sl_jy_get(&p->y, rule_val, "column"), *age = sl_jy_get(&p->y, rule_val, "max_age");
        if (!col || !age) return sl_jy_fail(&p->y, rule_val, sub, "give column and max_age (e.g. 1d)");
        char *name;
        if (sl_jc_scalar(p, col, sub, &name) < 0) return -1;
        if (sl_jp_known_columns(p, col, sub, t, &name, 1) < 0) return -1;
        c->cols = sl_jc_one(p, name);
        c->ncols = 1;
        if (sl_jc_age(p, age, sub, &c->max_age_s) < 0) return -1;
        sl_jc_name(p, c);
        return 0;
    }
    case SL_CHECK_SCHEMA: {
        c = sl_jc_add(p, t, kind, warn, rule_key, cap);
        static const char *const keys[] = { "columns", NULL };
        if (sl_jy_expect_map(&p->y, rule_val, sub) < 0 || sl_jy_check_keys(&p->y, rule_val, sub, keys) < 0)
            return -1;
        yaml_node_t *cols = sl_jy_get(&p->y, rule_val, "columns");
        if (!cols || cols->type != YAML_MAPPING_NODE || sl_jy_map_len(cols) == 0)
            return sl_jy_fail(&p->y, cols ? cols : rule_val, sub, "give columns: { name: type, ... }");
        c->ncols = sl_jy_map_len(cols);
        c->cols = sl_arena_alloc(&p->job->arena, sizeof *c->cols * (size_t)c->ncols);
        c->types = sl_arena_alloc(&p->job->arena, sizeof *c->types * (size_t)c->ncols);
        for (int i = 0; i < c->ncols; i++) {
            yaml_node_t *k = sl_jy_map_key(&p->y, cols, i);
            c->cols[i] = sl_arena_strdup(&p->job->arena, sl_jy_key_text(&p->y, k));
            if (sl_jp_known_columns(p, k, sub, t, &c->cols[i], 1) < 0) return -1;
            if (sl_jp_type(p, sl_jy_map_value(&p->y, cols, i), sub, &c->types[i]) < 0) return -1;
        }
        sl_jc_name(p, c);
        return 0;
    }
    }
    return sl_jy_fail(&p->y, rule_key, sub, "unknown rule");
}

/* max_bad_rows: a count (100) or a percentage of the rows ("0.1%"). */
static int sl_jc_max_bad(sl_jp *p, yaml_node_t *v, const char *path, sl_job_table *t)
{
    char *text;
    if (sl_jc_scalar(p, v, path, &text) < 0) return -1;
    size_t n = strlen(text);
    char *end;
    if (n && text[n - 1] == '%') {
        double f = strtod(text, &end);
        if (end == text || end != text + n - 1 || !isfinite(f) || f < 0)
            return sl_jy_fail(&p->y, v, path, "'%s' is not a percentage (e.g. 0.1%%)", text);
        if (f > 100) return sl_jy_fail(&p->y, v, path, "%s is over 100%% of the rows", text);
        t->max_bad_fraction = f / 100.0;
        return 0;
    }
    int64_t count;
    if (sl_jy_int(&p->y, v, path, 0, INT64_MAX, &count) < 0) return -1;
    t->max_bad_rows = count;
    return 0;
}

int sl_jp_checks(sl_jp *p, yaml_node_t *map, const char *path, sl_job_table *t)
{
    char sub[700];
    t->max_bad_fraction = -1;
    yaml_node_t *v;
    if ((v = sl_jy_get(&p->y, map, "on_bad_rows"))) {
        static const char *const modes[] = { "fail", "quarantine", "drop", NULL };
        char *s;
        snprintf(sub, sizeof sub, "%s.on_bad_rows", path);
        if (sl_jy_choice(&p->y, v, sub, modes, &s) < 0) return -1;
        t->on_bad_rows = !strcmp(s, "quarantine") ? SL_BAD_ROWS_QUARANTINE
                       : !strcmp(s, "drop")       ? SL_BAD_ROWS_DROP
                                                  : SL_BAD_ROWS_FAIL;
        if (t->on_bad_rows == SL_BAD_ROWS_QUARANTINE) {
            /* The quarantine is a table of files beside the table: it needs a lake target. */
            bool lake = false;
            int ntg = t->ntargets ? t->ntargets : 1;
            for (int k = 0; k < ntg; k++) {
                const sl_job_target *tg = t->ntargets ? t->targets[k] : t->target;
                if (tg && (!strcmp(tg->kind, "parquet") || !strcmp(tg->kind, "csv"))) lake = true;
            }
            if (!lake)
                return sl_jy_fail(&p->y, v, sub, "quarantine writes <table>__rejected beside the table in a lake "
                                  "target (parquet or csv); this table has none (use on_bad_rows: drop)");
        }
    }
    if ((v = sl_jy_get(&p->y, map, "max_bad_rows"))) {
        snprintf(sub, sizeof sub, "%s.max_bad_rows", path);
        if (sl_jc_max_bad(p, v, sub, t) < 0) return -1;
    } else if (t->on_bad_rows != SL_BAD_ROWS_FAIL) {
        t->max_bad_rows = INT64_MAX;   /* drop and quarantine split every bad row off unless a limit is given */
    }
    if (!(v = sl_jy_get(&p->y, map, "checks"))) return 0;
    snprintf(sub, sizeof sub, "%s.checks", path);
    if (v->type != YAML_SEQUENCE_NODE)
        return sl_jy_fail(&p->y, v, sub, "expected a list of rules (- not_null: [id] ...), found %s", sl_jy_what(v));
    int cap = 0;
    for (int i = 0; i < sl_jy_seq_len(v); i++)
        if (sl_jc_rule(p, t, sl_jy_seq_item(&p->y, v, i), sub, &cap) < 0) return -1;
    /* Checks read the staged Parquet files of a parquet or duckdb target (checks/sl_check.c). */
    bool readable = false;
    for (int k = 0; k < t->ntargets; k++)
        readable = readable || !strcmp(t->targets[k]->kind, "parquet") || !strcmp(t->targets[k]->kind, "duckdb");
    if (t->nchecks && !readable)
        return sl_jy_fail(&p->y, v, sub, "checks read the table's staged Parquet files: add a parquet or duckdb "
                          "target to to: (a table only in csv or postgres targets cannot be checked yet)");
    return 0;
}

int sl_jp_checks_resolve(sl_jp *p)
{
    sl_job *job = p->job;
    for (int i = 0; i < job->ntables; i++) {
        sl_job_table *t = &job->tables[i];
        for (int j = 0; j < t->nchecks; j++) {
            sl_job_check *c = &t->checks[j];
            if (c->kind != SL_CHECK_REFERENCES) continue;
            for (int k = 0; k < job->ntables && !c->ref; k++)
                if (!strcmp(job->tables[k].name, c->ref_table)) c->ref = &job->tables[k];
            if (c->ref == t)
                return sl_err_set(p->y.err, SL_EJOB, "%s:%d:%d: tables.%s.checks: references: '%s' is this table "
                                  "itself (use unique, or a rule on another table)", p->y.file, c->line, c->column,
                                  t->name, c->ref_table);
            if (c->ref) continue;
            const char **names = sl_arena_alloc(&job->arena, sizeof *names * (size_t)job->ntables);
            for (int k = 0; k < job->ntables; k++) names[k] = job->tables[k].name;
            const char *hint = sl_did_you_mean(c->ref_table, names, job->ntables);
            char dym[200] = "";
            if (hint) snprintf(dym, sizeof dym, " (did you mean '%s'?)", hint);
            return sl_err_set(p->y.err, SL_EJOB, "%s:%d:%d: tables.%s.checks: references: table '%s' is not a table "
                              "of this job%s", p->y.file, c->line, c->column, t->name, c->ref_table, dym);
        }
    }
    return 0;
}
