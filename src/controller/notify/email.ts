// Email channel: plain SMTP through nodemailer, to any list of addresses.
import nodemailer from 'nodemailer';
import { type Notification, subjectOf, textOf } from './message.js';

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  /** Implicit TLS (port 465); otherwise STARTTLS, required unless allow_cleartext. */
  readonly secure: boolean;
  /** Send (and authenticate) over a connection without TLS when the server offers no STARTTLS. */
  readonly allow_cleartext?: boolean;
  readonly user?: string;
  readonly pass?: string;
  readonly from: string;
}

export interface Mailer {
  send(to: readonly string[], n: Notification): Promise<void>;
  close(): void;
}

export function createMailer(smtp: SmtpSettings, timeout_ms: number): Mailer {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    // Without TLS the password (AUTH PLAIN) and the mail would cross the network in clear.
    requireTLS: !smtp.secure && smtp.allow_cleartext !== true,
    ...(smtp.user !== undefined ? { auth: { user: smtp.user, pass: smtp.pass ?? '' } } : {}),
    connectionTimeout: timeout_ms,
    greetingTimeout: timeout_ms,
    socketTimeout: timeout_ms,
  });
  return {
    async send(to, n) {
      await transport.sendMail({ from: smtp.from, to: [...to], subject: subjectOf(n), text: textOf(n) });
    },
    close() {
      transport.close();
    },
  };
}

export interface SmtpCredentials {
  readonly user: string;
  readonly pass: string;
}

/**
 * smtp://host:port or smtps://host (implicit TLS). Credentials never come from the URL (a command
 * line is visible to every user in `ps`); they come from a file or the environment.
 */
export function parseSmtpUrl(
  url: string,
  from: string,
  credentials: SmtpCredentials | null = null,
  allow_cleartext = false,
): SmtpSettings {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--smtp-url: expected smtp://host:port or smtps://host, got "${url}"`);
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') {
    throw new Error(`--smtp-url: "${u.protocol}//…" must start with smtp:// or smtps://`);
  }
  if (u.username !== '' || u.password !== '') {
    throw new Error(
      '--smtp-url: put no credentials in the URL (they would show in `ps`); use --smtp-credentials-file ' +
        'or TANDEM_SMTP_USER and TANDEM_SMTP_PASSWORD',
    );
  }
  const secure = u.protocol === 'smtps:';
  return {
    host: u.hostname,
    port: u.port === '' ? (secure ? 465 : 25) : Number(u.port),
    secure,
    allow_cleartext,
    ...(credentials !== null ? { user: credentials.user, pass: credentials.pass } : {}),
    from,
  };
}

/**
 * SMTP credentials: a file (mode 0600 advised) whose first line is the user and second the password,
 * or the environment's TANDEM_SMTP_USER and TANDEM_SMTP_PASSWORD; null when neither is given.
 */
export function smtpCredentials(fileText: string | null, env: NodeJS.ProcessEnv): SmtpCredentials | null {
  if (fileText !== null) {
    const [user, pass] = fileText.split(/\r?\n/);
    if (!user || pass === undefined || pass === '')
      throw new Error(
        '--smtp-credentials-file: expected the user on the first line and the password on the second',
      );
    return { user, pass };
  }
  const user = env.TANDEM_SMTP_USER;
  const pass = env.TANDEM_SMTP_PASSWORD;
  if (user === undefined && pass === undefined) return null;
  if (!user || !pass) throw new Error('set both TANDEM_SMTP_USER and TANDEM_SMTP_PASSWORD, or neither');
  return { user, pass };
}
