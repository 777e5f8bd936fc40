/**
 * bench/otp: POST /2fa/send (outbox channel, a new recipient per request so the default limit never
 * refuses) and POST /2fa/verify with the right code (each request a different, freshly sent code),
 * at 50 connections, on SQLite and on PostgreSQL + Redis, next to a bare Fastify hello-world measured
 * in the same run. Best of BENCH_ROUNDS interleaved rounds of BENCH_SECONDS each. On SQLite it also
 * measures bench/floor-server.mjs: a bare Fastify route running the same statements with the same
 * group commit and no Gatehouse code, the least a send or a verify can cost on this machine.
 * Run: npm run build && node --import tsx bench/otp.ts   (BENCH_PG=0 skips PostgreSQL + Redis)
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type BenchServer, type Load, type Measure, bestOf, measure, report, startFloor, startGatehouse, startHelloWorld } from './lib.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const poolSize = Number(process.env.BENCH_VERIFY_POOL ?? 150_000);
const PG_ADMIN_URL = process.env.GATEHOUSE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.GATEHOUSE_TEST_REDIS ?? 'redis://127.0.0.1:6379';

interface Target {
  label: string;
  server: BenchServer;
  auth: string;
  admin: string;
}

function credentials(server: BenchServer): { auth: string; admin: string } {
  const m = /bootstrap credentials[^\n]*\n(\{[\s\S]*?\n\})/.exec(server.output());
  if (!m) throw new Error('the server did not print its bootstrap credentials');
  const { tenant, apiKey } = JSON.parse(m[1]!) as { tenant: { sid: string; authToken: string }; apiKey: string };
  return { auth: `Basic ${Buffer.from(`${tenant.sid}:${tenant.authToken}`).toString('base64')}`, admin: apiKey };
}

let number = 0;
/** A recipient no other request of this run uses (NANP-shaped, E.164). */
const nextNumber = (series: number) => `+1${series}${String(number++).padStart(9, '0')}`;

/** Sends `count` codes in batches of 500 and reads each batch's codes back from the outbox. */
async function verifyPool(t: Target, count: number): Promise<string[]> {
  const bodies: string[] = [];
  const headers = { authorization: t.auth, 'content-type': 'application/json' };
  for (let done = 0; done < count; done += 500) {
    const batch = Math.min(500, count - done);
    const ids = new Map<string, string>();
    const tos = Array.from({ length: batch }, () => nextNumber(3));
    for (let i = 0; i < tos.length; i += 100) {
      await Promise.all(
        tos.slice(i, i + 100).map(async (to) => {
          const res = await fetch(`${t.server.url}/2fa/send`, { method: 'POST', headers, body: JSON.stringify({ service: 'bench', from: '+15550000000', to, body: 'code {code}' }) });
          const body = (await res.json()) as { requestID: string };
          ids.set(to, body.requestID);
        }),
      );
    }
    const outbox = (await (await fetch(`${t.server.url}/dev/outbox?limit=500`, { headers: { 'x-api-key': t.admin } })).json()) as { messages: Array<{ to: string; body: string }> };
    for (const m of outbox.messages) {
      const requestId = ids.get(m.to);
      if (requestId) bodies.push(JSON.stringify({ requestId, code: /\d{6}/.exec(m.body)![0] }));
    }
  }
  return bodies;
}

/** The floor server's codes, sent the same way and read back from its outbox. */
async function floorPool(floor: BenchServer, count: number): Promise<string[]> {
  const headers = { authorization: floorAuth, 'content-type': 'application/json' };
  const bodies: string[] = [];
  for (let done = 0; done < count; done += 500) {
    for (let i = 0; i < 500; i += 100) {
      await Promise.all(Array.from({ length: 100 }, () => fetch(`${floor.url}/send`, { method: 'POST', headers, body: JSON.stringify({ service: 'bench', from: '+15550000000', to: nextNumber(5), body: 'code {code}' }) })));
    }
    const sent = (await (await fetch(`${floor.url}/outbox`)).json()) as Array<{ body: string; request_id: string }>;
    for (const m of sent) bodies.push(JSON.stringify({ requestId: m.request_id, code: /\d{6}/.exec(m.body)![0] }));
  }
  return bodies;
}
const floorAuth = `Basic ${Buffer.from('AC1:token').toString('base64')}`;

