export * from './decode.js';
export * from './encode.js';
export * from './ids.js';
export { PAIR_KEY_MAX_BYTES, PAIR_KEY_MIN_BYTES, PairKeyError, parsePairKey } from './key.js';
export { FORMAT_VERSION, MAC_BYTES, PACKET_BYTES_V1 } from './layout.js';
export * from './replay.js';
export * from './sealer.js';
export * from './types.js';
