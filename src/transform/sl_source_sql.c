/*
 * sl_source_sql.c - a computed table (`sql:`) as a source: DuckDB runs the
 * query once over the Parquet files of its inputs, and the result is read
 * back in row ranges, one per task, into sluice's own sinks - so a computed
 * table goes through the same commit protocol, resume and targets as an
 * extracted one.
 *
 * prepare   a connection to the run's in-memory DuckDB (one database for all
 *           computed tables of the job, with its `transform:` settings, so
 *           memory_limit bounds them together; it spills to temp_directory),
 *           a schema of the table's own (n<index>) on the connection's
 *           search path; one view per
 *           input, named as the table, over read_parquet() of the files of
 *           the input's published version in its (first) parquet target -
 *           a lake target, or the job's work target (job/sl_job_sql.c);
 *           then `create table as <sql>` materialises the result once, its
 *           rows are counted, its types mapped (store/sl_duck_read.c), and
 *           it is cut into tasks of SL_SQL_TASK_ROWS rows by rowid (at
 *           least one per worker for results of 200,000 rows and more).
 * open/next each task reads its rowid range on a connection of its own, so
 *           the tasks run in parallel on the engine's workers.
 * finish    drops the table's schema, closes its connection, and the
 *           database with the last table (sl_source_sql_release does it as
 *           soon as the table has ended, so that memory goes before the run
 *           does).
 *
 * A task's predicate names its rows and when the result was computed: on
 * resume the query is computed again (its row order need not be the same),
 * so the tasks differ and the engine starts the table's staging afresh
 * rather than mixing rows of two computations.
 */
#include "sl_source_sql.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../state/sl_fs.h"
#include "../store/sl_duck.h"
#include "sl_graph.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Rows per task; SLUICE_SQL_TASK_ROWS overrides it (tests cut small results into several files). */
#define SL_SQL_TASK_ROWS 1000000

typedef struct sl_sql_shared {
    sl_duck *db;     /* the table's connection to the engine's database */
    sl_duck *engine; /* the database it belongs to */
    char schema[32]; /* n<table index>: its views and result */
    int64_t *from;   /* task k reads rowids [from[k], from[k + 1]) */
} sl_sql_shared;

/* The run's DuckDB database, shared by the computed tables of one job while
 * any of them holds it (refs), then closed. Another job's tables in the same
 * process meanwhile get a database of their own. */
static pthread_mutex_t sl_sql_engine_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    const sl_job *job;
    sl_duck *db;
    int refs;
} sl_sql_engine;

static sl_duck *sl_sql_engine_get(const sl_job *job, sl_err *err)
{
    const sl_job_transform *tr = &job->transform;
    pthread_mutex_lock(&sl_sql_engine_mu);
    sl_duck *db = NULL;
    if (sl_sql_engine.db && sl_sql_engine.job == job) {
        db = sl_sql_engine.db;
        sl_sql_engine.refs++;
    } else if (!sl_sql_engine.db) {
        db = sl_duck_open_memory(tr->memory_limit, tr->threads, tr->temp_directory, err);
        if (db) {
            sl_sql_engine.db = db;
            sl_sql_engine.job = job;
            sl_sql_engine.refs = 1;
        }
    } else {
        db = sl_duck_open_memory(tr->memory_limit, tr->threads, tr->temp_directory, err);
    }
    pthread_mutex_unlock(&sl_sql_engine_mu);
    return db;
}

static void sl_sql_engine_put(sl_duck *db)
{
    if (!db) return;
    pthread_mutex_lock(&sl_sql_engine_mu);
    if (db == sl_sql_engine.db) {
        if (--sl_sql_engine.refs == 0) {
            sl_duck_close(db);
            sl_sql_engine.db = NULL;
            sl_sql_engine.job = NULL;
        }
    } else {
        sl_duck_close(db);
    }
    pthread_mutex_unlock(&sl_sql_engine_mu);
}

typedef struct sl_sql_reader {
    sl_duck *con;
    sl_duck_reader *r;
} sl_sql_reader;

/* "job file line N" context for errors of table cfg. */
static int sl_sql_fail(const sl_source_table *tab, sl_err *err, const char *what, const char *msg)
{
    const sl_job_table *cfg = tab->cfg;
    return sl_err_set(err, SL_ESOURCE, "table %s: %s (the query at %s:%d): %s", cfg->name, what,
                      tab->job->file ? tab->job->file : tab->job->name, cfg->sql_line, msg);
}

/* The directory of table in's published version that a computed table reads. */
static char *sl_sql_input_dir(const sl_job_table *in)
{
    for (int k = 0; k < in->ntargets; k++)
        if (!strcmp(in->targets[k]->kind, "parquet")) return sl_sprintf("%s/%s", in->targets[k]->path, in->name);
    return NULL;
}

