#!/usr/bin/env bash
# 65-ui: the web UI in a real headless Chromium (Debian's chromium, driven
# by puppeteer-core from tools/, tests/lib/ui_browser.js), its API and
# /metrics against the state store, and its safety.
#   a) `sluice run --ui` of four tables, slowed by the source's
#      rows_per_second: the run page follows the run to its end without a
#      reload (nodes running, then published; rows growing), a node page
#      open during the run too; no console error; screenshots;
#   b) `sluice ui` over the history: runs list (keyboard), run graph, node
#      page (tasks, skew, histogram, timeline, throughput), errors page,
#      404 for a run or node that does not exist; hostile text (a column
#      named "<script>...", a table named "<img onerror=...>") shown as text;
#   c) the API's figures equal the state store's; /metrics passes
#      `promtool check metrics` and its rows equal the store's;
#   d) the UI port taken: the next one is used and printed;
#   e) the token: with --ui-token (on loopback: this suite may not listen
#      beyond 127.0.0.1, and beyond loopback the same check applies with a
#      generated token) a request without it is refused, with it (query,
#      then the cookie it set, or a Bearer header) served;
#   f) the source URL's password appears in no byte of any page, API
#      answer, event stream or metric.
# Screenshots go to a directory that is kept (printed) for a person to look at.
set -euo pipefail
. "$(dirname "$0")/../lib/suite.sh"
command -v chromium >/dev/null || { echo "SKIP: chromium not installed (scripts/install-deps.sh)"; exit 77; }
command -v promtool >/dev/null || { echo "SKIP: promtool not installed (scripts/install-deps.sh)"; exit 77; }
(cd tools && node -e "require('puppeteer-core')" 2>/dev/null) || { echo "SKIP: puppeteer-core missing (scripts/install-deps.sh)"; exit 77; }
sl_suite_pg
sl_suite_workdir ui SLUICE_UI_KEEP
SHOTS=$(mktemp -d /tmp/sluice-ui-screens.XXXXXX)
echo "screenshots: $SHOTS"
B="node tests/lib/ui_browser.js"
PW='Uq7-zX91-s3cr3t'

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
ui_url() {   # log file: waits for "sluice: ui: URL" and prints URL
  for _ in $(seq 100); do
    u=$(sed -n 's/^sluice: ui: \(http[^ ]*\).*/\1/p' "$1" | head -1)
    [ -n "$u" ] && { echo "$u"; return 0; }
    sleep 0.1
  done
  cat "$1" >&2; return 1
}
PIDS=()
sl_suite_on_exit() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }

sl_pg_createdb ui
psql -X -q -d ui -v ON_ERROR_STOP=1 <<SQL
DROP ROLE IF EXISTS ui_reader;
CREATE ROLE ui_reader LOGIN PASSWORD '$PW';
CREATE TABLE orders (id bigint PRIMARY KEY, amount numeric(12,2), note text);
INSERT INTO orders SELECT g, g * 1.5, 'note ' || g FROM generate_series(1, 24000) g;
CREATE TABLE customers (id int PRIMARY KEY, name text);
INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 6000) g;
CREATE TABLE hostile ("<script>window.__pwned=1</script>" int PRIMARY KEY, v text);
INSERT INTO hostile SELECT g, 'v' FROM generate_series(1, 4000) g;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO ui_reader;
ANALYZE;
SQL
mkdir -p "$W/job"
cat > "$W/job/job.yaml" <<YAML
name: ui_shop
sources:
  shop: { kind: postgres, url: "postgres://ui_reader:$PW@127.0.0.1:$PGPORT/ui", max_connections: 2, rows_per_second: 4000 }
targets:
  lake: { kind: parquet, path: ./lake }
tables:
  orders: { from: shop, table: public.orders, to: lake, partition: { strategy: range, column: id, count: 4 } }
  customers: { from: shop, table: public.customers, to: lake, partition: { count: 1 } }
  hostile: { from: shop, table: public.hostile, to: lake, partition: { strategy: range, column: "<script>window.__pwned=1</script>", count: 2 } }
  broken: { from: shop, table: 'public."<img src=x onerror=window.__pwned=2>"', to: lake }
YAML

