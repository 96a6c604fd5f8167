// ENIs, secondary addresses, instances and Elastic IPs through @aws-sdk/client-ec2 (CLOUD.md §1.4–1.5).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AllocateAddressCommand,
  AssignPrivateIpAddressesCommand,
  AssociateAddressCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DetachNetworkInterfaceCommand,
  type EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  type NetworkInterface,
  RunInstancesCommand,
  TerminateInstancesCommand,
  UnassignPrivateIpAddressesCommand,
} from '@aws-sdk/client-ec2';
import type { Sim } from '../../src/sim/server.js';
import {
  EIP,
  ENI_A,
  ENI_B,
  ec2,
  eventually,
  failure,
  I_A,
  I_B,
  SUBNET_A,
  SUBNET_B,
  startTestSim,
} from './helpers.js';

describe('sim: EC2 network interfaces, instances and Elastic IPs', () => {
  let sim: Sim;
  let admin: EC2Client;
  before(async () => {
    sim = await startTestSim();
    admin = ec2(sim, 'sim-admin');
  });
  after(() => sim.close());

  const eni = async (id: string): Promise<NetworkInterface> =>
    (await admin.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] })))
      .NetworkInterfaces![0]!;

  it('describes VPCs and subnets with their availability zones', async () => {
    const vpcs = await admin.send(new DescribeVpcsCommand({}));
    assert.deepEqual(
      vpcs.Vpcs?.map((v) => [v.VpcId, v.CidrBlock]),
      [['vpc-0a1b2c3d4e5f60001', '10.0.0.0/16']],
    );
    const subnets = await admin.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: ['us-east-1b'] }] }),
    );
    assert.deepEqual(
      subnets.Subnets?.map((s) => [s.SubnetId, s.CidrBlock, s.AvailabilityZone]),
      [[SUBNET_B, '10.0.2.0/24', 'us-east-1b']],
    );
  });

  it('describes an ENI with every field the actions read', async () => {
    const e = await eni(ENI_A);
    assert.equal(e.SubnetId, SUBNET_A);
    assert.equal(e.AvailabilityZone, 'us-east-1a');
    assert.equal(e.Status, 'in-use');
    assert.match(e.MacAddress ?? '', /^0e(:[0-9a-f]{2}){5}$/);
    assert.equal(e.PrivateIpAddress, '10.0.1.10');
    assert.equal(e.SourceDestCheck, false);
    assert.deepEqual(
      [e.Attachment?.InstanceId, e.Attachment?.DeviceIndex, e.Attachment?.Status],
      [I_A, 0, 'attached'],
    );
    assert.match(e.Attachment?.AttachmentId ?? '', /^eni-attach-/);
    assert.deepEqual(
      e.PrivateIpAddresses?.map((p) => [p.PrivateIpAddress, p.Primary]),
      [
        ['10.0.1.10', true],
        ['10.0.1.100', false],
      ],
    );
    assert.equal(e.PrivateIpAddresses?.[1]?.Association?.AllocationId, EIP);
  });

  it('filters ENIs by attachment.instance-id and addresses.private-ip-address', async () => {
    const byInstance = await admin.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [I_A] }] }),
    );
    assert.equal(byInstance.NetworkInterfaces?.length, 2);
    const byIp = await admin.send(
      new DescribeNetworkInterfacesCommand({
        Filters: [{ Name: 'addresses.private-ip-address', Values: ['10.0.1.100'] }],
      }),
    );
    assert.deepEqual(
      byIp.NetworkInterfaces?.map((x) => x.NetworkInterfaceId),
      [ENI_A],
    );
  });

  it("refuses the subnet's first four and last addresses, and addresses outside it", async () => {
    for (const ip of ['10.0.1.0', '10.0.1.1', '10.0.1.2', '10.0.1.3', '10.0.1.255', '10.0.9.9']) {
      const err = await failure(() =>
        admin.send(new CreateNetworkInterfaceCommand({ SubnetId: SUBNET_A, PrivateIpAddress: ip })),
      );
      assert.equal(err.name, 'InvalidParameterValue', ip);
    }
    const ok = await admin.send(
      new CreateNetworkInterfaceCommand({ SubnetId: SUBNET_A, PrivateIpAddress: '10.0.1.4' }),
    );
    assert.equal(ok.NetworkInterface?.PrivateIpAddress, '10.0.1.4');
    assert.equal(ok.NetworkInterface?.Status, 'available');
    const inUse = await failure(() =>
      admin.send(new CreateNetworkInterfaceCommand({ SubnetId: SUBNET_A, PrivateIpAddress: '10.0.1.4' })),
    );
    assert.equal(inUse.name, 'InvalidIPAddress.InUse');
  });

  it('attaches through attaching → attached, only within the subnet AZ, and detaches through detaching → available', async () => {
    const created = await admin.send(new CreateNetworkInterfaceCommand({ SubnetId: SUBNET_A }));
    const id = created.NetworkInterface!.NetworkInterfaceId!;
    const cross = await failure(() =>
      admin.send(
        new AttachNetworkInterfaceCommand({ NetworkInterfaceId: id, InstanceId: I_B, DeviceIndex: 1 }),
      ),
    );
    assert.equal(cross.name, 'InvalidParameterCombination');
    assert.match(cross.message, /same availability zone/);
    const taken = await failure(() =>
      admin.send(
        new AttachNetworkInterfaceCommand({ NetworkInterfaceId: id, InstanceId: I_A, DeviceIndex: 1 }),
      ),
    );
    assert.equal(taken.name, 'InvalidParameterValue', 'device index 1 holds node-a-wan');
    const att = await admin.send(
      new AttachNetworkInterfaceCommand({ NetworkInterfaceId: id, InstanceId: I_A, DeviceIndex: 2 }),
    );
    assert.match(att.AttachmentId ?? '', /^eni-attach-/);
    const during = await eni(id);
    assert.deepEqual([during.Status, during.Attachment?.Status], ['attaching', 'attaching']);
    await eventually(async () => (await eni(id)).Attachment?.Status === 'attached');
    assert.equal((await eni(id)).Status, 'in-use');
    await admin.send(new DetachNetworkInterfaceCommand({ AttachmentId: att.AttachmentId }));
    const leaving = await eni(id);
    assert.deepEqual([leaving.Status, leaving.Attachment?.Status], ['detaching', 'detaching']);
    await eventually(async () => (await eni(id)).Status === 'available');
    assert.equal((await eni(id)).Attachment, undefined);
  });

  it('a forced detach leaves the device index unusable; device 0 cannot be detached; unknown attachment is NotFound', async () => {
    const created = await admin.send(new CreateNetworkInterfaceCommand({ SubnetId: SUBNET_B }));
    const id = created.NetworkInterface!.NetworkInterfaceId!;
    const att = await admin.send(
      new AttachNetworkInterfaceCommand({ NetworkInterfaceId: id, InstanceId: I_B, DeviceIndex: 1 }),
    );
    await eventually(async () => (await eni(id)).Attachment?.Status === 'attached');
    await admin.send(new DetachNetworkInterfaceCommand({ AttachmentId: att.AttachmentId, Force: true }));
    await eventually(async () => (await eni(id)).Status === 'available');
    const again = await failure(() =>
      admin.send(
        new AttachNetworkInterfaceCommand({ NetworkInterfaceId: id, InstanceId: I_B, DeviceIndex: 1 }),
      ),
    );
    assert.equal(again.name, 'InvalidParameterValue');
    const primary = (await eni(ENI_B)).Attachment!.AttachmentId!;
    const zero = await failure(() =>
      admin.send(new DetachNetworkInterfaceCommand({ AttachmentId: primary })),
    );
    assert.equal(zero.name, 'OperationNotPermitted');
    const unknown = await failure(() =>
      admin.send(new DetachNetworkInterfaceCommand({ AttachmentId: 'eni-attach-000000000dead' })),
    );
    assert.equal(unknown.name, 'InvalidAttachmentID.NotFound');
  });

  it('ModifyNetworkInterfaceAttribute turns the source/dest check on and off', async () => {
    await admin.send(
      new ModifyNetworkInterfaceAttributeCommand({
        NetworkInterfaceId: ENI_B,
        SourceDestCheck: { Value: true },
      }),
    );
    assert.equal((await eni(ENI_B)).SourceDestCheck, true);
    await admin.send(
      new ModifyNetworkInterfaceAttributeCommand({
        NetworkInterfaceId: ENI_B,
        SourceDestCheck: { Value: false },
      }),
    );
    assert.equal((await eni(ENI_B)).SourceDestCheck, false);
  });

  it('AssignPrivateIpAddresses moves an address only with AllowReassignment, and its Elastic IP follows', async () => {
    const refused = await failure(() =>
      admin.send(
        new AssignPrivateIpAddressesCommand({
          NetworkInterfaceId: ENI_B,
          PrivateIpAddresses: ['10.0.1.100'],
        }),
      ),
    );
    assert.equal(refused.name, 'InvalidParameterValue', 'another subnet: outside ENI_B subnet range');
    const other = await admin.send(new CreateNetworkInterfaceCommand({ SubnetId: SUBNET_A }));
    const to = other.NetworkInterface!.NetworkInterfaceId!;
    const inUse = await failure(() =>
      admin.send(
        new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: to, PrivateIpAddresses: ['10.0.1.100'] }),
      ),
    );
    assert.equal(inUse.name, 'InvalidIPAddress.InUse');
    const moved = await admin.send(
      new AssignPrivateIpAddressesCommand({
        NetworkInterfaceId: to,
        PrivateIpAddresses: ['10.0.1.100'],
        AllowReassignment: true,
      }),
    );
    assert.deepEqual(
      moved.AssignedPrivateIpAddresses?.map((x) => x.PrivateIpAddress),
      ['10.0.1.100'],
    );
    assert.equal(
      (await eni(ENI_A)).PrivateIpAddresses?.some((p) => p.PrivateIpAddress === '10.0.1.100'),
      false,
    );
    const addr = await admin.send(new DescribeAddressesCommand({ AllocationIds: [EIP] }));
    assert.deepEqual(
      [addr.Addresses?.[0]?.NetworkInterfaceId, addr.Addresses?.[0]?.PrivateIpAddress],
      [to, '10.0.1.100'],
    );
    const primary = await failure(() =>
      admin.send(
        new AssignPrivateIpAddressesCommand({
          NetworkInterfaceId: to,
          PrivateIpAddresses: ['10.0.1.10'],
          AllowReassignment: true,
        }),
      ),
    );
    assert.equal(primary.name, 'InvalidParameterValue', 'a primary address never moves');
    const reserved = await failure(() =>
      admin.send(
        new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: to, PrivateIpAddresses: ['10.0.1.3'] }),
      ),
    );
    assert.equal(reserved.name, 'InvalidParameterValue');
    await admin.send(
      new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: to, PrivateIpAddresses: ['10.0.1.100'] }),
    );
    assert.equal((await eni(to)).PrivateIpAddresses?.length, 1);
    const notThere = await failure(() =>
      admin.send(
        new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: to, PrivateIpAddresses: ['10.0.1.100'] }),
      ),
    );
    assert.equal(notThere.name, 'InvalidParameterValue');
    const count = await admin.send(
      new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: to, SecondaryPrivateIpAddressCount: 2 }),
    );
    assert.equal(count.AssignedPrivateIpAddresses?.length, 2);
  });

  it('Elastic IPs: allocate, associate, reassociate unless AllowReassociation=false, describe', async () => {
    const alloc = await admin.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    assert.match(alloc.AllocationId ?? '', /^eipalloc-/);
    assert.match(alloc.PublicIp ?? '', /^198\.51\.100\.\d+$/);
    const first = await admin.send(
      new AssociateAddressCommand({
        AllocationId: alloc.AllocationId,
        NetworkInterfaceId: ENI_A,
        AllowReassociation: true,
      }),
    );
    assert.match(first.AssociationId ?? '', /^eipassoc-/);
    const refused = await failure(() =>
      admin.send(
        new AssociateAddressCommand({
          AllocationId: alloc.AllocationId,
          NetworkInterfaceId: ENI_B,
          AllowReassociation: false,
        }),
      ),
    );
    assert.equal(refused.name, 'Resource.AlreadyAssociated');
    await admin.send(
      new AssociateAddressCommand({
        AllocationId: alloc.AllocationId,
        NetworkInterfaceId: ENI_B,
        AllowReassociation: true,
      }),
    );
    const d = await admin.send(new DescribeAddressesCommand({ PublicIps: [alloc.PublicIp!] }));
    assert.deepEqual(
      [
        d.Addresses?.[0]?.NetworkInterfaceId,
        d.Addresses?.[0]?.InstanceId,
        d.Addresses?.[0]?.PrivateIpAddress,
      ],
      [ENI_B, I_B, '10.0.2.10'],
    );
    const missing = await failure(() =>
      admin.send(
        new AssociateAddressCommand({ AllocationId: 'eipalloc-000000000dead', NetworkInterfaceId: ENI_B }),
      ),
    );
    assert.equal(missing.name, 'InvalidAllocationID.NotFound');
  });

  it('instances: run, describe with their ENIs and placement, terminate', async () => {
    const run = await admin.send(
      new RunInstancesCommand({
        ImageId: 'ami-12345678',
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: SUBNET_B,
      }),
    );
    const id = run.Instances?.[0]?.InstanceId ?? '';
    assert.match(id, /^i-/);
    const d = await admin.send(new DescribeInstancesCommand({ InstanceIds: [id, I_A] }));
    const insts = d.Reservations?.flatMap((r) => r.Instances ?? []) ?? [];
    const mine = insts.find((i) => i.InstanceId === id);
    assert.equal(mine?.Placement?.AvailabilityZone, 'us-east-1b');
    assert.equal(mine?.State?.Name, 'running');
    assert.equal(mine?.NetworkInterfaces?.[0]?.Attachment?.DeviceIndex, 0);
    const a = insts.find((i) => i.InstanceId === I_A);
    assert.deepEqual(
      a?.NetworkInterfaces?.map((n) => n.NetworkInterfaceId),
      [ENI_A, 'eni-0a1b2c3d4e5f6001a'],
    );
    await admin.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    const gone = await admin.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['terminated'] }] }),
    );
    assert.deepEqual(
      gone.Reservations?.flatMap((r) => r.Instances?.map((i) => i.InstanceId)),
      [id],
    );
  });
});
