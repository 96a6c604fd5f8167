// Self-discovery from the Azure instance metadata service (CLOUD.md §2.2): subscription, resource group, VM
// and our interfaces (MAC, private IPs, subnet), so that a config needs no ids. Read once at start-up.
import { AzureError } from './errors.js';

export interface ImdsInterface {
  /** Normalised: 12 upper-case hex digits, no separators (IMDS writes `000D3A1BC721`, ARM `00-0D-3A-…`). */
  readonly mac: string;
  readonly private_ips: readonly string[];
  /** `10.1.1.0/24`, or null when IMDS has none. */
  readonly subnet_cidr: string | null;
}

export interface AzureSelf {
  readonly subscription_id: string;
  readonly resource_group: string;
  readonly vm_name: string;
  readonly vm_id: string;
  readonly interfaces: readonly ImdsInterface[];
}

const IMDS_TIMEOUT_MS = 2000;

export function normaliseMac(mac: string): string {
  return mac.replace(/[-:]/g, '').toUpperCase();
}

interface InstanceDoc {
  compute?: { subscriptionId?: string; resourceGroupName?: string; name?: string; resourceId?: string };
  network?: {
    interface?: {
      macAddress?: string;
      ipv4?: {
        ipAddress?: { privateIpAddress?: string }[];
        subnet?: { address?: string; prefix?: string }[];
      };
    }[];
  };
}

export async function discoverSelf(imds_url: string): Promise<AzureSelf> {
  const url = `${imds_url.replace(/\/$/, '')}/metadata/instance?api-version=2021-02-01`;
  let doc: InstanceDoc;
  try {
    const res = await fetch(url, {
      headers: { Metadata: 'true' },
      signal: AbortSignal.timeout(IMDS_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    doc = (await res.json()) as InstanceDoc;
  } catch (err) {
    throw new AzureError(
      'AZURE_DISCOVERY',
      'ImdsUnavailable',
      `instance metadata at ${imds_url} did not answer (${(err as Error).message}); set subscription_id, resource_group and nic in the config, or check imds_url`,
    );
  }
  const c = doc.compute ?? {};
  if (!c.subscriptionId || !c.resourceGroupName || !c.name)
    throw new AzureError(
      'AZURE_DISCOVERY',
      'ImdsIncomplete',
      `instance metadata at ${imds_url} has no compute ids`,
    );
  return {
    subscription_id: c.subscriptionId,
    resource_group: c.resourceGroupName,
    vm_name: c.name,
    vm_id: c.resourceId ?? '',
    interfaces: (doc.network?.interface ?? []).map((i) => {
      const s = i.ipv4?.subnet?.[0];
      return {
        mac: normaliseMac(i.macAddress ?? ''),
        private_ips: (i.ipv4?.ipAddress ?? []).flatMap((a) =>
          a.privateIpAddress ? [a.privateIpAddress] : [],
        ),
        subnet_cidr: s?.address && s.prefix ? `${s.address}/${s.prefix}` : null,
      };
    }),
  };
}
