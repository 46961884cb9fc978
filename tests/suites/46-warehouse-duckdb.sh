#!/usr/bin/env bash
# 46-warehouse-duckdb: PostgreSQL tables into a DuckDB database file
# (`kind: duckdb` targets), read back by DuckDB (the test peer,
# tests/e2e/lib/duckread.js --db, tools/duck.js --db) and compared with the
# source through psql.
#   a) every type, NULLs and extremes, 3 tasks: value by value equal to psql's
#      rows; DuckDB's column types exactly as documented; nothing left staged;
#   b) write modes, two runs over a changed source: replace (the new rows),
#      append (both runs' rows), merge on key (updated, inserted, the deleted
#      ones kept), merge with delete_missing (the new rows);
#   c) a new source column: an error naming it and on_schema_change, the
#      table unchanged; with add_columns the column is added;
#   d) crashes: SIGKILL at a failpoint during the load (task-write) and at
#      each step of the publish (before the commit, after it, before the
#      cleanup), and real kill -9 at moments of a run, each over an appended
#      previous version: the table is the previous or the new version, never
#      a mix, and the resume gives exactly the clean result (an append never
#      applied twice);
#   e) another process holding the file: a clear error naming it and the
#      remedy, the file intact, and the resume once it is closed; a reader
#      while sluice writes gets DuckDB's lock error, then reads the new table.
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
if ! (cd tools && node -e "require('@duckdb/node-api')" 2>/dev/null); then
  echo "SKIP: the DuckDB peer is not installed (scripts/install-deps.sh)"; exit 77
fi
if [ ! -f deps/duckdb/libduckdb.so ] && [ -z "${SLUICE_DUCKDB_LIB:-}" ]; then
  echo "SKIP: deps/duckdb/libduckdb.so is missing (scripts/install-deps.sh)"; exit 77
fi
sl_suite_pg
sl_suite_workdir duckwh SLUICE_DUCKWH_KEEP
cp "$SLUICE_BIN" "$W/sluice" && SLUICE_BIN=$W/sluice   # immune to a rebuild while the suite runs
DUCKREAD="node $ROOT/tests/e2e/lib/duckread.js"
CSVCMP="node $ROOT/tests/e2e/lib/csvcmp.js"
duck() { node "$ROOT/tools/duck.js" "$@"; }
ROWS=${SLUICE_DUCKWH_ROWS:-30000}

sl_pg_createdb duckwh
DB_URL="$SLUICE_PG_URL/duckwh"
psql -X -q -d duckwh -v ON_ERROR_STOP=1 <<SQL
SET TimeZone = 'UTC';
CREATE TABLE every_type (
  id int PRIMARY KEY, b boolean, i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision,
  n12 numeric(12,2), n38 numeric(38,10), nn numeric, t text, vc varchar(20), ch char(5), by bytea,
  d date, tm time, ts timestamp, tstz timestamptz, u uuid, j json, jb jsonb);
INSERT INTO every_type VALUES
  (1, true, -32768, -2147483648, -9223372036854775808, -3.4e38, -1.7976931348623157e308, -9999999999.99,
   -9999999999999999999999999999.9999999999, -12345678901234567890.123456789012345678, '', '', '', '\x',
   '0001-01-01', '00:00:00', '0001-01-01 00:00:00', '0001-01-01 00:00:00+00',
   '00000000-0000-0000-0000-000000000000', '{}', '[]'),
  (2, false, 32767, 2147483647, 9223372036854775807, 'NaN', 'Infinity', 9999999999.99,
   9999999999999999999999999999.9999999999, 0.000000000000000001, 'héllo ✓ 😀 "q" ''a'' , x', 'tab	nl
x', 'ab', '\x00ff10',
   '9999-12-31', '24:00:00', '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999+00',
   'ffffffff-ffff-ffff-ffff-ffffffffffff', '{"a": [1, 2.5, "x"], "b": null}', '{"k": "v", "n": 1}'),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL),
  (4, true, 0, 0, 0, '-Infinity', -0.0, 0, 0, 0, 'end', 'x', 'abcde', '\x00',
   '1969-12-31', '12:34:56.789012', '1969-12-31 23:59:59.999999', '2024-03-10 02:30:00-05',
   '01234567-89ab-cdef-0123-456789abcdef', '"s"', 'null');
