// A pathwatch site in the browser: its page shows which path carries the traffic, each path's health,
// the routes (ours, missing, pointing elsewhere) and the way back, from the reports a pathwatch sends;
// a later report (failback) replaces what the page shows without a reload.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Report } from '../../src/controller/schema.js';
import { type Browser, openBrowser } from '../helpers/browser.js';
import { type Harness, harness, report, Stores } from '../helpers/controller.js';

type Pathwatch = NonNullable<Report['pathwatch']>;

const onBackup: Pathwatch = {
  active_path: 'backup',
  primary: { label: 'direct-connect', up: false, loss_pct: 100, rtt_ms: null },
  backup: { label: 'vpn', up: true, loss_pct: 0, rtt_ms: 23.4 },
  routes: { ours: 2, missing: 0, conflicts: ['rtb-0a1b2c3d 10.20.0.0/16 → eni-0fedcba9'] },
  healthy_rounds: 3,
  failback_rounds: 10,
  failovers: 1,
  failbacks: 0,
  events: [],
};

describe('dashboard: a pathwatch site', () => {
  const stores = new Stores('sqlite');
  let h: Harness;
  let browser: Browser;
  let node = { id: '', cred: '' };
  let site_id = '';

  const send = (pathwatch: Pathwatch) =>
    h.api('POST', `/api/v1/nodes/${node.id}/reports`, report({ state: 'active', pathwatch }), node.cred);

  before(async () => {
    h = await harness(await stores.url(), { live: { poll_ms: 100 } });
    browser = await openBrowser(h.c.url);
    site_id = (await h.api('POST', '/api/v1/sites', { name: 'dx-to-vpn', kind: 'pathwatch' })).body.id;
    const added = await h.api('POST', `/api/v1/sites/${site_id}/nodes`, {
      role: 'primary',
      model: 'vm',
      mgmt_ip: '10.0.3.10',
      subnet: '10.0.3.0/24',
    });
    const enrolled = await h.api(
      'POST',
      '/api/v1/enroll',
      { enrollment_token: added.body.enrollment_token },
      null,
    );
    node = { id: enrolled.body.node_id, cred: enrolled.body.credential };
  });
  after(async () => {
    await browser?.close();
    await h?.c.close();
    stores.cleanup();
  });

  test('shows the active path, each path, the routes and the way back; a failback replaces it live', async () => {
    assert.equal((await send(onBackup)).status, 200);
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
    await page.goto(h.c.url);
    await page.getByLabel('API token').fill(h.admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('#live-state');
    await page.goto(`${h.c.url}/#/site/${site_id}`);
    await page.waitForSelector('#paths');

    assert.equal(await page.textContent('#active-path'), 'the backup path (vpn)');
    assert.match((await page.locator('#paths-title').locator('..').textContent()) ?? '', /3 so far/);
    assert.equal(await page.locator('#paths tr[data-path="primary"] td').textContent(), 'down · loss 100 %');
    assert.equal(await page.locator('#paths tr[data-path="primary"] td.bad').count(), 1);
    assert.equal(
      await page.locator('#paths tr[data-path="backup"] td').textContent(),
      'up · loss 0 % · RTT 23.4 ms',
    );
    assert.match(
      (await page.textContent('#path-routes')) ?? '',
      /2 ours, 0 missing, pointing elsewhere: rtb-0a1b2c3d/,
    );

    await send({
      ...onBackup,
      active_path: 'primary',
      primary: { label: 'direct-connect', up: true, loss_pct: 0, rtt_ms: 4.2 },
      routes: { ours: 0, missing: 0, conflicts: [] },
      healthy_rounds: 10,
      failbacks: 1,
    });
    await page.waitForSelector('#active-path:has-text("the primary path (direct-connect)")', {
      timeout: 15_000,
    });
    assert.equal(await page.locator('#paths tr[data-path="primary"] td.bad').count(), 0);
    assert.equal(await page.textContent('#path-routes'), 'Routes: 0 ours, 0 missing');
    await page.close();
  });
});
