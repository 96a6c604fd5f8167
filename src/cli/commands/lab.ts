import type { Command } from 'commander';

export function registerLab(program: Command): void {
  program
    .command('lab')
    .description('run a pair, the controller and a simulated cloud on this machine, and fail over')
    .action(() => {
      // The lab lands with its own issue; until then say so plainly rather than pretend.
      console.log(
        'tandem lab: not built yet — the pair, controller and simulated cloud arrive with the lab issue.',
      );
    });
}
