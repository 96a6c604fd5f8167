// GET /metrics (Prometheus) and GET /status (JSON) of one pathwatch, on node:http: small and local.
import { createServer, type Server } from 'node:http';
import type { Watcher } from './watcher.js';

export async function serveStatus(watcher: Watcher, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'text/plain', 'only GET\n');
    if (req.url === '/status') return send(200, 'application/json', `${JSON.stringify(watcher.status())}\n`);
    if (req.url === '/metrics') {
      void watcher.metrics.registry.metrics().then(
        (text) => send(200, watcher.metrics.registry.contentType, text),
        () => send(503, 'text/plain', 'metrics unavailable\n'),
      );
      return;
    }
    send(404, 'text/plain', 'try /status or /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
