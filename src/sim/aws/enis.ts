// Network interfaces: create, attach/detach through timed transitions, source/dest check, secondary addresses.
import { contains, firstFree, isIpv4, isReserved, parseCidr } from '../cidr.js';
import { SimError } from '../errors.js';
import { type AwsState, type Eni, invalid, type Subnet } from './model.js';
import { anyOf, type FilterFn, field } from './query.js';

/** Refuses an address outside the subnet or among its reserved ones (first four and last). */
export function checkAddress(subnet: Subnet, ip: string): void {
  const cidr = parseCidr(subnet.cidr);
  if (!isIpv4(ip) || !cidr) throw invalid(`Value (${ip}) for parameter privateIpAddress is invalid.`);
  if (!contains(cidr, ip)) throw invalid(`Address ${ip} does not fall within the subnet's address range`);
  if (isReserved(cidr, ip)) {
    throw invalid(
      `Address ${ip} is reserved in subnet ${subnet.id} (${subnet.cidr}): the first four and the last address are AWS's`,
    );
  }
}

function inUse(ip: string, eni_id: string): SimError {
  return new SimError(400, 'InvalidIPAddress.InUse', `Address ${ip} is in use by ${eni_id}.`);
}

function freeAddress(state: AwsState, subnet: Subnet): string {
  const used = new Set(state.addressesIn(subnet.id).keys());
  const cidr = parseCidr(subnet.cidr);
  const ip = cidr ? firstFree(cidr, used) : undefined;
  if (!ip)
    throw new SimError(400, 'InsufficientFreeAddressesInSubnet', `Subnet ${subnet.id} has no free address.`);
  return ip;
}

export interface CreateEniInput {
  subnet_id: string;
  private_ip?: string | undefined;
  secondary_count?: number | undefined;
  description?: string | undefined;
  name?: string | undefined;
  id?: string | undefined;
  source_dest_check?: boolean | undefined;
}

export function createEni(state: AwsState, input: CreateEniInput): Eni {
  const subnet = state.subnet(input.subnet_id);
  const used = state.addressesIn(subnet.id);
  let primary = input.private_ip;
  if (primary !== undefined) {
    checkAddress(subnet, primary);
    const holder = used.get(primary);
    if (holder) throw inUse(primary, holder);
  } else primary = freeAddress(state, subnet);
  const eni: Eni = {
    id: input.id ?? state.newId('eni'),
    subnet_id: subnet.id,
    vpc_id: subnet.vpc_id,
    az: subnet.az,
    mac: state.newMac(),
    description: input.description ?? '',
    name: input.name,
    private_ips: [{ ip: primary, primary: true }],
    source_dest_check: input.source_dest_check ?? true,
    status: 'available',
    attachment: undefined,
  };
  state.data.enis[eni.id] = eni;
  for (let i = 0; i < (input.secondary_count ?? 0); i++)
    eni.private_ips.push({ ip: freeAddress(state, subnet), primary: false });
  return eni;
}

export function deleteEni(state: AwsState, eni_id: string): void {
  const eni = state.eni(eni_id);
  if (eni.attachment)
    throw new SimError(400, 'InvalidNetworkInterface.InUse', `Interface: [${eni_id}] in use.`);
  state.vanish(eni_id);
}

export function attachEni(
  state: AwsState,
  eni_id: string,
  instance_id: string,
  device_index: number,
): string {
  const eni = state.eni(eni_id);
  const inst = state.instance(instance_id);
  if (inst.state !== 'running') {
    throw new SimError(
      400,
      'IncorrectInstanceState',
      `The instance '${instance_id}' is not in a valid state for this operation.`,
    );
  }
  if (eni.attachment)
    throw new SimError(400, 'InvalidNetworkInterface.InUse', `Interface: [${eni_id}] in use.`);
  if (eni.az !== inst.az) {
    throw new SimError(
      400,
      'InvalidParameterCombination',
      `You may not attach a network interface to an instance if they are not in the same availability zone (${eni.az} vs ${inst.az})`,
    );
  }
  const taken = state.enisOf(instance_id).some((e) => e.attachment?.device_index === device_index);
  if (taken || inst.stale_device_indexes.includes(device_index)) {
    throw invalid(
      `Instance '${instance_id}' already has an interface attached at device index '${device_index}'.`,
    );
  }
  const id = state.newId('eni-attach');
  eni.attachment = {
    id,
    instance_id,
    device_index,
    status: 'attaching',
    delete_on_termination: false,
    until_ms: undefined,
  };
  eni.status = 'attaching';
  state.beginTransition(eni, state.data.attach_delay_ms);
  return id;
}

