/*
 * sl_pg_keys.h - a table's integer key columns streamed from PostgreSQL in
 * key order: `COPY (SELECT k1, k2.. FROM rel ORDER BY k1, k2..) TO STDOUT
 * (FORMAT binary)` decoded into int64 tuples, an sl_key_iter for the key
 * merge of `deletes: detect` (core/sl_keydiff.h). The source reads its keys
 * with it in the run's snapshot (sl_pg_incr.c); the PostgreSQL warehouse
 * reads its live keys with it in the publishing transaction.
 *
 * Why binary and ordered: the ORDER BY on the key is an index(-only) scan
 * of the primary key or the unique index merge requires, and binary integers
 * cost a few byte swaps per row where CSV text cost formatting and parsing.
 *
 *   if (sl_pg_keys_integer(conn, rel, key, nkey, what, &bad, err) == 1) ...
 *   sl_pg_keys k; sl_pg_keys_open(&k, conn, rel, where, key, nkey, what, err);
 *   sl_keydiff(nkey, ..., sl_pg_keys_iter(&k), ...);
 *   sl_pg_keys_close(&k, err);    (always; after an error it drains the COPY)
 *
 * A tuple with a NULL key column is skipped (k.nulls counts it): NULL equals
 * nothing, so such a row can be neither matched nor told deleted.
 */
#ifndef SL_PG_KEYS_H
#define SL_PG_KEYS_H

#include "../core/sl_buf.h"
#include "../core/sl_error.h"
#include "../core/sl_keydiff.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_pg_keys {
    PGconn *conn;
    const char *what;
    int ncols;
    sl_buf in;            /* COPY bytes read, not yet all decoded */
    size_t pos;           /* the first byte of `in` not decoded */
    bool header, ended, copying;
    int64_t rows, nulls;  /* tuples read; of them, with a NULL key column */
} sl_pg_keys;

/* 1 when every key column of `from` (a relation or subquery) is smallint,
 * integer or bigint; 0 when one is not (*bad: "col (type)", sl_free it);
 * -1 with err set. */
int sl_pg_keys_integer(PGconn *conn, const char *from, char *const *key, int nkey, const char *what, char **bad,
                       sl_err *err);
int sl_pg_keys_open(sl_pg_keys *k, PGconn *conn, const char *from, const char *where, char *const *key, int nkey,
                    const char *what, sl_err *err);
sl_key_iter sl_pg_keys_iter(sl_pg_keys *k);
int sl_pg_keys_close(sl_pg_keys *k, sl_err *err);

/* The decoder, pure (unit-tested): one item from p[0..len). Returns 1 (a
 * tuple: key set), 2 (a tuple with a NULL key column), 3 (the trailer), 0
 * (incomplete: more bytes needed), -1 (malformed: err says what). *used:
 * bytes taken. *header: the stream's header was seen (set on the way). */
int sl_pg_keys_decode(const uint8_t *p, size_t len, int ncols, bool *header, int64_t *key, size_t *used,
                      sl_err *err);

#endif
