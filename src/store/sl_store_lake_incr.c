/*
 * sl_store_lake_incr.c - incremental writes into a local lake table
 * (write: append | merge of an incremental table).
 *
 * A lake table is a directory whose manifest lists its files; a version is
 * published by swapping a complete staged directory with the live one
 * (state/sl_publish.h). An incremental publish therefore stages the WHOLE
 * new version, cheaply:
 *
 *   append  the live version's files are hard-linked into the staging
 *           directory (same file system: no byte is copied) beside the
 *           run's new part files; the manifest lists both.
 *   merge   the live files that can hold a key the increment carries or
 *           that is deleted are chosen from their manifest entries' key
 *           ranges (sl_lake_bounds.h; files without one: their keys read
 *           by DuckDB); the others are hard-linked as they are, keeping
 *           their entries (receipts); each chosen file's rows whose key is
 *           neither are written into a file of its own that takes over its
 *           range ("bounds"); the increment's part files (sluice's own,
 *           exact types) are listed as they are - unless soft deletes
 *           remove rows from them, then DuckDB writes the increment without
 *           those rows.
 *
 * Who rewrites a chosen file: with a key of one integer column, sluice's own
 * Parquet reader and writer (sl_lake_rewrite.h): the anti-join is then a
 * lookup in a sorted array of the leaving keys, read from DuckDB once, and
 * the rows keep sluice's encoding at a fraction of DuckDB's CPU (the rewrite
 * was most of a merge's time); the written file's Parquet schema is checked
 * against the old file's. Any other key (several columns, text, a
 * timestamp), and a file the native rewrite does not take (a column its
 * reader refuses, a schema it would not write back the same), go through
 * DuckDB's COPY TO (select * ... anti join sl_gone using (key)): a
 * relational operation over files that DuckDB streams, spills and
 * parallelises, for key types for which a sorted array would not do.
 *
 * Names: live files named part-* (a run's task outputs) are carried as
 * c<run>-part-*, so the next run's part-* never collide; c*, m*, i* files
 * keep their names. Every step may be repeated after a crash: links and
 * rewritten files in the staging directory are made again, the live
 * version is untouched until the swap.
 *
 * Deletes (sl_lake_incr_deletes, one function): `deletes: detect` - live
 * keys absent from the source's key list (read in the run's snapshot) and
 * not in the increment (an integer key: a merge of the live keys in order
 * with the source's sorted key file, sl_store_lake_detect.c; another key: a
 * DuckDB anti-join of the text forms); `deletes: {column: c}` - increment
 * rows with c set.
 * The count is in sg->deleted_keys before anything is removed.
 */
#include "sl_store_incr.h"
#include "../core/sl_guard.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_keyfile.h"
#include "../core/sl_log.h"
#include "../parquet/sl_compress.h"
#include "../state/sl_fs.h"
#include "sl_duck.h"
#include "sl_store_lake_detect.h"
#include "sl_lake_bounds.h"
#include "sl_lake_rewrite.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- the live manifest's files ---- */

void sl_lake_live_free(sl_live_file *f, int n)
{
    for (int i = 0; i < n; i++) sl_free(f[i].name), sl_free(f[i].members);
    sl_free(f);
}

/* The files of our own manifest (sl_publish.c writes each entry as
 * {"name": "...", "rows": N, "bytes": N, "crc32": N ...}); -1 when it
 * cannot be read, 0 with *n = 0 when there is no live table. */
