// A scenario file (YAML) → identities, an EC2 world and an Azure world. Errors name the file, the path and what is expected.
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { allocateAddress, associateAddress } from './aws/addresses.js';
import { assignPrivateIps, createEni } from './aws/enis.js';
import { runInstance } from './aws/instances.js';
import type { AwsState, TargetKind } from './aws/model.js';
import { createRoute, propagateRoute } from './aws/route-tables.js';
import { createRouteTable, createSubnet, createVpc, mainRouteTable } from './aws/vpcs.js';
import { type AzureState, key } from './azure/model.js';
import { planNicWrite } from './azure/nics.js';
import { contains, parseCidr } from './cidr.js';
import { SimError } from './errors.js';
import type { Identity } from './iam.js';
import type { Random } from './random.js';
import {
  type AwsScenario,
  type AzureScenario,
  type IdentitySpec,
  type Scenario,
  ScenarioSchema,
} from './scenario-schema.js';

export class ScenarioError extends Error {
  readonly code = 'scenario-invalid';
}

export function parseScenario(text: string, file: string): Scenario {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (e) {
    throw new ScenarioError(`${file}: not valid YAML: ${(e as Error).message}`);
  }
  const first = Value.Errors(ScenarioSchema, raw).First();
  if (first) {
    const at =
      first.path === ''
        ? '(top level)'
        : first.path
            .slice(1)
            .split('/')
            .map((seg, i) => (/^\d+$/.test(seg) ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
            .join('');
    throw new ScenarioError(`${file}: ${at}: ${first.message} (got ${JSON.stringify(first.value)})`);
  }
  return raw as Scenario;
}

export function loadScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(`${file}: cannot read the scenario file: ${(e as Error).message}`);
  }
  return parseScenario(text, file);
}

