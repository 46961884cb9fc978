/*
 * sl_duck_int.h - the DuckDB C API functions sluice calls, resolved by name
 * from libduckdb.so (sl_duck.c loads it), and the handle behind sl_duck.
 * For sl_duck.c and sl_duck_read.c only.
 */
#ifndef SL_DUCK_INT_H
#define SL_DUCK_INT_H

#include <duckdb.h>
#include <stdbool.h>

#define SL_DUCK_FUNCS(X) \
    X(duckdb_library_version) X(duckdb_create_config) X(duckdb_set_config) X(duckdb_destroy_config) \
    X(duckdb_open_ext) X(duckdb_close) X(duckdb_connect) X(duckdb_disconnect) X(duckdb_query) \
    X(duckdb_destroy_result) X(duckdb_result_error) X(duckdb_column_count) X(duckdb_column_type) \
    X(duckdb_fetch_chunk) X(duckdb_data_chunk_get_size) X(duckdb_data_chunk_get_vector) \
    X(duckdb_destroy_data_chunk) X(duckdb_vector_get_data) X(duckdb_vector_get_validity) \
    X(duckdb_validity_row_is_valid) X(duckdb_string_t_length) X(duckdb_string_t_data) X(duckdb_free) \
    X(duckdb_prepare) X(duckdb_prepare_error) X(duckdb_destroy_prepare) X(duckdb_pending_prepared_streaming) \
    X(duckdb_pending_error) X(duckdb_execute_pending) X(duckdb_destroy_pending) X(duckdb_column_name) \
    X(duckdb_column_logical_type) X(duckdb_get_type_id) X(duckdb_decimal_width) X(duckdb_decimal_scale) \
    X(duckdb_decimal_internal_type) X(duckdb_logical_type_get_alias) X(duckdb_destroy_logical_type)

typedef struct sl_duck_api {
#define SL_DUCK_FIELD(f) __typeof__(f) *f;
    SL_DUCK_FUNCS(SL_DUCK_FIELD)
#undef SL_DUCK_FIELD
} sl_duck_api;

/* Filled by sl_duck_load(). */
extern sl_duck_api sl_dk;

struct sl_duck {
    duckdb_database db;
    duckdb_connection con;
    bool borrowed;   /* a second connection (sl_duck_connect): the database is not its to close */
    char *path;      /* absolute, for messages; ":memory:" in memory */
};

#endif
