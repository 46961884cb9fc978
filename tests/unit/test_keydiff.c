/*
 * test_keydiff.c - the ordered key merge of `deletes: detect`
 * (core/sl_keydiff.c) and its sorted key file (core/sl_keyfile.c): the
 * absent live keys and only they, empty sides, multi-column keys, duplicate
 * keys, and an out-of-order input refused with the table's name; and the
 * decoder of the binary COPY of integer key columns (sources/sl_pg_keys.c).
 */
#include <criterion/criterion.h>

#include "core/sl_alloc.h"
#include "core/sl_keydiff.h"
#include "core/sl_keyfile.h"
#include "sources/sl_pg_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct arr_iter {
    const int64_t *keys;   /* n rows of ncols */
    int n, ncols, at;
} arr_iter;

static int arr_next(void *ctx, int64_t *key, sl_err *err)
{
    (void)err;
    arr_iter *a = ctx;
    if (a->at >= a->n) return 0;
    memcpy(key, a->keys + (size_t)a->at * (size_t)a->ncols, (size_t)a->ncols * sizeof *key);
    a->at++;
    return 1;
}

typedef struct collect {
    int64_t got[64 * 2];
    int n, ncols, stop_after;
} collect;

static int collect_emit(void *ctx, const int64_t *key, sl_err *err)
{
    collect *c = ctx;
    if (c->stop_after && c->n >= c->stop_after) return sl_err_set(err, SL_EIO, "emit failed");
    memcpy(c->got + (size_t)c->n * (size_t)c->ncols, key, (size_t)c->ncols * sizeof *key);
    c->n++;
    return 0;
}

static int run(int ncols, const int64_t *src, int nsrc, const int64_t *live, int nlive, collect *c,
               sl_keydiff_stats *st, sl_err *err)
{
    arr_iter s = { src, nsrc, ncols, 0 }, l = { live, nlive, ncols, 0 };
    memset(c, 0, sizeof *c);
    c->ncols = ncols;
    return sl_keydiff(ncols, (sl_key_iter){ arr_next, &s }, (sl_key_iter){ arr_next, &l }, collect_emit, c,
                      "table t in target dw", st, err);
}

Test(keydiff, emits_the_live_keys_absent_from_the_source)
{
    const int64_t src[] = { 1, 2, 4, 7, 8, 9, 12 };          /* 8, 9, 12 are new rows */
    const int64_t live[] = { -5, 1, 2, 3, 4, 5, 6, 7, 10 };
    collect c;
    sl_keydiff_stats st;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(run(1, src, 7, live, 9, &c, &st, &err), 0, "%s", err.msg);
    cr_assert_eq(c.n, 5);
    const int64_t want[] = { -5, 3, 5, 6, 10 };
    for (int i = 0; i < 5; i++) cr_assert_eq(c.got[i], want[i], "key %d: %lld", i, (long long)c.got[i]);
    cr_assert_eq(st.gone, 5);
    cr_assert_eq(st.src_keys, 7);
    cr_assert_eq(st.live_keys, 9);
}

Test(keydiff, empty_sides)
{
    const int64_t keys[] = { 1, 2, 3 };
    collect c;
    sl_keydiff_stats st;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(run(1, keys, 3, NULL, 0, &c, &st, &err), 0);   /* nothing live: nothing to delete */
    cr_assert_eq(c.n, 0);
    cr_assert_eq(st.src_keys, 3);                                /* the source is still read to its end */
    cr_assert_eq(run(1, NULL, 0, NULL, 0, &c, &st, &err), 0);
    cr_assert_eq(c.n, 0);
    cr_assert_eq(run(1, NULL, 0, keys, 3, &c, &st, &err), 0);   /* the source is empty: all deleted */
    cr_assert_eq(c.n, 3);
    cr_assert_eq(c.got[2], 3);
}

