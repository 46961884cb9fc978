#!/usr/bin/env bash
# 45-warehouse-postgres: the kind: postgres target, with a second database of
# the test server (sl45_dw) as the warehouse, loaded by a role of its own
# (sl45_dw, password-protected; it may create schemas in sl45_dw only).
#   a) every type of the mapping table (and NULLs, extremes, unicode, a domain,
#      an enum, char(n) padding) goes source -> warehouse directly; each column
#      compared with psql (md5 over the rows in id order) and its warehouse type
#      checked;
#   b) write: replace while a reader role loops `select count(*)` during the
#      load and a publish held open 500 ms: every count is the old table's or
#      the new one's (never an error, an empty or a partial table), and the
#      reader keeps its SELECT grant;
#   c) write: append twice: every source row exactly twice;
#   d) write: merge with updates, inserts and deletes (delete_missing): equal to
#      the source afterwards; duplicate keys in the merge input: an error
#      naming the key, nothing published;
#   e) a new column in the source: an error saying what changed and which
#      on_schema_change allows it, nothing published; add_columns then loads it;
#   f) a warehouse user without CREATE rights: an error naming the GRANT;
#   g) crashes: SLUICE_FAILPOINT=<step>:crash at every step of a load (10
#      points: before and during COPY, before/after the warehouse commit of a
#      task, before and after the publishing transaction, at the run's end) and
#      kill -9 at 5 moments from the first COPY stream on (batches slowed by
#      a sleep failpoint); after each the live
#      table is absent or complete, the resume ends equal to a clean run, no
#      staging table or bookkeeping row is left, no row is doubled;
#   h) the warehouse server restarted mid-load (fast: the run retries and
#      completes) and crashed mid-load (immediate stop, with `staging:
#      unlogged`: crash recovery empties the staging table; the publish
#      notices, and the resume reloads: equal to a clean run);
#   i) the warehouse password is in no log line and not in the state store.
#   j) safety: write: replace over a table this job never published (a user's
#      own) is refused before the source is read (its table does not even
#      exist), naming the table and the
#      remedy, the table unchanged; append into it is allowed. Two runs of
#      one job (two state stores) against one warehouse schema: the second
#      is refused while the first loads (an advisory lock held by the run),
#      naming the job and the holding run; the first completes; a run after
#      it takes the lock again.
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
sl_suite_pg
sl_suite_workdir wh SLUICE_WH_KEEP
cp "$SLUICE_BIN" "$W/sluice" && SLUICE_BIN=$W/sluice   # immune to a rebuild while the suite runs

ROWS=${SLUICE_WH_ROWS:-40000}
PW='Wh-pw-9x7q'
RPW='Rd-pw-3k1z'

roles() {   # the warehouse's roles (cluster-wide: created once per server)
  psql -X -q -d postgres -v ON_ERROR_STOP=1 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sl45_dw') THEN CREATE ROLE sl45_dw LOGIN PASSWORD '$PW'; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sl45_reader') THEN CREATE ROLE sl45_reader LOGIN PASSWORD '$RPW'; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sl45_nocreate') THEN CREATE ROLE sl45_nocreate LOGIN PASSWORD 'nc'; END IF;
END \$\$;
SQL
}

source_db() {   # the shop database: orders (ROWS rows); types unless $1 is "orders"
  sl_pg_createdb sl45_src
  psql -X -q -d sl45_src -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, amount numeric(12,2), note text, placed timestamptz);
INSERT INTO orders SELECT g, g % 1009, (g * 3.7)::numeric(12,2),
       CASE WHEN g % 9 = 0 THEN NULL ELSE 'order note ' || md5(g::text) END,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
