#!/usr/bin/env bash
# 36-parquet-source: the `kind: parquet` source end to end.
#   1. PostgreSQL -> lake -> parquet source: a table of every supported type
#      (NULLs, extremes, unicode, a domain, an enum) is written by sluice into
#      a lake (3 files, small row groups); a second job reads it back with
#      `kind: parquet` (table: alltypes, partition count 8, so files are cut
#      into row-group ranges) into a csv target and into a second lake:
#        - the csv equals psql's COPY of the table, value by value;
#        - the csv equals `sluice cat` of the first lake's files, byte for
#          byte and in order; `sluice cat` of the second lake equals it too;
#        - `plan` shows row-group tasks whose estimated rows sum exactly;
#        - a changed file under a manifest is refused, naming the file.
#   2. The Apache corpus (../shared/parquet-testing/data; skipped loudly when
#      missing): every file `sluice cat` reads is loaded by one job (a table
#      per file, `file:` its name) into a csv target; each table equals
#      `sluice cat` of its file byte for byte, and what DuckDB reads from the
#      file (tests/lib/pq_cmp.js; its expect.csv where the corpus has one).
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
export TZ=UTC PGTZ=UTC PGDATESTYLE=ISO LC_ALL=C.UTF-8
export NODE_PATH=$ROOT/tools/node_modules
[ -x "$SLUICE_BIN" ] || { echo "no sluice binary at $SLUICE_BIN (run make first)"; exit 1; }
sl_suite_pg -c TimeZone=UTC -c DateStyle=ISO
sl_suite_workdir pqsrc SLUICE_KEEP

# The rows of every part-* file of a table directory, one header.
cat_table() {   # DIR (parquet) -> stdout
  local first=1 f
  for f in "$1"/part-*.parquet; do
    if [ $first = 1 ]; then "$SLUICE_BIN" cat "$f"; first=0; else "$SLUICE_BIN" cat "$f" | tail -n +2; fi
  done
}
csv_table() {   # DIR (csv) -> stdout
  local first=1 f
  for f in "$1"/part-*.csv; do
    if [ $first = 1 ]; then cat "$f"; first=0; else tail -n +2 "$f"; fi
  done
}

# ---- 1. PostgreSQL -> lake -> parquet source ----
sl_pg_createdb pqsrc
export PQ_URL="$SLUICE_PG_URL/pqsrc"
psql -X -q -d pqsrc -v ON_ERROR_STOP=1 <<'EOF' || { echo "cannot create the table"; exit 1; }
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy 😀');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TABLE alltypes (
  id bigint PRIMARY KEY, b boolean, i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision,
  n9 numeric(9,3), n18 numeric(18,4), n38 numeric(38,10), nany numeric, t text, vc varchar(20), ch char(5),
  nm name, m mood, by bytea, d date, tm time, ts timestamp, tstz timestamptz, u uuid, j json, jb jsonb,
  dom posint, req text NOT NULL
);
INSERT INTO alltypes
SELECT g, CASE WHEN g % 11 = 0 THEN NULL ELSE g % 2 = 0 END,
       (g % 65536 - 32768)::int2, (g::int8 * 104729 % 2147483647 - 1073741823)::int4, g::int8 * 1000000007 * (1 - 2 * (g % 2)),
       CASE WHEN g % 13 = 0 THEN NULL ELSE g / 7.0::real END, g * pi() * 1e-3,
       round(g / 3.0, 3) % 999999, g * 12345.6789 % 99999999999999, (g::numeric * 1234567890123.0987654321) % 1e27,
       CASE WHEN g % 5 = 0 THEN NULL ELSE round(g / 7.0, 12) END,
       CASE g % 6 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN 'a,b "c"' WHEN 3 THEN E'line\nbreak' WHEN 4 THEN 'Zoë 🎉 北京' ELSE 'x' || g END,
       'v' || g, left(md5(g::text), 3), 'name' || g, (ARRAY['sad', 'ok', 'happy 😀'])[g % 3 + 1]::mood,
       CASE WHEN g % 4 = 0 THEN NULL ELSE int8send(g) || '\x00ff'::bytea END,
       date '1960-01-01' + g, time '00:00:00' + g * interval '1.000001 second',
       timestamp '1969-12-31 00:00:00' + g * interval '1 hour 0.5 seconds',
       timestamptz '2024-01-01 00:00:00+00' + g * interval '61.25 seconds', md5(g::text)::uuid,
       json_build_object('g', g, 's', 'x,y'), jsonb_build_object('g', g, 'a', jsonb_build_array(1, 'b', null)),
       CASE WHEN g % 9 = 0 THEN NULL ELSE g END, 'r' || g
