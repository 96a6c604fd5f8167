// @azure/identity's ManagedIdentityCredential against the simulated IMDS token endpoint (CLOUD.md §2.6).
// Runs in its own process: MSAL fixes the IMDS endpoint for the whole process at the first token request.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManagedIdentityCredential } from '@azure/identity';
import type { Sim } from '../../src/sim/server.js';
import { arm, failure, RG, startTestSim } from './helpers.js';

describe('sim: managed identity', () => {
  let sim: Sim;
  before(async () => {
    sim = await startTestSim();
    // Redirects MSAL's IMDS source to node-a's metadata listener; read when the first token is requested.
    process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = sim.imds_urls['azure/node-a'];
  });
  after(() => sim.close());

  it('ManagedIdentityCredential gets a token for the VM identity and arm-network calls ARM as that identity', async () => {
    const clientId = sim.iam.byName('node-a')!.azure_client_id;
    const credential = new ManagedIdentityCredential({ clientId });
    const token = await credential.getToken('https://management.azure.com/.default');
    assert.match(token.token, /^tdsim\.node-a\./);
    assert.ok(token.expiresOnTimestamp > Date.now() + 30 * 60_000);
    const mark = sim.calls.last_seq();
    const nic = await arm(sim, credential).networkInterfaces.get(RG, 'node-a-nic');
    assert.equal(nic.name, 'node-a-nic');
    const calls = sim.calls.list({ since_seq: mark, cloud: 'azure' });
    assert.deepEqual(
      calls.map((c) => [c.action, c.identity, c.status]),
      [['Microsoft.Network/networkInterfaces/read', 'node-a', 200]],
    );
    const issued = sim.calls
      .list({ cloud: 'imds' })
      .filter((c) => c.action.startsWith('GET /metadata/identity/oauth2/token'));
    assert.ok(issued.length >= 1, 'the token came from the simulated IMDS');
  });

  it("a client id that is not the VM's identity gets no token", async () => {
    const other = sim.iam.byName('node-b')!.azure_client_id;
    const err = await failure(() =>
      new ManagedIdentityCredential({ clientId: other }).getToken('https://management.azure.com/.default'),
    );
    assert.match(err.message, /Identity not found|invalid_request|ManagedIdentityCredential/);
  });
});
