/*
 * sl_source_csv.c - the csv source: delimited text files, plain, gzip or
 * zstd, streamed into batches.
 *
 * Interface: `sl_source_csv` (kind "csv"), see sl_source.h.
 * Files: the source's `path` is a directory and the table's `file:` a name
 * in it, or `path` is the file itself (no `file:`). `file:` may be a glob
 * ("orders-*.csv"): one task per matching file, in name order, all with the
 * schema of the first. Each task's predicate is its file name (for `plan`).
 *
 * Options (source): delimiter (default ','), header (default true),
 * null_string (default "": an empty unquoted field is NULL; a quoted empty
 * field "" is an empty string), compression auto|none|gzip|zstd (auto: by
 * extension .gz/.zst, else by magic bytes). A UTF-8 BOM is skipped; LF or
 * CRLF line ends; RFC 4180 quoting (sl_csv_parse.c); blank lines skipped.
 *
 * Schema: the table's `columns:` (name + type) when given — matched to the
 * header by name when there is a header, by position otherwise — else
 * inferred from the first 1000 records of the first file: per column the
 * first of int64, float64, date, timestamp (timestamptz when every value
 * has a zone), bool (true/false only) that every non-empty value parses as,
 * else string; decimal is never inferred (declare it). A column with no
 * value in the sample is string. Without a header, columns are named
 * column1, column2, ...
 *
 * Bad rows (wrong field count, unterminated quote, a value that does not
 * parse as its column's type, a string or json field that is not UTF-8) are SL_EFORMAT/SL_EDATA errors naming the
 * file, line and column (the engine adds the job, table and task); when the table sets `rejects: path`, they go to
 * that file instead (a CSV: file,line,reason,raw) and reading goes on; the
 * count is logged when the table finishes.
 *
 * Memory: one read buffer per task (1 MiB, grown only for a longer record,
 * at most 64 MiB), the reused record buffer, the batch. No per-row malloc.
 */
#include "sl_source.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_log.h"
#include "sl_csv_parse.h"
#include "../core/sl_text_value.h"
#include "../core/sl_utf8.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define CSV_BUF_INIT (1u << 20)
#define CSV_RECORD_MAX ((size_t)64 << 20)
#define CSV_SAMPLE_ROWS 1000

enum { CSV_PLAIN, CSV_GZIP, CSV_ZSTD };

typedef struct sl_csv_shared {
    char **files;
    int nfiles;
    char delim;
    bool header;
    const char *null_string;     /* NULL or "": empty unquoted field */
    const char *compression;
    int nfields;                 /* fields a record must have (0: from the first record) */
    int *colmap;                 /* schema column -> field index */
    char *table;                 /* for messages */
    /* rejects */
    pthread_mutex_t lock;
    FILE *rejects;
    char *rejects_path;
    uint64_t nrejected;
} sl_csv_shared;

/* ---- input: plain, gzip, zstd ---- */

typedef struct sl_csv_in {
    int kind;
    int fd;
    gzFile gz;
    ZSTD_DStream *zs;
    uint8_t *zbuf;
    size_t zcap;
    ZSTD_inBuffer zin;
    bool zeof;
    const char *path;
} sl_csv_in;

static int sl_csv_in_open(sl_csv_in *in, const char *path, const char *compression, sl_err *err)
{
    memset(in, 0, sizeof *in);
    in->fd = -1;
    in->path = path;
    in->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (in->fd < 0)
        return sl_err_set(err, errno == ENOENT ? SL_ESOURCE : SL_EIO, "cannot open %s: %s", path, strerror(errno));
    int kind = CSV_PLAIN;
    if (!compression || !strcasecmp(compression, "auto")) {
        size_t n = strlen(path);
        uint8_t magic[4] = {0};
        ssize_t got = pread(in->fd, magic, 4, 0);
        if ((n > 3 && !strcasecmp(path + n - 3, ".gz")) || (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b))
            kind = CSV_GZIP;
        else if ((n > 4 && !strcasecmp(path + n - 4, ".zst")) ||
                 (got == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd))
            kind = CSV_ZSTD;
    } else if (!strcasecmp(compression, "gzip") || !strcasecmp(compression, "gz")) {
        kind = CSV_GZIP;
    } else if (!strcasecmp(compression, "zstd") || !strcasecmp(compression, "zst")) {
        kind = CSV_ZSTD;
    } else if (strcasecmp(compression, "none")) {
        close(in->fd);
        in->fd = -1;
        return sl_err_set(err, SL_EJOB, "unknown compression '%s' for csv; use auto, none, gzip or zstd", compression);
    }
    in->kind = kind;
    if (kind == CSV_GZIP) {
        int fd2 = dup(in->fd);
        in->gz = fd2 >= 0 ? gzdopen(fd2, "rb") : NULL;
        if (!in->gz) {
            if (fd2 >= 0) close(fd2);
            return sl_err_set(err, SL_EIO, "cannot read %s as gzip", path);
        }
        gzbuffer(in->gz, 256 * 1024);
    } else if (kind == CSV_ZSTD) {
        in->zs = ZSTD_createDStream();
        ZSTD_initDStream(in->zs);
        in->zcap = ZSTD_DStreamInSize();
        in->zbuf = sl_malloc(in->zcap);
        in->zin.src = in->zbuf;
    }
    return 0;
}

