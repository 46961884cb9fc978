/*
 * test_src_parquet.c - the parquet source: every logical type written by
 * sluice's writer comes back bit for bit; lake tables through their manifest
 * (exact listing, size mismatch, missing file) or a directory walk (hidden,
 * `_` and staging names skipped); hive partition columns (int64/string,
 * NULL partition, %XX escapes); schemas that disagree between files;
 * columns: selecting and widening; row-group-range tasks; empty globs and
 * directories; nested columns; the job loader's keys for the kind.
 */
#include "sl_test.h"

#include "core/sl_alloc.h"
#include "core/sl_buf.h"
#include "core/sl_out.h"
#include "core/sl_types.h"
#include "job/sl_job.h"
#include "parquet/sl_pq_writer.h"
#include "sources/sl_source.h"
#include "sources/sl_source_files.h"
#include "state/sl_publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static void mkdir_tmp(void) { sl_test_mkdtemp(dir, sizeof dir, "/tmp/sl-test-pqsrc.XXXXXX"); }
static void rm_tmp(void) { sl_test_rmtree(dir); }

static void mkdirs(const char *rel)
{
    char *p = sl_sprintf("%s/%s", dir, rel);
    for (char *s = p + strlen(dir) + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    mkdir(p, 0755);
    sl_free(p);
}

static void write_text(const char *rel, const char *text)
{
    char *p = sl_sprintf("%s/%s", dir, rel);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f, "%s", p);
    fputs(text, f);
    fclose(f);
    sl_free(p);
}

/* Writes batch b (its schema) to dir/rel with row groups of rg_rows rows. */
static void write_pq(const char *rel, const sl_batch *b, int64_t rg_rows)
{
    char *p = sl_sprintf("%s/%s", dir, rel);
    char *slash = strrchr(p, '/');
    *slash = '\0';
    mkdirs(p + strlen(dir) + (strlen(p) > strlen(dir) ? 1 : 0));
    *slash = '/';
    sl_err err = SL_ERR_INIT;
    sl_out *out = sl_out_open_file(p, &err);
    cr_assert_not_null(out, "%s", err.msg);
    sl_pq_writer_opts o;
    sl_pq_writer_opts_default(&o);
    o.row_group_rows = rg_rows;
    o.page_rows = 97;
    /* PLAIN ids: row groups of a size that splits into several range
     * tasks (DELTA_BINARY_PACKED would make sequential ids nearly free). */
    o.delta_int64 = false;
    sl_pq_writer *w = sl_pq_writer_open(out, b->schema, &o, &err);
    cr_assert_not_null(w, "%s", err.msg);
    cr_assert_eq(sl_pq_writer_write(w, b, &err), 0, "%s", err.msg);
    cr_assert_eq(sl_pq_writer_close(w, &err), 0, "%s", err.msg);
    sl_pq_writer_free(w);
    cr_assert_eq(sl_out_close(out, false, &err), 0, "%s", err.msg);
    sl_free(p);
}

static int64_t file_size(const char *rel)
{
    char *p = sl_sprintf("%s/%s", dir, rel);
    struct stat st;
    cr_assert_eq(stat(p, &st), 0, "%s", p);
    sl_free(p);
    return (int64_t)st.st_size;
}

/* A one-column int64 batch (or int32 when narrow) with ids from..from+n-1. */
static sl_batch *ids_batch(sl_schema **s, const char *name, int64_t from, size_t n, bool narrow, bool nullable)
{
    *s = sl_schema_new(1);
    sl_type t = { .id = narrow ? SL_T_INT32 : SL_T_INT64 };
    sl_schema_set(*s, 0, name, t, nullable);
    sl_batch *b = sl_batch_new(*s, n);
    for (size_t r = 0; r < n; r++) {
        if (narrow) {
            int32_t v = (int32_t)(from + (int64_t)r);
            memcpy(sl_vec_slot(&b->cols[0], r), &v, 4);
        } else {
            int64_t v = from + (int64_t)r;
            memcpy(sl_vec_slot(&b->cols[0], r), &v, 8);
        }
    }
    b->nrows = n;
    return b;
}

