/*
 * sl_cmd_inspect.c - `sluice inspect FILE [--json]`: a Parquet file's
 * metadata: schema (name, physical, logical and converted type, repetition,
 * and the sluice type it reads as), key/value metadata, row groups, and per
 * column chunk its codec, encodings, sizes, offsets and statistics decoded
 * to readable values. A readable layout by default, one JSON object with
 * --json. Nested schemas are shown even though `cat` cannot read them.
 *
 * `sluice inspect DIR` (a published table's directory): its manifest - job,
 * run, rows, files, the source snapshot and the load receipt, a line per
 * column; --json prints the manifest itself.
 */
#include "sl_cli.h"

#include "core/sl_alloc.h"
#include "core/sl_error.h"
#include "core/sl_receipt.h"
#include "core/sl_log.h"
#include "core/sl_types.h"
#include "state/sl_fs.h"
#include "state/sl_publish.h"
#include "parquet/sl_decompress.h"
#include "parquet/sl_pq_reader.h"

#include <stdio.h>
#include <string.h>

static const char sl_inspect_usage[] =
    "usage: sluice inspect FILE|DIR [--json]\n"
    "\n"
    "Shows a Parquet file's schema, key/value metadata, row groups and column\n"
    "chunks (codec, encodings, sizes, statistics); or, for a table directory\n"
    "sluice published, its manifest: files, source snapshot and load receipt.\n"
    "  --json   one JSON object instead of the readable layout\n"
    "Exit status: 0 done, 1 bad file, 2 usage.\n";

static void sl_js(FILE *f, const char *s)
{
    putc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (*p == '"' || *p == '\\') { putc('\\', f); putc(*p, f); }
        else if (*p == '\n') fputs("\\n", f);
        else if (*p == '\r') fputs("\\r", f);
        else if (*p == '\t') fputs("\\t", f);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else putc(*p, f);
    }
    putc('"', f);
}

/* Printable copy of s for the text layout: control bytes become '?', long
 * values are cut with "...". */
static const char *sl_short(const char *s, char *buf, size_t max)
{
    size_t n = 0;
    for (; s && s[n] && n < max - 4; n++) buf[n] = (unsigned char)s[n] < 0x20 ? '?' : s[n];
    if (s && s[n]) { strcpy(buf + n, "..."); n += 3; }
    buf[n] = '\0';
    return buf;
}

static const char *sl_type_of_leaf(const sl_pq_reader *r, int leaf, char *buf, size_t size)
{
    sl_err err = SL_ERR_INIT;
    sl_type t;
    if (sl_pq_reader_leaf_type(r, leaf, &t, &err) < 0) {
        snprintf(buf, size, "%s", strstr(err.msg, "nested") ? "(nested)" : "(unsupported)");
        return buf;
    }
    return sl_type_format(t, buf, size);
}

static int sl_leaf_of_schema(const sl_pq_file_meta *m, int idx)
{
    for (int l = 0; l < m->nleaves; l++)
        if (m->leaves[l].schema_idx == idx) return l;
    return -1;
}

