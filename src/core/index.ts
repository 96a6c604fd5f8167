export * from './readiness.js';
export * from './types.js';
