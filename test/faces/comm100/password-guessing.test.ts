/**
 * Password guessing on the Comm100 login: limited per email and per client address by token
 * buckets taken before any argon2 work, answered 429 in the Comm100 envelope with Retry-After,
 * audited, and telling nothing about whether the email has an account.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type LoginWorld, PASSWORD, startLoginWorld } from './login-helpers.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
let address = 0;
/** A client address of its own for each test (the server trusts X-Forwarded-For here). */
const from = () => ({ 'x-forwarded-for': `198.51.100.${++address}` });

for (const dialect of DIALECTS) {
  describe(`password guessing on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let w: LoginWorld;
    before(async () => {
      w = await startLoginWorld(dialect, { GATEHOUSE_TRUST_PROXY: 'true', GATEHOUSE_LOGIN_RATE_ACCOUNT: '3/60', GATEHOUSE_LOGIN_RATE_ADDRESS: '6/60' });
    });
    after(() => w.server.close());

    const guess = (email: string, headers: Record<string, string>, password = 'not the password') =>
      w.post('/global/jwtToken/login', { partnerId: w.partner, siteId: w.openSite, email, password }, headers);

    test('the 4th try for one email within the interval is refused with Retry-After, even with the right password, and audited', async () => {
      const agent = await w.agent(w.openSite);
      const client = from();
      for (let i = 0; i < 3; i++) assert.equal((await guess(agent.email, client)).status, 401);
      for (const password of ['still wrong', PASSWORD]) {
        const refused = await guess(agent.email, client, password);
        assert.equal(refused.status, 429, refused.text);
        assert.deepEqual(Object.keys(refused.body).sort(), ['error', 'message']);
        assert.equal(refused.body.error, 'Number of retries exceeded');
        assert.equal(refused.headers.get('retry-after'), '20', 'one token drips back in 60 s / 3');
      }
      // Another address does not help: the limit is the email's.
      assert.equal((await guess(agent.email, from(), PASSWORD)).status, 429);
      const audit = await w.get(`/global/auditEvents?siteId=${w.openSite}&agentId=${agent.id}&event=login_rate_limited`, w.admin);
      assert.equal(audit.status, 200, audit.text);
      assert.equal(audit.body.length ?? audit.body.events?.length ?? audit.body.result?.length, 3);
    });

    test('an email without an account is limited the same way, so the answers tell nothing', async () => {
      const client = from();
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await guess(`nobody${address}@example.com`, client)).status);
      assert.deepEqual(statuses, [401, 401, 401, 429]);
    });

    test('one client address trying many emails is limited too', async () => {
      const client = from();
      const statuses = [];
      for (let i = 0; i < 7; i++) statuses.push((await guess(`spray${address}-${i}@example.com`, client)).status);
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 429]);
    });

    test('the password step takes as long for an unknown email as for a wrong password, and a refused try skips it', async () => {
      // The server runs in this process, so its CPU time is this process's: argon2 shows there
      // whatever the database's latency, which on a busy machine can be as long as the hash.
      const time = async (email: string) => {
        const started = performance.now();
        const cpu = process.cpuUsage();
        const res = await guess(email, from());
        const used = process.cpuUsage(cpu);
        return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000, status: res.status };
      };
      const known: number[] = [];
      const knownCpu: number[] = [];
      const unknown: number[] = [];
      let agent = await w.agent(w.openSite);
      for (let i = 0; i < 5; i++) {
        // A new account and a new unknown email per sample, and fresh addresses, so no bucket is empty yet.
        agent = await w.agent(w.openSite);
        const k = await time(agent.email);
        const u = await time(`ghost${i}-${address}@example.com`);
        assert.equal(k.status, 401);
        assert.equal(u.status, 401);
        known.push(k.ms);
        knownCpu.push(k.cpuMs);
        unknown.push(u.ms);
      }
      const ratio = median(known) / median(unknown);
      // Both run one argon2id verification; the bounds leave room for a busy shared machine.
      assert.ok(ratio > 0.4 && ratio < 2.5, `known ${known.map(Math.round)} ms vs unknown ${unknown.map(Math.round)} ms`);
      await time(agent.email);
      await time(agent.email);
      const refused = [];
      for (let i = 0; i < 3; i++) refused.push(await time(agent.email));
      assert.deepEqual(refused.map((r) => r.status), [429, 429, 429]);
      // Wall time would also count the refused try's database round trips (bucket, account, audit),
      // which under load took 35 ms against a checked try's 58. CPU time isolates the skipped hash,
      // and the least of several tries leaves out a garbage collection or timer landing in one.
      const least = (xs: number[]) => Math.min(...xs);
      const refusedCpu = refused.map((r) => r.cpuMs);
      assert.ok(
        least(refusedCpu) < least(knownCpu) / 2,
        `refused tries used ${refusedCpu.map(Math.round)} ms of CPU (${refused.map((r) => Math.round(r.ms))} ms), checked ones ${knownCpu.map(Math.round)} ms (${known.map(Math.round)} ms)`,
      );
    });
  });
}
