#!/usr/bin/env bash
# 56-checks: data checks that gate publishing (issue 13).
#   a) a clean source table passes every rule and is published to a lake and
#      a PostgreSQL warehouse; `plan` lists the checks.
#   b) planted defects (NULLs, a duplicate key, a value outside the accepted
#      set, two outside the range, a malformed email, a 3-letter country, an
#      orphan foreign key, a row shipped before it was created, a row from
#      the future, a column whose type changed): each rule catches exactly
#      the planted rows and names them (the state store's results through
#      `sluice status --json`); the run exits 3 and says which rule failed;
#      the lake table and the warehouse table stay byte for byte / row for
#      row what they were; warn-level rules publish and are reported;
#      max_bad_rows as a count and as a fraction publishes when the bad rows
#      fit and fails when they do not.
#   c) kill -9 (failpoint checks:done:crash) after the checks, before the
#      publish: nothing changed; the resume publishes the fixed data, equal
#      to the source.
#   d) `sluice check JOB [TABLE]` judges the published tables and writes
#      nothing; exit 3 when a rule fails.
#   e) a rule naming a column the source table lacks: `validate --connect`
#      fails with the rule's file:line:column and "did you mean".
#   g) the row-level rules are judged in the task loop (the log says how
#      many), with the same counts and examples as above; on_bad_rows:
#      quarantine publishes <table>__rejected beside the table in the lake
#      holding exactly the bad rows with their rule, reason and run, and the
#      table (lake and warehouse) without them; drop publishes the table
#      without them and no quarantine; max_bad_rows as a count (exceeded:
#      exit 3, nothing published) and as a fraction (within: published);
#      kill -9 after the checks and resume: the quarantine is not doubled.
#   f) `plan` and `validate --connect` have no side effects: after a run
#      that published a csv table with a rejects file and checks, they
#      change no file or directory in the target, state or rejects paths.
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
sl_suite_pg
sl_suite_workdir checks SLUICE_CHECKS_KEEP
cp "$SLUICE_BIN" "$W/sluice" && SLUICE_BIN=$W/sluice   # immune to a rebuild while the suite runs

sl_pg_createdb checks_src
sl_pg_createdb checks_dw
SRC="$SLUICE_PG_URL/checks_src"
DW="$SLUICE_PG_URL/checks_dw"
N=2000

clean_source() {
  psql -X -q -d checks_src -v ON_ERROR_STOP=1 <<SQL
DROP TABLE IF EXISTS orders; DROP TABLE IF EXISTS customers;
CREATE TABLE customers (id int PRIMARY KEY, name text);
INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 100) g;
CREATE TABLE orders (id bigint, customer_id int, status text, amount numeric(12,2), email text, country text,
                     created_at timestamptz, shipped_at timestamptz);
INSERT INTO orders SELECT g, 1 + g % 100, (ARRAY['pending','shipped','delivered','cancelled','returned'])[1 + g % 5],
       (g * 3.7)::numeric(12,2), 'user' || g || '@example.org', (ARRAY['DE','FR','NL'])[1 + g % 3],
       now() - g * interval '1 minute', CASE WHEN g % 4 = 0 THEN NULL ELSE now() - g * interval '1 minute' + interval '1 hour' END
FROM generate_series(1, $N) g;
ANALYZE;
SQL
}

plant_defects() {
  psql -X -q -d checks_src -v ON_ERROR_STOP=1 <<'SQL'
UPDATE orders SET customer_id = NULL WHERE id IN (11, 12);
INSERT INTO orders SELECT * FROM orders WHERE id = 21;
UPDATE orders SET status = 'lost' WHERE id = 31;
UPDATE orders SET amount = -5 WHERE id = 41;
UPDATE orders SET amount = 200000 WHERE id = 42;
UPDATE orders SET email = 'no-at-sign' WHERE id = 51;
UPDATE orders SET country = 'DEU' WHERE id = 61;
UPDATE orders SET customer_id = 999 WHERE id = 71;
UPDATE orders SET shipped_at = created_at - interval '1 day' WHERE id = 81;
UPDATE orders SET created_at = now() + interval '10 days', shipped_at = NULL WHERE id = 91;
ALTER TABLE orders ALTER COLUMN amount TYPE numeric(14,2);
ANALYZE;
SQL
}

