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
 * client_encoding=UTF8 (always: a URL asking for another is overruled, so
 * the server converts text to UTF-8; SQL_ASCII for a SQL_ASCII database,
 * whose bytes the COPY decoder checks), connect_timeout=10 (overridable),
 * and the source's statement_timeout. The source's `url` may be a
 * postgres:// URL or a key=value conninfo; neither it nor its passwords
 * appear in error messages, even when libpq quotes a malformed url back
 * (core/sl_redact.h). A URL libpq would misread (a "%" that starts no %XX
 * escape, an unescaped "@" or "/" in the password) is refused before libpq
 * sees it.
 *
 * Error classes (sl_pg_classify): no SQLSTATE (connection lost), class 08,
 * 57P01/57P02/57P03, 40001, 40P01, 53300 -> SL_ETRANSIENT; anything else
 * (42P01 missing table, 42501 permission, 42601 syntax, 28P01/28000 auth,
 * 3D000 missing database, ...) -> SL_ESOURCE. A connection that cannot be
 * opened is SL_ESOURCE when the url is malformed, TLS fails (certificate,
 * server without TLS under sslmode=require) or the server refused the login
 * (bad password, unknown user or database, pg_hba), each with its remedy,
 * and SL_ETRANSIENT otherwise (refused, unreachable, timed out, server
 * starting up, too many connections): worth a retry.
 *
 * Every statement goes through the extended query protocol (PQexecParams),
 * which takes exactly one statement: text that reaches a query (a user's
 * `query:`) cannot end the read-only transaction and run others after it.
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
/* Sends one statement (extended protocol; $1..$n text parameters) and
 * returns libpq's result as it is (NULL only when out of memory). */
PGresult *sl_pg_exec_one(PGconn *conn, const char *sql, int nparams, const char *const *params);
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
