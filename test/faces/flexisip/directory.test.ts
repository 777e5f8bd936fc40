import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ICAL from 'ical.js';
import { type TestServer, call, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type SipUser, type World, apiKeyOf, createAccount, digestCall, world } from './world.js';

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

for (const dialect of DIALECTS) {
  describe(`Flexisip contacts, lists, types, actions, dictionary and vCard (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    let other: World;
    const api = (path: string, init: { method?: string; json?: unknown; headers?: Record<string, string> } = {}) =>
      call(`${w.url}/api${path}`, { method: init.method, json: init.json, headers: { ...JSON_HEADERS, ...(init.headers ?? w.admin) } });
    before(async () => {
      server = await startTestServer(dialect);
      w = await world(server);
      other = await world(server);
    });
    after(() => server.close());

    test('contacts: add 200, again 403, list, one by id, remove 200, again 403; unknown 404; a user is refused 403; no credentials 422 or 401', async () => {
      const [me, a] = [await createAccount(w), await createAccount(w)];
      assert.equal((await api(`/accounts/${me.id}/contacts/${a.id}`, { method: 'POST' })).status, 200);
      assert.equal((await api(`/accounts/${me.id}/contacts/${a.id}`, { method: 'POST' })).status, 403);
      const listed = await api(`/accounts/${me.id}/contacts`);
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body, [{ id: a.id, username: a.username, domain: w.domain, activated: true, dtmf_protocol: null, display_name: null }]);
      assert.equal((await api(`/accounts/${me.id}/contacts/${a.id}`)).body.username, a.username);
      assert.equal((await api(`/accounts/${me.id}/contacts/${me.id}`)).status, 404);
      assert.equal((await api(`/accounts/${me.id}/contacts/999999`, { method: 'POST' })).status, 404);
      assert.equal((await api(`/accounts/999999/contacts`)).status, 404);
      const userKey = await apiKeyOf(w, me);
      assert.equal((await api(`/accounts/${me.id}/contacts`, { headers: userKey })).status, 403);
      assert.equal((await call(`${w.url}/api/accounts/${me.id}/contacts`, { headers: JSON_HEADERS })).status, 422, 'no credentials and no From to start Digest');
      const challenged = await call(`${w.url}/api/accounts/${me.id}/contacts`, { headers: { ...JSON_HEADERS, from: `sip:${me.username}@${w.domain}` } });
      assert.equal(challenged.status, 401);
      assert.equal((await api(`/accounts/${me.id}/contacts/${a.id}`, { method: 'DELETE' })).status, 200);
      assert.equal((await api(`/accounts/${me.id}/contacts/${a.id}`, { method: 'DELETE' })).status, 403);
      assert.equal((await api(`/accounts/abc/contacts`)).status, 422);
    });

    test('another domain\'s admin gets 404 for this domain\'s accounts, lists and types', async () => {
      const [me, a] = [await createAccount(w), await createAccount(w)];
      const list = (await api('/contacts_lists', { json: { title: 'T', description: 'D' } })).body;
      const type = (await api('/account_types', { json: { key: `k${me.id}` } })).body;
      const stranger = other.admin === w.admin ? null : await createAccount(other);
      const otherTenant = { authorization: `Basic ${Buffer.from(`${other.tenant.sid}:${other.tenant.authToken}`).toString('base64')}` };
      assert.equal((await api(`/accounts/${me.id}/contacts/${a.id}`, { method: 'POST', headers: otherTenant })).status, 404);
      assert.equal((await api(`/contacts_lists/${list.id}`, { headers: otherTenant })).status, 404);
      assert.equal((await api(`/account_types/${type.id}`, { headers: otherTenant })).status, 404);
      assert.equal((await api(`/accounts/${me.id}/dictionary`, { headers: otherTenant })).status, 404);
      const tenantOwn = { authorization: `Basic ${Buffer.from(`${w.tenant.sid}:${w.tenant.authToken}`).toString('base64')}` };
      assert.equal((await api(`/accounts/${me.id}/contacts/${stranger!.id}`, { method: 'POST', headers: tenantOwn })).status, 404);
    });

    test('GET /accounts/me/contacts: own plus attached lists\', once each; /{sip} finds one or 404', async () => {
      const [me, a, b] = [await createAccount(w), await createAccount(w), await createAccount(w)];
      await api(`/accounts/${me.id}/contacts/${a.id}`, { method: 'POST' });
      const list = (await api('/contacts_lists', { json: { title: 'Team', description: 'the team' } })).body;
      assert.equal((await api(`/contacts_lists/${list.id}/contacts/${a.id}`, { method: 'POST' })).status, 200);
      assert.equal((await api(`/contacts_lists/${list.id}/contacts/${b.id}`, { method: 'POST' })).status, 200);
      assert.equal((await api(`/accounts/${me.id}/contacts_lists/${list.id}`, { method: 'POST' })).status, 200);
      assert.equal((await api(`/accounts/${me.id}/contacts_lists/${list.id}`, { method: 'POST' })).status, 403);
      const key = await apiKeyOf(w, me);
      const mine = await api('/accounts/me/contacts', { headers: key });
      assert.equal(mine.status, 200);
      assert.deepEqual(mine.body.map((c: any) => c.id), [a.id, b.id]);
      const one = await api(`/accounts/me/contacts/sip:${b.username}@${w.domain}`, { headers: key });
      assert.equal(one.status, 200);
      assert.equal(one.body.id, b.id);
      assert.equal((await api(`/accounts/me/contacts/${b.username}@${w.domain}`, { headers: key })).body.id, b.id);
      assert.equal((await api(`/accounts/me/contacts/nobody@${w.domain}`, { headers: key })).status, 404);
      const byDigest = await digestCall(w, me, '/api/accounts/me/contacts');
      assert.equal(byDigest.status, 200);
      assert.equal(byDigest.body.length, 2);
      assert.equal((await call(`${w.url}/api/accounts/me/contacts`, { headers: { ...JSON_HEADERS, 'x-api-key': 'gha_nope' } })).status, 401);
      assert.equal((await api(`/accounts/${me.id}/contacts_lists/${list.id}`, { method: 'DELETE' })).status, 200);
      assert.equal((await api(`/accounts/${me.id}/contacts_lists/${list.id}`, { method: 'DELETE' })).status, 403);
      assert.deepEqual((await api('/accounts/me/contacts', { headers: key })).body.map((c: any) => c.id), [a.id]);
    });

    test('contacts lists: create 201, title and description required 422, read, replace, members 403 twice, delete, then 404', async () => {
      const created = await api('/contacts_lists', { json: { title: 'Family', description: 'close ones' } });
      assert.equal(created.status, 201);
      assert.deepEqual(Object.keys(created.body).sort(), ['contacts_count', 'created_at', 'description', 'id', 'title', 'updated_at']);
      assert.equal(created.body.contacts_count, 0);
      const missing = await api('/contacts_lists', { json: { title: 'Family' } });
      assert.equal(missing.status, 422);
      assert.deepEqual(Object.keys(missing.body.errors), ['description']);
      assert.equal((await api('/contacts_lists', { json: { description: 'x' } })).body.errors.title.length, 1);
      const id = created.body.id;
      assert.equal((await api(`/contacts_lists/${id}`)).body.title, 'Family');
      assert.ok((await api('/contacts_lists')).body.some((l: any) => l.id === id));
      assert.equal((await api(`/contacts_lists/${id}`, { method: 'PUT', json: { title: 'Kin' } })).status, 422);
      const replaced = await api(`/contacts_lists/${id}`, { method: 'PUT', json: { title: 'Kin', description: 'all' } });
      assert.deepEqual([replaced.status, replaced.body.title, replaced.body.description], [200, 'Kin', 'all']);
      const a = await createAccount(w);
      assert.equal((await api(`/contacts_lists/${id}/contacts/${a.id}`, { method: 'POST' })).status, 200);
      assert.equal((await api(`/contacts_lists/${id}/contacts/${a.id}`, { method: 'POST' })).status, 403);
      assert.equal((await api(`/contacts_lists/${id}`)).body.contacts_count, 1);
      assert.equal((await api(`/contacts_lists/${id}/contacts/${a.id}`, { method: 'DELETE' })).status, 200);
      assert.equal((await api(`/contacts_lists/${id}/contacts/${a.id}`, { method: 'DELETE' })).status, 403);
      assert.equal((await api(`/contacts_lists/${id}`, { method: 'DELETE' })).status, 200);
      assert.equal((await api(`/contacts_lists/${id}`)).status, 404);
      assert.equal((await api(`/contacts_lists/${id}`, { method: 'DELETE' })).status, 404);
      assert.equal((await api('/contacts_lists', { headers: await apiKeyOf(w, a) })).status, 403);
    });

    test('account types: create 201, key rule and uniqueness 422, read, update, attach 403 twice, detach by /types/, delete 404 after', async () => {
      const key = `phone-${Date.now().toString(36)}`;
      const created = await api('/account_types', { json: { key } });
      assert.equal(created.status, 201);
      assert.deepEqual(created.body, { id: created.body.id, key });
      assert.equal((await api('/account_types', { json: { key } })).status, 422);
      for (const bad of ['Phone', 'a b', '']) assert.deepEqual(Object.keys((await api('/account_types', { json: { key: bad } })).body.errors), ['key']);
      const id = created.body.id;
      assert.equal((await api(`/account_types/${id}`)).body.key, key);
      assert.ok((await api('/account_types')).body.some((t: any) => t.id === id));
      assert.equal((await api(`/account_types/${id}`, { method: 'PUT', json: { key: `${key}-2` } })).body.key, `${key}-2`);
      assert.equal((await api(`/account_types/${id}`, { method: 'PUT', json: { key: 'UP' } })).status, 422);
      const a = await createAccount(w);
      assert.equal((await api(`/accounts/${a.id}/types/${id}`, { method: 'POST' })).status, 200);
      assert.equal((await api(`/accounts/${a.id}/types/${id}`, { method: 'POST' })).status, 403);
      assert.equal((await api(`/accounts/${a.id}/types/999999`, { method: 'DELETE' })).status, 403);
      assert.equal((await api(`/accounts/${a.id}/types/${id}`, { method: 'DELETE' })).status, 200);
      assert.equal((await api(`/accounts/${a.id}/types/${id}`, { method: 'DELETE' })).status, 403);
      assert.equal((await api(`/accounts/${a.id}/types/999999`, { method: 'POST' })).status, 404);
      assert.equal((await api(`/account_types/${id}`, { method: 'DELETE' })).status, 200);
      assert.equal((await api(`/account_types/${id}`)).status, 404);
    });

    test('actions: 403 without a DTMF protocol; create 201 (trailing slash too), 422 on key and code, read, replace, delete', async () => {
      const plain = await createAccount(w);
      assert.equal((await api(`/accounts/${plain.id}/actions`)).status, 403);
      assert.equal((await api(`/accounts/${plain.id}/actions`, { json: { key: 'open', code: '1' } })).status, 403);
      const a = await createAccount(w, { dtmf_protocol: 'sipinfo' });
      const created = await api(`/accounts/${a.id}/actions/`, { json: { key: 'open-door', code: '123' } });
      assert.equal(created.status, 201);
      assert.deepEqual(created.body, { id: created.body.id, key: 'open-door', code: '123' });
      assert.equal((await api(`/accounts/${a.id}/actions`, { json: { key: 'light', code: '9' } })).status, 201);
      const bad = await api(`/accounts/${a.id}/actions`, { json: { key: 'Open', code: 'A#' } });
      assert.equal(bad.status, 422);
      assert.deepEqual(Object.keys(bad.body.errors), ['key']);
      assert.deepEqual(Object.keys((await api(`/accounts/${a.id}/actions`, { json: { key: 'ok' } })).body.errors), ['code']);
      const id = created.body.id;
      assert.equal((await api(`/accounts/${a.id}/actions`)).body.length, 2);
      assert.deepEqual((await api(`/accounts/${a.id}/actions/${id}`)).body, created.body);
      const replaced = await api(`/accounts/${a.id}/actions/${id}`, { method: 'PUT', json: { key: 'gate', code: '77' } });
      assert.deepEqual(replaced.body, { id, key: 'gate', code: '77' });
      assert.equal((await api(`/accounts/${a.id}/actions/${id}`, { method: 'DELETE' })).status, 200);
      assert.equal((await api(`/accounts/${a.id}/actions/${id}`)).status, 404);
      assert.equal((await api(`/accounts/${plain.id}/actions/${id}`)).status, 403);
      assert.equal((await api(`/accounts/999999/actions`)).status, 404);
    });

    test('dictionary: 201 then 200, value required 422, listed and shown with the account, deleted 200 then 404', async () => {
      const a = await createAccount(w, { dictionary: { initial: 'one' } });
      assert.deepEqual((await api(`/accounts/${a.id}/dictionary`)).body, { initial: 'one' });
      const first = await api(`/accounts/${a.id}/dictionary/foo`, { json: { value: 'bar' } });
      assert.deepEqual([first.status, first.body], [201, { value: 'bar' }]);
      assert.equal((await api(`/accounts/${a.id}/dictionary/foo`, { json: { value: 'yop' } })).status, 200);
      const missing = await api(`/accounts/${a.id}/dictionary/foo`, { json: {} });
      assert.deepEqual([missing.status, Object.keys(missing.body.errors)], [422, ['value']]);
      assert.deepEqual((await api(`/accounts/${a.id}/dictionary`)).body, { foo: 'yop', initial: 'one' });
      assert.deepEqual((await api(`/accounts/${a.id}`)).body.dictionary, { foo: 'yop', initial: 'one' });
      assert.equal((await api(`/accounts/${a.id}/dictionary/foo`, { method: 'DELETE' })).status, 200);
      assert.equal((await api(`/accounts/${a.id}/dictionary/foo`, { method: 'DELETE' })).status, 404);
      assert.equal((await api(`/accounts/999999/dictionary`)).status, 404);
    });

    test('POST /api/messages without a SIP proxy: 503 once the input is valid, 422 naming a missing field before that', async () => {
      const a = await createAccount(w);
      const noProxy = await api('/messages', { json: { to: `${a.username}@${w.domain}`, body: 'hello' } });
      assert.equal(noProxy.status, 503);
      assert.match(noProxy.body.message, /GATEHOUSE_SIP_PROXY/);
      assert.deepEqual(Object.keys((await api('/messages', { json: { body: 'hello' } })).body.errors), ['to']);
      assert.deepEqual(Object.keys((await api('/messages', { json: { to: 'not an address', body: 'hello' } })).body.errors), ['to']);
      assert.equal((await api('/messages', { json: { to: `${a.username}@${w.domain}` } })).status, 422);
    });

    test('a display_name holding U+0085, U+2028 or another control character is stored, but never emitted raw into a vCard (issue 22)', async () => {
      const me = await createAccount(w);
      const name = 'Eve\u0085BEGIN:VCARD\u2028FN:Mallory\u001b\u009f';
      const eve = await createAccount(w, { display_name: name });
      assert.equal((await api(`/accounts/${eve.id}`)).body.display_name, name);
      await api(`/accounts/${me.id}/contacts/${eve.id}`, { method: 'POST' });
      const key = await apiKeyOf(w, me);
      for (const path of ['/contacts/vcard', `/contacts/vcard/sip:${eve.username}@${w.domain}`]) {
        const res = await call(`${w.url}${path}`, { headers: key });
        assert.equal(res.status, 200, res.text);
        assert.doesNotMatch(res.text.replace(/\r\n/g, ''), /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/, path);
        assert.match(res.text, /\r\nFN:EveBEGIN:VCARDFN:Mallory\r\n/);
        assert.equal((res.text.match(/^BEGIN:VCARD/gm) ?? []).length, 1);
      }
    });

    test('GET /contacts/vcard and /contacts/vcard/{sip}: text/vcard that ical.js reads, with DTMF, types and actions', async () => {
      const me = await createAccount(w);
      const door = await createAccount(w, { dtmf_protocol: 'sipinfo', display_name: 'Front door, main' });
      const plain: SipUser = await createAccount(w);
      await api(`/accounts/${me.id}/contacts/${door.id}`, { method: 'POST' });
      await api(`/accounts/${me.id}/contacts/${plain.id}`, { method: 'POST' });
      const type = (await api('/account_types', { json: { key: `door-${door.id}` } })).body;
      await api(`/accounts/${door.id}/types/${type.id}`, { method: 'POST' });
      await api(`/accounts/${door.id}/actions`, { json: { key: 'open', code: '123' } });
      const key = await apiKeyOf(w, me);
      const res = await call(`${w.url}/contacts/vcard`, { headers: key });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/vcard/);
      const cards = (ICAL.parse(res.text) as unknown[]).map((j) => new ICAL.Component(j as any));
      assert.equal(cards.length, 2);
      assert.equal(cards[0]!.getFirstPropertyValue('fn'), 'Front door, main');
      assert.equal(cards[0]!.getFirstPropertyValue('impp'), `sip:${door.username}@${w.domain}`);
      assert.equal(cards[0]!.getFirstPropertyValue('x-linphone-account-dtmf-protocol'), 'sipinfo');
      assert.equal(cards[0]!.getFirstPropertyValue('x-linphone-account-type'), `door-${door.id}`);
      assert.equal(cards[0]!.getFirstProperty('x-linphone-account-action')!.toICALString(), 'X-LINPHONE-ACCOUNT-ACTION:open;123');
      assert.equal(cards[1]!.getFirstPropertyValue('fn'), `${plain.username}@${w.domain}`);
      const one = await call(`${w.url}/contacts/vcard/sip:${plain.username}@${w.domain}`, { headers: key });
      assert.equal(one.status, 200);
      assert.equal(new ICAL.Component(ICAL.parse(one.text) as any).getFirstPropertyValue('impp'), `sip:${plain.username}@${w.domain}`);
      const none = await call(`${w.url}/contacts/vcard/sip:nobody@${w.domain}`, { headers: key });
      assert.equal(none.status, 404);
      assert.equal(typeof none.body.message, 'string');
      const challenge = await call(`${w.url}/contacts/vcard`, { headers: { from: `sip:${me.username}@${w.domain}` } });
      assert.equal(challenge.status, 401);
      assert.match(challenge.headers.get('www-authenticate') ?? '', /^Digest /);
      const byDigest = await digestCall(w, me, '/contacts/vcard');
      assert.equal(byDigest.status, 200);
      assert.match(byDigest.text, /^BEGIN:VCARD\r\n/);
      assert.equal((await call(`${w.url}/contacts/vcard`, { headers: w.admin })).status, 403, 'the deployment admin has no contacts');
    });
  });
}
