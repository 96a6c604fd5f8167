// Network interfaces: PUT replaces the whole NIC (ipconfigs missing from the body are deleted), as an LRO.
import { contains, firstFree, isIpv4, isReserved, parseCidr } from '../cidr.js';
import { type AzureState, armError, type IpConfiguration, key, type Nic } from './model.js';
import { arr, type Json, obj, optBool, optObj, optStr } from './wire.js';

interface WantedConfig {
  name: string;
  private_ip: string | undefined;
  allocation: 'Static' | 'Dynamic';
  primary: boolean | undefined;
  subnet_id: string;
  public_ip_id: string | undefined;
}

function parseConfigs(body: Json): WantedConfig[] {
  const props = obj(body.properties ?? {}, 'properties');
  const list = arr(props.ipConfigurations ?? [], 'properties.ipConfigurations');
  return list.map((raw, i) => {
    const path = `properties.ipConfigurations[${i}]`;
    const c = obj(raw, path);
    const p = obj(c.properties ?? {}, `${path}.properties`);
    const name = optStr(c.name, `${path}.name`);
    if (!name) throw armError(400, 'InvalidRequestFormat', `${path}.name is required`);
    const method = optStr(p.privateIPAllocationMethod, `${path}.properties.privateIPAllocationMethod`);
    const ip = optStr(p.privateIPAddress, `${path}.properties.privateIPAddress`);
    const subnet = optObj(p.subnet, `${path}.properties.subnet`);
    const subnet_id = optStr(subnet?.id, `${path}.properties.subnet.id`);
    if (!subnet_id) throw armError(400, 'InvalidRequestFormat', `${path}.properties.subnet.id is required`);
    return {
      name,
      private_ip: ip,
      allocation: method === 'Dynamic' || (method === undefined && ip === undefined) ? 'Dynamic' : 'Static',
      primary: optBool(p.primary, `${path}.properties.primary`),
      subnet_id,
      public_ip_id: optStr(
        optObj(p.publicIPAddress, `${path}.properties.publicIPAddress`)?.id,
        'publicIPAddress.id',
      ),
    };
  });
}

/** Validates a NIC PUT body against the NIC's current state and the other NICs; returns the new ipconfigs. */
export function planNicWrite(
  state: AzureState,
  nic_id: string,
  body: Json,
  existing: Nic | undefined,
): IpConfiguration[] {
  const wanted = parseConfigs(body);
  if (wanted.length === 0) {
    throw armError(
      400,
      'NetworkInterfaceMustHaveAtLeastOneIpConfiguration',
      `Network interface ${nic_id} must have at least one IP configuration.`,
    );
  }
  const names = new Set<string>();
  for (const w of wanted) {
    if (names.has(w.name.toLowerCase()))
      throw armError(400, 'DuplicateResourceName', `IP configuration name ${w.name} is used twice.`);
    names.add(w.name.toLowerCase());
  }
  const subnetIds = new Set(wanted.map((w) => key(w.subnet_id)));
  if (subnetIds.size > 1) {
    throw armError(
      400,
      'IpConfigurationsOnSameNicCannotUseDifferentSubnets',
      `IP configurations on network interface ${nic_id} must all use the same subnet.`,
    );
  }
  const subnet = state.data.subnets[key(wanted[0]!.subnet_id)];
  if (!subnet) {
    throw armError(
      400,
      'InvalidResourceReference',
      `Resource ${wanted[0]!.subnet_id} referenced by resource ${nic_id} was not found.`,
    );
  }
  const oldPrimary = existing?.ip_configurations.find((c) => c.primary);
  const primaries = wanted.filter((w) => w.primary === true);
  if (oldPrimary) {
    const kept = wanted.find((w) => w.name.toLowerCase() === oldPrimary.name.toLowerCase());
    if (!kept || kept.primary === false || (primaries.length > 0 && primaries[0] !== kept)) {
      throw armError(
        400,
        'IpConfigDeleteNotSupported',
        `IP Configuration ${oldPrimary.name} cannot be deleted. Deletion and renaming of primary IP Configuration is not supported`,
      );
    }
    kept.primary = true;
  } else if (primaries.length === 0 && wanted.length === 1) wanted[0]!.primary = true;
  if (wanted.filter((w) => w.primary === true).length !== 1) {
    throw armError(
      400,
      'NetworkInterfaceMustHaveOnePrimaryIpConfiguration',
      `Network interface ${nic_id} must have exactly one primary IP configuration.`,
    );
  }
  const cidr = parseCidr(subnet.cidr)!;
  const taken = new Set<string>();
  const result: IpConfiguration[] = [];
  for (const w of wanted) {
    const configId = `${nic_id}/ipConfigurations/${w.name}`;
    let ip = w.private_ip;
    if (w.allocation === 'Dynamic') {
      ip = existing?.ip_configurations.find((c) => c.name.toLowerCase() === w.name.toLowerCase())?.private_ip;
    }
    if (ip !== undefined) {
      if (!isIpv4(ip) || !contains(cidr, ip)) {
        throw armError(
          400,
          'PrivateIPAddressNotInSubnet',
          `Private static IP address ${ip} does not belong to the range of subnet prefix ${subnet.cidr}.`,
        );
      }
      if (isReserved(cidr, ip)) {
        throw armError(
          400,
          'PrivateIPAddressInReservedRange',
          `Private static IP address ${ip} falls within reserved IP range of subnet prefix ${subnet.cidr}.`,
        );
      }
      const holder = state.holderOf(ip, nic_id);
      if (holder || taken.has(ip)) {
        throw armError(
          400,
          'PrivateIPAddressIsAllocated',
          `IP configuration ${configId} is using the private IP address ${ip} which is already allocated to resource ${holder?.id ?? nic_id}.`,
        );
      }
    } else {
      const used = new Set(
        Object.values(state.data.nics).flatMap((n) => [
          ...n.ip_configurations.map((c) => c.private_ip),
          ...n.releasing_ips,
        ]),
      );
      for (const t of taken) used.add(t);
      ip = firstFree(cidr, used);
      if (!ip) throw armError(400, 'SubnetIsFull', `Subnet ${subnet.id} has no free address.`);
    }
    taken.add(ip);
    result.push({
      name: w.name,
      private_ip: ip,
      allocation: w.allocation,
      primary: w.primary === true,
      subnet_id: subnet.id,
      public_ip_id: w.public_ip_id,
      etag: '',
    });
  }
  return result;
}

