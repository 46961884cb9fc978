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
#   b) a timestamptz key (pruned) and a text key (no pruning: keys read):
#      the lake equals the source after updates, inserts and deletes; their
#      lake says compression: snappy, and the files a merge rewrote (DuckDB's
#      COPY) are snappy too, as the run's own files are.
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
lake_s() { $DUCK "select count(*) || ' ' || md5(string_agg(k || '|' || v, ',' order by k)) as d from read_parquet('$J/lake2/s/*.parquet')" | tail -1; }
same() {   # same TABLE WHAT
  local a b
  a=$(src_$1) b=$(lake_$1)
  [ "$a" = "$b" ] && ok "$2: lake table $1 equals the source ($a)" || bad "$2: $1: source $a, lake $b"
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
codecs=$($DUCK "select string_agg(distinct compression, ',' order by compression) as c from parquet_metadata('$J/lake2/*/*.parquet')" | tail -1)
mfiles=$(ls "$J/lake2/e" "$J/lake2/s" | grep -c '^m.*\.parquet$')
[ "$codecs" = SNAPPY ] && [ "$mfiles" -ge 1 ] && ok "a snappy lake stays snappy through a merge ($mfiles rewritten files)" \
  || bad "compression in the snappy lake after a merge: '$codecs' ($mfiles rewritten files)"

exit $fail
