// The agent's local status server: a malformed request is the caller's mistake (4xx), never a 500.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createMetrics } from '../../src/agent/metrics.js';
import { type StatusServer, startStatusServer } from '../../src/agent/status-server.js';
import type { AdminCommand } from '../../src/core/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tdstatus-'));
const token = 'a'.repeat(32);
const received: AdminCommand[] = [];
let server: StatusServer;

before(async () => {
  const file = join(dir, 'admin-token');
  writeFileSync(file, token, { mode: 0o600 });
  server = await startStatusServer({
    listen: { host: '127.0.0.1', port: 0 },
    admin_token_file: file,
    metrics: createMetrics({ status: () => null, inState_ms: () => 0, peerSilence: () => ({}) }),
    source: {
      snapshot: () => ({ state: 'standby' }),
      admin: (command) => {
        received.push(command);
        return { ok: true, command, state: 'standby' };
      },
    },
  });
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (path: string) =>
  fetch(server.url + path, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

test('a malformed % escape in an admin command is 400, and the server keeps serving', async () => {
  for (const path of ['/admin/%', '/admin/%zz', '/admin/maint%E0%A4%A']) {
    const r = await post(path);
    assert.equal(r.status, 400, path);
    assert.equal(((await r.json()) as { error: string }).error, 'BAD_REQUEST');
  }
  assert.equal((await post('/admin/nonsense')).status, 404);
  assert.deepEqual(received, []);
  assert.equal((await fetch(`${server.url}/status`)).status, 200);
});
