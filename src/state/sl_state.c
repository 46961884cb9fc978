/*
 * sl_state.c - the run state store on SQLite (see sl_state.h): its SQL
 * helpers, open and migrate, runs, tables, columns, tasks, attempts and
 * files. Status and checks are read back in sl_state_report.c, incremental
 * loads kept in sl_state_incr.c, the schema is sl_state_migrations.c.
 *
 * Every public function takes the store's mutex for its whole duration and
 * runs its statements in one transaction when it has more than one, so a
 * crash leaves either all or none of a step recorded. SQL goes through two
 * helpers that bind arguments from a type string (sl_state_int.h).
 */
#define _GNU_SOURCE
#include "sl_state_int.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_log.h"
#include "sl_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


/* ---- helpers ---- */

double sl_st_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int sl_st_fail(sl_state *st, sl_err *err, const char *what)
{
    int rc = sqlite3_extended_errcode(st->db);
    int prim = rc & 0xff;
    sl_code code = prim == SQLITE_FULL ? SL_ENOSPACE : SL_EIO;
    const char *hint = "";
    if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
        hint = "; another process keeps the state database busy";
    else if (prim == SQLITE_FULL)
        hint = "; free space on that file system";
    else if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB)
        hint = "; it is damaged or not a sluice state database: move it away (the next run starts afresh)";
    return sl_err_set(err, code, "state database %s: %s: %s%s", st->path, what, sqlite3_errmsg(st->db), hint);
}

static int sl_st_bind(sl_state *st, sqlite3_stmt *stmt, const char *types, va_list ap)
{
    for (int i = 0; types && types[i]; i++) {
        int rc;
        switch (types[i]) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            rc = s ? sqlite3_bind_text(stmt, i + 1, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(stmt, i + 1);
            break;
        }
        case 'i':
            rc = sqlite3_bind_int64(stmt, i + 1, va_arg(ap, int64_t));
            break;
        case 'd':
            rc = sqlite3_bind_double(stmt, i + 1, va_arg(ap, double));
            break;
        case 'b': {   /* a blob: pointer, then size_t length; NULL pointer: NULL */
            const void *p = va_arg(ap, const void *);
            size_t len = va_arg(ap, size_t);
            rc = p ? sqlite3_bind_blob(stmt, i + 1, p, (int)len, SQLITE_TRANSIENT) : sqlite3_bind_null(stmt, i + 1);
            break;
        }
        case 'D': {
            double d = va_arg(ap, double);
            rc = d != 0 ? sqlite3_bind_double(stmt, i + 1, d) : sqlite3_bind_null(stmt, i + 1);
            break;
        }
        default:
            rc = SQLITE_MISUSE;
        }
        if (rc != SQLITE_OK) return rc;
    }
    (void)st;
    return SQLITE_OK;
}

sqlite3_stmt *sl_st_query(sl_state *st, sl_err *err, const char *sql, const char *types, ...)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        sl_st_fail(st, err, "prepare");
        return NULL;
    }
    va_list ap;
    va_start(ap, types);
    int rc = sl_st_bind(st, stmt, types, ap);
    va_end(ap);
    if (rc != SQLITE_OK) {
        sl_st_fail(st, err, "bind");
        sqlite3_finalize(stmt);
        return NULL;
    }
    return stmt;
}

int sl_st_exec(sl_state *st, sl_err *err, const char *sql, const char *types, ...)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) return sl_st_fail(st, err, "prepare");
    va_list ap;
    va_start(ap, types);
    int rc = sl_st_bind(st, stmt, types, ap);
    va_end(ap);
    if (rc == SQLITE_OK) {
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {}
    }
    if (rc != SQLITE_DONE) {
        sl_st_fail(st, err, "write");
        sqlite3_finalize(stmt);
        return -1;
    }
    sqlite3_finalize(stmt);
    return 0;
}

int sl_st_step(sl_state *st, sqlite3_stmt *stmt, sl_err *err)
{
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) return rc;
    sl_st_fail(st, err, "read");
    return -1;
}

int sl_st_collect(sl_state *st, sqlite3_stmt *q, size_t size, void (*fill)(void *rec, sqlite3_stmt *q),
                           void (*drop)(void *recs, int n), void **out, int *n, sl_err *err)
{
    char *recs = NULL;
    int rc = q ? 0 : -1;
    int cap = 0;
    *n = 0;
    while (q) {
        int step = sl_st_step(st, q, err);
        if (step != SQLITE_ROW) {
            if (step < 0) rc = -1;
            break;
        }
        if (*n == cap) recs = sl_realloc(recs, (size_t)(cap = cap ? cap * 2 : 16) * size);
        fill(recs + (size_t)(*n)++ * size, q);
    }
    if (q) sqlite3_finalize(q);
    pthread_mutex_unlock(&st->mu);
    if (rc < 0) {
        drop(recs, *n);
        recs = NULL;
        *n = 0;
    }
    *out = recs;
    return rc;
}

int sl_st_begin(sl_state *st, sl_err *err)
{
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return sl_st_fail(st, err, "begin transaction");
    return 0;
}

