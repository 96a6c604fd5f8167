// A simulated VPC for the AWS action tests: two nodes in one AZ (ENI moves), a third in another AZ, ten route
// tables, a floating ENI, a secondary IP and an Elastic IP. Node identities get exactly the policy that
// `tandem iam-policy` generates for their config, so every test also proves the generated policy suffices.
import { pino } from 'pino';
import type { PolicyDocument } from '../../../src/actions/aws/iam-policy.js';
import { policyFor } from '../../../src/actions/aws/iam-policy.js';
import { createAwsAction } from '../../../src/actions/aws/registry.js';
import type { AwsActionSpec, RouteTableSpec } from '../../../src/actions/aws/schema.js';
import { type AwsContext, DiscoveryCache } from '../../../src/actions/aws/session.js';
import type { Statement } from '../../../src/sim/iam.js';
import type { Scenario } from '../../../src/sim/scenario-schema.js';
import { type Sim, startSim } from '../../../src/sim/server.js';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const I_A = 'i-0000000000000000a';
export const I_B = 'i-0000000000000000b';
export const I_C = 'i-0000000000000000c';
export const ENI_A = 'eni-0000000000000000a';
export const ENI_B = 'eni-0000000000000000b';
export const ENI_C = 'eni-0000000000000000c';
export const ENI_FLOAT = 'eni-00000000000000f10';
export const EIP = 'eipalloc-0000000000000001';
export const IGW = 'igw-00000000000000001';
export const SECONDARY_IP = '10.0.1.100';
export const OVERLAY = '192.168.200.1/32';
export const tableId = (i: number): string => `rtb-00000000000000${String(i).padStart(3, '0')}`;

/** Route tables 0..n-1; each starts with 0.0.0.0/0 → node A (the active node) and no overlay route. */
export function scenario(tables = 3, edit: (s: Scenario) => void = () => {}): Scenario {
  const s: Scenario = {
    seed: 11,
    identities: [
      { name: 'node-a', policy: simPolicy(policyFor(nodeSpecs('a', tables))) },
      { name: 'node-b', policy: simPolicy(policyFor(nodeSpecs('b', tables))) },
      { name: 'node-c', policy: simPolicy(policyFor(nodeSpecs('a', tables))) },
      { name: 'reader', policy: [{ actions: ['ec2:Describe*'], resources: ['*'] }] },
    ],
    aws: {
      region: REGION,
      account_id: ACCOUNT,
      attach_delay_ms: 100,
      detach_delay_ms: 100,
      vpcs: [
        {
          name: 'vpc',
          cidr: '10.0.0.0/16',
          gateways: [IGW],
          subnets: [
            { name: 'lan-a', id: 'subnet-0000000000000000a', cidr: '10.0.1.0/24', az: 'us-east-1a' },
            { name: 'lan-c', id: 'subnet-0000000000000000c', cidr: '10.0.3.0/24', az: 'us-east-1c' },
          ],
          route_tables: Array.from({ length: tables }, (_, i) => ({
            name: `rt-${i}`,
            id: tableId(i),
            ...(i === 0 ? { subnets: ['lan-a'] } : {}),
            routes: [{ destination: '0.0.0.0/0', target: 'node-a-lan' }],
          })),
        },
      ],
      instances: [
        {
          name: 'node-a',
          id: I_A,
          subnet: 'lan-a',
          private_ip: '10.0.1.10',
          identity: 'node-a',
          source_dest_check: false,
          primary_eni: { name: 'node-a-lan', id: ENI_A },
          secondary_ips: [SECONDARY_IP],
          enis: [
            { name: 'floating', id: ENI_FLOAT, subnet: 'lan-a', private_ip: '10.0.1.200', device_index: 1 },
          ],
        },
        {
          name: 'node-b',
          id: I_B,
          subnet: 'lan-a',
          private_ip: '10.0.1.11',
          identity: 'node-b',
          source_dest_check: false,
          primary_eni: { name: 'node-b-lan', id: ENI_B },
        },
        {
          name: 'node-c',
          id: I_C,
          subnet: 'lan-c',
          private_ip: '10.0.3.10',
          identity: 'node-c',
          primary_eni: { name: 'node-c-lan', id: ENI_C },
        },
      ],
      addresses: [
        { name: 'vip', id: EIP, public_ip: '198.51.100.10', eni: 'node-a-lan', private_ip: SECONDARY_IP },
      ],
    },
  };
  edit(s);
  return s;
}

