/**
 * Issue 10, item 2: an agent's API key sends and verifies codes for its tenant, but does not act as
 * the tenant: it cannot change the country allow list or limits, nor read the tenant's records.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, apiKey, call, startTestServer } from '../../helpers/server.js';
import { type Client, client, randomNumber } from './helpers.js';

for (const dialect of DIALECTS) {
  describe(`Smart 2FA by role on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let owner: Client;
    let agentKey: string;
    let limitSid: string;
    const asAgent = (method: string, path: string, json?: unknown) =>
      call(`${server.url}${path}`, { method, headers: apiKey(agentKey), ...(json !== undefined && { json }) });

    before(async () => {
      server = await startTestServer(dialect);
      owner = client(server);
      const agent = (await call(`${server.url}/admin/accounts`, {
        headers: apiKey(server.admin.apiKey),
        json: { tenant: server.admin.tenant.sid, email: 'agent@tenant.test', role: 'agent' },
      })).body;
      agentKey = (await call(`${server.url}/admin/accounts/${agent.id}/api-keys`, { headers: apiKey(server.admin.apiKey), json: {} })).body.apiKey;
      await owner.post('/2fa/limits', { name: 'per_number', buckets: [{ name: 'b', max: 3, interval: 60 }] });
      limitSid = (await owner.get('/2fa/limits/search?name=per_number')).body.data.result[0].sid;
      await call(`${server.url}/2fa/settings/countries`, { method: 'PUT', headers: owner.headers, json: { allowedCallingCodes: ['1'] } });
      await owner.send();
    });
    after(() => server.close());

    const refusals: Array<[string, string, string, unknown?]> = [
      ['empty the country allow list', 'PUT', '/2fa/settings/countries', { allowedCallingCodes: [] }],
      ['read the country allow list', 'GET', '/2fa/settings/countries'],
      ['create a limit', 'POST', '/2fa/limits', { name: 'mine', buckets: [{ name: 'b', max: 1000, interval: 1 }] }],
      ['change a limit', 'PUT', '/2fa/limits/LIMIT', { buckets: [{ name: 'b', max: 1000, interval: 1 }] }],
      ['delete a limit', 'DELETE', '/2fa/limits/LIMIT'],
      ['search the limits', 'GET', '/2fa/limits/search'],
      ['search the tenant\'s SDRs', 'GET', '/2fa/sdr/search'],
      ['read the tenant\'s usage', 'GET', '/2fa/usage?startTime=2020-01-01&endTime=2099-01-01'],
    ];
    for (const [what, method, path, json] of refusals) {
      test(`an agent's API key cannot ${what} (403 in the Smart 2FA envelope)`, async () => {
        const res = await asAgent(method, path.replace('LIMIT', limitSid), json);
        assert.equal(res.status, 403, res.text);
        assert.equal(res.body.code, 403);
        assert.match(res.body.message, /agent may not/);
      });
    }

    test('the refusals changed nothing: the allow list and the limit are as the tenant set them', async () => {
      const countries = await owner.get('/2fa/settings/countries');
      assert.deepEqual(countries.body.data.allowedCallingCodes, ['1']);
      assert.equal((await owner.get(`/2fa/limits/search/${limitSid}`)).status, 200);
    });

    test('an agent\'s API key still sends and verifies codes', async () => {
      const to = randomNumber();
      const sent = await asAgent('POST', '/2fa/send', { service: '2FA', from: '+14155550000', to, body: 'code {code}' });
      assert.equal(sent.status, 200, sent.text);
      const wrong = await asAgent('POST', '/2fa/verify', { requestId: sent.body.requestID, code: '0000000000'.slice(0, 6) });
      assert.notEqual(wrong.status, 403);
    });
  });
}
