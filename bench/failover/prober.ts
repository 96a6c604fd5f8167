// The benchmark's client: sends a UDP datagram "<seq>" to VIP:port every interval (default 5 ms) and
// prints one JSON line per reply: {"t":<wall ms>,"seq":n,"node":"a"}. The first line is
// {"ready":true}; on SIGTERM it prints {"sent":n} and exits. The driver computes the gaps.
// Usage: node --import tsx bench/failover/prober.ts <vip> <port> [interval_ms]
import { createSocket } from 'node:dgram';

const target = process.argv[2] ?? '127.0.0.1';
const port = Number(process.argv[3] ?? 7777);
const interval_ms = Number(process.argv[4] ?? 5);
const now = (): number => performance.timeOrigin + performance.now();

const socket = createSocket('udp4');
let seq = 0;
const out: string[] = [];
const flush = (): void => {
  if (out.length > 0) process.stdout.write(out.splice(0).join(''));
};

socket.on('message', (msg) => {
  const t = now();
  const [s, node] = msg.toString('utf8').split(' ');
  out.push(`${JSON.stringify({ t: Math.round(t * 1000) / 1000, seq: Number(s), node })}\n`);
});
// ICMP errors (no ARP answer, port unreachable) surface here; they are outages, not crashes.
socket.on('error', () => undefined);

socket.bind(0, () => {
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  const start = performance.now();
  // Self-correcting schedule: the n-th datagram leaves at start + n × interval, whatever the jitter.
  const tick = (): void => {
    seq += 1;
    socket.send(String(seq), port, target);
    const next = start + seq * interval_ms - performance.now();
    setTimeout(tick, Math.max(0, next));
  };
  tick();
  setInterval(flush, 100);
});

process.once('SIGTERM', () => {
  flush();
  process.stdout.write(`${JSON.stringify({ sent: seq })}\n`, () => process.exit(0));
});
