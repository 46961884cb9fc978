#!/usr/bin/env bash
# 51-retry: transient failures are retried, permanent ones fail fast.
#   c) the sluice sessions doing COPY are killed with pg_terminate_backend
#      (found by application_name=sluice in pg_stat_activity) while they
#      stream: the tasks retry, the run succeeds, the output is complete;
#   f) permanent errors fail at once, without retries: a missing table, a
#      wrong password, a table the user may not read, a bad value (NaN) met
#      by a task - at most one attempt per task, no "retrying" line, well
#      under the first backoff (3 s);
#   d) PostgreSQL is restarted in the middle of a run (a private server of
#      this suite): the tasks see the connection lost and the server down,
#      back off, retry (the table is prepared again: its snapshot died with
#      the server) and the run completes with the output of a clean run.
#   also: a second `sluice run` of a job that is running is refused (the lock).
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
. tests/lib/faults.sh
sl_suite_pg
sl_suite_workdir retry SLUICE_RETRY_KEEP
cp "$SLUICE_BIN" "$W/sluice" && SLUICE_BIN=$W/sluice   # immune to a rebuild while the suite runs
FX_TMP=$W

make_db() {   # dbname rows
  sl_pg_createdb "$1"
  psql -X -q -d "$1" -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, amount numeric(12,2), note text);
INSERT INTO orders SELECT g, g % 1009, (g * 3.7)::numeric(12,2), 'order note ' || md5(g::text)
FROM generate_series(1, $2) g;
CREATE TABLE secret (id int PRIMARY KEY);
INSERT INTO secret VALUES (1);
CREATE TABLE nan_values (id int PRIMARY KEY, v numeric(10,2));
INSERT INTO nan_values SELECT g, CASE WHEN g = 7000 THEN 'NaN'::numeric ELSE g::numeric END FROM generate_series(1, 10000) g;
ANALYZE;
SQL
}

job() {   # dir url table retries backoff
  mkdir -p "$1"
  cat > "$1/job.yaml" <<YAML
name: retry
retries: $4
retry_backoff: $5
sources:
  pg: { kind: postgres, url: "$2", max_connections: 4 }
targets:
  lake: { kind: parquet, path: ./lake }
tables:
  orders:
    from: pg
    table: $3
    partition: { column: id, strategy: range, count: 4 }
    to: lake
YAML
}

run() {   # dir [VAR=value...] -> $rc, log in dir/run.log
  local dir=$1; shift
  rc=0
  (cd "$dir" && exec env "$@" "$SLUICE_BIN" run --workers 2 --no-progress job.yaml) > "$dir/run.log" 2>&1 || rc=$?
}

