/*
 * sl_store_s3.c - the object-store store (see sl_store.h): parquet and csv
 * targets at s3://bucket/prefix. An object store has no rename and no
 * directory, so nothing is staged and moved: every task writes its final
 * object, and a table version becomes visible by one PUT of its manifest.
 *
 * Keys under P = s3://bucket/prefix, for table T of run R:
 *   P/T/run-R/part-NNNNN.parquet     a task's output (its final object)
 *   P/T/run-R/.uploads/<name>        a multipart upload in progress: its
 *                                    UploadId, so a resumed run can abort it
 *   P/T/_sluice_manifest.json        the live version: job, run, files
 *                                    (names relative to P/T/), totals and
 *                                    "versions" (run ids kept, newest first)
 *
 * A task's object: small outputs are one PUT (the CRC-32 as metadata
 * x-amz-meta-sluice-crc32); an output that reaches the part size is a
 * multipart upload, part by part as the sink writes, each full part handed
 * to a thread of its own, SLUICE_S3_PARTS_IN_FLIGHT (default 2, at most 8)
 * at once (memory: in flight + 1 part buffers per task), completed at
 * commit. Part size: 8 MiB, or SLUICE_S3_PART_BYTES (tests use small
 * parts; S3 wants >= 5 MiB but the last).
 * Failpoints: s3:part-uploaded after each part but the last,
 * s3:before-complete, task-file-synced (object there, before commit's
 * end), task-commit, and the publish:* steps around the manifest PUT.
 *
 * Publish: HEAD every listed object (all there, right sizes), PUT the
 * manifest (the atomic step), then delete the objects of versions no
 * longer kept (keep_versions, default 1: only the new one). With
 * `layout: flat` the deletion waits SLUICE_S3_FLAT_GRACE seconds (default
 * 30) first, for readers that list the table's objects instead of reading
 * the manifest: they see both versions during that window, and never a
 * version with files missing.
 *
 * Resume: tidy aborts the uploads recorded under .uploads/ (their parts go)
 * and those ListMultipartUploads names under the run's prefix (an upload
 * created just before a kill, before its marker was written);
 * check HEADs a recorded object (size, and CRC-32 when it has one: objects
 * appear whole or not at all, so a size match of a multipart object is a
 * finished upload); already reads the live manifest's job, run and start.
 *
 * There is no cross-host lock on an object store: `lock` is per process
 * (the state store's run lock still keeps two runs of one job apart on one
 * machine); two machines running the same job into one prefix is unsafe.
 */
#include "sl_store.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_failpoint.h"
#include "../core/sl_log.h"
#include "../core/sl_rfile.h"
#include "../state/sl_backoff.h"
#include "sl_s3.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SL_S3_MAX_VERSIONS 64

typedef struct sl_s3_stage {
    sl_s3 *s3;
    char *table_prefix;        /* "<prefix>/<table>/" or "<table>/" */
    char *run_prefix;          /* table_prefix + "run-R/" */
    char *run_dir;             /* "run-R" */
} sl_s3_stage;

static sl_s3_stage *sl_s3st(sl_stage *sg) { return sg->impl; }

static int64_t sl_s3_part_bytes(void)
{
    const char *e = getenv("SLUICE_S3_PART_BYTES");
    int64_t n = e && *e ? atoll(e) : 0;
    return n > 0 ? n : (int64_t)8 << 20;
}

/* Opens a client for a target: bucket and prefix of its path. */
static sl_s3 *sl_s3_target_open(const sl_job_target *t, char *prefix, size_t psize, sl_err *err)
{
    char bucket[256];
    if (sl_s3_url_parse(t->path, bucket, sizeof bucket, prefix, psize) < 0) {
        sl_err_set(err, SL_EJOB, "target %s: '%s' is not an s3://bucket/prefix URL", t->name, t->path);
        return NULL;
    }
    sl_s3 *s3 = sl_s3_open(bucket, t->region, t->endpoint, err);
    if (!s3) sl_err_prefix(err, "target %s", t->name);
    return s3;
}

static char *sl_join_prefix(const char *prefix, const char *rest)
{
    return *prefix ? sl_sprintf("%s/%s", prefix, rest) : sl_strdup(rest);
}

