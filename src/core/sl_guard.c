/*
 * sl_guard.c - the mass-delete guard's two decisions (sl_guard.h). The
 * comparison is done in integers scaled by 1e6 of the ratio, so 10% of 10
 * rows allows exactly 1 delete, never 0.999... by rounding.
 */
#include "sl_guard.h"

#include "sl_log.h"

#include <math.h>

/* The most rows a share of `of` allows (floor, exact for the shares people write). */
static int64_t sl_guard_allowed(int64_t of, double ratio)
{
    long double v = (long double)of * (long double)ratio;
    return (int64_t)floorl(v + 1e-9L);
}

int sl_guard_deletes(const char *what, int64_t live_rows, int64_t deletes, double max_ratio, bool allow,
                     sl_err *err)
{
    if (deletes <= 0 || max_ratio < 0 || live_rows <= 0) return 0;
    if (deletes <= sl_guard_allowed(live_rows, max_ratio)) return 0;
    double share = 100.0 * (double)deletes / (double)live_rows;
    if (allow) {
        sl_log(SL_LOG_WARN, "%s: deleting %lld of its %lld live rows (%.1f%%, over max_delete_ratio %g%%): allowed "
               "by --allow-mass-delete", what, (long long)deletes, (long long)live_rows, share, max_ratio * 100);
        return 0;
    }
    return sl_err_set(err, SL_EGUARD, "%s: the publish would delete %lld of its %lld live rows (%.1f%%), over "
                      "max_delete_ratio %g%%; not published, its previous version stays live (a partial or empty "
                      "source read looks like a mass delete). If the deletes are real, run again with "
                      "--allow-mass-delete (or raise max_delete_ratio)", what, (long long)deletes,
                      (long long)live_rows, share, max_ratio * 100);
}

int sl_guard_shrink(const char *what, int64_t prev_rows, int64_t new_rows, double max_shrink, bool allow,
                    sl_err *err)
{
    if (max_shrink < 0 || prev_rows <= 0 || new_rows >= prev_rows) return 0;
    int64_t dropped = prev_rows - new_rows;
    if (dropped <= sl_guard_allowed(prev_rows, max_shrink)) return 0;
    double share = 100.0 * (double)dropped / (double)prev_rows;
    if (allow) {
        sl_log(SL_LOG_WARN, "%s: %lld rows replace the %lld published (%.1f%% fewer, over max_shrink %g%%): allowed "
               "by --allow-mass-delete", what, (long long)new_rows, (long long)prev_rows, share, max_shrink * 100);
        return 0;
    }
    return sl_err_set(err, SL_EGUARD, "%s: this load has %lld rows, the published version %lld (%.1f%% fewer), "
                      "over max_shrink %g%%; not published, its previous version stays live (is the source table "
                      "truncated, or a filter wrong?). If the rows are really gone, run again with "
                      "--allow-mass-delete (or raise max_shrink)", what, (long long)new_rows, (long long)prev_rows,
                      share, max_shrink * 100);
}