FROM generate_series(1, $ROWS) g;
ANALYZE;
SQL
  [ "${1:-}" = orders ] && return
  psql -X -q -d sl45_src -v ON_ERROR_STOP=1 <<SQL
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE types (id int PRIMARY KEY, b boolean, i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision,
  n9 numeric(9,2), n18 numeric(18,4), n38 numeric(38,10), nx numeric, t text, vc varchar(20), ch char(5), nm name,
  en mood, x xml, by bytea, d date, tm time, ts timestamp, tz timestamptz, u uuid, j json, jb jsonb, dom posint);
INSERT INTO types SELECT g, g % 3 = 0, (g % 32000 - 16000)::smallint, g * 7919 - 50000000, g::bigint * 1000003 * 97,
  g / 7.0, g / 3.0 * 1e10, (g * 1.25)::numeric(9,2), (g * 12345.6789)::numeric(18,4),
  (g::numeric * 123456789012345.0123456789)::numeric(38,10), g * 1.000000000123,
  'tëxt ' || g || ' 漢字 🎉', 'vc' || g, chr(97 + g % 26), 'name' || g, (ARRAY['sad','ok','happy'])[1 + g % 3]::mood,
  ('<r n="' || g || '"/>')::xml, decode(md5(g::text), 'hex'), date '2000-01-01' + g, time '00:00' + g * interval '1.5 s',
  timestamp '2001-02-03 04:05:06.789' + g * interval '1 hour', timestamptz '2020-01-01 00:00+00' + g * interval '1 min',
  md5(g::text)::uuid, ('{"a": ' || g || ', "b": [1, 2.50, "x"]}')::json, jsonb_build_object('k', g, 'v', 'é'), 1 + g % 5
FROM generate_series(1, 20000) g;
-- NULLs: every column of every 11th row; extremes and edge cases in rows 20001..
UPDATE types SET b = NULL, i2 = NULL, i4 = NULL, i8 = NULL, f4 = NULL, f8 = NULL, n9 = NULL, n18 = NULL, n38 = NULL,
  nx = NULL, t = NULL, vc = NULL, ch = NULL, nm = NULL, en = NULL, x = NULL, by = NULL, d = NULL, tm = NULL, ts = NULL,
  tz = NULL, u = NULL, j = NULL, jb = NULL, dom = NULL WHERE id % 11 = 0;
INSERT INTO types VALUES
  (20001, true, -32768, -2147483648, -9223372036854775808, '-Infinity', 'NaN', -9999999.99, -99999999999999.9999,
   -9999999999999999999999999999.9999999999, -99999999999999999999.999999999999999999, '', '', 'ab', '', 'sad', '<e/>',
   '\x00', '0001-01-01', '00:00:00', '0001-01-01 00:00:00', '0001-01-01 00:00:00+00', '00000000-0000-0000-0000-000000000000',
   '[]', '{}', 1),
  (20002, false, 32767, 2147483647, 9223372036854775807, 'Infinity', 1e308, 9999999.99, 99999999999999.9999,
   9999999999999999999999999999.9999999999, 99999999999999999999.999999999999999999, repeat('long ', 2000), 'x',
   'abcde', repeat('n', 63), 'happy', '<a>&amp;</a>', '\xffff00ff', '9999-12-31', '23:59:59.999999',
   '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999+00', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
   '{"deep": {"x": [null, true, -0.5e-3]}}', '"s"', 2147483647),
  (20003, NULL, 0, 0, 0, '-0', '-0', 0, 0, 0, 0, 'line1
line2	tab "quote" \backslash', ' ', '     ', 'x', 'ok', '<a/>', '', '1970-01-01', '12:00:00', '1970-01-01 00:00:00',
   '1969-12-31 23:59:59.999999+00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'null', 'null', 3);
ANALYZE;
SQL
}

dw_db() {
  sl_pg_createdb sl45_dw
  psql -X -q -d sl45_dw -v ON_ERROR_STOP=1 -c "GRANT CREATE ON DATABASE sl45_dw TO sl45_dw" \
    -c "REVOKE CREATE ON SCHEMA public FROM PUBLIC"
}

