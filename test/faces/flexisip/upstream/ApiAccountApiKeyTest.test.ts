/**
 * Port of upstream's tests/Feature/ApiAccountApiKeyTest.php (flexisip-account-manager 75599dd).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, apiKey, call, startTestServer } from '../../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../../helpers/services.js';
import { type World, createAccount, digestCall, world } from '../world.js';
import { member } from './upstream-world.js';

const route = '/api/accounts/me/api_key';
const cookieKey = (res: { headers: Headers }) => /x-api-key=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];

for (const dialect of DIALECTS) {
  describe(`upstream ApiAccountApiKeyTest (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect);
      w = await world(server);
    });
    after(() => server.close());

    test('testRefresh', async () => {
      const user = await createAccount(w, { algorithm: 'MD5' });
      // Get the API key using the Digest method: the body holds it and the x-api-key cookie carries it.
      const response1 = await digestCall(w, user, route);
      assert.equal(response1.status, 200);
      assert.ok(response1.text.length > 10);
      assert.equal(cookieKey(response1), response1.text);
      // Get it again using the key: a fresh key, also in the cookie.
      const response2 = await call(`${w.url}${route}`, { headers: apiKey(response1.text) });
      assert.equal(response2.status, 200);
      assert.equal(cookieKey(response2), response2.text);
    });

    test('testAuthToken', async () => {
      const created = await call(`${w.url}/api/accounts/auth_token`, { method: 'POST' });
      assert.equal(created.status, 201);
      assert.ok(created.body.token);
      const authToken = created.body.token as string;
      // Not attached yet.
      assert.equal((await call(`${w.url}${route}/${authToken}`)).status, 404);
      const user = await member(w, { email: `${Date.now().toString(36)}@example.org` });
      assert.equal((await call(`${w.url}/api/accounts/auth_token/${authToken}/attach`, { headers: user.key })).status, 200);
      // Re-attach.
      assert.equal((await call(`${w.url}/api/accounts/auth_token/${authToken}/attach`, { headers: user.key })).status, 404);
      // A wrong auth_token.
      assert.equal((await call(`${w.url}/api/accounts/auth_token/wrong_token/attach`, { headers: user.key })).status, 404);
      const retrieved = await call(`${w.url}${route}/${authToken}`);
      assert.equal(retrieved.status, 200);
      assert.ok(retrieved.body.api_key);
      // Re-retrieve.
      assert.equal((await call(`${w.url}${route}/${authToken}`)).status, 404);
      const key = apiKey(retrieved.body.api_key);
      assert.equal((await call(`${w.url}/api/accounts/me`, { headers: key })).status, 200);
      // A wrong From is ignored when an API key authenticates.
      const me = await call(`${w.url}/api/accounts/me`, { headers: { ...key, from: 'sip:baduser@server.tld' } });
      assert.equal(me.status, 200);
      assert.equal(me.body.email, user.body.email);
    });
  });
}
