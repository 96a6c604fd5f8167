import { type Command, InvalidArgumentError } from 'commander';
import { LabError } from '../../lab/errors.js';
import { runLab } from '../../lab/lab.js';
import { CLOUDS, SCENARIOS } from '../../lab/registry.js';

function integer(min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

function scale(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > 100)
    throw new InvalidArgumentError('expected a number above 0, at most 100');
  return n;
}

export function registerLab(program: Command): void {
  program
    .command('lab')
    .description('run a pair, the controller and a simulated cloud on this machine, fail over, and time it')
    .option('--cloud <kind>', `${Object.keys(CLOUDS).join(' | ')}`, 'aws')
    .option('--scenario <name>', `${Object.keys(SCENARIOS).join(' | ')}`, 'kill')
    .option(
      '--interval <ms>',
      'keepalive interval (takeover after 3 intervals of silence)',
      integer(20, 5000),
      200,
    )
    .option('--api-latency <ms>', 'simulated cloud API latency per call', integer(0, 10_000), 50)
    .option('--deadline-scale <factor>', 'multiply every step deadline (a slow machine: 2)', scale, 1)
    .option('--keep', 'leave everything running after the scenario; print the controller URL and tokens')
    .option('--json', 'print the summary as one JSON object on the last line')
    .action(
      async (opts: {
        cloud: string;
        scenario: string;
        interval: number;
        apiLatency: number;
        deadlineScale: number;
        keep?: boolean;
        json?: boolean;
      }) => {
        const abort = new AbortController();
        // Ctrl-C: the run stops at its next wait and cleans up everything it started before exiting.
        let interrupted = false;
        const onSignal = (): void => {
          if (interrupted) process.exit(130);
          interrupted = true;
          abort.abort();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        try {
          const summary = await runLab(
            {
              cloud: opts.cloud,
              scenario: opts.scenario,
              interval_ms: opts.interval,
              api_latency_ms: opts.apiLatency,
              deadline_scale: opts.deadlineScale,
              keep: opts.keep === true,
              json: opts.json === true,
            },
            { write: (t) => process.stdout.write(t), tty: process.stdout.isTTY === true },
            abort.signal,
          );
          process.exitCode = interrupted ? 130 : summary.steps_failed > 0 ? 1 : 0;
        } catch (err) {
          if (err instanceof LabError) {
            console.error(`tandem lab: ${err.message}`);
            process.exitCode = 2;
            return;
          }
          console.error(`tandem lab: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
          process.exitCode = 1;
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      },
    );
}
