/*
 * test_core.c - unit tests of core/: arenas, errors, types, batches, text
 * forms, redaction, the output object and the UTF-8 validator.
 */
#include <criterion/criterion.h>

#include "core/sl_alloc.h"
#include "core/sl_crc32.h"
#include "core/sl_error.h"
#include "core/sl_log.h"
#include "core/sl_out.h"
#include "core/sl_types.h"
#include "core/sl_utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

Test(arena, reset_keeps_memory_and_aligns)
{
    sl_arena a;
    sl_arena_init(&a, 1024);
    for (int i = 0; i < 1000; i++) {
        char *p = sl_arena_alloc(&a, 37);
        cr_assert_eq((uintptr_t)p % 16, 0);
        memset(p, 'x', 37);
    }
    sl_arena_reset(&a);
    cr_assert_not_null(a.head);
    cr_assert_str_eq(sl_arena_strdup(&a, "hello"), "hello");
    sl_arena_destroy(&a);
}

Test(error, prefix_builds_context)
{
    sl_err e = SL_ERR_INIT;
    cr_assert_eq(sl_err_set(&e, SL_EDATA, "value %d too big", 7), -1);
    sl_err_prefix(&e, "column %s", "amount");
    sl_err_prefix(&e, "table orders");
    cr_assert_str_eq(e.msg, "table orders: column amount: value 7 too big");
    cr_assert_str_eq(sl_code_name(e.code), "DATA");
    cr_assert_eq(sl_code_exit_status(SL_EJOB), 2);
}

Test(types, parse_and_format_round_trip)
{
    const char *names[] = { "bool", "int16", "int32", "int64", "float32", "float64",
                            "decimal(12,2)", "decimal(38,18)", "string", "bytes", "date",
                            "time", "timestamp", "timestamptz", "uuid", "json" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        sl_type t;
        char buf[64];
        cr_assert_eq(sl_type_parse(names[i], &t), 0, "%s", names[i]);
        cr_assert_str_eq(sl_type_format(t, buf, sizeof buf), names[i]);
    }
    sl_type t;
    cr_assert_eq(sl_type_parse("numeric(5)", &t), 0);
    cr_assert_eq(t.precision, 5);
    cr_assert_eq(t.scale, 0);
    cr_assert_eq(sl_type_parse("decimal(39,2)", &t), -1);
    cr_assert_eq(sl_type_parse("strng", &t), -1);
    cr_assert_eq(sl_type_parse("decimal(2,3)", &t), -1);
}

Test(types, batch_var_width_append_and_reset)
{
    sl_schema *s = sl_schema_new(2);
    sl_schema_set(s, 0, "id", (sl_type){ .id = SL_T_INT64 }, false);
    sl_schema_set(s, 1, "name", (sl_type){ .id = SL_T_STRING }, true);
    sl_batch *b = sl_batch_new(s, 4);
    static char text[6000];
    memset(text, 'a', sizeof text);
    for (int round = 0; round < 3; round++) {
        sl_batch_reset(b);
        for (size_t r = 0; r < 4; r++) {
            *(int64_t *)sl_vec_slot(&b->cols[0], r) = (int64_t)r;
            if (r == 2) sl_vec_set_null(&b->cols[1], r);
            else sl_vec_set_bytes(&b->cols[1], r, text, r * 2000);
        }
        b->nrows = 4;
        size_t len;
        sl_vec_bytes(&b->cols[1], 3, &len);
        cr_assert_eq(len, 6000);
        sl_vec_bytes(&b->cols[1], 2, &len);
        cr_assert_eq(len, 0);
        cr_assert_eq(b->cols[1].valid[2], 0);
    }
    sl_batch_free(b);
    sl_schema_free(s);
}

