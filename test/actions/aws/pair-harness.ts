// Two real agent processes (`tandem agent`) on loopback, each with its own simulated EC2
// instance, identity (instance role from the simulator's IMDS) and aws-route-table action. Shared by the
// end-to-end test and bench/aws-failover.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import type { Sim } from '../../../src/sim/server.js';
import { ENI_A, ENI_B, I_A, I_B, OVERLAY, routeTargets, tableId } from './fixtures.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const CLI = join(ROOT, 'src', 'cli', 'main.ts');

export interface PairOptions {
  readonly sim: Sim;
  readonly tables: number;
  readonly destinations?: readonly string[];
  readonly interval_ms: number;
  readonly dead_multiplier: number;
  readonly observe_interval_ms?: number;
  /** Give each node its own pair key: neither authenticates the other, so both go active (a split brain). */
  readonly split_keys?: boolean;
  /** Enroll both nodes with this controller, each with its one-time token. */
  readonly controller?: {
    readonly url: string;
    readonly tokens: Readonly<Record<NodeName, string>>;
    /** true: the route tables and destinations come from the controller's site (`managed: [cloud]`); or the parts. */
    readonly managed?: boolean | readonly string[];
    readonly report_interval_ms?: number;
  };
  /** Other actions than the AWS route tables (the Azure pair). */
  readonly actions?: (node: NodeName) => Record<string, unknown>[];
}

export type NodeName = 'a' | 'b';

export class AgentProcess {
  readonly node: NodeName;
  readonly #child: ChildProcess;
  readonly lines: Record<string, unknown>[] = [];
  #statusUrl: string | null = null;
  readonly exited: Promise<number | null>;

