/*
 * sl_source_parquet.c - the parquet source: Parquet files (a sluice lake, or
 * any writer's) read with sluice's own reader (parquet/sl_pq_reader.h).
 *
 * Interface: `sl_source_parquet` (kind "parquet"), see sl_source.h.
 * Files (sl_source_files.h), under the source's `path`:
 *   table: orders   the lake table <path>/orders/: the files its
 *                   _sluice_manifest.json lists (sizes checked), else every
 *                   *.parquet below it (hive directories, no hidden or
 *                   `_`-prefixed names);
 *   file: x         a file, a directory (read like a table), or a glob of
 *                   names in one directory ("events/part-*.parquet").
 * Hive partition directories (`year=2024/month=01/`) below the source path
 * add their keys as columns after the file's: int64 when every value is an
 * integer, else string; `__HIVE_DEFAULT_PARTITION__` is NULL; %XX escapes
 * are decoded. Every file must have the same keys.
 *
 * Schema: the first file's columns (lists of one level read as list<T>; other
 * nested ones refused by the reader,
 * naming file and column). Every other file must have the same column names
 * and types (in any order); a column OPTIONAL in one file and REQUIRED in
 * another is fine and nullable. A difference is an error naming both files
 * and the column. `columns:` selects and orders columns (file or hive ones)
 * and may set a type each file's column converts to without loss (wider
 * integers, float32 -> float64, int16/int32 -> float64, a decimal with as many
 * integer digits and at least the scale, anything fixed-width or json ->
 * string); files may then differ as long as each converts. `nullable: false`
 * makes a NULL an error naming the file, row and column.
 *
 * Tasks: one per file; a file with several row groups that is larger than a
 * task's share (128 MiB, or the table's bytes / partition.count when a count
 * is given) is cut into ranges of whole row groups of about that size.
 * Estimated rows are exact (from the footers). The task's predicate names
 * the file and its row groups, for `plan`.
 *
 * At an s3:// path (core/sl_rfile.h; `region`, `endpoint` as for targets)
 * the same, over the objects under the prefix: a table's manifest (objects
 * checked against a listing) or its *.parquet objects; a reader fetches a
 * file's footer, then per row group each selected column chunk, by ranged
 * GETs: never the whole object. Hive directories below a table count.
 *
 * Memory: a task maps its file and reads one column chunk's pages at a time
 * (the reader's bound); its batch's vectors are lent to the reader, so values
 * are decoded in place; only converted columns go through a scratch vector.
 */
#include "sl_source.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_rfile.h"
#include "../core/sl_text_value.h"
#include "../parquet/sl_pq_reader.h"
#include "sl_source_files.h"

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SL_PQS_TASK_BYTES ((int64_t)128 << 20)
#define SL_PQS_HIVE_NULL "__HIVE_DEFAULT_PARTITION__"

typedef struct sl_pqs_file {
    char *path;
    const char *rel;         /* below the source path: for messages and predicates */
    int64_t size;
    char **hive;             /* nhive values; NULL: the default partition */
    int64_t *rg_rows;        /* rows per row group */
    int nrg;
} sl_pqs_file;

typedef struct sl_pqs_span {
    int file, rg_first, rg_count;
} sl_pqs_span;

typedef struct sl_pqs_shared {
    char *what;              /* "table orders" */
    sl_pqs_file *files;
    int nfiles;
    char **hive_keys;
    int nhive;
    const char **sel;        /* file columns read, in output order (names owned by the schema) */
    int nsel;
    int *sel_out;            /* selected column -> output column */
    int *hive_out;           /* hive key -> output column, -1 when not selected */
    sl_pqs_span *spans;      /* per task */
    const sl_rfs *rfs;       /* files at s3:// URLs (core/sl_rfile.h); NULL: local */
    const char *region, *endpoint;
} sl_pqs_shared;

/* ---- files at URLs: read by ranges ---- */

typedef struct sl_pqs_remote {
    const sl_rfs *rfs;
    void *conn;
    char *url;
} sl_pqs_remote;

static int sl_pqs_remote_read(void *ctx, uint64_t off, size_t len, sl_buf *out, sl_err *err)
{
    sl_pqs_remote *rm = ctx;
    int rc = rm->rfs->read(rm->conn, rm->url, (int64_t)off, (int64_t)len, out, err);
    if (rc == 0) return sl_err_set(err, SL_ESOURCE, "%s is gone", rm->url);
    return rc < 0 ? -1 : 0;
}

static void sl_pqs_remote_close(void *ctx)
{
    sl_pqs_remote *rm = ctx;
    rm->rfs->disconnect(rm->conn);
    sl_free(rm->url);
    sl_free(rm);
}

/* A reader of a local file (mapped) or of an object (footer and column
 * chunks by ranged reads, never the whole object). */
static sl_pq_reader *sl_pqs_reader_open(const sl_pqs_shared *sh, const char *path, sl_err *err)
{
    if (!sh->rfs) return sl_pq_reader_open(path, err);
    void *conn = sh->rfs->connect(path, sh->region, sh->endpoint, err);
    if (!conn) return NULL;
    int64_t size = 0;
    int rc = sh->rfs->size(conn, path, &size, err);
    if (rc <= 0) {
        if (rc == 0) sl_err_set(err, SL_ESOURCE, "%s: no such object", path);
        sh->rfs->disconnect(conn);
        return NULL;
    }
    sl_pqs_remote *rm = sl_calloc(1, sizeof *rm);
    rm->rfs = sh->rfs;
    rm->conn = conn;
    rm->url = sl_strdup(path);
    sl_pq_input in = { rm, (uint64_t)size, sl_pqs_remote_read, sl_pqs_remote_close };
    return sl_pq_reader_open_input(&in, path, err);
}

/* Whether rel (below a table prefix) is a data file a lister takes:
 * *.parquet, through hive directories (key=value) only, no hidden or
 * `_`-prefixed names. */
static bool sl_pqs_remote_data(const char *rel)
{
    for (const char *part = rel;;) {
        const char *slash = strchr(part, '/');
        if (*part == '.' || *part == '_') return false;
        if (!slash) {
            size_t n = strlen(part);
            return n > 8 && !strcmp(part + n - 8, ".parquet");
        }
        if (!memchr(part, '=', (size_t)(slash - part))) return false;
        part = slash + 1;
    }
}

