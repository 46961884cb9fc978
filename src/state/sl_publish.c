/*
 * sl_publish.c - staging directories, finishing files, publishing a table by
 * swapping directories, and cleaning up after crashes (see sl_publish.h).
 */
#define _GNU_SOURCE
#include "sl_publish.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_failpoint.h"
#include "../core/sl_log.h"
#include "sl_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

#ifndef SL_VERSION
#define SL_VERSION "unknown"
#endif

static bool sl_pub_forced_fallback;

void sl_publish_force_fallback(bool on) { sl_pub_forced_fallback = on; }

static bool sl_pub_fallback(void)
{
    if (sl_pub_forced_fallback) return true;
    const char *env = getenv("SLUICE_NO_RENAME_EXCHANGE");
    return env && *env && strcmp(env, "0");
}

static int sl_renameat2(const char *from, const char *to, unsigned flags)
{
#ifdef SYS_renameat2
    return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags);
#else
    (void)from; (void)to; (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}

static bool sl_rename_unsupported(int e)
{
    return e == EINVAL || e == ENOSYS || e == EOPNOTSUPP || e == ENOTSUP;
}

static char *sl_safe_name(const char *s)
{
    char *name = sl_strdup(s && *s ? s : "job");
    for (char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            *p = '_';
    if (name[0] == '.') name[0] = '_';
    return name;
}

/* ---- staging ---- */

int sl_staging_open(sl_staging *sg, const char *target_dir, const char *job, int64_t run_id, const char *table,
                  sl_err *err)
{
    memset(sg, 0, sizeof *sg);
    if (!table || !*table || strchr(table, '/') || table[0] == '.')
        return sl_err_set(err, SL_EJOB, "table name '%s' cannot be a directory name in target %s (no '/', "
                          "must not start with '.')", table ? table : "", target_dir);
    sg->target_dir = sl_strdup(target_dir);
    sg->job = sl_safe_name(job);
    sg->table = sl_strdup(table);
    sg->run_id = run_id;
    sg->run_dir = sl_sprintf("%s/%s/%s/run-%lld", target_dir, SL_STAGING_DIR, sg->job, (long long)run_id);
    sg->dir = sl_sprintf("%s/%s", sg->run_dir, table);
    sg->live = sl_fs_join(target_dir, table);
    if (sl_fs_mkdirs(sg->dir, err) < 0) {
        sl_err_prefix(err, "table %s: staging", table);
        sl_staging_close(sg);
        return -1;
    }
    return 0;
}

void sl_staging_close(sl_staging *sg)
{
    sl_free(sg->target_dir);
    sl_free(sg->job);
    sl_free(sg->table);
    sl_free(sg->run_dir);
    sl_free(sg->dir);
    sl_free(sg->live);
    memset(sg, 0, sizeof *sg);
}

char *sl_staging_tmp_path(const sl_staging *sg, const char *name)
{
    return sl_sprintf("%s/.%s.tmp", sg->dir, name);
}

char *sl_staging_file_path(const sl_staging *sg, const char *name)
{
    return sl_sprintf("%s/%s", sg->dir, name);
}

int sl_staging_file_finish(const sl_staging *sg, const char *name, sl_err *err)
{
    char *tmp = sl_staging_tmp_path(sg, name);
    char *final = sl_staging_file_path(sg, name);
    int rc = -1;
    if (sl_fs_fsync_file(tmp, err) < 0) goto out;
    if (sl_failpoint(SL_FP_TASK_FILE_SYNCED, err) < 0) goto out;
    if (rename(tmp, final) < 0) {
        sl_fs_errno(err, errno, "cannot rename finished file to", final);
        goto out;
    }
    if (sl_fs_fsync_dir(sg->dir, err) < 0) goto out;
    if (sl_failpoint(SL_FP_TASK_COMMIT, err) < 0) goto out;
    rc = 0;
out:
    if (rc < 0) sl_err_prefix(err, "table %s: file %s", sg->table, name);
    sl_free(tmp);
    sl_free(final);
    return rc;
}

void sl_staging_file_discard(const sl_staging *sg, const char *name)
{
    char *tmp = sl_staging_tmp_path(sg, name);
    unlink(tmp);
    sl_free(tmp);
}

int sl_staging_file_remove(const sl_staging *sg, const char *name, sl_err *err)
{
    char *path = sl_staging_file_path(sg, name);
    int rc = unlink(path) < 0 && errno != ENOENT ? sl_fs_errno(err, errno, "cannot remove", path) : 0;
    sl_free(path);
    return rc;
}

static int sl_staged_cmp(const void *a, const void *b)
{
    return strcmp(((const sl_staged_file *)a)->name, ((const sl_staged_file *)b)->name);
}

int sl_staging_list(const sl_staging *sg, sl_staged_file **out, int *n, sl_err *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(sg->dir);
    if (!d) return errno == ENOENT ? 0 : sl_fs_errno(err, errno, "cannot read directory", sg->dir);
    int cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || !strcmp(de->d_name, SL_MANIFEST_NAME)) continue;
        struct stat sb;
        if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(sb.st_mode)) continue;
        if (*n == cap) *out = sl_realloc(*out, (size_t)(cap = cap ? cap * 2 : 16) * sizeof **out);
        (*out)[*n].name = sl_strdup(de->d_name);
        (*out)[*n].size = (int64_t)sb.st_size;
        (*n)++;
    }
    closedir(d);
    if (*n > 1) qsort(*out, (size_t)*n, sizeof **out, sl_staged_cmp);
    return 0;
}

