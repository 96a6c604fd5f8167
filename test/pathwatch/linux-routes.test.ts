// Pathwatch's Linux failover route on a namespace: created beside the primary route (another metric), a
// foreign route at our key reported and left alone unless overwrite, deleted only when ours.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LinuxPathRoutes } from '../../src/pathwatch/linux-routes.js';
import { createLan, type Lan, nsExec } from '../helpers/netns.js';

const ctx = { deadline_ms: 3000 };

describe('pathwatch linux routes', () => {
  let lan: Lan;
  let ns: string;
  let dx: string;
  let vpn: string;
  before(async () => {
    lan = await createLan({ hosts: ['r', 'dx', 'vpn'] });
    ns = lan.host('r').ns;
    dx = lan.host('dx').lan.address;
    vpn = lan.host('vpn').lan.address;
    await nsExec(ns, ['ip', 'route', 'add', '10.50.0.0/16', 'via', dx, 'metric', '100']);
  });
  after(async () => {
    await lan?.destroy();
  });
  const show = async () => (await nsExec(ns, ['ip', 'route', 'show', '10.50.0.0/16'])).stdout;
  const failover = (extra: { on_conflict?: 'report' | 'overwrite' } = {}) =>
    new LinuxPathRoutes({
      kind: 'linux-route',
      destination: '10.50.0.0/16',
      via: vpn,
      metric: 10,
      netns: ns,
      ...extra,
    });

  it('failover adds the preferred route beside the primary one; failback removes only ours', async () => {
    const r = failover();
    assert.deepEqual(await r.view(ctx), { ours: 0, missing: 1, conflicts: [] });
    assert.equal((await r.claim(ctx)).ok, true);
    assert.deepEqual(await r.view(ctx), { ours: 1, missing: 0, conflicts: [] });
    const routes = await nsExec(ns, ['ip', 'route', 'get', '10.50.1.1']);
    assert.match(routes.stdout, new RegExp(`via ${vpn.replaceAll('.', '\\.')}`));
    assert.equal((await r.release(ctx)).ok, true);
    assert.equal((await r.release(ctx)).ok, true);
    assert.match(await show(), new RegExp(`via ${dx.replaceAll('.', '\\.')} dev lan0 metric 100`));
    assert.doesNotMatch(await show(), /metric 10 /);
  });

  it('a foreign route at our metric is reported, not replaced; with overwrite it is replaced', async () => {
    await nsExec(ns, ['ip', 'route', 'add', '10.50.0.0/16', 'via', dx, 'metric', '10']);
    const r = failover();
    const v = await r.view(ctx);
    assert.equal(v.conflicts.length, 1);
    assert.match(v.conflicts[0] ?? '', new RegExp(`via ${dx.replaceAll('.', '\\.')}`));
    assert.equal((await r.claim(ctx)).ok, true);
    assert.match(await show(), new RegExp(`via ${dx.replaceAll('.', '\\.')} dev lan0 metric 10 `));
    assert.equal((await r.release(ctx)).ok, true); // not ours: left in place
    assert.match(await show(), new RegExp(`via ${dx.replaceAll('.', '\\.')} dev lan0 metric 10 `));
    const o = failover({ on_conflict: 'overwrite' });
    assert.deepEqual(await o.view(ctx), { ours: 0, missing: 1, conflicts: [] });
    assert.equal((await o.claim(ctx)).ok, true);
    assert.deepEqual(await o.view(ctx), { ours: 1, missing: 0, conflicts: [] });
    await o.release(ctx);
  });
});
