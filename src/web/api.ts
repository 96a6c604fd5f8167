// The controller's API from the browser: every call carries the session's token; a refusal comes
// back as an ApiError with the API's code, message and the path of the field it is about.
import { session } from './session.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** JSON pointer of the field, e.g. "/aws/route_tables/0". */
    readonly path: string | null,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 15_000;

export async function call<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const t = token ?? session.token();
  const headers: Record<string, string> = {};
  if (t !== null) headers.authorization = `Bearer ${t}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new ApiError(0, 'unreachable', `the controller did not answer (${String(err)})`, null);
  }
  const text = await res.text();
  const json = text === '' ? null : (JSON.parse(text) as unknown);
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; path?: string } } | null)?.error;
    if (res.status === 401 && token === undefined) session.expired(e?.message ?? 'signed out');
    throw new ApiError(res.status, e?.code ?? 'http', e?.message ?? `HTTP ${res.status}`, e?.path ?? null);
  }
  return json as T;
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}
