#!/usr/bin/env bash
# 57-s3: parquet targets at s3:// paths, against a local S3 server (the npm
# package s3rver on 127.0.0.1) behind tests/tools/s3_fault_proxy.js, read
# back by independent readers: Debian's awscli (aws s3 ls/cp) and DuckDB on
# the downloaded files.
#   a) a three-table job to s3://lake/a (64 KiB parts): each table's manifest
#      lists exactly the objects under its prefix; orders is a multipart
#      object of more than 2 parts (ETag "...-N"); DuckDB's counts and sums
#      of the downloaded files equal the source CSV's;
#   b) a second run: the old version's objects are gone; keep_versions: 2
#      keeps two versions over three runs, and the manifest says which;
#   c) SLUICE_FAILPOINT=<step>:crash (SIGKILL, as kill -9) at 12 moments:
#      task start, mid-part (a batch written after some parts went), after
#      the 1st and 3rd part, before completing the upload, after it, after the
#      task's commit, before/after the manifest PUT, before cleanup, at run
#      end; the resumed run then equals a clean run, the manifest lists
#      exactly the objects there, and s3rver holds no multipart upload;
#   d) through a proxy answering every 5th request 503 SlowDown and dropping
#      every 7th connection: the run retries through and equals a clean run;
#   e) a wrong access key and a missing bucket: clear errors with S3's code
#      (InvalidAccessKeyId, NoSuchBucket), nothing published;
#   f) the secret key is in no log line, not in the state store, not in any
#      object written;
#   g) the parquet source reads s3://lake/a back (table orders, items) with
#      ranged GETs only (footer, then column chunks): equal to the source.
set -uo pipefail
. "$(dirname "$0")/../lib/suite.sh"
sl_suite_workdir s3 SLUICE_S3_KEEP
cp "$SLUICE_BIN" "$W/sluice" && SLUICE_BIN=$W/sluice

ROWS=${SLUICE_S3_ROWS:-60000}
S3RVER=$ROOT/tools/node_modules/.bin/s3rver
if [ ! -x "$S3RVER" ] || ! command -v aws >/dev/null; then
  echo "FAIL: s3rver (tools/node_modules) or aws (awscli) missing: run scripts/install-deps.sh"; exit 1
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

PIDS=()
sl_suite_on_exit() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }

S3DIR=$W/s3data
mkdir -p "$S3DIR"
S3P=$(free_port)
node "$S3RVER" -d "$S3DIR" -a 127.0.0.1 -p "$S3P" --silent >"$W/s3rver.log" 2>&1 &
PIDS+=($!)
PX=$(free_port)     # the plain proxy (AbortMultipartUpload for s3rver)
node tests/tools/s3_fault_proxy.js "$PX" "$S3P" "$S3DIR" >"$W/proxy.log" 2>&1 &
PIDS+=($!)
FX=$(free_port)     # the faulty one
node tests/tools/s3_fault_proxy.js "$FX" "$S3P" "$S3DIR" 5 7 >"$W/faults.log" 2>&1 &
PIDS+=($!)

SECRET='Sec-ret-9q8w7e6r5t'
export HOME=$W AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=$SECRET AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_REGION
export SLUICE_S3_PART_BYTES=65536 SLUICE_S3_BACKOFF_MS=10 SLUICE_S3_PARTS_IN_FLIGHT=3
s3() { aws --endpoint-url "http://127.0.0.1:$S3P" "$@"; }
for i in $(seq 50); do s3 s3 ls >/dev/null 2>&1 && break; sleep 0.2; done
s3 s3 mb s3://lake >/dev/null || { echo "FAIL: cannot create the bucket"; exit 1; }

# The source: three CSV files.
mkdir -p "$W/in"
python3 - "$W/in" "$ROWS" <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
with open(f"{d}/orders.csv", "w") as f:
    f.write("id,customer_id,amount,note\n")
    for i in range(1, n + 1):
        f.write(f"{i},{i % 1009},{i * 37 % 100000}.{i % 100:02d},note {i * 7919 % 1000003:x} for order {i}\n")