static void write_ids(const char *rel, int64_t from, size_t n)
{
    sl_schema *s;
    sl_batch *b = ids_batch(&s, "id", from, n, false, false);
    write_pq(rel, b, 1 << 20);
    sl_batch_free(b);
    sl_schema_free(s);
}

typedef sl_test_fx fixture;

static void fx_table(fixture *f, const char *table)
{
    sl_test_fx_init(f, &sl_source_parquet, "lk", "parquet");
    f->src.path = dir;
    f->cfg.table = (char *)table;
    f->cfg.partition.strategy = "auto";
}

static void fx_file(fixture *f, const char *file)
{
    fx_table(f, NULL);
    f->cfg.file = (char *)file;
}

/* ---- every logical type, bit for bit ---- */

static const char *const all_types[] = { "bool", "int16", "int32", "int64", "float32", "float64", "decimal(9,2)",
                                         "decimal(18,4)", "decimal(38,10)", "string", "bytes", "date", "time",
                                         "timestamp", "timestamptz", "uuid", "json" };
#define NTYPES ((int)(sizeof all_types / sizeof all_types[0]))

static void gen(sl_vector *v, size_t row, uint64_t k, bool nullable)
{
    if (nullable && k % 7 == 3) {
        sl_vec_set_null(v, row);
        return;
    }
    uint64_t x = k * 0x9e3779b97f4a7c15ULL;
    int64_t extreme[] = { INT64_MIN, INT64_MAX, 0, -1 };
    switch (v->type.id) {
    case SL_T_BOOL: *(uint8_t *)sl_vec_slot(v, row) = (uint8_t)(x >> 63); break;
    case SL_T_INT16: { int16_t y = k < 2 ? (k ? INT16_MAX : INT16_MIN) : (int16_t)x; memcpy(sl_vec_slot(v, row), &y, 2); break; }
    case SL_T_INT32: case SL_T_DATE: { int32_t y = k < 2 ? (k ? INT32_MAX : INT32_MIN) : (int32_t)x;
        if (v->type.id == SL_T_DATE) y = (int32_t)(x % 2000000) - 1000000;
        memcpy(sl_vec_slot(v, row), &y, 4); break; }
    case SL_T_INT64: case SL_T_TIMESTAMP: { int64_t y = k < 4 ? extreme[k] : (int64_t)x; memcpy(sl_vec_slot(v, row), &y, 8); break; }
    case SL_T_TIME: { int64_t y = (int64_t)(x % 86400000001ULL); memcpy(sl_vec_slot(v, row), &y, 8); break; }
    case SL_T_FLOAT32: { float y = k == 0 ? -0.0f : (float)(int64_t)x / 3.0f; memcpy(sl_vec_slot(v, row), &y, 4); break; }
    case SL_T_FLOAT64: { double y = k == 0 ? -0.0 : k == 1 ? 5e-324 : (double)(int64_t)x / 7.0; memcpy(sl_vec_slot(v, row), &y, 8); break; }
    case SL_T_DECIMAL:
        if (v->width == 8) {
            int64_t lim = v->type.precision == 9 ? 999999999 : 999999999999999999LL;
            int64_t y = k == 0 ? lim : k == 1 ? -lim : (int64_t)(x % (uint64_t)lim) * (k % 2 ? -1 : 1);
            memcpy(sl_vec_slot(v, row), &y, 8);
        } else {
            sl_i128 lim = 1;
            for (int i = 0; i < 38; i++) lim *= 10;
            lim -= 1;
            sl_i128 y = k == 0 ? lim : k == 1 ? -lim : ((sl_i128)x << 40 | k) * (k % 2 ? -1 : 1);
            memcpy(sl_vec_slot(v, row), &y, 16);
        }
        break;
    case SL_T_STRING: case SL_T_JSON: {
        char buf[64];
        int n = v->type.id == SL_T_JSON ? snprintf(buf, sizeof buf, "{\"k\": %llu}", (unsigned long long)k)
                                        : snprintf(buf, sizeof buf, "Zoë 🎉 %llu%s", (unsigned long long)x, k == 0 ? "" : "");
        sl_vec_set_bytes(v, row, buf, k == 0 && v->type.id == SL_T_STRING ? 0 : (size_t)n);
        break;
    }
    case SL_T_BYTES: { uint8_t buf[16]; memcpy(buf, &x, 8); memcpy(buf + 8, &k, 8); buf[3] = 0;
        sl_vec_set_bytes(v, row, buf, k % 17); break; }
    case SL_T_UUID: { uint8_t u[16]; memcpy(u, &x, 8); memcpy(u + 8, &k, 8); memcpy(sl_vec_slot(v, row), u, 16); break; }
    default: break;
    }
}

