/*
 * sl_pg_copy_read.c - COPY OUT rows from libpq into one reused buffer,
 * without a malloc per row (see sl_pg_copy_read.h).
 *
 * PQgetlineAsync copies a complete CopyData message (or, when the room is
 * smaller, part of it) and never blocks; PQconsumeInput reads what the
 * socket has without blocking (libpq's socket is non-blocking). Only when
 * neither gives a byte does the reader poll the socket.
 */
#include "sl_pg_copy_read.h"

#include "sl_pg_conn.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>

static int sl_pg_copy_read_fail(PGconn *conn, const char *what, sl_err *err)
{
    sl_pg_result_error(conn, NULL, what, err);
    sl_err_prefix(err, "reading COPY data");
    return -1;
}

int sl_pg_copy_read(PGconn *conn, sl_buf *buf, size_t want, const char *what, sl_err *err)
{
    const size_t start = buf->len;
    bool read_socket = false;   /* PQconsumeInput called ... */
    bool got_rows = false;      /* ... and rows came out of it since */
    sl_buf_reserve(buf, want);
    for (;;) {
        size_t room = buf->cap - buf->len;
        int n = PQgetlineAsync(conn, (char *)buf->data + buf->len, room > INT_MAX ? INT_MAX : (int)room);
        if (n > 0) {
            buf->len += (size_t)n;
            got_rows = true;
            /* A full buffer may hold part of a row: make room for the rest,
             * so a row is never left half-read in libpq. */
            if ((size_t)n == room) sl_buf_reserve(buf, room);
            continue;
        }
        if (n < 0) return buf->len > start;   /* the COPY ended (sticky) */
        /* No complete row left in libpq's buffer. */
        if (buf->len - start >= want / 2) return 1;
        if (read_socket && !got_rows) {
            /* The last socket read brought no complete row: hand over what
             * there is, or wait for the server. */
            if (buf->len > start) return 1;
            struct pollfd pfd = { .fd = PQsocket(conn), .events = POLLIN };
            if (pfd.fd < 0) return sl_pg_copy_read_fail(conn, what, err);
            if (poll(&pfd, 1, -1) < 0 && errno != EINTR) return sl_pg_copy_read_fail(conn, what, err);
        }
        if (!PQconsumeInput(conn)) return sl_pg_copy_read_fail(conn, what, err);
        read_socket = true;
        got_rows = false;
    }
}
