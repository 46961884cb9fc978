#!/usr/bin/env bash
# 61-lake-merge: the lake's incremental merge touches only the files a
# leaving key can be in (store/sl_lake_bounds.c), run after run.
#   a) a bigint key (no lookback: the increment is exactly the changed
#      rows; a lookback's re-read rows are keys that leave too, and touch
#      their files): an update in the middle of the key range rewrites one
#      file; the other files are hard links of the old ones (same inode);
#      the next run, touching the rewritten file and another one, still
#      prunes (carried receipts, the rewritten file's bounds); updates
#      spread over the range rewrite several files side by side; every entry
#      of the manifest has a receipt or bounds; a retention purge (deletes:
#      detect of the oldest ids) touches the first file only; a run with no
#      change leaves the table as it is; after every run the lake equals
#      the source;
#      the files a merge rewrote for the bigint key were written by
#      sluice's own reader and writer (store/sl_lake_rewrite.c: the debug
#      log says so) with the same Parquet schema as the files they replace;
#      a file DuckDB rewrote (SLUICE_LAKE_REWRITE=duckdb: REQUIRED columns
#      become OPTIONAL) is handed back to DuckDB by the next merge (the
#      schema check), and the lake still equals the source;
#   b) a timestamptz key (pruned) and a text key (no pruning: keys read):
#      the lake equals the source after updates, inserts and deletes; their
#      lake says compression: snappy, and the files a merge rewrote (DuckDB's
#      COPY) are snappy too, as the run's own files are;
#   c) a composite integer key (a, b): rewritten by DuckDB (the native
#      rewrite takes one integer column), the lake equals the source.
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
sl_suite_pg
sl_suite_workdir lakemerge SLUICE_LAKEMERGE_KEEP
DUCK="node $ROOT/tools/duck.js"
sl_pg_createdb sl61
S() { psql -X -q -At -v ON_ERROR_STOP=1 -d sl61 "$@"; }

S <<'SQL'
CREATE TABLE t (id bigint PRIMARY KEY, v text, updated_at timestamptz NOT NULL);
INSERT INTO t SELECT g, 'v' || g, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute' FROM generate_series(1, 6000) g;
CREATE INDEX ON t (updated_at);
CREATE TABLE e (ts timestamptz PRIMARY KEY, v text, updated_at timestamptz NOT NULL);
INSERT INTO e SELECT timestamptz '2023-01-01 00:00:00+00' + g * interval '1 hour', 'e' || g,
  timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute' FROM generate_series(1, 3000) g;
CREATE TABLE s (k text PRIMARY KEY, v text, updated_at timestamptz NOT NULL);
INSERT INTO s SELECT 'k' || lpad(g::text, 5, '0'), 's' || g,
  timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute' FROM generate_series(1, 3000) g;
CREATE TABLE c (a int, b int, v text NOT NULL, updated_at timestamptz NOT NULL, PRIMARY KEY (a, b));
INSERT INTO c SELECT g / 10, g % 10, 'c' || g, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute'
  FROM generate_series(1, 3000) g;
ANALYZE;
SQL

J=$W/j
mkdir -p "$J"
cat > "$J/job.yaml" <<YAML
name: merge61
sources:
  src: { kind: postgres, url: "$SLUICE_PG_URL/sl61", max_connections: 3 }
targets:
  lake: { kind: parquet, path: ./lake }
  lake2: { kind: parquet, path: ./lake2, compression: snappy }
tables:
  t: { from: src, table: public.t, partition: { column: id, count: 6 }, incremental: { cursor: updated_at }, key: [id], write: merge, deletes: detect, to: lake }
  e: { from: src, table: public.e, incremental: { cursor: updated_at, lookback: 1m }, key: [ts], write: merge, deletes: detect, to: lake2 }
  s: { from: src, table: public.s, incremental: { cursor: updated_at, lookback: 1m }, key: [k], write: merge, deletes: detect, to: lake2 }
  c: { from: src, table: public.c, incremental: { cursor: updated_at }, key: [a, b], write: merge, deletes: detect, to: lake }
