// Turns converted units into files: the pair key (new, 0600, never printed), the YAML with a header that
// says where it came from and what was not mapped, and the agent's own checker run over the result.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../../agent/config.js';
import { DEFAULT_PORT } from '../../agent/config-schema.js';
import { agentValidators } from '../../agent/plugins.js';
import { ConfigError } from '../../config/issues.js';
import { parsePairKey } from '../../wire/index.js';
import type { Converted, Finding, Problem } from './convert.js';
import type { Where } from './syntax.js';

/** What the import could not do; nothing it created is left behind. */
export class ImportError extends Error {
  constructor(
    readonly code:
      | 'IMPORT_REFUSED'
      | 'IMPORT_SEVERAL_UNITS'
      | 'IMPORT_EXISTS'
      | 'IMPORT_NO_SUCH_INSTANCE'
      | 'IMPORT_BAD_KEY',
    message: string,
  ) {
    super(message);
  }
}

export interface Planned {
  readonly unit: Converted;
  /** Where the YAML goes; null: standard output. */
  readonly config_file: string | null;
  readonly key_file: string;
  /** Several pairs on one host: each needs its own keepalive port and status port. */
  readonly index: number | null;
}

export interface Emitted {
  readonly planned: Planned;
  readonly yaml: string;
  readonly key: 'created' | 'kept';
}

export const where = (at: Where): string => `${at.file}:${at.line}`;

/** Writes (or keeps) every key, checks every config with the agent's checker, then writes the configs. */
export function emitAll(
  plans: readonly Planned[],
  source: string,
  shared: readonly Finding[] = [],
): Emitted[] {
  for (const p of plans)
    if (p.config_file !== null && existsSync(p.config_file))
      throw new ImportError('IMPORT_EXISTS', `${p.config_file} exists: remove it or choose another --out`);
  const created: string[] = [];
  try {
    const out = plans.map((p) => {
      const key = ensureKey(p.key_file);
      if (key === 'created') created.push(p.key_file);
      const yaml = render(p, source, shared);
      check(p, yaml);
      return { planned: p, yaml, key };
    });
    for (const e of out)
      if (e.planned.config_file !== null)
        writeFileSync(e.planned.config_file, e.yaml, { mode: 0o644, flag: 'wx' });
    return out;
  } catch (err) {
    for (const f of created) rmSync(f, { force: true });
    throw err;
  }
}

function ensureKey(file: string): 'created' | 'kept' {
  if (existsSync(file)) {
    try {
      parsePairKey(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ImportError(
        'IMPORT_BAD_KEY',
        `${file} exists but is not a pair key (${(err as Error).message}); remove it or pass another --key-file`,
      );
    }
    return 'kept';
  }
  // 32 random bytes, the size of the HMAC-SHA-256 key; written once, never shown.
  writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return 'created';
}

function configOf(p: Planned): Record<string, unknown> {
  const c: Record<string, unknown> = { ...p.unit.config, pair_key_file: p.key_file };
  if (p.index === null) return c;
  // Pair i on this host: keepalives on 20480 + 2i, status on 20481 + 2i.
  const port = DEFAULT_PORT + 2 * p.index;
  return {
    ...c,
    paths: (c.paths as Record<string, unknown>[]).map((x) => ({ ...x, port })),
    status: { listen: `127.0.0.1:${port + 1}` },
  };
}

function render(p: Planned, source: string, shared: readonly Finding[]): string {
  const u = p.unit;
  const head = [
    `# Imported by \`tandem import\` from ${source}: ${u.instances.map((i) => `vrrp_instance ${i.name} (line ${i.at.line})`).join(', ')}.`,
    '# Review it, then `tandem agent --config FILE --check`. The pair key file must be the same on both nodes.',
    ...findingLines([...u.findings, ...shared]).map((l) => `#   ${l}`),
  ];
  return `${head.join('\n')}\n${stringify(configOf(p), { lineWidth: 0 })}`;
}

export function findingLines(findings: readonly Finding[]): string[] {
  const title: Record<Finding['kind'], string> = {
    replaced: 'replaced',
    changed: 'changed',
    'not-mapped': 'not mapped',
  };
  return findings.map((f) => `${title[f.kind]}: ${basename(f.at.file)}:${f.at.line}: ${f.text}`);
}

/** The agent's checker over the YAML as written; its errors point back at keepalived's lines. */
function check(p: Planned, yaml: string): void {
  const validation = agentValidators();
  const file = p.config_file ?? join(dirname(p.key_file), `${String(p.unit.config.pair)}.yaml`);
  try {
    parseConfig(resolve(file), yaml, {
      validateAction: validation.validateAction,
      validateMonitor: validation.validateMonitor,
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const problems: Problem[] = err.issues.map((i) => {
      const origin = [...p.unit.origins].find(([prefix]) => i.path.startsWith(prefix))?.[1];
      return { at: origin ?? p.unit.instances[0]!.at, message: `tandem's checker: ${i.path}: ${i.message}` };
    });
    throw new ImportError(
      'IMPORT_REFUSED',
      `${p.unit.name}: the result does not pass tandem's checker:\n${problems.map((x) => `  ${where(x.at)}: ${x.message}`).join('\n')}`,
    );
  }
}
