/**
 * Traces: with OTEL_EXPORTER_OTLP_ENDPOINT set, a request makes a span (@fastify/otel) whose children
 * are its storage queries, its shared-state operations (Redis) and its provider calls (Twilio, SMTP),
 * received here by an in-memory exporter, on SQLite and PostgreSQL. No value reaches a span. Without
 * the setting the OpenTelemetry packages are not imported at all: only observability/otel.ts names
 * them, and only tracing.ts loads it, dynamically.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { type AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { activeTracing, startTracing, stopTracing } from '../../src/observability/tracing.js';
import { queueDrained } from '../helpers/delivery.js';
import { type FakeTwilio, startFakeTwilio } from '../helpers/fake-twilio.js';
import { startServerProcess } from '../helpers/process.js';
import { type TestServer, call, startTestServer } from '../helpers/server.js';
import { DIALECTS, skipDialect } from '../helpers/services.js';
import { type TestSmtp, startTestSmtp } from '../helpers/smtp.js';
import { client } from '../faces/smart2fa/helpers.js';
import { PASSWORD } from '../faces/comm100/login-helpers.js';

const exporter = new InMemorySpanExporter();
const ENDPOINT = 'http://127.0.0.1:4318';

before(async () => {
  // The runtime starts tracing from the configuration; started here first, it keeps this exporter.
  await startTracing({ endpoint: ENDPOINT, serviceName: 'gatehouse-test' }, exporter);
});
after(() => stopTracing());

/** The spans of the request answered with this x-request-id's trace: the request span and everything under it. */
function traceOf(requestSpan: ReadableSpan): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === requestSpan.spanContext().traceId);
}

function requestSpan(method: string, route: string): ReadableSpan {
  const found = exporter.getFinishedSpans().filter((s) => s.name === 'request' && s.attributes['http.request.method'] === method && s.attributes['http.route'] === route);
  assert.ok(found.length > 0, `a request span for ${method} ${route}; spans: ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
  return found.at(-1)!;
}

for (const dialect of DIALECTS) {
  describe(`traces on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let twilio: FakeTwilio;
    let smtp: TestSmtp;
    before(async () => {
      twilio = await startFakeTwilio();
      smtp = await startTestSmtp();
      server = await startTestServer(dialect, {
        redis: true,
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT,
          TWILIO_BASE_URL: twilio.url,
          TWILIO_ACCOUNT_SID: twilio.accountSid,
          TWILIO_AUTH_TOKEN: twilio.authToken,
          TWILIO_FROM: '+14155551111',
          SMTP_URL: smtp.url,
          SMTP_FROM: 'codes@gatehouse.example',
          GATEHOUSE_OUTBOX: 'true',
          GATEHOUSE_SMS_CHANNEL: 'twilio',
        },
      });
    });
    after(async () => {
      await server?.close();
      await twilio?.close();
      await smtp?.close();
    });

    it('a send of a code makes a request span with its queries, and its queued Twilio call a span of its own', async () => {
      exporter.reset();
      const sent = await client(server).send({ to: '+447712345678' });
      assert.equal(sent.status, 200, sent.text);
      // The provider is called by the delivery queue's worker, after the answer.
      await queueDrained(server);
      const request = requestSpan('POST', '/2fa/send');
      assert.equal(request.attributes['http.response.status_code'], 200);
      const spans = traceOf(request);
      const system = dialect === 'sqlite' ? 'sqlite' : 'postgresql';
      const queries = spans.filter((s) => s.attributes['db.system.name'] === system);
      assert.ok(queries.length > 0, `storage spans: ${spans.map((s) => s.name).join(', ')}`);
      assert.ok(queries.every((s) => typeof s.attributes['db.query.text'] === 'string' && /^[A-Z]+$/.test(s.name)));
      const provider = exporter.getFinishedSpans().find((s) => s.name === 'twilio sms send');
      assert.ok(provider, `a Twilio span: ${spans.map((s) => s.name).join(', ')}`);
      assert.equal(provider.attributes['gatehouse.provider'], 'twilio');
      // Nothing of the message, its code or its destination is in any span.
      const code = /\d{4,10}/.exec(twilio.requests.at(-1)!.form.Body!)![0];
      const everything = JSON.stringify(exporter.getFinishedSpans().map((s) => [s.name, s.attributes]));
      for (const secret of [code, '+447712345678', sent.body.requestID]) assert.ok(!everything.includes(secret), `${secret} is in a span`);
    });

    it('an email goes through SMTP in a span of its own', async () => {
      exporter.reset();
      const sent = await client(server).send({ channel: 'email', to: 'someone@example.com', from: 'codes@gatehouse.example', subject: 'Code' });
      assert.equal(sent.status, 200, sent.text);
      await queueDrained(server);
      assert.ok(exporter.getFinishedSpans().some((s) => s.name === 'smtp email send' && s.attributes['gatehouse.channel'] === 'email'));
    });

    it("a sign-in's password try makes Redis spans beneath its request", async () => {
      const core = server.runtime.core;
      const partner = (await core.tenants.create(null, { name: 'P' })).tenant.id;
      await core.accounts.create(null, { tenant: partner, email: 'super@example.com', role: 'superagent', password: PASSWORD });
      exporter.reset();
      const r = await call(`${server.url}/global/jwtToken/login?token=not-for-spans`, { json: { partnerId: partner, email: 'super@example.com', password: PASSWORD } });
      assert.equal(r.status, 200, r.text);
      const request = requestSpan('POST', '/global/jwtToken/login');
      assert.equal(request.attributes['url.path'], '/global/jwtToken/login', 'the query string is not recorded');
      const redis = traceOf(request).filter((s) => s.attributes['db.system.name'] === 'redis');
      assert.ok(redis.length > 0, `redis spans: ${traceOf(request).map((s) => s.name).join(', ')}`);
      assert.ok(redis.every((s) => s.name.startsWith('redis ') && s.parentSpanContext?.spanId !== undefined));
      assert.ok(!JSON.stringify(traceOf(request).map((s) => s.attributes)).includes(PASSWORD));
    });

    it("a caller's traceparent makes the request span its child", async () => {
      exporter.reset();
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      await call(`${server.url}/ping`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
      assert.equal(requestSpan('GET', '/ping').spanContext().traceId, traceId);
    });
  });
}

