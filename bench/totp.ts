/**
 * bench/totp: POST /global/endlogin with a valid TOTP code, against a bare Fastify hello-world,
 * interleaved rounds. Each endlogin spends its own preLoginToken and a code its agent has not used
 * yet (a code is accepted once per account), so the run uses one agent and one token per request,
 * all made before the clock starts: password hashing and setup are not measured (bench/endlogin-pool.ts).
 * Each round gets its own share of the tokens; a round that runs out answers 4xx and is reported as an error.
 * Run: npm run build && node --import tsx bench/totp.ts
 * Env: BENCH_REQUESTS (default 50000: a warm-up and 3 rounds of 4 s at up to 3,000 req/s), BENCH_SECONDS,
 * BENCH_ROUNDS, BENCH_CONNECTIONS, DATABASE_URL / REDIS_URL to bench on PostgreSQL / Redis.
 */
import { endloginCase, endloginEnv, prepareLogins } from './endlogin-pool.js';
import { bestOf, ensureWrk, measure, report, startGatehouse, startHelloWorld } from './lib.js';

const requests = Number(process.env.BENCH_REQUESTS ?? 50_000);
const env = endloginEnv();

ensureWrk();
const t0 = Date.now();
const logins = await prepareLogins(env, requests);
console.log(`prepared ${logins.length} agents with 2FA and pre-login tokens in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

const hello = await startHelloWorld();
const gatehouse = await startGatehouse(env);
const label = `POST /global/endlogin, ${env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'}${env.REDIS_URL ? ' + Redis' : ''}`;
let good = false;
try {
  await measure('warm-up', { url: `${gatehouse.url}/ping`, seconds: 1 });
  const [baseline, endlogin] = await bestOf([
    { name: 'bare Fastify hello-world', load: () => ({ url: `${hello.url}/`, pid: hello.child.pid }) },
    endloginCase(label, gatehouse, logins),
  ]);
  good = report('totp', baseline!, [endlogin!]);
} finally {
  await hello.stop();
  await gatehouse.stop();
}
if (!good) process.exitCode = 1;
