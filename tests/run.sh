#!/usr/bin/env bash
# tests/run.sh - the whole suite, as `make test` runs it:
#   1. one private PostgreSQL server for the whole run (tests/lib/pg.sh);
#      unit tests that need one read SLUICE_PG_URL;
#   2. the unit tests (every $SLUICE_BUILD/tests/test_* Criterion binary);
#   3. every tests/suites/NN-*.sh, SLUICE_JOBS (default 2) at a time, each
#      one's output printed whole when it ends. A suite prints its own checks
#      and exits 0 (passed), 77 (skipped, with the reason printed) or else failed.
# Ends with the line "N passed, N failed, N skipped" and a non-zero exit when
# anything failed. SLUICE_ONLY=pattern runs only the suites matching it.
set -uo pipefail
cd "$(dirname "$0")/.."
export SLUICE_BUILD=${SLUICE_BUILD:-build}
export SLUICE_BIN=$PWD/$SLUICE_BUILD/sluice
export SLUICE_ROOT=$PWD
export PATH="$PWD/tools/node_modules/.bin:$PATH"
passed=0 failed=0 skipped=0 failures=""

. tests/lib/pg.sh
sl_pg_start || { echo "cannot start PostgreSQL for the suites"; echo "$passed passed, $((failed+1)) failed"; exit 1; }
export SLUICE_PG_SHARED=1

if [ -z "${SLUICE_ONLY:-}" ]; then
  for t in "$SLUICE_BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    echo "== unit: $(basename "$t")"
    if "$t" --jobs 2; then passed=$((passed+1)); else failed=$((failed+1)); failures="$failures $(basename "$t")"; fi
  done
fi


# The suites run SLUICE_JOBS at a time (default 2: they share the one server
# but each has its own databases and directories; a suite that stops a server
# starts a private one). Each suite's output is kept and printed whole when
# it ends, so the log reads suite by suite.
jobs_max=${SLUICE_JOBS:-2}
logs=$(mktemp -d /tmp/sluice-suites.XXXXXX)
# (pg.sh's own traps stop the server; these keep doing so)
trap 'rm -rf "$logs"; sl_pg_stop' EXIT
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$logs"; sl_pg_stop; exit 130' INT TERM
declare -A name_of start_of
running=0

suite_ended() {
  local pid=$1 rc=$2 name=${name_of[$1]}
  local secs=$(( $(date +%s) - ${start_of[$1]} ))
  echo "== suite: $name"
  cat "$logs/$name.log"
  case $rc in
    0) passed=$((passed+1)); echo "-- $name: passed (${secs}s)";;
    77) skipped=$((skipped+1)); echo "-- $name: SKIPPED (${secs}s)";;
    *) failed=$((failed+1)); failures="$failures $name"; echo "-- $name: FAILED (exit $rc, ${secs}s)";;
  esac
  running=$((running-1))
}

wait_one() {
  local pid rc
  wait -n -p pid; rc=$?
  suite_ended "$pid" "$rc"
}

for s in tests/suites/*.sh; do
  [ -f "$s" ] || continue
  name=$(basename "$s" .sh)
  [ -n "${SLUICE_ONLY:-}" ] && [[ "$name" != *${SLUICE_ONLY}* ]] && continue
  [ "$running" -ge "$jobs_max" ] && wait_one
  bash "$s" >"$logs/$name.log" 2>&1 </dev/null &
  name_of[$!]=$name; start_of[$!]=$(date +%s)
  running=$((running+1))
done
while [ "$running" -gt 0 ]; do wait_one; done

[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
