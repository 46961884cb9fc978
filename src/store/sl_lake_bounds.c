/*
 * sl_lake_bounds.c - the key ranges of a lake table's files, and the files
 * a set of keys can touch (see sl_lake_bounds.h).
 *
 * Ranges are compared as 64-bit integers on both sides: the receipt's text
 * is parsed back here (sluice's own text forms), the leaving keys are
 * turned into the same integers in DuckDB (dates: days since 1970-01-01,
 * timestamps: epoch microseconds, as sluice holds them), so no text form of
 * a date or time has to agree between the two.
 */
#include "sl_lake_bounds.h"

#include "../core/sl_alloc.h"
#include "../core/sl_receipt.h"
#include "../core/sl_text_value.h"
#include "sl_duck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sl_lake_bounds_type_ok(sl_type t)
{
    return t.id == SL_T_INT16 || t.id == SL_T_INT32 || t.id == SL_T_INT64 || t.id == SL_T_DATE ||
           t.id == SL_T_TIMESTAMP;
}

static bool sl_lake_bound_value(const char *text, sl_type t, int64_t *v)
{
    size_t n = strlen(text);
    if (t.id == SL_T_DATE) {
        int32_t days;
        if (sl_text_date(text, n, &days) < 0) return false;
        *v = days;
        return true;
    }
    if (t.id == SL_T_TIMESTAMP) {
        bool zone;
        return sl_text_timestamp(text, n, v, &zone) == 0;
    }
    return sl_text_int64(text, n, v) == 0;
}

static bool sl_lake_bounds_set(sl_lake_bounds *b, sl_type t)
{
    b->known = sl_lake_bound_value(b->lo_text, t, &b->lo) && sl_lake_bound_value(b->hi_text, t, &b->hi) &&
               b->lo <= b->hi;
    return b->known;
}

bool sl_lake_bounds_parse(const char *members, const char *key, sl_type t, sl_lake_bounds *b)
{
    memset(b, 0, sizeof *b);
    if (!members || !sl_lake_bounds_type_ok(t)) return false;
    char name[512];
    if (!strncmp(members, "\"bounds\": ", 10)) {
        const char *end = strchr(members, '}');
        if (!end) return false;
        char obj[512];
        snprintf(obj, sizeof obj, "%.*s", (int)(end - members + 1), members);
        if (!sl_receipt_json_field(obj, "column", name, sizeof name) || strcmp(name, key) ||
            !sl_receipt_json_field(obj, "min", b->lo_text, sizeof b->lo_text) ||
            !sl_receipt_json_field(obj, "max", b->hi_text, sizeof b->hi_text))
            return false;
        return sl_lake_bounds_set(b, t);
    }
    if (strncmp(members, "\"receipt\": ", 11)) return false;
    char col[4096];
    for (const char *p = sl_receipt_json_columns(members); p && (p = sl_receipt_json_column(p, col, sizeof col));) {
        if (!sl_receipt_json_field(col, "name", name, sizeof name) || strcmp(name, key)) continue;
        /* A column without min/max holds no value: no key can match; kept a candidate all the same. */
        if (!sl_receipt_json_field(col, "min", b->lo_text, sizeof b->lo_text) ||
            !sl_receipt_json_field(col, "max", b->hi_text, sizeof b->hi_text))
            return false;
        return sl_lake_bounds_set(b, t);
    }
    return false;
}

sl_lake_bounds sl_lake_bounds_union(const sl_lake_bounds *bd, const int *idx, int n)
{
    sl_lake_bounds u = bd[idx[0]];
    for (int k = 1; k < n && u.known; k++) {
        const sl_lake_bounds *x = &bd[idx[k]];
        u.known = x->known;
        if (u.known && x->lo < u.lo) {
            u.lo = x->lo;
            memcpy(u.lo_text, x->lo_text, sizeof u.lo_text);
        }
        if (u.known && x->hi > u.hi) {
            u.hi = x->hi;
            memcpy(u.hi_text, x->hi_text, sizeof u.hi_text);
        }
    }
    return u;
}

void sl_lake_bounds_json(const sl_lake_bounds *b, const char *key, sl_buf *out)
{
    sl_buf_printf(out, "\"bounds\": {\"column\": ");
    sl_buf_json_str(out, key, strlen(key));
    sl_buf_printf(out, ", \"min\": ");
    sl_buf_json_str(out, b->lo_text, strlen(b->lo_text));
    sl_buf_printf(out, ", \"max\": ");
    sl_buf_json_str(out, b->hi_text, strlen(b->hi_text));
    sl_buf_printf(out, "}");
}

int sl_lake_bounds_candidates(struct sl_duck *d, const char *gone, const char *qkey, sl_type t,
                              const sl_lake_bounds *b, int n, bool *hit, int64_t *outside, sl_err *err)
{
    sl_buf q = { 0 };
    int nranges = 0;
    sl_buf_printf(&q, "create or replace temp table sl_rng as select * from (values ");
    for (int i = 0; i < n; i++) {
        if (!b[i].known) continue;
        sl_buf_printf(&q, "%s(%d, %lld::bigint, %lld::bigint)", nranges++ ? ", " : "", i, (long long)b[i].lo,
                      (long long)b[i].hi);
    }
    if (!nranges) {
        sl_buf_free(&q);
        return 0;
    }
    sl_buf_printf(&q, ") v(i, lo, hi); create or replace temp table sl_gv as select ");
    if (t.id == SL_T_DATE) sl_buf_printf(&q, "datediff('day', DATE '1970-01-01', %s)", qkey);
    else if (t.id == SL_T_TIMESTAMP) sl_buf_printf(&q, "epoch_us(%s)", qkey);
    else sl_buf_printf(&q, "%s::bigint", qkey);
    sl_buf_printf(&q, " as v from %s", gone);
    sl_buf_push(&q, 0);
    int rc = sl_duck_exec(d, (const char *)q.data, NULL, err);
    sl_buf_free(&q);
    sl_duck_rows rows = { 0 };
    if (rc == 0)
        rc = sl_duck_query(d, "select distinct r.i from sl_rng r join sl_gv g on g.v between r.lo and r.hi", &rows,
                           err);
    for (int r = 0; rc == 0 && r < rows.nrows; r++) {
        const char *cell = sl_duck_cell(&rows, r, 0);
        int i = cell ? atoi(cell) : -1;
        if (i >= 0 && i < n) hit[i] = true;
    }
    sl_duck_rows_free(&rows);
    if (rc == 0 && outside)
        rc = sl_duck_exec(d, "select count(*) from sl_gv g where g.v is null or not exists (select 1 from sl_rng r "
                          "where g.v between r.lo and r.hi)", outside, err);
    if (rc < 0) sl_err_prefix(err, "choosing the files the merge touches");
    return rc;
}
