// Spec kind → Linux action. A new action kind is one new file, one schema in spec.ts and one line here.
import type { Action } from '../types.js';
import { RouteAction } from './route.js';
import type { LinuxActionSpec } from './spec.js';
import { VipAction, type VipOptions } from './vip.js';

export interface LinuxActionOptions {
  readonly vip?: VipOptions;
}

type Factories = {
  [K in LinuxActionSpec['kind']]: (
    spec: Extract<LinuxActionSpec, { kind: K }>,
    o: LinuxActionOptions,
  ) => Action;
};

const FACTORIES: Factories = {
  vip: (spec, o) => new VipAction(spec, o.vip),
  route: (spec) => new RouteAction(spec),
};

export function createLinuxAction(spec: LinuxActionSpec, options: LinuxActionOptions = {}): Action {
  const factory = FACTORIES[spec.kind] as (s: LinuxActionSpec, o: LinuxActionOptions) => Action;
  return factory(spec, options);
}
