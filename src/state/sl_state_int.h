/*
 * sl_state_int.h - what the state store's files share (sl_state.c, the
 * store itself; sl_state_migrations.c, its schema; sl_state_report.c, runs
 * and checks read back for status; sl_state_incr.c, incremental loads):
 * the store's struct and its SQL helpers. Every public function takes
 * st->mu for its whole duration.
 */
#ifndef SL_STATE_INT_H
#define SL_STATE_INT_H

#include "sl_state.h"

#include <pthread.h>
#include <sqlite3.h>

struct sl_state {
    sqlite3 *db;
    char *path;
    pthread_mutex_t mu;
    int version;
};

/* Migration i takes the schema from version i to i + 1. */
extern const char *const sl_state_migrations[SL_STATE_SCHEMA_VERSION];

double sl_st_now(void);
/* err from the database's last error (`what` failed), with a hint; -1. */
int sl_st_fail(sl_state *st, sl_err *err, const char *what);
/* Statements with arguments bound from a type string: 's' text or NULL,
 * 'i' int64, 'd' double, 'D' double with 0 meaning NULL, 'b' a blob
 * (pointer, then size_t length). sl_st_query prepares and binds (the
 * caller steps and finalizes; NULL on error); sl_st_exec runs one
 * statement to completion. */
sqlite3_stmt *sl_st_query(sl_state *st, sl_err *err, const char *sql, const char *types, ...);
int sl_st_exec(sl_state *st, sl_err *err, const char *sql, const char *types, ...);
/* One step: SQLITE_ROW or SQLITE_DONE, -1 with err. */
int sl_st_step(sl_state *st, sqlite3_stmt *stmt, sl_err *err);
/* Steps q (NULL: sl_st_query failed, err is set) to its end, one record of
 * `size` bytes a row filled by fill(), into *out (grown as needed, *n
 * counted from 0); finalizes q and releases st->mu (held by the caller).
 * 0, or -1 with err, the records so far freed by drop() and *out NULL,
 * *n 0. */
int sl_st_collect(sl_state *st, sqlite3_stmt *q, size_t size, void (*fill)(void *rec, sqlite3_stmt *q),
                  void (*drop)(void *recs, int n), void **out, int *n, sl_err *err);
int sl_st_begin(sl_state *st, sl_err *err);
int sl_st_commit(sl_state *st, sl_err *err);   /* rolls back when the commit fails */
int sl_st_rollback(sl_state *st);             /* always -1 */
char *sl_st_col_str(sqlite3_stmt *stmt, int col);   /* a copy of a text column; NULL for NULL */

#endif
