// A simulated VPC for pathwatch: two application route tables that learn the on-premises network from a
// virtual private gateway (Direct Connect), a VPN appliance (the backup target) and a third appliance whose
// route pathwatch must not overwrite. The pathwatch identity gets exactly the policy `pathwatchPolicy`
// generates, so every test also proves the generated policy suffices.
import type { AwsRouteSpec } from '../../src/pathwatch/config-schema.js';
import { pathwatchPolicy } from '../../src/pathwatch/iam-policy.js';
import type { Scenario } from '../../src/sim/scenario-schema.js';
import { type Sim, startSim } from '../../src/sim/server.js';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const RTB_1 = 'rtb-0000000000000a001';
export const RTB_2 = 'rtb-0000000000000a002';
export const VGW = 'vgw-0000000000000a001';
export const ENI_VPN = 'eni-0000000000000b001';
export const ENI_OTHER = 'eni-0000000000000b002';
export const ONPREM = '192.168.0.0/16';
export const ONPREM_HOST = '192.168.10.10';

export function awsRoutes(extra: Partial<AwsRouteSpec> = {}): AwsRouteSpec {
  return {
    kind: 'aws-route-table',
    route_tables: [RTB_1, RTB_2],
    destinations: [ONPREM],
    eni_id: ENI_VPN,
    region: REGION,
    account_id: ACCOUNT,
    ...extra,
  };
}

export function scenario(policyOf: readonly AwsRouteSpec[] = [awsRoutes()]): Scenario {
  const policy = pathwatchPolicy(policyOf).Statement.map((s) => ({
    actions: [...s.Action],
    resources: typeof s.Resource === 'string' ? [s.Resource] : [...s.Resource],
  }));
  return {
    seed: 17,
    identities: [
      { name: 'pathwatch', policy },
      { name: 'reader', policy: [{ actions: ['ec2:Describe*'], resources: ['*'] }] },
    ],
    aws: {
      region: REGION,
      account_id: ACCOUNT,
      vpcs: [
        {
          name: 'vpc',
          cidr: '10.0.0.0/16',
          gateways: [VGW],
          subnets: [
            { name: 'app', cidr: '10.0.1.0/24', az: 'us-east-1a' },
            { name: 'edge', cidr: '10.0.2.0/24', az: 'us-east-1a' },
          ],
          route_tables: [RTB_1, RTB_2].map((id, i) => ({
            name: `app-${i}`,
            id,
            ...(i === 0 ? { subnets: ['app'] } : {}),
            routes: [{ destination: ONPREM, target: VGW, propagated: true }],
          })),
        },
      ],
      instances: [
        {
          name: 'vpn',
          subnet: 'edge',
          private_ip: '10.0.2.10',
          source_dest_check: false,
          primary_eni: { name: 'vpn-eni', id: ENI_VPN },
        },
        {
          name: 'other',
          subnet: 'edge',
          private_ip: '10.0.2.11',
          primary_eni: { name: 'other-eni', id: ENI_OTHER },
        },
        { name: 'watcher', subnet: 'app', private_ip: '10.0.1.5', identity: 'pathwatch' },
      ],
    },
  };
}

export function startPathSim(policyOf?: readonly AwsRouteSpec[]): Promise<Sim> {
  return startSim({ scenario: scenario(policyOf) });
}

export function keysOf(sim: Sim, identity = 'pathwatch'): { accessKeyId: string; secretAccessKey: string } {
  const id = sim.iam.byName(identity);
  if (!id) throw new Error(`no identity ${identity}`);
  return { accessKeyId: id.aws_access_key_id, secretAccessKey: id.aws_secret_access_key };
}

/** Where the simulated tables send an on-premises host now, by AWS's priority rules. */
export function effective(sim: Sim, table: string, ip = ONPREM_HOST): string {
  const r = sim.state.effectiveRoute(table, ip);
  return r ? `${r.target_id} ${r.origin}` : 'none';
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

export const FAST_RETRY = {
  base_ms: 20,
  throttle_base_ms: 50,
  cap_ms: 200,
  attempts_max: 12,
  random: seeded(7),
};