  constructor(node: NodeName, child: ChildProcess) {
    this.node = node;
    this.#child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      try {
        const obj = JSON.parse(line) as Record<string, unknown>;
        this.lines.push(obj);
        if (typeof obj.status_url === 'string') this.#statusUrl = obj.status_url;
      } catch {
        this.lines.push({ text: line });
      }
    });
    child.stderr!.on('data', (d: Buffer) => this.lines.push({ stderr: d.toString() }));
  }

  /** The agent's status server, once it has logged it. */
  get statusUrl(): string | null {
    return this.#statusUrl;
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** The core state from the agent's status endpoint, or null before it listens / after it died. */
  async state(): Promise<string | null> {
    if (this.#statusUrl === null || this.#child.exitCode !== null || this.#child.signalCode !== null)
      return null;
    try {
      const res = await fetch(new URL('/status', this.#statusUrl), { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { status?: { state?: string } };
      return body.status?.state ?? null;
    } catch {
      return null;
    }
  }

  /** Log lines whose message starts with `prefix`. */
  logged(prefix: string): Record<string, unknown>[] {
    return this.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith(prefix));
  }

  kill(signal: NodeJS.Signals): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill(signal);
  }
}

export class Pair {
  readonly dir = mkdtempSync(join(tmpdir(), 'tdaws-pair-'));
  readonly #opts: PairOptions;
  readonly #port = 20_000 + Math.floor(Math.random() * 30_000);
  // A private pair of loopback addresses so that parallel tests of other parts never hear our keepalives.
  readonly #net = 2 + Math.floor(Math.random() * 250);
  readonly nodes: Partial<Record<NodeName, AgentProcess>> = {};

  constructor(opts: PairOptions) {
    this.#opts = opts;
    const key = randomBytes(32).toString('base64');
    for (const node of ['a', 'b'] as const)
      writeFileSync(
        join(this.dir, `pair-${node}.key`),
        opts.split_keys ? randomBytes(32).toString('base64') : key,
      );
  }

  get destinations(): readonly string[] {
    return this.#opts.destinations ?? ['0.0.0.0/0', OVERLAY];
  }

  address(node: NodeName): string {
    return `127.0.${this.#net}.${node === 'a' ? 1 : 2}`;
  }

  #config(node: NodeName): string {
    const o = this.#opts;
    const file = join(this.dir, `node-${node}.yaml`);
    const peer: NodeName = node === 'a' ? 'b' : 'a';
    const cfg = {
      pair: 'tdaws',
      node: `node-${node}`,
      role: node === 'a' ? 'primary' : 'secondary',
      pair_key_file: `pair-${node}.key`,
      interval_ms: o.interval_ms,
      dead_multiplier: o.dead_multiplier,
      paths: [
        {
          name: 'lan',
          local_address: this.address(node),
          peer_address: this.address(peer),
          port: this.#port,
        },
      ],
      status: { listen: '127.0.0.1:0' },
      log_level: 'info',
      action_deadline_ms: 20_000,
      ...this.#controllerKeys(node),
      actions: o.actions?.(node) ?? [
        {
          kind: 'aws-route-table',
          name: 'lan-routes',
          // No region, no ENI id: both come from the instance's metadata (IMDSv2).
          endpoint: o.sim.aws_url,
          imds_url: this.imds(node),
          route_tables: Array.from({ length: o.tables }, (_, i) => tableId(i)),
          destinations: [...this.destinations],
          peer_eni_id: node === 'a' ? ENI_B : ENI_A,
          observe_interval_ms: o.observe_interval_ms ?? 1000,
        },
      ],
    };
    writeFileSync(file, stringify(cfg));
    return file;
  }

  #controllerKeys(node: NodeName): Record<string, unknown> {
    const c = this.#opts.controller;
    if (c === undefined) return {};
    writeFileSync(join(this.dir, `enroll-${node}.token`), c.tokens[node]);
    return {
      controller_url: c.url,
      controller_enrollment_token_file: `enroll-${node}.token`,
      controller_report_interval_ms: c.report_interval_ms ?? 1000,
      ...(c.managed === true
        ? { managed: ['cloud'] }
        : Array.isArray(c.managed)
          ? { managed: c.managed }
          : {}),
    };
  }

  imds(node: NodeName): string {
    const url = this.#opts.sim.imds_urls[node === 'a' ? I_A : I_B];
    if (!url) throw new Error(`no metadata listener for node ${node}`);
    return url;
  }

  start(node: NodeName): AgentProcess {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('AWS_')) delete env[k];
    // Credentials the way production gets them: the SDK's provider chain ending at the instance role in IMDS.
    const imds = this.#opts.sim.imds_urls[node === 'a' ? I_A : I_B];
    if (imds !== undefined) env.AWS_EC2_METADATA_SERVICE_ENDPOINT = imds;
    env.AWS_CONFIG_FILE = join(this.dir, 'no-aws-config');
    env.AWS_SHARED_CREDENTIALS_FILE = join(this.dir, 'no-aws-credentials');
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'agent', '--config', this.#config(node)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const p = new AgentProcess(node, child);
    this.nodes[node] = p;
    return p;
  }

  /** On a failed test: each agent's last log lines and every write the simulator answered, to see why. */
  dump(): string {
    const agents = Object.values(this.nodes).map(
      (p) =>
        `--- ${p.node}\n${p.lines
          .filter((l) => l.msg !== 'readiness')
          .slice(-40)
          .map((l) => JSON.stringify(l))
          .join('\n')}`,
    );
    const writes = this.#opts.sim.calls
      .list({ cloud: 'aws' })
      .filter((c) => !c.action.startsWith('Describe') && !c.dry_run)
      .map(
        (c) =>
          `${c.seq} ${c.identity} ${c.action} ${c.resources.join(',')} ${c.status} ${c.code ?? ''} ${Math.round(c.duration_ms)} ms`,
      );
    return [...agents, `--- writes\n${writes.join('\n')}`].join('\n');
  }

  async stop(): Promise<void> {
    const all = Object.values(this.nodes);
    for (const p of all) p.kill('SIGKILL');
    await Promise.all(all.map((p) => p.exited));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Where each configured route points now, as `eni-…:active`. */
export const targets = routeTargets;

export function allAt(sim: Sim, tables: number, dests: readonly string[], eni: string): boolean {
  return targets(sim, tables, dests).every((t) => t === `${eni}:active`);
}

export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeout_ms: number,
): Promise<void> {
  const end = Date.now() + timeout_ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeout_ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The simulator's clock (sim/clock.ts realClock), so that harness and call recorder share one timeline. */
export function simNow(): number {
  return performance.timeOrigin + performance.now();
}
