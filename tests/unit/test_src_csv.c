/*
 * test_src_csv.c - the csv source and its record parser: RFC 4180 quoting
 * (delimiters, quotes and newlines inside fields), BOM, CRLF, gzip and zstd
 * input, type inference, explicit columns matched by header name, NULL rules,
 * line numbers in errors, the rejects file, globs, and records that cross
 * read-buffer boundaries.
 */
#include "sl_test.h"

#include "core/sl_alloc.h"
#include "core/sl_buf.h"
#include "core/sl_types.h"
#include "sources/sl_csv_parse.h"
#include "sources/sl_source.h"
#include "core/sl_text_value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

static char dir[256];

static void mkdir_tmp(void) { sl_test_mkdtemp(dir, sizeof dir, "/tmp/sl-test-csv.XXXXXX"); }
static void rm_tmp(void) { sl_test_rmtree(dir); }

static char *path_of(const char *name)
{
    return sl_sprintf("%s/%s", dir, name);
}

static void write_file(const char *name, const void *data, size_t n)
{
    char *p = path_of(name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
    sl_free(p);
}

static void write_str(const char *name, const char *s) { write_file(name, s, strlen(s)); }

typedef sl_test_fx fixture;

static void fx_init(fixture *f, const char *file)
{
    sl_test_fx_init(f, &sl_source_csv, "files", "csv");
    f->batch_rows = 100;
    f->src.path = dir;
    f->src.delimiter = ',';
    f->src.header = true;
    f->src.compression = "auto";
    f->cfg.file = (char *)file;
}

static const char *type_of(fixture *f, int col, char *buf)
{
    return sl_type_format(f->tab.schema->fields[col].type, buf, 64);
}

Test(csv_parse, quoting_rules)
{
    sl_csv_rec rec = {0};
    sl_err err = SL_ERR_INIT;
    size_t used;
    const char *in = "a,\"b,\"\"c\"\"\nd\",,\"\"\r\nnext";
    cr_assert_eq(sl_csv_parse(',', (const uint8_t *)in, strlen(in), false, &rec, &used, &err), 1);
    cr_assert_eq(rec.nfields, 4);
    cr_assert_eq(rec.lines, 2);
    cr_assert_eq(used, strlen(in) - 4);
    cr_assert_eq(rec.fields[1].len, 7);
    cr_assert_eq(memcmp(rec.text.data + rec.fields[1].off, "b,\"c\"\nd", 7), 0);
    cr_assert(!rec.fields[2].quoted && rec.fields[2].len == 0);
    cr_assert(rec.fields[3].quoted && rec.fields[3].len == 0);
    /* "next" without a line end: incomplete unless at eof. */
    cr_assert_eq(sl_csv_parse(',', (const uint8_t *)"next", 4, false, &rec, &used, &err), 0);
    cr_assert_eq(sl_csv_parse(',', (const uint8_t *)"next", 4, true, &rec, &used, &err), 1);
    cr_assert_eq(rec.nfields, 1);
    /* Errors cover their line so the caller can go on. */
    const char *bad = "\"x\"y,1\nok\n";
    cr_assert_eq(sl_csv_parse(',', (const uint8_t *)bad, strlen(bad), false, &rec, &used, &err), -1);
    cr_assert_eq(used, 7);
    cr_assert_eq(sl_csv_parse(',', (const uint8_t *)"\"open", 5, true, &rec, &used, &err), -1);
    cr_assert(strstr(err.msg, "unterminated"));
    /* Trailing delimiter: an empty last field. */
    cr_assert_eq(sl_csv_parse(',', (const uint8_t *)"a,\n", 3, false, &rec, &used, &err), 1);
    cr_assert_eq(rec.nfields, 2);
    cr_assert_eq(sl_csv_parse(',', (const uint8_t *)"a,", 2, true, &rec, &used, &err), 1);
    cr_assert_eq(rec.nfields, 2);
    sl_csv_rec_free(&rec);
}

Test(text_value, parsers)
{
    int64_t i;
    cr_assert_eq(sl_text_int64("-9223372036854775808", 20, &i), 0);
    cr_assert_eq(i, INT64_MIN);
    cr_assert_eq(sl_text_int64("9223372036854775808", 19, &i), -1);
    cr_assert_eq(sl_text_int64("12a", 3, &i), -1);
    cr_assert_eq(sl_text_int64("", 0, &i), -1);
    sl_i128 d;
    const char *why;
    cr_assert_eq(sl_text_decimal("-12.50", 6, 5, 2, &d, &why), 0);
    cr_assert(d == -1250);
    cr_assert_eq(sl_text_decimal("1.5e2", 5, 5, 2, &d, &why), 0);
    cr_assert(d == 15000);
    cr_assert_eq(sl_text_decimal("1.234", 5, 5, 2, &d, &why), -1);
    cr_assert(strstr(why, "fractional"));
    cr_assert_eq(sl_text_decimal("1000", 4, 5, 2, &d, &why), -1);
    cr_assert(strstr(why, "precision"));
    cr_assert_eq(sl_text_decimal("99999999999999999999999999999999999999", 38, 38, 0, &d, &why), 0);
    int32_t day;
    cr_assert_eq(sl_text_date("1969-12-31", 10, &day), 0);
    cr_assert_eq(day, -1);
    cr_assert_eq(sl_text_date("2023-02-29", 10, &day), -1);
    cr_assert_eq(sl_text_date("2024-02-29", 10, &day), 0);
    int64_t us;
    bool zone;
    cr_assert_eq(sl_text_timestamp("1970-01-01T00:00:01.5Z", 22, &us, &zone), 0);
    cr_assert_eq(us, 1500000);
    cr_assert(zone);
    cr_assert_eq(sl_text_timestamp("1970-01-01 02:00:00+02:00", 25, &us, &zone), 0);
    cr_assert_eq(us, 0);
    cr_assert_eq(sl_text_timestamp("1970-01-01 02:00", 16, &us, &zone), 0);
    cr_assert_eq(us, 7200000000LL);
    cr_assert(!zone);
    cr_assert_eq(sl_text_timestamp("1970-01-01 25:00", 16, &us, &zone), -1);
    cr_assert_eq(sl_text_time("23:59:59.999999", 15, &us), 0);
    double f;
    cr_assert_eq(sl_text_float64("1e-3", 4, &f), 0);
    cr_assert_eq(f, 0.001);
    cr_assert_eq(sl_text_float64("0x10", 4, &f), -1);
    uint8_t u[16];
    cr_assert_eq(sl_text_uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", 36, u), 0);
    cr_assert_eq(u[0], 0xa0);
    cr_assert_eq(u[15], 0x11);
}

Test(src_csv, inference_nulls_quoting_bom_crlf)
{
    mkdir_tmp();
    write_str("t.csv",
              "\xef\xbb\xbfid,price,day,at,atz,flag,name,empty\r\n"
              "1,1.5,2024-01-31,2024-01-31 12:00:00,2024-01-31T12:00:00Z,true,\"Smith, \"\"J\"\"\r\nline2\",\r\n"
              "2,-3,1969-12-31,1900-01-01 00:00:00.000001,2024-01-31 12:00:00+01:00,FALSE,\"\",\r\n"
              "\r\n"
              ",,,,,,,\r\n"
              "-9223372036854775808,1e300,2999-12-31,2999-12-31 23:59:59,1970-01-01 00:00:00Z,false,héllo ✓,\r\n");
    fixture f;
    fx_init(&f, "t.csv");
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    char tb[64];
    cr_assert_str_eq(f.tab.schema->fields[0].name, "id");
    cr_assert_str_eq(type_of(&f, 0, tb), "int64");
    cr_assert_str_eq(type_of(&f, 1, tb), "float64");
    cr_assert_str_eq(type_of(&f, 2, tb), "date");
    cr_assert_str_eq(type_of(&f, 3, tb), "timestamp");
    cr_assert_str_eq(type_of(&f, 4, tb), "timestamptz");
    cr_assert_str_eq(type_of(&f, 5, tb), "bool");
    cr_assert_str_eq(type_of(&f, 6, tb), "string");
    cr_assert_str_eq(type_of(&f, 7, tb), "string");
    cr_assert_eq(rows, 4);
    cr_assert_str_eq(got,
                     "1|1.5|2024-01-31|2024-01-31 12:00:00|2024-01-31 12:00:00+00|true|Smith, \"J\"\r\nline2|<null>\n"
                     "2|-3|1969-12-31|1900-01-01 00:00:00.000001|2024-01-31 11:00:00+00|false||<null>\n"
                     "<null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>\n"
                     "-9223372036854775808|1e+300|2999-12-31|2999-12-31 23:59:59|1970-01-01 00:00:00+00|false|héllo ✓|<null>\n");
    sl_free(got);
    sl_test_fx_done(&f);
    rm_tmp();
}

static void compressed(bool zstd)
{
    mkdir_tmp();
    sl_buf csv = {0};
    const char *head = "id,s\n";
    sl_buf_append(&csv, head, strlen(head));
    for (int i = 0; i < 50000; i++) {
        char line[64];
        int n = snprintf(line, sizeof line, "%d,\"v%d\nx\"\n", i, i);
        sl_buf_append(&csv, line, (size_t)n);
    }
    char *p = path_of(zstd ? "data.csv.zst" : "data.csv.gz");
    if (zstd) {
        size_t cap = ZSTD_compressBound(csv.len);
        void *z = sl_malloc(cap);
        size_t zn = ZSTD_compress(z, cap, csv.data, csv.len, 3);
        cr_assert(!ZSTD_isError(zn));
        write_file("data.csv.zst", z, zn);
        sl_free(z);
    } else {
        gzFile g = gzopen(p, "wb");
        cr_assert_eq(gzwrite(g, csv.data, (unsigned)csv.len), (int)csv.len);
        gzclose(g);
    }
    fixture f;
    fx_init(&f, zstd ? "data.csv.zst" : "data.csv.gz");
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_eq(rows, 50000);
    cr_assert(strstr(got, "49999|v49999\nx\n"));
    cr_assert_eq(strncmp(got, "0|v0\nx\n1|v1\nx\n", 14), 0);
    sl_free(got);
    sl_test_fx_done(&f);
    sl_free(p);
    sl_buf_free(&csv);
    rm_tmp();
}

Test(src_csv, gzip_input) { compressed(false); }
Test(src_csv, zstd_input) { compressed(true); }

Test(src_csv, too_many_fields_names_file_and_line)
{
    mkdir_tmp();
    write_str("bad.csv", "a,b\n1,2\n\"multi\nline\",3\n4,5,6\n");
    fixture f;
    fx_init(&f, "bad.csv");
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_source_csv.prepare(&f.tab, &err), 0, "%s", err.msg);
    sl_buf out = {0};
    long rows;
    cr_assert_eq(sl_test_read_all(&f, &out, &rows, &err), -1);
    cr_assert_eq(err.code, SL_EFORMAT);
    cr_assert(strstr(err.msg, "bad.csv: line 5"), "%s", err.msg);
    cr_assert(strstr(err.msg, "too many"), "%s", err.msg);
    sl_buf_free(&out);
    sl_test_fx_done(&f);
    rm_tmp();
}

Test(src_csv, bad_value_after_the_sample_names_column_and_line)
{
    mkdir_tmp();
    sl_buf csv = {0};
    sl_buf_append(&csv, "n,s\n", 4);
    for (int i = 0; i < 1500; i++) {
        char line[32];
        sl_buf_append(&csv, line, (size_t)snprintf(line, sizeof line, "%d,x\n", i));
    }
    sl_buf_append(&csv, "abc,x\n", 6);
    write_file("late.csv", csv.data, csv.len);
    fixture f;
    fx_init(&f, "late.csv");
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_source_csv.prepare(&f.tab, &err), 0, "%s", err.msg);
    sl_buf out = {0};
    long rows;
    cr_assert_eq(sl_test_read_all(&f, &out, &rows, &err), -1);
    cr_assert_eq(err.code, SL_EDATA);
    cr_assert(strstr(err.msg, "line 1502"), "%s", err.msg);
    cr_assert(strstr(err.msg, "column n"), "%s", err.msg);
    cr_assert(strstr(err.msg, "'abc'"), "%s", err.msg);
    sl_buf_free(&out);
    sl_buf_free(&csv);
    sl_test_fx_done(&f);
    rm_tmp();
}

