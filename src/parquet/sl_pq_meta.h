/*
 * sl_pq_meta.h - the Parquet footer (FileMetaData) decoded into C structs,
 * and the page headers of column chunks.
 *
 *   sl_arena a; sl_arena_init(&a, 64 * 1024);
 *   sl_pq_file_meta m;
 *   if (sl_pq_meta_parse(footer, footer_len, file_size, &a, &m, err) < 0) ...
 *   ... m.schema, m.leaves, m.row_groups ...
 *   sl_arena_destroy(&a);    // frees everything the metadata holds
 *
 * Everything (names, statistics bytes, key/value metadata) is copied into
 * the arena; nothing points into the footer buffer afterwards. Validation:
 * counts bounded by the bytes that could hold them, num_children consistent
 * with the schema list, one column chunk per leaf with the leaf's type,
 * offsets and sizes inside the file. Files whose footer or column metadata is
 * encrypted fail with "encrypted Parquet files are not supported".
 *
 * Leaves: the primitive columns in schema order. A leaf is `nested` when its
 * top-level field is a group or repeated (LIST, MAP, STRUCT); readers refuse
 * to read such columns but inspect can show them.
 */
#ifndef SL_PQ_META_H
#define SL_PQ_META_H

#include "core/sl_alloc.h"
#include "core/sl_error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_pq_stats {
    bool present;
    const uint8_t *min, *max;     /* min_value/max_value, else legacy min/max */
    uint32_t min_len, max_len;
    bool has_min, has_max;
    bool legacy;                  /* min/max came from the deprecated fields */
    bool min_exact, max_exact;    /* false when the writer said truncated */
    bool has_null_count, has_distinct;
    int64_t null_count, distinct_count;
} sl_pq_stats;

typedef struct sl_pq_schema_elem {
    const char *name;
    int type;                 /* physical type, -1 for a group */
    int32_t type_length;
    int repetition;           /* -1 when absent (root) */
    int32_t num_children;
    int converted;            /* -1 when absent */
    int32_t scale, precision; /* legacy decimal fields, -1 when absent */
    int32_t field_id;         /* -1 when absent */
    /* logicalType: the union member's id (enum sl_pq_logical), 0 when absent
     * or unknown to this reader. */
    int logical;
    int32_t lt_scale, lt_precision;   /* DECIMAL */
    bool lt_utc;                      /* TIME, TIMESTAMP */
    int lt_unit;                      /* TIME, TIMESTAMP: enum sl_pq_time_unit */
    int lt_bit_width;                 /* INTEGER */
    bool lt_signed;                   /* INTEGER */
} sl_pq_schema_elem;

typedef struct sl_pq_meta_kv {
    const char *key, *value;   /* value NULL when absent */
} sl_pq_meta_kv;

typedef struct sl_pq_column_meta {
    int type;
    int *encodings;
    int nencodings;
    const char **path;
    int npath;
    int codec;
    int64_t num_values;
    int64_t total_uncompressed_size, total_compressed_size;
    int64_t data_page_offset, index_page_offset, dictionary_page_offset;
    bool has_index_page_offset, has_dictionary_page_offset;
    sl_pq_meta_kv *kv;
    int nkv;
    sl_pq_stats stats;
} sl_pq_column_meta;

typedef struct sl_pq_column_chunk {
    const char *file_path;     /* NULL: this file */
    int64_t file_offset;
    bool has_meta_data;
    bool encrypted;            /* crypto metadata or encrypted_column_metadata */
    sl_pq_column_meta meta;
    int64_t offset_index_offset, column_index_offset;
    int32_t offset_index_length, column_index_length;
} sl_pq_column_chunk;

typedef struct sl_pq_row_group {
    sl_pq_column_chunk *columns;
    int ncolumns;
    int64_t total_byte_size, num_rows;
    int64_t file_offset, total_compressed_size;
    bool has_file_offset, has_total_compressed_size;
    int16_t ordinal;
    bool has_ordinal;
} sl_pq_row_group;

typedef struct sl_pq_leaf {
    int schema_idx;          /* index in sl_pq_file_meta.schema */
    int top_idx;             /* schema index of its top-level field */
    const char *path;        /* dotted path "a.b.c" */
    int max_def, max_rep;
    bool nested;             /* its top-level field is a group or repeated */
} sl_pq_leaf;

typedef struct sl_pq_file_meta {
    int32_t version;
    sl_pq_schema_elem *schema;   /* depth-first, schema[0] is the root */
    int nschema;
    int64_t num_rows;
    sl_pq_row_group *row_groups;
    int nrow_groups;
    sl_pq_meta_kv *kv;
    int nkv;
    const char *created_by;      /* NULL when absent */
    int *column_orders;          /* per leaf: union member id (1 TYPE_ORDER) */
    int ncolumn_orders;
    sl_pq_leaf *leaves;
    int nleaves;
} sl_pq_file_meta;

/* Parses and validates the FileMetaData thrift of a file of file_size bytes.
 * Metadata ends at footer_end (the file offset where the footer begins:
 * column data must lie before it). */
int sl_pq_meta_parse(const uint8_t *p, size_t n, uint64_t footer_start, sl_arena *a,
                     sl_pq_file_meta *out, sl_err *err);

/* ---- page headers ---- */

typedef struct sl_pq_page_header {
    int type;                        /* enum sl_pq_page_type */
    int32_t uncompressed_size, compressed_size;
    bool has_crc;
    uint32_t crc;
    int32_t num_values;              /* data or dictionary page */
    int encoding;
    int def_encoding, rep_encoding;  /* V1 */
    int32_t num_nulls, num_rows;     /* V2 */
    int32_t def_len, rep_len;        /* V2 */
    bool is_compressed;              /* V2, default true */
    bool has_data_header, has_dict_header, has_v2_header;
} sl_pq_page_header;

/* Parses a PageHeader at p (at most n bytes); *used is the header's size. */
int sl_pq_page_header_parse(const uint8_t *p, size_t n, sl_pq_page_header *h, size_t *used, sl_err *err);

/* Names for inspect: "INT32", "SNAPPY", "RLE_DICTIONARY", "OPTIONAL", "UTF8". */
const char *sl_pq_physical_name(int type);
const char *sl_pq_encoding_name(int enc);
const char *sl_pq_repetition_name(int rep);
const char *sl_pq_converted_name(int ct);
/* Logical type text of a schema element into buf: "STRING",
 * "DECIMAL(12,2)", "TIMESTAMP(MICROS,utc)", "INTEGER(16,signed)", or "". */
const char *sl_pq_logical_format(const sl_pq_schema_elem *e, char *buf, size_t size);

#endif
