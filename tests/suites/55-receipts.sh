#!/usr/bin/env bash
# 55-receipts: load receipts (the "Load receipts" issue).
#   a) the free checks: a sink that drops one row (failpoint sink-drop-row)
#      fails the task with PostgreSQL's COPY count, the rows decoded and the
#      rows written, is not retried, and nothing is published (the previous
#      version of the table stays); the same for a SQLite source (rows read
#      against rows written) and a CSV target.
#   b) receipts: a table of every type of the mapping table (with NULLs and
#      extremes) is copied; its manifest's receipt equals what PostgreSQL
#      computes for the same rows (count, min, max, sum per column: exact
#      decimals, timestamps, NULL counts), and the source snapshot is named;
#      `sluice inspect DIR` and `sluice status` show it.
#   c) `sluice verify`: a clean lake verifies (exit 0); a published file
#      replaced by one where a value differs is found (exit 1, naming the
#      table, file, column and what differs).
#   d) `verify: source`: the every-type table reconciles with PostgreSQL's
#      aggregates over each task's predicate in the same snapshot (the run
#      publishes and says so); a value changed after decoding (failpoint
#      batch-change-value, as a decoder bug would) fails the task with the
#      column and both values and publishes nothing, where without
#      `verify: source` the same fault goes unnoticed by the run, and
#      `sluice verify --source` reports it later as drift.
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
sl_suite_pg
sl_suite_workdir receipts SLUICE_RECEIPTS_KEEP
cp "$SLUICE_BIN" "$W/sluice" && SLUICE_BIN=$W/sluice   # immune to a rebuild while the suite runs

sl_pg_createdb receipts
URL="$SLUICE_PG_URL/receipts"
psql -X -q -d receipts -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, amount numeric(12,2), note text);
INSERT INTO orders SELECT g, g % 1009, (g * 3.7)::numeric(12,2), 'note ' || g FROM generate_series(1, 20000) g;
ANALYZE;
SQL

cat > "$W/job.yaml" <<YAML
name: receipts
retry_backoff: 10ms
sources:
  pg: { kind: postgres, url: "$URL", max_connections: 2 }
targets:
  lake: { kind: parquet, path: ./lake }
  csv: { kind: csv, path: ./csvlake }
tables:
  orders: { from: pg, table: public.orders, partition: { column: id, strategy: range, count: 2 }, to: [lake, csv] }
YAML

run() {   # job-file [VAR=value...] -> $rc, log in $W/run.log
  local job=$1; shift
  rc=0
  (cd "$W" && exec env "$@" "$SLUICE_BIN" run --workers 2 --no-progress "$job") > "$W/run.log" 2>&1 || rc=$?
}

# ---- a) the free checks ----
run job.yaml
[ "$rc" = 0 ] && ok "a clean run publishes" || { bad "clean run failed: $(tail -3 "$W/run.log")"; exit 1; }
before=$(cat "$W/lake/orders/_sluice_manifest.json")

run job.yaml SLUICE_FAILPOINT=sink-drop-row:on@3
if [ "$rc" = 1 ] && grep -q "row counts do not agree: the source reported 10000 (COPY n), 10000 were decoded, target [a-z]* wrote 9999" "$W/run.log"; then
  ok "a dropped row fails the task with the three counts"
else
  bad "dropped row not caught (exit $rc): $(grep -m1 'row counts\|error' "$W/run.log")"
fi
grep -q "retrying" "$W/run.log" && bad "a failed row check was retried" || ok "not retried"
[ "$(cat "$W/lake/orders/_sluice_manifest.json")" = "$before" ] && ok "nothing published: the previous version stays" \
  || bad "the live table changed after a failed check"

# A SQLite source: rows read against rows written (no count of its own).
sqlite3 "$W/shop.db" "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);
  WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 3000) INSERT INTO items SELECT i, 'item ' || i FROM g;"
cat > "$W/sqlite.yaml" <<YAML
name: receipts_sqlite
sources:
  db: { kind: sqlite, path: ./shop.db }
targets:
  lake: { kind: parquet, path: ./lake }
tables:
  items: { from: db, table: items, partition: none, to: lake }
