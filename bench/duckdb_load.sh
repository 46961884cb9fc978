#!/usr/bin/env bash
# bench/duckdb_load.sh - loading a DuckDB database file: sluice's duckdb
# target against DuckDB's own loading, with the same libduckdb (1.4), in the
# same run.
#
# BENCH_ROWS (default 5,000,000) orders-like rows (id bigint, customer_id int,
# status text, amount decimal(12,2), created_at timestamptz, note text 20%
# NULL, uid uuid), N = BENCH_WORKERS (default nproc) workers:
#   csv  (a) sluice: 4 CSV files (a csv source, one task per file, declared
#            column types) -> a duckdb target;
#        (b) DuckDB: create table as select * from read_csv([the 4 files],
#            the same column types), build/tools/duck_sql;
#   pg   (c) sluice: a PostgreSQL table (range partitions on id, N tasks) ->
#            a duckdb target;
#        (d) the two-step way: sluice to a Parquet lake (zstd), then DuckDB:
#            create table as select * from read_parquet(the lake's files);
#   lake (e) the load step alone: DuckDB's create table as select * from
#            read_parquet(lake) (from (d)) against the load step of (c)
#            (sluice's publish of its staged Parquet files, from its log).
# Reports wall seconds, CPU seconds of the client process (/usr/bin/time -v)
# and peak RSS, then the ratios; goal: within 1.5x of DuckDB's own load.
# Every DuckDB file is checked for the row count and a few sums.
# A whole lake -> DuckDB run (the parquet source) is bench/lake_duckdb.sh.
# BENCH_KEEP=1 keeps the working directory.
set -euo pipefail
. "$(dirname "$0")/../tests/lib/suite.sh"
ROWS=${BENCH_ROWS:-5000000}
N=${BENCH_WORKERS:-$(nproc)}
BUILD=${SLUICE_BUILD:-build}
DUCK=$ROOT/$BUILD/tools/duck_sql
[ -x "$SLUICE_BIN" ] || { echo "duckdb_load: $SLUICE_BIN not built (make)"; exit 1; }
[ -x "$DUCK" ] || make --no-print-directory "$BUILD/tools/duck_sql" >/dev/null
TIME=/usr/bin/time
[ -x $TIME ] || { echo "duckdb_load: /usr/bin/time missing (apt-get install time)"; exit 1; }

sl_suite_private_pg
sl_suite_workdir duckbench BENCH_KEEP
OUT=$W
export PGDATABASE=bench PGOPTIONS="-c client_min_messages=warning"
sl_pg_createdb bench

# measure NAME command... -> "wall cpu rss_mb" in $OUT/NAME.res, output in $OUT/NAME.log
measure() {
  local name=$1; shift
  sync
  $TIME -v -o "$OUT/$name.time" "$@" > "$OUT/$name.log" 2>&1 || { echo "duckdb_load: $name failed:"; tail -n 20 "$OUT/$name.log"; exit 1; }
  awk '
    /Elapsed \(wall clock\)/ { n = split($NF, p, ":"); w = (n == 3) ? p[1]*3600 + p[2]*60 + p[3] : p[1]*60 + p[2] }
    /User time/ { u = $NF } /System time/ { s = $NF } /Maximum resident set size/ { r = $NF }
    END { printf "%.2f %.2f %.0f\n", w, u + s, r / 1024 }' "$OUT/$name.time" > "$OUT/$name.res"
}
res() { cat "$OUT/$1.res"; }
row() { read -r w c r < "$OUT/$1.res"; printf "  %-44s %8s %8s %8s\n" "$2" "$w" "$c" "$r"; }
ratio() { awk -v a="$(cut -d' ' -f"$3" "$OUT/$1.res")" -v b="$4" 'BEGIN { printf "%.2fx", a / b }'; }
sum2() { awk -v a="$(cut -d' ' -f"$3" "$OUT/$1.res")" -v b="$(cut -d' ' -f"$3" "$OUT/$2.res")" 'BEGIN { printf "%.2f", a + b }'; }
check() {   # DBFILE TABLE -> the count and sums; all files must agree
  "$DUCK" "$1" "select count(*) from (select 1 from $2)" > /dev/null
  node "$ROOT/tools/duck.js" --db "$1" "select count(*), sum(id), sum(customer_id), sum(amount), count(note),
    count(distinct status), max(epoch_us(created_at)), count(uid) from $2" | tail -n 1
}

echo "duckdb_load: generating $ROWS rows ..."
t0=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 <<EOF
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
EOF
mkdir -p "$OUT/csv"
for i in 0 1 2 3; do
  PGOPTIONS="$PGOPTIONS -c TimeZone=UTC" psql -X -q -c "COPY (SELECT * FROM orders WHERE id % 4 = $i) TO STDOUT (FORMAT csv, HEADER)" \
    > "$OUT/csv/orders-$i.csv"
