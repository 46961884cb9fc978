#!/usr/bin/env bash
# 10-engine: the engine end to end with real sources and the CSV sink.
#   - PostgreSQL -> CSV: three tables at once (one cut into 4 tasks, one
#     empty); the output equals psql's own CSV of the tables, row by row;
#     the layout is <path>/<table>/part-NNNNN.csv with no staging left;
#   - a second run replaces the tables with identical content (no duplicates);
#   - the run summary reports per-table rows, files and realised skew; the
#     live progress display on a terminal (through script(1));
#   - SQLite -> CSV and CSV -> CSV through the same engine;
#   - `plan` (text and --json: tasks, predicates, estimates, no data moved),
#     `validate` (and --connect), `version`;
#   - bad input: a malformed job file and an unknown source kind exit 2 with
#     file:line:column and a did-you-mean; a missing table exits 1 naming
#     job and table, and publishes nothing for it.
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
sl_suite_pg -c TimeZone=UTC -c DateStyle=ISO
sl_suite_workdir engine SLUICE_ENGINE_KEEP
# The data rows of every part file of a CSV table, sorted (headers dropped).
rows_of() { for f in "$1"/part-*.csv; do tail -n +2 "$f"; done | LC_ALL=C sort; }
header_of() { head -n 1 "$1/part-00000.csv"; }

sl_pg_createdb engine
export ENGINE_URL="$SLUICE_PG_URL/engine"
psql -X -q -d engine -v ON_ERROR_STOP=1 <<'EOF'
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, amount numeric(12,2), status text,
                     note text, paid boolean, placed timestamptz, due date, raw bytea);
INSERT INTO orders
SELECT g, g % 97, (g * 7.31)::numeric(12,2), (ARRAY['new','paid','shipped'])[1 + g % 3],
       CASE WHEN g % 5 = 0 THEN NULL WHEN g % 11 = 0 THEN '' WHEN g % 13 = 0 THEN 'has, comma "and" quotes'
            ELSE 'ünïcödé ' || g END,
       CASE WHEN g % 7 = 0 THEN NULL ELSE g % 2 = 0 END,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '37 seconds 250 milliseconds',
       date '2020-02-29' + g % 1000,
       CASE WHEN g % 3 = 0 THEN NULL ELSE decode(lpad(to_hex(g), 8, '0'), 'hex') END
FROM generate_series(1, 20000) g;
CREATE TABLE customers (id int PRIMARY KEY, name text);
INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 97) g;
CREATE TABLE nothing (id int PRIMARY KEY, v text);
ANALYZE;
EOF

mkdir -p "$W/pg"
cat > "$W/pg/job.yaml" <<'EOF'
# PostgreSQL into CSV files
name: engine_pg
sources:
  pg: { kind: postgres, url: "${ENGINE_URL}", max_connections: 3 }
targets:
  lake: { kind: csv, path: ./lake }
tables:
  orders:
    from: pg
    table: public.orders
    partition: { column: id, count: 4 }
    to: lake
  customers: { from: pg, table: public.customers, to: lake }
  nothing: { from: pg, table: public.nothing, to: lake }
EOF

# The source's own CSV, in sluice's text forms (booleans as true/false).
pg_rows() {
  psql -X -q -d engine -c "COPY ($1) TO STDOUT (FORMAT csv)" | LC_ALL=C sort
}
ORDERS_Q="select id, customer_id, amount, status, note, paid::text, placed, due, raw from orders"

