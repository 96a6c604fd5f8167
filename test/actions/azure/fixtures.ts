// Shared setup for the azure-* driver tests: the example scenario's Azure pair, drivers bound to one simulated
// identity, talking to the simulator's ARM over HTTPS through @azure/arm-network (CA from a file, as configured).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenCredential } from '@azure/identity';
import { pino } from 'pino';
import { createAzureAction } from '../../../src/actions/azure/registry.js';
import type { AzureActionSpec } from '../../../src/actions/azure/schema.js';
import { AZURE_RETRY, type AzureContext } from '../../../src/actions/azure/session.js';
import type { Driver } from '../../../src/actions/kit/arbiter.js';
import type { Sim } from '../../../src/sim/server.js';
import { simCredential } from '../../sim/helpers.js';

export const FLOAT = '10.1.1.100';
export const A_IP = '10.1.1.10';
export const B_IP = '10.1.1.11';
export const log = pino({ level: process.env.TANDEM_TEST_LOG ?? 'silent' });

/** A seeded retry (replayable) with the production bounds. */
export function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

export function caFile(sim: Sim): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tdaz-')), 'ca.pem');
  writeFileSync(file, sim.azure_ca_pem);
  return file;
}

export function connection(sim: Sim, node: 'node-a' | 'node-b', ca: string): Record<string, unknown> {
  return { arm_endpoint: sim.azure_url, arm_ca_file: ca, imds_url: sim.imds_urls[`azure/${node}`] };
}

export function floatingSpec(
  sim: Sim,
  node: 'node-a' | 'node-b',
  ca: string,
  extra: object = {},
): AzureActionSpec {
  return {
    kind: 'azure-floating-ip',
    address: FLOAT,
    peer_nic: node === 'node-a' ? 'node-b-nic' : 'node-a-nic',
    observe_interval_ms: 0,
    ...connection(sim, node, ca),
    ...extra,
  } as AzureActionSpec;
}

export function routeSpec(
  sim: Sim,
  node: 'node-a' | 'node-b',
  ca: string,
  extra: object = {},
): AzureActionSpec {
  return {
    kind: 'azure-route-table',
    route_tables: ['rt-lan'],
    prefixes: ['0.0.0.0/0', '192.168.50.0/24'],
    peer_next_hop: node === 'node-a' ? B_IP : A_IP,
    observe_interval_ms: 0,
    ...connection(sim, node, ca),
    ...extra,
  } as AzureActionSpec;
}

export function contextFor(sim: Sim, identity: string, extra: Partial<AzureContext> = {}): AzureContext {
  const credential: TokenCredential = simCredential(sim, identity);
  return { log, credential, retry: { ...AZURE_RETRY, random: seeded(7) }, poll_ms: 50, ...extra };
}

export function driver(
  sim: Sim,
  identity: string,
  spec: AzureActionSpec,
  extra: Partial<AzureContext> = {},
): Driver {
  return createAzureAction(spec, contextFor(sim, identity, extra));
}

/** The NICs whose configuration holds `ip`, by name. */
export function holders(sim: Sim, ip: string): string[] {
  sim.state.azure.settle();
  return Object.values(sim.state.azure.data.nics)
    .filter((n) => n.ip_configurations.some((c) => c.private_ip === ip))
    .map((n) => n.name)
    .sort();
}

export function nextHops(sim: Sim, table = 'rt-lan'): Record<string, string | undefined> {
  sim.state.azure.settle();
  const t = Object.values(sim.state.azure.data.route_tables).find((x) => x.name === table)!;
  return Object.fromEntries(t.routes.map((r) => [r.address_prefix, r.applied?.next_hop_ip]));
}
