// The agent's end-to-end lab: a client and two nodes on one bridged LAN, each in its own network
// namespace, the VIP on the LAN, real agents as child processes. Everything is removed in close().
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { addNetns, delNetns, nftClear, nftRules, sh, spawnIn } from './netns-local.js';

export type NodeName = 'a' | 'b';
const REPO = new URL('../../', import.meta.url).pathname;
const CLIENT_SCRIPT = new URL('./fixtures/client.mjs', import.meta.url).pathname;
export const PORT = 20480;
export const STATUS_PORT = 20481;
export const IFACE = 'tda-lan';
export const ADDR = { a: '10.77.0.1', b: '10.77.0.2', client: '10.77.0.10', vip: '10.77.0.100' } as const;
export const KEY = randomBytes(32).toString('base64');

export interface LogLine {
  readonly t_ms: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export async function until<T>(
  what: string,
  probe: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  timeout_ms = 10_000,
  every_ms = 50,
): Promise<T> {
  const deadline = performance.now() + timeout_ms;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined && v !== false) return v;
    if (performance.now() > deadline) assert.fail(`timed out after ${timeout_ms} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, every_ms));
  }
}

/** One agent process; its state is followed from its JSON log (the `state change` lines). */
export class AgentProc {
  readonly node: NodeName;
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  state = 'none';

  constructor(node: NodeName, child: ChildProcess) {
    this.node = node;
    this.child = child;
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
    createInterface({ input: child.stdout! }).on('line', (line) => this.#onLine(line));
    createInterface({ input: child.stderr! }).on('line', (line) => this.stderr.push(line));
  }

  #onLine(text: string): void {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      this.stderr.push(text);
      return;
    }
    const line: LogLine = { ...parsed, t_ms: performance.now(), msg: String(parsed.msg ?? '') };
    this.lines.push(line);
    if (line.msg === 'state change') this.state = String(line.to);
  }

  async waitState(state: string, timeout_ms = 20_000): Promise<void> {
    await until(
      `${this.node} ${state} (now ${this.state}); stderr: ${this.stderr.slice(-3).join(' | ')}`,
      () => this.state === state,
      timeout_ms,
    );
  }

  /** When the agent entered `state` for the last time (performance.now() of the test process). */
  enteredAt(state: string): number | null {
    const hit = this.lines.filter((l) => l.msg === 'state change' && l.to === state).at(-1);
    return hit?.t_ms ?? null;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

interface ClientAnswer {
  id: number;
  ok: boolean;
  status?: number;
  body?: string;
  error?: string;
}

export class Lab {
  readonly id = randomBytes(2).toString('hex');
  readonly ns = {
    lan: `tda${this.id}-lan`,
    a: `tda${this.id}-a`,
    b: `tda${this.id}-b`,
    client: `tda${this.id}-c`,
  };
  readonly dir = mkdtempSync(join(tmpdir(), 'tda-e2e-'));
  readonly agents: AgentProc[] = [];
  #client: ChildProcess | null = null;
  #answers = new Map<number, (a: ClientAnswer) => void>();
  #nextId = 1;

  static async create(): Promise<Lab> {
    const lab = new Lab();
    try {
      await lab.#build();
    } catch (err) {
      await lab.close();
      throw err;
    }
    return lab;
  }

  async #build(): Promise<void> {
    for (const ns of Object.values(this.ns)) await addNetns(ns);
    const lan = this.ns.lan;
    await sh('ip', ['-n', lan, 'link', 'add', 'tda-br', 'type', 'bridge']);
    await sh('ip', ['-n', lan, 'link', 'set', 'tda-br', 'up']);
    for (const [who, addr] of [
      ['a', ADDR.a],
      ['b', ADDR.b],
      ['client', ADDR.client],
    ] as const) {
      const ns = this.ns[who];
      const port = `tda-p-${who.charAt(0)}`;
      await sh('ip', ['-n', lan, 'link', 'add', port, 'type', 'veth', 'peer', 'name', IFACE, 'netns', ns]);
      await sh('ip', ['-n', lan, 'link', 'set', port, 'master', 'tda-br', 'up']);
      await sh('ip', ['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', IFACE]);
      await sh('ip', ['-n', ns, 'link', 'set', IFACE, 'up']);
    }
    const client = spawnIn(this.ns.client, process.execPath, [CLIENT_SCRIPT]);
    this.#client = client;
    createInterface({ input: client.stdout! }).on('line', (line) => {
      const answer = JSON.parse(line) as ClientAnswer;
      this.#answers.get(answer.id)?.(answer);
      this.#answers.delete(answer.id);
    });
  }

  /** Writes node's config: the defaults of these tests, then `overrides` on top. */
  config(node: NodeName, overrides: Record<string, unknown> = {}): string {
    const peer: NodeName = node === 'a' ? 'b' : 'a';
    const cfg = {
      pair: `tda-${this.id}`,
      node,
      role: node === 'a' ? 'primary' : 'secondary',
      pair_key_env: 'TDA_PAIR_KEY',
      interval_ms: 100,
      dead_multiplier: 5,
      paths: [{ name: 'lan', local_address: ADDR[node], peer_address: ADDR[peer], port: PORT }],
      actions: [{ kind: 'vip', interface: IFACE, address: `${ADDR.vip}/24` }],
      status: { listen: `0.0.0.0:${STATUS_PORT}` },
      log_level: 'info',
      ...overrides,
    };
    const file = join(this.dir, `${node}.yaml`);
    writeFileSync(file, stringify(cfg));
    return file;
  }

  startAgent(node: NodeName, overrides: Record<string, unknown> = {}): AgentProc {
    const file = this.config(node, overrides);
    const child = spawnIn(
      this.ns[node],
      process.execPath,
      ['--import', 'tsx', join(REPO, 'src/cli/main.ts'), 'agent', '--config', file],
      {
        TDA_PAIR_KEY: KEY,
      },
    );
    const agent = new AgentProc(node, child);
    this.agents.push(agent);
    return agent;
  }

  async hasVip(node: NodeName): Promise<boolean> {
    const out = await sh('ip', ['-n', this.ns[node], '-4', 'addr', 'show', 'dev', IFACE]);
    return out.includes(` ${ADDR.vip}/`);
  }

  async clientCall(cmd: Record<string, unknown>): Promise<ClientAnswer> {
    const id = this.#nextId++;
    const answer = new Promise<ClientAnswer>((r) => this.#answers.set(id, r));
    this.#client?.stdin?.write(`${JSON.stringify({ ...cmd, id })}\n`);
    return answer;
  }

  /** Which node answers on the VIP, as the client sees it (the agents' status server listens on it). */
  async vipServedBy(): Promise<NodeName | null> {
    const a = await this.clientCall({
      op: 'http',
      url: `http://${ADDR.vip}:${STATUS_PORT}/status`,
      timeout_ms: 500,
    });
    if (!a.ok || a.body === undefined) return null;
    return (JSON.parse(a.body) as { node: NodeName }).node;
  }

  async statusOf(node: NodeName): Promise<Record<string, unknown>> {
    const a = await this.clientCall({ op: 'http', url: `http://${ADDR[node]}:${STATUS_PORT}/status` });
    assert.ok(a.ok && a.body, `status of ${node}: ${a.error}`);
    return JSON.parse(a.body) as Record<string, unknown>;
  }

  async addClientAddress(cidr: string): Promise<void> {
    await sh('ip', ['-n', this.ns.client, 'addr', 'add', cidr, 'dev', IFACE]);
  }

  async delClientAddress(cidr: string): Promise<void> {
    await sh('ip', ['-n', this.ns.client, 'addr', 'del', cidr, 'dev', IFACE]);
  }

  async link(node: NodeName | 'client', up: boolean): Promise<void> {
    await sh('ip', ['-n', this.ns[node], 'link', 'set', IFACE, up ? 'up' : 'down']);
  }

  async nft(node: NodeName, input: readonly string[], output: readonly string[]): Promise<void> {
    await nftRules(this.ns[node], input, output);
  }

  async nftClear(node: NodeName): Promise<void> {
    await nftClear(this.ns[node]);
  }

  async close(): Promise<void> {
    for (const agent of this.agents) if (agent.child.exitCode === null) agent.kill('SIGKILL');
    await Promise.all(
      this.agents.map((a) => (a.child.exitCode === null && a.child.signalCode === null ? a.exited : null)),
    );
    this.#client?.kill('SIGKILL');
    for (const ns of Object.values(this.ns)) await delNetns(ns);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** On a failed test: the last lines of every agent, to see why. */
  dump(): string {
    return this.agents
      .map(
        (a) =>
          `--- ${a.node} (${a.state})\n${a.lines
            .slice(-15)
            .map((l) => JSON.stringify(l))
            .join('\n')}\n${a.stderr.slice(-10).join('\n')}`,
      )
      .join('\n');
  }
}

/** Runs a scenario in a fresh lab; on failure prints the agents' last log lines; always cleans up. */
export async function inLab(body: (lab: Lab) => Promise<void>): Promise<void> {
  const lab = await Lab.create();
  try {
    await body(lab);
  } catch (err) {
    console.log(lab.dump());
    throw err;
  } finally {
    await lab.close();
  }
}