/* Reads up to n bytes; 0 at the end. */
static long sl_csv_in_read(sl_csv_in *in, uint8_t *buf, size_t n, sl_err *err)
{
    if (in->kind == CSV_PLAIN) {
        for (;;) {
            ssize_t got = read(in->fd, buf, n);
            if (got >= 0) return (long)got;
            if (errno != EINTR) return sl_err_set(err, SL_EIO, "reading %s: %s", in->path, strerror(errno));
        }
    }
    if (in->kind == CSV_GZIP) {
        if (n > (1u << 30)) n = 1u << 30;
        int got = gzread(in->gz, buf, (unsigned)n);
        if (got < 0) {
            int zerr;
            const char *m = gzerror(in->gz, &zerr);
            return sl_err_set(err, SL_EFORMAT, "%s: corrupt gzip data: %s", in->path, m ? m : "?");
        }
        if (got == 0 && !gzeof(in->gz))
            return sl_err_set(err, SL_EFORMAT, "%s: gzip stream truncated", in->path);
        return got;
    }
    ZSTD_outBuffer out = { buf, n, 0 };
    while (out.pos == 0) {
        if (in->zin.pos == in->zin.size) {
            if (in->zeof) return 0;
            ssize_t got;
            do got = read(in->fd, in->zbuf, in->zcap); while (got < 0 && errno == EINTR);
            if (got < 0) return sl_err_set(err, SL_EIO, "reading %s: %s", in->path, strerror(errno));
            in->zin.size = (size_t)got;
            in->zin.pos = 0;
            if (got == 0) {
                in->zeof = true;
                return 0;
            }
        }
        size_t rc = ZSTD_decompressStream(in->zs, &out, &in->zin);
        if (ZSTD_isError(rc))
            return sl_err_set(err, SL_EFORMAT, "%s: corrupt zstd data: %s", in->path, ZSTD_getErrorName(rc));
    }
    return (long)out.pos;
}

static void sl_csv_in_close(sl_csv_in *in)
{
    if (in->gz) gzclose(in->gz);
    if (in->zs) ZSTD_freeDStream(in->zs);
    sl_free(in->zbuf);
    if (in->fd >= 0) close(in->fd);
    memset(in, 0, sizeof *in);
    in->fd = -1;
}

/* ---- a record stream over one file ---- */

typedef struct sl_csv_stream {
    sl_csv_in in;
    uint8_t *buf;
    size_t cap, len, pos;
    bool eof, started;
    int64_t line;        /* line number where the next record starts */
    int64_t rec_line;    /* line of the record just returned */
    char delim;
    sl_csv_rec rec;
} sl_csv_stream;

static int sl_csv_stream_open(sl_csv_stream *s, const char *path, const sl_csv_shared *sh, sl_err *err)
{
    memset(s, 0, sizeof *s);
    if (sl_csv_in_open(&s->in, path, sh->compression, err) < 0) return -1;
    s->cap = CSV_BUF_INIT;
    s->buf = sl_malloc(s->cap);
    s->line = 1;
    s->delim = sh->delim;
    return 0;
}

static void sl_csv_stream_close(sl_csv_stream *s)
{
    sl_csv_in_close(&s->in);
    sl_free(s->buf);
    sl_csv_rec_free(&s->rec);
}