static int sl_sql_prepare(sl_source_table *tab, sl_err *err)
{
    const sl_job *job = tab->job;
    const sl_job_table *cfg = tab->cfg;
    const sl_job_transform *tr = &job->transform;
    if (tr->temp_directory && sl_fs_mkdirs(tr->temp_directory, err) < 0) {
        sl_err_prefix(err, "table %s: transform.temp_directory", cfg->name);
        return -1;
    }
    sl_sql_shared *sh = sl_calloc(1, sizeof *sh);
    tab->shared = sh;
    sh->engine = sl_sql_engine_get(job, err);
    if (!sh->engine || !(sh->db = sl_duck_connect(sh->engine, err))) {
        sl_err_prefix(err, "table %s", cfg->name);
        return -1;
    }
    snprintf(sh->schema, sizeof sh->schema, "n%d", (int)(cfg - job->tables));
    char setup[160];
    snprintf(setup, sizeof setup, "drop schema if exists %s cascade; create schema %s; set search_path = '%s'",
             sh->schema, sh->schema, sh->schema);
    if (sl_duck_exec(sh->db, setup, NULL, err) < 0) {
        sl_err_prefix(err, "table %s", cfg->name);
        return -1;
    }
    int *inputs = NULL, ninputs = 0;
    if (sl_graph_node_inputs(sh->db, job, cfg, &inputs, &ninputs, err) < 0) return -1;
    sl_buf q = { 0 };
    int rc = 0;
    for (int k = 0; k < ninputs && rc == 0; k++) {
        const sl_job_table *in = &job->tables[inputs[k]];
        char *dir = sl_sql_input_dir(in);
        char *manifest = dir ? sl_sprintf("%s/_sluice_manifest.json", dir) : NULL;
        struct stat st;
        if (!dir) {
            rc = sl_err_set(err, SL_EJOB, "table %s: input %s has no parquet target to read", cfg->name, in->name);
        } else if (stat(manifest, &st) < 0) {
            rc = sl_err_set(err, SL_ESOURCE, "table %s: input %s has no published version (%s has no manifest); "
                            "run the job until %s is published", cfg->name, in->name, dir, in->name);
        } else {
            sl_buf_clear(&q);
            sl_buf_printf(&q, "create view ");
            sl_buf_quoted(&q, in->name, '"');
            sl_buf_printf(&q, " as select * from read_parquet(");
            char *glob = sl_sprintf("%s/*.parquet", dir);
            sl_buf_quoted(&q, glob, '\'');
            sl_free(glob);
            sl_buf_printf(&q, ")");
            sl_err e = SL_ERR_INIT;
            if (sl_duck_exec(sh->db, sl_buf_cstr(&q), NULL, &e) < 0)
                rc = sl_err_set(err, SL_ESOURCE, "table %s: reading input %s (%s): %s", cfg->name, in->name, dir, e.msg);
        }
        sl_free(manifest);
        sl_free(dir);
    }
    sl_free(inputs);
    if (rc < 0) {
        sl_buf_free(&q);
        return -1;
    }
    /* The query once, materialised (spilling when large): tasks read ranges of it. */
    size_t len = strlen(cfg->sql);
    while (len && (cfg->sql[len - 1] == ';' || cfg->sql[len - 1] == ' ' || cfg->sql[len - 1] == '\n' ||
                   cfg->sql[len - 1] == '\t' || cfg->sql[len - 1] == '\r'))
        len--;
    sl_buf_clear(&q);
    sl_buf_printf(&q, "create table %s.__sluice_result as %.*s\n", sh->schema, (int)len, cfg->sql);
    sl_err e = SL_ERR_INIT;
    int64_t nrows = 0;
    char countq[96], head[96];
    snprintf(countq, sizeof countq, "select count(*)::bigint from %s.__sluice_result", sh->schema);
    if (sl_duck_exec(sh->db, sl_buf_cstr(&q), NULL, &e) < 0 ||
        sl_duck_exec(sh->db, countq, &nrows, &e) < 0) {
        sl_buf_free(&q);
        /* "DuckDB (:memory:): msg\n\nLINE n: ..." -> "msg (at line L of the job file)": the query
         * starts on the first line of the statement, so its line n is the job file's sql_line + n - 1. */
        const char *m = strncmp(e.msg, "DuckDB (", 8) ? e.msg : strstr(e.msg, "): ") ? strstr(e.msg, "): ") + 3 : e.msg;
        char msg[1200];
        snprintf(msg, sizeof msg, "%.*s", (int)strcspn(m, "\n"), m);
        const char *at = strstr(m, "\nLINE ");
        if (at && cfg->sql_line > 0) {
            size_t used = strlen(msg);
            snprintf(msg + used, sizeof msg - used, " (at line %d of the job file)", cfg->sql_line + atoi(at + 6) - 1);
        }
        return sl_sql_fail(tab, err, "DuckDB", msg);
    }
    sl_buf_free(&q);
    snprintf(head, sizeof head, "select * from %s.__sluice_result limit 0", sh->schema);
    sl_duck_reader *r = sl_duck_read(sh->db, head, &e);
    if (!r) return sl_sql_fail(tab, err, "the result", e.msg + (strncmp(e.msg, "DuckDB: ", 8) ? 0 : 8));
    tab->schema = sl_schema_copy(sl_duck_read_schema(r));
    sl_duck_read_close(r);

    int64_t per = SL_SQL_TASK_ROWS;
    const char *env = getenv("SLUICE_SQL_TASK_ROWS");
    if (env && atoll(env) > 0) per = atoll(env);
    int64_t n = nrows / per + (nrows % per ? 1 : 0);
    /* Enough tasks for every worker once the result is worth splitting (100,000 rows a task at least). */
    if (!(env && atoll(env) > 0) && n < tab->workers && nrows >= 200000) {
        n = nrows / 100000 < tab->workers ? nrows / 100000 : tab->workers;
        per = nrows / n + (nrows % n ? 1 : 0);
    }
    if (n < 1) n = 1;
    if (n > 100000) {
        n = 100000;
        per = nrows / n + 1;
    }
    tab->ntasks = (int)n;
    tab->tasks = sl_calloc((size_t)n, sizeof *tab->tasks);
    sh->from = sl_calloc((size_t)n + 1, sizeof *sh->from);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    for (int64_t k = 0; k < n; k++) {
        int64_t a = k * per, b = k + 1 == n ? nrows : (k + 1) * per;
        if (b > nrows) b = nrows;
        if (a > b) a = b;
        sh->from[k] = a;
        sh->from[k + 1] = b;
        tab->tasks[k].index = (int)k;
        tab->tasks[k].est_rows = b - a;
        tab->tasks[k].predicate = sl_sprintf("rowid >= %lld and rowid < %lld (result of %lld.%09ld)", (long long)a,
                                             (long long)b, (long long)now.tv_sec, now.tv_nsec);
    }
    tab->strategy_note = sl_sprintf("computed by DuckDB %s: %lld rows, %lld task%s of up to %lld rows",
                                    sl_duck_version() ? sl_duck_version() : "", (long long)nrows, (long long)n,
                                    n == 1 ? "" : "s", (long long)per);
    return 0;
}

