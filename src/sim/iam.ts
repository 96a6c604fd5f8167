// Identities and their policies: which actions on which resources each simulated node may use.
import { randomBytes } from 'node:crypto';
import { SimError } from './errors.js';

export interface Statement {
  /** `ec2:ReplaceRoute`, `ec2:Describe*`, `Microsoft.Network/routeTables/routes/write`, `*`. */
  actions: string[];
  /** ARNs / ARM ids with `*` wildcards; `*` alone is every resource. */
  resources: string[];
}

export interface Identity {
  name: string;
  aws_access_key_id: string;
  aws_secret_access_key: string;
  azure_client_id: string;
  azure_principal_id: string;
  policy: Statement[];
}

export interface IssuedToken {
  access_token: string;
  identity: string;
  resource: string;
  expires_on_s: number;
}

const TOKEN_LIFETIME_S = 3600;

const patterns = new Map<string, RegExp>();
function glob(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    // ARM ids are case-insensitive; ARNs never differ only by case in practice.
    re = new RegExp(`^${body}$`, 'i');
    patterns.set(pattern, re);
  }
  return re;
}

export class Iam {
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(private readonly identities: Identity[]) {}

  list(): readonly Identity[] {
    return this.identities;
  }

  add(identity: Identity): void {
    if (this.identities.some((i) => i.name === identity.name)) {
      throw new SimError(400, 'DuplicateIdentity', `identity '${identity.name}' already exists`);
    }
    this.identities.push(identity);
  }

  byName(name: string): Identity | undefined {
    return this.identities.find((i) => i.name === name);
  }

  byAccessKey(key: string): Identity | undefined {
    return this.identities.find((i) => i.aws_access_key_id === key);
  }

  byClientId(clientId: string): Identity | undefined {
    return this.identities.find((i) => i.azure_client_id.toLowerCase() === clientId.toLowerCase());
  }

  /** Replaces an identity's policy, e.g. to test the preflight against a role that lost a permission. */
  setPolicy(name: string, policy: Statement[]): void {
    const identity = this.byName(name);
    if (!identity) throw new SimError(404, 'IdentityNotFound', `no identity named '${name}'`);
    identity.policy = policy;
  }

  allows(identity: Identity, action: string, resource: string): boolean {
    return identity.policy.some(
      (s) => s.actions.some((a) => glob(a).test(action)) && s.resources.some((r) => glob(r).test(resource)),
    );
  }

  /** Actions granted by statements that cover `scope` or something inside it (Azure's permissions listing). */
  actionsAt(identity: Identity, scope: string): string[] {
    // A pattern covers the scope if it matches the scope itself, anything directly under it, or names something inside it.
    const inside = (pattern: string) =>
      glob(pattern).test(scope) ||
      glob(pattern).test(`${scope}/providers`) ||
      pattern.toLowerCase().startsWith(`${scope.toLowerCase()}/`);
    return [...new Set(identity.policy.filter((s) => s.resources.some(inside)).flatMap((s) => s.actions))];
  }

  issueToken(identity: Identity, resource: string, now_ms: number): IssuedToken {
    const token: IssuedToken = {
      access_token: `tdsim.${identity.name}.${randomBytes(18).toString('base64url')}`,
      identity: identity.name,
      resource,
      expires_on_s: Math.floor(now_ms / 1000) + TOKEN_LIFETIME_S,
    };
    this.tokens.set(token.access_token, token);
    return token;
  }

  tokenFor(accessToken: string): IssuedToken | undefined {
    return this.tokens.get(accessToken);
  }
}
