/*
 * sl_ui_int.h - the insides of the web UI shared by its files (not for
 * other layers): the live model of the run being watched (fed by events,
 * sl_ui_live.c), the JSON and metrics built from the state store's record
 * with the live model laid over it (sl_ui_model.c), the pages
 * (sl_ui_pages.c) and the HTTP server (sl_ui.c).
 *
 * One source of truth: what the state store recorded. The live model only
 * adds what the store does not know while a run goes on - rows and bytes
 * of tasks in flight, node states before publication, sessions in use -
 * so the history (`sluice ui`) and the live view
 * (`sluice run --ui`) are the same pages over the same API.
 */
#ifndef SL_UI_INT_H
#define SL_UI_INT_H

#include "../core/sl_buf.h"
#include "../core/sl_error.h"
#include "../core/sl_redact.h"
#include "../job/sl_job.h"
#include "../state/sl_state_history.h"
#include "sl_event.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum { SL_LT_PENDING, SL_LT_RUNNING, SL_LT_DONE, SL_LT_FAILED, SL_LT_SKIPPED };
enum { SL_LN_PENDING, SL_LN_RUNNING, SL_LN_PUBLISHED, SL_LN_FAILED };

typedef struct sl_ui_ltask {
    int state;
    int64_t rows, bytes;       /* of the attempt in flight, or the finished task */
    int worker, attempt;
} sl_ui_ltask;

typedef struct sl_ui_lnode {
    int state;
    int source;                /* index in job->sources, -1: none */
    int ntasks;
    sl_ui_ltask *tasks;
    int64_t rows, bytes;       /* moved so far (failed attempts taken back) */
    int64_t est_rows;
    double started, ended;
} sl_ui_lnode;

/* Buckets of the task duration histogram, seconds (the last is +Inf). */
#define SL_UI_NBUCKETS 10
extern const double sl_ui_buckets[SL_UI_NBUCKETS];

typedef struct sl_ui_live {
    pthread_mutex_t mu;
    pthread_cond_t cv;         /* broadcast on every change: the event streams wait on it */
    uint64_t version;          /* bumped on every change */
    bool known;                /* a run started */
    bool ended;
    bool failed;
    int64_t run_id;
    double started, ended_at;
    sl_ui_lnode *nodes;        /* job->ntables */
    int nnodes;
    int *sessions;             /* per source: tasks running now */
} sl_ui_live;

typedef struct sl_ui_ctx {
    const sl_job *job;
    const char *state_path;
    sl_secrets secrets;        /* every source's and target's password */
    bool live_mode;            /* `run --ui`: a live model exists */
    sl_ui_live live;
    const char *base_url;      /* for alerts' links; may be NULL */
} sl_ui_ctx;

/* sl_ui_live.c */
void sl_ui_live_init(sl_ui_live *l, const sl_job *job);
void sl_ui_live_free(sl_ui_live *l);
void sl_ui_live_on_event(void *ctx, const sl_event *ev);   /* ctx: sl_ui_ctx */

/* sl_ui_model.c: 0 ok, -1 with err (state store unreadable); run: 1 found, 0 no such run. */
int sl_ui_json_runs(sl_ui_ctx *u, sl_buf *out, sl_err *err);
int sl_ui_json_run(sl_ui_ctx *u, int64_t run_id, const char *node, sl_buf *out, sl_err *err);
int sl_ui_metrics(sl_ui_ctx *u, sl_buf *out, sl_err *err);
/* Loads a run (0: the latest) with its tasks, the live model laid over it.
 * 1 found, 0 not, -1 error. */
int sl_ui_load_run(sl_ui_ctx *u, int64_t run_id, sl_hist_run *r, sl_err *err);
/* A string as JSON, passwords redacted. */
void sl_ui_json_text(sl_ui_ctx *u, sl_buf *b, const char *s);
/* Text for HTML (element content or a quoted attribute), passwords redacted. */
void sl_ui_html_text(sl_ui_ctx *u, sl_buf *b, const char *s);
/* Removes every known secret from a response body (the last line of defence). */
void sl_ui_scrub(sl_ui_ctx *u, sl_buf *b);

/* sl_ui_pages.c: the static assets. */
extern const char sl_ui_css[];
extern const char sl_ui_js[];
/* A page's HTML shell: title and the page kind the script renders. */
void sl_ui_page(sl_ui_ctx *u, sl_buf *b, const char *title, const char *kind, int64_t run_id, const char *node);
void sl_ui_page_404(sl_ui_ctx *u, sl_buf *b, const char *what);

#endif
