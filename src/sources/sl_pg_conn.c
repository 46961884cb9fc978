/*
 * sl_pg_conn.c - PostgreSQL sessions, error classification and query helpers
 * (see sl_pg_conn.h).
 */
#include "sl_pg_conn.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_log.h"
#include "../core/sl_redact.h"

#include <ctype.h>
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

/* Text from libpq or the server as one line (its messages end with a
 * newline and may span lines), with passwords redacted: the patterns, and
 * the given secrets (the source's passwords) when the text may quote the
 * url back. Every text from libpq goes through here before it is stored. */
static void sl_pg_one_line(const char *in, const sl_secrets *secrets, char *out, size_t size)
{
    char tmp[1024];
    size_t n = 0;
    for (const char *p = in ? in : ""; *p && n < sizeof tmp - 1; p++) {
        char c = (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p;
        if (c != ' ' || (n && tmp[n - 1] != ' ')) tmp[n++] = c;
    }
    while (n && tmp[n - 1] == ' ') n--;
    tmp[n] = '\0';
    sl_redact_secrets(tmp, secrets, out, size);
}

/* Server notices and warnings go through the log, not libpq's stderr printer. */
static void sl_pg_notice(void *arg, const PGresult *res)
{
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    char msg[1024];
    sl_pg_one_line(PQresultErrorMessage(res), NULL, msg, sizeof msg);
    bool warn = sev && !strcmp(sev, "WARNING");
    sl_log(warn ? SL_LOG_WARN : SL_LOG_DEBUG, "%s: server %s", (const char *)arg, msg);
}

/* A postgres:// URL libpq would misread, found before libpq quotes it back:
 * a "%" that starts no %XX escape, or an "@" that is not the one before the
 * host (one in the password, or after a "/" in the password). NULL when fine. */
static const char *sl_pg_url_mistake(const char *url)
{
    while (*url == ' ') url++;
    const char *auth = strstr(url, "://");
    if (!auth || auth - url < 8 || memcmp(url, "postgres", 8)) return NULL;
    auth += 3;
    for (const char *p = url; *p; p++)
        if (*p == '%' && !(isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])))
            return "it holds a % that starts no %XX escape: write a % in the password as %25";
    const char *slash = strchr(auth, '/'), *at = strchr(auth, '@');
    if (at && (strchr(at + 1, '@') || (slash && slash < strrchr(auth, '@'))))
        return "an @ or / in the user or password is not percent-encoded: write @ as %40 and / as %2F";
    return NULL;
}

/* Connection failures by libpq's text (no SQLSTATE for them); the first
 * match decides, otherwise the failure is transient (server down, refused,
 * unreachable, starting up). */
static const char sl_pg_hint_url[] = "fix the source's url: a postgres:// URL with the user's and password's "
    "special characters percent-encoded (@ as %40, % as %25), or key=value settings with values quoted in '...'";
static const char sl_pg_hint_tls[] = "check the TLS settings in the source's url (sslmode, sslrootcert, sslcert, "
    "sslkey): the server's certificate must be signed by sslrootcert and name the host it is reached by, and "
    "sslmode=require needs a server with ssl on";
static const char sl_pg_hint_busy[] = "the server takes no more sessions for now; lower max_connections or "
    "free sessions";
static const char sl_pg_hint_login[] = "check the user, password and database in the source's url";
static const char sl_pg_hint_down[] = "check that the server is up and reachable (host, port, firewall)";
static const struct {
    const char *text;
    sl_code code;
    const char *hint;
} sl_pg_connect_failures[] = {
    { "invalid URI", SL_ESOURCE, sl_pg_hint_url },
    { "in URI", SL_ESOURCE, sl_pg_hint_url },
    { "percent-encoded", SL_ESOURCE, sl_pg_hint_url },
    { "missing \"=\"", SL_ESOURCE, sl_pg_hint_url },
    { "unterminated quoted string", SL_ESOURCE, sl_pg_hint_url },
    { "invalid connection option", SL_ESOURCE, sl_pg_hint_url },
    { "invalid integer value", SL_ESOURCE, sl_pg_hint_url },
    { "invalid port number", SL_ESOURCE, sl_pg_hint_url },
    { "value: \"", SL_ESOURCE, sl_pg_hint_url },   /* invalid sslmode value: "x" and its kin */
    { "certificate", SL_ESOURCE, sl_pg_hint_tls },
    { "does not support SSL", SL_ESOURCE, sl_pg_hint_tls },
    { "private key", SL_ESOURCE, sl_pg_hint_tls },
    { "SSL protocol", SL_ESOURCE, sl_pg_hint_tls },
    { "alert", SL_ESOURCE, sl_pg_hint_tls },
    { "wrong version number", SL_ESOURCE, sl_pg_hint_tls },
    { "unsupported protocol", SL_ESOURCE, sl_pg_hint_tls },
    { "handshake failure", SL_ESOURCE, sl_pg_hint_tls },
    { "too many connections", SL_ETRANSIENT, sl_pg_hint_busy },
    { "too many clients", SL_ETRANSIENT, sl_pg_hint_busy },
    { "authentication failed", SL_ESOURCE, sl_pg_hint_login },
    { "no password supplied", SL_ESOURCE, sl_pg_hint_login },
    { "password is required", SL_ESOURCE, sl_pg_hint_login },
    { "pg_hba.conf", SL_ESOURCE, sl_pg_hint_login },
    { "does not exist", SL_ESOURCE, sl_pg_hint_login },
    { "permission denied", SL_ESOURCE, sl_pg_hint_login },
};