static int sl_s3_stage_open(sl_stage *sg, sl_err *err)
{
    if (!sg->table || !*sg->table || strchr(sg->table, '/') || sg->table[0] == '.')
        return sl_err_set(err, SL_EJOB, "table name '%s' cannot be a key prefix in target %s (no '/', must not "
                          "start with '.')", sg->table ? sg->table : "", sg->target->path);
    char prefix[1024];
    sl_s3 *s3 = sl_s3_target_open(sg->target, prefix, sizeof prefix, err);
    if (!s3) return -1;
    sl_s3_stage *st = sl_calloc(1, sizeof *st);
    st->s3 = s3;
    char *tp = sl_sprintf("%s/", sg->table);
    st->table_prefix = sl_join_prefix(prefix, tp);
    sl_free(tp);
    st->run_dir = sl_sprintf("run-%lld", (long long)sg->run_id);
    st->run_prefix = sl_sprintf("%s%s/", st->table_prefix, st->run_dir);
    sg->impl = st;
    sg->where = sl_sprintf("s3://%s/%s", sl_s3_bucket(s3), st->table_prefix);
    return 0;
}

static void sl_s3_stage_close(sl_stage *sg)
{
    sl_s3_stage *st = sg->impl;
    if (st) {
        sl_s3_close(st->s3);
        sl_free(st->table_prefix);
        sl_free(st->run_prefix);
        sl_free(st->run_dir);
        sl_free(st);
    }
    sl_free(sg->where);
    sg->impl = NULL;
    sg->where = NULL;
}

/* ---- the live manifest ---- */

typedef struct sl_live {
    bool found;
    char job[256];
    int64_t run_id;
    double run_started;
    int64_t versions[SL_S3_MAX_VERSIONS];
    int nversions;
} sl_live;

static const char *sl_mfield(const char *text, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(text, pat);
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ') p++;
    return p;
}

static int sl_live_read(sl_s3 *s3, const char *table_prefix, sl_live *lv, sl_err *err)
{
    memset(lv, 0, sizeof *lv);
    char *key = sl_sprintf("%s%s", table_prefix, SL_MANIFEST_NAME);
    sl_buf b = { 0 };
    int rc = sl_s3_get(s3, key, 0, -1, &b, err);
    sl_free(key);
    if (rc <= 0) {
        sl_buf_free(&b);
        return rc;
    }
    const char *text = sl_buf_cstr(&b);
    const char *f = sl_mfield(text, "format"), *j = sl_mfield(text, "job"), *r = sl_mfield(text, "run_id");
    if (f && !strncmp(f, "\"sluice-manifest\"", 17) && j && *j == '"' && r) {
        lv->found = true;
        j++;
        snprintf(lv->job, sizeof lv->job, "%.*s", (int)strcspn(j, "\""), j);
        lv->run_id = strtoll(r, NULL, 10);
        const char *s = sl_mfield(text, "run_started");
        lv->run_started = s ? strtod(s, NULL) : 0;
        const char *v = sl_mfield(text, "versions");
        if (v && *v == '[') {
            for (v++; *v && *v != ']' && lv->nversions < SL_S3_MAX_VERSIONS;) {
                char *end;
                long long id = strtoll(v, &end, 10);
                if (end == v) { v++; continue; }
                lv->versions[lv->nversions++] = id;
                v = end;
            }
        } else {
            lv->versions[lv->nversions++] = lv->run_id;
        }
    }
    sl_buf_free(&b);
    return 1;
}

static int sl_s3_already(sl_stage *sg, sl_err *err)
{
    sl_live lv;
    if (sl_live_read(sl_s3st(sg)->s3, sl_s3st(sg)->table_prefix, &lv, err) < 0) return -1;
    if (!lv.found || lv.run_id != sg->run_id || strcmp(lv.job, sg->job)) return 0;
    if (sg->run_started > 0 && lv.run_started > 0 &&
        (lv.run_started - sg->run_started > 1e-5 || sg->run_started - lv.run_started > 1e-5))
        return 0;
    return 1;
}

/* ---- resume ---- */

static int sl_abort_listed(sl_s3 *s3, const char *prefix, const char *table_prefix, const int64_t *kept, int nkept,
                           int64_t keep_run, int *aborted, sl_err *err);

