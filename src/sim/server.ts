// startSim: one entry for tests, the lab, benches and `tandem sim`. EC2 over HTTP, ARM over HTTPS, one metadata
// listener per instance, a control API behind an admin token; all share one state, fault table and call log.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type Logger, pino } from 'pino';
import { ACTIONS } from './aws/actions.js';
import { handleAws } from './aws/http.js';
import { AwsState, emptyAwsData } from './aws/model.js';
import { AwsThrottle } from './aws/throttle.js';
import { AZURE_ACTIONS, handleAzure } from './azure/http.js';
import { AzureState, emptyAzureData, key } from './azure/model.js';
import { ArmThrottle } from './azure/throttle.js';
import { makeCertificate } from './azure/tls.js';
import { type Clock, realClock } from './clock.js';
import type { SimContext } from './context.js';
import { handleControl } from './control.js';
import { isSimError, SimError } from './errors.js';
import { Faults } from './faults.js';
import { closeServer, listen, readBody, sendJson } from './http.js';
import { Iam, type Identity } from './iam.js';
import { type ImdsTarget, startImds } from './imds.js';
import { seededRandom } from './random.js';
import { Recorder } from './recorder.js';
import { buildAws, buildAzure, loadScenarioFile, makeIdentity, ScenarioError } from './scenario.js';
import type { Scenario } from './scenario-schema.js';
import { applySettings } from './settings.js';
import { type SimControl, type SimSnapshot, SimState } from './state-api.js';

export interface SimOptions {
  /** A parsed scenario, or the path of a YAML scenario file. */
  scenario?: Scenario | string;
  /** Overrides the scenario's seed. */
  seed?: number;
  clock?: Clock;
  /** 0 (default) picks free ports. */
  aws_port?: number;
  azure_port?: number;
  /** Load state from this JSON file if it exists; write it on close and on POST /_sim/snapshot. */
  snapshot_file?: string;
  admin_token?: string;
  /** EC2's per-API request buckets (overrides the scenario's aws.throttle). */
  aws_throttle?: boolean;
  /** ARM's per-principal read/write/delete buckets (overrides the scenario's azure.throttle). */
  azure_throttle?: boolean;
  log?: Logger;
}

export interface Sim extends SimControl {
  aws_url: string;
  azure_url: string;
  control_url: string;
  /** Metadata base URL per EC2 instance id and `aws/<name>`, per Azure VM id and `azure/<name>`. */
  imds_urls: Record<string, string>;
  azure_ca_pem: string;
  region: string;
  seed: number;
  identities: readonly Identity[];
  /** Starts (or returns) the metadata listener of an instance created after start, e.g. by RunInstances. */
  imdsFor(instance_id: string): Promise<string>;
  close(): Promise<void>;
}

export const SIM_ADMIN = 'sim-admin';

