#!/usr/bin/env bash
# bench/s3_write.sh - writing a table straight to an object store versus the
# two-step copy (the "lake on an S3-compatible object store" issue).
#
# Starts its own PostgreSQL and a local S3 server (the npm package s3rver,
# tools/node_modules, on 127.0.0.1), generates the orders table
# (bench/lib/orders.sh, BENCH_ROWS rows, default 10,000,000) and, in the
# same run:
#   direct   `sluice run` to s3://bench/direct (parquet zstd, N range tasks,
#            multipart uploads of SLUICE_S3_PART_BYTES, default 8 MiB);
#   two-step `sluice run` to a local directory, then
#            `aws s3 cp --recursive` of the table to s3://bench/twostep.
# Prints wall seconds of each, the ratio two-step / direct (goal: >= 1.5)
# and sluice's peak RSS for the direct run, also at a quarter of the rows
# (memory must not grow with the table). Note: s3rver (Node.js, one
# process, every object written to its disk) is usually the bottleneck here,
# for both ways; the ratio then mostly measures overlap of encoding and
# uploading. BENCH_WORKERS (default nproc), BENCH_KEEP=1 keeps the files.
set -euo pipefail
. "$(dirname "$0")/../tests/lib/suite.sh"
ROWS=${BENCH_ROWS:-10000000}
N=${BENCH_WORKERS:-$(nproc)}
[ -x "$SLUICE_BIN" ] || { echo "s3_write: $SLUICE_BIN not built (make)"; exit 1; }
TIME=/usr/bin/time
[ -x $TIME ] || { echo "s3_write: /usr/bin/time missing (apt-get install time)"; exit 1; }
S3RVER=$ROOT/tools/node_modules/.bin/s3rver
[ -x "$S3RVER" ] && command -v aws >/dev/null || { echo "s3_write: s3rver or aws missing (scripts/install-deps.sh)"; exit 1; }

. "$(dirname "$0")/lib/orders.sh"
sl_suite_private_pg
sl_suite_workdir bench-s3 BENCH_KEEP
S3PID=
sl_suite_on_exit() { [ -n "$S3PID" ] && kill "$S3PID" 2>/dev/null; wait 2>/dev/null || true; }
export PGDATABASE=bench PGOPTIONS="-c client_min_messages=warning"
sl_pg_createdb bench
echo "s3_write: generating $ROWS rows ..."
bench_orders_table bench "$ROWS"
psql -X -q -d bench -c "CREATE TABLE orders_q AS SELECT * FROM orders WHERE id <= $ROWS / 4" \
  -c "ALTER TABLE orders_q ADD PRIMARY KEY (id)" -c "VACUUM ANALYZE orders_q"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$W/s3"
node "$S3RVER" -d "$W/s3" -a 127.0.0.1 -p "$PORT" --silent >"$W/s3rver.log" 2>&1 &
S3PID=$!
export HOME=$W AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1
s3() { aws --endpoint-url "http://127.0.0.1:$PORT" "$@"; }
for i in $(seq 50); do s3 s3 ls >/dev/null 2>&1 && break; sleep 0.2; done
s3 s3 mb s3://bench >/dev/null

job() {   # job NAME TABLE PATH [TARGET KEYS]
  cat > "$W/$1.yaml" <<YAML
name: bench_s3_$1
sources:
  pg: { kind: postgres, url: "$SLUICE_PG_URL/bench", max_connections: $N }
targets:
  lake: { kind: parquet, path: "$3", compression: zstd${4:+, $4} }
tables:
  orders: { from: pg, table: public.$2, partition: { strategy: range, column: id, count: $N }, to: lake }
YAML
}
# wall and peak RSS (kB) of a command, from /usr/bin/time -v
timed() {
  local name=$1; shift
  $TIME -v -o "$W/$name.time" "$@" > "$W/$name.log" 2>&1 || { echo "s3_write: $name failed:"; tail -n 20 "$W/$name.log"; exit 1; }
  wall=$(awk '/Elapsed \(wall clock\)/ { n = split($NF, p, ":"); print (n == 3) ? p[1]*3600 + p[2]*60 + p[3] : p[1]*60 + p[2] }' "$W/$name.time")
  rss=$(awk '/Maximum resident/ { print $NF }' "$W/$name.time")
}

job direct orders "s3://bench/direct" "endpoint: \"http://127.0.0.1:$PORT\""
job local orders "$W/lake"
job quarter orders_q "s3://bench/quarter" "endpoint: \"http://127.0.0.1:$PORT\""

echo
echo "s3_write: $ROWS rows, $N workers, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
timed direct "$SLUICE_BIN" run --no-progress --workers "$N" "$W/direct.yaml"
d_wall=$wall d_rss=$rss
timed local "$SLUICE_BIN" run --no-progress --workers "$N" "$W/local.yaml"
l_wall=$wall l_rss=$rss
timed cp aws --endpoint-url "http://127.0.0.1:$PORT" s3 cp --recursive --only-show-errors "$W/lake/orders" s3://bench/twostep/orders
c_wall=$wall
timed quarter "$SLUICE_BIN" run --no-progress --workers "$N" "$W/quarter.yaml"
q_rss=$rss
bytes=$(s3 s3 ls --recursive --summarize s3://bench/direct/orders/ | awk '/Total Size/ {print $3}')
two=$(echo "$l_wall + $c_wall" | bc)
printf "  %-34s %8.2f s   (%s bytes of Parquet)\n" "direct: sluice -> s3://" "$d_wall" "$bytes"
printf "  %-34s %8.2f s   (sluice %.2f s + aws s3 cp %.2f s)\n" "two-step: sluice -> dir, aws s3 cp" "$two" "$l_wall" "$c_wall"
printf "  ratio two-step / direct: %.2fx (goal >= 1.5x)\n" "$(echo "scale=4; $two / $d_wall" | bc)"
printf "  peak RSS of the direct run: %d MB at %d rows, %d MB at %d rows (to a local directory: %d MB)\n" \
  "$((d_rss / 1024))" "$ROWS" "$((q_rss / 1024))" "$((ROWS / 4))" "$((l_rss / 1024))"
