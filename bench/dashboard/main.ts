// The dashboard with a fleet of 10,000 sites, in headless Chromium against a real controller on a
// real SQLite store: time to first render and to interactive of the sites page, filtering (search
// and a status), a jump to the middle of the list, and how long a status change takes to appear.
// Each run is a first visit (a new tab, the browser's cache emptied).
// Usage: npm run bench:dashboard [-- --sites 10000 --runs 3]
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { startController } from '../../src/controller/server.js';
import { type Browser, openBrowser } from '../../test/helpers/browser.js';
import { report } from '../../test/helpers/controller.js';
import { credentialOf, nodeId, seedFleet, siteName } from './seed.js';

const { values } = parseArgs({
  options: {
    sites: { type: 'string', default: process.env.BENCH_SITES ?? '10000' },
    runs: { type: 'string', default: process.env.BENCH_RUNS ?? '3' },
  },
});
const SITES = Number(values.sites);
const RUNS = Number(values.runs);
const ADMIN = 'tdk_bench-dashboard-admin-0123456789';
const IDLE_MS = 1500;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Milliseconds since navigation when the page last set this mark (the page measures itself). */
async function markAfter(page: Page, name: string, after: number): Promise<number> {
  const handle = await page.waitForFunction(
    ([n, t]) => {
      const marks = performance.getEntriesByName(n as string).filter((m) => m.startTime > (t as number));
      return marks.length > 0 ? marks[0]!.startTime : false;
    },
    [name, after],
    { timeout: 60_000, polling: 16 },
  );
  return (await handle.jsonValue()) as number;
}

interface Load {
  first_render_ms: number;
  interactive_ms: number;
  /** Where the first render's time went: the modules loaded, and the first page of sites fetched. */
  modules_ms: number;
  overview_fetch_ms: number;
}

/** A first visit: a new tab with the browser's cache emptied, so every file comes over the wire. */
async function load(browser: Browser, url: string): Promise<{ page: Page; load: Load }> {
  const page = await browser.context.newPage();
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('Network.clearBrowserCache');
  await cdp.detach();
  await page.goto(`${url}/#/sites`);
  const rendered = await markAfter(page, 'tandem:sites-rendered', 0);
  const live = await markAfter(page, 'tandem:live', 0);
  const [modules_ms, overview_fetch_ms] = (await page.evaluate(`[
    performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
    (() => { const r = performance.getEntriesByType('resource').find((e) => e.name.includes('/api/v1/overview')); return r ? r.responseEnd - r.startTime : -1; })(),
  ]`)) as [number, number];
  return {
    page,
    load: {
      first_render_ms: rendered,
      interactive_ms: Math.max(rendered, live),
      modules_ms,
      overview_fetch_ms,
    },
  };
}

