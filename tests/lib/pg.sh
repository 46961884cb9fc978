# tests/lib/pg.sh - start and stop a private PostgreSQL server for tests.
# Source it, then:
#   sl_pg_start            initdb in a temp dir, a free port on 127.0.0.1,
#                          password auth over TCP; exports PGHOST PGPORT PGUSER
#                          PGPASSWORD PGDATABASE and SLUICE_PG_URL (no db name:
#                          append "/dbname"). Registers sl_pg_stop on EXIT.
#   sl_pg_stop             stop it and remove its directory (idempotent); only
#                          in the shell that started it, so a suite reusing the
#                          runner's shared server never stops it for the others.
#   sl_pg_createdb NAME    a fresh, empty database.
#   sl_pg_restart          stop and start the same cluster (same port).
# As root, the server runs as the 'postgres' system user (initdb refuses root).
# Reuse: when SLUICE_PG_URL is already set by a parent runner, sl_pg_start
# does nothing.

sl_pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do :; done
  [ -x "$d/initdb" ] || { echo "pg.sh: no PostgreSQL server found (run scripts/install-deps.sh)" >&2; return 1; }
  echo "$d"
}

sl_pg_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

sl_pg_start() {
  if [ -n "${SLUICE_PG_URL:-}" ] && [ -n "${SL_PG_DIR:-}" -o -n "${SLUICE_PG_SHARED:-}" ]; then return 0; fi
  local bindir; bindir=$(sl_pg_bindir) || return 1
  SL_PG_BIN=$bindir
  SL_PG_DIR=$(mktemp -d /tmp/sluice-pg.XXXXXX)
  chmod 755 "$SL_PG_DIR"
  [ "$(id -u)" = 0 ] && chown postgres: "$SL_PG_DIR"
  echo sluice > "$SL_PG_DIR/pw"
  sl_pg_as "$bindir/initdb" -D "$SL_PG_DIR/data" -U sluice --pwfile="$SL_PG_DIR/pw" \
     --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$SL_PG_DIR/initdb.log" 2>&1 \
     || { cat "$SL_PG_DIR/initdb.log" >&2; return 1; }
  trap 'sl_pg_stop' EXIT
  trap 'sl_pg_stop; exit 130' INT TERM
  local try port
  for try in 1 2 3 4 5 6 7 8 9 10; do
    port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    SL_PG_PORT=$port
    if sl_pg_ctl_start; then
      export PGHOST=127.0.0.1 PGPORT=$port PGUSER=sluice PGPASSWORD=sluice PGDATABASE=postgres
      export SLUICE_PG_URL="postgres://sluice:sluice@127.0.0.1:$port"
      export SL_PG_DIR SL_PG_BIN SL_PG_PORT
      SL_PG_OWNER=$$
      return 0
    fi
  done
  echo "pg.sh: could not start PostgreSQL:" >&2; cat "$SL_PG_DIR/server.log" >&2
  return 1
}

sl_pg_ctl_start() {
  sl_pg_as "$SL_PG_BIN/pg_ctl" -D "$SL_PG_DIR/data" -l "$SL_PG_DIR/server.log" -w -t 60 \
    -o "-p $SL_PG_PORT -k $SL_PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100 -c shared_buffers=256MB" \
    start >/dev/null 2>&1
}

sl_pg_restart() {
  sl_pg_as "$SL_PG_BIN/pg_ctl" -D "$SL_PG_DIR/data" -m fast -w stop >/dev/null 2>&1
  sl_pg_ctl_start
}

sl_pg_stop() {
  [ -n "${SL_PG_DIR:-}" ] && [ "${SL_PG_OWNER:-}" = "$$" ] || return 0
  if [ -d "$SL_PG_DIR/data" ]; then
    sl_pg_as "$SL_PG_BIN/pg_ctl" -D "$SL_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$SL_PG_DIR"
  SL_PG_DIR=
}

sl_pg_createdb() {
  psql -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS \"$1\"" -c "CREATE DATABASE \"$1\"" >/dev/null
}