void sl_staging_list_free(sl_staged_file *files, int n)
{
    for (int i = 0; i < n; i++) sl_free(files[i].name);
    sl_free(files);
}

int sl_staging_remove_temporaries(const sl_staging *sg, int *removed, sl_err *err)
{
    if (removed) *removed = 0;
    DIR *d = opendir(sg->dir);
    if (!d) return errno == ENOENT ? 0 : sl_fs_errno(err, errno, "cannot read directory", sg->dir);
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] != '.' || len < 5 || strcmp(de->d_name + len - 4, ".tmp")) continue;
        if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
            char *p = sl_fs_join(sg->dir, de->d_name);
            rc = sl_fs_errno(err, errno, "cannot remove", p);
            sl_free(p);
            break;
        }
        if (removed) (*removed)++;
    }
    closedir(d);
    return rc;
}

int sl_staging_check_file(const sl_staging *sg, const char *name, int64_t size, uint32_t crc32, bool check_crc,
                        sl_err *err)
{
    char *path = sl_staging_file_path(sg, name);
    struct stat sb;
    int rc;
    if (lstat(path, &sb) < 0) {
        rc = errno == ENOENT ? 0 : sl_fs_errno(err, errno, "cannot stat", path);
    } else if (!S_ISREG(sb.st_mode) || (int64_t)sb.st_size != size) {
        rc = 0;
    } else if (check_crc) {
        uint32_t crc = 0;
        rc = sl_fs_file_crc32(path, &crc, NULL, err) < 0 ? -1 : crc == crc32;
    } else {
        rc = 1;
    }
    sl_free(path);
    return rc;
}

/* ---- manifest ---- */

static void sl_json_str(sl_buf *b, const char *s) { sl_buf_json_str(b, s, strlen(s)); }

static void sl_iso_time(double t, char *buf, size_t size)
{
    time_t secs = (time_t)t;
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    int ms = (int)((t - (double)secs) * 1000);
    if (ms < 0) ms = 0;
    if (ms > 999) ms = 999;
    snprintf(buf, size, "%s.%03dZ", base, ms);
}