static void same_value(const sl_vector *a, size_t ra, const sl_vector *b, size_t rb, const char *what)
{
    cr_assert_eq(a->valid[ra], b->valid[rb], "%s: validity", what);
    if (!a->valid[ra]) return;
    if (sl_type_is_varlen(a->type)) {
        size_t la, lb;
        const uint8_t *pa = sl_vec_bytes(a, ra, &la), *pb = sl_vec_bytes(b, rb, &lb);
        cr_assert(la == lb && (la == 0 || !memcmp(pa, pb, la)), "%s: bytes differ", what);
    } else {
        cr_assert(!memcmp(a->data + ra * a->width, b->data + rb * b->width, a->width), "%s: value differs", what);
    }
}

Test(src_parquet, every_type_bit_for_bit, .init = mkdir_tmp, .fini = rm_tmp)
{
    /* every type twice: OPTIONAL with NULLs, then REQUIRED */
    sl_schema *s = sl_schema_new(2 * NTYPES);
    for (int i = 0; i < 2 * NTYPES; i++) {
        sl_type t;
        cr_assert_eq(sl_type_parse(all_types[i % NTYPES], &t), 0);
        char name[64];
        snprintf(name, sizeof name, "%s_%s", i < NTYPES ? "opt" : "req", all_types[i % NTYPES]);
        for (char *c = name; *c; c++)
            if (*c == '(' || *c == ')' || *c == ',') *c = '_';
        sl_schema_set(s, i, name, t, i < NTYPES);
    }
    const size_t n = 2500;
    sl_batch *b = sl_batch_new(s, n);
    for (size_t r = 0; r < n; r++)
        for (int c = 0; c < s->ncols; c++) gen(&b->cols[c], r, r, c < NTYPES);
    b->nrows = n;
    write_pq("all/part-00000.parquet", b, 1000);

    fixture f;
    fx_table(&f, "all");
    f.cfg.partition.count = 3;   /* three row groups: three tasks */
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(f.ops->prepare(&f.tab, &err), 0, "%s", err.msg);
    cr_assert_eq(f.tab.schema->ncols, s->ncols);
    for (int c = 0; c < s->ncols; c++) {
        char x[48], y[48];
        cr_assert_str_eq(f.tab.schema->fields[c].name, s->fields[c].name);
        cr_assert_str_eq(sl_type_format(f.tab.schema->fields[c].type, x, sizeof x),
                         sl_type_format(s->fields[c].type, y, sizeof y));
        cr_assert_eq(f.tab.schema->fields[c].nullable, s->fields[c].nullable, "%s", s->fields[c].name);
    }
    cr_assert_eq(f.tab.ntasks, 3);
    size_t seen = 0;
    for (int t = 0; t < f.tab.ntasks; t++) {
        cr_assert_eq(f.tab.tasks[t].est_rows, t < 2 ? 1000 : 500);
        void *rd = f.ops->open(&f.tab, &f.tab.tasks[t], &err);
        cr_assert_not_null(rd, "%s", err.msg);
        sl_batch *got = sl_batch_new(f.tab.schema, 300);
        long k;
        while ((k = f.ops->next(rd, got, &err)) > 0)
            for (size_t r = 0; r < got->nrows; r++, seen++)
                for (int c = 0; c < s->ncols; c++) {
                    char what[128];
                    snprintf(what, sizeof what, "row %zu column %s", seen, s->fields[c].name);
                    same_value(&b->cols[c], seen, &got->cols[c], r, what);
                }
        cr_assert_eq(k, 0, "%s", err.msg);
        sl_batch_free(got);
        f.ops->close(rd);
    }
    cr_assert_eq(seen, n);
    sl_test_fx_done(&f);
    sl_batch_free(b);
    sl_schema_free(s);
}

