#!/usr/bin/env bash
# 35-parquet-corpus: the Apache parquet-testing corpus read by `sluice cat`.
#   - every flat, unencrypted data/*.parquet: values compared with
#     *_expect.csv when present, with the .md expectations for
#     int96_from_spark, the LZ4_RAW twin for the codec-5 LZ4 files (DuckDB
#     cannot read those), plain twin columns for byte_stream_split_extended,
#     else with what DuckDB reads from the same file
#     (cells normalised: numbers compared as numbers, trailing zeros of
#     fractional seconds and the +00 zone suffix dropped, blobs as \x hex);
#   - files with nested columns must fail with "is nested ... not supported
#     yet"; *.encrypted files with "encrypted Parquet files are not
#     supported"; the two files with corrupt page checksums with "checksum";
#   - every bad_data/*.parquet must be rejected (exit 1, the file named in
#     the message, no sanitizer report), except ARROW-GH-43605 which is valid
#     data (one-entry dictionary, index bit width 0) and must match DuckDB;
#   - `sluice inspect` (text and --json) must succeed on every readable file.
# Ends with a summary line of the counts.
set -uo pipefail
ROOT=${SLUICE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${SLUICE_BIN:-$ROOT/build/sluice}
CORPUS=$ROOT/../shared/parquet-testing
if [ ! -d "$CORPUS/data" ]; then
  echo "SKIPPED: ../shared/parquet-testing not found"
  exit 77
fi
[ -x "$BIN" ] || { echo "no sluice binary at $BIN (run make first)"; exit 1; }
export NODE_PATH=$ROOT/tools/node_modules
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmp_js=$ROOT/tests/lib/pq_cmp.js   # also used by 36-parquet-source

twin_of() {
  case $1 in
    hadoop_lz4_compressed.parquet|non_hadoop_lz4_compressed.parquet) echo lz4_raw_compressed.parquet;;
    hadoop_lz4_compressed_larger.parquet) echo lz4_raw_compressed_larger.parquet;;
    *) return 1;;
  esac
}

