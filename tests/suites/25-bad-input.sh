#!/usr/bin/env bash
# 25-bad-input: failures that need more than a declarative case (those are
# tests/e2e/cases/bad-*, run by 20-e2e). Each check: the documented exit code,
# one clear error naming what failed, and nothing half-written in the target.
#   - a target directory without write permission (sluice run as the
#     `postgres` user through runuser, since root ignores permission bits);
#   - a table that fails on a rerun keeps its previous version intact, while
#     the job's other tables are published, and no staging files remain;
#   - a password is printed nowhere, even at --log-level debug, in JSON logs;
#   - usage errors (no job, unknown option, a job file that does not exist)
#     exit 2.
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
sl_suite_pg

sl_suite_workdir bad SLUICE_BAD_KEEP
# Lists what a directory holds, hidden names included, recursively.
tree() { (cd "$1" 2>/dev/null && find . -mindepth 1 | sort); }
# file -> "name size md5" lines, to see a table is untouched.
fingerprint() { (cd "$1" && find . -type f | sort | xargs -r md5sum); }

sl_pg_createdb bad_input
DB_URL="$SLUICE_PG_URL/bad_input"
psql -X -q -d bad_input -v ON_ERROR_STOP=1 <<'EOF'
CREATE TABLE orders (id bigint PRIMARY KEY, amount numeric(10,2), note text);
INSERT INTO orders SELECT g, g / 100.0, 'order ' || g FROM generate_series(1, 5000) g;
CREATE TABLE customers (id int PRIMARY KEY, name text);
INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 100) g;
CREATE ROLE reader LOGIN PASSWORD 'Pw-Zq9-n0t-in-logs';
GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader;
EOF

job() {   # dir url lake -> dir/job.yaml
  mkdir -p "$1"
  cat > "$1/job.yaml" <<EOF
name: bad_input
retries: 0
sources:
  pg: { kind: postgres, url: "$2" }
targets:
  lake: { kind: parquet, path: "$3" }
tables:
  orders:
    from: pg
    table: public.orders
    partition: { column: id, count: 4 }
    unsupported: error        # an added interval column fails the table (by default it would be text)
    to: lake
  customers: { from: pg, table: public.customers, to: lake }
EOF
}

# --- 1. target directory without write permission -------------------------
if id postgres >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && runuser -u postgres -- test -x "$SLUICE_BIN"; then
  job "$W/perm/jobdir" "$DB_URL" "$W/perm/lake"
  mkdir -p "$W/perm/lake"
  chown -R postgres: "$W/perm/jobdir"
  chmod 755 "$W/perm" "$W/perm/lake"          # owned by root: postgres may read, not write
  rc=0
  runuser -u postgres -- "$SLUICE_BIN" run "$W/perm/jobdir/job.yaml" > "$W/perm.out" 2> "$W/perm.err" || rc=$?
  if [ $rc = 1 ] && grep -q "$W/perm/lake" "$W/perm.err" && grep -qi "permission denied" "$W/perm.err"; then
    ok "unwritable target: exit 1, error names the directory and 'permission denied'"
  else
    bad "unwritable target: exit $rc (want 1), error naming $W/perm/lake and 'Permission denied'; stderr:"
    tail -n 5 "$W/perm.err" | sed 's/^/    /'
  fi
  left=$(tree "$W/perm/lake")
  [ -z "$left" ] && ok "unwritable target: nothing written" || bad "unwritable target holds: $left"
else
  echo "skip: unwritable target (needs root and a postgres user that can run $SLUICE_BIN)"
fi

# --- 2. a table failing on a rerun keeps its previous version -------------
job "$W/rerun" "$DB_URL" "$W/rerun/lake"
rc=0; "$SLUICE_BIN" run --log-level warn "$W/rerun/job.yaml" > "$W/rerun.out" 2> "$W/rerun.err" || rc=$?
if [ $rc != 0 ]; then
  bad "rerun: the first run failed (exit $rc):"; tail -n 5 "$W/rerun.err" | sed 's/^/    /'
