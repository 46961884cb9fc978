#!/usr/bin/env bash
# tests/run.sh - the whole suite, as `make test` runs it:
#   1. one private PostgreSQL server for the whole run (tests/lib/pg.sh);
#      unit tests that need one read SLUICE_PG_URL;
#   2. the unit tests (every $SLUICE_BUILD/tests/test_* Criterion binary);
#   3. every tests/suites/NN-*.sh in order. A suite prints its own checks and
#      exits 0 (passed), 77 (skipped, with the reason printed) or else failed.
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


for s in tests/suites/*.sh; do
  [ -f "$s" ] || continue
  name=$(basename "$s" .sh)
  [ -n "${SLUICE_ONLY:-}" ] && [[ "$name" != *${SLUICE_ONLY}* ]] && continue
  echo "== suite: $name"
  start=$(date +%s)
  bash "$s"; rc=$?
  secs=$(( $(date +%s) - start ))
  case $rc in
    0) passed=$((passed+1)); echo "-- $name: passed (${secs}s)";;
    77) skipped=$((skipped+1)); echo "-- $name: SKIPPED (${secs}s)";;
    *) failed=$((failed+1)); failures="$failures $name"; echo "-- $name: FAILED (exit $rc, ${secs}s)";;
  esac
done

[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
