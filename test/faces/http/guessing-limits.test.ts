/**
 * Online guessing limits for secrets presented without a browser (core/guessing): HTTP Digest,
 * Basic and API keys. Per (account, source address) a guessing source is refused — the right
 * secret included — after its limit; across addresses the account's further wrong answers are only
 * slowed, and the right secret from an address with no failures still gets in at once. Runs on
 * SQLite (shared state in SQL) and on PostgreSQL + Redis (shared state in Redis). The server trusts
 * X-Forwarded-For here, so each test picks its own client addresses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ACCOUNT_SLOW_AFTER, API_KEY_SOURCE_LIMIT, SOURCE_LIMIT, slowDelayMs } from '../../../src/core/guessing/guessing.js';
import { type TestServer, apiKey, basic, call, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipUnless } from '../../helpers/services.js';
import { type World, challengesOf, createAccount, digestAuthorization, world } from '../flexisip/world.js';

let last = 0;
/** A client address no other test uses. */
const address = () => {
  last++;
  return { 'x-forwarded-for': `203.0.${Math.floor(last / 250)}.${(last % 250) + 1}` };
};

for (const dialect of DIALECTS) {
  const backend = dialect === 'postgres' ? 'PostgreSQL + Redis' : 'SQLite';
  describe(`guessing limits on ${backend}`, { skip: await skipUnless({ postgres: dialect === 'postgres', redis: dialect === 'postgres' }) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect, { redis: dialect === 'postgres', env: { GATEHOUSE_TRUST_PROXY: 'true' } });
      w = await world(server);
    });
    after(() => server.close());

    const auditEvents = (event: string) =>
      server.runtime.core.deps.db.selectFrom('audit_events').select(['tenant_id', 'account_id', 'client_address', 'detail']).where('event', '=', event).execute();

    /** One Digest request on a nonce of its own challenge, answered with `password` at count `nc`. */
    async function digest(user: { username: string; password: string }, challenge: Record<string, string>, nc: number, password: string, from: Record<string, string>) {
      const authorization = digestAuthorization({ username: user.username, password }, challenge, { method: 'GET', uri: '/api/accounts/me', nc: nc.toString(16).padStart(8, '0') });
      return call(`${w.url}/api/accounts/me`, { headers: { ...from, from: `sip:${user.username}@${w.domain}`, authorization } });
    }
    const challengeFor = async (user: { username: string }) =>
      challengesOf(await call(`${w.url}/api/accounts/me`, { headers: { from: `sip:${user.username}@${w.domain}` } }))[0]!;

    test(`Digest: after ${SOURCE_LIMIT} wrong answers on one nonce, that address is refused (429, Retry-After) even with the right password; another address still gets in; audited once`, async () => {
      const user = await createAccount(w, { algorithm: 'MD5' });
      const challenge = await challengeFor(user);
      const guesser = address();
      for (let nc = 1; nc <= SOURCE_LIMIT; nc++) assert.equal((await digest(user, challenge, nc, `guess-${nc}`, guesser)).status, 401);
      const right = await digest(user, challenge, SOURCE_LIMIT + 1, user.password, guesser);
      assert.equal(right.status, 429, right.text);
      assert.equal(right.headers.get('retry-after'), '900');
      assert.match(right.body.message, /too many failed attempts/);
      assert.equal((await digest(user, challenge, SOURCE_LIMIT + 2, 'guess-again', guesser)).status, 429);
      const elsewhere = await digest(user, challenge, SOURCE_LIMIT + 3, user.password, address());
      assert.equal(elsewhere.status, 200, elsewhere.text);
      const refused = (await auditEvents('guessing_refused')).filter((e) => e.account_id === user.id);
      assert.equal(refused.length, 1, 'one record per source and window, not one per refused request');
      assert.equal(refused[0]!.client_address, guesser['x-forwarded-for']);
      assert.equal(Number(refused[0]!.tenant_id), w.tenant.id);
      assert.deepEqual(JSON.parse(refused[0]!.detail!), { scheme: 'digest', limit: SOURCE_LIMIT, windowSeconds: 900 });
    });

    test('Digest: a success ends the address\'s run of failures', async () => {
      const user = await createAccount(w, { algorithm: 'MD5' });
      const challenge = await challengeFor(user);
      const typist = address();
      let nc = 0;
      for (let i = 0; i < SOURCE_LIMIT - 1; i++) assert.equal((await digest(user, challenge, ++nc, 'typo', typist)).status, 401);
      assert.equal((await digest(user, challenge, ++nc, user.password, typist)).status, 200);
      for (let i = 0; i < SOURCE_LIMIT - 1; i++) assert.equal((await digest(user, challenge, ++nc, 'typo', typist)).status, 401);
      assert.equal((await digest(user, challenge, ++nc, user.password, typist)).status, 200);
    });

    test(`Digest: wrong answers from many addresses slow the account's wrong answers more and more past ${ACCOUNT_SLOW_AFTER}, but refuse nothing and do not slow the right password from a clean address`, async () => {
      const user = await createAccount(w, { algorithm: 'MD5' });
      const challenge = await challengeFor(user);
      let nc = 0;
      for (let i = 0; i < ACCOUNT_SLOW_AFTER; i++) assert.equal((await digest(user, challenge, ++nc, `spread-${i}`, address())).status, 401);
      const took: number[] = [];
      for (let i = 1; i <= 4; i++) {
        const started = performance.now();
        const res = await digest(user, challenge, ++nc, `slow-${i}`, address());
        took.push(performance.now() - started);
        assert.equal(res.status, 401, 'slowed, not refused');
        // A timer never fires early, so each wrong answer takes at least its delay however busy the machine.
        assert.ok(took[i - 1]! >= slowDelayMs(ACCOUNT_SLOW_AFTER + i) - 5, `wrong answer ${ACCOUNT_SLOW_AFTER + i} took ${Math.round(took[i - 1]!)} ms`);
      }
      assert.deepEqual([1, 2, 3, 4].map((i) => slowDelayMs(ACCOUNT_SLOW_AFTER + i)), [100, 200, 400, 800], 'the delay doubles');
      const started = performance.now();
      const right = await digest(user, challenge, ++nc, user.password, address());
      const rightTook = performance.now() - started;
      assert.equal(right.status, 200, right.text);
      // The next wrong answer would wait 1.6 s; the right one waits for nothing.
      assert.ok(rightTook < slowDelayMs(ACCOUNT_SLOW_AFTER + 5), `the right password took ${Math.round(rightTook)} ms`);
      const slowed = (await auditEvents('guessing_slowed')).filter((e) => e.account_id === user.id);
      assert.equal(slowed.length, 1);
    });

    test(`Basic: after ${SOURCE_LIMIT} wrong auth tokens for a SID, that address is refused even with the right token; another address gets in`, async () => {
      const tenant = w.tenant;
      const guesser = address();
      const send = (token: string, from: Record<string, string>) => call(`${w.url}/2fa/limits/search`, { headers: { ...basic(tenant.sid, token), ...from } });
      for (let i = 0; i < SOURCE_LIMIT; i++) assert.equal((await send(`wrong-${i}`, guesser)).status, 401);
      const right = await send(tenant.authToken, guesser);
      assert.equal(right.status, 429, right.text);
      assert.equal(right.headers.get('retry-after'), '900');
      assert.equal(right.body.code, 429);
      assert.equal((await send(tenant.authToken, address())).status, 200);
      const refused = (await auditEvents('guessing_refused')).filter((e) => e.client_address === guesser['x-forwarded-for']);
      assert.equal(refused.length, 1);
      assert.equal(Number(refused[0]!.tenant_id), tenant.id);
    });

    test(`API keys: after ${API_KEY_SOURCE_LIMIT} wrong keys from one address, that address is refused even with a right key; another address gets in`, async () => {
      const guesser = address();
      const get = (key: string, from: Record<string, string>) => call(`${w.url}/admin/tenants`, { headers: { ...apiKey(key), ...from } });
      for (let i = 0; i < API_KEY_SOURCE_LIMIT; i++) assert.equal((await get(`ghk_wrong${i}`, guesser)).status, 401);
      const right = await get(server.admin.apiKey, guesser);
      assert.equal(right.status, 429, right.text);
      assert.equal(right.headers.get('retry-after'), '900');
      assert.equal((await get(server.admin.apiKey, address())).status, 200);
    });

    test('API keys read outside the authentication hook (v1 2fa::verify by agentid, the console\'s key form) count toward the same limit', async () => {
      const guesser = address();
      const verify = (key: string) => call(`${w.url}/loginapi/2fa:verify`, { headers: { ...apiKey(key), ...guesser }, json: { agentid: 1, code: '123456' } });
      for (let i = 0; i < API_KEY_SOURCE_LIMIT - 1; i++) assert.equal((await verify(`ghk_wrong${i}`)).status, 401);
      const page = await call(`${w.url}/console`);
      // The form's token is bound to the browser's gh_csrf id: each is read from where the page puts it.
      const csrfId = /gh_csrf=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')![1]!;
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
      const form = (key: string) =>
        call(`${w.url}/console/key`, {
          method: 'POST',
          headers: { ...guesser, cookie: `gh_csrf=${csrfId}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ _csrf: csrf, apiKey: key }).toString(),
        });
      assert.equal((await form('ghk_wrong-last')).status, 401);
      assert.equal((await verify(server.admin.apiKey)).status, 429);
      assert.equal((await form(server.admin.apiKey)).status, 429);
    });

    test('the console\'s key cookie counts toward the API-key limit too', async () => {
      const guesser = address();
      for (let i = 0; i < API_KEY_SOURCE_LIMIT; i++) {
        const page = await call(`${w.url}/console`, { headers: { ...guesser, cookie: `gh_console=ghk_wrong${i}` } });
        assert.ok(page.status < 500, page.text);
      }
      assert.equal((await call(`${w.url}/admin/tenants`, { headers: { ...apiKey(server.admin.apiKey), ...guesser } })).status, 429);
      const refused = await call(`${w.url}/console`, { headers: { ...guesser, cookie: `gh_console=${server.admin.apiKey}` } });
      assert.doesNotMatch(refused.text, /Tenants<\/h2>/, 'the right key in the cookie does not open the console either');
      const elsewhere = await call(`${w.url}/console`, { headers: { ...address(), cookie: `gh_console=${server.admin.apiKey}` } });
      assert.match(elsewhere.text, /Tenants<\/h2>/);
    });
  });
}
