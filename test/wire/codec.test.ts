import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  type DecodeResult,
  decodeKeepalive,
  encodeKeepalive,
  type Keepalive,
  newBootId,
  nodeIdOf,
  PACKET_BYTES_V1,
  pairIdOf,
  REJECT_REASONS,
  ReplayGuard,
  type WireFlags,
  type WireRole,
  type WireState,
} from '../../src/wire/index.js';
import {
  context,
  KEY,
  keepalive,
  MAC_OFFSET,
  NOW_MS,
  PAIR,
  PEER,
  resign,
  SELF,
  WRONG_KEY,
} from './fixtures.js';

function accepted(result: DecodeResult): Keepalive {
  if (!result.ok) assert.fail(`expected acceptance, got ${result.reason} (${result.detail ?? ''})`);
  return result.packet;
}

function rejected(result: DecodeResult) {
  assert.equal(result.ok, false, 'expected a rejection');
  assert.ok(!result.ok);
  return result;
}

describe('wire: round trip', () => {
  it('decodes every field exactly as encoded', () => {
    const k = keepalive();
    assert.deepEqual(accepted(decodeKeepalive(encodeKeepalive(k, KEY), context())), k);
  });

  it('carries the largest value of every field', () => {
    const k = keepalive({
      pair_id: (1n << 64n) - 1n,
      node_id: 0xffff_ffff,
      priority: 255,
      flags: {
        relinquish: true,
        wan_ok: true,
        ha_port_ok: true,
        fit: true,
        takeover_request: true,
        peer_heard: true,
      },
      version: { major: 65535, minor: 65535, patch: 65535 },
      interval_ms: 0xffff_ffff,
      boot_id: (1n << 64n) - 1n,
      seq: (1n << 64n) - 1n,
      sent_at_ms: Number.MAX_SAFE_INTEGER,
    });
    const ctx = context({ pair_id: k.pair_id, max_clock_skew_ms: 0 });
    assert.deepEqual(accepted(decodeKeepalive(encodeKeepalive(k, KEY), ctx)), k);
  });

  it('carries the smallest value of every field', () => {
    const k = keepalive({
      pair_id: 0n,
      node_id: 0,
      priority: 0,
      flags: {
        relinquish: false,
        wan_ok: false,
        ha_port_ok: false,
        fit: false,
        takeover_request: false,
        peer_heard: false,
      },
      version: { major: 0, minor: 0, patch: 0 },
      interval_ms: 1,
      boot_id: 0n,
      seq: 0n,
      sent_at_ms: 0,
    });
    const ctx = context({ pair_id: 0n, max_clock_skew_ms: 0 });
    assert.deepEqual(accepted(decodeKeepalive(encodeKeepalive(k, KEY), ctx)), k);
  });

  it('keeps each flag apart from the others', () => {
    const names: (keyof WireFlags)[] = [
      'relinquish',
      'wan_ok',
      'ha_port_ok',
      'fit',
      'takeover_request',
      'peer_heard',
    ];
    for (const [i, name] of names.entries()) {
      const flags = Object.fromEntries(names.map((n) => [n, n === name])) as unknown as WireFlags;
      const k = keepalive({ flags, seq: BigInt(i + 1) });
      assert.deepEqual(accepted(decodeKeepalive(encodeKeepalive(k, KEY), context())).flags, flags);
    }
  });

  it('carries every role and state', () => {
    const roles: WireRole[] = ['primary', 'secondary'];
    const states: WireState[] = ['init', 'standby', 'active', 'fault', 'maintenance', 'disabled'];
    const ctx = context();
    let seq = 0n;
    for (const role of roles)
      for (const state of states) {
        seq += 1n;
        const p = accepted(decodeKeepalive(encodeKeepalive(keepalive({ role, state, seq }), KEY), ctx));
        assert.deepEqual([p.role, p.state], [role, state]);
      }
  });

  it('reads a packet that sits at an odd offset inside a larger buffer', () => {
    const packet = encodeKeepalive(keepalive(), KEY);
    const big = Buffer.alloc(packet.length + 10, 0xaa);
    packet.copy(big, 3);
    const view = new Uint8Array(big.buffer, big.byteOffset + 3, packet.length);
    assert.deepEqual(accepted(decodeKeepalive(view, context())), keepalive());
  });
});

