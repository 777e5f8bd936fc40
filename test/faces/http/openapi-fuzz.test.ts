/**
 * Walks every operation of /openapi.json — so a route added by any face is fuzzed the day it lands —
 * with generated hostile bodies, query strings, path parameters and headers, on SQLite and
 * PostgreSQL. Fails on any 5xx, any error answer outside its face's envelope (test/helpers/envelopes.ts),
 * a stack trace in an answer or an error in the log, and any row written, changed or deleted by a
 * refused request (every table's contents compared, test/helpers/rows.ts, except the refusal records
 * and guessing counters it names).
 *
 * Bounded: a few runs per operation within a time budget per dialect (GATEHOUSE_FUZZ_RUNS and
 * GATEHOUSE_FUZZ_SECONDS raise them for a longer hunt). A failure prints fast-check's seed and the request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { envelopeOf, hasStackTrace } from '../../helpers/envelopes.js';
import { changes, snapshot, tablesOf } from '../../helpers/rows.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, apiKey, basic, bearer, call, startTestServer } from '../../helpers/server.js';

const RUNS_PER_OPERATION = Number(process.env.GATEHOUSE_FUZZ_RUNS ?? 5);
const BUDGET_MS = Number(process.env.GATEHOUSE_FUZZ_SECONDS ?? 15) * 1000;

type Schema = {
  type?: string;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  properties?: Record<string, Schema>;
  items?: Schema;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
};

interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  query: Record<string, Schema>;
  body: Schema | null;
}

/** A JSON token written as is (1e309 is not something JSON.stringify can produce). */
class Raw {
  constructor(readonly text: string) {}
}

function toJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v) => (v instanceof Raw ? `\u0001${raws.push(v.text) - 1}\u0001` : v));
  return (text ?? 'null').replace(/"\\u0001(\d+)\\u0001"/g, (_m, i) => raws[Number(i)]!);
}

const HOSTILE_STRINGS = [
  '', ' ', '\0', 'a\0b', '%00', 'Infinity', '-Infinity', 'NaN', '1e309', '-1', '0', '1.5', '999999999999999', '2147483648',
  '9007199254740993', '-9223372036854775809', 'null', 'true', '[]', '{}', '../../etc/passwd', "' OR 1=1 --", '"; drop table tenants; --',
  '<script>alert(1)</script>', ']]></Say><Dial>+14155550000</Dial>', '\u202egnp.exe', '\ud800', '😀'.repeat(50), 'x'.repeat(5000),
  'a\r\nX-Injected: 1', '__proto__', 'constructor', '+14155551234', '+1', 'fuzz@example.com', 'a@b', 'AC' + '0'.repeat(32),
  'OTP' + '0'.repeat(32), 'LM' + 'f'.repeat(32), 'JBSWY3DPEHPK3PXP', '123456', '2026-11-31', '2026-01-01T00:00:00Z', 'sms', 'email',
];
const RAW_NUMBERS = ['1e309', '-1e309', '1e-400', '123456789012345678901234567890', '-0', '2147483648', '9007199254740993'];

const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.string({ maxLength: 40 }).map((s) => s.slice(0, 20) + '\0' + s.slice(20)),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  fc.constantFrom(...RAW_NUMBERS).map((t) => new Raw(t)),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(hostileString, { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'a', '\0'), hostileString, { maxKeys: 2 }),
  fc.constant(new Raw('['.repeat(2000) + ']'.repeat(2000))),
);

/** A value the schema would accept, roughly: enough to get past validation into core. */
function plausible(schema: Schema | undefined, ids: string[]): fc.Arbitrary<unknown> {
  if (!schema) return hostileValue;
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return fc.oneof(...options.map((s) => plausible(s, ids)));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'integer':
    case 'number':
      return fc.oneof(fc.integer({ min: -2, max: 30 }), fc.constantFrom(...ids.map(Number)), ...[schema.minimum, schema.maximum].filter((n) => n !== undefined).map((n) => fc.constant(n)));
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(plausible(schema.items, ids), { maxLength: 3 });
    case 'object':
      return schema.properties ? objectOf(schema, ids) : fc.dictionary(fc.string({ maxLength: 8 }), hostileString, { maxKeys: 3 });
    default:
      if (schema.format === 'email') return fc.constantFrom('fuzz@example.com', 'agent@example.com');
      if (schema.format === 'date-time') return fc.constantFrom('2030-01-01T00:00:00Z', '2001-01-01T00:00:00Z');
      return fc.oneof(fc.constantFrom(...ids, '+14155551234', '2FA', 'sms', '123456', 'JBSWY3DPEHPK3PXP'), fc.string({ maxLength: 12 }));
  }
}