int sl_st_commit(sl_state *st, sl_err *err)
{
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sl_st_fail(st, err, "commit");
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

int sl_st_rollback(sl_state *st)
{
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

char *sl_st_col_str(sqlite3_stmt *stmt, int col)
{
    const unsigned char *s = sqlite3_column_text(stmt, col);
    return s ? sl_strdup((const char *)s) : NULL;
}

/* ---- open, migrate, close ---- */

const char *sl_run_status_name(sl_run_status s)
{
    static const char *const names[] = { "running", "succeeded", "failed", "killed" };
    return (unsigned)s < 4 ? names[s] : "unknown";
}

const char *sl_task_status_name(sl_task_status s)
{
    static const char *const names[] = { "pending", "running", "done", "failed" };
    return (unsigned)s < 4 ? names[s] : "unknown";
}

static sl_task_status sl_task_status_parse(const char *s)
{
    if (!s) return SL_TASK_PENDING;
    if (!strcmp(s, "running")) return SL_TASK_RUNNING;
    if (!strcmp(s, "done")) return SL_TASK_DONE;
    if (!strcmp(s, "failed")) return SL_TASK_FAILED;
    return SL_TASK_PENDING;
}

char *sl_state_default_path(const char *job_dir)
{
    return sl_sprintf("%s/.sluice/state.db", job_dir && *job_dir ? job_dir : ".");
}

const char *sl_state_path(const sl_state *st) { return st->path; }

static int sl_state_migrate(sl_state *st, int target, sl_err *err)
{
    /* The common case, an up-to-date database, needs no write lock (so
     * `sluice status` never waits for a running job's transactions). */
    sqlite3_stmt *peek = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT schema_version FROM meta", -1, &peek, NULL) == SQLITE_OK) {
        int have = sqlite3_step(peek) == SQLITE_ROW ? sqlite3_column_int(peek, 0) : 0;
        sqlite3_finalize(peek);
        if (have >= target && have <= SL_STATE_SCHEMA_VERSION) {
            st->version = have;
            return 0;
        }
    }
    if (sl_st_begin(st, err) < 0) return -1;
    if (sl_st_exec(st, err, "CREATE TABLE IF NOT EXISTS meta(schema_version INTEGER NOT NULL)", NULL) < 0)
        return sl_st_rollback(st);
    sqlite3_stmt *q = sl_st_query(st, err, "SELECT schema_version FROM meta", NULL);
    if (!q) return sl_st_rollback(st);
    int have = 0;
    bool has_row = false;
    int rc = sl_st_step(st, q, err);
    if (rc == SQLITE_ROW) {
        have = sqlite3_column_int(q, 0);
        has_row = true;
    }
    sqlite3_finalize(q);
    if (rc < 0) return sl_st_rollback(st);
    if (have > SL_STATE_SCHEMA_VERSION) {
        sl_st_rollback(st);
        return sl_err_set(err, SL_EIO, "state database %s has schema version %d, newer than this sluice knows "
                          "(%d); use a newer sluice, or another --state path", st->path, have,
                          SL_STATE_SCHEMA_VERSION);
    }
    for (int v = have; v < target; v++) {
        char *errmsg = NULL;
        if (sqlite3_exec(st->db, sl_state_migrations[v], NULL, NULL, &errmsg) != SQLITE_OK) {
            sl_err_set(err, SL_EIO, "state database %s: migration %d -> %d failed: %s", st->path, v, v + 1,
                       errmsg ? errmsg : sqlite3_errmsg(st->db));
            sqlite3_free(errmsg);
            return sl_st_rollback(st);
        }
    }
    if (have < target) {
        if (sl_st_exec(st, err, has_row ? "UPDATE meta SET schema_version = ?" : "INSERT INTO meta VALUES (?)", "i",
                    (int64_t)target) < 0)
            return sl_st_rollback(st);
        if (have > 0) sl_log(SL_LOG_INFO, "state database %s: schema migrated from version %d to %d", st->path,
                             have, target);
    }
    if (sl_st_commit(st, err) < 0) return -1;
    st->version = have > target ? have : target;
    return 0;
}

/* The store holds histogram bounds (real key values) and error texts: the
 * database and its -wal and -shm files are for the owner only. SQLite gives
 * the -wal and -shm files the database's mode, so a new database is created
 * 0600 here first (SQLite takes an empty file for a new database); the
 * files of an older store are narrowed. */
static int sl_state_private_files(const char *path, sl_err *err)
{
    int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return sl_fs_errno(err, errno, "cannot open", path);
    close(fd);
    static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        char *p = sl_sprintf("%s%s", path, suffixes[i]);
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 077) && chmod(p, sb.st_mode & 0700) < 0)
            sl_log(SL_LOG_WARN, "state database %s: cannot make it readable by its owner only (mode %03o): %s",
                   p, (unsigned)(sb.st_mode & 0777), strerror(errno));
        sl_free(p);
    }
    return 0;
}

