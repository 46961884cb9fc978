#!/usr/bin/env bash
# 60-detect-keys: `deletes: detect` by key type, into a parquet lake (read
# by DuckDB, tools/duck.js) and a postgres warehouse (a second database).
#   a) a two-column integer key (tenant integer, id bigint): the ordered
#      path (a sorted key file merged with the live keys in order; the debug
#      log names the merge); after deletes, inserts and updates, lake and
#      warehouse equal the source; a round that deletes nothing deletes
#      nothing;
#      the first incremental run after the full load reads the targets'
#      live keys; later runs merge the key file kept from the run each
#      target's version is from (core/sl_keyfile.h) and read no live key;
#      only the last run's key file stays; without it (removed) the next
#      run reads the live keys again and is still exact; a run resumed
#      after a crash keeps none (the next run reads live keys, exact);
#   b) a text key: the text path (CSV key list, anti-join), same checks;
#      the warehouse table is vacuumed after the full load (visibility map
#      set: a live key read is index-only); no text key list is kept;
#   c) the mass-delete guard on the ordered path: deleting 30% refuses the
#      publish in both targets (nothing deleted), --allow-mass-delete then
#      publishes;
# (A key that arrives out of order is refused by the merge: tests/unit/
# test_keydiff.c. A warehouse key column changed to another type is caught
# earlier, by the schema check.)
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
sl_suite_pg
sl_suite_workdir detect SLUICE_DETECT_KEEP
cp "$SLUICE_BIN" "$W/sluice" && SLUICE_BIN=$W/sluice
DUCK="node $ROOT/tools/duck.js"

sl_pg_createdb sl60_src
sl_pg_createdb sl60_dw
S() { psql -X -q -At -v ON_ERROR_STOP=1 -d sl60_src "$@"; }
D() { psql -X -q -At -v ON_ERROR_STOP=1 -d sl60_dw "$@"; }

S <<'SQL'
CREATE TABLE pairs (tenant integer, id bigint, v text, updated_at timestamptz NOT NULL, PRIMARY KEY (tenant, id));
CREATE INDEX ON pairs (updated_at);
INSERT INTO pairs SELECT g % 7 - 3, g, 'v' || g, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
FROM generate_series(1, 5000) g;
CREATE TABLE solo (id bigint PRIMARY KEY, v text, updated_at timestamptz NOT NULL);
CREATE INDEX ON solo (updated_at);
INSERT INTO solo SELECT g * 3, 'v' || g, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
FROM generate_series(1, 6000) g;
CREATE TABLE tagged (code text PRIMARY KEY, v text, updated_at timestamptz NOT NULL);
CREATE INDEX ON tagged (updated_at);
INSERT INTO tagged SELECT 'c-' || g, 'v' || g, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
FROM generate_series(1, 2000) g;
ANALYZE;
SQL

J=$W/j
mkdir -p "$J"
cat > "$J/job.yaml" <<EOF
name: detect60
sources:
  src: { kind: postgres, url: "$SLUICE_PG_URL/sl60_src", max_connections: 3 }
targets:
  lake: { kind: parquet, path: ./lake }
  dw: { kind: postgres, url: "$SLUICE_PG_URL/sl60_dw", schema: public }
tables:
  pairs:
    from: src
    table: public.pairs
    incremental: { cursor: updated_at }
    key: [tenant, id]
    write: merge
    deletes: detect
    to: [lake, dw]
  solo:
    from: src
    table: public.solo
    incremental: { cursor: updated_at }
    key: [id]
    write: merge
    deletes: detect
    to: [lake, dw]
  tagged:
    from: src
    table: public.tagged
    incremental: { cursor: updated_at }
    key: [code]
    write: merge
    deletes: detect
    to: [lake, dw]
EOF

run() {   # run [ARGS...]: exit status in $rc, log in $J/out
  { (cd "$J" && "$SLUICE_BIN" run --workers 3 --no-progress --log-level debug "$@" job.yaml) >"$J/out" 2>&1; } 2>/dev/null
  rc=$?
}

src_pairs() { S -c "SELECT count(*) || ' ' || md5(coalesce(string_agg(tenant || '|' || id || '|' || v, ',' ORDER BY tenant, id), '')) FROM pairs"; }
lake_pairs() { $DUCK "select count(*) || ' ' || md5(coalesce(string_agg(tenant || '|' || id || '|' || v, ',' order by tenant, id), '')) as d from read_parquet('$J/lake/pairs/*.parquet')" | tail -1; }
dw_pairs() { D -c "SELECT count(*) || ' ' || md5(coalesce(string_agg(tenant || '|' || id || '|' || v, ',' ORDER BY tenant, id), '')) FROM pairs"; }
src_tagged() { S -c "SELECT count(*) || ' ' || md5(coalesce(string_agg(code || '|' || v, ',' ORDER BY code COLLATE \"C\"), '')) FROM tagged"; }
lake_tagged() { $DUCK "select count(*) || ' ' || md5(coalesce(string_agg(code || '|' || v, ',' order by code), '')) as d from read_parquet('$J/lake/tagged/*.parquet')" | tail -1; }
dw_tagged() { D -c "SELECT count(*) || ' ' || md5(coalesce(string_agg(code || '|' || v, ',' ORDER BY code COLLATE \"C\"), '')) FROM tagged"; }

