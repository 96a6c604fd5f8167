// The controller's server-sent events, read with fetch so the token travels in the Authorization
// header (EventSource cannot send one, and a token in the URL would end up in logs). Reconnects
// with a bounded backoff; after a reconnect the pages reload their view (`resync`): updates sent
// while the stream was down are not replayed.
import { session } from './session.js';
import type { EventView, SiteSummary } from './types.js';

export interface LiveMessages {
  site: SiteSummary;
  'site-removed': { site_id: string };
  event: EventView;
  resync: { reason: string };
  state: { connected: boolean };
}
type Kind = keyof LiveMessages;
type Handler<K extends Kind> = (data: LiveMessages[K]) => void;

const BACKOFF_MS = [1000, 2000, 5000, 10_000, 30_000];

export class LiveStream {
  private readonly handlers = new Map<Kind, Set<(data: never) => void>>();
  private abort: AbortController | null = null;
  private failures = 0;
  private stopped = true;
  private retry: number | null = null;
  connected = false;

  on<K extends Kind>(kind: K, fn: Handler<K>): () => void {
    let set = this.handlers.get(kind);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(kind, set);
    }
    set.add(fn as (data: never) => void);
    return () => set.delete(fn as (data: never) => void);
  }

  private emit<K extends Kind>(kind: K, data: LiveMessages[K]): void {
    for (const fn of this.handlers.get(kind) ?? []) (fn as Handler<K>)(data);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.run(false);
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    this.setConnected(false);
  }

  private setConnected(connected: boolean): void {
    if (connected === this.connected) return;
    this.connected = connected;
    this.emit('state', { connected });
  }

  private async run(reconnect: boolean): Promise<void> {
    const token = session.token();
    if (token === null || this.stopped) return;
    this.abort = new AbortController();
    try {
      const res = await fetch('/api/v1/live', {
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
        signal: this.abort.signal,
      });
      if (res.status === 401) {
        session.expired('the token was refused');
        return;
      }
      if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`);
      this.failures = 0;
      this.setConnected(true);
      performance.mark('tandem:live');
      if (reconnect) this.emit('resync', { reason: 'reconnected' });
      await this.read(res.body);
    } catch {
      // Aborted or the connection dropped: fall through to the retry.
    }
    this.setConnected(false);
    if (this.stopped) return;
    const wait = BACKOFF_MS[Math.min(this.failures++, BACKOFF_MS.length - 1)]!;
    this.retry = window.setTimeout(() => void this.run(true), wait);
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        this.dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
      }
    }
  }

  private dispatch(block: string): void {
    let kind = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) kind = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length === 0) return;
    if (kind === 'end') {
      this.abort?.abort();
      return;
    }
    if (kind === 'site' || kind === 'site-removed' || kind === 'event' || kind === 'resync')
      this.emit(kind, JSON.parse(data.join('\n')) as never);
  }
}

export const live = new LiveStream();
