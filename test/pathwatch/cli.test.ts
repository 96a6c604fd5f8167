// pathwatch's commands as an operator runs them: `pathwatch --check`, `preflight` and `iam-policy` on a
// pathwatch config (the preflight against the simulator, with the generated policy).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Sim } from '../../src/sim/server.js';
import { azureRoutes, caFileOf, startAzureSim } from './azure-fixtures.js';
import { keysOf, startPathSim } from './fixtures.js';

const run = promisify(execFile);
const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const EXAMPLE = new URL('../../examples/pathwatch-dx-vpn.yaml', import.meta.url).pathname;
const AZURE_EXAMPLE = new URL('../../examples/pathwatch-er-vpn-azure.yaml', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tandem-pw-cli-'));

async function tandem(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const out = await run(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env: { ...process.env, ...env },
    });
    return { status: 0, ...out };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { status: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

after(() => rmSync(dir, { recursive: true, force: true }));

describe('tandem pathwatch, preflight and iam-policy on a pathwatch config', () => {
  let sim: Sim;
  before(async () => {
    sim = await startPathSim();
  });
  after(async () => {
    await sim?.close();
  });

  it('--check accepts the example and refuses a bad file with file:line, path and what was expected', async () => {
    const ok = await tandem(['pathwatch', '--config', EXAMPLE, '--check']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /pathwatch-dx-vpn\.yaml: OK \(pathwatch \S+, \d+ primary target\(s\)/);
    assert.equal(ok.stdout.trim().split('\n').length, 1, `one line for the journal: ${ok.stdout}`);
    const printed = await tandem(['pathwatch', '--config', EXAMPLE, '--check', '--print']);
    assert.equal(printed.status, 0, printed.stderr);
    const cfg = JSON.parse(printed.stdout.slice(printed.stdout.indexOf('\n') + 1)) as { routes: unknown[] };
    assert.ok(cfg.routes.length > 0, printed.stdout);
    const bad = write(
      'bad.yaml',
      readFileSync(EXAMPLE, 'utf8').replace('healthy_rounds: 10', 'healthy_rounds: 0'),
    );
    const refused = await tandem(['pathwatch', '--config', bad, '--check']);
    assert.equal(refused.status, 2);
    assert.match(
      refused.stderr,
      /bad\.yaml:16: failback\.healthy_rounds: expected integer to be greater or equal to 1, got 0/,
    );
  });

  it('iam-policy prints the minimal policy: Describe on *, Create and Delete on the tables and the ENI', async () => {
    const out = await tandem(['iam-policy', '--config', EXAMPLE]);
    assert.equal(out.status, 0, out.stderr);
    const doc = JSON.parse(out.stdout) as { Statement: { Action: string[]; Resource: string | string[] }[] };
    assert.deepEqual(
      doc.Statement.map((s) => s.Action),
      [['ec2:DescribeRouteTables'], ['ec2:CreateRoute', 'ec2:DeleteRoute']],
    );
    assert.deepEqual(doc.Statement[1]?.Resource, [
      'arn:aws:ec2:us-east-1:*:network-interface/eni-0a1b2c3d4e5f600aa',
      'arn:aws:ec2:us-east-1:*:route-table/rtb-0a1b2c3d4e5f60001',
    ]);
  });

  it('preflight dry-runs every write against the cloud and says Ready', async () => {
    const cfg = `name: pf
primary:
  targets: [{ kind: icmp, address: 192.168.10.10 }]
routes:
  - kind: aws-route-table
    route_tables: [rtb-0000000000000a001, rtb-0000000000000a002]
    destinations: [192.168.0.0/16]
    eni_id: eni-0000000000000b001
    region: us-east-1
    endpoint: ${sim.aws_url}
`;
    const keys = keysOf(sim);
    const env = { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey };
    const out = await tandem(['preflight', '--config', write('pf.yaml', cfg)], env);
    assert.equal(out.status, 0, out.stdout + out.stderr);
    assert.match(out.stdout, /OK +ec2:CreateRoute on rtb-0000000000000a002 → eni-0000000000000b001/);
    assert.match(out.stdout, /Ready: every check passed\./);
    const reader = keysOf(sim, 'reader');
    const denied = await tandem(['preflight', '--config', join(dir, 'pf.yaml')], {
      AWS_ACCESS_KEY_ID: reader.accessKeyId,
      AWS_SECRET_ACCESS_KEY: reader.secretAccessKey,
    });
    assert.equal(denied.status, 1);
    assert.match(denied.stdout, /MISSING PERMISSION +ec2:DeleteRoute on rtb-0000000000000a001/);
  });
});

describe('tandem azure-role and preflight on an Azure pathwatch config', () => {
  let sim: Sim;
  before(async () => {
    sim = await startAzureSim();
  });
  after(() => sim?.close());

  it('azure-role prints the pathwatch role: route read, write and delete, scoped to the resource group', async () => {
    const ok = await tandem(['pathwatch', '--config', AZURE_EXAMPLE, '--check']);
    assert.equal(ok.status, 0, ok.stderr);
    const out = await tandem(['azure-role', '--config', AZURE_EXAMPLE]);
    assert.equal(out.status, 0, out.stderr);
    const role = JSON.parse(out.stdout) as { Actions: string[]; AssignableScopes: string[] };
    assert.ok(role.Actions.includes('Microsoft.Network/routeTables/routes/delete'));
    assert.ok(role.Actions.includes('Microsoft.Network/routeTables/routes/write'));
    assert.ok(!role.Actions.includes('Microsoft.Network/networkInterfaces/write'));
    assert.deepEqual(role.AssignableScopes, ['/subscriptions/<subscription-id>/resourceGroups/hybrid-rg']);
    const shipped = new URL('../../deploy/azure/role-pathwatch.json', import.meta.url).pathname;
    assert.deepEqual(
      role,
      JSON.parse(readFileSync(shipped, 'utf8')),
      'the shipped role is the generated one',
    );
    const aws = await tandem(['iam-policy', '--config', AZURE_EXAMPLE]);
    assert.equal(aws.status, 2);
    assert.match(aws.stderr, /routes: expected a aws-route-table entry for this command, found none/);
  });

  it('preflight reads the tables and lists the permissions with the VM’s managed identity (IMDS)', async () => {
    const r = azureRoutes(sim, caFileOf(sim));
    const cfg = `name: pf
primary:
  targets: [{ kind: tcp, address: 192.168.10.10, port: 443 }]
routes:
  - kind: azure-route-table
    route_tables: [${r.route_tables.join(', ')}]
    destinations: [${r.destinations.join(', ')}]
    next_hop: ${r.next_hop}
    subscription_id: ${r.subscription_id}
    resource_group: ${r.resource_group}
    arm_endpoint: ${r.arm_endpoint}
    arm_ca_file: ${r.arm_ca_file}
    imds_url: ${r.imds_url}
`;
    const out = await tandem(['preflight', '--config', write('pf-azure.yaml', cfg)]);
    assert.equal(out.status, 0, out.stdout + out.stderr);
    assert.match(out.stdout, /OK +read route table rt-app-2/);
    assert.match(
      out.stdout,
      /OK +permissions for the writes at \/subscriptions\/.*\/resourceGroups\/hybrid-rg/,
    );
    assert.doesNotMatch(out.stdout, /probes \(icmp\)/, 'tcp probes need no ICMP rights');
    assert.match(out.stdout, /Ready: every check passed\./);
  });
});
