// Announcing a claimed VIP to the LAN so that neighbours repoint their caches at our MAC. IPv4: a
// gratuitous ARP; IPv6: an unsolicited neighbour advertisement (override set, our MAC as target
// link-layer address, to all nodes). Both are built here as frames (frames.ts) and written to a
// long-lived raw-socket writer (announcer.ts), started when the action is created, not on the claim.
// The first goes out as soon as the address is ours; the rest follow on Node timers, `spacing_ms`
// apart. A release cancels the rest: one sent after release would pull the traffic back to a node
// that no longer holds the address.
import { readFile } from 'node:fs/promises';
import { runTool } from '../../net/run-tool.js';
import { LinkAnnouncer } from './announcer.js';
import { inNetns } from './command.js';
import { type FrameIssue, gratuitousArp, parseMac, unsolicitedNa } from './frames.js';

export type GarpMode = 'request' | 'reply' | 'both';

export interface GarpPlan {
  readonly ifname: string;
  readonly family: 4 | 6;
  readonly address: string;
  readonly count: number;
  readonly spacing_ms: number;
  readonly mode: GarpMode;
  readonly netns?: string;
}

/** What happened to one announcement, for the agent's log and metrics. */
export type GarpOutcome =
  | { readonly kind: 'sent'; readonly index: number; readonly mode: 'request' | 'reply' | 'na' }
  | { readonly kind: 'failed'; readonly index: number; readonly error: string }
  /** The announcer (socat) exited; it is started again after a backoff. */
  | { readonly kind: 'announcer-stopped'; readonly error: string };

type Sent = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** Which form the announcement number `index` of `plan` takes. */
export function announcementMode(plan: GarpPlan, index: number): 'request' | 'reply' | 'na' {
  if (plan.family === 6) return 'na';
  if (plan.mode === 'both') return index % 2 === 0 ? 'request' : 'reply';
  return plan.mode;
}

/** What an announcement needs of its interface: our MAC (the frames' source) and the index the socket sends to. */
export interface Link {
  readonly mac: readonly number[];
  readonly ifindex: number;
}

/** `ifname`'s MAC and index as the kernel reports them, read in `netns` (sysfs there shows that netns). */
export async function readLink(ifname: string, netns: string | undefined): Promise<Link | FrameIssue> {
  const paths = [`/sys/class/net/${ifname}/address`, `/sys/class/net/${ifname}/ifindex`];
  let text: string;
  if (netns === undefined) {
    try {
      text = (await Promise.all(paths.map((p) => readFile(p, 'utf8')))).join('\n');
    } catch (err) {
      return { code: 'FRAME_BAD_MAC', message: `cannot read ${paths[0]}: ${(err as Error).message}` };
    }
  } else {
    const [file, args] = inNetns(netns, 'cat', paths);
    const out = await runTool(file, args, 3000);
    if (out.code !== 0)
      return {
        code: 'FRAME_BAD_MAC',
        message: `cannot read ${paths[0]} in netns ${netns}: ${out.stderr.trim()}`,
      };
    text = out.stdout;
  }
  const [address = '', index = ''] = text.split('\n').filter((l) => l.trim() !== '');
  const mac = parseMac(address);
  if ('code' in mac) return mac;
  const ifindex = Number(index.trim());
  if (!Number.isInteger(ifindex) || ifindex < 1)
    return { code: 'FRAME_BAD_MAC', message: `expected an interface index in ${paths[1]}, got "${index}"` };
  return { mac, ifindex };
}

export class GarpSender {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly announcer: LinkAnnouncer;
  private link: Link | null = null;
  /** Bumped on every start and cancel: a MAC read that finishes after a cancel sends nothing. */
  private generation = 0;
  /** The plan armed for: its first frame is built ahead, whenever the interface is (re)read. */
  private armed: GarpPlan | null = null;
  /** The claim's first frame, built ahead: on the claim it is written as it is. */
  private prepared: {
    readonly plan: GarpPlan;
    readonly mac: readonly number[];
    readonly frame: Buffer;
  } | null = null;

