import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import pino from 'pino';
import type { ListenOptions } from '../../controller/listener.js';
import { parseSmtpUrl, type SmtpSettings, smtpCredentials } from '../../controller/notify/email.js';
import { startController } from '../../controller/server.js';
import type { Settings } from '../../controller/settings.js';

interface Flags {
  store: string;
  listen: string;
  staleAfterMs?: string;
  failoverAfterMs?: string;
  failoverClaimWaitMs?: string;
  splitBrainAfterMs?: string;
  enrollmentTtlMs?: string;
  reportRetentionMs?: string;
  smtpUrl?: string;
  smtpFrom: string;
  smtpCredentialsFile?: string;
  smtpAllowCleartext?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  allowCleartext?: boolean;
  requestTimeoutMs?: string;
  webhookDenyPrivate?: boolean;
  logLevel: string;
}

function positiveInt(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${flag}: expected a positive whole number of milliseconds, got "${text}"`);
  return n;
}

function parseListen(text: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(text);
  if (!m || Number(m[2]) > 65535)
    throw new Error(`--listen: expected host:port (e.g. 0.0.0.0:8080), got "${text}"`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
}

function listenOf(flags: Flags): ListenOptions {
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined))
    throw new Error('--tls-cert and --tls-key go together: give both, or neither');
  const timeout = positiveInt('--request-timeout-ms', flags.requestTimeoutMs);
  return {
    ...parseListen(flags.listen),
    tls:
      flags.tlsCert !== undefined && flags.tlsKey !== undefined
        ? { cert_path: flags.tlsCert, key_path: flags.tlsKey }
        : null,
    allow_cleartext: flags.allowCleartext === true,
    ...(timeout !== undefined ? { request_timeout_ms: timeout } : {}),
  };
}

function smtpOf(flags: Flags): SmtpSettings | null {
  if (flags.smtpUrl === undefined) return null;
  const file = flags.smtpCredentialsFile;
  const credentials = smtpCredentials(file === undefined ? null : readFileSync(file, 'utf8'), process.env);
  return parseSmtpUrl(flags.smtpUrl, flags.smtpFrom, credentials, flags.smtpAllowCleartext === true);
}

export function registerController(program: Command): void {
  program
    .command('controller')
    .description(
      'run the fleet controller: HTTP API for sites, pairs, enrollment, status, events and notifications',
    )
    .option(
      '--store <path|url>',
      'SQLite file, or a postgres:// URL',
      process.env.TANDEM_STORE ?? '.tandem/controller.db',
    )
    .option('--listen <host:port>', 'address to serve the API on', '127.0.0.1:8080')
    .option('--tls-cert <file>', 'PEM certificate chain: serve HTTPS (re-read on SIGHUP)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert (re-read on SIGHUP)')
    .option(
      '--allow-cleartext',
      'serve plain HTTP on a non-loopback address (only behind a TLS-terminating reverse proxy)',
    )
    .option('--request-timeout-ms <ms>', 'a request must arrive whole within this (default 10000)')
    .option('--stale-after-ms <ms>', 'a node silent this long is stale (default 30000)')
    .option(
      '--failover-after-ms <ms>',
      'failover event only when the secondary stays active longer (default 35000)',
    )
    .option(
      '--failover-claim-wait-ms <ms>',
      'past that, the failover event waits this long for claims still running (default 300000)',
    )
    .option(
      '--split-brain-after-ms <ms>',
      'split-brain event only when both nodes stay active longer (default 5000)',
    )
    .option('--enrollment-ttl-ms <ms>', 'how long an enrollment token is valid (default 7 days)')
    .option('--report-retention-ms <ms>', 'stored reports older than this are dropped (default 1 hour)')
    .option('--smtp-url <url>', 'SMTP server for email notifications, smtp://host:port or smtps://host')
    .option(
      '--smtp-credentials-file <file>',
      'SMTP user (first line) and password (second line); or TANDEM_SMTP_USER and TANDEM_SMTP_PASSWORD',
    )
    .option(
      '--smtp-allow-cleartext',
      'send mail (and the password) without TLS when the server offers no STARTTLS',
    )
    .option(
      '--webhook-deny-private',
      'refuse webhook URLs on private and loopback addresses too (link-local ones always are)',
    )
    .option('--smtp-from <address>', 'sender of notification emails', 'tandem@localhost')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (flags: Flags) => {
      try {
        await run(flags);
      } catch (err) {
        console.error(`tandem controller: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(2);
      }
    });
}

async function run(flags: Flags): Promise<void> {
  const settings: Partial<Settings> = {};
  const put = (key: keyof Settings, flag: string, v: string | undefined): void => {
    const n = positiveInt(flag, v);
    if (n !== undefined) (settings as Record<string, number>)[key] = n;
  };
  put('stale_after_ms', '--stale-after-ms', flags.staleAfterMs);
  put('failover_after_ms', '--failover-after-ms', flags.failoverAfterMs);
  put('failover_claim_wait_ms', '--failover-claim-wait-ms', flags.failoverClaimWaitMs);
  put('split_brain_after_ms', '--split-brain-after-ms', flags.splitBrainAfterMs);
  put('enrollment_ttl_ms', '--enrollment-ttl-ms', flags.enrollmentTtlMs);
  put('report_retention_ms', '--report-retention-ms', flags.reportRetentionMs);
  // Logs go to stderr; stdout carries the address and the one-time admin token.
  const log = pino({ level: flags.logLevel }, pino.destination(2));
  const controller = await startController({
    store_url: flags.store,
    listen: listenOf(flags),
    settings,
    smtp: smtpOf(flags),
    webhooks: { deny_private: flags.webhookDenyPrivate === true },
    ...(process.env.TANDEM_ADMIN_TOKEN ? { admin_token: process.env.TANDEM_ADMIN_TOKEN } : {}),
    log,
  });
  console.log(`tandem controller listening on ${controller.url} (store: ${controller.store.dialect})`);
  if (controller.admin_token !== null) {
    console.log(`admin token (shown once, keep it safe): ${controller.admin_token}`);
  }
  const stop = (signal: string): void => {
    log.info({ signal }, 'stopping');
    controller.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGHUP', () => {
    try {
      controller.reloadTls();
      log.info('TLS certificate and key reloaded');
    } catch (err) {
      // The old certificate stays in use: a half-written file must not take the API down.
      log.error(
        { err: err instanceof Error ? err.message : String(err) },
        'TLS reload failed; keeping the old one',
      );
    }
  });
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