/* Aborts the multipart uploads recorded under the run's .uploads/. */
static int sl_s3_tidy(sl_stage *sg, int *removed, sl_err *err)
{
    sl_s3_stage *st = sl_s3st(sg);
    if (removed) *removed = 0;
    char *prefix = sl_sprintf("%s.uploads/", st->run_prefix);
    sl_s3_entry *e = NULL;
    int n = 0, rc = sl_s3_list(st->s3, prefix, &e, &n, err);
    for (int i = 0; i < n && rc == 0; i++) {
        sl_buf id = { 0 };
        int got = sl_s3_get(st->s3, e[i].key, 0, -1, &id, err);
        if (got < 0) rc = -1;
        char *key = sl_sprintf("%s%s", st->run_prefix, e[i].key + strlen(prefix));
        if (got > 0 && id.len && sl_s3_mpu_abort(st->s3, key, sl_buf_cstr(&id), err) < 0) rc = -1;
        if (rc == 0 && sl_s3_delete(st->s3, e[i].key, err) < 0) rc = -1;
        if (rc == 0 && removed) (*removed)++;
        sl_free(key);
        sl_buf_free(&id);
    }
    sl_s3_list_free(e, n);
    sl_free(prefix);
    /* An upload created just before a kill, before its marker was written. */
    int aborted = 0;
    if (rc == 0) rc = sl_abort_listed(st->s3, st->run_prefix, NULL, NULL, 0, -1, &aborted, err);
    if (removed) *removed += aborted;
    return rc;
}

/* Aborts the multipart uploads in progress under prefix (ListMultipartUploads;
 * a server without it relies on the .uploads/ markers alone), except those of
 * run keep_run or of a kept version (keys "<table_prefix>run-<id>/..." when
 * table_prefix is given). *aborted counts them. */
static int64_t sl_run_of(const char *key, const char *table_prefix);
static int sl_abort_listed(sl_s3 *s3, const char *prefix, const char *table_prefix, const int64_t *kept, int nkept,
                           int64_t keep_run, int *aborted, sl_err *err)
{
    sl_s3_entry *keys = NULL;
    char **ids = NULL;
    int n = 0;
    bool supported;
    int rc = sl_s3_mpu_list(s3, prefix, &keys, &ids, &n, &supported, err);
    for (int i = 0; i < n && rc == 0; i++) {
        if (table_prefix) {
            int64_t run = sl_run_of(keys[i].key, table_prefix);
            bool keep = run < 0 || run == keep_run;
            for (int k = 0; k < nkept && !keep; k++) keep = run == kept[k];
            if (keep) continue;
        }
        rc = sl_s3_mpu_abort(s3, keys[i].key, ids[i], err);
        if (rc == 0 && aborted) (*aborted)++;
    }
    for (int i = 0; i < n; i++) sl_free(ids[i]);
    sl_free(ids);
    sl_s3_list_free(keys, n);
    return rc;
}

static int sl_s3_check(sl_stage *sg, const sl_store_file *f, sl_err *err)
{
    char *key = sl_sprintf("%s%s", sl_s3st(sg)->run_prefix, f->name);
    sl_s3_obj o;
    int rc = sl_s3_head(sl_s3st(sg)->s3, key, &o, err);
    sl_free(key);
    if (rc <= 0) return rc;
    if (o.size != f->bytes) return 0;
    if (o.has_crc && o.crc32 != f->crc32) return 0;
    return 1;
}

static int sl_delete_prefix(sl_s3 *s3, const char *prefix, sl_err *err)
{
    sl_s3_entry *e = NULL;
    int n = 0, rc = sl_s3_list(s3, prefix, &e, &n, err);
    for (int i = 0; i < n && rc == 0; i++) rc = sl_s3_delete(s3, e[i].key, err);
    sl_s3_list_free(e, n);
    return rc;
}

static int sl_s3_reset(sl_stage *sg, sl_err *err)
{
    if (sl_s3_tidy(sg, NULL, err) < 0) return -1;
    return sl_delete_prefix(sl_s3st(sg)->s3, sl_s3st(sg)->run_prefix, err);
}

/* ---- a task's object: an sl_out that uploads as it fills ---- */

/* A part being uploaded by a thread of its own. */
typedef struct sl_part_slot {
    pthread_t thread;
    bool busy;
    sl_buf buf;
    int number;                /* 1-based */
    char etag[80];
    int rc;
    sl_err err;
    struct sl_s3_upload *u;
} sl_part_slot;

#define SL_S3_MAX_INFLIGHT 8