src_solo() { S -c "SELECT count(*) || ' ' || md5(coalesce(string_agg(id || '|' || v, ',' ORDER BY id), '')) FROM solo"; }
lake_solo() { $DUCK "select count(*) || ' ' || md5(coalesce(string_agg(id || '|' || v, ',' order by id), '')) as d from read_parquet('$J/lake/solo/*.parquet')" | tail -1; }
dw_solo() { D -c "SELECT count(*) || ' ' || md5(coalesce(string_agg(id || '|' || v, ',' ORDER BY id), '')) FROM solo"; }

same() {   # same WHAT
  local a b c
  a=$(src_solo) b=$(lake_solo) c=$(dw_solo)
  [ "$a" = "$b" ] && [ "$a" = "$c" ] && ok "$1: solo (keys read in ranges): lake and warehouse equal the source ($a)" \
    || bad "$1: solo: source $a, lake $b, warehouse $c"
  a=$(src_pairs) b=$(lake_pairs) c=$(dw_pairs)
  [ "$a" = "$b" ] && [ "$a" = "$c" ] && ok "$1: pairs (integer key): lake and warehouse equal the source ($a)" \
    || bad "$1: pairs: source $a, lake $b, warehouse $c"
  a=$(src_tagged) b=$(lake_tagged) c=$(dw_tagged)
  [ "$a" = "$b" ] && [ "$a" = "$c" ] && ok "$1: tagged (text key): lake and warehouse equal the source ($a)" \
    || bad "$1: tagged: source $a, lake $b, warehouse $c"
}

mutate() {   # mutate ROUND: deletes (~2%), inserts, updates moving the cursor
  local r=$1
  S <<SQL
DELETE FROM pairs WHERE id % 53 = $r;
INSERT INTO pairs SELECT g % 5 - 2, 100000 * $r + g, 'new$r', now() FROM generate_series(1, 30) g;
UPDATE pairs SET v = v || '-u$r', updated_at = now() WHERE id % 61 = $r;
DELETE FROM solo WHERE id % 37 = $r;
INSERT INTO solo SELECT 100000 * $r + 3 * g + 1, 'new$r', now() FROM generate_series(1, 25) g;
UPDATE solo SET v = v || '-u$r', updated_at = now() WHERE id % 43 = $r;
DELETE FROM tagged WHERE code LIKE 'c-%' AND (substr(code, 3))::int % 47 = $r;
INSERT INTO tagged SELECT 'n$r-' || g, 'new$r', now() FROM generate_series(1, 20) g;
UPDATE tagged SET v = v || '-u$r', updated_at = now() WHERE code LIKE 'c-%' AND (substr(code, 3))::int % 59 = $r;
SQL
}

# --- a), b) ---------------------------------------------------------------------------------
run
[ "$rc" = 0 ] && ok "first run (a full read)" || bad "first run failed: $(tail -3 "$J/out")"
same "first run"
for r in 1 2; do
  mutate "$r"
  run
  cp "$J/out" "$J/out.r$r"
  [ "$rc" = 0 ] || { bad "run $r failed: $(tail -3 "$J/out")"; continue; }
  same "round $r"
done
grep -q "target dw: deletes: detect: reading the live keys of \"public\".\"pairs\"" "$J/out.r1" \
  && grep -q "pairs in target lake: deletes: detect: ordered merge of [0-9]* source keys and [0-9]* live keys" "$J/out.r1" \
  && ok "the first incremental run after the full load reads the live keys of both targets" \
  || bad "round 1 did not read the live keys: $(grep -i 'detect' "$J/out.r1" | head -4)"
grep -q "target dw: deletes: detect: the keys of \"public\".\"pairs\" from its run's key file" "$J/out.r2" \
  && grep -q "pairs in target lake: deletes: detect: ordered merge of [0-9]* source keys and the [0-9]* keys of the live version's run" "$J/out.r2" \
  && ! grep -q "reading the live keys of \"public\".\"pairs\"" "$J/out.r2" \
  && ok "the next run merges the key file kept from the run before and reads no live key" \
  || bad "round 2 did not use the kept key file: $(grep -i 'detect' "$J/out.r2" | head -4)"

grep -q "table public.solo: deletes: detect: [0-9]* keys read in [0-9.]*s, in [2-4] ranges side by side" "$J/out.r2" \
  && ok "a key column with a histogram is read in ranges side by side" \
  || bad "solo's keys not read in ranges: $(grep 'keys read in' "$J/out.r2")"
n_merge=$(grep "deletes: detect: ordered merge of" "$J/out" | grep -c pairs)
[ "$n_merge" = 2 ] && ok "the integer key took the ordered merge in both targets" \
  || bad "ordered merges logged: $n_merge: $(grep -i detect "$J/out" | head -5)"
