/**
 * bench/totp: POST /global/endlogin with a valid TOTP code, against a bare Fastify hello-world,
 * interleaved rounds. Each endlogin spends its own preLoginToken and a code its agent has not used
 * yet (a code is accepted once per account), so the run uses one agent and one token per request,
 * all made before the clock starts: password hashing and setup are not measured. Each round gets
 * its own share of the tokens; a round that runs out answers 4xx and is reported as an error.
 * Run: npm run build && node --import tsx bench/totp.ts
 * Env: BENCH_REQUESTS (default 50000: a warm-up and 3 rounds of 4 s at up to 3,000 req/s), BENCH_SECONDS,
 * BENCH_ROUNDS, BENCH_CONNECTIONS, DATABASE_URL / REDIS_URL to bench on PostgreSQL / Redis.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { base32Decode } from '../src/core/totp/base32.js';
import { hotp, timeStep } from '../src/core/totp/otp.js';
import { openRuntime } from '../src/runtime.js';
import { ROUNDS, bestOf, bodiesFile, ensureWrk, measure, report, startGatehouse, startHelloWorld } from './lib.js';

const requests = Number(process.env.BENCH_REQUESTS ?? 50_000);

const env: Record<string, string> = {
  GATEHOUSE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-totp-')),
  GATEHOUSE_MASTER_KEY: 'cd'.repeat(32),
  GATEHOUSE_PRELOGIN_TTL: '3600',
  LOG_LEVEL: 'info',
  ...(process.env.DATABASE_URL && { DATABASE_URL: process.env.DATABASE_URL }),
  ...(process.env.REDIS_URL && { REDIS_URL: process.env.REDIS_URL, GATEHOUSE_REDIS_PREFIX: `bench-${process.pid}:` }),
};

/** One agent with 2FA and one preLoginToken per request; setup spends the code of step `setupStep`. */
async function prepare(count: number): Promise<Array<{ token: string; key: Uint8Array; setupStep: number }>> {
  const runtime = await openRuntime(loadConfig({ NODE_ENV: 'production', ...env }));
  try {
    const core = runtime.core;
    const partner = (await core.tenants.create(null, { name: 'Bench partner' })).tenant.id;
    const site = (await core.tenants.create(null, { name: 'Bench site', parent: partner })).tenant.id;
    const out: Array<{ token: string; key: Uint8Array; setupStep: number }> = [];
    const batch = 50;
    for (let i = 0; i < count; i += batch) {
      const made = await Promise.all(
        Array.from({ length: Math.min(batch, count - i) }, async (_, j) => {
          const account = await core.accounts.create(null, { tenant: site, email: `agent${i + j}@bench.example` });
          const { secretKey } = core.twoFactor.createSecret('Bench', account.email!);
          const key = base32Decode(secretKey)!;
          const setupStep = timeStep(Date.now());
          await core.twoFactor.saveConfig(account.id, secretKey, hotp(key, setupStep));
          const token = await core.login.issuePreLoginToken({ id: account.id, tenantId: site, parentId: partner, role: 'agent' }, 'verify', false, null);
          return { token, key, setupStep };
        }),
      );
      out.push(...made);
    }
    return out;
  } finally {
    await runtime.close();
  }
}

ensureWrk();
const t0 = Date.now();
const logins = await prepare(requests);
console.log(`prepared ${logins.length} agents with 2FA and pre-login tokens in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

const hello = await startHelloWorld();
const gatehouse = await startGatehouse(env);
const label = `POST /global/endlogin, ${env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'}${env.REDIS_URL ? ' + Redis' : ''}`;
let good = false;
try {
  await measure('warm-up', { url: `${gatehouse.url}/ping`, seconds: 1 });
  // One share for the warm-up, one per round.
  const share = Math.floor(logins.length / (ROUNDS + 1));
  let round = 0;
  const [baseline, endlogin] = await bestOf([
    { name: 'bare Fastify hello-world', load: () => ({ url: `${hello.url}/`, pid: hello.child.pid }) },
    {
      name: label,
      load: () => {
        // Codes are computed just before each round: a step after the setup's, and no further than the next one.
        const step = timeStep(Date.now());
        const slice = logins.slice(share * round, share * ++round);
        const bodies = slice.map((l) => JSON.stringify({ preLoginToken: l.token, code: hotp(l.key, Math.max(l.setupStep + 1, step)), isSetCookie: false, isSKip2fa: false }));
        return { url: `${gatehouse.url}/global/endlogin`, bodies: bodiesFile('endlogin', bodies), pid: gatehouse.child.pid };
      },
    },
  ]);
  good = report('totp', baseline!, [endlogin!]);
} finally {
  await hello.stop();
  await gatehouse.stop();
}
if (!good) process.exitCode = 1;
