// Scenario files, snapshots and `tandem sim` on its own.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { DescribeRouteTablesCommand, EC2Client, ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import { NetworkManagementClient } from '@azure/arm-network';
import { parseScenario } from '../../src/sim/scenario.js';
import { startSim } from '../../src/sim/server.js';
import { ENI_B, EXAMPLE, ec2, failure, RG, RTB, SUB } from './helpers.js';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('sim: scenarios, snapshots and the tandem sim command', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tdsim-scenario-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names the file, the path and the expectation when a scenario is wrong', () => {
    const bad = (yaml: string) => {
      try {
        parseScenario(yaml, 'pair.yaml');
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    assert.match(
      bad('aws:\n  vpcs:\n    - name: x\n      cidr: 10.0.0.0/99x\n      subnets: []\n'),
      /^pair\.yaml: aws\.vpcs\[0\]\.cidr: Expected string to match/,
    );
    assert.match(
      bad('azure:\n  nic_update_delay_ms: 200000\n  vnets: []\n'),
      /^pair\.yaml: azure\.nic_update_delay_ms: .*120000/,
    );
    assert.match(
      bad('aws:\n  vpcs: []\n  colour: blue\n'),
      /^pair\.yaml: aws\.colour: .*(property|Unexpected)/i,
    );
    assert.match(bad('aws: [\n'), /^pair\.yaml: not valid YAML/);
  });

  it('refuses references to things the scenario does not define, with their path', async () => {
    const text = readFileSync(EXAMPLE, 'utf8').replace('target: node-a-lan }', 'target: node-z-lan }');
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, text);
    const err = await failure(() => startSim({ scenario: file }));
    assert.match(
      err.message,
      /broken\.yaml: aws\.vpcs\[0\]\.route_tables\[1\]\.routes\[0\]\.target: .*node-z-lan/,
    );
    const reserved = readFileSync(EXAMPLE, 'utf8').replace('private_ip: 10.0.1.10', 'private_ip: 10.0.1.3');
    writeFileSync(file, reserved);
    assert.match(
      (await failure(() => startSim({ scenario: file }))).message,
      /aws\.instances\[0\]: Address 10\.0\.1\.3 is reserved/,
    );
  });

  it('keeps state across restarts in a JSON snapshot', async () => {
    const snapshot = join(dir, 'state.json');
    const first = await startSim({ scenario: EXAMPLE, snapshot_file: snapshot });
    const keys = first.iam.byName('node-a')!;
    await ec2(first, 'node-a').send(
      new ReplaceRouteCommand({
        RouteTableId: RTB,
        DestinationCidrBlock: '0.0.0.0/0',
        NetworkInterfaceId: ENI_B,
      }),
    );
    await first.close();
    const second = await startSim({ scenario: EXAMPLE, snapshot_file: snapshot });
    try {
      assert.equal(second.iam.byName('node-a')?.aws_access_key_id, keys.aws_access_key_id);
      const out = await ec2(second, 'node-a').send(new DescribeRouteTablesCommand({ RouteTableIds: [RTB] }));
      assert.equal(
        out.RouteTables?.[0]?.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0')?.NetworkInterfaceId,
        ENI_B,
      );
    } finally {
      await second.close();
    }
  });

  it('tandem sim runs on its own and prints endpoints and credentials that the SDKs can use', async () => {
    const caFile = join(dir, 'ca.pem');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'sim', '--scenario', EXAMPLE, '--json', '--ca-file', caFile],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`tandem sim exited with ${code}`)));
      });
      const info = JSON.parse(line) as {
        aws_url: string;
        azure_url: string;
        region: string;
        identities: { name: string; aws_access_key_id: string; aws_secret_access_key: string }[];
        admin_token: string;
        control_url: string;
      };
      const a = info.identities.find((i) => i.name === 'node-a')!;
      const client = new EC2Client({
        region: info.region,
        endpoint: info.aws_url,
        credentials: { accessKeyId: a.aws_access_key_id, secretAccessKey: a.aws_secret_access_key },
      });
      const out = await client.send(new DescribeRouteTablesCommand({ RouteTableIds: [RTB] }));
      assert.equal(out.RouteTables?.[0]?.RouteTableId, RTB);
      const token = await fetch(`${info.control_url}/azure/token`, {
        method: 'POST',
        headers: { authorization: `Bearer ${info.admin_token}` },
        body: JSON.stringify({ identity: 'node-a' }),
      });
      const { access_token } = (await token.json()) as { access_token: string };
      const armClient = new NetworkManagementClient(
        { getToken: async () => ({ token: access_token, expiresOnTimestamp: Date.now() + 60_000 }) },
        SUB,
        { endpoint: info.azure_url, $host: info.azure_url, tlsOptions: { ca: readFileSync(caFile, 'utf8') } },
      );
      assert.equal((await armClient.routeTables.get(RG, 'rt-lan')).name, 'rt-lan');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
