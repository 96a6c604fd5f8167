import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  type DecodeResult,
  decodeKeepalive,
  REJECT_REASONS,
  type RejectReason,
} from '../../src/wire/index.js';
import { type FuzzCase, FuzzWorld, Rng } from './fuzz-world.js';

const SEED =
  process.env.FUZZ_SEED === undefined ? (Math.random() * 2 ** 32) >>> 0 : Number(process.env.FUZZ_SEED);
const PACKETS = Number(process.env.FUZZ_PACKETS ?? 120_000);

/** One step of the world: a few cases of a randomly chosen kind. */
function nextCases(world: FuzzWorld): FuzzCase[] {
  world.tick();
  const roll = world.rng.next();
  if (roll < 0.002) {
    world.restart();
    return world.genuineBatch();
  }
  if (roll < 0.2) return world.genuineBatch();
  if (roll < 0.35) return [world.random()];
  if (roll < 0.45) return [world.randomFramed()];
  if (roll < 0.65) return [world.mutated()].filter((c) => c !== null);
  if (roll < 0.75) return [world.wrongKey()];
  if (roll < 0.88) return [world.replay()].filter((c) => c !== null);
  return [world.keyedInvalid()];
}

function check(c: FuzzCase, r: DecodeResult, accepted: Set<string>): void {
  if (r.ok) {
    assert.equal(c.expect.kind, 'accept', `${c.name} packet accepted`);
    assert.ok(c.expect.kind === 'accept');
    assert.deepEqual(r.packet, c.expect.packet);
    const id = `${r.packet.boot_id}:${r.packet.seq}`;
    assert.ok(!accepted.has(id), `packet ${id} accepted twice`);
    accepted.add(id);
    return;
  }
  assert.ok(REJECT_REASONS.includes(r.reason), `unknown reason ${r.reason}`);
  assert.notEqual(c.expect.kind, 'accept', `genuine fresh packet refused: ${r.reason} ${r.detail ?? ''}`);
  if (c.expect.kind === 'reject')
    assert.ok(
      c.expect.reasons.includes(r.reason),
      `${c.name} rejected as ${r.reason}, expected ${c.expect.reasons}`,
    );
}

function decodeOrFail(c: FuzzCase, world: FuzzWorld, n: number): DecodeResult {
  try {
    return decodeKeepalive(c.bytes, world.ctx);
  } catch (e) {
    assert.fail(`decode threw on packet ${n} (${c.name}, FUZZ_SEED=${SEED}): ${String(e)}`);
  }
}

function printTallies(byReason: Map<string, number>, byCase: Map<string, number>): void {
  const rows = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${k.padEnd(32)} ${v}`);
  console.log(['outcome by reason:', ...rows(byReason), 'outcome by case:', ...rows(byCase)].join('\n'));
}

it(`decoder fuzz: ${PACKETS} random, mutated, forged and replayed packets (FUZZ_SEED=${SEED})`, () => {
  console.log(`fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED}), ${PACKETS} packets`);
  const world = new FuzzWorld(new Rng(SEED));
  const byReason = new Map<string, number>();
  const byCase = new Map<string, number>();
  const accepted = new Set<string>();
  let n = 0;
  while (n < PACKETS)
    for (const c of nextCases(world)) {
      n += 1;
      const r = decodeOrFail(c, world, n);
      try {
        check(c, r, accepted);
      } catch (e) {
        throw new Error(`packet ${n} (${c.name}) with FUZZ_SEED=${SEED}: ${(e as Error).message}`);
      }
      const outcome = r.ok ? 'accepted' : r.reason;
      byReason.set(outcome, (byReason.get(outcome) ?? 0) + 1);
      byCase.set(`${c.name} → ${outcome}`, (byCase.get(`${c.name} → ${outcome}`) ?? 0) + 1);
    }
  printTallies(byReason, byCase);
  assert.equal(
    [...byReason.values()].reduce((a, b) => a + b, 0),
    n,
  );
  assert.equal(byReason.get('accepted'), accepted.size);
  if (PACKETS >= 10_000) {
    const missing = REJECT_REASONS.filter((reason: RejectReason) => !byReason.has(reason));
    assert.deepEqual(missing, [], 'every reject reason occurs in a run this long');
  }
});