export async function startSim(options: SimOptions = {}): Promise<Sim> {
  const scenario: Scenario =
    typeof options.scenario === 'string' ? loadScenarioFile(options.scenario) : (options.scenario ?? {});
  const file = typeof options.scenario === 'string' ? options.scenario : '(scenario)';
  const seed = options.seed ?? scenario.seed ?? 1;
  const random = seededRandom(seed);
  const clock = options.clock ?? realClock;
  const log = options.log ?? pino({ level: process.env.TANDEM_SIM_LOG ?? 'warn' });
  const snapshot =
    options.snapshot_file && existsSync(options.snapshot_file)
      ? readSnapshot(options.snapshot_file)
      : undefined;

  const identities = snapshot?.identities ?? (scenario.identities ?? []).map((s) => makeIdentity(s, random));
  if (!identities.some((i) => i.name === SIM_ADMIN)) {
    identities.push(
      makeIdentity({ name: SIM_ADMIN, policy: [{ actions: ['*'], resources: ['*'] }] }, random),
    );
  }
  const iam = new Iam(identities);
  const aws = new AwsState(snapshot?.aws ?? emptyAwsData(), clock, random);
  const azure = new AzureState(snapshot?.azure ?? emptyAzureData(), clock, random);
  if (!snapshot) {
    const names = new Set(identities.map((i) => i.name));
    if (scenario.aws) buildAws(aws, scenario.aws, file, names);
    if (scenario.azure) buildAzure(azure, scenario.azure, file, names);
  }
  // A stream of its own, so fault decisions replay for a seed whatever the scenario generates.
  const faults = new Faults(
    clock,
    seededRandom(seed ^ 0x5eed),
    (a) => Object.hasOwn(ACTIONS, a) || AZURE_ACTIONS.includes(a),
  );
  const recorder = new Recorder();
  const throttle = options.aws_throttle ?? scenario.aws?.throttle ?? false;
  const tls = await makeCertificate();

  const ctx: SimContext = {
    clock,
    random,
    iam,
    faults,
    recorder,
    aws,
    azure,
    aws_throttle: throttle ? new AwsThrottle() : undefined,
    arm_throttle:
      (options.azure_throttle ?? scenario.azure?.throttle ?? false) ? new ArmThrottle() : undefined,
    log,
    admin_token: options.admin_token ?? randomBytes(24).toString('base64url'),
    azure_url: '',
  };
  const state = new SimState(aws, azure);
  const servers: Server[] = [];
  const imds = new Map<string, string>();

  const control: SimControl = {
    admin_token: ctx.admin_token,
    state,
    faults,
    calls: recorder,
    iam,
    vanish: (id) => aws.vanish(id) || azure.vanish(id),
    snapshot: () => ({ version: 1, aws: aws.data, azure: azure.data, identities: [...iam.list()] }),
    saveSnapshot: async () => {
      if (!options.snapshot_file)
        throw new SimError(400, 'NoSnapshotFile', 'no snapshot file was given (tandem sim --snapshot FILE)');
      await writeFile(options.snapshot_file, JSON.stringify(control.snapshot(), null, 1));
      return options.snapshot_file;
    },
    settings: (input = {}) => applySettings(aws, azure, input),
    azureToken: (name, resource = 'https://management.azure.com') => {
      const identity = iam.byName(name);
      if (!identity) throw new SimError(404, 'IdentityNotFound', `no identity named '${name}'`);
      return iam.issueToken(identity, resource, clock.now_ms()).access_token;
    },
  };

  const awsServer = createServer((req, res) => {
    readBody(req)
      .then((body) =>
        req.url?.startsWith('/_sim')
          ? handleControl(control, req, res, body)
          : handleAws(ctx, req, res, body),
      )
      .catch((e: unknown) => {
        if (isSimError(e) && e.code === 'SimulatorClosed') res.destroy();
        else sendJson(res, 500, { error: { code: 'InternalError', message: String(e) } });
      });
  });
  const azureServer = createHttpsServer({ cert: tls.cert_pem, key: tls.key_pem }, (req, res) => {
    readBody(req)
      .then((body) => handleAzure(ctx, req, res, body))
      .catch(() => res.destroy());
  });
  for (const s of [awsServer, azureServer]) {
    // Longer than the SDKs' idle reuse, so a reused keep-alive socket is not closed under a request.
    s.keepAliveTimeout = 65_000;
    servers.push(s);
  }
  const awsPort = await listen(awsServer, options.aws_port ?? 0);
  const azurePort = await listen(azureServer, options.azure_port ?? 0);
  ctx.azure_url = `https://127.0.0.1:${azurePort}`;

  const startImdsFor = async (target: ImdsTarget, names: string[]): Promise<string> => {
    const { server, url } = await startImds(ctx, target);
    servers.push(server);
    for (const n of names) imds.set(n, url);
    return url;
  };
  for (const inst of Object.values(aws.data.instances)) {
    if (inst.state === 'running')
      await startImdsFor({ cloud: 'aws', instance_id: inst.id }, [
        inst.id,
        ...(inst.name ? [`aws/${inst.name}`] : []),
      ]);
  }
  for (const vm of Object.values(azure.data.vms))
    await startImdsFor({ cloud: 'azure', vm_id: vm.id }, [`azure/${vm.name}`, vm.id]);

  let closed = false;
  const sim: Sim = {
    ...control,
    aws_url: `http://127.0.0.1:${awsPort}`,
    azure_url: ctx.azure_url,
    control_url: `http://127.0.0.1:${awsPort}/_sim`,
    get imds_urls() {
      return Object.fromEntries(imds);
    },
    azure_ca_pem: tls.cert_pem,
    region: aws.data.region,
    seed,
    identities: iam.list(),
    imdsFor: async (instance_id) => {
      const known = imds.get(instance_id) ?? imds.get(key(instance_id));
      if (known) return known;
      aws.instance(instance_id);
      return startImdsFor({ cloud: 'aws', instance_id }, [instance_id]);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      faults.close();
      await Promise.all(servers.map(closeServer));
      if (options.snapshot_file) await control.saveSnapshot();
    },
  };
  return sim;
}

function readSnapshot(file: string): SimSnapshot {
  try {
    const snap = JSON.parse(readFileSync(file, 'utf8')) as SimSnapshot;
    if (snap.version !== 1 || !snap.aws || !snap.azure || !Array.isArray(snap.identities)) {
      throw new Error(
        'expected a snapshot written by tandem sim (version 1, with aws, azure and identities)',
      );
    }
    return snap;
  } catch (e) {
    throw new ScenarioError(`${file}: cannot load the snapshot: ${(e as Error).message}`);
  }
}
