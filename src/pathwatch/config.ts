// Loads and checks a pathwatch YAML config. Every problem is reported at once, each as
// `<file>:<line>: <path>: <what was expected, got what>`; a bad config is refused, never patched.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { LineCounter, parseDocument } from 'yaml';
import { schemaIssues as specIssues } from '../actions/kit/spec-issues.js';
import { ConfigError, type ConfigIssue, withLines } from '../config/issues.js';
import { type Family, parseAddress, parseCidr } from '../net/address.js';
import { controllerUrlProblem } from '../net/http-post.js';
import { type LogFormat, type LogLevel, logFormatOf } from '../obs/log-format.js';
import {
  AllRuleSchema,
  AnyRuleSchema,
  AwsRouteSchema,
  AzureRouteSchema,
  DEFAULT_STATUS_LISTEN,
  FAILBACK_DEFAULTS,
  HttpTargetSchema,
  IcmpTargetSchema,
  LinuxRouteSchema,
  LossRuleSchema,
  type PathFile,
  type PathwatchConfigFile,
  PathwatchConfigSchema,
  PROBE_DEFAULTS,
  type RouteSpec,
  type TargetSpec,
  TcpTargetSchema,
} from './config-schema.js';
import type { Rule, WatchConfig } from './types.js';

export interface ProbePlan {
  /** Shown as the active path in logs: `direct-connect`, `vpn`. */
  readonly label: string;
  readonly targets: readonly TargetSpec[];
  readonly rule: Rule;
  readonly interval_ms: number;
  readonly count: number;
  readonly timeout_ms: number;
  readonly spacing_ms: number;
  readonly source: string | null;
}

export interface ControllerPlan {
  readonly url: string;
  readonly enrollment_token_file: string | null;
  readonly enrollment_token_env: string | null;
  readonly credential_file: string;
  readonly report_interval_ms: number;
  readonly ca_file: string | null;
  readonly allow_cleartext: boolean;
}

export interface PathwatchConfig {
  readonly file: string;
  readonly name: string;
  readonly primary: ProbePlan;
  readonly backup: ProbePlan | null;
  readonly watch: WatchConfig;
  /** Destinations in canonical form. */
  readonly routes: readonly RouteSpec[];
  readonly action_deadline_ms: number;
  readonly observe_interval_ms: number;
  readonly status: { readonly host: string; readonly port: number };
  /** Null: no reports. Paths are absolute; the token and the CA are read when reporting starts. */
  readonly controller: ControllerPlan | null;
  readonly log_level: LogLevel;
  readonly log_format: LogFormat;
}

/** Whether a YAML file is a pathwatch config (a primary path and routes) rather than an agent's. */
export function isPathwatchFile(file: string): boolean {
  try {
    const raw: unknown = parseDocument(readFileSync(file, 'utf8')).toJS();
    return typeof raw === 'object' && raw !== null && 'primary' in raw && 'routes' in raw && !('pair' in raw);
  } catch {
    return false;
  }
}

export function loadPathwatchConfig(file: string): PathwatchConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [
      { path: '(root)', message: `cannot read the file: ${(err as Error).message}` },
    ]);
  }
  return parsePathwatchConfig(file, text);
}

export function parsePathwatchConfig(file: string, text: string): PathwatchConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length > 0)
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        path: '(root)',
        line: lines.linePos(e.pos[0]).line,
        message: `YAML: ${e.message}`,
      })),
    );
  const raw: unknown = doc.toJS();
  const shape = refineUnions(schemaIssues(PathwatchConfigSchema, raw), raw);
  if (shape.length > 0) throw new ConfigError(file, withLines(shape, doc, lines));
  const cfg = raw as PathwatchConfigFile;
  const issues = [
    ...pathIssues('primary', cfg.primary),
    ...(cfg.backup ? pathIssues('backup', cfg.backup) : []),
    ...cfg.routes.flatMap((r, i) => routeIssues(`routes[${i}]`, r)),
    ...controllerIssues(file, cfg),
  ];
  const listen = parseListen(cfg.status?.listen ?? DEFAULT_STATUS_LISTEN);
  if (listen === null)
    issues.push({
      path: 'status.listen',
      message: `expected address:port (e.g. ${DEFAULT_STATUS_LISTEN}), got ${JSON.stringify(cfg.status?.listen)}`,
    });
  if (issues.length > 0 || listen === null) throw new ConfigError(file, withLines(issues, doc, lines));
  return resolve(file, cfg, listen);
}