# a) the live run, watched in the browser (started first: it can take seconds to start)
P=$(free_port)
: >"$W/run.log"
$B live "$W/run.log" "$SHOTS" >"$W/browser.log" 2>&1 &
BR=$!; PIDS+=("$BR")
for _ in $(seq 600); do grep -q "browser ready" "$W/browser.log" && break; sleep 0.1; done
"$SLUICE_BIN" run "$W/job/job.yaml" --ui "127.0.0.1:$P" --workers 2 >"$W/run.log" 2>&1 &
RUN=$!; PIDS+=("$RUN")
URL=$(ui_url "$W/run.log")
[ "$URL" = "http://127.0.0.1:$P/" ] || bad "printed link $URL, expected http://127.0.0.1:$P/"
if wait "$BR"; then ok "live run page in Chromium"; else bad "live run page"; cat "$W/run.log"; fi
cat "$W/browser.log"
set +e; wait "$RUN"; rc=$?; set -e
[ "$rc" = 1 ] && ok "the run ended (exit 1: the table 'broken' failed, the others published)" || { bad "run exit $rc"; cat "$W/run.log"; }
grep -q "table orders: published 24000 rows" "$W/run.log" || bad "orders not published"

# b) the history
P2=$(free_port)
"$SLUICE_BIN" ui "$W/job/job.yaml" --listen "127.0.0.1:$P2" >"$W/ui.log" 2>&1 &
UI=$!; PIDS+=("$UI")
URL2=$(ui_url "$W/ui.log")
if $B history "$URL2" "$SHOTS"; then ok "history pages in Chromium"; else bad "history pages"; fi

# c) the API equals the state store; /metrics is valid and agrees
DB="$W/job/.sluice/state.db"
curl -sf "${URL2}api/runs/1" >"$W/run.json"
for n in orders customers hostile broken; do curl -sf "${URL2}api/runs/1/nodes/$n" >"$W/node-$n.json"; done
sqlite3 -json "$DB" "SELECT name, status, COALESCE(rows, 0) AS rows FROM tables WHERE run_id = 1 ORDER BY name" >"$W/tables.json"
sqlite3 -json "$DB" "SELECT table_name, idx, status, rows, attempts, worker FROM tasks WHERE run_id = 1 ORDER BY table_name, idx" >"$W/tasks.json"
if node -e '
  const fs = require("fs"), W = process.argv[1];
  const run = JSON.parse(fs.readFileSync(W + "/run.json"));
  const tables = JSON.parse(fs.readFileSync(W + "/tables.json"));
  const tasks = JSON.parse(fs.readFileSync(W + "/tasks.json") || "[]");
  let bad = 0;
  const say = (m) => { console.log("mismatch: " + m); bad = 1; };
  for (const t of tables) {
    const n = run.nodes.find((x) => x.name === t.name);
    if (!n) { say("node " + t.name + " missing"); continue; }
    if (n.status !== t.status) say(t.name + " status " + n.status + " vs " + t.status);
    if (t.status === "published" && n.rows !== t.rows) say(t.name + " rows " + n.rows + " vs " + t.rows);
    const node = JSON.parse(fs.readFileSync(W + "/node-" + t.name + ".json")).nodes[0];
    const mine = tasks.filter((k) => k.table_name === t.name);
    if (node.tasks.length !== mine.length) say(t.name + " task count");
    for (const k of mine) {
      const a = node.tasks.find((x) => x.index === k.idx);
      if (!a || a.status !== k.status || a.rows !== k.rows || a.attempts !== k.attempts || a.worker !== k.worker)
        say(t.name + " task " + k.idx + " " + JSON.stringify(a) + " vs " + JSON.stringify(k));
    }
  }
  if (run.nodes.find((n) => n.name === "orders").rows !== 24000) say("orders rows");
  process.exit(bad);' "$W"; then ok "API figures (nodes, tasks, rows, attempts, workers) equal the state store's"; else bad "API vs state store"; fi
curl -sf "${URL2}metrics" >"$W/metrics.txt"
if promtool check metrics <"$W/metrics.txt" >"$W/promtool.log" 2>&1; then ok "promtool check metrics passes"; else bad "promtool: $(cat "$W/promtool.log")"; fi
grep -q '^sluice_node_rows_written_total{job="ui_shop",node="orders"} 24000$' "$W/metrics.txt" && ok "metrics: orders rows = 24000 as in the store" || bad "metrics rows"
grep -q '^sluice_tasks{job="ui_shop",node="orders",state="done"} 4$' "$W/metrics.txt" && ok "metrics: tasks by state" || bad "metrics tasks"
grep -q '^sluice_task_duration_seconds_count{job="ui_shop",node="orders"} 4$' "$W/metrics.txt" || bad "metrics histogram count"
grep -q '^sluice_last_success_timestamp_seconds{job="ui_shop"} 0$' "$W/metrics.txt" && ok "metrics: no success yet (the run failed)" || bad "last success"
curl -s -o /dev/null -w '%{http_code}' "${URL2}api/runs/999" | grep -q 404 && ok "API: a run that does not exist: 404" || bad "api 404"

