// The simulator's public surface for tests, the lab and benches. The agent never imports this.

export { type Clock, ManualClock, realClock } from './clock.js';
export type { FaultRule } from './faults.js';
export type { Identity, Statement } from './iam.js';
export type { CallFilter, CallRecord } from './recorder.js';
export { loadScenarioFile, parseScenario, ScenarioError } from './scenario.js';
export type { Scenario } from './scenario-schema.js';
export { SIM_ADMIN, type Sim, type SimOptions, startSim } from './server.js';
export type { SimSettings } from './settings.js';
export type { RouteView, SimSnapshot, SimState } from './state-api.js';