export function renderNic(nic: Nic): Json {
  return {
    id: nic.id,
    name: nic.name,
    type: 'Microsoft.Network/networkInterfaces',
    location: nic.location,
    etag: nic.etag,
    properties: {
      provisioningState: nic.provisioning_state,
      resourceGuid: nic.resource_guid,
      macAddress: nic.mac,
      enableIPForwarding: nic.enable_ip_forwarding,
      enableAcceleratedNetworking: false,
      primary: nic.primary,
      ...(nic.vm_id ? { virtualMachine: { id: nic.vm_id } } : {}),
      ...(nic.nsg_id ? { networkSecurityGroup: { id: nic.nsg_id } } : {}),
      ipConfigurations: nic.ip_configurations.map((c) => ({
        id: `${nic.id}/ipConfigurations/${c.name}`,
        name: c.name,
        etag: c.etag || nic.etag,
        type: 'Microsoft.Network/networkInterfaces/ipConfigurations',
        properties: {
          provisioningState: nic.provisioning_state,
          privateIPAddress: c.private_ip,
          privateIPAllocationMethod: c.allocation,
          privateIPAddressVersion: 'IPv4',
          primary: c.primary,
          subnet: { id: c.subnet_id },
          ...(c.public_ip_id ? { publicIPAddress: { id: c.public_ip_id } } : {}),
        },
      })),
    },
  };
}

export function nicFromBody(
  state: AzureState,
  id: string,
  name: string,
  body: Json,
  existing: Nic | undefined,
): Nic {
  const props = obj(body.properties ?? {}, 'properties');
  return {
    id: existing?.id ?? id,
    name: existing?.name ?? name,
    location: optStr(body.location, 'location') ?? existing?.location ?? state.data.location,
    etag: state.etag(),
    resource_guid: existing?.resource_guid ?? state.guid(),
    mac: existing?.mac ?? state.newMac(),
    enable_ip_forwarding: optBool(props.enableIPForwarding, 'properties.enableIPForwarding') ?? false,
    primary: existing?.primary ?? true,
    vm_id: existing?.vm_id,
    nsg_id: optStr(
      optObj(props.networkSecurityGroup, 'properties.networkSecurityGroup')?.id,
      'networkSecurityGroup.id',
    ),
    ip_configurations: [],
    provisioning_state: existing ? 'Updating' : 'Creating',
    operation_id: undefined,
    releasing_ips: [],
    previous: existing?.ip_configurations,
  };
}