/* The source's passwords, as libpq may quote them back: from the url as
 * written (even malformed), and what libpq took for the connection
 * (password, sslpassword: the options it marks secret), which includes a
 * PGPASSWORD or ~/.pgpass password it used. */
static void sl_pg_secrets(PGconn *conn, const char *url, sl_secrets *s)
{
    sl_secrets_add_dsn(s, url);
    if (!conn) return;
    if (PQpass(conn)) sl_secrets_add(s, PQpass(conn), strlen(PQpass(conn)));
    PQconninfoOption *opts = PQconninfo(conn);
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (o->val && o->dispchar && o->dispchar[0] == '*') sl_secrets_add(s, o->val, strlen(o->val));
    PQconninfoFree(opts);
}

PGconn *sl_pg_connect_url(const char *url, const char *who, int statement_timeout_s, const char *what, sl_err *err)
{
    if (!url) url = "";
    const char *mistake = sl_pg_url_mistake(url);
    if (mistake) {
        sl_err_set(err, SL_ESOURCE, "%s: cannot connect to %s: its url is malformed: %s", what, who, mistake);
        return NULL;
    }
    /* Keywords before dbname are defaults the URL/conninfo may override. */
    const char *keys[] = { "application_name", "connect_timeout", "client_encoding", "dbname", NULL };
    const char *vals[] = { "sluice", "10", "UTF8", url, NULL };
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (!conn) {
        sl_err_set(err, SL_ETRANSIENT, "%s: cannot connect to %s: out of memory in libpq", what, who);
        return NULL;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        /* Classified by libpq's own text: redaction may hide the words. */
        const char *raw = PQerrorMessage(conn);
        sl_code code = SL_ETRANSIENT;
        const char *hint = sl_pg_hint_down;
        for (size_t i = 0; i < sizeof sl_pg_connect_failures / sizeof sl_pg_connect_failures[0]; i++)
            if (strstr(raw, sl_pg_connect_failures[i].text)) {
                code = sl_pg_connect_failures[i].code;
                hint = sl_pg_connect_failures[i].hint;
                break;
            }
        char msg[1024];
        sl_secrets secrets = { 0 };
        sl_pg_secrets(conn, url, &secrets);
        sl_pg_one_line(raw, &secrets, msg, sizeof msg);
        sl_secrets_free(&secrets);
        sl_err_set(err, code, "%s: cannot connect to %s: %s; %s", what, who, msg, hint);
        PQfinish(conn);
        return NULL;
    }
    PQsetNoticeReceiver(conn, sl_pg_notice, (void *)"postgres");
    /* Parquet strings are UTF-8: whatever client_encoding the URL asks for,
     * the server converts text to UTF-8. A SQL_ASCII database cannot convert
     * (its text is any bytes) and would only refuse a whole COPY for one
     * value without saying where: take its bytes as they are and let the COPY
     * decoder check them, naming the column and row. */
    const char *server = PQparameterStatus(conn, "server_encoding");
    const char *want = server && !strcmp(server, "SQL_ASCII") ? "SQL_ASCII" : "UTF8";
    const char *enc = PQparameterStatus(conn, "client_encoding");
    if ((!enc || strcmp(enc, want)) && PQsetClientEncoding(conn, want) != 0) {
        char msg[1024];
        sl_pg_one_line(PQerrorMessage(conn), NULL, msg, sizeof msg);
        sl_err_set(err, SL_ESOURCE, "%s: %s: cannot set client_encoding to %s: %s", what, who, want, msg);
        PQfinish(conn);
        return NULL;
    }
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
        sl_pg_one_line(primary, NULL, msg, sizeof msg);
    else
        sl_pg_one_line(conn ? PQerrorMessage(conn) : "no connection", NULL, msg, sizeof msg);
    sl_code code = sl_pg_classify(state);
    if (!state && conn && PQstatus(conn) == CONNECTION_OK && res &&
        PQresultStatus(res) != PGRES_FATAL_ERROR)
        code = SL_ESOURCE;   /* an unexpected result kind, not a lost connection */
    char hintbuf[512] = "";
    if (hint) sl_pg_one_line(hint, NULL, hintbuf, sizeof hintbuf);
    return sl_err_set(err, code, "%s: %s%s%s%s%s%s", what, msg, state ? " (SQLSTATE " : "",
                      state ? state : "", state ? ")" : "", hint ? "; hint: " : "", hintbuf);
}

PGresult *sl_pg_exec_one(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
    return PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
}

int sl_pg_exec_cmd(PGconn *conn, const char *sql, const char *what, sl_err *err)
{
    PGresult *res = sl_pg_exec_one(conn, sql, 0, NULL);
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
    PGresult *res = sl_pg_exec_one(conn, sql, 0, NULL);
    bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok;
}

PGresult *sl_pg_exec_params(PGconn *conn, const char *sql, int nparams, const char *const *params,
                            const char *what, sl_err *err)
{
    PGresult *res = sl_pg_exec_one(conn, sql, nparams, params);
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
    sl_buf b = { 0 };
    sl_buf_quoted(&b, name, '"');
    sl_buf_cstr(&b);
    return (char *)b.data;
}