export function detachEni(state: AwsState, attachment_id: string, force: boolean): void {
  state.settle();
  const eni = Object.values(state.data.enis).find((e) => e.attachment?.id === attachment_id);
  if (!eni?.attachment) {
    throw new SimError(
      400,
      'InvalidAttachmentID.NotFound',
      `The attachment ID '${attachment_id}' does not exist`,
    );
  }
  const att = eni.attachment;
  if (att.device_index === 0) {
    throw new SimError(
      400,
      'OperationNotPermitted',
      'The network interface at device index 0 cannot be detached.',
    );
  }
  if (att.status === 'detaching') return;
  const inst = state.data.instances[att.instance_id];
  if (force && inst) {
    // After a forced detach the device index stays unusable and the instance's metadata may still list the ENI.
    inst.stale_device_indexes.push(att.device_index);
    inst.ghost_enis.push(eni.id);
  }
  att.status = 'detaching';
  eni.status = 'detaching';
  state.beginTransition(eni, state.data.detach_delay_ms);
}

export function setSourceDestCheck(state: AwsState, eni_id: string, value: boolean): void {
  state.eni(eni_id).source_dest_check = value;
}

export function assignPrivateIps(
  state: AwsState,
  eni_id: string,
  ips: string[],
  count: number | undefined,
  allow_reassignment: boolean,
): string[] {
  const eni = state.eni(eni_id);
  const subnet = state.subnet(eni.subnet_id);
  if (ips.length === 0 && !count)
    throw invalid('Specify PrivateIpAddress or SecondaryPrivateIpAddressCount.');
  const used = state.addressesIn(subnet.id);
  for (const ip of ips) {
    checkAddress(subnet, ip);
    const holder = used.get(ip);
    if (holder && holder !== eni_id) {
      const other = state.data.enis[holder];
      if (other?.private_ips.find((p) => p.ip === ip)?.primary) {
        throw invalid(`Address ${ip} is the primary private address of ${holder} and cannot be reassigned.`);
      }
      if (!allow_reassignment) throw inUse(ip, holder);
    }
  }
  const assigned: string[] = [];
  for (const ip of ips) {
    const holder = used.get(ip);
    if (holder === eni_id) continue;
    if (holder) {
      const other = state.data.enis[holder];
      if (other) other.private_ips = other.private_ips.filter((p) => p.ip !== ip);
      // An Elastic IP associated with the moved address follows it.
      for (const a of Object.values(state.data.addresses)) {
        if (a.association?.eni_id === holder && a.association.private_ip === ip)
          a.association.eni_id = eni_id;
      }
    }
    eni.private_ips.push({ ip, primary: false });
    assigned.push(ip);
  }
  for (let i = 0; i < (count ?? 0); i++) {
    const ip = freeAddress(state, subnet);
    eni.private_ips.push({ ip, primary: false });
    assigned.push(ip);
  }
  return assigned;
}

export function unassignPrivateIps(state: AwsState, eni_id: string, ips: string[]): void {
  const eni = state.eni(eni_id);
  if (ips.length === 0)
    throw new SimError(400, 'MissingParameter', 'The request must contain the parameter PrivateIpAddress');
  for (const ip of ips) {
    const held = eni.private_ips.find((p) => p.ip === ip);
    if (!held) throw invalid(`Some of the specified addresses are not assigned to interface ${eni_id}`);
    if (held.primary) throw invalid(`The primary private address ${ip} of ${eni_id} cannot be unassigned.`);
  }
  eni.private_ips = eni.private_ips.filter((p) => !ips.includes(p.ip));
  for (const a of Object.values(state.data.addresses)) {
    if (a.association?.eni_id === eni_id && ips.includes(a.association.private_ip)) a.association = undefined;
  }
}

export function eniFilters(state: AwsState): Record<string, FilterFn<Eni>> {
  const addr = (e: Eni) => Object.values(state.data.addresses).find((a) => a.association?.eni_id === e.id);
  return {
    'network-interface-id': field((e) => e.id),
    'subnet-id': field((e) => e.subnet_id),
    'vpc-id': field((e) => e.vpc_id),
    'availability-zone': field((e) => e.az),
    status: field((e) => e.status),
    'mac-address': field((e) => e.mac),
    description: field((e) => e.description),
    'source-dest-check': field((e) => String(e.source_dest_check)),
    'private-ip-address': field((e) => e.private_ips.find((p) => p.primary)?.ip),
    'addresses.private-ip-address': anyOf((e) => e.private_ips.map((p) => p.ip)),
    'addresses.primary': anyOf((e) => e.private_ips.map((p) => String(p.primary))),
    'attachment.instance-id': field((e) => e.attachment?.instance_id),
    'attachment.attachment-id': field((e) => e.attachment?.id),
    'attachment.status': field((e) => e.attachment?.status),
    'attachment.device-index': field((e) => (e.attachment ? String(e.attachment.device_index) : undefined)),
    'association.public-ip': field((e) => addr(e)?.public_ip),
    'association.allocation-id': field((e) => addr(e)?.allocation_id),
    'tag:Name': field((e) => e.name),
  };
}
