// EC2 route tables through @aws-sdk/client-ec2: the calls and errors a route-table failover relies on (CLOUD.md §1.2).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateRouteCommand,
  DeleteNetworkInterfaceCommand,
  DeleteRouteCommand,
  DescribeRouteTablesCommand,
  DetachNetworkInterfaceCommand,
  type EC2Client,
  ReplaceRouteCommand,
  type Route,
} from '@aws-sdk/client-ec2';
import type { Sim } from '../../src/sim/server.js';
import {
  ENI_A,
  ENI_A_WAN,
  ENI_B,
  ENI_FLOAT,
  ec2,
  failure,
  I_A,
  RTB,
  SUBNET_A,
  startTestSim,
  VGW,
} from './helpers.js';

async function routes(client: EC2Client): Promise<Route[]> {
  const out = await client.send(new DescribeRouteTablesCommand({ RouteTableIds: [RTB] }));
  return out.RouteTables?.[0]?.Routes ?? [];
}

describe('sim: EC2 route tables', () => {
  let sim: Sim;
  let a: EC2Client;
  before(async () => {
    sim = await startTestSim();
    a = ec2(sim, 'node-a');
  });
  after(() => sim.close());

  it('describes a route table with its routes, targets, states, origins, associations and propagating gateways', async () => {
    const out = await a.send(new DescribeRouteTablesCommand({ RouteTableIds: [RTB] }));
    const t = out.RouteTables?.[0];
    assert.equal(t?.RouteTableId, RTB);
    assert.equal(t?.VpcId, 'vpc-0a1b2c3d4e5f60001');
    const local = t?.Routes?.find((r) => r.GatewayId === 'local');
    assert.equal(local?.Origin, 'CreateRouteTable');
    const def = t?.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
    assert.deepEqual(
      [def?.NetworkInterfaceId, def?.InstanceId, def?.State, def?.Origin],
      [ENI_A, I_A, 'active', 'CreateRoute'],
    );
    assert.deepEqual(t?.Associations?.map((x) => x.SubnetId).sort(), [SUBNET_A, 'subnet-0a1b2c3d4e5f6000b']);
    assert.equal(t?.Associations?.[0]?.AssociationState?.State, 'associated');
    assert.deepEqual(
      t?.PropagatingVgws?.map((g) => g.GatewayId),
      [VGW],
    );
    assert.deepEqual(t?.Tags, [{ Key: 'Name', Value: 'private' }]);
  });

  it('filters by association.subnet-id, association.main, vpc-id, route.destination-cidr-block, route.state and route.origin', async () => {
    const ids = async (Filters: { Name: string; Values: string[] }[]) =>
      (await a.send(new DescribeRouteTablesCommand({ Filters }))).RouteTables?.map((t) => t.RouteTableId);
    assert.deepEqual(await ids([{ Name: 'association.subnet-id', Values: [SUBNET_A] }]), [RTB]);
    const main = await ids([
      { Name: 'association.main', Values: ['true'] },
      { Name: 'vpc-id', Values: ['vpc-0a1b2c3d4e5f60001'] },
    ]);
    assert.equal(main?.length, 1);
    assert.notEqual(main?.[0], RTB);
    assert.deepEqual(await ids([{ Name: 'route.destination-cidr-block', Values: ['192.168.100.0/24'] }]), [
      RTB,
    ]);
    assert.deepEqual(await ids([{ Name: 'route.origin', Values: ['EnableVgwRoutePropagation'] }]), [RTB]);
    assert.deepEqual(await ids([{ Name: 'route.state', Values: ['blackhole'] }]), []);
    assert.deepEqual(await ids([{ Name: 'tag:Name', Values: ['priv*'] }]), [RTB]);
  });

  it('has no route.network-interface-id filter, like EC2 (match ENIs client-side)', async () => {
    const err = await failure(() =>
      a.send(
        new DescribeRouteTablesCommand({
          Filters: [{ Name: 'route.network-interface-id', Values: [ENI_A] }],
        }),
      ),
    );
    assert.equal(err.name, 'InvalidParameterValue');
  });

  it('answers InvalidRouteTableID.NotFound for an unknown table, with the SDK error fields', async () => {
    const err = await failure(() =>
      a.send(new DescribeRouteTablesCommand({ RouteTableIds: ['rtb-0000000000000dead'] })),
    );
    assert.equal(err.name, 'InvalidRouteTableID.NotFound');
    assert.match(err.message, /The routeTable ID 'rtb-0000000000000dead' does not exist/);
    const meta = err.$metadata as { httpStatusCode: number; requestId: string };
    assert.equal(meta.httpStatusCode, 400);
    assert.match(meta.requestId, /^[0-9a-f-]{36}$/);
    assert.equal(err.$fault, 'client');
  });

  it('ReplaceRoute moves the next hop; on a missing destination it says InvalidParameterValue (not InvalidRoute.NotFound)', async () => {
    await a.send(
      new ReplaceRouteCommand({
        RouteTableId: RTB,
        DestinationCidrBlock: '0.0.0.0/0',
        NetworkInterfaceId: ENI_B,
      }),
    );
    assert.equal(
      (await routes(a)).find((r) => r.DestinationCidrBlock === '0.0.0.0/0')?.NetworkInterfaceId,
      ENI_B,
    );
    const err = await failure(() =>
      a.send(
        new ReplaceRouteCommand({
          RouteTableId: RTB,
          DestinationCidrBlock: '10.99.0.0/16',
          NetworkInterfaceId: ENI_B,
        }),
      ),
    );
    assert.equal(err.name, 'InvalidParameterValue');
    assert.match(err.message, /There is no route defined for '10.99.0.0\/16'.*Use CreateRoute instead/);
    await a.send(
      new ReplaceRouteCommand({
        RouteTableId: RTB,
        DestinationCidrBlock: '0.0.0.0/0',
        NetworkInterfaceId: ENI_A,
      }),
    );
  });

  it('ReplaceRoute to an unknown ENI is InvalidNetworkInterfaceID.NotFound, and a bad CIDR is InvalidParameterValue', async () => {
    const err = await failure(() =>
      a.send(
        new ReplaceRouteCommand({
          RouteTableId: RTB,
          DestinationCidrBlock: '0.0.0.0/0',
          NetworkInterfaceId: 'eni-00000000000000bad',
        }),
      ),
    );
    assert.equal(err.name, 'InvalidNetworkInterfaceID.NotFound');
    assert.match(err.message, /The networkInterface ID 'eni-00000000000000bad' does not exist/);
    const bad = await failure(() =>
      a.send(
        new ReplaceRouteCommand({
          RouteTableId: RTB,
          DestinationCidrBlock: '10.0.0.0/33',
          NetworkInterfaceId: ENI_A,
        }),
      ),
    );
    assert.equal(bad.name, 'InvalidParameterValue');
  });

  it('CreateRoute is idempotent for the same target and RouteAlreadyExists for another one', async () => {
    await a.send(
      new CreateRouteCommand({
        RouteTableId: RTB,
        DestinationCidrBlock: '10.50.0.0/16',
        NetworkInterfaceId: ENI_A,
      }),
    );
    await a.send(
      new CreateRouteCommand({
        RouteTableId: RTB,
        DestinationCidrBlock: '10.50.0.0/16',
        NetworkInterfaceId: ENI_A,
      }),
    );
    const err = await failure(() =>
      a.send(
        new CreateRouteCommand({
          RouteTableId: RTB,
          DestinationCidrBlock: '10.50.0.0/16',
          NetworkInterfaceId: ENI_B,
        }),
      ),
    );
    assert.equal(err.name, 'RouteAlreadyExists');
    assert.match(err.message, /The route identified by 10.50.0.0\/16 already exists/);
    assert.equal((await routes(a)).filter((r) => r.DestinationCidrBlock === '10.50.0.0/16').length, 1);
  });

  it('two nodes racing to CreateRoute the same prefix: exactly one wins, the other gets RouteAlreadyExists', async () => {
    const b = ec2(sim, 'node-b');
    const results = await Promise.allSettled([
      a.send(
        new CreateRouteCommand({
          RouteTableId: RTB,
          DestinationCidrBlock: '10.52.0.0/16',
          NetworkInterfaceId: ENI_A,
        }),
      ),
      b.send(
        new CreateRouteCommand({
          RouteTableId: RTB,
          DestinationCidrBlock: '10.52.0.0/16',
          NetworkInterfaceId: ENI_B,
        }),
      ),
    ]);
    const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    assert.equal(lost.length, 1);
    assert.equal((lost[0]!.reason as Error).name, 'RouteAlreadyExists');
    const winner = results[0]!.status === 'fulfilled' ? ENI_A : ENI_B;
    assert.equal(
      (await routes(a)).find((r) => r.DestinationCidrBlock === '10.52.0.0/16')?.NetworkInterfaceId,
      winner,
    );
    await a.send(new DeleteRouteCommand({ RouteTableId: RTB, DestinationCidrBlock: '10.52.0.0/16' }));
  });

  it('CreateRoute by InstanceId of a multi-ENI instance is refused: target the ENI', async () => {
    const err = await failure(() =>
      a.send(
        new CreateRouteCommand({ RouteTableId: RTB, DestinationCidrBlock: '10.51.0.0/16', InstanceId: I_A }),
      ),
    );
    assert.equal(err.name, 'InvalidInstanceID');
    assert.match(err.message, /multiple interfaces attached/);
  });

  it('DeleteRoute removes a static route; a missing one is InvalidRoute.NotFound', async () => {
    await a.send(new DeleteRouteCommand({ RouteTableId: RTB, DestinationCidrBlock: '10.50.0.0/16' }));
    assert.equal(
      (await routes(a)).some((r) => r.DestinationCidrBlock === '10.50.0.0/16'),
      false,
    );
    const err = await failure(() =>
      a.send(new DeleteRouteCommand({ RouteTableId: RTB, DestinationCidrBlock: '10.50.0.0/16' })),
    );
    assert.equal(err.name, 'InvalidRoute.NotFound');
  });

  it('a static route overrides a propagated one of the same prefix; both are listed; deleting it returns to the VGW', async () => {
    await a.send(
      new CreateRouteCommand({
        RouteTableId: RTB,
        DestinationCidrBlock: '172.16.0.0/16',
        NetworkInterfaceId: ENI_B,
      }),
    );
    const both = (await routes(a)).filter((r) => r.DestinationCidrBlock === '172.16.0.0/16');
    assert.deepEqual(both.map((r) => r.Origin).sort(), ['CreateRoute', 'EnableVgwRoutePropagation']);
    assert.equal(sim.state.effectiveRoute(RTB, '172.16.5.5')?.target_id, ENI_B);
    await a.send(new DeleteRouteCommand({ RouteTableId: RTB, DestinationCidrBlock: '172.16.0.0/16' }));
    const left = (await routes(a)).filter((r) => r.DestinationCidrBlock === '172.16.0.0/16');
    assert.deepEqual(
      left.map((r) => [r.Origin, r.GatewayId]),
      [['EnableVgwRoutePropagation', VGW]],
    );
    assert.equal(sim.state.effectiveRoute(RTB, '172.16.5.5')?.target_id, VGW);
  });

  it('the local route beats a more specific propagated route; longest prefix wins among static ones', async () => {
    sim.state.propagate(RTB, '10.0.1.0/24', VGW);
    assert.equal(sim.state.effectiveRoute(RTB, '10.0.1.50')?.target_id, 'local');
    sim.state.withdraw(RTB, '10.0.1.0/24');
    assert.equal(sim.state.effectiveRoute(RTB, '192.168.100.7')?.destination, '192.168.100.0/24');
    assert.equal(sim.state.effectiveRoute(RTB, '8.8.8.8')?.destination, '0.0.0.0/0');
  });

  it('a route becomes a blackhole when its ENI is detached or deleted, and when it vanishes', async () => {
    await a.send(
      new CreateRouteCommand({
        RouteTableId: RTB,
        DestinationCidrBlock: '10.60.0.0/16',
        NetworkInterfaceId: ENI_FLOAT,
      }),
    );
    const state = async (cidr: string) =>
      (await routes(a)).find((r) => r.DestinationCidrBlock === cidr)?.State;
    assert.equal(await state('10.60.0.0/16'), 'blackhole', 'an ENI attached to no instance serves nothing');
    await ec2(sim, 'sim-admin').send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: ENI_FLOAT }));
    assert.equal(await state('10.60.0.0/16'), 'blackhole');
    assert.equal(
      (
        await a.send(
          new DescribeRouteTablesCommand({ Filters: [{ Name: 'route.state', Values: ['blackhole'] }] }),
        )
      ).RouteTables?.[0]?.RouteTableId,
      RTB,
    );
    await a.send(
      new CreateRouteCommand({
        RouteTableId: RTB,
        DestinationCidrBlock: '10.61.0.0/16',
        NetworkInterfaceId: ENI_A_WAN,
      }),
    );
    assert.equal(await state('10.61.0.0/16'), 'active');
    const wan = await ec2(sim, 'sim-admin').send(
      new DetachNetworkInterfaceCommand({ AttachmentId: sim.state.eni(ENI_A_WAN).attachment!.id }),
    );
    assert.ok(wan.$metadata.httpStatusCode === 200);
    assert.equal(sim.vanish(ENI_A_WAN), true);
    assert.equal(await state('10.61.0.0/16'), 'blackhole');
  });
});