cat > "$W/job.yaml" <<YAML
name: checks
retry_backoff: 10ms
sources:
  shop: { kind: postgres, url: "$SRC", max_connections: 4 }
targets:
  lake: { kind: parquet, path: ./lake }
  dw: { kind: postgres, url: "$DW" }
tables:
  customers: { from: shop, table: public.customers, to: lake }
  orders:
    from: shop
    table: public.orders
    partition: { column: id, strategy: range, count: 3 }
    to: [lake, dw]
    checks:
      - not_null: [id, customer_id]
      - unique: [id]
      - accepted_values: { status: [pending, shipped, delivered, cancelled, returned] }
      - range: { amount: { min: 0, max: 100000 } }
      - regex: { email: '^[^@ ]+@[^@ ]+$' }
      - length: { country: { min: 2, max: 2 } }
      - row_count: { min: 1000 }
      - row_count: { matches: source }
      - references: { customer_id: customers.id }
      - expression: "shipped_at is null or shipped_at >= created_at"
      - freshness: { column: created_at, max_age: 1d }
      - schema: { columns: { id: int64, amount: "decimal(12,2)" } }
      - { unique: [email], severity: warn }
    on_schema_change: recreate
  orders_warn:
    from: shop
    table: public.orders
    to: lake
    checks:
      - { not_null: [customer_id], severity: warn }
  orders_count:
    from: shop
    table: public.orders
    to: lake
    checks: [ { not_null: [customer_id] } ]
    max_bad_rows: 2
  orders_fraction:
    from: shop
    table: public.orders
    to: lake
    checks: [ { not_null: [customer_id] } ]
    max_bad_rows: 0.1%
  orders_fraction_low:
    from: shop
    table: public.orders
    to: lake
    checks: [ { not_null: [customer_id] } ]
    max_bad_rows: 0.05%
YAML

run() {   # [VAR=value...] -> $rc, log in $W/run.log
  rc=0
  (cd "$W" && exec env "$@" "$SLUICE_BIN" run --workers 2 --no-progress job.yaml) > "$W/run.log" 2>&1 || rc=$?
}
lake_sum() { (cd "$W/lake" && find . -type f -not -path './.sluice-staging/*' | sort | xargs md5sum); }
lake_table_sum() { (cd "$W/lake/$1" && md5sum * | sort); }
dw_sum() { psql -X -At -d checks_dw -c "SELECT count(*), md5(string_agg(o::text, '|' ORDER BY id, email)) FROM public.orders o"; }
status_json() { (cd "$W" && "$SLUICE_BIN" status job.yaml --json --runs 1) 2>/dev/null; }
# rule TABLE RULE -> "status failing examples" of the latest run
rule() {
  status_json | jq -r --arg t "$1" --arg r "$2" \
    '.runs[0].tables[] | select(.name == $t) | .checks[] | select(.rule == $r) | "\(.status) \(.failing) \(.examples // "-")"' | head -1
}
expect_rule() {   # table rule expected
  local got; got=$(rule "$1" "$2")
  [ "$got" = "$3" ] && ok "$1: $2: $3" || bad "$1: $2: expected '$3', got '$got'"
}

# ---- a) clean ----
clean_source
run
[ "$rc" = 0 ] && ok "a clean table passes every check and is published" || { bad "clean run (exit $rc): $(tail -5 "$W/run.log")"; exit 1; }
grep -q "table orders: checks: 13 of 13 passed over $N rows" "$W/run.log" && ok "the log says all 13 rules passed" \
  || bad "no all-passed line: $(grep 'checks:' "$W/run.log")"
(cd "$W" && "$SLUICE_BIN" plan job.yaml) > "$W/plan.log" 2>&1
grep -q "checks not_null(id, customer_id), unique(id), accepted_values(status)" "$W/plan.log" && ok "plan lists the checks" \
  || bad "plan does not list the checks: $(grep -m3 checks "$W/plan.log")"
expect_rule orders "not_null(id, customer_id)" "passed 0 -"
status_json | jq -r '.runs[0].tables[] | select(.name == "orders") | .checks[] | select(.rule == "unique(id)") | .detail' \
  | grep -q "proven in the task loop" && ok "unique(id) proven in the task loop (keys increasing per task, ranges apart)" \
  || bad "unique(id) not proven in the loop: $(status_json | jq -c '.runs[0].tables[] | select(.name == "orders") | .checks[1]')"
