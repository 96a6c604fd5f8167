// Preflight and the custom role: each failure class apart (cannot authenticate, missing permission, wrong NIC,
// wrong setting), the role generator against the shipped deploy/azure examples and the CLI.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { EXAMPLE_SPECS, exampleFileName } from '../../../src/actions/azure/examples.js';
import { inSubnet } from '../../../src/actions/azure/preflight.js';
import { roleFor } from '../../../src/actions/azure/role.js';
import type { AzureKind } from '../../../src/actions/azure/schema.js';
import { validateAzureAction } from '../../../src/actions/azure/validate.js';
import { PREREQUISITE } from '../../../src/actions/kit/preflight-report.js';
import type { PreflightCheck } from '../../../src/actions/types.js';
import type { Sim } from '../../../src/sim/server.js';
import { startTestSim } from '../../sim/helpers.js';
import { caFile, driver, floatingSpec, routeSpec } from './fixtures.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const CTX = { deadline_ms: 15_000 };
const statuses = (checks: readonly PreflightCheck[]): string[] => checks.map((c) => c.status);

describe('azure preflight', () => {
  let sim: Sim;
  let ca: string;
  before(async () => {
    sim = await startTestSim();
    ca = caFile(sim);
  });
  after(() => sim.close());

  it('passes with the right role: NICs readable, writes permitted, IP forwarding on, floating IP in the subnet', async () => {
    for (const spec of [floatingSpec(sim, 'node-a', ca), routeSpec(sim, 'node-a', ca)]) {
      const checks = await driver(sim, 'node-a', spec).preflight(CTX);
      assert.ok(checks.length >= 4);
      assert.deepEqual(new Set(statuses(checks)), new Set(['ok']), JSON.stringify(checks, null, 1));
    }
  });

  it('a read-only identity: missing permission for the writes (not a wrong NIC)', async () => {
    const checks = await driver(sim, 'readonly', floatingSpec(sim, 'node-a', ca)).preflight(CTX);
    const perm = checks.find((c) => c.check.startsWith('permissions'))!;
    assert.equal(perm.status, 'missing-permission');
    assert.match(perm.detail ?? '', /networkInterfaces\/write/);
    assert.ok(!statuses(checks).includes('wrong-id'));
  });

  it('a wrong peer NIC is a wrong id, not a permission problem', async () => {
    const checks = await driver(
      sim,
      'node-a',
      floatingSpec(sim, 'node-a', ca, { peer_nic: 'no-such-nic' }),
    ).preflight(CTX);
    assert.equal(checks.find((c) => c.check.includes('no-such-nic'))?.status, 'wrong-id');
    assert.ok(!statuses(checks).includes('missing-permission'));
  });

  it('a credential that cannot get a token: cannot authenticate', async () => {
    const broken = {
      getToken: async () => {
        const e = new Error('ManagedIdentityCredential: no managed identity endpoint');
        e.name = 'CredentialUnavailableError';
        throw e;
      },
    };
    const checks = await driver(sim, 'node-a', floatingSpec(sim, 'node-a', ca), {
      credential: broken,
    }).preflight(CTX);
    assert.ok(statuses(checks).includes('cannot-authenticate'), JSON.stringify(checks));
    assert.ok(!statuses(checks).includes('missing-permission'));
  });

  it('a route table no subnet uses is a wrong setting, listed as a prerequisite', async () => {
    const table = Object.values(sim.state.azure.data.route_tables).find((t) => t.name === 'rt-lan')!;
    const before = table.subnet_ids;
    const check = (checks: readonly PreflightCheck[]) =>
      checks.find((c) => c.check === `${PREREQUISITE}route table rt-lan associated with a subnet`);
    assert.equal(
      check(await driver(sim, 'node-a', routeSpec(sim, 'node-a', ca)).preflight(CTX))?.status,
      'ok',
    );
    table.subnet_ids = [];
    try {
      const found = check(await driver(sim, 'node-a', routeSpec(sim, 'node-a', ca)).preflight(CTX));
      assert.equal(found?.status, 'wrong-setting');
      assert.match(found?.fix ?? '', /--route-table rt-lan/);
    } finally {
      table.subnet_ids = before;
    }
  });

  it('IP forwarding off and a reserved or outside floating IP are wrong settings', async () => {
    const nic = Object.values(sim.state.azure.data.nics).find((n) => n.name === 'node-a-nic')!;
    nic.enable_ip_forwarding = false;
    try {
      const checks = await driver(sim, 'node-a', routeSpec(sim, 'node-a', ca)).preflight(CTX);
      const fwd = checks.find((c) => c.check.includes('IP forwarding'));
      assert.equal(fwd?.status, 'wrong-setting');
      assert.ok(fwd?.check.startsWith(PREREQUISITE), 'listed as a prerequisite by the API test');
    } finally {
      nic.enable_ip_forwarding = true;
    }
    assert.equal(inSubnet('10.1.1.1', '10.1.1.0/24').status, 'wrong-setting');
    assert.equal(inSubnet('10.1.1.255', '10.1.1.0/24').status, 'wrong-setting');
    assert.equal(inSubnet('10.1.2.9', '10.1.1.0/24').status, 'wrong-setting');
    assert.equal(inSubnet('10.1.1.4', '10.1.1.0/24').status, 'ok');
  });
});

