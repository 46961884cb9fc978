/*
 * sl_job.c - the job file: its keys, their defaults and checks, turning a
 * YAML document into an sl_job (sl_job.h). The YAML mechanics (positions,
 * conversions, ${ENV}) are in sl_job_yaml.c.
 *
 * Interface: sl_job_load(path), sl_job_parse(text, len, file), sl_job_free.
 *
 * The file, as DESIGN.md shows it:
 *   name: shop_to_lake                        (default: the file name without extension)
 *   retries: 3                                (per task; default 3)
 *   retry_backoff: 1s                         (first wait; doubles; default 1s)
 *   sources:  <name>: { kind: postgres|sqlite|csv|parquet, ... }
 *   targets:  <name>: { kind: parquet|csv, path: ..., ... }
 *             <name>: { kind: postgres, url: ..., schema: ..., max_connections: N, staging: auto|unlogged|logged }
 *   tables:   <name>: { from: <source>, table|query|file: ..., partition: {...}, to: <target>, ... }
 *             (warehouse targets add write: replace|append|merge, key: [cols], delete_missing,
 *              on_schema_change: fail|add_columns|recreate, indexes: [[cols], ...])
 * Keys that do not apply to a kind (a csv `delimiter` on a postgres source)
 * are errors, as are unknown keys. Relative paths (csv/parquet source path, sqlite
 * file, target path, rejects) resolve against the job file's directory.
 */
#include "sl_job.h"

#include "sl_job_yaml.h"
#include "../core/sl_buf.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SL_JOB_MAX_FILE (16 * 1024 * 1024)

static const char *const sl_job_keys[] = { "name", "sources", "targets", "tables", "retries", "retry_backoff", NULL };
static const char *const sl_source_keys[] = { "kind", "url", "path", "max_connections", "consistent",
                                              "rows_per_second", "statement_timeout", "delimiter", "header",
                                              "null_string", "compression", NULL };
static const char *const sl_source_kinds[] = { "postgres", "sqlite", "csv", "parquet", NULL };
static const char *const sl_target_keys[] = { "kind", "path", "compression", "compression_level",
                                              "row_group_bytes", "page_bytes", "url", "schema",
                                              "max_connections", "staging", NULL };
static const char *const sl_target_kinds[] = { "parquet", "csv", "postgres", NULL };
static const char *const sl_staging_kinds[] = { "auto", "unlogged", "logged", NULL };   /* sl_staging_mode */
/* In the order of sl_write_mode and sl_schema_change. */
static const char *const sl_write_modes[] = { "replace", "append", "merge", NULL };
static const char *const sl_schema_changes[] = { "fail", "add_columns", "recreate", NULL };
static const char *const sl_parquet_codecs[] = { "none", "snappy", "gzip", "zstd", "lz4_raw", NULL };
static const char *const sl_csv_codecs[] = { "auto", "none", "gzip", "zstd", NULL };
static const char *const sl_table_keys[] = { "from", "table", "query", "file", "partition", "to", "columns",
                                             "rejects", "write", "key", "delete_missing", "on_schema_change",
                                             "indexes", NULL };
static const char *const sl_partition_keys[] = { "strategy", "column", "count", NULL };
static const char *const sl_strategies[] = { "auto", "range", "histogram", "mod", "pages", "none", NULL };
static const char *const sl_column_keys[] = { "name", "type", "nullable", NULL };
static const char *const sl_type_words[] = { "bool", "boolean", "int16", "smallint", "int32", "int", "integer",
                                             "int64", "bigint", "float32", "real", "float", "float64", "double",
                                             "decimal", "numeric", "string", "text", "varchar", "bytes", "bytea",
                                             "date", "time", "timestamp", "timestamptz", "uuid", "json", "jsonb" };

typedef struct sl_jp {
    sl_jy y;
    sl_job *job;
} sl_jp;

/* Keys given in map that `kind` does not use: an error naming the kinds that do. */
static int sl_jp_reject_keys(sl_jp *p, yaml_node_t *map, const char *path, const char *const *keys,
                             const char *kind, const char *who)
{
    for (int i = 0; keys[i]; i++) {
        yaml_node_t *v = sl_jy_get(&p->y, map, keys[i]);
        if (!v) continue;
        int n = sl_jy_map_len(map);
        for (int k = 0; k < n; k++) {
            const char *name = sl_jy_key_text(&p->y, sl_jy_map_key(&p->y, map, k));
            if (name && !strcmp(name, keys[i]))
                return sl_jy_fail(&p->y, sl_jy_map_key(&p->y, map, k), path, "key '%s' does not apply to %s %s",
                                  keys[i], kind, who);
        }
    }
    return 0;
}

static char *sl_jp_resolve(sl_jp *p, const char *path)
{
    if (path[0] == '/' || !strcmp(p->job->dir, ".")) return (char *)path;
    while (path[0] == '.' && path[1] == '/') {
        path += 2;
        while (*path == '/') path++;
    }
    if (!*path || !strcmp(path, ".")) return p->job->dir;
    size_t n = strlen(p->job->dir) + strlen(path) + 2;
    char *s = sl_arena_alloc(&p->job->arena, n);
    snprintf(s, n, "%s/%s", p->job->dir, path);
    return s;
}

static int sl_jp_int_key(sl_jp *p, yaml_node_t *map, const char *key, const char *path, int64_t min, int64_t max,
                         int *out)
{
    yaml_node_t *v = sl_jy_get(&p->y, map, key);
    if (!v) return 0;
    char sub[512];
    snprintf(sub, sizeof sub, "%s.%s", path, key);
    int64_t x;
    if (sl_jy_int(&p->y, v, sub, min, max, &x) < 0) return -1;
    *out = (int)x;
    return 0;
}