/* The files of a table at URL dir: those its manifest lists (each checked
 * to be there with its size), else its *.parquet objects. */
static int sl_pqs_remote_table(const sl_pqs_shared *sh, void *conn, const char *dir, char ***paths, int64_t **sizes,
                               int *n, sl_err *err)
{
    char **urls = NULL;
    int64_t *usizes = NULL;
    int nu = 0;
    if (sh->rfs->list(conn, dir, &urls, &usizes, &nu, err) < 0) return -1;
    size_t dlen = strlen(dir);
    char *mpath = sl_sprintf("%s/%s", dir, SL_SOURCE_MANIFEST);
    sl_buf text = { 0 };
    int rc = sh->rfs->read(conn, mpath, 0, -1, &text, err);
    *paths = NULL;
    *sizes = NULL;
    *n = 0;
    if (rc > 0) {
        char **names = NULL;
        int64_t *bytes = NULL;
        int nn = 0;
        rc = sl_source_manifest_names(sh->what, mpath, (const char *)text.data, text.len, &names, &bytes, &nn, err);
        if (rc == 0) {
            *paths = sl_calloc((size_t)nn, sizeof **paths);
            *sizes = sl_calloc((size_t)nn, sizeof **sizes);
            for (int i = 0; i < nn && rc == 0; i++) {
                (*paths)[(*n)++] = sl_sprintf("%s/%s", dir, names[i]);
                int at = -1;
                for (int k = 0; k < nu && at < 0; k++)
                    if (!strcmp(urls[k], (*paths)[i])) at = k;
                if (at < 0)
                    rc = sl_err_set(err, SL_ESOURCE, "%s: %s is listed in %s but missing; the table is damaged: "
                                    "publish it again", sh->what, (*paths)[i], SL_SOURCE_MANIFEST);
                else if (usizes[at] != bytes[i])
                    rc = sl_err_set(err, SL_ESOURCE, "%s: %s has %lld bytes but %s says %lld: it was changed after "
                                    "it was published; publish the table again", sh->what, (*paths)[i],
                                    (long long)usizes[at], SL_SOURCE_MANIFEST, (long long)bytes[i]);
                else
                    (*sizes)[i] = usizes[at];
            }
        }
        sl_source_files_free(names, nn);
        sl_free(bytes);
    } else if (rc == 0) {
        *paths = sl_calloc((size_t)(nu ? nu : 1), sizeof **paths);
        *sizes = sl_calloc((size_t)(nu ? nu : 1), sizeof **sizes);
        for (int k = 0; k < nu; k++) {
            if (!sl_pqs_remote_data(urls[k] + dlen + 1)) continue;
            (*sizes)[*n] = usizes[k];
            (*paths)[(*n)++] = sl_strdup(urls[k]);
        }
        if (*n == 0)
            rc = sl_err_set(err, SL_ESOURCE, "%s: no *.parquet object under %s/ (nor a %s)", sh->what, dir,
                            SL_SOURCE_MANIFEST);
    }
    if (rc < 0) {
        sl_source_files_free(*paths, *n);
        sl_free(*sizes);
        *paths = NULL;
        *sizes = NULL;
        *n = 0;
    }
    sl_buf_free(&text);
    sl_free(mpath);
    sl_source_files_free(urls, nu);
    sl_free(usizes);
    return rc < 0 ? -1 : 0;
}

/* The files of a table or file: at an s3:// source path. */
static int sl_pqs_remote_list(const sl_pqs_shared *sh, const sl_job_source *src, const sl_job_table *cfg,
                              char ***paths, int64_t **sizes, int *n, sl_err *err)
{
    char *base = sl_strdup(src->path);
    size_t bl = strlen(base);
    while (bl > 5 && base[bl - 1] == '/') base[--bl] = '\0';
    void *conn = sh->rfs->connect(base, sh->region, sh->endpoint, err);
    if (!conn) {
        sl_free(base);
        return -1;
    }
    int rc;
    if (cfg->table && !cfg->file) {
        char *dir = sl_sprintf("%s/%s", base, cfg->table);
        rc = sl_pqs_remote_table(sh, conn, dir, paths, sizes, n, err);
        sl_free(dir);
    } else if (!cfg->file) {
        rc = sl_err_set(err, SL_EJOB, "%s: give table: (a lake table under %s) or file: (an object, prefix or glob)",
                        sh->what, base);
    } else {
        char *full = sl_sprintf("%s/%s", base, cfg->file);
        int64_t size = 0;
        if (strpbrk(cfg->file, "*?[")) {
            /* A glob of names in one "directory". */
            char *slash = strrchr(full, '/');
            *slash = '\0';
            char **urls = NULL;
            int64_t *us = NULL;
            int nu = 0;
            rc = sh->rfs->list(conn, full, &urls, &us, &nu, err);
            *slash = '/';
            *paths = sl_calloc((size_t)(nu ? nu : 1), sizeof **paths);
            *sizes = sl_calloc((size_t)(nu ? nu : 1), sizeof **sizes);
            *n = 0;
            for (int k = 0; k < nu && rc == 0; k++) {
                const char *name = urls[k] + (slash - full) + 1;
                if (strchr(name, '/') || *name == '.' || fnmatch(slash + 1, name, 0)) continue;
                (*sizes)[*n] = us[k];
                (*paths)[(*n)++] = sl_strdup(urls[k]);
            }
            sl_source_files_free(urls, nu);
            sl_free(us);
            if (rc == 0 && *n == 0) rc = sl_err_set(err, SL_ESOURCE, "%s: no object matches %s", sh->what, full);
        } else if ((rc = sh->rfs->size(conn, full, &size, err)) > 0) {
            *paths = sl_calloc(1, sizeof **paths);
            *sizes = sl_calloc(1, sizeof **sizes);
            (*paths)[0] = sl_strdup(full);
            (*sizes)[0] = size;
            *n = 1;
            rc = 0;
        } else if (rc == 0) {
            rc = sl_pqs_remote_table(sh, conn, full, paths, sizes, n, err);
        }
        sl_free(full);
    }
    sh->rfs->disconnect(conn);
    sl_free(base);
    return rc < 0 ? -1 : 0;
}

/* ---- hive partitions ---- */