YAML
run sqlite.yaml SLUICE_FAILPOINT=sink-drop-row:on@1
if [ "$rc" = 1 ] && grep -q "the sqlite source gives no count of its own, 3000 were decoded, target lake wrote 2999" "$W/run.log" \
   && [ ! -e "$W/lake/items" ]; then
  ok "sqlite: rows read against rows written; nothing published"
else
  bad "sqlite: dropped row not caught (exit $rc): $(grep -m1 'error' "$W/run.log")"
fi
run sqlite.yaml
[ "$rc" = 0 ] && grep -q '"source": {"kind": "sqlite", "file_change_counter": [0-9]*, "files": \[{"path": "./shop.db", "size": [0-9]*' \
  "$W/lake/items/_sluice_manifest.json" && ok "sqlite: the manifest names the database file's state" \
  || bad "sqlite: no source identity (exit $rc)"

# ---- b) receipts equal the source's aggregates, for every type ----
psql -X -q -d receipts -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE types (
  id int PRIMARY KEY, b boolean, i2 smallint, i4 int, i8 bigint, f4 real, f8 double precision,
  n12 numeric(12,2), n38 numeric(38,10), nany numeric, t text, vc varchar(20), by bytea,
  d date, tm time, ts timestamp, tz timestamptz, u uuid, j jsonb);
INSERT INTO types
SELECT g, g % 3 = 0, (g % 30000 - 15000)::smallint, g * 7 - 100000, g::bigint * 1000000007 - 9000000000000,
       (g % 1000) / 8.0, g / 3.0, (g * 37 % 100000) / 100.0 - 400, g * 1234567.1234567891,
       round(g / 7.0, 6), 'text ' || md5(g::text), left(md5(g::text), 12), decode(md5(g::text), 'hex'),
       date '2000-01-01' + g, time '00:00:01' + g * interval '1 second', timestamp '2020-02-29 12:00:00' + g * interval '61 minutes',
       timestamptz '2021-06-01 00:00:00+00' + g * interval '1 day 1 second', md5(g::text)::uuid, jsonb_build_object('g', g)
FROM generate_series(1, 20000) g;
UPDATE types SET b = NULL, i2 = NULL, i4 = NULL, i8 = NULL, f4 = NULL, f8 = NULL, n12 = NULL, n38 = NULL, nany = NULL,
  t = NULL, vc = NULL, by = NULL, d = NULL, tm = NULL, ts = NULL, tz = NULL, u = NULL, j = NULL WHERE id % 11 = 0;
INSERT INTO types(id, i8, n38, t) VALUES (20001, 9223372036854775807, 9999999999999999999999999999.9999999999, '');
ANALYZE;
SQL
cat > "$W/types.yaml" <<YAML
name: receipts_types
sources:
  pg: { kind: postgres, url: "$URL", max_connections: 2 }
targets:
  lake: { kind: parquet, path: ./lake }
tables:
  types: { from: pg, table: public.types, partition: { column: id, strategy: range, count: 3 }, to: lake }
YAML
run types.yaml
[ "$rc" = 0 ] || bad "types run failed: $(tail -3 "$W/run.log")"
# What PostgreSQL says, in sluice's text forms: name|non_null|min|max|sum (sum empty when none).
PGTZ=UTC psql -X -q -At -d receipts -v ON_ERROR_STOP=1 > "$W/expected.txt" <<'SQL'
SELECT 'id|'||count(id)||'|'||min(id)||'|'||max(id)||'|'||sum(id) FROM types;
SELECT 'b|'||count(b)||'|'||min(b::int)::bool||'|'||max(b::int)::bool||'|'||count(*) FILTER (WHERE b) FROM types;
SELECT 'i2|'||count(i2)||'|'||min(i2)||'|'||max(i2)||'|'||sum(i2) FROM types;
SELECT 'i4|'||count(i4)||'|'||min(i4)||'|'||max(i4)||'|'||sum(i4) FROM types;
SELECT 'i8|'||count(i8)||'|'||min(i8)||'|'||max(i8)||'|'||sum(i8) FROM types;
SELECT 'f4|'||count(f4)||'|'||min(f4)||'|'||max(f4)||'|' FROM types;
SELECT 'f8|'||count(f8)||'|'||min(f8)||'|'||max(f8)||'|' FROM types;
SELECT 'n12|'||count(n12)||'|'||min(n12)||'|'||max(n12)||'|'||sum(n12) FROM types;
SELECT 'n38|'||count(n38)||'|'||min(n38)||'|'||max(n38)||'|'||sum(n38) FROM types;
SELECT 'nany|'||count(nany)||'|'||min(nany)::numeric(38,18)||'|'||max(nany)::numeric(38,18)||'|'||sum(nany::numeric(38,18)) FROM types;
SELECT 't|'||count(t)||'|'||min(t COLLATE "C")||'|'||max(t COLLATE "C")||'|' FROM types;
SELECT 'vc|'||count(vc)||'|'||min(vc COLLATE "C")||'|'||max(vc COLLATE "C")||'|' FROM types;
SELECT 'by|'||count(by)||'|'||(SELECT by FROM types WHERE by IS NOT NULL ORDER BY by LIMIT 1)||'|'||
       (SELECT by FROM types WHERE by IS NOT NULL ORDER BY by DESC LIMIT 1)||'|' FROM types;
