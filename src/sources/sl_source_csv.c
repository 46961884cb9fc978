/*
 * sl_source_csv.c - the csv source: delimited text files, plain, gzip or
 * zstd, streamed into batches.
 *
 * Interface: `sl_source_csv` (kind "csv"), see sl_source.h.
 * Files: the source's `path` is a directory and the table's `file:` a name
 * in it, or `path` is the file itself (no `file:`). `file:` may be a glob
 * ("orders-*.csv"): one task per matching file, in name order, all with the
 * schema of the first. Each file's header is matched to the schema by name,
 * so files may order their columns differently; a column missing from a
 * file, or (inferred schema) a column the first file lacks, is an error
 * naming both files. Each task's predicate is its file name (for `plan`).
 *
 * Options (source): delimiter (default ','), header (default true),
 * null_string (default "": an empty unquoted field is NULL; a quoted empty
 * field "" is an empty string), compression auto|none|gzip|zstd (auto: by
 * extension .gz/.zst, else by magic bytes; sl_csv_input.c). A UTF-8 BOM
 * is skipped; LF, CRLF or CR-only line ends, mixed too; RFC 4180 quoting
 * (sl_csv_parse.c); blank lines skipped.
 *
 * Schema: the table's `columns:` (name + type) when given — matched to the
 * header by name when there is a header, by position otherwise — else
 * inferred from the first 1000 records of the first file: per column the
 * first of int64, float64, decimal(38,s), date, timestamp (timestamptz when
 * every value has a zone), bool (true/false only) that every non-empty
 * value parses as, else string. float64 only when every value reads back
 * as written (so 12345678901234567 or 20-digit integers make a decimal,
 * with s the most digits after the point, or a string beyond 38 digits)
 * and one is a number (a column of only NaN/Inf words is string); 1e400 is
 * no float64. A column with no value in the sample is string. Without a header, columns are named
 * column1, column2, ...
 *
 * Bad rows (wrong field count, unterminated quote, a value that does not
 * parse as its column's type, a string or json field that is not
 * UTF-8) are SL_EFORMAT/SL_EDATA errors naming the
 * file, line and column (the engine adds the job, table and task); when
 * the table sets `rejects: path`, they go to that file instead (a CSV:
 * file,line,reason,raw; one piece per task, see sl_csv_rejects.h) and
 * reading goes on; the count is logged when the table finishes.
 *
 * Memory: one read buffer per task (1 MiB, grown only for a longer record,
 * at most 64 MiB), the reused record buffer, the batch. No per-row malloc.
 */
#include "sl_source.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"
#include "../core/sl_log.h"
#include "sl_csv_input.h"
#include "sl_csv_parse.h"
#include "sl_csv_rejects.h"
#include "sl_source_files.h"
#include "../core/sl_text_value.h"
#include "../core/sl_utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CSV_BUF_INIT (1u << 20)
#define CSV_RECORD_MAX ((size_t)64 << 20)
#define CSV_SAMPLE_ROWS 1000

typedef struct sl_csv_shared {
    char **files;
    int nfiles;
    char delim;
    bool header;
    const char *null_string;     /* NULL or "": empty unquoted field */
    const char *compression;
    int nfields;                 /* fields a record must have (0: from the first record) */
    int *colmap;                 /* schema column -> field index (in the first file) */
    bool inferred;               /* the schema is the first file's header (no columns:) */
    char *table;                 /* for messages */
    sl_csv_rejects rejects;      /* rejects.path NULL: bad rows fail the table */
} sl_csv_shared;

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

/* ---- prepare ---- */

static const sl_job_source *sl_csv_find_source(const sl_source_table *tab)
{
    if (tab->cfg->source) return tab->cfg->source;
    if (tab->job && tab->cfg->from)
        for (int i = 0; i < tab->job->nsources; i++)
            if (!strcmp(tab->job->sources[i].name, tab->cfg->from)) return &tab->job->sources[i];
    return NULL;
}

static void sl_csv_shared_free(sl_csv_shared *sh)
{
    if (!sh) return;
    sl_csv_rejects_finish(&sh->rejects, sh->nfiles);
    sl_source_files_free(sh->files, sh->nfiles);
    sl_free(sh->colmap);
    sl_free(sh->table);
    sl_free(sh);
}

enum { INF_INT = 1, INF_FLOAT = 2, INF_DATE = 4, INF_TS = 8, INF_BOOL = 16, INF_DEC = 32 };

typedef struct sl_csv_infer {
    unsigned can;        /* INF_* still possible */
    bool seen;           /* a non-null value */
    bool zone_all, zone_any;
    bool finite;         /* a float64 that is a number (not only NaN/Inf words) */
    bool inexact;        /* a value float64 would change (12345678901234567) */
    int int_digits, scale;   /* INF_DEC: the most digits before and after the point */
} sl_csv_infer;

