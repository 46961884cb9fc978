/*
 * sl_cli_expand.c - turning a job's table patterns ("public.*") into tables
 * before a command prepares them (job/sl_job_patterns.c does the matching;
 * this file gives it each source kind's catalog). Postgres sources list
 * their relations; other kinds cannot be listed, and a pattern over one is
 * an error saying to name its tables.
 */
#include "sl_cli_opts.h"

#include "../core/sl_log.h"
#include "../sources/sl_pg_catalog.h"

#include <string.h>

static int sl_cli_list(const sl_job_source *src, sl_arena *arena, sl_job_relation **out, int *n, sl_err *err)
{
    if (!strcmp(src->kind, "postgres")) return sl_pg_list_relations(src, arena, out, n, err);
    return sl_err_set(err, SL_EJOB, "source %s is %s: patterns select the relations of postgres sources; name "
                      "this source's tables one by one", src->name, src->kind);
}

int sl_cli_expand_job(sl_job *job, sl_err *err)
{
    return sl_job_expand(job, sl_cli_list, err);
}
