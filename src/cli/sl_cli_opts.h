/*
 * sl_cli_opts.h - the options the run/plan/validate/version commands share,
 * parsed one way: `--name value` or `--name=value`, anywhere among the
 * positional arguments; `--` ends the options.
 *
 *   sl_cli_opts o;
 *   int rc = sl_cli_parse(argc, argv, SL_OPT_WORKERS | SL_OPT_FRESH, 1, 1, usage, &o);
 *   if (rc >= 0) return rc;      // --help printed (0) or a usage error (2)
 *   ... o.args[0], o.workers ...
 *
 * Common to every command: --log-level debug|info|warn|error,
 * --log-format text|json, --help; they also set up logging.
 */
#ifndef SL_CLI_OPTS_H
#define SL_CLI_OPTS_H

#include "../core/sl_error.h"
#include "../job/sl_job.h"

#include <stdbool.h>

enum {
    SL_OPT_WORKERS = 1 << 0,     /* --workers N */
    SL_OPT_STATE = 1 << 1,       /* --state PATH */
    SL_OPT_FRESH = 1 << 2,       /* --fresh */
    SL_OPT_NO_PROGRESS = 1 << 3, /* --no-progress */
    SL_OPT_JSON = 1 << 4,        /* --json */
    SL_OPT_CONNECT = 1 << 5,     /* --connect */
    SL_OPT_SOURCE = 1 << 6,      /* --source (verify) */
    SL_OPT_UI = 1 << 7,          /* --ui [ADDR:PORT] (run), --ui-token T */
    SL_OPT_LISTEN = 1 << 8,      /* --listen ADDR:PORT (ui), --ui-token T */
    SL_OPT_REPORT = 1 << 9,      /* --run N, --html FILE (report) */
    SL_OPT_ALLOW_MASS_DELETE = 1 << 10,  /* --allow-mass-delete (run) */
};

#define SL_CLI_MAX_ARGS 8

typedef struct sl_cli_opts {
    const char *command;         /* argv[0] */
    const char *args[SL_CLI_MAX_ARGS];
    int nargs;
    int workers;                 /* 0: not given */
    const char *state_path;
    bool fresh, no_progress, json, connect, source, allow_mass_delete;
    bool ui;                     /* --ui given */
    const char *ui_listen;       /* --ui's ADDR:PORT, or --listen's; NULL: the default */
    const char *ui_token;        /* --ui-token */
    long long run;               /* --run N; 0: the latest */
    const char *html;            /* --html FILE */
} sl_cli_opts;

/* Returns -1 when the command should go on; otherwise the exit status
 * (0 after --help, 2 after a usage error, which it printed). `usage` is the
 * command's help text (first line: the synopsis). */
int sl_cli_parse(int argc, char **argv, unsigned accepted, int min_args, int max_args, const char *usage,
                 sl_cli_opts *o);

/* Loads the job file, logging its error; NULL means exit with status 2. */
sl_job *sl_cli_load_job(const char *path);

/* Logs err at error level and returns the exit status its code calls for. */
int sl_cli_fail(const sl_err *err);
/* The job's table patterns ("public.*") turned into tables, listing the
 * sources' catalogs (sl_cli_expand.c); a no-op without patterns. */
int sl_cli_expand_job(sl_job *job, sl_err *err);

#endif
