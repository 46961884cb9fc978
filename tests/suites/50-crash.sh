#!/usr/bin/env bash
# 50-crash: runs that die are resumed and end exactly as a clean run.
#   a) SLUICE_FAILPOINT=<point>:crash (SIGKILL, no cleanup) at every step of
#      the commit protocol: task-start, task-write, task-file-synced,
#      task-commit, publish:before-manifest, publish:before-exchange,
#      publish:after-exchange, publish:before-cleanup, run-finish - each at
#      its first hit and at a later one (another task, the second table);
#      half of them publish over an existing version, half over nothing;
#   b) real `kill -9` at evenly spaced moments of a longer run (PostgreSQL,
#      two tables, 8 tasks), from the start to the publish.
# After each crash: the live tables are either absent (nothing published
# before) or complete - never a mix, never a partial table; then `sluice run`
# resumes the run and the published tables equal a clean run's (row count
# and an order-independent hash of every row, read back by DuckDB; the
# manifest lists exactly the part files and their rows), with no staging
# left. Prints how many crash points and kill moments were exercised and how
# many ended identical to the clean run.
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
. tests/lib/faults.sh
sl_suite_pg
sl_suite_workdir crash SLUICE_CRASH_KEEP
cp "$SLUICE_BIN" "$W/sluice" && SLUICE_BIN=$W/sluice   # immune to a rebuild while the suite runs
FX_TMP=$W

ROWS_SMALL=${SLUICE_CRASH_ROWS_SMALL:-60000}
ROWS_BIG=${SLUICE_CRASH_ROWS_BIG:-800000}
KILLS=${SLUICE_CRASH_KILLS:-22}
sl_pg_createdb crash
psql -X -q -d crash -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, amount numeric(12,2), note text, placed timestamptz);
INSERT INTO orders SELECT g, g % 1009, (g * 3.7)::numeric(12,2),
       CASE WHEN g % 9 = 0 THEN NULL ELSE 'order note ' || md5(g::text) END,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
FROM generate_series(1, $ROWS_BIG) g;
CREATE TABLE customers (id int PRIMARY KEY, name text, vip boolean);
INSERT INTO customers SELECT g, 'customer ' || g, g % 7 = 0 FROM generate_series(1, 20000) g;
CREATE TABLE orders_small AS SELECT * FROM orders WHERE id <= $ROWS_SMALL;
ALTER TABLE orders_small ADD PRIMARY KEY (id);
ANALYZE;
SQL

job() {   # dir orders-relation orders-tasks
  mkdir -p "$1"
  cat > "$1/job.yaml" <<YAML
name: crash
retries: 2
retry_backoff: 50ms
sources:
  pg: { kind: postgres, url: "$SLUICE_PG_URL/crash", max_connections: 3 }
targets:
  lake: { kind: parquet, path: ./lake, compression: zstd }
tables:
  orders:
    from: pg
    table: $2
    partition: { column: id, strategy: range, count: $3 }
    to: lake
  customers:
    from: pg
    table: public.customers
    partition: { column: id, strategy: range, count: 2 }
    to: lake
YAML
}

run() {   # dir [VAR=value...] -> exit status in $rc, log appended to dir/run.log
  local dir=$1; shift
  rc=0
  { (cd "$dir" && exec env "$@" "$SLUICE_BIN" run --workers 2 --no-progress job.yaml) >> "$dir/run.log" 2>&1; } \
    2>/dev/null || rc=$?   # (no "Killed" notice from bash)
}

# --- the reference: a clean run ------------------------------------------------
job "$W/ref_small" public.orders_small 4
run "$W/ref_small"
[ $rc = 0 ] || { fx_bad "clean run failed (exit $rc)"; tail -n 5 "$W/ref_small/run.log"; exit 1; }
REF_SMALL=$(fx_lake_fp "$W/ref_small/lake" orders customers)
grep -q "orders: rows=$ROWS_SMALL " <<<"$REF_SMALL" && grep -q "customers: rows=20000 " <<<"$REF_SMALL" \
  && fx_ok "clean run: orders $ROWS_SMALL rows, customers 20000 rows" || fx_bad "clean run: $REF_SMALL"

# After a crash a live table is absent (nothing published before) or complete: old
# and new versions both equal the reference here, so anything else is a mix.
check_after_crash() {   # dir ref allow-missing what
  local t line ok=0
  while read -r line; do
    t=${line%%:*}
    if [ "$line" = "$t: missing" ] && [ "$3" = 1 ]; then continue; fi
    grep -qxF "$line" <<<"$2" || { fx_bad "$4: after the crash, live $line"; ok=1; }
  done < <(fx_lake_fp "$1/lake" orders customers)
  return $ok
}

check_resumed() {   # dir ref what -> 0 when identical to the reference
  local got left
  got=$(fx_lake_fp "$1/lake" orders customers)
  left=$(fx_staging_left "$1/lake")
  if [ "$got" = "$2" ] && [ -z "$left" ]; then return 0; fi
  fx_bad "$3: after the resume: $(echo $got) (want $(echo $2)); staging left: ${left:-none}"
  return 1
}

