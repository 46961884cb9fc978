/*
 * sl_error.c - the error record: set, prefix with context, names of codes.
 */
#include "sl_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int exit_status;
} sl_codes[] = {
#define SL_ERR_ROW(name, exit_status, text) { #name, exit_status },
    SL_ERROR_MAP(SL_ERR_ROW)
#undef SL_ERR_ROW
};

int sl_err_set(sl_err *err, sl_code code, const char *fmt, ...)
{
    if (!err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
    return -1;
}

void sl_err_prefix(sl_err *err, const char *fmt, ...)
{
    if (!err) return;
    char ctx[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof ctx, fmt, ap);
    va_end(ap);
    char old[SL_ERR_MSG_MAX];
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", ctx, old);
}

void sl_err_clear(sl_err *err)
{
    err->code = SL_EOK;
    err->msg[0] = '\0';
}

const char *sl_code_name(sl_code code)
{
    return (unsigned)code < SL_E_COUNT ? sl_codes[code].name : "UNKNOWN";
}

int sl_code_exit_status(sl_code code)
{
    return (unsigned)code < SL_E_COUNT ? sl_codes[code].exit_status : 1;
}
