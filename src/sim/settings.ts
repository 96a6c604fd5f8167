// Timing knobs that can change while the simulator runs (e.g. a rehearsal with Azure's worst-case 120 s NIC update).
import type { AwsState } from './aws/model.js';
import type { AzureState } from './azure/model.js';
import { SimError } from './errors.js';

export interface SimSettings {
  aws_attach_delay_ms?: number;
  /** Describe calls show a changed resource as it was for this long (EC2's eventual consistency). */
  aws_read_lag_ms?: number;
  aws_detach_delay_ms?: number;
  azure_nic_update_delay_ms?: number;
  azure_route_update_delay_ms?: number;
  /** Retry-After on Azure LRO responses; null sends none. */
  azure_lro_retry_after_s?: number | null;
}

const LIMITS: Record<keyof SimSettings, number> = {
  aws_attach_delay_ms: 600_000,
  aws_read_lag_ms: 60_000,
  aws_detach_delay_ms: 600_000,
  azure_nic_update_delay_ms: 120_000,
  azure_route_update_delay_ms: 120_000,
  azure_lro_retry_after_s: 60,
};

export function currentSettings(aws: AwsState, azure: AzureState): Required<SimSettings> {
  return {
    aws_attach_delay_ms: aws.data.attach_delay_ms,
    aws_read_lag_ms: aws.data.read_lag_ms,
    aws_detach_delay_ms: aws.data.detach_delay_ms,
    azure_nic_update_delay_ms: azure.data.nic_update_delay_ms,
    azure_route_update_delay_ms: azure.data.route_update_delay_ms,
    azure_lro_retry_after_s: azure.data.lro_retry_after_s,
  };
}

/** Validates every field first, then applies them all, so a bad request changes nothing. */
export function applySettings(aws: AwsState, azure: AzureState, input: unknown): Required<SimSettings> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SimError(400, 'InvalidSettings', 'settings must be a JSON object');
  }
  const s = input as Record<string, unknown>;
  for (const [k, v] of Object.entries(s)) {
    const limit = LIMITS[k as keyof SimSettings];
    if (limit === undefined)
      throw new SimError(
        400,
        'InvalidSettings',
        `unknown setting '${k}'; known: ${Object.keys(LIMITS).join(', ')}`,
      );
    if (v === null && k === 'azure_lro_retry_after_s') continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > limit) {
      throw new SimError(400, 'InvalidSettings', `'${k}' must be an integer from 0 to ${limit}`);
    }
  }
  const n = (k: keyof SimSettings) => s[k] as number;
  if ('aws_attach_delay_ms' in s) aws.data.attach_delay_ms = n('aws_attach_delay_ms');
  if ('aws_read_lag_ms' in s) aws.data.read_lag_ms = n('aws_read_lag_ms');
  if ('aws_detach_delay_ms' in s) aws.data.detach_delay_ms = n('aws_detach_delay_ms');
  if ('azure_nic_update_delay_ms' in s) azure.data.nic_update_delay_ms = n('azure_nic_update_delay_ms');
  if ('azure_route_update_delay_ms' in s) azure.data.route_update_delay_ms = n('azure_route_update_delay_ms');
  if ('azure_lro_retry_after_s' in s)
    azure.data.lro_retry_after_s = s.azure_lro_retry_after_s as number | null;
  return currentSettings(aws, azure);
}
