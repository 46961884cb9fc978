# tests/lib/faults.sh - helpers for the fault-injection suites (tests/suites/5x-*.sh).
# Source it after setting SLUICE_BIN; FX_TMP must name a scratch directory.
#   fx_lake_fp LAKE T... one line per table: "T: rows=N hash=H" (DuckDB: count
#                        and an order-independent sum of row hashes, in one
#                        process for all tables), or "T: <what is wrong>":
#                        missing, no-manifest, stray:<names> (anything but part
#                        files and the manifest, e.g. a temporary),
#                        manifest:<why> (files or rows not as the manifest says).
#   fx_table_check DIR   just the manifest checks (prints nothing when fine).
#   fx_staging_left LAKE prints what is left of the staging area (empty: nothing).
#   fx_ok / fx_bad MSG   print a check's result; fx_bad sets FX_FAIL=1.

FX_FAIL=0
fx_ok()  { echo "ok: $*"; }
fx_bad() { echo "FAIL: $*"; FX_FAIL=1; }

# The manifest checks of a table directory: prints what is wrong, or nothing.
fx_table_check() {
  local dir=$1
  [ -d "$dir" ] || { echo missing; return; }
  [ -f "$dir/_sluice_manifest.json" ] || { echo no-manifest; return; }
  local extra files listed
  extra=$(ls -A "$dir" | grep -v -E '^(part-[0-9]+\.parquet|_sluice_manifest\.json)$' | tr '\n' ' ')
  [ -z "$extra" ] || { echo "stray:$extra"; return; }
  files=$(ls "$dir" | grep '^part-' | sort | tr '\n' ' ')
  listed=$(sed -n 's/.*"name": "\(part-[^"]*\)".*/\1/p' "$dir/_sluice_manifest.json" | sort | tr '\n' ' ')
  [ "$files" = "$listed" ] || { echo "manifest:lists[$listed]has[$files]"; return; }
  [ -n "$files" ] || echo "no-part-files"
}

fx_manifest_rows() { sed -n 's/^  "rows": \([0-9]*\),$/\1/p' "$1/_sluice_manifest.json"; }

# All tables in one DuckDB process (it is the slow part).
fx_lake_fp() {
  local lake=$1 t sql="" bad out; shift
  declare -A why
  for t in "$@"; do
    bad=$(fx_table_check "$lake/$t")
    if [ -n "$bad" ]; then why[$t]=$bad; continue; fi
    [ -z "$sql" ] || sql="$sql union all "
    sql="${sql}select '$t' as t, count(*) as n, coalesce(sum(hash(x)), 0)::varchar as h from read_parquet('$lake/$t/part-*.parquet') x"
  done
  [ -z "$sql" ] || out=$(node "$SLUICE_ROOT/tools/duck.js" "$sql" | tail -n +2)
  for t in "$@"; do
    if [ -n "${why[$t]:-}" ]; then echo "$t: ${why[$t]}"; continue; fi
    local line n h
    line=$(grep "^$t," <<<"$out"); line=${line#*,}; n=${line%%,*}; h=${line#*,}
    if [ "$n" != "$(fx_manifest_rows "$lake/$t")" ]; then echo "$t: manifest:rows=$(fx_manifest_rows "$lake/$t"),read=$n"
    else echo "$t: rows=$n hash=$h"; fi
  done
}

fx_staging_left() {
  [ -e "$1/.sluice-staging" ] && (cd "$1" && find .sluice-staging | head -n 5 | tr '\n' ' ')
  return 0
}
