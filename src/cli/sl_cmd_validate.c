/*
 * sl_cmd_validate.c - `sluice validate job.yaml [--connect]`: parse and check
 * the job file (keys, kinds, names, types, ${ENV}); that every source and
 * target kind is built in; with --connect, also expand the table patterns
 * (listing what each selected) and prepare every table through its source
 * (connects, reads the schema, plans the tasks; moves no data). Every table
 * is checked: all problems are listed, not only the first.
 */
#include "sl_cli.h"
#include "sl_cli_opts.h"
#include "sl_cmd_plan_graph.h"

#include "../core/sl_log.h"
#include "../exec/sl_prepare.h"
#include "sl_cli_prepall.h"

#include <stdio.h>

static const char sl_validate_usage[] =
    "usage: sluice validate JOB.yaml [--connect] [--log-level L] [--log-format F]\n"
    "\n"
    "Checks the job file and exits: 0 when it is valid, 2 with the first error\n"
    "(file:line:column, what was expected) otherwise.\n"
    "\n"
    "  --connect   also connect to every source, expand table patterns and\n"
    "              prepare each table (schema, partitions); every problem is\n"
    "              listed; exit 1 when any table fails\n";

int sl_cmd_validate(int argc, char **argv)
{
    sl_cli_opts o;
    int rc = sl_cli_parse(argc, argv, SL_OPT_CONNECT, 1, 1, sl_validate_usage, &o);
    if (rc >= 0) return rc;
    sl_job *job = sl_cli_load_job(o.args[0]);
    if (!job) return SL_EXIT_USAGE;
    if (o.connect) {
        sl_err xerr = SL_ERR_INIT;
        if (sl_cli_expand_job(job, &xerr) < 0) {
            sl_job_free(job);
            return sl_cli_fail(&xerr);
        }
        for (int i = 0; i < job->npatterns; i++) {
            const sl_job_pattern *pat = &job->patterns[i];
            sl_log(SL_LOG_INFO, "pattern \"%s\": %d table%s", pat->pattern, pat->nselected,
                   pat->nselected == 1 ? "" : "s");
            for (int k = 0; k < pat->nnotes; k++) sl_log(SL_LOG_INFO, "pattern \"%s\": %s", pat->pattern, pat->notes[k]);
        }
    } else if (job->npatterns) {
        sl_log(SL_LOG_INFO, "%d table pattern%s not expanded (validate --connect lists what they select)",
               job->npatterns, job->npatterns == 1 ? "" : "s");
    }
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
    int status = SL_EXIT_OK, failed = 0;
    int cores = sl_cores(); /* reads /sys: once, not per table */
    sl_prep_all *pa = sl_prep_all_start(job, cores, o.connect);   /* in parallel, reported in order */
    for (int i = 0; i < job->ntables; i++) {
        if (job->tables[i].sql) {   /* computed: its inputs exist once the job has run */
            sl_prep_all_done(pa, i);
            continue;
        }
        sl_prep_table *pt;
        sl_err *err;
        if (sl_prep_all_get(pa, i, &pt, &err) < 0) {
            int s = sl_cli_fail(err);
            if (status == SL_EXIT_OK || s == SL_EXIT_USAGE) status = s;
            failed++;
            sl_prep_all_done(pa, i);
            continue;
        }
        if (o.connect)
            sl_log(SL_LOG_INFO, "table %s: %d columns, %d tasks", job->tables[i].name, pt->st.schema->ncols,
                   pt->st.ntasks);
        sl_prep_all_done(pa, i);
    }
    sl_prep_all_free(pa);
    if (status == SL_EXIT_OK)
        printf("%s: ok: job %s, %d source%s, %d target%s, %d table%s%s\n", o.args[0], job->name, job->nsources,
               job->nsources == 1 ? "" : "s", job->ntargets - (job->work ? 1 : 0), job->ntargets - (job->work ? 1 : 0) == 1 ? "" : "s", job->ntables,
               job->ntables == 1 ? "" : "s", o.connect ? " (sources reachable, tables prepared)" : "");
    else
        printf("%s: %d of %d table%s failed (each error above)\n", o.args[0], failed, job->ntables,
               job->ntables == 1 ? "" : "s");
    sl_job_free(job);
    return status;
}
