#!/usr/bin/env bash
# 27-whole-db: a whole database in a few lines (issue 15). A database with
# several schemas, a view, a materialized view, a partitioned table of 12
# skewed partitions and a table of every type sluice reads through a cast;
# one job, `defaults:` plus `"*.*": {}`, copies all of it:
#   - plan lists what the pattern selected and notes the skipped partitions;
#   - every table equals the source (psql and DuckDB print the same CSV);
#   - arrays come back as DuckDB lists equal to the source's elements;
#   - the partitioned table's estimate is its partitions' sum, its tasks even
#     (largest <= 1.5 x mean, counted by psql from plan --json predicates);
#   - `unsupported: error` lists every unsupported column in one error, and
#     each remedy it names, applied, works; so does the decimal overflow's;
#   - plan and validate --connect on a job with three failing tables list all
#     three (plan --json with their errors); a pattern matching nothing fails;
#   - DuckDB's read_parquet('<table>/*.parquet') reads a lake table;
#   - relations owned by an extension (pg_stat_statements' views) are not
#     selected by a pattern.
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
sl_suite_pg -c TimeZone=UTC -c DateStyle=ISO
sl_suite_workdir wholedb SLUICE_KEEP
cd "$SLUICE_ROOT" || exit 1
DUCK="node tools/duck.js"

sl_pg_createdb wdb
export WDB_URL="$SLUICE_PG_URL/wdb"
psql -X -q -d wdb -v ON_ERROR_STOP=1 <<'EOF' || { echo "cannot create the database"; exit 1; }
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS ltree;
-- views owned by an extension (pg_depend deptype 'e') in public: no pattern selects them
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE SCHEMA sales;
CREATE SCHEMA hr;
CREATE TABLE public.customers (id int PRIMARY KEY, name text NOT NULL, code char(6), email citext);
INSERT INTO public.customers SELECT g, 'c' || g, 'K' || g, 'User' || g || '@x.org' FROM generate_series(1, 500) g;
CREATE TABLE sales.orders (id bigint PRIMARY KEY, customer_id int, amount numeric(12,2), placed timestamptz, price money);
INSERT INTO sales.orders SELECT g, 1 + g % 500, (g * 1.25)::numeric(12,2),
  timestamptz '2024-01-01 00:00+00' + g * interval '1 minute', (g % 1000)::money FROM generate_series(1, 5000) g;
CREATE TABLE hr.people (id int PRIMARY KEY, "Name" text, salary numeric);
INSERT INTO hr.people SELECT g, 'p' || g, g * 1000.5 FROM generate_series(1, 100) g;
CREATE VIEW public.big_customers AS SELECT id, name FROM public.customers WHERE id > 400;
CREATE MATERIALIZED VIEW sales.order_totals AS
  SELECT customer_id, sum(amount) AS total, count(*) AS n FROM sales.orders GROUP BY customer_id;
-- 12 partitions of very different sizes: 60% in January, 20% in February
CREATE TABLE public.events (id bigint NOT NULL, at date NOT NULL, v text) PARTITION BY RANGE (at);
DO $$ BEGIN FOR m IN 1..12 LOOP
  EXECUTE format('CREATE TABLE public.events_%s PARTITION OF public.events FOR VALUES FROM (%L) TO (%L)',
    lpad(m::text, 2, '0'), make_date(2024, m, 1), (make_date(2024, m, 1) + interval '1 month')::date);
END LOOP; END $$;
INSERT INTO public.events SELECT g, make_date(2024, 1 + (CASE WHEN g <= 120000 THEN 0 WHEN g <= 160000 THEN 1
  ELSE (g % 10) + 2 END), 1 + g % 28), 'e' || g FROM generate_series(1, 200000) g;
CREATE INDEX ON public.events (id);
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE pair AS (a int, b text);
CREATE TABLE public.types (
  id int PRIMARY KEY, iv interval, m money, ip inet, net cidr, mac macaddr, ts tsvector, x xml, b bit(4), vb varbit,
  r int4range, tr tstzrange, lt ltree, hs hstore, ci citext, ch char(5), n numeric, mo mood, tt timetz, pt point,
  ia int[], ta text[], na numeric(6,2)[], ba bool[], da date[], ua uuid[], comp pair);
