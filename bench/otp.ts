/**
 * bench/otp: POST /2fa/send (outbox channel, a new recipient per request so the default limit never
 * refuses) and POST /2fa/verify with the right code (each request a fresh code nobody has used), on
 * SQLite and on PostgreSQL + Redis, each next to its floor (bench/floor-server.mjs: the least program
 * doing the same durable work) and a bare Fastify hello-world, in interleaved rounds, in both orders
 * (lib's inBothOrders: every server started afresh for each).
 *
 * Every verify round gets its own codes: before it, the codes sent so far (by the send rounds, and
 * by unmeasured send loads when those are not enough) are read from the database's outbox, as many
 * as twice the best round so far could use (at least 6,000 a second). So no round measures "already verified".
 * Run: npm run build && node --import tsx bench/otp.ts
 * Env: BENCH_SECONDS (4), BENCH_ROUNDS (4, half in each order), BENCH_CONNECTIONS (50), BENCH_PG=0 skips PostgreSQL + Redis,
 * BENCH_SQLITE=0 skips SQLite.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { REDIS_URL, createTestDatabase, redisPrefix } from '../test/helpers/services.js';
import { type BenchServer, type Case, type Load, type Measure, type Pass, SECONDS, bestRounds, bodiesFile, ensureWrk, inBothOrders, interleaved, measure, report, reportSteady, startFloor, startGatehouse, startHelloWorld, startInOrder, steadyOf, steadyRounds, stopping } from './lib.js';

const SEND = JSON.stringify({ service: 'bench', from: '+14155550000', to: '{to}', body: 'code {code}' });

/** The first start's tenant, from the owner-only file it writes in its data folder (stdout is not a terminal). */
function credentials(server: BenchServer & { dataDir: string }): string {
  const { tenant } = JSON.parse(readFileSync(path.join(server.dataDir, 'bootstrap-credentials.json'), 'utf8')) as { tenant: { sid: string; authToken: string } };
  return `Basic ${Buffer.from(`${tenant.sid}:${tenant.authToken}`).toString('base64')}`;
}
const floorAuth = `Basic ${Buffer.from('AC1:token').toString('base64')}`;

/** Live codes read from a database's outbox, each handed out once, in the order they were sent. */
interface CodeSource {
  read(afterId: number): Promise<Array<{ id: number; request_id: string; body: string }>>;
  close(): Promise<void>;
}
const CODES_SQL = `select v.id, v.request_id, m.body from verifications v join outbox_messages m on m."to" = v."to"
  where v.id > $1 and v.status = 'pending' order by v.id limit 200000`;

function sqliteCodes(file: string): CodeSource {
  const db = new Database(file, { readonly: true });
  const select = db.prepare(CODES_SQL.replace('$1', '?'));
  return { read: async (after) => select.all(after) as any, close: async () => void db.close() };
}
function postgresCodes(url: string): CodeSource {
  const client = new pg.Client({ connectionString: url });
  const connected = client.connect();
  return {
    read: async (after) => (await connected, (await client.query(CODES_SQL, [after])).rows),
    close: () => client.end(),
  };
}

/** A server's verify load: fresh codes for each round, topped up by unmeasured sends when short. */
function verifyPool(server: BenchServer, auth: string, sendPath: string, source: CodeSource) {
  let lastId = 0;
  let best = 0;
  let sendRate = 1000;
  const codes: string[] = [];
  async function collect() {
    for (const r of await source.read(lastId)) {
      lastId = r.id;
      const code = /\d{6}/.exec(r.body)?.[0];
      if (code) codes.push(JSON.stringify({ requestId: r.request_id, code }));
    }
  }
  return {
    async load(): Promise<Load> {
      // Twice the best rate seen so far (at least 6,000/s): the warm-up's rate, still cold, once
      // left round one short, and a round that runs out sends spent codes (an error, not a number).
      const need = Math.ceil(Math.max(best, 6000) * SECONDS * 2);
      await collect();
      while (codes.length < need) {
        const seconds = Math.min(30, Math.max(1, Math.ceil((need - codes.length) / sendRate)));
        const fill = await measure('fill', { url: `${server.url}${sendPath}`, headers: { authorization: auth }, sendTemplate: SEND, seconds });
        sendRate = Math.max(100, fill.rps);
        await collect();
      }
      return { url: `${server.url}${sendPath.replace('send', 'verify')}`, headers: { authorization: auth }, bodies: bodiesFile('verify', codes.splice(0, need)), pid: server.child.pid };
    },
    after(m: Measure) {
      best = Math.max(best, m.rps);
    },
  };
}

interface Backend {
  label: string;
  gatehouse: BenchServer & { dataDir: string };
  floor: BenchServer;
  gatehouseCodes: CodeSource;
  floorCodes: CodeSource;
}

/** A backend's two servers, not yet started, and what the backend is once they run. */
interface Plan {
  starters: [() => Promise<BenchServer & { dataDir: string }>, () => Promise<BenchServer>];
  backend(gatehouse: BenchServer & { dataDir: string }, floor: BenchServer): Backend;
  /** After the servers stopped: what the plan made (PostgreSQL's databases). */
  cleanup(): Promise<void>;
}