describe('gatehouse serve with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('sends its spans over OTLP/HTTP to <endpoint>/v1/traces, the last ones when it stops', async () => {
    const received: Array<{ path: string; body: string }> = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const { port } = collector.address() as AddressInfo;
    const data = mkdtempSync(path.join(tmpdir(), 'gh-otlp-'));
    const server = await startServerProcess({ GATEHOUSE_DATA_DIR: data, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/`, OTEL_SERVICE_NAME: 'gatehouse-otlp' });
    try {
      assert.equal((await call(`${server.url}/ping?token=secret-in-a-query`)).text, 'pong');
    } finally {
      assert.equal(await server.stop(), 0);
      collector.close();
      rmSync(data, { recursive: true, force: true });
    }
    assert.ok(received.length > 0, 'the collector received spans');
    assert.ok(received.every((r) => r.path === '/v1/traces'));
    const all = received.map((r) => r.body).join('\n');
    assert.match(all, /"gatehouse-otlp"/);
    assert.match(all, /"http\.route","value":\{"stringValue":"\/ping"\}/);
    assert.ok(!all.includes('secret-in-a-query'), 'no query string in a span');
  });
});

describe('without OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('the OpenTelemetry packages are named by one file, which only tracing.ts loads, by a dynamic import', () => {
    const src = path.resolve('src');
    const files = (function list(dir: string): string[] {
      return readdirSync(dir).flatMap((n) => (statSync(path.join(dir, n)).isDirectory() ? list(path.join(dir, n)) : [path.join(dir, n)]));
    })(src).filter((f) => f.endsWith('.ts'));
    const importing = files.filter((f) => /^import (?!type )[^;]*from '(@opentelemetry\/|@fastify\/otel)/m.test(readFileSync(f, 'utf8')));
    assert.deepEqual(importing.map((f) => path.relative(src, f)), ['observability/otel.ts']);
    const loaders = files.filter((f) => /otel\.js'/.test(readFileSync(f, 'utf8')));
    assert.deepEqual(loaders.map((f) => path.relative(src, f)), ['observability/tracing.ts']);
    assert.match(readFileSync(path.join(src, 'observability/tracing.ts'), 'utf8'), /await import\('\.\/otel\.js'\)/);
  });

  it('a server started without it has no tracing', async () => {
    await stopTracing();
    const server = await startTestServer('sqlite');
    try {
      assert.equal(activeTracing(), null);
      assert.equal((await call(`${server.url}/ping`)).text, 'pong');
    } finally {
      await server.close();
      await startTracing({ endpoint: ENDPOINT, serviceName: 'gatehouse-test' }, exporter);
    }
  });
});
