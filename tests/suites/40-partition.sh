#!/usr/bin/env bash
# 40-partition: partition planning end to end, PostgreSQL -> Parquet, read
# back by DuckDB. Tables of 200,000 rows with: dense ids; clustered ids (90%
# of rows in 1% of the id range, sparse outliers up to 2^62); negative ids;
# text keys; uuid keys; timestamp keys (clustered in one day); no key and no
# index; NULLs in the key; plus an empty and a one-row table. For each, with
# `auto` (and `histogram` on the keyed ones, `range` and `mod` on the
# clustered one), in one run with 2 workers:
#   - the output equals the source exactly: row count and an md5 over every
#     row in order, computed by PostgreSQL on the source and by DuckDB on
#     sluice's Parquet files;
#   - auto and histogram: the largest task holds at most 1.5x the mean rows
#     (each task's predicate from `sluice plan --json`, counted by psql);
#   - EXPLAIN (seq scans off) of every range/histogram/pages predicate shows
#     an Index, Bitmap Index or Tid Range Scan, never a Seq Scan;
#   - range on the clustered table: `plan` warns about skew (text and JSON),
#     auto does not; the run summary's realised skew of auto is low;
#   - auto says why: range on dense ids, histogram on clustered, pages
#     without a key, one task for the tiny tables.
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
sl_suite_pg -c TimeZone=UTC -c DateStyle=ISO
sl_suite_workdir part SLUICE_KEEP