int sl_lake_live_files(const sl_staging *stg, sl_live_file **out, int *n, sl_err *err)
{
    *out = NULL;
    *n = 0;
    char *path = sl_fs_join(stg->live, SL_MANIFEST_NAME);
    if (!sl_fs_exists(path)) {
        sl_free(path);
        return 0;
    }
    size_t len;
    char *text = sl_fs_read_all(path, &len, err);
    if (!text) {
        sl_free(path);
        return -1;
    }
    const char *p = strstr(text, "\"files\": [");
    int cap = 0, rc = 0;
    /* Entries begin on a line of their own; receipts inside them hold {"name": ...} too. */
    while (p && (p = strstr(p, "\n    {\"name\": \""))) {
        p += 15;
        const char *end = strchr(p, '"');
        long long rows, bytes;
        unsigned long crc;
        int used = 0;
        if (!end || sscanf(end, "\", \"rows\": %lld, \"bytes\": %lld, \"crc32\": %lu%n", &rows, &bytes, &crc,
                           &used) != 3 || !used) {
            rc = sl_err_set(err, SL_EIO, "%s: cannot read its file list; publish the table again with sluice run "
                            "--full-refresh", path);
            break;
        }
        /* The rest of the entry's line, without its closing brace (and comma): carried into the next version. */
        const char *mem = end + used, *eol = strchr(mem, '\n');
        if (!eol) eol = mem + strlen(mem);
        const char *close = eol;
        while (close > mem && (close[-1] == ',' || close[-1] == ' ')) close--;
        if (close > mem && close[-1] == '}') close--;
        char *members = NULL;
        if (!strncmp(mem, ", ", 2) && close > mem + 2) members = sl_strndup(mem + 2, (size_t)(close - mem - 2));
        if (*n == cap) *out = sl_realloc(*out, sizeof **out * (size_t)(cap = cap ? cap * 2 : 16));
        (*out)[*n] = (sl_live_file){ sl_strndup(p, (size_t)(end - p)), rows, bytes, (uint32_t)crc, members };
        (*n)++;
        p = end;
    }
    sl_free(text);
    sl_free(path);
    if (rc < 0) {
        sl_lake_live_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- SQL text ---- */

static void sl_q_ident(sl_buf *b, const char *s)
{
    sl_buf_push(b, '"');
    for (; *s; s++) {
        if (*s == '"') sl_buf_push(b, '"');
        sl_buf_push(b, (uint8_t)*s);
    }
    sl_buf_push(b, '"');
}

void sl_lake_q_text(sl_buf *b, const char *s)
{
    sl_buf_push(b, '\'');
    for (; *s; s++) {
        if (*s == '\'') sl_buf_push(b, '\'');
        sl_buf_push(b, (uint8_t)*s);
    }
    sl_buf_push(b, '\'');
}

static void sl_q_keys(sl_buf *b, const sl_job_table *cfg)
{
    for (int k = 0; k < cfg->nkey; k++) {
        if (k) sl_buf_printf(b, ", ");
        sl_q_ident(b, cfg->key[k]);
    }
}

/* read_parquet([dir/name, ...]) */
void sl_lake_q_files(sl_buf *b, const char *dir, char *const *names, int n)
{
    sl_buf_printf(b, "read_parquet([");
    for (int i = 0; i < n; i++) {
        char *p = sl_fs_join(dir, names[i]);
        if (i) sl_buf_printf(b, ", ");
        sl_lake_q_text(b, p);
        sl_free(p);
    }
    sl_buf_printf(b, "])");
}

/* The options of DuckDB's COPY TO for a file of this lake: the target's
 * codec and level, as sluice's own writer uses them (sinks/sl_sink_parquet.c:
 * zstd at SL_COMPRESS_ZSTD_DEFAULT_LEVEL unless the job says otherwise), so
 * that rewritten files cost what the run's own files cost. DuckDB's default
 * zstd level (3) made a merge's rewrite ~1.5x the CPU of level 1 for files
 * 9% smaller; DuckDB takes a level for zstd only. */
void sl_lake_q_parquet_opts(sl_buf *b, const sl_job_target *t)
{
    const char *codec = t->compression && *t->compression ? t->compression : "zstd";
    if (!strcmp(codec, "none")) codec = "uncompressed";
    sl_buf_printf(b, " (format parquet, compression %s", codec);
    if (!strcmp(codec, "zstd"))
        sl_buf_printf(b, ", compression_level %d",
                      t->compression_level ? t->compression_level : SL_COMPRESS_ZSTD_DEFAULT_LEVEL);
    sl_buf_printf(b, ")");
}

char *sl_lake_q_done(sl_buf *b)
{
    sl_buf_push(b, 0);
    return (char *)b->data;
}

/* ---- carrying files into the staged version ---- */

static char *sl_carried_name(const sl_stage *sg, const char *name)
{
    return !strncmp(name, "part-", 5) ? sl_sprintf("c%lld-%s", (long long)sg->run_id, name) : sl_strdup(name);
}

/* Hard-links live/<name> as stage/<as> (again after a crash: replaced); a
 * file system without hard links gets a copy. */
int sl_lake_carry(const sl_staging *stg, const char *name, const char *as, sl_err *err)
{
    char *from = sl_fs_join(stg->live, name), *to = sl_fs_join(stg->dir, as);
    int rc = 0;
    if (unlink(to) < 0 && errno != ENOENT) rc = sl_fs_errno(err, errno, "cannot replace", to);
    if (rc == 0 && link(from, to) < 0) {
        if (errno == EXDEV || errno == EPERM || errno == EMLINK || errno == ENOTSUP) {
            size_t len;
            char *data = sl_fs_read_all(from, &len, err);
            rc = data ? sl_fs_write_atomic(to, data, len, err) : -1;
            sl_free(data);
        } else {
            rc = sl_fs_errno(err, errno, "cannot link into the staged version", to);
        }
    }
    sl_free(from);
    sl_free(to);
    return rc;
}

/* A file written into the staging directory (DuckDB's COPY, the native rewrite), as a manifest entry. */
int sl_lake_written_entry(const sl_staging *stg, const char *name, int64_t rows, sl_store_file *f, sl_err *err)
{
    char *path = sl_fs_join(stg->dir, name);
    uint32_t crc = 0;
    uint64_t size = 0;
    int rc = sl_fs_file_crc32(path, &crc, &size, err) < 0 || sl_fs_fsync_file(path, err) < 0 ? -1 : 0;
    sl_free(path);
    *f = (sl_store_file){ name, rows, (int64_t)size, crc, NULL };
    return rc;
}

/* ---- deletes ---- */

int sl_lake_incr_deletes(sl_stage *sg, struct sl_duck *d, const sl_staging *stg, const char *old_sql,
                         const char *inc_sql, sl_err *err)
{
    const sl_job_table *cfg = sg->cfg;
    sl_buf b = { 0 };
    int64_t n = 0, soft = 0;
    /* d(keys): what leaves the live version: the increment's keys (their new rows replace them) and the deleted. */
    sl_buf_printf(&b, "create or replace temp table sl_gone as select ");
    sl_q_keys(&b, cfg);
    sl_buf_printf(&b, " from %s", inc_sql);
    char *sql = sl_lake_q_done(&b);
    int rc = sl_duck_exec(d, sql, NULL, err);
    sl_free(sql);
    if (rc == 0 && cfg->incr.deletes == SL_DELETES_COLUMN) {
        b = (sl_buf){ 0 };
        sl_buf_printf(&b, "select count(*) from %s where ", inc_sql);
        sl_q_ident(&b, cfg->incr.deleted_column);
        sl_buf_printf(&b, " is not null");
        sql = sl_lake_q_done(&b);
        rc = sl_duck_exec(d, sql, &soft, err);
        sl_free(sql);
    }
    int64_t live = -1;   /* the live version's rows, when the delete step counted them */
    int sorted = 0, ncols = 0;
    if (rc == 0 && cfg->incr.deletes == SL_DELETES_DETECT && sg->keys_path && old_sql) {
        sorted = sl_keyfile_probe(sg->keys_path, &ncols, err);
        if (sorted < 0) rc = -1;
    }
    if (rc == 0 && sorted > 0) {
        /* An integer key: the live keys in order merged with the source's sorted key file
         * (sl_store_lake_detect.c); only the absent keys go back to DuckDB. */
        char what[600];
        snprintf(what, sizeof what, "table %s in target %s", cfg->name, sg->target->name);
        /* The key file of the run the live version is from, when this job published it and it is kept. */
        char job[256];
        int64_t live_run = 0;
        sl_err ignored = SL_ERR_INIT;
        if (stg && sl_publish_live_run(stg->target_dir, stg->table, job, sizeof job, &live_run, &ignored) <= 0)
            live_run = 0;
        char *prev = live_run > 0 && live_run != sg->run_id && !strcmp(job, stg->job)
                         ? sl_keyfile_prev(sg->keys_dir, sg->job, live_run, cfg->name, ncols)
                         : NULL;
        rc = sl_lake_detect_sorted(d, old_sql, inc_sql, cfg->key, cfg->nkey, sg->keys_path, prev, what, &n, &live,
                                   err);
        sl_free(prev);
        if (rc < 0) sl_err_prefix(err, "deletes: detect");
    } else if (rc == 0 && cfg->incr.deletes == SL_DELETES_DETECT && sg->keys_path && old_sql) {
        /* Keys compared in their text forms: PostgreSQL's CSV text and DuckDB's cast agree for integers,
         * text and uuid, the usual keys. */
        b = (sl_buf){ 0 };
        sl_buf_printf(&b, "create or replace temp table sl_src as select * from read_csv(");
        sl_lake_q_text(&b, sg->keys_path);
        sl_buf_printf(&b, ", header = false, all_varchar = true, names = [");
        for (int k = 0; k < cfg->nkey; k++) {
            if (k) sl_buf_printf(&b, ", ");
            sl_lake_q_text(&b, cfg->key[k]);
        }
        sl_buf_printf(&b, "]); insert into sl_gone select ");
        sl_q_keys(&b, cfg);
        sl_buf_printf(&b, " from %s o where not exists (select 1 from sl_src s where ", old_sql);
        for (int k = 0; k < cfg->nkey; k++) {
            if (k) sl_buf_printf(&b, " and ");
            sl_buf_printf(&b, "s.");
            sl_q_ident(&b, cfg->key[k]);
            sl_buf_printf(&b, " = o.");
            sl_q_ident(&b, cfg->key[k]);
            sl_buf_printf(&b, "::varchar");
        }
        sl_buf_printf(&b, ") and not exists (select 1 from %s i where ", inc_sql);
        for (int k = 0; k < cfg->nkey; k++) {
            if (k) sl_buf_printf(&b, " and ");
            sl_buf_printf(&b, "i.");
            sl_q_ident(&b, cfg->key[k]);
            sl_buf_printf(&b, " = o.");
            sl_q_ident(&b, cfg->key[k]);
        }
        sl_buf_printf(&b, ")");
        sql = sl_lake_q_done(&b);
        rc = sl_duck_exec(d, sql, &n, err);
        sl_free(sql);
        if (rc < 0) sl_err_prefix(err, "deletes: detect");
    }
    sg->deleted_keys = n + soft;
    /* The mass-delete guard: more than max_delete_ratio of the live version's
     * rows deleted refuses the publish (the live version stays). */
    double ratio = sl_job_table_max_delete_ratio(cfg);
    if (rc == 0 && ratio >= 0 && sg->deleted_keys > 0 && old_sql) {
        if (live < 0) {
            sql = sl_sprintf("select count(*) from %s", old_sql);
            rc = sl_duck_exec(d, sql, &live, err);
            sl_free(sql);
        }
        if (rc == 0) {
            char what[600];
            snprintf(what, sizeof what, "table %s in target %s (deletes)", cfg->name, sg->target->name);
            rc = sl_guard_deletes(what, live, sg->deleted_keys, ratio, sg->allow_mass_delete, err);
        }
    }
    return rc;
}

/* ---- publish ---- */

/* DuckDB connections rewriting files at once; threads of the native
 * rewrite at most (one per CPU below that). */
#define SL_LAKE_REWRITERS 4
#define SL_LAKE_NATIVE_MAX 64

/* Runs "copy (<select>) to <stg>/<name>" in DuckDB; a file with rows joins
 * the new version (names, f), an empty one is removed. Takes name. */
static int sl_lake_copy_part(struct sl_duck *d, const sl_job_target *t, const sl_staging *stg, char *name,
                             const char *select, char **names, int *nnames, sl_store_file *f, int *nf, sl_err *err)
{
    char *path = sl_fs_join(stg->dir, name);
    sl_buf b = { 0 };
    sl_buf_printf(&b, "copy (%s) to ", select);
    sl_lake_q_text(&b, path);
    sl_lake_q_parquet_opts(&b, t);
    char *sql = sl_lake_q_done(&b);
    int64_t rows = 0;
    int rc = sl_duck_exec(d, sql, &rows, err);
    sl_free(sql);
    if (rc == 0 && rows > 0) {
        names[(*nnames)++] = name;
        rc = sl_lake_written_entry(stg, name, rows, &f[(*nf)++], err);
    } else {
        unlink(path);
        sl_free(name);
    }
    sl_free(path);
    return rc;
}


static double sl_lake_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* read_parquet([live files i with sel[i]]) */
static void sl_q_live_sel(sl_buf *b, const sl_staging *stg, char *const *old, const bool *sel, int n, const char *opts)
{
    sl_buf_printf(b, "read_parquet([");
    int w = 0;
    for (int i = 0; i < n; i++) {
        if (!sel[i]) continue;
        char *p = sl_fs_join(stg->live, old[i]);
        if (w++) sl_buf_printf(b, ", ");
        sl_lake_q_text(b, p);
        sl_free(p);
    }
    sl_buf_printf(b, "]%s)", opts);
}

/* Which live files hold a key of sl_gone, into hit[]: first by the files'
 * key ranges (sl_lake_bounds.h: no file is read), then, for the files
 * without a range, by reading their key column. *outside: the leaving keys
 * in no file's range when every file has one (else -1): more than 0 means
 * the increment inserts rows. */
static int sl_lake_incr_hits(sl_stage *sg, sl_staging *stg, sl_duck *d, sl_live_file *live, char *const *old,
                             int nlive, sl_lake_bounds *bd, bool *hit, int64_t *outside, sl_err *err)
{
    const sl_job_table *cfg = sg->cfg;
    int key_col = sg->schema ? sl_schema_find(sg->schema, cfg->key[0]) : -1;
    sl_type kt = key_col >= 0 ? sg->schema->fields[key_col].type : (sl_type){ 0 };
    int nbounded = 0, rc = 0;
    for (int i = 0; key_col >= 0 && i < nlive; i++) nbounded += sl_lake_bounds_parse(live[i].members, cfg->key[0], kt, &bd[i]);
    *outside = -1;
    if (nbounded) {
        sl_buf b = { 0 };
        sl_q_ident(&b, cfg->key[0]);
        char *qkey = sl_lake_q_done(&b);
        rc = sl_lake_bounds_candidates(d, "sl_gone", qkey, kt, bd, nlive, hit, nbounded == nlive ? outside : NULL,
                                       err);
        sl_free(qkey);
    }
    if (rc < 0 || nbounded == nlive) return rc;
    bool *scan = sl_calloc((size_t)nlive, sizeof *scan);
    for (int i = 0; i < nlive; i++) scan[i] = !bd[i].known;
    sl_buf b = { 0 };
    sl_buf_printf(&b, "select distinct filename from ");
    sl_q_live_sel(&b, stg, old, scan, nlive, ", filename = true");
    sl_buf_printf(&b, " semi join sl_gone using (");
    sl_q_keys(&b, cfg);
    sl_buf_printf(&b, ")");
    char *sql = sl_lake_q_done(&b);
    sl_duck_rows affected = { 0 };
    rc = sl_duck_query(d, sql, &affected, err);
    sl_free(sql);
    for (int r = 0; rc == 0 && r < affected.nrows; r++) {
        const char *fn = sl_duck_cell(&affected, r, 0);
        for (int i = 0; fn && i < nlive; i++) {
            if (!scan[i]) continue;
            char *p = sl_fs_join(stg->live, old[i]);
            if (!strcmp(fn, p)) hit[i] = true;
            sl_free(p);
        }
    }
    sl_duck_rows_free(&affected);
    sl_free(scan);
    return rc;
}

/* ---- rewriting the touched files ---- */

/* One touched file's rewrite: natively (sl_lake_rewrite.h) or by DuckDB's
 * COPY, then its manifest entry (CRC, size, fsync), run by one of the
 * workers: the flush of one file to disk overlaps the other files'
 * rewrites instead of following them all. */
typedef struct sl_rewrite {
    const sl_staging *stg;
    char *sql, *name;
    char **in;             /* the live files (small ones: several into one output) */
    int *src, nin;         /* their indexes among the live files */
    char *out;             /* the staged file */
    bool native;           /* written by the native rewrite */
    int64_t rows;
    sl_store_file entry;   /* when rows > 0 */
    int rc;
    sl_err err;
    char why[400];         /* why the native rewrite did not take the file */
    double secs;
} sl_rewrite;

static void sl_rewrite_one(sl_duck *c, sl_rewrite *j)
{
    j->rc = sl_duck_exec(c, j->sql, &j->rows, &j->err);
    if (j->rc == 0 && j->rows > 0) j->rc = sl_lake_written_entry(j->stg, j->name, j->rows, &j->entry, &j->err);
}

typedef struct sl_rewrite_pool {
    sl_duck *d;
    sl_rewrite *jobs;
    int n;
    _Atomic int next;
    const sl_lake_native *nv;   /* the native pool: no DuckDB connection */
} sl_rewrite_pool;

static void *sl_rewrite_worker(void *arg)
{
    sl_rewrite_pool *p = arg;
    sl_err cerr = SL_ERR_INIT;
    sl_duck *c = sl_duck_connect(p->d, &cerr);
    for (int i; (i = atomic_fetch_add(&p->next, 1)) < p->n;) {
        sl_rewrite *j = &p->jobs[i];
        if (!c) {
            j->err = cerr;
            j->rc = -1;
            continue;
        }
        sl_rewrite_one(c, j);
    }
    sl_duck_close(c);
    return NULL;
}

static double sl_lake_now(void);

static void sl_rewrite_native_one(const sl_lake_native *nv, sl_rewrite *j)
{
    double t0 = sl_lake_now();
    uint32_t crc = 0;
    uint64_t bytes = 0;
    int r = sl_lake_rewrite_native(nv, j->in, j->nin, j->out, &j->rows, &crc, &bytes, j->why, sizeof j->why,
                                   &j->err);
    j->rc = r < 0 ? -1 : 0;
    j->native = r > 0;
    /* Durable and checksummed as it was written: its entry straight away. */
    if (j->native && j->rows > 0) j->entry = (sl_store_file){ j->name, j->rows, (int64_t)bytes, crc, NULL };
    j->secs = sl_lake_now() - t0;
}

static void *sl_rewrite_native_worker(void *arg)
{
    sl_rewrite_pool *p = arg;
    for (int i; (i = atomic_fetch_add(&p->next, 1)) < p->n;) sl_rewrite_native_one(p->nv, &p->jobs[i]);
    return NULL;
}

/* Runs fn over the pool's jobs on up to nworkers threads (on this one when
 * there is one, or no thread starts). */
static void sl_rewrite_run(sl_rewrite_pool *pool, int nworkers, void *(*fn)(void *))
{
    atomic_init(&pool->next, 0);
    if (nworkers <= 1) {
        fn(pool);
        return;
    }
    pthread_t th[SL_LAKE_NATIVE_MAX];
    int started = 0;
    for (; started < nworkers && started < SL_LAKE_NATIVE_MAX; started++)
        if (pthread_create(&th[started], NULL, fn, pool) != 0) break;
    if (started == 0) fn(pool);
    for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
}

/* A job rewriting live files src[0..nin) into stage/m<run>-<seq>.parquet. */
static void sl_rewrite_init(sl_rewrite *j, sl_stage *sg, const sl_staging *stg, char *const *old, const int *src,
                            int nin, int seq)
{
    j->name = sl_sprintf("m%lld-%05d.parquet", (long long)sg->run_id, seq);
    j->out = sl_fs_join(stg->dir, j->name);
    j->in = sl_calloc((size_t)nin, sizeof *j->in);
    j->src = sl_calloc((size_t)nin, sizeof *j->src);
    j->nin = nin;
    for (int k = 0; k < nin; k++) {
        j->src[k] = src[k];
        j->in[k] = sl_fs_join(stg->live, old[src[k]]);
    }
    j->stg = stg;
    j->err = (sl_err)SL_ERR_INIT;
}

static void sl_rewrite_clear(sl_rewrite *j)
{
    for (int k = 0; k < j->nin; k++) sl_free(j->in[k]);
    sl_free(j->in);
    sl_free(j->src);
    sl_free(j->sql);
    sl_free(j->out);
    j->in = NULL;
    j->src = NULL;
    j->sql = j->out = NULL;
}

/* The live files of a job, for the log: "a.parquet" or "3 small files (a.parquet, b.parquet, ...)". */
static void sl_rewrite_what(const sl_rewrite *j, char *const *old, char *buf, size_t size)
{
    if (j->nin == 1) {
        snprintf(buf, size, "%s", old[j->src[0]]);
        return;
    }
    int at = snprintf(buf, size, "%d small files (", j->nin);
    for (int k = 0; k < j->nin && at < (int)size; k++)
        at += snprintf(buf + at, size - (size_t)at, "%s%s", k ? ", " : "", old[j->src[k]]);
    if (at < (int)size) snprintf(buf + at, size - (size_t)at, ")");
}

typedef struct sl_lake_small {
    bool known;   /* the file has a key range ... */
    int64_t lo;   /* ... starting here */
    int i;        /* the live file */
} sl_lake_small;

static int sl_lake_small_cmp(const void *a, const void *b)
{
    const sl_lake_small *x = a, *y = b;
    if (x->known != y->known) return x->known ? -1 : 1;
    if (x->known && x->lo != y->lo) return x->lo < y->lo ? -1 : 1;
    return x->i - y->i;
}

int sl_lake_small_groups(const sl_live_file *live, const sl_lake_bounds *bd, const int *cand, int n, int *order,
                         int *gend)
{
    sl_lake_small *v = sl_calloc((size_t)n + 1, sizeof *v);
    for (int k = 0; k < n; k++) v[k] = (sl_lake_small){ bd && bd[cand[k]].known, bd ? bd[cand[k]].lo : 0, cand[k] };
    qsort(v, (size_t)n, sizeof *v, sl_lake_small_cmp);
    int ng = 0;
    int64_t rows = 0;
    for (int k = 0; k < n; k++) {
        if (k > 0 && rows + live[v[k].i].rows > SL_LAKE_GROUP_ROWS) {
            gend[ng++] = k;
            rows = 0;
        }
        order[k] = v[k].i;
        rows += live[v[k].i].rows;
    }
    if (n > 0) gend[ng++] = n;
    sl_free(v);
    return ng;
}

/* Each touched live file i (hit[i]) rewritten without the leaving rows into
 * stage/m<run>-NNNNN.parquet. A table keyed by one integer column: by
 * sluice's reader and writer (sl_lake_rewrite.h), one file per thread, up to
 * one thread per CPU (two per file, reading and writing, when CPUs would
 * idle: a single touched file), and the touched files under
 * SL_LAKE_SMALL_ROWS rows with a key range (an increment's files, small
 * files a merge left) rewritten together into files of up to about
 * SL_LAKE_GROUP_ROWS rows: every later increment touches them again (they
 * span the recent keys), and rewritten one by one they would stay as many
 * small files as runs made them. A file it does not take (a type it does
 * not map back exactly, a column it cannot read; a group: each of its files)
 * and every file of other tables: by up to SL_LAKE_REWRITERS DuckDB
 * connections at once (a file sluice wrote is one or two row groups, which
 * DuckDB reads on one thread each, so several files are rewritten side by
 * side rather than one after the other). A file left with rows joins
 * (names, f) with the bounds of the files it replaces (their union); an
 * empty one is removed. */
static int sl_lake_rewrite(sl_stage *sg, sl_staging *stg, sl_duck *d, const sl_live_file *live, char *const *old,
                           int nlive, const bool *hit, const sl_lake_bounds *bd, char **names, int *nnames,
                           sl_store_file *f, int *nf, sl_err *err)
{
    const sl_job_table *cfg = sg->cfg;
    int nhit = 0;
    for (int i = 0; i < nlive; i++) nhit += hit[i];
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int rc = 0;
    bool native = nhit > 0 && sl_lake_native_ok(cfg, sg->schema);
    sl_rewrite *jobs = sl_calloc((size_t)nhit + 1, sizeof *jobs);
    int *small = sl_calloc((size_t)nhit + 1, sizeof *small), nsmall = 0, n = 0, seq = 0;
    for (int i = 0; i < nlive; i++) {
        if (!hit[i]) continue;
        if (native && bd[i].known && live[i].rows < SL_LAKE_SMALL_ROWS) small[nsmall++] = i;
        else sl_rewrite_init(&jobs[n++], sg, stg, old, &i, 1, seq++);
    }
    /* The small ones in key order, so that each group's range stays narrow for the next merge's pruning. */
    int *order = sl_calloc((size_t)nsmall + 1, sizeof *order), *gend = sl_calloc((size_t)nsmall + 1, sizeof *gend);
    int ng = sl_lake_small_groups(live, bd, small, nsmall, order, gend);
    for (int g = 0, at = 0; g < ng; at = gend[g++]) sl_rewrite_init(&jobs[n++], sg, stg, old, order + at, gend[g] - at, seq++);
    sl_free(order);
    sl_free(gend);
    sl_free(small);
    /* The native rewrite first, where it applies; a group it does not take (an input whose schema is
     * another's: a file DuckDB wrote) is split, and its files tried again one by one. */
    sl_lake_gone gone = { 0 };
    bool have_gone = false;
    if (native) {
        sl_err gerr = SL_ERR_INIT;
        if (sl_lake_gone_read(d, "sl_gone", cfg->key[0], &gone, &gerr) < 0)
            sl_log(SL_LOG_WARN, "table %s: merge: every file rewritten by DuckDB: the leaving keys did not read "
                   "for the native rewrite: %s", sg->table, gerr.msg);
        else have_gone = true;
    }
    double t0 = sl_lake_now();
    char run[32];
    snprintf(run, sizeof run, "%lld", (long long)sg->run_id);
    /* The engine's pairs (exec/sl_exec.c gives the sink the same), this run's id. */
    sl_pq_kv kv[5];
    int nkv = 0;
    kv[nkv++] = (sl_pq_kv){ "sluice.version", SL_VERSION };
    kv[nkv++] = (sl_pq_kv){ "sluice.run_id", run };
    if (sg->job) kv[nkv++] = (sl_pq_kv){ "sluice.job", sg->job };
    kv[nkv++] = (sl_pq_kv){ "sluice.table", cfg->name };
    if (cfg->source && cfg->source->kind) kv[nkv++] = (sl_pq_kv){ "sluice.source_kind", cfg->source->kind };
    int threads = 0;
    for (int from = 0; have_gone && rc == 0 && from < n;) {
        int count = n - from, nworkers = count;
        if (ncpu > 0 && nworkers > ncpu) nworkers = (int)ncpu;
        if (nworkers > threads) threads = nworkers;
        /* Two threads per file (one reads, one writes) when that many CPUs would otherwise idle. */
        sl_lake_native nv = { sg->target, cfg->key[0], &gone, kv, nkv, ncpu >= 2 * (long)count };
        sl_rewrite_pool pool = { .jobs = jobs + from, .n = count, .nv = &nv };
        sl_rewrite_run(&pool, nworkers, sl_rewrite_native_worker);
        int extra = 0;
        for (int k = from; k < n; k++) {
            if (rc == 0 && jobs[k].rc < 0) {
                *err = jobs[k].err;
                rc = -1;
            }
            char what[600];
            sl_rewrite_what(&jobs[k], old, what, sizeof what);
            if (rc == 0 && jobs[k].native)
                sl_log(SL_LOG_DEBUG, "table %s: merge: %s rewritten natively into %s: %lld rows kept, %.3fs",
                       sg->table, what, jobs[k].name, (long long)jobs[k].rows, jobs[k].secs);
            else if (rc == 0)
                sl_log(SL_LOG_DEBUG, "table %s: merge: %s %s: the native rewrite does not take %s: %s", sg->table,
                       what, jobs[k].nin > 1 ? "tried one by one" : "rewritten by DuckDB",
                       jobs[k].nin > 1 ? "them together" : "it", jobs[k].why);
            if (!jobs[k].native && jobs[k].nin > 1) extra += jobs[k].nin;
        }
        if (rc < 0 || extra == 0) break;
        jobs = sl_realloc(jobs, (size_t)(n + extra) * sizeof *jobs);
        int n2 = n;
        for (int k = from; k < n; k++) {
            if (jobs[k].native || jobs[k].nin == 1) continue;
            for (int q = 0; q < jobs[k].nin; q++) {
                memset(&jobs[n2], 0, sizeof jobs[n2]);
                sl_rewrite_init(&jobs[n2++], sg, stg, old, &jobs[k].src[q], 1, seq++);
            }
            unlink(jobs[k].out);
            sl_free(jobs[k].name);
            jobs[k].name = NULL;
            sl_rewrite_clear(&jobs[k]);
            jobs[k].nin = 0;   /* done with: its files are in the jobs after n */
        }
        from = n;
        n = n2;
    }
    if (have_gone && rc == 0) {
        int nnative = 0, nfiles = 0, nout = 0;
        for (int k = 0; k < n; k++) {
            nfiles += jobs[k].nin;
            nnative += jobs[k].native ? jobs[k].nin : 0;
            nout += jobs[k].native;
        }
        sl_log(SL_LOG_DEBUG, "table %s: merge: native rewrite of %d of %d files into %d (%zu leaving keys), %d "
               "thread%s, %.3fs", sg->table, nnative, nfiles, nout, gone.n, threads, threads == 1 ? "" : "s",
               sl_lake_now() - t0);
    }
    sl_lake_gone_free(&gone);
    /* The other files: DuckDB's COPY of the file anti-joined with the leaving keys. */
    int nduck = 0;
    for (int k = 0; k < n; k++) nduck += !jobs[k].native && jobs[k].nin > 0;
    int nworkers = nduck < SL_LAKE_REWRITERS ? nduck : SL_LAKE_REWRITERS;
    if (ncpu > 0 && nworkers > ncpu) nworkers = (int)ncpu;
    /* Temporary tables are the creating connection's own: the other connections read a copy. */
    const char *gone_table = "sl_gone";
    if (rc == 0 && nworkers > 1) {
        gone_table = "main.sl_gone_all";
        rc = sl_duck_exec(d, "create or replace table main.sl_gone_all as select * from sl_gone; "
                             "set preserve_insertion_order = false", NULL, err);
    }
    sl_rewrite *duck = sl_calloc((size_t)nduck + 1, sizeof *duck);
    int *at = sl_calloc((size_t)nduck + 1, sizeof *at), m = 0;
    for (int k = 0; rc == 0 && k < n; k++) {
        if (jobs[k].native || jobs[k].nin == 0) continue;
        bool one[1] = { true };
        sl_buf b = { 0 };
        sl_buf_printf(&b, "copy (select * from ");
        sl_q_live_sel(&b, stg, &old[jobs[k].src[0]], one, 1, "");
        sl_buf_printf(&b, " anti join %s using (", gone_table);
        sl_q_keys(&b, cfg);
        sl_buf_printf(&b, ")) to ");
        sl_lake_q_text(&b, jobs[k].out);
        sl_lake_q_parquet_opts(&b, sg->target);
        jobs[k].sql = sl_lake_q_done(&b);
        jobs[k].err = (sl_err)SL_ERR_INIT;
        duck[m] = jobs[k];
        at[m++] = k;
    }
    if (rc == 0 && m > 0 && nworkers <= 1) {
        for (int k = 0; k < m && rc == 0; k++) {
            sl_rewrite_one(d, &duck[k]);
            if ((rc = duck[k].rc) < 0) *err = duck[k].err;
        }
    } else if (rc == 0 && m > 0) {
        sl_rewrite_pool pool = { .d = d, .jobs = duck, .n = m };
        sl_rewrite_run(&pool, nworkers, sl_rewrite_worker);
        for (int k = 0; k < m && rc == 0; k++)
            if (duck[k].rc < 0) {
                *err = duck[k].err;
                rc = -1;
            }
    }
    for (int k = 0; k < m; k++) jobs[at[k]] = duck[k];
    sl_free(duck);
    sl_free(at);
    for (int k = 0; k < n; k++) {
        if (jobs[k].nin == 0) continue;   /* a group split into the jobs after it */
        if (rc == 0 && jobs[k].rows > 0) {
            names[(*nnames)++] = jobs[k].name;
            f[(*nf)++] = jobs[k].entry;
            /* The range it takes over: its files' (all known for a group). */
            sl_lake_bounds u = sl_lake_bounds_union(bd, jobs[k].src, jobs[k].nin);
            if (u.known) {
                sl_buf b = { 0 };
                sl_lake_bounds_json(&u, cfg->key[0], &b);
                f[*nf - 1].receipt = names[(*nnames)++] = sl_lake_q_done(&b);
            }
        } else {
            unlink(jobs[k].out);
            sl_free(jobs[k].name);
        }
        sl_rewrite_clear(&jobs[k]);
    }
    sl_free(jobs);
    return rc;
}

/* The merged version's files into *outf (*nout), the names and entry
 * members it made in *names_out (*nnames_out). Returns 1 when nothing
 * changed (the live version stays).
 *
 * The live files a leaving key can be in are found from their key ranges
 * without reading them (sl_lake_incr_hits); each one is rewritten on its
 * own, without the leaving rows, into a file that takes over its range
 * ("bounds"), so the table keeps its layout and the next merge prunes as
 * well as this one. Untouched files are hard links carrying their entry
 * (receipt or bounds). Read once: only when the increment may equal what
 * the table holds (no insert, no delete: a lookback re-read) are the
 * touched files compared before the rewrite. */
static int sl_lake_incr_merge(sl_stage *sg, sl_staging *stg, const sl_store_manifest *m, sl_live_file *live,
                              int nlive, sl_store_file **outf, int *nout, char ***names_out, int *nnames_out,
                              sl_err *err)
{
    const sl_job_table *cfg = sg->cfg;
    char **inc = sl_calloc((size_t)m->nfiles + 1, sizeof *inc), **old = sl_calloc((size_t)nlive + 1, sizeof *old);
    int ninc = 0;
    for (int i = 0; i < m->nfiles; i++)
        if (m->files[i].rows > 0) inc[ninc++] = (char *)m->files[i].name;
    for (int i = 0; i < nlive; i++) old[i] = live[i].name;
    sl_store_file *f = sl_calloc((size_t)(nlive + m->nfiles + 2), sizeof *f);
    /* owned strings of f entries: names and members */
    char **names = sl_calloc((size_t)(2 * nlive + 4), sizeof *names);
    int nf = 0, nnames = 0, rc = 0;
    sl_duck *d = sl_duck_open_memory(0, 0, stg->run_dir, err);
    if (!d) rc = -1;
    sl_buf b = { 0 };
    sl_lake_q_files(&b, stg->dir, inc, ninc);
    char *inc_sql = sl_lake_q_done(&b);
    b = (sl_buf){ 0 };
    sl_lake_q_files(&b, stg->live, old, nlive);
    char *old_sql = sl_lake_q_done(&b);
    if (ninc == 0) {
        /* No new rows: an empty increment source with the live version's columns. */
        sl_free(inc_sql);
        inc_sql = sl_sprintf("(select * from %s limit 0)", old_sql);
    }
    double t0 = sl_lake_now();
    if (rc == 0) rc = sl_lake_incr_deletes(sg, d, stg, nlive ? old_sql : NULL, inc_sql, err);
    double t_keys = sl_lake_now();
    bool *hit = sl_calloc((size_t)nlive + 1, sizeof *hit);
    sl_lake_bounds *bd = sl_calloc((size_t)nlive + 1, sizeof *bd);
    int64_t outside = -1;
    if (rc == 0) rc = sl_lake_incr_hits(sg, stg, d, live, old, nlive, bd, hit, &outside, err);
    int nhit = 0;
    for (int i = 0; i < nlive; i++) nhit += hit[i];
    double t_hits = sl_lake_now();
    if (rc == 0)
        sl_log(SL_LOG_DEBUG, "table %s: merge: %d of %d live files touched (%s)", sg->table, nhit, nlive,
               outside >= 0 ? "from their key ranges" : "some files read for their keys");
    /* Rows re-read (the lookback window) that equal their live row change nothing: when no row differs
     * and nothing is deleted, the live version stays as it is. Only the touched files are compared, and
     * only when the increment has no key new to the table. */
    int64_t changed = ninc > 0 || sg->deleted_keys > 0;
    if (rc == 0 && nhit > 0 && sg->deleted_keys == 0 && cfg->incr.deletes != SL_DELETES_COLUMN && outside <= 0) {
        b = (sl_buf){ 0 };
        sl_buf_printf(&b, "select count(*) from (select * from %s except all select o.* from ", inc_sql);
        sl_q_live_sel(&b, stg, old, hit, nlive, "");
        sl_buf_printf(&b, " o semi join %s i using (", inc_sql);
        sl_q_keys(&b, cfg);
        sl_buf_printf(&b, "))");
        char *sql = sl_lake_q_done(&b);
        rc = sl_duck_exec(d, sql, &changed, err);
        sl_free(sql);
    }
    double t_cmp = sl_lake_now();
    if (rc == 0 && changed == 0) {
        sl_free(hit);
        sl_free(bd);
        sl_free(inc_sql);
        sl_free(old_sql);
        sl_duck_close(d);
        sl_free(inc);
        sl_free(old);
        sl_free(f);
        sl_free(names);
        *outf = NULL;
        *nout = 0;
        *names_out = NULL;
        *nnames_out = 0;
        return 1;
    }
    /* Untouched live files: carried as they are, with their entries' receipts. */
    for (int i = 0; rc == 0 && i < nlive; i++) {
        if (hit[i]) continue;
        char *as = sl_carried_name(sg, old[i]);
        rc = sl_lake_carry(stg, old[i], as, err);
        names[nnames++] = as;
        f[nf++] = (sl_store_file){ as, live[i].rows, live[i].bytes, live[i].crc32, live[i].members };
    }
    /* Touched ones: each one's rows that stay, in a file of its own (sl_lake_rewrite). */
    if (rc == 0 && nhit > 0) rc = sl_lake_rewrite(sg, stg, d, live, old, nlive, hit, bd, names, &nnames, f, &nf, err);
    /* The increment: its part files, or without the soft-deleted rows. */
    bool filter = cfg->incr.deletes == SL_DELETES_COLUMN && ninc > 0;
    if (rc == 0 && filter) {
        b = (sl_buf){ 0 };
        sl_buf_printf(&b, "select * from %s where ", inc_sql);
        sl_q_ident(&b, cfg->incr.deleted_column);
        sl_buf_printf(&b, " is null");
        char *select = sl_lake_q_done(&b);
        rc = sl_lake_copy_part(d, sg->target, stg, sl_sprintf("i%lld-00000.parquet", (long long)sg->run_id), select,
                               names, &nnames, f, &nf, err);
        sl_free(select);
    }
    for (int i = 0; rc == 0 && !filter && i < m->nfiles; i++)
        if (m->files[i].rows > 0) f[nf++] = m->files[i];
    if (rc == 0)
        sl_log(SL_LOG_DEBUG, "table %s: merge: leaving keys %.3fs, choosing files %.3fs, comparing %.3fs, carrying "
               "and rewriting %.3fs", sg->table, t_keys - t0, t_hits - t_keys, t_cmp - t_hits, sl_lake_now() - t_cmp);
    sl_free(hit);
    sl_free(bd);
    sl_free(inc_sql);
    sl_free(old_sql);
    if (d) sl_duck_close(d);
    sl_free(inc);
    sl_free(old);
    if (rc < 0) {
        for (int i = 0; i < nnames; i++) sl_free(names[i]);
        sl_free(names);
        sl_free(f);
        return -1;
    }
    *outf = f;
    *nout = nf;
    *names_out = names;
    *nnames_out = nnames;
    return 0;
}

int sl_lake_incr_publish(sl_stage *sg, sl_staging *stg, const sl_store_manifest *m, sl_store_result *res,
                         sl_err *err)
{
    const sl_job_table *cfg = sg->cfg;
    sg->deleted_keys = 0;
    /* Published before a crash, or only cleaning up: the plain protocol knows. */
    int already = sl_publish_already(stg, err);
    if (already < 0) return -1;
    if (already || m->nfiles == 0) return sl_publish_table(stg, m, res, err);
    sl_live_file *live = NULL;
    int nlive = 0;
    if (sl_lake_live_files(stg, &live, &nlive, err) < 0) return -1;
    char *mpath = sl_fs_join(stg->live, SL_MANIFEST_NAME);
    bool has_live = sl_fs_exists(mpath);
    sl_free(mpath);
    if (!has_live || nlive == 0) {   /* nothing to append to or merge with: this version is the table */
        sl_lake_live_free(live, nlive);
        return sl_publish_table(stg, m, res, err);
    }
    int64_t new_rows = 0, old_rows = 0, old_bytes = 0;
    for (int i = 0; i < m->nfiles; i++) new_rows += m->files[i].rows;
    for (int i = 0; i < nlive; i++) old_rows += live[i].rows, old_bytes += live[i].bytes;
    bool merge = cfg->write == SL_WRITE_MERGE;
    /* An empty increment with nothing to delete: the live version stays as it is (nothing rewritten). */
    if (new_rows == 0 && !(merge && cfg->incr.deletes == SL_DELETES_DETECT)) {
        memset(res, 0, sizeof *res);
        res->atomic = true;
        res->rows = old_rows;
        res->bytes = old_bytes;
        sl_lake_live_free(live, nlive);
        sl_log(SL_LOG_INFO, "table %s: 0 new rows: %s unchanged", sg->table, stg->live);
        return 0;
    }
    sl_store_file *f = NULL;
    int nf = 0, rc = 0;
    char **owned = NULL;
    int nowned = 0;
    if (merge) {
        rc = sl_lake_incr_merge(sg, stg, m, live, nlive, &f, &nf, &owned, &nowned, err);
        if (rc == 1) {
            sl_log(SL_LOG_INFO, "table %s: the %lld row%s read equal the live ones: 0 changed rows, %s unchanged",
                   sg->table, (long long)new_rows, new_rows == 1 ? "" : "s", stg->live);
            rc = 0;
        }
    } else {
        f = sl_calloc((size_t)(nlive + m->nfiles + 1), sizeof *f);
        owned = sl_calloc((size_t)nlive + 1, sizeof *owned);
        nowned = nlive;
        for (int i = 0; rc == 0 && i < nlive; i++) {
            owned[i] = sl_carried_name(sg, live[i].name);
            rc = sl_lake_carry(stg, live[i].name, owned[i], err);
            f[nf++] = (sl_store_file){ owned[i], live[i].rows, live[i].bytes, live[i].crc32, live[i].members };
        }
        for (int i = 0; i < m->nfiles; i++)
            if (m->files[i].rows > 0) f[nf++] = m->files[i];
    }
    if (rc == 0 && merge && nf == 0 && sg->deleted_keys == 0) {
        /* detect found nothing to delete and nothing is new: unchanged */
        memset(res, 0, sizeof *res);
        res->atomic = true;
        res->rows = old_rows;
        res->bytes = old_bytes;
    } else if (rc == 0) {
        if (nf == 0 && m->nfiles > 0) f[nf++] = m->files[0];   /* every row deleted: an empty file keeps the columns */
        /* The table's receipt covered only the increment: the new version's is not known without a scan. */
        sl_store_manifest nm = { f, nf, m->snapshot_time, NULL, m->source };
        rc = sl_publish_table(stg, &nm, res, err);
    }
    if (rc < 0) sl_err_prefix(err, "incremental %s", merge ? "merge" : "append");
    for (int i = 0; owned && i < nowned; i++) sl_free(owned[i]);
    sl_free(owned);
    sl_free(f);
    sl_lake_live_free(live, nlive);
    return rc;
}
