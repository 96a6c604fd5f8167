// Keepalive throughput: encode + sign a fresh packet, then verify + decode it through the replay guard.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  decodeKeepalive,
  encodeKeepalive,
  type Keepalive,
  newBootId,
  nodeIdOf,
  pairIdOf,
  ReplayGuard,
} from '../../src/wire/index.js';

const KEY = new Uint8Array(32).fill(7);
const BATCH = 256;

export function measureEncodeVerify(duration_ms: number): { encode_verify_per_s: number } {
  const pair_id = pairIdOf('bench-pair');
  const ctx = {
    key: KEY,
    pair_id,
    self_node_id: nodeIdOf('bench-self'),
    now_wall_ms: Date.now(),
    max_clock_skew_ms: 60_000,
    guard: new ReplayGuard(),
  };
  const k: Keepalive = {
    pair_id,
    node_id: nodeIdOf('bench-peer'),
    role: 'primary',
    state: 'active',
    priority: 200,
    flags: {
      relinquish: false,
      wan_ok: true,
      ha_port_ok: true,
      fit: true,
      takeover_request: false,
      peer_heard: true,
    },
    version: { major: 1, minor: 0, patch: 0 },
    interval_ms: 100,
    boot_id: newBootId(),
    seq: 0n,
    sent_at_ms: ctx.now_wall_ms,
  };
  let rounds = 0;
  const start = performance.now();
  let elapsed_ms = 0;
  // Time is read once per batch so the clock does not weigh on what is measured.
  while (elapsed_ms < duration_ms) {
    for (let i = 0; i < BATCH; i += 1) {
      k.seq += 1n;
      const result = decodeKeepalive(encodeKeepalive(k, KEY), ctx);
      if (!result.ok) throw new Error(`bench packet ${k.seq} refused: ${result.reason}`);
    }
    rounds += BATCH;
    elapsed_ms = performance.now() - start;
  }
  return { encode_verify_per_s: Math.round((rounds / elapsed_ms) * 1000) };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  measureEncodeVerify(200);
  const { encode_verify_per_s } = measureEncodeVerify(2_000);
  console.log('figure                     value      goal');
  console.log(`keepalive encode+verify/s  ${String(encode_verify_per_s).padEnd(10)} ≥ 50000`);
  console.log(JSON.stringify({ encode_verify_per_s }));
}