roles
source_db
dw_db
SRC_URL="$SLUICE_PG_URL/sl45_src"
DW_URL="postgres://sl45_dw:$PW@127.0.0.1:$PGPORT/sl45_dw"

job() {   # dir tables-block [target-extra] [source-extra]
  mkdir -p "$1"
  cat > "$1/job.yaml" <<YAML
name: wh
retries: 8
retry_backoff: 500ms
sources:
  shop: { kind: postgres, url: "$SRC_URL", max_connections: 3${4:+, $4} }
targets:
  dw: { kind: postgres, url: "$DW_URL", schema: analytics, max_connections: 2${3:+, $3} }
tables:
$2
YAML
}

run() {   # dir [VAR=value...] -> exit status in $rc, log appended to dir/run.log
  local dir=$1; shift
  rc=0
  { (cd "$dir" && exec env "$@" "$SLUICE_BIN" run --workers 2 --no-progress job.yaml) >> "$dir/run.log" 2>&1; } \
    2>/dev/null || rc=$?
}

dwq() { psql -X -At -d sl45_dw -c "$1" 2>&1; }
srcq() { psql -X -At -d sl45_src -c "$1" 2>&1; }
# count and md5 of every row in id order: "<rows>|<md5>" (or psql's error)
fp() { echo "$(psql -X -At -d "$1" -c "SELECT count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY id), '')) FROM $2 x" 2>&1 | tr '\n' ' ')"; }
staging_left() {   # staging tables and bookkeeping rows the job left
  dwq "SELECT (SELECT count(*) FROM pg_tables WHERE tablename LIKE '\_sl\_%')
            + (SELECT count(*) FROM _sluice.loads WHERE job = 'wh') + (SELECT count(*) FROM _sluice.stages WHERE job = 'wh')"
}

# --- a) every type, value by value ------------------------------------------------------
job "$W/a" "  types: { from: shop, table: public.types, to: dw, key: [id], partition: { column: id, count: 3 } }"
run "$W/a"
if [ $rc != 0 ]; then bad "types: run failed (exit $rc)"; tail -n 3 "$W/a/run.log"; else
  cols=$(srcq "SELECT string_agg(attname, ' ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'types'::regclass AND attnum > 1 AND NOT attisdropped")
  norm() {   # column -> text of its value, equal on both sides for an exact copy
    case $1 in
      nx) echo "trim_scale($1)::text";;           # numeric -> numeric(38,18): same number, more zeros
      j) echo "$1::jsonb::text";;                 # json -> jsonb
      *) echo "concat($1)";;                      # the type's output function (char(n) keeps its padding)
    esac
  }
  sel=""; for c in $cols; do sel="$sel, md5(string_agg(CASE WHEN $c IS NULL THEN '<null>' ELSE $(norm $c) END, '|' ORDER BY id))"; done
  s=$(srcq "SELECT count(*)$sel FROM public.types"); d=$(dwq "SELECT count(*)$sel FROM analytics.types")
  types=$(dwq "SELECT string_agg(format_type(atttypid, atttypmod), ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'analytics.types'::regclass AND attnum > 1 AND NOT attisdropped")
  want="boolean,smallint,integer,bigint,real,double precision,numeric(9,2),numeric(18,4),numeric(38,10),numeric(38,18),text,text,text,text,text,text,bytea,date,time without time zone,timestamp without time zone,timestamp with time zone,uuid,jsonb,jsonb,integer"
  i=1; same=0; diff=""
  for c in $cols; do
    i=$((i + 1))
    if [ "$(cut -d'|' -f$i <<<"$s")" = "$(cut -d'|' -f$i <<<"$d")" ]; then same=$((same + 1)); else diff="$diff $c"; fi
  done
  n=$(wc -w <<<"$cols")
  [ "$same" = "$n" ] && [ "${s%%|*}" = "${d%%|*}" ] && [ "${s%%|*}" = 20003 ] \
    && ok "types: $n columns x ${s%%|*} rows equal value by value (psql md5 per column)" \
    || bad "types: columns differ:$diff (rows ${s%%|*} / ${d%%|*})"
  [ "$types" = "$want" ] && ok "types: warehouse column types are the mapped ones" || bad "types: warehouse types $types"
  [ "$(dwq "SELECT count(*) FROM pg_indexes WHERE tablename = 'types' AND indexname = 'types_pkey'")" = 1 ] \
    && ok "types: key: [id] became the primary key" || bad "types: no primary key types_pkey"
