/*
 * sl_check_row.c - row-level rules over a task's batches (sl_check_row.h).
 *
 * Each rule is bound once per task to its column(s) and a loop kind; a
 * batch is judged rule by rule, column-wise (one pass over a vector per
 * rule), marking ev->bad with the first failing error-level rule. NULL
 * passes every rule but not_null, as in the SQL of sl_check_sql.c, so the
 * counts equal what DuckDB would find on the staged files.
 */
#include "sl_check_row.h"

#include "../core/sl_alloc.h"
#include "../core/sl_text_value.h"

#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { SL_CR_INT, SL_CR_FLOAT, SL_CR_DEC, SL_CR_TEXT } sl_cr_mode;

typedef struct sl_cr_rule {
    int check;                 /* index in cfg->checks */
    int col;                   /* the column (not_null: see cols) */
    int cols[16];
    int ncols;
    sl_cr_mode mode;
    bool has_min, has_max;
    int64_t imin, imax;        /* INT, DEC (unscaled), length */
    double dmin, dmax;         /* FLOAT; INT with a fractional bound */
    bool int_as_double;
    size_t *vlen;              /* accepted_values: text */
    int64_t *ivals;            /* accepted_values: canonical integers */
    bool *ival_ok;
    regex_t re;
    bool re_ok;
    char *scratch;             /* regex: the value NUL-terminated (grown, never per row) */
    size_t scratch_cap;
} sl_cr_rule;

typedef struct sl_cr_priv {
    sl_cr_rule *rules;
    int nrules;
    int key_cols[8];
    int nkey;
} sl_cr_priv;

static int sl_cr_col(const sl_schema *s, const char *name)
{
    for (int i = 0; i < s->ncols; i++)
        if (!strcmp(s->fields[i].name, name)) return i;
    return -1;
}

static bool sl_cr_is_int(sl_type_id id) { return id == SL_T_INT16 || id == SL_T_INT32 || id == SL_T_INT64; }

static int64_t sl_cr_int_at(const sl_vector *v, size_t row)
{
    switch (v->type.id) {
    case SL_T_INT16: return ((const int16_t *)v->data)[row];
    case SL_T_INT32: return ((const int32_t *)v->data)[row];
    default: return ((const int64_t *)v->data)[row];
    }
}

/* A bound of range: as the column's kind; false when it cannot be judged exactly here. */
static bool sl_cr_bound(sl_cr_rule *r, const sl_type *ty, const char *text, bool is_min)
{
    size_t n = strlen(text);
    int64_t i;
    double d;
    if (r->mode == SL_CR_INT) {
        if (sl_text_int64(text, n, &i) == 0) {
            if (is_min) r->imin = i;
            else r->imax = i;
            return true;
        }
        if (sl_text_float64(text, n, &d) < 0) return false;
        r->int_as_double = true;
    } else if (r->mode == SL_CR_DEC) {
        sl_i128 v;
        const char *why;
        if (sl_text_decimal(text, n, 38, ty->scale, &v, &why) < 0) return false;
        if (v > (sl_i128)INT64_MAX || v < (sl_i128)INT64_MIN) return false;
        if (is_min) r->imin = (int64_t)v;
        else r->imax = (int64_t)v;
        return true;
    } else if (sl_text_float64(text, n, &d) < 0) {
        return false;
    }
    if (is_min) r->dmin = d;
    else r->dmax = d;
    return true;
}

