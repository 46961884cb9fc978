# tests/hostile/50-state.sh - the state store, publishing and resume (hardening
# items 2, 5, 9, 17 and 21): what is at <target>/<table> decides whether a
# table is published there; a resume after the source's schema changed
# redoes the table; the state store is private; the same job with another
# state store is refused on the target; empty tasks and a locked SQLite
# source. Sourced by tests/suites/26-hostile.sh (see its header).

S=$HW
psql -X -q -d hostile -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE TABLE st_items(id int PRIMARY KEY, name text, amount numeric(10,2) NOT NULL);
INSERT INTO st_items SELECT i, 'item ' || i, i * 1.25 FROM generate_series(1, 4000) i;
CREATE TABLE st_gaps(id int PRIMARY KEY, v text);
INSERT INTO st_gaps SELECT i, 'v' || i FROM generate_series(1, 100) i;
INSERT INTO st_gaps SELECT i, 'v' || i FROM generate_series(100001, 100100) i;
SQL

# st_job FILE NAME [TABLE_YAML]: a job of NAME copying st_items (4 tasks) to $S/lake.
st_job() {
  local tables=${3:-}
  [ -n "$tables" ] || tables='  st_items: { from: pg, table: public.st_items, to: lake, partition: { column: id, count: 4 } }'
  cat >"$1" <<EOF
name: $2
retry_backoff: 50ms
sources:
  pg: { kind: postgres, url: "$DB_URL" }
targets:
  lake: { kind: parquet, path: ./lake }
tables:
$tables
EOF
}
st_job "$S/a.yaml" state_a

# ---- item 2: only this job's tables are replaced ----
mkdir -p "$S/lake/st_items"
echo "quarterly numbers" >"$S/lake/st_items/report.csv"
before=$(sl_tree "$S/lake")
sl_try item2-validate "$SLUICE_BIN" validate "$S/a.yaml"
sl_expect item2-validate 0 "lake/st_items holds files that sluice did not publish.*sluice run would fail this table"
sl_try item2-plan "$SLUICE_BIN" plan "$S/a.yaml"
sl_expect item2-plan 0 "lake/st_items holds files that sluice did not publish.*sluice run would fail this table"
sl_try item2-user-dir "$SLUICE_BIN" run --no-progress "$S/a.yaml"
sl_expect item2-user-dir 1 "table st_items: .*lake/st_items holds files that sluice did not publish for job state_a.*report\.csv.*move that directory away, or point the target's path elsewhere"
[ "$(sl_tree "$S/lake" | grep -v sluice-staging)" = "$before" ] && [ "$(cat "$S/lake/st_items/report.csv")" = "quarterly numbers" ] \
  && ok "item 2: a directory sluice did not publish is left as it was" \
  || bad "item 2: the user's directory changed: $(sl_tree "$S/lake")"

rm -rf "$S/lake/st_items"; ln -s "$S/elsewhere" "$S/lake/st_items"; mkdir -p "$S/elsewhere"
sl_try item2-symlink "$SLUICE_BIN" run --no-progress "$S/a.yaml"
sl_expect item2-symlink 1 "lake/st_items is a symbolic link.*remove the link"
[ -L "$S/lake/st_items" ] && [ -z "$(ls -A "$S/elsewhere")" ] && ok "item 2: a symbolic link and its target are left alone" \
  || bad "item 2: the link or its target changed"

rm -f "$S/lake/st_items"; echo "a file" >"$S/lake/st_items"
sl_try item2-file "$SLUICE_BIN" run --no-progress "$S/a.yaml"
sl_expect item2-file 1 "lake/st_items exists and is not a directory; move it away"

rm -f "$S/lake/st_items"; mkdir "$S/lake/st_items"
sl_try item2-empty "$SLUICE_BIN" run --no-progress "$S/a.yaml"
if [ "$RC" = 0 ] && grep -q '"rows": 4000,' "$S/lake/st_items/_sluice_manifest.json"; then
  ok "item 2: an empty directory is taken over (nothing in it to lose)"
else bad "item 2: empty directory: exit $RC"; head -c 1500 "$S/item2-empty.err"; fi

