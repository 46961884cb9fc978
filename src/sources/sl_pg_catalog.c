/*
 * sl_pg_catalog.c - the relations of a postgres source, for the job's table
 * patterns (job/sl_job.h: sl_job_expand, sl_job_list_fn).
 *
 * Interface: sl_pg_list_relations(src, arena, &rels, &n, err).
 *
 * One query on a session of its own (no snapshot: the tables' own prepare
 * takes that): tables, partitioned tables, views and materialized views the
 * user can see, system schemas (pg_catalog, information_schema, pg_toast*,
 * pg_temp*) left out, each with its quoted name (what `table:` gets, so
 * names with capitals or dots survive) and, for a partition, its
 * partitioned root (pg_partition_root, PostgreSQL 12+; the direct parent
 * before), so a pattern can skip partitions whose parent it copies.
 * Relations that belong to an extension (pg_depend deptype 'e': e.g.
 * pg_stat_statements' views, PostGIS' spatial_ref_sys) are the extension's,
 * not the user's data, and are never selected by a pattern; an explicit
 * `table:` still reads them.
 */
#include "sl_pg_catalog.h"

#include "sl_pg_conn.h"

#include <stdio.h>
#include <string.h>

int sl_pg_list_relations(const sl_job_source *src, sl_arena *arena, sl_job_relation **out, int *n, sl_err *err)
{
    char what[300];
    snprintf(what, sizeof what, "source %s: listing its relations", src->name);
    PGconn *conn = sl_pg_connect(src, what, err);
    if (!conn) return -1;
    const char *root = PQserverVersion(conn) >= 120000 ? "pg_partition_root(c.oid)"
                                                       : "(SELECT i.inhparent FROM pg_inherits i WHERE i.inhrelid = c.oid)";
    char sql[1600];
    snprintf(sql, sizeof sql,
             "SELECT n.nspname, c.relname, format('%%I.%%I', n.nspname, c.relname), c.relkind::text, "
             "CASE WHEN c.relispartition THEN (SELECT rn.nspname || '.' || rc.relname FROM pg_class rc "
             "JOIN pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = %s) END "
             "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
             "WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
             "AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp\\_%%' "
             "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
             "AND d.objid = c.oid AND d.deptype = 'e') "
             "ORDER BY 1, 2", root);
    PGresult *res = sl_pg_exec_tuples(conn, sql, what, err);
    if (!res) {
        PQfinish(conn);
        return -1;
    }
    int rows = PQntuples(res);
    sl_job_relation *rels = sl_arena_alloc(arena, sizeof *rels * (size_t)(rows ? rows : 1));
    for (int r = 0; r < rows; r++) {
        rels[r].schema = sl_arena_strdup(arena, PQgetvalue(res, r, 0));
        rels[r].name = sl_arena_strdup(arena, PQgetvalue(res, r, 1));
        rels[r].ident = sl_arena_strdup(arena, PQgetvalue(res, r, 2));
        rels[r].kind = PQgetvalue(res, r, 3)[0];
        rels[r].root = PQgetisnull(res, r, 4) ? NULL : sl_arena_strdup(arena, PQgetvalue(res, r, 4));
    }
    PQclear(res);
    PQfinish(conn);
    *out = rels;
    *n = rows;
    return 0;
}
