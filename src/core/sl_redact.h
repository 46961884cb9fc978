/*
 * sl_redact.h - keeping passwords out of text that is printed or stored.
 *
 * sl_redact() knows the shapes a password takes in text:
 *   - the user info of a URL, up to its last "@" (an "@" or a slash the user
 *     forgot to percent-encode stays inside) becomes "***", host kept;
 *   - the value of any key ending in "password", in a conninfo or a URL
 *     query: "password=***", "sslpassword=***", quoted values included;
 *   - the input libpq quotes back when it cannot parse a URL or conninfo
 *     ("invalid percent-encoded token: "***"", "missing "=" after "***" in
 *     connection info string", "... in URI query parameter: "***"").
 * sl_redact_secrets() also removes every occurrence of known secrets: the
 * passwords of the URL or conninfo the text came from, found by
 * sl_secrets_add_dsn() even when that URL or conninfo is malformed.
 *
 * Redacted bytes (overlapping or adjacent runs merge) become one "***". A
 * secret never survives: when a secret holds a "*" the marker is "###" (or
 * the next character no secret holds: "~~~", "^^^", ...), and when the
 * secrets hold every candidate the whole text is withheld.
 *
 *   sl_secrets s = { 0 };
 *   sl_secrets_add_dsn(&s, src->url);
 *   sl_redact_secrets(PQerrorMessage(conn), &s, msg, sizeof msg);
 *   sl_secrets_free(&s);
 */
#ifndef SL_REDACT_H
#define SL_REDACT_H

#include <stddef.h>

typedef struct sl_secrets {
    int n;
    char **items;      /* sl_malloc'd, NUL-terminated, never empty */
} sl_secrets;

/* Adds the first len bytes of text (ignored when empty or already there). */
void sl_secrets_add(sl_secrets *s, const char *text, size_t len);
/* Adds the passwords of a postgres:// URL (user info and "password" query
 * values, as written and percent-decoded) or of a key=value conninfo (every
 * key ending in "password", as written and unquoted; "password:x" and
 * "password x" count too). */
void sl_secrets_add_dsn(sl_secrets *s, const char *dsn);
void sl_secrets_free(sl_secrets *s);

/* Copies text into out (size bytes, always NUL-terminated) redacted. */
void sl_redact(const char *text, char *out, size_t size);
void sl_redact_secrets(const char *text, const sl_secrets *secrets, char *out, size_t size);

#endif