describe('wire: byte layout (docs/wire.md)', () => {
  it('puts each field at its documented offset, big-endian', () => {
    const k = keepalive({
      boot_id: 0x0102030405060708n,
      seq: 0x1112131415161718n,
      sent_at_ms: 0x0000_0102_0304_0506,
    });
    const b = encodeKeepalive(k, KEY);
    assert.equal(b.length, 76);
    assert.equal(PACKET_BYTES_V1, 76);
    assert.equal(b.subarray(0, 4).toString('latin1'), 'TNDM');
    assert.deepEqual([b[4], b[5], b.readUInt16BE(6)], [1, 0, 76]);
    assert.equal(b.readBigUInt64BE(8), PAIR);
    assert.equal(b.readUInt32BE(16), PEER);
    assert.deepEqual([b[20], b[21], b[22], b[23]], [2, 2, 100, 0]);
    assert.equal(b.readUInt16BE(24), 0b10_1110); // wan_ok, ha_port_ok, fit, peer_heard
    assert.deepEqual([b.readUInt16BE(26), b.readUInt16BE(28), b.readUInt16BE(30)], [1, 4, 2]);
    assert.equal(b.readUInt32BE(32), 1000);
    assert.equal(b.readBigUInt64BE(36), 0x0102030405060708n);
    assert.equal(b.readBigUInt64BE(44), 0x1112131415161718n);
    assert.equal(b.readBigUInt64BE(52), 0x0000_0102_0304_0506n);
  });

  it('ends with HMAC-SHA-256 of everything before it, truncated to 128 bits', () => {
    const b = encodeKeepalive(keepalive(), KEY);
    const mac = createHmac('sha256', KEY).update(b.subarray(0, MAC_OFFSET)).digest().subarray(0, 16);
    assert.deepEqual(b.subarray(MAC_OFFSET), mac);
  });

  it('derives pair and node ids from SHA-256 of their prefixed names', () => {
    const h = (s: string) => createHash('sha256').update(s).digest();
    assert.equal(pairIdOf('berlin-edge'), h('tandem-pair:berlin-edge').readBigUInt64BE(0));
    assert.equal(nodeIdOf('node-a'), h('tandem-node:node-a').readUInt32BE(0));
    assert.notEqual(nodeIdOf('node-a'), nodeIdOf('node-b'));
  });

  it('draws boot ids from the injected generator, and different ones by default', () => {
    assert.equal(
      newBootId((n) => new Uint8Array(n).fill(1)),
      0x0101010101010101n,
    );
    assert.notEqual(newBootId(), newBootId());
  });
});

describe('wire: encoding refuses programmer errors with a clear message', () => {
  const cases: [string, Partial<Keepalive>][] = [
    ['pair_id', { pair_id: 1n << 64n }],
    ['pair_id', { pair_id: -1n }],
    ['node_id', { node_id: 2 ** 32 }],
    ['node_id', { node_id: 1.5 }],
    ['role', { role: 'leader' as WireRole }],
    ['state', { state: 'busy' as WireState }],
    ['priority', { priority: 256 }],
    ['priority', { priority: -1 }],
    ['version.major', { version: { major: 65536, minor: 0, patch: 0 } }],
    ['version.patch', { version: { major: 1, minor: 0, patch: Number.NaN } }],
    ['interval_ms', { interval_ms: 0 }],
    ['boot_id', { boot_id: 1n << 64n }],
    ['seq', { seq: -1n }],
    ['sent_at_ms', { sent_at_ms: -1 }],
    ['sent_at_ms', { sent_at_ms: Number.MAX_SAFE_INTEGER + 2 }],
  ];
  for (const [field, over] of cases)
    it(`refuses ${field} = ${JSON.stringify(over, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`, () => {
      assert.throws(
        () => encodeKeepalive(keepalive(over), KEY),
        (e: unknown) =>
          e instanceof Error &&
          (e as Error & { code?: string }).code === 'WIRE_FIELD_INVALID' &&
          e.message.includes(`field ${field} `),
      );
    });

  it('refuses a non-boolean flag', () => {
    const flags = { ...keepalive().flags, fit: 1 as unknown as boolean };
    assert.throws(() => encodeKeepalive(keepalive({ flags }), KEY), /flags\.fit must be a boolean/);
  });

  it('refuses a key shorter than 16 bytes', () => {
    assert.throws(() => encodeKeepalive(keepalive(), new Uint8Array(15)), { code: 'PAIR_KEY_INVALID' });
  });
});

