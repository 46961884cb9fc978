/*
 * sl_store_lake_detect.h - `deletes: detect` in a local lake table for an
 * integer key (sl_store_lake_detect.c), called by sl_lake_incr_deletes
 * (sl_store_lake_incr.c) when the source wrote a sorted key file
 * (core/sl_keyfile.h).
 */
#ifndef SL_STORE_LAKE_DETECT_H
#define SL_STORE_LAKE_DETECT_H

#include "../core/sl_error.h"

#include <stdint.h>

struct sl_duck;

/* Adds to DuckDB temp table sl_gone (the key columns) the live keys of
 * old_sql absent from the key file and not in inc_sql; *gone: the keys
 * added, *live_rows: the live version's rows (with prev_path: its keys).
 * prev_path (or NULL): the key file of the run the live version is from,
 * merged instead of the live keys. `what` names the table and target for
 * messages. */
int sl_lake_detect_sorted(struct sl_duck *d, const char *old_sql, const char *inc_sql, char *const *key, int nkey,
                          const char *keys_path, const char *prev_path, const char *what, int64_t *gone,
                          int64_t *live_rows, sl_err *err);

#endif