const field = (schema: Schema | undefined, ids: string[]) => fc.oneof({ weight: 3, arbitrary: plausible(schema, ids) }, { weight: 2, arbitrary: hostileValue });

function objectOf(schema: Schema, ids: string[]): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(schema.properties ?? {});
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [k, s] of entries) record[k] = field(s, ids);
  return fc.tuple(fc.record(record, { requiredKeys: [] }), fc.dictionary(fc.constantFrom('extra', '__proto__', 'constructor', 'x\0'), hostileValue, { maxKeys: 1 })).map(([a, b]) => ({ ...a, ...b }));
}

function operationsOf(doc: { paths: Record<string, Record<string, any>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params: Array<{ in: string; name: string; schema: Schema }> = op.parameters ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, p.schema])),
        body: op.requestBody?.content?.['application/json']?.schema ?? null,
      });
    }
  }
  return ops;
}

interface Request {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

const cut = (text: string, n = 300) => (text.length > n ? `${text.slice(0, n)}…(${text.length} chars)` : text);
const describeRequest = (r: Request) => `${r.method} ${cut(r.url)} ${cut(JSON.stringify(r.headers))} ${cut(r.body ?? '')}`;

/** encodeURIComponent, but a lone surrogate (which it refuses) is sent as its UTF-8 replacement. */
const encode = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '\ufffd'));
  }
};

