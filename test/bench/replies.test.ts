import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstReplyFrom, longestGap, type Reply, responderChanges } from '../../bench/failover/replies.js';
import { seededRandom } from '../../bench/failover/scenarios.js';

const r = (t: number, node: string): Reply => ({ t, seq: t, node });
const replies = [r(0, 'a'), r(5, 'a'), r(10, 'a'), r(150, 'a'), r(155, 'b'), r(160, 'b'), r(400, 'b')];

test('longestGap counts only gaps that overlap the window', () => {
  assert.equal(longestGap(replies, 0, 1000), 240);
  assert.equal(longestGap(replies, 0, 155), 140);
  assert.equal(longestGap(replies, 151, 159), 5);
});

test('firstReplyFrom finds the first reply of a node after an instant', () => {
  assert.equal(firstReplyFrom(replies, 'b', 0)?.t, 155);
  assert.equal(firstReplyFrom(replies, 'a', 11)?.t, 150);
  assert.equal(firstReplyFrom(replies, 'a', 151), undefined);
});

test('responderChanges counts switches of the answering node', () => {
  assert.equal(responderChanges(replies, 0, 1000), 1);
  assert.equal(responderChanges([...replies, r(500, 'a')], 0, 1000), 2);
  assert.equal(responderChanges(replies, 155, 1000), 0);
});

test('the seeded generator replays the same phases for the same seed', () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const xs = [a(), a(), a()];
  assert.deepEqual([b(), b(), b()], xs);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual([seededRandom(43)()], [xs[0]]);
});
