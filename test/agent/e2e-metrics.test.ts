// The metrics and logs of a real agent process, scraped over HTTP: build info, process and event-loop
// metrics, every labelled series present at zero before its first event (a peer that never came up),
// per-monitor and readiness gauges, no spaces in label values; log lines with ISO time and level names.
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { VERSION } from '../../src/cli/version.js';
import { inLab, type Lab, STATUS_PORT, until } from './lab.js';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

interface Scrape {
  readonly samples: Sample[];
  /** Family name → type, from the `# TYPE` lines. */
  readonly types: Map<string, string>;
  readonly text: string;
}

/** The Prometheus text format, enough of it for these checks (no escapes appear in our values). */
function parse(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types, text };
}

async function scrape(lab: Lab, node: 'a' | 'b'): Promise<Scrape> {
  const r = await lab.client({ op: 'http', url: `http://${lab.addr(node)}:${STATUS_PORT}/metrics` });
  assert.ok(r.ok && r.body !== undefined, `scrape of ${node}: ${r.error}`);
  return parse(r.body);
}

function value(s: Scrape, name: string, labels: Record<string, string> = {}): number {
  const found = s.samples.filter(
    (x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v),
  );
  assert.equal(found.length, 1, `one sample ${name}${JSON.stringify(labels)}, got ${found.length}`);
  return found[0]!.value;
}

/** A family's samples carry its name or, for histograms, its _bucket/_sum/_count names. */
const samplesOf = (s: Scrape, family: string): Sample[] =>
  s.samples.filter((x) => x.name === family || x.name.startsWith(`${family}_`));

/** Open-ended error codes cannot be known in advance: this family gets a series with its first failure. */
const BY_CODE = new Set(['tandem_action_failures_total']);

