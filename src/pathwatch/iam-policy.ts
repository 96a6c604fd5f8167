// The least-privilege IAM policy for pathwatch's AWS routes (CLOUD.md §1.8): read the tables, create and
// delete the failover routes; ReplaceRoute only where `on_conflict: overwrite` may replace a foreign route.
import { arn, type PolicyDocument, type PolicyStatement } from '../actions/aws/iam-policy.js';
import type { AwsRouteSpec } from './config-schema.js';

export function pathwatchPolicy(specs: readonly AwsRouteSpec[]): PolicyDocument {
  const onRoutes = (s: AwsRouteSpec): string[] => [
    ...s.route_tables.map((t) => arn(s, 'route-table', t)),
    // The route's target is authorized as well as the table.
    arn(s, 'network-interface', s.eni_id),
  ];
  const write = [...new Set(specs.flatMap(onRoutes))].sort();
  const replace = [...new Set(specs.filter((s) => s.on_conflict === 'overwrite').flatMap(onRoutes))].sort();
  const statements: PolicyStatement[] = [
    { Sid: 'PathwatchRead', Effect: 'Allow', Action: ['ec2:DescribeRouteTables'], Resource: '*' },
    {
      Sid: 'PathwatchFailoverRoutes',
      Effect: 'Allow',
      Action: ['ec2:CreateRoute', 'ec2:DeleteRoute'],
      Resource: write,
    },
  ];
  if (replace.length > 0)
    statements.push({
      Sid: 'PathwatchOverwrite',
      Effect: 'Allow',
      Action: ['ec2:ReplaceRoute'],
      Resource: replace,
    });
  return { Version: '2012-10-17', Statement: statements };
}
