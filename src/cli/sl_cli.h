/*
 * sl_cli.h - the subcommands. Each lives in its own file sl_cmd_<name>.c and
 * takes the arguments after its name (argv[0] is the command name). It
 * returns the process exit status: 0 done, 1 job failed, 2 usage or job-file
 * error (see README "Exit codes").
 */
#ifndef SL_CLI_H
#define SL_CLI_H

int sl_cmd_run(int argc, char **argv);
int sl_cmd_plan(int argc, char **argv);
int sl_cmd_validate(int argc, char **argv);
int sl_cmd_status(int argc, char **argv);
int sl_cmd_ui(int argc, char **argv);
int sl_cmd_report(int argc, char **argv);
int sl_cmd_compact(int argc, char **argv);
int sl_cmd_inspect(int argc, char **argv);
int sl_cmd_verify(int argc, char **argv);
int sl_cmd_check(int argc, char **argv);
int sl_cmd_cat(int argc, char **argv);
int sl_cmd_demo(int argc, char **argv);
int sl_cmd_version(int argc, char **argv);

/* Exit statuses. */
enum { SL_EXIT_OK = 0, SL_EXIT_FAILED = 1, SL_EXIT_USAGE = 2 };

/* sl_cmd_status_incr.c: the incremental tables' watermarks and last reads (text). */
struct sl_state;
void sl_status_print_incr(struct sl_state *st, const char *job, int nruns);

#endif
