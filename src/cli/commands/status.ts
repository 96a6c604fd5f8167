// `tandem status`: the local agent's state as a table (or pure JSON), and an exit code a monitoring
// system can use: 0 Ready, 1 not ready, 2 fault / disabled / split brain or the agent unreachable.
import type { Command } from 'commander';
import { exitCodeOf, formatStatus } from '../../agent/status-table.js';
import { type Endpoint, EndpointError, endpointOf } from '../agent-endpoint.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("print the local agent's state, peer, readiness, monitors and counters")
    .option('-c, --config <file>', "the node's config: the status URL is read from it")
    .option('--url <url>', "the agent's status endpoint (default: from --config, else 127.0.0.1:20481)")
    .option('--json', 'print the raw JSON')
    .action(async (opts: { url?: string; config?: string; json?: boolean }) => {
      let endpoint: Endpoint;
      try {
        endpoint = endpointOf(opts);
      } catch (err) {
        if (!(err instanceof EndpointError)) throw err;
        console.error(`tandem status: ${err.message}`);
        process.exitCode = 2;
        return;
      }
      let body: unknown;
      try {
        const res = await fetch(new URL('/status', endpoint.url), { signal: AbortSignal.timeout(3000) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        body = await res.json();
      } catch (err) {
        console.error(
          `tandem status: cannot read ${endpoint.url}/status (${(err as Error).message}); is the agent running?`,
        );
        process.exitCode = 2;
        return;
      }
      console.log(opts.json ? JSON.stringify(body, null, 2) : formatStatus(body));
      process.exitCode = exitCodeOf(body);
    });
}
