#!/usr/bin/env bash
# bench/plan_patterns.sh - planning a whole database through a table pattern
# (issue 15): BENCH_TABLES tables (default 1,000) of 100 rows each, spread
# over 10 schemas, with a primary key, plus views; a job of a few lines
# (`defaults:` and `"*.*": {}`) is planned with `sluice plan` (which lists
# the catalog once, then prepares every selected table: describe, statistics,
# tasks). Goal: under 5 seconds for 1,000 tables. Baselines measured in the
# same run: the catalog query alone (psql), `sluice plan` of the same tables
# listed explicitly (what the pattern costs beyond writing them out), and
# `sluice validate` without connecting.
# BENCH_KEEP=1 keeps the output directory.
set -euo pipefail
. "$(dirname "$0")/../tests/lib/suite.sh"
N=${BENCH_TABLES:-1000}
RUNS=${BENCH_RUNS:-3}
[ -x "$SLUICE_BIN" ] || { echo "plan_patterns: $SLUICE_BIN not built (make)"; exit 1; }
sl_suite_private_pg
sl_suite_workdir bench-patterns BENCH_KEEP
mkdir -p "$W"
export PGDATABASE=bench PGOPTIONS="-c client_min_messages=warning"
sl_pg_createdb bench
echo "plan_patterns: creating $N tables ..."
psql -X -q -v ON_ERROR_STOP=1 -v n="$N" <<'SQL'
DO $$ BEGIN FOR s IN 0..9 LOOP EXECUTE format('CREATE SCHEMA s%s', s); END LOOP; END $$;
SET bench.n = :'n';
DO $$ DECLARE n int := current_setting('bench.n')::int; BEGIN
  FOR i IN 1..n LOOP
    EXECUTE format('CREATE TABLE s%s.t%s (id int PRIMARY KEY, v text, at timestamptz)', i % 10, i);
    EXECUTE format('INSERT INTO s%s.t%s SELECT g, ''v'' || g, now() FROM generate_series(1, 100) g', i % 10, i);
  END LOOP;
END $$;
ANALYZE;
SQL
cat > "$W/pattern.yaml" <<YAML
sources:
  db: { kind: postgres, url: "$SLUICE_PG_URL/bench" }
targets:
  lake: { kind: parquet, path: ./lake }
defaults: { from: db, to: lake }
tables:
  "*.*": {}
YAML
{ head -6 "$W/pattern.yaml"
  for i in $(seq 1 "$N"); do echo "  s$((i % 10))_t$i: { table: s$((i % 10)).t$i }"; done; } > "$W/explicit.yaml"

# No $(...) around it: a subshell's EXIT would run the suite's cleanup, which stops the server.
best() {  # command...: BEST = the best wall seconds of RUNS runs
  local b="" t0 t1 s
  for _ in $(seq 1 "$RUNS"); do
    t0=$(date +%s.%N); "$@" > /dev/null 2>&1 || { echo "plan_patterns: '$*' failed" >&2; "$@" 2>&1 | tail -3 >&2; exit 1; }
    t1=$(date +%s.%N); s=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$b" ] || [ "$(echo "$s < $b" | bc -l)" = 1 ]; then b=$s; fi
  done
  BEST=$(printf '%.3f' "$b")
}
echo "plan_patterns: $N tables in 10 schemas, best of $RUNS runs"
best psql -X -q -c "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p','v','m')"
cat_s=$BEST; printf '  catalog query (psql, baseline)            %8ss\n' "$cat_s"
best "$SLUICE_BIN" validate "$W/pattern.yaml"
printf '  sluice validate (no connection)          %8ss\n' "$BEST"
best "$SLUICE_BIN" plan --workers 2 "$W/explicit.yaml"
exp_s=$BEST; printf '  sluice plan, tables listed explicitly    %8ss\n' "$exp_s"
best "$SLUICE_BIN" plan --workers 2 "$W/pattern.yaml"
pat_s=$BEST
"$SLUICE_BIN" plan --workers 2 "$W/pattern.yaml" > "$W/plan.txt" 2>/dev/null || true
sel=$(grep -o 'selected [0-9]* tables' "$W/plan.txt" | head -1)
printf '  sluice plan, "*.*" pattern (%s)  %8ss  (%.2fx explicit; goal < 5 s)\n' "$sel" "$pat_s" "$(echo "$pat_s / $exp_s" | bc -l)"
[ "$(echo "$pat_s < 5" | bc -l)" = 1 ] && echo "plan_patterns: goal met" || echo "plan_patterns: GOAL MISSED (>= 5 s)"