Test(src_csv, rejects_file_collects_bad_rows)
{
    mkdir_tmp();
    write_str("r.csv", "id,amount\n1,1.50\n2,x\n3,4,5\n4,\"unterminated\n");
    sl_job_column cols[] = { { .name = "amount", .type = { .id = SL_T_DECIMAL, .precision = 10, .scale = 2 }, .nullable = true },
                             { .name = "id", .type = { .id = SL_T_INT32 }, .nullable = false } };
    fixture f;
    fx_init(&f, "r.csv");
    f.cfg.columns = cols;
    f.cfg.ncolumns = 2;
    char *rej = path_of("rejects.csv");
    f.cfg.rejects = rej;
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_eq(rows, 1);
    cr_assert_str_eq(got, "1.50|1\n");
    sl_test_fx_done(&f);
    FILE *fp = fopen(rej, "r");
    cr_assert_not_null(fp);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = 0;
    fclose(fp);
    cr_assert(strstr(buf, "file,line,reason,raw\n"), "%s", buf);
    cr_assert(strstr(buf, ",3,\"column amount: value 'x' is not a valid decimal(10,2)"), "%s", buf);
    cr_assert(strstr(buf, ",4,\"has 3 fields, expected 2 (too many)\",\"3,4,5\"\n"), "%s", buf);
    cr_assert(strstr(buf, ",5,\"unterminated"), "%s", buf);
    sl_free(got);
    sl_free(rej);
    rm_tmp();
}

