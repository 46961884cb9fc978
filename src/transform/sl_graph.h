/*
 * sl_graph.h - the job's node graph: which tables each computed (`sql:`)
 * table reads, found by DuckDB's own parser, in an order where every table
 * comes after its inputs.
 *
 *   sl_graph *g;
 *   if (sl_graph_build(job, &g, &err) < 0) ...   (unknown names, cycles, SQL syntax: err)
 *   for (int k = 0; k < g->n; k++) { int i = g->order[k]; ... g->inputs[i][0 .. g->ninputs[i]) ... }
 *   sl_graph_free(g);
 *
 * Nodes are job->tables indexes. An extracted table has no inputs. A job
 * without computed tables gets a graph too (no edges) without loading
 * DuckDB. Errors are job errors: "<file>:<line>: table T: ...", the line
 * being the one of the query in the job file where DuckDB says the problem
 * is, else the query's first line.
 */
#ifndef SL_GRAPH_H
#define SL_GRAPH_H

#include "../core/sl_error.h"
#include "../job/sl_job.h"
#include "../store/sl_duck.h"

typedef struct sl_graph {
    int n;               /* job->ntables */
    int **inputs;        /* inputs[i]: the tables node i reads, each once, in job order */
    int *ninputs;
    int *order;          /* a topological order of 0 .. n-1 (job order where free) */
    int nedges;
} sl_graph;

int sl_graph_build(const sl_job *job, sl_graph **out, sl_err *err);
void sl_graph_free(sl_graph *g);

/* The tables computed table `cfg` reads (job->tables indexes, sl_free them),
 * its query parsed by DuckDB on connection d. 0, or -1 with err (a syntax
 * error, an unknown name). */
int sl_graph_node_inputs(sl_duck *d, const sl_job *job, const sl_job_table *cfg, int **inputs, int *n, sl_err *err);

/* Whether node i reads node j. */
bool sl_graph_reads(const sl_graph *g, int i, int j);

#endif