function resolve(
  file: string,
  cfg: PathwatchConfigFile,
  listen: { host: string; port: number },
): PathwatchConfig {
  const primary = planOf(cfg.primary, 'primary');
  const backup = cfg.backup ? planOf(cfg.backup, 'backup') : null;
  return {
    file,
    name: cfg.name,
    primary,
    backup,
    watch: {
      primary_rule: primary.rule,
      backup_rule: backup?.rule ?? null,
      failover_rounds: cfg.failover_rounds ?? 1,
      failback_rounds: cfg.failback?.healthy_rounds ?? FAILBACK_DEFAULTS.healthy_rounds,
      min_backup_ms: cfg.failback?.min_backup_ms ?? FAILBACK_DEFAULTS.min_backup_ms,
    },
    routes: cfg.routes.map(canonicalRoute),
    action_deadline_ms: cfg.action_deadline_ms ?? 10_000,
    observe_interval_ms: cfg.observe_interval_ms ?? 30_000,
    status: listen,
    controller: controllerPlan(file, cfg),
    log_level: cfg.log_level ?? 'info',
    log_format: logFormatOf(cfg.log_format),
  };
}

function controllerPlan(file: string, cfg: PathwatchConfigFile): ControllerPlan | null {
  const c = cfg.controller;
  if (c === undefined) return null;
  const at = (p: string): string => resolvePath(dirname(file), p);
  return {
    url: c.url.replace(/\/+$/, ''),
    enrollment_token_file: c.enrollment_token_file === undefined ? null : at(c.enrollment_token_file),
    enrollment_token_env: c.enrollment_token_env ?? null,
    credential_file: at(c.credential_file ?? `${cfg.name}.controller-credential.json`),
    report_interval_ms: c.report_interval_ms ?? 10_000,
    ca_file: c.ca_file === undefined ? null : at(c.ca_file),
    allow_cleartext: c.allow_cleartext ?? false,
  };
}

/** As the agent's: a URL that keeps the credential off the wire in clear, one token source, files that exist. */
function controllerIssues(file: string, cfg: PathwatchConfigFile): ConfigIssue[] {
  const plan = controllerPlan(file, cfg);
  if (plan === null) return [];
  const out: ConfigIssue[] = [];
  const problem = controllerUrlProblem(plan.url, plan.allow_cleartext);
  if (problem !== null) out.push({ path: 'controller.url', message: problem });
  if (plan.enrollment_token_file !== null && plan.enrollment_token_env !== null)
    out.push({
      path: 'controller.enrollment_token_file',
      message: 'expected at most one of enrollment_token_file or enrollment_token_env',
    });
  if (
    plan.enrollment_token_file !== null &&
    !existsSync(plan.credential_file) &&
    !existsSync(plan.enrollment_token_file)
  )
    out.push({
      path: 'controller.enrollment_token_file',
      message: `expected a file holding the enrollment token, ${plan.enrollment_token_file} does not exist (and no credential is stored yet at ${plan.credential_file})`,
    });
  if (plan.ca_file !== null) {
    const pem = existsSync(plan.ca_file) ? readFileSync(plan.ca_file, 'utf8') : '';
    if (!pem.includes('-----BEGIN CERTIFICATE-----'))
      out.push({ path: 'controller.ca_file', message: `expected a PEM CA certificate in ${plan.ca_file}` });
  }
  return out;
}

function planOf(p: PathFile, fallback: string): ProbePlan {
  return {
    label: p.label ?? fallback,
    targets: p.targets.map((t) => (t.kind === 'http' ? t : { ...t, address: canonicalAddress(t.address) })),
    rule: p.rule ?? { kind: 'all' },
    interval_ms: p.interval_ms ?? PROBE_DEFAULTS.interval_ms,
    count: p.count ?? PROBE_DEFAULTS.count,
    timeout_ms: p.timeout_ms ?? PROBE_DEFAULTS.timeout_ms,
    spacing_ms: p.spacing_ms ?? PROBE_DEFAULTS.spacing_ms,
    source: p.source === undefined ? null : canonicalAddress(p.source),
  };
}

function canonicalAddress(text: string): string {
  const a = parseAddress(text);
  return a.ok ? a.value.text : text;
}

function canonicalRoute(r: RouteSpec): RouteSpec {
  const net = (t: string): string => {
    const c = parseCidr(t, { network: true });
    return c.ok ? c.value.text : t;
  };
  if (r.kind === 'linux-route') return { ...r, destination: net(r.destination) };
  return { ...r, destinations: r.destinations.map(net) };
}

/** Lists of several kinds: the member named by `kind` explains what is wrong, not "expected union value". */
const UNIONS: readonly { readonly at: RegExp; readonly members: Readonly<Record<string, TSchema>> }[] = [
  {
    at: /^routes\[\d+\]$/,
    members: {
      'aws-route-table': AwsRouteSchema,
      'azure-route-table': AzureRouteSchema,
      'linux-route': LinuxRouteSchema,
    },
  },
  {
    at: /^(primary|backup)\.targets\[\d+\]$/,
    members: { icmp: IcmpTargetSchema, tcp: TcpTargetSchema, http: HttpTargetSchema },
  },
  {
    at: /^(primary|backup)\.rule$/,
    members: { all: AllRuleSchema, any: AnyRuleSchema, loss: LossRuleSchema },
  },
];

