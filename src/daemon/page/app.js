// The fleet page: reads the daemon's read-only API and redraws every 5 s. Data is only ever
// put into the page as text (textContent), never as markup.
'use strict';

const REFRESH_MS = 5000;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function cell(tr, label, text, cls) {
  const td = el('td', text, cls);
  td.dataset.label = label;
  tr.appendChild(td);
  return td;
}

function verdictBadge(v) {
  return el('span', v || 'unknown', 'verdict ' + (v || 'unknown'));
}

async function getJSON(path) {
  const r = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (!r.ok) throw new Error((body && body.error) || (path + ': HTTP ' + r.status));
  return body;
}

function vipOn(c) {
  const h = c.vip_holders;
  const asked = (c.nodes || []).some(n => n.live && n.live.holds_vip !== null &&
    n.live.holds_vip !== undefined);
  if (!h || !asked) return '? (hosts not asked)';
  if (h.length === 0) return 'nobody';
  const master = (c.master || '').split(':')[0];
  if (h.length === 1 && h[0] === master) return 'master';
  return h.join(', ') + (h.length > 1 ? ' (split!)' : '');
}

function replicas(c) {
  const n = (c.nodes || []).filter(x => x.role === 'replica').length;
  return (c.replicas_running !== undefined ? c.replicas_running : '?') + '/' + n + ' running';
}

function showError(msg) {
  const e = document.getElementById('error');
  e.hidden = !msg;
  e.textContent = msg || '';
}

async function drawHealth() {
  const h = document.getElementById('health');
  try {
    const r = await fetch('/api/v1/health', { cache: 'no-store' });
    const b = await r.json();
    const age = b.status_pass && b.status_pass.age_seconds !== null ?
      ' · status pass ' + b.status_pass.age_seconds + ' s ago' : '';
    h.textContent = 'daemon ' + b.status + ' · v' + b.version + ' · ' + b.engines_running +
      '/' + b.clusters + ' engines running' + age;
    h.className = 'health' + (b.status === 'ok' ? '' : ' bad');
  } catch (e) {
    h.textContent = 'daemon unreachable';
    h.className = 'health bad';
  }
}

async function drawFleet() {
  const doc = await getJSON('/api/v1/clusters');
  const tbody = document.querySelector('#clusters tbody');
  const rows = [];
  let bad = 0;
  for (const c of doc.clusters) {
    const tr = el('tr', null, 'clickable');
    tr.dataset.cluster = c.name;
    tr.dataset.verdict = c.verdict || 'unknown';
    const a = el('a', c.name);
    a.href = '#/cluster/' + encodeURIComponent(c.name);
    cell(tr, 'Cluster', null).appendChild(a);
    cell(tr, 'Verdict', null).appendChild(verdictBadge(c.verdict));
    cell(tr, 'State', c.state);
    cell(tr, 'Master', c.master || '-');
    cell(tr, 'VIP on', c.vip + ' → ' + vipOn(c));
    cell(tr, 'Replicas', replicas(c), 'num');
    cell(tr, 'Lag', c.max_lag === null || c.max_lag === undefined ? '-' : c.max_lag + ' s', 'num');
    cell(tr, 'Last failover', c.last_failover || 'never', 'num');
    cell(tr, 'Reason', c.verdict === 'ok' ? '-' : (c.reason || c.problem || '-'), 'reason');
    tr.addEventListener('click', ev => {
      if (ev.target.tagName !== 'A') location.hash = '#/cluster/' + encodeURIComponent(c.name);
    });
    if (c.verdict !== 'ok') bad++;
    rows.push(tr);
  }
  tbody.replaceChildren(...rows);
  document.getElementById('summary').textContent = doc.clusters.length + ' cluster' +
    (doc.clusters.length === 1 ? '' : 's') + ', ' + bad + ' not ok · status pass at ' +
    doc.generated_at + ' UTC';
}

function fact(dl, k, v) {
  dl.appendChild(el('dt', k));
  dl.appendChild(el('dd', v === null || v === undefined || v === '' ? '-' : v));
}

