// Spec kind → monitor. A new monitor kind is one new file, one schema in spec.ts and one line here.
import { createCheckMonitor } from './check.js';
import { createHttpMonitor } from './http.js';
import { createIcmpMonitor } from './icmp.js';
import { LinkMonitor } from './link.js';
import type { MonitorSpec } from './spec.js';
import { createTcpMonitor } from './tcp.js';
import type { Monitor } from './types.js';

type Factories = { [K in MonitorSpec['kind']]: (spec: Extract<MonitorSpec, { kind: K }>) => Monitor };

const FACTORIES: Factories = {
  link: (spec) => new LinkMonitor(spec),
  icmp: createIcmpMonitor,
  tcp: createTcpMonitor,
  http: createHttpMonitor,
  check: createCheckMonitor,
};

export function createMonitor(spec: MonitorSpec): Monitor {
  const factory = FACTORIES[spec.kind] as (s: MonitorSpec) => Monitor;
  return factory(spec);
}
