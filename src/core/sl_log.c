/*
 * sl_log.c - leveled logging (text or JSON lines) with password redaction
 * (sl_redact.c) and, in text lines, control characters made visible.
 */
#include "sl_log.h"

#include "sl_alloc.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static sl_log_level sl_log_min = SL_LOG_INFO;
static bool sl_log_as_json = false;
static void (*sl_log_hook_fn)(void *ctx, bool before);
static void *sl_log_hook_ctx;
static pthread_mutex_t sl_log_hook_mu = PTHREAD_MUTEX_INITIALIZER;

void sl_log_set_hook(void (*fn)(void *ctx, bool before), void *ctx)
{
    pthread_mutex_lock(&sl_log_hook_mu);
    sl_log_hook_fn = fn;
    sl_log_hook_ctx = ctx;
    pthread_mutex_unlock(&sl_log_hook_mu);
}

void sl_log_setup(sl_log_level level, bool json)
{
    sl_log_min = level;
    sl_log_as_json = json;
}

bool sl_log_enabled(sl_log_level level) { return level >= sl_log_min && level != SL_LOG_OFF; }
bool sl_log_json(void) { return sl_log_as_json; }

static const char *const sl_level_names[] = { "debug", "info", "warn", "error", "off" };

int sl_log_level_parse(const char *text, sl_log_level *out)
{
    for (int i = 0; i <= SL_LOG_OFF; i++)
        if (!strcasecmp(text, sl_level_names[i])) {
            *out = (sl_log_level)i;
            return 0;
        }
    if (!strcasecmp(text, "warning")) {
        *out = SL_LOG_WARN;
        return 0;
    }
    return -1;
}

/* Length of the valid UTF-8 sequence at p (1..4), 0 when it is not one. */
static size_t sl_utf8_len(const unsigned char *p)
{
    unsigned char c = p[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;   /* the second byte's range */
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;         /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return n;
}

void sl_escape_controls(const char *in, char *out, size_t size)
{
    size_t n = 0;
    if (size == 0) return;
    for (const unsigned char *p = (const unsigned char *)(in ? in : ""); *p;) {
        char esc[8] = "";
        size_t len = sl_utf8_len(p);
        if (*p == '\n') snprintf(esc, sizeof esc, "\\n");
        else if (*p == '\r') snprintf(esc, sizeof esc, "\\r");
        else if (*p == '\t') snprintf(esc, sizeof esc, "\\t");
        else if (*p < 0x20 || *p == 0x7F || len == 0) snprintf(esc, sizeof esc, "\\x%02x", *p);
        else if (len == 2 && p[0] == 0xC2 && p[1] < 0xA0) snprintf(esc, sizeof esc, "\\u%04x", p[1]);   /* C1 */
        if (*esc) {
            size_t el = strlen(esc);
            if (n + el + 1 > size) break;
            memcpy(out + n, esc, el);
            n += el;
            p += len ? len : 1;
        } else {
            if (n + len + 1 > size) break;
            memcpy(out + n, p, len);
            n += len;
            p += len;
        }
    }
    out[n] = '\0';
}

char *sl_escape_controls_dup(const char *text)
{
    size_t size = 4 * strlen(text ? text : "") + 1;   /* an escape is at most 4 bytes per byte */
    char *out = sl_malloc(size);
    sl_escape_controls(text, out, size);
    return out;
}

static size_t sl_json_escape(const char *s, char *out, size_t size)
{
    size_t n = 0;
    for (; *s && n + 7 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c < 0x20) {
            n += (size_t)snprintf(out + n, size - n, "\\u%04x", c);
        } else {
            out[n++] = (char)c;
        }
    }
    out[n] = '\0';
    return n;
}

void sl_log(sl_log_level level, const char *fmt, ...)
{
    if (!sl_log_enabled(level)) return;
    char raw[4096], clean[4096], line[8400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    sl_redact(raw, clean, sizeof clean);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[40];
    snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    int n;
    if (sl_log_as_json) {
        char esc[8200];
        sl_json_escape(clean, esc, sizeof esc);
        n = snprintf(line, sizeof line, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\"}\n", when,
                     sl_level_names[level], esc);
    } else {
        char esc[8200];
        sl_escape_controls(clean, esc, sizeof esc);
        n = snprintf(line, sizeof line, "%s %-5s %s\n", when, sl_level_names[level], esc);
    }
    if (n < 0) return;
    if ((size_t)n >= sizeof line) n = (int)sizeof line - 1;
    /* One write(2) per line keeps lines of different threads apart. */
    pthread_mutex_lock(&sl_log_hook_mu);
    if (sl_log_hook_fn) sl_log_hook_fn(sl_log_hook_ctx, true);
    ssize_t ignored = write(STDERR_FILENO, line, (size_t)n);
    (void)ignored;
    if (sl_log_hook_fn) sl_log_hook_fn(sl_log_hook_ctx, false);
    pthread_mutex_unlock(&sl_log_hook_mu);
}