# --- a) a crash at every step of the commit protocol -------------------------------
POINTS="task-start@1 task-start@4 task-write@1 task-write@7 task-file-synced@1 task-file-synced@4
        task-commit@1 task-commit@5 publish:before-manifest@1 publish:before-manifest@2
        publish:before-exchange@1 publish:before-exchange@2 publish:after-exchange@1 publish:after-exchange@2
        publish:before-cleanup@1 publish:before-cleanup@2 run-finish@1"
job "$W/a" public.orders_small 4
points=0 points_same=0 names=""
for p in $POINTS; do
  name=${p%@*}; hit=${p#*@}
  missing_ok=0
  if [ $((points % 2)) = 0 ]; then rm -rf "$W/a/lake"; missing_ok=1; fi   # half publish over nothing
  : > "$W/a/run.log"
  run "$W/a" SLUICE_FAILPOINT="$name:crash@$hit"
  if [ $rc != 137 ]; then fx_bad "$p: the run did not crash (exit $rc)"; tail -n 3 "$W/a/run.log"; continue; fi
  points=$((points + 1))
  [[ " $names " == *" $name "* ]] || names="$names $name"
  check_after_crash "$W/a" "$REF_SMALL" $missing_ok "$p" || continue
  run "$W/a"
  if [ $rc != 0 ]; then fx_bad "$p: the resume failed (exit $rc)"; tail -n 5 "$W/a/run.log"; continue; fi
  grep -q "resuming run" "$W/a/run.log" || { fx_bad "$p: the second run did not resume the crashed one"; continue; }
  check_resumed "$W/a" "$REF_SMALL" "$p" && points_same=$((points_same + 1))
  echo "  $p: $(grep -o 'resuming run [0-9]* ([a-z]*, started [^)]*): [0-9]* of [0-9]* tasks already done' "$W/a/run.log")"
done
nnames=$(wc -w <<<"$names")
[ "$points" = "$points_same" ] && [ "$nnames" = 9 ] \
  && fx_ok "failpoint crashes: $points crash points over $nnames protocol steps, all resumed identical to a clean run" \
  || fx_bad "failpoint crashes: $points_same of $points identical, $nnames of 9 steps exercised"
status=$("$SLUICE_BIN" status --json --runs 1 "$W/a/job.yaml" | node -e '
  let s=""; process.stdin.on("data", d => s += d).on("end", () => {
    const r = JSON.parse(s).runs[0]; console.log(r.status + " " + (r.resumes >= 1)); })')
[ "$status" = "succeeded true" ] && fx_ok "status: the last run succeeded after a resume" || fx_bad "status says: $status"

# --- b) kill -9 at evenly spaced moments of a longer run ----------------------------
job "$W/ref_big" public.orders 6
t0=$(date +%s%N)
run "$W/ref_big"
T=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc = 0 ] || { fx_bad "clean big run failed (exit $rc)"; tail -n 5 "$W/ref_big/run.log"; exit 1; }
REF_BIG=$(fx_lake_fp "$W/ref_big/lake" orders customers)
echo "clean run of $ROWS_BIG + 20000 rows in 8 tasks: ${T} ms"
job "$W/b" public.orders 6
kills=0 kills_same=0 missed=0 first=1 tries=0
# Moment i of KILLS: i/(KILLS+1) of the run's length T, from the start to the publish. The
# machine is shared, so a run may end before its moment: then T shrinks and the moment is tried
# again (at most twice).
for i in $(seq 1 "$KILLS"); do
  for again in 0 1 2; do
    delay_ms=$(( T * i / (KILLS + 1) ))
    tries=$((tries + 1))
    : > "$W/b/run.log"
    (cd "$W/b" && exec "$SLUICE_BIN" run --workers 2 --no-progress job.yaml) >> "$W/b/run.log" 2>&1 &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    kill -9 $pid 2>/dev/null
    rc=0; wait $pid 2>/dev/null || rc=$?
    [ $rc = 137 ] && break
    missed=$((missed + 1)); first=0; T=$(( T * 4 / 5 ))   # it ended before the kill
  done
  [ $rc = 137 ] || continue
  kills=$((kills + 1))
  check_after_crash "$W/b" "$REF_BIG" $first "kill at ${delay_ms} ms"
  first=0
  run "$W/b"
  if [ $rc != 0 ]; then fx_bad "kill at ${delay_ms} ms: the resume failed (exit $rc)"; tail -n 5 "$W/b/run.log"; continue; fi
  check_resumed "$W/b" "$REF_BIG" "kill at ${delay_ms} ms" && kills_same=$((kills_same + 1))
  what=$(grep -o 'resuming run [0-9]* ([a-z]*, started [^)]*): [0-9]* of [0-9]* tasks already done' "$W/b/run.log")
  kept=$(grep -c 'published before the resume\|was published by this run before it stopped' "$W/b/run.log")
  echo "  kill at ${delay_ms} ms: ${what:-not resumed} ($kept table(s) already published)"
done
[ "$kills" -ge 20 ] && [ "$kills" = "$kills_same" ] \
  && fx_ok "kill -9: $kills kill moments ($tries tries; $missed came after the run ended), all resumed identical to a clean run" \
  || fx_bad "kill -9: $kills_same of $kills identical ($tries tries, $missed came after the run ended; 20 kills needed)"

echo "crash points: $points exercised, $points_same identical to a clean run; kill moments: $kills exercised, $kills_same identical"
exit $FX_FAIL
