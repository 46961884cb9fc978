#!/usr/bin/env bash
# 48-sql-models: computed tables (sql:) on embedded DuckDB.
#   1. the declarative cases of tests/sql/cases/ (the 20-e2e runner, same
#      format): input tables in PostgreSQL, a job with SQL nodes, and as the
#      oracle the same SQL run by PostgreSQL on the source tables;
#   2. bad input: unknown table, cycle, syntax error (validate, plan, run),
#      an unmapped type, a failed input (the node is skipped, the rest goes on);
#   3. faults: kill -9 during a computed table then resume equals a clean
#      run; a failing computed table leaves its previous version live.
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
sl_suite_pg -c extra_float_digits=1
export PGTZ=UTC PGDATESTYLE=ISO PGCLIENTENCODING=UTF8 TZ=UTC LC_ALL=C.UTF-8

# 1. declarative cases
# (SLUICE_SQL_SKIP_CASES=1 skips them, to iterate on the checks below.)
if [ "${SLUICE_SQL_SKIP_CASES:-0}" != 1 ]; then
  if SLUICE_E2E_CASES=$ROOT/tests/sql/cases bash "$ROOT/tests/suites/20-e2e.sh"; then ok "sql cases"; else bad "sql cases"; fi
fi

# A shop database for the checks below.
sl_suite_workdir sqlmodels SLUICE_SQL_KEEP
DB=sql_models
sl_pg_createdb "$DB" || { echo "cannot create database $DB"; exit 1; }
export PGDATABASE=$DB PG_URL="$SLUICE_PG_URL/$DB"
psql -X -q -v ON_ERROR_STOP=1 -f tests/sql/shop.sql >/dev/null || { echo "cannot load tests/sql/shop.sql"; exit 1; }
S=$SLUICE_BIN

# A job with the given tables: lines appended under tables:.
job() {   # dir, then the tables' YAML on stdin
  mkdir -p "$1"
  { cat <<YAML
name: $(basename "$1")
sources:
  shop: { kind: postgres, url: "\${PG_URL}" }
targets:
  lake: { kind: parquet, path: ./lake }
tables:
YAML
    cat; } > "$1/job.yaml"
}

# 2. bad input
job "$W/unknown" <<'YAML'
  orders: { from: shop, table: public.orders, to: lake }
  per_customer:
    sql: |
      select customer_id, count(*) as n
      from ordrs group by customer_id
    to: lake
YAML
for cmd in validate plan run; do
  out=$(cd "$W/unknown" && "$S" $cmd job.yaml 2>&1); rc=$?
  if [ $rc = 2 ] && [[ $out == *"job.yaml:11: table per_customer: sql: unknown table 'ordrs' (did you mean 'orders'?)"* ]]; then
    ok "unknown table in sql: ($cmd exits 2, names the table, the line, the likely name)"
  else bad "unknown table ($cmd): rc=$rc: $out"; fi
done
[ ! -e "$W/unknown/lake" ] && ok "unknown table: nothing extracted" || bad "unknown table: the run extracted something"

job "$W/cycle" <<'YAML'
  orders: { from: shop, table: public.orders }
  a:
    sql: select * from b
    to: lake
  b:
    sql: select o.* from orders o join a on a.id = o.id
    to: lake
YAML
out=$(cd "$W/cycle" && "$S" validate job.yaml 2>&1); rc=$?
if [ $rc = 2 ] && [[ $out == *"in a cycle (a -> b -> a)"* || $out == *"in a cycle (b -> a -> b)"* ]]; then ok "cycle: refused, named"; else bad "cycle: rc=$rc: $out"; fi
out=$(cd "$W/cycle" && "$S" plan --json job.yaml 2>&1); rc=$?
[ $rc = 2 ] && [[ $out == *cycle* ]] && ok "cycle: plan refuses it too" || bad "cycle (plan): rc=$rc: $out"

