#!/usr/bin/env bash
# 00-smoke: the binary runs, and the test PostgreSQL server answers.
set -euo pipefail
"$SLUICE_BIN" --help >/dev/null
psql -tAc "select 1" | grep -qx 1
echo "ok: sluice --help, PostgreSQL on port $PGPORT"