sl_state *sl_state_open_version(const char *path, int version, sl_err *err)
{
    if (version < 1 || version > SL_STATE_SCHEMA_VERSION) {
        sl_err_set(err, SL_EINTERNAL, "state schema version %d does not exist", version);
        return NULL;
    }
    char *dir = sl_fs_dirname(path);
    int rc = sl_fs_mkdirs_private(dir, err);
    sl_free(dir);
    if (rc == 0) rc = sl_state_private_files(path, err);
    if (rc < 0) {
        sl_err_prefix(err, "state database %s", path);
        return NULL;
    }
    sl_state *st = sl_calloc(1, sizeof *st);
    st->path = sl_strdup(path);
    pthread_mutex_init(&st->mu, NULL);
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        if (st->db) sl_st_fail(st, err, "cannot open");
        else sl_err_set(err, SL_EIO, "state database %s: cannot open (out of memory)", path);
        sl_state_close(st);
        return NULL;
    }
    sqlite3_busy_timeout(st->db, 10000);
    sqlite3_extended_result_codes(st->db, 1);
    char *errmsg = NULL;
    if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
                     NULL, NULL, &errmsg) != SQLITE_OK) {
        sl_err_set(err, SL_EIO, "state database %s: %s%s", path, errmsg ? errmsg : sqlite3_errmsg(st->db),
                   "; it may not be a sluice state database: move it away or pass another --state path");
        sqlite3_free(errmsg);
        sl_state_close(st);
        return NULL;
    }
    if (sl_state_migrate(st, version, err) < 0) {
        sl_state_close(st);
        return NULL;
    }
    return st;
}

sl_state *sl_state_open(const char *path, sl_err *err)
{
    return sl_state_open_version(path, SL_STATE_SCHEMA_VERSION, err);
}

int sl_state_schema_version(sl_state *st) { return st->version; }

void sl_state_close(sl_state *st)
{
    if (!st) return;
    if (st->db) sqlite3_close_v2(st->db);
    pthread_mutex_destroy(&st->mu);
    sl_free(st->path);
    sl_free(st);
}

/* ---- job hash: FNV-1a 64 over the bytes, plus their length ---- */

void sl_state_hash(const void *data, size_t len, char out[SL_STATE_HASH_LEN])
{
    const unsigned char *p = data;
    uint64_t h1 = 0xcbf29ce484222325ULL, h2 = 0x84222325cbf29ce4ULL;
    for (size_t i = 0; i < len; i++) {
        h1 = (h1 ^ p[i]) * 0x100000001b3ULL;
        h2 = (h2 ^ p[len - 1 - i]) * 0x100000001b3ULL;   /* second pass backwards */
    }
    snprintf(out, SL_STATE_HASH_LEN, "%016llx%016llx", (unsigned long long)h1, (unsigned long long)h2);
}

int sl_state_hash_file(const char *path, char out[SL_STATE_HASH_LEN], sl_err *err)
{
    size_t len = 0;
    char *text = sl_fs_read_all(path, &len, err);
    if (!text) return -1;
    sl_state_hash(text, len, out);
    sl_free(text);
    return 0;
}

/* ---- runs ---- */

