#!/usr/bin/env bash
# bench/parquet_write.sh - the Parquet writer against DuckDB's, in the same run.
#
# Writes BENCH_ROWS (default 10,000,000) orders-like rows from memory to
# Parquet with zstd and with snappy:
#   sluice   build/tools/pq_write_bench (bench/pq_write_bench.c): rows generated
#            into columnar batches and written by src/parquet's writer, one thread;
#   duckdb   COPY (SELECT ... FROM range(N)) TO ... (FORMAT parquet, COMPRESSION c)
#            with the same column formulas (identical values except the random
#            uuids), through tools/duck.js, DuckDB's default threads.
# Columns: id bigint, customer_id int (skewed), status text (5 values),
# amount decimal(12,2), created_at timestamptz, note text (20% NULL), uid uuid.
# Reports wall seconds, CPU seconds (user+sys), peak RSS (/usr/bin/time -v; the
# bash `time` builtin when it is missing: no RSS then) and file sizes, then the
# ratios sluice/duckdb. Goal: CPU seconds no more than DuckDB's (as fast per
# core used), file size at most 1.10x. Both files are read back by DuckDB and
# compared (row count and aggregates of the deterministic columns).
# BENCH_KEEP=1 keeps the output directory.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${SLUICE_BUILD:-build}
ROWS=${BENCH_ROWS:-10000000}
GEN=$ROOT/$BUILD/tools/pq_write_bench
[ -x "$GEN" ] || make --no-print-directory "$BUILD/tools/pq_write_bench" >/dev/null
OUT=$(mktemp -d /tmp/sluice-pqbench.XXXXXX)
[ "${BENCH_KEEP:-0}" = 1 ] || trap 'rm -rf "$OUT"' EXIT
HAVE_TIME=0; [ -x /usr/bin/time ] && HAVE_TIME=1

# measure NAME command... -> sets W (wall s), C (cpu s), R (peak RSS MB)
measure() {
  local name=$1; shift
  if [ $HAVE_TIME = 1 ]; then
    /usr/bin/time -v -o "$OUT/$name.time" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" ||
      { echo "parquet_write: $name failed:"; cat "$OUT/$name.err"; exit 1; }
    read -r W C R < <(awk '
      /Elapsed \(wall clock\)/ { n = split($NF, p, ":"); w = (n == 3) ? p[1]*3600 + p[2]*60 + p[3] : p[1]*60 + p[2] }
      /User time/ { u = $NF } /System time/ { s = $NF } /Maximum resident set size/ { r = $NF }
      END { printf "%.2f %.2f %.0f\n", w, u + s, r / 1024 }' "$OUT/$name.time")
  else
    local t
    t=$( { TIMEFORMAT='%R %U %S'; time "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"; } 2>&1 ) ||
      { echo "parquet_write: $name failed"; exit 1; }
    read -r W u s <<<"$t"
    C=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }'); R="?"
  fi
}

duck_sql() {   # codec path
  cat <<SQL
SET TimeZone='UTC';
COPY (SELECT
  i + 1 AS id,
  floor(((i * 2654435761) % 4294967296)::DOUBLE / 4294967296::DOUBLE
        * (((i * 2654435761) % 4294967296)::DOUBLE / 4294967296::DOUBLE) * 100000)::INTEGER AS customer_id,
  CASE WHEN (i * 2246822519) % 4294967296 % 100 < 50 THEN 'delivered'
       WHEN (i * 2246822519) % 4294967296 % 100 < 70 THEN 'shipped'
       WHEN (i * 2246822519) % 4294967296 % 100 < 85 THEN 'paid'
       WHEN (i * 2246822519) % 4294967296 % 100 < 95 THEN 'pending'
       ELSE 'cancelled' END AS status,
  (((i * 3266489917) % 4294967296 % 10000000)::DOUBLE / 100)::DECIMAL(12,2) AS amount,
  make_timestamp(1577836800000000 + i * 3000000 + (i * 668265263) % 4294967296 % 1000000)::TIMESTAMPTZ AS created_at,
  CASE WHEN (i * 374761393) % 4294967296 % 5 = 0 THEN NULL
       ELSE 'order note ' || ((i * 374761393) % 4294967296 % 100000) END AS note,
  gen_random_uuid() AS uid
FROM range(0, $ROWS) t(i)) TO '$2' (FORMAT parquet, COMPRESSION $1)
SQL
}

summary=""
echo "parquet_write: $ROWS rows, output in $OUT"
# DuckDB runs inside node: its start-up (node, DuckDB, an empty query) is
# measured once and taken off DuckDB's CPU seconds in the ratios.
measure duck_startup node tools/duck.js "SELECT 1"
boot=$C
echo "DuckDB peer start-up: ${boot}s CPU (subtracted from DuckDB's CPU in the ratios)"
printf "%-8s %-7s %9s %9s %9s %12s\n" codec writer wall_s cpu_s rss_mb bytes
for codec in zstd snappy; do
  measure "sluice_$codec" "$GEN" "$OUT/sluice_$codec.parquet" "$codec" "$ROWS"
  sw=$W sc=$C sr=$R ss=$(stat -c %s "$OUT/sluice_$codec.parquet")
  measure "duckdb_$codec" node tools/duck.js "$(duck_sql "$codec" "$OUT/duckdb_$codec.parquet")"
  dw=$W dc=$C dr=$R ds=$(stat -c %s "$OUT/duckdb_$codec.parquet")
  printf "%-8s %-7s %9s %9s %9s %12s\n" "$codec" sluice "$sw" "$sc" "$sr" "$ss" "$codec" duckdb "$dw" "$dc" "$dr" "$ds"
  # Same rows? (uids are random on both sides: compared by count only)
  q="SELECT count(*), sum(id), sum(customer_id), sum(amount), count(note), count(DISTINCT status), max(created_at), count(uid) FROM read_parquet"
  a=$(node tools/duck.js "SET TimeZone='UTC'; $q('$OUT/sluice_$codec.parquet')" | tail -n 1)
  b=$(node tools/duck.js "SET TimeZone='UTC'; $q('$OUT/duckdb_$codec.parquet')" | tail -n 1)
  if [ "$a" != "$b" ]; then echo "parquet_write: $codec: the files differ: sluice $a, duckdb $b"; exit 1; fi
  ratios=$(awk -v sw="$sw" -v dw="$dw" -v sc="$sc" -v dc="$dc" -v ss="$ss" -v ds="$ds" -v boot="$boot" 'BEGIN {
    net = dc - boot; if (net <= 0) net = dc
    printf "wall %.2fx, cpu %.2fx (goal <= 1.00), size %.3fx (goal <= 1.10)", sw / dw, sc / net, ss / ds }')
  echo "  $codec sluice/duckdb: $ratios; same rows: $a"
  summary="$summary
  $codec: sluice/duckdb $ratios"
done
measure gen_only "$GEN" /dev/null zstd "$ROWS" --gen-only
echo "  (generating the rows alone costs sluice ${C}s CPU of the above)"
echo "parquet_write:$summary"
