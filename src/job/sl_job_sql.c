/*
 * sl_job_sql.c - computed tables in the job file: a table with `sql:`
 * instead of `from:`, the job-level `transform:` resources, and the job's
 * internal work target.
 *
 *   transform: { memory_limit: 4GB, threads: 4, temp_directory: ./spill }
 *   tables:
 *     orders:       { from: shop, table: public.orders }          (no to: an intermediate)
 *     dim_customer: { sql: "select ... from customers c join orders o ...", to: [lake, dw] }
 *
 * A computed table reads the Parquet files of the tables its query names.
 * A table that a query names and that has no parquet target of its own
 * (no `to:`, or only csv and warehouse targets) also lands in the job's
 * work target: a parquet target at <job dir>/.sluice/work/<job>/, published
 * through the same local store as any lake (staging, resume, atomic
 * publish), and never shown to users as a target. Which tables a query
 * names is decided here by its words (identifiers outside strings and
 * comments that equal a table name), which can only over-approximate
 * (a column called like a table gets a work copy it does not need); the
 * exact dependencies are DuckDB's (transform/sl_graph.c), checked by
 * validate, plan and run.
 *
 * The job layer does not talk to DuckDB (it sits below store/): a query's
 * syntax, unknown table names and cycles are reported by the graph.
 */
#include "sl_job_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const sl_transform_keys[] = { "memory_limit", "threads", "temp_directory", NULL };
static const char *const sl_sql_table_keys_no[] = { "table", "query", "file", "partition", "columns", "rejects",
                                                    "verify", NULL };

bool sl_jp_has_sql(sl_jp *p, yaml_node_t *root)
{
    yaml_node_t *tables = sl_jy_get(&p->y, root, "tables");
    if (!tables || tables->type != YAML_MAPPING_NODE) return false;
    for (int i = 0; i < sl_jy_map_len(tables); i++) {
        yaml_node_t *m = sl_jy_map_value(&p->y, tables, i);
        if (m && m->type == YAML_MAPPING_NODE && sl_jy_get(&p->y, m, "sql")) return true;
    }
    return false;
}

int sl_jp_sql_setup(sl_jp *p, yaml_node_t *root)
{
    sl_job *job = p->job;
    sl_job_transform *tr = &job->transform;
    yaml_node_t *v = sl_jy_get(&p->y, root, "transform");
    if (v) {
        if (sl_jy_expect_map(&p->y, v, "transform") < 0) return -1;
        if (sl_jy_check_keys(&p->y, v, "transform", sl_transform_keys) < 0) return -1;
        yaml_node_t *m = sl_jy_get(&p->y, v, "memory_limit");
        if (m && sl_jy_size(&p->y, m, "transform.memory_limit", (int64_t)16 << 20, (int64_t)1 << 50, &tr->memory_limit) < 0)
            return -1;
        if (sl_jp_int_key(p, v, "threads", "transform", 1, 1024, &tr->threads) < 0) return -1;
        if (sl_jp_text_key(p, v, "temp_directory", "transform", "a directory DuckDB may spill to",
                           &tr->temp_directory) < 0)
            return -1;
        if (tr->temp_directory) tr->temp_directory = sl_jp_resolve(p, tr->temp_directory);
    }
    char *base = sl_jp_resolve(p, ".sluice");
    if (!tr->temp_directory) {
        size_t n = strlen(base) + 8;
        tr->temp_directory = sl_arena_alloc(&job->arena, n);
        snprintf(tr->temp_directory, n, "%s/tmp", base);
    }
    /* The work target: the last entry of targets[] (room was left for it). */
    sl_job_target *w = &job->targets[job->ntargets];
    memset(w, 0, sizeof *w);
    w->name = "(work)";
    w->kind = "parquet";
    size_t n = strlen(base) + strlen(job->name) + 8;
    w->path = sl_arena_alloc(&job->arena, n);
    snprintf(w->path, n, "%s/work/%s", base, job->name);
    w->compression = "snappy";   /* read once or twice, by DuckDB: a fast codec */
    w->internal = true;
    job->work = w;
    job->ntargets++;
    sl_job_source *s = sl_arena_alloc(&job->arena, sizeof *s);
    memset(s, 0, sizeof *s);
    s->name = "sql";
    s->kind = "sql";
    s->max_connections = 0;
    job->sql_source = s;
    return 0;
}

