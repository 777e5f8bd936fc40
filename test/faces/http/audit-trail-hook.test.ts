/**
 * The audit trail's hook on routes it has never seen: a route registered after it (as another
 * helper's new route would be) is recorded without declaring anything; a plugin wrapped in
 * notAuditedRoutes and a route declaring config.notAudited are not; a page's destructive post
 * without confirm=yes changed nothing and is not recorded, with it it is. A small Fastify app on the
 * real core (SQLite), so the routes can be made up here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { notAuditedRoutes, registerAuditTrail } from '../../../src/faces/http/audit-trail.js';
import { registerAuthentication } from '../../../src/faces/http/authenticate.js';
import { type TestServer, startTestServer } from '../../helpers/server.js';

describe('the audit trail hook on routes it has never seen', () => {
  let server: TestServer;
  let app: FastifyInstance;
  let key: string;

  before(async () => {
    server = await startTestServer('sqlite');
    key = server.admin.apiKey;
    app = Fastify();
    const core = server.runtime.core;
    registerAuthentication(app, core);
    registerAuditTrail(app, core);
    const config = { auth: ['apiKey' as const], capability: 'tenants.manage' as const };
    app.post('/new/things', { config }, async () => ({ id: 7 }));
    app.delete('/new/things/:id', { config }, async (_req, reply) => reply.status(204).send());
    app.post('/new/sends', { config: { ...config, notAudited: 'code' } }, async () => ({}));
    await app.register(notAuditedRoutes('login', async (scope) => {
      scope.post('/new/login', async () => ({}));
    }), {});
    app.post('/new/things/:id/delete', { config, schema: { body: Type.Object({ confirm: Type.Optional(Type.Literal('yes')) }) } }, async () => ({ asked: true }));
    app.get('/new/read', { config }, async () => ({}));
    await app.ready();
  });
  after(async () => {
    await app?.close();
    await server?.close();
  });

  const records = () => server.runtime.storage.db.selectFrom('admin_changes').selectAll().orderBy('id').execute();
  const send = (method: string, url: string, payload?: unknown) =>
    app.inject({ method: method as 'POST', url, headers: { 'x-api-key': key }, ...(payload !== undefined && { payload: payload as object }) });

  test('a new route is recorded by default, with its object; an excluded one, a read and an unconfirmed post are not', async () => {
    const before = (await records()).length;
    assert.equal((await send('POST', '/new/things', { name: 'x' })).statusCode, 200);
    assert.equal((await send('DELETE', '/new/things/9')).statusCode, 204);
    assert.equal((await send('POST', '/new/sends', {})).statusCode, 200);
    assert.equal((await send('POST', '/new/login', {})).statusCode, 200);
    assert.equal((await send('GET', '/new/read')).statusCode, 200);
    assert.equal((await send('POST', '/new/things/9/delete', {})).statusCode, 200);
    assert.equal((await send('POST', '/new/things/9/delete', { confirm: 'yes' })).statusCode, 200);
    const made = (await records()).slice(before);
    assert.deepEqual(
      made.map((r) => [r.action, r.object_type, r.object_id, r.outcome]),
      [
        ['POST /new/things', 'things', '7', 'done'],
        ['DELETE /new/things/:id', 'things', '9', 'done'],
        ['POST /new/things/:id/delete', 'things', '9', 'done'],
      ],
    );
    assert.deepEqual(
      app.auditedRoutes.filter((r) => r.url.startsWith('/new')).map((r) => [`${r.method} ${r.url}`, r.notAudited]),
      [['POST /new/things', null], ['DELETE /new/things/:id', null], ['POST /new/sends', 'code'], ['POST /new/login', 'login'], ['POST /new/things/:id/delete', null]],
    );
  });

  test('a request with no caller is not recorded when refused', async () => {
    const before = (await records()).length;
    const res = await app.inject({ method: 'POST', url: '/new/things', headers: { 'x-api-key': 'gha_wrong' }, payload: {} });
    assert.equal(res.statusCode >= 400, true);
    assert.equal((await records()).length, before);
  });
});
