// Events: filtered by site, type and time, paged by the API's cursor (newest first). A failover
// links to its place on the site's timeline.
import { call, query } from './api.js';
import { h } from './dom.js';
import { duration, localInput, when } from './format.js';
import type { Page } from './main.js';
import { EVENT_TYPES, type EventView, type Overview, type SiteStatus } from './types.js';

const LIMIT = 50;

/** Site names for the ids on a page, read once each. */
const names = new Map<string, string>();

async function nameOf(id: string): Promise<void> {
  if (names.has(id)) return;
  try {
    names.set(id, (await call<SiteStatus>('GET', `/api/v1/sites/${encodeURIComponent(id)}/status`)).name);
  } catch {
    names.set(id, `${id.slice(0, 8)}… (deleted)`);
  }
}

/** One line for an event, in words (the events page and the site's recent events). */
export function summary(e: EventView): string {
  const d = e.details;
  switch (e.type) {
    case 'state-change':
      return `${String(d.role)}: ${String(d.from ?? 'none')} → ${String(d.to)}`;
    case 'failover':
      return `the secondary took over${typeof d.claim_ms === 'number' ? `; traffic moved in ${duration(d.claim_ms)}` : ''}`;
    case 'split-brain':
      return 'both nodes active';
    case 'split-brain-resolved':
      return typeof d.lasted_ms === 'number' ? `lasted ${duration(d.lasted_ms)}` : '';
    case 'not-ready':
    case 'ready':
      return ['connected', 'keepalive', 'same_version']
        .map((k) => `${k.replace('_', ' ')} ${d[k] ? 'OK' : 'not OK'}`)
        .join(', ');
    case 'operator-command': {
      const outcome = d.outcome === 'issued' ? 'asked' : String(d.outcome);
      return `${String(d.command)} → ${String(d.role)}: ${outcome}${d.reason ? ` (${String(d.reason)})` : ''}`;
    }
    case 'settings-refused': {
      const issues = Array.isArray(d.issues)
        ? d.issues.map(
            (i: { path?: unknown; message?: unknown }) => `${String(i.path)}: ${String(i.message)}`,
          )
        : [];
      return `${String(d.role)} refused settings v${String(d.version)}${issues.length > 0 ? ` — ${issues.join('; ')}` : ''}`;
    }
    default:
      return Object.entries(d)
        .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
        .join(', ');
  }
}

function timeValue(input: HTMLInputElement): number | undefined {
  if (input.value === '') return undefined;
  const t = new Date(input.value).getTime();
  return Number.isFinite(t) ? t : undefined;
}