static int sl_pqs_hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* %XX-decodes n bytes of s (Hive escapes '/', ':', '=', ... so). */
static char *sl_pqs_unescape(const char *s, size_t n)
{
    char *out = sl_malloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = sl_pqs_hexval(s[i + 1])) >= 0 &&
            (lo = sl_pqs_hexval(s[i + 2])) >= 0) {
            *o++ = (char)(hi << 4 | lo);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

/* The key=value directories of rel (the last part is the file's name). */
static int sl_pqs_hive_parts(const char *rel, char ***keys, char ***vals)
{
    int n = 0;
    *keys = *vals = NULL;
    const char *p = rel;
    for (const char *slash; (slash = strchr(p, '/')); p = slash + 1) {
        const char *eq = memchr(p, '=', (size_t)(slash - p));
        if (!eq || eq == p) continue;
        *keys = sl_realloc(*keys, (size_t)(n + 1) * sizeof **keys);
        *vals = sl_realloc(*vals, (size_t)(n + 1) * sizeof **vals);
        (*keys)[n] = sl_pqs_unescape(p, (size_t)(eq - p));
        char *v = sl_pqs_unescape(eq + 1, (size_t)(slash - eq - 1));
        if (!strcmp(v, SL_PQS_HIVE_NULL)) {
            sl_free(v);
            v = NULL;
        }
        (*vals)[n++] = v;
    }
    return n;
}

/* ---- shared state ---- */

static void sl_pqs_shared_free(sl_pqs_shared *sh)
{
    if (!sh) return;
    for (int i = 0; i < sh->nfiles; i++) {
        sl_pqs_file *f = &sh->files[i];
        for (int k = 0; f->hive && k < sh->nhive; k++) sl_free(f->hive[k]);
        sl_free(f->hive);
        sl_free(f->rg_rows);
        sl_free(f->path);
    }
    sl_free(sh->files);
    for (int k = 0; k < sh->nhive; k++) sl_free(sh->hive_keys[k]);
    sl_free(sh->hive_keys);
    sl_free(sh->sel);
    sl_free(sh->sel_out);
    sl_free(sh->hive_out);
    sl_free(sh->spans);
    sl_free(sh->what);
    sl_free(sh);
}

static bool sl_pqs_same_type(sl_type a, sl_type b)
{
    return a.id == b.id && a.precision == b.precision && a.scale == b.scale && a.utc == b.utc && a.elem == b.elem;
}

/* Digits left of the point an integer type needs. */
static int sl_pqs_int_digits(sl_type_id id)
{
    return id == SL_T_INT16 ? 5 : id == SL_T_INT32 ? 10 : 19;
}

/* Whether a file's column of type `from` converts to `to` without loss. */
static bool sl_pqs_can_convert(sl_type from, sl_type to)
{
    if (sl_pqs_same_type(from, to)) return true;
    if (from.id == SL_T_LIST || to.id == SL_T_LIST) return false;   /* lists only as they are */
    bool from_int = from.id == SL_T_INT16 || from.id == SL_T_INT32 || from.id == SL_T_INT64;
    switch (to.id) {
    case SL_T_INT32: return from.id == SL_T_INT16;
    case SL_T_INT64: return from.id == SL_T_INT16 || from.id == SL_T_INT32;
    case SL_T_FLOAT64: return from.id == SL_T_FLOAT32 || from.id == SL_T_INT16 || from.id == SL_T_INT32;
    case SL_T_DECIMAL:
        if (from_int) return to.precision - to.scale >= sl_pqs_int_digits(from.id);
        return from.id == SL_T_DECIMAL && to.scale >= from.scale && to.precision - to.scale >= from.precision - from.scale;
    case SL_T_STRING: return !sl_type_is_varlen(from) || from.id == SL_T_JSON || from.id == SL_T_STRING;
    default: return false;
    }
}

static const char *sl_pqs_tname(sl_type t, char *buf)
{
    return sl_type_format(t, buf, 48);
}

/* Lists the files and their hive values. */
static int sl_pqs_list(sl_pqs_shared *sh, const sl_job_source *src, const sl_job_table *cfg, sl_err *err)
{
    const char *base = src->path;
    char **paths = NULL;
    int64_t *sizes = NULL;
    int n = 0;
    const char *root = base;   /* hive directories are those below root */
    char *dir = NULL;
    sh->rfs = sl_rfs_for(base);
    sh->region = src->region;
    sh->endpoint = src->endpoint;
    if (sh->rfs) {
        if (sl_pqs_remote_list(sh, src, cfg, &paths, &sizes, &n, err) < 0) return -1;
        if (cfg->table && !cfg->file) root = NULL;   /* a table: hive directories below it */
    } else if (sl_rfs_is_url(base)) {
        return sl_err_set(err, SL_EJOB, "%s: %s: only s3:// URLs can be read", sh->what, base);
    } else if (cfg->table && !cfg->file) {
        dir = sl_sprintf("%s/%s", base, cfg->table);
        struct stat st;
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
            sl_err_set(err, SL_ESOURCE, "%s: no table directory %s (%s); check the source's path and the table's "
                       "name, or give file:", sh->what, dir, errno == ENOENT ? "missing" : "not a directory");
            sl_free(dir);
            return -1;
        }
    } else if (cfg->file) {
        struct stat st;
        char *full = cfg->file[0] == '/' ? sl_strdup(cfg->file) : sl_sprintf("%s/%s", base, cfg->file);
        if (!strpbrk(cfg->file, "*?[") && stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
            dir = full;
            if (cfg->file[0] == '/') root = dir;
        } else {
            sl_free(full);
            if (cfg->file[0] == '/') root = NULL;
        }
    } else {
        return sl_err_set(err, SL_EJOB, "%s: give table: (a lake table under %s) or file: (a file, directory or glob)",
                          sh->what, base);
    }
    int rc = sh->rfs ? 0
             : dir   ? sl_source_list_lake(sh->what, dir, &paths, &sizes, &n, err)
                     : sl_source_list_files(sh->what, base, cfg->file, &paths, &n, err);
    sl_free(dir);
    if (rc < 0) return -1;
    sh->files = sl_calloc((size_t)n, sizeof *sh->files);
    sh->nfiles = n;
    size_t rootlen = root ? strlen(root) : 0;
    for (int i = 0; i < n; i++) {
        sl_pqs_file *f = &sh->files[i];
        f->path = paths[i];
        f->size = sizes ? sizes[i] : -1;
        bool below = root && !strncmp(f->path, root, rootlen) && f->path[rootlen] == '/';
        f->rel = below ? f->path + rootlen + 1 : f->path;
        if (!below) continue;
        char **keys, **vals;
        int nk = sl_pqs_hive_parts(f->rel, &keys, &vals);
        if (i == 0) {
            sh->hive_keys = keys;
            sh->nhive = nk;
            keys = NULL;
        } else {
            bool same = nk == sh->nhive;
            for (int k = 0; same && k < nk; k++) same = !strcmp(keys[k], sh->hive_keys[k]);
            for (int k = 0; k < nk; k++) sl_free(keys[k]);
            sl_free(keys);
            if (!same) {
                for (int k = 0; k < nk; k++) sl_free(vals[k]);
                sl_free(vals);
                for (int k = i + 1; k < n; k++) sl_free(paths[k]);   /* files 0..i are sh's now */
                sl_free(paths);
                sl_free(sizes);
                return sl_err_set(err, SL_ESOURCE, "%s: files %s and %s lie in different partition directories "
                                  "(key=value); every file needs the same partition keys in the same order",
                                  sh->what, sh->files[0].rel, f->rel);
            }
        }
        f->hive = vals;
    }
    sl_free(paths);
    sl_free(sizes);
    return 0;
}