async function timed(page: Page, act: () => Promise<void>): Promise<number> {
  const t0 = (await page.evaluate('performance.now()')) as number;
  await act();
  return (await markAfter(page, 'tandem:sites-loaded', t0)) - t0;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tdbench-web-'));
  const now = Date.now();
  const store_url = join(dir, 'controller.db');
  const options = {
    store_url,
    admin_token: ADMIN,
    // Seeded nodes report once; keep them fresh for the length of the run.
    settings: { stale_after_ms: 3_600_000 },
    // The overview's view stops being kept current this long after its last use (60 s in production):
    // short here, so a run can start on an idle controller without waiting a minute.
    live: { keep_ms: IDLE_MS },
  };
  // The fleet is written by one controller, then measured through a new one started on it (as after a
  // restart): rows written behind a running controller's back record no event.
  const seeder = await startController(options);
  const t_seed = performance.now();
  await seedFleet(seeder.store, SITES, now);
  const seed_ms = performance.now() - t_seed;
  await seeder.close();
  const browser = await openBrowser();
  await browser.context.addInitScript({
    content: `sessionStorage.setItem('tandem-token', ${JSON.stringify(ADMIN)})`,
  });
  const c = await startController(options);
  try {
    // The first tab of a browser that just started, on a controller that just started: the renderer's
    // start-up and the controller's first whole read of the fleet (begun at its start) are in it.
    const first = await load(browser, c.url);
    await first.page.close();
    const t_api = performance.now();
    const api = await fetch(`${c.url}/api/v1/overview?limit=100`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const total = ((await api.json()) as { total: number }).total;
    const overview_api_ms = performance.now() - t_api;
    if (total !== SITES) throw new Error(`seeded ${total} sites, expected ${SITES}`);
    const loads: Load[] = [];
    const search: number[] = [];
    const status: number[] = [];
    const scroll: number[] = [];
    const live: number[] = [];
    let dom_rows = 0;
    for (let r = 0; r < RUNS; r++) {
      // A controller nobody has looked at for a while (its feed stopped): an operator's first visit.
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS + 1000));
      const { page, load: l } = await load(browser, c.url);
      loads.push(l);
      dom_rows = await page.locator('#sites-grid .spacer .row').count();
      scroll.push(
        await timed(page, async () => {
          await page.evaluate(
            `document.querySelector('#sites-grid .viewport').scrollTop = ${Math.floor(SITES / 2) * 40}`,
          );
        }),
      );
      await page.evaluate(`document.querySelector('#sites-grid .viewport').scrollTop = 0`);
      // A status change: site r*100+2's primary loses its WAN; the time until its row says so.
      const i = r * 100 + 2;
      const row = page.locator('#sites-grid .row', { hasText: siteName(i) }).first();
      await page.locator('#site-search').fill(siteName(i));
      await row.locator('.badge', { hasText: 'Ready' }).waitFor();
      const t0 = Date.now();
      const res = await fetch(`${c.url}/api/v1/nodes/${nodeId(i, 'primary')}/reports`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${credentialOf(i, 'primary')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(report({ state: 'active', wan_ok: false, wan: [{ name: 'wan1', up: false }] })),
      });
      if (res.status !== 200) throw new Error(`report: ${res.status} ${await res.text()}`);
      await row.locator('.badge', { hasText: 'Not Ready' }).waitFor({ timeout: 30_000 });
      live.push(Date.now() - t0);
      await timed(page, () => page.locator('#site-search').fill(''));
      search.push(await timed(page, () => page.locator('#site-search').fill('site-042')));
      await timed(page, () => page.locator('#site-search').fill(''));
      status.push(await timed(page, () => page.locator('.count[data-health="not-ready"]').click()));
      await page.close();
    }
    const figures = {
      sites: SITES,
      runs: RUNS,
      first_render_ms: Math.round(median(loads.map((l) => l.first_render_ms))),
      first_render_just_started_ms: Math.round(first.load.first_render_ms),
      interactive_ms: Math.round(median(loads.map((l) => l.interactive_ms))),
      modules_loaded_ms: Math.round(median(loads.map((l) => l.modules_ms))),
      first_page_fetch_ms: Math.round(median(loads.map((l) => l.overview_fetch_ms))),
      live_update_ms: Math.round(median(live)),
      search_filter_ms: Math.round(median(search)),
      status_filter_ms: Math.round(median(status)),
      scroll_to_middle_ms: Math.round(median(scroll)),
      overview_api_ms: Math.round(overview_api_ms),
      dom_rows,
      seed_ms: Math.round(seed_ms),
    };
    const rows: [string, string, string][] = [
      ['sites', String(SITES), ''],
      ['first render of the sites page (empty cache)', `${figures.first_render_ms} ms`, 'goal ≤ 1000 ms'],
      [
        '  just after the browser and the controller started',
        `${figures.first_render_just_started_ms} ms`,
        'renderer start, whole fleet read',
      ],
      ['interactive (rows drawn, live stream open)', `${figures.interactive_ms} ms`, 'goal ≤ 2000 ms'],
      ['  of which: page and modules loaded', `${figures.modules_loaded_ms} ms`, ''],
      ['  of which: first 100 sites fetched', `${figures.first_page_fetch_ms} ms`, ''],
      ['a status change appears (report → row)', `${figures.live_update_ms} ms`, 'goal ≤ 1000 ms'],
      ['search filter (incl. 120 ms typing pause)', `${figures.search_filter_ms} ms`, ''],
      ['status filter (Not Ready)', `${figures.status_filter_ms} ms`, ''],
      ['scroll to the middle (fetch + draw)', `${figures.scroll_to_middle_ms} ms`, ''],
      ['GET /api/v1/overview (100 sites)', `${figures.overview_api_ms} ms`, ''],
      ['rows in the DOM', String(dom_rows), 'virtualised'],
    ];
    console.log(
      `dashboard, ${SITES} sites, median of ${RUNS} runs (SQLite, headless Chromium; load average ${os.loadavg()[0]!.toFixed(1)})`,
    );
    for (const [k, v, g] of rows) console.log(`  ${k.padEnd(46)} ${v.padStart(9)}   ${g}`);
    console.log(JSON.stringify(figures));
  } finally {
    await browser.close();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
