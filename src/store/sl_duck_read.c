/*
 * sl_duck_read.c - a DuckDB query's result streamed into sluice's columnar
 * batches (sl_duck.h: sl_duck_read, _next, _close).
 *
 * The query runs as a streaming result (duckdb_pending_prepared_streaming):
 * DuckDB produces data chunks of up to 2048 rows as they are fetched, so a
 * large result never sits in memory. Each chunk's vectors are converted
 * column by column into the batch (a converter chosen once per column from
 * the result's logical types); a chunk that does not fit the batch's
 * remaining room is continued by the next call.
 *
 * DuckDB's physical layouts used here (duckdb.h): BOOLEAN a byte, integers
 * native, HUGEINT {lower uint64, upper int64}, DECIMAL in the internal type
 * its width needs, DATE int32 days, TIME and TIMESTAMP int64 µs, UUID a
 * HUGEINT with its top bit flipped (so that it sorts as unsigned), VARCHAR
 * and BLOB duckdb_string_t; validity a bit per row, NULL when all are valid.
 */
#include "sl_duck.h"
#include "sl_duck_int.h"

#include "../core/sl_alloc.h"

#include <stdio.h>
#include <string.h>

typedef enum {
    SL_DC_BOOL, SL_DC_I8, SL_DC_I16, SL_DC_I32, SL_DC_I64, SL_DC_U8, SL_DC_U16, SL_DC_U32, SL_DC_U64,
    SL_DC_I128, SL_DC_U128, SL_DC_F32, SL_DC_F64, SL_DC_DEC16, SL_DC_DEC32, SL_DC_DEC64, SL_DC_DEC128,
    SL_DC_STR, SL_DC_DATE, SL_DC_TIME, SL_DC_TS, SL_DC_TS_S, SL_DC_TS_MS, SL_DC_UUID
} sl_dc_kind;

struct sl_duck_reader {
    duckdb_prepared_statement stmt;
    duckdb_pending_result pending;
    duckdb_result res;
    bool have_res;
    sl_schema *schema;
    sl_dc_kind *kinds;
    duckdb_data_chunk chunk;   /* being read, from row `at` */
    idx_t at, size;
    bool done;
    int64_t rows;              /* rows returned so far, for messages */
};

static const char *sl_duck_type_name(duckdb_type t)
{
    switch (t) {
    case DUCKDB_TYPE_INTERVAL: return "INTERVAL";
    case DUCKDB_TYPE_TIMESTAMP_NS: return "TIMESTAMP_NS";
    case DUCKDB_TYPE_ENUM: return "ENUM";
    case DUCKDB_TYPE_LIST: return "LIST";
    case DUCKDB_TYPE_STRUCT: return "STRUCT";
    case DUCKDB_TYPE_MAP: return "MAP";
    case DUCKDB_TYPE_ARRAY: return "ARRAY";
    case DUCKDB_TYPE_UNION: return "UNION";
    case DUCKDB_TYPE_BIT: return "BIT";
    case DUCKDB_TYPE_TIME_TZ: return "TIME WITH TIME ZONE";
    case DUCKDB_TYPE_BIGNUM: return "BIGNUM";
    case DUCKDB_TYPE_SQLNULL: return "NULL (a column of only NULL literals)";
    case DUCKDB_TYPE_TIME_NS: return "TIME_NS";
    default: return "an unknown type";
    }
}

static const char *sl_duck_type_remedy(duckdb_type t)
{
    switch (t) {
    case DUCKDB_TYPE_TIMESTAMP_NS: return "cast it to timestamp (microseconds)";
    case DUCKDB_TYPE_TIME_NS: return "cast it to time (microseconds)";
    case DUCKDB_TYPE_SQLNULL: return "cast the NULL to the column's type (e.g. NULL::varchar)";
    case DUCKDB_TYPE_BIGNUM: return "cast it to decimal(38,0) or varchar";
    default: return "cast it to varchar (or, for nested values, to_json(...))";
    }
}