static void sl_manifest_build(const sl_staging *sg, const sl_manifest *m, sl_buf *b, int64_t *rows, int64_t *bytes)
{
    *rows = *bytes = 0;
    for (int i = 0; i < m->nfiles; i++) {
        *rows += m->files[i].rows;
        if (m->files[i].bytes > 0) *bytes += m->files[i].bytes;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char now[40], snap[40];
    sl_iso_time((double)ts.tv_sec + (double)ts.tv_nsec / 1e9, now, sizeof now);
    sl_buf_printf(b, "{\n  \"format\": \"sluice-manifest\",\n  \"manifest_version\": 1,\n  \"job\": ");
    sl_json_str(b, sg->job);
    sl_buf_printf(b, ",\n  \"run_id\": %lld,\n  \"run_started\": %.6f,\n  \"table\": ", (long long)sg->run_id,
                  sg->run_started);
    sl_json_str(b, sg->table);
    sl_buf_printf(b, ",\n  \"sluice_version\": ");
    sl_json_str(b, SL_VERSION);
    sl_buf_printf(b, ",\n  \"published_at\": \"%s\",\n  \"source_snapshot_time\": ", now);
    if (m->snapshot_time > 0) {
        sl_iso_time(m->snapshot_time, snap, sizeof snap);
        sl_buf_printf(b, "\"%s\"", snap);
    } else {
        sl_buf_printf(b, "null");
    }
    sl_buf_printf(b, ",\n  \"rows\": %lld,\n  \"bytes\": %lld", (long long)*rows, (long long)*bytes);
    if (m->source) sl_buf_printf(b, ",\n  \"source\": %s", m->source);
    if (m->receipt) sl_buf_printf(b, ",\n  \"receipt\": %s", m->receipt);
    sl_buf_printf(b, ",\n  \"files\": [");
    for (int i = 0; i < m->nfiles; i++) {
        sl_buf_printf(b, "%s\n    {\"name\": ", i ? "," : "");
        sl_json_str(b, m->files[i].name);
        sl_buf_printf(b, ", \"rows\": %lld, \"bytes\": %lld, \"crc32\": %lu", (long long)m->files[i].rows,
                      (long long)m->files[i].bytes, (unsigned long)m->files[i].crc32);
        if (m->files[i].receipt) sl_buf_printf(b, ", %s", m->files[i].receipt);
        sl_buf_push(b, '}');
    }
    sl_buf_printf(b, "%s]\n}\n", m->nfiles ? "\n  " : "");
}

void sl_publish_manifest_text(const sl_staging *sg, const sl_manifest *m, sl_buf *b, int64_t *rows, int64_t *bytes)
{
    sl_manifest_build(sg, m, b, rows, bytes);
}

/* Finds "key": at the top of our own manifest; returns a pointer after the colon. */
static const char *sl_manifest_field(const char *text, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(text, pat);
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ') p++;
    return p;
}

int sl_publish_live_run(const char *target_dir, const char *table, char *job, size_t job_size, int64_t *run_id,
                        sl_err *err)
{
    char *path = sl_sprintf("%s/%s/%s", target_dir, table, SL_MANIFEST_NAME);
    if (job_size) job[0] = '\0';
    *run_id = 0;
    if (!sl_fs_exists(path)) {
        sl_free(path);
        return 0;
    }
    char *text = sl_fs_read_all(path, NULL, err);
    sl_free(path);
    if (!text) return -1;
    int found = 0;
    const char *f = sl_manifest_field(text, "format");
    const char *j = sl_manifest_field(text, "job");
    const char *r = sl_manifest_field(text, "run_id");
    if (f && !strncmp(f, "\"sluice-manifest\"", 17) && j && r && *j == '"') {
        j++;
        size_t len = strcspn(j, "\"");
        if (job_size) snprintf(job, job_size, "%.*s", (int)len, j);
        *run_id = strtoll(r, NULL, 10);
        found = 1;
    }
    sl_free(text);
    return found;
}

int sl_publish_live_rows(const char *target_dir, const char *table, int64_t *rows, sl_err *err)
{
    char *path = sl_sprintf("%s/%s/%s", target_dir, table, SL_MANIFEST_NAME);
    *rows = 0;
    if (!sl_fs_exists(path)) {
        sl_free(path);
        return 0;
    }
    char *text = sl_fs_read_all(path, NULL, err);
    sl_free(path);
    if (!text) return -1;
    const char *r = sl_manifest_field(text, "rows");   /* the first: the table's total */
    int found = r ? 1 : 0;
    if (r) *rows = strtoll(r, NULL, 10);
    sl_free(text);
    return found;
}

/* The live manifest's run_started, 0 when absent. */
static double sl_publish_live_started(const sl_staging *sg)
{
    char *path = sl_sprintf("%s/%s", sg->live, SL_MANIFEST_NAME);
    sl_err err = SL_ERR_INIT;
    char *text = sl_fs_read_all(path, NULL, &err);
    sl_free(path);
    if (!text) return 0;
    const char *v = sl_manifest_field(text, "run_started");
    double started = v ? strtod(v, NULL) : 0;
    sl_free(text);
    return started;
}

int sl_publish_already(const sl_staging *sg, sl_err *err)
{
    char job[256];
    int64_t run = 0;
    int rc = sl_publish_live_run(sg->target_dir, sg->table, job, sizeof job, &run, err);
    if (rc <= 0) return rc;
    if (run != sg->run_id || strcmp(job, sg->job)) return 0;
    if (sg->run_started > 0) {
        /* Written with %.6f: equal to the microsecond when it is the same run. */
        double live = sl_publish_live_started(sg);
        if (live > 0 && (live - sg->run_started > 1e-5 || sg->run_started - live > 1e-5)) return 0;
    }
    return 1;
}

/* "part-00012.parquet": a file name sluice gives a task's file, as a sluice
 * from before manifests left them in a table directory. */
static bool sl_part_file_name(const char *name)
{
    if (strncmp(name, "part-", 5)) return false;
    const char *p = name + 5;
    if (*p < '0' || *p > '9') return false;
    while (*p >= '0' && *p <= '9') p++;
    if (*p++ != '.' || !*p) return false;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.')) return false;
    return true;
}

/* What the directory `live` holds, when it has no manifest: 0 nothing,
 * 1 only part files of an older sluice, 2 something else (*example: one of
 * its names), -1 error. */
static int sl_live_contents(const char *live, char *example, size_t size, sl_err *err)
{
    DIR *d = opendir(live);
    if (!d) return sl_fs_errno(err, errno, "cannot read directory", live);
    int what = 0;
    struct dirent *de;
    while ((de = readdir(d)) && what < 2) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        struct stat sb;
        bool part = sl_part_file_name(de->d_name) && fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
                    S_ISREG(sb.st_mode);
        what = part ? 1 : 2;
        if (!part) snprintf(example, size, "%s", de->d_name);
    }
    closedir(d);
    return what;
}

