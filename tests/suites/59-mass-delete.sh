#!/usr/bin/env bash
# 59-mass-delete: receipts in warehouse targets (sluice verify recomputes
# them from the live postgres and duckdb tables and finds a changed value),
# and the mass-delete guard (core/sl_guard.h; the "Load
# receipts" issue). A source table emptied by mistake - truncated, or a
# filter that returns nothing - does not empty the lake or the warehouse:
#   - a lake table with max_shrink: 50% (and a query whose filter matches
#     nothing) keeps its previous version;
#   - postgres and duckdb warehouse tables loaded with write: merge and
#     delete_missing: true are refused by the default max_delete_ratio
#     (10%) inside the publishing transaction, which rolls back;
#   - a postgres write: replace with max_shrink likewise;
#   - the run exits non-zero with the numbers and the flag to use;
#   - a small delete (5%) goes through; `sluice run --allow-mass-delete`
#     (resuming the refused run) lets the empty tables through.
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
sl_suite_pg
sl_suite_workdir massdel SLUICE_MASSDEL_KEEP
cp "$SLUICE_BIN" "$W/sluice" && SLUICE_BIN=$W/sluice
DUCK_SQL=$ROOT/${SLUICE_BUILD:-build}/tools/duck_sql   # built by `make test` (bench/duck_sql.c)
have_duck=1
if [ ! -x "$DUCK_SQL" ] || { [ ! -f deps/duckdb/libduckdb.so ] && [ -z "${SLUICE_DUCKDB_LIB:-}" ]; }; then
  have_duck=0; echo "note: no DuckDB here ($DUCK_SQL, deps/duckdb): the duckdb target is left out"
fi
duckcount() { "$DUCK_SQL" "$W/wh.duckdb" "select count(*) from $1"; }

sl_pg_createdb massdel
sl_pg_createdb massdel_wh
URL="$SLUICE_PG_URL/massdel"
WH="$SLUICE_PG_URL/massdel_wh"
psql -X -q -d massdel -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2));
INSERT INTO items SELECT g, 'item ' || g, g * 1.25 FROM generate_series(1, 100) g;
CREATE TABLE cutoff (v int);
INSERT INTO cutoff VALUES (0);
SQL

duck_target=""; duck_table=""
if [ $have_duck = 1 ]; then
  duck_target="  duck: { kind: duckdb, path: ./wh.duckdb }"
  duck_table="  items_duck: { from: pg, table: public.items, to: duck, write: merge, key: [id], delete_missing: true }
  items_duckr: { from: pg, table: public.items, to: duck }"
fi
cat > "$W/job.yaml" <<YAML
name: massdel
sources:
  pg: { kind: postgres, url: "$URL", max_connections: 2 }
targets:
  lake: { kind: parquet, path: ./lake }
  wh: { kind: postgres, url: "$WH" }
$duck_target
tables:
  items_lake: { from: pg, table: public.items, to: lake, max_shrink: 50% }
  items_filtered: { from: pg, query: "SELECT * FROM items WHERE id > (SELECT v FROM cutoff)", to: lake,
                    max_shrink: 0.5, partition: none }
  items_merge: { from: pg, table: public.items, to: wh, write: merge, key: [id], delete_missing: true }
  items_replace: { from: pg, table: public.items, to: wh, key: [id], max_shrink: 50% }
$duck_table
YAML

run() {   # [flags...] -> $rc, log in $W/run.log
  rc=0
  (cd "$W" && exec "$SLUICE_BIN" run --workers 2 --no-progress "$@" job.yaml) > "$W/run.log" 2>&1 || rc=$?
}
lakerows() { node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).rows)' \
  "$W/lake/$1/_sluice_manifest.json"; }
whcount() { psql -X -qAt -d massdel_wh -c "SELECT count(*) FROM public.$1"; }
counts() {   # -> "lake filtered merge replace [duck]"
  local s="$(lakerows items_lake) $(lakerows items_filtered) $(whcount items_merge) $(whcount items_replace)"
  [ $have_duck = 1 ] && s="$s $(duckcount items_duck)"
  echo "$s"
}
want() { local s="$1 $1 $1 $1"; [ $have_duck = 1 ] && s="$s $1"; echo "$s"; }

