/*
 * sl_pq_format.h - the constants of the Parquet format (parquet.thrift):
 * physical types, repetition, converted types, encodings, codecs, page types,
 * and the thrift field ids of LogicalType's union members. Shared by the
 * writer and the reader; values are those on disk.
 */
#ifndef SL_PQ_FORMAT_H
#define SL_PQ_FORMAT_H

enum sl_pq_physical {
    SL_PQ_BOOLEAN = 0,
    SL_PQ_INT32 = 1,
    SL_PQ_INT64 = 2,
    SL_PQ_INT96 = 3,
    SL_PQ_FLOAT = 4,
    SL_PQ_DOUBLE = 5,
    SL_PQ_BYTE_ARRAY = 6,
    SL_PQ_FIXED_LEN_BYTE_ARRAY = 7,
};

enum sl_pq_repetition {
    SL_PQ_REQUIRED = 0,
    SL_PQ_OPTIONAL = 1,
    SL_PQ_REPEATED = 2,
};

enum sl_pq_converted {
    SL_PQ_CT_UTF8 = 0,
    SL_PQ_CT_MAP = 1,
    SL_PQ_CT_MAP_KEY_VALUE = 2,
    SL_PQ_CT_LIST = 3,
    SL_PQ_CT_ENUM = 4,
    SL_PQ_CT_DECIMAL = 5,
    SL_PQ_CT_DATE = 6,
    SL_PQ_CT_TIME_MILLIS = 7,
    SL_PQ_CT_TIME_MICROS = 8,
    SL_PQ_CT_TIMESTAMP_MILLIS = 9,
    SL_PQ_CT_TIMESTAMP_MICROS = 10,
    SL_PQ_CT_UINT_8 = 11,
    SL_PQ_CT_UINT_16 = 12,
    SL_PQ_CT_UINT_32 = 13,
    SL_PQ_CT_UINT_64 = 14,
    SL_PQ_CT_INT_8 = 15,
    SL_PQ_CT_INT_16 = 16,
    SL_PQ_CT_INT_32 = 17,
    SL_PQ_CT_INT_64 = 18,
    SL_PQ_CT_JSON = 19,
    SL_PQ_CT_BSON = 20,
    SL_PQ_CT_INTERVAL = 21,
};

/* Field ids of the members of the LogicalType union. */
enum sl_pq_logical {
    SL_PQ_LT_STRING = 1,
    SL_PQ_LT_MAP = 2,
    SL_PQ_LT_LIST = 3,
    SL_PQ_LT_ENUM = 4,
    SL_PQ_LT_DECIMAL = 5,     /* DecimalType { 1: scale, 2: precision } */
    SL_PQ_LT_DATE = 6,
    SL_PQ_LT_TIME = 7,        /* TimeType { 1: isAdjustedToUTC, 2: unit } */
    SL_PQ_LT_TIMESTAMP = 8,   /* TimestampType { 1: isAdjustedToUTC, 2: unit } */
    SL_PQ_LT_INTEGER = 10,    /* IntType { 1: bitWidth (i8), 2: isSigned } */
    SL_PQ_LT_UNKNOWN = 11,    /* NullType */
    SL_PQ_LT_JSON = 12,
    SL_PQ_LT_BSON = 13,
    SL_PQ_LT_UUID = 14,
    SL_PQ_LT_FLOAT16 = 15,
};

/* Members of the TimeUnit union. */
enum sl_pq_time_unit {
    SL_PQ_UNIT_MILLIS = 1,
    SL_PQ_UNIT_MICROS = 2,
    SL_PQ_UNIT_NANOS = 3,
};

enum sl_pq_encoding {
    SL_PQ_ENC_PLAIN = 0,
    SL_PQ_ENC_PLAIN_DICTIONARY = 2,
    SL_PQ_ENC_RLE = 3,
    SL_PQ_ENC_BIT_PACKED = 4,
    SL_PQ_ENC_DELTA_BINARY_PACKED = 5,
    SL_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
    SL_PQ_ENC_DELTA_BYTE_ARRAY = 7,
    SL_PQ_ENC_RLE_DICTIONARY = 8,
    SL_PQ_ENC_BYTE_STREAM_SPLIT = 9,
};

enum sl_pq_codec {
    SL_PQ_UNCOMPRESSED = 0,
    SL_PQ_SNAPPY = 1,
    SL_PQ_GZIP = 2,
    SL_PQ_LZO = 3,
    SL_PQ_BROTLI = 4,
    SL_PQ_LZ4 = 5,            /* deprecated Hadoop framing: read only, never write */
    SL_PQ_ZSTD = 6,
    SL_PQ_LZ4_RAW = 7,
};

enum sl_pq_page_type {
    SL_PQ_DATA_PAGE = 0,
    SL_PQ_INDEX_PAGE = 1,
    SL_PQ_DICTIONARY_PAGE = 2,
    SL_PQ_DATA_PAGE_V2 = 3,
};

#define SL_PQ_MAGIC "PAR1"
#define SL_PQ_MAGIC_ENCRYPTED "PARE"

#endif
