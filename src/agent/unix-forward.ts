// A TCP port on this namespace's loopback that forwards every connection to a unix socket. Unix sockets
// are files, so they cross network namespaces: the physical lab's nodes reach the host's controller this way.
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A server that pipes each connection both ways to a fresh `dial()`; an error on either side ends both. */
function relay(dial: () => Socket): Server {
  return createServer((inbound) => {
    const outbound = dial();
    inbound.pipe(outbound).pipe(inbound);
    const close = (): void => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', close);
    outbound.on('error', close);
  });
}

/** Returns the http:// URL of the local end. The server is unref'd: it never keeps a process alive. */
export async function forwardToUnixSocket(path: string): Promise<string> {
  const server = relay(() => connect(path));
  await listen(server);
  server.unref();
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('forwarder has no TCP address');
  return `http://127.0.0.1:${address.port}`;
}

/** The host's end: a unix socket that forwards to a TCP address on this namespace's loopback. */
export async function serveUnixSocket(path: string, port: number): Promise<Server> {
  const server = relay(() => connect(port, '127.0.0.1'));
  // A socket file left by a killed predecessor would make listen fail.
  rmSync(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  server.unref();
  return server;
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

/** One HTTP request over a unix socket (the lab's way to a node's status and admin API). */
export function unixRequest(
  socketPath: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => {
        body += b.toString('utf8');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 3000 ms')));
    req.on('error', reject);
    req.end();
  });
}
