// A minimal read-only status page: every site's HA status at a glance, refreshed every 5 s. It is
// static; the browser asks for a viewer token once and reads /api/v1/status with it.
import type { FastifyInstance } from 'fastify';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tandem — sites</title>
<style>
body{font:14px system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;width:100%}th,td{padding:.4rem .6rem;border-bottom:1px solid #ddd;text-align:left}
.ok{color:#17803d;font-weight:600}.bad{color:#b42318;font-weight:600}.muted{color:#888}
</style></head><body>
<h1>Sites</h1><p id="msg" class="muted">loading…</p>
<table><thead><tr><th>site</th><th>kind</th><th>HA</th><th>status</th><th>active</th>
<th>connected</th><th>keepalive</th><th>same version</th><th>primary</th><th>secondary</th></tr></thead>
<tbody id="rows"></tbody></table>
<script>
const key = 'tandem-viewer-token';
function token() {
  let t = localStorage.getItem(key);
  if (!t) { t = prompt('Viewer or admin API token'); if (t) localStorage.setItem(key, t); }
  return t;
}
function cell(text, cls) { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; return td; }
function flag(v) { return cell(v ? 'OK' : 'fail', v ? 'ok' : 'bad'); }
function node(n) { return n ? cell(n.state === null ? 'no report' : n.state + (n.stale ? ' (stale)' : ''), n.stale ? 'bad' : '') : cell('—', 'muted'); }
async function refresh() {
  const res = await fetch('/api/v1/status?limit=500', { headers: { authorization: 'Bearer ' + token() } });
  const msg = document.getElementById('msg');
  if (res.status === 401) { localStorage.removeItem(key); msg.textContent = 'token refused'; return; }
  const body = await res.json();
  const rows = document.getElementById('rows');
  rows.replaceChildren(...body.sites.map((s) => {
    const tr = document.createElement('tr');
    tr.append(cell(s.name), cell(s.kind), cell(s.ha_enabled ? 'on' : 'off'),
      cell(s.split_brain ? 'SPLIT BRAIN' : s.ready ? 'Ready' : 'Not Ready', s.ready ? 'ok' : 'bad'),
      cell(s.active), flag(s.indicators.connected), flag(s.indicators.keepalive), flag(s.indicators.same_version),
      node(s.nodes.primary), node(s.nodes.secondary));
    return tr;
  }));
  msg.textContent = body.sites.length + ' sites, updated ' + new Date().toLocaleTimeString();
}
refresh(); setInterval(refresh, 5000);
</script></body></html>`;

export function pageRoutes(app: FastifyInstance): void {
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
}
