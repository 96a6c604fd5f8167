// `tandem switchover`: an admin command to the local agent. It prints the core's verdict and exits 1 on a
// refusal; a switchover is then followed until the role has actually moved (or the wait runs out).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ADMIN_COMMANDS } from '../../agent/admin.js';
import { type Endpoint, EndpointError, endpointOf } from '../agent-endpoint.js';

interface Options {
  tokenFile?: string;
  url?: string;
  config?: string;
  command: string;
  waitMs: string;
  json?: boolean;
}

interface Verdict {
  readonly ok?: boolean;
  readonly state?: string;
  readonly reason?: string;
  readonly message?: string;
}

const POLL_MS = 100;

export function registerSwitchover(program: Command): void {
  program
    .command('switchover')
    .description('hand the active role to the peer (or another admin command); waits for the outcome')
    .option('-c, --config <file>', "the node's config: the status URL and admin token file are read from it")
    .option('--token-file <file>', "the agent's status.admin_token_file")
    .option('--url <url>', "the agent's status endpoint (default: from --config, else 127.0.0.1:20481)")
    .option('--command <name>', `one of ${ADMIN_COMMANDS.join(', ')}`, 'switchover')
    .option('--wait-ms <ms>', 'how long to wait for the role to move after an accepted switchover', '15000')
    .option('--json', 'print the verdict as JSON')
    .action(async (opts: Options) => {
      process.exitCode = await run(opts);
    });
}

async function run(opts: Options): Promise<number> {
  let endpoint: Endpoint;
  try {
    endpoint = endpointOf(opts);
  } catch (err) {
    if (!(err instanceof EndpointError)) throw err;
    console.error(`tandem switchover: ${err.message}`);
    return 2;
  }
  if (endpoint.token_file === null) {
    console.error('tandem switchover: give --token-file, or --config with status.admin_token_file set');
    return 2;
  }
  const token = readToken(endpoint.token_file);
  if (token === null) return 2;
  let res: Response;
  let body: Verdict;
  try {
    res = await fetch(new URL(`/admin/${encodeURIComponent(opts.command)}`, endpoint.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(3000),
    });
    body = (await res.json()) as Verdict;
  } catch (err) {
    console.error(`tandem switchover: cannot reach ${endpoint.url} (${(err as Error).message})`);
    return 1;
  }
  if (res.status === 409) {
    report(opts, { ...body, ok: false }, `${opts.command} refused: ${body.reason}: ${body.message ?? ''}`);
    return 1;
  }
  if (!res.ok) {
    console.error(`tandem switchover: refused (HTTP ${res.status}): ${body.message ?? ''}`);
    return 1;
  }
  if (opts.command !== 'switchover') {
    report(opts, body, `${opts.command}: done; this node is ${body.state}`);
    return 0;
  }
  return await follow(opts, endpoint, body.state ?? '?');
}

/** An accepted switchover is done when this node has left the state it was in (active ⇄ standby). */
async function follow(opts: Options, endpoint: Endpoint, from: string): Promise<number> {
  const wait_ms = Number(opts.waitMs);
  const deadline = performance.now() + (Number.isFinite(wait_ms) ? wait_ms : 15_000);
  const wanted = from === 'active' ? 'standby' : 'active';
  let state = from;
  while (performance.now() < deadline) {
    state = (await stateOf(endpoint)) ?? state;
    if (state === wanted) {
      report(opts, { ok: true, state }, `switchover: done; this node went from ${from} to ${state}`);
      return 0;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const message = `switchover accepted, but this node is still ${state} after ${opts.waitMs} ms; see \`tandem status\``;
  report(opts, { ok: false, state, reason: 'not-completed', message }, `switchover: ${message}`);
  return 1;
}

async function stateOf(endpoint: Endpoint): Promise<string | null> {
  try {
    const res = await fetch(new URL('/status', endpoint.url), { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { status?: { state?: string } };
    return body.status?.state ?? null;
  } catch {
    return null;
  }
}

function report(opts: Options, verdict: Verdict, text: string): void {
  const ok = verdict.ok !== false;
  if (opts.json) console.log(JSON.stringify({ command: opts.command, ...verdict, ok }));
  else if (ok) console.log(text);
  else console.error(text);
}

function readToken(file: string): string | null {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    console.error(`tandem switchover: cannot read ${file}: ${(err as Error).message}`);
    return null;
  }
  // Checked here so that a malformed token never ends up echoed in an HTTP library's error.
  if (!/^[\x21-\x7e]{16,}$/.test(token)) {
    console.error(`tandem switchover: ${file} must hold one token (16+ visible characters, one line)`);
    return null;
  }
  return token;
}
