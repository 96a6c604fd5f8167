// A site's page: its status and why, the pair, the timeline of state changes and failovers, the
// network ranges, and (for admins) its cloud settings and the secondary node.
import { call } from './api.js';
import { h } from './dom.js';
import { ago, when } from './format.js';
import { live } from './live.js';
import type { Page } from './main.js';
import { aloneReasons, HEALTH_LABEL, type Reasons, reasonsOf } from './reasons.js';
import { pairSection, settingsSection } from './site-admin.js';
import { recentEvents } from './site-events.js';
import { operations } from './site-operations.js';
import { timelineSection } from './site-timeline.js';
import { badge } from './sites.js';
import {
  healthOf,
  type NodeConfig,
  type NodeStatus,
  nodeBrief,
  type PathView,
  type PathwatchView,
  type SiteView,
} from './types.js';

const POLL_MS = 5000;

const INDICATORS = [
  ['connected', 'Connected', 'both nodes reach the WAN / cloud'],
  ['keepalive', 'Keepalive', 'one active, one standby, hearing each other'],
  ['same_version', 'Same version', 'the same major software version'],
] as const;

/** HA off: the pair's indicators do not apply; the primary alone is Ready when heard, active, WAN up. */
function alone(site: SiteView): HTMLElement {
  const why = site.status.ready ? [] : aloneReasons(nodeBrief(site.status.nodes.primary));
  return h(
    'section',
    { 'aria-labelledby': 'ind-title' },
    h('h2', { id: 'ind-title' }, 'Indicators'),
    h(
      'div',
      { id: 'ha-off', class: `card alone ${site.status.ready ? 'ok' : 'bad'}` },
      site.kind === 'pathwatch'
        ? h(
            'p',
            {},
            h('strong', {}, 'Path failover: '),
            'one tandem pathwatch node, no peer. It is Ready when it could fail over now: heard and running, the route tables read, no route pointing elsewhere, the backup path not known to be down.',
          )
        : h(
            'p',
            {},
            h('strong', {}, 'HA is off: '),
            'no secondary node, so nothing takes over if the primary fails. Keepalive and Same version do not apply; add a secondary to turn HA on.',
          ),
      h(
        'p',
        {},
        site.status.ready
          ? 'The primary is heard, active and its WAN is up.'
          : h('strong', { class: 'bad' }, 'The primary is not Ready:'),
      ),
      why.length === 0 ? null : h('ul', { class: 'reasons' }, ...why.map((r) => h('li', {}, r))),
    ),
  );
}

function pathText(p: PathView | null): string {
  if (p === null) return 'not watched';
  if (p.up === null) return 'no round yet';
  const figures = [
    p.loss_pct === null ? null : `loss ${p.loss_pct.toFixed(0)} %`,
    p.rtt_ms === null ? null : `RTT ${p.rtt_ms.toFixed(1)} ms`,
  ].filter((x) => x !== null);
  return `${p.up ? 'up' : 'down'}${figures.length > 0 ? ` · ${figures.join(' · ')}` : ''}`;
}

/** A pathwatch site: which path carries the traffic, each path's health, the routes and the way back. */
function pathsSection(pw: PathwatchView | null | undefined): HTMLElement {
  const body =
    pw === null || pw === undefined
      ? [h('p', { class: 'muted' }, 'The pathwatch has not reported its paths yet.')]
      : [
          h(
            'p',
            {},
            'Traffic goes over ',
            h(
              'strong',
              { id: 'active-path' },
              pw.active_path === 'unknown'
                ? 'an unknown path'
                : `the ${pw.active_path} path (${pw[pw.active_path]?.label ?? '?'})`,
            ),
            pw.active_path === 'backup'
              ? ` · back to the primary after ${pw.failback_rounds} healthy rounds (${pw.healthy_rounds} so far)`
              : '',
          ),
          h(
            'table',
            { class: 'pair', id: 'paths' },
            h('caption', { class: 'sr-only' }, 'The paths'),
            h(
              'thead',
              {},
              h('tr', {}, h('th', { scope: 'col' }, 'Path'), h('th', { scope: 'col' }, 'Health')),
            ),
            h(
              'tbody',
              {},
              ...(['primary', 'backup'] as const).map((name) =>
                h(
                  'tr',
                  { 'data-path': name },
                  h('th', { scope: 'row' }, `${name}${pw[name] === null ? '' : ` (${pw[name]?.label})`}`),
                  h('td', { class: pw[name]?.up === false ? 'bad' : '' }, pathText(pw[name])),
                ),
              ),
            ),
          ),
          h(
            'p',
            { id: 'path-routes' },
            pw.routes === null
              ? 'Route tables not read yet.'
              : `Routes: ${pw.routes.ours} ours, ${pw.routes.missing} missing` +
                  (pw.routes.conflicts.length > 0
                    ? `, pointing elsewhere: ${pw.routes.conflicts.join(', ')}`
                    : ''),
          ),
          h('p', { class: 'muted' }, `${pw.failovers} failovers, ${pw.failbacks} failbacks since start.`),
        ];
  return h('section', { 'aria-labelledby': 'paths-title' }, h('h2', { id: 'paths-title' }, 'Paths'), ...body);
}