/* The default type of each hive key: int64 when every value is an integer. */
static sl_type sl_pqs_hive_type(const sl_pqs_shared *sh, int k, bool *nullable)
{
    sl_type t = { .id = SL_T_INT64 };
    bool any = false;
    *nullable = false;
    for (int i = 0; i < sh->nfiles; i++) {
        const char *v = sh->files[i].hive ? sh->files[i].hive[k] : NULL;
        int64_t x;
        if (!v) {
            *nullable = true;
            continue;
        }
        any = true;
        if (sl_text_int64(v, strlen(v), &x) < 0) t.id = SL_T_STRING;
    }
    if (!any) t.id = SL_T_STRING;
    return t;
}

static int sl_pqs_find_hive(const sl_pqs_shared *sh, const char *name)
{
    for (int k = 0; k < sh->nhive; k++)
        if (!strcmp(sh->hive_keys[k], name)) return k;
    return -1;
}

/* The top-level column names of a file, for messages: "a, b, c". */
static void sl_pqs_top_names(const sl_pq_file_meta *m, sl_buf *out)
{
    int last = -1;
    for (int l = 0; l < m->nleaves && out->len < 400; l++) {
        if (m->leaves[l].top_idx == last) continue;
        last = m->leaves[l].top_idx;
        const char *nm = m->schema[last].name;
        if (out->len) sl_buf_append(out, ", ", 2);
        sl_buf_append(out, nm, strlen(nm));
    }
}

static bool sl_pqs_has_top(const sl_pq_file_meta *m, const char *name)
{
    for (int l = 0; l < m->nleaves; l++)
        if (!strcmp(m->schema[m->leaves[l].top_idx].name, name)) return true;
    return false;
}

/* The table schema: the first file's columns and the hive keys, or columns:. */
static int sl_pqs_schema(sl_source_table *tab, sl_pqs_shared *sh, sl_pq_reader *first, sl_err *err)
{
    const sl_job_table *cfg = tab->cfg;
    const sl_pq_file_meta *meta = sl_pq_reader_meta(first);
    for (int k = 0; k < sh->nhive; k++)
        if (sl_pqs_has_top(meta, sh->hive_keys[k]))
            return sl_err_set(err, SL_ESOURCE, "%s: %s has a column %s and also lies in a partition directory "
                              "%s=...; rename one of them", sh->what, sh->files[0].rel, sh->hive_keys[k],
                              sh->hive_keys[k]);
    sh->hive_out = sl_calloc((size_t)(sh->nhive ? sh->nhive : 1), sizeof *sh->hive_out);
    for (int k = 0; k < sh->nhive; k++) sh->hive_out[k] = -1;
    if (cfg->ncolumns == 0) {
        const sl_schema *fs = sl_pq_reader_schema(first, err);
        if (!fs) {
            sl_err_prefix(err, "%s", sh->what);
            if (err->code == SL_ETYPE) {
                size_t n = strlen(err->msg);
                snprintf(err->msg + n, sizeof err->msg - n, "; list the columns to read in columns:");
            }
            return -1;
        }
        tab->schema = sl_schema_new(fs->ncols + sh->nhive);
        sh->nsel = fs->ncols;
        sh->sel = sl_calloc((size_t)(fs->ncols ? fs->ncols : 1), sizeof *sh->sel);
        sh->sel_out = sl_calloc((size_t)(fs->ncols ? fs->ncols : 1), sizeof *sh->sel_out);
        for (int c = 0; c < fs->ncols; c++) {
            sl_schema_set(tab->schema, c, fs->fields[c].name, fs->fields[c].type, fs->fields[c].nullable);
            sh->sel[c] = tab->schema->fields[c].name;
            sh->sel_out[c] = c;
        }
        for (int k = 0; k < sh->nhive; k++) {
            bool nullable;
            sl_type t = sl_pqs_hive_type(sh, k, &nullable);
            sl_schema_set(tab->schema, fs->ncols + k, sh->hive_keys[k], t, nullable);
            sh->hive_out[k] = fs->ncols + k;
        }
        return 0;
    }
    tab->schema = sl_schema_new(cfg->ncolumns);
    sh->sel = sl_calloc((size_t)cfg->ncolumns, sizeof *sh->sel);
    sh->sel_out = sl_calloc((size_t)cfg->ncolumns, sizeof *sh->sel_out);
    for (int c = 0; c < cfg->ncolumns; c++) {
        const sl_job_column *jc = &cfg->columns[c];
        sl_schema_set(tab->schema, c, jc->name, jc->type, jc->nullable);
        int k = sl_pqs_find_hive(sh, jc->name);
        if (k >= 0) {
            sh->hive_out[k] = c;
            continue;
        }
        if (!sl_pqs_has_top(meta, jc->name)) {
            sl_buf names = {0};
            sl_pqs_top_names(meta, &names);
            for (int i = 0; i < sh->nhive && names.len < 400; i++) {
                sl_buf_append(&names, ", ", 2);
                sl_buf_append(&names, sh->hive_keys[i], strlen(sh->hive_keys[i]));
            }
            sl_buf_push(&names, 0);
            sl_err_set(err, SL_EJOB, "%s: columns: %s is not a column of %s (it has: %s)", sh->what, jc->name,
                       sh->files[0].rel, (char *)names.data);
            sl_buf_free(&names);
            return -1;
        }
        sh->sel[sh->nsel] = tab->schema->fields[c].name;
        sh->sel_out[sh->nsel++] = c;
    }
    return 0;
}

