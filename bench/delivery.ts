/**
 * bench/delivery: what the delivery queue changed.
 * 1. A send to Twilio answering in 300 ms (the fake, test/helpers/fake-twilio.ts, delayMs): p50 latency
 *    of POST /2fa/send, this build against the build before the queue (BEFORE_ROOT, its dist/).
 * 2. A send to the development outbox on SQLite: req/s, both builds, next to hello-world in the same run.
 * 3. The drain rate to a fast fake Twilio on SQLite and PostgreSQL: jobs a second the queue's workers
 *    deliver, against a floor (drainFloor below: the least program that claims the same jobs, opens
 *    them, calls Twilio and records the attempt and the job, with the same concurrency).
 * Run: npm run build && (build the commit before in BEFORE_ROOT) && node --import tsx bench/delivery.ts
 * Env: BENCH_SECONDS, BENCH_ROUNDS (lib.ts), BEFORE_ROOT (default /tmp/dq-before), DRAIN_JOBS (2000).
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { bootstrapIfEmpty } from '../src/core/bootstrap.js';
import { openRuntime } from '../src/runtime.js';
import { type FakeTwilio, startFakeTwilio } from '../test/helpers/fake-twilio.js';
import { createTestDatabase } from '../test/helpers/services.js';
import { type BenchServer, type Case, ROOT, bestRounds, ensureWrk, interleaved, spawnServer, startHelloWorld } from './lib.js';

const BEFORE_ROOT = process.env.BEFORE_ROOT ?? '/tmp/dq-before';
const DRAIN_JOBS = Number(process.env.DRAIN_JOBS ?? 2000);
const SEND = JSON.stringify({ service: 'bench', from: '+15550000000', to: '{to}', body: 'code {code}' });

function gatehouse(root: string, env: Record<string, string>): Promise<BenchServer & { dataDir: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-'));
  return spawnServer([path.join(root, 'dist/main.js'), 'serve'], { GATEHOUSE_DATA_DIR: dataDir, NODE_ENV: 'production', ...env }).then((s) => ({ ...s, dataDir }));
}
function auth(server: { dataDir: string }): string {
  const { tenant } = JSON.parse(readFileSync(path.join(server.dataDir, 'bootstrap-credentials.json'), 'utf8')) as { tenant: { sid: string; authToken: string } };
  return `Basic ${Buffer.from(`${tenant.sid}:${tenant.authToken}`).toString('base64')}`;
}
const twilioEnv = (t: FakeTwilio) => ({ TWILIO_ACCOUNT_SID: t.accountSid, TWILIO_AUTH_TOKEN: t.authToken, TWILIO_BASE_URL: t.url, GATEHOUSE_OUTBOX: 'false', GATEHOUSE_FRAUD_GUARD: 'false' });

async function sends(): Promise<void> {
  ensureWrk();
  const slow = await startFakeTwilio();
  slow.delayMs = 300;
  const servers = {
    hello: await startHelloWorld(),
    slowAfter: await gatehouse(ROOT, twilioEnv(slow)),
    slowBefore: await gatehouse(BEFORE_ROOT, twilioEnv(slow)),
    outboxAfter: await gatehouse(ROOT, { GATEHOUSE_OUTBOX: 'true' }),
    outboxBefore: await gatehouse(BEFORE_ROOT, { GATEHOUSE_OUTBOX: 'true' }),
  };
  const send = (s: BenchServer & { dataDir: string }) => ({ url: `${s.url}/2fa/send`, headers: { authorization: auth(s) }, sendTemplate: SEND, pid: s.child.pid });
  const cases: Case[] = [
    { name: 'hello-world', load: () => ({ url: servers.hello.url, method: 'GET' as const, pid: servers.hello.child.pid }) },
    { name: 'send, Twilio answering in 300 ms (queue)', load: () => send(servers.slowAfter) },
    { name: 'send, Twilio answering in 300 ms (before)', load: () => send(servers.slowBefore) },
    { name: 'send, SQLite outbox (queue)', load: () => send(servers.outboxAfter) },
    { name: 'send, SQLite outbox (before)', load: () => send(servers.outboxBefore) },
  ];
  try {
    const best = bestRounds(cases.map((c) => c.name), await interleaved(cases));
    const hello = best[0]!.rps;
    for (const m of best) {
      console.log(`${m.name}: ${Math.round(m.rps)} req/s (${((100 * m.rps) / hello).toFixed(1)}% of hello-world), p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)} ms, ${m.cpuUs === null ? '?' : m.cpuUs.toFixed(0)} µs CPU, ${m.unexpected} unexpected`);
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
    await slow.close();
  }
}

/** Jobs a second: the queue's workers, then the floor, on the same database, to the same fast fake. */
async function drain(dialect: 'sqlite' | 'postgres'): Promise<void> {
  const fast = await startFakeTwilio();
  const database = await createTestDatabase(dialect);
  const runtime = await openRuntime(loadConfig({ NODE_ENV: 'production', DATABASE_URL: database.url, GATEHOUSE_DATA_DIR: database.dataDir, LOG_LEVEL: 'silent', ...twilioEnv(fast) }));
  const { core, storage } = runtime;
  const admin = (await bootstrapIfEmpty(core))!;
  const caller = (await core.credentials.authenticateApiKey(admin.apiKey))!;
  let n = 0;
  const enqueue = async () => {
    for (let i = 0; i < DRAIN_JOBS; i += 50) {
      await Promise.all(Array.from({ length: 50 }, () => core.verifications.send(caller, { service: 'drain', from: '+15550000000', to: `+1415${2_000_000 + n++}`, body: 'code {code}' })));
    }
  };
  const depth = async () => (await core.queue.stats()).depth;
  // Polled in process until the fake has every message, and only then in the database: a count of the
  // jobs every 5 ms through the drain took 0.9 ms of PostgreSQL's time each (400 ms of a 4 s round),
  // time the floor's rounds did not pay.
  const untilEmpty = async (accepted: number) => {
    while (fast.accepted.length < accepted) await new Promise((r) => setTimeout(r, 5));
    while ((await depth()) > 0) await new Promise((r) => setTimeout(r, 5));
  };
  try {
    const rates: Array<[string, number]> = [];
    for (let round = 0; round < 2; round++) {
      await enqueue();
      let t = performance.now();
      await core.queue.start();
      await untilEmpty(fast.accepted.length + DRAIN_JOBS);
      const queueRate = DRAIN_JOBS / ((performance.now() - t) / 1000);
      await core.queue.stop();
      await enqueue();
      t = performance.now();
      await drainFloor(storage, core.deps.sealer, fast, dialect);
      const floorRate = DRAIN_JOBS / ((performance.now() - t) / 1000);
      rates.push([`round ${round + 1}`, queueRate / floorRate]);
      console.log(`drain ${dialect}, round ${round + 1}: queue ${Math.round(queueRate)} jobs/s, floor ${Math.round(floorRate)} jobs/s: ${((100 * queueRate) / floorRate).toFixed(0)}% of the floor (${fast.accepted.length} accepted so far)`);
    }
  } finally {
    await core.queue.stop();
    await runtime.close();
    await fast.close();
    await database.drop();
  }
}

