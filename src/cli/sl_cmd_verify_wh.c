/*
 * sl_cmd_verify_wh.c - `sluice verify` for warehouse targets: the receipt a
 * publish stored beside the table (postgres: _sluice.published.receipt;
 * duckdb: <schema>._sluice_published.receipt, the latest row of the job
 * and table) against aggregates recomputed from the live table:
 *   postgres  one aggregate query in the warehouse (the postgres source's
 *             table_aggregates over <schema>.<table>: count, min, max, sum
 *             per column in sluice's text forms), compared as `verify:
 *             source` compares (bytes and json only counted, floats without
 *             a sum);
 *   duckdb    the table read back through DuckDB into batches and folded
 *             into a receipt (every field compared).
 * A table that append or merge loaded holds more than the last load: its
 * receipt is the last load's, so only replace tables are compared; the
 * others are reported as not checkable. Nothing is written.
 */
#include "sl_cmd_verify_wh.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_receipt.h"
#include "../core/sl_log.h"
#include "../exec/sl_prepare.h"
#include "../sources/sl_pg_conn.h"
#include "../store/sl_duck.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

static void sl_vw_report(const char *where, const char *want, const char *got, bool partial, int *problems)
{
    sl_buf report = { 0 };
    int n = sl_receipt_json_diff(want, got, partial, "the stored receipt says", "the warehouse table gives", &report);
    sl_buf_push(&report, 0);
    for (char *line = (char *)report.data, *nl; n && line && *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        char *safe = sl_escape_controls_dup(line);
        printf("DIFFERS: %s: %s\n", where, safe);
        sl_free(safe);
        if (!nl) break;
    }
    sl_buf_free(&report);
    *problems += n;
    if (!n) {
        char rows[32] = "?";
        sl_receipt_json_field(got, "rows", rows, sizeof rows);
        printf("ok: %s: the live table's %s rows match the stored receipt\n", where, rows);
    }
}