Test(keydiff, all_deleted_and_none_deleted)
{
    const int64_t src[] = { 10, 20, 30 };
    const int64_t live[] = { 1, 2, 3, 11, 40 };
    collect c;
    sl_keydiff_stats st;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(run(1, src, 3, live, 5, &c, &st, &err), 0);
    cr_assert_eq(c.n, 5);
    cr_assert_eq(run(1, src, 3, src, 3, &c, &st, &err), 0);
    cr_assert_eq(c.n, 0);
    cr_assert_eq(st.gone, 0);
}

Test(keydiff, multi_column_keys_compare_column_by_column)
{
    /* (tenant, id): the second column orders within the first; negative values sort below. */
    const int64_t src[] = { 1, -3, 1, 5, 2, 1, 2, 2, 3, 1 };
    const int64_t live[] = { 1, -3, 1, 4, 1, 5, 2, 2, 2, 3, 3, 1, 4, 0 };
    collect c;
    sl_keydiff_stats st;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(run(2, src, 5, live, 7, &c, &st, &err), 0, "%s", err.msg);
    cr_assert_eq(c.n, 3);
    const int64_t want[] = { 1, 4, 2, 3, 4, 0 };
    for (int i = 0; i < 6; i++) cr_assert_eq(c.got[i], want[i]);
}

Test(keydiff, duplicate_keys_are_allowed_and_a_live_one_is_emitted_once)
{
    const int64_t src[] = { 1, 1, 3 };
    const int64_t live[] = { 1, 1, 2, 2, 3 };
    collect c;
    sl_keydiff_stats st;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(run(1, src, 3, live, 5, &c, &st, &err), 0, "%s", err.msg);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(c.got[0], 2);
}

Test(keydiff, an_out_of_order_input_is_an_error_naming_the_table)
{
    const int64_t good[] = { 1, 2, 3, 4 };
    const int64_t bad[] = { 1, 3, 2, 4 };
    collect c;
    sl_keydiff_stats st;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(run(1, good, 4, bad, 4, &c, &st, &err), -1);
    cr_assert_eq(err.code, SL_ECHECK);
    cr_assert(strstr(err.msg, "table t in target dw: the live keys are not in order (key (2) after (3)"),
              "%s", err.msg);
    cr_assert(strstr(err.msg, "nothing was deleted"), "%s", err.msg);
    sl_err_clear(&err);
    /* The source's disorder is found even past the last live key. */
    const int64_t late[] = { 1, 2, 9, 5 };
    cr_assert_eq(run(1, late, 4, good, 2, &c, &st, &err), -1);
    cr_assert(strstr(err.msg, "the source keys are not in order (key (5) after (9)"), "%s", err.msg);
    sl_err_clear(&err);
    const int64_t two[] = { 1, 5, 2, 0, 1, 6 };
    cr_assert_eq(run(2, two, 3, two, 0, &c, &st, &err), -1);
    cr_assert(strstr(err.msg, "key (1, 6) after (2, 0)"), "%s", err.msg);
}

Test(keydiff, an_emit_error_stops_the_merge)
{
    const int64_t live[] = { 1, 2, 3 };
    arr_iter s = { NULL, 0, 1, 0 }, l = { live, 3, 1, 0 };
    collect c = { .ncols = 1, .stop_after = 1 };
    sl_keydiff_stats st;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_keydiff(1, (sl_key_iter){ arr_next, &s }, (sl_key_iter){ arr_next, &l }, collect_emit, &c, "t",
                            &st, &err), -1);
    cr_assert_str_eq(err.msg, "emit failed");
}