fi

# --- b) replace under concurrent readers, grants kept ----------------------------------------
ORD="  orders: { from: shop, table: public.orders, to: dw, partition: { column: id, count: 4 } }"
job "$W/b" "$ORD"
run "$W/b"
[ $rc = 0 ] || { bad "replace: first run failed"; tail -n 3 "$W/b/run.log"; }
dwq "GRANT USAGE ON SCHEMA analytics TO sl45_reader; GRANT SELECT ON analytics.orders TO sl45_reader" >/dev/null
OLD=$ROWS
srcq "INSERT INTO orders SELECT g, g % 1009, g, 'new', now() FROM generate_series($ROWS + 1, $ROWS + 1000) g" >/dev/null
NEW=$((ROWS + 1000))
for k in $(seq 1 40); do echo "SELECT count(*) FROM analytics.orders;"; done > "$W/counts.sql"
touch "$W/reading"
( while [ -f "$W/reading" ]; do
    PGUSER=sl45_reader PGPASSWORD=$RPW psql -X -At -d sl45_dw -f "$W/counts.sql" >> "$W/counts.log" 2>&1
  done ) &
rpid=$!
sleep 0.3
run "$W/b" SLUICE_FAILPOINT=publish:before-exchange:sleep:500
sleep 0.3
rm -f "$W/reading"; wait $rpid
reads=$(wc -l < "$W/counts.log")
others=$(grep -v -x -e "$OLD" -e "$NEW" "$W/counts.log" | sort | uniq -c | head -n 3 | tr '\n' ' ')
nold=$(grep -c -x "$OLD" "$W/counts.log"); nnew=$(grep -c -x "$NEW" "$W/counts.log")
[ $rc = 0 ] && [ -z "$others" ] && [ "$nold" -gt 0 ] && [ "$nnew" -gt 0 ] \
  && ok "replace: $reads reads by a granted reader during the load and a 500 ms publish: $nold saw the old $OLD rows, $nnew the new $NEW, none anything else" \
  || bad "replace: exit $rc, reads: $nold old, $nnew new, others: ${others:-none}"
[ "$(fp sl45_dw analytics.orders)" = "$(fp sl45_src public.orders)" ] && ok "replace: equal to the source" \
  || bad "replace: $(fp sl45_dw analytics.orders) vs source $(fp sl45_src public.orders)"
[ "$(dwq "SELECT has_table_privilege('sl45_reader', 'analytics.orders', 'SELECT')")" = t ] \
  && ok "replace: the reader's SELECT grant was kept" || bad "replace: the reader lost its grant"
[ "$(staging_left)" = 0 ] && ok "replace: no staging table or bookkeeping row left" || bad "replace: left $(staging_left)"

# --- c) append twice ----------------------------------------------------------------------------
job "$W/c" "  orders_app: { from: shop, table: public.orders, to: dw, write: append, partition: { column: id, count: 3 } }"
run "$W/c"; rc1=$rc; run "$W/c"
got=$(dwq "SELECT count(*) || ' ' || count(DISTINCT id) || ' ' || min(c) || ' ' || max(c) FROM (SELECT id, count(*) OVER (PARTITION BY id) c FROM analytics.orders_app) x")
s_md5=$(srcq "SELECT md5(string_agg(x::text || x::text, '|' ORDER BY id)) FROM orders x")
d_md5=$(dwq "SELECT md5(string_agg(t, '|' ORDER BY id)) FROM (SELECT id, string_agg(x::text, '' ORDER BY x::text) t FROM analytics.orders_app x GROUP BY id) y")
[ $rc1 = 0 ] && [ $rc = 0 ] && [ "$got" = "$((NEW * 2)) $NEW 2 2" ] && [ "$s_md5" = "$d_md5" ] \
  && ok "append twice: $((NEW * 2)) rows, every source row exactly twice" || bad "append: exits $rc1/$rc, got $got"