Test(src_csv, explicit_columns_no_header_delimiter_null_string)
{
    mkdir_tmp();
    write_str("x.txt", "1;NULL;a\n2;;\"NULL\"\n");
    sl_job_column cols[] = { { .name = "id", .type = { .id = SL_T_INT64 }, .nullable = true },
                             { .name = "v", .type = { .id = SL_T_STRING }, .nullable = true },
                             { .name = "w", .type = { .id = SL_T_STRING }, .nullable = true } };
    fixture f;
    fx_init(&f, "x.txt");
    f.src.header = false;
    f.src.delimiter = ';';
    f.src.null_string = "NULL";
    f.cfg.columns = cols;
    f.cfg.ncolumns = 3;
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(got, "1|<null>|a\n2||NULL\n");
    sl_free(got);
    sl_test_fx_done(&f);
    rm_tmp();
}

Test(src_csv, header_names_must_match_columns)
{
    mkdir_tmp();
    write_str("h.csv", "a,b\n1,2\n");
    sl_job_column cols[] = { { .name = "c", .type = { .id = SL_T_INT64 }, .nullable = true } };
    fixture f;
    fx_init(&f, "h.csv");
    f.cfg.columns = cols;
    f.cfg.ncolumns = 1;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_source_csv.prepare(&f.tab, &err), -1);
    cr_assert(strstr(err.msg, "column c is not in the header"), "%s", err.msg);
    cr_assert(strstr(err.msg, "a, b"), "%s", err.msg);
    sl_test_fx_done(&f);
    rm_tmp();
}