st_job "$S/b.yaml" state_b
manifest=$(cat "$S/lake/st_items/_sluice_manifest.json")
sl_try item2-other-job "$SLUICE_BIN" run --no-progress "$S/b.yaml"
sl_expect item2-other-job 1 "lake/st_items is table st_items of job state_a \(run [0-9]+.*not of job state_b: two jobs must not replace each other's tables"
[ "$(cat "$S/lake/st_items/_sluice_manifest.json")" = "$manifest" ] && ok "item 2: the other job's table is unchanged" \
  || bad "item 2: job state_b replaced job state_a's table"

# ---- item 5: a resume after the source's schema changed redoes the table ----
# st_resume NAME SQL DIFF: a run that stops after 2 of 4 tasks, SQL on the
# source, then the resume must redo every task with the new schema.
st_resume() {
  local name=$1 sql=$2 diff=$3
  SLUICE_FAILPOINT=task-start:error@3 "$SLUICE_BIN" run --no-progress --workers 1 "$S/a.yaml" >/dev/null 2>"$S/$name-1.err"
  psql -X -q -d hostile -v ON_ERROR_STOP=1 -c "$sql" >/dev/null
  sl_try "$name" "$SLUICE_BIN" run --no-progress --workers 1 "$S/a.yaml"
  grep -q "resuming run" "$S/$name.err" || bad "item 5: $name: the run was not resumed"
  sl_expect "$name" 0 "the source's schema changed since run [0-9]+ began \($diff\): its finished tasks are redone with the new schema"
  local all files schemas
  all=$(for f in "$S"/lake/st_items/part-*.parquet; do "$SLUICE_BIN" inspect --json "$f" | tr -d ' \n' | grep -o '"schema":\[[^]]*\]'; done)
  files=$(echo "$all" | grep -c schema)
  schemas=$(echo "$all" | sort -u | wc -l)
  [ "$schemas" = 1 ] && [ "$files" = 4 ] && grep -q '"rows": 4000,' "$S/lake/st_items/_sluice_manifest.json" \
    && ok "item 5: $name: the published table has one schema in its $files files" \
    || bad "item 5: $name: $schemas schemas in $files files"
}
st_resume item5-type "ALTER TABLE st_items ALTER COLUMN amount TYPE float8" "amount: decimal\(10,2\) -> float64"
st_resume item5-rename "ALTER TABLE st_items RENAME COLUMN name TO title" "name: dropped; title: added \(string\)"
st_resume item5-nullable "ALTER TABLE st_items ALTER COLUMN amount DROP NOT NULL" "amount: not null -> nullable"
st_resume item5-drop "ALTER TABLE st_items DROP COLUMN title" "title: dropped"

# ---- item 9: the state store is private; output keeps the umask ----
(
  umask 022
  rm -rf "$S/.sluice"
  (SLUICE_FAILPOINT=task-start:crash@2 "$SLUICE_BIN" run --no-progress --workers 1 "$S/a.yaml" >/dev/null 2>&1; :) 2>/dev/null
  modes=$(cd "$S/.sluice" && stat -c '%n=%a' . state.db* *.lock 2>/dev/null | tr '\n' ' ')
  bad_modes=$(echo "$modes" | tr ' ' '\n' | grep -v -E '^(\.=700|[^=]+=600)$' | grep . | tr '\n' ' ')
  [ -z "$bad_modes" ] && echo "$modes" | grep -q 'state.db=600' && echo "$modes" | grep -q 'lock=600' \
    && echo "ok: item 9: the state directory is 0700, the store, its -wal/-shm and the lock 0600 ($modes)" \
    || echo "FAIL: item 9: modes after a crash: $modes"
  "$SLUICE_BIN" run --no-progress "$S/a.yaml" >/dev/null 2>&1
  out=$(cd "$S/lake" && stat -c '%a' . st_items st_items/part-00000.parquet st_items/_sluice_manifest.json | tr '\n' ' ')
  [ "$out" = "755 755 644 644 " ] && echo "ok: item 9: the lake keeps the umask ($out)" \
    || echo "FAIL: item 9: lake modes with umask 022: $out"
) >"$S/item9.out"
cat "$S/item9.out"
grep -q '^FAIL' "$S/item9.out" && fail=1

