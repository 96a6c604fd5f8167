// UDP echo responder run on each node: answers every datagram with "<payload> <node>", so the
// client knows which node served it. Bound to 0.0.0.0 so it answers for the VIP wherever it lives.
// Usage: node --import tsx bench/failover/echo.ts <node-name> <port>
import { createSocket } from 'node:dgram';

const node = process.argv[2] ?? 'node';
const port = Number(process.argv[3] ?? 7777);
const socket = createSocket('udp4');
socket.on('message', (msg, from) => {
  socket.send(`${msg.toString('utf8')} ${node}`, from.port, from.address);
});
socket.on('error', (err) => {
  console.error(`echo: ${err.message}`);
  process.exit(1);
});
socket.bind(port, '0.0.0.0', () => console.log('listening'));
process.once('SIGTERM', () => socket.close(() => process.exit(0)));
