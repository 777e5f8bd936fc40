import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect, skipUnless } from '../../helpers/services.js';
import { type TestServer, call, startTestServer } from '../../helpers/server.js';

for (const dialect of DIALECTS) {
  describe(`operations endpoints on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(dialect);
    });
    after(() => server.close());

    test('GET /ping answers pong as plain text, with a request id', async () => {
      const res = await call(`${server.url}/ping`);
      assert.equal(res.status, 200);
      assert.equal(res.text, 'pong');
      assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
      assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f]{12}-[0-9a-z]+$/);
    });

    test('a caller\'s own X-Request-Id is kept and echoed', async () => {
      const res = await call(`${server.url}/ping`, { headers: { 'x-request-id': 'lb-7f3a' } });
      assert.equal(res.headers.get('x-request-id'), 'lb-7f3a');
    });

    test('GET /healthz and /readyz answer 200 while storage answers', async () => {
      assert.deepEqual((await call(`${server.url}/healthz`)).body, { status: 'ok' });
      const ready = (await call(`${server.url}/readyz`)).body;
      assert.equal(ready.status, 'ready');
      assert.deepEqual(Object.keys(ready.channels), ['sms', 'call', 'email']);
    });

    test('GET /metrics counts requests by route and status, and latency by route', async () => {
      await call(`${server.url}/ping`);
      await call(`${server.url}/admin/tenants`);
      const res = await call(`${server.url}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.text, /gatehouse_http_requests_total\{method="GET",route="\/ping",status="200"\} \d+/);
      assert.match(res.text, /gatehouse_http_requests_total\{method="GET",route="\/admin\/tenants",status="401"\} 1/);
      assert.match(res.text, /gatehouse_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/ping"\} \d+/);
      // The histogram is cumulative and its +Inf bucket, its count and the counter agree.
      const count = Number(/gatehouse_http_requests_total\{method="GET",route="\/ping",status="200"\} (\d+)/.exec(res.text)![1]);
      assert.ok(count >= 2);
      assert.match(res.text, new RegExp(`gatehouse_http_request_duration_seconds_bucket\\{le="\\+Inf",method="GET",route="/ping"\\} ${count}\n`));
      assert.match(res.text, new RegExp(`gatehouse_http_request_duration_seconds_count\\{method="GET",route="/ping"\\} ${count}\n`));
      const buckets = [...res.text.matchAll(/gatehouse_http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/ping"\} (\d+)/g)].map((m) => Number(m[1]));
      assert.deepEqual(buckets, [...buckets].sort((a, b) => a - b), 'buckets never decrease');
      assert.match(res.text, /gatehouse_process_cpu_seconds_total/);
    });

    test('an unknown route answers 404 in JSON', async () => {
      const res = await call(`${server.url}/nowhere?token=secret`);
      assert.equal(res.status, 404);
      assert.equal(res.body.error.code, 'not_found');
      assert.ok(!res.text.includes('secret'));
    });

    test('/openapi.json is generated from the routes, with their schemas and security', async () => {
      const res = await call(`${server.url}/openapi.json`);
      assert.equal(res.status, 200);
      assert.equal(res.body.openapi, '3.0.3');
      const create = res.body.paths['/admin/tenants'].post;
      assert.ok(create.requestBody.content['application/json'].schema.properties.name);
      assert.deepEqual(create.security.map((s: object) => Object.keys(s)[0]).sort(), ['apiKey', 'basic', 'jwt']);
      assert.ok(res.body.paths['/ping']);
    });

    test('/docs serves an interactive reference that loads nothing from the internet', async () => {
      const page = await call(`${server.url}/docs/`);
      assert.equal(page.status, 200);
      assert.match(page.text, /swagger-ui/i);
      const external = [...page.text.matchAll(/(?:src|href)="(https?:\/\/[^"]+)"/g)].map((m) => m[1]);
      assert.deepEqual(external, []);
      const init = await call(`${server.url}/docs/static/swagger-initializer.js`);
      assert.equal(init.status, 200);
      const code = init.text.replace(/^\s*\/\/.*$/gm, '');
      assert.ok(!/https?:\/\//.test(code), 'the initializer names no remote address');
      assert.match(code, /validatorUrl: null/);
      assert.match(code, /resolveUrl\('\.\/json'\)/);
    });
  });
}

describe('readiness when storage is gone', { skip: await skipUnless({ postgres: true }) }, () => {
  test('GET /readyz answers 503 once the database stops answering, /healthz stays 200', async () => {
    const server = await startTestServer('postgres');
    try {
      const pg = await import('pg');
      const admin = new pg.default.Client({ connectionString: server.database.url.replace(/\/[^/]+$/, '/test') });
      await admin.connect();
      const name = new URL(server.database.url).pathname.slice(1);
      // Refuse new connections and end the ones the server holds: the database is unreachable.
      await admin.query(`alter database ${name} allow_connections false`);
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1`, [name]);
      await admin.end();
      const res = await call(`${server.url}/readyz`);
      assert.equal(res.status, 503);
      assert.equal(res.body.status, 'unavailable');
      assert.equal((await call(`${server.url}/healthz`)).status, 200);
    } finally {
      await server.app.close();
      await server.runtime.close().catch(() => {});
      await server.database.drop();
    }
  });
});
