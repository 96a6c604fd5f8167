// `tandem sim`: run the simulated cloud on its own and print the endpoints and credentials to use.
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ScenarioError } from '../../sim/scenario.js';
import { type Sim, startSim } from '../../sim/server.js';

interface SimFlags {
  scenario: string;
  port: string;
  azurePort: string;
  snapshot?: string;
  seed?: string;
  throttle?: boolean;
  caFile?: string;
  json?: boolean;
}

function port(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new ScenarioError(`${flag}: expected a port 0..65535, got '${text}'`);
  return n;
}

function describeSim(sim: Sim, ca_file: string): Record<string, unknown> {
  return {
    aws_url: sim.aws_url,
    azure_url: sim.azure_url,
    azure_ca_file: ca_file,
    control_url: sim.control_url,
    admin_token: sim.admin_token,
    region: sim.region,
    seed: sim.seed,
    imds_urls: sim.imds_urls,
    identities: sim.identities.map((i) => ({
      name: i.name,
      aws_access_key_id: i.aws_access_key_id,
      aws_secret_access_key: i.aws_secret_access_key,
      azure_client_id: i.azure_client_id,
    })),
  };
}

function printHuman(info: Record<string, unknown>, sim: Sim): void {
  const lines = [
    `tandem sim: EC2 at ${sim.aws_url} (region ${sim.region}), ARM at ${sim.azure_url}, seed ${sim.seed}`,
    `  Azure CA certificate: ${String(info.azure_ca_file)}  (tlsOptions: { ca } or NODE_EXTRA_CA_CERTS)`,
    `  control API: ${sim.control_url}  (Authorization: Bearer ${sim.admin_token})`,
    '  instance metadata:',
    ...Object.entries(sim.imds_urls)
      .filter(([k]) => k.includes('/') && !k.startsWith('/'))
      .map(([k, v]) => `    ${k.padEnd(20)} ${v}`),
    '  identities (AWS access key / secret, Azure client id):',
    ...sim.identities.map(
      (i) =>
        `    ${i.name.padEnd(12)} ${i.aws_access_key_id} ${i.aws_secret_access_key} ${i.azure_client_id}`,
    ),
    '  example: AWS_ENDPOINT_URL_EC2=<EC2 url> AWS_ACCESS_KEY_ID=<key> AWS_SECRET_ACCESS_KEY=<secret> AWS_REGION=<region> …',
    'Ctrl-C stops it.',
  ];
  console.log(lines.join('\n'));
}

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description(
      'run the simulated cloud (EC2 Query API, Azure ARM, instance metadata) for rehearsals and tests',
    )
    .requiredOption(
      '--scenario <file>',
      'scenario YAML: VPCs, instances, ENIs, route tables, Azure NICs, identities',
    )
    .option('--port <port>', 'EC2 and control API port (0 = any free port)', '0')
    .option('--azure-port <port>', 'Azure ARM (HTTPS) port (0 = any free port)', '0')
    .option(
      '--snapshot <file>',
      'load state from this JSON file if it exists; save it on exit and on POST /_sim/snapshot',
    )
    .option('--seed <n>', "seed for ids, jitter and error rates (default: the scenario's)")
    .option('--throttle', "apply EC2's per-API and ARM's per-principal request limits")
    .option(
      '--ca-file <file>',
      'where to write the Azure CA certificate (default: a file in the temp directory)',
    )
    .option('--json', 'print the endpoints and credentials as one JSON line')
    .action(async (flags: SimFlags) => {
      try {
        const sim = await startSim({
          scenario: flags.scenario,
          aws_port: port(flags.port, '--port'),
          azure_port: port(flags.azurePort, '--azure-port'),
          ...(flags.snapshot ? { snapshot_file: flags.snapshot } : {}),
          ...(flags.seed ? { seed: Number(flags.seed) } : {}),
          ...(flags.throttle ? { aws_throttle: true, azure_throttle: true } : {}),
        });
        const caFile = flags.caFile ?? join(tmpdir(), `tandem-sim-ca-${process.pid}.pem`);
        writeFileSync(caFile, sim.azure_ca_pem);
        const info = describeSim(sim, caFile);
        if (flags.json) console.log(JSON.stringify(info));
        else printHuman(info, sim);
        const stop = () => {
          // A CA file we chose ourselves is ours to remove; one the user named stays.
          if (!flags.caFile) rmSync(caFile, { force: true });
          sim.close().then(
            () => process.exit(0),
            () => process.exit(1),
          );
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      } catch (e) {
        if (e instanceof ScenarioError) {
          console.error(`tandem sim: ${e.message}`);
          process.exit(2);
        }
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          console.error(
            `tandem sim: a port is already in use (${(e as Error).message}); pick another with --port / --azure-port`,
          );
          process.exit(2);
        }
        throw e;
      }
    });
}
