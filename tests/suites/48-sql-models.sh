#!/usr/bin/env bash
# 48-sql-models: computed tables (sql:) on embedded DuckDB.
#   1. the declarative cases of tests/sql/cases/ (the 20-e2e runner, same
#      format): input tables in PostgreSQL, a job with SQL nodes, and as the
#      oracle the same SQL run by PostgreSQL on the source tables;
#   2. bad input: unknown table, cycle, syntax error (validate, plan, run),
#      an unmapped type, a failed input (the node is skipped, the rest goes on);
#   3. faults: kill -9 during a computed table then resume equals a clean
#      run; a failing computed table leaves its previous version live.
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
sl_suite_pg -c extra_float_digits=1
export PGTZ=UTC PGDATESTYLE=ISO PGCLIENTENCODING=UTF8 TZ=UTC LC_ALL=C.UTF-8

# 1. declarative cases
if SLUICE_E2E_CASES=$ROOT/tests/sql/cases bash "$ROOT/tests/suites/20-e2e.sh"; then ok "sql cases"; else bad "sql cases"; fi

exit $fail
