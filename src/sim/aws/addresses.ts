// Elastic IPs: allocate, associate with an ENI address (reassociation on unless refused), disassociate.
import { SimError } from '../errors.js';
import { type Address, type AwsState, invalid } from './model.js';
import { type FilterFn, field } from './query.js';

export function allocateAddress(state: AwsState, name?: string, public_ip?: string, id?: string): Address {
  const taken = new Set(Object.values(state.data.addresses).map((a) => a.public_ip));
  let ip = public_ip;
  // Documentation ranges (RFC 5737): a simulated public address can never reach a real host.
  for (let n = 10; ip === undefined && n < 255; n++)
    if (!taken.has(`198.51.100.${n}`)) ip = `198.51.100.${n}`;
  if (ip === undefined)
    throw new SimError(400, 'AddressLimitExceeded', 'The maximum number of addresses has been reached.');
  const a: Address = {
    allocation_id: id ?? state.newId('eipalloc'),
    public_ip: ip,
    name,
    association: undefined,
  };
  state.data.addresses[a.allocation_id] = a;
  return a;
}

export function associateAddress(
  state: AwsState,
  allocation_id: string,
  eni_id: string,
  private_ip: string | undefined,
  allow_reassociation: boolean,
): string {
  const a = state.address(allocation_id);
  const eni = state.eni(eni_id);
  const ip = private_ip ?? eni.private_ips.find((p) => p.primary)?.ip;
  if (!ip || !eni.private_ips.some((p) => p.ip === ip)) {
    throw invalid(`The private IP address ${ip} is not assigned to network interface ${eni_id}.`);
  }
  if (a.association && !(a.association.eni_id === eni_id && a.association.private_ip === ip)) {
    if (!allow_reassociation) {
      throw new SimError(
        400,
        'Resource.AlreadyAssociated',
        `resource ${allocation_id} is already associated with associate-id ${a.association.id}`,
      );
    }
  }
  if (a.association?.eni_id === eni_id && a.association.private_ip === ip) return a.association.id;
  // One Elastic IP per private address: the address's previous EIP is released from it.
  for (const other of Object.values(state.data.addresses)) {
    if (other.association?.eni_id === eni_id && other.association.private_ip === ip)
      other.association = undefined;
  }
  a.association = { id: state.newId('eipassoc'), eni_id, private_ip: ip };
  return a.association.id;
}

export function disassociateAddress(state: AwsState, association_id: string): void {
  const a = Object.values(state.data.addresses).find((x) => x.association?.id === association_id);
  if (!a) {
    throw new SimError(
      400,
      'InvalidAssociationID.NotFound',
      `The association ID '${association_id}' does not exist`,
    );
  }
  a.association = undefined;
}

export function addressFilters(state: AwsState): Record<string, FilterFn<Address>> {
  const instanceOf = (a: Address) =>
    a.association ? state.data.enis[a.association.eni_id]?.attachment?.instance_id : undefined;
  return {
    'allocation-id': field((a) => a.allocation_id),
    'public-ip': field((a) => a.public_ip),
    'association-id': field((a) => a.association?.id),
    'network-interface-id': field((a) => a.association?.eni_id),
    'private-ip-address': field((a) => a.association?.private_ip),
    'instance-id': field(instanceOf),
    domain: field(() => 'vpc'),
    'tag:Name': field((a) => a.name),
  };
}
