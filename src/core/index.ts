export { type CoreState, describe, initialState, type NodeStatus, step } from './machine.js';
export { compareStanding, outranks, type Standing } from './rank.js';
export * from './readiness.js';
export * from './types.js';
