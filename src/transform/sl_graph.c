/*
 * sl_graph.c - the node graph of a job (sl_graph.h).
 *
 * Which tables a query reads is DuckDB's answer, not a guess from its
 * words: json_serialize_sql() parses the statement (no binding, so the
 * tables need not exist) and returns its tree as JSON, in which every table
 * reference is an object {"type":"BASE_TABLE", ..., "schema_name":"",
 * "table_name":"orders", ...} and every WITH name a {"key":"name", ...}
 * entry of a "cte_map". The references minus the CTE names are the inputs;
 * each must be a table of the job (compared without case, as DuckDB does).
 * A name that is a CTE somewhere in the query is never an input, even
 * where it is not in scope: a query that names a CTE like one of the job's
 * tables and also reads that table is read as not reading it (rename the CTE).
 *
 * Parse errors come back in the same JSON ("error_message", "position": a
 * character offset into the query), which gives the line in the job file.
 *
 * The order is Kahn's algorithm over job order; a cycle is found by a depth
 * first walk from the nodes left over and named edge by edge.
 */
#include "sl_graph.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../job/sl_job_yaml.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A JSON string starting after its opening quote, unescaped into out (at
 * most size - 1 bytes); returns where it ends (after the closing quote). */
static const char *sl_json_str(const char *s, char *out, size_t size)
{
    size_t n = 0;
    while (*s && *s != '"') {
        char c = *s++;
        if (c == '\\' && *s) {
            char e = *s++;
            c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b' : e == 'f' ? '\f' : e;
            if (e == 'u') {
                unsigned v = 0;
                for (int k = 0; k < 4 && *s; k++, s++)
                    v = v * 16 + (unsigned)(*s <= '9' ? *s - '0' : (*s | 32) - 'a' + 10);
                /* Names with characters beyond ASCII: UTF-8 of the BMP code point. */
                if (v < 0x80) {
                    c = (char)v;
                } else {
                    char u[3];
                    int m = 0;
                    if (v < 0x800) {
                        u[m++] = (char)(0xC0 | (v >> 6));
                    } else {
                        u[m++] = (char)(0xE0 | (v >> 12));
                        u[m++] = (char)(0x80 | ((v >> 6) & 0x3F));
                    }
                    for (int k = 0; k < m && n + 1 < size; k++) out[n++] = u[k];
                    c = (char)(0x80 | (v & 0x3F));
                }
            }
        }
        if (n + 1 < size) out[n++] = c;
    }
    out[n] = '\0';
    return *s ? s + 1 : s;
}

/* The value of "key":"..." after p (within the same object, roughly: before
 * the next "type": key), or NULL. */
static const char *sl_json_find(const char *p, const char *key, char *out, size_t size)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *hit = strstr(p, pat);
    if (!hit) return NULL;
    const char *next_type = strstr(p + 8, "\"type\":");
    if (next_type && next_type < hit) return NULL;
    sl_json_str(hit + strlen(pat), out, size);
    return out;
}

static int sl_graph_find_table(const sl_job *job, const char *name)
{
    for (int i = 0; i < job->ntables; i++)
        if (!strcasecmp(job->tables[i].name, name)) return i;
    return -1;
}

