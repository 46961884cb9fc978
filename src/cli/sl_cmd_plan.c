/*
 * sl_cmd_plan.c - `sluice plan job.yaml [--json]`: what a run would do, with
 * no data moved. Prepares every table through its source (which connects,
 * reads the schema and cuts the table into tasks) and prints, per table:
 * source and target, schema, partitioning strategy (as configured, and the
 * one the source used: `auto -> histogram on id`, taken from the start of the
 * source's note) and the note on why, each task's predicate and estimated
 * rows, and the estimated skew (largest task over the median) with a warning
 * when it is high (above 2). JSON adds strategy_used, column_used and
 * largest_over_mean.
 * Tables of a job do not depend on each other yet: the DAG is flat and all
 * tables run at the same time.
 */
#include "sl_cli.h"
#include "sl_cmd_plan_graph.h"
#include "sl_cli_opts.h"

#include "../checks/sl_check.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"
#include "../exec/sl_prepare.h"
#include "sl_cli_prepall.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define SL_PLAN_SKEW_WARN 2.0

static const char sl_plan_usage[] =
    "usage: sluice plan JOB.yaml [--json] [--workers N] [--log-level L] [--log-format F]\n"
    "\n"
    "Shows the tables of the job, their schema, how each is cut into tasks\n"
    "(strategy, predicates, estimated rows) and the estimated skew. Connects to\n"
    "the sources to read schemas and statistics; moves no data.\n"
    "\n"
    "  --json       machine-readable output on stdout\n"
    "  --workers N  plan for N workers (task count 'auto' depends on it)\n";

