/*
 * test_transform.c - computed tables: the job keys (sql:, transform:, the
 * work target given to the inputs that need it), the node graph (inputs
 * found by DuckDB's parser, CTE names left out, unknown names, cycles,
 * syntax errors with the job file's line) and DuckDB results read back as
 * sluice batches with their types.
 */
#include <criterion/criterion.h>

#include "job/sl_job.h"
#include "store/sl_duck.h"
#include "transform/sl_graph.h"

#include <stdio.h>
#include <string.h>

static const char head[] =
    "name: t\n"
    "sources:\n"
    "  shop: { kind: postgres, url: \"postgres://x/y\" }\n"
    "targets:\n"
    "  lake: { kind: parquet, path: ./lake }\n"
    "  out: { kind: csv, path: ./out }\n";

static sl_job *parse(const char *tables, sl_err *err)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", head, tables);
    sl_err_clear(err);
    return sl_job_parse(text, strlen(text), "jobs/job.yaml", err);
}

static const sl_job_table *table(const sl_job *job, const char *name)
{
    for (int i = 0; i < job->ntables; i++)
        if (!strcmp(job->tables[i].name, name)) return &job->tables[i];
    cr_assert_fail("no table %s", name);
    return NULL;
}

Test(transform, job_keys_and_work_target)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse("transform: { memory_limit: 1GiB, threads: 3 }\n"
                        "tables:\n"
                        "  orders: { from: shop, table: public.orders }\n"
                        "  customers: { from: shop, table: public.customers, to: out }\n"
                        "  products: { from: shop, table: public.products, to: [lake, out] }\n"
                        "  dim:\n"
                        "    sql: |\n"
                        "      select * from orders o join customers c on c.id = o.customer_id\n"
                        "      join products p on true\n"
                        "    to: lake\n",
                        &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_eq(job->transform.memory_limit, (int64_t)1 << 30);
    cr_assert_eq(job->transform.threads, 3);
    cr_assert(strstr(job->transform.temp_directory, "jobs/.sluice/tmp"), "%s", job->transform.temp_directory);
    cr_assert_not_null(job->work);
    cr_assert(job->work->internal);
    cr_assert(strstr(job->work->path, "jobs/.sluice/work/t"), "%s", job->work->path);
    const sl_job_table *o = table(job, "orders"), *c = table(job, "customers"), *p = table(job, "products");
    const sl_job_table *d = table(job, "dim");
    /* No to: -> only the work target; csv only -> the work target added; a parquet target -> left alone. */
    cr_assert_eq(o->ntargets, 1);
    cr_assert_eq(o->targets[0], job->work);
    cr_assert(o->intermediate);
    cr_assert_eq(c->ntargets, 2);
    cr_assert_eq(c->targets[1], job->work);
    cr_assert_eq(p->ntargets, 2);
    cr_assert_str_eq(d->source->kind, "sql");
    cr_assert_eq(d->sql_line, 14);
    cr_assert_not(d->intermediate);
    sl_job_free(job);
}

Test(transform, job_errors)
{
    sl_err err = SL_ERR_INIT;
    cr_assert_null(parse("tables:\n  a: { from: shop, table: x, sql: select 1, to: lake }\n", &err));
    cr_assert(strstr(err.msg, "either 'from'"), "%s", err.msg);
    cr_assert_null(parse("tables:\n  a: { sql: select 1, partition: { count: 2 }, to: lake }\n", &err));
    cr_assert(strstr(err.msg, "partition"), "%s", err.msg);
    cr_assert_null(parse("tables:\n  a: { from: shop, table: x }\n  b: { sql: select 1, to: lake }\n", &err));
    cr_assert(strstr(err.msg, "no computed table reads it"), "%s", err.msg);
    cr_assert_null(parse("transform: { threads: 0 }\ntables:\n  b: { sql: select 1, to: lake }\n", &err));
    cr_assert(strstr(err.msg, "threads"), "%s", err.msg);
}

static int graph_error(const char *tables, char *msg, size_t size)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = parse(tables, &err);
    cr_assert_not_null(job, "%s", err.msg);
    sl_graph *g = NULL;
    int rc = sl_graph_build(job, &g, &err);
    snprintf(msg, size, "%s", err.msg);
    sl_graph_free(g);
    sl_job_free(job);
    return rc;
}

