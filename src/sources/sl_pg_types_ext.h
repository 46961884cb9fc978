/*
 * sl_pg_types_ext.h - PostgreSQL types sluice has no column type of its own
 * for, read through a cast in the select list (see sl_pg_types_ext.c).
 */
#ifndef SL_PG_TYPES_EXT_H
#define SL_PG_TYPES_EXT_H

#include "../core/sl_error.h"

#include <libpq-fe.h>
#include <stdbool.h>

typedef struct sl_pg_fallback {
    char cast[96];           /* printf format of the quoted column (%s or %1$s): "%s::numeric(19,2)" */
    char type_name[128];     /* format_type(), for messages */
    const char *as;          /* what it becomes: "string", "json", "decimal(19,2)" */
    bool unsupported;        /* a text form (refused under unsupported: error), not a mapping */
} sl_pg_fallback;

/* How column `oid`/`typmod` is read when sl_pg_map_type has no mapping:
 * money -> numeric(19,2); arrays -> array_to_json (a JSON array, any
 * number of dimensions, elements in their JSON forms); composite types ->
 * to_json (a JSON object); everything else (interval, inet, cidr,
 * macaddr, tsvector, bit, varbit, ranges, timetz, geometric, ltree,
 * hstore, other extension types) -> its text form. -1 when the catalog
 * cannot be read. */
int sl_pg_fallback_for(PGconn *conn, unsigned oid, int typmod, const char *what, sl_pg_fallback *fb, sl_err *err);

#endif