/* Binds checks[i]; false when it is not judged here. */
static bool sl_cr_bind(sl_cr_rule *r, const sl_job_check *c, const sl_schema *s)
{
    if (c->kind == SL_CHECK_NOT_NULL) {
        if (c->ncols > 16) return false;
        for (int k = 0; k < c->ncols; k++)
            if ((r->cols[k] = sl_cr_col(s, c->cols[k])) < 0) return false;
        r->ncols = c->ncols;
        return true;
    }
    if (c->ncols != 1 || (r->col = sl_cr_col(s, c->cols[0])) < 0) return false;
    const sl_type *ty = &s->fields[r->col].type;
    if (sl_cr_is_int(ty->id)) r->mode = SL_CR_INT;
    else if (ty->id == SL_T_FLOAT32 || ty->id == SL_T_FLOAT64) r->mode = SL_CR_FLOAT;
    else if (ty->id == SL_T_DECIMAL && sl_type_width(*ty) == 8) r->mode = SL_CR_DEC;
    else if (ty->id == SL_T_STRING) r->mode = SL_CR_TEXT;
    else return false;
    switch (c->kind) {
    case SL_CHECK_ACCEPTED_VALUES:
        if (r->mode != SL_CR_TEXT && r->mode != SL_CR_INT) return false;
        r->vlen = sl_calloc((size_t)(c->nvalues ? c->nvalues : 1), sizeof *r->vlen);
        r->ivals = sl_calloc((size_t)(c->nvalues ? c->nvalues : 1), sizeof *r->ivals);
        r->ival_ok = sl_calloc((size_t)(c->nvalues ? c->nvalues : 1), sizeof *r->ival_ok);
        for (int k = 0; k < c->nvalues; k++) {
            r->vlen[k] = strlen(c->values[k]);
            /* cast(int as varchar) is canonical: "05" never matches */
            char canon[32];
            if (r->mode == SL_CR_INT && sl_text_int64(c->values[k], r->vlen[k], &r->ivals[k]) == 0) {
                snprintf(canon, sizeof canon, "%lld", (long long)r->ivals[k]);
                r->ival_ok[k] = !strcmp(canon, c->values[k]);
            }
        }
        return true;
    case SL_CHECK_RANGE:
        if (r->mode == SL_CR_TEXT) return false;
        r->has_min = c->min != NULL;
        r->has_max = c->max != NULL;
        if (r->has_min && !sl_cr_bound(r, ty, c->min, true)) return false;
        if (r->has_max && !sl_cr_bound(r, ty, c->max, false)) return false;
        if (r->int_as_double) {   /* both bounds as doubles then */
            double d;
            if (r->has_min && sl_text_float64(c->min, strlen(c->min), &d) == 0) r->dmin = d;
            if (r->has_max && sl_text_float64(c->max, strlen(c->max), &d) == 0) r->dmax = d;
        }
        return true;
    case SL_CHECK_REGEX:
        if (r->mode != SL_CR_TEXT) return false;
        r->re_ok = regcomp(&r->re, c->pattern, REG_EXTENDED | REG_NOSUB) == 0;
        return r->re_ok;
    case SL_CHECK_LENGTH:
        if (r->mode != SL_CR_TEXT) return false;
        r->has_min = c->min != NULL;
        r->has_max = c->max != NULL;
        if (r->has_min && sl_text_int64(c->min, strlen(c->min), &r->imin) < 0) return false;
        if (r->has_max && sl_text_int64(c->max, strlen(c->max), &r->imax) < 0) return false;
        return true;
    default:
        return false;
    }
}

static void sl_cr_rule_free(sl_cr_rule *r)
{
    sl_free(r->vlen);
    sl_free(r->ivals);
    sl_free(r->ival_ok);
    if (r->re_ok) regfree(&r->re);
    sl_free(r->scratch);
}

