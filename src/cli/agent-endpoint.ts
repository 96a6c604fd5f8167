// Where the local agent's status server is and which admin token it takes, from the flags or from the
// node's config (`--config`): the same file the agent runs with, so an operator types no URL.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_STATUS_LISTEN } from '../agent/config-schema.js';

export interface EndpointFlags {
  readonly url?: string;
  readonly tokenFile?: string;
  readonly config?: string;
}

export interface Endpoint {
  readonly url: string;
  readonly token_file: string | null;
}

export class EndpointError extends Error {
  readonly code = 'ENDPOINT_UNKNOWN';
}

export function endpointOf(flags: EndpointFlags): Endpoint {
  const fromConfig = flags.config === undefined ? null : readStatusSection(flags.config);
  const listen = fromConfig?.listen ?? DEFAULT_STATUS_LISTEN;
  return {
    url: flags.url ?? `http://${reachable(listen)}`,
    token_file: flags.tokenFile ?? fromConfig?.admin_token_file ?? null,
  };
}

function readStatusSection(file: string): { listen?: string; admin_token_file?: string } {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new EndpointError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const status = (raw as { status?: { listen?: unknown; admin_token_file?: unknown } } | null)?.status;
  return {
    ...(typeof status?.listen === 'string' ? { listen: status.listen } : {}),
    ...(typeof status?.admin_token_file === 'string'
      ? { admin_token_file: resolve(dirname(file), status.admin_token_file) }
      : {}),
  };
}

/** An agent listening on every address is reached on loopback. */
function reachable(listen: string): string {
  if (listen.startsWith('0.0.0.0:')) return `127.0.0.1:${listen.slice(8)}`;
  if (listen.startsWith('[::]:')) return `[::1]:${listen.slice(5)}`;
  return listen;
}