static int sl_csv_fill(sl_csv_stream *s, sl_err *err)
{
    if (s->pos) {
        memmove(s->buf, s->buf + s->pos, s->len - s->pos);
        s->len -= s->pos;
        s->pos = 0;
    }
    if (s->len == s->cap) {
        if (s->cap >= CSV_RECORD_MAX)
            return sl_err_set(err, SL_EFORMAT, "%s: line %lld: a record longer than %zu MiB (an unterminated quote?)",
                              s->in.path, (long long)s->line, CSV_RECORD_MAX >> 20);
        s->cap *= 2;
        s->buf = sl_realloc(s->buf, s->cap);
    }
    long got = sl_csv_in_read(&s->in, s->buf + s->len, s->cap - s->len, err);
    if (got < 0) return -1;
    if (got == 0) s->eof = true;
    s->len += (size_t)got;
    if (!s->started && (s->len >= 3 || s->eof)) {
        s->started = true;
        if (s->len >= 3 && s->buf[0] == 0xef && s->buf[1] == 0xbb && s->buf[2] == 0xbf) s->pos = 3;
    }
    return 0;
}

/* Next non-empty record: 1, 0 at the end, -1 error; -2 malformed record
 * (err set; raw and rawlen: the bad bytes; the stream has moved past it). */
static int sl_csv_stream_next(sl_csv_stream *s, const uint8_t **raw, size_t *rawlen, sl_err *err)
{
    for (;;) {
        size_t used = 0;
        int rc = s->started ? sl_csv_parse(s->delim, s->buf + s->pos, s->len - s->pos, s->eof, &s->rec, &used, err) : 0;
        if (rc == 0) {
            if (s->eof && s->started) return 0;
            if (sl_csv_fill(s, err) < 0) return -1;
            continue;
        }
        s->rec_line = s->line;
        s->line += s->rec.lines;
        *raw = s->buf + s->pos;
        *rawlen = used;
        s->pos += used;
        if (rc < 0) return -2;
        if (s->rec.nfields == 0) continue;   /* blank line */
        return 1;
    }
}

/* ---- values ---- */

static bool sl_csv_is_null(const sl_csv_shared *sh, const sl_csv_field *f, const uint8_t *text, sl_type t)
{
    if (f->quoted) return false;
    if (f->len == 0) return !sh->null_string || !*sh->null_string || !sl_type_is_varlen(t);
    return sh->null_string && *sh->null_string && strlen(sh->null_string) == f->len &&
           !memcmp(text, sh->null_string, f->len);
}

/* The *why of a string field that is not UTF-8 (the message says where). */
static const char sl_csv_not_utf8[] = "not UTF-8";

/* Stores one field into v at row; -1 with a reason in *why. */
static int sl_csv_store(sl_vector *v, size_t row, const char *p, size_t n, const char **why)
{
    *why = NULL;   /* NULL: simply not a value of the type */
    switch (v->type.id) {
    case SL_T_STRING:
    case SL_T_JSON:
        if (sl_utf8_check((const uint8_t *)p, n) != n) {
            *why = sl_csv_not_utf8;
            return -1;
        }
        sl_vec_set_bytes(v, row, p, n);
        return 0;
    case SL_T_BYTES:
        sl_vec_set_bytes(v, row, p, n);
        return 0;
    case SL_T_BOOL: {
        bool b;
        if (sl_text_bool(p, n, &b) < 0) return -1;
        *(uint8_t *)sl_vec_slot(v, row) = b;
        return 0;
    }
    case SL_T_INT16:
    case SL_T_INT32:
    case SL_T_INT64: {
        int64_t x;
        if (sl_text_int64(p, n, &x) < 0) return -1;
        if (v->type.id == SL_T_INT16) {
            if (x < INT16_MIN || x > INT16_MAX) { *why = "out of range for int16"; return -1; }
            int16_t y = (int16_t)x;
            memcpy(sl_vec_slot(v, row), &y, 2);
        } else if (v->type.id == SL_T_INT32) {
            if (x < INT32_MIN || x > INT32_MAX) { *why = "out of range for int32"; return -1; }
            int32_t y = (int32_t)x;
            memcpy(sl_vec_slot(v, row), &y, 4);
        } else {
            memcpy(sl_vec_slot(v, row), &x, 8);
        }
        return 0;
    }
    case SL_T_FLOAT32:
    case SL_T_FLOAT64: {
        double d;
        if (sl_text_float64(p, n, &d) < 0) return -1;
        if (v->type.id == SL_T_FLOAT32) {
            float f = (float)d;
            memcpy(sl_vec_slot(v, row), &f, 4);
        } else {
            memcpy(sl_vec_slot(v, row), &d, 8);
        }
        return 0;
    }
    case SL_T_DECIMAL: {
        sl_i128 x;
        if (sl_text_decimal(p, n, v->type.precision, v->type.scale, &x, why) < 0) return -1;
        if (v->width == 8) {
            int64_t y = (int64_t)x;
            memcpy(sl_vec_slot(v, row), &y, 8);
        } else {
            memcpy(sl_vec_slot(v, row), &x, 16);
        }
        return 0;
    }
    case SL_T_DATE: {
        int32_t d;
        if (sl_text_date(p, n, &d) < 0) return -1;
        memcpy(sl_vec_slot(v, row), &d, 4);
        return 0;
    }
    case SL_T_TIME: {
        int64_t t;
        if (sl_text_time(p, n, &t) < 0) return -1;
        memcpy(sl_vec_slot(v, row), &t, 8);
        return 0;
    }
    case SL_T_TIMESTAMP: {
        int64_t t;
        bool zone;
        if (sl_text_timestamp(p, n, &t, &zone) < 0) return -1;
        memcpy(sl_vec_slot(v, row), &t, 8);
        return 0;
    }
    case SL_T_UUID:
        if (sl_text_uuid(p, n, sl_vec_slot(v, row)) < 0) return -1;
        return 0;
    default:
        return -1;
    }
}

