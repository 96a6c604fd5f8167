// Virtual IP on a LAN interface: claim = address on our interface, then an announcement so that
// neighbours repoint their caches at our MAC (IPv4: gratuitous ARP; IPv6: unsolicited neighbour
// advertisements, the address added with `nodad`); release = address removed.
//
// Why `nodad` for IPv6: with duplicate address detection the kernel keeps a new address tentative
// for a second or more (unusable, and our NA would be refused), and on a takeover DAD would see the
// old holder still answering and mark the VIP failed. keepalived and kube-vip add VIPs the same way.
import { parseAddress, sameAddress } from '../../net/address.js';
import { runTool, type ToolOutcome } from '../../net/run-tool.js';
import { retrySteps } from '../kit/retry.js';
import type {
  Action,
  ActionContext,
  ActionError,
  ActionResult,
  Observation,
  PreflightCheck,
} from '../types.js';
import { LinkAnnouncer } from './announcer.js';
import { CAP_NET_ADMIN, CAP_NET_RAW, hasCapability } from './capabilities.js';
import { actionError, inNetns, ip, ipFailure } from './command.js';
import { type GarpOutcome, type GarpPlan, GarpSender } from './garp.js';
import { IpBatch } from './ip-batch.js';
import { GARP_DEFAULTS, type VipSpec } from './spec.js';
import { parseVipAddress, type VipAddress, vipRuntimeIssues } from './vip-address.js';

/** The spec's VIP, or the first thing in it the runtime cannot do (the same rule `--check` applies). */
function checkedVip(spec: VipSpec): VipAddress | ActionError {
  const [issue] = vipRuntimeIssues(spec);
  if (issue !== undefined)
    return actionError('VIP_INVALID_ADDRESS', `${issue.path}: ${issue.message}`, false);
  const parsed = parseVipAddress(spec.address);
  return 'path' in parsed ? actionError('VIP_INVALID_ADDRESS', parsed.message, false) : parsed;
}

export interface VipOptions {
  /** Each GARP's fate (sent or failed), after claim has returned. */
  readonly onGarp?: (outcome: GarpOutcome) => void;
  /**
   * Keep the claim's `ip -batch` and the announcer's raw socket started ahead, so that a claim forks
   * nothing: the running agent's actions. Off for one-shot uses (stale VIP removal): there the
   * announcer starts on the first claim, if any.
   */
  readonly armed?: boolean;
}

export class VipAction implements Action {
  readonly kind = 'vip';
  readonly name: string;
  private readonly parsed: VipAddress | ActionError;
  private readonly garp: GarpSender;
  /** Our long-lived `ip -batch`, when options.armed: a claim or release forks nothing. */
  private readonly batch: IpBatch | null = null;

  constructor(
    private readonly spec: VipSpec,
    options: VipOptions = {},
  ) {
    this.name = `vip ${spec.interface} ${spec.address}`;
    this.parsed = checkedVip(spec);
    this.garp = new GarpSender(spec.interface, spec.netns, options.onGarp);
    const p = this.parsed;
    if (options.armed === true && !('code' in p)) {
      this.batch = new IpBatch(spec.netns);
      this.batch.start();
      this.garp.arm(this.garpPlan(p));
    }
  }

  /** `ip addr replace` is idempotent: claiming twice is not an error. */
  private addArgs(p: VipAddress): string[] {
    const nodad = p.family === 6 ? ['nodad'] : [];
    return ['addr', 'replace', `${p.address}/${p.prefix}`, 'dev', this.spec.interface, ...nodad];
  }

  private garpPlan(p: VipAddress): GarpPlan {
    const garp = this.spec.garp ?? {};
    return {
      ifname: this.spec.interface,
      family: p.family,
      address: p.address,
      count: garp.count ?? GARP_DEFAULTS.count,
      spacing_ms: garp.spacing_ms ?? GARP_DEFAULTS.spacing_ms,
      mode: garp.mode ?? GARP_DEFAULTS.mode,
      ...(this.spec.netns === undefined ? {} : { netns: this.spec.netns }),
    };
  }

  /** `ip args…` through the batch process when there is one, else an ordinary run. */
  private ip(args: readonly string[]): Promise<ToolOutcome> {
    return this.batch?.run(args) ?? ip(this.spec.netns, args);
  }

  /** The announcer's pid while one runs (tests kill it to prove the restart). */
  get announcerPid(): number | undefined {
    return this.garp.announcerPid;
  }

