// A forged keepalive sent from the client namespace is counted and ignored: from its own address it
// is an unknown source; with the active node's address spoofed it fails the MAC.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { encodeKeepalive, nodeIdOf, pairIdOf } from '../../src/wire/index.js';
import { inLab, nsExec, PORT, sleep, until } from './lab.js';

test('forged keepalives from the client namespace are counted by reason and move nothing', () =>
  inLab(async (lab) => {
    const a = lab.startAgent('a');
    const b = lab.startAgent('b');
    await a.waitState('active');
    await b.waitState('standby');

    // "a is in fault": accepted, it would make b take over at once.
    const forged = encodeKeepalive(
      {
        pair_id: pairIdOf(`tda-${lab.lan.id}`),
        node_id: nodeIdOf('a'),
        role: 'primary',
        state: 'fault',
        priority: 200,
        flags: {
          relinquish: true,
          wan_ok: true,
          ha_port_ok: true,
          fit: false,
          takeover_request: false,
          peer_heard: true,
        },
        version: { major: 0, minor: 1, patch: 0 },
        interval_ms: 100,
        boot_id: 7n,
        seq: 1_000_000n,
        sent_at_ms: Date.now(),
      },
      randomBytes(32),
    ).toString('hex');
    const send = async (from: string) => {
      const sent = await lab.client({
        op: 'udp',
        from,
        to: lab.addr('b'),
        port: PORT,
        hex: forged,
        count: 5,
      });
      assert.ok(sent.ok, String(sent.error));
    };

    const mark = b.lines.length;
    await send(lab.addr('client'));
    // Spoof a's address on the client for a moment (a /32 alias sends no ARP).
    const alias = [`${lab.addr('a')}/32`, 'dev', lab.ifname];
    await nsExec(lab.ns('client'), ['ip', 'addr', 'add', ...alias]);
    await send(lab.addr('a'));
    await nsExec(lab.ns('client'), ['ip', 'addr', 'del', ...alias]);

    const rejected = async () =>
      ((await lab.statusOf('b')) as { counters: { rejected: Record<string, number> } }).counters.rejected;
    await until('all ten counted', async () => {
      const r = await rejected();
      return (r['unknown-source'] ?? 0) + (r['bad-mac'] ?? 0) >= 10;
    });
    const r = await rejected();
    assert.equal(r['unknown-source'], 5);
    assert.equal(r['bad-mac'], 5);
    await sleep(1000);
    assert.equal(b.changesSince(mark).length, 0);
    assert.equal(b.state, 'standby');
    assert.equal(a.state, 'active');
    assert.equal(await lab.hasVip('b'), false);
  }));
