/**
 * The endlogin pool shared by bench/totp.ts and bench/peers.ts: agents with 2FA and one pre-login token
 * each, all made before the clock starts (so password hashing and setup are not measured), and a case
 * that spends a share of them per round, each token once with a code its agent has not used yet (a code
 * is accepted once per account). A round that runs out answers 4xx and is reported as an error.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { base32Decode } from '../src/core/totp/base32.js';
import { hotp, timeStep } from '../src/core/totp/otp.js';
import { openRuntime } from '../src/runtime.js';
import { type BenchServer, type Case, LOADS, SECONDS, WARMUP, bodiesFile } from './lib.js';

export interface PreparedLogin {
  token: string;
  key: Uint8Array;
  /** The step whose code the setup spent. */
  setupStep: number;
}

/** Gatehouse's env for an endlogin bench: a fresh data folder, or DATABASE_URL / REDIS_URL when set (and `services`). */
export function endloginEnv(services = true): Record<string, string> {
  return {
    GATEHOUSE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-totp-')),
    GATEHOUSE_MASTER_KEY: 'cd'.repeat(32),
    GATEHOUSE_PRELOGIN_TTL: '3600',
    LOG_LEVEL: 'info',
    ...(services && process.env.DATABASE_URL && { DATABASE_URL: process.env.DATABASE_URL }),
    ...(services && process.env.REDIS_URL && { REDIS_URL: process.env.REDIS_URL, GATEHOUSE_REDIS_PREFIX: `bench-${process.pid}:` }),
  };
}

/** One agent with 2FA and one preLoginToken per request; setup spends the code of step `setupStep`. */
export async function prepareLogins(env: Record<string, string>, count: number): Promise<PreparedLogin[]> {
  const runtime = await openRuntime(loadConfig({ NODE_ENV: 'production', ...env }));
  try {
    const core = runtime.core;
    const partner = (await core.tenants.create(null, { name: 'Bench partner' })).tenant.id;
    const site = (await core.tenants.create(null, { name: 'Bench site', parent: partner })).tenant.id;
    const out: PreparedLogin[] = [];
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

/** Logins for every load of a case (lib's LOADS: warm-ups and rounds) at up to `rate` req/s (each load spends a share: roundShares). */
export const poolFor = (rate: number) => Math.ceil(rate * Math.max(WARMUP, SECONDS)) * LOADS;

/** Hands out a pool in LOADS equal shares, one per call: the warm-ups' and the rounds'. */
export function roundShares<T>(pool: T[]): () => T[] {
  const share = Math.floor(pool.length / LOADS);
  let round = 0;
  return () => pool.slice(share * round, share * ++round);
}

/** The case of POST /global/endlogin on `gatehouse`, spending a share of the logins (`next`: roundShares) per load. */
export function endloginCase(name: string, gatehouse: BenchServer, next: () => PreparedLogin[]): Case {
  return {
    name,
    load: () => {
      // Codes are computed just before each round: a step after the setup's, and no further than the next one.
      const step = timeStep(Date.now());
      const bodies = next().map((l) => JSON.stringify({ preLoginToken: l.token, code: hotp(l.key, Math.max(l.setupStep + 1, step)), isSetCookie: false, isSKip2fa: false }));
      return { url: `${gatehouse.url}/global/endlogin`, bodies: bodiesFile('endlogin', bodies), pid: gatehouse.child.pid };
    },
  };
}
