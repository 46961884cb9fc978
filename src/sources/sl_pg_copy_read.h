/*
 * sl_pg_copy_read.h - the bytes of a COPY ... TO STDOUT stream, many rows at
 * a time, into one reused buffer.
 *
 * PQgetCopyData hands out each row (CopyData message) in its own malloc'd
 * copy, to be freed again: a malloc, a copy and a free per row, and one
 * decoder call per row. sl_pg_copy_read copies whole rows from libpq's input
 * buffer straight into the caller's buffer (PQgetlineAsync, which is
 * binary-safe: it returns byte counts), so the decoder then runs over
 * hundreds of rows per call. It reads the socket without waiting while the
 * server keeps up, and waits (poll) only when nothing at all is buffered.
 *
 *   PQexec(conn, "COPY (...) TO STDOUT (FORMAT binary)") -> PGRES_COPY_OUT
 *   loop: rc = sl_pg_copy_read(conn, &buf, 256 * 1024, err);
 *         rc 1: decode buf, keep an incomplete tuple at its front
 *         rc 0: the COPY ended (or failed): PQgetResult says which
 */
#ifndef SL_PG_COPY_READ_H
#define SL_PG_COPY_READ_H

#include "../core/sl_buf.h"
#include "../core/sl_error.h"

#include <libpq-fe.h>

/* Appends to buf whole CopyData messages (rows), as many as libpq holds or
 * one socket read brings, up to about `want` bytes (a row larger than that
 * grows buf). Returns 1 when bytes were appended, 0 at the end of the COPY
 * (nothing appended; PQgetResult next), -1 with err when the connection
 * failed. */
int sl_pg_copy_read(PGconn *conn, sl_buf *buf, size_t want, const char *what, sl_err *err);

#endif
