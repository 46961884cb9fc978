/*
 * sl_lake_compact.c - `sluice compact`: a lake table's small files rewritten
 * together into few, published atomically as a new version (see
 * sl_store_incr.h).
 *
 * Each incremental run adds files (one per task), and a merge leaves the
 * files it rewrote; files under SL_LAKE_SMALL_ROWS rows are grouped in their
 * key ranges' order (the manifest entries' receipts or bounds, when the
 * table's key is one column) into files of up to about SL_LAKE_GROUP_ROWS
 * rows. Larger files are carried as they are (hard links keeping their
 * entries), so compacting a big table rewrites only its small files and no
 * file grows past a merge's unit of rewriting. A group is written by sluice's
 * own reader and writer (sl_lake_rewrite.h, no row leaving: the files'
 * exact Parquet schema kept) unless its files' schemas differ or the reader
 * refuses one (a file DuckDB wrote, a column added later); then by DuckDB's
 * COPY of read_parquet(..., union_by_name). Every written file's row count
 * must equal its inputs' manifest rows, or nothing is published. A
 * compacted file takes over the union of its inputs' key ranges ("bounds"),
 * so the next merge prunes it as well as them.
 */
#include "sl_store_incr.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"
#include "../parquet/sl_pq_reader.h"
#include "../state/sl_fs.h"
#include "sl_duck.h"
#include "sl_lake_rewrite.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The key's type, from the first file's Parquet schema; false when it has no such column. */
static bool sl_lc_key_type(const sl_staging *stg, const sl_live_file *live, const char *key, sl_type *t)
{
    char *path = sl_fs_join(stg->live, live[0].name);
    sl_err e = SL_ERR_INIT;
    sl_pq_reader *r = sl_pq_reader_open(path, &e);
    const sl_schema *s = r ? sl_pq_reader_schema(r, &e) : NULL;
    int c = s ? sl_schema_find(s, key) : -1;
    if (c >= 0) *t = s->fields[c].type;
    sl_pq_reader_close(r);
    sl_free(path);
    return c >= 0;
}

/* Files order[0..n) of live into stage/<name>: natively, or by DuckDB when
 * the native rewrite does not take them. *rows: the rows written. */
static int sl_lc_write(const sl_staging *stg, const sl_job_target *target, const char *job, const char *table,
                       const sl_live_file *live, const int *order, int n, const char *name, int64_t *rows,
                       sl_store_file *f, sl_err *err)
{
    char **in = sl_calloc((size_t)n, sizeof *in), **names = sl_calloc((size_t)n, sizeof *names);
    for (int k = 0; k < n; k++) {
        in[k] = sl_fs_join(stg->live, live[order[k]].name);
        names[k] = live[order[k]].name;
    }
    char *out = sl_fs_join(stg->dir, name);
    sl_pq_kv kv[3] = { { "sluice.version", SL_VERSION }, { "sluice.job", job }, { "sluice.table", table } };
    sl_lake_gone none = { NULL, 0 };
    sl_lake_native nv = { target, NULL, &none, kv, 3, false };
    char why[400];
    uint32_t crc = 0;
    uint64_t bytes = 0;
    int rc = sl_lake_rewrite_native(&nv, in, n, out, rows, &crc, &bytes, why, sizeof why, err);
    if (rc > 0) {
        *f = (sl_store_file){ name, *rows, (int64_t)bytes, crc, NULL };
        rc = 0;
    } else if (rc == 0) {
        sl_log(SL_LOG_DEBUG, "table %s: compact: %s written by DuckDB: the native rewrite does not take its %d "
               "files: %s", table, name, n, why);
        sl_duck *d = sl_duck_open_memory(0, 0, stg->run_dir, err);
        if (!d) rc = -1;
        sl_buf b = { 0 };
        sl_buf_printf(&b, "copy (select * from ");
        sl_lake_q_files(&b, stg->live, names, n);
        /* read_parquet([...]) -> read_parquet([...], union_by_name = true): columns added later line up */
        b.len--;
        sl_buf_printf(&b, ", union_by_name = true)) to ");
        sl_lake_q_text(&b, out);
        sl_lake_q_parquet_opts(&b, target);
        char *sql = sl_lake_q_done(&b);
        if (rc == 0) rc = sl_duck_exec(d, sql, rows, err);
        if (rc == 0) rc = sl_lake_written_entry(stg, name, *rows, f, err);
        sl_free(sql);
        sl_duck_close(d);
    }
    for (int k = 0; k < n; k++) sl_free(in[k]);
    sl_free(in);
    sl_free(names);
    sl_free(out);
    return rc;
}