Test(keyfile, round_trip_probe_and_a_truncated_file)
{
    char dir[] = "/tmp/sl_keyfile_XXXXXX";
    cr_assert(mkdtemp(dir));
    char path[256], csv[256];
    snprintf(path, sizeof path, "%s/t.keys", dir);
    snprintf(csv, sizeof csv, "%s/c.keys", dir);
    sl_err err = SL_ERR_INIT;
    sl_keyfile_w w;
    cr_assert_eq(sl_keyfile_create(&w, path, 2, &err), 0, "%s", err.msg);
    for (int64_t i = 0; i < 100000; i++) {
        int64_t k[2] = { i / 10, i % 10 - 5 };
        sl_keyfile_put(&w, k);
    }
    cr_assert_eq(sl_keyfile_commit(&w, &err), 0, "%s", err.msg);
    int ncols = 0;
    cr_assert_eq(sl_keyfile_probe(path, &ncols, &err), 1);
    cr_assert_eq(ncols, 2);
    FILE *f = fopen(csv, "w");
    fputs("1,2\n3,4\n", f);
    fclose(f);
    cr_assert_eq(sl_keyfile_probe(csv, &ncols, &err), 0);   /* the text path's CSV */

    sl_keyfile_r r;
    cr_assert_eq(sl_keyfile_open(&r, path, &err), 0, "%s", err.msg);
    cr_assert_eq(r.rows, 100000);
    /* Merged against itself plus one key beyond: exactly that one is gone. */
    sl_keyfile_r r2;
    cr_assert_eq(sl_keyfile_open(&r2, path, &err), 0);
    collect c = { .ncols = 2 };
    sl_keydiff_stats st;
    cr_assert_eq(sl_keydiff(2, sl_keyfile_iter(&r), sl_keyfile_iter(&r2), collect_emit, &c, "t", &st, &err), 0,
                 "%s", err.msg);
    cr_assert_eq(c.n, 0);
    cr_assert_eq(st.src_keys, 100000);
    sl_keyfile_close(&r);
    sl_keyfile_close(&r2);

    cr_assert_eq(truncate(path, 24 + 16 * 99999 + 3), 0);
    cr_assert_eq(sl_keyfile_open(&r, path, &err), -1);
    cr_assert(strstr(err.msg, "the wrong size"), "%s", err.msg);
    unlink(path);
    unlink(csv);
    rmdir(dir);
}

static void put_keys(const char *path, int ncols, int n)
{
    sl_err err = SL_ERR_INIT;
    sl_keyfile_w w;
    cr_assert_eq(sl_keyfile_create(&w, path, ncols, &err), 0, "%s", err.msg);
    for (int64_t i = 0; i < n; i++) {
        int64_t k[2] = { i, -i };
        sl_keyfile_put(&w, k);
    }
    cr_assert_eq(sl_keyfile_commit(&w, &err), 0, "%s", err.msg);
}

