#!/usr/bin/env bash
# 20-e2e: the declarative end-to-end cases of tests/e2e/cases/<name>/ (see
# tests/e2e/README.md for what a case directory holds). For each case:
#   1. setup: setup.sql into a fresh PostgreSQL database named e2e_<name>,
#      setup.sqlite.sql into $WORK_DIR/source.db, setup.sh for anything else;
#   2. `sluice run` of the case's job.yaml (copied into a scratch directory, so
#      the run's state never lands in the source tree), with the variables
#      PG_URL, CASE_DIR, WORK_DIR, OUT_DIR, SQLITE_DB exported for ${...};
#   3. with expect-error: the exit code, the error's substrings, and no table
#      visible in $OUT_DIR; otherwise exit 0, and every output table
#      (expect/<table>.csv, check/<table>.sql, check/<table>.sqlite.sql) read
#      back by DuckDB and by `sluice cat` (Parquet) or as written (CSV),
#      compared value by value with the expected rows and with the source's
#      rows through psql (or sqlite3).
# SLUICE_CASE=substring runs only matching cases; SLUICE_E2E_KEEP=1 keeps the
# scratch directories. Exit 0 when every case passed, 1 otherwise.
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
sl_suite_pg -c extra_float_digits=1
export PGTZ=UTC PGDATESTYLE=ISO PGCLIENTENCODING=UTF8
export TZ=UTC LC_ALL=C.UTF-8

LIB=$ROOT/tests/e2e/lib
sl_suite_workdir e2e SLUICE_E2E_KEEP
SCRATCH=$W

passed=0 failed=0 failures=""
CATMODE=""

