import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, apiKey, basic, bearer, call, startTestServer } from '../../helpers/server.js';

const external = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const EXTERNAL_ISSUER = 'https://idp.example.test';

for (const dialect of DIALECTS) {
  describe(`credentials on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let tenant: { id: number; sid: string; authToken: string };
    let agent: { id: number };
    let agentKey: string;
    const secrets: string[] = [];

    before(async () => {
      server = await startTestServer(dialect, {
        env: {
          GATEHOUSE_EXTERNAL_JWT_ISSUER: EXTERNAL_ISSUER,
          GATEHOUSE_EXTERNAL_JWT_PUBLIC_KEY: external.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
        },
      });
      const admin = apiKey(server.admin.apiKey);
      tenant = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'acme' } })).body;
      agent = (await call(`${server.url}/admin/accounts`, { headers: admin, json: { tenant: tenant.sid, email: 'agent@acme.test', password: 'agent password 1' } })).body;
      agentKey = (await call(`${server.url}/admin/accounts/${agent.id}/api-keys`, { headers: admin, json: { name: 'ci' } })).body.apiKey;
      secrets.push(server.admin.apiKey, tenant.authToken, agentKey, 'agent password 1');
    });
    after(() => server.close());

    const own = () => `${server.url}/admin/tenants/${tenant.id}`;

    test('HTTP Basic with tenant SID and auth token is accepted', async () => {
      const res = await call(own(), { headers: basic(tenant.sid, tenant.authToken) });
      assert.equal(res.status, 200);
      assert.equal(res.body.sid, tenant.sid);
    });

    test('an API key is accepted in the x-api-key header and in the x-api-key cookie', async () => {
      assert.equal((await call(own(), { headers: apiKey(agentKey) })).status, 200);
      assert.equal((await call(own(), { headers: { cookie: `theme=dark; x-api-key=${agentKey}` } })).status, 200);
    });

    test('a JWT signed by Gatehouse is accepted and published in the JWKS', async () => {
      const issued = await call(`${server.url}/admin/accounts/${agent.id}/jwt`, { method: 'POST', headers: apiKey(agentKey) });
      assert.equal(issued.status, 200);
      secrets.push(issued.body.token);
      assert.equal((await call(own(), { headers: bearer(issued.body.token) })).status, 200);
      const jwks = await call(`${server.url}/.well-known/jwks.json`);
      assert.equal(jwks.body.keys.length, 1);
      assert.equal(jwks.body.keys[0].crv, 'Ed25519');
      assert.equal(jwks.body.keys[0].d, undefined, 'no private part in the JWKS');
    });

    test('a JWT from the configured external issuer is accepted for the tenant it names', async () => {
      const token = await new SignJWT({ tenant: tenant.sid, email: 'agent@acme.test' })
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(EXTERNAL_ISSUER)
        .setAudience('gatehouse')
        .setExpirationTime('5m')
        .sign(external.privateKey);
      const res = await call(own(), { headers: bearer(token) });
      assert.equal(res.status, 200);
    });

    const refusals: Array<[string, () => Record<string, string>, number]> = [
      ['no credentials', () => ({}), 401],
      ['a wrong auth token', () => basic(tenant.sid, 'ght_wrong'), 401],
      ['an auth token under another SID', () => basic(server.admin.tenant.sid, tenant.authToken), 401],
      ['malformed Basic credentials', () => ({ authorization: 'Basic !!!notbase64' }), 401],
      ['an unknown API key', () => apiKey('gha_unknown'), 401],
      ['an unknown API key in the cookie', () => ({ cookie: 'x-api-key=gha_unknown' }), 401],
      ['a garbage bearer token', () => bearer('not.a.jwt'), 401],
      ['an unsupported scheme', () => ({ authorization: 'Digest username="x"' }), 401],
    ];
    for (const [name, headers, status] of refusals) {
      test(`${name} is refused with ${status}`, async () => {
        const res = await call(own(), { headers: headers() });
        assert.equal(res.status, status);
        assert.equal(res.body.error.code, 'unauthenticated');
      });
    }

    test('a JWT with a forged signature, a foreign issuer or past expiry is refused with 401', async () => {
      const issued = (await call(`${server.url}/admin/accounts/${agent.id}/jwt`, { method: 'POST', headers: apiKey(agentKey) })).body.token as string;
      const [h, p, s] = issued.split('.');
      const forged = `${h}.${p}.${s!.slice(0, -4)}AAAA`;
      assert.equal((await call(own(), { headers: bearer(forged) })).status, 401);
      const tampered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: '1' })).toString('base64url')}.${s}`;
      assert.equal((await call(own(), { headers: bearer(tampered) })).status, 401);
      const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const foreign = await new SignJWT({ tenant: tenant.sid }).setProtectedHeader({ alg: 'ES256' }).setIssuer(EXTERNAL_ISSUER).setAudience('gatehouse').setExpirationTime('5m').sign(stranger.privateKey);
      assert.equal((await call(own(), { headers: bearer(foreign) })).status, 401);
      const expired = await new SignJWT({ tenant: tenant.sid }).setProtectedHeader({ alg: 'ES256' }).setIssuer(EXTERNAL_ISSUER).setAudience('gatehouse').setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(external.privateKey);
      const res = await call(own(), { headers: bearer(expired) });
      assert.equal(res.status, 401);
      assert.match(res.body.error.message, /expired/);
    });

    test('an expired or revoked API key is refused with 401', async () => {
      const admin = apiKey(server.admin.apiKey);
      const short = (await call(`${server.url}/admin/accounts/${agent.id}/api-keys`, { headers: admin, json: { expiresAt: new Date(Date.now() + 1500).toISOString() } })).body;
      assert.equal((await call(own(), { headers: apiKey(short.apiKey) })).status, 200);
      await new Promise((r) => setTimeout(r, 1600));
      assert.equal((await call(own(), { headers: apiKey(short.apiKey) })).status, 401);
      const revoked = (await call(`${server.url}/admin/accounts/${agent.id}/api-keys`, { headers: admin, json: {} })).body;
      // Sent as clients send it: a JSON content type and no body.
      assert.equal((await call(`${server.url}/admin/api-keys/${revoked.id}`, { method: 'DELETE', headers: { ...admin, 'content-type': 'application/json' } })).status, 204);
      assert.equal((await call(own(), { headers: apiKey(revoked.apiKey) })).status, 401);
    });

    test('a blocked account\'s key and JWT are refused with 403, and work again once unblocked', async () => {
      const admin = apiKey(server.admin.apiKey);
      const jwt = (await call(`${server.url}/admin/accounts/${agent.id}/jwt`, { method: 'POST', headers: admin })).body.token;
      assert.equal((await call(`${server.url}/admin/accounts/${agent.id}`, { method: 'PATCH', headers: admin, json: { blocked: true } })).status, 200);
      assert.equal((await call(own(), { headers: apiKey(agentKey) })).status, 403);
      assert.equal((await call(own(), { headers: bearer(jwt) })).status, 403);
      await call(`${server.url}/admin/accounts/${agent.id}`, { method: 'PATCH', headers: admin, json: { blocked: false } });
      assert.equal((await call(own(), { headers: apiKey(agentKey) })).status, 200);
    });

    test('a valid credential without the needed role is refused with 403', async () => {
      const res = await call(`${server.url}/dev/outbox`, { headers: apiKey(agentKey) });
      assert.equal(res.status, 403);
      const create = await call(`${server.url}/admin/tenants`, { headers: apiKey(agentKey), json: { name: 'nope' } });
      assert.equal(create.status, 403);
    });

    test('no secret, token or password ever reaches the log', async () => {
      await new Promise((r) => setTimeout(r, 50));
      const log = server.logs.join('');
      assert.ok(log.includes('"msg":"request"'), 'the access log is written');
      for (const secret of secrets) assert.ok(!log.includes(secret), `a secret leaked into the log`);
    });
  });
}
