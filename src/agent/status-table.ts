// Renders GET /status as the table `tandem status` prints, and the exit code that makes the command a
// monitoring check. Reads defensively: an older agent may lack fields. Shows no verdict for what nothing
// watches (no WAN probe ⇒ no `wan` line).

interface Version {
  major?: number;
  minor?: number;
  patch?: number;
}

interface StatusBody {
  pair?: string;
  node?: string;
  version?: string;
  in_state_ms?: number;
  watched?: { ha_port?: string | null };
  monitors?: {
    wan?: Record<string, boolean>;
    links?: Record<string, boolean>;
    checks?: Record<string, boolean>;
  };
  status?: {
    state?: string;
    role?: string;
    fit?: boolean;
    wan_ok?: boolean;
    ha_port_ok?: boolean;
    relinquishing?: boolean;
    split_brain?: boolean;
    failed_checks?: string[];
    peer?: {
      alive?: boolean;
      advert?: { state?: string; role?: string; priority?: number; version?: Version } | null;
    };
    readiness?: Record<string, unknown>;
  };
  readiness?: Record<string, unknown> | null;
  readiness_reasons?: string[];
  peer_auth_failures?: { count?: number; last_ms_ago?: number | null };
  peer_silence_ms?: Record<string, number | null>;
  actions?: {
    action: string;
    verb: string | null;
    ok?: boolean;
    duration_ms?: number;
    error?: { code?: string } | null;
  }[];
  counters?: {
    sent?: Record<string, number>;
    received?: Record<string, number>;
    rejected?: Record<string, number>;
    transitions?: number;
  };
}

/** 0 ready; 1 not ready (a warning: e.g. the peer is away); 2 fault, disabled or split brain (critical). */
export function exitCodeOf(raw: unknown): 0 | 1 | 2 {
  const b = (raw ?? {}) as StatusBody;
  const s = b.status ?? {};
  if (s.state === 'fault' || s.state === 'disabled' || s.split_brain) return 2;
  const readiness = b.readiness ?? s.readiness ?? {};
  return readiness.ready === true ? 0 : 1;
}

export function formatStatus(raw: unknown): string {
  const b = (raw ?? {}) as StatusBody;
  const s = b.status ?? {};
  const lines = table([
    ['pair', b.pair ?? '?'],
    ['node', `${b.node ?? '?'} (${s.role ?? '?'}), tandem ${b.version ?? '?'}`],
    ['state', stateLine(b)],
    ['health', healthLine(b)],
    ['peer', peerLine(b)],
    ['readiness', readinessLine(b)],
    ['transitions', String(b.counters?.transitions ?? 0)],
    ...(b.readiness_reasons ?? []).map((r) => ['not ready', r]),
    ...authRow(b.peer_auth_failures),
  ]);
  lines.push('', ...pathTable(b));
  const monitors = monitorRows(b);
  if (monitors.length > 0) lines.push('', ...table([['MONITOR', 'KIND', 'VERDICT'], ...monitors]));
  const rejected = Object.entries(b.counters?.rejected ?? {});
  if (rejected.length > 0) lines.push('', `rejected: ${rejected.map(([r, n]) => `${r}=${n}`).join(' ')}`);
  lines.push(...actionTable(b));
  return lines.join('\n');
}

function authRow(a: StatusBody['peer_auth_failures']): string[][] {
  if (a === undefined || !a.count) return [];
  const ago = a.last_ms_ago == null ? '' : `, last ${Math.round(a.last_ms_ago / 1000)} s ago`;
  return [['auth failures', `${a.count} keepalives from the peer's address failed authentication${ago}`]];
}

function stateLine(b: StatusBody): string {
  const s = b.status ?? {};
  const since = b.in_state_ms === undefined ? '' : ` for ${duration(b.in_state_ms)}`;
  return `${s.state ?? '?'}${since}${s.relinquishing ? ', relinquishing' : ''}${s.split_brain ? ', SPLIT BRAIN' : ''}`;
}

function healthLine(b: StatusBody): string {
  const s = b.status ?? {};
  const parts = [`fit=${yn(s.fit)}`];
  if (Object.keys(b.monitors?.wan ?? {}).length > 0) parts.push(`wan=${yn(s.wan_ok)}`);
  if (b.watched?.ha_port) parts.push(`ha_port=${yn(s.ha_port_ok)}`);
  const failed = s.failed_checks ?? [];
  if (failed.length > 0) parts.push(`failing: ${failed.join(', ')}`);
  return parts.join(' ');
}

function peerLine(b: StatusBody): string {
  const peer = b.status?.peer;
  const advert = peer?.advert;
  if (!peer?.alive)
    return advert ? `silent (last seen ${advert.role ?? '?'} ${advert.state ?? '?'})` : 'silent';
  const v = advert?.version;
  const version = v ? `, tandem ${v.major}.${v.minor}.${v.patch}` : '';
  return `${advert?.role ?? '?'} ${advert?.state ?? '?'} (priority ${advert?.priority ?? '?'}${version})`;
}

function readinessLine(b: StatusBody): string {
  const r = b.readiness ?? b.status?.readiness ?? {};
  // Without a live peer there is no version to compare: "same_version=no" would be a false alarm.
  const sameVersion = b.status?.peer?.alive ? yn(r.same_version) : '?';
  return `${r.ready ? 'Ready' : 'Not ready'}: connected=${yn(r.connected)} keepalive=${yn(r.keepalive)} same_version=${sameVersion} active=${String(r.active ?? '?')}`;
}

function pathTable(b: StatusBody): string[] {
  const paths = Object.keys(b.peer_silence_ms ?? {});
  return table([
    ['PATH', 'PEER SILENCE', 'SENT', 'RECEIVED'],
    ...paths.map((p) => [
      p,
      b.peer_silence_ms?.[p] == null ? 'never' : `${b.peer_silence_ms[p]} ms`,
      String(b.counters?.sent?.[p] ?? 0),
      String(b.counters?.received?.[p] ?? 0),
    ]),
  ]);
}

function monitorRows(b: StatusBody): string[][] {
  const rows: string[][] = [];
  const add = (kind: string, verdicts: Record<string, boolean> | undefined, bad: string): void => {
    for (const [name, ok] of Object.entries(verdicts ?? {})) rows.push([name, kind, ok ? 'ok' : bad]);
  };
  add('wan probe', b.monitors?.wan, 'FAILING');
  add('link', b.monitors?.links, 'DOWN');
  add('check', b.monitors?.checks, 'FAILING');
  return rows;
}

function actionTable(b: StatusBody): string[] {
  const actions = b.actions ?? [];
  if (actions.length === 0) return [];
  return [
    '',
    ...table([
      ['ACTION', 'LAST', 'RESULT', 'TOOK'],
      ...actions.map((a) => [
        a.action,
        a.verb ?? '-',
        a.verb === null ? '-' : a.ok ? 'ok' : `failed ${a.error?.code ?? ''}`,
        a.duration_ms === undefined ? '-' : `${a.duration_ms} ms`,
      ]),
    ]),
  ];
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function yn(v: unknown): string {
  return v === true ? 'yes' : v === false ? 'no' : '?';
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}
