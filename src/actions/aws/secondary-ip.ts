// secondary-ip: AssignPrivateIpAddresses with AllowReassignment moves the address from the peer's ENI to ours in
// one call (same subnet; an associated EIP follows), then the OS interface gets it too (CLOUD.md §1.5).
import {
  AssignPrivateIpAddressesCommand,
  DescribeNetworkInterfacesCommand,
  type EC2Client,
  type NetworkInterface,
} from '@aws-sdk/client-ec2';
import ipaddr from 'ipaddr.js';
import { confirm } from '../kit/confirm.js';
import { budget, type CallBudget } from '../kit/retry.js';
import type { ActionContext, ActionResult, Observation, PreflightCheck } from '../types.js';
import { withRetry } from './client.js';
import { AwsError } from './errors.js';
import { arn } from './iam-policy.js';
import { ipCommand, type LocalAddresses } from './local-address.js';
import { failedCheck } from './preflight.js';
import type { SecondaryIpSpec } from './schema.js';
import { type AwsContext, AwsSession, Resolved, runVerb, unknownObservation } from './session.js';

const CONFIRM_FIRST_MS = 50;
const CONFIRM_MAX_MS = 1000;

interface Prepared {
  readonly client: EC2Client;
  readonly eni_id: string;
  readonly subnet_cidr: string | null;
}

export class SecondaryIpAction {
  readonly kind = 'aws-secondary-ip';
  readonly name: string;
  readonly spec: SecondaryIpSpec;
  readonly #session: AwsSession;
  readonly #local: LocalAddresses;
  readonly #prepared = new Resolved<Prepared>();

  constructor(spec: SecondaryIpSpec, ctx: AwsContext) {
    this.spec = spec;
    this.name = spec.name ?? `aws-secondary-ip ${spec.address}`;
    this.#session = new AwsSession(spec, ctx);
    this.#local = ctx.local ?? ipCommand();
  }

