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
 *             <name>: { kind: duckdb, path: <database file>, schema: ... }
 *             <name>: { kind: postgres, url: ..., schema: ..., max_connections: N, staging: auto|unlogged|logged }
 *   tables:   <name>: { from: <source>, table|query|file: ..., partition: {...}, to: <target> or [targets], ... }
 *             (warehouse targets add write: replace|append|merge, key: [cols], delete_missing,
 *              on_schema_change: fail|add_columns|recreate, indexes: [[cols], ...])
 * Keys that do not apply to a kind (a csv `delimiter` on a postgres source)
 * are errors, as are unknown keys. Relative paths (csv/parquet source path, sqlite
 * file, target path, rejects) resolve against the job file's directory.
 */
#include "sl_job.h"

#include "sl_job_int.h"
#include "../core/sl_buf.h"
#include "../core/sl_strmap.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SL_JOB_MAX_FILE (16 * 1024 * 1024)

static const char *const sl_job_keys[] = { "name", "sources", "targets", "tables", "retries", "retry_backoff",
                                           "transform", "defaults", "alerts", NULL };
static const char *const sl_source_keys[] = { "kind", "url", "path", "max_connections", "consistent",
                                              "rows_per_second", "statement_timeout", "delimiter", "header",
                                              "null_string", "compression", "region", "endpoint", NULL };
static const char *const sl_source_kinds[] = { "postgres", "sqlite", "csv", "parquet", NULL };
static const char *const sl_target_keys[] = { "kind", "path", "compression", "compression_level",
                                              "row_group_bytes", "page_bytes", "url", "schema",
                                              "max_connections", "staging", "region", "endpoint", "layout",
                                              "keep_versions", NULL };
static const char *const sl_target_kinds[] = { "parquet", "csv", "duckdb", "postgres", NULL };
static const char *const sl_staging_kinds[] = { "auto", "unlogged", "logged", NULL };   /* sl_staging_mode */
static const char *const sl_parquet_codecs[] = { "none", "snappy", "gzip", "zstd", "lz4_raw", NULL };
static const char *const sl_csv_codecs[] = { "auto", "none", "gzip", "zstd", NULL };
static const char *const sl_table_keys[] = { "from", "table", "query", "file", "partition", "to", "columns",
                                             "rejects", "write", "key", "delete_missing", "on_schema_change",
                                             "indexes", "verify", "sql", "checks", "on_bad_rows",
                                             "max_bad_rows", "unsupported", "trim_char", "numeric",
                                             "exclude", "name", "partitions", "max_delete_ratio", "max_shrink",
                                             "incremental", "deletes", NULL };
/* In the order of sl_write_mode and sl_schema_change. */
static const char *const sl_write_modes[] = { "replace", "append", "merge", NULL };
static const char *const sl_schema_changes[] = { "fail", "add_columns", "recreate", NULL };

const char *sl_write_mode_name(sl_write_mode m) { return sl_write_modes[m]; }
const char *sl_schema_change_name(sl_schema_change c) { return sl_schema_changes[c]; }
static const char *const sl_partition_keys[] = { "strategy", "column", "count", NULL };
static const char *const sl_strategies[] = { "auto", "range", "histogram", "mod", "pages", "none", NULL };
static const char *const sl_column_keys[] = { "name", "type", "nullable", NULL };
static const char *const sl_type_words[] = { "bool", "boolean", "int16", "smallint", "int32", "int", "integer",
                                             "int64", "bigint", "float32", "real", "float", "float64", "double",
                                             "decimal", "numeric", "string", "text", "varchar", "bytes", "bytea",
                                             "date", "time", "timestamp", "timestamptz", "uuid", "json", "jsonb" };


/* The levels each Parquet codec takes: what sl_compressor_new accepts
 * (src/parquet/sl_compress.c; tests/unit/test_job.c checks they agree).
 * zstd 0 is its default level; lz4_raw's level is its acceleration. */