SELECT 'd|'||count(d)||'|'||min(d)||'|'||max(d)||'|' FROM types;
SELECT 'tm|'||count(tm)||'|'||min(tm)||'|'||max(tm)||'|' FROM types;
SELECT 'ts|'||count(ts)||'|'||min(ts)||'|'||max(ts)||'|' FROM types;
SELECT 'tz|'||count(tz)||'|'||min(tz)||'|'||max(tz)||'|' FROM types;
SELECT 'u|'||count(u)||'|'||min(u::text)||'|'||max(u::text)||'|' FROM types;
SELECT 'j|'||count(j)||'||' FROM types;
SQL
node -e '
const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
for (const c of m.receipt.columns)
  console.log([c.name, c.non_null, c.min ?? "", c.max ?? "", c.sum ?? ""].join("|"));
' "$W/lake/types/_sluice_manifest.json" > "$W/receipt.txt"
# json has no order in PostgreSQL that is sluice's (bytes): compare its count only.
sed -i 's/^\(j|[0-9]*\)|.*/\1||/' "$W/receipt.txt"
if diff "$W/expected.txt" "$W/receipt.txt" > "$W/receipt.diff"; then
  ok "receipts equal PostgreSQL's count/min/max/sum for every type ($(wc -l < "$W/receipt.txt") columns)"
else
  bad "receipt differs from PostgreSQL's aggregates: $(head -20 "$W/receipt.diff")"
fi
grep -q '"pg_current_snapshot": "[0-9]*:[0-9]*:' "$W/lake/types/_sluice_manifest.json" &&
  grep -q '"exported_snapshot": "[0-9A-F-]*"' "$W/lake/types/_sluice_manifest.json" &&
  ok "the manifest names the source snapshot" || bad "no source snapshot in the manifest"
[ "$(grep -c '"receipt": {"rows"' "$W/lake/types/_sluice_manifest.json")" = 4 ] &&
  ok "a receipt per file and one per table" || bad "per-file receipts missing"
out=$("$SLUICE_BIN" inspect "$W/lake/types")
grep -Eq '^  n12 +decimal\(12,2\) +non-null ' <<<"$out" && grep -q '^receipt  *20001 rows' <<<"$out" &&
  ok "inspect DIR shows the receipt" || bad "inspect DIR: $out"
out=$("$SLUICE_BIN" status "$W/types.yaml" --runs 1)
grep -Eq 'receipt: i8 +int64 +non-null ' <<<"$out" && ok "status shows the receipt" || bad "status: $out"

# ---- c) sluice verify ----
if out=$("$SLUICE_BIN" verify "$W/types.yaml"); then
  grep -q "ok: table types (target lake): 20001 rows in 3 files match the receipt" <<<"$out" &&
    ok "verify: a clean lake matches (exit 0)" || bad "verify output: $out"
else
  bad "verify failed on a clean lake: $out"
fi
# The same rows but one value changed, written by sluice to another lake, replace a published file.
psql -X -q -d receipts -c "UPDATE types SET n12 = n12 + 0.01 WHERE id = 5" -c "UPDATE types SET t = 'changed' WHERE id = 6"
sed 's|path: ./lake|path: ./lake2|' "$W/types.yaml" > "$W/types2.yaml"
run types2.yaml
cp "$W/lake2/types/part-00000.parquet" "$W/lake/types/part-00000.parquet"
set +e
out=$("$SLUICE_BIN" verify "$W/types.yaml" types); vrc=$?
set -e 2>/dev/null; set +e
if [ "$vrc" = 1 ] && grep -q "DIFFERS: table types (target lake): file part-00000.parquet: column n12: sum: the manifest's receipt says" <<<"$out" \
   && grep -q "DIFFERS: table types (target lake): file part-00000.parquet: column t: min: the manifest.s receipt says text .*, the files give changed" <<<"$out"; then
  ok "verify: a changed value in a published file is found (exit 1, table, file, column and what differs)"