for (const dialect of DIALECTS) {
  describe(`every operation of /openapi.json under hostile input on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let operations: Operation[];
    let ids: string[];
    let credentials: Array<Record<string, string>>;
    let tables: string[];

    before(async () => {
      server = await startTestServer(dialect);
      const admin = apiKey(server.admin.apiKey);
      const core = server.runtime.core;
      const partner = (await core.tenants.create(null, { name: 'Fuzz partner' })).tenant;
      const site = await core.tenants.create(null, { name: 'Fuzz site', parent: partner.id });
      const agent = await core.accounts.create(null, { tenant: site.tenant.id, email: 'agent@example.com', password: 'correct horse battery', role: 'agent' });
      const jwt = (await call(`${server.url}/admin/accounts/${agent.id}/jwt`, { method: 'POST', headers: admin })).body.token as string;
      ids = ['1', String(partner.id), String(site.tenant.id), String(agent.id), partner.sid, site.tenant.sid];
      credentials = [
        admin,
        admin,
        admin,
        basic(site.tenant.sid, site.authToken),
        bearer(jwt),
        {},
        { authorization: `Basic ${Buffer.from(`${site.tenant.sid}\0:x`).toString('base64')}` },
        { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.x' },
        { 'x-api-key': 'gha_' + 'A'.repeat(43) },
        { cookie: 'x-api-key=%00; Verifiedtoken=%00' },
      ];
      operations = operationsOf((await call(`${server.url}/openapi.json`)).body);
      tables = await tablesOf(server.runtime.storage.db);
    });
    after(() => server.close());

    /** Every table's contents but those a refusal may write (test/helpers/rows.ts). */
    const rows = () => snapshot(server.runtime.storage.db, tables);

    function requestFor(op: Operation) {
      // Raw values go into the path unencoded: percent-encoding the router cannot read.
      const badEncoding = fc.constantFrom('%zz', '%E0%A4%A', '%', '%C0%80').map((t) => new Raw(t));
      const pathValues = fc.tuple(...op.pathParams.map(() => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ids) }, { weight: 3, arbitrary: hostileString }, badEncoding)));
      const queryValues = fc.record(
        // Cut short: a URL over Node's 16 KiB header limit is refused by the HTTP parser, before any face.
        Object.fromEntries(Object.entries(op.query).map(([k, s]) => [k, field(s, ids).map((v) => (v instanceof Raw ? v.text : typeof v === 'string' ? v : JSON.stringify(v) ?? '').slice(0, 1000))])),
        { requiredKeys: [] },
      );
      const body = op.body
        ? fc.oneof(
            { weight: 6, arbitrary: plausible(op.body, ids).map(toJson) },
            { weight: 1, arbitrary: hostileValue.map(toJson) },
            { weight: 1, arbitrary: fc.constantFrom('{"a":', '', '\0', '{"__proto__":{"admin":true}}', '[1,2', '{"x":1e309}') },
          )
        : fc.constant(undefined);
      const contentType = fc.constantFrom('application/json', 'application/json', 'application/json', 'application/x-www-form-urlencoded', 'text/plain', '', 'application/json; charset=utf-16');
      const extra = fc.record(
        { 'x-request-id': fc.constantFrom('', 'abc', 'x'.repeat(500), '{"level":60}', 'ü'), 'user-agent': fc.constantFrom('fuzz', 'ü'.repeat(300)) },
        { requiredKeys: [] },
      );
      return fc
        .tuple(pathValues, queryValues, body, contentType, fc.nat(credentials.length - 1), extra)
        .map(([pv, qv, b, ct, c, x]): Request => {
          let path = op.path;
          op.pathParams.forEach((name, i) => (path = path.replace(`{${name}}`, pv[i] instanceof Raw ? pv[i].text : encode(String(pv[i])))));
          const qs = Object.entries(qv as Record<string, string>).map(([k, v]) => `${k}=${encode(v)}`).join('&');
          const headers: Record<string, string> = { ...credentials[c]!, ...(x as Record<string, string>) };
          let payload = b;
          if (payload !== undefined && ct) {
            headers['content-type'] = ct;
            if (ct === 'application/x-www-form-urlencoded') {
              try {
                const parsed = JSON.parse(payload);
                payload = new URLSearchParams(Object.entries(parsed ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString();
              } catch {}
            }
          }
          const req: Request = { url: `${server.url}${path}${qs ? `?${qs}` : ''}`, method: op.method, headers, body: op.method === 'GET' ? undefined : payload };
          // fast-check prints a counterexample with this: short, whatever the request holds.
          return Object.assign(req, { [fc.toStringMethod]: () => describeRequest(req) });
        });
    }

    test('answers every generated request below 500, in its face\'s envelope, writing nothing when it refuses', async (t) => {
      const deadline = Date.now() + BUDGET_MS;
      let requests = 0;
      const statuses: Record<string, number> = {};
      for (let i = 0; i < operations.length; i++) {
        const op = operations[i]!;
        // Each operation gets its share of what is left, but never so little that a loaded machine ends
        // it before one request has run (fast-check fails a property interrupted after 0 runs: a login's
        // argon2 took over 1.5 s at a load of 25); past the deadline each operation gets one request.
        const left = Math.max(5000, (deadline - Date.now()) / (operations.length - i));
        await fc.assert(
          fc.asyncProperty(requestFor(op), async (req) => {
            const logged = server.logs.length;
            const before = await rows();
            const res = await call(req.url, { method: req.method, headers: req.headers, body: req.body });
            requests++;
            const group = `${Math.floor(res.status / 100)}xx`;
            statuses[group] = (statuses[group] ?? 0) + 1;
            const where = `${describeRequest(req)}\n→ ${res.status} ${cut(res.text)}`;
            assert.ok(res.status < 500, `a 5xx: ${where}`);
            assert.ok(!hasStackTrace(res.text), `a stack trace in the answer: ${where}`);
            const errors = server.logs.slice(logged).filter((l) => /"level":(50|60)/.test(l));
            assert.deepEqual(errors, [], `an error in the log: ${where}`);
            if (res.status >= 400) {
              const contentType = res.headers.get('content-type') ?? '';
              const problem = envelopeOf(new URL(req.url).pathname)({ status: res.status, contentType, text: res.text, body: contentType.includes('json') ? res.body : undefined });
              assert.equal(problem, null, `not in the face's envelope (${problem}): ${where}`);
              assert.deepEqual(changes(before, await rows()), [], `a refused request changed rows: ${where}`);
            }
          }),
          { numRuns: Date.now() > deadline ? 1 : RUNS_PER_OPERATION, interruptAfterTimeLimit: left, markInterruptAsFailure: false, endOnFailure: true, includeErrorInReport: true },
        );
      }
      t.diagnostic(`${requests} requests over ${operations.length} operations: ${JSON.stringify(statuses)}`);
      // The walk must reach past validation, not only bounce off it.
      assert.ok(requests >= operations.length, `${requests} requests for ${operations.length} operations`);
      assert.ok((statuses['2xx'] ?? 0) > 0 && (statuses['4xx'] ?? 0) > 0, JSON.stringify(statuses));
    });
  });
}