lake_before=$(lake_sum)
dw_before=$(dw_sum)

# ---- b) planted defects ----
plant_defects
run
[ "$rc" = 3 ] && ok "failed checks exit 3" || bad "exit $rc, not 3: $(tail -3 "$W/run.log")"
grep -q "table orders: check not_null(id, customer_id) failed: 2 of 2001 rows; examples: id=11, id=12" "$W/run.log" \
  && ok "the error names the rule, the rows and example keys" || bad "no clear failure line: $(grep -m2 'failed' "$W/run.log")"
grep -q "table orders: checks: 5 rules judged in the task loop (7 bad rows)" "$W/run.log" \
  && ok "the row rules ran in the task loop" || bad "no task-loop line: $(grep -m3 'task loop' "$W/run.log")"
grep -q "not published: its previous version stays live" "$W/run.log" && ok "says the previous version stays" \
  || bad "does not say what happened to publishing"
expect_rule orders "not_null(id, customer_id)" "failed 2 id=11, id=12"
expect_rule orders "unique(id)" "failed 2 id=21"
expect_rule orders "accepted_values(status)" "failed 1 id=31"
expect_rule orders "range(amount)" "failed 2 id=41, id=42"
expect_rule orders "regex(email)" "failed 1 id=51"
expect_rule orders "length(country)" "failed 1 id=61"
expect_rule orders "references(customer_id)" "failed 1 id=71"
expect_rule orders "expression" "failed 1 id=81"
expect_rule orders "freshness(created_at)" "failed 1 id=91"
expect_rule orders "schema" "failed 1 -"
expect_rule orders "row_count" "passed 0 -"
expect_rule orders "unique(email)" "warned 2 email=user21@example.org"
detail=$(status_json | jq -r '.runs[0].tables[] | select(.name == "orders") | .checks[] | select(.rule == "schema") | .detail')
grep -q "amount is decimal(14,2), expected decimal(12,2)" <<<"$detail" && ok "schema says which column changed and how" \
  || bad "schema detail: $(status_json | jq -c '.runs[0].tables[] | select(.name == "orders") | .checks[] | select(.rule == "schema")')"
text=$(cd "$W" && "$SLUICE_BIN" status job.yaml 2>/dev/null)
grep -q "check: unique(id) .*error failed .*2 failing" <<<"$text" \
  && ok "sluice status shows the results" || bad "status text lacks the check results"

# Nothing changed where the table lives.
[ "$(lake_table_sum orders)" = "$(echo "$lake_before" | grep ' ./orders/' | sed 's#\./orders/##' | sort)" ] \
  && ok "the lake's orders are byte for byte the previous version" || bad "the lake's orders changed"
[ "$(dw_sum)" = "$dw_before" ] && ok "the warehouse's orders are unchanged" || bad "the warehouse's orders changed"

# Warn-level and tolerated failures publish.
expect_rule orders_warn "not_null(customer_id)" "warned 2 id=11, id=12"
jq -e '.rows == 2001' "$W/lake/orders_warn/_sluice_manifest.json" >/dev/null && ok "a warn-level failure publishes" \
  || bad "orders_warn not published with 2001 rows"
expect_rule orders_count "not_null(customer_id)" "tolerated 2 id=11, id=12"
jq -e '.rows == 2001' "$W/lake/orders_count/_sluice_manifest.json" >/dev/null && ok "max_bad_rows: 2 publishes 2 bad rows" \
  || bad "orders_count not published"
expect_rule orders_fraction "not_null(customer_id)" "tolerated 2 id=11, id=12"
jq -e '.rows == 2001' "$W/lake/orders_fraction/_sluice_manifest.json" >/dev/null \
  && ok "max_bad_rows: 0.1% (2 of 2001) publishes" || bad "orders_fraction not published"
expect_rule orders_fraction_low "not_null(customer_id)" "failed 2 id=11, id=12"
[ "$(lake_table_sum orders_fraction_low)" = "$(echo "$lake_before" | grep ' ./orders_fraction_low/' | sed 's#\./orders_fraction_low/##' | sort)" ] \
  && ok "max_bad_rows: 0.05% (1 of 2001) does not publish" || bad "orders_fraction_low changed"

