/*
 * sl_cmd_plan_graph.c - the node graph in `sluice plan` and `validate`:
 * computed tables (sql:) with the tables they read, the edges, the order
 * tables become ready in (text), and {"graph": {"nodes", "edges", "order"}}
 * plus one entry per computed table (--json).
 *
 * A computed table is not prepared by plan: its schema and tasks exist
 * once DuckDB has run its query over its inputs' published files, which
 * happens in `run`. The job's internal work target is never listed as a
 * target; a table that lands only there is shown as an intermediate.
 */
#include "sl_cmd_plan_graph.h"

#include "../core/sl_alloc.h"

#include <stdio.h>
#include <string.h>

static void sl_pg_json_str(const char *s)
{
    if (!s) {
        printf("null");
        return;
    }
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') printf("\\%c", *p);
        else if (*p < 0x20) printf("\\u%04x", *p);
        else putchar(*p);
    }
    putchar('"');
}

int sl_plan_graph_build(const sl_job *job, sl_graph **g, sl_err *err)
{
    *g = NULL;
    for (int i = 0; i < job->ntables; i++)
        if (job->tables[i].sql) return sl_graph_build(job, g, err);
    return 0;
}

static int sl_plan_visible_targets(const sl_job_table *cfg)
{
    int n = 0;
    for (int k = 0; k < cfg->ntargets; k++) n += !cfg->targets[k]->internal;
    return n;
}

void sl_plan_graph_header(const sl_job *job, const sl_graph *g)
{
    int computed = 0;
    for (int i = 0; i < job->ntables; i++) computed += job->tables[i].sql != NULL;
    printf("graph: %d computed table%s, %d edge%s; a computed table runs when the tables it reads are published, "
           "independent ones at the same time\n",
           computed, computed == 1 ? "" : "s", g->nedges, g->nedges == 1 ? "" : "s");
    for (int i = 0; i < job->ntables; i++)
        for (int k = 0; k < g->ninputs[i]; k++)
            printf("  %s -> %s\n", job->tables[g->inputs[i][k]].name, job->tables[i].name);
    printf("  order:");
    for (int k = 0; k < g->n; k++) printf("%s %s", k ? "," : "", job->tables[g->order[k]].name);
    printf("\n");
}

void sl_plan_graph_table_text(const sl_job *job, const sl_graph *g, int i)
{
    const sl_job_table *cfg = &job->tables[i];
    printf("\ntable %s\n", cfg->name);
    printf("  sql    computed by DuckDB (the query at %s:%d) from", job->file ? job->file : job->name, cfg->sql_line);
    for (int k = 0; k < g->ninputs[i]; k++) printf("%s %s", k ? "," : "", job->tables[g->inputs[i][k]].name);
    if (!g->ninputs[i]) printf(" no table of the job");
    printf("\n");
    int shown = 0;
    for (int k = 0; k < cfg->ntargets; k++) {
        const sl_job_target *tg = cfg->targets[k];
        if (tg->internal) continue;
        if (sl_job_target_is_warehouse(tg))
            printf("  %s %s (%s)\n", shown ? "      " : "to    ", tg->name, tg->kind);
        else
            printf("  %s %s (%s) %s/%s/\n", shown ? "      " : "to    ", tg->name, tg->kind, tg->path, cfg->name);
        shown++;
    }
    if (!shown) printf("  to     (intermediate: kept for the computed tables that read it, never published)\n");
    printf("  schema and tasks: known once its inputs are published (run); the result is cut into tasks by rows\n");
}

void sl_plan_graph_note_internal(const sl_job_table *cfg)
{
    if (!cfg->ntargets || sl_plan_visible_targets(cfg) == cfg->ntargets) return;
    if (sl_plan_visible_targets(cfg) == 0)
        printf("  intermediate: kept in the job's work area for the computed tables that read it, never published\n");
    else
        printf("  also kept in the job's work area as Parquet for the computed tables that read it\n");
}

void sl_plan_graph_table_json(const sl_job *job, const sl_graph *g, int i, bool first)
{
    const sl_job_table *cfg = &job->tables[i];
    printf("%s\n    {\"name\": ", first ? "" : ",");
    sl_pg_json_str(cfg->name);
    printf(", \"computed\": true, \"sql\": ");
    sl_pg_json_str(cfg->sql);
    printf(", \"sql_line\": %d, \"intermediate\": %s, \"inputs\": [", cfg->sql_line,
           sl_plan_visible_targets(cfg) ? "false" : "true");
    for (int k = 0; k < g->ninputs[i]; k++) {
        if (k) printf(", ");
        sl_pg_json_str(job->tables[g->inputs[i][k]].name);
    }
    printf("], \"targets\": [");
    int shown = 0;
    for (int k = 0; k < cfg->ntargets; k++) {
        const sl_job_target *tg = cfg->targets[k];
        if (tg->internal) continue;
        printf("%s{\"name\": ", shown++ ? ", " : "");
        sl_pg_json_str(tg->name);
        printf(", \"kind\": ");
        sl_pg_json_str(tg->kind);
        printf("}");
    }
    printf("]}");
}

void sl_plan_graph_json(const sl_job *job, const sl_graph *g)
{
    printf(",\n  \"graph\": {\"nodes\": [");
    for (int i = 0; i < job->ntables; i++) {
        const sl_job_table *cfg = &job->tables[i];
        printf("%s\n    {\"name\": ", i ? "," : "");
        sl_pg_json_str(cfg->name);
        printf(", \"kind\": \"%s\", \"intermediate\": %s}", cfg->sql ? "computed" : "extracted",
               sl_plan_visible_targets(cfg) ? "false" : "true");
    }
    printf("],\n    \"edges\": [");
    int e = 0;
    for (int i = 0; i < job->ntables; i++)
        for (int k = 0; k < (g ? g->ninputs[i] : 0); k++) {
            printf("%s{\"from\": ", e++ ? ", " : "");
            sl_pg_json_str(job->tables[g->inputs[i][k]].name);
            printf(", \"to\": ");
            sl_pg_json_str(job->tables[i].name);
            printf("}");
        }
    printf("],\n    \"order\": [");
    for (int k = 0; k < job->ntables; k++) {
        if (k) printf(", ");
        sl_pg_json_str(job->tables[g ? g->order[k] : k].name);
    }
    printf("]}");
}