/* ---- prepare ---- */

static const sl_job_source *sl_csv_find_source(const sl_source_table *tab)
{
    if (tab->cfg->source) return tab->cfg->source;
    if (tab->job && tab->cfg->from)
        for (int i = 0; i < tab->job->nsources; i++)
            if (!strcmp(tab->job->sources[i].name, tab->cfg->from)) return &tab->job->sources[i];
    return NULL;
}

static int sl_csv_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int sl_csv_list_files(sl_csv_shared *sh, const char *base, const char *file, sl_err *err)
{
    if (!file) {
        struct stat st;
        if (!base || stat(base, &st) < 0)
            return sl_err_set(err, SL_ESOURCE, "%s: input %s does not exist", sh->table, base ? base : "(no path)");
        if (S_ISDIR(st.st_mode))
            return sl_err_set(err, SL_EJOB, "%s: source path %s is a directory; set the table's file: (a name or glob in it)",
                              sh->table, base);
        sh->files = sl_calloc(1, sizeof *sh->files);
        sh->files[0] = sl_strdup(base);
        sh->nfiles = 1;
        return 0;
    }
    char *full = (file[0] == '/' || !base) ? sl_strdup(file) : sl_sprintf("%s/%s", base, file);
    if (!strpbrk(file, "*?[")) {
        sh->files = sl_calloc(1, sizeof *sh->files);
        sh->files[0] = full;
        sh->nfiles = 1;
        struct stat st;
        if (stat(full, &st) < 0)
            return sl_err_set(err, SL_ESOURCE, "%s: input file %s does not exist", sh->table, full);
        return 0;
    }
    char *slash = strrchr(full, '/');
    char *dir = slash ? sl_strndup(full, (size_t)(slash - full)) : sl_strdup(".");
    const char *pattern = slash ? slash + 1 : full;
    if (strpbrk(dir, "*?[")) {
        sl_free(dir);
        sl_free(full);
        return sl_err_set(err, SL_EJOB, "%s: a glob may only match file names, not directories (%s)", sh->table, file);
    }
    DIR *dh = opendir(*dir ? dir : "/");
    if (!dh) {
        sl_err_set(err, SL_ESOURCE, "%s: cannot list %s: %s", sh->table, dir, strerror(errno));
        sl_free(dir);
        sl_free(full);
        return -1;
    }
    struct dirent *de;
    int cap = 0;
    while ((de = readdir(dh))) {
        if (de->d_name[0] == '.' || fnmatch(pattern, de->d_name, 0)) continue;
        if (sh->nfiles == cap) {
            cap = cap ? cap * 2 : 8;
            sh->files = sl_realloc(sh->files, (size_t)cap * sizeof *sh->files);
        }
        sh->files[sh->nfiles++] = sl_sprintf("%s/%s", dir, de->d_name);
    }
    closedir(dh);
    sl_free(dir);
    sl_free(full);
    if (!sh->nfiles) return sl_err_set(err, SL_ESOURCE, "%s: no file matches %s", sh->table, file);
    qsort(sh->files, (size_t)sh->nfiles, sizeof *sh->files, sl_csv_cmp);
    return 0;
}

