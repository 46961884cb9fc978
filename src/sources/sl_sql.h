/*
 * sl_sql.h - small SQL text helpers shared by the SQL sources.
 *
 * sl_sql_subquery() turns a user's `query:` into "(<query>\n) AS sl_q" for use
 * in FROM, dropping what would break the wrapping: trailing semicolons and
 * trailing comments ("select ... -- note\n;" as pasted from an editor).
 * Quotes ('...', "...", $tag$...$tag$) and comments (-- and nested block comments) are
 * skipped while looking for the end, so a ';' or "--" inside them is kept.
 * The result is sl_malloc'd.
 */
#ifndef SL_SQL_H
#define SL_SQL_H

char *sl_sql_subquery(const char *query);

#endif
