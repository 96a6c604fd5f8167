// The store busy or gone: the controller keeps answering. An SQLite write lock held by another
// process never stalls the event loop (/healthz and reads answer while a write waits), a write that
// cannot get the lock in time is a 503 with Retry-After and leaves nothing behind; a PostgreSQL
// outage is a 503 and the controller recovers by itself when the database is back.
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { apiFor, harness, Stores } from '../helpers/controller.js';

/** Another process's connection holding the write lock (BEGIN IMMEDIATE) until release(). */
function holdWriteLock(path: string): { release(): void } {
  const other = new BetterSqlite3(path);
  other.exec('BEGIN IMMEDIATE');
  return {
    release() {
      other.exec('ROLLBACK');
      other.close();
    },
  };
}

function settled<T>(p: Promise<T>): { readonly done: boolean; readonly promise: Promise<T> } {
  const state = { done: false, promise: p };
  p.then(
    () => {
      state.done = true;
    },
    () => {
      state.done = true;
    },
  );
  return state;
}

describe('SQLite write lock held by another process', () => {
  const stores = new Stores('sqlite');
  after(() => stores.cleanup());

  test('/healthz and reads answer while a write waits for the lock; the write lands after release', async () => {
    const url = await stores.url();
    // A long budget: the write waits for as long as the test holds the lock.
    const h = await harness(url, { busy_ms: 120_000 });
    try {
      const lock = holdWriteLock(url);
      const write = settled(h.api('POST', '/api/v1/sites', { name: 'during-lock', kind: 'physical' }));
      for (let i = 0; i < 5; i++) {
        const health = await h.api('GET', '/healthz', undefined, null);
        assert.equal(health.status, 200);
        const list = await h.api('GET', '/api/v1/sites');
        assert.equal(list.status, 200);
        assert.deepEqual(list.body.sites, []);
      }
      // Everything above answered while the write was still waiting for the held lock.
      assert.equal(write.done, false, 'the write cannot have finished while the lock is held');
      lock.release();
      const created = await write.promise;
      assert.equal(created.status, 201);
    } finally {
      await h.c.close();
    }
  });

  test('a write that cannot get the lock in time answers 503 with Retry-After and stores nothing', async () => {
    const url = await stores.url();
    const h = await harness(url, { busy_ms: 200 });
    try {
      const lock = holdWriteLock(url);
      let refused: Response;
      try {
        refused = await fetch(`${h.c.url}/api/v1/sites`, {
          method: 'POST',
          headers: { authorization: `Bearer ${h.admin}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'refused', kind: 'physical' }),
        });
        assert.equal((await h.api('GET', '/healthz', undefined, null)).status, 200);
      } finally {
        lock.release();
      }
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '1');
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'unavailable');
      assert.deepEqual((await h.api('GET', '/api/v1/sites')).body.sites, []);
      assert.equal((await h.api('POST', '/api/v1/sites', { name: 'after', kind: 'physical' })).status, 201);
    } finally {
      await h.c.close();
    }
  });
});

/** A TCP relay in front of PostgreSQL that the test can cut and restore (an outage, as seen by the controller). */
class Relay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  constructor(
    private readonly target: number,
    public port = 0,
  ) {}
  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    const a = server.address();
    this.port = typeof a === 'object' && a !== null ? a.port : this.port;
    this.server = server;
  }
  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = null;
  }
}

describe('PostgreSQL outage', () => {
  const stores = new Stores('postgres');
  after(() => stores.cleanup());

  test('requests answer 503 (never 500) while the database is unreachable and work again after', async () => {
    const direct = new URL(await stores.url());
    const relay = new Relay(Number(direct.port));
    await relay.up();
    const through = new URL(direct);
    through.port = String(relay.port);
    const h = await harness(through.toString());
    try {
      assert.equal((await h.api('POST', '/api/v1/sites', { name: 'before', kind: 'physical' })).status, 201);
      await relay.down();
      for (const [method, path, body] of [
        ['POST', '/api/v1/sites', { name: 'during', kind: 'physical' }],
        ['GET', '/api/v1/sites', undefined],
      ] as const) {
        const r = await h.api(method, path, body);
        assert.equal(r.status, 503, `${method} ${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'unavailable');
      }
      assert.equal((await h.api('GET', '/healthz', undefined, null)).status, 200);
      await relay.up();
      // The pool reconnects by itself; a connection that died with the relay may cost one more 503.
      let status = 0;
      for (let attempt = 0; attempt < 20 && status !== 201; attempt++) {
        const r = await h.api('POST', '/api/v1/sites', { name: 'after', kind: 'physical' });
        assert.ok(r.status === 201 || r.status === 503, `answer ${r.status}: ${JSON.stringify(r.body)}`);
        status = r.status;
        if (status !== 201) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(status, 201);
      const names = (await apiFor(h.c.url, h.admin)('GET', '/api/v1/sites')).body.sites.map(
        (s: { name: string }) => s.name,
      );
      assert.deepEqual(names, ['after', 'before']);
    } finally {
      await h.c.close();
      await relay.down();
    }
  });
});
