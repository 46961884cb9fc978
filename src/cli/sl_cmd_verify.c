/*
 * sl_cmd_verify.c - `sluice verify JOB.yaml [TABLE]`: recomputes each
 * published table's load receipt from its files, read back with sluice's
 * own Parquet reader (CSV targets: parsed back as the types the receipt
 * names), and compares it with the receipt its manifest holds:
 * per file (the task's receipt) and per table (rows, and per column the
 * non-null count, min, max and sum; core/sl_receipt.h). Every difference is
 * a line naming the table, target, file, column and what differs; the exit
 * status is 1 when anything differs or cannot be checked (a missing table,
 * a manifest without receipt, a file that does not read), so a scheduler
 * can check yesterday's lake. Nothing is written.
 *
 * With --source, each table's receipt is also compared with the source's
 * aggregates over the whole table as it is now (PostgreSQL: one query in a
 * fresh snapshot, the source's table_aggregates): a difference is drift (the
 * source moved on since the run), printed as DRIFT lines, and does not
 * change the exit status.
 */
#include "sl_cli.h"
#include "sl_cli_opts.h"
#include "sl_cmd_verify_wh.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_log.h"
#include "../core/sl_receipt.h"
#include "../exec/sl_prepare.h"
#include "../core/sl_text_value.h"
#include "../parquet/sl_pq_reader.h"
#include "../sources/sl_csv_parse.h"
#include "../state/sl_fs.h"
#include "../state/sl_publish.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char sl_verify_usage[] =
    "usage: sluice verify JOB.yaml [TABLE] [--source]\n"
    "\n"
    "Reads every published table of the job (or only TABLE) back from its\n"
    "files and compares what it finds with the load receipt in the table's\n"
    "manifest: rows, and per column the non-null count, min, max and sum.\n"
    "Warehouse targets (postgres, duckdb): the receipt stored with the publish\n"
    "against the live table (tables loaded with write: replace).\n"
    "Prints each difference (table, target, file, column, what differs).\n"
    "  --source  also compare each receipt with the source's data as it is now\n"
    "            (postgres): differences are printed as drift, not failures\n"
    "Exit status: 0 every receipt matches, 1 a difference or a table that\n"
    "cannot be checked, 2 usage or job-file error.\n";