run
[ $rc = 0 ] && [ "$(counts)" = "$(want 100)" ] && ok "first load: 100 rows everywhere" \
  || { bad "first load: exit $rc, counts $(counts): $(tail -3 "$W/run.log")"; exit 1; }

# Receipts in the warehouses: verify recomputes them from the live tables.
vrun() { vrc=0; (cd "$W" && exec "$SLUICE_BIN" verify job.yaml "$@") > "$W/verify.log" 2>&1 || vrc=$?; }
vrun items_replace
[ $vrc = 0 ] && grep -q "ok: table items_replace (target wh): the live table's 100 rows match" "$W/verify.log" \
  && ok "verify: the postgres warehouse table matches its stored receipt" || bad "verify pg: exit $vrc: $(cat "$W/verify.log")"
psql -X -qAt -d massdel_wh -c "SELECT receipt IS NOT NULL FROM _sluice.published WHERE tbl = 'items_replace'" | grep -qx t \
  && ok "_sluice.published holds the receipt" || bad "no receipt in _sluice.published"
psql -X -q -d massdel_wh -c "UPDATE items_replace SET price = price + 0.01 WHERE id = 7"
vrun items_replace
[ $vrc = 1 ] && grep -q "DIFFERS: table items_replace (target wh): column price: sum: the stored receipt says 6312.50, the warehouse table gives 6312.51" "$W/verify.log" \
  && ok "verify finds a value changed in the postgres warehouse" || bad "verify pg after a change: exit $vrc: $(cat "$W/verify.log")"
if [ $have_duck = 1 ]; then
  vrun items_duckr
  [ $vrc = 0 ] && grep -q "ok: table items_duckr (target duck)" "$W/verify.log" \
    && ok "verify: the duckdb table matches its stored receipt" || bad "verify duck: exit $vrc: $(cat "$W/verify.log")"
  "$DUCK_SQL" "$W/wh.duckdb" "update items_duckr set name = 'changed' where id = 3" > /dev/null
  vrun items_duckr
  [ $vrc = 1 ] && grep -q "DIFFERS: table items_duckr (target duck): column name: min: the stored receipt says item 1, the warehouse table gives changed" "$W/verify.log" \
    && ok "verify finds a value changed in the duckdb table" || bad "verify duck after a change: exit $vrc: $(cat "$W/verify.log")"
  vrun items_duck
  grep -q "SKIPPED: table items_duck (target duck): loaded with write: merge" "$W/verify.log" \
    && ok "verify skips a merged table (its receipt is of the last load)" || bad "verify merged: $(cat "$W/verify.log")"
fi

# A real delete of 5% passes the default 10% and max_shrink 50%.
psql -X -q -d massdel -c "DELETE FROM items WHERE id <= 5"
run
[ $rc = 0 ] && [ "$(counts)" = "$(want 95)" ] && ok "a 5% delete is published (95 rows everywhere)" \
  || bad "5% delete: exit $rc, counts $(counts) (want $(want 95)): $(grep -i error "$W/run.log" | head -3)"

# The source emptied by mistake: nothing is published, the numbers and the flag are named.
psql -X -q -d massdel -c "TRUNCATE items" -c "UPDATE cutoff SET v = 1000000"
run
[ $rc != 0 ] && ok "an emptied source: the run fails (exit $rc)" || bad "an emptied source: the run succeeded"
[ "$(counts)" = "$(want 95)" ] && ok "nothing emptied: lake and warehouses still hold 95 rows" \
  || bad "after the emptied source: counts $(counts) (want $(want 95))"
grep -q "would delete 95 of its 95 live rows (100.0%), over max_delete_ratio 10%" "$W/run.log" \
  && ok "merge/delete_missing refused with the numbers" \
  || bad "no delete-ratio message: $(grep -i 'error\|fail' "$W/run.log" | head -5)"