INSERT INTO public.types VALUES
 (1, '1 year 2 mons 3 days 04:05:06.5', 12.34, '192.168.0.1', '10.0.0.0/8', '08:00:2b:01:02:03',
  to_tsvector('simple', 'the quick fox'), '<a>1</a>', B'1010', B'101', int4range(1, 10),
  tstzrange('2024-01-01 00:00+00', '2024-02-01 00:00+00'), 'a.b.c', 'k=>v, z=>NULL', 'MiXeD', 'ab', 123.456,
  'happy', '12:00:00+02', point(1, 2), ARRAY[1, NULL, 3], ARRAY['a', NULL, 'c,d"e'], ARRAY[1.50, -2.25]::numeric(6,2)[],
  ARRAY[true, false], ARRAY['2024-01-02'::date], ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid], ROW(1, 'x')),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, '{}', NULL, NULL, NULL, NULL, NULL),
 (3, '-1 days', -5.00, '::1', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', ''::tsvector, '<b/>', B'0000', B'',
  'empty'::int4range, NULL, 'x', '', '', 'abcde', 0.000001, 'sad', NULL, NULL, ARRAY[]::int[], ARRAY['']::text[],
  NULL, NULL, NULL, NULL, NULL);
ANALYZE;
EOF

mkdir -p "$W/job"
cat > "$W/job/whole.yaml" <<'EOF'
sources:
  db: { kind: postgres, url: "${WDB_URL}" }
targets:
  lake: { kind: parquet, path: ./lake }
defaults: { from: db, to: lake }
tables:
  "*.*": {}
EOF

# --- plan: what the pattern selected --------------------------------------------------
rc=0; "$SLUICE_BIN" plan --workers 2 "$W/job/whole.yaml" > "$W/plan.txt" 2> "$W/plan.err" || rc=$?
[ $rc = 0 ] && ok "plan: exit 0" || { bad "plan: exit $rc"; cat "$W/plan.err"; }
grep -q '^pattern "\*\.\*" (source db) selected 7 tables: hr_people, big_customers, customers, events, types, sales_order_totals, sales_orders$' "$W/plan.txt" \
  && ok "plan: the pattern's 7 tables (schema_table outside public, views and materialized views too)" \
  || { bad "plan: selection"; grep pattern "$W/plan.txt"; }
[ "$(psql -X -At -d wdb -c "SELECT count(*) FROM pg_views WHERE viewname LIKE 'pg_stat_statements%'")" -ge 1 ] \
  && ! grep -q pg_stat_statements "$W/plan.txt" \
  && ok "plan: relations of extensions (pg_stat_statements' views in public) not selected" \
  || bad "plan: an extension's relation was selected (or pg_stat_statements is missing)"
grep -q "note 12 partitions of public.events skipped" "$W/plan.txt" \
  && ok "plan: the 12 partitions are noted as skipped" || bad "plan: no partition note"
rc=0; "$SLUICE_BIN" plan --workers 2 --json "$W/job/whole.yaml" > "$W/plan.json" 2>> "$W/plan.err" || rc=$?
node -e '
  const p = JSON.parse(require("fs").readFileSync(process.argv[1]));
  if (p.patterns.length !== 1 || p.patterns[0].selected.length !== 7 || p.failed !== 0) process.exit(1);
  const e = p.tables.find(t => t.name === "events");
  if (Math.abs(e.est_rows - 200000) > 2000) { console.error("events est_rows", e.est_rows); process.exit(1); }
' "$W/plan.json" && ok "plan --json: patterns, 0 failed, events estimated at its partitions' sum (200000 rows, within 1%)" \
  || bad "plan --json: patterns or the partitioned estimate"

# --- the partitioned table's tasks are even --------------------------------------------
cat > "$W/job/events.yaml" <<'EOF'
sources:
  db: { kind: postgres, url: "${WDB_URL}" }
targets:
  lake: { kind: parquet, path: ./lake_ev }
defaults: { from: db, to: lake }
tables:
  events: { table: public.events }
  events_at: { table: public.events, partition: { strategy: histogram, column: at } }
