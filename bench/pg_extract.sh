#!/usr/bin/env bash
# bench/pg_extract.sh - PostgreSQL extraction: sluice against the raw limit
# and the usual alternative, measured in the same run on the same table.
#
# Starts its own PostgreSQL (tests/lib/pg.sh), generates an orders-like table
# of BENCH_ROWS rows (default 10,000,000) with generate_series (bench/lib/orders.sh):
#   id bigint (primary key), customer_id int (Zipf-like skew), status text
#   (6 values), amount numeric(12,2), created_at timestamptz, note text (20%
#   NULL), uid uuid
# then times, with N = BENCH_WORKERS (default nproc) parallel streams:
#   (a) sluice:  `sluice run` to Parquet zstd, N workers, N range tasks on id;
#   (b) raw:     N parallel psql sessions, each
#                COPY (select * from orders where id >= lo and id < hi)
#                TO STDOUT (FORMAT binary) into /dev/null, over the same N
#                id ranges: the speed of the server and the wire, no decoding;
#   (c) alternative: psql \copy to CSV, then DuckDB converting the CSV to
#                Parquet zstd (with the same column types).
# Reports wall seconds, CPU seconds (of the client processes, from
# /usr/bin/time, and of the whole machine including the server, from
# /proc/stat), peak RSS of the largest client process, output sizes, and the
# ratios sluice/raw and sluice/alternative against the goals (issue 16):
# within 1.3x raw, client CPU <= 4.0 s per 10M rows, faster than the
# alternative, peak RSS under 256 MB.
#
# BENCH_RUNS (default 3) runs (a) and (b) that many times, alternately, on
# the same table and reports medians; BENCH_ALT=0 skips (c). Client CPU per
# row is reported as rows per second per client core (rows / client CPU s).
# BENCH_BASE_BIN=path/to/older/sluice also runs that binary as (a0), in turn
# with (a) and (b) on the same table, and prints it beside (a): a change's
# before and after measured in the same run.
# BENCH_ALSO_WORKERS="1 4" also measures (a) and (b) once at each of those
# stream counts, on the same table, after the main runs (the issue asks for
# 1 and 4 streams beside 2).
# BENCH_KEEP=1 keeps the output directory. Nothing else runs in the
# background; the server is stopped at the end.
set -euo pipefail
. "$(dirname "$0")/../tests/lib/suite.sh"
. "$(dirname "$0")/lib/orders.sh"
ROWS=${BENCH_ROWS:-10000000}
N=${BENCH_WORKERS:-$(nproc)}
RUNS=${BENCH_RUNS:-3}
ALT=${BENCH_ALT:-1}
BASE_BIN=${BENCH_BASE_BIN:-}
ALSO=${BENCH_ALSO_WORKERS:-}
[ -x "$SLUICE_BIN" ] || { echo "pg_extract: $SLUICE_BIN not built (make)"; exit 1; }
TIME=/usr/bin/time
[ -x $TIME ] || { echo "pg_extract: /usr/bin/time missing (apt-get install time)"; exit 1; }

sl_suite_private_pg
sl_suite_workdir bench BENCH_KEEP
OUT=$W
export PGDATABASE=bench PGOPTIONS="-c client_min_messages=warning"
sl_pg_createdb bench

echo "pg_extract: generating $ROWS rows ..."
t0=$(date +%s)
bench_orders_table bench "$ROWS"
echo "pg_extract: generated in $(( $(date +%s) - t0 ))s; table size $(psql -X -tAc "select pg_size_pretty(pg_table_size('orders'))")"

# Busy jiffies of the whole machine (user+nice+system+irq+softirq+steal).
cpu_jiffies() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
HZ=$(getconf CLK_TCK)

# measure NAME command...: runs it under /usr/bin/time -v and records
# wall, client CPU, machine CPU and peak RSS in $OUT/NAME.*
measure() {
  local name=$1; shift
  local j0 j1
  sync
  j0=$(cpu_jiffies)
  $TIME -v -o "$OUT/$name.time" "$@" > "$OUT/$name.log" 2>&1 || { echo "pg_extract: $name failed:"; tail -n 20 "$OUT/$name.log"; return 1; }
  j1=$(cpu_jiffies)
  awk -v hz="$HZ" -v j="$((j1 - j0))" '
    /Elapsed \(wall clock\)/ { n = split($NF, p, ":"); w = (n == 3) ? p[1]*3600 + p[2]*60 + p[3] : p[1]*60 + p[2] }
    /User time/ { u = $NF } /System time/ { s = $NF }
    /Maximum resident set size/ { r = $NF }
    END { printf "%.2f %.2f %.2f %.0f\n", w, u + s, j / hz, r / 1024 }' "$OUT/$name.time" > "$OUT/$name.res"
}