grep -q "this load has 0 rows, the published version 95 (100.0% fewer), over max_shrink 50%" "$W/run.log" \
  && ok "full loads refused by max_shrink with the numbers" || bad "no max_shrink message"
n=$(grep -c -- "--allow-mass-delete" "$W/run.log")
[ "$n" -ge 4 ] && ok "every refusal names --allow-mass-delete ($n)" || bad "the flag is named $n times"
psql -X -qAt -d massdel_wh -c "SELECT count(*) FROM _sluice.published WHERE tbl = 'items_merge'" | grep -qx 2 \
  && ok "the refused merge is not recorded as published" || bad "the refused merge left a bookkeeping row"

# --allow-mass-delete lets it through (resuming the refused run).
run --allow-mass-delete
[ $rc = 0 ] && [ "$(counts)" = "$(want 0)" ] && ok "--allow-mass-delete publishes the empty tables" \
  || bad "--allow-mass-delete: exit $rc, counts $(counts): $(grep -i error "$W/run.log" | head -3)"
grep -q "allowed by --allow-mass-delete" "$W/run.log" && ok "and logs what it allowed" || bad "no warning logged"

# Snapshot identity of file sources: a CSV task names its file with size,
# mtime and the CRC-32 of the bytes it read; a parquet task with its footer's CRC-32.
mkdir -p "$W/files/in"
printf 'id,name\n1,a\n2,b\n' > "$W/files/in/p-1.csv"
printf 'id,name\n3,c\n' | gzip > "$W/files/in/p-2.csv.gz"
cat > "$W/files/job.yaml" <<'YAML'
name: ident
sources:
  files: { kind: csv, path: ./in }
  lake: { kind: parquet, path: ./lake }
targets:
  lake: { kind: parquet, path: ./lake }
  out: { kind: parquet, path: ./out }
tables:
  p: { from: files, file: "p-*", columns: { id: int64, name: string }, to: lake }
YAML
cat > "$W/files/job2.yaml" <<'YAML'
name: ident2
sources:
  lake: { kind: parquet, path: ./lake }
targets:
  out: { kind: parquet, path: ./out }
tables:
  p: { from: lake, table: p, to: out }
YAML
(cd "$W/files" && "$SLUICE_BIN" run --no-progress job.yaml && "$SLUICE_BIN" run --no-progress job2.yaml) > "$W/ident.log" 2>&1 \
  || bad "file sources: the runs failed: $(tail -3 "$W/ident.log")"
ident=$(cd "$W/files" && node -e '
  const fs = require("fs"), zlib = require("zlib");
  const hex = (n) => (n >>> 0).toString(16).padStart(8, "0");
  const csv = JSON.parse(fs.readFileSync("lake/p/_sluice_manifest.json")).source.files;
  const pq = JSON.parse(fs.readFileSync("out/p/_sluice_manifest.json")).source.files;
  let bad = [];
  for (const f of csv) {
    const d = fs.readFileSync(f.path);
    if (f.crc32 !== hex(zlib.crc32(d)) || f.size !== d.length || f.bytes_read !== d.length || !f.mtime)
      bad.push("csv " + JSON.stringify(f));
  }
  for (const f of pq) {
    const d = fs.readFileSync(f.path), flen = d.readUInt32LE(d.length - 8);
    if (f.footer_crc32 !== hex(zlib.crc32(d.subarray(d.length - 8 - flen))) || f.size !== d.length || !f.mtime)
      bad.push("parquet " + JSON.stringify(f));
  }
  console.log(csv.length + " " + pq.length + (bad.length ? " " + bad.join("; ") : ""));')
[ "$ident" = "2 2" ] && ok "file sources: csv files by size, mtime and CRC-32 of the bytes read; parquet files by footer CRC-32" \
  || bad "file source identity: $ident"

# A job-file error for a bad share.
sed 's/max_shrink: 50%/max_shrink: 150%/' "$W/job.yaml" > "$W/bad.yaml"
out=$(cd "$W" && "$SLUICE_BIN" validate bad.yaml 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "over 100%" && ok "max_shrink: 150% is a job-file error" \
  || bad "max_shrink 150%: exit $rc: $out"
exit $fail
