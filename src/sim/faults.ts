// Fault injection shared by the HTTP control API and the in-process API: latency, errors, throttling, hangs.
import type { Clock } from './clock.js';
import { SimError } from './errors.js';
import type { Random } from './random.js';
import type { CloudName } from './recorder.js';

export interface FaultRule {
  /** An AWS action (`ReplaceRoute`, `ec2:` prefix optional), an Azure operation (`Microsoft.Network/networkInterfaces/write`), or `*`. */
  action: string;
  latency_ms?: number;
  jitter_ms?: number;
  /** Fraction of calls (0..1) that fail with `error_code` / `error_status`. */
  error_rate?: number;
  error_code?: string;
  error_status?: number;
  /** Calls above this rate are throttled (AWS 503 RequestLimitExceeded, Azure 429 with Retry-After). */
  throttle_per_s?: number;
  /** Seconds announced in Azure's Retry-After when throttled. */
  retry_after_s?: number;
  /** The call gets no answer until the rule is cleared (or the simulator closes). */
  hang?: boolean;
  /** Azure long-running operations of this action end `Failed` and change nothing. */
  fail_operation?: boolean;
}

/** A token bucket: `capacity` calls at once, refilled at `refill_per_s`. */
export class Bucket {
  private tokens: number;
  private at_ms: number;

  constructor(
    readonly capacity: number,
    readonly refill_per_s: number,
    now_ms: number,
  ) {
    this.tokens = capacity;
    this.at_ms = now_ms;
  }

  /** Whole tokens left now, and ms until the next one (for Retry-After and rate-limit headers). */
  peek(now_ms: number): { remaining: number; next_ms: number } {
    const tokens = Math.min(this.capacity, this.tokens + ((now_ms - this.at_ms) / 1000) * this.refill_per_s);
    return {
      remaining: Math.floor(tokens),
      next_ms: tokens >= 1 ? 0 : ((1 - tokens) / this.refill_per_s) * 1000,
    };
  }

