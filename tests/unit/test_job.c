/*
 * test_job.c - the job file parser: DESIGN.md's example as written, the
 * defaults, ${ENV} interpolation, path resolution, and every kind of error
 * with its file:line:column and did-you-mean.
 */
#include <criterion/criterion.h>

#include "core/sl_buf.h"
#include "job/sl_job.h"
#include "job/sl_job_yaml.h"
#include "parquet/sl_compress.h"
#include "parquet/sl_pq_format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static sl_job *parse(const char *text, sl_err *err)
{
    sl_err_clear(err);
    return sl_job_parse(text, strlen(text), "jobs/job.yaml", err);
}

/* Parsing must fail with a message containing every fragment given. */
static void expect_error(const char *text, const char *frag1, const char *frag2)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse(text, &err);
    cr_assert_null(job, "accepted: %s", text);
    cr_assert_eq(err.code, SL_EJOB, "%s", err.msg);
    cr_assert_eq(sl_code_exit_status(err.code), 2);
    cr_assert(strstr(err.msg, frag1), "'%s' not in: %s", frag1, err.msg);
    if (frag2) cr_assert(strstr(err.msg, frag2), "'%s' not in: %s", frag2, err.msg);
}

static const char design_example[] =
    "name: shop_to_lake\n"
    "sources:\n"
    "  shop: { kind: postgres, url: \"${SHOP_DATABASE_URL}\", max_connections: 4 }\n"
    "targets:\n"
    "  lake: { kind: parquet, path: ./lake, compression: zstd }\n"
    "tables:\n"
    "  orders:\n"
    "    from: shop\n"
    "    table: public.orders          # or: query: \"select ... from ...\"\n"
    "    partition: { column: id, count: auto }   # strategy: auto|range|histogram|mod|pages\n"
    "    to: lake\n"
    "  customers: { from: shop, table: public.customers, to: lake }\n";