INSERT INTO every_type
SELECT g, g % 3 = 0, (g % 30000)::smallint, g * 7, g::bigint * 100003, g / 7.0, g / 3.0, g / 100.0,
       g * 1.0000000001, g / 8.0, 'row ' || g, 'v' || g, 'c' || (g % 100), int4send(g),
       date '2000-01-01' + g % 10000, time '00:00:00' + g * interval '1 second',
       timestamp '2020-01-01' + g * interval '1 minute', timestamptz '2020-01-01 00:00:00+00' + g * interval '1 second',
       md5(g::text)::uuid, json_build_object('g', g), jsonb_build_object('g', g, 'h', 'x')
FROM generate_series(10, $ROWS) g;
CREATE TABLE items (id int PRIMARY KEY, name text, qty int);
INSERT INTO items SELECT g, 'item ' || g, g % 17 FROM generate_series(1, 2000) g;
CREATE TABLE items_v1 AS SELECT * FROM items;
CREATE TABLE grow (id int PRIMARY KEY, name text);
INSERT INTO grow SELECT g, 'g' || g FROM generate_series(1, 100) g;
CREATE TABLE big (id bigint PRIMARY KEY, customer int, amount numeric(12,2), note text, at timestamptz);
INSERT INTO big SELECT g, g % 1009, (g * 3.7)::numeric(12,2), CASE WHEN g % 9 = 0 THEN NULL ELSE md5(g::text) END,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' FROM generate_series(1, $ROWS * 2) g;
ANALYZE;
SQL

# psql's rows of a query as CSV, in sluice's text forms (UTC, ISO dates).
pg_csv() { PGOPTIONS="${PGOPTIONS:-} -c TimeZone=UTC -c DateStyle=ISO" psql -X -q -d duckwh -c "COPY ($1) TO STDOUT (FORMAT csv, HEADER)"; }

# compare TABLE-IN-DUCKDB DBFILE SQL WHAT: DuckDB's rows equal the query's.
compare() {
  $DUCKREAD --db "$2" "$1" > "$W/got.csv" 2> "$W/got.err" || { bad "$4: cannot read $1: $(cat "$W/got.err")"; return 1; }
  pg_csv "$3" > "$W/want.csv" || { bad "$4: psql failed"; return 1; }
  if $CSVCMP "$1" duckdb "$W/got.csv" psql "$W/want.csv" > "$W/cmp.txt"; then
    ok "$4: $(($(wc -l < "$W/got.csv") - 1)) rows equal to psql's"
  else
    bad "$4: $(head -n 5 "$W/cmp.txt")"; return 1
  fi
}

run() {   # dir [VAR=value...] -> exit status in $rc, output in dir/run.log
  local dir=$1; shift
  rc=0
  { (cd "$dir" && exec env "$@" "$SLUICE_BIN" run --workers 2 --no-progress job.yaml) > "$dir/run.log" 2>&1; } \
    2>/dev/null || rc=$?
}

# --- a) every type ---------------------------------------------------------------------
A=$W/a; mkdir -p "$A"
cat > "$A/job.yaml" <<YAML
name: types
sources:
  pg: { kind: postgres, url: "$DB_URL" }
targets:
  wh: { kind: duckdb, path: ./warehouse.duckdb }
tables:
  every_type: { from: pg, table: public.every_type, partition: { column: id, strategy: range, count: 3 }, to: wh }
YAML
run "$A"
if [ $rc = 0 ]; then ok "every type: run succeeded"; else bad "every type: exit $rc: $(tail -n 3 "$A/run.log")"; fi
compare every_type "$A/warehouse.duckdb" "select id, b::text as b, i2, i4, i8, f4, f8, n12, n38, nn::numeric(38,18) as nn,
  t, vc, ch, by, d, tm, ts, tstz, u, j, jb from every_type" "every type"