/* The sluice type of result column c, or -1 with err. */
static int sl_duck_map_type(duckdb_result *res, idx_t c, sl_type *ty, sl_dc_kind *kind, sl_err *err)
{
    duckdb_logical_type lt = sl_dk.duckdb_column_logical_type(res, c);
    duckdb_type id = sl_dk.duckdb_get_type_id(lt);
    memset(ty, 0, sizeof *ty);
    int rc = 0;
    switch (id) {
    case DUCKDB_TYPE_BOOLEAN: ty->id = SL_T_BOOL; *kind = SL_DC_BOOL; break;
    case DUCKDB_TYPE_TINYINT: ty->id = SL_T_INT16; *kind = SL_DC_I8; break;
    case DUCKDB_TYPE_UTINYINT: ty->id = SL_T_INT16; *kind = SL_DC_U8; break;
    case DUCKDB_TYPE_SMALLINT: ty->id = SL_T_INT16; *kind = SL_DC_I16; break;
    case DUCKDB_TYPE_USMALLINT: ty->id = SL_T_INT32; *kind = SL_DC_U16; break;
    case DUCKDB_TYPE_INTEGER: ty->id = SL_T_INT32; *kind = SL_DC_I32; break;
    case DUCKDB_TYPE_UINTEGER: ty->id = SL_T_INT64; *kind = SL_DC_U32; break;
    case DUCKDB_TYPE_BIGINT: ty->id = SL_T_INT64; *kind = SL_DC_I64; break;
    case DUCKDB_TYPE_UBIGINT: *ty = (sl_type){ .id = SL_T_DECIMAL, .precision = 20 }; *kind = SL_DC_U64; break;
    case DUCKDB_TYPE_HUGEINT: *ty = (sl_type){ .id = SL_T_DECIMAL, .precision = 38 }; *kind = SL_DC_I128; break;
    case DUCKDB_TYPE_UHUGEINT: *ty = (sl_type){ .id = SL_T_DECIMAL, .precision = 38 }; *kind = SL_DC_U128; break;
    case DUCKDB_TYPE_FLOAT: ty->id = SL_T_FLOAT32; *kind = SL_DC_F32; break;
    case DUCKDB_TYPE_DOUBLE: ty->id = SL_T_FLOAT64; *kind = SL_DC_F64; break;
    case DUCKDB_TYPE_DECIMAL: {
        *ty = (sl_type){ .id = SL_T_DECIMAL, .precision = sl_dk.duckdb_decimal_width(lt), .scale = sl_dk.duckdb_decimal_scale(lt) };
        duckdb_type in = sl_dk.duckdb_decimal_internal_type(lt);
        *kind = in == DUCKDB_TYPE_SMALLINT ? SL_DC_DEC16 : in == DUCKDB_TYPE_INTEGER ? SL_DC_DEC32
              : in == DUCKDB_TYPE_BIGINT ? SL_DC_DEC64 : SL_DC_DEC128;
        break;
    }
    case DUCKDB_TYPE_VARCHAR: {
        char *alias = sl_dk.duckdb_logical_type_get_alias(lt);
        ty->id = alias && !strcmp(alias, "JSON") ? SL_T_JSON : SL_T_STRING;
        if (alias) sl_dk.duckdb_free(alias);
        *kind = SL_DC_STR;
        break;
    }
    case DUCKDB_TYPE_BLOB: ty->id = SL_T_BYTES; *kind = SL_DC_STR; break;
    case DUCKDB_TYPE_DATE: ty->id = SL_T_DATE; *kind = SL_DC_DATE; break;
    case DUCKDB_TYPE_TIME: ty->id = SL_T_TIME; *kind = SL_DC_TIME; break;
    case DUCKDB_TYPE_TIMESTAMP: ty->id = SL_T_TIMESTAMP; *kind = SL_DC_TS; break;
    case DUCKDB_TYPE_TIMESTAMP_S: ty->id = SL_T_TIMESTAMP; *kind = SL_DC_TS_S; break;
    case DUCKDB_TYPE_TIMESTAMP_MS: ty->id = SL_T_TIMESTAMP; *kind = SL_DC_TS_MS; break;
    case DUCKDB_TYPE_TIMESTAMP_TZ: ty->id = SL_T_TIMESTAMP; ty->utc = true; *kind = SL_DC_TS; break;
    case DUCKDB_TYPE_UUID: ty->id = SL_T_UUID; *kind = SL_DC_UUID; break;
    default:
        rc = sl_err_set(err, SL_ETYPE, "column %s: DuckDB type %s has no sluice type; %s",
                        sl_dk.duckdb_column_name(res, c), sl_duck_type_name(id), sl_duck_type_remedy(id));
    }
    sl_dk.duckdb_destroy_logical_type(&lt);
    return rc;
}

