/**
 * Port of upstream's tests/Feature/ApiAccountCreationTokenTest.php (flexisip-account-manager 75599dd):
 * the same scenarios and assertions, on a default install (no GATEHOUSE_FLEXISIP_DOMAIN) whose only
 * SIP domain stands for upstream's configured app.sip_domain.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type TestServer, call, startTestServer } from '../../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../../helpers/services.js';
import { type World, outboxTo, uniqueName, world } from '../world.js';
import { adminMember, db } from './upstream-world.js';

const tokenRoute = '/api/account_creation_tokens/send-by-push';
const tokenRequestRoute = '/api/account_creation_request_tokens';
const tokenUsingCreationTokenRoute = '/api/account_creation_tokens/using-account-creation-request-token';
const accountRoute = '/api/accounts/with-account-creation-token';
const adminRoute = '/api/account_creation_tokens';
const hash = (token: string) => createHash('sha256').update(token).digest('hex');

for (const dialect of DIALECTS) {
  describe(`upstream ApiAccountCreationTokenTest (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect, { env: { GATEHOUSE_FLEXISIP_BLACKLISTED_USERNAMES: 'foobar,blacklisted,username-.*' } });
      w = await world(server);
    });
    after(() => server.close());

    /** An admin's token (upstream's AccountCreationToken::factory()->create()). */
    const adminToken = async () => {
      const admin = await adminMember(w);
      const res = await call(`${w.url}${adminRoute}`, { method: 'POST', headers: admin.key });
      assert.equal(res.status, 201, res.text);
      return res.body.token as string;
    };

    test('testCorrectParameters', async () => {
      // Upstream has no push client configured in its tests and answers 503; Gatehouse always has one (the
      // outbox by default), so the send succeeds and one token is stored for that device.
      const prid = uniqueName('prid');
      const res = await call(`${w.url}${tokenRoute}`, { json: { pn_provider: 'provider', pn_param: 'param', pn_prid: prid } });
      assert.equal(res.status, 200);
      const rows = await db(server).selectFrom('sip_tokens').select('id').where('pn_prid', '=', prid).execute();
      assert.equal(rows.length, 1);
    });

    test('testMandatoryParameters', async () => {
      assert.equal((await call(`${w.url}${tokenRoute}`, { method: 'POST' })).status, 422);
      assert.equal((await call(`${w.url}${tokenRoute}`, { json: { pn_provider: null, pn_param: null, pn_prid: null } })).status, 422);
    });

    test('testThrottling', async () => {
      // specs/README.md overrides upstream's 503/429 here: a second send-by-push for a device after a
      // successful one answers 403.
      const prid = uniqueName('prid');
      assert.equal((await call(`${w.url}${tokenRoute}`, { json: { pn_provider: 'provider', pn_param: 'param', pn_prid: prid } })).status, 200);
      assert.ok(await outboxTo(w, prid));
      assert.equal((await call(`${w.url}${tokenRoute}`, { json: { pn_provider: 'provider', pn_param: 'param', pn_prid: prid } })).status, 403);
    });

    test('testAdminEndpoint', async () => {
      const token = await adminToken();
      // Only the token's SHA-256 is stored (DESIGN.md), so assertDatabaseHas looks for its hash.
      assert.ok(await db(server).selectFrom('sip_tokens').select('id').where('token_hash', '=', hash(token)).executeTakeFirst());
    });

    test('testInvalidToken', async () => {
      const token = await adminToken();
      // specs/README.md: passwords of at least 6 characters (upstream's test uses '123').
      const body = { username: 'username', algorithm: 'SHA-256', password: 'secret-pw' };
      const invalid = await call(`${w.url}${accountRoute}`, { json: { ...body, account_creation_token: '0123456789abc' } });
      assert.equal(invalid.status, 422);
      assert.deepEqual(Object.keys(invalid.body.errors), ['account_creation_token'], 'the token error, never a domain error');

      const valid = await call(`${w.url}${accountRoute}`, { json: { ...body, account_creation_token: token } });
      assert.equal(valid.status, 200, valid.text);
      assert.equal(valid.body.domain, w.domain, 'the token knows its domain');

      const spent = await call(`${w.url}${accountRoute}`, { json: { ...body, username: 'username2', account_creation_token: token } });
      assert.equal(spent.status, 422);
      assert.deepEqual(Object.keys(spent.body.errors), ['account_creation_token']);

      const row = await db(server).selectFrom('sip_tokens').select(['used_at', 'account_id']).where('token_hash', '=', hash(token)).executeTakeFirstOrThrow();
      assert.notEqual(row.used_at, null);
      assert.equal(Number(row.account_id), valid.body.id);
    });

    test('testBlacklistedUsername', async () => {
      // Upstream sets app.blacklisted_usernames in the test; here the server starts with the same list in
      // GATEHOUSE_FLEXISIP_BLACKLISTED_USERNAMES. Passwords are 6 characters at least (specs/README.md).
      const token = await adminToken();
      const create = (username: string) => call(`${w.url}${accountRoute}`, { json: { username, algorithm: 'SHA-256', password: 'secret-pw', account_creation_token: token } });
      for (const username of ['blacklisted', 'username-gnap']) {
        const refused = await create(username);
        assert.deepEqual([refused.status, Object.keys(refused.body.errors ?? {})], [422, ['username']], username);
      }
      const res = await create('valid-username');
      assert.equal(res.status, 200, res.text);
    });

    test('testAccountCreationRequestToken', async () => {
      const response = await call(`${w.url}${tokenRequestRoute}`, { method: 'POST' });
      assert.equal(response.status, 201);
      const creationRequestToken = response.body.token as string;
      assert.ok(response.body.validation_url.endsWith(`/${creationRequestToken}`) || response.body.validation_url.includes(`/${creationRequestToken}/`), response.body.validation_url);

      // Upstream validates in the database; here an admin validates through the API.
      assert.equal((await call(`${w.url}/api/account_creation_request_tokens/${creationRequestToken}/validate`, { method: 'POST', headers: w.admin })).status, 200);
      const created = await call(`${w.url}${tokenUsingCreationTokenRoute}`, { json: { account_creation_request_token: creationRequestToken } });
      assert.equal(created.status, 201);
      const creationToken = created.body.token as string;

      const request = await db(server).selectFrom('sip_tokens').select(['id', 'used_at']).where('token_hash', '=', hash(creationRequestToken)).executeTakeFirstOrThrow();
      assert.notEqual(request.used_at, null);
      assert.ok(await db(server).selectFrom('sip_tokens').select('id').where('token_hash', '=', hash(creationToken)).executeTakeFirst());
    });
  });
}
