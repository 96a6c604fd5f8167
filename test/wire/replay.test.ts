import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type DecodeContext,
  type DecodeResult,
  decodeKeepalive,
  encodeKeepalive,
  type KeepaliveBody,
  KeepaliveSealer,
  nodeIdOf,
  ReplayGuard,
} from '../../src/wire/index.js';
import { context, KEY, keepalive, NOW_MS, PAIR, PEER, SELF, SKEW_MS } from './fixtures.js';

const BOOT_1 = 0x1111n;
const BOOT_2 = 0x2222n;
const BOOT_3 = 0x3333n;

function packet(seq: bigint, boot_id = BOOT_1, sent_at_ms = NOW_MS, node_id = PEER): Buffer {
  return encodeKeepalive(keepalive({ seq, boot_id, sent_at_ms, node_id }), KEY);
}

function verdict(r: DecodeResult): string {
  return r.ok ? 'accepted' : r.reason;
}

function deliver(ctx: DecodeContext, ...packets: Buffer[]): string[] {
  return packets.map((p) => verdict(decodeKeepalive(p, ctx)));
}

describe('replay: within one boot', () => {
  it('accepts increasing sequence numbers, gaps included', () => {
    const ctx = context();
    assert.deepEqual(
      deliver(ctx, packet(1n), packet(2n), packet(5n), packet(1000n)),
      Array(4).fill('accepted'),
    );
  });

  it('refuses a packet it already accepted', () => {
    const ctx = context();
    assert.deepEqual(deliver(ctx, packet(1n), packet(2n), packet(2n), packet(1n)), [
      'accepted',
      'accepted',
      'replayed',
      'replayed',
    ]);
  });

  it('accepts a packet reordered within the window exactly once (copies on several paths)', () => {
    const ctx = context();
    assert.deepEqual(deliver(ctx, packet(10n), packet(7n), packet(9n), packet(7n), packet(8n), packet(9n)), [
      'accepted',
      'accepted',
      'accepted',
      'replayed',
      'accepted',
      'replayed',
    ]);
  });

  it('keeps 64 sequence numbers: 63 behind is still in the window, 64 behind is stale', () => {
    const ctx = context();
    assert.deepEqual(deliver(ctx, packet(100n), packet(37n), packet(36n), packet(37n)), [
      'accepted',
      'accepted',
      'stale',
      'replayed',
    ]);
  });

  it('moves the window on a jump: what fell out is stale, what stayed is remembered', () => {
    const ctx = context();
    assert.deepEqual(
      deliver(ctx, packet(1n), packet(2n), packet(60n), packet(2n), packet(130n), packet(60n)),
      ['accepted', 'accepted', 'accepted', 'replayed', 'accepted', 'stale'],
    );
    assert.deepEqual(deliver(ctx, packet(129n), packet(67n), packet(66n)), ['accepted', 'accepted', 'stale']);
  });

  it('does not check the send time within a boot (the sequence number proves freshness)', () => {
    const ctx = context();
    deliver(ctx, packet(1n));
    assert.deepEqual(deliver(ctx, packet(2n, BOOT_1, NOW_MS - 3_600_000)), ['accepted']);
  });
});

