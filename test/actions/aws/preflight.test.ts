// Preflight and the IAM policy: every check classified (ok / missing permission / wrong id / unreachable), the
// statement to add printed, the shipped policy files equal to the generator, and the two CLI commands.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { EXAMPLE_SPECS, exampleFileName } from '../../../src/actions/aws/examples.js';
import { policyFor } from '../../../src/actions/aws/iam-policy.js';
import { AWS_KINDS, createAwsAction } from '../../../src/actions/aws/registry.js';
import type { AwsActionSpec, EniSpec, SecondaryIpSpec } from '../../../src/actions/aws/schema.js';
import { allOk, formatPreflight, preflightAll } from '../../../src/actions/kit/preflight-report.js';
import type { PreflightCheck } from '../../../src/actions/types.js';
import type { Sim } from '../../../src/sim/server.js';
import { contextFor, driver, ENI_B, I_B, nodeSpecs, simPolicy, startTestSim } from './fixtures.js';

const run = promisify(execFile);
const ROOT = new URL('../../../', import.meta.url).pathname;
const DEADLINE = { deadline_ms: 5000 };

/** Node B's four actions, with the ids it would otherwise discover. */
function specsB(): AwsActionSpec[] {
  return nodeSpecs('b', 2).map((s) => {
    if (s.kind === 'aws-eni') return { ...s, instance_id: I_B } as EniSpec;
    if (s.kind === 'aws-secondary-ip' || s.kind === 'aws-eip')
      return { ...s, eni_id: ENI_B } as SecondaryIpSpec;
    return s;
  });
}

function statuses(checks: readonly PreflightCheck[]): string[] {
  return checks.map((c) => c.status);
}

describe('preflight against the simulator', () => {
  let sim: Sim;
  beforeEach(async () => {
    sim = await startTestSim(2);
  });
  afterEach(() => sim.close());

  const drivers = (specs: AwsActionSpec[], identity = 'node-b') => specs.map((s) => driver(sim, identity, s));

  it('passes every check for a node holding exactly the generated policy', async () => {
    const actions = drivers(specsB());
    const results = await preflightAll(actions, DEADLINE.deadline_ms);
    assert.ok(allOk(results), formatPreflight(results));
    assert.ok(results.every((r) => r.checks.length >= 2));
    // Dry runs never change anything.
    assert.ok(
      sim.calls
        .list({ cloud: 'aws' })
        .filter((c) => !c.action.startsWith('Describe'))
        .every((c) => c.dry_run),
    );
    assert.match(formatPreflight(results), /Ready: every check passed/);
    for (const a of actions) a.close();
  });

  it('names the missing permission, the resource, and the statement to add', async () => {
    const policy = simPolicy(policyFor(specsB())).map((s) => ({
      ...s,
      actions: s.actions.filter((a) => a !== 'ec2:ReplaceRoute'),
    }));
    sim.iam.setPolicy('node-b', policy);
    const [route] = drivers(specsB().slice(0, 1));
    const checks = await route!.preflight(DEADLINE);
    const replace = checks.filter((c) => c.check.startsWith('ec2:ReplaceRoute'));
    assert.ok(replace.length >= 2);
    assert.ok(
      replace.every((c) => c.status === 'missing-permission'),
      JSON.stringify(replace),
    );
    assert.match(replace[0]!.fix ?? '', /"Action":"ec2:ReplaceRoute"/);
    assert.match(replace[0]!.fix ?? '', /arn:aws:ec2:us-east-1:123456789012:route-table\/rtb-/);
    assert.equal(checks.find((c) => c.check.startsWith('ec2:CreateRoute'))?.status, 'ok');
    const text = formatPreflight([{ action: route!.name, kind: route!.kind, checks }]);
    assert.match(text, /MISSING PERMISSION\s+ec2:ReplaceRoute/);
    assert.match(text, /Not ready/);
    route!.close();
  });

  it('reports wrong ids: route table, peer ENI, floating ENI, Elastic IP', async () => {
    const [route, eni, , eip] = specsB();
    const wrong = drivers([
      { ...route!, route_tables: ['rtb-0000000000000beef'] } as AwsActionSpec,
      { ...route!, peer_eni_id: 'eni-00000000000000bad' } as AwsActionSpec,
      { ...eni!, eni_id: 'eni-00000000000000bad' } as AwsActionSpec,
      { ...eip!, allocation_id: 'eipalloc-000000000bad' } as AwsActionSpec,
    ]);
    const [rt, peer, moved, address] = await Promise.all(wrong.map((d) => d.preflight(DEADLINE)));
    assert.deepEqual(statuses(rt!), ['wrong-id']);
    assert.match(rt![0]!.detail ?? '', /rtb-0000000000000beef/);
    assert.equal(peer!.find((c) => c.check.includes('peer ENI'))?.status, 'wrong-id');
    assert.deepEqual(statuses(moved!), ['wrong-id']);
    assert.deepEqual(statuses(address!), ['wrong-id']);
    for (const d of wrong) d.close();
  });

  it('reports an endpoint that does not answer as unreachable', async () => {
    const spec = {
      ...specsB()[0]!,
      endpoint: 'http://127.0.0.1:9',
      request_timeout_ms: 300,
      observe_interval_ms: 0,
    };
    const d = createAwsAction(spec, contextFor(sim, 'node-b'));
    const checks = await d.preflight({ deadline_ms: 1500 });
    assert.deepEqual(statuses(checks), ['unreachable']);
    assert.match(checks[0]!.fix ?? '', /endpoint/);
    d.close();
  });
});