/* sl_publish_check_live; `note`: say so when an older sluice's table is replaced. */
static int sl_check_live(const char *target_dir, const char *job, const char *table, bool note, sl_err *err)
{
    char *live = sl_fs_join(target_dir, table);
    char *safe = sl_safe_name(job);
    char other[256], example[256] = "";
    int64_t run = 0;
    int rc = 0;
    struct stat sb;
    if (lstat(live, &sb) < 0) {
        if (errno != ENOENT) rc = sl_fs_errno(err, errno, "cannot stat", live);
    } else if (S_ISLNK(sb.st_mode)) {
        rc = sl_err_set(err, SL_EIO, "%s is a symbolic link; sluice publishes table %s as a directory of its own "
                        "and does not replace links: remove the link (or move it away), or point the target's "
                        "path elsewhere", live, table);
    } else if (!S_ISDIR(sb.st_mode)) {
        rc = sl_err_set(err, SL_EIO, "%s exists and is not a directory; move it away, or point the target's path "
                        "elsewhere, so table %s can be published there", live, table);
    } else if ((rc = sl_publish_live_run(target_dir, table, other, sizeof other, &run, err)) == 1) {
        rc = 0;
        if (strcmp(other, safe))
            rc = sl_err_set(err, SL_EIO, "%s is table %s of job %s (run %lld, says its %s), not of job %s: two "
                            "jobs must not replace each other's tables; give one of them another target path, or "
                            "this table another name", live, table, other, (long long)run, SL_MANIFEST_NAME, safe);
    } else if (rc == 0) {
        int what = sl_live_contents(live, example, sizeof example, err);
        if (what < 0) rc = -1;
        else if (what == 1 && note)
            sl_log(SL_LOG_INFO, "table %s: %s has no %s but only part files, as a sluice from before manifests "
                   "published it: it is replaced", table, live, SL_MANIFEST_NAME);
        else if (what == 2)
            rc = sl_err_set(err, SL_EIO, "%s holds files that sluice did not publish for job %s (no %s of sluice "
                            "in it; one of them: %s): sluice replaces only its own tables: move that directory away, "
                            "or point the target's path elsewhere", live, safe, SL_MANIFEST_NAME, example);
        /* An empty directory is taken over: nothing in it can be lost. */
    }
    sl_free(safe);
    sl_free(live);
    return rc;
}

