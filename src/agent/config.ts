// Loads and checks the agent's YAML config. Every problem is reported at once, each as
// `<file>: <path>: <what was expected, got what>`; a bad config is refused, never patched with a default.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { LineCounter, parseDocument } from 'yaml';
import type { ManagedPart } from '../actions/kit/registry.js';
import { schemaIssues } from '../actions/kit/spec-issues.js';
import { ConfigError, type ConfigIssue, withLines } from '../config/issues.js';
import { contains, parseAddress, parseCidr, sameAddress } from '../net/address.js';
import { controllerUrlProblem } from '../net/http-post.js';
import { type LogFormat, type LogLevel, logFormatOf } from '../obs/log-format.js';
import { parsePairKey } from '../wire/index.js';
import {
  type AgentConfigFile,
  AgentConfigSchema,
  DEFAULT_PORT,
  DEFAULT_STATUS_LISTEN,
  type NotifyFile,
  type PathFile,
  PathSchema,
  type PluginSpec,
  timerIssues,
} from './config-schema.js';
import { Secret } from './secret.js';
import { lookupUser } from './users.js';

// Shared with every YAML config; re-exported for the agent's importers.
export { schemaIssues } from '../actions/kit/spec-issues.js';
export { ConfigError, type ConfigIssue };

export interface PathConfig {
  readonly name: string;
  readonly local_address: string;
  readonly peer_address: string;
  readonly port: number;
  readonly multicast_group: string | null;
  readonly family: 'ipv4' | 'ipv6';
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface AgentConfig {
  readonly file: string;
  readonly pair: string;
  readonly node: string;
  readonly role: 'primary' | 'secondary';
  readonly priority: number;
  readonly pair_key: Secret;
  /** Where the key came from, for `--check` output: `file <path>` or `env <NAME>`. */
  readonly pair_key_source: string;
  /** During a key rotation: accepted beside pair_key, never used to sign. */
  readonly pair_key_next: Secret | null;
  readonly paths: readonly PathConfig[];
  readonly interval_ms: number;
  readonly dead_multiplier: number;
  readonly keepalive_copies: number;
  readonly keepalive_spacing_ms: number;
  readonly preempt: boolean;
  readonly preempt_delay_ms: number;
  readonly ha_link: 'direct' | 'switch';
  readonly ha_port_monitor: string | null;
  readonly wan_loss_relinquish_ms: number;
  readonly max_clock_skew_ms: number;
  readonly action_deadline_ms: number;
  readonly nice: number;
  readonly realtime_priority: number;
  readonly monitors: readonly PluginSpec[];
  readonly actions: readonly PluginSpec[];
  readonly status: { readonly listen: ListenAddress; readonly admin_token_file: string | null };
  readonly controller_url: string | null;
  /** Present when controller_url is set. */
  readonly controller: {
    readonly url: string;
    readonly enrollment_token: Secret | null;
    readonly credential_file: string;
    readonly report_interval_ms: number;
    /** The PEM text of controller_ca_file, read at load. */
    readonly ca: string | null;
    readonly allow_cleartext: boolean;
  } | null;
  /** The parts of this config the controller manages (empty: none). */
  readonly managed: readonly ManagedPart[];
  readonly log_level: LogLevel;
  readonly log_format: LogFormat;
  /** Commands run on each state change; null when none are configured. */
  readonly notify: NotifySettings | null;
}

export interface NotifySettings {
  readonly commands: readonly string[];
  readonly states: readonly string[] | null;
  readonly timeout_ms: number;
  /** As named in the config, for logs; uid/gid is what the commands run as. */
  readonly user: string | null;
  readonly uid: number | null;
  readonly gid: number | null;
}

/** What an entry's check may need from the rest of the config (its own addresses, the other entries). */
export interface PluginContext {
  readonly local_addresses: readonly string[];
  readonly siblings: readonly PluginSpec[];
}

/** A monitor or action registry checks its own part; it returns issues with paths relative to the item. */
export type PluginValidator = (spec: PluginSpec, context: PluginContext) => readonly ConfigIssue[];

export interface LoadOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly validateMonitor?: PluginValidator;
  readonly validateAction?: PluginValidator;
}

export function loadConfig(file: string, options: LoadOptions = {}): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '(root)', message: `cannot read the file: ${errorText(err)}` }]);
  }
  return parseConfig(file, text, options);
}