Test(keyfile, kept_files_found_by_run_and_pruned_by_job_and_table)
{
    char dir[] = "/tmp/sl_keyfile_XXXXXX";
    cr_assert(mkdtemp(dir));
    char *r3 = sl_keyfile_path(dir, "job", 3, "orders", false), *r4 = sl_keyfile_path(dir, "job", 4, "orders", false);
    char *other_t = sl_keyfile_path(dir, "job", 3, "items", false), *other_j = sl_keyfile_path(dir, "job2", 3, "orders", false);
    char *r4r = sl_keyfile_path(dir, "job", 4, "orders", true);
    cr_assert(strstr(r3, "/job-run3-orders.keys"), "%s", r3);
    put_keys(r3, 1, 20000);   /* more than one read block */
    put_keys(r4, 1, 10);
    put_keys(other_t, 1, 10);
    put_keys(other_j, 1, 10);
    put_keys(r4r, 1, 10);
    cr_assert(strstr(r4r, "/job-run4r-orders.keys"), "%s", r4r);
    char leftover[300], other_left[300];
    snprintf(leftover, sizeof leftover, "%s.gone-Ab12Cd.csv", r4);   /* a crash's spill file */
    snprintf(other_left, sizeof other_left, "%s.tmp", other_t);
    FILE *lf = fopen(leftover, "w");
    fclose(lf);
    lf = fopen(other_left, "w");
    fclose(lf);
    /* Found when it is a committed key file of the same width; not otherwise. */
    char *p = sl_keyfile_prev(dir, "job", 3, "orders", 1);
    cr_assert(p && !strcmp(p, r3));
    sl_free(p);
    cr_assert_null(sl_keyfile_prev(dir, "job", 3, "orders", 2));
    cr_assert_null(sl_keyfile_prev(dir, "job", 5, "orders", 1));
    cr_assert_null(sl_keyfile_prev(dir, "job", 0, "orders", 1));
    cr_assert_null(sl_keyfile_prev(NULL, "job", 3, "orders", 1));
    cr_assert_eq(truncate(r4, 24 + 8 * 9), 0);
    cr_assert_null(sl_keyfile_prev(dir, "job", 4, "orders", 1));
    /* The block reader gives every key in order. */
    sl_err err = SL_ERR_INIT;
    sl_keyfile_r r;
    cr_assert_eq(sl_keyfile_open(&r, r3, &err), 0, "%s", err.msg);
    int64_t k, want = 0;
    int rc;
    while ((rc = sl_keyfile_iter(&r).next(&r, &k, &err)) == 1) cr_assert_eq(k, want++);
    cr_assert_eq(rc, 0);
    cr_assert_eq(want, 20000);
    sl_keyfile_close(&r);
    /* Pruned: job's other runs of orders and any resumed session's file; not another table's, not another job's. */
    cr_assert_eq(sl_keyfile_prune(dir, "job", "orders", 4), 3);
    cr_assert_neq(access(r4r, F_OK), 0);
    cr_assert_neq(access(leftover, F_OK), 0);
    cr_assert_eq(access(other_left, F_OK), 0);   /* another table's */
    unlink(other_left);
    cr_assert_neq(access(r3, F_OK), 0);
    cr_assert_eq(access(r4, F_OK), 0);
    cr_assert_eq(access(other_t, F_OK), 0);
    cr_assert_eq(access(other_j, F_OK), 0);
    cr_assert_eq(sl_keyfile_prune(dir, "job", "orders", -1), 1);
    cr_assert_neq(access(r4, F_OK), 0);
    unlink(other_t);
    unlink(other_j);
    cr_assert_eq(rmdir(dir), 0);
    sl_free(r3);
    sl_free(r4);
    sl_free(other_t);
    sl_free(other_j);
    sl_free(r4r);
}

Test(keyfile, files_of_tables_gone_from_the_job_pruned)
{
    char dir[] = "/tmp/sl_keyfile_XXXXXX";
    cr_assert(mkdtemp(dir));
    char *kept = sl_keyfile_path(dir, "job", 3, "orders", false), *gone = sl_keyfile_path(dir, "job", 3, "items", false);
    char *other_j = sl_keyfile_path(dir, "job2", 3, "items", false);
    put_keys(kept, 1, 10);
    put_keys(gone, 1, 10);
    put_keys(other_j, 1, 10);
    char left[300];
    snprintf(left, sizeof left, "%s.part-x1Y2z3", gone);
    FILE *lf = fopen(left, "w");
    fclose(lf);
    char *tables[] = { "orders", "customers" };
    cr_assert_eq(sl_keyfile_prune_others(dir, "job", tables, 2), 2);
    cr_assert_eq(access(kept, F_OK), 0);
    cr_assert_neq(access(gone, F_OK), 0);
    cr_assert_neq(access(left, F_OK), 0);
    cr_assert_eq(access(other_j, F_OK), 0);   /* another job's */
    cr_assert_eq(sl_keyfile_prune_others(dir, "job", tables, 0), 1);   /* no detect table left: all of the job's */
    cr_assert_neq(access(kept, F_OK), 0);
    unlink(other_j);
    cr_assert_eq(rmdir(dir), 0);
    sl_free(kept);
    sl_free(gone);
    sl_free(other_j);
}

