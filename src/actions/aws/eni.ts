// eni: move a secondary ENI to this instance — detach (Force) from the peer, wait until available, attach at
// the configured device index, wait until attached, all within the deadline (CLOUD.md §1.4). An ENI lives in
// one subnet, hence one AZ: a cross-AZ pair is refused at preflight (use route tables with an overlay IP).
import {
  AttachNetworkInterfaceCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  type EC2Client,
  type NetworkInterface,
} from '@aws-sdk/client-ec2';
import { confirm } from '../kit/confirm.js';
import { budget, type CallBudget } from '../kit/retry.js';
import type { ActionContext, ActionResult, Observation, PreflightCheck } from '../types.js';
import { withRetry } from './client.js';
import { AwsError } from './errors.js';
import { arn } from './iam-policy.js';
import { dryRunCheck, failedCheck } from './preflight.js';
import type { EniSpec } from './schema.js';
import { type AwsContext, AwsSession, Resolved, runVerb, unknownObservation } from './session.js';

const POLL_FIRST_MS = 100;
const POLL_MAX_MS = 1000;

interface Prepared {
  readonly client: EC2Client;
  readonly instance_id: string;
  readonly availability_zone: string;
}

export class EniAction {
  readonly kind = 'aws-eni';
  readonly name: string;
  readonly spec: EniSpec;
  readonly #session: AwsSession;
  readonly #prepared = new Resolved<Prepared>();

  constructor(spec: EniSpec, ctx: AwsContext) {
    this.spec = spec;
    this.name = spec.name ?? `aws-eni ${spec.eni_id}`;
    this.#session = new AwsSession(spec, ctx);
  }

  prepare(deadline_ms = 10_000): Promise<Prepared> {
    return this.#prepared.get(() => this.#resolve(budget(deadline_ms, undefined, this.#session.retry)));
  }