function refineUnions(issues: readonly ConfigIssue[], raw: unknown): ConfigIssue[] {
  return issues.flatMap((issue) => {
    const union = UNIONS.find((u) => u.at.test(issue.path));
    if (union === undefined) return [issue];
    const value = valueAt(raw, issue.path);
    const kind = (value as { kind?: unknown } | null)?.kind;
    const member = typeof kind === 'string' ? union.members[kind] : undefined;
    if (member === undefined) {
      const kinds = Object.keys(union.members).map((k) => JSON.stringify(k));
      return [
        {
          path: `${issue.path}.kind`,
          message: `expected one of ${kinds.join(', ')}, got ${JSON.stringify(kind)}`,
        },
      ];
    }
    return schemaIssues(member, value).map((i) => ({
      ...i,
      path: i.path === '(root)' ? issue.path : `${issue.path}.${i.path}`,
    }));
  });
}

function valueAt(raw: unknown, path: string): unknown {
  let v = raw;
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    const key = m[2] !== undefined ? Number(m[2]) : m[1]!;
    v = (v as Record<string | number, unknown> | null)?.[key];
  }
  return v;
}

const DOCS = 'docs/guide-pathwatch.md';

function schemaIssues(schema: TSchema, value: unknown): ConfigIssue[] {
  return specIssues(schema, value, DOCS);
}

function pathIssues(at: string, p: PathFile): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const interval = p.interval_ms ?? PROBE_DEFAULTS.interval_ms;
  const timeout = p.timeout_ms ?? PROBE_DEFAULTS.timeout_ms;
  const spacing = p.spacing_ms ?? PROBE_DEFAULTS.spacing_ms;
  const count = p.count ?? PROBE_DEFAULTS.count;
  // A round must end before the next starts, or the rounds would drift and the hysteresis count with them.
  const round_ms = timeout + spacing * (count - 1);
  if (round_ms > interval)
    out.push({
      path: `${at}.interval_ms`,
      message: `expected at least timeout_ms + spacing_ms × (count − 1) = ${round_ms}, got ${interval}`,
    });
  let family: Family | null = null;
  if (p.source !== undefined) {
    const s = parseAddress(p.source);
    if (!s.ok) out.push({ path: `${at}.source`, message: s.expected });
    else family = s.value.family;
  }
  p.targets.forEach((t, i) => {
    const path = `${at}.targets[${i}]`;
    if (t.kind === 'http') {
      if (p.source !== undefined)
        out.push({
          path,
          message: 'expected icmp or tcp targets only when source is set (http cannot bind it)',
        });
      if (!URL.canParse(t.url))
        out.push({ path: `${path}.url`, message: `expected a URL, got ${JSON.stringify(t.url)}` });
      return;
    }
    const a = parseAddress(t.address);
    if (!a.ok) out.push({ path: `${path}.address`, message: a.expected });
    else if (family !== null && a.value.family !== family)
      out.push({
        path: `${path}.address`,
        message: `expected an IPv${family} address like source, got ${JSON.stringify(t.address)}`,
      });
  });
  return out;
}

function routeIssues(at: string, r: RouteSpec): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const cidr = (path: string, text: string, family?: 4): void => {
    const c = parseCidr(text, { network: true, ...(family ? { family } : {}) });
    if (!c.ok) out.push({ path, message: c.expected });
  };
  if (r.kind === 'azure-route-table') {
    // Azure's VirtualAppliance next hop and the simulator's route prefixes are IPv4.
    r.destinations.forEach((d, i) => {
      cidr(`${at}.destinations[${i}]`, d, 4);
    });
    const hop = parseAddress(r.next_hop, 4);
    if (!hop.ok) out.push({ path: `${at}.next_hop`, message: hop.expected });
    return out;
  }
  if (r.kind === 'aws-route-table') {
    r.destinations.forEach((d, i) => {
      cidr(`${at}.destinations[${i}]`, d);
    });
    return out;
  }
  cidr(`${at}.destination`, r.destination);
  if (r.via !== undefined) {
    const v = parseAddress(r.via);
    if (!v.ok) out.push({ path: `${at}.via`, message: v.expected });
  }
  if (r.via === undefined && r.dev === undefined)
    out.push({ path: at, message: 'expected a next hop: set via (an address), dev (an interface) or both' });
  return out;
}

function parseListen(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port > 65535 || (host !== 'localhost' && !parseAddress(host).ok)) return null;
  return { host, port };
}
