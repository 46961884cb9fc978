#!/usr/bin/env bash
# Installs what sluice needs to build, test and fuzz, and only what is missing:
# Debian packages with apt-get, and the DuckDB test peer with npm into
# tools/node_modules (project-local). Safe to run again; quiet when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs="build-essential pkg-config libpq-dev libyaml-dev libsqlite3-dev zlib1g-dev
libzstd-dev libsnappy-dev liblz4-dev libbrotli-dev libcriterion-dev
postgresql postgresql-client sqlite3 clang libclang-rt-14-dev zstd gzip time"
# node and npm may come from elsewhere than Debian (a newer Node.js); ask apt only when absent.
command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "install-deps: installing:$missing" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ "${SLUICE_NO_NPM:-0}" != 1 ] && [ ! -d tools/node_modules/@duckdb/node-api ]; then
  echo "install-deps: installing the DuckDB test peer (npm @duckdb/node-api) into tools/" >&2
  (cd tools && npm install --no-audit --no-fund --silent >/dev/null)
fi
exit 0
