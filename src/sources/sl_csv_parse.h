/*
 * sl_csv_parse.h - an RFC 4180 record parser: a pure function over a byte
 * buffer, so it can be fuzzed and streamed.
 *
 * sl_csv_parse() reads one record at the start of p[0..len):
 *   - fields are separated by `delim`; a record ends at LF, CRLF or a CR
 *     not followed by LF (old Mac files; files may mix the three);
 *   - a field that starts with a double quote is quoted: it may contain the
 *     delimiter, CR and LF (kept as they are), and "" stands for one quote; after the closing
 *     quote only a delimiter or the end of the record may follow;
 *   - a quote inside an unquoted field is kept as data (lenient, as most
 *     writers' output needs);
 *   - a line that is completely empty is skipped (reported as a record of
 *     zero fields);
 *   - the last record of the input may lack its line end (eof = true).
 * Field bytes (unescaped) are copied into rec->text; rec->fields[i] gives
 * offset, length and whether the field was quoted (an empty unquoted field
 * is how CSV writes NULL). rec->lines is the number of line ends (LF, CRLF
 * or lone CR, inside quotes too) consumed,
 * so the caller can count lines.
 *
 * Returns 1 (a record; *used = its bytes including the line end), 0 (the
 * record is not complete: give more bytes, or at eof there is nothing
 * left), -1 (malformed: unterminated quote at eof, or text after a closing
 * quote; err says which, and *used covers the bad record through its line
 * end so the caller can reject it and go on).
 *
 * rec's memory is reused from record to record; sl_csv_rec_free() at the end.
 */
#ifndef SL_CSV_PARSE_H
#define SL_CSV_PARSE_H

#include "../core/sl_buf.h"
#include "../core/sl_error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_csv_field {
    size_t off, len;
    bool quoted;
} sl_csv_field;

typedef struct sl_csv_rec {
    sl_buf text;
    sl_csv_field *fields;
    int nfields, cap;
    int64_t lines;
} sl_csv_rec;

int sl_csv_parse(char delim, const uint8_t *p, size_t len, bool eof, sl_csv_rec *rec, size_t *used,
                 sl_err *err);
void sl_csv_rec_free(sl_csv_rec *rec);

#endif
