/*
 * sl_pg_conn.h - PostgreSQL sessions for the postgres source, its
 * partition planner and the postgres target (store/sl_store_postgres.c):
 * connecting, error classification, small query helpers.
 *
 *   PGconn *c = sl_pg_connect(src, "table public.orders", err);
 *   if (sl_pg_exec_cmd(c, "BEGIN", what, err) < 0) ...
 *   PGresult *r = sl_pg_exec_tuples(c, sql, what, err);   // PQclear(r) after
 *   PQfinish(c);
 *
 * Sessions get application_name=sluice (the URL may override it),
 * client_encoding=UTF8, connect_timeout=10 (overridable), and the source's
 * statement_timeout. The source's `url` may be a postgres:// URL or a
 * key=value conninfo; it never appears in error messages.
 *
 * Error classes (sl_pg_classify): no SQLSTATE (connection lost), class 08,
 * 57P01/57P02/57P03, 40001, 40P01, 53300 -> SL_ETRANSIENT; anything else
 * (42P01 missing table, 42501 permission, 42601 syntax, 28P01/28000 auth,
 * 3D000 missing database, ...) -> SL_ESOURCE. A connection that cannot be
 * opened is SL_ESOURCE when the server refused the login (bad password,
 * unknown user or database, pg_hba) and SL_ETRANSIENT otherwise (refused,
 * unreachable, timed out, server starting up): worth a retry.
 */
#ifndef SL_PG_CONN_H
#define SL_PG_CONN_H

#include "../core/sl_error.h"
#include "../job/sl_job.h"

#include <libpq-fe.h>
#include <stdbool.h>

PGconn *sl_pg_connect(const sl_job_source *src, const char *what, sl_err *err);
/* The same for any database (a warehouse target): `who` names it in errors
 * ("target dw"); statement_timeout_s 0 keeps the server's. */
PGconn *sl_pg_connect_url(const char *url, const char *who, int statement_timeout_s, const char *what, sl_err *err);
sl_code sl_pg_classify(const char *sqlstate);
/* Fills err from a failed result (or from the connection when res is NULL):
 * "<what>: <server message> (SQLSTATE xxxxx)". Returns -1. */
int sl_pg_result_error(PGconn *conn, const PGresult *res, const char *what, sl_err *err);
/* Runs a command that returns no rows. */
int sl_pg_exec_cmd(PGconn *conn, const char *sql, const char *what, sl_err *err);
/* Runs a query; returns its result (PGRES_TUPLES_OK) or NULL with err set. */
PGresult *sl_pg_exec_tuples(PGconn *conn, const char *sql, const char *what, sl_err *err);
/* Same with text parameters $1..$n. */
PGresult *sl_pg_exec_params(PGconn *conn, const char *sql, int nparams, const char *const *params,
                            const char *what, sl_err *err);
/* Runs a command whose failure the caller handles without a message
 * (ROLLBACK TO SAVEPOINT on a cleanup path); true when it succeeded. */
bool sl_pg_exec_ok(PGconn *conn, const char *sql);
/* "\"my col\"" into a fresh sl_malloc'd string (doubling embedded quotes). */
char *sl_pg_quote_ident(const char *name);

#endif