# --- d) merge: updates, inserts, deletes; duplicate keys ------------------------------------------
MRG="  orders_m: { from: shop, table: public.orders, to: dw, write: merge, key: [id], delete_missing: true, partition: { column: id, count: 3 } }"
job "$W/d" "$MRG"
run "$W/d"; rc1=$rc
srcq "UPDATE orders SET note = 'updated', amount = amount + 1 WHERE id % 50 = 0; DELETE FROM orders WHERE id % 97 = 0;
      INSERT INTO orders SELECT g, 1, 1, 'inserted', now() FROM generate_series($NEW + 1, $NEW + 500) g" >/dev/null
run "$W/d"
[ $rc1 = 0 ] && [ $rc = 0 ] && [ "$(fp sl45_dw analytics.orders_m)" = "$(fp sl45_src public.orders)" ] \
  && ok "merge: updates, inserts and deletes (delete_missing: $(grep -o '[0-9]* rows deleted' "$W/d/run.log")): equal to the source" \
  || bad "merge: exits $rc1/$rc, $(fp sl45_dw analytics.orders_m) vs $(fp sl45_src public.orders)"
before=$(fp sl45_dw analytics.orders_m)
job "$W/d2" "  orders_m: { from: shop, query: \"SELECT * FROM orders UNION ALL SELECT * FROM orders WHERE id = 1234\", to: dw, write: merge, key: [id], partition: none }"
run "$W/d2"
err=$(grep ' error ' "$W/d2/run.log")
[ $rc = 1 ] && grep -q "key (id) of the new rows" <<<"$err" && grep -q "Key (id)=(1234) is duplicated" <<<"$err" \
  && grep -q "nothing was published" <<<"$err" && [ "$(fp sl45_dw analytics.orders_m)" = "$before" ] \
  && ok "merge: a duplicate key is an error naming it (Key (id)=(1234)); the table is unchanged" \
  || bad "merge duplicate: exit $rc, $err"

# --- e) schema change ----------------------------------------------------------------------------
srcq "ALTER TABLE orders ADD COLUMN channel text DEFAULT 'web'" >/dev/null
: > "$W/d/run.log"; run "$W/d"
err=$(grep ' error ' "$W/d/run.log")
[ $rc = 1 ] && grep -q "column channel is new in the source (text)" <<<"$err" && grep -q "on_schema_change: add_columns" <<<"$err" \
  && [ "$(fp sl45_dw analytics.orders_m)" = "$before" ] \
  && ok "schema change: a new column is an error saying what and how to allow it; nothing published" \
  || bad "schema change: exit $rc: $err"
job "$W/d" "${MRG%\}*}, on_schema_change: add_columns }"
run "$W/d"   # a changed job file: a new run
[ $rc = 0 ] && [ "$(fp sl45_dw analytics.orders_m)" = "$(fp sl45_src public.orders)" ] \
  && ok "schema change: on_schema_change: add_columns adds it; equal to the source" || bad "add_columns: exit $rc"
srcq "ALTER TABLE orders DROP COLUMN channel" >/dev/null

# --- f) no CREATE rights -------------------------------------------------------------------------
mkdir -p "$W/f"
sed "s#sl45_dw:$PW@#sl45_nocreate:nc@#" "$W/b/job.yaml" > "$W/f/job.yaml"
run "$W/f"
err=$(grep ' error ' "$W/f/run.log")
[ $rc = 1 ] && grep -q "user sl45_nocreate may not create tables in schema analytics" <<<"$err" \
  && grep -q "GRANT CREATE ON SCHEMA analytics TO sl45_nocreate" <<<"$err" \
  && ok "no CREATE right: $(sed 's/.*target dw: //' <<<"$err" | cut -c1-110)" || bad "no CREATE right: exit $rc: $err"

