/*
 * sl_source_files.c - the input files of file sources (see
 * sl_source_files.h): names and globs (csv, parquet `file:`), and lake table
 * directories (parquet `table:`): the manifest sluice publishes, or a walk of
 * hive partition directories.
 *
 * The manifest is sluice's own JSON (state/sl_publish.c writes it); it is
 * read with a small bounded parser that knows only what it needs: the
 * "format" tag and the "name" and "bytes" of each entry of "files". Anything
 * else in it is skipped, so newer manifests with more fields still read.
 */
#include "sl_source_files.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define SL_MANIFEST_MAX (64 << 20)

static int sl_files_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sl_files_push(char ***files, int *n, int *cap, char *path)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *files = sl_realloc(*files, (size_t)*cap * sizeof **files);
    }
    (*files)[(*n)++] = path;
}

void sl_source_files_free(char **files, int nfiles)
{
    for (int i = 0; i < nfiles; i++) sl_free(files[i]);
    sl_free(files);
}

int sl_source_list_files(const char *what, const char *base, const char *file, char ***files, int *nfiles,
                         sl_err *err)
{
    *files = NULL;
    *nfiles = 0;
    if (!file) {
        struct stat st;
        if (!base || stat(base, &st) < 0)
            return sl_err_set(err, SL_ESOURCE, "%s: input %s does not exist", what, base ? base : "(no path)");
        if (S_ISDIR(st.st_mode))
            return sl_err_set(err, SL_EJOB, "%s: source path %s is a directory; set the table's file: (a name or glob in it)",
                              what, base);
        *files = sl_calloc(1, sizeof **files);
        (*files)[0] = sl_strdup(base);
        *nfiles = 1;
        return 0;
    }
    char *full = (file[0] == '/' || !base) ? sl_strdup(file) : sl_sprintf("%s/%s", base, file);
    if (!strpbrk(file, "*?[")) {
        struct stat st;
        if (stat(full, &st) < 0) {
            sl_err_set(err, SL_ESOURCE, "%s: input file %s does not exist", what, full);
            sl_free(full);
            return -1;
        }
        *files = sl_calloc(1, sizeof **files);
        (*files)[0] = full;
        *nfiles = 1;
        return 0;
    }
    char *slash = strrchr(full, '/');
    char *dir = slash ? sl_strndup(full, (size_t)(slash - full)) : sl_strdup(".");
    const char *pattern = slash ? slash + 1 : full;
    if (strpbrk(dir, "*?[")) {
        sl_free(dir);
        sl_free(full);
        return sl_err_set(err, SL_EJOB, "%s: a glob may only match file names, not directories (%s)", what, file);
    }
    DIR *dh = opendir(*dir ? dir : "/");
    if (!dh) {
        sl_err_set(err, SL_ESOURCE, "%s: cannot list %s: %s", what, dir, strerror(errno));
        sl_free(dir);
        sl_free(full);
        return -1;
    }
    struct dirent *de;
    int cap = 0;
    while ((de = readdir(dh))) {
        if (de->d_name[0] == '.' || fnmatch(pattern, de->d_name, 0)) continue;
        sl_files_push(files, nfiles, &cap, sl_sprintf("%s/%s", dir, de->d_name));
    }
    closedir(dh);
    sl_free(dir);
    sl_free(full);
    if (!*nfiles) {
        sl_free(*files);
        *files = NULL;
        return sl_err_set(err, SL_ESOURCE, "%s: no file matches %s", what, file);
    }
    qsort(*files, (size_t)*nfiles, sizeof **files, sl_files_cmp);
    return 0;
}

/* ---- the manifest: a bounded JSON reader for the few fields we need ---- */

typedef struct sl_js {
    const char *p, *end;
    const char *bad;         /* what went wrong, at the first error */
} sl_js;

static void sl_js_ws(sl_js *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t')) j->p++;
}

