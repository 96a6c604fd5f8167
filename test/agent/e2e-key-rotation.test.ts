// The documented three-step key rotation (docs/agent.md), under traffic: keepalives every 100 ms, dead
// after 500 ms. At no step does either node reject the other's keepalives, so nothing fails over.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type AgentProc, inLab, type Lab, type NodeName, sleep, until } from './lab.js';

interface Counters {
  received: Record<string, number>;
  rejected: Record<string, number>;
}

async function countersOf(lab: Lab, node: NodeName): Promise<Counters> {
  return (await lab.statusOf(node)).counters as Counters;
}

/** Rewrites the node's config with these keys and sends SIGHUP; resolves once the reload is logged. */
async function rekey(lab: Lab, agent: AgentProc, keys: Record<string, string | undefined>): Promise<void> {
  const mark = agent.lines.length;
  lab.config(agent.node, { pair_key_env: undefined, ...keys });
  agent.kill('SIGHUP');
  await until(`${agent.node} reloaded`, () =>
    agent.lines.slice(mark).some((l) => l.msg === 'config reloaded' || l.msg.startsWith('reload refused')),
  );
  assert.ok(
    agent.lines.slice(mark).some((l) => l.msg === 'config reloaded'),
    `${agent.node} accepted the reload`,
  );
  // A few intervals at this step, so each step is really exercised by traffic both ways.
  await sleep(400);
}

test('three-step key rotation under traffic: no rejected keepalive, no failover', () =>
  inLab(async (lab) => {
    const file = (name: string): string => {
      const path = join(lab.dir, name);
      writeFileSync(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
      return path;
    };
    const oldKey = file('old.key');
    const newKey = file('new.key');
    const a = lab.startAgent('a', { pair_key_env: undefined, pair_key_file: oldKey });
    const b = lab.startAgent('b', { pair_key_env: undefined, pair_key_file: oldKey });
    await a.waitState('active');
    await b.waitState('standby');
    const markA = a.lines.length;
    const markB = b.lines.length;
    const before = { a: await countersOf(lab, 'a'), b: await countersOf(lab, 'b') };

    // 1. Both accept the new key beside the old one.
    await rekey(lab, a, { pair_key_file: oldKey, pair_key_next_file: newKey });
    await rekey(lab, b, { pair_key_file: oldKey, pair_key_next_file: newKey });
    // 2. One by one, sign with the new key and keep accepting the old one.
    await rekey(lab, a, { pair_key_file: newKey, pair_key_next_file: oldKey });
    await rekey(lab, b, { pair_key_file: newKey, pair_key_next_file: oldKey });
    // 3. Drop the old key.
    await rekey(lab, a, { pair_key_file: newKey });
    await rekey(lab, b, { pair_key_file: newKey });

    const after = { a: await countersOf(lab, 'a'), b: await countersOf(lab, 'b') };
    for (const node of ['a', 'b'] as const) {
      assert.equal(after[node].rejected['bad-mac'] ?? 0, 0, `${node} rejected no keepalive`);
      const heard = (after[node].received.lan ?? 0) - (before[node].received.lan ?? 0);
      // Six steps of ≥ 400 ms at 100 ms with two copies: far more than a handful, whoever is loaded.
      assert.ok(heard >= 40, `${node} kept hearing its peer through the rotation (${heard} keepalives)`);
    }
    assert.deepEqual(a.changesSince(markA), [], 'a stayed active');
    assert.deepEqual(b.changesSince(markB), [], 'b stayed standby');

    // The control: a key the peer does not know is rejected at once — the counts above could fail.
    await rekey(lab, a, { pair_key_file: file('third.key') });
    await until(
      'b rejects a key it does not know',
      async () => ((await countersOf(lab, 'b')).rejected['bad-mac'] ?? 0) > 0,
    );
  }));
