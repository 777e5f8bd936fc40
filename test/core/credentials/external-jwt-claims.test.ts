/**
 * Issue 22, findings 5 and 7, on external JWTs. A future `iat` bought a long life (iat = now + 10
 * years, exp = iat + 1 h was accepted: only exp − iat was checked); now `iat` and `nbf` may be ahead
 * of our clock by EXTERNAL_JWT_CLOCK_SKEW_SECONDS at most, and the lifetime is also measured from
 * now. An external JWT naming the bootstrap tenant and the admin's email became the deployment
 * admin; now that takes GATEHOUSE_EXTERNAL_JWT_ADMIN=true (off by default: 403).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import * as credentials from '../../../src/core/credentials/credentials.js';
import { type TestServer, apiKey, bearer, call, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';

const ISSUER = 'https://idp.external.test';
const MAX_TTL = 3600;
/** The skew docs/security.md documents. */
const SKEW = 30;
const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const env = (extra: Record<string, string> = {}) => ({
  GATEHOUSE_EXTERNAL_JWT_ISSUER: ISSUER,
  GATEHOUSE_EXTERNAL_JWT_PUBLIC_KEY: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  GATEHOUSE_EXTERNAL_JWT_MAX_TTL: String(MAX_TTL),
  ...extra,
});
const nowS = () => Math.floor(Date.now() / 1000);
const sign = (claims: Record<string, unknown>, times: { iat?: number; nbf?: number; exp: number }) => {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).setIssuer(ISSUER).setAudience('gatehouse').setExpirationTime(times.exp);
  if (times.iat !== undefined) jwt = jwt.setIssuedAt(times.iat);
  if (times.nbf !== undefined) jwt = jwt.setNotBefore(times.nbf);
  return jwt.sign(pair.privateKey);
};

test(`the clock skew allowed to an external issuer is the documented ${SKEW} s`, () => {
  assert.equal((credentials as Record<string, unknown>).EXTERNAL_JWT_CLOCK_SKEW_SECONDS, SKEW);
});

for (const dialect of DIALECTS) {
  describe(`external JWT times on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    const own = () => `${server.url}/admin/tenants/${server.admin.tenant.id}`;
    const claims = () => ({ tenant: server.admin.tenant.sid });
    const status = async (times: { iat?: number; nbf?: number; exp: number }) => (await call(own(), { headers: bearer(await sign(claims(), times)) })).status;

    before(async () => {
      server = await startTestServer(dialect, { env: env() });
    });
    after(() => server.close());

    test('iat ten years ahead with exp an hour after it (the probe\'s token) is refused with 401', async () => {
      const iat = nowS() + 10 * 365 * 86_400;
      const res = await call(own(), { headers: bearer(await sign(claims(), { iat, exp: iat + 3600 })) });
      assert.equal(res.status, 401, res.text);
      assert.match(res.body.error.message, /iat/);
    });

    test(`iat more than ${SKEW} s ahead is refused, however short the token; within ${SKEW} s it is accepted`, async () => {
      const t = nowS();
      assert.equal(await status({ iat: t + SKEW + 30, exp: t + SKEW + 90 }), 401);
      assert.equal(await status({ iat: t + 10, exp: t + 10 + MAX_TTL }), 200, 'an issuer\'s clock a little ahead, at the maximum lifetime');
    });

    test(`nbf more than ${SKEW} s ahead is refused; within ${SKEW} s it is accepted`, async () => {
      const t = nowS();
      assert.equal(await status({ iat: t, nbf: t + 3600, exp: t + 3000 }), 401);
      assert.equal(await status({ iat: t, nbf: t + 10, exp: t + 600 }), 200);
    });

    test('the lifetime is measured from now too: without iat, exp more than the maximum ahead is refused', async () => {
      const t = nowS();
      assert.equal(await status({ exp: t + MAX_TTL + 120 }), 401);
      assert.equal(await status({ exp: t + MAX_TTL - 60 }), 200);
    });

    test('an expired token is still refused (the skew does not stretch exp)', async () => {
      const t = nowS();
      assert.equal(await status({ iat: t - 600, exp: t - 5 }), 401);
    });
  });

  describe(`an external JWT as the deployment admin on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    const servers: TestServer[] = [];
    after(() => Promise.all(servers.map((s) => s.close())));

    /** A server with an admin account that has an email, in the bootstrap tenant; and an agent's email. */
    async function start(extra: Record<string, string>) {
      const server = await startTestServer(dialect, { env: env(extra) });
      servers.push(server);
      const admin = apiKey(server.admin.apiKey);
      const made = await call(`${server.url}/admin/accounts`, { headers: admin, json: { tenant: server.admin.tenant.sid, role: 'admin', email: 'ops@example.test', password: 'an admin password 1' } });
      assert.equal(made.status, 201, made.text);
      const agent = await call(`${server.url}/admin/accounts`, { headers: admin, json: { tenant: server.admin.tenant.sid, role: 'agent', email: 'agent@example.test', password: 'an agent password 1' } });
      assert.equal(agent.status, 201, agent.text);
      const as = async (email: string) => {
        const token = await sign({ tenant: server.admin.tenant.sid, email }, { iat: nowS(), exp: nowS() + 300 });
        return call(`${server.url}/admin/tenants`, { headers: bearer(token) });
      };
      return { as };
    }

    test('off by default: an external JWT naming an admin account is refused (403), other accounts are not', async () => {
      const { as } = await start({});
      const res = await as('ops@example.test');
      assert.equal(res.status, 403, res.text);
      assert.match(res.body.error.message, /GATEHOUSE_EXTERNAL_JWT_ADMIN/);
      assert.notEqual((await as('agent@example.test')).status, 401, 'an agent still authenticates');
      assert.notEqual((await as('agent@example.test')).status, 403);
    });

    test('GATEHOUSE_EXTERNAL_JWT_ADMIN=true lets it act as the deployment admin', async () => {
      const { as } = await start({ GATEHOUSE_EXTERNAL_JWT_ADMIN: 'true' });
      assert.equal((await as('ops@example.test')).status, 200);
    });
  });
}
