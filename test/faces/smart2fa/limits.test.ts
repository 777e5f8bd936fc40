import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, call, startTestServer } from '../../helpers/server.js';
import { type Client, client, randomNumber, subTenant } from './helpers.js';

const BUCKETS = '[{ "name":"bucket1", "max":"1", "interval":"30"},{ "name":"bucket2", "max":"2", "interval":"300"}]';

for (const dialect of DIALECTS) {
  describe(`/2fa/limits on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let api: Client;
    before(async () => {
      server = await startTestServer(dialect);
      api = client(server);
    });
    after(() => server.close());
    const put = (path: string, json: unknown, c = api) => call(`${server.url}${path}`, { method: 'PUT', headers: c.headers, json });
    const del = (path: string, c = api) => call(`${server.url}${path}`, { method: 'DELETE', headers: c.headers });

    test('create answers the limit as documented, buckets echoed as the JSON string given', async () => {
      const res = await api.post('/2fa/limits', { name: 'limit_on_phonenumber', buckets: BUCKETS, description: 'limit on Phone Number' });
      assert.equal(res.status, 200);
      assert.equal(res.body.code, 200);
      assert.equal(res.body.message, 'OK');
      const d = res.body.data;
      assert.match(d.sid, /^LM[0-9a-f]{32}$/);
      assert.equal(d.name, 'limit_on_phonenumber');
      assert.equal(d.buckets, BUCKETS);
      assert.equal(d.description, 'limit on Phone Number');
      assert.equal(d.accountSid, server.admin.tenant.sid);
      assert.equal(d.targetAccountSid, server.admin.tenant.sid);
      assert.equal(d.accountEmail, '', 'a tenant without a contact email');
      assert.equal(d.uri, `/2fa/limits/search/${d.sid}`);
      assert.match(d.dateCreated, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
      assert.equal(d.dateUpdated, d.dateCreated);
    });

    test('buckets may be an array with max and interval as strings or numbers', async () => {
      const res = await api.post('/2fa/limits', { name: 'array_form', buckets: [{ name: 'a', max: '1', interval: 10 }, { name: 'b', max: 10, interval: '86400' }] });
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.body.data.buckets), [{ name: 'a', max: '1', interval: '10' }, { name: 'b', max: '10', interval: '86400' }]);
    });

    test('a duplicate name in the same account answers 492 (409)', async () => {
      await api.post('/2fa/limits', { name: 'dup', buckets: BUCKETS });
      const res = await api.post('/2fa/limits', { name: 'dup', buckets: BUCKETS });
      assert.equal(res.status, 409);
      assert.deepEqual(res.body, { code: 492, message: 'Limit with that Name already exists', requestID: null });
    });

    const badBuckets: Array<[string, unknown, string]> = [
      ['not JSON', '[{', 'buckets'],
      ['empty', [], 'buckets'],
      ['max 0', [{ name: 'a', max: 0, interval: 10 }], 'buckets[0].max'],
      ['interval not a number', [{ name: 'a', max: 1, interval: 'soon' }], 'buckets[0].interval'],
      ['no name', [{ max: 1, interval: 10 }], 'buckets[0].name'],
      ['not an array', { name: 'a' }, 'buckets'],
    ];
    for (const [what, buckets, field] of badBuckets) {
      test(`buckets ${what} answers 400 naming ${field}`, async () => {
        const res = await api.post('/2fa/limits', { name: `bad_${Math.random()}`, buckets });
        assert.equal(res.status, 400);
        assert.ok(res.body.message.startsWith(field), res.body.message);
      });
    }

    test('name is required', async () => {
      const res = await api.post('/2fa/limits', { buckets: BUCKETS });
      assert.equal(res.status, 400);
      assert.match(res.body.message, /^name/);
    });

    test('update changes buckets and description and keeps the name; unknown sid answers 493', async () => {
      const created = (await api.post('/2fa/limits', { name: 'to_update', buckets: BUCKETS })).body.data;
      await new Promise((r) => setTimeout(r, 5));
      const res = await put(`/2fa/limits/${created.sid}`, { buckets: [{ name: 'x', max: 2, interval: 10 }], description: 'new' });
      assert.equal(res.status, 200);
      assert.equal(res.body.data.name, 'to_update');
      assert.equal(res.body.data.description, 'new');
      assert.deepEqual(JSON.parse(res.body.data.buckets), [{ name: 'x', max: '2', interval: '10' }]);
      assert.notEqual(res.body.data.dateUpdated, created.dateUpdated);
      const unknown = await put(`/2fa/limits/LM${'0'.repeat(32)}`, { description: 'x' });
      assert.equal(unknown.status, 409);
      assert.deepEqual(unknown.body, { code: 493, message: 'Invalid Limit Id', requestID: null });
    });

    test('delete answers the deleted limit; then it is gone (493)', async () => {
      const created = (await api.post('/2fa/limits', { name: 'to_delete', buckets: BUCKETS })).body.data;
      const res = await del(`/2fa/limits/${created.sid}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.data.sid, created.sid);
      assert.equal((await del(`/2fa/limits/${created.sid}`)).body.code, 493);
      assert.equal((await api.get(`/2fa/limits/search/${created.sid}`)).body.code, 493);
    });

    test('a sibling account cannot see, change or delete the limit (493); the parent can', async () => {
      const a = await subTenant(server, server.admin.tenant, 'a');
      const b = await subTenant(server, server.admin.tenant, 'b');
      const created = (await client(server, a).post('/2fa/limits', { name: 'mine', buckets: BUCKETS })).body.data;
      const asB = client(server, b);
      assert.equal((await asB.get(`/2fa/limits/search/${created.sid}`)).body.code, 493);
      assert.equal((await put(`/2fa/limits/${created.sid}`, { description: 'x' }, asB)).body.code, 493);
      assert.equal((await del(`/2fa/limits/${created.sid}`, asB)).body.code, 493);
      assert.equal((await api.get(`/2fa/limits/search/${created.sid}`)).status, 200);
      const forSub = await api.post('/2fa/limits', { name: 'for_sub', buckets: BUCKETS, accountSid: b.sid });
      assert.equal(forSub.body.data.accountSid, server.admin.tenant.sid);
      assert.equal(forSub.body.data.targetAccountSid, b.sid);
      const intrude = await asB.post('/2fa/limits', { name: 'x', buckets: BUCKETS, accountSid: a.sid });
      assert.equal(intrude.status, 400);
      assert.match(intrude.body.message, /^accountSid/);
    });

    test('search pages (default 0/10), filters by name, sorts, and gives the URIs', async () => {
      const owner = await subTenant(server, server.admin.tenant, 'searcher');
      const as = client(server, owner);
      for (const name of ['alpha_1', 'beta', 'alpha_2', 'gamma']) await as.post('/2fa/limits', { name, buckets: BUCKETS });
      const all = await as.get('/2fa/limits/search');
      assert.equal(all.body.data.pageSize, 10);
      assert.equal(all.body.data.page, 0);
      assert.equal(all.body.data.total, 4);
      const res = await as.get('/2fa/limits/search?pageSize=1&page=1&name=alpha&SortBy=name:desc');
      const d = res.body.data;
      assert.equal(d.total, 2);
      assert.equal(d.numPages, 2);
      assert.equal(d.start, 1);
      assert.equal(d.end, 1);
      assert.deepEqual(d.result.map((l: { name: string }) => l.name), ['alpha_1']);
      assert.equal(d.nextPageUri, null);
      assert.equal(d.firstPageUri, '/2fa/limits/search?name=alpha&SortBy=name%3Adesc&pageSize=1&page=0');
      assert.equal(d.uri, '/2fa/limits/search?name=alpha&SortBy=name%3Adesc&pageSize=1&page=1');
      const first = await as.get('/2fa/limits/search?pageSize=1&name=alpha&SortBy=name');
      assert.equal(first.body.data.result[0].name, 'alpha_1');
      assert.match(first.body.data.nextPageUri, /page=1$/);
      const literal = await as.get('/2fa/limits/search?name=%25');
      assert.equal(literal.body.data.total, 0);
      // The document's own table spells the attribute "Name" (issue 27).
      const documented = await as.get('/2fa/limits/search?name=alpha&SortBy=Name');
      assert.equal(documented.status, 200, documented.text);
      const lower = await as.get('/2fa/limits/search?name=alpha&SortBy=name');
      assert.deepEqual(documented.body.data.result.map((l: { name: string }) => l.name), lower.body.data.result.map((l: { name: string }) => l.name));
      assert.equal((await as.get('/2fa/limits/search?name=alpha&SortBy=Name:DESC')).body.data.result[0].name, 'alpha_2');
      const bad = await as.get('/2fa/limits/search?SortBy=sid');
      assert.equal(bad.status, 400);
      assert.match(bad.body.message, /^SortBy/);
    });

    test('search by startTime/endTime is inclusive, and subAccounts widens the scope', async () => {
      const parent = await subTenant(server, server.admin.tenant, 'p');
      const child = await subTenant(server, parent, 'c');
      await client(server, child).post('/2fa/limits', { name: 'child_limit', buckets: BUCKETS });
      const asParent = client(server, parent);
      assert.equal((await asParent.get('/2fa/limits/search')).body.data.total, 0);
      assert.equal((await asParent.get('/2fa/limits/search?subAccounts=true')).body.data.total, 1);
      assert.equal((await asParent.get(`/2fa/limits/search?accountSid=${child.sid}`)).body.data.total, 1);
      const created = (await asParent.get('/2fa/limits/search?subAccounts=true')).body.data.result[0].dateCreated as string;
      const exact = created.slice(0, 23);
      assert.equal((await asParent.get(`/2fa/limits/search?subAccounts=true&startTime=${exact}&endTime=${exact}`)).body.data.total, 1);
      assert.equal((await asParent.get('/2fa/limits/search?subAccounts=true&endTime=2020-01-01')).body.data.total, 0);
      assert.equal((await asParent.get('/2fa/limits/search?subAccounts=true&startTime=2020-01-01')).body.data.total, 1);
      const bad = await asParent.get('/2fa/limits/search?startTime=yesterday');
      assert.equal(bad.status, 400);
      assert.match(bad.body.message, /^startTime/);
    });

    test('a send names an unknown limit: 495 (409) naming it', async () => {
      const res = await api.send({ limits: { no_such_limit: '+1555' } });
      assert.equal(res.status, 409);
      assert.deepEqual(res.body, { code: 495, message: 'Invalid Limit Name: no_such_limit', requestID: null });
    });

    test('a send with limits applies them in order and consumes nothing when refused', async () => {
      const owner = await subTenant(server, server.admin.tenant, 'order');
      const as = client(server, owner);
      await as.post('/2fa/limits', { name: 'limit_on_session', buckets: [{ name: 's', max: 1, interval: 300 }] });
      await as.post('/2fa/limits', { name: 'limit_on_phonenumber', buckets: [{ name: 'p', max: 2, interval: 300 }] });
      const a = randomNumber();
      const b = randomNumber();
      // session aabbcd takes its one token with phone a
      assert.equal((await as.send({ to: a, limits: '{ "limit_on_Session":"x" }' })).body.code, 495);
      assert.equal((await as.send({ to: a, limits: '{ "limit_on_session":"aabbcd", "limit_on_phonenumber": "a" }' })).status, 200);
      // session is empty now: refused, and phone b's bucket is untouched
      const refused = await as.send({ to: b, limits: { limit_on_session: 'aabbcd', limit_on_phonenumber: 'b' } });
      assert.equal(refused.status, 404);
      assert.equal(refused.body.code, 453);
      assert.equal((await as.send({ to: b, limits: { limit_on_phonenumber: 'b' } })).status, 200);
      assert.equal((await as.send({ to: b, limits: { limit_on_phonenumber: 'b' } })).status, 200);
      assert.equal((await as.send({ to: b, limits: { limit_on_phonenumber: 'b' } })).body.code, 453);
    });

    test('named limits replace the default one-per-minute limit', async () => {
      const owner = await subTenant(server, server.admin.tenant, 'roomy');
      const as = client(server, owner);
      await as.post('/2fa/limits', { name: 'roomy', buckets: [{ name: 'r', max: 3, interval: 60 }] });
      const to = randomNumber();
      for (let i = 0; i < 3; i++) assert.equal((await as.send({ to, limits: { roomy: to } })).status, 200);
      assert.equal((await as.send({ to, limits: { roomy: to } })).body.code, 453);
    });

    test('a per-prefix limit counts every number under the prefix, and its key must prefix to', async () => {
      const owner = await subTenant(server, server.admin.tenant, 'prefix');
      const as = client(server, owner);
      await as.post('/2fa/limits', { name: 'uk_mobiles', buckets: [{ name: 'p', max: 2, interval: 3600 }] });
      for (const to of ['+447712300001', '+447712300002']) assert.equal((await as.send({ to, limits: { uk_mobiles: '+4477' } })).status, 200);
      assert.equal((await as.send({ to: '+447712300003', limits: { uk_mobiles: '+4477' } })).body.code, 453);
      const mismatch = await as.send({ to: '+14155550234', limits: { uk_mobiles: '+4477' } });
      assert.equal(mismatch.status, 400);
      assert.match(mismatch.body.message, /^limits\.uk_mobiles/);
    });
  });
}
