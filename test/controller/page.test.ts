// The read-only status page, in a real browser: it shows each site's Ready / Not Ready and active node.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { harness, pairSite, report, Stores } from '../helpers/controller.js';

function findChromium(): string {
  const dirs = (process.env.PATH ?? '').split(':');
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    for (const d of dirs) if (d !== '' && existsSync(join(d, name))) return join(d, name);
  }
  throw new Error('no chromium on PATH; install it with `bash scripts/setup.sh --with-test-deps`');
}

describe('status page', () => {
  const stores = new Stores('sqlite');
  after(() => stores.cleanup());

  test('lists every site with its HA status, read with a viewer token', async () => {
    const h = await harness(await stores.url());
    const browser = await chromium.launch({ executablePath: findChromium(), args: ['--no-sandbox'] });
    try {
      const s = await pairSite(h.api, 'branch-7');
      await h.api(
        'POST',
        `/api/v1/nodes/${s.primary.id}/reports`,
        report({ state: 'active' }),
        s.primary.cred,
      );
      await h.api(
        'POST',
        `/api/v1/nodes/${s.secondary.id}/reports`,
        report({ state: 'standby' }),
        s.secondary.cred,
      );
      await h.api('POST', '/api/v1/sites', { name: 'lonely', kind: 'physical' });
      const viewer = await h.api('POST', '/api/v1/tokens', { name: 'wall screen', scope: 'viewer' });
      const page = await browser.newPage();
      const set = `localStorage.setItem('tandem-viewer-token', ${JSON.stringify(viewer.body.token)})`;
      await page.addInitScript({ content: set });
      await page.goto(h.c.url);
      await page.waitForSelector('#rows tr:nth-child(2)');
      const rows = await page.$$eval('#rows tr', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
      );
      assert.deepEqual(rows[0]!.slice(0, 5), ['branch-7', 'aws', 'on', 'Ready', 'primary']);
      assert.deepEqual(rows[0]!.slice(8), ['active', 'standby']);
      assert.deepEqual(rows[1]!.slice(0, 4), ['lonely', 'physical', 'off', 'Not Ready']);
    } finally {
      await browser.close();
      await h.c.close();
    }
  });
});
