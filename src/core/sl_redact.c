/*
 * sl_redact.c - passwords out of text (see sl_redact.h).
 *
 * Every rule marks the bytes it hides in a per-byte mask over the input;
 * the output then replaces each run of marked bytes by one marker. Marking
 * first, on the original text, is what makes "a secret never survives"
 * hold: an unmarked stretch of the output is an unmarked stretch of the
 * input, so a secret found in it would have been marked, unless it overlaps
 * a marker, which a secret without the marker's character cannot. The
 * marker is "***" unless a secret holds a "*"; withholding the whole text is
 * for a secret holding every candidate character.
 */
#include "sl_redact.h"

#include "sl_alloc.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Marker characters by preference: the first that no secret holds. */
#define SL_REDACT_MARKERS "*#~^_=+-.!?%&$" "xXzZqQ"
#define SL_REDACT_WITHHELD "(withheld: the text may hold a password)"

void sl_secrets_add(sl_secrets *s, const char *text, size_t len)
{
    if (!text || len == 0) return;
    for (int i = 0; i < s->n; i++)
        if (strlen(s->items[i]) == len && !memcmp(s->items[i], text, len)) return;
    s->items = sl_realloc(s->items, sizeof *s->items * (size_t)(s->n + 1));
    s->items[s->n++] = sl_strndup(text, len);
}

void sl_secrets_free(sl_secrets *s)
{
    for (int i = 0; i < s->n; i++) sl_free(s->items[i]);
    sl_free(s->items);
    s->items = NULL;
    s->n = 0;
}

static int sl_hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Adds text as written and, when it holds valid %XX escapes, decoded. */
static void sl_secrets_add_pct(sl_secrets *s, const char *text, size_t len)
{
    sl_secrets_add(s, text, len);
    if (!memchr(text, '%', len)) return;
    char *dec = sl_malloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (text[i] != '%') {
            dec[n++] = text[i];
        } else if (i + 2 < len && (hi = sl_hex_digit(text[i + 1])) >= 0 && (lo = sl_hex_digit(text[i + 2])) >= 0) {
            dec[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            sl_free(dec);
            return;   /* not decodable: libpq refuses it too */
        }
    }
    if (!memchr(dec, '\0', n)) sl_secrets_add(s, dec, n);
    sl_free(dec);
}

static bool sl_ends_with_password(const char *key, size_t len)
{
    return len >= 8 && !strncasecmp(key + len - 8, "password", 8);
}

/* One "key=value" of a URL query ("password=x", or a malformed "password:x"). */
static void sl_secrets_add_param(sl_secrets *s, const char *p, size_t len)
{
    const char *eq = memchr(p, '=', len);
    if (eq) {
        if (sl_ends_with_password(p, (size_t)(eq - p))) sl_secrets_add_pct(s, eq + 1, len - (size_t)(eq - p) - 1);
        return;
    }
    for (size_t i = 0; i + 8 <= len; i++)
        if (!strncasecmp(p + i, "password", 8)) {
            size_t rest = i + 8;
            if (rest < len && !isalnum((unsigned char)p[rest])) rest++;
            sl_secrets_add_pct(s, p + rest, len - rest);
            return;
        }
}

static void sl_secrets_add_url(sl_secrets *s, const char *url)
{
    const char *auth = strstr(url, "://") + 3;
    const char *at = strrchr(auth, '@');
    if (at) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        if (colon) {
            const char *pw = colon + 1;
            size_t len = (size_t)(at - pw);
            sl_secrets_add_pct(s, pw, len);
            /* An unescaped "@" or "/" cuts it where libpq would: its pieces are echoed as host or port. */
            for (size_t i = 0, start = 0; i <= len; i++)
                if (i == len || pw[i] == '@' || pw[i] == '/') {
                    if (i - start >= 3 && i - start < len) sl_secrets_add_pct(s, pw + start, i - start);
                    start = i + 1;
                }
        }
    }
    const char *q = strchr(at ? at : auth, '?');
    while (q) {
        const char *p = q + 1, *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        sl_secrets_add_param(s, p, len);
        q = amp;
    }
}

/* A key=value conninfo, tokenized as libpq does: values unquoted or '...',
 * backslash escapes in both. */
static void sl_secrets_add_conninfo(sl_secrets *s, const char *p)
{
    char *val = sl_malloc(strlen(p) + 1);
    bool take_next = false;   /* "password secret": the token after the key */
    while (*p) {
        while (isspace((unsigned char)*p)) p++;
        if (!*p) break;
        const char *key = p;
        while (*p && *p != '=' && !isspace((unsigned char)*p)) p++;
        size_t klen = (size_t)(p - key);
        const char *after = p;
        while (isspace((unsigned char)*p)) p++;
        if (*p != '=') {
            if (take_next) sl_secrets_add(s, key, klen);
            take_next = false;
            if (sl_ends_with_password(key, klen)) take_next = true;
            else sl_secrets_add_param(s, key, klen);   /* "password:secret" */
            p = after;
            continue;
        }
        take_next = false;
        p++;
        while (isspace((unsigned char)*p)) p++;
        const char *raw = p;
        size_t n = 0;
        if (*p == '\'') {
            for (p++; *p && *p != '\''; p++) {
                if (*p == '\\' && p[1]) p++;
                val[n++] = *p;
            }
            if (*p) p++;
        } else {
            for (; *p && !isspace((unsigned char)*p); p++) {
                if (*p == '\\' && p[1]) p++;
                val[n++] = *p;
            }
        }
        if (sl_ends_with_password(key, klen)) {
            sl_secrets_add(s, raw, (size_t)(p - raw));
            sl_secrets_add(s, val, n);
        }
        val[n] = '\0';
        if (klen == 6 && !strncmp(key, "dbname", 6) && strstr(val, "://")) sl_secrets_add_dsn(s, val);
    }
    sl_free(val);
}

