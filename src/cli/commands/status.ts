import type { Command } from 'commander';
import { DEFAULT_STATUS_LISTEN } from '../../agent/config-schema.js';
import { formatStatus } from '../../agent/status-table.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("print the local agent's state, peer, readiness and counters")
    .option('--url <url>', "the agent's status endpoint", `http://${DEFAULT_STATUS_LISTEN}`)
    .option('--json', 'print the raw JSON')
    .action(async (opts: { url: string; json?: boolean }) => {
      let body: unknown;
      try {
        const res = await fetch(new URL('/status', opts.url), { signal: AbortSignal.timeout(3000) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        body = await res.json();
      } catch (err) {
        console.error(
          `tandem status: cannot read ${opts.url}/status (${(err as Error).message}); is the agent running?`,
        );
        process.exitCode = 1;
        return;
      }
      console.log(opts.json ? JSON.stringify(body, null, 2) : formatStatus(body));
    });
}
