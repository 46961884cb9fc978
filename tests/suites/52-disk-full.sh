#!/usr/bin/env bash
# 52-disk-full: the target file system fills up (a 2 MiB tmpfs as the lake).
#   - a first run that fits is published;
#   - the source grows past the free space: the run fails with one clear
#     error (no space left, "free space on the target, then run again"),
#     exit 1, the previously published table is untouched, no temporaries;
#   - space is freed (the tmpfs remounted bigger): `sluice run` resumes the
#     run (finished tasks kept) and the lake equals a clean run's;
#   - the disk fills again (a filler file), the run fails, the filler is
#     deleted, the resume completes.
# Needs root (mount -t tmpfs); skips loudly otherwise.
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
. tests/lib/faults.sh
sl_suite_workdir diskfull SLUICE_DISKFULL_KEEP
cp "$SLUICE_BIN" "$W/sluice" && SLUICE_BIN=$W/sluice   # immune to a rebuild while the suite runs
FX_TMP=$W
LAKE=$W/job/lake
mkdir -p "$LAKE"
sl_suite_on_exit() { umount "$LAKE" 2>/dev/null; }
if ! mount -t tmpfs -o size=2m tmpfs "$LAKE" 2>"$W/mount.err"; then
  echo "SKIP: cannot mount a tmpfs here ($(cat "$W/mount.err")); the disk-full checks need root"
  rm -rf "$W"
  exit 77
fi
sl_suite_pg

sl_pg_createdb diskfull
psql -X -q -d diskfull -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, note text);
INSERT INTO orders SELECT g, g % 101, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 8000) g;
CREATE TABLE customers (id int PRIMARY KEY, name text);
INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 2000) g;
ANALYZE;
SQL

write_job() {   # dir
  mkdir -p "$1"
  cat > "$1/job.yaml" <<YAML
name: diskfull
retries: 1
retry_backoff: 50ms
sources:
  pg: { kind: postgres, url: "$SLUICE_PG_URL/diskfull" }
targets:
  lake: { kind: parquet, path: ./lake, compression: none }
tables:
  orders:
    from: pg
    table: public.orders
    partition: { column: id, strategy: range, count: 4 }
    to: lake
  customers: { from: pg, table: public.customers, to: lake }
YAML
}
run() {   # dir -> $rc, log in dir/run.log
  rc=0
  (cd "$1" && exec "$SLUICE_BIN" run --workers 2 --no-progress job.yaml) > "$1/run.log" 2>&1 || rc=$?
}
md5_tree() { (cd "$1" && find . -type f | sort | xargs -r md5sum); }
write_job "$W/job"

# --- a first run fits ---------------------------------------------------------------
run "$W/job"
[ $rc = 0 ] && fx_ok "first run into a 2 MiB tmpfs: published ($(du -sh "$LAKE" | cut -f1))" \
  || { fx_bad "first run failed (exit $rc)"; tail -n 5 "$W/job/run.log"; exit 1; }
before=$(md5_tree "$LAKE/orders")

# --- the source outgrows the free space ------------------------------------------------
psql -X -q -d diskfull -c "INSERT INTO orders SELECT g, g % 101, md5(g::text) || md5((g * 7)::text)
                           FROM generate_series(8001, 40000) g" -c "ANALYZE orders"
write_job "$W/ref"
run "$W/ref"
[ $rc = 0 ] || { fx_bad "reference run failed (exit $rc)"; tail -n 5 "$W/ref/run.log"; exit 1; }
REF=$(fx_lake_fp "$W/ref/lake" orders customers)

run "$W/job"
errs=$(grep -c -E '^[0-9T:.Z-]+ +error ' "$W/job/run.log")
if [ $rc = 1 ] && [ "$errs" = 1 ] && grep -qi "no space left" "$W/job/run.log" \
   && grep -q "free space on the target, then run again" "$W/job/run.log"; then
  fx_ok "disk full: exit 1, one error: $(grep ' error ' "$W/job/run.log" | cut -c 31- | head -c 220)"
else
  fx_bad "disk full: exit $rc, $errs error lines"; tail -n 6 "$W/job/run.log"
fi
[ "$(md5_tree "$LAKE/orders")" = "$before" ] && fx_ok "disk full: the published orders table is untouched" \
  || fx_bad "disk full: the published orders table changed"
tmps=$(find "$LAKE" -name '.*.tmp' | wc -l)
[ "$tmps" = 0 ] && fx_ok "disk full: no temporary files left" || fx_bad "disk full: $tmps temporaries left"

# --- space freed: the resume completes -------------------------------------------------
mount -o remount,size=64m "$LAKE" || { fx_bad "cannot grow the tmpfs"; exit 1; }
run "$W/job"
got=$(fx_lake_fp "$LAKE" orders customers)
if [ $rc = 0 ] && grep -q "resuming run" "$W/job/run.log" && [ "$got" = "$REF" ] && [ -z "$(fx_staging_left "$LAKE")" ]; then
  fx_ok "space freed (remount): the run resumed ($(grep -o '[0-9]* of [0-9]* tasks already done' "$W/job/run.log")) and equals a clean run"
else
  fx_bad "after freeing space: exit $rc, got $(echo $got), want $(echo $REF)"; tail -n 4 "$W/job/run.log"
fi

# --- full again (a filler file); deleting it lets the resume finish ---------------------
psql -X -q -d diskfull -c "UPDATE orders SET note = note || 'x' WHERE id % 2 = 0"
write_job "$W/ref2"
run "$W/ref2"
REF2=$(fx_lake_fp "$W/ref2/lake" orders customers)
before=$(md5_tree "$LAKE/orders")
avail_kb=$(df -k --output=avail "$LAKE" | tail -n 1)
fallocate -l $(( (avail_kb - 1024) * 1024 )) "$LAKE/filler" 2>/dev/null \
  || dd if=/dev/zero of="$LAKE/filler" bs=1k count=$((avail_kb - 1024)) 2>/dev/null
run "$W/job"
[ $rc = 1 ] && grep -qi "no space left" "$W/job/run.log" && [ "$(md5_tree "$LAKE/orders")" = "$before" ] \
  && fx_ok "filler file: the run fails on a full disk, orders untouched" \
  || { fx_bad "filler file: exit $rc"; tail -n 4 "$W/job/run.log"; }
rm -f "$LAKE/filler"
run "$W/job"
got=$(fx_lake_fp "$LAKE" orders customers)
[ $rc = 0 ] && grep -q "resuming run" "$W/job/run.log" && [ "$got" = "$REF2" ] && [ -z "$(fx_staging_left "$LAKE")" ] \
  && fx_ok "filler deleted: the run resumed and equals a clean run" \
  || { fx_bad "filler deleted: exit $rc, got $(echo $got), want $(echo $REF2)"; tail -n 4 "$W/job/run.log"; }
exit $FX_FAIL
