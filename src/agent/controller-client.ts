// The agent's side of the controller: enroll once (an enrollment token for a credential kept in a
// file), then report. Reports wait in a bounded queue while the controller is unreachable and are
// sent in order when it is back; when the queue is full the oldest is dropped and counted.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PendingCommand, Report } from '../controller/schema.js';
import { type Answer, controllerUrlProblem, post } from '../net/http-post.js';

/** An answer's JSON, or an empty object when it is not JSON (a proxy's error page). */
function parseAnswer(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** What an agent reports (the controller's Report shape, minus the id the client assigns). */
export type NodeReport = Omit<Report, 'id'>;

/** What every report reply carries besides the acknowledgement. */
export interface ReportReply {
  readonly settings_version: number;
  readonly commands: readonly PendingCommand[];
}

export interface ClientEvents {
  /** Each stored report's reply: the site's settings version and the commands waiting for this node. */
  reply?(reply: ReportReply): void;
  /** The controller removed this node from its site (410 node-removed): reporting stops for good. */
  removed?(): void;
}

export interface NodeCredential {
  readonly controller_url: string;
  readonly node_id: string;
  readonly site_id: string;
  readonly role: 'primary' | 'secondary';
  readonly credential: string;
}

export interface ControllerClientOptions {
  readonly url: string;
  /** Where the node credential is kept (written 0600). */
  readonly credential_path: string;
  /** Bound on queued reports; the oldest goes first when full. */
  readonly queue_max?: number;
  readonly backoff_min_ms?: number;
  readonly backoff_max_ms?: number;
  readonly request_timeout_ms?: number;
  readonly on?: ClientEvents;
  /** PEM CA certificate(s) the controller's certificate must chain to (instead of the system's). */
  readonly ca?: string | null;
  /** Allow plain http:// to a non-loopback controller (a TLS-terminating proxy on the way). */
  readonly allow_cleartext?: boolean;
}

export interface ClientStats {
  readonly queued: number;
  readonly sent: number;
  /** Dropped because the queue was full while the controller was away. */
  readonly dropped: number;
  /** Refused by the controller as invalid (never retried). */
  readonly rejected: number;
  /** The controller revoked this node's credential: reporting has stopped for good. */
  readonly revoked: boolean;
  /** The controller removed this node from its site (a kind of revocation). */
  readonly removed: boolean;
  readonly last_error: string | null;
}

export type EnrollError =
  | { code: 'enrollment-refused'; status: number; message: string }
  | { code: 'cleartext-refused'; message: string }
  | { code: 'unreachable'; message: string };

export class ControllerClientError extends Error {
  constructor(readonly detail: EnrollError) {
    super(detail.message);
  }
}

interface Queued {
  readonly id: string;
  readonly body: string;
}

export class ControllerClient {
  private credential: NodeCredential | null = null;
  private readonly queue: Queued[] = [];
  private pumping = false;
  private closed = false;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly idleWaiters: (() => void)[] = [];
  private counts = { sent: 0, dropped: 0, rejected: 0 };
  private revoked = false;
  private removed = false;
  private last_error: string | null = null;
  private readonly queue_max: number;
  private readonly backoff_min_ms: number;
  private readonly backoff_max_ms: number;
  private readonly request_timeout_ms: number;

  constructor(private readonly o: ControllerClientOptions) {
    this.queue_max = o.queue_max ?? 1000;
    this.backoff_min_ms = o.backoff_min_ms ?? 500;
    this.backoff_max_ms = o.backoff_max_ms ?? 30_000;
    this.request_timeout_ms = o.request_timeout_ms ?? 5000;
    const problem = controllerUrlProblem(o.url, o.allow_cleartext ?? false);
    if (problem !== null) throw new ControllerClientError({ code: 'cleartext-refused', message: problem });
  }

  private post(path: string, headers: Record<string, string>, body: string): Promise<Answer> {
    return post(`${this.o.url}${path}`, {
      headers: { 'content-type': 'application/json', ...headers },
      body,
      timeout_ms: this.request_timeout_ms,
      ca: this.o.ca ?? null,
    });
  }

  /** Uses the stored credential when there is one; otherwise exchanges the enrollment token. */
  async enroll(enrollment_token: string | null): Promise<NodeCredential> {
    if (existsSync(this.o.credential_path)) {
      this.credential = JSON.parse(readFileSync(this.o.credential_path, 'utf8')) as NodeCredential;
      return this.credential;
    }
    if (enrollment_token === null) {
      throw new ControllerClientError({
        code: 'enrollment-refused',
        status: 0,
        message: 'no stored credential and no enrollment token in the config',
      });
    }
    let res: Answer;
    try {
      res = await this.post('/api/v1/enroll', {}, JSON.stringify({ enrollment_token }));
    } catch (err) {
      throw new ControllerClientError({
        code: 'unreachable',
        message: `controller ${this.o.url} unreachable: ${String(err)}`,
      });
    }
    const body = parseAnswer(res.text) as {
      node_id: string;
      site_id: string;
      role: 'primary' | 'secondary';
      credential: string;
      error?: { message: string };
    };
    if (res.status !== 201) {
      throw new ControllerClientError({
        code: 'enrollment-refused',
        status: res.status,
        message: body.error?.message ?? `HTTP ${res.status}`,
      });
    }
    const cred: NodeCredential = {
      controller_url: this.o.url,
      node_id: body.node_id,
      site_id: body.site_id,
      role: body.role,
      credential: body.credential,
    };
    mkdirSync(dirname(this.o.credential_path), { recursive: true });
    const tmp = `${this.o.credential_path}.tmp`;
    writeFileSync(tmp, JSON.stringify(cred), { mode: 0o600 });
    renameSync(tmp, this.o.credential_path);
    this.credential = cred;
    return cred;
  }

  /** Queues a report and returns its id; sending happens in the background, in order. */
  report(status: NodeReport): string {
    const id = randomUUID();
    this.queue.push({ id, body: JSON.stringify({ ...status, id }) });
    while (this.queue.length > this.queue_max) {
      this.queue.shift();
      this.counts.dropped++;
    }
    this.kick();
    return id;
  }

  stats(): ClientStats {
    return {
      queued: this.queue.length,
      ...this.counts,
      revoked: this.revoked,
      removed: this.removed,
      last_error: this.last_error,
    };
  }

  /** Resolves when every queued report has been sent (or reporting stopped). */
  idle(): Promise<void> {
    if (this.queue.length === 0 || this.revoked) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
  }

  private kick(): void {
    if (this.pumping) {
      return;
    }
    this.pumping = true;
    void this.pump().finally(() => {
      this.pumping = false;
    });
  }

  private async pump(): Promise<void> {
    let backoff_ms = this.backoff_min_ms;
    while (!this.closed && !this.revoked && this.queue.length > 0) {
      const head = this.queue[0]!;
      const outcome = await this.send(head);
      if (outcome === 'retry') {
        await this.sleep(backoff_ms);
        backoff_ms = Math.min(backoff_ms * 2, this.backoff_max_ms);
        continue;
      }
      backoff_ms = this.backoff_min_ms;
      // The queue may have dropped the head while we were sending; remove it only if still first.
      if (this.queue[0] === head) this.queue.shift();
      if (outcome === 'sent') this.counts.sent++;
      if (outcome === 'rejected') this.counts.rejected++;
    }
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async send(q: Queued): Promise<'sent' | 'rejected' | 'retry' | 'revoked'> {
    const cred = this.credential;
    if (cred === null) {
      this.last_error = 'not enrolled yet';
      return 'retry';
    }
    try {
      const res = await this.post(
        `/api/v1/nodes/${cred.node_id}/reports`,
        { authorization: `Bearer ${cred.credential}` },
        q.body,
      );
      if (res.status >= 200 && res.status < 300) {
        this.o.on?.reply?.(replyOf(res.text));
        return 'sent';
      }
      this.last_error = `HTTP ${res.status}: ${res.text.slice(0, 200)}`;
      if (res.status === 410) {
        this.revoked = true;
        this.removed = true;
        this.o.on?.removed?.();
        return 'revoked';
      }
      if (res.status === 401) {
        this.revoked = true;
        return 'revoked';
      }
      if (res.status === 408 || res.status === 429 || res.status >= 500) return 'retry';
      return 'rejected';
    } catch (err) {
      this.last_error = `controller unreachable: ${err instanceof Error ? err.message : String(err)}`;
      return 'retry';
    }
  }

  /** The node's site settings (GET /api/v1/nodes/:id/config); throws when unreachable or refused. */
  async fetchConfig(): Promise<unknown> {
    const cred = this.credential;
    if (cred === null) throw new Error('not enrolled yet');
    const res = await post(`${this.o.url}/api/v1/nodes/${cred.node_id}/config`, {
      method: 'GET',
      headers: { authorization: `Bearer ${cred.credential}` },
      body: '',
      timeout_ms: this.request_timeout_ms,
      ca: this.o.ca ?? null,
    });
    if (res.status !== 200) throw new Error(`GET config: HTTP ${res.status}: ${res.text.slice(0, 200)}`);
    return JSON.parse(res.text) as unknown;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }
}

/** A reply from an older controller has neither field: no settings version, no commands. */
function replyOf(text: string): ReportReply {
  try {
    const body = JSON.parse(text) as Partial<ReportReply>;
    return {
      settings_version: typeof body.settings_version === 'number' ? body.settings_version : 0,
      commands: Array.isArray(body.commands) ? body.commands : [],
    };
  } catch {
    return { settings_version: 0, commands: [] };
  }
}