Test(transform, graph)
{
    sl_err err = SL_ERR_INIT;
    if (sl_duck_load(&err) < 0) cr_skip_test("%s", err.msg);
    sl_job *job = parse("tables:\n"
                        "  top: { sql: \"select * from mid where n > 1\", to: lake }\n"
                        "  orders: { from: shop, table: public.orders, to: lake }\n"
                        "  mid:\n"
                        "    sql: |\n"
                        "      with orders_x as (select * from ORDERS), \"customers\" as (select 1 as n)\n"
                        "      select count(*) as n from orders_x, customers where 'top' <> 'mid'\n"
                        "    to: lake\n",
                        &err);
    cr_assert_not_null(job, "%s", err.msg);
    sl_graph *g = NULL;
    cr_assert_eq(sl_graph_build(job, &g, &err), 0, "%s", err.msg);
    cr_assert_eq(g->nedges, 2);
    cr_assert_eq(g->ninputs[0], 1);
    cr_assert_eq(g->inputs[0][0], 2);   /* top reads mid */
    cr_assert_eq(g->ninputs[2], 1);
    cr_assert_eq(g->inputs[2][0], 1);   /* mid reads orders (case-insensitive); the CTE customers is no input */
    cr_assert_eq(g->order[0], 1);
    cr_assert_eq(g->order[1], 2);
    cr_assert_eq(g->order[2], 0);
    sl_graph_free(g);
    sl_job_free(job);

    char msg[2048];
    cr_assert_eq(graph_error("tables:\n  a: { sql: select * from b, to: lake }\n  b: { sql: select * from a, to: lake }\n",
                             msg, sizeof msg), -1);
    cr_assert(strstr(msg, "cycle (a -> b -> a)") || strstr(msg, "cycle (b -> a -> b)"), "%s", msg);
    cr_assert_eq(graph_error("tables:\n  a: { sql: select * from a, to: lake }\n", msg, sizeof msg), -1);
    cr_assert(strstr(msg, "its own table"), "%s", msg);
    cr_assert_eq(graph_error("tables:\n  orders: { from: shop, table: o, to: lake }\n"
                             "  a:\n    sql: |\n      select 1\n      from ordesr\n    to: lake\n", msg, sizeof msg), -1);
    cr_assert(strstr(msg, "jobs/job.yaml:12: table a: sql: unknown table 'ordesr' (did you mean 'orders'?)"), "%s", msg);
    cr_assert_eq(graph_error("tables:\n  a:\n    sql: |\n      select 1,\n      from where\n    to: lake\n", msg,
                             sizeof msg), -1);
    cr_assert(strstr(msg, "jobs/job.yaml:11: table a: sql: syntax error"), "%s", msg);
    cr_assert_eq(graph_error("tables:\n  a: { sql: \"insert into x values (1)\", to: lake }\n", msg, sizeof msg), -1);
    cr_assert(strstr(msg, "one SELECT"), "%s", msg);
}

Test(transform, read_types)
{
    sl_err err = SL_ERR_INIT;
    if (sl_duck_load(&err) < 0) cr_skip_test("%s", err.msg);
    sl_duck *d = sl_duck_open_memory(64 << 20, 1, NULL, &err);
    cr_assert_not_null(d, "%s", err.msg);
    sl_duck_reader *r = sl_duck_read(d,
        "select i::tinyint as a, i::utinyint as b, i::ubigint as c, (i * 100000000000000000000)::hugeint as h, "
        "i::decimal(4,1) as d4, i::decimal(30,3) as d30, 'x' || i as s, ('{\"k\":' || i || '}')::json as j, "
        "'\\x01'::blob as bl, date '2024-01-31' + i::int as dt, timestamptz '2024-01-01 00:00:00+00' as tz, "
        "uuid '00112233-4455-6677-8899-aabbccddeeff' as u, case when i = 1 then null else i end as n "
        "from range(3) t(i)", &err);
    cr_assert_not_null(r, "%s", err.msg);
    const sl_schema *s = sl_duck_read_schema(r);
    char tb[64];
    const char *want[] = { "int16", "int16", "decimal(20,0)", "decimal(38,0)", "decimal(4,1)", "decimal(30,3)",
                           "string", "json", "bytes", "date", "timestamptz", "uuid", "int64" };
    cr_assert_eq(s->ncols, 13);
    for (int c = 0; c < 13; c++)
        cr_assert_str_eq(sl_type_format(s->fields[c].type, tb, sizeof tb), want[c], "column %s", s->fields[c].name);
    sl_batch *b = sl_batch_new(s, 2);   /* smaller than the chunk: read in two calls */
    cr_assert_eq(sl_duck_read_next(r, b, &err), 2);
    cr_assert_eq(*(int16_t *)(b->cols[0].data + 2), 1);
    sl_i128 h = sl_vec_get_decimal(&b->cols[3], 1);
    cr_assert(h == (sl_i128)100000000000000000000.0L || h / 100000000 == 1000000000000LL, "hugeint");
    cr_assert_eq(sl_vec_get_decimal(&b->cols[4], 1), 10);
    cr_assert_eq(b->cols[12].valid[1], 0);
    const uint8_t *u = b->cols[11].data;
    cr_assert_eq(u[0], 0x00);
    cr_assert_eq(u[1], 0x11);
    cr_assert_eq(u[15], 0xff);
    int64_t tz;
    memcpy(&tz, b->cols[10].data, 8);
    cr_assert_eq(tz, 1704067200LL * 1000000);
    sl_batch_reset(b);
    cr_assert_eq(sl_duck_read_next(r, b, &err), 1);
    sl_batch_reset(b);
    cr_assert_eq(sl_duck_read_next(r, b, &err), 0);
    sl_batch_free(b);
    sl_duck_read_close(r);
    cr_assert_null(sl_duck_read(d, "select interval 1 day as gap", &err));
    cr_assert(strstr(err.msg, "column gap: DuckDB type INTERVAL has no sluice type"), "%s", err.msg);
    r = sl_duck_read(d, "select (170141183460469231731687303715884105727)::hugeint as big", &err);
    cr_assert_not_null(r, "%s", err.msg);
    b = sl_batch_new(sl_duck_read_schema(r), 16);
    cr_assert_eq(sl_duck_read_next(r, b, &err), -1);
    cr_assert(strstr(err.msg, "column big, row 1: the value has more than 38 digits"), "%s", err.msg);
    sl_batch_free(b);
    sl_duck_read_close(r);
    sl_duck_close(d);
}