FROM generate_series(1, 30000) g;
INSERT INTO alltypes VALUES
  (-1, true, -32768, -2147483648, -9223372036854775808, '-Infinity', 'NaN', -999999.999, -99999999999999.9999,
   -9999999999999999999999999999.9999999999, 0, '', '', '', '', 'sad', '\x', '0001-01-01', '00:00:00',
   '0001-01-01 00:00:00', '0001-01-01 00:00:00+00', '00000000-0000-0000-0000-000000000000', '{}', '[]', 1, ''),
  (-2, false, 32767, 2147483647, 9223372036854775807, 'Infinity', '-0', 999999.999, 99999999999999.9999,
   9999999999999999999999999999.9999999999, -0.000000000001, repeat('long ', 2000), 'NULL', 'null', 'x', 'happy 😀',
   '\x00', '9999-12-31', '24:00:00', '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999+00',
   'ffffffff-ffff-ffff-ffff-ffffffffffff', 'null', '"s"', 2147483647, ' '),
  (-3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, 'all null');
ANALYZE;
EOF

cat >"$W/to_lake.yaml" <<EOF
name: to_lake
sources:
  pg: { kind: postgres, url: "\${PQ_URL}" }
targets:
  lake: { kind: parquet, path: "$W/lake", row_group_bytes: 256KiB }
tables:
  alltypes: { from: pg, table: public.alltypes, partition: { column: id, count: 3 }, to: lake }
EOF
cat >"$W/from_lake.yaml" <<EOF
name: from_lake
sources:
  lk: { kind: parquet, path: "$W/lake" }
targets:
  csv: { kind: csv, path: "$W/csv" }
  lake2: { kind: parquet, path: "$W/lake2" }
tables:
  alltypes: { from: lk, table: alltypes, partition: { count: 8 }, to: csv }
  alltypes2: { from: lk, table: alltypes, to: lake2 }
EOF
if "$SLUICE_BIN" run --no-progress --log-level warn "$W/to_lake.yaml"; then ok "PostgreSQL -> lake"
else bad "PostgreSQL -> lake"; exit 1; fi
nfiles=$(ls "$W/lake/alltypes"/part-*.parquet | wc -l)
nrg=$("$SLUICE_BIN" inspect --json "$W/lake/alltypes/part-00000.parquet" | node -e \
  'const m = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log((m.row_groups || []).length)')
[ "$nfiles" = 3 ] && [ "${nrg:-0}" -gt 1 ] && ok "the lake has $nfiles files, $nrg row groups in the first" \
  || bad "expected 3 files with several row groups, found $nfiles files, $nrg row groups"

"$SLUICE_BIN" plan "$W/from_lake.yaml" >"$W/plan.txt" 2>&1 || bad "plan failed: $(head -c 400 "$W/plan.txt")"
"$SLUICE_BIN" plan --json "$W/from_lake.yaml" >"$W/plan.json" 2>/dev/null
if grep -q "row groups" "$W/plan.txt" && grep -q "cut into row-group ranges" "$W/plan.txt"; then
  ok "plan: files cut into row-group tasks"
else bad "plan does not show row-group tasks:"; head -30 "$W/plan.txt"; fi
est=$(node -e 'const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const t = (p.tables || []).find((x) => x.name === "alltypes"); console.log(t ? t.est_rows + " " + t.tasks.length : "none")' \
  "$W/plan.json" 2>/dev/null)
[ "${est%% *}" = 30003 ] && [ "${est##* }" -gt 3 ] && ok "plan: estimated rows exact (30003), ${est##* } tasks" \
  || bad "plan: estimated rows/tasks: '$est' (expected 30003 rows in more than 3 tasks)"

if "$SLUICE_BIN" run --no-progress --log-level warn "$W/from_lake.yaml"; then ok "lake -> parquet source -> csv and lake"
else bad "lake -> parquet source run failed"; fi

cat_table "$W/lake/alltypes" >"$W/lake.csv"
csv_table "$W/csv/alltypes" >"$W/src.csv"
cat_table "$W/lake2/alltypes2" >"$W/lake2.csv"
[ "$(wc -l <"$W/lake.csv")" -gt 30003 ] || bad "sluice cat of the lake gave too few lines"
cmp -s "$W/lake.csv" "$W/src.csv" && ok "csv target equals sluice cat of the lake, byte for byte" \
  || { bad "csv target differs from the lake"; diff "$W/lake.csv" "$W/src.csv" | head -6 | cut -c1-300; }
cmp -s "$W/lake.csv" "$W/lake2.csv" && ok "second lake equals the first, byte for byte" \
  || { bad "second lake differs from the first"; diff "$W/lake.csv" "$W/lake2.csv" | head -6 | cut -c1-300; }