# ---- c) kill -9 after the checks, then resume ----
clean_source
psql -X -q -d checks_src -c "INSERT INTO orders SELECT 5000, 1, 'pending', 1.00, 'new@example.org', 'DE', now(), NULL"
run SLUICE_FAILPOINT=checks:done:crash
[ "$rc" = 137 ] && ok "killed after the checks (exit 137)" || bad "the crash failpoint did not kill the run (exit $rc)"
[ "$(lake_table_sum orders)" = "$(echo "$lake_before" | grep ' ./orders/' | sed 's#\./orders/##' | sort)" ] \
  && ok "killed: the lake's orders are unchanged" || bad "killed: the lake's orders changed"
run
[ "$rc" = 0 ] && ok "the resume publishes the fixed table" || bad "resume exit $rc: $(tail -3 "$W/run.log")"
grep -q "resuming run" "$W/run.log" && ok "it was a resume" || bad "not a resume"
want=$(psql -X -At -d checks_src -c "SELECT count(*) || ' ' || sum(id) FROM orders")
got=$(cd "$W" && for f in lake/orders/part-*.parquet; do "$SLUICE_BIN" cat "$f" --columns id --format csv 2>/dev/null | tail -n +2; done \
      | awk '{ n++; s += $1 } END { print n " " s }')
[ "$got" = "$want" ] && ok "the published table equals the source ($want)" || bad "published '$got', source '$want'"
[ "$(dw_sum | cut -d'|' -f1)" = "$((N + 1))" ] && ok "the warehouse has the new version" || bad "warehouse: $(dw_sum)"
expect_rule orders "unique(id)" "passed 0 -"
[ "$(status_json | jq '[.runs[0].tables[] | select(.name == "orders") | .checks[]] | length')" = 13 ] \
  && ok "one result per rule after the resume (not doubled)" || bad "results doubled after the resume"

# ---- d) sluice check ----
state_before=$(md5sum "$W/.sluice/state.db" | cut -d' ' -f1)
lake_now=$(lake_sum)
(cd "$W" && "$SLUICE_BIN" check job.yaml orders) > "$W/check.log" 2>&1; crc=$?
[ "$crc" = 0 ] && grep -q "table orders: 12 of 13 checks passed" "$W/check.log" && ok "sluice check passes the published table" \
  || bad "sluice check (exit $crc): $(tail -3 "$W/check.log")"
sed 's/min: 1000 }/min: 100000 }/' "$W/job.yaml" > "$W/job-strict.yaml"
(cd "$W" && "$SLUICE_BIN" check job-strict.yaml orders) > "$W/check.log" 2>&1; crc=$?
[ "$crc" = 3 ] && grep -q "row_count .*failed" "$W/check.log" && ok "sluice check exits 3 when a rule fails" \
  || bad "strict check exit $crc: $(cat "$W/check.log")"
[ "$(lake_sum)" = "$lake_now" ] && [ "$(md5sum "$W/.sluice/state.db" | cut -d' ' -f1)" = "$state_before" ] \
  && ok "sluice check wrote nothing" || bad "sluice check changed the lake or the state"

# ---- e) a rule naming a missing column ----
sed 's/- not_null: \[id, customer_id\]/- not_null: [id, customer]/' "$W/job.yaml" > "$W/job-col.yaml"
(cd "$W" && "$SLUICE_BIN" validate --connect job-col.yaml) > "$W/val.log" 2>&1; vrc=$?
[ "$vrc" = 2 ] && grep -q "job-col.yaml:16:9: tables.orders.checks: not_null(id, customer): no column 'customer' in the table (did you mean 'customer_id'?)" "$W/val.log" \
  && ok "a missing column is a job-file error at the rule's line and column" || bad "missing column (exit $vrc): $(cat "$W/val.log")"


# ---- g) drop and quarantine ----
clean_source
plant_defects
cat > "$W/q.yaml" <<YAML
name: checks_q
retry_backoff: 10ms
sources:
  shop: { kind: postgres, url: "$SRC", max_connections: 4 }
targets:
  lake: { kind: parquet, path: ./qlake }
  dw: { kind: postgres, url: "$DW", schema: q }
