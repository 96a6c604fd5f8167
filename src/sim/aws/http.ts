// The EC2 Query endpoint: authenticate by SigV4 access key, apply faults, authorize, dry-run, run, record.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from '../context.js';
import { isSimError, SimError } from '../errors.js';
import type { Identity } from '../iam.js';
import { ACTIONS, checkExists, type ResourceRef } from './actions.js';
import { Params } from './query.js';
import { errorXml, successXml } from './xml.js';

const CREDENTIAL = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;

// The signature itself is not verified: the simulator checks who is calling, not that they hold the secret.
function authenticate(ctx: SimContext, header: string | undefined): Identity {
  const m = header ? CREDENTIAL.exec(header) : null;
  if (!m)
    throw new SimError(401, 'AuthFailure', 'AWS was not able to validate the provided access credentials');
  const [, key, region, service] = m;
  const identity = ctx.iam.byAccessKey(key ?? '');
  if (!identity)
    throw new SimError(401, 'AuthFailure', 'AWS was not able to validate the provided access credentials');
  if (service !== 'ec2' || region !== ctx.aws.data.region) {
    throw new SimError(
      401,
      'AuthFailure',
      `Credential should be scoped to a valid region and service: expected ${ctx.aws.data.region}/ec2, got ${region}/${service}`,
    );
  }
  return identity;
}

function arn(ctx: SimContext, ref: ResourceRef): string {
  return ref.kind === '*' ? '*' : ctx.aws.arn(ref.kind, ref.id);
}

function authorize(ctx: SimContext, identity: Identity, action: string, refs: ResourceRef[]): void {
  const denied = refs
    .filter((r) => !r.exists_only)
    .map((r) => arn(ctx, r))
    .find((resource) => !ctx.iam.allows(identity, `ec2:${action}`, resource));
  if (denied === undefined) return;
  const user = `arn:aws:iam::${ctx.aws.data.account_id}:user/${identity.name}`;
  const encoded = Buffer.from(JSON.stringify({ user, action: `ec2:${action}`, resource: denied })).toString(
    'base64',
  );
  throw new SimError(
    403,
    'UnauthorizedOperation',
    `You are not authorized to perform this operation. User: ${user} is not authorized to perform: ec2:${action} on resource: ${denied} because no identity-based policy allows the ec2:${action} action. Encoded authorization failure message: ${encoded}`,
  );
}

export async function handleAws(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
): Promise<void> {
  const start_ms = ctx.clock.now_ms();
  const request_id = randomUUID();
  const params = new Params(body);
  const action = params.str('Action') ?? '';
  let identity: Identity | undefined;
  let resources: string[] = [];
  let dry_run = false;
  let status = 200;
  let code: string | undefined;
  let text: string;
  try {
    identity = authenticate(ctx, req.headers.authorization);
    await ctx.faults.apply('aws', action);
    const spec = ACTIONS[action];
    if (!spec)
      throw new SimError(
        400,
        'InvalidAction',
        `The action ${action || '(none)'} is not valid for this web service.`,
      );
    // Unfiltered, un-scoped Describe calls draw from EC2's smaller bucket.
    ctx.aws_throttle?.take(action, params.filters().length === 0 && !/Id\.1=/.test(body), ctx.clock.now_ms());
    const refs = spec.resources(params);
    resources = refs.filter((r) => r.id !== '*').map((r) => r.id);
    dry_run = params.bool('DryRun') === true;
    authorize(ctx, identity, action, refs);
    if (dry_run) {
      for (const ref of refs) checkExists(ctx.aws, ref);
      throw new SimError(412, 'DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
    }
    const lag_ms = ctx.aws.data.read_lag_ms;
    const before = lag_ms > 0 && spec.mutating ? ctx.aws.lag.capture(ctx.aws, refs) : undefined;
    text = successXml(action, request_id, spec.run(params, ctx.aws));
    if (before) ctx.aws.lag.commit(before, ctx.clock.now_ms(), lag_ms);
  } catch (e) {
    const err = isSimError(e) ? e : new SimError(500, 'InternalError', 'An internal error has occurred');
    if (!isSimError(e)) ctx.log.error({ err: e, action }, 'aws action failed unexpectedly');
    status = err.status;
    code = err.code;
    text = errorXml(err.code, err.message, request_id);
  }
  if (!res.destroyed) {
    res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': request_id });
    res.end(text);
  }
  const end_ms = ctx.clock.now_ms();
  ctx.recorder.record({
    cloud: 'aws',
    action: action || '(none)',
    identity: identity?.name,
    resources,
    dry_run,
    start_ms,
    end_ms,
    duration_ms: end_ms - start_ms,
    status,
    code,
  });
}
