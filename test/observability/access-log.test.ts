/** The access line: one per request, pino's shape, nothing a client sends can break or forge it. */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config.js';
import { type Runtime, openRuntime } from '../../src/runtime.js';
import { buildServer } from '../../src/server.js';
import { type TestServer, call, startTestServer } from '../helpers/server.js';
import { type TestDatabase, createTestDatabase } from '../helpers/services.js';

const lines = (server: TestServer) => server.logs.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const accessLines = (server: TestServer) => lines(server).filter((l) => l.msg === 'request');

describe('the access line', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer('sqlite');
  });
  after(() => server.close());

  test('is one JSON line per request in pino\'s shape, with no query string', async () => {
    const before = accessLines(server).length;
    await call(`${server.url}/ping?token=secret-in-query`, { headers: { 'x-request-id': 'access-1' } });
    const all = accessLines(server);
    assert.equal(all.length, before + 1);
    const line = all.at(-1)!;
    const other = lines(server).find((l) => l.msg !== 'request')!;
    // Same leading fields as every pino line, so collectors read both alike.
    assert.deepEqual(Object.keys(line).slice(0, 4), ['level', 'time', 'pid', 'hostname']);
    assert.equal(line.pid, other.pid);
    assert.equal(line.hostname, other.hostname);
    assert.equal(line.level, 30);
    assert.ok(Math.abs((line.time as number) - Date.now()) < 5000);
    assert.deepEqual({ ...line, time: 0, pid: 0, hostname: '', ms: 0 }, { level: 30, time: 0, pid: 0, hostname: '', reqId: 'access-1', method: 'GET', path: '/ping', route: '/ping', status: 200, ms: 0, msg: 'request' });
    assert.ok(!server.logs.join('').includes('secret-in-query'));
  });

  test('a path with quotes and backslashes stays one well-formed line', async () => {
    // Sent raw: fetch would percent-encode the quotes and turn the backslash into a slash.
    const path = '/no/"level":60,"msg":"forged"\\x%22%0A';
    const { port } = new URL(server.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.end(`GET ${path} HTTP/1.1\r\nHost: x\r\nX-Request-Id: access-2\r\nConnection: close\r\n\r\n`));
      let got = '';
      socket.on('data', (d) => (got += d)).on('end', () => resolve(got)).on('error', reject);
    });
    assert.match(answer, /^HTTP\/1.1 404/);
    const line = accessLines(server).find((l) => l.reqId === 'access-2')!;
    assert.equal(line.path, path);
    assert.equal(line.level, 30);
    assert.equal(line.status, 404);
    assert.equal(line.route, 'unmatched');
  });
});

describe('the access line at LOG_LEVEL=warn', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer('sqlite', { env: { LOG_LEVEL: 'warn' } });
  });
  after(() => server.close());

  test('is not written', async () => {
    await call(`${server.url}/ping`);
    await call(`${server.url}/ping`);
    assert.equal(accessLines(server).length, 0);
  });
});

describe('an answer whose writes fail to commit (SQLite group commit)', () => {
  let database: TestDatabase;
  let runtime: Runtime;
  let app: FastifyInstance;
  const logs: string[] = [];
  before(async () => {
    database = await createTestDatabase('sqlite');
    runtime = await openRuntime(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', GATEHOUSE_DATA_DIR: database.dataDir, DATABASE_URL: database.url }));
    await sql`create table doomed_parents (id integer primary key)`.execute(runtime.storage.db);
    await sql`create table doomed_children (id integer primary key, parent_id integer not null references doomed_parents (id) deferrable initially deferred)`.execute(runtime.storage.db);
    app = await buildServer(runtime, { logStream: new Writable({ write: (chunk, _e, done) => (logs.push(String(chunk)), done()) }) });
    // A route of the test's own: its write breaks a deferred foreign key, so the group's commit fails.
    const orphan = runtime.storage.statements.prepare('insert into doomed_children (parent_id) values (?)');
    app.get('/test/doomed', async () => {
      await orphan.run(42);
      return { ok: true };
    });
    await app.ready();
  });
  after(async () => {
    await app.close();
    await runtime.close();
    await database.drop();
  });

  test('is logged and counted as the 500 it answers, never as a 200', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/doomed', headers: { 'x-request-id': 'doomed-1' } });
    assert.equal(res.statusCode, 500);
    const mine = logs.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.reqId === 'doomed-1' && l.msg === 'request');
    assert.deepEqual(mine.map((l) => l.status), [500]);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /gatehouse_http_requests_total\{method="GET",route="\/test\/doomed",status="500"\} 1/);
    assert.doesNotMatch(metrics, /route="\/test\/doomed",status="200"/);
  });
});