describe('replay: boots', () => {
  it('refuses a first packet sent outside the allowed clock skew, either way', () => {
    const ctx = context();
    assert.deepEqual(
      deliver(ctx, packet(1n, BOOT_1, NOW_MS - SKEW_MS - 1), packet(1n, BOOT_1, NOW_MS + SKEW_MS + 1)),
      ['stale', 'stale'],
    );
    assert.deepEqual(deliver(ctx, packet(1n, BOOT_1, NOW_MS - SKEW_MS)), ['accepted']);
  });

  it('accepts a restarted peer, whatever its new sequence number, when its send time is fresh', () => {
    const ctx = context();
    deliver(ctx, packet(500n));
    assert.deepEqual(deliver(ctx, packet(1n, BOOT_2, NOW_MS + 900), packet(2n, BOOT_2, NOW_MS + 950)), [
      'accepted',
      'accepted',
    ]);
  });

  it('refuses a new boot id with an old send time: a recording of a life we never saw', () => {
    const ctx = context();
    deliver(ctx, packet(1n));
    assert.deepEqual(deliver(ctx, packet(1n, BOOT_2, NOW_MS - 60_000)), ['stale']);
    assert.deepEqual(deliver(ctx, packet(2n)), ['accepted']);
  });

  it('refuses packets of a retired boot id even when fresh: a dead life cannot come back', () => {
    const ctx = context();
    deliver(ctx, packet(1n), packet(2n));
    deliver(ctx, packet(1n, BOOT_2, NOW_MS + 900));
    assert.deepEqual(deliver(ctx, packet(3n, BOOT_1, NOW_MS + 1000), packet(2n, BOOT_2, NOW_MS + 1000)), [
      'replayed',
      'accepted',
    ]);
    const [sender] = ctx.guard.snapshot();
    assert.deepEqual(sender?.retired_boot_ids, [BOOT_1]);
  });

  it('with max_clock_skew_ms 0 accepts a new boot id whatever its send time', () => {
    const ctx = context({ max_clock_skew_ms: 0 });
    assert.deepEqual(deliver(ctx, packet(1n, BOOT_1, 0), packet(1n, BOOT_2, 1)), ['accepted', 'accepted']);
  });

  it('fails closed on a nonsensical skew allowance', () => {
    const ctx = context({ max_clock_skew_ms: Number.NaN });
    assert.deepEqual(deliver(ctx, packet(1n)), ['stale']);
  });

  it('cannot keep a dead peer alive: replaying everything it ever sent, in any order, is refused', () => {
    const ctx = context();
    const recorded: Buffer[] = [];
    for (const [boot, count, life] of [
      [BOOT_1, 40n, 0],
      [BOOT_2, 100n, 1],
      [BOOT_3, 100n, 2],
    ] as const)
      for (let seq = 1n; seq <= count; seq += 1n) {
        const p = packet(seq, boot, NOW_MS + life * 200 + Number(seq));
        recorded.push(p);
        assert.equal(verdict(decodeKeepalive(p, ctx)), 'accepted');
      }
    // The peer is gone; the attacker replays its recordings, late and shuffled.
    const later = { ...ctx, now_wall_ms: NOW_MS + 2_000 };
    const shuffled = recorded
      .map((p, i) => ({ p, k: (i * 7919) % recorded.length }))
      .sort((a, b) => a.k - b.k);
    const tally = new Map<string, number>();
    for (const { p } of shuffled) {
      const v = verdict(decodeKeepalive(p, later));
      tally.set(v, (tally.get(v) ?? 0) + 1);
    }
    assert.equal(tally.get('accepted'), undefined);
    assert.deepEqual([...tally.keys()].sort(), ['replayed', 'stale']);
  });
});