/* ---- lake tables: manifest and directory walk ---- */

static void write_manifest(const char *table, const char *const *names, const int64_t *bytes, int n)
{
    sl_buf m = {0};
    char line[512];
    snprintf(line, sizeof line, "{\n  \"format\": \"sluice-manifest\",\n  \"manifest_version\": 1,\n  \"job\": \"j\\u00e9\",\n"
             "  \"run_id\": 3, \"extra\": {\"a\": [1, 2.5e3, null, true]},\n  \"files\": [");
    sl_buf_append(&m, line, strlen(line));
    for (int i = 0; i < n; i++) {
        snprintf(line, sizeof line, "%s\n    {\"name\": \"%s\", \"rows\": 1, \"bytes\": %lld, \"crc32\": 7}", i ? "," : "",
                 names[i], (long long)bytes[i]);
        sl_buf_append(&m, line, strlen(line));
    }
    sl_buf_append(&m, "\n  ]\n}\n", 7);
    sl_buf_push(&m, 0);
    char *rel = sl_sprintf("%s/%s", table, SL_SOURCE_MANIFEST);
    write_text(rel, (char *)m.data);
    sl_free(rel);
    sl_buf_free(&m);
}

Test(src_parquet, manifest_name_matches_publish)
{
    cr_assert_str_eq(SL_SOURCE_MANIFEST, SL_MANIFEST_NAME);
}

Test(src_parquet, manifest_lists_exactly_its_files, .init = mkdir_tmp, .fini = rm_tmp)
{
    write_ids("t/part-00001.parquet", 100, 3);
    write_ids("t/part-00000.parquet", 1, 2);
    write_ids("t/stray.parquet", 1000, 5);   /* not listed: not read */
    const char *names[] = { "part-00001.parquet", "part-00000.parquet" };
    int64_t bytes[] = { file_size("t/part-00001.parquet"), file_size("t/part-00000.parquet") };
    write_manifest("t", names, bytes, 2);
    fixture f;
    fx_table(&f, "t");
    long rows;
    char *text = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(text, "100\n101\n102\n1\n2\n");   /* the manifest's order */
    cr_assert_str_eq(f.tab.tasks[0].predicate, "t/part-00001.parquet");
    cr_assert_eq(f.tab.tasks[0].est_rows, 3);
    sl_free(text);
    sl_test_fx_done(&f);

    bytes[1] += 1;
    write_manifest("t", names, bytes, 2);
    fx_table(&f, "t");
    sl_test_expect_error(&f, SL_ESOURCE, "part-00000.parquet has", "but _sluice_manifest.json says");
    sl_test_fx_done(&f);

    const char *gone[] = { "part-00009.parquet" };
    write_manifest("t", gone, bytes, 1);
    fx_table(&f, "t");
    sl_test_expect_error(&f, SL_ESOURCE, "part-00009.parquet is listed in _sluice_manifest.json but missing", NULL);
    sl_test_fx_done(&f);

    write_text("t/_sluice_manifest.json", "{\"format\": \"sluice-manifest\", \"files\": [{\"name\": \"x\"}");
    fx_table(&f, "t");
    sl_test_expect_error(&f, SL_ESOURCE, "is not a sluice manifest", "remove it");
    sl_test_fx_done(&f);
}

