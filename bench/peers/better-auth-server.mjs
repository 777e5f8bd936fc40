// The peer of bench/peers.ts: better-auth (emailAndPassword + the twoFactor plugin) on a SQLite file,
// served by a plain node:http server through better-auth's toNodeHandler. The measured request is
// better-auth's TOTP sign-in second step, POST /api/auth/two-factor/verify-totp with a valid current
// code and the pending two-factor cookie of the user's first step, one user per request.
//
// Env: PEER_DB (the SQLite file, made when missing), PEER_USERS (how many users to prepare, none by default), PEER_LOGINS (a file
// to write the prepared logins to, one JSON line each: {"cookie", "secret"}; secret is the TOTP key as
// UTF-8 text, as better-auth uses it), PORT. Prints {"msg":"gatehouse listening","address":…} when ready
// (the line bench/lib.ts waits for).
//
// Setup, before the server listens and so before any clock starts: each user is made with a verified
// TOTP secret (encrypted with better-auth's own symmetricEncrypt, as /two-factor/enable stores it) and a
// credential account; then the user's real first step, auth.api.signInEmail, checks the password and
// answers twoFactorRedirect with the signed two-factor cookie (and its verification rows) that the
// measured request spends. The password hasher is the one setting that differs from better-auth's
// defaults, and only to make setup affordable: its scrypt (N=16384, r=16) took 0.3–0.6 s a password on
// the 2-core development machine, thousands of sign-ins would take many minutes, and the measured
// request never touches a password (Gatehouse's bench likewise makes its pre-login tokens without hashing).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import Database from 'better-sqlite3';
import { betterAuth } from 'better-auth';
import { symmetricEncrypt } from 'better-auth/crypto';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import { twoFactor } from 'better-auth/plugins';

const file = process.env.PEER_DB ?? 'better-auth-bench.sqlite';
const users = Number(process.env.PEER_USERS ?? 0);
const PASSWORD = 'bench-password-1';

/** Setup's password hasher (see above): salted SHA-256, `salt:hash` in hex. */
async function fastHash(password) {
  const salt = randomBytes(16).toString('hex');
  return `${salt}:${createHash('sha256').update(salt + password).digest('hex')}`;
}
async function fastVerify({ hash, password }) {
  const [salt, want] = hash.split(':');
  return timingSafeEqual(Buffer.from(want, 'hex'), createHash('sha256').update(salt + password).digest());
}

const db = new Database(file);
// WAL with synchronous = NORMAL: the same durability as Gatehouse's SQLite (src/storage/storage.ts), so
// neither side is measured with fsyncs the other skips. Everything else is better-auth's default.
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');

// The site's address. The load sends it as Origin: a request carrying cookies without a trusted Origin
// is refused by better-auth's CSRF check (403), as a browser's would be from another site.
const baseURL = 'http://localhost:3000';
const options = {
  database: db,
  baseURL,
  secret: 'bench-secret-bench-secret-bench-secret-0123456789',
  emailAndPassword: { enabled: true, password: { hash: fastHash, verify: fastVerify } },
  plugins: [twoFactor()],
  // better-auth's rate limiter is off so that the bench measures the work of a verify, not the limiter
  // (its default, in production, is 100 requests per 10 s per IP, and 3 per 10 s on /two-factor/*: every
  // request of the load comes from 127.0.0.1). Gatehouse's endlogin is measured with its own per-account
  // try counter, which a real login needs and which is not a per-IP limiter.
  rateLimit: { enabled: false },
  logger: { level: 'error' },
};
const auth = betterAuth(options);
const { runMigrations } = await getMigrations(options);
await runMigrations();

if (users > 0) {
  const t0 = Date.now();
  const ctx = await auth.$context;
  const hash = await ctx.password.hash(PASSWORD);
  const logins = [];
  const batch = 16;
  for (let i = 0; i < users; i += batch) {
    const made = await Promise.all(
      Array.from({ length: Math.min(batch, users - i) }, async (_, j) => {
        const email = `user${i + j}@bench.example`;
        const user = await ctx.internalAdapter.createUser({ email, name: `User ${i + j}`, emailVerified: true, twoFactorEnabled: true });
        await ctx.internalAdapter.linkAccount({ userId: user.id, providerId: 'credential', accountId: user.id, password: hash });
        const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url'); // 32 characters, like generateRandomString(32)
        await ctx.adapter.create({
          model: 'twoFactor',
          data: { userId: user.id, secret: await symmetricEncrypt({ key: ctx.secretConfig, data: secret }), backupCodes: '[]', verified: true },
        });
        const res = await auth.api.signInEmail({ body: { email, password: PASSWORD }, asResponse: true });
        const body = await res.json();
        if (res.status !== 200 || !body.twoFactorRedirect) throw new Error(`first step: ${res.status} ${JSON.stringify(body)}`);
        const cookie = res.headers
          .getSetCookie()
          .map((c) => c.split(';')[0])
          .find((c) => c.startsWith('better-auth.two_factor='));
        if (!cookie) throw new Error(`first step set no two-factor cookie: ${res.headers.getSetCookie().join(' | ')}`);
        return JSON.stringify({ cookie, secret });
      }),
    );
    logins.push(...made);
  }
  writeFileSync(process.env.PEER_LOGINS ?? 'better-auth-logins.jsonl', logins.join('\n') + '\n');
  console.error(`better-auth: prepared ${users} users with TOTP and a pending two-factor sign-in in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const server = createServer(toNodeHandler(auth));
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(JSON.stringify({ msg: 'gatehouse listening', address: `http://127.0.0.1:${port}` }) + '\n');
});
process.on('SIGTERM', () => server.close(() => { db.close(); process.exit(0); }));