describe('replay: across our restart', () => {
  /** The peer's stream: `count` packets of one boot, one every 50 ms from `from_ms`. */
  function stream(boot: bigint, from_ms: number, count: number): Buffer[] {
    return Array.from({ length: count }, (_, i) => packet(BigInt(i + 1), boot, from_ms + i * 50));
  }

  it("a recording of the peer's previous boot, replayed after we restart, never retires its current boot", () => {
    // The attacker recorded the peer's first life; the peer restarted 1 s later, then so did we.
    const previous = stream(BOOT_1, NOW_MS - 3000, 40);
    const current = stream(BOOT_2, NOW_MS - 1000, 60);
    const ctx = context({ now_wall_ms: NOW_MS });
    const verdicts: string[][] = [[], []];
    for (let i = 0; i < current.length; i++) {
      ctx.now_wall_ms = NOW_MS + i * 50;
      verdicts[0]!.push(...deliver(ctx, current[i]!));
      // Each recorded packet is well within the clock skew allowance: only its age betrays it.
      verdicts[1]!.push(...deliver(ctx, previous[i % previous.length]!));
    }
    assert.deepEqual(new Set(verdicts[0]), new Set(['accepted']), 'the genuine stream stays accepted');
    assert.deepEqual(new Set(verdicts[1]), new Set(['replayed']));
    assert.equal(ctx.guard.snapshot()[0]?.boot_id, BOOT_2);
  });

  it('a genuine restart of the peer is still accepted at once', () => {
    const ctx = context();
    deliver(ctx, ...stream(BOOT_1, NOW_MS - 1000, 10));
    assert.deepEqual(deliver(ctx, packet(1n, BOOT_2, NOW_MS)), ['accepted']);
  });

  it('a peer whose clock stepped back across its restart is accepted once its stamps pass its old life', () => {
    // Its clock ran 3 s ahead (within the allowance), and was corrected when it restarted.
    const ctx = context();
    deliver(ctx, packet(1n, BOOT_1, NOW_MS + 3000));
    ctx.now_wall_ms = NOW_MS + 1000;
    assert.deepEqual(
      deliver(ctx, packet(1n, BOOT_2, NOW_MS + 1000)),
      ['replayed'],
      'indistinguishable from a recording',
    );
    ctx.now_wall_ms = NOW_MS + 3001;
    assert.deepEqual(
      deliver(ctx, packet(2n, BOOT_2, NOW_MS + 3001)),
      ['accepted'],
      'at most the allowance later',
    );
  });

  it('with max_clock_skew_ms 0 a new boot is accepted as soon as the current one pauses (no clock to trust)', () => {
    const ctx = context({ max_clock_skew_ms: 0 });
    deliver(ctx, packet(1n, BOOT_1, NOW_MS + 60_000));
    ctx.now_wall_ms = NOW_MS + 1;
    assert.deepEqual(deliver(ctx, packet(1n, BOOT_2, NOW_MS)), ['accepted']);
  });
});

describe('replay: the guard', () => {
  it('is unchanged by every kind of rejected packet', () => {
    const ctx = context();
    deliver(ctx, packet(100n), packet(98n));
    deliver(ctx, packet(1n, BOOT_2, NOW_MS, nodeIdOf('node-c')));
    const before = ctx.guard.snapshot();
    const rejects = [
      packet(100n), // replayed
      packet(98n), // replayed in the window
      packet(10n), // stale, behind the window
      packet(1n, BOOT_3, NOW_MS - 60_000), // stale new boot
      packet(1n, BOOT_2, NOW_MS - 60_000, nodeIdOf('node-d')), // stale first contact
      encodeKeepalive(keepalive({ seq: 101n, pair_id: PAIR + 1n }), KEY), // wrong pair
      encodeKeepalive(keepalive({ seq: 101n, node_id: SELF }), KEY), // own
      packet(101n).fill(0, 70), // bad mac
      packet(101n).subarray(0, 50), // truncated
    ];
    for (const p of rejects) assert.notEqual(verdict(decodeKeepalive(p, ctx)), 'accepted');
    assert.deepEqual(ctx.guard.snapshot(), before);
    assert.deepEqual(deliver(ctx, packet(101n), packet(99n)), ['accepted', 'accepted']);
  });

  it('keeps each sender apart', () => {
    const ctx = context();
    const c = nodeIdOf('node-c');
    assert.deepEqual(
      deliver(ctx, packet(5n), packet(5n, BOOT_2, NOW_MS, c), packet(4n), packet(5n, BOOT_2, NOW_MS, c)),
      ['accepted', 'accepted', 'accepted', 'replayed'],
    );
  });

  it('remembers at most max_senders senders, forgetting the least recently heard', () => {
    const ctx = context({ guard: new ReplayGuard({ max_senders: 2 }) });
    const [a, b, c] = ['n1', 'n2', 'n3'].map(nodeIdOf) as [number, number, number];
    deliver(ctx, packet(1n, BOOT_1, NOW_MS, a), packet(1n, BOOT_1, NOW_MS, b), packet(2n, BOOT_1, NOW_MS, a));
    deliver(ctx, packet(1n, BOOT_1, NOW_MS, c));
    assert.deepEqual(
      ctx.guard.snapshot().map((s) => s.node_id),
      [a, c],
    );
  });

  it('remembers at most max_retired_boot_ids earlier boots per sender', () => {
    const ctx = context({ guard: new ReplayGuard({ max_retired_boot_ids: 2 }) });
    for (const boot of [1n, 2n, 3n, 4n]) deliver(ctx, packet(1n, boot, NOW_MS + Number(boot)));
    assert.deepEqual(ctx.guard.snapshot()[0]?.retired_boot_ids, [2n, 3n]);
    // Boot 1 is forgotten: only the clock now stands between its recordings and acceptance.
    assert.deepEqual(deliver(ctx, packet(2n, 1n, NOW_MS - 60_000), packet(2n, 2n)), ['stale', 'replayed']);
  });

  it('forgets a sender on request', () => {
    const ctx = context();
    deliver(ctx, packet(1n));
    ctx.guard.forget(PEER);
    assert.deepEqual(ctx.guard.snapshot(), []);
  });

  it('refuses nonsensical limits', () => {
    assert.throws(() => new ReplayGuard({ max_senders: 0 }), /max_senders/);
    assert.throws(() => new ReplayGuard({ max_retired_boot_ids: 1.5 }), /max_retired_boot_ids/);
  });
});

