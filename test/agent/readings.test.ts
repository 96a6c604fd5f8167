import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Readings } from '../../src/agent/readings.js';
import type { Input } from '../../src/core/index.js';

function harness(haPort: string | null = 'ha') {
  const inputs: Input[] = [];
  return { inputs, readings: new Readings(haPort, (i) => inputs.push(i)) };
}

describe('monitor readings → core inputs', () => {
  test('WAN is lost only when every probe that reported is failing, and each change is sent once', () => {
    const { inputs, readings } = harness();
    readings.onReading({ kind: 'wan-probe', name: 'gw', ok: true });
    readings.onReading({ kind: 'wan-probe', name: 'dns', ok: false });
    readings.onReading({ kind: 'wan-probe', name: 'gw', ok: true });
    assert.deepEqual(inputs, [{ kind: 'wan', ok: true }]);
    readings.onReading({ kind: 'wan-probe', name: 'gw', ok: false });
    readings.onReading({ kind: 'wan-probe', name: 'dns', ok: false });
    assert.deepEqual(inputs.at(-1), { kind: 'wan', ok: false });
    assert.equal(inputs.length, 2);
    readings.onReading({ kind: 'wan-probe', name: 'dns', ok: true });
    assert.deepEqual(inputs.at(-1), { kind: 'wan', ok: true });
  });

  test('the HA port monitor drives ha-link; another link monitor is a service check', () => {
    const { inputs, readings } = harness('ha');
    readings.onReading({ kind: 'link', name: 'ha', up: false });
    readings.onReading({ kind: 'link', name: 'lan', up: false });
    readings.onReading({ kind: 'link', name: 'lan', up: false });
    assert.deepEqual(inputs, [
      { kind: 'ha-link', up: false },
      { kind: 'check', name: 'lan', ok: false },
    ]);
  });

  test('without an HA port monitor every link monitor is a service check', () => {
    const { inputs, readings } = harness(null);
    readings.onReading({ kind: 'link', name: 'ha', up: true });
    readings.onReading({ kind: 'check', name: 'nginx', ok: false });
    assert.deepEqual(inputs, [
      { kind: 'check', name: 'ha', ok: true },
      { kind: 'check', name: 'nginx', ok: false },
    ]);
  });
});
