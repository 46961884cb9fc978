#!/usr/bin/env bash
# bench/partition_skew.sh - how partitioning decides extraction time on a
# skewed key: sluice `auto` against `range` (Spark's equal-width strides over
# min..max) and `mod`, on a table with clustered ids, and `auto` on a table
# with dense ids of the same size (a perfectly even split: the baseline).
#
# Starts its own PostgreSQL (tests/lib/pg.sh) and generates two tables of
# BENCH_ROWS rows (default 10,000,000), inserted in id order, with the same
# columns (id bigint primary key, n int, amount float8, note text):
#   dense      ids 1..N
#   clustered  90% of the rows with ids 1..0.9N (1% of the range below),
#              9.9% spread over 0.9N..90N (so 90% of the rows lie in 1% of
#              [1, 90N]), and 0.1% sparse outliers up to 2^62.
# Then, each with 2 workers (BENCH_WORKERS), tasks count auto (8), Parquet zstd:
#   (a) auto on clustered     (picks histogram: equal-depth ranges)
#   (b) range on clustered    (equal-width: one task gets almost every row)
#   (c) mod on clustered      (key % 8: no index helps, every task scans all)
#   (d) auto on dense         (picks range: even by construction; the baseline)
#   (e) pages on clustered    (ctid block ranges: even, TID Range Scans, no index)
# and prints wall seconds, from the run summary the largest task over the
# median task by rows and by seconds, CPU seconds of sluice (/usr/bin/time)
# and of the whole machine including the server (/proc/stat, with the
# average number of busy cores); then auto/dense (goal <= 1.10) and
# range/auto (goal >= 1.5). On a machine whose cores one stream already
# keeps busy (the server's backend plus sluice's decoding and encoding), two
# streams cannot be much faster than one: the cores-busy column shows it. Each table is read once before timing so every
# run starts from the same cache. BENCH_KEEP=1 keeps the outputs.
set -euo pipefail
. "$(dirname "$0")/../tests/lib/suite.sh"
ROWS=${BENCH_ROWS:-10000000}
WORKERS=${BENCH_WORKERS:-2}
[ -x "$SLUICE_BIN" ] || { echo "partition_skew: $SLUICE_BIN not built (make)"; exit 1; }

sl_suite_private_pg
sl_suite_workdir skew BENCH_KEEP
OUT=$W
export PGDATABASE=bench PGOPTIONS="-c client_min_messages=warning"
sl_pg_createdb bench

echo "partition_skew: generating 2 x $ROWS rows ..."
t0=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 <<EOF
CREATE TABLE dense (id bigint NOT NULL, n int NOT NULL, amount float8, note text);
INSERT INTO dense SELECT g, g, g * 0.37, 'note ' || (g % 100000) FROM generate_series(1, $ROWS) g;
ALTER TABLE dense ADD PRIMARY KEY (id);
CREATE TABLE clustered (id bigint NOT NULL, n int NOT NULL, amount float8, note text);
INSERT INTO clustered
SELECT CASE WHEN g <= $ROWS * 0.9 THEN g
            WHEN g <= $ROWS * 0.999 THEN ($ROWS * 0.9)::int8 + (g - ($ROWS * 0.9)::int8) * 900
            ELSE 4611686018427387904 - ($ROWS - g)::int8 * (4611686018427387904 / ($ROWS / 1000 + 1)) END,
       g, g * 0.37, 'note ' || (g % 100000)
FROM generate_series(1, $ROWS) g;
ALTER TABLE clustered ADD PRIMARY KEY (id);
VACUUM (FREEZE, ANALYZE) dense, clustered;
EOF
echo "partition_skew: generated in $(( $(date +%s) - t0 ))s; $(psql -X -tAc "select pg_size_pretty(pg_table_size('clustered'))") a table"

# Busy jiffies of the whole machine (user+nice+system+irq+softirq+steal).
cpu_jiffies() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
HZ=$(getconf CLK_TCK)
[ -x /usr/bin/time ] || { echo "partition_skew: /usr/bin/time missing (apt-get install time)"; exit 1; }