function indicators(site: SiteView, reasons: Reasons): HTMLElement {
  if (!site.ha_enabled) return alone(site);
  return h(
    'section',
    { 'aria-labelledby': 'ind-title' },
    h('h2', { id: 'ind-title' }, 'Indicators'),
    h(
      'ul',
      { class: 'indicators' },
      ...INDICATORS.map(([key, label, meaning]) => {
        const ok = site.status.indicators[key];
        return h(
          'li',
          { id: `ind-${key}`, class: ok ? 'ok' : 'bad' },
          h('span', { class: 'mark', 'aria-hidden': 'true' }, ok ? '✓' : '✗'),
          h('strong', {}, label),
          h('span', { class: 'verdict' }, ok ? ' OK' : ' not OK'),
          h('span', { class: 'muted' }, ` — ${meaning}`),
          ok ? null : h('ul', { class: 'reasons' }, ...reasons[key].map((r) => h('li', {}, r))),
        );
      }),
    ),
  );
}

function wanText(n: NodeStatus): string {
  if (n.wan === null || n.wan.length === 0) return n.wan_ok === null ? '—' : n.wan_ok ? 'up' : 'down';
  return n.wan.map((l) => `${l.name} ${l.up ? 'up' : 'down'}`).join(', ');
}

/** The settings version a node runs, against the site's; a refused version with its issues. */
function settingsCell(site: SiteView, c: NodeConfig | null): Node | string {
  const st = c?.settings ?? null;
  if (st === null) return 'not reported (the agent does not take managed settings, or has not reported)';
  const applied =
    st.applied_version === null
      ? 'local config only'
      : st.applied_version === site.settings_version
        ? `v${st.applied_version} applied (current)`
        : `v${st.applied_version} applied (the site is at v${site.settings_version})`;
  return h(
    'div',
    { class: 'settings-state', 'data-refused': st.refused === null ? null : String(st.refused.version) },
    applied,
    st.refused === null
      ? null
      : h(
          'div',
          { class: 'refused' },
          h('strong', {}, `refused v${st.refused.version}:`),
          h(
            'ul',
            { class: 'reasons' },
            ...st.refused.issues.map((i) => h('li', {}, h('code', {}, i.path), ` ${i.message}`)),
          ),
        ),
  );
}

function digestText(c: NodeConfig | null): string {
  const d = c?.settings?.config_digest;
  return d === undefined ? 'not reported by this agent' : d.slice(0, 16);
}

function pairTable(site: SiteView): HTMLElement {
  const now = Date.now();
  const nodes = [site.status.nodes.primary, site.status.nodes.secondary];
  const configs = [site.nodes.primary, site.nodes.secondary];
  const rows: [string, (n: NodeStatus, i: number) => Node | string][] = [
    [
      'State',
      (n) =>
        (n.state === null ? 'no report' : n.state) + (n.stale && n.last_report_at !== null ? ' (stale)' : ''),
    ],
    ['Active', (n) => (n.state === 'active' ? 'yes' : 'no')],
    ['Version', (n) => n.version ?? '—'],
    ['Connection (WAN)', wanText],
    ['Hears the peer', (n) => (n.hears_peer === null ? '—' : n.hears_peer ? 'yes' : 'no')],
    ['Last keepalive', (n) => (n.last_keepalive_at === null ? '—' : ago(n.last_keepalive_at, now))],
    ['Last report', (n) => ago(n.last_report_at, now)],
    ['Managed settings', (_n, i) => settingsCell(site, configs[i] ?? null)],
    ['Config digest in force', (_n, i) => digestText(configs[i] ?? null)],
    ['Model', (n) => n.model],
    ['Address', (n, i) => `${n.mgmt_ip} in ${configs[i]?.subnet ?? '?'}`],
    [
      'Enrolled',
      (n, i) => (n.enrolled ? 'yes' : `no — token expires ${when(configs[i]?.enrollment_expires_at ?? 0)}`),
    ],
  ];
  return h(
    'table',
    { class: 'pair', id: 'pair' },
    h('caption', { class: 'sr-only' }, 'The pair'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, ''),
        ...['Primary', 'Secondary'].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      {},
      ...rows.map(([label, get]) =>
        h(
          'tr',
          { 'data-row': label.toLowerCase().replace(/[^a-z]+/g, '-') },
          h('th', { scope: 'row' }, label),
          ...nodes.map((n, i) =>
            h('td', {}, n === null ? (i === 1 ? 'no secondary' : 'no primary') : get(n, i)),
          ),
        ),
      ),
    ),
  );
}