describe('IAM policy', () => {
  it('the shipped deploy/aws policies are exactly what the generator prints', () => {
    for (const kind of AWS_KINDS) {
      const file = join(ROOT, 'deploy', 'aws', exampleFileName(kind));
      const shipped = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      assert.deepEqual(shipped, policyFor([EXAMPLE_SPECS[kind]]), `${file} is stale: regenerate it`);
    }
  });

  it('scopes writes to the configured route tables and adds DeleteRoute only for on_release=delete', () => {
    const spec = EXAMPLE_SPECS['aws-route-table'];
    const doc = policyFor([spec]);
    const write = doc.Statement.find((s) => s.Action.includes('ec2:ReplaceRoute'))!;
    assert.deepEqual(write.Action, ['ec2:CreateRoute', 'ec2:ReplaceRoute']);
    assert.ok((write.Resource as string[]).includes('arn:aws:ec2:*:*:route-table/rtb-0123456789abcdef0'));
    assert.ok(!(write.Resource as string[]).includes('*'));
    assert.ok(!JSON.stringify(doc).includes('DeleteRoute'));
    assert.ok(
      JSON.stringify(policyFor([{ ...spec, on_release: 'delete' }] as AwsActionSpec[])).includes(
        'ec2:DeleteRoute',
      ),
    );
  });
});

describe('tandem preflight and tandem iam-policy', () => {
  let sim: Sim;
  let dir: string;
  before(async () => {
    sim = await startTestSim(2);
    dir = mkdtempSync(join(tmpdir(), 'tdaws-'));
  });
  after(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const writeConfig = (): string => {
    writeFileSync(join(dir, 'pair.key'), randomBytes(32).toString('base64'));
    const file = join(dir, 'node-b.yaml');
    const actions = specsB().map((s, i) => ({ ...s, name: `aws-${i}`, endpoint: sim.aws_url }));
    writeFileSync(
      file,
      stringify({
        pair: 'lab',
        node: 'node-b',
        role: 'secondary',
        pair_key_file: 'pair.key',
        paths: [{ name: 'lan', local_address: '127.0.0.1', peer_address: '127.0.0.2' }],
        actions,
      }),
    );
    return file;
  };

  const cli = async (args: string[], identity = 'node-b') => {
    const id = sim.iam.byName(identity)!;
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
        cwd: ROOT,
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: id.aws_access_key_id,
          AWS_SECRET_ACCESS_KEY: id.aws_secret_access_key,
          AWS_EC2_METADATA_DISABLED: 'true',
        },
        timeout: 60_000,
      });
      return { code: 0, stdout };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  };

  it('tandem preflight: exit 0 and "Ready" with the right role; exit 1 naming the fix without it', async () => {
    const file = writeConfig();
    const good = await cli(['preflight', '--config', file]);
    assert.equal(good.code, 0, good.stdout);
    assert.match(good.stdout, /Ready: every check passed/);
    const bad = await cli(['preflight', '--config', file], 'reader');
    assert.equal(bad.code, 1, bad.stdout);
    assert.match(bad.stdout, /MISSING PERMISSION/);
    assert.match(bad.stdout, /fix: add to this node's IAM role: \{"Effect":"Allow","Action":"ec2:/);
  });

  it('tandem iam-policy --config prints the policy for the config’s aws actions', async () => {
    const file = writeConfig();
    const out = await cli(['iam-policy', '--config', file]);
    assert.equal(out.code, 0, out.stdout);
    assert.deepEqual(JSON.parse(out.stdout), JSON.parse(JSON.stringify(policyFor(specsB()))));
  });
});