  /** Lets the long-lived processes go (the agent stops, or drops this action on a reload). */
  close(): void {
    this.batch?.close();
    this.garp.close();
  }

  async preflight(_ctx: ActionContext): Promise<readonly PreflightCheck[]> {
    const checks: PreflightCheck[] = [];
    const p = this.parsed;
    checks.push(
      'code' in p
        ? {
            check: `address ${this.spec.address} is valid`,
            status: 'error',
            detail: p.message,
            fix: 'use a.b.c.d/len or an IPv6 address/len',
          }
        : { check: `address ${this.spec.address} is valid`, status: 'ok' },
    );
    checks.push(await toolCheck('ip', ['-V'], 'iproute2'));
    const v6 = !('code' in p) && p.family === 6;
    checks.push(await toolCheck('socat', ['-V'], 'socat'));
    const refusal = LinkAnnouncer.refusal(this.spec.interface);
    if (refusal !== null)
      checks.push({
        check: `interface ${this.spec.interface} can be announced on`,
        status: 'error',
        detail: `expected an interface name ${refusal}`,
        fix: 'rename the interface (or an altname) to letters, digits and _ . @ -',
      });
    if (this.spec.observe_duplicates === true)
      checks.push(await toolCheck('arping', ['-V'], 'iputils-arping'));
    if (v6) checks.push(await this.ipv6Check());
    const link = await ip(this.spec.netns, ['link', 'show', 'dev', this.spec.interface]);
    checks.push(
      link.code === 0
        ? { check: `interface ${this.spec.interface} exists`, status: 'ok' }
        : {
            check: `interface ${this.spec.interface} exists`,
            status: 'wrong-id',
            detail: link.stderr.trim(),
            fix: 'set the interface that carries the LAN (see `ip link`)',
          },
    );
    const admin = await hasCapability(CAP_NET_ADMIN);
    checks.push({
      check: 'CAP_NET_ADMIN (add/remove addresses)',
      status: admin ? 'ok' : 'missing-permission',
      ...(admin ? {} : { fix: 'run the agent as root or grant it CAP_NET_ADMIN' }),
    });
    const raw = await hasCapability(CAP_NET_RAW);
    checks.push({
      check: `CAP_NET_RAW for the announcer's raw socket (${v6 ? 'neighbour advertisements' : 'gratuitous ARP'})`,
      status: raw ? 'ok' : 'missing-permission',
      ...(raw
        ? {}
        : {
            fix: 'run as root or grant CAP_NET_RAW as an ambient capability (the systemd unit does) so that socat inherits it',
          }),
    });
    return checks;
  }

  async claim(ctx: ActionContext): Promise<ActionResult> {
    const p = this.parsed;
    if ('code' in p) return { ok: false, duration_ms: 0, calls: 0, error: p };
    const started_ms = performance.now();
    // The address goes to the batch process before anything else of the claim, and when `ip` says it
    // is done the claim is too, without the retry machinery: code that only a claim runs is cold
    // (compiled on first use), and every bit of it run before `ip`'s answer is read delays the
    // announcement. A failed first attempt goes on through the retries, within what is left of the deadline.
    const early = this.batch?.run(this.addArgs(p));
    if (early) {
      const first = await this.addThenAnnounce(p, early, ctx);
      const duration_ms = performance.now() - started_ms;
      if (first.ok) return { ok: true, duration_ms, calls: 1 };
      if (!first.error.retryable) return { ok: false, duration_ms, calls: 1, error: first.error };
      const left_ms = Math.max(0, ctx.deadline_ms - duration_ms);
      return retrySteps({ ...ctx, deadline_ms: left_ms }, this.name, () =>
        this.addThenAnnounce(p, this.ip(this.addArgs(p)), ctx),
      );
    }
    return retrySteps(ctx, this.name, () => this.addThenAnnounce(p, this.ip(this.addArgs(p)), ctx));
  }

  /** One attempt: the address (already asked for: `add`), then the first announcement, then we hold it. */
  private async addThenAnnounce(
    p: VipAddress,
    add: Promise<ToolOutcome>,
    ctx: ActionContext,
  ): Promise<{ readonly ok: true } | { readonly ok: false; readonly error: ActionError }> {
    const out = await add;
    if (out.code !== 0)
      return { ok: false, error: ipFailure('VIP_ADD_FAILED', `add ${p.address}/${p.prefix}`, out) };
    // Address first, then the announcement: it is sent from the VIP, which must be ours by now.
    const first = await this.garp.start(this.garpPlan(p));
    if (!first.ok) return { ok: false, error: actionError('GARP_FAILED', first.error, false) };
    ctx.holding?.();
    return { ok: true };
  }