Test(types, batch_keep_moves_values_strings_and_list_elements)
{
    sl_schema *s = sl_schema_new(3);
    sl_schema_set(s, 0, "id", (sl_type){ .id = SL_T_INT64 }, false);
    sl_schema_set(s, 1, "name", (sl_type){ .id = SL_T_STRING }, true);
    sl_schema_set(s, 2, "tags", sl_type_list_of((sl_type){ .id = SL_T_INT32 }), true);
    sl_batch *b = sl_batch_new(s, 8);
    for (size_t r = 0; r < 8; r++) {
        *(int64_t *)sl_vec_slot(&b->cols[0], r) = (int64_t)r;
        char name[16];
        int len = snprintf(name, sizeof name, "n%zu", r * 11);
        if (r == 5) sl_vec_set_null(&b->cols[1], r);
        else sl_vec_set_bytes(&b->cols[1], r, name, (size_t)len);
        /* row r: the list [r*10, r*10+1, ... r*10+r-1] (row 0 empty) */
        size_t first = sl_vec_list_begin(&b->cols[2], r, r);
        for (size_t e = 0; e < r; e++) {
            *(int32_t *)sl_vec_slot(b->cols[2].child, first + e) = (int32_t)(r * 10 + e);
            b->cols[2].child->valid[first + e] = 1;
        }
        sl_vec_list_end(&b->cols[2], r, r);
    }
    b->nrows = 8;
    const uint8_t drop[8] = { 1, 0, 1, 1, 0, 0, 1, 0 };   /* keeps rows 1, 4, 5, 7 */
    sl_batch_keep(b, drop);
    cr_assert_eq(b->nrows, 4);
    const size_t kept[4] = { 1, 4, 5, 7 };
    for (size_t w = 0; w < 4; w++) {
        size_t r = kept[w];
        cr_assert_eq(((int64_t *)b->cols[0].data)[w], (int64_t)r);
        size_t len;
        const uint8_t *p = sl_vec_bytes(&b->cols[1], w, &len);
        char want[16];
        snprintf(want, sizeof want, "n%zu", r * 11);
        if (r == 5) cr_assert_eq(b->cols[1].valid[w], 0);
        else cr_assert(len == strlen(want) && !memcmp(p, want, len), "row %zu: %.*s", w, (int)len, (const char *)p);
        int64_t e0 = b->cols[2].offsets[w], e1 = b->cols[2].offsets[w + 1];
        cr_assert_eq(e1 - e0, (int64_t)r, "row %zu has %lld elements", w, (long long)(e1 - e0));
        for (int64_t e = e0; e < e1; e++)
            cr_assert_eq(((int32_t *)b->cols[2].child->data)[e], (int32_t)(r * 10 + (size_t)(e - e0)));
    }
    sl_batch_free(b);
    sl_schema_free(s);
}

Test(types, text_forms)
{
    char buf[128];
    sl_format_decimal(-12345, 2, buf);
    cr_assert_str_eq(buf, "-123.45");
    sl_format_decimal(5, 3, buf);
    cr_assert_str_eq(buf, "0.005");
    sl_i128 big = 1;
    for (int i = 0; i < 37; i++) big *= 10;
    big = big * 10 - 1; /* 38 nines */
    sl_format_decimal(-big, 0, buf);
    cr_assert_str_eq(buf, "-99999999999999999999999999999999999999");
    sl_format_date(0, buf);
    cr_assert_str_eq(buf, "1970-01-01");
    sl_format_date(-719528, buf);
    cr_assert_str_eq(buf, "0000-01-01");
    sl_format_timestamp(-1, true, buf);
    cr_assert_str_eq(buf, "1969-12-31 23:59:59.999999+00");
    sl_format_timestamp(86400000000LL * 365 + 500000, false, buf);
    cr_assert_str_eq(buf, "1971-01-01 00:00:00.5");
    uint8_t u[16];
    for (int i = 0; i < 16; i++) u[i] = (uint8_t)(i * 17);
    sl_format_uuid(u, buf);
    cr_assert_str_eq(buf, "00112233-4455-6677-8899-aabbccddeeff");
    sl_format_float(0.1, false, buf);
    cr_assert_str_eq(buf, "0.1");
    sl_format_float(1.0 / 3, false, buf);
    cr_assert_str_eq(buf, "0.3333333333333333");
    const struct { double v; bool single; const char *text; } floats[] = {
        { 3.4028235e38f, true, "3.4028235e+38" }, { 1.4e-45f, true, "1e-45" },
        { 16777216.0f, true, "1.6777216e+07" },    { 0.3f, true, "0.3" },
        { 5e-324, false, "5e-324" },               { 9007199254740992.0, false, "9.007199254740992e+15" },
        { 123456789012345.0, false, "123456789012345" }, { 1e15, false, "1e+15" },
        { 0.0001, false, "0.0001" },               { 0.00001234, false, "1.234e-05" },
        { 100.0, false, "100" },                   { -2.5, false, "-2.5" },
        { 999999.0f, true, "999999" },             { 1e6f, true, "1e+06" },
        { 0.7999999999999999, false, "0.7999999999999999" }, { 1.0000000000000002, false, "1.0000000000000002" },
        { -0.0, false, "-0" },
    };
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) {
        sl_format_float(floats[i].v, floats[i].single, buf);
        cr_assert_str_eq(buf, floats[i].text);
    }
    cr_assert_eq(sl_days_from_civil(2000, 1, 1), 10957);
}