function networkSection(site: SiteView): HTMLElement {
  const net = site.network;
  return h(
    'section',
    { 'aria-labelledby': 'net-title' },
    h('h2', { id: 'net-title' }, 'Network ranges'),
    h(
      'table',
      { id: 'native-ranges' },
      h('caption', {}, 'Native ranges (the gateway is computed: network + 1)'),
      h(
        'thead',
        {},
        h('tr', {}, ...['Node', 'Range', 'Local IP', 'Gateway'].map((t) => h('th', { scope: 'col' }, t))),
      ),
      h(
        'tbody',
        {},
        ...net.native.map((r) =>
          h(
            'tr',
            {},
            h('td', {}, r.role),
            h('td', {}, r.subnet),
            h('td', {}, r.local_ip),
            h('td', {}, r.gateway),
          ),
        ),
      ),
    ),
    h(
      'table',
      { id: 'routed-ranges' },
      h('caption', {}, `Routed ranges (via the ${net.routed_via ?? 'active'} node's gateway now)`),
      h(
        'thead',
        {},
        h('tr', {}, ...['Name', 'Range', 'Gateway in use'].map((t) => h('th', { scope: 'col' }, t))),
      ),
      h(
        'tbody',
        {},
        net.routed.length === 0
          ? h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'none'))
          : net.routed.map((r) =>
              h(
                'tr',
                {},
                h('td', {}, r.name),
                h('td', {}, r.subnet),
                h('td', {}, `${r.gateway ?? '—'} (${net.routed_via ?? '—'})`),
              ),
            ),
      ),
    ),
  );
}

export const sitePage: Page = (main, params) => {
  const id = params.get('site_id')!;
  const top = h('div', {});
  const timeline = timelineSection(id, params);
  const admin = h('div', {});
  const ops = operations(id, () => changed());
  const events = recentEvents(id);
  const side = h('div', {});
  main.append(top, ops.element, timeline.element, admin);
  let reloading: number | null = null;
  let alive = true;
  /** The forms are redrawn only when what they edit changed, so a live update never wipes typing. */
  let adminKey = '';

  async function load(force = false, notice = ''): Promise<void> {
    let site: SiteView;
    try {
      site = await call<SiteView>('GET', `/api/v1/sites/${encodeURIComponent(id)}`);
    } catch (err) {
      top.replaceChildren(
        h('h1', {}, 'Site'),
        h('p', { role: 'alert' }, String(err instanceof Error ? err.message : err)),
      );
      return;
    }
    if (!alive) return;
    const health = healthOf(site.status);
    const reasons = reasonsOf({
      ha_enabled: site.ha_enabled,
      primary: nodeBrief(site.status.nodes.primary),
      secondary: nodeBrief(site.status.nodes.secondary),
    });
    document.title = `${site.name} · tandem`;
    top.replaceChildren(
      h('p', { class: 'crumbs' }, h('a', { href: '#/sites' }, 'Sites'), ' / ', site.name),
      h('h1', {}, site.name, ' ', h('span', { id: 'site-health' }, badge(health))),
      h(
        'p',
        { class: 'summary' },
        `${site.kind} site · active node: `,
        h('strong', { id: 'site-active' }, site.status.active),
        ` · ${HEALTH_LABEL[health]}`,
        h('a', { href: `#/events?site_id=${encodeURIComponent(id)}`, class: 'side' }, 'Events of this site'),
      ),
      indicators(site, reasons),
      ...(site.kind === 'pathwatch' ? [pathsSection(site.status.nodes.primary?.pathwatch)] : []),
      h(
        'div',
        { class: 'two' },
        h(
          'section',
          { 'aria-labelledby': 'pair-title' },
          h('h2', { id: 'pair-title' }, 'Pair'),
          pairTable(site),
        ),
        h('div', {}, networkSection(site), side),
      ),
    );
    side.append(events.element);
    ops.update(site);
    // What the nodes report (settings state, preflight) changes often and is not edited here.
    const nodes = [site.nodes.primary, site.nodes.secondary].map((n) =>
      n === null ? null : [n.id, n.model, n.mgmt_ip, n.subnet, n.enrolled, n.enrollment_expires_at],
    );
    const key = JSON.stringify([site.name, site.cloud, nodes]);
    if (force || key !== adminKey) {
      adminKey = key;
      admin.replaceChildren(
        h('div', { class: 'two' }, settingsSection(site, changed, notice), pairSection(site, changed)),
      );
    }
    timeline.setCurrent(site);
  }

  function changed(notice?: string): void {
    void load(true, notice);
  }

  function schedule(): void {
    if (reloading !== null) return;
    reloading = window.setTimeout(() => {
      reloading = null;
      void load();
      timeline.reload();
    }, 250);
  }

  const offSite = live.on('site', (s) => {
    if (s.site_id === id) schedule();
  });
  const offEvent = live.on('event', (e) => {
    if (e.site_id === id) events.reload();
  });
  const offResync = live.on('resync', () => {
    schedule();
    events.reload();
  });
  // Reports that change no status (a settings version applied, a new keepalive time) raise no event,
  // so the live stream does not name them: the page re-reads the site now and then while it is seen.
  const poll = window.setInterval(() => {
    // Not while the focus is in what a reload redraws: a keyboard user would lose their place.
    const focused = top.contains(document.activeElement) && document.activeElement !== top;
    if (document.visibilityState === 'visible' && reloading === null && !focused) void load();
  }, POLL_MS);
  void load();
  return () => {
    alive = false;
    clearInterval(poll);
    offSite();
    offEvent();
    offResync();
    events.stop();
    if (reloading !== null) clearTimeout(reloading);
  };
};
