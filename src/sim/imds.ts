// Instance metadata, one listener per simulated instance: AWS IMDSv2 for EC2 instances, Azure IMDS
// (instance metadata and the managed identity token endpoint) for Azure VMs. Point an agent at its base URL.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { primaryIp } from './aws/instances.js';
import { key } from './azure/model.js';
import type { SimContext } from './context.js';
import { listen, sendJson, sendText } from './http.js';

export type ImdsTarget = { cloud: 'aws'; instance_id: string } | { cloud: 'azure'; vm_id: string };

type Tree = string | { [name: string]: Tree };

interface ImdsToken {
  expires_ms: number;
}

function awsTree(ctx: SimContext, instance_id: string): Tree | undefined {
  const s = ctx.aws;
  const inst = s.data.instances[instance_id];
  if (inst?.state !== 'running') return undefined;
  const attached = s.enisOf(inst.id);
  // A force-detached ENI may still show in the old instance's metadata (EC2 documents this).
  const ghosts = inst.ghost_enis
    .map((id) => s.data.enis[id])
    .filter((e) => e !== undefined && (e.attachment === undefined || e.attachment.instance_id === inst.id))
    .filter((e) => !attached.includes(e!));
  const macs: Record<string, Tree> = {};
  for (const eni of [...attached, ...ghosts]) {
    if (!eni) continue;
    const subnet = s.data.subnets[eni.subnet_id];
    const publics = Object.values(s.data.addresses).filter((a) => a.association?.eni_id === eni.id);
    macs[eni.mac] = {
      'device-number': String(eni.attachment?.device_index ?? 0),
      'interface-id': eni.id,
      'local-ipv4s': eni.private_ips.map((p) => p.ip).join('\n'),
      mac: eni.mac,
      'owner-id': s.data.account_id,
      'subnet-id': eni.subnet_id,
      'subnet-ipv4-cidr-block': subnet?.cidr ?? '',
      'vpc-id': eni.vpc_id,
      'vpc-ipv4-cidr-block': s.data.vpcs[eni.vpc_id]?.cidr ?? '',
      ...(publics.length > 0 ? { 'public-ipv4s': publics.map((a) => a.public_ip).join('\n') } : {}),
    };
  }
  const primary = attached.find((e) => e.attachment?.device_index === 0);
  const identity = inst.identity ? ctx.iam.byName(inst.identity) : undefined;
  const region = s.data.region;
  const metaData: Record<string, Tree> = {
    'ami-id': inst.image_id,
    'instance-id': inst.id,
    'instance-type': inst.instance_type,
    'local-ipv4': primaryIp(s, inst) ?? '',
    mac: primary?.mac ?? '',
    placement: { 'availability-zone': inst.az, region },
    network: { interfaces: { macs } },
  };
  if (identity) {
    metaData.iam = {
      info: JSON.stringify({
        Code: 'Success',
        InstanceProfileArn: `arn:aws:iam::${s.data.account_id}:instance-profile/${identity.name}`,
      }),
      'security-credentials': {
        [identity.name]: JSON.stringify({
          Code: 'Success',
          Type: 'AWS-HMAC',
          AccessKeyId: identity.aws_access_key_id,
          SecretAccessKey: identity.aws_secret_access_key,
          Token: '',
          Expiration: new Date(ctx.clock.now_ms() + 6 * 3600_000).toISOString(),
          LastUpdated: new Date(ctx.clock.now_ms()).toISOString(),
        }),
      },
    };
  }
  return {
    'meta-data': metaData,
    dynamic: {
      'instance-identity': {
        document: JSON.stringify({
          accountId: s.data.account_id,
          architecture: 'x86_64',
          availabilityZone: inst.az,
          imageId: inst.image_id,
          instanceId: inst.id,
          instanceType: inst.instance_type,
          privateIp: primaryIp(s, inst) ?? '',
          region,
          version: '2017-09-30',
        }),
      },
    },
  };
}

function walk(tree: Tree, parts: string[]): Tree | undefined {
  let node: Tree | undefined = tree;
  for (const p of parts) {
    if (node === undefined || typeof node === 'string') return undefined;
    node = node[p];
  }
  return node;
}

function listing(node: { [name: string]: Tree }): string {
  return Object.entries(node)
    .map(([k, v]) => (typeof v === 'string' ? k : `${k}/`))
    .join('\n');
}

