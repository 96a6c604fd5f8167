// Webhook URLs typed by API users are called from inside the operator's network: they are parsed and
// checked at creation, called without following redirects and with a bounded answer, and a password
// in them is never shown to viewers nor written to the log. Channels do not depend on the store: SQLite.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { apiFor, type Harness, harness, pairSite, report, Stores } from '../helpers/controller.js';

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return { server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}` };
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** A channel for every state change, and one state change; resolves with the delivery once it has failed or been sent. */
async function notifyOnce(h: Harness, url: string): Promise<{ status: string; last_error: string | null }> {
  const ch = await h.api('POST', '/api/v1/channels', {
    name: `hook${Math.random()}`,
    kind: 'webhook',
    url,
    secret: 's'.repeat(20),
  });
  assert.equal(ch.status, 201, JSON.stringify(ch.body));
  const s = await pairSite(h.api, `site${Math.random()}`);
  await h.api('POST', '/api/v1/rules', {
    name: 'all',
    event_types: ['state-change'],
    channel_id: ch.body.id,
  });
  await h.api('POST', `/api/v1/nodes/${s.primary.id}/reports`, report({ state: 'active' }), s.primary.cred);
  let d: { status: string; last_error: string | null } | undefined;
  await eventually(async () => {
    d = (await h.api('GET', '/api/v1/deliveries')).body.deliveries[0];
    return d !== undefined && (d.status === 'failed' || d.status === 'sent');
  }, 'the delivery to settle');
  return d!;
}

describe('webhook safety', () => {
  const stores = new Stores('sqlite');
  after(() => stores.cleanup());
  const quick = { poll_ms: 30, retry_base_ms: 10, retry_max_ms: 20, max_attempts: 1 };

  test('URLs are parsed and checked at creation', async () => {
    const h = await harness(await stores.url(), { webhooks: { deny_private: true } });
    try {
      for (const url of [
        'http://',
        'https://exa mple.com/',
        'http://169.254.169.254/latest/meta-data',
        'http://[fe80::1]/',
        'http://[::ffff:169.254.169.254]/',
        'http://010.0.0.1/',
        'http://0x7f.0.0.1/',
        'http://2130706433/',
        'http://127.0.0.1:9/',
        'http://10.1.2.3/',
        'http://[fd00::1]/',
      ]) {
        const r = await h.api('POST', '/api/v1/channels', {
          name: 'x',
          kind: 'webhook',
          url,
          secret: 's'.repeat(20),
        });
        assert.equal(r.status, 400, url);
        assert.equal(r.body.error.path, '/url', url);
      }
      assert.deepEqual((await h.api('GET', '/api/v1/channels')).body.channels, []);
      const ok = await h.api('POST', '/api/v1/channels', {
        name: 'ok',
        kind: 'webhook',
        url: 'https://hooks.example.test/tandem',
        secret: 's'.repeat(20),
      });
      assert.equal(ok.status, 201);
    } finally {
      await h.c.close();
    }
  });

  test('a name resolving to a denied address is refused when called', async () => {
    let hits = 0;
    const rx = await serve((_req, res) => {
      hits++;
      res.end();
    });
    const h = await harness(await stores.url(), { webhooks: { deny_private: true }, outbox: quick });
    try {
      const d = await notifyOnce(h, rx.url.replace('127.0.0.1', 'localhost'));
      assert.equal(d.status, 'failed');
      assert.match(d.last_error ?? '', /private or loopback/);
      assert.equal(hits, 0);
    } finally {
      await h.c.close();
      rx.server.close();
    }
  });

  test('a redirect is not followed (the signed body goes nowhere else); a long answer is cut off', async () => {
    let elsewhere = 0;
    const other = await serve((req, res) => {
      elsewhere++;
      req.resume();
      res.end();
    });
    const redirecting = await serve((req, res) => {
      req.resume();
      res.writeHead(307, { location: `${other.url}/steal` }).end();
    });
    const chatty = await serve((req, res) => {
      req.resume();
      res.writeHead(200);
      res.end(Buffer.alloc(1024 * 1024, 'x'));
    });
    const h = await harness(await stores.url(), { outbox: quick });
    try {
      const d = await notifyOnce(h, redirecting.url);
      assert.equal(d.status, 'failed');
      assert.match(d.last_error ?? '', /redirects are not followed/);
      assert.equal(elsewhere, 0);
    } finally {
      await h.c.close();
    }
    const h2 = await harness(await stores.url(), { outbox: quick });
    try {
      const d = await notifyOnce(h2, chatty.url);
      assert.equal(d.status, 'failed');
      assert.match(d.last_error ?? '', /answer longer than/);
    } finally {
      await h2.c.close();
      for (const s of [other, redirecting, chatty]) s.server.close();
    }
  });

  test('a password in the URL is never shown to viewers nor logged', async () => {
    const password = 'hunter2-very-secret';
    let log = '';
    const sink = new Writable({
      write(chunk, _enc, done) {
        log += chunk.toString();
        done();
      },
    });
    // The receiver refuses, so the failure is logged.
    const rx = await serve((req, res) => {
      req.resume();
      res.writeHead(500).end();
    });
    const h = await harness(await stores.url(), { outbox: quick, log: pino({ level: 'trace' }, sink) });
    try {
      const url = rx.url.replace('http://', `http://hook:${password}@`);
      const d = await notifyOnce(h, url);
      assert.equal(d.status, 'failed');
      const viewer = await h.api('POST', '/api/v1/tokens', { name: 'v', scope: 'viewer' });
      const channels = await apiFor(h.c.url, viewer.body.token)('GET', '/api/v1/channels');
      const shown = JSON.stringify(channels.body);
      assert.ok(shown.includes('hook:'), shown);
      assert.ok(!shown.includes(password), shown);
      const deliveries = JSON.stringify((await h.api('GET', '/api/v1/deliveries')).body);
      assert.ok(!deliveries.includes(password));
      assert.ok(log.includes('notification not delivered'));
      assert.ok(!log.includes(password));
    } finally {
      await h.c.close();
      rx.server.close();
    }
  });
});
