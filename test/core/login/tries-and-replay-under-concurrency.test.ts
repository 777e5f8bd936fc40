/**
 * The guards of /global/endlogin and /2fa/code:verify hold under concurrent requests on one server:
 * a preLoginToken's 5 tries, the account lock's 10 failures, one JWT per token, and a TOTP code
 * accepted once. Requests go over HTTP, so on SQLite they share group commits the way real ones do.
 * Without Redis the shared state is SQL, so the replay guard is the SQL claim and the conditional
 * last_step update.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Core } from '../../../src/core/core.js';
import { DIALECTS, skipDialect, skipUnless } from '../../helpers/services.js';
import { type Reply, type TestServer, bearer, call, startTestServer } from '../../helpers/server.js';
import { totp, twoFactorAgents, wrong } from '../../faces/comm100/login-helpers.js';

const admin = { tenantId: 0, tenantSid: '', tenantPath: '/', accountId: null, role: 'admin', via: 'api_key' } as const;

// SQLite runs a request's statements in one turn of the event loop, so concurrent requests only
// interleave where one waits for something else: with Redis, the TOTP step's claim.
const SETUPS = [...DIALECTS.map((dialect) => ({ dialect, redis: false })), { dialect: 'sqlite' as const, redis: true }];

for (const { dialect, redis } of SETUPS) {
  const skip = redis ? await skipUnless({ redis: true }) : await skipDialect(dialect);
  describe(`endlogin tries, lock and replay under concurrent requests (${dialect}${redis ? ' + Redis' : ''})`, { skip }, () => {
    let server: TestServer;
    let core: Core;
    let agents: Awaited<ReturnType<typeof twoFactorAgents>>;

    before(async () => {
      server = await startTestServer(dialect, { redis });
      core = server.runtime.core;
      agents = await twoFactorAgents(core, '10.0.0.7');
    });
    after(() => server?.close());

    const endlogin = (preLoginToken: string, code: string) => call(`${server.url}/global/endlogin`, { json: { preLoginToken, code } });
    const tally = (replies: Reply[]) => {
      const out: Record<string, number> = {};
      for (const r of replies) {
        const key = r.status === 200 ? 'ok' : String(r.body.error ?? r.body.message ?? r.status);
        out[key] = (out[key] ?? 0) + 1;
      }
      return out;
    };
    const events = async (accountId: number, event: string) => (await core.audit.list(admin, { accountId, limit: 500 })).filter((e) => e.event === event).length;
    const attempts = async (preLoginToken: string) => {
      const { sha256Hex } = await import('../../../src/core/crypto.js');
      const row = await sql<{ attempts: number }>`select attempts from pre_login_tokens where token_hash = ${sha256Hex(preLoginToken)}`.execute(server.runtime.storage.db);
      return row.rows[0] === undefined ? null : Number(row.rows[0].attempts);
    };

    it('30 concurrent wrong codes on one preLoginToken: exactly 5 are checked and counted, 25 are refused as out of tries', async () => {
      const { id, secretKey, token } = await agents.agent();
      const t = await token();
      const replies = await Promise.all(Array.from({ length: 30 }, () => endlogin(t, wrong(secretKey))));
      assert.deepEqual(tally(replies), { 'code verify failed': 5, 'Number of retries exceeded': 25 });
      const remaining = replies.filter((r) => r.body.error === 'code verify failed').map((r) => r.body.retryRemainingNumber);
      assert.deepEqual(remaining.sort(), ['0', '1', '2', '3', '4'], 'each of the 5 tries held its own place');
      assert.equal(await attempts(t), 5);
      assert.equal((await core.login.lockState(id)).failures, 5, 'the account lock counted the 5 checked codes, no more');
      assert.equal(await events(id, 'verify_failure'), 5);
      assert.equal((await endlogin(t, totp(secretKey))).body.error, 'Number of retries exceeded', 'not even the right code gets a sixth try');
    });

    it('30 concurrent wrong codes on six tokens: exactly 10 are checked, the account locks once, the other 20 are refused as locked', async () => {
      const { id, secretKey, token } = await agents.agent();
      const tokens = await Promise.all(Array.from({ length: 6 }, token));
      const replies = await Promise.all(tokens.flatMap((t) => Array.from({ length: 5 }, () => endlogin(t, wrong(secretKey)))));
      // The 10th failure answers "account locked" itself: it is the one that locked the account.
      assert.deepEqual(tally(replies), { 'code verify failed': 9, 'account locked': 21 });
      assert.equal(await events(id, 'verify_failure'), 10);
      assert.equal(await events(id, 'lock'), 1);
      assert.equal((await endlogin(await token(), totp(secretKey))).body.error, 'account locked');
    });

    it('5 concurrent right answers on one preLoginToken: exactly one JWT, the other 4 refused', async () => {
      const { id, secretKey, token } = await agents.agent();
      const backup = await core.twoFactor.generateBackupCode(id);
      const t = await token();
      // Two steps are valid now (this one and the next) and the backup code: at least two of these
      // are right whatever the order, so only spending the token keeps it to one JWT.
      const codes = [totp(secretKey, 0), backup, totp(secretKey, 1), totp(secretKey, 0), totp(secretKey, 1)];
      const replies = await Promise.all(codes.map((code) => endlogin(t, code)));
      const ok = replies.filter((r) => r.status === 200);
      assert.equal(ok.length, 1, JSON.stringify(tally(replies)));
      assert.match(ok[0]!.body.jwtToken, /^ey/);
      for (const r of replies.filter((r) => r.status !== 200)) {
        // A replayed step, or a later step whose success found the token already spent.
        assert.ok(r.body.error === 'code verify failed' || r.body.message === 'preLoginToken is not valid', r.text);
      }
      assert.equal(await attempts(t), null, 'the token is spent');
      assert.equal(await events(id, 'verify_success') >= 1, true);
    });

    it('one TOTP code sent at once on five tokens logs in once; /2fa/code:verify then refuses it too', async () => {
      const { secretKey, token } = await agents.agent();
      const tokens = await Promise.all(Array.from({ length: 5 }, token));
      const code = totp(secretKey);
      const replies = await Promise.all(tokens.map((t) => endlogin(t, code)));
      assert.deepEqual(tally(replies), { ok: 1, 'code verify failed': 4 });
      const jwt = replies.find((r) => r.status === 200)!.body.jwtToken as string;
      const again = await call(`${server.url}/2fa/code:verify`, { headers: bearer(jwt), json: { secretKey, code } });
      assert.deepEqual(again.body, { result: 'fail' }, 'the login and the stateless verify share one guard');
      const live = tokens[replies.findIndex((r) => r.status !== 200)]!;
      assert.equal((await endlogin(live, totp(secretKey, 1))).status, 200, 'the next step still logs in on a token the replays left alive');
    });

    it('/2fa/code:verify: 20 concurrent checks of one code, exactly one success', async () => {
      const { id } = await agents.agent();
      const headers = bearer((await core.credentials.signJwt(id)).token);
      const { secretKey } = (await call(`${server.url}/2fa/secretkey`, { method: 'POST', headers })).body;
      const code = totp(secretKey);
      const replies = await Promise.all(Array.from({ length: 20 }, () => call(`${server.url}/2fa/code:verify`, { headers, json: { secretKey, code } })));
      assert.deepEqual(replies.map((r) => r.body.result).sort(), ['success', ...Array(19).fill('fail')].sort());
    });
  });
}
