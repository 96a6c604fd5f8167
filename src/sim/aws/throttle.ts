// EC2's request token buckets (per account, Region and API), off unless asked for: benchmarks must not hit them.
import { SimError } from '../errors.js';
import { Bucket } from '../faults.js';

// Capacity / refill per second from the EC2 developer guide's throttling page (CLOUD.md §1.7).
const MUTATING: [number, number] = [50, 5];
const UNCATEGORIZED: [number, number] = [100, 5];
const NON_MUTATING: [number, number] = [100, 20];
const UNFILTERED: [number, number] = [50, 10];

const CATEGORY: Record<string, [number, number]> = {
  AssignPrivateIpAddresses: UNCATEGORIZED,
  UnassignPrivateIpAddresses: UNCATEGORIZED,
  ModifyNetworkInterfaceAttribute: UNCATEGORIZED,
};

export class AwsThrottle {
  private readonly buckets = new Map<string, Bucket>();

  /** Takes a token for `action`; unfiltered Describe calls use the small bucket, as on EC2. */
  take(action: string, unfiltered: boolean, now_ms: number): void {
    const describe = action.startsWith('Describe');
    const key = describe && unfiltered ? `${action}:unfiltered` : action;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      const [capacity, refill] = describe
        ? unfiltered
          ? UNFILTERED
          : NON_MUTATING
        : (CATEGORY[action] ?? MUTATING);
      bucket = new Bucket(capacity, refill, now_ms);
      this.buckets.set(key, bucket);
    }
    if (!bucket.take(now_ms)) throw new SimError(503, 'RequestLimitExceeded', 'Request limit exceeded.');
  }
}
