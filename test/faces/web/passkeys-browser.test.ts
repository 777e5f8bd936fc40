/**
 * Passkeys end to end in Debian's chromium with a virtual authenticator (DevTools protocol WebAuthn
 * domain: ctap2, internal transport, resident keys, user verification), on SQLite and PostgreSQL:
 * register on /account/security, sign in passwordless, use as the second factor after a password
 * (pages and the Comm100 API), and the refusals: an assertion without user verification, a ceremony
 * from a second origin, a replayed assertion, a challenge used on a second node, a counter that went
 * backwards, a removed passkey, a TOTP code on a phishing-resistant site.
 * Origins are http://localhost:<port> (a secure context), RP ID localhost.
 */
import assert from 'node:assert/strict';
import { type AddressInfo, createServer, connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { type TestBrowser, startBrowser } from '../../helpers/browser.js';
import { DIALECTS, redisPrefix, skipDialect } from '../../helpers/services.js';
import { type TestServer, call, startTestServer } from '../../helpers/server.js';

const PASSWORD = 'correct horse battery';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Another port on localhost forwarding to the server: the same pages, from a second origin. */
async function forwarder(target: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

interface Authenticator {
  cdp: CDPSession;
  id: string;
}

async function virtualAuthenticator(page: Page, options: { isUserVerified?: boolean } = {}): Promise<Authenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: options.isUserVerified ?? true, automaticPresenceSimulation: true },
  });
  return { cdp, id: authenticatorId };
}

/** The assertion the page would post, without letting it reach the server (for replays through other doors). */
async function captureAssertion(page: Page, action: string, click: string): Promise<{ assertion: unknown; form: URLSearchParams }> {
  let captured: URLSearchParams | null = null;
  await page.route(`**${action}`, async (route) => {
    captured = new URLSearchParams(route.request().postData() ?? '');
    await route.fulfill({ status: 204, body: '' });
  });
  await page.click(click);
  await waitFor(() => captured !== null);
  await page.unroute(`**${action}`);
  const form = captured!;
  return { assertion: JSON.parse(form.get('assertion')!), form };
}