static int sl_jp_string_key(sl_jp *p, yaml_node_t *map, const char *key, const char *path, char **out)
{
    yaml_node_t *v = sl_jy_get(&p->y, map, key);
    if (!v) return 0;
    char sub[512];
    snprintf(sub, sizeof sub, "%s.%s", path, key);
    return sl_jy_string(&p->y, v, sub, out);
}

static bool sl_jp_name_ok(const char *name)
{
    if (!*name || name[0] == '.' || strlen(name) > 200) return false;
    for (const char *c = name; *c; c++)
        if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') && !(*c >= '0' && *c <= '9') && *c != '_' &&
            *c != '-' && *c != '.')
            return false;
    return true;
}

static int sl_jp_source(sl_jp *p, const char *name, yaml_node_t *key, yaml_node_t *map, sl_job_source *s)
{
    char path[512];
    snprintf(path, sizeof path, "sources.%s", name);
    if (sl_jy_expect_map(&p->y, map, path) < 0) return -1;
    if (sl_jy_check_keys(&p->y, map, path, sl_source_keys) < 0) return -1;
    s->name = sl_arena_strdup(&p->job->arena, name);
    s->line = (int)key->start_mark.line + 1;
    s->column = (int)key->start_mark.column + 1;
    s->max_connections = 4;
    s->delimiter = ',';
    s->header = true;
    s->null_string = "";
    s->compression = "auto";

    yaml_node_t *kind = sl_jy_get(&p->y, map, "kind");
    if (!kind) return sl_jy_fail(&p->y, map, path, "missing key 'kind' (postgres, sqlite, csv or parquet)");
    char sub[600];
    snprintf(sub, sizeof sub, "%s.kind", path);
    if (sl_jy_choice(&p->y, kind, sub, sl_source_kinds, &s->kind) < 0) return -1;

    if (sl_jp_string_key(p, map, "url", path, &s->url) < 0 || sl_jp_string_key(p, map, "path", path, &s->path) < 0 ||
        sl_jp_int_key(p, map, "max_connections", path, 1, 1024, &s->max_connections) < 0)
        return -1;
    yaml_node_t *v;
    if ((v = sl_jy_get(&p->y, map, "consistent"))) {
        snprintf(sub, sizeof sub, "%s.consistent", path);
        if (sl_jy_bool(&p->y, v, sub, &s->consistent) < 0) return -1;
    }
    if ((v = sl_jy_get(&p->y, map, "rows_per_second"))) {
        snprintf(sub, sizeof sub, "%s.rows_per_second", path);
        if (sl_jy_double(&p->y, v, sub, 0, &s->rows_per_second) < 0) return -1;
    }
    if ((v = sl_jy_get(&p->y, map, "statement_timeout"))) {
        snprintf(sub, sizeof sub, "%s.statement_timeout", path);
        double secs;
        if (sl_jy_duration(&p->y, v, sub, &secs) < 0) return -1;
        if (secs > 1e6) return sl_jy_fail(&p->y, v, sub, "timeout too long (at most 1000000 seconds)");
        s->statement_timeout_s = (int)(secs + 0.999);
    }
    if ((v = sl_jy_get(&p->y, map, "delimiter"))) {
        snprintf(sub, sizeof sub, "%s.delimiter", path);
        char *d;
        if (sl_jy_string(&p->y, v, sub, &d) < 0) return -1;
        if (!strcmp(d, "\\t") || !strcmp(d, "tab")) d = "\t";
        if (strlen(d) != 1 || d[0] == '"' || d[0] == '\n' || d[0] == '\r')
            return sl_jy_fail(&p->y, v, sub, "expected one character (not a quote or newline), found '%s'", d);
        s->delimiter = d[0];
    }
    if ((v = sl_jy_get(&p->y, map, "header"))) {
        snprintf(sub, sizeof sub, "%s.header", path);
        if (sl_jy_bool(&p->y, v, sub, &s->header) < 0) return -1;
    }
    if ((v = sl_jy_get(&p->y, map, "null_string"))) {
        snprintf(sub, sizeof sub, "%s.null_string", path);
        /* Taken literally: `null_string: NULL` means the text NULL, and an
         * empty value the default (an empty unquoted field). */
        if (v->type == YAML_SCALAR_NODE && sl_jy_is_null(v))
            s->null_string = sl_arena_strndup(&p->job->arena, (const char *)v->data.scalar.value, v->data.scalar.length);
        else if (sl_jy_string(&p->y, v, sub, &s->null_string) < 0)
            return -1;
    }
    if ((v = sl_jy_get(&p->y, map, "compression"))) {
        snprintf(sub, sizeof sub, "%s.compression", path);
        if (sl_jy_choice(&p->y, v, sub, sl_csv_codecs, &s->compression) < 0) return -1;
    }

    static const char *const csv_only[] = { "delimiter", "header", "null_string", "compression", NULL };
    static const char *const pg_only[] = { "consistent", "statement_timeout", NULL };
    if (!strcmp(s->kind, "postgres")) {
        static const char *const no[] = { "path", NULL };
        if (sl_jp_reject_keys(p, map, path, csv_only, "postgres", "sources") < 0 ||
            sl_jp_reject_keys(p, map, path, no, "postgres", "sources (use url)") < 0)
            return -1;
        if (!s->url)
            return sl_jy_fail(&p->y, map, path, "missing key 'url' (postgres://user:password@host:port/db, "
                                                "or ${ENV_VAR} to keep the password out of the file)");
    } else if (!strcmp(s->kind, "sqlite")) {
        if (sl_jp_reject_keys(p, map, path, csv_only, "sqlite", "sources") < 0 ||
            sl_jp_reject_keys(p, map, path, pg_only, "sqlite", "sources") < 0)
            return -1;
        if (s->url && s->path) return sl_jy_fail(&p->y, map, path, "give either 'url' or 'path', not both");
        if (!s->url && !s->path) return sl_jy_fail(&p->y, map, path, "missing key 'path' (the SQLite database file)");
        char *file = s->url ? s->url : s->path;
        if (strncmp(file, "file:", 5) && strcmp(file, ":memory:")) file = sl_jp_resolve(p, file);
        s->url = s->path = file;
    } else if (!strcmp(s->kind, "parquet")) {
        static const char *const no[] = { "url", NULL };
        if (sl_jp_reject_keys(p, map, path, pg_only, "parquet", "sources") < 0 ||
            sl_jp_reject_keys(p, map, path, csv_only, "parquet", "sources") < 0 ||
            sl_jp_reject_keys(p, map, path, no, "parquet", "sources (use path)") < 0)
            return -1;
        if (!s->path) return sl_jy_fail(&p->y, map, path, "missing key 'path' (a lake directory, or one of Parquet files)");
        s->path = sl_jp_resolve(p, s->path);
    } else {
        static const char *const no[] = { "url", NULL };
        if (sl_jp_reject_keys(p, map, path, pg_only, "csv", "sources") < 0 ||
            sl_jp_reject_keys(p, map, path, no, "csv", "sources (use path)") < 0)
            return -1;
        if (!s->path) return sl_jy_fail(&p->y, map, path, "missing key 'path' (directory or file of the CSV input)");
        s->path = sl_jp_resolve(p, s->path);
    }
    return 0;
}