  constructor(
    private readonly ifname: string,
    private readonly netns: string | undefined,
    private readonly onOutcome: (o: GarpOutcome) => void = () => undefined,
  ) {
    this.announcer = new LinkAnnouncer(ifname, netns, {
      // The interface may have been recreated (a new MAC): read it again, ahead of the next claim.
      onExit: (error) => {
        this.link = null;
        this.onOutcome({ kind: 'announcer-stopped', error });
        void this.ensureLink();
      },
    });
  }

  /** The running announcer's pid, if any (tests kill it to prove the restart). */
  get announcerPid(): number | undefined {
    return this.announcer.pid;
  }

  /** Opens the raw socket and reads our MAC ahead, so that a claim only writes. */
  arm(plan: GarpPlan): void {
    if (plan.count === 0) return;
    this.armed = plan;
    void this.ensureLink();
  }

  /** Stops pending announcements and the announcer itself. */
  close(): void {
    this.cancel();
    this.announcer.close();
  }

  /** Sends the first announcement now (the address is ours already) and schedules the rest. */
  async start(plan: GarpPlan): Promise<Sent> {
    this.cancel();
    if (plan.count === 0) return { ok: true };
    const generation = this.generation;
    const link = this.link ?? (await this.ensureLink());
    if (generation !== this.generation) return { ok: true };
    if ('code' in link) {
      this.onOutcome({ kind: 'failed', index: 0, error: link.message });
      return { ok: false, error: link.message };
    }
    const first = this.sendOne(plan, link.mac, 0);
    for (let i = 1; i < plan.count; i++) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.sendOne(plan, (this.link ?? link).mac, i);
      }, i * plan.spacing_ms);
      this.timers.add(t);
    }
    return first;
  }

  /** Stops pending announcements (a frame already written is on its way). */
  cancel(): void {
    this.generation++;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Reads the interface again and (re)starts the announcer on its index. */
  private async ensureLink(): Promise<Link | FrameIssue> {
    const link = await readLink(this.ifname, this.netns);
    if (!('code' in link)) {
      this.link = link;
      this.announcer.start(link.ifindex);
      const plan = this.armed;
      const frame = plan === null ? null : this.frameOf(plan, link.mac, 0);
      this.prepared =
        plan === null || frame === null || 'code' in frame ? null : { plan, mac: link.mac, frame };
    }
    return link;
  }

  private frameOf(plan: GarpPlan, mac: readonly number[], index: number): Buffer | FrameIssue {
    const mode = announcementMode(plan, index);
    return mode === 'na' ? unsolicitedNa(mac, plan.address) : gratuitousArp(mac, plan.address, mode);
  }

  /** The prepared frame when it was built for this announcement (same address, form and MAC). */
  private preparedFor(plan: GarpPlan, mac: readonly number[], index: number): Buffer | null {
    const p = this.prepared;
    if (p === null || index !== 0 || p.mac !== mac) return null;
    const same =
      p.plan.address === plan.address && p.plan.family === plan.family && p.plan.mode === plan.mode;
    return same ? p.frame : null;
  }

  private sendOne(plan: GarpPlan, mac: readonly number[], index: number): Sent {
    const mode = announcementMode(plan, index);
    const frame = this.preparedFor(plan, mac, index) ?? this.frameOf(plan, mac, index);
    if ('code' in frame) {
      this.onOutcome({ kind: 'failed', index, error: frame.message });
      return { ok: false, error: frame.message };
    }
    if (!this.announcer.write(frame)) {
      const error = `cannot announce ${plan.address} on ${plan.ifname}: the announcer (socat) could not start; install socat`;
      this.onOutcome({ kind: 'failed', index, error });
      return { ok: false, error };
    }
    this.onOutcome({ kind: 'sent', index, mode });
    return { ok: true };
  }
}
