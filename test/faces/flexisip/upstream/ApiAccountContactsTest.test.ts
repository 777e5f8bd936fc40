/**
 * Port of upstream's tests/Feature/ApiAccountContactsTest.php (flexisip-account-manager 75599dd).
 * Upstream counts rows of one database; here the counts are the accounts' own rows. The identifier
 * upstream puts in paths is user@domain, as here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, call, startTestServer } from '../../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../../helpers/services.js';
import { type World, world } from '../world.js';
import { adminMember, member } from './upstream-world.js';

const route = '/api/accounts';

for (const dialect of DIALECTS) {
  describe(`upstream ApiAccountContactsTest (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect);
      w = await world(server);
    });
    after(() => server.close());

    test('testCreate', async () => {
      const [p1, p2, p3] = [await member(w, { display_name: 'One', dtmf_protocol: 'sipinfo' }), await member(w, { display_name: 'Two', dtmf_protocol: 'rfc2833' }), await member(w, { display_name: 'Three', dtmf_protocol: 'sipinfo' })];
      const admin = await adminMember(w, { display_name: 'Admin' });
      const as = (headers: Record<string, string>, path: string, method = 'GET', json?: unknown) => call(`${w.url}${path}`, { method, headers, ...(json !== undefined && { json }) });
      const contactsOf = async (id: number) => (await server.runtime.storage.db.selectFrom('sip_contacts').select('contact_id').where('account_id', '=', id).execute()).length;
      const id2 = `${p2.username}@${p2.domain}`;

      assert.equal((await as(admin.key, `${route}/${p1.id}/contacts/${p2.id}`, 'POST')).status, 200);
      assert.equal(await contactsOf(p1.id), 1);
      assert.equal((await as(admin.key, `${route}/${p1.id}/contacts/${p3.id}`, 'POST')).status, 200);
      assert.equal(await contactsOf(p1.id), 2);
      // Type and action.
      const type = await as(admin.key, '/api/account_types', 'POST', { key: 'phone' });
      assert.equal(type.status, 201);
      assert.equal((await as(admin.key, `${route}/${p2.id}/types/${type.body.id}`, 'POST')).status, 200);
      assert.equal((await as(admin.key, `${route}/${p2.id}/actions`, 'POST', { key: '123', code: '123' })).status, 201);
      // Retry.
      assert.equal((await as(admin.key, `${route}/${p1.id}/contacts/${p2.id}`, 'POST')).status, 403);
      assert.equal(await contactsOf(p1.id), 2);
      assert.ok((await as(admin.key, `${route}/${p1.id}/contacts`)).body.some((c: { id: number }) => c.id === p2.id));
      // /me
      const mine = await as(p1.key, `${route}/me/contacts`);
      assert.equal(mine.status, 200);
      assert.ok(mine.body.some((c: { username: string; activated: boolean }) => c.username === p2.username && c.activated === true));
      const one = await as(p1.key, `${route}/me/contacts/${id2}`);
      assert.deepEqual([one.status, one.body.username, one.body.activated], [200, p2.username, true]);
      // vCard 4.0
      for (const path of ['/contacts/vcard', `/contacts/vcard/${id2}`]) {
        const vcard = await as(p1.key, path);
        assert.equal(vcard.status, 200, path);
        if (path === '/contacts/vcard') assert.ok(vcard.text.includes('FN:Two'), vcard.text);
        for (const line of ['X-LINPHONE-ACCOUNT-TYPE:phone', 'X-LINPHONE-ACCOUNT-DTMF-PROTOCOL:rfc2833', 'X-LINPHONE-ACCOUNT-ACTION:123;123']) assert.ok(vcard.text.includes(line), `${path}: ${line}\n${vcard.text}`);
      }
      // Remove, then retry.
      assert.equal((await as(admin.key, `${route}/${p1.id}/contacts/${p2.id}`, 'DELETE')).status, 200);
      assert.equal(await contactsOf(p1.id), 1);
      assert.equal((await as(admin.key, `${route}/${p1.id}/contacts/${p2.id}`, 'DELETE')).status, 403);
      assert.equal(await contactsOf(p1.id), 1);

      // Contacts lists.
      const list = await as(admin.key, '/api/contacts_lists', 'POST', { title: 'Contacts List title', description: 'Description' });
      assert.equal(list.status, 201);
      for (const p of [p1, p2, p3]) assert.equal((await as(admin.key, `/api/contacts_lists/${list.body.id}/contacts/${p.id}`, 'POST')).status, 200);
      assert.equal((await as(admin.key, `/api/contacts_lists/${list.body.id}/contacts/1234`, 'POST')).status, 404);
      assert.equal((await as(admin.key, `${route}/${admin.id}/contacts_lists/${list.body.id}`, 'POST')).status, 200);
      assert.equal((await as(admin.key, `${route}/${admin.id}/contacts_lists/${list.body.id}`, 'POST')).status, 403);
      const adminContacts = await as(admin.key, `${route}/me/contacts`);
      assert.equal(adminContacts.status, 200);
      for (const p of [p1, p2, p3]) assert.ok(adminContacts.body.some((c: { username: string; activated: boolean }) => c.username === p.username && c.activated === true), p.username);
      const viaList = await as(admin.key, `${route}/me/contacts/${id2}`);
      assert.deepEqual([viaList.status, viaList.body.username, viaList.body.activated], [200, p2.username, true]);
      const vcards = await as(admin.key, '/contacts/vcard');
      assert.equal(vcards.status, 200);
      for (const name of ['One', 'Two', 'Three']) assert.ok(vcards.text.includes(`FN:${name}`), name);
      const vcard2 = await as(admin.key, `/contacts/vcard/${id2}`);
      assert.ok(vcard2.status === 200 && vcard2.text.includes('FN:Two'));
    });
  });
}
