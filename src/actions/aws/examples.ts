// One example config per AWS action kind: the shipped deploy/aws/iam-policy-<kind>.json files are generated from
// these (`tandem iam-policy --example <kind>`), and a test checks that they still match the generator.
import type { AwsActionSpec, AwsKind } from './schema.js';

export const EXAMPLE_SPECS: Record<AwsKind, AwsActionSpec> = {
  'aws-route-table': {
    kind: 'aws-route-table',
    route_tables: ['rtb-0123456789abcdef0', 'rtb-0123456789abcdef1'],
    destinations: ['0.0.0.0/0', '192.168.200.1/32'],
    peer_eni_id: 'eni-0123456789abcdef1',
  },
  'aws-eni': { kind: 'aws-eni', eni_id: 'eni-0123456789abcdeff', device_index: 1 },
  'aws-secondary-ip': { kind: 'aws-secondary-ip', address: '10.0.1.100', local_interface: 'eth0' },
  'aws-eip': { kind: 'aws-eip', allocation_id: 'eipalloc-0123456789abcdef0' },
};

/** `route-table` → `aws-route-table`; the file names drop the prefix. */
export function exampleFileName(kind: AwsKind): string {
  return `iam-policy-${kind.replace(/^aws-/, '')}.json`;
}