int sl_publish_check_live(const char *target_dir, const char *job, const char *table, sl_err *err)
{
    return sl_check_live(target_dir, job, table, true, err);
}

/* ---- publish ---- */

static bool sl_listed(const sl_manifest *m, const char *entry)
{
    size_t len = strlen(entry);
    for (int i = 0; i < m->nfiles; i++) {
        const char *name = m->files[i].name;
        if (!strcmp(name, entry)) return true;
        if (!strncmp(name, entry, len) && name[len] == '/') return true;   /* a directory of listed files */
    }
    return false;
}

/* Checks that every listed file is staged and removes what is not listed. */
static int sl_publish_prepare(const sl_staging *sg, const sl_manifest *m, sl_err *err)
{
    for (int i = 0; i < m->nfiles; i++) {
        const char *name = m->files[i].name;
        if (!*name || name[0] == '/' || strstr(name, "..") || !strcmp(name, SL_MANIFEST_NAME))
            return sl_err_set(err, SL_EINTERNAL, "file name '%s' cannot be published", name);
        char *path = sl_staging_file_path(sg, name);
        struct stat sb;
        int rc = 0;
        if (lstat(path, &sb) < 0)
            rc = sl_err_set(err, SL_EIO, "staged file %s is missing (%s); its task must be redone: run again "
                            "to resume", path, strerror(errno));
        else if (m->files[i].bytes >= 0 && (int64_t)sb.st_size != m->files[i].bytes)
            rc = sl_err_set(err, SL_EIO, "staged file %s has %lld bytes, %lld were recorded; its task must be "
                            "redone: run again to resume", path, (long long)sb.st_size,
                            (long long)m->files[i].bytes);
        sl_free(path);
        if (rc < 0) return -1;
    }
    DIR *d = opendir(sg->dir);
    if (!d) return sl_fs_errno(err, errno, "cannot read staging directory", sg->dir);
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || sl_listed(m, de->d_name)) continue;
        char *p = sl_fs_join(sg->dir, de->d_name);
        if (de->d_name[0] != '.' && strcmp(de->d_name, SL_MANIFEST_NAME))
            sl_log(SL_LOG_INFO, "table %s: removing %s from staging: no finished task recorded it", sg->table, p);
        rc = sl_fs_rmtree(p, err);
        sl_free(p);
        if (rc < 0) break;
    }
    closedir(d);
    return rc;
}

