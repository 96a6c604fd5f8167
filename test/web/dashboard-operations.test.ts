// The site page's operations in a real browser against a real controller with two real `tandem agent`
// processes on the simulated EC2 (the pattern of test/agent/managed.test.ts): each node's managed
// settings state (applied, and a refused version with its issues); the API test with a missing
// permission on one node and its fix, and an offline node shown as offline; maintenance and switchover
// confirmed in a dialog, one refused with the agent's reason, one done, each leaving an event; and a
// viewer who sees none of these controls.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { policyFor } from '../../src/actions/aws/iam-policy.js';
import type { Sim } from '../../src/sim/server.js';
import { nodeSpecs, OVERLAY, simPolicy, startTestSim, tableId } from '../actions/aws/fixtures.js';
import { Pair, until } from '../actions/aws/pair-harness.js';
import { type Browser, openBrowser, screenshotDir } from '../helpers/browser.js';
import { TestController, TWO_SUBNETS } from '../helpers/managed-site.js';

/** node-b's role covers only the first three tables: the API test finds the fourth. */
const TABLES = 4;
const DESTS = ['0.0.0.0/0', OVERLAY];
const tables = (n: number): string[] => Array.from({ length: n }, (_, i) => tableId(i));

describe('dashboard: operations on a managed site (real controller, real agents, simulated EC2)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tdweb-ops-'));
  const shots = screenshotDir();
  const ctl = new TestController(dir, {
    settings: { failover_after_ms: 500, stale_after_ms: 3000 },
    live: { poll_ms: 100 },
  });
  const call = ctl.call.bind(ctl);
  const ADMIN = ctl.admin;
  let sim: Sim;
  let browser: Browser;
  let pair: Pair;
  let page: Page;
  let site_id = '';
  let viewer = '';

  /** The text of one node's cell in a row of the pair table (data-row is the row's label). */
  const cell = (row: string, role: 'primary' | 'secondary') =>
    page.locator(`#pair tr[data-row="${row}"] td`).nth(role === 'primary' ? 0 : 1);

  async function signIn(token: string): Promise<Page> {
    const p = await browser.context.newPage();
    p.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
    await p.goto(ctl.url);
    await p.getByLabel('API token').fill(token);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForSelector('#live-state.on');
    await p.goto(`${ctl.url}/#/site/${site_id}`);
    await p.waitForSelector('#pair');
    return p;
  }

  /** Opens a command's dialog, confirms it, and returns the verdict shown: status and reason. */
  async function command(button: string): Promise<{ status: string; text: string }> {
    await page.click(button);
    await page.waitForSelector('#command-dialog[open]');
    assert.equal(await page.evaluate('document.activeElement.id'), 'command-cancel', 'Cancel has the focus');
    await page.click('#command-confirm');
    const result = page.locator('#command-result');
    await result.waitFor({ timeout: 40_000 });
    return {
      status: (await result.getAttribute('data-status')) ?? '',
      text: (await result.textContent()) ?? '',
    };
  }

  before(async () => {
    sim = await startTestSim(TABLES, (s) => {
      const b = s.identities?.find((i) => i.name === 'node-b');
      if (b) b.policy = simPolicy(policyFor(nodeSpecs('b', TABLES - 1)));
    });
    await ctl.open();
    const enrolled = await ctl.sitePair(
      { name: 'managed-edge', kind: 'aws', aws: { route_tables: tables(3), destinations: DESTS } },
      TWO_SUBNETS,
    );
    site_id = enrolled.site_id;
    viewer = String((await call('POST', '/api/v1/tokens', { name: 'noc wall', scope: 'viewer' })).body.token);
    pair = new Pair({
      sim,
      tables: 1,
      interval_ms: 200,
      dead_multiplier: 3,
      controller: { url: ctl.url, tokens: enrolled.tokens, managed: true, report_interval_ms: 500 },
    });
    pair.start('a');
    await until('node a active', async () => (await pair.nodes.a?.state()) === 'active', 30_000);
    pair.start('b');
    await until('node b standby', async () => (await pair.nodes.b?.state()) === 'standby', 30_000);
    browser = await openBrowser(ctl.url);
    page = await signIn(ADMIN);
  });

  after(async () => {
    await browser?.close();
    await pair?.stop();
    await ctl.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('each node’s managed settings: applied, then a version the agents refuse, with its issues', async () => {
    for (const role of ['primary', 'secondary'] as const)
      await cell('managed-settings', role).getByText('applied (current)').waitFor({ timeout: 30_000 });
    // Saved through the dashboard's own form: the controller accepts no route table; the agents refuse it.
    await page.fill('#set-route-tables', '');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.waitForSelector('text=Saved.');
    const refused = Number((await call('GET', `/api/v1/sites/${site_id}`)).body.settings_version);
    for (const role of ['primary', 'secondary'] as const) {
      const c = cell('managed-settings', role);
      await c.locator(`.settings-state[data-refused="${refused}"]`).waitFor({ timeout: 30_000 });
      const text = (await c.textContent()) ?? '';
      assert.match(text, new RegExp(`v${refused - 1} applied \\(the site is at v${refused}\\)`), text);
      assert.match(text, /refused v\d+:.*route_tables/, text);
    }
    assert.match((await cell('config-digest-in-force', 'primary').textContent()) ?? '', /^[0-9a-f]{16}$/);
    const events = page.locator('#recent-events li[data-type="settings-refused"]');
    await events.first().waitFor();
    assert.match((await events.first().textContent()) ?? '', /refused settings v\d+ — .*route_tables/);
    await page.screenshot({ path: join(shots, 'site-settings-refused.png'), fullPage: true });

    // Four tables: node-b's role lacks the fourth (the next test finds it).
    await page.fill('#set-route-tables', tables(TABLES).join('\n'));
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.waitForSelector('text=Saved.');
    for (const role of ['primary', 'secondary'] as const)
      await cell('managed-settings', role)
        .locator('.settings-state:not([data-refused])', { hasText: 'applied (current)' })
        .waitFor({ timeout: 30_000 });
  });

  test('the API test shows each node’s checks: a missing permission on the secondary with its fix, OK on the primary', async () => {
    await page.click('#api-test');
    const result = page.locator('#api-test-result[data-complete="true"]');
    await result.waitFor({ timeout: 40_000 });
    assert.equal(await page.getAttribute('#api-test-primary', 'data-status'), 'ok');
    assert.equal(await page.getAttribute('#api-test-secondary', 'data-status'), 'failed');
    const missing = page.locator('#api-test-secondary tr[data-status="missing-permission"]');
    assert.ok((await missing.count()) > 0);
    assert.match((await missing.first().textContent()) ?? '', new RegExp(tableId(3)));
    assert.match((await missing.first().locator('td.fix').textContent()) ?? '', /ec2:(Replace|Create)Route/);
    assert.equal(
      await page.locator('#api-test-primary tr:not([data-status="ok"])').count(),
      1,
      'the header only',
    );
    assert.match((await page.textContent('#api-test-prerequisites')) ?? '', /separate subnets: OK/);
    await page.screenshot({ path: join(shots, 'site-api-test.png'), fullPage: true });
  });

  test('a switchover refused with the agent’s reason (the standby is in maintenance), then one done; each an event', async () => {
    // Keyboard: the focus stays on a button while the page re-reads the site (twice here); Enter opens
    // the confirmation, Escape closes it without asking anything.
    await page.focus('#switchover');
    const reread = () =>
      page.waitForResponse((r) => r.url().endsWith(`/api/v1/sites/${site_id}`), { timeout: 20_000 });
    await reread();
    await reread();
    assert.equal(await page.evaluate('document.activeElement.id'), 'switchover');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#command-dialog[open]');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#command-dialog:not([open])', { state: 'attached' });
    assert.equal(await page.locator('#command-result').count(), 0, 'nothing was asked');

    const on = await command('#maintenance-on-secondary');
    assert.equal(on.status, 'done', on.text);
    await cell('state', 'secondary').getByText('maintenance').waitFor({ timeout: 20_000 });

    // The primary learns its peer is in maintenance from the next keepalive: ask until it says so.
    let refusal = { status: '', text: '' };
    await until(
      'a switchover refused for an unfit peer',
      async () => {
        refusal = await command('#switchover');
        return refusal.status === 'refused' && refusal.text.includes('peer-unfit');
      },
      30_000,
    );
    assert.match(refusal.text, /Switchover refused by the primary/);
    assert.match(refusal.text, /peer-unfit — the peer is not a fit standby/);
    await page
      .locator('#recent-events li[data-type="operator-command"]', {
        hasText: 'switchover → primary: refused (peer-unfit)',
      })
      .waitFor();
    assert.equal(await page.textContent('#site-active'), 'primary');
    await page.screenshot({ path: join(shots, 'site-switchover-refused.png'), fullPage: true });

    const off = await command('#maintenance-off-secondary');
    assert.equal(off.status, 'done', off.text);
    await cell('state', 'secondary').getByText('standby').waitFor({ timeout: 20_000 });
    let done = { status: '', text: '' };
    await until(
      'a switchover done',
      async () => {
        done = await command('#switchover');
        return done.status === 'done';
      },
      30_000,
    );
    assert.match(done.text, /Switchover: done by the primary/);
    await page.locator('#site-active', { hasText: 'secondary' }).waitFor({ timeout: 20_000 });
    await page
      .locator('#recent-events li[data-type="operator-command"]', { hasText: 'switchover → primary: done' })
      .waitFor();
    const events = await call('GET', `/api/v1/events?site_id=${site_id}&type=operator-command&limit=50`);
    const outcomes = (events.body.events as { details: { command: string; outcome: string } }[]).map(
      (e) => `${e.details.command}:${e.details.outcome}`,
    );
    for (const o of ['switchover:refused', 'switchover:done', 'maintenance-on:done', 'maintenance-off:done'])
      assert.ok(outcomes.includes(o), `${o} in ${outcomes.join(' ')}`);
  });

  test('the API test shows a node that stopped reporting as offline, not as a failed check', async () => {
    const b = pair.nodes.b!;
    b.kill('SIGKILL');
    await b.exited;
    await cell('state', 'secondary').getByText('(stale)').waitFor({ timeout: 30_000 });
    await page.click('#api-test');
    await page.locator('#api-test-result[data-complete="true"]').waitFor({ timeout: 40_000 });
    assert.equal(await page.getAttribute('#api-test-secondary', 'data-status'), 'offline');
    assert.match(
      (await page.textContent('#api-test-secondary')) ?? '',
      /offline: not heard lately, so not asked/,
    );
    assert.equal(
      await page.locator('#api-test-secondary tr').count(),
      0,
      'no check rows for an offline node',
    );
    assert.equal(await page.getAttribute('#api-test-primary', 'data-status'), 'ok');
  });

  test('a viewer sees the site, its settings state and events, and no operation at all', async () => {
    const v = await signIn(viewer);
    await v.waitForSelector('#recent-events li');
    assert.match(
      (await v.locator('#pair tr[data-row="managed-settings"] td').first().textContent()) ?? '',
      /applied/,
    );
    for (const sel of [
      '#api-test',
      '#switchover',
      '#command-dialog button',
      '#settings-form',
      '[id^="maintenance-"]',
    ])
      assert.equal(await v.locator(sel).count(), 0, `${sel} is not drawn for a viewer`);
    assert.equal(await v.locator('#operations').isVisible(), false);
    const refused = await call(
      'POST',
      `/api/v1/sites/${site_id}/commands`,
      { command: 'switchover' },
      viewer,
    );
    assert.equal(refused.status, 403);
    await v.close();
  });
});