sl_check_row *sl_check_row_new(const sl_job_table *cfg, const sl_schema *schema)
{
    if (!cfg->nchecks || !schema->ncols) return NULL;
    sl_cr_priv *p = sl_calloc(1, sizeof *p);
    /* The example keys: the table's key or its first column, integers or text. */
    bool key_int = false;
    if (cfg->nkey) {
        p->nkey = cfg->nkey > 8 ? 0 : cfg->nkey;
        for (int k = 0; k < p->nkey; k++)
            if ((p->key_cols[k] = sl_cr_col(schema, cfg->key[k])) < 0) p->nkey = 0;
    } else {
        p->nkey = 1;
        p->key_cols[0] = 0;
    }
    for (int k = 0; k < p->nkey; k++) {
        sl_type_id id = schema->fields[p->key_cols[k]].type.id;
        if (!sl_cr_is_int(id) && id != SL_T_STRING) p->nkey = 0;
    }
    if (p->nkey) key_int = sl_cr_is_int(schema->fields[p->key_cols[0]].type.id);
    sl_check_uniq *uniq = sl_calloc((size_t)cfg->nchecks, sizeof *uniq);
    int nuniq = 0;
    for (int i = 0; i < cfg->nchecks; i++) {
        const sl_job_check *c = &cfg->checks[i];
        int col = c->kind == SL_CHECK_UNIQUE && c->ncols == 1 ? sl_cr_col(schema, c->cols[0]) : -1;
        if (col >= 0 && sl_cr_is_int(schema->fields[col].type.id)) {
            uniq[i].tracked = true;
            nuniq++;
        }
    }
    p->rules = sl_calloc((size_t)cfg->nchecks, sizeof *p->rules);
    for (int i = 0; i < cfg->nchecks && p->nkey; i++) {
        sl_cr_rule *r = &p->rules[p->nrules];
        memset(r, 0, sizeof *r);
        r->check = i;
        if (sl_check_is_row_level(cfg->checks[i].kind) && sl_cr_bind(r, &cfg->checks[i], schema)) p->nrules++;
        else sl_cr_rule_free(r);
    }
    if (!p->nrules && !nuniq) {
        sl_free(uniq);
        sl_free(p->rules);
        sl_free(p);
        return NULL;
    }
    sl_check_row *ev = sl_calloc(1, sizeof *ev);
    ev->cfg = cfg;
    ev->schema = schema;
    ev->priv = p;
    ev->key_int = key_int;
    ev->bad = sl_calloc(SL_BATCH_ROWS, 1);
    ev->counts = sl_calloc((size_t)cfg->nchecks, sizeof *ev->counts);
    ev->uniq = uniq;
    sl_check_row_reset(ev);
    return ev;
}

void sl_check_row_reset(sl_check_row *ev)
{
    sl_cr_priv *p = ev->priv;
    for (int i = 0; i < ev->cfg->nchecks; i++) ev->counts[i] = (sl_check_row_counts){ .failing = -1 };
    for (int k = 0; k < p->nrules; k++) ev->counts[p->rules[k].check].failing = 0;
    for (int i = 0; i < ev->cfg->nchecks; i++)
        if (ev->uniq[i].tracked) ev->uniq[i] = (sl_check_uniq){ .tracked = true, .increasing = true };
    ev->bad_rows = 0;
}

void sl_check_row_free(sl_check_row *ev)
{
    if (!ev) return;
    sl_cr_priv *p = ev->priv;
    for (int k = 0; k < p->nrules; k++) sl_cr_rule_free(&p->rules[k]);
    sl_free(p->rules);
    sl_free(p);
    sl_free(ev->bad);
    sl_free(ev->counts);
    sl_free(ev->uniq);
    sl_free(ev);
}

bool sl_check_row_judges(const sl_check_row *ev, int i) { return ev && ev->counts[i].failing >= 0; }

/* ---- examples ---- */

static int sl_cr_example_cmp(const sl_check_example *a, const sl_check_example *b, bool key_int)
{
    if (a->null != b->null) return a->null ? 1 : -1;
    if (key_int && !a->null && a->ikey != b->ikey) return a->ikey < b->ikey ? -1 : 1;
    return strcmp(a->text, b->text);
}

/* Keeps the 5 smallest, sorted. */
static void sl_cr_example_add(sl_check_row_counts *c, const sl_check_example *e, bool key_int)
{
    int at = c->nex;
    while (at > 0 && sl_cr_example_cmp(e, &c->ex[at - 1], key_int) < 0) at--;
    if (at >= SL_CHECK_ROW_EXAMPLES) return;
    if (at < c->nex && !sl_cr_example_cmp(e, &c->ex[at], key_int)) return;   /* the same key twice */
    int last = c->nex < SL_CHECK_ROW_EXAMPLES ? c->nex : SL_CHECK_ROW_EXAMPLES - 1;
    memmove(&c->ex[at + 1], &c->ex[at], (size_t)(last - at) * sizeof c->ex[0]);
    c->ex[at] = *e;
    if (c->nex < SL_CHECK_ROW_EXAMPLES) c->nex++;
}

/* Cheap test before formatting a key: would it enter the 5? */
static bool sl_cr_example_wanted(const sl_check_row_counts *c, const sl_vector *v0, size_t row, bool key_int)
{
    if (c->nex < SL_CHECK_ROW_EXAMPLES) return true;
    const sl_check_example *worst = &c->ex[SL_CHECK_ROW_EXAMPLES - 1];
    if (!v0->valid[row]) return false;   /* NULL sorts last: at best equal to the worst */
    if (worst->null) return true;
    if (key_int) return sl_cr_int_at(v0, row) <= worst->ikey;
    return true;
}