Test(src_csv, glob_gives_one_task_per_file_and_missing_file_errors)
{
    mkdir_tmp();
    write_str("o-2.csv", "id\n3\n4\n");
    write_str("o-1.csv", "id\n1\n2\n");
    write_str("other.csv", "id\n9\n");
    fixture f;
    fx_init(&f, "o-*.csv");
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_eq(f.tab.ntasks, 2);
    cr_assert_str_eq(f.tab.tasks[0].predicate, "o-1.csv");
    cr_assert_str_eq(got, "1\n2\n3\n4\n");
    sl_free(got);
    sl_test_fx_done(&f);

    fx_init(&f, "nope.csv");
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_source_csv.prepare(&f.tab, &err), -1);
    cr_assert_eq(err.code, SL_ESOURCE);
    cr_assert(strstr(err.msg, "nope.csv"), "%s", err.msg);
    sl_test_fx_done(&f);
    rm_tmp();
}

Test(src_csv, records_across_buffer_boundaries)
{
    mkdir_tmp();
    sl_buf csv = {0};
    sl_buf_append(&csv, "id,s\n", 5);
    long long sum = 0;
    int n = 0;
    char xs[301], ys[301];
    memset(xs, 'x', 300);
    memset(ys, 'y', 300);
    xs[300] = ys[300] = 0;
    while (csv.len < 5u << 20) {
        char line[1024];
        int k = n % 300;
        int len = snprintf(line, sizeof line, "%d,\"%.*s\"\"\n%.*s\"\n", n, k, xs, k, ys);
        sl_buf_append(&csv, line, (size_t)len);
        sum += n;
        n++;
    }
    write_file("big.csv", csv.data, csv.len);
    fixture f;
    fx_init(&f, "big.csv");
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_source_csv.prepare(&f.tab, &err), 0, "%s", err.msg);
    void *rd = sl_source_csv.open(&f.tab, &f.tab.tasks[0], &err);
    cr_assert_not_null(rd);
    sl_batch *b = sl_batch_new(f.tab.schema, 0);
    long got, total = 0;
    long long gsum = 0;
    while ((got = sl_source_csv.next(rd, b, &err)) > 0) {
        for (size_t r = 0; r < b->nrows; r++) {
            int64_t id;
            memcpy(&id, b->cols[0].data + 8 * r, 8);
            size_t len;
            sl_vec_bytes(&b->cols[1], r, &len);
            cr_assert_eq((long)len, 2 * (id % 300) + 2, "id %ld", (long)id);
            gsum += id;
        }
        total += got;
    }
    cr_assert_eq(got, 0, "%s", err.msg);
    cr_assert_eq(total, n);
    cr_assert_eq(gsum, sum);
    sl_batch_free(b);
    sl_source_csv.close(rd);
    sl_buf_free(&csv);
    sl_test_fx_done(&f);
    rm_tmp();
}

/* ---- the hardening items (issue 8): 3, 4, 11, 15, 21 and the rejects review note ---- */

