// The physical lab: placeholder until the namespace LAN lands (below).
import type { LabCloud } from '../types.js';

export const physicalCloud: LabCloud = {
  name: 'physical',
  summary: 'a LAN of network namespaces: virtual IP + gratuitous ARP, a client probing the VIP (root)',
  unavailable: () =>
    process.getuid?.() === 0
      ? 'not built yet'
      : 'the physical lab builds network namespaces, veth pairs and a bridge: run it as root (sudo), or use --cloud aws',
  start: () => Promise.reject(new Error('not built yet')),
};
