// Managed settings: the parts of a node's config its controller owns, laid over the local YAML and
// validated by exactly the same code as a local config (parseConfig with the drivers' validators).
// The last good copy is kept on disk, so a node whose controller is down runs on it, across restarts.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { type ManagedPart, registryOf } from '../actions/kit/registry.js';
import { REGISTRIES } from '../actions/registries.js';
import { type AgentConfig, ConfigError, type ConfigIssue, type LoadOptions, parseConfig } from './config.js';
import { TUNABLE_KEYS } from './config-schema.js';

/**
 * What GET /api/v1/nodes/:id/config returns under `managed`: the site's flags and ranges, one object of
 * settings per mechanism (`aws`, `azure`, `network`: the routed ranges and this node's own gateway), read
 * through each registry's `managed` declaration, and the site's `tunables` (top-level timers).
 */
export interface ManagedSettings {
  readonly ha_enabled: boolean;
  readonly routed: readonly string[];
  readonly [settings_key: string]: unknown;
}

/** The file next to the credential: the version in force, its settings, a refusal, an unassignment. */
export interface SettingsCopy {
  readonly version: number | null;
  readonly managed: ManagedSettings | null;
  readonly refused: { readonly version: number; readonly issues: readonly ConfigIssue[] } | null;
  /** The controller removed this node: it stays disabled, also after a restart. */
  readonly unassigned: boolean;
}

export const EMPTY_COPY: SettingsCopy = { version: null, managed: null, refused: null, unassigned: false };

export function settingsCopyPath(credential_file: string): string {
  return credential_file.replace(/(\.json)?$/, '.managed.json');
}

export function loadCopy(path: string): SettingsCopy {
  if (!existsSync(path)) return EMPTY_COPY;
  try {
    return { ...EMPTY_COPY, ...(JSON.parse(readFileSync(path, 'utf8')) as Partial<SettingsCopy>) };
  } catch {
    // A torn or hand-edited file is no settings at all: the local YAML is the safe fallback.
    return EMPTY_COPY;
  }
}

/** Written whole and renamed into place: a crash never leaves half a copy. */
export function saveCopy(path: string, copy: SettingsCopy): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(copy, null, 2), { mode: 0o600 });
  renameSync(tmp, path);
}

/** The configuration with the managed parts laid over it, and the text that was validated. */
export interface Effective {
  readonly config: AgentConfig;
  /** SHA-256 of the validated text: what the node reports as the config in force. */
  readonly digest: string;
}

/**
 * Lays `managed` over the local YAML text and validates the result as a local config. Throws
 * ConfigError naming the controller's settings version and the path of every refused value.
 */
export function effectiveConfig(
  file: string,
  localText: string,
  managed: ManagedSettings | null,
  version: number | null,
  options: LoadOptions,
): Effective {
  const local = parseConfig(file, localText, options);
  if (managed === null || local.managed.length === 0) return { config: local, digest: digestOf(localText) };
  const raw = parseDocument(localText).toJS() as Record<string, unknown>;
  const laid = overlay(raw, managed, local.managed);
  const text = stringify(laid);
  const label = `${file} with the controller's settings v${version ?? '?'}`;
  return { config: { ...parseConfig(label, text, options), file }, digest: digestOf(text) };
}

function overlay(
  raw: Record<string, unknown>,
  managed: ManagedSettings,
  parts: readonly ManagedPart[],
): Record<string, unknown> {
  const laid: Record<string, unknown> = {
    ...raw,
    ...(parts.includes('tunables') ? tunablesOf(managed) : {}),
  };
  if (!Array.isArray(raw.actions)) return laid;
  return { ...laid, actions: (raw.actions as unknown[]).map((a) => overlayAction(a, managed, parts)) };
}

/** The timers the site sets; a key it leaves unset (absent or null) keeps the YAML's value. */
function tunablesOf(managed: ManagedSettings): Record<string, unknown> {
  const t = managed.tunables;
  if (!isRecord(t)) return {};
  return Object.fromEntries(
    TUNABLE_KEYS.filter((k) => t[k] !== undefined && t[k] !== null).map((k) => [k, t[k]]),
  );
}

/** One actions[] entry with the fields its mechanism declares managed taken from the controller's settings. */
function overlayAction(action: unknown, managed: ManagedSettings, parts: readonly ManagedPart[]): unknown {
  if (!isRecord(action) || typeof action.kind !== 'string') return action;
  const fields = registryOf(REGISTRIES, action.kind)?.managed;
  if (fields === undefined || !parts.includes(fields.part)) return action;
  const settings = managed[fields.settings_key];
  const keys = fields.kinds[action.kind];
  const selects = fields.selects?.[action.kind];
  if (keys === undefined || !isRecord(settings)) return action;
  // Only the entries written the managed way are the controller's (a route with `destinations`).
  if (selects !== undefined && action[selects] === undefined) return action;
  const laid: Record<string, unknown> = { ...action };
  for (const [key, from] of Object.entries(keys))
    if (settings[from] !== undefined) laid[key] = settings[from];
  return laid;
}

function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The issues of a refused copy, in the report's shape. */
export function issuesOf(err: unknown): ConfigIssue[] {
  if (err instanceof ConfigError) return err.issues.slice(0, 32).map((i) => ({ ...i }));
  return [{ path: '(root)', message: err instanceof Error ? err.message : String(err) }];
}