Test(log, redacts_passwords)
{
    char out[256];
    sl_redact("connect postgres://bob:s3cr3t@db:5432/shop failed", out, sizeof out);
    cr_assert_str_eq(out, "connect postgres://***@db:5432/shop failed");
    sl_redact("host=db password=s3cr3t user=bob", out, sizeof out);
    cr_assert_str_eq(out, "host=db password=*** user=bob");
    sl_redact("host=db password='a b' user=bob", out, sizeof out);
    cr_assert_str_eq(out, "host=db password=*** user=bob");
    sl_redact("postgres://bob@db/shop", out, sizeof out);
    cr_assert_str_eq(out, "postgres://***@db/shop");
    sl_redact("postgres://db/shop", out, sizeof out);
    cr_assert_str_eq(out, "postgres://db/shop");
}

/* Item 7: the shapes libpq quotes a malformed URL or conninfo back in. */
Test(redact, item7_libpq_echoes_and_malformed_urls)
{
    char out[512];
    /* an unescaped @ and / stay inside the user info: it ends at the last @ */
    sl_redact("url postgres://u:p@ss/w@rd@db:5432/shop?x=1 failed", out, sizeof out);
    cr_assert_str_eq(out, "url postgres://***@db:5432/shop?x=1 failed");
    sl_redact("invalid percent-encoded token: \"50%off\"", out, sizeof out);
    cr_assert_str_eq(out, "invalid percent-encoded token: \"***\"");
    sl_redact("forbidden value %00 in percent-encoded value: \"a\"b%00\"; fix it", out, sizeof out);
    cr_assert_str_eq(out, "forbidden value %00 in percent-encoded value: \"***\"; fix it");
    sl_redact("missing \"=\" after \"password:secret\" in connection info string", out, sizeof out);
    cr_assert_str_eq(out, "missing \"=\" after \"***\" in connection info string");
    sl_redact("missing key/value separator \"=\" in URI query parameter: \"password:x\"", out, sizeof out);
    cr_assert_str_eq(out, "missing key/value separator \"=\" in URI query parameter: \"***\"");
    sl_redact("host=h sslpassword=k3y password='it\\'s me' PGPASSWORD=pg", out, sizeof out);
    cr_assert_str_eq(out, "host=h sslpassword=*** password=*** PGPASSWORD=***");
    sl_redact("postgres://h/db?sslpassword=k3y&password=pw&user=u", out, sizeof out);
    cr_assert_str_eq(out, "postgres://h/db?sslpassword=***&password=***&user=u");
    sl_redact(NULL, out, sizeof out);
    cr_assert_str_eq(out, "");
    char tiny[5];
    sl_redact("password=secret", tiny, sizeof tiny);
    cr_assert_str_eq(tiny, "pass");
}

/* The passwords of a URL or conninfo, found even when it is malformed. */
static bool has_secret(const sl_secrets *s, const char *want)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->items[i], want)) return true;
    return false;
}

