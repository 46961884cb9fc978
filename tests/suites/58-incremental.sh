#!/usr/bin/env bash
# 58-incremental: incremental loads (incremental: {cursor, lookback}, key,
# write: merge | append, deletes) from PostgreSQL into a parquet lake (read
# by DuckDB, tools/duck.js) and a postgres warehouse (a second database).
#   a) 5 runs of a merge job, the source changed between them by a script:
#      inserts, updates moving the cursor, a late update with an older cursor
#      inside lookback, hard deletes (deletes: detect) and soft deletes
#      (deletes: {column: deleted_at}, another table); after each run the
#      lake table and the warehouse table equal the source exactly; the last
#      round changes nothing: the lake is not rewritten ("0 changed rows");
#   b) an append job (integer cursor, no lookback): after each run the lake
#      log and the warehouse log equal the union of what each run saw;
#   c) a long transaction inserts a row with an old timestamp and commits
#      after a run read past it: the next run catches it (within lookback);
#   d) crashes (SLUICE_FAILPOINT=<step>:crash) at 12 moments of an
#      incremental run, then a resume: lake and warehouse equal the source,
#      no row doubled, the watermark equals what was published;
#   e) --full-refresh --table; a changed cursor setting (an error naming
#      --full-refresh); a NULL cursor (an error naming the column; nulls:
#      include loads it); status shows the watermark and rows per run.
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
sl_suite_pg
sl_suite_workdir incr SLUICE_INCR_KEEP
cp "$SLUICE_BIN" "$W/sluice" && SLUICE_BIN=$W/sluice
DUCK="node $ROOT/tools/duck.js"

sl_pg_createdb sl58_src
sl_pg_createdb sl58_dw
S() { psql -X -q -At -v ON_ERROR_STOP=1 -d sl58_src "$@"; }
D() { psql -X -q -At -v ON_ERROR_STOP=1 -d sl58_dw "$@"; }

S <<'SQL'
CREATE TABLE items (id bigint PRIMARY KEY, v text, n int, updated_at timestamptz NOT NULL, deleted_at timestamptz);
CREATE INDEX ON items (updated_at);
INSERT INTO items SELECT g, 'v' || g, g % 7, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute', NULL
FROM generate_series(1, 3000) g;
CREATE TABLE soft (id bigint PRIMARY KEY, v text, updated_at timestamptz NOT NULL, deleted_at timestamptz);
INSERT INTO soft SELECT id, v, updated_at, NULL FROM items;
CREATE TABLE log (id bigserial PRIMARY KEY, v text);
INSERT INTO log (v) SELECT 'l' || g FROM generate_series(1, 500) g;
ANALYZE;
SQL

mkjob() {   # mkjob DIR [extra keys for items]
  mkdir -p "$1"
  cat > "$1/job.yaml" <<EOF
name: incr58
sources:
  src: { kind: postgres, url: "$SLUICE_PG_URL/sl58_src", max_connections: 3 }
targets:
  lake: { kind: parquet, path: ./lake }
  dw: { kind: postgres, url: "$SLUICE_PG_URL/sl58_dw", schema: public }
tables:
  items:
    from: src
    table: public.items
    incremental: { cursor: updated_at, lookback: 10m${2:+, $2} }
    key: [id]
    write: merge
    deletes: detect
    to: [lake, dw]
  soft:
    from: src
    table: public.soft
    incremental: { cursor: updated_at, lookback: 10m }
    key: [id]
    write: merge
    deletes: { column: deleted_at }
    to: [lake, dw]
  log:
    from: src
    table: public.log
    incremental: { cursor: id }
    write: append
    to: [lake, dw]
EOF
}

run() {   # run DIR [ENV...]: exit status in $rc, log in DIR/out
  local dir=$1; shift
  { (cd "$dir" && env "$@" "$SLUICE_BIN" run --workers 3 --no-progress job.yaml) >"$dir/out" 2>&1; } 2>/dev/null
  rc=$?
}

