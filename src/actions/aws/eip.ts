// eip: AssociateAddress with AllowReassociation=true (sent explicitly, CLOUD.md §1.5) onto our ENI / private IP,
// then DescribeAddresses until EC2 shows the association at us.
import {
  type Address,
  AssociateAddressCommand,
  DescribeAddressesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { confirm } from '../kit/confirm.js';
import { budget, type CallBudget } from '../kit/retry.js';
import type { ActionContext, ActionResult, Observation, PreflightCheck } from '../types.js';
import { withRetry } from './client.js';
import { AwsError } from './errors.js';
import { arn } from './iam-policy.js';
import { dryRunCheck, failedCheck } from './preflight.js';
import type { EipSpec } from './schema.js';
import { type AwsContext, AwsSession, Resolved, runVerb, unknownObservation } from './session.js';

const CONFIRM_FIRST_MS = 50;
const CONFIRM_MAX_MS = 1000;

interface Prepared {
  readonly client: EC2Client;
  readonly eni_id: string;
}

export class EipAction {
  readonly kind = 'aws-eip';
  readonly name: string;
  readonly spec: EipSpec;
  readonly #session: AwsSession;
  readonly #prepared = new Resolved<Prepared>();

  constructor(spec: EipSpec, ctx: AwsContext) {
    this.spec = spec;
    this.name = spec.name ?? `aws-eip ${spec.allocation_id}`;
    this.#session = new AwsSession(spec, ctx);
  }

  prepare(): Promise<Prepared> {
    return this.#prepared.get(async () => ({
      client: await this.#session.client(),
      eni_id: (await this.#session.ownInterface(this.spec)).eni_id,
    }));
  }

  async #address(p: Prepared, b: CallBudget): Promise<Address> {
    const out = await withRetry('DescribeAddresses', b, (abortSignal) =>
      p.client.send(new DescribeAddressesCommand({ AllocationIds: [this.spec.allocation_id] }), {
        abortSignal,
      }),
    );
    const a = out.Addresses?.[0];
    if (!a)
      throw new AwsError(
        'AWS_NOT_FOUND',
        'InvalidAllocationID.NotFound',
        `Elastic IP ${this.spec.allocation_id} not found`,
      );
    return a;
  }

  #isOurs(a: Address, p: Prepared): boolean {
    return (
      a.NetworkInterfaceId === p.eni_id &&
      (this.spec.private_ip === undefined || a.PrivateIpAddress === this.spec.private_ip)
    );
  }

  claim(ctx: ActionContext): Promise<ActionResult> {
    return runVerb(ctx, this.#session.retry, async (b) => {
      const p = await this.prepare();
      const input = {
        AllocationId: this.spec.allocation_id,
        NetworkInterfaceId: p.eni_id,
        AllowReassociation: true,
        ...(this.spec.private_ip ? { PrivateIpAddress: this.spec.private_ip } : {}),
      };
      await withRetry('AssociateAddress', b, (abortSignal) =>
        p.client.send(new AssociateAddressCommand(input), { abortSignal }),
      );
      await confirm(b, {
        first_ms: CONFIRM_FIRST_MS,
        max_ms: CONFIRM_MAX_MS,
        read: () => this.#address(p, b),
        done: (a) => this.#isOurs(a, p),
        notConfirmed: (a) =>
          new AwsError(
            'AWS_NOT_CONFIRMED',
            'NotConfirmed',
            `${a.PublicIp} still associated with ${a.NetworkInterfaceId ?? 'nothing'}, not ${p.eni_id}`,
          ),
      });
    });
  }

  /** Nothing to undo: the next active node reassociates the address in one call. */
  release(ctx: ActionContext): Promise<ActionResult> {
    return runVerb(ctx, this.#session.retry, async () => {});
  }

  async observe(ctx: ActionContext): Promise<Observation> {
    try {
      const p = await this.prepare();
      const a = await this.#address(p, budget(ctx.deadline_ms, ctx.signal, this.#session.retry));
      if (a.NetworkInterfaceId === undefined) return { target: 'none' };
      if (this.#isOurs(a, p)) return { target: 'self' };
      if (a.NetworkInterfaceId === this.spec.peer_eni_id) return { target: 'peer' };
      return {
        target: 'other',
        detail: `associated with ${a.NetworkInterfaceId} ${a.PrivateIpAddress ?? ''}`.trim(),
      };
    } catch (err) {
      return unknownObservation(err);
    }
  }

  async preflight(ctx: ActionContext): Promise<readonly PreflightCheck[]> {
    const b = budget(ctx.deadline_ms, ctx.signal, this.#session.retry);
    const s = this.spec;
    const read = {
      check: `Elastic IP ${s.allocation_id} exists`,
      action: 'ec2:DescribeAddresses',
      resources: ['*'],
    };
    let p: Prepared;
    try {
      p = await this.prepare();
      await this.#address(p, b);
    } catch (err) {
      return [failedCheck(read, err)];
    }
    const associate = await dryRunCheck(
      {
        check: `ec2:AssociateAddress ${s.allocation_id} → ${p.eni_id}`,
        action: 'ec2:AssociateAddress',
        resources: [arn(s, 'elastic-ip', s.allocation_id), arn(s, 'network-interface', p.eni_id)],
      },
      b,
      (abortSignal) =>
        p.client.send(
          new AssociateAddressCommand({
            AllocationId: s.allocation_id,
            NetworkInterfaceId: p.eni_id,
            AllowReassociation: true,
            DryRun: true,
            ...(s.private_ip ? { PrivateIpAddress: s.private_ip } : {}),
          }),
          { abortSignal },
        ),
    );
    return [{ check: read.check, status: 'ok' }, associate];
  }

  close(): void {
    this.#session.close();
  }
}