typedef struct sl_s3_upload {
    sl_s3 *s3;
    char *key;
    char *marker;              /* .uploads/<name> while a multipart upload is open */
    sl_buf part;               /* the part being filled */
    size_t part_bytes;
    char upload_id[1024];
    bool multipart;
    char **etags;
    int nparts, cap;           /* parts started; etags[i] set when part i+1 is done */
    sl_part_slot slots[SL_S3_MAX_INFLIGHT];
    int inflight;              /* slots in use at most (SLUICE_S3_PARTS_IN_FLIGHT, default 2) */
} sl_s3_upload;

static void *sl_part_main(void *arg)
{
    sl_part_slot *sl = arg;
    sl_err_clear(&sl->err);
    sl->rc = sl_s3_mpu_part(sl->u->s3, sl->u->key, sl->u->upload_id, sl->number, sl->buf.data, sl->buf.len,
                            sl->etag, sizeof sl->etag, &sl->err);
    return NULL;
}

/* Waits for a slot's part; its ETag goes in place. */
static int sl_part_join(sl_s3_upload *u, sl_part_slot *sl, sl_err *err)
{
    if (!sl->busy) return 0;
    pthread_join(sl->thread, NULL);
    sl->busy = false;
    if (sl->rc < 0) {
        *err = sl->err;
        return -1;
    }
    u->etags[sl->number - 1] = sl_strdup(sl->etag);
    return sl_failpoint(SL_FP_S3_PART_UPLOADED, err) < 0 ? -1 : 0;
}

/* Waits for every part in flight; the first error is kept. */
static int sl_part_join_all(sl_s3_upload *u, sl_err *err)
{
    int rc = 0;
    for (int i = 0; i < u->inflight; i++) {
        sl_err e = SL_ERR_INIT;
        if (sl_part_join(u, &u->slots[i], &e) < 0 && rc == 0) {
            *err = e;
            rc = -1;
        }
    }
    return rc;
}

/* Hands the filled part to a free slot's thread (waiting for the oldest
 * when all are busy): memory stays at (in flight + 1) parts. */
static int sl_up_send_part(sl_s3_upload *u, sl_err *err)
{
    if (!u->multipart) {
        if (sl_s3_mpu_create(u->s3, u->key, u->upload_id, sizeof u->upload_id, err) < 0) return -1;
        u->multipart = true;
        if (sl_s3_put(u->s3, u->marker, u->upload_id, strlen(u->upload_id), false, 0, NULL, err) < 0) return -1;
    }
    sl_part_slot *free_slot = NULL, *oldest = NULL;
    for (int i = 0; i < u->inflight; i++) {
        sl_part_slot *sl = &u->slots[i];
        if (!sl->busy && !free_slot) free_slot = sl;
        if (sl->busy && (!oldest || sl->number < oldest->number)) oldest = sl;
    }
    if (!free_slot) {
        if (sl_part_join(u, oldest, err) < 0) return -1;
        free_slot = oldest;
    }
    if (u->nparts == u->cap) {
        u->etags = sl_realloc(u->etags, (size_t)(u->cap = u->cap ? u->cap * 2 : 16) * sizeof *u->etags);
        for (int i = u->nparts; i < u->cap; i++) u->etags[i] = NULL;
    }
    sl_buf t = free_slot->buf;
    free_slot->buf = u->part;
    u->part = t;
    sl_buf_clear(&u->part);
    free_slot->number = ++u->nparts;
    free_slot->u = u;
    free_slot->busy = true;
    if (pthread_create(&free_slot->thread, NULL, sl_part_main, free_slot) != 0) {
        free_slot->busy = false;
        sl_part_main(free_slot);   /* no thread: upload it here */
        if (free_slot->rc < 0) {
            *err = free_slot->err;
            return -1;
        }
        u->etags[free_slot->number - 1] = sl_strdup(free_slot->etag);
        return sl_failpoint(SL_FP_S3_PART_UPLOADED, err) < 0 ? -1 : 0;
    }
    return 0;
}

static int sl_up_write(sl_out *o, const void *p, size_t n, sl_err *err)
{
    sl_s3_upload *u = o->backend;
    const uint8_t *s = p;
    while (n) {
        size_t room = u->part_bytes - u->part.len, take = n < room ? n : room;
        sl_buf_append(&u->part, s, take);
        s += take;
        n -= take;
        /* A full part goes at once; the last one (maybe short) at commit. */
        if (u->part.len == u->part_bytes && sl_up_send_part(u, err) < 0) return -1;
    }
    return 0;
}