# ---- item 17: the same job with another state store is refused on the target ----
SLUICE_FAILPOINT=publish:before-exchange:sleep:4000 "$SLUICE_BIN" run --no-progress --state "$S/one/state.db" "$S/a.yaml" \
  >/dev/null 2>"$S/item17-first.err" &
first=$!
for _ in $(seq 50); do [ -e "$S/lake/.sluice-staging/state_a/.lock" ] && grep -q holder "$S/lake/.sluice-staging/state_a/.lock" 2>/dev/null && break; sleep 0.1; done
sl_try item17-second "$SLUICE_BIN" run --no-progress --state "$S/two/state.db" "$S/a.yaml"
sl_expect item17-second 1 "target lake: staging area .*/lake/.sluice-staging/state_a: job state_a is already running \(pid $first on host .*; run [0-9]+ of state store $S/one/state.db\); wait for it or stop it"
wait $first; rc1=$?
[ $rc1 = 0 ] && grep -q '"rows": 4000,' "$S/lake/st_items/_sluice_manifest.json" && [ -z "$(ls -A "$S/lake" | grep '^\.')" ] \
  && ok "item 17: the first run publishes undisturbed and leaves no staging" \
  || bad "item 17: the first run: exit $rc1: $(head -c 800 "$S/item17-first.err")"
sl_try item17-after "$SLUICE_BIN" run --no-progress --state "$S/two/state.db" "$S/a.yaml"
[ "$RC" = 0 ] && ok "item 17: once the other run ended, the second state store's run goes ahead" \
  || bad "item 17: after the first run: exit $RC: $(head -c 800 "$S/item17-after.err")"

# ---- item 21: empty tasks leave no alarming log; a locked SQLite source is retried ----
st_job "$S/gaps.yaml" state_gaps "  st_gaps: { from: pg, table: public.st_gaps, to: lake, partition: { strategy: range, column: id, count: 4 } }"
sl_try item21-empty "$SLUICE_BIN" run --no-progress --log-level info "$S/gaps.yaml"
if [ "$RC" = 0 ] && ! grep -q "no finished task recorded it" "$S/item21-empty.err" && [ "$(ls "$S/lake/st_gaps" | grep -c '^part-')" = 2 ]; then
  ok "item 21: tasks without rows leave no file and no 'removing ... no finished task recorded it'"
else bad "item 21: empty tasks: exit $RC: $(grep -i removing "$S/item21-empty.err" | head -3)"; fi

sqlite3 "$S/shop.db" "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('a'), ('b'), ('c');"
cat >"$S/sq.yaml" <<EOF
name: state_sqlite
retry_backoff: 200ms
sources:
  db: { kind: sqlite, path: ./shop.db }
targets:
  lake: { kind: csv, path: ./lake }
tables:
  sq_t: { from: db, table: t, to: lake }
EOF
# A writer holds an exclusive lock for longer than the reader's busy timeout (10 s).
# It holds it 20 s from when it has it: the run starts as soon as the lock is
# seen held (a reader without a busy timeout is refused), so on a loaded
# machine too the run's first read waits out its whole timeout.
{ echo "BEGIN EXCLUSIVE; UPDATE t SET v = v;"; sleep 20; echo "COMMIT;"; } | sqlite3 "$S/shop.db" &
writer=$!
for _ in $(seq 100); do
  sqlite3 "$S/shop.db" "select count(*) from t" >/dev/null 2>&1 || break
  sleep 0.1
done
sl_try item21-sqlite-locked "$SLUICE_BIN" run --no-progress "$S/sq.yaml"
wait $writer
sl_expect item21-sqlite-locked 0 "database is locked \(another process holds a write lock on the database; retried\); retrying in"
[ "$(wc -l <"$S/lake/sq_t/part-00000.csv")" = 4 ] && ok "item 21: the locked SQLite table was copied once the lock went" \
  || bad "item 21: sqlite table after the lock: $(ls "$S/lake/sq_t" 2>&1)"
