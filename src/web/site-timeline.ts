// The site page's timeline: the last day or week of state changes and failovers, drawn as SVG,
// with the failovers listed as text. A link from the events page (?event=<id>&at=<ms>) opens the
// window that holds that failover and points at it.
import { call, query } from './api.js';
import { timelineChart } from './chart.js';
import { h } from './dom.js';
import { duration, when } from './format.js';
import { DAY_MS, type Failover, failovers, segments, WEEK_MS, type Window } from './timeline.js';
import type { EventView, SiteView } from './types.js';

/** A week of a flapping pair could hold many changes: read at most this many pages of 500. */
const PAGES_MAX = 4;

async function eventsIn(site_id: string, type: string, w: Window): Promise<EventView[]> {
  const out: EventView[] = [];
  let cursor: number | null = null;
  for (let i = 0; i < PAGES_MAX; i++) {
    const page: { events: EventView[]; next_cursor: number | null } = await call(
      'GET',
      `/api/v1/events${query({ site_id, type, since: w.from, until: w.to, limit: 500, cursor })}`,
    );
    out.push(...page.events);
    cursor = page.next_cursor;
    if (cursor === null) break;
  }
  return out;
}

function failoverTable(fails: readonly Failover[], highlight: number | null): HTMLElement {
  return h(
    'table',
    { id: 'failovers' },
    h('caption', {}, 'Failovers in this window'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Secondary active since', 'Traffic moved in', 'Active for (when recorded)'].map((t) =>
          h('th', { scope: 'col' }, t),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      fails.length === 0
        ? h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'no failover'))
        : fails.map((f) =>
            h(
              'tr',
              {
                id: `failover-row-${f.event_id}`,
                class: f.event_id === highlight ? 'highlight' : '',
                tabindex: f.event_id === highlight ? -1 : null,
              },
              h('td', {}, when(f.at)),
              h('td', {}, f.claim_ms === null ? 'not reported' : duration(f.claim_ms)),
              h('td', {}, f.active_for_ms === null ? '—' : duration(f.active_for_ms)),
            ),
          ),
    ),
  );
}

export function timelineSection(
  site_id: string,
  params: URLSearchParams,
): { element: HTMLElement; reload(): void; setCurrent(site: SiteView): void } {
  const highlight = params.has('event') ? Number(params.get('event')) : null;
  const target = params.has('at') ? Number(params.get('at')) : null;
  let span = target !== null && Date.now() - target > DAY_MS ? WEEK_MS : DAY_MS;
  let current: { primary: string | null; secondary: string | null } = { primary: null, secondary: null };
  let focused = false;
  let gen = 0;

  const body = h('div', { class: 'chart', 'aria-busy': 'true' });
  const pick = (ms: number, label: string) =>
    h(
      'button',
      {
        type: 'button',
        'data-span': label,
        'aria-pressed': span === ms ? 'true' : 'false',
        onclick: (e: Event) => {
          span = ms;
          for (const b of buttons.querySelectorAll('button'))
            b.setAttribute('aria-pressed', b === e.currentTarget ? 'true' : 'false');
          void draw();
        },
      },
      label,
    );
  const buttons = h(
    'div',
    { class: 'toggle', role: 'group', 'aria-label': 'Time span' },
    pick(DAY_MS, 'Last day'),
    pick(WEEK_MS, 'Last week'),
  );
  const element = h(
    'section',
    { id: 'timeline', 'aria-labelledby': 'tl-title' },
    h('h2', { id: 'tl-title' }, 'Timeline'),
    buttons,
    body,
  );

  function windowNow(): Window {
    const now = Date.now();
    // A failover older than a week: centre the window on it.
    if (target !== null && now - target > WEEK_MS) return { from: target - span / 2, to: target + span / 2 };
    return { from: now - span, to: now };
  }

  async function draw(): Promise<void> {
    const mine = ++gen;
    const w = windowNow();
    body.setAttribute('aria-busy', 'true');
    const [changes, fails] = await Promise.all([
      eventsIn(site_id, 'state-change', w),
      // A failover is recorded after the secondary stayed active a while: look a little past the window.
      eventsIn(site_id, 'failover', { from: w.from, to: w.to + DAY_MS }),
    ]);
    if (mine !== gen) return;
    const marks = failovers(fails, w);
    body.replaceChildren(
      timelineChart(segments(changes, w, current), marks, w, highlight),
      h(
        'p',
        { class: 'legend muted' },
        ...['active', 'standby', 'fault', 'maintenance', 'init', 'disabled', 'unknown'].map((s) =>
          h(
            'span',
            {},
            h('span', { class: `swatch st-${s}`, 'aria-hidden': 'true' }),
            s === 'unknown' ? 'no report' : s,
          ),
        ),
      ),
      failoverTable(marks, highlight),
    );
    body.setAttribute('aria-busy', 'false');
    if (highlight !== null && !focused) {
      const row = document.getElementById(`failover-row-${highlight}`);
      if (row) {
        focused = true;
        row.scrollIntoView({ block: 'center' });
        row.focus();
      }
    }
  }

  return {
    element,
    reload: () => void draw(),
    setCurrent(site) {
      const first = current.primary === null && current.secondary === null;
      current = {
        primary: site.status.nodes.primary?.state ?? null,
        secondary: site.status.nodes.secondary?.state ?? null,
      };
      if (first) void draw();
    },
  };
}
