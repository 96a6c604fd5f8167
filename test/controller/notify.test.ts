// Notifications: rules pick events, webhooks are HMAC-signed and retried, email goes over real SMTP.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { signature } from '../../src/controller/notify/webhook.js';
import { type Harness, harness, pairSite, report, STORES, Stores } from '../helpers/controller.js';

interface Hook {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A webhook receiver that answers 500 to the first `fail_first` requests. */
async function receiver(fail_first: number): Promise<{ url: string; hooks: Hook[]; server: Server }> {
  const hooks: Hook[] = [];
  let seen = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      seen++;
      if (seen <= fail_first) {
        res.writeHead(500).end();
        return;
      }
      hooks.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return { url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/hook`, hooks, server };
}

interface Mail {
  from: string;
  to: string[];
  data: string;
}

async function smtp(): Promise<{ port: number; mails: Mail[]; server: SMTPServer }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (c: Buffer) => {
        data += c.toString();
      });
      stream.on('end', () => {
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address), data });
        callback();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.server.address();
  return { port: typeof a === 'object' && a ? a.port : 0, mails, server };
}

async function eventually(
  check: () => Promise<boolean> | boolean,
  what: string,
  deadline_ms = 15_000,
): Promise<void> {
  const end = Date.now() + deadline_ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

for (const kind of STORES) {
  describe(`notifications on ${kind}`, () => {
    const stores = new Stores(kind);
    let h: Harness;
    let mail: Awaited<ReturnType<typeof smtp>>;
    const closers: (() => Promise<void> | void)[] = [];
    beforeEach(async () => {
      mail = await smtp();
      h = await harness(await stores.url(), {
        // The test server offers no STARTTLS; a real one would.
        smtp: {
          host: '127.0.0.1',
          port: mail.port,
          secure: false,
          allow_cleartext: true,
          from: 'tandem@example.test',
        },
        outbox: { poll_ms: 50, retry_base_ms: 100, max_attempts: 3 },
        // Real time here: a split brain is an event once both nodes have been active this long.
        settings: { split_brain_after_ms: 100 },
      });
    });
    afterEach(async () => {
      await h.c.close();
      await new Promise<void>((r) => mail.server.close(() => r()));
      for (const c of closers.splice(0)) await c();
    });
    after(() => stores.cleanup());

    test('a webhook gets matching events as a signed JSON POST, retried after a failure', async () => {
      const rx = await receiver(1);
      closers.push(() => new Promise<void>((r) => rx.server.close(() => r())));
      const secret = 'a-webhook-secret-of-some-length';
      const ch = await h.api('POST', '/api/v1/channels', {
        name: 'ops hook',
        kind: 'webhook',
        url: rx.url,
        secret,
      });
      assert.equal(ch.status, 201);
      assert.equal(ch.body.secret, '(hidden)');
      const s = await pairSite(h.api, 'hooked');
      const rule = await h.api('POST', '/api/v1/rules', {
        name: 'changes',
        event_types: ['state-change'],
        site_ids: [s.site_id],
        channel_id: ch.body.id,
      });
      assert.equal(rule.status, 201);
      await h.api(
        'POST',
        `/api/v1/nodes/${s.primary.id}/reports`,
        report({ state: 'active' }),
        s.primary.cred,
      );
      await eventually(() => rx.hooks.length >= 1, 'the webhook');
      const hook = rx.hooks[0]!;
      const ts = String(hook.headers['x-tandem-timestamp']);
      assert.equal(hook.headers['x-tandem-signature'], signature(secret, ts, hook.body));
      assert.notEqual(
        hook.headers['x-tandem-signature'],
        signature('another-secret-entirely', ts, hook.body),
      );
      const body = JSON.parse(hook.body);
      assert.equal(body.event.type, 'state-change');
      assert.equal(body.event.details.to, 'active');
      assert.equal(body.site_name, 'hooked');
      await eventually(async () => {
        const d = await h.api('GET', `/api/v1/deliveries?event_id=${body.event.id}`);
        return d.body.deliveries[0]?.status === 'sent';
      }, 'the delivery marked sent');
      const d = await h.api('GET', `/api/v1/deliveries?event_id=${body.event.id}`);
      assert.equal(d.body.deliveries[0].attempts, 2, 'the first attempt got HTTP 500');
      // Only the rule's types: node-enrolled events went nowhere.
      assert.ok(rx.hooks.every((x) => JSON.parse(x.body).event.type === 'state-change'));
    });

    test('a webhook that keeps failing is given up after the bounded attempts', async () => {
      const rx = await receiver(1000);
      closers.push(() => new Promise<void>((r) => rx.server.close(() => r())));
      const ch = await h.api('POST', '/api/v1/channels', {
        name: 'broken',
        kind: 'webhook',
        url: rx.url,
        secret: 'a-webhook-secret-of-some-length',
      });
      await h.api('POST', '/api/v1/rules', {
        name: 'all',
        event_types: [],
        site_ids: [],
        channel_id: ch.body.id,
      });
      await pairSite(h.api, 'failing');
      await eventually(
        async () => (await h.api('GET', '/api/v1/deliveries?status=failed')).body.deliveries.length >= 1,
        'a failed delivery',
      );
      const failed = (await h.api('GET', '/api/v1/deliveries?status=failed')).body.deliveries[0];
      assert.equal(failed.attempts, 3);
      assert.match(failed.last_error, /HTTP 500/);
    });

    test('an email rule mails every address in its list through the SMTP server', async () => {
      const ch = await h.api('POST', '/api/v1/channels', {
        name: 'noc mail',
        kind: 'email',
        to: ['noc@example.test', 'oncall@example.test'],
      });
      assert.equal(ch.status, 201);
      const s = await pairSite(h.api, 'mailed');
      await h.api('POST', '/api/v1/rules', {
        name: 'split',
        event_types: ['split-brain'],
        site_ids: [],
        channel_id: ch.body.id,
      });
      await h.api(
        'POST',
        `/api/v1/nodes/${s.primary.id}/reports`,
        report({ state: 'active' }),
        s.primary.cred,
      );
      await h.api(
        'POST',
        `/api/v1/nodes/${s.secondary.id}/reports`,
        report({ state: 'active' }),
        s.secondary.cred,
      );
      // Both nodes stay active past the threshold; the sweep (not on a timer here) records it.
      await eventually(async () => {
        await h.c.sweep();
        return mail.mails.length >= 1;
      }, 'the email');
      const m = mail.mails[0]!;
      assert.deepEqual(m.to.sort(), ['noc@example.test', 'oncall@example.test']);
      assert.equal(m.from, 'tandem@example.test');
      assert.match(m.data, /Subject: \[tandem\] split-brain at site mailed/);
      assert.equal(mail.mails.length, 1, 'only the split-brain event matched');
    });

    test('rules and channels are listed and deleted; a rule needs an existing channel', async () => {
      const none = await h.api('POST', '/api/v1/rules', { name: 'r', channel_id: 'nope' });
      assert.equal(none.status, 404);
      const ch = await h.api('POST', '/api/v1/channels', {
        name: 'm',
        kind: 'email',
        to: ['a@example.test'],
      });
      const bad = await h.api('POST', '/api/v1/channels', {
        name: 'm',
        kind: 'email',
        to: ['not an address'],
      });
      assert.equal(bad.status, 400);
      const rule = await h.api('POST', '/api/v1/rules', { name: 'r', channel_id: ch.body.id });
      assert.deepEqual(
        (await h.api('GET', '/api/v1/rules')).body.rules.map((r: { id: string }) => r.id),
        [rule.body.id],
      );
      assert.equal((await h.api('GET', '/api/v1/channels')).body.channels.length, 1);
      assert.equal((await h.api('DELETE', `/api/v1/channels/${ch.body.id}`)).status, 204);
      assert.deepEqual((await h.api('GET', '/api/v1/rules')).body.rules, [], 'its rules went with it');
      assert.equal((await h.api('DELETE', `/api/v1/rules/${rule.body.id}`)).status, 404);
    });
  });
}
