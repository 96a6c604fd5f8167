// A hybrid network on namespaces for pathwatch's end-to-end test and benchmark:
//
//   cloud ── lan0 (10.77.0.0/24, "primary", Direct Connect) ── onprem   (192.168.10.10 on its loopback)
//         └─ ha0  (10.78.0.0/24, "backup",  the VPN)        ──┘
//
// `tandem pathwatch` runs in the cloud namespace, probes 192.168.10.10 over the primary link and the VPN's far
// end (10.78.0.12) over the backup link, and writes the simulated AWS route tables (the simulator runs in this
// process; a unix socket carries the API into the namespace). `blockPrimary()` drops the primary link with
// nftables in the on-premises namespace.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveUnixSocket } from '../../src/agent/unix-forward.js';
import type { Sim } from '../../src/sim/server.js';
import {
  createLan,
  type Lan,
  type NftRule,
  nftApply,
  nsExec,
  type Spawned,
  spawnInNs,
  tsNode,
} from '../helpers/netns.js';
import { awsRoutes, keysOf, ONPREM_HOST, startPathSim } from './fixtures.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const CLI = join(ROOT, 'src/cli/main.ts');

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly event?: string;
  readonly [key: string]: unknown;
}

export interface RigOptions {
  readonly interval_ms: number;
  readonly healthy_rounds: number;
  readonly min_backup_ms?: number;
  /** Latency the simulated EC2 API adds to every call. */
  readonly api_latency_ms?: number;
}

export interface Pathwatch {
  readonly process: Spawned;
  readonly lines: LogLine[];
  /** Lines with `event`, in order. */
  events(kind?: string): LogLine[];
  stop(): Promise<void>;
}

export class Rig {
  #block: NftRule | null = null;
  #backupBlock: NftRule | null = null;
  #forwarder: Spawned | null = null;
  #socketServer: Server | null = null;
  private constructor(
    readonly lan: Lan,
    readonly sim: Sim,
    readonly dir: string,
    readonly apiUrl: string,
    readonly options: RigOptions,
  ) {}

  static async start(options: RigOptions): Promise<Rig> {
    const lan = await createLan({
      hosts: [
        { name: 'cloud', second_link: true },
        { name: 'onprem', second_link: true },
      ],
    });
    const sim = await startPathSim();
    const dir = mkdtempSync(join(tmpdir(), 'tandem-pathwatch-'));
    try {
      const onprem = lan.host('onprem');
      await nsExec(onprem.ns, ['ip', 'addr', 'add', `${ONPREM_HOST}/32`, 'dev', 'lo']);
      // The Direct Connect path: the on-premises network is reached over lan0.
      await nsExec(lan.host('cloud').ns, [
        'ip',
        'route',
        'add',
        `${ONPREM_HOST}/32`,
        'via',
        onprem.lan.address,
      ]);
      if (options.api_latency_ms) sim.faults.set({ action: '*', latency_ms: options.api_latency_ms });
      const socket = join(dir, 'ec2.sock');
      const socketServer = await serveUnixSocket(socket, Number(new URL(sim.aws_url).port));
      const forwarder = spawnInNs(
        lan.host('cloud').ns,
        tsNode(join(ROOT, 'test/helpers/forward-main.ts'), socket),
      );
      const apiUrl = await new Promise<string>((resolve, reject) => {
        forwarder.onLine((line) => {
          if (line.startsWith('http://')) resolve(line.trim());
        });
        void forwarder.exited.then(() => reject(new Error(`forwarder died: ${forwarder.stderr()}`)));
      });
      const rig = new Rig(lan, sim, dir, apiUrl, options);
      rig.#forwarder = forwarder;
      rig.#socketServer = socketServer;
      return rig;
    } catch (err) {
      await lan.destroy();
      await sim.close();
      throw err;
    }
  }

  get backupTarget(): string {
    return this.lan.host('onprem').ha!.address;
  }

  configText(): string {
    const o = this.options;
    // A round: 3 probes 20 ms apart, then wait for answers; it ends well inside the interval.
    const timeout_ms = Math.max(50, Math.floor(o.interval_ms / 2));
    const path = (target: string, label: string) => `
  label: ${label}
  interval_ms: ${o.interval_ms}
  count: 3
  spacing_ms: 20
  timeout_ms: ${timeout_ms}
  targets:
    - kind: icmp
      address: ${target}`;
    const r = awsRoutes();
    return `name: e2e
primary:${path(ONPREM_HOST, 'direct-connect')}
backup:${path(this.backupTarget, 'vpn')}
failback:
  healthy_rounds: ${o.healthy_rounds}
  min_backup_ms: ${o.min_backup_ms ?? 0}
routes:
  - kind: aws-route-table
    route_tables: [${r.route_tables.join(', ')}]
    destinations: [${r.destinations.join(', ')}]
    eni_id: ${r.eni_id}
    region: ${r.region}
    account_id: '${r.account_id}'
    endpoint: ${this.apiUrl}
action_deadline_ms: 5000
status:
  listen: 127.0.0.1:20482
`;
  }

  /** Starts `tandem pathwatch` in the cloud namespace; its structured log lines are collected. */
  startPathwatch(): Pathwatch {
    const file = join(this.dir, 'pathwatch.yaml');
    writeFileSync(file, this.configText());
    const keys = keysOf(this.sim);
    const env = {
      ...process.env,
      // The SDK's default provider chain reads these: no secret on the command line.
      AWS_ACCESS_KEY_ID: keys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const child = spawnInNs(this.lan.host('cloud').ns, tsNode(CLI, 'pathwatch', '--config', file), { env });
    const lines: LogLine[] = [];
    child.onLine((line) => {
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        // Not a log line.
      }
    });
    return {
      process: child,
      lines,
      events: (kind) =>
        lines.filter((l) => l.event !== undefined && (kind === undefined || l.event === kind)),
      stop: async () => {
        child.kill('SIGKILL');
        await child.exited;
      },
    };
  }

  async blockPrimary(): Promise<void> {
    if (this.#block !== null) return;
    this.#block = await nftApply(
      this.lan.host('onprem').ns,
      'chain in { type filter hook input priority -10; policy accept; iifname "lan0" drop; }',
    );
  }

  async unblockPrimary(): Promise<void> {
    await this.#block?.remove();
    this.#block = null;
  }

  /** Drops the backup link (the VPN) too, for the backup watcher's veto. */
  async blockBackup(): Promise<void> {
    if (this.#backupBlock !== null) return;
    this.#backupBlock = await nftApply(
      this.lan.host('onprem').ns,
      'chain in { type filter hook input priority -10; policy accept; iifname "ha0" drop; }',
    );
  }

  async unblockBackup(): Promise<void> {
    await this.#backupBlock?.remove();
    this.#backupBlock = null;
  }

  async destroy(): Promise<void> {
    this.#forwarder?.kill('SIGKILL');
    await this.lan.destroy();
    this.#socketServer?.close();
    await this.sim.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
