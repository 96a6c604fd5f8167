// Time inside the simulator is injected: Azure's 120 s NIC update and a slow ENI attach run without waiting.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
} from '@aws-sdk/client-ec2';
import { ManualClock } from '../../src/sim/clock.js';
import type { Sim } from '../../src/sim/server.js';
import {
  arm,
  control,
  ec2,
  I_A,
  POLL,
  RG,
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
