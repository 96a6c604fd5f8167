// npm run bench:core — how fast the pure state machine steps and a keepalive is sealed and verified.
// Both are far above what a pair at a 20 ms interval needs (≈ 100 steps/s and 100 packets/s per node).
import { performance } from 'node:perf_hooks';
import { initialState, step } from '../../src/core/machine.js';
import type { Advert, CoreConfig, Input } from '../../src/core/types.js';
import { peerAdvert, SECONDARY } from '../../test/core/fixture.js';
import { PairWorld } from '../../test/helpers/pair-sim.js';
import { Rng } from '../../test/helpers/rng.js';
import { measureEncodeVerify } from './encode-verify.js';

const DURATION_MS = Number(process.env.BENCH_MS ?? 3000);

const config: CoreConfig = { ...SECONDARY, interval_ms: 20, paths: ['lan', 'ha'] };
const peer: Advert = peerAdvert({
  node_id: 1,
  role: 'primary',
  priority: 200,
  state: 'active',
  interval_ms: 20,
});

/** One machine fed the inputs of a steady pair: keepalives on two paths, ticks, now and then a WAN flap. */
function machineAlone(duration_ms: number): number {
  const inputs: Input[] = [
    { kind: 'keepalive', path: 'lan', advert: peer },
    { kind: 'keepalive', path: 'ha', advert: peer },
    { kind: 'tick' },
  ];
  let s = step(initialState(config), { kind: 'start' }, 0).state;
  let now = 0;
  let steps = 0;
  const end = performance.now() + duration_ms;
  while (performance.now() < end) {
    for (let i = 0; i < 10_000; i++) {
      now += 7;
      const input = i % 997 === 0 ? { kind: 'wan' as const, ok: i % 2 === 0 } : inputs[i % 3]!;
      s = step(s, input, now).state;
    }
    steps += 10_000;
  }
  return steps / (duration_ms / 1000);
}

/** Two machines over a simulated lossy network, with the world's own overhead included. */
function pairWorld(duration_ms: number): number {
  const rng = new Rng(42);
  const w = new PairWorld(rng, [{ ...config, node_id: 1, role: 'primary' }, config], 2);
  for (const d of [0, 1]) w.links[d]!.lan!.loss = 0.05;
  w.boot(0);
  w.boot(1);
  const start = performance.now();
  while (performance.now() - start < duration_ms) w.runUntil(w.now + 10_000);
  return w.steps / ((performance.now() - start) / 1000);
}

const alone = machineAlone(DURATION_MS);
const pair = pairWorld(DURATION_MS);
const { encode_verify_per_s } = measureEncodeVerify(DURATION_MS);

const rows: [string, number, number][] = [
  ['core steps/s (one machine)', alone, 300_000],
  ['core steps/s (pair over a simulated network)', pair, 300_000],
  ['keepalive encode+verify/s', encode_verify_per_s, 50_000],
];
console.log(`${'measure'.padEnd(46)} ${'figure'.padStart(12)} ${'goal'.padStart(10)} ${'ratio'.padStart(7)}`);
for (const [name, figure, goal] of rows) {
  console.log(
    `${name.padEnd(46)} ${Math.round(figure).toLocaleString('en').padStart(12)} ${goal.toLocaleString('en').padStart(10)} ${(figure / goal).toFixed(1).padStart(6)}×`,
  );
}
console.log(
  JSON.stringify({
    steps_per_s: Math.round(alone),
    pair_steps_per_s: Math.round(pair),
    encode_verify_per_s: Math.round(encode_verify_per_s),
  }),
);