else
  bad "verify missed the changed file (exit $vrc): $out"
fi
# A CSV target is read back with the receipt's types.
out=$("$SLUICE_BIN" verify "$W/job.yaml"); vrc=$?
[ "$vrc" = 0 ] && grep -q "ok: table orders (target csv): 20000 rows in 2 files match the receipt (4 columns)" <<<"$out" &&
  ok "verify: a csv target matches" || bad "verify csv (exit $vrc): $out"
sed -i 's/^5,5,18.50,/5,5,18.51,/' "$W/csvlake/orders/part-00000.csv"
out=$("$SLUICE_BIN" verify "$W/job.yaml" orders); vrc=$?
[ "$vrc" = 1 ] && grep -q "DIFFERS: table orders (target csv): file part-00000.csv: column amount: sum: the manifest's receipt says" <<<"$out" &&
  grep -q "ok: table orders (target lake)" <<<"$out" && ok "verify: a value changed in a csv file is found" \
  || bad "verify missed the csv change (exit $vrc): $out"
"$SLUICE_BIN" verify "$W/types.yaml" nosuch >/dev/null 2>&1; [ $? = 2 ] && ok "verify: an unknown table is a usage error" \
  || bad "verify nosuch: not exit 2"

# ---- d) verify: source ----
psql -X -q -d receipts -c "UPDATE types SET n12 = n12 - 0.01 WHERE id = 5"
sed 's|to: lake }|to: lake, verify: source }|; s|path: ./lake|path: ./lake3|' "$W/types.yaml" > "$W/types3.yaml"
run types3.yaml
if [ "$rc" = 0 ] && grep -q "table types: verify: source: the source's aggregates equal the receipt" "$W/run.log"; then
  ok "verify: source: every type reconciles with PostgreSQL's aggregates per task"
else
  bad "verify: source on the every-type table (exit $rc): $(grep -m2 'error\|verify' "$W/run.log")"
fi
run types3.yaml SLUICE_FAILPOINT=batch-change-value:on@2
before3=$(cat "$W/lake3/types/_sluice_manifest.json")
if [ "$rc" = 1 ] && grep -q "verify: source: [0-9]* differences* between what was read and the source's own aggregates in the same snapshot, first: column id: [a-z]*: the receipt says [0-9]*, the source says [0-9]*" "$W/run.log"; then
  ok "verify: source: a value changed on the way fails the task, naming the column and both values"
else
  bad "verify: source missed a changed value (exit $rc): $(grep -m1 'verify: source' "$W/run.log")"
fi
[ "$(cat "$W/lake3/types/_sluice_manifest.json")" = "$before3" ] && ok "verify: source: nothing published" \
  || bad "published after a failed reconciliation"
sed 's|, verify: source }| }|' "$W/types3.yaml" > "$W/types4.yaml"
run types4.yaml SLUICE_FAILPOINT=batch-change-value:on@2
[ "$rc" = 0 ] && ok "without verify: source the same fault is not caught by the run (the receipt records the changed value)" \
  || bad "the unreconciled run failed (exit $rc)"
# ... but `sluice verify --source` finds afterwards that the published receipt is not the source's (drift:
# reported, exit 0; the files themselves still match their receipt).
set +e
out=$("$SLUICE_BIN" verify "$W/types4.yaml" --source); vrc=$?
set +e
if [ "$vrc" = 0 ] && grep -q "ok: table types (target lake): 20001 rows in 3 files match the receipt" <<<"$out" &&
   grep -q "DRIFT: table types (source pg): column id: [a-z]*: the receipt says [0-9]*, the source now says [0-9]*" <<<"$out"; then
  ok "verify --source: the difference from the source is reported as drift (exit 0)"
else
  bad "verify --source (exit $vrc): $out"
fi

exit $fail