# --- 1. PostgreSQL -> CSV, several tables at once -----------------------------
rc=0; "$SLUICE_BIN" run --workers 3 --no-progress "$W/pg/job.yaml" > "$W/run1.out" 2> "$W/run1.err" || rc=$?
if [ $rc = 0 ]; then ok "pg -> csv: run exits 0"; else bad "pg -> csv: exit $rc"; tail -n 5 "$W/run1.err"; fi
L=$W/pg/lake
n=$(ls "$L/orders" 2>/dev/null | grep -c '^part-0000[0-3]\.csv$')
[ "$n" = 4 ] && [ "$(ls -A "$L/orders" | wc -l)" = 5 ] && [ -f "$L/orders/_sluice_manifest.json" ] \
  && ok "pg -> csv: orders is 4 part files and the manifest" \
  || bad "pg -> csv: orders holds: $(ls -A "$L/orders" 2>&1 | tr '\n' ' ')"
[ "$(header_of "$L/orders")" = "id,customer_id,amount,status,note,paid,placed,due,raw" ] \
  && ok "pg -> csv: header line" || bad "pg -> csv: header is '$(header_of "$L/orders")'"
if diff <(rows_of "$L/orders") <(pg_rows "$ORDERS_Q") > "$W/orders.diff"; then
  ok "pg -> csv: orders equals the source row by row (20000 rows, NULLs, '' vs NULL, quotes, unicode, bytea, timestamptz)"
else
  bad "pg -> csv: orders differs from the source:"; head -n 6 "$W/orders.diff" | sed 's/^/    /'
fi
diff <(rows_of "$L/customers") <(pg_rows "select * from customers") > /dev/null \
  && ok "pg -> csv: customers equals the source" || bad "pg -> csv: customers differs"
[ -f "$L/nothing/part-00000.csv" ] && [ "$(cat "$L/nothing/part-00000.csv")" = "id,v" ] \
  && ok "pg -> csv: an empty table is one file with its header" || bad "pg -> csv: empty table: $(ls -A "$L/nothing" 2>&1)"
[ -z "$(ls -A "$L" | grep '^\.')" ] && ok "pg -> csv: no staging area left" || bad "pg -> csv: left in lake: $(ls -A "$L")"
grep -q "table orders: published 20000 rows in 4 files" "$W/run1.err" && grep -q "task skew: rows" "$W/run1.err" \
  && ok "pg -> csv: summary names rows, files and realised skew" \
  || { bad "pg -> csv: no per-table summary"; tail -n 5 "$W/run1.err"; }
grep -q "done: 3 tables, " "$W/run1.err" && ok "pg -> csv: final summary line" || bad "pg -> csv: no final line"
grep -q "progress:" "$W/run1.err" && bad "--no-progress still printed progress" || ok "--no-progress prints no progress"

# --- 2. A rerun replaces, never adds ------------------------------------------
before=$(rows_of "$L/orders" | md5sum)
rc=0; "$SLUICE_BIN" run --workers 2 --log-level warn "$W/pg/job.yaml" > "$W/run2.out" 2> "$W/run2.err" || rc=$?
after=$(rows_of "$L/orders" | md5sum)
[ $rc = 0 ] && [ "$before" = "$after" ] && [ "$(ls "$L/orders" | grep -c '^part-')" = 4 ] \
  && ok "rerun: same content, same files, no duplicated rows" || bad "rerun: exit $rc or content changed"
[ -s "$W/run2.err" ] && bad "rerun at --log-level warn printed: $(head -c 300 "$W/run2.err")" \
  || ok "rerun at --log-level warn is quiet"

# --- 3. Live progress on a terminal -------------------------------------------
if script -qec "true" /dev/null >/dev/null 2>&1; then
  script -qec "'$SLUICE_BIN' run --workers 2 '$W/pg/job.yaml'" /dev/null > "$W/tty.out" 2>&1 || true
  grep -q "rows/s" "$W/tty.out" && grep -q "tasks 4/4" "$W/tty.out" && grep -q "published" "$W/tty.out" \
    && ok "progress on a terminal: per-table line with rows/s and tasks done/total" \
    || { bad "progress on a terminal: no live lines"; tail -c 600 "$W/tty.out"; }
else
  echo "skip: live progress (script(1) cannot allocate a terminal here)"
fi

