// One bounded HTTP(S) POST, on node:http/https rather than fetch: a pinned CA and a check of the
// addresses a name resolves to can be given (fetch takes neither without an extra dependency), no
// redirect is ever followed, and the time and the answer's size are bounded. Used by the agent (to
// the controller) and by the controller (webhooks).

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isLoopback } from './address.js';

export interface Answer {
  readonly status: number;
  readonly text: string;
}

export interface PostOptions {
  /** POST unless told otherwise (an agent also GETs its settings, with the same TLS trust). */
  readonly method?: 'POST' | 'GET';
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly timeout_ms: number;
  /** PEM CA certificate(s) to trust instead of the system's, for a controller with a private CA. */
  readonly ca?: string | null;
  /** Longer answers are an error (default 1 MiB). */
  readonly max_bytes?: number;
  /** Resolves host names; a webhook's refuses addresses its policy forbids. */
  readonly lookup?: LookupFunction;
}

const ANSWER_MAX_BYTES = 1024 * 1024;

/**
 * Why a controller URL may not be used, or null: only http(s), and plain http only to loopback
 * unless the operator allows it (a TLS-terminating proxy on the way, a lab).
 */
export function controllerUrlProblem(url: string, allow_cleartext: boolean): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `expected an http(s) URL, got ${JSON.stringify(url)}`;
  }
  if (u.protocol === 'https:') return null;
  if (u.protocol !== 'http:') return `expected an http(s) URL, got ${JSON.stringify(url)}`;
  if (allow_cleartext || isLoopback(u.hostname)) return null;
  return (
    `refusing plain http to ${u.host}: the node credential would cross the network in clear; ` +
    'use https:// (with controller_ca_file for a private CA) or set controller_allow_cleartext: true'
  );
}

export function post(url: string, o: PostOptions): Promise<Answer> {
  const u = new URL(url);
  const max_bytes = o.max_bytes ?? ANSWER_MAX_BYTES;
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      u,
      {
        method: o.method ?? 'POST',
        headers: { ...o.headers, 'content-length': Buffer.byteLength(o.body) },
        timeout: o.timeout_ms,
        ...(o.ca ? { ca: o.ca } : {}),
        ...(o.lookup ? { lookup: o.lookup } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > max_bytes) req.destroy(new Error(`answer longer than ${max_bytes} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    // The timeout bounds the whole exchange, not only idle time.
    const deadline = setTimeout(
      () => req.destroy(new Error(`no answer within ${o.timeout_ms} ms`)),
      o.timeout_ms,
    );
    req.on('close', () => clearTimeout(deadline));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeout_ms} ms`)));
    req.on('error', reject);
    req.end(o.body);
  });
}