  take(now_ms: number): boolean {
    this.tokens = Math.min(this.capacity, this.tokens + ((now_ms - this.at_ms) / 1000) * this.refill_per_s);
    this.at_ms = now_ms;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export function normaliseAction(action: string): string {
  return action.startsWith('ec2:') ? action.slice(4) : action;
}

const RULE_KEYS = new Set([
  'action',
  'latency_ms',
  'jitter_ms',
  'error_rate',
  'error_code',
  'error_status',
  'throttle_per_s',
  'retry_after_s',
  'hang',
  'fail_operation',
]);

/** Checks a rule that arrived as JSON; the message says which field is wrong. */
export function validateRule(input: unknown): FaultRule {
  if (typeof input !== 'object' || input === null) throw badRule('a fault rule must be a JSON object');
  const rule = input as Record<string, unknown>;
  for (const key of Object.keys(rule)) if (!RULE_KEYS.has(key)) throw badRule(`unknown field '${key}'`);
  if (typeof rule.action !== 'string' || rule.action === '')
    throw badRule("'action' must be a non-empty string");
  for (const key of ['latency_ms', 'jitter_ms', 'throttle_per_s', 'retry_after_s', 'error_status']) {
    const v = rule[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
      throw badRule(`'${key}' must be a number >= 0`);
    }
  }
  const rate = rule.error_rate;
  if (rate !== undefined && (typeof rate !== 'number' || rate < 0 || rate > 1)) {
    throw badRule("'error_rate' must be a number between 0 and 1");
  }
  for (const key of ['hang', 'fail_operation']) {
    if (rule[key] !== undefined && typeof rule[key] !== 'boolean')
      throw badRule(`'${key}' must be a boolean`);
  }
  if (rule.error_code !== undefined && typeof rule.error_code !== 'string') {
    throw badRule("'error_code' must be a string");
  }
  return rule as unknown as FaultRule;
}

function badRule(message: string): SimError {
  return new SimError(400, 'InvalidFaultRule', message);
}

export class Faults {
  private rules = new Map<string, FaultRule>();
  private buckets = new Map<string, Bucket>();
  private hangs = new AbortController();
  private readonly closed = new AbortController();

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    /** Action names calls can carry: a rule for anything else would silently never fire. */
    private readonly known: (action: string) => boolean = () => true,
  ) {}

  /** Adds or replaces the rule for `rule.action`. */
  set(rule: FaultRule): void {
    const checked = validateRule(rule);
    const action = normaliseAction(checked.action);
    if (action !== '*' && !this.known(action)) {
      throw badRule(
        `unknown action '${checked.action}': use an EC2 action (ReplaceRoute), an Azure operation (Microsoft.Network/routeTables/routes/write) or '*'`,
      );
    }
    this.rules.set(action, { ...checked, action });
    this.buckets.delete(action);
    this.releaseHangs();
  }

  clear(action?: string): void {
    if (action === undefined) {
      this.rules.clear();
      this.buckets.clear();
    } else {
      this.rules.delete(normaliseAction(action));
      this.buckets.delete(normaliseAction(action));
    }
    this.releaseHangs();
  }

  list(): FaultRule[] {
    return [...this.rules.values()];
  }

  /** Whether Azure operations of `action` should end Failed. */
  failsOperation(action: string): boolean {
    return this.ruleFor(action)?.fail_operation === true;
  }

  /** Applies the faults for one call: waits (latency, hang) or throws the injected error. */
  async apply(cloud: CloudName, action: string): Promise<void> {
    if (this.rules.size === 0) return;
    while (this.ruleFor(action)?.hang) await this.waitForRelease();
    // Read after the hang: the rule that released it may have changed or gone.
    const rule = this.ruleFor(action);
    if (!rule) return;
    const wait_ms = (rule.latency_ms ?? 0) + (rule.jitter_ms ?? 0) * this.random.next();
    if (wait_ms > 0) await this.clock.sleep(wait_ms);
    if (rule.throttle_per_s !== undefined) {
      const key = rule.action === '*' ? `*:${action}` : rule.action;
      let bucket = this.buckets.get(key);
      if (!bucket) {
        bucket = new Bucket(Math.max(1, rule.throttle_per_s), rule.throttle_per_s, this.clock.now_ms());
        this.buckets.set(key, bucket);
      }
      if (!bucket.take(this.clock.now_ms())) throw throttled(cloud, rule.retry_after_s ?? 1);
    }
    if (rule.error_rate !== undefined && this.random.next() < rule.error_rate) throw injected(cloud, rule);
  }

  /** Fails every hanging call; used when the simulator closes. */
  close(): void {
    this.closed.abort();
    this.hangs.abort();
  }

  private ruleFor(action: string): FaultRule | undefined {
    return this.rules.get(action) ?? this.rules.get('*');
  }

  private releaseHangs(): void {
    this.hangs.abort();
    this.hangs = new AbortController();
  }

  private waitForRelease(): Promise<void> {
    if (this.closed.signal.aborted) return Promise.reject(new SimError(503, 'SimulatorClosed', 'closed'));
    const signal = this.hangs.signal;
    return new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => {
        if (this.closed.signal.aborted) reject(new SimError(503, 'SimulatorClosed', 'the simulator closed'));
        else resolve();
      });
    });
  }
}

function throttled(cloud: CloudName, retry_after_s: number): SimError {
  if (cloud === 'azure') {
    return new SimError(
      429,
      'TooManyRequests',
      'The request is being throttled as the limit has been reached for operation type. Please try again later.',
      { 'retry-after': String(retry_after_s) },
    );
  }
  return new SimError(503, 'RequestLimitExceeded', 'Request limit exceeded.');
}

function injected(cloud: CloudName, rule: FaultRule): SimError {
  const status = rule.error_status ?? 500;
  if (cloud === 'azure') {
    return new SimError(
      status,
      rule.error_code ?? 'InternalServerError',
      'Injected fault: an internal error occurred.',
    );
  }
  return new SimError(
    status,
    rule.error_code ?? 'InternalError',
    'An internal error has occurred (injected fault).',
  );
}
