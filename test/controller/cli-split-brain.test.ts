// `tandem controller --split-brain-after-ms` reaches the split-brain rule, and a bad value is refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { apiFor, pairSite, report, Stores } from '../helpers/controller.js';
import { type ControllerProcess, spawnController } from '../helpers/controller-process.js';

const ADMIN = 'tdk_split-brain-flag-test-admin-token';
const root = new URL('../..', import.meta.url).pathname;

describe('tandem controller --split-brain-after-ms', () => {
  const stores = new Stores('sqlite');
  const procs: ControllerProcess[] = [];
  after(async () => {
    for (const p of procs) await p.kill('SIGTERM');
    stores.cleanup();
  });

  test('the flag sets the threshold: both nodes active past it is recorded by the sweep', async () => {
    const p = await spawnController(await stores.url(), ADMIN, ['--split-brain-after-ms', '300']);
    procs.push(p);
    const api = apiFor(p.url, ADMIN);
    const s = await pairSite(api, 'flagged');
    for (const n of [s.primary, s.secondary]) {
      const res = await api('POST', `/api/v1/nodes/${n.id}/reports`, report({ state: 'active' }), n.cred);
      assert.equal(res.status, 200);
    }
    // No further report: the controller's own sweep (every second) records it.
    const end = Date.now() + 20_000;
    let events: { details: { active_for_ms: number } }[] = [];
    while (Date.now() < end && events.length === 0) {
      await new Promise((r) => setTimeout(r, 100));
      events = (await api('GET', `/api/v1/events?site_id=${s.site_id}&type=split-brain`)).body.events;
    }
    assert.equal(events.length, 1);
    // With the 5 s default it could only be recorded after more than 5 s of overlap.
    assert.ok(events[0]!.details.active_for_ms < 5000, JSON.stringify(events[0]));
    assert.equal((await api('GET', `/api/v1/sites/${s.site_id}/status`)).body.split_brain, true);
  });

  test('zero or a non-number is refused with the flag named', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'controller',
        '--store',
        ':memory:',
        '--split-brain-after-ms',
        '0',
      ],
      { cwd: root, encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--split-brain-after-ms: expected a positive whole number of milliseconds/);
  });
});