else
  before_orders=$(fingerprint "$W/rerun/lake/orders")
  before_customers=$(fingerprint "$W/rerun/lake/customers")
  psql -X -q -d bad_input -c "ALTER TABLE orders ADD COLUMN late interval" \
       -c "INSERT INTO customers VALUES (101, 'new customer')"
  rc=0; "$SLUICE_BIN" run --log-level warn "$W/rerun/job.yaml" > "$W/rerun2.out" 2> "$W/rerun2.err" || rc=$?
  [ $rc = 1 ] && grep -q "orders" "$W/rerun2.err" && grep -q "late" "$W/rerun2.err" \
    && ok "rerun: a failing table exits 1 and the error names table and column" \
    || { bad "rerun: exit $rc (want 1), error naming orders and column late:"; tail -n 5 "$W/rerun2.err" | sed 's/^/    /'; }
  [ "$(fingerprint "$W/rerun/lake/orders")" = "$before_orders" ] \
    && ok "rerun: the failed table's previous version is intact" \
    || bad "rerun: the failed table's files changed"
  if [ "$(fingerprint "$W/rerun/lake/customers")" != "$before_customers" ] &&
     [ "$(node tools/duck.js "select count(*) as n from '$W/rerun/lake/customers/*.parquet'" | tail -n 1)" = 101 ]; then
    ok "rerun: the job's other table was published anew"
  else
    bad "rerun: customers was not republished with 101 rows"
  fi
  hidden=$(cd "$W/rerun/lake" && ls -A | grep '^\.' || true)
  [ -z "$hidden" ] && ok "rerun: no staging leftovers in the lake" || bad "rerun: leftovers in the lake: $hidden"
  psql -X -q -d bad_input -c "ALTER TABLE orders DROP COLUMN late"
fi

# --- 3. passwords never printed --------------------------------------------
secret='Pw-Zq9-n0t-in-logs'
job "$W/pw" "postgres://reader:$secret@127.0.0.1:$PGPORT/bad_input" "$W/pw/lake"
rc=0; "$SLUICE_BIN" run --log-level debug --log-format json "$W/pw/job.yaml" > "$W/pw.out" 2> "$W/pw.err" || rc=$?
[ $rc = 0 ] && ok "password in url: the run succeeds" || { bad "password in url: exit $rc"; tail -n 3 "$W/pw.err"; }
grep -qF "$secret" "$W/pw.out" "$W/pw.err" && bad "password printed by a successful debug run" \
  || ok "password not printed by a successful run at debug level (json logs)"
for cmd in plan validate; do
  "$SLUICE_BIN" $cmd --log-level debug "$W/pw/job.yaml" > "$W/pw.$cmd" 2>&1
  grep -qF "$secret" "$W/pw.$cmd" && bad "password printed by sluice $cmd" || ok "password not printed by sluice $cmd"
done

# --- 4. usage errors exit 2 ------------------------------------------------
expect_exit() {   # want description args...
  local want=$1 what=$2 rc=0; shift 2
  "$SLUICE_BIN" "$@" > "$W/u.out" 2> "$W/u.err" || rc=$?
  if [ $rc = "$want" ] && [ -s "$W/u.err" ]; then ok "$what: exit $rc"
  else bad "$what: exit $rc (want $want), stderr: $(head -c 300 "$W/u.err")"; fi
}
expect_exit 2 "run without a job file" run
expect_exit 2 "run with an unknown option" run --no-such-option "$W/pw/job.yaml"
expect_exit 2 "run of a job file that does not exist" run "$W/none/job.yaml"
grep -q "$W/none/job.yaml" "$W/u.err" && ok "missing job file: error names it" || bad "missing job file: error does not name the file"
expect_exit 2 "unknown command" frobnicate

exit $fail