/* A postgres target: the warehouse database, its schema and session cap. */
static int sl_jp_warehouse_target(sl_jp *p, yaml_node_t *map, const char *path, sl_job_target *t)
{
    static const char *const lake_only[] = { "compression", "compression_level", "row_group_bytes", "page_bytes",
                                             NULL };
    static const char *const no[] = { "path", NULL };
    if (sl_jp_reject_keys(p, map, path, lake_only, "postgres", "targets") < 0 ||
        sl_jp_reject_keys(p, map, path, no, "postgres", "targets (use url and schema)") < 0)
        return -1;
    t->schema = "public";
    t->max_connections = 4;
    if (sl_jp_string_key(p, map, "url", path, &t->url) < 0 || sl_jp_string_key(p, map, "schema", path, &t->schema) < 0 ||
        sl_jp_int_key(p, map, "max_connections", path, 1, 1024, &t->max_connections) < 0)
        return -1;
    if (!t->url)
        return sl_jy_fail(&p->y, map, path, "missing key 'url' (postgres://user:password@host:port/db, or "
                                            "${ENV_VAR} to keep the password out of the file)");
    if (!*t->schema) return sl_jy_fail(&p->y, sl_jy_get(&p->y, map, "schema"), path, "'schema' is empty");
    yaml_node_t *v = sl_jy_get(&p->y, map, "staging");
    if (v) {
        char sub[600], *staging;
        snprintf(sub, sizeof sub, "%s.staging", path);
        if (sl_jy_choice(&p->y, v, sub, sl_staging_kinds, &staging) < 0) return -1;
        for (int i = 0; sl_staging_kinds[i]; i++)
            if (!strcmp(staging, sl_staging_kinds[i])) t->staging = (sl_staging_mode)i;
    }
    return 0;
}

static int sl_jp_target(sl_jp *p, const char *name, yaml_node_t *key, yaml_node_t *map, sl_job_target *t)
{
    char path[512], sub[600];
    snprintf(path, sizeof path, "targets.%s", name);
    if (sl_jy_expect_map(&p->y, map, path) < 0) return -1;
    if (sl_jy_check_keys(&p->y, map, path, sl_target_keys) < 0) return -1;
    t->name = sl_arena_strdup(&p->job->arena, name);
    t->line = (int)key->start_mark.line + 1;
    t->column = (int)key->start_mark.column + 1;
    yaml_node_t *kind = sl_jy_get(&p->y, map, "kind");
    if (!kind) return sl_jy_fail(&p->y, map, path, "missing key 'kind' (parquet, csv or postgres)");
    snprintf(sub, sizeof sub, "%s.kind", path);
    if (sl_jy_choice(&p->y, kind, sub, sl_target_kinds, &t->kind) < 0) return -1;
    static const char *const pg_only[] = { "url", "schema", "max_connections", "staging", NULL };
    if (!strcmp(t->kind, "postgres")) return sl_jp_warehouse_target(p, map, path, t);
    if (sl_jp_reject_keys(p, map, path, pg_only, t->kind, "targets") < 0) return -1;
    if (sl_jp_string_key(p, map, "path", path, &t->path) < 0) return -1;
    if (!t->path) return sl_jy_fail(&p->y, map, path, "missing key 'path' (the directory tables are written to)");
    t->path = sl_jp_resolve(p, t->path);
    bool parquet = !strcmp(t->kind, "parquet");
    t->compression = parquet ? "zstd" : "none";
    yaml_node_t *v;
    if (!parquet) {
        static const char *const pq_only[] = { "compression", "compression_level", "row_group_bytes", "page_bytes",
                                               NULL };
        if (sl_jp_reject_keys(p, map, path, pq_only, "csv", "targets") < 0) return -1;
        return 0;
    }
    if ((v = sl_jy_get(&p->y, map, "compression"))) {
        snprintf(sub, sizeof sub, "%s.compression", path);
        if (sl_jy_choice(&p->y, v, sub, sl_parquet_codecs, &t->compression) < 0) return -1;
    }
    if (sl_jp_int_key(p, map, "compression_level", path, -131072, 22, &t->compression_level) < 0) return -1;
    if ((v = sl_jy_get(&p->y, map, "row_group_bytes"))) {
        snprintf(sub, sizeof sub, "%s.row_group_bytes", path);
        if (sl_jy_size(&p->y, v, sub, &t->row_group_bytes) < 0) return -1;
    }
    if ((v = sl_jy_get(&p->y, map, "page_bytes"))) {
        snprintf(sub, sizeof sub, "%s.page_bytes", path);
        if (sl_jy_size(&p->y, v, sub, &t->page_bytes) < 0) return -1;
    }
    return 0;
}

