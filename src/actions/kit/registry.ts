// What a mechanism folder (linux, aws, azure) offers the agent, `tandem preflight`, the policy commands and
// the lab: its kinds, their validation, a lazily loaded factory and, where it has one, a least-privilege
// policy. The callers iterate `REGISTRIES` (src/actions/registries.ts) and name no kind; a cloud is one folder.
import type { TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Action } from '../types.js';
import type { ArbiterReport } from './arbiter.js';
import type { SpecIssue } from './spec-issues.js';

/** What checking one entry may need from the rest of the node's config. */
export interface SpecContext {
  /** The node's own addresses (its keepalive paths' local addresses). */
  readonly local_addresses: readonly string[];
  /** Every actions[] entry, this one included, in order. */
  readonly siblings: readonly ActionSpec[];
}

/** One `actions[]` entry as the config file has it. */
export interface ActionSpec {
  readonly kind: string;
  readonly name?: string | undefined;
  readonly [key: string]: unknown;
}

export interface CreateOptions {
  /** What the arbiter sees while active (split brain, drift); default: logged only. */
  readonly report?: (report: ArbiterReport) => void;
  /** false for a dry run (`tandem preflight`): no arbiter, nothing that could move traffic on its own. */
  readonly watch: boolean;
}

/** The drivers of one mechanism, opened once per agent (shared state such as a discovery cache lives here). */
export interface Factory {
  /** `spec` has passed the registry's validate. */
  create(spec: ActionSpec, options: CreateOptions): Action;
  /** Removes what a previous life of this node left claimed (a VIP still on the interface). */
  removeStaleClaims?(specs: readonly ActionSpec[], log: Logger): Promise<void>;
}

export interface Mechanism {
  open(log: Logger): Factory;
}

/** The parts of a node's config its controller may own, as the YAML's `managed:` list names them. */
export const MANAGED_PARTS = ['cloud', 'network', 'tunables'] as const;
export type ManagedPart = (typeof MANAGED_PARTS)[number];

/**
 * The fields a managed node (`managed: [cloud, network]`) takes from its controller's site settings instead
 * of its YAML. Declared by each mechanism, so the agent lays settings over actions without naming a kind.
 */
export interface ManagedFields {
  /** The `managed:` entry that hands these fields to the controller. */
  readonly part: Exclude<ManagedPart, 'tunables'>;
  /** The key of the controller's site settings this mechanism reads (`aws`, `azure`, `network`). */
  readonly settings_key: string;
  /**
   * Per kind: action key ← settings key. A settings key the controller does not hold leaves the YAML's value;
   * a value it holds replaces it as is (null too) and is then validated like any local config.
   */
  readonly kinds: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * Per kind, when only some entries are the controller's: the key an entry must have to take the settings
   * (a `route` with `destinations` holds the site's routed ranges; one with `destination` stays the node's).
   */
  readonly selects?: Readonly<Record<string, string>>;
}

/** A least-privilege policy command (`tandem iam-policy`, `tandem azure-role`). */
export interface PolicyCommand {
  readonly command: string;
  readonly description: string;
  /** One example config per kind, for `--example KIND` and the files shipped in deploy/. */
  readonly examples: Readonly<Record<string, ActionSpec>>;
  /** The policy document for these (validated) specs of this registry. */
  generate(specs: readonly ActionSpec[]): unknown;
}

export interface Registry {
  /** `linux`, `aws`, `azure`: for messages. */
  readonly mechanism: string;
  readonly kinds: readonly string[];
  /** True when its actions have an API worth a dry run in `tandem preflight` (clouds). */
  readonly cloud: boolean;
  /** Issues in one entry of one of `kinds`; empty when valid. Light: no SDK is loaded for it. */
  validate(spec: ActionSpec, context?: SpecContext): SpecIssue[];
  /** Each kind's schema, for `tandem schema` (editors). */
  readonly schemas: Readonly<Record<string, TSchema>>;
  /** The drivers (and their SDK, tens of MB) only when a config uses one of `kinds`. */
  load(): Promise<Mechanism>;
  readonly policy?: PolicyCommand;
  /** What the controller may own in this mechanism's actions; none: the controller manages nothing here. */
  readonly managed?: ManagedFields;
}

export function registryOf(registries: readonly Registry[], kind: string): Registry | undefined {
  return registries.find((r) => r.kinds.includes(kind));
}

export function allKinds(registries: readonly Registry[]): string[] {
  return registries.flatMap((r) => r.kinds);
}