tables:
  orders:
    from: shop
    table: public.orders
    partition: { column: id, strategy: range, count: 3 }
    to: [lake, dw]
    checks: &rules
      - not_null: [id, customer_id]
      - unique: [id]
      - accepted_values: { status: [pending, shipped, delivered, cancelled, returned] }
      - range: { amount: { min: 0, max: 100000 } }
      - regex: { email: '^[^@ ]+@[^@ ]+\$' }
      - length: { country: { min: 2, max: 2 } }
      - { not_null: [shipped_at], severity: warn }
    on_bad_rows: quarantine
    on_schema_change: recreate
  orders_drop:
    from: shop
    table: public.orders
    partition: { column: id, strategy: range, count: 2 }
    to: lake
    checks: *rules
    on_bad_rows: drop
    max_bad_rows: 1%
  orders_qmax:
    from: shop
    table: public.orders
    to: lake
    checks: *rules
    on_bad_rows: quarantine
    max_bad_rows: 6
YAML
sed -i 's/unique: \[id\]/{ unique: [id], severity: warn }/' "$W/q.yaml"
psql -X -q -d checks_dw -c "CREATE SCHEMA IF NOT EXISTS q"
qrun() {   # [VAR=value...] [--fresh]
  local envs=() opts=(); for a in "$@"; do case $a in --*) opts+=("$a");; *) envs+=("$a");; esac; done
  rc=0; (cd "$W" && exec env "${envs[@]}" "$SLUICE_BIN" run --workers 2 --no-progress "${opts[@]}" q.yaml) > "$W/q.log" 2>&1 || rc=$?
}
qstatus() { (cd "$W" && "$SLUICE_BIN" status q.yaml --json --runs 1) 2>/dev/null; }
qrule() { qstatus | jq -r --arg t "$1" --arg r "$2" '.runs[0].tables[] | select(.name == $t) | .checks[] | select(.rule == $r) | "\(.status) \(.failing) \(.examples // "-")"' | head -1; }
# the rows of a lake table's files, as CSV of the given columns, sorted
lake_rows() { (cd "$W" && for f in qlake/$1/part-*.parquet; do "$SLUICE_BIN" cat "$f" --columns "$2" --format csv 2>/dev/null | tail -n +2; done | sort -n); }
want_rejected=$(cat <<'EOF'
11|not_null(id, customer_id)|customer_id is null
12|not_null(id, customer_id)|customer_id is null
31|accepted_values(status)|status 'lost' is not an accepted value
41|range(amount)|amount -5.00 is outside [0, 100000]
42|range(amount)|amount 200000.00 is outside [0, 100000]
51|regex(email)|email 'no-at-sign' does not match '^[^@ ]+@[^@ ]+$'
61|length(country)|country 'DEU' has a length outside [2, 2]
EOF
)
check_quarantine() {   # label
  local got; got=$(cd "$W" && for f in qlake/orders__rejected/part-*.parquet; do "$SLUICE_BIN" cat "$f" --format json 2>/dev/null; done \
    | jq -r '"\(.id)|\(._rule)|\(._reason)"' | sort -n)
  [ "$got" = "$want_rejected" ] && ok "$1: orders__rejected holds exactly the 7 bad rows with rule and reason" \
    || bad "$1: orders__rejected: $(diff <(echo "$want_rejected") <(echo "$got") | head -8)"
  local runs; runs=$(lake_rows orders__rejected _run | uniq | wc -l)
  [ "$runs" = 1 ] && ok "$1: _run is the run's id" || bad "$1: _run has $runs values"
  [ "$(lake_rows orders id | wc -l)" = 1994 ] && ok "$1: the lake's orders has the 1994 good rows" \
    || bad "$1: the lake's orders has $(lake_rows orders id | wc -l) rows"
  [ "$(lake_rows orders id | grep -cxE '11|12|31|41|42|51|61')" = 0 ] && ok "$1: no bad row in the lake's orders" \
    || bad "$1: bad rows in the lake's orders"
}
qrun SLUICE_FAILPOINT=checks:done:crash
[ "$rc" = 137 ] && ok "quarantine: killed after the checks" || bad "quarantine: crash failpoint (exit $rc): $(tail -3 "$W/q.log")"
qrun
[ "$rc" = 3 ] && ok "quarantine: the resume exits 3 (orders_qmax: 7 bad rows, max_bad_rows 6)" \
  || bad "quarantine resume exit $rc: $(tail -3 "$W/q.log")"