# The part files of a table's output directory, one per line; fails when the
# directory holds anything but part files of one kind and metadata files
# whose names start with '_' (which Spark, Hive and DuckDB users skip).
table_files() {   # dir ext
  local dir=$1 ext=$2 f bad=0
  for f in "$dir"/* "$dir"/.[!.]*; do
    [ -e "$f" ] || continue
    case $(basename "$f") in
      part-*."$ext") echo "$f";;
      _*) ;;   # metadata readers skip by convention (_sluice_manifest.json)
      *) echo "unexpected file in $dir: $(basename "$f")" >&2; bad=1;;
    esac
  done
  return $bad
}

# Concatenates CSV files that each start with the same header line.
cat_csv() {   # out files...
  local out=$1 first=1 f; shift
  : > "$out"
  for f in "$@"; do
    if [ $first = 1 ]; then cat "$f" >> "$out"; first=0; else tail -n +2 "$f" >> "$out"; fi
  done
}

# `sluice cat` of every part file into one CSV with a header.
sluice_cat() {   # out files...
  local out=$1 i=0 f; shift
  local parts=()
  for f in "$@"; do
    "$SLUICE_BIN" cat "$f" > "$out.$i" 2> "$out.err" || { cat "$out.err"; return 1; }
    parts+=("$out.$i"); i=$((i+1))
  done
  cat_csv "$out" "${parts[@]}"
}

run_case() {   # case dir; returns 0 pass, 1 fail; prints why
  local cdir=$1 name; name=$(basename "$cdir")
  local work=$SCRATCH/$name
  mkdir -p "$work/out"; chmod -R 755 "$work"
  export CASE_DIR=$cdir WORK_DIR=$work OUT_DIR=$work/out SQLITE_DB=$work/source.db
  local db="e2e_${name//[^a-zA-Z0-9]/_}"
  export PG_URL="$SLUICE_PG_URL/$db" PGDATABASE=$db
  if [ -f "$cdir/setup.sql" ] || [ -d "$cdir/check" ]; then
    sl_pg_createdb "$db" || { echo "cannot create database $db"; return 1; }
  fi
  if [ -f "$cdir/setup.sql" ]; then
    psql -X -q -v ON_ERROR_STOP=1 -f "$cdir/setup.sql" > "$work/setup.log" 2>&1 \
      || { echo "setup.sql failed:"; tail -n 20 "$work/setup.log"; return 1; }
  fi
  if [ -f "$cdir/setup.sqlite.sql" ]; then
    rm -f "$SQLITE_DB"
    sqlite3 -bail "$SQLITE_DB" < "$cdir/setup.sqlite.sql" > "$work/setup.log" 2>&1 \
      || { echo "setup.sqlite.sql failed:"; tail -n 20 "$work/setup.log"; return 1; }
  fi
  if [ -f "$cdir/setup.sh" ]; then
    (cd "$work" && bash "$cdir/setup.sh") > "$work/setup.log" 2>&1 \
      || { echo "setup.sh failed:"; tail -n 20 "$work/setup.log"; return 1; }
  fi
  cp "$cdir/job.yaml" "$work/job.yaml"
  local args=""
  [ -f "$cdir/args" ] && args=$(grep -v '^#' "$cdir/args" | tr '\n' ' ')
  local rc=0
  # shellcheck disable=SC2086
  (cd "$work" && timeout 300 "$SLUICE_BIN" run --log-level warn $args job.yaml) \
      > "$work/stdout" 2> "$work/stderr" || rc=$?

  if [ -f "$cdir/expect-error" ]; then
    check_error "$cdir/expect-error" "$rc" "$work" "$cdir"
    return
  fi
  if [ "$rc" != 0 ]; then
    echo "sluice run exited $rc:"; tail -n 20 "$work/stderr"; return 1
  fi
  check_outputs "$cdir" "$work"
}

# expect-error: lines "exit: N" (default 1), "absent: TEXT" (must not appear
# in stdout or stderr); every other non-empty, non-# line is a substring the
# error output must contain.
check_error() {   # file rc work cdir
  local file=$1 rc=$2 work=$3 cdir=$4 ok=0 want=1 line
  want=$(sed -n 's/^exit: *//p' "$file" | head -n 1); want=${want:-1}
  if [ "$rc" != "$want" ]; then echo "exit status $rc, expected $want"; ok=1; fi
  while IFS= read -r line; do
    case $line in ''|'#'*|exit:*) continue;; esac
    if [[ $line == absent:* ]]; then
      line=${line#absent:}; line=${line# }
      if grep -qF -- "$line" "$work/stdout" "$work/stderr"; then echo "output contains '$line', which must not appear"; ok=1; fi
    elif ! grep -qF -- "$line" "$work/stderr"; then
      echo "error does not contain '$line'"; ok=1
    fi
  done < "$file"
  # One clear error: exactly one log line at level error.
  local errs; errs=$(grep -c -E '^[0-9T:.Z-]+ +error ' "$work/stderr" || true)
  if [ "${errs:-0}" -ne 1 ]; then echo "$errs error lines on stderr, expected exactly one"; ok=1; fi
  # Nothing visible in the target: no table directory, no leftovers (the
  # hidden staging area must be gone too), unless the case prepared them.
  local left; left=$(cd "$work/out" && ls -A 2>/dev/null | grep -v -x -F -f <(cat "$cdir/keep" 2>/dev/null; echo .keep) || true)
  if [ -n "$left" ]; then echo "the target holds after a failed run: $(echo $left)"; ok=1; fi
  [ $ok = 0 ] || { echo "--- stderr:"; tail -n 15 "$work/stderr"; }
  return $ok
}