  async release(ctx: ActionContext): Promise<ActionResult> {
    this.garp.cancel();
    const p = this.parsed;
    if ('code' in p) return { ok: false, duration_ms: 0, calls: 0, error: p };
    return retrySteps(ctx, this.name, async () => {
      const del = await this.ip(['addr', 'del', `${p.address}/${p.prefix}`, 'dev', this.spec.interface]);
      if (del.code === 0) return { ok: true };
      // Already absent (or the interface is gone with it): the end state holds.
      if (/Cannot assign requested address|Address not found|Cannot find device/i.test(del.stderr))
        return { ok: true };
      return { ok: false, error: ipFailure('VIP_DEL_FAILED', `remove ${p.address}/${p.prefix}`, del) };
    });
  }

  async observe(_ctx: ActionContext): Promise<Observation> {
    const p = this.parsed;
    if ('code' in p) return { target: 'unknown', error: p };
    const held = await this.heldHere(p);
    if (typeof held !== 'boolean') return { target: 'unknown', error: held };
    if (held) return { target: 'self' };
    if (this.spec.observe_duplicates !== true) return { target: 'none' };
    return (await this.answeredOnLan(p.address)) ? { target: 'peer' } : { target: 'none' };
  }

  private async heldHere(vip: VipAddress): Promise<boolean | ActionError> {
    const out = await ip(this.spec.netns, ['-j', 'addr', 'show', 'dev', this.spec.interface]);
    if (out.code !== 0)
      return ipFailure('VIP_OBSERVE_FAILED', `read addresses of ${this.spec.interface}`, out);
    try {
      const links = JSON.parse(out.stdout) as { addr_info?: { family?: string; local?: string }[] }[];
      const family = vip.family === 4 ? 'inet' : 'inet6';
      const wanted = parseAddress(vip.address);
      return links.some((l) =>
        (l.addr_info ?? []).some((a) => {
          if (a.family !== family || !wanted.ok) return false;
          const local = parseAddress(a.local);
          return local.ok && sameAddress(local.value, wanted.value);
        }),
      );
    } catch {
      return actionError('VIP_OBSERVE_FAILED', 'cannot parse `ip -j addr` output; iproute2 too old?', true);
    }
  }

  /** Duplicate address detection: someone on the LAN answers ARP for the address (IPv4 only: vipIssues). */
  private async answeredOnLan(address: string): Promise<boolean> {
    const [file, args] = inNetns(this.spec.netns, 'arping', [
      '-D',
      '-c',
      '1',
      '-w',
      '1',
      '-I',
      this.spec.interface,
      address,
    ]);
    const out = await runTool(file, args, 3000);
    return out.code === 1;
  }

  /** An interface with IPv6 disabled refuses the address with a bare "Permission denied". */
  private async ipv6Check(): Promise<PreflightCheck> {
    const key = `net.ipv6.conf.${this.spec.interface}.disable_ipv6`;
    const [file, args] = inNetns(this.spec.netns, 'sysctl', ['-n', key]);
    const out = await runTool(file, args, 3000);
    const check = `IPv6 enabled on ${this.spec.interface}`;
    return out.code === 0 && out.stdout.trim() === '0'
      ? { check, status: 'ok' }
      : {
          check,
          status: 'error',
          detail: out.code === 0 ? `${key} = ${out.stdout.trim()}` : out.stderr.trim(),
          fix: `sysctl -w ${key}=0 (and in /etc/sysctl.d so that it lasts)`,
        };
  }
}

/** Start-up rule: a node that is not active must not hold the VIP (a killed agent leaves it behind). */
export async function removeStaleVip(
  action: VipAction,
  ctx: ActionContext,
): Promise<{ readonly removed: boolean; readonly result?: ActionResult }> {
  const seen = await action.observe(ctx);
  if (seen.target !== 'self') return { removed: false };
  const result = await action.release(ctx);
  return { removed: result.ok, result };
}

async function toolCheck(tool: string, args: string[], pkg: string): Promise<PreflightCheck> {
  const out = await runTool(tool, args, 3000);
  return out.spawn_error === undefined
    ? { check: `${tool} is installed`, status: 'ok' }
    : {
        check: `${tool} is installed`,
        status: 'error',
        detail: out.spawn_error,
        fix: `apt-get install ${pkg}`,
      };
}
