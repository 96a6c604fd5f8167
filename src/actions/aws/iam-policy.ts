// The least-privilege IAM policy for a set of configured AWS actions (CLOUD.md §1.8). The same code prints
// `tandem iam-policy`, fills the preflight's "statement to add", and generated deploy/aws/iam-policy-*.json.
import type { AwsActionSpec } from './schema.js';

export interface Need {
  /** `ec2:ReplaceRoute` */
  readonly action: string;
  readonly resources: readonly string[];
}

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: string | readonly string[];
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

export interface ArnScope {
  readonly region?: string | undefined;
  readonly account_id?: string | undefined;
}

export function arn(scope: ArnScope, type: string, id: string): string {
  return `arn:aws:ec2:${scope.region ?? '*'}:${scope.account_id ?? '*'}:${type}/${id}`;
}

/** What one action needs. Describe calls cannot be scoped to a resource, so they get `*`. */
export function needsOf(spec: AwsActionSpec): Need[] {
  const eniAny = arn(spec, 'network-interface', '*');
  switch (spec.kind) {
    case 'aws-route-table': {
      const tables = spec.route_tables.map((t) =>
        typeof t === 'string' ? arn(spec, 'route-table', t) : arn(spec, 'route-table', '*'),
      );
      // The ENI ARN is listed too: a route's target is authorized as well as the table.
      const onRoutes = [...new Set(tables), eniAny];
      const needs: Need[] = [
        { action: 'ec2:DescribeRouteTables', resources: ['*'] },
        // Preflight only: the ENI's source/destination check and subnet (the prerequisites).
        { action: 'ec2:DescribeNetworkInterfaces', resources: ['*'] },
        { action: 'ec2:ReplaceRoute', resources: onRoutes },
        { action: 'ec2:CreateRoute', resources: onRoutes },
      ];
      if (spec.on_release === 'delete') needs.push({ action: 'ec2:DeleteRoute', resources: onRoutes });
      return needs;
    }
    case 'aws-eni': {
      const onMove = [arn(spec, 'instance', '*'), eniAny];
      return [
        { action: 'ec2:DescribeNetworkInterfaces', resources: ['*'] },
        // This instance's AZ when instance_id is configured rather than read from metadata.
        { action: 'ec2:DescribeInstances', resources: ['*'] },
        { action: 'ec2:DetachNetworkInterface', resources: onMove },
        { action: 'ec2:AttachNetworkInterface', resources: onMove },
      ];
    }
    case 'aws-secondary-ip':
      return [
        { action: 'ec2:DescribeNetworkInterfaces', resources: ['*'] },
        { action: 'ec2:AssignPrivateIpAddresses', resources: [eniAny] },
        { action: 'ec2:UnassignPrivateIpAddresses', resources: [eniAny] },
      ];
    case 'aws-eip':
      return [
        { action: 'ec2:DescribeAddresses', resources: ['*'] },
        {
          action: 'ec2:AssociateAddress',
          resources: [arn(spec, 'elastic-ip', spec.allocation_id), eniAny],
        },
      ];
  }
}

/** Merges the needs of every action: one statement for the reads, one per distinct resource set. */
export function policyFor(specs: readonly AwsActionSpec[]): PolicyDocument {
  const byAction = new Map<string, Set<string>>();
  for (const need of specs.flatMap(needsOf)) {
    const set = byAction.get(need.action) ?? new Set<string>();
    for (const r of need.resources) set.add(r);
    byAction.set(need.action, set);
  }
  const groups = new Map<string, string[]>();
  for (const [action, resources] of byAction) {
    const key = [...resources].sort().join('\n');
    groups.set(key, [...(groups.get(key) ?? []), action]);
  }
  const statements: PolicyStatement[] = [...groups.entries()]
    .map(([key, actions]) => {
      const resources = key.split('\n');
      return {
        Sid: sidOf(actions),
        Effect: 'Allow' as const,
        Action: actions.sort(),
        Resource: resources.length === 1 && resources[0] === '*' ? '*' : resources,
      };
    })
    .sort((a, b) => a.Sid.localeCompare(b.Sid));
  return { Version: '2012-10-17', Statement: dedupeSids(statements) };
}

function sidOf(actions: readonly string[]): string {
  if (actions.every((a) => a.startsWith('ec2:Describe'))) return 'TandemRead';
  const words = actions.map((a) => a.replace(/^ec2:/, '')).sort();
  return `Tandem${words.join('')}`;
}

function dedupeSids(statements: PolicyStatement[]): PolicyStatement[] {
  const seen = new Map<string, number>();
  return statements.map((s) => {
    const n = (seen.get(s.Sid) ?? 0) + 1;
    seen.set(s.Sid, n);
    return n === 1 ? s : { ...s, Sid: `${s.Sid}${n}` };
  });
}

/** One statement to paste, for a preflight check that came back "missing permission". */
export function statementText(action: string, resources: readonly string[]): string {
  return JSON.stringify({
    Effect: 'Allow',
    Action: action,
    Resource: resources.length === 1 ? resources[0] : resources,
  });
}