export function parseConfig(file: string, text: string, options: LoadOptions = {}): AgentConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length > 0)
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        path: `line ${lines.linePos(e.pos[0]).line}`,
        message: `YAML: ${e.message}`,
      })),
    );
  const raw: unknown = doc.toJS();
  const at = (issues: readonly ConfigIssue[]): ConfigIssue[] => withLines(issues, doc, lines);
  const shape = schemaIssues(AgentConfigSchema, raw);
  const local_addresses = localAddressesOf(raw);
  const plugins = [
    ...pluginIssues('monitors', pluginsOf(raw, 'monitors'), local_addresses, options.validateMonitor),
    ...pluginIssues('actions', pluginsOf(raw, 'actions'), local_addresses, options.validateAction),
  ];
  // Shape errors first, but with every other problem that can still be judged: all problems in one go.
  if (shape.length > 0) {
    const more = [...plugins, ...pathIssues(wellFormedPaths(raw))];
    throw new ConfigError(file, at([...shape, ...more.filter((p) => !shape.some((s) => s.path === p.path))]));
  }
  const cfg = raw as AgentConfigFile;
  const issues: ConfigIssue[] = [
    ...pathIssues(cfg.paths),
    ...plugins,
    ...miscIssues(cfg),
    ...notifyIssues(cfg.notify),
    ...fileIssues(file, cfg),
  ];
  const env = options.env ?? process.env;
  const key = readKey(file, cfg, env, issues);
  const next = readNextKey(file, cfg, env, issues);
  const listen = parseListen(cfg.status?.listen ?? DEFAULT_STATUS_LISTEN);
  if (listen === null)
    issues.push({
      path: 'status.listen',
      message: `expected host:port (e.g. ${DEFAULT_STATUS_LISTEN}), got ${JSON.stringify(cfg.status?.listen)}`,
    });
  if (issues.length > 0 || key === null || listen === null || next === undefined)
    throw new ConfigError(file, at(issues));
  return resolveConfig(file, cfg, { ...key, next }, listen, env);
}

function resolveConfig(
  file: string,
  cfg: AgentConfigFile,
  key: { secret: Secret; source: string; next: Secret | null },
  listen: ListenAddress,
  env: NodeJS.ProcessEnv,
): AgentConfig {
  const interval_ms = cfg.interval_ms ?? 1000;
  return {
    file,
    pair: cfg.pair,
    node: cfg.node,
    role: cfg.role,
    priority: cfg.priority ?? (cfg.role === 'primary' ? 200 : 100),
    pair_key: key.secret,
    pair_key_source: key.source,
    pair_key_next: key.next,
    paths: cfg.paths.map((p) => ({
      name: p.name,
      local_address: p.local_address,
      peer_address: p.peer_address,
      port: p.port ?? DEFAULT_PORT,
      multicast_group: p.multicast_group ?? null,
      family: p.local_address.includes(':') ? 'ipv6' : 'ipv4',
    })),
    interval_ms,
    dead_multiplier: cfg.dead_multiplier ?? 3,
    keepalive_copies: cfg.keepalive_copies ?? 2,
    // A few ms apart: past a very short burst. The peer's dead timer counts from a round's first copy
    // (transport.ts isLaterCopy), so the spacing never delays detection.
    keepalive_spacing_ms: Math.max(1, Math.min(Math.floor(interval_ms / 20), 5)),
    preempt: cfg.preempt ?? true,
    preempt_delay_ms: cfg.preempt_delay_ms ?? 0,
    ha_link: cfg.ha_link ?? 'direct',
    ha_port_monitor: cfg.ha_port_monitor ?? null,
    wan_loss_relinquish_ms: cfg.wan_loss_relinquish_ms ?? 10_000,
    // On by default: with 0 a recording of any earlier boot of the peer would be accepted after our restart.
    max_clock_skew_ms: cfg.max_clock_skew_ms ?? 60_000,
    action_deadline_ms: cfg.action_deadline_ms ?? 30_000,
    // Like corosync's real-time default: a busy host must not delay keepalives into a false failover.
    nice: cfg.nice ?? -10,
    realtime_priority: cfg.realtime_priority ?? 10,
    monitors: cfg.monitors ?? [],
    actions: cfg.actions ?? [],
    status: {
      listen,
      admin_token_file: cfg.status?.admin_token_file
        ? resolve(dirname(file), cfg.status.admin_token_file)
        : null,
    },
    controller_url: cfg.controller_url ?? null,
    controller: controllerOf(file, cfg, env),
    managed: cfg.managed ?? [],
    log_level: cfg.log_level ?? 'info',
    log_format: logFormatOf(cfg.log_format),
    notify: notifyOf(cfg.notify),
  };
}