types=$(duck --db "$A/warehouse.duckdb" "select string_agg(column_name || ' ' || data_type, ', ' order by column_index)
  from duckdb_columns() where table_name = 'every_type'" | tail -n 1)
want='id INTEGER, b BOOLEAN, i2 SMALLINT, i4 INTEGER, i8 BIGINT, f4 FLOAT, f8 DOUBLE, n12 DECIMAL(12,2), n38 DECIMAL(38,10), nn DECIMAL(38,18), t VARCHAR, vc VARCHAR, ch VARCHAR, by BLOB, d DATE, tm TIME, ts TIMESTAMP, tstz TIMESTAMP WITH TIME ZONE, u UUID, j JSON, jb JSON'
[ "$types" = "\"$want\"" ] && ok "every type: DuckDB types exact" || bad "every type: DuckDB types: $types"
left=$(ls -A "$A" | grep -v -x -e job.yaml -e run.log -e warehouse.duckdb -e .sluice | tr '\n' ' ')
[ -z "$left" ] && ok "every type: nothing staged is left beside the file" || bad "left beside the file: $left"

echo "  (${SECONDS}s)"
# --- b) write modes ----------------------------------------------------------------------
B=$W/b; mkdir -p "$B"
cat > "$B/job.yaml" <<YAML
name: modes
sources:
  pg: { kind: postgres, url: "$DB_URL" }
targets:
  wh: { kind: duckdb, path: ./warehouse.duckdb, schema: shop }
tables:
  items_replace: { from: pg, table: public.items, to: wh }
  items_append: { from: pg, table: public.items, to: wh, write: append }
  items_merge: { from: pg, table: public.items, to: wh, write: merge, key: [id] }
  items_sync: { from: pg, table: public.items, to: wh, write: merge, key: id, delete_missing: true,
               max_delete_ratio: 20% }   # the second run deletes 14% on purpose (the guard allows 10%)
YAML
run "$B"
[ $rc = 0 ] && ok "modes: first run" || bad "modes: first run exit $rc: $(tail -n 3 "$B/run.log")"
psql -X -q -d duckwh -v ON_ERROR_STOP=1 <<'SQL'
UPDATE items SET name = name || ' (new)', qty = qty + 100 WHERE id % 10 = 0;
DELETE FROM items WHERE id % 7 = 0;
INSERT INTO items SELECT g, 'item ' || g, g % 5 FROM generate_series(2001, 2500) g;
SQL
run "$B"
[ $rc = 0 ] && ok "modes: second run over the changed source" || bad "modes: second run exit $rc: $(tail -n 3 "$B/run.log")"
compare shop.items_replace "$B/warehouse.duckdb" "select * from items" "replace"
compare shop.items_append "$B/warehouse.duckdb" "select * from items_v1 union all select * from items" "append"
compare shop.items_merge "$B/warehouse.duckdb" \
  "select * from items union all select * from items_v1 where id not in (select id from items)" "merge"
compare shop.items_sync "$B/warehouse.duckdb" "select * from items" "merge with delete_missing"
book=$(duck --db "$B/warehouse.duckdb" "select count(*) from shop._sluice_published where job = 'modes'" | tail -n 1)
[ "$book" = 8 ] && ok "modes: 8 loads recorded in shop._sluice_published" || bad "modes: bookkeeping rows: $book"

echo "  (${SECONDS}s)"
# --- c) schema change ----------------------------------------------------------------------
C=$W/c; mkdir -p "$C"
job_c() {
  cat > "$C/job.yaml" <<YAML
name: grow
sources:
  pg: { kind: postgres, url: "$DB_URL" }
targets:
  wh: { kind: duckdb, path: ./warehouse.duckdb }
tables:
  grow: { from: pg, table: public.grow, to: wh, write: append$1 }
YAML
}
job_c ""
run "$C"
psql -X -q -d duckwh -c "ALTER TABLE grow ADD COLUMN extra int DEFAULT 7"
run "$C"
if [ $rc = 1 ] && grep -q "new column extra (INTEGER)" "$C/run.log" && grep -q "on_schema_change: add_columns" "$C/run.log"; then
  ok "schema change: exit 1, the error names the new column and on_schema_change"
else
  bad "schema change: exit $rc: $(grep -i error "$C/run.log" | head -n 2)"
fi
n=$(duck --db "$C/warehouse.duckdb" "select count(*) from grow" | tail -n 1)
[ "$n" = 100 ] && ok "schema change: the table keeps its previous version" || bad "schema change: $n rows after the failure"
job_c ", on_schema_change: add_columns"
run "$C"
[ $rc = 0 ] || bad "add_columns: exit $rc: $(tail -n 3 "$C/run.log")"
compare grow "$C/warehouse.duckdb" "select id, name, null::int as extra from grow union all select * from grow" "add_columns"

echo "  (${SECONDS}s)"
# --- d) crashes ----------------------------------------------------------------------------
D=$W/d; mkdir -p "$D"
cat > "$D/job.yaml" <<YAML
name: crash
retries: 1
retry_backoff: 50ms
sources:
  pg: { kind: postgres, url: "$DB_URL", max_connections: 2 }
targets:
  wh: { kind: duckdb, path: ./warehouse.duckdb }
tables:
  big: { from: pg, table: public.big, partition: { column: id, strategy: range, count: 4 }, to: wh, write: append }
  small: { from: pg, table: public.items, to: wh, write: merge, key: [id], delete_missing: true }
YAML
fp() {   # per table: its row count and an order-independent hash of its rows ("big,N,H small,N,H"), in one DuckDB
  local out
  out=$(duck --db "$D/warehouse.duckdb" "select 'big', count(*), coalesce(sum(hash(x)), 0)::varchar from big x
    union all select 'small', count(*), coalesce(sum(hash(x)), 0)::varchar from small x" 2>/dev/null) || { echo missing; return; }
  tail -n +2 <<<"$out" | sort | tr '\n' ' '
}
# The reference: one clean run (version 1, kept to start each case from), then a
# second (version 2: big appended twice), timed for the kill moments.
rm -rf "$D/warehouse.duckdb" "$D/warehouse.duckdb.wal" "$D/.sluice" "$D/.warehouse.duckdb.sluice"
run "$D"; V1=$(fp)
mkdir -p "$W/v1" && cp -a "$D/warehouse.duckdb" "$D/.sluice" "$W/v1/"
t0=$(date +%s%N)
run "$D"
T=$(( ($(date +%s%N) - t0) / 1000000 ))
V2=$(fp)
grep -q "^big,$((ROWS * 2))," <<<"$V1" && grep -q "^big,$((ROWS * 4))," <<<"$V2" \
  && ok "crash reference: big appended twice ($V2); a run takes ${T} ms" || bad "crash reference: $V1 / $V2"
same=0 tried=0 missed=0
crash_case() {   # what cmd... : from version 1, a run that dies, then the resume
  local what=$1; shift
  rm -rf "$D/warehouse.duckdb" "$D/warehouse.duckdb.wal" "$D/.sluice" "$D/.warehouse.duckdb.sluice"
  cp -a "$W/v1/warehouse.duckdb" "$W/v1/.sluice" "$D/"
  "$@"   # the dying run
  if [ "$rc" = 0 ] && [ "$1" = kill_run ]; then missed=$((missed + 1)); echo "  $what: the run ended first"; return; fi
  # Killed after it recorded its end (between that and its exit): nothing to resume; the next run is a
  # new one (and appends big again), so this moment says nothing about crashes.
  if [ "$1" = kill_run ] && (cd "$D" && "$SLUICE_BIN" status job.yaml --runs 1 --json 2>/dev/null) | grep -q '"status": "succeeded"'; then
    missed=$((missed + 1)); echo "  $what: the run had recorded its end before the kill"; return
  fi
  tried=$((tried + 1))
  if [ "$rc" != 137 ]; then bad "$what: the run did not die (exit $rc)"; return; fi
  local got; got=$(fp)
  local b=${got%% small*} s=small${got#* small}
  [ "$b" = "${V1%% small*}" ] || [ "$b" = "${V2%% small*}" ] || { bad "$what: after the crash $b: neither version"; return; }
  [ "$s" = "small${V1#* small}" ] || [ "$s" = "small${V2#* small}" ] || { bad "$what: after the crash $s: neither version"; return; }
  local after="big $([ "$b" = "${V2%% small*}" ] && echo new || echo old), small $([ "$s" = "small${V2#* small}" ] && echo new || echo old)"
  run "$D"
  grep -q "resuming run" "$D/run.log" || { bad "$what: the next run did not resume"; return; }
  got=$(fp)
  local left; left=$(ls -A "$D" | grep -c '^\.warehouse.duckdb.sluice$')
  if [ $rc = 0 ] && [ "$got" = "$V2" ] && [ "$left" = 0 ]; then
    same=$((same + 1)); echo "  $what: after the crash $after; resumed to the clean result"
  else
    bad "$what: after the resume (exit $rc) $got staging-left=$left"
  fi
}
failpoint_run() { run "$D" SLUICE_FAILPOINT="$1"; }
for p in task-write:crash@3 publish:before-exchange:crash@1 \
         publish:after-exchange:crash@1 publish:after-exchange:crash@2 publish:before-cleanup:crash@2 run-finish:crash@1; do
  crash_case "SLUICE_FAILPOINT=$p" failpoint_run "$p"
done
kill_run() {   # kill -9 $1 ms after the run has begun (is in the state store: it can be resumed)
  (cd "$D" && exec "$SLUICE_BIN" run --workers 2 --no-progress job.yaml) > "$D/run.log" 2>&1 &
  local pid=$!
  for _ in $(seq 200); do grep -q ": run .*: 2 tables" "$D/run.log" 2>/dev/null && break; sleep 0.05; done
  sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
  kill -9 $pid 2>/dev/null
  rc=0; wait $pid 2>/dev/null || rc=$?
}
for i in 1 2; do
  crash_case "kill -9 at $((T * i / 3)) ms" kill_run $((T * i / 3))
done
[ "$same" = "$tried" ] && [ "$tried" -ge 6 ] \
  && ok "crashes: $same of $tried runs killed during the load or the publish resumed to the clean result ($missed kills came after the run ended)" \
  || bad "crashes: $same of $tried resumed to the clean result ($missed kills came after the run ended)"

echo "  (${SECONDS}s)"
# --- e) another process holding the file ------------------------------------------------------
hold() {   # opens the file read-only in another process until killed
  node -e '
    const { DuckDBInstance } = require(process.argv[1]);
    (async () => { const i = await DuckDBInstance.create(process.argv[2], { access_mode: "READ_ONLY" });
      const c = await i.connect(); await c.run("select 1");
      globalThis.held = [i, c];   /* referenced: a collected instance would close the file and drop its lock */
      console.log("held"); setInterval(() => {}, 1000); })();' \
    "$ROOT/tools/node_modules/@duckdb/node-api" "$1" > "$W/hold.out" 2>&1 &
  HOLDER=$!
  for _ in $(seq 1 100); do grep -q held "$W/hold.out" && return 0; sleep 0.1; done
  return 1
}
rm -rf "$D/warehouse.duckdb" "$D/warehouse.duckdb.wal" "$D/.sluice" "$D/.warehouse.duckdb.sluice"   # nothing of the killed runs above
run "$D"
got=$(fp); [ $rc = 0 ] && [ "$got" = "$V1" ] || { bad "lock: the first run: exit $rc, $got (want $V1)"; cat "$D/run.log"; }
hold "$D/warehouse.duckdb" || bad "lock: the holder did not open the file: $(cat "$W/hold.out")"
run "$D"
kill $HOLDER 2>/dev/null; wait $HOLDER 2>/dev/null
cp "$D/run.log" "$W/held-run.log"
if [ $rc = 1 ] && grep -q "the DuckDB file $D/warehouse.duckdb is in use by process .*node.* (PID [0-9]*)" "$D/run.log" \
   && grep -q "run the job again" "$D/run.log"; then
  ok "lock: a process holding the file: exit 1, the error names the file, the holder and the remedy"
else
  bad "lock: exit $rc: $(grep -i error "$D/run.log" | head -n 2)"
fi
got=$(fp); [ "$got" = "$V1" ] && ok "lock: the file is intact (version 1)" || { bad "lock: the file holds $got"; cat "$W/held-run.log"; }
run "$D"
got=$(fp); [ $rc = 0 ] && [ "$got" = "$V2" ] && grep -q "resuming run" "$D/run.log" \
  && ok "lock: once it is closed the run resumes and publishes" || bad "lock: resume exit $rc, $got"
# A reader while sluice writes: DuckDB's own lock error, then the new version.
(cd "$D" && exec env SLUICE_FAILPOINT=publish:before-exchange:sleep:1500 "$SLUICE_BIN" run --workers 2 --no-progress \
  job.yaml) > "$D/run.log" 2>&1 &
writer=$!
out=""
while kill -0 $writer 2>/dev/null; do
  out=$(duck --db "$D/warehouse.duckdb" "select count(*) from big" 2>&1) && out="" && { sleep 0.2; continue; }
  break
done
wait $writer; wrc=$?
if grep -q "Could not set lock on file" <<<"$out"; then ok "lock: a reader during the publish gets DuckDB's lock error"
else bad "lock: the reader got: ${out:-no error}"; fi
got=$(fp); [ $wrc = 0 ] && grep -q "^big,$((ROWS * 6))," <<<"$got" \
  && ok "lock: the writer finished, the reader then sees the new version" || bad "lock: writer exit $wrc, $got"
echo "  (${SECONDS}s)"
exit $fail
