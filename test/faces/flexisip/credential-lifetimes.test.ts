/**
 * Issue 22, finding 2, on the Flexisip face: no credential outlives the one that minted it. A key
 * from GET /api/accounts/me/api_key expires with the API key, Gatehouse JWT or external JWT that
 * asked for it; one redeemed through an auth token expires with the credential that attached the
 * token; account creation tokens expire with the admin credential that made or validated them.
 * Only Digest (a password) mints a key that never expires. The wire stays the spec's (a bare key,
 * `{api_key}`), so the expiry is read from the api_keys row and shown by the key's refusal.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { type TestServer, apiKey, bearer, call, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type SipUser, type World, createAccount, digestCall, uniqueName, world } from './world.js';

const external = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ISSUER = 'https://idp.example.test';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const dialect of DIALECTS) {
  describe(`Flexisip credentials expire with the credential that minted them (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    // Request tokens open accounts on the deployment's default domain, and only its admins validate them.
    const publicDomain = `${uniqueName('public')}.sip.example.org`;
    before(async () => {
      server = await startTestServer(dialect, {
        env: { GATEHOUSE_FLEXISIP_DOMAIN: publicDomain, GATEHOUSE_EXTERNAL_JWT_ISSUER: ISSUER, GATEHOUSE_EXTERNAL_JWT_PUBLIC_KEY: external.publicKey.export({ format: 'pem', type: 'spki' }).toString() },
      });
      w = await world(server);
      const added = await call(`${w.url}/admin/tenants/${w.tenant.id}/sip-domains`, { headers: w.admin, json: { domain: publicDomain } });
      assert.equal(added.status, 201, added.text);
    });
    after(() => server.close());

    /** The stored expiry of an API key (ms, or null: never). */
    async function keyExpiry(key: string): Promise<number | null> {
      const row = await server.runtime.core.deps.db.selectFrom('api_keys').select('expires_at').where('key_hash', '=', createHash('sha256').update(key).digest('hex')).executeTakeFirstOrThrow();
      return row.expires_at === null ? null : Number(row.expires_at);
    }
    /** An API key for the account, minted by the deployment admin, expiring in `ms`. */
    async function expiringKey(accountId: number, ms: number): Promise<{ key: string; expiresAt: number }> {
      const expiresAt = Date.now() + ms;
      const res = await call(`${w.url}/admin/accounts/${accountId}/api-keys`, { headers: w.admin, json: { expiresAt: new Date(expiresAt).toISOString() } });
      assert.equal(res.status, 201, res.text);
      return { key: res.body.apiKey, expiresAt };
    }
    const freshKey = async (headers: Record<string, string>) => {
      const res = await call(`${w.url}/api/accounts/me/api_key`, { headers });
      assert.equal(res.status, 200, res.text);
      return res.text;
    };

    test('GET /api/accounts/me/api_key with a 5-minute API key answers a key expiring with it', async () => {
      const user = await createAccount(w);
      const short = await expiringKey(user.id, 5 * 60_000);
      assert.equal(await keyExpiry(await freshKey(apiKey(short.key))), short.expiresAt);
    });

    test('… with a Gatehouse JWT, a key expiring with the JWT', async () => {
      const user = await createAccount(w);
      const jwt = await call(`${w.url}/admin/accounts/${user.id}/jwt`, { method: 'POST', headers: w.admin });
      assert.equal(jwt.status, 200, jwt.text);
      assert.equal(await keyExpiry(await freshKey(bearer(jwt.body.token))), Date.parse(jwt.body.expiresAt));
    });

    test('… with an external JWT naming the SIP address, a key expiring with that JWT', async () => {
      const user = await createAccount(w);
      const exp = Math.floor(Date.now() / 1000) + 300;
      const token = await new SignJWT({ sip_identity: `sip:${user.username}@${user.domain}` }).setProtectedHeader({ alg: 'ES256' }).setIssuer(ISSUER).setAudience('gatehouse').setIssuedAt().setExpirationTime(exp).sign(external.privateKey);
      assert.equal(await keyExpiry(await freshKey(bearer(token))), exp * 1000);
    });

    test('… by Digest (a password, which does not expire), a key that does not expire either', async () => {
      const user = await createAccount(w);
      const res = await digestCall(w, user, '/api/accounts/me/api_key');
      assert.equal(res.status, 200, res.text);
      assert.equal(await keyExpiry(res.text), null);
    });

    test('a key minted by a 2-second key is refused (401) once that key has expired', async () => {
      const user = await createAccount(w);
      const short = await expiringKey(user.id, 2000);
      const minted = await freshKey(apiKey(short.key));
      assert.equal((await call(`${w.url}/api/accounts/me`, { headers: apiKey(minted) })).status, 200);
      await sleep(short.expiresAt - Date.now() + 100);
      assert.equal((await call(`${w.url}/api/accounts/me`, { headers: apiKey(minted) })).status, 401);
    });

    /** An auth token, attached with `headers` (or by Digest as `user`). */
    async function attachedToken(user: SipUser, headers?: Record<string, string>): Promise<string> {
      const auth = await call(`${w.url}/api/accounts/auth_token`, { method: 'POST' });
      assert.equal(auth.status, 201);
      const path = `/api/accounts/auth_token/${auth.body.token}/attach`;
      const attached = headers ? await call(`${w.url}${path}`, { headers }) : await digestCall(w, user, path);
      assert.equal(attached.status, 200, attached.text);
      return auth.body.token;
    }
    const redeem = (token: string) => call(`${w.url}/api/accounts/me/api_key/${token}`);

    test('auth token attached with a 5-minute key: the key it is redeemed for expires with the attaching key, not with the token', async () => {
      const user = await createAccount(w);
      const short = await expiringKey(user.id, 5 * 60_000);
      const res = await redeem(await attachedToken(user, apiKey(short.key)));
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.body), ['api_key'], 'the wire stays the spec\'s');
      assert.equal(await keyExpiry(res.body.api_key), short.expiresAt);
    });

    test('auth token attached with a Gatehouse JWT: the redeemed key expires with the JWT; attached by Digest: never', async () => {
      const user = await createAccount(w);
      const jwt = (await call(`${w.url}/admin/accounts/${user.id}/jwt`, { method: 'POST', headers: w.admin })).body;
      const viaJwt = await redeem(await attachedToken(user, bearer(jwt.token)));
      assert.equal(await keyExpiry(viaJwt.body.api_key), Date.parse(jwt.expiresAt));
      const viaDigest = await redeem(await attachedToken(user));
      assert.equal(viaDigest.status, 200);
      assert.equal(await keyExpiry(viaDigest.body.api_key), null);
    });

    test('an auth token attached with a key that has since expired redeems nothing (404)', async () => {
      const user = await createAccount(w);
      const short = await expiringKey(user.id, 1500);
      const token = await attachedToken(user, apiKey(short.key));
      await sleep(short.expiresAt - Date.now() + 100);
      assert.equal((await redeem(token)).status, 404);
    });

    /** A Flexisip admin of the domain (the world's unless named), with an API key expiring in `ms`. */
    async function expiringAdmin(ms: number, domain = w.domain) {
      const admin = await createAccount(w, { username: uniqueName('admin'), admin: true, domain });
      return expiringKey(admin.id, ms);
    }

    test('an account creation token made with a 2-minute admin key expires with it', async () => {
      const short = await expiringAdmin(120_000);
      const res = await call(`${w.url}/api/account_creation_tokens`, { method: 'POST', headers: apiKey(short.key) });
      assert.equal(res.status, 201, res.text);
      assert.ok(Date.parse(res.body.expire_at) <= short.expiresAt, `${res.body.expire_at} is after the key's ${new Date(short.expiresAt).toISOString()}`);
      const byLongKey = await call(`${w.url}/api/account_creation_tokens`, { method: 'POST', headers: w.admin });
      assert.ok(Date.parse(byLongKey.body.expire_at) > Date.now() + 23 * 3600_000, 'an unexpiring admin key makes a 24-hour token');
    });

    test('a request token validated with a 2-minute admin key yields a creation token expiring with that key', async () => {
      const short = await expiringAdmin(120_000, publicDomain);
      const request = await call(`${w.url}/api/account_creation_request_tokens`, { method: 'POST' });
      assert.equal((await call(`${w.url}/api/account_creation_request_tokens/${request.body.token}/validate`, { method: 'POST', headers: apiKey(short.key) })).status, 200);
      const creation = await call(`${w.url}/api/account_creation_tokens/using-account-creation-request-token`, { json: { account_creation_request_token: request.body.token } });
      assert.equal(creation.status, 201, creation.text);
      assert.ok(Date.parse(creation.body.expire_at) <= short.expiresAt, `${creation.body.expire_at} is after the key's ${new Date(short.expiresAt).toISOString()}`);
    });

    test('a request token validated with a key that has since expired is exchanged for nothing (404)', async () => {
      const short = await expiringAdmin(1500, publicDomain);
      const request = await call(`${w.url}/api/account_creation_request_tokens`, { method: 'POST' });
      assert.equal((await call(`${w.url}/api/account_creation_request_tokens/${request.body.token}/validate`, { method: 'POST', headers: apiKey(short.key) })).status, 200);
      await sleep(short.expiresAt - Date.now() + 100);
      const creation = await call(`${w.url}/api/account_creation_tokens/using-account-creation-request-token`, { json: { account_creation_request_token: request.body.token } });
      assert.equal(creation.status, 404, creation.text);
    });
  });
}