static int sl_duck_read_fail(sl_duck_reader *r, const char *what, const char *msg, sl_err *err)
{
    sl_err_set(err, SL_ESOURCE, "DuckDB: %s%s", what, msg ? msg : "unknown error");
    sl_duck_read_close(r);
    return -1;
}

sl_duck_reader *sl_duck_read(sl_duck *d, const char *sql, sl_err *err)
{
    sl_duck_reader *r = sl_calloc(1, sizeof *r);
    if (sl_dk.duckdb_prepare(d->con, sql, &r->stmt) != DuckDBSuccess) {
        sl_duck_read_fail(r, "", sl_dk.duckdb_prepare_error(r->stmt), err);
        return NULL;
    }
    if (sl_dk.duckdb_pending_prepared_streaming(r->stmt, &r->pending) != DuckDBSuccess) {
        sl_duck_read_fail(r, "", sl_dk.duckdb_pending_error(r->pending), err);
        return NULL;
    }
    r->have_res = true;
    if (sl_dk.duckdb_execute_pending(r->pending, &r->res) != DuckDBSuccess) {
        sl_duck_read_fail(r, "", sl_dk.duckdb_result_error(&r->res), err);
        return NULL;
    }
    idx_t n = sl_dk.duckdb_column_count(&r->res);
    r->schema = sl_schema_new((int)n);
    r->kinds = sl_calloc(n ? n : 1, sizeof *r->kinds);
    for (idx_t c = 0; c < n; c++) {
        sl_type ty;
        if (sl_duck_map_type(&r->res, c, &ty, &r->kinds[c], err) < 0) {
            sl_duck_read_close(r);
            return NULL;
        }
        sl_schema_set(r->schema, (int)c, sl_dk.duckdb_column_name(&r->res, c), ty, true);
    }
    return r;
}

const sl_schema *sl_duck_read_schema(const sl_duck_reader *r) { return r->schema; }

static inline bool sl_dv_valid(const uint64_t *valid, idx_t row)
{
    return !valid || (valid[row >> 6] >> (row & 63)) & 1;
}

/* 10^38 - 1: the largest unscaled value of decimal(38, s). */
static const sl_i128 sl_dec38_max = (((sl_i128)0x4B3B4CA85A86C47AULL) << 64 | 0x098A223FFFFFFFFFULL);

