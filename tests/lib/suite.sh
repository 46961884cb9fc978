# tests/lib/suite.sh - the preamble the shell suites (tests/suites/*.sh) and
# benchmarks (bench/*.sh) share. Source it by path:
#   . "$(dirname "$0")/../lib/suite.sh"        (a suite)
#   . "$(dirname "$0")/../tests/lib/suite.sh"  (a benchmark)
# Sourcing it: cd to the repository root ($SLUICE_ROOT when set), export
# SLUICE_ROOT, set ROOT (the same) and SLUICE_BIN (default build/sluice),
# source tests/lib/pg.sh, set fail=0 and define ok/bad (print "ok: ..." /
# "FAIL: ...", bad also sets fail=1). Then:
#   sl_suite_pg [OPTION...]   start PostgreSQL (or reuse the runner's; exit 1
#                             when it cannot), append "-c
#                             client_min_messages=warning" and the options to
#                             PGOPTIONS.
#   sl_suite_private_pg       a server of this script's own even under the
#                             runner (forgets the shared one first); returns
#                             1 when it cannot start.
#   sl_suite_workdir NAME KEEPVAR
#                             W = a new mode-755 directory
#                             /tmp/sluice-NAME.XXXXXX, removed at exit unless
#                             $KEEPVAR is 1 (then "kept $W" is printed).
# At exit (and on INT/TERM, then exit 130) the script runs sl_suite_on_exit
# when it defines one, removes W as above and stops the PostgreSQL server it
# started (sl_pg_stop never stops the runner's).

cd "${SLUICE_ROOT:-$(dirname "${BASH_SOURCE[0]}")/../..}" || exit 1
export SLUICE_ROOT=$PWD
ROOT=$PWD
SLUICE_BIN=${SLUICE_BIN:-$ROOT/build/sluice}
. tests/lib/pg.sh

fail=0
ok()  { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

sl_suite_cleanup() {
  if declare -F sl_suite_on_exit >/dev/null; then sl_suite_on_exit; fi
  if [ -n "${W:-}" ]; then
    if [ "${!SL_SUITE_KEEPVAR:-0}" = 1 ]; then echo "kept $W"; else rm -rf "$W"; fi
  fi
  sl_pg_stop
}

# sl_pg_start installs traps of its own: ours (which stop the server too) go
# back on top after every start.
sl_suite_traps() {
  trap sl_suite_cleanup EXIT
  trap 'sl_suite_cleanup; exit 130' INT TERM
}

sl_suite_pg() {
  sl_pg_start || { echo "cannot start PostgreSQL"; exit 1; }
  sl_suite_traps
  export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning${*:+ $*}"
}

sl_suite_private_pg() {
  unset SLUICE_PG_SHARED SLUICE_PG_URL PGHOST PGPORT SL_PG_DIR
  sl_pg_start || return 1
  sl_suite_traps
}

sl_suite_workdir() {
  W=$(mktemp -d "/tmp/sluice-$1.XXXXXX") || exit 1
  chmod 755 "$W"
  SL_SUITE_KEEPVAR=$2
  sl_suite_traps
}
SL_SUITE_KEEPVAR=SLUICE_KEEP