static void gz_append(sl_buf *out, const char *text)
{
    z_stream z = {0};
    cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, strlen(text));
    sl_buf_reserve(out, cap);
    z.next_in = (Bytef *)text;
    z.avail_in = (uInt)strlen(text);
    z.next_out = out->data + out->len;
    z.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    out->len += cap - z.avail_out;
    deflateEnd(&z);
}

static void zst_append(sl_buf *out, const char *text)
{
    size_t cap = ZSTD_compressBound(strlen(text));
    sl_buf_reserve(out, cap);
    size_t n = ZSTD_compress(out->data + out->len, cap, text, strlen(text), 3);
    cr_assert(!ZSTD_isError(n));
    out->len += n;
}

/* Many rows, so a cut lands in the middle of the data. */
static char *many_rows(int n)
{
    sl_buf b = {0};
    sl_buf_append(&b, "id,name\n", 8);
    for (int i = 0; i < n; i++) {
        char line[64];
        sl_buf_append(&b, line, (size_t)snprintf(line, sizeof line, "%d,name number %d\n", i, i * 7919));
    }
    sl_buf_push(&b, 0);
    return (char *)b.data;
}

static void expect_file_error(const char *file, sl_code code, const char *n1, const char *n2)
{
    fixture f;
    fx_init(&f, file);
    sl_test_expect_error(&f, code, n1, n2);
    sl_test_fx_done(&f);
}

Test(src_csv, item3_truncated_or_padded_compressed_input_is_an_error_naming_file_and_offset)
{
    mkdir_tmp();
    char *text = many_rows(20000);
    sl_buf gz = {0}, zs = {0};
    gz_append(&gz, text);
    zst_append(&zs, text);
    write_file("cut.csv.gz", gz.data, gz.len / 2);
    write_file("cut.csv.zst", zs.data, zs.len - 10);
    write_file("empty.csv.gz", "", 0);
    write_file("empty.csv.zst", "", 0);
    char off[64];
    snprintf(off, sizeof off, "ends unexpectedly at byte offset %zu", gz.len / 2);
    expect_file_error("cut.csv.gz", SL_EFORMAT, "cut.csv.gz: the gzip data", off);
    snprintf(off, sizeof off, "ends unexpectedly at byte offset %zu", zs.len - 10);
    expect_file_error("cut.csv.zst", SL_EFORMAT, "cut.csv.zst: the zstd data", off);
    /* item 21: the file's name, never a descriptor */
    expect_file_error("empty.csv.gz", SL_EFORMAT, "empty.csv.gz: the gzip data ends unexpectedly at byte offset 0", NULL);
    expect_file_error("empty.csv.zst", SL_EFORMAT, "empty.csv.zst: the zstd data ends unexpectedly at byte offset 0", NULL);
    /* trailing garbage after a complete gzip stream */
    sl_buf junk = {0};
    sl_buf_append(&junk, gz.data, gz.len);
    sl_buf_append(&junk, "garbage\n", 8);
    write_file("junk.csv.gz", junk.data, junk.len);
    snprintf(off, sizeof off, "from byte offset %zu, are not another gzip member", gz.len);
    expect_file_error("junk.csv.gz", SL_EFORMAT, "junk.csv.gz", off);
    /* corrupt data names the file too (was "<fd:11>") */
    sl_buf bad = {0};
    sl_buf_append(&bad, gz.data, gz.len);
    memset(bad.data + 100, 0x55, 64);
    write_file("bad.csv.gz", bad.data, bad.len);
    expect_file_error("bad.csv.gz", SL_EFORMAT, "bad.csv.gz: corrupt gzip data near byte offset", NULL);
    /* a plain file declared gzip */
    write_str("plain.csv", "a\n1\n");
    fixture f;
    fx_init(&f, "plain.csv");
    f.src.compression = "gzip";
    sl_test_expect_error(&f, SL_EFORMAT, "plain.csv: not gzip data", NULL);
    sl_test_fx_done(&f);
    sl_buf_free(&gz);
    sl_buf_free(&zs);
    sl_buf_free(&junk);
    sl_buf_free(&bad);
    sl_free(text);
    rm_tmp();
}

