/**
 * Port of upstream's tests/Feature/AccountJWTAuthenticationTest.php (flexisip-account-manager 75599dd).
 * Upstream reads /provisioning/me (XML, not on the page) with a JWT of an RSA key it trusts; the port
 * reads the page's GET /api/accounts/me with the same kinds of token. Three deliberate differences:
 * the token names the account by `sip_identity` (an email is not unique across tenants), carries iss,
 * aud and exp, and a refused token is 401 (Gatehouse's external-JWT rule of issue 22, which wins over
 * upstream's 403 here).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { type TestServer, bearer, call, startTestServer } from '../../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../../helpers/services.js';
import { type World, createAccount, world } from '../world.js';

const ISSUER = 'https://idp.upstream.test';
const serverKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const wrongKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });

for (const dialect of DIALECTS) {
  describe(`upstream AccountJWTAuthenticationTest (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect, {
        env: { GATEHOUSE_EXTERNAL_JWT_ISSUER: ISSUER, GATEHOUSE_EXTERNAL_JWT_PUBLIC_KEY: serverKeys.publicKey.export({ format: 'pem', type: 'spki' }).toString() },
      });
      w = await world(server);
    });
    after(() => server.close());

    test('testBaseProvisioning', async () => {
      const account = await createAccount(w, { email: 'jwt@example.org' });
      const me = (token: string) => call(`${w.url}/api/accounts/me`, { headers: { ...bearer(token), 'x-linphone-provisioning': 'true' } });
      const token = (alg: 'RS256' | 'RS512', claims: Record<string, unknown>, iat?: number, key = serverKeys.privateKey) => {
        const jwt = new SignJWT(claims).setProtectedHeader({ alg }).setIssuer(ISSUER).setAudience('gatehouse');
        if (iat === undefined) return jwt.setIssuedAt().setExpirationTime('5m').sign(key);
        return jwt.setIssuedAt(iat).setExpirationTime(iat + 300).sign(key);
      };
      const identity = { sip_identity: `sip:${account.username}@${account.domain}` };
      // No credentials: upstream's /provisioning answers 400; /api/accounts/me asks for a From (specs/README.md: 422).
      assert.equal((await call(`${w.url}/api/accounts/me`)).status, 422);
      for (const alg of ['RS256', 'RS512'] as const) {
        const res = await me(await token(alg, identity));
        assert.deepEqual([res.status, res.body.username], [200, account.username], alg);
      }
      // Expired token (upstream's frozen clock: 2022-06-24 22:51:10).
      assert.equal((await me(await token('RS256', identity, Date.UTC(2022, 5, 24, 22, 51, 10) / 1000))).status, 401);
      // Unknown account.
      assert.equal((await me(await token('RS256', { sip_identity: `sip:unknow@${account.domain}` }))).status, 401);
      // Wrong signature key.
      assert.equal((await me(await token('RS256', identity, undefined, wrongKeys.privateKey))).status, 401);
    });
  });
}