/* One line "WHAT: message", control characters escaped (values quote source data). */
static void sl_verify_say(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sl_verify_say(const char *what, const char *fmt, ...)
{
    char msg[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *safe = sl_escape_controls_dup(msg);
    printf("%s: %s\n", what, safe);
    sl_free(safe);
}

/* Compares the recomputed receipt `got` with the manifest's receipt text
 * starting at `want` (its JSON object); prints each difference after
 * `where`. Returns the number of differences. */
static int sl_verify_compare(const char *where, const char *want, const sl_receipt *got, const sl_schema *schema)
{
    sl_buf text = { 0 }, report = { 0 };
    sl_receipt_json(got, schema, NULL, &text);
    sl_buf_push(&text, 0);
    int diffs = sl_receipt_json_diff(want, (const char *)text.data, false, "the manifest's receipt says",
                                     "the files give", &report);
    sl_buf_push(&report, 0);
    for (char *line = (char *)report.data, *nl; line && *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        sl_verify_say("DIFFERS", "%s: %s", where, line);
        if (!nl) break;
    }
    sl_buf_free(&text);
    sl_buf_free(&report);
    return diffs;
}

/* One file's receipt, read with the Parquet reader; merged into *table
 * (made from the first file's schema). -1 after printing why it cannot be
 * read. */
static int sl_verify_file(const char *where, const char *path, sl_receipt **table, sl_schema **schema,
                          sl_receipt **file)
{
    sl_err err = SL_ERR_INIT;
    sl_pq_reader *r = sl_pq_reader_open(path, &err);
    const sl_schema *s = r ? sl_pq_reader_schema(r, &err) : NULL;
    if (!s) {
        sl_verify_say("FAILED", "%s: %s", where, err.msg);
        if (r) sl_pq_reader_close(r);
        return -1;
    }
    if (!*schema) {
        *schema = sl_schema_copy(s);
        *table = sl_receipt_new(s);
    }
    *file = sl_receipt_new(s);
    sl_batch *b = sl_batch_new(s, SL_BATCH_ROWS);
    int64_t n;
    while ((n = sl_pq_reader_next(r, b, &err)) > 0) sl_receipt_add(*file, b);
    sl_batch_free(b);
    sl_pq_reader_close(r);
    if (n < 0) {
        sl_verify_say("FAILED", "%s: %s", where, err.msg);
        return -1;
    }
    if ((*file)->ncols != (*table)->ncols) {
        sl_verify_say("DIFFERS", "%s: %d columns, the table's first file has %d", where, (*file)->ncols,
                      (*table)->ncols);
        return -1;
    }
    sl_receipt_merge(*table, *file);
    return 0;
}

/* The schema a receipt names (its columns' "name" and "type"), for reading
 * a CSV target back; NULL when a type is not one sluice knows. */
static sl_schema *sl_verify_receipt_schema(const char *receipt)
{
    char col[8192], name[512], type[64];
    int n = 0;
    for (const char *p = sl_receipt_json_columns(receipt); p && (p = sl_receipt_json_column(p, col, sizeof col));) n++;
    sl_schema *s = sl_schema_new(n);
    int c = 0;
    for (const char *p = sl_receipt_json_columns(receipt); p && (p = sl_receipt_json_column(p, col, sizeof col));) {
        sl_type t;
        if (!sl_receipt_json_field(col, "name", name, sizeof name) ||
            !sl_receipt_json_field(col, "type", type, sizeof type) || sl_type_parse(type, &t) < 0) {
            sl_schema_free(s);
            return NULL;
        }
        sl_schema_set(s, c++, name, t, true);
    }
    return s;
}

/* One CSV field of sluice's CSV sink back into v at row: an empty unquoted
 * field is NULL, bytes are \x hex, the rest sluice's text forms. */
static int sl_verify_csv_value(sl_vector *v, size_t row, const char *p, size_t n, bool quoted)
{
    if (!n && !quoted) {
        sl_vec_set_null(v, row);
        return 0;
    }
    if (v->type.id == SL_T_BYTES) {
        if (n < 2 || p[0] != '\\' || p[1] != 'x' || n % 2) return -1;
        uint8_t *out = sl_vec_reserve_bytes(v, row, (n - 2) / 2);
        for (size_t i = 2; i < n; i += 2) {
            int hi = p[i] <= '9' ? p[i] - '0' : p[i] - 'a' + 10, lo = p[i + 1] <= '9' ? p[i + 1] - '0' : p[i + 1] - 'a' + 10;
            if (hi < 0 || hi > 15 || lo < 0 || lo > 15) return -1;
            out[(i - 2) / 2] = (uint8_t)(hi << 4 | lo);
        }
        return 0;
    }
    const char *why = NULL;
    return sl_text_store(v, row, p, n, &why);
}

/* One file of a CSV target, parsed back with the receipt's types. */
static int sl_verify_csv_file(const char *where, const char *path, const sl_schema *schema, sl_receipt *file)
{
    sl_err err = SL_ERR_INIT;
    size_t len = 0;
    char *text = sl_fs_read_all(path, &len, &err);
    if (!text) {
        sl_verify_say("FAILED", "%s: %s", where, err.msg);
        return -1;
    }
    sl_csv_rec rec = { 0 };
    sl_batch *b = sl_batch_new(schema, SL_BATCH_ROWS);
    size_t at = 0, used = 0;
    int64_t line = 0;
    int rc = 0;
    bool header = true;
    while (rc == 0) {
        int r = sl_csv_parse(',', (const uint8_t *)text + at, len - at, true, &rec, &used, &err);
        if (r == 0) break;
        line += rec.lines ? rec.lines : 1;
        at += used;
        if (r < 0 || (rec.nfields && rec.nfields != schema->ncols)) {
            sl_verify_say("DIFFERS", "%s: line %lld: %s", where, (long long)line,
                          r < 0 ? err.msg : "not as many fields as the receipt has columns");
            rc = -1;
            break;
        }
        if (!rec.nfields && (header || schema->ncols != 1)) continue;
        if (!rec.nfields) {   /* an empty line: a NULL in a one-column table */
            sl_vec_set_null(&b->cols[0], b->nrows);
            if (++b->nrows == b->capacity) {
                sl_receipt_add(file, b);
                sl_batch_reset(b);
            }
            continue;
        }
        if (header) {
            header = false;
            continue;
        }
        for (int c = 0; c < schema->ncols && rc == 0; c++) {
            const sl_csv_field *f = &rec.fields[c];
            const char *v = (const char *)rec.text.data + f->off;
            if (sl_verify_csv_value(&b->cols[c], b->nrows, v, f->len, f->quoted) < 0) {
                char type[64];
                sl_type_format(schema->fields[c].type, type, sizeof type);
                sl_verify_say("DIFFERS", "%s: line %lld: column %s: '%.*s' does not read back as %s", where,
                              (long long)line, schema->fields[c].name, (int)(f->len > 80 ? 80 : f->len), v, type);
                rc = -1;
            }
        }
        if (++b->nrows == b->capacity) {
            sl_receipt_add(file, b);
            sl_batch_reset(b);
        }
    }
    if (rc == 0 && b->nrows) sl_receipt_add(file, b);
    sl_batch_free(b);
    sl_csv_rec_free(&rec);
    sl_free(text);
    return rc;
}

/* One table in one target. Returns the number of problems. */
static int sl_verify_table(const sl_job_table *cfg, const sl_job_target *tg)
{
    char where[1024];
    snprintf(where, sizeof where, "table %s (target %s)", cfg->name, tg->name);
    char *dir = sl_sprintf("%s/%s", tg->path, cfg->name);
    char *path = sl_sprintf("%s/%s", dir, SL_MANIFEST_NAME);
    sl_err err = SL_ERR_INIT;
    char *text = sl_fs_exists(path) ? sl_fs_read_all(path, NULL, &err) : NULL;
    int problems = 0;
    const char *receipt = text ? strstr(text, "\n  \"receipt\": ") : NULL;
    if (!text) {
        sl_verify_say("FAILED", "%s: %s", where, sl_err_is_set(&err) ? err.msg : "not published (no manifest at the "
                      "table's path): run the job first");
        problems++;
    } else if (!receipt) {
        sl_verify_say("FAILED", "%s: its manifest holds no receipt (published by a sluice before receipts): run "
                      "the job again to get one", where);
        problems++;
    } else if (strcmp(tg->kind, "parquet") && strcmp(tg->kind, "csv")) {
        sl_verify_say("FAILED", "%s: verifying a %s target is not supported yet", where, tg->kind);
        problems++;
    }
    if (problems) goto out;

    bool csv = !strcmp(tg->kind, "csv");
    sl_receipt *table = NULL;
    sl_schema *schema = csv ? sl_verify_receipt_schema(receipt) : NULL;
    if (csv && !schema) {
        sl_verify_say("FAILED", "%s: its receipt names a column type this sluice does not know", where);
        problems++;
        goto out;
    }
    if (csv) table = sl_receipt_new(schema);
    int nfiles = 0;
    const char *files = strstr(receipt, "\n  \"files\": [");
    for (const char *p = files ? strstr(files, "\n    {") : NULL; p; p = strstr(p + 1, "\n    {")) {
        size_t len = strcspn(p + 1, "\n");
        char *entry = sl_strndup(p + 1, len);
        char name[512] = "";
        sl_receipt_json_field(entry, "name", name, sizeof name);
        char fwhere[1600];
        snprintf(fwhere, sizeof fwhere, "%s: file %s", where, name);
        char *fpath = sl_sprintf("%s/%s", dir, name);
        sl_receipt *file = csv ? sl_receipt_new(schema) : NULL;
        int read = csv ? sl_verify_csv_file(fwhere, fpath, schema, file) : sl_verify_file(fwhere, fpath, &table, &schema, &file);
        if (read == 0 && csv) sl_receipt_merge(table, file);
        if (read < 0) {
            problems++;
        } else {
            const char *fr = strstr(entry, "\"receipt\": ");
            if (fr) problems += sl_verify_compare(fwhere, fr, file, schema);
        }
        nfiles++;
        sl_receipt_free(file);
        sl_free(fpath);
        sl_free(entry);
    }
    if (table && nfiles && !problems) problems += sl_verify_compare(where, receipt, table, schema);
    else if (!nfiles && !problems) {
        sl_verify_say("FAILED", "%s: its manifest lists no file", where);
        problems++;
    }
    if (!problems)
        printf("ok: %s: %lld rows in %d file%s match the receipt (%d columns)\n", where,
               (long long)table->rows, nfiles, nfiles == 1 ? "" : "s", table->ncols);
    sl_receipt_free(table);
    sl_schema_free(schema);
out:
    sl_free(text);
    sl_free(path);
    sl_free(dir);
    return problems;
}

/* --source: the table's receipt against the source's aggregates now. */
static void sl_verify_source(const sl_job *job, const sl_job_table *cfg)
{
    char where[600];
    snprintf(where, sizeof where, "table %s (source %s)", cfg->name, cfg->source->name);
    char *path = sl_sprintf("%s/%s/%s", cfg->target->path, cfg->name, SL_MANIFEST_NAME);
    sl_err err = SL_ERR_INIT;
    char *text = sl_fs_exists(path) ? sl_fs_read_all(path, NULL, &err) : NULL;
    sl_free(path);
    const char *receipt = text ? strstr(text, "\n  \"receipt\": ") : NULL;
    sl_prep_table pt;
    char *theirs = NULL;
    if (!receipt) {
        sl_verify_say("DRIFT?", "%s: no published receipt to compare with", where);
    } else if (sl_prep_table_init(&pt, job, cfg, 1, NULL, &err) < 0) {
        sl_verify_say("DRIFT?", "%s: cannot reach the source: %s", where, err.msg);
    } else {
        if (!pt.source->table_aggregates)
            sl_verify_say("DRIFT?", "%s: a %s source cannot compute aggregates", where, cfg->source->kind);
        else if (!(theirs = pt.source->table_aggregates(&pt.st, &err)))
            sl_verify_say("DRIFT?", "%s: %s", where, err.msg);
        sl_prep_table_release(&pt);
    }
    if (theirs) {
        sl_buf report = { 0 };
        int n = sl_receipt_json_diff(receipt, theirs, true, "the receipt says", "the source now says", &report);
        sl_buf_push(&report, 0);
        for (char *line = (char *)report.data, *nl; n && line && *line; line = nl + 1) {
            nl = strchr(line, '\n');
            if (nl) *nl = '\0';
            sl_verify_say("DRIFT", "%s: %s", where, line);
            if (!nl) break;
        }
        if (!n) printf("ok: %s: the source still holds what the receipt says\n", where);
        sl_buf_free(&report);
        sl_free(theirs);
    }
    sl_free(text);
}

int sl_cmd_verify(int argc, char **argv)
{
    sl_cli_opts o;
    int rc = sl_cli_parse(argc, argv, SL_OPT_SOURCE, 1, 2, sl_verify_usage, &o);
    if (rc >= 0) return rc;
    sl_job *job = sl_cli_load_job(o.args[0]);
    if (!job) return SL_EXIT_USAGE;
    sl_err xerr = SL_ERR_INIT;
    if (sl_cli_expand_job(job, &xerr) < 0) {
        sl_job_free(job);
        return sl_cli_fail(&xerr);
    }
    const char *only = o.nargs > 1 ? o.args[1] : NULL;
    int problems = 0, checked = 0;
    for (int i = 0; i < job->ntables; i++) {
        const sl_job_table *cfg = &job->tables[i];
        if (only && strcmp(cfg->name, only)) continue;
        int n = cfg->ntargets ? cfg->ntargets : 1;
        for (int k = 0; k < n; k++) {
            const sl_job_target *tg = cfg->ntargets ? cfg->targets[k] : cfg->target;
            if (sl_job_target_is_warehouse(tg)) problems += sl_verify_warehouse(job, cfg, tg);
            else problems += sl_verify_table(cfg, tg);
        }
        if (o.source) sl_verify_source(job, cfg);
        checked++;
    }
    if (only && !checked) {
        fprintf(stderr, "sluice verify: job %s has no table %s\n", job->name, only);
        sl_job_free(job);
        return SL_EXIT_USAGE;
    }
    sl_job_free(job);
    if (problems) printf("%d difference%s or problem%s found\n", problems, problems == 1 ? "" : "s",
                         problems == 1 ? "" : "s");
    return problems ? SL_EXIT_FAILED : SL_EXIT_OK;
}
