// A real `tandem pathwatch` process, scraped over HTTP: it shares the agent's build info, process and
// event-loop metrics and log format, and has every path's and target's series at zero from the start.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { VERSION } from '../../src/cli/version.js';
import { ENI_VPN, keysOf, ONPREM, RTB_1, startPathSim } from './fixtures.js';

const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tandem-pw-metrics-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function until<T>(what: string, probe: () => Promise<T | null>, timeout_ms = 30_000): Promise<T> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const v = await probe().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('pathwatch /metrics: build info, process and loop metrics, zero series per path and target; ISO log lines', async () => {
  const sim = await startPathSim();
  const port = 30000 + Math.floor(Math.random() * 20000);
  const file = join(dir, 'pw.yaml');
  writeFileSync(
    file,
    `name: pw-metrics
primary:
  targets: [{ kind: icmp, address: 127.0.0.1 }, { kind: tcp, address: 127.0.0.1, port: 9 }]
  interval_ms: 60000
routes:
  - kind: aws-route-table
    route_tables: [${RTB_1}]
    destinations: [${ONPREM}]
    eni_id: ${ENI_VPN}
    region: us-east-1
    endpoint: ${sim.aws_url}
status: { listen: "127.0.0.1:${port}" }
log_format: { time: iso, level: name }
`,
  );
  const keys = keysOf(sim);
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'pathwatch', '--config', file], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  const exited = new Promise((r) => child.once('exit', r));
  try {
    const text = await until('metrics', async () => {
      const r = await fetch(`http://127.0.0.1:${port}/metrics`);
      return r.ok ? r.text() : null;
    });
    assert.ok(
      text.includes(`tandem_build_info{version="${VERSION}",node_version="${process.versions.node}"} 1`),
      text.slice(0, 500),
    );
    for (const name of [
      'process_resident_memory_bytes',
      'process_cpu_seconds_total',
      'process_open_fds',
      'process_start_time_seconds',
      'nodejs_eventloop_lag_p99_seconds',
    ])
      assert.match(text, new RegExp(`^${name} \\d`, 'm'), name);
    // Before the first round has finished (60 s apart; the first may still run): the series exist.
    assert.match(text, /^tandem_pathwatch_probes_sent_total\{path="primary",target="127\.0\.0\.1:9"\} \d/m);
    assert.match(text, /^tandem_pathwatch_probes_lost_total\{path="primary",target="127\.0\.0\.1"\} \d/m);
    assert.match(text, /^tandem_pathwatch_switches_total\{op="failover",outcome="failed"\} 0$/m);
    assert.match(text, /^tandem_pathwatch_switch_seconds_count\{op="failback"\} 0$/m);
    assert.match(text, /^tandem_pathwatch_path_up\{path="primary"\} \d/m);
    assert.doesNotMatch(text, /="[^"]*\s[^"]*"/, 'no label value holds white space');
    const lines = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { time: unknown; level: unknown });
    assert.ok(lines.length > 0);
    for (const l of lines) {
      assert.match(String(l.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(typeof l.level, 'string');
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
    await sim.close();
  }
});
