// Secrets never cross a network in clear and never sit where others can read them: the controller
// serves HTTPS (certificate reloadable) and refuses cleartext off loopback; the agent refuses an
// http:// controller off loopback and pins a private CA; SMTP credentials never come from the
// command line and never go out without TLS; admin tokens from the environment are long enough and
// a revoked one is refused at start; the store file is readable by its owner only.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { connect } from 'node:tls';
import { SMTPServer } from 'smtp-server';
import { ConfigError, loadConfig } from '../../src/agent/config.js';
import { ControllerClient, ControllerClientError } from '../../src/agent/controller-client.js';
import { createMailer, parseSmtpUrl, smtpCredentials } from '../../src/controller/notify/email.js';
import { startController } from '../../src/controller/server.js';
import { makeCertificate } from '../../src/sim/azure/tls.js';
import { apiFor, harness, Stores } from '../helpers/controller.js';
import { spawnController } from '../helpers/controller-process.js';

/** Waits for a condition the controller process shows in its log (generous: the host is shared). */
async function until(cond: () => boolean, timeout_ms = 20_000): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'tdsec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function certFiles(name: string): Promise<{ cert_path: string; key_path: string; pem: string }> {
  const m = await makeCertificate();
  const cert_path = join(dir, `${name}.crt`);
  const key_path = join(dir, `${name}.key`);
  writeFileSync(cert_path, m.cert_pem);
  writeFileSync(key_path, m.key_pem, { mode: 0o600 });
  return { cert_path, key_path, pem: m.cert_pem };
}

/** The SHA-256 of the certificate a new TLS connection to the URL is shown. */
function servedFingerprint(url: string, ca: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port), ca, servername: 'localhost' }, () => {
      const der = socket.getPeerCertificate().raw;
      socket.end();
      resolve(createHash('sha256').update(der).digest('hex'));
    });
    socket.on('error', reject);
  });
}

function fingerprintOf(pem: string): string {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  return createHash('sha256').update(der).digest('hex');
}

