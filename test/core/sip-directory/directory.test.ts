import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ICAL from 'ical.js';
import type { Caller } from '../../../src/core/callers.js';
import type { Core } from '../../../src/core/core.js';
import { GatehouseError } from '../../../src/core/errors.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, startTestServer } from '../../helpers/server.js';

const rejectsWith = (promise: Promise<unknown>, code: string, field?: string) =>
  assert.rejects(promise, (err) => err instanceof GatehouseError && err.code === code && (field === undefined || err.field === field));

for (const dialect of DIALECTS) {
  describe(`core.sipDirectory on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let core: Core;
    let tenant: { id: number; sid: string; path: string };
    let other: { id: number; sid: string; path: string };
    let admin: Caller;
    let otherAdmin: Caller;
    let n = 0;
    const sipAccount = async (t = tenant, displayName: string | null = null, dtmf: string | null = null) =>
      (await core.flexisip.adminCreate(tenantCaller(t), {
        username: `user${++n}x`, password: 'secret-password', algorithm: 'SHA-256', domain: t === tenant ? 'sip.example.org' : 'sip.other.org',
        display_name: displayName, dtmf_protocol: dtmf,
      })).account.id;
    const tenantCaller = (t: { id: number; sid: string; path: string }): Caller => ({ tenantId: t.id, tenantSid: t.sid, tenantPath: t.path, accountId: null, role: 'tenant', via: 'basic' });

    before(async () => {
      server = await startTestServer(dialect);
      core = server.runtime.core;
      tenant = (await core.tenants.create(null, { name: 'Voice' })).tenant;
      other = (await core.tenants.create(null, { name: 'Other' })).tenant;
      admin = tenantCaller(tenant);
      otherAdmin = tenantCaller(other);
      await core.tenants.addSipDomain(admin, tenant.id, 'sip.example.org');
      await core.tenants.addSipDomain(otherAdmin, other.id, 'sip.other.org');
    });
    after(() => server.close());

    test('an account sees its own contacts and those of its attached lists, each once', async () => {
      const [me, a, b, c] = [await sipAccount(), await sipAccount(), await sipAccount(), await sipAccount()];
      const d = core.sipDirectory;
      await d.contacts.addContact(admin, me, a);
      const list = await d.contacts.createList(admin, { title: 'Family', description: 'close ones' });
      await d.contacts.addToList(admin, list.id, a);
      await d.contacts.addToList(admin, list.id, b);
      assert.deepEqual((await d.contacts.contactsOf(me)).map((x) => x.id), [a], 'a list counts only once attached');
      await d.contacts.attachList(admin, me, list.id);
      assert.deepEqual((await d.contacts.contactsOf(me)).map((x) => x.id), [a, b]);
      assert.equal((await d.contacts.list(admin, list.id)).contactsCount, 2);
      assert.deepEqual((await d.contacts.ownContacts(admin, me)).map((x) => x.id), [a], 'the admin view lists own contacts');
      const found = await d.contacts.contactOf(me, `sip:user${n - 1}x@sip.example.org`);
      assert.equal(found.id, b);
      await rejectsWith(d.contacts.contactOf(me, `user${n}x@sip.example.org`), 'not_found');
      await d.contacts.detachList(admin, me, list.id);
      assert.deepEqual((await d.contacts.contactsOf(me)).map((x) => x.id), [a]);
      await d.contacts.addToList(admin, list.id, c);
      await d.contacts.attachList(admin, me, list.id);
      await d.contacts.deleteList(admin, list.id);
      assert.deepEqual((await d.contacts.contactsOf(me)).map((x) => x.id), [a], 'a deleted list leaves nothing behind');
    });

    test('adding what is there or removing what is not is forbidden; unknown ids are not found', async () => {
      const [me, a] = [await sipAccount(), await sipAccount()];
      const d = core.sipDirectory.contacts;
      await d.addContact(admin, me, a);
      await rejectsWith(d.addContact(admin, me, a), 'forbidden');
      await d.removeContact(admin, me, a);
      await rejectsWith(d.removeContact(admin, me, a), 'forbidden');
      await rejectsWith(d.addContact(admin, me, 999_999), 'not_found');
      await rejectsWith(d.addContact(admin, 999_999, a), 'not_found');
      const list = await d.createList(admin, { title: 'T', description: 'D' });
      await d.addToList(admin, list.id, a);
      await rejectsWith(d.addToList(admin, list.id, a), 'forbidden');
      await d.removeFromList(admin, list.id, a);
      await rejectsWith(d.removeFromList(admin, list.id, a), 'forbidden');
      await d.attachList(admin, me, list.id);
      await rejectsWith(d.attachList(admin, me, list.id), 'forbidden');
      await d.detachList(admin, me, list.id);
      await rejectsWith(d.detachList(admin, me, list.id), 'forbidden');
      await rejectsWith(d.attachList(admin, me, 999_999), 'not_found');
    });

    test('a list needs a title and a description; an update replaces both', async () => {
      const d = core.sipDirectory.contacts;
      await rejectsWith(d.createList(admin, { description: 'D' }), 'validation', 'title');
      await rejectsWith(d.createList(admin, { title: 'T', description: '  ' }), 'validation', 'description');
      await rejectsWith(d.createList(admin, { title: 5, description: 'D' }), 'validation', 'title');
      const list = await d.createList(admin, { title: 'T', description: 'D' });
      await rejectsWith(d.updateList(admin, list.id, { title: 'T2' }), 'validation', 'description');
      const updated = await d.updateList(admin, list.id, { title: 'T2', description: 'D2' });
      assert.deepEqual([updated.title, updated.description], ['T2', 'D2']);
    });

    test('another tenant neither sees nor touches a tenant\'s lists, types and accounts', async () => {
      const d = core.sipDirectory;
      const [me, a] = [await sipAccount(), await sipAccount()];
      const list = await d.contacts.createList(admin, { title: 'Mine', description: 'D' });
      const type = await d.accountTypes.create(admin, { key: `kind-${n}` });
      assert.ok(!(await d.contacts.lists(otherAdmin)).some((l) => l.id === list.id));
      assert.ok(!(await d.accountTypes.list(otherAdmin)).some((t) => t.id === type.id));
      await rejectsWith(d.contacts.list(otherAdmin, list.id), 'not_found');
      await rejectsWith(d.accountTypes.get(otherAdmin, type.id), 'not_found');
      await rejectsWith(d.contacts.addContact(otherAdmin, me, a), 'not_found');
      await rejectsWith(d.contacts.ownContacts(otherAdmin, me), 'not_found');
      const stranger = await sipAccount(other);
      await rejectsWith(d.contacts.addContact(admin, me, stranger), 'not_found', undefined);
      await rejectsWith(d.contacts.addToList(admin, list.id, stranger), 'not_found');
      await rejectsWith(d.accountTypes.attach(otherAdmin, stranger, type.id), 'not_found');
    });

    test('account type keys are lowercase letters, digits, dashes and underscores, unique in the tenant', async () => {
      const t = core.sipDirectory.accountTypes;
      for (const key of ['Phone', 'door bell', '', 'é', 'x'.repeat(65)]) await rejectsWith(t.create(admin, { key }), 'validation', 'key');
      await rejectsWith(t.create(admin, {}), 'validation', 'key');
      const phone = await t.create(admin, { key: 'phone-2_b' });
      await rejectsWith(t.create(admin, { key: 'phone-2_b' }), 'validation', 'key');
      await t.create(otherAdmin, { key: 'phone-2_b' });
      const bell = await t.create(admin, { key: 'bell' });
      await rejectsWith(t.update(admin, bell.id, { key: 'phone-2_b' }), 'validation', 'key');
      assert.equal((await t.update(admin, bell.id, { key: 'door-bell' })).key, 'door-bell');
      const me = await sipAccount();
      await t.attach(admin, me, phone.id);
      await rejectsWith(t.attach(admin, me, phone.id), 'forbidden');
      assert.deepEqual((await t.ofAccounts([me])).map((x) => x.type.key), ['phone-2_b']);
      await t.detach(admin, me, phone.id);
      await rejectsWith(t.detach(admin, me, phone.id), 'forbidden');
      await t.remove(admin, bell.id);
      await rejectsWith(t.get(admin, bell.id), 'not_found');
    });

    test('actions are forbidden while the account has no DTMF protocol', async () => {
      const me = await sipAccount();
      const a = core.sipDirectory.actions;
      await rejectsWith(a.list(admin, me), 'forbidden');
      await rejectsWith(a.create(admin, me, { key: 'open', code: '12' }), 'forbidden');
      await rejectsWith(a.get(admin, me, 1), 'forbidden');
      await rejectsWith(a.list(admin, 999_999), 'not_found');
    });

    test('actions: keys lowercase with dashes, codes lowercase alphanumeric, replaced by an update, gone once deleted', async () => {
      const me = await sipAccount(tenant, null, 'sipinfo');
      const a = core.sipDirectory.actions;
      for (const key of ['Open', 'open door', '', 'é']) await rejectsWith(a.create(admin, me, { key, code: '12' }), 'validation', 'key');
      for (const code of ['A1', '1-2', '', '#']) await rejectsWith(a.create(admin, me, { key: 'open', code }), 'validation', 'code');
      const action = await a.create(admin, me, { key: 'open-door_1', code: 'abc123' });
      assert.deepEqual(await a.list(admin, me), [action]);
      assert.deepEqual(await a.get(admin, me, action.id), action);
      await rejectsWith(a.update(admin, me, action.id, { key: 'light' }), 'validation', 'code');
      const updated = await a.update(admin, me, action.id, { key: 'light', code: '9' });
      assert.deepEqual([updated.key, updated.code], ['light', '9']);
      await rejectsWith(a.get(otherAdmin, me, action.id), 'not_found');
      const stranger = await sipAccount(tenant, null, 'rfc2833');
      await rejectsWith(a.get(admin, stranger, action.id), 'not_found', undefined);
      await a.remove(admin, me, action.id);
      await rejectsWith(a.get(admin, me, action.id), 'not_found');
      const vcards = await core.sipDirectory.vcardOf(stranger, `sip:user${n}x@sip.example.org`).catch((e) => e);
      assert.ok(vcards instanceof GatehouseError, 'an account is not its own contact');
    });

    test('a SIP user is no admin: every directory function is forbidden to it', async () => {
      const me = await sipAccount();
      const user: Caller = { ...admin, accountId: me, role: 'sip', via: 'api_key' };
      const d = core.sipDirectory;
      await rejectsWith(d.contacts.lists(user), 'forbidden');
      await rejectsWith(d.contacts.createList(user, { title: 'T', description: 'D' }), 'forbidden');
      await rejectsWith(d.accountTypes.list(user), 'forbidden');
      await rejectsWith(d.contacts.ownContacts(user, me), 'forbidden');
      await rejectsWith(d.dictionary.entries(user, me), 'forbidden');
      await rejectsWith(core.sipStatistics.compiled(user, {}), 'forbidden');
    });

    test('the dictionary: set creates then replaces, value required, delete removes, shown with the account', async () => {
      const me = await sipAccount();
      const dict = core.sipDirectory.dictionary;
      assert.deepEqual(await dict.entries(admin, me), {});
      assert.equal(await dict.set(admin, me, 'foo', 'bar'), true);
      assert.equal(await dict.set(admin, me, 'foo', 'yop'), false);
      assert.equal(await dict.set(admin, me, 'waza', 'yop'), true);
      await rejectsWith(dict.set(admin, me, 'x', ''), 'validation', 'value');
      await rejectsWith(dict.set(admin, me, 'x', 3), 'validation', 'value');
      assert.deepEqual(await dict.entries(admin, me), { foo: 'yop', waza: 'yop' });
      assert.deepEqual((await core.flexisip.adminGet(admin, me)).account.dictionary, { foo: 'yop', waza: 'yop' });
      await dict.remove(admin, me, 'foo');
      await rejectsWith(dict.remove(admin, me, 'foo'), 'not_found');
      await rejectsWith(dict.entries(otherAdmin, me), 'not_found');
      assert.deepEqual(await dict.entries(admin, me), { waza: 'yop' });
    });

    test('the vCards of an account\'s contacts carry their display names and types, parsed by ical.js', async () => {
      const d = core.sipDirectory;
      const me = await sipAccount();
      const a = await sipAccount(tenant, 'Ada, Lovelace');
      const b = await sipAccount();
      const bAddress = `sip:user${n}x@sip.example.org`;
      await d.contacts.addContact(admin, me, a);
      await d.contacts.addContact(admin, me, b);
      const type = await d.accountTypes.create(admin, { key: `phone${n}` });
      await d.accountTypes.attach(admin, a, type.id);
      const text = await d.vcardsOf(me);
      const cards = (ICAL.parse(text) as unknown[]).map((j) => new ICAL.Component(j as any));
      assert.equal(cards.length, 2);
      assert.equal(cards[0]!.getFirstPropertyValue('fn'), 'Ada, Lovelace');
      assert.equal(cards[0]!.getFirstPropertyValue('x-linphone-account-type'), `phone${n}`);
      assert.equal(cards[1]!.getFirstPropertyValue('impp'), bAddress);
      const one = await d.vcardOf(me, bAddress);
      assert.match(one, /^BEGIN:VCARD\r\nVERSION:4\.0\r\nKIND:individual\r\nIMPP:sip:user\d+x@sip\.example\.org\r\n/);
      assert.ok(one.includes(bAddress));
      await rejectsWith(d.vcardOf(me, `sip:user${me}nobody@sip.example.org`), 'not_found');
    });

    test('deleting an account removes it from every contacts view', async () => {
      const d = core.sipDirectory.contacts;
      const [me, a] = [await sipAccount(), await sipAccount()];
      await d.addContact(admin, me, a);
      const list = await d.createList(admin, { title: 'T', description: 'D' });
      await d.addToList(admin, list.id, a);
      await server.runtime.storage.db.deleteFrom('accounts').where('id', '=', a).execute();
      assert.deepEqual(await d.contactsOf(me), []);
      assert.equal((await d.list(admin, list.id)).contactsCount, 0);
    });
  });
}
