/**
 * bench/flexisip: GET /api/accounts/me authenticated by HTTP Digest (each client request is the 401
 * challenge and then the answer, counted together as one request) and by API key, at 50
 * connections, next to a bare Fastify hello-world in the same run. SQLite by default; PostgreSQL +
 * Redis too unless BENCH_PG=0. Best of BENCH_ROUNDS interleaved rounds of BENCH_SECONDS each, half in
 * each order (lib's inBothOrders), on a fresh Gatehouse for each.
 * Run: npm run build && node --import tsx bench/flexisip.ts
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { REDIS_URL, createTestDatabase, redisPrefix } from '../test/helpers/services.js';
import { type BenchServer, type Measure, ROUNDS, SECONDS, bestRounds, interleaved, inBothOrders, report, startGatehouse, startHelloWorld, startInOrder, stopping } from './lib.js';

// wrk sends one request shape per connection; a Digest exchange needs the challenge's nonce in the
// next request, so this one case is driven by autocannon, whose request chains carry it.
const seconds = SECONDS;
const DOMAIN = 'bench.sip.example.org';
const USER = { username: 'bench-user', password: 'bench-password' };
const PATH = '/api/accounts/me';

const H = (text: string) => createHash('sha256').update(text).digest('hex');
const HA1 = H(`${USER.username}:${DOMAIN}:${USER.password}`);

function param(header: string, name: string): string {
  return new RegExp(`${name}="?([^",]*)"?`).exec(header)![1]!;
}

/** The Authorization answering a challenge (SHA-256, qop=auth), with a fresh cnonce each time. */
function answer(challenge: string): string {
  const nonce = param(challenge, 'nonce');
  const opaque = param(challenge, 'opaque');
  const cnonce = randomBytes(8).toString('hex');
  const response = H(`${HA1}:${nonce}:00000001:${cnonce}:auth:${H(`GET:${PATH}`)}`);
  return `Digest username="${USER.username}", realm="${DOMAIN}", nonce="${nonce}", uri="${PATH}", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="${cnonce}", response="${response}", opaque="${opaque}"`;
}

/** The bootstrap admin key, a SIP domain, the account, and an API key for it. */
async function prepare(server: BenchServer & { dataDir: string }): Promise<string> {
  const { tenant, apiKey } = JSON.parse(readFileSync(path.join(server.dataDir, 'bootstrap-credentials.json'), 'utf8')) as { tenant: { id: number }; apiKey: string };
  const admin = { 'x-api-key': apiKey, 'content-type': 'application/json' };
  await fetch(`${server.url}/admin/tenants/${tenant.id}/sip-domains`, { method: 'POST', headers: admin, body: JSON.stringify({ domain: DOMAIN }) });
  const created = await fetch(`${server.url}/api/accounts`, { method: 'POST', headers: admin, body: JSON.stringify({ ...USER, algorithm: 'SHA-256', domain: DOMAIN, activated: true }) });
  // Account creation answers 200, as upstream's account manager does.
  if (created.status !== 200) throw new Error(`account: ${created.status} ${await created.text()}`);
  const from = { from: `sip:${USER.username}@${DOMAIN}` };
  const challenge = (await fetch(`${server.url}/api/accounts/me/api_key`, { headers: from })).headers.get('www-authenticate')!;
  const nonce = param(challenge, 'nonce');
  const cnonce = 'prepare';
  const response = H(`${HA1}:${nonce}:00000001:${cnonce}:auth:${H('GET:/api/accounts/me/api_key')}`);
  const authorization = `Digest username="${USER.username}", realm="${DOMAIN}", nonce="${nonce}", uri="/api/accounts/me/api_key", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="${cnonce}", response="${response}", opaque="${param(challenge, 'opaque')}"`;
  const key = await fetch(`${server.url}/api/accounts/me/api_key`, { headers: { ...from, authorization } });
  if (key.status !== 200) throw new Error(`api key: ${key.status}`);
  return key.text();
}

const DIGEST = 'GET /api/accounts/me by Digest (401 + answer)';