/* A reference (`from:` or `to:`) to a source or target by name. */
static int sl_jp_ref(sl_jp *p, yaml_node_t *v, const char *path, const char *what, const char *const *names, int n,
                     int *index)
{
    char *ref;
    if (sl_jy_string(&p->y, v, path, &ref) < 0) return -1;
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], ref)) {
            *index = i;
            return 0;
        }
    const char *hint = sl_did_you_mean(ref, names, n);
    if (hint) return sl_jy_fail(&p->y, v, path, "unknown %s '%s' (did you mean '%s'?)", what, ref, hint);
    char list[512] = "";
    size_t used = 0;
    for (int j = 0; j < n && used < sizeof list; j++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", names[j]);
    return sl_jy_fail(&p->y, v, path, "unknown %s '%s' (defined: %s)", what, ref, n ? list : "none");
}

static int sl_jp_type(sl_jp *p, yaml_node_t *v, const char *path, sl_type *out)
{
    char *text;
    if (sl_jy_string(&p->y, v, path, &text) < 0) return -1;
    if (sl_type_parse(text, out) == 0) return 0;
    char word[64];
    size_t n = strcspn(text, "( ");
    if (n >= sizeof word) n = sizeof word - 1;
    memcpy(word, text, n);
    word[n] = '\0';
    const char *hint = sl_did_you_mean(word, sl_type_words, (int)(sizeof sl_type_words / sizeof sl_type_words[0]));
    if (hint && strcmp(hint, word))
        return sl_jy_fail(&p->y, v, path, "unknown type '%s' (did you mean '%s'? valid types: %s)", text, hint,
                          sl_type_names());
    return sl_jy_fail(&p->y, v, path, "invalid type '%s' (valid types: %s)", text, sl_type_names());
}

/* One column: `name: type`, `name: {type: ..., nullable: ...}` or a list item `{name:, type:, nullable:}`. */
static int sl_jp_column(sl_jp *p, const char *name, yaml_node_t *name_node, yaml_node_t *v, const char *path,
                        sl_job_column *c)
{
    char sub[600];
    c->nullable = true;
    if (v && v->type == YAML_SCALAR_NODE) {
        if (!name) return sl_jy_fail(&p->y, v, path, "expected {name: ..., type: ...}, found a scalar");
        c->name = sl_arena_strdup(&p->job->arena, name);
        return sl_jp_type(p, v, path, &c->type);
    }
    if (sl_jy_expect_map(&p->y, v, path) < 0) return -1;
    if (sl_jy_check_keys(&p->y, v, path, name ? sl_column_keys + 1 : sl_column_keys) < 0) return -1;
    if (!name) {
        yaml_node_t *n = sl_jy_get(&p->y, v, "name");
        if (!n) return sl_jy_fail(&p->y, v, path, "missing key 'name'");
        snprintf(sub, sizeof sub, "%s.name", path);
        if (sl_jy_string(&p->y, n, sub, &c->name) < 0) return -1;
    } else {
        c->name = sl_arena_strdup(&p->job->arena, name);
    }
    (void)name_node;
    yaml_node_t *t = sl_jy_get(&p->y, v, "type");
    if (!t) return sl_jy_fail(&p->y, v, path, "missing key 'type' (one of: %s)", sl_type_names());
    snprintf(sub, sizeof sub, "%s.type", path);
    if (sl_jp_type(p, t, sub, &c->type) < 0) return -1;
    yaml_node_t *nl = sl_jy_get(&p->y, v, "nullable");
    if (nl) {
        snprintf(sub, sizeof sub, "%s.nullable", path);
        if (sl_jy_bool(&p->y, nl, sub, &c->nullable) < 0) return -1;
    }
    return 0;
}

