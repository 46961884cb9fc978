/*
 * sl_cmd_cat.c - `sluice cat FILE [--columns a,b] [--limit N]
 * [--format csv|json] [--where "col op value"]`: prints a Parquet file's
 * rows through the Parquet reader.
 *
 * CSV (default): a header line, then RFC 4180 rows; NULL is an empty
 * unquoted field, an empty string is "" (quoted). JSON: one object per line.
 * Values use the shared text forms of core/sl_types.h; bytes print as \x and
 * hex digits. --where filters rows (and lets the reader skip row groups by
 * their statistics). Exit status 0 done, 1 bad file, 2 usage.
 */
#include "sl_cli.h"

#include "core/sl_alloc.h"
#include "core/sl_error.h"
#include "core/sl_list_text.h"
#include "core/sl_types.h"
#include "parquet/sl_pq_reader.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char sl_cat_usage[] =
    "usage: sluice cat FILE [--columns a,b] [--limit N] [--format csv|json] [--where \"col op value\"]\n"
    "\n"
    "Prints the rows of a Parquet file.\n"
    "  --columns a,b     only these top-level columns, in this order (default: all)\n"
    "  --limit N         at most N rows\n"
    "  --format csv      CSV with a header line (RFC 4180; NULL is an empty field, '' is \"\")\n"
    "  --format json     one JSON object per line (NULL is null)\n"
    "  --where \"c op v\"  only rows where column c compares to v (op: = != < <= > >=);\n"
    "                    row groups whose statistics exclude it are not read\n"
    "Bytes print as \\x followed by hex digits. Exit status: 0 done, 1 bad file, 2 usage.\n";

static void sl_put_hex(FILE *f, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    fputs("\\x", f);
    for (size_t i = 0; i < n; i++) {
        putc(hex[p[i] >> 4], f);
        putc(hex[p[i] & 15], f);
    }
}

static void sl_csv_text(FILE *f, const uint8_t *p, size_t n)
{
    bool quote = n == 0;
    for (size_t i = 0; i < n && !quote; i++)
        if (p[i] == ',' || p[i] == '"' || p[i] == '\n' || p[i] == '\r') quote = true;
    if (!quote) {
        fwrite(p, 1, n, f);
        return;
    }
    putc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"') putc('"', f);
        putc(p[i], f);
    }
    putc('"', f);
}

static void sl_json_text(FILE *f, const uint8_t *p, size_t n)
{
    putc('"', f);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '"' || c == '\\') { putc('\\', f); putc(c, f); }
        else if (c == '\n') fputs("\\n", f);
        else if (c == '\r') fputs("\\r", f);
        else if (c == '\t') fputs("\\t", f);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else putc(c, f);
    }
    putc('"', f);
}

static void sl_cat_value(FILE *f, const sl_vector *v, size_t row, bool json)
{
    if (!v->valid[row]) {
        if (json) fputs("null", f);
        return;
    }
    char buf[128];
    size_t n;
    const uint8_t *p;
    switch (v->type.id) {
    case SL_T_LIST: {
        sl_buf b = { 0 };
        sl_format_list_json(v, row, &b);
        if (json) fwrite(b.data, 1, b.len, f); else sl_csv_text(f, b.data, b.len);
        sl_buf_free(&b);
        return;
    }
    case SL_T_STRING:
    case SL_T_JSON:
        p = sl_vec_bytes(v, row, &n);
        if (json) sl_json_text(f, p, n); else sl_csv_text(f, p, n);
        return;
    case SL_T_BYTES:
        p = sl_vec_bytes(v, row, &n);
        if (json) putc('"', f);
        if (json) {
            /* the backslash of \x must be escaped inside a JSON string */
            static const char hex[] = "0123456789abcdef";
            fputs("\\\\x", f);
            for (size_t i = 0; i < n; i++) { putc(hex[p[i] >> 4], f); putc(hex[p[i] & 15], f); }
        } else {
            sl_put_hex(f, p, n);
        }
        if (json) putc('"', f);
        return;
    default:
        break;
    }
    n = sl_format_fixed(v, row, buf);
    bool bare = !json;
    if (json) {
        switch (v->type.id) {
        case SL_T_BOOL: case SL_T_INT16: case SL_T_INT32: case SL_T_INT64: case SL_T_DECIMAL:
            bare = true;
            break;
        case SL_T_FLOAT32: case SL_T_FLOAT64:
            bare = buf[0] != 'N' && buf[0] != 'I' && buf[1] != 'I';
            break;
        default:
            break;
        }
    }
    if (bare) fwrite(buf, 1, n, f);
    else sl_json_text(f, (const uint8_t *)buf, n);
}

