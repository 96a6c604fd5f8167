import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { createLan, neighbourMac, nft, nsExec, setLink, spawnInNs } from '../helpers/netns.js';

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

test('a LAN connects its hosts through the switch, on both paths, and destroy removes everything', async () => {
  const lan = await createLan({
    hosts: [
      { name: 'a', second_link: true },
      { name: 'b', second_link: true },
    ],
  });
  const a = lan.host('a');
  const b = lan.host('b');
  assert.match(a.ns, /^tdl-[0-9a-z]+-[0-9a-f]{6}-a$/);
  await nsExec(a.ns, ['ping', '-n', '-c', '1', '-W', '2', b.lan.address]);
  await nsExec(a.ns, ['ping', '-n', '-c', '1', '-W', '2', b.ha?.address ?? '']);
  assert.equal(await neighbourMac(a.ns, b.lan.address), b.lan.mac);
  const sleeper = spawnInNs(a.ns, ['sleep', '60']);
  assert.ok(namespaces().includes(a.ns));
  await lan.destroy();
  const gone = namespaces();
  assert.deepEqual(
    gone.filter((n) => n.startsWith(lan.id)),
    [],
  );
  const { signal } = await sleeper.exited;
  assert.equal(signal, 'SIGKILL');
});

test('a switch-side link down cuts only that host, and nftables rules come and go', async () => {
  const lan = await createLan({ hosts: ['a', 'b', 'c'] });
  try {
    const ping = (from: string, to: string) =>
      nsExec(lan.host(from).ns, ['ping', '-n', '-c', '1', '-W', '1', lan.host(to).lan.address], {
        allow_failure: true,
      });
    await setLink(lan, 'a', 'down', 'switch');
    assert.notEqual((await ping('a', 'b')).code, 0);
    assert.equal((await ping('c', 'b')).code, 0);
    await setLink(lan, 'a', 'up', 'switch');
    const rule = await nft.blockAddress(lan.host('b').ns, lan.host('c').lan.address);
    assert.notEqual((await ping('c', 'b')).code, 0);
    await rule.remove();
    assert.equal((await ping('c', 'b')).code, 0);
  } finally {
    await lan.destroy();
  }
});
