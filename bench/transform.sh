#!/usr/bin/env bash
# bench/transform.sh - computed tables (sql:) against the same SQL in
# PostgreSQL and in DuckDB alone, measured in the same run on the same data.
#
# Starts its own PostgreSQL, generates the orders table of pg_extract.sh
# (bench/lib/orders.sh, BENCH_ROWS rows, default 10,000,000) and a customers
# table of BENCH_ROWS/10 rows, then:
#   (a) sluice: one job that extracts both tables to a Parquet lake and
#       computes, from them,
#         customer_month  a customer-month aggregate joined to customers;
#         latest_order    the latest order per customer (row_number dedup);
#       the transform step is timed from the log: from the first computed
#       table starting to the last one published (both run at the same
#       time), and the whole run's peak RSS is reported against the job's
#       transform.memory_limit (BENCH_MEMORY, default 2GB);
#   (b) PostgreSQL: `create table ... as` of the same two queries on the
#       source tables (one after the other: the server's own parallelism);
#   (c) DuckDB alone (node tools/duck.js, the same DuckDB 1.4): the same two
#       queries over the same Parquet files sluice extracted, each written
#       with COPY ... TO Parquet (zstd), with the same threads.
# Reports seconds and the ratios against the issue's goals: (a) within 1.2x
# of (c), at least 3x faster than (b), peak RSS within memory_limit.
# BENCH_THREADS (default nproc) sets DuckDB's threads and sluice's workers;
# BENCH_KEEP=1 keeps the output directory.
set -euo pipefail
. "$(dirname "$0")/../tests/lib/suite.sh"
. "$(dirname "$0")/lib/orders.sh"
ROWS=${BENCH_ROWS:-10000000}
CUST=$(( ROWS / 10 ))
T=${BENCH_THREADS:-$(nproc)}
MEM=${BENCH_MEMORY:-2GB}
[ -x "$SLUICE_BIN" ] || { echo "transform: $SLUICE_BIN not built (make)"; exit 1; }
TIME=/usr/bin/time
[ -x $TIME ] || { echo "transform: /usr/bin/time missing (apt-get install time)"; exit 1; }

sl_suite_private_pg
sl_suite_workdir bench-transform BENCH_KEEP
OUT=$W
export PGDATABASE=bench PGOPTIONS="-c client_min_messages=warning"
sl_pg_createdb bench

echo "transform: generating $ROWS orders and $CUST customers ..."
t0=$(date +%s)
bench_orders_table bench "$ROWS"
psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, country char(2), signed_up_at timestamptz NOT NULL);
INSERT INTO customers SELECT g, 'customer ' || g, (ARRAY['DE','FR','JP','BR','US',NULL])[1 + g % 6],
  timestamptz '2019-01-01 00:00:00+00' + g * interval '17 seconds' FROM generate_series(1, $CUST) g;
VACUUM (FREEZE, ANALYZE) customers;
SQL
echo "transform: generated in $(( $(date +%s) - t0 ))s"

# The two queries, in SQL that PostgreSQL and DuckDB both run.
Q_MONTH="select c.id as customer_id, c.country, date_trunc('month', o.created_at) as month,
  count(*) as orders, sum(o.amount) as revenue, max(o.amount) as largest
  from orders o join customers c on c.id = o.customer_id
  group by c.id, c.country, date_trunc('month', o.created_at)"
Q_LATEST="select id, customer_id, status, amount, created_at from (
  select o.*, row_number() over (partition by customer_id order by created_at desc, id desc) as rn
  from orders o) x where rn = 1"
indent() { sed 's/^/      /'; }

# (a) sluice
mkdir -p "$OUT/sluice"
cat > "$OUT/sluice/job.yaml" <<EOF
name: bench_transform
transform: { memory_limit: $MEM, threads: $T, temp_directory: "$OUT/sluice/spill" }
sources:
  pg: { kind: postgres, url: "$SLUICE_PG_URL/bench", max_connections: $T }
targets:
  lake: { kind: parquet, path: "$OUT/sluice/lake", compression: zstd }
tables:
  orders: { from: pg, table: public.orders, partition: { strategy: range, column: id, count: $T }, to: lake }
  customers: { from: pg, table: public.customers, to: lake }
  customer_month:
    sql: |
