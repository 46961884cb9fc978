// tests/lib/ui_browser.js - drives the web UI in a real headless Chromium
// (Debian's /usr/bin/chromium through puppeteer-core from tools/; no browser
// download) for tests/suites/65-ui.sh and bench/ui_overhead.sh.
//   node ui_browser.js live    LOG SHOTS   starts the browser, prints "browser ready", waits for the
//                                          run's link in LOG ("sluice: ui: URL"), then follows the run
//                                          on its page to the end
//   node ui_browser.js history BASE SHOTS  after the run: runs list, node, errors, 404, hostile text
//   node ui_browser.js report  FILE SHOTS  the HTML report opens and shows the nodes
//   node ui_browser.js watch   BASE        keeps the run page open until the run ends (bench)
// Prints "ok: ..." lines; exits 1 with "FAIL: ..." on the first failed check.
// Any console error or uncaught page error fails the check too.
'use strict';
const path = require('path');
const puppeteer = require(path.join(__dirname, '../../tools/node_modules/puppeteer-core'));
const [mode, arg, shots] = process.argv.slice(2);
let base = arg;
const problems = [];

function fail(msg) { console.log('FAIL: ' + msg); process.exitCode = 1; throw new Error(msg); }
function check(cond, msg) { if (!cond) fail(msg); console.log('ok: ' + msg); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function open(browser) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  return page;
}
async function shot(page, name) {
  if (!shots) return;
  const file = path.join(shots, name + '.png');
  // A page in a background tab renders no frames: a screenshot of it would wait forever.
  await page.bringToFront();
  await page.screenshot({ path: file, fullPage: true });
  console.log('screenshot: ' + file);
}
// The newest run from the API (Node's own fetch: no page needed), or null.
async function latest() {
  try {
    const r = await fetch(base + 'api/runs');
    if (!r.ok) return null;
    const j = await r.json();
    return j.runs.length ? j.runs[0] : null;
  } catch (e) { return null; }
}
async function statuses(page) {
  return page.$$eval('#nodes tbody tr', (rows) => rows.map((r) => r.dataset.status));
}

async function live(browser) {
  const page = await open(browser);
  // Ready before the run starts: a browser can take seconds to start on a busy machine.
  console.log('browser ready');
  base = null;
  for (let i = 0; i < 600 && !base; i++) {
    const m = /^sluice: ui: (http\S+)/m.exec(require('fs').readFileSync(arg, 'utf8'));
    if (m) base = m[1]; else await sleep(50);
  }
  check(base, 'the run printed its UI link: ' + base);
  // The run may still be preparing: wait for it in the store.
  let runId = null;
  for (let i = 0; i < 100 && !runId; i++) {
    const j = await latest();
    if (j) runId = j.id; else await sleep(100);
  }
  check(runId, 'the run appears in /api/runs');
  await page.goto(base + 'runs/' + runId);
  await page.waitForSelector('#nodes tbody tr', { timeout: 10000 });
  await page.evaluate(() => { window.__notReloaded = true; });
  const first = await statuses(page);
  check(first.some((s) => s === 'running' || s === 'pending'), 'the run page shows nodes still running: ' + first.join(','));
  // A node page opened during the run follows it too.
  const np = await open(browser);
  await np.goto(base + 'runs/' + runId + '/nodes/orders');
  await np.waitForSelector('#tasks tbody tr', { timeout: 10000 });
  // Progress arrives without reloading: rows grow while it runs.
  const rows0 = await page.$eval('#nodes tbody tr[data-node="orders"] td.rows', (e) => e.textContent);
  await shot(page, 'run-live');
  let seen = new Set(first), rowsChanged = false;
  for (let i = 0; i < 600; i++) {
    const st = await statuses(page);
    st.forEach((s) => seen.add(s));
    const rows = await page.$eval('#nodes tbody tr[data-node="orders"] td.rows', (e) => e.textContent).catch(() => rows0);
    if (rows !== rows0) rowsChanged = true;
    if (st.length && st.every((s) => s === 'published' || s === 'failed')) break;
    await sleep(100);
  }
  const last = await statuses(page);
  check(last.every((s) => s === 'published' || s === 'failed'), 'every node ended on the page: ' + last.join(','));
  check(seen.has('running') && seen.has('published'), 'nodes were seen running, then published: ' + [...seen].join(','));
  check(rowsChanged, 'the rows of a running node grew on the page');
  check(await page.evaluate(() => window.__notReloaded === true), 'the page was not reloaded');
  await page.waitForFunction(() => !document.querySelector('h1 .live'), { timeout: 10000 });
  await shot(page, 'run-done');
  await np.waitForFunction(() => [...document.querySelectorAll('#tasks tbody tr')].every((r) => r.dataset.status === 'done'), { timeout: 10000 });
  check(await np.$$eval('#timeline rect.task', (r) => r.length) >= 4, 'the live node page shows its tasks on the timeline');
  await shot(np, 'node-live-end');
}

