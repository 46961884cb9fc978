#!/usr/bin/env bash
# bench/run.sh - `make bench`: runs every bench/*.sh (except this file) in
# order and prints a line per benchmark at the end. Each benchmark measures its
# own baselines in the same run and prints ratios (see bench/README.md).
# BENCH_ONLY=substring runs only matching benchmarks. Exit 1 if one failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export SLUICE_BUILD=${SLUICE_BUILD:-build}
export SLUICE_BIN=${SLUICE_BIN:-$PWD/$SLUICE_BUILD/sluice}
export SLUICE_ROOT=$PWD
summary="" failed=0
for b in bench/*.sh; do
  name=$(basename "$b" .sh)
  [ "$name" = run ] && continue
  [ -n "${BENCH_ONLY:-}" ] && [[ "$name" != *${BENCH_ONLY}* ]] && continue
  echo "== bench: $name"
  start=$(date +%s)
  if bash "$b"; then summary="$summary
  $name: done ($(( $(date +%s) - start ))s)"
  else failed=1; summary="$summary
  $name: FAILED ($(( $(date +%s) - start ))s)"; fi
done
echo "== benchmarks:$summary"
exit $failed
