// DryRun and least privilege on every mutating EC2 call; fault injection, throttling and the call log (CLOUD.md §1.3, §1.7).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AllocateAddressCommand,
  AssignPrivateIpAddressesCommand,
  AssociateAddressCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  CreateRouteCommand,
  DeleteNetworkInterfaceCommand,
  DeleteRouteCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DetachNetworkInterfaceCommand,
  DisassociateAddressCommand,
  EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  ReplaceRouteCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  UnassignPrivateIpAddressesCommand,
} from '@aws-sdk/client-ec2';
import type { CallRecord } from '../../src/sim/recorder.js';
import type { Sim } from '../../src/sim/server.js';
import {
  control,
  EIP,
  ENI_A,
  ENI_A_WAN,
  ENI_B,
  ENI_FLOAT,
  ec2,
  failure,
  I_A,
  I_B,
  RTB,
  SUBNET_A,
  startTestSim,
} from './helpers.js';

// One of each mutating call, built with valid ids so that only the permission decides the answer.
function mutatingCalls(sim: Sim) {
  const wanAttachment = sim.state.eni(ENI_A_WAN).attachment!.id;
  const assoc = Object.values(sim.state.aws.data.addresses).find((a) => a.association)!.association!.id;
  const DryRun = true;
  return [
    new CreateRouteCommand({
      DryRun,
      RouteTableId: RTB,
      DestinationCidrBlock: '10.70.0.0/16',
      NetworkInterfaceId: ENI_B,
    }),
    new ReplaceRouteCommand({
      DryRun,
      RouteTableId: RTB,
      DestinationCidrBlock: '0.0.0.0/0',
      NetworkInterfaceId: ENI_B,
    }),
    new DeleteRouteCommand({ DryRun, RouteTableId: RTB, DestinationCidrBlock: '0.0.0.0/0' }),
    new CreateNetworkInterfaceCommand({ DryRun, SubnetId: SUBNET_A }),
    new DeleteNetworkInterfaceCommand({ DryRun, NetworkInterfaceId: ENI_FLOAT }),
    new AttachNetworkInterfaceCommand({
      DryRun,
      NetworkInterfaceId: ENI_FLOAT,
      InstanceId: I_A,
      DeviceIndex: 2,
    }),
    new DetachNetworkInterfaceCommand({ DryRun, AttachmentId: wanAttachment }),
    new ModifyNetworkInterfaceAttributeCommand({
      DryRun,
      NetworkInterfaceId: ENI_A,
      SourceDestCheck: { Value: false },
    }),
    new AssignPrivateIpAddressesCommand({
      NetworkInterfaceId: ENI_B,
      SecondaryPrivateIpAddressCount: 1,
    }),
    new UnassignPrivateIpAddressesCommand({
      NetworkInterfaceId: ENI_A,
      PrivateIpAddresses: ['10.0.1.100'],
    }),
    new RunInstancesCommand({ DryRun, ImageId: 'ami-1', MinCount: 1, MaxCount: 1, SubnetId: SUBNET_A }),
    new TerminateInstancesCommand({ DryRun, InstanceIds: [I_B] }),
    new AllocateAddressCommand({ DryRun, Domain: 'vpc' }),
    new AssociateAddressCommand({
      DryRun,
      AllocationId: EIP,
      NetworkInterfaceId: ENI_B,
      AllowReassociation: true,
    }),
    new DisassociateAddressCommand({ DryRun, AssociationId: assoc }),
  ];
}