/* Checks one file's columns against the table's; the first file's schema
 * `first` (NULL for the first file itself) names the disagreement. */
static int sl_pqs_check_file(sl_source_table *tab, sl_pqs_shared *sh, int fi, sl_pq_reader *r,
                             const sl_schema *first, sl_err *err)
{
    const sl_pqs_file *f = &sh->files[fi];
    const sl_pqs_file *f0 = &sh->files[0];
    char ta[48], tb[48];
    if (first && tab->cfg->ncolumns == 0) {
        /* No columns: the same names and types as the first file. */
        const sl_schema *s = sl_pq_reader_schema(r, err);
        if (!s) {
            sl_err_prefix(err, "%s", sh->what);
            return -1;
        }
        for (int c = 0; c < first->ncols; c++) {
            int at = sl_schema_find(s, first->fields[c].name);
            if (at < 0)
                return sl_err_set(err, SL_ESOURCE, "%s: files %s and %s disagree: column %s is in %s but not in %s; "
                                  "select the common columns with columns:", sh->what, f0->rel, f->rel,
                                  first->fields[c].name, f0->rel, f->rel);
            if (!sl_pqs_same_type(s->fields[at].type, first->fields[c].type))
                return sl_err_set(err, SL_ESOURCE, "%s: files %s and %s disagree on column %s: %s in %s, %s in %s; "
                                  "set the column's type in columns: (a type both convert to) or read them as "
                                  "separate tables", sh->what, f0->rel, f->rel, first->fields[c].name,
                                  sl_pqs_tname(first->fields[c].type, ta), f0->rel, sl_pqs_tname(s->fields[at].type, tb),
                                  f->rel);
            if (s->fields[at].nullable) tab->schema->fields[c].nullable = true;
        }
        for (int c = 0; c < s->ncols; c++)
            if (sl_schema_find(first, s->fields[c].name) < 0)
                return sl_err_set(err, SL_ESOURCE, "%s: files %s and %s disagree: column %s is in %s but not in %s; "
                                  "select the common columns with columns:", sh->what, f0->rel, f->rel,
                                  s->fields[c].name, f->rel, f0->rel);
    }
    if (sh->nsel == 0) return 0;   /* only partition columns: no column of the file is read */
    if (sl_pq_reader_select(r, sh->sel, sh->nsel, err) < 0) {
        if (err->code == SL_EUSAGE) {
            sl_err_clear(err);
            for (int c = 0; c < sh->nsel; c++) {
                sl_err e = SL_ERR_INIT;
                if (sl_pq_reader_select(r, &sh->sel[c], 1, &e) < 0 && e.code == SL_EUSAGE)
                    return sl_err_set(err, SL_ESOURCE, "%s: files %s and %s disagree: column %s is in %s but not in %s",
                                      sh->what, f0->rel, f->rel, sh->sel[c], f0->rel, f->rel);
            }
        }
        sl_err_prefix(err, "%s", sh->what);
        return -1;
    }
    const sl_schema *s = sl_pq_reader_schema(r, err);
    for (int c = 0; c < sh->nsel; c++) {
        sl_field *out = &tab->schema->fields[sh->sel_out[c]];
        if (tab->cfg->ncolumns == 0) continue;   /* checked above */
        if (!sl_pqs_can_convert(s->fields[c].type, out->type))
            return sl_err_set(err, SL_ETYPE, "%s: %s: column %s is %s, which does not convert to %s without loss; "
                              "set its type in columns: to %s (or a wider type)", sh->what, f->rel, out->name,
                              sl_pqs_tname(s->fields[c].type, ta), sl_pqs_tname(out->type, tb),
                              sl_pqs_tname(s->fields[c].type, ta));
    }
    return 0;
}

/* Hive values must parse as their column's type (checked once, here). */
static int sl_pqs_check_hive(sl_source_table *tab, sl_pqs_shared *sh, sl_err *err)
{
    sl_schema *one = sl_schema_new(1);
    int rc = 0;
    for (int k = 0; k < sh->nhive && rc == 0; k++) {
        if (sh->hive_out[k] < 0) continue;
        const sl_field *fl = &tab->schema->fields[sh->hive_out[k]];
        sl_schema_set(one, 0, fl->name, fl->type, true);
        sl_batch *b = sl_batch_new(one, 1);
        for (int i = 0; i < sh->nfiles && rc == 0; i++) {
            const char *v = sh->files[i].hive[k];
            const char *why;
            char tb[48];
            sl_batch_reset(b);
            if (!v && !fl->nullable)
                rc = sl_err_set(err, SL_EDATA, "%s: %s: partition %s is %s (NULL) but declared not nullable", sh->what,
                                sh->files[i].rel, fl->name, SL_PQS_HIVE_NULL);
            else if (v && sl_text_store(&b->cols[0], 0, v, strlen(v), &why) < 0)
                rc = sl_err_set(err, SL_EDATA, "%s: %s: partition value %s=%s is not a valid %s%s%s", sh->what,
                                sh->files[i].rel, fl->name, v, sl_pqs_tname(fl->type, tb), why ? ": " : "",
                                why ? why : "");
        }
        sl_batch_free(b);
    }
    sl_schema_free(one);
    return rc;
}

static int64_t sl_pqs_rg_bytes(const sl_pq_row_group *rg)
{
    if (rg->has_total_compressed_size && rg->total_compressed_size > 0) return rg->total_compressed_size;
    int64_t sum = 0;
    for (int c = 0; c < rg->ncolumns; c++) sum += rg->columns[c].meta.total_compressed_size;
    return sum > 0 ? sum : rg->total_byte_size;
}