export const eventsPage: Page = (main, params) => {
  const siteName = h('input', {
    id: 'ev-site',
    list: 'ev-site-list',
    autocomplete: 'off',
    placeholder: 'any site',
  });
  const siteList = h('datalist', { id: 'ev-site-list' });
  const type = h(
    'select',
    { id: 'ev-type' },
    h('option', { value: '' }, 'any type'),
    ...EVENT_TYPES.map((t) => h('option', { value: t, selected: params.get('type') === t }, t)),
  );
  const since = h('input', { id: 'ev-since', type: 'datetime-local' });
  const until = h('input', { id: 'ev-until', type: 'datetime-local' });
  if (params.has('since')) since.value = localInput(Number(params.get('since')));
  if (params.has('until')) until.value = localInput(Number(params.get('until')));
  const error = h('p', { class: 'form-error', role: 'alert' });
  const form = h(
    'form',
    { class: 'filters', id: 'events-filter' },
    h('div', { class: 'field' }, h('label', { for: 'ev-site' }, 'Site'), siteName, siteList),
    h('div', { class: 'field' }, h('label', { for: 'ev-type' }, 'Type'), type),
    h('div', { class: 'field' }, h('label', { for: 'ev-since' }, 'From'), since),
    h('div', { class: 'field' }, h('label', { for: 'ev-until' }, 'Until'), until),
    h('button', { type: 'submit', class: 'primary' }, 'Show'),
    error,
  );
  const tbody = h('tbody', {});
  const newer = h('button', { type: 'button', id: 'ev-newer' }, '← Newer');
  const older = h('button', { type: 'button', id: 'ev-older' }, 'Older →');
  const pageText = h('span', { class: 'muted', role: 'status' });
  main.append(
    h('h1', {}, 'Events'),
    form,
    h(
      'table',
      { id: 'events' },
      h('caption', { class: 'sr-only' }, 'Events, newest first'),
      h(
        'thead',
        {},
        h('tr', {}, ...['Time', 'Site', 'Type', 'What', ''].map((t) => h('th', { scope: 'col' }, t))),
      ),
      tbody,
    ),
    h('div', { class: 'pager' }, newer, pageText, older),
  );

  let site_id = params.get('site_id') ?? '';
  /** Cursors of the pages seen, so "Newer" goes back. */
  const cursors: (number | null)[] = [null];
  let next: number | null = null;

  async function show(): Promise<void> {
    const cursor = cursors[cursors.length - 1] ?? null;
    error.textContent = '';
    try {
      const r = await call<{ events: EventView[]; next_cursor: number | null }>(
        'GET',
        `/api/v1/events${query({ site_id, type: type.value, since: timeValue(since), until: timeValue(until), cursor, limit: LIMIT })}`,
      );
      await Promise.all(
        [...new Set(r.events.map((e) => e.site_id).filter((s): s is string => s !== null))].map(nameOf),
      );
      next = r.next_cursor;
      tbody.replaceChildren(
        ...(r.events.length === 0
          ? [h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'no events match'))]
          : r.events.map(row)),
      );
      newer.disabled = cursors.length === 1;
      older.disabled = next === null;
      pageText.textContent = `page ${cursors.length}`;
    } catch (err) {
      error.textContent = err instanceof Error ? err.message : String(err);
    }
  }

  function row(e: EventView): HTMLElement {
    const site =
      e.site_id === null
        ? '—'
        : h('a', { href: `#/site/${encodeURIComponent(e.site_id)}` }, names.get(e.site_id) ?? e.site_id);
    const at = typeof e.details.active_since === 'number' ? e.details.active_since : e.at;
    const link =
      e.type === 'failover' && e.site_id !== null
        ? h(
            'a',
            { href: `#/site/${encodeURIComponent(e.site_id)}?event=${e.id}&at=${at}`, class: 'to-timeline' },
            'On the timeline',
          )
        : '';
    return h(
      'tr',
      { 'data-type': e.type, 'data-id': String(e.id) },
      h('td', {}, when(e.at)),
      h('td', {}, site),
      h('td', {}, h('span', { class: `etype t-${e.type}` }, e.type)),
      h('td', {}, summary(e)),
      h('td', {}, link),
    );
  }

  async function resolveSite(): Promise<boolean> {
    const typed = siteName.value.trim();
    if (typed === '') {
      site_id = '';
      return true;
    }
    const r = await call<Overview>('GET', `/api/v1/overview${query({ q: typed, limit: 20 })}`);
    const exact = r.sites.find((s) => s.name === typed) ?? (r.sites.length === 1 ? r.sites[0] : undefined);
    if (exact === undefined) {
      error.textContent =
        r.sites.length === 0
          ? `no site named "${typed}"`
          : `several sites match "${typed}": pick one from the list`;
      return false;
    }
    site_id = exact.site_id;
    siteName.value = exact.name;
    return true;
  }

  let typing: number | null = null;
  siteName.addEventListener('input', () => {
    if (typing !== null) clearTimeout(typing);
    typing = window.setTimeout(async () => {
      const r = await call<Overview>(
        'GET',
        `/api/v1/overview${query({ q: siteName.value.trim(), limit: 20 })}`,
      );
      siteList.replaceChildren(...r.sites.map((s) => h('option', { value: s.name })));
    }, 200);
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!(await resolveSite())) return;
    cursors.splice(1);
    const q = query({ site_id, type: type.value, since: timeValue(since), until: timeValue(until) });
    history.replaceState(null, '', `#/events${q}`);
    await show();
  });
  older.addEventListener('click', () => {
    if (next === null) return;
    cursors.push(next);
    void show();
  });
  newer.addEventListener('click', () => {
    if (cursors.length > 1) cursors.pop();
    void show();
  });

  void (async () => {
    if (site_id !== '') {
      await nameOf(site_id);
      siteName.value = names.get(site_id) ?? '';
    }
    await show();
  })();
  return () => {
    if (typing !== null) clearTimeout(typing);
  };
};