static int sl_jp_columns(sl_jp *p, yaml_node_t *v, const char *path, sl_job_table *t)
{
    char sub[700];
    if (v->type == YAML_MAPPING_NODE) {
        int n = sl_jy_map_len(v);
        t->columns = sl_arena_alloc(&p->job->arena, sizeof *t->columns * (size_t)(n ? n : 1));
        for (int i = 0; i < n; i++) {
            yaml_node_t *k = sl_jy_map_key(&p->y, v, i);
            const char *name = sl_jy_key_text(&p->y, k);
            if (!name || !*name) return sl_jy_fail(&p->y, k, path, "a column name must be a non-empty string");
            for (int j = 0; j < i; j++)
                if (!strcmp(t->columns[j].name, name))
                    return sl_jy_fail(&p->y, k, path, "column '%s' appears twice", name);
            snprintf(sub, sizeof sub, "%s.%s", path, name);
            memset(&t->columns[i], 0, sizeof t->columns[i]);
            if (sl_jp_column(p, name, k, sl_jy_map_value(&p->y, v, i), sub, &t->columns[i]) < 0) return -1;
            t->ncolumns = i + 1;
        }
        return 0;
    }
    if (v->type == YAML_SEQUENCE_NODE) {
        int n = sl_jy_seq_len(v);
        t->columns = sl_arena_alloc(&p->job->arena, sizeof *t->columns * (size_t)(n ? n : 1));
        for (int i = 0; i < n; i++) {
            snprintf(sub, sizeof sub, "%s[%d]", path, i);
            memset(&t->columns[i], 0, sizeof t->columns[i]);
            if (sl_jp_column(p, NULL, NULL, sl_jy_seq_item(&p->y, v, i), sub, &t->columns[i]) < 0) return -1;
            for (int j = 0; j < i; j++)
                if (!strcmp(t->columns[j].name, t->columns[i].name))
                    return sl_jy_fail(&p->y, sl_jy_seq_item(&p->y, v, i), sub, "column '%s' appears twice",
                                      t->columns[i].name);
            t->ncolumns = i + 1;
        }
        return 0;
    }
    return sl_jy_fail(&p->y, v, path, "expected a mapping of column: type (or a list of {name, type}), found %s",
                      sl_jy_what(v));
}

static int sl_jp_partition(sl_jp *p, yaml_node_t *v, const char *path, sl_job_partition *part)
{
    char sub[700];
    if (v->type == YAML_SCALAR_NODE) /* shorthand: `partition: none` */
        return sl_jy_choice(&p->y, v, path, sl_strategies, &part->strategy);
    if (sl_jy_expect_map(&p->y, v, path) < 0) return -1;
    if (sl_jy_check_keys(&p->y, v, path, sl_partition_keys) < 0) return -1;
    yaml_node_t *x;
    if ((x = sl_jy_get(&p->y, v, "strategy"))) {
        snprintf(sub, sizeof sub, "%s.strategy", path);
        if (sl_jy_choice(&p->y, x, sub, sl_strategies, &part->strategy) < 0) return -1;
    }
    if ((x = sl_jy_get(&p->y, v, "column"))) {
        snprintf(sub, sizeof sub, "%s.column", path);
        if (sl_jy_string(&p->y, x, sub, &part->column) < 0) return -1;
        if (!*part->column) return sl_jy_fail(&p->y, x, sub, "the column name is empty");
    }
    if ((x = sl_jy_get(&p->y, v, "count"))) {
        snprintf(sub, sizeof sub, "%s.count", path);
        if (x->type == YAML_SCALAR_NODE && !strcmp((const char *)x->data.scalar.value, "auto")) {
            part->count = 0;
        } else {
            int64_t n;
            if (x->type == YAML_SCALAR_NODE && !sl_jy_is_null(x)) {
                char *s;
                if (sl_jy_string(&p->y, x, sub, &s) < 0) return -1;
                if (!strcmp(s, "auto")) return 0;
                char *end;
                errno = 0;
                long long ll = strtoll(s, &end, 10);
                if (end == s || *end || errno)
                    return sl_jy_fail(&p->y, x, sub, "expected a whole number of tasks or 'auto', found '%s'", s);
                n = ll;
                if (n < 1 || n > 100000)
                    return sl_jy_fail(&p->y, x, sub, "%lld tasks is out of range (1 to 100000, or 'auto')", ll);
            } else {
                return sl_jy_fail(&p->y, x, sub, "expected a whole number of tasks or 'auto', found %s",
                                  sl_jy_what(x));
            }
            part->count = (int)n;
        }
    }
    return 0;
}

/* `key: id`, `key: [a, b]`: column names, none twice. */
static int sl_jp_name_list(sl_jp *p, yaml_node_t *v, const char *path, char ***out, int *n)
{
    int count = v->type == YAML_SEQUENCE_NODE ? sl_jy_seq_len(v) : 1;
    if (v->type != YAML_SEQUENCE_NODE && v->type != YAML_SCALAR_NODE)
        return sl_jy_fail(&p->y, v, path, "expected a column name or a list of them, found %s", sl_jy_what(v));
    if (count == 0) return sl_jy_fail(&p->y, v, path, "the list of columns is empty");
    char **names = sl_arena_alloc(&p->job->arena, sizeof *names * (size_t)count);
    for (int i = 0; i < count; i++) {
        yaml_node_t *item = v->type == YAML_SEQUENCE_NODE ? sl_jy_seq_item(&p->y, v, i) : v;
        if (sl_jy_string(&p->y, item, path, &names[i]) < 0) return -1;
        if (!*names[i]) return sl_jy_fail(&p->y, item, path, "a column name is empty");
        for (int j = 0; j < i; j++)
            if (!strcmp(names[j], names[i])) return sl_jy_fail(&p->y, item, path, "column '%s' appears twice", names[i]);
    }
    *out = names;
    *n = count;
    return 0;
}

/* A key or index column must be one of the table's columns when the job
 * gives the whole schema (a csv source with `columns:`); otherwise the
 * target checks it against the source's columns when the run starts. */
static int sl_jp_known_columns(sl_jp *p, yaml_node_t *v, const char *path, const sl_job_table *t, char **names,
                               int n)
{
    if (strcmp(t->source->kind, "csv") || t->ncolumns == 0) return 0;
    for (int i = 0; i < n; i++) {
        bool found = false;
        for (int c = 0; c < t->ncolumns && !found; c++) found = !strcmp(t->columns[c].name, names[i]);
        if (!found) return sl_jy_fail(&p->y, v, path, "column '%s' is not among the table's columns", names[i]);
    }
    return 0;
}