grep -q "resuming run" "$W/q.log" && ok "quarantine: it was a resume" || bad "quarantine: not a resume"
check_quarantine "after kill -9 and resume"
[ "$(psql -X -At -d checks_dw -c 'SELECT count(*) FROM q.orders')" = 1994 ] \
  && ok "quarantine: the warehouse's orders has the good rows only" || bad "quarantine: warehouse orders: $(psql -X -At -d checks_dw -c 'SELECT count(*) FROM q.orders')"
[ -z "$(psql -X -At -d checks_dw -c "SELECT to_regclass('q.orders__rejected')")" ] \
  && ok "quarantine: no rejected table in the warehouse (lake targets only)" || bad "quarantine: a rejected table in the warehouse"
[ "$(qrule orders 'not_null(id, customer_id)')" = "tolerated 2 id=11, id=12" ] && ok "quarantine: not_null tolerated 2 id=11, id=12" \
  || bad "quarantine: not_null: $(qrule orders 'not_null(id, customer_id)')"
[ "$(qrule orders 'range(amount)')" = "tolerated 2 id=41, id=42" ] && ok "quarantine: range tolerated 2 id=41, id=42" \
  || bad "quarantine: range: $(qrule orders 'range(amount)')"
[ "$(qrule orders 'not_null(shipped_at)')" = "warned 501 id=4, id=8, id=12, id=16, id=20" ] \
  && ok "quarantine: a warn-level rule counts but splits nothing" || bad "quarantine: warn rule: $(qrule orders 'not_null(shipped_at)')"
[ "$(qrule orders 'unique(id)')" = "warned 2 id=21" ] && ok "quarantine: unique is still judged on the staged output" \
  || bad "quarantine: unique: $(qrule orders 'unique(id)')"
# drop: the good rows, and no quarantine
[ "$(lake_rows orders_drop id | wc -l)" = 1994 ] && [ ! -e "$W/qlake/orders_drop__rejected" ] \
  && ok "drop: 1994 rows published, no quarantine (max_bad_rows 1%: 7 of 2001 fit)" || bad "drop: $(lake_rows orders_drop id | wc -l) rows"
[ "$(qrule orders_drop 'regex(email)')" = "tolerated 1 id=51" ] && ok "drop: the rule's result names the dropped row" \
  || bad "drop: regex: $(qrule orders_drop 'regex(email)')"
# max_bad_rows exceeded: nothing published
[ ! -e "$W/qlake/orders_qmax" ] && [ ! -e "$W/qlake/orders_qmax__rejected" ] \
  && ok "quarantine: over max_bad_rows neither the table nor its quarantine is published" || bad "orders_qmax published"
grep -q "orders_qmax: check not_null(id, customer_id) failed: 2 of 2001 rows (quarantined); examples: id=11, id=12; 7 bad rows in all, max_bad_rows allows 6" "$W/q.log" \
  && ok "quarantine: the failure says how many rows and what max_bad_rows allows" || bad "orders_qmax message: $(grep -m2 orders_qmax "$W/q.log")"
# a clean run replaces the quarantine with an empty one
clean_source
qrun --fresh
[ "$rc" = 0 ] && ok "quarantine: a clean run publishes" || bad "clean quarantine run exit $rc: $(tail -3 "$W/q.log")"
[ "$(lake_rows orders__rejected id | wc -l)" = 0 ] && [ "$(lake_rows orders id | wc -l)" = $N ] \
  && ok "quarantine: after a clean run the quarantine is empty and the table whole" \
  || bad "clean: rejected $(lake_rows orders__rejected id | wc -l), orders $(lake_rows orders id | wc -l)"

# ---- f) plan and validate change nothing ----
mkdir -p "$W/f/in"
printf 'id,name\n1,a\n2,b\nx,c\n3,d\n' > "$W/f/in/t.csv"
cat > "$W/f/job.yaml" <<YAML
name: side_effects
sources:
  files: { kind: csv, path: in }
  shop: { kind: postgres, url: "$SRC" }
targets:
  lake: { kind: parquet, path: lake }
tables:
  t:
    from: files
    file: t.csv
    to: lake
    columns: { id: int64, name: text }
    rejects: bad/t.csv
    checks: [ { not_null: [id] } ]
  customers: { from: shop, table: public.customers, to: lake, checks: [ { unique: [id] } ] }