Test(src_parquet, directory_walk_skips_hidden_and_metadata, .init = mkdir_tmp, .fini = rm_tmp)
{
    write_ids("t/b.parquet", 3, 1);
    write_ids("t/a.parquet", 1, 2);
    write_text("t/_SUCCESS", "");
    write_text("t/.a.parquet.crc", "junk");
    write_text("t/_common_metadata.parquet", "junk");
    write_text("t/notes.txt", "junk");
    mkdirs("t/.sluice-staging/j/run-1/t");
    write_text("t/.sluice-staging/j/run-1/t/part-00000.parquet", "junk");
    mkdirs("t/not-a-partition");
    write_text("t/not-a-partition/x.parquet", "junk");
    fixture f;
    fx_table(&f, "t");
    long rows;
    char *text = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(text, "1\n2\n3\n");
    cr_assert_eq(f.tab.ntasks, 2);
    cr_assert_str_eq(f.tab.tasks[1].predicate, "t/b.parquet");
    sl_free(text);
    sl_test_fx_done(&f);
}

/* ---- hive partitions ---- */

Test(src_parquet, hive_partition_columns, .init = mkdir_tmp, .fini = rm_tmp)
{
    write_ids("ev/year=2023/region=eu%2Fwest/a.parquet", 1, 2);
    write_ids("ev/year=2024/region=us/b.parquet", 3, 1);
    write_ids("ev/year=__HIVE_DEFAULT_PARTITION__/region=us/c.parquet", 4, 1);
    fixture f;
    fx_table(&f, "ev");
    long rows;
    char *text = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(text, "1|2023|eu/west\n2|2023|eu/west\n3|2024|us\n4|<null>|us\n");
    char x[48];
    cr_assert_str_eq(sl_type_format(f.tab.schema->fields[1].type, x, sizeof x), "int64");
    cr_assert(f.tab.schema->fields[1].nullable);
    cr_assert_str_eq(sl_type_format(f.tab.schema->fields[2].type, x, sizeof x), "string");
    cr_assert(!f.tab.schema->fields[2].nullable);
    cr_assert_str_eq(f.tab.tasks[0].predicate, "ev/year=2023/region=eu%2Fwest/a.parquet");
    sl_free(text);
    sl_test_fx_done(&f);

    /* columns: picks and types partition keys too; only keys: rows from the footers */
    sl_job_column cols[] = { { "region", { .id = SL_T_STRING }, true }, { "year", { .id = SL_T_INT32 }, true } };
    fx_table(&f, "ev");
    f.cfg.columns = cols;
    f.cfg.ncolumns = 2;
    text = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(text, "eu/west|2023\neu/west|2023\nus|2024\nus|<null>\n");
    sl_free(text);
    sl_test_fx_done(&f);

    cols[1].nullable = false;
    fx_table(&f, "ev");
    f.cfg.columns = cols;
    f.cfg.ncolumns = 2;
    sl_test_expect_error(&f, SL_EDATA, "partition year is __HIVE_DEFAULT_PARTITION__", "not nullable");
    sl_test_fx_done(&f);

    /* files at different partition depths */
    write_ids("ev/d.parquet", 9, 1);
    fx_table(&f, "ev");
    sl_test_expect_error(&f, SL_ESOURCE, "ev/d.parquet", "same partition keys");
    sl_test_fx_done(&f);
}

/* ---- schemas ---- */

