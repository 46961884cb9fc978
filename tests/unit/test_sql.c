/*
 * test_sql.c - sl_sql_subquery: trailing semicolons and comments dropped,
 * quotes and comments inside the query kept.
 */
#include <criterion/criterion.h>

#include "core/sl_alloc.h"
#include "sources/sl_sql.h"

static void check(const char *query, const char *wrapped)
{
    char *got = sl_sql_subquery(query);
    cr_assert_str_eq(got, wrapped, "query [%s]", query);
    sl_free(got);
}

Test(sql, subquery_drops_trailing_noise)
{
    check("select 1", "(select 1\n) AS sl_q");
    check("select 1;  \n", "(select 1\n) AS sl_q");
    check("select id\nfrom t  -- both rows\n;\n", "(select id\nfrom t\n) AS sl_q");
    check("select 1; -- done", "(select 1\n) AS sl_q");
    check("select 1 /* a /* nested */ b */ ;", "(select 1\n) AS sl_q");
}

Test(sql, subquery_keeps_quoted_text)
{
    check("select ';' as a;", "(select ';' as a\n) AS sl_q");
    check("select 'it''s -- fine'", "(select 'it''s -- fine'\n) AS sl_q");
    check("select \"a;b\" from t", "(select \"a;b\" from t\n) AS sl_q");
    check("select $f$ ; -- $f$ as x;", "(select $f$ ; -- $f$ as x\n) AS sl_q");
    check("select $1 -- param", "(select $1\n) AS sl_q");
    check("select 'unterminated", "(select 'unterminated\n) AS sl_q");
}
