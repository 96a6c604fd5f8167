import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runMonitorIn } from '../helpers/monitor-runner.js';
import { createLan, type Lan, setLink } from '../helpers/netns.js';

let lan: Lan;
before(async () => {
  lan = await createLan({ hosts: ['a', 'b'] });
});
after(async () => {
  await lan?.destroy();
});

test('link monitor reports up, then carrier loss when the switch port goes down, then up again', async () => {
  const run = runMonitorIn(lan.host('a').ns, {
    kind: 'link',
    name: 'ha',
    interface: 'lan0',
    interval_ms: 50,
  });
  try {
    const up = await run.waitFor((r) => r.kind === 'link' && r.up, 15_000, 'link up');
    assert.equal(up.name, 'ha');
    assert.match(up.detail ?? '', /carrier=1 operstate=up/);
    await setLink(lan, 'a', 'down', 'switch');
    const down = await run.waitFor((r) => r.kind === 'link' && !r.up, 10_000, 'carrier loss');
    assert.match(down.detail ?? '', /carrier=0/);
    await setLink(lan, 'a', 'up', 'switch');
    await run.waitFor((r) => r.kind === 'link' && r.up, 10_000, 'link back up');
  } finally {
    await run.stop();
  }
});

test('link monitor reports down when the host sets its own interface admin down', async () => {
  const run = runMonitorIn(lan.host('b').ns, {
    kind: 'link',
    name: 'ha',
    interface: 'lan0',
    interval_ms: 50,
  });
  try {
    await run.waitFor((r) => r.kind === 'link' && r.up, 15_000, 'link up');
    await setLink(lan, 'b', 'down', 'host');
    const down = await run.waitFor((r) => r.kind === 'link' && !r.up, 10_000, 'admin down');
    assert.match(down.detail ?? '', /admin down|operstate=down/);
    await setLink(lan, 'b', 'up', 'host');
    await run.waitFor((r) => r.kind === 'link' && r.up, 10_000, 'link back up');
  } finally {
    await run.stop();
  }
});

test('link monitor reports a missing interface as down, and keeps reporting', async () => {
  const run = runMonitorIn(lan.host('a').ns, {
    kind: 'link',
    name: 'x',
    interface: 'nosuch0',
    interval_ms: 50,
  });
  try {
    const first = await run.waitFor((r) => r.kind === 'link', 15_000, 'first reading');
    assert.equal(first.kind === 'link' && first.up, false);
    assert.match(first.detail ?? '', /not found/);
    const count = run.readings.length;
    await run.waitFor(() => run.readings.length >= count + 3, 10_000, 'further readings');
  } finally {
    await run.stop();
  }
});

test('link events are seen between polls: netlink wakes the monitor, not the 10-minute poll', async () => {
  const run = runMonitorIn(lan.host('a').ns, {
    kind: 'link',
    name: 'ha',
    interface: 'lan0',
    interval_ms: 600_000,
  });
  try {
    await run.waitFor((r) => r.kind === 'link' && r.up, 15_000, 'first poll: up');
    // Let `ip monitor` subscribe before the fault (it starts with the first poll).
    await new Promise((r) => setTimeout(r, 500));
    await setLink(lan, 'a', 'down', 'switch');
    await run.waitFor((r) => r.kind === 'link' && !r.up, 10_000, 'carrier loss from the netlink event');
    await setLink(lan, 'a', 'up', 'switch');
    await run.waitFor((r) => r.kind === 'link' && r.up, 10_000, 'carrier back from the netlink event');
  } finally {
    await run.stop();
  }
});
