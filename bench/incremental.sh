#!/usr/bin/env bash
# bench/incremental.sh - an incremental run against a full run (issue 12).
#
# Starts its own PostgreSQL, generates the orders table of pg_extract.sh
# (bench/lib/orders.sh, BENCH_ROWS rows, default 10,000,000) plus an
# updated_at column (indexed), and measures, in the same run:
#   full      `write: replace` of the whole table (the baseline), to a lake
#             (parquet zstd) and to a postgres warehouse (another database);
#   incr      the same table with incremental: {cursor: updated_at,
#             lookback: 10m}, key id, write: merge, after BENCH_CHANGE
#             (default 1%) of the rows changed: half updated, half inserted.
#             BENCH_PATTERN=recent (default) updates rows among the newest
#             5% of ids (orders changing status: few lake files touched);
#             random updates ids anywhere (every lake file is touched, so a
#             merge rewrites the whole lake table);
#   detect    the same with deletes: detect after another 1% changed and
#             0.1% deleted: BENCH_DELETES=random (default) deletes ids
#             anywhere; old deletes the oldest ids (a retention purge: only
#             the first lake files are touched). Its jobs also ran after the
#             first change (printed as "first after full load": the first
#             incremental run after a full load reads the targets' live
#             keys), so the measured detect run is a steady-state one that
#             merges the key file its previous run kept.
# A change's cursor values spread over the hour after the previous
# maximum, as changes between two runs do: the next run's lookback (10m)
# reads the last sixth of the previous change again, not all of it.
# The generated table and each change end with a CHECKPOINT: the runs
# measure sluice against a source at rest, not against PostgreSQL writing
# out dirty pages at the same time (the full runs right after the
# generation, and the run right after a change, shared the disk with that
# writeback: their reads and fsyncs waited behind it).
# BENCH_TASKS=N sets partition: { count: N } on every job (the lake's file
# size on the first load: rows / N per file).
# BENCH_LOG_LEVEL=debug passes --log-level to every run (logs kept with
# BENCH_KEEP=1 in <dir>/<run>/out.*).
# Prints seconds and each incremental run's share of its full run. Goals
# (issue 12): incremental under 5% of full, detect under 15%.
# BENCH_KEEP=1 keeps the output directory. BENCH_RUNS=N (default 1): the
# full runs N times, then N rounds of both changes; the medians are printed
# (the detect "first after full load" is round 1's).
set -euo pipefail
. "$(dirname "$0")/../tests/lib/suite.sh"
ROWS=${BENCH_ROWS:-10000000}
CHANGE=${BENCH_CHANGE:-0.01}
PATTERN=${BENCH_PATTERN:-recent}
case $PATTERN in
  recent) PICK="(SELECT m FROM t) - (random() * (SELECT m FROM t) * 0.05)::bigint";;
  random) PICK="(random() * (SELECT m FROM t))::bigint";;
  *) echo "incremental: BENCH_PATTERN is recent or random"; exit 1;;
esac
DELETES=${BENCH_DELETES:-random}
case $DELETES in
  random) DPICK="(random() * (SELECT m FROM t))::bigint";;
  old) DPICK="(SELECT min(id) FROM orders) + g - 1";;
  *) echo "incremental: BENCH_DELETES is random or old"; exit 1;;
esac
LOGOPT=${BENCH_LOG_LEVEL:+--log-level $BENCH_LOG_LEVEL}
N=${BENCH_WORKERS:-$(nproc)}
[ -x "$SLUICE_BIN" ] || { echo "incremental: $SLUICE_BIN not built (make)"; exit 1; }

. "$(dirname "$0")/lib/orders.sh"
sl_suite_private_pg
sl_suite_workdir bench-incr BENCH_KEEP
export PGDATABASE=bench PGOPTIONS="-c client_min_messages=warning"
sl_pg_createdb bench
sl_pg_createdb bench_dw
echo "incremental: generating $ROWS rows ..."
bench_orders_table bench "$ROWS"
psql -X -q -d bench -v ON_ERROR_STOP=1 <<'SQL'
ALTER TABLE orders ADD COLUMN updated_at timestamptz;
UPDATE orders SET updated_at = created_at;
ALTER TABLE orders ALTER COLUMN updated_at SET NOT NULL;
CREATE INDEX ON orders (updated_at);
VACUUM (FREEZE, ANALYZE) orders;
CHECKPOINT;
SQL

job() {   # job NAME TARGET EXTRA
  mkdir -p "$W/$1"
  cat > "$W/$1/job.yaml" <<YAML
name: bench_$1
sources:
  pg: { kind: postgres, url: "$SLUICE_PG_URL/bench", max_connections: $N }
targets:
  lake: { kind: parquet, path: "$W/$1/lake", compression: zstd }
  dw: { kind: postgres, url: "$SLUICE_PG_URL/bench_dw", schema: $1, max_connections: $N }
tables:
  orders:
    from: pg
    table: public.orders
    to: $2
${BENCH_TASKS:+    partition: { count: $BENCH_TASKS \}}
$3
YAML
}
INCR='    incremental: { cursor: updated_at, lookback: 10m }
    key: [id]
    write: merge'
job full_lake lake ""
job full_dw dw ""
job incr_lake lake "$INCR"
job incr_dw dw "$INCR"
job det_lake lake "$INCR
    deletes: detect"
