/*
 * sl_list_text.c - the text form of a LIST value: a JSON array, as DuckDB
 * and PostgreSQL's array_to_json print it ([1, null, 3] without spaces:
 * [1,null,3]). Numbers and booleans bare (NaN and infinities as strings,
 * JSON has none), json elements as they are, bytes as "\\x..." (PostgreSQL's
 * bytea text form, escaped), everything else as a JSON string of sluice's
 * text form (sl_format_fixed). Used where a list meets text: the csv sink
 * and `sluice cat`.
 */
#include "sl_list_text.h"

#include <stdio.h>

void sl_format_list_json(const sl_vector *v, size_t row, sl_buf *out)
{
    const sl_vector *e = v->child;
    size_t a = (size_t)v->offsets[row], b = (size_t)v->offsets[row + 1];
    char buf[128];
    sl_buf_push(out, '[');
    for (size_t i = a; i < b; i++) {
        if (i > a) sl_buf_push(out, ',');
        if (!e->valid[i]) {
            sl_buf_append(out, "null", 4);
            continue;
        }
        size_t n;
        const uint8_t *p;
        switch (e->type.id) {
        case SL_T_STRING:
            p = sl_vec_bytes(e, i, &n);
            sl_buf_json_str(out, p, n);
            continue;
        case SL_T_JSON:
            p = sl_vec_bytes(e, i, &n);
            sl_buf_append(out, p, n);
            continue;
        case SL_T_BYTES: {
            static const char hex[] = "0123456789abcdef";
            p = sl_vec_bytes(e, i, &n);
            sl_buf_append(out, "\"\\\\x", 4);
            for (size_t k = 0; k < n; k++) {
                sl_buf_push(out, (uint8_t)hex[p[k] >> 4]);
                sl_buf_push(out, (uint8_t)hex[p[k] & 15]);
            }
            sl_buf_push(out, '"');
            continue;
        }
        default:
            break;
        }
        n = sl_format_fixed(e, i, buf);
        bool bare = false;
        switch (e->type.id) {
        case SL_T_BOOL: case SL_T_INT16: case SL_T_INT32: case SL_T_INT64: case SL_T_DECIMAL: bare = true; break;
        case SL_T_FLOAT32: case SL_T_FLOAT64: bare = buf[0] != 'N' && buf[0] != 'I' && buf[1] != 'I'; break;
        default: break;
        }
        if (bare) sl_buf_append(out, buf, n);
        else sl_buf_json_str(out, buf, n);
    }
    sl_buf_push(out, ']');
}
