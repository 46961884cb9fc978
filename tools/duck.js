#!/usr/bin/env node
// tools/duck.js - the DuckDB test peer: runs SQL in an in-memory DuckDB (or,
// with --db FILE, in that database file, opened read-only) and prints the
// last statement's rows as CSV with a header (NULL as empty, text quoted only
// when needed), or as JSON lines with --json.
//
//   node tools/duck.js "select count(*) from 'lake/orders/*.parquet'"
//   node tools/duck.js --json "select * from parquet_metadata('x.parquet')"
//   node tools/duck.js --db warehouse.duckdb "select count(*) from orders"
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
  let json = false, db = ':memory:';
  while (args.length > 1 && args[0].startsWith('--')) {
    const opt = args.shift();
    if (opt === '--json') json = true;
    else if (opt === '--db' && args.length > 1) db = args.shift();
    else args.unshift('');   // unknown: usage below
  }
  if (args.length !== 1 || args[0] === '') {
    process.stderr.write('usage: duck.js [--json] [--db FILE] SQL\n');
    process.exit(2);
  }
  const instance = await DuckDBInstance.create(db, db === ':memory:' ? {} : { access_mode: 'READ_ONLY' });
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
