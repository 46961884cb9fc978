/*
 * sl_prepare.c - a table's source and sink implementations, its schema and
 * its tasks (see sl_prepare.h).
 */
#include "sl_prepare.h"

#include "../checks/sl_check.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"
#include "../core/sl_utf8.h"
#include "../store/sl_store.h"
#include "../transform/sl_source_sql.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sl_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

void sl_err_prefix_table(sl_err *err, const sl_job *job, const sl_job_table *cfg)
{
    size_t n = strlen(cfg->name);
    if (!strncmp(err->msg, "table ", 6) && !strncmp(err->msg + 6, cfg->name, n) && err->msg[6 + n] == ':')
        sl_err_prefix(err, "job %s", job->name);
    else
        sl_err_prefix(err, "job %s: table %s", job->name, cfg->name);
}

/* remote: also the targets behind a URL (a warehouse: a connection). */
static int sl_prep_check_targets(const sl_job *job, const sl_job_table *cfg, bool remote, sl_err *err)
{
    for (int k = 0; k < (cfg->ntargets ? cfg->ntargets : 1); k++) {
        const sl_job_target *tg = cfg->ntargets ? cfg->targets[k] : cfg->target;
        if (!remote && tg->url) continue;
        const sl_store_ops *store = sl_store_for(tg);
        if (!store) return sl_err_set(err, SL_EJOB, "job %s: table %s: target %s: no store for kind %s", job->name,
                                      cfg->name, tg->name, tg->kind);
        if (store->check_live(tg, job->name, cfg, err) < 0) {
            sl_err_prefix_table(err, job, cfg);
            return -1;
        }
    }
    return 0;
}

int sl_prep_check_target(const sl_job *job, const sl_job_table *cfg, sl_err *err)
{
    return sl_prep_check_targets(job, cfg, true, err);
}

void sl_prep_warn_targets(const sl_job *job, bool remote)
{
    for (int i = 0; i < job->ntables; i++) {
        sl_err err = SL_ERR_INIT;
        if (sl_prep_check_targets(job, &job->tables[i], remote, &err) < 0)
            sl_log(SL_LOG_WARN, "%s (sluice run would fail this table)", err.msg);
    }
}

int sl_prep_table_resolve(sl_prep_table *pt, const sl_job *job, const sl_job_table *cfg, int workers,
                          sl_source_lookup_fn lookup, sl_err *err)
{
    memset(pt, 0, sizeof *pt);
    pt->cfg = cfg;
    pt->st.job = job;
    pt->st.cfg = cfg;
    pt->st.workers = workers;
    /* Computed tables (sql:) have the transform layer's source, above the sources' lookup. */
    pt->source = cfg->sql ? &sl_source_sql : (lookup ? lookup : sl_source_lookup)(cfg->source->kind);
    if (!pt->source)
        return sl_err_set(err, SL_EJOB, "job %s: table %s: source %s: kind '%s' is not built into this binary",
                          job->name, cfg->name, cfg->source->name, cfg->source->kind);
    for (int k = cfg->ntargets ? cfg->ntargets - 1 : 0; k >= 0; k--) {
        const sl_job_target *tg = cfg->ntargets ? cfg->targets[k] : cfg->target;
        pt->sink = sl_sink_lookup(sl_store_sink_kind(tg));   /* ends with the first target's */
        if (!pt->sink || !sl_store_for(tg))
            return sl_err_set(err, SL_EJOB, "job %s: table %s: target %s: kind '%s' is not built into this binary",
                              job->name, cfg->name, tg->name, tg->kind);
    }
    return 0;
}

int sl_prep_table_init(sl_prep_table *pt, const sl_job *job, const sl_job_table *cfg, int workers,
                       sl_source_lookup_fn lookup, sl_err *err)
{
    return sl_prep_table_init_incr(pt, job, cfg, workers, lookup, NULL, err);
}

int sl_prep_table_init_incr(sl_prep_table *pt, const sl_job *job, const sl_job_table *cfg, int workers,
                            sl_source_lookup_fn lookup, const sl_source_table *incr, sl_err *err)
{
    if (sl_prep_table_resolve(pt, job, cfg, workers, lookup, err) < 0) return -1;
    if (incr) {
        pt->st.incr_low = incr->incr_low;
        pt->st.incr_high = incr->incr_high;
        pt->st.keys_path = incr->keys_path;
    }
    if (pt->source->prepare(&pt->st, err) < 0) {
        /* A source may have kept state before failing; let it release that. */
        if (pt->source->finish) pt->source->finish(&pt->st);
        sl_source_table_clear(&pt->st);
        if (!sl_err_is_set(err)) sl_err_set(err, SL_EINTERNAL, "prepare failed without saying why");
        sl_err_prefix_table(err, job, cfg);
        return -1;
    }
    pt->prepared = true;
    const char *bad = NULL;
    if (!pt->st.schema) bad = "no schema";
    else if (pt->st.ntasks < 0 || (pt->st.ntasks > 0 && !pt->st.tasks)) bad = "no task list";
    else if (pt->st.schema->ncols < 1) bad = "a schema without columns";
    if (bad) {
        sl_prep_table_release(pt);
        return sl_err_set(err, SL_EINTERNAL, "job %s: table %s: source %s returned %s", job->name, cfg->name,
                          cfg->source->kind, bad);
    }
    /* Column names land in the Parquet footer, which must be UTF-8 too. */
    for (int c = 0; c < pt->st.schema->ncols; c++) {
        const uint8_t *name = (const uint8_t *)pt->st.schema->fields[c].name;
        size_t n = strlen((const char *)name), at = sl_utf8_check(name, n);
        if (at != n) {
            char why[160];
            sl_utf8_describe(name, n, at, why, sizeof why);
            sl_prep_table_release(pt);
            return sl_err_set(err, SL_EDATA, "job %s: table %s: the name of column %d is not UTF-8: %s; rename it "
                              "(csv: the header line; postgres, sqlite: AS in a query:)", job->name, cfg->name, c + 1,
                              why);
        }
    }
    /* Data checks name columns the source has only now described. */
    if (sl_check_bind(job->file, cfg, pt->st.schema, err) < 0) {
        sl_prep_table_release(pt);
        return -1;
    }
    return 0;
}

void sl_prep_table_release(sl_prep_table *pt)
{
    if (pt->prepared && pt->source && pt->source->finish) pt->source->finish(&pt->st);
    pt->prepared = false;
    sl_source_table_clear(&pt->st);
}

int64_t sl_prep_table_est_rows(const sl_prep_table *pt)
{
    int64_t sum = 0;
    for (int i = 0; i < pt->st.ntasks; i++) {
        if (pt->st.tasks[i].est_rows < 0) return -1;
        sum += pt->st.tasks[i].est_rows;
    }
    return sum;
}

static int sl_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

double sl_prep_table_est_skew(const sl_prep_table *pt)
{
    int n = pt->st.ntasks;
    if (n <= 1) return 1.0;
    int64_t *v = sl_malloc(sizeof *v * (size_t)n);
    for (int i = 0; i < n; i++) {
        if (pt->st.tasks[i].est_rows < 0) {
            sl_free(v);
            return -1;
        }
        v[i] = pt->st.tasks[i].est_rows;
    }
    qsort(v, (size_t)n, sizeof *v, sl_cmp_i64);
    double median = n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2;
    double skew = v[n - 1] == 0 ? 1.0 : (double)v[n - 1] / (median > 0 ? median : 1);
    sl_free(v);
    return skew;
}