Test(src_parquet, schemas_that_disagree_name_both_files, .init = mkdir_tmp, .fini = rm_tmp)
{
    sl_schema *s;
    sl_batch *b = ids_batch(&s, "id", 1, 3, false, false);
    write_pq("t/a.parquet", b, 100);
    sl_batch_free(b);
    sl_schema_free(s);
    b = ids_batch(&s, "id", 4, 3, true, true);   /* int32 */
    write_pq("t/b.parquet", b, 100);
    sl_batch_free(b);
    sl_schema_free(s);
    fixture f;
    fx_table(&f, "t");
    sl_test_expect_error(&f, SL_ESOURCE, "files t/a.parquet and t/b.parquet disagree on column id",
                         "int64 in t/a.parquet, int32 in t/b.parquet");
    sl_test_fx_done(&f);

    /* a type both convert to resolves it; REQUIRED and OPTIONAL mix */
    sl_job_column cols[] = { { "id", { .id = SL_T_INT64 }, true } };
    fx_table(&f, "t");
    f.cfg.columns = cols;
    f.cfg.ncolumns = 1;
    long rows;
    char *text = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(text, "1\n2\n3\n4\n5\n6\n");
    sl_free(text);
    sl_test_fx_done(&f);

    /* narrowing is refused, naming the file */
    cols[0].type.id = SL_T_INT16;
    fx_table(&f, "t");
    f.cfg.columns = cols;
    f.cfg.ncolumns = 1;
    sl_test_expect_error(&f, SL_ETYPE, "t/a.parquet: column id is int64, which does not convert to int16", NULL);
    sl_test_fx_done(&f);

    /* a column missing from one file */
    b = ids_batch(&s, "other", 4, 3, false, false);
    write_pq("t/b.parquet", b, 100);
    sl_batch_free(b);
    sl_schema_free(s);
    fx_table(&f, "t");
    sl_test_expect_error(&f, SL_ESOURCE, "files t/a.parquet and t/b.parquet disagree: column id is in t/a.parquet but "
                         "not in t/b.parquet", NULL);
    sl_test_fx_done(&f);
}

Test(src_parquet, optional_and_required_mix_is_nullable, .init = mkdir_tmp, .fini = rm_tmp)
{
    sl_schema *s;
    sl_batch *b = ids_batch(&s, "id", 1, 2, false, false);
    write_pq("t/a.parquet", b, 100);
    sl_batch_free(b);
    sl_schema_free(s);
    b = ids_batch(&s, "id", 3, 2, false, true);
    sl_vec_set_null(&b->cols[0], 1);
    b->cols[0].valid[1] = 0;
    write_pq("t/b.parquet", b, 100);
    sl_batch_free(b);
    sl_schema_free(s);
    fixture f;
    fx_table(&f, "t");
    long rows;
    char *text = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(text, "1\n2\n3\n<null>\n");
    cr_assert(f.tab.schema->fields[0].nullable);
    sl_free(text);
    sl_test_fx_done(&f);

    sl_job_column cols[] = { { "id", { .id = SL_T_INT64 }, false } };
    fx_table(&f, "t");
    f.cfg.columns = cols;
    f.cfg.ncolumns = 1;
    sl_test_expect_error(&f, SL_EDATA, "b.parquet: row 1: column id: NULL in a column declared not nullable", NULL);
    sl_test_fx_done(&f);
}

Test(src_parquet, columns_select_and_widen, .init = mkdir_tmp, .fini = rm_tmp)
{
    sl_schema *s = sl_schema_new(4);
    sl_type i16 = { .id = SL_T_INT16 }, dec = { .id = SL_T_DECIMAL, .precision = 5, .scale = 2 },
            f32 = { .id = SL_T_FLOAT32 }, js = { .id = SL_T_JSON };
    sl_schema_set(s, 0, "a", i16, true);
    sl_schema_set(s, 1, "d", dec, true);
    sl_schema_set(s, 2, "f", f32, true);
    sl_schema_set(s, 3, "j", js, true);
    sl_batch *b = sl_batch_new(s, 2);
    int16_t a0 = -32768, a1 = 7;
    int32_t d0 = -99999, d1 = 12345;
    float f0 = 0.1f, f1 = -2.5f;
    memcpy(sl_vec_slot(&b->cols[0], 0), &a0, 2);
    memcpy(sl_vec_slot(&b->cols[0], 1), &a1, 2);
    int64_t dd0 = d0, dd1 = d1;
    memcpy(sl_vec_slot(&b->cols[1], 0), &dd0, 8);
    memcpy(sl_vec_slot(&b->cols[1], 1), &dd1, 8);
    memcpy(sl_vec_slot(&b->cols[2], 0), &f0, 4);
    memcpy(sl_vec_slot(&b->cols[2], 1), &f1, 4);
    sl_vec_set_bytes(&b->cols[3], 0, "{\"a\":1}", 7);
    sl_vec_set_null(&b->cols[3], 1);
    b->nrows = 2;
    write_pq("x.parquet", b, 100);
    sl_batch_free(b);
    sl_schema_free(s);

    sl_type t;
    sl_job_column cols[5];
    memset(cols, 0, sizeof cols);
    const char *spec[][2] = { { "j", "string" }, { "d", "decimal(20,4)" }, { "a", "int64" }, { "f", "float64" },
                              { "a", "string" } };
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(sl_type_parse(spec[i][1], &t), 0);
        cols[i] = (sl_job_column){ (char *)spec[i][0], t, true };
    }
    fixture f;
    fx_file(&f, "x.parquet");
    f.cfg.columns = cols;
    f.cfg.ncolumns = 4;
    long rows;
    char *text = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(text, "{\"a\":1}|-999.9900|-32768|0.10000000149011612\n<null>|123.4500|7|-2.5\n");
    sl_free(text);
    sl_test_fx_done(&f);

    /* not a column: the message lists what there is */
    cols[0].name = "nope";
    fx_file(&f, "x.parquet");
    f.cfg.columns = cols;
    f.cfg.ncolumns = 1;
    sl_test_expect_error(&f, SL_EJOB, "columns: nope is not a column of x.parquet", "it has: a, d, f, j");
    sl_test_fx_done(&f);
}

