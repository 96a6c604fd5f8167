// The watcher in this process against the simulator, with TCP probes on loopback (a listening port is a
// healthy primary, a closed one a dead primary): the route follows, a hand-deleted failover route is created
// again at the next periodic reading, and /status and /metrics say where the traffic goes.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { parsePathwatchConfig } from '../../src/pathwatch/config.js';
import { createPathRoutes } from '../../src/pathwatch/registry.js';
import { serveStatus } from '../../src/pathwatch/status-server.js';
import { Watcher } from '../../src/pathwatch/watcher.js';
import type { Sim } from '../../src/sim/server.js';
import { eventually } from '../helpers/netns.js';
import { awsRoutes, ENI_VPN, effective, FAST_RETRY, keysOf, RTB_1, startPathSim, VGW } from './fixtures.js';

const VIA_VPN = `${ENI_VPN} CreateRoute`;
const VIA_DX = `${VGW} EnableVgwRoutePropagation`;

function listen(port = 0): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer((c) => c.destroy());
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

describe('the pathwatch watcher', () => {
  let sim: Sim;
  let target: Server;
  let port: number;
  before(async () => {
    sim = await startPathSim();
    target = await listen();
    port = (target.address() as { port: number }).port;
  });
  after(async () => {
    target?.close();
    await sim?.close();
  });

  it('fails over, repairs a hand-deleted route, fails back, and reports it on /status and /metrics', async () => {
    const r = awsRoutes();
    const cfg = parsePathwatchConfig(
      'w.yaml',
      `name: w
primary:
  label: dx
  interval_ms: 100
  count: 1
  timeout_ms: 50
  targets: [{ kind: tcp, address: 127.0.0.1, port: ${port} }]
failback: { healthy_rounds: 5 }
observe_interval_ms: 1000
routes:
  - kind: aws-route-table
    route_tables: [${r.route_tables.join(', ')}]
    destinations: [${r.destinations.join(', ')}]
    eni_id: ${r.eni_id}
    region: ${r.region}
    endpoint: ${sim.aws_url}
status: { listen: 127.0.0.1:0 }
`,
    );
    const routes = await createPathRoutes(cfg.routes, {
      aws: { retry: FAST_RETRY, credentials: keysOf(sim) },
      azure: { log: pino({ level: 'silent' }) },
    });
    const watcher = new Watcher(cfg, {
      log: pino({ level: process.env.TANDEM_TEST_LOG ?? 'silent' }),
      routes,
    });
    const server = await serveStatus(watcher, '127.0.0.1', 0);
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    watcher.start();
    try {
      // The first reading of the tables, then a healthy round.
      await eventually(
        () => watcher.status().active_path === 'primary' && watcher.status().primary.up === true,
        10_000,
        'resumed on the primary',
      );
      target.close(); // the primary dies: connections refused
      await eventually(() => effective(sim, RTB_1) === VIA_VPN, 10_000, 'failover');
      await eventually(() => watcher.status().failovers === 1, 5000, 'the failover confirmed');
      // Someone deletes the failover route by hand while the primary is still down.
      const t = sim.state.aws.routeTable(RTB_1);
      t.routes = t.routes.filter((x) => x.origin !== 'CreateRoute');
      assert.equal(effective(sim, RTB_1), VIA_DX);
      await eventually(() => effective(sim, RTB_1) === VIA_VPN, 10_000, 'repaired');
      await eventually(() => watcher.status().failovers === 2, 5000, 'the repair confirmed');
      const status = (await (await fetch(`${url}/status`)).json()) as {
        active_label: string;
        failovers: number;
      };
      assert.equal(status.active_label, 'backup');
      assert.equal(status.failovers, 2);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(metrics, /tandem_pathwatch_active_path\{path="backup"\} 1/);
      assert.match(metrics, /tandem_pathwatch_loss_ratio\{path="primary"\} 1/);
      assert.match(metrics, /tandem_pathwatch_switches_total\{op="failover",outcome="ok"\} 2/);
      target = await listen(port); // the primary is back
      await eventually(() => effective(sim, RTB_1) === VIA_DX, 10_000, 'failback');
      await eventually(() => watcher.status().failbacks === 1, 5000, 'the failback confirmed');
      const after = await (await fetch(`${url}/metrics`)).text();
      assert.match(after, /tandem_pathwatch_active_path\{path="primary"\} 1/);
      assert.match(after, /tandem_pathwatch_rtt_seconds\{path="primary"\} \d/);
    } finally {
      server.close();
      await watcher.stop();
    }
  });
});
