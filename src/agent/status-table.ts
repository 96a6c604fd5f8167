// Renders GET /status as the table `tandem status` prints. Reads defensively: an older agent may lack fields.

interface StatusBody {
  pair?: string;
  node?: string;
  version?: string;
  status?: {
    state?: string;
    role?: string;
    fit?: boolean;
    wan_ok?: boolean;
    ha_port_ok?: boolean;
    relinquishing?: boolean;
    split_brain?: boolean;
    preempt_at_ms?: number | null;
    peer?: { alive?: boolean; advert?: { state?: string; role?: string; priority?: number } | null };
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

function authRow(a: StatusBody['peer_auth_failures']): string[][] {
  if (a === undefined || !a.count) return [];
  const ago = a.last_ms_ago == null ? '' : `, last ${Math.round(a.last_ms_ago / 1000)} s ago`;
  return [['auth failures', `${a.count} keepalives from the peer's address failed authentication${ago}`]];
}

export function formatStatus(raw: unknown): string {
  const b = (raw ?? {}) as StatusBody;
  const s = b.status ?? {};
  const peer = s.peer?.advert;
  const readiness = b.readiness ?? s.readiness ?? {};
  const lines = table([
    ['pair', b.pair ?? '?'],
    ['node', `${b.node ?? '?'} (${s.role ?? '?'}), tandem ${b.version ?? '?'}`],
    [
      'state',
      `${s.state ?? '?'}${s.relinquishing ? ', relinquishing' : ''}${s.split_brain ? ', SPLIT BRAIN' : ''}`,
    ],
    ['health', `fit=${yn(s.fit)} wan=${yn(s.wan_ok)} ha_port=${yn(s.ha_port_ok)}`],
    [
      'peer',
      s.peer?.alive
        ? `${peer?.role ?? '?'} ${peer?.state ?? '?'} (priority ${peer?.priority ?? '?'})`
        : 'silent',
    ],
    [
      'readiness',
      `${readiness.ready ? 'Ready' : 'Not ready'}: connected=${yn(readiness.connected)} keepalive=${yn(readiness.keepalive)} same_version=${yn(readiness.same_version)} active=${String(readiness.active ?? '?')}`,
    ],
    ['transitions', String(b.counters?.transitions ?? 0)],
    ...(b.readiness_reasons ?? []).map((r) => ['not ready', r]),
    ...authRow(b.peer_auth_failures),
  ]);
  const paths = Object.keys(b.peer_silence_ms ?? {});
  lines.push(
    '',
    ...table([
      ['PATH', 'PEER SILENCE', 'SENT', 'RECEIVED'],
      ...paths.map((p) => [
        p,
        b.peer_silence_ms?.[p] == null ? 'never' : `${b.peer_silence_ms[p]} ms`,
        String(b.counters?.sent?.[p] ?? 0),
        String(b.counters?.received?.[p] ?? 0),
      ]),
    ]),
  );
  const rejected = Object.entries(b.counters?.rejected ?? {});
  if (rejected.length > 0) lines.push('', `rejected: ${rejected.map(([r, n]) => `${r}=${n}`).join(' ')}`);
  const actions = b.actions ?? [];
  if (actions.length > 0)
    lines.push(
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
    );
  return lines.join('\n');
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
