/**
 * Port of upstream's tests/Feature/ApiAuthenticationTest.php (flexisip-account-manager 75599dd):
 * HTTP Digest on GET /api/accounts/me, on a default install whose only SIP domain stands for
 * upstream's app.sip_domain. Not ported: testAuthenticationSHA265FromCLRTXT and
 * testAuthenticationSHA265FromCLRTXTWithRealm, whose accounts keep a clear-text password (upstream's
 * CLRTXT algorithm); Gatehouse stores only sealed HA1s, never a password.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, call, startTestServer } from '../../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../../helpers/services.js';
import { type SipUser, type World, challengesOf, createAccount, digestAuthorization, world } from '../world.js';
import { ha1Context } from '../../../../src/core/flexisip/accounts.js';
import { ha1 } from '../../../../src/core/sip/digest.js';
import { member } from './upstream-world.js';

const route = '/api/accounts/me';

for (const dialect of DIALECTS) {
  describe(`upstream ApiAuthenticationTest (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect);
      w = await world(server);
    });
    after(() => server.close());

    const from = (user: SipUser) => ({ from: `sip:${user.username}@${user.domain}`, 'content-type': 'application/json' });
    /** generateFirstResponse: the 401 and its challenges. */
    const firstResponse = (user: SipUser) => call(`${w.url}${route}`, { headers: from(user) });
    /** generateDigest + the request: an Authorization from a challenge, a password and an nc. */
    const withDigest = (user: SipUser, challenge: Record<string, string>, nc = '00000001', password = user.password) =>
      call(`${w.url}${route}`, { headers: { ...from(user), authorization: digestAuthorization({ username: user.username, password }, challenge, { method: 'GET', uri: route, nc }) } });

    test('testMandatoryFrom', async () => {
      await createAccount(w);
      assert.equal((await call(`${w.url}${route}`, { headers: { 'content-type': 'application/json' } })).status, 422);
    });

    test('testWrongFrom', async () => {
      await createAccount(w);
      assert.equal((await call(`${w.url}${route}`, { headers: { from: 'sip:missing@username', 'content-type': 'application/json' } })).status, 404);
    });

    test('testAuthenticate', async () => {
      const user = await createAccount(w, { algorithm: 'MD5' });
      assert.equal((await firstResponse(user)).status, 401);
    });

    test('testAuthenticateWithKey', async () => {
      const user = await member(w);
      assert.equal((await call(`${w.url}${route}`, { headers: { ...from(user), ...user.key } })).status, 200);
    });

    test('testReplayNonce', async () => {
      const user = await createAccount(w, { algorithm: 'MD5' });
      const [challenge] = challengesOf(await firstResponse(user));
      assert.equal((await withDigest(user, challenge!, '00000001')).status, 200);
      // We increment the nc.
      assert.equal((await withDigest(user, challenge!, '00000002')).status, 200);
      // We don't increment it.
      const replayed = await withDigest(user, challenge!, '00000002');
      assert.equal(replayed.status, 401);
      assert.match(replayed.text, /Nonce replayed/);
    });

    test('testClearedNonce', async () => {
      // Upstream deletes the account's nonce row; Gatehouse keeps nonces in shared state, so the port
      // answers with a nonce the server no longer knows (one it never issued): the same refusal.
      const user = await createAccount(w, { algorithm: 'MD5' });
      const [challenge] = challengesOf(await firstResponse(user));
      assert.equal((await withDigest(user, challenge!, '00000001')).status, 200);
      const cleared = await withDigest(user, { ...challenge!, nonce: `${challenge!.nonce!.slice(0, -4)}0000` }, '00000002');
      assert.equal(cleared.status, 401);
      assert.match(cleared.text, /Nonce invalid/);
      assert.equal(challengesOf(cleared)[0]!.algorithm, 'MD5');
    });

    test('testMultiHash', async () => {
      // Upstream's factory gives an MD5 account a second, SHA-256 password row; the API makes one algorithm
      // at a time, so the port seals the second HA1 into the account's row the same way storage does.
      const user = await createAccount(w, { algorithm: 'MD5' });
      const { db, sealer } = server.runtime.core.deps;
      const sha256 = sealer.seal(ha1('SHA-256', user.username, user.domain, user.password), ha1Context('SHA-256', user.id));
      await db.updateTable('sip_accounts').set({ ha1_sha256: sha256 }).where('account_id', '=', user.id).execute();
      const first = await firstResponse(user);
      assert.equal(first.status, 401);
      assert.deepEqual(challengesOf(first).map((c) => c.algorithm), ['MD5', 'SHA-256']);
    });

    test('testAuthenticationMD5', async () => {
      const user = await createAccount(w, { algorithm: 'MD5' });
      const first = await firstResponse(user);
      assert.equal(challengesOf(first)[0]!.algorithm, 'MD5');
      assert.equal((await withDigest(user, challengesOf(first)[0]!)).status, 200);
    });

    test('testAuthenticationSHA265', async () => {
      const user = await createAccount(w, { algorithm: 'SHA-256' });
      const first = await firstResponse(user);
      assert.equal(challengesOf(first)[0]!.algorithm, 'SHA-256');
      assert.equal((await withDigest(user, challengesOf(first)[0]!)).status, 200);
    });

    test('testAuthenticationWrongAlgorithm', async () => {
      const user = await createAccount(w, { algorithm: 'SHA-256' });
      const [challenge] = challengesOf(await firstResponse(user));
      assert.equal((await withDigest(user, { ...challenge!, algorithm: 'MD5' })).status, 401);
    });

    test('testAuthenticationBadPassword', async () => {
      const user = await createAccount(w, { algorithm: 'MD5' });
      const [challenge] = challengesOf(await firstResponse(user));
      assert.equal((await withDigest(user, challenge!, '00000001', 'wrong')).status, 401);
    });
  });
}
