# tests/hostile/30-pg.sh - the PostgreSQL source under hostile-but-fair use
# (sourced by tests/suites/26-hostile.sh; see its header for the helpers):
#   item 6   a prepare whose session dies at its last step (RELEASE SAVEPOINT)
#            or in the middle (a query that terminates its own backend) is a
#            plain error, never a crash; a run retries it and succeeds.
#   item 8   a query: with several statements, a wrapper-closing ')', a
#            COMMIT or a trailing comment changes nothing in the source
#            under plan, validate --connect and run (checked with psql).
#   item 16  views, materialized views, foreign tables (file_fdw) and
#            partitioned tables cut by a column: plan and run, output equal
#            to the source.
#   item 19  Ctrl-C while a task waits on a lock: "cancelling", exit 130
#            within seconds, nothing published; the next run succeeds.

export PGDATABASE=hostile
PGQ() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

PGQ <<'SQL'
CREATE TABLE t (id int PRIMARY KEY, v text);
INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 3000) g;
CREATE TABLE other (id int);
CREATE SEQUENCE s8;
SQL

# What must not change: every table and its row count, and t's contents.
pg_state() {
  PGQ -c "SELECT string_agg(c.relname || ':' || c.relkind::text, ',' ORDER BY c.relname) FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'" \
      -c "SELECT count(*), md5(string_agg(id || v, ',' ORDER BY id)) FROM t" \
      -c "SELECT count(*) FROM other"
}
BEFORE=$(pg_state)

# lake_rows DIR: the rows of every Parquet file in DIR as CSV, sorted.
lake_rows() {
  local f
  for f in "$1"/part-*.parquet; do
    [ -f "$f" ] && "$SLUICE_BIN" cat --format csv "$f" | tail -n +2
  done | sort
}

# job NAME TABLE-YAML [RETRIES BACKOFF]: a job file $HW/NAME.yaml with one
# table x (1 retry after 10ms by default).
job() {
  cat >"$HW/$1.yaml" <<EOF
name: $1
retries: ${3:-1}
retry_backoff: ${4:-10ms}
sources:
  s: { kind: postgres, url: "$DB_URL" }
targets:
  l: { kind: parquet, path: $HW/lake-$1 }
tables:
  x: $2
EOF
}

# ---- item 8: a query: is one statement in a read-only transaction ----
# Each shape with a partition column (the bounds queries carry it too) and
# without (item 6: a COMMIT inside the describe step used to end the
# transaction, then RELEASE SAVEPOINT failed and prepare freed twice).
n=0
while IFS= read -r q; do
  for part in "{ column: id }" none; do
  n=$((n + 1))
  job q8-$n "{ from: s, query: \"$q\", to: l, partition: $part }"
  for cmd in plan "validate --connect" run; do
    name="item8-$n-${cmd%% *}"
    sl_try "$name" "$SLUICE_BIN" $cmd "$HW/q8-$n.yaml"
    if [ "$RC" -gt 2 ]; then bad "item 6/8: $cmd of query <$q>, partition $part crashed (exit $RC)"; fi
    after=$(pg_state)
    if [ "$after" = "$BEFORE" ]; then ok "item 8: $cmd of query <$q>, partition $part changed nothing in the source"
    else bad "item 8: $cmd of query <$q>, partition $part changed the source:"; echo "$after" | sed 's/^/    /'
      PGQ <<'SQL'
DROP TABLE IF EXISTS t; CREATE TABLE t (id int PRIMARY KEY, v text);
INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 3000) g;
DROP TABLE IF EXISTS other; CREATE TABLE other (id int);
SQL
    fi
    sl_expect "$name" 1 "job q8-$n: table x: .*one SELECT statement"
  done
  if [ -n "$(sl_tree "$HW/lake-q8-$n" | grep -v '^./.sluice-staging')" ]; then
    bad "item 8: run of query <$q>, partition $part published something"; fi
  done