void sl_secrets_add_dsn(sl_secrets *s, const char *dsn)
{
    if (!dsn) return;
    while (isspace((unsigned char)*dsn)) dsn++;
    if (!strncmp(dsn, "postgres://", 11) || !strncmp(dsn, "postgresql://", 13))
        sl_secrets_add_url(s, dsn);
    else
        sl_secrets_add_conninfo(s, dsn);
}

/* ---- marking ---- */

static void sl_mark(bool *mask, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) mask[i] = true;
}

/* scheme://user:password@host: the user info, up to the URL's last "@". */
static void sl_mark_urls(const char *t, size_t len, bool *mask)
{
    for (const char *p = strstr(t, "://"); p; p = strstr(p + 1, "://")) {
        size_t auth = (size_t)(p - t) + 3, end = auth, at = 0;
        for (; end < len && !isspace((unsigned char)t[end]) && t[end] != '"' && t[end] != '\''; end++)
            if (t[end] == '@') at = end;
        if (at) sl_mark(mask, auth, at);
    }
}

/* key=value where the key ends in "password" (password, sslpassword, PGPASSWORD). */
static void sl_mark_password_values(const char *t, size_t len, bool *mask)
{
    for (size_t i = 0; i + 8 <= len; i++) {
        if (strncasecmp(t + i, "password", 8)) continue;
        size_t p = i + 8;
        while (p < len && t[p] == ' ') p++;
        if (p >= len || t[p] != '=') continue;
        p++;
        while (p < len && t[p] == ' ') p++;
        size_t v = p;
        if (p < len && t[p] == '\'') {
            for (p++; p < len && t[p] != '\''; p++)
                if (t[p] == '\\' && p + 1 < len) p++;
            if (p < len) p++;
        } else {
            while (p < len && !isspace((unsigned char)t[p]) && t[p] != '&' && t[p] != '"') p++;
        }
        sl_mark(mask, v, p);
        i = p - 1;
    }
}

/* The input libpq quotes back in its URL and conninfo parse errors. */
static void sl_mark_libpq_echoes(const char *t, size_t len, bool *mask)
{
    static const struct { const char *open, *close; } echoes[] = {
        { "percent-encoded token: \"", NULL },
        { "percent-encoded value: \"", NULL },
        { "in URI query parameter: \"", NULL },
        { "missing \"=\" after \"", "\" in connection info string" },
    };
    for (size_t e = 0; e < sizeof echoes / sizeof echoes[0]; e++)
        for (const char *p = strstr(t, echoes[e].open); p; p = strstr(p + 1, echoes[e].open)) {
            size_t from = (size_t)(p - t) + strlen(echoes[e].open);
            const char *nl = memchr(t + from, '\n', len - from);
            size_t eol = nl ? (size_t)(nl - t) : len, to = eol;
            const char *close = echoes[e].close ? strstr(t + from, echoes[e].close) : NULL;
            if (close && (size_t)(close - t) < eol) {
                to = (size_t)(close - t);
            } else {
                /* To the line's last quote: the echo may hold quotes itself. */
                while (to > from && t[to - 1] != '"') to--;
                to = to > from ? to - 1 : eol;
            }
            sl_mark(mask, from, to);
        }
}

static void sl_mark_secrets(const char *t, size_t len, const sl_secrets *secrets, bool *mask)
{
    for (int k = 0; secrets && k < secrets->n; k++) {
        const char *sec = secrets->items[k];
        size_t sl = strlen(sec);
        for (size_t i = 0; sl && i + sl <= len; i++)
            if (t[i] == sec[0] && !memcmp(t + i, sec, sl)) sl_mark(mask, i, i + sl);
    }
}

void sl_redact_secrets(const char *text, const sl_secrets *secrets, char *out, size_t size)
{
    if (size == 0) return;
    if (!text) text = "";
    char marker = 0;
    for (const char *c = SL_REDACT_MARKERS; *c && !marker; c++) {
        bool used = false;
        for (int k = 0; secrets && k < secrets->n && !used; k++) used = strchr(secrets->items[k], *c) != NULL;
        if (!used) marker = *c;
    }
    if (!marker) {
        snprintf(out, size, "%s", SL_REDACT_WITHHELD);
        return;
    }
    size_t len = strlen(text);
    bool *mask = sl_calloc(len + 1, sizeof *mask);
    sl_mark_urls(text, len, mask);
    sl_mark_password_values(text, len, mask);
    sl_mark_libpq_echoes(text, len, mask);
    sl_mark_secrets(text, len, secrets, mask);
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < size; i++) {
        if (!mask[i]) {
            out[n++] = text[i];
        } else if (i == 0 || !mask[i - 1]) {
            for (int r = 0; r < 3 && n + 1 < size; r++) out[n++] = marker;
        }
    }
    out[n] = '\0';
    sl_free(mask);
}

void sl_redact(const char *text, char *out, size_t size)
{
    sl_redact_secrets(text, NULL, out, size);
}
