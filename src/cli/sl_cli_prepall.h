/*
 * sl_cli_prepall.h - every table of a job prepared in parallel for `plan`
 * and `validate --connect`, handed out in the job's order (see
 * sl_cli_prepall.c).
 *
 *   sl_prep_all *pa = sl_prep_all_start(job, workers, connect);
 *   for i: if (sl_prep_all_get(pa, i, &pt, &err) == 0) ... use pt ...
 *          sl_prep_all_done(pa, i);      // releases table i
 *   sl_prep_all_free(pa);
 */
#ifndef SL_CLI_PREPALL_H
#define SL_CLI_PREPALL_H

#include "../exec/sl_prepare.h"

#include <stdbool.h>

typedef struct sl_prep_all sl_prep_all;

/* connect false: resolve only (no source queries), one table at a time. */
sl_prep_all *sl_prep_all_start(const sl_job *job, int workers, bool connect);
/* Waits for table i: 0 with *pt, or -1 with *err (both owned by pa). */
int sl_prep_all_get(sl_prep_all *pa, int i, sl_prep_table **pt, sl_err **err);
void sl_prep_all_done(sl_prep_all *pa, int i);
void sl_prep_all_free(sl_prep_all *pa);

#endif
