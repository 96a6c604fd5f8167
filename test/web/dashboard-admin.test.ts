// The dashboard's write paths in a real browser against a real controller and store: cloud
// settings refused by the API beside the field, the secondary added (token shown once) and removed
// (for good), events filtered and a failover's link to the timeline, notification channels with
// "send test", and a viewer who sees none of the write controls.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { signature } from '../../src/controller/notify/webhook.js';
import { type Browser, openBrowser, screenshotDir } from '../helpers/browser.js';
import { type Harness, harness, pairSite, report, Stores } from '../helpers/controller.js';

describe('dashboard: admin and viewer', () => {
  const stores = new Stores('sqlite');
  let h: Harness;
  let browser: Browser;
  let viewer: string;
  let flip: Awaited<ReturnType<typeof pairSite>>;
  const shots = screenshotDir();

  /** Polls a condition read from the page (the page's CSP forbids evaluating strings in it). */
  async function until(what: string, ok: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (!(await ok())) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function signIn(token: string, hash = ''): Promise<Page> {
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
    await page.goto(h.c.url);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('#live-state');
    if (hash !== '') await page.goto(`${h.c.url}/${hash}`);
    return page;
  }

  before(async () => {
    h = await harness(await stores.url(), { settings: { failover_after_ms: 300 }, live: { poll_ms: 100 } });
    browser = await openBrowser(h.c.url);
    viewer = (await h.api('POST', '/api/v1/tokens', { name: 'wall screen', scope: 'viewer' })).body.token;
    // A pair that fails over: the failover event the events page links to the timeline.
    flip = await pairSite(h.api, 'flip');
    const send = (n: { id: string; cred: string }, r: Parameters<typeof report>[0]) =>
      h.api('POST', `/api/v1/nodes/${n.id}/reports`, report(r), n.cred);
    await send(flip.primary, { state: 'active' });
    await send(flip.secondary, { state: 'standby' });
    await send(flip.primary, { state: 'fault' });
    await send(flip.secondary, { state: 'active', action_results: [] });
    await new Promise((r) => setTimeout(r, 400));
    await h.c.sweep();
  });
  after(async () => {
    await browser?.close();
    await h?.c.close();
    stores.cleanup();
  });

  test('cloud settings: an invalid value shows the API’s own error beside its field; a valid one is saved', async () => {
    const site = await pairSite(h.api, 'aws-edge');
    const page = await signIn(h.admin, `#/site/${site.site_id}`);
    await page.waitForSelector('#settings-form');
    const refusal = async (body: unknown) =>
      (await h.api('PATCH', `/api/v1/sites/${site.site_id}`, body)).body.error.message as string;

    await page.fill('#set-route-tables', 'rtb-XYZ');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.waitForSelector('#set-route-tables[aria-invalid="true"]');
    const expected = await refusal({
      name: 'aws-edge',
      aws: { route_tables: ['rtb-XYZ'], destinations: ['0.0.0.0/0'] },
    });
    assert.equal(await page.textContent('#set-route-tables-error'), expected);
    assert.equal(await page.evaluate('document.activeElement.id'), 'set-route-tables');

    await page.fill('#set-route-tables', 'rtb-0a1b2c3d');
    await page.fill('#set-destinations', '10.0.0.0/8\n10.0.0.0/33');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.waitForSelector('#set-destinations[aria-invalid="true"]');
    assert.equal(
      await page.textContent('#set-destinations-error'),
      await refusal({ aws: { route_tables: ['rtb-0a1b2c3d'], destinations: ['10.0.0.0/8', '10.0.0.0/33'] } }),
    );
    assert.equal(await page.textContent('#set-route-tables-error'), '');

    await page.fill('#set-destinations', '10.0.0.0/8');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.waitForSelector('text=Saved.');
    const stored = await h.api('GET', `/api/v1/sites/${site.site_id}`);
    assert.deepEqual(stored.body.cloud.aws, { route_tables: ['rtb-0a1b2c3d'], destinations: ['10.0.0.0/8'] });
    await page.close();
  });

  test('HA timers: out of bounds refused beside the field; saved ones shown, an empty field is the nodes’ own', async () => {
    const site = await pairSite(h.api, 'timers');
    const page = await signIn(h.admin, `#/site/${site.site_id}`);
    await page.waitForSelector('#settings-form');
    const before = (await h.api('GET', `/api/v1/sites/${site.site_id}`)).body.settings_version as number;
    await page.fill('#set-interval', '5');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.waitForSelector('#set-interval[aria-invalid="true"]');
    assert.match((await page.textContent('#set-interval-error')) ?? '', /20/);

    await page.fill('#set-interval', '400');
    await page.fill('#set-preempt-delay', '2000');
    await page.selectOption('#set-preempt', 'off');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.waitForSelector('text=Saved.');
    const stored = await h.api('GET', `/api/v1/sites/${site.site_id}`);
    assert.deepEqual(stored.body.tunables, { interval_ms: 400, preempt: false, preempt_delay_ms: 2000 });
    assert.ok(stored.body.settings_version > before, 'the managed nodes are told');
    assert.equal(await page.inputValue('#set-interval'), '400');
    assert.equal(await page.inputValue('#set-dead-multiplier'), '');
    await page.close();
  });

  test('secondary: added with a one-time token (copy button), removed after a warning, for good', async () => {
    const created = await h.api('POST', '/api/v1/sites', { name: 'solo', kind: 'physical' });
    const id = created.body.id as string;
    await h.api('POST', `/api/v1/sites/${id}/nodes`, {
      role: 'primary',
      model: 'edge-9',
      mgmt_ip: '10.0.3.10',
      subnet: '10.0.3.0/24',
    });
    const page = await signIn(h.admin, `#/site/${id}`);
    await page.waitForSelector('#add-secondary');
    await page.fill('#sec-ip', '10.0.9.9');
    await page.fill('#sec-subnet', '10.0.17.0/24');
    await page.getByRole('button', { name: 'Add secondary' }).click();
    await page.waitForSelector('#sec-ip[aria-invalid="true"]');
    const refused = await h.api('POST', `/api/v1/sites/${id}/nodes`, {
      role: 'secondary',
      model: 'edge-9',
      mgmt_ip: '10.0.9.9',
      subnet: '10.0.17.0/24',
    });
    assert.equal(refused.body.error.code, 'ip-outside-subnet');
    assert.equal(await page.textContent('#sec-ip-error'), refused.body.error.message);

    await page.fill('#sec-ip', '10.0.17.10');
    await page.getByRole('button', { name: 'Add secondary' }).click();
    const token = (await page.locator('#enrollment-token').textContent()) ?? '';
    assert.match(token, /^tde_/);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.waitForSelector('text=Copied.');
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), token);
    // The token shown is the real one: the agent exchanges it for its credential.
    const enrolled = await h.api('POST', '/api/v1/enroll', { enrollment_token: token }, null);
    assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
    await page.getByRole('button', { name: 'Done' }).click();
    // Done closes the token for good: the element leaves the page (waitFor throws if it never does).
    await page.locator('#enrollment-token').waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Remove secondary…' }).click();
    const dialog = page.locator('#remove-dialog');
    assert.match((await dialog.textContent()) ?? '', /cannot be undone/);
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await h.api('GET', `/api/v1/sites/${id}`)).body.ha_enabled, true);
    await page.getByRole('button', { name: 'Remove secondary…' }).click();
    await page.locator('#remove-confirm').click();
    await page.waitForSelector('#add-secondary');
    assert.equal((await h.api('GET', `/api/v1/sites/${id}`)).body.ha_enabled, false);
    const late = await h.api(
      'POST',
      `/api/v1/nodes/${enrolled.body.node_id}/reports`,
      report(),
      enrolled.body.credential,
    );
    // Removed for good: its agent learns it was unassigned (410) and disables itself.
    assert.equal(late.body.error.code, 'node-removed');
    await page.close();
  });

  test('events: filtered by site, type and time, paged; a failover links to its place on the timeline', async () => {
    const page = await signIn(h.admin, '#/events');
    await page.waitForSelector('#events tbody tr[data-type]');
    await page.fill('#ev-site', 'flip');
    await page.selectOption('#ev-type', 'state-change');
    await page.getByRole('button', { name: 'Show' }).click();
    await until('only state-change rows', async () => {
      const types = await page
        .locator('#events tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type')));
      return types.length > 0 && types.every((t) => t === 'state-change');
    });
    assert.equal(await page.locator('#events tbody tr').count(), 4);
    assert.match(await page.evaluate('location.hash'), new RegExp(`site_id=${flip.site_id}`));

    const future = new Date(Date.now() + 3_600_000);
    const local = new Date(future.getTime() - future.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await page.fill('#ev-since', local);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForSelector('text=no events match');
    await page.fill('#ev-since', '');

    await page.selectOption('#ev-type', 'failover');
    await page.getByRole('button', { name: 'Show' }).click();
    await until('only failover rows', async () => {
      const types = await page
        .locator('#events tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type')));
      return types.length > 0 && types.every((t) => t === 'failover');
    });
    assert.equal(await page.locator('#events tbody tr').count(), 1);
    await page.screenshot({ path: join(shots, 'events.png') });
    const failover = (await h.api('GET', `/api/v1/events?site_id=${flip.site_id}&type=failover`)).body
      .events[0];
    await page.getByRole('link', { name: 'On the timeline' }).click();
    await page.waitForSelector(`#failover-row-${failover.id}.highlight`);
    assert.equal(await page.evaluate('document.activeElement.id'), `failover-row-${failover.id}`);
    assert.equal(await page.locator(`#failover-${failover.id}.highlight`).count(), 1);
    await page.close();
  });

  test('events: paged with Older / Newer', async () => {
    // A flapping primary: 60 state changes, more than one page of 50.
    const pad = await pairSite(h.api, 'pad');
    for (let i = 0; i < 60; i++)
      await h.api(
        'POST',
        `/api/v1/nodes/${pad.primary.id}/reports`,
        report({ state: i % 2 === 0 ? 'active' : 'standby' }),
        pad.primary.cred,
      );
    const page = await signIn(h.admin, '#/events');
    await page.waitForSelector('#events tbody tr[data-type]');
    assert.equal(await page.locator('#events tbody tr').count(), 50);
    // Rows are compared by event id: sixty changes in one second read alike.
    const ids = () =>
      page
        .locator('#events tbody tr')
        .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-id'))));
    const firstPage = await ids();
    await page.getByRole('button', { name: 'Older →' }).click();
    await page.waitForSelector('text=page 2');
    const secondPage = await ids();
    assert.ok(secondPage.length > 0);
    // Older means strictly older: every id on page 2 is below every id on page 1.
    assert.ok(Math.max(...secondPage) < Math.min(...firstPage), `${secondPage} vs ${firstPage}`);
    await page.getByRole('button', { name: '← Newer' }).click();
    await page.waitForSelector('text=page 1');
    assert.deepEqual(await ids(), firstPage);
    await page.close();
  });

  test('notifications: a webhook channel added in the page, "send test" shows what the receiver said', async () => {
    const got: { headers: Record<string, unknown>; body: string }[] = [];
    let status = 200;
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        got.push({ headers: req.headers, body });
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      const page = await signIn(h.admin, '#/notifications');
      await page.waitForSelector('#channel-form');
      await page.fill('#ch-name', 'ops hook');
      await page.fill('#ch-url', url);
      await page.fill('#ch-secret', 'short');
      await page.getByRole('button', { name: 'Add channel' }).click();
      await page.waitForSelector('#ch-secret[aria-invalid="true"]');
      assert.match((await page.textContent('#ch-secret-error')) ?? '', /secret/);
      await page.fill('#ch-secret', 'a-secret-of-at-least-16');
      await page.getByRole('button', { name: 'Add channel' }).click();
      const row = page.locator('#channels tr[data-channel="ops hook"]');
      await row.getByRole('button', { name: 'Send test' }).click();
      await row.locator('.test-result.ok').waitFor();
      assert.equal(got.length, 1);
      const ts = String(got[0]!.headers['x-tandem-timestamp']);
      assert.equal(
        got[0]!.headers['x-tandem-signature'],
        signature('a-secret-of-at-least-16', ts, got[0]!.body),
      );
      status = 500;
      await row.getByRole('button', { name: 'Send test' }).click();
      await row.locator('.test-result.bad').waitFor();
      assert.equal(await row.locator('.test-result').textContent(), 'failed: webhook answered HTTP 500');
      await page.close();
    } finally {
      server.close();
    }
  });

  test('a viewer sees every page and no write control', async () => {
    const page = await signIn(viewer, `#/site/${flip.site_id}`);
    await page.waitForSelector('dl.settings');
    assert.match((await page.textContent('.who')) ?? '', /viewer$/);
    for (const id of ['#settings-form', '#add-secondary', '#remove-secondary', '#remove-dialog'])
      assert.equal(await page.locator(id).count(), 0, id);
    // The only buttons are the timeline's span toggle and the header's sign-out.
    const buttons = await page.locator('button').allTextContents();
    assert.deepEqual(buttons.sort(), ['Last day', 'Last week', 'Sign out']);
    await page.goto(`${h.c.url}/#/notifications`);
    await page.waitForSelector('#channels tbody tr');
    assert.deepEqual(await page.locator('button').allTextContents(), ['Sign out']);
    assert.equal(await page.locator('form').count(), 0);
    await page.close();
  });
});