static void sl_csv_shared_free(sl_csv_shared *sh)
{
    if (!sh) return;
    for (int i = 0; i < sh->nfiles; i++) sl_free(sh->files[i]);
    sl_free(sh->files);
    sl_free(sh->colmap);
    sl_free(sh->table);
    if (sh->rejects) fclose(sh->rejects);
    sl_free(sh->rejects_path);
    pthread_mutex_destroy(&sh->lock);
    sl_free(sh);
}

enum { INF_INT = 1, INF_FLOAT = 2, INF_DATE = 4, INF_TS = 8, INF_BOOL = 16 };

typedef struct sl_csv_infer {
    unsigned can;        /* INF_* still possible */
    bool seen;           /* a non-null value */
    bool zone_all, zone_any;
} sl_csv_infer;

static void sl_csv_infer_value(sl_csv_infer *c, const char *p, size_t n)
{
    c->seen = true;
    int64_t i;
    double d;
    int32_t day;
    bool b, zone;
    if ((c->can & INF_INT) && sl_text_int64(p, n, &i) < 0) c->can &= ~INF_INT;
    if ((c->can & INF_FLOAT) && sl_text_float64(p, n, &d) < 0) c->can &= ~INF_FLOAT;
    if ((c->can & INF_DATE) && sl_text_date(p, n, &day) < 0) c->can &= ~INF_DATE;
    if (c->can & INF_TS) {
        if (sl_text_timestamp(p, n, &i, &zone) < 0) {
            c->can &= ~INF_TS;
        } else {
            c->zone_all = c->zone_all && zone;
            c->zone_any = c->zone_any || zone;
        }
    }
    if ((c->can & INF_BOOL) && !((n == 4 && !strncasecmp(p, "true", 4)) || (n == 5 && !strncasecmp(p, "false", 5))))
        c->can &= ~INF_BOOL;
    (void)b;
}

static sl_type sl_csv_infer_type(const sl_csv_infer *c)
{
    sl_type t = {0};
    t.id = SL_T_STRING;
    if (!c->seen) return t;
    if (c->can & INF_INT) t.id = SL_T_INT64;
    else if (c->can & INF_FLOAT) t.id = SL_T_FLOAT64;
    else if (c->can & INF_DATE) t.id = SL_T_DATE;
    else if ((c->can & INF_TS) && (c->zone_all || !c->zone_any)) {
        t.id = SL_T_TIMESTAMP;
        t.utc = c->zone_all;
    } else if (c->can & INF_BOOL) t.id = SL_T_BOOL;
    return t;
}

