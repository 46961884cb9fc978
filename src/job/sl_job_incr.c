/*
 * sl_job_incr.c - a table's `incremental:` and `deletes:` keys.
 *
 *   orders:
 *     from: shop
 *     table: public.orders
 *     incremental: { cursor: updated_at, lookback: 10m, nulls: include }
 *     deletes: detect                  # or { column: deleted_at }
 *     key: [id]
 *     write: merge                     # or append
 *     to: [lake, dw]
 *
 * sl_jp_incremental reads the keys (before sl_jp_warehouse_table, which
 * then accepts write/key for lake targets too); sl_jp_incremental_check,
 * after it, checks the combination: a postgres source, write append or
 * merge (replace would make an increment the whole table), merge needs a
 * key, deletes need merge, lake targets must be local parquet (merge needs
 * DuckDB to read them; csv only appends), and delete_missing is refused
 * (it would delete every row the increment does not carry).
 */
#include "sl_job_int.h"

#include <stdio.h>
#include <string.h>

static const char *const sl_incr_keys[] = { "cursor", "lookback", "nulls", NULL };
static const char *const sl_incr_nulls[] = { "error", "include", NULL };

int sl_jp_incremental(sl_jp *p, yaml_node_t *map, const char *path, sl_job_table *t)
{
    char sub[700];
    yaml_node_t *v = sl_jy_get(&p->y, map, "incremental"), *d = sl_jy_get(&p->y, map, "deletes");
    if (!v) {
        if (d) return sl_jy_fail(&p->y, d, path, "deletes: applies to incremental tables (incremental: {cursor: "
                                                 "...}); a table read whole is replaced whole, deletes included");
        return 0;
    }
    snprintf(sub, sizeof sub, "%s.incremental", path);
    if (sl_jy_expect_map(&p->y, v, sub) < 0 || sl_jy_check_keys(&p->y, v, sub, sl_incr_keys) < 0) return -1;
    if (sl_jp_text_key(p, v, "cursor", sub, "the column that grows with each change (updated_at, or an "
                                            "increasing id)", &t->incr.cursor) < 0)
        return -1;
    if (!t->incr.cursor)
        return sl_jy_fail(&p->y, v, sub, "missing key 'cursor' (the column whose growth marks new or changed rows)");
    yaml_node_t *lb = sl_jy_get(&p->y, v, "lookback");
    if (lb) {
        char lsub[760];
        snprintf(lsub, sizeof lsub, "%s.lookback", sub);
        if (sl_jy_duration(&p->y, lb, lsub, &t->incr.lookback_s) < 0) return -1;
        if (t->incr.lookback_s < 0) return sl_jy_fail(&p->y, lb, lsub, "must not be negative");
    }
    yaml_node_t *nn = sl_jy_get(&p->y, v, "nulls");
    if (nn) {
        char nsub[760], *word;
        snprintf(nsub, sizeof nsub, "%s.nulls", sub);
        if (sl_jy_choice(&p->y, nn, nsub, sl_incr_nulls, &word) < 0) return -1;
        t->incr.nulls_include = !strcmp(word, "include");
    }
    if (d) {
        snprintf(sub, sizeof sub, "%s.deletes", path);
        if (d->type == YAML_SCALAR_NODE) {
            char *word;
            static const char *const modes[] = { "detect", "none", NULL };
            if (sl_jy_choice(&p->y, d, sub, modes, &word) < 0) return -1;
            t->incr.deletes = !strcmp(word, "detect") ? SL_DELETES_DETECT : SL_DELETES_NONE;
        } else {
            static const char *const dkeys[] = { "column", NULL };
            if (sl_jy_expect_map(&p->y, d, sub) < 0 || sl_jy_check_keys(&p->y, d, sub, dkeys) < 0 ||
                sl_jp_text_key(p, d, "column", sub, "the column set on deleted rows (deleted_at)",
                               &t->incr.deleted_column) < 0)
                return -1;
            if (!t->incr.deleted_column)
                return sl_jy_fail(&p->y, d, sub, "give detect, or {column: deleted_at} (rows with it set are deletions)");
            t->incr.deletes = SL_DELETES_COLUMN;
        }
    }
    return 0;
}

int sl_jp_incremental_check(sl_jp *p, yaml_node_t *map, const char *path, sl_job_table *t)
{
    if (!t->incr.cursor) return 0;
    yaml_node_t *v = sl_jy_get(&p->y, map, "incremental");
    if (t->source && strcmp(t->source->kind, "postgres"))
        return sl_jy_fail(&p->y, v, path, "incremental: reads postgres sources only (the %s source has no snapshot "
                                          "to take the high watermark from); remove it", t->source->kind);
    if (t->write == SL_WRITE_REPLACE)
        return sl_jy_fail(&p->y, v, path, "incremental: needs write: merge (with key: [columns]) or write: append; "
                                          "replace would leave only the last increment");
    if (t->write == SL_WRITE_MERGE && !t->key)
        return sl_jy_fail(&p->y, v, path, "write: merge needs key: [columns] (the columns that identify a row)");
    if (t->delete_missing)
        return sl_jy_fail(&p->y, sl_jy_get(&p->y, map, "delete_missing"), path, "delete_missing would delete every "
                          "row an increment does not carry; use deletes: detect on an incremental table");
    if (t->incr.deletes != SL_DELETES_NONE && t->write != SL_WRITE_MERGE)
        return sl_jy_fail(&p->y, sl_jy_get(&p->y, map, "deletes"), path, "deletes: needs write: merge (an append "
                          "log keeps every version; nothing is removed from it)");
    if (t->incr.deleted_column && t->incr.cursor && !strcmp(t->incr.deleted_column, t->incr.cursor))
        return sl_jy_fail(&p->y, sl_jy_get(&p->y, map, "deletes"), path, "the deletes column cannot be the cursor");
    for (int k = 0; k < t->ntargets; k++) {
        const sl_job_target *g = t->targets[k];
        if (!strcmp(g->kind, "duckdb") && t->incr.deletes != SL_DELETES_NONE)
            return sl_jy_fail(&p->y, sl_jy_get(&p->y, map, "deletes"), path, "target %s: deletes: into a duckdb "
                              "target is not built (lake and postgres targets are); remove deletes: or the target",
                              g->name);
        if (sl_job_target_is_warehouse(g)) continue;
        if (g->path && !strncmp(g->path, "s3://", 5))
            return sl_jy_fail(&p->y, v, path, "target %s: incremental loads into s3:// lakes are not built (a local "
                              "lake, a duckdb or a postgres warehouse are)", g->name);
        if (!strcmp(g->kind, "csv") && t->write == SL_WRITE_MERGE)
            return sl_jy_fail(&p->y, v, path, "target %s: write: merge into a csv lake is not built (only parquet "
                              "tables are merged); use write: append or a parquet target", g->name);
    }
    return 0;
}
