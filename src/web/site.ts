// A site's page: its status and why, the pair, the timeline of state changes and failovers, the
// network ranges, and (for admins) its cloud settings and the secondary node.
import { call } from './api.js';
import { h } from './dom.js';
import { ago, when } from './format.js';
import { live } from './live.js';
import type { Page } from './main.js';
import { HEALTH_LABEL, type Reasons, reasonsOf } from './reasons.js';
import { pairSection, settingsSection } from './site-admin.js';
import { timelineSection } from './site-timeline.js';
import { badge } from './sites.js';
import { healthOfStatus, nodeBriefOf } from './status.js';
import type { NodeStatus, SiteView } from './types.js';

const INDICATORS = [
  ['connected', 'Connected', 'both nodes reach the WAN / cloud'],
  ['keepalive', 'Keepalive', 'one active, one standby, hearing each other'],
  ['same_version', 'Same version', 'the same major software version'],
] as const;

function indicators(site: SiteView, reasons: Reasons): HTMLElement {
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

function pairTable(site: SiteView): HTMLElement {
  const now = Date.now();
  const nodes = [site.status.nodes.primary, site.status.nodes.secondary];
  const configs = [site.nodes.primary, site.nodes.secondary];
  const rows: [string, (n: NodeStatus, i: number) => string][] = [
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
    ['Config digest in force', (n) => n.config_digest ?? 'not reported by this agent'],
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
          {},
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
  main.append(top, timeline.element, admin);
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
    const health = healthOfStatus(site.status);
    const reasons = reasonsOf({
      ha_enabled: site.ha_enabled,
      primary: nodeBriefOf(site.status.nodes.primary),
      secondary: nodeBriefOf(site.status.nodes.secondary),
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
      h(
        'div',
        { class: 'two' },
        h(
          'section',
          { 'aria-labelledby': 'pair-title' },
          h('h2', { id: 'pair-title' }, 'Pair'),
          pairTable(site),
        ),
        networkSection(site),
      ),
    );
    const key = JSON.stringify([site.name, site.cloud, site.nodes]);
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
  const offResync = live.on('resync', schedule);
  void load();
  return () => {
    alive = false;
    offSite();
    offResync();
    if (reloading !== null) clearTimeout(reloading);
  };
};
