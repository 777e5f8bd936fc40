/**
 * Issue 10, item 6 (external JWTs): a token must carry exp and live no longer than
 * GATEHOUSE_EXTERNAL_JWT_MAX_TTL; a token that tries another algorithm with the external key
 * (HS256 keyed with the public key, "none") is a 401, never a 500.
 */
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, bearer, call, startTestServer } from '../../helpers/server.js';

const ISSUER = 'https://idp.external.test';

for (const [keyType, alg, options] of [
  ['rsa', 'RS256', { modulusLength: 2048 }],
  ['ec', 'ES256', { namedCurve: 'P-256' }],
] as const) {
  const pair = generateKeyPairSync(keyType as 'rsa', options as { modulusLength: number });
  const publicPem = pair.publicKey.export({ format: 'pem', type: 'spki' }).toString();

  for (const dialect of DIALECTS) {
    describe(`external ${alg} JWTs on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
      let server: TestServer;
      const own = () => `${server.url}/admin/tenants/${server.admin.tenant.id}`;
      const claims = () => ({ tenant: server.admin.tenant.sid });
      const signed = () => new SignJWT(claims()).setProtectedHeader({ alg }).setIssuer(ISSUER).setAudience('gatehouse');

      before(async () => {
        server = await startTestServer(dialect, {
          env: { GATEHOUSE_EXTERNAL_JWT_ISSUER: ISSUER, GATEHOUSE_EXTERNAL_JWT_PUBLIC_KEY: publicPem, GATEHOUSE_EXTERNAL_JWT_MAX_TTL: '600' },
        });
      });
      after(() => server.close());

      test('a token within the maximum lifetime is accepted', async () => {
        const token = await signed().setIssuedAt().setExpirationTime('10m').sign(pair.privateKey);
        assert.equal((await call(own(), { headers: bearer(token) })).status, 200);
      });

      test('a token without exp is refused with 401', async () => {
        const token = await signed().setIssuedAt().sign(pair.privateKey);
        const res = await call(own(), { headers: bearer(token) });
        assert.equal(res.status, 401, res.text);
      });

      test('a token living longer than GATEHOUSE_EXTERNAL_JWT_MAX_TTL is refused with 401, with or without iat', async () => {
        const long = await signed().setIssuedAt().setExpirationTime('11m').sign(pair.privateKey);
        const res = await call(own(), { headers: bearer(long) });
        assert.equal(res.status, 401, res.text);
        assert.match(res.body.error.message, /longer than 600 s/);
        const noIat = await signed().setExpirationTime('2h').sign(pair.privateKey);
        assert.equal((await call(own(), { headers: bearer(noIat) })).status, 401);
      });

      test('HS256 keyed with the external public key (algorithm confusion) is a 401, not a 500', async () => {
        for (const secret of [publicPem, pair.publicKey.export({ format: 'der', type: 'spki' })]) {
          const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
          const now = Math.floor(Date.now() / 1000);
          const payload = Buffer.from(JSON.stringify({ ...claims(), iss: ISSUER, aud: 'gatehouse', iat: now, exp: now + 60 })).toString('base64url');
          const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
          const res = await call(own(), { headers: bearer(`${header}.${payload}.${signature}`) });
          assert.equal(res.status, 401, res.text);
        }
        const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims(), iss: ISSUER, aud: 'gatehouse', exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url')}.`;
        assert.equal((await call(own(), { headers: bearer(none) })).status, 401);
        assert.ok(!server.logs.join('').includes('"level":50'), 'nothing was logged as an error');
      });
    });
  }
}