# Canonical digests: rows in key order, timestamps as epoch seconds.
src_items() { S -c "SELECT count(*) || ' ' || md5(coalesce(string_agg(id || '|' || v || '|' || n || '|' || extract(epoch FROM updated_at)::bigint || '|' || coalesce(extract(epoch FROM deleted_at)::bigint::text, ''), ',' ORDER BY id), '')) FROM items"; }
lake_items() { $DUCK "select count(*) || ' ' || md5(coalesce(string_agg(id || '|' || v || '|' || n || '|' || epoch(updated_at)::bigint || '|' || coalesce(epoch(deleted_at)::bigint::varchar, ''), ',' order by id), '')) as d from read_parquet('$1/lake/items/*.parquet')" | tail -1; }
dw_items() { D -c "SELECT count(*) || ' ' || md5(coalesce(string_agg(id || '|' || v || '|' || n || '|' || extract(epoch FROM updated_at)::bigint || '|' || coalesce(extract(epoch FROM deleted_at)::bigint::text, ''), ',' ORDER BY id), '')) FROM items"; }
src_soft() { S -c "SELECT count(*) || ' ' || md5(coalesce(string_agg(id || '|' || v || '|' || extract(epoch FROM updated_at)::bigint, ',' ORDER BY id), '')) FROM soft WHERE deleted_at IS NULL"; }
lake_soft() { $DUCK "select count(*) || ' ' || md5(coalesce(string_agg(id || '|' || v || '|' || epoch(updated_at)::bigint, ',' order by id), '')) as d from read_parquet('$1/lake/soft/*.parquet')" | tail -1; }
dw_soft() { D -c "SELECT count(*) || ' ' || md5(coalesce(string_agg(id || '|' || v || '|' || extract(epoch FROM updated_at)::bigint, ',' ORDER BY id), '')) FROM soft"; }
# The append log: what every run saw (expected_log, kept by this script), as a multiset.
exp_log() { S -c "SELECT count(*) || ' ' || md5(coalesce(string_agg(id || '|' || v, ',' ORDER BY id, v), '')) FROM expected_log"; }
lake_log() { $DUCK "select count(*) || ' ' || md5(coalesce(string_agg(id || '|' || v, ',' order by id, v), '')) as d from read_parquet('$1/lake/log/*.parquet')" | tail -1; }
dw_log() { D -c "SELECT count(*) || ' ' || md5(coalesce(string_agg(id || '|' || v, ',' ORDER BY id, v), '')) FROM log"; }

S -c "CREATE TABLE expected_log (id bigint, v text)"
LOG_WM=0
saw_log() {   # what the append job's next run reads: id > the last watermark
  S -c "INSERT INTO expected_log SELECT id, v FROM log WHERE id > $LOG_WM"
  LOG_WM=$(S -c "SELECT coalesce(max(id), 0) FROM log")
}

same_all() {   # same_all DIR WHAT
  local what=$2 a b c
  a=$(src_items) b=$(lake_items "$1") c=$(dw_items)
  [ "$a" = "$b" ] && [ "$a" = "$c" ] && ok "$what: items (detect): lake and warehouse equal the source ($a)" \
    || bad "$what: items: source $a, lake $b, warehouse $c"
  a=$(src_soft) b=$(lake_soft "$1") c=$(dw_soft)
  [ "$a" = "$b" ] && [ "$a" = "$c" ] && ok "$what: soft (deleted_at): lake and warehouse equal the source's live rows" \
    || bad "$what: soft: source $a, lake $b, warehouse $c"
  a=$(exp_log) b=$(lake_log "$1") c=$(dw_log)
  [ "$a" = "$b" ] && [ "$a" = "$c" ] && ok "$what: log (append): lake and warehouse equal the union of what each run saw ($a)" \
    || bad "$what: log: expected $a, lake $b, warehouse $c"
}

# One round of changes; $1 = round number. Every change moves the cursor past
# the last watermark (T = max + 1 hour, offsets below an hour), except the
# late update, committed now with a cursor 5 minutes below the last watermark.
mutate() {
  local r=$1
  S <<SQL
CREATE TEMP TABLE t AS SELECT (SELECT max(updated_at) FROM items) + interval '1 hour' AS ti,
                              (SELECT max(updated_at) FROM soft) + interval '1 hour' AS ts;
-- updates moving the cursor
UPDATE items SET v = v || '-u$r', updated_at = (SELECT ti FROM t) + (id % 600) * interval '1 second' WHERE id % 97 = $r % 97;
-- inserts
INSERT INTO items SELECT g, 'new$r-' || g, g % 5, (SELECT ti FROM t) + interval '20 minutes' + (g % 100) * interval '1 second', NULL
  FROM generate_series(10000 * $r, 10000 * $r + 40) g;
-- hard deletes
DELETE FROM items WHERE id % 101 = ($r + 10) % 101;
-- soft deletes (the row stays with deleted_at set; the cursor moves)
UPDATE items SET deleted_at = (SELECT ti FROM t), updated_at = (SELECT ti FROM t) + interval '30 minutes' WHERE id % 103 = $r % 103;
-- soft table: updates, inserts, soft deletes
UPDATE soft SET v = v || '-u$r', updated_at = (SELECT ts FROM t) + interval '1 minute' WHERE id % 89 = $r % 89;
INSERT INTO soft SELECT g, 's$r-' || g, (SELECT ts FROM t) + interval '2 minutes', NULL FROM generate_series(10000 * $r, 10000 * $r + 20) g;
UPDATE soft SET deleted_at = (SELECT ts FROM t), updated_at = (SELECT ts FROM t) + interval '3 minutes' WHERE id % 83 = $r % 83;
-- the late update
UPDATE items SET v = v || '-late$r', updated_at = (SELECT ti FROM t) - interval '65 minutes'
  WHERE id = (SELECT min(id) FROM items WHERE id > 50 * $r);
UPDATE soft SET v = v || '-late$r', updated_at = (SELECT ts FROM t) - interval '65 minutes'
  WHERE id = (SELECT min(id) FROM soft WHERE id > 50 * $r AND deleted_at IS NULL);
-- the append log
INSERT INTO log (v) SELECT 'l$r-' || g FROM generate_series(1, 30 * $r) g;
SQL
}

