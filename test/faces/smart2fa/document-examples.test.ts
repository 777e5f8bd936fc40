/**
 * The Smart 2FA document's own example requests, sent as written (paths, headers, bodies), and the
 * answers compared field by field — names and JSON types — with the document's example answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, apiKey, call, startTestServer } from '../../helpers/server.js';
import { type Client, client, codeSentTo, subTenant } from './helpers.js';

/** The document's "create limit" answer, field for field. */
const DOCUMENT_LIMIT = {
  sid: 'LM29c3cdc8123545a4aa62b7451f1f719d',
  name: 'limit_on_phoneNumber',
  buckets: '[{ "name":"bucket1", "max":"1", "interval":"30"},{ "name":"bucket2", "max":"2", "interval":"300"}]',
  description: 'Limit number of OTP sent per recipient Phone Number',
  accountSid: 'AC55a9977a50647d2fa38fa1f505206aaf',
  accountEmail: 'jane@company.com',
  targetAccountSid: 'AC55a9977a50647d2fa38fa1f505206aaf',
  targetAccountEmail: 'alice@company.com',
  uri: '/2fa/limits/search/LM29c3cdc8123545a4aa62b7451f1f719d',
  dateCreated: '2021-02-04T03:52:09.400+0000',
  dateUpdated: '2021-02-04T03:52:09.400+0000',
};

/** Same keys, same JSON type of each value (null is its own type). */
function assertShape(actual: Record<string, unknown>, example: Record<string, unknown>, what: string) {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(example).sort(), `${what}: fields`);
  const type = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  for (const key of Object.keys(example)) assert.equal(type(actual[key]), type(example[key]), `${what}: type of ${key}`);
}

// The document's curls send these headers on every call.
const DOCUMENT_HEADERS = { 'Cache-Control': 'no-cache', 'Content-Type': 'application/json' };
const CREATE_BODY = JSON.stringify({ name: 'limit_on_phonenumber', buckets: DOCUMENT_LIMIT.buckets, description: 'limit on Phone Number' });

