// keepalived VRRP instances → tandem node configs. One unit per vrrp_sync_group (its instances move
// together, like one tandem pair with several paths and all their VIPs) or per instance outside a group.
// Everything read is either mapped, mapped with a stated difference, or listed as not mapped with its
// line; a unit that cannot be made safe is refused with the reasons. keepalived's password is never
// carried over: the caller writes a new key.
import { parseAddress } from '../../net/address.js';
import type { Statement, Where } from './syntax.js';

export type FindingKind = 'replaced' | 'changed' | 'not-mapped';

export interface Finding {
  readonly kind: FindingKind;
  readonly at: Where;
  readonly text: string;
}

export interface Problem {
  readonly at: Where;
  readonly message: string;
}

export interface ImportOptions {
  /** The node's name; default global_defs' router_id, else the host name given by the caller. */
  readonly node?: string;
  readonly hostname: string;
  readonly role?: 'primary' | 'secondary';
  /** For multicast instances, whose file never names the peer (and may not name our address). */
  readonly local_address?: string;
  readonly peer_address?: string;
}

/** One tandem config, before the key file is known (the caller sets `pair_key_file`). */
export interface Converted {
  readonly ok: true;
  readonly name: string;
  /** Which keepalived instances it came from, and where. */
  readonly instances: readonly { readonly name: string; readonly at: Where }[];
  readonly config: Record<string, unknown>;
  readonly findings: readonly Finding[];
  /** Where each `paths[i]`, `actions[i]`, `monitors[i]` came from, to point checker errors at a line. */
  readonly origins: ReadonlyMap<string, Where>;
}

export interface Refused {
  readonly ok: false;
  readonly name: string;
  readonly problems: readonly Problem[];
}

export type Unit = Converted | Refused;

const MCAST_V4 = '224.0.0.18';
const MCAST_V6 = 'ff02::12';
const STATE_OF: Readonly<Record<string, string>> = {
  notify_master: 'active',
  notify_backup: 'standby',
  notify_fault: 'fault',
  notify_stop: 'stopped',
};
/** keepalived's state names for its generic `notify` script's third argument. */
const KEEPALIVED_STATE = 'active) s=MASTER;; standby) s=BACKUP;; fault) s=FAULT;; stopped) s=STOP;;';

/** Instance keywords that tandem does not need or does differently: why, said once per line. */
const NOT_MAPPED: Readonly<Record<string, string>> = {
  virtual_router_id: 'not needed: the pair name and key keep pairs apart',
  version: "tandem has its own authenticated keepalive, not VRRP's",
  smtp_alert: "use the controller's email / webhook notifications",
  garp_master_delay:
    'tandem announces the VIP at once, then 3 times 200 ms apart (vip `garp.count`, `garp.spacing_ms`)',
  garp_master_repeat: 'set the vip action’s `garp.count` instead',
  garp_master_refresh: 'tandem repeats no GARP after the claim',
  garp_master_refresh_repeat: 'tandem repeats no GARP after the claim',
  garp_lower_prio_delay: 'tandem announces the VIP at once on claim',
  garp_lower_prio_repeat: 'tandem announces the VIP at once on claim',
  use_vmac: 'tandem moves the address, not a virtual MAC',
  vmac_xmit_base: 'tandem moves the address, not a virtual MAC',
  accept: 'the VIP is an ordinary address of the interface: it accepts traffic',
  no_accept: 'the VIP is an ordinary address of the interface: it accepts traffic',
  strict_mode: 'not needed',
  native_ipv6: 'IPv6 VIPs need no flag in tandem',
  dont_track_primary: 'mapped: the interface gets no link monitor',
  track_file: 'no tandem equivalent: use a `check` monitor (e.g. `test "$(cat FILE)" = 0`)',
  track_process: 'no tandem equivalent: use a `check` monitor (e.g. `pidof NAME`)',
  track_bfd: 'no tandem equivalent',
  track_src_ip: 'no tandem equivalent',
  lvs_sync_daemon_interface: 'LVS is not part of tandem',
  debug: 'use `log_level: debug`',
  notify_master_rx_lower_pri: 'no tandem equivalent',
};