/* The keys of a table written to a warehouse: write mode, key, deletes,
 * schema changes, indexes. They are errors for lake targets. */
static int sl_jp_warehouse_table(sl_jp *p, yaml_node_t *map, const char *path, sl_job_table *t)
{
    static const char *const keys[] = { "write", "key", "delete_missing", "on_schema_change", "indexes", NULL };
    if (!sl_job_target_is_warehouse(t->target)) {
        char who[128];
        snprintf(who, sizeof who, "%s targets (only to warehouse targets: postgres)", t->target->kind);
        return sl_jp_reject_keys(p, map, path, keys, "tables written to", who);
    }
    char sub[700], *word;
    yaml_node_t *v, *write = sl_jy_get(&p->y, map, "write");
    if (write) {
        snprintf(sub, sizeof sub, "%s.write", path);
        if (sl_jy_choice(&p->y, write, sub, sl_write_modes, &word) < 0) return -1;
        for (int i = 0; sl_write_modes[i]; i++)
            if (!strcmp(word, sl_write_modes[i])) t->write = (sl_write_mode)i;
    }
    if ((v = sl_jy_get(&p->y, map, "on_schema_change"))) {
        snprintf(sub, sizeof sub, "%s.on_schema_change", path);
        if (sl_jy_choice(&p->y, v, sub, sl_schema_changes, &word) < 0) return -1;
        for (int i = 0; sl_schema_changes[i]; i++)
            if (!strcmp(word, sl_schema_changes[i])) t->on_schema_change = (sl_schema_change)i;
    }
    if ((v = sl_jy_get(&p->y, map, "key"))) {
        snprintf(sub, sizeof sub, "%s.key", path);
        if (sl_jp_name_list(p, v, sub, &t->key, &t->nkey) < 0 || sl_jp_known_columns(p, v, sub, t, t->key, t->nkey) < 0)
            return -1;
    }
    if ((v = sl_jy_get(&p->y, map, "delete_missing"))) {
        snprintf(sub, sizeof sub, "%s.delete_missing", path);
        if (sl_jy_bool(&p->y, v, sub, &t->delete_missing) < 0) return -1;
        if (t->delete_missing && t->write != SL_WRITE_MERGE)
            return sl_jy_fail(&p->y, v, sub, "delete_missing applies to write: merge (replace already drops rows "
                                             "that are gone; append never deletes)");
    }
    if (t->write == SL_WRITE_MERGE && !t->key)
        return sl_jy_fail(&p->y, write, path, "write: merge needs key: [columns] (the columns that identify a row)");
    if ((v = sl_jy_get(&p->y, map, "indexes"))) {
        snprintf(sub, sizeof sub, "%s.indexes", path);
        if (v->type != YAML_SEQUENCE_NODE)
            return sl_jy_fail(&p->y, v, sub, "expected a list of column lists ([[customer_id], [placed, status]]), "
                                             "found %s", sl_jy_what(v));
        t->nindexes = sl_jy_seq_len(v);
        t->indexes = sl_arena_alloc(&p->job->arena, sizeof *t->indexes * (size_t)(t->nindexes ? t->nindexes : 1));
        for (int i = 0; i < t->nindexes; i++) {
            yaml_node_t *item = sl_jy_seq_item(&p->y, v, i);
            char isub[760];
            snprintf(isub, sizeof isub, "%s[%d]", sub, i);
            if (sl_jp_name_list(p, item, isub, &t->indexes[i].cols, &t->indexes[i].ncols) < 0 ||
                sl_jp_known_columns(p, item, isub, t, t->indexes[i].cols, t->indexes[i].ncols) < 0)
                return -1;
        }
    }
    return 0;
}