Test(src_csv, item3_concatenated_gzip_members_and_zstd_frames_are_all_read)
{
    mkdir_tmp();
    sl_buf gz = {0}, zs = {0};
    gz_append(&gz, "id,s\n1,a\n");
    gz_append(&gz, "");   /* an empty member in between */
    gz_append(&gz, "2,b\n3,");
    gz_append(&gz, "c\n");
    zst_append(&zs, "id,s\n1,a\n");
    zst_append(&zs, "2,b\n3,");
    zst_append(&zs, "c\n");
    write_file("m.csv.gz", gz.data, gz.len);
    write_file("m.csv.zst", zs.data, zs.len);
    const char *names[] = { "m.csv.gz", "m.csv.zst" };
    for (int i = 0; i < 2; i++) {
        fixture f;
        fx_init(&f, names[i]);
        long rows;
        char *got = sl_test_read_ok(&f, &rows);
        cr_assert_str_eq(got, "1|a\n2|b\n3|c\n", "%s", names[i]);
        sl_free(got);
        sl_test_fx_done(&f);
    }
    /* A gzip of nothing is an empty file, not a cut one. */
    sl_buf none = {0};
    gz_append(&none, "");
    write_file("none.csv.gz", none.data, none.len);
    expect_file_error("none.csv.gz", SL_EFORMAT, "none.csv.gz is empty", NULL);
    sl_buf_free(&gz);
    sl_buf_free(&zs);
    sl_buf_free(&none);
    rm_tmp();
}

Test(csv_parse, item4_cr_ends_a_record_outside_quotes)
{
    sl_csv_rec rec = {0};
    sl_err err = SL_ERR_INIT;
    size_t used;
    /* "a,b" CR: a record; inside quotes CR is kept. */
    cr_assert_eq(sl_csv_parse(',', (const uint8_t *)"a,b\rc", 5, false, &rec, &used, &err), 1);
    cr_assert_eq(used, 4);
    cr_assert_eq(rec.nfields, 2);
    cr_assert_eq(rec.lines, 1);
    const char *q = "\"x\ry\",2\rnext";
    cr_assert_eq(sl_csv_parse(',', (const uint8_t *)q, strlen(q), false, &rec, &used, &err), 1);
    cr_assert_eq(used, 8);
    cr_assert_eq(rec.lines, 2);
    cr_assert_eq(memcmp(rec.text.data + rec.fields[0].off, "x\ry", 3), 0);
    /* a CR at the end of the buffer may be the start of CRLF: wait */
    cr_assert_eq(sl_csv_parse(',', (const uint8_t *)"a\r", 2, false, &rec, &used, &err), 0);
    cr_assert_eq(sl_csv_parse(',', (const uint8_t *)"\"a\"\r", 4, false, &rec, &used, &err), 0);
    cr_assert_eq(sl_csv_parse(',', (const uint8_t *)"\r", 1, false, &rec, &used, &err), 0);
    cr_assert_eq(sl_csv_parse(',', (const uint8_t *)"a\r", 2, true, &rec, &used, &err), 1);
    cr_assert_eq(used, 2);
    /* a blank line ended by CR */
    cr_assert_eq(sl_csv_parse(',', (const uint8_t *)"\rx", 2, false, &rec, &used, &err), 1);
    cr_assert_eq(rec.nfields, 0);
    cr_assert_eq(used, 1);
    sl_csv_rec_free(&rec);
}

Test(src_csv, item4_cr_only_and_mixed_line_ends)
{
    mkdir_tmp();
    write_str("mac.csv", "id,s\r1,a\r2,\"x\ry\"\r3,c");
    write_str("mixed.csv", "id,s\r\n1,a\r2,b\n3,c\r\n\r4,d\r");
    fixture f;
    fx_init(&f, "mac.csv");
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_eq(rows, 3);
    cr_assert_str_eq(got, "1|a\n2|x\ry\n3|c\n");
    sl_free(got);
    sl_test_fx_done(&f);
    fx_init(&f, "mixed.csv");
    got = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(got, "1|a\n2|b\n3|c\n4|d\n");
    sl_free(got);
    sl_test_fx_done(&f);
    /* line numbers count CR line ends (the bad row is on line 5) */
    write_str("macbad.csv", "id,s\r1,a\r2,\"b\rb\"\rx,c,d\r");
    expect_file_error("macbad.csv", SL_EFORMAT, "macbad.csv: line 5", "too many");
    rm_tmp();
}

Test(src_csv, item11_glob_maps_columns_by_header_name)
{
    mkdir_tmp();
    write_str("p-1.csv", "first,last,age\nAda,Lovelace,36\n");
    write_str("p-2.csv", "last,age,first\nTuring,41,Alan\n");
    fixture f;
    fx_init(&f, "p-*.csv");
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(got, "Ada|Lovelace|36\nAlan|Turing|41\n");
    sl_free(got);
    sl_test_fx_done(&f);
    /* declared columns too: a file may have extra columns, in any order */
    write_str("q-1.csv", "id,v\n1,a\n");
    write_str("q-2.csv", "x,v,id\n9,b,2\n");
    sl_job_column cols[] = { { .name = "id", .type = { .id = SL_T_INT64 }, .nullable = true },
                             { .name = "v", .type = { .id = SL_T_STRING }, .nullable = true } };
    fx_init(&f, "q-*.csv");
    f.cfg.columns = cols;
    f.cfg.ncolumns = 2;
    got = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(got, "1|a\n2|b\n");
    sl_free(got);
    sl_test_fx_done(&f);
    rm_tmp();
}