static void sl_json_str(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", f);
        else if (*p == '\t') fputs("\\t", f);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

/* The strategy a source used, from its note ("histogram on id: why..."):
 * strategy word and column (either may be empty). Sources start their notes
 * this way; other notes give empty strings. */
static void sl_plan_used(const char *note, char *strategy, size_t ssize, char *column, size_t csize)
{
    strategy[0] = column[0] = '\0';
    if (!note) return;
    const char *colon = strchr(note, ':');
    if (!colon) return;
    size_t n = (size_t)(colon - note);
    const char *on = strstr(note, " on ");
    size_t w = on && on < colon ? (size_t)(on - note) : n;
    if (w == 0 || w >= ssize || memchr(note, ' ', w)) return;
    static const char *const known[] = { "auto", "range", "histogram", "mod", "pages", "none", "rowid", "files", NULL };
    bool ok = false;
    for (int i = 0; known[i]; i++)
        if (strlen(known[i]) == w && !strncmp(note, known[i], w)) ok = true;
    if (!ok) return;
    snprintf(strategy, ssize, "%.*s", (int)w, note);
    if (on && on < colon) snprintf(column, csize, "%.*s", (int)(colon - on - 4), on + 4);
}

static const char *sl_plan_relation(const sl_job_table *cfg)
{
    return cfg->table ? cfg->table : cfg->query ? cfg->query : cfg->file ? cfg->file : "";
}

/* Where the table lands in target tg: "<path>/<table>/", or a warehouse's
 * "<schema>.<table>" (a duckdb file's too) and how it is written. sl_free it. */
static char *sl_plan_output(const sl_job_table *cfg, const sl_job_target *tg)
{
    if (!sl_job_target_is_warehouse(tg)) return sl_sprintf("%s/%s/", tg->path, cfg->name);
    char key[512] = "";
    size_t used = 0;
    for (int i = 0; i < cfg->nkey && used < sizeof key; i++)
        used += (size_t)snprintf(key + used, sizeof key - used, "%s%s", i ? ", " : ", key ", cfg->key[i]);
    bool duck = !strcmp(tg->kind, "duckdb");
    return sl_sprintf("%s%s%s.%s (write %s%s%s)", duck ? tg->path : "", duck ? " table " : "",
                      tg->schema ? tg->schema : duck ? "main" : "public", cfg->name, sl_write_mode_name(cfg->write),
                      key, cfg->delete_missing ? ", delete_missing" : "");
}

static void sl_plan_text(const sl_job *job, const sl_prep_table *pt, int workers)
{
    const sl_job_table *cfg = pt->cfg;
    printf("\ntable %s\n", cfg->name);
    printf("  from   %s (%s) %s %s\n", cfg->source->name, cfg->source->kind,
           cfg->table ? "table" : cfg->query ? "query" : "file", sl_plan_relation(cfg));
    for (int k = 0, shown = 0; k < (cfg->ntargets ? cfg->ntargets : 1); k++) {
        const sl_job_target *tg = cfg->ntargets ? cfg->targets[k] : cfg->target;
        if (tg->internal) continue;   /* the work target of computed tables' inputs */
        char *output = sl_plan_output(cfg, tg);
        printf("  %s %s (%s) %s\n", shown++ ? "      " : "to    ", tg->name, tg->kind, output);
        sl_free(output);
    }
    sl_plan_graph_note_internal(cfg);
    printf("  schema");
    for (int c = 0; c < pt->st.schema->ncols; c++) {
        char tb[64];
        const sl_field *f = &pt->st.schema->fields[c];
        char *name = sl_escape_controls_dup(f->name);   /* source names and values may hold control characters */
        printf("%s %s %s%s", c ? "," : "", name, sl_type_format(f->type, tb, sizeof tb),
               f->nullable ? "" : " not null");
        sl_free(name);
    }
    char used[32], used_col[256];
    sl_plan_used(pt->st.strategy_note, used, sizeof used, used_col, sizeof used_col);
    printf("\n  partition  strategy %s%s%s", cfg->partition.strategy, cfg->partition.column ? " on " : "",
           cfg->partition.column ? cfg->partition.column : "");
    if (used[0] && (strcmp(used, cfg->partition.strategy) || (used_col[0] && !cfg->partition.column)))
        printf(" -> %s%s%s", used, used_col[0] ? " on " : "", used_col);
    printf(", %d task%s", pt->st.ntasks, pt->st.ntasks == 1 ? "" : "s");
    if (cfg->partition.count == 0) printf(" (count auto, %d workers)", workers);
    printf("\n");
    if (pt->st.strategy_note) {
        char *note = sl_escape_controls_dup(pt->st.strategy_note);
        printf("  note   %s\n", note);
        sl_free(note);
    }
    if (cfg->nchecks) {
        char list[4096];
        sl_check_list_text(cfg, list, sizeof list);
        printf("  checks %s (row rules in the task loop, the rest on the staged output, before publish; "
               "on_bad_rows %s%s, max_bad_rows ", list,
               cfg->on_bad_rows == SL_BAD_ROWS_QUARANTINE ? "quarantine"
               : cfg->on_bad_rows == SL_BAD_ROWS_DROP    ? "drop"
                                                         : "fail",
               cfg->on_bad_rows == SL_BAD_ROWS_QUARANTINE ? " to <table>__rejected in the lake" : "");
        if (cfg->max_bad_fraction >= 0) printf("%g%%)\n", cfg->max_bad_fraction * 100);
        else if (cfg->max_bad_rows == INT64_MAX) printf("unlimited)\n");
        else printf("%lld)\n", (long long)cfg->max_bad_rows);
    }
    int64_t est = sl_prep_table_est_rows(pt);
    double skew = sl_prep_table_est_skew(pt);
    if (est >= 0) printf("  estimated rows %" PRId64, est);
    else printf("  estimated rows unknown");
    if (skew >= 0) printf(", skew %.2f (largest task / median task)", skew);
    printf("\n");
    for (int k = 0; k < pt->st.ntasks; k++) {
        const sl_task *t = &pt->st.tasks[k];
        char e[32];
        if (t->est_rows >= 0) snprintf(e, sizeof e, "%" PRId64, t->est_rows);
        else snprintf(e, sizeof e, "?");
        char *pred = sl_escape_controls_dup(t->predicate ? t->predicate : "(all rows)");
        printf("  task %-4d est %12s  %s\n", k + 1, e, pred);
        sl_free(pred);
    }
    if (skew > SL_PLAN_SKEW_WARN)
        printf("  WARNING: skewed partitions: the largest task holds %.1fx the median; the run waits on it "
               "(try partition strategy histogram or auto)\n", skew);
    (void)job;
}

static void sl_plan_json(const sl_prep_table *pt, int workers, bool first)
{
    const sl_job_table *cfg = pt->cfg;
    printf("%s\n    {\"name\": ", first ? "" : ",");
    sl_json_str(stdout, cfg->name);
    printf(", \"source\": ");
    sl_json_str(stdout, cfg->source->name);
    printf(", \"source_kind\": ");
    sl_json_str(stdout, cfg->source->kind);
    printf(", \"relation\": ");
    sl_json_str(stdout, cfg->table);
    printf(", \"query\": ");
    sl_json_str(stdout, cfg->query);
    printf(", \"file\": ");
    sl_json_str(stdout, cfg->file);
    printf(", \"target\": ");
    sl_json_str(stdout, cfg->target->name);
    printf(", \"target_kind\": ");
    sl_json_str(stdout, cfg->target->kind);
    char *dir = sl_plan_output(cfg, cfg->target);
    printf(", \"output\": ");
    sl_json_str(stdout, dir);
    sl_free(dir);
    printf(", \"targets\": [");
    for (int k = 0, shown = 0; k < (cfg->ntargets ? cfg->ntargets : 1); k++) {
        const sl_job_target *tg = cfg->ntargets ? cfg->targets[k] : cfg->target;
        if (tg->internal) continue;
        printf("%s{\"name\": ", shown++ ? ", " : "");
        sl_json_str(stdout, tg->name);
        printf(", \"kind\": ");
        sl_json_str(stdout, tg->kind);
        char *out = sl_plan_output(cfg, tg);
        printf(", \"output\": ");
        sl_json_str(stdout, out);
        sl_free(out);
        printf("}");
    }
    printf("]");
    printf(",\n     \"columns\": [");
    for (int c = 0; c < pt->st.schema->ncols; c++) {
        char tb[64];
        const sl_field *f = &pt->st.schema->fields[c];
        printf("%s{\"name\": ", c ? ", " : "");
        sl_json_str(stdout, f->name);
        printf(", \"type\": ");
        sl_json_str(stdout, sl_type_format(f->type, tb, sizeof tb));
        printf(", \"nullable\": %s}", f->nullable ? "true" : "false");
    }
    printf("],\n     \"checks\": [");
    for (int i = 0; i < cfg->nchecks; i++) {
        printf("%s{\"rule\": ", i ? ", " : "");
        sl_json_str(stdout, cfg->checks[i].name);
        printf(", \"severity\": \"%s\"}", cfg->checks[i].warn ? "warn" : "error");
    }
    printf("],\n     \"strategy\": ");
    sl_json_str(stdout, cfg->partition.strategy);
    printf(", \"partition_column\": ");
    sl_json_str(stdout, cfg->partition.column);
    char used[32], used_col[256];
    sl_plan_used(pt->st.strategy_note, used, sizeof used, used_col, sizeof used_col);
    printf(", \"strategy_used\": ");
    sl_json_str(stdout, used[0] ? used : NULL);
    printf(", \"column_used\": ");
    sl_json_str(stdout, used_col[0] ? used_col : NULL);
    printf(", \"count\": %d, \"workers\": %d, \"note\": ", cfg->partition.count, workers);
    sl_json_str(stdout, pt->st.strategy_note);
    int64_t est = sl_prep_table_est_rows(pt);
    double skew = sl_prep_table_est_skew(pt);
    if (est >= 0) printf(", \"est_rows\": %" PRId64, est);
    else printf(", \"est_rows\": null");
    if (skew >= 0) printf(", \"skew\": %.4f, \"skew_warning\": %s", skew, skew > SL_PLAN_SKEW_WARN ? "true" : "false");
    if (est > 0 && pt->st.ntasks > 0) {
        int64_t largest = 0;
        for (int k = 0; k < pt->st.ntasks; k++)
            if (pt->st.tasks[k].est_rows > largest) largest = pt->st.tasks[k].est_rows;
        printf(", \"largest_over_mean\": %.4f", (double)largest * pt->st.ntasks / (double)est);
    }
    else printf(", \"skew\": null, \"skew_warning\": false");
    printf(",\n     \"tasks\": [");
    for (int k = 0; k < pt->st.ntasks; k++) {
        const sl_task *t = &pt->st.tasks[k];
        printf("%s\n       {\"index\": %d, \"predicate\": ", k ? "," : "", k);
        sl_json_str(stdout, t->predicate);
        if (t->est_rows >= 0) printf(", \"est_rows\": %" PRId64 "}", t->est_rows);
        else printf(", \"est_rows\": null}");
    }
    printf("%s]}", pt->st.ntasks ? "\n     " : "");
}

/* What each table pattern selected and left out (sl_job_expand). */
static void sl_plan_patterns(const sl_job *job, bool json)
{
    if (json) printf(", \"patterns\": [");
    for (int i = 0; i < job->npatterns; i++) {
        const sl_job_pattern *pat = &job->patterns[i];
        if (json) {
            printf("%s\n    {\"pattern\": ", i ? "," : "");
            sl_json_str(stdout, pat->pattern);
            printf(", \"source\": ");
            sl_json_str(stdout, pat->tmpl.source->name);
            printf(", \"selected\": [");
            for (int k = 0; k < pat->nselected; k++) {
                printf("%s", k ? ", " : "");
                sl_json_str(stdout, pat->selected[k]);
            }
            printf("], \"notes\": [");
            for (int k = 0; k < pat->nnotes; k++) {
                printf("%s", k ? ", " : "");
                sl_json_str(stdout, pat->notes[k]);
            }
            printf("]}");
            continue;
        }
        printf("pattern \"%s\" (source %s) selected %d table%s:", pat->pattern, pat->tmpl.source->name,
               pat->nselected, pat->nselected == 1 ? "" : "s");
        for (int k = 0; k < pat->nselected; k++) printf("%s %s", k ? "," : "", pat->selected[k]);
        printf("\n");
        for (int k = 0; k < pat->nnotes; k++) {
            char *note = sl_escape_controls_dup(pat->notes[k]);
            printf("  note %s\n", note);
            sl_free(note);
        }
    }
    if (json) printf("%s]", job->npatterns ? "\n  " : "");
}

/* A table prepare refused: in the JSON with its error, so no table is silently left out. */
static void sl_plan_json_failed(const sl_job_table *cfg, const sl_err *err, bool first)
{
    printf("%s\n    {\"name\": ", first ? "" : ",");
    sl_json_str(stdout, cfg->name);
    printf(", \"source\": ");
    sl_json_str(stdout, cfg->source->name);
    printf(", \"relation\": ");
    sl_json_str(stdout, cfg->table);
    printf(", \"pattern\": ");
    sl_json_str(stdout, cfg->pattern);
    printf(", \"failed\": true, \"error\": ");
    sl_json_str(stdout, err->msg);
    printf("}");
}

int sl_cmd_plan(int argc, char **argv)
{
    sl_cli_opts o;
    int rc = sl_cli_parse(argc, argv, SL_OPT_JSON | SL_OPT_WORKERS, 1, 1, sl_plan_usage, &o);
    if (rc >= 0) return rc;
    sl_job *job = sl_cli_load_job(o.args[0]);
    if (!job) return SL_EXIT_USAGE;
    sl_err xerr = SL_ERR_INIT;
    if (sl_cli_expand_job(job, &xerr) < 0) {
        sl_job_free(job);
        return sl_cli_fail(&xerr);
    }
    int workers = o.workers > 0 ? o.workers : sl_cores();
    int status = SL_EXIT_OK;
    sl_graph *graph = NULL;
    sl_err gerr = SL_ERR_INIT;
    if (sl_plan_graph_build(job, &graph, &gerr) < 0) {
        status = sl_cli_fail(&gerr);
        sl_job_free(job);
        return status;
    }
    if (o.json) {
        printf("{\"job\": ");
        sl_json_str(stdout, job->name);
        printf(", \"workers\": %d", workers);
        sl_plan_patterns(job, true);
        printf(", \"tables\": [");
    } else {
        if (graph)
            printf("job %s: %d table%s, %d worker%s\n", job->name, job->ntables, job->ntables == 1 ? "" : "s", workers,
                   workers == 1 ? "" : "s");
        else
            printf("job %s: %d table%s, %d worker%s; tables do not depend on each other and run at the same time\n",
                   job->name, job->ntables, job->ntables == 1 ? "" : "s", workers, workers == 1 ? "" : "s");
        sl_plan_patterns(job, false);
        if (graph) sl_plan_graph_header(job, graph);
    }
    sl_prep_warn_targets(job, true);
    int shown = 0, failed = 0;
    sl_prep_all *pa = sl_prep_all_start(job, workers, true);   /* in parallel, printed in order */
    for (int i = 0; i < job->ntables; i++) {
        if (job->tables[i].sql) {   /* computed: prepared only when its inputs are published (run) */
            if (o.json) sl_plan_graph_table_json(job, graph, i, shown == 0);
            else sl_plan_graph_table_text(job, graph, i);
            shown++;
            sl_prep_all_done(pa, i);
            continue;
        }
        sl_prep_table *pt;
        sl_err *err;
        if (sl_prep_all_get(pa, i, &pt, &err) < 0) {
            if (o.json) sl_plan_json_failed(&job->tables[i], err, shown++ == 0);
            else printf("\ntable %s\n  FAILED %s\n", job->tables[i].name, err->msg);
            fflush(stdout);
            int s = sl_cli_fail(err);
            if (status == SL_EXIT_OK || s == SL_EXIT_USAGE) status = s;
            failed++;
            sl_prep_all_done(pa, i);
            continue;
        }
        if (o.json) sl_plan_json(pt, workers, shown == 0);
        else sl_plan_text(job, pt, workers);
        shown++;
        sl_prep_all_done(pa, i);
    }
    sl_prep_all_free(pa);
    if (o.json) {
        printf("\n  ], \"failed\": %d", failed);
        sl_plan_graph_json(job, graph);
        printf("}\n");
    } else if (failed) printf("\n%d of %d tables cannot be prepared (each FAILED above says why)\n", failed, job->ntables);
    sl_graph_free(graph);
    sl_job_free(job);
    return status;
}
