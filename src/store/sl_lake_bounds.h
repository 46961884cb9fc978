/*
 * sl_lake_bounds.h - which files of a lake table can hold a key: the
 * pruning step of an incremental merge (store/sl_store_lake_incr.c).
 *
 * A live file's manifest entry carries the range of its key's first column:
 * the task's receipt ("receipt": {... "columns": [{"name": "id", ...,
 * "min": "1", "max": "99"} ...]}) for a file a task wrote, or "bounds":
 * {"column": "id", "min": "1", "max": "99"} for a file the merge rewrote
 * (the range of the file it came from: a superset, which is all pruning
 * needs). For an integer, date or timestamp key, a file can hold a key that
 * leaves only if one of those keys lies in its range; DuckDB answers that
 * with one range join of the leaving keys against the files' ranges. A file
 * without a range (other key types, files from before receipts) is always a
 * candidate.
 *
 *   sl_lake_bounds b;
 *   if (sl_lake_bounds_parse(entry_members, key, type, &b)) ...;
 *   sl_lake_bounds_candidates(d, "sl_gone", qkey, type, bounds, n, hit, &outside, err);
 *   sl_lake_bounds_json(&b, key, &buf);    the "bounds" member of a rewritten file
 */
#ifndef SL_LAKE_BOUNDS_H
#define SL_LAKE_BOUNDS_H

#include "../core/sl_buf.h"
#include "../core/sl_error.h"
#include "../core/sl_types.h"

#include <stdbool.h>
#include <stdint.h>

struct sl_duck;

typedef struct sl_lake_bounds {
    bool known;
    int64_t lo, hi;                 /* integers; days (date); microseconds (timestamp) */
    char lo_text[64], hi_text[64];  /* as the receipt wrote them */
} sl_lake_bounds;

/* Whether a key column of this type can be pruned by range. */
bool sl_lake_bounds_type_ok(sl_type t);

/* The range of column `key` from a manifest entry's members (the text after
 * "crc32": N, ); false (b->known false) when the entry has none. */
bool sl_lake_bounds_parse(const char *members, const char *key, sl_type t, sl_lake_bounds *b);

/* The range of files idx[0..n) (n >= 1) of bd together: known only when
 * each of theirs is (a file rewritten from several takes it over). */
sl_lake_bounds sl_lake_bounds_union(const sl_lake_bounds *bd, const int *idx, int n);

/* Appends "bounds": {"column": ..., "min": ..., "max": ...}. */
void sl_lake_bounds_json(const sl_lake_bounds *b, const char *key, sl_buf *out);

/* Sets hit[i] for each file i with a known range holding a key of table
 * `gone` (column qkey, an SQL identifier already quoted). With outside
 * non-NULL: the number of those keys in no file's range (a key new to the
 * table: an insert). */
int sl_lake_bounds_candidates(struct sl_duck *d, const char *gone, const char *qkey, sl_type t,
                              const sl_lake_bounds *b, int n, bool *hit, int64_t *outside, sl_err *err);

#endif
