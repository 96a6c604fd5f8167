// `tandem pathwatch` reporting to a real controller (SQLite): the pathwatch is the one node of a site of kind
// pathwatch, enrolls with a one-time token from a file, and the site shows its paths (up, loss, RTT), the active
// path and the routes; a failover and a failback become events, each recorded once. TCP probes on loopback (a
// listening port is a healthy primary, a closed one a dead primary) and the simulated AWS route tables.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningController, startController } from '../../src/controller/server.js';
import type { Sim } from '../../src/sim/server.js';
import { eventually } from '../helpers/netns.js';
import { awsRoutes, ENI_VPN, effective, keysOf, RTB_1, startPathSim, VGW } from './fixtures.js';

const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const ADMIN = randomBytes(24).toString('hex');
const VIA_VPN = `${ENI_VPN} CreateRoute`;
const VIA_DX = `${VGW} EnableVgwRoutePropagation`;

interface PathView {
  label: string;
  up: boolean | null;
  loss_pct: number | null;
  rtt_ms: number | null;
}
interface PathwatchView {
  active_path: string;
  primary: PathView;
  backup: PathView | null;
  routes: { ours: number; missing: number; conflicts: string[] } | null;
  failovers: number;
  failbacks: number;
}
interface SiteStatus {
  ready: boolean;
  kind: string;
  nodes: { primary: { state: string; pathwatch: PathwatchView | null } | null };
}
interface EventView {
  type: string;
  details: { ok: boolean | null; active_path: string; duration_ms: number | null };
}

function listen(port = 0): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer((c) => c.destroy());
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