static void write_keys(const char *path, const int64_t *k, int n)
{
    sl_err err = SL_ERR_INIT;
    sl_keyfile_w w;
    cr_assert_eq(sl_keyfile_create(&w, path, 1, &err), 0, "%s", err.msg);
    for (int i = 0; i < n; i++) sl_keyfile_put(&w, &k[i]);
    cr_assert_eq(sl_keyfile_commit(&w, &err), 0, "%s", err.msg);
}

typedef struct sum_gone {
    int64_t n, sum, last;
} sum_gone;

static int sum_emit(void *ctx, const int64_t *key, sl_err *err)
{
    sum_gone *g = ctx;
    g->n++;
    g->sum += key[0] * 31 + g->n;
    g->last = key[0];
    return 0;
}

/* Runs both merges of the two files; asserts they agree (result, counts, emitted keys, error text). */
static void diff_both(const char *src, const char *live, int want_rc)
{
    sl_keyfile_r a, b;
    sl_err e1 = SL_ERR_INIT, e2 = SL_ERR_INIT;
    sl_keydiff_stats s1, s2;
    sum_gone g1 = { 0 }, g2 = { 0 };
    cr_assert_eq(sl_keyfile_open(&a, src, &e1), 0);
    cr_assert_eq(sl_keyfile_open(&b, live, &e1), 0);
    int r1 = sl_keyfile_diff(&a, &b, sum_emit, &g1, "t", &s1, &e1);
    sl_keyfile_close(&a);
    sl_keyfile_close(&b);
    cr_assert_eq(sl_keyfile_open(&a, src, &e2), 0);
    cr_assert_eq(sl_keyfile_open(&b, live, &e2), 0);
    int r2 = sl_keydiff(1, sl_keyfile_iter(&a), sl_keyfile_iter(&b), sum_emit, &g2, "t", &s2, &e2);
    sl_keyfile_close(&a);
    sl_keyfile_close(&b);
    cr_assert_eq(r1, want_rc, "%s", e1.msg);
    cr_assert_eq(r1, r2);
    cr_assert_str_eq(e1.msg, e2.msg);
    if (r1 == 0) {
        cr_assert_eq(s1.src_keys, s2.src_keys);
        cr_assert_eq(s1.live_keys, s2.live_keys);
        cr_assert_eq(s1.gone, s2.gone);
        cr_assert_eq(g1.n, g2.n);
        cr_assert_eq(g1.sum, g2.sum);
    }
}

Test(keyfile, the_one_column_file_merge_agrees_with_sl_keydiff)
{
    char dir[] = "/tmp/sl_keyfile_XXXXXX";
    cr_assert(mkdtemp(dir));
    char src[256], live[256];
    snprintf(src, sizeof src, "%s/src.keys", dir);
    snprintf(live, sizeof live, "%s/live.keys", dir);
    enum { N = 30000 };
    static int64_t s[N], l[N];
    srand(7);
    for (int round = 0; round < 20; round++) {
        /* Ascending with gaps and duplicates on both sides; lengths over a read block. */
        int ns = 0, nl = 0;
        int64_t v = -50 + rand() % 100;
        for (int i = 0; i < N; i++) {
            v += rand() % 3;
            if (rand() % 10) s[ns++] = v;
            if (rand() % 10 || round == 0) l[nl++] = v;
        }
        if (round == 1) ns = 0;            /* an empty source: every live key gone */
        if (round == 2) nl = 0;            /* nothing live */
        write_keys(src, s, ns);
        write_keys(live, l, nl);
        diff_both(src, live, 0);
    }
    /* Out of order, on either side: the same error. */
    int64_t bad[5] = { 1, 2, 5, 4, 9 }, ok[5] = { 1, 2, 3, 4, 5 };
    write_keys(src, bad, 5);
    write_keys(live, ok, 5);
    diff_both(src, live, -1);
    write_keys(src, ok, 5);
    write_keys(live, bad, 5);
    diff_both(src, live, -1);
    unlink(src);
    unlink(live);
    cr_assert_eq(rmdir(dir), 0);
}