async function drawCluster(name) {
  const doc = await getJSON('/api/v1/clusters/' + encodeURIComponent(name));
  const c = doc.clusters[0];
  document.getElementById('title').textContent = 'cluster ' + c.name;
  const dl = document.getElementById('facts');
  dl.replaceChildren();
  dl.appendChild(el('dt', 'Verdict'));
  const dd = el('dd');
  dd.appendChild(verdictBadge(c.verdict));
  dd.appendChild(document.createTextNode(' ' + (c.reason || '')));
  dl.appendChild(dd);
  fact(dl, 'State', c.state + ' (desired ' + c.desired + ')');
  fact(dl, 'Master', c.master);
  fact(dl, 'VIP', c.vip + '/' + c.vip_prefix + ' on ' + c.iface + ' → ' + vipOn(c));
  fact(dl, 'Engine', c.engine ? c.engine.name + (c.engine.running ? ' pid ' + c.engine.pid +
    ' ' + (c.engine.health || '') : ' not running') : '-');
  fact(dl, 'Last failover', c.last_failover || 'never');
  if (c.problem) fact(dl, 'Why', c.problem);
  fact(dl, 'Status pass', doc.generated_at + ' UTC');

  const rows = [];
  for (const n of c.nodes) {
    const l = n.live || {};
    const tr = el('tr');
    tr.dataset.node = n.host + ':' + n.port;
    cell(tr, 'Node', n.host + ':' + n.port);
    cell(tr, 'Role', n.role);
    cell(tr, 'Up', l.reachable ? 'yes' : 'NO', l.reachable ? '' : 'bad');
    cell(tr, 'Read only', l.read_only === null || l.read_only === undefined ? '-' :
      (l.read_only ? 'ON' : 'OFF'));
    cell(tr, 'IO / SQL', l.replicating ? (l.io_running ? 'yes' : 'NO') + ' / ' +
      (l.sql_running ? 'yes' : 'NO') : '-');
    cell(tr, 'Lag', l.seconds_behind_master === null || l.seconds_behind_master === undefined ?
      '-' : l.seconds_behind_master + ' s', 'num');
    cell(tr, 'VIP', l.holds_vip === null || l.holds_vip === undefined ? '?' :
      (l.holds_vip ? 'YES' : 'no'));
    cell(tr, 'Promotion', n.role !== 'replica' ? '-' :
      (l.promotable ? (n.candidate_master ? 'candidate' : 'allowed') :
        (l.not_promotable_reason || 'no')));
    rows.push(tr);
  }
  document.querySelector('#nodes tbody').replaceChildren(...rows);

  const fl = (c.findings || []).map(f => {
    const li = el('li');
    li.appendChild(verdictBadge(f.severity));
    li.appendChild(document.createTextNode(' ' + f.message + (f.fix ? ' — to do: ' + f.fix : '')));
    return li;
  });
  if (fl.length === 0) fl.push(el('li', 'none'));
  document.getElementById('findings').replaceChildren(...fl);

  const ev = await getJSON('/api/v1/events?limit=50&cluster=' + encodeURIComponent(name));
  const erows = ev.events.slice().reverse().map(e => {
    const tr = el('tr');
    cell(tr, '#', e.id, 'num');
    cell(tr, 'Time', e.at, 'num');
    cell(tr, 'Type', e.type);
    cell(tr, 'Message', e.message, 'msg');
    return tr;
  });
  document.querySelector('#events tbody').replaceChildren(...erows);
}

async function draw() {
  const m = location.hash.match(/^#\/cluster\/(.+)$/);
  document.getElementById('fleet').hidden = !!m;
  document.getElementById('cluster').hidden = !m;
  if (!m) document.getElementById('title').textContent = 'fleet';
  try {
    await Promise.all([drawHealth(), m ? drawCluster(decodeURIComponent(m[1])) : drawFleet()]);
    showError(null);
  } catch (e) {
    showError(e.message);
  }
}

window.addEventListener('hashchange', draw);
draw();
setInterval(draw, REFRESH_MS);
