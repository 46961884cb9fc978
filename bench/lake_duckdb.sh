#!/usr/bin/env bash
# bench/lake_duckdb.sh - lake -> DuckDB file: sluice's parquet source into a
# duckdb target, against DuckDB's own `create table orders as select * from
# read_parquet(lake)` (build/tools/duck_sql, the same libduckdb), in the
# same run, over the same Parquet files. Issue 9's goal: within 1.5x.
#
# BENCH_ROWS (default 2,000,000) orders-like rows (the columns of
# bench/duckdb_load.sh) are written by sluice from PostgreSQL into a Parquet
# lake (BENCH_FILES files, default 4, zstd; not measured), then:
#   (s) sluice: `kind: parquet` source, table orders (the lake's manifest),
#       BENCH_WORKERS (default nproc) workers -> `kind: duckdb` target;
#   (d) DuckDB: create table as select * from read_parquet(the files).
# Reports wall and CPU seconds (/usr/bin/time -v), peak RSS, sluice's load
# step (its publish: DuckDB loading the staged Parquet files), and the
# ratios. Both files are checked for the same count and sums.
# BENCH_KEEP=1 keeps the working directory.
set -euo pipefail
. "$(dirname "$0")/../tests/lib/suite.sh"
ROWS=${BENCH_ROWS:-2000000}
N=${BENCH_WORKERS:-$(nproc)}
FILES=${BENCH_FILES:-4}
BUILD=${SLUICE_BUILD:-build}
DUCK=$ROOT/$BUILD/tools/duck_sql
[ -x "$SLUICE_BIN" ] || { echo "lake_duckdb: $SLUICE_BIN not built (make)"; exit 1; }
[ -x "$DUCK" ] || make --no-print-directory "$BUILD/tools/duck_sql" >/dev/null
TIME=/usr/bin/time
[ -x $TIME ] || { echo "lake_duckdb: /usr/bin/time missing (apt-get install time)"; exit 1; }

sl_suite_private_pg
sl_suite_workdir lakeduck BENCH_KEEP
OUT=$W
export PGDATABASE=bench PGOPTIONS="-c client_min_messages=warning"
sl_pg_createdb bench

measure() {   # NAME command... -> "wall cpu rss_mb" in $OUT/NAME.res
  local name=$1; shift
  sync
  $TIME -v -o "$OUT/$name.time" "$@" > "$OUT/$name.log" 2>&1 || { echo "lake_duckdb: $name failed:"; tail -n 20 "$OUT/$name.log"; exit 1; }
  awk '
    /Elapsed \(wall clock\)/ { n = split($NF, p, ":"); w = (n == 3) ? p[1]*3600 + p[2]*60 + p[3] : p[1]*60 + p[2] }
    /User time/ { u = $NF } /System time/ { s = $NF } /Maximum resident set size/ { r = $NF }
    END { printf "%.2f %.2f %.0f\n", w, u + s, r / 1024 }' "$OUT/$name.time" > "$OUT/$name.res"
}
row() { read -r w c r < "$OUT/$1.res"; printf "  %-46s %8s %8s %8s\n" "$2" "$w" "$c" "$r"; }
ratio() { awk -v a="$(cut -d' ' -f"$3" "$OUT/$1.res")" -v b="$(cut -d' ' -f"$3" "$OUT/$2.res")" 'BEGIN { printf "%.2fx", a / b }'; }
check() {   # DBFILE -> count and sums
  node "$ROOT/tools/duck.js" --db "$1" "select count(*), sum(id), sum(customer_id), sum(amount), count(note),
    count(distinct status), max(epoch_us(created_at)), count(uid) from orders" | tail -n 1
}

echo "lake_duckdb: generating $ROWS rows and the lake ..."
t0=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE orders (id bigint NOT NULL, customer_id int NOT NULL, status text NOT NULL, amount numeric(12,2),
  created_at timestamptz NOT NULL, note text, uid uuid NOT NULL);
INSERT INTO orders
SELECT g, (g * 2654435761 % 1000003)::int,
       (ARRAY['delivered','delivered','delivered','shipped','paid','new','cancelled','returned'])[1 + g % 8],
       ((g::bigint * 7919 % 500000) / 100.0)::numeric(12,2),
       timestamptz '2020-01-01 00:00:00+00' + g * interval '9 seconds',
       CASE WHEN g % 5 = 0 THEN NULL ELSE 'customer note ' || substr(md5(g::text), 1, 8 + g % 17) END,
       md5(g::text || 'u')::uuid
FROM generate_series(1, $ROWS) g;
ALTER TABLE orders ADD PRIMARY KEY (id);
VACUUM (FREEZE, ANALYZE) orders;
SQL
cat > "$OUT/lake.yaml" <<YAML
name: bench_lake
sources: { pg: { kind: postgres, url: "$SLUICE_PG_URL/bench", max_connections: $N } }
targets: { lake: { kind: parquet, path: "$OUT/lake", compression: zstd } }
tables: { orders: { from: pg, table: public.orders, partition: { strategy: range, column: id, count: $FILES }, to: lake } }
YAML
"$SLUICE_BIN" run --workers "$N" --no-progress --log-level warn "$OUT/lake.yaml"
echo "lake_duckdb: generated in $(( $(date +%s) - t0 ))s; lake $(du -sh "$OUT/lake/orders" | cut -f1), $(ls "$OUT/lake/orders"/*.parquet | wc -l) files"

mkdir -p "$OUT/s"
cat > "$OUT/s/job.yaml" <<YAML
name: bench_lake_duckdb
sources: { lk: { kind: parquet, path: "$OUT/lake" } }
targets: { wh: { kind: duckdb, path: ./warehouse.duckdb } }
tables: { orders: { from: lk, table: orders, to: wh } }
YAML
echo "lake_duckdb: (s) sluice parquet source -> duckdb ..."
measure s "$SLUICE_BIN" run --workers "$N" --no-progress --log-level debug "$OUT/s/job.yaml"
echo "lake_duckdb: (d) DuckDB read_parquet ..."
measure d "$DUCK" "$OUT/d.duckdb" "create table orders as select * from read_parquet('$OUT/lake/orders/*.parquet')"

ref=$(check "$OUT/d.duckdb"); got=$(check "$OUT/s/warehouse.duckdb")
[ "$got" = "$ref" ] || { echo "lake_duckdb: sluice's file differs: $got (want $ref)"; exit 1; }
echo "lake_duckdb: both files hold the same rows ($ref)"
LS=$(sed -n 's/.*load and commit \([0-9.]*\) s.*/\1/p' "$OUT/s.log" | head -n 1)
echo
printf "  %-46s %8s %8s %8s\n" "$ROWS rows, $N workers" wall_s cpu_s rss_mb
row s "(s) sluice: lake -> parquet source -> DuckDB"
row d "(d) DuckDB: create table as read_parquet(lake)"
printf "  %-46s %8s\n" "(s) of which the load step (publish)" "${LS:-?}"
echo
echo "  lake -> DuckDB: sluice/DuckDB wall $(ratio s d 1), cpu $(ratio s d 2) (goal <= 1.5x)"
