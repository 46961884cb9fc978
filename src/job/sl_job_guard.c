/*
 * sl_job_guard.c - a table's mass-delete guard settings (core/sl_guard.h):
 *   max_delete_ratio: 10%     a publish may delete at most this share of the
 *                             table's live rows (merge with delete_missing;
 *                             `deletes: detect`); default 10%
 *   max_shrink: 50%           a full load may have at most this share fewer
 *                             rows than the last published version; off by
 *                             default
 * Each is a percentage ("10%"), a fraction (0.1) or `off`. `sluice run
 * --allow-mass-delete` lets one run through regardless.
 */
#include "sl_job_int.h"

#include "../core/sl_guard.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double sl_job_table_max_delete_ratio(const sl_job_table *t)
{
    return t->guard_set ? t->max_delete_ratio : SL_GUARD_DEFAULT_DELETE_RATIO;
}

double sl_job_table_max_shrink(const sl_job_table *t)
{
    return t->guard_set ? t->max_shrink : -1;
}

/* "10%", 0.1 or off -> a fraction (-1: off). */
static int sl_jg_share(sl_jp *p, yaml_node_t *map, const char *key, const char *path, double *out)
{
    yaml_node_t *v = sl_jy_get(&p->y, map, key);
    if (!v) return 0;
    char sub[700];
    snprintf(sub, sizeof sub, "%s.%s", path, key);
    if (v->type != YAML_SCALAR_NODE)
        return sl_jy_fail(&p->y, v, sub, "expected a percentage (10%%), a fraction (0.1) or off, found %s",
                          sl_jy_what(v));
    char *text;
    if (sl_jy_string(&p->y, v, sub, &text) < 0) return -1;
    if (!strcmp(text, "off") || !strcmp(text, "none")) {
        *out = -1;
        return 0;
    }
    size_t n = strlen(text);
    bool pct = n && text[n - 1] == '%';
    char *end;
    double f = strtod(text, &end);
    if (end == text || end != text + n - (pct ? 1 : 0) || !isfinite(f) || f < 0)
        return sl_jy_fail(&p->y, v, sub, "'%s' is not a percentage (10%%), a fraction (0.1) or off", text);
    if (pct) f /= 100.0;
    if (f > 1) return sl_jy_fail(&p->y, v, sub, "'%s' is over 100%% of the rows (use off for no limit)", text);
    *out = f;
    return 0;
}

int sl_jp_guard(sl_jp *p, yaml_node_t *map, const char *path, sl_job_table *t)
{
    t->guard_set = true;
    t->max_delete_ratio = SL_GUARD_DEFAULT_DELETE_RATIO;
    t->max_shrink = -1;
    if (sl_jg_share(p, map, "max_delete_ratio", path, &t->max_delete_ratio) < 0) return -1;
    return sl_jg_share(p, map, "max_shrink", path, &t->max_shrink);
}
