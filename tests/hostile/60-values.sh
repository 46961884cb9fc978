# tests/hostile/60-values.sh - values that used to reach Parquet wrong
# (sourced by tests/suites/26-hostile.sh; see its header for the helpers):
#   item 12  bytes that are not UTF-8 never reach a STRING/JSON column: a csv
#            field (error naming file, line, column; or a reject), SQLite
#            TEXT (table, column, rowid), PostgreSQL text from a SQL_ASCII
#            database (column, row); a LATIN1 database is converted; "char"
#            arrives as PostgreSQL's text form (\351). DuckDB reads every
#            file sluice writes.
#   item 13  a float column with a NaN, over several row groups: DuckDB's
#            `where f > 5000` counts what PostgreSQL counts, and so does
#            `sluice cat --where`.
#   item 14  a SQLite REAL into DECIMAL keeps its shortest round-trip digits.

PGQ() { psql -X -q -v ON_ERROR_STOP=1 -At -d hostile "$@"; }
DUCK() { node tools/duck.js "$@"; }
BASE_URL=${DB_URL%/*}

# job NAME SOURCE-YAML TABLE-YAML: a job file $HW/NAME.yaml, table x into $HW/lake-NAME.
job() {
  cat >"$HW/$1.yaml" <<EOF
name: $1
sources:
  s: $2
targets:
  l: { kind: parquet, path: $HW/lake-$1, row_group_bytes: 64KiB }
tables:
  x: $3
EOF
}

# duck_reads NAME: DuckDB reads every Parquet file of lake NAME; prints its rows.
duck_reads() { DUCK "select count(*) as n from '$HW/lake-$1/x/*.parquet'" 2>&1 | tail -n +2; }

# ---- item 12: csv ----
mkdir -p "$HW/csv"
printf 'id,name\n1,caf\xc3\xa9\n2,caf\xe9\n3,ok\n' >"$HW/csv/latin1.csv"
job csv12 "{ kind: csv, path: $HW/csv }" "{ from: s, file: latin1.csv, to: l }"
sl_try item12-csv "$SLUICE_BIN" run --no-progress "$HW/csv12.yaml"
sl_expect item12-csv 1 'latin1.csv: line 3: column name: invalid UTF-8 at byte 4 of the value \(0xe9'
job csv12r "{ kind: csv, path: $HW/csv }" "{ from: s, file: latin1.csv, to: l, rejects: $HW/csv/rejects.csv }"
sl_try item12-csv-rejects "$SLUICE_BIN" run --no-progress "$HW/csv12r.yaml"
if [ "$RC" = 0 ] && grep -q ',3,"column name: invalid UTF-8 at byte 4' "$HW/csv/rejects.csv" \
   && [ "$(duck_reads csv12r)" = 2 ]; then ok "item 12: csv row that is not UTF-8 goes to rejects; DuckDB reads the other 2"
else bad "item 12: csv with rejects: exit $RC, rows '$(duck_reads csv12r)'"; cat "$HW/csv/rejects.csv" "$HW/item12-csv-rejects.err" 2>/dev/null | head -5; fi

# ---- item 12 and 14: sqlite ----
sqlite3 "$HW/lite.db" <<'SQL'
CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO people VALUES (1, 'Zoë'), (7, CAST(x'436166e9' AS TEXT));
CREATE TABLE money (id INTEGER PRIMARY KEY, amount DECIMAL(20,9));
INSERT INTO money VALUES (1, 1234567.891234567), (2, 0.1);
SQL
job lite12 "{ kind: sqlite, path: $HW/lite.db }" "{ from: s, table: people, to: l }"
sl_try item12-sqlite "$SLUICE_BIN" run --no-progress "$HW/lite12.yaml"
sl_expect item12-sqlite 1 'table people: column name: rowid 7: invalid UTF-8 at byte 4 of the value \(0xe9\)'
job lite14 "{ kind: sqlite, path: $HW/lite.db }" "{ from: s, table: money, to: l }"
sl_try item14-sqlite "$SLUICE_BIN" run --no-progress "$HW/lite14.yaml"
got=$(DUCK "select string_agg(amount::varchar, ' ' order by id) from '$HW/lake-lite14/x/*.parquet'" 2>&1 | tail -1)
if [ "$RC" = 0 ] && [ "$got" = "1234567.891234567 0.100000000" ]; then ok "item 14: SQLite REAL 1234567.891234567 into decimal(20,9) keeps every digit"
else bad "item 14: SQLite REAL into decimal: exit $RC, DuckDB reads '$got' (want 1234567.891234567 0.100000000)"; fi

# ---- item 12: PostgreSQL, SQL_ASCII and LATIN1 databases ----
PGQ -d postgres -c "DROP DATABASE IF EXISTS hostile_ascii" -c "DROP DATABASE IF EXISTS hostile_latin1" \
    -c "CREATE DATABASE hostile_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0" \
    -c "CREATE DATABASE hostile_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
PGQ -d hostile_ascii <<'SQL'
CREATE TABLE latin (id int PRIMARY KEY, name text);
INSERT INTO latin VALUES (1, 'plain'), (2, convert_from('\x436166e9', 'SQL_ASCII'));
CREATE TABLE flags (id int PRIMARY KEY, c "char");
INSERT INTO flags VALUES (1, 'a'), (2, '\351'), (3, ''), (4, NULL);
SQL
PGQ -d hostile_latin1 <<'SQL'
CREATE TABLE l (id int PRIMARY KEY, name text);
INSERT INTO l VALUES (1, convert_from('\x436166e9', 'LATIN1'));
SQL
job pg12 "{ kind: postgres, url: \"$BASE_URL/hostile_ascii\" }" "{ from: s, table: latin, to: l }"
sl_try item12-pg-sql-ascii "$SLUICE_BIN" run --no-progress "$HW/pg12.yaml"
sl_expect item12-pg-sql-ascii 1 'column name: row [0-9]+: invalid UTF-8 at byte 4 of the value \(0xe9\).*columns: \{name: bytes\}'
job pg12c "{ kind: postgres, url: \"$BASE_URL/hostile_ascii\" }" "{ from: s, table: flags, to: l }"
sl_try item12-pg-char "$SLUICE_BIN" run --no-progress "$HW/pg12c.yaml"
want=$(PGQ -d hostile_ascii -c "select string_agg(coalesce(c::text, '<null>'), '|' order by id) from flags")
got=$(DUCK "select string_agg(coalesce(c, '<null>'), '|' order by id) from '$HW/lake-pg12c/x/*.parquet'" 2>&1 | tail -1)
if [ "$RC" = 0 ] && [ "$got" = "$want" ] && [ "$want" = 'a|\351||<null>' ]; then ok "item 12: \"char\" arrives as PostgreSQL's text form ($got); DuckDB reads it"
else bad "item 12: \"char\": exit $RC, DuckDB '$got', psql '$want'"; head -3 "$HW/item12-pg-char.err"; fi
job pg12l "{ kind: postgres, url: \"$BASE_URL/hostile_latin1?client_encoding=LATIN1\" }" "{ from: s, table: l, to: l }"
sl_try item12-pg-latin1 "$SLUICE_BIN" run --no-progress "$HW/pg12l.yaml"
got=$(DUCK "select name from '$HW/lake-pg12l/x/*.parquet'" 2>&1 | tail -1)
if [ "$RC" = 0 ] && [ "$got" = "Café" ]; then ok "item 12: a LATIN1 database is converted to UTF-8 (even with client_encoding=LATIN1 in the URL)"
else bad "item 12: LATIN1 database: exit $RC, DuckDB reads '$got'"; head -3 "$HW/item12-pg-latin1.err"; fi

# ---- item 13: NaN and row-group pruning ----
PGQ <<'SQL'
DROP TABLE IF EXISTS nan13;
CREATE TABLE nan13 (id int PRIMARY KEY, f float8, r real);
INSERT INTO nan13 SELECT g, CASE WHEN g = 100 THEN 'NaN'::float8 WHEN g < 10000 THEN g ELSE g + 100000 END,
                            CASE WHEN g = 100 THEN 'NaN'::real WHEN g < 10000 THEN g ELSE g + 100000 END
  FROM generate_series(0, 19999) g;
SQL
job pg13 "{ kind: postgres, url: \"$DB_URL\" }" "{ from: s, table: nan13, to: l, partition: none }"
sl_try item13-run "$SLUICE_BIN" run --no-progress "$HW/pg13.yaml"
file=$(ls "$HW"/lake-pg13/x/*.parquet 2>/dev/null | head -1)
groups=$(DUCK "select count(distinct row_group_id) from parquet_metadata('$file')" 2>&1 | tail -1)
for col in f r; do
  for k in 5000 50000 -1; do
    want=$(PGQ -c "select count(*) from nan13 where $col > $k")
    got=$(DUCK "select count(*) from '$HW/lake-pg13/x/*.parquet' where $col > $k" 2>&1 | tail -1)
    cat_rows=$(( $("$SLUICE_BIN" cat --where "$col > $k" "$file" 2>/dev/null | wc -l) - 1 ))
    if [ "$RC" = 0 ] && [ "${groups:-0}" -gt 2 ] && [ "$got" = "$want" ] && [ "$cat_rows" = "$want" ]; then
      ok "item 13: $col > $k over $groups row groups: DuckDB and sluice cat count $got, as PostgreSQL (the NaN row included)"
    else bad "item 13: $col > $k: PostgreSQL $want, DuckDB $got, sluice cat $cat_rows ($groups row groups, run exit $RC)"; fi
  done
done
nan_stats=$(DUCK "select count(*) from parquet_metadata('$file') where path_in_schema = 'f' and stats_max_value is null" 2>&1 | tail -1)
if [ "$nan_stats" = 1 ]; then ok "item 13: only the row group holding the NaN has no min/max"
else bad "item 13: $nan_stats row groups of f without min/max (want 1)"; fi
nan_eq=$(( $("$SLUICE_BIN" cat --where "f = NaN" "$file" 2>/dev/null | wc -l) - 1 ))
if [ "$nan_eq" = "$(PGQ -c "select count(*) from nan13 where f = 'NaN'")" ]; then ok "item 13: sluice cat --where 'f = NaN' finds the NaN row, as PostgreSQL"
else bad "item 13: sluice cat --where 'f = NaN' finds $nan_eq rows"; fi
