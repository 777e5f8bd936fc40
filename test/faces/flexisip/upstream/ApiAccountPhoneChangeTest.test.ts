/**
 * Port of upstream's tests/Feature/ApiAccountPhoneChangeTest.php (flexisip-account-manager 75599dd).
 * Upstream makes its PhoneChangeCode with a factory; here the account asks for one and reads it from
 * the SMS the outbox holds (upstream's SMS half of testRequest is commented out; this one runs).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, call, startTestServer } from '../../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../../helpers/services.js';
import { type World, outboxTo, world } from '../world.js';
import { member } from './upstream-world.js';

const route = '/api/accounts/me/phone';
let n = 0;
const newPhone = () => `+3364${String(Date.now() + n++).slice(-7)}`;

for (const dialect of DIALECTS) {
  describe(`upstream ApiAccountPhoneChangeTest (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect);
      w = await world(server);
    });
    after(() => server.close());

    /** PhoneChangeCode::factory()->create(): an account with a pending phone change and its code. */
    const phoneChange = async () => {
      const account = await member(w);
      const phone = newPhone();
      assert.equal((await call(`${w.url}${route}/request`, { headers: account.key, json: { phone } })).status, 200);
      const code = /code is (\d{4})/.exec((await outboxTo(w, phone))!.body)![1]!;
      return { account, phone, code };
    };

    test('testRequest', async () => {
      const account = await member(w);
      assert.equal((await call(`${w.url}${route}/request`, { headers: account.key, json: { phone: 'blabla' } })).status, 422);
      assert.equal((await call(`${w.url}${route}/request`, { headers: account.key, json: { phone: newPhone() } })).status, 200);
    });

    test('testConfirmLongCode', async () => {
      const { account } = await phoneChange();
      assert.equal((await call(`${w.url}${route}`, { headers: account.key, json: { code: 'wrong' } })).status, 422);
    });

    test('testConfirmGoodCode', async () => {
      const { account, phone, code } = await phoneChange();
      const before = await call(`${w.url}/api/accounts/me`, { headers: account.key });
      assert.deepEqual([before.status, before.body.phone], [200, null]);
      const confirmed = await call(`${w.url}${route}`, { headers: account.key, json: { code } });
      assert.deepEqual([confirmed.status, confirmed.body.phone], [200, phone]);
      const after_ = await call(`${w.url}/api/accounts/me`, { headers: account.key });
      assert.deepEqual([after_.status, after_.body.phone], [200, phone]);
    });
  });
}