YAML
run() {   # run: exit status in $rc, log in $J/out
  (cd "$J" && "$SLUICE_BIN" run --workers 3 --no-progress --log-level debug job.yaml) >"$J/out" 2>&1
  rc=$?
}
src_t() { S -c "SELECT count(*) || ' ' || md5(string_agg(id || '|' || v || '|' || extract(epoch FROM updated_at)::bigint, ',' ORDER BY id)) FROM t"; }
lake_t() { $DUCK "select count(*) || ' ' || md5(string_agg(id || '|' || v || '|' || epoch(updated_at)::bigint, ',' order by id)) as d from read_parquet('$J/lake/t/*.parquet')" | tail -1; }
src_e() { S -c "SELECT count(*) || ' ' || md5(string_agg(extract(epoch FROM ts)::bigint || '|' || v, ',' ORDER BY ts)) FROM e"; }
lake_e() { $DUCK "select count(*) || ' ' || md5(string_agg(epoch(ts)::bigint || '|' || v, ',' order by ts)) as d from read_parquet('$J/lake2/e/*.parquet')" | tail -1; }
src_s() { S -c "SELECT count(*) || ' ' || md5(string_agg(k || '|' || v, ',' ORDER BY k)) FROM s"; }
src_c() { S -c "SELECT count(*) || ' ' || md5(string_agg(a || '|' || b || '|' || v, ',' ORDER BY a, b)) FROM c"; }
lake_c() { $DUCK "select count(*) || ' ' || md5(string_agg(a || '|' || b || '|' || v, ',' order by a, b)) as d from read_parquet('$J/lake/c/*.parquet')" | tail -1; }
lake_s() { $DUCK "select count(*) || ' ' || md5(string_agg(k || '|' || v, ',' order by k)) as d from read_parquet('$J/lake2/s/*.parquet')" | tail -1; }
same() {   # same TABLE WHAT
  local a b
  a=$(src_$1) b=$(lake_$1)
  [ "$a" = "$b" ] && ok "$2: lake table $1 equals the source ($a)" || bad "$2: $1: source $a, lake $b"
}
schema_of() {   # schema_of FILE: its Parquet schema elements, one line
  $DUCK "select string_agg(concat_ws('|', name, type, type_length, repetition_type, num_children, converted_type, scale, precision, field_id, logical_type), ';' order by column_id) as s from parquet_schema('$1')" | tail -1
}
touched() {   # touched TABLE: the merge's "N of M live files touched (...)" line
  grep "table $1: merge: .* files touched" "$J/out" | sed 's/.*merge: //'
}
# Moves the cursor past the last watermark.
T="(SELECT max(updated_at) + interval '1 hour' FROM t)"