static int sl_csv_prepare(sl_source_table *tab, sl_err *err)
{
    const sl_job_table *cfg = tab->cfg;
    const sl_job_source *src = sl_csv_find_source(tab);
    if (!src) return sl_err_set(err, SL_EJOB, "table %s: no source named %s", cfg->name, cfg->from ? cfg->from : "?");
    sl_csv_shared *sh = sl_calloc(1, sizeof *sh);
    pthread_mutex_init(&sh->lock, NULL);
    sh->table = sl_sprintf("table %s", cfg->name);
    sh->delim = src->delimiter ? src->delimiter : ',';
    sh->header = src->header;
    sh->null_string = src->null_string;
    sh->compression = src->compression;
    sl_csv_stream s;
    bool stream_open = false;
    sl_csv_infer *inf = NULL;
    char **hdr = NULL;
    int nhdr = 0;
    if (sh->delim == '"' || sh->delim == '\n' || sh->delim == '\r') {
        sl_err_set(err, SL_EJOB, "%s: the csv delimiter cannot be a quote or a line end", sh->table);
        goto fail;
    }
    if (sl_csv_list_files(sh, src->path ? src->path : src->url, cfg->file, err) < 0) goto fail;

    /* Header and sample of the first file. */
    if (sl_csv_stream_open(&s, sh->files[0], sh, err) < 0) goto fail;
    stream_open = true;
    const uint8_t *raw;
    size_t rawlen;
    int rc = sl_csv_stream_next(&s, &raw, &rawlen, err);
    if (rc == -1) goto fail;
    if (rc == -2) {
        sl_err_prefix(err, "%s: %s: line %lld", sh->table, sh->files[0], (long long)s.rec_line);
        goto fail;
    }
    if (rc == 1) {
        nhdr = s.rec.nfields;
        hdr = sl_calloc((size_t)nhdr, sizeof *hdr);
        for (int i = 0; i < nhdr; i++) {
            if (sh->header) {
                const sl_csv_field *f = &s.rec.fields[i];
                hdr[i] = f->len ? sl_strndup((const char *)s.rec.text.data + f->off, f->len) : sl_sprintf("column%d", i + 1);
            } else {
                hdr[i] = sl_sprintf("column%d", i + 1);
            }
        }
    } else if (sh->header) {
        if (cfg->ncolumns == 0) {
            sl_err_set(err, SL_EFORMAT, "%s: %s is empty: no header line to take the columns from; "
                       "declare them in columns:", sh->table, sh->files[0]);
            goto fail;
        }
    }
    for (int i = 0; i < nhdr; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(hdr[i], hdr[j]) && cfg->ncolumns == 0) {
                sl_err_set(err, SL_EFORMAT, "%s: %s: the header names column %s twice; declare the columns in columns:",
                           sh->table, sh->files[0], hdr[i]);
                goto fail;
            }

    if (cfg->ncolumns > 0) {
        tab->schema = sl_schema_new(cfg->ncolumns);
        sh->colmap = sl_calloc((size_t)cfg->ncolumns, sizeof *sh->colmap);
        for (int c = 0; c < cfg->ncolumns; c++) {
            sl_schema_set(tab->schema, c, cfg->columns[c].name, cfg->columns[c].type, cfg->columns[c].nullable);
            if (sh->header && nhdr) {
                int at = -1;
                for (int i = 0; i < nhdr; i++)
                    if (!strcmp(hdr[i], cfg->columns[c].name)) at = i;
                if (at < 0) {
                    sl_buf names = {0};
                    for (int i = 0; i < nhdr && names.len < 400; i++) {
                        if (i) sl_buf_append(&names, ", ", 2);
                        sl_buf_append(&names, hdr[i], strlen(hdr[i]));
                    }
                    sl_buf_push(&names, 0);
                    sl_err_set(err, SL_EJOB, "%s: column %s is not in the header of %s (it has: %s)",
                               sh->table, cfg->columns[c].name, sh->files[0], (char *)names.data);
                    sl_buf_free(&names);
                    goto fail;
                }
                sh->colmap[c] = at;
            } else {
                sh->colmap[c] = c;
            }
        }
        sh->nfields = nhdr ? nhdr : cfg->ncolumns;
        if (!sh->header && nhdr && nhdr != cfg->ncolumns) {
            sl_err_set(err, SL_EFORMAT, "%s: %s: line %lld has %d fields but columns: declares %d",
                       sh->table, sh->files[0], (long long)s.rec_line, nhdr, cfg->ncolumns);
            goto fail;
        }
    } else {
        if (!nhdr) {
            sl_err_set(err, SL_EFORMAT, "%s: %s is empty: cannot infer its columns; declare them in columns:",
                       sh->table, sh->files[0]);
            goto fail;
        }
        inf = sl_calloc((size_t)nhdr, sizeof *inf);
        for (int i = 0; i < nhdr; i++) {
            inf[i].can = INF_INT | INF_FLOAT | INF_DATE | INF_TS | INF_BOOL;
            inf[i].zone_all = true;
        }
        int sampled = 0;
        bool first_is_data = !sh->header;
        while (sampled < CSV_SAMPLE_ROWS) {
            if (!first_is_data) {
                rc = sl_csv_stream_next(&s, &raw, &rawlen, err);
                if (rc == 0) break;
                if (rc == -1) goto fail;
                if (rc == -2) {
                    if (cfg->rejects) { sl_err_clear(err); continue; }
                    sl_err_prefix(err, "%s: %s: line %lld", sh->table, sh->files[0], (long long)s.rec_line);
                    goto fail;
                }
            }
            first_is_data = false;
            if (s.rec.nfields != nhdr) continue;   /* reported when the rows are read */
            for (int i = 0; i < nhdr; i++) {
                const sl_csv_field *f = &s.rec.fields[i];
                const uint8_t *text = s.rec.text.data + f->off;
                sl_type str = { .id = SL_T_STRING };
                if (sl_csv_is_null(sh, f, text, str) || (!f->quoted && f->len == 0)) continue;
                sl_csv_infer_value(&inf[i], (const char *)text, f->len);
            }
            sampled++;
        }
        tab->schema = sl_schema_new(nhdr);
        sh->colmap = sl_calloc((size_t)nhdr, sizeof *sh->colmap);
        for (int i = 0; i < nhdr; i++) {
            sl_schema_set(tab->schema, i, hdr[i], sl_csv_infer_type(&inf[i]), true);
            sh->colmap[i] = i;
        }
        sh->nfields = nhdr;
    }
    sl_csv_stream_close(&s);
    stream_open = false;

    if (cfg->rejects) {
        sh->rejects_path = sl_strdup(cfg->rejects);
        sh->rejects = fopen(cfg->rejects, "w");
        if (!sh->rejects) {
            sl_err_set(err, SL_EIO, "%s: cannot create the rejects file %s: %s", sh->table, cfg->rejects, strerror(errno));
            goto fail;
        }
        fputs("file,line,reason,raw\n", sh->rejects);
    }
    tab->tasks = sl_calloc((size_t)sh->nfiles, sizeof *tab->tasks);
    tab->ntasks = sh->nfiles;
    for (int i = 0; i < sh->nfiles; i++) {
        tab->tasks[i].index = i;
        const char *slash = strrchr(sh->files[i], '/');
        tab->tasks[i].predicate = sl_strdup(slash ? slash + 1 : sh->files[i]);
        tab->tasks[i].est_rows = -1;
    }
    tab->strategy_note = sl_sprintf(sh->nfiles == 1 ? "one task for %d file" : "one task per file (%d files)", sh->nfiles);
    for (int i = 0; i < nhdr; i++) sl_free(hdr[i]);
    sl_free(hdr);
    sl_free(inf);
    tab->shared = sh;
    return 0;
fail:
    if (stream_open) sl_csv_stream_close(&s);
    for (int i = 0; i < nhdr; i++) sl_free(hdr[i]);
    sl_free(hdr);
    sl_free(inf);
    sl_schema_free(tab->schema);
    tab->schema = NULL;
    sl_csv_shared_free(sh);
    return -1;
}

