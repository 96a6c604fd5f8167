// Split brain: keepalives dropped both ways ⇒ both nodes active; healed ⇒ exactly one (the primary),
// and the client's traffic reaches it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inLab, nft, PORT, sleep, until } from './lab.js';

test('keepalives dropped both ways ⇒ both active; healed ⇒ exactly one active and the client reaches it', () =>
  inLab(async (lab) => {
    const a = lab.startAgent('a');
    const b = lab.startAgent('b');
    await a.waitState('active');
    await b.waitState('standby');

    const cut = await lab.rule(nft.dropUdpPort(lab.ns('a'), PORT));
    await b.waitState('active');
    assert.equal(a.state, 'active');
    assert.ok((await lab.hasVip('a')) && (await lab.hasVip('b')), 'both hold the VIP');

    await cut.remove();
    await b.waitState('standby');
    assert.equal(a.state, 'active');
    await until('VIP only on a', async () => (await lab.hasVip('a')) && !(await lab.hasVip('b')));
    // b's gratuitous ARP was the last the client saw: a must have announced itself again.
    await lab.untilServedBy('a');
    // And it stays that way: no flapping after the heal.
    const marks = [a.lines.length, b.lines.length] as const;
    await sleep(1000);
    assert.equal(a.changesSince(marks[0]).length + b.changesSince(marks[1]).length, 0);
  }));