const TOP_NOT_MAPPED: Readonly<Record<string, string>> = {
  virtual_server: 'LVS load balancing is not part of tandem',
  virtual_server_group: 'LVS load balancing is not part of tandem',
  static_ipaddress: 'static addresses belong in the system’s network configuration',
  static_routes: 'static routes belong in the system’s network configuration',
  static_rules: 'static rules belong in the system’s network configuration',
  linkbeat_interfaces: 'tandem’s link monitors read the carrier themselves',
  vrrp_track_process: 'no tandem equivalent: use a `check` monitor (e.g. `pidof NAME`)',
  vrrp_track_file: 'no tandem equivalent: use a `check` monitor',
  bfd_instance: 'no tandem equivalent',
};

interface Instance {
  readonly name: string;
  readonly at: Where;
  readonly body: readonly Statement[];
}

interface Context {
  readonly options: ImportOptions;
  readonly scripts: ReadonlyMap<string, Statement>;
  readonly globals: ReadonlyMap<string, Statement>;
}

/** Every unit of the file, in file order. */
export function convertKeepalived(
  top: readonly Statement[],
  options: ImportOptions,
): {
  units: Unit[];
  /** Top-level lines that belong to no unit and are not mapped (LVS, static routes, unknown). */
  findings: Finding[];
} {
  const findings: Finding[] = [];
  const instances = new Map<string, Instance>();
  const groups: Statement[] = [];
  const scripts = new Map<string, Statement>();
  const globals = new Map<string, Statement>();
  const problems: Problem[] = [];
  for (const s of top) {
    const [keyword, name] = s.words;
    if (keyword?.startsWith('@') || keyword?.startsWith('$'))
      problems.push({
        at: s.at,
        message: `${keyword}: conditional lines and $variables are not supported; expand them first`,
      });
    else if (keyword === 'vrrp_instance' && name !== undefined && s.block !== null)
      instances.set(name, { name, at: s.at, body: s.block });
    else if (keyword === 'vrrp_sync_group' && s.block !== null) groups.push(s);
    else if (keyword === 'vrrp_script' && name !== undefined && s.block !== null) scripts.set(name, s);
    else if (keyword === 'global_defs' && s.block !== null)
      for (const g of s.block) globals.set(g.words[0] ?? '', g);
    else
      findings.push({
        kind: 'not-mapped',
        at: s.at,
        text: `${s.words.join(' ')}: ${TOP_NOT_MAPPED[keyword ?? ''] ?? 'not understood by the importer'}`,
      });
  }
  if (problems.length > 0) return { units: [{ ok: false, name: '(file)', problems }], findings };
  for (const g of globals.values()) {
    const known = ['router_id', 'vrrp_mcast_group4', 'vrrp_mcast_group6'];
    if (!known.includes(g.words[0] ?? ''))
      findings.push({
        kind: 'not-mapped',
        at: g.at,
        text: `global_defs ${g.words.join(' ')}: ${globalReason(g.words[0] ?? '')}`,
      });
  }
  const ctx: Context = { options, scripts, globals };
  const units: Unit[] = [];
  const grouped = new Set<string>();
  for (const g of groups) {
    const unit = convertGroup(g, instances, ctx);
    for (const n of groupMembers(g)) grouped.add(n);
    units.push(unit);
  }
  for (const inst of instances.values())
    if (!grouped.has(inst.name)) units.push(convertUnit(inst.name, [inst], null, ctx));
  return { units, findings };
}

function globalReason(keyword: string): string {
  if (keyword.startsWith('notification_email') || keyword.startsWith('smtp_'))
    return "use the controller's email notifications";
  if (keyword === 'script_user' || keyword === 'enable_script_security')
    return 'tandem runs checks as the agent’s user and notify commands as `notify.user`';
  return 'no tandem equivalent';
}

function groupMembers(g: Statement): string[] {
  return (g.block ?? [])
    .filter((s) => s.words[0] === 'group')
    .flatMap((s) => (s.block ?? []).flatMap((m) => m.words));
}