check_outputs() {   # cdir work
  local cdir=$1 work=$2 ok=0 t tables=""
  for f in "$cdir"/expect/*.csv "$cdir"/check/*.sql; do
    [ -f "$f" ] || continue
    t=$(basename "$f"); t=${t%.sql}; t=${t%.sqlite}; t=${t%.csv}
    [[ " $tables " == *" $t "* ]] || tables="$tables $t"
  done
  [ -n "$tables" ] || { echo "case has neither expect/ nor check/ nor expect-error"; return 1; }
  # No leftovers beside the tables: the staging area is gone once published.
  local left; left=$(cd "$work/out" && ls -A | grep '^\.' || true)
  [ -z "$left" ] || { echo "leftovers in the target after success: $(echo $left)"; ok=1; }
  for t in $tables; do
    local dir=$work/out/$t files=() kind=""
    if [ ! -d "$dir" ]; then echo "$t: no output directory $dir"; ok=1; continue; fi
    if ls "$dir"/*.parquet >/dev/null 2>&1; then kind=parquet; elif ls "$dir"/*.csv >/dev/null 2>&1; then kind=csv; fi
    if [ -z "$kind" ]; then echo "$t: no part files in $dir (an empty table still needs one file carrying its schema)"; ok=1; continue; fi
    mapfile -t files < <(table_files "$dir" "$kind") || ok=1
    local readings=()
    if [ $kind = parquet ]; then
      if node "$LIB/duckread.js" "$dir/*.parquet" > "$work/$t.duckdb.csv" 2> "$work/$t.duckdb.err"; then
        readings+=(duckdb)
      else
        echo "$t: DuckDB cannot read the files: $(head -c 600 "$work/$t.duckdb.err")"; ok=1
      fi
      if [ "$CATMODE" = yes ]; then
        if sluice_cat "$work/$t.cat.csv" "${files[@]}" > "$work/$t.cat.err" 2>&1; then
          readings+=(cat)
        else
          echo "$t: sluice cat failed: $(head -c 600 "$work/$t.cat.err")"; ok=1
        fi
      fi
    else
      cat_csv "$work/$t.csv.csv" "${files[@]}"
      readings+=(csv)
    fi
    local r
    if [ -f "$cdir/expect/$t.csv" ]; then
      for r in "${readings[@]}"; do
        node "$LIB/csvcmp.js" "$t" "$r" "$work/$t.$r.csv" expected "$cdir/expect/$t.csv" || ok=1
      done
    fi
    if [ -f "$cdir/check/$t.sqlite.sql" ]; then
      if sqlite3 -bail -csv -header "$SQLITE_DB" < "$cdir/check/$t.sqlite.sql" \
           > "$work/$t.sqlite.csv" 2> "$work/$t.sqlite.err"; then
        for r in "${readings[@]}"; do
          node "$LIB/csvcmp.js" "$t" "$r" "$work/$t.$r.csv" sqlite "$work/$t.sqlite.csv" || ok=1
        done
      else
        echo "$t: check/$t.sqlite.sql failed: $(cat "$work/$t.sqlite.err")"; ok=1
      fi
    fi
    if [ -f "$cdir/check/$t.sql" ]; then
      local q; q=$(sed -e 's/--.*$//' "$cdir/check/$t.sql" | tr '\n' ' ' | sed -e 's/;[[:space:]]*$//')
      if psql -X -q -v ON_ERROR_STOP=1 -c "COPY ($q) TO STDOUT WITH (FORMAT csv, HEADER)" \
           > "$work/$t.source.csv" 2> "$work/$t.source.err"; then
        for r in "${readings[@]}"; do
          node "$LIB/csvcmp.js" "$t" "$r" "$work/$t.$r.csv" source "$work/$t.source.csv" || ok=1
        done
      else
        echo "$t: check/$t.sql failed: $(cat "$work/$t.source.err")"; ok=1
      fi
    fi
  done
  return $ok
}

# `sluice cat` is compared when the binary has it.
if "$SLUICE_BIN" cat --help >/dev/null 2>&1; then CATMODE=yes
else echo "note: 'sluice cat' is not built yet; Parquet output is read back by DuckDB only"; fi

# SLUICE_E2E_CASES: another directory of cases in the same format (48-sql-models runs tests/sql/cases).
for cdir in "${SLUICE_E2E_CASES:-$ROOT/tests/e2e/cases}"/*/; do
  cdir=${cdir%/}
  name=$(basename "$cdir")
  [ -n "${SLUICE_CASE:-}" ] && [[ "$name" != *${SLUICE_CASE}* ]] && continue
  start=${EPOCHREALTIME/./}
  out=$(run_case "$cdir" 2>&1); rc=$?
  secs=$(( (${EPOCHREALTIME/./} - start) / 100000 )); secs="$((secs / 10)).$((secs % 10))"
  if [ $rc = 0 ]; then
    passed=$((passed+1)); echo "ok: $name (${secs}s)"
  else
    failed=$((failed+1)); failures="$failures $name"
    echo "FAIL: $name (${secs}s)"; echo "$out" | sed 's/^/    /' | head -n 40
  fi
done
echo "e2e: $passed passed, $failed failed${failures:+ (failed:$failures)}"
[ $failed = 0 ]
