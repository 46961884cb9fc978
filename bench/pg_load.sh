#!/usr/bin/env bash
# bench/pg_load.sh - PostgreSQL -> PostgreSQL warehouse: sluice's kind:
# postgres target against the raw limit and the CSV round trip, measured in
# the same run on the same table.
#
# Starts its own PostgreSQL (tests/lib/pg.sh) with two databases, bench (the
# source) and dw (the warehouse), generates the orders table of
# bench/pg_extract.sh (BENCH_ROWS rows, default 10,000,000; same columns and
# generator) and times, with N = BENCH_WORKERS (default nproc) streams:
#   (a) sluice:   `sluice run`, N workers, N range tasks on id, into
#                 dw.public.orders (write: replace, the defaults: the staging
#                 table is LOGGED and becomes the live one; ANALYZE);
#   (a') sluice with `staging: unlogged` (no WAL while loading; SET LOGGED
#                 rewrites the table at publish);
#   (b) raw pipe: N parallel `psql COPY (... id range) TO STDOUT (FORMAT
#                 binary) | psql COPY orders_raw FROM STDIN (FORMAT binary)`
#                 over the same ranges, into a logged table: the limit;
#   (c) CSV:      psql \copy out to a CSV file, then psql \copy in (one
#                 stream each, as people do it by hand).
# Reports wall seconds, CPU seconds of the client processes (/usr/bin/time)
# and of the whole machine including the server (/proc/stat), peak RSS, and
# the ratios against the goals: sluice within 1.3x the raw pipe, 3x faster
# than the CSV round trip. Checks every warehouse table has every row (count
# and sum of ids).
#
# BENCH_KEEP=1 keeps the output directory.
set -euo pipefail
. "$(dirname "$0")/../tests/lib/suite.sh"
. "$(dirname "$0")/lib/orders.sh"
ROWS=${BENCH_ROWS:-10000000}
N=${BENCH_WORKERS:-$(nproc)}
[ -x "$SLUICE_BIN" ] || { echo "pg_load: $SLUICE_BIN not built (make)"; exit 1; }
TIME=/usr/bin/time
[ -x $TIME ] || { echo "pg_load: /usr/bin/time missing (apt-get install time)"; exit 1; }

sl_suite_private_pg
sl_suite_workdir bench-load BENCH_KEEP
OUT=$W
export PGOPTIONS="-c client_min_messages=warning"
sl_pg_createdb bench
sl_pg_createdb dw

echo "pg_load: generating $ROWS rows ..."
t0=$(date +%s)
bench_orders_table bench "$ROWS"
echo "pg_load: generated in $(( $(date +%s) - t0 ))s; table size $(psql -X -d bench -tAc "select pg_size_pretty(pg_table_size('orders'))")"

cpu_jiffies() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
HZ=$(getconf CLK_TCK)
measure() {   # name command...: wall, client CPU, machine CPU, peak RSS into $OUT/name.res
  local name=$1; shift
  local j0 j1
  psql -X -q -d dw -c "CHECKPOINT" >/dev/null
  sync
  j0=$(cpu_jiffies)
  $TIME -v -o "$OUT/$name.time" "$@" > "$OUT/$name.log" 2>&1 || { echo "pg_load: $name failed:"; tail -n 20 "$OUT/$name.log"; return 1; }
  j1=$(cpu_jiffies)
  awk -v hz="$HZ" -v j="$((j1 - j0))" '
    /Elapsed \(wall clock\)/ { n = split($NF, p, ":"); w = (n == 3) ? p[1]*3600 + p[2]*60 + p[3] : p[1]*60 + p[2] }
    /User time/ { u = $NF } /System time/ { s = $NF }
    /Maximum resident set size/ { r = $NF }
    END { printf "%.2f %.2f %.2f %.0f\n", w, u + s, j / hz, r / 1024 }' "$OUT/$name.time" > "$OUT/$name.res"
}

MIN=$(psql -X -d bench -tAc "select min(id) from orders"); MAX=$(psql -X -d bench -tAc "select max(id) from orders")
bounds() { local span=$(( MAX - MIN + 1 )); echo "$(( MIN + span * $1 / N )) $(( MIN + span * ($1 + 1) / N ))"; }
DDL="(id bigint NOT NULL, customer_id int NOT NULL, status text NOT NULL, amount numeric(12,2),
      created_at timestamptz NOT NULL, note text, uid uuid NOT NULL)"

# (a), (a') sluice
sluice_job() {   # dir staging
  mkdir -p "$1"
  cat > "$1/job.yaml" <<EOF
name: bench_pg_load
sources:
  pg: { kind: postgres, url: "$SLUICE_PG_URL/bench", max_connections: $N }
targets:
  dw: { kind: postgres, url: "$SLUICE_PG_URL/dw", schema: public, max_connections: $N, staging: $2 }
tables:
  orders:
    from: pg
    table: public.orders
    partition: { strategy: range, column: id, count: $N }
    to: dw
EOF
}
sluice_job "$OUT/sluice" auto
echo "pg_load: (a) sluice, $N workers ..."
measure sluice "$SLUICE_BIN" run --workers "$N" --log-level warn --state "$OUT/sluice/state.db" "$OUT/sluice/job.yaml"
psql -X -q -d dw -c "ALTER TABLE orders RENAME TO orders_sluice"
sluice_job "$OUT/sluice_logged" unlogged
echo "pg_load: (a') sluice, staging unlogged ..."
measure sluice_logged "$SLUICE_BIN" run --workers "$N" --log-level warn --state "$OUT/sluice_logged/state.db" \
  "$OUT/sluice_logged/job.yaml"