/* Big-endian helpers for hand-made COPY bytes. */
static size_t put16(uint8_t *p, int v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; return 2; }
static size_t put32(uint8_t *p, int64_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)((uint64_t)v >> (24 - 8 * i));
    return 4;
}
static size_t put64(uint8_t *p, int64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
    return 8;
}

Test(pg_keys, decodes_int2_int4_int8_nulls_and_the_trailer_from_any_split)
{
    uint8_t buf[256];
    size_t n = 0;
    memcpy(buf, "PGCOPY\n\377\r\n\0", 11);
    n = 11;
    n += put32(buf + n, 0);
    n += put32(buf + n, 0);
    /* (int4 -7, int8 2^40) */
    n += put16(buf + n, 2);
    n += put32(buf + n, 4);
    n += put32(buf + n, -7);
    n += put32(buf + n, 8);
    n += put64(buf + n, (int64_t)1 << 40);
    /* (int2 -2, NULL) */
    n += put16(buf + n, 2);
    n += put32(buf + n, 2);
    n += put16(buf + n, -2);
    n += put32(buf + n, -1);
    /* trailer */
    n += put16(buf + n, -1);
    /* Every prefix shorter than the first tuple is "incomplete"; the whole decodes. */
    bool header = false;
    int64_t key[2];
    size_t used;
    sl_err err = SL_ERR_INIT;
    for (size_t cut = 0; cut < 19 + 2 + 8 + 12; cut++) {
        header = false;
        cr_assert_eq(sl_pg_keys_decode(buf, cut, 2, &header, key, &used, &err), 0, "cut %zu", cut);
    }
    header = false;
    size_t at = 0;
    cr_assert_eq(sl_pg_keys_decode(buf, n, 2, &header, key, &used, &err), 1, "%s", err.msg);
    cr_assert(header);
    cr_assert_eq(key[0], -7);
    cr_assert_eq(key[1], (int64_t)1 << 40);
    at += used;
    cr_assert_eq(sl_pg_keys_decode(buf + at, n - at, 2, &header, key, &used, &err), 2);   /* a NULL column */
    cr_assert_eq(key[0], -2);
    at += used;
    cr_assert_eq(sl_pg_keys_decode(buf + at, n - at, 2, &header, key, &used, &err), 3);   /* the trailer */
    cr_assert_eq(at + used, n);
}

Test(pg_keys, malformed_streams_are_errors)
{
    uint8_t buf[64];
    size_t n = 0;
    memcpy(buf, "PGCOPY\n\377\r\n\0", 11);
    n = 11;
    n += put32(buf + n, 0);
    n += put32(buf + n, 0);
    n += put16(buf + n, 1);
    n += put32(buf + n, 3);   /* a 3-byte field is no integer */
    buf[n++] = 'a';
    buf[n++] = 'b';
    buf[n++] = 'c';
    bool header = false;
    int64_t key[2];
    size_t used;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_pg_keys_decode(buf, n, 1, &header, key, &used, &err), -1);
    cr_assert(strstr(err.msg, "a field of 3 bytes where an integer was expected"), "%s", err.msg);
    sl_err_clear(&err);
    header = false;
    cr_assert_eq(sl_pg_keys_decode(buf, n, 2, &header, key, &used, &err), -1);   /* 1 field, 2 expected */
    cr_assert(strstr(err.msg, "has 1 fields, 2 expected"), "%s", err.msg);
    sl_err_clear(&err);
    buf[0] = 'X';
    header = false;
    cr_assert_eq(sl_pg_keys_decode(buf, n, 1, &header, key, &used, &err), -1);
    cr_assert(strstr(err.msg, "bad signature"), "%s", err.msg);
}
