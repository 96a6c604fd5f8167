// The agent's end-to-end lab on the shared namespace harness: a client, a WAN probe target and two
// nodes on one bridged LAN, the VIP on the LAN, real agents as child processes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  addressesOf,
  createLan,
  type Lan,
  type NftRule,
  nft,
  nsExec,
  type Spawned,
  setLink,
  spawnInNs,
  tsNode,
} from '../helpers/netns.js';

export type NodeName = 'a' | 'b';
const REPO = new URL('../../', import.meta.url).pathname;
const CLI = join(REPO, 'src/cli/main.ts');
const CLIENT_SCRIPT = new URL('./fixtures/client.mjs', import.meta.url).pathname;
export const PORT = 20480;
export const STATUS_PORT = 20481;
export const KEY = randomBytes(32).toString('base64');
/** The pair's timing in these tests: a peer silent for DEAD_INTERVAL_MS is dead. */
export const INTERVAL_MS = 100;
export const DEAD_MULTIPLIER = 5;
export const DEAD_INTERVAL_MS = INTERVAL_MS * DEAD_MULTIPLIER;

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

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One agent process; its state is followed from its JSON log (the `state change` lines). */
export class AgentProc {
  readonly node: NodeName;
  readonly proc: Spawned;
  readonly lines: LogLine[] = [];
  state = 'none';

  constructor(node: NodeName, proc: Spawned) {
    this.node = node;
    this.proc = proc;
    proc.onLine((text) => this.#onLine(text));
  }

  #onLine(text: string): void {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    const line: LogLine = { ...parsed, t_ms: performance.now(), msg: String(parsed.msg ?? '') };
    this.lines.push(line);
    if (line.msg === 'state change') this.state = String(line.to);
  }

  async waitState(state: string, timeout_ms = 20_000): Promise<void> {
    await until(
      `${this.node} ${state} (now ${this.state}); stderr: ${this.proc.stderr().slice(-300)}`,
      () => this.state === state,
      timeout_ms,
    );
  }

  /** State changes logged since line index `mark`. */
  changesSince(mark: number): LogLine[] {
    return this.lines.slice(mark).filter((l) => l.msg === 'state change');
  }

  kill(signal: NodeJS.Signals): void {
    this.proc.kill(signal);
  }

  get exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.proc.exited;
  }
}

export class Lab {
  readonly lan: Lan;
  readonly dir = mkdtempSync(join(tmpdir(), 'tda-e2e-'));
  readonly agents: AgentProc[] = [];
  readonly rules: NftRule[] = [];
  readonly vip: string;
  /** With `ipv6`: the VIP, the keepalive path and the client's requests are all IPv6. */
  readonly ipv6: boolean;

  private constructor(lan: Lan, ipv6: boolean) {
    this.lan = lan;
    this.ipv6 = ipv6;
    this.vip = ipv6 ? lan.vip6(0) : lan.vip(0);
  }

  static async create(options: LabOptions = {}): Promise<Lab> {
    const ipv6 = options.ipv6 === true;
    return new Lab(await createLan({ hosts: ['a', 'b', 'client', 'wan'], ipv6 }), ipv6);
  }

  addr(host: NodeName | 'client' | 'wan'): string {
    return this.lan.host(host).lan.address;
  }

  /** The address the pair's keepalives use: IPv6 in an `ipv6` lab. */
  pathAddr(host: NodeName): string {
    const link = this.lan.host(host).lan;
    return this.ipv6 && link.address6 !== undefined ? link.address6 : link.address;
  }

  private get vipCidr(): string {
    return `${this.vip}/${this.ipv6 ? 64 : 24}`;
  }

  ns(host: NodeName | 'client' | 'wan'): string {
    return this.lan.host(host).ns;
  }

  get ifname(): string {
    return this.lan.host('a').lan.ifname;
  }

