/*
 * sl_cmd_plan_graph.h - the node graph as `plan` and `validate` show it
 * (sl_cmd_plan_graph.c).
 */
#ifndef SL_CMD_PLAN_GRAPH_H
#define SL_CMD_PLAN_GRAPH_H

#include "../transform/sl_graph.h"

#include <stdbool.h>

/* The job's graph when it has computed tables (*g NULL otherwise); -1 with err. */
int sl_plan_graph_build(const sl_job *job, sl_graph **g, sl_err *err);
/* Text: the edges and order; a computed table's block; the note on a table also kept for computed ones. */
void sl_plan_graph_header(const sl_job *job, const sl_graph *g);
void sl_plan_graph_table_text(const sl_job *job, const sl_graph *g, int i);
void sl_plan_graph_note_internal(const sl_job_table *cfg);
/* JSON: a computed table's entry in "tables"; the "graph" member (g may be NULL: no edges). */
void sl_plan_graph_table_json(const sl_job *job, const sl_graph *g, int i, bool first);
void sl_plan_graph_json(const sl_job *job, const sl_graph *g);

#endif
