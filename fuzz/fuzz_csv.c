/*
 * fuzz_csv.c - libFuzzer target for the CSV record parser and the text value
 * parsers. The first byte picks the delimiter and how the input is cut into
 * pieces; the rest is streamed through sl_csv_parse() the way the csv
 * source does (incomplete records are retried with more bytes). Checks:
 * no crash, every record consumes bytes, fields lie inside the record text,
 * and the values parsers accept or reject every field without crashing.
 * Seeds: fuzz/seeds/fuzz_csv/.
 */
#include "core/sl_alloc.h"
#include "core/sl_log.h"
#include "sources/sl_csv_parse.h"
#include "core/sl_text_value.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void values(const char *p, size_t n)
{
    int64_t i;
    double d;
    sl_i128 dec;
    const char *why;
    int32_t day;
    bool b, zone;
    uint8_t u[16];
    sl_text_int64(p, n, &i);
    sl_text_float64(p, n, &d);
    sl_text_decimal(p, n, 38, 10, &dec, &why);
    sl_text_decimal(p, n, 5, 0, &dec, &why);
    sl_text_date(p, n, &day);
    sl_text_time(p, n, &i);
    sl_text_timestamp(p, n, &i, &zone);
    sl_text_bool(p, n, &b);
    sl_text_uuid(p, n, u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static const char delims[] = { ',', ';', '\t', '|' };
    char delim = delims[data[0] & 3];
    size_t chunk = (size_t)(data[0] >> 2) + 1;   /* bytes added per refill */
    data++;
    size--;
    sl_csv_rec rec = {0};
    sl_err err = SL_ERR_INIT;
    size_t pos = 0, avail = size < chunk ? size : chunk;
    for (;;) {
        bool eof = avail == size;
        size_t used = 0;
        int rc = sl_csv_parse(delim, data + pos, avail - pos, eof, &rec, &used, &err);
        if (rc == 0) {
            if (eof) break;
            avail = avail + chunk > size ? size : avail + chunk;
            continue;
        }
        if (used == 0 || used > avail - pos) abort();
        if (rc == 1) {
            for (int f = 0; f < rec.nfields; f++) {
                if (rec.fields[f].off + rec.fields[f].len > rec.text.len) abort();
                values((const char *)rec.text.data + rec.fields[f].off, rec.fields[f].len);
            }
        }
        sl_err_clear(&err);
        pos += used;
    }
    sl_csv_rec_free(&rec);
    return 0;
}