EOF
"$SLUICE_BIN" plan --workers 2 --json "$W/job/events.yaml" > "$W/ev.json" 2>> "$W/plan.err"
node -e '
  const p = JSON.parse(require("fs").readFileSync(process.argv[1]));
  for (const t of p.tables) for (const k of t.tasks)
    console.log(`SELECT ${JSON.stringify(t.name).replace(/"/g, "\x27")}, ${k.index}, count(*) FROM public.events WHERE ${k.predicate || "true"};`);
' "$W/ev.json" > "$W/counts.sql"
psql -X -q -At -F' ' -d wdb -v ON_ERROR_STOP=1 -f "$W/counts.sql" > "$W/counts.txt" || bad "counting task rows failed"
for t in events events_at; do
  read -r n max mean < <(awk -v t="$t" '$1 == t { n++; s += $3; if ($3 > m) m = $3 } END { printf "%d %d %.1f\n", n, m, s / n }' "$W/counts.txt")
  if [ "$n" -gt 1 ] && awk -v m="$max" -v a="$mean" 'BEGIN { exit !(m <= 1.5 * a) }'; then
    ok "$t: largest of $n tasks $max rows <= 1.5 x mean $mean"
  else
    bad "$t: largest of $n tasks $max rows > 1.5 x mean $mean"
  fi
done
grep -q '"note": "histogram on at: [^"]*pg_stats' "$W/ev.json" \
  && ok "events_at: boundaries from the parent's inherited pg_stats" || bad "events_at: not from pg_stats ($(grep -o '"note": "histogram[^"]*' "$W/ev.json"))"

# --- run: everything lands, equal to the source -----------------------------------------
rc=0; (cd "$W/job" && "$SLUICE_BIN" run --no-progress --workers 2 whole.yaml) > "$W/run.out" 2> "$W/run.err" || rc=$?
[ $rc = 0 ] && ok "run: exit 0" || { bad "run: exit $rc"; tail -5 "$W/run.err"; }
[ -d "$W/job/lake/events_01" ] && bad "run: a partition was copied on its own" || ok "run: partitions not copied twice"

same() {  # name, psql select, duckdb select (over the table's Parquet files as t)[, what]
  psql -X -q -d wdb -v ON_ERROR_STOP=1 -c "COPY ($2) TO STDOUT (FORMAT csv, HEADER false)" > "$W/a.csv" 2>&1
  $DUCK "WITH t AS (SELECT * FROM read_parquet('$W/job/lake/$1/*.parquet')) $3" 2>&1 | tail -n +2 > "$W/b.csv"
  if [ -s "$W/a.csv" ] && cmp -s "$W/a.csv" "$W/b.csv"; then ok "$1${4:+ $4}: equals the source ($(wc -l < "$W/a.csv") rows)"
  else bad "$1${4:+ $4}: differs from the source"; diff "$W/a.csv" "$W/b.csv" | head -6; fi
}
same customers "SELECT id, name, code, email FROM customers ORDER BY id" "SELECT id, name, code, email FROM t ORDER BY id"
same big_customers "SELECT id, name FROM big_customers ORDER BY id" "SELECT id, name FROM t ORDER BY id"
same sales_orders "SELECT id, customer_id, amount, extract(epoch FROM placed)::bigint, price::numeric(19,2) FROM sales.orders ORDER BY id" \
  "SELECT id, customer_id, amount, epoch(placed)::BIGINT, price FROM t ORDER BY id"
same sales_order_totals "SELECT customer_id, total::numeric(38,18), n FROM sales.order_totals ORDER BY customer_id" \
  "SELECT customer_id, total, n FROM t ORDER BY customer_id"
same hr_people "SELECT id, \"Name\", salary::numeric(38,18) FROM hr.people ORDER BY id" "SELECT id, \"Name\", salary FROM t ORDER BY id"
same events "SELECT id, at, v FROM events ORDER BY id" "SELECT id, \"at\"::VARCHAR, v FROM t ORDER BY id"
txt() { local s=""; for c in "$@"; do s="$s, CASE WHEN $c IS NULL THEN NULL ELSE format('%s', $c) END"; done; echo "${s#, }"; }
same types "SELECT id, $(txt iv ip net mac ts x b vb r tr lt hs ci ch mo tt pt), m::numeric(19,2), n::numeric(38,18),
  to_json(comp)::text FROM types ORDER BY id" \
  "SELECT id, iv, ip, net, mac, ts, x, b, vb, r, tr, lt, hs, ci, ch, mo, tt, pt, m, n, comp FROM t ORDER BY id"
# Arrays are Parquet LIST columns: DuckDB reads them as lists (no cast), NULL
# and empty arrays apart, each element equal to PostgreSQL's.
same types "SELECT id, $(for c in ia ta na ba da ua; do printf "(%s IS NULL)::int, coalesce(cardinality(%s), 0), " $c $c; done) 0 FROM types ORDER BY id" \
  "SELECT id, $(for c in ia ta na ba da ua; do printf "(%s IS NULL)::INT, coalesce(len(%s), 0), " $c $c; done) 0 FROM t ORDER BY id" "arrays: NULL, empty, lengths"
for col in ia ta na ba da ua; do
  same types "SELECT id, i.o, i.e::text FROM types, unnest($col) WITH ORDINALITY AS i(e, o) ORDER BY id, i.o" \
    "SELECT id, o, e::VARCHAR FROM (SELECT id, unnest(generate_series(1, len($col))) AS o, unnest($col) AS e
     FROM t) ORDER BY id, o" "$col as a list"
