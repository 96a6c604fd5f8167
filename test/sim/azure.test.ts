// Azure ARM through @azure/arm-network over HTTPS: NIC and route LROs, etags, conflicts, RBAC, throttling (CLOUD.md §2).
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import type { NetworkInterface, NetworkManagementClient } from '@azure/arm-network';
import type { Sim } from '../../src/sim/server.js';
import { arm, failure, POLL, RG, SUB, simCredential, startTestSim } from './helpers.js';

const FLOAT = '10.1.1.100';
const MGMT = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/mgmt`;

function withoutIp(nic: NetworkInterface, ip: string): NetworkInterface {
  return { ...nic, ipConfigurations: nic.ipConfigurations?.filter((c) => c.privateIPAddress !== ip) };
}

function withIp(nic: NetworkInterface, ip: string, name = 'floating'): NetworkInterface {
  const subnet = nic.ipConfigurations?.find((c) => c.primary)?.subnet;
  return {
    ...nic,
    ipConfigurations: [
      ...(nic.ipConfigurations ?? []),
      { name, privateIPAddress: ip, privateIPAllocationMethod: 'Static', primary: false, subnet },
    ],
  };
}

describe('sim: Azure network interfaces and routes', () => {
  let sim: Sim;
  let a: NetworkManagementClient;
  let b: NetworkManagementClient;
  before(async () => {
    sim = await startTestSim();
    a = arm(sim, simCredential(sim, 'node-a'));
    b = arm(sim, simCredential(sim, 'node-b'));
  });
  after(() => sim.close());

  it('GETs a NIC with its ipconfigs (name, private IP, primary, subnet), MAC, forwarding, VM, etag and provisioningState', async () => {
    const nic = await a.networkInterfaces.get(RG, 'node-a-nic');
    assert.equal(nic.provisioningState, 'Succeeded');
    assert.match(nic.etag ?? '', /^W\/"[0-9a-f-]{36}"$/);
    assert.match(nic.macAddress ?? '', /^00-0D-3A(-[0-9A-F]{2}){3}$/);
    assert.equal(nic.enableIPForwarding, true);
    assert.match(nic.virtualMachine?.id ?? '', /virtualMachines\/node-a$/);
    assert.deepEqual(
      nic.ipConfigurations?.map((c) => [c.name, c.privateIPAddress, c.primary, c.privateIPAllocationMethod]),
      [
        ['ipconfig1', '10.1.1.10', true, 'Static'],
        ['floating', FLOAT, false, 'Static'],
      ],
    );
    assert.match(nic.ipConfigurations?.[0]?.subnet?.id ?? '', /virtualNetworks\/vnet1\/subnets\/lan$/);
    const list = [];
    for await (const n of a.networkInterfaces.list(RG)) list.push(n.name);
    assert.deepEqual(list.sort(), ['node-a-nic', 'node-b-nic']);
  });

  it('moves a floating IP: the peer must release it first; meanwhile writes conflict; the NIC is Updating until the LRO ends', async () => {
    const peerNic = await b.networkInterfaces.get(RG, 'node-b-nic');
    const early = await failure(() =>
      b.networkInterfaces.beginCreateOrUpdateAndWait(RG, 'node-b-nic', withIp(peerNic, FLOAT), POLL),
    );
    assert.equal(early.code, 'PrivateIPAddressIsAllocated');
    assert.equal(early.statusCode, 400);
    const ownerNic = await b.networkInterfaces.get(RG, 'node-a-nic');
    const release = await b.networkInterfaces.beginCreateOrUpdate(
      RG,
      'node-a-nic',
      withoutIp(ownerNic, FLOAT),
      POLL,
    );
    const during = await b.networkInterfaces.get(RG, 'node-a-nic');
    assert.equal(during.provisioningState, 'Updating');
    assert.notEqual(during.etag, ownerNic.etag);
    assert.equal(sim.state.ipOwner(FLOAT), undefined, 'no NIC serves the address while it moves');
    const busy = await failure(() =>
      b.networkInterfaces.beginCreateOrUpdateAndWait(RG, 'node-a-nic', during, POLL),
    );
    assert.equal(busy.code, 'AnotherOperationInProgress');
    assert.equal(busy.statusCode, 409);
    const stillHeld = await failure(() =>
      b.networkInterfaces.beginCreateOrUpdateAndWait(RG, 'node-b-nic', withIp(peerNic, FLOAT), POLL),
    );
    assert.equal(stillHeld.code, 'PrivateIPAddressIsAllocated');
    const released = await release.pollUntilDone();
    assert.equal(released.provisioningState, 'Succeeded');
    assert.deepEqual(
      released.ipConfigurations?.map((c) => c.name),
      ['ipconfig1'],
    );
    const claimed = await b.networkInterfaces.beginCreateOrUpdateAndWait(
      RG,
      'node-b-nic',
      withIp(peerNic, FLOAT, 'vip'),
      POLL,
    );
    assert.equal(claimed.provisioningState, 'Succeeded');
    assert.equal(claimed.ipConfigurations?.find((c) => c.privateIPAddress === FLOAT)?.primary, false);
    assert.match(sim.state.ipOwner(FLOAT) ?? '', /node-b-nic$/);
    const polled = sim.calls.list({ action: 'Microsoft.Network/locations/operations/read' });
    assert.ok(polled.length >= 2, 'the SDK polled the Azure-AsyncOperation URL');
  });

  it('two nodes writing the same NIC at once: one is accepted, the other gets 409 AnotherOperationInProgress', async () => {
    const nic = await a.networkInterfaces.get(RG, 'node-b-nic');
    const results = await Promise.allSettled([
      a.networkInterfaces.beginCreateOrUpdateAndWait(
        RG,
        'node-b-nic',
        { ...nic, enableIPForwarding: false },
        POLL,
      ),
      b.networkInterfaces.beginCreateOrUpdateAndWait(
        RG,
        'node-b-nic',
        { ...nic, enableIPForwarding: true },
        POLL,
      ),
    ]);
    const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    assert.equal(lost.length, 1);
    assert.equal((lost[0]!.reason as { code: string }).code, 'AnotherOperationInProgress');
    const won = results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<NetworkInterface>;
    assert.equal(
      (await a.networkInterfaces.get(RG, 'node-b-nic')).enableIPForwarding,
      won.value.enableIPForwarding,
    );
  });

  it('refuses deleting or renaming the primary ipconfig, mixed subnets, reserved and out-of-subnet addresses', async () => {
    const nic = await b.networkInterfaces.get(RG, 'node-b-nic');
    const primary = nic.ipConfigurations!.find((c) => c.primary)!;
    const rename = { ...nic, ipConfigurations: [{ ...primary, name: 'renamed' }] };
    assert.equal(
      (await failure(() => b.networkInterfaces.beginCreateOrUpdateAndWait(RG, 'node-b-nic', rename, POLL)))
        .code,
      'IpConfigDeleteNotSupported',
    );
    const drop = withoutIp(nic, primary.privateIPAddress!);
    assert.equal(
      (await failure(() => b.networkInterfaces.beginCreateOrUpdateAndWait(RG, 'node-b-nic', drop, POLL)))
        .code,
      'IpConfigDeleteNotSupported',
    );
    const mixed = {
      ...nic,
      ipConfigurations: [
        ...nic.ipConfigurations!,
        {
          name: 'm',
          privateIPAddress: '10.1.2.20',
          privateIPAllocationMethod: 'Static',
          subnet: { id: MGMT },
        },
      ],
    };
    assert.equal(
      (await failure(() => b.networkInterfaces.beginCreateOrUpdateAndWait(RG, 'node-b-nic', mixed, POLL)))
        .code,
      'IpConfigurationsOnSameNicCannotUseDifferentSubnets',
    );
    for (const [ip, code] of [
      ['10.1.1.0', 'PrivateIPAddressInReservedRange'],
      ['10.1.1.3', 'PrivateIPAddressInReservedRange'],
      ['10.1.1.255', 'PrivateIPAddressInReservedRange'],
      ['10.1.9.9', 'PrivateIPAddressNotInSubnet'],
    ]) {
      const err = await failure(() =>
        b.networkInterfaces.beginCreateOrUpdateAndWait(RG, 'node-b-nic', withIp(nic, ip!, 'x'), POLL),
      );
      assert.equal(err.code, code, ip);
    }
  });

  it('enforces If-Match on PUT (412 PreconditionFailed on a stale etag) and ignores it on the LRO GETs', async () => {
    const nic = await b.networkInterfaces.get(RG, 'node-b-nic');
    let etag = 'W/"00000000-0000-0000-0000-000000000000"';
    b.pipeline.addPolicy({
      name: 'tdsim-if-match',
      sendRequest: (req, next) => {
        if (req.method === 'PUT') req.headers.set('If-Match', etag);
        return next(req);
      },
    });
    try {
      const stale = await failure(() =>
        b.networkInterfaces.beginCreateOrUpdateAndWait(RG, 'node-b-nic', nic, POLL),
      );
      assert.equal(stale.code, 'PreconditionFailed');
      assert.equal(stale.statusCode, 412);
      etag = nic.etag!;
      const ok = await b.networkInterfaces.beginCreateOrUpdateAndWait(
        RG,
        'node-b-nic',
        { ...nic, enableIPForwarding: false },
        POLL,
      );
      assert.equal(ok.enableIPForwarding, false);
      assert.notEqual(ok.etag, nic.etag);
    } finally {
      b.pipeline.removePolicy({ name: 'tdsim-if-match' });
    }
  });

  it('route tables and routes: GET, PUT and DELETE routes as LROs, PUT of a table replaces every route', async () => {
    const table = await a.routeTables.get(RG, 'rt-lan');
    assert.deepEqual(
      table.routes?.map((r) => [r.name, r.addressPrefix, r.nextHopType, r.nextHopIpAddress]),
      [['default', '0.0.0.0/0', 'VirtualAppliance', '10.1.1.10']],
    );
    assert.match(table.subnets?.[0]?.id ?? '', /subnets\/lan$/);
    assert.equal(sim.state.azureEffectiveRoute('rt-lan', '8.8.8.8')?.next_hop_ip, '10.1.1.10');
    const put = await a.routes.beginCreateOrUpdate(
      RG,
      'rt-lan',
      'default',
      { addressPrefix: '0.0.0.0/0', nextHopType: 'VirtualAppliance', nextHopIpAddress: '10.1.1.11' },
      POLL,
    );
    assert.equal((await a.routes.get(RG, 'rt-lan', 'default')).provisioningState, 'Updating');
    assert.equal(
      sim.state.azureEffectiveRoute('rt-lan', '8.8.8.8')?.next_hop_ip,
      '10.1.1.10',
      'old next hop until the LRO ends',
    );
    const done = await put.pollUntilDone();
    assert.equal(sim.state.azureEffectiveRoute('rt-lan', '8.8.8.8')?.next_hop_ip, '10.1.1.11');
    assert.deepEqual([done.nextHopIpAddress, done.provisioningState], ['10.1.1.11', 'Succeeded']);
    const created = await a.routes.beginCreateOrUpdateAndWait(
      RG,
      'rt-lan',
      'overlay',
      { addressPrefix: '192.168.50.0/24', nextHopType: 'VirtualAppliance', nextHopIpAddress: '10.1.1.11' },
      POLL,
    );
    assert.equal(created.name, 'overlay');
    const names = [];
    for await (const r of a.routes.list(RG, 'rt-lan')) names.push(r.name);
    assert.deepEqual(names, ['default', 'overlay']);
    await a.routes.beginDeleteAndWait(RG, 'rt-lan', 'overlay', POLL);
    assert.equal((await failure(() => a.routes.get(RG, 'rt-lan', 'overlay'))).statusCode, 404);
    const bad = await failure(() =>
      a.routes.beginCreateOrUpdateAndWait(
        RG,
        'rt-lan',
        'x',
        { addressPrefix: '10.9.0.0/16', nextHopType: 'Internet', nextHopIpAddress: '10.1.1.11' },
        POLL,
      ),
    );
    assert.equal(bad.statusCode, 400);
    const admin = arm(sim, simCredential(sim, 'sim-admin'));
    const replaced = await admin.routeTables.beginCreateOrUpdateAndWait(
      RG,
      'rt-lan',
      {
        location: 'westeurope',
        routes: [{ name: 'only', addressPrefix: '10.8.0.0/16', nextHopType: 'None' }],
      },
      POLL,
    );
    assert.deepEqual(
      replaced.routes?.map((r) => r.name),
      ['only'],
    );
  });

  it('403 AuthorizationFailed for an identity without the action; LinkedAuthorizationFailed without subnet join', async () => {
    const ro = arm(sim, simCredential(sim, 'readonly'));
    const nic = await ro.networkInterfaces.get(RG, 'node-b-nic');
    const denied = await failure(() =>
      ro.routes.beginCreateOrUpdateAndWait(
        RG,
        'rt-lan',
        'x',
        { addressPrefix: '10.9.0.0/16', nextHopType: 'None' },
        POLL,
      ),
    );
    assert.equal(denied.code, 'AuthorizationFailed');
    assert.equal(denied.statusCode, 403);
    assert.match(
      String(denied.message),
      /does not have authorization to perform action 'Microsoft.Network\/routeTables\/routes\/write'/,
    );
    sim.iam.setPolicy('readonly', [{ actions: ['Microsoft.Network/networkInterfaces/*'], resources: ['*'] }]);
    const linked = await failure(() =>
      ro.networkInterfaces.beginCreateOrUpdateAndWait(RG, 'node-b-nic', nic, POLL),
    );
    assert.equal(linked.code, 'LinkedAuthorizationFailed');
  });

  it('throttles with 429 + Retry-After, which the SDK waits out and retries', async () => {
    sim.faults.set({ action: 'Microsoft.Network/routeTables/read', throttle_per_s: 1, retry_after_s: 1 });
    const mark = sim.calls.last_seq();
    await a.routeTables.get(RG, 'rt-lan');
    const second = await a.routeTables.get(RG, 'rt-lan');
    assert.equal(second.name, 'rt-lan');
    const noRetry = arm(sim, simCredential(sim, 'node-a'), 0);
    const refused = await failure(() => noRetry.routeTables.get(RG, 'rt-lan'));
    sim.faults.clear();
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.code, 'TooManyRequests');
    const statuses = sim.calls
      .list({ since_seq: mark, action: 'Microsoft.Network/routeTables/read' })
      .map((c) => c.status);
    assert.deepEqual(statuses.slice(0, 3), [200, 429, 200]);
  });

  it('an LRO can be made to fail: the SDK throws, the NIC ends Failed and keeps its old configuration', async () => {
    sim.faults.set({ action: 'Microsoft.Network/networkInterfaces/write', fail_operation: true });
    const nic = await b.networkInterfaces.get(RG, 'node-b-nic');
    const err = await failure(() =>
      b.networkInterfaces.beginCreateOrUpdateAndWait(RG, 'node-b-nic', withIp(nic, '10.1.1.150', 'y'), POLL),
    );
    sim.faults.clear();
    assert.match(err.message, /long-running operation has failed/);
    const after = await b.networkInterfaces.get(RG, 'node-b-nic');
    assert.equal(after.provisioningState, 'Failed');
    assert.equal(
      after.ipConfigurations?.some((c) => c.privateIPAddress === '10.1.1.150'),
      false,
    );
  });

  it("lists the caller's permitted actions at a scope (Microsoft.Authorization/permissions)", async () => {
    const path = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`;
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${sim.azure_url}${path}`,
        { ca: sim.azure_ca_pem, headers: { authorization: `Bearer ${sim.azureToken('node-a')}` } },
        (res) => {
          let text = '';
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end();
    });
    const actions = (JSON.parse(body) as { value: { actions: string[] }[] }).value[0]?.actions ?? [];
    assert.ok(actions.includes('Microsoft.Network/networkInterfaces/write'));
    assert.ok(actions.includes('Microsoft.Network/virtualNetworks/subnets/join/action'));
    assert.equal(
      actions.includes('Microsoft.Network/locations/operations/read'),
      false,
      'granted at another scope',
    );
  });

  it('refuses tokens it did not issue', async () => {
    const forged = arm(
      sim,
      { getToken: async () => ({ token: 'tdsim.node-a.forged', expiresOnTimestamp: Date.now() + 60_000 }) },
      0,
    );
    const err = await failure(() => forged.networkInterfaces.get(RG, 'node-a-nic'));
    assert.equal(err.statusCode, 401);
    assert.equal(err.code, 'InvalidAuthenticationToken');
  });
});