int sl_jp_sql_table(sl_jp *p, yaml_node_t *map, const char *path, sl_job_table *t, const char *const *target_names)
{
    yaml_node_t *sql = sl_jy_get(&p->y, map, "sql");
    if (sl_jy_get(&p->y, map, "from"))
        return sl_jy_fail(&p->y, map, path, "give either 'from' (an extracted table) or 'sql' (a computed one), not both");
    if (sl_jp_reject_keys(p, map, path, sl_sql_table_keys_no, "tables computed by", "sql (a computed table is "
                          "cut into tasks by its rows)") < 0)
        return -1;
    char sub[700];
    snprintf(sub, sizeof sub, "%s.sql", path);
    if (sl_jy_text(&p->y, sql, sub, "a query over other tables of the job", &t->sql) < 0) return -1;
    /* A block scalar (sql: |) starts on the line after its indicator. */
    t->sql_line = (int)sql->start_mark.line + 1;
    if (sql->type == YAML_SCALAR_NODE && (sql->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
                                          sql->data.scalar.style == YAML_FOLDED_SCALAR_STYLE))
        t->sql_line++;
    t->source = p->job->sql_source;
    t->from = "sql";
    yaml_node_t *to = sl_jy_get(&p->y, map, "to");
    if (to && sl_jp_to(p, to, path, t, target_names) < 0) return -1;
    if (!to) t->intermediate = true;
    if (sl_jp_guard(p, map, path, t) < 0) return -1;
    return sl_jp_warehouse_table(p, map, path, t);
}

/* Whether the query's words name `name` (identifiers outside string
 * literals and comments; "quoted" identifiers too), without case. */
static bool sl_sql_names(const char *sql, const char *name)
{
    size_t nl = strlen(name);
    const char *s = sql;
    while (*s) {
        if (s[0] == '-' && s[1] == '-') {
            while (*s && *s != '\n') s++;
        } else if (s[0] == '/' && s[1] == '*') {
            s += 2;
            while (*s && !(s[0] == '*' && s[1] == '/')) s++;
            if (*s) s += 2;
        } else if (*s == '\'') {
            for (s++; *s; s++)
                if (*s == '\'') {
                    if (s[1] == '\'') s++;
                    else break;
                }
            if (*s) s++;
        } else if (*s == '"') {
            const char *b = ++s;
            while (*s && *s != '"') s++;
            if ((size_t)(s - b) == nl && !strncasecmp(b, name, nl)) return true;
            if (*s) s++;
        } else if (isalpha((unsigned char)*s) || *s == '_') {
            const char *b = s;
            while (isalnum((unsigned char)*s) || *s == '_' || *s == '$') s++;
            if ((size_t)(s - b) == nl && !strncasecmp(b, name, nl)) return true;
        } else {
            s++;
        }
    }
    return false;
}

int sl_jp_sql_finish(sl_jp *p, yaml_node_t *tables)
{
    sl_job *job = p->job;
    for (int i = 0; i < job->ntables; i++) {
        sl_job_table *t = &job->tables[i];
        bool read = false;
        for (int j = 0; j < job->ntables && !read; j++)
            if (j != i && job->tables[j].sql && sl_sql_names(job->tables[j].sql, t->name)) read = true;
        if (!t->ntargets && !read) {
            /* tables[] and the YAML's keys differ in order once patterns expand: find it by name */
            int at = 0;
            for (int n = sl_jy_map_len(tables); at < n - 1; at++) {
                const char *kt = sl_jy_key_text(&p->y, sl_jy_map_key(&p->y, tables, at));
                if (kt && !strcmp(kt, t->name)) break;
            }
            yaml_node_t *k = sl_jy_map_key(&p->y, tables, at);
            char path[512];
            snprintf(path, sizeof path, "tables.%s", t->name);
            return sl_jy_fail(&p->y, sl_jy_map_value(&p->y, tables, at) ? sl_jy_map_value(&p->y, tables, at) : k, path,
                              "missing key 'to' (the name of a target): no computed table reads it, so it would "
                              "land nowhere");
        }
        if (!read && t->ntargets) continue;
        bool has_parquet = false;
        for (int k = 0; k < t->ntargets; k++) has_parquet = has_parquet || !strcmp(t->targets[k]->kind, "parquet");
        if (has_parquet) continue;
        /* The computed tables read its Parquet files from the work target. */
        if (!t->targets) t->targets = sl_arena_alloc(&job->arena, sizeof *t->targets);
        t->targets[t->ntargets++] = job->work;
        if (!t->target) {
            t->intermediate = true;
            t->target = t->targets[0];
            t->to = t->target->name;
        }
    }
    return 0;
}