static size_t sl_cr_value_text(const sl_vector *v, size_t row, char *out, size_t size)
{
    if (!v->valid[row]) return (size_t)snprintf(out, size, "NULL");
    switch (v->type.id) {
    case SL_T_INT16: case SL_T_INT32: case SL_T_INT64:
        return (size_t)snprintf(out, size, "%lld", (long long)sl_cr_int_at(v, row));
    case SL_T_FLOAT32: return (size_t)snprintf(out, size, "%g", (double)((const float *)v->data)[row]);
    case SL_T_FLOAT64: return (size_t)snprintf(out, size, "%g", ((const double *)v->data)[row]);
    case SL_T_DECIMAL:
        if (v->width == 8) {
            int64_t x = ((const int64_t *)v->data)[row];
            int s = v->type.scale;
            if (!s) return (size_t)snprintf(out, size, "%lld", (long long)x);
            uint64_t ax = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
            uint64_t p10 = 1;
            for (int k = 0; k < s; k++) p10 *= 10;
            return (size_t)snprintf(out, size, "%s%llu.%0*llu", x < 0 ? "-" : "", (unsigned long long)(ax / p10), s,
                                    (unsigned long long)(ax % p10));
        }
        return (size_t)snprintf(out, size, "?");
    case SL_T_STRING: {
        int64_t a = v->offsets[row], n = v->offsets[row + 1] - a;
        int shown = n > 60 ? 60 : (int)n;
        return (size_t)snprintf(out, size, "%.*s%s", shown, (const char *)v->heap + a, n > 60 ? "..." : "");
    }
    default: return (size_t)snprintf(out, size, "?");
    }
}

static void sl_cr_example(const sl_check_row *ev, const sl_batch *b, size_t row, int check)
{
    const sl_cr_priv *p = ev->priv;
    sl_check_row_counts *c = &ev->counts[check];
    const sl_vector *v0 = &b->cols[p->key_cols[0]];
    if (!sl_cr_example_wanted(c, v0, row, ev->key_int)) return;
    sl_check_example e = { .null = !v0->valid[row] };
    if (ev->key_int && v0->valid[row]) e.ikey = sl_cr_int_at(v0, row);
    size_t used = 0;
    for (int k = 0; k < p->nkey && used < sizeof e.text; k++) {
        used += (size_t)snprintf(e.text + used, sizeof e.text - used, "%s%s=", k ? "/" : "",
                                 ev->schema->fields[p->key_cols[k]].name);
        if (used < sizeof e.text) used += sl_cr_value_text(&b->cols[p->key_cols[k]], row, e.text + used, sizeof e.text - used);
    }
    sl_cr_example_add(c, &e, ev->key_int);
}

/* ---- judging ---- */

static bool sl_cr_text_in(const sl_cr_rule *r, const sl_job_check *c, const uint8_t *s, size_t n)
{
    for (int k = 0; k < c->nvalues; k++)
        if (r->vlen[k] == n && !memcmp(c->values[k], s, n)) return true;
    return false;
}

