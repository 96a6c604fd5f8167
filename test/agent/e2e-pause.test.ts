// A standby stopped (SIGSTOP: a VM freeze, a long GC) while the active is disabled and enabled again
// resumes with a backlog of keepalives that says `disabled` before it says `active`. Read oldest first,
// it claimed at once on "peer in disabled" while the peer held the VIP. The transport drops a backlog
// after a stall: the standby stays standby, and at no moment do both nodes hold the VIP — as the kernel
// reports it (`ip monitor address` in both namespaces).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { inLab, type Lab, type NodeName, STATUS_PORT, sleep, until } from './lab.js';
import { VipWatch } from './vip-watch.js';

async function admin(lab: Lab, node: NodeName, command: 'disable' | 'enable'): Promise<void> {
  const answer = await lab.client({
    op: 'http',
    method: 'POST',
    url: `http://${lab.addr(node)}:${STATUS_PORT}/admin/${command}`,
    token_file: join(lab.dir, `${node}.token`),
    timeout_ms: 5000,
  });
  assert.ok(answer.ok, `${command} on ${node}: ${answer.error}`);
}

test('a standby resumed after a pause never claims on the disabled state its backlog holds', () =>
  inLab(async (lab) => {
    const watch = new VipWatch(lab, ['a', 'b']);
    try {
      await watch.ready();
      const status = (node: NodeName) => ({
        status: { listen: `0.0.0.0:${STATUS_PORT}`, admin_token_file: join(lab.dir, `${node}.token`) },
      });
      const a = lab.startAgent('a', status('a'));
      const b = lab.startAgent('b', status('b'));
      await a.waitState('active');
      await b.waitState('standby');
      await until('VIP on a', () => lab.hasVip('a'));

      const mark = b.lines.length;
      b.kill('SIGSTOP');
      try {
        await sleep(300);
        await admin(lab, 'a', 'disable');
        await a.waitState('disabled');
        await sleep(300);
        await admin(lab, 'a', 'enable');
        // The standby is silent: the primary takes the role back on its own after a dead interval.
        await a.waitState('active');
        await until('VIP on a again', () => lab.hasVip('a'));
        await sleep(300);
      } finally {
        b.kill('SIGCONT');
      }
      // Several dead intervals (100 ms × 5) for a wrong claim to show.
      await sleep(2500);
      const changes = b.changesSince(mark).map((l) => `${l.from}→${l.to} (${l.reason})`);
      assert.deepEqual(changes, [], 'the resumed standby stays standby');
      assert.equal(b.state, 'standby');
      assert.equal(a.state, 'active');
      assert.ok(
        b.lines.slice(mark).some((l) => l.msg.startsWith('keepalive backlog dropped after a stall')),
        'the backlog was read and dropped',
      );
      assert.equal(watch.overlap_ms(), 0, `both held the VIP: ${JSON.stringify(watch.events)}`);
      assert.ok(await lab.hasVip('a'));
      assert.ok(!(await lab.hasVip('b')));
    } finally {
      watch.stop();
    }
  }));
