import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { type TestServer, call, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type World, challengesOf, createAccount, digestAuthorization, digestCall, world } from './world.js';

const run = promisify(execFile);

async function curlDigest(url: string, user: { username: string; password: string; domain: string }) {
  const { stdout } = await run('curl', ['-s', '--digest', '-u', `${user.username}:${user.password}`, '-H', `From: sip:${user.username}@${user.domain}`, '-H', 'content-type: application/json', '-H', 'accept: application/json', '-w', '\n%{http_code}', url]);
  const lines = stdout.trimEnd().split('\n');
  return { status: Number(lines.pop()), body: JSON.parse(lines.join('\n') || 'null') };
}

for (const dialect of DIALECTS) {
  describe(`HTTP Digest on /api (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect);
      w = await world(server);
    });
    after(() => server.close());

    for (const algorithm of ['MD5', 'SHA-256'] as const) {
      test(`curl --digest authenticates GET /api/accounts/me with ${algorithm}`, async () => {
        const user = await createAccount(w, { algorithm });
        const res = await curlDigest(`${w.url}/api/accounts/me`, user);
        assert.equal(res.status, 200);
        assert.equal(res.body.username, user.username);
        assert.deepEqual(res.body.passwords, [{ algorithm }]);
      });
    }

    test('a request with From and no credentials gets 401 with one challenge per algorithm held, qop=auth, a nonce and an opaque', async () => {
      const user = await createAccount(w, { algorithm: 'MD5' });
      const res = await call(`${w.url}/api/accounts/me`, { headers: { from: `sip:${user.username}@${w.domain}`, 'content-type': 'application/json' } });
      assert.equal(res.status, 401);
      const challenges = challengesOf(res);
      assert.equal(challenges.length, 1);
      assert.equal(challenges[0]!.algorithm, 'MD5');
      assert.equal(challenges[0]!.qop, 'auth');
      assert.equal(challenges[0]!.realm, w.domain);
      assert.ok(challenges[0]!.nonce && challenges[0]!.opaque);
      assert.equal(typeof res.body.message, 'string');

      // After a password change to SHA-256, the challenge offers SHA-256.
      const changed = await digestCall(w, user, '/api/accounts/me/password', { json: { algorithm: 'SHA-256', old_password: user.password, password: 'new-secret' } });
      assert.equal(changed.status, 200);
      const again = await call(`${w.url}/api/accounts/me`, { headers: { from: `sip:${user.username}@${w.domain}` } });
      assert.deepEqual(challengesOf(again).map((c) => c.algorithm), ['SHA-256']);
      assert.equal((await digestCall(w, { ...user, password: 'new-secret' }, '/api/accounts/me')).status, 200);
    });

    test('no From is 422 naming from; a malformed From is 422; an unknown account is 404', async () => {
      const none = await call(`${w.url}/api/accounts/me`, { headers: { 'content-type': 'application/json' } });
      assert.equal(none.status, 422);
      assert.ok(none.body.errors.from.length);
      const bad = await call(`${w.url}/api/accounts/me`, { headers: { from: 'not a sip address' } });
      assert.equal(bad.status, 422);
      assert.ok(bad.body.errors.from);
      const unknown = await call(`${w.url}/api/accounts/me`, { headers: { from: `sip:nobody-here@${w.domain}` } });
      assert.equal(unknown.status, 404);
    });

    test('a replayed nonce count is 401 "Nonce replayed"; the next count is accepted', async () => {
      const user = await createAccount(w);
      const from = { from: `sip:${user.username}@${w.domain}` };
      const challenge = challengesOf(await call(`${w.url}/api/accounts/me`, { headers: from }))[0]!;
      const authorization = digestAuthorization(user, challenge, { method: 'GET', uri: '/api/accounts/me', nc: '00000001', cnonce: 'abc' });
      assert.equal((await call(`${w.url}/api/accounts/me`, { headers: { ...from, authorization } })).status, 200);
      const replay = await call(`${w.url}/api/accounts/me`, { headers: { ...from, authorization } });
      assert.equal(replay.status, 401);
      assert.equal(replay.body.message, 'Nonce replayed');
      assert.ok(challengesOf(replay).length, 'a fresh challenge comes with the refusal');
      const next = digestAuthorization(user, challenge, { method: 'GET', uri: '/api/accounts/me', nc: '00000002', cnonce: 'abd' });
      assert.equal((await call(`${w.url}/api/accounts/me`, { headers: { ...from, authorization: next } })).status, 200);
    });

    test('a wrong password, another uri, a wrong realm or a forged nonce is 401 with a new challenge', async () => {
      const user = await createAccount(w);
      const from = { from: `sip:${user.username}@${w.domain}` };
      const challenge = challengesOf(await call(`${w.url}/api/accounts/me`, { headers: from }))[0]!;
      const tries = [
        digestAuthorization({ ...user, password: 'wrong-password' }, challenge, { method: 'GET', uri: '/api/accounts/me' }),
        digestAuthorization(user, challenge, { method: 'GET', uri: '/api/accounts/me/devices' }),
        digestAuthorization(user, { ...challenge, realm: 'other.example.org' }, { method: 'GET', uri: '/api/accounts/me' }),
        digestAuthorization(user, { ...challenge, nonce: `${challenge.nonce!.slice(0, -3)}abc` }, { method: 'GET', uri: '/api/accounts/me' }),
      ];
      for (const authorization of tries) {
        const res = await call(`${w.url}/api/accounts/me`, { headers: { ...from, authorization } });
        assert.equal(res.status, 401, authorization);
        assert.ok(res.headers.get('www-authenticate'));
      }
    });

    test('a blocked account cannot authenticate (403); a deactivated one still can', async () => {
      const user = await createAccount(w);
      assert.equal((await call(`${w.url}/api/accounts/${user.id}/deactivate`, { method: 'POST', headers: w.admin })).status, 200);
      const me = await digestCall(w, user, '/api/accounts/me');
      assert.equal(me.status, 200);
      assert.equal(me.body.activated, false);
      assert.equal((await call(`${w.url}/api/accounts/${user.id}/block`, { method: 'POST', headers: w.admin })).status, 200);
      assert.equal((await digestCall(w, user, '/api/accounts/me')).status, 403);
      assert.equal((await call(`${w.url}/api/accounts/${user.id}/unblock`, { method: 'POST', headers: w.admin })).status, 200);
      assert.equal((await digestCall(w, user, '/api/accounts/me')).status, 200);
    });

    test('a DELETE with content-type application/json and no body authenticates and runs', async () => {
      const user = await createAccount(w);
      const res = await digestCall(w, user, '/api/accounts/me', { method: 'DELETE' });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, {}); // one shape for every delete (issue 27)
      assert.equal((await call(`${w.url}/api/accounts/me`, { headers: { from: `sip:${user.username}@${w.domain}` } })).status, 404);
    });

    test('neither an HA1 nor a password reaches the log', async () => {
      const user = await createAccount(w, { password: 'log-canary-pw' });
      await digestCall(w, user, '/api/accounts/me');
      const logs = server.logs.join('');
      assert.ok(!logs.includes('log-canary-pw'));
      assert.ok(!logs.includes('response='));
    });
  });
}
