/**
 * Password lock-out as a weapon, defused with device cookies (core/login/device-cookies.ts): whoever
 * knows an agent's email can use up the tries that unrecognised clients share, from any address,
 * but the browser the agent signed in with before carries a device cookie and keeps an allowance of
 * its own, so the agent still gets in. Runs on SQLite and on PostgreSQL + Redis (the buckets then
 * live in Redis). The server trusts X-Forwarded-For here, so each request picks its address.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REDIS_URL, DIALECTS, redisPrefix, skipUnless } from '../../helpers/services.js';
import { call } from '../../helpers/server.js';
import { type LoginWorld, PASSWORD, startLoginWorld } from './login-helpers.js';

let last = 0;
const fresh = () => ({ 'x-forwarded-for': `192.0.2.${++last}` });
const deviceCookieOf = (headers: Headers) => /(?:^|,\s*)gh_device=([^;]+)/.exec(headers.get('set-cookie') ?? '')?.[1];

for (const dialect of DIALECTS) {
  const backend = dialect === 'postgres' ? 'PostgreSQL + Redis' : 'SQLite';
  describe(`device cookies against password lock-out on ${backend}`, { skip: await skipUnless({ postgres: dialect === 'postgres', redis: dialect === 'postgres' }) }, () => {
    let w: LoginWorld;
    before(async () => {
      w = await startLoginWorld(dialect, {
        GATEHOUSE_TRUST_PROXY: 'true',
        GATEHOUSE_LOGIN_RATE_ACCOUNT: '3/60',
        ...(dialect === 'postgres' && { REDIS_URL, GATEHOUSE_REDIS_PREFIX: redisPrefix() }),
      });
    });
    after(() => w.server.close());

    const login = (email: string, password: string, headers: Record<string, string>) =>
      w.post('/global/jwtToken/login', { partnerId: w.partner, siteId: w.openSite, email, password }, headers);
    const audited = async (accountId: number) =>
      (await w.server.runtime.core.deps.db.selectFrom('audit_events').select('detail').where('event', '=', 'login_rate_limited').where('account_id', '=', accountId).execute()).map(
        (r) => JSON.parse(r.detail!).limit,
      );

    test('after an attacker used up the untrusted clients\' tries from many addresses, the agent\'s own browser (device cookie) still signs in; a browser without one is refused', async () => {
      const agent = await w.agent(w.openSite);
      const first = await login(agent.email, PASSWORD, fresh());
      assert.equal(first.status, 200, first.text);
      const cookie = deviceCookieOf(first.headers);
      assert.ok(cookie, `a password success sets the device cookie: ${first.headers.get('set-cookie')}`);
      assert.match(first.headers.get('set-cookie')!, /gh_device=[^;]+;.*HttpOnly/i);
      // The attacker: the two tries the success left, each from an address of its own, then keeps knocking.
      for (let i = 0; i < 2; i++) assert.equal((await login(agent.email, 'guess', fresh())).status, 401);
      assert.equal((await login(agent.email, 'guess', fresh())).status, 429);
      // A stranger's browser with the right password shares the untrusted clients' lock-out.
      assert.equal((await login(agent.email, PASSWORD, fresh())).status, 429);
      // The agent's browser, even from an address never seen, is not a stranger.
      const mine = await login(agent.email, PASSWORD, { ...fresh(), cookie: `gh_device=${cookie}` });
      assert.equal(mine.status, 200, mine.text);
      assert.ok(mine.body.jwtToken);
      assert.ok(deviceCookieOf(mine.headers), 'the cookie is renewed');
      assert.deepEqual(await audited(agent.id), ['email', 'email']);
    });

    test('a device cookie has an allowance of its own: it is refused after its own tries, without touching the untrusted clients\' allowance', async () => {
      const agent = await w.agent(w.openSite);
      const cookie = deviceCookieOf((await login(agent.email, PASSWORD, fresh())).headers)!;
      const device = { cookie: `gh_device=${cookie}` };
      // One try of the untrusted clients' three was the success above; the device's tries are apart.
      for (let i = 0; i < 3; i++) assert.equal((await login(agent.email, 'typo', { ...fresh(), ...device })).status, 401);
      const refused = await login(agent.email, PASSWORD, { ...fresh(), ...device });
      assert.equal(refused.status, 429);
      assert.ok(refused.headers.get('retry-after'));
      assert.equal((await login(agent.email, PASSWORD, fresh())).status, 200, 'a browser without the cookie still has its tries');
      assert.deepEqual(await audited(agent.id), ['device']);
    });

    test('a forged, altered or another email\'s device cookie counts as no cookie', async () => {
      const agent = await w.agent(w.openSite);
      const other = await w.agent(w.openSite);
      const othersCookie = deviceCookieOf((await login(other.email, PASSWORD, fresh())).headers)!;
      const mine = deviceCookieOf((await login(agent.email, PASSWORD, fresh())).headers)!;
      const altered = mine.slice(0, -1) + (mine.endsWith('A') ? 'B' : 'A');
      for (let i = 0; i < 2; i++) assert.equal((await login(agent.email, 'guess', fresh())).status, 401);
      for (const cookie of [othersCookie, altered, 'd1.forged.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
        assert.equal((await login(agent.email, PASSWORD, { ...fresh(), cookie: `gh_device=${cookie}` })).status, 429, cookie);
      }
      assert.equal((await login(agent.email, PASSWORD, { ...fresh(), cookie: `gh_device=${mine}` })).status, 200);
    });

    test('the sign-in page: the agent\'s browser gets in while strangers are locked out, and a stranger sees 429 with the form', async () => {
      const agent = await w.agent(w.openSite);
      const page = await call(`${w.server.url}/login`);
      // The form's token is bound to the browser's gh_csrf id (issue 22): read each from where the page puts it.
      const csrfId = /gh_csrf=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')![1]!;
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
      // Not followed: the 303 after a success is the answer to check.
      const withCsrf = async (password: string, headers: Record<string, string>) => {
        const res = await fetch(`${w.server.url}/login`, {
          method: 'POST',
          redirect: 'manual',
          headers: { ...headers, cookie: [headers.cookie, `gh_csrf=${csrfId}`].filter(Boolean).join('; '), 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ email: agent.email, password, partnerId: String(w.partner), siteId: String(w.openSite), _csrf: csrf }).toString(),
        });
        return { status: res.status, headers: res.headers, text: await res.text() };
      };
      const first = await withCsrf(PASSWORD, fresh());
      assert.equal(first.status, 303, `${first.status} ${first.text.slice(0, 2000)}`);
      const cookie = deviceCookieOf(first.headers);
      assert.ok(cookie);
      for (let i = 0; i < 2; i++) assert.equal((await withCsrf('guess', fresh())).status, 401);
      const stranger = await withCsrf(PASSWORD, fresh());
      assert.equal(stranger.status, 429);
      assert.match(stranger.text, /Too many sign-in attempts/);
      assert.equal((await withCsrf(PASSWORD, { ...fresh(), cookie: `gh_device=${cookie}` })).status, 303);
    });
  });
}