static int sl_jp_table(sl_jp *p, const char *name, yaml_node_t *key, yaml_node_t *map, sl_job_table *t,
                       const char *const *source_names, const char *const *target_names)
{
    char path[512], sub[700];
    snprintf(path, sizeof path, "tables.%s", name);
    if (!sl_jp_name_ok(name))
        return sl_jy_fail(&p->y, key, "tables", "table name '%s' cannot be a directory name (use letters, digits, "
                                                "'_', '-' and '.', not starting with '.')", name);
    if (sl_jy_expect_map(&p->y, map, path) < 0) return -1;
    if (sl_jy_check_keys(&p->y, map, path, sl_table_keys) < 0) return -1;
    t->name = sl_arena_strdup(&p->job->arena, name);
    t->line = (int)key->start_mark.line + 1;
    t->column = (int)key->start_mark.column + 1;
    t->partition.strategy = "auto";

    yaml_node_t *from = sl_jy_get(&p->y, map, "from"), *to = sl_jy_get(&p->y, map, "to");
    if (!from) return sl_jy_fail(&p->y, map, path, "missing key 'from' (the name of a source)");
    if (!to) return sl_jy_fail(&p->y, map, path, "missing key 'to' (the name of a target)");
    int si, ti;
    snprintf(sub, sizeof sub, "%s.from", path);
    if (sl_jp_ref(p, from, sub, "source", source_names, p->job->nsources, &si) < 0) return -1;
    snprintf(sub, sizeof sub, "%s.to", path);
    if (sl_jp_ref(p, to, sub, "target", target_names, p->job->ntargets, &ti) < 0) return -1;
    t->source = &p->job->sources[si];
    t->from = t->source->name;
    t->target = &p->job->targets[ti];
    t->to = t->target->name;

    if (sl_jp_string_key(p, map, "table", path, &t->table) < 0 || sl_jp_string_key(p, map, "query", path, &t->query) < 0 ||
        sl_jp_string_key(p, map, "file", path, &t->file) < 0 || sl_jp_string_key(p, map, "rejects", path, &t->rejects) < 0)
        return -1;
    const char *kind = t->source->kind;
    if (!strcmp(kind, "parquet")) {
        static const char *const no[] = { "query", "rejects", NULL };
        if (sl_jp_reject_keys(p, map, path, no, "tables read from", "parquet sources (use table or file)") < 0)
            return -1;
        if (!!t->table == !!t->file)
            return sl_jy_fail(&p->y, map, path, t->table ? "give either 'table' or 'file', not both"
                                                         : "missing key 'table' (a lake table directory) or 'file' "
                                                           "(a Parquet file, directory or glob)");
        if ((t->table && !*t->table) || (t->file && !*t->file))
            return sl_jy_fail(&p->y, map, path, "'%s' is empty", t->table ? "table" : "file");
    } else if (!strcmp(kind, "csv")) {
        static const char *const no[] = { "table", "query", NULL };
        if (sl_jp_reject_keys(p, map, path, no, "tables read from", "csv sources (use file)") < 0) return -1;
        if (t->rejects) t->rejects = sl_jp_resolve(p, t->rejects);
    } else {
        static const char *const no[] = { "file", "rejects", NULL };
        if (sl_jp_reject_keys(p, map, path, no, "tables read from", kind[0] == 'p' ? "postgres sources" : "sqlite sources") < 0)
            return -1;
        if (t->table && t->query) return sl_jy_fail(&p->y, map, path, "give either 'table' or 'query', not both");
        if (!t->table && !t->query)
            return sl_jy_fail(&p->y, map, path, "missing key 'table' (e.g. public.orders) or 'query'");
        if (t->table && !*t->table) return sl_jy_fail(&p->y, sl_jy_get(&p->y, map, "table"), path, "'table' is empty");
        if (t->query && !*t->query) return sl_jy_fail(&p->y, sl_jy_get(&p->y, map, "query"), path, "'query' is empty");
    }
    yaml_node_t *v;
    if ((v = sl_jy_get(&p->y, map, "partition"))) {
        snprintf(sub, sizeof sub, "%s.partition", path);
        if (sl_jp_partition(p, v, sub, &t->partition) < 0) return -1;
    }
    if ((v = sl_jy_get(&p->y, map, "columns"))) {
        snprintf(sub, sizeof sub, "%s.columns", path);
        if (sl_jp_columns(p, v, sub, t) < 0) return -1;
    }
    return sl_jp_warehouse_table(p, map, path, t);
}

/* A section: a mapping of name -> definition; returns its node or fails. */
static yaml_node_t *sl_jp_section(sl_jp *p, yaml_node_t *root, const char *key, const char *what)
{
    yaml_node_t *v = sl_jy_get(&p->y, root, key);
    if (!v) {
        sl_jy_fail(&p->y, root, "", "missing key '%s' (%s)", key, what);
        return NULL;
    }
    if (v->type != YAML_MAPPING_NODE) {
        sl_jy_fail(&p->y, v, key, "expected a mapping of name: { ... } (%s), found %s", what, sl_jy_what(v));
        return NULL;
    }
    if (sl_jy_map_len(v) == 0) {
        sl_jy_fail(&p->y, v, key, "is empty (%s)", what);
        return NULL;
    }
    int n = sl_jy_map_len(v);
    for (int i = 0; i < n; i++) {
        yaml_node_t *k = sl_jy_map_key(&p->y, v, i);
        const char *name = sl_jy_key_text(&p->y, k);
        if (!name || !*name || strlen(name) != k->data.scalar.length) {
            sl_jy_fail(&p->y, k, key, "a name must be a non-empty plain word, found %s", sl_jy_what(k));
            return NULL;
        }
        for (int j = 0; j < i; j++)
            if (!strcmp(sl_jy_key_text(&p->y, sl_jy_map_key(&p->y, v, j)), name)) {
                sl_jy_fail(&p->y, k, key, "'%s' is defined twice", name);
                return NULL;
            }
    }
    return v;
}

