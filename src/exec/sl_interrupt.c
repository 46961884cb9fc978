/*
 * sl_interrupt.c - what an interrupted run (its cancel handle: Ctrl-C, SIGTERM)
 * does while it stops: a watcher thread says "cancelling…" once and asks
 * every source kind of the job to cancel its work in flight (the source's
 * `cancel` op: a query blocked on a lock, a COPY), again every
 * SL_INTERRUPT_REPEAT_MS until the run ends, so a query begun just after a
 * cancel is cancelled too; and sl_exec_sleep(), the backoff wait that an
 * interrupt cuts short.
 *
 * The signal handler only requests the run's cancel handle (async-signal-safe);
 * everything else happens here, on an ordinary thread.
 */
#include "sl_exec_int.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"
#include "../state/sl_backoff.h"

#define SL_INTERRUPT_POLL_MS 50
#define SL_INTERRUPT_REPEAT_MS 250

struct sl_interrupt {
    const sl_job *job;
    const sl_cancel *cancel;
    const sl_source_ops **ops;     /* the job's source kinds with a cancel op, each once */
    int nops;
    atomic_bool stop;
    atomic_bool announced;
    pthread_t thread;
};

/* "cancelling…", once: by the watcher, or by sl_interrupt_stop when the run
 * ended before the watcher's next look (a backoff wait cut short). */
static void sl_interrupt_announce(sl_interrupt *w)
{
    if (atomic_exchange(&w->announced, true)) return;
    sl_log(SL_LOG_WARN, "job %s: interrupted: cancelling… (queries in flight are cancelled, nothing more "
           "is published; interrupt again to kill at once)", w->job->name);
}

static void *sl_interrupt_main(void *arg)
{
    sl_interrupt *w = arg;
    int since = SL_INTERRUPT_REPEAT_MS;
    while (!atomic_load(&w->stop)) {
        if (sl_cancel_requested(w->cancel)) {
            sl_interrupt_announce(w);
            if (since >= SL_INTERRUPT_REPEAT_MS) {
                for (int i = 0; i < w->nops; i++) w->ops[i]->cancel();
                since = 0;
            }
            since += SL_INTERRUPT_POLL_MS;
        }
        sl_backoff_sleep(SL_INTERRUPT_POLL_MS / 1000.0);
    }
    return NULL;
}

sl_interrupt *sl_interrupt_start(const sl_job *job, sl_source_lookup_fn lookup, const sl_cancel *cancel)
{
    sl_interrupt *w = sl_calloc(1, sizeof *w);
    w->job = job;
    w->cancel = cancel;
    w->ops = sl_calloc((size_t)(job->nsources ? job->nsources : 1), sizeof *w->ops);
    for (int i = 0; i < job->nsources; i++) {
        const sl_source_ops *ops = (lookup ? lookup : sl_source_lookup)(job->sources[i].kind);
        bool seen = !ops || !ops->cancel;
        for (int k = 0; k < w->nops && !seen; k++) seen = w->ops[k] == ops;
        if (!seen) w->ops[w->nops++] = ops;
    }
    atomic_store(&w->stop, false);
    atomic_store(&w->announced, false);
    if (pthread_create(&w->thread, NULL, sl_interrupt_main, w) != 0) {
        /* Without the watcher an interrupt still stops the run, only not promptly. */
        sl_log(SL_LOG_DEBUG, "job %s: cannot start the interrupt watcher", job->name);
        sl_free(w->ops);
        sl_free(w);
        return NULL;
    }
    return w;
}

void sl_interrupt_stop(sl_interrupt *w)
{
    if (!w) return;
    atomic_store(&w->stop, true);
    pthread_join(w->thread, NULL);
    if (sl_cancel_requested(w->cancel)) sl_interrupt_announce(w);
    sl_free(w->ops);
    sl_free(w);
}

void sl_exec_sleep(const sl_exec *run, double seconds)
{
    while (seconds > 0 && !sl_run_cancelled(run)) {
        double step = seconds < SL_INTERRUPT_POLL_MS / 1000.0 ? seconds : SL_INTERRUPT_POLL_MS / 1000.0;
        sl_backoff_sleep(step);
        seconds -= step;
    }
}