function convertGroup(g: Statement, instances: ReadonlyMap<string, Instance>, ctx: Context): Unit {
  const name = g.words[1] ?? 'group';
  const members = groupMembers(g);
  const missing = members.filter((m) => !instances.has(m));
  if (members.length === 0 || missing.length > 0)
    return {
      ok: false,
      name,
      problems: [
        {
          at: g.at,
          message:
            members.length === 0
              ? 'vrrp_sync_group has no `group { … }` of instances'
              : `vrrp_sync_group names instances that are not defined: ${missing.join(', ')}`,
        },
      ],
    };
  return convertUnit(
    name,
    members.map((m) => instances.get(m)!),
    g,
    ctx,
  );
}

/** The first statement with this keyword in a block. */
function find(body: readonly Statement[], keyword: string): Statement | undefined {
  return body.find((s) => s.words[0] === keyword);
}

/** A name tandem accepts: letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export function tandemName(text: string, fallback: string): string {
  const v = text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return v === '' ? fallback : v;
}

const seconds = (s: Statement | undefined): number | null => {
  const v = s?.words[1];
  if (v === undefined || !/^\d+(\.\d+)?$/.test(v)) return null;
  return Number(v);
};

function convertUnit(
  name: string,
  members: readonly Instance[],
  group: Statement | null,
  ctx: Context,
): Unit {
  const out = new Builder(name, ctx);
  for (const inst of members) out.instance(inst);
  if (group !== null) out.groupExtras(group);
  return out.finish(members);
}

/** Collects one unit's config, findings and problems; each keyword handler is small. */
class Builder {
  readonly findings: Finding[] = [];
  readonly problems: Problem[] = [];
  readonly origins = new Map<string, Where>();
  readonly paths: Record<string, unknown>[] = [];
  readonly actions: Record<string, unknown>[] = [];
  readonly monitors: Record<string, unknown>[] = [];
  readonly notify: string[] = [];
  readonly notifyStates = new Set<string>();
  states: { state: string; at: Where }[] = [];
  priorities: { value: number; at: Where }[] = [];
  interval_ms: number | null = null;
  preempt: boolean | null = null;
  preempt_delay_ms: number | null = null;

  constructor(
    readonly name: string,
    readonly ctx: Context,
  ) {}

  note(kind: FindingKind, at: Where, text: string): undefined {
    this.findings.push({ kind, at, text });
  }

  refuse(at: Where, message: string): undefined {
    this.problems.push({ at, message });
  }

  instance(inst: Instance): undefined {
    const body = inst.body;
    const iface = find(body, 'interface')?.words[1] ?? null;
    this.path(inst, iface);
    for (const s of body) this.keyword(inst, s, iface);
    if (iface !== null && find(body, 'dont_track_primary') === undefined)
      this.monitor(
        { kind: 'link', name: `link-${tandemName(iface, 'if')}`, interface: iface },
        find(body, 'interface')!.at,
      );
  }

  keyword(inst: Instance, s: Statement, iface: string | null): undefined {
    const [k = '', v] = s.words;
    switch (k) {
      case 'interface':
      case 'unicast_src_ip':
      case 'unicast_peer':
      case 'mcast_src_ip':
        return; // read by path()
      case 'state':
        if (v === 'MASTER' || v === 'BACKUP') this.states.push({ state: v, at: s.at });
        else this.refuse(s.at, `state ${v ?? ''}: expected MASTER or BACKUP`);
        return;
      case 'priority': {
        const p = Number(v);
        if (Number.isInteger(p) && p >= 0 && p <= 255) this.priorities.push({ value: p, at: s.at });
        else this.refuse(s.at, `priority ${v ?? ''}: expected an integer 0..255`);
        return;
      }
      case 'advert_int':
        return this.advert(s);
      case 'nopreempt':
        this.preempt = false;
        return;
      case 'preempt':
        this.preempt ??= true;
        return;
      case 'preempt_delay': {
        const d = seconds(s);
        if (d === null) this.refuse(s.at, `preempt_delay ${v ?? ''}: expected seconds`);
        else this.preempt_delay_ms = Math.round(d * 1000);
        return;
      }
      case 'authentication':
        return this.authentication(s);
      case 'virtual_ipaddress':
      case 'virtual_ipaddress_excluded':
        for (const vip of s.block ?? []) this.vip(vip, iface);
        return;
      case 'virtual_routes':
        for (const r of s.block ?? []) this.route(r, iface);
        return;
      case 'track_script':
        for (const t of s.block ?? []) this.trackScript(t);
        return;
      case 'track_interface':
        for (const t of s.block ?? []) this.trackInterface(t);
        return;
      case 'notify_master':
      case 'notify_backup':
      case 'notify_fault':
      case 'notify_stop':
      case 'notify':
        return this.notifyScript(s, 'INSTANCE', inst.name);
      default:
        this.note('not-mapped', s.at, `${s.words.join(' ')}: ${NOT_MAPPED[k] ?? 'no tandem equivalent'}`);
    }
  }