static void sl_inspect_text(const sl_pq_reader *r, FILE *f)
{
    const sl_pq_file_meta *m = sl_pq_reader_meta(r);
    char b1[256], b2[256], b3[64];
    fprintf(f, "file:        %s (%llu bytes)\n", sl_pq_reader_name(r), (unsigned long long)sl_pq_reader_file_size(r));
    fprintf(f, "created by:  %s\n", m->created_by ? sl_short(m->created_by, b1, 200) : "(not recorded)");
    fprintf(f, "version:     %d\n", m->version);
    fprintf(f, "rows:        %lld\n", (long long)m->num_rows);
    fprintf(f, "row groups:  %d\n", m->nrow_groups);
    if (m->nkv) {
        fprintf(f, "\nkey/value metadata:\n");
        for (int i = 0; i < m->nkv; i++)
            fprintf(f, "  %s = %s\n", sl_short(m->kv[i].key, b1, 60),
                    m->kv[i].value ? sl_short(m->kv[i].value, b2, 120) : "(no value)");
    }
    fprintf(f, "\nschema:\n  %-32s %-22s %-24s %-18s %-9s %s\n", "column", "physical", "logical", "converted",
            "repeat", "reads as");
    /* depth from a walk of num_children */
    int depth_stack[64], left[64], depth = 0;
    for (int i = 0; i < m->nschema; i++) {
        const sl_pq_schema_elem *e = &m->schema[i];
        while (depth > 0 && left[depth - 1] == 0) depth--;
        if (depth > 0) left[depth - 1]--;
        int d = depth;
        if (i > 0) {
            char name[128], phys[48];
            snprintf(name, sizeof name, "%*s%s", 2 * (d - 1), "", e->name);
            if (e->type == 7) snprintf(phys, sizeof phys, "FIXED_LEN_BYTE_ARRAY(%d)", e->type_length);
            else snprintf(phys, sizeof phys, "%s", sl_pq_physical_name(e->type));
            int leaf = sl_leaf_of_schema(m, i);
            fprintf(f, "  %-32s %-22s %-24s %-18s %-9s %s\n", name, phys, sl_pq_logical_format(e, b1, sizeof b1),
                    sl_pq_converted_name(e->converted), sl_pq_repetition_name(e->repetition),
                    leaf >= 0 ? sl_type_of_leaf(r, leaf, b3, sizeof b3) : "");
        }
        if (e->num_children > 0 && depth < 64) {
            depth_stack[depth] = i;
            left[depth++] = e->num_children;
        }
    }
    (void)depth_stack;
    for (int g = 0; g < m->nrow_groups; g++) {
        const sl_pq_row_group *rg = &m->row_groups[g];
        fprintf(f, "\nrow group %d: %lld rows, %lld bytes uncompressed", g, (long long)rg->num_rows,
                (long long)rg->total_byte_size);
        if (rg->has_total_compressed_size) fprintf(f, ", %lld compressed", (long long)rg->total_compressed_size);
        fprintf(f, "\n");
        for (int c = 0; c < rg->ncolumns; c++) {
            const sl_pq_column_meta *cm = &rg->columns[c].meta;
            fprintf(f, "  %s\n", m->leaves[c].path);
            fprintf(f, "    %s, %s, encodings:", sl_pq_physical_name(cm->type), sl_codec_name(cm->codec));
            for (int e = 0; e < cm->nencodings; e++) fprintf(f, " %s", sl_pq_encoding_name(cm->encodings[e]));
            fprintf(f, "\n    values %lld, compressed %lld B, uncompressed %lld B, data page at %lld",
                    (long long)cm->num_values, (long long)cm->total_compressed_size,
                    (long long)cm->total_uncompressed_size, (long long)cm->data_page_offset);
            if (cm->has_dictionary_page_offset) fprintf(f, ", dictionary at %lld", (long long)cm->dictionary_page_offset);
            fprintf(f, "\n");
            const sl_pq_stats *s = &cm->stats;
            if (s->present) {
                fprintf(f, "    statistics%s:", s->legacy ? " (deprecated min/max)" : "");
                if (s->has_min)
                    fprintf(f, " min %s%s", sl_short(sl_pq_reader_stat_format(r, c, s->min, s->min_len, b1, sizeof b1), b2, 48),
                            s->min_exact ? "" : " (truncated)");
                if (s->has_max)
                    fprintf(f, ", max %s%s", sl_short(sl_pq_reader_stat_format(r, c, s->max, s->max_len, b1, sizeof b1), b2, 48),
                            s->max_exact ? "" : " (truncated)");
                if (s->has_null_count) fprintf(f, ", nulls %lld", (long long)s->null_count);
                if (s->has_distinct) fprintf(f, ", distinct %lld", (long long)s->distinct_count);
                fprintf(f, "\n");
            }
        }
    }
}

