// sluice web UI: renders the pages from the JSON API (/api/...), live pages
// follow the run through server-sent events. Data is only ever put into the
// page as text nodes or SVG attributes, never parsed as HTML.
'use strict';
(function () {
  const app = document.getElementById('app');
  const kind = app.dataset.kind, runId = app.dataset.run, nodeName = app.dataset.node;
  const SVGNS = 'http://www.w3.org/2000/svg';

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === 'class') e.className = attrs[k]; else e.setAttribute(k, attrs[k]);
    }
    for (const c of kids) if (c !== null && c !== undefined) e.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    return e;
  }
  function sv(tag, attrs, text) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.appendChild(document.createTextNode(String(text)));
    return e;
  }
  const nf = new Intl.NumberFormat('en');
  function num(n) { return nf.format(Math.round(n || 0)); }
  function bytes(n) {
    const u = ['B', 'kB', 'MB', 'GB', 'TB']; let i = 0; n = n || 0;
    while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
    return (i ? n.toFixed(1) : n) + ' ' + u[i];
  }
  function secs(s) {
    s = s || 0;
    if (s < 60) return s.toFixed(1) + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.round((s % 3600) / 60) + ' min';
  }
  function when(t) { return t ? new Date(t * 1000).toLocaleString() : '—'; }
  function state(s) { return el('span', { class: 'state s-' + String(s).replace(/[^a-z]/g, '') }, s); }
  function enc(s) { return encodeURIComponent(s); }
  function runLink(id) { return '/runs/' + enc(id); }
  function nodeLink(id, name) { return '/runs/' + enc(id) + '/nodes/' + enc(name); }
  function figure(label, value) { return el('div', { class: 'figure' }, el('b', {}, value), el('span', {}, label)); }
  function th(text, cls) { return el('th', cls ? { class: cls, scope: 'col' } : { scope: 'col' }, text); }
  function td(v, cls) { return el('td', cls ? { class: cls } : {}, v); }
  function bar(frac, label) {
    frac = Math.max(0, Math.min(1, frac || 0));
    const b = el('span', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100',
      'aria-valuenow': String(Math.round(frac * 100)), 'aria-label': label });
    const f = el('span'); f.style.width = (frac * 100).toFixed(1) + '%'; b.appendChild(f);
    return b;
  }
  async function getJSON(url) {
    const r = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
    const body = await r.json();
    if (!r.ok) throw new Error(body && body.error ? body.error : r.status + ' ' + r.statusText);
    return body;
  }
  // Re-rendering keeps the focus where the keyboard left it.
  function replace(children) {
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : null;
    app.replaceChildren(...children.filter((c) => c !== null && c !== undefined));
    if (focused) { const f = app.querySelector('[data-key="' + CSS.escape(focused) + '"]'); if (f) f.focus(); }
  }
  function fail(e) { replace([el('h1', {}, 'Cannot load this page'), el('p', { class: 'error' }, String(e.message || e))]); }
  // A live page follows the run's event stream: each event is the page's whole
  // JSON (the run's, or one node's with its tasks), the last one the final state.
  function follow(onUpdate, node) {
    const es = new EventSource('/api/runs/' + enc(runId) + '/events' + (node ? '?node=' + enc(node) : ''));
    es.addEventListener('update', (e) => onUpdate(JSON.parse(e.data)));
    es.addEventListener('end', () => es.close());
    es.onerror = () => { if (es.readyState === EventSource.CLOSED) return; };
    return es;
  }

  // ---- runs ----
  async function runsPage() {
    const data = await getJSON('/api/runs');
    const rows = data.runs.map((r) => el('tr', {},
      td(el('a', { href: runLink(r.id), 'data-key': 'run' + r.id }, 'run ' + r.id)), td(state(r.status)),
      td(when(r.started)), td(secs(r.seconds), 'num'), td(num(r.rows), 'num'), td(bytes(r.bytes), 'num'),
      td(num(r.tables), 'num'), td(num(r.tables_failed), 'num'), td(r.error || '', 'msg')));
    replace([el('h1', {}, 'Runs of job ' + data.job),
      data.runs.length ? el('table', { id: 'runs' }, el('thead', {}, el('tr', {}, th('run'), th('state'), th('started'),
        th('duration', 'num'), th('rows', 'num'), th('bytes', 'num'), th('tables', 'num'), th('failed tables', 'num'),
        th('error'))), el('tbody', {}, ...rows)) : el('p', {}, 'No run yet.')]);
    if (data.runs.some((r) => r.status === 'running')) setTimeout(() => runsPage().catch(fail), 2000);
  }

  // ---- run: graph and nodes ----
  function graph(d) {
    const W = 760, rowH = 46, pad = 16, bw = 190, bh = 32;
    const cols = [d.sources.map((s) => ({ id: 's:' + s.name, label: s.name + ' (' + s.kind + ')', kind: 'source' })),
      d.nodes.map((n) => ({ id: 'n:' + n.name, label: n.name, kind: 'node', node: n })),
      d.targets.map((t) => ({ id: 't:' + t.name, label: t.name + ' (' + t.kind + ')', kind: 'target' }))];
    const rows = Math.max(1, ...cols.map((c) => c.length));
    const H = pad * 2 + rows * rowH;
    const g = sv('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', id: 'graph',
      'aria-label': 'graph: sources, nodes and targets of the run' });
    const pos = {};
    cols.forEach((c, ci) => c.forEach((b, i) => { pos[b.id] = { x: pad + ci * ((W - 2 * pad - bw) / 2), y: pad + i * rowH + (rows - c.length) * rowH / 2 }; }));
    for (const n of d.nodes) {
      const a = pos['n:' + n.name];
      const s = pos['s:' + n.source];
      if (s) g.appendChild(sv('line', { x1: s.x + bw, y1: s.y + bh / 2, x2: a.x, y2: a.y + bh / 2, stroke: '#9aa3af' }));
      for (const t of n.targets) {
        const b = pos['t:' + t];
        if (b) g.appendChild(sv('line', { x1: a.x + bw, y1: a.y + bh / 2, x2: b.x, y2: b.y + bh / 2, stroke: '#9aa3af' }));
      }
      for (const dep of n.deps || []) {
        const b = pos['n:' + dep];
        if (b) g.appendChild(sv('line', { x1: b.x + bw / 2, y1: b.y + bh, x2: a.x + bw / 2, y2: a.y, stroke: '#9aa3af' }));
      }
    }
    const colour = { published: '#2e7d32', running: '#1f5fbf', failed: '#c62828', pending: '#8d96a3' };
    cols.forEach((c) => c.forEach((b) => {
      const p = pos[b.id];
      let box;
      if (b.kind === 'node') {
        const n = b.node;
        box = sv('a', { href: nodeLink(d.run.id, n.name), 'data-key': 'g:' + n.name, 'aria-label': n.name + ': ' + n.status });
        box.appendChild(sv('rect', { x: p.x, y: p.y, width: bw, height: bh, rx: 4, fill: colour[n.status] || '#8d96a3', class: 'node s-' + n.status }));
        const frac = n.tasks_total ? n.tasks_done / n.tasks_total : 0;
        box.appendChild(sv('rect', { x: p.x, y: p.y + bh - 4, width: bw * frac, height: 4, fill: '#ffffff', opacity: 0.7 }));
        box.appendChild(sv('text', { x: p.x + 8, y: p.y + 20, class: 'on-dark' }, b.label + ' · ' + n.status));
      } else {
        box = sv('g', {});
        box.appendChild(sv('rect', { x: p.x, y: p.y, width: bw, height: bh, rx: 4, fill: '#eef1f5', stroke: '#9aa3af' }));
        box.appendChild(sv('text', { x: p.x + 8, y: p.y + 20 }, b.label));
      }
      box.appendChild(sv('title', {}, b.label));
      g.appendChild(box);
    }));
    return g;
  }
  function renderRun(d) {
    const r = d.run;
    const nodes = d.nodes.map((n) => {
      const frac = n.tasks_total ? n.tasks_done / n.tasks_total : (n.status === 'published' ? 1 : 0);
      return el('tr', { 'data-node': n.name, 'data-status': n.status },
        td(el('a', { href: nodeLink(r.id, n.name), 'data-key': 'n:' + n.name }, n.name)), td(state(n.status)),
        td(bar(frac, n.name + ' progress'), ''), td(n.tasks_done + ' / ' + n.tasks_total, 'num tasks'),
        td(num(n.rows), 'num rows'), td(bytes(n.bytes), 'num'), td(num(n.rate) + ' rows/s', 'num'),
        td(secs(n.seconds), 'num'), td(num(n.retries), 'num'), td(n.skew.toFixed(2), 'num'));
    });
    replace([
      el('h1', {}, 'Run ' + r.id + ' ', state(r.status), d.live ? el('span', { class: 'live' }, ' · live') : null),
      el('div', { class: 'figures' }, figure('started', when(r.started)), figure('duration', secs(r.seconds)),
        figure('rows', num(r.rows)), figure('bytes read', bytes(r.bytes)), figure('nodes', num(d.nodes.length)),
        figure('failed nodes', num(r.tables_failed)),
        figure('errors and retries', el('a', { href: '/runs/' + enc(r.id) + '/errors', 'data-key': 'errors' }, num(d.errors.length)))),
      r.error ? el('p', { class: 'msg' }, r.error) : null,
      el('h2', {}, 'Graph'), graph(d),
      el('h2', {}, 'Nodes'),
      el('table', { id: 'nodes' }, el('thead', {}, el('tr', {}, th('node'), th('state'), th('progress'), th('tasks', 'num'),
        th('rows', 'num'), th('bytes', 'num'), th('rate', 'num'), th('time', 'num'), th('retries', 'num'), th('skew', 'num'))),
      el('tbody', {}, ...nodes)),
      el('h2', {}, 'Sources'),
      el('table', {}, el('thead', {}, el('tr', {}, th('source'), th('kind'), th('sessions in use', 'num'), th('max_connections', 'num'))),
        el('tbody', {}, ...d.sources.map((s) => el('tr', {}, td(s.name), td(s.kind), td(num(s.in_use), 'num'), td(num(s.max_connections), 'num')))))]);
  }
  async function runPage() {
    renderRun(await getJSON('/api/runs/' + enc(runId)));
    follow(renderRun);
  }

  // ---- node: tasks, skew, timeline, throughput ----
  function histogram(tasks) {
    const W = 520, H = 160, pad = 30;
    const rows = tasks.map((t) => t.rows);
    const max = Math.max(1, ...rows);
    const nb = Math.min(10, Math.max(1, tasks.length));
    const counts = new Array(nb).fill(0);
    for (const r of rows) counts[Math.min(nb - 1, Math.floor(r / max * nb))]++;
    const cmax = Math.max(1, ...counts);
    const g = sv('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, id: 'histogram', role: 'img',
      'aria-label': 'histogram of task sizes in rows' });
    const bw = (W - 2 * pad) / nb;
    counts.forEach((c, i) => {
      const h = (H - 2 * pad) * c / cmax;
      const r = sv('rect', { x: pad + i * bw + 1, y: H - pad - h, width: bw - 2, height: h, fill: '#1f5fbf' });
      r.appendChild(sv('title', {}, c + ' task(s) of ' + num(i * max / nb) + ' to ' + num((i + 1) * max / nb) + ' rows'));
      g.appendChild(r);
      if (c) g.appendChild(sv('text', { x: pad + i * bw + bw / 2 - 4, y: H - pad - h - 4 }, c));
    });
    g.appendChild(sv('line', { x1: pad, y1: H - pad, x2: W - pad, y2: H - pad, class: 'axis', stroke: '#d9dde3' }));
    g.appendChild(sv('text', { x: pad, y: H - 10 }, '0 rows'));
    g.appendChild(sv('text', { x: W - pad - 90, y: H - 10 }, num(max) + ' rows'));
    return g;
  }
  function span(n, now) {
    let t0 = Infinity, t1 = 0;
    for (const t of n.tasks) for (const a of t.attempt_list) {
      t0 = Math.min(t0, a.started); t1 = Math.max(t1, a.ended || now);
    }
    if (!isFinite(t0)) { t0 = now; t1 = now + 1; }
    if (t1 <= t0) t1 = t0 + 0.001;
    return [t0, t1];
  }
  function gantt(n, now) {
    const [t0, t1] = span(n, now);
    const workers = [...new Set(n.tasks.flatMap((t) => t.attempt_list.map((a) => a.worker)))].filter((w) => w >= 0).sort((a, b) => a - b);
    const W = 760, lane = 26, pad = 70, H = 40 + Math.max(1, workers.length) * lane;
    const g = sv('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, id: 'timeline', role: 'img',
      'aria-label': 'timeline of tasks per worker' });
    const x = (t) => pad + (W - pad - 10) * (t - t0) / (t1 - t0);
    const colour = { ok: '#2e7d32', running: '#1f5fbf', retry: '#b28704', failed: '#c62828', killed: '#c62828' };
    workers.forEach((w, i) => {
      g.appendChild(sv('text', { x: 4, y: 20 + i * lane + 14 }, 'worker ' + w));
      for (const t of n.tasks) for (const a of t.attempt_list) {
        if (a.worker !== w) continue;
        const x0 = x(a.started), x1 = Math.max(x0 + 2, x(a.ended || now));
        const r = sv('rect', { x: x0, y: 20 + i * lane, width: x1 - x0, height: lane - 6, rx: 2, fill: colour[a.outcome] || '#8d96a3', class: 'task' });
        r.appendChild(sv('title', {}, 'task ' + (t.index + 1) + ' attempt ' + a.number + ': ' + a.outcome + ', ' + secs((a.ended || now) - a.started)));
        g.appendChild(r);
      }
    });
    g.appendChild(sv('text', { x: pad, y: 14 }, '0 s'));
    g.appendChild(sv('text', { x: W - 70, y: 14 }, secs(t1 - t0)));
    return g;
  }
  function throughput(n, now) {
    const [t0, t1] = span(n, now);
    const nb = 40, dt = (t1 - t0) / nb, bins = new Array(nb).fill(0);
    for (const t of n.tasks) {
      const last = t.attempt_list[t.attempt_list.length - 1];
      if (!last || !(last.outcome === 'ok' || last.outcome === 'running')) continue;
      const a0 = last.started, a1 = last.ended || now, len = Math.max(a1 - a0, 1e-6);
      for (let i = 0; i < nb; i++) {
        const b0 = t0 + i * dt, b1 = b0 + dt;
        const ov = Math.min(a1, b1) - Math.max(a0, b0);
        if (ov > 0) bins[i] += t.rows * ov / len / dt;
      }
    }
    const W = 760, H = 150, pad = 30, max = Math.max(1, ...bins);
    const g = sv('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, id: 'throughput', role: 'img',
      'aria-label': 'throughput over time, rows per second' });
    const pts = bins.map((v, i) => (pad + (W - 2 * pad) * (i + 0.5) / nb).toFixed(1) + ',' + (H - pad - (H - 2 * pad) * v / max).toFixed(1));
    g.appendChild(sv('polyline', { points: pts.join(' '), fill: 'none', stroke: '#1f5fbf', 'stroke-width': 2 }));
    g.appendChild(sv('line', { x1: pad, y1: H - pad, x2: W - pad, y2: H - pad, stroke: '#d9dde3' }));
    g.appendChild(sv('text', { x: pad, y: 14 }, 'peak ' + num(max) + ' rows/s'));
    g.appendChild(sv('text', { x: W - 80, y: H - 10 }, secs(t1 - t0)));
    return g;
  }
  function renderNode(d) {
    const n = d.nodes[0], now = d.now, r = d.run;
    const src = d.sources.find((s) => s.name === n.source);
    const tasks = n.tasks.map((t) => el('tr', { 'data-task': t.index, 'data-status': t.status },
      td(t.index + 1, 'num'), td(t.predicate || '(whole table)', 'msg'), td(state(t.status)), td(num(t.rows), 'num'),
      td(bytes(t.bytes), 'num'), td(secs(t.seconds), 'num'), td(num(t.attempts), 'num'),
      td(t.worker >= 0 ? t.worker : '—', 'num'), td(t.error || '', 'msg')));
    replace([
      el('p', {}, el('a', { href: runLink(r.id), 'data-key': 'back' }, '← run ' + r.id)),
      el('h1', {}, 'Node ' + n.name + ' ', state(n.status), d.live ? el('span', { class: 'live' }, ' · live') : null),
      el('div', { class: 'figures' }, figure('rows', num(n.rows)), figure('bytes read', bytes(n.bytes)),
        figure('bytes written', bytes(n.file_bytes)), figure('rate', num(n.rate) + ' rows/s'),
        figure('tasks done', n.tasks_done + ' / ' + n.tasks_total), figure('retries', num(n.retries)),
        el('div', { class: 'figure', id: 'skew' }, el('b', {}, n.skew.toFixed(2)), el('span', {}, 'skew: largest / median task rows')),
        src ? figure('sessions in use / max_connections', src.in_use + ' / ' + src.max_connections) : null),
      n.error ? el('p', { class: 'msg' }, n.error) : null,
      el('h2', {}, 'Task sizes'), histogram(n.tasks),
      el('h2', {}, 'Timeline per worker'), gantt(n, now),
      el('h2', {}, 'Throughput'), throughput(n, now),
      el('h2', {}, 'Tasks'),
      el('table', { id: 'tasks' }, el('thead', {}, el('tr', {}, th('#', 'num'), th('predicate'), th('state'), th('rows', 'num'),
        th('bytes', 'num'), th('seconds', 'num'), th('attempts', 'num'), th('worker', 'num'), th('error'))),
      el('tbody', {}, ...tasks))]);
  }
  async function nodePage() {
    const url = '/api/runs/' + enc(runId) + '/nodes/' + enc(nodeName);
    const d = await getJSON(url);
    renderNode(d);
    if (d.live) follow(renderNode, nodeName);
  }

  // ---- errors and retries ----
  function renderErrors(d) {
    const rows = d.errors.map((e) => el('tr', {}, td(el('a', { href: nodeLink(d.run.id, e.node) }, e.node)),
      td(e.task >= 0 ? e.task + 1 : '—', 'num'), td(e.attempt || '—', 'num'), td(e.worker >= 0 ? e.worker : '—', 'num'),
      td(state(e.outcome)), td(e.code || ''), td(when(e.time)), td(e.message || '', 'msg')));
    replace([el('p', {}, el('a', { href: runLink(d.run.id) }, '← run ' + d.run.id)),
      el('h1', {}, 'Errors and retries of run ' + d.run.id),
      d.run.error ? el('p', { class: 'msg' }, d.run.error) : null,
      rows.length ? el('table', { id: 'errors' }, el('thead', {}, el('tr', {}, th('node'), th('task', 'num'), th('attempt', 'num'),
        th('worker', 'num'), th('outcome'), th('code'), th('when'), th('message'))), el('tbody', {}, ...rows))
        : el('p', {}, 'No error and no retry in this run.')]);
  }
  async function errorsPage() {
    const d = await getJSON('/api/runs/' + enc(runId));
    renderErrors(d);
    if (d.live) follow(renderErrors);
  }

  const pages = { runs: runsPage, run: runPage, node: nodePage, errors: errorsPage };
  (pages[kind] || runsPage)().catch(fail);
})();