static int sl_up_flush(sl_out *o, bool sync, sl_err *err) { return 0; }

static void sl_up_free(sl_s3_upload *u)
{
    sl_err e = SL_ERR_INIT;
    sl_part_join_all(u, &e);
    for (int i = 0; i < u->inflight; i++) sl_buf_free(&u->slots[i].buf);
    sl_free(u->key);
    sl_free(u->marker);
    sl_buf_free(&u->part);
    for (int i = 0; i < u->nparts; i++) sl_free(u->etags[i]);
    sl_free(u->etags);
    sl_free(u);
}

static int sl_up_close(sl_out *o, sl_err *err)
{
    sl_up_free(o->backend);
    o->backend = NULL;
    return 0;
}

static const sl_out_ops sl_up_ops = { sl_up_write, sl_up_flush, sl_up_close };

static sl_out *sl_s3_create(sl_stage *sg, const char *name, sl_err *err)
{
    sl_s3_upload *u = sl_calloc(1, sizeof *u);
    u->s3 = sl_s3st(sg)->s3;
    u->key = sl_sprintf("%s%s", sl_s3st(sg)->run_prefix, name);
    u->marker = sl_sprintf("%s.uploads/%s", sl_s3st(sg)->run_prefix, name);
    u->part_bytes = (size_t)sl_s3_part_bytes();
    const char *inflight = getenv("SLUICE_S3_PARTS_IN_FLIGHT");
    u->inflight = inflight && *inflight ? atoi(inflight) : 2;
    if (u->inflight < 1) u->inflight = 1;
    if (u->inflight > SL_S3_MAX_INFLIGHT) u->inflight = SL_S3_MAX_INFLIGHT;
    char *label = sl_sprintf("s3://%s/%s", sl_s3_bucket(u->s3), u->key);
    sl_out *o = sl_out_new(&sl_up_ops, u, label);
    sl_free(label);
    return o;
}

/* Aborts an open multipart upload and drops its marker; errors only logged. */
static void sl_up_abandon(sl_s3_upload *u)
{
    if (!u || !u->multipart) return;
    sl_err e = SL_ERR_INIT;
    sl_part_join_all(u, &e);
    sl_err_clear(&e);
    if (sl_s3_mpu_abort(u->s3, u->key, u->upload_id, &e) < 0 || sl_s3_delete(u->s3, u->marker, &e) < 0)
        sl_log(SL_LOG_WARN, "cannot abort the upload of s3://%s/%s (a resumed run aborts it): %s",
               sl_s3_bucket(u->s3), u->key, e.msg);
    u->multipart = false;
}

static int sl_s3_commit(sl_stage *sg, sl_out *out, sl_store_file *f, sl_err *err)
{
    sl_s3_upload *u = out->backend;
    int rc = sl_out_flush(out, false, err);
    f->bytes = (int64_t)sl_out_tell(out);
    f->crc32 = out->crc;
    if (rc == 0) {
        if (!u->multipart) {
            rc = sl_s3_put(u->s3, u->key, u->part.data, u->part.len, true, f->crc32, NULL, err);
        } else {
            if (u->part.len) rc = sl_up_send_part(u, err);
            if (rc == 0) rc = sl_part_join_all(u, err);
            if (rc == 0) rc = sl_failpoint(SL_FP_S3_BEFORE_COMPLETE, err) < 0 ? -1 : 0;
            if (rc == 0) rc = sl_s3_mpu_complete(u->s3, u->key, u->upload_id, u->etags, u->nparts, err);
            if (rc == 0) {
                u->multipart = false;
                rc = sl_s3_delete(u->s3, u->marker, err);
            }
        }
    }
    if (rc == 0) rc = sl_failpoint(SL_FP_TASK_FILE_SYNCED, err) < 0 ? -1 : 0;
    if (rc == 0) rc = sl_failpoint(SL_FP_TASK_COMMIT, err) < 0 ? -1 : 0;
    if (rc < 0) {
        sl_up_abandon(u);
        sl_err_prefix(err, "table %s: file %s", sg->table, f->name);
        sl_out_abort(out);
        return -1;
    }
    sl_err ce = SL_ERR_INIT;
    sl_out_close(out, false, &ce);
    return 0;
}

