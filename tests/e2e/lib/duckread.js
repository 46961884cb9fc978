#!/usr/bin/env node
// tests/e2e/lib/duckread.js - reads Parquet files with DuckDB (the test peer
// of tools/duck.js) and prints their rows as CSV with a header, every value in
// sluice's text forms (src/core/sl_types.h), so the output compares directly
// with sluice's CSV, `sluice cat` and psql's CSV:
//   floats   shortest of %.15g / %.17g that round-trips (float: %.6g / %.9g),
//            NaN, Infinity, -Infinity
//   bytes    \x followed by lowercase hex (PostgreSQL's bytea hex form)
//   timestamptz  in UTC with "+00"; others DuckDB's VARCHAR cast
//
//   node duckread.js 'out/orders/*.parquet'
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

function castExpr(name, type) {
  const q = qid(name);
  const fl = (fmtShort, fmtLong, ty) =>
    `CASE WHEN isnan(${q}) THEN 'NaN' WHEN isinf(${q}) AND ${q} > 0 THEN 'Infinity' ` +
    `WHEN isinf(${q}) THEN '-Infinity' ` +
    `WHEN printf('${fmtShort}', ${q})::${ty} = ${q} THEN printf('${fmtShort}', ${q}) ` +
    `ELSE printf('${fmtLong}', ${q}) END`;
  if (type === 'DOUBLE') return fl('%.15g', '%.17g', 'DOUBLE');
  if (type === 'FLOAT') return fl('%.6g', '%.9g', 'FLOAT');
  if (type === 'BLOB') return `'\\x' || lower(hex(${q}))`;
  return `${q}::VARCHAR`;
}

(async () => {
  const args = process.argv.slice(2);
  if (args.length !== 1) {
    process.stderr.write('usage: duckread.js PARQUET_GLOB\n');
    process.exit(2);
  }
  const src = `read_parquet('${args[0].replace(/'/g, "''")}')`;
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run("SET TimeZone = 'UTC'");
  const desc = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${src}`);
  const cols = desc.getRowObjectsJson().map((r) => [r.column_name, r.column_type]);
  const sql = `SELECT ${cols.map(([n, t]) => castExpr(n, t) + ' AS ' + qid(n)).join(', ')} FROM ${src}`;
  const reader = await conn.runAndReadAll(sql);
  const out = [cols.map(([n]) => csvField(n)).join(',')];
  for (const row of reader.getRowsJson()) out.push(row.map(csvField).join(','));
  process.stdout.write(out.join('\n') + '\n');
  if (process.env.DUCKREAD_TYPES) process.stderr.write(cols.map(([n, t]) => `${n} ${t}`).join('\n') + '\n');
})().catch((e) => {
  process.stderr.write('duckdb: ' + (e && e.message ? e.message : e) + '\n');
  process.exit(1);
});
