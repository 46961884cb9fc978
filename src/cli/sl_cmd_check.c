/*
 * sl_cmd_check.c - `sluice check JOB [TABLE]`: the data checks of the job's
 * tables (or one), run against their published versions, moving no data.
 *
 * Reads each table's published Parquet files in its first parquet target
 * (the files beside its _sluice_manifest.json), takes the columns from the
 * first file's footer, and judges them as a run judges the staged output
 * (checks/sl_check.h). Nothing is written: not the lake, not the state
 * store. `row_count: { matches: source }` needs the run's source read and
 * is skipped here. Exit 0 all error-level rules pass, 3 some failed, 1 a
 * table could not be read, 2 usage or job-file error.
 */
#include "sl_cli.h"
#include "sl_cli_opts.h"

#include "../checks/sl_check.h"
#include "../core/sl_alloc.h"
#include "../core/sl_log.h"
#include "../parquet/sl_pq_reader.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char sl_check_usage[] =
    "usage: sluice check JOB.yaml [TABLE] [--log-level L]\n"
    "\n"
    "Runs the data checks (checks:) of the job's tables, or of TABLE, against\n"
    "their published versions in the lake, without moving data or writing\n"
    "anything. row_count: { matches: source } is skipped (it needs a run).\n"
    "\n"
    "exit status: 0 all error-level checks pass, 3 some failed, 1 a table could not be read,\n"
    "2 usage or job-file error\n";

static int sl_cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The .parquet files of a published table directory, sorted. */
static int sl_check_dir_files(const char *dir, char ***out, int *n, sl_err *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return sl_err_set(err, SL_EIO, "no published table at %s (run the job first)", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 9 || strcmp(e->d_name + len - 8, ".parquet")) continue;
        *out = sl_realloc(*out, sizeof **out * (size_t)(*n + 1));
        (*out)[(*n)++] = sl_sprintf("%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (*n == 0) return sl_err_set(err, SL_EIO, "no Parquet files in %s", dir);
    qsort(*out, (size_t)*n, sizeof **out, sl_cmp_str);
    return 0;
}

static void sl_check_free_files(char **files, int n)
{
    for (int i = 0; i < n; i++) sl_free(files[i]);
    sl_free(files);
}

static const sl_job_target *sl_check_lake(const sl_job_table *t)
{
    for (int k = 0; k < t->ntargets; k++)
        if (!strcmp(t->targets[k]->kind, "parquet")) return t->targets[k];
    return NULL;
}

/* 0 passed, 3 failed, -1 error. */
static int sl_check_table(const sl_job *job, const sl_job_table *t, sl_err *err)
{
    const sl_job_target *tg = sl_check_lake(t);
    if (!tg) return sl_err_set(err, SL_EJOB, "table %s: no parquet target to check (sluice check reads a lake)", t->name);
    char *dir = sl_sprintf("%s/%s", tg->path, t->name);
    sl_check_input in = { .cfg = t, .source_rows = -1 };
    int rc = sl_check_dir_files(dir, &in.files, &in.nfiles, err);
    sl_free(dir);
    sl_pq_reader *r = NULL;
    if (rc == 0) {
        r = sl_pq_reader_open(in.files[0], err);
        in.schema = r ? sl_pq_reader_schema(r, err) : NULL;
        if (!in.schema) rc = -1;
    }
    if (rc == 0) rc = sl_check_bind(job->file, t, in.schema, err);
    if (rc == 0) {
        in.ref_files = sl_calloc((size_t)t->nchecks, sizeof *in.ref_files);
        in.ref_nfiles = sl_calloc((size_t)t->nchecks, sizeof *in.ref_nfiles);
        in.ref_note = sl_calloc((size_t)t->nchecks, sizeof *in.ref_note);
        for (int i = 0; i < t->nchecks; i++) {
            const sl_job_check *c = &t->checks[i];
            if (c->kind != SL_CHECK_REFERENCES) continue;
            const sl_job_target *rt = sl_check_lake(c->ref);
            sl_err ignored = SL_ERR_INIT;
            char *rdir = rt ? sl_sprintf("%s/%s", rt->path, c->ref->name) : NULL;
            if (!rdir || sl_check_dir_files(rdir, &in.ref_files[i], &in.ref_nfiles[i], &ignored) < 0)
                in.ref_note[i] = "no published version in a parquet target";
            sl_free(rdir);
        }
        sl_check_report rep;
        rc = sl_check_run(&in, &rep, err);
        if (rc == 0) {
            int passed = 0;
            for (int i = 0; i < rep.n; i++) {
                const sl_check_result *res = &rep.results[i];
                if (res->check->kind == SL_CHECK_ROW_COUNT && res->check->matches_source) {
                    printf("table %s: check %-32s skipped (matches: source needs a run)\n", t->name, res->check->name);
                    continue;
                }
                passed += res->status == SL_CHECK_PASS;
                printf("table %s: check %-32s %-9s %lld failing%s%s%s%s\n", t->name, res->check->name,
                       sl_check_status_name(res->status), (long long)res->failing, res->detail[0] ? "; " : "",
                       res->detail, res->examples[0] ? "; examples: " : "", res->examples);
            }
            printf("table %s: %d of %d checks passed over %lld rows in %.2fs\n", t->name, passed, rep.n,
                   (long long)rep.rows, rep.seconds);
            rc = rep.failed ? 3 : 0;
            sl_check_report_free(&rep);
        }
        for (int i = 0; i < t->nchecks; i++) sl_check_free_files(in.ref_files[i], in.ref_nfiles[i]);
        sl_free(in.ref_files);
        sl_free(in.ref_nfiles);
        sl_free(in.ref_note);
    }
    if (r) sl_pq_reader_close(r);
    sl_check_free_files(in.files, in.nfiles);
    if (rc < 0) sl_err_prefix(err, "job %s: table %s", job->name, t->name);
    return rc;
}

int sl_cmd_check(int argc, char **argv)
{
    sl_cli_opts o;
    int rc = sl_cli_parse(argc, argv, 0, 1, 2, sl_check_usage, &o);
    if (rc >= 0) return rc;
    sl_job *job = sl_cli_load_job(o.args[0]);
    if (!job) return SL_EXIT_USAGE;
    const char *only = o.nargs > 1 ? o.args[1] : NULL;
    int status = SL_EXIT_OK, found = 0;
    for (int i = 0; i < job->ntables; i++) {
        const sl_job_table *t = &job->tables[i];
        if (only && strcmp(only, t->name)) continue;
        found++;
        if (!t->nchecks) {
            if (only) printf("table %s: no checks\n", t->name);
            continue;
        }
        sl_err err = SL_ERR_INIT;
        int r = sl_check_table(job, t, &err);
        if (r < 0) {
            int s = sl_cli_fail(&err);
            if (status != SL_EXIT_USAGE) status = s;
        } else if (r == 3 && status == SL_EXIT_OK) {
            status = 3;
        }
    }
    if (only && !found) {
        fprintf(stderr, "sluice check: job %s has no table '%s'\n", job->name, only);
        status = SL_EXIT_USAGE;
    }
    sl_job_free(job);
    return status;
}