done
$DUCK "SELECT typeof(ia), typeof(ta), typeof(na), typeof(ua), list_sum(ia) s, len(ta) n, ta[3] c FROM read_parquet('$W/job/lake/types/*.parquet') WHERE id = 1" \
  > "$W/l.csv" 2>&1
[ "$(tail -n 1 "$W/l.csv")" = 'INTEGER[],VARCHAR[],"DECIMAL(6,2)[]",UUID[],4,3,"c,d""e"' ] \
  && ok "types: arrays read back by DuckDB as typed lists" || { bad "types: arrays as lists"; cat "$W/l.csv"; }
# sluice reads its own lists back (cat), and a multi-dimensional array is an
# error whose remedy, applied, works.
"$SLUICE_BIN" cat --format json "$(ls "$W"/job/lake/types/*.parquet | head -1)" > "$W/cat.json" 2> "$W/cat.err"
grep -q '"ia":\[1,null,3\]' "$W/cat.json" && grep -q '"ta":\["a",null,"c,d\\"e"\]' "$W/cat.json" \
  && grep -q '"ia":null,"ta":\[\]' "$W/cat.json" \
  && ok "cat: lists as JSON arrays" || { bad "cat: lists"; head -3 "$W/cat.json" "$W/cat.err"; }

# Lists into a postgres target: PostgreSQL arrays again, equal to the source's.
sl_pg_createdb wdb_dw
cat > "$W/job/arr_pg.yaml" <<'EOF'
sources:
  db: { kind: postgres, url: "${WDB_URL}" }
targets:
  dw: { kind: postgres, url: "${WDB_URL}_dw", schema: public }
tables:
  arrs: { from: db, to: dw, query: "SELECT id, ia, ta, na, ba, da, ua FROM types" }