describe('controller TLS', () => {
  const stores = new Stores('sqlite');
  after(() => stores.cleanup());

  test('HTTPS with a pinned CA: the agent enrolls and reports; the certificate reloads without a restart', async () => {
    const first = await certFiles('first');
    const h = await harness(await stores.url(), {
      listen: { host: '127.0.0.1', port: 0, tls: { cert_path: first.cert_path, key_path: first.key_path } },
    });
    try {
      assert.match(h.c.url, /^https:\/\//);
      const site = await fetchJson(h.c.url, '/api/v1/sites', h.admin, first.pem, { name: 's', kind: 'aws' });
      const node = await fetchJson(h.c.url, `/api/v1/sites/${site.id}/nodes`, h.admin, first.pem, {
        role: 'primary',
        model: 'v1',
        mgmt_ip: '10.0.3.10',
        subnet: '10.0.3.0/24',
      });
      // Without the CA the self-signed certificate is refused: nothing is sent.
      const blind = new ControllerClient({ url: h.c.url, credential_path: join(dir, 'blind.json') });
      await assert.rejects(blind.enroll(node.enrollment_token), (err: unknown) => {
        assert.ok(err instanceof ControllerClientError);
        assert.equal(err.detail.code, 'unreachable');
        return true;
      });
      const client = new ControllerClient({
        url: h.c.url,
        credential_path: join(dir, 'cred.json'),
        ca: first.pem,
      });
      const cred = await client.enroll(node.enrollment_token);
      assert.match(cred.credential, /^tdn_/);

      assert.equal(await servedFingerprint(h.c.url, first.pem), fingerprintOf(first.pem));
      const second = await certFiles('second');
      writeFileSync(first.cert_path, second.pem);
      writeFileSync(first.key_path, readFileSync(second.key_path));
      h.c.reloadTls();
      assert.equal(await servedFingerprint(h.c.url, second.pem), fingerprintOf(second.pem));
      client.close();
    } finally {
      await h.c.close();
    }
  });

  test('the controller process reloads its certificate on SIGHUP without a restart; a mismatched pair keeps the old one', async () => {
    const first = await certFiles('proc-first');
    const proc = await spawnController(await stores.url(), `tdk_${'p'.repeat(40)}`, [
      '--tls-cert',
      first.cert_path,
      '--tls-key',
      first.key_path,
      // The reload is logged at info: the last --log-level given wins.
      '--log-level',
      'info',
    ]);
    try {
      assert.match(proc.url, /^https:\/\//);
      assert.equal(await servedFingerprint(proc.url, first.pem), fingerprintOf(first.pem));
      const second = await certFiles('proc-second');
      // A half-written pair (the new certificate, the old key) is refused; the old pair stays served.
      writeFileSync(first.cert_path, second.pem);
      proc.child.kill('SIGHUP');
      await until(() => /TLS reload failed/.test(proc.stderr()));
      assert.equal(await servedFingerprint(proc.url, first.pem), fingerprintOf(first.pem));
      writeFileSync(first.key_path, readFileSync(second.key_path));
      proc.child.kill('SIGHUP');
      await until(() => /TLS certificate and key reloaded/.test(proc.stderr()));
      assert.equal(await servedFingerprint(proc.url, second.pem), fingerprintOf(second.pem));
      assert.equal(proc.child.exitCode, null, 'still the same process');
    } finally {
      await proc.kill('SIGTERM');
    }
  });

  test('plain HTTP off loopback is refused at start unless cleartext is allowed', async () => {
    const url = await stores.url();
    await assert.rejects(startController({ store_url: url, listen: { host: '0.0.0.0', port: 0 } }), {
      code: 'cleartext-refused',
    });
    const c = await startController({
      store_url: url,
      listen: { host: '0.0.0.0', port: 0, allow_cleartext: true },
      sweep_interval_ms: 0,
    });
    assert.match(c.url, /^http:\/\/0\.0\.0\.0:/);
    await c.close();
  });
});

async function fetchJson(base: string, path: string, token: string, ca: string, body: unknown) {
  const { post } = await import('../../src/net/http-post.js');
  const r = await post(base + path, {
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    timeout_ms: 10_000,
    ca,
  });
  assert.equal(r.status, 201, r.text);
  return JSON.parse(r.text);
}

describe('the agent and a cleartext controller URL', () => {
  test('the client refuses http:// off loopback unless allowed', () => {
    for (const url of ['http://10.0.0.1:8080', 'http://controller.example:8080', 'http://[2001:db8::1]:80']) {
      assert.throws(
        () => new ControllerClient({ url, credential_path: join(dir, 'x.json') }),
        (err: unknown) => err instanceof ControllerClientError && err.detail.code === 'cleartext-refused',
      );
      new ControllerClient({ url, credential_path: join(dir, 'x.json'), allow_cleartext: true }).close();
    }
    for (const url of [
      'http://127.0.0.1:8080',
      'http://localhost:8080',
      'http://[::1]:8080',
      'https://10.0.0.1',
    ]) {
      new ControllerClient({ url, credential_path: join(dir, 'x.json') }).close();
    }
  });

  test('the agent config names controller_url when it is cleartext off loopback', () => {
    writeFileSync(join(dir, 'pair.key'), 'c2VjcmV0LXBhaXIta2V5LW9mLWF0LWxlYXN0LTMyLWJ5dGVz\n');
    const config = (extra: string) => {
      const file = join(dir, `agent-${Math.random()}.yaml`);
      writeFileSync(
        file,
        `pair: p\nnode: a\nrole: primary\npair_key_file: pair.key\npaths:\n  - name: ha\n    local_address: 10.0.0.1\n    peer_address: 10.0.0.2\n${extra}`,
      );
      return file;
    };
    try {
      loadConfig(config('controller_url: http://10.9.0.1:8080\n'), { env: {} });
      assert.fail('accepted a cleartext controller URL');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.ok(
        err.issues.some((i) => i.path === 'controller_url' && /controller_allow_cleartext/.test(i.message)),
      );
    }
    const allowed = loadConfig(
      config('controller_url: http://10.9.0.1:8080\ncontroller_allow_cleartext: true\n'),
      {
        env: {},
      },
    );
    assert.equal(allowed.controller?.allow_cleartext, true);
  });
});

describe('SMTP credentials and STARTTLS', () => {
  test('credentials never come from the URL; they come from a file or the environment', () => {
    assert.throws(
      () => parseSmtpUrl('smtp://user:secret@mail.example:587', 'a@b'),
      /no credentials in the URL/,
    );
    assert.deepEqual(smtpCredentials('mailer\ns3cret\n', {}), { user: 'mailer', pass: 's3cret' });
    assert.deepEqual(smtpCredentials(null, { TANDEM_SMTP_USER: 'u', TANDEM_SMTP_PASSWORD: 'p' }), {
      user: 'u',
      pass: 'p',
    });
    assert.equal(smtpCredentials(null, {}), null);
    assert.throws(() => smtpCredentials(null, { TANDEM_SMTP_USER: 'u' }), /both/);
  });

  test('a server without STARTTLS gets no AUTH and no mail unless cleartext is allowed', async () => {
    const auths: string[] = [];
    let mails = 0;
    const server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, callback) {
        auths.push(auth.username ?? '');
        callback(null, { user: auth.username });
      },
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => {
          mails++;
          callback();
        });
      },
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const a = server.server.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    const n = {
      delivery_id: 1,
      site_name: 's',
      event: { id: 1, type: 'failover', site_id: 's', node_id: null, at: 0, details: {} },
    } as unknown as Parameters<ReturnType<typeof createMailer>['send']>[1];
    const creds = { user: 'mailer', pass: 's3cret' };
    try {
      const strict = createMailer(parseSmtpUrl(`smtp://127.0.0.1:${port}`, 'a@b.test', creds), 5000);
      await assert.rejects(strict.send(['ops@b.test'], n));
      strict.close();
      assert.deepEqual(auths, []);
      assert.equal(mails, 0);
      const lax = createMailer(parseSmtpUrl(`smtp://127.0.0.1:${port}`, 'a@b.test', creds, true), 5000);
      await lax.send(['ops@b.test'], n);
      lax.close();
      assert.deepEqual(auths, ['mailer']);
      assert.equal(mails, 1);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('admin tokens from the environment and the store file', () => {
  const stores = new Stores('sqlite');
  after(() => stores.cleanup());

  test('a short TANDEM_ADMIN_TOKEN is refused; a revoked one is refused loudly at the next start', async () => {
    const url = await stores.url();
    await assert.rejects(startController({ store_url: url, admin_token: 'x' }), {
      code: 'admin-token-too-short',
    });
    const token = `tdk_${'e'.repeat(40)}`;
    const h = await harness(url, { admin_token: token });
    const tokens = await h.api('GET', '/api/v1/tokens');
    const other = await h.api('POST', '/api/v1/tokens', { name: 'second admin', scope: 'admin' });
    const bootstrap = tokens.body.tokens.find((t: { id: string }) => t.id === 'bootstrap-admin');
    assert.equal(
      (await apiFor(h.c.url, other.body.token)('DELETE', `/api/v1/tokens/${bootstrap.id}`)).status,
      204,
    );
    await h.c.close();
    await assert.rejects(startController({ store_url: url, admin_token: token }), {
      code: 'admin-token-revoked',
    });
  });

  test('the controller process exits at once, saying why, on a short or revoked TANDEM_ADMIN_TOKEN', async () => {
    const url = await stores.url();
    await assert.rejects(spawnController(url, 'tdk_short'), (err: Error) => {
      assert.match(err.message, /exited with 2/);
      assert.match(err.message, /TANDEM_ADMIN_TOKEN has 9 characters; use at least 32/);
      return true;
    });
    const token = `tdk_${'r'.repeat(40)}`;
    const h = await harness(url, { admin_token: token });
    const other = await h.api('POST', '/api/v1/tokens', { name: 'second admin', scope: 'admin' });
    assert.equal(
      (await apiFor(h.c.url, other.body.token)('DELETE', '/api/v1/tokens/bootstrap-admin')).status,
      204,
    );
    await h.c.close();
    await assert.rejects(spawnController(url, token), (err: Error) => {
      assert.match(err.message, /exited with 2/);
      assert.match(err.message, /TANDEM_ADMIN_TOKEN was revoked through the API/);
      return true;
    });
  });

  test('the SQLite store and its WAL are readable by their owner only', async () => {
    const url = await stores.url();
    const h = await harness(url);
    try {
      await h.api('POST', '/api/v1/sites', { name: 's', kind: 'physical' });
      for (const file of [url, `${url}-wal`]) assert.equal(statSync(file).mode & 0o777, 0o600, file);
    } finally {
      await h.c.close();
    }
  });
});