# --- 4. plan, validate, version -----------------------------------------------
rc=0; "$SLUICE_BIN" plan "$W/pg/job.yaml" > "$W/plan.out" 2> "$W/plan.err" || rc=$?
if [ $rc = 0 ] && grep -q "^table orders" "$W/plan.out" && [ "$(grep -c '^  task ' "$W/plan.out")" -ge 6 ] \
   && grep -q "estimated rows" "$W/plan.out" && grep -q "id" "$W/plan.out"; then
  ok "plan: tables, tasks with predicates and estimated rows"
else
  bad "plan: exit $rc"; head -n 20 "$W/plan.out" "$W/plan.err"
fi
rc=0; "$SLUICE_BIN" plan --json "$W/pg/job.yaml" > "$W/plan.json" 2> "$W/planj.err" || rc=$?
if [ $rc = 0 ] && node -e '
  const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const o = p.tables.find(t => t.name === "orders");
  if (p.tables.length !== 3 || o.tasks.length !== 4 || !o.tasks.every(t => t.predicate && t.est_rows >= 0)
      || o.columns.length !== 9 || typeof o.skew !== "number") process.exit(1);' "$W/plan.json"; then
  ok "plan --json: valid JSON with 3 tables, orders' 4 tasks, columns and skew"
else
  bad "plan --json: exit $rc or unexpected content"; head -c 600 "$W/plan.json"
fi
"$SLUICE_BIN" validate "$W/pg/job.yaml" | grep -q "ok: job engine_pg, 1 source, 1 target, 3 tables" \
  && ok "validate: ok line" || bad "validate: no ok line"
"$SLUICE_BIN" validate --connect "$W/pg/job.yaml" > /dev/null 2>&1 && ok "validate --connect: prepares every table" \
  || bad "validate --connect failed"
"$SLUICE_BIN" version | grep -q "^sluice [0-9]" && ok "version" || bad "version"
"$SLUICE_BIN" run --help | grep -q "exit status: 0 done, 1 job failed, 2 usage" && ok "run --help documents exit codes" \
  || bad "run --help"

# --- 5. SQLite -> CSV and CSV -> CSV ------------------------------------------
mkdir -p "$W/lite/in"
sqlite3 "$W/lite/shop.db" <<'EOF'
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL, qty INTEGER);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
INSERT INTO items SELECT i, CASE WHEN i % 9 = 0 THEN NULL ELSE 'item, "' || i || '"' END, i * 0.5, i % 10 FROM n;
EOF
printf 'id,word\n1,alpha\n2,"be,ta"\n3,\n4,""\n' > "$W/lite/in/words.csv"
cat > "$W/lite/job.yaml" <<'EOF'
name: engine_files
sources:
  shop: { kind: sqlite, path: shop.db }
  files: { kind: csv, path: in }
targets:
  out: { kind: csv, path: out }
tables:
  items: { from: shop, table: items, partition: { column: id, count: 3 }, to: out }
  words: { from: files, file: words.csv, columns: { id: int64, word: string }, to: out }
EOF
rc=0; "$SLUICE_BIN" run --no-progress "$W/lite/job.yaml" > "$W/lite.out" 2> "$W/lite.err" || rc=$?
if [ $rc = 0 ]; then
  want=$(sqlite3 -csv "$W/lite/shop.db" "select id, name, printf('%.1f', price), qty from items" | tr -d '\r' | LC_ALL=C sort)
  got=$(rows_of "$W/lite/out/items" | sed -E 's/,([0-9]+)(,[0-9]+)$/,\1.0\2/')
  [ "$(rows_of "$W/lite/out/items" | wc -l)" = 3000 ] && [ "$(ls "$W/lite/out/items" | wc -l)" -ge 1 ] \
    && ok "sqlite -> csv: 3000 rows" || bad "sqlite -> csv: $(rows_of "$W/lite/out/items" | wc -l) rows"
  [ "$got" = "$want" ] && ok "sqlite -> csv: equals sqlite3's CSV" \
    || { bad "sqlite -> csv differs:"; diff <(echo "$want") <(echo "$got") | head -n 6; }
  [ "$(cat "$W/lite/out/words/part-00000.csv")" = "$(printf 'id,word\n1,alpha\n2,"be,ta"\n3,\n4,""')" ] \
    && ok "csv -> csv: NULL stays an empty field, '' stays \"\", quoting kept" \
    || { bad "csv -> csv:"; cat "$W/lite/out/words/part-00000.csv"; }