/** Digest: each connection asks, is challenged, answers; one exchange is one request. */
async function digestLoad(server: BenchServer): Promise<Measure> {
  const from = `sip:${USER.username}@${DOMAIN}`;
  let refused = 0;
  const result = await autocannon({
    url: `${server.url}${PATH}`,
    connections: 50,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        path: PATH,
        headers: { from },
        onResponse: (_status: number, _body: string, context: Record<string, string>, headers: Record<string, string>) => {
          context.challenge = headers['www-authenticate'] ?? '';
        },
      },
      {
        method: 'GET',
        path: PATH,
        setupRequest: (req: autocannon.Request, context: Record<string, string>) => ({ ...req, headers: { from, authorization: answer(context.challenge!) } }),
        onResponse: (status: number) => {
          if (status !== 200) refused++;
        },
      },
    ] as autocannon.Request[],
  });
  const exchanges = result['2xx'];
  return {
    name: DIGEST,
    rps: Math.round(exchanges / result.duration),
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    requests: exchanges + refused,
    // Every exchange has its one 401 challenge; a failure is an answer that was not accepted.
    unexpected: refused + result.errors + result.timeouts,
    cpuUs: null,
  };
}

/**
 * A backend's rows, in both orders (lib's inBothOrders), each on a fresh Gatehouse: `fresh` makes its
 * settings (and, on PostgreSQL, its database, dropped by `drop` once the server stopped).
 */
async function run(label: string, fresh: () => Promise<{ env: Record<string, string>; drop(): Promise<void> }>): Promise<{ baseline: Measure; rows: Measure[] }> {
  let server: BenchServer & { dataDir: string };
  const { cases, results } = await inBothOrders(
    async (reversed) => {
      const { env, drop } = await fresh();
      const [hello, gatehouse] = await startInOrder<BenchServer>([startHelloWorld, () => startGatehouse(env)], reversed);
      server = gatehouse as BenchServer & { dataDir: string };
      const stop = async () => {
        await Promise.all([hello!.stop(), gatehouse!.stop()]);
        await drop();
      };
      const key = await stopping(stop, () => prepare(server));
      return {
        cases: [
          { name: 'bare Fastify hello-world', load: () => ({ url: `${hello!.url}/`, pid: hello!.child.pid }) },
          { name: `GET /api/accounts/me by API key (${label})`, load: () => ({ url: `${server.url}${PATH}`, headers: { 'x-api-key': key, 'content-type': 'application/json' }, pid: server.child.pid }) },
        ],
        stop,
      };
    },
    async (cases, rounds) => {
      const wrk = await interleaved(cases, rounds);
      const digest: Measure[] = [];
      for (let i = 0; i < rounds; i++) digest.push(await digestLoad(server));
      return { wrk, digest };
    },
  );
  const [baseline, byKey] = bestRounds(cases.map((c) => c.name), results.flatMap((r) => r.wrk));
  const [digest] = bestRounds([DIGEST], results.flatMap((r) => r.digest));
  return { baseline: baseline!, rows: [byKey!, { ...digest!, name: `${DIGEST.replace(')', '')}, ${label})` }] };
}

/** A fresh PostgreSQL database and Redis prefix for one order's Gatehouse. */
async function freshPostgres(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  const database = await createTestDatabase('postgres');
  return { env: { DATABASE_URL: database.url, REDIS_URL, GATEHOUSE_REDIS_PREFIX: redisPrefix() }, drop: database.drop };
}

const sqlite = await run('SQLite', async () => ({ env: {}, drop: async () => {} }));
let baseline = sqlite.baseline;
const results = [...sqlite.rows];
if (process.env.BENCH_PG !== '0') {
  const postgres = await run('PostgreSQL + Redis', freshPostgres);
  if (postgres.baseline.rps > baseline.rps) baseline = postgres.baseline;
  results.push(...postgres.rows);
}
if (!report('flexisip', baseline, results)) process.exitCode = 1;
console.log(`\ntarget on SQLite: the API-key request >= 35% of hello-world req/s; best of ${ROUNDS} interleaved rounds of ${SECONDS} s, half in each order`);
