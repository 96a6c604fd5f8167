// Instance metadata: AWS IMDSv2 per instance (read the way an agent reads it, and by the SDK's own credential
// chain) and Azure's /metadata/instance (CLOUD.md §1.6, §2.2).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DescribeRouteTablesCommand, DetachNetworkInterfaceCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { Sim } from '../../src/sim/server.js';
import { ENI_A, ENI_A_WAN, ec2, eventually, I_A, RTB, SUBNET_A, startTestSim } from './helpers.js';

async function imdsToken(base: string, ttl = '60'): Promise<Response> {
  return fetch(`${base}/latest/api/token`, {
    method: 'PUT',
    headers: { 'x-aws-ec2-metadata-token-ttl-seconds': ttl },
  });
}

describe('sim: instance metadata', () => {
  let sim: Sim;
  let base: string;
  let token: string;
  const get = async (path: string) => {
    const res = await fetch(`${base}/latest/${path}`, { headers: { 'x-aws-ec2-metadata-token': token } });
    return { status: res.status, text: await res.text() };
  };
  before(async () => {
    sim = await startTestSim();
    base = sim.imds_urls[I_A]!;
    token = await (await imdsToken(base)).text();
  });
  after(() => sim.close());

  it('IMDSv2: a PUT token first; no token is 401, a bad TTL 400, X-Forwarded-For 403', async () => {
    assert.equal((await fetch(`${base}/latest/meta-data/instance-id`)).status, 401);
    assert.equal((await imdsToken(base, '0')).status, 400);
    assert.equal((await imdsToken(base, '21601')).status, 400);
    const forwarded = await fetch(`${base}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60', 'x-forwarded-for': '10.0.0.1' },
    });
    assert.equal(forwarded.status, 403);
    assert.equal((await get('meta-data/no-such-item')).status, 404);
  });

  it('tells an instance who it is: id, region, AZ, MACs and their interface ids, addresses, subnet', async () => {
    assert.equal((await get('meta-data/instance-id')).text, I_A);
    assert.equal((await get('meta-data/placement/region')).text, 'us-east-1');
    assert.equal((await get('meta-data/placement/availability-zone')).text, 'us-east-1a');
    const macs = (await get('meta-data/network/interfaces/macs/')).text.split('\n');
    assert.equal(macs.length, 2);
    const byEni = new Map<string, string>();
    for (const m of macs)
      byEni.set((await get(`meta-data/network/interfaces/macs/${m}interface-id`)).text, m);
    assert.deepEqual([...byEni.keys()].sort(), [ENI_A, ENI_A_WAN].sort());
    const lan = byEni.get(ENI_A)!;
    assert.equal(
      (await get(`meta-data/network/interfaces/macs/${lan}local-ipv4s`)).text,
      '10.0.1.10\n10.0.1.100',
    );
    assert.equal((await get(`meta-data/network/interfaces/macs/${lan}subnet-id`)).text, SUBNET_A);
    assert.equal((await get(`meta-data/network/interfaces/macs/${lan}device-number`)).text, '0');
    assert.equal(
      (await get(`meta-data/network/interfaces/macs/${lan}subnet-ipv4-cidr-block`)).text,
      '10.0.1.0/24',
    );
    assert.equal((await get('meta-data/mac')).text, lan.replace(/\/$/, ''));
    const doc = JSON.parse((await get('dynamic/instance-identity/document')).text) as Record<string, string>;
    assert.deepEqual(
      [doc.instanceId, doc.region, doc.availabilityZone, doc.accountId, doc.privateIp],
      [I_A, 'us-east-1', 'us-east-1a', '123456789012', '10.0.1.10'],
    );
    const other = sim.imds_urls['aws/node-b']!;
    const t = await (await imdsToken(other)).text();
    const res = await fetch(`${other}/latest/meta-data/instance-id`, {
      headers: { 'x-aws-ec2-metadata-token': t },
    });
    assert.equal(await res.text(), 'i-0a1b2c3d4e5f60002');
  });

  it('a force-detached ENI may still show in the old instance metadata', async () => {
    const attachment = sim.state.eni(ENI_A_WAN).attachment!.id;
    await ec2(sim, 'sim-admin').send(
      new DetachNetworkInterfaceCommand({ AttachmentId: attachment, Force: true }),
    );
    await eventually(async () => sim.state.eni(ENI_A_WAN).status === 'available');
    const macs = (await get('meta-data/network/interfaces/macs/')).text.split('\n');
    assert.equal(macs.length, 2);
  });

  it("the SDK's default credential chain gets the instance identity's keys from this IMDS", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tdsim-imds-'));
    const saved = { ...process.env };
    try {
      for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
        delete process.env[k];
      process.env.AWS_CONFIG_FILE = join(dir, 'config');
      process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
      process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = base;
      const client = new EC2Client({ region: 'us-east-1', endpoint: sim.aws_url, maxAttempts: 1 });
      const mark = sim.calls.last_seq();
      const out = await client.send(new DescribeRouteTablesCommand({ RouteTableIds: [RTB] }));
      assert.equal(out.RouteTables?.[0]?.RouteTableId, RTB);
      assert.equal(sim.calls.list({ since_seq: mark, cloud: 'aws' })[0]?.identity, 'node-a');
    } finally {
      process.env = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Azure IMDS: /metadata/instance needs the Metadata header and gives compute and network details', async () => {
    const az = sim.imds_urls['azure/node-a']!;
    const plain = await fetch(`${az}/metadata/instance?api-version=2021-02-01`);
    assert.equal(plain.status, 400);
    const res = await fetch(`${az}/metadata/instance?api-version=2021-02-01`, {
      headers: { Metadata: 'true' },
    });
    const body = (await res.json()) as {
      compute: Record<string, string>;
      network: {
        interface: {
          macAddress: string;
          ipv4: { ipAddress: { privateIpAddress: string }[]; subnet: { address: string; prefix: string }[] };
        }[];
      };
    };
    assert.deepEqual(
      [body.compute.name, body.compute.resourceGroupName, body.compute.location],
      ['node-a', 'tandem-rg', 'westeurope'],
    );
    assert.equal(body.compute.subscriptionId, '00000000-0000-4000-8000-000000000001');
    const nic = body.network.interface[0]!;
    assert.match(nic.macAddress, /^000D3A[0-9A-F]{6}$/);
    assert.deepEqual(
      nic.ipv4.ipAddress.map((x) => x.privateIpAddress),
      ['10.1.1.10', '10.1.1.100'],
    );
    assert.deepEqual(nic.ipv4.subnet, [{ address: '10.1.1.0', prefix: '24' }]);
    assert.equal(sim.state.nic('node-a-nic')?.mac.replace(/-/g, ''), nic.macAddress);
  });
});
