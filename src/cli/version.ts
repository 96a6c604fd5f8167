import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkg = require('../../package.json') as { version: string };

/** The software version every node advertises in its keepalives (major must match across a pair). */
export const VERSION: string = pkg.version;
