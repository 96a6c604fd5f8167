// Run inside a network namespace: a TCP port on its loopback that forwards to a unix socket (which crosses
// namespaces), so that a process there reaches a server on the host's loopback (the simulator). Prints the URL.
import { forwardToUnixSocket } from '../../src/agent/unix-forward.js';

const socket = process.argv[2];
if (socket === undefined) throw new Error('usage: forward-main.ts <unix socket path>');
console.log(await forwardToUnixSocket(socket));
// The forwarder's server does not keep the process alive on its own; the test kills it.
setInterval(() => undefined, 60_000);