/* Spans (tasks) of one file: whole, or row-group ranges of about share bytes. */
static void sl_pqs_cut(sl_pqs_shared *sh, int fi, const sl_pq_file_meta *m, int64_t share, bool split, int *nspans,
                       int *cap)
{
    sl_pqs_file *f = &sh->files[fi];
    int first = 0;
    int64_t acc = 0;
    bool cut = split && m->nrow_groups > 1 && f->size > share;
    for (int g = 0; g < m->nrow_groups; g++) {
        acc += sl_pqs_rg_bytes(&m->row_groups[g]);
        bool last = g == m->nrow_groups - 1;
        if (!last && (!cut || acc < share)) continue;
        if (*nspans == *cap) {
            *cap = *cap ? *cap * 2 : 16;
            sh->spans = sl_realloc(sh->spans, (size_t)*cap * sizeof *sh->spans);
        }
        sh->spans[(*nspans)++] = (sl_pqs_span){ fi, first, g - first + 1 };
        first = g + 1;
        acc = 0;
    }
    if (m->nrow_groups == 0) {   /* no rows at all: still one task, so the file is checked and the table exists */
        if (*nspans == *cap) {
            *cap = *cap ? *cap * 2 : 16;
            sh->spans = sl_realloc(sh->spans, (size_t)*cap * sizeof *sh->spans);
        }
        sh->spans[(*nspans)++] = (sl_pqs_span){ fi, 0, 0 };
    }
}

static int sl_pqs_prepare(sl_source_table *tab, sl_err *err)
{
    const sl_job_table *cfg = tab->cfg;
    const sl_job_source *src = cfg->source;
    if (!src) return sl_err_set(err, SL_EJOB, "table %s: no source named %s", cfg->name, cfg->from ? cfg->from : "?");
    sl_pqs_shared *sh = sl_calloc(1, sizeof *sh);
    sh->what = sl_sprintf("table %s", cfg->name);
    const char *strategy = cfg->partition.strategy ? cfg->partition.strategy : "auto";
    sl_pq_reader *first = NULL, *r = NULL;
    if ((strcmp(strategy, "auto") && strcmp(strategy, "none")) || cfg->partition.column) {
        sl_err_set(err, SL_EJOB, "%s: a parquet source is cut into files and row groups: partition: takes only "
                   "strategy auto or none, and count", sh->what);
        goto fail;
    }
    if (!src->path) {
        sl_err_set(err, SL_EJOB, "%s: the parquet source %s has no path", sh->what, src->name);
        goto fail;
    }
    if (sl_pqs_list(sh, src, cfg, err) < 0) goto fail;

    /* Footers: the schema from the first file, every file checked against it. */
    first = sl_pqs_reader_open(sh, sh->files[0].path, err);
    if (!first) {
        sl_err_prefix(err, "%s", sh->what);
        goto fail;
    }
    if (sl_pqs_schema(tab, sh, first, err) < 0) goto fail;
    sl_schema *first_all = cfg->ncolumns ? NULL : sl_schema_copy(sl_pq_reader_schema(first, err));
    int64_t total = 0;
    for (int i = 0; i < sh->nfiles; i++) {
        sl_pqs_file *f = &sh->files[i];
        r = i == 0 ? first : sl_pqs_reader_open(sh, f->path, err);
        if (!r) {
            sl_err_prefix(err, "%s", sh->what);
            sl_schema_free(first_all);
            goto fail;
        }
        if (sl_pqs_check_file(tab, sh, i, r, i ? first_all : NULL, err) < 0) {
            sl_schema_free(first_all);
            if (r != first) sl_pq_reader_close(r);
            r = NULL;
            goto fail;
        }
        const sl_pq_file_meta *m = sl_pq_reader_meta(r);
        f->size = (int64_t)sl_pq_reader_file_size(r);
        f->nrg = m->nrow_groups;
        f->rg_rows = sl_calloc((size_t)(m->nrow_groups ? m->nrow_groups : 1), sizeof *f->rg_rows);
        for (int g = 0; g < m->nrow_groups; g++) f->rg_rows[g] = m->row_groups[g].num_rows;
        total += f->size;
        if (r != first) sl_pq_reader_close(r);
        r = NULL;
    }
    sl_schema_free(first_all);
    if (sl_pqs_check_hive(tab, sh, err) < 0) goto fail;

    /* Tasks: reopening the footers is cheap next to reading, and keeps no file open. */
    int64_t share = cfg->partition.count > 0 ? total / cfg->partition.count : SL_PQS_TASK_BYTES;
    if (share < 1) share = 1;
    bool split = strcmp(strategy, "none") != 0;
    int nspans = 0, cap = 0, nsplit = 0;
    for (int i = 0; i < sh->nfiles; i++) {
        r = i == 0 ? first : sl_pqs_reader_open(sh, sh->files[i].path, err);
        if (!r) {
            sl_err_prefix(err, "%s", sh->what);
            goto fail;
        }
        int before = nspans;
        sl_pqs_cut(sh, i, sl_pq_reader_meta(r), share, split, &nspans, &cap);
        if (nspans - before > 1) nsplit++;
        if (r != first) sl_pq_reader_close(r);
        r = NULL;
    }
    sl_pq_reader_close(first);
    first = NULL;

    tab->tasks = sl_calloc((size_t)nspans, sizeof *tab->tasks);
    tab->ntasks = nspans;
    for (int t = 0; t < nspans; t++) {
        const sl_pqs_span *sp = &sh->spans[t];
        const sl_pqs_file *f = &sh->files[sp->file];
        int64_t rows = 0;
        for (int g = sp->rg_first; g < sp->rg_first + sp->rg_count; g++) rows += f->rg_rows[g];
        tab->tasks[t].index = t;
        tab->tasks[t].est_rows = rows;
        if (sp->rg_count == f->nrg)
            tab->tasks[t].predicate = sl_strdup(f->rel);
        else
            tab->tasks[t].predicate = sl_sprintf("%s (row groups %d-%d of %d)", f->rel, sp->rg_first,
                                                 sp->rg_first + sp->rg_count - 1, f->nrg);
    }
    if (nsplit)
        tab->strategy_note = sl_sprintf("%d file%s, %d task%s: %d file%s over %" PRId64 " MiB cut into row-group "
                                        "ranges", sh->nfiles, sh->nfiles == 1 ? "" : "s", nspans, nspans == 1 ? "" : "s",
                                        nsplit, nsplit == 1 ? "" : "s", (share + (1 << 20) - 1) >> 20);
    else
        tab->strategy_note = sl_sprintf(sh->nfiles == 1 ? "one task for %d file" : "one task per file (%d files)",
                                        sh->nfiles);
    tab->shared = sh;
    return 0;
fail:
    sl_pq_reader_close(first);
    sl_schema_free(tab->schema);
    tab->schema = NULL;
    sl_pqs_shared_free(sh);
    return -1;
}