job det_dw dw "$INCR
    deletes: detect"

secs() {   # secs NAME: one run, its wall seconds
  local t0 t1
  t0=$(date +%s.%N)
  (cd "$W/$1" && "$SLUICE_BIN" run --workers "$N" --no-progress $LOGOPT job.yaml) > "$W/$1/out.$(date +%s%N)" 2>&1 \
    || { echo "incremental: run $1 failed:"; tail -5 "$W/$1"/out.*; exit 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}

change() {   # change FRACTION [DELETE_FRACTION]: updates and inserts (and deletes), the cursor moving on
  psql -X -q -d bench -v ON_ERROR_STOP=1 <<SQL
CREATE TEMP TABLE t AS SELECT max(updated_at) AS t, max(id) AS m FROM orders;
UPDATE orders SET amount = amount + 1, updated_at = (SELECT t FROM t) + (0.001 + 0.999 * random()) * interval '1 hour'
 WHERE id IN (SELECT $PICK FROM generate_series(1, ($ROWS * $1 / 2)::int));
INSERT INTO orders SELECT m + g, 1, 'new', 1.00, at, NULL, gen_random_uuid(), at
  FROM t, generate_series(1, ($ROWS * $1 / 2)::int) g, LATERAL (SELECT t + g * interval '1 hour' / ($ROWS * $1 / 2 + 1) AS at) a;
DELETE FROM orders WHERE id IN (SELECT $DPICK FROM generate_series(1, ($ROWS * ${2:-0})::int) g);
VACUUM ANALYZE orders;
CHECKPOINT;
SQL
}

med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
RUNS=${BENCH_RUNS:-1}
echo "incremental: full runs (baseline), $RUNS each ..."
F_LAKES=() F_DWS=()
for i in $(seq "$RUNS"); do F_LAKES+=("$(secs full_lake)"); F_DWS+=("$(secs full_dw)"); done
echo "incremental: first incremental runs (a full read each) ..."
secs incr_lake >/dev/null
secs incr_dw >/dev/null
secs det_lake >/dev/null
secs det_dw >/dev/null
I_LAKES=() I_DWS=() D_LAKES=() D_DWS=()
for i in $(seq "$RUNS"); do
  echo "incremental: round $i: changing $CHANGE of the rows ..."
  change "$CHANGE"
  I_LAKES+=("$(secs incr_lake)")
  I_DWS+=("$(secs incr_dw)")
  d_lake=$(secs det_lake)
  d_dw=$(secs det_dw)
  [ "$i" = 1 ] && { D1_LAKE=$d_lake; D1_DW=$d_dw; }
  echo "incremental: round $i: changing $CHANGE and deleting 0.1% ..."
  change "$CHANGE" 0.001
  D_LAKES+=("$(secs det_lake)")
  D_DWS+=("$(secs det_dw)")
  secs incr_lake >/dev/null   # the merge jobs take this change too, for the next round
  secs incr_dw >/dev/null
done
F_LAKE=$(med "${F_LAKES[@]}") F_DW=$(med "${F_DWS[@]}")
I_LAKE=$(med "${I_LAKES[@]}") I_DW=$(med "${I_DWS[@]}")
D_LAKE=$(med "${D_LAKES[@]}") D_DW=$(med "${D_DWS[@]}")
echo "runs (seconds): lake full ${F_LAKES[*]}; incremental ${I_LAKES[*]}; detect ${D_LAKES[*]}"
echo "runs (seconds): warehouse full ${F_DWS[*]}; incremental ${I_DWS[*]}; detect ${D_DWS[*]}"

pct() { echo "scale=1; 100 * $1 / $2" | bc; }
printf "\nincremental benchmark: %s rows, %s changed (%s updates, %s deletes), %s workers, median of %s\n" "$ROWS" "$CHANGE" "$PATTERN" "$DELETES" "$N" "$RUNS"
printf "%-34s %9s %9s\n" "run" "seconds" "of full"
printf "%-34s %9.2f %8s%%\n" "lake: full (replace)" "$F_LAKE" 100
printf "%-34s %9.2f %8s%%  (goal < 5%%)\n" "lake: incremental merge" "$I_LAKE" "$(pct "$I_LAKE" "$F_LAKE")"
printf "%-34s %9.2f %8s%%\n" "lake: detect, first after full load" "$D1_LAKE" "$(pct "$D1_LAKE" "$F_LAKE")"
printf "%-34s %9.2f %8s%%  (goal < 15%%)\n" "lake: incremental + deletes: detect" "$D_LAKE" "$(pct "$D_LAKE" "$F_LAKE")"
printf "%-34s %9.2f %8s%%\n" "warehouse: full (replace)" "$F_DW" 100
printf "%-34s %9.2f %8s%%  (goal < 5%%)\n" "warehouse: incremental merge" "$I_DW" "$(pct "$I_DW" "$F_DW")"
printf "%-34s %9.2f %8s%%\n" "warehouse: detect, first after full" "$D1_DW" "$(pct "$D1_DW" "$F_DW")"
printf "%-34s %9.2f %8s%%  (goal < 15%%)\n" "warehouse: incremental + detect" "$D_DW" "$(pct "$D_DW" "$F_DW")"