Test(job, design_example_as_written)
{
    setenv("SHOP_DATABASE_URL", "postgres://u:pw@db:5432/shop", 1);
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse(design_example, &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_str_eq(job->name, "shop_to_lake");
    cr_assert_eq(job->nsources, 1);
    cr_assert_str_eq(job->sources[0].kind, "postgres");
    cr_assert_str_eq(job->sources[0].url, "postgres://u:pw@db:5432/shop");
    cr_assert_eq(job->sources[0].max_connections, 4);
    cr_assert_eq(job->ntargets, 1);
    cr_assert_str_eq(job->targets[0].path, "jobs/lake");
    cr_assert_str_eq(job->targets[0].compression, "zstd");
    cr_assert_eq(job->ntables, 2);
    const sl_job_table *o = &job->tables[0];
    cr_assert_str_eq(o->name, "orders");
    cr_assert_eq(o->source, &job->sources[0]);
    cr_assert_eq(o->target, &job->targets[0]);
    cr_assert_str_eq(o->table, "public.orders");
    cr_assert_null(o->query);
    cr_assert_str_eq(o->partition.strategy, "auto");
    cr_assert_str_eq(o->partition.column, "id");
    cr_assert_eq(o->partition.count, 0);
    cr_assert_eq(o->line, 7);
    cr_assert_eq(o->column, 3);
    cr_assert_str_eq(job->tables[1].table, "public.customers");
    cr_assert_str_eq(job->tables[1].partition.strategy, "auto");
    cr_assert_str_eq(job->dir, "jobs");
    sl_job_free(job);
}

Test(job, defaults)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse("sources:\n  f: { kind: csv, path: /data }\n"
                        "targets:\n  out: { kind: csv, path: /out }\n"
                        "tables:\n  t: { from: f, file: t.csv, to: out }\n", &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_str_eq(job->name, "job");            /* from the file name */
    cr_assert_eq(job->retries, 3);
    cr_assert_float_eq(job->retry_backoff_s, 1.0, 1e-9);
    const sl_job_source *s = &job->sources[0];
    cr_assert_eq(s->max_connections, 4);
    cr_assert_eq(s->delimiter, ',');
    cr_assert(s->header);
    cr_assert_str_eq(s->null_string, "");
    cr_assert_str_eq(s->compression, "auto");
    cr_assert_str_eq(s->path, "/data");           /* absolute stays */
    cr_assert_str_eq(job->targets[0].compression, "none");
    cr_assert_eq(job->tables[0].ncolumns, 0);
    cr_assert_null(job->tables[0].rejects);
    sl_job_free(job);
}

Test(job, all_keys)
{
    setenv("SL_TEST_ROWS", "5000", 1);
    unsetenv("SL_TEST_UNSET");
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse("name: full\nretries: 5\nretry_backoff: 500ms\n"
                        "sources:\n"
                        "  pg: { kind: postgres, url: \"postgres://h/db\", consistent: true, statement_timeout: 2m,\n"
                        "        rows_per_second: \"${SL_TEST_ROWS}\", max_connections: \"${SL_TEST_UNSET:-2}\" }\n"
                        "  lite: { kind: sqlite, path: shop.db }\n"
                        "  files: { kind: csv, path: in, delimiter: tab, header: no, null_string: NULL, compression: gzip }\n"
                        "targets:\n"
                        "  lake: { kind: parquet, path: lake, compression: gzip, compression_level: 3,\n"
                        "          row_group_bytes: 64MiB, page_bytes: 512KiB }\n"
                        "tables:\n"
                        "  a: { from: pg, query: 'select 1 as x', to: lake, partition: none }\n"
                        "  b: { from: lite, table: items, to: lake, partition: { strategy: mod, column: id, count: 8 },\n"
                        "       columns: { id: bigint, price: 'decimal(12,2)', note: { type: text, nullable: false } } }\n"
                        "  c:\n"
                        "    from: files\n"
                        "    file: c.csv.gz\n"
                        "    rejects: bad/c.csv\n"
                        "    to: lake\n"
                        "    columns:\n"
                        "      - { name: id, type: int64, nullable: false }\n"
                        "      - name: when\n"
                        "        type: timestamptz\n", &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_eq(job->retries, 5);
    cr_assert_float_eq(job->retry_backoff_s, 0.5, 1e-9);
    cr_assert(job->sources[0].consistent);
    cr_assert_eq(job->sources[0].statement_timeout_s, 120);
    cr_assert_float_eq(job->sources[0].rows_per_second, 5000, 1e-9);
    cr_assert_eq(job->sources[0].max_connections, 2);
    cr_assert_str_eq(job->sources[1].url, "jobs/shop.db");
    cr_assert_eq(job->sources[2].delimiter, '\t');
    cr_assert(!job->sources[2].header);
    cr_assert_str_eq(job->sources[2].null_string, "NULL");
    cr_assert_str_eq(job->sources[2].compression, "gzip");
    cr_assert_str_eq(job->sources[2].path, "jobs/in");
    cr_assert_str_eq(job->targets[0].compression, "gzip");
    cr_assert_eq(job->targets[0].compression_level, 3);
    cr_assert_eq(job->targets[0].row_group_bytes, 64 << 20);
    cr_assert_eq(job->targets[0].page_bytes, 512 << 10);
    cr_assert_str_eq(job->tables[0].query, "select 1 as x");
    cr_assert_str_eq(job->tables[0].partition.strategy, "none");
    cr_assert_str_eq(job->tables[1].partition.strategy, "mod");
    cr_assert_eq(job->tables[1].partition.count, 8);
    cr_assert_eq(job->tables[1].ncolumns, 3);
    cr_assert_eq(job->tables[1].columns[1].type.id, SL_T_DECIMAL);
    cr_assert_eq(job->tables[1].columns[1].type.scale, 2);
    cr_assert(!job->tables[1].columns[2].nullable);
    cr_assert(job->tables[1].columns[0].nullable);
    cr_assert_str_eq(job->tables[2].rejects, "jobs/bad/c.csv");
    cr_assert_eq(job->tables[2].ncolumns, 2);
    cr_assert_str_eq(job->tables[2].columns[1].name, "when");
    cr_assert(job->tables[2].columns[1].type.utc);
    sl_job_free(job);
}

Test(job, env_interpolation)
{
    setenv("SL_A", "x", 1);
    unsetenv("SL_MISSING");
    sl_jy y = { 0 };
    sl_arena a;
    sl_arena_init(&a, 1024);
    sl_err err = SL_ERR_INIT;
    y.file = "f.yaml";
    y.arena = &a;
    y.err = &err;
    char *out;
    const char *cases[][2] = {
        { "plain", "plain" },           { "${SL_A}", "x" },         { "a${SL_A}b${SL_A}", "axbx" },
        { "${SL_MISSING:-def}", "def" }, { "${SL_MISSING:-}", "" },  { "$$5", "$5" },
        { "cost $5", "cost $5" },       { "${SL_A:-zzz}", "x" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(sl_jy_interpolate(&y, NULL, "k", cases[i][0], strlen(cases[i][0]), &out), 0, "%s: %s",
                     cases[i][0], err.msg);
        cr_assert_str_eq(out, cases[i][1]);
    }
    cr_assert_eq(sl_jy_interpolate(&y, NULL, "k", "${SL_MISSING}", 13, &out), -1);
    cr_assert(strstr(err.msg, "SL_MISSING is not set"), "%s", err.msg);
    cr_assert_eq(sl_jy_interpolate(&y, NULL, "k", "${SL_A", 6, &out), -1);
    cr_assert(strstr(err.msg, "unterminated"), "%s", err.msg);
    cr_assert_eq(sl_jy_interpolate(&y, NULL, "k", "${}", 3, &out), -1);
    sl_arena_destroy(&a);
}

Test(job, missing_env_names_variable_and_line)
{
    unsetenv("SHOP_DATABASE_URL");
    expect_error(design_example, "jobs/job.yaml:3:32: sources.shop.url: environment variable SHOP_DATABASE_URL is not set",
                 NULL);
}

Test(job, unknown_key_with_did_you_mean)
{
    setenv("SHOP_DATABASE_URL", "postgres://x/y", 1);
    char *text = strdup(design_example);
    char *p = strstr(text, "partition:");
    memcpy(p, "partiton: ", 10);
    expect_error(text, "jobs/job.yaml:10:5: tables.orders: unknown key 'partiton' (did you mean 'partition'?)", NULL);
    free(text);
    expect_error("nme: x\n", "job.yaml:1:1: unknown key 'nme' (did you mean 'name'?)", NULL);
    expect_error("sources: {}\nfoo: 1\n", "2:1: unknown key 'foo' (expected one of: name, sources", NULL);
}

Test(job, unknown_source_and_target_names)
{
    const char *base = "sources:\n  shop: { kind: sqlite, path: a.db }\n  other: { kind: sqlite, path: b.db }\n"
                       "targets:\n  lake: { kind: csv, path: out }\n"
                       "tables:\n  t: { from: %s, table: t, to: %s }\n";
    char text[512];
    snprintf(text, sizeof text, base, "shp", "lake");
    expect_error(text, "job.yaml:7:14: tables.t.from: unknown source 'shp' (did you mean 'shop'?)", NULL);
    snprintf(text, sizeof text, base, "shop", "laek");
    expect_error(text, "tables.t.to: unknown target 'laek' (did you mean 'lake'?)", NULL);
    snprintf(text, sizeof text, base, "warehouse", "lake");
    expect_error(text, "unknown source 'warehouse' (defined: shop, other)", NULL);
}

Test(job, unknown_kinds_and_values)
{
    expect_error("sources:\n  s: { kind: postgress, url: x }\n", "2:14: sources.s.kind: unknown value 'postgress' (did you mean 'postgres'?)", NULL);
    expect_error("sources:\n  s: { kind: oracle, url: x }\n", "unknown value 'oracle' (expected one of: postgres, sqlite, csv, parquet)", NULL);
    expect_error("sources:\n  s: { kind: sqlite, path: x }\ntargets:\n  t: { kind: parquet, path: o, compression: zsdt }\n",
                 "4:45: targets.t.compression: unknown value 'zsdt' (did you mean 'zstd'?)", NULL);
    expect_error("sources:\n  s: { kind: sqlite, path: x }\ntargets:\n  t: { kind: csv, path: o }\n"
                 "tables:\n  a: { from: s, table: a, to: t, partition: { strategy: hist } }\n",
                 "tables.a.partition.strategy: unknown value 'hist'", NULL);
}

Test(job, missing_required_keys)
{
    expect_error("name: x\n", "job.yaml:1:1: missing key 'sources'", NULL);
    expect_error("sources:\n  s: { url: x }\n", "2:6: sources.s: missing key 'kind'", NULL);
    expect_error("sources:\n  s: { kind: postgres }\n", "sources.s: missing key 'url'", NULL);
    expect_error("sources:\n  s: { kind: csv }\n", "sources.s: missing key 'path'", NULL);
    expect_error("sources:\n  s: { kind: sqlite, path: x }\n", "missing key 'targets'", NULL);
    expect_error("sources:\n  s: { kind: sqlite, path: x }\ntargets:\n  t: { kind: csv }\n", "targets.t: missing key 'path'", NULL);
    const char *head = "sources:\n  s: { kind: sqlite, path: x }\ntargets:\n  t: { kind: csv, path: o }\n";
    char text[512];
    snprintf(text, sizeof text, "%stables:\n  a: { table: a, to: t }\n", head);
    expect_error(text, "6:6: tables.a: missing key 'from'", NULL);
    snprintf(text, sizeof text, "%stables:\n  a: { from: s, table: a }\n", head);
    expect_error(text, "tables.a: missing key 'to'", NULL);
    /* `table:` defaults to the output name. */
    snprintf(text, sizeof text, "%stables:\n  a: { from: s, to: t }\n", head);
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse(text, &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_str_eq(job->tables[0].table, "a");
    sl_job_free(job);
    snprintf(text, sizeof text, "%stables:\n  a: { from: s, to: t, table: a, query: b }\n", head);
    expect_error(text, "either 'table' or 'query'", NULL);
    snprintf(text, sizeof text, "%stables: {}\n", head);
    expect_error(text, "tables: is empty", NULL);
}

Test(job, wrong_value_kinds)
{
    expect_error("- a\n- b\n", "job.yaml:1:1: expected a mapping with keys", "found a list");
    expect_error("sources: [a, b]\n", "1:10: sources: expected a mapping", "found a list");
    expect_error("sources:\n  s: [kind, sqlite]\n", "2:6: sources.s: expected a mapping", "found a list");
    expect_error("sources:\n  s: { kind: [sqlite] }\n", "2:14: sources.s.kind: expected a string, found a list", NULL);
    expect_error("sources:\n  s: { kind: postgres, url: x, max_connections: many }\n",
                 "sources.s.max_connections: expected an integer, found 'many'", NULL);
    expect_error("sources:\n  s: { kind: postgres, url: x, max_connections: 0 }\n",
                 "sources.s.max_connections: 0 is out of range", NULL);
    expect_error("sources:\n  s: { kind: postgres, url: x, consistent: maybe }\n", "expected true or false, found 'maybe'", NULL);
    expect_error("retries: -1\n", "1:10: retries: -1 is out of range", NULL);
    expect_error("retry_backoff: soon\n", "retry_backoff: expected a duration", NULL);
    expect_error("name: [x]\n", "name: expected a string, found a list", NULL);
    expect_error("sources:\n  s: { kind: postgres, url: }\n", "sources.s.url: expected a string, found nothing", NULL);
    const char *head = "sources:\n  s: { kind: sqlite, path: x }\ntargets:\n  t: { kind: csv, path: o }\n";
    char text[512];
    snprintf(text, sizeof text, "%stables:\n  a: { from: s, table: a, to: t, partition: { count: 2.5 } }\n", head);
    expect_error(text, "tables.a.partition.count: expected a whole number of tasks or 'auto', found '2.5'", NULL);
    snprintf(text, sizeof text, "%stables:\n  a: { from: s, table: a, to: t, partition: { count: [1] } }\n", head);
    expect_error(text, "tables.a.partition.count: expected a whole number", "found a list");
    snprintf(text, sizeof text, "%stables:\n  a: { from: s, table: a, to: t, partition: { count: 0 } }\n", head);
    expect_error(text, "out of range", NULL);
    snprintf(text, sizeof text, "%stables:\n  a: { from: s, table: a, to: t, partition: [id] }\n", head);
    expect_error(text, "tables.a.partition: expected a mapping", NULL);
}

Test(job, keys_that_do_not_apply_to_a_kind)
{
    expect_error("sources:\n  s: { kind: postgres, url: x, delimiter: ';' }\n",
                 "2:32: sources.s: key 'delimiter' does not apply to postgres sources", NULL);
    expect_error("sources:\n  s: { kind: csv, path: x, url: y }\n", "key 'url' does not apply to csv sources", NULL);
    expect_error("sources:\n  s: { kind: sqlite, path: x }\ntargets:\n  t: { kind: csv, path: o, compression: zstd }\n",
                 "key 'compression' does not apply to csv targets", NULL);
    expect_error("sources:\n  s: { kind: sqlite, path: x }\ntargets:\n  t: { kind: csv, path: o }\n"
                 "tables:\n  a: { from: s, file: a.csv, table: a, to: t }\n",
                 "key 'file' does not apply to tables read from sqlite sources", NULL);
    expect_error("sources:\n  s: { kind: csv, path: x, delimiter: ab }\n", "sources.s.delimiter: expected one character", NULL);
}

Test(job, invalid_column_types)
{
    const char *head = "sources:\n  s: { kind: csv, path: x }\ntargets:\n  t: { kind: csv, path: o }\n";
    char text[600];
    snprintf(text, sizeof text, "%stables:\n  a: { from: s, file: a.csv, to: t, columns: { id: int46 } }\n", head);
    expect_error(text, "6:52: tables.a.columns.id: unknown type 'int46' (did you mean 'int16'?", "valid types: bool, int16");
    snprintf(text, sizeof text, "%stables:\n  a: { from: s, file: a.csv, to: t, columns: { id: geometry } }\n", head);
    expect_error(text, "invalid type 'geometry' (valid types: bool", NULL);
    snprintf(text, sizeof text, "%stables:\n  a: { from: s, file: a.csv, to: t, columns: { n: 'decimal(40,2)' } }\n", head);
    expect_error(text, "invalid type 'decimal(40,2)'", NULL);
    snprintf(text, sizeof text, "%stables:\n  a: { from: s, file: a.csv, to: t, columns: [ { type: int } ] }\n", head);
    expect_error(text, "tables.a.columns[0]: missing key 'name'", NULL);
    snprintf(text, sizeof text, "%stables:\n  a: { from: s, file: a.csv, to: t, columns: { x: { typ: int } } }\n", head);
    expect_error(text, "unknown key 'typ' (did you mean 'type'?)", NULL);
    snprintf(text, sizeof text, "%stables:\n  a: { from: s, file: a.csv, to: t, columns: 3 }\n", head);
    expect_error(text, "tables.a.columns: expected a mapping of column: type", NULL);
}

Test(job, duplicates_and_bad_names)
{
    expect_error("name: a\nname: b\n", "2:1: key 'name' appears twice", NULL);
    expect_error("sources:\n  s: { kind: sqlite, path: x }\ntargets:\n  t: { kind: csv, path: o }\n"
                 "tables:\n  ../etc: { from: s, table: a, to: t }\n",
                 "6:3: tables: table name '../etc' cannot name its directory", NULL);
    expect_error("sources:\n  s: { kind: sqlite, path: x }\n  s: { kind: sqlite, path: y }\n", "3:3: sources: 's' is defined twice", NULL);
}

Test(job, yaml_syntax_errors)
{
    expect_error("sources:\n  s: { kind: sqlite\n", "job.yaml:3:1: invalid YAML", NULL);
    expect_error("a: b: c\n", "job.yaml:1:5: invalid YAML: mapping values are not allowed", NULL);
    expect_error("", "the job file is empty", NULL);
    expect_error("# only a comment\n", "the job file is empty", NULL);
    expect_error("\"a\\0b\": 1\n", "a key must be a plain word", NULL);
    expect_error("name: \"a\\0b\"\n", "contains a NUL", NULL);
}

Test(job, anchors_and_aliases)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse("sources:\n  s: &src { kind: sqlite, path: x }\n  s2: *src\n"
                        "targets:\n  t: { kind: csv, path: o }\n"
                        "tables:\n  a: &tab { from: s, table: a, to: t }\n  b: *tab\n", &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_eq(job->nsources, 2);
    cr_assert_eq(job->ntables, 2);
    sl_job_free(job);
}

Test(job, load_reports_missing_file)
{
    sl_err err = SL_ERR_INIT;
    cr_assert_null(sl_job_load("/nonexistent/job.yaml", &err));
    cr_assert(strstr(err.msg, "cannot read job file /nonexistent/job.yaml"), "%s", err.msg);
    cr_assert_eq(sl_code_exit_status(err.code), 2);
}

Test(job, did_you_mean)
{
    const char *c[] = { "partition", "from", "to", "table" };
    cr_assert_str_eq(sl_did_you_mean("partiton", c, 4), "partition");
    cr_assert_str_eq(sl_did_you_mean("tabel", c, 4), "table");
    cr_assert_str_eq(sl_did_you_mean("To", c, 4), "to");
    cr_assert_null(sl_did_you_mean("zzzzzz", c, 4));
    cr_assert_null(sl_did_you_mean("x", c, 4));
    cr_assert_eq(sl_edit_distance("kitten", "sitting"), 3);
}

/* ---- hardening issue: items 1, 18 and 20 ---- */

#define HEAD_SRC "sources:\n  s: { kind: postgres, url: \"postgres://h/db\" }\n"
#define HEAD_TGT "targets:\n  t: { kind: parquet, path: lake }\n"
#define ONE_TABLE "tables:\n  a: { from: s, table: x, to: t }\n"

Test(job, item1_empty_or_blank_paths_urls_and_names)
{
    unsetenv("SL_T_LAKE");
    setenv("SL_T_EMPTY", "", 1);
    expect_error(HEAD_SRC "targets:\n  t: { kind: parquet, path: \"${SL_T_LAKE:-}\" }\n" ONE_TABLE,
                 "4:29: targets.t.path: is empty after expanding '${SL_T_LAKE:-}'", "give the directory");
    expect_error(HEAD_SRC "targets:\n  t: { kind: csv, path: \"${SL_T_EMPTY}\" }\n" ONE_TABLE,
                 "targets.t.path: is empty after expanding", NULL);
    expect_error(HEAD_SRC "targets:\n  t: { kind: csv, path: \"  \" }\n" ONE_TABLE, "targets.t.path: is only blanks",
                 NULL);
    expect_error(HEAD_SRC "targets:\n  t: { kind: csv, path: '' }\n" ONE_TABLE, "targets.t.path: is empty", NULL);
    const char *roots[] = { "/", "//", "/./", "/tmp/..", "/a/b/../../.." };
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, HEAD_SRC "targets:\n  t: { kind: parquet, path: \"%s\" }\n" ONE_TABLE, roots[i]);
        expect_error(text, "targets.t.path: '", "is the file-system root");
    }
    expect_error("sources:\n  s: { kind: postgres, url: '' }\n" HEAD_TGT ONE_TABLE, "2:29: sources.s.url: is empty",
                 NULL);
    expect_error("sources:\n  s: { kind: postgres, url: ' ' }\n" HEAD_TGT ONE_TABLE, "sources.s.url: is only blanks",
                 NULL);
    expect_error("sources:\n  s: { kind: sqlite, path: '' }\n" HEAD_TGT ONE_TABLE, "sources.s.path: is empty", NULL);
    expect_error("sources:\n  s: { kind: csv, path: \"${SL_T_LAKE-}\" }\n" HEAD_TGT
                 "tables:\n  a: { from: s, file: a.csv, to: t }\n", "sources.s.path: is empty after expanding", NULL);
    expect_error("sources:\n  '': { kind: sqlite, path: x }\n" HEAD_TGT ONE_TABLE,
                 "2:3: sources: a name cannot be empty or only blanks", NULL);
    expect_error(HEAD_SRC "targets:\n  ' ': { kind: csv, path: o }\n" ONE_TABLE,
                 "4:3: targets: a name cannot be empty", NULL);
    expect_error(HEAD_SRC HEAD_TGT "tables:\n  '  ': { from: s, table: x, to: t }\n", "tables: a name cannot be empty",
                 NULL);
    expect_error("name: ''\n" HEAD_SRC HEAD_TGT ONE_TABLE, "name: '' is not a valid job name: it is empty or only blanks", NULL);
    expect_error(HEAD_SRC HEAD_TGT "tables:\n  a: { from: s, table: ' ', to: t }\n", "tables.a.table: is only blanks",
                 "give the relation");
    expect_error(HEAD_SRC HEAD_TGT "tables:\n  a: { from: s, query: '', to: t }\n", "tables.a.query: is empty", NULL);
    expect_error(HEAD_SRC HEAD_TGT "tables:\n  a: { from: s, table: x, to: t, partition: { column: ' ' } }\n",
                 "tables.a.partition.column: is only blanks", NULL);
    expect_error(HEAD_SRC HEAD_TGT "tables:\n  a: { from: s, table: x, to: t, columns: { ' ': int } }\n",
                 "a column name must be a non-empty string", NULL);
    expect_error(HEAD_SRC HEAD_TGT "tables:\n  a: { from: s, table: x, to: t, columns: [ { name: '', type: int } ] }\n",
                 "tables.a.columns[0].name: is empty", NULL);
    expect_error("sources:\n  s: { kind: csv, path: in }\n" HEAD_TGT "tables:\n  a: { from: s, file: '', to: t }\n",
                 "tables.a.file: is empty", NULL);
    expect_error("sources:\n  s: { kind: csv, path: in }\n" HEAD_TGT
                 "tables:\n  a: { from: s, file: a.csv, rejects: ' ', to: t }\n", "tables.a.rejects: is only blanks", NULL);
    unsetenv("SL_T_EMPTY");
}

/* The CPU time a parse of text takes, in seconds (CPU rather than wall time:
 * the test machine may be busy); it must fail with `frag`
 * (or succeed with ntables tables when frag is NULL). */
static double timed_parse(const char *text, size_t len, const char *frag, int ntables)
{
    struct timespec t0, t1;
    sl_err err = SL_ERR_INIT;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    sl_job *job = sl_job_parse(text, len, "big.yaml", &err);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
    if (frag) {
        cr_assert_null(job);
        cr_assert(strstr(err.msg, frag), "'%s' not in: %s", frag, err.msg);
    } else {
        cr_assert_not_null(job, "%s", err.msg);
        cr_assert_eq(job->ntables, ntables);
        sl_job_free(job);
    }
    return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

Test(job, item18_deep_nesting_is_refused_quickly_with_its_limit)
{
    /* 200 KB of brackets took half a minute (libyaml's scanner is quadratic in the depth). */
    size_t n = 100000;
    char *text = malloc(2 * n + 32);
    int at = sprintf(text, "sources: ");
    memset(text + at, '[', n);
    memset(text + at + n, ']', n);
    text[at + 2 * n] = '\0';
    double secs = timed_parse(text, strlen(text), "nested deeper than 64 levels", 0);
    cr_assert_lt(secs, 1.0, "%.2f s", secs);
    /* Flow mappings, and block sequences on one line. */
    at = sprintf(text, "sources: ");
    for (size_t i = 0; i < 20000; i++) at += sprintf(text + at, "{a: ");
    secs = timed_parse(text, (size_t)at, "big.yaml:1:", 0);
    cr_assert(strstr(text, "{a:"));
    at = sprintf(text, "sources:\n");
    for (size_t i = 0; i < 50000; i++) at += sprintf(text + at, "- ");
    at += sprintf(text + at, "x\n");
    secs = timed_parse(text, (size_t)at, "nested deeper than 64 levels", 0);
    cr_assert_lt(secs, 1.0, "%.2f s", secs);
    free(text);
    /* 64 levels is the limit; 63 are fine as YAML (then the job check speaks). */
    char ok[256];
    snprintf(ok, sizeof ok, "sources: %.*s%.*s\n", 63, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
             63, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    timed_parse(ok, strlen(ok), "sources: expected a mapping", 0);
}

Test(job, item18_aliases_are_bounded)
{
    /* Each level repeats the one before ten times: a billion values if expanded. */
    char text[4096];
    int at = sprintf(text, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 9; i++)
        at += sprintf(text + at, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i,
                      i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    double secs = timed_parse(text, (size_t)at, "aliases expand the document by more than 1000000 values", 0);
    cr_assert_lt(secs, 1.0, "%.2f s", secs);
    expect_error("sources: &s { a: *s }\n", "1:18: alias *s names no anchor before it", NULL);
    expect_error("sources: *nothing\n", "alias *nothing names no anchor", NULL);
    /* Empty collections before any child was added (found by fuzz_job under UBSan). */
    expect_error("{}\n", "missing key 'sources'", NULL);
    expect_error("[]\n", "expected a mapping with keys", NULL);
    expect_error("{}Ntir'so: [{}NY\n", "invalid YAML", NULL);
}

Test(job, item18_many_tables_parse_in_linear_time)
{
    /* 190k tables (10 MB) took over 40 s: every name was compared with every
     * other. 100k tables (5 MB) took 80 s; now well under a second. */
    int n = 100000;
    sl_buf b = { 0 };
    const char head[] = HEAD_SRC HEAD_TGT "tables:\n";
    sl_buf_append(&b, head, sizeof head - 1);
    char line[128];
    for (int i = 0; i < n; i++) {
        int len = snprintf(line, sizeof line, "  table_%06d: { from: s, table: public.t%d, to: t }\n", i, i);
        sl_buf_append(&b, line, (size_t)len);
    }
    cr_assert_gt(b.len, 5u << 20);
    double secs = timed_parse((const char *)b.data, b.len, NULL, n);
    cr_log_info("%d tables, %zu bytes: %.2f s of CPU", n, b.len, secs);
    /* generous for sanitizer builds */
    cr_assert_lt(secs, 8.0, "%.2f s", secs);
    /* A duplicate at the end is still found (names, then directories without case). */
    const char dup[] = "  table_000007: { from: s, table: x, to: t }\n";
    sl_buf_append(&b, dup, sizeof dup - 1);
    timed_parse((const char *)b.data, b.len, "'table_000007' is defined twice", 0);
    b.len -= sizeof dup - 1;
    const char dup2[] = "  TABLE_000007: { from: s, table: x, to: t }\n";
    sl_buf_append(&b, dup2, sizeof dup2 - 1);
    timed_parse((const char *)b.data, b.len, "tables 'table_000007' and 'TABLE_000007' would be written to the same", 0);
    sl_buf_free(&b);
}

Test(job, item20_second_document_is_an_error)
{
    expect_error(HEAD_SRC HEAD_TGT ONE_TABLE "---\nname: other\n", "job.yaml:7:1: a second YAML document starts here",
                 NULL);
    expect_error(HEAD_SRC HEAD_TGT ONE_TABLE "...\n---\nname: other\n", "job.yaml:8:1: a second YAML document", NULL);
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse("---\n" HEAD_SRC HEAD_TGT ONE_TABLE "...\n# trailing comment\n", &err);
    cr_assert_not_null(job, "one explicit document is fine: %s", err.msg);
    sl_job_free(job);
}

Test(job, item20_interpolation_follows_the_shell)
{
    setenv("SL_SET", "v", 1);
    setenv("SL_EMPTY", "", 1);
    setenv("SL_B", "b", 1);
    unsetenv("SL_UNSET");
    sl_jy y = { 0 };
    sl_arena a;
    sl_arena_init(&a, 1024);
    sl_err err = SL_ERR_INIT;
    y.file = "f.yaml";
    y.arena = &a;
    y.err = &err;
    char *out;
    /* what `sh -c 'echo "..."'` prints */
    const char *cases[][2] = {
        { "${SL_EMPTY:-d}", "d" },        { "${SL_EMPTY-d}", "" },          { "${SL_UNSET-d}", "d" },
        { "${SL_EMPTY}", "" },            { "${SL_SET:-d}", "v" },          { "${SL_UNSET:-${SL_B}}", "b" },
        { "${SL_UNSET:-x${SL_B}y}", "xby" }, { "${SL_UNSET:-${SL_EMPTY:-${SL_B}}}", "b" },
        { "${SL_SET:-${SL_UNSET}}", "v" }, /* a default is expanded only when used */
        { "${SL_SET:+alt}", "alt" },      { "${SL_EMPTY:+alt}", "" },       { "${SL_EMPTY+alt}", "alt" },
        { "${SL_UNSET+alt}", "" },        { "${SL_SET:?must be set}", "v" }, { "${SL_UNSET:-a$$b}", "a$b" },
        { "${SL_UNSET:-{x}}", "{x}" },    { "$SL_SET", "$SL_SET" },          { "${SL_UNSET:-}", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(sl_jy_interpolate(&y, NULL, "k", cases[i][0], strlen(cases[i][0]), &out), 0, "%s: %s",
                     cases[i][0], err.msg);
        cr_assert_str_eq(out, cases[i][1], "%s", cases[i][0]);
    }
    const char *errors[][2] = {
        { "${SL_UNSET:?give the lake dir}", "environment variable SL_UNSET is not set: give the lake dir" },
        { "${SL_EMPTY:?set ${SL_B}}", "environment variable SL_EMPTY is empty: set b" },
        { "${SL_UNSET?}", "environment variable SL_UNSET is not set" },
        { "${SL_UNSET:=x}", "'${SL_UNSET:=...}' assigns in the shell; a job file cannot: write ${SL_UNSET:-...}" },
        { "${SL_SET%x}", "unsupported expansion '${SL_SET%...}' (supported: ${SL_SET}, ${SL_SET:-default}" },
        { "${#SL_SET}", "'${' must be followed by a variable name" },
        { "${SL_UNSET:-${SL_B}", "unterminated '${SL_UNSET'" },
        { "${SL_SET:-${SL_UNSET", "unterminated '${SL_SET'" },
        { "${SL_UNSET:-${SL_UNSET}}", "SL_UNSET is not set" },
        { "${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-x}}}}}}}}}", "nested more than 8 deep" },
    };
    unsetenv("A");
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        cr_assert_eq(sl_jy_interpolate(&y, NULL, "k", errors[i][0], strlen(errors[i][0]), &out), -1, "%s",
                     errors[i][0]);
        cr_assert(strstr(err.msg, errors[i][1]), "%s: '%s' not in: %s", errors[i][0], errors[i][1], err.msg);
    }
    sl_arena_destroy(&a);
    unsetenv("SL_EMPTY");
}

Test(job, item20_compression_levels_per_codec)
{
    /* Each codec's range, at both ends and one past them. */
    const struct { const char *codec; int codec_id, min, max; } r[] = {
        { "gzip", SL_PQ_GZIP, 1, 9 }, { "zstd", SL_PQ_ZSTD, -131072, 22 }, { "lz4_raw", SL_PQ_LZ4_RAW, 1, 65537 },
    };
    char text[512];
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        for (int end = 0; end < 2; end++) {
            int level = end ? r[i].max : r[i].min;
            snprintf(text, sizeof text, HEAD_SRC "targets:\n  t: { kind: parquet, path: o, compression: %s, "
                     "compression_level: %d }\n" ONE_TABLE, r[i].codec, level);
            sl_err err = SL_ERR_INIT;
            sl_job *job = parse(text, &err);
            cr_assert_not_null(job, "%s %d: %s", r[i].codec, level, err.msg);
            sl_job_free(job);
            /* what validate accepts, the writer accepts */
            sl_compressor *c = sl_compressor_new(r[i].codec_id, level, &err);
            cr_assert_not_null(c, "%s %d: %s", r[i].codec, level, err.msg);
            sl_compressor_free(c);
            snprintf(text, sizeof text, HEAD_SRC "targets:\n  t: { kind: parquet, path: o, compression: %s, "
                     "compression_level: %d }\n" ONE_TABLE, r[i].codec, end ? r[i].max + 1 : r[i].min - 1);
            char frag[128];
            snprintf(frag, sizeof frag, "is out of range for %s (%d to %d)", r[i].codec, r[i].min, r[i].max);
            expect_error(text, "targets.t.compression_level: level", frag);
        }
    }
    /* The issue's case: zstd's top level for gzip failed after reading all the data. */
    expect_error(HEAD_SRC "targets:\n  t: { kind: parquet, path: o, compression: gzip, compression_level: 22 }\n"
                 ONE_TABLE, "4:70: targets.t.compression_level: level 22 is out of range for gzip (1 to 9)", NULL);
    expect_error(HEAD_SRC "targets:\n  t: { kind: parquet, path: o, compression_level: 23 }\n" ONE_TABLE,
                 "level 23 is out of range for zstd", NULL);
    expect_error(HEAD_SRC "targets:\n  t: { kind: parquet, path: o, compression: snappy, compression_level: 1 }\n"
                 ONE_TABLE, "compression snappy has no levels", "remove compression_level");
    expect_error(HEAD_SRC "targets:\n  t: { kind: parquet, path: o, compression: none, compression_level: 1 }\n"
                 ONE_TABLE, "compression none has no levels", NULL);
    expect_error(HEAD_SRC "targets:\n  t: { kind: parquet, path: o, compression_level: 99999999999 }\n" ONE_TABLE,
                 "targets.t.compression_level: 99999999999 is out of range", NULL);
}

Test(job, item20_row_group_and_page_sizes_in_range)
{
    const char *bad[][2] = {
        { "row_group_bytes: 1", "'1' is out of range (64KiB to 64GiB)" },
        { "row_group_bytes: 100GiB", "'100GiB' is out of range (64KiB to 64GiB)" },
        { "page_bytes: 10", "'10' is out of range (1KiB to 1GiB)" },
        { "page_bytes: 4GiB", "'4GiB' is out of range (1KiB to 1GiB)" },
    };
    char text[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, HEAD_SRC "targets:\n  t: { kind: parquet, path: o, %s }\n" ONE_TABLE, bad[i][0]);
        expect_error(text, bad[i][1], NULL);
    }
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse(HEAD_SRC "targets:\n  t: { kind: parquet, path: o, row_group_bytes: 64KiB, page_bytes: 1GiB }\n"
                        ONE_TABLE, &err);
    cr_assert_not_null(job, "%s", err.msg);
    sl_job_free(job);
}

Test(job, item20_long_and_odd_names_say_what_is_wrong)
{
    char name[301];
    memset(name, 'n', 300);
    name[300] = '\0';
    char text[1024];
    snprintf(text, sizeof text, HEAD_SRC HEAD_TGT "tables:\n  %s: { from: s, table: x, to: t }\n", name);
    expect_error(text, "cannot name its directory: it is 300 characters long; at most 200", NULL);
    snprintf(text, sizeof text, "name: %s\n" HEAD_SRC HEAD_TGT ONE_TABLE, name);
    expect_error(text, "is not a valid job name: it is 300 characters long; at most 200", NULL);
    expect_error(HEAD_SRC HEAD_TGT "tables:\n  'a b': { from: s, table: x, to: t }\n", "it contains ' '", NULL);
    expect_error(HEAD_SRC HEAD_TGT "tables:\n  \"a\\tb\": { from: s, table: x, to: t }\n", "it contains the byte 0x09",
                 NULL);
    expect_error("name: .hidden\n" HEAD_SRC HEAD_TGT ONE_TABLE, "it starts with '.'", NULL);
}

Test(job, item20_partitions_the_sources_would_refuse)
{
    expect_error(HEAD_SRC HEAD_TGT "tables:\n  a: { from: s, query: 'select 1', to: t, partition: { strategy: pages } }\n",
                 "tables.a.partition: strategy pages needs a table", NULL);
    expect_error(HEAD_SRC HEAD_TGT "tables:\n  a: { from: s, query: 'select 1', to: t, partition: { strategy: range } }\n",
                 "strategy range on a query needs a column", NULL);
    expect_error("sources:\n  s: { kind: csv, path: in }\n" HEAD_TGT
                 "tables:\n  a: { from: s, file: a.csv, to: t, partition: { column: id } }\n",
                 "tables.a.partition: does not apply to tables read from csv sources", NULL);
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse(HEAD_SRC HEAD_TGT
                        "tables:\n  a: { from: s, query: 'select 1', to: t, partition: { strategy: range, column: id } }\n"
                        "  b: { from: s, query: 'select 1', to: t, partition: none }\n", &err);
    cr_assert_not_null(job, "%s", err.msg);
    sl_job_free(job);
}

#define DUCK_JOB(target, table)                                                                              \
    "sources:\n  pg: { kind: postgres, url: \"postgres://h/db\" }\n"                                         \
    "targets:\n  wh: { kind: duckdb, path: ./w.duckdb" target " }\n  lake: { kind: parquet, path: ./lake }\n" \
    "tables:\n  t: { from: pg, table: public.t, to: wh" table " }\n"

Test(job, duckdb_target_and_write_modes)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse(DUCK_JOB(", schema: raw", ""), &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_str_eq(job->targets[0].kind, "duckdb");
    cr_assert_str_eq(job->targets[0].path, "jobs/w.duckdb");
    cr_assert_str_eq(job->targets[0].schema, "raw");
    cr_assert_null(job->targets[1].schema);
    cr_assert_eq(job->tables[0].write, SL_WRITE_REPLACE);
    cr_assert_eq(job->tables[0].on_schema_change, SL_SCHEMA_FAIL);
    cr_assert_eq(job->tables[0].nkey, 0);
    sl_job_free(job);

    job = parse(DUCK_JOB("", ", write: merge, key: [id, region], delete_missing: true, on_schema_change: add_columns"),
                &err);
    cr_assert_not_null(job, "%s", err.msg);
    const sl_job_table *t = &job->tables[0];
    cr_assert_eq(t->write, SL_WRITE_MERGE);
    cr_assert_eq(t->nkey, 2);
    cr_assert_str_eq(t->key[0], "id");
    cr_assert_str_eq(t->key[1], "region");
    cr_assert(t->delete_missing);
    cr_assert_str_eq(sl_schema_change_name(t->on_schema_change), "add_columns");
    sl_job_free(job);

    job = parse(DUCK_JOB("", ", write: merge, key: id"), &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_eq(job->tables[0].nkey, 1);
    sl_job_free(job);
}

Test(job, duckdb_target_errors)
{
    expect_error(DUCK_JOB("", ", write: merge"), "write: merge needs key: [columns]", NULL);
    expect_error(DUCK_JOB("", ", delete_missing: true"), "delete_missing applies to write: merge", NULL);
    expect_error(DUCK_JOB("", ", write: upsert"), "tables.t.write", "upsert");
    expect_error(DUCK_JOB("", ", on_schema_change: evolve"), "on_schema_change", "evolve");
    expect_error(DUCK_JOB("", ", write: merge, key: [id, id]"), "column 'id' appears twice", NULL);
    expect_error(DUCK_JOB("", ", write: merge, key: []"), "is empty", NULL);
    expect_error(DUCK_JOB(", compression: zstd", ""), "key 'compression' does not apply to duckdb targets", NULL);
    expect_error("sources:\n  pg: { kind: postgres, url: \"postgres://h/db\" }\n"
                 "targets:\n  wh: { kind: duckdb }\n"
                 "tables:\n  t: { from: pg, table: public.t, to: wh }\n",
                 "missing key 'path' (the DuckDB database file", NULL);
    expect_error("sources:\n  pg: { kind: postgres, url: \"postgres://h/db\" }\n"
                 "targets:\n  lake: { kind: parquet, path: ./lake, schema: raw }\n"
                 "tables:\n  t: { from: pg, table: public.t, to: lake }\n",
                 "key 'schema' does not apply to parquet targets", NULL);
    expect_error("sources:\n  pg: { kind: postgres, url: \"postgres://h/db\" }\n"
                 "targets:\n  lake: { kind: parquet, path: ./lake }\n"
                 "tables:\n  t: { from: pg, table: public.t, to: lake, write: append }\n",
                 "key 'write' does not apply to tables written to parquet targets", "always replaced");
}

/* verify: source (load receipts) is a postgres table's opt-in; none is the default. */
Test(job, verify_source_key)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse("sources: { pg: { kind: postgres, url: \"postgres://h/db\" } }\n"
                        "targets: { lake: { kind: parquet, path: ./lake } }\n"
                        "tables:\n  a: { from: pg, table: a, to: lake, verify: source }\n"
                        "  b: { from: pg, table: b, to: lake, verify: none }\n  c: { from: pg, table: c, to: lake }\n",
                        &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert(job->tables[0].verify_source);
    cr_assert(!job->tables[1].verify_source);
    cr_assert(!job->tables[2].verify_source);
    sl_job_free(job);
    expect_error("sources: { pg: { kind: postgres, url: \"postgres://h/db\" } }\n"
                 "targets: { lake: { kind: parquet, path: ./lake } }\n"
                 "tables: { a: { from: pg, table: a, to: lake, verify: sauce } }\n",
                 "verify: 'sauce' is not one of source, none", "job.yaml:3:");
    expect_error("sources: { db: { kind: sqlite, path: x.db } }\n"
                 "targets: { lake: { kind: parquet, path: ./lake } }\n"
                 "tables: { a: { from: db, table: a, to: lake, verify: source } }\n",
                 "reconciles with a postgres source only", NULL);
}

/* ---- issue 15: defaults:, table patterns, postgres type keys ---- */

static const char pattern_head[] =
    "sources:\n  shop: { kind: postgres, url: \"postgres://x@h/db\" }\n  other: { kind: postgres, url: \"postgres://x@h/o\" }\n"
    "targets:\n  lake: { kind: parquet, path: ./lake }\n  wh: { kind: duckdb, path: ./w.duckdb }\n";

static sl_job *parse_tables(const char *tail, sl_err *err)
{
    static char text[4096];
    snprintf(text, sizeof text, "%s%s", pattern_head, tail);
    return parse(text, err);
}

Test(job, defaults_apply_to_every_table_and_lose_to_its_own_keys)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse_tables("defaults: { from: shop, to: lake, partition: { strategy: pages }, trim_char: true }\n"
                               "tables:\n  a: {}\n  b: { to: wh, partition: none, from: other, table: public.bee }\n", &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_eq(job->ntables, 2);
    cr_assert_str_eq(job->tables[0].from, "shop");
    cr_assert_str_eq(job->tables[0].to, "lake");
    cr_assert_str_eq(job->tables[0].table, "a");
    cr_assert_str_eq(job->tables[0].partition.strategy, "pages");
    cr_assert(job->tables[0].trim_char);
    cr_assert_str_eq(job->tables[1].from, "other");
    cr_assert_str_eq(job->tables[1].to, "wh");
    cr_assert_str_eq(job->tables[1].partition.strategy, "none");
    sl_job_free(job);
    /* An error in a default points at the default's line. */
    sl_job *bad = parse_tables("defaults: { from: nope, to: lake }\ntables:\n  a: {}\n", &err);
    cr_assert_null(bad);
    cr_assert(strstr(err.msg, "job.yaml:7:") && strstr(err.msg, "unknown source 'nope'"), "%s", err.msg);
    bad = parse_tables("defaults: { table: x }\ntables:\n  a: { from: shop, to: lake }\n", &err);
    cr_assert_null(bad);
    cr_assert(strstr(err.msg, "'table' names what one table"), "%s", err.msg);
}

Test(job, pattern_keys_parse_into_templates)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse_tables("defaults: { from: shop, to: lake }\ntables:\n"
                               "  first: {}\n"
                               "  \"public.*\": { exclude: [\"public.tmp_*\", public.audit], partitions: separate }\n"
                               "  \"sales.order_*\": { name: \"s_{table}\", unsupported: error }\n"
                               "  \"*\": { numeric: { precision: 20, scale: 4 } }\n", &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_eq(job->ntables, 1);
    cr_assert_eq(job->npatterns, 3);
    cr_assert_str_eq(job->patterns[0].schema_glob, "public");
    cr_assert_str_eq(job->patterns[0].rel_glob, "*");
    cr_assert_eq(job->patterns[0].nexclude, 2);
    cr_assert(job->patterns[0].partitions_separate);
    cr_assert_eq(job->patterns[0].at, 1);
    cr_assert_str_eq(job->patterns[1].name_template, "s_{table}");
    cr_assert(job->patterns[1].tmpl.unsupported_error);
    cr_assert_str_eq(job->patterns[2].schema_glob, "public");
    cr_assert_eq(job->patterns[2].tmpl.numeric_precision, 20);
    cr_assert_eq(job->patterns[2].tmpl.numeric_scale, 4);
    sl_job_free(job);

    const char *bad[][2] = {
        { "tables:\n  \"public.*\": { from: shop, to: lake, table: x }\n", "a pattern selects its relations" },
        { "tables:\n  \"public.*\": { from: shop, to: lake, name: \"{schema}\" }\n", "must hold {table}" },
        { "tables:\n  \"public.*\": { from: shop, to: lake, name: \"{tabel}\" }\n", "unknown placeholder" },
        { "tables:\n  \"a.b.*\": { from: shop, to: lake }\n", "schema.relation globs" },
        { "tables:\n  x: { from: shop, to: lake, exclude: [a] }\n", "belong to patterns" },
        { "tables:\n  \"p.*\": { from: shop, to: lake, partitions: each }\n", "partitions" },
        { "tables:\n  x: { from: shop, to: lake, numeric: { precision: 10, scale: 12 } }\n", "scale 12 is larger" },
        { "tables:\n  x: { from: shop, to: lake, unsupported: text }\n", "unsupported" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_null(parse_tables(bad[i][0], &err), "accepted: %s", bad[i][0]);
        cr_assert(strstr(err.msg, bad[i][1]), "'%s' not in: %s", bad[i][1], err.msg);
    }
}

/* A fake catalog for sl_job_expand. */
static int fake_list(const sl_job_source *src, sl_arena *arena, sl_job_relation **out, int *n, sl_err *err)
{
    static const char *const rels[][4] = {
        { "public", "orders", "r", NULL }, { "public", "tmp_x", "r", NULL }, { "public", "events", "p", NULL },
        { "public", "events_01", "r", "public.events" }, { "public", "events_02", "r", "public.events" },
        { "public", "v_orders", "v", NULL }, { "sales", "order_lines", "r", NULL }, { "sales", "mv", "m", NULL },
        { "Odd", "We ird", "r", NULL },
    };
    int count = (int)(sizeof rels / sizeof rels[0]);
    sl_job_relation *r = sl_arena_alloc(arena, sizeof *r * (size_t)count);
    for (int i = 0; i < count; i++) {
        r[i].schema = (char *)rels[i][0];
        r[i].name = (char *)rels[i][1];
        r[i].ident = sl_arena_strdup(arena, rels[i][1]);
        r[i].kind = rels[i][2][0];
        r[i].root = (char *)rels[i][3];
    }
    (void)src;
    (void)err;
    *out = r;
    *n = count;
    return 0;
}

static bool has_table(const sl_job *job, const char *name)
{
    for (int i = 0; i < job->ntables; i++)
        if (!strcmp(job->tables[i].name, name)) return true;
    return false;
}

Test(job, expand_selects_names_skips_partitions_and_lets_explicit_entries_win)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse_tables("defaults: { from: shop, to: lake }\ntables:\n"
                               "  \"*.*\": { exclude: [\"public.tmp_*\"] }\n"
                               "  orders: { query: \"select 1 as x\" }\n", &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_eq(sl_job_expand(job, fake_list, &err), 0, "%s", err.msg);
    cr_assert(has_table(job, "events"));
    cr_assert(!has_table(job, "events_01"));
    cr_assert(!has_table(job, "tmp_x"));
    cr_assert(has_table(job, "v_orders"));
    cr_assert(has_table(job, "sales_order_lines"));
    cr_assert(has_table(job, "sales_mv"));
    cr_assert(has_table(job, "Odd_We_ird"));
    /* orders: the explicit entry (a query), once */
    int orders = 0;
    for (int i = 0; i < job->ntables; i++)
        if (!strcmp(job->tables[i].name, "orders")) {
            orders++;
            cr_assert_not_null(job->tables[i].query);
        }
    cr_assert_eq(orders, 1);
    cr_assert_eq(job->patterns[0].nnotes, 2, "%d", job->patterns[0].nnotes);
    cr_assert(strstr(job->patterns[0].notes[0], "explicit entry orders") || strstr(job->patterns[0].notes[1], "explicit entry orders"));
    cr_assert(strstr(job->patterns[0].notes[0], "2 partitions of public.events skipped") ||
              strstr(job->patterns[0].notes[1], "2 partitions of public.events skipped"));
    cr_assert_eq(sl_job_expand(job, fake_list, &err), 0);   /* idempotent */
    sl_job_free(job);

    job = parse_tables("defaults: { from: shop, to: lake }\ntables:\n  \"public.events*\": { partitions: separate }\n", &err);
    cr_assert_eq(sl_job_expand(job, fake_list, &err), 0, "%s", err.msg);
    cr_assert_eq(job->ntables, 2);
    cr_assert(has_table(job, "events_01") && has_table(job, "events_02") && !has_table(job, "events"));
    sl_job_free(job);

    job = parse_tables("defaults: { from: shop, to: lake }\ntables:\n  \"nothing.*\": {}\n", &err);
    cr_assert_eq(sl_job_expand(job, fake_list, &err), -1);
    cr_assert(strstr(err.msg, "tables.nothing.*: the pattern matches no table"), "%s", err.msg);
    cr_assert_eq(err.code, SL_EJOB);
    sl_job_free(job);

    job = parse_tables("defaults: { from: shop, to: lake }\ntables:\n  \"*.*\": { name: \"{table}\" }\n", &err);
    cr_assert_eq(sl_job_expand(job, fake_list, &err), 0, "%s", err.msg);
    sl_job_free(job);
    job = parse_tables("defaults: { from: shop, to: lake }\ntables:\n  \"*.*\": { name: \"x{table}\", exclude: [\"public.events*\"] }\n"
                       "  \"sales.order*\": { name: \"y{table}\" }\n", &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_eq(sl_job_expand(job, fake_list, &err), 0, "%s", err.msg);   /* sales.order_lines went to the first */
    cr_assert(has_table(job, "xorder_lines") && !has_table(job, "yorder_lines"));
    cr_assert_eq(job->patterns[1].nselected, 0);
    sl_job_free(job);
}

Test(job, expand_many_relations_is_quick)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse_tables("defaults: { from: shop, to: lake }\ntables:\n  \"*.*\": {}\n", &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_eq(sl_job_expand(job, fake_list, &err), 0, "%s", err.msg);
    cr_assert_eq(job->ntables, 7);
    sl_job_free(job);
}

/* ---- alerts: ---- */

static const char alerts_base[] =
    "name: a\n"
    "sources: { s: { kind: sqlite, url: x.db } }\n"
    "targets: { lake: { kind: parquet, path: ./lake } }\n"
    "tables: { t: { from: s, table: t, to: lake } }\n";

Test(job, alerts_parsed)
{
    char text[1024];
    snprintf(text, sizeof text, "%salerts:\n"
                                "  - { on: failure, webhook: \"https://hooks.example/x\" }\n"
                                "  - { on: [slow, skew, retry], command: \"notify-send sluice\", slow: 30m, skew: 2.5 }\n"
                                "  - { on: skew, command: \"true\" }\n", alerts_base);
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse(text, &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_eq(job->nalerts, 3);
    cr_assert_eq(job->alerts[0].on, (unsigned)SL_ALERT_FAILURE);
    cr_assert_str_eq(job->alerts[0].webhook, "https://hooks.example/x");
    cr_assert_null(job->alerts[0].command);
    cr_assert_eq(job->alerts[1].on, (unsigned)(SL_ALERT_SLOW | SL_ALERT_SKEW | SL_ALERT_RETRY));
    cr_assert_float_eq(job->alerts[1].slow_s, 1800.0, 1e-9);
    cr_assert_float_eq(job->alerts[1].skew, 2.5, 1e-9);
    cr_assert_float_eq(job->alerts[2].skew, 3.0, 1e-9);   /* the default */
    sl_job_free(job);
    /* none: no alerts */
    job = parse(alerts_base, &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_eq(job->nalerts, 0);
    sl_job_free(job);
}

Test(job, alerts_refused)
{
    char text[1024];
    const struct { const char *alert, *frag; } cases[] = {
        { "{ on: sometimes, command: x }", "unknown value 'sometimes'" },
        { "{ on: failure }", "give one of webhook" },
        { "{ on: failure, webhook: \"https://h\", command: x }", "give one of webhook" },
        { "{ on: slow, command: x }", "on: slow needs slow:" },
        { "{ on: skew, command: x, skew: 0.5 }", "alerts[0].skew" },
        { "{ on: failure, webhook: \"ftp://h\" }", "http:// or https://" },
        { "{ command: x }", "say when" },
        { "{ on: [], command: x }", "at least one" },
        { "{ on: failure, command: x, color: red }", "color" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text, "%salerts:\n  - %s\n", alerts_base, cases[i].alert);
        expect_error(text, "alerts", cases[i].frag);
    }
    snprintf(text, sizeof text, "%salerts: { on: failure }\n", alerts_base);
    expect_error(text, "alerts", "expected a list of alerts");
}
