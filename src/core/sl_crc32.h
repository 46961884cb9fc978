/*
 * sl_crc32.h - CRC-32 (ISO-HDLC: the polynomial of zlib, gzip, PNG and the
 * Parquet page header's crc field), the same value as zlib's crc32_z.
 *
 *   uint32_t c = sl_crc32(0, p, n);  c = sl_crc32(c, q, m);  (continues)
 *
 * On x86-64 CPUs with PCLMULQDQ the bulk is folded 64 bytes at a time with
 * carry-less multiplication (about a tenth of the instructions of zlib
 * 1.2's table-driven loop, which was ~2% of an extraction's CPU: every
 * output byte is checksummed for the manifest); elsewhere, and for the
 * last few bytes, zlib's crc32_z.
 */
#ifndef SL_CRC32_H
#define SL_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t sl_crc32(uint32_t crc, const void *p, size_t n);

#endif
