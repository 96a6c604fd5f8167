// How many ReplaceRoute calls per second the simulator sustains through @aws-sdk/client-ec2, so it never becomes
// the bottleneck of a failover benchmark. Prints a table, then one JSON line of figures.
import { DescribeRouteTablesCommand, EC2Client, ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import { startSim } from '../../src/sim/server.js';

const SCENARIO = new URL('../../examples/sim-pair.yaml', import.meta.url).pathname;
const RTB = 'rtb-0a1b2c3d4e5f60001';
const ENIS = ['eni-0a1b2c3d4e5f6000a', 'eni-0a1b2c3d4e5f6000b'];
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const CONCURRENCY = [1, 8, 32];

interface Result {
  name: string;
  in_flight: number;
  calls: number;
  errors: number;
  per_s: number;
  p50_ms: number;
  p99_ms: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function run(name: string, in_flight: number, call: (i: number) => Promise<unknown>): Promise<Result> {
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  const start = performance.now();
  const end = start + DURATION_MS;
  await Promise.all(
    Array.from({ length: in_flight }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await call(n++);
          latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed_s = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    name,
    in_flight,
    calls: latencies.length,
    errors,
    per_s: Math.round(latencies.length / elapsed_s),
    p50_ms: Number(quantile(latencies, 0.5).toFixed(2)),
    p99_ms: Number(quantile(latencies, 0.99).toFixed(2)),
  };
}

const sim = await startSim({ scenario: SCENARIO });
try {
  const id = sim.iam.byName('node-a')!;
  const client = new EC2Client({
    region: sim.region,
    endpoint: sim.aws_url,
    maxAttempts: 1,
    credentials: { accessKeyId: id.aws_access_key_id, secretAccessKey: id.aws_secret_access_key },
  });
  const replace = (i: number) =>
    client.send(
      new ReplaceRouteCommand({
        RouteTableId: RTB,
        DestinationCidrBlock: '0.0.0.0/0',
        NetworkInterfaceId: ENIS[i % 2],
      }),
    );
  await run('warm-up', 4, replace);
  sim.calls.clear();
  const results: Result[] = [];
  for (const c of CONCURRENCY) results.push(await run('ReplaceRoute', c, replace));
  results.push(
    await run('DescribeRouteTables', 8, () =>
      client.send(new DescribeRouteTablesCommand({ RouteTableIds: [RTB] })),
    ),
  );
  const recorded = sim.calls
    .list({ action: 'ReplaceRoute' })
    .map((c) => c.duration_ms)
    .sort((a, b) => a - b);

  console.log(`simulator throughput through @aws-sdk/client-ec2, ${DURATION_MS} ms per row, one process`);
  console.log('call                  in flight     calls  errors     per s   p50 ms   p99 ms');
  for (const r of results) {
    console.log(
      `${r.name.padEnd(20)} ${String(r.in_flight).padStart(10)} ${String(r.calls).padStart(9)} ${String(r.errors).padStart(7)} ${String(r.per_s).padStart(9)} ${r.p50_ms.toFixed(2).padStart(8)} ${r.p99_ms.toFixed(2).padStart(8)}`,
    );
  }
  console.log(
    `server-side ReplaceRoute handling (recorded): p50 ${quantile(recorded, 0.5).toFixed(3)} ms, p99 ${quantile(recorded, 0.99).toFixed(3)} ms`,
  );
  const replaceRows = results.filter((r) => r.name === 'ReplaceRoute');
  const best = replaceRows.reduce((a, b) => (b.per_s > a.per_s ? b : a));
  const byConcurrency = Object.fromEntries(
    replaceRows.map((r) => [`replace_route_per_s_c${r.in_flight}`, r.per_s]),
  );
  console.log(
    JSON.stringify({
      replace_route_per_s: best.per_s,
      replace_route_best_in_flight: best.in_flight,
      ...byConcurrency,
      replace_route_p50_ms_c1: replaceRows[0]!.p50_ms,
      describe_route_tables_per_s_c8: results.at(-1)!.per_s,
      server_replace_route_p50_ms: Number(quantile(recorded, 0.5).toFixed(3)),
      errors: results.reduce((s, r) => s + r.errors, 0),
    }),
  );
} finally {
  await sim.close();
}
