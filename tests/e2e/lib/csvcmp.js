#!/usr/bin/env node
// tests/e2e/lib/csvcmp.js - compares two CSV tables value by value, ignoring
// row order. Used by tests/suites/20-e2e.sh.
//
//   node csvcmp.js TABLE LABEL_A FILE_A LABEL_B FILE_B
//
// Each file is RFC 4180 CSV whose first record is the header (column names).
// An unquoted empty field is NULL, a quoted empty field ("") the empty string,
// so NULL and '' stay distinct, as in PostgreSQL's CSV format, DuckDB's and
// sluice's. Both tables are sorted (by the values, byte order), then compared
// header first, then row by row. Prints what differs (table, row, column, both
// values) and exits 1; exits 0 and prints nothing when equal; 2 on bad usage.
'use strict';
const fs = require('fs');

const NULL = null;

function parseCsv(text, file) {
  const rows = [];
  let row = [], i = 0, n = text.length;
  if (n === 0) return rows;
  for (;;) {
    let val;
    if (text[i] === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= n) throw new Error(`${file}: unterminated quoted field`);
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error(`${file}: unterminated quoted field`);
        s += text.slice(i, q);
        i = q + 1;
        if (text[i] === '"') { s += '"'; i++; continue; }
        break;
      }
      val = s;
    } else {
      let j = i;
      while (j < n && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') j++;
      val = j === i ? NULL : text.slice(i, j);
      i = j;
    }
    row.push(val);
    if (i >= n) { rows.push(row); break; }
    const c = text[i];
    if (c === ',') { i++; continue; }
    if (c === '\r') i++;
    if (text[i] === '\n') i++;
    else if (c !== '\r') throw new Error(`${file}: unexpected character after field in record ${rows.length + 1}`);
    rows.push(row);
    row = [];
    if (i >= n) break;
  }
  return rows;
}

function show(v) {
  if (v === NULL) return 'NULL';
  const s = JSON.stringify(v);
  return s.length > 80 ? s.slice(0, 77) + '..."' : s;
}

function key(row) {
  return row.map((v) => (v === NULL ? '\u0001' : '\u0002' + v)).join('\u0000');
}

function main() {
  const args = process.argv.slice(2);
  if (args.length !== 5) {
    process.stderr.write('usage: csvcmp.js TABLE LABEL_A FILE_A LABEL_B FILE_B\n');
    process.exit(2);
  }
  const [table, la, fa, lb, fb] = args;
  let a, b;
  try {
    a = parseCsv(fs.readFileSync(fa, 'utf8'), fa);
    b = parseCsv(fs.readFileSync(fb, 'utf8'), fb);
  } catch (e) {
    process.stdout.write(`${table}: ${e.message}\n`);
    process.exit(1);
  }
  if (a.length === 0 || b.length === 0) {
    process.stdout.write(`${table}: ${a.length === 0 ? la : lb} has no header line\n`);
    process.exit(1);
  }
  const ha = a.shift(), hb = b.shift();
  const out = [];
  if (key(ha) !== key(hb)) {
    out.push(`${table}: columns differ: ${la} [${ha.join(', ')}] vs ${lb} [${hb.join(', ')}]`);
  }
  for (const [label, rows, hdr] of [[la, a, ha], [lb, b, hb]]) {
    rows.forEach((r, idx) => {
      if (r.length !== hdr.length && out.length < 20)
        out.push(`${table}: ${label} row ${idx + 1} has ${r.length} fields, header has ${hdr.length}`);
    });
  }
  const ka = a.map(key), kb = b.map(key);
  const ia = a.map((_, i) => i).sort((x, y) => (ka[x] < ka[y] ? -1 : ka[x] > ka[y] ? 1 : 0));
  const ib = b.map((_, i) => i).sort((x, y) => (kb[x] < kb[y] ? -1 : kb[x] > kb[y] ? 1 : 0));
  if (a.length !== b.length) {
    out.push(`${table}: ${a.length} rows in ${la}, ${b.length} rows in ${lb}`);
    // Multiset difference, a few of each side.
    const cnt = new Map();
    for (const k of kb) cnt.set(k, (cnt.get(k) || 0) + 1);
    const onlyA = [];
    for (let i = 0; i < a.length; i++) {
      const c = cnt.get(ka[i]) || 0;
      if (c > 0) cnt.set(ka[i], c - 1); else onlyA.push(a[i]);
    }
    const onlyB = [];
    for (const [k, c] of cnt) for (let j = 0; j < c; j++) onlyB.push(k);
    for (const r of onlyA.slice(0, 5)) out.push(`  only in ${la}: ${r.map(show).join(', ')}`);
    for (const k of onlyB.slice(0, 5)) {
      const r = b[kb.indexOf(k)];
      out.push(`  only in ${lb}: ${r.map(show).join(', ')}`);
    }
  } else {
    let shown = 0;
    for (let i = 0; i < ia.length && shown < 10; i++) {
      const ra = a[ia[i]], rb = b[ib[i]];
      if (ka[ia[i]] === kb[ib[i]]) continue;
      const ncol = Math.max(ra.length, rb.length);
      for (let c = 0; c < ncol && shown < 10; c++) {
        const va = c < ra.length ? ra[c] : undefined, vb = c < rb.length ? rb[c] : undefined;
        if (va === vb) continue;
        const col = c < ha.length ? ha[c] : `#${c + 1}`;
        out.push(`${table}: sorted row ${i + 1}, column ${col}: ${la} ${show(va)} vs ${lb} ${show(vb)}`);
        shown++;
      }
    }
  }
  if (out.length) {
    process.stdout.write(out.join('\n') + '\n');
    process.exit(1);
  }
}

main();
