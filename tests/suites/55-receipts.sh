#!/usr/bin/env bash
# 55-receipts: load receipts (the "Load receipts" issue).
#   a) the free checks: a sink that drops one row (failpoint sink-drop-row)
#      fails the task with PostgreSQL's COPY count, the rows decoded and the
#      rows written, is not retried, and nothing is published (the previous
#      version of the table stays); the same for a SQLite source (rows read
#      against rows written) and a CSV target.
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
sl_suite_pg
sl_suite_workdir receipts SLUICE_RECEIPTS_KEEP
cp "$SLUICE_BIN" "$W/sluice" && SLUICE_BIN=$W/sluice   # immune to a rebuild while the suite runs

sl_pg_createdb receipts
URL="$SLUICE_PG_URL/receipts"
psql -X -q -d receipts -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, amount numeric(12,2), note text);
INSERT INTO orders SELECT g, g % 1009, (g * 3.7)::numeric(12,2), 'note ' || g FROM generate_series(1, 20000) g;
ANALYZE;
SQL

cat > "$W/job.yaml" <<YAML
name: receipts
retry_backoff: 10ms
sources:
  pg: { kind: postgres, url: "$URL", max_connections: 2 }
targets:
  lake: { kind: parquet, path: ./lake }
  csv: { kind: csv, path: ./csvlake }
tables:
  orders: { from: pg, table: public.orders, partition: { column: id, strategy: range, count: 2 }, to: [lake, csv] }
YAML

run() {   # job-file [VAR=value...] -> $rc, log in $W/run.log
  local job=$1; shift
  rc=0
  (cd "$W" && exec env "$@" "$SLUICE_BIN" run --workers 2 --no-progress "$job") > "$W/run.log" 2>&1 || rc=$?
}

# ---- a) the free checks ----
run job.yaml
[ "$rc" = 0 ] && ok "a clean run publishes" || { bad "clean run failed: $(tail -3 "$W/run.log")"; exit 1; }
before=$(cat "$W/lake/orders/_sluice_manifest.json")

run job.yaml SLUICE_FAILPOINT=sink-drop-row:on@3
if [ "$rc" = 1 ] && grep -q "row counts do not agree: the source reported 10000 (COPY n), 10000 were decoded, target [a-z]* wrote 9999" "$W/run.log"; then
  ok "a dropped row fails the task with the three counts"
else
  bad "dropped row not caught (exit $rc): $(grep -m1 'row counts\|error' "$W/run.log")"
fi
grep -q "retrying" "$W/run.log" && bad "a failed row check was retried" || ok "not retried"
[ "$(cat "$W/lake/orders/_sluice_manifest.json")" = "$before" ] && ok "nothing published: the previous version stays" \
  || bad "the live table changed after a failed check"

# A SQLite source: rows read against rows written (no count of its own).
sqlite3 "$W/shop.db" "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);
  WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 3000) INSERT INTO items SELECT i, 'item ' || i FROM g;"
cat > "$W/sqlite.yaml" <<YAML
name: receipts_sqlite
sources:
  db: { kind: sqlite, path: ./shop.db }
targets:
  lake: { kind: parquet, path: ./lake }
tables:
  items: { from: db, table: items, partition: none, to: lake }
YAML
run sqlite.yaml SLUICE_FAILPOINT=sink-drop-row:on@1
if [ "$rc" = 1 ] && grep -q "the sqlite source gives no count of its own, 3000 were decoded, target lake wrote 2999" "$W/run.log" \
   && [ ! -e "$W/lake/items" ]; then
  ok "sqlite: rows read against rows written; nothing published"
else
  bad "sqlite: dropped row not caught (exit $rc): $(grep -m1 'error' "$W/run.log")"
fi

exit $fail
