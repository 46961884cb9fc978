#!/usr/bin/env bash
# 41-consistency: one snapshot, and the load on the source.
# While sluice extracts accounts tables (several tasks, slowed down with
# rows_per_second so the run lasts seconds), pgbench keeps moving money
# between accounts in committed transactions, each logged in `transfers`
# with its id recorded on the rows it touched (one client: commit order is
# id order). Then:
#   - the sum of balances in the output equals the constant total;
#   - the output equals the table as of one snapshot: T = the largest
#     last_txn in the output, and every balance equals the initial balance
#     plus the logged transfers with id <= T (md5 over all rows);
#   - run 1: one table, `consistent: false` (the table's tasks share one
#     snapshot); run 2: `consistent: true`, money moves between two tables,
#     and their sum is constant too (one snapshot for the job);
#   - a watcher polls pg_stat_activity every ~50 ms during both runs and never
#     sees more sessions with application_name 'sluice' than the source's
#     max_connections (3 with 4 workers, then 2 with 3 workers and three
#     tables, all of which share one snapshot); it does see some;
#   - the sessions run with the source's statement_timeout,
#     application_name=sluice and no idle-in-transaction timeout (read back
#     through a query source).
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
sl_suite_pg
command -v pgbench >/dev/null || PATH="$PATH:$SL_PG_BIN"
command -v pgbench >/dev/null || { echo "skip: pgbench not found"; exit 77; }
sl_suite_workdir cons SLUICE_KEEP
BG=()
sl_suite_on_exit() {
  touch "$W/stop"
  for p in "${BG[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
}

sl_pg_createdb cons
export CONS_URL="$SLUICE_PG_URL/cons"
N=200000
psql -X -q -d cons -v ON_ERROR_STOP=1 <<EOF || { echo "cannot create the tables"; exit 1; }
CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL, last_txn bigint NOT NULL DEFAULT 0, note text);
INSERT INTO accounts SELECT g, 1000, 0, 'account ' || g FROM generate_series(1, $N) g;
CREATE TABLE accounts_a (LIKE accounts INCLUDING ALL);
CREATE TABLE accounts_b (LIKE accounts INCLUDING ALL);
INSERT INTO accounts_a SELECT g, 1000, 0, 'a ' || g FROM generate_series(1, $N / 2) g;
INSERT INTO accounts_b SELECT g, 1000, 0, 'b ' || g FROM generate_series(1, $N / 2) g;
CREATE TABLE transfers (id bigserial PRIMARY KEY, src bigint, dst bigint, c bigint, d bigint, amount bigint);
VACUUM ANALYZE;
EOF
cat > "$W/transfer.sql" <<EOF
\\set a random(1, $N)
\\set b random(1, $N)
\\set c random(1, $((N / 2)))
\\set d random(1, $((N / 2)))
\\set amt random(1, 100)
BEGIN;
INSERT INTO transfers (src, dst, c, d, amount) VALUES (:a, :b, :c, :d, :amt) RETURNING id AS t \\gset
UPDATE accounts SET balance = balance - :amt, last_txn = :t WHERE id = :a;
UPDATE accounts SET balance = balance + :amt, last_txn = :t WHERE id = :b;
UPDATE accounts_a SET balance = balance - :amt, last_txn = :t WHERE id = :c;
UPDATE accounts_b SET balance = balance + :amt, last_txn = :t WHERE id = :d;
COMMIT;
EOF

# watch FILE: samples the number of sluice sessions every ~50 ms into FILE.
# One psql session; each query is its own transaction, so pg_stat_activity
# is read afresh every time. Stops when $W/stop exists.
watch_sessions() {
  rm -f "$W/stop"
  while [ ! -e "$W/stop" ]; do
    echo "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sluice' AND datname = 'cons';"
    sleep 0.05
  done | psql -X -At -d postgres > "$1" 2>/dev/null
}

# run NAME JOB MAX: sluice run with pgbench moving money and the watcher on.
run_with_load() {
  local name=$1 job=$2 max=$3 workers=$4
  local before; before=$(psql -X -At -d cons -c "select coalesce(max(id), 0) from transfers")
  pgbench -n -c 1 -T 30 -f "$W/transfer.sql" cons > "$W/$name.pgbench" 2>&1 & local pgb=$!
  watch_sessions "$W/$name.sessions" & local wat=$!
  BG=("$pgb")
  # Transfers are under way before the snapshot is taken (not a fixed sleep:
  # on a loaded machine pgbench may need seconds to commit its first one).
  for _ in $(seq 150); do
    [ "$(psql -X -At -d cons -c "select coalesce(max(id), 0) from transfers")" -gt "$before" ] && break
    sleep 0.1
  done
  sleep 0.3
  local rc=0
  "$SLUICE_BIN" run --workers "$workers" --no-progress "$job" > "$W/$name.out" 2> "$W/$name.err" || rc=$?
  sleep 0.3
  touch "$W/stop"
  kill "$pgb" 2>/dev/null; wait "$pgb" "$wat" 2>/dev/null; BG=()
  [ $rc = 0 ] && ok "$name: run exits 0 ($(grep -o 'done: .*' "$W/$name.err" | head -n 1))" \
    || { bad "$name: run exit $rc"; tail -n 5 "$W/$name.err"; }
  local most samples; most=$(sort -n "$W/$name.sessions" | tail -n 1); samples=$(wc -l < "$W/$name.sessions")
  if [ -n "$most" ] && [ "$most" -le "$max" ] && [ "$most" -ge 1 ] && [ "$samples" -ge 20 ]; then
    ok "$name: at most $most sluice sessions in $samples samples of pg_stat_activity (max_connections $max)"
  else
    bad "$name: $most sluice sessions seen in $samples samples (max_connections $max)"
  fi
}