  prepare(): Promise<Prepared> {
    return this.#prepared.get(async () => {
      const client = await this.#session.client();
      const own = await this.#session.ownInterface(this.spec);
      return { client, ...own };
    });
  }

  /** The ENI that holds the address now (filtered Describe: the cheap throttle bucket, CLOUD.md §1.4). */
  async #holder(p: Prepared, b: CallBudget): Promise<NetworkInterface | undefined> {
    const out = await withRetry('DescribeNetworkInterfaces', b, (abortSignal) =>
      p.client.send(
        new DescribeNetworkInterfacesCommand({
          Filters: [{ Name: 'addresses.private-ip-address', Values: [this.spec.address] }],
        }),
        { abortSignal },
      ),
    );
    return out.NetworkInterfaces?.[0];
  }

  #cidr(p: Prepared): string {
    const bits = this.spec.prefix_length ?? Number(p.subnet_cidr?.split('/')[1] ?? 32);
    return `${this.spec.address}/${bits}`;
  }

  claim(ctx: ActionContext): Promise<ActionResult> {
    return runVerb(ctx, this.#session.retry, async (b) => {
      const p = await this.prepare();
      await withRetry('AssignPrivateIpAddresses', b, (abortSignal) =>
        p.client.send(
          new AssignPrivateIpAddressesCommand({
            NetworkInterfaceId: p.eni_id,
            PrivateIpAddresses: [this.spec.address],
            AllowReassignment: true,
          }),
          { abortSignal },
        ),
      );
      if (this.spec.local_interface) await this.#local.add(this.spec.local_interface, this.#cidr(p));
      // Remapping is asynchronous in EC2: read it back before saying done.
      await confirm(b, {
        first_ms: CONFIRM_FIRST_MS,
        max_ms: CONFIRM_MAX_MS,
        read: () => this.#holder(p, b),
        done: (holder) => holder?.NetworkInterfaceId === p.eni_id,
        notConfirmed: (holder) =>
          new AwsError(
            'AWS_NOT_CONFIRMED',
            'NotConfirmed',
            `${this.spec.address} still on ${holder?.NetworkInterfaceId ?? 'no interface'}, not ${p.eni_id}`,
          ),
      });
    });
  }

  /** The platform side stays (the next active node reassigns it); the OS stops answering for the address. */
  release(ctx: ActionContext): Promise<ActionResult> {
    return runVerb(ctx, this.#session.retry, async () => {
      if (!this.spec.local_interface) return;
      const p = await this.prepare();
      await this.#local.remove(this.spec.local_interface, this.#cidr(p));
    });
  }

  async observe(ctx: ActionContext): Promise<Observation> {
    try {
      const b = budget(ctx.deadline_ms, ctx.signal, this.#session.retry);
      const p = await this.prepare();
      const holder = (await this.#holder(p, b))?.NetworkInterfaceId;
      if (holder === undefined) return { target: 'none' };
      if (holder === p.eni_id) {
        const iface = this.spec.local_interface;
        if (iface && !(await this.#local.has(iface, this.spec.address)))
          return { target: 'other', detail: `on ${holder} but missing on the local interface ${iface}` };
        return { target: 'self' };
      }
      if (holder === this.spec.peer_eni_id) return { target: 'peer' };
      return { target: 'other', detail: `assigned to ${holder}` };
    } catch (err) {
      return unknownObservation(err);
    }
  }

  async preflight(ctx: ActionContext): Promise<readonly PreflightCheck[]> {
    const b = budget(ctx.deadline_ms, ctx.signal, this.#session.retry);
    const s = this.spec;
    const read = {
      check: `ENI for ${s.address} exists`,
      action: 'ec2:DescribeNetworkInterfaces',
      resources: ['*'],
    };
    let p: Prepared;
    try {
      p = await this.prepare();
      const out = await withRetry('DescribeNetworkInterfaces', b, (abortSignal) =>
        p.client.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [p.eni_id] }), {
          abortSignal,
        }),
      );
      if (!out.NetworkInterfaces?.length)
        throw new AwsError(
          'AWS_NOT_FOUND',
          'InvalidNetworkInterfaceID.NotFound',
          `ENI ${p.eni_id} not found`,
        );
    } catch (err) {
      return [failedCheck(read, err)];
    }
    const checks: PreflightCheck[] = [{ check: `ENI ${p.eni_id} exists`, status: 'ok' }];
    const inSubnet = p.subnet_cidr === null ? null : subnetProblem(s.address, p.subnet_cidr);
    if (inSubnet !== null)
      checks.push({
        check: `${s.address} is usable in ${p.subnet_cidr}`,
        status: 'wrong-id',
        detail: inSubnet,
        fix: 'pick a free, unreserved address of the subnet',
      });
    checks.push(await this.#assignCheck(p, b));
    return checks;
  }

  /**
   * AssignPrivateIpAddresses has no DryRun. On the node that holds the address, re-assigning it to itself is
   * a real call that changes nothing; elsewhere it would move the address, so it is left to that node.
   */
  async #assignCheck(p: Prepared, b: CallBudget): Promise<PreflightCheck> {
    const s = this.spec;
    const spec = {
      check: `ec2:AssignPrivateIpAddresses ${s.address} → ${p.eni_id}`,
      action: 'ec2:AssignPrivateIpAddresses',
      resources: [arn(s, 'network-interface', p.eni_id)],
    };
    try {
      const holder = (await this.#holder(p, b))?.NetworkInterfaceId;
      if (holder !== p.eni_id)
        return {
          check: spec.check,
          status: 'ok',
          detail: `not tested here: EC2 has no DryRun for this call and ${s.address} is on ${holder ?? 'no interface'}; the node holding it tests it`,
        };
      await withRetry('AssignPrivateIpAddresses', b, (abortSignal) =>
        p.client.send(
          new AssignPrivateIpAddressesCommand({
            NetworkInterfaceId: p.eni_id,
            PrivateIpAddresses: [s.address],
            AllowReassignment: true,
          }),
          { abortSignal },
        ),
      );
      return { check: spec.check, status: 'ok', detail: 'tested with a no-op re-assignment on this node' };
    } catch (err) {
      return failedCheck(spec, err);
    }
  }

  close(): void {
    this.#session.close();
  }
}

/** The first four and the last address of a subnet are AWS's (CLOUD.md §1.5). */
export function subnetProblem(address: string, cidr: string): string | null {
  const [net, bits] = ipaddr.IPv4.parseCIDR(cidr);
  const ip = ipaddr.IPv4.parse(address);
  if (!ip.match(net, bits)) return `${address} is outside the subnet ${cidr}`;
  const n = toInt(ip) - toInt(ipaddr.IPv4.networkAddressFromCIDR(cidr));
  const size = 2 ** (32 - bits);
  if (n < 4 || n === size - 1)
    return `${address} is reserved by AWS in ${cidr} (first four and last addresses)`;
  return null;
}

function toInt(ip: ipaddr.IPv4): number {
  return ip.octets.reduce((acc, o) => acc * 256 + o, 0);
}