EOF
rc=0; (cd "$W/job" && "$SLUICE_BIN" run --no-progress arr_pg.yaml) > /dev/null 2> "$W/arr_pg.err" || rc=$?
psql -X -At -d wdb -c "SELECT id, ia, ta, na, ba, da, ua FROM types ORDER BY id" > "$W/arr_a.txt" 2>&1
psql -X -At -d wdb_dw -c "SELECT id, ia, ta, na, ba, da, ua FROM public.arrs ORDER BY id" > "$W/arr_b.txt" 2>&1
types=$(psql -X -At -d wdb_dw -c "SELECT string_agg(format_type(atttypid, atttypmod), ',' ORDER BY attnum) FROM pg_attribute
  WHERE attrelid = 'public.arrs'::regclass AND attnum > 0 AND NOT attisdropped" 2>&1)
[ $rc = 0 ] && [ -s "$W/arr_a.txt" ] && cmp -s "$W/arr_a.txt" "$W/arr_b.txt" \
  && [ "$types" = "integer,integer[],text[],numeric(6,2)[],boolean[],date[],uuid[]" ] \
  && ok "postgres target: lists written back as arrays ($types), equal to the source" \
  || { bad "postgres target: arrays (exit $rc, types $types)"; tail -3 "$W/arr_pg.err"; diff "$W/arr_a.txt" "$W/arr_b.txt" | head -5; }

# ... and into a duckdb target: typed DuckDB lists.
cat > "$W/job/arr_duck.yaml" <<'EOF'
sources:
  db: { kind: postgres, url: "${WDB_URL}" }
targets:
  wh: { kind: duckdb, path: ./wh.duckdb }
tables:
  arrs: { from: db, to: wh, query: "SELECT id, ia, ta, na, ba, da, ua FROM types" }
EOF
rc=0; (cd "$W/job" && "$SLUICE_BIN" run --no-progress arr_duck.yaml) > /dev/null 2> "$W/arr_duck.err" || rc=$?
$DUCK "ATTACH '$W/job/wh.duckdb' AS w (READ_ONLY); SELECT typeof(ia), typeof(na), list_sum(ia), ta[3], len(ta) FROM w.arrs WHERE id = 1" > "$W/arr_duck.csv" 2>&1
[ $rc = 0 ] && [ "$(tail -n 1 "$W/arr_duck.csv")" = 'INTEGER[],"DECIMAL(6,2)[]",4,"c,d""e",3' ] \
  && ok "duckdb target: lists as typed DuckDB lists" || { bad "duckdb target: lists (exit $rc)"; tail -3 "$W/arr_duck.err" "$W/arr_duck.csv"; }

# A lake table read with DuckDB's glob (the manifest is not a Parquet file: *.parquet skips it).
[ "$($DUCK "SELECT count(*) FROM read_parquet('$W/job/lake/events/*.parquet')" | tail -n 1)" = 200000 ] \
  && ok "DuckDB: read_parquet('lake/events/*.parquet') reads the table" || bad "DuckDB glob *.parquet"
grep -q "read_parquet('lake/orders/\*.parquet')" README.md && ok "README: the glob to read a lake table" \
  || bad "README does not say which glob reads a lake table"

# --- unsupported: error: every column in one message; both remedies work --------------
cat > "$W/job/strict.yaml" <<'EOF'
sources:
  db: { kind: postgres, url: "${WDB_URL}" }
targets:
  lake: { kind: parquet, path: ./lake_strict }
defaults: { from: db, to: lake, unsupported: error }
tables:
  types: {}
EOF
rc=0; "$SLUICE_BIN" validate --connect "$W/job/strict.yaml" > /dev/null 2> "$W/strict.err" || rc=$?
[ $rc = 1 ] && grep -q "14 columns of types without a sluice mapping" "$W/strict.err" \
  && ok "unsupported: error: all 14 columns in one error (arrays are lists)" || { bad "unsupported: error (exit $rc)"; cat "$W/strict.err"; }
cols=$(grep -o 'set their types in columns: \[.*\]' "$W/strict.err" | head -1 | sed 's/^set their types in columns: //')
sed "s|  types: {}|  types: { columns: $cols }|" "$W/job/strict.yaml" > "$W/job/strict_cols.yaml"
rc=0; (cd "$W/job" && "$SLUICE_BIN" run --no-progress strict_cols.yaml) > /dev/null 2> "$W/r1.err" || rc=$?
[ $rc = 0 ] && ok "remedy 'set their types in columns: [...]', applied, works" || { bad "columns remedy: exit $rc"; tail -3 "$W/r1.err"; }
sed "s|, unsupported: error||" "$W/job/strict.yaml" > "$W/job/strict_off.yaml"
rc=0; "$SLUICE_BIN" validate --connect "$W/job/strict_off.yaml" > /dev/null 2> "$W/r2.err" || rc=$?
[ $rc = 0 ] && ok "remedy 'remove unsupported: error', applied, works" || { bad "remove-unsupported remedy: exit $rc"; tail -3 "$W/r2.err"; }

# --- a numeric without typmod that does not fit decimal(38,18): the option it names works
psql -X -q -d wdb -c "CREATE TABLE wide (id int, v numeric); INSERT INTO wide VALUES (1, 0.1234567890123456789012345)"
cat > "$W/job/wide.yaml" <<'EOF'
sources:
  db: { kind: postgres, url: "${WDB_URL}" }
targets:
  lake: { kind: parquet, path: ./lake_wide }
defaults: { from: db, to: lake }
tables:
  wide: {}
EOF
rc=0; (cd "$W/job" && "$SLUICE_BIN" run --no-progress --fresh wide.yaml) > /dev/null 2> "$W/w.err" || rc=$?
[ $rc = 1 ] && grep -q "numeric: {precision: 38, scale: S}" "$W/w.err" && ok "numeric overflow names numeric: {precision, scale}" \
  || { bad "numeric overflow message (exit $rc)"; tail -2 "$W/w.err"; }
sed -i "s|  wide: {}|  wide: { numeric: { precision: 38, scale: 25 } }|" "$W/job/wide.yaml"
rc=0; (cd "$W/job" && "$SLUICE_BIN" run --no-progress --fresh wide.yaml) > /dev/null 2> "$W/w2.err" || rc=$?
v=$($DUCK "SELECT v::VARCHAR FROM read_parquet('$W/job/lake_wide/wide/*.parquet')" 2>&1 | tail -n 1)
[ $rc = 0 ] && [ "$v" = "0.1234567890123456789012345" ] && ok "remedy numeric: {precision: 38, scale: 25}, applied: exact value" \
  || { bad "numeric remedy: exit $rc, value $v"; tail -2 "$W/w2.err"; }

# --- trim_char ----------------------------------------------------------------------
cat > "$W/job/trim.yaml" <<'EOF'
sources:
  db: { kind: postgres, url: "${WDB_URL}" }
targets:
  lake: { kind: parquet, path: ./lake_trim }
defaults: { from: db, to: lake, trim_char: true }
tables:
  customers: {}
EOF
(cd "$W/job" && "$SLUICE_BIN" run --no-progress trim.yaml) > /dev/null 2>&1
[ "$($DUCK "SELECT count(*) FROM read_parquet('$W/job/lake_trim/customers/*.parquet') WHERE code = 'K1'" | tail -n 1)" = 1 ] \
  && ok "trim_char: true: char(n) without its padding (code = 'K1' matches, as in PostgreSQL)" || bad "trim_char"

# --- three failing tables: plan and validate list all three ----------------------------
cat > "$W/job/three.yaml" <<'EOF'
sources:
  db: { kind: postgres, url: "${WDB_URL}" }
targets:
  lake: { kind: parquet, path: ./lake_three }
defaults: { from: db, to: lake }
tables:
  types: { unsupported: error }
  missing: { table: public.no_such_table }
  customers: { columns: [{ name: nope, type: string }] }
  hr_people: { table: hr.people }
EOF
rc=0; "$SLUICE_BIN" validate --connect "$W/job/three.yaml" > "$W/v3.out" 2> "$W/v3.err" || rc=$?
n=$(grep -c "error job three: table" "$W/v3.err")
# exit 2: a job-file problem found on connecting (the missing column) outranks a failed table's 1
[ $rc = 2 ] && [ "$n" = 3 ] && grep -q "3 of 4 tables failed" "$W/v3.out" && ok "validate --connect: all three failing tables listed" \
  || { bad "validate --connect: exit $rc, $n errors"; cat "$W/v3.err" "$W/v3.out"; }
rc=0; "$SLUICE_BIN" plan --json "$W/job/three.yaml" > "$W/p3.json" 2> "$W/p3.err" || rc=$?
node -e '
  const p = JSON.parse(require("fs").readFileSync(process.argv[1]));
  const f = p.tables.filter(t => t.failed).map(t => t.name).sort().join(",");
  if (f !== "customers,missing,types" || p.failed !== 3 || p.tables.length !== 4) { console.error(f); process.exit(1); }
  if (!p.tables.find(t => t.name === "missing").error.includes("does not exist")) process.exit(1);
' "$W/p3.json" && ok "plan --json: the three failed tables with their errors, and the good one" || { bad "plan --json failed tables (exit $rc)"; cat "$W/p3.json"; }
rc=0; "$SLUICE_BIN" plan "$W/job/three.yaml" > "$W/p3.txt" 2>/dev/null || rc=$?
[ "$(grep -c '  FAILED ' "$W/p3.txt")" = 3 ] && ok "plan: three FAILED tables in the text" || bad "plan text FAILED count"

# --- a pattern matching nothing -------------------------------------------------------------
printf 'sources:\n  db: { kind: postgres, url: "${WDB_URL}" }\ntargets:\n  lake: { kind: parquet, path: ./l }\ndefaults: { from: db, to: lake }\ntables:\n  "nope.*": {}\n' > "$W/job/none.yaml"
rc=0; "$SLUICE_BIN" plan "$W/job/none.yaml" > /dev/null 2> "$W/none.err" || rc=$?
[ $rc = 2 ] && grep -q 'tables.nope.\*: the pattern matches no table' "$W/none.err" && ok "a pattern matching nothing: exit 2, named" \
  || { bad "pattern matching nothing: exit $rc"; cat "$W/none.err"; }

# --- partitions: separate ------------------------------------------------------------------
printf 'sources:\n  db: { kind: postgres, url: "${WDB_URL}" }\ntargets:\n  lake: { kind: parquet, path: ./l }\ndefaults: { from: db, to: lake }\ntables:\n  "public.events*": { partitions: separate }\n' > "$W/job/sep.yaml"
"$SLUICE_BIN" plan "$W/job/sep.yaml" > "$W/sep.txt" 2>&1
grep -q '^pattern "public.events\*" (source db) selected 12 tables: events_01,' "$W/sep.txt" \
  && ok "partitions: separate: the 12 partitions, not the parent" || { bad "partitions: separate"; head -3 "$W/sep.txt"; }

# --- small things: run numbers per job, status with long names, resumed counts --------------
mkdir -p "$W/two"
for j in a b; do
  printf 'sources:\n  db: { kind: postgres, url: "${WDB_URL}" }\ntargets:\n  lake: { kind: parquet, path: ./lake_%s }\ndefaults: { from: db, to: lake }\ntables:\n  customers: {}\n  a_table_with_a_rather_long_name_indeed: { table: customers }\n' $j > "$W/two/$j.yaml"
done
nums=""
for j in a b a b b; do
  n=$(cd "$W/two" && "$SLUICE_BIN" run --no-progress $j.yaml 2>&1 | grep -o "done: .*(run [0-9]*" | grep -o "[0-9]*$")
  nums="$nums $j$n"
done
[ "$nums" = " a1 b1 a2 b2 b3" ] && ok "two job files in one folder: runs numbered per job ($nums)" || bad "run numbers per job:$nums"
"$SLUICE_BIN" status "$W/two/b.yaml" > "$W/status.txt" 2>&1
[ "$(grep -c '^run [123]  succeeded' "$W/status.txt")" = 3 ] && ok "status: b's runs 1, 2, 3" || { bad "status run numbers"; grep '^run' "$W/status.txt"; }
h=$(awk '/^    table / { print index($0, "status") }' "$W/status.txt" | head -1)
c=$(awk '/^    (customers|a_table_with) / { print index($0, "published") }' "$W/status.txt" | sort -u | tr '\n' ' ')
[ "$c" = "$h " ] && ok "status: columns aligned under a long table name" || { bad "status alignment (header $h, rows $c)"; head -12 "$W/status.txt"; }
psql -X -q -d wdb -c "DROP TABLE IF EXISTS later"
printf 'sources:\n  db: { kind: postgres, url: "${WDB_URL}" }\ntargets:\n  lake: { kind: parquet, path: ./lake_res }\ndefaults: { from: db, to: lake }\ntables:\n  events: {}\n  later: {}\n' > "$W/job/res.yaml"
(cd "$W/job" && "$SLUICE_BIN" run --no-progress --workers 2 res.yaml) > /dev/null 2>&1
psql -X -q -d wdb -c "CREATE TABLE later AS SELECT 1 AS x"
line=$(cd "$W/job" && "$SLUICE_BIN" run --no-progress --workers 2 res.yaml 2>&1 | grep "done:")
t=$(echo "$line" | sed -n 's/.*done: 2 tables, \([0-9]*\) tasks, 200001 rows.*resumed: 1 table and \([0-9]*\) tasks kept.*/\1 \2/p')
[ -n "$t" ] && [ "${t% *}" = $(( ${t#* } + 1 )) ] \
  && ok "resumed run: tasks, rows and kept counts agree ($line)" || bad "resumed summary: $line"

[ "$fail" = 0 ]
