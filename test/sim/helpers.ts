// Shared setup for the simulator's conformance tests: a sim from the example scenario with short delays,
// and official SDK clients bound to one simulated identity.
import { readFileSync } from 'node:fs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { NetworkManagementClient } from '@azure/arm-network';
import type { TokenCredential } from '@azure/identity';
import { parseScenario } from '../../src/sim/scenario.js';
import type { Scenario } from '../../src/sim/scenario-schema.js';
import { type Sim, type SimOptions, startSim } from '../../src/sim/server.js';

export const EXAMPLE = new URL('../../examples/sim-pair.yaml', import.meta.url).pathname;
export const SUB = '00000000-0000-4000-8000-000000000001';
export const RG = 'tandem-rg';
export const RTB = 'rtb-0a1b2c3d4e5f60001';
export const ENI_A = 'eni-0a1b2c3d4e5f6000a';
export const ENI_B = 'eni-0a1b2c3d4e5f6000b';
export const ENI_A_WAN = 'eni-0a1b2c3d4e5f6001a';
export const ENI_FLOAT = 'eni-0a1b2c3d4e5f600ff';
export const I_A = 'i-0a1b2c3d4e5f60001';
export const I_B = 'i-0a1b2c3d4e5f60002';
export const SUBNET_A = 'subnet-0a1b2c3d4e5f6000a';
export const SUBNET_B = 'subnet-0a1b2c3d4e5f6000b';
export const EIP = 'eipalloc-0a1b2c3d4e5f60001';
export const VGW = 'vgw-0a1b2c3d4e5f60001';

/** The example scenario with delays short enough for tests. */
export function testScenario(edit: (s: Scenario) => void = () => {}): Scenario {
  const s = parseScenario(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  s.aws!.attach_delay_ms = 150;
  s.aws!.detach_delay_ms = 150;
  s.azure!.nic_update_delay_ms = 300;
  s.azure!.route_update_delay_ms = 100;
  s.azure!.lro_retry_after_s = null;
  edit(s);
  return s;
}

export function startTestSim(options: SimOptions = {}): Promise<Sim> {
  return startSim({ scenario: testScenario(), ...options });
}

export function ec2(sim: Sim, identity: string, maxAttempts = 1): EC2Client {
  const id = sim.iam.byName(identity);
  if (!id) throw new Error(`no identity ${identity}`);
  return new EC2Client({
    region: sim.region,
    endpoint: sim.aws_url,
    maxAttempts,
    credentials: { accessKeyId: id.aws_access_key_id, secretAccessKey: id.aws_secret_access_key },
  });
}

/** A TokenCredential whose tokens the simulator issued to `identity` (several identities in one process). */
export function simCredential(sim: Sim, identity: string): TokenCredential {
  return {
    getToken: async () => ({ token: sim.azureToken(identity), expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
}

export function arm(sim: Sim, credential: TokenCredential, maxRetries = 3): NetworkManagementClient {
  return new NetworkManagementClient(credential, SUB, {
    endpoint: sim.azure_url,
    $host: sim.azure_url,
    tlsOptions: { ca: sim.azure_ca_pem },
    credentialScopes: ['https://management.azure.com/.default'],
    retryOptions: { maxRetries, retryDelayInMs: 50, maxRetryDelayInMs: 200 },
  });
}

/** Fast LRO polling: the sim sends no Retry-After in tests, so this interval applies. */
export const POLL = { updateIntervalInMs: 50 };

export async function control(
  sim: Sim,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${sim.control_url}${path}`, {
    method,
    headers: { authorization: `Bearer ${sim.admin_token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

/** Runs `fn` and returns the error it throws (fails the test if it does not throw). */
export async function failure(fn: () => Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await fn();
  } catch (e) {
    return e as Error & Record<string, unknown>;
  }
  throw new Error('expected the call to fail, and it succeeded');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns true or `deadline_ms` passes. */
export async function eventually(check: () => Promise<boolean>, deadline_ms = 10_000): Promise<void> {
  const end = Date.now() + deadline_ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`condition not met within ${deadline_ms} ms`);
}