static const struct sl_codec_levels {
    const char *codec;
    int min, max;
} sl_codec_levels[] = { { "gzip", 1, 9 }, { "zstd", -131072, 22 }, { "lz4_raw", 1, 65537 } };

#define SL_JOB_MAX_NAME 200

/* Keys given in map that `kind` does not use: an error naming the kinds that do. */
int sl_jp_reject_keys(sl_jp *p, yaml_node_t *map, const char *path, const char *const *keys,
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

/* Whether a path names the file-system root ("/", "//", "/tmp/..", ...). */
static bool sl_jp_is_root(const char *path)
{
    if (path[0] != '/') return false;
    int depth = 0;
    for (const char *c = path; *c;) {
        while (*c == '/') c++;
        size_t n = strcspn(c, "/");
        if (n == 2 && !strncmp(c, "..", 2)) depth = depth ? depth - 1 : 0;
        else if (n && !(n == 1 && *c == '.')) depth++;
        c += n;
    }
    return depth == 0;
}

char *sl_jp_resolve(sl_jp *p, const char *path)
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

int sl_jp_int_key(sl_jp *p, yaml_node_t *map, const char *key, const char *path, int64_t min, int64_t max,
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

/* A key's string value (left alone when the key is absent); empty or blank
 * values are errors saying `what` to give. */
int sl_jp_text_key(sl_jp *p, yaml_node_t *map, const char *key, const char *path, const char *what, char **out)
{
    yaml_node_t *v = sl_jy_get(&p->y, map, key);
    if (!v) return 0;
    char sub[512];
    snprintf(sub, sizeof sub, "%s.%s", path, key);
    return sl_jy_text(&p->y, v, sub, what, out);
}

/* Why a job or table name cannot name a directory, or NULL when it can. */
static const char *sl_jp_name_problem(const char *name, char *why, size_t n)
{
    size_t len = strlen(name);
    if (sl_jy_blank(name)) return "it is empty or only blanks";
    if (len > SL_JOB_MAX_NAME) {
        snprintf(why, n, "it is %zu characters long; at most %d", len, SL_JOB_MAX_NAME);
        return why;
    }
    if (name[0] == '.') return "it starts with '.' (a hidden directory)";
    for (const char *c = name; *c; c++)
        if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') && !(*c >= '0' && *c <= '9') && *c != '_' &&
            *c != '-' && *c != '.') {
            if (isprint((unsigned char)*c)) snprintf(why, n, "it contains '%c'", *c);
            else snprintf(why, n, "it contains the byte 0x%02x", (unsigned char)*c);
            return why;
        }
    return NULL;
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

    if (sl_jp_text_key(p, map, "url", path, "a URL or conninfo (sqlite: a file)", &s->url) < 0 ||
        sl_jp_text_key(p, map, "path", path, "the input file or directory", &s->path) < 0 ||
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
    static const char *const s3_keys[] = { "region", "endpoint", NULL };
    if (strcmp(s->kind, "parquet") && sl_jp_reject_keys(p, map, path, s3_keys, s->kind, "sources (only parquet "
                                                        "sources at s3:// paths)") < 0)
        return -1;
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
        if (sl_jp_text_key(p, map, "region", path, "an AWS region (e.g. eu-west-1)", &s->region) < 0 ||
            sl_jp_text_key(p, map, "endpoint", path, "the URL of an S3-compatible server", &s->endpoint) < 0)
            return -1;
        if (strncmp(s->path, "s3://", 5)) {
            static const char *const s3_only[] = { "region", "endpoint", NULL };
            if (sl_jp_reject_keys(p, map, path, s3_only, "parquet", "sources (only s3:// paths)") < 0) return -1;
            s->path = sl_jp_resolve(p, s->path);
        }
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
    if (sl_jp_text_key(p, map, "url", path, "the warehouse's URL or conninfo", &t->url) < 0 ||
        sl_jp_text_key(p, map, "schema", path, "a schema name (leave it out for public)", &t->schema) < 0 ||
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

/* The keys of a parquet or csv target at an s3:// path. */
static int sl_jp_s3_target(sl_jp *p, yaml_node_t *map, const char *path, sl_job_target *t)
{
    char sub[600];
    snprintf(sub, sizeof sub, "%s.path", path);
    if (!strcmp(t->kind, "duckdb"))
        return sl_jy_fail(&p->y, sl_jy_get(&p->y, map, "path"), sub, "a duckdb target is a local database file, "
                          "not an s3:// URL");
    const char *b = t->path + 5;
    if (!*b || *b == '/')
        return sl_jy_fail(&p->y, sl_jy_get(&p->y, map, "path"), sub, "'%s' names no bucket (s3://bucket/prefix)",
                          t->path);
    if (sl_jp_text_key(p, map, "region", path, "an AWS region (e.g. eu-west-1)", &t->region) < 0 ||
        sl_jp_text_key(p, map, "endpoint", path, "the URL of an S3-compatible server", &t->endpoint) < 0 ||
        sl_jp_int_key(p, map, "keep_versions", path, 1, 64, &t->keep_versions) < 0)
        return -1;
    yaml_node_t *v = sl_jy_get(&p->y, map, "layout");
    if (v) {
        static const char *const layouts[] = { "manifest", "flat", NULL };
        char *layout;
        snprintf(sub, sizeof sub, "%s.layout", path);
        if (sl_jy_choice(&p->y, v, sub, layouts, &layout) < 0) return -1;
        t->layout_flat = !strcmp(layout, "flat");
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
    if (!kind) return sl_jy_fail(&p->y, map, path, "missing key 'kind' (parquet, csv, duckdb or postgres)");
    snprintf(sub, sizeof sub, "%s.kind", path);
    if (sl_jy_choice(&p->y, kind, sub, sl_target_kinds, &t->kind) < 0) return -1;
    if (!strcmp(t->kind, "postgres")) return sl_jp_warehouse_target(p, map, path, t);
    bool duckdb = !strcmp(t->kind, "duckdb");
    static const char *const pg_only[] = { "url", "max_connections", "staging", NULL };
    if (sl_jp_reject_keys(p, map, path, pg_only, t->kind, "targets") < 0) return -1;
    if (sl_jp_text_key(p, map, "path", path, duckdb ? "the DuckDB database file" : "the directory tables are written to",
                       &t->path) < 0)
        return -1;
    if (!t->path)
        return sl_jy_fail(&p->y, map, path, duckdb ? "missing key 'path' (the DuckDB database file, e.g. "
                                                     "./warehouse.duckdb)"
                                                   : "missing key 'path' (the directory tables are written to)");
    bool s3 = !strncmp(t->path, "s3://", 5);
    static const char *const s3_only[] = { "region", "endpoint", "layout", "keep_versions", NULL };
    if (!s3 && sl_jp_reject_keys(p, map, path, s3_only, t->kind, "targets (only s3:// paths)") < 0) return -1;
    if (s3 && sl_jp_s3_target(p, map, path, t) < 0) return -1;
    if (!s3) t->path = sl_jp_resolve(p, t->path);
    if (sl_jp_is_root(t->path)) {
        snprintf(sub, sizeof sub, "%s.path", path);
        return sl_jy_fail(&p->y, sl_jy_get(&p->y, map, "path"), sub,
                          "'%s' is the file-system root: tables would replace its top-level directories; "
                          "give a directory of their own (e.g. /srv/lake)", t->path);
    }
    bool parquet = !strcmp(t->kind, "parquet");
    t->compression = parquet ? "zstd" : "none";
    yaml_node_t *v;
    if (duckdb) {
        static const char *const pq_only[] = { "compression", "compression_level", "row_group_bytes", "page_bytes",
                                               NULL };
        if (sl_jp_reject_keys(p, map, path, pq_only, "duckdb", "targets") < 0) return -1;
        if (!*t->path || t->path[strlen(t->path) - 1] == '/')
            return sl_jy_fail(&p->y, sl_jy_get(&p->y, map, "path"), path, "'path' must name the database file "
                              "(e.g. ./warehouse.duckdb), not a directory");
        /* Staged task outputs are read once, by DuckDB, at publish: a fast codec. */
        t->compression = "snappy";
        if (sl_jp_text_key(p, map, "schema", path, "a schema name (leave it out for main)", &t->schema) < 0) return -1;
        return 0;
    }
    static const char *const duck_only[] = { "schema", NULL };
    if (sl_jp_reject_keys(p, map, path, duck_only, t->kind, "targets (only duckdb targets have schemas)") < 0)
        return -1;
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
    if ((v = sl_jy_get(&p->y, map, "compression_level"))) {
        snprintf(sub, sizeof sub, "%s.compression_level", path);
        const struct sl_codec_levels *range = NULL;
        for (size_t i = 0; i < sizeof sl_codec_levels / sizeof sl_codec_levels[0]; i++)
            if (!strcmp(sl_codec_levels[i].codec, t->compression)) range = &sl_codec_levels[i];
        if (!range)
            return sl_jy_fail(&p->y, v, sub, "compression %s has no levels (gzip 1..9, zstd -131072..22 and "
                                             "lz4_raw 1..65537 do); remove compression_level", t->compression);
        int64_t level;
        if (sl_jy_int(&p->y, v, sub, INT_MIN, INT_MAX, &level) < 0) return -1;
        if (level < range->min || level > range->max)
            return sl_jy_fail(&p->y, v, sub, "level %lld is out of range for %s (%d to %d)", (long long)level,
                              t->compression, range->min, range->max);
        t->compression_level = (int)level;
    }
    /* Parquet page sizes are 32-bit; a row group is held in memory. */
    if ((v = sl_jy_get(&p->y, map, "row_group_bytes"))) {
        snprintf(sub, sizeof sub, "%s.row_group_bytes", path);
        if (sl_jy_size(&p->y, v, sub, (int64_t)64 << 10, (int64_t)64 << 30, &t->row_group_bytes) < 0) return -1;
    }
    if ((v = sl_jy_get(&p->y, map, "page_bytes"))) {
        snprintf(sub, sizeof sub, "%s.page_bytes", path);
        if (sl_jy_size(&p->y, v, sub, (int64_t)1 << 10, (int64_t)1 << 30, &t->page_bytes) < 0) return -1;
    }
    return 0;
}

/* A reference (`from:` or `to:`) to a source or target by name. */
int sl_jp_ref(sl_jp *p, yaml_node_t *v, const char *path, const char *what, const sl_strmap *defined,
                     const char *const *names, int n, int *index)
{
    char *ref;
    if (sl_jy_string(&p->y, v, path, &ref) < 0) return -1;
    if ((*index = sl_strmap_get(defined, ref, strlen(ref))) >= 0) return 0;
    /* Suggestions cost an edit distance per name: not among thousands. */
    const char *hint = n <= 1000 ? sl_did_you_mean(ref, names, n) : NULL;
    if (hint) return sl_jy_fail(&p->y, v, path, "unknown %s '%s' (did you mean '%s'?)", what, ref, hint);
    char list[512] = "";
    size_t used = 0;
    for (int j = 0; j < n && used < sizeof list; j++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", names[j]);
    return sl_jy_fail(&p->y, v, path, "unknown %s '%s' (defined: %s)", what, ref, n ? list : "none");
}

int sl_jp_type(sl_jp *p, yaml_node_t *v, const char *path, sl_type *out)
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
        if (sl_jy_text(&p->y, n, sub, "the column's name", &c->name) < 0) return -1;
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
    bool map = v->type == YAML_MAPPING_NODE;
    if (!map && v->type != YAML_SEQUENCE_NODE)
        return sl_jy_fail(&p->y, v, path, "expected a mapping of column: type (or a list of {name, type}), found %s",
                          sl_jy_what(v));
    int n = map ? sl_jy_map_len(v) : sl_jy_seq_len(v);
    t->columns = sl_arena_alloc(&p->job->arena, sizeof *t->columns * (size_t)(n ? n : 1));
    sl_strmap seen = { 0 };
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        yaml_node_t *at = map ? sl_jy_map_key(&p->y, v, i) : sl_jy_seq_item(&p->y, v, i);
        const char *name = NULL;
        if (map) {
            name = sl_jy_key_text(&p->y, at);
            if (!name || sl_jy_blank(name)) {
                rc = sl_jy_fail(&p->y, at, path, "a column name must be a non-empty string");
                break;
            }
            snprintf(sub, sizeof sub, "%s.%s", path, name);
        } else {
            snprintf(sub, sizeof sub, "%s[%d]", path, i);
        }
        memset(&t->columns[i], 0, sizeof t->columns[i]);
        rc = sl_jp_column(p, name, at, map ? sl_jy_map_value(&p->y, v, i) : at, sub, &t->columns[i]);
        if (rc < 0) break;
        const char *cn = t->columns[i].name;
        if (sl_strmap_put(&seen, cn, strlen(cn), i) >= 0)
            rc = sl_jy_fail(&p->y, at, map ? path : sub, "column '%s' appears twice", cn);
        else
            t->ncolumns = i + 1;
    }
    sl_strmap_free(&seen);
    return rc;
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
        if (sl_jy_text(&p->y, x, sub, "the column to cut the table on", &part->column) < 0) return -1;
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
int sl_jp_name_list(sl_jp *p, yaml_node_t *v, const char *path, char ***out, int *n)
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
int sl_jp_known_columns(sl_jp *p, yaml_node_t *v, const char *path, const sl_job_table *t, char **names,
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
int sl_jp_warehouse_table(sl_jp *p, yaml_node_t *map, const char *path, sl_job_table *t)
{
    static const char *const keys[] = { "write", "key", "delete_missing", "on_schema_change", "indexes", NULL };
    bool warehouse = false;
    for (int k = 0; k < t->ntargets; k++) warehouse = warehouse || sl_job_target_is_warehouse(t->targets[k]);
    if (!warehouse && !t->incr.cursor) {
        char who[160];
        snprintf(who, sizeof who, "%s targets (only to warehouse targets: duckdb, postgres; a lake table is always "
                 "replaced as a whole)", t->target ? t->target->kind : "no");
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

/* to: one target, or a list of them (each task writes every one). */
int sl_jp_to(sl_jp *p, yaml_node_t *to, const char *path, sl_job_table *t, const char *const *target_names)
{
    char sub[700];
    int ti;
    bool list = to->type == YAML_SEQUENCE_NODE;
    int nto = list ? sl_jy_seq_len(to) : 1;
    if (nto == 0) return sl_jy_fail(&p->y, to, path, "'to' lists no target; name at least one");
    if (nto > SL_JOB_MAX_TARGETS)
        return sl_jy_fail(&p->y, to, path, "'to' lists %d targets; at most %d", nto, SL_JOB_MAX_TARGETS);
    t->targets = sl_arena_alloc(&p->job->arena, sizeof *t->targets * (size_t)(nto + 1));   /* + the work target */
    for (int k = 0; k < nto; k++) {
        yaml_node_t *item = list ? sl_jy_seq_item(&p->y, to, k) : to;
        if (list) snprintf(sub, sizeof sub, "%s.to[%d]", path, k);
        else snprintf(sub, sizeof sub, "%s.to", path);
        if (sl_jp_ref(p, item, sub, "target", &p->targets, target_names, p->job->ntargets - (p->job->work ? 1 : 0), &ti) < 0)
            return -1;
        for (int j = 0; j < k; j++)
            if (t->targets[j] == &p->job->targets[ti])
                return sl_jy_fail(&p->y, item, sub, "target '%s' is listed twice", t->targets[j]->name);
        t->targets[k] = &p->job->targets[ti];
    }
    t->ntargets = nto;
    t->target = t->targets[0];
    t->to = t->target->name;
    return 0;
}

int sl_jp_table(sl_jp *p, const char *name, yaml_node_t *key, yaml_node_t *map, sl_job_table *t,
                const char *const *source_names, const char *const *target_names)
{
    char path[512], sub[700];
    snprintf(path, sizeof path, "tables.%s", name);
    char why[128];
    const char *problem = p->in_pattern ? NULL : sl_jp_name_problem(name, why, sizeof why);
    if (problem)
        return sl_jy_fail(&p->y, key, "tables", "table name '%.60s%s' cannot name its directory: %s (use letters, "
                                                "digits, '_', '-' and '.', not starting with '.')",
                          name, strlen(name) > 60 ? "..." : "", problem);
    if (sl_jy_expect_map(&p->y, map, path) < 0) return -1;
    if (sl_jy_check_keys(&p->y, map, path, sl_table_keys) < 0) return -1;
    if (!p->in_pattern) {
        static const char *const pattern_only[] = { "exclude", "name", "partitions", NULL };
        if (sl_jp_reject_keys(p, map, path, pattern_only, "a table named without a glob", "(they belong to "
                              "patterns such as \"public.*\")") < 0)
            return -1;
    }
    t->name = sl_arena_strdup(&p->job->arena, name);
    t->line = (int)key->start_mark.line + 1;
    t->column = (int)key->start_mark.column + 1;
    t->partition.strategy = "auto";

    /* sql: instead of from: - a computed table (sl_job_sql.c). */
    if (sl_jy_get(&p->y, map, "sql")) return sl_jp_sql_table(p, map, path, t, target_names);
    yaml_node_t *from = sl_jy_get(&p->y, map, "from"), *to = sl_jy_get(&p->y, map, "to");
    if (!from) return sl_jy_fail(&p->y, map, path, "missing key 'from' (the name of a source) or 'sql' (a query "
                                                  "over other tables of the job)");
    if (!to && !p->has_sql) return sl_jy_fail(&p->y, map, path, "missing key 'to' (the name of a target)");
    int si;
    snprintf(sub, sizeof sub, "%s.from", path);
    if (sl_jp_ref(p, from, sub, "source", &p->sources, source_names, p->job->nsources, &si) < 0) return -1;
    if (to && sl_jp_to(p, to, path, t, target_names) < 0) return -1;
    t->source = &p->job->sources[si];
    t->from = t->source->name;

    if (sl_jp_text_key(p, map, "table", path, "the relation to read (e.g. public.orders)", &t->table) < 0 ||
        sl_jp_text_key(p, map, "query", path, "the query to read", &t->query) < 0 ||
        sl_jp_text_key(p, map, "file", path, "a file name or glob in the source directory", &t->file) < 0 ||
        sl_jp_text_key(p, map, "rejects", path, "a file for malformed rows", &t->rejects) < 0)
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
        /* `table:` defaults to the output name; a pattern's tables get theirs when it is expanded. */
        if (!t->table && !t->query && !p->in_pattern) t->table = t->name;
    }
    if (p->in_pattern && (t->table || t->query || t->file))
        return sl_jy_fail(&p->y, map, path, "a pattern selects its relations: give table:, query: or file: in an "
                                            "entry of its own (it overrides what the pattern selects)");
    char *verify = NULL;
    if (sl_jp_text_key(p, map, "verify", path, "source or none", &verify) < 0) return -1;
    if (verify) {
        yaml_node_t *vn = sl_jy_get(&p->y, map, "verify");
        if (strcmp(verify, "source") && strcmp(verify, "none"))
            return sl_jy_fail(&p->y, vn, path, "verify: '%s' is not one of source, none", verify);
        t->verify_source = !strcmp(verify, "source");
        if (t->verify_source && strcmp(kind, "postgres"))
            return sl_jy_fail(&p->y, vn, path, "verify: source reconciles with a postgres source only (the %s "
                                               "source has no aggregates to compare); remove it", kind);
    }
    yaml_node_t *v;
    if ((v = sl_jy_get(&p->y, map, "partition"))) {
        snprintf(sub, sizeof sub, "%s.partition", path);
        if (sl_jp_partition(p, v, sub, &t->partition) < 0) return -1;
        /* What the sources refuse once connected, when the file alone shows it. */
        const char *st = t->partition.strategy;
        bool cut = strcmp(st, "auto") && strcmp(st, "none");
        if (!strcmp(kind, "csv") && (cut || t->partition.column))
            return sl_jy_fail(&p->y, v, sub, "does not apply to tables read from csv sources (one task per file); "
                                             "remove it, or give a glob in file:");
        if (!strcmp(kind, "parquet") && (t->partition.column || cut))
            return sl_jy_fail(&p->y, v, sub, "a parquet table is cut by files and row groups: give only count "
                                             "(about that many tasks) or none (a task per file)");
        if (t->query && !strcmp(kind, "postgres") && !strcmp(st, "pages"))
            return sl_jy_fail(&p->y, v, sub, "strategy pages needs a table (it cuts the table's blocks), not a "
                                             "query; give partition: {column: ...} with range or histogram");
        if (t->query && cut && !t->partition.column)
            return sl_jy_fail(&p->y, v, sub, "strategy %s on a query needs a column (partition: {column: ...}): "
                                             "a query has no key to choose from", st);
    }
    if ((v = sl_jy_get(&p->y, map, "columns"))) {
        snprintf(sub, sizeof sub, "%s.columns", path);
        if (sl_jp_columns(p, v, sub, t) < 0) return -1;
    }
    if (sl_jp_checks(p, map, path, t) < 0 || sl_jp_guard(p, map, path, t) < 0) return -1;
    if (sl_jp_table_types(p, map, path, t) < 0) return -1;
    if (sl_jp_incremental(p, map, path, t) < 0) return -1;
    if (sl_jp_warehouse_table(p, map, path, t) < 0) return -1;
    return sl_jp_incremental_check(p, map, path, t);
}

/* A section: a mapping of name -> definition; returns its node or fails. */
static yaml_node_t *sl_jp_section(sl_jp *p, yaml_node_t *root, const char *key, const char *what, sl_strmap *names)
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
        if (!name || strlen(name) != k->data.scalar.length) {
            sl_jy_fail(&p->y, k, key, "a name must be a non-empty plain word, found %s", sl_jy_what(k));
            return NULL;
        }
        if (sl_jy_blank(name)) {
            sl_jy_fail(&p->y, k, key, "a name cannot be empty or only blanks");
            return NULL;
        }
        if (sl_strmap_put(names, name, strlen(name), i) >= 0) {
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
        char why[128];
        const char *problem = sl_jp_name_problem(job->name, why, sizeof why);
        if (problem)
            return sl_jy_fail(&p->y, v, "name", "'%.60s%s' is not a valid job name: %s (letters, digits, '_', '-', "
                                                "'.', not starting with '.')",
                              job->name, strlen(job->name) > 60 ? "..." : "", problem);
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

    if (sl_jp_alerts(p, root) < 0) return -1;

    /* Sections in order, each parsed fully before the next is looked at. */
    yaml_node_t *sources = sl_jp_section(p, root, "sources", "where tables are read from", &p->sources);
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
    yaml_node_t *targets = sl_jp_section(p, root, "targets", "where tables are written to", &p->targets);
    if (!targets) return -1;
    int nt = sl_jy_map_len(targets);
    p->has_sql = sl_jp_has_sql(p, root);
    job->targets = sl_arena_alloc(&job->arena, sizeof *job->targets * (size_t)(nt + 1));   /* + the work target */
    memset(job->targets, 0, sizeof *job->targets * (size_t)(nt + 1));
    const char **target_names = sl_arena_alloc(&job->arena, sizeof(char *) * (size_t)nt);
    for (int i = 0; i < nt; i++) {
        yaml_node_t *k = sl_jy_map_key(&p->y, targets, i);
        target_names[i] = sl_jy_key_text(&p->y, k);
        if (sl_jp_target(p, target_names[i], k, sl_jy_map_value(&p->y, targets, i), &job->targets[i]) < 0) return -1;
        job->ntargets = i + 1;
    }
    if (p->has_sql && sl_jp_sql_setup(p, root) < 0) return -1;
    if (sl_jp_defaults(p, root) < 0) return -1;
    sl_strmap table_names = { 0 };
    yaml_node_t *tables = sl_jp_section(p, root, "tables", "the tables to copy", &table_names);
    sl_strmap_free(&table_names);
    if (!tables) return -1;
    int ntab = sl_jy_map_len(tables);
    job->tables = sl_arena_alloc(&job->arena, sizeof *job->tables * (size_t)ntab);
    memset(job->tables, 0, sizeof *job->tables * (size_t)ntab);
    int *table_key = sl_arena_alloc(&job->arena, sizeof *table_key * (size_t)ntab);
    for (int i = 0; i < ntab; i++) {
        yaml_node_t *k = sl_jy_map_key(&p->y, tables, i), *v = sl_jy_map_value(&p->y, tables, i);
        const char *name = sl_jy_key_text(&p->y, k);
        if (sl_jp_apply_defaults(p, v) < 0) return -1;
        if (sl_jp_is_pattern(name)) { /* "public.*": tables chosen when the job is prepared */
            if (sl_jp_pattern(p, name, k, v, job->ntables, source_names, target_names) < 0) return -1;
            continue;
        }
        if (sl_jp_table(p, name, k, v, &job->tables[job->ntables], source_names, target_names) < 0) return -1;
        table_key[job->ntables++] = i;
    }
    if (p->has_sql && sl_jp_sql_finish(p, tables) < 0) return -1;
    /* Two tables landing in the same directory would overwrite each other
     * (names compared without case, for case-insensitive file systems). */
    sl_strmap dirs = { 0 };
    int rc = 0;
    ntab = job->ntables;
    for (int i = 0; i < ntab && rc == 0; i++) {
        const sl_job_table *t = &job->tables[i];
        for (int k = 0; k < t->ntargets && rc == 0; k++) {
            const char *place = t->targets[k]->path ? t->targets[k]->path : t->targets[k]->name;
            size_t lp = strlen(place), ln = strlen(t->name);
            char *dir = sl_arena_alloc(&job->arena, lp + ln + 2);
            memcpy(dir, place, lp + 1);
            for (size_t c = 0; c <= ln; c++) dir[lp + 1 + c] = (char)tolower((unsigned char)t->name[c]);
            int j = sl_strmap_put(&dirs, dir, lp + ln + 1, i);
            if (j >= 0 && j != i)
                rc = sl_jy_fail(&p->y, sl_jy_map_key(&p->y, tables, table_key[i]), "tables",
                                "tables '%s' and '%s' would be written to the same place (%s)", job->tables[j].name,
                                t->name, place);
        }
    }
    sl_strmap_free(&dirs);
    if (rc == 0) rc = sl_jp_checks_resolve(p);
    return rc;
}

bool sl_job_target_is_warehouse(const sl_job_target *t)
{
    return t && (!strcmp(t->kind, "postgres") || !strcmp(t->kind, "duckdb"));
}

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
    sl_strmap_free(&p.sources);
    sl_strmap_free(&p.targets);
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