function pathIssues(paths: readonly (PathFile | null)[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const names = new Set<string>();
  const binds = new Set<string>();
  paths.forEach((p, i) => {
    if (p === null) return;
    const at = `paths[${i}]`;
    if (names.has(p.name))
      out.push({ path: `${at}.name`, message: `expected a unique path name, got a second "${p.name}"` });
    names.add(p.name);
    const local = addressIssue(`${at}.local_address`, p.local_address, out);
    const peer = addressIssue(`${at}.peer_address`, p.peer_address, out);
    if (local && peer && local !== peer)
      out.push({
        path: `${at}.peer_address`,
        message: `expected an ${local} address like local_address, got ${peer}`,
      });
    else if (local && peer && isSame(p.local_address, p.peer_address))
      out.push({
        path: `${at}.peer_address`,
        message: `expected the peer's address, got this node's own local_address ${p.local_address}`,
      });
    const bind = `${p.local_address}:${p.port ?? DEFAULT_PORT}`;
    if (binds.has(bind))
      out.push({
        path: `${at}.local_address`,
        message: `expected a distinct local address:port, ${bind} is used twice`,
      });
    binds.add(bind);
    if (p.multicast_group !== undefined)
      multicastIssue(`${at}.multicast_group`, p.multicast_group, local, out);
  });
  return out;
}

function isSame(a: string, b: string): boolean {
  const x = parseAddress(a);
  const y = parseAddress(b);
  return x.ok && y.ok && sameAddress(x.value, y.value);
}

/** The paths[] entries whose shape is right, so their values are checked even when another key is wrong. */
function wellFormedPaths(raw: unknown): (PathFile | null)[] {
  const paths = (raw as { paths?: unknown } | null)?.paths;
  if (!Array.isArray(paths)) return [];
  return paths.map((p: unknown) => (Value.Check(PathSchema, p) ? p : null));
}

function localAddressesOf(raw: unknown): string[] {
  const paths = (raw as { paths?: unknown } | null)?.paths;
  if (!Array.isArray(paths)) return [];
  return paths
    .map((p: unknown) => (p as { local_address?: unknown } | null)?.local_address)
    .filter((a): a is string => typeof a === 'string');
}

function addressIssue(path: string, text: string, out: ConfigIssue[]): 'ipv4' | 'ipv6' | null {
  const parsed = parseAddress(text);
  if (!parsed.ok) {
    out.push({ path, message: parsed.expected });
    return null;
  }
  return parsed.value.family === 4 ? 'ipv4' : 'ipv6';
}

const MULTICAST = [parseCidr('224.0.0.0/4'), parseCidr('ff00::/8')].map((c) => {
  if (!c.ok) throw new Error(c.expected);
  return c.value;
});

function multicastIssue(path: string, text: string, family: string | null, out: ConfigIssue[]): void {
  const parsed = parseAddress(text);
  if (!parsed.ok || !MULTICAST.some((block) => contains(block, parsed.value))) {
    out.push({
      path,
      message: `expected a multicast group address (e.g. 239.255.20.48), got ${JSON.stringify(text)}`,
    });
    return;
  }
  if (family !== null && (parsed.value.family === 4 ? 'ipv4' : 'ipv6') !== family)
    out.push({
      path,
      message: `expected an ${family} group like local_address, got ${JSON.stringify(text)}`,
    });
}

/** The entries of a monitors / actions list that have at least a string `kind` (the rest are shape errors). */
function pluginsOf(raw: unknown, section: 'monitors' | 'actions'): readonly (PluginSpec | null)[] {
  const list = (raw as Record<string, unknown> | null)?.[section];
  if (!Array.isArray(list)) return [];
  return list.map((item: unknown) =>
    typeof item === 'object' && item !== null && typeof (item as { kind?: unknown }).kind === 'string'
      ? (item as PluginSpec)
      : null,
  );
}

function pluginIssues(
  section: string,
  specs: readonly (PluginSpec | null)[],
  local_addresses: readonly string[],
  validate?: PluginValidator,
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const names = new Set<string>();
  const context: PluginContext = {
    local_addresses,
    siblings: specs.filter((s): s is PluginSpec => s !== null),
  };
  specs.forEach((spec, i) => {
    if (spec === null) return;
    const name = spec.name ?? `${spec.kind}-${i}`;
    if (names.has(name))
      out.push({ path: `${section}[${i}].name`, message: `expected a unique name, got a second "${name}"` });
    names.add(name);
    for (const issue of validate?.(spec, context) ?? [])
      out.push({
        path: `${section}[${i}]${issue.path === '(root)' ? '' : `.${issue.path}`}`,
        message: issue.message,
      });
  });
  return out;
}

function notifyOf(n: NotifyFile | undefined): NotifySettings | null {
  if (n === undefined) return null;
  const user = n.user === undefined ? null : lookupUser(n.user);
  return {
    commands: n.commands,
    states: n.states ?? null,
    timeout_ms: n.timeout_ms ?? 10_000,
    user: n.user ?? null,
    uid: user?.uid ?? null,
    gid: user?.gid ?? null,
  };
}

/** Files the agent will need: checked now, not when the controller or an operator first needs them. */
function fileIssues(file: string, cfg: AgentConfigFile): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const dir = dirname(file);
  const credential = resolve(dir, cfg.controller_credential_file ?? `${cfg.node}.controller-credential.json`);
  if (cfg.controller_enrollment_token_file !== undefined && !existsSync(credential)) {
    const token = resolve(dir, cfg.controller_enrollment_token_file);
    if (!existsSync(token))
      out.push({
        path: 'controller_enrollment_token_file',
        message: `expected a file holding the enrollment token, ${token} does not exist (and no credential is stored yet at ${credential})`,
      });
  }
  // The agent writes the credential and the managed settings copy beside it: under the systemd unit only
  // /var/lib/tandem is writable, and this check runs there too (ExecStartPre), before a start that would fail.
  if (cfg.controller_url !== undefined && existsSync(dirname(credential)) && !writable(dirname(credential)))
    out.push({
      path: cfg.controller_credential_file === undefined ? 'controller_url' : 'controller_credential_file',
      message: `expected the credential's directory to be writable (it and the settings copy are written there; under the systemd unit use /var/lib/tandem), ${dirname(credential)} is not`,
    });
  if (cfg.status?.admin_token_file !== undefined) {
    const token = resolve(dir, cfg.status.admin_token_file);
    const tokenDir = dirname(token);
    if (!existsSync(tokenDir))
      out.push({
        path: 'status.admin_token_file',
        message: `expected a file in an existing directory (it is created there if missing), ${tokenDir} does not exist`,
      });
    else if (!existsSync(token) && !writable(tokenDir))
      out.push({
        path: 'status.admin_token_file',
        message: `expected a writable directory (the token is created there if missing; under the systemd unit use /var/lib/tandem), ${tokenDir} is not`,
      });
  }
  return out;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function notifyIssues(n: NotifyFile | undefined): ConfigIssue[] {
  if (n?.user === undefined || lookupUser(n.user) !== null) return [];
  return [
    {
      path: 'notify.user',
      message: `expected a user of this host (a name in /etc/passwd, or uid[:gid]), got ${JSON.stringify(n.user)}`,
    },
  ];
}

function controllerOf(file: string, cfg: AgentConfigFile, env: NodeJS.ProcessEnv): AgentConfig['controller'] {
  if (cfg.controller_url === undefined) return null;
  const dir = dirname(file);
  let token: string | undefined;
  if (cfg.controller_enrollment_token_file !== undefined) {
    const path = resolve(dir, cfg.controller_enrollment_token_file);
    token = existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
  } else if (cfg.controller_enrollment_token_env !== undefined) {
    token = env[cfg.controller_enrollment_token_env]?.trim();
  }
  return {
    url: cfg.controller_url.replace(/\/+$/, ''),
    enrollment_token: token ? new Secret(new TextEncoder().encode(token)) : null,
    credential_file: resolve(dir, cfg.controller_credential_file ?? `${cfg.node}.controller-credential.json`),
    report_interval_ms: cfg.controller_report_interval_ms ?? 10_000,
    ca: cfg.controller_ca_file === undefined ? null : readCa(file, resolve(dir, cfg.controller_ca_file)),
    allow_cleartext: cfg.controller_allow_cleartext ?? false,
  };
}

function readCa(file: string, path: string): string {
  const pem = existsSync(path) ? readFileSync(path, 'utf8') : '';
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new ConfigError(file, [
      { path: 'controller_ca_file', message: `expected a PEM CA certificate in ${path}` },
    ]);
  return pem;
}

function miscIssues(cfg: AgentConfigFile): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const links = (cfg.monitors ?? []).filter((m) => m.kind === 'link').map((m) => m.name);
  if (cfg.ha_port_monitor !== undefined && !links.includes(cfg.ha_port_monitor))
    out.push({
      path: 'ha_port_monitor',
      message: `expected the name of a link monitor (${links.map((n) => JSON.stringify(n)).join(', ') || 'none configured'}), got ${JSON.stringify(cfg.ha_port_monitor)}`,
    });
  // Without a watched HA port, switch mode could never tell a local fault from a dead peer.
  if (cfg.ha_link === 'switch' && cfg.ha_port_monitor === undefined)
    out.push({
      path: 'ha_port_monitor',
      message: 'expected a link monitor name: ha_link switch gates takeover on it',
    });
  if (cfg.controller_enrollment_token_file !== undefined && cfg.controller_enrollment_token_env !== undefined)
    out.push({
      path: 'controller_enrollment_token_file',
      message: 'expected at most one of controller_enrollment_token_file or controller_enrollment_token_env',
    });
  const controllerKeys = [
    'controller_enrollment_token_file',
    'controller_enrollment_token_env',
    'controller_credential_file',
    'controller_report_interval_ms',
    'managed',
    'controller_ca_file',
    'controller_allow_cleartext',
  ] as const;
  for (const key of controllerKeys)
    if (cfg[key] !== undefined && cfg.controller_url === undefined)
      out.push({ path: key, message: 'expected controller_url to be set as well' });
  const urlProblem =
    cfg.controller_url === undefined
      ? null
      : !/^https?:\/\/[^\s/]+/.test(cfg.controller_url)
        ? `expected an http(s) URL, got ${JSON.stringify(cfg.controller_url)}`
        : controllerUrlProblem(cfg.controller_url, cfg.controller_allow_cleartext ?? false);
  if (urlProblem !== null) out.push({ path: 'controller_url', message: urlProblem });
  out.push(...timerIssues(cfg));
  return out;
}

