/*
 * sl_log.h - logging to stderr with levels, as text or JSON lines.
 *
 * Every line passes through sl_redact() (sl_redact.h), so a password inside
 * a URL ("postgres://u:secret@h/db") or a conninfo ("password=secret") is
 * printed as "***" whatever the caller passed. Text lines show control
 * characters as escapes (sl_escape_controls), so a value holding a newline
 * cannot forge a line, nor an escape sequence reach the terminal; JSON lines
 * escape them the JSON way. Thread-safe: one write per line.
 *
 *   sl_log_setup(SL_LOG_INFO, false);
 *   sl_log(SL_LOG_INFO, "table %s: %zu rows", name, rows);
 */
#ifndef SL_LOG_H
#define SL_LOG_H

#include "sl_redact.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum { SL_LOG_DEBUG, SL_LOG_INFO, SL_LOG_WARN, SL_LOG_ERROR, SL_LOG_OFF } sl_log_level;

void sl_log_setup(sl_log_level level, bool json);
/* Parses "debug", "info", "warn", "error", "off"; -1 when unknown. */
int sl_log_level_parse(const char *text, sl_log_level *out);
bool sl_log_enabled(sl_log_level level);
bool sl_log_json(void);
void sl_log(sl_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A display that shares stderr (the live progress lines) registers a hook:
 * fn(ctx, true) runs before a log line is written (erase the display) and
 * fn(ctx, false) after it (draw it again below the line). NULL removes it. */
void sl_log_set_hook(void (*fn)(void *ctx, bool before), void *ctx);

/* Copies text into out (size bytes, NUL-terminated, cut at a whole
 * character) with control characters made visible: \n \r \t, other C0
 * bytes and DEL as \x1b, C1 controls (U+0080..U+009F) as \u009b, and bytes
 * that are not UTF-8 as \xff. For any outside text printed to a terminal. */
void sl_escape_controls(const char *text, char *out, size_t size);
/* The same into a fresh sl_malloc'd string, never cut (sl_free it). */
char *sl_escape_controls_dup(const char *text);

#endif