san_report() { grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer' "$1"; }

matched=0 nested=0 encrypted=0 corrupt=0 failed=0 duck_cannot=0 bad_rejected=0 inspected=0
duck_list="" fail_list=""
fail() { failed=$((failed+1)); fail_list="$fail_list $1"; echo "FAIL: $1: $2"; }

for f in "$CORPUS"/data/*.parquet "$CORPUS"/data/*.encrypted "$CORPUS"/data/aes256/*.encrypted; do
  [ -f "$f" ] || continue
  name=${f#"$CORPUS"/data/}
  "$BIN" cat "$f" >"$tmp/out.csv" 2>"$tmp/err"; rc=$?
  if san_report "$tmp/err"; then fail "$name" "sanitizer report"; cat "$tmp/err" | head -20; continue; fi
  case $name in
    *.encrypted)
      if [ $rc -eq 1 ] && grep -q "encrypted Parquet files are not supported" "$tmp/err" && grep -qF "$name" "$tmp/err"; then
        encrypted=$((encrypted+1))
      else
        fail "$name" "expected the clear 'encrypted' error, got exit $rc: $(head -c 300 "$tmp/err")"
      fi
      continue;;
    datapage_v1-corrupt-checksum.parquet|rle-dict-uncompressed-corrupt-checksum.parquet)
      if [ $rc -eq 1 ] && grep -q "checksum" "$tmp/err"; then corrupt=$((corrupt+1))
      else fail "$name" "a corrupt page checksum must be reported, got exit $rc"; fi
      continue;;
  esac
  # inspect must work on every readable file, nested ones included
  if "$BIN" inspect "$f" >/dev/null 2>"$tmp/ierr" && "$BIN" inspect --json "$f" >"$tmp/i.json" 2>>"$tmp/ierr" &&
     node -e 'JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"))' "$tmp/i.json"; then
    inspected=$((inspected+1))
  else
    fail "$name" "inspect failed: $(head -c 300 "$tmp/ierr")"
  fi
  if [ $rc -ne 0 ]; then
    if grep -q "is nested (.*): not supported yet" "$tmp/err"; then nested=$((nested+1)); continue; fi
    fail "$name" "exit $rc: $(head -c 400 "$tmp/err")"; continue
  fi
  base=${f%.parquet}
  if [ -f "${base}_expect.csv" ]; then
    node "$cmp_js" "$f" "$tmp/out.csv" "${base}_expect.csv" >"$tmp/cmp" 2>&1; crc=$?
  elif twin=$(twin_of "$name") && [ -n "$twin" ]; then
    # DuckDB cannot read codec 5 (LZ4): compare with the LZ4_RAW twin, which
    # is itself checked against DuckDB in this run
    "$BIN" cat "$CORPUS/data/$twin" >"$tmp/twin.csv" 2>/dev/null
    node "$cmp_js" "$f" "$tmp/out.csv" --twin "$tmp/twin.csv" >"$tmp/cmp" 2>&1; crc=$?
  elif [ "$name" = byte_stream_split_extended.gzip.parquet ]; then
    node "$cmp_js" "$f" "$tmp/out.csv" --pairs >"$tmp/cmp" 2>&1; crc=$?
  elif [ "$name" = int96_from_spark.parquet ]; then
    node "$cmp_js" "$f" "$tmp/out.csv" --int96-md "$base.md" >"$tmp/cmp" 2>&1; crc=$?
  else
    node "$cmp_js" "$f" "$tmp/out.csv" >"$tmp/cmp" 2>&1; crc=$?
  fi
  case $crc in
    0) matched=$((matched+1));;
    3) duck_cannot=$((duck_cannot+1)); duck_list="$duck_list $name"; echo "note: $name: $(cat "$tmp/cmp")";;
    *) fail "$name" "values differ"; head -12 "$tmp/cmp";;
  esac
done

for f in "$CORPUS"/bad_data/*.parquet; do
  [ -f "$f" ] || continue
  name=bad_data/$(basename "$f")
  "$BIN" cat "$f" >"$tmp/out.csv" 2>"$tmp/err"; rc=$?
  "$BIN" inspect --json "$f" >/dev/null 2>>"$tmp/err"
  if san_report "$tmp/err"; then fail "$name" "sanitizer report"; head -20 "$tmp/err"; continue; fi
  if [ "$(basename "$f")" = ARROW-GH-43605.parquet ]; then
    if [ $rc -eq 0 ] && node "$cmp_js" "$f" "$tmp/out.csv" >"$tmp/cmp" 2>&1; then matched=$((matched+1))
    else fail "$name" "valid (1-entry dictionary, bit width 0) but not read like DuckDB: $(head -c 300 "$tmp/err")"; cat "$tmp/cmp"; fi
    continue
  fi
  if [ $rc -eq 1 ] && grep -qF "$(basename "$f")" "$tmp/err"; then
    bad_rejected=$((bad_rejected+1)); echo "ok: $name rejected: $(head -n1 "$tmp/err" | cut -c1-200)"
  else
    fail "$name" "expected exit 1 with a message naming the file, got exit $rc: $(head -c 300 "$tmp/err")"
  fi
done

# command-line behaviour on a corpus file: projection, filter, limit, JSON, exit codes
tp=$CORPUS/data/alltypes_tiny_pages.parquet
if [ -f "$tp" ]; then
  check() { if [ "$2" = "$3" ]; then echo "ok: $1"; else fail "cli" "$1: got $(printf %q "$2"), expected $(printf %q "$3")"; fi; }
  check "cat --where --columns" "$("$BIN" cat "$tp" --columns id,string_col --where "id = 4321")" $'id,string_col\n4321,1'
  check "cat --where on an unselected column, --limit, json" \
    "$("$BIN" cat "$tp" --columns id --where "string_col >= '9'" --limit 2 --format json)" $'{"id":129}\n{"id":139}'  # as DuckDB gives
  check "cat --limit 0" "$("$BIN" cat "$tp" --limit 0 --columns id)" "id"
  "$BIN" cat >/dev/null 2>&1; check "cat without a file exits 2" "$?" 2
  "$BIN" cat "$tp" --columns nope >/dev/null 2>&1; check "unknown column exits 2" "$?" 2
  "$BIN" cat "$tp" --format xml >/dev/null 2>&1; check "bad --format exits 2" "$?" 2
  "$BIN" cat --help >/dev/null; check "cat --help exits 0" "$?" 0
  "$BIN" inspect --help >/dev/null; check "inspect --help exits 0" "$?" 0
  "$BIN" cat "$CORPUS/README.md" >/dev/null 2>"$tmp/err"; check "a non-Parquet file exits 1" "$?" 1
fi

echo "corpus: $matched matched expected values, $nested nested (not supported yet), $encrypted encrypted (refused), $corrupt corrupt checksums (refused), $bad_rejected bad_data rejected, $inspected inspected, $duck_cannot DuckDB cannot read${duck_list:+ (${duck_list# })}, $failed failed${fail_list:+ (${fail_list# })}"
[ $failed -eq 0 ]