static bool sl_js_eat(sl_js *j, char c)
{
    sl_js_ws(j);
    if (j->p < j->end && *j->p == c) {
        j->p++;
        return true;
    }
    return false;
}

static int sl_js_fail(sl_js *j, const char *why)
{
    if (!j->bad) j->bad = why;
    return -1;
}

static void sl_js_utf8(sl_buf *b, unsigned cp)
{
    if (cp < 0x80) {
        sl_buf_push(b, (uint8_t)cp);
    } else if (cp < 0x800) {
        sl_buf_push(b, (uint8_t)(0xc0 | cp >> 6));
        sl_buf_push(b, (uint8_t)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        sl_buf_push(b, (uint8_t)(0xe0 | cp >> 12));
        sl_buf_push(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
        sl_buf_push(b, (uint8_t)(0x80 | (cp & 0x3f)));
    } else {
        sl_buf_push(b, (uint8_t)(0xf0 | cp >> 18));
        sl_buf_push(b, (uint8_t)(0x80 | ((cp >> 12) & 0x3f)));
        sl_buf_push(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
        sl_buf_push(b, (uint8_t)(0x80 | (cp & 0x3f)));
    }
}

static int sl_js_hex4(sl_js *j, unsigned *out)
{
    if (j->end - j->p < 4) return sl_js_fail(j, "a truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = *j->p++;
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return sl_js_fail(j, "a bad \\u escape");
    }
    *out = v;
    return 0;
}

/* A string into b (NUL terminated; b may be NULL to skip it). */
static int sl_js_string(sl_js *j, sl_buf *b)
{
    if (!sl_js_eat(j, '"')) return sl_js_fail(j, "a string was expected");
    if (b) b->len = 0;
    while (j->p < j->end && *j->p != '"') {
        char c = *j->p++;
        if ((unsigned char)c < 0x20) return sl_js_fail(j, "a control character inside a string");
        if (c != '\\') {
            if (b) sl_buf_push(b, (uint8_t)c);
            continue;
        }
        if (j->p >= j->end) break;
        c = *j->p++;
        unsigned cp;
        switch (c) {
        case '"': case '\\': case '/': cp = (unsigned char)c; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            if (sl_js_hex4(j, &cp) < 0) return -1;
            if (cp >= 0xd800 && cp < 0xdc00) {
                unsigned lo;
                if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u') return sl_js_fail(j, "a lone surrogate");
                j->p += 2;
                if (sl_js_hex4(j, &lo) < 0) return -1;
                if (lo < 0xdc00 || lo > 0xdfff) return sl_js_fail(j, "a lone surrogate");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            break;
        default: return sl_js_fail(j, "a bad escape in a string");
        }
        if (b) sl_js_utf8(b, cp);
    }
    if (j->p >= j->end) return sl_js_fail(j, "an unterminated string");
    j->p++;
    if (b) {
        sl_buf_push(b, 0);
        b->len--;
    }
    return 0;
}

static int sl_js_int(sl_js *j, int64_t *out)
{
    sl_js_ws(j);
    const char *s = j->p;
    bool neg = s < j->end && *s == '-';
    if (neg) s++;
    if (s >= j->end || !isdigit((unsigned char)*s)) return sl_js_fail(j, "a whole number was expected");
    int64_t v = 0;
    while (s < j->end && isdigit((unsigned char)*s)) {
        if (v > (INT64_MAX - 9) / 10) return sl_js_fail(j, "a number too large");
        v = v * 10 + (*s++ - '0');
    }
    if (s < j->end && (*s == '.' || *s == 'e' || *s == 'E')) return sl_js_fail(j, "a whole number was expected");
    j->p = s;
    *out = neg ? -v : v;
    return 0;
}

static int sl_js_skip(sl_js *j, int depth)
{
    if (depth > 64) return sl_js_fail(j, "nesting too deep");
    sl_js_ws(j);
    if (j->p >= j->end) return sl_js_fail(j, "a value was expected");
    char c = *j->p;
    if (c == '"') return sl_js_string(j, NULL);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        j->p++;
        if (sl_js_eat(j, close)) return 0;
        do {
            if (c == '{' && (sl_js_string(j, NULL) < 0 || !sl_js_eat(j, ':'))) return sl_js_fail(j, "a bad object");
            if (sl_js_skip(j, depth + 1) < 0) return -1;
        } while (sl_js_eat(j, ','));
        return sl_js_eat(j, close) ? 0 : sl_js_fail(j, "a bad object or array");
    }
    const char *s = j->p;
    while (s < j->end && (isalnum((unsigned char)*s) || *s == '-' || *s == '+' || *s == '.')) s++;
    if (s == j->p) return sl_js_fail(j, "a value was expected");
    j->p = s;
    return 0;
}

typedef struct sl_manifest_entry {
    char *name;
    int64_t bytes;
} sl_manifest_entry;

/* Parses the manifest text into entries (names sl_malloc'd). */
static int sl_manifest_parse(sl_js *j, sl_manifest_entry **out, int *n)
{
    sl_buf key = {0}, val = {0};
    int cap = 0, rc = -1;
    bool format_ok = false, have_files = false;
    if (!sl_js_eat(j, '{')) {
        sl_js_fail(j, "a JSON object was expected");
        goto done;
    }
    if (!sl_js_eat(j, '}')) do {
        if (sl_js_string(j, &key) < 0 || !sl_js_eat(j, ':')) goto done;
        if (!strcmp((char *)key.data, "format")) {
            if (sl_js_string(j, &val) < 0) goto done;
            format_ok = !strcmp((char *)val.data, "sluice-manifest");
        } else if (!strcmp((char *)key.data, "files")) {
            have_files = true;
            if (!sl_js_eat(j, '[')) {
                sl_js_fail(j, "\"files\" is not an array");
                goto done;
            }
            if (!sl_js_eat(j, ']')) do {
                sl_manifest_entry e = { NULL, -1 };
                if (!sl_js_eat(j, '{')) {
                    sl_js_fail(j, "an entry of \"files\" is not an object");
                    goto done;
                }
                if (!sl_js_eat(j, '}')) do {
                    if (sl_js_string(j, &key) < 0 || !sl_js_eat(j, ':')) break;
                    if (!strcmp((char *)key.data, "name")) {
                        if (sl_js_string(j, &val) < 0) break;
                        sl_free(e.name);
                        e.name = sl_strdup((char *)val.data);
                    } else if (!strcmp((char *)key.data, "bytes")) {
                        if (sl_js_int(j, &e.bytes) < 0) break;
                    } else if (sl_js_skip(j, 1) < 0) {
                        break;
                    }
                } while (sl_js_eat(j, ','));
                if (j->bad || !sl_js_eat(j, '}') || !e.name || e.bytes < 0) {
                    sl_free(e.name);
                    sl_js_fail(j, "an entry of \"files\" without a \"name\" and \"bytes\"");
                    goto done;
                }
                if (*n == cap) {
                    cap = cap ? cap * 2 : 16;
                    *out = sl_realloc(*out, (size_t)cap * sizeof **out);
                }
                (*out)[(*n)++] = e;
            } while (sl_js_eat(j, ','));
            if (!sl_js_eat(j, ']')) {
                sl_js_fail(j, "a bad \"files\" array");
                goto done;
            }
        } else if (sl_js_skip(j, 0) < 0) {
            goto done;
        }
    } while (sl_js_eat(j, ','));
    if (!sl_js_eat(j, '}')) {
        sl_js_fail(j, "a bad object");
        goto done;
    }
    if (!format_ok) {
        sl_js_fail(j, "no \"format\": \"sluice-manifest\"");
        goto done;
    }
    if (!have_files) {
        sl_js_fail(j, "no \"files\" list");
        goto done;
    }
    rc = 0;
done:
    sl_buf_free(&key);
    sl_buf_free(&val);
    return rc;
}

int sl_source_manifest_names(const char *what, const char *mpath, const char *text, size_t len, char ***names,
                             int64_t **bytes, int *n, sl_err *err)
{
    *names = NULL;
    *bytes = NULL;
    *n = 0;
    sl_js j = { text, text + len, NULL };
    sl_manifest_entry *ents = NULL;
    int ne = 0, rc = 0;
    if (sl_manifest_parse(&j, &ents, &ne) < 0)
        rc = sl_err_set(err, SL_ESOURCE, "%s: %s is not a sluice manifest (%s at byte %ld)", what, mpath,
                        j.bad ? j.bad : "bad JSON", (long)(j.p - text));
    else if (ne == 0)
        rc = sl_err_set(err, SL_ESOURCE, "%s: %s lists no files", what, mpath);
    for (int i = 0; i < ne && rc == 0; i++) {
        const char *name = ents[i].name;
        if (!*name || name[0] == '/' || strstr(name, ".."))
            rc = sl_err_set(err, SL_ESOURCE, "%s: %s lists '%s', not a file name inside the table", what, mpath, name);
    }
    if (rc == 0) {
        *names = sl_calloc((size_t)ne, sizeof **names);
        *bytes = sl_calloc((size_t)ne, sizeof **bytes);
        for (int i = 0; i < ne; i++) {
            (*names)[i] = ents[i].name;
            (*bytes)[i] = ents[i].bytes;
            ents[i].name = NULL;
        }
        *n = ne;
    }
    for (int i = 0; i < ne; i++) sl_free(ents[i].name);
    sl_free(ents);
    return rc;
}

static int sl_list_manifest(const char *what, const char *dir, const char *mpath, char ***files, int64_t **sizes,
                            int *nfiles, sl_err *err)
{
    FILE *f = fopen(mpath, "rb");
    if (!f) return sl_err_set(err, SL_ESOURCE, "%s: cannot read %s: %s", what, mpath, strerror(errno));
    sl_buf text = {0};
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0 && text.len <= SL_MANIFEST_MAX) sl_buf_append(&text, chunk, got);
    bool bad = ferror(f);
    fclose(f);
    if (bad || text.len > SL_MANIFEST_MAX) {
        sl_buf_free(&text);
        return sl_err_set(err, SL_ESOURCE, "%s: cannot read %s: %s", what, mpath, bad ? "read error" : "larger than 64 MiB");
    }
    sl_js j = { (const char *)text.data, (const char *)text.data + text.len, NULL };
    sl_manifest_entry *ents = NULL;
    int n = 0, rc = 0;
    if (sl_manifest_parse(&j, &ents, &n) < 0) {
        rc = sl_err_set(err, SL_ESOURCE, "%s: %s is not a sluice manifest (%s at byte %ld); remove it to read the "
                        "directory's *.parquet files instead", what, mpath, j.bad ? j.bad : "bad JSON",
                        (long)(j.p - (const char *)text.data));
    } else if (n == 0) {
        rc = sl_err_set(err, SL_ESOURCE, "%s: %s lists no files", what, mpath);
    }
    *files = sl_calloc((size_t)(n ? n : 1), sizeof **files);
    if (sizes) *sizes = sl_calloc((size_t)(n ? n : 1), sizeof **sizes);
    for (int i = 0; i < n && rc == 0; i++) {
        const char *name = ents[i].name;
        if (!*name || name[0] == '/' || strstr(name, "..")) {
            rc = sl_err_set(err, SL_ESOURCE, "%s: %s lists '%s', not a file name inside the table directory", what,
                            mpath, name);
            break;
        }
        char *path = sl_sprintf("%s/%s", dir, name);
        (*files)[(*nfiles)++] = path;
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
            rc = sl_err_set(err, SL_ESOURCE, "%s: %s is listed in %s but %s; the table is damaged: publish it "
                            "again", what, path, SL_SOURCE_MANIFEST, errno == ENOENT ? "missing" : "not a file");
        } else if ((int64_t)st.st_size != ents[i].bytes) {
            rc = sl_err_set(err, SL_ESOURCE, "%s: %s has %lld bytes but %s says %lld: it was changed after it was "
                            "published; publish the table again", what, path, (long long)st.st_size,
                            SL_SOURCE_MANIFEST, (long long)ents[i].bytes);
        } else if (sizes) {
            (*sizes)[i] = (int64_t)st.st_size;
        }
    }
    for (int i = 0; i < n; i++) sl_free(ents[i].name);
    sl_free(ents);
    sl_buf_free(&text);
    return rc;
}

static bool sl_is_hive_dir(const char *name)
{
    const char *eq = strchr(name, '=');
    return eq && eq != name;
}

static bool sl_is_parquet_name(const char *name)
{
    size_t n = strlen(name);
    return n > 8 && !strcasecmp(name + n - 8, ".parquet");
}

/* Every *.parquet below dir (hive directories only), unsorted. */
static int sl_walk(const char *what, const char *dir, int depth, char ***files, int *n, int *cap, sl_err *err)
{
    if (depth > 32) return sl_err_set(err, SL_ESOURCE, "%s: %s: partition directories nested too deep", what, dir);
    DIR *dh = opendir(dir);
    if (!dh)
        return sl_err_set(err, errno == ENOENT ? SL_ESOURCE : SL_EIO, "%s: cannot list %s: %s", what, dir,
                          strerror(errno));
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(dh))) {
        const char *name = de->d_name;
        if (name[0] == '.' || name[0] == '_') continue;
        char *path = sl_sprintf("%s/%s", dir, name);
        struct stat st;
        if (stat(path, &st) < 0) {
            sl_free(path);
            continue;   /* removed while we looked */
        }
        if (S_ISDIR(st.st_mode) && sl_is_hive_dir(name)) {
            rc = sl_walk(what, path, depth + 1, files, n, cap, err);
            sl_free(path);
        } else if (S_ISREG(st.st_mode) && sl_is_parquet_name(name)) {
            sl_files_push(files, n, cap, path);
        } else {
            sl_free(path);
        }
    }
    closedir(dh);
    return rc;
}

