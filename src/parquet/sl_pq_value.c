/*
 * sl_pq_value.c - the typed constants of reader filters ("col op value"):
 * parsing the text of a value as a column's type, taking a value out of a
 * vector, comparing two values in the column type's order, and parsing the
 * "col op value" text itself. The reader (sl_pq_reader.c) uses them to skip
 * row groups by their statistics and to filter rows. See sl_pq_reader.h.
 */
#include "sl_pq_reader.h"

#include "core/sl_alloc.h"
#include "core/sl_text_value.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

void sl_pq_value_from_vec(const sl_vector *v, size_t row, sl_pq_value *out)
{
    memset(out, 0, sizeof *out);
    out->type = v->type;
    const uint8_t *p = v->data ? v->data + row * v->width : NULL;
    switch (v->type.id) {
    case SL_T_BOOL: out->i = p[0]; break;
    case SL_T_INT16: { int16_t x; memcpy(&x, p, 2); out->i = x; break; }
    case SL_T_INT32: case SL_T_DATE: { int32_t x; memcpy(&x, p, 4); out->i = x; break; }
    case SL_T_INT64: case SL_T_TIME: case SL_T_TIMESTAMP: memcpy(&out->i, p, 8); break;
    case SL_T_FLOAT32: { float f; memcpy(&f, p, 4); out->f = f; break; }
    case SL_T_FLOAT64: memcpy(&out->f, p, 8); break;
    case SL_T_DECIMAL:
        out->d = sl_vec_get_decimal(v, row);
        break;
    case SL_T_UUID: out->p = p; out->len = 16; break;
    default: out->p = sl_vec_bytes(v, row, &out->len); break;
    }
}

int sl_pq_value_cmp(const sl_pq_value *a, const sl_pq_value *b)
{
    switch (a->type.id) {
    case SL_T_FLOAT32: case SL_T_FLOAT64: {
        /* PostgreSQL's (and DuckDB's) order: NaN equals NaN, above every number. */
        int an = isnan(a->f) != 0, bn = isnan(b->f) != 0;
        if (an || bn) return an - bn;
        return a->f < b->f ? -1 : a->f > b->f;
    }
    case SL_T_DECIMAL: return a->d < b->d ? -1 : a->d > b->d;
    case SL_T_STRING: case SL_T_BYTES: case SL_T_JSON: case SL_T_UUID: {
        size_t n = a->len < b->len ? a->len : b->len;
        int c = n ? memcmp(a->p, b->p, n) : 0;
        if (c) return c < 0 ? -1 : 1;
        return a->len < b->len ? -1 : a->len > b->len;
    }
    default: return a->i < b->i ? -1 : a->i > b->i;
    }
}

int sl_pq_value_parse(sl_type t, const char *text, sl_pq_value *out, sl_err *err)
{
    memset(out, 0, sizeof *out);
    out->type = t;
    size_t n = strlen(text);
    switch (t.id) {
    case SL_T_BOOL: {
        bool b;
        if (sl_text_bool(text, n, &b) < 0) goto bad;
        out->i = b;
        return 0;
    }
    case SL_T_INT16: case SL_T_INT32: case SL_T_INT64:
        if (sl_text_int64(text, n, &out->i) < 0) goto bad;
        return 0;
    case SL_T_FLOAT32: case SL_T_FLOAT64:
        if (sl_text_float64(text, n, &out->f) < 0) goto bad;
        if (t.id == SL_T_FLOAT32) out->f = (float)out->f;
        return 0;
    case SL_T_DECIMAL: {
        const char *why;
        if (sl_text_decimal(text, n, t.precision, t.scale, &out->d, &why) < 0) goto bad;
        return 0;
    }
    case SL_T_DATE: {
        int32_t days;
        if (sl_text_date(text, n, &days) < 0) goto bad;
        out->i = days;
        return 0;
    }
    case SL_T_TIME:
        if (sl_text_time(text, n, &out->i) < 0) goto bad;
        return 0;
    case SL_T_TIMESTAMP: {
        bool zone;
        if (sl_text_timestamp(text, n, &out->i, &zone) < 0) goto bad;
        return 0;
    }
    case SL_T_UUID: {
        uint8_t *u = (uint8_t *)(out->owned = sl_malloc(16));
        if (sl_text_uuid(text, n, u) < 0) goto bad;
        out->p = u;
        out->len = 16;
        return 0;
    }
    default:
        out->owned = sl_strdup(text);
        out->p = (const uint8_t *)out->owned;
        out->len = n;
        return 0;
    }
bad:
    sl_free(out->owned);
    out->owned = NULL;
    char tn[48];
    return sl_err_set(err, SL_EUSAGE, "'%s' is not a valid %s value", text, sl_type_format(t, tn, sizeof tn));
}

int sl_pq_filter_parse(const char *text, char **col, sl_pq_op *op, char **value, sl_err *err)
{
    const char *p = text;
    while (isspace((unsigned char)*p)) p++;
    const char *cs = p;
    while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '.' || (unsigned char)*p >= 0x80)) p++;
    const char *ce = p;
    while (isspace((unsigned char)*p)) p++;
    static const struct { const char *s; sl_pq_op op; } ops[] = {
        { "<=", SL_PQ_OP_LE }, { ">=", SL_PQ_OP_GE }, { "!=", SL_PQ_OP_NE }, { "<>", SL_PQ_OP_NE },
        { "==", SL_PQ_OP_EQ }, { "=", SL_PQ_OP_EQ }, { "<", SL_PQ_OP_LT }, { ">", SL_PQ_OP_GT } };
    size_t i;
    for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strncmp(p, ops[i].s, strlen(ops[i].s))) break;
    if (ce == cs || i == sizeof ops / sizeof ops[0])
        return sl_err_set(err, SL_EUSAGE, "cannot parse filter '%s': expected \"column op value\" with op one of = != < <= > >=", text);
    *op = ops[i].op;
    p += strlen(ops[i].s);
    while (isspace((unsigned char)*p)) p++;
    size_t vlen = strlen(p);
    while (vlen && isspace((unsigned char)p[vlen - 1])) vlen--;
    if (vlen >= 2 && (p[0] == '\'' || p[0] == '"') && p[vlen - 1] == p[0]) {
        p++;
        vlen -= 2;
    }
    *col = sl_strndup(cs, (size_t)(ce - cs));
    *value = sl_strndup(p, vlen);
    return 0;
}

