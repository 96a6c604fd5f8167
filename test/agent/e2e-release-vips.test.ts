// `tandem agent --release-vips`, the unit's ExecStopPost: after a SIGKILL the dead node's VIP is removed at
// once (not at the agent's next start); while an agent still answers, nothing is touched.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { tsNode } from '../helpers/netns.js';
import { inLab, KEY, nsExec } from './lab.js';

const CLI = join(new URL('../../', import.meta.url).pathname, 'src/cli/main.ts');

test('--release-vips refuses while the agent runs, and removes a SIGKILLed agent’s VIP (and only it)', () =>
  inLab(async (lab) => {
    const a = lab.startAgent('a');
    await a.waitState('active');
    assert.ok(await lab.hasVip('a'));
    const file = lab.config('a');
    const release = () =>
      nsExec(lab.ns('a'), tsNode(CLI, 'agent', '--config', file, '--release-vips'), {
        allow_failure: true,
        env: { ...process.env, TDA_PAIR_KEY: KEY },
      });

    const refused = await release();
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /an agent answers on 0\.0\.0\.0:\d+; stop it first \(nothing removed\)/);
    assert.ok(await lab.hasVip('a'), 'a running agent keeps its VIP');

    a.kill('SIGKILL');
    await a.exited;
    assert.ok(await lab.hasVip('a'), 'a SIGKILLed agent cannot remove its VIP itself');
    const released = await release();
    assert.equal(released.code, 0, released.stderr);
    assert.equal(await lab.hasVip('a'), false, 'the VIP is gone');
    assert.match(released.stdout, /removed a stale VIP left by a previous run/);
    // The node's own address stays: only the configured VIP is removed.
    const own = await nsExec(lab.ns('a'), ['ip', '-4', '-o', 'addr', 'show', 'dev', lab.ifname]);
    assert.match(own.stdout, new RegExp(`${lab.addr('a').replaceAll('.', '\\.')}/`));

    // Run again (a clean stop leaves nothing): nothing to do, still exit 0.
    const again = await release();
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /removed a stale VIP/);
  }));