done <<'EOF'
select 1 as id; drop table t
select 1 as id) x; commit; drop table t; select (1
select 1 as id) x; commit; drop table t; --
select 1 as id) x; commit; insert into other values (1); --
commit
select 1 as id) x; rollback; begin read write; drop table t; select (1
EOF

# A single statement cannot write either: the transaction is read only.
job q8-w "{ from: s, query: \"select nextval('s8') as id\", to: l, partition: none }"
sl_try item8-nextval "$SLUICE_BIN" run "$HW/q8-w.yaml"
sl_expect item8-nextval 1 "read-only transaction"
[ "$(PGQ -c "SELECT last_value FROM s8")" = 1 ] && [ "$(PGQ -c "SELECT is_called FROM s8")" = f ] \
  && ok "item 8: nextval in a query: did not advance the sequence" || bad "item 8: the sequence advanced"

# ---- item 6: every error path of prepare is a plain error ----
job p6 "{ from: s, table: public.t, to: l, partition: { column: id, count: 4 } }"
# The planning session is killed while prepare waits just before RELEASE SAVEPOINT.
kill_sluice_sessions() {
  sleep "$1"
  PGQ -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
          WHERE application_name = 'sluice' AND datname = 'hostile'" >/dev/null
}
kill_sluice_sessions 1 & k=$!
SLUICE_FAILPOINT=pg:prepare-end:sleep:3000 sl_try item6-plan-release "$SLUICE_BIN" plan "$HW/p6.yaml"
wait $k
sl_expect item6-plan-release 1 "job p6: table x: .*(terminat|connection|server closed)"
kill_sluice_sessions 1 & k=$!
SLUICE_FAILPOINT=pg:prepare-end:sleep:3000 sl_try item6-validate-release "$SLUICE_BIN" validate --connect "$HW/p6.yaml"
wait $k
sl_expect item6-validate-release 1 "job p6: table x: .*(terminat|connection|server closed)"
# run: the lost connection is transient; prepare is retried and the table copied.
kill_sluice_sessions 1 & k=$!
SLUICE_FAILPOINT=pg:prepare-end:sleep:3000@1 sl_try item6-run-release "$SLUICE_BIN" run "$HW/p6.yaml"
wait $k
if [ "$RC" = 0 ] && grep -q "retrying" "$HW/item6-run-release.err" &&
   [ "$(lake_rows "$HW/lake-p6/x" | wc -l)" = 3000 ]; then
  ok "item 6: run whose planning session died before RELEASE SAVEPOINT retried prepare and copied 3000 rows"
else bad "item 6: run after the planning session died: exit $RC"; head -c 2000 "$HW/item6-run-release.err"; fi
# A query that terminates its own backend while the partitions are planned.
job p6k "{ from: s, query: \"select id, case when pg_terminate_backend(pg_backend_pid()) then 1 end as k from t\", to: l, partition: { column: id, strategy: histogram, count: 3 } }"
for cmd in plan run; do
  sl_try "item6-selfkill-$cmd" "$SLUICE_BIN" $cmd "$HW/p6k.yaml"
  sl_expect "item6-selfkill-$cmd" 1 "job p6k: table x: .*(terminat|connection|server closed)"
done
[ "$(pg_state)" = "$BEFORE" ] && ok "item 6: the source is unchanged" || bad "item 6: the source changed"

# ---- item 16: views, materialized views, foreign and partitioned tables cut by a column ----
printf '%s\n' 1,a 2,b 3, 4,d 5,e 6,f 7,g 8,h 9,i 10,j > "$HW/ft.csv"
chmod 644 "$HW/ft.csv"
PGQ <<SQL
CREATE VIEW tv AS SELECT id, v FROM t WHERE id % 3 <> 0;
CREATE MATERIALIZED VIEW tm AS SELECT id, v FROM t;
CREATE TABLE tp (id int, v text) PARTITION BY RANGE (id);
CREATE TABLE tp1 PARTITION OF tp FOR VALUES FROM (MINVALUE) TO (1000);
CREATE TABLE tp2 PARTITION OF tp FOR VALUES FROM (1000) TO (MAXVALUE);
CREATE TABLE tpd PARTITION OF tp DEFAULT;
INSERT INTO tp SELECT id, v FROM t;
INSERT INTO tp VALUES (NULL, 'null key');
CREATE EXTENSION IF NOT EXISTS file_fdw;
CREATE SERVER IF NOT EXISTS files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE tf (id int, v text) SERVER files OPTIONS (filename '$HW/ft.csv', format 'csv');
SQL
BEFORE=$(pg_state)
for rel in tv tm tp tf; do
  for strategy in auto histogram range; do
    name=item16-$rel-$strategy
    job "$name" "{ from: s, table: public.$rel, to: l, partition: { column: id, strategy: $strategy, count: 3 } }"
    sl_try "$name-plan" "$SLUICE_BIN" plan "$HW/$name.yaml"
    tasks=$(grep -Eo '[0-9]+ tasks?$' "$HW/$name-plan.out" | head -n 1 | grep -Eo '^[0-9]+')
    if [ "$RC" = 0 ] && [ "${tasks:-0}" -ge 3 ]; then ok "item 16: plan of $rel, $strategy on id: $tasks tasks"
    else bad "item 16: plan of $rel, $strategy on id: exit $RC, ${tasks:-no} tasks"
      head -c 1500 "$HW/$name-plan.err" "$HW/$name-plan.out" | sed 's/^/    /'; continue; fi
    sl_try "$name-run" "$SLUICE_BIN" run --no-progress "$HW/$name.yaml"
    lake_rows "$HW/lake-$name/x" >"$HW/$name.got"
    PGQ -c "COPY (SELECT id, v FROM public.$rel) TO STDOUT (FORMAT csv)" | sort >"$HW/$name.want"
    if [ "$RC" = 0 ] && [ -s "$HW/$name.want" ] && cmp -s "$HW/$name.got" "$HW/$name.want"; then
      ok "item 16: run of $rel, $strategy on id: $(wc -l <"$HW/$name.got") rows, equal to the source"
    else bad "item 16: run of $rel, $strategy on id: exit $RC, output differs from the source"
      head -c 1500 "$HW/$name-run.err" | sed 's/^/    /'; diff "$HW/$name.got" "$HW/$name.want" | head -5; fi
  done
done
[ "$(pg_state)" = "$BEFORE" ] && ok "item 16: the source is unchanged" || bad "item 16: the source changed"

# ---- item 19: Ctrl-C cancels the queries in flight ----
PGQ -c "CREATE TABLE lk AS SELECT g AS id, 'x' || g AS v FROM generate_series(1, 1000) g"
job l19 "{ from: s, table: public.lk, to: l, partition: none }"
job s19 "{ from: s, query: \"select 1 as id from pg_sleep(20)\", to: l, partition: none }"
sl_try item19-first "$SLUICE_BIN" run --no-progress "$HW/l19.yaml"
sl_expect item19-first 0 "done"
TREE19=$(sl_tree "$HW/lake-l19/x"; md5sum "$HW/lake-l19/x/_sluice_manifest.json" 2>/dev/null)

# pg_true SQL: the query returns t.
pg_true() { [ "$(PGQ -c "$1")" = t ]; }
# wait_for CMD...: until CMD succeeds (at most 15 s).
wait_for() {
  local i
  for i in $(seq 150); do "$@" && return 0; sleep 0.1; done
  return 1
}
# interrupt NAME JOB CMD...: run JOB in the background, SIGINT it once CMD
# succeeds, and check it says "cancelling" and exits 130 within 3 s.
interrupt() {
  local name=$1 jobf=$2 pid t0 t1 ms
  shift 2
  "$SLUICE_BIN" run --no-progress "$jobf" >"$HW/$name.out" 2>"$HW/$name.err" & pid=$!
  if ! wait_for "$@"; then bad "item 19: $name: sluice never reached the blocking query"; kill -9 $pid; wait $pid; return; fi
  t0=$(date +%s%N)
  kill -INT $pid
  RC=0; wait $pid || RC=$?
  t1=$(date +%s%N); ms=$(( (t1 - t0) / 1000000 ))
  if [ "$RC" = 130 ] && [ $ms -lt 3000 ] && grep -qi "cancelling" "$HW/$name.err"; then
    ok "item 19: $name: Ctrl-C printed cancelling and exited 130 after ${ms} ms"
  else bad "item 19: $name: exit $RC after ${ms} ms (want 130 within 3000 ms, 'cancelling' on stderr)"
    head -c 2000 "$HW/$name.err" | sed 's/^/    /'; fi
}
PGQ -c "BEGIN; LOCK TABLE lk IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(20); COMMIT" >/dev/null 2>&1 & holder=$!
if wait_for pg_true "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = 'lk'::regclass AND mode = 'AccessExclusiveLock' AND granted)"; then
  interrupt item19-lock "$HW/l19.yaml" pg_true "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'sluice'
    AND datname = 'hostile' AND wait_event_type = 'Lock')"
  [ "$(sl_tree "$HW/lake-l19/x"; md5sum "$HW/lake-l19/x/_sluice_manifest.json" 2>/dev/null)" = "$TREE19" ] \
    && ok "item 19: the interrupted run published nothing" || bad "item 19: the interrupted run changed the published table"
  [ "$(PGQ -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sluice' AND datname = 'hostile'")" = 0 ] \
    && ok "item 19: no sluice session left on the server" || bad "item 19: sluice sessions left on the server"
else bad "item 19: could not take the lock"; fi
PGQ -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%LOCK TABLE lk%' AND pid <> pg_backend_pid()" >/dev/null
wait $holder
sl_try item19-after "$SLUICE_BIN" run --no-progress "$HW/l19.yaml"
sl_expect item19-after 0 "done: 1 table, 1 task, 1000 rows"
# A COPY in a worker (the query sleeps; prepare does not run it).
interrupt item19-copy "$HW/s19.yaml" pg_true "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'sluice'
  AND datname = 'hostile' AND query LIKE 'COPY%' AND state = 'active')"
[ -z "$(sl_tree "$HW/lake-s19" | grep -v '^./.sluice-staging')" ] && ok "item 19: the interrupted COPY published nothing" \
  || bad "item 19: the interrupted COPY published something"
# A retry wait (a transient failure of every attempt, 60 s backoff) is cut short too.
job b19 "{ from: s, table: public.lk, to: l, partition: none }" 5 60s
export SLUICE_FAILPOINT=task-start:transient
interrupt item19-backoff "$HW/b19.yaml" grep -q "retrying in" "$HW/item19-backoff.err"
unset SLUICE_FAILPOINT
