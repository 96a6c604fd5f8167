// Long-running operations: the Azure-AsyncOperation / Location URLs and the status body the SDK polls.
import { SimError } from '../errors.js';
import type { AzureState, Operation, OperationKind } from './model.js';

export const API_VERSION = '2025-05-01';

export function startOperation(
  state: AzureState,
  kind: OperationKind,
  target_id: string,
  duration_ms: number,
  fail: boolean,
): Operation {
  const now = state.clock.now_ms();
  const op: Operation = {
    id: state.guid(),
    kind,
    target_id,
    status: 'InProgress',
    start_ms: now,
    done_at_ms: now + duration_ms,
    fail,
    error: undefined,
  };
  state.data.operations[op.id] = op;
  pruneOperations(state);
  return op;
}

// Finished operations are kept for a while so late pollers still get an answer, but not forever.
const OPERATIONS_KEPT = 1000;

function pruneOperations(state: AzureState): void {
  const ops = Object.values(state.data.operations);
  if (ops.length <= OPERATIONS_KEPT) return;
  for (const op of ops.slice(0, ops.length - OPERATIONS_KEPT)) {
    if (op.status !== 'InProgress') delete state.data.operations[op.id];
  }
}

export function operationPath(state: AzureState, op: Operation, results = false): string {
  const d = state.data;
  return `/subscriptions/${d.subscription_id}/providers/Microsoft.Network/locations/${d.location}/${results ? 'operationResults' : 'operations'}/${op.id}`;
}

/** Headers of an LRO's first response: absolute https URLs on the simulator's own host. */
export function operationHeaders(
  state: AzureState,
  base_url: string,
  op: Operation,
  location = false,
): Record<string, string> {
  const h: Record<string, string> = {
    'azure-asyncoperation': `${base_url}${operationPath(state, op)}?api-version=${API_VERSION}`,
  };
  if (location) h.location = `${base_url}${operationPath(state, op, true)}?api-version=${API_VERSION}`;
  if (state.data.lro_retry_after_s !== null) h['retry-after'] = String(state.data.lro_retry_after_s);
  return h;
}

export function operation(state: AzureState, id: string): Operation {
  state.settle();
  const op = state.data.operations[id];
  if (!op) throw new SimError(404, 'OperationNotFound', `Operation ${id} was not found.`);
  return op;
}

export function renderOperation(op: Operation): Record<string, unknown> {
  return {
    name: op.id,
    status: op.status,
    startTime: new Date(op.start_ms).toISOString(),
    ...(op.status === 'InProgress' ? {} : { endTime: new Date(op.done_at_ms).toISOString() }),
    ...(op.error ? { error: op.error } : {}),
  };
}
