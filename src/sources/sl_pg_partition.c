/*
 * sl_pg_partition.c - integer-range partitioning of a PostgreSQL relation
 * (see sl_pg_partition.h). Predicates are plain comparisons on the key
 * (`"id" >= 100 AND "id" < 200`), so a b-tree index on it answers them.
 */
#include "sl_pg_partition.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"
#include "sl_pg_conn.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void sl_pgpart_one(sl_source_table *tab, double est_rows, const char *note)
{
    tab->tasks = sl_calloc(1, sizeof *tab->tasks);
    tab->ntasks = 1;
    tab->tasks[0].index = 0;
    tab->tasks[0].predicate = NULL;
    tab->tasks[0].est_rows = est_rows >= 0 ? (int64_t)est_rows : -1;
    tab->strategy_note = sl_strdup(note);
}

int sl_pg_partition_plan(const sl_pg_part_in *in, sl_source_table *tab, sl_err *err)
{
    const sl_job_partition *cfg = in->cfg;
    const char *strategy = cfg && cfg->strategy ? cfg->strategy : "auto";
    if (!cfg || !strcasecmp(strategy, "none")) {
        sl_pgpart_one(tab, in->est_rows, "none: one task");
        return 0;
    }
    if (!cfg->column) {
        if (strcasecmp(strategy, "auto"))
            return sl_err_set(err, SL_EJOB, "%s: partition strategy %s needs a column (partition: {column: ...})",
                              in->what, strategy);
        sl_pgpart_one(tab, in->est_rows, "auto: no partition column given; one task");
        return 0;
    }
    char fallback[160] = "";
    if (strcasecmp(strategy, "range") && strcasecmp(strategy, "auto")) {
        if (strcasecmp(strategy, "histogram") && strcasecmp(strategy, "mod") && strcasecmp(strategy, "pages"))
            return sl_err_set(err, SL_EJOB, "%s: unknown partition strategy '%s'; use auto, range, histogram, mod, pages or none",
                              in->what, strategy);
        sl_log(SL_LOG_WARN, "%s: partition strategy %s is not implemented yet; using range", in->what, strategy);
        snprintf(fallback, sizeof fallback, " (strategy %s not implemented yet)", strategy);
    }
    int col = sl_schema_find(in->schema, cfg->column);
    if (col < 0)
        return sl_err_set(err, SL_EJOB, "%s: partition column %s is not a column of it", in->what, cfg->column);
    sl_type_id tid = in->schema->fields[col].type.id;
    if (tid != SL_T_INT16 && tid != SL_T_INT32 && tid != SL_T_INT64) {
        char tb[64];
        return sl_err_set(err, SL_EJOB, "%s: partition column %s is %s; range partitioning needs an integer column "
                          "(or use partition: {strategy: none})", in->what, cfg->column,
                          sl_type_format(in->schema->fields[col].type, tb, sizeof tb));
    }
    bool nullable = in->schema->fields[col].nullable;
    char *qcol = sl_pg_quote_ident(cfg->column);
    char *sql = sl_sprintf("SELECT min(%s)::int8, max(%s)::int8 FROM %s", qcol, qcol, in->from);
    PGresult *res = sl_pg_exec_tuples(in->conn, sql, in->what, err);
    sl_free(sql);
    if (!res) {
        sl_free(qcol);
        sl_err_prefix(err, "partition bounds");
        return -1;
    }
    if (PQgetisnull(res, 0, 0)) {
        /* Empty table, or only NULL keys: one task reads whatever is there. */
        PQclear(res);
        sl_free(qcol);
        sl_pgpart_one(tab, in->est_rows, "range: no key values (empty table or all NULL); one task");
        return 0;
    }
    int64_t lo = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    int64_t hi = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);

    int count = cfg->count;
    if (count <= 0) {
        int w = in->workers > 0 ? in->workers : 1;
        count = w * 2;
        if (in->est_rows >= 0 && in->est_rows < 100000) count = 1;   /* tiny table */
    }
    sl_i128 span = (sl_i128)hi - (sl_i128)lo + 1;
    if ((sl_i128)count > span) count = (int)span;
    if (count < 1) count = 1;

    if (count == 1) nullable = false;   /* one task reads the NULL keys too */
    int ntasks = count + (nullable ? 1 : 0);
    tab->tasks = sl_calloc((size_t)ntasks, sizeof *tab->tasks);
    tab->ntasks = ntasks;
    int64_t per = in->est_rows >= 0 ? (int64_t)(in->est_rows / ntasks) : -1;
    int64_t prev = lo;
    for (int i = 0; i < count; i++) {
        sl_task *t = &tab->tasks[i];
        t->index = i;
        t->est_rows = per;
        int64_t next = (int64_t)((sl_i128)lo + span * (i + 1) / count);
        if (count == 1)
            t->predicate = NULL;
        else if (i == 0)
            t->predicate = sl_sprintf("%s < %" PRId64, qcol, next);
        else if (i == count - 1)
            t->predicate = sl_sprintf("%s >= %" PRId64, qcol, prev);
        else
            t->predicate = sl_sprintf("%s >= %" PRId64 " AND %s < %" PRId64, qcol, prev, qcol, next);
        prev = next;
    }
    if (nullable) {
        sl_task *t = &tab->tasks[count];
        t->index = count;
        t->est_rows = per;
        t->predicate = sl_sprintf("%s IS NULL", qcol);
    }
    tab->strategy_note = sl_sprintf("range on %s: [%" PRId64 ", %" PRId64 "] in %d equal ranges%s%s", cfg->column,
                                    lo, hi, count, nullable ? " plus one task for NULL keys" : "", fallback);
    sl_free(qcol);
    return 0;
}