int sl_cmd_cat(int argc, char **argv)
{
    const char *file = NULL, *columns = NULL, *format = "csv", *where = NULL;
    long long limit = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(sl_cat_usage, stdout);
            return SL_EXIT_OK;
        }
        if (!strncmp(a, "--", 2)) {
            const char *eq = strchr(a, '=');
            size_t nl = eq ? (size_t)(eq - a) : strlen(a);
            if (eq) val = eq + 1;
            else if (i + 1 < argc) val = argv[++i];
            if (!val) {
                fprintf(stderr, "sluice cat: option %s needs a value\n\n%s", a, sl_cat_usage);
                return SL_EXIT_USAGE;
            }
            if (nl == 9 && !strncmp(a, "--columns", nl)) columns = val;
            else if (nl == 7 && !strncmp(a, "--limit", nl)) {
                char *end;
                limit = strtoll(val, &end, 10);
                if (*end || end == val || limit < 0) {
                    fprintf(stderr, "sluice cat: --limit needs a number >= 0, not '%s'\n", val);
                    return SL_EXIT_USAGE;
                }
            } else if (nl == 8 && !strncmp(a, "--format", nl)) format = val;
            else if (nl == 7 && !strncmp(a, "--where", nl)) where = val;
            else {
                fprintf(stderr, "sluice cat: unknown option %.*s\n\n%s", (int)nl, a, sl_cat_usage);
                return SL_EXIT_USAGE;
            }
            continue;
        }
        if (file) {
            fprintf(stderr, "sluice cat: one file at a time\n\n%s", sl_cat_usage);
            return SL_EXIT_USAGE;
        }
        file = a;
    }
    if (!file) {
        fprintf(stderr, "sluice cat: which file?\n\n%s", sl_cat_usage);
        return SL_EXIT_USAGE;
    }
    bool json = !strcmp(format, "json");
    if (!json && strcmp(format, "csv")) {
        fprintf(stderr, "sluice cat: --format is csv or json, not '%s'\n", format);
        return SL_EXIT_USAGE;
    }

    sl_err err = SL_ERR_INIT;
    char *wcol = NULL, *wval = NULL;
    sl_pq_op wop = SL_PQ_OP_EQ;
    if (where && sl_pq_filter_parse(where, &wcol, &wop, &wval, &err) < 0) {
        fprintf(stderr, "sluice cat: %s\n", err.msg);
        return SL_EXIT_USAGE;
    }
    /* Selected names: --columns, plus the filter's column when missing. */
    char *names_buf = NULL;
    const char **names = NULL;
    int nnames = 0, nshow = 0;
    if (columns) {
        names_buf = sl_strdup(columns);
        names = sl_calloc(strlen(columns) + 2, sizeof *names);
        for (char *tok = strtok(names_buf, ","); tok; tok = strtok(NULL, ",")) {
            while (*tok == ' ') tok++;
            size_t l = strlen(tok);
            while (l && tok[l - 1] == ' ') tok[--l] = '\0';
            if (*tok) names[nnames++] = tok;
        }
        nshow = nnames;
        if (nnames == 0) {
            fprintf(stderr, "sluice cat: --columns lists no column\n");
            sl_free(names_buf);
            sl_free(names);
            return SL_EXIT_USAGE;
        }
    }
    int rc = SL_EXIT_OK;
    sl_batch *b = NULL;
    sl_pq_reader *r = sl_pq_reader_open(file, &err);
    if (!r) goto fail;
    if (columns && wcol) {
        bool have = false;
        for (int i = 0; i < nnames; i++) have |= !strcmp(names[i], wcol);
        if (!have) names[nnames++] = wcol;
    }
    if (sl_pq_reader_select(r, names, nnames, &err) < 0) goto fail;
    const sl_schema *s = sl_pq_reader_schema(r, &err);
    if (!columns) nshow = s->ncols;
    if (wcol && sl_pq_reader_filter(r, wcol, wop, wval, &err) < 0) goto fail;

    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    FILE *f = stdout;
    if (!json) {
        for (int c = 0; c < nshow; c++) {
            if (c) putc(',', f);
            sl_csv_text(f, (const uint8_t *)s->fields[c].name, strlen(s->fields[c].name));
        }
        putc('\n', f);
    }
    b = sl_batch_new(s, 0);
    long long shown = 0;
    int64_t n;
    while (limit != 0 && (n = sl_pq_reader_next(r, b, &err)) != 0) {
        if (n < 0) goto fail;
        for (size_t row = 0; row < b->nrows; row++) {
            if (!sl_pq_filter_match(r, b, row)) continue;
            if (json) putc('{', f);
            for (int c = 0; c < nshow; c++) {
                if (c) putc(',', f);
                if (json) {
                    sl_json_text(f, (const uint8_t *)s->fields[c].name, strlen(s->fields[c].name));
                    putc(':', f);
                }
                sl_cat_value(f, &b->cols[c], row, json);
            }
            if (json) putc('}', f);
            putc('\n', f);
            if (limit >= 0 && ++shown >= limit) break;
        }
        if (limit >= 0 && shown >= limit) break;
    }
    if (fflush(f) != 0) {
        sl_err_set(&err, SL_EIO, "cannot write the output");
        goto fail;
    }
    goto done;
fail:
    fflush(stdout);
    fprintf(stderr, "sluice cat: %s\n", err.msg);
    rc = err.code == SL_EUSAGE ? SL_EXIT_USAGE : SL_EXIT_FAILED;
done:
    sl_batch_free(b);
    sl_pq_reader_close(r);
    sl_free(names_buf);
    sl_free(names);
    sl_free(wcol);
    sl_free(wval);
    return rc;
}
