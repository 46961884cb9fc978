#!/usr/bin/env bash
# 66-alerts: the job's `alerts:` (observe/sl_alerts.c).
#   a) a run that fails (a table whose source table is missing) with a
#      skewed node: the local HTTP receiver (node) gets the failure webhook
#      with job, run, event, message and the UI link; a command alert gets
#      the failure and the skew alert as JSON on stdin; a slow alert fires
#      while the run goes on;
#   b) a webhook whose receiver is down: delivery is retried, logged as not
#      delivered, and the run's outcome (exit 1, its tables) is unchanged;
#   c) bad alerts in the job file are refused by validate with a clear message.
set -euo pipefail
. "$(dirname "$0")/../lib/suite.sh"
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }
sl_suite_workdir alerts SLUICE_ALERTS_KEEP
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

RP=$(free_port)
node -e '
  const fs = require("fs");
  require("http").createServer((q, r) => { let b = ""; q.on("data", (d) => b += d).on("end", () => {
    fs.appendFileSync(process.argv[1], JSON.stringify({ path: q.url, type: q.headers["content-type"], body: b }) + "\n");
    r.end("ok"); }); }).listen(+process.argv[2], "127.0.0.1", () => console.log("listening"));' "$W/hooks.jsonl" "$RP" >"$W/recv.log" 2>&1 &
RECV=$!
sl_suite_on_exit() { kill "$RECV" 2>/dev/null || true; }
for _ in $(seq 100); do grep -q listening "$W/recv.log" && break; sleep 0.05; done
DOWN=$(free_port)   # nothing listens there

sqlite3 "$W/src.db" "CREATE TABLE skewed(id INTEGER PRIMARY KEY, v TEXT);
  WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 300000) INSERT INTO skewed SELECT x, 'v' || x FROM g;
  INSERT INTO skewed VALUES (4000000, 'far');"
cat >"$W/job.yaml" <<YAML
name: alerting
sources:
  db: { kind: sqlite, url: ./src.db }
targets:
  lake: { kind: parquet, path: ./lake }
alerts:
  - { on: failure, webhook: "http://127.0.0.1:$RP/hook/failure" }
  - { on: [failure, success], webhook: "http://127.0.0.1:$DOWN/down" }
  - { on: [failure, skew], command: "cat >> '$W/cmd.jsonl'", skew: 3.0 }
  - { on: slow, command: "cat >> '$W/slow.jsonl'", slow: 1ms }
tables:
  skewed: { from: db, table: skewed, to: lake, partition: { column: id, count: 4 } }
  missing: { from: db, table: nope, to: lake }
YAML

start=$(date +%s%N)
set +e
"$SLUICE_BIN" run "$W/job.yaml" --workers 2 --no-progress --ui "127.0.0.1:$(free_port)" >"$W/run.log" 2>&1; rc=$?
set -e
took=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$rc" = 1 ] && ok "the run failed as it should (exit 1)" || { bad "exit $rc"; cat "$W/run.log"; }
grep -q "table skewed: published 300001 rows" "$W/run.log" && ok "the other table was published" || bad "skewed not published"

if node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
  const f = lines.find((l) => l.path === "/hook/failure");
  if (!f) { console.log("no failure hook"); process.exit(1); }
  const b = JSON.parse(f.body);
  const good = f.type === "application/json" && b.job === "alerting" && b.run === 1 && b.event === "failure" &&
    b.node === null && /nope/.test(b.message) && /^http:\/\/127\.0\.0\.1:\d+\/runs\/1$/.test(b.ui) && b.time > 0;
  if (!good) { console.log(JSON.stringify(f)); process.exit(1); }
  if (lines.length !== 1) { console.log("expected one hook, got " + lines.length); process.exit(1); }' "$W/hooks.jsonl"; then
  ok "the receiver got the failure webhook: job, run, event, node, message (names the missing table), UI link"
else bad "failure webhook"; fi

if node -e '
  const ev = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
  const k = ev.map((e) => e.event).sort().join(",");
  const skew = ev.find((e) => e.event === "skew");
  if (k !== "failure,skew" || skew.node !== "skewed" || !(skew.skew > 3) || skew.threshold !== 3) { console.log(JSON.stringify(ev)); process.exit(1); }' "$W/cmd.jsonl"; then
  ok "the command alert got the failure and the skew (node skewed, above 3.0) as JSON on stdin"
else bad "command alert: $(cat "$W/cmd.jsonl" 2>/dev/null)"; fi
grep -q '"event":"slow"' "$W/slow.jsonl" && ok "the slow alert fired during the run" || bad "slow alert"

grep -q "not delivered to http://127.0.0.1:$DOWN after 3 tries" "$W/run.log" && ok "the down receiver: retried 3 times, logged, run unchanged" || { bad "down receiver not logged"; cat "$W/run.log"; }
! grep -q "/down" "$W/run.log" && ok "a webhook's path is not logged (it may hold a secret)" || bad "webhook path logged"
[ "$took" -lt 20000 ] && ok "the run with a down receiver ended in ${took} ms" || bad "took ${took} ms"

# c) bad alerts
bad_alert() {   # yaml-line expected-message
  sed "s|^alerts:.*|alerts:\n  - $1|; /^  - { on: \[/d; /^  - { on: failure,/d; /^  - { on: slow/d" "$W/job.yaml" >"$W/bad.yaml"
  set +e; out=$("$SLUICE_BIN" validate "$W/bad.yaml" 2>&1); r=$?; set -e
  if [ "$r" = 2 ] && grep -qF "$2" <<<"$out"; then ok "refused: $1"; else bad "$1 -> $r: $out"; fi
}
bad_alert '{ on: sometimes, command: "true" }' "unknown value 'sometimes' (expected one of: failure, success"
bad_alert '{ on: failure }' "give one of webhook"
bad_alert '{ on: slow, command: "true" }' "on: slow needs slow:"
bad_alert '{ on: failure, webhook: "ftp://x" }' "http:// or https://"
exit $fail