done
echo "duckdb_load: generated in $(( $(date +%s) - t0 ))s; CSV $(du -sh "$OUT/csv" | cut -f1)"
COLS='id: int64, customer_id: int32, status: string, amount: "decimal(12,2)", created_at: timestamptz, note: string, uid: uuid'
DCOLS="{'id': 'BIGINT', 'customer_id': 'INTEGER', 'status': 'VARCHAR', 'amount': 'DECIMAL(12,2)', 'created_at': 'TIMESTAMPTZ', 'note': 'VARCHAR', 'uid': 'UUID'}"

job() {   # dir target-yaml source-yaml table-yaml
  mkdir -p "$1"
  printf 'name: bench_duckdb\nsources:\n  src: %s\ntargets:\n  t: %s\ntables:\n  orders: %s\n' "$3" "$2" "$4" > "$1/job.yaml"
}
DUCKT="{ kind: duckdb, path: ./warehouse.duckdb }"
PGSRC="{ kind: postgres, url: \"$SLUICE_PG_URL/bench\", max_connections: $N }"
PGTAB="{ from: src, table: public.orders, partition: { strategy: range, column: id, count: $N }, to: t }"

echo "duckdb_load: (a) sluice csv -> duckdb ..."
job "$OUT/a" "$DUCKT" "{ kind: csv, path: $OUT/csv }" "{ from: src, file: \"orders-*.csv\", to: t, columns: { $COLS } }"
measure a "$SLUICE_BIN" run --workers "$N" --no-progress --log-level debug "$OUT/a/job.yaml"
echo "duckdb_load: (b) DuckDB read_csv ..."
measure b "$DUCK" "$OUT/b.duckdb" "create table orders as select * from read_csv('$OUT/csv/orders-*.csv', header = true,
  columns = $DCOLS)"
echo "duckdb_load: (c) sluice postgres -> duckdb ..."
job "$OUT/c" "$DUCKT" "$PGSRC" "$PGTAB"
measure c "$SLUICE_BIN" run --workers "$N" --no-progress --log-level debug "$OUT/c/job.yaml"
echo "duckdb_load: (d) sluice postgres -> lake, then DuckDB read_parquet ..."
job "$OUT/d" "{ kind: parquet, path: ./lake, compression: zstd }" "$PGSRC" "$PGTAB"
measure d1 "$SLUICE_BIN" run --workers "$N" --no-progress "$OUT/d/job.yaml"
measure d2 "$DUCK" "$OUT/d.duckdb" "create table orders as select * from read_parquet('$OUT/d/lake/orders/*.parquet')"

# The same rows everywhere.
ref=$(check "$OUT/b.duckdb" orders)
for f in "$OUT/a/warehouse.duckdb" "$OUT/c/warehouse.duckdb" "$OUT/d.duckdb"; do
  got=$(check "$f" orders)
  [ "$got" = "$ref" ] || { echo "duckdb_load: $f differs: $got (want $ref)"; exit 1; }
done
echo "duckdb_load: every DuckDB file holds the same rows ($ref)"

load_s() { sed -n 's/.*load and commit \([0-9.]*\) s.*/\1/p' "$OUT/$1.log" | head -n 1; }
LA=$(load_s a) LC=$(load_s c)
echo
printf "  %-44s %8s %8s %8s\n" "$ROWS rows, $N workers" wall_s cpu_s rss_mb
row a "(a) sluice: CSV -> DuckDB file"
row b "(b) DuckDB: read_csv -> table"
row c "(c) sluice: PostgreSQL -> DuckDB file"
row d1 "(d1) sluice: PostgreSQL -> Parquet lake"
row d2 "(d2) DuckDB: read_parquet(lake) -> table"
printf "  %-44s %8s\n" "(c) of which the load step (publish)" "$LC"
printf "  %-44s %8s\n" "(a) of which the load step (publish)" "$LA"
echo
echo "  csv:  sluice/DuckDB wall $(ratio a b 1 "$(cut -d' ' -f1 "$OUT/b.res")"), cpu $(ratio a b 2 "$(cut -d' ' -f2 "$OUT/b.res")") (goal <= 1.5x)"
echo "  pg:   sluice/two-step wall $(ratio c x 1 "$(sum2 d1 d2 1)"), cpu $(ratio c x 2 "$(sum2 d1 d2 2)")"
echo "  lake: sluice's load step / DuckDB's read_parquet wall $(awk -v a="$LC" -v b="$(cut -d' ' -f1 "$OUT/d2.res")" 'BEGIN { printf "%.2fx", a / b }') (goal <= 1.5x)"