for (const dialect of DIALECTS) {
  describe(`Smart 2FA, the document's examples on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let api: Client;
    let admin: Record<string, string>;
    before(async () => {
      server = await startTestServer(dialect);
      api = client(server);
      admin = apiKey(server.admin.apiKey);
    });
    after(() => server.close());
    const documentCall = (method: string, path: string, body?: string, c = api) =>
      call(`${server.url}${path}`, { method, headers: { ...c.headers, ...DOCUMENT_HEADERS }, body });

    test('1. limit answers carry accountEmail and targetAccountEmail as strings: the tenants\' contact emails', async () => {
      const none = await documentCall('POST', '/2fa/limits', CREATE_BODY);
      assert.equal(none.status, 200, none.text);
      assertShape(none.body.data, DOCUMENT_LIMIT, 'create, no contact email');
      assert.equal(none.body.data.accountEmail, '');

      const parent = await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'Jane Co', email: 'jane@company.com' } });
      assert.equal(parent.status, 201, parent.text);
      assert.equal(parent.body.email, 'jane@company.com');
      const child = await subTenant(server, parent.body, 'Alice Co');
      const set = await call(`${server.url}/admin/tenants/${child.id}`, { method: 'PATCH', headers: admin, json: { email: 'alice@company.com' } });
      assert.equal(set.status, 200, set.text);
      assert.equal(set.body.email, 'alice@company.com');
      const jane = client(server, parent.body);
      const body = JSON.stringify({ ...JSON.parse(CREATE_BODY), accountSid: child.sid });
      const created = await documentCall('POST', '/2fa/limits', body, jane);
      assertShape(created.body.data, DOCUMENT_LIMIT, 'create');
      assert.equal(created.body.data.accountEmail, 'jane@company.com');
      assert.equal(created.body.data.targetAccountEmail, 'alice@company.com');
      const sid = created.body.data.sid;
      for (const [what, res] of [
        ['update', await documentCall('PUT', `/2fa/limits/${sid}`, JSON.stringify({ description: 'limit on Phone Number of receiver blabla' }), jane)],
        ['single', await documentCall('GET', `/2fa/limits/search/${sid}`, undefined, jane)],
        ['search', await documentCall('GET', `/2fa/limits/search?accountSid=${child.sid}`, undefined, jane)],
        ['delete', await documentCall('DELETE', `/2fa/limits/${sid}`, undefined, jane)],
      ] as const) {
        assert.equal(res.status, 200, `${what}: ${res.text}`);
        const data = what === 'search' ? res.body.data.result[0] : res.body.data;
        assertShape(data, DOCUMENT_LIMIT, what);
        assert.equal(data.accountEmail, 'jane@company.com', what);
        assert.equal(data.targetAccountEmail, 'alice@company.com', what);
      }
      const bad = await call(`${server.url}/admin/tenants/${child.id}`, { method: 'PATCH', headers: admin, json: { email: 'not an address' } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, 'email');
    });

    test('2. the document\'s DELETE, PUT and cancel curls (JSON content type, no body) are answered, not refused', async () => {
      const created = await documentCall('POST', '/2fa/limits', JSON.stringify({ name: 'empty_bodies', buckets: DOCUMENT_LIMIT.buckets }));
      const sid = created.body.data.sid;
      const put = await documentCall('PUT', `/2fa/limits/${sid}`);
      assert.equal(put.status, 200, put.text);
      assert.deepEqual(Object.keys(put.body).sort(), ['code', 'data', 'message']);
      const del = await documentCall('DELETE', `/2fa/limits/${sid}`);
      assert.equal(del.status, 200, del.text);
      assert.equal(del.body.data.sid, sid);
      const cancel = await documentCall('POST', '/2fa/cancel');
      assert.equal(cancel.status, 400, 'an empty cancel names its missing field, in the Smart 2FA envelope');
      assert.deepEqual(cancel.body, { code: 400, message: 'requestId: is required', requestID: null });
    });

    test('3. Page works like page, and the URIs carry page only', async () => {
      for (let i = 0; i < 3; i++) await api.post('/2fa/limits', { name: `paged_${i}`, buckets: DOCUMENT_LIMIT.buckets });
      const res = await documentCall('GET', '/2fa/limits/search?pageSize=2&Page=1&name=paged_');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.page, 1);
      assert.deepEqual(res.body.data.result.map((l: { name: string }) => l.name), ['paged_2']);
      assert.equal(res.body.data.uri, '/2fa/limits/search?name=paged_&pageSize=2&page=1');
      assert.equal(res.body.data.firstPageUri, '/2fa/limits/search?name=paged_&pageSize=2&page=0');
      const differ = await api.get('/2fa/limits/search?page=0&Page=1');
      assert.equal(differ.status, 400);
      assert.match(differ.body.message, /^Page: /);
    });

    test('4. GET /2fa/limits/search/?… (trailing slash, as the document\'s URIs) is the search', async () => {
      const res = await documentCall('GET', '/2fa/limits/search/?pageSize=2&page=0');
      assert.equal(res.status, 200, res.text);
      assertShape(res.body.data, { result: [], pageSize: 2, total: 7, page: 0, numPages: 4, start: 0, end: 1, firstPageUri: '', nextPageUri: '', uri: '' }, 'search');
      assert.equal(res.body.data.pageSize, 2);
      const sdr = await api.get('/2fa/sdr/search/?pageSize=2');
      assert.equal(sdr.status, 200, sdr.text);
      assert.ok(Array.isArray(sdr.body.data.result));
    });

    test('5. 919960639903 (international digits without +) is accepted as +919960639903; a national number is refused saying so', async () => {
      const sent = await documentCall('POST', '/2fa/send', JSON.stringify({ service: '2FA', from: '919000000001', to: '919960639903', body: 'Your verification code is: {code}' }));
      assert.equal(sent.status, 200, sent.text);
      assertShape(sent.body, { code: 200, message: 'OK', requestID: 'OTPYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY' }, 'send');
      const sdr = await api.get(`/2fa/sdr/search/${sent.body.requestID}`);
      assert.equal(sdr.body.data.to, '+919960639903');
      const code = await codeSentTo(server, '+919960639903');
      const verified = await api.post('/2fa/verify', { service: '2FA', number: '919960639903', code });
      assert.equal(verified.status, 200, verified.text);
      assert.equal(verified.body.requestID, sent.body.requestID);
      for (const national of ['09960639903', '9960639903']) {
        const refused = await api.send({ to: national });
        assert.equal(refused.status, 400);
        assert.match(refused.body.message, /^to: is a national number without a country code/);
      }
    });

    test('6. an error about a known request carries its requestID; an unknown one null', async () => {
      const sent = await api.send();
      const id = sent.body.requestID;
      const wrong = await documentCall('POST', '/2fa/verify', JSON.stringify({ service: '2FA', requestId: id, code: '000000' }));
      // A six-digit guess may be right one time in a million; then the answer is 200 with the same id.
      assert.equal(wrong.body.requestID, id);
      if (wrong.status !== 200) assert.deepEqual(wrong.body, { code: 474, message: 'Invalid OTP Code', requestID: id });
      const cancel = await documentCall('POST', '/2fa/cancel', JSON.stringify({ requestId: id }));
      assert.deepEqual(cancel.body, { code: 200, message: 'canceled', requestID: id });
      const canceled = await api.post('/2fa/verify', { requestId: id, code: '123456' });
      assert.deepEqual(canceled.body, { code: 473, message: 'OTP was canceled', requestID: id });
      const unknown = await api.post('/2fa/verify', { requestId: `OTP${'0'.repeat(32)}`, code: '123456' });
      assert.deepEqual(unknown.body, { code: 470, message: 'Invalid OTP Unique Id', requestID: null });
      const verifiedTwice = await api.send();
      const code = await codeSentTo(server, (await api.get(`/2fa/sdr/search/${verifiedTwice.body.requestID}`)).body.data.to);
      await api.post('/2fa/verify', { requestId: verifiedTwice.body.requestID, code });
      const again = await api.post('/2fa/cancel', { requestId: verifiedTwice.body.requestID });
      assert.deepEqual(again.body, { code: 471, message: 'OTP is already verified', requestID: verifiedTwice.body.requestID });
    });

    test('7. an unknown path under /2fa/ answers in the Smart 2FA envelope', async () => {
      for (const path of ['/2fa/nope', '/2fa/limits/search/x/y', '/2fa/']) {
        const res = await documentCall('GET', path);
        assert.equal(res.status, 404, path);
        assert.deepEqual(res.body, { code: 404, message: `no route GET ${path}`, requestID: null }, path);
      }
    });

    test('8. usage and sdr/search take the document\'s dates; a bare endTime includes its whole day; 453 carries Retry-After', async () => {
      const sent = await api.send();
      const today = new Date().toISOString().slice(0, 10);
      const usage = await api.get(`/2fa/usage?startTime=${today}&endTime=${today}`);
      assert.equal(usage.status, 200, usage.text);
      assert.ok(usage.body.data.total >= 1, 'a send of today is counted with endTime=today');
      assert.equal(usage.body.data.endTime, `${today}T23:59:59.999+0000`);
      const sdr = await api.get(`/2fa/sdr/search?startTime=${today}&endTime=${today}&pageSize=1000`);
      assert.ok(sdr.body.data.result.some((r: { requestID: string }) => r.requestID === sent.body.requestID));
      const withTime = await api.get(`/2fa/sdr/search?startTime=${today}T00:00:00&endTime=${today}T23:59:59Z&pageSize=1000`);
      assert.equal(withTime.status, 200, withTime.text);
      assert.ok(withTime.body.data.result.some((r: { requestID: string }) => r.requestID === sent.body.requestID));
      const printed = await api.get(`/2fa/sdr/search?startTime=${encodeURIComponent(sdr.body.data.result[0].dateCreated)}`);
      assert.equal(printed.status, 200, 'a date Gatehouse printed is accepted back');
      const bad = await api.get('/2fa/usage?startTime=yesterday&endTime=2026-11-30');
      assert.deepEqual(bad.body, { code: 400, message: 'startTime: must be an ISO-8601 date or date-time such as 2018-10-05 or 2018-10-05T22:45:32 (UTC)', requestID: null });

      const to = (await api.get(`/2fa/sdr/search/${sent.body.requestID}`)).body.data.to;
      const limited = await api.send({ to });
      assert.equal(limited.status, 404);
      assert.deepEqual(limited.body, { code: 453, message: 'Too many OTP request to same destination Number', requestID: null });
      assert.equal(limited.headers.get('retry-after'), '60');
    });
  });
}