  async #resolve(b: CallBudget): Promise<Prepared> {
    const client = await this.#session.client();
    if (this.spec.instance_id === undefined) {
      const self = await this.#session.self();
      return { client, instance_id: self.instance_id, availability_zone: self.availability_zone };
    }
    const id = this.spec.instance_id;
    const out = await withRetry('DescribeInstances', b, (abortSignal) =>
      client.send(new DescribeInstancesCommand({ InstanceIds: [id] }), { abortSignal }),
    );
    const inst = out.Reservations?.[0]?.Instances?.[0];
    const az = inst?.Placement?.AvailabilityZone;
    if (!az) throw new AwsError('AWS_NOT_FOUND', 'InvalidInstanceID.NotFound', `instance ${id} not found`);
    return { client, instance_id: id, availability_zone: az };
  }

  async #eni(p: Prepared, b: CallBudget): Promise<NetworkInterface> {
    const id = this.spec.eni_id;
    const out = await withRetry('DescribeNetworkInterfaces', b, (abortSignal) =>
      p.client.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] }), { abortSignal }),
    );
    const eni = out.NetworkInterfaces?.[0];
    if (!eni)
      throw new AwsError('AWS_NOT_FOUND', 'InvalidNetworkInterfaceID.NotFound', `ENI ${id} does not exist`);
    return eni;
  }

  claim(ctx: ActionContext): Promise<ActionResult> {
    return runVerb(ctx, this.#session.retry, async (b) => {
      const p = await this.prepare(ctx.deadline_ms);
      const eni = await this.#eni(p, b);
      if (eni.AvailabilityZone !== p.availability_zone) throw crossAz(this.spec.eni_id, eni, p);
      const status = eni.Attachment?.Status;
      if (ours(eni, p) && status === 'attached') return;
      if (eni.Attachment && !ours(eni, p) && status !== 'detaching') {
        const AttachmentId = eni.Attachment.AttachmentId!;
        const Force = this.spec.force_detach ?? true;
        await withRetry('DetachNetworkInterface', b, (abortSignal) =>
          p.client.send(new DetachNetworkInterfaceCommand({ AttachmentId, Force }), { abortSignal }),
        );
        this.#session.log.info(
          { action: this.name, from: eni.Attachment.InstanceId, force: Force },
          'eni detached',
        );
      }
      // Still attaching to us: just wait. Anything else (the peer's, or our own release in progress): wait for
      // `available`, then attach.
      if (!(ours(eni, p) && status === 'attaching')) {
        await this.#until(p, b, (e) => e.Status === 'available', 'available');
        await this.#attach(p, b);
      }
      await this.#until(p, b, (e) => ours(e, p) && e.Attachment?.Status === 'attached', 'attached to us');
    });
  }

  async #attach(p: Prepared, b: CallBudget): Promise<void> {
    const input = {
      NetworkInterfaceId: this.spec.eni_id,
      InstanceId: p.instance_id,
      DeviceIndex: this.spec.device_index,
    };
    try {
      await withRetry('AttachNetworkInterface', b, (abortSignal) =>
        p.client.send(new AttachNetworkInterfaceCommand(input), { abortSignal }),
      );
    } catch (err) {
      if (err instanceof AwsError && /device index/i.test(err.message))
        throw new AwsError(
          'AWS_CONFLICT',
          err.aws_code,
          `${err.message} — after a forced detach EC2 may keep the index busy until the instance is stopped and started; ` +
            'stop/start it or configure another device_index',
        );
      throw err;
    }
  }

  async #until(
    p: Prepared,
    b: CallBudget,
    done: (e: NetworkInterface) => boolean,
    what: string,
  ): Promise<NetworkInterface> {
    return confirm(b, {
      first_ms: POLL_FIRST_MS,
      max_ms: POLL_MAX_MS,
      read: () => this.#eni(p, b),
      done,
      notConfirmed: (last) =>
        new AwsError(
          'AWS_NOT_CONFIRMED',
          'NotConfirmed',
          `ENI ${this.spec.eni_id} not ${what} before the deadline (status ${last.Status}, attachment ${last.Attachment?.Status ?? 'none'})`,
        ),
    });
  }

  /** A graceful detach from us, so the next active node seldom needs Force (which can pin a device index). */
  release(ctx: ActionContext): Promise<ActionResult> {
    return runVerb(ctx, this.#session.retry, async (b) => {
      const p = await this.prepare(ctx.deadline_ms);
      const eni = await this.#eni(p, b);
      if (!ours(eni, p) || eni.Attachment?.Status === 'detaching') return;
      const AttachmentId = eni.Attachment!.AttachmentId!;
      await withRetry('DetachNetworkInterface', b, (abortSignal) =>
        p.client.send(new DetachNetworkInterfaceCommand({ AttachmentId, Force: false }), { abortSignal }),
      );
    });
  }

  async observe(ctx: ActionContext): Promise<Observation> {
    try {
      const b = budget(ctx.deadline_ms, ctx.signal, this.#session.retry);
      const p = await this.prepare(ctx.deadline_ms);
      const eni = await this.#eni(p, b);
      const holder = eni.Attachment?.InstanceId;
      if (holder === undefined || eni.Attachment?.Status === 'detached') return { target: 'none' };
      if (holder === p.instance_id) return { target: 'self' };
      if (holder === this.spec.peer_instance_id) return { target: 'peer' };
      return { target: 'other', detail: `attached to ${holder} (${eni.Attachment?.Status})` };
    } catch (err) {
      return unknownObservation(err);
    }
  }

  async preflight(ctx: ActionContext): Promise<readonly PreflightCheck[]> {
    const b = budget(ctx.deadline_ms, ctx.signal, this.#session.retry);
    const s = this.spec;
    const read = {
      check: `ENI ${s.eni_id} exists`,
      action: 'ec2:DescribeNetworkInterfaces',
      resources: ['*'],
    };
    let p: Prepared;
    let eni: NetworkInterface;
    try {
      p = await this.prepare(ctx.deadline_ms);
      eni = await this.#eni(p, b);
    } catch (err) {
      return [failedCheck(read, err)];
    }
    const checks: PreflightCheck[] = [{ check: read.check, status: 'ok' }];
    if (eni.AvailabilityZone !== p.availability_zone) {
      checks.push({
        check: `ENI ${s.eni_id} and this instance share an AZ`,
        status: 'error',
        detail: crossAz(s.eni_id, eni, p).message,
        fix: 'an ENI cannot leave its AZ: use aws-route-table with an overlay IP for a cross-AZ pair',
      });
    }
    const resources = [arn(s, 'network-interface', s.eni_id), arn(s, 'instance', p.instance_id)];
    const attachmentId = eni.Attachment?.AttachmentId ?? 'eni-attach-00000000000000000';
    const [detach, attach] = await Promise.all([
      dryRunCheck(
        { check: `ec2:DetachNetworkInterface ${s.eni_id}`, action: 'ec2:DetachNetworkInterface', resources },
        b,
        (abortSignal) =>
          p.client.send(
            new DetachNetworkInterfaceCommand({ AttachmentId: attachmentId, Force: true, DryRun: true }),
            { abortSignal },
          ),
      ),
      dryRunCheck(
        {
          check: `ec2:AttachNetworkInterface ${s.eni_id} → ${p.instance_id}#${s.device_index}`,
          action: 'ec2:AttachNetworkInterface',
          resources,
        },
        b,
        (abortSignal) =>
          p.client.send(
            new AttachNetworkInterfaceCommand({
              NetworkInterfaceId: s.eni_id,
              InstanceId: p.instance_id,
              DeviceIndex: s.device_index,
              DryRun: true,
            }),
            { abortSignal },
          ),
      ),
    ]);
    return [...checks, detach, attach];
  }

  close(): void {
    this.#session.close();
  }
}

function ours(eni: NetworkInterface, p: Prepared): boolean {
  return eni.Attachment?.InstanceId === p.instance_id;
}

function crossAz(id: string, eni: NetworkInterface, p: Prepared): AwsError {
  return new AwsError(
    'AWS_CROSS_AZ',
    'CrossAz',
    `ENI ${id} is in ${eni.AvailabilityZone}, this instance ${p.instance_id} in ${p.availability_zone}: an ENI cannot move across AZs; use aws-route-table with an overlay IP`,
  );
}