async function history(browser) {
  const page = await open(browser);
  await page.goto(base);
  await page.waitForSelector('#runs tbody tr');
  const runs = await page.$$eval('#runs tbody tr', (r) => r.length);
  check(runs >= 1, 'the runs page lists ' + runs + ' run(s)');
  await shot(page, 'runs');
  // Keyboard: Tab reaches the first run's link and Enter opens it.
  let focused = '';
  for (let i = 0; i < 12 && !/\/runs\/\d+$/.test(focused); i++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => document.activeElement && document.activeElement.getAttribute('href') || '');
  }
  check(/\/runs\/\d+$/.test(focused), 'Tab reaches a run link (' + focused + ')');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  await page.waitForSelector('#graph');
  check(await page.$$eval('#graph rect.node', (r) => r.length) >= 3, 'the run page draws the graph of its nodes');
  await shot(page, 'run');
  await page.goto(base + 'runs/1/nodes/orders');
  await page.waitForSelector('#tasks tbody tr');
  const ntasks = await page.$$eval('#tasks tbody tr', (r) => r.length);
  check(ntasks === 4, 'the node page lists its 4 tasks');
  const skew = await page.$eval('#skew b', (e) => e.textContent);
  check(/^\d+\.\d\d$/.test(skew), 'the node page shows the skew: ' + skew);
  check(await page.$$eval('#timeline rect.task', (r) => r.length) >= 4, 'the timeline has a bar per task attempt');
  check(await page.$$eval('#histogram rect', (r) => r.length) >= 1, 'the histogram of task sizes is drawn');
  check(await page.$$eval('#throughput polyline', (r) => r.length) === 1, 'the throughput chart is drawn');
  await shot(page, 'node');
  // Hostile text: a column named like a script tag is in the predicates, as text only.
  await page.goto(base + 'runs/1/nodes/hostile');
  await page.waitForSelector('#tasks tbody tr');
  const pred = await page.$eval('#tasks tbody tr td.msg', (e) => e.textContent);
  check(pred.includes('<script>'), 'a predicate with <script> is shown as text: ' + pred);
  check(await page.evaluate(() => document.scripts.length === 1 && window.__pwned === undefined), 'no script from data ran or was added');
  await page.goto(base + 'runs/1/errors');
  await page.waitForSelector('#errors tbody tr');
  const msg = await page.$$eval('#errors td.msg', (t) => t.map((e) => e.textContent).join(' | '));
  check(msg.includes('<img src=x onerror='), 'the errors page shows a failing node\'s message with its hostile name as text');
  check(await page.evaluate(() => document.images.length === 0 && window.__pwned === undefined), 'no element was made from the message');
  await shot(page, 'errors');
  const r404 = await page.goto(base + 'runs/999');
  check(r404.status() === 404, 'a run that does not exist: 404');
  check((await page.$eval('.notfound', (e) => e.textContent)).includes('no run 999'), 'the 404 page says which run is missing');
  const n404 = await page.goto(base + 'runs/1/nodes/nope');
  check(n404.status() === 404, 'a node that does not exist: 404');
  problems.splice(0, problems.length, ...problems.filter((p) => !/status of 404/.test(p)));
}

async function report(browser) {
  const page = await open(browser);
  await page.goto('file://' + path.resolve(arg));
  await page.waitForSelector('svg');
  const text = await page.evaluate(() => document.body.innerText);
  check(text.includes('orders') && text.includes('customers'), 'the report names the run\'s nodes');
  check(/skew/i.test(text), 'the report shows the skew');
  check(await page.$$eval('svg', (s) => s.length) >= 3, 'the report draws its charts as inline SVG');
  check(await page.evaluate(() => document.scripts.length === 0), 'the report has no script');
  await shot(page, 'report');
}

async function watch(browser) {
  const page = await open(browser);
  for (let i = 0; i < 200 && !(await latest()); i++) await sleep(50);
  await page.goto(base + 'runs/latest').catch(() => null);
  await page.waitForFunction(() => document.querySelector('h1') && !document.querySelector('h1 .live') &&
    document.querySelectorAll('#nodes tbody tr').length > 0, { timeout: 600000, polling: 500 }).catch(() => {});
}

(async () => {
  const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding'], protocolTimeout: 60000 });
  try {
    await ({ live, history, report, watch }[mode])(browser);
    if (mode !== 'watch') check(problems.length === 0, 'no console error (' + problems.join('; ') + ')');
  } catch (e) {
    if (!process.exitCode) { console.log('FAIL: ' + (e && e.stack || e)); process.exitCode = 1; }
  } finally {
    await browser.close();
  }
})();