psql -X -q -d pqsrc -v ON_ERROR_STOP=1 -c "COPY (SELECT id, b::text AS b, i2, i4, i8, f4, f8, n9, n18, n38,
  nany::numeric(38,18) AS nany, t, vc, ch, nm, m, by, d, tm, ts, tstz, u, j, jb, dom, req FROM alltypes)
  TO STDOUT WITH (FORMAT csv, HEADER)" >"$W/pg.csv" || bad "psql COPY"
if node "$ROOT/tests/e2e/lib/csvcmp.js" alltypes parquet-source "$W/src.csv" postgres "$W/pg.csv"; then
  ok "csv target equals PostgreSQL's rows, value by value (every type)"
else bad "csv target differs from PostgreSQL"; fi

# A file changed after publishing: the manifest's size check names it.
printf 'x' >>"$W/lake/alltypes/part-00001.parquet"
"$SLUICE_BIN" plan "$W/from_lake.yaml" >"$W/bad.txt" 2>&1; rc=$?
if [ $rc -ne 0 ] && grep -q "part-00001.parquet has .* bytes but _sluice_manifest.json says" "$W/bad.txt"; then
  ok "a file changed under its manifest is refused, naming the file"
else bad "changed file: exit $rc: $(head -c 300 "$W/bad.txt")"; fi

# ---- 2. the corpus, through a job, against DuckDB ----
CORPUS=$ROOT/../shared/parquet-testing/data
if [ ! -d "$CORPUS" ]; then
  echo "SKIPPED (corpus part): ../shared/parquet-testing not found"
  exit $fail
fi
if ! node -e "require('@duckdb/node-api')" 2>/dev/null; then
  echo "SKIPPED (corpus part): the DuckDB peer is not installed (scripts/install-deps.sh)"
  exit $fail
fi
{
  echo "name: corpus"
  echo "sources: { pt: { kind: parquet, path: \"$CORPUS\" } }"
  echo "targets: { out: { kind: csv, path: \"$W/corpus\" } }"
  echo "tables:"
} >"$W/corpus.yaml"
: >"$W/corpus.list"
for f in "$CORPUS"/*.parquet; do
  name=$(basename "$f")
  t=c_$(printf '%s' "${name%.parquet}" | tr -c 'A-Za-z0-9_.-' '_')
  "$SLUICE_BIN" cat "$f" >"$W/$t.cat.csv" 2>/dev/null || continue   # nested, encrypted, corrupt: suite 35
  echo "  $t: { from: pt, file: \"$name\", to: out }" >>"$W/corpus.yaml"
  echo "$t $name" >>"$W/corpus.list"
done
"$SLUICE_BIN" run --no-progress --log-level warn --workers 2 "$W/corpus.yaml" >"$W/corpus.log" 2>&1 \
  || { bad "the corpus job failed:"; grep -i error "$W/corpus.log" | head -10 | cut -c1-400; }
matched=0 duck_cannot=0 nfail=0
while read -r t name; do
  f=$CORPUS/$name
  if [ ! -d "$W/corpus/$t" ]; then nfail=$((nfail+1)); bad "$name: not loaded"; continue; fi
  csv_table "$W/corpus/$t" >"$W/got.csv"
  if ! cmp -s "$W/got.csv" "$W/$t.cat.csv"; then nfail=$((nfail+1)); bad "$name: the job's rows differ from sluice cat"; continue; fi
  case $name in
    # DuckDB is not the reference for these (see 35-parquet-corpus): equal to `cat` above is the check
    hadoop_lz4_compressed*.parquet|non_hadoop_lz4_compressed.parquet|byte_stream_split_extended.gzip.parquet|int96_from_spark.parquet)
      matched=$((matched+1)); continue;;
  esac
  base=${f%.parquet}
  if [ -f "${base}_expect.csv" ]; then node "$ROOT/tests/lib/pq_cmp.js" "$f" "$W/got.csv" "${base}_expect.csv" >"$W/cmp" 2>&1
  else node "$ROOT/tests/lib/pq_cmp.js" "$f" "$W/got.csv" >"$W/cmp" 2>&1; fi
  case $? in
    0) matched=$((matched+1));;
    3) duck_cannot=$((duck_cannot+1)); echo "note: $name: $(cat "$W/cmp")";;
    *) nfail=$((nfail+1)); bad "$name: values differ from DuckDB's"; head -8 "$W/cmp";;
  esac
done <"$W/corpus.list"
total=$(wc -l <"$W/corpus.list")
[ "$total" -gt 20 ] || bad "only $total corpus files were readable"
echo "corpus through the parquet source: $total files, $matched matched, $duck_cannot DuckDB cannot read, $nfail failed"
exit $fail