Test(redact, item7_secrets_from_dsn)
{
    static const struct { const char *dsn, *secret; } cases[] = {
        { "postgres://u:50%off@h/db", "50%off" },
        { "postgres://u:p@ss@h/db", "p@ss" },
        { "postgres://u:pa@ssword@h/db", "ssword" },            /* the piece libpq calls a host */
        { "postgresql://u:a/bcdef@h/db", "bcdef" },
        { "postgres://u:%3A%40%2F%3F%23%5B%5D%25%26%3D%2B%20%27%22%5C@h/db", ":@/?#[]%&=+ '\"\\" },
        { "postgres://u@h/db?sslpassword=k%2By&password=p%40w", "k+y" },
        { "postgres://u@h/db?sslpassword=k%2By&password=p%40w", "p@w" },
        { "postgres://u@h/db?password:secret1", "secret1" },
        { "host=h password:secret2 user=u", "secret2" },
        { "host=h password secret3 user=u", "secret3" },
        { "host=h password='with spaces\\' q' user=u", "with spaces' q" },
        { "host=h password='with spaces\\' q' user=u", "'with spaces\\' q'" },
        { "host=h sslpassword=k\\ ey", "k ey" },
        { "dbname=postgres://u:inner@h/db", "inner" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_secrets s = { 0 };
        sl_secrets_add_dsn(&s, cases[i].dsn);
        cr_assert(has_secret(&s, cases[i].secret), "%s: no secret [%s] among %d", cases[i].dsn, cases[i].secret,
                  s.n);
        sl_secrets_free(&s);
    }
    sl_secrets s = { 0 };
    sl_secrets_add_dsn(&s, "host=h user=u dbname=shop");
    sl_secrets_add_dsn(&s, "postgres://u@h/db");
    cr_assert_eq(s.n, 0);
    sl_secrets_free(&s);
}

Test(redact, item7_secrets_never_survive)
{
    char out[512];
    sl_secrets s = { 0 };
    sl_secrets_add_dsn(&s, "postgres://u:p@ssword@h/db");
    sl_redact_secrets("could not translate host name \"ssword@h\" to address", &s, out, sizeof out);
    cr_assert_str_eq(out, "could not translate host name \"***@h\" to address");
    sl_secrets_free(&s);

    /* A secret holding "*" makes the marker "#": "***" next to "a" would spell "a*" again. */
    sl_secrets_add(&s, "a*", 2);
    sl_redact_secrets("ba* and a** and b", &s, out, sizeof out);
    cr_assert_str_eq(out, "b### and ###* and b");
    sl_secrets_add(&s, "#~", 2);
    sl_redact_secrets("ba*", &s, out, sizeof out);
    cr_assert_null(strstr(out, "a*"));
    cr_assert_null(strstr(out, "#~"));
    sl_secrets_free(&s);
}

/* Item 10: text log lines and terminal output show control characters as escapes. */
Test(log, item10_escapes_control_characters)
{
    char out[256];
    sl_escape_controls("a\nb\rc\td\x1b[31mred\x1b]0;title\x07\x7f", out, sizeof out);
    cr_assert_str_eq(out, "a\\nb\\rc\\td\\x1b[31mred\\x1b]0;title\\x07\\x7f");
    sl_escape_controls("\xc2\x9b" "2J \xc2\x85 caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", out, sizeof out);
    cr_assert_str_eq(out, "\\u009b2J \\u0085 caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    sl_escape_controls("bad \xff\xc3 \xed\xa0\x80 \xc0\xaf", out, sizeof out);
    cr_assert_str_eq(out, "bad \\xff\\xc3 \\xed\\xa0\\x80 \\xc0\\xaf");
    char tiny[5];
    sl_escape_controls("abc\nd", tiny, sizeof tiny);   /* cut before an escape, never inside it */
    cr_assert_str_eq(tiny, "abc");
    sl_escape_controls("ab\xc3\xa9\xc3\xa9", tiny, sizeof tiny);
    cr_assert_str_eq(tiny, "ab\xc3\xa9");
}

/* Item 10: a value holding a newline cannot forge a second text log line. */
Test(log, item10_text_line_cannot_be_forged)
{
    char path[] = "/tmp/sluice-test-log-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    sl_log_setup(SL_LOG_INFO, false);
    sl_log(SL_LOG_INFO, "value %s", "x\n2030-01-01T00:00:00.000Z error forged\x1b[2J");
    sl_log_setup(SL_LOG_INFO, true);
    sl_log(SL_LOG_INFO, "value %s", "x\ny\x1b");
    sl_log_setup(SL_LOG_INFO, false);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char buf[1024] = "";
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    unlink(path);
    cr_assert(n > 0);
    buf[n] = '\0';
    int lines = 0;
    for (char *p = buf; *p; p++) lines += *p == '\n';
    cr_assert_eq(lines, 2, "%s", buf);
    cr_assert_not_null(strstr(buf, "value x\\n2030-01-01T00:00:00.000Z error forged\\x1b[2J\n"), "%s", buf);
    cr_assert_not_null(strstr(buf, "\"msg\":\"value x\\u000ay\\u001b\"}"), "%s", buf);
}

Test(out, memory_backend_counts_and_crc)
{
    sl_buf target = { 0 };
    sl_out *o = sl_out_open_buf(&target);
    for (int i = 0; i < 100000; i++) sl_out_write(o, "0123456789", 10);
    cr_assert_eq(sl_out_tell(o), 1000000);
    sl_err e = SL_ERR_INIT;
    cr_assert_eq(sl_out_close(o, false, &e), 0);
    cr_assert_eq(target.len, 1000000);
    cr_assert_eq(memcmp(target.data + 999990, "0123456789", 10), 0);
    sl_buf_free(&target);
}

Test(out, file_error_is_sticky_and_reported)
{
    sl_err e = SL_ERR_INIT;
    cr_assert_null(sl_out_open_file("/nonexistent-dir/x", &e));
    cr_assert_eq(e.code, SL_EIO);
    cr_assert(strstr(e.msg, "/nonexistent-dir/x") != NULL);
    sl_out *o = sl_out_open_file("/dev/full", &e);
    cr_assert_not_null(o);
    char block[4096] = { 0 };
    for (int i = 0; i < 200; i++) sl_out_write(o, block, sizeof block);
    sl_err_clear(&e);
    cr_assert_eq(sl_out_close(o, false, &e), -1);
    cr_assert_eq(e.code, SL_ENOSPACE);
}

/* Direct I/O output: odd-sized writes around the staging buffer's size, a
 * flush (padded block, truncate) in the middle, more writes after it: the
 * file holds exactly the bytes written, with their CRC. In /tmp (direct I/O
 * where the file system has it) and /dev/shm (tmpfs: ordinary writes). */
static void direct_roundtrip(const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/sl-dio-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) return;   /* no such directory here */
    close(fd);
    sl_err e = SL_ERR_INIT;
    sl_out *o = sl_out_open_file_direct(path, &e);
    cr_assert_not_null(o, "%s", e.msg);
    size_t total = 0, sizes[] = { 1, 4095, 4097, 300000, 1048576, 1048577, 77, 2500000, 13 };
    unsigned char *data = malloc(8 << 20);
    for (size_t i = 0; i < 8u << 20; i++) data[i] = (unsigned char)(i * 2654435761u >> 13);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        sl_out_write(o, data + total, sizes[i]);
        total += sizes[i];
        if (i == 3) cr_assert_eq(sl_out_flush(o, false, &e), 0, "%s", e.msg);
    }
    uint32_t crc = o->crc;
    cr_assert_eq(sl_out_tell(o), total);
    cr_assert_eq(sl_out_close(o, true, &e), 0, "%s", e.msg);
    FILE *f = fopen(path, "rb");
    unsigned char *back = malloc(total + 1);
    size_t got = fread(back, 1, total + 1, f);
    fclose(f);
    unlink(path);
    cr_assert_eq(got, total, "%s: %zu bytes on disk, %zu written", dir, got, total);
    cr_assert(memcmp(back, data, total) == 0, "%s: content differs", dir);
    cr_assert_eq(sl_crc32(0, back, total), crc);
    free(back);
    free(data);
}

