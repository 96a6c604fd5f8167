import { existsSync } from 'node:fs';
import { startController } from '../../src/controller/server.js';
import { seedFleet } from './seed.js';

const file = '/tmp/prof-fleet.db';
const seeded = existsSync(file);
const c = await startController({
  store_url: file,
  admin_token: 'tdk_bench-dashboard-admin-0123456789',
  settings: { stale_after_ms: 3_600_000_000 },
  live: { keep_ms: 0 },
});
if (!seeded) {
  await seedFleet(c.store, 10000, Date.now());
  await c.close();
  process.exit(0);
}
for (let i = 0; i < 6; i++) {
  const t = performance.now();
  const r = await fetch(`${c.url}/api/v1/overview?limit=100`, {
    headers: { authorization: 'Bearer tdk_bench-dashboard-admin-0123456789' },
  });
  await r.json();
  console.log('overview', Math.round(performance.now() - t));
  await new Promise((r) => setTimeout(r, 1300));
}
await c.close();
