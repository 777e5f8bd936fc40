/**
 * Hostile values the probe found turning into 500s (and stack traces in the log): NUL bytes in
 * credentials and text fields, Infinity/1e309 as integers, ids too large for an integer column.
 * Each must be a 4xx in its face's envelope, write nothing, and leave no error in the log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type Reply, type TestServer, apiKey, call, startTestServer } from '../../helpers/server.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
type Face = 'plain' | 'smart2fa' | 'comm100';

function inEnvelope(face: Face, res: Reply): boolean {
  const b = res.body;
  if (typeof b !== 'object' || b === null) return false;
  if (face === 'plain') return typeof b.error?.code === 'string' && typeof b.error?.message === 'string';
  if (face === 'smart2fa') return b.code === res.status && typeof b.message === 'string' && 'requestID' in b;
  return typeof b.error === 'string' && typeof b.message === 'string';
}

for (const dialect of DIALECTS) {
  describe(`hostile input on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let key: Record<string, string>;
    before(async () => {
      server = await startTestServer(dialect);
      key = apiKey(server.admin.apiKey);
    });
    after(() => server.close());

    const cases: Array<{ name: string; face: Face; status?: number; field?: string; req: () => Promise<Reply> }> = [
      { name: 'a NUL in Basic credentials on an admin route', face: 'plain', status: 401, req: () => call(`${server.url}/admin/tenants`, { headers: { authorization: `Basic ${b64('AC\0x:token')}` } }) },
      { name: 'a NUL in Basic credentials on a Smart 2FA route', face: 'smart2fa', status: 401, req: () => call(`${server.url}/2fa/limits/search`, { headers: { authorization: `Basic ${b64('AC\0x:token')}` } }) },
      { name: 'a NUL in the login email', face: 'comm100', status: 400, field: 'email', req: () => call(`${server.url}/global/jwtToken/login`, { json: { partnerId: 1, email: 'a\0@b.test', password: 'whatever it is' } }) },
      { name: 'a NUL in a tenant name', face: 'plain', status: 400, field: 'name', req: () => call(`${server.url}/admin/tenants`, { headers: key, json: { name: 'Acme\0' } }) },
      { name: 'a NUL in a Smart 2FA send', face: 'smart2fa', status: 400, field: 'service', req: () => call(`${server.url}/2fa/send`, { headers: key, json: { service: '2\0FA', from: '+14155550000', to: '+14155553000', body: 'code {code}' } }) },
      { name: 'a NUL in a query string', face: 'smart2fa', status: 400, field: 'name', req: () => call(`${server.url}/2fa/limits/search?name=a%00b`, { headers: key }) },
      { name: 'a NUL in an object key', face: 'plain', status: 400, req: () => call(`${server.url}/admin/tenants`, { headers: key, json: { name: 'a', 'x\0': 1 } }) },
      { name: 'Infinity as an account id in the path', face: 'plain', status: 400, field: 'id', req: () => call(`${server.url}/admin/accounts/Infinity`, { headers: key }) },
      { name: '-Infinity as an account id in the path', face: 'plain', status: 400, field: 'id', req: () => call(`${server.url}/admin/accounts/-Infinity`, { headers: key }) },
      { name: '1e309 as login partnerId', face: 'comm100', status: 400, field: 'partnerId', req: () => call(`${server.url}/global/jwtToken/login`, { headers: { 'content-type': 'application/json' }, body: '{"partnerId":1e309,"email":"a@b.test","password":"whatever"}' }) },
      { name: '1e309 as a send length', face: 'smart2fa', status: 400, field: 'length', req: () => call(`${server.url}/2fa/send`, { headers: { ...key, 'content-type': 'application/json' }, body: '{"service":"2FA","from":"+14155550000","to":"+14155553001","body":"code {code}","length":1e309}' }) },
      { name: 'Infinity as agentId', face: 'comm100', status: 400, field: 'agentId', req: () => call(`${server.url}/global/2faSecret?agentId=Infinity`, { headers: key }) },
      { name: 'Infinity as a page', face: 'smart2fa', status: 400, field: 'page', req: () => call(`${server.url}/2fa/limits/search?page=Infinity`, { headers: key }) },
      { name: 'a 15-digit tenant id in the path', face: 'plain', status: 400, field: 'tenant', req: () => call(`${server.url}/admin/tenants/999999999999999`, { headers: key }) },
      { name: 'a 10-digit tenant id past the integer column', face: 'plain', status: 404, req: () => call(`${server.url}/admin/tenants/9999999999`, { headers: key }) },
      { name: 'a 15-digit tenant id in a body', face: 'plain', status: 400, field: 'tenant', req: () => call(`${server.url}/admin/accounts`, { headers: key, json: { tenant: '999999999999999', email: 'x@y.test' } }) },
    ];

    const rowCount = async () => {
      const db = server.runtime.storage.db;
      let n = 0;
      for (const t of ['tenants', 'accounts', 'api_keys', 'verifications', 'limits', 'audit_events'] as const) {
        n += Number((await db.selectFrom(t).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      }
      return n;
    };

    for (const c of cases) {
      test(`${c.name} is a ${c.status ?? '4xx'} in the face's envelope, writes nothing and logs no error`, async () => {
        const logged = server.logs.length;
        const rows = await rowCount();
        const res = await c.req();
        if (c.status) assert.equal(res.status, c.status, res.text);
        assert.ok(res.status >= 400 && res.status < 500, res.text);
        assert.ok(inEnvelope(c.face, res), `not in the ${c.face} envelope: ${res.text}`);
        if (c.field) assert.match(res.text, new RegExp(c.field), 'the answer names the field');
        assert.equal(await rowCount(), rows, 'nothing written');
        const errors = server.logs.slice(logged).filter((l) => /"level":(50|60)|"err"|"stack"/.test(l));
        assert.deepEqual(errors, [], 'no error or stack trace in the log');
      });
    }
  });
}
