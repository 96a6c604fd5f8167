// The dashboard in a real browser (Debian's Chromium through playwright-core) against a real
// controller on a real SQLite store: sign-in, live updates, a site in trouble and why, settings
// refused by the API beside the field, the secondary added and removed, events and the failover
// link, viewers without write controls, keyboard-only use. Screenshots go to test-output/screenshots/.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { type Browser, openBrowser, screenshotDir } from '../helpers/browser.js';
import { type Harness, harness, pairSite, report, Stores } from '../helpers/controller.js';

type Pair = Awaited<ReturnType<typeof pairSite>>;

describe('dashboard', () => {
  const stores = new Stores('sqlite');
  let h: Harness;
  let browser: Browser;
  let branch: Pair;
  const shots = screenshotDir();

  const send = (node: { id: string; cred: string }, r: Parameters<typeof report>[0]) =>
    h.api('POST', `/api/v1/nodes/${node.id}/reports`, report(r), node.cred);

  async function signIn(token: string, remember = false): Promise<Page> {
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
    await page.goto(h.c.url);
    await page.getByLabel('API token').fill(token);
    if (remember) await page.getByLabel('Remember me on this computer').check();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('#live-state.on');
    return page;
  }

  before(async () => {
    // Failovers are recorded after 300 ms of the secondary staying active, so a test can wait for one.
    h = await harness(await stores.url(), { settings: { failover_after_ms: 300 }, live: { poll_ms: 100 } });
    browser = await openBrowser(h.c.url);
    branch = await pairSite(h.api, 'branch-07');
    await send(branch.primary, { state: 'active' });
    await send(branch.secondary, { state: 'standby' });
    for (const name of ['branch-01', 'branch-02', 'branch-03']) {
      const s = await pairSite(h.api, name);
      await send(s.primary, { state: 'active' });
      await send(s.secondary, { state: 'standby' });
    }
    await h.api('POST', '/api/v1/sites', { name: 'lonely', kind: 'physical' });
  });
  after(async () => {
    await browser?.close();
    await h?.c.close();
    stores.cleanup();
  });

  test('sign-in: a wrong token is refused beside the field; the token lives only in the tab unless remembered', async () => {
    const page = await browser.context.newPage();
    await page.goto(h.c.url);
    await page.getByLabel('API token').fill('tdk_not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#token-error', { hasText: 'unknown API token' }).waitFor();
    assert.equal(await page.textContent('#token-error'), 'unknown API token');
    assert.equal(await page.getAttribute('#token', 'aria-invalid'), 'true');
    await page.close();

    const session = await signIn(h.admin);
    assert.match((await session.textContent('.who')) ?? '', /admin$/);
    const stored = await session.evaluate(
      "[sessionStorage.getItem('tandem-token'), localStorage.getItem('tandem-token')]",
    );
    assert.deepEqual(stored, [h.admin, null]);
    await session.reload();
    await session.waitForSelector('#sites-grid');
    await session.close();
    // A new tab of the same browser has no session: sign in again.
    const fresh = await browser.context.newPage();
    await fresh.goto(h.c.url);
    await fresh.waitForSelector('#token');
    await fresh.close();

    const remembered = await signIn(h.admin, true);
    assert.equal(await remembered.evaluate("localStorage.getItem('tandem-token')"), h.admin);
    await remembered.getByRole('button', { name: 'Sign out' }).click();
    await remembered.waitForSelector('#token');
    assert.equal(await remembered.evaluate("localStorage.getItem('tandem-token')"), null);
    await remembered.close();
  });

  test('sites list: status at a glance, then Not Ready and the failover appear live without a reload', async () => {
    const page = await signIn(h.admin);
    const row = page.locator('.spacer .row', { hasText: 'branch-07' });
    await row.locator('.badge', { hasText: 'Ready' }).waitFor();
    assert.equal(await page.textContent('.count[data-health="ha-off"] .n'), '1');
    await page.screenshot({ path: join(shots, 'sites.png') });
    // Marks this document: a reload would lose it.
    await page.evaluate('window.kept = true');

    await send(branch.primary, { state: 'active', wan_ok: false, wan: [{ name: 'wan1', up: false }] });
    await row.locator('.badge', { hasText: 'Not Ready' }).waitFor();
    assert.match((await row.textContent()) ?? '', /the primary's WAN probe wan1 failed/);

    await send(branch.primary, { state: 'fault', wan_ok: false, wan: [{ name: 'wan1', up: false }] });
    await send(branch.secondary, { state: 'active', hears_peer: false });
    await row.locator('[role=gridcell]:nth-child(3)', { hasText: /^secondary$/ }).waitFor();
    assert.equal(await page.evaluate('window.kept'), true);
    // The failover rule records its event once the secondary stayed active long enough.
    await new Promise((r) => setTimeout(r, 400));
    await h.c.sweep();
    await row.locator('[role=gridcell]:nth-child(7)', { hasText: /ago$/ }).waitFor();
    // The counts follow once the list re-reads them after the live update.
    await page.locator('.count[data-health="not-ready"] .n', { hasText: /^1$/ }).waitFor();
    assert.equal(await page.textContent('.count[data-health="ready"] .n'), '3');
    await page.close();
  });

  test('site page: indicators with plain-words reasons, the pair, ranges and the timeline', async () => {
    await send(branch.secondary, { state: 'active', hears_peer: false, version: '2.0.0' });
    const page = await signIn(h.admin);
    await page.goto(`${h.c.url}/#/site/${branch.site_id}`);
    await page.waitForSelector('#ind-same_version.bad');
    const reasons = async (id: string) =>
      (await page.locator(`#ind-${id} .reasons li`).allTextContents()).sort();
    assert.deepEqual(await reasons('connected'), ["the primary's WAN probe wan1 failed"]);
    assert.deepEqual(await reasons('keepalive'), [
      'the primary is in fault',
      "the secondary does not hear the primary's keepalives",
    ]);
    assert.deepEqual(await reasons('same_version'), [
      'the primary runs 1.4.2 and the secondary 2.0.0 (major versions differ)',
    ]);
    assert.equal(await page.textContent('#site-active'), 'secondary');
    assert.match((await page.textContent('#site-health')) ?? '', /Not Ready/);
    const pair = await page.locator('#pair tbody tr').allTextContents();
    assert.ok(pair.includes('Statefaultactive'), pair.join('|'));
    assert.ok(pair.includes('Version1.4.22.0.0'));
    assert.ok(pair.includes('Connection (WAN)wan1 downwan1 up'));
    const native = await page.locator('#native-ranges tbody tr').allTextContents();
    assert.deepEqual(native, [
      'primary10.0.3.0/2410.0.3.1010.0.3.1',
      'secondary10.0.17.0/2410.0.17.1010.0.17.1',
    ]);
    assert.match((await page.textContent('#routed-ranges caption')) ?? '', /via the secondary/);
    // The timeline: the secondary's lane turns active; one failover listed with its marker.
    await page.waitForSelector('#timeline rect.st-active');
    assert.equal(await page.locator('#failovers tbody tr[id^="failover-row-"]').count(), 1);
    assert.equal(await page.locator('#timeline g.failover').count(), 1);
    await page.screenshot({ path: join(shots, 'site-not-ready.png'), fullPage: true });
    await page.close();
  });
  test('keyboard only: Tab reaches the sites table, arrows move, Enter opens the site', async () => {
    const page = await signIn(h.admin);
    await page.locator('.spacer .row[data-site-id]').first().waitFor();
    await page.evaluate('document.activeElement.blur()');
    let reached = false;
    for (let i = 0; i < 25 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await page.evaluate('document.activeElement?.id')) === 'sites-grid';
    }
    assert.ok(reached, 'Tab never reached the sites table');
    const activeRow = () => page.getAttribute('#sites-grid', 'aria-activedescendant');
    assert.equal(await activeRow(), 'site-row-0');
    await page.keyboard.press('End');
    assert.equal(await activeRow(), 'site-row-4');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal(await activeRow(), 'site-row-2');
    const name = await page.textContent('#site-row-2 [role=gridcell] a');
    assert.equal(name, 'branch-03');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#ind-connected');
    assert.match(await page.evaluate('location.hash'), /^#\/site\//);
    assert.match((await page.textContent('h1')) ?? '', /^branch-03/);
    // The focus moves to the new view: the next Tab is the site's first link, not the header's.
    assert.equal(await page.evaluate('document.activeElement.id'), 'main');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Sites');
    assert.equal(await page.evaluate('document.activeElement.closest(".crumbs") !== null'), true);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#sites-grid');
    await page.close();
  });
});
