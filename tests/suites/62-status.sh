#!/usr/bin/env bash
# 62-status: `sluice status` over a state database holding a succeeded, a
# failed and a killed run (made by tests/tools/state_fill): text and JSON
# output, --runs, a job file whose ${ENV} is not set, a missing database,
# usage errors, and a run whose lock is held (alive) versus not (killed).
set -euo pipefail
fill="$SLUICE_ROOT/${SLUICE_BUILD:-build}/tools/state_fill"
[ -x "$fill" ] || { echo "SKIP: $fill not built (make test builds it)"; exit 77; }
command -v flock >/dev/null || { echo "SKIP: flock(1) not installed"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$fill" "$dir/.sluice/state.db"
printf 'name: shop   # the job\nsources:\n  s: { kind: postgres, url: "${SLUICE_STATUS_UNSET_URL}" }\n' >"$dir/job.yaml"
unset SLUICE_STATUS_UNSET_URL || true

out=$("$SLUICE_BIN" status "$dir/job.yaml")
grep -q "^job shop: state $dir/.sluice/state.db" <<<"$out"
grep -q "^run 3  running, but its process is gone" <<<"$out"
grep -q "^run 2  failed" <<<"$out"
grep -q "^run 1  succeeded" <<<"$out"
grep -q "orders task 2 attempt 2: SOURCE: permission denied for table orders" <<<"$out"
grep -Eq "^    orders +failed +1 +1 +0 +0 +1000$" <<<"$out"
echo "ok: text output (3 runs, per-table counts, errors, killed run recognised)"

n=$("$SLUICE_BIN" status --state "$dir/.sluice/state.db" --json --runs 2 |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);
      if (j.runs[0].process_alive!==false||j.runs[1].status!=="failed"||j.runs[1].tasks.failed!==1) process.exit(1);
      console.log(j.runs.length)})')
[ "$n" = 2 ]
echo "ok: --json parses, --runs 2 gives 2 runs"

out=$(flock "$dir/.sluice/shop.lock" "$SLUICE_BIN" status "$dir/job.yaml" --runs 1)
grep -q "^run 3  running$" <<<"$out"
echo "ok: a run whose lock is held shows as running"

out=$("$SLUICE_BIN" status --state "$dir/none.db")
grep -q "no runs recorded yet" <<<"$out"
[ ! -e "$dir/none.db" ]
echo "ok: a missing state database is reported, not created"

set +e
"$SLUICE_BIN" status >/dev/null 2>&1; a=$?
"$SLUICE_BIN" status --state x --runs 0 >/dev/null 2>&1; b=$?
"$SLUICE_BIN" status "$dir/missing.yaml" >/dev/null 2>&1; c=$?
set -e
[ "$a" = 2 ] && [ "$b" = 2 ] && [ "$c" = 2 ]
echo "ok: usage errors exit 2"