grep "ordered merge" "$J/out" | grep -q "tagged" && bad "the text key took the ordered path" \
  || ok "the text key kept the text path"
grep "ordered merge" "$J/out" | grep "target lake" | grep -q "[1-9][0-9]* absent" \
  && ok "the lake's merge found the deleted keys" || bad "no lake merge line: $(grep -i 'ordered' "$J/out")"
[ "$(D -c "SELECT relallvisible > 0 FROM pg_class WHERE oid = 'public.pairs'::regclass")" = t ] \
  && ok "the warehouse table of a detect table is vacuumed after the full load (a live key read is index-only)" \
  || bad "the warehouse table has no all-visible page: $(D -c "SELECT relallvisible, relpages FROM pg_class WHERE oid = 'public.pairs'::regclass")"
last=$(sqlite3 "$J/.sluice/state.db" "SELECT max(id) FROM runs")
[ "$(ls "$J/.sluice/incr/" 2>/dev/null | tr '\n' ' ')" = "detect60-run$last-pairs.keys detect60-run$last-solo.keys " ] \
  && ok "only the last run's key file of the integer key stays (no text key list, spill or older file)" \
  || bad "key files: $(ls "$J/.sluice/incr/" | tr '\n' ' ') (last run $last)"
run
[ "$rc" = 0 ] && [ "$(grep "ordered merge" "$J/out" | grep -c ": 0 absent")" = 4 ] \
  && ok "a round with no change finds 0 absent keys in both targets" \
  || bad "no-change round: rc $rc: $(grep -i 'ordered' "$J/out")"
same "no change"

rm -f "$J/.sluice/incr/"*.keys
mutate 3
run
[ "$rc" = 0 ] && grep -q "reading the live keys of \"public\".\"pairs\"" "$J/out" \
  && ok "without the kept key file the next run reads the live keys again" \
  || bad "run without the key file: rc $rc: $(grep -i 'detect' "$J/out" | head -3)"
same "without the kept key file"

# A crash after the first publish, then the resume: exact, and the resumed run keeps no key file
# (its keys and its increment may come from two snapshots), so the next run reads live keys again.
mutate 4
SLUICE_FAILPOINT=publish:after-exchange:crash run
crashed=$rc
run
[ "$crashed" != 0 ] && [ "$rc" = 0 ] && grep -q "resuming run" "$J/out" \
  && ok "a crash after the first publish, then a resume" || bad "crash and resume: rc $crashed then $rc: $(tail -3 "$J/out")"
same "after a crash and a resume"
[ -z "$(ls "$J/.sluice/incr/" 2>/dev/null)" ] && ok "a resumed run keeps no key file" \
  || bad "key files after a resumed run: $(ls "$J/.sluice/incr/" | tr '\n' ' ')"
mutate 5
run
[ "$rc" = 0 ] && grep -q "reading the live keys of \"public\".\"pairs\"" "$J/out" \
  && ok "the run after a resumed one reads the live keys" || bad "after the resumed run: rc $rc: $(grep -i 'detect' "$J/out" | head -3)"
same "after the run that followed a resumed one"

# --- c) the guard ------------------------------------------------------------------------------
S -c "DELETE FROM pairs WHERE id % 10 < 3"
before_lake=$(lake_pairs) before_dw=$(dw_pairs)
run
[ "$rc" != 0 ] && grep -q "max_delete_ratio" "$J/out" && grep -q -- "--allow-mass-delete" "$J/out" \
  && ok "deleting 30% is refused by the mass-delete guard" || bad "guard: rc $rc: $(grep -i 'delete' "$J/out" | tail -3)"
[ "$(lake_pairs)" = "$before_lake" ] && [ "$(dw_pairs)" = "$before_dw" ] \
  && ok "the refused publish left both targets as they were" || bad "the refused publish changed a target"
run --allow-mass-delete
[ "$rc" = 0 ] && ok "--allow-mass-delete publishes" || bad "--allow-mass-delete: $(tail -3 "$J/out")"
same "after --allow-mass-delete"

# --- d) a table taken out of the job: its kept key file goes at the next run's end ---------------
run   # the run above resumed the refused one, so it kept no key file; this one does
ls "$J/.sluice/incr/" | grep -q -- "-solo.keys$" || bad "no kept key file of solo before it is taken out: $(ls "$J/.sluice/incr/" | tr "\\n" " ")"
awk '/^  solo:/ { skip = 1; next } /^  [a-z]+:/ { skip = 0 } !skip' "$J/job.yaml" > "$J/job.tmp" && mv "$J/job.tmp" "$J/job.yaml"
run
[ "$rc" = 0 ] && ! ls "$J/.sluice/incr/" | grep -q -- "-solo.keys" && ls "$J/.sluice/incr/" | grep -q -- "-pairs.keys$" \
  && ok "a table taken out of the job leaves no key file behind; the others' stay" \
  || bad "after solo left the job: rc $rc, key files: $(ls "$J/.sluice/incr/" | tr '\n' ' ')"

exit $fail