export function makeIdentity(spec: IdentitySpec, random: Random): Identity {
  const guid = () => {
    const h = random.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
  return {
    name: spec.name,
    aws_access_key_id: spec.aws_access_key_id ?? `AKIATDSIM${random.hex(11).toUpperCase()}`,
    aws_secret_access_key: spec.aws_secret_access_key ?? random.hex(40),
    azure_client_id: spec.azure_client_id ?? guid(),
    azure_principal_id: guid(),
    policy: spec.policy.map((s) => ({ actions: [...s.actions], resources: [...s.resources] })),
  };
}

/** Runs `step`, turning a model error into a scenario error at `path`. */
function at<T>(file: string, path: string, step: () => T): T {
  try {
    return step();
  } catch (e) {
    if (e instanceof SimError || e instanceof ScenarioError)
      throw new ScenarioError(`${file}: ${path}: ${e.message}`);
    throw e;
  }
}

const TARGET_PREFIX: [string, TargetKind][] = [
  ['eni-', 'network-interface'],
  ['i-', 'instance'],
  ['igw-', 'gateway'],
  ['vgw-', 'gateway'],
  ['nat-', 'nat-gateway'],
  ['tgw-', 'transit-gateway'],
  ['pcx-', 'vpc-peering-connection'],
];

export function buildAws(state: AwsState, spec: AwsScenario, file: string, identities: Set<string>): void {
  const d = state.data;
  if (spec.region) d.region = spec.region;
  if (spec.account_id) d.account_id = spec.account_id;
  if (spec.attach_delay_ms !== undefined) d.attach_delay_ms = spec.attach_delay_ms;
  if (spec.detach_delay_ms !== undefined) d.detach_delay_ms = spec.detach_delay_ms;
  if (spec.read_lag_ms !== undefined) d.read_lag_ms = spec.read_lag_ms;
  const subnets = new Map<string, string>();
  const enis = new Map<string, string>();
  const instances = new Map<string, string>();
  const subnetRef = (ref: string, path: string) => {
    const id = subnets.get(ref) ?? (d.subnets[ref] ? ref : undefined);
    if (!id)
      throw new ScenarioError(
        `${file}: ${path}: expected a subnet name or id from aws.vpcs[].subnets, got '${ref}'`,
      );
    return id;
  };
  spec.vpcs.forEach((v, vi) => {
    const p = `aws.vpcs[${vi}]`;
    const mainSpec = v.route_tables?.find((t) => t.main);
    const vpc = at(file, p, () => createVpc(state, v.cidr, v.name, v.id, mainSpec?.id));
    const vpcCidr = parseCidr(v.cidr)!;
    v.subnets.forEach((s, si) => {
      const sp = `${p}.subnets[${si}]`;
      const sc = parseCidr(s.cidr);
      if (!sc || !contains(vpcCidr, s.cidr.split('/')[0]!) || sc.bits < vpcCidr.bits) {
        throw new ScenarioError(
          `${file}: ${sp}.cidr: expected a CIDR inside the VPC's ${v.cidr}, got '${s.cidr}'`,
        );
      }
      subnets.set(s.name, at(file, sp, () => createSubnet(state, vpc.id, s.cidr, s.az, s.name, s.id)).id);
    });
    for (const g of v.gateways ?? []) if (!d.gateways.includes(g)) d.gateways.push(g);
  });
  const addEni = (e: NonNullable<AwsScenario['enis']>[number], path: string) => {
    const eni = at(file, path, () =>
      createEni(state, {
        subnet_id: subnetRef(e.subnet, `${path}.subnet`),
        private_ip: e.private_ip,
        id: e.id,
        name: e.name,
        source_dest_check: e.source_dest_check,
      }),
    );
    if (e.secondary_ips?.length)
      at(file, `${path}.secondary_ips`, () => assignPrivateIps(state, eni.id, e.secondary_ips!, 0, false));
    enis.set(e.name, eni.id);
    return eni;
  };
  (spec.instances ?? []).forEach((i, ii) => {
    const p = `aws.instances[${ii}]`;
    if (i.identity !== undefined && !identities.has(i.identity)) {
      throw new ScenarioError(
        `${file}: ${p}.identity: expected the name of an entry in identities, got '${i.identity}'`,
      );
    }
    const inst = at(file, p, () =>
      runInstance(state, {
        subnet_id: subnetRef(i.subnet, `${p}.subnet`),
        private_ip: i.private_ip,
        name: i.name,
        id: i.id,
        identity: i.identity,
        eni_id: i.primary_eni?.id,
        eni_name: i.primary_eni?.name ?? `${i.name}-eth0`,
        source_dest_check: i.source_dest_check,
      }),
    );
    instances.set(i.name, inst.id);
    const primary = state.enisOf(inst.id)[0]!;
    enis.set(primary.name ?? `${i.name}-eth0`, primary.id);
    if (i.secondary_ips?.length)
      at(file, `${p}.secondary_ips`, () => assignPrivateIps(state, primary.id, i.secondary_ips!, 0, false));
    (i.enis ?? []).forEach((e, ei) => {
      const ep = `${p}.enis[${ei}]`;
      const eni = addEni(e, ep);
      const sub = d.subnets[eni.subnet_id]!;
      if (sub.az !== inst.az)
        throw new ScenarioError(
          `${file}: ${ep}.subnet: expected a subnet in ${inst.az} (the instance's AZ), got ${sub.az}`,
        );
      eni.attachment = {
        id: state.newId('eni-attach'),
        instance_id: inst.id,
        device_index: e.device_index ?? ei + 1,
        status: 'attached',
        delete_on_termination: false,
        until_ms: undefined,
      };
      eni.status = 'in-use';
    });
  });
  (spec.enis ?? []).forEach((e, ei) => {
    addEni(e, `aws.enis[${ei}]`);
  });
  spec.vpcs.forEach((v, vi) => {
    const vpcId = Object.values(d.vpcs).find((x) => x.name === v.name)!.id;
    (v.route_tables ?? []).forEach((t, ti) => {
      const p = `aws.vpcs[${vi}].route_tables[${ti}]`;
      const subnetIds = (t.subnets ?? []).map((s, si) => subnetRef(s, `${p}.subnets[${si}]`));
      const table = t.main
        ? mainRouteTable(state, vpcId)!
        : at(file, p, () =>
            createRouteTable(state, vpcId, { id: t.id, name: t.name, subnet_ids: subnetIds }),
          );
      if (t.main) table.name = t.name;
      (t.routes ?? []).forEach((r, ri) => {
        const rp = `${p}.routes[${ri}]`;
        const target = enis.get(r.target) ?? instances.get(r.target) ?? r.target;
        const kind = TARGET_PREFIX.find(([prefix]) => target.startsWith(prefix))?.[1];
        if (!kind) {
          throw new ScenarioError(
            `${file}: ${rp}.target: expected an ENI or instance name, or an eni-/i-/igw-/vgw-/nat-/tgw-/pcx- id, got '${r.target}'`,
          );
        }
        if (r.propagated) {
          if (!target.startsWith('vgw-'))
            throw new ScenarioError(
              `${file}: ${rp}.target: a propagated route needs a vgw- target, got '${r.target}'`,
            );
          at(file, rp, () => propagateRoute(state, table.id, r.destination, target));
        } else at(file, rp, () => createRoute(state, table.id, r.destination, { kind, id: target }));
      });
    });
  });
  (spec.addresses ?? []).forEach((a, ai) => {
    const p = `aws.addresses[${ai}]`;
    const addr = at(file, p, () => allocateAddress(state, a.name, a.public_ip, a.id));
    if (a.eni) {
      const eni = enis.get(a.eni) ?? a.eni;
      at(file, `${p}.eni`, () => associateAddress(state, addr.allocation_id, eni, a.private_ip, true));
    }
  });
}

export function buildAzure(
  state: AzureState,
  spec: AzureScenario,
  file: string,
  identities: Set<string>,
): void {
  const d = state.data;
  if (spec.subscription_id) d.subscription_id = spec.subscription_id;
  if (spec.tenant_id) d.tenant_id = spec.tenant_id;
  if (spec.resource_group) d.resource_group = spec.resource_group;
  if (spec.location) d.location = spec.location;
  if (spec.nic_update_delay_ms !== undefined) d.nic_update_delay_ms = spec.nic_update_delay_ms;
  if (spec.route_update_delay_ms !== undefined) d.route_update_delay_ms = spec.route_update_delay_ms;
  if (spec.lro_retry_after_s !== undefined) d.lro_retry_after_s = spec.lro_retry_after_s;
  const rg = state.rgId();
  const subnets = new Map<string, string>();
  for (const v of spec.vnets) {
    for (const s of v.subnets) {
      const id = `${rg}/providers/Microsoft.Network/virtualNetworks/${v.name}/subnets/${s.name}`;
      d.subnets[key(id)] = { id, name: s.name, cidr: s.cidr };
      subnets.set(`${v.name}/${s.name}`, id);
      if (!subnets.has(s.name)) subnets.set(s.name, id);
    }
  }
  const subnetRef = (ref: string, path: string) => {
    const id = subnets.get(ref);
    if (!id)
      throw new ScenarioError(
        `${file}: ${path}: expected a subnet as 'vnet/subnet' or a subnet name from azure.vnets, got '${ref}'`,
      );
    return id;
  };
  const addNic = (
    n: NonNullable<AzureScenario['nics']>[number],
    path: string,
    vm_id: string | undefined,
    primary: boolean,
  ) => {
    const id = `${rg}/providers/Microsoft.Network/networkInterfaces/${n.name}`;
    const body = {
      properties: {
        ipConfigurations: n.ip_configurations.map((c, ci) => ({
          name: c.name,
          properties: {
            privateIPAddress: c.private_ip,
            privateIPAllocationMethod: c.private_ip ? 'Static' : 'Dynamic',
            primary: c.primary ?? ci === 0,
            subnet: { id: subnetRef(c.subnet, `${path}.ip_configurations[${ci}].subnet`) },
          },
        })),
      },
    };
    const configs = at(file, path, () => planNicWrite(state, id, body, undefined));
    const etag = state.etag();
    d.nics[key(id)] = {
      id,
      name: n.name,
      location: d.location,
      etag,
      resource_guid: state.guid(),
      mac: state.newMac(),
      enable_ip_forwarding: n.enable_ip_forwarding ?? false,
      primary,
      vm_id,
      nsg_id: undefined,
      ip_configurations: configs.map((c) => ({ ...c, etag })),
      provisioning_state: 'Succeeded',
      operation_id: undefined,
      releasing_ips: [],
      previous: undefined,
    };
    return id;
  };
  (spec.vms ?? []).forEach((vm, vi) => {
    const p = `azure.vms[${vi}]`;
    if (vm.identity !== undefined && !identities.has(vm.identity)) {
      throw new ScenarioError(
        `${file}: ${p}.identity: expected the name of an entry in identities, got '${vm.identity}'`,
      );
    }
    const id = `${rg}/providers/Microsoft.Compute/virtualMachines/${vm.name}`;
    const nic_ids = vm.nics.map((n, ni) => addNic(n, `${p}.nics[${ni}]`, id, ni === 0));
    d.vms[key(id)] = {
      id,
      name: vm.name,
      location: d.location,
      vm_uuid: state.guid(),
      identity: vm.identity,
      nic_ids,
    };
  });
  (spec.nics ?? []).forEach((n, ni) => {
    addNic(n, `azure.nics[${ni}]`, undefined, true);
  });
  (spec.route_tables ?? []).forEach((t, ti) => {
    const p = `azure.route_tables[${ti}]`;
    const id = `${rg}/providers/Microsoft.Network/routeTables/${t.name}`;
    d.route_tables[key(id)] = {
      id,
      name: t.name,
      location: d.location,
      etag: state.etag(),
      resource_guid: state.guid(),
      disable_bgp_route_propagation: false,
      subnet_ids: (t.subnets ?? []).map((s, si) => subnetRef(s, `${p}.subnets[${si}]`)),
      provisioning_state: 'Succeeded',
      operation_id: undefined,
      routes: (t.routes ?? []).map((r, ri) => {
        if ((r.next_hop_type === 'VirtualAppliance') !== (r.next_hop_ip !== undefined)) {
          throw new ScenarioError(
            `${file}: ${p}.routes[${ri}].next_hop_ip: expected exactly when next_hop_type is VirtualAppliance`,
          );
        }
        const applied = {
          address_prefix: r.prefix,
          next_hop_type: r.next_hop_type,
          next_hop_ip: r.next_hop_ip,
        };
        return {
          id: `${id}/routes/${r.name}`,
          name: r.name,
          etag: state.etag(),
          ...applied,
          provisioning_state: 'Succeeded' as const,
          operation_id: undefined,
          applied,
        };
      }),
    };
  });
}
