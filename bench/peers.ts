/**
 * bench/peers: a peer side by side. Gatehouse's TOTP sign-in second step (POST /global/endlogin, SQLite)
 * next to better-auth's (POST /api/auth/two-factor/verify-totp, its twoFactor plugin on SQLite,
 * bench/peers/better-auth-server.mjs) and a bare Fastify hello-world, interleaved rounds in one run, in
 * both orders (lib's fairBestOf).
 * Both sides spend one prepared login per request, made before the clock starts: for Gatehouse an agent
 * with 2FA and a pre-login token (bench/endlogin-pool.ts), for better-auth a user with TOTP whose first
 * step (sign-in/email) left a pending two-factor cookie; each request sends a valid current code.
 * better-auth is not a dependency of Gatehouse: bench/peers has its own package.json, installed here on
 * demand (`npm ci --prefix bench/peers`; the first install compiles better-sqlite3, minutes).
 * Run: npm run build && node --import tsx bench/peers.ts
 * Env: BENCH_SECONDS, BENCH_ROUNDS, BENCH_WARMUP, BENCH_CONNECTIONS; BENCH_REQUESTS (Gatehouse's logins)
 * and BENCH_PEER_REQUESTS (better-auth's), by default enough for 8,000 and 1,000 req/s.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hotp, timeStep } from '../src/core/totp/otp.js';
import { endloginCase, endloginEnv, poolFor, prepareLogins, roundShares } from './endlogin-pool.js';
import { type BenchServer, ROOT, cookieBodiesFile, ensureWrk, fairBestOf, measure, report, spawnServer, startGatehouse, startHelloWorld, startInOrder } from './lib.js';

const requests = Number(process.env.BENCH_REQUESTS ?? poolFor(8000));
const peerRequests = Number(process.env.BENCH_PEER_REQUESTS ?? poolFor(1000));
/** The peer's site address (better-auth-server.mjs's baseURL): sent as Origin, which its CSRF check requires with a cookie. */
const PEER_ORIGIN = 'http://localhost:3000';

/** bench/peers' own install, made when missing. */
function ensurePeers(): void {
  if (existsSync(path.join(ROOT, 'bench/peers/node_modules'))) return;
  console.log('bench/peers/node_modules is missing; running: npm ci --prefix bench/peers (the first install compiles better-sqlite3 and can take minutes)');
  const run = spawnSync('npm', ['ci', '--prefix', 'bench/peers', '--no-audit', '--no-fund'], { cwd: ROOT, stdio: 'inherit' });
  if (run.status !== 0) throw new Error('npm ci --prefix bench/peers failed');
}

ensureWrk();
ensurePeers();
const env = endloginEnv(false);
const t0 = Date.now();
const logins = await prepareLogins(env, requests);
console.log(`prepared ${logins.length} Gatehouse agents with 2FA and pre-login tokens in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

const scratch = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-peers-'));
const PEER = path.join(ROOT, 'bench/peers/better-auth-server.mjs');
const peerDb = path.join(scratch, 'better-auth.sqlite');
const peerLogins = path.join(scratch, 'better-auth-logins.jsonl');
console.log(`preparing ${peerRequests} better-auth users (first sign-in step included)…`);
// Setup runs before the server listens (allow a generous 20 ms a user on a busy machine); then it
// stops, and each order starts it again on the same database.
await (await spawnServer([PEER], { PEER_DB: peerDb, PEER_USERS: String(peerRequests), PEER_LOGINS: peerLogins }, 60 + peerRequests / 50)).stop();
const users = readFileSync(peerLogins, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { cookie: string; secret: string });
const nextUsers = roundShares(users);
const nextLogins = roundShares(logins);
const [baseline, endlogin, betterAuth] = await fairBestOf(async (reversed) => {
  const [hello, gatehouse, peer] = await startInOrder<BenchServer>([startHelloWorld, () => startGatehouse(env), () => spawnServer([PEER], { PEER_DB: peerDb })], reversed);
  await measure('warm-up', { url: `${gatehouse!.url}/ping`, seconds: 1 });
  return {
    cases: [
      { name: 'bare Fastify hello-world', load: () => ({ url: `${hello!.url}/`, pid: hello!.child.pid }) },
      endloginCase('Gatehouse POST /global/endlogin, SQLite', gatehouse!, nextLogins),
      {
        name: 'better-auth POST /two-factor/verify-totp, SQLite',
        load: () => {
          // The current step's code, computed just before the round (better-auth also takes the previous step's).
          const step = timeStep(Date.now());
          const requests = nextUsers().map((u) => ({ cookie: u.cookie, body: JSON.stringify({ code: hotp(Buffer.from(u.secret, 'utf8'), step) }) }));
          return {
            url: `${peer!.url}/api/auth/two-factor/verify-totp`,
            headers: { Origin: PEER_ORIGIN },
            cookieBodies: cookieBodiesFile('better-auth', requests),
            pid: peer!.child.pid,
          };
        },
      },
    ],
    stop: async () => void (await Promise.all([hello!.stop(), gatehouse!.stop(), peer!.stop()])),
  };
});
if (!report('peers', baseline!, [endlogin!, betterAuth!])) process.exitCode = 1;
console.log(`\nGatehouse / better-auth: ${(endlogin!.rps / betterAuth!.rps).toFixed(1)}× the requests per second, ${(betterAuth!.cpuUs! / endlogin!.cpuUs!).toFixed(1)}× less server CPU per request`);