static void sl_inspect_json(const sl_pq_reader *r, FILE *f)
{
    const sl_pq_file_meta *m = sl_pq_reader_meta(r);
    char b1[4096], b3[64];
    fprintf(f, "{\"file\":");
    sl_js(f, sl_pq_reader_name(r));
    fprintf(f, ",\"size\":%llu,\"version\":%d,\"num_rows\":%lld,\"created_by\":",
            (unsigned long long)sl_pq_reader_file_size(r), m->version, (long long)m->num_rows);
    if (m->created_by) sl_js(f, m->created_by); else fputs("null", f);
    fprintf(f, ",\"key_value_metadata\":[");
    for (int i = 0; i < m->nkv; i++) {
        fprintf(f, "%s{\"key\":", i ? "," : "");
        sl_js(f, m->kv[i].key);
        fprintf(f, ",\"value\":");
        if (m->kv[i].value) sl_js(f, m->kv[i].value); else fputs("null", f);
        fputc('}', f);
    }
    fprintf(f, "],\"schema\":[");
    for (int i = 0; i < m->nschema; i++) {
        const sl_pq_schema_elem *e = &m->schema[i];
        fprintf(f, "%s{\"name\":", i ? "," : "");
        sl_js(f, e->name);
        fprintf(f, ",\"physical\":");
        if (e->type >= 0) sl_js(f, sl_pq_physical_name(e->type)); else fputs("null", f);
        if (e->type == 7) fprintf(f, ",\"type_length\":%d", e->type_length);
        fprintf(f, ",\"logical\":");
        sl_pq_logical_format(e, b1, sizeof b1);
        if (*b1) sl_js(f, b1); else fputs("null", f);
        fprintf(f, ",\"converted\":");
        if (e->converted >= 0) sl_js(f, sl_pq_converted_name(e->converted)); else fputs("null", f);
        fprintf(f, ",\"repetition\":");
        if (e->repetition >= 0) sl_js(f, sl_pq_repetition_name(e->repetition)); else fputs("null", f);
        if (e->num_children >= 0) fprintf(f, ",\"num_children\":%d", e->num_children);
        int leaf = sl_leaf_of_schema(m, i);
        if (leaf >= 0) {
            fprintf(f, ",\"path\":");
            sl_js(f, m->leaves[leaf].path);
            fprintf(f, ",\"reads_as\":");
            sl_js(f, sl_type_of_leaf(r, leaf, b3, sizeof b3));
        }
        fputc('}', f);
    }
    fprintf(f, "],\"row_groups\":[");
    for (int g = 0; g < m->nrow_groups; g++) {
        const sl_pq_row_group *rg = &m->row_groups[g];
        fprintf(f, "%s{\"num_rows\":%lld,\"total_byte_size\":%lld", g ? "," : "", (long long)rg->num_rows,
                (long long)rg->total_byte_size);
        if (rg->has_total_compressed_size) fprintf(f, ",\"total_compressed_size\":%lld", (long long)rg->total_compressed_size);
        if (rg->has_file_offset) fprintf(f, ",\"file_offset\":%lld", (long long)rg->file_offset);
        fprintf(f, ",\"columns\":[");
        for (int c = 0; c < rg->ncolumns; c++) {
            const sl_pq_column_meta *cm = &rg->columns[c].meta;
            fprintf(f, "%s{\"path\":", c ? "," : "");
            sl_js(f, m->leaves[c].path);
            fprintf(f, ",\"physical\":");
            sl_js(f, sl_pq_physical_name(cm->type));
            fprintf(f, ",\"codec\":");
            sl_js(f, sl_codec_name(cm->codec));
            fprintf(f, ",\"encodings\":[");
            for (int e = 0; e < cm->nencodings; e++) {
                if (e) fputc(',', f);
                sl_js(f, sl_pq_encoding_name(cm->encodings[e]));
            }
            fprintf(f, "],\"num_values\":%lld,\"total_compressed_size\":%lld,\"total_uncompressed_size\":%lld,"
                       "\"data_page_offset\":%lld",
                    (long long)cm->num_values, (long long)cm->total_compressed_size,
                    (long long)cm->total_uncompressed_size, (long long)cm->data_page_offset);
            if (cm->has_dictionary_page_offset) fprintf(f, ",\"dictionary_page_offset\":%lld", (long long)cm->dictionary_page_offset);
            const sl_pq_stats *s = &cm->stats;
            if (s->present) {
                fprintf(f, ",\"statistics\":{\"deprecated\":%s", s->legacy ? "true" : "false");
                if (s->has_min) {
                    fprintf(f, ",\"min\":");
                    sl_js(f, sl_pq_reader_stat_format(r, c, s->min, s->min_len, b1, sizeof b1));
                    fprintf(f, ",\"min_exact\":%s", s->min_exact ? "true" : "false");
                }
                if (s->has_max) {
                    fprintf(f, ",\"max\":");
                    sl_js(f, sl_pq_reader_stat_format(r, c, s->max, s->max_len, b1, sizeof b1));
                    fprintf(f, ",\"max_exact\":%s", s->max_exact ? "true" : "false");
                }
                if (s->has_null_count) fprintf(f, ",\"null_count\":%lld", (long long)s->null_count);
                if (s->has_distinct) fprintf(f, ",\"distinct_count\":%lld", (long long)s->distinct_count);
                fputc('}', f);
            }
            fputc('}', f);
        }
        fprintf(f, "]}");
    }
    fprintf(f, "]}\n");
}

