// Mismatched pair keys: both nodes go active (neither can authenticate the other), and that must be
// loud — a rate-limited warning naming the likely cause, and a readiness reason in `tandem status`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { formatStatus } from '../../src/agent/status-table.js';
import { inLab, sleep, until } from './lab.js';

const WARNING = 'keepalives from the peer fail authentication: pair keys differ?';

test('different pair keys: each node warns once (rate-limited) and shows it in status', () =>
  inLab(async (lab) => {
    process.env.TDA_OTHER_KEY = randomBytes(32).toString('base64');
    const a = lab.startAgent('a');
    await a.waitState('active');
    const b = lab.startAgent('b', { pair_key_env: 'TDA_OTHER_KEY' });
    await b.waitState('active');
    const started = b.lines[0]?.t_ms ?? 0;
    const warned = await until('a warns of the key mismatch', () => a.lines.find((l) => l.msg === WARNING));
    await until('b warns of the key mismatch', () => b.lines.some((l) => l.msg === WARNING));
    console.log(
      `a warned ${Math.round(warned.t_ms - started)} ms after b's first log line (dead interval 500 ms)`,
    );
    assert.equal(warned.from, lab.addr('b'));
    // Ten packets a second keep failing; the warning does not repeat within its 10 s spacing.
    await sleep(2000);
    assert.equal(a.lines.filter((l) => l.msg === WARNING).length, 1);
    const status = await lab.statusOf('a');
    assert.ok((status.readiness_reasons as string[]).includes(WARNING));
    assert.ok(((status.peer_auth_failures as { count: number }).count ?? 0) >= 10);
    assert.match(formatStatus(status), /pair keys differ\?/);
    assert.match(formatStatus(status), /auth failures\s+\d+ keepalives from the peer's address failed/);
  }));
