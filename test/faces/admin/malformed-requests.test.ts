import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, apiKey, call, startTestServer } from '../../helpers/server.js';

interface Case {
  name: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body: string;
  status: number;
  code: string;
  field?: string;
}

const json = { 'content-type': 'application/json' };
const CASES: Case[] = [
  { name: 'malformed JSON', path: '/admin/tenants', headers: json, body: '{"name": "a"', status: 400, code: 'validation', field: 'body' },
  // An empty body with a JSON content type is an empty object (clients send the header on every request).
  { name: 'an empty JSON body', path: '/admin/tenants', headers: json, body: '', status: 400, code: 'validation', field: 'name' },
  { name: 'a JSON array instead of an object', path: '/admin/tenants', headers: json, body: '[]', status: 400, code: 'validation' },
  { name: 'a wrong content type', path: '/admin/tenants', headers: { 'content-type': 'text/plain' }, body: 'name=a', status: 415, code: 'unsupported_media_type' },
  { name: 'an unknown content type', path: '/admin/tenants', headers: { 'content-type': 'application/x-evil' }, body: '{}', status: 415, code: 'unsupported_media_type' },
  { name: 'a missing field', path: '/admin/tenants', headers: json, body: '{}', status: 400, code: 'validation', field: 'name' },
  { name: 'an ill-typed field', path: '/admin/tenants', headers: json, body: '{"name": {"x": 1}}', status: 400, code: 'validation', field: 'name' },
  { name: 'an empty string', path: '/admin/tenants', headers: json, body: '{"name": ""}', status: 400, code: 'validation', field: 'name' },
  { name: 'an over-long string', path: '/admin/tenants', headers: json, body: JSON.stringify({ name: 'x'.repeat(201) }), status: 400, code: 'validation', field: 'name' },
  { name: 'an unknown field', path: '/admin/tenants', headers: json, body: '{"name": "a", "admin": true}', status: 400, code: 'validation', field: 'admin' },
  { name: 'a parent that is not an id or SID', path: '/admin/tenants', headers: json, body: '{"name": "a", "parent": "../../etc"}', status: 400, code: 'validation', field: 'parent' },
  { name: 'a parent that does not exist', path: '/admin/tenants', headers: json, body: '{"name": "a", "parent": "999999"}', status: 400, code: 'validation', field: 'parent' },
  { name: 'a body over 64 KiB', path: '/admin/tenants', headers: json, body: JSON.stringify({ name: 'a', pad: 'x'.repeat(70_000) }), status: 413, code: 'payload_too_large' },
  { name: 'a prototype-poisoning body', path: '/admin/tenants', headers: json, body: '{"name": "a", "__proto__": {"admin": true}}', status: 400, code: 'validation' },
  { name: 'an invalid email', path: '/admin/accounts', headers: json, body: '{"tenant": "1", "email": "not-an-email", "password": "long enough"}', status: 400, code: 'validation', field: 'email' },
  { name: 'a short password', path: '/admin/accounts', headers: json, body: '{"tenant": "1", "email": "a@b.test", "password": "short"}', status: 400, code: 'validation', field: 'password' },
  { name: 'an unknown role', path: '/admin/accounts', headers: json, body: '{"tenant": "1", "email": "a@b.test", "role": "root"}', status: 400, code: 'validation', field: 'role' },
  { name: 'a phone that is not E.164', path: '/admin/accounts', headers: json, body: '{"tenant": "1", "email": "a@b.test", "phone": "555-1234"}', status: 400, code: 'validation', field: 'phone' },
  { name: 'an account with neither email nor username', path: '/admin/accounts', headers: json, body: '{"tenant": "1"}', status: 400, code: 'validation', field: 'email' },
  { name: 'a non-numeric id in the path', path: '/admin/accounts/abc', method: 'PATCH', headers: json, body: '{"blocked": true}', status: 400, code: 'validation', field: 'id' },
  { name: 'an empty change set', path: '/admin/accounts/1', method: 'PATCH', headers: json, body: '{}', status: 400, code: 'validation' },
  { name: 'an API key expiring in the past', path: '/admin/accounts/1/api-keys', headers: json, body: '{"expiresAt": "2001-01-01T00:00:00Z"}', status: 400, code: 'validation', field: 'expiresAt' },
  { name: 'a date that is not a date', path: '/admin/accounts/1/api-keys', headers: json, body: '{"expiresAt": "tomorrow"}', status: 400, code: 'validation', field: 'expiresAt' },
  { name: 'a SIP domain that is not a DNS name', path: '/admin/tenants/1/sip-domains', headers: json, body: '{"domain": "bad domain!"}', status: 400, code: 'validation', field: 'domain' },
];

const TABLES = ['tenants', 'auth_tokens', 'accounts', 'api_keys', 'sip_domains'] as const;

for (const dialect of DIALECTS) {
  describe(`malformed requests on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(dialect);
    });
    after(() => server.close());

    const counts = async () => {
      const db = server.runtime.storage.db;
      const out: Record<string, number> = {};
      for (const t of TABLES) out[t] = Number((await db.selectFrom(t).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      return out;
    };

    for (const c of CASES) {
      test(`${c.name} is answered ${c.status}${c.field ? ` naming ${c.field}` : ''} and writes nothing`, async () => {
        const before = await counts();
        const res = await call(`${server.url}${c.path}`, {
          method: c.method ?? 'POST',
          headers: { ...apiKey(server.admin.apiKey), ...c.headers },
          body: c.body,
        });
        assert.equal(res.status, c.status, res.text);
        assert.equal(res.body.error.code, c.code);
        assert.equal(typeof res.body.error.message, 'string');
        assert.ok(!/\bat \w+ \(|node_modules|\.ts:\d+/.test(res.text), 'no stack trace in the answer');
        if (c.field) {
          assert.equal(res.body.error.field, c.field);
          assert.ok(res.body.error.message.includes(c.field), 'the message names the field');
        }
        assert.deepEqual(await counts(), before);
      });
    }
  });
}
