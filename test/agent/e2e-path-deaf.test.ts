// A keepalive path whose local address is gone is deaf, like the node's own link down. With the
// kernel's default keep_addr_on_down=0, an admin down flushes the interface's IPv6 addresses and
// nothing puts them back when it comes up: the agent's socket stays bound but hears nothing. The
// standby must not take that silence for the active peer's death (it used to claim the VIP while
// the peer held it); once the address is back it hears the peer and stays standby. Who holds the VIP
// is read from the kernel in both namespaces.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nsExec, setLink } from '../helpers/netns.js';
import { inLab, sleep, until } from './lab.js';
import { VipWatch } from './vip-watch.js';

/** The lab's dead interval: interval_ms 100 × dead_multiplier 5. */
const DEAD_MS = 500;

test('a path whose IPv6 address an admin down flushed is deaf: the standby never claims on that silence', () =>
  inLab(
    async (lab) => {
      const ns = lab.ns('b');
      await nsExec(ns, ['sysctl', '-q', '-w', `net.ipv6.conf.${lab.ifname}.keep_addr_on_down=0`]);
      const watch = new VipWatch(lab, ['a', 'b']);
      try {
        await watch.ready();
        const a = lab.startAgent('a');
        const b = lab.startAgent('b');
        await a.waitState('active');
        await b.waitState('standby');
        const mark = b.lines.length;

        await setLink(lab.lan, 'b', 'down', 'host');
        await until('b says its path is deaf', () =>
          b.lines.slice(mark).some((l) => l.msg.startsWith('keepalive path deaf')),
        );
        await sleep(3 * DEAD_MS);
        // Up again, but the address stays flushed: still nothing can reach b on its only path.
        await setLink(lab.lan, 'b', 'up', 'host');
        await sleep(3 * DEAD_MS);
        assert.equal(b.state, 'standby', 'b claimed on silence it could not hear');

        // What a network manager does after the link returns: the address is back, b hears a again.
        await nsExec(ns, ['ip', 'addr', 'add', `${lab.pathAddr('b')}/64`, 'dev', lab.ifname, 'nodad']);
        await until('b says its path hears again', () =>
          b.lines.slice(mark).some((l) => l.msg === 'keepalive path hears again'),
        );
        await until('b hears a again', async () => {
          const s = (await lab.statusOf('b')) as { status?: { peer?: { alive?: boolean } } };
          return s.status?.peer?.alive === true;
        });
        await sleep(2 * DEAD_MS);
        assert.equal(b.state, 'standby');
        assert.equal(a.state, 'active');
        assert.deepEqual(
          b.changesSince(mark).map((l) => l.to),
          [],
          'b never changed state: no claim while deaf, none after',
        );
        assert.equal(watch.overlap_ms(), 0, `both held the VIP: ${JSON.stringify(watch.events)}`);
        assert.equal(
          watch.events.some((e) => e.node === 'b' && e.holds),
          false,
          'b never held the VIP',
        );
      } finally {
        watch.stop();
      }
    },
    { ipv6: true },
  ));