/** The actions one node of the pair runs; the peer's ids are the other node's. */
export function nodeSpecs(node: 'a' | 'b', tables: number): AwsActionSpec[] {
  const peer_eni_id = node === 'a' ? ENI_B : ENI_A;
  return [
    routeSpec(node, tables),
    {
      kind: 'aws-eni',
      eni_id: ENI_FLOAT,
      device_index: 1,
      peer_instance_id: node === 'a' ? I_B : I_A,
      region: REGION,
      account_id: ACCOUNT,
    },
    { kind: 'aws-secondary-ip', address: SECONDARY_IP, peer_eni_id, region: REGION, account_id: ACCOUNT },
    {
      kind: 'aws-eip',
      allocation_id: EIP,
      private_ip: SECONDARY_IP,
      peer_eni_id,
      region: REGION,
      account_id: ACCOUNT,
    },
  ];
}

export function routeSpec(
  node: 'a' | 'b',
  tables: number,
  extra: Partial<RouteTableSpec> = {},
): RouteTableSpec {
  return {
    kind: 'aws-route-table',
    route_tables: Array.from({ length: tables }, (_, i) => tableId(i)),
    destinations: ['0.0.0.0/0', OVERLAY],
    eni_id: node === 'a' ? ENI_A : ENI_B,
    peer_eni_id: node === 'a' ? ENI_B : ENI_A,
    region: REGION,
    account_id: ACCOUNT,
    ...extra,
  };
}

/** An IAM policy document in the simulator's statement form. */
export function simPolicy(doc: PolicyDocument): Statement[] {
  return doc.Statement.map((s) => ({
    actions: [...s.Action],
    resources: typeof s.Resource === 'string' ? [s.Resource] : [...s.Resource],
  }));
}

export const quiet = pino({ level: process.env.TANDEM_TEST_LOG ?? 'silent' });

/** An action context for `identity`, talking to the simulator with its keys and its instance's metadata. */
export function contextFor(sim: Sim, identity: string, extra: Partial<AwsContext> = {}): AwsContext {
  const id = sim.iam.byName(identity);
  if (!id) throw new Error(`no identity ${identity}`);
  return {
    log: quiet,
    credentials: { accessKeyId: id.aws_access_key_id, secretAccessKey: id.aws_secret_access_key },
    discovery: new DiscoveryCache(),
    retry: { base_ms: 20, throttle_base_ms: 50, cap_ms: 200, attempts_max: 12, random: seeded(7) },
    ...extra,
  };
}

/** The spec with the simulator's endpoint and (for discovery) its metadata URL of `instance`. */
export function atSim<T extends AwsActionSpec>(sim: Sim, spec: T, instance?: string): T {
  return { ...spec, endpoint: sim.aws_url, ...(instance ? { imds_url: sim.imds_urls[instance] } : {}) };
}

export function driver(sim: Sim, identity: string, spec: AwsActionSpec, extra: Partial<AwsContext> = {}) {
  return createAwsAction(
    { observe_interval_ms: 0, ...spec, endpoint: sim.aws_url },
    contextFor(sim, identity, extra),
  );
}

export function startTestSim(tables = 3, edit?: (s: Scenario) => void): Promise<Sim> {
  return startSim({ scenario: scenario(tables, edit) });
}

export function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Where each configured route points now, straight from the simulator's state. */
export function routeTargets(sim: Sim, tables: number, dests: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tables; i++) {
    const t = sim.state.routeTable(tableId(i));
    for (const d of dests) {
      const r = t.route_views.find((v) => v.destination === d && v.origin === 'CreateRoute');
      out.push(r ? `${r.target_id}:${r.state}` : 'missing');
    }
  }
  return out;
}

export const CTX = { deadline_ms: 10_000 };
