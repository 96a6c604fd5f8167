// Who am I in EC2: instance id, region, AZ and MAC → ENI, from IMDSv2 (CLOUD.md §1.6). A token PUT, then
// GETs with a short timeout; the base URL is overridable so the simulator can play the metadata service.
import { AwsError } from './errors.js';

export const DEFAULT_IMDS_URL = 'http://169.254.169.254';
const TOKEN_TTL_S = 21600;
const IMDS_TIMEOUT_MS = 1000;

export interface InterfaceInfo {
  readonly mac: string;
  readonly eni_id: string;
  readonly device_index: number;
  readonly subnet_id: string;
  readonly vpc_id: string;
  readonly subnet_cidr: string;
  readonly local_ipv4s: readonly string[];
}

export interface SelfInfo {
  readonly instance_id: string;
  readonly region: string;
  readonly availability_zone: string;
  /** The MAC of the primary interface (device 0). */
  readonly mac: string;
  readonly interfaces: readonly InterfaceInfo[];
}

export class Imds {
  readonly #base: string;
  #token: { value: string; until_ms: number } | null = null;

  constructor(base_url: string = DEFAULT_IMDS_URL) {
    this.#base = base_url.replace(/\/+$/, '');
  }

  async get(path: string): Promise<string> {
    const token = await this.#tokenValue();
    const res = await this.#fetch(`/latest/${path}`, { headers: { 'x-aws-ec2-metadata-token': token } });
    if (res.status === 401) {
      // Expired or from a restarted metadata service: one fresh token, then give up.
      this.#token = null;
      const again = await this.#fetch(`/latest/${path}`, {
        headers: { 'x-aws-ec2-metadata-token': await this.#tokenValue() },
      });
      return this.#text(again, path);
    }
    return this.#text(res, path);
  }

  async #tokenValue(): Promise<string> {
    const now = performance.now();
    if (this.#token && this.#token.until_ms > now) return this.#token.value;
    const res = await this.#fetch('/latest/api/token', {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': String(TOKEN_TTL_S) },
    });
    const value = await this.#text(res, 'api/token');
    // Renew well before expiry: the clock of this process and the metadata service's are not the same.
    this.#token = { value, until_ms: now + (TOKEN_TTL_S * 1000) / 2 };
    return value;
  }

  async #fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.#base}${path}`, { ...init, signal: AbortSignal.timeout(IMDS_TIMEOUT_MS) });
    } catch (err) {
      throw new AwsError(
        'AWS_DISCOVERY',
        'ImdsUnreachable',
        `instance metadata at ${this.#base} did not answer (${(err as Error).message}); on EC2 enable IMDSv2 ` +
          '(hop limit 2 in containers), elsewhere set the ids in the config',
      );
    }
  }

  async #text(res: Response, path: string): Promise<string> {
    const body = await res.text();
    if (res.ok) return body.trim();
    throw new AwsError(
      'AWS_DISCOVERY',
      `Imds${res.status}`,
      `instance metadata ${path}: HTTP ${res.status}${res.status === 403 ? ' (IMDS disabled for this instance?)' : ''}`,
    );
  }
}

/** Reads everything the drivers need in one pass; a handful of GETs at start-up, never during a failover. */
export async function discoverSelf(imds: Imds): Promise<SelfInfo> {
  const [instance_id, region, availability_zone, mac, listing] = await Promise.all([
    imds.get('meta-data/instance-id'),
    imds.get('meta-data/placement/region'),
    imds.get('meta-data/placement/availability-zone'),
    imds.get('meta-data/mac'),
    imds.get('meta-data/network/interfaces/macs/'),
  ]);
  const macs = listing
    .split('\n')
    .map((l) => l.trim().replace(/\/$/, ''))
    .filter((l) => l !== '');
  const interfaces = await Promise.all(macs.map((m) => discoverInterface(imds, m)));
  return { instance_id, region, availability_zone, mac, interfaces };
}

async function discoverInterface(imds: Imds, mac: string): Promise<InterfaceInfo> {
  const at = `meta-data/network/interfaces/macs/${mac}/`;
  const [eni_id, device, subnet_id, vpc_id, subnet_cidr, ips] = await Promise.all([
    imds.get(`${at}interface-id`),
    imds.get(`${at}device-number`),
    imds.get(`${at}subnet-id`),
    imds.get(`${at}vpc-id`),
    imds.get(`${at}subnet-ipv4-cidr-block`),
    imds.get(`${at}local-ipv4s`).catch(() => ''),
  ]);
  return {
    mac,
    eni_id,
    device_index: Number(device),
    subnet_id,
    vpc_id,
    subnet_cidr,
    local_ipv4s: ips.split('\n').filter((l) => l !== ''),
  };
}

/** How a config names "our" interface: an id, a MAC, a device index; none = the primary interface. */
export interface InterfaceRef {
  readonly eni_id?: string | undefined;
  readonly mac?: string | undefined;
  readonly device_index?: number | undefined;
}

export function pickInterface(self: SelfInfo, ref: InterfaceRef): InterfaceInfo {
  const want = (i: InterfaceInfo): boolean =>
    ref.eni_id !== undefined
      ? i.eni_id === ref.eni_id
      : ref.mac !== undefined
        ? i.mac.toLowerCase() === ref.mac.toLowerCase()
        : ref.device_index !== undefined
          ? i.device_index === ref.device_index
          : i.mac === self.mac;
  const hit = self.interfaces.find(want);
  if (hit) return hit;
  throw new AwsError(
    'AWS_DISCOVERY',
    'InterfaceNotFound',
    `no interface of ${self.instance_id} matches ${JSON.stringify(ref)}; attached: ${self.interfaces
      .map((i) => `${i.eni_id} (device ${i.device_index}, ${i.mac})`)
      .join(', ')}`,
  );
}
