#!/usr/bin/env node
// tests/e2e/lib/duckread.js - reads Parquet files with DuckDB (the test peer
// of tools/duck.js) and prints their rows as CSV with a header, every value in
// sluice's text forms (src/core/sl_types.h), so the output compares directly
// with sluice's CSV, `sluice cat` and psql's CSV:
//   floats   PostgreSQL's text (shortest round-trip digits, exponent form
//            below 1e-4 and from 1e15, real from 1e6), NaN, Infinity, -Infinity
//   bytes    \x followed by lowercase hex (PostgreSQL's bytea hex form)
//   timestamptz  in UTC with "+00"; others DuckDB's VARCHAR cast
//
//   node duckread.js 'out/orders/*.parquet'
//   node duckread.js --db warehouse.duckdb orders     (a table of a DuckDB file, read-only;
//                                                      schema.table for another schema)
//
// Exits 1 with DuckDB's message when the files cannot be read.
'use strict';
const path = require('path');
const { DuckDBInstance } = require(path.join(__dirname, '../../../tools/node_modules/@duckdb/node-api'));

function csvField(v) {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) || s === '' ? '"' + s.replace(/"/g, '""') + '"' : s;
}

function qid(name) { return '"' + name.replace(/"/g, '""') + '"'; }

// Floats leave DuckDB as exact text (%.17g, %.9g) and are formatted here.
function castExpr(name, type) {
  const q = qid(name);
  if (type === 'DOUBLE') return `printf('%.17g', ${q})`;
  if (type === 'FLOAT') return `printf('%.9g', ${q})`;
  if (type === 'BLOB') return `'\\x' || lower(hex(${q}))`;
  return `${q}::VARCHAR`;
}

// PostgreSQL's float text (float4out/float8out with extra_float_digits = 1,
// which src/core/sl_types.h adopts): the shortest digits that round-trip
// (for real: through float32), in exponent form when the decimal exponent
// is < -4 or >= 15 (real: >= 6), the exponent with at least two digits.
function pgFloat(text, single) {
  const low = text.toLowerCase();
  if (low === 'nan' || low === '-nan') return 'NaN';
  if (low === 'inf' || low === 'infinity') return 'Infinity';
  if (low === '-inf' || low === '-infinity') return '-Infinity';
  let x = parseFloat(text);
  if (single) x = Math.fround(x);
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  let e1 = x.toExponential();
  if (single) {
    for (let p = 1; p <= 9; p++) {
      e1 = x.toExponential(p - 1);
      if (Math.fround(parseFloat(e1)) === x) break;
    }
  }
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(e1);
  const sign = m[1];
  const digits = (m[2] + (m[3] || '')).replace(/0+$/, '') || '0';
  const exp = parseInt(m[4], 10);
  if (exp < -4 || exp >= (single ? 6 : 15)) {
    const a = Math.abs(exp);
    return sign + digits[0] + (digits.length > 1 ? '.' + digits.slice(1) : '') +
      'e' + (exp < 0 ? '-' : '+') + (a < 10 ? '0' : '') + a;
  }
  if (exp < 0) return sign + '0.' + '0'.repeat(-exp - 1) + digits;
  const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return sign + int + (frac ? '.' + frac : '');
}

(async () => {
  const args = process.argv.slice(2);
  const db = args[0] === '--db' ? args.splice(0, 2)[1] : null;
  if (args.length !== 1 || (db === undefined)) {
    process.stderr.write('usage: duckread.js PARQUET_GLOB | duckread.js --db FILE TABLE\n');
    process.exit(2);
  }
  const src = db ? args[0].split('.').map(qid).join('.') : `read_parquet('${args[0].replace(/'/g, "''")}')`;
  const instance = await DuckDBInstance.create(db || ':memory:', db ? { access_mode: 'READ_ONLY' } : {});
  const conn = await instance.connect();
  await conn.run("SET TimeZone = 'UTC'");
  const desc = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${src}`);
  const cols = desc.getRowObjectsJson().map((r) => [r.column_name, r.column_type]);
  const sql = `SELECT ${cols.map(([n, t]) => castExpr(n, t) + ' AS ' + qid(n)).join(', ')} FROM ${src}`;
  const reader = await conn.runAndReadAll(sql);
  const out = [cols.map(([n]) => csvField(n)).join(',')];
  const kinds = cols.map(([, t]) => (t === 'DOUBLE' ? 'd' : t === 'FLOAT' ? 'f' : ''));
  for (const row of reader.getRowsJson()) {
    out.push(row.map((v, i) => csvField(kinds[i] && v !== null ? pgFloat(String(v), kinds[i] === 'f') : v)).join(','));
  }
  process.stdout.write(out.join('\n') + '\n');
  if (process.env.DUCKREAD_TYPES) process.stderr.write(cols.map(([n, t]) => `${n} ${t}`).join('\n') + '\n');
})().catch((e) => {
  process.stderr.write('duckdb: ' + (e && e.message ? e.message : e) + '\n');
  process.exit(1);
});