Test(out, direct_file_holds_exactly_what_was_written)
{
    direct_roundtrip("/tmp");
    direct_roundtrip("/dev/shm");
}

/* ---- UTF-8 (hardening item 12) ---- */

/* A reference that decodes by code point arithmetic rather than by the
 * byte table: the bytes at p (len 1..4) are one well-formed character? */
static bool ref_utf8_char(const uint8_t *p, size_t len)
{
    unsigned c = p[0], need;
    uint32_t cp;
    if (c < 0x80) return len == 1;
    if ((c & 0xe0) == 0xc0) need = 2, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0) need = 3, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0) need = 4, cp = c & 0x07;
    else return false;
    if (len != need) return false;
    for (size_t k = 1; k < len; k++) {
        if ((p[k] & 0xc0) != 0x80) return false;
        cp = (cp << 6) | (p[k] & 0x3f);
    }
    static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    return cp >= min_cp[len] && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
}

/* Checks seq alone and between ASCII runs long enough for the fast path. */
static void utf8_expect(const uint8_t *seq, size_t len, bool valid)
{
    cr_assert_eq(sl_utf8_check(seq, len) == len, valid, "sequence %02x %02x %02x %02x (len %zu)",
                 seq[0], len > 1 ? seq[1] : 0, len > 2 ? seq[2] : 0, len > 3 ? seq[3] : 0, len);
    uint8_t buf[64];
    memset(buf, 'a', sizeof buf);
    memcpy(buf + 17, seq, len);
    size_t n = 17 + len + 17;
    cr_assert_eq(sl_utf8_check(buf, n), valid ? n : 17);
}

