// VPCs and subnets (with availability zones); a VPC comes with its main route table and local route.
import { parseCidr } from '../cidr.js';
import { type AwsState, invalid, type RouteTable, type Subnet, type Vpc } from './model.js';
import { type FilterFn, field } from './query.js';

export function createVpc(
  state: AwsState,
  cidr: string,
  name?: string,
  id?: string,
  main_table_id?: string,
): Vpc {
  if (!parseCidr(cidr))
    throw invalid(`Value (${cidr}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
  const vpc: Vpc = { id: id ?? state.newId('vpc'), cidr, name };
  state.data.vpcs[vpc.id] = vpc;
  createRouteTable(state, vpc.id, { id: main_table_id, main: true, name: name ? `${name}-main` : undefined });
  return vpc;
}

export function createSubnet(
  state: AwsState,
  vpc_id: string,
  cidr: string,
  az: string,
  name?: string,
  id?: string,
): Subnet {
  state.vpc(vpc_id);
  if (!parseCidr(cidr))
    throw invalid(`Value (${cidr}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
  const subnet: Subnet = { id: id ?? state.newId('subnet'), vpc_id, cidr, az, name };
  state.data.subnets[subnet.id] = subnet;
  return subnet;
}

export function createRouteTable(
  state: AwsState,
  vpc_id: string,
  opts: { id?: string | undefined; name?: string | undefined; main?: boolean; subnet_ids?: string[] },
): RouteTable {
  const vpc = state.vpc(vpc_id);
  const table: RouteTable = {
    id: opts.id ?? state.newId('rtb'),
    vpc_id,
    name: opts.name,
    associations: [],
    propagating_vgws: [],
    routes: [
      { destination: vpc.cidr, target_kind: 'gateway', target_id: 'local', origin: 'CreateRouteTable' },
    ],
  };
  if (opts.main) table.associations.push({ id: state.newId('rtbassoc'), subnet_id: undefined, main: true });
  for (const subnet_id of opts.subnet_ids ?? []) {
    state.subnet(subnet_id);
    // A subnet has one explicit association: moving it removes the old one.
    for (const t of Object.values(state.data.route_tables)) {
      t.associations = t.associations.filter((a) => a.subnet_id !== subnet_id);
    }
    table.associations.push({ id: state.newId('rtbassoc'), subnet_id, main: false });
  }
  state.data.route_tables[table.id] = table;
  return table;
}

export function mainRouteTable(state: AwsState, vpc_id: string): RouteTable | undefined {
  return Object.values(state.data.route_tables).find(
    (t) => t.vpc_id === vpc_id && t.associations.some((a) => a.main),
  );
}

export const vpcFilters: Record<string, FilterFn<Vpc>> = {
  'vpc-id': field((v) => v.id),
  'cidr-block': field((v) => v.cidr),
  'tag:Name': field((v) => v.name),
};

export const subnetFilters: Record<string, FilterFn<Subnet>> = {
  'subnet-id': field((s) => s.id),
  'vpc-id': field((s) => s.vpc_id),
  'availability-zone': field((s) => s.az),
  'cidr-block': field((s) => s.cidr),
  'tag:Name': field((s) => s.name),
};
