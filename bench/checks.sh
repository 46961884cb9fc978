#!/usr/bin/env bash
# bench/checks.sh - what data checks add to a run (issue 13).
#
# Starts its own PostgreSQL, generates the orders table (bench/lib/orders.sh,
# BENCH_ROWS rows, default 10,000,000) and a customers table (1,000,000
# ids, what orders.customer_id refers to), then runs the same job to
# Parquet zstd with N = BENCH_WORKERS (default nproc) workers and N range
# tasks, without checks and with every row-level rule of the issue on
# orders (not_null, accepted_values, range, regex, length, expression,
# references) plus unique on id, alternating, BENCH_RUNS times each
# (default 2). Reported: wall seconds per run, the checks' own time (from
# the log), and the ratio of the mean wall times (goal: under 1.15).
# SLUICE_BIN_BEFORE=path: also runs that binary (an older build) the same
# way, interleaved, with its own lake and state, and prints its ratio beside
# this one's (before/after in the same run).
# BENCH_KEEP=1 keeps the output directory.
set -euo pipefail
. "$(dirname "$0")/../tests/lib/suite.sh"
ROWS=${BENCH_ROWS:-10000000}
N=${BENCH_WORKERS:-$(nproc)}
RUNS=${BENCH_RUNS:-2}
[ -x "$SLUICE_BIN" ] || { echo "checks: $SLUICE_BIN not built (make)"; exit 1; }

. "$(dirname "$0")/lib/orders.sh"
sl_suite_private_pg
sl_suite_workdir bench-checks BENCH_KEEP
export PGDATABASE=bench PGOPTIONS="-c client_min_messages=warning"
sl_pg_createdb bench
echo "checks: generating $ROWS rows ..."
bench_orders_table bench "$ROWS"
psql -X -q -d bench -v ON_ERROR_STOP=1 -c "CREATE TABLE customers AS SELECT g AS id, 'c' || g AS name FROM generate_series(1, 1000000) g; ALTER TABLE customers ADD PRIMARY KEY (id);" -c "VACUUM ANALYZE customers;"

cat > "$W/plain.yaml" <<YAML
name: bench_checks
sources:
  pg: { kind: postgres, url: "$SLUICE_PG_URL/bench", max_connections: $N }
targets:
  lake: { kind: parquet, path: "$W/lake", compression: zstd }
tables:
  customers: { from: pg, table: public.customers, to: lake }
  orders:
    from: pg
    table: public.orders
    partition: { strategy: range, column: id, count: $N }
    to: lake
YAML
cp "$W/plain.yaml" "$W/checks.yaml"
cat >> "$W/checks.yaml" <<'YAML'
    checks:
      - not_null: [id, customer_id]
      - unique: [id]
      - accepted_values: { status: [new, paid, shipped, delivered, cancelled, returned] }
      - range: { amount: { min: 0, max: 100000 } }
      - regex: { note: '^customer note [0-9a-f]+$' }
      - length: { status: { min: 3, max: 9 } }
      - expression: "amount is null or amount >= 0"
      - references: { customer_id: customers.id }
YAML

BEFORE=${SLUICE_BIN_BEFORE:-}
if [ -n "$BEFORE" ]; then
  for j in plain checks; do sed "s#$W/lake#$W/lake-before#" "$W/$j.yaml" > "$W/$j-before.yaml"; done
fi

one() {   # JOB NAME [BINARY STATE] -> $wall
  local t0 t1 bin=${3:-$SLUICE_BIN} st=()
  [ -n "${4:-}" ] && st=(--state "$4")
  t0=$(date +%s.%N)
  "$bin" run --no-progress --workers "$N" "${st[@]}" "$1" > "$W/$2.log" 2>&1 || { echo "checks: run failed:"; tail -n 20 "$W/$2.log"; exit 1; }
  t1=$(date +%s.%N)
  wall=$(echo "$t1 - $t0" | bc)
}

echo
echo "checks: $ROWS rows, $N streams, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  run   binary   without s   with checks s   checks' own s"
sp=0 sc=0 bp=0 bc_=0
for r in $(seq 1 "$RUNS"); do
  one "$W/plain.yaml" "plain$r"; p=$wall
  one "$W/checks.yaml" "checks$r"; c=$wall
  own=$(sed -n 's/.*table orders: checks: .* rows in \([0-9.]*\)s.*/\1/p' "$W/checks$r.log")
  grep -q "table orders: checks: 8 of 8 passed" "$W/checks$r.log" || { echo "checks: not all passed:"; grep 'check' "$W/checks$r.log"; exit 1; }
  printf "  %3d %8s %11.2f %15.2f %15s\n" "$r" "this" "$p" "$c" "$own"
  sp=$(echo "$sp + $p" | bc); sc=$(echo "$sc + $c" | bc)
  if [ -n "$BEFORE" ]; then
    one "$W/plain-before.yaml" "bplain$r" "$BEFORE" "$W/before-state.db"; p=$wall
    one "$W/checks-before.yaml" "bchecks$r" "$BEFORE" "$W/before-state.db"; c=$wall
    own=$(sed -n 's/.*table orders: checks: .* rows in \([0-9.]*\)s.*/\1/p' "$W/bchecks$r.log")
    printf "  %3d %8s %11.2f %15.2f %15s\n" "$r" "before" "$p" "$c" "$own"
    bp=$(echo "$bp + $p" | bc); bc_=$(echo "$bc_ + $c" | bc)
  fi
done
echo "  seconds per rule (last run; row-level rules share one scan, split evenly):"
(cd "$W" && "$SLUICE_BIN" status checks.yaml --json --runs 1 2>/dev/null) |
  jq -r '.runs[0].tables[] | select(.name == "orders") | .checks[] | "    \(.rule) \(.seconds)"'
printf "  with checks / without: %.3fx (means of %d runs each; goal < 1.15x)\n" "$(echo "scale=6; $sc / $sp" | bc)" "$RUNS"
[ -n "$BEFORE" ] && printf "  before (%s): with checks / without: %.3fx\n" "$BEFORE" "$(echo "scale=6; $bc_ / $bp" | bc)"
exit 0