MIN=$(psql -X -tAc "select min(id) from orders"); MAX=$(psql -X -tAc "select max(id) from orders")
bounds() {   # i [M] -> "lo hi" of range i of M (default N) over [MIN, MAX]
  local span=$(( MAX - MIN + 1 )) m=${2:-$N}
  echo "$(( MIN + span * $1 / m )) $(( MIN + span * ($1 + 1) / m ))"
}

# (a) sluice; sluice_job DIR M writes the job of M streams into DIR
sluice_job() {
mkdir -p "$1"
cat > "$1/job.yaml" <<EOF
name: bench_pg_extract
sources:
  pg: { kind: postgres, url: "$SLUICE_PG_URL/bench", max_connections: $2 }
targets:
  lake: { kind: parquet, path: "$1/lake", compression: zstd }
tables:
  orders:
    from: pg
    table: public.orders
    partition: { strategy: range, column: id, count: $2 }
    to: lake
EOF
}
sluice_job "$OUT/sluice" "$N"

# (a0) the baseline binary, if any: the same job into its own directory
if [ -n "$BASE_BIN" ]; then
  mkdir -p "$OUT/base"
  sed "s#$OUT/sluice/lake#$OUT/base/lake#" "$OUT/sluice/job.yaml" > "$OUT/base/job.yaml"
fi

# (b) raw: M binary COPY streams to /dev/null over the same ranges (raw_script M FILE)
raw_script() {
  {
    echo 'pids=()'
    for i in $(seq 0 $(($1 - 1))); do
      read -r lo hi < <(bounds "$i" "$1")
      echo "psql -X -q -c 'COPY (SELECT * FROM orders WHERE id >= $lo AND id < $hi) TO STDOUT (FORMAT binary)' > /dev/null &"
      echo 'pids+=($!)'
    done
    echo 'for p in "${pids[@]}"; do wait "$p" || exit 1; done'
  } > "$2"
}
raw_script "$N" "$OUT/raw.sh"

# (a) and (b), RUNS times each, alternately; the medians go to sluice.res, raw.res.
for run in $(seq 1 "$RUNS"); do
  echo "pg_extract: run $run/$RUNS: (a) sluice, $N workers ..."
  rm -rf "$OUT/sluice/lake" "$OUT/sluice/.sluice"
  measure "sluice.$run" "$SLUICE_BIN" run --workers "$N" --no-progress --log-level warn "$OUT/sluice/job.yaml"
  if [ -n "$BASE_BIN" ]; then
    echo "pg_extract: run $run/$RUNS: (a0) baseline $BASE_BIN ..."
    rm -rf "$OUT/base/lake" "$OUT/base/.sluice"
    measure "base.$run" "$BASE_BIN" run --workers "$N" --no-progress --log-level warn "$OUT/base/job.yaml"
  fi
  echo "pg_extract: run $run/$RUNS: (b) raw binary COPY, $N streams ..."
  measure "raw.$run" bash "$OUT/raw.sh"
done
# median NAME: per column, the median of $OUT/NAME.<run>.res into $OUT/NAME.res
median() {
  local f col out=""
  for col in 1 2 3 4; do
    out="$out $(for f in "$OUT/$1".[0-9]*.res; do cut -d' ' -f$col "$f"; done | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')"
  done
  echo $out > "$OUT/$1.res"
}
median sluice
median raw
if [ -n "$BASE_BIN" ]; then median base; fi

# Other stream counts, once each (BENCH_ALSO_WORKERS).
for m in $ALSO; do
  echo "pg_extract: $m streams: (a) sluice, (b) raw ..."
  sluice_job "$OUT/sluice_w$m" "$m"
  measure "sluice_w$m" "$SLUICE_BIN" run --workers "$m" --no-progress --log-level warn "$OUT/sluice_w$m/job.yaml"
  raw_script "$m" "$OUT/raw_w$m.sh"
  measure "raw_w$m" bash "$OUT/raw_w$m.sh"
  rm -rf "$OUT/sluice_w$m/lake"
done

# (c) the usual alternative: psql \copy to CSV, DuckDB to Parquet zstd
if [ "$ALT" = 1 ]; then
  echo "pg_extract: (c) psql \\copy to CSV ..."
  measure alt_csv psql -X -q -c "\\copy (select * from orders) to '$OUT/orders.csv' with (format csv, header)"
  echo "pg_extract: (c) DuckDB CSV -> Parquet zstd ..."
  cols="{'id': 'BIGINT', 'customer_id': 'INTEGER', 'status': 'VARCHAR', 'amount': 'DECIMAL(12,2)', 'created_at': 'TIMESTAMPTZ', 'note': 'VARCHAR', 'uid': 'UUID'}"
  measure alt_duck node tools/duck.js "COPY (SELECT * FROM read_csv('$OUT/orders.csv', header = true, columns = $cols)) TO '$OUT/orders.parquet' (FORMAT parquet, COMPRESSION zstd)"
