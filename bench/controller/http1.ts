// The load generator's HTTP/1.1 client: keep-alive connections, one request at a time on each (no
// pipelining, as an agent sends), each request written in one piece. It shares two cores with the
// controller it measures, so it must cost little: undici took 35–70 µs of CPU per request here, this
// about 20 (measured on loopback against a bare node:http server). It reads only what the bench needs
// (the status, and the body's length to find the next response) and refuses anything else loudly.
import { connect, type Socket } from 'node:net';

/** Called with the response's status, or 0 when the request failed (connection lost, bad response). */
export type Done = (status: number) => void;

interface Waiting {
  readonly bytes: Buffer;
  readonly done: Done;
}

const HEAD_END = Buffer.from('\r\n\r\n');
/**
 * A connection idle for this long less than the server's `Keep-Alive: timeout` is not reused: the
 * server may be closing it as the request goes out, and the request would be lost (as undici does).
 */
const KEEP_ALIVE_MARGIN_MS = 1000;
/** A response head longer than this is not the controller's. */
const HEAD_MAX = 8192;

class Connection {
  private socket: Socket | null = null;
  private buffered: Buffer = Buffer.alloc(0);
  private current: Done | null = null;
  /** When the last response ended (ms), and how long the server keeps an idle connection. */
  private idleSince = 0;
  private keepAliveMs = Number.POSITIVE_INFINITY;

  constructor(
    private readonly port: number,
    private readonly host: string,
    private readonly idle: (c: Connection) => void,
  ) {}

  send(w: Waiting): void {
    this.current = w.done;
    if (this.socket !== null && performance.now() - this.idleSince > this.keepAliveMs - KEEP_ALIVE_MARGIN_MS)
      this.drop();
    if (this.socket === null) this.open();
    this.socket!.write(w.bytes);
  }

  private open(): void {
    const socket = connect(this.port, this.host);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    const lost = (): void => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.buffered = Buffer.alloc(0);
      this.finish(0);
    };
    socket.on('error', lost);
    socket.on('close', lost);
    this.socket = socket;
  }

  private read(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const end = this.buffered.indexOf(HEAD_END);
    if (end < 0) {
      if (this.buffered.length > HEAD_MAX) this.fail();
      return;
    }
    const head = this.buffered.toString('latin1', 0, end);
    const status = /^HTTP\/1\.1 (\d{3}) /.exec(head);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    // The controller always sends a length; without one the end of the body is unknown.
    if (status === null || length === null) {
      this.fail();
      return;
    }
    const total = end + HEAD_END.length + Number(length[1]);
    if (this.buffered.length < total) return;
    // One request at a time: nothing may follow the response.
    if (this.buffered.length > total) {
      this.fail();
      return;
    }
    this.buffered = Buffer.alloc(0);
    if (/\r\nconnection: *close/i.test(head)) this.drop();
    const keepAlive = /\r\nkeep-alive: *timeout=(\d+)/i.exec(head);
    if (keepAlive !== null) this.keepAliveMs = Number(keepAlive[1]) * 1000;
    this.idleSince = performance.now();
    this.finish(Number(status[1]));
  }

  private finish(status: number): void {
    const done = this.current;
    this.current = null;
    if (done === null) return;
    done(status);
    this.idle(this);
  }

  private fail(): void {
    this.drop();
    this.finish(0);
  }

  private drop(): void {
    const s = this.socket;
    this.socket = null;
    this.buffered = Buffer.alloc(0);
    s?.destroy();
  }

  close(): void {
    this.drop();
  }
}

/** Up to `connections` keep-alive connections to one origin; requests beyond them wait in turn. */
export class Http1Pool {
  private readonly free: Connection[] = [];
  private readonly all: Connection[] = [];
  private readonly queue: Waiting[] = [];
  private readonly prefix: string;

  constructor(origin: URL, connections: number) {
    const port = Number(origin.port);
    const host = origin.hostname;
    for (let i = 0; i < connections; i++) {
      const c = new Connection(port, host, (idle) => this.next(idle));
      this.all.push(c);
      this.free.push(c);
    }
    this.prefix = `host: ${origin.host}\r\n`;
  }

  /** POSTs a JSON body with a bearer token; `done` gets the status (0: failed). */
  post(path: string, token: string, body: string, done: Done): void {
    const length = Buffer.byteLength(body);
    const bytes = Buffer.from(
      `POST ${path} HTTP/1.1\r\n${this.prefix}authorization: Bearer ${token}\r\n` +
        `content-type: application/json\r\ncontent-length: ${length}\r\n\r\n${body}`,
    );
    // The longest idle first: every connection stays in use, none left to expire.
    const c = this.free.shift();
    if (c === undefined) this.queue.push({ bytes, done });
    else c.send({ bytes, done });
  }

  private next(c: Connection): void {
    const w = this.queue.shift();
    if (w === undefined) this.free.push(c);
    else c.send(w);
  }

  close(): void {
    for (const c of this.all) c.close();
    for (const w of this.queue.splice(0)) w.done(0);
  }
}
