/*
 * sl_cmd_validate.c - `sluice validate job.yaml [--connect]`: parse and check
 * the job file (keys, kinds, names, types, ${ENV}); that every source and
 * target kind is built in; with --connect, also prepare every table through
 * its source (connects, reads the schema, plans the tasks; moves no data).
 */
#include "sl_cli.h"
#include "sl_cli_opts.h"
#include "sl_cmd_plan_graph.h"

#include "../core/sl_log.h"
#include "../exec/sl_prepare.h"

#include <stdio.h>

static const char sl_validate_usage[] =
    "usage: sluice validate JOB.yaml [--connect] [--log-level L] [--log-format F]\n"
    "\n"
    "Checks the job file and exits: 0 when it is valid, 2 with the first error\n"
    "(file:line:column, what was expected) otherwise.\n"
    "\n"
    "  --connect   also connect to every source and prepare each table\n"
    "              (schema, partitions); exit 1 when that fails\n";

int sl_cmd_validate(int argc, char **argv)
{
    sl_cli_opts o;
    int rc = sl_cli_parse(argc, argv, SL_OPT_CONNECT, 1, 1, sl_validate_usage, &o);
    if (rc >= 0) return rc;
    sl_job *job = sl_cli_load_job(o.args[0]);
    if (!job) return SL_EXIT_USAGE;
    /* Computed tables: their queries parsed by DuckDB, names resolved, no cycle. */
    sl_graph *graph = NULL;
    sl_err gerr = SL_ERR_INIT;
    if (sl_plan_graph_build(job, &graph, &gerr) < 0) {
        int s = sl_cli_fail(&gerr);
        sl_job_free(job);
        return s;
    }
    sl_graph_free(graph);
    sl_prep_warn_targets(job, o.connect);
    int status = SL_EXIT_OK;
    int cores = sl_cores(); /* reads /sys: once, not per table */
    for (int i = 0; i < job->ntables && status == SL_EXIT_OK; i++) {
        if (job->tables[i].sql) continue;   /* computed: its inputs exist once the job has run */
        sl_prep_table pt;
        sl_err err = SL_ERR_INIT;
        int r = o.connect ? sl_prep_table_init(&pt, job, &job->tables[i], cores, NULL, &err)
                          : sl_prep_table_resolve(&pt, job, &job->tables[i], cores, NULL, &err);
        if (r < 0) {
            status = sl_cli_fail(&err);
            break;
        }
        if (o.connect)
            sl_log(SL_LOG_INFO, "table %s: %d columns, %d tasks", job->tables[i].name, pt.st.schema->ncols,
                   pt.st.ntasks);
        sl_prep_table_release(&pt);
    }
    if (status == SL_EXIT_OK)
        printf("%s: ok: job %s, %d source%s, %d target%s, %d table%s%s\n", o.args[0], job->name, job->nsources,
               job->nsources == 1 ? "" : "s", job->ntargets - (job->work ? 1 : 0), job->ntargets - (job->work ? 1 : 0) == 1 ? "" : "s", job->ntables,
               job->ntables == 1 ? "" : "s", o.connect ? " (sources reachable, tables prepared)" : "");
    sl_job_free(job);
    return status;
}