/* The text of "key": ... at the top of a manifest (its first occurrence). */
static bool sl_manifest_value(const char *text, const char *key, char *out, size_t size)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\n  \"%s\": ", key);
    const char *p = strstr(text, pat);
    if (!p) return false;
    p += strlen(pat);
    size_t n = strcspn(p, "\n");
    if (n && p[n - 1] == ',') n--;
    snprintf(out, size, "%.*s", (int)n, p);
    return true;
}

static void sl_print_safe(const char *prefix, const char *text)
{
    char *safe = sl_escape_controls_dup(text);
    printf("%s%s\n", prefix, safe);
    sl_free(safe);
}

/* A table directory: its manifest, readable (or as it is, with --json). */
static int sl_inspect_table(const char *dir, bool json)
{
    sl_err err = SL_ERR_INIT;
    char *path = sl_sprintf("%s/%s", dir, SL_MANIFEST_NAME);
    char *text = sl_fs_exists(path) ? sl_fs_read_all(path, NULL, &err) : NULL;
    if (!text) {
        fprintf(stderr, "sluice inspect: %s: %s\n", path,
                sl_err_is_set(&err) ? err.msg : "no manifest: not a table sluice published (give a .parquet file "
                                                "to see one file)");
        sl_free(path);
        return SL_EXIT_FAILED;
    }
    sl_free(path);
    if (json) {
        fputs(text, stdout);
        sl_free(text);
        return fflush(stdout) == 0 ? SL_EXIT_OK : SL_EXIT_FAILED;
    }
    char v[4096];
    static const char *const keys[] = { "table", "job", "run_id", "published_at", "source_snapshot_time", "rows",
                                        "bytes", "source" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (sl_manifest_value(text, keys[i], v, sizeof v)) {
            char label[64];
            snprintf(label, sizeof label, "%-22s", keys[i]);
            sl_print_safe(label, v);
        }
    const char *receipt = strstr(text, "\n  \"receipt\": ");
    if (!receipt) {
        printf("receipt                (none: published by a sluice before receipts)\n");
    } else {
        char rows[32] = "";
        sl_receipt_json_field(receipt, "rows", rows, sizeof rows);
        printf("receipt                %s rows\n", rows);
        char col[8192], line[8192];
        for (const char *p = sl_receipt_json_columns(receipt); p && (p = sl_receipt_json_column(p, col, sizeof col));) {
            sl_receipt_column_text(col, line, sizeof line);
            sl_print_safe("  ", line);
        }
    }
    const char *files = strstr(text, "\n  \"files\": [");
    if (files) {
        printf("files\n");
        for (const char *p = strstr(files, "\n    {"); p; p = strstr(p + 1, "\n    {")) {
            char name[512] = "", rows[32] = "", bytes[32] = "";
            sl_receipt_json_field(p, "name", name, sizeof name);
            sl_receipt_json_field(p, "rows", rows, sizeof rows);
            sl_receipt_json_field(p, "bytes", bytes, sizeof bytes);
            char line[700];
            snprintf(line, sizeof line, "%-24s %12s rows %14s bytes", name, rows, bytes);
            sl_print_safe("  ", line);
        }
    }
    sl_free(text);
    return fflush(stdout) == 0 ? SL_EXIT_OK : SL_EXIT_FAILED;
}

int sl_cmd_inspect(int argc, char **argv)
{
    const char *file = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(sl_inspect_usage, stdout);
            return SL_EXIT_OK;
        }
        if (!strcmp(argv[i], "--json")) { json = true; continue; }
        if (!strncmp(argv[i], "--", 2) || file) {
            fprintf(stderr, "sluice inspect: %s '%s'\n\n%s", file ? "unexpected argument" : "unknown option", argv[i],
                    sl_inspect_usage);
            return SL_EXIT_USAGE;
        }
        file = argv[i];
    }
    if (!file) {
        fprintf(stderr, "sluice inspect: which file?\n\n%s", sl_inspect_usage);
        return SL_EXIT_USAGE;
    }
    sl_err err = SL_ERR_INIT;
    if (sl_fs_is_dir(file)) return sl_inspect_table(file, json);
    sl_pq_reader *r = sl_pq_reader_open(file, &err);
    if (!r) {
        fprintf(stderr, "sluice inspect: %s\n", err.msg);
        return SL_EXIT_FAILED;
    }
    if (json) sl_inspect_json(r, stdout);
    else sl_inspect_text(r, stdout);
    sl_pq_reader_close(r);
    return fflush(stdout) == 0 ? SL_EXIT_OK : SL_EXIT_FAILED;
}
