#!/usr/bin/env bash
# 30-parquet-duckdb: DuckDB reads every file sluice's Parquet writer makes.
#
# build/tools/pq_gen writes a set of files (every type x REQUIRED/OPTIONAL x
# codec x dictionary on/off, and edge cases) with, beside each, the expected
# values (NAME.csv), the SQL select list printing them in the same text forms
# (NAME.select), and the expected statistics, codec and encodings per row group
# and column (NAME.stats.csv for the query NAME.stats.sql). For every file:
#   values   DuckDB's rows, cast to text, equal NAME.csv byte for byte;
#   stats    parquet_metadata() shows the same null counts, min/max, codec and
#            encodings ("*" in the expectation: any encodings);
#   types    parquet_schema() maps every column to the DuckDB type it should.
set -uo pipefail
root=${SLUICE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SLUICE_BUILD:-build}
gen="$root/$build/tools/pq_gen"
[ -x "$gen" ] || gen="$root/build/tools/pq_gen"
if [ ! -x "$gen" ]; then echo "SKIP: $gen not built (make $build/tools/pq_gen)"; exit 77; fi
if ! (cd "$root/tools" && node -e "require('@duckdb/node-api')" 2>/dev/null); then
  echo "SKIP: the DuckDB peer is not installed (scripts/install-deps.sh)"; exit 77
fi
duck() { node "$root/tools/duck.js" "$@"; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$gen" "$dir" || { echo "FAIL: pq_gen"; exit 1; }

# Compares expected and actual CSV; an expected last field "*" matches anything.
cmp_csv() {
  node -e '
    const fs = require("fs");
    const split = (t) => t.replace(/\n$/, "").split("\n");
    const lastField = (l) => { const m = l.match(/,("(?:[^"]|"")*"|[^,]*)$/); return m ? m.index : -1; };
    const e = split(fs.readFileSync(process.argv[1], "utf8")), a = split(fs.readFileSync(process.argv[2], "utf8"));
    if (e.length !== a.length) { console.log(`  ${e.length} lines expected, ${a.length} read`); process.exit(1); }
    for (let i = 0; i < e.length; i++) {
      let x = e[i], y = a[i];
      if (x.endsWith(",*")) { x = x.slice(0, -2); const k = lastField(y); y = k >= 0 ? y.slice(0, k) : y; }
      if (x !== y) { console.log(`  line ${i + 1}: expected ${x.slice(0, 300)}\n  line ${i + 1}:     read ${y.slice(0, 300)}`); process.exit(1); }
    }' "$1" "$2"
}

fail=0 checks=0
for f in "$dir"/*.parquet; do
  name=$(basename "$f" .parquet)
  base="$dir/$name"
  # values (the CSV module prints NULL as empty, "" for an empty string)
  if duck "SET TimeZone='UTC'; SELECT $(cat "$base.select") FROM read_parquet('$f')" >"$base.got.csv" 2>"$base.err" &&
     cmp -s "$base.csv" "$base.got.csv"; then
    echo "ok: $name: values ($(($(wc -l <"$base.csv") - 1)) rows)"
  else
    echo "FAIL: $name: values differ"; head -c 600 "$base.err"
    cmp_csv "$base.csv" "$base.got.csv" | head -c 800; echo
    fail=$((fail+1))
  fi
  checks=$((checks+1))
  # statistics, codec, encodings
  sql=$(sed "s#@FILE@#$f#" "$base.stats.sql")
  if duck "SET TimeZone='UTC'; $sql" >"$base.stats.got" 2>"$base.err" && cmp_csv "$base.stats.csv" "$base.stats.got" >"$base.diff"; then
    echo "ok: $name: statistics, codec, encodings ($(($(wc -l <"$base.stats.csv") - 1)) chunks)"
  else
    echo "FAIL: $name: metadata differs"; head -c 600 "$base.err"; cat "$base.diff"
    fail=$((fail+1))
  fi
  checks=$((checks+1))
done

# Types: one file per nullability is enough (all files share the mapping).
expect_types='c_bool,BOOLEAN
c_int16,SMALLINT
c_int32,INTEGER
c_int64,BIGINT
c_float32,FLOAT
c_float64,DOUBLE
c_dec9,"DECIMAL(9,2)"
c_dec18,"DECIMAL(18,4)"
c_dec20,"DECIMAL(20,0)"
c_dec38,"DECIMAL(38,10)"
c_string,VARCHAR
c_bytes,BLOB
c_date,DATE
c_time,TIME
c_ts,TIMESTAMP
c_tstz,TIMESTAMP WITH TIME ZONE
c_uuid,UUID
c_json,JSON'
for name in matrix_required_ZSTD_dict matrix_optional_SNAPPY_plain; do
  got=$(duck "SELECT name, duckdb_type FROM parquet_schema('$dir/$name.parquet') WHERE num_children IS NULL" | tail -n +2)
  if [ "$got" = "$expect_types" ]; then echo "ok: $name: DuckDB types"; else
    echo "FAIL: $name: DuckDB types"; diff <(echo "$expect_types") <(echo "$got"); fail=$((fail+1)); fi
  checks=$((checks+1))
  rep=$(duck "SELECT DISTINCT repetition_type FROM parquet_schema('$dir/$name.parquet') WHERE num_children IS NULL" | tail -n +2)
  want=REQUIRED; [[ $name == *optional* ]] && want=OPTIONAL
  if [ "$rep" = "$want" ]; then echo "ok: $name: $want columns"; else echo "FAIL: $name: repetition $rep"; fail=$((fail+1)); fi
  checks=$((checks+1))
done

# created_by and the converted types beside logical types.
cb=$(duck "SELECT created_by FROM parquet_file_metadata('$dir/one_row_optional.parquet')" | tail -n 1)
if [ "$cb" = "sluice pq_gen" ]; then echo "ok: created_by"; else echo "FAIL: created_by is '$cb'"; fail=$((fail+1)); fi
conv=$(duck "SELECT string_agg(name || '=' || coalesce(converted_type, '-'), ' ' ORDER BY name) FROM parquet_schema('$dir/one_row_optional.parquet') WHERE num_children IS NULL" | tail -n 1)
want_conv="c_bool=- c_bytes=- c_date=DATE c_dec18=DECIMAL c_dec20=DECIMAL c_dec38=DECIMAL c_dec9=DECIMAL c_float32=- c_float64=- c_int16=INT_16 c_int32=- c_int64=- c_json=JSON c_string=UTF8 c_time=TIME_MICROS c_ts=TIMESTAMP_MICROS c_tstz=TIMESTAMP_MICROS c_uuid=-"
if [ "$conv" = "$want_conv" ]; then echo "ok: converted types"; else echo "FAIL: converted types: $conv"; fail=$((fail+1)); fi
checks=$((checks+2))

echo "$checks checks, $fail failed"
[ "$fail" -eq 0 ]
