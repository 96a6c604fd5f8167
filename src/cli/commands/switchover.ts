import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_STATUS_LISTEN } from '../../agent/config-schema.js';
import { ADMIN_COMMANDS } from '../../agent/status-server.js';

export function registerSwitchover(program: Command): void {
  program
    .command('switchover')
    .description('ask the local agent to hand the active role to its peer (or another admin command)')
    .requiredOption('--token-file <file>', "the agent's status.admin_token_file")
    .option('--url <url>', "the agent's status endpoint", `http://${DEFAULT_STATUS_LISTEN}`)
    .option('--command <name>', `one of ${ADMIN_COMMANDS.join(', ')}`, 'switchover')
    .action(async (opts: { tokenFile: string; url: string; command: string }) => {
      let token: string;
      try {
        token = readFileSync(opts.tokenFile, 'utf8').trim();
      } catch (err) {
        console.error(`tandem switchover: cannot read ${opts.tokenFile}: ${(err as Error).message}`);
        process.exitCode = 2;
        return;
      }
      try {
        const res = await fetch(new URL(`/admin/${encodeURIComponent(opts.command)}`, opts.url), {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(3000),
        });
        const body = (await res.json()) as { message?: string };
        if (!res.ok) {
          console.error(`tandem switchover: refused (HTTP ${res.status}): ${body.message ?? ''}`);
          process.exitCode = 1;
          return;
        }
        console.log(`${opts.command}: accepted; see \`tandem status\` and the agent's log for the outcome`);
      } catch (err) {
        console.error(`tandem switchover: cannot reach ${opts.url} (${(err as Error).message})`);
        process.exitCode = 1;
      }
    });
}
