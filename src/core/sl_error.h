/*
 * sl_error.h - errors that say what, where and what to do.
 *
 * A function that can fail takes an `sl_err *err` last, fills it with
 * sl_err_set() and returns -1 (or NULL). Callers add where it happened with
 * sl_err_prefix() as the error travels up: "job shop: table orders: task 3/8:
 * column amount: row 1041: value 1e40 does not fit DECIMAL(38,18); set type:
 * string". The code says what kind of failure it was, which decides retries
 * and the exit status.
 *
 * Codes come from one X-macro table (name, exit status, description).
 */
#ifndef SL_ERROR_H
#define SL_ERROR_H

#include <stdbool.h>

#define SL_ERROR_MAP(X)                                                     \
    X(OK,        0, "no error")                                             \
    X(USAGE,     2, "bad command-line usage")                               \
    X(JOB,       2, "invalid job file")                                     \
    X(IO,        1, "input/output error")                                   \
    X(SOURCE,    1, "source error (permanent)")                             \
    X(TRANSIENT, 1, "transient error (worth a retry)")                      \
    X(SNAPSHOT,  1, "the source's shared snapshot is gone (prepare again)")  \
    X(FORMAT,    1, "malformed input data")                                 \
    X(TYPE,      1, "unsupported or mismatched type")                       \
    X(DATA,      1, "bad value in a row")                                   \
    X(NOSPACE,   1, "no space left on the target")                          \
    X(CHECK,     1, "rows or values moved do not add up (never retried)")   \
    X(INTERNAL,  1, "internal error")                                   \
    X(GUARD,     1, "the mass-delete guard refused a publish (never retried)") \
    X(CHECKS,    3, "data checks failed (the table was not published)")

typedef enum {
#define SL_ERR_ENUM(name, exit_status, text) SL_E##name,
    SL_ERROR_MAP(SL_ERR_ENUM)
#undef SL_ERR_ENUM
    SL_E_COUNT
} sl_code;

#define SL_ERR_MSG_MAX 2048

typedef struct sl_err {
    sl_code code;
    char msg[SL_ERR_MSG_MAX];
} sl_err;

#define SL_ERR_INIT { SL_EOK, { 0 } }

/* Sets code and message; returns -1 so callers can `return sl_err_set(...)`. */
int sl_err_set(sl_err *err, sl_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Puts context before the message: "<context>: <old message>". */
void sl_err_prefix(sl_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sl_err_clear(sl_err *err);
static inline bool sl_err_is_set(const sl_err *err) { return err->code != SL_EOK; }

const char *sl_code_name(sl_code code);     /* "TRANSIENT" */
int sl_code_exit_status(sl_code code);      /* process exit status for it */

#endif
