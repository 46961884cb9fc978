/*
 * fuzz_redact.c - libFuzzer target for the password redactor
 * (core/sl_redact.h) and the control-character escaping of text logs.
 *
 * Input: one byte choosing how the password is written into a source url,
 * then the password (up to the first NUL byte, at most 64 bytes), then a
 * text. The password is written, correctly escaped, as a postgres:// URL's
 * user info, a quoted or an unquoted conninfo value, or a URL's
 * sslpassword; sl_secrets_add_dsn() must find it again. It is then planted
 * in the text - raw, as written in the url, and with the whole url - the
 * way libpq quotes input back, and the redacted text must hold neither the
 * password nor its written form: a planted password never survives. The
 * text alone goes through sl_redact() and sl_escape_controls(), which must
 * not crash, and the escaped text must hold no control character.
 * Seeds: fuzz/seeds/fuzz_redact/.
 */
#include "core/sl_alloc.h"
#include "core/sl_buf.h"
#include "core/sl_log.h"
#include "core/sl_redact.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void push_str(sl_buf *b, const char *s) { sl_buf_append(b, s, strlen(s)); }

/* Every byte but the unreserved ones as %XX. */
static void push_pct(sl_buf *b, const char *p)
{
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c)) {
            sl_buf_push(b, c);
        } else {
            char esc[4];
            snprintf(esc, sizeof esc, "%%%02X", c);
            push_str(b, esc);
        }
    }
}

/* A conninfo value: quoted ('...' with \' and \\) or unquoted (\ before
 * whitespace, quotes and backslashes). */
static void push_conninfo(sl_buf *b, const char *p, int quoted)
{
    if (quoted) sl_buf_push(b, '\'');
    for (; *p; p++) {
        if (*p == '\\' || *p == '\'' || (!quoted && strchr(" \t\n\r\f\v", *p))) sl_buf_push(b, '\\');
        sl_buf_push(b, (unsigned char)*p);
    }
    if (quoted) sl_buf_push(b, '\'');
}

static void expect_absent(const char *out, const char *secret, const char *what, const char *dsn)
{
    if (*secret && strstr(out, secret)) {
        fprintf(stderr, "fuzz_redact: the %s survived redaction\n  dsn: %s\n  out: %s\n", what, dsn, out);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    int mode = data[0] % 4;
    const char *rest = (const char *)data + 1;
    size_t left = size - 1;
    const char *nul = memchr(rest, '\0', left);
    size_t plen = nul ? (size_t)(nul - rest) : 0;
    if (!nul || plen == 0 || plen > 64) return 0;
    char *password = sl_strndup(rest, plen);
    char *text = sl_strndup(nul + 1, left - plen - 1);   /* stops at a further NUL */

    sl_buf written = { 0 }, dsn = { 0 };
    if (mode == 0 || mode == 3) push_pct(&written, password);
    else push_conninfo(&written, password, mode == 1);
    sl_buf_push(&written, '\0');
    const char *w = (const char *)written.data;
    if (mode == 0) {
        push_str(&dsn, "postgres://user:");
        push_str(&dsn, w);
        push_str(&dsn, "@db.example:5432/shop?application_name=x");
    } else if (mode == 3) {
        push_str(&dsn, "postgresql://user@db.example/shop?sslmode=require&sslpassword=");
        push_str(&dsn, w);
    } else {
        push_str(&dsn, "host=db.example user=u password=");
        push_str(&dsn, w);
        push_str(&dsn, " dbname=shop");
    }
    sl_buf_push(&dsn, '\0');
    const char *d = (const char *)dsn.data;

    sl_secrets secrets = { 0 };
    sl_secrets_add_dsn(&secrets, d);
    int found = 0;
    for (int i = 0; i < secrets.n; i++) found |= !strcmp(secrets.items[i], password);
    if (!found) {
        fprintf(stderr, "fuzz_redact: the password was not found in its dsn: %s\n", d);
        abort();
    }

    /* The text with the password planted the ways libpq quotes input back. */
    size_t half = strlen(text) / 2;
    sl_buf planted = { 0 };
    push_str(&planted, password);
    sl_buf_append(&planted, text, half);
    push_str(&planted, "invalid percent-encoded token: \"");
    push_str(&planted, w);
    push_str(&planted, "\"\nmissing \"=\" after \"");
    push_str(&planted, password);
    push_str(&planted, "\" in connection info string ");
    push_str(&planted, d);
    sl_buf_append(&planted, text + half, strlen(text) - half);
    push_str(&planted, password);
    sl_buf_push(&planted, '\0');
    const char *t = (const char *)planted.data;

    size_t cap = strlen(t) + 64;
    char *out = sl_malloc(cap);
    sl_redact_secrets(t, &secrets, out, cap);
    expect_absent(out, password, "password", d);
    expect_absent(out, w, "password as written", d);
    sl_secrets_free(&secrets);

    /* The text alone: patterns only, and the escaping of text logs. */
    sl_redact(text, out, cap);
    size_t ecap = 4 * strlen(text) + 1;
    char *esc = sl_malloc(ecap);
    sl_escape_controls(text, esc, ecap);
    for (const unsigned char *p = (const unsigned char *)esc; *p; p++)
        if (*p < 0x20 || *p == 0x7F || (p[0] == 0xC2 && p[1] >= 0x80 && p[1] < 0xA0)) {
            fprintf(stderr, "fuzz_redact: a control character survived escaping at %zu\n",
                    (size_t)(p - (const unsigned char *)esc));
            abort();
        }

    sl_free(esc);
    sl_free(out);
    sl_buf_free(&planted);
    sl_buf_free(&dsn);
    sl_buf_free(&written);
    sl_free(text);
    sl_free(password);
    return 0;
}