# --- g) crashes: failpoints and kill -9 -------------------------------------------------------
REF=$(fp sl45_src public.orders)
CR="  orders_c: { from: shop, table: public.orders, to: dw, key: [id], partition: { column: id, count: 4 } }"
job "$W/g" "$CR"
POINTS="task-start@2 task-write@3 task-file-synced@1 task-commit@1 task-commit@4
        publish:before-manifest@1 publish:before-exchange@1 publish:after-exchange@1 publish:before-cleanup@1 run-finish@1"
points=0 same=0 k=0
for p in $POINTS; do
  k=$((k + 1)); [ $((k % 2)) = 0 ] && dwq "DROP TABLE IF EXISTS analytics.orders_c" >/dev/null   # half over nothing
  : > "$W/g/run.log"
  run "$W/g" SLUICE_FAILPOINT="${p%@*}:crash@${p#*@}"
  [ $rc = 137 ] || { bad "$p: did not crash (exit $rc)"; continue; }
  points=$((points + 1))
  live=$(fp sl45_dw analytics.orders_c)
  grep -q "does not exist" <<<"$live" || [ "$live" = "$REF" ] || { bad "$p: after the crash the live table is $live"; continue; }
  run "$W/g"
  if [ $rc = 0 ] && [ "$(fp sl45_dw analytics.orders_c)" = "$REF" ] && [ "$(staging_left)" = 0 ]; then
    same=$((same + 1))
    echo "  $p: $(grep -o 'resuming run [0-9]* ([a-z]*[^)]*): [0-9]* of [0-9]* tasks already done\|was published by this run before it stopped\|published before the resume' "$W/g/run.log" | head -n 1)"
  else
    bad "$p: resume exit $rc, $(fp sl45_dw analytics.orders_c), staging left $(staging_left)"; grep ' error ' "$W/g/run.log" | head -n 2
  fi
done
[ "$points" -ge 10 ] && [ "$points" = "$same" ] && ok "crash points: $points, each resumed equal to a clean run, nothing left" \
  || bad "crash points: $same of $points equal"

# kill -9 while the COPY streams run (slowed: 1 s before each batch, so that a loaded machine's psql polls land in time), at moments after the first
# stream opened: each kill lands before the run ends; the resume runs at full speed
job "$W/k" "$CR"
kills=0 ksame=0
for extra in 0 0.15 0.3 0.6 0.9; do
  dwq "DROP TABLE IF EXISTS analytics.orders_c" >/dev/null
  : > "$W/k/run.log"
  (cd "$W/k" && exec env SLUICE_FAILPOINT=task-write:sleep:1000 "$SLUICE_BIN" run --workers 2 --no-progress job.yaml) \
    >> "$W/k/run.log" 2>&1 &
  pid=$!
  for i in $(seq 1 100); do
    [ "$(dwq "SELECT count(*) FROM pg_stat_activity WHERE usename = 'sl45_dw' AND query LIKE 'COPY%'")" -gt 0 ] && break
    sleep 0.05
  done
  sleep $extra
  copying=$(dwq "SELECT count(*) FROM pg_stat_activity WHERE usename = 'sl45_dw' AND query LIKE 'COPY%' AND state = 'active'")
  loaded=$(dwq "SELECT count(*) FROM _sluice.loads WHERE job = 'wh'")
  kill -9 $pid 2>/dev/null; rc=0; wait $pid 2>/dev/null || rc=$?
  [ $rc = 137 ] || { echo "  (the run ended before the kill at +${extra}s, exit $rc)"; continue; }
  kills=$((kills + 1))
  live=$(fp sl45_dw analytics.orders_c)
  grep -q "does not exist" <<<"$live" || [ "$live" = "$REF" ] || { bad "kill after +${extra}s: live table $live"; continue; }
  run "$W/k"
  if [ $rc = 0 ] && [ "$(fp sl45_dw analytics.orders_c)" = "$REF" ] && [ "$(staging_left)" = 0 ]; then ksame=$((ksame + 1))
  else bad "kill after +${extra}s: resume exit $rc, $(fp sl45_dw analytics.orders_c)"; fi
  echo "  kill -9 with $copying COPY streams active, $loaded tasks loaded: $(grep -o 'resuming run [0-9]* ([a-z]*[^)]*): [0-9]* of [0-9]* tasks already done' "$W/k/run.log" | head -n 1)"