  advert(s: Statement): undefined {
    const a = seconds(s);
    if (a === null || a <= 0) return this.refuse(s.at, `advert_int ${s.words[1] ?? ''}: expected seconds`);
    const ms = Math.round(a * 1000);
    const clamped = Math.min(60_000, Math.max(20, ms));
    if (clamped !== ms)
      this.note(
        'changed',
        s.at,
        `advert_int ${s.words[1]}: tandem's interval is 20 ms to 60 s; ${clamped} ms used`,
      );
    if (this.interval_ms !== null && this.interval_ms !== clamped)
      this.note(
        'changed',
        s.at,
        `advert_int differs between the group's instances; the first (${this.interval_ms} ms) is used`,
      );
    this.interval_ms ??= clamped;
  }

  authentication(s: Statement): undefined {
    const type = find(s.block ?? [], 'auth_type')?.words[1] ?? '(none)';
    const why =
      type === 'AH'
        ? 'AH authentication was dropped from VRRPv3 and never protected against replay'
        : 'the password travels in clear in every advert';
    this.note(
      'replaced',
      s.at,
      `authentication (auth_type ${type}): not carried over (${why}); tandem signs every keepalive with a new random pair key (HMAC-SHA-256, replay window)`,
    );
  }

  path(inst: Instance, iface: string | null): undefined {
    const body = inst.body;
    const src = find(body, 'unicast_src_ip');
    const peerBlock = find(body, 'unicast_peer');
    const peers = (peerBlock?.block ?? []).map((p) => ({ address: p.words[0] ?? '', at: p.at }));
    const o = this.ctx.options;
    const name = tandemName(iface ?? inst.name, 'vrrp');
    if (peers.length > 1)
      return this.refuse(
        peerBlock!.at,
        `unicast_peer lists ${peers.length} peers (${peers.map((p) => p.address).join(', ')}): a tandem pair is two nodes; keep the one peer of this node`,
      );
    if (peers.length === 1 || src !== undefined) {
      const local = o.local_address ?? src?.words[1];
      const peer = o.peer_address ?? peers[0]?.address;
      if (local === undefined || peer === undefined)
        return this.refuse(
          (src ?? peerBlock)!.at,
          `unicast: ${local === undefined ? 'unicast_src_ip' : 'unicast_peer'} is missing; add it or pass --${local === undefined ? 'local' : 'peer'}-address`,
        );
      return this.addPath({ name, local_address: local, peer_address: peer }, (peerBlock ?? src)!.at);
    }
    // Multicast: keepalived never names the peer, and takes our address from the interface.
    const mcastSrc = find(body, 'mcast_src_ip');
    const local = o.local_address ?? mcastSrc?.words[1];
    if (local === undefined || o.peer_address === undefined)
      return this.refuse(
        inst.at,
        `vrrp_instance ${inst.name} uses multicast, and keepalived's file does not say the peer's address${local === undefined ? ' nor ours' : ''}: pass --peer-address${local === undefined ? ' and --local-address' : ''}`,
      );
    const v6 =
      parseAddress(local).ok && (parseAddress(local) as { value: { family: number } }).value.family === 6;
    const g = this.ctx.globals.get(v6 ? 'vrrp_mcast_group6' : 'vrrp_mcast_group4')?.words[1];
    this.addPath(
      {
        name,
        local_address: local,
        peer_address: o.peer_address,
        multicast_group: g ?? (v6 ? MCAST_V6 : MCAST_V4),
      },
      inst.at,
    );
  }