/* [+-]digits[.digits] (or .digits): the digits before the point (leading
 * zeros left out) and after it; false for any other text. */
static bool sl_csv_plain_decimal(const char *p, size_t n, int *int_digits, int *scale)
{
    size_t i = 0;
    int before = 0, after = 0;
    bool digits = false;
    if (i < n && (p[i] == '+' || p[i] == '-')) i++;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++, digits = true)
        if (before || p[i] != '0') before++;
    if (i < n && p[i] == '.')
        for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++, digits = true) after++;
    *int_digits = before;
    *scale = after;
    return digits && i == n;
}

static void sl_csv_infer_value(sl_csv_infer *c, const char *p, size_t n)
{
    c->seen = true;
    int64_t i;
    double d;
    int32_t day;
    bool b, zone;
    if ((c->can & INF_INT) && sl_text_int64(p, n, &i) < 0) c->can &= ~INF_INT;
    if (c->can & INF_FLOAT) {
        if (sl_text_float64(p, n, &d) < 0) {
            c->can &= ~INF_FLOAT;
        } else {
            c->finite = c->finite || isfinite(d);
            c->inexact = c->inexact || !sl_text_float64_exact(p, n, d);
        }
    }
    if (c->can & INF_DEC) {
        int before, after;
        if (!sl_csv_plain_decimal(p, n, &before, &after) || before + after > 38) {
            c->can &= ~INF_DEC;
        } else {
            if (before > c->int_digits) c->int_digits = before;
            if (after > c->scale) c->scale = after;
        }
    }
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
    else if ((c->can & INF_FLOAT) && c->finite && !c->inexact) t.id = SL_T_FLOAT64;
    else if ((c->can & INF_DEC) && c->int_digits + c->scale <= 38) {
        t.id = SL_T_DECIMAL;   /* numbers float64 would change, or too big for int64: kept exactly */
        t.precision = 38;
        t.scale = c->scale;
    } else if (c->can & INF_DATE) t.id = SL_T_DATE;
    else if ((c->can & INF_TS) && (c->zone_all || !c->zone_any)) {
        t.id = SL_T_TIMESTAMP;
        t.utc = c->zone_all;
    } else if (c->can & INF_BOOL) t.id = SL_T_BOOL;
    return t;
}

/* Whether header field i is called name (an empty one is column<i+1>). */
static bool sl_csv_header_is(const sl_csv_rec *hdr, int i, const char *name)
{
    const sl_csv_field *f = &hdr->fields[i];
    if (!f->len) {
        char gen[24];
        snprintf(gen, sizeof gen, "column%d", i + 1);
        return !strcmp(gen, name);
    }
    return strlen(name) == f->len && !memcmp(hdr->text.data + f->off, name, f->len);
}

/* "a, b, c" for messages, cut after about 400 bytes. */
static void sl_csv_header_names(const sl_csv_rec *hdr, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < hdr->nfields && n < 400 && n < cap; i++) {
        const sl_csv_field *f = &hdr->fields[i];
        n += (size_t)snprintf(out + n, cap - n, "%s%.*s", i ? ", " : "", (int)(f->len > 200 ? 200 : f->len),
                              (const char *)hdr->text.data + f->off);
    }
}

/* Maps the schema's columns to the fields of file's header record, by name:
 * colmap[c] = field index. Each column must be named exactly once; with an
 * inferred schema the header may name no other column either. The files of
 * a glob may order their columns differently; the messages name the file
 * and the first file, where an inferred schema comes from. */
static int sl_csv_map_header(const sl_csv_shared *sh, const sl_schema *schema, const sl_csv_rec *hdr,
                             const char *file, int *colmap, sl_err *err)
{
    const char *first = sh->files[0];
    const bool later = strcmp(file, first) != 0;
    char names[512];
    for (int c = 0; c < schema->ncols; c++) {
        const char *name = schema->fields[c].name;
        int at = -1;
        for (int i = 0; i < hdr->nfields; i++) {
            if (!sl_csv_header_is(hdr, i, name)) continue;
            if (at >= 0)
                return sl_err_set(err, SL_EFORMAT, "%s: the header names column %s twice; rename one", file, name);
            at = i;
        }
        if (at < 0) {
            sl_csv_header_names(hdr, names, sizeof names);
            if (!later)
                return sl_err_set(err, SL_EJOB, "column %s is not in the header of %s (it has: %s)", name, file,
                                  names);
            if (sh->inferred)
                return sl_err_set(err, SL_EFORMAT, "column %s is not in the header of %s (it has: %s), but is in "
                                  "the header of %s, where the columns come from; give the files the same columns",
                                  name, file, names, first);
            return sl_err_set(err, SL_EFORMAT, "column %s, declared in columns:, is not in the header of %s "
                              "(it has: %s), though it is in the header of %s", name, file, names, first);
        }
        colmap[c] = at;
    }
    if (!sh->inferred || hdr->nfields == schema->ncols) return 0;
    for (int i = 0; i < hdr->nfields; i++) {
        bool known = false;
        for (int c = 0; c < schema->ncols && !known; c++) known = sl_csv_header_is(hdr, i, schema->fields[c].name);
        if (known) continue;
        const sl_csv_field *f = &hdr->fields[i];
        return sl_err_set(err, SL_EFORMAT, "the header of %s has column %.*s, which the header of %s, where the "
                          "columns come from, does not have; give the files the same columns, or declare the "
                          "columns to read in columns:", file, (int)(f->len > 200 ? 200 : f->len),
                          (const char *)hdr->text.data + f->off, first);
    }
    return 0;
}

