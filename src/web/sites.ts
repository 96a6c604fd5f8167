// Every site at a glance: counts per status, search, filter and sort on the server, and a
// virtualised list that draws only the rows in view, fetching pages of 100 as they scroll in, so
// 10,000 sites cost the browser a few dozen rows. Live updates patch rows in place.
import { call, query } from './api.js';
import { announce, h } from './dom.js';
import { ago } from './format.js';
import { live } from './live.js';
import type { Page } from './main.js';
import { HEALTH_LABEL, headline } from './reasons.js';
import { HEALTHS, type Health, type NodeBrief, type Overview, type SiteSummary } from './types.js';

const PAGE = 100;
const ROW_PX = 40;
const OVERSCAN = 8;
/** After a live update, re-read counts and membership once things settle. */
const REFRESH_MS = 1000;

type Sort = 'name' | 'health' | 'kind' | 'last_failover';
interface Filter {
  q: string;
  health: Health | '';
  kind: string;
  sort: Sort;
  order: 'asc' | 'desc';
}

const COLUMNS: readonly { label: string; sort?: Sort }[] = [
  { label: 'Site', sort: 'name' },
  { label: 'Status', sort: 'health' },
  { label: 'Active' },
  { label: 'Kind', sort: 'kind' },
  { label: 'Primary' },
  { label: 'Secondary' },
  { label: 'Last failover', sort: 'last_failover' },
  { label: 'Why' },
];

function filterOf(params: URLSearchParams): Filter {
  const health = params.get('health') ?? '';
  const sort = params.get('sort') ?? 'name';
  return {
    q: params.get('q') ?? '',
    health: (HEALTHS as readonly string[]).includes(health) ? (health as Health) : '',
    kind: params.get('kind') ?? '',
    sort: (['name', 'health', 'kind', 'last_failover'].includes(sort) ? sort : 'name') as Sort,
    order: params.get('order') === 'desc' ? 'desc' : 'asc',
  };
}

function nodeText(n: NodeBrief | null): string {
  if (n === null) return '—';
  if (!n.enrolled) return 'not enrolled';
  if (!n.reported) return 'no report';
  return `${n.state ?? '?'}${n.stale ? ' (stale)' : ''}`;
}

export function badge(health: Health): HTMLElement {
  return h('span', { class: `badge h-${health}` }, HEALTH_LABEL[health]);
}

