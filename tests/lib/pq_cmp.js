// tests/lib/pq_cmp.js - compares sluice's CSV reading of a Parquet file with
// what the file should hold (used by suites 35-parquet-corpus and
// 36-parquet-source; needs NODE_PATH=tools/node_modules for DuckDB):
//   node pq_cmp.js PARQUET SLUICE_CSV            vs DuckDB's reading of PARQUET
//   node pq_cmp.js PARQUET SLUICE_CSV EXPECT_CSV vs an expected CSV (by column name)
//   ... --int96-md MD | --pairs | --twin OTHER_CSV   corpus special cases
// Cells are normalised: numbers compared as numbers, trailing zeros of
// fractional seconds and the +00 zone suffix dropped, blobs as \x hex.
// Exit 0 match, 3 DuckDB cannot read the file, 1 mismatch (details printed).
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
      // lists: as JSON, the form sluice prints them in (sluice cat)
      if (t.endsWith('[]')) return `to_json(${q})::VARCHAR`;
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