describe('azure config and role', () => {
  it('one imds_url per node: a second azure-* action naming another one is refused', () => {
    const route = {
      kind: 'azure-route-table',
      route_tables: ['rt'],
      prefixes: ['0.0.0.0/0'],
      peer_next_hop: '10.1.1.11',
    };
    const floating = { kind: 'azure-floating-ip', address: '10.1.1.100', peer_nic: 'b-nic' };
    const ctx = (siblings: object[]) => ({ local_addresses: [], siblings: siblings as never });
    const other = { ...floating, imds_url: 'http://127.0.0.1:9' };
    assert.deepEqual(validateAzureAction(route, ctx([route, floating])), []);
    const issues = validateAzureAction(route, ctx([route, other]));
    assert.deepEqual(
      issues.map((i) => i.path),
      ['imds_url'],
    );
    assert.match(issues[0]!.message, /process-wide/);
    assert.equal(validateAzureAction({ ...route, route_tables: ['bad name'] })[0]?.path, 'route_tables[0]');
  });

  it('validation names the path and what is expected', () => {
    const issues = validateAzureAction({
      kind: 'azure-route-table',
      route_tables: ['rt'],
      prefixes: ['10.0.0.1/8'],
      peer_next_hop: '010.1.1.1',
    });
    assert.deepEqual(
      issues.map((i) => i.path),
      ['prefixes[0]', 'peer_next_hop'],
    );
    assert.match(
      validateAzureAction({ kind: 'azure-floating-ip', address: '10.0.0.5', peer_nic: 'x', nci: 'y' })[0]!
        .message,
      /unknown key/,
    );
  });

  it('the shipped deploy/azure roles match the generator; the floating IP needs NIC write and subnet join', () => {
    for (const kind of Object.keys(EXAMPLE_SPECS) as AzureKind[]) {
      const shipped = JSON.parse(readFileSync(`${ROOT}deploy/azure/${exampleFileName(kind)}`, 'utf8'));
      assert.deepEqual(shipped, JSON.parse(JSON.stringify(roleFor([EXAMPLE_SPECS[kind]]))), kind);
    }
    const role = roleFor([EXAMPLE_SPECS['azure-floating-ip']]);
    assert.ok(role.Actions.includes('Microsoft.Network/networkInterfaces/write'));
    assert.ok(role.Actions.includes('Microsoft.Network/virtualNetworks/subnets/join/action'));
    assert.ok(!role.Actions.includes('Microsoft.Network/routeTables/routes/write'));
  });

  it('tandem azure-role --example prints the role', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'azure-role', '--example', 'route-table'],
      { cwd: ROOT, timeout: 60_000 },
    );
    assert.deepEqual(
      JSON.parse(stdout),
      JSON.parse(JSON.stringify(roleFor([EXAMPLE_SPECS['azure-route-table']]))),
    );
  });
});
