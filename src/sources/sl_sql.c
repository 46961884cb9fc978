/*
 * sl_sql.c - see sl_sql.h: wrapping a user's query as a subquery.
 */
#include "sl_sql.h"

#include "../core/sl_alloc.h"

#include <ctype.h>
#include <string.h>

/* Length of the dollar-quote tag starting at p ("$tag$" or "$$"), or 0. */
static size_t sl_sql_dollar_tag(const char *p)
{
    size_t n = 1;
    while (isalnum((unsigned char)p[n]) || p[n] == '_') n++;
    return p[n] == '$' && !isdigit((unsigned char)p[1]) ? n + 1 : 0;
}

char *sl_sql_subquery(const char *q)
{
    size_t len = strlen(q), end = 0, i = 0;
    while (i < len) {
        char c = q[i];
        if (isspace((unsigned char)c) || c == ';') {
            i++;
        } else if (c == '-' && q[i + 1] == '-') {
            while (i < len && q[i] != '\n') i++;
        } else if (c == '/' && q[i + 1] == '*') {
            int depth = 1;
            i += 2;
            while (i < len && depth > 0) {
                if (q[i] == '/' && q[i + 1] == '*') { depth++; i += 2; }
                else if (q[i] == '*' && q[i + 1] == '/') { depth--; i += 2; }
                else i++;
            }
        } else if (c == '\'' || c == '"') {
            for (i++; i < len; i++)
                if (q[i] == c) {
                    if (q[i + 1] == c) i++;   /* doubled quote inside */
                    else break;
                }
            i++;
            end = i < len ? i : len;
        } else if (c == '$' && sl_sql_dollar_tag(q + i)) {
            size_t tag = sl_sql_dollar_tag(q + i);
            const char *close;
            for (close = q + i + tag; *close && strncmp(close, q + i, tag); close++) {}
            i = *close ? (size_t)(close - q) + tag : len;
            end = i;
        } else {
            end = ++i;
        }
    }
    return sl_sprintf("(%.*s\n) AS sl_q", (int)end, q);
}