/* "<file>:<line>: table T: " before err's message; line from the offset in the query. */
static int sl_graph_fail(const sl_job *job, const sl_job_table *cfg, long offset, sl_err *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int sl_graph_fail(const sl_job *job, const sl_job_table *cfg, long offset, sl_err *err, const char *fmt, ...)
{
    char msg[1600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = cfg->sql_line > 0 ? cfg->sql_line : cfg->line;
    for (long k = 0; offset > 0 && k < offset && cfg->sql && cfg->sql[k]; k++)
        if (cfg->sql[k] == '\n') line++;
    return sl_err_set(err, SL_EJOB, "%s:%d: table %s: %s", job->file ? job->file : job->name, line, cfg->name, msg);
}

int sl_graph_node_inputs(sl_duck *d, const sl_job *job, const sl_job_table *cfg, int **inputs, int *n, sl_err *err)
{
    *inputs = NULL;
    *n = 0;
    sl_buf q = { 0 };
    sl_buf_printf(&q, "select json_serialize_sql(");
    sl_buf_quoted(&q, cfg->sql, '\'');
    sl_buf_printf(&q, ")");
    sl_duck_rows rows;
    sl_err qe = SL_ERR_INIT;
    int rc = sl_duck_query(d, sl_buf_cstr(&q), &rows, &qe);
    sl_buf_free(&q);
    if (rc < 0) return sl_graph_fail(job, cfg, -1, err, "sql: %s", qe.msg);
    const char *json = rows.nrows == 1 ? sl_duck_cell(&rows, 0, 0) : NULL;
    if (!json) {
        sl_duck_rows_free(&rows);
        return sl_graph_fail(job, cfg, -1, err, "sql: DuckDB returned no parse tree");
    }
    char buf[1024];
    if (!strncmp(json, "{\"error\":true", 13)) {
        char pos[32] = "-1";
        const char *m = strstr(json, "\"error_message\":\"");
        if (m) sl_json_str(m + 17, buf, sizeof buf);
        else snprintf(buf, sizeof buf, "%s", "the query cannot be parsed");
        const char *pp = strstr(json, "\"position\":\"");
        if (pp) sl_json_str(pp + 12, pos, sizeof pos);
        sl_duck_rows_free(&rows);
        return sl_graph_fail(job, cfg, atol(pos), err, "sql: %s (DuckDB %s; the query must be one SELECT)", buf,
                             sl_duck_version() ? sl_duck_version() : "");
    }
    /* The WITH names. */
    char **ctes = NULL;
    int nctes = 0;
    for (const char *p = json; (p = strstr(p, "{\"key\":\"")); ) {
        p = sl_json_str(p + 8, buf, sizeof buf);
        ctes = sl_realloc(ctes, sizeof *ctes * (size_t)(nctes + 1));
        ctes[nctes++] = sl_strdup(buf);
    }
    int *in = sl_calloc((size_t)job->ntables, sizeof *in);
    rc = 0;
    for (const char *p = json; rc == 0 && (p = strstr(p, "{\"type\":\"BASE_TABLE\"")); p += 20) {
        char schema[256] = "", name[512];
        sl_json_find(p, "schema_name", schema, sizeof schema);
        if (!sl_json_find(p, "table_name", name, sizeof name)) continue;
        long at = -1;
        const char *ql = strstr(p, "\"query_location\":");
        if (ql) at = atol(ql + 17);
        bool cte = false;
        for (int k = 0; k < nctes && !cte; k++) cte = !schema[0] && !strcasecmp(ctes[k], name);
        if (cte) continue;
        int j = schema[0] ? -1 : sl_graph_find_table(job, name);
        if (j == (int)(cfg - job->tables)) {
            rc = sl_graph_fail(job, cfg, at, err, "sql: the query reads its own table %s (a cycle); computed tables "
                               "read other tables of the job", name);
        } else if (j < 0) {
            const char **names = sl_malloc(sizeof *names * (size_t)job->ntables);
            for (int k = 0; k < job->ntables; k++) names[k] = job->tables[k].name;
            const char *hint = job->ntables <= 1000 ? sl_did_you_mean(name, names, job->ntables) : NULL;
            char full[800];
            snprintf(full, sizeof full, "%s%s%s", schema, schema[0] ? "." : "", name);
            if (hint)
                rc = sl_graph_fail(job, cfg, at, err, "sql: unknown table '%s' (did you mean '%s'?); a query reads "
                                   "the tables of the job by their names under tables:", full, hint);
            else
                rc = sl_graph_fail(job, cfg, at, err, "sql: unknown table '%s'; a query reads the tables of the job "
                                   "by their names under tables:", full);
            sl_free(names);
        } else {
            in[j] = 1;
        }
    }
    for (int k = 0; k < nctes; k++) sl_free(ctes[k]);
    sl_free(ctes);
    sl_duck_rows_free(&rows);
    if (rc == 0) {
        int *list = sl_malloc(sizeof *list * (size_t)(job->ntables ? job->ntables : 1));
        for (int j = 0; j < job->ntables; j++)
            if (in[j]) list[(*n)++] = j;
        *inputs = list;
    }
    sl_free(in);
    return rc;
}

void sl_graph_free(sl_graph *g)
{
    if (!g) return;
    for (int i = 0; i < g->n; i++) sl_free(g->inputs[i]);
    sl_free(g->inputs);
    sl_free(g->ninputs);
    sl_free(g->order);
    sl_free(g);
}

bool sl_graph_reads(const sl_graph *g, int i, int j)
{
    for (int k = 0; k < g->ninputs[i]; k++)
        if (g->inputs[i][k] == j) return true;
    return false;
}

/* A cycle through the nodes left (state 0) by the ordering: walk inputs until a node repeats. */
static int sl_graph_cycle(const sl_job *job, const sl_graph *g, const int *done, sl_err *err)
{
    int start = -1;
    for (int i = 0; i < g->n && start < 0; i++)
        if (!done[i]) start = i;
    int *seen = sl_calloc((size_t)g->n, sizeof *seen), *path = sl_malloc(sizeof *path * (size_t)(g->n + 1));
    int len = 0, at = start;
    while (!seen[at]) {
        seen[at] = len + 1;
        path[len++] = at;
        int next = -1;
        for (int k = 0; k < g->ninputs[at] && next < 0; k++)
            if (!done[g->inputs[at][k]]) next = g->inputs[at][k];
        at = next;
    }
    char text[1024] = "";
    size_t used = 0;
    /* The walk follows inputs: print it in the direction data flows. */
    for (int k = len - 1; k >= seen[at] - 1 && used < sizeof text; k--)
        used += (size_t)snprintf(text + used, sizeof text - used, "%s -> ", job->tables[path[k]].name);
    if (used < sizeof text) snprintf(text + used, sizeof text - used, "%s", job->tables[path[len - 1]].name);
    const sl_job_table *cfg = &job->tables[at];
    sl_free(seen);
    sl_free(path);
    return sl_graph_fail(job, cfg, -1, err, "sql: the computed tables read each other in a cycle (%s); a table "
                         "cannot be computed from its own output", text);
}

int sl_graph_build(const sl_job *job, sl_graph **out, sl_err *err)
{
    sl_graph *g = sl_calloc(1, sizeof *g);
    int n = g->n = job->ntables;
    g->inputs = sl_calloc((size_t)(n ? n : 1), sizeof *g->inputs);
    g->ninputs = sl_calloc((size_t)(n ? n : 1), sizeof *g->ninputs);
    g->order = sl_calloc((size_t)(n ? n : 1), sizeof *g->order);
    *out = NULL;
    sl_duck *d = NULL;
    for (int i = 0; i < n; i++) {
        if (!job->tables[i].sql) continue;
        if (!d && !(d = sl_duck_open_memory(0, 1, NULL, err))) {
            sl_err_prefix(err, "job %s: computed table %s", job->name, job->tables[i].name);
            sl_graph_free(g);
            return -1;
        }
        if (sl_graph_node_inputs(d, job, &job->tables[i], &g->inputs[i], &g->ninputs[i], err) < 0) {
            sl_duck_close(d);
            sl_graph_free(g);
            return -1;
        }
        g->nedges += g->ninputs[i];
    }
    sl_duck_close(d);
    /* Kahn, in job order: repeatedly the first table whose inputs are all placed. */
    int *done = sl_calloc((size_t)(n ? n : 1), sizeof *done), placed = 0;
    for (bool progress = true; progress && placed < n;) {
        progress = false;
        for (int i = 0; i < n; i++) {
            if (done[i]) continue;
            bool ready = true;
            for (int k = 0; k < g->ninputs[i] && ready; k++) ready = done[g->inputs[i][k]];
            if (!ready) continue;
            done[i] = 1;
            g->order[placed++] = i;
            progress = true;
        }
    }
    if (placed < n) {
        sl_graph_cycle(job, g, done, err);
        sl_free(done);
        sl_graph_free(g);
        return -1;
    }
    sl_free(done);
    *out = g;
    return 0;
}
