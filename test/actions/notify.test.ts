import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Notifier } from '../../src/actions/notify.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tdl-notify-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const identity = { pair: 'edge-1', node: 'fw-a', role: 'primary' };
const change = { from: 'standby', to: 'active', reason: 'peer dead after 3000 ms' };

test('notify commands see the state change in TANDEM_* variables', async () => {
  const out = join(dir, 'env');
  const n = new Notifier({ ...identity, commands: [`env | grep ^TANDEM_ | sort > ${out}`] });
  const [outcome] = await n.notify(change);
  assert.equal(outcome?.ok, true);
  assert.deepEqual((await readFile(out, 'utf8')).trim().split('\n'), [
    'TANDEM_NODE=fw-a',
    'TANDEM_PAIR=edge-1',
    'TANDEM_PREVIOUS_STATE=standby',
    'TANDEM_REASON=peer dead after 3000 ms',
    'TANDEM_ROLE=primary',
    'TANDEM_STATE=active',
  ]);
});

test('notify returns to the caller while the commands still run', async () => {
  const go = join(dir, 'go');
  const done = join(dir, 'done');
  const n = new Notifier({
    ...identity,
    commands: [`while [ ! -f ${go} ]; do sleep 0.02; done; touch ${done}`],
  });
  const pending = n.notify(change);
  // The command cannot finish before we create `go`: the caller was not blocked.
  await assert.rejects(access(done));
  await writeFile(go, '');
  const [outcome] = await pending;
  assert.equal(outcome?.ok, true);
  await access(done);
});

test('a failing, a hanging and a good command are each recorded on their own', async () => {
  const n = new Notifier({
    ...identity,
    timeout_ms: 300,
    commands: ['echo "smtp refused" >&2; exit 2', 'sleep 30', 'true'],
  });
  const outcomes = await n.notify(change);
  assert.deepEqual(
    outcomes.map((o) => (o.ok ? 'ok' : o.code)),
    ['NOTIFY_FAILED', 'NOTIFY_TIMEOUT', 'ok'],
  );
  const failed = outcomes[0];
  assert.match(failed && !failed.ok ? failed.message : '', /exit 2: smtp refused/);
});