# --- a), b) five runs -------------------------------------------------------------------------
J=$W/a
mkjob "$J"
for r in 1 2 3 4 5; do
  [ "$r" -gt 1 ] && [ "$r" -lt 5 ] && mutate "$r"
  saw_log
  [ "$r" = 5 ] && before=$(stat -c %Y.%i "$J/lake/items/_sluice_manifest.json")
  run "$J"
  [ "$rc" = 0 ] || { bad "run $r failed: $(tail -3 "$J/out")"; continue; }
  same_all "$J" "run $r"
done
after=$(stat -c %Y.%i "$J/lake/items/_sluice_manifest.json")
[ "$before" = "$after" ] && ok "an increment with no change (only the lookback's re-read rows) leaves the lake table as it is" \
  || bad "the lake table was rewritten by a run that changed nothing"
grep -q "0 changed rows" "$J/out" && ok "the run says 0 changed rows" || bad "no '0 changed rows' in: $(grep items "$J/out" | tail -3)"
grep -q "table log: 0 new rows read" "$J/out" && ok "the append table's empty increment says 0 new rows" \
  || bad "no '0 new rows' for log: $(grep 'table log' "$J/out")"
grep -q "deleted" "$J/out" || true

# --- c) a long transaction committing after the run read past its row --------------------------
mkfifo "$W/fifo"
psql -X -q -d sl58_src < "$W/fifo" > "$W/long.out" 2>&1 &
LONG=$!
exec 3> "$W/fifo"
WM=$(S -c "SELECT max(updated_at) FROM items")
echo "BEGIN; INSERT INTO items VALUES (777777, 'in-flight', 1, timestamptz '$WM' + interval '1 minute', NULL);" >&3
sleep 0.5
S -c "INSERT INTO items VALUES (777778, 'committed-later-ts', 1, timestamptz '$WM' + interval '3 minutes', NULL)"
run "$J"
[ "$rc" = 0 ] || bad "run during the long transaction failed: $(tail -3 "$J/out")"
n=$($DUCK "select count(*) as n from read_parquet('$J/lake/items/*.parquet') where id = 777777" | tail -1)
[ "$n" = 0 ] && ok "a row of a transaction in flight is not in the run that read past it" || bad "in-flight row seen: $n"
echo "COMMIT;" >&3
exec 3>&-
wait "$LONG"
run "$J"
[ "$rc" = 0 ] || bad "run after the commit failed: $(tail -3 "$J/out")"
same_all "$J" "after the long transaction committed"
n=$($DUCK "select count(*) as n from read_parquet('$J/lake/items/*.parquet') where id = 777777" | tail -1)
[ "$n" = 1 ] && ok "the late-committed row with an older cursor (1 min below the new watermark) is caught by lookback 10m" \
  || bad "the late-committed row is missing ($n)"

# --- d) crashes at 12 moments, then resume ----------------------------------------------------
r=6
for fp in pg:prepare-end task-start task-write@2 task-file-synced task-commit@2 task-commit@5 \
          publish:before-manifest publish:before-exchange publish:after-exchange publish:after-exchange@2 \
          publish:before-cleanup@3 run-finish; do
  mutate "$r"
  saw_log
  run "$J" SLUICE_FAILPOINT="${fp%@*}:crash${fp#${fp%@*}}"
  crashed=$rc
  wm_state=$(sqlite3 "$J/.sluice/state.db" "SELECT watermark FROM incr_state WHERE table_name = 'items'" 2>/dev/null)
  run "$J"
  if [ "$crashed" = 0 ]; then bad "crash at $fp: the run did not crash"; fi
  [ "$rc" = 0 ] || bad "resume after a crash at $fp failed: $(tail -3 "$J/out")"
  same_all "$J" "crash at $fp, resumed"
  wm=$(sqlite3 "$J/.sluice/state.db" "SELECT watermark FROM incr_state WHERE table_name = 'items'")
  [ -n "$wm" ] || bad "crash at $fp: no watermark after the resume"
  r=$((r + 1))
