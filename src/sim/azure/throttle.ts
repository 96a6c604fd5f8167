// ARM's request limits (token buckets per principal since 2024), off unless asked for: reads 250 burst / 25 per s,
// writes and deletes 200 / 10 (CLOUD.md §2.7). Answers carry x-ms-ratelimit-remaining-subscription-* headers.
import { SimError } from '../errors.js';
import { Bucket } from '../faults.js';

type Kind = 'reads' | 'writes' | 'deletes';

const LIMITS: Record<Kind, [number, number]> = { reads: [250, 25], writes: [200, 10], deletes: [200, 10] };

function kindOf(method: string): Kind {
  return method === 'GET' ? 'reads' : method === 'DELETE' ? 'deletes' : 'writes';
}

export class ArmThrottle {
  private readonly buckets = new Map<string, Bucket>();

  /** Takes a token for `identity`; returns the header to add, or throws 429 with Retry-After. */
  take(identity: string, method: string, now_ms: number): Record<string, string> {
    const kind = kindOf(method);
    const key = `${identity}:${kind}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      const [capacity, refill] = LIMITS[kind];
      bucket = new Bucket(capacity, refill, now_ms);
      this.buckets.set(key, bucket);
    }
    const header = `x-ms-ratelimit-remaining-subscription-${kind}`;
    if (!bucket.take(now_ms)) {
      const wait_s = Math.max(1, Math.ceil(bucket.peek(now_ms).next_ms / 1000));
      throw new SimError(
        429,
        'TooManyRequests',
        `Number of ${kind} requests for subscription exceeded the limit. Please try again after ${wait_s} seconds.`,
        { 'retry-after': String(wait_s), [header]: '0' },
      );
    }
    return { [header]: String(bucket.peek(now_ms).remaining) };
  }
}