psql -X -q -d dw -c "ALTER TABLE orders RENAME TO orders_sluice_unlogged"

# (b) the raw pipe: N binary COPY streams from the source into the warehouse
psql -X -q -d dw -c "CREATE TABLE orders_raw $DDL"
{
  echo 'pids=()'
  for i in $(seq 0 $((N - 1))); do
    read -r lo hi < <(bounds "$i")
    echo "psql -X -q -d bench -c 'COPY (SELECT * FROM orders WHERE id >= $lo AND id < $hi) TO STDOUT (FORMAT binary)' | psql -X -q -d dw -c 'COPY orders_raw FROM STDIN (FORMAT binary)' &"
    echo 'pids+=($!)'
  done
  echo 'for p in "${pids[@]}"; do wait "$p" || exit 1; done'
} > "$OUT/raw.sh"
echo "pg_load: (b) raw binary COPY pipe, $N streams ..."
measure raw bash "$OUT/raw.sh"

# (c) the CSV round trip
psql -X -q -d dw -c "CREATE TABLE orders_csv $DDL"
echo "pg_load: (c) psql \\copy out to CSV ..."
measure csv_out psql -X -q -d bench -c "\\copy (select * from orders) to '$OUT/orders.csv' with (format csv)"
echo "pg_load: (c) psql \\copy in from CSV ..."
measure csv_in psql -X -q -d dw -c "\\copy orders_csv from '$OUT/orders.csv' with (format csv)"

# Every table has every row.
want=$(psql -X -d bench -tAc "select count(*) || ' ' || sum(id) from orders")
for t in orders_sluice orders_sluice_unlogged orders_raw orders_csv; do
  got=$(psql -X -d dw -tAc "select count(*) || ' ' || sum(id) from $t")
  [ "$got" = "$want" ] || { echo "pg_load: $t has $got (count, sum of ids), the source $want"; exit 1; }
done
persist=$(psql -X -d dw -tAc "select string_agg(relpersistence::text, '') from pg_class where relname in ('orders_sluice', 'orders_sluice_unlogged')")
[ "$persist" = pp ] || { echo "pg_load: a published table is not LOGGED ($persist)"; exit 1; }

read -r sw sc sm sr < "$OUT/sluice.res"
read -r lw lc lm lr < "$OUT/sluice_logged.res"
read -r rw rc rm rr < "$OUT/raw.res"
read -r ow oc om or < "$OUT/csv_out.res"
read -r iw ic im ir < "$OUT/csv_in.res"
cw=$(echo "$ow + $iw" | bc); cc=$(echo "$oc + $ic" | bc); cm=$(echo "$om + $im" | bc); cr=$(( or > ir ? or : ir ))
ratio() { printf "%.2f" "$(echo "scale=4; $1 / $2" | bc)"; }
verdict() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo "met"; else echo "MISSED"; fi; }
r_raw=$(ratio "$sw" "$rw"); r_rawl=$(ratio "$lw" "$rw"); r_csv=$(ratio "$cw" "$sw"); r_csvl=$(ratio "$cw" "$lw")

cat <<EOF

pg_load: $ROWS rows, $N streams, $(nproc) cores, $(psql -X -tAc "show server_version" | cut -d' ' -f1) server (source and warehouse databases on it)
                                     wall s   client CPU s   machine CPU s   peak RSS MB
  (a) sluice (defaults)           $(printf '%8.2f %14.2f %15.2f %13s' "$sw" "$sc" "$sm" "$sr")
  (a') sluice, staging unlogged   $(printf '%8.2f %14.2f %15.2f %13s' "$lw" "$lc" "$lm" "$lr")
  (b) raw binary COPY pipe        $(printf '%8.2f %14.2f %15.2f %13s' "$rw" "$rc" "$rm" "$rr")
  (c) psql \\copy out to CSV       $(printf '%8.2f %14.2f %15.2f %13s' "$ow" "$oc" "$om" "$or")
      psql \\copy in               $(printf '%8.2f %14.2f %15.2f %13s' "$iw" "$ic" "$im" "$ir")
      CSV round trip total        $(printf '%8.2f %14.2f %15.2f %13s' "$cw" "$cc" "$cm" "$cr")
  sluice / raw pipe:     $r_raw x wall (staging unlogged: $r_rawl x)   (goal <= 1.3: $(verdict "$r_raw <= 1.3"))
  CSV round trip / sluice: $r_csv x wall (staging unlogged: $r_csvl x) (goal >= 3: $(verdict "$r_csv >= 3"))
  rows/s: sluice $(echo "$ROWS / $sw" | bc), sluice staging unlogged $(echo "$ROWS / $lw" | bc), raw $(echo "$ROWS / $rw" | bc), CSV $(echo "$ROWS / $cw" | bc)
EOF