with open(f"{d}/customers.csv", "w") as f:
    f.write("id,name\n")
    for i in range(1, 1010):
        f.write(f"{i},customer {i}\n")
with open(f"{d}/items.csv", "w") as f:
    f.write("id,order_id,qty\n")
    for i in range(1, n // 2 + 1):
        f.write(f"{i},{i * 2},{i % 7}\n")
PY
duck() { node tools/duck.js "$@"; }
EXPECT=$(duck "select (select count(*)||':'||sum(id)||':'||sum((amount * 100)::bigint) from read_csv('$W/in/orders.csv')) ||
  '|' || (select count(*)||':'||sum(id) from read_csv('$W/in/customers.csv')) ||
  '|' || (select count(*)||':'||sum(qty) from read_csv('$W/in/items.csv')) as x" | tail -1)

# job DIR PREFIX PORT [EXTRA TARGET KEYS]: a job file in DIR writing to s3://lake/PREFIX.
job() {
  mkdir -p "$1"
  cat >"$1/job.yaml" <<EOF
name: s3job
sources:
  files: { kind: csv, path: $W/in }
targets:
  lake: { kind: parquet, path: "s3://lake/$2", endpoint: "http://127.0.0.1:$3", row_group_bytes: 64KiB${4:+, $4} }
tables:
  orders: { from: files, file: orders.csv, to: lake }
  customers: { from: files, file: customers.csv, to: lake }
  items: { from: files, file: items.csv, to: lake }
EOF
}
run() { (cd "$1" && "$SLUICE_BIN" run --workers 2 --no-progress job.yaml) >>"$1/log" 2>&1; }

# live PREFIX [loose]: downloads what is under s3://lake/PREFIX (aws s3 cp), checks
# that each table's manifest lists exactly the objects under its prefix
# (else prints what differs and returns 1; not with loose), and prints DuckDB's aggregates
# of the files the manifests name (in the form of EXPECT): a manifest reader.
live() {
  local dl=$W/dl-$1 t listed there
  rm -rf "$dl"
  s3 s3 cp --recursive --quiet "s3://lake/$1" "$dl" || return 1
  for t in orders customers items; do
    listed=$(python3 -c "import json; print('\n'.join(sorted(f['name'] for f in json.load(open('$dl/$t/_sluice_manifest.json'))['files'])))")
    there=$(cd "$dl/$t" && find . -type f ! -name _sluice_manifest.json | sed 's|^\./||' | sort)
    [ -n "$listed" ] && { [ "${2:-}" = loose ] || [ "$listed" = "$there" ]; } || { echo "table $t: manifest [$listed] objects [$there]"; return 1; }
    eval "F_$t=\"[$(echo "$listed" | sed "s|.*|'$dl/$t/&'|" | paste -sd,)]\""
  done
  duck "select (select count(*)||':'||sum(id)||':'||sum((amount * 100)::bigint) from read_parquet($F_orders)) ||
    '|' || (select count(*)||':'||sum(id) from read_parquet($F_customers)) ||
    '|' || (select count(*)||':'||sum(qty) from read_parquet($F_items)) as x" | tail -1
  rm -rf "$dl"
}
# uploads_left [PREFIX]: multipart uploads s3rver holds (for keys under PREFIX).
uploads_left() {
  local k n=0
  for k in "$S3DIR"/lake/._S3rver_uploads/*/key; do
    [ -f "$k" ] && grep -q "^${1:-}" "$k" && n=$((n + 1))
  done
  echo $n
}

# ---- a) a three-table job ----
job "$W/a" a "$PX"
if run "$W/a"; then ok "a: three tables to s3://lake/a"; else bad "a: run failed: $(tail -3 "$W/a/log")"; fi
got=$(live a)
[ "$got" = "$EXPECT" ] && ok "a: each manifest lists exactly the objects under its table; DuckDB reads them: $got" ||
  bad "a: got $got, want $EXPECT"
size=$(s3 s3 ls --recursive s3://lake/a/orders/ | awk '$4 ~ /part-/ {print $3}' | head -1)
parts=$(grep -c 'PUT /lake/a/orders/run-1/part-00000.parquet?partNumber=' "$W/proxy.log")
completes=$(grep -c 'POST /lake/a/orders/run-1/part-00000.parquet?uploadId=' "$W/proxy.log")
if [ "${size:-0}" -gt $((2 * 65536)) ] && [ "$parts" -gt 2 ] && [ "$completes" = 1 ]; then
  ok "a: orders ($size bytes) went up as one multipart upload of $parts parts of 64 KiB"
else
  bad "a: orders: size $size, $parts parts, $completes completes (want > 2 parts, one complete)"
fi
[ "$(uploads_left)" = 0 ] && ok "a: no multipart upload left" || bad "a: $(uploads_left) uploads left in s3rver"

# ---- b) versions ----
run "$W/a" || bad "b: second run failed"
runs=$(s3 s3 ls --recursive s3://lake/a/orders/ | awk '{print $4}' | grep -o 'run-[0-9]*' | sort -u | tr '\n' ' ')
[ "$runs" = "run-2 " ] && ok "b: after the second run only its objects are left ($runs)" || bad "b: runs left: $runs"
job "$W/k" k "$PX" "keep_versions: 2"
run "$W/k" && run "$W/k" && run "$W/k" || bad "b: keep_versions runs failed: $(tail -3 "$W/k/log")"
runs=$(s3 s3 ls --recursive s3://lake/k/orders/ | awk '{print $4}' | grep -o 'run-[0-9]*' | sort -u | tr '\n' ' ')
vers=$(s3 s3 cp s3://lake/k/orders/_sluice_manifest.json - | python3 -c "import json,sys; print(json.load(sys.stdin)['versions'])")
[ "$runs" = "run-2 run-3 " ] && [ "$vers" = "[3, 2]" ] && ok "b: keep_versions 2: $runs kept, manifest versions $vers" ||
  bad "b: keep_versions 2: runs $runs, versions $vers"
[ "$(live k loose)" = "$EXPECT" ] && ok "b: keep_versions: the live version is complete" || bad "b: keep_versions: live differs"

# ---- c) crashes ----
n=0
for fp in task-start:crash@2 task-write:crash@4 s3:part-uploaded:crash@1 s3:part-uploaded:crash@3 \
          s3:before-complete:crash task-file-synced:crash task-commit:crash@2 publish:before-manifest:crash \
          publish:before-exchange:crash publish:after-exchange:crash publish:before-cleanup:crash run-finish:crash; do
  n=$((n + 1))
  d=$W/c$n
  job "$d" "c$n" "$PX"
  { (cd "$d" && SLUICE_FAILPOINT="$fp" "$SLUICE_BIN" run --workers 2 --no-progress job.yaml) >"$d/log" 2>&1; } 2>/dev/null
  rc=$?
  if [ $rc -ne 137 ]; then bad "c: $fp: the run was not killed (exit $rc): $(tail -2 "$d/log")"; continue; fi
  case $fp in s3:*) [ "$(uploads_left "c$n/")" -gt 0 ] || bad "c: $fp: no multipart upload open after the kill";; esac
  if ! run "$d"; then bad "c: $fp: resume failed: $(tail -3 "$d/log")"; continue; fi
  got=$(live "c$n")
  if [ "$got" = "$EXPECT" ] && [ "$(uploads_left "c$n/")" = 0 ]; then
    ok "c: killed at $fp, resumed: equal to a clean run, manifest exact, no upload left"
  else
    bad "c: killed at $fp: got $got (want $EXPECT), uploads left $(uploads_left "c$n/")"
  fi
done

# ---- d) SlowDown and dropped connections ----
job "$W/d" d "$FX"
if (cd "$W/d" && "$SLUICE_BIN" run --workers 2 --no-progress --log-level debug job.yaml) >"$W/d/log" 2>&1; then
  slow=$(grep -c 'fault slowdown' "$W/faults.log"); drop=$(grep -c 'fault drop' "$W/faults.log")
  if [ "$slow" -gt 0 ] && [ "$drop" -gt 0 ] && [ "$(live d)" = "$EXPECT" ]; then
    ok "d: retried through $slow SlowDown replies and $drop dropped connections; equal to a clean run"
  else
    bad "d: faults slowdown=$slow drop=$drop, live $(live d)"
  fi
  grep -q 'SlowDown.*retry' "$W/d/log" && ok "d: the retries are logged (debug)" || bad "d: no retry in the debug log"
else
  bad "d: the run did not retry through: $(tail -3 "$W/d/log")"
fi

# ---- e) wrong key, missing bucket ----
job "$W/e1" e1 "$PX"
(cd "$W/e1" && AWS_ACCESS_KEY_ID=WRONGKEY "$SLUICE_BIN" run --no-progress job.yaml) >"$W/e1/log" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q 'InvalidAccessKeyId' "$W/e1/log" && grep -q 'AWS_ACCESS_KEY_ID' "$W/e1/log"; then
  ok "e: a wrong key: exit $rc, $(grep -o '403 InvalidAccessKeyId' "$W/e1/log" | head -1) and what to check"
else
  bad "e: wrong key: exit $rc: $(tail -2 "$W/e1/log")"
fi
[ -z "$(s3 s3 ls --recursive s3://lake/e1/)" ] && ok "e: nothing written with a wrong key" || bad "e: objects written"
mkdir -p "$W/e2" && sed 's|s3://lake/e1|s3://no-such-bucket/x|' "$W/e1/job.yaml" >"$W/e2/job.yaml"
(cd "$W/e2" && "$SLUICE_BIN" run --no-progress job.yaml) >"$W/e2/log" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q 'NoSuchBucket' "$W/e2/log" && grep -q 'create the bucket' "$W/e2/log"; then
  ok "e: a missing bucket: exit $rc, NoSuchBucket and the remedy"
else
  bad "e: missing bucket: exit $rc: $(tail -2 "$W/e2/log")"
fi

# ---- g) the parquet source at s3:// ----
mkdir -p "$W/g"
cat >"$W/g/job.yaml" <<EOF
name: s3read
sources:
  lake: { kind: parquet, path: "s3://lake/a", endpoint: "http://127.0.0.1:$PX" }
targets:
  out: { kind: parquet, path: ./out }
tables:
  orders: { from: lake, table: orders, to: out }
  items: { from: lake, table: items, to: out }
EOF
mark=$(wc -l <"$W/proxy.log")
if run "$W/g"; then
  got=$(duck "select count(*)||':'||sum(id)||':'||sum((amount * 100)::bigint) from '$W/g/out/orders/*.parquet'" | tail -1)
  want=${EXPECT%%|*}
  [ "$got" = "$want" ] && ok "g: orders read back from s3://lake/a by the parquet source: $got" || bad "g: got $got, want $want"
  gets=$(tail -n +"$((mark + 1))" "$W/proxy.log" | grep '^GET /lake/a/orders/run-2/part-')
  whole=$(echo "$gets" | grep -vc 'range=')
  [ -n "$gets" ] && [ "$whole" = 0 ] && ok "g: $(echo "$gets" | wc -l) ranged GETs (footer, column chunks), no whole-object download" ||
    bad "g: GETs of the object: $gets"
else
  bad "g: the s3:// parquet source failed: $(tail -3 "$W/g/log")"
fi

[ "$(uploads_left)" = 0 ] && ok "no multipart upload left in the bucket" || bad "$(uploads_left) uploads left in the bucket"

# ---- f) the secret stays secret ----
leaks=$(grep -l -a -r -- "$SECRET" "$W"/a "$W"/c* "$W"/d "$W"/e* "$W"/g "$W"/k "$S3DIR" 2>/dev/null | grep -v '/job.yaml$' | head -3)
[ -z "$leaks" ] && ok "f: the secret key is in no log, state store or object" || bad "f: the secret is in $leaks"

exit $fail
