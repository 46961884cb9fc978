/*
 * sl_pg_conn.c - PostgreSQL sessions, error classification and query helpers
 * (see sl_pg_conn.h).
 */
#include "sl_pg_conn.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"

#include <stdio.h>
#include <string.h>

sl_code sl_pg_classify(const char *sqlstate)
{
    if (!sqlstate || !*sqlstate) return SL_ETRANSIENT;
    if (!strncmp(sqlstate, "08", 2)) return SL_ETRANSIENT;
    static const char *const transient[] = { "57P01", "57P02", "57P03", "40001", "40P01", "53300" };
    for (size_t i = 0; i < sizeof transient / sizeof transient[0]; i++)
        if (!strcmp(sqlstate, transient[i])) return SL_ETRANSIENT;
    return SL_ESOURCE;
}

/* libpq messages end with a newline and may span lines; make them one line. */
static void sl_pg_one_line(const char *in, char *out, size_t size)
{
    char tmp[1024];
    size_t n = 0;
    for (const char *p = in ? in : ""; *p && n < sizeof tmp - 1; p++)
        tmp[n++] = (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p;
    while (n && tmp[n - 1] == ' ') n--;
    tmp[n] = '\0';
    sl_redact(tmp, out, size);
}

/* Server notices and warnings go through the log, not libpq's stderr printer. */
static void sl_pg_notice(void *arg, const PGresult *res)
{
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    char msg[1024];
    sl_pg_one_line(PQresultErrorMessage(res), msg, sizeof msg);
    bool warn = sev && !strcmp(sev, "WARNING");
    sl_log(warn ? SL_LOG_WARN : SL_LOG_DEBUG, "%s: server %s", (const char *)arg, msg);
}

PGconn *sl_pg_connect_url(const char *url, const char *who, int statement_timeout_s, const char *what, sl_err *err)
{
    /* Keywords before dbname are defaults the URL/conninfo may override. */
    const char *keys[] = { "application_name", "connect_timeout", "client_encoding", "dbname", NULL };
    const char *vals[] = { "sluice", "10", "UTF8", url ? url : "", NULL };
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (!conn) {
        sl_err_set(err, SL_ETRANSIENT, "%s: cannot connect to %s: out of memory in libpq", what, who);
        return NULL;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        char msg[1024];
        sl_pg_one_line(PQerrorMessage(conn), msg, sizeof msg);
        /* No SQLSTATE is available for a failed login: classify by text. */
        static const char *const refused[] = {
            "authentication failed", "no password supplied", "pg_hba.conf", "does not exist",
            "password is required", "permission denied", "invalid connection option",
            "invalid URI", "invalid integer value", "missing \"=\"", "unterminated quoted string",
            "invalid sslmode", "too many connections for role",
        };
        sl_code code = SL_ETRANSIENT;
        for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
            if (strstr(msg, refused[i])) code = SL_ESOURCE;
        if (strstr(msg, "too many connections for role")) code = SL_ETRANSIENT;
        const char *hint = code == SL_ESOURCE ? "check the user, password and database in the url of"
                                              : "check that the server is up and reachable (host, port, firewall) for";
        sl_err_set(err, code, "%s: cannot connect to %s: %s; %s %s", what, who, msg, hint, who);
        PQfinish(conn);
        return NULL;
    }
    PQsetNoticeReceiver(conn, sl_pg_notice, (void *)"postgres");
    if (statement_timeout_s > 0) {
        char sql[64];
        snprintf(sql, sizeof sql, "SET statement_timeout = %d", statement_timeout_s * 1000);
        if (sl_pg_exec_cmd(conn, sql, what, err) < 0) {
            PQfinish(conn);
            return NULL;
        }
    }
    return conn;
}

PGconn *sl_pg_connect(const sl_job_source *src, const char *what, sl_err *err)
{
    char who[256];
    snprintf(who, sizeof who, "source %s", src ? src->name : "?");
    return sl_pg_connect_url(src ? src->url : NULL, who, src ? src->statement_timeout_s : 0, what, err);
}

int sl_pg_result_error(PGconn *conn, const PGresult *res, const char *what, sl_err *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
    char msg[1024];
    if (primary)
        sl_pg_one_line(primary, msg, sizeof msg);
    else
        sl_pg_one_line(conn ? PQerrorMessage(conn) : "no connection", msg, sizeof msg);
    sl_code code = sl_pg_classify(state);
    if (!state && conn && PQstatus(conn) == CONNECTION_OK && res &&
        PQresultStatus(res) != PGRES_FATAL_ERROR)
        code = SL_ESOURCE;   /* an unexpected result kind, not a lost connection */
    char hintbuf[512] = "";
    if (hint) sl_pg_one_line(hint, hintbuf, sizeof hintbuf);
    return sl_err_set(err, code, "%s: %s%s%s%s%s%s", what, msg, state ? " (SQLSTATE " : "",
                      state ? state : "", state ? ")" : "", hint ? "; hint: " : "", hintbuf);
}

int sl_pg_exec_cmd(PGconn *conn, const char *sql, const char *what, sl_err *err)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        sl_pg_result_error(conn, res, what, err);
        PQclear(res);
        return -1;
    }
    PQclear(res);
    return 0;
}

bool sl_pg_exec_ok(PGconn *conn, const char *sql)
{
    if (!conn) return false;
    PGresult *res = PQexec(conn, sql);
    bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok;
}

PGresult *sl_pg_exec_params(PGconn *conn, const char *sql, int nparams, const char *const *params,
                            const char *what, sl_err *err)
{
    PGresult *res = nparams ? PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0)
                            : PQexec(conn, sql);
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        sl_pg_result_error(conn, res, what, err);
        PQclear(res);
        return NULL;
    }
    return res;
}

PGresult *sl_pg_exec_tuples(PGconn *conn, const char *sql, const char *what, sl_err *err)
{
    return sl_pg_exec_params(conn, sql, 0, NULL, what, err);
}

char *sl_pg_quote_ident(const char *name)
{
    size_t n = strlen(name);
    char *out = sl_malloc(2 * n + 3), *o = out;
    *o++ = '"';
    for (const char *p = name; *p; p++) {
        if (*p == '"') *o++ = '"';
        *o++ = *p;
    }
    *o++ = '"';
    *o = '\0';
    return out;
}
