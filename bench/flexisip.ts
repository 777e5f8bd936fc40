/**
 * bench/flexisip: GET /api/accounts/me authenticated by HTTP Digest (each client request is the 401
 * challenge and then the answer, counted together as one request) and by API key, at 50
 * connections, next to a bare Fastify hello-world in the same run. SQLite by default; PostgreSQL +
 * Redis too unless BENCH_PG=0. Best of BENCH_ROUNDS interleaved rounds of BENCH_SECONDS each.
 * Run: npm run build && node --import tsx bench/flexisip.ts
 */
import { createHash, randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import pg from 'pg';
import { type BenchServer, type Load, type Measure, bestOf, measure, report, startGatehouse, startHelloWorld } from './lib.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const PG_ADMIN_URL = process.env.GATEHOUSE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.GATEHOUSE_TEST_REDIS ?? 'redis://127.0.0.1:6379';
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
async function prepare(server: BenchServer): Promise<string> {
  const m = /bootstrap credentials[^\n]*\n(\{[\s\S]*?\n\})/.exec(server.output());
  if (!m) throw new Error('the server did not print its bootstrap credentials');
  const { tenant, apiKey } = JSON.parse(m[1]!) as { tenant: { id: number }; apiKey: string };
  const admin = { 'x-api-key': apiKey, 'content-type': 'application/json' };
  await fetch(`${server.url}/admin/tenants/${tenant.id}/sip-domains`, { method: 'POST', headers: admin, body: JSON.stringify({ domain: DOMAIN }) });
  const created = await fetch(`${server.url}/api/accounts`, { method: 'POST', headers: admin, body: JSON.stringify({ ...USER, algorithm: 'SHA-256', domain: DOMAIN, activated: true }) });
  if (created.status !== 201) throw new Error(`account: ${created.status} ${await created.text()}`);
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
    name: 'GET /api/accounts/me by Digest (401 + answer)',
    rps: Math.round(exchanges / result.duration),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    // Every exchange has its one 401 challenge; a failure is an answer that was not accepted.
    non2xx: refused,
  };
}

async function run(label: string, server: BenchServer, hello: BenchServer): Promise<{ baseline: Measure; rows: Measure[] }> {
  const key = await prepare(server);
  await measure('warm-up', { url: `${hello.url}/`, seconds: 2 });
  const cases: Array<{ name: string; load: Load }> = [
    { name: 'bare Fastify hello-world', load: { url: `${hello.url}/`, seconds } },
    { name: `GET /api/accounts/me by API key (${label})`, load: { url: `${server.url}${PATH}`, headers: { 'x-api-key': key, 'content-type': 'application/json' }, seconds } },
  ];
  let best: Measure | undefined;
  const measured: Measure[][] = [];
  for (let i = 0; i < rounds; i++) {
    measured.push(await bestOf(1, cases));
    const d = await digestLoad(server);
    if (!best || d.rps > best.rps) best = d;
  }
  const pick = (j: number) => measured.map((r) => r[j]!).reduce((a, b) => (b.rps > a.rps ? b : a));
  return { baseline: pick(0), rows: [pick(1), { ...best!, name: `${best!.name.replace(')', '')}, ${label})` }] };
}

const hello = await startHelloWorld();
const results: Measure[] = [];
let baseline: Measure | undefined;
try {
  const sqlite = await startGatehouse();
  try {
    const r = await run('SQLite', sqlite, hello);
    baseline = r.baseline;
    results.push(...r.rows);
  } finally {
    await sqlite.stop();
  }
  if (process.env.BENCH_PG !== '0') {
    const name = `gh_bench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    const server = await startGatehouse({ DATABASE_URL: url.toString(), REDIS_URL, GATEHOUSE_REDIS_PREFIX: `${name}:` });
    try {
      const r = await run('PostgreSQL + Redis', server, hello);
      if (!baseline || r.baseline.rps > baseline.rps) baseline = r.baseline;
      results.push(...r.rows);
    } finally {
      await server.stop();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  }
  report('flexisip', baseline!, results);
  console.log(`\ntarget on SQLite: the API-key request >= 35% of hello-world req/s; best of ${rounds} interleaved rounds of ${seconds} s`);
} finally {
  await hello.stop();
}
