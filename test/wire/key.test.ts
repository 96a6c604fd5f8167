import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { PairKeyError, parsePairKey } from '../../src/wire/index.js';

const RAW = randomBytes(32);

function refusedWithoutEcho(text: string, why: RegExp): void {
  assert.throws(
    () => parsePairKey(text),
    (e: unknown) => {
      assert.ok(e instanceof PairKeyError);
      assert.equal(e.code, 'PAIR_KEY_INVALID');
      assert.match(e.message, why);
      assert.match(e.message, /base64 or hex/);
      const secret = text.replace(/^(hex|base64):/, '').trim();
      if (secret.length >= 4) assert.ok(!e.message.includes(secret), 'the message must not echo the key');
      return true;
    },
  );
}

describe('pair key', () => {
  it('reads base64 as `openssl rand -base64 32` prints it', () => {
    assert.deepEqual(parsePairKey(`${RAW.toString('base64')}\n`), new Uint8Array(RAW));
  });

  it('reads base64 without padding, URL-safe base64, and a line-wrapped key', () => {
    assert.deepEqual(parsePairKey(RAW.toString('base64').replace(/=+$/, '')), new Uint8Array(RAW));
    assert.deepEqual(parsePairKey(RAW.toString('base64url')), new Uint8Array(RAW));
    const long = randomBytes(96);
    const wrapped = long.toString('base64').replace(/(.{64})/g, '$1\n');
    assert.deepEqual(parsePairKey(wrapped), new Uint8Array(long));
  });

  it('reads hex, either case', () => {
    assert.deepEqual(parsePairKey(RAW.toString('hex')), new Uint8Array(RAW));
    assert.deepEqual(parsePairKey(RAW.toString('hex').toUpperCase()), new Uint8Array(RAW));
  });

  it('honours an explicit prefix when base64 happens to look like hex', () => {
    const ambiguous = 'deadbeefdeadbeefdeadbeefdeadbeef';
    assert.equal(parsePairKey(ambiguous).length, 16);
    assert.equal(parsePairKey(`base64:${ambiguous}`).length, 24);
    assert.equal(parsePairKey(`hex:${ambiguous}`).length, 16);
  });

  it('accepts exactly 16 bytes and refuses 15', () => {
    assert.equal(parsePairKey(randomBytes(16).toString('base64')).length, 16);
    refusedWithoutEcho(randomBytes(15).toString('base64'), /15 bytes, too short/);
  });

  it('refuses text that is neither base64 nor hex, without echoing it', () => {
    refusedWithoutEcho('correct horse battery staple!!', /neither valid base64 nor hex/);
    refusedWithoutEcho('', /neither/);
    refusedWithoutEcho('hex:abc', /neither/);
    refusedWithoutEcho(
      `${RAW.toString('base64').slice(0, 20)}*${RAW.toString('base64').slice(20)}`,
      /neither/,
    );
    refusedWithoutEcho('QUJD=', /neither/);
  });

  it('refuses an absurdly long key', () => {
    refusedWithoutEcho(randomBytes(2048).toString('base64'), /2048 bytes, too long/);
  });
});