static void sl_csv_finish(sl_source_table *tab)
{
    sl_csv_shared *sh = tab->shared;
    if (!sh) return;
    if (sh->rejects && sh->nrejected)
        sl_log(SL_LOG_WARN, "%s: %llu malformed rows written to %s", sh->table,
               (unsigned long long)sh->nrejected, sh->rejects_path);
    sl_csv_shared_free(sh);
    tab->shared = NULL;
}

/* ---- tasks ---- */

typedef struct sl_csv_reader {
    sl_csv_shared *sh;
    const sl_schema *schema;
    const char *file;
    sl_csv_stream s;
    bool header_done;
    uint64_t rejected;
} sl_csv_reader;

static void sl_csv_close(void *reader)
{
    sl_csv_reader *r = reader;
    if (!r) return;
    sl_csv_stream_close(&r->s);
    sl_free(r);
}

static void *sl_csv_open(sl_source_table *tab, const sl_task *task, sl_err *err)
{
    sl_csv_shared *sh = tab->shared;
    sl_csv_reader *r = sl_calloc(1, sizeof *r);
    r->sh = sh;
    r->schema = tab->schema;
    r->file = sh->files[task->index];
    if (sl_csv_stream_open(&r->s, r->file, sh, err) < 0) {
        sl_free(r);
        return NULL;
    }
    r->header_done = !sh->header;
    return r;
}

static void sl_csv_put_quoted(FILE *f, const char *p, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"') fputc('"', f);
        fputc(p[i], f);
    }
    fputc('"', f);
}