/**
 * The floor: the same claim (one statement, a batch at a time, the same lease), the payload opened,
 * Twilio called with the same form, and one write per job recording its attempt and ending it — no
 * checks of the request, no metrics, no events, no fallback.
 */
async function drainFloor(storage: Awaited<ReturnType<typeof openRuntime>>['storage'], sealer: { open(e: string, c: string): string }, twilio: FakeTwilio, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const s = storage.statements;
  const claim = s.prepare<{ id: number; key: string; ref: string; payload: string }>(
    dialect === 'postgres'
      ? `update delivery_jobs j set state = 'running', run_at = $1, claims = j.claims + 1 from (select id from delivery_jobs where state = 'queued' and run_at <= $2 order by run_at limit 16 for update skip locked) c where j.id = c.id returning j.id, j.key, j.ref, j.payload`
      : `update delivery_jobs set state = 'running', run_at = ?, claims = claims + 1 where id in (select id from delivery_jobs where state = 'queued' and run_at <= ? order by run_at limit 16) returning id, key, ref, payload`,
  );
  const done = s.prepare(
    dialect === 'postgres'
      ? `with a as (insert into delivery_attempts (job_id, request_id, channel, provider, provider_id, status, created_at) values ($1, $2, 'sms', 'twilio', $3, 'accepted', $4)) update delivery_jobs set state = 'done', payload = null where id = $1`
      : `update delivery_jobs set state = 'done', payload = null where id = ?`,
  );
  const attempt = s.prepare(`insert into delivery_attempts (job_id, request_id, channel, provider, provider_id, status, created_at) values (?, ?, 'sms', 'twilio', ?, 'accepted', ?)`);
  const endpoint = `${twilio.url}/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString('base64')}`;
  let inflight = 0;
  let left = true;
  await new Promise<void>((resolve) => {
    const pump = async () => {
      while (left && inflight < 16) {
        const now = Date.now();
        const jobs = await claim.all(now + 60_000, now);
        if (jobs.length === 0) {
          left = false;
          break;
        }
        for (const j of jobs) {
          inflight++;
          void (async () => {
            const stage = JSON.parse(sealer.open(j.payload, `delivery_job:${j.key}`)).stages[0];
            const res = await fetch(endpoint, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ To: stage.to, From: stage.from, Body: stage.body }) });
            const { sid } = (await res.json()) as { sid: string };
            if (dialect === 'postgres') await done.run(j.id, j.ref, sid, Date.now());
            else {
              await attempt.run(j.id, j.ref, sid, Date.now());
              await done.run(j.id);
            }
            inflight--;
            if (!left && inflight === 0) resolve();
            else void pump();
          })();
        }
      }
      if (!left && inflight === 0) resolve();
    };
    void pump();
  });
  await s.durable();
}

const only = process.argv[2];
if (!only || only === 'sends') await sends();
if (!only || only === 'drain') {
  await drain('sqlite');
  await drain('postgres');
}
process.exit(0);