fi

# Check: sluice wrote every row.
got=$(node tools/duck.js "select count(*) as n from read_parquet('$OUT/sluice/lake/orders/*.parquet')" | tail -n 1 || true)
[ "$got" = "$ROWS" ] || { echo "pg_extract: sluice wrote $got rows, expected $ROWS"; exit 1; }

size() { du -sb "$1" | cut -f1; }
ratio() { printf "%.2f" "$(echo "scale=4; $1 / $2" | bc)"; }
mb() { printf "%.1f" "$(echo "scale=3; $1 / 1048576" | bc)"; }
verdict() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo "met"; else echo "MISSED"; fi; }
per_core() { echo "$ROWS / $1" | bc; }   # rows per second per client core
read -r sw sc sm sr < "$OUT/sluice.res"
read -r rw rc rm rr < "$OUT/raw.res"
ssize=$(size "$OUT/sluice/lake")
r_raw=$(ratio "$sw" "$rw")

cat <<EOF

pg_extract: $ROWS rows, $N streams, $(nproc) cores, $(psql -X -tAc "show server_version" | cut -d' ' -f1) server, medians of $RUNS runs
                               wall s   client CPU s   machine CPU s   peak RSS MB   output
  (a) sluice -> Parquet zstd  $(printf '%8.2f %14.2f %15.2f %13s' "$sw" "$sc" "$sm" "$sr")   $(mb "$ssize") MB
  (b) raw binary COPY         $(printf '%8.2f %14.2f %15.2f %13s' "$rw" "$rc" "$rm" "$rr")   (to /dev/null)
EOF
if [ -n "$BASE_BIN" ]; then
  read -r bw bc bm br < "$OUT/base.res"
  cat <<EOF
  (a0) baseline binary        $(printf '%8.2f %14.2f %15.2f %13s' "$bw" "$bc" "$bm" "$br")   $(mb "$(size "$OUT/base/lake")") MB
  sluice / baseline:     $(ratio "$sw" "$bw") x wall, $(ratio "$sc" "$bc") x client CPU   (baseline / raw: $(ratio "$bw" "$rw") x wall)
EOF
fi
if [ "$ALT" = 1 ]; then
  read -r cw cc cm cr < "$OUT/alt_csv.res"
  read -r dw dc dm dr < "$OUT/alt_duck.res"
  aw=$(echo "$cw + $dw" | bc); ac=$(echo "$cc + $dc" | bc); am=$(echo "$cm + $dm" | bc)
  ar=$(( cr > dr ? cr : dr ))
  csize=$(size "$OUT/orders.csv"); psize=$(size "$OUT/orders.parquet")
  r_alt=$(ratio "$sw" "$aw")
  cat <<EOF
  (c) psql \\copy to CSV       $(printf '%8.2f %14.2f %15.2f %13s' "$cw" "$cc" "$cm" "$cr")   $(mb "$csize") MB CSV
      DuckDB CSV -> Parquet   $(printf '%8.2f %14.2f %15.2f %13s' "$dw" "$dc" "$dm" "$dr")   $(mb "$psize") MB
      alternative total       $(printf '%8.2f %14.2f %15.2f %13s' "$aw" "$ac" "$am" "$ar")
  sluice / alternative:  $r_alt x wall   (goal < 1.0: $(verdict "$r_alt < 1.0"))
EOF
fi
cat <<EOF
  sluice / raw:          $r_raw x wall   (goal <= 1.3: $(verdict "$r_raw <= 1.3"))
  sluice client CPU:     $sc s           (goal <= 4.0 s per 10M rows: $(verdict "$sc * 10000000 / $ROWS <= 4.0"))
  sluice peak RSS:       $sr MB          (goal < 256: $(verdict "$sr < 256"))
  rows/s: sluice $(echo "$ROWS / $sw" | bc), raw $(echo "$ROWS / $rw" | bc)
  rows/s per client core: sluice $(per_core "$sc"), raw $(per_core "$rc")
EOF
for m in $ALSO; do
  read -r aw ac am ar < "$OUT/sluice_w$m.res"
  read -r bw bc_ bm br < "$OUT/raw_w$m.res"
  printf "  %s streams (one run): sluice %.2f s wall, %.2f s client CPU, %s MB RSS; raw %.2f s: %s x; rows/s per client core %s\n" \
    "$m" "$aw" "$ac" "$ar" "$bw" "$(ratio "$aw" "$bw")" "$(per_core "$ac")"
done
