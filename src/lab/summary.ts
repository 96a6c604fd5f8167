// The end of a lab run: a table a person reads, and (with --json) one JSON object as the very last line.
export interface LabSummary {
  readonly cloud: string;
  readonly scenario: string;
  readonly interval_ms: number;
  /** ms figures and counts, by their JSON names. */
  readonly figures: Record<string, number>;
  events_by_type: Record<string, number>;
  /** The cloud API the rows name (`EC2`, `ARM`); null without one. */
  api_name: string | null;
  /** Each node's verdict in the controller's API test (ok, failed, offline, pending). */
  api_test: { primary: string | null; secondary: string | null } | null;
  steps_failed: number;
  failed_step: string | null;
}

/** `{api}` in a label is the cloud's API (EC2, ARM). */
const ROWS: readonly (readonly [string, string, 'ms' | 'n'])[] = [
  ['detection_ms', 'detection: failure → survivor active', 'ms'],
  ['routes_confirmed_ms', 'routes confirmed: failure → every route at the survivor ({api} read-back)', 'ms'],
  ['vip_moved_ms', "VIP moved: failure → the client's probe answered by the survivor", 'ms'],
  ['failback_ms', 'failback: recovery → traffic back at the primary', 'ms'],
  ['ready_again_ms', 'ready again: recovery → controller shows Ready', 'ms'],
  ['controller_claim_ms', "claim time in the controller's failover event (from the agent's report)", 'ms'],
  [
    'controller_confirmed_ms',
    "a long claim's confirmed phase in that event (the floating IP on the NIC)",
    'ms',
  ],
  ['settings_applied_ms', 'settings: change in the controller → applied by both agents', 'ms'],
  ['route_writes_during_split', 'route writes while split (must be 0: no flapping)', 'n'],
  ['api_errors', 'API throttles / 5xx absorbed by retries', 'n'],
  ['api_calls', 'API calls made ({api}, whole run)', 'n'],
  ['events', 'events recorded (controller)', 'n'],
  ['notifications', 'notifications sent (webhook)', 'n'],
];

export function summaryJson(s: LabSummary, traffic_figure: string): Record<string, unknown> {
  const f = s.figures;
  const get = (k: string): number | null => (k in f ? (f[k] as number) : null);
  return {
    cloud: s.cloud,
    scenario: s.scenario,
    interval_ms: s.interval_ms,
    detection_ms: get('detection_ms'),
    [traffic_figure]: get(traffic_figure),
    failback_ms: get('failback_ms'),
    ready_again_ms: get('ready_again_ms'),
    events: get('events') ?? 0,
    notifications: get('notifications') ?? 0,
    api_calls: get('api_calls'),
    ...Object.fromEntries(
      Object.entries(f).filter(([k]) => !['events', 'notifications', 'api_calls'].includes(k)),
    ),
    events_by_type: s.events_by_type,
    api_test: s.api_test,
    steps_failed: s.steps_failed,
    failed_step: s.failed_step,
  };
}

export function printSummary(
  s: LabSummary,
  traffic_figure: string,
  write: (text: string) => void,
  json: boolean,
): void {
  const rows = ROWS.filter(([k]) => k in s.figures).map(([k, label, unit]) => {
    const v = s.figures[k] as number;
    return [
      label.replace('{api}', s.api_name ?? 'API'),
      unit === 'ms' ? `${v.toLocaleString('en-US')} ms` : String(v),
    ] as const;
  });
  rows.push(['steps failed', String(s.steps_failed)] as const);
  const w0 = Math.max(...rows.map(([l]) => l.length));
  const w1 = Math.max(...rows.map(([, v]) => v.length));
  const rule = `${'─'.repeat(w0 + 2)}┼${'─'.repeat(w1 + 2)}`;
  const out = [
    '',
    `tandem lab: ${s.cloud} / ${s.scenario} (keepalive every ${s.interval_ms} ms)`,
    rule,
    ...rows.map(([l, v]) => ` ${l.padEnd(w0)} │ ${v.padStart(w1)}`),
    rule,
  ];
  const types = Object.entries(s.events_by_type);
  if (types.length > 0) out.push(`events: ${types.map(([t, n]) => `${t} ×${n}`).join(', ')}`);
  if (s.api_test !== null)
    out.push(
      `API test from the controller: primary ${s.api_test.primary}, secondary ${s.api_test.secondary}`,
    );
  if (s.failed_step !== null) out.push(`FAILED: ${s.failed_step}`);
  write(`${out.join('\n')}\n`);
  if (json) write(`${JSON.stringify(summaryJson(s, traffic_figure))}\n`);
}
