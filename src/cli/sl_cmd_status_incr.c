/*
 * sl_cmd_status_incr.c - the incremental tables' part of `sluice status`:
 * per table and set of targets its published high watermark, then what the
 * last runs read (the window, rows, keys deleted; "pending" while a run
 * that read it has not published it).
 */
#include "sl_cli.h"

#include "../state/sl_state.h"

#include <stdio.h>
#include <string.h>

void sl_status_print_incr(sl_state *st, const char *job, int nruns)
{
    if (!job) return;
    sl_incr_hist *h = NULL;
    int n = 0;
    sl_err err = SL_ERR_INIT;
    if (sl_state_incr_history(st, job, nruns > 0 ? nruns : 5, &h, &n, &err) < 0 || n == 0) {
        sl_incr_hist_free(h, n);
        return;
    }
    printf("\nincremental tables:\n");
    for (int i = 0; i < n; i++) {
        const sl_incr_hist *e = &h[i];
        if (e->rows < 0) {
            printf("  %s (to %s): watermark %s (run %lld)\n", e->table, e->targets,
                   e->watermark ? e->watermark : "none (the next run reads everything)", (long long)e->run_id);
        } else {
            printf("    run %-6lld %-9s %s %s .. %s: %lld rows", (long long)sl_state_run_number(st, e->run_id),
                   e->published ? "published" : "pending", e->first ? "all" : "after", e->low ? e->low : "",
                   e->high ? e->high : "(no rows)", (long long)e->rows);
            if (e->deleted > 0) printf(", %lld deleted", (long long)e->deleted);
            printf("\n");
        }
    }
    sl_incr_hist_free(h, n);
}