static int sl_csv_prepare(sl_source_table *tab, sl_err *err)
{
    const sl_job_table *cfg = tab->cfg;
    const sl_job_source *src = sl_csv_find_source(tab);
    if (!src) return sl_err_set(err, SL_EJOB, "table %s: no source named %s", cfg->name, cfg->from ? cfg->from : "?");
    sl_csv_shared *sh = sl_calloc(1, sizeof *sh);
    sh->table = sl_sprintf("table %s", cfg->name);
    sl_csv_rejects_init(&sh->rejects, cfg->rejects, sh->table);
    sh->delim = src->delimiter ? src->delimiter : ',';
    sh->header = src->header;
    sh->null_string = src->null_string;
    sh->compression = src->compression;
    sh->inferred = cfg->ncolumns == 0;
    sl_csv_stream s;
    bool stream_open = false;
    sl_csv_infer *inf = NULL;
    char **hdr = NULL;
    int nhdr = 0;
    if (sh->delim == '"' || sh->delim == '\n' || sh->delim == '\r') {
        sl_err_set(err, SL_EJOB, "%s: the csv delimiter cannot be a quote or a line end", sh->table);
        goto fail;
    }
    if (sl_source_list_files(sh->table, src->path ? src->path : src->url, cfg->file, &sh->files, &sh->nfiles, err) < 0)
        goto fail;

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
    /* Names Parquet readers would take for one (DuckDB and Spark ignore case). */
    for (int i = 0; i < nhdr && cfg->ncolumns == 0; i++)
        for (int j = 0; j < i; j++)
            if (!strcasecmp(hdr[i], hdr[j])) {
                if (!strcmp(hdr[i], hdr[j]))
                    sl_err_set(err, SL_EFORMAT, "%s: %s: the header names column %s twice; rename one, or declare "
                               "the columns to read in columns:", sh->table, sh->files[0], hdr[i]);
                else
                    sl_err_set(err, SL_EFORMAT, "%s: %s: the header names columns %s and %s, which differ only in "
                               "case (readers such as DuckDB and Spark take them for one); rename one, or declare "
                               "the columns to read in columns:", sh->table, sh->files[0], hdr[j], hdr[i]);
                goto fail;
            }

    if (cfg->ncolumns > 0) {
        tab->schema = sl_schema_new(cfg->ncolumns);
        sh->colmap = sl_calloc((size_t)cfg->ncolumns, sizeof *sh->colmap);
        for (int c = 0; c < cfg->ncolumns; c++) {
            sl_schema_set(tab->schema, c, cfg->columns[c].name, cfg->columns[c].type, cfg->columns[c].nullable);
            sh->colmap[c] = c;
        }
        if (sh->header && nhdr && sl_csv_map_header(sh, tab->schema, &s.rec, sh->files[0], sh->colmap, err) < 0) {
            sl_err_prefix(err, "%s", sh->table);
            goto fail;
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
            inf[i].can = INF_INT | INF_FLOAT | INF_DEC | INF_DATE | INF_TS | INF_BOOL;
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
    /* Which files, for the receipts (their content hash is not taken: it would need a second read). */
    sl_free(tab->snapshot);
    tab->snapshot = sl_source_files_identity("csv", sh->files, sh->nfiles, NULL);
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
    int *colmap;         /* schema column -> field index in this file (by its header) */
    int nfields;         /* fields each record of this file has */
    sl_csv_rejects_piece rejects;
} sl_csv_reader;

static void sl_csv_close(void *reader)
{
    sl_csv_reader *r = reader;
    if (!r) return;
    sl_csv_stream_close(&r->s);
    sl_csv_rejects_piece_abort(&r->rejects);
    sl_free(r->colmap);
    sl_free(r);
}

static void *sl_csv_open(sl_source_table *tab, const sl_task *task, sl_err *err)
{
    sl_csv_shared *sh = tab->shared;
    sl_csv_reader *r = sl_calloc(1, sizeof *r);
    r->sh = sh;
    r->schema = tab->schema;
    r->file = sh->files[task->index];
    if (sl_csv_rejects_piece_open(&sh->rejects, task->index, &r->rejects, err) < 0) {
        sl_free(r);
        return NULL;
    }
    if (sl_csv_stream_open(&r->s, r->file, sh, err) < 0) {
        sl_csv_rejects_piece_abort(&r->rejects);
        sl_free(r);
        return NULL;
    }
    r->header_done = !sh->header;
    r->colmap = sl_malloc((size_t)tab->schema->ncols * sizeof *r->colmap);
    memcpy(r->colmap, sh->colmap, (size_t)tab->schema->ncols * sizeof *r->colmap);
    r->nfields = sh->nfields;
    return r;
}

/* A bad record: into the rejects file (0) or an error (-1). */
static int sl_csv_reject(sl_csv_reader *r, const uint8_t *raw, size_t rawlen, sl_err *err)
{
    if (!r->rejects.path) {
        sl_err_prefix(err, "%s: line %lld", r->file, (long long)r->s.rec_line);
        if (err->code == SL_EFORMAT || err->code == SL_EDATA) {
            size_t n = strlen(err->msg);
            snprintf(err->msg + n, sizeof err->msg - n, " (set rejects: on the table to set bad rows aside)");
        }
        return -1;
    }
    if (sl_csv_rejects_piece_add(&r->sh->rejects, &r->rejects, r->file, r->s.rec_line, err->msg, raw, rawlen,
                                 err) < 0)
        return -1;
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
        if (rc == 0) {
            /* The whole file is read: its bad rows are safe on disk before the task commits. */
            if (sl_csv_rejects_piece_close(&r->rejects, err) < 0) return -1;
            break;
        }
        if (rc == -1) return -1;
        if (rc == -2 && !r->header_done) {
            sl_err_prefix(err, "%s: line %lld (the header)", r->file, (long long)r->s.rec_line);
            return -1;
        }
        if (rc == -2) {
            if (sl_csv_reject(r, raw, rawlen, err) < 0) return -1;
            continue;
        }
        const sl_csv_rec *rec = &r->s.rec;
        if (!r->header_done) {
            if (sl_csv_map_header(sh, r->schema, rec, r->file, r->colmap, err) < 0) return -1;
            r->nfields = rec->nfields;
            r->header_done = true;
            continue;
        }
        if (rec->nfields != r->nfields) {
            sl_err_set(err, SL_EFORMAT, "has %d fields, expected %d (%s)", rec->nfields, r->nfields,
                       rec->nfields > r->nfields ? "too many" : "too few");
            if (sl_csv_reject(r, raw, rawlen, err) < 0) return -1;
            continue;
        }
        size_t row = batch->nrows;
        int c;
        const char *why = NULL;
        for (c = 0; c < ncols; c++) {
            sl_vector *v = &batch->cols[c];
            const sl_csv_field *f = &rec->fields[r->colmap[c]];
            const uint8_t *text = rec->text.data + f->off;
            if (sl_csv_is_null(sh, f, text, v->type)) {
                if (!r->schema->fields[c].nullable) {
                    why = "NULL in a column declared not nullable";
                    break;
                }
                sl_vec_set_null(v, row);
                continue;
            }
            if (sl_text_store(v, row, (const char *)text, f->len, &why) < 0) break;
        }
        if (c < ncols) {
            const sl_csv_field *f = &rec->fields[r->colmap[c]];
            char tb[48];
            int show = f->len > 60 ? 60 : (int)f->len;
            sl_type_format(r->schema->fields[c].type, tb, sizeof tb);
            const uint8_t *ft = rec->text.data + f->off;
            char bad[160];
            if (why == sl_text_not_utf8)
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

/* The file this task read: size and mtime of the open descriptor, and the
 * CRC-32 of every byte read (as stored: compressed files by their
 * compressed bytes), computed on the way by sl_csv_input (no second read). */
static char *sl_csv_identity(void *reader)
{
    sl_csv_reader *r = reader;
    char extra[96];
    snprintf(extra, sizeof extra, "\"crc32\": \"%08x\", \"bytes_read\": %llu", r->s.in.raw_crc,
             (unsigned long long)r->s.in.raw_bytes);
    sl_buf b = { 0 };
    sl_buf_printf(&b, "{\"kind\": \"csv\", \"files\": [");
    if (sl_source_file_entry(&b, r->file, r->s.in.fd, extra) < 0) {
        sl_buf_free(&b);
        return NULL;
    }
    sl_buf_printf(&b, "]}");
    sl_buf_push(&b, 0);
    return (char *)b.data;
}

const sl_source_ops sl_source_csv = {
    .identity = sl_csv_identity,
    .kind = "csv",
    .prepare = sl_csv_prepare,
    .open = sl_csv_open,
    .next = sl_csv_next,
    .close = sl_csv_close,
    .finish = sl_csv_finish,
};
