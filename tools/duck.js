#!/usr/bin/env node
// tools/duck.js - the DuckDB test peer: runs SQL in an in-memory DuckDB and
// prints the last statement's rows as CSV with a header (NULL as empty, text
// quoted only when needed), or as JSON lines with --json.
//
//   node tools/duck.js "select count(*) from 'lake/orders/*.parquet'"
//   node tools/duck.js --json "select * from parquet_metadata('x.parquet')"
//
// Values come from DuckDB's JSON form (exact for big integers and decimals).
const { DuckDBInstance } = require('@duckdb/node-api');

function csvField(v) {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) || s === '' ? '"' + s.replace(/"/g, '""') + '"' : s;
}

(async () => {
  const args = process.argv.slice(2);
  const json = args[0] === '--json';
  if (json) args.shift();
  if (args.length !== 1) {
    process.stderr.write('usage: duck.js [--json] SQL\n');
    process.exit(2);
  }
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const reader = await conn.runAndReadAll(args[0]);
  const out = [];
  if (json) {
    for (const row of reader.getRowObjectsJson()) out.push(JSON.stringify(row));
  } else {
    out.push(reader.columnNames().map(csvField).join(','));
    for (const row of reader.getRowsJson()) out.push(row.map(csvField).join(','));
  }
  process.stdout.write(out.join('\n') + '\n');
})().catch((e) => {
  process.stderr.write('duckdb: ' + (e && e.message ? e.message : e) + '\n');
  process.exit(1);
});
