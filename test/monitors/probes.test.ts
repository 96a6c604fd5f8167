import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { MonitorSpec } from '../../src/monitors/spec.js';
import { runMonitorIn } from '../helpers/monitor-runner.js';
import { createLan, type Lan, nft } from '../helpers/netns.js';
import { startHttpServer, startTcpServer } from '../helpers/servers.js';

const HTTP_PORT = 8080;
const HTTP_503_PORT = 8082;
const TCP_PORT = 8081;

let lan: Lan;
let wan: string;
before(async () => {
  lan = await createLan({ hosts: ['node', 'wan'] });
  wan = lan.host('wan').lan.address;
  await startHttpServer(lan.host('wan').ns, HTTP_PORT, 200);
  await startHttpServer(lan.host('wan').ns, HTTP_503_PORT, 503);
  await startTcpServer(lan.host('wan').ns, TCP_PORT);
});
after(async () => {
  await lan?.destroy();
});

async function seesBlockThenRecovery(spec: MonitorSpec): Promise<void> {
  const ns = lan.host('node').ns;
  const run = runMonitorIn(ns, spec);
  try {
    const ok = await run.waitFor((r) => r.kind === 'wan-probe' && r.ok, 15_000, `${spec.kind} ok`);
    assert.equal(ok.name, spec.name);
    const beforeBlock = run.mark();
    const block = await nft.blockAddress(ns, wan);
    const failed = await run.waitFor(
      (r) => r.kind === 'wan-probe' && !r.ok,
      15_000,
      `${spec.kind} failing`,
      beforeBlock,
    );
    assert.ok(failed.detail, 'a failed probe says why');
    const beforeUnblock = run.mark();
    await block.remove();
    await run.waitFor((r) => r.kind === 'wan-probe' && r.ok, 15_000, `${spec.kind} ok again`, beforeUnblock);
  } finally {
    await run.stop();
  }
}

test('icmp probe fails while nftables drops the target and recovers after', async () => {
  await seesBlockThenRecovery({ kind: 'icmp', name: 'gw', target: wan, interval_ms: 100, timeout_ms: 300 });
});

test('tcp probe fails while nftables drops the target and recovers after', async () => {
  await seesBlockThenRecovery({
    kind: 'tcp',
    name: 'api',
    host: wan,
    port: TCP_PORT,
    interval_ms: 100,
    timeout_ms: 300,
  });
});

test('http probe fails while nftables drops the target and recovers after', async () => {
  const url = `http://${wan}:${HTTP_PORT}/health`;
  await seesBlockThenRecovery({ kind: 'http', name: 'web', url, interval_ms: 100, timeout_ms: 300 });
});

test('tcp probe to a closed port fails with the refusal in the detail', async () => {
  const run = runMonitorIn(lan.host('node').ns, {
    kind: 'tcp',
    name: 'closed',
    host: wan,
    port: 9,
    interval_ms: 100,
    timeout_ms: 300,
  });
  try {
    const r = await run.waitFor((x) => x.kind === 'wan-probe', 15_000);
    assert.equal(r.kind === 'wan-probe' && r.ok, false);
    assert.match(r.detail ?? '', /ECONNREFUSED/);
  } finally {
    await run.stop();
  }
});

test('http probe fails on a 503 by default and passes when 503 is the expected status', async () => {
  const url = `http://${wan}:${HTTP_503_PORT}/`;
  const strict = runMonitorIn(lan.host('node').ns, {
    kind: 'http',
    name: 'h',
    url,
    interval_ms: 100,
    timeout_ms: 3000, // generous: a loaded host must not turn the 503 into a timeout
  });
  const lenient = runMonitorIn(lan.host('node').ns, {
    kind: 'http',
    name: 'h',
    url,
    expect_status: [503],
    interval_ms: 100,
    timeout_ms: 3000, // generous: a loaded host must not turn the 503 into a timeout
  });
  try {
    const a = await strict.waitFor((x) => x.kind === 'wan-probe', 15_000);
    assert.equal(a.kind === 'wan-probe' && a.ok, false);
    assert.equal(a.detail, 'status 503');
    const b = await lenient.waitFor((x) => x.kind === 'wan-probe', 15_000);
    assert.equal(b.kind === 'wan-probe' && b.ok, true);
  } finally {
    await strict.stop();
    await lenient.stop();
  }
});

test('icmp probe blocked for echo only (nft icmp rule) fails, other traffic unaffected', async () => {
  const ns = lan.host('node').ns;
  const block = await nft.blockIcmpTo(ns, wan);
  const icmp = runMonitorIn(ns, { kind: 'icmp', name: 'gw', target: wan, interval_ms: 100, timeout_ms: 300 });
  const tcp = runMonitorIn(ns, {
    kind: 'tcp',
    name: 'api',
    host: wan,
    port: TCP_PORT,
    interval_ms: 100,
    timeout_ms: 300,
  });
  try {
    const i = await icmp.waitFor((x) => x.kind === 'wan-probe', 15_000);
    assert.equal(i.kind === 'wan-probe' && i.ok, false);
    assert.match(i.detail ?? '', /no reply/);
    await tcp.waitFor((x) => x.kind === 'wan-probe' && x.ok, 15_000, 'tcp ok');
  } finally {
    await block.remove();
    await icmp.stop();
    await tcp.stop();
  }
});