done
[ "$kills" -ge 4 ] && [ "$kills" = "$ksame" ] && ok "kill -9 during the load: $kills kills, each resumed equal to a clean run" \
  || bad "kill -9: $ksame of $kills equal (4 kills needed)"

# --- j) safety: a table not this job's; one run of a job at a time ---------------------------------
PGUSER=sl45_dw PGPASSWORD=$PW psql -X -q -d sl45_dw \
  -c "CREATE TABLE analytics.mine (id bigint, note text); INSERT INTO analytics.mine VALUES (1, 'mine'), (2, 'mine too')" >/dev/null
mine=$(fp sl45_dw analytics.mine)
# the source table does not exist: the refusal must come first, before the source is asked anything
job "$W/j" "  mine: { from: shop, table: public.no_such_table, to: dw, partition: { column: id, count: 2 } }"
run "$W/j"
err=$(grep ' error ' "$W/j/run.log")
[ $rc != 0 ] && grep -q "table analytics.mine exists and was not published by job wh" <<<"$err" \
  && grep -q "write: append or write: merge" <<<"$err" && [ "$(fp sl45_dw analytics.mine)" = "$mine" ] \
  && ! grep -q "no_such_table" "$W/j/run.log" && [ "$(dwq "SELECT count(*) FROM pg_tables WHERE tablename LIKE '\_sl\_%mine'")" = 0 ] \
  && ok "replace over a user's table: refused before reading the source ($(sed 's/.*target dw: //' <<<"$err" | cut -c1-90)...), unchanged" \
  || { bad "replace over a user's table: exit $rc, $(fp sl45_dw analytics.mine): $err"; tail -n 5 "$W/j/run.log"; }
job "$W/j2" "  mine: { from: shop, query: \"SELECT id, note FROM orders WHERE id <= 10\", to: dw, write: append, partition: none }"
run "$W/j2"
[ $rc = 0 ] && [ "$(dwq "SELECT count(*) FROM analytics.mine")" = 12 ] \
  && ok "append into a user's table: allowed (2 + 10 rows)" || bad "append into a user's table: exit $rc, $(dwq "SELECT count(*) FROM analytics.mine")"

REF=$(fp sl45_src public.orders)
job "$W/l1" "$CR" "" "rows_per_second: 5000"; job "$W/l2" "$CR"   # the first slowed: 8+ s
: > "$W/l1/run.log"; : > "$W/l2/run.log"
(cd "$W/l1" && exec "$SLUICE_BIN" run --workers 2 --no-progress job.yaml) \
  >> "$W/l1/run.log" 2>&1 &
pid=$!
for i in $(seq 1 100); do
  [ "$(dwq "SELECT count(*) FROM pg_stat_activity WHERE usename = 'sl45_dw' AND query LIKE 'COPY%'")" -gt 0 ] && break
  sleep 0.05
done
run "$W/l2"
err=$(grep ' error ' "$W/l2/run.log" | head -n 1)
alive=0; kill -0 $pid 2>/dev/null && alive=1
rc1=0; wait $pid || rc1=$?
[ $rc = 1 ] && [ $alive = 1 ] && grep -q "job wh is already being loaded into .* schema analytics by 'sluice pid $pid: run 1 of state store" <<<"$err" \
  && grep -q "wait for that run to end" <<<"$err" \
  && ok "a second run of the job while the first loads: refused ($(sed 's/.*target dw: //' <<<"$err" | cut -c1-120)...)" \
  || bad "second run: exit $rc (first alive: $alive): $err"
