// Runs every configured action's preflight and renders the result for an operator: one line per check, the
// fix under each failure, and an overall verdict. Used by `tandem preflight`; the controller can call
// `preflightAll` the same way.
import type { Action, PreflightCheck } from '../types.js';

/**
 * A check whose name starts with this is one of the prerequisites users most often get wrong (the source/
 * destination check, the subnet's route table): the controller's API test lists them apart.
 */
export const PREREQUISITE = 'prerequisite: ';

export interface ActionChecks {
  readonly action: string;
  readonly kind: string;
  readonly checks: readonly PreflightCheck[];
}

export async function preflightAll(actions: readonly Action[], deadline_ms: number): Promise<ActionChecks[]> {
  return Promise.all(
    actions.map(async (a) => {
      try {
        return { action: a.name, kind: a.kind, checks: await a.preflight({ deadline_ms }) };
      } catch (err) {
        // A driver should report, not throw; if one does, it is still one failed check, not a crash.
        const detail = err instanceof Error ? err.message : String(err);
        return {
          action: a.name,
          kind: a.kind,
          checks: [{ check: 'preflight', status: 'error' as const, detail }],
        };
      }
    }),
  );
}

export function allOk(results: readonly ActionChecks[]): boolean {
  return results.every((r) => r.checks.every((c) => c.status === 'ok'));
}

const LABEL: Record<PreflightCheck['status'], string> = {
  ok: 'OK',
  'cannot-authenticate': 'CANNOT AUTHENTICATE',
  'missing-permission': 'MISSING PERMISSION',
  'wrong-id': 'WRONG ID',
  'wrong-setting': 'WRONG SETTING',
  unreachable: 'UNREACHABLE',
  error: 'ERROR',
};

export function formatPreflight(results: readonly ActionChecks[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.action} (${r.kind})`);
    for (const c of r.checks) {
      lines.push(`  ${LABEL[c.status].padEnd(18)} ${c.check}`);
      if (c.status !== 'ok' && c.detail) lines.push(`  ${''.padEnd(18)}   ${c.detail}`);
      else if (c.detail) lines.push(`  ${''.padEnd(18)}   (${c.detail})`);
      if (c.fix) lines.push(`  ${''.padEnd(18)}   fix: ${c.fix}`);
    }
  }
  const failed = results.flatMap((r) => r.checks).filter((c) => c.status !== 'ok').length;
  lines.push(failed === 0 ? 'Ready: every check passed.' : `Not ready: ${failed} check(s) failed.`);
  return lines.join('\n');
}
