#!/usr/bin/env bash
# 26-hostile: the hostile-but-fair inputs of the hardening probe (issue 8),
# each with its expected clear outcome. One file per area in tests/hostile/
# (NN-area.sh), sourced in a subshell of its own with:
#   HW            a fresh directory for the file's scratch work
#   DB_URL        a database (hostile) on the suite's PostgreSQL server
#   ok/bad        print a check's result (bad marks the suite failed)
#   sl_try NAME CMD...      run CMD; stdout/stderr in $HW/NAME.out/.err, exit in RC
#   sl_expect NAME CODE RE  RC is CODE and stderr matches the extended regex RE
#                           (case-insensitive); prints ok/FAIL with NAME
#   sl_tree DIR             every path under DIR, sorted (to see nothing changed)
# SLUICE_CASE=pattern runs only the files whose name matches.
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
sl_suite_pg
sl_suite_workdir hostile SLUICE_HOSTILE_KEEP

sl_pg_createdb hostile
DB_URL="$SLUICE_PG_URL/hostile"

sl_try() { local n=$1; shift; RC=0; "$@" >"$HW/$n.out" 2>"$HW/$n.err" || RC=$?; }
sl_expect() {
  local n=$1 code=$2 re=$3
  if [ "$RC" = "$code" ] && grep -Eqi -- "$re" "$HW/$n.err"; then ok "$n: exit $RC, /$re/"
  else bad "$n: exit $RC (want $code), stderr does not match /$re/:"; head -c 2000 "$HW/$n.err" | sed 's/^/    /'; fi
}
sl_tree() { (cd "$1" 2>/dev/null && find . -mindepth 1 | sort); }

for f in tests/hostile/*.sh; do
  [ -f "$f" ] || continue
  name=$(basename "$f" .sh)
  [ -n "${SLUICE_CASE:-}" ] && [[ "$name" != *${SLUICE_CASE}* ]] && continue
  echo "-- $name"
  ( HW="$W/$name"; mkdir -p "$HW"; fail=0; . "$f"; exit $fail ) || fail=1
done
exit $fail