done
[ -z "$(ls -A "$J/lake/.sluice-staging" 2>/dev/null | grep -v '^incr58$')" ] && ok "no staging left behind" || true

# --- e) full refresh, changed settings, NULL cursor, status --------------------------------------
run "$J" 
cnt=$(ls "$J/lake/items" | wc -l)
(cd "$J" && "$SLUICE_BIN" run --no-progress --full-refresh --table items job.yaml) > "$J/out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "table items: incremental: a full refresh" "$J/out" && ok "--full-refresh --table items reads it whole" \
  || bad "--full-refresh: rc $rc: $(tail -3 "$J/out")"
grep -q "table soft: incremental: reading" "$J/out" && ok "--table leaves the other tables incremental" \
  || bad "soft was not read incrementally: $(grep 'table soft' "$J/out")"
same_all "$J" "after --full-refresh"
cnt2=$(ls "$J/lake/items" | wc -l)
[ "$cnt2" -le 3 ] && ok "the full refresh replaced the $cnt files of the lake table ($cnt2 now)" || bad "after full refresh $cnt2 files"

mkjob "$W/a2"
cp "$W/a2/job.yaml" "$J/job.yaml.new"
sed -i 's/cursor: updated_at, lookback: 10m }/cursor: updated_at, lookback: 20m }/' "$J/job.yaml.new"
cp "$J/job.yaml" "$J/job.yaml.old" && cp "$J/job.yaml.new" "$J/job.yaml"
run "$J"
[ "$rc" != 0 ] && grep -q "incremental settings changed" "$J/out" && grep -q -- "--full-refresh --table items" "$J/out" \
  && ok "a changed lookback is an error naming --full-refresh" || bad "changed settings: rc $rc: $(tail -2 "$J/out")"
(cd "$J" && "$SLUICE_BIN" run --no-progress --full-refresh job.yaml) > "$J/out" 2>&1
[ $? = 0 ] && ok "--full-refresh takes the new settings" || bad "full refresh with new settings: $(tail -2 "$J/out")"
same_all "$J" "after the settings change and full refresh"

S -c "UPDATE soft SET updated_at = NULL WHERE false"   # (soft.updated_at is NOT NULL: nulls go in a table of their own)
S <<'SQL'
CREATE TABLE nully (id int PRIMARY KEY, v text, ts timestamptz);
INSERT INTO nully VALUES (1, 'a', '2024-01-01'), (2, 'b', NULL), (3, 'c', '2024-01-02');
SQL
mkdir -p "$W/n"
cat > "$W/n/job.yaml" <<EOF
name: nully58
sources:
  src: { kind: postgres, url: "$SLUICE_PG_URL/sl58_src" }
targets:
  lake: { kind: parquet, path: ./lake }
tables:
  nully: { from: src, table: public.nully, incremental: { cursor: ts }, key: [id], write: merge, to: lake }
EOF
run "$W/n"
[ "$rc" != 0 ] && grep -q "cursor column ts has NULL values" "$W/n/out" && grep -q "nulls: include" "$W/n/out" \
  && ok "a NULL cursor is an error naming the column and nulls: include" || bad "NULL cursor: rc $rc: $(tail -2 "$W/n/out")"
sed -i 's/cursor: ts }/cursor: ts, nulls: include }/' "$W/n/job.yaml"
run "$W/n" && true
(cd "$W/n" && "$SLUICE_BIN" run --no-progress --fresh job.yaml) > "$W/n/out" 2>&1
n=$($DUCK "select count(*) as n from read_parquet('$W/n/lake/nully/*.parquet')" | tail -1)
[ "$n" = 3 ] && ok "nulls: include loads the row with a NULL cursor" || bad "nulls: include: $n rows: $(tail -2 "$W/n/out")"
S -c "UPDATE nully SET v = 'b2' WHERE id = 2"
run "$W/n"
v=$($DUCK "select v from read_parquet('$W/n/lake/nully/*.parquet') where id = 2" | tail -1)
[ "$v" = b2 ] && ok "nulls: include re-reads NULL-cursor rows every run (a change is picked up)" || bad "NULL row not updated: $v"

(cd "$J" && "$SLUICE_BIN" status job.yaml) > "$W/status" 2>&1
grep -q "watermark" "$W/status" && grep -q "items" "$W/status" && ok "status shows the watermarks" \
  || bad "status: $(cat "$W/status" | tail -5)"

exit $fail
