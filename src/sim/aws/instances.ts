// Instances: just enough to own ENIs (device 0 created with the instance) and to be a route target.
import { createEni } from './enis.js';
import type { AwsState, Instance } from './model.js';
import { anyOf, type FilterFn, field } from './query.js';

export interface RunInstanceInput {
  subnet_id: string;
  private_ip?: string | undefined;
  name?: string | undefined;
  id?: string | undefined;
  identity?: string | undefined;
  image_id?: string | undefined;
  instance_type?: string | undefined;
  eni_id?: string | undefined;
  eni_name?: string | undefined;
  source_dest_check?: boolean | undefined;
}

export function runInstance(state: AwsState, input: RunInstanceInput): Instance {
  const subnet = state.subnet(input.subnet_id);
  const inst: Instance = {
    id: input.id ?? state.newId('i'),
    name: input.name,
    subnet_id: subnet.id,
    vpc_id: subnet.vpc_id,
    az: subnet.az,
    image_id: input.image_id ?? 'ami-0tandemsim000000',
    instance_type: input.instance_type ?? 'c6in.large',
    state: 'running',
    identity: input.identity,
    stale_device_indexes: [],
    ghost_enis: [],
  };
  state.data.instances[inst.id] = inst;
  const eni = createEni(state, {
    subnet_id: subnet.id,
    private_ip: input.private_ip,
    id: input.eni_id,
    name: input.eni_name,
    description: `Primary network interface of ${inst.id}`,
    source_dest_check: input.source_dest_check,
  });
  eni.attachment = {
    id: state.newId('eni-attach'),
    instance_id: inst.id,
    device_index: 0,
    status: 'attached',
    delete_on_termination: true,
    until_ms: undefined,
  };
  eni.status = 'in-use';
  return inst;
}

export function terminateInstance(state: AwsState, instance_id: string): void {
  const inst = state.instance(instance_id);
  if (inst.state === 'terminated') return;
  state.vanish(instance_id);
}

export function primaryIp(state: AwsState, inst: Instance): string | undefined {
  const eni = state.enisOf(inst.id).find((e) => e.attachment?.device_index === 0);
  return eni?.private_ips.find((p) => p.primary)?.ip;
}

export function instanceFilters(state: AwsState): Record<string, FilterFn<Instance>> {
  return {
    'instance-id': field((i) => i.id),
    'subnet-id': field((i) => i.subnet_id),
    'vpc-id': field((i) => i.vpc_id),
    'availability-zone': field((i) => i.az),
    'instance-state-name': field((i) => i.state),
    'private-ip-address': field((i) => primaryIp(state, i)),
    'network-interface.network-interface-id': anyOf((i) => state.enisOf(i.id).map((e) => e.id)),
    'tag:Name': field((i) => i.name),
  };
}