job "$W/syntax" <<'YAML'
  orders: { from: shop, table: public.orders }
  broken:
    sql: |
      select customer_id,
             count(* as n
      from orders
    to: lake
YAML
out=$(cd "$W/syntax" && "$S" validate job.yaml 2>&1); rc=$?
if [ $rc = 2 ] && [[ $out == *"job.yaml:11: table broken: sql: syntax error at or near \"as\""* ]]; then ok "syntax error: DuckDB's message, the table, the line of the error"; else bad "syntax error: rc=$rc: $out"; fi

job "$W/unmapped" <<'YAML'
  orders: { from: shop, table: public.orders }
  gaps:
    sql: select id, ordered_at - timestamp '2023-01-01' as since_start from orders
    to: lake
YAML
out=$(cd "$W/unmapped" && "$S" run job.yaml 2>&1); rc=$?
if [ $rc = 1 ] && [[ $out == *"table gaps"*"column since_start: DuckDB type INTERVAL has no sluice type; cast it to varchar"* ]]; then
  ok "unmapped type: an error naming the column, its type and the cast"
else bad "unmapped type: rc=$rc: $out"; fi
[ ! -e "$W/unmapped/lake/gaps" ] && ok "unmapped type: the table is not published" || bad "unmapped type: published"

job "$W/hugeint" <<'YAML'
  orders: { from: shop, table: public.orders }
  sums:
    sql: select sum(id)::hugeint as h, uuid '00000000-0000-0000-0000-00000000002a' as u, 'x'::blob as b, ordered_at::timestamptz as tz from orders group by ordered_at limit 1
    to: lake
YAML
out=$(cd "$W/hugeint" && "$S" run job.yaml 2>&1); rc=$?
types=$(node tools/duck.js "select string_agg(column_name || ' ' || column_type, ', ' order by column_name) as t from (describe select * from '$W/hugeint/lake/sums/*.parquet')" 2>&1 | tail -1)
if [ $rc = 0 ] && [[ $types == *"b BLOB"*"h DECIMAL(38,0)"*"tz TIMESTAMP WITH TIME ZONE"*"u UUID"* ]]; then ok "types: HUGEINT -> decimal(38,0), UUID, BLOB, TIMESTAMPTZ map"; else bad "types: rc=$rc $types $out"; fi

# A failed input: its computed table is skipped with the reason; the rest goes on.
job "$W/failed-input" <<'YAML'
  orders: { from: shop, table: public.orders }
  ghosts: { from: shop, table: public.no_such_table }
  from_ghosts:
    sql: select count(*) as n from ghosts
    to: lake
  after_ghosts:
    sql: select * from from_ghosts
    to: lake
  per_status:
    sql: select status, count(*) as n from orders group by status
    to: lake
YAML
out=$(cd "$W/failed-input" && "$S" run job.yaml 2>&1); rc=$?
if [ $rc = 1 ] && [[ $out == *"table from_ghosts: skipped: its input ghosts failed"* ]] &&
   [[ $out == *"table after_ghosts: skipped: its input from_ghosts failed"* ]] &&
   [ -f "$W/failed-input/lake/per_status/_sluice_manifest.json" ] && [ ! -e "$W/failed-input/lake/from_ghosts" ]; then
  ok "failed input: its readers skipped with the reason, the independent table published"
else bad "failed input: rc=$rc: $out"; fi

# Resources: a small memory_limit on a result larger than it - DuckDB spills
# to temp_directory and the process stays far below what the data needs.
mkdir -p "$W/spill"
cat > "$W/spill/job.yaml" <<'YAML'
name: spill
transform: { memory_limit: 64MB, threads: 1, temp_directory: ./spill-here }
sources:
  shop: { kind: postgres, url: "${PG_URL}" }
targets:
  lake: { kind: parquet, path: ./lake, row_group_bytes: 16MiB }
tables:
  big:
    sql: |
      select i, md5(i::varchar) as h, count(*) over (partition by i % 1000) as c
      from range(1500000) t(i) order by h
    to: lake
YAML
# (Under AddressSanitizer the process's own overhead would swamp the bound.)
if [ -x /usr/bin/time ] && [ "${SLUICE_BUILD:-build}" != build-asan ]; then
  out=$(cd "$W/spill" && /usr/bin/time -f "rss_kb=%M" "$S" run --log-level warn job.yaml 2>&1); rc=$?
  rss=$(echo "$out" | sed -n 's/^rss_kb=//p' | tail -1)
  rows=$(node tools/duck.js "select count(*) as n, count(distinct h) as d from '$W/spill/lake/big/*.parquet'" | tail -1)
  if [ $rc = 0 ] && [ "$rows" = "1500000,1500000" ] && [ "${rss:-999999}" -lt 250000 ] && [ -d "$W/spill/spill-here" ]; then
    ok "memory_limit 64MB: 1.5M sorted rows computed (peak RSS $((rss / 1024)) MB, spilling to temp_directory)"
  else bad "memory_limit: rc=$rc rows=$rows rss=${rss}kB: $out"; fi
fi

# 3. faults
. tests/lib/faults.sh
FX_TMP=$W/fx
mkdir -p "$FX_TMP"
fault_job() {
  job "$1" <<'YAML'
  customers: { from: shop, table: public.customers }
  orders: { from: shop, table: public.orders }
  per_customer:
    sql: |
      select c.id, c.name, count(o.id) as n, sum(o.total) as revenue
      from customers c left join orders o on o.customer_id = c.id group by c.id, c.name
    to: lake
  ranked:
    sql: select id, revenue, rank() over (order by revenue desc nulls last, id) as r from per_customer
    to: lake
YAML
}
fault_job "$W/clean"
(cd "$W/clean" && SLUICE_SQL_TASK_ROWS=40 "$S" run --log-level warn job.yaml) || bad "clean run failed"
want=$(fx_lake_fp "$W/clean/lake" per_customer ranked)
# kill -9 in the middle of per_customer's tasks (the 2 extracted tables commit first), then resume
for fp in task-commit:crash@5 task-write:crash@6 publish:after-exchange:crash@3 publish:before-exchange:crash@4; do
  d=$W/crash-${fp//[^a-z0-9]/_}
  fault_job "$d"
  { (cd "$d" && SLUICE_SQL_TASK_ROWS=40 SLUICE_FAILPOINT=$fp "$S" run --log-level warn job.yaml) >/dev/null 2>&1; } 2>/dev/null; crc=$?
  out=$(cd "$d" && SLUICE_SQL_TASK_ROWS=40 "$S" run job.yaml 2>&1); rc=$?
  got=$(fx_lake_fp "$d/lake" per_customer ranked)
  left=$(fx_staging_left "$d/lake")
  if [ $crc = 137 ] && [ $rc = 0 ] && [ "$got" = "$want" ] && [ -z "$left" ] && [[ $out == *resum* ]]; then
    ok "kill -9 at $fp during the computed tables, then resume: the same tables as a clean run"
  else bad "crash at $fp: crash rc=$crc, resume rc=$rc, got [$got] want [$want] left [$left]: $(echo "$out" | tail -5)"; fi
done

# A failing computed table leaves its previous version live.
before=$(fx_lake_fp "$W/clean/lake" per_customer ranked)
m1=$(cat "$W/clean/lake/ranked/_sluice_manifest.json")
sed -i "s/select id, revenue, rank()/select cast('x' || id as integer) as id, revenue, rank()/" "$W/clean/job.yaml"
out=$(cd "$W/clean" && "$S" run job.yaml 2>&1); rc=$?
after=$(fx_lake_fp "$W/clean/lake" per_customer ranked)
if [ $rc = 1 ] && [[ $out == *"table ranked"*"Conversion Error"* ]] && [ "$before" = "$after" ] &&
   [ "$m1" = "$(cat "$W/clean/lake/ranked/_sluice_manifest.json")" ]; then
  ok "a failing computed table (DuckDB's error, the table) leaves its previous version live"
else bad "failing computed table: rc=$rc [$before] vs [$after]: $(echo "$out" | tail -3)"; fi

exit $fail
