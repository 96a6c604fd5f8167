// Probe rounds on loopback: ICMP bursts with one RTT per answer, TCP from a pinned source address, HTTP with
// an expected status; a probe that fails in any way is a lost probe, never an exception.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ProbePlan } from '../../src/pathwatch/config.js';
import type { TargetSpec } from '../../src/pathwatch/config-schema.js';
import { probeRound } from '../../src/pathwatch/probe.js';

const plan = (targets: TargetSpec[], extra: Partial<ProbePlan> = {}): ProbePlan => ({
  label: 'dx',
  targets,
  rule: { kind: 'all' },
  interval_ms: 1000,
  count: 3,
  timeout_ms: 300,
  spacing_ms: 20,
  source: null,
  ...extra,
});

describe('probe rounds', () => {
  let tcp: Server;
  let http: HttpServer;
  const peers: string[] = [];
  before(async () => {
    tcp = createServer((c) => {
      peers.push(c.remoteAddress ?? '');
      c.destroy();
    });
    http = createHttpServer((req, res) => {
      res.writeHead(req.url === '/health' ? 200 : 503);
      res.end();
    });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  });
  after(() => {
    tcp?.close();
    http?.close();
  });
  const port = (s: Server | HttpServer) => (s.address() as { port: number }).port;
  const signal = new AbortController().signal;

  it('ICMP: three echoes in one ping, each answer with its RTT', async () => {
    const round = await probeRound('primary', plan([{ kind: 'icmp', address: '127.0.0.1' }]), signal);
    const t = round.targets[0]!;
    assert.deepEqual([round.path, t.target, t.sent, t.received], ['primary', '127.0.0.1', 3, 3]);
    assert.equal(t.rtt_ms.length, 3);
    assert.ok(t.rtt_ms.every((x) => x >= 0));
  });

  it('TCP: connects from the pinned source address; a closed port loses every probe', async () => {
    const open = await probeRound(
      'backup',
      plan([{ kind: 'tcp', address: '127.0.0.1', port: port(tcp) }], { source: '127.0.0.2' }),
      signal,
    );
    assert.equal(open.targets[0]?.received, 3);
    assert.equal(open.targets[0]?.rtt_ms.length, 3);
    assert.ok(peers.includes('127.0.0.2'), `connections came from ${peers.join(', ')}`);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const dead = port(closed);
    closed.close();
    const refused = await probeRound(
      'primary',
      plan([{ kind: 'tcp', address: '127.0.0.1', port: dead }]),
      signal,
    );
    assert.deepEqual(refused.targets[0], { target: `127.0.0.1:${dead}`, sent: 3, received: 0, rtt_ms: [] });
  });

  it('HTTP: an unexpected status is a lost probe', async () => {
    const base = `http://127.0.0.1:${port(http)}`;
    const round = await probeRound(
      'primary',
      plan(
        [
          { kind: 'http', url: `${base}/health` },
          { kind: 'http', url: `${base}/other` },
        ],
        { count: 2 },
      ),
      signal,
    );
    assert.deepEqual(
      round.targets.map((t) => [t.target, t.received]),
      [
        [`${base}/health`, 2],
        [`${base}/other`, 0],
      ],
    );
  });
});
