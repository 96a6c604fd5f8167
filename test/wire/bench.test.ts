import assert from 'node:assert/strict';
import { it } from 'node:test';
import { measureEncodeVerify } from '../../bench/core/encode-verify.js';

// Not a performance assertion: the benchmark runs, every packet it makes is accepted, and it reports a rate.
it('the encode+verify benchmark runs and reports a positive rate', () => {
  const { encode_verify_per_s } = measureEncodeVerify(30);
  assert.ok(Number.isFinite(encode_verify_per_s) && encode_verify_per_s > 0);
});
