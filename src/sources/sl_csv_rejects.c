/*
 * sl_csv_rejects.c - the rejects file of a csv table, one piece per task
 * rebuilt into the file when the table finishes (see sl_csv_rejects.h).
 *
 * Uses the generic file helpers of state/sl_fs.h (mkdir -p, dirname) and
 * writes through core's sl_out, so a full disk is a clear error.
 */
#include "sl_csv_rejects.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"
#include "../state/sl_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char sl_csv_rejects_header[] = "file,line,reason,raw\n";

void sl_csv_rejects_init(sl_csv_rejects *rj, const char *path, const char *table)
{
    rj->path = path ? sl_strdup(path) : NULL;
    rj->table = table;
    atomic_init(&rj->ran, false);
    atomic_init(&rj->count, 0);
}

/* "<dir>/.<name>.<what>" beside the rejects file. */
static char *sl_csv_rejects_beside(const sl_csv_rejects *rj, const char *what)
{
    char *dir = sl_fs_dirname(rj->path);
    const char *base = strrchr(rj->path, '/');
    char *p = sl_sprintf("%s/.%s.%s", dir, base ? base + 1 : rj->path, what);
    sl_free(dir);
    return p;
}

static char *sl_csv_rejects_piece_path(const sl_csv_rejects *rj, int task)
{
    char what[32];
    snprintf(what, sizeof what, "task-%d", task + 1);
    return sl_csv_rejects_beside(rj, what);
}

int sl_csv_rejects_piece_open(sl_csv_rejects *rj, int task, sl_csv_rejects_piece *pc, sl_err *err)
{
    memset(pc, 0, sizeof *pc);
    if (!rj->path) return 0;
    atomic_store(&rj->ran, true);
    pc->path = sl_csv_rejects_piece_path(rj, task);
    if (unlink(pc->path) < 0 && errno != ENOENT) {
        sl_fs_errno(err, errno, "cannot remove the earlier rejects of this task,", pc->path);
        sl_free(pc->path);
        pc->path = NULL;
        return -1;
    }
    return 0;
}

static void sl_csv_put_quoted(sl_out *o, const char *p, size_t n)
{
    sl_out_write(o, "\"", 1);
    for (const char *q; n && (q = memchr(p, '"', n)); n -= (size_t)(q - p) + 1, p = q + 1) {
        sl_out_write(o, p, (size_t)(q - p) + 1);
        sl_out_write(o, "\"", 1);   /* the quote doubled */
    }
    sl_out_write(o, p, n);
    sl_out_write(o, "\"", 1);
}

int sl_csv_rejects_piece_add(sl_csv_rejects *rj, sl_csv_rejects_piece *pc, const char *file, int64_t line,
                             const char *reason, const uint8_t *raw, size_t rawlen, sl_err *err)
{
    if (!pc->out) {
        char *dir = sl_fs_dirname(pc->path);
        int rc = sl_fs_mkdirs(dir, err);
        sl_free(dir);
        if (rc < 0 || !(pc->out = sl_out_open_file(pc->path, err))) {
            sl_err_prefix(err, "%s: the rejects file %s", rj->table, rj->path);
            return -1;
        }
    }
    while (rawlen && (raw[rawlen - 1] == '\n' || raw[rawlen - 1] == '\r')) rawlen--;
    char num[32];
    sl_csv_put_quoted(pc->out, file, strlen(file));
    sl_out_write(pc->out, num, (size_t)snprintf(num, sizeof num, ",%lld,", (long long)line));
    sl_csv_put_quoted(pc->out, reason, strlen(reason));
    sl_out_write(pc->out, ",", 1);
    sl_csv_put_quoted(pc->out, (const char *)raw, rawlen);
    sl_out_write(pc->out, "\n", 1);
    atomic_fetch_add(&rj->count, 1);
    return 0;
}

int sl_csv_rejects_piece_close(sl_csv_rejects_piece *pc, sl_err *err)
{
    int rc = pc->out ? sl_out_close(pc->out, true, err) : 0;
    pc->out = NULL;
    sl_free(pc->path);
    pc->path = NULL;
    return rc;
}

void sl_csv_rejects_piece_abort(sl_csv_rejects_piece *pc)
{
    if (pc->out) sl_out_abort(pc->out);
    pc->out = NULL;
    sl_free(pc->path);
    pc->path = NULL;
}

/* The file again: its header, then every task's piece in task order;
 * written beside it and renamed over it. */
static int sl_csv_rejects_rebuild(sl_csv_rejects *rj, int ntasks, sl_err *err)
{
    char *dir = sl_fs_dirname(rj->path);
    char *tmp = sl_csv_rejects_beside(rj, "tmp");
    uint8_t *buf = NULL;
    sl_out *o = NULL;
    int rc = -1;
    if (sl_fs_mkdirs(dir, err) < 0 || !(o = sl_out_open_file(tmp, err))) goto out;
    sl_out_write(o, sl_csv_rejects_header, sizeof sl_csv_rejects_header - 1);
    buf = sl_malloc(1u << 16);
    for (int task = 0; task < ntasks; task++) {
        char *piece = sl_csv_rejects_piece_path(rj, task);
        int fd = open(piece, O_RDONLY | O_CLOEXEC);
        ssize_t got = 0;
        if (fd >= 0) {
            while ((got = read(fd, buf, 1u << 16)) > 0 || (got < 0 && errno == EINTR))
                if (got > 0) sl_out_write(o, buf, (size_t)got);
            if (got < 0) sl_fs_errno(err, errno, "cannot read", piece);
            close(fd);
        } else if (errno != ENOENT) {
            got = -1;
            sl_fs_errno(err, errno, "cannot open", piece);
        }
        sl_free(piece);
        if (got < 0) goto out;
    }
    rc = sl_out_close(o, true, err);
    o = NULL;
    if (rc == 0 && rename(tmp, rj->path) < 0) rc = sl_fs_errno(err, errno, "cannot rename", tmp);
    if (rc == 0) rc = sl_fs_fsync_dir(dir, err);
out:
    if (o) sl_out_abort(o);
    if (rc < 0) unlink(tmp);
    sl_free(buf);
    sl_free(tmp);
    sl_free(dir);
    return rc;
}

void sl_csv_rejects_finish(sl_csv_rejects *rj, int ntasks)
{
    if (rj->path && atomic_load(&rj->ran)) {
        sl_err err = SL_ERR_INIT;
        uint64_t n = atomic_load(&rj->count);
        if (sl_csv_rejects_rebuild(rj, ntasks, &err) < 0)
            sl_log(SL_LOG_ERROR, "%s: cannot write the rejects file %s: %s; the rows are in the files .*.task-N "
                   "beside it", rj->table, rj->path, err.msg);
        else if (n)
            sl_log(SL_LOG_WARN, "%s: %llu malformed rows written to %s", rj->table, (unsigned long long)n, rj->path);
    }
    sl_free(rj->path);
    rj->path = NULL;
}
