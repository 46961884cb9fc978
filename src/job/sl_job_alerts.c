/*
 * sl_job_alerts.c - the job's `alerts:` section: who hears of a run, when.
 *
 *   alerts:
 *     - { on: failure, webhook: "https://hooks.example/..." }
 *     - { on: [slow, skew], command: "notify-send sluice", slow: 30m, skew: 3.0 }
 *
 * `on:` one word or a list of failure, success, retry, slow, skew,
 * check_failed; exactly one of webhook (http or https URL) and command;
 * `slow:` (a duration) is required with `on: slow`; `skew:` (a ratio, at
 * least 1; default 3.0) goes with `on: skew`. Delivery is
 * observe/sl_alerts.c's business; this file only reads and checks.
 */
#include "sl_job_int.h"

#include <string.h>

static const char *const sl_alert_keys[] = { "on", "webhook", "command", "slow", "skew", NULL };
static const char *const sl_alert_words[] = { "failure", "success", "retry", "slow", "skew", "check_failed", NULL };

static int sl_jp_alert_on(sl_jp *p, yaml_node_t *v, const char *path, unsigned *on)
{
    int n = v->type == YAML_SEQUENCE_NODE ? sl_jy_seq_len(v) : 1;
    if (v->type == YAML_SEQUENCE_NODE && n == 0)
        return sl_jy_fail(&p->y, v, path, "give at least one of failure, success, retry, slow, skew, check_failed");
    for (int i = 0; i < n; i++) {
        yaml_node_t *item = v->type == YAML_SEQUENCE_NODE ? sl_jy_seq_item(&p->y, v, i) : v;
        char *word = NULL;
        if (sl_jy_choice(&p->y, item, path, sl_alert_words, &word) < 0) return -1;
        for (int w = 0; sl_alert_words[w]; w++)
            if (!strcmp(word, sl_alert_words[w])) *on |= 1u << w;
    }
    return 0;
}

static int sl_jp_alert(sl_jp *p, yaml_node_t *map, const char *path, sl_job_alert *a)
{
    if (sl_jy_expect_map(&p->y, map, path) < 0 || sl_jy_check_keys(&p->y, map, path, sl_alert_keys) < 0) return -1;
    a->line = (int)map->start_mark.line + 1;
    a->skew = 3.0;
    char sub[128];
    yaml_node_t *v = sl_jy_get(&p->y, map, "on");
    if (!v) return sl_jy_fail(&p->y, map, path, "say when: on: failure (or success, retry, slow, skew, check_failed, "
                                                "or a list of them)");
    snprintf(sub, sizeof sub, "%s.on", path);
    if (sl_jp_alert_on(p, v, sub, &a->on) < 0) return -1;
    if (sl_jp_text_key(p, map, "webhook", path, "an http:// or https:// URL", &a->webhook) < 0 ||
        sl_jp_text_key(p, map, "command", path, "a shell command", &a->command) < 0)
        return -1;
    if (!a->webhook == !a->command)
        return sl_jy_fail(&p->y, map, path, "give one of webhook: URL (the alert is POSTed as JSON) and command: "
                                            "CMD (the alert is its standard input)");
    if (a->webhook && strncmp(a->webhook, "http://", 7) && strncmp(a->webhook, "https://", 8))
        return sl_jy_fail(&p->y, sl_jy_get(&p->y, map, "webhook"), path, "webhook: expected an http:// or https:// URL");
    if ((v = sl_jy_get(&p->y, map, "slow"))) {
        snprintf(sub, sizeof sub, "%s.slow", path);
        if (sl_jy_duration(&p->y, v, sub, &a->slow_s) < 0) return -1;
        if (a->slow_s <= 0) return sl_jy_fail(&p->y, v, sub, "a duration above 0 (e.g. 30m)");
    }
    if ((a->on & SL_ALERT_SLOW) && a->slow_s <= 0)
        return sl_jy_fail(&p->y, map, path, "on: slow needs slow: DURATION (e.g. slow: 30m)");
    if ((v = sl_jy_get(&p->y, map, "skew"))) {
        snprintf(sub, sizeof sub, "%s.skew", path);
        if (sl_jy_double(&p->y, v, sub, 1.0, &a->skew) < 0) return -1;
    }
    return 0;
}

int sl_jp_alerts(sl_jp *p, yaml_node_t *root)
{
    yaml_node_t *v = sl_jy_get(&p->y, root, "alerts");
    if (!v || sl_jy_is_null(v)) return 0;
    if (v->type != YAML_SEQUENCE_NODE)
        return sl_jy_fail(&p->y, v, "alerts", "expected a list of alerts (- { on: failure, webhook: URL }); found %s",
                          sl_jy_what(v));
    int n = sl_jy_seq_len(v);
    sl_job *job = p->job;
    job->alerts = sl_arena_alloc(&job->arena, sizeof *job->alerts * (size_t)(n ? n : 1));
    memset(job->alerts, 0, sizeof *job->alerts * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "alerts[%d]", i);
        if (sl_jp_alert(p, sl_jy_seq_item(&p->y, v, i), path, &job->alerts[i]) < 0) return -1;
        job->nalerts = i + 1;
    }
    return 0;
}