function readKey(
  file: string,
  cfg: AgentConfigFile,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
): { secret: Secret; source: string } | null {
  if ((cfg.pair_key_file === undefined) === (cfg.pair_key_env === undefined)) {
    issues.push({ path: 'pair_key_file', message: 'expected exactly one of pair_key_file or pair_key_env' });
    return null;
  }
  return keyFrom(file, 'pair_key', cfg.pair_key_file, cfg.pair_key_env, env, issues);
}

/** The rotation key: null when none is set, undefined when it is set but unusable (an issue was added). */
function readNextKey(
  file: string,
  cfg: AgentConfigFile,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
): Secret | null | undefined {
  const { pair_key_next_file: keyFile, pair_key_next_env: keyEnv } = cfg;
  if (keyFile === undefined && keyEnv === undefined) return null;
  if (keyFile !== undefined && keyEnv !== undefined) {
    issues.push({
      path: 'pair_key_next_file',
      message: 'expected at most one of pair_key_next_file or pair_key_next_env',
    });
    return undefined;
  }
  return keyFrom(file, 'pair_key_next', keyFile, keyEnv, env, issues)?.secret;
}

function keyFrom(
  file: string,
  prefix: string,
  keyFile: string | undefined,
  keyEnv: string | undefined,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
): { secret: Secret; source: string } | null {
  let text: string | undefined;
  let path: string;
  let source: string;
  if (keyFile !== undefined) {
    path = `${prefix}_file`;
    const resolved = resolve(dirname(file), keyFile);
    source = `file ${resolved}`;
    try {
      text = readFileSync(resolved, 'utf8');
    } catch (err) {
      issues.push({ path, message: `expected a readable key file, got ${errorText(err)}` });
      return null;
    }
  } else {
    path = `${prefix}_env`;
    source = `env ${keyEnv}`;
    text = env[keyEnv as string];
    if (text === undefined || text.trim() === '') {
      issues.push({
        path,
        message: `expected the environment variable ${keyEnv} to hold the key, it is unset`,
      });
      return null;
    }
  }
  try {
    return { secret: new Secret(parsePairKey(text)), source };
  } catch (err) {
    // The wire's message describes the key's shape, never its value.
    issues.push({ path, message: errorText(err) });
    return null;
  }
}

function parseListen(text: string): ListenAddress | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 0 || port > 65535) return null;
  return { host: m[1] ?? m[2]!, port };
}

function errorText(err: unknown): string {
  if (err instanceof Error)
    return 'code' in err && typeof err.code === 'string' ? `${err.code}: ${err.message}` : err.message;
  return String(err);
}

/** For `--check` and the start-up log: everything but the key. */
export function redactedConfig(cfg: AgentConfig): Record<string, unknown> {
  return {
    ...cfg,
    pair_key: `[redacted, ${cfg.pair_key.length} bytes from ${cfg.pair_key_source}]`,
    pair_key_next: cfg.pair_key_next === null ? null : `[redacted, ${cfg.pair_key_next.length} bytes]`,
  };
}