[ $rc1 = 0 ] && [ "$(fp sl45_dw analytics.orders_c)" = "$REF" ] && ok "the first run completed undisturbed, equal to the source" \
  || bad "the first run: exit $rc1, $(fp sl45_dw analytics.orders_c)"
: > "$W/l2/run.log"; run "$W/l2"
[ $rc = 0 ] && [ "$(fp sl45_dw analytics.orders_c)" = "$REF" ] && [ "$(staging_left)" = 0 ] \
  && ok "after it, the other state store's run takes the lock and loads" || bad "run after the lock: exit $rc: $(grep ' error ' "$W/l2/run.log")"

# --- i) the password ---------------------------------------------------------------------------------
logs=$(cat "$W"/*/run.log)
! grep -q "$PW" <<<"$logs" && ! grep -aq "$PW" "$W"/*/.sluice/state.db* \
  && ok "the warehouse password is in no log ($(wc -l <<<"$logs") lines) and not in the state store" \
  || bad "the warehouse password was printed or recorded"

# --- h) the warehouse server restarted / crashed mid-load (a server of our own) ---------------------
if ! sl_suite_private_pg; then bad "cannot start a private PostgreSQL"; exit 1; fi
roles; source_db orders; dw_db
SRC_URL="$SLUICE_PG_URL/sl45_src"; DW_URL="postgres://sl45_dw:$PW@127.0.0.1:$PGPORT/sl45_dw"
REF=$(fp sl45_src public.orders)
for mode in fast immediate; do
  # UNLOGGED staging for the crash: recovery empties it, and that must be noticed
  job "$W/h-$mode" "$CR" "$([ $mode = immediate ] && echo 'staging: unlogged')" "rows_per_second: 20000"
  (cd "$W/h-$mode" && exec "$SLUICE_BIN" run --workers 2 --no-progress job.yaml) \
    > "$W/h-$mode/run.log" 2>&1 &
  pid=$!
  for i in $(seq 1 100); do   # until a task has committed and others stream
    n=$(dwq "SELECT count(*) FROM _sluice.loads WHERE job = 'wh'" 2>/dev/null)
    [ "${n:-0}" -ge 1 ] 2>/dev/null && break
    sleep 0.05
  done
  sl_pg_as "$SL_PG_BIN/pg_ctl" -D "$SL_PG_DIR/data" -m $mode -w stop >/dev/null 2>&1 && sleep 0.5 && sl_pg_ctl_start \
    && restarted=1 || restarted=0
  rc=0; wait $pid || rc=$?
  first=$rc
  [ $rc = 0 ] || run "$W/h-$mode"   # a crash may lose UNLOGGED staging: the resume reloads it
  hit=$(grep -c "retrying in" "$W/h-$mode/run.log")
  if [ $restarted = 1 ] && [ $rc = 0 ] && [ "$hit" -gt 0 ] && [ "$(fp sl45_dw analytics.orders_c)" = "$REF" ] \
     && [ "$(staging_left)" = 0 ]; then
    ok "warehouse $mode restart mid-load: first run exit $first ($hit retries)$([ $first = 0 ] || echo ", resumed"); equal to a clean run"
  else
    bad "warehouse $mode restart: restarted $restarted, exits $first/$rc, $hit retries, $(fp sl45_dw analytics.orders_c)"
    grep -E ' (warn|error) ' "$W/h-$mode/run.log" | head -n 5
  fi
  [ $first = 0 ] || grep ' error ' "$W/h-$mode/run.log" | head -n 1 | cut -c 31-260 | sed 's/^/  /'
  dwq "DROP TABLE IF EXISTS analytics.orders_c" >/dev/null
done
exit $fail