static bool sl_cr_fails(sl_cr_rule *r, const sl_job_check *c, const sl_batch *b, size_t row)
{
    if (c->kind == SL_CHECK_NOT_NULL) {
        for (int k = 0; k < r->ncols; k++)
            if (!b->cols[r->cols[k]].valid[row]) return true;
        return false;
    }
    const sl_vector *v = &b->cols[r->col];
    if (!v->valid[row]) return false;
    const uint8_t *s = NULL;
    size_t n = 0;
    if (r->mode == SL_CR_TEXT) {
        s = v->heap + v->offsets[row];
        n = (size_t)(v->offsets[row + 1] - v->offsets[row]);
    }
    switch (c->kind) {
    case SL_CHECK_ACCEPTED_VALUES:
        if (r->mode == SL_CR_TEXT) return !sl_cr_text_in(r, c, s, n);
        for (int k = 0; k < c->nvalues; k++)
            if (r->ival_ok[k] && r->ivals[k] == sl_cr_int_at(v, row)) return false;
        return true;
    case SL_CHECK_RANGE:
        if (r->mode == SL_CR_FLOAT || r->int_as_double) {
            double d = r->mode == SL_CR_FLOAT ? (v->type.id == SL_T_FLOAT32 ? (double)((const float *)v->data)[row]
                                                                           : ((const double *)v->data)[row])
                                              : (double)sl_cr_int_at(v, row);
            if (isnan(d)) return r->has_max;   /* NaN sorts above every number in DuckDB */
            return (r->has_min && d < r->dmin) || (r->has_max && d > r->dmax);
        } else {
            int64_t x = r->mode == SL_CR_DEC ? ((const int64_t *)v->data)[row] : sl_cr_int_at(v, row);
            return (r->has_min && x < r->imin) || (r->has_max && x > r->imax);
        }
    case SL_CHECK_REGEX:
        /* A NUL-terminated copy rather than REG_STARTEND: sanitizers' regexec reads to the NUL. */
        if (n + 1 > r->scratch_cap) {
            r->scratch_cap = (n + 1) * 2 < 256 ? 256 : (n + 1) * 2;
            sl_free(r->scratch);
            r->scratch = sl_malloc(r->scratch_cap);
        }
        memcpy(r->scratch, s, n);
        r->scratch[n] = '\0';
        return regexec(&r->re, r->scratch, 0, NULL, 0) != 0;
    case SL_CHECK_LENGTH: {
        int64_t chars = 0;
        for (size_t k = 0; k < n; k++) chars += (s[k] & 0xC0) != 0x80;
        return (r->has_min && chars < r->imin) || (r->has_max && chars > r->imax);
    }
    default:
        return false;
    }
}

/* One pass over the column: still increasing? and the range. */
static void sl_cr_uniq_batch(sl_check_uniq *u, const sl_vector *v, size_t n)
{
    if (!u->increasing) return;
    int64_t last = u->max;
    bool any = u->any;
    for (size_t row = 0; row < n; row++) {
        if (!v->valid[row]) continue;
        int64_t x = sl_cr_int_at(v, row);
        if (any && x <= last) {
            u->increasing = false;
            return;
        }
        if (!any) u->min = x;
        any = true;
        last = x;
    }
    u->any = any;
    u->max = last;
}

size_t sl_check_row_batch(sl_check_row *ev, const sl_batch *b)
{
    sl_cr_priv *p = ev->priv;
    for (int i = 0; i < ev->cfg->nchecks; i++)
        if (ev->uniq[i].tracked)
            sl_cr_uniq_batch(&ev->uniq[i], &b->cols[sl_cr_col(ev->schema, ev->cfg->checks[i].cols[0])], b->nrows);
    memset(ev->bad, 0, b->nrows);
    size_t nbad = 0;
    for (int k = 0; k < p->nrules; k++) {
        sl_cr_rule *r = &p->rules[k];
        const sl_job_check *c = &ev->cfg->checks[r->check];
        sl_check_row_counts *cnt = &ev->counts[r->check];
        for (size_t row = 0; row < b->nrows; row++) {
            if (!sl_cr_fails(r, c, b, row)) continue;
            cnt->failing++;
            sl_cr_example(ev, b, row, r->check);
            if (!c->warn && !ev->bad[row]) {
                ev->bad[row] = (uint8_t)(r->check + 1);
                nbad++;
            }
        }
    }
    ev->bad_rows += (int64_t)nbad;
    return nbad;
}