YAML
(cd "$W/f" && "$SLUICE_BIN" run --no-progress job.yaml) > "$W/f.log" 2>&1 || bad "side-effects job run failed: $(tail -3 "$W/f.log")"
[ "$(wc -l < "$W/f/bad/t.csv")" = 2 ] && ok "the csv table's rejects file holds the bad row" || bad "rejects: $(cat "$W/f/bad/t.csv")"
tree_sum() { (cd "$W/f" && find . -printf '%p %y %s %m %T@\n' | sort && find . -type f -print0 | sort -z | xargs -0 md5sum); }
before=$(tree_sum)
sleep 1
(cd "$W/f" && "$SLUICE_BIN" plan job.yaml && "$SLUICE_BIN" plan --json job.yaml && "$SLUICE_BIN" validate job.yaml \
  && "$SLUICE_BIN" validate --connect job.yaml) > "$W/f-plan.log" 2>&1 || bad "plan/validate failed: $(tail -3 "$W/f-plan.log")"
after=$(tree_sum)
[ "$before" = "$after" ] && ok "plan and validate --connect change no file in the target, state or rejects paths" \
  || bad "plan/validate changed: $(diff <(echo "$before") <(echo "$after") | head -5)"

# --- list columns and on_bad_rows: a kept row keeps its own lists -------------------------------
# (the filter that drops bad rows once moved a list column's values as if it were fixed width:
# kept rows got other rows' lists)
psql -X -q -d checks_src -v ON_ERROR_STOP=1 <<'SQL'
DROP TABLE IF EXISTS listed;
CREATE TABLE listed (id int, tags text[], scores int[], note text);
INSERT INTO listed SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE ARRAY['t' || g, 'u' || (g * g)] END,
       ARRAY(SELECT g * 10 + k FROM generate_series(1, g % 4) k), CASE WHEN g % 5 = 0 THEN NULL ELSE 'n' || g END
FROM generate_series(1, 300) g;
SQL
mkdir -p "$W/l"
cat > "$W/l/job.yaml" <<YAML
name: checks_lists
sources:
  shop: { kind: postgres, url: "$SRC" }
targets:
  lake: { kind: parquet, path: ./lake }
tables:
  dropped:   { from: shop, table: public.listed, to: lake, checks: [ { not_null: [tags] } ], on_bad_rows: drop, max_bad_rows: 20% }
  quarantined: { from: shop, table: public.listed, to: lake, checks: [ { not_null: [tags] } ], on_bad_rows: quarantine, max_bad_rows: 20% }
YAML
(cd "$W/l" && "$SLUICE_BIN" run --no-progress job.yaml) > "$W/l.log" 2>&1 || bad "lists job failed: $(tail -3 "$W/l.log")"
want=$(psql -X -At -d checks_src -c "SELECT id || '|' || array_to_string(tags, ',') || '|' || array_to_string(scores, ',') || '|' || coalesce(note, '-') FROM listed WHERE tags IS NOT NULL ORDER BY id")
for t in dropped quarantined; do
  got=$(cd "$W/l" && for f in lake/$t/part-*.parquet; do "$SLUICE_BIN" cat "$f" --format json; done \
    | jq -r '"\(.id)|\(.tags | join(","))|\(.scores | map(tostring) | join(","))|\(.note // "-")"' | sort -n)
  [ -n "$want" ] && [ "$got" = "$want" ] && ok "on_bad_rows with list columns ($t): the 258 kept rows have their own lists" \
    || bad "on_bad_rows with list columns ($t): $(diff <(echo "$want") <(echo "$got") | head -6)"
done
got=$(cd "$W/l" && for f in lake/quarantined__rejected/part-*.parquet; do "$SLUICE_BIN" cat "$f" --format json; done \
  | jq -r '"\(.id)|\(.tags)|\(.scores | map(tostring) | join(","))"' | sort -n | tr '\n' ' ')
want=$(psql -X -At -d checks_src -c "SELECT id || '|null|' || array_to_string(scores, ',') FROM listed WHERE tags IS NULL ORDER BY id" | tr '\n' ' ')
[ "$got" = "$want" ] && ok "on_bad_rows with list columns: the quarantine holds the 42 bad rows with their own lists" \
  || bad "the quarantine of list rows: got $got; want $want"

exit $fail