$(echo "$Q_MONTH" | indent)
    to: lake
  latest_order:
    sql: |
$(echo "$Q_LATEST" | indent)
    to: lake
EOF
echo "transform: (a) sluice run (extract + transform) ..."
$TIME -v -o "$OUT/sluice.time" "$SLUICE_BIN" run --workers "$T" --log-level info "$OUT/sluice/job.yaml" \
  > "$OUT/sluice.log" 2>&1 || { echo "transform: sluice failed:"; tail -n 20 "$OUT/sluice.log"; exit 1; }
secs() { date -u -d "$1" +%s.%N; }
first=$(grep -m1 'its inputs are published; computing it' "$OUT/sluice.log" | awk '{print $1}')
last=""
for t in customer_month latest_order; do
  l=$(grep "table $t: published" "$OUT/sluice.log" | awk '{print $1}')
  [ -z "$last" ] || [[ "$l" > "$last" ]] && last=$l
done
A=$(echo "$(secs "$last") - $(secs "$first")" | bc)
RUN=$(awk '/Elapsed \(wall clock\)/ { n = split($NF, p, ":"); print (n == 3) ? p[1]*3600 + p[2]*60 + p[3] : p[1]*60 + p[2] }' "$OUT/sluice.time")
RSS=$(awk '/Maximum resident set size/ { print int($NF / 1024) }' "$OUT/sluice.time")
rows_m=$(node tools/duck.js "select count(*) from '$OUT/sluice/lake/customer_month/*.parquet'" | tail -1)
rows_l=$(node tools/duck.js "select count(*) from '$OUT/sluice/lake/latest_order/*.parquet'" | tail -1)

# (b) PostgreSQL
echo "transform: (b) PostgreSQL create table as ..."
p0=$(date +%s.%N)
psql -X -q -v ON_ERROR_STOP=1 -c "create table pg_month as $Q_MONTH" -c "create table pg_latest as $Q_LATEST"
B=$(echo "$(date +%s.%N) - $p0" | bc)
pg_m=$(psql -X -tAc "select count(*) from pg_month"); pg_l=$(psql -X -tAc "select count(*) from pg_latest")

# (c) DuckDB alone, on the Parquet files sluice extracted
echo "transform: (c) DuckDB alone ..."
L=$OUT/sluice/lake
d0=$(date +%s.%N)
$TIME -v -o "$OUT/duck.time" node tools/duck.js "set threads = $T; set memory_limit = '$MEM';
  create view orders as select * from read_parquet('$L/orders/*.parquet');
  create view customers as select * from read_parquet('$L/customers/*.parquet');
  copy ($Q_MONTH) to '$OUT/duck_month.parquet' (format parquet, compression zstd);
  copy ($Q_LATEST) to '$OUT/duck_latest.parquet' (format parquet, compression zstd);
  select 1" > "$OUT/duck.log" 2>&1 || { echo "transform: duckdb failed:"; tail "$OUT/duck.log"; exit 1; }
C=$(echo "$(date +%s.%N) - $d0" | bc)
DRSS=$(awk '/Maximum resident set size/ { print int($NF / 1024) }' "$OUT/duck.time")

echo
echo "transform: $ROWS orders, $CUST customers; $T threads; memory_limit $MEM"
printf "  rows: customer_month %s (PostgreSQL %s), latest_order %s (PostgreSQL %s)\n" "$rows_m" "$pg_m" "$rows_l" "$pg_l"
printf "  (a) sluice transform step  %8.2f s   (whole run with extraction %.2f s, peak RSS %d MB)\n" "$A" "$RUN" "$RSS"
printf "  (b) PostgreSQL create as   %8.2f s\n" "$B"
printf "  (c) DuckDB alone           %8.2f s   (peak RSS %d MB)\n" "$C" "$DRSS"
printf "  sluice / DuckDB alone: %.2fx (goal <= 1.2x); PostgreSQL / sluice: %.2fx (goal >= 3x)\n" \
  "$(echo "$A / $C" | bc -l)" "$(echo "$B / $A" | bc -l)"
[ "$rows_m" = "$pg_m" ] && [ "$rows_l" = "$pg_l" ] || { echo "transform: row counts differ from PostgreSQL's"; exit 1; }