static int sl_publish_swap(const sl_staging *sg, bool *atomic, bool *replaced, sl_err *err)
{
    if (sl_check_live(sg->target_dir, sg->job, sg->table, false, err) < 0) return -1;
    struct stat sb;
    bool live = lstat(sg->live, &sb) == 0;
    if (!live && errno != ENOENT) return sl_fs_errno(err, errno, "cannot stat", sg->live);
    *replaced = live;
    *atomic = true;
    bool fallback = sl_pub_fallback();
    if (!live) {
        if (!fallback && sl_renameat2(sg->dir, sg->live, RENAME_NOREPLACE) == 0) return 0;
        if (!fallback && errno == EEXIST) return sl_publish_swap(sg, atomic, replaced, err);   /* raced */
        if (!fallback && !sl_rename_unsupported(errno)) return sl_fs_errno(err, errno, "cannot publish", sg->live);
        if (rename(sg->dir, sg->live) < 0) return sl_fs_errno(err, errno, "cannot publish", sg->live);
        return 0;
    }
    if (!fallback) {
        if (sl_renameat2(sg->dir, sg->live, RENAME_EXCHANGE) == 0) return 0;
        if (!sl_rename_unsupported(errno)) return sl_fs_errno(err, errno, "cannot swap in", sg->live);
    }
    static int warned;
    if (!__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
        sl_log(SL_LOG_WARN, "target %s: the file system cannot swap directories atomically "
               "(renameat2 RENAME_EXCHANGE); tables are published by two renames, so a reader may briefly "
               "find a table missing", sg->target_dir);
    *atomic = false;
    char *old = sl_sprintf("%s.old", sg->dir);
    int rc = sl_fs_rmtree(old, err);
    if (rc == 0 && rename(sg->live, old) < 0) rc = sl_fs_errno(err, errno, "cannot move aside", sg->live);
    if (rc == 0 && rename(sg->dir, sg->live) < 0) {
        rc = sl_fs_errno(err, errno, "cannot publish", sg->live);
        if (rename(old, sg->live) < 0) { /* the next run's publish finds no live table and retries */ }
    }
    sl_free(old);
    return rc;
}

int sl_publish_table(const sl_staging *sg, const sl_manifest *m, sl_publish_result *res, sl_err *err)
{
    sl_publish_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    for (int i = 0; i < m->nfiles; i++) {
        res->rows += m->files[i].rows;
        if (m->files[i].bytes > 0) res->bytes += m->files[i].bytes;
    }
    char *old = sl_sprintf("%s.old", sg->dir);
    int rc = sl_publish_already(sg, err);
    if (rc < 0) goto fail;
    if (rc == 1) {
        /* Published before a crash: only the old version may be left to remove. */
        res->already = true;
        res->atomic = true;
        if (sl_fs_rmtree(sg->dir, err) < 0 || sl_fs_rmtree(old, err) < 0) goto fail;
        sl_free(old);
        return 0;
    }
    if (!sl_fs_is_dir(sg->dir)) {
        sl_err_set(err, SL_EIO, "staging directory %s is missing; the table's tasks must be redone", sg->dir);
        goto fail;
    }
    if (sl_publish_prepare(sg, m, err) < 0) goto fail;
    if (sl_failpoint(SL_FP_PUBLISH_BEFORE_MANIFEST, err) < 0) goto fail;

    sl_buf b = { 0 };
    int64_t rows, bytes;
    sl_manifest_build(sg, m, &b, &rows, &bytes);
    char *mpath = sl_fs_join(sg->dir, SL_MANIFEST_NAME);
    rc = sl_fs_write_atomic(mpath, b.data, b.len, err);
    sl_free(mpath);
    sl_buf_free(&b);
    if (rc < 0) goto fail;
    if (sl_failpoint(SL_FP_PUBLISH_BEFORE_EXCHANGE, err) < 0) goto fail;

    if (sl_publish_swap(sg, &res->atomic, &res->replaced, err) < 0) goto fail;
    if (sl_failpoint(SL_FP_PUBLISH_AFTER_EXCHANGE, err) < 0) goto fail;
    if (sl_fs_fsync_dir(sg->target_dir, err) < 0 || sl_fs_fsync_dir(sg->run_dir, err) < 0) goto fail;
    if (sl_failpoint(SL_FP_PUBLISH_BEFORE_CLEANUP, err) < 0) goto fail;

    /* The old version now sits at the staged path (or at .old after the fallback). */
    if (sl_fs_rmtree(sg->dir, err) < 0 || sl_fs_rmtree(old, err) < 0) goto fail;
    sl_free(old);
    return 0;
fail:
    sl_err_prefix(err, "table %s: publish", sg->table);
    sl_free(old);
    return -1;
}

/* ---- recovery ---- */

static void sl_rmdir_if_empty(const char *path)
{
    if (rmdir(path) < 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT)
        sl_log(SL_LOG_DEBUG, "cannot remove %s: %s", path, strerror(errno));
}

/* The staging paths of a job: TARGET/.sluice-staging, the job's directory in
 * it and, with has_run, run run_id's directory (else NULL). */
typedef struct sl_stage_paths {
    char *staging, *jobdir, *rundir;
} sl_stage_paths;

static void sl_stage_paths_init(sl_stage_paths *sp, const char *target_dir, const char *job, bool has_run,
                                int64_t run_id)
{
    char *safe = sl_safe_name(job);
    sp->staging = sl_fs_join(target_dir, SL_STAGING_DIR);
    sp->jobdir = sl_sprintf("%s/%s", sp->staging, safe);
    sp->rundir = has_run ? sl_sprintf("%s/run-%lld", sp->jobdir, (long long)run_id) : NULL;
    sl_free(safe);
}

/* Removes the run's (when `run`), the job's and the staging directory, each
 * only if empty. */
static void sl_stage_paths_prune(const sl_stage_paths *sp, bool run)
{
    if (run) sl_rmdir_if_empty(sp->rundir);
    sl_rmdir_if_empty(sp->jobdir);
    sl_rmdir_if_empty(sp->staging);
}

static void sl_stage_paths_free(sl_stage_paths *sp)
{
    sl_free(sp->staging);
    sl_free(sp->jobdir);
    sl_free(sp->rundir);
}

#define SL_STAGING_LOCK ".lock"

sl_lock *sl_publish_lock_target(const char *target_dir, const char *job, sl_err *err)
{
    sl_stage_paths sp;
    sl_stage_paths_init(&sp, target_dir, job, false, 0);
    sl_lock *lk = NULL;
    if (sl_fs_mkdirs(sp.jobdir, err) == 0) {
        char *path = sl_fs_join(sp.jobdir, SL_STAGING_LOCK);
        lk = sl_lock_acquire_file(path, job, err);
        sl_free(path);
    }
    if (!lk) sl_err_prefix(err, "staging area %s", sp.jobdir);
    sl_stage_paths_free(&sp);
    return lk;
}

void sl_publish_unlock_target(sl_lock *lk, const char *target_dir, const char *job)
{
    if (!lk) return;
    sl_lock_release(lk);
    sl_stage_paths sp;
    sl_stage_paths_init(&sp, target_dir, job, false, 0);
    sl_stage_paths_prune(&sp, false);
    sl_stage_paths_free(&sp);
}

int sl_publish_clean_stale(const char *target_dir, const char *job, int64_t keep_run_id, int *removed,
                           sl_err *err)
{
    if (removed) *removed = 0;
    sl_stage_paths sp;
    sl_stage_paths_init(&sp, target_dir, job, false, 0);
    const char *jobdir = sp.jobdir;
    char keep[64];
    snprintf(keep, sizeof keep, "run-%lld", (long long)keep_run_id);
    int rc = 0;
    DIR *d = opendir(jobdir);
    if (!d) {
        if (errno != ENOENT) rc = sl_fs_errno(err, errno, "cannot read directory", jobdir);
        goto out;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;   /* ., .. and the lock */
        if (keep_run_id > 0 && !strcmp(de->d_name, keep)) continue;
        char *p = sl_fs_join(jobdir, de->d_name);
        sl_log(SL_LOG_INFO, "removing stale staging directory %s (a run that will not be resumed)", p);
        rc = sl_fs_rmtree(p, err);
        sl_free(p);
        if (rc < 0) break;
        if (removed) (*removed)++;
    }
    closedir(d);
    if (rc == 0) {
        sl_stage_paths_prune(&sp, false);
        rc = sl_fs_fsync_dir(target_dir, err);
    }
out:
    sl_stage_paths_free(&sp);
    return rc;
}

int sl_publish_clean_unfinished(const char *target_dir, const char *job, int64_t run_id, int *kept_files,
                                sl_err *err)
{
    if (kept_files) *kept_files = 0;
    sl_stage_paths sp;
    sl_stage_paths_init(&sp, target_dir, job, true, run_id);
    const char *rundir = sp.rundir;
    int rc = 0;
    DIR *d = opendir(rundir);
    if (!d) {
        if (errno != ENOENT) rc = sl_fs_errno(err, errno, "cannot read directory", rundir);
        goto out;
    }
    struct dirent *de;
    while ((de = readdir(d)) && rc == 0) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        sl_staging sg = { .dir = sl_fs_join(rundir, de->d_name), .table = de->d_name };
        if (sl_fs_is_dir(sg.dir)) {
            sl_staged_file *files = NULL;
            int n = 0;
            rc = sl_staging_remove_temporaries(&sg, NULL, err);
            if (rc == 0) rc = sl_staging_list(&sg, &files, &n, err);
            if (rc == 0 && n == 0) rc = sl_fs_rmtree(sg.dir, err);
            if (kept_files) *kept_files += n;
            sl_staging_list_free(files, n);
        }
        sl_free(sg.dir);
    }
    closedir(d);
    if (rc == 0) sl_stage_paths_prune(&sp, true);
out:
    sl_stage_paths_free(&sp);
    return rc;
}

int sl_publish_clean_run(const char *target_dir, const char *job, int64_t run_id, sl_err *err)
{
    sl_stage_paths sp;
    sl_stage_paths_init(&sp, target_dir, job, true, run_id);
    int rc = sl_fs_rmtree(sp.rundir, err);
    if (rc == 0) sl_stage_paths_prune(&sp, false);
    sl_stage_paths_free(&sp);
    return rc;
}
