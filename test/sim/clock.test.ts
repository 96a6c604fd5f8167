// Time inside the simulator is injected: Azure's 120 s NIC update, a slow ENI attach and read lag run without waiting.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import { ManualClock } from '../../src/sim/clock.js';
import type { Sim } from '../../src/sim/server.js';
import {
  arm,
  control,
  ENI_A,
  ENI_B,
  ec2,
  failure,
  I_A,
  POLL,
  RG,
  RTB,
  SUBNET_A,
  simCredential,
  startTestSim,
  testScenario,
} from './helpers.js';

describe('sim: injected clock and runtime settings', () => {
  const clock = new ManualClock();
  let sim: Sim;
  before(async () => {
    sim = await startTestSim({
      clock,
      scenario: testScenario((s) => {
        s.azure!.nic_update_delay_ms = 120_000;
        s.aws!.attach_delay_ms = 60_000;
      }),
    });
  });
  after(() => sim.close());

  it('a NIC update stays InProgress for the whole configured 120 s, then the LRO succeeds', async () => {
    const client = arm(sim, simCredential(sim, 'node-b'));
    const nic = await client.networkInterfaces.get(RG, 'node-b-nic');
    const poller = await client.networkInterfaces.beginCreateOrUpdate(
      RG,
      'node-b-nic',
      { ...nic, enableIPForwarding: false },
      POLL,
    );
    await poller.poll();
    assert.equal(poller.isDone(), false);
    clock.advance(119_000);
    await poller.poll();
    assert.equal(poller.isDone(), false);
    assert.equal((await client.networkInterfaces.get(RG, 'node-b-nic')).provisioningState, 'Updating');
    clock.advance(1_000);
    const done = await poller.pollUntilDone();
    assert.deepEqual([done.provisioningState, done.enableIPForwarding], ['Succeeded', false]);
  });

  it('an ENI stays attaching until the attach delay has passed on the injected clock', async () => {
    const admin = ec2(sim, 'sim-admin');
    const created = await admin.send(new CreateNetworkInterfaceCommand({ SubnetId: SUBNET_A }));
    const id = created.NetworkInterface!.NetworkInterfaceId!;
    await admin.send(
      new AttachNetworkInterfaceCommand({ NetworkInterfaceId: id, InstanceId: I_A, DeviceIndex: 3 }),
    );
    const status = async () =>
      (await admin.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] })))
        .NetworkInterfaces?.[0]?.Attachment?.Status;
    clock.advance(59_999);
    assert.equal(await status(), 'attaching');
    clock.advance(1);
    assert.equal(await status(), 'attached');
  });

  it('with read lag on, Describe shows a changed route table as it was until the lag has passed', async () => {
    sim.settings({ aws_read_lag_ms: 2_000 });
    const a = ec2(sim, 'node-a');
    const nextHop = async () =>
      (await a.send(new DescribeRouteTablesCommand({ RouteTableIds: [RTB] }))).RouteTables?.[0]?.Routes?.find(
        (r) => r.DestinationCidrBlock === '0.0.0.0/0',
      )?.NetworkInterfaceId;
    assert.equal(await nextHop(), ENI_A);
    await a.send(
      new ReplaceRouteCommand({
        RouteTableId: RTB,
        DestinationCidrBlock: '0.0.0.0/0',
        NetworkInterfaceId: ENI_B,
      }),
    );
    assert.equal(await nextHop(), ENI_A, 'a stale read right after the write');
    assert.equal(
      sim.state.effectiveRoute(RTB, '8.8.8.8')?.target_id,
      ENI_B,
      'the change itself is made at once',
    );
    clock.advance(1_999);
    assert.equal(await nextHop(), ENI_A);
    clock.advance(1);
    assert.equal(await nextHop(), ENI_B);
    sim.settings({ aws_read_lag_ms: 0 });
  });

  it("ARM's request limits, when enabled: 250 reads at once per principal, then 429 with Retry-After", async () => {
    const own = new ManualClock();
    const limited = await startTestSim({ clock: own, azure_throttle: true });
    try {
      const client = arm(limited, simCredential(limited, 'node-a'), 0);
      const remaining: string[] = [];
      const first = await client.routeTables.get(RG, 'rt-lan', {
        onResponse: (r) => {
          remaining.push(r.headers.get('x-ms-ratelimit-remaining-subscription-reads') ?? '');
        },
      });
      assert.equal(first.name, 'rt-lan');
      assert.deepEqual(remaining, ['249']);
      for (let batch = 0; batch < 249; batch += 83) {
        await Promise.all(Array.from({ length: 83 }, () => client.routeTables.get(RG, 'rt-lan')));
      }
      const refused = await failure(() => client.routeTables.get(RG, 'rt-lan'));
      assert.deepEqual([refused.statusCode, refused.code], [429, 'TooManyRequests']);
      const other = arm(limited, simCredential(limited, 'node-b'), 0);
      assert.equal((await other.routeTables.get(RG, 'rt-lan')).name, 'rt-lan', 'buckets are per principal');
      own.advance(1_000);
      assert.equal(
        (await client.routeTables.get(RG, 'rt-lan')).name,
        'rt-lan',
        '25 reads per second come back',
      );
    } finally {
      await limited.close();
    }
  });

  it('the control API reads and changes timing settings, refusing out-of-range values', async () => {
    const bad = await control(sim, 'PUT', '/settings', { azure_nic_update_delay_ms: 120_001 });
    assert.equal(bad.status, 400);
    const unknown = await control(sim, 'PUT', '/settings', { colour: 1 });
    assert.equal(unknown.status, 400);
    const ok = await control(sim, 'PUT', '/settings', {
      azure_nic_update_delay_ms: 30_000,
      aws_detach_delay_ms: 5,
    });
    assert.equal(ok.status, 200);
    const now = (await control(sim, 'GET', '/settings')).json as Record<string, number>;
    assert.deepEqual(
      [now.azure_nic_update_delay_ms, now.aws_detach_delay_ms, now.aws_attach_delay_ms],
      [30_000, 5, 60_000],
    );
  });
});