/** Send and verify loads on the floor server, for SQLite's table. */
async function floorCases(floor: BenchServer): Promise<Array<{ name: string; load: Load }>> {
  const pool = await floorPool(floor, poolSize);
  let next = 0;
  const headers = { authorization: floorAuth, 'content-type': 'application/json' };
  return [
    {
      name: 'floor: send statements, bare Fastify',
      load: { url: `${floor.url}/send`, method: 'POST', headers, seconds, setupRequest: (req) => ({ ...req, body: JSON.stringify({ service: 'bench', from: '+15550000000', to: nextNumber(6), body: 'code {code}' }) }) },
    },
    { name: 'floor: verify statements, bare Fastify', load: { url: `${floor.url}/verify`, method: 'POST', headers, seconds, setupRequest: (req) => ({ ...req, body: pool[next++ % pool.length] }) } },
    { name: 'floor: verify route, no statements', load: { url: `${floor.url}/verify-nothing`, method: 'POST', headers, seconds, setupRequest: (req) => ({ ...req, body: pool[next++ % pool.length] }) } },
  ];
}

async function run(t: Target, hello: BenchServer, floor?: BenchServer): Promise<{ baseline: Measure; rows: Measure[] }> {
  const started = Date.now();
  const extra = floor ? await floorCases(floor) : [];
  const pool = await verifyPool(t, poolSize);
  console.log(`${t.label}: ${pool.length} codes sent for the verify load in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  let next = 0;
  const headers = { authorization: t.auth, 'content-type': 'application/json' };
  await measure('warm-up', { url: `${hello.url}/`, seconds: 2 });
  const [baseline, send, verify, ...floors] = await bestOf(rounds, [
    { name: 'bare Fastify hello-world', load: { url: `${hello.url}/`, seconds } },
    {
      name: `POST /2fa/send (${t.label})`,
      load: {
        url: `${t.server.url}/2fa/send`, method: 'POST', headers, seconds,
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ service: 'bench', from: '+15550000000', to: nextNumber(4), body: 'code {code}' }) }),
      },
    },
    {
      name: `POST /2fa/verify right code (${t.label})`,
      // Past the end of the pool a request re-verifies an old code and answers 471: counted as errors.
      load: { url: `${t.server.url}/2fa/verify`, method: 'POST', headers, seconds, setupRequest: (req) => ({ ...req, body: pool[next++ % pool.length] }) },
    },
    ...extra,
  ]);
  if (next > pool.length) console.log(`${t.label}: the verify load used ${next} requests for ${pool.length} codes; the excess answered 471`);
  return { baseline: baseline!, rows: [send!, verify!, ...floors] };
}

const hello = await startHelloWorld();
const results: Measure[] = [];
let baseline: Measure | undefined;
try {
  const sqlite = await startGatehouse();
  const floor = await startFloor();
  try {
    const r = await run({ label: 'SQLite', server: sqlite, ...credentials(sqlite) }, hello, floor);
    baseline = r.baseline;
    results.push(...r.rows);
  } finally {
    await sqlite.stop();
    await floor.stop();
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
      const r = await run({ label: 'PostgreSQL + Redis', server, ...credentials(server) }, hello);
      if (!baseline || r.baseline.rps > baseline.rps) baseline = r.baseline;
      results.push(...r.rows);
    } finally {
      await server.stop();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  }
  report('otp', baseline!, results);
  console.log(`\ntargets on SQLite: verify >= 50% of hello-world req/s, send >= 35%, p99 < 15 ms; best of ${rounds} interleaved rounds of ${seconds} s`);
} finally {
  await hello.stop();
}