else
  bad "sqlite/csv -> csv: exit $rc"; tail -n 5 "$W/lite.err"
fi

# --- 6. Bad input -------------------------------------------------------------
mkdir -p "$W/badjob"
sed 's/partition:/partiton:/' "$W/pg/job.yaml" > "$W/badjob/job.yaml"
rc=0; "$SLUICE_BIN" run "$W/badjob/job.yaml" > /dev/null 2> "$W/badjob.err" || rc=$?
[ $rc = 2 ] && grep -q "job.yaml:11:5: tables.orders: unknown key 'partiton' (did you mean 'partition'?)" "$W/badjob.err" \
  && [ "$(wc -l < "$W/badjob.err")" = 1 ] && [ ! -e "$W/badjob/lake" ] \
  && ok "malformed job file: exit 2, one line with file:line:col and did-you-mean, nothing written" \
  || { bad "malformed job file: exit $rc"; cat "$W/badjob.err"; }
sed 's/kind: postgres/kind: postgress/' "$W/pg/job.yaml" > "$W/badjob/job.yaml"
rc=0; "$SLUICE_BIN" validate "$W/badjob/job.yaml" > /dev/null 2> "$W/badkind.err" || rc=$?
[ $rc = 2 ] && grep -q "job.yaml:4:15: sources.pg.kind: unknown value 'postgress' (did you mean 'postgres'?)" "$W/badkind.err" \
  && ok "unknown source kind: exit 2 with position and did-you-mean" || { bad "unknown source kind: exit $rc"; cat "$W/badkind.err"; }
unset ENGINE_URL
rc=0; "$SLUICE_BIN" validate "$W/pg/job.yaml" > /dev/null 2> "$W/noenv.err" || rc=$?
[ $rc = 2 ] && grep -q "job.yaml:4:30: sources.pg.url: environment variable ENGINE_URL is not set" "$W/noenv.err" \
  && ok "unset \${ENGINE_URL}: exit 2 naming the variable and its position" || { bad "unset env: exit $rc"; cat "$W/noenv.err"; }
export ENGINE_URL="$SLUICE_PG_URL/engine"
mkdir -p "$W/ghost"
cat > "$W/ghost/job.yaml" <<'EOF'
name: engine_ghost
retries: 0
sources:
  pg: { kind: postgres, url: "${ENGINE_URL}" }
targets:
  lake: { kind: csv, path: ./lake }
tables:
  ghost: { from: pg, table: public.ghost, to: lake }
EOF
rc=0; "$SLUICE_BIN" run --no-progress "$W/ghost/job.yaml" > /dev/null 2> "$W/ghost.err" || rc=$?
[ $rc = 1 ] && grep -q "job engine_ghost: table ghost: " "$W/ghost.err" && [ ! -e "$W/ghost/lake/ghost" ] \
  && [ -z "$(ls -A "$W/ghost/lake" 2>/dev/null)" ] \
  && ok "missing table: exit 1, error names job and table, nothing published" \
  || { bad "missing table: exit $rc"; cat "$W/ghost.err"; ls -A "$W/ghost/lake" 2>/dev/null; }
[ "$(grep -c ' error ' "$W/ghost.err")" = 1 ] && ok "missing table: exactly one error line" \
  || bad "missing table: $(grep -c ' error ' "$W/ghost.err") error lines"

exit $fail
