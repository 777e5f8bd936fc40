/**
 * bench/totp: POST /global/endlogin with a valid TOTP code, and POST /2fa/code:verify (a code checked
 * against a secret key and claimed once, by the deployment's admin API key), against a bare Fastify
 * hello-world, interleaved rounds. Each endlogin spends its own preLoginToken and a code its agent has not used
 * yet (a code is accepted once per account), so the run uses one agent and one token per request,
 * all made before the clock starts: password hashing and setup are not measured (bench/endlogin-pool.ts).
 * Each code:verify names a secret no other request used, with its current code: every answer is a
 * success (checked once before the rounds: a fresh pair succeeds, the same pair again fails).
 * Each round gets its own share of the tokens; a round that runs out answers 4xx and is reported as an error.
 * Run: npm run build && node --import tsx bench/totp.ts
 * Env: BENCH_REQUESTS (default: enough logins for the warm-ups and the rounds at up to 8,000 req/s; the most measured was 5,100), BENCH_SECONDS,
 * BENCH_ROUNDS, BENCH_CONNECTIONS, DATABASE_URL / REDIS_URL to bench on PostgreSQL / Redis.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config.js';
import { createAdminKey } from '../src/core/bootstrap.js';
import { base32Encode } from '../src/core/totp/base32.js';
import { hotp, timeStep } from '../src/core/totp/otp.js';
import { openRuntime } from '../src/runtime.js';
import { endloginCase, endloginEnv, poolFor, prepareLogins, roundShares } from './endlogin-pool.js';
import { type BenchServer, SECONDS, WARMUP, bodiesFile, ensureWrk, fairBestOf, measure, report, startGatehouse, startHelloWorld, startInOrder } from './lib.js';

const requests = Number(process.env.BENCH_REQUESTS ?? poolFor(8000));
const SECONDS_PER_ROUND = Math.max(SECONDS, WARMUP);
const env = endloginEnv();

ensureWrk();
const t0 = Date.now();
const logins = await prepareLogins(env, requests);
console.log(`prepared ${logins.length} agents with 2FA and pre-login tokens in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const adminKey = await (async () => {
  const runtime = await openRuntime(loadConfig({ NODE_ENV: 'production', ...env }));
  try {
    return (await createAdminKey(runtime.core)).apiKey;
  } finally {
    await runtime.close();
  }
})();

/** `count` bodies for /2fa/code:verify, each a new secret with its code of the current step. */
function codeBodies(count: number): string[] {
  const step = timeStep(Date.now());
  return Array.from({ length: count }, () => {
    const key = randomBytes(20);
    return JSON.stringify({ secretKey: base32Encode(key), code: hotp(key, step) });
  });
}

/** A fresh pair succeeds and the same pair again fails: otherwise the 200s below would not mean success. */
async function checkCodeVerify(server: BenchServer): Promise<void> {
  const [body] = codeBodies(1);
  const post = async () => (await (await fetch(`${server.url}/2fa/code:verify`, { method: 'POST', headers: { 'x-api-key': adminKey, 'content-type': 'application/json' }, body })).json()) as { result?: string };
  const [first, again] = [await post(), await post()];
  if (first.result !== 'success' || again.result !== 'fail') throw new Error(`/2fa/code:verify answered ${JSON.stringify(first)} then ${JSON.stringify(again)}`);
}

const label = `${env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'}${env.REDIS_URL ? ' + Redis' : ''}`;
const nextLogins = roundShares(logins);
const [baseline, endlogin, codeVerify] = await fairBestOf(async (reversed) => {
  // Both orders start Gatehouse on the same data: the logins were prepared there.
  const [hello, gatehouse] = await startInOrder<BenchServer>([startHelloWorld, () => startGatehouse(env)], reversed);
  await measure('warm-up', { url: `${gatehouse!.url}/ping`, seconds: 1 });
  await checkCodeVerify(gatehouse!);
  return {
    cases: [
      { name: 'bare Fastify hello-world', load: () => ({ url: `${hello!.url}/`, pid: hello!.child.pid }) },
      endloginCase(`POST /global/endlogin, ${label}`, gatehouse!, nextLogins),
      {
        name: `POST /2fa/code:verify, ${label}`,
        // More bodies than a round can send at 20,000 req/s: none is used twice.
        load: () => ({ url: `${gatehouse!.url}/2fa/code:verify`, headers: { 'x-api-key': adminKey }, bodies: bodiesFile('code-verify', codeBodies(20_000 * SECONDS_PER_ROUND)), pid: gatehouse!.child.pid }),
      },
    ],
    stop: async () => void (await Promise.all([hello!.stop(), gatehouse!.stop()])),
  };
});
if (!report('totp', baseline!, [endlogin!, codeVerify!])) process.exitCode = 1;
