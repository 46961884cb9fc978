/*
 * sl_main.c - entry point: finds the subcommand and hands it the arguments.
 * Global options (--log-level, --log-format) are parsed by each command
 * through sl_cli_common (see sl_cmd_run.c).
 */
#include "sl_cli.h"
#include "../core/sl_alloc.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} sl_commands[] = {
    { "run", sl_cmd_run, "run a job: copy its tables to their targets" },
    { "plan", sl_cmd_plan, "show the tables, their partitions and estimated rows; moves no data" },
    { "validate", sl_cmd_validate, "check a job file and exit" },
    { "status", sl_cmd_status, "show the last runs of a job and their tasks" },
    { "ui", sl_cmd_ui, "serve the web UI over a job's runs (history, metrics)" },
    { "report", sl_cmd_report, "write one run of a job as a self-contained HTML file" },
    { "compact", sl_cmd_compact, "rewrite a job's lake tables of many small files into one file each" },
    { "inspect", sl_cmd_inspect, "show a Parquet file's schema and statistics, or a table's manifest and receipt" },
    { "check", sl_cmd_check, "run a job's data checks against its published tables; moves no data" },
    { "verify", sl_cmd_verify, "recompute published tables' receipts from their files and compare" },
    { "cat", sl_cmd_cat, "print the rows of a Parquet file as CSV or JSON" },
    { "demo", sl_cmd_demo, "build the embedded shop database and copy it into ./lake" },
    { "version", sl_cmd_version, "print the version" },
};

static void sl_usage(FILE *f)
{
    fprintf(f, "usage: sluice COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof sl_commands / sizeof sl_commands[0]; i++)
        fprintf(f, "  %-9s %s\n", sl_commands[i].name, sl_commands[i].summary);
    fprintf(f, "\n'sluice COMMAND --help' shows a command's options.\n"
               "exit status: 0 done, 1 job failed, 2 usage or job-file error\n");
}

int main(int argc, char **argv)
{
    sl_alloc_keep_freed();
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        sl_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? SL_EXIT_USAGE : SL_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) argv[1] = "version";
    for (size_t i = 0; i < sizeof sl_commands / sizeof sl_commands[0]; i++) {
        if (strcmp(argv[1], sl_commands[i].name)) continue;
        return sl_commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "sluice: unknown command '%s'\n\n", argv[1]);
    sl_usage(stderr);
    return SL_EXIT_USAGE;
}