Test(utf8, item12_table_boundaries_and_malformed_classes)
{
    static const struct { const char *b; bool ok; } cases[] = {
        { "\x00", true }, { "\x7f", true },
        { "\xc2\x80", true }, { "\xdf\xbf", true },                    /* U+0080, U+07FF */
        { "\xe0\xa0\x80", true }, { "\xed\x9f\xbf", true },            /* U+0800, U+D7FF */
        { "\xee\x80\x80", true }, { "\xef\xbf\xbf", true },            /* U+E000, U+FFFF */
        { "\xf0\x90\x80\x80", true }, { "\xf4\x8f\xbf\xbf", true },    /* U+10000, U+10FFFF */
        { "\x80", false }, { "\xbf", false },                          /* stray continuation */
        { "\xc0\x80", false }, { "\xc1\xbf", false },                  /* overlong 2-byte */
        { "\xe0\x80\x80", false }, { "\xe0\x9f\xbf", false },          /* overlong 3-byte */
        { "\xf0\x80\x80\x80", false }, { "\xf0\x8f\xbf\xbf", false },  /* overlong 4-byte */
        { "\xed\xa0\x80", false }, { "\xed\xbf\xbf", false },          /* surrogates */
        { "\xf4\x90\x80\x80", false }, { "\xf5\x80\x80\x80", false },  /* > U+10FFFF */
        { "\xf8\x88\x80\x80", false }, { "\xfe", false }, { "\xff", false },
        { "\xc3", false }, { "\xe2\x82", false }, { "\xf0\x9f\x98", false },   /* truncated */
        { "\xc3\x41", false }, { "\xe2\x41\xac", false }, { "\xe2\x82\x41", false },
        { "\xf0\x9f\x41\x80", false }, { "\xf0\x9f\x98\x41", false },  /* bad continuation */
        { "\xe9", false },                                             /* Latin-1 é */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = cases[i].b[0] ? strlen(cases[i].b) : 1;
        utf8_expect((const uint8_t *)cases[i].b, len, cases[i].ok);
    }
    const char *text = "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 plain";
    cr_assert_eq(sl_utf8_check((const uint8_t *)text, strlen(text)), strlen(text));
    cr_assert_eq(sl_utf8_check((const uint8_t *)"", 0), 0);
}

Test(utf8, item12_agrees_with_a_reference_on_every_short_sequence)
{
    uint8_t s[4];
    for (unsigned a = 0; a < 256; a++) {
        s[0] = (uint8_t)a;
        utf8_expect(s, 1, ref_utf8_char(s, 1));
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (uint8_t)b;
            bool ok2 = ref_utf8_char(s, 2) || (a < 0x80 && b < 0x80);
            cr_assert_eq(sl_utf8_check(s, 2) == 2, ok2);
            if (a < 0xe0) continue;
            for (unsigned c = 0; c < 256; c++) {
                s[2] = (uint8_t)c;
                bool ok3 = ref_utf8_char(s, 3);
                if (!ok3 && sl_utf8_check(s, 3) == 3) cr_assert_fail("%02x %02x %02x accepted", a, b, c);
                if (ok3 && sl_utf8_check(s, 3) != 3) cr_assert_fail("%02x %02x %02x refused", a, b, c);
                if (a < 0xf0) continue;
                static const uint8_t last[] = { 0x00, 0x41, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xff };
                for (size_t d = 0; d < sizeof last; d++) {
                    s[3] = last[d];
                    if ((sl_utf8_check(s, 4) == 4) != ref_utf8_char(s, 4))
                        cr_assert_fail("%02x %02x %02x %02x", a, b, c, s[3]);
                }
            }
        }
    }
    /* Every code point, encoded the standard way. */
    for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
        size_t len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        static const uint8_t lead[5] = { 0, 0, 0xc0, 0xe0, 0xf0 };
        s[0] = len == 1 ? (uint8_t)cp : (uint8_t)(lead[len] | (cp >> (6 * (len - 1))));
        for (size_t k = 1; k < len; k++) s[k] = (uint8_t)(0x80 | ((cp >> (6 * (len - 1 - k))) & 0x3f));
        bool surrogate = cp >= 0xd800 && cp <= 0xdfff;
        if ((sl_utf8_check(s, len) == len) == surrogate) cr_assert_fail("code point U+%04X", cp);
    }
}

