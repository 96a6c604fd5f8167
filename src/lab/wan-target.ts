// A node's WAN probe target on loopback: a TCP listener the lab can switch off (connections refused, the
// way an unreachable upstream looks to a TCP probe) and on again at the same address.
import { createServer, type Server, type Socket } from 'node:net';

export class WanTarget {
  readonly host: string;
  readonly port: number;
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();

  constructor(host: string, port: number) {
    this.host = host;
    this.port = port;
  }

  get up(): boolean {
    return this.#server !== null;
  }

  async start(): Promise<void> {
    if (this.#server !== null) return;
    const server = createServer((s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
      s.on('error', () => undefined);
      s.end();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve());
    });
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === null) return;
    this.#server = null;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
