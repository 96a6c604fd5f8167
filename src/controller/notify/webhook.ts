// Webhook channel: a JSON POST signed with HMAC-SHA-256 over "<timestamp>.<body>", so a receiver
// can check both origin and freshness (docs/controller.md gives the replay window and a verifier).
//
// The controller calls URLs that API users typed, from inside the operator's network, so a URL is
// checked when the channel is created and again, by the addresses its name resolves to, when it is
// called: link-local addresses (cloud metadata services live there) are always refused; private and
// loopback ones too when the operator says so (`deny_private`). No redirect is followed (it would
// carry the signed body elsewhere), and the answer is read up to a small bound.
import { createHmac } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { type Address, type Cidr, contains, parseAddress, parseCidr } from '../../net/address.js';
import { post } from '../../net/http-post.js';
import { type Notification, subjectOf } from './message.js';

export interface WebhookConfig {
  readonly url: string;
  readonly secret: string;
}

export interface WebhookPolicy {
  /** Also refuse private (RFC 1918, fc00::/7) and loopback destinations. */
  readonly deny_private: boolean;
}

export const SIGNATURE_HEADER = 'x-tandem-signature';
export const TIMESTAMP_HEADER = 'x-tandem-timestamp';
/** A receiver needs the status only; a longer answer is cut off (and counts as a failure). */
const ANSWER_MAX_BYTES = 64 * 1024;

function blocks(texts: readonly string[]): readonly Cidr[] {
  return texts.map((t) => {
    const c = parseCidr(t);
    if (!c.ok) throw new Error(c.expected);
    return c.value;
  });
}
const LINK_LOCAL = blocks(['169.254.0.0/16', 'fe80::/10', '0.0.0.0/8', '::/128']);
const PRIVATE = blocks([
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  'fc00::/7',
  '127.0.0.0/8',
  '::1/128',
]);

const V4_MAPPED = blocks(['::ffff:0:0/96'])[0]!;

/** Why the policy refuses calling this address, or null. */
export function addressProblem(address: Address, policy: WebhookPolicy): string | null {
  if (contains(V4_MAPPED, address))
    return `${address.text} is an IPv4-mapped address; write the IPv4 address`;
  if (LINK_LOCAL.some((b) => contains(b, address)))
    return `${address.text} is a link-local or unspecified address (cloud metadata lives there)`;
  if (policy.deny_private && PRIVATE.some((b) => contains(b, address)))
    return `${address.text} is a private or loopback address, and this controller denies those for webhooks`;
  return null;
}

/** Why a webhook URL is refused at creation, or null. */
export function webhookUrlProblem(text: string, policy: WebhookPolicy): string | null {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return `expected an http(s) URL, got ${JSON.stringify(text)}`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return `expected http:// or https://, got ${u.protocol}//`;
  if (u.hostname === '') return 'expected a host in the URL';
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const literal = parseAddress(host);
  if (literal.ok) {
    // The URL parser rewrites 010.1 or 0x0a.0.0.1 as an address; only the address as written is taken.
    if (literal.value.family === 4 && !text.toLowerCase().includes(`${host}`)) {
      return `write the host address in dotted decimal (the URL reads as ${host})`;
    }
    return addressProblem(literal.value, policy);
  }
  if (/^[0-9.]+$/.test(host)) return `expected a host name or a dotted-decimal address, got ${host}`;
  return null;
}

/** The URL to show and log: any password replaced, so viewers and logs never see it. */
export function redactedUrl(text: string): string {
  try {
    const u = new URL(text);
    if (u.password !== '') u.password = '(hidden)';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** Resolves like the system does, then refuses the call if any address the name gives is forbidden. */
function guardedLookup(policy: WebhookPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      for (const a of addresses) {
        const parsed = parseAddress(a.address);
        const problem = parsed.ok ? addressProblem(parsed.value, policy) : `unexpected address ${a.address}`;
        if (problem !== null)
          return callback(Object.assign(new Error(`refused: ${problem}`), { code: 'EWEBHOOKDENIED' }), '', 4);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (first === undefined) return callback(new Error(`${hostname} has no address`), '', 4);
      callback(null, first.address, first.family);
    });
  };
}

export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export async function sendWebhook(
  config: WebhookConfig,
  n: Notification,
  now_ms: number,
  timeout_ms: number,
  policy: WebhookPolicy = { deny_private: false },
): Promise<void> {
  const body = JSON.stringify({
    delivery_id: n.delivery_id,
    summary: subjectOf(n),
    site_name: n.site_name,
    event: n.event,
  });
  // A literal address is connected to without a lookup: check it here (the policy may have changed).
  const host = new URL(config.url).hostname.replace(/^\[(.*)\]$/, '$1');
  const literal = parseAddress(host);
  const refused = literal.ok ? addressProblem(literal.value, policy) : null;
  if (refused !== null) throw new Error(`refused: ${refused}`);
  const timestamp = String(now_ms);
  const answer = await post(config.url, {
    headers: {
      'content-type': 'application/json',
      'x-tandem-event': n.event.type,
      'x-tandem-delivery': String(n.delivery_id),
      [TIMESTAMP_HEADER]: timestamp,
      [SIGNATURE_HEADER]: signature(config.secret, timestamp, body),
    },
    body,
    timeout_ms,
    max_bytes: ANSWER_MAX_BYTES,
    lookup: guardedLookup(policy),
  });
  if (answer.status >= 300 && answer.status < 400)
    throw new Error(`webhook answered HTTP ${answer.status}; redirects are not followed, give the final URL`);
  if (answer.status < 200 || answer.status >= 300) throw new Error(`webhook answered HTTP ${answer.status}`);
}