sl_pg_createdb part
export PART_URL="$SLUICE_PG_URL/part"
psql -X -q -d part -v ON_ERROR_STOP=1 <<'EOF' || { echo "cannot create the tables"; exit 1; }
CREATE TABLE dense (id bigint PRIMARY KEY, n int NOT NULL, v text);
INSERT INTO dense SELECT g, g, 'v' || g FROM generate_series(1, 200000) g;
CREATE TABLE clustered (id bigint PRIMARY KEY, n int NOT NULL, v text);
INSERT INTO clustered SELECT g, g, 'c' || g FROM generate_series(1, 180000) g;
INSERT INTO clustered SELECT 180000 + g * 900, 180000 + g, 'm' || g FROM generate_series(1, 18000) g;
INSERT INTO clustered SELECT 4611686018427387904 - g::int8 * 2304690663880753, 198001 + g, 'o' || g
FROM generate_series(0, 1999) g;
CREATE TABLE negative (id int PRIMARY KEY, n int NOT NULL, v text);
INSERT INTO negative SELECT g * 3 - 450000, g, 'n' || g FROM generate_series(1, 200000) g;
CREATE TABLE textkey (k text PRIMARY KEY, n int NOT NULL, v text);
INSERT INTO textkey SELECT CASE WHEN g % 3 = 0 THEN md5(g::text) ELSE 'user/' || md5(g::text) || '''s' END, g, 't' || g
FROM generate_series(1, 200000) g;
CREATE TABLE uuidkey (u uuid PRIMARY KEY, n int NOT NULL, v text);
INSERT INTO uuidkey SELECT md5(g::text || 'u')::uuid, g, 'u' || g FROM generate_series(1, 200000) g;
CREATE TABLE tskey (ts timestamptz NOT NULL UNIQUE, n int NOT NULL, v text);
INSERT INTO tskey SELECT timestamptz '2024-06-01 00:00:00+00' + g * interval '250 milliseconds', g, 's' || g
FROM generate_series(1, 180000) g;
INSERT INTO tskey SELECT timestamptz '2004-01-01 00:00:00+00' + g * interval '8 hours 17 minutes', 180000 + g, 'r' || g
FROM generate_series(1, 20000) g;
CREATE TABLE nokey (n int, v text, w float8);
INSERT INTO nokey SELECT g, 'h' || g, g * 0.5 FROM generate_series(1, 200000) g;
CREATE TABLE nullkey (id bigint, n int NOT NULL, v text);
INSERT INTO nullkey SELECT CASE WHEN g % 10 = 0 THEN NULL ELSE g END, g, 'x' || g FROM generate_series(1, 200000) g;
CREATE INDEX ON nullkey (id);
CREATE TABLE empty (id bigint PRIMARY KEY, n int NOT NULL, v text);
CREATE TABLE onerow (id bigint PRIMARY KEY, n int NOT NULL, v text);
INSERT INTO onerow VALUES (42, 1, 'only');
ANALYZE;
EOF

mkdir -p "$W/job"
{
  cat <<EOF
name: partition_suite
sources:
  pg: { kind: postgres, url: "\${PART_URL}", max_connections: 3 }
targets:
  lake: { kind: parquet, path: ./lake }
tables:
EOF
  for t in dense clustered negative textkey uuidkey tskey nokey nullkey empty onerow; do
    echo "  a_$t: { from: pg, table: public.$t, to: lake }"
  done
  echo "  h_clustered: { from: pg, table: clustered, partition: { strategy: histogram, column: id }, to: lake }"
  echo "  h_negative: { from: pg, table: negative, partition: { strategy: histogram, column: id }, to: lake }"
  echo "  h_textkey: { from: pg, table: textkey, partition: { strategy: histogram, column: k }, to: lake }"
  echo "  h_uuidkey: { from: pg, table: uuidkey, partition: { strategy: histogram, column: u }, to: lake }"
  echo "  h_tskey: { from: pg, table: tskey, partition: { strategy: histogram, column: ts }, to: lake }"
  echo "  h_nullkey: { from: pg, table: nullkey, partition: { strategy: histogram, column: id }, to: lake }"
  echo "  r_clustered: { from: pg, table: clustered, partition: { strategy: range, column: id }, to: lake }"
  echo "  r_tskey: { from: pg, table: tskey, partition: { strategy: range, column: ts, count: 6 }, to: lake }"
  echo "  m_clustered: { from: pg, table: clustered, partition: { strategy: mod, column: id, count: 5 }, to: lake }"
} > "$W/job/job.yaml"

# --- plan ---------------------------------------------------------------------
rc=0; "$SLUICE_BIN" plan --workers 2 "$W/job/job.yaml" > "$W/plan.txt" 2> "$W/plan.err" || rc=$?
[ $rc = 0 ] && ok "plan: exit 0" || { bad "plan: exit $rc"; cat "$W/plan.err"; }
rc=0; "$SLUICE_BIN" plan --workers 2 --json "$W/job/job.yaml" > "$W/plan.json" 2>> "$W/plan.err" || rc=$?
[ $rc = 0 ] && node -e 'JSON.parse(require("fs").readFileSync(process.argv[1]))' "$W/plan.json" \
  && ok "plan --json: valid JSON" || bad "plan --json: exit $rc or invalid JSON"

# One line per table: name, strategy used, column used, tasks, skew_warning, note.
node -e '
  const p = JSON.parse(require("fs").readFileSync(process.argv[1]));
  for (const t of p.tables)
    console.log([t.name, t.strategy_used, t.column_used || "-", t.tasks.length, t.skew_warning, t.note].join("\t"));
' "$W/plan.json" > "$W/tables.tsv"
used() { awk -F'\t' -v t="$1" '$1 == t { print $2 " " $3 " " $4 " " $5 }' "$W/tables.tsv"; }
expect_used() {  # table "strategy column tasks warning"
  local got; got=$(used "$1")
  [ "$got" = "$2" ] && ok "plan: $1 -> $2" || bad "plan: $1: expected '$2', got '$got' ($(awk -F'\t' -v t="$1" '$1 == t { print $6 }' "$W/tables.tsv"))"
}
expect_used a_dense     "range id 8 false"
expect_used a_clustered "histogram id 8 false"
expect_used a_negative  "range id 8 false"
expect_used a_textkey   "histogram k 8 false"
expect_used a_uuidkey   "histogram u 8 false"
expect_used a_tskey     "histogram ts 8 false"
expect_used a_nokey     "pages - 8 false"
expect_used a_nullkey   "range id 9 false"
expect_used a_empty     "none - 1 false"
expect_used a_onerow    "none - 1 false"
expect_used r_clustered "range id 8 true"
expect_used m_clustered "mod id 5 false"
grep -q "histogram on id: primary key; pg_stats shows 9[0-9]% of rows in the densest 1% of the id range" "$W/plan.txt" \
  && ok "plan: auto says why it chose histogram on the clustered ids" || bad "plan: no reason for histogram on clustered"
grep -q "pages: no primary key, unique or b-tree index" "$W/plan.txt" \
  && ok "plan: auto says why it cut the table without a key by pages" || bad "plan: no reason for pages"
awk '/^table r_clustered/,/^$/' "$W/plan.txt" | grep -q "WARNING: skewed partitions" \
  && ok "plan: range on the clustered ids warns about skew" || bad "plan: no skew warning for range on clustered"
awk '/^table a_clustered/,/^$/' "$W/plan.txt" | grep -q "WARNING" \
  && bad "plan: auto on clustered warns" || ok "plan: auto on the clustered ids does not warn"

# --- every task's real row count from its predicate -------------------------------
node -e '
  const p = JSON.parse(require("fs").readFileSync(process.argv[1]));
  for (const t of p.tables) for (const k of t.tasks)
    console.log(`SELECT ${JSON.stringify(t.name).replace(/"/g, "\x27")}, ${k.index}, count(*) FROM ${t.relation} WHERE ${k.predicate || "true"};`);
' "$W/plan.json" > "$W/counts.sql"
psql -X -q -At -F' ' -d part -v ON_ERROR_STOP=1 -f "$W/counts.sql" > "$W/counts.txt" || bad "counting task rows failed"
for t in a_dense a_clustered a_negative a_textkey a_uuidkey a_tskey a_nokey a_nullkey \
         h_clustered h_negative h_textkey h_uuidkey h_tskey h_nullkey; do
  read -r n max mean < <(awk -v t="$t" '$1 == t { n++; s += $3; if ($3 > m) m = $3 } END { printf "%d %d %.1f\n", n, m, s / n }' "$W/counts.txt")
  if awk -v m="$max" -v a="$mean" 'BEGIN { exit !(m <= 1.5 * a) }'; then
    ok "$t: largest of $n tasks $max rows <= 1.5 x mean $mean"
  else
    bad "$t: largest of $n tasks $max rows > 1.5 x mean $mean"
  fi
done
read -r rmax rsum < <(awk '$1 == "r_clustered" { s += $3; if ($3 > m) m = $3 } END { print m, s }' "$W/counts.txt")
awk -v m="$rmax" -v s="$rsum" 'BEGIN { exit !(m > 0.8 * s) }' \
  && ok "r_clustered: range really is skewed (largest task $rmax of $rsum rows)" || bad "r_clustered: expected skew, largest $rmax of $rsum"

# --- EXPLAIN: the predicates use an index (or a TID range scan) --------------------
node -e '
  const p = JSON.parse(require("fs").readFileSync(process.argv[1]));
  for (const t of p.tables) {
    if (!["range", "histogram", "pages"].includes(t.strategy_used)) continue;
    for (const k of t.tasks) if (k.predicate) {
      console.log(`\\echo ==== ${t.name} ${k.index}`);
      console.log(`EXPLAIN (COSTS OFF) SELECT * FROM ${t.relation} WHERE ${k.predicate};`);
    }
  }' "$W/plan.json" > "$W/explain.sql"
psql -X -q -At -d part -c "SET enable_seqscan = off" -f "$W/explain.sql" > "$W/explain.txt" 2>&1 || bad "EXPLAIN failed"
awk '/^==== / { if (name != "" && !good) print name; name = $2 " " $3; good = 0; next }
     /Seq Scan/ { bad = 1 } /Index Scan|Index Only Scan|Bitmap Index Scan|Tid Range Scan/ { good = 1 }
     END { if (name != "" && !good) print name; if (bad) print "Seq Scan seen" }' "$W/explain.txt" > "$W/explain.bad"
nexp=$(grep -c '^==== ' "$W/explain.txt")
if [ ! -s "$W/explain.bad" ] && [ "$nexp" -gt 50 ]; then
  ok "EXPLAIN: all $nexp range/histogram/pages predicates use an index or a TID range scan"
else
  bad "EXPLAIN: without an index scan: $(head -n 5 "$W/explain.bad" | tr '\n' ';')"
fi

# --- the run -----------------------------------------------------------------
rc=0; "$SLUICE_BIN" run --workers 2 --no-progress "$W/job/job.yaml" > "$W/run.out" 2> "$W/run.err" || rc=$?
[ $rc = 0 ] && ok "run: 19 tables, exit 0" || { bad "run: exit $rc"; tail -n 5 "$W/run.err"; }
skew=$(sed -n 's/.*table a_clustered: published .* task skew: rows \([0-9.]*\)x.*/\1/p' "$W/run.err")
awk -v s="${skew:-99}" 'BEGIN { exit !(s <= 1.5) }' && ok "run summary: a_clustered realised row skew ${skew}x" \
  || bad "run summary: a_clustered realised row skew '${skew}'"
rskew=$(sed -n 's/.*table r_clustered: published .* task skew: rows \([0-9.]*\)x.*/\1/p' "$W/run.err")
awk -v s="${rskew:-0}" 'BEGIN { exit !(s > 10) }' && ok "run summary: r_clustered realised row skew ${rskew}x" \
  || bad "run summary: r_clustered realised row skew '${rskew}'"

# --- output == source: count and md5 of every row in order ----------------------
# Column expressions valid in both PostgreSQL and DuckDB, except timestamps.
cols_of() {
  case $1 in
    dense|clustered|negative|nullkey|empty|onerow) echo "coalesce(CAST(id AS VARCHAR), 'N') || '|' || coalesce(v, 'N')";;
    textkey) echo "k || '|' || v";;
    uuidkey) echo "CAST(u AS VARCHAR) || '|' || v";;
    tskey) echo "TSKEY || '|' || v";;
    nokey) echo "v || '|' || CAST(CAST(w * 2 AS BIGINT) AS VARCHAR)";;
  esac
}
sum_sql() {  # expr relation
  echo "SELECT count(*) || ' ' || coalesce(md5(string_agg(CAST(n AS VARCHAR) || '|' || $1, ',' ORDER BY n)), '-') FROM $2"
}
for name in $(awk -F'\t' '{ print $1 }' "$W/tables.tsv"); do
  t=${name#*_}
  e=$(cols_of "$t")
  pe=${e//TSKEY/CAST(CAST(extract(epoch from ts) * 1000000 AS BIGINT) AS VARCHAR)}
  de=${e//TSKEY/CAST(epoch_us(ts) AS VARCHAR)}
  want=$(psql -X -At -d part -c "$(sum_sql "$pe" "$t")")
  got=$(node tools/duck.js "$(sum_sql "$de" "read_parquet('$W/job/lake/$name/*.parquet')") AS s" 2>&1 | tail -n 1)
  if [ -n "$want" ] && [ "$want" = "$got" ]; then
    ok "$name: output equals the source (${want% *} rows, md5 ${want#* })"
  else
    bad "$name: source '$want', output '$got'"
  fi
done

exit $fail
