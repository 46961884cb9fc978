#!/usr/bin/env bash
# 58-mass-delete: the mass-delete guard (core/sl_guard.h; the "Load
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
  duck_table="  items_duck: { from: pg, table: public.items, to: duck, write: merge, key: [id], delete_missing: true }"
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

# A job-file error for a bad share.
sed 's/max_shrink: 50%/max_shrink: 150%/' "$W/job.yaml" > "$W/bad.yaml"
out=$(cd "$W" && "$SLUICE_BIN" validate bad.yaml 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "over 100%" && ok "max_shrink: 150% is a job-file error" \
  || bad "max_shrink 150%: exit $rc: $out"
exit $fail
