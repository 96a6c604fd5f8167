// How the controller listens: HTTPS with a certificate it can reload, or plain HTTP only where that
// cannot leak a token (loopback) or where the operator says a TLS-terminating proxy is in front.
// Every request must arrive whole within a bound, so a client cannot hold a connection open by
// never finishing its body.
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { isLoopback } from '../net/address.js';

export interface TlsFiles {
  /** PEM certificate chain and private key; read at start and again on reload. */
  readonly cert_path: string;
  readonly key_path: string;
}

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: TlsFiles | null;
  /** Serve plain HTTP on a non-loopback address (behind a TLS-terminating reverse proxy). */
  readonly allow_cleartext?: boolean;
  /** The whole request, headers and body, must arrive within this (default 10 s). */
  readonly request_timeout_ms?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export class CleartextRefused extends Error {
  readonly code = 'cleartext-refused';
}

/** Refuses, before anything listens, to put tokens in clear on a network. */
export function checkCleartext(options: ListenOptions): void {
  if (options.tls || options.allow_cleartext || isLoopback(options.host)) return;
  throw new CleartextRefused(
    `refusing plain HTTP on ${options.host}: tokens would cross the network in clear; give --tls-cert and ` +
      '--tls-key, listen on loopback behind a TLS-terminating reverse proxy, or pass --allow-cleartext ' +
      'if such a proxy is in front',
  );
}

function readTls(files: TlsFiles): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(files.cert_path), key: readFileSync(files.key_path) };
}

export interface Listener {
  readonly scheme: 'http' | 'https';
  /** Builds the node server Fastify serves on (its serverFactory). */
  factory(handler: (req: IncomingMessage, res: ServerResponse) => void): Server;
  /** Reads the certificate and key again; new connections use them, open ones keep theirs. */
  reload(): void;
}

export function listener(options: ListenOptions): Listener {
  checkCleartext(options);
  const request_timeout_ms = options.request_timeout_ms ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const timeouts = {
    requestTimeout: request_timeout_ms,
    headersTimeout: request_timeout_ms,
    // Node checks the timeouts above on this interval (30 s by default, which would stretch them).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(request_timeout_ms / 4))),
  };
  const tls = options.tls ?? null;
  let server: HttpsServer | null = null;
  return {
    scheme: tls ? 'https' : 'http',
    factory(handler) {
      if (tls === null) return createHttpServer(timeouts, handler);
      server = createHttpsServer({ ...timeouts, ...readTls(tls), minVersion: 'TLSv1.2' }, handler);
      return server as unknown as Server;
    },
    reload() {
      if (tls === null || server === null) return;
      server.setSecureContext({ ...readTls(tls), minVersion: 'TLSv1.2' });
    },
  };
}