describe('sealer', () => {
  const body: KeepaliveBody = (({ pair_id, node_id, boot_id, seq, sent_at_ms, ...rest }) => rest)(
    keepalive(),
  );

  it('numbers packets 1, 2, 3 under one boot id, stamping the send time', () => {
    const sealer = new KeepaliveSealer(KEY, { pair_id: PAIR, node_id: PEER, boot_id: BOOT_1 });
    const ctx = context();
    const decoded = [0, 1, 2].map((i) => decodeKeepalive(sealer.seal(body, NOW_MS + i), ctx));
    assert.deepEqual(
      decoded.map((r) => (r.ok ? [r.packet.boot_id, r.packet.seq, r.packet.sent_at_ms] : r.reason)),
      [
        [BOOT_1, 1n, NOW_MS],
        [BOOT_1, 2n, NOW_MS + 1],
        [BOOT_1, 3n, NOW_MS + 2],
      ],
    );
    assert.equal(sealer.last_seq, 3n);
  });

  it('takes a fresh boot id per instance, so a restart is seen as one', () => {
    const first = new KeepaliveSealer(KEY, { pair_id: PAIR, node_id: PEER });
    const second = new KeepaliveSealer(KEY, { pair_id: PAIR, node_id: PEER });
    assert.notEqual(first.boot_id, second.boot_id);
    const ctx = context();
    assert.deepEqual(
      deliver(ctx, first.seal(body, NOW_MS), second.seal(body, NOW_MS + 1), first.seal(body, NOW_MS + 2)),
      ['accepted', 'accepted', 'replayed'],
    );
  });

  it('does not use up a sequence number on a refused field', () => {
    const sealer = new KeepaliveSealer(KEY, { pair_id: PAIR, node_id: PEER });
    assert.throws(() => sealer.seal({ ...body, priority: 300 }, NOW_MS), { code: 'WIRE_FIELD_INVALID' });
    assert.equal(sealer.last_seq, 0n);
  });

  it('refuses a short key', () => {
    assert.throws(() => new KeepaliveSealer(new Uint8Array(8), { pair_id: PAIR, node_id: PEER }), {
      code: 'PAIR_KEY_INVALID',
    });
  });
});