void sl_check_row_reason(const sl_check_row *ev, const sl_batch *b, size_t row, int i, char *out, size_t size)
{
    const sl_cr_priv *p = ev->priv;
    const sl_job_check *c = &ev->cfg->checks[i];
    const sl_cr_rule *r = NULL;
    for (int k = 0; k < p->nrules; k++)
        if (p->rules[k].check == i) r = &p->rules[k];
    if (!r) {
        snprintf(out, size, "fails %s", c->name);
        return;
    }
    char val[80] = "";
    if (c->kind != SL_CHECK_NOT_NULL) sl_cr_value_text(&b->cols[r->col], row, val, sizeof val);
    switch (c->kind) {
    case SL_CHECK_NOT_NULL:
        for (int k = 0; k < r->ncols; k++)
            if (!b->cols[r->cols[k]].valid[row]) {
                snprintf(out, size, "%s is null", c->cols[k]);
                return;
            }
        snprintf(out, size, "a column is null");
        return;
    case SL_CHECK_ACCEPTED_VALUES:
        snprintf(out, size, "%s '%s' is not an accepted value", c->cols[0], val);
        return;
    case SL_CHECK_RANGE:
        snprintf(out, size, "%s %s is outside [%s, %s]", c->cols[0], val, c->min ? c->min : "-", c->max ? c->max : "-");
        return;
    case SL_CHECK_REGEX:
        snprintf(out, size, "%s '%s' does not match '%s'", c->cols[0], val, c->pattern);
        return;
    case SL_CHECK_LENGTH:
        snprintf(out, size, "%s '%s' has a length outside [%s, %s]", c->cols[0], val, c->min ? c->min : "-",
                 c->max ? c->max : "-");
        return;
    default:
        snprintf(out, size, "fails %s", c->name);
    }
}

/* ---- merging and the state store's text ---- */

void sl_check_row_examples_encode(const sl_check_row_counts *c, sl_buf *out)
{
    for (int k = 0; k < c->nex; k++)
        sl_buf_printf(out, "%d\t%lld\t%s\n", c->ex[k].null, (long long)c->ex[k].ikey, c->ex[k].text);
}

void sl_check_row_examples_decode(const char *text, sl_check_row_counts *c)
{
    c->nex = 0;
    while (text && *text && c->nex < SL_CHECK_ROW_EXAMPLES) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        int null = 0, used = 0;
        long long ikey = 0;
        if (sscanf(text, "%d\t%lld\t%n", &null, &ikey, &used) >= 2 && used > 0 && (size_t)used <= len) {
            sl_check_example *e = &c->ex[c->nex++];
            e->null = null != 0;
            e->ikey = ikey;
            size_t n = len - (size_t)used < sizeof e->text - 1 ? len - (size_t)used : sizeof e->text - 1;
            memcpy(e->text, text + used, n);
            e->text[n] = '\0';
        }
        text = nl ? nl + 1 : text + len;
    }
}

void sl_check_row_merge(sl_check_row_counts *acc, const sl_check_row_counts *one, bool key_int)
{
    if (acc->failing < 0) acc->failing = 0;
    if (one->failing > 0) acc->failing += one->failing;
    for (int k = 0; k < one->nex; k++) sl_cr_example_add(acc, &one->ex[k], key_int);
}

void sl_check_row_examples_text(const sl_check_row_counts *c, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int k = 0; k < c->nex && used < size; k++)
        used += (size_t)snprintf(out + used, size - used, "%s%s", k ? ", " : "", c->ex[k].text);
}

/* ---- unique, watched ---- */

void sl_check_uniq_encode(const sl_check_uniq *u, sl_buf *out)
{
    sl_buf_printf(out, "%d %d %lld %lld", u->increasing, u->any, (long long)u->min, (long long)u->max);
}

bool sl_check_uniq_decode(const char *text, sl_check_uniq *u)
{
    int inc = 0, any = 0;
    long long mn = 0, mx = 0;
    if (!text || sscanf(text, "%d %d %lld %lld", &inc, &any, &mn, &mx) != 4) return false;
    *u = (sl_check_uniq){ .tracked = true, .increasing = inc != 0, .any = any != 0, .min = mn, .max = mx };
    return true;
}

static int sl_cr_uniq_cmp(const void *a, const void *b)
{
    const sl_check_uniq *x = a, *y = b;
    if (x->any != y->any) return x->any ? 1 : -1;   /* empty tasks first: they prove nothing and are skipped */
    return x->min < y->min ? -1 : x->min > y->min;
}

bool sl_check_uniq_proven(sl_check_uniq *u, int n)
{
    for (int i = 0; i < n; i++)
        if (!u[i].increasing) return false;
    qsort(u, (size_t)n, sizeof *u, sl_cr_uniq_cmp);
    for (int i = 1; i < n; i++)
        if (u[i - 1].any && u[i].any && u[i - 1].max >= u[i].min) return false;
    return true;
}
