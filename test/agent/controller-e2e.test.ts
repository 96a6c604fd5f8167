// `tandem agent` with a controller: two real agents enroll with one-time tokens, report, and the site
// shows Ready with the primary active. The controller then goes away during a failover: the pair
// fails over regardless, and when the controller is back the queued reports show the survivor active.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Sim } from '../../src/sim/server.js';
import { ENI_B, startTestSim } from '../actions/aws/fixtures.js';
import { allAt, Pair, until } from '../actions/aws/pair-harness.js';
import { TestController, TWO_SUBNETS } from '../helpers/managed-site.js';

const TABLES = 2;

describe('tandem agent with a controller (real agents, real controller, simulated EC2)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tda-ctl-'));
  const ctl = new TestController(dir);
  let sim: Sim;
  let site_id = '';
  let pair: Pair;

  const status = async () =>
    (await ctl.call('GET', `/api/v1/sites/${site_id}/status`)).body as unknown as {
      ready: boolean;
      active: string;
    };

  before(async () => {
    sim = await startTestSim(TABLES);
    await ctl.open();
    const enrolled = await ctl.sitePair({ name: 'hq', kind: 'aws' }, TWO_SUBNETS);
    site_id = enrolled.site_id;
    pair = new Pair({
      sim,
      tables: TABLES,
      interval_ms: 200,
      dead_multiplier: 3,
      controller: { url: ctl.url, tokens: enrolled.tokens },
    });
  });

  after(async () => {
    await pair?.stop();
    await ctl.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('enrolls both nodes with their tokens and shows the site Ready with the primary active', async () => {
    const a = pair.start('a');
    pair.start('b');
    await until('the site is Ready', async () => (await status()).ready, 30_000);
    assert.equal((await status()).active, 'primary');
    assert.ok(a.logged('enrolled with the controller').length === 1);
  });

  it('fails over while the controller is down; the queued reports show the survivor once it is back', async () => {
    await ctl.close();
    pair.nodes.a?.kill('SIGKILL');
    await until('every route at node b', () => allAt(sim, TABLES, pair.destinations, ENI_B), 20_000);
    assert.equal(await pair.nodes.b?.state(), 'active');
    await ctl.open();
    await until(
      'the controller shows the secondary active',
      async () => (await status()).active === 'secondary',
      30_000,
    );
    assert.equal((await status()).ready, false, 'one node is gone: Not Ready');
  });
});