test('a real agent: build, process and loop metrics, zero series before their first event, readiness, monitors, ISO log lines', () =>
  inLab(async (lab) => {
    const failFile = join(lab.dir, 'service-down');
    const monitors = [
      { kind: 'check', name: 'web service', command: `test ! -e ${failFile}`, interval_ms: 200 },
    ];
    const a = lab.startAgent('a', { monitors, log_format: { time: 'iso', level: 'name' } });
    await a.waitState('active');

    // The peer never came up: its series are there, at zero, so "never heard" alerts can fire.
    const alone = await until('a scrape with the check reported', async () => {
      const s = await scrape(lab, 'a');
      return value(s, 'tandem_monitor_readings_total', { monitor: 'web_service', result: 'ok' }) > 0 && s;
    });
    assert.equal(
      value(alone, 'tandem_build_info', { version: VERSION, node_version: process.versions.node }),
      1,
    );
    assert.ok(value(alone, 'process_resident_memory_bytes') > 10e6, 'RSS in bytes');
    assert.ok(value(alone, 'process_cpu_seconds_total') > 0);
    assert.ok(value(alone, 'process_open_fds') > 3);
    const started = value(alone, 'process_start_time_seconds');
    assert.ok(Math.abs(Date.now() / 1000 - started) < 600, `start time ${started} is recent`);
    assert.ok(value(alone, 'nodejs_eventloop_lag_p99_seconds') >= 0);
    assert.equal(value(alone, 'tandem_keepalives_received_total', { path: 'lan' }), 0);
    assert.ok(value(alone, 'tandem_keepalives_sent_total', { path: 'lan' }) > 0);
    for (const reason of ['bad-mac', 'replayed', 'stale', 'wrong-pair', 'unknown-source'])
      assert.equal(value(alone, 'tandem_keepalives_rejected_total', { path: 'lan', reason }), 0, reason);
    assert.equal(value(alone, 'tandem_transitions_total', { from: 'active', to: 'fault' }), 0);
    assert.ok(value(alone, 'tandem_peer_silence_seconds', { path: 'lan' }) > 0, 'silence counts from start');
    assert.equal(value(alone, 'tandem_peer_alive'), 0);
    assert.equal(value(alone, 'tandem_ready'), 0);
    assert.equal(value(alone, 'tandem_readiness', { indicator: 'keepalive' }), 0);
    assert.equal(value(alone, 'tandem_state', { state: 'active' }), 1);
    assert.equal(value(alone, 'tandem_fit'), 1);
    assert.equal(value(alone, 'tandem_monitor_up', { monitor: 'web_service', kind: 'check' }), 1);
    assert.equal(
      value(alone, 'tandem_monitor_readings_total', { monitor: 'web_service', result: 'failed' }),
      0,
    );
    // The VIP action's name is `vip <interface> <address>`: its label has no spaces.
    const action = `vip_${lab.ifname}_${lab.vip}/24`;
    assert.equal(value(alone, 'tandem_actions_total', { action, verb: 'claim', outcome: 'ok' }), 1);
    assert.equal(value(alone, 'tandem_actions_total', { action, verb: 'release', outcome: 'failed' }), 0);
    assert.equal(
      value(alone, 'tandem_action_in_flight_seconds', { action, verb: 'claim', phase: 'idle' }),
      0,
    );
    assert.equal(
      value(alone, 'tandem_action_duration_seconds_count', { action, verb: 'release', outcome: 'ok' }),
      0,
    );

    // Every tandem family has a series from the start, and no label value holds white space.
    for (const [family] of [...alone.types].filter(([f]) => f.startsWith('tandem_') && !BY_CODE.has(f)))
      assert.ok(samplesOf(alone, family).length > 0, `${family} has no series yet`);
    for (const s of alone.samples)
      for (const [k, v] of Object.entries(s.labels)) assert.doesNotMatch(v, /\s/, `${s.name} ${k}="${v}"`);

    // A failing check: the monitor gauge drops, its failed readings count, the node is unfit.
    writeFileSync(failFile, '');
    const failing = await until('the check fails', async () => {
      const s = await scrape(lab, 'a');
      return value(s, 'tandem_monitor_up', { monitor: 'web_service', kind: 'check' }) === 0 && s;
    });
    assert.ok(
      value(failing, 'tandem_monitor_readings_total', { monitor: 'web_service', result: 'failed' }) > 0,
    );
    await until('a unfit', async () => value(await scrape(lab, 'a'), 'tandem_fit') === 0);
    rmSync(failFile);
    await until('a fit again', async () => value(await scrape(lab, 'a'), 'tandem_fit') === 1);

    // With its peer: Ready, each indicator 1, keepalives received.
    lab.startAgent('b');
    const ready = await until(
      'a reports Ready',
      async () => {
        const s = await scrape(lab, 'a');
        return value(s, 'tandem_ready') === 1 && s;
      },
      30_000,
    );
    for (const indicator of ['connected', 'keepalive', 'same_version'])
      assert.equal(value(ready, 'tandem_readiness', { indicator }), 1, indicator);
    assert.equal(value(ready, 'tandem_peer_alive'), 1);
    assert.ok(value(ready, 'tandem_keepalives_received_total', { path: 'lan' }) > 0);
    assert.ok(value(ready, 'tandem_peer_silence_seconds', { path: 'lan' }) < 5);
    const b = await scrape(lab, 'b');
    assert.equal(value(b, 'tandem_state', { state: 'standby' }), 1);
    assert.ok(value(b, 'tandem_in_state_seconds') >= 0);

    // log_format: ISO time and level names on every line.
    assert.ok(a.lines.length > 3);
    for (const line of a.lines) {
      assert.match(String(line.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, JSON.stringify(line));
      assert.ok(['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(String(line.level)));
    }
    // The default stays pino's: epoch milliseconds and level numbers.
    const bLine = (lab.agents[1]?.lines ?? [])[0];
    assert.equal(typeof bLine?.time, 'number');
    assert.equal(typeof bLine?.level, 'number');
    assert.ok(!existsSync(failFile));
  }));