int sl_source_list_lake(const char *what, const char *dir, char ***files, int64_t **sizes, int *nfiles, sl_err *err)
{
    *files = NULL;
    *nfiles = 0;
    if (sizes) *sizes = NULL;
    char *mpath = sl_sprintf("%s/%s", dir, SL_SOURCE_MANIFEST);
    struct stat st;
    int rc;
    if (stat(mpath, &st) == 0) {
        rc = sl_list_manifest(what, dir, mpath, files, sizes, nfiles, err);
    } else {
        int cap = 0;
        rc = sl_walk(what, dir, 0, files, nfiles, &cap, err);
        if (rc == 0 && *nfiles == 0)
            rc = sl_err_set(err, SL_ESOURCE, "%s: no *.parquet file in %s (nor a %s)", what, dir, SL_SOURCE_MANIFEST);
        if (rc == 0) {
            qsort(*files, (size_t)*nfiles, sizeof **files, sl_files_cmp);
            if (sizes) {
                *sizes = sl_calloc((size_t)*nfiles, sizeof **sizes);
                for (int i = 0; i < *nfiles; i++)
                    if (stat((*files)[i], &st) == 0) (*sizes)[i] = (int64_t)st.st_size;
            }
        }
    }
    sl_free(mpath);
    if (rc < 0) {
        sl_source_files_free(*files, *nfiles);
        *files = NULL;
        *nfiles = 0;
        if (sizes) {
            sl_free(*sizes);
            *sizes = NULL;
        }
    }
    return rc;
}