/* ---- tasks ---- */

Test(src_parquet, row_group_range_tasks, .init = mkdir_tmp, .fini = rm_tmp)
{
    sl_schema *s;
    sl_batch *b = ids_batch(&s, "id", 0, 1000, false, false);
    write_pq("big.parquet", b, 100);   /* 10 row groups */
    sl_batch_free(b);
    sl_schema_free(s);
    write_ids("small.parquet", 5000, 3);

    fixture f;
    fx_file(&f, "*.parquet");
    f.cfg.partition.count = 5;
    long rows;
    char *text = sl_test_read_ok(&f, &rows);
    cr_assert_eq(rows, 1003);
    cr_assert_gt(f.tab.ntasks, 3);
    int64_t est = 0;
    for (int t = 0; t < f.tab.ntasks; t++) est += f.tab.tasks[t].est_rows;
    cr_assert_eq(est, 1003);
    cr_assert(strstr(f.tab.tasks[0].predicate, "big.parquet (row groups 0-"), "%s", f.tab.tasks[0].predicate);
    cr_assert_str_eq(f.tab.tasks[f.tab.ntasks - 1].predicate, "small.parquet");
    cr_assert(strstr(f.tab.strategy_note, "cut into row-group ranges"), "%s", f.tab.strategy_note);
    /* every id once, in order */
    char *p = text;
    for (int i = 0; i < 1000; i++) {
        char *nl = strchr(p, '\n');
        cr_assert_not_null(nl);
        cr_assert_eq(strtol(p, NULL, 10), i);
        p = nl + 1;
    }
    sl_free(text);
    sl_test_fx_done(&f);

    /* partition: none -> a task per file; by default small files are not cut */
    fx_file(&f, "*.parquet");
    f.cfg.partition.strategy = "none";
    f.cfg.partition.count = 5;
    text = sl_test_read_ok(&f, &rows);
    cr_assert_eq(f.tab.ntasks, 2);
    cr_assert_str_eq(f.tab.tasks[0].predicate, "big.parquet");
    cr_assert_eq(f.tab.tasks[0].est_rows, 1000);
    sl_free(text);
    sl_test_fx_done(&f);
    fx_file(&f, "*.parquet");
    text = sl_test_read_ok(&f, &rows);
    cr_assert_eq(f.tab.ntasks, 2);
    sl_free(text);
    sl_test_fx_done(&f);

    fx_file(&f, "big.parquet");
    f.cfg.partition.column = "id";
    sl_test_expect_error(&f, SL_EJOB, "partition: takes only strategy auto or none", NULL);
    sl_test_fx_done(&f);
}

/* ---- errors ---- */