/* Rows [from, from + n) of column c of the chunk into rows [at, at + n) of v. */
static int sl_duck_convert(sl_duck_reader *r, int c, duckdb_vector dv, idx_t from, size_t at, idx_t n, sl_vector *v,
                           sl_err *err)
{
    const uint64_t *valid = sl_dk.duckdb_vector_get_validity(dv);
    const uint8_t *data = sl_dk.duckdb_vector_get_data(dv);
    sl_dc_kind k = r->kinds[c];
    for (idx_t i = 0; i < n; i++) {
        idx_t src = from + i;
        size_t row = at + i;
        if (!sl_dv_valid(valid, src)) {
            sl_vec_set_null(v, row);
            continue;
        }
        switch (k) {
        case SL_DC_BOOL: *(uint8_t *)sl_vec_slot(v, row) = ((const bool *)data)[src] ? 1 : 0; break;
        case SL_DC_I8: *(int16_t *)sl_vec_slot(v, row) = ((const int8_t *)data)[src]; break;
        case SL_DC_U8: *(int16_t *)sl_vec_slot(v, row) = ((const uint8_t *)data)[src]; break;
        case SL_DC_I16: *(int16_t *)sl_vec_slot(v, row) = ((const int16_t *)data)[src]; break;
        case SL_DC_U16: *(int32_t *)sl_vec_slot(v, row) = ((const uint16_t *)data)[src]; break;
        case SL_DC_I32: *(int32_t *)sl_vec_slot(v, row) = ((const int32_t *)data)[src]; break;
        case SL_DC_U32: *(int64_t *)sl_vec_slot(v, row) = ((const uint32_t *)data)[src]; break;
        case SL_DC_I64: *(int64_t *)sl_vec_slot(v, row) = ((const int64_t *)data)[src]; break;
        case SL_DC_U64: sl_vec_set_decimal(v, row, (sl_i128)((const uint64_t *)data)[src]); break;
        case SL_DC_I128:
        case SL_DC_U128:
        case SL_DC_DEC128: {
            const duckdb_hugeint *h = &((const duckdb_hugeint *)data)[src];
            sl_i128 x = (sl_i128)((unsigned __int128)(uint64_t)h->upper << 64 | h->lower);
            bool over = k == SL_DC_U128 ? (unsigned __int128)x > (unsigned __int128)sl_dec38_max
                                        : (x > sl_dec38_max || x < -sl_dec38_max);
            if (over)
                return sl_err_set(err, SL_EDATA, "column %s, row %lld: the value has more than 38 digits, beyond "
                                  "decimal(38,0); cast it to varchar or double",
                                  r->schema->fields[c].name, (long long)(r->rows + (int64_t)i + 1));
            sl_vec_set_decimal(v, row, x);
            break;
        }
        case SL_DC_F32: *(float *)sl_vec_slot(v, row) = ((const float *)data)[src]; break;
        case SL_DC_F64: *(double *)sl_vec_slot(v, row) = ((const double *)data)[src]; break;
        case SL_DC_DEC16: sl_vec_set_decimal(v, row, ((const int16_t *)data)[src]); break;
        case SL_DC_DEC32: sl_vec_set_decimal(v, row, ((const int32_t *)data)[src]); break;
        case SL_DC_DEC64: sl_vec_set_decimal(v, row, ((const int64_t *)data)[src]); break;
        case SL_DC_STR: {
            duckdb_string_t *s = &((duckdb_string_t *)data)[src];
            sl_vec_set_bytes(v, row, sl_dk.duckdb_string_t_data(s), sl_dk.duckdb_string_t_length(*s));
            break;
        }
        case SL_DC_DATE: *(int32_t *)sl_vec_slot(v, row) = ((const int32_t *)data)[src]; break;
        case SL_DC_TIME:
        case SL_DC_TS: *(int64_t *)sl_vec_slot(v, row) = ((const int64_t *)data)[src]; break;
        case SL_DC_TS_S: *(int64_t *)sl_vec_slot(v, row) = ((const int64_t *)data)[src] * 1000000; break;
        case SL_DC_TS_MS: *(int64_t *)sl_vec_slot(v, row) = ((const int64_t *)data)[src] * 1000; break;
        case SL_DC_UUID: {
            const duckdb_hugeint *h = &((const duckdb_hugeint *)data)[src];
            uint64_t hi = (uint64_t)h->upper ^ ((uint64_t)1 << 63), lo = h->lower;
            uint8_t *out = sl_vec_slot(v, row);
            for (int b = 0; b < 8; b++) {
                out[b] = (uint8_t)(hi >> (56 - 8 * b));
                out[8 + b] = (uint8_t)(lo >> (56 - 8 * b));
            }
            break;
        }
        }
    }
    return 0;
}

long sl_duck_read_next(sl_duck_reader *r, sl_batch *b, sl_err *err)
{
    size_t start = b->nrows;
    while (b->nrows < b->capacity) {
        if (!r->chunk || r->at >= r->size) {
            if (r->chunk) sl_dk.duckdb_destroy_data_chunk(&r->chunk);
            r->chunk = NULL;
            if (r->done) break;
            r->chunk = sl_dk.duckdb_fetch_chunk(r->res);
            if (!r->chunk) {
                const char *e = sl_dk.duckdb_result_error(&r->res);
                if (e) return sl_err_set(err, SL_ESOURCE, "DuckDB: %s", e);
                r->done = true;
                break;
            }
            r->at = 0;
            r->size = sl_dk.duckdb_data_chunk_get_size(r->chunk);
            continue;
        }
        idx_t n = r->size - r->at;
        if (n > b->capacity - b->nrows) n = b->capacity - b->nrows;
        for (int c = 0; c < r->schema->ncols; c++)
            if (sl_duck_convert(r, c, sl_dk.duckdb_data_chunk_get_vector(r->chunk, (idx_t)c), r->at, b->nrows, n,
                                &b->cols[c], err) < 0)
                return -1;
        b->nrows += n;
        r->at += n;
        r->rows += (int64_t)n;
    }
    return (long)(b->nrows - start);
}

void sl_duck_read_close(sl_duck_reader *r)
{
    if (!r) return;
    if (r->chunk) sl_dk.duckdb_destroy_data_chunk(&r->chunk);
    if (r->have_res) sl_dk.duckdb_destroy_result(&r->res);
    if (r->pending) sl_dk.duckdb_destroy_pending(&r->pending);
    if (r->stmt) sl_dk.duckdb_destroy_prepare(&r->stmt);
    if (r->schema) sl_schema_free(r->schema);
    sl_free(r->kinds);
    sl_free(r);
}
