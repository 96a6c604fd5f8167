// The announcement frames against their RFC layouts, byte by byte. The expected bytes are written out
// by hand from RFC 826 / RFC 4861 (and, for the checksum, worked by hand below), not derived from the code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FRAME_LENGTH,
  gratuitousArp,
  icmpv6Checksum,
  parseMac,
  unsolicitedNa,
} from '../../../src/actions/linux/frames.js';

const MAC = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];

function hex(b: Buffer | { code: string }): string {
  assert.ok(Buffer.isBuffer(b), JSON.stringify(b));
  return b.toString('hex');
}

test('a MAC is read as sysfs and ip print it; anything else is refused', () => {
  assert.deepEqual(parseMac('02:11:22:33:44:55\n'), MAC);
  assert.deepEqual(parseMac('02:11:22:33:44'), {
    code: 'FRAME_BAD_MAC',
    message: 'expected a MAC address aa:bb:cc:dd:ee:ff, got "02:11:22:33:44"',
  });
});

test('gratuitous ARP request: broadcast, sender = target = VIP, target hardware broadcast (arping -U)', () => {
  const f = gratuitousArp(MAC, '192.0.2.10', 'request');
  const expected =
    'ffffffffffff' +
    '021122334455' +
    '0806' + // Ethernet: broadcast, from us, ARP
    '0001' +
    '0800' +
    '06' +
    '04' +
    '0001' + // Ethernet/IPv4, lengths 6/4, op request
    '021122334455' +
    'c000020a' + // sender: our MAC, the VIP
    'ffffffffffff' +
    'c000020a'; // target: broadcast, the VIP
  assert.equal(hex(f).length, FRAME_LENGTH * 2);
  assert.equal(hex(f), expected + '00'.repeat(FRAME_LENGTH - 42));
});

test('gratuitous ARP reply: target hardware is our MAC (arping -A)', () => {
  const f = hex(gratuitousArp(MAC, '192.0.2.10', 'reply'));
  assert.equal(f.slice(40, 44), '0002');
  assert.equal(f.slice(64, 84), '021122334455c000020a');
});

test('an address of the wrong family is refused, not sent', () => {
  assert.equal((gratuitousArp(MAC, '2001:db8::10', 'request') as { code: string }).code, 'FRAME_BAD_ADDRESS');
  assert.equal((unsolicitedNa(MAC, '192.0.2.10') as { code: string }).code, 'FRAME_BAD_ADDRESS');
});

test('unsolicited NA: all-nodes, hop limit 255, override only, target = VIP, our MAC as option', () => {
  const f = hex(unsolicitedNa(MAC, '2001:db8::10'));
  const vip = '20010db8000000000000000000000010';
  const expected =
    '333300000001' +
    '021122334455' +
    '86dd' + // Ethernet: all-nodes multicast, from us, IPv6
    '60000000' +
    '0020' +
    '3a' +
    'ff' + // v6, payload 32, next header ICMPv6, hop limit 255
    vip +
    'ff020000000000000000000000000001' + // from the VIP to ff02::1
    '88' +
    '00' +
    'CSUM' +
    '20000000' +
    vip + // NA, code 0, checksum, flags R=0 S=0 O=1, target
    '02' +
    '01' +
    '021122334455'; // target link-layer address option, 1 × 8 bytes, our MAC
  assert.equal(f.length, FRAME_LENGTH * 2);
  assert.equal(f.slice(0, 112), expected.slice(0, 112));
  assert.equal(f.slice(116), expected.slice(116));
  // Worked by hand: 16-bit words of src + dst + length 32 + next header 58 + message, folded, inverted.
  // src 2001+0db8+0010 = 0x2dc9; dst ff02+0001 = 0xff03; length 0x0020; nh 0x003a;
  // message 8800 + 2000 + 2001+0db8+0010 + 0201 + 0211+2233+4455 = 0x14063 (fold → 0x4064)
  // total 0x2dc9+0xff03+0x20+0x3a+0x4064 = 0x16d8a → fold 0x6d8b → checksum ~ = 0x9274
  assert.equal(f.slice(112, 116), '9274');
});

test('the ICMPv6 checksum of a message with its checksum in place sums to zero (RFC 1071 check)', () => {
  const src = [0xfe, 0x80, ...new Array<number>(13).fill(0), 0x01];
  const dst = [0xff, 0x02, ...new Array<number>(13).fill(0), 0x01];
  const msg = [136, 0, 0, 0, 0x20, 0, 0, 0, ...src, 2, 1, ...MAC];
  const sum = icmpv6Checksum(src, dst, msg);
  msg[2] = sum >> 8;
  msg[3] = sum & 0xff;
  assert.equal(icmpv6Checksum(src, dst, msg), 0);
});
