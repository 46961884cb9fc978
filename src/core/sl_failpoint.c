/*
 * sl_failpoint.c - failpoints armed by SLUICE_FAILPOINT (see sl_failpoint.h).
 *
 * The armed set is an immutable array published through an atomic pointer;
 * only the hit counters change afterwards (atomic increments), so a hit takes
 * no lock. The environment is parsed once under pthread_once.
 */
#include "sl_failpoint.h"

#include "sl_alloc.h"
#include "sl_log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const sl_fp_known[] = {
    SL_FP_TASK_START,
    SL_FP_TASK_WRITE,
    SL_FP_TASK_FILE_SYNCED,
    SL_FP_TASK_COMMIT,
    SL_FP_PUBLISH_BEFORE_MANIFEST,
    SL_FP_PUBLISH_BEFORE_EXCHANGE,
    SL_FP_PUBLISH_AFTER_EXCHANGE,
    SL_FP_PUBLISH_BEFORE_CLEANUP,
    SL_FP_RUN_FINISH,
    SL_FP_PG_PREPARE_END,
    SL_FP_SINK_DROP_ROW,
    SL_FP_BATCH_CHANGE_VALUE,
    SL_FP_CHECKS_DONE,
    SL_FP_S3_PART_UPLOADED,
    SL_FP_S3_BEFORE_COMPLETE,
    NULL,
};

typedef enum { SL_FPA_CRASH, SL_FPA_ERROR, SL_FPA_TRANSIENT, SL_FPA_NOSPACE, SL_FPA_SLEEP, SL_FPA_ON } sl_fp_action;

typedef struct sl_fp_entry {
    const char *name;       /* points into sl_fp_known */
    sl_fp_action action;
    long sleep_ms;
    uint64_t at;            /* 0: every hit */
    bool and_later;         /* @N+ */
    uint64_t hits;          /* atomic */
} sl_fp_entry;

typedef struct sl_fp_set {
    int n;
    sl_fp_entry entries[];
} sl_fp_set;

static sl_fp_set *sl_fp_armed;          /* atomic; NULL: nothing armed */
static pthread_once_t sl_fp_once = PTHREAD_ONCE_INIT;

const char *const *sl_failpoint_names(void) { return sl_fp_known; }

static const char *sl_fp_lookup(const char *name, size_t len)
{
    for (int i = 0; sl_fp_known[i]; i++)
        if (strlen(sl_fp_known[i]) == len && !memcmp(sl_fp_known[i], name, len)) return sl_fp_known[i];
    return NULL;
}

static bool sl_fp_ends_with(const char *s, size_t len, const char *suffix, size_t *name_len)
{
    size_t sl = strlen(suffix);
    if (len <= sl + 1 || memcmp(s + len - sl, suffix, sl) || s[len - sl - 1] != ':') return false;
    *name_len = len - sl - 1;
    return true;
}

/* Parses one entry s[0..len) into e; returns false (after a warning) when bad. */
static bool sl_fp_parse_entry(const char *s, size_t len, sl_fp_entry *e)
{
    memset(e, 0, sizeof *e);
    char text[256];
    snprintf(text, sizeof text, "%.*s", (int)len, s);
    /* @N or @N+ */
    const char *at = memchr(s, '@', len);
    if (at) {
        const char *p = at + 1, *end = s + len;
        uint64_t n = 0;
        if (p == end) goto bad;
        while (p < end && *p >= '0' && *p <= '9') n = n * 10 + (uint64_t)(*p++ - '0');
        if (p < end && *p == '+') { e->and_later = true; p++; }
        if (p != end || n == 0) goto bad;
        e->at = n;
        len = (size_t)(at - s);
    }
    size_t name_len = 0;
    if (sl_fp_ends_with(s, len, "crash", &name_len)) e->action = SL_FPA_CRASH;
    else if (sl_fp_ends_with(s, len, "error", &name_len)) e->action = SL_FPA_ERROR;
    else if (sl_fp_ends_with(s, len, "transient", &name_len)) e->action = SL_FPA_TRANSIENT;
    else if (sl_fp_ends_with(s, len, "nospace", &name_len)) e->action = SL_FPA_NOSPACE;
    else if (sl_fp_ends_with(s, len, "on", &name_len)) e->action = SL_FPA_ON;
    else {
        /* NAME:sleep:MS */
        size_t i = len;
        while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9') i--;
        if (i == len || i < 2 || !sl_fp_ends_with(s, i - 1, "sleep", &name_len) || s[i - 1] != ':') goto bad;
        e->action = SL_FPA_SLEEP;
        e->sleep_ms = strtol(s + i, NULL, 10);
    }
    e->name = sl_fp_lookup(s, name_len);
    if (!e->name) {
        sl_log(SL_LOG_WARN, "SLUICE_FAILPOINT: unknown failpoint in '%s', ignored (known: task-start, task-write, "
               "task-file-synced, task-commit, publish:before-manifest, publish:before-exchange, "
               "publish:after-exchange, publish:before-cleanup, run-finish, sink-drop-row, batch-change-value, s3:part-uploaded, s3:before-complete)", text);
        return false;
    }
    return true;
bad:
    sl_log(SL_LOG_WARN, "SLUICE_FAILPOINT: cannot parse '%s', ignored (expected NAME:ACTION[@N], ACTION one of "
           "crash, error, transient, nospace, sleep:MS, on)", text);
    return false;
}

