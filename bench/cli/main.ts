// Start time and peak RSS of the built CLI, as an operator runs it: `tandem --version` and
// `tandem agent --check` on a LAN config. Median of RUNS runs each; RSS from /usr/bin/time (%M, KiB).
// Goals (issue 15): --version ≤ 150 ms and ≤ 60 MB; agent --check ≤ 300 ms and ≤ 80 MB.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = Number(process.env.RUNS ?? 15);
const BIN = new URL('../../bin/tandem.js', import.meta.url).pathname;

interface Sample {
  readonly ms: number;
  readonly rss_mb: number;
}

function once(args: readonly string[], script: string | null = BIN): Sample {
  const started = performance.now();
  const argv = script === null ? [process.execPath, ...args] : [process.execPath, script, ...args];
  const out = spawnSync('/usr/bin/time', ['-f', '%M', ...argv], { encoding: 'utf8' });
  const ms = performance.now() - started;
  if (out.status !== 0) throw new Error(`tandem ${args.join(' ')} failed: ${out.stderr}`);
  const kib = Number(out.stderr.trim().split('\n').at(-1));
  return { ms, rss_mb: kib / 1024 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function measure(args: readonly string[], script: string | null = BIN): Sample {
  once(args, script); // warm the page cache
  const samples = Array.from({ length: RUNS }, () => once(args, script));
  return { ms: median(samples.map((s) => s.ms)), rss_mb: median(samples.map((s) => s.rss_mb)) };
}

if (!existsSync(new URL('../../dist/cli/main.js', import.meta.url))) {
  console.error('bench:cli measures the built CLI: run `npm run build` first');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-cli-'));
try {
  writeFileSync(join(dir, 'pair.key'), randomBytes(32).toString('base64'), { mode: 0o600 });
  const config = join(dir, 'node.yaml');
  writeFileSync(
    config,
    `pair: bench
node: a
role: primary
pair_key_file: pair.key
paths: [{ name: lan, local_address: 10.0.0.1, peer_address: 10.0.0.2 }]
monitors: [{ kind: check, name: svc, command: "true" }]
actions: [{ kind: vip, interface: eth0, address: 10.0.0.100/24 }]
notify: { commands: ['logger "$@"'] }
`,
  );
  // Node's own start on this host, for scale: a loaded shared host slows every start alike.
  const bare = measure(['-e', '0'], null);
  const version = measure(['--version']);
  const check = measure(['agent', '--config', config, '--check']);
  const rows = [
    ['command', 'median ms', 'median RSS MB', 'goal'],
    ['node -e 0 (baseline)', bare.ms.toFixed(0), bare.rss_mb.toFixed(1), ''],
    ['tandem --version', version.ms.toFixed(0), version.rss_mb.toFixed(1), '≤ 150 ms, ≤ 60 MB'],
    ['tandem agent --check', check.ms.toFixed(0), check.rss_mb.toFixed(1), '≤ 300 ms, ≤ 80 MB'],
  ];
  for (const r of rows)
    console.log(`${r[0]!.padEnd(22)} ${r[1]!.padStart(10)} ${r[2]!.padStart(14)}   ${r[3]}`);
  console.log(`(${RUNS} runs each, Node ${process.versions.node})`);
  console.log(
    JSON.stringify({
      runs: RUNS,
      node_baseline_ms: Math.round(bare.ms),
      version_ms: Math.round(version.ms),
      version_rss_mb: Number(version.rss_mb.toFixed(1)),
      check_ms: Math.round(check.ms),
      check_rss_mb: Number(check.rss_mb.toFixed(1)),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