  /** Writes node's config: the defaults of these tests, then `overrides` on top. */
  config(node: NodeName, overrides: Record<string, unknown> = {}): string {
    const peer: NodeName = node === 'a' ? 'b' : 'a';
    const cfg = {
      pair: `tda-${this.lan.id}`,
      node,
      role: node === 'a' ? 'primary' : 'secondary',
      pair_key_env: 'TDA_PAIR_KEY',
      interval_ms: INTERVAL_MS,
      dead_multiplier: DEAD_MULTIPLIER,
      paths: [
        { name: 'lan', local_address: this.pathAddr(node), peer_address: this.pathAddr(peer), port: PORT },
      ],
      actions: [{ kind: 'vip', interface: this.ifname, address: this.vipCidr }],
      // On every address, so that the client reaches it through the VIP: "who serves the VIP".
      status: { listen: this.ipv6 ? `[::]:${STATUS_PORT}` : `0.0.0.0:${STATUS_PORT}` },
      log_level: 'info',
      ...overrides,
    };
    const file = join(this.dir, `${node}.yaml`);
    writeFileSync(file, stringify(cfg));
    return file;
  }

  startAgent(node: NodeName, overrides: Record<string, unknown> = {}): AgentProc {
    const file = this.config(node, overrides);
    const proc = spawnInNs(this.ns(node), tsNode(CLI, 'agent', '--config', file), {
      env: { ...process.env, TDA_PAIR_KEY: KEY },
      cwd: REPO,
    });
    const agent = new AgentProc(node, proc);
    this.agents.push(agent);
    return agent;
  }

  async hasVip(node: NodeName): Promise<boolean> {
    const family = this.ipv6 ? 'inet6' : 'inet';
    return (await addressesOf(this.ns(node), this.ifname, family)).includes(this.vipCidr);
  }

  async client(cmd: Record<string, unknown>): Promise<{ ok: boolean; body?: string; error?: string }> {
    const out = await nsExec(this.ns('client'), [process.execPath, CLIENT_SCRIPT, JSON.stringify(cmd)]);
    return JSON.parse(out.stdout) as { ok: boolean; body?: string; error?: string };
  }

  /** Which node answers on the VIP, as the client sees it (the agents' status server listens on it). */
  async vipServedBy(): Promise<NodeName | null> {
    const a = await this.client({
      op: 'http',
      url: `http://${this.ipv6 ? `[${this.vip}]` : this.vip}:${STATUS_PORT}/status`,
      timeout_ms: 500,
    });
    if (!a.ok || a.body === undefined) return null;
    return (JSON.parse(a.body) as { node: NodeName }).node;
  }

  async untilServedBy(node: NodeName): Promise<void> {
    await until(`client reaches ${node} on the VIP`, async () => (await this.vipServedBy()) === node);
  }

  async statusOf(node: NodeName): Promise<Record<string, unknown>> {
    const a = await this.client({ op: 'http', url: `http://${this.addr(node)}:${STATUS_PORT}/status` });
    assert.ok(a.ok && a.body, `status of ${node}: ${a.error}`);
    return JSON.parse(a.body) as Record<string, unknown>;
  }

  /** The node sees carrier loss, like a pulled cable. */
  async link(node: NodeName, up: boolean): Promise<void> {
    await setLink(this.lan, node, up ? 'up' : 'down', 'switch');
  }

  async rule(make: Promise<NftRule>): Promise<NftRule> {
    const r = await make;
    this.rules.push(r);
    return r;
  }

  async close(): Promise<void> {
    for (const agent of this.agents) agent.kill('SIGKILL');
    await Promise.all(this.agents.map((a) => a.exited));
    await this.lan.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** On a failed test: the last lines of every agent, to see why. */
  dump(): string {
    return this.agents
      .map(
        (a) =>
          `--- ${a.node} (${a.state})\n${a.lines
            .slice(-20)
            .map((l) => JSON.stringify(l))
            .join('\n')}\n${a.proc.stderr().slice(-1000)}`,
      )
      .join('\n');
  }
}

export interface LabOptions {
  readonly ipv6?: boolean;
}

/** Runs a scenario in a fresh lab; on failure prints the agents' last log lines; always cleans up. */
export async function inLab(body: (lab: Lab) => Promise<void>, options: LabOptions = {}): Promise<void> {
  const lab = await Lab.create(options);
  try {
    await body(lab);
  } catch (err) {
    console.log(lab.dump());
    throw err;
  } finally {
    await lab.close();
  }
}

export { nft, nsExec };