export const sitesPage: Page = (main, params) => {
  const f = filterOf(params);
  let gen = 0;
  let pages = new Map<number, readonly SiteSummary[]>();
  const loading = new Set<string>();
  let total = 0;
  let counts: Record<Health, number> | null = null;
  let active = 0;
  let refreshTimer: number | null = null;
  let firstPaint = true;

  const countBar = h('div', { class: 'counts', role: 'group', 'aria-label': 'Show sites by status' });
  const search = h('input', {
    id: 'site-search',
    type: 'search',
    value: f.q,
    placeholder: 'name contains…',
    autocomplete: 'off',
  });
  const kind = h(
    'select',
    { id: 'site-kind' },
    ...['', 'physical', 'aws', 'azure', 'pathwatch'].map((k) =>
      h('option', { value: k, selected: k === f.kind }, k === '' ? 'every kind' : k),
    ),
  );
  const totalText = h('span', { id: 'site-total', class: 'muted', 'aria-live': 'polite' });
  const spacer = h('div', { class: 'spacer', role: 'rowgroup' });
  const viewport = h('div', { class: 'viewport' }, spacer);
  const headRow = h('div', { role: 'row', class: 'row head', 'aria-rowindex': 1 });
  const grid = h(
    'div',
    { id: 'sites-grid', role: 'grid', 'aria-label': 'Sites', tabindex: 0, 'aria-rowcount': 1 },
    h('div', { role: 'rowgroup' }, headRow),
    viewport,
  );

  main.append(
    h('h1', {}, 'Sites'),
    countBar,
    h(
      'div',
      { class: 'controls' },
      h('label', { for: 'site-search' }, 'Search'),
      search,
      h('label', { for: 'site-kind' }, 'Kind'),
      kind,
      totalText,
    ),
    grid,
    h('p', { class: 'muted hint' }, 'Keys: ↑ ↓ move, Page Up/Down, Home/End, Enter opens the site.'),
  );

  function writeUrl(): void {
    const q = query({
      q: f.q,
      health: f.health,
      kind: f.kind,
      sort: f.sort === 'name' ? '' : f.sort,
      order: f.order === 'asc' ? '' : f.order,
    });
    history.replaceState(null, '', `#/sites${q}`);
  }

  function drawHead(): void {
    headRow.replaceChildren(
      ...COLUMNS.map((c) => {
        const sorted = c.sort !== undefined && c.sort === f.sort;
        const aria = sorted ? (f.order === 'asc' ? 'ascending' : 'descending') : c.sort ? 'none' : null;
        const inner =
          c.sort === undefined
            ? c.label
            : h(
                'button',
                { type: 'button', class: 'sort', onclick: () => setSort(c.sort!) },
                c.label,
                sorted ? (f.order === 'asc' ? ' ▲' : ' ▼') : '',
              );
        return h('div', { role: 'columnheader', 'aria-sort': aria }, inner);
      }),
    );
  }

  function drawCounts(): void {
    if (counts === null) return;
    const all = HEALTHS.reduce((n, k) => n + counts![k], 0);
    const button = (value: Health | '', label: string, n: number) =>
      h(
        'button',
        {
          type: 'button',
          class: `count ${value === '' ? '' : `h-${value}`}`,
          'aria-pressed': f.health === value ? 'true' : 'false',
          'data-health': value,
          onclick: () => setFilter({ health: value }),
        },
        h('span', { class: 'n' }, n.toLocaleString()),
        ` ${label}`,
      );
    countBar.replaceChildren(
      button('', 'All', all),
      ...HEALTHS.map((k) => button(k, HEALTH_LABEL[k], counts![k])),
    );
  }

  function siteAt(i: number): SiteSummary | undefined {
    return pages.get(Math.floor(i / PAGE))?.[i % PAGE];
  }

  function row(i: number): HTMLElement {
    const s = siteAt(i);
    const el = h('div', {
      role: 'row',
      id: `site-row-${i}`,
      class: `row${i === active ? ' active' : ''}`,
      'aria-rowindex': i + 2,
      'aria-selected': i === active ? 'true' : 'false',
    });
    el.style.transform = `translateY(${i * ROW_PX}px)`;
    el.addEventListener('click', () => setActive(i, false));
    if (s === undefined) {
      el.append(h('div', { role: 'gridcell', class: 'muted' }, 'loading…'));
      return el;
    }
    el.dataset.siteId = s.site_id;
    const cell = (...c: (Node | string)[]) => h('div', { role: 'gridcell' }, ...c);
    el.append(
      cell(h('a', { href: `#/site/${encodeURIComponent(s.site_id)}`, tabindex: -1 }, s.name)),
      cell(badge(s.health)),
      cell(s.active),
      cell(s.kind),
      cell(nodeText(s.primary)),
      cell(nodeText(s.secondary)),
      cell(ago(s.last_failover_at, Date.now())),
      cell(s.health === 'ready' ? '' : headline(s)),
    );
    return el;
  }

  function draw(): void {
    spacer.style.height = `${total * ROW_PX}px`;
    grid.setAttribute('aria-rowcount', String(total + 1));
    const top = viewport.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW_PX) - OVERSCAN);
    const last = Math.min(total - 1, Math.ceil((top + viewport.clientHeight) / ROW_PX) + OVERSCAN);
    const rows: HTMLElement[] = [];
    for (let i = first; i <= last; i++) {
      if (siteAt(i) === undefined) void load(Math.floor(i / PAGE));
      rows.push(row(i));
    }
    spacer.replaceChildren(...rows);
    if (total > 0) grid.setAttribute('aria-activedescendant', `site-row-${active}`);
    else grid.removeAttribute('aria-activedescendant');
    totalText.textContent = `${total.toLocaleString()} site${total === 1 ? '' : 's'}`;
    if (firstPaint && pages.size > 0) {
      firstPaint = false;
      performance.mark('tandem:sites-rendered');
    }
  }

  async function fetchPage(p: number): Promise<Overview> {
    return call<Overview>(
      'GET',
      `/api/v1/overview${query({ q: f.q, health: f.health, kind: f.kind, sort: f.sort, order: f.order, offset: p * PAGE, limit: PAGE })}`,
    );
  }

  async function load(p: number): Promise<void> {
    const key = `${gen}:${p}`;
    if (loading.has(key)) return;
    loading.add(key);
    const mine = gen;
    try {
      const o = await fetchPage(p);
      if (mine !== gen) return;
      pages.set(p, o.sites);
      total = o.total;
      counts = o.counts;
      drawCounts();
      draw();
      // Benchmarks time filters and scrolling by this mark.
      performance.mark('tandem:sites-loaded', { detail: { page: p } });
    } catch (err) {
      totalText.textContent = `could not load sites: ${String(err)}`;
    } finally {
      loading.delete(key);
    }
  }

  /** Re-reads the pages in view and swaps them in at once (no flash of "loading"). */
  async function refresh(): Promise<void> {
    const mine = ++gen;
    const first = Math.floor(viewport.scrollTop / ROW_PX / PAGE);
    const last = Math.floor((viewport.scrollTop + viewport.clientHeight) / ROW_PX / PAGE);
    const wanted = [...new Set([first, last])];
    const got = await Promise.all(wanted.map((p) => fetchPage(p).then((o) => [p, o] as const)));
    if (mine !== gen) return;
    pages = new Map(got.map(([p, o]) => [p, o.sites]));
    const o = got[0]![1];
    total = o.total;
    counts = o.counts;
    active = Math.min(active, Math.max(0, total - 1));
    drawCounts();
    draw();
    // A refresh that overtook a filter's first load draws its result: the same mark as load's.
    performance.mark('tandem:sites-loaded', { detail: { page: first } });
  }

  function reset(): void {
    gen++;
    pages = new Map();
    active = 0;
    viewport.scrollTop = 0;
    writeUrl();
    drawHead();
    drawCounts();
    void load(0);
  }

  function setFilter(change: Partial<Filter>): void {
    Object.assign(f, change);
    reset();
  }

  function setSort(sort: Sort): void {
    setFilter(sort === f.sort ? { order: f.order === 'asc' ? 'desc' : 'asc' } : { sort, order: 'asc' });
  }

  function setActive(i: number, scroll: boolean): void {
    active = Math.max(0, Math.min(total - 1, i));
    if (scroll) {
      const top = active * ROW_PX;
      if (top < viewport.scrollTop) viewport.scrollTop = top;
      else if (top + ROW_PX > viewport.scrollTop + viewport.clientHeight)
        viewport.scrollTop = top + ROW_PX - viewport.clientHeight;
    }
    draw();
    const s = siteAt(active);
    if (s !== undefined && scroll) announce(`${s.name}: ${HEALTH_LABEL[s.health]}`);
  }

  grid.addEventListener('keydown', (e) => {
    const visible = Math.max(1, Math.floor(viewport.clientHeight / ROW_PX) - 1);
    const moves: Record<string, number> = {
      ArrowDown: active + 1,
      ArrowUp: active - 1,
      PageDown: active + visible,
      PageUp: active - visible,
      Home: 0,
      End: total - 1,
    };
    const to = moves[e.key];
    if (to !== undefined) {
      e.preventDefault();
      setActive(to, true);
    } else if (e.key === 'Enter') {
      const s = siteAt(active);
      if (s !== undefined) location.hash = `#/site/${encodeURIComponent(s.site_id)}`;
    }
  });
  viewport.addEventListener('scroll', () => draw(), { passive: true });

  let typing: number | null = null;
  search.addEventListener('input', () => {
    if (typing !== null) clearTimeout(typing);
    typing = window.setTimeout(() => setFilter({ q: search.value }), 120);
  });
  kind.addEventListener('change', () => setFilter({ kind: kind.value }));
  window.addEventListener('resize', draw);

  const offSite = live.on('site', (s) => {
    for (const [p, list] of pages) {
      const i = list.findIndex((x) => x.site_id === s.site_id);
      if (i < 0) continue;
      if (list[i]!.health !== s.health) announce(`${s.name} is now ${HEALTH_LABEL[s.health]}`);
      const copy = list.slice();
      copy[i] = s;
      pages.set(p, copy);
      draw();
    }
    if (refreshTimer === null)
      refreshTimer = window.setTimeout(() => {
        refreshTimer = null;
        void refresh();
      }, REFRESH_MS);
  });
  const offRemoved = live.on('site-removed', () => void refresh());
  const offResync = live.on('resync', () => void refresh());

  reset();
  return () => {
    offSite();
    offRemoved();
    offResync();
    window.removeEventListener('resize', draw);
    if (refreshTimer !== null) clearTimeout(refreshTimer);
    gen++;
  };
};