attempts_of() {   # dir -> "status attempts" of the last run's orders table
  "$SLUICE_BIN" status --json --runs 1 "$1/job.yaml" | node -e '
    let s=""; process.stdin.on("data", d => s += d).on("end", () => {
      const r = JSON.parse(s).runs[0]; const t = (r.tables || []).find(x => x.name === "orders");
      console.log(r.status + " " + (t ? t.attempts : 0)); })'
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

ROWS=${SLUICE_RETRY_ROWS:-400000}
make_db retry "$ROWS"
URL="$SLUICE_PG_URL/retry"

job "$W/ref" "$URL" public.orders 3 100ms
run "$W/ref"
[ $rc = 0 ] || { fx_bad "clean run failed (exit $rc)"; tail -n 5 "$W/ref/run.log"; exit 1; }
REF=$(fx_lake_fp "$W/ref/lake" orders)
grep -q "rows=$ROWS " <<<"$REF" && fx_ok "clean run: $ROWS rows" || fx_bad "clean run: $REF"

# --- a second run of the same job at once is refused ---------------------------------
job "$W/lock" "$URL" public.orders 3 100ms
(cd "$W/lock" && exec env SLUICE_FAILPOINT=task-write:sleep:20 "$SLUICE_BIN" run --workers 2 --no-progress job.yaml) \
  > "$W/lock/run1.log" 2>&1 &
pid=$!
for i in $(seq 1 100); do [ -e "$W/lock/.sluice/retry.lock" ] && break; sleep 0.05; done
rc=0; (cd "$W/lock" && exec "$SLUICE_BIN" run --no-progress job.yaml) > "$W/lock/run2.log" 2>&1 || rc=$?
rc1=0; wait $pid || rc1=$?
if [ $rc = 1 ] && grep -q "job retry is already running (pid $pid on host .*); wait for it or stop it" "$W/lock/run2.log" \
   && [ $rc1 = 0 ]; then
  fx_ok "a second run while one runs: exit 1: $(grep ' error ' "$W/lock/run2.log" | cut -c 31-)"
else
  fx_bad "second run: exit $rc (first: $rc1)"; cat "$W/lock/run2.log"
fi

# --- c) COPY sessions killed mid-stream ---------------------------------------------
job "$W/c" "$URL" public.orders 5 100ms
# Slow the batches down a little so that the COPYs are still streaming when they are killed.
(cd "$W/c" && exec env SLUICE_FAILPOINT=task-write:sleep:25 "$SLUICE_BIN" run --workers 2 --no-progress job.yaml) \
  > "$W/c/run.log" 2>&1 &
pid=$!
killed=0 rounds=0
for i in $(seq 1 200); do
  n=$(psql -X -At -d postgres -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
        WHERE application_name = 'sluice' AND datname = 'retry' AND state = 'active' AND query LIKE 'COPY%'")
  if [ "${n:-0}" -gt 0 ]; then
    killed=$((killed + n)); rounds=$((rounds + 1))
    [ $rounds -ge 2 ] && break
    sleep 0.4
  fi
  sleep 0.05
  kill -0 $pid 2>/dev/null || break
done
rc=0; wait $pid || rc=$?
got=$(fx_lake_fp "$W/c/lake" orders)
read -r st att <<<"$(attempts_of "$W/c")"
if [ $killed -gt 0 ] && [ $rc = 0 ] && [ "$got" = "$REF" ] && [ -z "$(fx_staging_left "$W/c/lake")" ] \
   && [ "$st" = succeeded ] && [ "$att" -gt 4 ] && grep -q "retrying in" "$W/c/run.log"; then
  fx_ok "pg_terminate_backend: $killed COPY session(s) killed in $rounds round(s); $att attempts for 4 tasks; output complete and equal to a clean run"
else
  fx_bad "pg_terminate_backend: killed $killed, exit $rc, status $st, attempts $att, output $got (want $REF)"
  grep -E "warn|error" "$W/c/run.log" | head -n 5
fi
grep -m1 "retrying in" "$W/c/run.log" | sed 's/^/  /'

# --- f) permanent errors fail fast ---------------------------------------------------
psql -X -q -d retry -v ON_ERROR_STOP=1 -c "DROP ROLE IF EXISTS nosecret" -c "CREATE ROLE nosecret LOGIN PASSWORD 'pw'" \
     -c "GRANT SELECT ON orders TO nosecret"
fast() {   # what dir url table
  job "$2" "$3" "$4" 5 3s
  local t0; t0=$(now_ms)
  run "$2"
  local ms=$(( $(now_ms) - t0 ))
  local retried; retried=$(grep -c "retrying in" "$2/run.log")
  read -r st att <<<"$(attempts_of "$2")"
  if [ $rc = 1 ] && [ "$retried" = 0 ] && [ $ms -lt 2500 ] && [ "$st" = failed ] && [ "${att:-0}" -le 4 ]; then
    fx_ok "$1: exit 1 in ${ms} ms, no retry (attempts recorded: $att): $(grep ' error ' "$2/run.log" | cut -c 31- | head -c 160)"
  else
    fx_bad "$1: exit $rc in ${ms} ms, $retried retries, status $st, attempts $att"
    tail -n 4 "$2/run.log"
  fi
}
fast "missing table" "$W/f1" "$URL" public.no_such_table
fast "wrong password" "$W/f2" "postgres://sluice:wrong@127.0.0.1:$PGPORT/retry" public.orders
fast "permission denied" "$W/f3" "postgres://nosecret:pw@127.0.0.1:$PGPORT/retry" public.secret
grep -q "permission denied" "$W/f3/run.log" || fx_bad "permission denied: the error does not say so"
fast "bad value in a task (NaN)" "$W/f4" "$URL" public.nan_values
[ "${att:-0}" -ge 1 ] && fx_ok "bad value: the failing task's single attempt is recorded" \
  || fx_bad "bad value: no attempt recorded"

# --- d) PostgreSQL restarted during the run (a server of our own) ---------------------
if ! sl_suite_private_pg; then fx_bad "cannot start a private PostgreSQL"; exit 1; fi
make_db restart "$ROWS"
URL="$SLUICE_PG_URL/restart"
job "$W/d" "$URL" public.orders 8 500ms
(cd "$W/d" && exec env SLUICE_FAILPOINT=task-write:sleep:25 "$SLUICE_BIN" run --workers 2 --no-progress job.yaml) \
  > "$W/d/run.log" 2>&1 &
pid=$!
for i in $(seq 1 100); do   # wait until the tasks stream
  n=$(psql -X -At -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sluice' AND query LIKE 'COPY%'")
  [ "${n:-0}" -gt 0 ] && break
  sleep 0.05
done
# sl_pg_restart, with the server left down for 2 s in between: the tasks see their
# connections end, then connections refused, and back off until it is up.
t0=$(now_ms)
sl_pg_as "$SL_PG_BIN/pg_ctl" -D "$SL_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 && sleep 2 \
  && sl_pg_ctl_start && restarted=1 || restarted=0
down_ms=$(( $(now_ms) - t0 ))
rc=0; wait $pid || rc=$?
got=$(fx_lake_fp "$W/d/lake" orders)
if [ $restarted = 1 ] && [ $rc = 0 ] && [ "$got" = "$REF" ] && [ -z "$(fx_staging_left "$W/d/lake")" ] \
   && grep -q "retrying in" "$W/d/run.log"; then
  fx_ok "server restart (${down_ms} ms): the run retried and completed; output equal to a clean run"
else
  fx_bad "server restart: restarted $restarted, exit $rc, output $got (want $REF)"
  grep -E "warn|error" "$W/d/run.log" | head -n 8
fi
refused=$(grep -c "retrying in" "$W/d/run.log")
grep -q "Connection refused\|connection refused\|the database system is" "$W/d/run.log" \
  && fx_ok "server restart: connections refused while it was down were retried ($refused retries in all)" \
  || fx_bad "server restart: no retry of a refused connection in the log"
grep -E "retrying in|preparing the table again" "$W/d/run.log" | cut -c 31- | cut -c 1-200 | head -n 5 | sed 's/^/  /'
exit $FX_FAIL
