import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  contains,
  lastOf,
  networkOf,
  nthOf,
  overlaps,
  parseAddress,
  parseCidr,
} from '../../src/net/address.js';

function value<T>(r: { ok: true; value: T } | { ok: false; expected: string }): T {
  if (!r.ok) assert.fail(r.expected);
  return r.value;
}

describe('parseAddress', () => {
  it('reads dotted decimal and plain IPv6, canonically', () => {
    assert.equal(value(parseAddress('10.0.0.1')).text, '10.0.0.1');
    assert.equal(value(parseAddress('2001:DB8:0:0::1')).text, '2001:db8::1');
    assert.equal(value(parseAddress('fe80::1', 6)).family, 6);
  });

  it('refuses octal, hex, integer, short and out-of-range forms instead of guessing', () => {
    for (const text of [
      '010.0.0.1',
      '0x0a.0.0.1',
      '167772161',
      '10.1',
      '10.0.0.300',
      '10.0.0.1 ',
      '',
      'banana',
    ]) {
      const r = parseAddress(text);
      assert.equal(r.ok, false, text);
      if (!r.ok) assert.match(r.expected, /expected an IPv4 or IPv6 address, got/);
    }
  });

  it('refuses zone ids and a family that was not asked for', () => {
    assert.equal(parseAddress('fe80::1%eth0').ok, false);
    assert.equal(parseAddress('10.0.0.1', 6).ok, false);
    assert.equal(parseAddress('::1', 4).ok, false);
    assert.equal(parseAddress(17 as unknown).ok, false);
  });
});

describe('parseCidr', () => {
  it('keeps a host address with its prefix unless a network is required', () => {
    assert.equal(value(parseCidr('10.0.0.5/24')).text, '10.0.0.5/24');
    const r = parseCidr('10.0.0.5/24', { network: true });
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.expected, /did you mean 10\.0\.0\.0\/24/);
  });

  it('refuses padded, missing and oversized prefixes', () => {
    for (const text of [
      '10.0.0.0/024',
      '10.0.0.0/',
      '10.0.0.0',
      '10.0.0.0/33',
      '2001:db8::/129',
      '10.0.0.0/+8',
    ]) {
      assert.equal(parseCidr(text).ok, false, text);
    }
  });

  it('applies the bounds a use gives', () => {
    assert.equal(parseCidr('10.0.0.0/30', { max_prefix: 29 }).ok, false);
    assert.equal(parseCidr('10.0.0.0/7', { min_prefix: 8 }).ok, false);
    assert.equal(parseCidr('10.0.0.0/8', { min_prefix: 8, max_prefix: 29 }).ok, true);
  });
});

describe('block maths', () => {
  const net = value(parseCidr('10.0.3.0/24', { network: true }));
  it('network, nth and last address', () => {
    assert.equal(networkOf(value(parseCidr('10.0.3.77/24'))).text, '10.0.3.0');
    assert.equal(nthOf(net, 1).text, '10.0.3.1');
    assert.equal(nthOf(net, 255).text, '10.0.3.255');
    assert.equal(lastOf(net).text, '10.0.3.255');
    assert.equal(lastOf(value(parseCidr('2001:db8::/120'))).text, '2001:db8::ff');
    assert.equal(nthOf(value(parseCidr('10.0.0.0/16')), 256 + 4).text, '10.0.1.4');
  });

  it('containment and overlap respect the prefix and the family', () => {
    assert.equal(contains(net, value(parseAddress('10.0.3.200'))), true);
    assert.equal(contains(net, value(parseAddress('10.0.4.1'))), false);
    assert.equal(contains(net, value(parseAddress('::ffff:10.0.3.1'))), false);
    assert.equal(overlaps(net, value(parseCidr('10.0.0.0/16'))), true);
    assert.equal(overlaps(net, value(parseCidr('10.0.4.0/24'))), false);
    assert.equal(overlaps(value(parseCidr('10.0.0.0/9')), value(parseCidr('10.128.0.0/9'))), false);
  });
});