function sqlitePlan(): Plan {
  const floorFile = path.join(mkdtempSync(path.join(tmpdir(), 'gatehouse-floor-')), 'floor.db');
  return {
    starters: [() => startGatehouse(), () => startFloor({ FLOOR_DB: floorFile })],
    backend: (gatehouse, floor) => ({
      label: 'SQLite',
      gatehouse,
      floor,
      gatehouseCodes: sqliteCodes(path.join(gatehouse.dataDir, 'gatehouse.db')),
      floorCodes: sqliteCodes(floorFile),
    }),
    cleanup: async () => {},
  };
}

async function postgresPlan(): Promise<Plan> {
  const [gh, floor] = [await createTestDatabase('postgres'), await createTestDatabase('postgres')];
  return {
    starters: [() => startGatehouse({ DATABASE_URL: gh.url, REDIS_URL, GATEHOUSE_REDIS_PREFIX: redisPrefix() }), () => startFloor({ DATABASE_URL: floor.url })],
    backend: (gatehouse, floorServer) => ({ label: 'PostgreSQL + Redis', gatehouse, floor: floorServer, gatehouseCodes: postgresCodes(gh.url), floorCodes: postgresCodes(floor.url) }),
    cleanup: async () => void (await Promise.all([gh.drop(), floor.drop()])),
  };
}

function cases(b: Backend): Case[] {
  const auth = credentials(b.gatehouse);
  const ghPool = verifyPool(b.gatehouse, auth, '/2fa/send', b.gatehouseCodes);
  const floorPool = verifyPool(b.floor, floorAuth, '/send', b.floorCodes);
  const floorSend = `floor: send, ${b.label}`;
  const floorVerify = `floor: verify, ${b.label}`;
  const send = (server: BenchServer, auth: string, url: string): Load => ({ url: `${server.url}${url}`, headers: { authorization: auth }, sendTemplate: SEND, pid: server.child.pid });
  const list: Case[] = [
    { name: `POST /2fa/send, ${b.label}`, floor: floorSend, load: () => send(b.gatehouse, auth, '/2fa/send') },
    { name: `POST /2fa/verify, ${b.label}`, floor: floorVerify, load: () => ghPool.load(), after: ghPool.after },
    { name: floorSend, load: () => send(b.floor, floorAuth, '/send') },
    { name: floorVerify, load: () => floorPool.load(), after: floorPool.after },
  ];
  if (b.label === 'SQLite') {
    // What HTTP and JSON alone cost on this route: the ceiling of any verify.
    const body = JSON.stringify({ requestId: `OTP${'0'.repeat(32)}`, code: '123456' });
    list.push({ name: 'floor: verify route, no statements', load: () => ({ url: `${b.floor.url}/verify-nothing`, headers: { authorization: floorAuth }, body, pid: b.floor.child.pid }) });
  }
  return list;
}

const HELLO = 'bare Fastify hello-world';
/** The SQLite cases, measured again under a steady load for the latency target. */
const steady = (c: Case) => c.name.endsWith(', SQLite') || c.name === HELLO;

/** One order's servers: hello-world, then each backend's Gatehouse and floor (the reverse when `reversed`). */
async function setup(reversed: boolean): Promise<Pass> {
  const plans: Plan[] = [];
  if (process.env.BENCH_SQLITE !== '0') plans.push(sqlitePlan());
  if (process.env.BENCH_PG !== '0') plans.push(await postgresPlan());
  const cleanup = async () => {
    for (const p of plans) await p.cleanup();
  };
  const servers = await stopping(cleanup, () => startInOrder<BenchServer>([startHelloWorld, ...plans.flatMap((p) => p.starters)], reversed));
  const [hello, ...rest] = servers;
  const backends = plans.map((p, i) => p.backend(rest[2 * i] as BenchServer & { dataDir: string }, rest[2 * i + 1]!));
  const stop = async () => {
    await Promise.all([...servers.map((s) => s.stop()), ...backends.flatMap((b) => [b.gatehouseCodes.close(), b.floorCodes.close()])]);
    await cleanup();
  };
  await stopping(stop, () => measure('warm-up', { url: `${hello!.url}/`, seconds: 1 }));
  return { cases: [{ name: HELLO, load: () => ({ url: `${hello!.url}/`, pid: hello!.child.pid }) }, ...backends.flatMap(cases)], stop };
}

ensureWrk();
const { cases: order, results } = await inBothOrders(setup, async (cases, rounds) => ({
  wrk: await interleaved(cases, rounds),
  steady: await steadyRounds(cases.filter(steady), rounds),
}));
const measured = bestRounds(order.map((c) => c.name), results.flatMap((r) => r.wrk));
let good = report('otp', measured[0]!, measured.slice(1).map((m, i) => ({ ...m, floor: order[i + 1]!.floor })));
if (order.some((c) => c.name !== HELLO && steady(c))) {
  console.log("\nlatency under a steady load (bench/steady-client.mjs; ramp: opening the connections to the last one's first answer)");
  good = reportSteady('latency', steadyOf(order.filter(steady).map((c) => c.name), results.flatMap((r) => r.steady))) && good;
}
if (!good) process.exitCode = 1;