Test(src_parquet, nothing_to_read_is_an_error, .init = mkdir_tmp, .fini = rm_tmp)
{
    fixture f;
    fx_file(&f, "*.parquet");
    sl_test_expect_error(&f, SL_ESOURCE, "no file matches *.parquet", NULL);
    sl_test_fx_done(&f);

    mkdirs("empty");
    write_text("empty/_SUCCESS", "");
    fx_table(&f, "empty");
    sl_test_expect_error(&f, SL_ESOURCE, "no *.parquet file in", "empty");
    sl_test_fx_done(&f);

    fx_table(&f, "missing");
    sl_test_expect_error(&f, SL_ESOURCE, "no table directory", "missing");
    sl_test_fx_done(&f);

    write_text("bad.parquet", "not parquet at all");
    fx_file(&f, "bad.parquet");
    sl_test_expect_error(&f, SL_EFORMAT, "bad.parquet", "not a Parquet file");
    sl_test_fx_done(&f);
}

Test(src_parquet, nested_columns_are_refused_by_name)
{
    const char *corpus = "../shared/parquet-testing/data";
    char path[512];
    snprintf(path, sizeof path, "%s/nested_lists.snappy.parquet", corpus);
    if (access(path, R_OK) != 0) {
        printf("SKIP: nested_columns_are_refused_by_name: %s not found\n", path);
        return;
    }
    fixture f;
    sl_test_fx_init(&f, &sl_source_parquet, "lk", "parquet");
    f.src.path = (char *)corpus;
    f.cfg.file = "nested_lists.snappy.parquet";
    f.cfg.partition.strategy = "auto";
    sl_test_expect_error(&f, SL_ETYPE, "nested_lists.snappy.parquet: column a is nested", "columns:");
    sl_test_fx_done(&f);
}

/* ---- the job file ---- */

static void job_error(const char *yaml, const char *needle)
{
    sl_err err = SL_ERR_INIT;
    sl_job *job = sl_job_parse(yaml, strlen(yaml), "j.yaml", &err);
    cr_assert_null(job, "accepted: %s", yaml);
    cr_assert(strstr(err.msg, needle), "'%s' not in: %s", needle, err.msg);
}

Test(src_parquet, job_file_keys)
{
    const char *ok = "sources: { lk: { kind: parquet, path: lake } }\n"
                     "targets: { out: { kind: csv, path: out } }\n"
                     "tables: { a: { from: lk, table: orders, to: out }, b: { from: lk, file: 'x/*.parquet', to: out,"
                     " partition: { count: 4 }, columns: { id: int64 } } }\n";
    sl_err err = SL_ERR_INIT;
    sl_job *job = sl_job_parse(ok, strlen(ok), "/tmp/j.yaml", &err);
    cr_assert_not_null(job, "%s", err.msg);
    cr_assert_str_eq(job->sources[0].path, "/tmp/lake");
    cr_assert_str_eq(job->tables[1].file, "x/*.parquet");
    sl_job_free(job);
    job_error("sources: { lk: { kind: parquet, path: l, delimiter: ';' } }\ntargets: { o: { kind: csv, path: o } }\n"
              "tables: { a: { from: lk, table: t, to: o } }\n", "key 'delimiter' does not apply to parquet sources");
    job_error("sources: { lk: { kind: parquet } }\ntargets: { o: { kind: csv, path: o } }\n"
              "tables: { a: { from: lk, table: t, to: o } }\n", "missing key 'path'");
    job_error("sources: { lk: { kind: parquet, path: l } }\ntargets: { o: { kind: csv, path: o } }\n"
              "tables: { a: { from: lk, query: 'select 1', to: o } }\n", "key 'query' does not apply");
    job_error("sources: { lk: { kind: parquet, path: l } }\ntargets: { o: { kind: csv, path: o } }\n"
              "tables: { a: { from: lk, table: t, file: f, to: o } }\n", "either 'table' or 'file'");
    job_error("sources: { lk: { kind: parquet, path: l } }\ntargets: { o: { kind: csv, path: o } }\n"
              "tables: { a: { from: lk, to: o } }\n", "missing key 'table'");
}
