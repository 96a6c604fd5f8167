// A site's latest events on its page (commands asked and answered, refused settings, state
// changes), re-read when the live stream says the site has a new one; the events page has the rest.
import { call, query } from './api.js';
import { h } from './dom.js';
import { summary } from './events.js';
import { when } from './format.js';
import type { EventView } from './types.js';

const SHOWN = 8;
/** Bursts of events (a failover writes several) are read once. */
const SETTLE_MS = 200;

export interface RecentEvents {
  readonly element: HTMLElement;
  reload(): void;
  stop(): void;
}

export function recentEvents(site_id: string): RecentEvents {
  const list = h('ol', { class: 'recent', id: 'recent-events' });
  const element = h(
    'section',
    { 'aria-labelledby': 'recent-title' },
    h('h2', { id: 'recent-title' }, 'Latest events'),
    list,
    h('a', { href: `#/events?site_id=${encodeURIComponent(site_id)}` }, 'All events of this site'),
  );
  let timer: number | null = null;
  let stopped = false;

  async function load(): Promise<void> {
    try {
      const r = await call<{ events: EventView[] }>(
        'GET',
        `/api/v1/events${query({ site_id, limit: SHOWN })}`,
      );
      if (stopped) return;
      list.replaceChildren(
        ...(r.events.length === 0
          ? [h('li', { class: 'muted' }, 'none yet')]
          : r.events.map((e) =>
              h(
                'li',
                { 'data-type': e.type },
                h('span', { class: 'muted' }, when(e.at)),
                ' ',
                h('span', { class: `etype t-${e.type}` }, e.type),
                ' ',
                summary(e),
              ),
            )),
      );
    } catch (err) {
      list.replaceChildren(h('li', { role: 'alert' }, `could not read the events: ${String(err)}`));
    }
  }

  void load();
  return {
    element,
    reload() {
      if (timer !== null || stopped) return;
      timer = window.setTimeout(() => {
        timer = null;
        void load();
      }, SETTLE_MS);
    },
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
    },
  };
}