int sl_lake_compact(const sl_job_target *target, const char *job, const char *table, const char *key, int *before,
                    int *after, sl_err *err)
{
    *before = *after = 0;
    sl_staging stg;
    /* run-0: no run of the job has that id. */
    if (sl_staging_open(&stg, target->path, job, 0, table, err) < 0) return -1;
    sl_live_file *live = NULL;
    int nlive = 0, rc = sl_lake_live_files(&stg, &live, &nlive, err);
    char *mpath = sl_fs_join(stg.live, SL_MANIFEST_NAME);
    size_t len = 0;
    char *text = rc == 0 && sl_fs_exists(mpath) ? sl_fs_read_all(mpath, &len, err) : NULL;
    sl_free(mpath);
    if (rc == 0 && !text) rc = sl_err_set(err, SL_EJOB, "%s has no manifest: not a table sluice published; nothing "
                                                        "to compact", stg.live);
    if (rc == 0 && strstr(text, "\"job\": ") && !strstr(text, job))
        rc = sl_err_set(err, SL_EJOB, "%s was published by another job; compact it with that job's file", stg.live);
    *before = *after = nlive;
    /* The small files, and their key ranges when the key is one column the files hold. */
    sl_lake_bounds *bd = sl_calloc((size_t)nlive + 1, sizeof *bd);
    int *small = sl_calloc((size_t)nlive + 1, sizeof *small), nsmall = 0;
    sl_type kt;
    bool ranges = rc == 0 && nlive > 0 && key && sl_lc_key_type(&stg, live, key, &kt) && sl_lake_bounds_type_ok(kt);
    for (int i = 0; rc == 0 && i < nlive; i++) {
        if (ranges) sl_lake_bounds_parse(live[i].members, key, kt, &bd[i]);
        if (live[i].rows < SL_LAKE_SMALL_ROWS) small[nsmall++] = i;
    }
    int *order = sl_calloc((size_t)nsmall + 1, sizeof *order), *gend = sl_calloc((size_t)nsmall + 1, sizeof *gend);
    int ng = rc == 0 ? sl_lake_small_groups(live, bd, small, nsmall, order, gend) : 0;
    int nwrite = 0;   /* groups of two files or more: the others stay */
    for (int g = 0, at = 0; g < ng; at = gend[g++]) nwrite += gend[g] - at > 1;
    sl_store_file *f = sl_calloc((size_t)nlive + 1, sizeof *f);
    char **owned = sl_calloc((size_t)(2 * nlive) + 1, sizeof *owned);
    int nf = 0, nowned = 0;
    if (rc == 0 && nwrite > 0) {
        bool *grouped = sl_calloc((size_t)nlive + 1, sizeof *grouped);
        long long stamp = (long long)time(NULL);
        int seq = 0;
        for (int g = 0, at = 0; rc == 0 && g < ng; at = gend[g++]) {
            int n = gend[g] - at;
            if (n < 2) continue;
            int64_t want = 0, rows = 0;
            for (int k = at; k < gend[g]; k++) {
                want += live[order[k]].rows;
                grouped[order[k]] = true;
            }
            char *name = sl_sprintf("k%lld-%05d.parquet", stamp, seq++);
            owned[nowned++] = name;
            rc = sl_lc_write(&stg, target, job, table, live, order + at, n, name, &rows, &f[nf], err);
            if (rc == 0 && rows != want)
                rc = sl_err_set(err, SL_ECHECK, "compacting %s: %lld rows written into %s, the manifest lists %lld "
                                "for its %d files; nothing published", stg.live, (long long)rows, name,
                                (long long)want, n);
            if (rc < 0) break;
            /* The range it takes over: the union of its files' (when they all have one). */
            sl_lake_bounds u = sl_lake_bounds_union(bd, order + at, n);
            if (u.known) {
                sl_buf b = { 0 };
                sl_lake_bounds_json(&u, key, &b);
                f[nf].receipt = owned[nowned++] = sl_lake_q_done(&b);
            }
            sl_log(SL_LOG_DEBUG, "table %s: compact: %d files (%lld rows) into %s", table, n, (long long)rows, name);
            nf++;
        }
        /* The others: carried as they are, with their entries. */
        for (int i = 0; rc == 0 && i < nlive; i++) {
            if (grouped[i]) continue;
            rc = sl_lake_carry(&stg, live[i].name, live[i].name, err);
            f[nf++] = (sl_store_file){ live[i].name, live[i].rows, live[i].bytes, live[i].crc32, live[i].members };
        }
        sl_free(grouped);
    }
    if (rc == 0 && nwrite > 0) {
        /* run_id 0 names a compaction; the caller refuses to compact while a run of the job is unfinished
         * (its resume recognises what it published by the run id). */
        stg.run_started = (double)time(NULL);
        sl_store_manifest m = { f, nf, 0, NULL, NULL };
        sl_store_result res;
        rc = sl_publish_table(&stg, &m, &res, err);
        if (rc == 0) *after = nf;
    }
    sl_publish_clean_run(target->path, job, 0, NULL);
    for (int i = 0; i < nowned; i++) sl_free(owned[i]);
    sl_free(owned);
    sl_free(f);
    sl_free(order);
    sl_free(gend);
    sl_free(small);
    sl_free(bd);
    sl_free(text);
    sl_lake_live_free(live, nlive);
    sl_staging_close(&stg);
    return rc;
}