# d) the port taken: the next free one is used and printed
"$SLUICE_BIN" ui "$W/job/job.yaml" --listen "127.0.0.1:$P2" >"$W/ui2.log" 2>&1 &
UI2=$!; PIDS+=("$UI2")
URL3=$(ui_url "$W/ui2.log")
if [ "$URL3" != "$URL2" ] && curl -sf "${URL3}api/runs" >/dev/null && grep -q "port $P2 is taken" "$W/ui2.log"; then
  ok "port $P2 taken: served on $URL3 instead, and said so"; else bad "port taken: $URL3"; cat "$W/ui2.log"; fi
kill "$UI2"

# e) the token (on loopback, explicitly: this suite must not listen beyond 127.0.0.1)
P4=$(free_port)
"$SLUICE_BIN" ui "$W/job/job.yaml" --listen "127.0.0.1:$P4" --ui-token tok-123 >"$W/ui4.log" 2>&1 &
UI4=$!; PIDS+=("$UI4")
URL4=$(ui_url "$W/ui4.log")
[ "$URL4" = "http://127.0.0.1:$P4/?token=tok-123" ] || bad "token link: $URL4"
b="http://127.0.0.1:$P4"
c1=$(curl -s -o /dev/null -w '%{http_code}' "$b/api/runs")
c2=$(curl -s -o /dev/null -w '%{http_code}' "$b/api/runs?token=wrong")
c3=$(curl -s -o /dev/null -w '%{http_code}' "$b/metrics")
c4=$(curl -s -c "$W/cookies" -o /dev/null -w '%{http_code}' "$b/api/runs?token=tok-123")
c5=$(curl -s -b "$W/cookies" -o /dev/null -w '%{http_code}' "$b/api/runs/1")
c6=$(curl -s -H 'Authorization: Bearer tok-123' -o /dev/null -w '%{http_code}' "$b/metrics")
if [ "$c1$c2$c3" = 401401401 ] && [ "$c4$c5$c6" = 200200200 ]; then
  ok "token: refused without it (401), served with ?token=, its cookie, or a Bearer header"
else bad "token: $c1 $c2 $c3 / $c4 $c5 $c6"; fi
kill "$UI4"

# f) the password in no byte served
: >"$W/all.out"
for p in / /runs/1 /runs/1/errors /runs/1/nodes/orders /runs/1/nodes/broken /runs/999 /nope /static/app.js \
         /static/app.css /api/runs /api/runs/1 /api/runs/latest /api/runs/1/nodes/orders /api/runs/1/nodes/broken \
         /api/runs/1/nodes/hostile /api/runs/999 /metrics; do
  curl -s -D - "${URL2%/}$p" >>"$W/all.out"
done
timeout 5 curl -sN "${URL2}api/runs/1/events" >>"$W/all.out" || true
if [ "$(wc -c <"$W/all.out")" -gt 10000 ] && ! grep -qF "$PW" "$W/all.out" && ! grep -qF "$PW" "$W/run.log"; then
  ok "the source password is in none of $(wc -c <"$W/all.out") bytes served (17 endpoints, the event stream)"
else bad "the password leaked (or nothing was served)"; fi
kill "$UI"

# g) the HTML report of the run: one file, opened in Chromium
"$SLUICE_BIN" report "$W/job/job.yaml" --run 1 --html "$W/report.html" 2>"$W/report.log" || bad "report: $(cat "$W/report.log")"
if $B report "$W/report.html" "$SHOTS"; then ok "the report opens in Chromium and shows the run"; else bad "report in Chromium"; fi
! grep -qF "$PW" "$W/report.html" && ok "no password in the report" || bad "password in the report"
! grep -q "<script\|<img" "$W/report.html" && grep -q "&lt;script&gt;window.__pwned=1&lt;/script&gt;" "$W/report.html" &&
  ok "the report escapes the hostile names" || bad "report escaping"
set +e; "$SLUICE_BIN" report "$W/job/job.yaml" --run 99 --html "$W/none.html" 2>"$W/r99.log"; r=$?; set -e
[ "$r" = 1 ] && grep -q "there is no run 99" "$W/r99.log" && [ ! -e "$W/none.html" ] && ok "report of a run that does not exist: exit 1, says so" || bad "report --run 99: $r"
exit $fail
