// The namespace LAN harness lives in src/lab/netns.ts (the physical lab uses it at run time); tests keep
// importing it from here.
export * from '../../src/lab/netns.js';