describe('wire: every reject reason from a crafted packet', () => {
  const good = () => encodeKeepalive(keepalive(), KEY);
  const edit = (f: (b: Buffer) => void) => {
    const b = good();
    f(b);
    return b;
  };

  it('lists each reason once', () => {
    assert.equal(new Set(REJECT_REASONS).size, 10);
  });

  it('truncated: shorter than the header, and shorter than the declared length', () => {
    assert.equal(rejected(decodeKeepalive(new Uint8Array(0), context())).reason, 'truncated');
    assert.equal(rejected(decodeKeepalive(good().subarray(0, 7), context())).reason, 'truncated');
    assert.equal(rejected(decodeKeepalive(good().subarray(0, 75), context())).reason, 'truncated');
  });

  it('bad-magic', () => {
    assert.equal(
      rejected(
        decodeKeepalive(
          edit((b) => b.write('TNDX', 0, 'latin1')),
          context(),
        ),
      ).reason,
      'bad-magic',
    );
  });

  it('unsupported-version: a format version we do not speak', () => {
    const r = rejected(
      decodeKeepalive(
        edit((b) => b.writeUInt8(2, 4)),
        context(),
      ),
    );
    assert.equal(r.reason, 'unsupported-version');
    assert.match(r.detail ?? '', /2/);
  });

  it('bad-length: a wrong declared length, or trailing bytes', () => {
    assert.equal(
      rejected(
        decodeKeepalive(
          edit((b) => b.writeUInt16BE(77, 6)),
          context(),
        ),
      ).reason,
      'bad-length',
    );
    const longer = Buffer.concat([good(), Buffer.from([0])]);
    assert.equal(rejected(decodeKeepalive(longer, context())).reason, 'bad-length');
  });

  it('bad-mac: signed with another key', () => {
    const forged = encodeKeepalive(keepalive(), WRONG_KEY);
    assert.equal(rejected(decodeKeepalive(forged, context())).reason, 'bad-mac');
  });

  it('bad-mac: one flipped bit anywhere after the header, MAC included', () => {
    for (let bit = 8 * 8; bit < 76 * 8; bit += 1) {
      const b = edit((x) => {
        x[bit >> 3]! ^= 1 << (bit & 7);
      });
      assert.equal(rejected(decodeKeepalive(b, context())).reason, 'bad-mac', `bit ${bit}`);
    }
  });

  it('bad-mac: our own key is too short to authenticate anything', () => {
    const r = rejected(decodeKeepalive(good(), context({ key: KEY.subarray(0, 8) })));
    assert.equal(r.reason, 'bad-mac');
  });

  it('wrong-pair: authentic but for another pair', () => {
    const other = encodeKeepalive(keepalive({ pair_id: pairIdOf('paris-edge') }), KEY);
    assert.equal(rejected(decodeKeepalive(other, context())).reason, 'wrong-pair');
  });

  it('own-packet: our own keepalive looped back', () => {
    const mine = encodeKeepalive(keepalive({ node_id: SELF }), KEY);
    assert.equal(rejected(decodeKeepalive(mine, context())).reason, 'own-packet');
  });

  it('bad-field: authentic but out of range', () => {
    const edits: [string, (b: Buffer) => void][] = [
      ['reserved byte 5', (b) => b.writeUInt8(1, 5)],
      ['reserved byte 23', (b) => b.writeUInt8(1, 23)],
      ['role 0', (b) => b.writeUInt8(0, 20)],
      ['role 3', (b) => b.writeUInt8(3, 20)],
      ['state 0', (b) => b.writeUInt8(0, 21)],
      ['state 7', (b) => b.writeUInt8(7, 21)],
      ['flag bit 6', (b) => b.writeUInt16BE(b.readUInt16BE(24) | 0x40, 24)],
      ['flag bit 15', (b) => b.writeUInt16BE(b.readUInt16BE(24) | 0x8000, 24)],
      ['interval 0', (b) => b.writeUInt32BE(0, 32)],
      ['sent_at beyond 2^53', (b) => b.writeBigUInt64BE(1n << 60n, 52)],
    ];
    for (const [name, f] of edits)
      assert.equal(rejected(decodeKeepalive(resign(edit(f)), context())).reason, 'bad-field', name);
  });

  it('replayed: the same packet twice', () => {
    const ctx = context();
    const b = good();
    accepted(decodeKeepalive(b, ctx));
    assert.equal(rejected(decodeKeepalive(b, ctx)).reason, 'replayed');
  });

  it('stale: a first packet sent long before our clock', () => {
    const old = encodeKeepalive(keepalive({ sent_at_ms: NOW_MS - 60_000 }), KEY);
    assert.equal(rejected(decodeKeepalive(old, context())).reason, 'stale');
  });
});

describe('wire: check order', () => {
  it('checks the MAC before the pair id: a forged packet of another pair is bad-mac', () => {
    const forged = encodeKeepalive(keepalive({ pair_id: 7n }), WRONG_KEY);
    assert.equal(rejected(decodeKeepalive(forged, context())).reason, 'bad-mac');
  });

  it('checks our own node id before field ranges', () => {
    const mine = resign(encodeKeepalive(keepalive({ node_id: SELF }), KEY).fill(9, 20, 21));
    assert.equal(rejected(decodeKeepalive(mine, context())).reason, 'own-packet');
  });

  it('checks field ranges before the replay guard, and leaves the guard untouched', () => {
    const guard = new ReplayGuard();
    const ctx = context({ guard });
    accepted(decodeKeepalive(encodeKeepalive(keepalive({ seq: 5n }), KEY), ctx));
    const before = guard.snapshot();
    const badButNew = resign(encodeKeepalive(keepalive({ seq: 6n }), KEY).fill(9, 21, 22));
    assert.equal(rejected(decodeKeepalive(badButNew, ctx)).reason, 'bad-field');
    assert.deepEqual(guard.snapshot(), before);
    accepted(decodeKeepalive(encodeKeepalive(keepalive({ seq: 6n }), KEY), ctx));
  });
});
