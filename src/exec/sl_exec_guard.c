/*
 * sl_exec_guard.c - the mass-delete guard as the engine applies it
 * (core/sl_guard.h): a table's limits from its job settings, the run's
 * --allow-mass-delete. The warehouse stores apply the same guard inside
 * their publishing transactions (delete_missing, max_shrink), the local
 * store before its swap (max_shrink); this is the entry for deletes the
 * engine itself decides (incremental loads' `deletes: detect`).
 */
#include "sl_exec_int.h"

#include "../core/sl_guard.h"

#include <stdio.h>

int sl_exec_guard_deletes(const sl_exec_table *t, const char *target, int64_t live_rows, int64_t deletes,
                          sl_err *err)
{
    char what[512];
    snprintf(what, sizeof what, "table %s in target %s", t->prep.cfg->name, target);
    return sl_guard_deletes(what, live_rows, deletes, sl_job_table_max_delete_ratio(t->prep.cfg),
                            t->run->opts->allow_mass_delete, err);
}