Test(src_csv, item11_glob_file_with_a_missing_or_extra_column_names_both_files)
{
    mkdir_tmp();
    write_str("m-1.csv", "first,last\nAda,Lovelace\n");
    write_str("m-2.csv", "first\nAlan\n");
    expect_file_error("m-*.csv", SL_EFORMAT, "column last is not in the header of", "m-2.csv (it has: first), but is in the header of");
    expect_file_error("m-*.csv", SL_EFORMAT, "m-1.csv, where the columns come from", NULL);
    write_str("e-1.csv", "first,last\nAda,Lovelace\n");
    write_str("e-2.csv", "first,last,born\nAlan,Turing,1912\n");
    expect_file_error("e-*.csv", SL_EFORMAT, "e-2.csv has column born, which the header of", "e-1.csv, where the columns come from");
    write_str("d-1.csv", "a,b\n1,2\n");
    write_str("d-2.csv", "a,b,a\n1,2,3\n");
    expect_file_error("d-*.csv", SL_EFORMAT, "d-2.csv: the header names column a twice", NULL);
    /* in the first file: repeated names, names that differ only in case */
    write_str("twice.csv", "a,b,a\n1,2,3\n");
    expect_file_error("twice.csv", SL_EFORMAT, "the header names column a twice", NULL);
    write_str("case.csv", "id,ID\n1,2\n");
    expect_file_error("case.csv", SL_EFORMAT, "columns id and ID, which differ only in case", NULL);
    /* a quoted header is just names */
    write_str("quoted.csv", "\"a b\",\"c,d\"\n1,2\n");
    fixture f;
    fx_init(&f, "quoted.csv");
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    cr_assert_str_eq(f.tab.schema->fields[1].name, "c,d");
    sl_free(got);
    sl_test_fx_done(&f);
    rm_tmp();
}

Test(src_csv, item15_inference_never_loses_digits)
{
    mkdir_tmp();
    write_str("n.csv",
              "big,mixed,huge,inf,words,zero,shortest,over38,plain\n"
              "12345678901234567,1.5,1e400,1,nan,-0,0.30000000000000004,1,1.5\n"
              "99999999999999999999,12345678901234567,2,inf,inf,0,0.1,123456789012345678901234567890123456789,2\n"
              "-99999999999999999999,-2.25,3,NaN,-Infinity,-0,1e-5,2,1e300\n");
    fixture f;
    fx_init(&f, "n.csv");
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    char tb[64];
    cr_assert_str_eq(type_of(&f, 0, tb), "decimal(38,0)");
    cr_assert_str_eq(type_of(&f, 1, tb), "decimal(38,2)");
    cr_assert_str_eq(type_of(&f, 2, tb), "string");    /* 1e400 is not Infinity */
    cr_assert_str_eq(type_of(&f, 3, tb), "float64");   /* numbers and NaN/Inf words */
    cr_assert_str_eq(type_of(&f, 4, tb), "string");    /* only words */
    cr_assert_str_eq(type_of(&f, 5, tb), "int64");
    cr_assert_str_eq(type_of(&f, 6, tb), "float64");   /* every value reads back as written */
    cr_assert_str_eq(type_of(&f, 7, tb), "string");    /* 39 digits */
    cr_assert_str_eq(type_of(&f, 8, tb), "float64");
    cr_assert_str_eq(got,
                     "12345678901234567|1.50|1e400|1|nan|0|0.30000000000000004|1|1.5\n"
                     "99999999999999999999|12345678901234567.00|2|Infinity|inf|0|0.1|"
                     "123456789012345678901234567890123456789|2\n"
                     "-99999999999999999999|-2.25|3|NaN|-Infinity|0|1e-05|2|1e+300\n");
    sl_free(got);
    sl_test_fx_done(&f);
    /* a declared float64 refuses 1e400 instead of storing Infinity */
    write_str("f.csv", "x\n1\n1e400\n");
    sl_job_column cols[] = { { .name = "x", .type = { .id = SL_T_FLOAT64 }, .nullable = true } };
    fx_init(&f, "f.csv");
    f.cfg.columns = cols;
    f.cfg.ncolumns = 1;
    sl_test_expect_error(&f, SL_EDATA, "line 3", "value '1e400' is not a valid float64");
    sl_test_fx_done(&f);
    rm_tmp();
}

