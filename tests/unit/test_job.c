/*
 * test_job.c - the job file parser: DESIGN.md's example as written, the
 * defaults, ${ENV} interpolation, path resolution, and every kind of error
 * with its file:line:column and did-you-mean.
 */
#include <criterion/criterion.h>

#include "job/sl_job.h"
#include "job/sl_job_yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
                        "  lake: { kind: parquet, path: lake, compression: snappy, compression_level: 3,\n"
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
    cr_assert_str_eq(job->targets[0].compression, "snappy");
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
    snprintf(text, sizeof text, "%stables:\n  a: { from: s, to: t }\n", head);
    expect_error(text, "tables.a: missing key 'table'", "'query'");
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
                 "6:3: tables: table name '../etc' cannot be a directory name", NULL);
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
