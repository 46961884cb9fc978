#!/usr/bin/env bash
# 22-demo: `sluice demo` end to end on a small shop (20,000 orders): exit 0,
# the database and job file written, every table published with as many rows
# as the database holds (in the lake and in warehouse.duckdb,
# whose printed query runs), the customers table equal to the database value by
# value (read back by DuckDB), order totals summing to the same cents, the
# generator deterministic (same seed, same database), and a rerun replacing
# the database.
set -uo pipefail
cd "${SLUICE_ROOT:-$(dirname "$0")/../..}"
ROOT=$PWD
SLUICE_BIN=${SLUICE_BIN:-$ROOT/build/sluice}
W=$(mktemp -d /tmp/sluice-demo.XXXXXX)
trap 'rm -rf "$W"' EXIT
fail=0
ok()  { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

run_demo() {   # extra args...
  (cd "$W" && "$SLUICE_BIN" demo --dir demo --lake lake --orders 20000 --log-level warn "$@") > "$W/out" 2> "$W/err"
}
if run_demo; then ok "sluice demo exits 0"; else bad "sluice demo failed:"; tail -n 10 "$W/err"; exit 1; fi
[ -f "$W/demo/shop.db" ] && [ -f "$W/demo/shop.yaml" ] && ok "demo/shop.db and demo/shop.yaml written" \
  || bad "demo/shop.db or demo/shop.yaml missing"
grep -q "sluice inspect lake/orders/part-00000.parquet" "$W/out" && grep -q "sluice cat --limit 5" "$W/out" \
  && ok "prints how to look at the lake" || bad "no inspect/cat hints in: $(cat "$W/out")"

for t in customers products orders order_items; do
  want=$(sqlite3 "$W/demo/shop.db" "select count(*) from $t")
  got=$(node tools/duck.js "select count(*) as n from read_parquet('$W/lake/$t/*.parquet')" | tail -n 1)
  [ "$want" = "$got" ] && [ "$want" -gt 0 ] && ok "$t: $got rows" || bad "$t: $got rows in the lake, $want in the database"
  got=$(node tools/duck.js --db "$W/warehouse.duckdb" "select count(*) as n from $t" | tail -n 1)
  [ "$want" = "$got" ] && ok "warehouse.duckdb: $t: $got rows" || bad "$t: $got rows in warehouse.duckdb, $want in the database"
done
hint=$(sed -n 's/.* warehouse.duckdb "\(.*\)"$/\1/p' "$W/out" | head -n 1) && [ -n "$hint" ] \
  && (cd "$W" && node "$ROOT/tools/duck.js" --db warehouse.duckdb "$hint") > "$W/hint.out" \
  && [ "$(wc -l < "$W/hint.out")" = 6 ] && ok "the printed warehouse query runs: $(sed -n 2p "$W/hint.out")" \
  || bad "the warehouse query hint: ${hint:-not printed}"
# The star schema (sql: tables): one fact row per order item, its query hint runs.
want=$(sqlite3 "$W/demo/shop.db" "select count(*) from order_items")
got=$(node tools/duck.js --db "$W/warehouse.duckdb" "select count(*) as n from fact_sales f join dim_customer using (customer_key) join dim_product using (product_key) join dim_date using (date_key)" | tail -n 1)
[ "$want" = "$got" ] && ok "star schema: fact_sales has one row per order item, every key found in its dimension" \
  || bad "star schema: $got fact rows joined to their dimensions, $want order items"
star=$(sed -n 's/.* warehouse.duckdb "\(.*fact_sales.*\)"$/\1/p' "$W/out" | head -n 1)
[ -n "$star" ] && (cd "$W" && node "$ROOT/tools/duck.js" --db warehouse.duckdb "$star") > "$W/star.out" \
  && [ "$(wc -l < "$W/star.out")" -gt 1 ] && ok "the printed star-schema query runs: $(sed -n 2p "$W/star.out")" \
  || bad "the star-schema query hint: ${star:-not printed}"

sqlite3 -csv -header "$W/demo/shop.db" \
  "select id, name, email, country, city, signed_up_at, birth_date,
          case vip when 1 then 'true' else 'false' end as vip from customers" > "$W/customers.sqlite.csv"
node tests/e2e/lib/duckread.js "$W/lake/customers/*.parquet" > "$W/customers.duckdb.csv" \
  && node tests/e2e/lib/csvcmp.js customers duckdb "$W/customers.duckdb.csv" sqlite "$W/customers.sqlite.csv" \
  && ok "customers equal the database, value by value (unicode names, NULLs, timestamps, dates)" \
  || bad "customers differ from the database"

want=$(sqlite3 "$W/demo/shop.db" "select sum(cast(round(total * 100) as integer)) from orders")
got=$(node tools/duck.js "select (sum(total) * 100)::bigint as c from read_parquet('$W/lake/orders/*.parquet')" | tail -n 1)
[ "$want" = "$got" ] && ok "orders: totals sum to the same cents ($got)" || bad "orders: total cents $got, database $want"

top=$(sqlite3 "$W/demo/shop.db" "select count(*) * 100 / (select count(*) from orders) from orders
        where customer_id in (select customer_id from orders group by 1 order by count(*) desc limit 10)")
[ "$top" -ge 15 ] && ok "skew: the 10 busiest customers place ${top}% of the orders" || bad "skew: top 10 customers place only ${top}%"

sum1=$(md5sum < "$W/demo/shop.db")
rm -rf "$W/lake"
run_demo && sum2=$(md5sum < "$W/demo/shop.db") || sum2=failed
[ "$sum1" = "$sum2" ] && ok "same seed, same database (rerun replaced it)" || bad "the rerun gave a different database"
run_demo --seed 7 --orders 5000 && n=$(sqlite3 "$W/demo/shop.db" "select count(*) from orders") || n=failed
[ "$n" = 5000 ] && ok "a rerun with other options replaces the database" || bad "rerun: $n orders, want 5000"
exit $fail
