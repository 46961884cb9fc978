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

cat >"$tmp/cmp.js" <<'EOF'
// cmp.js PARQUET SLUICE_CSV [EXPECT_CSV | --int96-md MD]
// exit 0 match, 3 DuckDB cannot read the file, 1 mismatch (details printed)
const fs = require('fs');
const [pq, outCsv, mode, extra] = process.argv.slice(2);

function parseCsv(text) {
  const rows = [];
  let row = [], i = 0, n = text.length;
  while (i < n) {
    let cell, quoted = false;
    if (text[i] === '"') {
      quoted = true; i++;
      let s = '';
      for (;;) {
        if (i >= n) break;
        if (text[i] === '"') { if (text[i + 1] === '"') { s += '"'; i += 2; continue; } i++; break; }
        s += text[i++];
      }
      cell = s;
    } else {
      let j = i;
      while (j < n && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') j++;
      cell = text.slice(i, j); i = j;
    }
    row.push(!quoted && cell === '' ? null : cell);
    if (text[i] === ',') { i++; continue; }
    if (text[i] === '\r') i++;
    if (text[i] === '\n' || i >= n) { i++; rows.push(row); row = []; }
  }
  return rows;
}

function norm(v) {
  if (v === null || v === undefined) return null;
  let s = String(v);
  // timestamps / times: drop a UTC suffix and trailing fractional zeros
  s = s.replace(/(\+00(:00)?|Z)$/, '');
  if (/^-?\d+-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?$/.test(s) || /^\d\d:\d\d:\d\d(\.\d+)?$/.test(s)) {
    s = s.replace('T', ' ');
    if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  }
  return s;
}

function sameNumber(a, b, single) {
  const fa = Number(a), fb = Number(b);
  const nanA = /^-?nan$/i.test(a) || Number.isNaN(fa), nanB = /^-?nan$/i.test(b) || Number.isNaN(fb);
  if (nanA || nanB) return nanA && nanB;
  const ia = /inf/i.test(a) ? (a.startsWith('-') ? -Infinity : Infinity) : fa;
  const ib = /inf/i.test(b) ? (b.startsWith('-') ? -Infinity : Infinity) : fb;
  if (single) return Math.fround(ia) === Math.fround(ib);
  return ia === ib;
}

function compare(gotRows, wantRows, floatCols, label) {
  const gh = gotRows[0], wh = wantRows[0];
  if (gh.length !== wh.length) { console.log(`  ${label}: ${gh.length} columns, expected ${wh.length}`); return 1; }
  if (gotRows.length !== wantRows.length) {
    console.log(`  ${label}: ${gotRows.length - 1} rows, expected ${wantRows.length - 1}`); return 1;
  }
  let bad = 0;
  for (let r = 1; r < wantRows.length && bad < 5; r++) {
    for (let c = 0; c < wh.length; c++) {
      const g = gotRows[r][c], w = wantRows[r][c];
      let ok;
      if (g === null || w === null) ok = g === w;
      else if (floatCols[c]) ok = sameNumber(g, w, floatCols[c] === 'single');
      else ok = norm(g) === norm(w) || (/^-?[\d.]+(e[-+]?\d+)?$/i.test(g) && /^-?[\d.]+(e[-+]?\d+)?$/i.test(w) && Number(g) === Number(w) && !/\./.test(g + w));
      if (!ok) { bad++; console.log(`  ${label}: row ${r} column ${wh[c]}: got ${JSON.stringify(g)}, expected ${JSON.stringify(w)}`); }
    }
  }
  return bad ? 1 : 0;
}

function microsText(us) {
  const day = 86400000000n;
  let d = us / day, rem = us % day;
  if (rem < 0n) { rem += day; d -= 1n; }
  // civil from days (Howard Hinnant)
  let z = d + 719468n;
  const era = (z >= 0n ? z : z - 146096n) / 146097n;
  const doe = z - era * 146097n;
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n;
  let y = yoe + era * 400n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const dd = doy - (153n * mp + 2n) / 5n + 1n;
  const m = mp < 10n ? mp + 3n : mp - 9n;
  if (m <= 2n) y += 1n;
  const p2 = (x) => String(x).padStart(2, '0');
  const secs = rem / 1000000n, frac = rem % 1000000n;
  let s = `${y >= 0n && y <= 9999n ? String(y).padStart(4, '0') : y}-${p2(m)}-${p2(dd)} ${p2(secs / 3600n)}:${p2((secs / 60n) % 60n)}:${p2(secs % 60n)}`;
  if (frac) s += '.' + String(frac).padStart(6, '0').replace(/0+$/, '');
  return s;
}

(async () => {
  const got = parseCsv(fs.readFileSync(outCsv, 'utf8'));
  if (mode === '--int96-md') {
    const md = fs.readFileSync(extra, 'utf8');
    const m = md.match(/they correspond to:\s*```\s*([^`]+)```/);
    const vals = m[1].trim().split(/\s*,\s*/);
    const want = [[got[0][0]]].concat(vals.map((v) => [v === 'null' ? null : microsText(BigInt(v))]));
    process.exit(compare(got, want, [false], 'vs .md'));
  }
  if (mode === '--pairs') {
    // byte_stream_split_extended: each *_byte_stream_split column equals its *_plain twin
    const h = got[0];
    let bad = 0;
    for (let c = 0; c + 1 < h.length; c += 2) {
      if (h[c].replace(/_plain$/, '') !== h[c + 1].replace(/_byte_stream_split$/, '')) { console.log(`  unexpected columns ${h[c]}, ${h[c + 1]}`); process.exit(1); }
      for (let r = 1; r < got.length; r++)
        if (got[r][c] !== got[r][c + 1] && bad++ < 5) console.log(`  row ${r}: ${h[c]} ${got[r][c]} != ${h[c + 1]} ${got[r][c + 1]}`);
    }
    if (got.length < 2) { console.log('  no rows'); process.exit(1); }
    process.exit(bad ? 1 : 0);
  }
  if (mode === '--twin') {
    // same rows as another corpus file (its twin written with another codec)
    const want = parseCsv(fs.readFileSync(extra, 'utf8'));
    process.exit(compare(got, want, got[0].map(() => false), 'vs twin'));
  }
  if (mode) {
    const want = parseCsv(fs.readFileSync(mode, 'utf8'));
    const names = want[0].map((s) => s.trim());
    // delta_encoding_required_column's names end in ':' in the file, not in the csv
    const idx = names.map((nm) => got[0].findIndex((g) => g === nm || g.replace(/:$/, '') === nm));
    if (idx.some((i) => i < 0)) { console.log(`  expect.csv columns ${names} not all in ${got[0]}`); process.exit(1); }
    const proj = got.map((row) => idx.map((i) => row[i]));
    proj[0] = names;
    want[0] = names;
    process.exit(compare(proj, want, names.map(() => false), 'vs expect.csv'));
  }
  const { DuckDBInstance } = require('@duckdb/node-api');
  let rows, types;
  try {
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    await conn.run("SET TimeZone='UTC'");
    const path = pq.replace(/'/g, "''");
    const d = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
    const desc = d.getRowObjectsJson();
    types = desc.map((r) => String(r.column_type));
    const sel = desc.map((r) => {
      const q = '"' + String(r.column_name).replace(/"/g, '""') + '"';
      const t = String(r.column_type);
      if (t === 'BLOB') return `CASE WHEN ${q} IS NULL THEN NULL ELSE '\\x' || lower(hex(${q})) END`;
      if (t === 'FLOAT' || t === 'DOUBLE') return `${q}::VARCHAR`;
      if (t.startsWith('TIMESTAMP_NS') || t === 'TIMESTAMP_MS' || t === 'TIMESTAMP_S') return `${q}::TIMESTAMP::VARCHAR`;
      return `${q}::VARCHAR`;
    });
    const res = await conn.runAndReadAll(`SELECT ${sel.join(', ')} FROM read_parquet('${path}')`);
    rows = [desc.map((r) => r.column_name)].concat(res.getRowsJson());
  } catch (e) {
    console.log(`  DuckDB cannot read it: ${String(e.message || e).split('\n')[0]}`);
    process.exit(3);
  }
  const floats = types.map((t) => (t === 'FLOAT' ? 'single' : t === 'DOUBLE' ? 'double' : false));
  process.exit(compare(got, rows, floats, 'vs DuckDB'));
})();
EOF

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
    node "$tmp/cmp.js" "$f" "$tmp/out.csv" "${base}_expect.csv" >"$tmp/cmp" 2>&1; crc=$?
  elif twin=$(twin_of "$name") && [ -n "$twin" ]; then
    # DuckDB cannot read codec 5 (LZ4): compare with the LZ4_RAW twin, which
    # is itself checked against DuckDB in this run
    "$BIN" cat "$CORPUS/data/$twin" >"$tmp/twin.csv" 2>/dev/null
    node "$tmp/cmp.js" "$f" "$tmp/out.csv" --twin "$tmp/twin.csv" >"$tmp/cmp" 2>&1; crc=$?
  elif [ "$name" = byte_stream_split_extended.gzip.parquet ]; then
    node "$tmp/cmp.js" "$f" "$tmp/out.csv" --pairs >"$tmp/cmp" 2>&1; crc=$?
  elif [ "$name" = int96_from_spark.parquet ]; then
    node "$tmp/cmp.js" "$f" "$tmp/out.csv" --int96-md "$base.md" >"$tmp/cmp" 2>&1; crc=$?
  else
    node "$tmp/cmp.js" "$f" "$tmp/out.csv" >"$tmp/cmp" 2>&1; crc=$?
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
    if [ $rc -eq 0 ] && node "$tmp/cmp.js" "$f" "$tmp/out.csv" >"$tmp/cmp" 2>&1; then matched=$((matched+1))
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