# name table strategy: one job, run once, timed; summary line kept.
run() {
  local name=$1 table=$2 strategy=$3
  mkdir -p "$OUT/$name"
  cat > "$OUT/$name/job.yaml" <<EOF
name: skew_$name
sources:
  pg: { kind: postgres, url: "$SLUICE_PG_URL/bench", max_connections: $WORKERS }
targets:
  lake: { kind: parquet, path: "$OUT/$name/lake", compression: zstd }
tables:
  t:
    from: pg
    table: public.$table
    partition: { strategy: $strategy$( [ "$strategy" = pages ] || echo ", column: id" ) }
    to: lake
EOF
  "$SLUICE_BIN" plan --workers "$WORKERS" "$OUT/$name/job.yaml" > "$OUT/$name/plan.txt"
  psql -X -q -c "SELECT count(*) FROM $table" > /dev/null   # same cache state for every run
  local s e j0 j1
  j0=$(cpu_jiffies)
  s=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$OUT/$name.cpu" \
    "$SLUICE_BIN" run --workers "$WORKERS" --no-progress "$OUT/$name/job.yaml" > "$OUT/$name/run.out" 2> "$OUT/$name/run.err" \
    || { echo "partition_skew: $name failed:"; tail -n 5 "$OUT/$name/run.err"; exit 1; }
  e=$(date +%s.%N)
  j1=$(cpu_jiffies)
  local wall skr sks note client machine
  wall=$(echo "$e - $s" | bc)
  client=$(awk '{ printf "%.2f", $1 + $2 }' "$OUT/$name.cpu")
  machine=$(echo "scale=2; ($j1 - $j0) / $HZ" | bc)
  skr=$(sed -n 's/.*table t: published .* task skew: rows \([0-9.]*\)x, time \([0-9.]*\)x.*/\1/p' "$OUT/$name/run.err")
  sks=$(sed -n 's/.*table t: published .* task skew: rows \([0-9.]*\)x, time \([0-9.]*\)x.*/\2/p' "$OUT/$name/run.err")
  note=$(sed -n 's/^  note   //p' "$OUT/$name/plan.txt" | cut -c 1-90)
  local got
  got=$(node tools/duck.js "select count(*) as n from read_parquet('$OUT/$name/lake/t/*.parquet')" | tail -n 1)
  [ "$got" = "$ROWS" ] || { echo "partition_skew: $name wrote $got rows, expected $ROWS"; exit 1; }
  printf '%s %s %s %s %s %s\n' "$wall" "$skr" "$sks" "$(grep -c '^  task ' "$OUT/$name/plan.txt")" "$client" "$machine" \
    > "$OUT/$name.res"
  echo "partition_skew: $name: ${wall}s, task skew rows ${skr}x, time ${sks}x, CPU sluice ${client}s machine ${machine}s ($note...)"
}

run auto_clustered clustered auto
run range_clustered clustered range
run mod_clustered clustered mod
run auto_dense dense auto
run pages_clustered clustered pages

read -r aw ar as an ac am < "$OUT/auto_clustered.res"
read -r rw rr rs rn rc rm < "$OUT/range_clustered.res"
read -r mw mr ms mn mc mm < "$OUT/mod_clustered.res"
read -r dw dr ds dn dc dm < "$OUT/auto_dense.res"
read -r pw pr ps pn pc pm < "$OUT/pages_clustered.res"
ratio() { printf "%.2f" "$(echo "scale=4; $1 / $2" | bc)"; }
verdict() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo "met"; else echo "MISSED"; fi; }
r_dense=$(ratio "$aw" "$dw"); r_range=$(ratio "$rw" "$aw"); r_mod=$(ratio "$mw" "$aw")
cat <<EOF

partition_skew: $ROWS rows a table, $WORKERS workers, $(nproc) cores, $(psql -X -tAc "show server_version" | cut -d' ' -f1) server
                                   tasks   wall s   largest/median task: rows   seconds   CPU s: sluice  machine (cores busy)
  (a) auto, clustered ids          $(printf '%5s %8.2f %22s %9s %15s %8s (%.1f)' "$an" "$aw" "${ar}x" "${as}x" "$ac" "$am" "$(echo "$am / $aw" | bc -l)")
  (b) range, clustered (Spark)     $(printf '%5s %8.2f %22s %9s %15s %8s (%.1f)' "$rn" "$rw" "${rr}x" "${rs}x" "$rc" "$rm" "$(echo "$rm / $rw" | bc -l)")
  (c) mod, clustered               $(printf '%5s %8.2f %22s %9s %15s %8s (%.1f)' "$mn" "$mw" "${mr}x" "${ms}x" "$mc" "$mm" "$(echo "$mm / $mw" | bc -l)")
  (d) auto, dense ids (baseline)   $(printf '%5s %8.2f %22s %9s %15s %8s (%.1f)' "$dn" "$dw" "${dr}x" "${ds}x" "$dc" "$dm" "$(echo "$dm / $dw" | bc -l)")
  (e) pages, clustered             $(printf '%5s %8.2f %22s %9s %15s %8s (%.1f)' "$pn" "$pw" "${pr}x" "${ps}x" "$pc" "$pm" "$(echo "$pm / $pw" | bc -l)")
  auto clustered / auto dense:  $r_dense x wall   (goal <= 1.10: $(verdict "$r_dense <= 1.10"))
  range / auto on clustered:    $r_range x wall   (goal >= 1.5: $(verdict "$r_range >= 1.5"))
  mod / auto on clustered:      $r_mod x wall
  pages / auto on clustered:    $(ratio "$pw" "$aw") x wall
EOF