/* A bad record: into the rejects file (0) or an error (-1). */
static int sl_csv_reject(sl_csv_reader *r, const uint8_t *raw, size_t rawlen, sl_err *err)
{
    sl_csv_shared *sh = r->sh;
    if (!sh->rejects) {
        sl_err_prefix(err, "%s: line %lld", r->file, (long long)r->s.rec_line);
        if (err->code == SL_EFORMAT || err->code == SL_EDATA) {
            size_t n = strlen(err->msg);
            snprintf(err->msg + n, sizeof err->msg - n, " (set rejects: on the table to set bad rows aside)");
        }
        return -1;
    }
    while (rawlen && (raw[rawlen - 1] == '\n' || raw[rawlen - 1] == '\r')) rawlen--;
    pthread_mutex_lock(&sh->lock);
    sl_csv_put_quoted(sh->rejects, r->file, strlen(r->file));
    fprintf(sh->rejects, ",%lld,", (long long)r->s.rec_line);
    sl_csv_put_quoted(sh->rejects, err->msg, strlen(err->msg));
    fputc(',', sh->rejects);
    sl_csv_put_quoted(sh->rejects, (const char *)raw, rawlen);
    fputc('\n', sh->rejects);
    sh->nrejected++;
    pthread_mutex_unlock(&sh->lock);
    r->rejected++;
    sl_err_clear(err);
    return 0;
}

static long sl_csv_next(void *reader, sl_batch *batch, sl_err *err)
{
    sl_csv_reader *r = reader;
    sl_csv_shared *sh = r->sh;
    sl_batch_reset(batch);
    const int ncols = r->schema->ncols;
    while (batch->nrows < batch->capacity) {
        const uint8_t *raw;
        size_t rawlen;
        int rc = sl_csv_stream_next(&r->s, &raw, &rawlen, err);
        if (rc == 0) break;
        if (rc == -1) return -1;
        if (rc == -2) {
            if (sl_csv_reject(r, raw, rawlen, err) < 0) return -1;
            continue;
        }
        if (!r->header_done) {
            r->header_done = true;
            continue;
        }
        const sl_csv_rec *rec = &r->s.rec;
        if (rec->nfields != sh->nfields) {
            sl_err_set(err, SL_EFORMAT, "has %d fields, expected %d (%s)", rec->nfields, sh->nfields,
                       rec->nfields > sh->nfields ? "too many" : "too few");
            if (sl_csv_reject(r, raw, rawlen, err) < 0) return -1;
            continue;
        }
        size_t row = batch->nrows;
        int c;
        const char *why = NULL;
        for (c = 0; c < ncols; c++) {
            sl_vector *v = &batch->cols[c];
            const sl_csv_field *f = &rec->fields[sh->colmap[c]];
            const uint8_t *text = rec->text.data + f->off;
            if (sl_csv_is_null(sh, f, text, v->type)) {
                if (!r->schema->fields[c].nullable) {
                    why = "NULL in a column declared not nullable";
                    break;
                }
                sl_vec_set_null(v, row);
                continue;
            }
            if (sl_csv_store(v, row, (const char *)text, f->len, &why) < 0) break;
        }
        if (c < ncols) {
            const sl_csv_field *f = &rec->fields[sh->colmap[c]];
            char tb[48];
            int show = f->len > 60 ? 60 : (int)f->len;
            sl_type_format(r->schema->fields[c].type, tb, sizeof tb);
            const uint8_t *ft = rec->text.data + f->off;
            char bad[160];
            if (why == sl_csv_not_utf8)
                sl_err_set(err, SL_EDATA, "column %s: %s; the file is not UTF-8: convert it (e.g. iconv -f latin1 "
                           "-t utf-8) or declare the column as bytes in columns:", r->schema->fields[c].name,
                           sl_utf8_describe(ft, f->len, sl_utf8_check(ft, f->len), bad, sizeof bad));
            else if (why && !strncmp(why, "NULL", 4))
                sl_err_set(err, SL_EDATA, "column %s: %s", r->schema->fields[c].name, why);
            else
                sl_err_set(err, SL_EDATA, "column %s: value '%.*s%s' is not a valid %s%s%s", r->schema->fields[c].name,
                           show, (const char *)rec->text.data + f->off, f->len > 60 ? "..." : "", tb,
                           why ? ": " : "", why ? why : "");
            if (sl_csv_reject(r, raw, rawlen, err) < 0) return -1;
            continue;
        }
        batch->nrows = row + 1;
    }
    return (long)batch->nrows;
}

const sl_source_ops sl_source_csv = {
    .kind = "csv",
    .prepare = sl_csv_prepare,
    .open = sl_csv_open,
    .next = sl_csv_next,
    .close = sl_csv_close,
    .finish = sl_csv_finish,
};
