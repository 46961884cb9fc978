#!/usr/bin/env bash
# Installs what sluice needs to build, test and fuzz, and only what is missing:
# Debian packages with apt-get, the DuckDB test peer with npm into
# tools/node_modules, and the embedded DuckDB library into deps/duckdb/
# (both project-local). Safe to run again; quiet when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs="build-essential pkg-config libpq-dev libyaml-dev libsqlite3-dev zlib1g-dev
libzstd-dev libsnappy-dev liblz4-dev libbrotli-dev libcriterion-dev libcurl4-openssl-dev libssl-dev awscli
postgresql postgresql-client sqlite3 clang libclang-rt-14-dev zstd gzip time
libmicrohttpd-dev chromium prometheus"
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

# The test peers (tools/package.json): installed again whenever
# package-lock.json changed since the last install (a stamp records which).
if [ "${SLUICE_NO_NPM:-0}" != 1 ] && ! cmp -s tools/package-lock.json tools/node_modules/.sluice-lock 2>/dev/null; then
  echo "install-deps: installing the test peers (npm, tools/package.json) into tools/" >&2
  # npm ci installs exactly what package-lock.json says and leaves it as it is.
  (cd tools && npm ci --no-audit --no-fund --silent >/dev/null)
  cp tools/package-lock.json tools/node_modules/.sluice-lock
fi

# The embedded DuckDB (transforms, the duckdb target): libduckdb.so from the
# npm package of DuckDB's node bindings and the matching duckdb.h from the
# duckdb package, both 1.4 (the long-term-support line), into deps/duckdb/.
DUCKDB_VERSION=1.4.4
DUCKDB_BINDINGS=1.4.4-r.4
if [ "${SLUICE_NO_NPM:-0}" != 1 ] && [ ! -f deps/duckdb/libduckdb.so -o ! -f deps/duckdb/duckdb.h -o \
     "$(cat deps/duckdb/VERSION 2>/dev/null)" != "$DUCKDB_BINDINGS" ]; then
  case "$(uname -m)" in
    x86_64) arch=x64;; aarch64) arch=arm64;;
    *) echo "install-deps: no DuckDB build for $(uname -m)" >&2; exit 1;;
  esac
  echo "install-deps: fetching DuckDB $DUCKDB_BINDINGS (npm) into deps/duckdb/" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "@duckdb/node-bindings-linux-$arch@$DUCKDB_BINDINGS" "duckdb@$DUCKDB_VERSION" >/dev/null)
  tar -xzf "$tmp"/duckdb-node-bindings-linux-$arch-$DUCKDB_BINDINGS.tgz -C "$tmp" package/libduckdb.so
  tar -xzf "$tmp"/duckdb-$DUCKDB_VERSION.tgz -C "$tmp" package/src/duckdb/src/include/duckdb.h
  mkdir -p deps/duckdb
  mv "$tmp"/package/libduckdb.so "$tmp"/package/src/duckdb/src/include/duckdb.h deps/duckdb/
  echo "$DUCKDB_BINDINGS" > deps/duckdb/VERSION
fi
exit 0
