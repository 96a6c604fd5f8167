// Small servers started inside a namespace (a "WAN target" to probe): each is a Node one-liner run
// with spawnInNs, so it lives in the namespace's network stack and dies with the LAN.
import { type Spawned, spawnInNs } from './netns.js';

async function started(p: Spawned, what: string): Promise<Spawned> {
  await new Promise<void>((resolve, reject) => {
    p.onLine((line) => {
      if (line === 'listening') resolve();
    });
    void p.exited.then(({ code }) => reject(new Error(`${what} exited (${code}): ${p.stderr()}`)));
  });
  return p;
}

/** HTTP server answering every GET with `status`. */
export function startHttpServer(ns: string, port: number, status = 200): Promise<Spawned> {
  const code = `require('node:http').createServer((q,s)=>{s.statusCode=${status};s.end('tandem')})
    .listen(${port},'0.0.0.0',()=>console.log('listening'))`;
  return started(spawnInNs(ns, [process.execPath, '-e', code]), `http server in ${ns}`);
}

/** TCP server accepting and closing every connection. */
export function startTcpServer(ns: string, port: number): Promise<Spawned> {
  const code = `require('node:net').createServer((c)=>c.end()).listen(${port},'0.0.0.0',()=>console.log('listening'))`;
  return started(spawnInNs(ns, [process.execPath, '-e', code]), `tcp server in ${ns}`);
}