# snapshot_check NAME TOTAL TABLE...: the tables' output (Parquet, via
# DuckDB) against the transfers log; TOTAL: the constant sum of balances.
snapshot_check() {
  local name=$1 want_total=$2; shift 2
  local rel="" t
  for t in "$@"; do
    rel="$rel${rel:+ UNION ALL }SELECT '$t' AS tab, id, balance, last_txn FROM read_parquet('$W/$name/lake/$t/*.parquet')"
  done
  local got
  got=$(node tools/duck.js "SELECT count(*) || ' ' || sum(balance) || ' ' || max(last_txn) || ' ' ||
        md5(string_agg(tab || ':' || id || ':' || balance, ',' ORDER BY tab, id)) AS s FROM ($rel) x" | tail -n 1)
  read -r rows total T digest <<< "$got"
  [ "$total" = "$want_total" ] && ok "$name: sum of balances in the output is the constant $want_total ($rows rows)" \
    || bad "$name: sum of balances $total, expected $want_total ($rows rows)"
  local moved; moved=$(psql -X -At -d cons -c "SELECT count(*) FROM transfers WHERE id <= ${T:-0}")
  [ "${T:-0}" -gt 0 ] && [ "$moved" -gt 0 ] && ok "$name: the snapshot saw $moved transfers (up to id $T) while transfers went on" \
    || bad "$name: no transfer visible in the output (T=$T): the test did not overlap"
  local expected="" sql
  for t in "$@"; do
    case $t in
      accounts) sql="SELECT 'accounts' AS tab, a.id, 1000 + coalesce((SELECT sum(amount) FROM transfers WHERE id <= $T AND dst = a.id), 0)
                      - coalesce((SELECT sum(amount) FROM transfers WHERE id <= $T AND src = a.id), 0) AS balance FROM generate_series(1, $N) a(id)";;
      accounts_a) sql="SELECT 'accounts_a', a.id, 1000 - coalesce((SELECT sum(amount) FROM transfers WHERE id <= $T AND c = a.id), 0)
                      FROM generate_series(1, $N / 2) a(id)";;
      accounts_b) sql="SELECT 'accounts_b', a.id, 1000 + coalesce((SELECT sum(amount) FROM transfers WHERE id <= $T AND d = a.id), 0)
                      FROM generate_series(1, $N / 2) a(id)";;
    esac
    expected="$expected${expected:+ UNION ALL }$sql"
  done
  psql -X -q -d cons -c "CREATE INDEX IF NOT EXISTS transfers_src ON transfers (src); CREATE INDEX IF NOT EXISTS transfers_dst ON transfers (dst);
                         CREATE INDEX IF NOT EXISTS transfers_c ON transfers (c); CREATE INDEX IF NOT EXISTS transfers_d ON transfers (d)"
  local want; want=$(psql -X -At -d cons -c "SELECT md5(string_agg(tab || ':' || id || ':' || balance, ',' ORDER BY tab COLLATE \"C\", id)) FROM ($expected) x")
  [ "$want" = "$digest" ] && ok "$name: every balance equals the table as of one snapshot (transfers up to $T)" \
    || bad "$name: the output is not the table as of one snapshot (md5 $digest, expected $want at T=$T)"
}

mkdir -p "$W/run1" "$W/run2"
cat > "$W/run1/job.yaml" <<'EOF'
name: consistency_one_table
sources:
  pg: { kind: postgres, url: "${CONS_URL}", max_connections: 3, rows_per_second: 70000, statement_timeout: 60s }
targets:
  lake: { kind: parquet, path: ./lake }
tables:
  accounts: { from: pg, table: public.accounts, to: lake }
EOF
run_with_load run1 "$W/run1/job.yaml" 3 4
grep -q "table accounts: published $N rows in 8 files" "$W/run1.err" && ok "run1: accounts in 8 tasks" \
  || bad "run1: expected 8 tasks: $(grep 'table accounts' "$W/run1.err")"
snapshot_check run1 $((N * 1000)) accounts

psql -X -q -d cons -c "DROP INDEX IF EXISTS transfers_src, transfers_dst, transfers_c, transfers_d"
cat > "$W/run2/job.yaml" <<'EOF'
name: consistency_job_wide
sources:
  pg: { kind: postgres, url: "${CONS_URL}", max_connections: 2, consistent: true, rows_per_second: 120000 }
targets:
  lake: { kind: parquet, path: ./lake }
tables:
  accounts_a: { from: pg, table: accounts_a, partition: { column: id, count: 3 }, to: lake }
  accounts_b: { from: pg, table: accounts_b, partition: { column: id, count: 3 }, to: lake }
  accounts: { from: pg, table: accounts, to: lake }
EOF
run_with_load run2 "$W/run2/job.yaml" 2 3
snapshot_check run2 $((2 * N * 1000)) accounts accounts_a accounts_b

# statement_timeout and application_name on the sessions.
cat > "$W/run1/settings.yaml" <<'EOF'
name: settings
sources:
  pg: { kind: postgres, url: "${CONS_URL}", statement_timeout: 90s }
targets:
  out: { kind: csv, path: ./out }
tables:
  s: { from: pg, query: "select current_setting('statement_timeout') as st, current_setting('application_name') as app, current_setting('idle_in_transaction_session_timeout') as idle", to: out }
EOF
"$SLUICE_BIN" run --no-progress --log-level warn "$W/run1/settings.yaml" > /dev/null 2>&1
line=$(tail -n 1 "$W/run1/out/s/part-00000.csv" 2>/dev/null)
[ "$line" = "90s,sluice,0" ] && ok "sessions run with statement_timeout, application_name=sluice, no idle timeout ($line)" \
  || bad "session settings: '$line'"
exit $fail