static void sl_s3_discard(sl_stage *sg, const char *name, sl_out *out)
{
    if (out) {
        sl_up_abandon(out->backend);
        sl_out_abort(out);
    }
}

static int sl_s3_drop(sl_stage *sg, const char *name, sl_err *err)
{
    char *key = sl_sprintf("%s%s", sl_s3st(sg)->run_prefix, name);
    int rc = sl_s3_delete(sl_s3st(sg)->s3, key, err);
    sl_free(key);
    return rc;
}

/* ---- publish ---- */

/* The run id of a key "<table_prefix>run-<id>/...", or -1. */
static int64_t sl_run_of(const char *key, const char *table_prefix)
{
    size_t n = strlen(table_prefix);
    if (strncmp(key, table_prefix, n) || strncmp(key + n, "run-", 4)) return -1;
    char *end;
    long long id = strtoll(key + n + 4, &end, 10);
    return *end == '/' ? id : -1;
}

/* Deletes the objects under the table that are not the manifest and not of
 * a kept version (nor of run `keep_run`, maybe being written). */
static int sl_cleanup_table(sl_s3 *s3, const char *table_prefix, const int64_t *kept, int nkept, int64_t keep_run,
                            int *removed, sl_err *err)
{
    sl_s3_entry *e = NULL;
    int n = 0, rc = sl_s3_list(s3, table_prefix, &e, &n, err);
    for (int i = 0; i < n && rc == 0; i++) {
        const char *rest = e[i].key + strlen(table_prefix);
        if (!strcmp(rest, SL_MANIFEST_NAME)) continue;
        int64_t run = sl_run_of(e[i].key, table_prefix);
        bool keep = run >= 0 && run == keep_run;
        for (int k = 0; k < nkept && !keep; k++) keep = run == kept[k];
        if (keep) continue;
        if (run < 0) continue;   /* not ours: leave it */
        const char *up = strstr(rest, "/.uploads/");
        if (up) {
            /* An upload a killed attempt left open: abort it, so its parts go too. */
            sl_buf id = { 0 };
            int got = sl_s3_get(s3, e[i].key, 0, -1, &id, err);
            char *key = sl_sprintf("%s%.*s/%s", table_prefix, (int)(up - rest), rest, up + 10);
            if (got < 0 || (got > 0 && id.len && sl_s3_mpu_abort(s3, key, sl_buf_cstr(&id), err) < 0)) rc = -1;
            sl_free(key);
            sl_buf_free(&id);
            if (rc < 0) break;
        }
        rc = sl_s3_delete(s3, e[i].key, err);
        if (rc == 0 && removed) (*removed)++;
    }
    sl_s3_list_free(e, n);
    if (rc == 0) rc = sl_abort_listed(s3, table_prefix, table_prefix, kept, nkept, keep_run, removed, err);
    return rc;
}

static double sl_flat_grace(void)
{
    const char *e = getenv("SLUICE_S3_FLAT_GRACE");
    return e && *e ? atof(e) : 30.0;
}