function serveAws(
  ctx: SimContext,
  instance_id: string,
  tokens: Map<string, ImdsToken>,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): number {
  if (req.method === 'PUT' && path === '/latest/api/token') {
    if (req.headers['x-forwarded-for']) return reply(res, 403, 'Forbidden');
    const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return reply(res, 400, 'Bad Request');
    const token = randomBytes(24).toString('base64url');
    tokens.set(token, { expires_ms: ctx.clock.now_ms() + ttl * 1000 });
    sendText(res, 200, token, { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
    return 200;
  }
  if (req.method !== 'GET') return reply(res, 405, 'Method Not Allowed');
  const token = tokens.get(String(req.headers['x-aws-ec2-metadata-token'] ?? ''));
  if (!token || token.expires_ms < ctx.clock.now_ms()) return reply(res, 401, 'Unauthorized');
  if (!path.startsWith('/latest/')) return reply(res, 404, 'Not Found');
  const tree = awsTree(ctx, instance_id);
  if (!tree) return reply(res, 404, 'Not Found');
  const node = walk(tree, path.slice('/latest/'.length).split('/').filter(Boolean));
  if (node === undefined) return reply(res, 404, 'Not Found');
  sendText(res, 200, typeof node === 'string' ? node : listing(node));
  return 200;
}

function reply(res: ServerResponse, status: number, text: string): number {
  sendText(res, status, text);
  return status;
}

function macPlain(mac: string): string {
  return mac.replace(/[-:]/g, '').toUpperCase();
}

function azureInstance(ctx: SimContext, vm_id: string): unknown {
  const d = ctx.azure.data;
  const vm = d.vms[key(vm_id)];
  if (!vm) return undefined;
  const nics = vm.nic_ids.map((id) => d.nics[key(id)]).filter((n) => n !== undefined);
  return {
    compute: {
      azEnvironment: 'AzurePublicCloud',
      location: vm.location,
      name: vm.name,
      resourceGroupName: /resourceGroups\/([^/]+)/i.exec(vm.id)?.[1] ?? d.resource_group,
      resourceId: vm.id,
      subscriptionId: d.subscription_id,
      vmId: vm.vm_uuid,
      osType: 'Linux',
    },
    network: {
      interface: nics.map((n) => ({
        macAddress: macPlain(n!.mac),
        ipv4: {
          ipAddress: n!.ip_configurations.map((c) => ({
            privateIpAddress: c.private_ip,
            publicIpAddress: '',
          })),
          subnet: [...new Set(n!.ip_configurations.map((c) => c.subnet_id))].map((id) => {
            const [address, prefix] = (d.subnets[key(id)]?.cidr ?? '/').split('/');
            return { address, prefix };
          }),
        },
        ipv6: { ipAddress: [] },
      })),
    },
  };
}

function serveAzure(
  ctx: SimContext,
  vm_id: string,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): number {
  if (req.headers.metadata !== 'true') {
    sendJson(res, 400, { error: 'Bad request. Required metadata header not specified' });
    return 400;
  }
  const path = url.pathname.replace(/\/+$/, '');
  if (path === '/metadata/instance') {
    const body = azureInstance(ctx, vm_id);
    if (!body) return reply(res, 404, 'Not Found');
    sendJson(res, 200, body);
    return 200;
  }
  if (path === '/metadata/identity/oauth2/token') return serveToken(ctx, vm_id, res, url);
  // Not 404: MSAL retries 404 and 410 for seconds, which would stall a test instead of failing it.
  sendJson(res, 400, { error: 'invalid_request', error_description: `no such metadata path ${path}` });
  return 400;
}

function serveToken(ctx: SimContext, vm_id: string, res: ServerResponse, url: URL): number {
  const vm = ctx.azure.data.vms[key(vm_id)];
  const identity = vm?.identity ? ctx.iam.byName(vm.identity) : undefined;
  const clientId = url.searchParams.get('client_id');
  const resource = url.searchParams.get('resource');
  if (!identity || (clientId && clientId.toLowerCase() !== identity.azure_client_id.toLowerCase())) {
    sendJson(res, 400, { error: 'invalid_request', error_description: 'Identity not found' });
    return 400;
  }
  if (!resource) {
    sendJson(res, 400, {
      error: 'invalid_request',
      error_description: 'Required query variable resource is missing',
    });
    return 400;
  }
  const now_s = Math.floor(ctx.clock.now_ms() / 1000);
  const token = ctx.iam.issueToken(identity, resource, ctx.clock.now_ms());
  sendJson(res, 200, {
    access_token: token.access_token,
    client_id: identity.azure_client_id,
    expires_in: String(token.expires_on_s - now_s),
    expires_on: String(token.expires_on_s),
    ext_expires_in: String(token.expires_on_s - now_s),
    not_before: String(now_s),
    resource,
    token_type: 'Bearer',
  });
  return 200;
}

/** Starts one metadata listener for one instance or VM, on loopback. */
export async function startImds(
  ctx: SimContext,
  target: ImdsTarget,
  port = 0,
): Promise<{ server: Server; url: string }> {
  const tokens = new Map<string, ImdsToken>();
  const server = createServer((req, res) => {
    const start_ms = ctx.clock.now_ms();
    const url = new URL(req.url ?? '/', 'http://imds');
    let status: number;
    try {
      status =
        target.cloud === 'aws'
          ? serveAws(ctx, target.instance_id, tokens, req, res, url.pathname)
          : serveAzure(ctx, target.vm_id, req, res, url);
    } catch (e) {
      ctx.log.error({ err: e }, 'imds request failed unexpectedly');
      status = reply(res, 500, 'Internal Server Error');
    }
    const end_ms = ctx.clock.now_ms();
    ctx.recorder.record({
      cloud: 'imds',
      action: `${req.method} ${url.pathname}`,
      identity: undefined,
      resources: [target.cloud === 'aws' ? target.instance_id : target.vm_id],
      dry_run: false,
      start_ms,
      end_ms,
      duration_ms: end_ms - start_ms,
      status,
      code: undefined,
    });
  });
  const bound = await listen(server, port);
  return { server, url: `http://127.0.0.1:${bound}` };
}