static void sl_pqs_finish(sl_source_table *tab)
{
    sl_pqs_shared_free(tab->shared);
    tab->shared = NULL;
}

/* ---- tasks ---- */

typedef struct sl_pqs_reader {
    const sl_pqs_shared *sh;
    const sl_schema *schema;     /* the table's */
    const sl_pqs_file *file;
    sl_pq_reader *r;
    sl_vector *view;             /* the vectors lent to the reader, per selected column */
    bool *convert;               /* per selected column: read into scratch, then convert */
    bool *check_null;            /* per selected column: the table says not nullable, the file may hold NULLs */
    sl_i128 *scale_by;           /* decimal conversions: 10^(scale difference) */
    sl_batch *scratch;           /* the file's types, for converted columns */
    sl_batch *hive;              /* one row: the partition values of this file */
    int64_t row0;                /* the file's row number of the next row read */
    int64_t rows_left;           /* only partition columns read: rows still to give */
} sl_pqs_reader;

static void sl_pqs_close(void *reader)
{
    sl_pqs_reader *pr = reader;
    if (!pr) return;
    sl_pq_reader_close(pr->r);
    if (pr->hive) {
        const sl_schema *hs = pr->hive->schema;
        sl_batch_free(pr->hive);
        sl_schema_free((sl_schema *)hs);
    }
    sl_batch_free(pr->scratch);
    sl_free(pr->view);
    sl_free(pr->convert);
    sl_free(pr->check_null);
    sl_free(pr->scale_by);
    sl_free(pr);
}

static void *sl_pqs_open(sl_source_table *tab, const sl_task *task, sl_err *err)
{
    const sl_pqs_shared *sh = tab->shared;
    const sl_pqs_span *sp = &sh->spans[task->index];
    sl_pqs_reader *pr = sl_calloc(1, sizeof *pr);
    pr->sh = sh;
    pr->schema = tab->schema;
    pr->file = &sh->files[sp->file];
    char ta[48], tb[48];
    pr->r = sl_pqs_reader_open(sh, pr->file->path, err);
    if (!pr->r) goto fail;
    if ((int64_t)sl_pq_reader_file_size(pr->r) != pr->file->size) {
        sl_err_set(err, SL_ESOURCE, "%s changed since the table was prepared (%lld bytes, then %lld); run again",
                   pr->file->path, (long long)pr->file->size, (long long)sl_pq_reader_file_size(pr->r));
        goto fail;
    }
    if ((sh->nsel && sl_pq_reader_select(pr->r, sh->sel, sh->nsel, err) < 0) ||
        sl_pq_reader_row_groups(pr->r, sp->rg_first, sp->rg_count, err) < 0)
        goto fail;
    const sl_schema *fs = sh->nsel ? sl_pq_reader_schema(pr->r, err) : NULL;
    int n = sh->nsel ? sh->nsel : 1;
    pr->view = sl_calloc((size_t)n, sizeof *pr->view);
    pr->convert = sl_calloc((size_t)n, sizeof *pr->convert);
    pr->check_null = sl_calloc((size_t)n, sizeof *pr->check_null);
    pr->scale_by = sl_calloc((size_t)n, sizeof *pr->scale_by);
    for (int c = 0; c < sh->nsel; c++) {
        const sl_field *out = &tab->schema->fields[sh->sel_out[c]];
        sl_type ft = fs->fields[c].type;
        if (!sl_pqs_can_convert(ft, out->type)) {
            sl_err_set(err, SL_ETYPE, "%s: column %s is %s now, the table reads it as %s; run again", pr->file->path,
                       out->name, sl_pqs_tname(ft, ta), sl_pqs_tname(out->type, tb));
            goto fail;
        }
        pr->convert[c] = !sl_pqs_same_type(ft, out->type);
        pr->check_null[c] = !out->nullable && fs->fields[c].nullable;
        sl_i128 k = 1;
        if (out->type.id == SL_T_DECIMAL)
            for (int i = ft.id == SL_T_DECIMAL ? ft.scale : 0; i < out->type.scale; i++) k *= 10;
        pr->scale_by[c] = k;
    }
    for (int g = 0; g < sp->rg_first; g++) pr->row0 += pr->file->rg_rows[g];
    for (int g = sp->rg_first; g < sp->rg_first + sp->rg_count; g++) pr->rows_left += pr->file->rg_rows[g];
    if (sh->nhive) {
        sl_schema *hs = sl_schema_new(sh->nhive);
        for (int k = 0; k < sh->nhive; k++) {
            sl_type t = { .id = SL_T_STRING };
            if (sh->hive_out[k] >= 0) t = tab->schema->fields[sh->hive_out[k]].type;
            sl_schema_set(hs, k, sh->hive_keys[k], t, true);
        }
        pr->hive = sl_batch_new(hs, 1);
        for (int k = 0; k < sh->nhive; k++) {
            const char *v = pr->file->hive[k], *why;
            if (!v) sl_vec_set_null(&pr->hive->cols[k], 0);
            else if (sl_text_store(&pr->hive->cols[k], 0, v, strlen(v), &why) < 0) {
                sl_err_set(err, SL_EDATA, "%s: partition value %s=%s does not parse", pr->file->path,
                           sh->hive_keys[k], v);
                goto fail;
            }
        }
        pr->hive->nrows = 1;
    }
    return pr;
fail:
    sl_pqs_close(pr);
    return NULL;
}

