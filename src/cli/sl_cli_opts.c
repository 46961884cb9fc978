/*
 * sl_cli_opts.c - shared option parsing, logging set-up, job loading and
 * error exit for the commands (see sl_cli_opts.h).
 */
#include "sl_cli_opts.h"

#include "../core/sl_log.h"
#include "../job/sl_job_yaml.h"
#include "sl_cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    unsigned flag;               /* 0: common to all commands */
    bool takes_value;
} sl_cli_known[] = {
    { "workers", SL_OPT_WORKERS, true },  { "state", SL_OPT_STATE, true },
    { "fresh", SL_OPT_FRESH, false },     { "no-progress", SL_OPT_NO_PROGRESS, false },
    { "json", SL_OPT_JSON, false },       { "connect", SL_OPT_CONNECT, false },
    { "source", SL_OPT_SOURCE, false },   { "allow-mass-delete", SL_OPT_ALLOW_MASS_DELETE, false },
    { "ui", SL_OPT_UI, false },           { "ui-token", SL_OPT_UI | SL_OPT_LISTEN, true },
    { "listen", SL_OPT_LISTEN, true },    { "run", SL_OPT_REPORT, true },
    { "html", SL_OPT_REPORT, true },
    { "log-level", 0, true },             { "log-format", 0, true },
    { "help", 0, false },
};
#define SL_CLI_NKNOWN (sizeof sl_cli_known / sizeof sl_cli_known[0])

static int sl_cli_usage_error(const sl_cli_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int sl_cli_usage_error(const sl_cli_opts *o, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "sluice %s: %s\ntry 'sluice %s --help'\n", o->command, msg, o->command);
    return SL_EXIT_USAGE;
}

int sl_cli_parse(int argc, char **argv, unsigned accepted, int min_args, int max_args, const char *usage,
                 sl_cli_opts *o)
{
    memset(o, 0, sizeof *o);
    o->command = argc > 0 ? argv[0] : "?";
    sl_log_level level = SL_LOG_INFO;
    bool json = false;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || !strcmp(a, "-")) {
            if (o->nargs >= max_args || o->nargs >= SL_CLI_MAX_ARGS)
                return sl_cli_usage_error(o, "unexpected argument '%s'", a);
            o->args[o->nargs++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            options_done = true;
            continue;
        }
        if (!strcmp(a, "-h")) a = "--help";
        if (a[1] != '-') return sl_cli_usage_error(o, "unknown option '%s'", a);
        char name[64];
        const char *eq = strchr(a + 2, '=');
        size_t nlen = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
        if (nlen >= sizeof name) return sl_cli_usage_error(o, "unknown option '%s'", a);
        memcpy(name, a + 2, nlen);
        name[nlen] = '\0';
        size_t k;
        for (k = 0; k < SL_CLI_NKNOWN; k++)
            if (!strcmp(name, sl_cli_known[k].name) && (!sl_cli_known[k].flag || (accepted & sl_cli_known[k].flag)))
                break;
        if (k == SL_CLI_NKNOWN) {
            const char *cands[SL_CLI_NKNOWN];
            int n = 0;
            for (size_t j = 0; j < SL_CLI_NKNOWN; j++)
                if (!sl_cli_known[j].flag || (accepted & sl_cli_known[j].flag)) cands[n++] = sl_cli_known[j].name;
            const char *hint = sl_did_you_mean(name, cands, n);
            if (hint) return sl_cli_usage_error(o, "unknown option '%s' (did you mean '--%s'?)", a, hint);
            return sl_cli_usage_error(o, "unknown option '%s'", a);
        }
        const char *value = NULL;
        if (sl_cli_known[k].takes_value) {
            if (eq) value = eq + 1;
            else if (i + 1 < argc) value = argv[++i];
            else return sl_cli_usage_error(o, "option '%s' needs a value", a);
        } else if (!strcmp(name, "ui")) {
            /* An optional value: --ui=ADDR:PORT, or --ui ADDR:PORT when the next word is an address. */
            if (eq) value = eq + 1;
            else if (i + 1 < argc && strchr(argv[i + 1], ':') && !strchr(argv[i + 1], '/') &&
                     !strstr(argv[i + 1], ".yaml") && !strstr(argv[i + 1], ".yml"))
                value = argv[++i];
        } else if (eq) {
            return sl_cli_usage_error(o, "option '--%s' takes no value", name);
        }
        if (!strcmp(name, "help")) {
            fputs(usage, stdout);
            return SL_EXIT_OK;
        } else if (!strcmp(name, "workers")) {
            char *end;
            errno = 0;
            long w = strtol(value, &end, 10);
            if (end == value || *end || errno || w < 1 || w > 1024)
                return sl_cli_usage_error(o, "--workers: expected a number from 1 to 1024, found '%s'", value);
            o->workers = (int)w;
        } else if (!strcmp(name, "state")) {
            if (!*value) return sl_cli_usage_error(o, "--state: the path is empty");
            o->state_path = value;
        } else if (!strcmp(name, "fresh")) {
            o->fresh = true;
        } else if (!strcmp(name, "no-progress")) {
            o->no_progress = true;
        } else if (!strcmp(name, "json")) {
            o->json = true;
        } else if (!strcmp(name, "connect")) {
            o->connect = true;
        } else if (!strcmp(name, "source")) {
            o->source = true;
        } else if (!strcmp(name, "ui")) {
            o->ui = true;
            o->ui_listen = value;
        } else if (!strcmp(name, "listen")) {
            o->ui_listen = value;
        } else if (!strcmp(name, "ui-token")) {
            if (!*value) return sl_cli_usage_error(o, "--ui-token: the token is empty");
            o->ui_token = value;
        } else if (!strcmp(name, "run")) {
            char *end;
            errno = 0;
            long long r = strtoll(value, &end, 10);
            if (end == value || *end || errno || r < 1)
                return sl_cli_usage_error(o, "--run: expected a run number (sluice status lists them), found '%s'", value);
            o->run = r;
        } else if (!strcmp(name, "html")) {
            if (!*value) return sl_cli_usage_error(o, "--html: the path is empty");
            o->html = value;
        } else if (!strcmp(name, "allow-mass-delete")) {
            o->allow_mass_delete = true;
        } else if (!strcmp(name, "log-level")) {
            if (sl_log_level_parse(value, &level) < 0)
                return sl_cli_usage_error(o, "--log-level: expected debug, info, warn or error, found '%s'", value);
        } else if (!strcmp(name, "log-format")) {
            if (!strcmp(value, "json")) json = true;
            else if (!strcmp(value, "text")) json = false;
            else return sl_cli_usage_error(o, "--log-format: expected text or json, found '%s'", value);
        }
    }
    if (o->nargs < min_args) {
        fprintf(stderr, "sluice %s: missing argument\n%s", o->command, usage);
        return SL_EXIT_USAGE;
    }
    sl_log_setup(level, json);
    return -1;
}

sl_job *sl_cli_load_job(const char *path)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = sl_job_load(path, &err);
    if (!job) sl_log(SL_LOG_ERROR, "%s", err.msg);
    return job;
}

int sl_cli_fail(const sl_err *err)
{
    sl_log(SL_LOG_ERROR, "%s", err->msg);
    int status = sl_code_exit_status(err->code);
    return status == 0 ? SL_EXIT_FAILED : status;
}
