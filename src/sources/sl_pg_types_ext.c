/*
 * sl_pg_types_ext.c - reading PostgreSQL types without a sluice column type
 * of their own: each is cast in the select list into one sluice has, so the
 * binary COPY decoder only ever sees the types it knows (sl_pg_copy.c).
 *
 * Interface: sl_pg_fallback_for(conn, oid, typmod, what, &fb, err).
 *
 * Choices (README "Type mapping"):
 *   money            numeric(19,2) -> decimal(19,2): exact, and not in the
 *                    locale's text form ("$1,234.50"), which readers cannot parse.
 *   arrays           array_to_json(col) -> json: the elements in their JSON
 *                    forms, NULL elements as null, any number of dimensions
 *                    (Parquet LIST columns are not written yet; DuckDB reads
 *                    the JSON back as a list with col::INTEGER[] and the like).
 *   composite types  to_json(col) -> json: an object keyed by field name.
 *   everything else  -> string, PostgreSQL's own text form (the type's output
 *                    function, through format('%s', col): col::text would
 *                    add the netmask to an inet):
 *                    interval (IntervalStyle of the session, postgres by
 *                    default), inet, cidr, macaddr, tsvector, xml, bit,
 *                    varbit, ranges, timetz, geometric types, ltree, hstore
 *                    and other extension types.
 * Apart from money, these are "unsupported" types: `unsupported: error`
 * refuses them, every one of a table in one message.
 */
#include "sl_pg_types_ext.h"

#include "sl_pg_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SL_OID_MONEY 790

int sl_pg_fallback_for(PGconn *conn, unsigned oid, int typmod, const char *what, sl_pg_fallback *fb, sl_err *err)
{
    memset(fb, 0, sizeof *fb);
    char o[16], m[16];
    snprintf(o, sizeof o, "%u", oid);
    snprintf(m, sizeof m, "%d", typmod);
    const char *params[] = { o, m };
    /* Domains: the base type decides (a domain over an array is an array). */
    PGresult *res = sl_pg_exec_params(conn,
        "WITH RECURSIVE d(oid, base, depth) AS (SELECT $1::oid, $1::oid, 0 UNION ALL "
        "  SELECT d.oid, t.typbasetype, d.depth + 1 FROM d JOIN pg_type t ON t.oid = d.base "
        "  WHERE t.typtype = 'd' AND d.depth < 16) "
        "SELECT format_type($1::oid, $2::int), t.typcategory, t.typtype, t.oid FROM d JOIN pg_type t ON t.oid = d.base "
        "ORDER BY d.depth DESC LIMIT 1", 2, params, what, err);
    if (!res) return -1;
    char category = 'X', typtype = 'b';
    unsigned base = oid;
    if (PQntuples(res) == 1) {
        snprintf(fb->type_name, sizeof fb->type_name, "%s", PQgetvalue(res, 0, 0));
        category = PQgetvalue(res, 0, 1)[0];
        typtype = PQgetvalue(res, 0, 2)[0];
        base = (unsigned)strtoul(PQgetvalue(res, 0, 3), NULL, 10);
    } else {
        snprintf(fb->type_name, sizeof fb->type_name, "oid %u", oid);
    }
    PQclear(res);
    fb->unsupported = true;
    if (base == SL_OID_MONEY) {
        snprintf(fb->cast, sizeof fb->cast, "%%s::numeric(19,2)");
        fb->as = "decimal(19,2)";
        fb->unsupported = false;
    } else if (category == 'A') {
        snprintf(fb->cast, sizeof fb->cast, "array_to_json(%%s)");
        fb->as = "json";
    } else if (typtype == 'c') {
        snprintf(fb->cast, sizeof fb->cast, "to_json(%%s)");
        fb->as = "json";
    } else {
        /* The output function's text (format's %s), not a cast to text,
         * which for inet and cidr adds the netmask; NULL stays NULL. */
        snprintf(fb->cast, sizeof fb->cast, "CASE WHEN %%1$s IS NULL THEN NULL ELSE format('%%%%s', %%1$s) END");
        fb->as = "string";
    }
    return 0;
}