  addPath(p: Record<string, unknown>, at: Where): undefined {
    const same = this.paths.find((x) => x.local_address === p.local_address);
    if (same !== undefined && same.peer_address === p.peer_address) return; // a group's instances on one link
    if (same !== undefined)
      return this.refuse(
        at,
        `a second peer (${String(p.peer_address)}) from the same local address: a tandem pair is two nodes`,
      );
    let name = String(p.name);
    for (let i = 2; this.paths.some((x) => x.name === name); i++) name = `${String(p.name)}-${i}`;
    this.origins.set(`paths[${this.paths.length}]`, at);
    this.paths.push({ ...p, name });
  }

  vip(s: Statement, iface: string | null): undefined {
    const [address = '', ...rest] = s.words;
    let dev = iface;
    const extras: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const w = rest[i]!;
      if (w === 'dev' && rest[i + 1] !== undefined) dev = rest[++i]!;
      else if (w === 'label' && rest[i + 1] !== undefined)
        this.note(
          'changed',
          s.at,
          `label ${rest[++i]}: tandem adds the VIP without an alias label (\`ip addr\` shows it on ${dev ?? 'the interface'})`,
        );
      else if ((w === 'brd' || w === 'broadcast') && rest[i + 1] !== undefined)
        this.note('changed', s.at, `brd ${rest[++i]}: tandem adds the VIP without a broadcast address`);
      else if (w === 'scope' && rest[i + 1] !== undefined) {
        if (rest[++i] !== 'global') extras.push(`scope ${rest[i]}`);
      } else if (parseAddress(w.split('/')[0]).ok) {
        this.vip({ ...s, words: [w, ...rest.slice(i + 1)] }, iface);
        break;
      } else extras.push(w);
    }
    if (extras.length > 0)
      this.note(
        'not-mapped',
        s.at,
        `virtual_ipaddress ${address}: ${extras.join(' ')} (no tandem equivalent)`,
      );
    if (dev === null)
      return this.refuse(
        s.at,
        `virtual_ipaddress ${address}: no interface (add \`dev IF\` or the instance's \`interface\`)`,
      );
    let cidr = address;
    if (!address.includes('/')) {
      const a = parseAddress(address);
      const prefix = a.ok && a.value.family === 6 ? 128 : 32;
      cidr = `${address}/${prefix}`;
      this.note(
        'changed',
        s.at,
        `virtual_ipaddress ${address}: no prefix; keepalived's default /${prefix} written explicitly (the LAN's prefix, e.g. /24, is usual)`,
      );
    }
    this.action({ kind: 'vip', interface: dev, address: cidr }, s.at);
  }

  route(s: Statement, iface: string | null): undefined {
    const [first = '', ...rest] = s.words;
    const dest = first === 'src' ? null : first;
    const spec: Record<string, unknown> = {
      kind: 'route',
      destination: dest === 'default' ? '0.0.0.0/0' : dest,
    };
    for (let i = 0; i < rest.length; i++) {
      const w = rest[i]!;
      const next = rest[i + 1];
      if ((w === 'via' || w === 'gw') && next !== undefined) spec.via = rest[++i];
      else if ((w === 'dev' || w === 'oif') && next !== undefined) spec.dev = rest[++i];
      else if (w === 'metric' && next !== undefined) spec.metric = Number(rest[++i]);
      else
        return this.note(
          'not-mapped',
          s.at,
          `virtual_routes ${s.words.join(' ')}: \`${w}\` has no tandem route equivalent; add a route action by hand`,
        );
    }
    if (dest === null)
      return this.note('not-mapped', s.at, `virtual_routes ${s.words.join(' ')}: no destination`);
    if (spec.via === undefined && spec.dev === undefined && iface !== null) spec.dev = iface;
    this.action(spec, s.at);
  }

  trackScript(t: Statement): undefined {
    const [name = '', ...rest] = t.words;
    const def = this.ctx.scripts.get(name);
    if (def === undefined)
      return this.refuse(t.at, `track_script ${name}: no vrrp_script ${name} is defined`);
    const body = def.block ?? [];
    const script = find(body, 'script');
    if (script === undefined || script.words.length < 2)
      return this.refuse(def.at, `vrrp_script ${name}: no \`script\``);
    const monitor: Record<string, unknown> = {
      kind: 'check',
      name: tandemName(name, 'check'),
      command: script.words.slice(1).join(' '),
    };
    const interval = seconds(find(body, 'interval')) ?? 1;
    monitor.interval_ms = Math.max(10, Math.round(interval * 1000));
    const timeout = seconds(find(body, 'timeout'));
    // keepalived's default timeout is the interval; tandem's check default is 3 s.
    monitor.timeout_ms = Math.max(1, Math.round((timeout ?? interval) * 1000));
    for (const k of ['rise', 'fall'] as const) {
      const v = find(body, k);
      if (v !== undefined && /^\d+$/.test(v.words[1] ?? ''))
        monitor[k] = Math.min(100, Math.max(1, Number(v.words[1])));
    }
    const weight = rest[0] === 'weight' ? rest[1] : find(body, 'weight')?.words[1];
    if (weight !== undefined && Number(weight) !== 0)
      this.note(
        'changed',
        t.at,
        `track_script ${name} weight ${weight}: tandem has no priority weights; a failing check makes this node unfit and the role moves to a fit peer`,
      );
    for (const s of body)
      if (!['script', 'interval', 'timeout', 'rise', 'fall', 'weight'].includes(s.words[0] ?? ''))
        this.note(
          'not-mapped',
          s.at,
          `vrrp_script ${name} ${s.words.join(' ')}: ${s.words[0] === 'user' ? 'checks run as the agent’s user' : 'no tandem equivalent'}`,
        );
    this.monitor(monitor, def.at);
  }

  trackInterface(t: Statement): undefined {
    const [iface = '', ...rest] = t.words;
    if (rest[0] === 'weight' && Number(rest[1]) !== 0)
      this.note(
        'changed',
        t.at,
        `track_interface ${iface} weight ${rest[1]}: tandem has no priority weights; the link down makes this node unfit`,
      );
    this.monitor({ kind: 'link', name: `link-${tandemName(iface, 'if')}`, interface: iface }, t.at);
  }

  notifyScript(s: Statement, type: 'INSTANCE' | 'GROUP', name: string): undefined {
    const [k = '', ...words] = s.words;
    const script = words.join(' ');
    if (script === '') return this.refuse(s.at, `${k}: no script`);
    if (/[;&|`$<>(){}]/.test(script))
      this.note(
        'changed',
        s.at,
        `${k}: tandem runs the line with /bin/sh -c; keepalived runs it without a shell — check its quoting`,
      );
    const state = STATE_OF[k];
    if (state !== undefined) {
      this.notifyStates.add(state);
      this.notify.push(`case "$1" in ${state}) ${script} ;; esac`);
      return;
    }
    // `notify SCRIPT`: keepalived calls it with INSTANCE NAME STATE PRIORITY (a group's: GROUP NAME STATE);
    // the priority is filled in by finish(), once every line of the instance is read.
    for (const st of Object.values(STATE_OF)) this.notifyStates.add(st);
    const args = type === 'INSTANCE' ? ' {PRIORITY}' : '';
    this.notify.push(
      `case "$1" in ${KEEPALIVED_STATE} *) exit 0 ;; esac; ${script} ${type} ${name} "$s"${args}`,
    );
  }

  groupExtras(g: Statement): undefined {
    for (const s of g.block ?? []) {
      const k = s.words[0] ?? '';
      if (k === 'group') continue;
      if (k in STATE_OF || k === 'notify') this.notifyScript(s, 'GROUP', g.words[1] ?? '');
      else if (k === 'track_script') for (const t of s.block ?? []) this.trackScript(t);
      else if (k === 'track_interface') for (const t of s.block ?? []) this.trackInterface(t);
      else
        this.note(
          'not-mapped',
          s.at,
          `vrrp_sync_group ${s.words.join(' ')}: ${NOT_MAPPED[k] ?? 'no tandem equivalent'}`,
        );
    }
  }

  action(spec: Record<string, unknown>, at: Where): undefined {
    if (this.actions.some((a) => JSON.stringify(a) === JSON.stringify(spec))) return;
    this.origins.set(`actions[${this.actions.length}]`, at);
    this.actions.push(spec);
  }

  monitor(spec: Record<string, unknown>, at: Where): undefined {
    if (this.monitors.some((m) => m.name === spec.name)) return;
    this.origins.set(`monitors[${this.monitors.length}]`, at);
    this.monitors.push(spec);
  }

  role(first: Where): 'primary' | 'secondary' {
    const forced = this.ctx.options.role;
    const states = new Set(this.states.map((s) => s.state));
    if (states.size > 1)
      this.refuse(
        this.states[1]!.at,
        `the group's instances disagree on state (${this.states.map((s) => `${s.state} at line ${s.at.line}`).join(', ')}): they fail over together`,
      );
    if (forced !== undefined) return forced;
    const state = this.states[0];
    if (state?.state === 'MASTER') return 'primary';
    if (state === undefined && this.priorities[0]?.value === 255) return 'primary';
    this.note(
      'changed',
      state?.at ?? first,
      `${state === undefined ? 'no state' : 'state BACKUP'} → role secondary; tandem needs one primary: if the peer is BACKUP too (the nopreempt pattern), import the node with the higher priority with --role primary`,
    );
    return 'secondary';
  }

  /**
   * --node, else router_id, else the host name. keepalived's sample `router_id LVS_DEVEL` is often left on
   * both nodes, and two nodes of one name would take each other's keepalives for their own: skipped.
   */
  nodeName(): string {
    const o = this.ctx.options;
    if (o.node !== undefined) return tandemName(o.node, 'node');
    const router = this.ctx.globals.get('router_id');
    const id = router?.words[1];
    if (router !== undefined && id !== undefined && id !== 'LVS_DEVEL') {
      this.note(
        'changed',
        router.at,
        `node ${tandemName(id, 'node')} from router_id: the peer's config needs another node name`,
      );
      return tandemName(id, 'node');
    }
    return tandemName(o.hostname, 'node');
  }

  finish(members: readonly Instance[]): Unit {
    const first = members[0]!.at;
    const role = this.role(first);
    const prio = new Set(this.priorities.map((p) => p.value));
    if (prio.size > 1)
      this.note(
        'changed',
        this.priorities[1]!.at,
        `the group's instances have different priorities; the first (${this.priorities[0]!.value}) is used`,
      );
    if (this.paths.length === 0 && this.problems.length === 0)
      this.refuse(first, 'no keepalive path could be made');
    if (this.notify.length > 8)
      this.refuse(first, `${this.notify.length} notify scripts: tandem runs at most 8; combine them`);
    if (this.problems.length > 0) return { ok: false, name: this.name, problems: this.problems };
    const node = this.nodeName();
    const config: Record<string, unknown> = {
      pair: tandemName(this.name, 'pair'),
      node,
      role,
      ...(this.priorities[0] ? { priority: this.priorities[0].value } : {}),
      pair_key_file: '',
      paths: this.paths,
      ...(this.interval_ms !== null ? { interval_ms: this.interval_ms } : {}),
      ...(this.preempt === false ? { preempt: false } : {}),
      ...(this.preempt_delay_ms !== null ? { preempt_delay_ms: this.preempt_delay_ms } : {}),
      ...(this.monitors.length > 0 ? { monitors: this.monitors } : {}),
      actions: this.actions,
      ...(this.notify.length > 0
        ? {
            notify: {
              commands: this.notify.map((c) =>
                c.replace(' {PRIORITY}', ` ${this.priorities[0]?.value ?? 100}`),
              ),
              states: [...this.notifyStates],
            },
          }
        : {}),
    };
    return {
      ok: true,
      name: this.name,
      instances: members.map((m) => ({ name: m.name, at: m.at })),
      config,
      findings: this.findings,
      origins: this.origins,
    };
  }
}