Test(utf8, item12_bad_byte_at_every_offset_of_long_ascii_runs)
{
    uint8_t buf[200];
    for (size_t n = 1; n <= 130; n++) {
        memset(buf, 'x', sizeof buf);
        cr_assert_eq(sl_utf8_check(buf, n), n);
        for (size_t at = 0; at <= 64 && at < n; at++) {
            memset(buf, 'x', sizeof buf);
            buf[at] = 0xe9;                        /* Latin-1 é: never valid alone */
            cr_assert_eq(sl_utf8_check(buf, n), at, "run of %zu, bad byte at %zu", n, at);
            buf[at] = 0x80;
            cr_assert_eq(sl_utf8_check(buf, n), at);
            if (at + 2 <= n) {                     /* a good 2-byte character there, bad byte after it */
                buf[at] = 0xc3;
                buf[at + 1] = 0xa9;
                cr_assert_eq(sl_utf8_check(buf, n), n);
                if (at + 2 < n) {
                    buf[n - 1] = 0xff;
                    cr_assert_eq(sl_utf8_check(buf, n), n - 1);
                }
            }
        }
    }
    /* A character cut by the end of the value, after a long run. */
    memset(buf, 'y', sizeof buf);
    buf[99] = 0xe2;
    buf[100] = 0x82;
    cr_assert_eq(sl_utf8_check(buf, 101), 99);
    cr_assert_eq(sl_utf8_check(buf, 102), 99);
    buf[101] = 0xac;
    cr_assert_eq(sl_utf8_check(buf, 102), 102);
}

Test(utf8, item12_describe_names_the_byte_in_hex)
{
    const uint8_t v[] = "caf\xe9 noir";
    char msg[160];
    size_t n = sizeof v - 1;
    sl_utf8_describe(v, n, sl_utf8_check(v, n), msg, sizeof msg);
    cr_assert_str_eq(msg, "invalid UTF-8 at byte 4 of the value (0xe9 0x20 0x6e 0x6f), after 'caf'");
    cr_assert_eq(sl_utf8_check((const uint8_t *)msg, strlen(msg)), strlen(msg));
    const uint8_t w[] = "\xff";
    cr_assert_str_eq(sl_utf8_describe(w, 1, 0, msg, sizeof msg), "invalid UTF-8 at byte 1 of the value (0xff)");
    char small[20];
    sl_utf8_describe(v, n, 3, small, sizeof small);
    cr_assert_eq(strlen(small), sizeof small - 1);
}

/* sl_crc32 is zlib's crc32_z, whatever the length, alignment and split:
 * the folded kernel takes 64+ bytes in 16-byte blocks, zlib the rest. */
Test(crc32, equals_zlib_for_every_length_offset_and_split)
{
    static uint8_t data[9000];
    uint32_t seed = 12345;
    for (size_t i = 0; i < sizeof data; i++) {
        seed = seed * 1103515245u + 12345u;
        data[i] = (uint8_t)(seed >> 16);
    }
    for (size_t n = 0; n < 600; n++)
        for (size_t off = 0; off < 17; off += 4)
            cr_assert_eq(sl_crc32(0, data + off, n), (uint32_t)crc32_z(0, data + off, n), "n=%zu off=%zu", n, off);
    uint32_t whole = (uint32_t)crc32_z(0, data, sizeof data);
    cr_assert_eq(sl_crc32(0, data, sizeof data), whole);
    for (size_t step = 1; step < 300; step += 37) {
        uint32_t c = 0;
        for (size_t at = 0; at < sizeof data; at += step)
            c = sl_crc32(c, data + at, at + step <= sizeof data ? step : sizeof data - at);
        cr_assert_eq(c, whole, "step=%zu", step);
    }
    cr_assert_eq(sl_crc32(0, "123456789", 9), 0xCBF43926u);   /* the catalogue check value */
}