static void *sl_sql_open(sl_source_table *tab, const sl_task *task, sl_err *err)
{
    sl_sql_shared *sh = tab->shared;
    if (!sh || !sh->engine) {
        sl_err_set(err, SL_EINTERNAL, "table %s: its result is gone", tab->cfg->name);
        return NULL;
    }
    sl_sql_reader *rd = sl_calloc(1, sizeof *rd);
    rd->con = sl_duck_connect(sh->engine, err);
    if (rd->con) {
        char sql[160];
        snprintf(sql, sizeof sql, "select * from %s.__sluice_result where rowid >= %lld and rowid < %lld", sh->schema,
                 (long long)sh->from[task->index], (long long)sh->from[task->index + 1]);
        rd->r = sl_duck_read(rd->con, sql, err);
    }
    if (!rd->r) {
        sl_duck_close(rd->con);
        sl_free(rd);
        sl_err_prefix(err, "table %s: task %d", tab->cfg->name, task->index + 1);
        return NULL;
    }
    return rd;
}

static long sl_sql_next(void *reader, sl_batch *batch, sl_err *err)
{
    sl_sql_reader *rd = reader;
    return sl_duck_read_next(rd->r, batch, err);
}

static void sl_sql_close(void *reader)
{
    sl_sql_reader *rd = reader;
    if (!rd) return;
    sl_duck_read_close(rd->r);
    sl_duck_close(rd->con);
    sl_free(rd);
}

void sl_source_sql_release(sl_source_table *tab)
{
    sl_sql_shared *sh = tab->shared;
    if (!sh || !sh->engine) return;
    if (sh->db && sh->schema[0]) {
        char drop[64];
        snprintf(drop, sizeof drop, "drop schema if exists %s cascade", sh->schema);
        sl_err e = SL_ERR_INIT;
        sl_duck_exec(sh->db, drop, NULL, &e);   /* the database goes with the last table anyway */
    }
    sl_duck_close(sh->db);
    sh->db = NULL;
    sl_sql_engine_put(sh->engine);
    sh->engine = NULL;
}

static void sl_sql_finish(sl_source_table *tab)
{
    sl_sql_shared *sh = tab->shared;
    if (!sh) return;
    sl_source_sql_release(tab);
    sl_free(sh->from);
    sl_free(sh);
    tab->shared = NULL;
}

const sl_source_ops sl_source_sql = {
    .kind = "sql",
    .prepare = sl_sql_prepare,
    .open = sl_sql_open,
    .next = sl_sql_next,
    .close = sl_sql_close,
    .finish = sl_sql_finish,
};