/* One value of a converted column, from the file's type to the table's. */
static void sl_pqs_convert_one(const sl_vector *src, sl_vector *dst, size_t row, sl_i128 scale_by)
{
    if (!src->valid[row]) {
        sl_vec_set_null(dst, row);
        return;
    }
    int64_t i = 0;
    switch (src->type.id) {
    case SL_T_INT16: { int16_t x; memcpy(&x, src->data + row * 2, 2); i = x; break; }
    case SL_T_INT32: { int32_t x; memcpy(&x, src->data + row * 4, 4); i = x; break; }
    case SL_T_INT64: memcpy(&i, src->data + row * 8, 8); break;
    default: break;
    }
    switch (dst->type.id) {
    case SL_T_INT32: { int32_t y = (int32_t)i; memcpy(sl_vec_slot(dst, row), &y, 4); return; }
    case SL_T_INT64: memcpy(sl_vec_slot(dst, row), &i, 8); return;
    case SL_T_FLOAT64: {
        double d;
        if (src->type.id == SL_T_FLOAT32) {
            float f;
            memcpy(&f, src->data + row * 4, 4);
            d = f;
        } else {
            d = (double)i;
        }
        memcpy(sl_vec_slot(dst, row), &d, 8);
        return;
    }
    case SL_T_DECIMAL: {
        sl_i128 x = i;
        if (src->type.id == SL_T_DECIMAL) {
            if (src->width == 8) {
                int64_t y;
                memcpy(&y, src->data + row * 8, 8);
                x = y;
            } else {
                memcpy(&x, src->data + row * 16, 16);
            }
        }
        x *= scale_by;   /* fits: the table's type has at least as many digits on both sides */
        if (dst->width == 8) {
            int64_t y = (int64_t)x;
            memcpy(sl_vec_slot(dst, row), &y, 8);
        } else {
            memcpy(sl_vec_slot(dst, row), &x, 16);
        }
        return;
    }
    case SL_T_STRING: {
        if (sl_type_is_varlen(src->type)) {
            size_t len;
            const uint8_t *p = sl_vec_bytes(src, row, &len);
            sl_vec_set_bytes(dst, row, p, len);
        } else {
            char buf[128];
            size_t len = sl_format_fixed(src, row, buf);
            sl_vec_set_bytes(dst, row, buf, len);
        }
        return;
    }
    default:
        return;   /* sl_pqs_can_convert allows nothing else */
    }
}

static long sl_pqs_next(void *reader, sl_batch *batch, sl_err *err)
{
    sl_pqs_reader *pr = reader;
    const sl_pqs_shared *sh = pr->sh;
    sl_batch_reset(batch);
    bool any_convert = false;
    for (int c = 0; c < sh->nsel; c++) any_convert |= pr->convert[c];
    if (any_convert && (!pr->scratch || pr->scratch->capacity != batch->capacity)) {
        sl_batch_free(pr->scratch);
        pr->scratch = sl_batch_new(sl_pq_reader_schema(pr->r, err), batch->capacity);
    }
    /* Lend the batch's own vectors to the reader: values are decoded in place. */
    for (int c = 0; c < sh->nsel; c++)
        pr->view[c] = pr->convert[c] ? pr->scratch->cols[c] : batch->cols[sh->sel_out[c]];
    int64_t n;
    if (sh->nsel == 0) {
        /* Only partition columns: the rows are counted from the footer. */
        n = pr->rows_left < (int64_t)batch->capacity ? pr->rows_left : (int64_t)batch->capacity;
    } else {
        sl_batch view = { .schema = sl_pq_reader_schema(pr->r, err), .ncols = sh->nsel,
                          .capacity = batch->capacity, .cols = pr->view };
        n = sl_pq_reader_next(pr->r, &view, err);
        for (int c = 0; c < sh->nsel; c++) {
            if (pr->convert[c]) pr->scratch->cols[c] = pr->view[c];
            else batch->cols[sh->sel_out[c]] = pr->view[c];
        }
        if (n < 0) return -1;
    }
    for (int c = 0; c < sh->nsel; c++) {
        sl_vector *dst = &batch->cols[sh->sel_out[c]];
        if (pr->convert[c])
            for (size_t row = 0; row < (size_t)n; row++) sl_pqs_convert_one(&pr->scratch->cols[c], dst, row, pr->scale_by[c]);
        if (pr->check_null[c])
            for (size_t row = 0; row < (size_t)n; row++)
                if (!dst->valid[row])
                    return sl_err_set(err, SL_EDATA, "%s: row %lld: column %s: NULL in a column declared not "
                                      "nullable (drop nullable: false from columns:)", pr->file->path,
                                      (long long)(pr->row0 + (int64_t)row), pr->schema->fields[sh->sel_out[c]].name);
    }
    for (int k = 0; k < sh->nhive; k++) {
        if (sh->hive_out[k] < 0) continue;
        const sl_vector *src = &pr->hive->cols[k];
        sl_vector *dst = &batch->cols[sh->hive_out[k]];
        for (size_t row = 0; row < (size_t)n; row++) {
            if (!src->valid[0]) {
                sl_vec_set_null(dst, row);
            } else if (sl_type_is_varlen(src->type)) {
                size_t len;
                const uint8_t *p = sl_vec_bytes(src, 0, &len);
                sl_vec_set_bytes(dst, row, p, len);
            } else {
                memcpy(sl_vec_slot(dst, row), src->data, src->width);
            }
        }
    }
    pr->row0 += n;
    pr->rows_left -= n;
    batch->nrows = (size_t)n;
    return (long)n;
}

/* The file this task read: size, mtime (local files) and the CRC-32 of its
 * footer, read anyway when the reader opened it. */
static char *sl_pqs_identity(void *reader)
{
    sl_pqs_reader *pr = reader;
    char extra[48];
    snprintf(extra, sizeof extra, "\"footer_crc32\": \"%08x\"", sl_pq_reader_footer_crc(pr->r));
    sl_buf b = { 0 };
    sl_buf_printf(&b, "{\"kind\": \"parquet\", \"files\": [");
    if (pr->sh->rfs || sl_source_file_entry(&b, pr->file->path, -1, extra) < 0) {
        sl_buf_printf(&b, "{\"path\": ");
        sl_buf_json_str(&b, pr->file->path, strlen(pr->file->path));
        sl_buf_printf(&b, ", \"size\": %lld, %s}", (long long)pr->file->size, extra);
    }
    sl_buf_printf(&b, "]}");
    sl_buf_push(&b, 0);
    return (char *)b.data;
}

const sl_source_ops sl_source_parquet = {
    .identity = sl_pqs_identity,
    .kind = "parquet",
    .prepare = sl_pqs_prepare,
    .open = sl_pqs_open,
    .next = sl_pqs_next,
    .close = sl_pqs_close,
    .finish = sl_pqs_finish,
};
