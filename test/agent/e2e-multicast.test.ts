// The multicast option on a LAN: keepalives go to a group joined on the LAN interface; the pair forms
// and a kill -9 still fails over.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inLab, PORT } from './lab.js';

test('multicast keepalives: the pair forms on the group and fails over on kill -9', () =>
  inLab(async (lab) => {
    const group = '239.255.20.48';
    const path = (me: 'a' | 'b', peer: 'a' | 'b') => ({
      paths: [
        {
          name: 'lan',
          local_address: lab.addr(me),
          peer_address: lab.addr(peer),
          port: PORT,
          multicast_group: group,
        },
      ],
    });
    const a = lab.startAgent('a', path('a', 'b'));
    const b = lab.startAgent('b', path('b', 'a'));
    await a.waitState('active');
    await b.waitState('standby');
    const counters = ((await lab.statusOf('b')) as { counters: { received: Record<string, number> } })
      .counters;
    assert.ok((counters.received.lan ?? 0) > 0, 'b hears a on the group');

    a.kill('SIGKILL');
    await a.exited;
    await b.waitState('active');
    await lab.untilServedBy('b');
  }));

test('IPv6 multicast keepalives (ff02::/16 group on the LAN interface): the pair forms and fails over on kill -9', () =>
  inLab(
    async (lab) => {
      const group = 'ff02::4:5480';
      const path = (me: 'a' | 'b', peer: 'a' | 'b') => ({
        paths: [
          {
            name: 'lan',
            local_address: lab.pathAddr(me),
            peer_address: lab.pathAddr(peer),
            port: PORT,
            multicast_group: group,
          },
        ],
      });
      const a = lab.startAgent('a', path('a', 'b'));
      const b = lab.startAgent('b', path('b', 'a'));
      await a.waitState('active');
      await b.waitState('standby');
      const counters = ((await lab.statusOf('b')) as { counters: { received: Record<string, number> } })
        .counters;
      assert.ok((counters.received.lan ?? 0) > 0, 'b hears a on the group');

      a.kill('SIGKILL');
      await a.exited;
      await b.waitState('active');
      await lab.untilServedBy('b');
    },
    { ipv6: true },
  ));