# --- a) bigint key --------------------------------------------------------------------------
run
[ "$rc" = 0 ] || bad "first run failed: $(tail -3 "$J/out")"
nfiles=$(ls "$J/lake/t"/*.parquet | wc -l)
[ "$nfiles" -ge 3 ] && ok "the first run wrote $nfiles files" || bad "the first run wrote $nfiles files (the test needs 3 or more)"
same t "first run"
stat -c '%i' "$J/lake/t"/*.parquet | sort > "$W/ino1"

mid=$(S -c "SELECT (min(id) + max(id)) / 2 + 100 FROM t")
S -c "UPDATE t SET v = v || '-u', updated_at = $T WHERE id BETWEEN $mid AND $mid + 5"
run
[ "$rc" = 0 ] || bad "merge run failed: $(tail -3 "$J/out")"
case "$(touched t)" in
  "1 of $nfiles live files touched (from their key ranges)") ok "an update in the middle of the key range touches 1 of $nfiles files, chosen from their key ranges";;
  *) bad "touched: $(touched t)";;
esac
stat -c '%i' "$J/lake/t"/*.parquet | sort > "$W/ino2"
kept=$(comm -12 "$W/ino1" "$W/ino2" | wc -l)
[ "$kept" = $((nfiles - 1)) ] && ok "the $kept untouched files are hard links of the old ones (same inodes)" \
  || bad "$kept of the old inodes kept, $((nfiles - 1)) expected"
same t "after an update in the middle"
grep -q "table t: merge: .* rewritten natively into m" "$J/out" && ok "the touched file of a bigint key was rewritten natively" \
  || bad "no native rewrite for a bigint key: $(grep 'table t: merge' "$J/out")"
mfile=$(ls "$J/lake/t" | grep '^m.*\.parquet$' | head -1)
pfile=$(ls "$J/lake/t" | grep 'part-.*\.parquet$' | head -1)
ms=$(schema_of "$J/lake/t/$mfile") ps=$(schema_of "$J/lake/t/$pfile")
[ -n "$mfile" ] && [ -n "$ms" ] && [ "$ms" = "$ps" ] && ok "the rewritten $mfile has the Parquet schema of the files it replaces ($ms)" \
  || bad "schema of the rewritten '$mfile': $ms; of $pfile: $ps"
nent=$(grep -c '^    {"name": ' "$J/lake/t/_sluice_manifest.json")
nrec=$(grep -c '^    {"name": .*"\(receipt\|bounds\)": ' "$J/lake/t/_sluice_manifest.json")
[ "$nent" = "$nrec" ] && ok "every file of the merged version keeps a receipt or bounds ($nrec of $nent)" \
  || bad "$nrec of $nent manifest entries have a receipt or bounds"

# the rewritten file (a row the last run did not change: its bounds are the old file's) and the last
# file, plus an insert beyond every file's range
S -c "UPDATE t SET v = v || '-w', updated_at = $T WHERE id IN ($mid - 50, (SELECT max(id) FROM t))"
S -c "INSERT INTO t SELECT max(id) + 1, 'new', max(updated_at) + interval '1 hour' FROM t"
run
[ "$rc" = 0 ] || bad "second merge run failed: $(tail -3 "$J/out")"
case "$(touched t)" in
  "2 of "*" live files touched (from their key ranges)") ok "the next merge still prunes: $(touched t)";;
  *) bad "second merge touched: $(touched t)";;
esac
same t "after a second merge"

# updates spread over the key range: every first-load range touched, rewritten side by side
S -c "UPDATE t SET v = v || '-s', updated_at = $T WHERE id IN (100, 1100, 2100, 4100, 5100)"
run
[ "$rc" = 0 ] || bad "spread merge run failed: $(tail -3 "$J/out")"
n=$(touched t | cut -d' ' -f1)
[ "${n:-0}" -ge 5 ] && ok "updates spread over the key range touch $(touched t)" || bad "spread: $(touched t)"
# the touched files are small (1000 rows; a group is up to 1.25 M rows): rewritten together into one
run_id=$(sqlite3 "$J/.sluice/state.db" "SELECT max(id) FROM runs")
nm=$(ls "$J/lake/t" | grep -c "^m$run_id-")
grep -q "table t: merge: $n small files (.*) rewritten natively into m$run_id-" "$J/out" && [ "$nm" = 1 ] \
  && ok "the $n small touched files were rewritten together into one file" \
  || bad "small files not rewritten together: $nm files m$run_id-*; $(grep 'natively' "$J/out" | cut -c1-200)"
ub=$(jq -r --arg p "m$run_id-" '.files[] | select(.name | startswith($p)) | "\(.bounds.min) \(.bounds.max)"' "$J/lake/t/_sluice_manifest.json")
[ -n "$ub" ] && [ "${ub% *}" -le 100 ] && [ "${ub#* }" -ge 5100 ] \
  && ok "the file they became carries the union of their key ranges ($ub)" \
  || bad "bounds after the group rewrite: '$ub'; $(grep -o '"bounds": {[^}]*}' "$J/lake/t/_sluice_manifest.json" | head -3)"
same t "after updates spread over the key range"

# a retention purge: the oldest ids deleted (deletes: detect), nothing else changed
S -c "DELETE FROM t WHERE id <= 10"
run
[ "$rc" = 0 ] || bad "purge run failed: $(tail -3 "$J/out")"
case "$(touched t)" in
  "1 of "*" live files touched (from their key ranges)") ok "deleting the oldest ids touches the first file only: $(touched t)";;
  *) bad "purge touched: $(touched t)";;
esac
same t "after deleting the oldest ids"

# nothing changed: the live version stays
before=$(stat -c %i "$J/lake/t/_sluice_manifest.json")
run
[ "$rc" = 0 ] || bad "run with no change failed: $(tail -3 "$J/out")"
[ "$before" = "$(stat -c %i "$J/lake/t/_sluice_manifest.json")" ] && ok "a run with no change leaves the lake table as it is" \
  || bad "a run with no change rewrote the lake table: $(grep 'table t' "$J/out" | tail -2)"

# sluice compact: the small files rewritten together (natively: every file is sluice's), the table unchanged
compact() { (cd "$J" && "$SLUICE_BIN" compact --log-level debug job.yaml "$@") >"$J/out" 2>&1; rc=$?; }
nb=$(ls "$J/lake/t"/*.parquet | wc -l)
compact t
na=$(ls "$J/lake/t"/*.parquet | wc -l)
[ "$rc" = 0 ] && [ "$na" -lt "$nb" ] && grep -q "table t: compact: [0-9]* files ([0-9]* rows) into k" "$J/out" \
  && ! grep -q "written by DuckDB" "$J/out" && ok "compact: $nb files -> $na, written natively" \
  || bad "compact: rc $rc, $nb -> $na files: $(tail -3 "$J/out")"
same t "after compact"
kb=$(jq -r '.files[] | select(.name | startswith("k")) | "\(.bounds.min) \(.bounds.max)"' "$J/lake/t/_sluice_manifest.json" | head -1)
[ -n "$kb" ] && [ "$kb" != "null null" ] && ok "the compacted file carries its files' key range ($kb)" || bad "compacted bounds: '$kb'"
S -c "UPDATE t SET v = v || '-k', updated_at = $T WHERE id = 2000"
run
[ "$rc" = 0 ] && grep -q "table t: merge: .* files touched (from their key ranges)" "$J/out" \
  && ok "a merge after compact prunes from the key ranges: $(touched t)" || bad "merge after compact: rc $rc: $(touched t)"
same t "a merge after compact"

# a file DuckDB rewrote (its schema is not sluice's: OPTIONAL columns) goes back to DuckDB next time
ino=$(stat -c %i "$J/lake/t/_sluice_manifest.json")
S -c "UPDATE t SET v = v || '-d', updated_at = $T WHERE id = 3000"
export SLUICE_LAKE_REWRITE=duckdb
run
unset SLUICE_LAKE_REWRITE
[ "$rc" = 0 ] || bad "run with SLUICE_LAKE_REWRITE=duckdb failed: $(tail -3 "$J/out")"
grep -q "rewritten natively" "$J/out" && bad "SLUICE_LAKE_REWRITE=duckdb: a file was rewritten natively"
dfile=$(ls -t "$J/lake/t" | grep '^m.*\.parquet$' | head -1)
ds=$(schema_of "$J/lake/t/$dfile")
[ "$ds" != "$ps" ] && ok "DuckDB's rewrite $dfile has another schema ($ds)" || bad "DuckDB's rewrite $dfile: schema $ds"
same t "after DuckDB's rewrite"
S -c "UPDATE t SET v = v || '-n', updated_at = $T WHERE id = 3000"
run
[ "$rc" = 0 ] || bad "run after DuckDB's rewrite failed: $(tail -3 "$J/out")"
grep -Eq "table t: merge: ($dfile rewritten by DuckDB: the native rewrite does not take it: schema element|[0-9]+ small files \([^)]*$dfile[^)]*\) tried one by one: the native rewrite does not take them together: .* differ: schema element)" "$J/out" && grep -q "table t: merge: $dfile rewritten by DuckDB" "$J/out" \
  && ok "the next merge hands DuckDB's $dfile back to DuckDB: $(grep -o "$dfile rewritten by DuckDB.*" "$J/out" | cut -c1-160)" \
  || bad "the file DuckDB wrote was not handed back: $(grep 'table t: merge' "$J/out")"
same t "after a merge of DuckDB's rewrite"
# compact again: a file DuckDB wrote has another schema, so DuckDB writes that group
S -c "UPDATE t SET v = v || '-q', updated_at = $T WHERE id IN (10, 20)"
SLUICE_LAKE_REWRITE=duckdb run
compact
[ "$rc" = 0 ] && grep -q "table t: compact: k[0-9-]*.parquet written by DuckDB: the native rewrite does not take" "$J/out" \
  && ok "compact hands a group with DuckDB's file to DuckDB" || bad "compact with DuckDB's file: rc $rc: $(grep -i compact "$J/out" | head -3)"
same t "after compacting DuckDB's file"

# --- b) timestamptz and text keys ------------------------------------------------------------
same e "first runs"
same s "first runs"
S <<'SQL'
UPDATE e SET v = v || '-u', updated_at = (SELECT max(updated_at) + interval '1 hour' FROM e) WHERE ts = (SELECT min(ts) + interval '1500 hours' FROM e);
INSERT INTO e SELECT max(ts) + interval '1 hour', 'e-new', max(updated_at) + interval '1 hour' FROM e;
DELETE FROM e WHERE ts = (SELECT min(ts) + interval '10 hours' FROM e);
UPDATE s SET v = v || '-u', updated_at = (SELECT max(updated_at) + interval '1 hour' FROM s) WHERE k = 'k01500';
INSERT INTO s SELECT 'k99999', 's-new', max(updated_at) + interval '1 hour' FROM s;
DELETE FROM s WHERE k = 'k00010';
SQL
run
[ "$rc" = 0 ] || bad "run failed: $(tail -3 "$J/out")"
case "$(touched e)" in
  *"from their key ranges"*) ok "a timestamptz key prunes: $(touched e)";;
  *) bad "timestamptz key: $(touched e)";;
esac
case "$(touched s)" in
  *"some files read for their keys"*) ok "a text key reads the files' keys: $(touched s)";;
  *) bad "text key: $(touched s)";;
esac
same e "timestamptz key after an update, an insert, a delete"
same s "text key after an update, an insert, a delete"
grep -q "table s: merge: .* rewritten natively" "$J/out" && bad "a text key's file was rewritten natively"
codecs=$($DUCK "select string_agg(distinct compression, ',' order by compression) as c from parquet_metadata('$J/lake2/*/*.parquet')" | tail -1)
mfiles=$(ls "$J/lake2/e" "$J/lake2/s" | grep -c '^m.*\.parquet$')
[ "$codecs" = SNAPPY ] && [ "$mfiles" -ge 1 ] && ok "a snappy lake stays snappy through a merge ($mfiles rewritten files)" \
  || bad "compression in the snappy lake after a merge: '$codecs' ($mfiles rewritten files)"

# --- c) a composite key ----------------------------------------------------------------------
same c "first runs"
S <<'SQL'
UPDATE c SET v = v || '-u', updated_at = (SELECT max(updated_at) + interval '1 hour' FROM c) WHERE a = 150;
INSERT INTO c SELECT 999, 1, 'c-new', max(updated_at) + interval '1 hour' FROM c;
DELETE FROM c WHERE a = 7 AND b = 3;
SQL
run
[ "$rc" = 0 ] || bad "composite key run failed: $(tail -3 "$J/out")"
n=$(touched c | cut -d' ' -f1)
[ "${n:-0}" -ge 1 ] && ! grep -q "table c: merge: .* rewritten natively" "$J/out" \
  && ok "a composite key's touched file is rewritten by DuckDB: $(touched c)" || bad "composite key: $(grep 'table c: merge' "$J/out")"
same c "composite key after an update, an insert, a delete"

exit $fail
