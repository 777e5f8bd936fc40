import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type TestServer, apiKey, call, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type World, createAccount, digestCall, outboxTo, uniqueName, world } from './world.js';

const PUBLIC_DOMAIN = 'public.sip.example.org';

/** The default registration domain, owned by the world's tenant. */
async function ownPublicDomain(w: World) {
  const res = await call(`${w.url}/admin/tenants/${w.tenant.id}/sip-domains`, { headers: w.admin, json: { domain: PUBLIC_DOMAIN } });
  assert.ok(res.status < 300, res.text);
}

for (const dialect of DIALECTS) {
  describe(`Flexisip tokens, API keys and public accounts (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect, { env: { GATEHOUSE_FLEXISIP_DOMAIN: PUBLIC_DOMAIN } });
      w = await world(server);
      await ownPublicDomain(w);
    });
    after(() => server.close());

    test('request token → validated by an admin → account creation token → an account (201), each token usable once', async () => {
      const request = await call(`${w.url}/api/account_creation_request_tokens`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      assert.equal(request.status, 201);
      assert.ok(request.body.token && request.body.validation_url.includes(request.body.token));

      const early = await call(`${w.url}/api/account_creation_tokens/using-account-creation-request-token`, { json: { account_creation_request_token: request.body.token } });
      assert.equal(early.status, 404, 'not validated yet');
      assert.equal((await call(`${w.url}/api/account_creation_request_tokens/${request.body.token}/validate`, { method: 'POST', headers: w.admin })).status, 200);
      const creation = await call(`${w.url}/api/account_creation_tokens/using-account-creation-request-token`, { json: { account_creation_request_token: request.body.token } });
      assert.equal(creation.status, 201);
      assert.ok(creation.body.token);
      assert.equal((await call(`${w.url}/api/account_creation_tokens/using-account-creation-request-token`, { json: { account_creation_request_token: request.body.token } })).status, 404);
      assert.equal((await call(`${w.url}/api/account_creation_tokens/using-account-creation-request-token`, { json: { account_creation_request_token: 'unknown' } })).status, 404);
      assert.equal((await call(`${w.url}/api/account_creation_tokens/using-account-creation-request-token`, { json: {} })).status, 422);

      const username = uniqueName();
      const created = await call(`${w.url}/api/accounts/with-account-creation-token`, {
        json: { username, password: 'secret-pw', algorithm: 'SHA-256', account_creation_token: creation.body.token, dtmf_protocol: 'sipinfo' },
      });
      assert.equal(created.status, 200);
      assert.equal(created.body.domain, PUBLIC_DOMAIN);
      assert.equal(created.body.dtmf_protocol, 'sipinfo');
      assert.equal((await digestCall(w, { username, domain: PUBLIC_DOMAIN, password: 'secret-pw' }, '/api/accounts/me')).status, 200);

      const reused = await call(`${w.url}/api/accounts/with-account-creation-token`, {
        json: { username: uniqueName(), password: 'secret-pw', algorithm: 'SHA-256', account_creation_token: creation.body.token },
      });
      assert.equal(reused.status, 422);
      assert.ok(reused.body.errors.account_creation_token);
    });

    test('with-account-creation-token validates every field (422)', async () => {
      const res = await call(`${w.url}/api/accounts/with-account-creation-token`, { json: { username: 'abc', password: '1', algorithm: 'sha1', dtmf_protocol: 'x' } });
      assert.equal(res.status, 422);
      for (const field of ['username', 'password', 'algorithm', 'dtmf_protocol', 'account_creation_token']) assert.ok(res.body.errors[field], field);
    });

    test('an admin makes account creation tokens (201); a tenant too', async () => {
      const res = await call(`${w.url}/api/account_creation_tokens`, { method: 'POST', headers: w.admin });
      assert.equal(res.status, 201);
      assert.ok(res.body.token);
      assert.equal((await call(`${w.url}/api/account_creation_tokens`, { method: 'POST', headers: { 'x-api-key': 'gha_bad' } })).status, 401);
    });

    test('send-by-push: the token goes to the outbox; a second send to that device is 403; missing fields 422', async () => {
      const prid = uniqueName('prid');
      const sent = await call(`${w.url}/api/account_creation_tokens/send-by-push`, { json: { pn_provider: 'fcm', pn_param: 'project', pn_prid: prid } });
      assert.equal(sent.status, 200);
      const message = await outboxTo(w, prid);
      assert.equal(message?.channel, 'push');
      const { token } = JSON.parse(message!.body);
      const created = await call(`${w.url}/api/accounts/with-account-creation-token`, { json: { username: uniqueName(), password: 'secret-pw', algorithm: 'MD5', account_creation_token: token } });
      assert.equal(created.status, 200);
      assert.equal((await call(`${w.url}/api/account_creation_tokens/send-by-push`, { json: { pn_provider: 'fcm', pn_param: 'project', pn_prid: prid } })).status, 403);
      const missing = await call(`${w.url}/api/account_creation_tokens/send-by-push`, { json: { pn_provider: 'fcm' } });
      assert.equal(missing.status, 422);
      assert.ok(missing.body.errors.pn_prid && missing.body.errors.pn_param);
    });

    test('auth token: created in public (201), attached by the User, exchanged once for an API key and its cookie', async () => {
      const user = await createAccount(w);
      const auth = await call(`${w.url}/api/accounts/auth_token`, { method: 'POST' });
      assert.equal(auth.status, 201);
      assert.equal((await call(`${w.url}/api/accounts/me/api_key/${auth.body.token}`)).status, 404, 'not attached yet');
      assert.equal((await digestCall(w, user, `/api/accounts/auth_token/${auth.body.token}/attach`)).status, 200);
      assert.equal((await digestCall(w, user, '/api/accounts/auth_token/unknown-token/attach')).status, 404);
      const key = await call(`${w.url}/api/accounts/me/api_key/${auth.body.token}`);
      assert.equal(key.status, 200);
      assert.ok(key.body.api_key);
      assert.match(key.headers.get('set-cookie') ?? '', /x-api-key=/);
      assert.equal((await call(`${w.url}/api/accounts/me/api_key/${auth.body.token}`)).status, 404, 'spent');
      const me = await call(`${w.url}/api/accounts/me`, { headers: apiKey(key.body.api_key) });
      assert.equal(me.body.id, user.id);
      const logs = server.logs.join('');
      assert.ok(!logs.includes(auth.body.token), 'a token in a path is logged by its route pattern only');
      assert.ok(!logs.includes(key.body.api_key));
      assert.ok(logs.includes('/api/accounts/me/api_key/:auth_token'));
    });

    test('validating an unknown request token is 404', async () => {
      assert.equal((await call(`${w.url}/api/account_creation_request_tokens/unknown/validate`, { method: 'POST', headers: w.admin })).status, 404);
    });

    test('GET /api/accounts/me/api_key answers a fresh key as the body and sets the cookie; the cookie authenticates; the previous key stops', async () => {
      const user = await createAccount(w);
      const first = await digestCall(w, user, '/api/accounts/me/api_key');
      assert.equal(first.status, 200);
      const cookie = first.headers.get('set-cookie')!;
      assert.match(cookie, /^x-api-key=/);
      const byCookie = await call(`${w.url}/api/accounts/me`, { headers: { cookie: cookie.split(';')[0]! } });
      assert.equal(byCookie.status, 200);
      assert.equal(byCookie.body.id, user.id);
      const second = await call(`${w.url}/api/accounts/me/api_key`, { headers: apiKey(first.text) });
      assert.equal(second.status, 200);
      assert.equal((await call(`${w.url}/api/accounts/me`, { headers: apiKey(first.text) })).status, 401);
      assert.equal((await call(`${w.url}/api/accounts/me`, { headers: apiKey(second.text) })).status, 200);
    });

    test('GET /api/accounts/{sip}/info answers activated and realm; 404 when unknown', async () => {
      const user = await createAccount(w, { activated: false });
      const res = await call(`${w.url}/api/accounts/sip:${user.username}@${w.domain}/info`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { activated: false, realm: w.domain });
      assert.equal((await call(`${w.url}/api/accounts/nobody@${w.domain}/info`)).status, 404);
    });

    test('the deprecated unsecure endpoints answer 404 while GATEHOUSE_FLEXISIP_DANGEROUS_ENDPOINTS is off', async () => {
      const user = await createAccount(w, { phone: '+33611111111' });
      assert.equal((await call(`${w.url}/api/accounts/public`, { json: { username: uniqueName(), password: 'secret-pw', algorithm: 'MD5', email: 'a@example.org', account_creation_token: 'x' } })).status, 404);
      assert.equal((await call(`${w.url}/api/accounts/+33611111111/info-by-phone`)).status, 404);
      assert.equal((await call(`${w.url}/api/accounts/recover-by-phone`, { json: { phone: '+33611111111', account_creation_token: 'x' } })).status, 404);
      assert.equal((await call(`${w.url}/api/accounts/${user.username}@${w.domain}/recover/1234`)).status, 404);
    });
  });

  describe(`Flexisip deprecated endpoints switched on (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect, { env: { GATEHOUSE_FLEXISIP_DOMAIN: PUBLIC_DOMAIN, GATEHOUSE_FLEXISIP_DANGEROUS_ENDPOINTS: 'true' } });
      w = await world(server);
      await ownPublicDomain(w);
    });
    after(() => server.close());

    const creationToken = async () => (await call(`${w.url}/api/account_creation_tokens`, { method: 'POST', headers: w.admin })).body.token as string;

    test('public creation by email: 200, not activated, the key by email activates it', async () => {
      const email = `${uniqueName()}@example.org`;
      const username = uniqueName();
      const res = await call(`${w.url}/api/accounts/public`, { json: { username, password: 'secret-pw', algorithm: 'SHA-256', email, account_creation_token: await creationToken() } });
      assert.equal(res.status, 200);
      assert.equal(res.body.activated, false);
      const mail = await outboxTo(w, email);
      const key = /code is (\S+)/.exec(mail!.body)![1]!;
      const bad = await call(`${w.url}/api/accounts/${username}@${PUBLIC_DOMAIN}/activate/email`, { json: { confirmation_key: 'short' } });
      assert.equal(bad.status, 422);
      const ok = await call(`${w.url}/api/accounts/${username}@${PUBLIC_DOMAIN}/activate/email`, { json: { confirmation_key: key } });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.activated, true);
    });

    test('public creation by phone: the username is the phone; info-by-phone; activate by phone; 422 on bad input', async () => {
      const phone = `+3361${String(Date.now()).slice(-7)}`;
      const res = await call(`${w.url}/api/accounts/public`, { json: { phone, password: 'secret-pw', algorithm: 'MD5', account_creation_token: await creationToken() } });
      assert.equal(res.status, 200);
      assert.equal(res.body.username, phone);
      const info = await call(`${w.url}/api/accounts/${encodeURIComponent(phone)}/info-by-phone`);
      assert.deepEqual(info.body, { activated: false, realm: PUBLIC_DOMAIN, phone: true });
      assert.equal((await call(`${w.url}/api/accounts/+33699999999/info-by-phone`)).status, 404);
      const sms = await outboxTo(w, phone);
      const pin = /code is (\d{4})/.exec(sms!.body)![1]!;
      const ok = await call(`${w.url}/api/accounts/${encodeURIComponent(phone)}@${PUBLIC_DOMAIN}/activate/phone`, { json: { confirmation_key: pin } });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.activated, true);
      const invalid = await call(`${w.url}/api/accounts/public`, { json: { password: 'secret-pw', algorithm: 'MD5' } });
      assert.equal(invalid.status, 422);
      assert.ok(invalid.body.errors.username && invalid.body.errors.account_creation_token);
    });

    test('recover by phone sends a PIN; recover/{key} activates and answers the hashed password once; 404 for a wrong key or account', async () => {
      const phone = `+3362${String(Date.now()).slice(-7)}`;
      const user = await createAccount(w, { phone, domain: PUBLIC_DOMAIN, algorithm: 'MD5', activated: false });
      assert.equal((await call(`${w.url}/api/accounts/recover-by-phone`, { json: { phone: '+33600000001', account_creation_token: await creationToken() } })).status, 404);
      const sent = await call(`${w.url}/api/accounts/recover-by-phone`, { json: { phone, account_creation_token: await creationToken() } });
      assert.equal(sent.status, 200);
      const pin = /code is (\d{4})/.exec((await outboxTo(w, phone))!.body)![1]!;
      assert.equal((await call(`${w.url}/api/accounts/${user.username}@${PUBLIC_DOMAIN}/recover/0000${pin === '0000' ? '1' : ''}`)).status, 404);
      const recovered = await call(`${w.url}/api/accounts/${user.username}@${PUBLIC_DOMAIN}/recover/${pin}`);
      assert.equal(recovered.status, 200);
      assert.equal(recovered.body.activated, true);
      assert.match(recovered.body.passwords[0].password, /^[0-9a-f]{32}$/);
      assert.equal((await call(`${w.url}/api/accounts/${user.username}@${PUBLIC_DOMAIN}/recover/${pin}`)).status, 404, 'spent');
      assert.equal((await call(`${w.url}/api/accounts/nobody@${PUBLIC_DOMAIN}/recover/${pin}`)).status, 404);
    });
  });

  describe(`send-by-push through the webhook provider (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let hook: Server;
    const received: any[] = [];
    let failing = false;
    before(async () => {
      hook = createServer((req, res) => {
        let body = '';
        req.on('data', (d) => (body += d));
        req.on('end', () => {
          received.push(JSON.parse(body));
          res.statusCode = failing ? 500 : 200;
          res.end();
        });
      });
      await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
      const port = (hook.address() as AddressInfo).port;
      server = await startTestServer(dialect, { env: { GATEHOUSE_FLEXISIP_DOMAIN: PUBLIC_DOMAIN, GATEHOUSE_PUSH_WEBHOOK_URL: `http://127.0.0.1:${port}/push` } });
    });
    after(async () => {
      await server.close();
      hook.close();
    });

    test('the webhook receives the token; a failed delivery is 503; after three attempts the device is refused (403)', async () => {
      const ok = await call(`${server.url}/api/account_creation_tokens/send-by-push`, { json: { pn_provider: 'apns', pn_param: 'team.app', pn_prid: 'device-a' } });
      assert.equal(ok.status, 200);
      assert.equal(received.at(-1).pn_prid, 'device-a');
      assert.ok(received.at(-1).token);
      failing = true;
      for (let i = 0; i < 3; i++) {
        const res = await call(`${server.url}/api/account_creation_tokens/send-by-push`, { json: { pn_provider: 'apns', pn_param: 'team.app', pn_prid: 'device-b' } });
        assert.equal(res.status, 503);
      }
      failing = false;
      assert.equal((await call(`${server.url}/api/account_creation_tokens/send-by-push`, { json: { pn_provider: 'apns', pn_param: 'team.app', pn_prid: 'device-b' } })).status, 403);
    });
  });

  describe(`Flexisip public creation on a default install: no GATEHOUSE_FLEXISIP_DOMAIN (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect);
      w = await world(server);
    });
    after(() => server.close());

    test('the deployment admin\'s token knows its domain: with-account-creation-token without domain opens the account there (200)', async () => {
      const token = await call(`${w.url}/api/account_creation_tokens`, { method: 'POST', headers: w.admin });
      assert.equal(token.status, 201);
      const created = await call(`${w.url}/api/accounts/with-account-creation-token`, { json: { username: uniqueName(), password: 'secret-pw', algorithm: 'SHA-256', account_creation_token: token.body.token } });
      assert.equal(created.status, 200, created.text);
      assert.equal(created.body.domain, w.domain);
    });

    test('a bogus or spent token is answered with the token error, not a domain error', async () => {
      const bogus = await call(`${w.url}/api/accounts/with-account-creation-token`, { json: { username: uniqueName(), password: 'secret-pw', algorithm: 'SHA-256', account_creation_token: 'bogus-token' } });
      assert.equal(bogus.status, 422);
      assert.deepEqual(Object.keys(bogus.body.errors), ['account_creation_token']);
      assert.equal(bogus.body.message, 'The account creation token is invalid or expired.');
      const token = (await call(`${w.url}/api/account_creation_tokens`, { method: 'POST', headers: w.admin })).body.token;
      assert.equal((await call(`${w.url}/api/accounts/with-account-creation-token`, { json: { username: uniqueName(), password: 'secret-pw', algorithm: 'SHA-256', account_creation_token: token } })).status, 200);
      const spent = await call(`${w.url}/api/accounts/with-account-creation-token`, { json: { username: uniqueName(), password: 'secret-pw', algorithm: 'SHA-256', account_creation_token: token } });
      assert.equal(spent.status, 422);
      assert.deepEqual(Object.keys(spent.body.errors), ['account_creation_token']);
    });
  });
}
