/*
 * sl_store_pg_detect.h - `deletes: detect` in a PostgreSQL warehouse for an
 * integer key (sl_store_pg_detect.c), called by sl_store_postgres.c's
 * delete step inside the publishing transaction when the source wrote a
 * sorted key file (core/sl_keyfile.h).
 */
#ifndef SL_STORE_PG_DETECT_H
#define SL_STORE_PG_DETECT_H

#include "../core/sl_error.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct sl_pg_detect {
    const char *live;          /* "schema"."table" (quoted) */
    char *const *key;          /* the key's columns */
    int nkey;
    const char *keys_path;     /* the source's sorted key file */
    const char *who;           /* "target dw", for messages */
    const char *guard_what;    /* what the mass-delete guard names */
    double max_delete_ratio;   /* < 0: no guard */
    bool allow_mass_delete;
    const char *prev_path;     /* the key file of the run the live table is from (kept), merged instead of the
                                  live keys; NULL: the live keys are read */
} sl_pg_detect;

/* Deletes from live the rows whose key the source no longer has; *deleted:
 * rows deleted. The mass-delete guard is asked before anything is deleted.
 * 0, or -1 with err set (the caller rolls the transaction back). */
int sl_pg_detect_sorted(PGconn *c, const sl_pg_detect *d, int64_t *deleted, sl_err *err);

/* After a publish commits (outside any transaction): VACUUM the live table
 * so its visibility map is set and the next run's ordered read of its keys
 * is an index-only scan (a table loaded by COPY and never vacuumed costs a
 * heap fetch per key: 5x slower). After a merge only the changed pages are
 * visited. A failure is only logged. */
void sl_pg_detect_vacuum(PGconn *c, const char *live, const char *who);

#endif