static sl_fp_set *sl_fp_parse(const char *spec)
{
    if (!spec || !*spec) return NULL;
    size_t cap = 1;
    for (const char *p = spec; *p; p++) cap += *p == ',';
    sl_fp_set *set = sl_calloc(1, sizeof *set + cap * sizeof set->entries[0]);
    const char *p = spec;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t')) { p++; len--; }
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
        if (len && sl_fp_parse_entry(p, len, &set->entries[set->n])) set->n++;
        if (!comma) break;
        p = comma + 1;
    }
    if (set->n == 0) {
        sl_free(set);
        return NULL;
    }
    return set;
}

static void sl_fp_init(void)
{
    sl_fp_set *set = sl_fp_parse(getenv("SLUICE_FAILPOINT"));
    if (set) sl_log(SL_LOG_INFO, "failpoints armed: %s", getenv("SLUICE_FAILPOINT"));
    __atomic_store_n(&sl_fp_armed, set, __ATOMIC_RELEASE);
}

int sl_failpoint_arm(const char *spec)
{
    pthread_once(&sl_fp_once, sl_fp_init);
    sl_fp_set *set = sl_fp_parse(spec);
    sl_fp_set *old = __atomic_exchange_n(&sl_fp_armed, set, __ATOMIC_ACQ_REL);
    sl_free(old);
    return set ? set->n : 0;
}

uint64_t sl_failpoint_hits(const char *name)
{
    pthread_once(&sl_fp_once, sl_fp_init);
    sl_fp_set *set = __atomic_load_n(&sl_fp_armed, __ATOMIC_ACQUIRE);
    if (!set) return 0;
    for (int i = 0; i < set->n; i++)
        if (!strcmp(set->entries[i].name, name)) return __atomic_load_n(&set->entries[i].hits, __ATOMIC_RELAXED);
    return 0;
}

static void sl_fp_crash(const char *name)
{
    char msg[160];
    int n = snprintf(msg, sizeof msg, "sluice: failpoint %s: crash (SIGKILL)\n", name);
    if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0) { /* nothing to do */ }
    raise(SIGKILL);
    _exit(137);
}

int sl_failpoint(const char *name, sl_err *err)
{
    pthread_once(&sl_fp_once, sl_fp_init);
    sl_fp_set *set = __atomic_load_n(&sl_fp_armed, __ATOMIC_ACQUIRE);
    if (__builtin_expect(set == NULL, 1)) return 0;
    for (int i = 0; i < set->n; i++) {
        sl_fp_entry *e = &set->entries[i];
        if (strcmp(e->name, name)) continue;
        uint64_t hit = __atomic_add_fetch(&e->hits, 1, __ATOMIC_RELAXED);
        if (e->at && (e->and_later ? hit < e->at : hit != e->at)) continue;
        switch (e->action) {
        case SL_FPA_CRASH:
            sl_fp_crash(name);
            break;
        case SL_FPA_SLEEP: {
            struct timespec ts = { e->sleep_ms / 1000, (e->sleep_ms % 1000) * 1000000L };
            while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
            break;
        }
        case SL_FPA_ERROR:
            return sl_err_set(err, SL_EIO, "failpoint %s: injected I/O error (hit %llu)", name,
                              (unsigned long long)hit);
        case SL_FPA_TRANSIENT:
            return sl_err_set(err, SL_ETRANSIENT, "failpoint %s: injected transient error (hit %llu)", name,
                              (unsigned long long)hit);
        case SL_FPA_ON:
            return 1;
        case SL_FPA_NOSPACE:
            return sl_err_set(err, SL_ENOSPACE, "failpoint %s: injected 'no space left on device' (hit %llu)",
                              name, (unsigned long long)hit);
        }
    }
    return 0;
}