static int sl_s3_publish(sl_stage *sg, const sl_store_manifest *m, sl_store_result *res, sl_err *err)
{
    sl_s3_stage *st = sl_s3st(sg);
    memset(res, 0, sizeof *res);
    sl_live lv;
    if (sl_live_read(st->s3, st->table_prefix, &lv, err) < 0) return -1;
    bool already = lv.found && lv.run_id == sg->run_id && !strcmp(lv.job, sg->job);
    if (lv.found && strcmp(lv.job, sg->job))
        return sl_err_set(err, SL_EIO, "table %s: %s holds job %s's table; sluice does not replace another job's "
                          "table (use another prefix or table name)", sg->table, sg->where, lv.job);
    int64_t kept[SL_S3_MAX_VERSIONS];
    int nkept = 0;
    if (already) {
        memcpy(kept, lv.versions, (size_t)lv.nversions * sizeof *kept);
        nkept = lv.nversions;
        res->already = true;
    } else {
        /* Every listed object there, with its size. */
        for (int i = 0; i < m->nfiles; i++) {
            sl_store_file f = m->files[i];
            int ok = sl_s3_check(sg, &f, err);
            if (ok < 0) return -1;
            if (!ok)
                return sl_err_set(err, SL_EIO, "table %s: object %s%s is missing or not the size recorded (%lld "
                                  "bytes); not published", sg->table, st->run_prefix, f.name, (long long)f.bytes);
        }
        if (sl_failpoint(SL_FP_PUBLISH_BEFORE_MANIFEST, err) < 0) return -1;
        int keep = sg->target->keep_versions > 0 ? sg->target->keep_versions : 1;
        kept[nkept++] = sg->run_id;
        for (int i = 0; i < lv.nversions && nkept < keep && nkept < SL_S3_MAX_VERSIONS; i++)
            if (lv.versions[i] != sg->run_id) kept[nkept++] = lv.versions[i];
        /* The manifest names files relative to the table: "run-R/part-N". */
        sl_store_file *files = sl_calloc((size_t)(m->nfiles ? m->nfiles : 1), sizeof *files);
        char **names = sl_calloc((size_t)(m->nfiles ? m->nfiles : 1), sizeof *names);
        for (int i = 0; i < m->nfiles; i++) {
            files[i] = m->files[i];
            files[i].name = names[i] = sl_sprintf("%s/%s", st->run_dir, m->files[i].name);
        }
        sl_store_manifest mm = *m;
        mm.files = files;
        sl_staging fake = { .job = (char *)sg->job, .table = (char *)sg->table, .run_id = sg->run_id,
                            .run_started = sg->run_started };
        sl_buf text = { 0 };
        sl_publish_manifest_text(&fake, &mm, &text, &res->rows, &res->bytes);
        /* "versions": the runs whose objects are kept, newest first. */
        sl_buf full = { 0 };
        const char *t = sl_buf_cstr(&text), *at = strstr(t, ",\n  \"files\":");
        size_t head = at ? (size_t)(at - t) : text.len;
        sl_buf_append(&full, t, head);
        sl_buf_printf(&full, ",\n  \"layout\": \"%s\",\n  \"versions\": [", sg->target->layout_flat ? "flat" : "manifest");
        for (int i = 0; i < nkept; i++) sl_buf_printf(&full, "%s%lld", i ? ", " : "", (long long)kept[i]);
        sl_buf_printf(&full, "]");
        sl_buf_append(&full, t + head, text.len - head);
        for (int i = 0; i < m->nfiles; i++) sl_free(names[i]);
        sl_free(names);
        sl_free(files);
        sl_buf_free(&text);
        char *key = sl_sprintf("%s%s", st->table_prefix, SL_MANIFEST_NAME);
        int rc = sl_failpoint(SL_FP_PUBLISH_BEFORE_EXCHANGE, err) < 0
                     ? -1 : sl_s3_put(st->s3, key, full.data, full.len, false, 0, NULL, err);
        sl_free(key);
        sl_buf_free(&full);
        if (rc < 0) return -1;
        res->atomic = true;
        res->replaced = lv.found;
        if (sl_failpoint(SL_FP_PUBLISH_AFTER_EXCHANGE, err) < 0) return -1;
    }
    if (sl_failpoint(SL_FP_PUBLISH_BEFORE_CLEANUP, err) < 0) return -1;
    if (sg->target->layout_flat && lv.found && !already) {
        double grace = sl_flat_grace();
        sl_log(SL_LOG_INFO, "table %s: layout flat: the old version's objects go in %.0f s (readers that list "
               "see both until then)", sg->table, grace);
        sl_backoff_sleep(grace);
    }
    int removed = 0;
    return sl_cleanup_table(st->s3, st->table_prefix, kept, nkept, -1, &removed, err);
}

/* ---- per target ---- */

static char *sl_s3_place(const sl_job_target *target) { return sl_strdup(target->path); }

static void *sl_s3_lock(const sl_job_target *target, const char *job, const char *holder, sl_err *err)
{
    /* Checks that the bucket answers with these credentials, so that a wrong
     * key or a missing bucket fails before any task runs. */
    char prefix[1024];
    sl_s3 *s3 = sl_s3_target_open(target, prefix, sizeof prefix, err);
    if (!s3) return NULL;
    /* A prefix nothing has: an empty listing is quick everywhere (s3rver
     * fails truncated ones). */
    char *probe = sl_sprintf("%s%s.sluice-probe/", prefix, *prefix ? "/" : "");
    int rc = sl_s3_probe(s3, probe, err);
    sl_free(probe);
    sl_s3_close(s3);
    if (rc < 0) {
        if (strncmp(err->msg, "target ", 7)) sl_err_prefix(err, "target %s", target->name);
        return NULL;
    }
    return sl_strdup(target->path);
}

