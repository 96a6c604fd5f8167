// The agent's HTTP(S) requests to the controller, on node:http/https so that a pinned CA can be
// given (fetch cannot take one without an extra dependency). Bounded in time and in answer size.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isLoopback } from '../net/address.js';

export interface ControllerAnswer {
  readonly status: number;
  readonly text: string;
}

export interface PostOptions {
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly timeout_ms: number;
  /** PEM CA certificate(s) to trust instead of the system's, for a controller with a private CA. */
  readonly ca?: string | null;
}

/** A controller's answers are small JSON documents; anything longer is cut off as an error. */
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

export function post(url: string, o: PostOptions): Promise<ControllerAnswer> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      u,
      {
        method: 'POST',
        headers: { ...o.headers, 'content-length': Buffer.byteLength(o.body) },
        timeout: o.timeout_ms,
        ...(o.ca ? { ca: o.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > ANSWER_MAX_BYTES) req.destroy(new Error(`answer longer than ${ANSWER_MAX_BYTES} bytes`));
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
