#!/usr/bin/env bash
# bench/receipts.sh - what load receipts cost (the "Load receipts" issue).
#
# Starts its own PostgreSQL, generates the orders table of pg_extract.sh
# (bench/lib/orders.sh, BENCH_ROWS rows, default 10,000,000) and runs
# `sluice run` to Parquet zstd with N = BENCH_WORKERS (default nproc)
# workers and N range tasks, BENCH_RUNS times (default 2). Receipts are
# always on, so there is no run without them to subtract: each task
# measures the thread CPU time spent in sl_receipt_add (two clock reads per
# batch), and the run logs it per table at debug level. Reported per run:
# wall seconds, sluice's CPU seconds (/usr/bin/time), the receipts' CPU
# seconds, their share of sluice's CPU, and their share of the wall time
# (receipts CPU / N streams / wall: what they add to a run whose streams
# are CPU-bound). Goal: under 3%. Then the same runs with `verify: source`
# (each task's aggregate query over its range, in its snapshot): the wall
# and machine CPU seconds (server included, /proc/stat) they add over the
# runs without, and the time the aggregate queries took. Last, `sluice
# verify` of the published table is timed (re-reading and recomputing the
# receipt from the files).
# BENCH_KEEP=1 keeps the output directory.
set -euo pipefail
. "$(dirname "$0")/../tests/lib/suite.sh"
ROWS=${BENCH_ROWS:-10000000}
N=${BENCH_WORKERS:-$(nproc)}
RUNS=${BENCH_RUNS:-2}
[ -x "$SLUICE_BIN" ] || { echo "receipts: $SLUICE_BIN not built (make)"; exit 1; }
TIME=/usr/bin/time
[ -x $TIME ] || { echo "receipts: /usr/bin/time missing (apt-get install time)"; exit 1; }

. "$(dirname "$0")/lib/orders.sh"
sl_suite_private_pg
sl_suite_workdir bench-receipts BENCH_KEEP
export PGDATABASE=bench PGOPTIONS="-c client_min_messages=warning"
sl_pg_createdb bench
echo "receipts: generating $ROWS rows ..."
bench_orders_table bench "$ROWS"

cat > "$W/job.yaml" <<YAML
name: bench_receipts
sources:
  pg: { kind: postgres, url: "$SLUICE_PG_URL/bench", max_connections: $N }
targets:
  lake: { kind: parquet, path: "$W/lake", compression: zstd }
tables:
  orders: { from: pg, table: public.orders, partition: { strategy: range, column: id, count: $N }, to: lake }
YAML

# time_of FILE -> "wall cpu" from /usr/bin/time -v
time_of() {
  awk '/Elapsed \(wall clock\)/ { n = split($NF, p, ":"); w = (n == 3) ? p[1]*3600 + p[2]*60 + p[3] : p[1]*60 + p[2] }
       /User time/ { u = $NF } /System time/ { s = $NF }
       END { printf "%.2f %.2f\n", w, u + s }' "$1"
}

sed 's|to: lake }|to: lake, verify: source }|' "$W/job.yaml" > "$W/job-source.yaml"
cpu_jiffies() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
HZ=$(getconf CLK_TCK)

# one JOB NAME -> wall, sluice CPU, machine CPU (s) of one run in $W/NAME.*
one() {
  local j0 j1
  j0=$(cpu_jiffies)
  $TIME -v -o "$W/$2.time" "$SLUICE_BIN" run --no-progress --workers "$N" --log-level debug "$1" \
    > "$W/$2.log" 2>&1 || { echo "receipts: run failed:"; tail -n 20 "$W/$2.log"; exit 1; }
  j1=$(cpu_jiffies)
  read -r wall cpu < <(time_of "$W/$2.time")
  mcpu=$(echo "scale=2; ($j1 - $j0) / $HZ" | bc)
}

echo
echo "receipts: $ROWS rows, $N streams, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  run   wall s   sluice CPU s   receipts CPU s   of sluice CPU   of wall (per stream)"
sw=0 sm=0
for r in $(seq 1 "$RUNS"); do
  one "$W/job.yaml" "run$r"
  sw=$(echo "$sw + $wall" | bc); sm=$(echo "$sm + $mcpu" | bc)
  rc=$(sed -n 's/.*table orders: receipts took \([0-9.]*\)s of CPU.*/\1/p' "$W/run$r.log")
  printf "  %3d %8.2f %14.2f %16.3f %14.2f%% %19.2f%%\n" "$r" "$wall" "$cpu" "$rc" \
    "$(echo "scale=6; 100 * $rc / $cpu" | bc)" "$(echo "scale=6; 100 * $rc / $N / $wall" | bc)"
done

echo "  verify: source    wall s   machine CPU s   aggregate queries s"
vw=0 vm=0
for r in $(seq 1 "$RUNS"); do
  one "$W/job-source.yaml" "source$r"
  vw=$(echo "$vw + $wall" | bc); vm=$(echo "$vm + $mcpu" | bc)
  q=$(sed -n "s/.*table orders: verify: source: .*(\([0-9.]*\)s of aggregate queries.*/\1/p" "$W/source$r.log")
  printf "  %3d %20.2f %15.2f %21s\n" "$r" "$wall" "$mcpu" "$q"
done
printf "  verify: source adds %.2f s of wall (%.0f%%) and %.2f s of machine CPU per run (means of %d runs each)\n" \
  "$(echo "scale=4; ($vw - $sw) / $RUNS" | bc)" "$(echo "scale=4; 100 * ($vw - $sw) / $sw" | bc)" \
  "$(echo "scale=4; ($vm - $sm) / $RUNS" | bc)" "$RUNS"

$TIME -v -o "$W/verify.time" "$SLUICE_BIN" verify "$W/job.yaml" > "$W/verify.log" 2>&1 ||
  { echo "receipts: verify failed:"; cat "$W/verify.log"; exit 1; }
read -r vwall vcpu < <(time_of "$W/verify.time")
echo "  sluice verify (reads the published files back, one thread): wall ${vwall}s, CPU ${vcpu}s"