static void sl_s3_unlock(void *lock, const sl_job_target *target, const char *job) { sl_free(lock); }

static int sl_s3_check_live(const sl_job_target *target, const char *job, const sl_job_table *cfg, sl_err *err)
{
    const char *table = cfg->name;
    char prefix[1024];
    sl_s3 *s3 = sl_s3_target_open(target, prefix, sizeof prefix, err);
    if (!s3) return -1;
    char *tp = sl_sprintf("%s%s%s/", prefix, *prefix ? "/" : "", table);
    sl_live lv;
    int rc = sl_live_read(s3, tp, &lv, err);
    if (rc > 0 && lv.found && strcmp(lv.job, job))
        rc = sl_err_set(err, SL_EIO, "table %s: s3://%s/%s holds job %s's table; sluice does not replace another "
                        "job's table (use another prefix or table name)", table, sl_s3_bucket(s3), tp, lv.job);
    sl_free(tp);
    sl_s3_close(s3);
    return rc < 0 ? -1 : 0;
}

/* Every table prefix of the target with run-<id>/ objects: cleans the runs
 * other than keep_run_id that its manifest does not keep. */
static int sl_s3_clean_runs(const sl_job_target *target, const char *job, int64_t keep_run_id, int *removed,
                            sl_err *err)
{
    char prefix[1024];
    sl_s3 *s3 = sl_s3_target_open(target, prefix, sizeof prefix, err);
    if (!s3) return -1;
    char *root = sl_sprintf("%s%s", prefix, *prefix ? "/" : "");
    sl_s3_entry *e = NULL;
    int n = 0, rc = sl_s3_list(s3, root, &e, &n, err);
    char last[1024] = "";
    for (int i = 0; i < n && rc == 0; i++) {
        const char *rest = e[i].key + strlen(root), *slash = strchr(rest, '/');
        if (!slash || strncmp(slash + 1, "run-", 4)) continue;
        char tp[1024];
        snprintf(tp, sizeof tp, "%s%.*s/", root, (int)(slash - rest + 0), rest);
        if (!strcmp(tp, last)) continue;
        snprintf(last, sizeof last, "%s", tp);
        sl_live lv;
        if (sl_live_read(s3, tp, &lv, err) < 0) { rc = -1; break; }
        if (lv.found && strcmp(lv.job, job)) continue;   /* another job's table */
        rc = sl_cleanup_table(s3, tp, lv.versions, lv.nversions, keep_run_id, removed, err);
    }
    sl_s3_list_free(e, n);
    sl_free(root);
    sl_s3_close(s3);
    return rc;
}

static int sl_s3_clean_stale(const sl_job_target *target, const char *job, int64_t keep_run_id, int *removed,
                             sl_err *err)
{
    if (removed) *removed = 0;
    return sl_s3_clean_runs(target, job, keep_run_id, removed, err);
}

/* A finished run's objects are all published or gone at publish; an
 * unfinished one's stay for a resume (clean_stale removes them when the
 * next run is not a resume). */
static int sl_s3_clean_run(const sl_job_target *target, const char *job, int64_t run_id, bool finished, sl_err *err)
{
    return 0;
}

/* s3:// for the parquet source (sl_s3_files.c): registered at start-up,
 * since sources may not call the store. */
extern const sl_rfs sl_s3_rfs;
__attribute__((constructor)) static void sl_s3_register(void) { sl_rfs_register(&sl_s3_rfs); }

const sl_store_ops sl_store_s3 = {
    .kind = "s3",
    .stage_open = sl_s3_stage_open,
    .stage_close = sl_s3_stage_close,
    .already = sl_s3_already,
    .tidy = sl_s3_tidy,
    .check = sl_s3_check,
    .reset = sl_s3_reset,
    .create = sl_s3_create,
    .commit = sl_s3_commit,
    .discard = sl_s3_discard,
    .drop = sl_s3_drop,
    .publish = sl_s3_publish,
    .place = sl_s3_place,
    .lock = sl_s3_lock,
    .unlock = sl_s3_unlock,
    .check_live = sl_s3_check_live,
    .clean_stale = sl_s3_clean_stale,
    .clean_run = sl_s3_clean_run,
};