describe('tandem pathwatch reporting to the controller', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tdpw-ctl-'));
  let sim: Sim;
  let controller: RunningController;
  let target: Server;
  let port = 0;
  let child: ChildProcess | null = null;
  let output = '';
  let site_id = '';

  const api = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(`${controller.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: await res.json() };
  };
  const status = async (): Promise<SiteStatus> =>
    (await api('GET', `/api/v1/sites/${site_id}/status`)).json as SiteStatus;
  const pathwatch = async (): Promise<PathwatchView | null> =>
    (await status()).nodes.primary?.pathwatch ?? null;
  const events = async (type: string): Promise<EventView[]> =>
    ((await api('GET', `/api/v1/events?site_id=${site_id}&type=${type}`)).json as { events: EventView[] })
      .events;

  before(async () => {
    sim = await startPathSim();
    target = await listen();
    port = (target.address() as { port: number }).port;
    controller = await startController({
      store_url: join(dir, 'controller.db'),
      admin_token: ADMIN,
      listen: { host: '127.0.0.1', port: 0 },
      sweep_interval_ms: 200,
    });
  });
  after(async () => {
    child?.kill('SIGTERM');
    target?.close();
    await controller?.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a pathwatch site takes one node: a secondary is refused with 409', async () => {
    const site = await api('POST', '/api/v1/sites', { name: 'dx-vpn', kind: 'pathwatch' });
    assert.equal(site.status, 201, JSON.stringify(site.json));
    site_id = (site.json as { id: string }).id;
    const node = { model: 'pathwatch', mgmt_ip: '10.0.1.5', subnet: '10.0.1.0/24' };
    const added = await api('POST', `/api/v1/sites/${site_id}/nodes`, { role: 'primary', ...node });
    assert.equal(added.status, 201, JSON.stringify(added.json));
    writeFileSync(join(dir, 'token'), (added.json as { enrollment_token: string }).enrollment_token);
    const second = await api('POST', `/api/v1/sites/${site_id}/nodes`, {
      role: 'secondary',
      ...node,
      mgmt_ip: '10.0.1.6',
    });
    assert.equal(second.status, 409);
    assert.match(JSON.stringify(second.json), /a pathwatch site has one node/);
  });

  it('enrolls with the token file and shows the paths, the active path and the routes', async () => {
    const r = awsRoutes();
    writeFileSync(
      join(dir, 'pw.yaml'),
      `name: dx-vpn
primary:
  label: direct-connect
  targets: [{ kind: tcp, address: 127.0.0.1, port: ${port} }]
  interval_ms: 200
  count: 1
  timeout_ms: 100
  spacing_ms: 0
failback: { healthy_rounds: 3 }
routes:
  - kind: aws-route-table
    route_tables: [${r.route_tables.join(', ')}]
    destinations: [${r.destinations.join(', ')}]
    eni_id: ${r.eni_id}
    region: ${r.region}
    endpoint: ${sim.aws_url}
controller:
  url: ${controller.url}
  enrollment_token_file: token
  report_interval_ms: 500
status: { listen: 127.0.0.1:0 }
`,
    );
    const keys = keysOf(sim);
    child = spawn(process.execPath, ['--import', 'tsx', CLI, 'pathwatch', '--config', join(dir, 'pw.yaml')], {
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: keys.accessKeyId,
        AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (b: Buffer) => {
      output += b.toString();
    });
    child.stderr?.on('data', (b: Buffer) => {
      output += b.toString();
    });
    await eventually(
      async () => {
        const pw = await pathwatch();
        return pw?.primary.up === true && pw.active_path === 'primary';
      },
      30_000,
      'a report after the first round and the first reading of the tables',
    );
    const pw = (await pathwatch())!;
    assert.equal(pw.active_path, 'primary');
    assert.equal(pw.primary.label, 'direct-connect');
    assert.equal(pw.primary.loss_pct, 0);
    assert.ok(pw.primary.rtt_ms !== null && pw.primary.rtt_ms >= 0);
    assert.deepEqual(pw.routes, { ours: 0, missing: 2, conflicts: [] });
    const s = await status();
    assert.equal(s.kind, 'pathwatch');
    assert.equal(s.nodes.primary?.state, 'active');
    assert.equal(s.ready, true, 'it could fail over now');
    assert.equal(statSync(join(dir, 'dx-vpn.controller-credential.json')).mode & 0o777, 0o600);
    assert.doesNotMatch(
      output,
      new RegExp(readFileSync(join(dir, 'token'), 'utf8').trim()),
      'token never logged',
    );
  });

  it('a failover and a failback are events, recorded once, and the site follows the active path', async () => {
    target.close(); // the primary dies: connections refused
    await eventually(() => effective(sim, RTB_1) === VIA_VPN, 15_000, 'failover');
    await eventually(async () => (await events('path-failover')).length === 1, 15_000, 'the failover event');
    const [failover] = await events('path-failover');
    assert.equal(failover?.details.ok, true);
    assert.equal(failover?.details.active_path, 'backup');
    assert.ok((failover?.details.duration_ms ?? -1) >= 0);
    await eventually(async () => (await pathwatch())?.active_path === 'backup', 10_000, 'shown on backup');
    const pw = (await pathwatch())!;
    assert.equal(pw.primary.up, false);
    assert.equal(pw.primary.loss_pct, 100);
    assert.deepEqual(pw.routes, { ours: 2, missing: 0, conflicts: [] });
    assert.equal(pw.failovers, 1);
    target = await listen(port); // the primary is back
    await eventually(() => effective(sim, RTB_1) === VIA_DX, 15_000, 'failback');
    await eventually(async () => (await events('path-failback')).length === 1, 15_000, 'the failback event');
    await eventually(async () => (await pathwatch())?.active_path === 'primary', 10_000, 'shown on primary');
    // A pair's command (a switchover) is answered, refused, not left to expire.
    const cmd = await api('POST', `/api/v1/sites/${site_id}/commands`, {
      command: 'switchover',
      wait_ms: 10_000,
    });
    assert.equal((cmd.json as { status: string }).status, 'refused', JSON.stringify(cmd.json));
    assert.equal((cmd.json as { reason: string }).reason, 'not-supported-by-pathwatch');
    // Later reports repeat nothing: still one event of each.
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal((await events('path-failover')).length, 1);
    assert.equal((await events('path-failback')).length, 1);
  });
});