async function waitFor(condition: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const dialect of DIALECTS) {
  describe(`passkeys in a browser (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let second: TestServer | null = null;
    let browser: TestBrowser;
    let origin: string;
    let port: number;
    let partner: number;
    let site: number;
    let strictSite: number;
    let context: BrowserContext;
    let page: Page;
    let auth: Authenticator;

    before(async () => {
      port = await freePort();
      origin = `http://localhost:${port}`;
      server = await startTestServer(dialect, { port, redis: dialect === 'postgres', env: { GATEHOUSE_PUBLIC_URL: origin, ...(dialect === 'postgres' && { GATEHOUSE_REDIS_PREFIX: redisPrefix() }) } });
      browser = await startBrowser(`passkeys-${dialect}`);
      const core = server.runtime.core;
      partner = (await core.tenants.create(null, { name: 'Acme' })).tenant.id;
      site = (await core.tenants.create(null, { name: 'Acme EU', parent: partner })).tenant.id;
      strictSite = (await core.tenants.create(null, { name: 'Acme Vault', parent: partner })).tenant.id;
      await core.accounts.create(null, { tenant: site, email: 'ada@acme.test', role: 'agent', password: PASSWORD });
      await core.accounts.create(null, { tenant: strictSite, email: 'vic@acme.test', role: 'agent', password: PASSWORD });
      context = await browser.context();
      // The browser's passkey autofill (conditional mediation) would, with a virtual authenticator, sign in
      // as soon as /login opens; it is on only where a test sets the autofill cookie.
      await context.addInitScript(`if (!document.cookie.includes('autofill=on') && window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);`);
      page = await context.newPage();
      auth = await virtualAuthenticator(page);
    });
    after(async () => {
      if (process.env.PASSKEY_TEST_LOGS) process.stdout.write(server.logs.filter((l) => /"level":50/.test(l)).join(''));
      await context?.close();
      await browser?.close();
      await second?.close();
      await server?.close();
    });

    async function passwordSignIn(email = 'ada@acme.test', siteId = site, from = '/login') {
      await page.goto(`${origin}${from}`);
      await page.fill('#email', email);
      await page.fill('#password', PASSWORD);
      await page.fill('#partnerId', String(partner));
      await page.fill('#siteId', String(siteId));
      await page.click('form[action="/login"] button[type=submit]');
    }
    async function signOut() {
      await page.goto(`${origin}/login`);
      if (await page.locator('#signed-in-email').count()) {
        await page.click('header button.link');
        await page.locator('#email').waitFor();
      }
    }
    const audited = async (event: string) =>
      Number((await server.runtime.core.deps.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('event', '=', event).executeTakeFirst())?.n ?? 0);

    it('registers a passkey on /account/security under a CSP that allows only its own script', async () => {
      await passwordSignIn();
      assert.equal(await page.locator('#signed-in-email').innerText(), 'ada@acme.test');
      const res = await page.goto(`${origin}/account/security`);
      const csp = res!.headers()['content-security-policy']!;
      assert.match(csp, /script-src 'self'; connect-src 'self'$/);
      assert.match(csp, /^default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'/, 'nothing else loosened');
      assert.equal(await page.evaluate(() => window.isSecureContext), true);
      await page.locator('#passkey-add').waitFor({ state: 'visible' });
      await browser.shoot(page, 'security-no-passkey');
      await page.fill('#passkey-new-name', 'work laptop');
      await page.click('#passkey-add');
      await page.locator('.notice').first().waitFor();
      assert.match(await page.locator('.notice').first().innerText(), /Passkey "work laptop" added/);
      assert.equal(await page.locator('.passkey-item').count(), 1);
      assert.match(await page.locator('.passkey-item').innerText(), /Unknown authenticator|this device only/);
      await page.goto(`${origin}/account/security`);
      await page.locator('#passkeys').scrollIntoViewIfNeeded();
      await browser.shoot(page, 'security-passkey');
      assert.equal(await audited('passkey_registered'), 1);
      // Pages without the script keep the policy without any script.
      const plain = await call(`${origin}/console`);
      assert.doesNotMatch(plain.headers.get('content-security-policy') ?? '', /script-src/);
    });

    it('renames it (audited)', async () => {
      await page.goto(`${origin}/account/security`);
      const item = page.locator('.passkey-item').first();
      await item.locator('input[name=name]').fill('my laptop');
      await item.locator('button', { hasText: 'Rename' }).click();
      assert.match(await page.locator('.notice.ok').innerText(), /Renamed to "my laptop"/);
      assert.equal(await audited('passkey_renamed'), 1);
    });

    it('signs in passwordless with "Sign in with a passkey" (user verified)', async () => {
      await signOut();
      await page.goto(`${origin}/login`);
      await page.locator('#passkey-signin').waitFor({ state: 'visible' });
      assert.equal(await page.getAttribute('#email', 'autocomplete'), 'username webauthn');
      await browser.shoot(page, 'login-passkey');
      await page.click('#passkey-signin');
      await page.locator('#signed-in-email').waitFor();
      assert.equal(await page.locator('#signed-in-email').innerText(), 'ada@acme.test');
    });

    it('signs in through the browser\'s passkey autofill on the email field (conditional mediation)', async () => {
      await signOut();
      await context.addCookies([{ name: 'autofill', value: 'on', url: origin }]);
      try {
        await page.goto(`${origin}/login`);
        // The virtual authenticator answers the conditional request by itself: no click.
        await page.locator('#signed-in-email').waitFor();
      } finally {
        await context.clearCookies({ name: 'autofill' });
      }
    });

    it('asks an agent with a passkey and no TOTP for the passkey after the password, and accepts it', async () => {
      await signOut();
      await passwordSignIn();
      assert.equal(await page.locator('h1').innerText(), 'Enter your code');
      await page.locator('#passkey-step').waitFor({ state: 'visible' });
      await browser.shoot(page, 'login-second-factor');
      await page.click('#passkey-step');
      await page.locator('#signed-in-email').waitFor();
    });

    it('both passkey sign-ins return to the page the sign-in started from (?next=)', async () => {
      const from = `/login?next=${encodeURIComponent('/account/security?tab=1')}`;
      await signOut();
      await page.goto(`${origin}${from}`);
      await page.locator('#passkey-signin').waitFor({ state: 'visible' });
      await page.click('#passkey-signin');
      await page.waitForURL(`${origin}/account/security?tab=1`);
      await signOut();
      await passwordSignIn('ada@acme.test', site, from);
      await page.locator('#passkey-step').waitFor({ state: 'visible' });
      await page.click('#passkey-step');
      await page.waitForURL(`${origin}/account/security?tab=1`);
      // Another host is never a return-to: the sign-in ends at home.
      await signOut();
      await page.goto(`${origin}/login?next=${encodeURIComponent('//evil.test/x')}`);
      await page.locator('#passkey-signin').waitFor({ state: 'visible' });
      await page.click('#passkey-signin');
      await page.locator('#signed-in-email').waitFor();
      assert.ok(page.url().startsWith(origin), page.url());
    });

    it('refuses a replayed assertion', async () => {
      await signOut();
      await page.goto(`${origin}/login`);
      await page.locator('#passkey-signin').waitFor({ state: 'visible' });
      const { assertion } = await captureAssertion(page, '/login/passkey', '#passkey-signin');
      const core = server.runtime.core;
      const first = await core.login.passkeySignIn(assertion, null);
      assert.ok(first.jwtToken);
      await assert.rejects(core.login.passkeySignIn(assertion, null), /challenge replayed/);
    });

    it('refuses an assertion without user verification for a passwordless sign-in', async () => {
      await signOut();
      await auth.cdp.send('WebAuthn.setUserVerified', { authenticatorId: auth.id, isUserVerified: false });
      try {
        // A client that does not ask for verification: the options as a careless script would send them.
        await page.route('**/login/passkey/options', async (route) => {
          const response = await route.fetch();
          const options = await response.json();
          await route.fulfill({ response, json: { ...options, userVerification: 'discouraged' } });
        });
        await page.goto(`${origin}/login`);
        await page.locator('#passkey-signin').waitFor({ state: 'visible' });
        await page.click('#passkey-signin');
        await page.locator('.notice.error').waitFor();
        assert.match(await page.locator('.notice.error').innerText(), /did not sign you in/);
        await page.unroute('**/login/passkey/options');
      } finally {
        await auth.cdp.send('WebAuthn.setUserVerified', { authenticatorId: auth.id, isUserVerified: true });
      }
      await page.goto(`${origin}/login`);
      assert.equal(await page.locator('#signed-in-email').count(), 0, 'nobody signed in');
    });

    it('refuses a ceremony from a second origin (another port on localhost)', async () => {
      const other = await forwarder(port);
      try {
        await page.goto(`http://localhost:${other.port}/login`);
        await page.locator('#passkey-signin').waitFor({ state: 'visible' });
        await page.click('#passkey-signin');
        await page.locator('.notice.error').waitFor();
        assert.match(await page.locator('.notice.error').innerText(), /did not sign you in/);
      } finally {
        await other.close();
      }
      const failures = await server.runtime.core.deps.db.selectFrom('audit_events').select('detail').where('event', '=', 'passkey_failure').execute();
      assert.ok(failures.some((f) => /origin/i.test(f.detail ?? '')), 'audited as a wrong origin');
    });

    it('Comm100 login: offers the passkey in a new field, takes the assertion in place of a code; a bad one counts as a wrong code', async () => {
      const login = await call(`${origin}/global/jwtToken/login`, { json: { partnerId: partner, siteId: site, email: 'ada@acme.test', password: PASSWORD } });
      assert.equal(login.status, 200, login.text);
      assert.equal(login.body.nextStep, 'isNeed2faVerify');
      assert.equal(login.body.url, '/global/endlogin');
      assert.equal(login.body.errorCode, 'none');
      assert.ok(login.body.passkeyOptions?.challenge, 'passkeyOptions carries a challenge');
      assert.equal(login.body.passkeyOptions.allowCredentials.length, 1);
      await page.goto(`${origin}/login`);
      const assertion = await page.evaluate(getAssertion(login.body.passkeyOptions));
      // An assertion for another login (a new challenge of a new preLoginToken) is a wrong code here.
      const otherLogin = await call(`${origin}/global/jwtToken/login`, { json: { partnerId: partner, siteId: site, email: 'ada@acme.test', password: PASSWORD } });
      const wrong = await call(`${origin}/global/endlogin`, { json: { preLoginToken: otherLogin.body.preLoginToken, assertion } });
      assert.equal(wrong.status, 400, wrong.text);
      assert.equal(wrong.body.error, 'code verify failed');
      assert.equal(wrong.body.retryRemainingNumber, '4');
      const lock = await server.runtime.core.login.lockState(Number(login.body.agentId));
      assert.equal(lock.failures, 1, 'counted against the account lock');
      const ok = await call(`${origin}/global/endlogin`, { json: { preLoginToken: login.body.preLoginToken, assertion, isSKip2fa: false } });
      assert.equal(ok.status, 200, ok.text);
      assert.ok(ok.body.jwtToken);
      const neither = await call(`${origin}/global/endlogin`, { json: { preLoginToken: otherLogin.body.preLoginToken } });
      assert.equal(neither.status, 400);
      assert.match(neither.body.message, /code/);
    });

    it('refuses a counter that went backwards (a cloned authenticator): audited and announced', async () => {
      const events: string[] = [];
      server.runtime.core.passkeys.onEvent((e) => void events.push(e.type));
      const { credentials } = await auth.cdp.send('WebAuthn.getCredentials', { authenticatorId: auth.id });
      assert.equal(credentials.length, 1);
      const credential = credentials[0]!;
      assert.ok(credential.signCount > 1, `the authenticator counted its uses (${credential.signCount})`);
      await auth.cdp.send('WebAuthn.removeCredential', { authenticatorId: auth.id, credentialId: credential.credentialId });
      await auth.cdp.send('WebAuthn.addCredential', { authenticatorId: auth.id, credential: { ...credential, signCount: 0 } });
      await signOut();
      await page.goto(`${origin}/login`);
      await page.locator('#passkey-signin').waitFor({ state: 'visible' });
      await page.click('#passkey-signin');
      await page.locator('.notice.error').waitFor();
      assert.equal(await audited('passkey_counter_regressed'), 1);
      assert.deepEqual(events, ['cloned_authenticator']);
      // The copy the authenticator now holds is behind: put the counter ahead again for what follows.
      await auth.cdp.send('WebAuthn.removeCredential', { authenticatorId: auth.id, credentialId: credential.credentialId });
      await auth.cdp.send('WebAuthn.addCredential', { authenticatorId: auth.id, credential: { ...credential, signCount: credential.signCount + 100 } });
    });

    // Two nodes share PostgreSQL + Redis, so this runs on PostgreSQL only (declared, not skipped).
    if (dialect === 'postgres') it('a challenge is good on any node once: used on one node, refused on the other', async () => {
      second = await startTestServer('postgres', { database: server.database, redis: true, env: { GATEHOUSE_PUBLIC_URL: origin, GATEHOUSE_REDIS_PREFIX: server.config.redis!.prefix } });
      await signOut();
      await page.goto(`${origin}/login`);
      await page.locator('#passkey-signin').waitFor({ state: 'visible' });
      const { assertion } = await captureAssertion(page, '/login/passkey', '#passkey-signin');
      // Issued by the first node, accepted by the second...
      const signed = await second.runtime.core.login.passkeySignIn(assertion, null);
      assert.ok(signed.jwtToken);
      // ...and spent for both.
      await assert.rejects(server.runtime.core.login.passkeySignIn(assertion, null), /challenge replayed/);
    });

    it('refuses the last passkey\'s removal on a phishing-resistant site, and a TOTP-shaped code there', async () => {
      const core = server.runtime.core;
      const vic = await call(`${origin}/global/jwtToken/login`, { json: { partnerId: partner, siteId: strictSite, email: 'vic@acme.test', password: PASSWORD } });
      assert.equal(vic.body.nextStep, 'noNeed');
      assert.equal(vic.body.passkeyRegistrationRequired, undefined, 'an open site asks nothing');
      const admin = await core.credentials.authenticateApiKey(server.admin.apiKey);
      const set = await call(`${origin}/global/siteAuthenticationConfigs`, { method: 'PUT', headers: { 'x-api-key': server.admin.apiKey }, json: { siteId: strictSite, '2FARequirement': 0, phishingResistantOnly: true } });
      assert.equal(set.status, 200, set.text);
      assert.equal(set.body.phishingResistantOnly, true);
      assert.ok(admin);
      const again = await call(`${origin}/global/jwtToken/login`, { json: { partnerId: partner, siteId: strictSite, email: 'vic@acme.test', password: PASSWORD } });
      assert.equal(again.body.passkeyRegistrationRequired, true, 'no passkey yet: this sign-in must register one');
      // The site asks for 2FA: this first sign-in sets up TOTP (its recovery), then must register a passkey.
      assert.equal(again.body.nextStep, 'isNeed2faSetup');
      const setup = await call(`${origin}/global/endlogin`, { json: { preLoginToken: again.body.preLoginToken, secretKey: again.body.secretKey, code: new TOTP({ secret: Secret.fromBase32(again.body.secretKey) }).generate() } });
      assert.equal(setup.status, 200, setup.text);
      await signOut();
      await context.addCookies([{ name: 'gh_session', value: setup.body.jwtToken, url: origin }]);
      await page.goto(`${origin}/account/security`);
      assert.match(await page.locator('#passkeys .notice.info').innerText(), /requires signing in with a passkey/);
      await page.locator('#passkey-add').waitFor({ state: 'visible' });
      await page.click('#passkey-add');
      await page.locator('.notice.ok').waitFor();
      // A TOTP-shaped code is refused with the documented error; the try is given back.
      const login = await call(`${origin}/global/jwtToken/login`, { json: { partnerId: partner, siteId: strictSite, email: 'vic@acme.test', password: PASSWORD } });
      assert.equal(login.body.nextStep, 'isNeed2faVerify');
      assert.ok(login.body.passkeyOptions);
      const code = await call(`${origin}/global/endlogin`, { json: { preLoginToken: login.body.preLoginToken, code: '123456' } });
      assert.equal(code.status, 400, code.text);
      assert.equal(code.body.error, 'phishing_resistant_required');
      // Removing the only passkey: refused with a clear message on its confirmation page.
      await page.goto(`${origin}/account/security`);
      await page.locator('.passkey-item a', { hasText: 'Remove' }).click();
      assert.equal(await page.locator('h1').innerText(), 'Remove a passkey');
      await page.click('button.danger');
      assert.match(await page.locator('.notice.error').innerText(), /requires signing in with a passkey: add another passkey/);
      assert.equal(await core.passkeys.count(Number(login.body.agentId)), 1, 'kept');
      await signOut();
    });

    it('removes a passkey on its confirmation page; the removed passkey no longer signs in', async () => {
      const ada = (await server.runtime.core.deps.db.selectFrom('accounts').select('id').where('email', '=', 'ada@acme.test').executeTakeFirstOrThrow()).id;
      await passwordSignIn();
      await page.locator('#passkey-step').waitFor({ state: 'visible' });
      await page.click('#passkey-step');
      await page.locator('#signed-in-email').waitFor();
      await page.goto(`${origin}/account/security`);
      await page.locator('.passkey-item a', { hasText: 'Remove' }).click();
      await browser.shoot(page, 'security-remove-passkey');
      // A post without confirm=yes acts on nothing.
      assert.equal(await page.locator('h1').innerText(), 'Remove a passkey');
      await page.click('button.danger');
      assert.match(await page.locator('.notice.ok').innerText(), /Passkey removed/);
      assert.equal(await audited('passkey_removed'), 1);
      // The authenticator keeps its copy of Ada's (removed) passkey; Vic's goes, so that it offers Ada's alone.
      const { credentials } = await auth.cdp.send('WebAuthn.getCredentials', { authenticatorId: auth.id });
      for (const c of credentials) {
        if (Buffer.from(c.userHandle ?? '', 'base64').toString('utf8') !== `gh-account-${ada}`) await auth.cdp.send('WebAuthn.removeCredential', { authenticatorId: auth.id, credentialId: c.credentialId });
      }
      await signOut();
      await page.goto(`${origin}/login`);
      await page.locator('#passkey-signin').waitFor({ state: 'visible' });
      await page.click('#passkey-signin');
      await page.locator('.notice.error').waitFor();
      assert.match(await page.locator('.notice.error').innerText(), /did not sign you in/);
      const failures = await server.runtime.core.deps.db.selectFrom('audit_events').select('detail').where('event', '=', 'passkey_failure').execute();
      assert.ok(failures.some((f) => /unknown or removed passkey/.test(f.detail ?? '')));
    });

    it('an admin\'s 2FA reset removes passkeys; a password change does not', async () => {
      const core = server.runtime.core;
      const vic = (await core.deps.db.selectFrom('accounts').select('id').where('email', '=', 'vic@acme.test').executeTakeFirstOrThrow()).id;
      assert.equal(await core.passkeys.count(Number(vic)), 1);
      const admin = await core.credentials.authenticateApiKey(server.admin.apiKey);
      await core.accounts.update(admin, Number(vic), { password: 'another long password' });
      assert.equal(await core.passkeys.count(Number(vic)), 1, 'a password change keeps passkeys');
      // Vic has TOTP too (set up at his first sign-in): the admin's reset is the DELETE of his 2FA config.
      const reset = await call(`${origin}/global/agent2faConfigs/${vic}`, { method: 'DELETE', headers: { 'x-api-key': server.admin.apiKey } });
      assert.ok(reset.status < 500, reset.text);
      assert.equal(await core.passkeys.count(Number(vic)), 0, 'the reset took them');
    });

    /** A new agent signed in on this page (the API's login, its JWT as the session cookie), with a passkey registered on /account/security. */
    async function agentWithPasskey(email: string, siteId: number): Promise<number> {
      const core = server.runtime.core;
      const id = (await core.accounts.create(null, { tenant: siteId, email, role: 'agent', password: PASSWORD })).id;
      const login = await call(`${origin}/global/jwtToken/login`, { json: { partnerId: partner, siteId, email, password: PASSWORD } });
      assert.equal(login.body.nextStep, 'noNeed', login.text);
      await signOut();
      await context.addCookies([{ name: 'gh_session', value: login.body.jwtToken, url: origin }]);
      await page.goto(`${origin}/account/security`);
      await page.locator('#passkey-add').waitFor({ state: 'visible' });
      await page.click('#passkey-add');
      await page.locator('.notice.ok').waitFor();
      assert.equal(await core.passkeys.count(id), 1);
      return id;
    }

    it('an admin\'s 2FA reset of an account with passkeys and no TOTP removes them (the console offers it); with neither it is a 404', async () => {
      const core = server.runtime.core;
      const pia = await agentWithPasskey('pia@acme.test', site);
      assert.equal(await core.twoFactor.getConfig(pia), undefined, 'no TOTP');
      // Her own DELETE of a TOTP config she does not have is still a 404, and keeps her passkey.
      const own = await call(`${origin}/global/agent2faConfigs/${pia}`, { method: 'DELETE', headers: { authorization: `Bearer ${(await context.cookies(origin)).find((c) => c.name === 'gh_session')!.value}` } });
      assert.equal(own.status, 404, own.text);
      assert.equal(await core.passkeys.count(pia), 1);
      // The console's account row offers "Reset 2FA" for her, and the reset takes the passkey.
      const ops = await (await browser.context()).newPage();
      try {
        await ops.goto(`${origin}/console`);
        await ops.fill('#apiKey', server.admin.apiKey);
        await ops.click('button[type=submit]');
        await ops.goto(`${origin}/console/tenants/${site}`);
        const row = ops.locator(`#account-${pia}`);
        assert.match(await row.innerText(), /2FA off · 1 passkey/);
        await row.locator('a', { hasText: 'Reset 2FA' }).click();
        assert.match(await ops.locator('main').innerText(), /passkeys/);
        await ops.click('button.danger');
        assert.match(await ops.locator('.notice.ok').innerText(), /2FA reset/);
      } finally {
        await ops.close();
      }
      assert.equal(await core.passkeys.count(pia), 0, 'the reset took the passkey');
      // The API's reset of an account with neither TOTP nor passkeys: 404, as before.
      const again = await call(`${origin}/global/agent2faConfigs/${pia}`, { method: 'DELETE', headers: { 'x-api-key': server.admin.apiKey } });
      assert.equal(again.status, 404, again.text);
      // And with a passkey again, the API's reset answers success and takes it.
      await signOut();
      const pia2 = await agentWithPasskey('pia2@acme.test', site);
      const reset = await call(`${origin}/global/agent2faConfigs/${pia2}`, { method: 'DELETE', headers: { 'x-api-key': server.admin.apiKey } });
      assert.equal(reset.status, 200, reset.text);
      assert.equal(reset.body.result, 'success');
      assert.equal(await core.passkeys.count(pia2), 0);
      await signOut();
    });

    it('a phishing-resistant site\'s account without a passkey is sent to register one after signing in on the web', async () => {
      await server.runtime.core.accounts.create(null, { tenant: strictSite, email: 'zoe@acme.test', role: 'agent', password: PASSWORD });
      const set = await call(`${origin}/global/siteAuthenticationConfigs`, { method: 'PUT', headers: { 'x-api-key': server.admin.apiKey }, json: { siteId: strictSite, '2FARequirement': 0, phishingResistantOnly: true } });
      assert.equal(set.status, 200, set.text);
      await signOut();
      // Asked to go elsewhere after signing in: the registration comes first.
      await page.goto(`${origin}/login?next=${encodeURIComponent('/console')}`);
      await page.fill('#email', 'zoe@acme.test');
      await page.fill('#password', PASSWORD);
      await page.fill('#partnerId', String(partner));
      await page.fill('#siteId', String(strictSite));
      await page.click('form[action="/login"] button[type=submit]');
      // The site asks for 2FA: the TOTP enrolment (its recovery) and the backup code come first, then the passkey.
      const secret = (await page.locator('#secret').innerText()).replace(/\s/g, '');
      await page.fill('#code', new TOTP({ secret: Secret.fromBase32(secret) }).generate());
      await page.click('form[action="/login/code"] button[type=submit]');
      await page.locator('#backup-code').waitFor();
      await page.check('input[name=saved]');
      await page.click('button[type=submit]');
      await page.locator('#signed-in-email').waitFor();
      assert.equal(new URL(page.url()).pathname, '/account/security');
      assert.match(await page.locator('.notice.info').first().innerText(), /requires signing in with a passkey, and you have none yet/);
      await page.locator('#passkey-add').waitFor({ state: 'visible' });
      await page.click('#passkey-add');
      await page.locator('.notice.ok').waitFor();
      // With one, the same address says nothing more.
      await page.goto(`${origin}/account/security?passkey=required`);
      assert.equal(await page.locator('.notice').filter({ hasText: 'you have none yet' }).count(), 0);
      await signOut();
    });

    it('the passkey step offers "trust this device"; a passkey alone makes a backup code, which recovers on a phishing-resistant site; activity reads in words', async () => {
      const core = server.runtime.core;
      const admin = (await core.credentials.authenticateApiKey(server.admin.apiKey))!;
      const trustSite = (await core.tenants.create(null, { name: 'Acme Trust', parent: partner })).tenant.id;
      await agentWithPasskey('max@acme.test', trustSite);
      // A backup code with a passkey and no TOTP.
      await page.goto(`${origin}/account/security`);
      assert.equal(await page.locator('text=Turn on 2FA or add a passkey first').count(), 0);
      assert.doesNotMatch(await page.locator('#no-devices').innerText(), /2FA off/, 'a passkey is a second step: the devices card does not say none is asked');
      await page.click('form[action="/account/security/backup-code"] button');
      const backup = (await page.locator('#backup-code').innerText()).trim();
      assert.match(backup, /^[2-9A-Z -]{12,}$/, `a backup code is shown (${backup})`);
      // Recent activity names the passkey events in words.
      await page.goto(`${origin}/account/security`);
      const activity = await page.locator('#events').innerText();
      assert.match(activity, /Passkey added/);
      assert.doesNotMatch(activity, /passkey_/);
      // The site allows trusting a device: the passkey step offers it, and it is honoured.
      await core.twoFactor.manage.setSiteRequirement(admin, trustSite, 1);
      await signOut();
      await passwordSignIn('max@acme.test', trustSite);
      await page.locator('#passkey-step').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#passkey-trust').count(), 1);
      await page.check('#passkey-trust');
      await page.click('#passkey-step');
      await page.locator('#signed-in-email').waitFor();
      assert.ok((await context.cookies(origin)).some((c) => c.name === 'Verifiedtoken'), 'the trusted-device cookie is set');
      await signOut();
      await passwordSignIn('max@acme.test', trustSite);
      await page.locator('#signed-in-email').waitFor();
      assert.equal(await page.locator('#passkey-step').count(), 0, 'the trusted device skipped the second step');
      await page.goto(`${origin}/account/security`);
      assert.match(await page.locator('#events').innerText(), /Passkey used/);
      // Phishing-resistant only: no device is trusted and no step offers it; the backup code recovers.
      const set = await call(`${origin}/global/siteAuthenticationConfigs`, { method: 'PUT', headers: { 'x-api-key': server.admin.apiKey }, json: { siteId: trustSite, '2FARequirement': 1, phishingResistantOnly: true } });
      assert.equal(set.status, 200, set.text);
      await signOut();
      await passwordSignIn('max@acme.test', trustSite);
      await page.locator('#passkey-step').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#passkey-trust').count(), 0, 'a phishing-resistant site trusts no device');
      await page.fill('#code', backup);
      await page.click('form[action="/login/code"] button[type=submit]');
      await page.locator('#signed-in-email').waitFor();
      assert.equal(await page.locator('#signed-in-email').innerText(), 'max@acme.test');
      await page.goto(`${origin}/account/security`);
      assert.match(await page.locator('#events').innerText(), /Backup code used/);
      await signOut();
    });
  });
}

/** In the page: navigator.credentials.get with JSON options, answered as AuthenticationResponseJSON (text, so no compiled helper leaks in). */
const getAssertion = (options: unknown) => `(async (options) => {
  const unb64 = (t) => Uint8Array.from(atob(t.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((t.length + 3) % 4)), (c) => c.charCodeAt(0));
  const b64 = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const credential = await navigator.credentials.get({
    publicKey: { challenge: unb64(options.challenge), rpId: options.rpId, userVerification: options.userVerification, allowCredentials: options.allowCredentials.map((c) => ({ type: 'public-key', id: unb64(c.id) })) },
  });
  const r = credential.response;
  return {
    id: credential.id, rawId: b64(credential.rawId), type: credential.type, clientExtensionResults: {},
    response: { clientDataJSON: b64(r.clientDataJSON), authenticatorData: b64(r.authenticatorData), signature: b64(r.signature), ...(r.userHandle && { userHandle: b64(r.userHandle) }) },
  };
})(${JSON.stringify(options)})`;