describe('sim: EC2 DryRun, permissions and faults', () => {
  let sim: Sim;
  before(async () => {
    sim = await startTestSim();
  });
  after(() => sim.close());

  it('every mutating call that takes DryRun answers DryRunOperation (412) when permitted and changes nothing', async () => {
    const admin = ec2(sim, 'sim-admin');
    const before = JSON.stringify(sim.snapshot().aws);
    // EC2 has no DryRun parameter on Assign/UnassignPrivateIpAddresses: the SDK cannot send one.
    const withDryRun = mutatingCalls(sim).filter((c) => !/PrivateIpAddresses/.test(c.constructor.name));
    assert.equal(withDryRun.length, 13);
    for (const command of withDryRun) {
      const err = await failure(() => admin.send(command as never));
      assert.equal(err.name, 'DryRunOperation', command.constructor.name);
      assert.equal((err.$metadata as { httpStatusCode: number }).httpStatusCode, 412);
      assert.match(err.message, /Request would have succeeded, but DryRun flag is set/);
    }
    assert.equal(JSON.stringify(sim.snapshot().aws), before);
  });

  it('every mutating call answers UnauthorizedOperation (403) to an identity without the permission', async () => {
    const readonly = ec2(sim, 'readonly');
    for (const command of mutatingCalls(sim)) {
      const err = await failure(() => readonly.send(command as never));
      assert.equal(err.name, 'UnauthorizedOperation', command.constructor.name);
      assert.equal((err.$metadata as { httpStatusCode: number }).httpStatusCode, 403);
      assert.match(
        err.message,
        /User: arn:aws:iam::123456789012:user\/readonly is not authorized to perform: ec2:/,
      );
    }
  });

  it('least privilege: node-a may replace routes but not create ENIs; a dry run checks the ids too', async () => {
    const a = ec2(sim, 'node-a');
    const replace = await failure(() =>
      a.send(
        new ReplaceRouteCommand({
          DryRun: true,
          RouteTableId: RTB,
          DestinationCidrBlock: '0.0.0.0/0',
          NetworkInterfaceId: ENI_B,
        }),
      ),
    );
    assert.equal(replace.name, 'DryRunOperation');
    const create = await failure(() =>
      a.send(new CreateNetworkInterfaceCommand({ DryRun: true, SubnetId: SUBNET_A })),
    );
    assert.equal(create.name, 'UnauthorizedOperation');
    const wrongId = await failure(() =>
      a.send(
        new ReplaceRouteCommand({
          DryRun: true,
          RouteTableId: 'rtb-000000000000dead',
          DestinationCidrBlock: '0.0.0.0/0',
          NetworkInterfaceId: ENI_B,
        }),
      ),
    );
    assert.equal(wrongId.name, 'InvalidRouteTableID.NotFound');
    sim.iam.setPolicy('node-b', [{ actions: ['ec2:DescribeRouteTables'], resources: ['*'] }]);
    const lost = await failure(() =>
      ec2(sim, 'node-b').send(
        new ReplaceRouteCommand({
          DryRun: true,
          RouteTableId: RTB,
          DestinationCidrBlock: '0.0.0.0/0',
          NetworkInterfaceId: ENI_B,
        }),
      ),
    );
    assert.equal(lost.name, 'UnauthorizedOperation');
  });

  it('refuses unknown access keys and credentials scoped to another region', async () => {
    const stranger = new EC2Client({
      region: 'us-east-1',
      endpoint: sim.aws_url,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIANOTKNOWN0000000', secretAccessKey: 'x'.repeat(40) },
    });
    assert.equal(
      (await failure(() => stranger.send(new DescribeRouteTablesCommand({})))).name,
      'AuthFailure',
    );
    const id = sim.iam.byName('node-a')!;
    const elsewhere = new EC2Client({
      region: 'eu-west-1',
      endpoint: sim.aws_url,
      maxAttempts: 1,
      credentials: { accessKeyId: id.aws_access_key_id, secretAccessKey: id.aws_secret_access_key },
    });
    assert.equal(
      (await failure(() => elsewhere.send(new DescribeRouteTablesCommand({})))).name,
      'AuthFailure',
    );
  });

  it('injects latency (fixed + jitter) and records every call with its timing and identity', async () => {
    const a = ec2(sim, 'node-a');
    const mark = sim.calls.last_seq();
    sim.faults.set({ action: 'DescribeRouteTables', latency_ms: 150, jitter_ms: 20 });
    await a.send(new DescribeRouteTablesCommand({ RouteTableIds: [RTB] }));
    sim.faults.clear('DescribeRouteTables');
    const calls = sim.calls.list({ since_seq: mark });
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.action, 'DescribeRouteTables');
    assert.equal(calls[0]?.identity, 'node-a');
    assert.deepEqual(calls[0]?.resources, []);
    assert.ok((calls[0]?.duration_ms ?? 0) >= 150, `recorded ${calls[0]?.duration_ms} ms`);
  });

  it('injects errors at a seeded rate, with a chosen code and status', async () => {
    const a = ec2(sim, 'node-a');
    sim.faults.set({
      action: 'ec2:DescribeNetworkInterfaces',
      error_rate: 1,
      error_code: 'InternalError',
      error_status: 500,
    });
    const err = await failure(() =>
      a.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [ENI_A] })),
    );
    assert.equal(err.name, 'InternalError');
    assert.equal(err.$fault, 'server');
    sim.faults.set({ action: 'DescribeNetworkInterfaces', error_rate: 0.5 });
    let failed = 0;
    for (let i = 0; i < 20; i++) {
      try {
        await a.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [ENI_A] }));
      } catch {
        failed++;
      }
    }
    sim.faults.clear();
    assert.ok(failed > 0 && failed < 20, `${failed} of 20 failed`);
  });

  it('the same seed replays the same injected errors', async () => {
    const outcomes = async (seed: number) => {
      const run = await startTestSim({ seed });
      try {
        run.faults.set({ action: 'DescribeRouteTables', error_rate: 0.5 });
        const client = ec2(run, 'node-a');
        const out: boolean[] = [];
        for (let i = 0; i < 16; i++) {
          out.push(
            await client.send(new DescribeRouteTablesCommand({ RouteTableIds: [RTB] })).then(
              () => true,
              () => false,
            ),
          );
        }
        return out.join('');
      } finally {
        await run.close();
      }
    };
    const first = await outcomes(42);
    assert.equal(await outcomes(42), first);
    assert.match(first, /true.*false|false.*true/);
  });

  it('throttles above N calls/s with RequestLimitExceeded (503)', async () => {
    const a = ec2(sim, 'node-a');
    sim.faults.set({ action: 'DescribeInstances', throttle_per_s: 2 });
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => a.send(new DescribeInstancesCommand({ InstanceIds: [I_A] }))),
    );
    sim.faults.clear();
    const errors = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason as Error & { $metadata: { httpStatusCode: number } });
    assert.ok(errors.length >= 3, `${errors.length} throttled`);
    assert.equal(errors[0]?.name, 'RequestLimitExceeded');
    assert.equal(errors[0]?.$metadata.httpStatusCode, 503);
  });

  it('a hanging call gets no answer until the fault is cleared', async () => {
    const a = ec2(sim, 'node-a');
    sim.faults.set({ action: 'DescribeRouteTables', hang: true });
    let settled = false;
    const pending = a.send(new DescribeRouteTablesCommand({ RouteTableIds: [RTB] })).finally(() => {
      settled = true;
    });
    const aborted = await failure(() =>
      a.send(new DescribeRouteTablesCommand({ RouteTableIds: [RTB] }), {
        abortSignal: AbortSignal.timeout(300),
      }),
    );
    assert.match(aborted.name, /Abort|Timeout/);
    assert.equal(settled, false);
    sim.faults.clear('DescribeRouteTables');
    const out = await pending;
    assert.equal(out.RouteTables?.[0]?.RouteTableId, RTB);
  });

  it('EC2 request buckets (50 burst, 5/s for ReplaceRoute) throttle a burst when enabled', async () => {
    const throttled = await startTestSim({ aws_throttle: true });
    try {
      const a = ec2(throttled, 'node-a');
      const results = await Promise.allSettled(
        Array.from({ length: 60 }, () =>
          a.send(
            new ReplaceRouteCommand({
              RouteTableId: RTB,
              DestinationCidrBlock: '0.0.0.0/0',
              NetworkInterfaceId: ENI_A,
            }),
          ),
        ),
      );
      const refused = results.filter((r) => r.status === 'rejected');
      assert.ok(refused.length >= 5 && refused.length <= 15, `${refused.length} of 60 refused`);
      assert.equal(((refused[0] as PromiseRejectedResult).reason as Error).name, 'RequestLimitExceeded');
    } finally {
      await throttled.close();
    }
  });

  it('the control API sets faults, lists calls and vanishes resources, and refuses anyone without the admin token', async () => {
    const a = ec2(sim, 'node-a');
    const noToken = await fetch(`${sim.control_url}/calls`);
    assert.equal(noToken.status, 401);
    const nodeToken = await fetch(`${sim.control_url}/calls`, {
      headers: { authorization: `Bearer ${sim.azureToken('node-a')}` },
    });
    assert.equal(nodeToken.status, 401);
    const set = await control(sim, 'POST', '/faults', {
      action: 'DescribeRouteTables',
      error_rate: 1,
      error_code: 'Unavailable',
      error_status: 503,
    });
    assert.equal(set.status, 200);
    assert.equal((await failure(() => a.send(new DescribeRouteTablesCommand({})))).name, 'Unavailable');
    const bad = await control(sim, 'POST', '/faults', { action: 'ReplaceRoute', error_rate: 2 });
    assert.equal(bad.status, 400);
    const typo = await control(sim, 'POST', '/faults', { action: 'ReplaceRoutes', error_rate: 1 });
    assert.equal(typo.status, 400);
    assert.match(
      (typo.json as { error: { message: string } }).error.message,
      /unknown action 'ReplaceRoutes'/,
    );
    await control(sim, 'DELETE', '/faults');
    const mark = sim.calls.last_seq();
    await a.send(new DescribeRouteTablesCommand({ RouteTableIds: [RTB] }));
    const listed = (await control(sim, 'GET', `/calls?since_seq=${mark}`)).json as { calls: CallRecord[] };
    assert.deepEqual(
      listed.calls.map((c) => [c.cloud, c.action, c.identity, c.status]),
      [['aws', 'DescribeRouteTables', 'node-a', 200]],
    );
    const learned = await control(sim, 'POST', '/aws/propagate', {
      route_table_id: RTB,
      destination: '10.80.0.0/16',
      vgw_id: 'vgw-0a1b2c3d4e5f60001',
    });
    assert.equal(learned.status, 200);
    const via = (await control(sim, 'GET', `/aws/effective-route?route_table_id=${RTB}&ip=10.80.1.1`))
      .json as { route: { origin: string } };
    assert.equal(via.route.origin, 'EnableVgwRoutePropagation');
    const propagated = await a.send(new DescribeRouteTablesCommand({ RouteTableIds: [RTB] }));
    assert.ok(
      propagated.RouteTables?.[0]?.Routes?.some(
        (r) => r.DestinationCidrBlock === '10.80.0.0/16' && r.Origin === 'EnableVgwRoutePropagation',
      ),
    );
    assert.equal((await control(sim, 'POST', '/vanish', { id: ENI_B })).status, 200);
    assert.equal((await control(sim, 'POST', '/vanish', { id: ENI_B })).status, 404);
    assert.equal((await control(sim, 'POST', '/snapshot')).status, 400, 'no snapshot file configured');
    assert.equal((await control(sim, 'POST', '/azure/token', { identity: 'nobody' })).status, 404);
    assert.equal((await control(sim, 'GET', '/no-such-route')).status, 404);
    const gone = await failure(() =>
      a.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [ENI_B] })),
    );
    assert.equal(gone.name, 'InvalidNetworkInterfaceID.NotFound');
    const routes = await a.send(new DescribeRouteTablesCommand({ RouteTableIds: [RTB] }));
    assert.ok(
      routes.RouteTables?.[0]?.Routes?.every(
        (r) => r.NetworkInterfaceId !== ENI_B || r.State === 'blackhole',
      ),
    );
  });
});
