// Email channel: plain SMTP through nodemailer, to any list of addresses.
import nodemailer from 'nodemailer';
import { type Notification, subjectOf, textOf } from './message.js';

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  /** Implicit TLS (port 465); otherwise STARTTLS when the server offers it. */
  readonly secure: boolean;
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

/** smtp://user:pass@host:port or smtps://host (implicit TLS). */
export function parseSmtpUrl(url: string, from: string): SmtpSettings {
  const u = new URL(url);
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') {
    throw new Error(`SMTP URL "${u.protocol}//…" must start with smtp:// or smtps://`);
  }
  const secure = u.protocol === 'smtps:';
  return {
    host: u.hostname,
    port: u.port === '' ? (secure ? 465 : 25) : Number(u.port),
    secure,
    ...(u.username !== ''
      ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) }
      : {}),
    from,
  };
}