Test(text_value, item15_float64_range_and_exactness)
{
    double d;
    cr_assert_eq(sl_text_float64("1e400", 5, &d), -1);
    cr_assert_eq(sl_text_float64("-1e400", 6, &d), -1);
    cr_assert_eq(sl_text_float64("1e-400", 6, &d), -1);
    cr_assert_eq(sl_text_float64("4.9e-324", 8, &d), 0);   /* subnormal: kept */
    cr_assert_eq(sl_text_float64("0e999", 5, &d), 0);
    cr_assert_eq(sl_text_float64("12345678901234567", 17, &d), 0);
    cr_assert(!sl_text_float64_exact("12345678901234567", 17, d));
    cr_assert_eq(sl_text_float64("0.30000000000000004", 19, &d), 0);
    cr_assert(sl_text_float64_exact("0.30000000000000004", 19, d));
    cr_assert_eq(sl_text_float64("0.30000000000000001", 19, &d), 0);
    cr_assert(!sl_text_float64_exact("0.30000000000000001", 19, d));
    cr_assert_eq(sl_text_float64("000120.500e-2", 13, &d), 0);
    cr_assert(sl_text_float64_exact("000120.500e-2", 13, d));
    cr_assert_eq(sl_text_float64("-0.000", 6, &d), 0);
    cr_assert(sl_text_float64_exact("-0.000", 6, d));
}

/* The rejects file's contents, or NULL when it does not exist. */
static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return NULL;
    sl_buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) sl_buf_append(&b, chunk, n);
    fclose(fp);
    sl_buf_push(&b, 0);
    return (char *)b.data;
}

Test(src_csv, rejects_prepare_touches_nothing_a_resume_keeps_rows_item21_directory_created)
{
    mkdir_tmp();
    write_str("r-1.csv", "id\n1\nx,x\n");
    write_str("r-2.csv", "id\n2\ny,y\n");
    char *rej = path_of("new/dir/rejects.csv");
    /* plan / validate: prepare + finish, no task opened: nothing is created */
    fixture f;
    fx_init(&f, "r-*.csv");
    f.cfg.rejects = rej;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_source_csv.prepare(&f.tab, &err), 0, "%s", err.msg);
    sl_test_fx_done(&f);
    char *d = path_of("new");
    cr_assert_eq(access(d, F_OK), -1, "plan created %s", d);
    sl_free(d);
    /* a run: the directory is created, rows of both files in task order */
    fx_init(&f, "r-*.csv");
    f.cfg.rejects = rej;
    long rows;
    char *got = sl_test_read_ok(&f, &rows);
    sl_free(got);
    sl_test_fx_done(&f);
    char *txt = slurp(rej);
    cr_assert_not_null(txt);
    cr_assert(strstr(txt, "file,line,reason,raw\n"), "%s", txt);
    char *one = strstr(txt, "r-1.csv\",3,"), *two = strstr(txt, "r-2.csv\",3,");
    cr_assert(one && two && one < two, "%s", txt);
    sl_free(txt);
    /* plan again with a file in place: it stays as it is */
    fx_init(&f, "r-*.csv");
    f.cfg.rejects = rej;
    cr_assert_eq(sl_source_csv.prepare(&f.tab, &err), 0, "%s", err.msg);
    sl_test_fx_done(&f);
    txt = slurp(rej);
    cr_assert(strstr(txt, "r-1.csv\",3,") && strstr(txt, "r-2.csv\",3,"), "plan changed it: %s", txt);
    sl_free(txt);
    /* a resume that keeps task 1 and runs task 2 again keeps task 1's rows */
    write_str("r-2.csv", "id\n2\nz,z\n");
    fx_init(&f, "r-*.csv");
    f.cfg.rejects = rej;
    cr_assert_eq(sl_source_csv.prepare(&f.tab, &err), 0, "%s", err.msg);
    void *rd = sl_source_csv.open(&f.tab, &f.tab.tasks[1], &err);
    cr_assert_not_null(rd, "%s", err.msg);
    sl_batch *b = sl_batch_new(f.tab.schema, 100);
    while (sl_source_csv.next(rd, b, &err) > 0) {}
    cr_assert(!sl_err_is_set(&err), "%s", err.msg);
    sl_batch_free(b);
    sl_source_csv.close(rd);
    sl_test_fx_done(&f);
    txt = slurp(rej);
    cr_assert(strstr(txt, "r-1.csv\",3,\"has 2 fields, expected 1 (too many)\",\"x,x\"\n"), "%s", txt);
    cr_assert(strstr(txt, "r-2.csv\",3,\"has 2 fields, expected 1 (too many)\",\"z,z\"\n"), "%s", txt);
    cr_assert(!strstr(txt, "y,y"), "%s", txt);
    sl_free(txt);
    sl_free(rej);
    rm_tmp();
}
