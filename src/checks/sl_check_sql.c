/*
 * sl_check_sql.c - the SQL (DuckDB's dialect) of each rule: a row-level
 * rule is a predicate true for the rows that fail it; unique and freshness
 * are aggregates. Used by sl_check.c; nothing here runs a query.
 *
 * NULL is not a bad value except for not_null: a NULL passes
 * accepted_values, range, regex, length and references (as SQL's CHECK
 * constraints treat it), and an expression that is NULL for a row passes
 * too (only false fails), so each rule says one thing.
 */
#include "sl_check_int.h"

#include <stdlib.h>
#include <string.h>

void sl_check_sql_ident(sl_buf *b, const char *name) { sl_buf_quoted(b, name, '"'); }
void sl_check_sql_text(sl_buf *b, const char *text) { sl_buf_quoted(b, text, '\''); }

/* A literal as written: a number as it is, anything else (a date, a
 * timestamp, a word) as a string DuckDB casts to the column's type. */
static void sl_check_sql_literal(sl_buf *b, const char *text)
{
    char *end;
    strtod(text, &end);
    bool number = *text && !*end && strspn(text, "0123456789+-.eE") == strlen(text);
    if (number) sl_buf_printf(b, "%s", text);
    else sl_check_sql_text(b, text);
}

/* `read_parquet(['a', 'b'])`, or an empty relation with the columns when there are no files. */
void sl_check_sql_files(sl_buf *b, char **files, int n)
{
    sl_buf_printf(b, "read_parquet([");
    for (int i = 0; i < n; i++) {
        if (i) sl_buf_printf(b, ", ");
        sl_check_sql_text(b, files[i]);
    }
    sl_buf_printf(b, "])");
}

static void sl_check_sql_col(sl_buf *b, const sl_job_check *c, int i) { sl_check_sql_ident(b, c->cols[i]); }

int sl_check_sql_bad(sl_buf *b, const sl_job_check *c, char **ref_files, int ref_nfiles)
{
    switch (c->kind) {
    case SL_CHECK_NOT_NULL:
        sl_buf_printf(b, "(");
        for (int i = 0; i < c->ncols; i++) {
            if (i) sl_buf_printf(b, " or ");
            sl_check_sql_col(b, c, i);
            sl_buf_printf(b, " is null");
        }
        sl_buf_printf(b, ")");
        return 0;
    case SL_CHECK_ACCEPTED_VALUES:
        sl_buf_printf(b, "(cast(");
        sl_check_sql_col(b, c, 0);
        sl_buf_printf(b, " as varchar) not in (");
        for (int i = 0; i < c->nvalues; i++) {
            if (i) sl_buf_printf(b, ", ");
            sl_check_sql_text(b, c->values[i]);
        }
        sl_buf_printf(b, "))");
        return 0;
    case SL_CHECK_RANGE:
        sl_buf_printf(b, "(");
        if (c->min) {
            sl_check_sql_col(b, c, 0);
            sl_buf_printf(b, " < ");
            sl_check_sql_literal(b, c->min);
        }
        if (c->min && c->max) sl_buf_printf(b, " or ");
        if (c->max) {
            sl_check_sql_col(b, c, 0);
            sl_buf_printf(b, " > ");
            sl_check_sql_literal(b, c->max);
        }
        sl_buf_printf(b, ")");
        return 0;
    case SL_CHECK_REGEX:
        sl_buf_printf(b, "(not regexp_matches(cast(");
        sl_check_sql_col(b, c, 0);
        sl_buf_printf(b, " as varchar), ");
        sl_check_sql_text(b, c->pattern);
        sl_buf_printf(b, "))");
        return 0;
    case SL_CHECK_LENGTH:
        sl_buf_printf(b, "(");
        if (c->min) {
            sl_buf_printf(b, "length(cast(");
            sl_check_sql_col(b, c, 0);
            sl_buf_printf(b, " as varchar)) < %s", c->min);
        }
        if (c->min && c->max) sl_buf_printf(b, " or ");
        if (c->max) {
            sl_buf_printf(b, "length(cast(");
            sl_check_sql_col(b, c, 0);
            sl_buf_printf(b, " as varchar)) > %s", c->max);
        }
        sl_buf_printf(b, ")");
        return 0;
    case SL_CHECK_EXPRESSION:
        sl_buf_printf(b, "(not coalesce((%s), true))", c->expr);
        return 0;
    case SL_CHECK_REFERENCES:
        if (ref_nfiles <= 0) {
            sl_buf_printf(b, "false");
            return 0;
        }
        sl_buf_printf(b, "(");
        sl_check_sql_col(b, c, 0);
        sl_buf_printf(b, " not in (select ");
        sl_check_sql_ident(b, c->ref_column);
        sl_buf_printf(b, " from ");
        sl_check_sql_files(b, ref_files, ref_nfiles);
        sl_buf_printf(b, " where ");
        sl_check_sql_ident(b, c->ref_column);
        sl_buf_printf(b, " is not null))");
        return 0;
    default:
        return -1;
    }
}

/* "cast(col as timestamp)": freshness compares in UTC (the session's time zone is UTC). */
void sl_check_sql_ts(sl_buf *b, const sl_job_check *c)
{
    sl_buf_printf(b, "cast(");
    sl_check_sql_col(b, c, 0);
    sl_buf_printf(b, " as timestamp)");
}

/* The example keys of a query's rows: the table's key, else its first column. */
void sl_check_sql_key(sl_buf *b, const sl_job_table *cfg, const sl_schema *schema)
{
    if (cfg->nkey) {
        for (int i = 0; i < cfg->nkey; i++) {
            if (i) sl_buf_printf(b, ", ");
            sl_check_sql_ident(b, cfg->key[i]);
        }
    } else {
        sl_check_sql_ident(b, schema->fields[0].name);
    }
}
