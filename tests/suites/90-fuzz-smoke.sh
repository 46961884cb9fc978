#!/usr/bin/env bash
# 90-fuzz-smoke: builds every libFuzzer target (fuzz/fuzz_*.c, clang) and runs
# each briefly (FUZZ_SMOKE_SECONDS, default 12) from its seeds. Any crash,
# sanitizer report or leak fails the suite. `make fuzz` runs them longer.
set -uo pipefail
cd "$SLUICE_ROOT"
if [ "${SLUICE_BUILD:-build}" = build-asan ]; then
  echo "skipped under make asan: the fuzzers are already built with ASan+UBSan"; exit 77
fi
if ! command -v clang >/dev/null; then
  echo "SKIPPED: clang not installed (scripts/install-deps.sh installs it)"; exit 77
fi
ls fuzz/fuzz_*.c >/dev/null 2>&1 || { echo "no fuzz targets yet"; exit 77; }
make --no-print-directory fuzz-smoke FUZZ_SMOKE_SECONDS="${FUZZ_SMOKE_SECONDS:-12}"