/* The stored receipt and write mode of the latest publish: 1 found, 0 none, -1 err. */
static int sl_vw_pg_receipt(const sl_job *job, const sl_job_table *cfg, const sl_job_target *tg, char **receipt,
                            char *mode, size_t mode_size, sl_err *err)
{
    PGconn *c = PQconnectdb(tg->url);
    if (PQstatus(c) != CONNECTION_OK) {
        sl_err_set(err, SL_ESOURCE, "cannot connect to the warehouse: %s", PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    const char *p[] = { job->name, tg->schema ? tg->schema : "public", cfg->name };
    PGresult *r = PQexecParams(c, "SELECT receipt, write_mode FROM _sluice.published WHERE job = $1 AND "
                               "schema_name = $2 AND tbl = $3 ORDER BY published DESC LIMIT 1", 3, NULL, p, NULL,
                               NULL, 0);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        rc = sl_err_set(err, SL_ESOURCE, "reading _sluice.published: %s", PQerrorMessage(c));
    } else if (PQntuples(r) == 1) {
        rc = 1;
        *receipt = PQgetisnull(r, 0, 0) ? NULL : sl_strdup(PQgetvalue(r, 0, 0));
        snprintf(mode, mode_size, "%s", PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    PQfinish(c);
    return rc;
}

/* The live table's aggregates, by the postgres source over the warehouse. */
static char *sl_vw_pg_aggregates(const sl_job *job, const sl_job_table *cfg, const sl_job_target *tg, sl_err *err)
{
    sl_job_source src = { .name = tg->name, .kind = (char *)"postgres", .url = tg->url, .max_connections = 1 };
    sl_job_table tc = *cfg;
    char *q1 = sl_pg_quote_ident(tg->schema ? tg->schema : "public"), *q2 = sl_pg_quote_ident(cfg->name);
    char *rel = sl_sprintf("%s.%s", q1, q2);
    tc.source = &src;
    tc.from = tg->name;
    tc.table = rel;
    tc.query = NULL;
    tc.file = NULL;
    tc.columns = NULL;
    tc.ncolumns = 0;
    tc.partition = (sl_job_partition){ .strategy = (char *)"none" };
    tc.verify_source = false;
    tc.pattern = NULL;
    sl_prep_table pt;
    char *json = NULL;
    if (sl_prep_table_init(&pt, job, &tc, 1, NULL, err) == 0) {
        if (!pt.source->table_aggregates) sl_err_set(err, SL_EINTERNAL, "the postgres source has no aggregates");
        else json = pt.source->table_aggregates(&pt.st, err);
        sl_prep_table_release(&pt);
    }
    sl_free(rel);
    sl_free(q1);
    sl_free(q2);
    return json;
}

/* DuckDB: the stored receipt, then the table read back into a receipt. */
static int sl_vw_duck(const sl_job_table *cfg, const sl_job_target *tg, const sl_job *job, const char *where,
                      int *problems)
{
    sl_err err = SL_ERR_INIT;
    sl_duck *d = sl_duck_open(tg->path, &err);
    if (!d) {
        printf("FAILED: %s: %s\n", where, err.msg);
        return ++*problems;
    }
    const char *schema = tg->schema ? tg->schema : "main";
    sl_buf q = { 0 };
    sl_buf_printf(&q, "select receipt, write_mode from ");
    sl_buf_quoted(&q, schema, '"');
    sl_buf_printf(&q, "._sluice_published where job = ");
    sl_buf_quoted(&q, job->name, '\'');
    sl_buf_printf(&q, " and table_name = ");
    sl_buf_quoted(&q, cfg->name, '\'');
    sl_buf_printf(&q, " order by published_at desc limit 1");
    sl_duck_rows rows = { 0 };
    if (sl_duck_query(d, sl_buf_cstr(&q), &rows, &err) < 0 || rows.nrows != 1) {
        printf("FAILED: %s: no publish of it recorded in %s._sluice_published%s%s\n", where, schema,
               sl_err_is_set(&err) ? ": " : "", err.msg);
        ++*problems;
    } else if (!sl_duck_cell(&rows, 0, 0)) {
        printf("FAILED: %s: its publish recorded no receipt (a sluice before receipts): run the job again\n", where);
        ++*problems;
    } else if (strcmp(sl_duck_cell(&rows, 0, 1), "replace")) {
        printf("SKIPPED: %s: loaded with write: %s, so the table holds more than the receipt of its last load\n",
               where, sl_duck_cell(&rows, 0, 1));
    } else {
        sl_buf_clear(&q);
        sl_buf_printf(&q, "select * from ");
        sl_buf_quoted(&q, schema, '"');
        sl_buf_push(&q, '.');
        sl_buf_quoted(&q, cfg->name, '"');
        sl_duck_reader *r = sl_duck_read(d, sl_buf_cstr(&q), &err);
        long n = r ? 0 : -1;
        sl_receipt *got = NULL;
        if (r) {
            const sl_schema *s = sl_duck_read_schema(r);
            sl_batch *b = sl_batch_new(s, SL_BATCH_ROWS);
            got = sl_receipt_new(s);
            while ((n = sl_duck_read_next(r, b, &err)) > 0) sl_receipt_add(got, b);
            sl_batch_free(b);
            if (n == 0) {
                sl_buf text = { 0 };
                sl_receipt_json(got, s, NULL, &text);
                sl_buf_push(&text, 0);
                const char *want = strstr(sl_duck_cell(&rows, 0, 0), "\"receipt\": ");
                sl_vw_report(where, want ? want : sl_duck_cell(&rows, 0, 0), (const char *)text.data, true,
                             problems);
                sl_buf_free(&text);
            }
            sl_duck_read_close(r);
        }
        sl_receipt_free(got);
        if (n < 0) {
            printf("FAILED: %s: reading the table: %s\n", where, err.msg);
            ++*problems;
        }
    }
    sl_duck_rows_free(&rows);
    sl_buf_free(&q);
    sl_duck_close(d);
    return *problems;
}

int sl_verify_warehouse(const sl_job *job, const sl_job_table *cfg, const sl_job_target *tg)
{
    char where[600];
    snprintf(where, sizeof where, "table %s (target %s)", cfg->name, tg->name);
    int problems = 0;
    if (!strcmp(tg->kind, "duckdb")) return sl_vw_duck(cfg, tg, job, where, &problems);
    sl_err err = SL_ERR_INIT;
    char *receipt = NULL, mode[32] = "";
    int have = sl_vw_pg_receipt(job, cfg, tg, &receipt, mode, sizeof mode, &err);
    if (have <= 0) {
        printf("FAILED: %s: %s\n", where, have < 0 ? err.msg : "no publish of it recorded in _sluice.published");
        return 1;
    }
    if (!receipt) {
        printf("FAILED: %s: its publish recorded no receipt (a sluice before receipts): run the job again\n", where);
        return 1;
    }
    if (strcmp(mode, "replace") && strcmp(mode, "recreate")) {
        printf("SKIPPED: %s: loaded with write: %s, so the table holds more than the receipt of its last load\n",
               where, mode);
        sl_free(receipt);
        return 0;
    }
    char *got = sl_vw_pg_aggregates(job, cfg, tg, &err);
    if (!got) {
        char *safe = sl_escape_controls_dup(err.msg);
        printf("FAILED: %s: recomputing the aggregates: %s\n", where, safe);
        sl_free(safe);
        problems++;
    } else {
        const char *want = strstr(receipt, "\"receipt\": ");
        sl_vw_report(where, want ? want : receipt, got, true, &problems);
        sl_free(got);
    }
    sl_free(receipt);
    return problems;
}
