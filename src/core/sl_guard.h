/*
 * sl_guard.h - the mass-delete guard: a publish that would delete or drop
 * too many of a table's live rows is refused (its previous version stays
 * live), because a partial or empty source read looks exactly like a mass
 * delete (users.md: "Deletes").
 *
 *   sl_guard_deletes  a publish deletes `deletes` of `live_rows` rows (a
 *                     warehouse merge with delete_missing; the incremental
 *                     loads' `deletes: detect`): refused when the share is
 *                     over the table's max_delete_ratio (default 10%)
 *   sl_guard_shrink   a full load of `new_rows` replaces `prev_rows` (the
 *                     last published version's count, from its manifest or
 *                     the warehouse's bookkeeping): refused when it shrinks
 *                     by more than max_shrink (off unless given)
 *
 * Both are pure (no I/O), so a store calls them inside its publishing
 * transaction and rolls back on -1. `allow` is `sluice run
 * --allow-mass-delete`: the numbers are then only logged. The error
 * (SL_EGUARD: never retried) gives the numbers, the limit and the flag.
 */
#ifndef SL_GUARD_H
#define SL_GUARD_H

#include "sl_error.h"

#include <stdbool.h>
#include <stdint.h>

#define SL_GUARD_DEFAULT_DELETE_RATIO 0.10

/* 0 go ahead, -1 refused (err). `what` names the table and target
 * ("table orders in target dw"); max_ratio < 0: no limit. */
int sl_guard_deletes(const char *what, int64_t live_rows, int64_t deletes, double max_ratio, bool allow,
                     sl_err *err);
/* max_shrink < 0: off. prev_rows < 0: unknown (nothing to compare with). */
int sl_guard_shrink(const char *what, int64_t prev_rows, int64_t new_rows, double max_shrink, bool allow,
                    sl_err *err);

#endif
