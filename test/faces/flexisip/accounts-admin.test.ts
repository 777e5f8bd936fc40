import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, call, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type World, apiKeyOf, createAccount, digestCall, tenantBasic, uniqueName, world } from './world.js';

for (const dialect of DIALECTS) {
  describe(`Flexisip accounts, Admin endpoints (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    let other: World;
    before(async () => {
      server = await startTestServer(dialect, { env: { GATEHOUSE_FLEXISIP_EMAIL_UNIQUE: 'true' } });
      w = await world(server);
      other = await world(server);
    });
    after(() => server.close());

    test('POST /api/accounts creates (200, as upstream) with every documented field; the answer never holds an HA1', async () => {
      const username = uniqueName();
      const res = await call(`${w.url}/api/accounts`, {
        headers: w.admin,
        json: {
          username,
          password: 'secret-pw',
          algorithm: 'MD5',
          domain: w.domain,
          activated: true,
          display_name: 'Alice Liddell',
          email: `${username}@example.org`,
          phone: '+33612345678',
          dtmf_protocol: 'rfc2833',
          dictionary: { language: 'fr' },
        },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.username, username);
      assert.equal(res.body.domain, w.domain);
      assert.equal(res.body.activated, true);
      assert.equal(res.body.admin, false);
      assert.equal(res.body.display_name, 'Alice Liddell');
      assert.equal(res.body.phone, '+33612345678');
      assert.equal(res.body.dtmf_protocol, 'rfc2833');
      assert.deepEqual(res.body.dictionary, { language: 'fr' });
      assert.deepEqual(res.body.passwords, [{ algorithm: 'MD5' }]);
      assert.equal(typeof res.body.provisioning_token, 'string');
      assert.equal(res.body.confirmation_key, undefined);
      assert.ok(!res.text.includes('secret-pw'));
      // At rest the HA1 is a keyring envelope, and the provisioning token too.
      const row = await server.runtime.storage.db.selectFrom('sip_accounts').selectAll().where('account_id', '=', res.body.id).executeTakeFirstOrThrow();
      assert.match(row.ha1_md5!, /^gh1:/);
      assert.equal(row.ha1_sha256, null);
      assert.match(row.provisioning_token!, /^gh1:/);
      assert.ok(!row.provisioning_token!.includes(res.body.provisioning_token));
    });

    test('activated false answers a confirmation_key and its expiry; the public activation spends it; after the expiry it is 403', async () => {
      const created = await call(`${w.url}/api/accounts`, {
        headers: w.admin,
        json: { username: uniqueName(), password: 'secret-pw', algorithm: 'SHA-256', domain: w.domain, confirmation_key_expires: '2099-01-01 10:00:00' },
      });
      assert.equal(created.status, 200);
      assert.equal(created.body.activated, false);
      assert.equal(created.body.confirmation_key.length, 13);
      assert.equal(created.body.confirmation_key_expires, '2099-01-01 10:00:00');
      const sip = `${created.body.username}@${w.domain}`;
      const wrong = await call(`${w.url}/api/accounts/${sip}/activate/email`, { json: { confirmation_key: 'X'.repeat(13) } });
      assert.equal(wrong.status, 404);
      const ok = await call(`${w.url}/api/accounts/${sip}/activate/email`, { json: { confirmation_key: created.body.confirmation_key } });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.activated, true);
      assert.equal((await call(`${w.url}/api/accounts/${sip}/activate/email`, { json: { confirmation_key: created.body.confirmation_key } })).status, 404);

      const expired = await call(`${w.url}/api/accounts`, {
        headers: w.admin,
        json: { username: uniqueName(), password: 'secret-pw', algorithm: 'SHA-256', domain: w.domain, confirmation_key_expires: '2000-01-01 00:00:00' },
      });
      const late = await call(`${w.url}/api/accounts/${expired.body.username}@${w.domain}/activate/email`, { json: { confirmation_key: expired.body.confirmation_key } });
      assert.equal(late.status, 403);
    });

    test('ten wrong activation keys in an hour lock the account\'s activation (403), even for the right key', async () => {
      const created = await call(`${w.url}/api/accounts`, { headers: w.admin, json: { username: uniqueName(), password: 'secret-pw', algorithm: 'MD5', domain: w.domain } });
      const sip = `${created.body.username}@${w.domain}`;
      for (let i = 0; i < 10; i++) {
        assert.equal((await call(`${w.url}/api/accounts/${sip}/activate/email`, { json: { confirmation_key: `wrongkey${String(i).padStart(5, '0')}` } })).status, 404);
      }
      assert.equal((await call(`${w.url}/api/accounts/${sip}/activate/email`, { json: { confirmation_key: created.body.confirmation_key } })).status, 403);
    });

    test('a tenant reads, changes and deletes only its own domains\' accounts (404 elsewhere)', async () => {
      const foreign = await createAccount(other);
      assert.equal((await call(`${w.url}/api/accounts/${foreign.id}`, { headers: tenantBasic(w) })).status, 404);
      assert.equal((await call(`${w.url}/api/accounts/${foreign.id}/deactivate`, { method: 'POST', headers: tenantBasic(w) })).status, 404);
      assert.equal((await call(`${w.url}/api/accounts/${foreign.id}`, { method: 'PUT', headers: tenantBasic(w), json: { username: foreign.username, password: 'secret-pw', algorithm: 'MD5' } })).status, 404);
      assert.equal((await call(`${w.url}/api/accounts/${foreign.id}`, { method: 'DELETE', headers: tenantBasic(w) })).status, 404);
      assert.equal((await call(`${w.url}/api/accounts/${foreign.id}`, { headers: tenantBasic(other) })).status, 200);
    });

    test('PUT naming a domain the caller does not administer is refused 403 and changes nothing', async () => {
      const mine = await createAccount(w);
      const before = (await call(`${w.url}/api/accounts/${mine.id}`, { headers: tenantBasic(w) })).body;
      const put = await call(`${w.url}/api/accounts/${mine.id}`, { method: 'PUT', headers: tenantBasic(w), json: { username: uniqueName(), password: 'another-pw', algorithm: 'MD5', domain: other.domain } });
      assert.equal(put.status, 403, put.text);
      assert.deepEqual((await call(`${w.url}/api/accounts/${mine.id}`, { headers: tenantBasic(w) })).body, before);
      const same = await call(`${w.url}/api/accounts/${mine.id}`, { method: 'PUT', headers: tenantBasic(w), json: { username: mine.username, password: 'another-pw', algorithm: 'MD5', domain: w.domain } });
      assert.equal(same.status, 200, same.text);
    });

    test('validation: 422 {"message", "errors"} naming every failing field, and nothing is written', async () => {
      const before = (await call(`${w.url}/api/accounts`, { headers: tenantBasic(w) })).body.total;
      const res = await call(`${w.url}/api/accounts`, {
        headers: w.admin,
        json: { username: 'abc', password: '123', algorithm: 'SHA-1', domain: w.domain, email: 'not-an-email', phone: '0612', dtmf_protocol: 'pulse', confirmation_key_expires: 'tomorrow' },
      });
      assert.equal(res.status, 422);
      assert.equal(typeof res.body.message, 'string');
      for (const field of ['username', 'password', 'algorithm', 'email', 'phone', 'dtmf_protocol', 'confirmation_key_expires']) {
        assert.ok(Array.isArray(res.body.errors[field]), field);
      }
      const missing = await call(`${w.url}/api/accounts`, { headers: w.admin, json: {} });
      assert.equal(missing.status, 422);
      assert.deepEqual(Object.keys(missing.body.errors).sort(), ['algorithm', 'domain', 'password', 'username']);
      const typed = await call(`${w.url}/api/accounts`, { headers: w.admin, json: { username: 42 } });
      assert.equal(typed.status, 422);
      assert.ok(typed.body.errors.username);
      const list = await call(`${w.url}/api/accounts`, { headers: tenantBasic(w) });
      assert.equal(list.body.total, before);
    });

    test('usernames are unique per domain, and emails too when GATEHOUSE_FLEXISIP_EMAIL_UNIQUE is on (422)', async () => {
      const first = await createAccount(w, { email: `${uniqueName()}@example.org` });
      const again = await call(`${w.url}/api/accounts`, { headers: w.admin, json: { username: first.username, password: 'secret-pw', algorithm: 'MD5', domain: w.domain } });
      assert.equal(again.status, 422);
      assert.ok(again.body.errors.username);
      const sameEmail = await call(`${w.url}/api/accounts`, { headers: w.admin, json: { username: uniqueName(), password: 'secret-pw', algorithm: 'MD5', domain: w.domain, email: first.body.email } });
      assert.equal(sameEmail.status, 422);
      assert.ok(sameEmail.body.errors.email);
      // Another domain (another tenant) may hold the same username.
      assert.equal((await createAccount(other, { username: first.username })).username, first.username);
    });

    test('a domain no tenant owns is 422; a tenant naming a domain outside its subtree is 403', async () => {
      const unknown = await call(`${w.url}/api/accounts`, { headers: w.admin, json: { username: uniqueName(), password: 'secret-pw', algorithm: 'MD5', domain: 'nowhere.example.org' } });
      assert.equal(unknown.status, 422);
      assert.ok(unknown.body.errors.domain);
      const outside = await call(`${w.url}/api/accounts`, { headers: tenantBasic(w), json: { username: uniqueName(), password: 'secret-pw', algorithm: 'MD5', domain: other.domain } });
      assert.equal(outside.status, 403);
    });

    test('a tenant reaching one domain may omit domain; an admin account (admin: true) administers its own domain only', async () => {
      const byTenant = await call(`${w.url}/api/accounts`, { headers: tenantBasic(w), json: { username: uniqueName(), password: 'secret-pw', algorithm: 'MD5', admin: true, activated: true } });
      assert.equal(byTenant.status, 200);
      assert.equal(byTenant.body.domain, w.domain);
      assert.equal(byTenant.body.admin, true);
      const sipAdmin = { id: byTenant.body.id, username: byTenant.body.username, domain: w.domain, password: 'secret-pw', algorithm: 'MD5' as const, body: byTenant.body };
      const key = await apiKeyOf(w, sipAdmin);

      const made = await call(`${w.url}/api/accounts`, { headers: key, json: { username: uniqueName(), password: 'secret-pw', algorithm: 'SHA-256' } });
      assert.equal(made.status, 200);
      assert.equal(made.body.domain, w.domain);
      const byDigest = await digestCall(w, sipAdmin, `/api/accounts/${made.body.id}`);
      assert.equal(byDigest.status, 200);

      const foreign = await createAccount(other);
      assert.equal((await call(`${w.url}/api/accounts/${foreign.id}`, { headers: key })).status, 404);
      assert.equal((await call(`${w.url}/api/accounts/${foreign.id}/block`, { method: 'POST', headers: key })).status, 404);
      assert.equal((await call(`${w.url}/api/accounts/${foreign.id}`, { method: 'DELETE', headers: key })).status, 404);
      assert.equal((await call(`${w.url}/api/accounts/${foreign.username}@${other.domain}/search`, { headers: key })).status, 404);
      const listed = await call(`${w.url}/api/accounts`, { headers: key });
      assert.ok(listed.body.data.every((a: { domain: string }) => a.domain === w.domain));
      assert.equal((await call(`${w.url}/api/accounts`, { headers: key, json: { username: uniqueName(), password: 'secret-pw', algorithm: 'MD5', domain: other.domain } })).status, 403);
    });

    test('a User (not admin) is refused every Admin endpoint with 403', async () => {
      const user = await createAccount(w);
      const key = await apiKeyOf(w, user);
      assert.equal((await call(`${w.url}/api/accounts`, { headers: key })).status, 403);
      assert.equal((await call(`${w.url}/api/accounts/${user.id}`, { headers: key })).status, 403);
      assert.equal((await call(`${w.url}/api/accounts`, { headers: key, json: { username: uniqueName(), password: 'secret-pw', algorithm: 'MD5' } })).status, 403);
      assert.equal((await call(`${w.url}/api/account_creation_tokens`, { method: 'POST', headers: key })).status, 403);
    });

    test('GET /api/accounts pages by 20 with the upstream pagination fields', async () => {
      const w2 = await world(server);
      for (let i = 0; i < 21; i++) await createAccount(w2);
      const one = await call(`${w.url}/api/accounts`, { headers: tenantBasic(w2) });
      assert.equal(one.status, 200);
      assert.equal(one.body.total, 21);
      assert.equal(one.body.data.length, 20);
      assert.equal(one.body.current_page, 1);
      assert.equal(one.body.last_page, 2);
      assert.equal(one.body.next_page_url, '/api/accounts?page=2');
      const two = await call(`${w.url}/api/accounts?page=2`, { headers: tenantBasic(w2) });
      assert.equal(two.body.data.length, 1);
      assert.equal(two.body.from, 21);
      assert.equal(two.body.prev_page_url, '/api/accounts?page=1');
    });

    test('GET by id, search by SIP address, search by email; 404 when absent', async () => {
      const email = `${uniqueName()}@example.org`;
      const user = await createAccount(w, { email });
      assert.equal((await call(`${w.url}/api/accounts/${user.id}`, { headers: w.admin })).body.username, user.username);
      assert.equal((await call(`${w.url}/api/accounts/sip:${user.username}@${w.domain}/search`, { headers: w.admin })).body.id, user.id);
      assert.equal((await call(`${w.url}/api/accounts/${email}/search-by-email`, { headers: w.admin })).body.id, user.id);
      assert.equal((await call(`${w.url}/api/accounts/999999`, { headers: w.admin })).status, 404);
      assert.equal((await call(`${w.url}/api/accounts/nobody@${w.domain}/search`, { headers: w.admin })).status, 404);
      assert.equal((await call(`${w.url}/api/accounts/nobody@example.org/search-by-email`, { headers: w.admin })).status, 404);
    });

    test('PUT /api/accounts/{id} replaces: password and algorithm required (422), omitted fields are cleared', async () => {
      const user = await createAccount(w, { display_name: 'Old Name', dtmf_protocol: 'sipinfo' });
      const missing = await call(`${w.url}/api/accounts/${user.id}`, { method: 'PUT', headers: w.admin, json: { username: user.username } });
      assert.equal(missing.status, 422);
      assert.ok(missing.body.errors.password && missing.body.errors.algorithm);
      const res = await call(`${w.url}/api/accounts/${user.id}`, { method: 'PUT', headers: w.admin, json: { username: user.username, password: 'another-pw', algorithm: 'MD5', email: `${uniqueName()}@example.org` } });
      assert.equal(res.status, 200);
      assert.equal(res.body.display_name, null);
      assert.equal(res.body.dtmf_protocol, null);
      assert.deepEqual(res.body.passwords, [{ algorithm: 'MD5' }]);
      assert.equal((await digestCall(w, { ...user, password: 'another-pw' }, '/api/accounts/me')).status, 200);
      assert.equal((await call(`${w.url}/api/accounts/999999`, { method: 'PUT', headers: w.admin, json: { username: uniqueName(), password: 'another-pw', algorithm: 'MD5' } })).status, 404);
    });

    test('activate, deactivate, block, unblock and provision answer the account; delete removes it', async () => {
      const user = await createAccount(w, { activated: false });
      assert.equal((await call(`${w.url}/api/accounts/${user.id}/activate`, { method: 'POST', headers: w.admin })).body.activated, true);
      assert.equal((await call(`${w.url}/api/accounts/${user.id}/deactivate`, { method: 'POST', headers: w.admin })).body.activated, false);
      assert.equal((await call(`${w.url}/api/accounts/${user.id}/block`, { method: 'POST', headers: w.admin })).body.blocked, true);
      assert.equal((await call(`${w.url}/api/accounts/${user.id}/unblock`, { method: 'POST', headers: w.admin })).body.blocked, false);
      const provisioned = await call(`${w.url}/api/accounts/${user.id}/provision`, { headers: w.admin });
      assert.equal(provisioned.status, 200);
      assert.notEqual(provisioned.body.provisioning_token, user.body.provisioning_token);
      const deleted = await call(`${w.url}/api/accounts/${user.id}`, { method: 'DELETE', headers: { ...w.admin, 'content-type': 'application/json' } });
      assert.equal(deleted.status, 200);
      assert.equal((await call(`${w.url}/api/accounts/${user.id}`, { headers: w.admin })).status, 404);
      assert.equal((await call(`${w.url}/api/accounts/${user.id}/activate`, { method: 'POST', headers: w.admin })).status, 404);
    });

    test('Admin endpoints without credentials: 422 without From, 401 with a bad API key', async () => {
      assert.equal((await call(`${w.url}/api/accounts`)).status, 422);
      assert.equal((await call(`${w.url}/api/accounts`, { headers: { 'x-api-key': 'gha_nope' } })).status, 401);
    });

    test('an unknown /api path answers 404 in the Flexisip envelope', async () => {
      const res = await call(`${w.url}/api/nothing/here`);
      assert.equal(res.status, 404);
      assert.deepEqual(Object.keys(res.body), ['message']);
      const unreadable = await call(`${w.url}/api/accounts/%zz/info`);
      assert.equal(unreadable.status, 422, 'an unreadable path is a refused input, in the same envelope');
      assert.deepEqual(Object.keys(unreadable.body), ['message', 'errors']);
      assert.equal((await call(`${w.url}/api/ping`)).text, 'pong');
    });
  });
}