static int sl_jp_job(sl_jp *p)
{
    sl_job *job = p->job;
    yaml_node_t *root = sl_jy_root(&p->y);
    if (root->type != YAML_MAPPING_NODE)
        return sl_jy_fail(&p->y, root, "", "expected a mapping with keys name, sources, targets, tables; found %s",
                          sl_jy_what(root));
    if (sl_jy_check_keys(&p->y, root, "", sl_job_keys) < 0) return -1;
    yaml_node_t *v;
    if ((v = sl_jy_get(&p->y, root, "name"))) {
        if (sl_jy_string(&p->y, v, "name", &job->name) < 0) return -1;
        if (!sl_jp_name_ok(job->name))
            return sl_jy_fail(&p->y, v, "name", "'%s' is not a valid job name (letters, digits, '_', '-', '.')",
                              job->name);
    }
    if ((v = sl_jy_get(&p->y, root, "retries"))) {
        int64_t r;
        if (sl_jy_int(&p->y, v, "retries", 0, 100, &r) < 0) return -1;
        job->retries = (int)r;
    }
    if ((v = sl_jy_get(&p->y, root, "retry_backoff"))) {
        if (sl_jy_duration(&p->y, v, "retry_backoff", &job->retry_backoff_s) < 0) return -1;
        if (job->retry_backoff_s > 3600)
            return sl_jy_fail(&p->y, v, "retry_backoff", "at most one hour");
    }

    /* Sections in order, each parsed fully before the next is looked at. */
    yaml_node_t *sources = sl_jp_section(p, root, "sources", "where tables are read from");
    if (!sources) return -1;
    int ns = sl_jy_map_len(sources);
    job->sources = sl_arena_alloc(&job->arena, sizeof *job->sources * (size_t)ns);
    memset(job->sources, 0, sizeof *job->sources * (size_t)ns);
    const char **source_names = sl_arena_alloc(&job->arena, sizeof(char *) * (size_t)ns);
    for (int i = 0; i < ns; i++) {
        yaml_node_t *k = sl_jy_map_key(&p->y, sources, i);
        source_names[i] = sl_jy_key_text(&p->y, k);
        if (sl_jp_source(p, source_names[i], k, sl_jy_map_value(&p->y, sources, i), &job->sources[i]) < 0) return -1;
        job->nsources = i + 1;
    }
    yaml_node_t *targets = sl_jp_section(p, root, "targets", "where tables are written to");
    if (!targets) return -1;
    int nt = sl_jy_map_len(targets);
    job->targets = sl_arena_alloc(&job->arena, sizeof *job->targets * (size_t)nt);
    memset(job->targets, 0, sizeof *job->targets * (size_t)nt);
    const char **target_names = sl_arena_alloc(&job->arena, sizeof(char *) * (size_t)nt);
    for (int i = 0; i < nt; i++) {
        yaml_node_t *k = sl_jy_map_key(&p->y, targets, i);
        target_names[i] = sl_jy_key_text(&p->y, k);
        if (sl_jp_target(p, target_names[i], k, sl_jy_map_value(&p->y, targets, i), &job->targets[i]) < 0) return -1;
        job->ntargets = i + 1;
    }
    yaml_node_t *tables = sl_jp_section(p, root, "tables", "the tables to copy");
    if (!tables) return -1;
    int ntab = sl_jy_map_len(tables);
    job->tables = sl_arena_alloc(&job->arena, sizeof *job->tables * (size_t)ntab);
    memset(job->tables, 0, sizeof *job->tables * (size_t)ntab);
    for (int i = 0; i < ntab; i++) {
        yaml_node_t *k = sl_jy_map_key(&p->y, tables, i);
        const char *name = sl_jy_key_text(&p->y, k);
        if (sl_jp_table(p, name, k, sl_jy_map_value(&p->y, tables, i), &job->tables[i], source_names, target_names) < 0)
            return -1;
        job->ntables = i + 1;
    }
    /* Two tables landing in the same directory (or warehouse table) would overwrite each other. */
    for (int i = 0; i < ntab; i++)
        for (int j = 0; j < i; j++)
            if (job->tables[i].target->path && job->tables[j].target->path &&
                !strcmp(job->tables[i].target->path, job->tables[j].target->path) &&
                !strcasecmp(job->tables[i].name, job->tables[j].name))
                return sl_jy_fail(&p->y, sl_jy_map_key(&p->y, tables, i), "tables",
                                  "tables '%s' and '%s' would be written to the same directory", job->tables[j].name,
                                  job->tables[i].name);
    return 0;
}

const char *sl_write_mode_name(sl_write_mode m) { return sl_write_modes[m]; }
const char *sl_schema_change_name(sl_schema_change c) { return sl_schema_changes[c]; }
bool sl_job_target_is_warehouse(const sl_job_target *t) { return t && !strcmp(t->kind, "postgres"); }

sl_job *sl_job_parse(const char *text, size_t len, const char *file, sl_err *err)
{
    sl_job *job = sl_calloc(1, sizeof *job);
    sl_arena_init(&job->arena, 16 * 1024);
    job->file = sl_arena_strdup(&job->arena, file);
    char *copy = sl_strdup(file);
    job->dir = sl_arena_strdup(&job->arena, dirname(copy));
    sl_free(copy);
    copy = sl_strdup(file);
    char *stem = basename(copy);
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem) *dot = '\0';
    job->name = sl_arena_strdup(&job->arena, *stem ? stem : "job");
    sl_free(copy);
    job->retries = 3;
    job->retry_backoff_s = 1.0;

    sl_jp p = { .job = job };
    int rc = sl_jy_open(&p.y, text, len, file, &job->arena, err);
    if (rc == 0) rc = sl_jp_job(&p);
    sl_jy_close(&p.y);
    if (rc < 0) {
        sl_job_free(job);
        return NULL;
    }
    return job;
}

sl_job *sl_job_load(const char *path, sl_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        sl_err_set(err, SL_EJOB, "cannot read job file %s: %s", path, strerror(errno));
        return NULL;
    }
    sl_buf b = { 0 };
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        sl_buf_append(&b, chunk, n);
        if (b.len > SL_JOB_MAX_FILE) break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad || b.len > SL_JOB_MAX_FILE) {
        sl_buf_free(&b);
        sl_err_set(err, SL_EJOB, "cannot read job file %s: %s", path, bad ? "read error" : "larger than 16 MiB");
        return NULL;
    }
    sl_job *job = sl_job_parse(b.len ? (const char *)b.data : "", b.len, path, err);
    sl_buf_free(&b);
    return job;
}

void sl_job_free(sl_job *job)
{
    if (!job) return;
    sl_arena_destroy(&job->arena);
    sl_free(job);
}