static void sl_fmt_time(double t, char *buf, size_t size)
{
    time_t secs = (time_t)t;
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static int sl_run_begin_locked(sl_state *st, const char *job, const char *job_hash, bool fresh,
                               sl_run_start *out, sl_err *err)
{
    memset(out, 0, sizeof *out);
    char host[256];
    sl_fs_hostname(host, sizeof host);
    double now = sl_st_now();
    sqlite3_stmt *q = sl_st_query(st, err, "SELECT id, job_hash, status, started FROM runs WHERE job = ? "
                                        "ORDER BY id DESC LIMIT 1", "s", job);
    if (!q) return -1;
    int rc = sl_st_step(st, q, err);
    if (rc < 0) {
        sqlite3_finalize(q);
        return -1;
    }
    int64_t prev_id = 0;
    char prev_hash[SL_STATE_HASH_LEN] = "", prev_status[16] = "";
    double prev_started = 0;
    if (rc == SQLITE_ROW) {
        prev_id = sqlite3_column_int64(q, 0);
        snprintf(prev_hash, sizeof prev_hash, "%s", (const char *)sqlite3_column_text(q, 1));
        snprintf(prev_status, sizeof prev_status, "%s", (const char *)sqlite3_column_text(q, 2));
        prev_started = sqlite3_column_double(q, 3);
    }
    sqlite3_finalize(q);

    if (prev_id && strcmp(prev_status, "succeeded")) {
        if (!strcmp(prev_status, "running")) {
            /* We hold the job lock, so the process that left it running is gone. */
            if (sl_st_exec(st, err, "UPDATE runs SET status = 'killed', error = COALESCE(error, "
                                 "'the process ended without finishing (killed or crashed)') WHERE id = ?",
                        "i", prev_id) < 0 ||
                sl_st_exec(st, err, "UPDATE attempts SET outcome = 'killed' WHERE outcome = 'running' AND task_id IN "
                                 "(SELECT id FROM tasks WHERE run_id = ?)", "i", prev_id) < 0)
                return -1;
            snprintf(prev_status, sizeof prev_status, "killed");
        }
        char when[64];
        sl_fmt_time(prev_started, when, sizeof when);
        if (fresh || strcmp(prev_hash, job_hash)) {
            out->abandoned_run_id = prev_id;
            snprintf(out->note, sizeof out->note,
                     fresh ? "not resuming run %lld (%s, started %s): --fresh; starting over"
                           : "not resuming run %lld (%s, started %s): the job file has changed since; starting over",
                     (long long)prev_id, prev_status, when);
        } else {
            if (sl_st_exec(st, err, "UPDATE runs SET status = 'running', ended = NULL, error = NULL, pid = ?, "
                                 "host = ?, resumes = resumes + 1 WHERE id = ?", "isi", (int64_t)getpid(), host,
                        prev_id) < 0 ||
                sl_st_exec(st, err, "UPDATE tasks SET status = 'pending' WHERE run_id = ? AND "
                                 "status IN ('running', 'failed')", "i", prev_id) < 0 ||
                sl_st_exec(st, err, "UPDATE tables SET status = 'pending', error = NULL WHERE run_id = ? AND "
                                 "status = 'failed'", "i", prev_id) < 0)
                return -1;
            q = sl_st_query(st, err, "SELECT count(*), coalesce(sum(status = 'done'), 0) FROM tasks WHERE run_id = ?",
                         "i", prev_id);
            if (!q) return -1;
            if (sl_st_step(st, q, err) != SQLITE_ROW) {
                sqlite3_finalize(q);
                return -1;
            }
            out->tasks_total = sqlite3_column_int(q, 0);
            out->tasks_done = sqlite3_column_int(q, 1);
            sqlite3_finalize(q);
            out->run_id = prev_id;
            out->resumed = true;
            out->started = prev_started;
            snprintf(out->note, sizeof out->note, "resuming run %lld (%s, started %s): %d of %d tasks already done",
                     (long long)prev_id, prev_status, when, out->tasks_done, out->tasks_total);
            return 0;
        }
    }
    if (sl_st_exec(st, err, "INSERT INTO runs(job, job_hash, started, status, pid, host) VALUES (?, ?, ?, 'running', ?, ?)",
                "ssdis", job, job_hash, now, (int64_t)getpid(), host) < 0)
        return -1;
    out->run_id = sqlite3_last_insert_rowid(st->db);
    out->started = now;
    return 0;
}

int sl_state_run_begin(sl_state *st, const char *job, const char *job_hash, bool fresh, sl_run_start *out,
                       sl_err *err)
{
    pthread_mutex_lock(&st->mu);
    int rc = sl_st_begin(st, err);
    if (rc == 0) {
        rc = sl_run_begin_locked(st, job, job_hash ? job_hash : "", fresh, out, err);
        rc = rc < 0 ? sl_st_rollback(st) : sl_st_commit(st, err);
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int sl_state_run_finish(sl_state *st, int64_t run_id, sl_run_status status, const char *error, sl_err *err)
{
    pthread_mutex_lock(&st->mu);
    int rc = sl_st_exec(st, err, "UPDATE runs SET status = ?, ended = ?, error = ? WHERE id = ?", "sdsi",
                     sl_run_status_name(status), sl_st_now(), error, run_id);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

/* ---- tables ---- */

int sl_state_table_register(sl_state *st, int64_t run_id, const char *table, const char *target,
                            double snapshot_time, sl_err *err)
{
    pthread_mutex_lock(&st->mu);
    int rc = sl_st_exec(st, err, "INSERT INTO tables(run_id, name, target, snapshot_time) VALUES (?, ?, ?, ?) "
                              "ON CONFLICT (run_id, name) DO UPDATE SET target = excluded.target, "
                              "snapshot_time = coalesce(tables.snapshot_time, excluded.snapshot_time)",
                     "issD", run_id, table, target, snapshot_time);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int sl_state_table_get(sl_state *st, int64_t run_id, const char *table, sl_table_rec *out, sl_err *err)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&st->mu);
    int found = -1;
    sqlite3_stmt *q = sl_st_query(st, err, "SELECT status, coalesce(published_at, 0), coalesce(snapshot_time, 0), "
                                        "coalesce(rows, 0), coalesce(bytes, 0) FROM tables WHERE run_id = ? AND name = ?",
                               "is", run_id, table);
    if (q) {
        int rc = sl_st_step(st, q, err);
        if (rc == SQLITE_ROW) {
            snprintf(out->status, sizeof out->status, "%s", (const char *)sqlite3_column_text(q, 0));
            out->published_at = sqlite3_column_double(q, 1);
            out->snapshot_time = sqlite3_column_double(q, 2);
            out->rows = sqlite3_column_int64(q, 3);
            out->bytes = sqlite3_column_int64(q, 4);
            found = 1;
        } else if (rc == SQLITE_DONE) {
            found = 0;
        }
        sqlite3_finalize(q);
    }
    pthread_mutex_unlock(&st->mu);
    return found;
}

static int sl_table_update(sl_state *st, sl_err *err, int64_t run_id, const char *table, const char *sql,
                           const char *types, ...)
{
    /* Binds the leading arguments, then run_id and name; checks the row exists. */
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) return sl_st_fail(st, err, "prepare");
    va_list ap;
    va_start(ap, types);
    int rc = sl_st_bind(st, stmt, types, ap);
    va_end(ap);
    int n = (int)strlen(types);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(stmt, n + 1, run_id);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(stmt, n + 2, table, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
        sl_st_fail(st, err, "write");
        sqlite3_finalize(stmt);
        return -1;
    }
    sqlite3_finalize(stmt);
    if (sqlite3_changes(st->db) == 0)
        return sl_err_set(err, SL_EINTERNAL, "state: run %lld has no table %s (register it first)",
                          (long long)run_id, table);
    return 0;
}

int sl_state_table_published(sl_state *st, int64_t run_id, const char *table, int64_t rows, int64_t bytes,
                             sl_err *err)
{
    pthread_mutex_lock(&st->mu);
    int rc = sl_table_update(st, err, run_id, table, "UPDATE tables SET status = 'published', published_at = ?, "
                             "rows = ?, bytes = ?, error = NULL WHERE run_id = ? AND name = ?", "dii", sl_st_now(),
                             rows, bytes);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int sl_state_table_receipt(sl_state *st, int64_t run_id, const char *table, const char *receipt, sl_err *err)
{
    pthread_mutex_lock(&st->mu);
    int rc = sl_table_update(st, err, run_id, table, "UPDATE tables SET receipt = ? WHERE run_id = ? AND name = ?",
                             "s", receipt);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int sl_state_table_failed(sl_state *st, int64_t run_id, const char *table, const char *error, sl_err *err)
{
    pthread_mutex_lock(&st->mu);
    int rc = sl_table_update(st, err, run_id, table, "UPDATE tables SET status = 'failed', error = ? "
                             "WHERE run_id = ? AND name = ?", "s", error);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

static bool sl_str_eq_null(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return !strcmp(a, b);
}

/* ---- columns ---- */

static void sl_columns_escape(sl_buf *b, const char *name)
{
    for (const char *p = name; *p; p++) {
        if (*p == '\\') sl_buf_append(b, "\\\\", 2);
        else if (*p == '\t') sl_buf_append(b, "\\t", 2);
        else if (*p == '\n') sl_buf_append(b, "\\n", 2);
        else sl_buf_push(b, (uint8_t)*p);
    }
}

char *sl_state_columns_text(const sl_schema *schema)
{
    sl_buf b = { 0 };
    for (int c = 0; c < schema->ncols; c++) {
        char type[64];
        sl_columns_escape(&b, schema->fields[c].name);
        sl_buf_push(&b, '\t');
        sl_type_format(schema->fields[c].type, type, sizeof type);
        sl_buf_append(&b, type, strlen(type));
        const char *null = schema->fields[c].nullable ? "\tnull\n" : "\tnot null\n";
        sl_buf_append(&b, null, strlen(null));
    }
    sl_buf_push(&b, 0);
    return (char *)b.data;
}

typedef struct sl_column_desc {
    const char *name, *type, *null;
} sl_column_desc;

/* Splits a columns text (in place) into its columns; sl_free *out. */
static int sl_columns_parse(char *text, sl_column_desc **out)
{
    int n = 0, cap = 0;
    *out = NULL;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (t1 && t2) {
            *t1 = *t2 = '\0';
            if (n == cap) *out = sl_realloc(*out, (size_t)(cap = cap ? cap * 2 : 16) * sizeof **out);
            (*out)[n++] = (sl_column_desc){ line, t1 + 1, t2 + 1 };
        }
        line = nl ? nl + 1 : NULL;
    }
    return n;
}

static const sl_column_desc *sl_column_find(const sl_column_desc *cols, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(cols[i].name, name)) return &cols[i];
    return NULL;
}

void sl_state_columns_diff(const char *before, const char *after, char *out, size_t size)
{
    char *a = sl_strdup(before ? before : ""), *b = sl_strdup(after ? after : "");
    sl_column_desc *x, *y;
    int nx = sl_columns_parse(a, &x), ny = sl_columns_parse(b, &y);
    size_t used = 0;
    out[0] = '\0';
#define SL_DIFF_ADD(...)                                                                              \
    do {                                                                                              \
        if (used < size) used += (size_t)snprintf(out + used, size - used, "%s", used ? "; " : "");    \
        if (used < size) used += (size_t)snprintf(out + used, size - used, __VA_ARGS__);               \
    } while (0)
    for (int i = 0; i < nx; i++) {
        const sl_column_desc *c = sl_column_find(y, ny, x[i].name);
        if (!c) {
            SL_DIFF_ADD("%s: dropped", x[i].name);
            continue;
        }
        if (strcmp(c->type, x[i].type)) SL_DIFF_ADD("%s: %s -> %s", x[i].name, x[i].type, c->type);
        if (strcmp(c->null, x[i].null))
            SL_DIFF_ADD("%s: %s -> %s", x[i].name, !strcmp(x[i].null, "null") ? "nullable" : x[i].null,
                        !strcmp(c->null, "null") ? "nullable" : c->null);
    }
    for (int i = 0; i < ny; i++)
        if (!sl_column_find(x, nx, y[i].name)) SL_DIFF_ADD("%s: added (%s)", y[i].name, y[i].type);
    if (!used) SL_DIFF_ADD("the column order");
#undef SL_DIFF_ADD
    if (used >= size && size > 4) memcpy(out + size - 4, "...", 4);
    sl_free(x);
    sl_free(y);
    sl_free(a);
    sl_free(b);
}

/* ---- tasks ---- */

/* Do the recorded columns of the table differ from `columns`? Says why in the log. */
static int sl_columns_changed(sl_state *st, int64_t run_id, const char *table, const char *columns, bool *changed,
                              sl_err *err)
{
    *changed = false;
    if (!columns) return 0;
    sqlite3_stmt *q = sl_st_query(st, err, "SELECT columns FROM tables WHERE run_id = ? AND name = ?", "is", run_id,
                               table);
    if (!q) return -1;
    int rc = sl_st_step(st, q, err);
    if (rc < 0) {
        sqlite3_finalize(q);
        return -1;
    }
    const char *had = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(q, 0) : NULL;
    if (!had) {
        *changed = true;
        sl_log(SL_LOG_INFO, "table %s: the columns its finished tasks wrote were not recorded (run %lld began "
               "with an older sluice): they are redone, so the table has one schema", table, (long long)run_id);
    } else if (strcmp(had, columns)) {
        char diff[1024];
        sl_state_columns_diff(had, columns, diff, sizeof diff);
        *changed = true;
        sl_log(SL_LOG_INFO, "table %s: the source's schema changed since run %lld began (%s): its finished tasks "
               "are redone with the new schema, so the table has one schema", table, (long long)run_id, diff);
    }
    sqlite3_finalize(q);
    return 0;
}

static int sl_tasks_register_locked(sl_state *st, int64_t run_id, const char *table, const char *columns,
                                    const sl_task_spec *tasks, int n, int64_t *task_ids, bool *replanned,
                                    sl_err *err)
{
    sqlite3_stmt *q = sl_st_query(st, err, "SELECT idx, predicate FROM tasks WHERE run_id = ? AND table_name = ? "
                                        "ORDER BY idx", "is", run_id, table);
    if (!q) return -1;
    int have = 0;
    bool same = true;
    int rc;
    while ((rc = sl_st_step(st, q, err)) == SQLITE_ROW) {
        int idx = sqlite3_column_int(q, 0);
        const char *pred = (const char *)sqlite3_column_text(q, 1);
        const sl_task_spec *spec = NULL;
        for (int i = 0; i < n && !spec; i++)
            if (tasks[i].index == idx) spec = &tasks[i];
        if (!spec || !sl_str_eq_null(spec->predicate, pred)) same = false;
        have++;
    }
    sqlite3_finalize(q);
    if (rc < 0) return -1;
    bool columns_changed = false;
    if (have && same && have == n && sl_columns_changed(st, run_id, table, columns, &columns_changed, err) < 0)
        return -1;
    if (have && (!same || have != n || columns_changed)) {
        if (sl_st_exec(st, err, "DELETE FROM files WHERE run_id = ? AND table_name = ?", "is", run_id, table) < 0 ||
            sl_st_exec(st, err, "DELETE FROM tasks WHERE run_id = ? AND table_name = ?", "is", run_id, table) < 0)
            return -1;
        if (replanned) *replanned = true;
        if (!columns_changed)
            sl_log(SL_LOG_INFO, "table %s: the partitions differ from those recorded for run %lld; its finished "
                   "tasks are redone", table, (long long)run_id);
        have = 0;
    }
    if (columns && sl_st_exec(st, err, "UPDATE tables SET columns = ? WHERE run_id = ? AND name = ?", "sis", columns,
                           run_id, table) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (have) {
            if (sl_st_exec(st, err, "UPDATE tasks SET est_rows = ? WHERE run_id = ? AND table_name = ? AND idx = ?",
                        "iisi", tasks[i].est_rows, run_id, table, (int64_t)tasks[i].index) < 0)
                return -1;
        } else if (sl_st_exec(st, err, "INSERT INTO tasks(run_id, table_name, idx, predicate, est_rows) "
                                    "VALUES (?, ?, ?, ?, ?)", "isisi", run_id, table, (int64_t)tasks[i].index,
                           tasks[i].predicate, tasks[i].est_rows) < 0) {
            return -1;
        }
        if (task_ids) {
            q = sl_st_query(st, err, "SELECT id FROM tasks WHERE run_id = ? AND table_name = ? AND idx = ?", "isi",
                         run_id, table, (int64_t)tasks[i].index);
            if (!q) return -1;
            if (sl_st_step(st, q, err) != SQLITE_ROW) {
                sqlite3_finalize(q);
                return -1;
            }
            task_ids[i] = sqlite3_column_int64(q, 0);
            sqlite3_finalize(q);
        }
    }
    return 0;
}

int sl_state_tasks_register(sl_state *st, int64_t run_id, const char *table, const char *columns,
                            const sl_task_spec *tasks, int n, int64_t *task_ids, bool *replanned, sl_err *err)
{
    if (replanned) *replanned = false;
    pthread_mutex_lock(&st->mu);
    int rc = sl_st_begin(st, err);
    if (rc == 0) {
        rc = sl_tasks_register_locked(st, run_id, table, columns, tasks, n, task_ids, replanned, err);
        if (rc < 0 && sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
            sl_err_set(err, SL_EINTERNAL, "state: run %lld has no table %s (register it before its tasks)",
                       (long long)run_id, table);
        rc = rc < 0 ? sl_st_rollback(st) : sl_st_commit(st, err);
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

static void sl_task_drop(void *recs, int n) { sl_state_tasks_free((sl_task_rec *)recs, n); }

static void sl_task_fill(void *rec, sqlite3_stmt *q)
{
    sl_task_rec *t = rec;
    t->id = sqlite3_column_int64(q, 0);
    t->index = sqlite3_column_int(q, 1);
    t->predicate = sl_st_col_str(q, 2);
    t->est_rows = sqlite3_column_int64(q, 3);
    t->status = sl_task_status_parse((const char *)sqlite3_column_text(q, 4));
    t->rows = sqlite3_column_int64(q, 5);
    t->bytes = sqlite3_column_int64(q, 6);
    t->seconds = sqlite3_column_double(q, 7);
    t->worker = sqlite3_column_int(q, 8);
    t->file_name = sl_st_col_str(q, 9);
    t->file_size = sqlite3_column_int64(q, 10);
    t->crc32 = (uint32_t)sqlite3_column_int64(q, 11);
    t->attempts = sqlite3_column_int(q, 12);
    t->error = sl_st_col_str(q, 13);
    const void *blob = sqlite3_column_blob(q, 14);
    int len = sqlite3_column_bytes(q, 14);
    t->receipt = NULL;
    t->receipt_len = 0;
    if (blob && len > 0) {
        t->receipt = sl_malloc((size_t)len);
        memcpy(t->receipt, blob, (size_t)len);
        t->receipt_len = (size_t)len;
    }
    t->source = sl_st_col_str(q, 15);
}

int sl_state_tasks_list(sl_state *st, int64_t run_id, const char *table, sl_task_rec **out, int *n, sl_err *err)
{
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *q = sl_st_query(st, err, "SELECT id, idx, predicate, coalesce(est_rows, -1), status, "
                                        "coalesce(rows, 0), coalesce(bytes, 0), coalesce(seconds, 0), "
                                        "coalesce(worker, -1), file_name, coalesce(file_size, 0), "
                                        "coalesce(crc32, 0), attempts, error, receipt, source "
                                        "FROM tasks WHERE run_id = ? AND table_name = ? ORDER BY idx",
                               "is", run_id, table);
    void *recs;
    int rc = sl_st_collect(st, q, sizeof **out, sl_task_fill, sl_task_drop, &recs, n, err);
    *out = recs;
    return rc;
}

void sl_state_tasks_free(sl_task_rec *tasks, int n)
{
    for (int i = 0; i < n; i++) {
        sl_free(tasks[i].predicate);
        sl_free(tasks[i].file_name);
        sl_free(tasks[i].error);
        sl_free(tasks[i].receipt);
        sl_free(tasks[i].source);
    }
    sl_free(tasks);
}

int sl_state_task_reset(sl_state *st, int64_t task_id, sl_err *err)
{
    pthread_mutex_lock(&st->mu);
    int rc = sl_st_begin(st, err);
    if (rc == 0) {
        rc = sl_st_exec(st, err, "UPDATE tasks SET status = 'pending', rows = NULL, bytes = NULL, seconds = NULL, "
                              "file_name = NULL, file_size = NULL, crc32 = NULL, receipt = NULL, source = NULL "
                              "WHERE id = ?", "i", task_id);
        if (rc == 0) rc = sl_st_exec(st, err, "DELETE FROM files WHERE task_id = ?", "i", task_id);
        rc = rc < 0 ? sl_st_rollback(st) : sl_st_commit(st, err);
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

/* ---- attempts ---- */

static int sl_attempt_begin_locked(sl_state *st, int64_t task_id, int worker, int *attempt, sl_err *err)
{
    if (sl_st_exec(st, err, "UPDATE tasks SET status = 'running', attempts = attempts + 1, worker = ? WHERE id = ?",
                "ii", (int64_t)worker, task_id) < 0)
        return -1;
    if (sqlite3_changes(st->db) == 0) return sl_err_set(err, SL_EINTERNAL, "state: no task with id %lld",
                                                        (long long)task_id);
    sqlite3_stmt *q = sl_st_query(st, err, "SELECT attempts FROM tasks WHERE id = ?", "i", task_id);
    if (!q) return -1;
    if (sl_st_step(st, q, err) != SQLITE_ROW) {
        sqlite3_finalize(q);
        return -1;
    }
    int number = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    if (sl_st_exec(st, err, "INSERT OR REPLACE INTO attempts(task_id, number, started, worker) VALUES (?, ?, ?, ?)",
                "iidi", task_id, (int64_t)number, sl_st_now(), (int64_t)worker) < 0)
        return -1;
    *attempt = number;
    return 0;
}

int sl_state_attempt_begin(sl_state *st, int64_t task_id, int worker, int *attempt, sl_err *err)
{
    pthread_mutex_lock(&st->mu);
    int rc = sl_st_begin(st, err);
    if (rc == 0) {
        rc = sl_attempt_begin_locked(st, task_id, worker, attempt, err);
        rc = rc < 0 ? sl_st_rollback(st) : sl_st_commit(st, err);
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

static int sl_attempt_end_locked(sl_state *st, int64_t task_id, int attempt, const sl_err *failure,
                                 bool will_retry, const sl_task_result *res, sl_err *err)
{
    bool ok = !failure || failure->code == SL_EOK;
    double now = sl_st_now();
    if (ok) {
        if (!res) return sl_err_set(err, SL_EINTERNAL, "state: a successful attempt needs its result");
        if (sl_st_exec(st, err, "UPDATE attempts SET ended = ?, outcome = 'ok' WHERE task_id = ? AND number = ?",
                    "dii", now, task_id, (int64_t)attempt) < 0 ||
            sl_st_exec(st, err, "UPDATE tasks SET status = 'done', rows = ?, bytes = ?, seconds = ?, file_name = ?, "
                             "file_size = ?, crc32 = ?, error = NULL, receipt = ?, source = ? WHERE id = ?",
                    "iidsiibsi", res->rows, res->bytes, res->seconds, res->file_name, res->file_size,
                    (int64_t)res->crc32, res->receipt, res->receipt_len, res->source, task_id) < 0 ||
            sl_st_exec(st, err, "DELETE FROM files WHERE task_id = ?", "i", task_id) < 0)
            return -1;
        /* Without outputs, the one file of file_name (in the table's first target). */
        sl_task_output one = { "", res->file_name, res->file_size, res->crc32, false, 0 };
        const sl_task_output *outs = res->noutputs ? res->outputs : res->file_name ? &one : NULL;
        int nouts = res->noutputs ? res->noutputs : res->file_name ? 1 : 0;
        for (int k = 0; k < nouts; k++) {
            const sl_task_output *o = &outs[k];
            if (sl_st_exec(st, err, "INSERT OR REPLACE INTO files(run_id, table_name, target, path, task_id, rows, "
                                 "bytes, crc32) SELECT run_id, table_name, ?, ?, id, ?, ?, ? FROM tasks WHERE id = ?",
                        "ssiiii", o->target, o->name, o->has_rows ? o->rows : res->rows, o->size, (int64_t)o->crc32,
                        task_id) < 0)
                return -1;
        }
    } else {
        const char *outcome = will_retry ? "retry" : "failed";
        if (sl_st_exec(st, err, "UPDATE attempts SET ended = ?, outcome = ?, error_code = ?, error_message = ? "
                             "WHERE task_id = ? AND number = ?", "dsssii", now, outcome,
                    sl_code_name(failure->code), failure->msg, task_id, (int64_t)attempt) < 0 ||
            sl_st_exec(st, err, "UPDATE tasks SET status = ?, error = ?, seconds = ? WHERE id = ?", "ssdi",
                    will_retry ? "pending" : "failed", failure->msg, res ? res->seconds : 0.0, task_id) < 0)
            return -1;
    }
    if (sqlite3_changes(st->db) == 0 && !ok)
        return sl_err_set(err, SL_EINTERNAL, "state: no task with id %lld", (long long)task_id);
    return 0;
}

int sl_state_attempt_end(sl_state *st, int64_t task_id, int attempt, const sl_err *failure, bool will_retry,
                         const sl_task_result *res, sl_err *err)
{
    pthread_mutex_lock(&st->mu);
    int rc = sl_st_begin(st, err);
    if (rc == 0) {
        rc = sl_attempt_end_locked(st, task_id, attempt, failure, will_retry, res, err);
        rc = rc < 0 ? sl_st_rollback(st) : sl_st_commit(st, err);
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

/* ---- files ---- */

int sl_state_file_add(sl_state *st, int64_t run_id, const char *table, const char *target, int64_t task_id,
                      const char *path, int64_t rows, int64_t bytes, uint32_t crc32, sl_err *err)
{
    pthread_mutex_lock(&st->mu);
    int rc = sl_st_exec(st, err, "INSERT OR REPLACE INTO files(run_id, table_name, target, path, task_id, rows, bytes, "
                              "crc32) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "isssiiii", run_id, table, target, path,
                     task_id, rows, bytes, (int64_t)crc32);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

static void sl_file_drop(void *recs, int n) { sl_state_files_free((sl_file_rec *)recs, n); }

static void sl_file_fill(void *rec, sqlite3_stmt *q)
{
    sl_file_rec *f = rec;
    f->path = sl_st_col_str(q, 0);
    f->task_id = sqlite3_column_int64(q, 1);
    f->rows = sqlite3_column_int64(q, 2);
    f->bytes = sqlite3_column_int64(q, 3);
    f->crc32 = (uint32_t)sqlite3_column_int64(q, 4);
    f->target = sl_st_col_str(q, 5);
}

int sl_state_files_list(sl_state *st, int64_t run_id, const char *table, const char *target, bool first,
                        sl_file_rec **out, int *n, sl_err *err)
{
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *q = sl_st_query(st, err, "SELECT path, coalesce(task_id, 0), coalesce(rows, 0), coalesce(bytes, 0), "
                                        "coalesce(crc32, 0), target FROM files WHERE run_id = ? AND table_name = ? "
                                        "AND (?3 IS NULL OR target = ?3 OR (?4 AND target = '')) ORDER BY path",
                               "isss", run_id, table, target, first ? "1" : NULL);
    void *recs;
    int rc = sl_st_collect(st, q, sizeof **out, sl_file_fill, sl_file_drop, &recs, n, err);
    *out = recs;
    return rc;
}

void sl_state_files_free(sl_file_rec *files, int n)
{
    for (int i = 0; i < n; i++) {
        sl_free(files[i].path);
        sl_free(files[i].target);
    }
    sl_free(files);
}
